//go:build cgo

package ctpolicy

import "errors"

// Faults of this binding's own (a closed handle, a nil argument), as
// opposed to an *Error, which carries a status the library returned.
// Test them with errors.Is.
var (
	// ErrClosed: a call on an Engine that was closed (or never built with
	// NewEngine, or nil).
	ErrClosed = errors.New("ctpolicy: the engine is closed (or was never built with NewEngine)")
	// ErrNilCharge: CheckCharge(nil).
	ErrNilCharge = errors.New("ctpolicy: CheckCharge: the charge is nil")
	// ErrRecordStateUnset: CheckCharge with a Record whose State is the
	// zero RecordState (set RecordActive or RecordRevoked).
	ErrRecordStateUnset = errors.New("ctpolicy: CheckCharge: Record.State is not set (RecordActive or RecordRevoked)")
	// ErrBadOutput: the library returned output this binding cannot read
	// (a library and binding that do not belong together); wrapped with
	// what was being read.
	ErrBadOutput = errors.New("ctpolicy: the library returned output this binding cannot read")
	// ErrWriterClosed: Write on a RedactingWriter after Close.
	ErrWriterClosed = errors.New("ctpolicy: the redacting writer is closed")
	// ErrAuditLogClosed: a check or Close on an AuditLog after Close.
	ErrAuditLogClosed = errors.New("ctpolicy: the audit log is closed")
)

// libraryFault is the *Error of a library call that failed with status
// but wrote no error object (a PANIC of the library, which says nothing
// more).
func libraryFault(status Status, call string) *Error {
	return &Error{Status: status, Message: call + " failed with " + status.String()}
}
