package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Engine#checkVerdict(byte[])} decides as {@link Engine#check(byte[])}, on every check vector. */
class CheckVerdictTest {

    @Test
    void agreesWithCheckOnEveryVector() {
        JsonNode root = TestSupport.readVectors("check.json");
        Map<String, Engine> engines = new HashMap<>();
        int n = 0;
        int padded = 0;
        try {
            for (JsonNode c : TestSupport.cases(root)) {
                String policy = c.has("policy") ? c.get("policy").asText() : "default";
                Engine engine = engines.computeIfAbsent(policy,
                        p -> Engine.create(TestSupport.write(root.get("policies").get(p))));
                Object request = TestSupport.request(c);
                byte[] bytes = request instanceof byte[] b ? b : Utf8.encode((String) request);
                String name = c.get("name").asText();
                String viaCheck;
                try {
                    Decision d = engine.check(bytes);
                    viaCheck = d.allowed() + " " + d.violations().stream().map(Violation::id).toList() + " "
                            + d.warnings().stream().map(Violation::id).toList();
                } catch (CtPolicyException e) {
                    viaCheck = e.status() + " " + e.code() + " " + e.path() + " " + e.reason();
                }
                String viaVerdict;
                try {
                    Verdict v = engine.checkVerdict(bytes);
                    assertTrue(v.fingerprint().isEmpty(), name);
                    viaVerdict = v.allowed() + " " + v.violations() + " " + v.warnings();
                } catch (CtPolicyException e) {
                    viaVerdict = e.status() + " " + e.code() + " " + e.path() + " " + e.reason();
                }
                assertEquals(viaCheck, viaVerdict, name);
                if (viaVerdict.startsWith("true") || viaVerdict.startsWith("false")) {
                    // The same request past Native.CRITICAL_MAX_BYTES (trailing white space, which
                    // JSON allows) takes the copying path, and must decide the same.
                    byte[] large = java.util.Arrays.copyOf(bytes, Native.CRITICAL_MAX_BYTES + 1);
                    java.util.Arrays.fill(large, bytes.length, large.length, (byte) ' ');
                    Verdict v = engine.checkVerdict(large);
                    assertEquals(viaVerdict, v.allowed() + " " + v.violations() + " " + v.warnings(), name + " (large)");
                    padded++;
                }
                n++;
            }
        } finally {
            engines.values().forEach(Engine::close);
        }
        assertTrue(n > 100, "cases: " + n);
        assertTrue(padded > 50, "decided cases also checked past the critical-call size: " + padded);
        try (Engine engine = Engine.create()) {
            assertThrows(InvalidRequestException.class, () -> engine.checkVerdict(new byte[0]));
            assertThrows(InvalidRequestException.class,
                    () -> engine.checkVerdict("{\"customer_present\":true,\"body\":{\"a\":\"\u00e9\"}}"
                            .getBytes(StandardCharsets.ISO_8859_1)));
        }
    }
}
