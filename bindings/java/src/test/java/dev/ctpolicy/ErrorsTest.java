package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input: a clear exception, never a crash, never a token in the message. */
class ErrorsTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.create();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void nullArgumentsThrowNullPointerExceptionNamingTheArgument() {
        assertEquals("requestJson", assertThrows(NullPointerException.class, () -> engine.check((String) null)).getMessage());
        assertEquals("requestJson", assertThrows(NullPointerException.class, () -> engine.check((byte[]) null)).getMessage());
        assertEquals("token", assertThrows(NullPointerException.class, () -> CtPolicy.parseToken((String) null)).getMessage());
        assertEquals("token", assertThrows(NullPointerException.class, () -> CtPolicy.parseToken((byte[]) null)).getMessage());
        assertEquals("eventJson", assertThrows(NullPointerException.class, () -> CtPolicy.applyEvent(null, null)).getMessage());
    }

    @Test
    void invalidJson() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> engine.check("{not json"));
        assertEquals("INVALID_REQUEST", e.status());
        assertEquals(100, e.statusCode());
        assertEquals("JSON_SYNTAX", e.code());
        assertNotNull(e.reason());
        assertTrue(e.getMessage().startsWith("INVALID_REQUEST JSON_SYNTAX"), e.getMessage());
        assertTrue(e.errorJson().startsWith("{\"error\""), e.errorJson());
    }

    @Test
    void emptyInput() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> engine.check(""));
        assertEquals("JSON_SYNTAX", e.code());
        assertThrows(InvalidRequestException.class, () -> engine.check(new byte[0]));
    }

    @Test
    void duplicateKeyNamesThePath() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> engine.check("{\"customer_present\":true,\"body\":{\"a\":1,\"a\":2}}"));
        assertEquals("DUPLICATE_KEY", e.code());
        assertEquals("/body/a", e.path());
        assertTrue(e.getMessage().contains("at /body/a"), e.getMessage());
    }

    @Test
    void invalidUtf8Bytes() {
        byte[] bad = "{\"customer_present\":true,\"body\":{\"x\":\"\u00e9\"}}".getBytes(StandardCharsets.ISO_8859_1);
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> engine.check(bad));
        assertEquals("INVALID_UTF8", e.status());
        assertEquals(2, e.statusCode());
    }

    @Test
    void unpairedSurrogateInAJavaStringIsInvalidUtf8NotAQuestionMark() {
        // String.getBytes would send '?' here; the binding must not change the request.
        String request = "{\"customer_present\":true,\"body\":{\"x\":\"\ud800\"}}";
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> engine.check(request));
        assertEquals("INVALID_UTF8", e.status());
        // A token made valid by the replacement must still be rejected.
        TokenFormatException t = assertThrows(TokenFormatException.class,
                () -> CtPolicy.parseToken("krn:customer-token:eu1:ab\udc00cd"));
        assertEquals("INVALID_UTF8", t.status());
        // A valid pair and a real '?' still go through unchanged.
        assertTrue(engine.check("{\"customer_present\":true,\"body\":{\"x\":\"?\ud83d\ude00\"}}").rawJson()
                .startsWith("{"));
        assertEquals("JSON_SYNTAX", assertThrows(InvalidRequestException.class, () -> engine.check("?")).code());
    }

    @Test
    void envelopeFaults() {
        assertEquals("MISSING_FIELD",
                assertThrows(InvalidRequestException.class, () -> engine.check("{\"customer_present\":true}")).code());
        assertEquals("WRONG_TYPE", assertThrows(InvalidRequestException.class, () -> engine.check("[]")).code());
        InvalidRequestException unknown = assertThrows(InvalidRequestException.class,
                () -> engine.check("{\"customer_present\":true,\"body\":{},\"extra\":1}"));
        assertEquals("UNKNOWN_FIELD", unknown.code());
        assertEquals("/extra", unknown.path());
    }

    @Test
    void tooLargeRequest() {
        StringBuilder sb = new StringBuilder("{\"customer_present\":true,\"body\":{\"pad\":\"");
        sb.append("x".repeat(1_100_000)).append("\"}}");
        assertEquals("TOO_LARGE", assertThrows(InvalidRequestException.class, () -> engine.check(sb.toString())).code());
    }

    @Test
    void badPolicy() {
        PolicyException e = assertThrows(PolicyException.class, () -> Engine.create("{\"allowed_region\":[\"eu1\"]}"));
        assertEquals("INVALID_POLICY", e.status());
        assertEquals("UNKNOWN_FIELD", e.code());
        assertEquals("/allowed_region", e.path());
        assertEquals("INVALID_POLICY", assertThrows(PolicyException.class, () -> Engine.create("not json")).status());
        // As in the C ABI, empty policy text is "no policy": the default (not a JSON error).
        try (Engine empty = Engine.create(""); Engine dflt = Engine.create()) {
            assertEquals(dflt.check(Samples.RENEWAL).policyDigest(), empty.check(Samples.RENEWAL).policyDigest());
        }
        assertEquals("INVALID_UTF8",
                assertThrows(PolicyException.class, () -> Engine.create(new byte[] {'{', (byte) 0xff, '}'})).status());
    }

    @Test
    void malformedTokenNamesTheFaultNotTheToken() {
        String token = "krn:customer-token:EU1:secret-id-0123456789";
        TokenFormatException e = assertThrows(TokenFormatException.class, () -> CtPolicy.parseToken(token));
        assertEquals("TOKEN_INVALID", e.status());
        assertEquals("TOKEN_MALFORMED", e.code());
        assertEquals("BAD_REGION", e.detail());
        assertFalse(e.getMessage().contains("secret-id"), e.getMessage());
        assertFalse(e.toString().contains("secret-id"), e.toString());
        assertFalse(e.errorJson().contains("secret-id"), e.errorJson());

        TokenFormatException wrong = assertThrows(TokenFormatException.class,
                () -> CtPolicy.parseToken("krn:payment:eu1:klarna-network-session-token:abcdef"));
        assertEquals("TOKEN_WRONG_TYPE", wrong.code());
        assertNull(wrong.detail());
        assertEquals("EMPTY", assertThrows(TokenFormatException.class, () -> CtPolicy.parseToken("")).detail());
    }

    @Test
    void rejectedTransition() {
        TransitionException e = assertThrows(TransitionException.class,
                () -> CtPolicy.applyEvent(null, "{\"type\":\"CHARGED\",\"at\":\"2024-06-15T09:30:00Z\"}"));
        assertEquals("TRANSITION_REJECTED", e.status());
        assertEquals(103, e.statusCode());
        assertEquals("RECORD_REQUIRED", e.code());

        String revoked = Samples.RECORD.replace("ACTIVE", "REVOKED");
        TransitionException r = assertThrows(TransitionException.class,
                () -> CtPolicy.applyEvent(revoked, "{\"type\":\"CHARGED\",\"at\":\"2024-06-15T09:30:00Z\"}"));
        assertEquals("TOKEN_REVOKED", r.code());
        assertFalse(r.getMessage().contains(Samples.TOKEN), r.getMessage());
        assertFalse(r.errorJson().contains(Samples.TOKEN), r.errorJson());

        InvalidRequestException bad = assertThrows(InvalidRequestException.class,
                () -> CtPolicy.applyEvent(Samples.RECORD, "{\"type\":"));
        assertEquals("INVALID_REQUEST", bad.status());
    }

    @Test
    void exceptionHierarchyIsExhaustive() {
        CtPolicyException e = assertThrows(CtPolicyException.class, () -> engine.check("{"));
        String kind = switch (e) {
            case InvalidRequestException x -> "request";
            case PolicyException x -> "policy";
            case TokenFormatException x -> "token";
            case TransitionException x -> "transition";
            case EngineException x -> "engine";
            case AuditLogException x -> "audit";
            case RecordNotStoredException x -> "record";
        };
        assertEquals("request", kind);
    }
}
