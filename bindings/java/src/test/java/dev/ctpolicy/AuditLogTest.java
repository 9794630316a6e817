package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit trail (docs/HYGIENE.md H3) against tests/vectors/audit.json, the CLI, tampering and threads. */
class AuditLogTest {
    static final JsonNode VECTORS = TestSupport.readVectors("audit.json");
    static final String ZERO = "sha256:" + "0".repeat(64);

    @TempDir
    Path dir;

    static String fingerprint(String line) throws Exception {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8));
        return "sha256:" + HexFormat.of().formatHex(hash);
    }

    static List<String> lines(Path log) throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }

    @Test
    void entriesAreByteIdenticalToTheVectors() throws Exception {
        String clock = VECTORS.get("clock").asText();
        try (Engine engine = Engine.create(VECTORS.get("policy").asText())) {
            String prev = ZERO;
            long seq = 1;
            for (JsonNode c : VECTORS.get("cases")) {
                String expected = c.get("entry").asText();
                String entry = AuditLog.entryJson(engine, c.get("request").asText(), seq, prev, clock);
                assertEquals(expected, entry, c.get("name").asText());
                prev = fingerprint(entry); // recomputed here, not by the writer
                seq++;
            }
            assertEquals(VECTORS.get("head").asText(), prev);
        }
    }

    /** The requests whose entries do not depend on the writer's clock (decided, with a now). */
    static List<String> clockFreeRequests() {
        String clock = VECTORS.get("clock").asText();
        List<String> requests = new ArrayList<>();
        for (JsonNode c : VECTORS.get("cases")) {
            if (!c.get("entry").asText().contains("\"at\":\"" + clock + "\"")) {
                requests.add(c.get("request").asText());
            }
        }
        assertTrue(requests.size() >= 3, "enough clock-free cases");
        return requests;
    }

    @Test
    void aLogWrittenHereEqualsTheCliLog() throws Exception {
        List<String> requests = clockFreeRequests();
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, VECTORS.get("policy").asText());
        Path input = dir.resolve("requests.jsonl");
        Files.write(input, requests, StandardCharsets.UTF_8);
        Path cliLog = dir.resolve("cli.jsonl");
        Process p = new ProcessBuilder(TestSupport.CLI.toString(), "check", "--policy", policy.toString(),
                "--format", "jsonl", "--audit-log", cliLog.toString(), input.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        int exit = p.waitFor();
        assertTrue(exit == 0 || exit == 1, "ctpolicy check exit " + exit);

        Path javaLog = dir.resolve("java.jsonl");
        try (Engine engine = Engine.create(VECTORS.get("policy").asText());
                AuditLog log = AuditLog.open(javaLog)) {
            for (String request : requests) {
                Decision d = log.check(engine, request);
                assertEquals(engine.check(request).rawJson(), d.rawJson(), "the decision is check's");
            }
        }
        assertEquals(Files.readString(cliLog), Files.readString(javaLog));
        AuditSummary summary = AuditLog.verify(javaLog);
        assertEquals(requests.size(), summary.entries());
        assertEquals(fingerprint(lines(cliLog).getLast()), summary.head());
        assertEquals(summary, AuditLog.verify(javaLog, summary.head()));
    }

    @Test
    void anEnvelopeFaultThrowsAfterItsErrorEntry() throws Exception {
        Path path = dir.resolve("audit.jsonl");
        try (Engine engine = Engine.create(); AuditLog log = AuditLog.open(path)) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> log.check(engine, "{\"body\":{}, \"body\":{}}"));
            assertEquals("DUPLICATE_KEY", e.code());
            InvalidRequestException same = assertThrows(InvalidRequestException.class,
                    () -> engine.check("{\"body\":{}, \"body\":{}}"));
            assertEquals(same.errorJson(), e.errorJson());
        }
        List<String> lines = lines(path);
        assertEquals(1, lines.size());
        JsonNode entry = TestSupport.parse(lines.get(0));
        assertEquals("ERROR", entry.get("decision").asText());
        assertEquals("INVALID_REQUEST", entry.get("status").get("status").asText());
        AuditSummary s = AuditLog.verify(path);
        assertEquals(1, s.errors());
        assertEquals(0, s.allowed() + s.denied());
    }

    private Path logOf(int n) throws Exception {
        Path path = dir.resolve("chain-" + n + ".jsonl");
        try (Engine engine = Engine.create(VECTORS.get("policy").asText()); AuditLog log = AuditLog.open(path)) {
            List<String> requests = clockFreeRequests();
            for (int i = 0; i < n; i++) {
                log.check(engine, requests.get(i % requests.size()));
            }
        }
        return path;
    }

    private static AuditLogException tampered(Path path, List<String> lines, boolean newline) throws IOException {
        Files.writeString(path, String.join("\n", lines) + (newline ? "\n" : ""));
        return assertThrows(AuditLogException.class, () -> AuditLog.verify(path));
    }

    @Test
    void tamperingIsFoundAndNamed() throws Exception {
        Path path = logOf(5);
        List<String> good = lines(path);
        AuditSummary summary = AuditLog.verify(path);
        assertEquals(5, summary.entries());

        List<String> edited = new ArrayList<>(good);
        edited.set(1, edited.get(1).replace("\"amount\":", "\"amount\":1"));
        AuditLogException e = tampered(path, edited, true);
        assertEquals("AUDIT_LOG_INVALID", e.status());
        assertEquals(3, e.line().getAsLong(), e.getMessage()); // line 3's prev no longer matches
        assertEquals("PREV_MISMATCH", e.code());

        List<String> deleted = new ArrayList<>(good);
        deleted.remove(1);
        e = tampered(path, deleted, true);
        assertEquals(2, e.line().getAsLong(), e.getMessage());
        assertEquals(2, e.seq().getAsLong());

        List<String> swapped = new ArrayList<>(good);
        swapped.set(1, good.get(2));
        swapped.set(2, good.get(1));
        e = tampered(path, swapped, true);
        assertEquals(2, e.line().getAsLong(), e.getMessage());

        e = tampered(path, good, false); // torn: the last line lacks its \n
        assertEquals("TORN_LINE", e.code(), e.getMessage());

        // Cut off the end: the chain verifies, only the kept head finds it.
        Files.writeString(path, String.join("\n", good.subList(0, 4)) + "\n");
        assertEquals(4, AuditLog.verify(path).entries());
        e = assertThrows(AuditLogException.class, () -> AuditLog.verify(path, summary.head()));
        assertEquals("AUDIT_HEAD_MISMATCH", e.status());
        assertThrows(IllegalArgumentException.class, () -> AuditLog.verify(path, "sha256:nothex"));

        // A torn log is not appended to.
        Files.writeString(path, String.join("\n", good));
        e = assertThrows(AuditLogException.class, () -> AuditLog.open(path));
        assertEquals("AUDIT_LOG_INVALID", e.status());
    }

    static String renewal(int i) {
        String token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";
        return "{\"customer_present\":false,\"headers\":{\"Klarna-Customer-Token\":\"" + token
                + "\",\"Klarna-Idempotency-Key\":\"k-" + i + "\"},\"token_record\":{\"customer_token\":\"" + token
                + "\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\"},\"body\":{\"currency\":\"EUR\","
                + "\"request_payment_transaction\":{\"amount\":1299,\"payment_transaction_reference\":\"r-" + i
                + "\"}},\"now\":\"2026-11-25T10:00:00Z\",\"decision_id\":\"d-" + i + "\"}";
    }

    private void changedUnderAWriter(String name, String code) throws Exception {
        Path path = dir.resolve(name + ".jsonl");
        try (Engine engine = Engine.create(); AuditLog log = AuditLog.open(path)) {
            for (int i = 0; i < 5; i++) {
                log.check(engine, renewal(i));
            }
            switch (name) {
                case "truncated" -> Files.write(path, new byte[0]);
                case "deleted" -> Files.delete(path);
                default -> {
                    Files.move(path, dir.resolve(name + ".jsonl.1"));
                    Files.write(path, new byte[0]);
                }
            }
            AuditLogException e = assertThrows(AuditLogException.class, () -> log.check(engine, renewal(5)));
            assertEquals("AUDIT_LOG_INVALID", e.status());
            assertEquals(code, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains(name + ".jsonl"), e.getMessage());
        }
        if (name.equals("renamed")) {
            assertEquals(5, AuditLog.verify(dir.resolve(name + ".jsonl.1")).entries());
        }
    }

    @Test
    void aLogChangedUnderAWriterFailsTheCheck() throws Exception {
        changedUnderAWriter("truncated", "LOG_TRUNCATED");
        changedUnderAWriter("deleted", "LOG_REPLACED");
        changedUnderAWriter("renamed", "LOG_REPLACED");
    }

    @Test
    void pathsThatAreNotRegularFilesAreRefused() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        for (Path path : List.of(Path.of("/dev/null"), fifo, dir)) {
            AuditLogException e = assertThrows(AuditLogException.class, () -> AuditLog.open(path));
            assertEquals("NOT_A_REGULAR_FILE", e.code(), e.getMessage());
        }
    }

    @Test
    void aTornTailNamesItsLineAndIsRepaired() throws Exception {
        Path path = dir.resolve("torn.jsonl");
        try (Engine engine = Engine.create(); AuditLog log = AuditLog.open(path)) {
            for (int i = 0; i < 4; i++) {
                log.check(engine, renewal(i));
            }
        }
        byte[] whole = Files.readAllBytes(path);
        Files.write(path, java.util.Arrays.copyOf(whole, whole.length - 20));
        AuditLogException e = assertThrows(AuditLogException.class, () -> AuditLog.open(path));
        assertEquals("TORN_LINE", e.code());
        assertEquals(4, e.line().getAsLong());
        assertTrue(e.getMessage().contains("ctpolicy audit repair"), e.getMessage());
        int kept = new String(whole, 0, whole.length - 1, StandardCharsets.UTF_8).lastIndexOf('\n') + 1;
        AuditRepair r = AuditLog.repair(path);
        assertTrue(r.repaired());
        assertEquals(3, r.entries());
        assertEquals(kept, r.keptBytes());
        assertEquals(whole.length - 20 - kept, r.cutBytes());
        assertFalse(AuditLog.repair(path).repaired(), "nothing that verifies is cut");
        String tampered = new String(whole, 0, kept, StandardCharsets.UTF_8).replace("\"seq\":2", "\"seq\":9") + "{\"torn";
        Files.writeString(path, tampered);
        e = assertThrows(AuditLogException.class, () -> AuditLog.repair(path));
        assertEquals("AUDIT_LOG_INVALID", e.status());
        assertEquals(tampered, Files.readString(path), "a refused repair does not touch the log");
    }

    @Test
    void missingFileIsAnIoError() {
        AuditLogException e = assertThrows(AuditLogException.class,
                () -> AuditLog.verify(dir.resolve("no/such/file")));
        assertEquals("IO_ERROR", e.status());
        assertEquals(Statuses.CTP_IO_ERROR, e.statusCode());
    }

    private void manyWriters(ThreadFactory threads, String name) throws Exception {
        Path path = dir.resolve(name + ".jsonl");
        int writers = 8;
        int each = 40;
        List<String> requests = clockFreeRequests();
        try (Engine engine = Engine.create(VECTORS.get("policy").asText()); AuditLog log = AuditLog.open(path);
                ExecutorService pool = Executors.newThreadPerTaskExecutor(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        log.check(engine, requests.get((id + i) % requests.size()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        AuditSummary s = AuditLog.verify(path);
        assertEquals(writers * each, s.entries());
        // An independent reading of the chain: seq counts up, prev is the previous line's hash.
        String prev = ZERO;
        long seq = 1;
        for (String line : lines(path)) {
            JsonNode entry = TestSupport.parse(line);
            assertEquals(seq++, entry.get("seq").asLong());
            assertEquals(prev, entry.get("prev").asText());
            prev = fingerprint(line);
        }
        assertEquals(prev, s.head());
    }

    @Test
    void eightPlatformThreadsKeepOneChain() throws Exception {
        manyWriters(Thread.ofPlatform().factory(), "platform");
    }

    @Test
    void eightVirtualThreadsKeepOneChain() throws Exception {
        manyWriters(Thread.ofVirtual().factory(), "virtual");
    }

    @Test
    void closedLogAndEntriesHoldNoToken() throws Exception {
        Path path = dir.resolve("closed.jsonl");
        AuditLog log = AuditLog.open(path);
        log.close();
        log.close();
        assertTrue(log.isClosed());
        try (Engine engine = Engine.create()) {
            assertThrows(IllegalStateException.class, () -> log.check(engine, TestSupport.MINIMAL_REQUEST));
        }
        Path full = logOf(10);
        String text = Files.readString(full);
        java.util.regex.Pattern tokenId = java.util.regex.Pattern.compile(
                "customer-token(?::|%3[Aa])([A-Za-z0-9._~-]{4,})");
        int ids = 0;
        for (JsonNode c : VECTORS.get("cases")) {
            var m = tokenId.matcher(c.get("request").asText());
            while (m.find()) {
                ids++;
                assertFalse(text.contains(m.group(1)), "an entry holds a token's id part");
                assertFalse(c.get("entry").asText().contains(m.group(1)), "a vector entry holds a token's id");
            }
        }
        assertTrue(ids > 5, "the vectors carry tokens");
    }
}
