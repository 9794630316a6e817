package dev.ctpolicy;

import java.util.Map;

/**
 * One token occurrence found by {@link Redactor#scan(byte[])} (docs/HYGIENE.md H2, without
 * {@code file}). It never holds the token.
 *
 * @param line        1-based, counting {@code \n}
 * @param column      1-based byte offset of the occurrence in its line
 * @param length      the occurrence's length in bytes, as it stands
 * @param fingerprint {@code sha256:} and 64 lowercase hex digits of the decoded token
 * @param wellFormed  whether it is a well-formed customer token (docs/RULES.md section 2)
 * @param form        {@code "network"} or {@code "identity"} when well-formed, else null
 * @param region      the region when well-formed, else null
 */
public record LeakReport(long line, long column, long length, String fingerprint, boolean wellFormed, String form,
        String region) {

    /** The fields, redacted (docs/HYGIENE.md H4: whatever a caller put in them). */
    @Override
    public String toString() {
        return "LeakReport[line=" + line + ", column=" + column + ", length=" + length + ", fingerprint="
                + Texts.redact(fingerprint) + ", wellFormed=" + wellFormed + ", form=" + Texts.redact(form)
                + ", region=" + Texts.redact(region) + "]";
    }

    static LeakReport from(Map<?, ?> m) {
        return new LeakReport(((Number) m.get("line")).longValue(), ((Number) m.get("column")).longValue(),
                ((Number) m.get("length")).longValue(), (String) m.get("fingerprint"),
                Boolean.TRUE.equals(m.get("well_formed")), (String) m.get("form"), (String) m.get("region"));
    }
}
