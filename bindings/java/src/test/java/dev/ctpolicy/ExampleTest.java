package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's example runs as written (java's source launcher, against target/classes). */
class ExampleTest {

    @Test
    void renewalExampleRuns() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                Path.of("target", "classes").toString(), Path.of("examples", "RenewalExample.java").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
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
