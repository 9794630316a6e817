package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second round of leak doors (docs/HYGIENE.md H1, H2, H4 as amended), every output searched for
 * any 8-byte piece of the token's id: record {@code toString} whatever a caller stored, keys that
 * JSON Pointer escaping takes past the matcher's limit, a token at the end of a run longer than
 * the limit, {@link RedactingOutputStream#finish()} mid-token, and a library path that holds a
 * token (redacted before the library is loaded, cause included).
 */
class LeakDoorsRoundTwoTest {
    // No 8-byte piece of it may stand in a class or method name: stack traces are searched too.
    static final String ID = "Qx93ZrCanary7Wv0";
    static final String TOKEN = "krn:customer-token:eu1:" + ID;

    /** The first 8-byte piece of the id in {@code text}, or null. */
    static String piece(String text) {
        for (int i = 0; i + 8 <= ID.length(); i++) {
            if (text.contains(ID.substring(i, i + 8))) {
                return ID.substring(i, i + 8);
            }
        }
        return null;
    }

    static String printed(Object o) {
        if (o instanceof Throwable t) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            return t + "\n" + t.getMessage() + "\n" + w
                    + (t instanceof CtPolicyException e ? "\n" + e.errorJson() + "\n" + e.path() + "\n" + e.reason()
                            : "");
        }
        return String.valueOf(o);
    }

    static void assertNoPiece(Object o, String door) {
        String text = printed(o);
        String found = piece(text);
        if (found != null) {
            int at = text.indexOf(found);
            fail(door + " leaks " + found + ": …" + text.substring(Math.max(0, at - 200), Math.min(text.length(),
                    at + 100)));
        }
    }

    static String replacement(String decoded) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(decoded.getBytes(StandardCharsets.UTF_8));
        return "[customer-token sha256:" + HexFormat.of().formatHex(digest) + "]";
    }

    @Test
    void everyRecordPrintsRedactedWhateverACallerStored() {
        Violation v = new Violation(301, TOKEN, TOKEN, TOKEN, "/" + TOKEN, TOKEN);
        TokenInfo info = new TokenInfo(TOKEN, TOKEN, TOKEN, TOKEN);
        Map<String, Object> receipt = new LinkedHashMap<>();
        receipt.put("decision_id", TOKEN);
        receipt.put("policy_digest", TOKEN);
        Decision d = new Decision(false, TOKEN, TOKEN, List.of(v), List.of(v), info, receipt, "{}");
        List<Object> values = List.of(v, info, d, new LeakReport(1, 1, 1, TOKEN, false, TOKEN, TOKEN),
                new AuditSummary(0, TOKEN, TOKEN, 0, 0, 0, TOKEN),
                new Verdict(false, List.of(), List.of(), Optional.of(TOKEN)),
                new CheckResult.Decided(d), new BatchResult(List.of(new CheckResult.Decided(d)), 0, 1, 0),
                List.of(v, info), Map.of("k", d));
        for (Object value : values) {
            assertNoPiece(value, value.getClass().getSimpleName() + ".toString");
        }
        assertTrue(new LeakReport(1, 1, 1, TOKEN, false, null, null).toString().contains("[customer-token sha256:"));
    }

    /** Keys that escaping ({@code ~} → {@code ~0}, {@code /} → {@code ~1}) takes past the limit. */
    static Map<String, String> longKeys() {
        int half = 524_276;
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("tildes", "krn:" + "~".repeat(half) + TOKEN);
        keys.put("slashes", "/".repeat(half) + TOKEN);
        keys.put("near the limit", "krn:" + "x".repeat(1_048_576 - 2_000) + ":" + TOKEN);
        return keys;
    }

    @Test
    void keysThatEscapingLengthens() {
        String body = "\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1299}}";
        try (Engine engine = Engine.create()) {
            for (Map.Entry<String, String> e : longKeys().entrySet()) {
                String name = e.getKey();
                String key = e.getValue();
                List<String> requests = List.of(
                        "{\"customer_present\":false,\"headers\":{},\"body\":{\"currency\":\"EUR\","
                                + "\"supplementary_purchase_data\":{\"" + key + "\":{\"a\":1,\"a\":2}},"
                                + "\"request_payment_transaction\":{\"amount\":1299}}}",
                        "{\"customer_present\":false,\"" + key + "\":1,\"headers\":{}," + body + "}",
                        "{\"customer_present\":false,\"headers\":{},\"counters\":{\"" + key + "\":1}," + body + "}",
                        "{\"customer_present\":false,\"headers\":{\"" + key + "\":5}," + body + "}");
                for (String request : requests) {
                    CtPolicyException error = assertThrows(CtPolicyException.class, () -> engine.check(request));
                    assertTrue(error.path().contains("[customer-token sha256:"), name);
                    assertNoPiece(error, name + " check");
                }
                BatchResult batch = engine.checkMany(requests);
                assertNoPiece(batch, name + " checkMany");
                for (CheckResult r : batch.results()) {
                    assertNoPiece(assertInstanceOf(CheckResult.Failed.class, r).error(), name + " checkMany error");
                }
                assertNoPiece(assertThrows(CtPolicyException.class,
                        () -> Engine.create("{\"severity\":{\"" + key + "\":\"warn\"}}")), name + " policy");
                assertNoPiece(assertThrows(CtPolicyException.class, () -> CtPolicy.applyEvent(null,
                        "{\"type\":\"REVOKED\",\"" + key + "\":{\"a\":1,\"a\":2}}")), name + " applyEvent");
            }
        }
    }

    /** {@code krn:} + 1,048,552 {@code x} + the token: cut by the limit inside the token. */
    static String lineWithLongRun() {
        return "krn:" + "x".repeat(1_048_552) + TOKEN + " done\n";
    }

    @Test
    void aTokenAtTheEndOfARunLongerThanTheLimit() throws Exception {
        String line = lineWithLongRun();
        String expected = replacement(line.substring(0, 1_048_576)) + " done\n";
        assertEquals(expected, Redactor.redact(line));
        List<LeakReport> reports = Redactor.scan(line);
        assertEquals(1, reports.size());
        assertEquals(line.length() - 6, reports.get(0).length());
        for (int size : new int[] {7, 4096, 65_536, 1 << 20}) {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            try (RedactingOutputStream out = new RedactingOutputStream(sink)) {
                for (int i = 0; i < bytes.length; i += size) {
                    out.write(bytes, i, Math.min(size, bytes.length - i));
                }
            }
            assertEquals(expected, sink.toString(StandardCharsets.UTF_8), "pieces of " + size);
        }
    }

    @Test
    void finishMidTokenEndsTheStreamForGood() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        RedactingOutputStream out = new RedactingOutputStream(sink);
        // The first half alone is not an occurrence ("krn:customer-token:" has nothing after).
        out.write(("id=" + TOKEN.substring(0, 19)).getBytes(StandardCharsets.UTF_8));
        out.finish();
        IOException refused = assertThrows(IOException.class,
                () -> out.write((TOKEN.substring(19) + " end\n").getBytes(StandardCharsets.UTF_8)));
        assertNoPiece(refused, "the refused write");
        out.finish(); // a second finish does nothing more
        out.close();
        assertEquals("id=krn:customer-token:", sink.toString(StandardCharsets.UTF_8));
        assertNull(piece(sink.toString(StandardCharsets.UTF_8)));
    }

    @Test
    void theFallbackRedactorAgreesWithTheLibrary() {
        JsonNode root = TestSupport.readVectors("redact.json");
        int seen = 0;
        for (JsonNode c : root.get("cases")) {
            byte[] in = RedactTest.text(c.get("text"));
            assertArrayEquals(RedactTest.text(c.get("redacted")), FallbackRedactor.redact(in), c.get("name").asText());
            seen++;
        }
        assertTrue(seen >= 30);
        for (String text : List.of(TOKEN, TOKEN.replace(":", "%3A"), "/tmp/" + TOKEN + "/libctpolicy.so",
                "krn:customer-token:", "xkrn%3acustomer-token%3Aa", "no token", "")) {
            assertEquals(Redactor.redact(text), FallbackRedactor.redact(text), text);
        }
    }

    /** Run in a JVM of its own, where the library named by a setting cannot be loaded. */
    public static final class LoadWithSetting {
        public static void main(String[] args) {
            try {
                Engine.create().close();
                System.out.println("LOADED");
            } catch (Throwable t) {
                System.out.println(printed(t));
                Throwable cause = t.getCause();
                while (cause != null) {
                    System.out.println("cause: " + printed(cause));
                    cause = cause.getCause();
                }
            }
        }
    }

    static String runWithSetting(List<String> jvmArgs, Map<String, String> env) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadWithSetting.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove(NativeLoader.ENV);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void aLibraryPathThatHoldsATokenIsRedacted(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(TOKEN));
        Path notALibrary = Files.writeString(folder.resolve("libctpolicy.so"), "not an ELF file");
        Path missing = folder.resolve("missing").resolve("libctpolicy.so");
        List<String> outputs = List.of(
                runWithSetting(List.of("-D" + NativeLoader.PROPERTY + "=" + missing), Map.of()),
                runWithSetting(List.of("-D" + NativeLoader.PROPERTY + "=" + notALibrary), Map.of()),
                runWithSetting(List.of(), Map.of(NativeLoader.ENV, missing.toString())),
                runWithSetting(List.of(), Map.of(NativeLoader.ENV, notALibrary.toString())));
        for (String out : outputs) {
            assertNotEquals("LOADED", out.strip(), out);
            assertTrue(out.contains("LIBRARY_UNAVAILABLE"), out);
            assertTrue(out.contains("[customer-token sha256:"), out);
            assertNull(piece(out), out);
        }
    }
}
