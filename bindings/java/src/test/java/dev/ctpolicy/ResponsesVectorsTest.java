package dev.ctpolicy;

import static dev.ctpolicy.TestSupport.assertError;
import static dev.ctpolicy.TestSupport.cases;
import static dev.ctpolicy.TestSupport.parse;
import static dev.ctpolicy.TestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of tests/vectors/responses.json through {@link CtPolicy#applyResponse}: Klarna's
 * answer turned into the next record. Records compare as JSON values.
 */
class ResponsesVectorsTest {

    @TestFactory
    Stream<DynamicTest> responses() {
        // Skipped only while the shared vector file does not exist yet.
        Assumptions.assumeTrue(Files.isRegularFile(TestSupport.VECTORS.resolve("responses.json")),
                "tests/vectors/responses.json is not in this checkout");
        JsonNode root = TestSupport.readVectors("responses.json");
        return cases(root).stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> responseCase(c)));
    }

    private static void responseCase(JsonNode c) {
        String name = c.get("name").asText();
        String record = c.has("record") && !c.get("record").isNull() ? write(c.get("record")) : null;
        String request = c.has("request_text") ? c.get("request_text").asText() : write(c.get("request"));
        String response = c.has("response_text") ? c.get("response_text").asText() : write(c.get("response"));
        String at = c.get("at").asText();
        JsonNode expect = c.get("expect");
        if (expect.has("error")) {
            CtPolicyException e = assertThrows(CtPolicyException.class,
                    () -> CtPolicy.applyResponse(record, request, response, at), name);
            assertError(expect.get("error"), e, name);
            return;
        }
        Transition t = CtPolicy.applyResponse(record, request, response, at);
        // The same answer past Native.CRITICAL_MAX_BYTES (trailing white space, which JSON
        // allows) takes the copying path, and must give the same transition.
        assertEquals(t, CtPolicy.applyResponse(record, request, response + " ".repeat(Native.CRITICAL_MAX_BYTES), at),
                name + ": past the critical-call size");
        assertEquals(expect.get("changed").asBoolean(), t.changed(), name + ": changed");
        JsonNode expected = expect.get("record");
        if (expected == null || expected.isNull()) {
            assertNull(t.recordJson(), name + ": record");
        } else {
            JsonNode actual = parse(t.recordJson());
            assertTrue(TestSupport.sameValue(expected, actual),
                    name + ": record\n expected " + expected + "\n   actual " + actual);
            JsonNode token = actual.get("customer_token");
            if (token != null && token.isTextual() && !token.asText().isEmpty()) {
                assertFalse(t.toString().contains(token.asText()), name + ": Transition.toString holds the token");
            }
        }
        List<Event> events = new ArrayList<>();
        expect.get("events").forEach(e -> events.add(new Event(e.get("type").asText(), e.get("at").asText())));
        assertEquals(events, t.events(), name + ": events");
    }
}
