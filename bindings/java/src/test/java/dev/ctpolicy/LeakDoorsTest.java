package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * docs/HYGIENE.md H4 in Java: a recognisable token put in each door a caller can misuse comes out of
 * no toString, exception message, error object or printed stack trace (causes and suppressed
 * exceptions included) except as {@code [customer-token sha256:…]}.
 */
class LeakDoorsTest {
    static final String ID = "LeakDoorId7Qx93Zr";
    static final String TOKEN = "krn:customer-token:eu1:" + ID;
    static final String PARTNER_TOKEN = "krn:partner:eu1:live:identity:customer-token:" + ID;

    /** Everything a host might print of a value or an exception. */
    static String printed(Object o) {
        if (o instanceof Throwable t) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            return t + "\n" + t.getMessage() + "\n" + t.getLocalizedMessage() + "\n" + w
                    + (t instanceof CtPolicyException e ? "\n" + e.errorJson() + "\n" + e.path() + "\n" + e.reason()
                            : "");
        }
        return String.valueOf(o);
    }

    static void assertClean(Object o, String door) {
        String text = printed(o);
        assertFalse(text.contains(ID), door + " leaks the token: " + text);
    }

    /** Runs {@code call}: its exception, if any, is searched; returns it. */
    static Throwable thrownBy(Executable call) {
        try {
            call.execute();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    static Charge.Builder renewal() {
        return Charge.builder().customerPresent(false).token(Samples.TOKEN).idempotencyKey("renewal-42")
                .amount(1299).currency("EUR").record(StoredRecord.active(Samples.TOKEN, "payment:customer_not_present"));
    }

    @Test
    void typedDoors() {
        try (Engine engine = Engine.create()) {
            List<Charge> charges = new ArrayList<>();
            charges.add(renewal().currency(TOKEN).build());                                  // token as currency
            charges.add(renewal().currency(PARTNER_TOKEN.replace(":", "%3A")).build());      // URL-encoded
            charges.add(renewal().record(StoredRecord.active(Samples.TOKEN, TOKEN)).build()); // token as a scope
            charges.add(renewal().record(StoredRecord.active("payment:customer_not_present", TOKEN)).build()); // swapped
            charges.add(renewal().token("renewal-42").idempotencyKey(TOKEN).build());        // swapped header values
            charges.add(renewal().token(TOKEN + "\uD800").build());                          // not valid Unicode
            charges.add(renewal().record(StoredRecord.active(TOKEN + "\uDC00", "payment:customer_not_present")).build());
            for (Charge c : charges) {
                assertClean(c, "Charge.toString");
                assertClean(c.record(), "StoredRecord.toString");
                assertClean(c.toBuilder(), "Charge.Builder");
                Throwable t = thrownBy(() -> assertClean(engine.checkCharge(c), "Verdict.toString"));
                if (t instanceof AssertionError a) {
                    throw a;
                }
                assertClean(t, "checkCharge exception");
            }
            Verdict v = engine.checkCharge(charges.get(0));
            assertEquals(List.of("CURRENCY_INVALID"), v.codes());
            assertTrue(charges.get(0).toString().contains("[customer-token sha256:"), charges.get(0).toString());
            assertTrue(charges.get(2).record().toString().contains("[customer-token sha256:"));
        }
    }

    /** JSON requests with the token where it does not belong. */
    static List<String> jsonDoors() {
        String r = Samples.RENEWAL;
        return List.of(
                r.replace("\"decision_id\":\"dec-1\"", "\"decision_id\":\"" + TOKEN + "\""),
                r.replace("\"decision_id\":\"dec-1\"", "\"" + TOKEN + "\":1"),                     // unknown top-level key
                r.replace("\"headers\":{", "\"headers\":{\"" + TOKEN + "\":\"x\","),               // header named by it
                r.replace("\"headers\":{", "\"headers\":{\"" + TOKEN + "\":\"x\",\"" + TOKEN.toUpperCase() + "\":\"y\","),
                r.replace("\"decision_id\":\"dec-1\"", "\"counters\":{\"" + TOKEN + "\":1}"),       // unknown counters key
                r.replace("\"sub_8842\"}]", "\"sub_8842\",\"" + TOKEN + "\":1,\"" + TOKEN + "\":2}]"), // duplicate key
                r.replace("\"decision_id\":\"dec-1\"", "\"decision_id\":\"" + TOKEN + "\",\"decision_id\":\"x\""),
                "{\"" + TOKEN + "\":",                                                               // broken JSON
                r.replace("\"currency\":\"EUR\"", "\"currency\":\"" + TOKEN + "\""));
    }

    @Test
    void jsonDoors_checkBatchAndAudit() throws Exception {
        java.nio.file.Path log = java.nio.file.Files.createTempFile("leak-doors", ".jsonl");
        java.nio.file.Files.delete(log);
        try (Engine engine = Engine.create(); AuditLog audit = AuditLog.open(log)) {
            for (String request : jsonDoors()) {
                Throwable t = thrownBy(() -> {
                    Decision d = engine.check(request);
                    assertClean(d, "Decision.toString");
                    assertClean(d.rawJson(), "Decision.rawJson");
                    assertClean(d.violations(), "Violation.toString");
                    assertClean(d.decisionId(), "Decision.decisionId");
                });
                if (t instanceof AssertionError a) {
                    throw a;
                }
                assertClean(t, "check exception");
                assertClean(thrownBy(() -> audit.check(engine, request)), "audited check exception");
            }
            BatchResult batch = engine.checkMany(jsonDoors());
            assertClean(batch, "BatchResult.toString");
            for (CheckResult r : batch.results()) {
                if (r instanceof CheckResult.Failed f) {
                    assertClean(f.error(), "batch error");
                }
            }
        } finally {
            if (java.nio.file.Files.exists(log)) {
                assertClean(java.nio.file.Files.readString(log), "audit entries");
                java.nio.file.Files.delete(log);
            }
        }
    }

    @Test
    void policyEventAndTokenDoors() {
        List<Executable> calls = List.of(
                () -> Engine.create("{\"" + TOKEN + "\":1}"),
                () -> Engine.create("{\"allowed_regions\":[\"" + TOKEN + "\"]}"),
                () -> Engine.create("{\"allowed_currencies\":[\"" + TOKEN + "\"]}"),
                () -> CtPolicy.applyEvent(Samples.RECORD, "{\"type\":\"" + TOKEN + "\"}"),
                () -> CtPolicy.applyEvent(Samples.RECORD, "{\"" + TOKEN + "\":1}"),
                () -> CtPolicy.applyEvent("{\"" + TOKEN + "\":", "{\"type\":\"REVOKED\"}"),
                () -> CtPolicy.parseToken(TOKEN + " x"),
                () -> CtPolicy.parseToken("krn:payment:eu1:" + ID),
                () -> AuditLog.verify(java.nio.file.Path.of("/nonexistent/" + TOKEN)),
                () -> AuditLog.verify(java.nio.file.Path.of("/tmp"), TOKEN),
                () -> AuditLog.open(java.nio.file.Path.of("/nonexistent/" + TOKEN)));
        int thrown = 0;
        for (Executable call : calls) {
            Throwable t = thrownBy(call);
            if (t != null) {
                thrown++;
                assertClean(t, "exception");
                for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
                    assertClean(c, "cause");
                }
            }
        }
        assertTrue(thrown >= 8, "most doors are faults: " + thrown);
    }

    @Test
    void exceptionsNameTheFieldNotTheValue() {
        try (Engine engine = Engine.create()) {
            NullPointerException npe = assertThrows(NullPointerException.class,
                    () -> engine.checkCharge(renewal().currency(null).build()));
            assertEquals("currency", npe.getMessage());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AuditLog.verify(java.nio.file.Path.of("/tmp/x"), TOKEN));
            assertClean(e, "expectHead fault");
        }
        if (!printed(new RuntimeException(TOKEN)).contains(ID)) {
            fail("the search itself finds a token");
        }
    }
}
