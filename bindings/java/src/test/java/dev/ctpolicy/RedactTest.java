package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.Test;

/** Redaction (docs/HYGIENE.md H2) against tests/vectors/redact.json, whole and streamed, and through JUL. */
class RedactTest {
    static final String TOKEN = "krn:partner:eu1:live:identity:customer-token:Zq7HiddenIdPart42";
    static final String TOKEN_ID = "Zq7HiddenIdPart42";

    /** A vector text: a string, {base64}, {repeat, times} or {concat: [...]} (docs/VECTORS.md). */
    static byte[] text(JsonNode t) {
        if (t.isTextual()) {
            return t.asText().getBytes(StandardCharsets.UTF_8);
        }
        if (t.has("base64")) {
            return Base64.getDecoder().decode(t.get("base64").asText());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (t.has("repeat")) {
            byte[] part = text(t.get("repeat"));
            for (int i = 0; i < t.get("times").asInt(); i++) {
                out.writeBytes(part);
            }
            return out.toByteArray();
        }
        if (t.has("concat")) {
            for (JsonNode part : t.get("concat")) {
                out.writeBytes(text(part));
            }
            return out.toByteArray();
        }
        throw new AssertionError("unknown text form " + t);
    }

    /** Streams {@code pieces} through a RedactingOutputStream and returns what came out. */
    static byte[] stream(byte[] text, int[] cuts) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (RedactingOutputStream out = new RedactingOutputStream(sink)) {
            int from = 0;
            for (int cut : cuts) {
                out.write(text, from, cut - from);
                from = cut;
            }
            out.write(text, from, text.length - from);
        }
        return sink.toByteArray();
    }

    @Test
    void vectorsWholeAndScan() {
        JsonNode root = TestSupport.readVectors("redact.json");
        for (JsonNode c : root.get("cases")) {
            String name = c.get("name").asText();
            byte[] in = text(c.get("text"));
            byte[] expected = text(c.get("redacted"));
            assertArrayEquals(expected, Redactor.redact(in), name);
            assertEquals(c.get("count").asLong(), Redactor.count(in), name);
            List<LeakReport> reports = Redactor.scan(in);
            assertEquals(c.get("reports").size(), reports.size(), name);
            for (int i = 0; i < reports.size(); i++) {
                JsonNode e = c.get("reports").get(i);
                LeakReport r = reports.get(i);
                assertEquals(e.get("line").asLong(), r.line(), name);
                assertEquals(e.get("column").asLong(), r.column(), name);
                assertEquals(e.get("length").asLong(), r.length(), name);
                assertEquals(e.get("fingerprint").asText(), r.fingerprint(), name);
                assertEquals(e.get("well_formed").asBoolean(), r.wellFormed(), name);
                assertEquals(TestSupport.textOrNull(e.get("form")), r.form(), name);
                assertEquals(TestSupport.textOrNull(e.get("region")), r.region(), name);
            }
            if (c.get("text").isTextual()) {
                String s = c.get("text").asText();
                assertEquals(new String(expected, StandardCharsets.UTF_8), Redactor.redact(s), name);
            }
        }
    }

    @Test
    void vectorsThroughTheStreamAtEverySplitPoint() throws IOException {
        JsonNode root = TestSupport.readVectors("redact.json");
        Random random = new Random(13);
        int streamed = 0;
        for (JsonNode c : root.get("cases")) {
            String name = c.get("name").asText();
            byte[] in = text(c.get("text"));
            byte[] expected = text(c.get("redacted"));
            assertArrayEquals(expected, stream(in, new int[0]), name + " (one write)");
            if (in.length <= 2048) {
                // Every split point into two writes, and byte by byte.
                for (int cut = 0; cut <= in.length; cut++) {
                    assertArrayEquals(expected, stream(in, new int[] {cut}), name + " cut at " + cut);
                    streamed++;
                }
                int[] every = new int[Math.max(0, in.length - 1)];
                for (int i = 0; i < every.length; i++) {
                    every[i] = i + 1;
                }
                assertArrayEquals(expected, stream(in, every), name + " byte by byte");
            } else {
                // Long texts (the 1 MiB limit cases): random two-way and multi-way cuts.
                for (int round = 0; round < 8; round++) {
                    assertArrayEquals(expected, stream(in, new int[] {random.nextInt(in.length + 1)}), name);
                    int[] cuts = random.ints(16, 0, in.length + 1).sorted().toArray();
                    assertArrayEquals(expected, stream(in, cuts), name + " multi-way");
                }
            }
        }
        assertTrue(streamed > 500, "the split-point sweep ran");
    }

    @Test
    void stringWithoutCandidateIsReturnedAsIs() {
        String s = "nothing to see here \uD83D\uDE00";
        assertSame(s, Redactor.redact(s));
        String redacted = Redactor.redact("token=" + TOKEN + " end");
        assertTrue(redacted.startsWith("token=[customer-token sha256:"), redacted);
        assertFalse(redacted.contains(TOKEN_ID));
    }

    @Test
    void flushKeepsTheCandidateAndCloseWritesIt() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        RedactingOutputStream out = new RedactingOutputStream(sink);
        byte[] bytes = ("a " + TOKEN).getBytes(StandardCharsets.UTF_8);
        out.write(bytes);
        out.flush();
        String flushed = sink.toString(StandardCharsets.UTF_8);
        assertFalse(flushed.contains("krn"), "a candidate is held back over flush: " + flushed);
        out.close();
        String all = sink.toString(StandardCharsets.UTF_8);
        assertTrue(all.startsWith("a [customer-token sha256:") && all.endsWith("]"), all);
        assertThrows(IOException.class, () -> out.write(1));
        out.close(); // idempotent
    }

    @Test
    void closeClosesTheWrappedStream() throws IOException {
        boolean[] closed = {false};
        OutputStream inner = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        new RedactingOutputStream(inner).close();
        assertTrue(closed[0]);
    }

    @Test
    void javaUtilLoggingThroughAStreamHandler() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        StreamHandler handler = new StreamHandler(new RedactingOutputStream(sink), new SimpleFormatter());
        handler.setLevel(Level.ALL);
        Logger logger = Logger.getLogger("dev.ctpolicy.RedactTest.jul");
        logger.setUseParentHandlers(false);
        logger.addHandler(handler);
        try {
            logger.log(Level.INFO, "charging {0} for 100 EUR", TOKEN);
            String encoded = TOKEN.replace(":", "%3A");
            logger.log(Level.WARNING, "callback url https://x.example/cb?t=" + encoded);
            logger.log(Level.SEVERE, "charge failed", new IllegalStateException("token " + TOKEN + " refused",
                    new RuntimeException("cause: " + TOKEN)));
        } finally {
            logger.removeHandler(handler);
            handler.close(); // flushes and closes the RedactingOutputStream
        }
        String log = sink.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("charging [customer-token sha256:"), log);
        assertTrue(log.contains("IllegalStateException: token [customer-token sha256:"), log);
        assertTrue(log.contains("cause: [customer-token sha256:"), log);
        assertTrue(log.contains("cb?t=[customer-token sha256:"), log);
        assertFalse(log.contains(TOKEN_ID), log);
        List<String> fingerprints = new ArrayList<>();
        for (LeakReport r : Redactor.scan(TOKEN)) {
            fingerprints.add(r.fingerprint());
        }
        assertEquals(1, fingerprints.size());
        assertTrue(log.contains("[customer-token " + fingerprints.get(0) + "]"), "the decision's fingerprint");
    }
}
