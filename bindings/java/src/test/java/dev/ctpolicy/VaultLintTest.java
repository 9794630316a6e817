package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link VaultLint} on every case of tests/vectors/vault.json, as the Python binding's runner
 * reads them, plus its options, shards and life cycle.
 */
class VaultLintTest {
    private static final String GOOD = "{\"customer_token\":\"krn:customer-token:eu1:abcdef12\","
            + "\"customer_token_reference\":\"r1\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\","
            + "\"created_at\":\"2026-01-01T00:00:00Z\",\"customer_id\":\"c1\"}";

    /** One record of an export, with its file and 1-based line number. */
    private record Fed(String file, long number, byte[] data) {
    }

    /** The non-blank lines (LF ends a line; spaces, tabs and CR only are blank). */
    private static List<Fed> records(String file, byte[] data) {
        List<Fed> out = new ArrayList<>();
        int start = 0;
        long number = 1;
        for (int i = 0; i <= data.length; i++) {
            if (i == data.length || data[i] == '\n') {
                if (i == data.length && start == i) {
                    break; // a final LF ends the last line
                }
                byte[] line = java.util.Arrays.copyOfRange(data, start, i);
                boolean blank = true;
                for (byte b : line) {
                    blank &= b == ' ' || b == '\t' || b == '\r';
                }
                if (!blank) {
                    out.add(new Fed(file, number, line));
                }
                number++;
                start = i + 1;
            }
        }
        return out;
    }

    @Test
    void everyVaultVector() {
        JsonNode root = TestSupport.readVectors("vault.json");
        int cases = 0;
        for (JsonNode c : TestSupport.cases(root)) {
            String name = c.get("name").asText();
            JsonNode options = c.get("options");
            VaultLint.Builder builder = VaultLint.builder();
            if (options.hasNonNull("policy")) {
                builder.policy(TestSupport.write(options.get("policy")));
            }
            if (options.hasNonNull("now")) {
                builder.now(options.get("now").asText());
            }
            if (options.hasNonNull("stale_days")) {
                builder.staleDays(options.get("stale_days").asLong());
            }
            List<Fed> fed = new ArrayList<>();
            ArrayNode got = TestSupport.MAPPER.createArrayNode();
            try (VaultLint lint = builder.build()) {
                for (JsonNode f : c.get("files")) {
                    byte[] data = f.has("text") ? f.get("text").asText().getBytes(StandardCharsets.UTF_8)
                            : Base64.getDecoder().decode(f.get("base64").asText());
                    for (Fed record : records(f.get("name").asText(), data)) {
                        fed.add(record);
                        for (VaultFinding finding : lint.feed(record.data())) {
                            assertEquals(fed.size(), finding.line(), name);
                            got.add(cliView(finding, fed));
                        }
                    }
                }
                assertEquals(fed.size(), lint.recordsFed(), name);
            }
            assertTrue(TestSupport.sameValue(c.get("findings"), got), name + ": expected " + c.get("findings") + ", got " + got);
            cases++;
        }
        assertTrue(cases >= 30, "cases: " + cases);
    }

    /** The finding as the command line prints it: file names and per-file line numbers. */
    private static ObjectNode cliView(VaultFinding f, List<Fed> fed) {
        Fed record = fed.get((int) f.line() - 1);
        ObjectNode o = TestSupport.MAPPER.createObjectNode();
        o.put("file", record.file());
        o.put("line", record.number());
        o.put("code", f.code());
        o.put("severity", f.severity());
        o.put("detail", f.detail());
        o.put("fingerprint", f.fingerprint());
        if (f.relatedLine() == 0) {
            o.putNull("related_line");
            o.putNull("related_file");
        } else {
            Fed related = fed.get((int) f.relatedLine() - 1);
            o.put("related_line", related.number());
            o.put("related_file", related.file());
        }
        return o;
    }

    @Test
    void feedFindsDuplicatesAndUnreadableRecords() {
        try (VaultLint lint = VaultLint.create()) {
            assertEquals(List.of(), lint.feed(GOOD));
            List<VaultFinding> dup = lint.feed(GOOD.getBytes(StandardCharsets.UTF_8));
            assertEquals(1, dup.size());
            assertEquals("DUPLICATE_TOKEN", dup.get(0).code());
            assertEquals(2, dup.get(0).line());
            assertEquals(1, dup.get(0).relatedLine());
            assertTrue(dup.get(0).isError());
            assertTrue(dup.get(0).fingerprint().startsWith("sha256:"));
            VaultFinding unreadable = lint.feed(new byte[] {(byte) 0xff}).get(0);
            assertEquals("RECORD_UNREADABLE", unreadable.code());
            assertEquals("INVALID_UTF8", unreadable.detail());
            assertEquals(null, unreadable.fingerprint());
            assertEquals(3, lint.recordsFed());
            assertFalse((dup + " " + lint).contains("abcdef12"));
        }
    }

    @Test
    void timeOptions() {
        String broken = GOOD.replace("abcdef12\"", "abcdef12\\n\"").replace("\"r1\"", "\"r2\"");
        try (VaultLint lint = VaultLint.builder().now(Instant.parse("2026-11-30T00:00:00Z")).staleDays(30).build()) {
            List<String> got = lint.lint(List.of(GOOD, broken, "[]")).stream()
                    .map(f -> f.line() + " " + f.code() + " " + f.detail()).toList();
            assertEquals(List.of("1 STALE null", "2 TOKEN_MALFORMED INVALID_CHARACTER", "2 STALE null",
                    "3 RECORD_UNREADABLE NOT_AN_OBJECT"), got);
        }
    }

    @Test
    void badOptionsThrowAndNeverEchoTheValue() {
        PolicyException policy = assertThrows(PolicyException.class,
                () -> VaultLint.builder().policy("{\"allowed_region\":[\"eu1\"]}").build());
        assertEquals("UNKNOWN_FIELD", policy.code());
        EngineException now = assertThrows(EngineException.class,
                () -> VaultLint.builder().now("krn:customer-token:eu1:secret77").build());
        assertEquals("INVALID_NOW", now.code());
        assertFalse(now.getMessage().contains("secret77"));
        EngineException stale = assertThrows(EngineException.class, () -> VaultLint.builder().staleDays(3).build());
        assertEquals("STALE_DAYS_NEED_NOW", stale.code());
        assertThrows(IllegalArgumentException.class, () -> VaultLint.builder().staleDays(-1));
        for (long[] bad : new long[][] {{0, 3}, {4, 3}, {1, 0}}) {
            assertThrows(IllegalArgumentException.class, () -> VaultLint.builder().shard(bad[0], bad[1]));
        }
    }

    @Test
    void aClosedLintRefusesToFeed() {
        VaultLint lint = VaultLint.create();
        lint.close();
        lint.close();
        assertTrue(lint.isClosed());
        assertThrows(IllegalStateException.class, () -> lint.feed(GOOD));
        assertTrue(lint.toString().contains("closed"));
    }

    private static long shardOf(String text, long count) throws Exception {
        byte[] sum = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        return 1 + Long.remainderUnsigned(ByteBuffer.wrap(sum, 0, 8).getLong(), count);
    }

    private static List<String> shardRecords() {
        String base = "{\"customer_token\":\"krn:customer-token:eu1:t%d\",\"customer_token_reference\":\"r%d\","
                + "\"scopes\":[\"payment:customer_present\"],\"state\":\"ACTIVE\",\"created_at\":\"2026-01-01T00:00:00Z\"%s}";
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            if (i % 7 == 0) {
                out.add(String.format(base, i / 2, i, "")); // duplicate tokens
            } else if (i % 11 == 0) {
                out.add(String.format(base, i, i / 3, ",\"customer_id\":\"c\"")); // duplicate references
            } else if (i % 13 == 0) {
                out.add("{\"customer_token\":5}");
            } else if (i % 17 == 0) {
                out.add("{oops");
            } else {
                out.add(String.format(base, i, i, ",\"customer_id\":\"c\""));
            }
        }
        return out;
    }

    @Test
    void shardsReportTogetherWhatOneLintReports() throws Exception {
        List<String> records = shardRecords();
        List<VaultFinding> expected;
        try (VaultLint plain = VaultLint.create()) {
            expected = plain.lint(records);
        }
        assertTrue(expected.stream().anyMatch(f -> f.code().equals("DUPLICATE_REFERENCE")));
        assertTrue(expected.stream().anyMatch(f -> f.code().equals("DUPLICATE_TOKEN")));
        List<VaultFinding> union = new ArrayList<>();
        for (long index = 1; index <= 3; index++) {
            try (VaultLint lint = VaultLint.builder().shard(index, 3).build()) {
                assertEquals(index, lint.shardIndex());
                assertEquals(3, lint.shardCount());
                for (VaultFinding f : lint.lint(records)) {
                    String text = records.get((int) f.line() - 1);
                    JsonNode record = text.startsWith("{oops") ? TestSupport.MAPPER.createObjectNode()
                            : TestSupport.parse(text);
                    if (f.code().equals("DUPLICATE_REFERENCE")) {
                        assertEquals(index, shardOf(record.get("customer_token_reference").asText(), 3), text);
                    } else if (record.has("customer_token") && record.get("customer_token").isTextual()) {
                        assertEquals(index, shardOf(record.get("customer_token").asText(), 3), text);
                    } else {
                        assertEquals(1, index, text);
                    }
                    union.add(f);
                }
            }
        }
        // The V1 order of one record's findings: DUPLICATE_REFERENCE is last.
        union.sort(Comparator.comparingLong(VaultFinding::line)
                .thenComparing(f -> f.code().equals("DUPLICATE_REFERENCE")));
        assertEquals(expected, union);
    }
}
