/* One engine shared by many threads without locks: every answer must equal
 * the single-threaded one, byte for byte. `threads [THREADS ROUNDS]`:
 * 8 x 2,000 by default; the sanitizer run uses 16 x 62,500 = 1,000,000. */
#include <pthread.h>

#include "common.h"

enum { MAX_THREADS = 64 };
static long rounds = 2000;

static const char *REQUESTS[] = {
    "{\"customer_present\":false,\"headers\":{\"Klarna-Customer-Token\":\"krn:customer-token:eu1:t-1\",\"Klarna-Idempotency-Key\":\"k\"},"
    "\"token_record\":{\"customer_token\":\"krn:customer-token:eu1:t-1\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\"},"
    "\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1000}}}",
    "{\"customer_present\":false,\"headers\":{\"Klarna-Customer-Token\":\"krn:customer-token:us1:t-2\"},"
    "\"token_record\":{\"customer_token\":\"krn:customer-token:us1:t-2\",\"scopes\":[\"payment:customer_present\"],\"state\":\"REVOKED\"},"
    "\"body\":{\"currency\":\"USD\",\"step_up_config\":{},\"request_payment_transaction\":{\"amount\":99999999}}}",
    "{\"customer_present\":true,\"body\":{\"a\":1,\"a\":2}}",
};
enum { N = sizeof REQUESTS / sizeof REQUESTS[0] };

static ctp_engine *engine;
static ctp_buf expected[N];
static uint32_t expected_status[N];

static void *worker(void *arg) {
    long *mismatches = arg;
    for (long round = 0; round < rounds; round++) {
        int i = (int)(round % N);
        ctp_buf out = {0};
        /* One buffer for the decision and the error object: exactly one is written. */
        uint32_t status = ctp_check_json(engine, (const uint8_t *)REQUESTS[i], strlen(REQUESTS[i]), &out, &out);
        if (status != expected_status[i] || out.len != expected[i].len || memcmp(out.ptr, expected[i].ptr, out.len) != 0) {
            (*mismatches)++;
        }
        ctp_buf_free(&out);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads_count = argc > 1 ? atoi(argv[1]) : 8;
    if (argc > 2) rounds = atol(argv[2]);
    if (threads_count < 1 || threads_count > MAX_THREADS || rounds < 1) { fprintf(stderr, "usage: threads [THREADS<=64 ROUNDS]\n"); return 2; }
    const char policy[] = "{\"allowed_regions\":[\"eu1\"],\"max_amount\":{\"payment:customer_not_present\":{\"USD\":50000}}}";
    EXPECT(ctp_engine_new((const uint8_t *)policy, strlen(policy), &engine, NULL) == CTP_OK, "engine");
    for (int i = 0; i < N; i++) {
        expected_status[i] = ctp_check_json(engine, (const uint8_t *)REQUESTS[i], strlen(REQUESTS[i]), &expected[i], &expected[i]);
    }
    pthread_t threads[MAX_THREADS];
    long mismatches[MAX_THREADS] = {0};
    for (int t = 0; t < threads_count; t++) pthread_create(&threads[t], NULL, worker, &mismatches[t]);
    for (int t = 0; t < threads_count; t++) {
        pthread_join(threads[t], NULL);
        EXPECT(mismatches[t] == 0, "thread %d saw %ld answers differing from the single-threaded run", t, mismatches[t]);
    }
    for (int i = 0; i < N; i++) ctp_buf_free(&expected[i]);
    ctp_engine_free(engine);
    printf("c threads: %d threads x %ld checks on one engine\n", threads_count, rounds);
    return finish("c threads");
}
