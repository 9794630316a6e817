/*
 * ctp_check_json_into: the JSON path answered into the caller's buffer.
 * Every answer (an ALLOW, a DENY, an error object) is compared byte for
 * byte with what ctp_check_json gives; a buffer one byte short is left
 * untouched and told the exact size; bad arguments are refused. Run under
 * ASan+UBSan and valgrind (an overrun of the caller's buffer would show).
 */
#include "common.h"

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

static const char DUPLICATE_KEY[] = "{\"customer_present\":false,\"customer_present\":true,\"body\":{}}";

/* The same request through both calls: same status, same bytes. */
static void agrees_with_ctp_check_json(const ctp_engine *engine, const char *request, const char *what) {
    ctp_buf expected = {0};
    uint32_t expected_status = ctp_check_json(engine, (const uint8_t *)request, strlen(request), &expected);

    /* Sizing call: no buffer, the exact length comes back. */
    size_t needed = 0;
    uint32_t status = ctp_check_json_into(engine, (const uint8_t *)request, strlen(request), NULL, 0, &needed);
    EXPECT(status == expected_status && needed == expected.len, "%s: sizing call (status %u, %zu bytes)", what, status, needed);

    /* One byte short: untouched, and told the size. */
    char *short_buffer = malloc(expected.len - 1);
    memset(short_buffer, '#', expected.len - 1);
    size_t reported = 0;
    status = ctp_check_json_into(engine, (const uint8_t *)request, strlen(request), (uint8_t *)short_buffer, expected.len - 1, &reported);
    EXPECT(status == expected_status && reported == expected.len, "%s: short buffer reports the size", what);
    int untouched = 1;
    for (size_t i = 0; i + 1 < expected.len; i++) untouched &= short_buffer[i] == '#';
    EXPECT(untouched, "%s: a short buffer is not written", what);
    free(short_buffer);

    /* Exactly the size (allocated to it, so ASan sees any overrun). */
    uint8_t *exact = malloc(expected.len);
    size_t written = 0;
    status = ctp_check_json_into(engine, (const uint8_t *)request, strlen(request), exact, expected.len, &written);
    EXPECT(status == expected_status && written == expected.len && memcmp(exact, expected.ptr, expected.len) == 0,
           "%s: same bytes as ctp_check_json", what);
    free(exact);
    ctp_buf_free(&expected);
}

int main(void) {
    ctp_engine *engine = NULL;
    EXPECT(ctp_engine_new(NULL, 0, &engine, NULL) == CTP_OK, "default engine");
    agrees_with_ctp_check_json(engine, RENEWAL, "ALLOW");
    agrees_with_ctp_check_json(engine, DENY_EU, "DENY");
    agrees_with_ctp_check_json(engine, DUPLICATE_KEY, "invalid request");

    /* One buffer reused across calls, the way the call is meant to be used. */
    uint8_t buffer[4096];
    size_t len = 0;
    for (int i = 0; i < 1000; i++) {
        const char *request = (i % 2) ? DENY_EU : RENEWAL;
        uint32_t status = ctp_check_json_into(engine, (const uint8_t *)request, strlen(request), buffer, sizeof buffer, &len);
        if (status != CTP_OK || len > sizeof buffer) {
            EXPECT(0, "reused buffer, call %d: status %u, %zu bytes", i, status, len);
            break;
        }
    }
    EXPECT(len > 0 && memcmp(buffer, "{\"decision\":\"DENY\"", 18) == 0, "the last answer is the DENY");

    /* Bad arguments. */
    EXPECT(ctp_check_json_into(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), buffer, sizeof buffer, NULL) == CTP_INVALID_ARGUMENT,
           "NULL out_len");
    EXPECT(ctp_check_json_into(NULL, (const uint8_t *)RENEWAL, strlen(RENEWAL), buffer, sizeof buffer, &len) == CTP_INVALID_ARGUMENT
               && len <= sizeof buffer && memmem(buffer, len, "engine is NULL", 14) != NULL,
           "NULL engine: the error object says so");
    EXPECT(ctp_check_json_into(engine, NULL, 5, buffer, sizeof buffer, &len) == CTP_INVALID_ARGUMENT
               && memmem(buffer, len, "request_json is NULL", 20) != NULL,
           "NULL request with a length");
    EXPECT(ctp_check_json_into(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), NULL, 16, &len) == CTP_INVALID_ARGUMENT && len > 16,
           "NULL out with a capacity");

    ctp_engine_free(engine);
    return finish("into");
}
