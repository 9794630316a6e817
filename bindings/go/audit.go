//go:build cgo

package ctpolicy

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// The audit trail of docs/HYGIENE.md H3: a JSON Lines log with one chained
// entry per check, the same bytes as `ctpolicy check --audit-log` writes.

// AuditOption is an option of OpenAuditLog.
type AuditOption func(*uint32)

// AuditFsync syncs the log to the disk after every entry (CTP_AUDIT_FSYNC);
// without it the log is synced by Close.
func AuditFsync() AuditOption { return func(f *uint32) { *f |= auditFsync } }

// AuditLog is an audit log open for appending. It is safe for concurrent
// use: any number of goroutines may Check through one log at once (each
// append holds the library's mutex and an exclusive flock on the file, so
// threads and processes writing one file keep one chain). Close it when
// done: Close syncs the file to the disk.
type AuditLog struct {
	// mu lets many Checks run at once (read lock) while Close (write lock)
	// waits for them before freeing the handle.
	mu     sync.RWMutex
	native nativeHandle[auditHandle]
}

// AuditError is a failure of the audit trail: the log cannot be read,
// written or locked (StatusIoError), an entry does not verify
// (StatusAuditLogInvalid), or the head is not the expected one
// (StatusAuditHeadMismatch). Use errors.As to get at it.
type AuditError struct {
	Status Status
	// Code is stable: "IO_ERROR", "TORN_LINE", "LINE_TOO_LONG", "NOT_JSON",
	// "NOT_AN_ENTRY", "NOT_CANONICAL", "SEQ_MISMATCH", "PREV_MISMATCH",
	// "HEAD_MISMATCH", "INVALID_ARGUMENT"; "LOG_REPLACED" (the log's path
	// was deleted, renamed away or names another file under an open log:
	// close it and open the path again) and "LOG_TRUNCATED" (the file is
	// shorter than this log left it); "NOT_A_REGULAR_FILE".
	Code string
	// Line is the 1-based line of the first bad entry, 0 when the failure
	// is not about one entry; Seq is the seq that entry should have had.
	Line, Seq uint64
	Message   string // for people; may change between versions
}

// Error names the entry and what is wrong with it. It goes through the
// redaction, so a token in a path cannot leak through it.
func (e *AuditError) Error() string {
	if e == nil {
		return "ctpolicy: <nil>"
	}
	var b strings.Builder
	b.WriteString("ctpolicy: audit: ")
	b.WriteString(e.Status.String())
	if e.Code != e.Status.String() {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Line != 0 {
		b.WriteString(" at line " + strconv.FormatUint(e.Line, 10) + " (seq " + strconv.FormatUint(e.Seq, 10) + ")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return RedactString(b.String())
}

// isAuditStatus reports whether a status is one of the audit trail's own.
func isAuditStatus(s Status) bool {
	return s == StatusIoError || s == StatusAuditLogInvalid || s == StatusAuditHeadMismatch
}

// auditErrorFromOutput is the *AuditError of an audit failure, from its
// error object {"error": {"status", "code", "message", "line"?, "seq"?}}.
func auditErrorFromOutput(status Status, out []byte) *AuditError {
	var envelope struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Line    uint64 `json:"line"`
			Seq     uint64 `json:"seq"`
		} `json:"error"`
	}
	if json.Unmarshal(out, &envelope) != nil || envelope.Error == nil {
		return &AuditError{Status: status, Code: status.String(), Message: "the library reported " + status.String() + " without an error object"}
	}
	b := envelope.Error
	return &AuditError{Status: status, Code: b.Code, Line: b.Line, Seq: b.Seq, Message: b.Message}
}

// callError is the error of a failed library call: an *AuditError for an
// audit status, else an *Error.
func callError(status Status, out []byte) error {
	if isAuditStatus(status) {
		return auditErrorFromOutput(status, out)
	}
	return errorFromOutput(status, out)
}

// OpenAuditLog opens the audit log at path, creating it when missing; a
// log with entries is continued (seq and prev follow its last entry). A log
// whose last line does not verify (torn by a crash, say) is not opened:
// an *AuditError naming it.
func OpenAuditLog(path string, opts ...AuditOption) (*AuditLog, error) {
	var flags uint32
	for _, o := range opts {
		o(&flags)
	}
	handle, status, errJSON := rawAuditOpen(path, flags)
	if status != StatusOK {
		return nil, callError(status, errJSON)
	}
	l := &AuditLog{}
	// The safety net for a forgotten Close: frees without syncing (entries
	// already written stay in the file).
	own(l, &l.native, handle, freeAuditLog)
	return l, nil
}

// Check decides request with engine exactly as engine.Check does, after
// appending its entry to the log: a decision is given only once its entry
// is written. A request the engine cannot decide (an envelope fault) gets
// an ERROR entry, then its *Error is returned. When the entry cannot be
// appended the decision is not given: an *AuditError (StatusIoError, or
// StatusAuditLogInvalid when another writer left a torn last line, or the
// log changed under this handle: Code "LOG_REPLACED" after a rotation by
// rename or a deletion, "LOG_TRUNCATED" after a truncation). Treat every
// error as DENY.
func (l *AuditLog) Check(engine *Engine, request []byte) (*Decision, error) {
	if l == nil {
		return nil, ErrAuditLogClosed
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	log, ok := l.native.get()
	if !ok {
		return nil, ErrAuditLogClosed
	}
	var d *Decision
	err := engine.use(func(h engineHandle) error {
		status, out := rawAuditCheck(h, log, request)
		runtime.KeepAlive(l)
		if status != StatusOK {
			return callError(status, out)
		}
		var err error
		d, err = decodeDecision(out)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Close syncs the log to the disk and releases it. An *AuditError
// (StatusIoError) means the sync failed: entries since the last sync may
// not be on the disk. Checks after Close return ErrAuditLogClosed; a
// second Close returns nil.
func (l *AuditLog) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	log, ok := l.native.release()
	if !ok {
		return nil
	}
	status, errJSON := rawAuditClose(log)
	if status != StatusOK {
		return callError(status, errJSON)
	}
	return nil
}

// AuditSummary is what a log that verifies holds.
type AuditSummary struct {
	Entries uint64 `json:"entries"`
	// FirstAt and LastAt are the at of the first and last entry; "" for an
	// empty log.
	FirstAt   string `json:"first_at"`
	LastAt    string `json:"last_at"`
	Decisions struct {
		Allow uint64 `json:"ALLOW"`
		Deny  uint64 `json:"DENY"`
		Error uint64 `json:"ERROR"`
	} `json:"decisions"`
	// Head is the fingerprint of the last line ("sha256:" and 64 zeros for
	// an empty log). Keep it elsewhere and pass it as expectHead later:
	// only that finds entries cut off the end.
	Head string `json:"head"`
}

// VerifyAuditLog checks every entry of the log at path in one streaming
// pass (its JSON, its seq, its prev against the line before; a last line
// without '\n' is torn) and, when expectHead is not "", that the log ends
// in that head. A log that does not verify is an *AuditError naming the
// first bad entry (Line, Seq, Code); one that cannot be read is an
// *AuditError with StatusIoError.
func VerifyAuditLog(path string, expectHead string) (AuditSummary, error) {
	status, out := rawAuditVerify(path, expectHead)
	if status != StatusOK {
		return AuditSummary{}, callError(status, out)
	}
	var s AuditSummary
	if err := json.Unmarshal(out, &s); err != nil || s.Head == "" {
		return AuditSummary{}, badOutput("an audit summary")
	}
	return s, nil
}

// AuditRepair is what RepairAuditLog did.
type AuditRepair struct {
	// Repaired is whether a torn tail was cut off (false: the log verified
	// as it was).
	Repaired bool `json:"repaired"`
	// CutBytes were cut off the end: a write cut short, for which no
	// decision was given.
	CutBytes  uint64 `json:"cut_bytes"`
	KeptBytes uint64 `json:"kept_bytes"`
	// Entries is the number of whole entries the log holds, all verifying.
	Entries uint64 `json:"entries"`
	Head    string `json:"head"`
}

// RepairAuditLog cuts the torn tail a write cut short left in the log at
// path (the bytes after its last '\n'), under the log's lock, when every
// entry before it verifies, and syncs the file: the command line's
// `ctpolicy audit repair`. It never cuts anything that verifies: a log that
// fails at a whole entry is an *AuditError (StatusAuditLogInvalid) and is
// not touched; a file that cannot be cut (append-only) is StatusIoError.
func RepairAuditLog(path string) (AuditRepair, error) {
	status, out := rawAuditRepair(path)
	if status != StatusOK {
		return AuditRepair{}, callError(status, out)
	}
	var r AuditRepair
	if err := json.Unmarshal(out, &r); err != nil || r.Head == "" {
		return AuditRepair{}, badOutput("an audit repair report")
	}
	return r, nil
}

// auditEntry is the entry line a log would hold for request as entry seq
// after a line of fingerprint prev, with the writer's clock at (for the
// byte-identity tests).
func (e *Engine) auditEntry(request []byte, seq uint64, prev, at string) ([]byte, error) {
	var line []byte
	err := e.use(func(h engineHandle) error {
		status, out := rawAuditEntry(h, request, seq, prev, at)
		if status != StatusOK {
			return callError(status, out)
		}
		line = out
		return nil
	})
	return line, err
}
