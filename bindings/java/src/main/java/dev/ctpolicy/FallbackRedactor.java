package dev.ctpolicy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A pure-Java reading of the token-occurrence rule (docs/HYGIENE.md H1), for the one moment the
 * library cannot apply it: before it is loaded, or when it could not be. A library path that
 * {@code -Dctpolicy.library.path} or {@code CTPOLICY_LIB} names may hold a token, and the
 * exception that says the library could not be loaded must not repeat it.
 *
 * <p>It gives the same text as {@code ctp_redact} (the tests check it against the shared
 * vectors). It is written for short texts such as paths and messages: a candidate that is not
 * an occurrence and ends where its run ends has none inside it, so scanning goes on at its end;
 * only a candidate cut by the 1 MiB limit is scanned again from the byte after its {@code k}, as
 * the rule says. Everything else in the binding uses the library's matcher.
 */
final class FallbackRedactor {
    /** Longest candidate, in bytes as they stand. */
    static final int LIMIT = 1_048_576;

    private FallbackRedactor() {
    }

    /** The text with every occurrence replaced; null stays null. */
    static String redact(String text) {
        if (text == null || !text.contains("krn")) {
            return text;
        }
        byte[] in = Utf8.encode(text);
        return new String(redact(in), StandardCharsets.UTF_8);
    }

    /** The bytes with every occurrence replaced by {@code [customer-token sha256:<64 hex>]}. */
    static byte[] redact(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
        int last = 0;
        int i = 0;
        while (true) {
            int start = nextCandidate(data, i);
            if (start < 0) {
                break;
            }
            int runEnd = runEnd(data, start);
            int end = cut(data, start, runEnd);
            byte[] decoded = decode(data, start, end);
            if (isOccurrence(decoded)) {
                // An occurrence cut by the limit takes in the rest of its run; its fingerprint is
                // of the text as cut.
                out.write(data, last, start - last);
                out.writeBytes(("[customer-token sha256:" + sha256Hex(decoded) + "]")
                        .getBytes(StandardCharsets.US_ASCII));
                last = runEnd;
                i = runEnd;
            } else if (end == runEnd) {
                i = runEnd;
            } else {
                i = start + 1;
            }
        }
        out.write(data, last, data.length - last);
        return out.toByteArray();
    }

    private static boolean runByte(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '.' || b == '_'
                || b == '~' || b == '-' || b == ':';
    }

    private static boolean encodedColon(byte[] d, int at) {
        return at + 2 < d.length && d[at] == '%' && d[at + 1] == '3' && (d[at + 2] == 'A' || d[at + 2] == 'a');
    }

    /** The first {@code krn} followed by a colon (plain or encoded) at or after {@code from}. */
    private static int nextCandidate(byte[] d, int from) {
        for (int k = from; k + 3 < d.length; k++) {
            if (d[k] == 'k' && d[k + 1] == 'r' && d[k + 2] == 'n' && (d[k + 3] == ':' || encodedColon(d, k + 3))) {
                return k;
            }
        }
        return -1;
    }

    private static int runEnd(byte[] d, int at) {
        while (at < d.length) {
            if (runByte(d[at])) {
                at++;
            } else if (encodedColon(d, at)) {
                at += 3;
            } else {
                break;
            }
        }
        return at;
    }

    /** The candidate's end: its run's end, or the limit (an encoded colon crossing it left out). */
    private static int cut(byte[] d, int start, int runEnd) {
        if ((long) runEnd - start <= LIMIT) {
            return runEnd;
        }
        int end = start + LIMIT;
        // A '%' inside a run always starts an encoded colon.
        for (int at = end - 2; at < end; at++) {
            if (d[at] == '%') {
                return at;
            }
        }
        return end;
    }

    private static byte[] decode(byte[] d, int start, int end) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(end - start);
        for (int i = start; i < end; i++) {
            if (d[i] == '%') {
                out.write(':');
                i += 2;
            } else {
                out.write(d[i]);
            }
        }
        return out.toByteArray();
    }

    /** Some segment is exactly customer-token, and a segment after the first such is non-empty. */
    static boolean isOccurrence(byte[] decoded) {
        byte[] marker = "customer-token".getBytes(StandardCharsets.US_ASCII);
        int segmentStart = 0;
        boolean seen = false;
        for (int i = 0; i <= decoded.length; i++) {
            if (i == decoded.length || decoded[i] == ':') {
                int len = i - segmentStart;
                if (seen && len > 0) {
                    return true;
                }
                if (!seen && len == marker.length
                        && java.util.Arrays.equals(decoded, segmentStart, i, marker, 0, marker.length)) {
                    seen = true;
                }
                segmentStart = i + 1;
            }
        }
        return false;
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
