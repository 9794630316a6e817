package dev.ctpolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answer of a pre-flight check. A DENY is a decision, not an exception.
 *
 * @param allowed       {@code true} exactly when {@code decision} is {@code "ALLOW"}
 * @param decision      {@code "ALLOW"} or {@code "DENY"}
 * @param requiredScope the payment scope this charge needs, e.g. {@code "payment:customer_not_present"}
 * @param violations    the {@code deny} hits, sorted by id (empty on ALLOW)
 * @param warnings      the {@code warn} hits, sorted by id
 * @param token         what the header's token says about itself, or null when the header is
 *                      absent or not a well-formed token
 * @param receipt       {@code engine_version}, {@code policy_digest}, {@code decision_id} (may be null)
 * @param rawJson       the decision exactly as the engine returned it
 */
public record Decision(boolean allowed, String decision, String requiredScope, List<Violation> violations,
        List<Violation> warnings, TokenInfo token, Map<String, Object> receipt, String rawJson) {

    public Decision {
        Objects.requireNonNull(decision, "decision");
        violations = List.copyOf(violations);
        warnings = List.copyOf(warnings);
        Objects.requireNonNull(receipt, "receipt");
        Objects.requireNonNull(rawJson, "rawJson");
    }

    /** Whether a {@code deny} hit of this rule is among the violations. */
    public boolean hasViolation(ReasonCode reason) {
        return has(violations, reason);
    }

    /** Whether a {@code warn} hit of this rule is among the warnings. */
    public boolean hasWarning(ReasonCode reason) {
        return has(warnings, reason);
    }

    private static boolean has(List<Violation> hits, ReasonCode reason) {
        for (Violation v : hits) {
            if (v.id() == reason.id()) {
                return true;
            }
        }
        return false;
    }

    /** The receipt's {@code policy_digest}. */
    public String policyDigest() {
        return (String) receipt.get("policy_digest");
    }

    /** The receipt's {@code decision_id}, echoed from the request, or null. */
    public String decisionId() {
        return (String) receipt.get("decision_id");
    }

    /**
     * The reason codes of the violations, in order, e.g. {@code ["TOKEN_REVOKED"]}; empty on ALLOW.
     * As {@link Verdict#codes()} gives them for the typed fast path.
     */
    public List<String> codes() {
        return codesOf(violations);
    }

    /** The reason codes of the warnings, in order, as {@link Verdict#warningCodes()}. */
    public List<String> warningCodes() {
        return codesOf(warnings);
    }

    private static List<String> codesOf(List<Violation> hits) {
        List<String> codes = new ArrayList<>(hits.size());
        for (Violation v : hits) {
            codes.add(v.code());
        }
        return List.copyOf(codes);
    }

    /**
     * A short form: decision, scope, codes, fingerprint, decision id, every one redacted
     * (docs/HYGIENE.md H4: whatever a caller put in them).
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Decision[").append(Texts.redact(decision));
        sb.append(", requiredScope=").append(Texts.redact(requiredScope));
        sb.append(", violations=").append(Texts.redact(codes()));
        sb.append(", warnings=").append(Texts.redact(warningCodes()));
        sb.append(", token=").append(token == null ? "null" : Texts.redact(token.fingerprint()));
        sb.append(", decisionId=").append(Texts.redact(decisionId()));
        return sb.append(']').toString();
    }
}
