/*
 * The calls that let a binding stay thin: ctp_check_charge (the typed path
 * with its error object), ctp_check_json_verdict (the JSON path answered as
 * a ctp_verdict) and ctp_check_many (an array of requests, a status and a
 * buffer per item). Each answer is compared with ctp_check_json on the same
 * or the equivalent request. Run under ASan+UBSan and valgrind.
 */
#include "common.h"
#include "requests.h"

static const ctp_input NOT_PRESENT_SCOPE[1] = {{(const uint8_t *)"payment:customer_not_present", 28}};

/* The renewal as a typed charge. */
static ctp_typed_charge renewal_charge(void) {
    ctp_typed_charge c;
    memset(&c, 0, sizeof c);
    c.flags = CTP_CHARGE_HAS_TOKEN | CTP_CHARGE_HAS_IDEMPOTENCY_KEY | CTP_CHARGE_WANT_FINGERPRINT;
    c.token = (const uint8_t *)TOKEN;
    c.token_len = strlen(TOKEN);
    c.idempotency_key = (const uint8_t *)"k-1";
    c.idempotency_key_len = 3;
    c.record_state = CTP_RECORD_ACTIVE;
    c.record_token = (const uint8_t *)TOKEN;
    c.record_token_len = strlen(TOKEN);
    c.record_scopes = NOT_PRESENT_SCOPE;
    c.record_scope_count = 1;
    c.currency = (const uint8_t *)"EUR";
    c.currency_len = 3;
    c.amount = 1000;
    return c;
}

static int has_id(const uint16_t *ids, uint32_t count, uint16_t id) {
    for (uint32_t i = 0; i < count; i++) {
        if (ids[i] == id) return 1;
    }
    return 0;
}

/* The error object ctp_check_json gives for `request`. */
static ctp_buf json_error_of(const ctp_engine *engine, const char *request) {
    ctp_buf out = {0}, error = {0};
    uint32_t status = ctp_check_json(engine, (const uint8_t *)request, strlen(request), &out, &error);
    EXPECT(status != CTP_OK, "the JSON path fails on %s", request);
    EXPECT(out.ptr == NULL, "out untouched on failure");
    return error;
}

static void typed_path(const ctp_engine *engine, const ctp_engine *needs_now) {
    ctp_verdict v;
    ctp_buf error = {0};

    ctp_typed_charge c = renewal_charge();
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_OK, "renewal decided");
    EXPECT(v.allowed == 1 && v.violation_count == 0 && v.has_fingerprint == 1, "renewal allowed with a fingerprint");
    EXPECT(error.ptr == NULL && error.len == 0, "error buffer untouched on CTP_OK");

    /* "EU" is a DENY with CURRENCY_INVALID (601), as on the JSON path. */
    c.currency = (const uint8_t *)"EU";
    c.currency_len = 2;
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_OK, "EU is decided, not an error");
    EXPECT(v.allowed == 0 && has_id(v.violations, v.violation_count, 601), "EU denied with 601");
    ctp_verdict jv;
    EXPECT(ctp_check_json_verdict(engine, (const uint8_t *)DENY_EU, strlen(DENY_EU), &jv, NULL, NULL) == CTP_OK, "JSON EU decided");
    EXPECT(jv.violation_count == v.violation_count && memcmp(jv.violations, v.violations, sizeof v.violations) == 0,
           "typed and JSON violations agree");
    EXPECT(jv.warning_count == v.warning_count && memcmp(jv.warnings, v.warnings, sizeof v.warnings) == 0,
           "typed and JSON warnings agree");
    EXPECT(memcmp(jv.fingerprint, v.fingerprint, 32) == 0 && jv.has_fingerprint == 1, "fingerprints agree");
    c.currency = NULL;
    c.currency_len = 0;
    EXPECT(ctp_check_charge(engine, &c, &v, NULL) == CTP_OK && has_id(v.violations, v.violation_count, 601),
           "no currency is 601 too");

    /* A repeated scope is the record fault 204, as the JSON path's record check says. */
    c = renewal_charge();
    const ctp_input twice[2] = {NOT_PRESENT_SCOPE[0], NOT_PRESENT_SCOPE[0]};
    c.record_scopes = twice;
    c.record_scope_count = 2;
    EXPECT(ctp_check_charge(engine, &c, &v, NULL) == CTP_OK && has_id(v.violations, v.violation_count, 204), "repeated scope is 204");
    const ctp_input odd[2] = {NOT_PRESENT_SCOPE[0], {(const uint8_t *)"payment:new", 11}};
    c.record_scopes = odd;
    EXPECT(ctp_check_charge(engine, &c, &v, NULL) == CTP_OK && has_id(v.warnings, v.warning_count, 205) && v.allowed == 1, "unknown scope is 205");
    c.record_scopes = NULL;
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "charge.record_scopes"), "NULL scopes with a count");
    ctp_buf_free(&error);

    /* A negative counter: the JSON path's error object, byte for byte. */
    c = renewal_charge();
    c.flags |= CTP_CHARGE_HAS_ATTEMPTS_24H;
    c.attempts_24h = -1;
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_INVALID_REQUEST, "negative counter");
    ctp_buf expected = json_error_of(engine, "{\"customer_present\":false,\"counters\":{\"attempts_24h\":-1},\"body\":{}}");
    EXPECT(buf_equals(&error, (const char *)expected.ptr, expected.len), "same error object: %.*s", (int)error.len, (const char *)error.ptr);
    ctp_buf_free(&expected);
    ctp_buf_free(&error);

    /* `now` beyond year 9999. */
    c = renewal_charge();
    c.flags |= CTP_CHARGE_HAS_NOW;
    c.now_ms = 253402300800000LL;
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_INVALID_REQUEST, "now out of range");
    expected = json_error_of(engine, "{\"customer_present\":false,\"now\":\"10000-01-01T00:00:00Z\",\"body\":{}}");
    EXPECT(buf_equals(&error, (const char *)expected.ptr, expected.len), "same error object: %.*s", (int)error.len, (const char *)error.ptr);
    ctp_buf_free(&expected);
    ctp_buf_free(&error);

    /* A last use beyond year 9999 is the record fault 204, as in JSON. */
    c = renewal_charge();
    c.flags |= CTP_CHARGE_HAS_LAST_USED_AT;
    c.last_used_at_ms = 253402300800000LL;
    EXPECT(ctp_check_charge(engine, &c, &v, NULL) == CTP_OK && has_id(v.violations, v.violation_count, 204), "last use out of range is 204");
    /* The charge the retired ctp_check refused with CTP_INVALID_ARGUMENT:
       the one typed path decides it, as JSON does. */
    ctp_typed_charge old;
    memset(&old, 0, sizeof old);
    old.flags = CTP_CHARGE_HAS_LAST_USED_AT;
    old.record_state = CTP_RECORD_ACTIVE;
    old.last_used_at_ms = 253402300800000LL;
    EXPECT(ctp_check_charge(engine, &old, &v, NULL) == CTP_OK && has_id(v.violations, v.violation_count, 204),
           "a last use out of range is one status on the typed path: decided, 204");

    /* A partner rule needs `now`: NEEDED_BY_RULE, with the JSON path's bytes. */
    c = renewal_charge();
    EXPECT(ctp_check_charge(needs_now, &c, &v, &error) == CTP_INVALID_REQUEST, "needs a counter");
    ctp_buf json_out = {0}, json_err = {0};
    EXPECT(ctp_check_json(needs_now, (const uint8_t *)RENEWAL, strlen(RENEWAL), &json_out, &json_err) == CTP_INVALID_REQUEST, "JSON needs a counter");
    EXPECT(json_out.ptr == NULL, "out untouched on failure");
    EXPECT(buf_contains(&error, "NEEDED_BY_RULE") && buf_equals(&error, (const char *)json_err.ptr, json_err.len),
           "same NEEDED_BY_RULE object: %.*s", (int)error.len, (const char *)error.ptr);
    ctp_buf_free(&json_err);
    ctp_buf_free(&error);

    /* A token that is not UTF-8. */
    c = renewal_charge();
    c.token = (const uint8_t *)"krn:customer-token:eu1:\xff";
    c.token_len = strlen((const char *)c.token);
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_INVALID_UTF8, "token not UTF-8");
    EXPECT(buf_contains(&error, "\"status\":\"INVALID_UTF8\"") && buf_contains(&error, "\"path\":\"\""), "UTF-8 error object: %.*s", (int)error.len, (const char *)error.ptr);
    ctp_buf_free(&error);

    /* Faults of the call: CTP_INVALID_ARGUMENT with an error object; out untouched. */
    memset(&v, 0xAB, sizeof v);
    c = renewal_charge();
    c.flags |= 1u << 20;
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_INVALID_ARGUMENT, "unknown flag");
    EXPECT(buf_contains(&error, "INVALID_ARGUMENT") && buf_contains(&error, "flags"), "flag error says so");
    EXPECT(v.allowed == 0xABABABABu, "verdict untouched on failure");
    ctp_buf_free(&error);
    c = renewal_charge();
    c.record_state = 7;
    EXPECT(ctp_check_charge(engine, &c, &v, NULL) == CTP_INVALID_ARGUMENT, "unknown state");
    c = renewal_charge();
    c.currency = NULL;
    c.currency_len = 3;
    EXPECT(ctp_check_charge(engine, &c, &v, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "charge.currency"), "NULL currency with a length");
    ctp_buf_free(&error);
    EXPECT(ctp_check_charge(NULL, &c, &v, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "engine"), "NULL engine");
    ctp_buf_free(&error);
    EXPECT(ctp_check_charge(engine, NULL, &v, NULL) == CTP_INVALID_ARGUMENT, "NULL charge");
    c = renewal_charge();
    EXPECT(ctp_check_charge(engine, &c, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL out");
}

static void verdict_path(const ctp_engine *engine) {
    ctp_verdict v;
    ctp_buf decision = {0}, error = {0}, plain = {0};
    EXPECT(ctp_check_json_verdict(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), &v, &decision, &error) == CTP_OK, "verdict");
    EXPECT(v.allowed == 1 && v.has_fingerprint == 1, "allowed with fingerprint");
    EXPECT(error.ptr == NULL, "error untouched on CTP_OK");
    EXPECT(ctp_check_json(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), &plain, NULL) == CTP_OK, "json");
    EXPECT(buf_equals(&decision, (const char *)plain.ptr, plain.len), "decision JSON byte for byte");
    ctp_buf_free(&decision);
    ctp_buf_free(&plain);

    /* Verdict only. */
    EXPECT(ctp_check_json_verdict(engine, (const uint8_t *)DENY_EU, strlen(DENY_EU), &v, NULL, NULL) == CTP_OK, "verdict only");
    EXPECT(v.allowed == 0 && v.violation_count >= 1 && has_id(v.violations, v.violation_count, 601), "601 in the verdict");
    EXPECT(strcmp(ctp_reason_code(v.violations[0]), "CURRENCY_INVALID") == 0, "named by ctp_reason_code");

    /* Failure: the error object, decision untouched; one buffer for both. */
    const char bad[] = "{\"customer_present\":true,\"body\":{},\"body\":{}}";
    ctp_buf both = {0};
    EXPECT(ctp_check_json_verdict(engine, (const uint8_t *)bad, strlen(bad), &v, &both, &both) == CTP_INVALID_REQUEST, "duplicate key");
    ctp_buf expected = json_error_of(engine, bad);
    EXPECT(buf_equals(&both, (const char *)expected.ptr, expected.len), "same error object");
    ctp_buf_free(&expected);
    ctp_buf_free(&both);
    EXPECT(ctp_check_json_verdict(engine, (const uint8_t *)bad, strlen(bad), &v, NULL, NULL) == CTP_INVALID_REQUEST, "no buffers at all");
    EXPECT(ctp_check_json_verdict(engine, NULL, 5, &v, NULL, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "request is NULL"), "NULL with length");
    ctp_buf_free(&error);
    EXPECT(ctp_check_json_verdict(engine, (const uint8_t *)RENEWAL, strlen(RENEWAL), NULL, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL verdict");
    EXPECT(ctp_check_json_verdict(NULL, (const uint8_t *)RENEWAL, strlen(RENEWAL), &v, NULL, NULL) == CTP_INVALID_ARGUMENT, "NULL engine");
}

static void many(const ctp_engine *engine) {
    const char *texts[] = {RENEWAL, DENY_EU, "{\"customer_present\":true,\"bogus\":1,\"body\":{}}", "\n", "{\"customer_present\":true,\"body\":{\"x\":\"\xff\"}}"};
    enum { N = 6 };
    ctp_input inputs[N];
    for (int i = 0; i < 5; i++) {
        inputs[i].ptr = (const uint8_t *)texts[i];
        inputs[i].len = strlen(texts[i]);
    }
    inputs[5].ptr = NULL; /* NULL with a length: its own result */
    inputs[5].len = 4;
    ctp_result results[N];
    ctp_batch_counts counts = {0, 0, 0};
    EXPECT(ctp_check_many(engine, inputs, N, results, &counts, NULL) == CTP_OK, "many");
    EXPECT(counts.allowed == 1 && counts.denied == 1 && counts.invalid == 4, "counts %llu %llu %llu",
           (unsigned long long)counts.allowed, (unsigned long long)counts.denied, (unsigned long long)counts.invalid);
    const uint32_t want[N] = {CTP_OK, CTP_OK, CTP_INVALID_REQUEST, CTP_INVALID_REQUEST, CTP_INVALID_UTF8, CTP_INVALID_ARGUMENT};
    for (int i = 0; i < N; i++) {
        EXPECT(results[i].status == want[i], "item %d status %u", i, results[i].status);
        if (i < 5) {
            ctp_buf one = {0};
            uint32_t status = ctp_check_json(engine, inputs[i].ptr, inputs[i].len, &one, &one);
            EXPECT(status == results[i].status && buf_equals(&results[i].json, (const char *)one.ptr, one.len),
                   "item %d is what ctp_check_json says", i);
            ctp_buf_free(&one);
        }
    }
    EXPECT(results[0].allowed == 1 && results[1].allowed == 0 && results[2].allowed == 0, "allowed flags");
    EXPECT(buf_contains(&results[5].json, "requests[5]"), "the NULL item is named");
    ctp_results_free(results, N);
    EXPECT(results[0].json.ptr == NULL && results[0].json.len == 0, "reset after free");
    ctp_results_free(results, N); /* harmless twice */
    ctp_results_free(NULL, 3);

    /* Zero requests, NULL arrays: fine. NULL with a count: not. */
    EXPECT(ctp_check_many(engine, NULL, 0, NULL, &counts, NULL) == CTP_OK && counts.allowed == 0 && counts.invalid == 0, "empty");
    ctp_buf error = {0};
    EXPECT(ctp_check_many(engine, NULL, 2, results, NULL, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "requests is NULL"), "NULL requests with a count");
    ctp_buf_free(&error);
    EXPECT(ctp_check_many(engine, inputs, 2, NULL, NULL, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "results is NULL"), "NULL results with a count");
    ctp_buf_free(&error);
    EXPECT(ctp_check_many(NULL, inputs, 2, results, NULL, &error) == CTP_INVALID_ARGUMENT && buf_contains(&error, "engine is NULL"), "NULL engine");
    ctp_buf_free(&error);
}

int main(void) {
    ctp_engine *engine = NULL;
    ctp_engine *needs_now = NULL;
    const char policy[] = "{\"max_attempts\":{\"per_24h\":3}}";
    EXPECT(ctp_engine_new(NULL, 0, &engine, NULL) == CTP_OK, "default engine");
    EXPECT(ctp_engine_new((const uint8_t *)policy, strlen(policy), &needs_now, NULL) == CTP_OK, "engine needing a counter");
    typed_path(engine, needs_now);
    verdict_path(engine);
    many(engine);
    ctp_engine_free(engine);
    ctp_engine_free(needs_now);
    return finish("checks");
}
