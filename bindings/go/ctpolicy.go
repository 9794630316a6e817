// Package ctpolicy is the Go binding of ctpolicy, the pre-flight policy
// engine for Klarna customer-token charges: before sending an
// authorizePayment call, ask the engine whether it is safe to send.
//
// The binding is a thin cgo layer over the C ABI of include/ctpolicy.h; all
// logic lives in the Rust library, so Go, Python, Java and the CLI return
// the same decisions for the same input. By default libctpolicy.a of the
// checkout is linked statically; -tags ctpolicy_dynamic links the checkout's
// libctpolicy.so, and -tags ctpolicy_pkgconfig an installed library found
// by pkg-config (the header's and the library's search paths are set in
// link_*.go).
//
// Every function returns either a result or an *Error, never both. A DENY
// decision is a result (Decision.Allowed is false), not an error; an error
// means "could not decide", which callers should treat as DENY.
package ctpolicy

/*
#include "ctpolicy_go.h"
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"
)

// abiError is set when the library linked in implements another ABI than
// the header this binding was compiled against (possible only with the
// dynamic build). Every call then fails with it instead of misbehaving.
var abiError *Error

func init() {
	if got, want := uint32(C.ctp_abi_version()), uint32(C.CTP_ABI_VERSION); got != want {
		abiError = newError(StatusInvalidArgument, CodeABIMismatch,
			"libctpolicy implements ABI version "+strconv.Itoa(int(got))+", this binding needs "+strconv.Itoa(int(want)))
	}
}

// LibraryVersion is the version of the linked library, e.g. "0.1.0".
func LibraryVersion() string { return C.GoString(C.ctp_version()) }

// ABIVersion is the ABI version of the linked library (CTP_ABI_VERSION).
func ABIVersion() int { return int(C.ctp_abi_version()) }

// LinkMode is "static" (the default build), "dynamic"
// (-tags ctpolicy_dynamic) or "pkg-config" (-tags ctpolicy_pkgconfig).
func LinkMode() string { return linkMode }

// ReasonCode is the code of a rule id (301 gives "SCOPE_MISMATCH"), from the
// library's own rule table; ok is false for an id that is not a rule.
func ReasonCode(id int) (code string, ok bool) {
	if id < 0 || uint64(id) > math.MaxUint32 {
		return "", false
	}
	p := C.ctp_reason_code(C.uint32_t(id))
	if p == nil {
		return "", false
	}
	return C.GoString(p), true
}

// libraryStatusName is ctp_status_name, for the tests.
func libraryStatusName(s Status) string { return C.GoString(C.ctp_status_name(C.uint32_t(s))) }

// Engine checks pre-flight requests against one policy. It is safe for
// concurrent use by many goroutines. Close it when done; an engine that is
// garbage collected without Close is freed too, but later and at an
// unpredictable time.
type Engine struct {
	// mu lets many Checks run at once (read lock) while Close (write
	// lock) waits for them to finish before freeing the handle.
	mu      sync.RWMutex
	handle  *C.ctp_engine // nil once closed
	cleanup runtime.Cleanup
}

// enginesFreed counts freed engine handles (Close or cleanup), for tests.
var enginesFreed atomic.Int64

func freeEngineHandle(h *C.ctp_engine) {
	C.ctp_engine_free(h)
	enginesFreed.Add(1)
}

// NewEngine builds an engine from policy JSON (rules.md section 5). nil,
// an empty slice or []byte("{}") gives the default policy (Klarna's rules
// only). A policy that does not load is an *Error with StatusInvalidPolicy
// naming the field at fault.
func NewEngine(policyJSON []byte) (*Engine, error) {
	if abiError != nil {
		return nil, abiError
	}
	var handle *C.ctp_engine
	var errBuf C.ctp_buf
	status := Status(C.ctp_engine_new(bytesPtr(policyJSON), C.size_t(len(policyJSON)), &handle, &errBuf))
	if status != StatusOK {
		err := errorFromOutput(status, viewBuf(&errBuf))
		C.ctp_buf_free(&errBuf)
		return nil, err
	}
	C.ctp_buf_free(&errBuf) // a no-op on success, but cheap insurance
	if handle == nil {
		return nil, newError(StatusPanic, CodeBadOutput, "the library returned OK without an engine")
	}
	e := &Engine{handle: handle}
	// The safety net for a forgotten Close. The cleanup gets the C handle,
	// not e, so it does not keep e reachable.
	e.cleanup = runtime.AddCleanup(e, freeEngineHandle, handle)
	return e, nil
}

// Close frees the engine. It waits for Checks in progress on other
// goroutines; Checks after it return ErrClosed. Closing twice, or closing a
// nil engine, is a no-op. It always returns nil.
func (e *Engine) Close() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == nil {
		return nil
	}
	e.cleanup.Stop()
	freeEngineHandle(e.handle)
	e.handle = nil
	return nil
}

func closedError() *Error {
	return newError(StatusInvalidArgument, CodeEngineClosed, "the engine is closed (or was never built with NewEngine)")
}

// Check decides one pre-flight request (rules.md section 1): the exact
// JSON bytes of the authorizePayment call about to be sent plus what only
// the partner knows. The bytes are read as they are (strict JSON: duplicate
// keys, depth, size and UTF-8 are checked); build them with encoding/json or
// pass them through untouched.
//
// A DENY is returned as a Decision with a nil error. An *Error means the
// engine could not decide (an envelope fault, a closed engine): fail closed.
func (e *Engine) Check(requestJSON []byte) (*Decision, error) {
	if abiError != nil {
		return nil, abiError
	}
	if e == nil {
		return nil, closedError()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.checkLocked(requestJSON)
}

// checkLocked is Check for a caller that holds e.mu for reading and has
// seen that e.handle is not nil.
func (e *Engine) checkLocked(requestJSON []byte) (*Decision, error) {
	if e.handle == nil {
		return nil, closedError()
	}
	var out C.ctp_buf
	status := Status(C.ctp_check_json(e.handle, bytesPtr(requestJSON), C.size_t(len(requestJSON)), &out))
	// The handle belongs to e: e must stay reachable (so its cleanup
	// cannot run) until the library is done with the handle.
	runtime.KeepAlive(e)
	defer C.ctp_buf_free(&out)
	view := viewBuf(&out)
	if status != StatusOK {
		return nil, errorFromOutput(status, view)
	}
	return decodeDecision(view)
}

func decodeDecision(view []byte) (*Decision, error) {
	d := new(Decision)
	if err := json.Unmarshal(view, d); err != nil || (d.Decision != "ALLOW" && d.Decision != "DENY") {
		return nil, newError(StatusPanic, CodeBadOutput, "the library returned a decision this binding cannot read")
	}
	d.Allowed = d.Decision == "ALLOW"
	if d.Violations == nil {
		d.Violations = []Violation{}
	}
	if d.Warnings == nil {
		d.Warnings = []Violation{}
	}
	d.Raw = bytes.Clone(view)
	return d, nil
}

// ParseToken checks the format of a customer token (rules.md section 2)
// without an engine. A value that is not a customer token is an *Error with
// StatusTokenInvalid and Code CodeTokenMalformed (with Detail, e.g.
// "BAD_REGION") or CodeTokenWrongType. Neither the result nor the error
// ever holds the token.
func ParseToken(token string) (*TokenInfo, error) {
	if abiError != nil {
		return nil, abiError
	}
	var out C.ctp_buf
	status := Status(C.ctp_token_parse(stringPtr(token), C.size_t(len(token)), &out))
	runtime.KeepAlive(token)
	defer C.ctp_buf_free(&out)
	view := viewBuf(&out)
	if status != StatusOK {
		return nil, errorFromOutput(status, view)
	}
	info := new(TokenInfo)
	if err := json.Unmarshal(view, info); err != nil || info.Fingerprint == "" {
		return nil, newError(StatusPanic, CodeBadOutput, "the library returned token info this binding cannot read")
	}
	return info, nil
}

// ApplyEvent computes one lifecycle step (rules.md section 7): the stored
// record (nil when there is none yet) and an event (TOKENIZED, CHARGED or
// REVOKED) give the record to store next. A step that is not allowed is an
// *Error with StatusTransitionRejected and its Code.
//
// The returned Record holds the customer token verbatim; see Transition.
func ApplyEvent(recordJSON, eventJSON []byte) (*Transition, error) {
	if abiError != nil {
		return nil, abiError
	}
	var out C.ctp_buf
	status := Status(C.ctp_apply_event_json(
		bytesPtr(recordJSON), C.size_t(len(recordJSON)),
		bytesPtr(eventJSON), C.size_t(len(eventJSON)),
		&out))
	defer C.ctp_buf_free(&out) // wipes the library's copy of the token
	view := viewBuf(&out)
	if status != StatusOK {
		return nil, errorFromOutput(status, view)
	}
	// Decode straight from the library's buffer: the only Go copy of the
	// record is the one handed to the caller.
	t := new(Transition)
	if err := json.Unmarshal(view, t); err != nil || len(t.Record) == 0 {
		return nil, newError(StatusPanic, CodeBadOutput, "the library returned a transition this binding cannot read")
	}
	return t, nil
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
