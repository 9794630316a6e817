package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** apply_event from Java: TOKENIZED, CHARGED, REVOKED, and the redacted toString. */
class LifecycleTest {

    @Test
    void tokenizeChargeRevoke() {
        String tokenized = """
                {"type":"TOKENIZED","at":"2024-01-15T09:30:00Z",
                 "response":{"result":"APPROVED","customer_token":{"customer_token":"%s",
                   "scopes":["payment:customer_not_present"],"customer_token_reference":"cust_1"}}}
                """.formatted(Samples.TOKEN);
        Transition t1 = CtPolicy.applyEvent(null, tokenized);
        assertTrue(t1.changed());
        JsonNode r1 = TestSupport.parse(t1.recordJson());
        assertEquals("ACTIVE", r1.get("state").asText());
        assertEquals(Samples.TOKEN, r1.get("customer_token").asText());

        Transition t2 = CtPolicy.applyEvent(t1.recordJson(), "{\"type\":\"CHARGED\",\"at\":\"2024-02-15T09:30:00Z\"}");
        assertTrue(t2.changed());
        assertEquals("2024-02-15T09:30:00Z", TestSupport.parse(t2.recordJson()).get("last_used_at").asText());

        // An earlier charge keeps last_used_at but is still an attempt; the same instant again is not.
        Transition earlier = CtPolicy.applyEvent(t2.recordJson(), "{\"type\":\"CHARGED\",\"at\":\"2024-02-01T00:00:00Z\"}");
        assertTrue(earlier.changed());
        JsonNode e = TestSupport.parse(earlier.recordJson());
        assertEquals("2024-02-15T09:30:00Z", e.get("last_used_at").asText());
        assertEquals(2, e.get("attempts").size());
        Transition same = CtPolicy.applyEvent(t2.recordJson(), "{\"type\":\"CHARGED\",\"at\":\"2024-02-15T09:30:00Z\"}");
        assertFalse(same.changed());
        assertEquals(t2.recordJson(), same.recordJson());
        Transition declined = CtPolicy.applyEvent(t2.recordJson(), "{\"type\":\"DECLINED\",\"at\":\"2024-02-16T09:30:00Z\"}");
        assertTrue(declined.changed());
        assertEquals(List.of(), declined.events());
        assertEquals(2, TestSupport.parse(declined.recordJson()).get("attempts").size());

        Transition t3 = CtPolicy.applyEvent(t2.recordJson(),
                "{\"type\":\"REVOKED\",\"at\":\"2024-03-01T00:00:00Z\",\"by\":\"CUSTOMER\"}");
        assertTrue(t3.changed());
        assertEquals("REVOKED", TestSupport.parse(t3.recordJson()).get("state").asText());

        Transition again = CtPolicy.applyEvent(t3.recordJson(),
                "{\"type\":\"REVOKED\",\"at\":\"2024-03-02T00:00:00Z\",\"by\":\"KLARNA\"}");
        assertFalse(again.changed());
    }

    @Test
    void transitionToStringNeverPrintsTheRecord() {
        Transition t = CtPolicy.applyEvent(Samples.RECORD, "{\"type\":\"CHARGED\",\"at\":\"2024-02-15T09:30:00Z\"}");
        assertFalse(t.toString().contains(Samples.TOKEN), t.toString());
        assertFalse(t.toString().contains("a1b2c3d4"), t.toString());
        assertTrue(t.toString().contains("changed=true"), t.toString());
    }

    @Test
    void applyResponseTransitionAndEventsPrintNoToken() {
        String request = "{\"customer_present\":false,\"headers\":{\"Klarna-Customer-Token\":\"" + Samples.TOKEN
                + "\"},\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1}}}";
        Transition t = CtPolicy.applyResponse(Samples.RECORD, request,
                "{\"payment_transaction_response\":{\"result\":\"DECLINED\"}}", "2026-11-30T12:00:00.000Z");
        assertTrue(t.changed());
        assertEquals(List.of(new Event("DECLINED", "2026-11-30T12:00:00.000Z")), t.events());
        assertEquals(Samples.TOKEN, t.customerToken().orElseThrow());
        assertFalse(t.toString().contains("a1b2c3d4"), t.toString());
        assertTrue(t.toString().contains("DECLINED"), t.toString());
        // Whatever a caller stores in an Event, it prints redacted.
        assertFalse(new Event(Samples.TOKEN, Samples.TOKEN).toString().contains("a1b2c3d4"));
        // A one-time payment: no record results.
        Transition none = CtPolicy.applyResponse(null, "{\"customer_present\":true,\"body\":{\"currency\":\"EUR\","
                + "\"request_payment_transaction\":{\"amount\":1}}}",
                "{\"payment_transaction_response\":{\"result\":\"APPROVED\"}}", "2026-11-30T12:00:00Z");
        assertEquals(null, none.recordJson());
        assertFalse(none.changed());
        assertEquals(List.of(), none.events());
        assertTrue(none.customerToken().isEmpty());
    }
}
