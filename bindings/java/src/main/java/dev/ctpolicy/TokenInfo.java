package dev.ctpolicy;

/**
 * What a well-formed customer token says about itself. Never holds the token.
 *
 * @param form        {@code "network"} or {@code "identity"}
 * @param region      e.g. {@code "eu1"}
 * @param environment {@code "live"} or {@code "test"} for the identity form, else null
 * @param fingerprint {@code "sha256:"} + hex of SHA-256 over the exact header bytes: safe to log,
 *                    stable across processes and languages
 */
public record TokenInfo(String form, String region, String environment, String fingerprint) {
    /** The four fields, redacted (docs/HYGIENE.md H4: whatever a caller put in them). */
    @Override
    public String toString() {
        return "TokenInfo[form=" + Texts.redact(form) + ", region=" + Texts.redact(region) + ", environment="
                + Texts.redact(environment) + ", fingerprint=" + Texts.redact(fingerprint) + "]";
    }
}
