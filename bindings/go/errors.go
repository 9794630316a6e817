//go:build cgo

package ctpolicy

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Status is the status a call of the C library returned (the CTP_*
// constants of ctpolicy.h). The numbers are stable and never reused.
type Status uint32

// The Status constants (StatusOK, StatusInvalidArgument, ...) and their
// names are generated from the engine's Status::ALL into tables_gen.go
// (`make tables`). What each means:
//
//   - StatusOK (0): success, never inside an *Error
//   - StatusInvalidArgument (1): a NULL or closed handle, a NULL pointer with a length
//   - StatusInvalidUTF8 (2): an input is not valid UTF-8
//   - StatusPanic (3): the library caught an internal fault; please report it
//   - StatusInvalidRequest (100): an envelope fault in the request (or the record/event)
//   - StatusInvalidPolicy (101): the policy did not load
//   - StatusTokenInvalid (102): ParseToken: not a customer token
//   - StatusTransitionRejected (103): ApplyEvent: the lifecycle step is not allowed
//
// A DENY decision is not an error: Check returns it with a nil error. Every
// non-nil error means "could not decide": treat it as DENY (fail closed).

// String is the status name without CTP_ ("INVALID_REQUEST"), the same name
// as in the error object's "status" key; "UNKNOWN" for a number this
// binding does not know.
func (s Status) String() string {
	if name, ok := statusNames[s]; ok {
		return name
	}
	return "UNKNOWN"
}

// Error is a failed call of the library: the status it returned and its
// error object. Use errors.As to get at it, or errors.Is with the Err*
// values below to test its kind. Faults of the binding itself (ErrClosed,
// ErrNilCharge, ErrBadOutput, ...) are plain error values, not *Error.
//
// No field ever holds a customer token or a piece of one: the library names
// the fault (Code, Detail) instead.
type Error struct {
	Status  Status // the call's status; never StatusOK
	Code    string // e.g. "DUPLICATE_KEY", "TOKEN_MALFORMED", "NOT_APPROVED"; "" when none
	Message string // for people; may change between versions
	Path    string // JSON Pointer of the fault; "" when none
	Detail  string // e.g. "BAD_REGION" beside TOKEN_MALFORMED; "" when none

	raw json.RawMessage // the {"error": {...}} object as the library wrote it
}

// Error formats the error for logs. It goes through the redaction
// (docs/HYGIENE.md H4), so it never contains a token.
func (e *Error) Error() string {
	return RedactString(e.text())
}

func (e *Error) text() string {
	if e == nil {
		return "ctpolicy: <nil>"
	}
	var b strings.Builder
	b.WriteString("ctpolicy: ")
	b.WriteString(e.Status.String())
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(strconv.Quote(RedactString(e.Path))) // redacted before quoting escapes it
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidRequest) and friends work: a target
// *Error matches when its Status is equal and its Code, when not empty, is
// equal too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || e == nil || t == nil {
		return false
	}
	return e.Status == t.Status && (t.Code == "" || t.Code == e.Code)
}

// Sentinels for errors.Is. They compare by Status (and Code for the token
// ones); never modify them.
var (
	ErrInvalidArgument    = &Error{Status: StatusInvalidArgument, Message: "invalid argument"}
	ErrInvalidUTF8        = &Error{Status: StatusInvalidUTF8, Message: "input is not valid UTF-8"}
	ErrPanic              = &Error{Status: StatusPanic, Message: "internal fault in the library"}
	ErrInvalidRequest     = &Error{Status: StatusInvalidRequest, Message: "invalid request"}
	ErrInvalidPolicy      = &Error{Status: StatusInvalidPolicy, Message: "invalid policy"}
	ErrTokenInvalid       = &Error{Status: StatusTokenInvalid, Message: "not a customer token"}
	ErrTokenMalformed     = &Error{Status: StatusTokenInvalid, Code: CodeTokenMalformed, Message: "malformed customer token"}
	ErrTokenWrongType     = &Error{Status: StatusTokenInvalid, Code: CodeTokenWrongType, Message: "not a customer token (wrong type)"}
	ErrTransitionRejected = &Error{Status: StatusTransitionRejected, Message: "transition rejected"}
)

// errorFromOutput builds the *Error of a failed call from the status and the
// library's {"error": {...}} output (which may be empty when the library
// could not write one).
func errorFromOutput(status Status, out []byte) *Error {
	e := &Error{Status: status}
	var envelope struct {
		Error *struct {
			Status  string `json:"status"`
			Code    string `json:"code"`
			Message string `json:"message"`
			Path    string `json:"path"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	if len(out) > 0 && json.Unmarshal(out, &envelope) == nil && envelope.Error != nil {
		e.Code = envelope.Error.Code
		e.Message = envelope.Error.Message
		e.Path = envelope.Error.Path
		e.Detail = envelope.Error.Detail
		e.raw = append(json.RawMessage(nil), out...)
		return e
	}
	e.Message = "the library reported " + status.String() + " without an error object"
	return e
}
