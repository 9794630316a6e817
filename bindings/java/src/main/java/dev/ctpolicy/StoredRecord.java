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
 */
public record StoredRecord(String customerToken, State state, List<String> scopes, Instant lastUsedAt) {

    /** The record's {@code state}. */
    public enum State {
        ACTIVE, REVOKED
    }

    /** @throws NullPointerException for a null token, state, scope list or scope */
    public StoredRecord {
        Objects.requireNonNull(customerToken, "customerToken");
        Objects.requireNonNull(state, "state");
        scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
    }

    /** An ACTIVE record without {@code last_used_at}. */
    public static StoredRecord active(String customerToken, String... scopes) {
        return new StoredRecord(customerToken, State.ACTIVE, List.of(scopes), null);
    }

    /** The same record with another {@code last_used_at} (null for none). */
    public StoredRecord withLastUsedAt(Instant lastUsedAt) {
        return new StoredRecord(customerToken, state, scopes, lastUsedAt);
    }

    /**
     * Never prints the stored token (only its length); the scopes go through the redaction
     * ({@link Redactor}), so a token passed as a scope (arguments swapped) prints as
     * {@code [customer-token sha256:…]}.
     */
    @Override
    public String toString() {
        return "StoredRecord[customerToken=<redacted, " + customerToken.length() + " chars>, state=" + state
                + ", scopes=" + Redactor.redact(scopes.toString()) + ", lastUsedAt=" + lastUsedAt + "]";
    }
}
