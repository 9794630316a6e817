//go:build cgo

package ctpolicy

// The raw layer: every cgo call of this package and the memory handling
// around it (pointers into Go memory, pinning, copying library buffers out
// and freeing them, which wipes them), in one place. (Named cabi.go so that
// cgo meets its include of ctpolicy_go.h, with its "header not found"
// message, before link_*.go.) The idiomatic API
// (ctpolicy.go, charge.go, batch.go, redact.go, audit.go, vault.go) calls only these
// functions and never imports "C"; none of them interprets what the
// library wrote beyond copying it out. Every fallible ctp_* call ends in
// the error buffer (ctp_buf *error); where a call also has an out buffer,
// the same buffer is passed as both (the ABI writes exactly one of them),
// so it holds the answer on CTP_OK and the error object otherwise.

/*
#include <string.h>
#include "ctpolicy_go.h"

// The answer of ctp_check_charge, returned by value so that neither the
// verdict nor the error buffer is Go memory handed to C (which would move
// them to the heap on every call).
typedef struct ctpgo_charge_result {
	uint32_t status;
	ctp_verdict verdict;
	ctp_buf error_json;
} ctpgo_charge_result;

// ctpgo_check_charge takes the charge by value for the same reason; the
// pointers inside it point at pinned Go memory, read during the call only.
static inline ctpgo_charge_result ctpgo_check_charge(const ctp_engine *engine, ctp_typed_charge charge) {
	ctpgo_charge_result r;
	r.verdict.violation_count = 0;
	r.verdict.warning_count = 0;
	r.error_json.ptr = NULL;
	r.error_json.len = 0;
	r.status = ctp_check_charge(engine, &charge, &r.verdict, &r.error_json);
	return r;
}

// The answer of ctp_check_json_verdict without the decision JSON, by value
// for the same reason as ctpgo_charge_result.
typedef struct ctpgo_verdict_result {
	uint32_t status;
	ctp_verdict verdict;
	ctp_buf error_json;
} ctpgo_verdict_result;

static inline ctpgo_verdict_result ctpgo_check_json_verdict(const ctp_engine *engine, const uint8_t *request, size_t len) {
	ctpgo_verdict_result r;
	r.verdict.allowed = 0;
	r.verdict.violation_count = 0;
	r.verdict.warning_count = 0;
	r.error_json.ptr = NULL;
	r.error_json.len = 0;
	r.status = ctp_check_json_verdict(engine, request, len, &r.verdict, NULL, &r.error_json);
	return r;
}

// The answer of ctp_apply_response_json for the guard. On CTP_OK, when the
// transition fits in the caller's buffer (dst, dst_cap), it is copied
// there and the library's buffer wiped and freed in this same call
// (copied is 1, len its length): one cgo call where a copy out and
// ctp_buf_free took two. Otherwise out holds the transition, or the error
// object, for the caller to read and free. By value, as above.
typedef struct ctpgo_apply_result {
	uint32_t status;
	uint32_t copied;
	size_t len;
	ctp_buf out;
} ctpgo_apply_result;

static inline ctpgo_apply_result ctpgo_apply_response_into(const uint8_t *record, size_t record_len,
		const uint8_t *request, size_t request_len, const uint8_t *response, size_t response_len,
		const uint8_t *at, size_t at_len, uint8_t *dst, size_t dst_cap) {
	ctpgo_apply_result r;
	r.copied = 0;
	r.len = 0;
	r.out.ptr = NULL;
	r.out.len = 0;
	r.status = ctp_apply_response_json(record, record_len, request, request_len, response, response_len,
		at, at_len, &r.out, &r.out);
	if (r.status == CTP_OK && r.out.len <= dst_cap) {
		if (r.out.len > 0) {
			memcpy(dst, r.out.ptr, r.out.len);
		}
		r.len = r.out.len;
		r.copied = 1;
		ctp_buf_free(&r.out);
	}
	return r;
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// takeBuf copies a library buffer into Go memory and frees (wipes) the
// library's copy.
func takeBuf(b *C.ctp_buf) []byte {
	out := append([]byte(nil), viewBuf(b)...)
	C.ctp_buf_free(b)
	return out
}

// callBuf runs call, a ctp_* function whose answer is the buffer it writes
// to out, and returns that answer copied into Go memory. On any status but
// CTP_OK the answer is nil (the calls through it pass no error buffer: the
// hygiene calls fail only on arguments this package never passes).
func callBuf(call func(out *C.ctp_buf) C.uint32_t) ([]byte, Status) {
	var out C.ctp_buf
	status := Status(call(&out))
	if status != StatusOK {
		C.ctp_buf_free(&out)
		return nil, status
	}
	return takeBuf(&out), StatusOK
}

// rawRedact is ctp_redact: the redacted copy of text and the number of
// occurrences replaced.
func rawRedact(text []byte) ([]byte, int, Status) {
	var count C.size_t
	out, status := callBuf(func(out *C.ctp_buf) C.uint32_t {
		return C.ctp_redact(bytesPtr(text), C.size_t(len(text)), out, &count, nil)
	})
	if status != StatusOK {
		return nil, 0, status // count is written on CTP_OK only
	}
	return out, int(count), StatusOK
}

// rawRedactString is rawRedact over a string, without copying it first.
func rawRedactString(text string) ([]byte, Status) {
	out, status := callBuf(func(out *C.ctp_buf) C.uint32_t {
		return C.ctp_redact(stringPtr(text), C.size_t(len(text)), out, nil, nil)
	})
	runtime.KeepAlive(text)
	return out, status
}

// rawScan is ctp_scan: the JSON Lines reports and their number.
func rawScan(text []byte) ([]byte, int, Status) {
	var count C.size_t
	out, status := callBuf(func(out *C.ctp_buf) C.uint32_t {
		return C.ctp_scan(bytesPtr(text), C.size_t(len(text)), out, &count, nil)
	})
	if status != StatusOK {
		return nil, 0, status // count is written on CTP_OK only
	}
	return out, int(count), StatusOK
}

// redactorHandle is a ctp_redactor. It is not safe for concurrent use;
// RedactingWriter serializes the calls.
type redactorHandle struct{ p *C.ctp_redactor }

func newRedactorHandle() (redactorHandle, Status) {
	var p *C.ctp_redactor
	status := Status(C.ctp_redactor_new(&p, nil))
	if status != StatusOK || p == nil {
		return redactorHandle{}, status
	}
	return redactorHandle{p}, StatusOK
}

// write feeds the next piece and returns the bytes it decided (often none).
func (h redactorHandle) write(piece []byte) ([]byte, Status) {
	return callBuf(func(out *C.ctp_buf) C.uint32_t {
		return C.ctp_redactor_write(h.p, bytesPtr(piece), C.size_t(len(piece)), out, nil)
	})
}

// finish ends the stream and returns the held-back tail, redacted.
func (h redactorHandle) finish() ([]byte, Status) {
	return callBuf(func(out *C.ctp_buf) C.uint32_t { return C.ctp_redactor_finish(h.p, out, nil) })
}

// count is the number of occurrences replaced so far.
func (h redactorHandle) count() (uint64, Status) {
	var n C.size_t
	status := Status(C.ctp_redactor_count(h.p, &n, nil))
	return uint64(n), status
}

// freeRedactor wipes and frees a redactor (the cleanup of a forgotten one).
func freeRedactor(h redactorHandle) { C.ctp_redactor_free(h.p) }

// rawAuditOpen is ctp_audit_open: the handle, or the status and the error
// object.
func rawAuditOpen(path string, flags uint32) (*C.ctp_audit_log, Status, []byte) {
	var log *C.ctp_audit_log
	var errBuf C.ctp_buf
	status := Status(C.ctp_audit_open(stringPtr(path), C.size_t(len(path)), C.uint32_t(flags), &log, &errBuf))
	runtime.KeepAlive(path)
	if status != StatusOK {
		return nil, status, takeBuf(&errBuf)
	}
	C.ctp_buf_free(&errBuf)
	return log, StatusOK, nil
}

// rawAuditCheck is ctp_audit_check_json: the status and the decision or
// error object.
func rawAuditCheck(engine engineHandle, log auditHandle, request []byte) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_check_json(engine, log, bytesPtr(request), C.size_t(len(request)), &out, &out))
	return status, takeBuf(&out)
}

// rawAuditVerify is ctp_audit_verify: the status and the summary or error
// object.
func rawAuditVerify(path, expectHead string) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_verify(stringPtr(path), C.size_t(len(path)),
		stringPtr(expectHead), C.size_t(len(expectHead)), &out, &out))
	runtime.KeepAlive(path)
	runtime.KeepAlive(expectHead)
	return status, takeBuf(&out)
}

// rawAuditRepair is ctp_audit_repair: the status and the report or error
// object.
func rawAuditRepair(path string) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_repair(stringPtr(path), C.size_t(len(path)), &out, &out))
	runtime.KeepAlive(path)
	return status, takeBuf(&out)
}

// rawAuditEntry is ctp_audit_entry_json: the entry line a log would hold
// for request as entry seq after prev, with the writer's clock at.
func rawAuditEntry(engine engineHandle, request []byte, seq uint64, prev, at string) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_entry_json(engine, bytesPtr(request), C.size_t(len(request)), C.uint64_t(seq),
		stringPtr(prev), C.size_t(len(prev)), stringPtr(at), C.size_t(len(at)), &out, &out))
	runtime.KeepAlive(prev)
	runtime.KeepAlive(at)
	return status, takeBuf(&out)
}

// rawAuditClose is ctp_audit_close (sync, then free): the status and, on
// failure, the error object. The handle is gone either way.
func rawAuditClose(log *C.ctp_audit_log) (Status, []byte) {
	var errBuf C.ctp_buf
	status := Status(C.ctp_audit_close(log, &errBuf))
	return status, takeBuf(&errBuf)
}

// freeAuditLog is ctp_audit_free (no sync): the cleanup of a forgotten log.
func freeAuditLog(log *C.ctp_audit_log) { C.ctp_audit_free(log) }

// vaultHandle is a ctp_vault (one caller at a time: VaultLint serializes).
type vaultHandle = *C.ctp_vault

// rawVaultNew is ctp_vault_new: the handle, or the status and the error
// object. An empty now leaves the time checks out; staleDays < 0 leaves
// STALE out.
func rawVaultNew(policy []byte, now string, staleDays int64) (vaultHandle, Status, []byte) {
	var vault vaultHandle
	var errBuf C.ctp_buf
	status := Status(C.ctp_vault_new(bytesPtr(policy), C.size_t(len(policy)), stringPtr(now), C.size_t(len(now)),
		C.int64_t(staleDays), &vault, &errBuf))
	runtime.KeepAlive(now)
	if status != StatusOK || vault == nil {
		return nil, status, takeBuf(&errBuf)
	}
	C.ctp_buf_free(&errBuf)
	return vault, StatusOK, nil
}

// rawVaultSetShard is ctp_vault_set_shard: the status and, on failure, the
// error object.
func rawVaultSetShard(vault vaultHandle, index, count uint64) (Status, []byte) {
	var errBuf C.ctp_buf
	status := Status(C.ctp_vault_set_shard(vault, C.size_t(index), C.size_t(count), &errBuf))
	return status, takeBuf(&errBuf)
}

// rawVaultFeed is ctp_vault_feed: the status and the findings (JSON Lines)
// or the error object.
func rawVaultFeed(vault vaultHandle, record []byte) (Status, []byte) {
	var out C.ctp_buf
	// One buffer for the answer and the error object: the library writes
	// exactly one of them.
	status := Status(C.ctp_vault_feed(vault, bytesPtr(record), C.size_t(len(record)), &out, nil, &out))
	return status, takeBuf(&out)
}

// freeVault is ctp_vault_free.
func freeVault(vault vaultHandle) { C.ctp_vault_free(vault) }

// engineHandle is a ctp_engine (immutable, shareable between threads).
type engineHandle = *C.ctp_engine

// auditHandle is a ctp_audit_log.
type auditHandle = *C.ctp_audit_log

// auditFsync is CTP_AUDIT_FSYNC.
const auditFsync = uint32(C.CTP_AUDIT_FSYNC)

// headerABIVersion is CTP_ABI_VERSION of the header this binding was
// compiled against.
const headerABIVersion = uint32(C.CTP_ABI_VERSION)

// maxRules is CTP_MAX_RULES, the room for rule ids in a verdict list.
const maxRules = int(C.CTP_MAX_RULES)

// The ctp_verdict arrays must be what Verdict copies.
var _ = [1]struct{}{}[len(C.ctp_verdict{}.violations)-maxRules]
var _ = [1]struct{}{}[len(C.ctp_verdict{}.fingerprint)-32]

func rawABIVersion() uint32 { return uint32(C.ctp_abi_version()) }

func rawVersion() string { return C.GoString(C.ctp_version()) }

func rawStatusName(s Status) string { return C.GoString(C.ctp_status_name(C.uint32_t(s))) }

// rawReasonCode is ctp_reason_code; ok is false for an unknown id.
func rawReasonCode(id uint32) (string, bool) {
	p := C.ctp_reason_code(C.uint32_t(id))
	if p == nil {
		return "", false
	}
	return C.GoString(p), true
}

// rawEngineNew is ctp_engine_new: the handle, or the status and the error
// object.
func rawEngineNew(policy []byte) (engineHandle, Status, []byte) {
	var h *C.ctp_engine
	var errBuf C.ctp_buf
	status := Status(C.ctp_engine_new(bytesPtr(policy), C.size_t(len(policy)), &h, &errBuf))
	if status != StatusOK {
		return nil, status, takeBuf(&errBuf)
	}
	C.ctp_buf_free(&errBuf)
	return h, StatusOK, nil
}

func rawEngineFree(h engineHandle) { C.ctp_engine_free(h) }

// rawCheckJSON is ctp_check_json: the status and the decision or error
// object.
func rawCheckJSON(h engineHandle, request []byte) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_check_json(h, bytesPtr(request), C.size_t(len(request)), &out, &out))
	return status, takeBuf(&out)
}

// rawTokenParse is ctp_token_parse: the status and the token info or
// error object (neither holds the token).
func rawTokenParse(token string) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_token_parse(stringPtr(token), C.size_t(len(token)), &out, &out))
	runtime.KeepAlive(token)
	return status, takeBuf(&out)
}

// rawApplyEvent is ctp_apply_event_json. On CTP_OK the output holds the
// customer token: decode calls back with a view of the library's buffer,
// which is wiped and freed right after, so the only Go copy is the one
// decode keeps.
func rawApplyEvent(record, event []byte, decode func(out []byte) error) (Status, []byte, error) {
	var out C.ctp_buf
	status := Status(C.ctp_apply_event_json(bytesPtr(record), C.size_t(len(record)),
		bytesPtr(event), C.size_t(len(event)), &out, &out))
	defer C.ctp_buf_free(&out)
	if status != StatusOK {
		return status, append([]byte(nil), viewBuf(&out)...), nil
	}
	return StatusOK, nil, decode(viewBuf(&out))
}

// rawApplyResponse is ctp_apply_response_json, with the same handling of
// the output as rawApplyEvent: on CTP_OK decode sees the library's buffer,
// which is wiped and freed right after.
func rawApplyResponse(record, request, response []byte, at string, decode func(out []byte) error) (Status, []byte, error) {
	var out C.ctp_buf
	status := Status(C.ctp_apply_response_json(bytesPtr(record), C.size_t(len(record)),
		bytesPtr(request), C.size_t(len(request)), bytesPtr(response), C.size_t(len(response)),
		stringPtr(at), C.size_t(len(at)), &out, &out))
	runtime.KeepAlive(at)
	defer C.ctp_buf_free(&out)
	if status != StatusOK {
		return status, append([]byte(nil), viewBuf(&out)...), nil
	}
	return StatusOK, nil, decode(viewBuf(&out))
}

// rawApplyAnswer is rawApplyResponse for the guard: the instant as bytes
// (the guard writes it into its scratch; a string of it was one more
// allocation per guarded request), and the transition copied into dst's
// spare capacity (Go memory the guard wipes) in the call itself when it
// fits, so that decode reads it there.
func rawApplyAnswer(record, request, response, at, dst []byte, decode func(out []byte) error) (Status, []byte, error) {
	dst = dst[:cap(dst)]
	r := C.ctpgo_apply_response_into(bytesPtr(record), C.size_t(len(record)),
		bytesPtr(request), C.size_t(len(request)), bytesPtr(response), C.size_t(len(response)),
		bytesPtr(at), C.size_t(len(at)), bytesPtr(dst), C.size_t(len(dst)))
	status := Status(r.status)
	if r.copied != 0 {
		return StatusOK, nil, decode(dst[:r.len])
	}
	// Declared here, not above: a buffer whose address is taken moves to
	// the heap, and the common path above needs none.
	out := r.out
	defer C.ctp_buf_free(&out)
	if status != StatusOK {
		return status, append([]byte(nil), viewBuf(&out)...), nil
	}
	return StatusOK, nil, decode(viewBuf(&out))
}

// rawCheckVerdict is ctp_check_json_verdict without the decision JSON:
// the verdict, or the status and error object. The guard's hot path, which
// needs the decision's details only on a DENY.
func rawCheckVerdict(h engineHandle, request []byte) (v Verdict, readable bool, status Status, errJSON []byte) {
	r := C.ctpgo_check_json_verdict(h, bytesPtr(request), C.size_t(len(request)))
	status = Status(r.status)
	if status != StatusOK {
		errBuf := r.error_json
		return Verdict{}, false, status, takeBuf(&errBuf)
	}
	v, readable = verdictOf(&r.verdict)
	return v, readable, StatusOK, nil
}

// typedCharge is a ctp_typed_charge in Go terms (charge.go fills it).
type typedCharge struct {
	token, recordToken, idempotencyKey, currency, caller string
	scopes                                               []string
	attemptsMs                                           []int64
	flags, recordState                                   uint32
	amount, nowMs, lastUsedAtMs, a24, a30                int64
}

// The CTP_CHARGE_* flags and CTP_RECORD_* states.
const (
	chargeCustomerPresent = uint32(C.CTP_CHARGE_CUSTOMER_PRESENT)
	chargeHasToken        = uint32(C.CTP_CHARGE_HAS_TOKEN)
	chargeHasKey          = uint32(C.CTP_CHARGE_HAS_IDEMPOTENCY_KEY)
	chargeStepUp          = uint32(C.CTP_CHARGE_STEP_UP)
	chargeHasNow          = uint32(C.CTP_CHARGE_HAS_NOW)
	chargeHasLastUsedAt   = uint32(C.CTP_CHARGE_HAS_LAST_USED_AT)
	chargeHasAttempts24h  = uint32(C.CTP_CHARGE_HAS_ATTEMPTS_24H)
	chargeHasAttempts30d  = uint32(C.CTP_CHARGE_HAS_ATTEMPTS_30D)
	chargeWantFingerprint = uint32(C.CTP_CHARGE_WANT_FINGERPRINT)
	chargeHasCaller       = uint32(C.CTP_CHARGE_HAS_CALLER)
	chargeHasAttempts     = uint32(C.CTP_CHARGE_HAS_ATTEMPTS)
	recordNone            = uint32(C.CTP_RECORD_NONE)
	recordActive          = uint32(C.CTP_RECORD_ACTIVE)
	recordRevoked         = uint32(C.CTP_RECORD_REVOKED)
)

// pinString pins the bytes of s (a no-op for constant strings) and returns
// the C view of them.
func pinString(p *runtime.Pinner, s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	d := unsafe.StringData(s)
	p.Pin(d)
	return (*C.uint8_t)(unsafe.Pointer(d)), C.size_t(len(s))
}

// rawCheckCharge is ctp_check_charge. The ctp_typed_charge and its scope
// array live in Go memory and point at the charge's strings; all of them
// are pinned for the call (cgo lets C read Go memory holding pinned Go
// pointers), so nothing is copied and nothing needs wiping.
func rawCheckCharge(h engineHandle, tc *typedCharge) (v Verdict, readable bool, status Status, errJSON []byte) {
	var pin runtime.Pinner
	defer pin.Unpin()
	var c C.ctp_typed_charge
	c.token, c.token_len = pinString(&pin, tc.token)
	c.record_token, c.record_token_len = pinString(&pin, tc.recordToken)
	c.idempotency_key, c.idempotency_key_len = pinString(&pin, tc.idempotencyKey)
	c.currency, c.currency_len = pinString(&pin, tc.currency)
	if n := len(tc.scopes); n > 0 {
		scopes := make([]C.ctp_input, n)
		for i, s := range tc.scopes {
			scopes[i].ptr, scopes[i].len = pinString(&pin, s)
		}
		pin.Pin(&scopes[0])
		c.record_scopes, c.record_scope_count = &scopes[0], C.size_t(n)
	}
	c.flags, c.record_state = C.uint32_t(tc.flags), C.uint32_t(tc.recordState)
	c.amount, c.now_ms, c.last_used_at_ms = C.int64_t(tc.amount), C.int64_t(tc.nowMs), C.int64_t(tc.lastUsedAtMs)
	c.attempts_24h, c.attempts_30d = C.int64_t(tc.a24), C.int64_t(tc.a30)
	c.caller, c.caller_len = pinString(&pin, tc.caller)
	if n := len(tc.attemptsMs); n > 0 {
		pin.Pin(&tc.attemptsMs[0])
		c.record_attempts_ms = (*C.int64_t)(unsafe.Pointer(&tc.attemptsMs[0]))
		c.record_attempt_count = C.size_t(n)
	}
	r := C.ctpgo_check_charge(h, c)
	status = Status(r.status)
	if status != StatusOK {
		errBuf := r.error_json // a copy, so that only this path puts a buffer on the heap
		return Verdict{}, false, status, takeBuf(&errBuf)
	}
	v, readable = verdictOf(&r.verdict)
	return v, readable, StatusOK, nil
}

// verdictOf copies a ctp_verdict into a Verdict; ok is false when the
// library wrote one this binding cannot read.
func verdictOf(r *C.ctp_verdict) (Verdict, bool) {
	nv, nw := int(r.violation_count), int(r.warning_count)
	if nv > maxRules || nw > maxRules || (r.allowed != 0) != (nv == 0) {
		return Verdict{}, false
	}
	v := Verdict{
		Allowed:        r.allowed != 0,
		HasFingerprint: r.has_fingerprint != 0,
		numViolations:  uint8(nv),
		numWarnings:    uint8(nw),
	}
	if v.HasFingerprint {
		v.Fingerprint = *(*[32]byte)(unsafe.Pointer(&r.fingerprint))
	}
	v.violations = *(*[maxRules]uint16)(unsafe.Pointer(&r.violations))
	v.warnings = *(*[maxRules]uint16)(unsafe.Pointer(&r.warnings))
	return v, true
}

// rawResult is one answer of ctp_check_many, copied out.
type rawResult struct {
	status Status
	json   []byte
}

// rawCheckMany is ctp_check_many. The ctp_input array lives in Go memory
// and points at the (pinned) requests; the results' buffers are copied
// out and released (wiped) with ctp_results_free before it returns.
func rawCheckMany(h engineHandle, requests [][]byte) ([]rawResult, BatchCounts, Status) {
	n := len(requests)
	if n == 0 {
		return nil, BatchCounts{}, StatusOK
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	inputs := make([]C.ctp_input, n)
	for i, r := range requests {
		if len(r) > 0 {
			pin.Pin(&r[0])
			inputs[i].ptr, inputs[i].len = (*C.uint8_t)(unsafe.Pointer(&r[0])), C.size_t(len(r))
		}
	}
	pin.Pin(&inputs[0])
	results := make([]C.ctp_result, n)
	var counts C.ctp_batch_counts
	status := Status(C.ctp_check_many(h, &inputs[0], C.size_t(n), &results[0], &counts, nil))
	if status != StatusOK {
		return nil, BatchCounts{}, status
	}
	out := make([]rawResult, n)
	for i := range results {
		out[i] = rawResult{status: Status(results[i].status), json: append([]byte(nil), viewBuf(&results[i].json)...)}
	}
	C.ctp_results_free(&results[0], C.size_t(n))
	return out, BatchCounts{Allowed: uint64(counts.allowed), Denied: uint64(counts.denied), Invalid: uint64(counts.invalid)}, StatusOK
}

// bytesPtr is the C view of a Go byte slice: a pointer to its first element,
// or NULL for an empty slice (NULL with length 0 is the empty input). Byte
// slices hold no Go pointers, so cgo lets C read them during the call.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// stringPtr is bytesPtr for a string, without copying it.
func stringPtr(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s)))
}

// viewBuf is a Go view of a library buffer, valid until ctp_buf_free.
// Anything kept must be copied out before the buffer is freed.
func viewBuf(b *C.ctp_buf) []byte {
	if b.ptr == nil || b.len == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(b.ptr)), int(b.len))
}
