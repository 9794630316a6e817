package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** ReasonCode is exactly the library's rule table, so the two cannot drift apart. */
class ReasonCodeTest {

    @Test
    void constantsMatchTheLibrary() {
        Map<Integer, String> library = new TreeMap<>();
        for (int id = 0; id < 1000; id++) {
            String code = CtPolicy.reasonCode(id);
            if (code != null) {
                library.put(id, code);
            }
            assertEquals(code, ReasonCode.fromId(id).map(ReasonCode::code).orElse(null), "rule " + id);
        }
        Map<Integer, String> binding = new TreeMap<>();
        for (ReasonCode r : ReasonCode.values()) {
            binding.put(r.id(), r.code());
            assertEquals(r, ReasonCode.fromCode(r.code()).orElseThrow());
        }
        assertEquals(library, binding);
        assertEquals(37, binding.size());
    }

    @Test
    void unknownIdsAndCodes() {
        assertEquals(null, CtPolicy.reasonCode(-1));
        assertEquals(null, CtPolicy.reasonCode(999));
        assertEquals(java.util.Optional.empty(), ReasonCode.fromId(-1));
        assertEquals(java.util.Optional.empty(), ReasonCode.fromId(100_000));
        assertEquals(java.util.Optional.empty(), ReasonCode.fromCode("NOPE"));
    }
}
