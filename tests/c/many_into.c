/*
 * ctp_check_many_into: a batch answered back to back into one caller
 * buffer. Every placed answer is compared byte for byte with what
 * ctp_check_many gives for the same request (ALLOW, DENY, an invalid
 * request, a NULL item); a buffer one byte short, or none at all, gets
 * CTP_BUFFER_TOO_SMALL with the exact size and no results; bad arguments
 * are refused, naming the parameter. Run under ASan+UBSan and valgrind,
 * the buffers allocated to the byte, so an overrun would show.
 */
#include "common.h"
#include "requests.h"

#define N 4

static const char INVALID[] = "{\"customer_present\":false,\"customer_present\":true,\"body\":{}}";

static uint32_t many_into(const ctp_engine *engine, const ctp_input *inputs, ctp_placed_result *places, uint8_t *out,
                          size_t capacity, size_t *written, ctp_batch_counts *counts, ctp_buf *error) {
    return ctp_check_many_into(engine, inputs, N, places, out, capacity, written, counts, error);
}

int main(void) {
    ctp_engine *engine = NULL;
    EXPECT(ctp_engine_new(NULL, 0, &engine, NULL) == CTP_OK, "default engine");
    ctp_input inputs[N] = {
        {(const uint8_t *)RENEWAL, strlen(RENEWAL)},
        {(const uint8_t *)DENY_EU, strlen(DENY_EU)},
        {(const uint8_t *)INVALID, strlen(INVALID)},
        {NULL, 7},
    };

    /* What ctp_check_many answers, to compare with. */
    ctp_result expected[N];
    EXPECT(ctp_check_many(engine, inputs, N, expected, NULL, NULL) == CTP_OK, "ctp_check_many");
    size_t total = 0;
    for (int i = 0; i < N; i++) total += expected[i].json.len;

    /* The size alone: no buffer, no results, no counts, no error object. */
    ctp_placed_result places[N];
    memset(places, 0x5A, sizeof places);
    ctp_batch_counts counts = {77, 77, 77};
    ctp_buf error = {0};
    size_t needed = 0;
    uint32_t status = many_into(engine, inputs, places, NULL, 0, &needed, &counts, &error);
    EXPECT(status == CTP_BUFFER_TOO_SMALL && needed == total && error.ptr == NULL, "sizing call (status %u, %zu bytes)",
           status, needed);

    /* One byte short: told the size again, results and counts untouched. */
    uint8_t *short_buffer = malloc(total - 1);
    size_t reported = 0;
    status = many_into(engine, inputs, places, short_buffer, total - 1, &reported, &counts, &error);
    EXPECT(status == CTP_BUFFER_TOO_SMALL && reported == total && error.ptr == NULL, "a short buffer is told the size");
    int untouched = counts.allowed == 77 && counts.denied == 77 && counts.invalid == 77;
    for (int i = 0; i < N; i++) untouched &= places[i].status == 0x5A5A5A5Au;
    EXPECT(untouched, "a short buffer gets no results and no counts");
    free(short_buffer);

    /* Exactly the size (allocated to it, so ASan sees any overrun). */
    uint8_t *exact = malloc(total);
    size_t written = 0;
    status = many_into(engine, inputs, places, exact, total, &written, &counts, &error);
    EXPECT(status == CTP_OK && written == total && error.ptr == NULL, "exact size (status %u)", status);
    EXPECT(counts.allowed == 1 && counts.denied == 1 && counts.invalid == 2, "counts %zu %zu %zu", counts.allowed,
           counts.denied, counts.invalid);
    size_t offset = 0;
    for (int i = 0; i < N; i++) {
        EXPECT(places[i].status == expected[i].status && places[i].allowed == expected[i].allowed, "item %d: status", i);
        EXPECT(places[i].offset == offset && places[i].len == expected[i].json.len
                   && memcmp(exact + places[i].offset, expected[i].json.ptr, places[i].len) == 0,
               "item %d: the bytes of ctp_check_many, back to back", i);
        offset += places[i].len;
    }
    EXPECT(places[3].status == CTP_INVALID_ARGUMENT, "a NULL item is its own CTP_INVALID_ARGUMENT");
    free(exact);
    ctp_results_free(expected, N);

    /* One buffer reused across calls, the way the call is meant to be used. */
    static uint8_t buffer[16384];
    for (int i = 0; i < 200; i++) {
        status = many_into(engine, inputs, places, buffer, sizeof buffer, &written, NULL, NULL);
        if (status != CTP_OK || written != total) {
            EXPECT(0, "reused buffer, call %d: status %u, %zu bytes", i, status, written);
            break;
        }
    }

    /* No requests: every array may be NULL. */
    written = 99;
    EXPECT(ctp_check_many_into(engine, NULL, 0, NULL, NULL, 0, &written, &counts, NULL) == CTP_OK && written == 0
               && counts.allowed == 0 && counts.invalid == 0,
           "empty batch");

    /* Bad arguments: CTP_INVALID_ARGUMENT naming the parameter, nothing else written. */
    struct {
        const ctp_engine *engine;
        const ctp_input *requests;
        ctp_placed_result *results;
        uint8_t *out;
        size_t *written;
        const char *message;
    } bad[] = {
        {NULL, inputs, places, buffer, &written, "engine is NULL"},
        {engine, NULL, places, buffer, &written, "requests is NULL with a non-zero length"},
        {engine, inputs, NULL, buffer, &written, "results is NULL with a non-zero length"},
        {engine, inputs, places, NULL, &written, "out is NULL with a non-zero capacity"},
        {engine, inputs, places, buffer, NULL, "written is NULL"},
    };
    memset(places, 0x5A, sizeof places);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        written = 777;
        status = ctp_check_many_into(bad[i].engine, bad[i].requests, N, bad[i].results, bad[i].out, sizeof buffer,
                                     bad[i].written, NULL, &error);
        EXPECT(status == CTP_INVALID_ARGUMENT && buf_contains(&error, bad[i].message) && written == 777
                   && places[0].status == 0x5A5A5A5Au,
               "%s", bad[i].message);
        ctp_buf_free(&error);
    }

    ctp_engine_free(engine);
    return finish("many_into");
}
