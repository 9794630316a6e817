package dev.ctpolicy;

import java.util.Map;

/**
 * What a verified audit log holds ({@link AuditLog#verify(java.nio.file.Path, String)}).
 *
 * @param entries the number of entries
 * @param firstAt {@code at} of the first entry, or null for an empty log
 * @param lastAt  {@code at} of the last entry, or null for an empty log
 * @param allowed how many entries are ALLOW
 * @param denied  how many are DENY
 * @param errors  how many are ERROR (requests that could not be decided)
 * @param head    the fingerprint of the last line ({@code sha256:} and 64 zeros when empty):
 *                keep it elsewhere and pass it as {@code expectHead} next time
 */
public record AuditSummary(long entries, String firstAt, String lastAt, long allowed, long denied, long errors,
        String head) {

    /** The fields, redacted (docs/HYGIENE.md H4: whatever a caller put in them). */
    @Override
    public String toString() {
        return "AuditSummary[entries=" + entries + ", firstAt=" + Texts.redact(firstAt) + ", lastAt="
                + Texts.redact(lastAt) + ", allowed=" + allowed + ", denied=" + denied + ", errors=" + errors
                + ", head=" + Texts.redact(head) + "]";
    }

    static AuditSummary from(String json) {
        if (!(Json.parse(json) instanceof Map<?, ?> m) || !(m.get("decisions") instanceof Map<?, ?> d)) {
            throw new IllegalStateException("ctp_audit_verify returned an unreadable summary");
        }
        return new AuditSummary(number(m, "entries"), (String) m.get("first_at"), (String) m.get("last_at"),
                number(d, "ALLOW"), number(d, "DENY"), number(d, "ERROR"), (String) m.get("head"));
    }

    private static long number(Map<?, ?> m, String key) {
        if (m.get(key) instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalStateException("ctp_audit_verify: summary without " + key);
    }
}
