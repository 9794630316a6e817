package dev.ctpolicy;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What the partner stored for a customer token, for {@link Charge#record()}: the typed form of
 * a request's {@code token_record}.
 *
 * @param customerToken the stored {@code customer_token} (compared with the header; never printed)
 * @param state         {@link State#ACTIVE} or {@link State#REVOKED}
 * @param scopes        the stored scopes. {@code "payment:customer_present"},
 *                      {@code "payment:customer_not_present"} and {@code "customer:login"} map to
 *                      their {@code CTP_SCOPE_*} bits; any other string sets
 *                      {@code CTP_SCOPE_UNKNOWN} (rule 205). None, or both payment scopes, is
 *                      rule 204 {@code RECORD_INVALID} with detail {@code SCOPES}.
 * @param lastUsedAt    the record's {@code last_used_at}, or null; milliseconds are kept (finer
 *                      digits are truncated), years 0001–9999
 */
public record StoredRecord(String customerToken, State state, Set<String> scopes, Instant lastUsedAt) {

    /** The record's {@code state}. */
    public enum State {
        ACTIVE, REVOKED
    }

    /**
     * @throws NullPointerException     for a null token, state, scope set or scope
     * @throws IllegalArgumentException for a token with an unpaired surrogate, or a
     *                                  {@code lastUsedAt} outside years 0001–9999
     */
    public StoredRecord {
        Objects.requireNonNull(customerToken, "customerToken");
        Objects.requireNonNull(state, "state");
        scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
        Charge.requireValidText(customerToken, "customerToken");
        Charge.requireTimestamp(lastUsedAt, "lastUsedAt");
    }

    /** An ACTIVE record without {@code last_used_at}. */
    public static StoredRecord active(String customerToken, String... scopes) {
        return new StoredRecord(customerToken, State.ACTIVE, Set.of(scopes), null);
    }

    /** The same record with another {@code last_used_at} (null for none). */
    public StoredRecord withLastUsedAt(Instant lastUsedAt) {
        return new StoredRecord(customerToken, state, scopes, lastUsedAt);
    }

    /** {@code CTP_SCOPE_*} bits of {@link #scopes()}. */
    int scopeBits() {
        int bits = 0;
        for (String scope : scopes) {
            bits |= switch (scope) {
                case "payment:customer_present" -> Native.SCOPE_CUSTOMER_PRESENT;
                case "payment:customer_not_present" -> Native.SCOPE_CUSTOMER_NOT_PRESENT;
                case "customer:login" -> Native.SCOPE_CUSTOMER_LOGIN;
                default -> Native.SCOPE_UNKNOWN;
            };
        }
        return bits;
    }

    /** Never prints the stored token (only its length). */
    @Override
    public String toString() {
        return "StoredRecord[customerToken=<redacted, " + customerToken.length() + " chars>, state=" + state
                + ", scopes=" + scopes + ", lastUsedAt=" + lastUsedAt + "]";
    }
}
