package dev.ctpolicy;

import java.time.Instant;
import java.util.Objects;

/**
 * A token charge in typed form, for {@link Engine#checkCharge(Charge)} (the C ABI's
 * {@code ctp_typed_charge}). Immutable; build one with {@link #builder()}.
 *
 * <p>It says what this JSON request says (docs/ABI.md, "`ctp_check_charge`"):
 * {@code customer_present}; the {@code Klarna-Customer-Token} header when {@code token} is not
 * null; the {@code Klarna-Idempotency-Key} header when {@code idempotencyKey} is not null;
 * {@code body.step_up_config: {}} when {@code stepUp}; {@code body.currency} and
 * {@code body.request_payment_transaction: {"amount": amount}}; {@code token_record} when
 * {@code record} is not null (with its {@code attempts} when {@link StoredRecord#attempts()} is
 * not null); {@code now}; {@code counters} for the counters that are not null; and
 * {@code caller} when {@code caller} is not null.
 *
 * @param customerPresent whether the customer is present (on-session)
 * @param token           the {@code Klarna-Customer-Token} header value, or null when the header
 *                        is not sent. A secret: {@link #toString()} never prints it (a string
 *                        with an unpaired surrogate is not valid Unicode: the engine cannot
 *                        decide, {@link InvalidRequestException} {@code INVALID_UTF8}, naming the field)
 * @param idempotencyKey  the {@code Klarna-Idempotency-Key} header value, or null when not sent
 *                        (an empty or malformed key is sent as is: rule 702)
 * @param stepUp          a well-formed {@code step_up_config} is sent
 * @param amount          minor units (the engine judges the range: rule 602)
 * @param currency        the ISO 4217 code as sent, any string: the engine judges it (rule 601:
 *                        {@code "EU"}, {@code "eur"} or {@code "EURO"} is a DENY with
 *                        {@code CURRENCY_INVALID})
 * @param record          the stored record, or null when none is stored
 * @param now             the time of the charge, or null; milliseconds are kept (finer digits
 *                        are truncated); outside years 0001–9999 the engine cannot decide
 *                        ({@link InvalidRequestException}, as for the JSON request)
 * @param attempts24h     earlier attempts in 24 hours, or null (a negative count is an
 *                        envelope fault: {@link InvalidRequestException} {@code INVALID_VALUE})
 * @param attempts30d     earlier attempts in 30 days, or null (likewise)
 * @param wantFingerprint fill {@link Verdict#fingerprint()} (one SHA-256 more per call)
 * @param caller          the service making this charge (the request's {@code caller}, checked
 *                        against the policy's {@code access}), or null when not sent; the engine
 *                        judges it (an empty or over-long name is an envelope fault, as for JSON)
 */
public record Charge(boolean customerPresent, String token, String idempotencyKey, boolean stepUp, long amount,
        String currency, StoredRecord record, Instant now, Long attempts24h, Long attempts30d,
        boolean wantFingerprint, String caller) {

    /**
     * Nothing is judged here: the core judges every value as the JSON path does.
     *
     * @throws NullPointerException when {@code currency} is null (send {@code ""} for an empty one)
     */
    public Charge {
        Objects.requireNonNull(currency, "currency");
    }

    /** A charge without {@code caller}. */
    public Charge(boolean customerPresent, String token, String idempotencyKey, boolean stepUp, long amount,
            String currency, StoredRecord record, Instant now, Long attempts24h, Long attempts30d,
            boolean wantFingerprint) {
        this(customerPresent, token, idempotencyKey, stepUp, amount, currency, record, now, attempts24h, attempts30d,
                wantFingerprint, null);
    }

    /** A builder: not present, no token, no key, no step-up, amount 0, no record; set the currency. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this charge's values. */
    public Builder toBuilder() {
        return new Builder().customerPresent(customerPresent).token(token).idempotencyKey(idempotencyKey)
                .stepUp(stepUp).amount(amount).currency(currency).record(record).now(now)
                .attempts24h(attempts24h).attempts30d(attempts30d).wantFingerprint(wantFingerprint).caller(caller);
    }

    /**
     * Never prints the token (only whether one is sent) nor the stored record's token; the
     * currency goes through the redaction ({@link Redactor}), so a token passed as the currency
     * prints as {@code [customer-token sha256:…]}.
     */
    @Override
    public String toString() {
        return "Charge[customerPresent=" + customerPresent + ", token=" + (token == null ? "absent" : "<redacted>")
                + ", idempotencyKey=" + (idempotencyKey == null ? "absent" : "<" + idempotencyKey.length() + " chars>")
                + ", stepUp=" + stepUp + ", amount=" + amount + ", currency=" + Redactor.redact(currency)
                + ", record=" + record
                + ", now=" + now + ", attempts24h=" + attempts24h + ", attempts30d=" + attempts30d
                + ", wantFingerprint=" + wantFingerprint
                + ", caller=" + (caller == null ? "absent" : Redactor.redact(caller)) + "]";
    }

    /** Builds a {@link Charge}; not thread-safe. */
    public static final class Builder {
        private boolean customerPresent;
        private String token;
        private String idempotencyKey;
        private boolean stepUp;
        private long amount;
        private String currency;
        private StoredRecord record;
        private Instant now;
        private Long attempts24h;
        private Long attempts30d;
        private boolean wantFingerprint;
        private String caller;

        private Builder() {
        }

        public Builder customerPresent(boolean customerPresent) {
            this.customerPresent = customerPresent;
            return this;
        }

        /** The header value; null means the header is not sent. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** The key; null means the header is not sent. */
        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        public Builder stepUp(boolean stepUp) {
            this.stepUp = stepUp;
            return this;
        }

        public Builder amount(long amount) {
            this.amount = amount;
            return this;
        }

        public Builder currency(String currency) {
            this.currency = currency;
            return this;
        }

        /** The stored record; null means none is stored. */
        public Builder record(StoredRecord record) {
            this.record = record;
            return this;
        }

        public Builder now(Instant now) {
            this.now = now;
            return this;
        }

        public Builder attempts24h(Long attempts24h) {
            this.attempts24h = attempts24h;
            return this;
        }

        public Builder attempts30d(Long attempts30d) {
            this.attempts30d = attempts30d;
            return this;
        }

        public Builder wantFingerprint(boolean wantFingerprint) {
            this.wantFingerprint = wantFingerprint;
            return this;
        }

        /** The service making the charge (the request's {@code caller}); null means not sent. */
        public Builder caller(String caller) {
            this.caller = caller;
            return this;
        }

        /** @throws NullPointerException when no currency was set; see {@link Charge#Charge} */
        public Charge build() {
            return new Charge(customerPresent, token, idempotencyKey, stepUp, amount, currency, record, now,
                    attempts24h, attempts30d, wantFingerprint, caller);
        }
    }
}
