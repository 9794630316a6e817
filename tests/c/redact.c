/*
 * Token hygiene through the C ABI (docs/HYGIENE.md H1, H2): every redaction
 * vector (tests/vectors/redact.json, flattened by flatten_redact.py) through
 * ctp_redact, through the streaming ctp_redactor cut into pieces, and
 * through ctp_scan; then the argument checks.
 */
#include "common.h"

enum { FIELDS = 5 };

static unsigned nibble(char c) {
    if (c >= '0' && c <= '9') return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f') return (unsigned)(c - 'a' + 10);
    fprintf(stderr, "bad hex\n");
    exit(2);
}

static unsigned char *unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    *len = 0;
    if (n == 1 && hex[0] == '-') return NULL;
    unsigned char *out = malloc(n / 2 + 1);
    if (!out) { perror("malloc"); exit(2); }
    for (size_t i = 0; i + 1 < n; i += 2) {
        out[i / 2] = (unsigned char)(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
    }
    *len = n / 2;
    return out;
}

/* Appends a library buffer to a growing byte array, then frees it. */
static size_t all_cap = 0;
static void append(unsigned char **all, size_t *len, ctp_buf *buf) {
    if (*all == NULL) all_cap = 0;
    if (buf->len) {
        if (*len + buf->len > all_cap) {
            all_cap = (*len + buf->len) * 2;
            *all = realloc(*all, all_cap);
        }
        if (!*all) { perror("realloc"); exit(2); }
        memcpy(*all + *len, buf->ptr, buf->len);
        *len += buf->len;
    }
    ctp_buf_free(buf);
}

static int same(const unsigned char *a, size_t a_len, const unsigned char *b, size_t b_len) {
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* The stream cut into pieces of `piece` bytes gives the whole redaction. */
static void check_stream(const char *name, const unsigned char *text, size_t len, size_t piece,
                         const unsigned char *want, size_t want_len, uint64_t count) {
    ctp_redactor *redactor = NULL;
    EXPECT(ctp_redactor_new(&redactor, NULL) == CTP_OK && redactor, "%s: redactor", name);
    unsigned char *all = NULL;
    size_t all_len = 0;
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        ctp_buf out = {0};
        EXPECT(ctp_redactor_write(redactor, text + at, n, &out, &out) == CTP_OK, "%s: write", name);
        append(&all, &all_len, &out);
    }
    ctp_buf out = {0};
    EXPECT(ctp_redactor_finish(redactor, &out, &out) == CTP_OK, "%s: finish", name);
    append(&all, &all_len, &out);
    size_t replaced = 0;
    EXPECT(ctp_redactor_count(redactor, &replaced, NULL) == CTP_OK && replaced == count,
           "%s: count %llu, want %llu", name, (unsigned long long)replaced, (unsigned long long)count);
    EXPECT(same(all, all_len, want, want_len), "%s: the stream in %zu-byte pieces differs", name, piece);
    free(all);
    ctp_redactor_free(redactor);
}

static void check_arguments(void) {
    ctp_buf out = {0}, error = {0};
    size_t count = 7;
    EXPECT(ctp_redact(NULL, 0, &out, &count, &out) == CTP_OK && out.ptr == NULL && out.len == 0 && count == 0, "empty text");
    EXPECT(ctp_redact(NULL, 3, &out, &count, &error) == CTP_INVALID_ARGUMENT && out.ptr == NULL && error_says(&error, "NULL with a non-zero length"), "NULL text with a length");
    EXPECT(ctp_redact((const uint8_t *)"x", 1, NULL, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL out");
    EXPECT(ctp_redact((const uint8_t *)"x", 1, &out, NULL, &out) == CTP_OK && buf_equals(&out, "x", 1), "count may be NULL");
    ctp_buf_free(&out);
    EXPECT(ctp_scan(NULL, 1, &out, NULL, &error) == CTP_INVALID_ARGUMENT && out.ptr == NULL && error_says(&error, "NULL with a non-zero length"), "scan: NULL text with a length");
    EXPECT(ctp_scan((const uint8_t *)"x", 1, NULL, NULL, NULL) == CTP_INVALID_ARGUMENT, "scan: NULL out");
    EXPECT(ctp_redactor_new(NULL, NULL) == CTP_INVALID_ARGUMENT, "redactor_new NULL");
    EXPECT(ctp_redactor_write(NULL, (const uint8_t *)"x", 1, &out, &error) == CTP_INVALID_ARGUMENT && out.ptr == NULL && error_says(&error, "redactor is NULL"), "write NULL redactor");
    EXPECT(ctp_redactor_finish(NULL, &out, &error) == CTP_INVALID_ARGUMENT && out.ptr == NULL && error_says(&error, "redactor is NULL"), "finish NULL redactor");
    EXPECT(ctp_redactor_count(NULL, NULL, NULL) == CTP_INVALID_ARGUMENT, "count NULL");
    EXPECT(ctp_redactor_count(NULL, NULL, &error) == CTP_INVALID_ARGUMENT && error_says(&error, "redactor is NULL"), "count NULL, said");
    ctp_redactor_free(NULL);

    /* A token split across writes; after finish the stream has ended for good. */
    const char *token = "krn:customer-token:eu1:a1b2";
    ctp_redactor *redactor = NULL;
    EXPECT(ctp_redactor_new(&redactor, NULL) == CTP_OK, "redactor");
    EXPECT(ctp_redactor_write(redactor, (const uint8_t *)token, 10, &out, &out) == CTP_OK && out.len == 0, "held back");
    EXPECT(ctp_redactor_write(redactor, NULL, 0, &out, &out) == CTP_OK && out.len == 0, "an empty write");
    EXPECT(ctp_redactor_write(redactor, NULL, 1, &out, &error) == CTP_INVALID_ARGUMENT && out.ptr == NULL && error_says(&error, "text is NULL"), "NULL bytes with a length");
    EXPECT(ctp_redactor_write(redactor, (const uint8_t *)token + 10, strlen(token) - 10, &out, &out) == CTP_OK, "rest");
    ctp_buf_free(&out);
    EXPECT(ctp_redactor_finish(redactor, &out, &out) == CTP_OK && buf_contains(&out, "[customer-token sha256:")
           && !buf_contains(&out, "a1b2"), "finish gives the replacement");
    ctp_buf_free(&out);
    /* A write after finish is refused, never taken as a new stream: the two
     * halves of a token cut by finish would otherwise both come out plain. */
    EXPECT(ctp_redactor_write(redactor, (const uint8_t *)"krn:customer-", 13, &out, &error) == CTP_INVALID_ARGUMENT && error_says(&error, "the stream has ended")
           && out.ptr == NULL, "a write after finish");
    EXPECT(ctp_redactor_finish(redactor, &out, &out) == CTP_OK && out.len == 0, "a second finish gives nothing");
    ctp_buf_free(&out);
    size_t total = 0;
    EXPECT(ctp_redactor_count(redactor, &total, NULL) == CTP_OK && total == 1, "the count survives the end");
    ctp_redactor_free(redactor);

    /* finish mid-token: the first half alone is not an occurrence and comes
     * out as it is; the second half is refused. */
    redactor = NULL;
    EXPECT(ctp_redactor_new(&redactor, NULL) == CTP_OK, "redactor");
    EXPECT(ctp_redactor_write(redactor, (const uint8_t *)token, 19, &out, &out) == CTP_OK, "first half");
    ctp_buf_free(&out);
    EXPECT(ctp_redactor_finish(redactor, &out, &out) == CTP_OK && buf_equals(&out, token, 19), "finish mid-token");
    ctp_buf_free(&out);
    EXPECT(ctp_redactor_write(redactor, (const uint8_t *)token + 19, strlen(token) - 19, &out, &error) == CTP_INVALID_ARGUMENT && out.ptr == NULL && error_says(&error, "the stream has ended"),
           "the second half is refused");
    ctp_redactor_free(redactor);

    /* Freed with bytes held back: they are wiped, never leaked. */
    redactor = NULL;
    EXPECT(ctp_redactor_new(&redactor, NULL) == CTP_OK, "redactor");
    EXPECT(ctp_redactor_write(redactor, (const uint8_t *)token, 20, &out, &out) == CTP_OK, "held at free");
    ctp_buf_free(&out);
    ctp_redactor_free(redactor);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s redact.tsv\n", argv[0]); return 2; }
    FILE *file = fopen(argv[1], "r");
    if (!file) { perror(argv[1]); return 2; }
    size_t cap = 0;
    char *line = NULL;
    ssize_t got;
    int cases = 0;
    while ((got = getline(&line, &cap, file)) > 0) {
        if (line[got - 1] == '\n') line[got - 1] = '\0';
        char *f[FIELDS];
        int n = 0;
        f[n++] = line;
        for (char *p = line; *p && n < FIELDS; p++) {
            if (*p == '\t') { *p = '\0'; f[n++] = p + 1; }
        }
        if (n != FIELDS) { fprintf(stderr, "malformed line\n"); return 2; }
        const char *name = f[0];
        size_t text_len, want_len, reports_len;
        unsigned char *text = unhex(f[1], &text_len);
        unsigned char *want = unhex(f[2], &want_len);
        unsigned long long count = strtoull(f[3], NULL, 10);
        unsigned char *reports = unhex(f[4], &reports_len);
        cases++;

        ctp_buf out = {0};
        size_t found = 99;
        EXPECT(ctp_redact(text, text_len, &out, &found, &out) == CTP_OK, "%s: ctp_redact", name);
        EXPECT(found == count, "%s: count %zu, want %llu", name, found, count);
        EXPECT(same(out.ptr, out.len, want, want_len), "%s: ctp_redact output differs", name);
        ctp_buf_free(&out);

        check_stream(name, text, text_len, text_len < 4096 ? 1 : 65521, want, want_len, count);
        if (text_len >= 4096) check_stream(name, text, text_len, 4093, want, want_len, count);

        found = 99;
        EXPECT(ctp_scan(text, text_len, &out, &found, &out) == CTP_OK && found == count, "%s: ctp_scan", name);
        EXPECT(same(out.ptr, out.len, reports, reports_len), "%s: reports differ:\n  abi: %.*s\n  want: %.*s", name,
               (int)out.len, (char *)out.ptr, (int)reports_len, (char *)reports);
        ctp_buf_free(&out);
        free(text);
        free(want);
        free(reports);
    }
    free(line);
    fclose(file);
    EXPECT(cases >= 30, "expected at least 30 redaction vectors, read %d", cases);
    check_arguments();
    return finish("c redact");
}
