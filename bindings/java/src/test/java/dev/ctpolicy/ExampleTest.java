package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's example runs as written (java's source launcher, against target/classes). */
class ExampleTest {

    /** Runs {@code examples/<name>.java} with java's source launcher; its output. */
    static String run(String name) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // The binding's classes and its one runtime dependency, jackson-core.
        Path jacksonCore = Path.of(com.fasterxml.jackson.core.JsonFactory.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        String classpath = Path.of("target", "classes") + File.pathSeparator + jacksonCore;
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                classpath, Path.of("examples", name + ".java").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void guardedRenewalWorkerRuns() throws Exception {
        String out = run("GuardedRenewalWorker");
        assertTrue(out.contains("attempt 1: HTTP 200 APPROVED"), out);
        assertTrue(out.contains("attempt 2: HTTP 200 DECLINED"), out);
        assertTrue(out.contains("attempt 3: HTTP 500"), out);
        assertTrue(out.contains("attempt 4: held back, not sent: [ATTEMPT_LIMIT_EXCEEDED]"), out);
        assertTrue(out.contains("a day later: HTTP 200 APPROVED"), out);
        assertTrue(out.contains(": 4 attempts recorded, Klarna received 4 requests"), out);
        assertFalse(out.contains("a1b2c3d4"), "the example never prints the token:\n" + out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void guardedCheckoutHandlerRuns() throws Exception {
        String out = run("GuardedCheckoutHandler");
        assertTrue(out.contains("sign-up without step-up: not sent: [TOKENIZATION_STEP_UP_MISSING]"), out);
        assertTrue(out.contains("sign-up: HTTP 200"), out);
        assertTrue(out.contains("state ACTIVE, attempts 1"), out);
        assertTrue(out.contains("audit log: 2 entries; Klarna received 1 request(s)"), out);
        assertFalse(out.contains("0f8fad5b"), "the example never prints the token:\n" + out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void renewalExampleRuns() throws Exception {
        String out = run("RenewalExample");
        assertTrue(out.contains("preflight decision=ALLOW"), out);
        assertTrue(out.contains("-> sending authorizePayment"), out);
        assertTrue(out.contains("DENY 203 TOKEN_REVOKED"), out);
        assertTrue(out.contains("DENY 401 STEP_UP_NOT_ALLOWED"), out);
        assertTrue(out.contains("could not decide (INVALID_REQUEST MISSING_FIELD"), out);
        assertTrue(out.contains("token=sha256:"), out);
        assertFalse(out.contains("a1b2c3d4"), "the example never prints the token:\n" + out);
        assertFalse(out.contains("WARNING"), out);
    }
}
