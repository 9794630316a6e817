//go:build cgo

package ctpolicy

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"sync"
)

// redactionFailed stands in for a text the library could not redact (it
// reported an internal fault): failing closed, the text is not returned.
const redactionFailed = "[ctpolicy: redaction failed]"

// Redact returns text with every customer-token occurrence (docs/HYGIENE.md
// H1: plain or URL-encoded colons, any bytes around it) replaced by
// "[customer-token sha256:<64 hex>]", the same fingerprint a decision
// gives for that token; every other byte is copied as it is, invalid UTF-8
// included. The result is a new slice even when nothing was replaced.
//
// Redact never fails on content. Should the library report an internal
// fault, it returns "[ctpolicy: redaction failed]" instead of the text
// (fail closed: an unredacted text is never returned).
func Redact(text []byte) []byte {
	out, _, status := rawRedact(text)
	if status != StatusOK {
		return []byte(redactionFailed)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// RedactString is Redact for a string.
func RedactString(text string) string {
	out, status := rawRedactString(text)
	if status != StatusOK {
		return redactionFailed
	}
	return string(out)
}

// LeakReport is one customer-token occurrence found by Scan (docs/HYGIENE.md
// H2, without the file). It never holds the token or any piece of it
// beyond Form and Region.
type LeakReport struct {
	Line        int    `json:"line"`   // 1-based, counting '\n'
	Column      int    `json:"column"` // 1-based byte offset in its line
	Length      int    `json:"length"` // bytes, as they stand in the text
	Fingerprint string `json:"fingerprint"`
	WellFormed  bool   `json:"well_formed"` // a well-formed customer token (docs/RULES.md section 2)
	Form        string `json:"form"`        // "network" or "identity" when well-formed, else ""
	Region      string `json:"region"`      // e.g. "eu1" when well-formed, else ""
}

// Scan finds the customer-token occurrences in text (the leak scan of
// docs/HYGIENE.md H2), in order; none is an empty slice. An error means the
// library failed (an *Error): treat the text as holding tokens.
func Scan(text []byte) ([]LeakReport, error) {
	out, count, status := rawScan(text)
	if status != StatusOK {
		return nil, libraryFault(status, "ctp_scan")
	}
	reports := make([]LeakReport, 0, count)
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var r LeakReport
		if err := dec.Decode(&r); err != nil {
			return nil, badOutput("a scan report")
		}
		reports = append(reports, r)
	}
	if len(reports) != count {
		return nil, badOutput("another number of scan reports than counted")
	}
	return reports, nil
}

// RedactingWriter redacts everything written through it (docs/HYGIENE.md H2)
// before passing it on: give it to log.SetOutput, or to slog.NewTextHandler
// / slog.NewJSONHandler, and no customer token reaches the log.
//
// The output is byte for byte Redact of everything written, however the
// writes cut the stream: an occurrence split across two writes is still
// replaced whole. For that the writer holds back the bytes of one
// unfinished candidate (at most about 1 MiB) until a later write shows
// where it ends, or until Close. A write that ends in a newline (every
// line of log and slog) holds nothing back, so each log line is passed on
// in the same Write.
//
// It is safe for concurrent use: each Write is redacted and passed on
// whole under a mutex, so the bytes of concurrent writes never interleave
// (log.Logger and the slog handlers already write one whole line per
// Write). Close flushes the held-back tail; it does not close the
// underlying writer.
type RedactingWriter struct {
	mu     sync.Mutex
	w      io.Writer
	native nativeHandle[redactorHandle]
	err    error // a failure to make the redactor, returned by every Write
}

// NewRedactingWriter wraps w (see RedactingWriter). The result is a
// *RedactingWriter.
func NewRedactingWriter(w io.Writer) io.WriteCloser {
	rw := &RedactingWriter{w: w}
	h, status := newRedactorHandle()
	if status != StatusOK {
		// Fail closed: nothing is written through a writer that cannot redact.
		rw.err = libraryFault(status, "ctp_redactor_new")
		return rw
	}
	// A forgotten Close still frees (and wipes) the redactor; the held-back
	// tail is then lost, never written unredacted.
	own(rw, &rw.native, h, freeRedactor)
	return rw
}

// Write redacts p and writes what is decided so far to the underlying
// writer. It returns len(p) when the redactor took p, even when some of it
// is held back; an error from the underlying writer is returned as is
// (the bytes it did not take are lost, never retried unredacted).
func (rw *RedactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.err != nil {
		return 0, rw.err
	}
	h, ok := rw.native.get()
	if !ok {
		return 0, ErrWriterClosed
	}
	out, status := h.write(p)
	runtime.KeepAlive(rw)
	if status != StatusOK {
		return 0, libraryFault(status, "ctp_redactor_write")
	}
	if len(out) > 0 {
		if _, err := rw.w.Write(out); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Count is the number of occurrences this writer has replaced so far.
func (rw *RedactingWriter) Count() uint64 {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	h, ok := rw.native.get()
	if !ok {
		return 0
	}
	n, _ := h.count()
	runtime.KeepAlive(rw)
	return n
}

// Close writes the held-back tail (redacted) to the underlying writer and
// frees the redactor. Writes after Close return ErrWriterClosed; a second
// Close returns nil. It does not close the underlying writer.
func (rw *RedactingWriter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	h, ok := rw.native.release()
	if !ok {
		return rw.err
	}
	tail, status := h.finish()
	freeRedactor(h)
	if status != StatusOK {
		return libraryFault(status, "ctp_redactor_finish")
	}
	if len(tail) > 0 {
		if _, err := rw.w.Write(tail); err != nil {
			return err
		}
	}
	return nil
}
