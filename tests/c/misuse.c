/*
 * The ABI's promises under misuse: NULLs, bad bytes, oversize and deeply
 * nested input, unknown status numbers, double frees made harmless, and
 * out-parameters left untouched on failure. Run under ASan+UBSan and
 * valgrind by the Makefile: any leak or invalid access fails the run.
 */
#include "common.h"

static const char RENEWAL[] =
    "{\"customer_present\":false,"
    "\"headers\":{\"Klarna-Customer-Token\":\"krn:customer-token:eu1:c-1\",\"Klarna-Idempotency-Key\":\"k-1\"},"
    "\"token_record\":{\"customer_token\":\"krn:customer-token:eu1:c-1\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\"},"
    "\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1000,\"payment_transaction_reference\":\"r-1\"}}}";

/* Checks `request`; `want` must be in the decision (CTP_OK) or the error
   object (any other status), and exactly one of the two is written. */
static uint32_t check(const ctp_engine *engine, const void *request, size_t len, const char *want) {
    ctp_buf out = {0}, error = {0};
    uint32_t status = ctp_check_json(engine, request, len, &out, &error);
    const ctp_buf *answer = status == CTP_OK ? &out : &error;
    const ctp_buf *other = status == CTP_OK ? &error : &out;
    EXPECT(other->ptr == NULL && other->len == 0, "exactly one of out and error is written");
    if (want) {
        EXPECT(buf_contains(answer, want), "answer lacks %s: %.*s", want, (int)(answer->len > 300 ? 300 : answer->len), (char *)answer->ptr);
    }
    ctp_buf_free(&out);
    ctp_buf_free(&error);
    return status;
}

int main(void) {
    ctp_engine *engine = NULL;
    EXPECT(ctp_engine_new(NULL, 0, &engine, NULL) == CTP_OK && engine != NULL, "NULL/0 builds the default engine");
    EXPECT(ctp_abi_version() == CTP_ABI_VERSION, "ABI version matches the header");
    EXPECT(strcmp(ctp_version(), "0.1.0") == 0, "version string");
    EXPECT(CTP_VERSION_NUMBER == CTP_VERSION_MAJOR * 10000 + CTP_VERSION_MINOR * 100 + CTP_VERSION_PATCH, "version number");

    /* A good request, and a DENY that is still CTP_OK. */
    EXPECT(check(engine, RENEWAL, strlen(RENEWAL), "\"decision\":\"ALLOW\"") == CTP_OK, "renewal allowed");
    const char deny[] = "{\"customer_present\":false,\"body\":{}}";
    EXPECT(check(engine, deny, strlen(deny), "\"decision\":\"DENY\"") == CTP_OK, "DENY is CTP_OK");

    /* NULL with a length, NULL engine, NULL out. */
    EXPECT(check(engine, NULL, 10, "INVALID_ARGUMENT") == CTP_INVALID_ARGUMENT, "NULL with a length");
    EXPECT(check(NULL, RENEWAL, strlen(RENEWAL), "INVALID_ARGUMENT") == CTP_INVALID_ARGUMENT, "NULL engine");
    ctp_buf null_out_error = {0};
    EXPECT(ctp_check_json(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), NULL, &null_out_error) == CTP_INVALID_ARGUMENT, "NULL out");
    EXPECT(buf_contains(&null_out_error, "out is NULL"), "the error names out");
    ctp_buf_free(&null_out_error);
    EXPECT(ctp_check_json(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL out, no error buffer");
    EXPECT(check(engine, NULL, 0, "JSON_SYNTAX") == CTP_INVALID_REQUEST, "NULL/0 is the empty input");

    /* Bad bytes. */
    const char bad_utf8[] = "{\"customer_present\":true,\"body\":{\"x\":\"\xff\"}}";
    EXPECT(check(engine, bad_utf8, strlen(bad_utf8), "INVALID_UTF8") == CTP_INVALID_UTF8, "invalid UTF-8");
    const char truncated[] = "{\"customer_present\":true,\"body\":{\"currency\":\"EU";
    EXPECT(check(engine, truncated, strlen(truncated), "JSON_SYNTAX") == CTP_INVALID_REQUEST, "truncated JSON");
    const char with_nul[] = "{\"customer_present\":true,\0\"body\":{}}";
    EXPECT(check(engine, with_nul, sizeof with_nul - 1, "JSON_SYNTAX") == CTP_INVALID_REQUEST, "embedded NUL");

    /* 1 MiB + 1 byte, and 100,000 nested brackets. */
    size_t big_len = 1048576 + 1;
    char *big = malloc(big_len);
    memset(big, ' ', big_len);
    EXPECT(check(engine, big, big_len, "TOO_LARGE") == CTP_INVALID_REQUEST, "1 MiB + 1");
    free(big);
    size_t depth = 100000;
    char *deep = malloc(2 * depth);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    EXPECT(check(engine, deep, 2 * depth, "TOO_DEEP") == CTP_INVALID_REQUEST, "100,000 nested brackets");
    free(deep);

    /* Policies: out untouched on failure; the error comes back through the call. */
    ctp_engine *untouched = (ctp_engine *)0x1;
    ctp_buf error = {0};
    const char typo[] = "{\"alowed_regions\":[\"eu1\"]}";
    EXPECT(ctp_engine_new((const uint8_t *)typo, strlen(typo), &untouched, &error) == CTP_INVALID_POLICY, "typo in policy");
    EXPECT(untouched == (ctp_engine *)0x1, "out untouched on failure");
    EXPECT(buf_contains(&error, "\"path\":\"/alowed_regions\""), "error names the field");
    ctp_buf_free(&error);
    ctp_buf_free(&error); /* a freed buffer is reset, so freeing again is a no-op */
    EXPECT(ctp_engine_new(NULL, 3, &untouched, NULL) == CTP_INVALID_ARGUMENT, "NULL policy with a length");
    EXPECT(ctp_engine_new(NULL, 0, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL out");
    EXPECT(ctp_engine_new(NULL, 0, NULL, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "out is NULL"), "NULL out, said");
    ctp_buf_free(&error);

    /* Tokens: detail, wrong type, and never the token itself. */
    ctp_buf out = {0};
    const char secret[] = "krn:customer-token:eu1:super-secret-id ";
    EXPECT(ctp_token_parse((const uint8_t *)secret, strlen(secret), &out, &out) == CTP_TOKEN_INVALID, "trailing space");
    EXPECT(buf_contains(&out, "\"detail\":\"INVALID_CHARACTER\"") && !buf_contains(&out, "super-secret-id"), "detail, no token");
    ctp_buf_free(&out);
    const char session[] = "krn:payment:eu1:klarna-network-session-token:abc";
    EXPECT(ctp_token_parse((const uint8_t *)session, strlen(session), &out, &out) == CTP_TOKEN_INVALID, "session token");
    EXPECT(buf_contains(&out, "TOKEN_WRONG_TYPE"), "wrong type");
    ctp_buf_free(&out);
    EXPECT(ctp_token_parse(NULL, 0, &out, &out) == CTP_TOKEN_INVALID && buf_contains(&out, "EMPTY"), "empty token");
    ctp_buf_free(&out);
    EXPECT(ctp_token_parse((const uint8_t *)"\xc3", 1, &out, &out) == CTP_INVALID_UTF8, "token bytes not UTF-8");
    ctp_buf_free(&out);

    /* Lifecycle. */
    const char event[] = "{\"type\":\"CHARGED\",\"at\":\"2026-11-25T10:00:00Z\"}";
    EXPECT(ctp_apply_event_json(NULL, 0, (const uint8_t *)event, strlen(event), &out, &out) == CTP_TRANSITION_REJECTED, "no record");
    EXPECT(buf_contains(&out, "RECORD_REQUIRED"), "code");
    ctp_buf_free(&out);
    EXPECT(ctp_apply_event_json(NULL, 1, (const uint8_t *)event, strlen(event), &out, &out) == CTP_INVALID_ARGUMENT, "NULL record with a length");
    ctp_buf_free(&out);

    /* Static strings and unknown numbers. */
    EXPECT(strcmp(ctp_status_name(CTP_OK), "OK") == 0, "OK");
    EXPECT(strcmp(ctp_status_name(CTP_TRANSITION_REJECTED), "TRANSITION_REJECTED") == 0, "name");
    EXPECT(strcmp(ctp_status_name(CTP_BUFFER_TOO_SMALL), "BUFFER_TOO_SMALL") == 0, "the buffer status");
    EXPECT(strcmp(ctp_status_name(6), "UNKNOWN") == 0 && strcmp(ctp_status_name(0xFFFFFFFFu), "UNKNOWN") == 0, "unknown status");
    EXPECT(strcmp(ctp_reason_code(301), "SCOPE_MISMATCH") == 0, "reason code");
    EXPECT(ctp_reason_code(999) == NULL && ctp_reason_code(0) == NULL, "unknown id");

    /* Frees of NULL are no-ops. */
    ctp_buf_free(NULL);
    ctp_engine_free(NULL);
    ctp_engine_free(engine);
    return finish("c misuse");
}
