/* The audit trail through the C ABI (docs/HYGIENE.md H3):
 * - ctp_audit_entry_json gives the bytes of tests/vectors/audit.json;
 * - a log written with ctp_audit_check_json is byte for byte the log the
 *   CLI writes for the same requests (those decided with a `now`, so `at`
 *   is the same), and each decision out is ctp_check_json's;
 * - ctp_audit_verify, --expect-head, a torn log and its repair
 *   (ctp_audit_repair), misuse, and 8 threads on one handle;
 * - a log truncated, deleted or renamed over under an open handle, and
 *   paths that are not regular files (/dev/null, a FIFO, a directory).
 * `audit VECTORS.tsv CTPOLICY_BINARY` */
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum { MAX_CASES = 64, MAX_LINE = 8192 };

static char policy[MAX_LINE], clock_at[64];
static char requests[MAX_CASES][MAX_LINE], entries[MAX_CASES][MAX_LINE];
static int cases = 0;
static char dir[256];

/* Copies `text` into `into` (of `size` bytes); a field that does not fit is fatal. */
static void copy_field(char *into, size_t size, const char *text) {
    size_t n = strlen(text);
    if (n >= size) { fprintf(stderr, "a vector field is longer than %zu bytes\n", size); exit(2); }
    memcpy(into, text, n + 1);
}

static void read_tsv(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    static char line[2 * MAX_LINE];
    int row = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) { fprintf(stderr, "bad row %d\n", row); exit(2); }
        *tab = 0;
        if (row == 0) {
            copy_field(policy, sizeof policy, line);
            copy_field(clock_at, sizeof clock_at, tab + 1);
        } else if (cases < MAX_CASES) {
            copy_field(requests[cases], MAX_LINE, line);
            copy_field(entries[cases], MAX_LINE, tab + 1);
            cases++;
        }
        row++;
    }
    fclose(f);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc((size_t)n + 1);
    size_t got = fread(bytes, 1, (size_t)n, f);
    fclose(f);
    bytes[got] = 0;
    *len = got;
    return bytes;
}

static void write_file(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
}

const char *cli_binary_path(void);

static int deterministic(int i) { return strstr(entries[i], clock_at) == NULL; }

static void entry_bytes_match_the_vectors(ctp_engine *engine) {
    for (int i = 0; i < cases; i++) {
        const char *prev = strstr(entries[i], "\"prev\":\"") + 8;
        ctp_buf out = {0};
        uint32_t status = ctp_audit_entry_json(engine, (const uint8_t *)requests[i], strlen(requests[i]), (uint64_t)i + 1,
                                               (const uint8_t *)prev, 71, (const uint8_t *)clock_at, strlen(clock_at), &out, &out);
        EXPECT(status == CTP_OK && buf_equals(&out, entries[i], strlen(entries[i])), "case %d: entry bytes", i);
        ctp_buf_free(&out);
    }
    ctp_buf out = {0};
    EXPECT(ctp_audit_entry_json(engine, (const uint8_t *)"{}", 2, 0, (const uint8_t *)"sha256:", 7, NULL, 0, &out, &out) == CTP_INVALID_ARGUMENT, "seq 0 / bad prev");
    ctp_buf_free(&out);
}

static void abi_log_equals_cli_log(ctp_engine *engine) {
    char abi_log[512], cli_log[512], input[512], policy_file[512], command[4096];
    snprintf(abi_log, sizeof abi_log, "%s/abi.log", dir);
    snprintf(cli_log, sizeof cli_log, "%s/cli.log", dir);
    snprintf(input, sizeof input, "%s/requests.jsonl", dir);
    snprintf(policy_file, sizeof policy_file, "%s/policy.json", dir);
    write_file(policy_file, policy, strlen(policy));
    FILE *f = fopen(input, "wb");
    ctp_audit_log *log = NULL;
    EXPECT(ctp_audit_open((const uint8_t *)abi_log, strlen(abi_log), 0, &log, NULL) == CTP_OK && log, "open");
    int recorded = 0;
    for (int i = 0; i < cases; i++) {
        if (!deterministic(i)) continue;
        fprintf(f, "%s\n", requests[i]);
        ctp_buf decision = {0}, plain = {0};
        uint32_t status = ctp_audit_check_json(engine, log, (const uint8_t *)requests[i], strlen(requests[i]), &decision, &decision);
        uint32_t plain_status = ctp_check_json(engine, (const uint8_t *)requests[i], strlen(requests[i]), &plain, &plain);
        EXPECT(status == plain_status && decision.len == plain.len && memcmp(decision.ptr, plain.ptr, plain.len) == 0,
               "case %d: the decision out is ctp_check_json's", i);
        ctp_buf_free(&decision);
        ctp_buf_free(&plain);
        recorded++;
    }
    fclose(f);
    EXPECT(ctp_audit_close(log, NULL) == CTP_OK, "close");
    EXPECT(recorded >= 5, "enough deterministic cases (%d)", recorded);
    snprintf(command, sizeof command, "%s check --policy %s --audit-log %s %s > /dev/null 2>&1", cli_binary_path(), policy_file, cli_log, input);
    int rc = system(command);
    EXPECT(rc != -1 && WEXITSTATUS(rc) != 3, "the CLI ran (%d)", rc);
    size_t abi_len = 0, cli_len = 0;
    char *abi = slurp(abi_log, &abi_len), *cli = slurp(cli_log, &cli_len);
    EXPECT(abi && cli && abi_len == cli_len && abi_len > 0 && memcmp(abi, cli, abi_len) == 0,
           "the ABI's log is the CLI's, byte for byte (%zu vs %zu bytes)", abi_len, cli_len);
    free(abi);
    free(cli);

    /* Verify: the summary, the head, a cut and a torn log. */
    ctp_buf out = {0};
    EXPECT(ctp_audit_verify((const uint8_t *)abi_log, strlen(abi_log), NULL, 0, &out, &out) == CTP_OK, "verify");
    char expect[128];
    snprintf(expect, sizeof expect, "\"entries\":%d", recorded);
    EXPECT(buf_contains(&out, expect), "summary counts %d entries", recorded);
    const char *head = NULL;
    char head_text[72] = {0};
    if (out.ptr) {
        for (size_t i = 0; i + 8 < out.len; i++) {
            if (memcmp(out.ptr + i, "\"head\":\"", 8) == 0) { head = (const char *)out.ptr + i + 8; break; }
        }
    }
    if (head) memcpy(head_text, head, 71);
    ctp_buf_free(&out);
    EXPECT(ctp_audit_verify((const uint8_t *)abi_log, strlen(abi_log), (const uint8_t *)head_text, 71, &out, &out) == CTP_OK, "expected head");
    ctp_buf_free(&out);

    size_t len = 0;
    char *bytes = slurp(abi_log, &len);
    size_t last_start = len - 1;
    while (last_start > 0 && bytes[last_start - 1] != '\n') last_start--;
    write_file(abi_log, bytes, last_start); /* the last entry cut off */
    EXPECT(ctp_audit_verify((const uint8_t *)abi_log, strlen(abi_log), NULL, 0, &out, &out) == CTP_OK, "a cut log is still a chain");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_verify((const uint8_t *)abi_log, strlen(abi_log), (const uint8_t *)head_text, 71, &out, &out) == CTP_AUDIT_HEAD_MISMATCH
           && buf_contains(&out, "HEAD_MISMATCH"), "--expect-head finds the cut");
    ctp_buf_free(&out);
    write_file(abi_log, bytes, len - 5); /* torn */
    EXPECT(ctp_audit_verify((const uint8_t *)abi_log, strlen(abi_log), NULL, 0, &out, &out) == CTP_AUDIT_LOG_INVALID
           && buf_contains(&out, "TORN_LINE") && buf_contains(&out, "\"line\":"), "torn: named");
    ctp_buf_free(&out);
    log = NULL;
    ctp_buf error = {0};
    EXPECT(ctp_audit_open((const uint8_t *)abi_log, strlen(abi_log), 0, &log, &error) == CTP_AUDIT_LOG_INVALID && log == NULL
           && buf_contains(&error, "TORN_LINE") && buf_contains(&error, "\"line\":")
           && buf_contains(&error, "ctpolicy audit repair"), "a torn log is not appended to; the error names the line and the repair");
    ctp_buf_free(&error);
    /* Repair cuts the torn tail (4 bytes of the last entry are left), then finds nothing to cut. */
    EXPECT(ctp_audit_repair((const uint8_t *)abi_log, strlen(abi_log), &out, &out) == CTP_OK && buf_contains(&out, "\"repaired\":true"),
           "repair cuts a torn tail");
    ctp_buf_free(&out);
    size_t repaired_len = 0;
    char *repaired = slurp(abi_log, &repaired_len);
    EXPECT(repaired && repaired_len == last_start && memcmp(repaired, bytes, last_start) == 0, "exactly the torn line was cut");
    free(repaired);
    EXPECT(ctp_audit_repair((const uint8_t *)abi_log, strlen(abi_log), &out, &out) == CTP_OK && buf_contains(&out, "\"cut_bytes\":0"),
           "nothing that verifies is cut");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_open((const uint8_t *)abi_log, strlen(abi_log), 0, &log, NULL) == CTP_OK && log, "a repaired log is continued");
    ctp_audit_free(log);
    free(bytes);
}

/* One handle, one check, then `change` under it: the next check fails with `code`. */
static void changed_under_a_handle(ctp_engine *engine, const char *what, const char *code) {
    char path[512], moved[520], command[2048];
    snprintf(path, sizeof path, "%s/changed.log", dir);
    snprintf(moved, sizeof moved, "%s.1", path);
    unlink(path);
    ctp_audit_log *log = NULL;
    EXPECT(ctp_audit_open((const uint8_t *)path, strlen(path), 0, &log, NULL) == CTP_OK, "%s: open", what);
    const char *request = requests[0];
    ctp_buf out = {0};
    uint32_t first = ctp_audit_check_json(engine, log, (const uint8_t *)request, strlen(request), &out, &out);
    EXPECT(first == CTP_OK || first == CTP_INVALID_REQUEST, "%s: first check", what);
    ctp_buf_free(&out);
    if (strcmp(what, "truncated") == 0) {
        EXPECT(truncate(path, 0) == 0, "truncate");
    } else if (strcmp(what, "deleted") == 0) {
        EXPECT(unlink(path) == 0, "unlink");
    } else {
        snprintf(command, sizeof command, "mv %s %s && touch %s", path, moved, path);
        EXPECT(system(command) == 0, "rename");
    }
    EXPECT(ctp_audit_check_json(engine, log, (const uint8_t *)request, strlen(request), &out, &out) == CTP_AUDIT_LOG_INVALID
           && buf_contains(&out, code) && buf_contains(&out, "changed.log"), "%s: the check fails with %s, naming the file", what, code);
    ctp_buf_free(&out);
    EXPECT(ctp_audit_close(log, NULL) == CTP_OK, "%s: close", what);
}

/* One writer, one spelling: a decision_id of x, backspace, DEL, y is
 * "x\u0008\u007fy" in the decision and in the entry of the same call. */
static void one_spelling_in_decision_and_entry(ctp_engine *engine) {
    const char *id = "\"decision_id\":\"dec-1\"";
    const char *spelled = "\"decision_id\":\"x\\u0008\\u007fy\"";
    const char *at = strstr(requests[0], id);
    EXPECT(at != NULL, "the first audit vector has decision_id dec-1");
    if (at == NULL) return;
    char request[MAX_LINE + 32], path[512];
    snprintf(request, sizeof request, "%.*s\"decision_id\":\"x\\b\\u007fy\"%s", (int)(at - requests[0]), requests[0],
             at + strlen(id));
    snprintf(path, sizeof path, "%s/spelling.log", dir);
    unlink(path);
    ctp_audit_log *log = NULL;
    EXPECT(ctp_audit_open((const uint8_t *)path, strlen(path), 0, &log, NULL) == CTP_OK, "spelling: open");
    ctp_buf decision = {0};
    EXPECT(ctp_audit_check_json(engine, log, (const uint8_t *)request, strlen(request), &decision, NULL) == CTP_OK,
           "spelling: the check decides");
    EXPECT(buf_contains(&decision, spelled), "spelling: the decision has %s", spelled);
    ctp_buf_free(&decision);
    EXPECT(ctp_audit_close(log, NULL) == CTP_OK, "spelling: close");
    size_t len = 0;
    char *entry = slurp(path, &len);
    EXPECT(entry != NULL && strstr(entry, spelled) != NULL && strchr(entry, 0x7f) == NULL,
           "spelling: the entry has %s and no raw DEL", spelled);
    free(entry);
}

static void not_regular_files(void) {
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    EXPECT(mkfifo(fifo, 0600) == 0, "mkfifo");
    const char *paths[] = {"/dev/null", fifo, dir};
    for (int i = 0; i < 3; i++) {
        ctp_audit_log *log = NULL;
        ctp_buf error = {0};
        EXPECT(ctp_audit_open((const uint8_t *)paths[i], strlen(paths[i]), 0, &log, &error) == CTP_AUDIT_LOG_INVALID
               && log == NULL && buf_contains(&error, "NOT_A_REGULAR_FILE"), "%s is refused (and a FIFO does not hang)", paths[i]);
        ctp_buf_free(&error);
    }
}

static const char *cli_path;
const char *cli_binary_path(void) { return cli_path; }

static ctp_engine *shared_engine;
static ctp_audit_log *shared_log;
enum { THREADS = 8, PER_THREAD = 200 };

static void *worker(void *arg) {
    long *failed = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        const char *request = requests[i % cases];
        ctp_buf out = {0};
        uint32_t status = ctp_audit_check_json(shared_engine, shared_log, (const uint8_t *)request, strlen(request), &out, &out);
        if (status != CTP_OK && status != CTP_INVALID_REQUEST) (*failed)++;
        ctp_buf_free(&out);
    }
    return NULL;
}

static void threads_share_one_handle(ctp_engine *engine) {
    char path[512];
    snprintf(path, sizeof path, "%s/threads.log", dir);
    shared_engine = engine;
    EXPECT(ctp_audit_open((const uint8_t *)path, strlen(path), CTP_AUDIT_FSYNC, &shared_log, NULL) == CTP_OK, "open");
    pthread_t threads[THREADS];
    long failed[THREADS] = {0};
    for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, &failed[t]);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        EXPECT(failed[t] == 0, "thread %d: %ld failed appends", t, failed[t]);
    }
    EXPECT(ctp_audit_close(shared_log, NULL) == CTP_OK, "close");
    ctp_buf out = {0};
    char expect[64];
    snprintf(expect, sizeof expect, "\"entries\":%d", THREADS * PER_THREAD);
    EXPECT(ctp_audit_verify((const uint8_t *)path, strlen(path), NULL, 0, &out, &out) == CTP_OK && buf_contains(&out, expect),
           "one valid chain with every entry");
    ctp_buf_free(&out);
}

static void misuse(ctp_engine *engine) {
    ctp_audit_log *log = NULL;
    ctp_buf out = {0};
    EXPECT(ctp_audit_open(NULL, 3, 0, &log, NULL) == CTP_INVALID_ARGUMENT, "NULL path with a length");
    EXPECT(ctp_audit_open((const uint8_t *)"x", 1, 0, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL out");
    EXPECT(ctp_audit_open((const uint8_t *)"x", 1, 8, &log, NULL) == CTP_INVALID_ARGUMENT, "unknown flag");
    const char *missing = "/nonexistent-dir/audit.log";
    EXPECT(ctp_audit_open((const uint8_t *)missing, strlen(missing), 0, &log, &out) == CTP_IO_ERROR
           && buf_contains(&out, "IO_ERROR") && log == NULL, "unopenable");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_verify((const uint8_t *)missing, strlen(missing), NULL, 0, &out, &out) == CTP_IO_ERROR, "unreadable");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_check_json(engine, NULL, (const uint8_t *)"{}", 2, &out, &out) == CTP_INVALID_ARGUMENT, "NULL log");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_verify((const uint8_t *)"x", 1, (const uint8_t *)"sha256:zz", 9, &out, &out) == CTP_INVALID_ARGUMENT, "bad head");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_repair(NULL, 3, &out, &out) == CTP_INVALID_ARGUMENT, "repair: NULL path with a length");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_repair((const uint8_t *)"x", 1, NULL, NULL) == CTP_INVALID_ARGUMENT, "repair: NULL out");
    EXPECT(ctp_audit_repair((const uint8_t *)missing, strlen(missing), &out, &out) == CTP_IO_ERROR, "repair: unreadable");
    ctp_buf_free(&out);
    EXPECT(ctp_audit_close(NULL, NULL) == CTP_OK, "close(NULL)");
    ctp_audit_free(NULL);
    EXPECT(strcmp(ctp_status_name(CTP_IO_ERROR), "IO_ERROR") == 0 && strcmp(ctp_status_name(CTP_AUDIT_LOG_INVALID), "AUDIT_LOG_INVALID") == 0
           && strcmp(ctp_status_name(CTP_AUDIT_HEAD_MISMATCH), "AUDIT_HEAD_MISMATCH") == 0, "status names");
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: audit VECTORS.tsv CTPOLICY_BINARY\n"); return 2; }
    read_tsv(argv[1]);
    cli_path = argv[2];
    snprintf(dir, sizeof dir, "/tmp/ctpolicy-audit-c-%ld", (long)getpid());
    char command[600];
    snprintf(command, sizeof command, "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(command) != 0) return 2;
    ctp_engine *engine = NULL;
    if (ctp_engine_new((const uint8_t *)policy, strlen(policy), &engine, NULL) != CTP_OK) return 2;
    entry_bytes_match_the_vectors(engine);
    abi_log_equals_cli_log(engine);
    one_spelling_in_decision_and_entry(engine);
    threads_share_one_handle(engine);
    changed_under_a_handle(engine, "truncated", "LOG_TRUNCATED");
    changed_under_a_handle(engine, "deleted", "LOG_REPLACED");
    changed_under_a_handle(engine, "renamed", "LOG_REPLACED");
    not_regular_files();
    misuse(engine);
    ctp_engine_free(engine);
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (system(command) != 0) return 2;
    return finish("audit");
}
