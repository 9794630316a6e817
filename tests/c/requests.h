/* The requests several C tests send: a renewal the default policy allows
 * and the same renewal with a two-letter currency (a DENY), both with the
 * token TOKEN. */
#ifndef CTP_TEST_REQUESTS_H
#define CTP_TEST_REQUESTS_H

#define TOKEN "krn:customer-token:eu1:c-1"

static const char RENEWAL[] =
    "{\"customer_present\":false,"
    "\"headers\":{\"Klarna-Customer-Token\":\"" TOKEN "\",\"Klarna-Idempotency-Key\":\"k-1\"},"
    "\"token_record\":{\"customer_token\":\"" TOKEN "\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\"},"
    "\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1000,\"payment_transaction_reference\":\"r-1\"}}}";

static const char DENY_EU[] =
    "{\"customer_present\":false,"
    "\"headers\":{\"Klarna-Customer-Token\":\"" TOKEN "\",\"Klarna-Idempotency-Key\":\"k-1\"},"
    "\"token_record\":{\"customer_token\":\"" TOKEN "\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\"},"
    "\"body\":{\"currency\":\"EU\",\"request_payment_transaction\":{\"amount\":1000}}}";

#endif
