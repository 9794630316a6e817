package dev.ctpolicy;

import static dev.ctpolicy.TestSupport.assertError;
import static dev.ctpolicy.TestSupport.cases;
import static dev.ctpolicy.TestSupport.input;
import static dev.ctpolicy.TestSupport.parse;
import static dev.ctpolicy.TestSupport.readVectors;
import static dev.ctpolicy.TestSupport.textOrNull;
import static dev.ctpolicy.TestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every case of tests/vectors/*.json, one dynamic test each, named after the case. */
class VectorsTest {
    private static final Map<String, Engine> ENGINES = new HashMap<>();

    @AfterAll
    static void closeEngines() {
        ENGINES.values().forEach(Engine::close);
    }

    static synchronized Engine engineFor(JsonNode root, String policyName) {
        return ENGINES.computeIfAbsent(policyName, name -> {
            JsonNode policy = root.get("policies").get(name);
            assertNotNull(policy, "unknown policy " + name);
            return Engine.create(write(policy));
        });
    }

    // ------------------------------------------------------------------ check.json

    @TestFactory
    Stream<DynamicTest> check() {
        JsonNode root = readVectors("check.json");
        return cases(root).stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> checkCase(root, c)));
    }

    private void checkCase(JsonNode root, JsonNode c) {
        String name = c.get("name").asText();
        Engine engine = engineFor(root, c.has("policy") ? c.get("policy").asText() : "default");
        Object request = TestSupport.request(c);
        JsonNode expect = c.get("expect");
        String token = headerToken(c);
        if (expect.has("error")) {
            CtPolicyException e = assertThrows(CtPolicyException.class, () -> run(engine, request), name);
            assertError(expect.get("error"), e, name);
            assertNoToken(token, e.getMessage(), name);
            assertNoToken(token, e.errorJson(), name);
            return;
        }
        Decision d = run(engine, request);
        assertDecision(expect, d, name);
        assertTypedMatchesRaw(d, name);
        assertNoToken(token, d.rawJson(), name);
        assertNoToken(token, d.toString(), name);
    }

    private static Decision run(Engine engine, Object request) {
        return request instanceof byte[] bytes ? engine.check(bytes) : engine.check((String) request);
    }

    static void assertDecision(JsonNode expect, Decision d, String name) {
        if (expect.has("decision")) {
            assertEquals(expect.get("decision").asText(), d.decision(), name + ": decision " + d);
        }
        assertEquals("ALLOW".equals(d.decision()), d.allowed(), name);
        assertEquals(d.allowed(), d.violations().isEmpty(), name + ": DENY exactly when violations");
        if (expect.has("required_scope")) {
            assertEquals(textOrNull(expect.get("required_scope")), d.requiredScope(), name + ": required_scope");
        }
        if (expect.has("violations")) {
            assertHits(expect.get("violations"), d.violations(), name + ": violations");
        }
        if (expect.has("warnings")) {
            assertHits(expect.get("warnings"), d.warnings(), name + ": warnings");
        }
        if (expect.has("token")) {
            JsonNode t = expect.get("token");
            if (t.isNull()) {
                assertNull(d.token(), name + ": token");
            } else {
                assertNotNull(d.token(), name + ": token");
                assertToken(t, d.token(), name);
            }
        }
        if (expect.has("decision_id")) {
            assertEquals(textOrNull(expect.get("decision_id")), d.decisionId(), name + ": decision_id");
        }
        if (expect.has("policy_digest")) {
            assertEquals(textOrNull(expect.get("policy_digest")), d.policyDigest(), name + ": policy_digest");
        }
    }

    private static void assertHits(JsonNode expected, List<Violation> actual, String what) {
        List<String> expectedCodes = new ArrayList<>();
        expected.forEach(e -> expectedCodes.add(e.get("code").asText()));
        assertEquals(expectedCodes, actual.stream().map(Violation::code).toList(), what + " codes");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i);
            Violation v = actual.get(i);
            if (e.has("id")) {
                assertEquals(e.get("id").asInt(), v.id(), what + "[" + i + "].id");
            }
            if (e.has("severity")) {
                assertEquals(textOrNull(e.get("severity")), v.severity(), what + "[" + i + "].severity");
            }
            if (e.has("path")) {
                assertEquals(textOrNull(e.get("path")), v.path(), what + "[" + i + "].path");
            }
            if (e.has("detail")) {
                assertEquals(textOrNull(e.get("detail")), v.detail(), what + "[" + i + "].detail");
            }
        }
    }

    private static void assertToken(JsonNode expected, TokenInfo actual, String name) {
        if (expected.has("form")) {
            assertEquals(textOrNull(expected.get("form")), actual.form(), name + ": token.form");
        }
        if (expected.has("region")) {
            assertEquals(textOrNull(expected.get("region")), actual.region(), name + ": token.region");
        }
        if (expected.has("environment")) {
            assertEquals(textOrNull(expected.get("environment")), actual.environment(), name + ": token.environment");
        }
        if (expected.has("fingerprint")) {
            assertEquals(textOrNull(expected.get("fingerprint")), actual.fingerprint(), name + ": token.fingerprint");
        }
    }

    /** The typed Decision (read by dev.ctpolicy.Json) says what Jackson reads in rawJson. */
    private static void assertTypedMatchesRaw(Decision d, String name) {
        JsonNode raw = parse(d.rawJson());
        assertEquals(raw.get("decision").asText(), d.decision(), name);
        assertEquals(textOrNull(raw.get("required_scope")), d.requiredScope(), name);
        for (String list : List.of("violations", "warnings")) {
            List<Violation> typed = list.equals("violations") ? d.violations() : d.warnings();
            JsonNode arr = raw.get(list);
            assertEquals(arr.size(), typed.size(), name + ": " + list);
            for (int i = 0; i < arr.size(); i++) {
                JsonNode v = arr.get(i);
                Violation t = typed.get(i);
                assertEquals(v.get("id").asInt(), t.id(), name);
                assertEquals(v.get("code").asText(), t.code(), name);
                assertEquals(v.get("severity").asText(), t.severity(), name);
                assertEquals(v.get("message").asText(), t.message(), name);
                assertEquals(textOrNull(v.get("path")), t.path(), name);
                assertEquals(textOrNull(v.get("detail")), t.detail(), name);
                assertTrue(t.reason().isPresent(), name + ": ReasonCode knows " + t.code());
                assertEquals(t.code(), t.reason().get().code(), name);
            }
        }
        JsonNode receipt = raw.get("receipt");
        assertEquals(receipt.size(), d.receipt().size(), name);
        receipt.fieldNames().forEachRemaining(k -> assertEquals(textOrNull(receipt.get(k)), d.receipt().get(k), name));
        assertEquals(List.copyOf(iterable(receipt.fieldNames())), List.copyOf(d.receipt().keySet()), name + ": key order");
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /** The customer-token header value of a case, when it is long enough to search for. */
    static String headerToken(JsonNode c) {
        JsonNode request = c.get("request");
        if (request == null && c.has("request_text")) {
            try {
                request = parse(c.get("request_text").asText());
            } catch (RuntimeException notJson) {
                return null;
            }
        }
        if (request == null || !request.has("headers") || !request.get("headers").isObject()) {
            return null;
        }
        for (var it = request.get("headers").fields(); it.hasNext();) {
            var e = it.next();
            if (e.getKey().equalsIgnoreCase("Klarna-Customer-Token") && e.getValue().isTextual()) {
                String v = e.getValue().asText();
                return v.length() >= 12 ? v : null;
            }
        }
        return null;
    }

    static void assertNoToken(String token, String text, String name) {
        if (token != null && text != null) {
            assertFalse(text.contains(token), name + ": output holds the raw token");
        }
    }

    // ------------------------------------------------------------------ tokens.json

    @TestFactory
    Stream<DynamicTest> tokens() {
        JsonNode root = readVectors("tokens.json");
        return cases(root).stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> tokenCase(c)));
    }

    private void tokenCase(JsonNode c) {
        String name = c.get("name").asText();
        JsonNode expect = c.get("expect");
        byte[] bytes = c.has("token_base64") ? input(c, "token") : null;
        String token = bytes == null ? c.get("token").asText() : null;
        if (expect.has("error")) {
            TokenFormatException e = assertThrows(TokenFormatException.class,
                    () -> parseToken(token, bytes), name);
            assertError(expect.get("error"), e, name);
            if (token != null && token.length() >= 6) {
                assertFalse(e.getMessage().contains(token), name + ": message holds the token");
                assertFalse(e.errorJson().contains(token), name + ": error object holds the token");
            }
            return;
        }
        TokenInfo info = parseToken(token, bytes);
        assertToken(expect, info, name);
        if (token != null) {
            assertFalse(info.toString().contains(token), name);
            // The String and byte[] forms agree.
            assertEquals(info, CtPolicy.parseToken(token.getBytes(StandardCharsets.UTF_8)), name);
        }
    }

    private static TokenInfo parseToken(String token, byte[] bytes) {
        return bytes != null ? CtPolicy.parseToken(bytes) : CtPolicy.parseToken(token);
    }

    // ------------------------------------------------------------------ lifecycle.json

    @TestFactory
    Stream<DynamicTest> lifecycle() {
        JsonNode root = readVectors("lifecycle.json");
        return cases(root).stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> lifecycleCase(c)));
    }

    private void lifecycleCase(JsonNode c) {
        String name = c.get("name").asText();
        String record = c.has("record_text") ? c.get("record_text").asText()
                : c.has("record") && !c.get("record").isNull() ? write(c.get("record")) : null;
        String event = c.has("event_text") ? c.get("event_text").asText() : write(c.get("event"));
        JsonNode expect = c.get("expect");
        if (expect.has("error")) {
            CtPolicyException e = assertThrows(CtPolicyException.class, () -> CtPolicy.applyEvent(record, event), name);
            assertError(expect.get("error"), e, name);
            return;
        }
        Transition t = CtPolicy.applyEvent(record, event);
        assertEquals(expect.get("changed").asBoolean(), t.changed(), name + ": changed");
        JsonNode actual = parse(t.recordJson());
        assertTrue(TestSupport.sameValue(expect.get("record"), actual),
                name + ": record\n expected " + expect.get("record") + "\n   actual " + actual);
        JsonNode token = actual.get("customer_token");
        if (token != null && token.isTextual() && !token.asText().isEmpty()) {
            assertFalse(t.toString().contains(token.asText()), name + ": Transition.toString holds the token");
        }
    }

    // ------------------------------------------------------------------ policies.json

    @TestFactory
    Stream<DynamicTest> policies() {
        JsonNode root = readVectors("policies.json");
        return cases(root).stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> policyCase(c)));
    }

    private void policyCase(JsonNode c) {
        String name = c.get("name").asText();
        byte[] policy = input(c, "policy");
        JsonNode expect = c.get("expect");
        if (expect.has("error")) {
            CtPolicyException e = assertThrows(CtPolicyException.class, () -> Engine.createFromBytes(policy), name);
            assertError(expect.get("error"), e, name);
            return;
        }
        try (Engine engine = Engine.createFromBytes(policy)) {
            Decision d = engine.check(TestSupport.MINIMAL_REQUEST);
            if (expect.has("digest")) {
                assertEquals(expect.get("digest").asText(), d.policyDigest(), name + ": digest");
            }
        } catch (CtPolicyException e) {
            fail(name + ": " + e.getMessage(), e);
        }
    }
}
