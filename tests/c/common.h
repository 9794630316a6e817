/* Small helpers shared by the C tests: hex decoding and failure counting. */
#ifndef CTP_TEST_COMMON_H
#define CTP_TEST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctpolicy.h"

static int failures = 0;
static int passes = 0;

#define EXPECT(cond, ...)                                              \
    do {                                                               \
        if (cond) {                                                    \
            passes++;                                                  \
        } else {                                                       \
            failures++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);       \
            fprintf(stderr, __VA_ARGS__);                              \
            fprintf(stderr, "\n");                                     \
        }                                                              \
    } while (0)

/* The closing line the CI log reader looks for. */
static inline int finish(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, passes, failures);
    return failures == 0 ? 0 : 1;
}

/* True when the buffer holds exactly `text`. */
static inline int buf_equals(const ctp_buf *buf, const char *text, size_t len) {
    return buf->len == len && (len == 0 || memcmp(buf->ptr, text, len) == 0);
}

/* True when the buffer contains `needle`. */
static inline int buf_contains(const ctp_buf *buf, const char *needle) {
    size_t n = strlen(needle);
    if (n > buf->len) return 0;
    for (size_t i = 0; i + n <= buf->len; i++) {
        if (memcmp(buf->ptr + i, needle, n) == 0) return 1;
    }
    return 0;
}

/* True when the error object holds `needle`; frees it either way. */
static inline int error_says(ctp_buf *error, const char *needle) {
    int found = error->ptr != NULL && buf_contains(error, needle);
    ctp_buf_free(error);
    return found;
}

#endif
