/*
 * ctp_check_json_into: the JSON path answered into the caller's buffer.
 * Every decision (an ALLOW, a DENY) is compared byte for byte with what
 * ctp_check_json gives; a buffer one byte short, or none at all, gets
 * CTP_BUFFER_TOO_SMALL with the exact size and nothing else written; a
 * request that cannot be decided gets the error object of ctp_check_json
 * in `error` and leaves the buffer alone; bad arguments are refused. Run
 * under ASan+UBSan and valgrind, the buffers allocated to the byte, so an
 * overrun of the caller's memory would show.
 */
#include "common.h"
#include "requests.h"

static const char DUPLICATE_KEY[] = "{\"customer_present\":false,\"customer_present\":true,\"body\":{}}";

static uint32_t check_into(const ctp_engine *engine, const char *request, uint8_t *out, size_t capacity, size_t *written,
                           ctp_buf *error) {
    return ctp_check_json_into(engine, (const uint8_t *)request, strlen(request), out, capacity, written, error);
}

/* A decided request through both calls: the same bytes. */
static void agrees_with_ctp_check_json(const ctp_engine *engine, const char *request, const char *what) {
    ctp_buf expected = {0};
    uint32_t expected_status = ctp_check_json(engine, (const uint8_t *)request, strlen(request), &expected, NULL);
    EXPECT(expected_status == CTP_OK && expected.len > 1, "%s: ctp_check_json decides", what);

    /* The size alone: no buffer. */
    size_t needed = 0;
    ctp_buf error = {0};
    uint32_t status = check_into(engine, request, NULL, 0, &needed, &error);
    EXPECT(status == CTP_BUFFER_TOO_SMALL && needed == expected.len && error.ptr == NULL,
           "%s: sizing call (status %u, %zu bytes)", what, status, needed);

    /* One byte short: untouched, told the size, no error object. */
    char *short_buffer = malloc(expected.len - 1);
    memset(short_buffer, '#', expected.len - 1);
    size_t reported = 0;
    status = check_into(engine, request, (uint8_t *)short_buffer, expected.len - 1, &reported, &error);
    EXPECT(status == CTP_BUFFER_TOO_SMALL && reported == expected.len && error.ptr == NULL,
           "%s: a short buffer is told the size", what);
    int untouched = 1;
    for (size_t i = 0; i + 1 < expected.len; i++) untouched &= short_buffer[i] == '#';
    EXPECT(untouched, "%s: a short buffer is not written", what);
    free(short_buffer);

    /* Exactly the size (allocated to it, so ASan sees any overrun). */
    uint8_t *exact = malloc(expected.len);
    size_t written = 0;
    status = check_into(engine, request, exact, expected.len, &written, &error);
    EXPECT(status == CTP_OK && written == expected.len && memcmp(exact, expected.ptr, expected.len) == 0 && error.ptr == NULL,
           "%s: same bytes as ctp_check_json", what);
    free(exact);
    ctp_buf_free(&expected);
}

int main(void) {
    ctp_engine *engine = NULL;
    EXPECT(ctp_engine_new(NULL, 0, &engine, NULL) == CTP_OK, "default engine");
    agrees_with_ctp_check_json(engine, RENEWAL, "ALLOW");
    agrees_with_ctp_check_json(engine, DENY_EU, "DENY");

    /* Not decided: the error object of ctp_check_json, buffer and `written` untouched. */
    ctp_buf expected = {0}, unused = {0};
    uint32_t expected_status = ctp_check_json(engine, (const uint8_t *)DUPLICATE_KEY, strlen(DUPLICATE_KEY), &unused, &expected);
    EXPECT(expected_status == CTP_INVALID_REQUEST, "duplicate key is an invalid request");
    uint8_t buffer[4096];
    memset(buffer, '#', sizeof buffer);
    size_t len = 12345;
    ctp_buf error = {0};
    uint32_t status = check_into(engine, DUPLICATE_KEY, buffer, sizeof buffer, &len, &error);
    EXPECT(status == CTP_INVALID_REQUEST && len == 12345 && buffer[0] == '#' && error.len == expected.len
               && memcmp(error.ptr, expected.ptr, expected.len) == 0,
           "invalid request: the error object of ctp_check_json, nothing else");
    ctp_buf_free(&error);
    ctp_buf_free(&expected);

    /* One buffer reused across calls, the way the call is meant to be used. */
    for (int i = 0; i < 1000; i++) {
        const char *request = (i % 2) ? DENY_EU : RENEWAL;
        status = check_into(engine, request, buffer, sizeof buffer, &len, NULL);
        if (status != CTP_OK || len > sizeof buffer) {
            EXPECT(0, "reused buffer, call %d: status %u, %zu bytes", i, status, len);
            break;
        }
    }
    EXPECT(len > 0 && memcmp(buffer, "{\"decision\":\"DENY\"", 18) == 0, "the last answer is the DENY");

    /* Bad arguments: CTP_INVALID_ARGUMENT naming the parameter, `written` untouched. */
    struct {
        const ctp_engine *engine;
        const char *request;
        uint8_t *out;
        size_t capacity;
        size_t *written;
        const char *message;
    } bad[] = {
        {NULL, RENEWAL, buffer, sizeof buffer, &len, "engine is NULL"},
        {engine, NULL, buffer, sizeof buffer, &len, "request is NULL with a non-zero length"},
        {engine, RENEWAL, NULL, 16, &len, "out is NULL with a non-zero capacity"},
        {engine, RENEWAL, buffer, sizeof buffer, NULL, "written is NULL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = 777;
        status = ctp_check_json_into(bad[i].engine, (const uint8_t *)bad[i].request, strlen(RENEWAL), bad[i].out, bad[i].capacity,
                                     bad[i].written, &error);
        EXPECT(status == CTP_INVALID_ARGUMENT && buf_contains(&error, bad[i].message) && len == 777, "%s", bad[i].message);
        ctp_buf_free(&error);
    }

    ctp_engine_free(engine);
    return finish("into");
}
