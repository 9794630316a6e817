package dev.ctpolicy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Takes customer tokens out of text before it is logged (docs/HYGIENE.md H1, H2), with the
 * library's one matcher ({@code ctp_redact}): every occurrence, plain or with URL-encoded
 * colons, becomes {@code [customer-token sha256:<64 hex>]}, the same fingerprint a decision
 * gives for that token, so a redacted log line and a decision can be joined. Every other
 * byte is kept.
 *
 * <pre>{@code
 * log.info(Redactor.redact("charge failed for " + token));
 * }</pre>
 *
 * For a whole logging setup wrap the appender's stream in a {@link RedactingOutputStream}.
 * All methods are static and thread-safe.
 */
public final class Redactor {
    private Redactor() {
    }

    /**
     * The text with every token occurrence replaced. A text with no occurrence comes back
     * equal (the same instance when it holds no {@code "krn"} at all). An unpaired surrogate
     * (which UTF-8 cannot carry) comes back as U+FFFD.
     *
     * @throws NullPointerException when {@code text} is null
     */
    public static String redact(String text) {
        Objects.requireNonNull(text, "text");
        if (!text.contains("krn")) {
            return text; // no candidate can start: skip the native call
        }
        byte[] in = Utf8.encode(text);
        try {
            byte[] out = redact(in);
            try {
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Arrays.fill(out, (byte) 0);
            }
        } finally {
            Arrays.fill(in, (byte) 0);
        }
    }

    /**
     * The bytes with every token occurrence replaced; any bytes (not necessarily UTF-8).
     * Always a new array; {@code text} is only read.
     *
     * @throws NullPointerException when {@code text} is null
     */
    public static byte[] redact(byte[] text) {
        Objects.requireNonNull(text, "text");
        Native.Reply reply = Native.redact(text, new long[1]);
        require(reply, "ctp_redact");
        return reply.bytes();
    }

    /** How many token occurrences {@link #redact(byte[])} would replace in {@code text}. */
    public static long count(byte[] text) {
        Objects.requireNonNull(text, "text");
        long[] count = new long[1];
        Native.Reply reply = Native.redact(text, count);
        require(reply, "ctp_redact");
        Arrays.fill(reply.bytes(), (byte) 0);
        return count[0];
    }

    /**
     * The leak scan (docs/HYGIENE.md H2): one report per token occurrence in {@code text}, in
     * order. No report holds the token or a piece of it beyond its form and region.
     */
    public static List<LeakReport> scan(byte[] text) {
        Objects.requireNonNull(text, "text");
        Native.Reply reply = Native.scan(text);
        require(reply, "ctp_scan");
        String jsonl = new String(reply.bytes(), StandardCharsets.UTF_8);
        List<LeakReport> reports = new ArrayList<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isEmpty()) {
                reports.add(LeakReport.from((Map<?, ?>) Json.parse(line)));
            }
        }
        return List.copyOf(reports);
    }

    /** As {@link #scan(byte[])}, for a Java string (sent as UTF-8). */
    public static List<LeakReport> scan(String text) {
        Objects.requireNonNull(text, "text");
        return scan(Utf8.encode(text));
    }

    /** The library refuses only arguments this class never passes: a failure is a library fault. */
    private static void require(Native.Reply reply, String call) {
        if (!reply.ok()) {
            throw new IllegalStateException(call + " failed with status " + reply.status());
        }
    }
}
