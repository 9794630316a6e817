/* The vault lint through the C ABI: every case of tests/vectors/vault.json
 * (flattened by flatten_vault.py) fed one record at a time must give
 * exactly the findings the vectors expect, byte for byte. Then misuse:
 * NULL arguments, bad options, and a lint with no findings. */
#include <stdint.h>

#include "common.h"

static unsigned char *unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    if (n == 1 && hex[0] == '-') { *len = 0; return NULL; }
    unsigned char *out = malloc(n / 2 + 1);
    if (!out) { perror("malloc"); exit(2); }
    for (size_t i = 0; i < n; i += 2) {
        unsigned int byte;
        if (sscanf(hex + i, "%2x", &byte) != 1) { fprintf(stderr, "bad hex\n"); exit(2); }
        out[i / 2] = (unsigned char)byte;
    }
    *len = n / 2;
    return out;
}

/* Runs one case; returns nothing, counts through EXPECT. */
static void run_case(char **f) {
    size_t policy_len, now_len, expected_len;
    unsigned char *policy = unhex(f[1], &policy_len);
    unsigned char *now = unhex(f[2], &now_len);
    long long stale_days = strtoll(f[3], NULL, 10);
    unsigned char *expected = unhex(f[5], &expected_len);

    ctp_vault *vault = NULL;
    ctp_buf error = {0};
    uint32_t status = ctp_vault_new(policy, policy_len, now, now_len, (int64_t)stale_days, &vault, &error);
    EXPECT(status == CTP_OK, "%s: ctp_vault_new gave %s", f[0], ctp_status_name(status));
    ctp_buf_free(&error);
    if (status != CTP_OK) goto done;

    /* Concatenate every record's findings, then compare with the vectors. */
    size_t got_len = 0, got_cap = 1024;
    unsigned char *got = malloc(got_cap);
    char *records = strdup(f[4]);
    char *save = NULL;
    for (char *hex = strtok_r(records, ",", &save); hex && strcmp(f[4], "-") != 0; hex = strtok_r(NULL, ",", &save)) {
        size_t record_len;
        unsigned char *record = unhex(hex, &record_len);
        ctp_buf out = {0};
        size_t count = 12345;
        status = ctp_vault_feed(vault, record, record_len, &out, &count, &out);
        EXPECT(status == CTP_OK, "%s: ctp_vault_feed gave %s", f[0], ctp_status_name(status));
        size_t lines = 0;
        for (size_t i = 0; i < out.len; i++) lines += out.ptr[i] == '\n';
        EXPECT(count == lines, "%s: count %zu for %zu lines", f[0], count, lines);
        if (got_len + out.len > got_cap) {
            got_cap = (got_len + out.len) * 2;
            got = realloc(got, got_cap);
            if (!got) { perror("realloc"); exit(2); }
        }
        if (out.len) memcpy(got + got_len, out.ptr, out.len);
        got_len += out.len;
        ctp_buf_free(&out);
        free(record);
    }
    EXPECT(got_len == expected_len && (got_len == 0 || memcmp(got, expected, got_len) == 0),
           "%s: findings differ\n  expected: %.*s\n  got:      %.*s", f[0], (int)expected_len,
           expected ? (const char *)expected : "", (int)got_len, (const char *)got);
    free(records);
    free(got);
    ctp_vault_free(vault);
done:
    free(policy);
    free(now);
    free(expected);
}

static void misuse(void) {
    ctp_vault *vault = NULL;
    ctp_buf buf = {0};
    EXPECT(ctp_vault_new(NULL, 0, NULL, 0, -1, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL out");
    EXPECT(ctp_vault_new(NULL, 0, (const uint8_t *)"2026-11-30", 10, -1, &vault, &buf) == CTP_INVALID_ARGUMENT,
           "a date is not a timestamp");
    EXPECT(vault == NULL && buf_contains(&buf, "INVALID_NOW"), "error object names INVALID_NOW");
    ctp_buf_free(&buf);
    EXPECT(ctp_vault_new(NULL, 0, NULL, 0, 7, &vault, &buf) == CTP_INVALID_ARGUMENT, "stale days need now");
    EXPECT(buf_contains(&buf, "STALE_DAYS_NEED_NOW"), "error object names STALE_DAYS_NEED_NOW");
    ctp_buf_free(&buf);
    const char *policy = "{\"allowed_regions\": 1}";
    EXPECT(ctp_vault_new((const uint8_t *)policy, strlen(policy), NULL, 0, -1, &vault, NULL) == CTP_INVALID_POLICY,
           "a bad policy");
    EXPECT(vault == NULL, "out untouched on failure");

    EXPECT(ctp_vault_new(NULL, 0, NULL, 0, -1, &vault, NULL) == CTP_OK, "default options");
    const char *good = "{\"customer_token\":\"krn:customer-token:eu1:abc\",\"customer_token_reference\":\"r\","
                       "\"scopes\":[\"payment:customer_present\"],\"state\":\"ACTIVE\","
                       "\"created_at\":\"2026-01-01T00:00:00Z\",\"customer_id\":\"c\"}";
    size_t count = 99;
    EXPECT(ctp_vault_feed(vault, (const uint8_t *)good, strlen(good), &buf, &count, &buf) == CTP_OK, "a good record");
    EXPECT(buf.ptr == NULL && buf.len == 0 && count == 0, "no findings: an empty buffer and count 0");
    EXPECT(ctp_vault_feed(vault, (const uint8_t *)good, strlen(good), NULL, &count, NULL) == CTP_INVALID_ARGUMENT,
           "NULL out");
    EXPECT(ctp_vault_feed(NULL, (const uint8_t *)good, strlen(good), &buf, NULL, &buf) == CTP_INVALID_ARGUMENT,
           "NULL vault");
    ctp_buf_free(&buf);
    EXPECT(ctp_vault_feed(vault, (const uint8_t *)good, strlen(good), &buf, NULL, &buf) == CTP_OK, "count may be NULL");
    EXPECT(buf_contains(&buf, "\"line\":2,\"code\":\"DUPLICATE_TOKEN\"") && buf_contains(&buf, "\"related_line\":1}"),
           "the second copy is a duplicate of the first: %.*s", (int)buf.len, (const char *)buf.ptr);
    EXPECT(!buf_contains(&buf, "eu1:abc"), "no token in the findings");
    ctp_buf_free(&buf);
    ctp_vault_free(vault);
    ctp_vault_free(NULL);
}

/* Four shards, each fed every record, report together what one lint reports. */
static void shards(void) {
    const char *records[] = {
        "{\"customer_token\":\"krn:customer-token:eu1:aa\",\"customer_token_reference\":\"r\",\"scopes\":[\"payment:customer_present\"],\"state\":\"ACTIVE\",\"created_at\":\"2026-01-01T00:00:00Z\",\"customer_id\":\"c\"}",
        "{\"customer_token\":\"krn:customer-token:eu1:bb\",\"customer_token_reference\":\"r\",\"scopes\":[\"payment:customer_present\"],\"state\":\"ACTIVE\",\"created_at\":\"2026-01-01T00:00:00Z\",\"customer_id\":\"c\"}",
        "{\"customer_token\":\"krn:customer-token:eu1:aa\",\"scopes\":[]}",
        "{oops",
        "{\"customer_token\":7}",
    };
    size_t plain = 0, total = 0;
    for (unsigned index = 0; index <= 4; index++) {
        ctp_vault *vault = NULL;
        EXPECT(ctp_vault_new(NULL, 0, NULL, 0, -1, &vault, NULL) == CTP_OK, "new");
        if (index > 0) EXPECT(ctp_vault_set_shard(vault, index, 4, NULL) == CTP_OK, "shard %u/4", index);
        for (size_t i = 0; i < sizeof records / sizeof *records; i++) {
            ctp_buf out = {0};
            size_t count = 0;
            EXPECT(ctp_vault_feed(vault, (const uint8_t *)records[i], strlen(records[i]), &out, &count, &out) == CTP_OK, "feed");
            if (index == 0) plain += count; else total += count;
            ctp_buf_free(&out);
        }
        ctp_buf error = {0};
        EXPECT(ctp_vault_set_shard(vault, 1, 1, &error) == CTP_INVALID_ARGUMENT && error.ptr != NULL, "no shard after a feed");
        ctp_buf_free(&error);
        ctp_vault_free(vault);
    }
    EXPECT(plain == 5 && total == plain, "4 shards report what one lint reports (%zu vs %zu)", total, plain);
    EXPECT(ctp_vault_set_shard(NULL, 1, 1, NULL) == CTP_INVALID_ARGUMENT, "NULL vault");
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: vault VAULT_TSV\n"); return 2; }
    FILE *file = fopen(argv[1], "r");
    if (!file) { perror(argv[1]); return 2; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int cases = 0;
    while ((got = getline(&line, &cap, file)) > 0) {
        if (line[got - 1] == '\n') line[got - 1] = '\0';
        char *f[6];
        char *save = NULL;
        int n = 0;
        for (char *field = strtok_r(line, "\t", &save); field && n < 6; field = strtok_r(NULL, "\t", &save)) f[n++] = field;
        if (n != 6) { fprintf(stderr, "bad line in %s\n", argv[1]); return 2; }
        run_case(f);
        cases++;
    }
    free(line);
    fclose(file);
    EXPECT(cases >= 30, "only %d vault cases", cases);
    shards();
    misuse();
    return finish("vault");
}
