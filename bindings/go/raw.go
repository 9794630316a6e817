package ctpolicy

// The raw layer of the hygiene calls (redaction, leak scan, audit trail):
// every cgo call of them and the memory handling around it, in one place.
// The idiomatic API (redact.go, audit.go) calls only these functions; none
// of them interprets what the library wrote beyond copying it out.

/*
#include "ctpolicy_go.h"
*/
import "C"

import (
	"runtime"
)

// takeBuf copies a library buffer into Go memory and frees (wipes) the
// library's copy.
func takeBuf(b *C.ctp_buf) []byte {
	out := append([]byte(nil), viewBuf(b)...)
	C.ctp_buf_free(b)
	return out
}

// rawRedact is ctp_redact: the redacted copy of text and the number of
// occurrences replaced.
func rawRedact(text []byte) ([]byte, int, Status) {
	var out C.ctp_buf
	var count C.size_t
	status := Status(C.ctp_redact(bytesPtr(text), C.size_t(len(text)), &out, &count))
	if status != StatusOK {
		C.ctp_buf_free(&out)
		return nil, 0, status
	}
	return takeBuf(&out), int(count), StatusOK
}

// rawRedactString is rawRedact over a string, without copying it first.
func rawRedactString(text string) ([]byte, Status) {
	var out C.ctp_buf
	status := Status(C.ctp_redact(stringPtr(text), C.size_t(len(text)), &out, nil))
	runtime.KeepAlive(text)
	if status != StatusOK {
		C.ctp_buf_free(&out)
		return nil, status
	}
	return takeBuf(&out), StatusOK
}

// rawScan is ctp_scan: the JSON Lines reports and their number.
func rawScan(text []byte) ([]byte, int, Status) {
	var out C.ctp_buf
	var count C.size_t
	status := Status(C.ctp_scan(bytesPtr(text), C.size_t(len(text)), &out, &count))
	if status != StatusOK {
		C.ctp_buf_free(&out)
		return nil, 0, status
	}
	return takeBuf(&out), int(count), StatusOK
}

// redactorHandle is a ctp_redactor. It is not safe for concurrent use;
// RedactingWriter serializes the calls.
type redactorHandle struct{ p *C.ctp_redactor }

func newRedactorHandle() (redactorHandle, Status) {
	var p *C.ctp_redactor
	status := Status(C.ctp_redactor_new(&p))
	if status != StatusOK || p == nil {
		return redactorHandle{}, status
	}
	return redactorHandle{p}, StatusOK
}

// write feeds the next piece and returns the bytes it decided (often none).
func (h redactorHandle) write(piece []byte) ([]byte, Status) {
	var out C.ctp_buf
	status := Status(C.ctp_redactor_write(h.p, bytesPtr(piece), C.size_t(len(piece)), &out))
	if status != StatusOK {
		C.ctp_buf_free(&out)
		return nil, status
	}
	return takeBuf(&out), StatusOK
}

// finish ends the stream and returns the held-back tail, redacted.
func (h redactorHandle) finish() ([]byte, Status) {
	var out C.ctp_buf
	status := Status(C.ctp_redactor_finish(h.p, &out))
	if status != StatusOK {
		C.ctp_buf_free(&out)
		return nil, status
	}
	return takeBuf(&out), StatusOK
}

// count is the number of occurrences replaced so far.
func (h redactorHandle) count() (uint64, Status) {
	var n C.uint64_t
	status := Status(C.ctp_redactor_count(h.p, &n))
	return uint64(n), status
}

// freeRedactor wipes and frees a redactor (the cleanup of a forgotten one).
func freeRedactor(p *C.ctp_redactor) { C.ctp_redactor_free(p) }

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
func rawAuditCheck(engine *C.ctp_engine, log *C.ctp_audit_log, request []byte) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_check_json(engine, log, bytesPtr(request), C.size_t(len(request)), &out))
	return status, takeBuf(&out)
}

// rawAuditVerify is ctp_audit_verify: the status and the summary or error
// object.
func rawAuditVerify(path, expectHead string) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_verify(stringPtr(path), C.size_t(len(path)),
		stringPtr(expectHead), C.size_t(len(expectHead)), &out))
	runtime.KeepAlive(path)
	runtime.KeepAlive(expectHead)
	return status, takeBuf(&out)
}

// rawAuditEntry is ctp_audit_entry_json: the entry line a log would hold
// for request as entry seq after prev, with the writer's clock at.
func rawAuditEntry(engine *C.ctp_engine, request []byte, seq uint64, prev, at string) (Status, []byte) {
	var out C.ctp_buf
	status := Status(C.ctp_audit_entry_json(engine, bytesPtr(request), C.size_t(len(request)), C.uint64_t(seq),
		stringPtr(prev), C.size_t(len(prev)), stringPtr(at), C.size_t(len(at)), &out))
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
