package dev.ctpolicy;

import java.util.Optional;

/**
 * One rule hit of a decision (under {@link Decision#violations()} or {@link Decision#warnings()}).
 *
 * @param id       the rule id (101..804); its meaning never changes
 * @param code     the reason code, e.g. {@code "SCOPE_MISMATCH"}; see {@link ReasonCode}
 * @param severity the effective severity, {@code "deny"} or {@code "warn"}
 * @param message  for people; may change between versions
 * @param path     JSON Pointer into the request, e.g. {@code "/body/step_up_config"}
 * @param detail   the detail of rules 101 and 204 (e.g. {@code "BAD_REGION"}), else null
 */
public record Violation(int id, String code, String severity, String message, String path, String detail) {
    /** The texts come from the library, which redacts them; they go through the redaction again (H4). */
    public Violation {
        message = Texts.redact(message);
        path = Texts.redact(path);
    }

    /** Every field, redacted (docs/HYGIENE.md H4: whatever a caller put in them). */
    @Override
    public String toString() {
        return "Violation[id=" + id + ", code=" + Texts.redact(code) + ", severity=" + Texts.redact(severity)
                + ", message=" + Texts.redact(message) + ", path=" + Texts.redact(path) + ", detail="
                + Texts.redact(detail) + "]";
    }


    /** The rule as a constant, or empty for a rule newer than this binding. */
    public Optional<ReasonCode> reason() {
        return ReasonCode.fromId(id);
    }
}
