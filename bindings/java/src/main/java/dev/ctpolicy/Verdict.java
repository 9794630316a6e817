package dev.ctpolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer of {@link Engine#checkCharge(Charge)}: the typed fast path's {@code ctp_verdict}.
 * It has the same violation and warning ids as {@link Engine#check(String)} gives for the
 * equivalent JSON request, but no messages, paths or receipt.
 *
 * @param allowed     true for ALLOW (exactly when {@code violations} is empty)
 * @param violations  rule ids of {@code deny} hits, ascending
 * @param warnings    rule ids of {@code warn} hits, ascending
 * @param fingerprint {@code "sha256:" + lowercase hex} of the token, when
 *                    {@link Charge#wantFingerprint()} was set and the token is well-formed
 */
public record Verdict(boolean allowed, List<Integer> violations, List<Integer> warnings,
        Optional<String> fingerprint) {

    public Verdict {
        violations = List.copyOf(violations);
        warnings = List.copyOf(warnings);
        Objects.requireNonNull(fingerprint, "fingerprint");
    }

    /** {@code "ALLOW"} or {@code "DENY"}, as in the JSON decision. */
    public String decision() {
        return allowed ? "ALLOW" : "DENY";
    }

    /**
     * The reason codes of the violations, e.g. {@code ["TOKEN_REVOKED", "STEP_UP_NOT_ALLOWED"]}.
     * A rule newer than this binding is named by the library ({@code ctp_reason_code}).
     */
    public List<String> codes() {
        return names(violations);
    }

    /** The reason codes of the warnings, as {@link #codes()}. */
    public List<String> warningCodes() {
        return names(warnings);
    }

    /** The violations as {@link ReasonCode}s (a rule newer than this binding is left out). */
    public List<ReasonCode> violationReasons() {
        return reasons(violations);
    }

    /** The warnings as {@link ReasonCode}s (a rule newer than this binding is left out). */
    public List<ReasonCode> warningReasons() {
        return reasons(warnings);
    }

    /** Whether a {@code deny} hit of this rule is among the violations. */
    public boolean hasViolation(ReasonCode reason) {
        return violations.contains(reason.id());
    }

    /** Whether a {@code warn} hit of this rule is among the warnings. */
    public boolean hasWarning(ReasonCode reason) {
        return warnings.contains(reason.id());
    }

    private static List<String> names(List<Integer> ids) {
        List<String> out = new ArrayList<>(ids.size());
        for (int id : ids) {
            out.add(ReasonCode.fromId(id).map(ReasonCode::code).orElseGet(() -> {
                String code = Native.reasonCode(id);
                return code != null ? code : Integer.toString(id);
            }));
        }
        return List.copyOf(out);
    }

    private static List<ReasonCode> reasons(List<Integer> ids) {
        List<ReasonCode> out = new ArrayList<>(ids.size());
        for (int id : ids) {
            ReasonCode.fromId(id).ifPresent(out::add);
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return "Verdict[" + decision() + ", violations=" + codes() + ", warnings=" + warningCodes()
                + ", fingerprint=" + Texts.redact(fingerprint.orElse("-")) + "]";
    }
}
