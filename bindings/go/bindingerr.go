package ctpolicy

import "errors"

// Faults of this binding's own (a closed handle, a nil argument), as
// opposed to an *Error, which carries a status the library returned.
// Test them with errors.Is.
var (
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
