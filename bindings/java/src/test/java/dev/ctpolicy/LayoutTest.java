package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The StructLayouts of Native match include/ctpolicy.h: against sizes and offsets verified
 * once with gcc (always), and against a C helper compiled with gcc now (when gcc exists).
 */
class LayoutTest {
    private static final Map<String, List<String>> FIELDS = Map.of(
            "ctp_verdict", List.of("allowed", "violation_count", "warning_count", "has_fingerprint", "violations",
                    "warnings", "fingerprint"),
            "ctp_batch_counts", List.of("allowed", "denied", "invalid"),
            "ctp_typed_charge", List.of("token", "token_len", "record_token", "record_token_len", "idempotency_key",
                    "idempotency_key_len", "currency", "currency_len", "record_scopes", "record_scope_count", "flags",
                    "record_state", "amount", "now_ms", "last_used_at_ms", "attempts_24h", "attempts_30d", "caller",
                    "caller_len", "record_attempts_ms", "record_attempt_count"),
            "ctp_input", List.of("ptr", "len"),
            "ctp_result", List.of("status", "allowed", "json"));

    private static StructLayout layout(String struct) {
        return switch (struct) {
            case "ctp_verdict" -> Native.CTP_VERDICT;
            case "ctp_typed_charge" -> Native.CTP_TYPED_CHARGE;
            case "ctp_input" -> Native.CTP_INPUT;
            case "ctp_result" -> Native.CTP_RESULT;
            default -> Native.CTP_BATCH_COUNTS;
        };
    }

    private static long offset(String struct, String field) {
        return layout(struct).byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    @Test
    void knownSizesAndOffsets() {
        // Printed by gcc (x86_64) from include/ctpolicy.h when this binding was written.
        assertEquals(304, Native.CTP_VERDICT.byteSize());
        assertEquals(4, Native.CTP_VERDICT.byteAlignment());
        assertEquals(24, Native.CTP_BATCH_COUNTS.byteSize());
        long[] verdict = {0, 4, 8, 12, 16, 144, 272};
        for (int i = 0; i < verdict.length; i++) {
            assertEquals(verdict[i], offset("ctp_verdict", FIELDS.get("ctp_verdict").get(i)));
        }
        assertEquals(16, offset("ctp_batch_counts", "invalid"));
        assertEquals(Native.TC_AMOUNT, 88);
        assertEquals(Native.R_JSON, 8);
        assertEquals(Native.V_FINGERPRINT, 272);
        assertEquals(160, Native.CTP_TYPED_CHARGE.byteSize());
        long[] typed = {0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 84, 88, 96, 104, 112, 120, 128, 136, 144, 152};
        for (int i = 0; i < typed.length; i++) {
            assertEquals(typed[i], offset("ctp_typed_charge", FIELDS.get("ctp_typed_charge").get(i)));
        }
        assertEquals(16, Native.CTP_INPUT.byteSize());
        assertEquals(24, Native.CTP_RESULT.byteSize());
        assertEquals(8, offset("ctp_result", "json"));
    }

    private static String gcc() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "gcc");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command[0]);
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    @Test
    void matchesGcc(@TempDir Path dir) throws Exception {
        String gcc = gcc();
        if (gcc == null) {
            System.err.println("LayoutTest: gcc not found; only the recorded layout was checked");
            return;
        }
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"ctpolicy.h\"\n"
                + "int main(void) {\n");
        for (var e : FIELDS.entrySet()) {
            String s = e.getKey();
            c.append("printf(\"").append(s).append(" sizeof %zu\\n\", sizeof(").append(s).append("));\n");
            c.append("printf(\"").append(s).append(" alignof %zu\\n\", _Alignof(").append(s).append("));\n");
            for (String f : e.getValue()) {
                c.append("printf(\"").append(s).append(' ').append(f).append(" %zu\\n\", offsetof(").append(s)
                        .append(", ").append(f).append("));\n");
            }
        }
        Map<String, Integer> constants = new java.util.LinkedHashMap<>();
        constants.put("CTP_CHARGE_CUSTOMER_PRESENT", Native.CHARGE_CUSTOMER_PRESENT);
        constants.put("CTP_CHARGE_HAS_TOKEN", Native.CHARGE_HAS_TOKEN);
        constants.put("CTP_CHARGE_HAS_IDEMPOTENCY_KEY", Native.CHARGE_HAS_IDEMPOTENCY_KEY);
        constants.put("CTP_CHARGE_STEP_UP", Native.CHARGE_STEP_UP);
        constants.put("CTP_CHARGE_HAS_NOW", Native.CHARGE_HAS_NOW);
        constants.put("CTP_CHARGE_HAS_LAST_USED_AT", Native.CHARGE_HAS_LAST_USED_AT);
        constants.put("CTP_CHARGE_HAS_ATTEMPTS_24H", Native.CHARGE_HAS_ATTEMPTS_24H);
        constants.put("CTP_CHARGE_HAS_ATTEMPTS_30D", Native.CHARGE_HAS_ATTEMPTS_30D);
        constants.put("CTP_CHARGE_WANT_FINGERPRINT", Native.CHARGE_WANT_FINGERPRINT);
        constants.put("CTP_CHARGE_HAS_CALLER", Native.CHARGE_HAS_CALLER);
        constants.put("CTP_CHARGE_HAS_ATTEMPTS", Native.CHARGE_HAS_ATTEMPTS);
        constants.put("CTP_RECORD_NONE", Native.RECORD_NONE);
        constants.put("CTP_RECORD_ACTIVE", Native.RECORD_ACTIVE);
        constants.put("CTP_RECORD_REVOKED", Native.RECORD_REVOKED);
        constants.put("CTP_MAX_RULES", Native.CTP_MAX_RULES);
        constants.put("CTP_IO_ERROR", Statuses.CTP_IO_ERROR);
        constants.put("CTP_AUDIT_LOG_INVALID", Statuses.CTP_AUDIT_LOG_INVALID);
        constants.put("CTP_AUDIT_HEAD_MISMATCH", Statuses.CTP_AUDIT_HEAD_MISMATCH);
        constants.put("CTP_AUDIT_FSYNC", Native.CTP_AUDIT_FSYNC);
        for (String name : constants.keySet()) {
            // #ifdef: an older header may lack a define; then it is simply not compared.
            c.append("#ifdef ").append(name).append("\nprintf(\"const ").append(name).append(" %d\\n\", (int)")
                    .append(name).append(");\n#endif\n");
        }
        c.append("return 0;\n}\n");
        Files.writeString(dir.resolve("layout.c"), c);
        run(dir, gcc, "-std=c11", "-I", TestSupport.REPO_ROOT.resolve("include").toString(), "layout.c", "-o", "layout");
        Map<String, Long> printed = new HashMap<>();
        for (String line : run(dir, dir.resolve("layout").toString()).split("\n")) {
            String[] parts = line.trim().split(" ");
            printed.put(parts[0] + " " + parts[1], Long.parseLong(parts[2]));
        }
        for (var e : constants.entrySet()) {
            Long value = printed.get("const " + e.getKey());
            if (value != null) {
                assertEquals(value.longValue(), e.getValue().longValue(), e.getKey());
            }
        }
        assertTrue(printed.containsKey("const CTP_CHARGE_WANT_FINGERPRINT"), "flag defines printed");
        for (var e : FIELDS.entrySet()) {
            String s = e.getKey();
            assertEquals(printed.get(s + " sizeof"), layout(s).byteSize(), s + " size");
            assertEquals(printed.get(s + " alignof"), layout(s).byteAlignment(), s + " alignment");
            for (String f : e.getValue()) {
                assertEquals(printed.get(s + " " + f), offset(s, f), s + "." + f);
            }
        }
    }
}
