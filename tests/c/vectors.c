/*
 * Every shared vector through the C ABI. Reads the flattened vectors made by
 * flatten_vectors.py and checks, for each: the status, the expected
 * violation codes in order, and that the output is byte for byte what the
 * `ctpolicy` command line printed for the same input.
 */
#include "common.h"

enum { MAX_FIELDS = 8 };

static unsigned char *unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    if (n == 1 && hex[0] == '-') { *len = 0; return NULL; }
    unsigned char *out = malloc(n / 2 + 1);
    if (!out) { perror("malloc"); exit(2); }
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned int byte;
        if (sscanf(hex + i, "%2x", &byte) != 1) { fprintf(stderr, "bad hex\n"); exit(2); }
        out[i / 2] = (unsigned char)byte;
    }
    *len = n / 2;
    return out;
}

/* Splits a line on tabs in place. */
static int split(char *line, char **fields) {
    int count = 0;
    fields[count++] = line;
    for (char *p = line; *p && count < MAX_FIELDS; p++) {
        if (*p == '\t') { *p = '\0'; fields[count++] = p + 1; }
    }
    return count;
}

/* The expected codes, comma-separated, appear in the output in this order. */
static int codes_in_order(const ctp_buf *out, const char *codes) {
    if (strcmp(codes, "-") == 0) return !buf_contains(out, "\"violations\":[{");
    char needle[128];
    size_t from = 0;
    const char *code = codes;
    while (*code) {
        const char *end = strchr(code, ',');
        size_t n = end ? (size_t)(end - code) : strlen(code);
        snprintf(needle, sizeof needle, "\"code\":\"%.*s\"", (int)n, code);
        size_t m = strlen(needle), i;
        for (i = from; i + m <= out->len; i++) {
            if (memcmp(out->ptr + i, needle, m) == 0) break;
        }
        if (i + m > out->len) return 0;
        from = i + m;
        code = end ? end + 1 : code + n;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s vectors.tsv\n", argv[0]); return 2; }
    FILE *file = fopen(argv[1], "r");
    if (!file) { perror(argv[1]); return 2; }
    size_t cap = 0;
    char *line = NULL;
    ssize_t got;
    int cases = 0;
    while ((got = getline(&line, &cap, file)) > 0) {
        if (line[got - 1] == '\n') line[got - 1] = '\0';
        char *f[MAX_FIELDS];
        if (split(line, f) != MAX_FIELDS) { fprintf(stderr, "malformed vectors line\n"); return 2; }
        const char *kind = f[0], *name = f[1], *status_name = f[6], *codes = f[7];
        size_t policy_len, input_len, input2_len, input3_len = 0, cli_len;
        /* A response row carries the request and the answer as "hex:hex". */
        char *third = strcmp(kind, "response") == 0 ? strchr(f[4], ':') : NULL;
        if (third) *third++ = '\0';
        unsigned char *policy = unhex(f[2], &policy_len);
        unsigned char *input = unhex(f[3], &input_len);
        unsigned char *input2 = unhex(f[4], &input2_len);
        unsigned char *input3 = third ? unhex(third, &input3_len) : NULL;
        unsigned char *cli = unhex(f[5], &cli_len);
        int compare_cli = strcmp(f[5], "-") != 0;
        ctp_buf out = {0};
        uint32_t status;
        cases++;
        if (strcmp(kind, "check") == 0) {
            ctp_engine *engine = NULL;
            ctp_buf error = {0};
            uint32_t made = ctp_engine_new(policy, policy_len, &engine, &error);
            EXPECT(made == CTP_OK, "%s: the policy must load", name);
            ctp_buf_free(&error);
            status = ctp_check_json(engine, input, input_len, &out, &out);
            ctp_engine_free(engine);
            if (strcmp(status_name, "OK") == 0) {
                EXPECT(codes_in_order(&out, codes), "%s: expected violations %s, got %.*s", name, codes, (int)out.len, (char *)out.ptr);
            }
        } else if (strcmp(kind, "token") == 0) {
            status = ctp_token_parse(input, input_len, &out, &out);
        } else if (strcmp(kind, "response") == 0) {
            EXPECT(third != NULL, "%s: a response row holds the request and the answer", name);
            /* policy_hex holds `at` for a response row. */
            status = ctp_apply_response_json(input, input_len, input2, input2_len, input3, input3_len,
                                             policy, policy_len, &out, &out);
        } else {
            status = ctp_apply_event_json(input, input_len, input2, input2_len, &out, &out);
        }
        EXPECT(strcmp(ctp_status_name(status), status_name) == 0, "%s: status %s, want %s", name, ctp_status_name(status), status_name);
        if (compare_cli) {
            EXPECT(buf_equals(&out, (const char *)cli, cli_len), "%s: the ABI output differs from the CLI's:\n  abi: %.*s\n  cli: %.*s",
                   name, (int)out.len, (char *)out.ptr, (int)cli_len, (char *)cli);
        }
        ctp_buf_free(&out);
        free(policy);
        free(input);
        free(input2);
        free(input3);
        free(cli);
    }
    free(line);
    fclose(file);
    EXPECT(cases >= 150, "expected at least 150 vectors, read %d", cases);
    return finish("c vectors");
}
