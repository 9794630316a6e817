package dev.ctpolicy.http;

import java.util.Optional;

/**
 * The host's token store, as the {@link ChargeGuard} uses it: keyed by the customer token
 * itself (how Klarna's docs tell partners to store it), each value the token record as JSON
 * (the contract's {@code token_record}: {@code customer_token}, {@code scopes}, {@code state},
 * {@code attempts}, ...).
 *
 * <p>The guard calls {@link #get} before a guarded charge is checked, and again after Klarna's
 * answer; it calls {@link #put} when the answer changed the record (for a tokenization, keyed by
 * the new token). Within one guard, calls for one token never overlap; across processes the host
 * serialises the charges of one token (its scheduler, or a store whose {@code put} is
 * conditional). Implementations must be safe to call from several threads for different tokens.
 */
public interface TokenRecords {

    /** The stored record of {@code token} as JSON, or empty when none is stored. */
    Optional<String> get(String token);

    /** Stores {@code recordJson} as the record of {@code token}, replacing any other. */
    void put(String token, String recordJson);
}
