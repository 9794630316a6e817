package dev.ctpolicy;

import java.util.Map;

/**
 * What {@link AuditLog#repair(java.nio.file.Path)} did.
 *
 * @param repaired  whether a torn tail was cut off (false: the log verified as it was)
 * @param cutBytes  the bytes cut off the end: a write cut short, for which no decision was given
 * @param keptBytes the log's length now
 * @param entries   the whole entries the log holds, all of which verify
 * @param head      the log's head now
 */
public record AuditRepair(boolean repaired, long cutBytes, long keptBytes, long entries, String head) {

    static AuditRepair from(String json) {
        if (!(Json.parse(json) instanceof Map<?, ?> m) || !(m.get("repaired") instanceof Boolean repaired)
                || !(m.get("head") instanceof String head)) {
            throw new IllegalStateException("ctp_audit_repair returned an unreadable report");
        }
        return new AuditRepair(repaired, number(m, "cut_bytes"), number(m, "kept_bytes"), number(m, "entries"), head);
    }

    private static long number(Map<?, ?> m, String key) {
        if (m.get(key) instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalStateException("ctp_audit_repair: report without " + key);
    }
}
