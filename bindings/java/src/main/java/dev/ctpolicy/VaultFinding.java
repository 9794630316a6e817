package dev.ctpolicy;

/**
 * One finding of the vault lint (docs/VAULT.md V1). It never holds a token: only the token's
 * {@code sha256:} fingerprint and, for {@code REGION_NOT_ALLOWED}, its region.
 *
 * @param line        the 1-based position of the record among those fed to the lint
 * @param code        the finding's code, e.g. {@code "DUPLICATE_TOKEN"}
 * @param severity    {@code "error"} or {@code "warn"}
 * @param detail      a fixed word (a field name, a reader code, a {@code TIMELINE} statement) or
 *                    the token's region for {@code REGION_NOT_ALLOWED}; null when there is none
 * @param fingerprint {@code sha256:…} of the record's {@code customer_token} when it is a
 *                    string, else null
 * @param relatedLine the earlier record of a {@code DUPLICATE_*} finding, else 0
 */
public record VaultFinding(long line, String code, String severity, String detail, String fingerprint,
        long relatedLine) {

    /** True for an {@code error} finding (the command line exits 1 on any). */
    public boolean isError() {
        return "error".equals(severity);
    }

    /** Every field, redacted (docs/HYGIENE.md H4), though none holds a token. */
    @Override
    public String toString() {
        return "VaultFinding[line=" + line + ", code=" + Texts.redact(code) + ", severity=" + Texts.redact(severity)
                + ", detail=" + Texts.redact(detail) + ", fingerprint=" + Texts.redact(fingerprint) + ", relatedLine="
                + relatedLine + "]";
    }
}
