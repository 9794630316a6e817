package dev.ctpolicy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the partner stored for a customer token, for {@link Charge#record()}: the typed form of
 * a request's {@code token_record}. Nothing is judged here; the engine judges the record as it
 * judges the JSON {@code token_record}.
 *
 * @param customerToken the stored {@code customer_token} (compared with the header; never printed)
 * @param state         {@link State#ACTIVE} or {@link State#REVOKED}
 * @param scopes        the stored {@code scopes} list, in order, as stored: an unknown scope is
 *                      rule 205; none, both payment scopes or a repeated scope is rule 204
 *                      {@code RECORD_INVALID} with detail {@code SCOPES}
 * @param lastUsedAt    the record's {@code last_used_at}, or null; milliseconds are kept (finer
 *                      digits are truncated); outside years 0001–9999 the engine cannot decide
 * @param attempts      the record's {@code attempts} (the instants of earlier authorization
 *                      attempts with this token, approved or declined, as the lifecycle keeps
 *                      them), or null when the record has no {@code attempts} field; in any
 *                      order; milliseconds are kept (finer digits are truncated). Rule 804
 *                      counts them when the charge has neither counter
 */
public record StoredRecord(String customerToken, State state, List<String> scopes, Instant lastUsedAt,
        List<Instant> attempts) {

    /** The record's {@code state}. */
    public enum State {
        ACTIVE, REVOKED
    }

    /** @throws NullPointerException for a null token, state, scope list, scope or attempt */
    public StoredRecord {
        Objects.requireNonNull(customerToken, "customerToken");
        Objects.requireNonNull(state, "state");
        scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
        attempts = attempts == null ? null : List.copyOf(attempts);
    }

    /** A record without {@code attempts}. */
    public StoredRecord(String customerToken, State state, List<String> scopes, Instant lastUsedAt) {
        this(customerToken, state, scopes, lastUsedAt, null);
    }

    /** An ACTIVE record without {@code last_used_at}. */
    public static StoredRecord active(String customerToken, String... scopes) {
        return new StoredRecord(customerToken, State.ACTIVE, List.of(scopes), null, null);
    }

    /** The same record with another {@code last_used_at} (null for none). */
    public StoredRecord withLastUsedAt(Instant lastUsedAt) {
        return new StoredRecord(customerToken, state, scopes, lastUsedAt, attempts);
    }

    /** The same record with other {@code attempts} (null for a record without the field). */
    public StoredRecord withAttempts(List<Instant> attempts) {
        return new StoredRecord(customerToken, state, scopes, lastUsedAt, attempts);
    }

    /**
     * Never prints the stored token (only its length); the scopes go through the redaction
     * ({@link Redactor}), so a token passed as a scope (arguments swapped) prints as
     * {@code [customer-token sha256:…]}.
     */
    @Override
    public String toString() {
        return "StoredRecord[customerToken=<redacted, " + customerToken.length() + " chars>, state=" + state
                + ", scopes=" + Redactor.redact(scopes.toString()) + ", lastUsedAt=" + lastUsedAt + ", attempts="
                + (attempts == null ? "absent" : attempts.size()) + "]";
    }
}
