package dev.ctpolicy;

/** Hand-written requests shared by the tests (the vectors cover the rules). */
final class Samples {
    private Samples() {
    }

    static final String TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    /** A subscription renewal that the default policy allows. */
    static final String RENEWAL = """
            {"customer_present":false,
             "headers":{"Klarna-Customer-Token":"%1$s","Klarna-Idempotency-Key":"renewal-sub_8842-2024-06"},
             "body":{"currency":"EUR",
                     "request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub_8842-2024-06"},
                     "supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub_8842"}]}},
             "token_record":{"customer_token":"%1$s","scopes":["payment:customer_not_present"],"state":"ACTIVE"},
             "decision_id":"dec-1"}
            """.formatted(TOKEN);

    /** The same renewal with step_up_config, which a customer-not-present call must not send. */
    static final String RENEWAL_WITH_STEP_UP = RENEWAL.replace("\"currency\":\"EUR\",",
            "\"currency\":\"EUR\",\"step_up_config\":{\"payment_request_reference\":\"r1\"},");

    /** A renewal whose record is revoked. */
    static final String RENEWAL_REVOKED = RENEWAL.replace("\"state\":\"ACTIVE\"", "\"state\":\"REVOKED\"");

    static final String RECORD = """
            {"customer_token":"%s","scopes":["payment:customer_not_present"],"state":"ACTIVE",\
            "created_at":"2024-01-15T09:30:00Z"}""".formatted(TOKEN);
}
