package dev.ctpolicy;

import java.util.Optional;

/**
 * The reason codes of the rules, by id. A test checks this list against the library's
 * {@code ctp_reason_code} over every id from 100 to 999, so the two cannot drift apart.
 * A newer library may know rules this enum does not: {@link Violation#code()} always holds
 * the engine's string, and {@link #fromId(int)} is empty for such a rule.
 */
public enum ReasonCode {
    /** 101: the header is present and malformed (see the violation's detail). */
    TOKEN_MALFORMED(101),

    /** 102: the header is present and holds something other than a customer token. */
    TOKEN_WRONG_TYPE(102),

    /** 103: the token's region is not in the policy's allowed_regions. */
    TOKEN_REGION_NOT_ALLOWED(103),

    /** 104: a token_record is given but the header is absent. */
    TOKEN_HEADER_MISSING(104),

    /** 105: the customer is not present and the header is absent. */
    TOKEN_REQUIRED(105),

    /** 201: the header is present and token_record is absent. */
    RECORD_MISSING(201),

    /** 202: the record's customer_token differs from the header. */
    RECORD_TOKEN_MISMATCH(202),

    /** 203: the record is REVOKED. */
    TOKEN_REVOKED(203),

    /** 204: the record is invalid (see the violation's detail). */
    RECORD_INVALID(204),

    /** 205: the record holds a scope this version does not know (warning). */
    UNKNOWN_SCOPE(205),

    /** 301: the record's scopes lack the required scope. */
    SCOPE_MISMATCH(301),

    /** 401: step_up_config sent while the customer is not present. */
    STEP_UP_NOT_ALLOWED(401),

    /** 402: customer present with a token but no step_up_config (warning). */
    STEP_UP_RECOMMENDED(402),

    /** 403: step_up_config or its customer_interaction_config is malformed. */
    STEP_UP_CONFIG_INVALID(403),

    /** 501: tokenization requested while the customer is not present. */
    TOKENIZATION_CUSTOMER_NOT_PRESENT(501),

    /** 502: tokenization requested without step_up_config. */
    TOKENIZATION_STEP_UP_MISSING(502),

    /** 503: request_customer_token.scopes is invalid. */
    TOKENIZATION_SCOPES_INVALID(503),

    /** 504: tokenization requested while a token header is sent. */
    TOKENIZATION_WITH_TOKEN(504),

    /** 505: a customer_not_present token needs supplementary_purchase_data.subscriptions. */
    SUBSCRIPTIONS_REQUIRED(505),

    /** 506: a customer_present token needs supplementary_purchase_data.ondemand_service. */
    ONDEMAND_SERVICE_REQUIRED(506),

    /** 507: customer_token_reference is not a valid string. */
    TOKEN_REFERENCE_INVALID(507),

    /** 508: the policy requires a customer_token_reference. */
    TOKEN_REFERENCE_MISSING(508),

    /** 601: body.currency is absent or not 3 ASCII letters. */
    CURRENCY_INVALID(601),

    /** 602: the amount is absent, not an integer, or out of range. */
    AMOUNT_INVALID(602),

    /** 603: request_payment_transaction or its reference is invalid. */
    TRANSACTION_REFERENCE_INVALID(603),

    /** 604: a token is sent but request_payment_transaction is absent. */
    PAYMENT_TRANSACTION_MISSING(604),

    /** 605: neither a transaction nor a tokenization is requested. */
    NOTHING_REQUESTED(605),

    /** 701: no Klarna-Idempotency-Key header (warning). */
    IDEMPOTENCY_KEY_MISSING(701),

    /** 702: the idempotency key is empty, too long or has invalid bytes. */
    IDEMPOTENCY_KEY_INVALID(702),

    /** 703: two header names differ only in case. */
    HEADER_DUPLICATE(703),

    /** 801: the currency is not in the policy's allowed_currencies. */
    CURRENCY_NOT_ALLOWED(801),

    /** 802: the amount is above the policy's max_amount. */
    AMOUNT_LIMIT_EXCEEDED(802),

    /** 803: the last charge is more recent than min_charge_interval_seconds. */
    CHARGE_TOO_SOON(803),

    /** 804: the policy's max_attempts is reached. */
    ATTEMPT_LIMIT_EXCEEDED(804);

    private static final ReasonCode[] BY_ID = new ReasonCode[1000];

    static {
        for (ReasonCode r : values()) {
            BY_ID[r.id] = r;
        }
    }

    private final int id;

    ReasonCode(int id) {
        this.id = id;
    }

    /** The rule id, e.g. 301. */
    public int id() {
        return id;
    }

    /** The code as the engine writes it, e.g. {@code "SCOPE_MISMATCH"} (same as {@link #name()}). */
    public String code() {
        return name();
    }

    /** The constant of a rule id, or empty when this binding does not know it. */
    public static Optional<ReasonCode> fromId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }

    /** The constant of a code string, or empty when this binding does not know it. */
    public static Optional<ReasonCode> fromCode(String code) {
        for (ReasonCode r : values()) {
            if (r.name().equals(code)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
