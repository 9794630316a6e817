package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Engine lifecycle: create, check, close, clean. */
class EngineTest {

    @Test
    void defaultPolicyFromNullEmptyObjectAndNoArgumentIsTheSame() {
        try (Engine a = Engine.create(null); Engine b = Engine.create("{}"); Engine c = Engine.create();
                Engine d = Engine.createFromBytes(null)) {
            String digest = a.check(Samples.RENEWAL).policyDigest();
            assertTrue(digest.startsWith("sha256:"), digest);
            assertEquals(digest, b.check(Samples.RENEWAL).policyDigest());
            assertEquals(digest, c.check(Samples.RENEWAL).policyDigest());
            assertEquals(digest, d.check(Samples.RENEWAL).policyDigest());
        }
    }

    @Test
    void allowedRenewal() {
        try (Engine engine = Engine.create()) {
            Decision d = engine.check(Samples.RENEWAL);
            assertTrue(d.allowed(), d::toString);
            assertEquals("ALLOW", d.decision());
            assertEquals("payment:customer_not_present", d.requiredScope());
            assertEquals(List.of(), d.violations());
            assertEquals(List.of(), d.warnings());
            assertNotNull(d.token());
            assertEquals("network", d.token().form());
            assertEquals("eu1", d.token().region());
            assertNull(d.token().environment());
            assertTrue(d.token().fingerprint().startsWith("sha256:"));
            assertEquals(CtPolicy.parseToken(Samples.TOKEN), d.token());
            assertEquals("dec-1", d.decisionId());
            assertEquals(CtPolicy.libraryVersion(), d.receipt().get("engine_version"));
            assertEquals(List.of("engine_version", "policy_digest", "decision_id"), List.copyOf(d.receipt().keySet()));
        }
    }

    @Test
    void denyIsADecisionNotAnException() {
        try (Engine engine = Engine.create()) {
            Decision d = engine.check(Samples.RENEWAL_WITH_STEP_UP);
            assertFalse(d.allowed());
            assertEquals("DENY", d.decision());
            assertTrue(d.hasViolation(ReasonCode.STEP_UP_NOT_ALLOWED), d::toString);
            Violation v = d.violations().get(0);
            assertEquals(401, v.id());
            assertEquals("STEP_UP_NOT_ALLOWED", v.code());
            assertEquals("deny", v.severity());
            assertEquals("/body/step_up_config", v.path());
            assertNull(v.detail());
            assertEquals(ReasonCode.STEP_UP_NOT_ALLOWED, v.reason().orElseThrow());
            assertFalse(v.message().isEmpty());
        }
    }

    @Test
    void stringAndBytesGiveTheSameDecision() {
        try (Engine engine = Engine.create()) {
            for (String request : List.of(Samples.RENEWAL, Samples.RENEWAL_REVOKED, Samples.RENEWAL_WITH_STEP_UP)) {
                assertEquals(engine.check(request).rawJson(),
                        engine.check(request.getBytes(StandardCharsets.UTF_8)).rawJson());
            }
        }
    }

    @Test
    void policyIsApplied() {
        try (Engine engine = Engine.create("{\"allowed_regions\":[\"us1\"]}")) {
            Decision d = engine.check(Samples.RENEWAL);
            assertTrue(d.hasViolation(ReasonCode.TOKEN_REGION_NOT_ALLOWED), d::toString);
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailClearly() {
        Engine engine = Engine.create();
        assertFalse(engine.isClosed());
        engine.close();
        engine.close();
        assertTrue(engine.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.check(Samples.RENEWAL));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> engine.check(new byte[0]));
        assertEquals("Engine[closed]", engine.toString());
    }

    @Test
    void closeWhileChecksAreInFlightIsSafe() throws Exception {
        for (int round = 0; round < 20; round++) {
            Engine engine = Engine.create();
            String expected = engine.check(Samples.RENEWAL).rawJson();
            long freedBefore = Engine.freedCount();
            int threads = 8;
            CountDownLatch started = new CountDownLatch(threads);
            AtomicBoolean wrong = new AtomicBoolean();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    pool.submit(() -> {
                        started.countDown();
                        while (true) {
                            try {
                                if (!expected.equals(engine.check(Samples.RENEWAL).rawJson())) {
                                    wrong.set(true);
                                }
                            } catch (EngineException closed) {
                                if (!"ENGINE_CLOSED".equals(closed.code())) {
                                    wrong.set(true);
                                }
                                return;
                            }
                        }
                    });
                }
                started.await();
                Thread.sleep(2);
                engine.close();
            }
            assertFalse(wrong.get(), "a check during close returned something else");
            assertTrue(Engine.freedCount() >= freedBefore + 1, "the native engine was freed");
        }
    }

    @Test
    void cleanerFreesAForgottenEngine() throws Exception {
        long before = Engine.freedCount();
        for (int i = 0; i < 50; i++) {
            Engine.create().check(Samples.RENEWAL);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Engine.freedCount() < before + 50 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Engine.freedCount() >= before + 50, "cleaner freed " + (Engine.freedCount() - before) + " of 50");
    }

    @Test
    void noRawTokenInAnyToString() {
        try (Engine engine = Engine.create()) {
            for (String request : List.of(Samples.RENEWAL, Samples.RENEWAL_REVOKED, Samples.RENEWAL_WITH_STEP_UP)) {
                Decision d = engine.check(request);
                for (String text : List.of(d.toString(), d.rawJson(), String.valueOf(d.token()),
                        d.violations().toString(), d.warnings().toString(), engine.toString())) {
                    assertFalse(text.contains("a1b2c3d4"), text);
                }
            }
        }
    }

    @Test
    void versions() {
        assertEquals("0.1.0", CtPolicy.libraryVersion());
        assertEquals(2, CtPolicy.abiVersion());
    }

    @Test
    void manyEnginesCanBeCreatedAndClosed() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(() -> {
                    try (Engine e = Engine.create("{\"allowed_currencies\":[\"EUR\"]}")) {
                        return e.check(Samples.RENEWAL).allowed();
                    }
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        }
    }
}
