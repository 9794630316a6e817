package dev.ctpolicy;

import java.util.OptionalLong;

/**
 * An audit log could not be written, read or verified (docs/HYGIENE.md H3). The status says which:
 * {@code IO_ERROR} (the file cannot be opened, read, written, locked or synced),
 * {@code AUDIT_LOG_INVALID} (an entry does not verify: {@link #line()} and {@link #seq()} name
 * the first bad one, {@link #code()} says what is wrong: {@code TORN_LINE}, {@code NOT_JSON},
 * {@code SEQ_MISMATCH}, {@code PREV_MISMATCH}, ...) or {@code AUDIT_HEAD_MISMATCH} (the chain
 * verifies but ends in another head than expected: entries were cut off its end). A check
 * that fails with this exception gave no decision: treat it as DENY.
 */
public final class AuditLogException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    private final Long line;
    private final Long seq;

    AuditLogException(Status status, String code, String reason, String errorJson, Long line, Long seq) {
        super(status, code, reason, null, null, errorJson, null);
        this.line = line;
        this.seq = seq;
    }

    /** The 1-based line of the first bad entry, when the fault is one entry's. */
    public OptionalLong line() {
        return line == null ? OptionalLong.empty() : OptionalLong.of(line);
    }

    /** The {@code seq} that entry should have had (its place in the chain), when known. */
    public OptionalLong seq() {
        return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
    }
}
