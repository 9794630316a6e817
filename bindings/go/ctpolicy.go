//go:build cgo

// Package ctpolicy is the Go binding of ctpolicy, the pre-flight policy
// engine for Klarna customer-token charges: before sending an
// authorizePayment call, ask the engine whether it is safe to send.
//
// The binding is a thin cgo layer over the C ABI of include/ctpolicy.h; all
// logic lives in the Rust library, so Go, Python, Java and the CLI return
// the same decisions for the same input. The cgo calls live in cabi.go; the
// rest of the package is the Go API over them. By default libctpolicy.a of
// the checkout is linked statically; -tags ctpolicy_dynamic links the
// checkout's libctpolicy.so, and -tags ctpolicy_pkgconfig an installed
// library found by pkg-config (the search paths are set in link_*.go).
//
// Every function returns either a result or an error, never both. A DENY
// decision is a result (Decision.Allowed is false), not an error; an error
// means "could not decide", which callers should treat as DENY.
package ctpolicy

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// The ABI check, done once: a library that implements another ABI than the
// header this binding was compiled against (possible only with a dynamic
// or pkg-config build) would be called with the wrong layouts, so the
// program stops at start-up, as it does when a shared library is missing.
func init() {
	if got := rawABIVersion(); got != headerABIVersion {
		panic("ctpolicy: the linked libctpolicy implements ABI version " + strconv.FormatUint(uint64(got), 10) +
			", this binding was built for " + strconv.FormatUint(uint64(headerABIVersion), 10) +
			": install the libctpolicy that matches the binding")
	}
}

// LibraryVersion is the version of the linked library, e.g. "0.1.0".
func LibraryVersion() string { return rawVersion() }

// ABIVersion is the ABI version of the linked library (CTP_ABI_VERSION).
func ABIVersion() int { return int(rawABIVersion()) }

// LinkMode is "static" (the default build), "dynamic"
// (-tags ctpolicy_dynamic) or "pkg-config" (-tags ctpolicy_pkgconfig).
func LinkMode() string { return linkMode }

// ReasonCode is the code of a rule id (301 gives "SCOPE_MISMATCH"), from the
// library's own rule table; ok is false for an id that is not a rule.
func ReasonCode(id int) (code string, ok bool) {
	if id < 0 || uint64(id) > math.MaxUint32 {
		return "", false
	}
	return rawReasonCode(uint32(id))
}

// libraryStatusName is ctp_status_name, for the tests.
func libraryStatusName(s Status) string { return rawStatusName(s) }

// Engine checks pre-flight requests against one policy. It is safe for
// concurrent use by many goroutines. Close it when done; an engine that is
// garbage collected without Close is freed too, but later and at an
// unpredictable time.
type Engine struct {
	// mu lets many Checks run at once (read lock) while Close (write
	// lock) waits for them to finish before freeing the handle.
	mu     sync.RWMutex
	native nativeHandle[engineHandle]
}

// enginesFreed counts freed engine handles (Close or cleanup), for tests.
var enginesFreed atomic.Int64

func freeEngineHandle(h engineHandle) {
	rawEngineFree(h)
	enginesFreed.Add(1)
}

// NewEngine builds an engine from policy JSON (docs/RULES.md section 5). nil,
// an empty slice or []byte("{}") gives the default policy (Klarna's rules
// only). A policy that does not load is an *Error with StatusInvalidPolicy
// naming the field at fault.
func NewEngine(policyJSON []byte) (*Engine, error) {
	handle, status, errJSON := rawEngineNew(policyJSON)
	if status != StatusOK {
		return nil, errorFromOutput(status, errJSON)
	}
	if handle == nil {
		return nil, badOutput("ctp_engine_new returned OK without an engine")
	}
	e := &Engine{}
	// The safety net for a forgotten Close.
	own(e, &e.native, handle, freeEngineHandle)
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
	if handle, ok := e.native.release(); ok {
		freeEngineHandle(handle)
	}
	return nil
}

// use runs call with the engine's handle under the read lock, or returns
// ErrClosed for a nil, zero or closed engine. The handle belongs to e: e
// stays reachable (so its cleanup cannot run) until call returns.
func (e *Engine) use(call func(h engineHandle) error) error {
	if e == nil {
		return ErrClosed
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	handle, ok := e.native.get()
	if !ok {
		return ErrClosed
	}
	err := call(handle)
	runtime.KeepAlive(e)
	return err
}

// Check decides one pre-flight request (docs/RULES.md section 1): the exact
// JSON bytes of the authorizePayment call about to be sent plus what only
// the partner knows. The bytes are read as they are (strict JSON: duplicate
// keys, depth, size and UTF-8 are checked); build them with encoding/json or
// pass them through untouched.
//
// A DENY is returned as a Decision with a nil error. An *Error means the
// engine could not decide (an envelope fault); ErrClosed a closed engine:
// fail closed either way.
func (e *Engine) Check(requestJSON []byte) (*Decision, error) {
	var d *Decision
	err := e.use(func(h engineHandle) error {
		status, out := rawCheckJSON(h, requestJSON)
		var err error
		d, err = decisionOrError(status, out)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// CheckVerdict decides requestJSON as Check does and answers with the
// Verdict (Allowed, rule ids; no messages, paths or fingerprint) without
// writing or reading the decision JSON (ctp_check_json_verdict): the
// cheaper call when only "may it be sent?" matters. The same call as
// Python's Engine.check_verdict and Java's Engine.checkVerdict. A DENY is
// a Verdict with Allowed false and a nil error; errors are Check's.
func (e *Engine) CheckVerdict(requestJSON []byte) (Verdict, error) {
	var v Verdict
	err := e.use(func(h engineHandle) error {
		verdict, readable, status, errJSON := rawCheckVerdict(h, requestJSON)
		if status != StatusOK {
			return errorFromOutput(status, errJSON)
		}
		if !readable {
			return badOutput("a verdict")
		}
		// No fingerprint, as in Python and Java: the decision's token
		// object carries it, and this answer has none.
		verdict.HasFingerprint, verdict.Fingerprint = false, [32]byte{}
		v = verdict
		return nil
	})
	if err != nil {
		return Verdict{}, err
	}
	return v, nil
}

// allowed is CheckVerdict answered as ALLOW or not: the guard's path,
// which needs the decision in full only for a DENY.
func (e *Engine) allowed(requestJSON []byte) (bool, error) {
	v, err := e.CheckVerdict(requestJSON)
	return v.Allowed, err
}

// decisionOrError reads what ctp_check_json (or one item of
// ctp_check_many) answered: a decision on StatusOK, else the error object.
func decisionOrError(status Status, out []byte) (*Decision, error) {
	if status != StatusOK {
		return nil, errorFromOutput(status, out)
	}
	return decodeDecision(out)
}

func decodeDecision(view []byte) (*Decision, error) {
	d := new(Decision)
	if err := json.Unmarshal(view, d); err != nil || (d.Decision != "ALLOW" && d.Decision != "DENY") {
		return nil, badOutput("a decision")
	}
	d.Allowed = d.Decision == "ALLOW"
	if d.Violations == nil {
		d.Violations = []Violation{}
	}
	if d.Warnings == nil {
		d.Warnings = []Violation{}
	}
	d.Raw = append(json.RawMessage(nil), view...)
	return d, nil
}

// ParseToken checks the format of a customer token (docs/RULES.md section 2)
// without an engine. A value that is not a customer token is an *Error with
// StatusTokenInvalid and Code CodeTokenMalformed (with Detail, e.g.
// "BAD_REGION") or CodeTokenWrongType. Neither the result nor the error
// ever holds the token.
func ParseToken(token string) (*TokenInfo, error) {
	status, out := rawTokenParse(token)
	if status != StatusOK {
		return nil, errorFromOutput(status, out)
	}
	info := new(TokenInfo)
	if err := json.Unmarshal(out, info); err != nil || info.Fingerprint == "" {
		return nil, badOutput("token info")
	}
	return info, nil
}

// ApplyEvent computes one lifecycle step (docs/RULES.md section 7): the stored
// record (nil when there is none yet) and an event (TOKENIZED, CHARGED,
// DECLINED or REVOKED) give the record to store next. A step that is not
// allowed is an *Error with StatusTransitionRejected and its Code.
//
// The returned Record holds the customer token verbatim; see Transition.
func ApplyEvent(recordJSON, eventJSON []byte) (*Transition, error) {
	t := new(Transition)
	status, errJSON, err := rawApplyEvent(recordJSON, eventJSON, func(out []byte) error {
		// Decoded straight from the library's buffer: the only Go copy of
		// the record is the one handed to the caller.
		if decodeTransition(out, t) != nil || t.Record.Len() == 0 {
			return badOutput("a transition")
		}
		return nil
	})
	if status != StatusOK {
		return nil, errorFromOutput(status, errJSON)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ApplyResponse turns Klarna's answer to an authorizePayment call into the
// record's next state (docs/RULES.md, "From Klarna's answer to the next
// record"): the stored record (nil when there is none), the pre-flight
// request that was checked and sent, the JSON body of the 2xx answer, and
// at, when the answer arrived (RFC 3339 text, e.g.
// "2026-11-30T12:00:00.000Z"). An approved tokenization makes
// the record; a payment result keeps the attempt (CHARGED for APPROVED,
// nothing for STEP_UP_REQUIRED, DECLINED for anything else).
//
// tr.Record is empty (Len() == 0) when no record results; tr.Events lists
// the events applied. A request that fails the envelope checks is an
// *Error with StatusInvalidRequest, as Check gives it; every other fault
// is StatusTransitionRejected with its Code (CodeRecordInvalid,
// CodeResponseInvalid, CodeInvalidEvent for at, or the lifecycle's).
//
// The returned Record holds the customer token verbatim; see Transition.
func ApplyResponse(recordJSON, requestJSON, responseJSON []byte, at string) (*Transition, error) {
	t := new(Transition)
	status, errJSON, err := rawApplyResponse(recordJSON, requestJSON, responseJSON, at, func(out []byte) error {
		if decodeTransition(out, t) != nil || t.Events == nil {
			return badOutput("a transition")
		}
		return nil
	})
	if status != StatusOK {
		return nil, errorFromOutput(status, errJSON)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// badOutput is ErrBadOutput for what the library wrote.
func badOutput(what string) error {
	return fmt.Errorf("%w: %s", ErrBadOutput, what)
}
