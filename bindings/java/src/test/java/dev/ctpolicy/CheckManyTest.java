package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Engine#checkMany} gives, for every request, what {@link Engine#check(String)} gives. */
class CheckManyTest {

    /** The decision JSON or error object, and the exception class, of one result. */
    private static String raw(CheckResult r) {
        return switch (r) {
            case CheckResult.Decided(Decision d) -> d.rawJson();
            case CheckResult.Failed(CtPolicyException e) -> e.getClass().getSimpleName() + " " + e.errorJson();
        };
    }

    private static String single(Engine engine, String request) {
        try {
            return engine.check(request).rawJson();
        } catch (CtPolicyException e) {
            return e.getClass().getSimpleName() + " " + e.errorJson();
        }
    }

    private static void assertSameAsCheck(Engine engine, List<String> requests, String what) {
        BatchResult batch = engine.checkMany(requests);
        List<CheckResult> results = batch.results();
        assertEquals(requests.size(), results.size(), what);
        long allowed = results.stream().filter(CheckResult::allowed).count();
        long failed = results.stream().filter(r -> r instanceof CheckResult.Failed).count();
        assertEquals(allowed, batch.allowed(), what);
        assertEquals(failed, batch.undecided(), what);
        assertEquals(requests.size() - allowed - failed, batch.denied(), what);
        for (int i = 0; i < requests.size(); i++) {
            assertEquals(single(engine, requests.get(i)), raw(results.get(i)), what + " #" + i + ": " + requests.get(i));
            CheckResult r = results.get(i);
            if (r instanceof CheckResult.Decided d) {
                assertEquals(d.decision().allowed(), r.allowed());
                assertEquals(d.decision(), r.decisionOrThrow());
            } else {
                assertFalse(r.allowed());
                assertThrows(CtPolicyException.class, r::decisionOrThrow);
            }
        }
    }

    @Test
    void everyCheckVectorPerPolicy() {
        JsonNode root = TestSupport.readVectors("check.json");
        Map<String, List<String>> byPolicy = new LinkedHashMap<>();
        int count = 0;
        for (JsonNode c : TestSupport.cases(root)) {
            if (c.has("request_base64")) {
                continue; // bytes, not a String: check(byte[]) only
            }
            String request = (String) TestSupport.request(c);
            assertFalse(request.contains("\n"), c.get("name").asText());
            byPolicy.computeIfAbsent(c.has("policy") ? c.get("policy").asText() : "default", k -> new ArrayList<>())
                    .add(request);
            count++;
        }
        assertTrue(count > 300, "vectors: " + count);
        for (var e : byPolicy.entrySet()) {
            try (Engine engine = Engine.create(TestSupport.write(root.get("policies").get(e.getKey())))) {
                assertSameAsCheck(engine, e.getValue(), e.getKey());
                // All vectors through one engine, in one call, too.
            }
        }
        List<String> all = new ArrayList<>();
        byPolicy.values().forEach(all::addAll);
        try (Engine strict = Engine.create(TestSupport.write(root.get("policies").get("strict")))) {
            assertSameAsCheck(strict, all, "all vectors under strict");
        }
    }

    @Test
    void newlinesBlanksAndBadInputAreEachTheirOwnItem() {
        String compact = Samples.RENEWAL.replace("\n", "");
        List<String> requests = List.of(
                compact,
                Samples.RENEWAL,                           // pretty-printed: raw newlines, valid JSON
                "",                                        // blank: the batch would skip it
                "   \t\r",
                Samples.RENEWAL_REVOKED.replace("\n", "\r\n"),
                "not json",
                "{\"customer_present\":true,\"body\":{}}\r",
                "{\"customer_present\":true,\"body\":{},\"x\":\"\uD800\"}", // unpaired surrogate: INVALID_UTF8
                "{\"customer_present\":true}",
                compact);
        try (Engine engine = Engine.create()) {
            assertSameAsCheck(engine, requests, "mixed");
            List<CheckResult> results = engine.checkMany(requests).results();
            assertTrue(results.get(0).allowed());
            assertTrue(results.get(1).allowed());
            assertInstanceOf(CheckResult.Failed.class, results.get(2));
            assertFalse(results.get(4).allowed());
            CheckResult.Failed utf8 = assertInstanceOf(CheckResult.Failed.class, results.get(7));
            assertEquals("INVALID_UTF8", utf8.error().status());
            assertInstanceOf(InvalidRequestException.class, utf8.error());
        }
    }

    @Test
    void manyRenewals() {
        String compact = Samples.RENEWAL.replace("\n", "");
        List<String> requests = Collections.nCopies(10_000, compact);
        try (Engine engine = Engine.create()) {
            String expected = engine.check(compact).rawJson();
            BatchResult batch = engine.checkMany(requests);
            List<CheckResult> results = batch.results();
            assertEquals(10_000, results.size());
            assertEquals(10_000, batch.allowed());
            assertTrue(batch.allAllowed());
            for (CheckResult r : results) {
                assertEquals(expected, raw(r));
            }
        }
    }

    @Test
    void edges() {
        try (Engine engine = Engine.create()) {
            assertEquals(new BatchResult(List.of(), 0, 0, 0), engine.checkMany(List.of()));
            assertThrows(NullPointerException.class, () -> engine.checkMany(null));
            assertThrows(NullPointerException.class, () -> engine.checkMany(Arrays.asList("{}", null)));
            List<CheckResult> one = engine.checkMany(List.of(TestSupport.MINIMAL_REQUEST)).results();
            assertEquals(1, one.size());
            assertThrows(UnsupportedOperationException.class, () -> one.add(one.get(0)));
        }
        Engine closed = Engine.create();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.checkMany(List.of("{}")));
    }
}
