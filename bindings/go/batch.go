package ctpolicy

/*
#include "ctpolicy_go.h"

// ctpgo_check_batch returns the counts by value, so that no Go pointer to
// them is handed to C.
static inline ctp_batch_counts ctpgo_check_batch(const ctp_engine *engine,
		const uint8_t *requests, size_t len, ctp_buf *out, uint32_t *status) {
	ctp_batch_counts counts = {0, 0, 0};
	*status = ctp_check_batch(engine, requests, len, out, &counts);
	return counts;
}
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"runtime"
)

// BatchCounts says how many lines of a CheckBatch were ALLOW, DENY and
// could not be decided.
type BatchCounts struct {
	Allowed, Denied, Invalid uint64
}

// Total is the number of requests decided or rejected.
func (c BatchCounts) Total() uint64 { return c.Allowed + c.Denied + c.Invalid }

// CheckBatch decides a JSON Lines text of pre-flight requests in one call
// into the library (ctp_check_batch): one request a line ('\n'), blank
// lines (only spaces, tabs, '\r') skipped. The output has one line per
// request, in order, each ended by '\n': the decision exactly as Check's
// Decision.Raw, or the {"error": {...}} object of a line that could not be
// decided (the other lines go on), exactly as `ctpolicy check --format
// jsonl` prints them.
//
// The error is nil whenever every line was handled, whatever each answer;
// an *Error means the batch as a whole failed (a closed engine).
func (e *Engine) CheckBatch(jsonl []byte) ([]byte, BatchCounts, error) {
	if abiError != nil {
		return nil, BatchCounts{}, abiError
	}
	if e == nil {
		return nil, BatchCounts{}, closedError()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return nil, BatchCounts{}, closedError()
	}
	var out C.ctp_buf
	var cstatus C.uint32_t
	counts := C.ctpgo_check_batch(e.handle, bytesPtr(jsonl), C.size_t(len(jsonl)), &out, &cstatus)
	runtime.KeepAlive(e)
	defer C.ctp_buf_free(&out)
	view := viewBuf(&out)
	if status := Status(cstatus); status != StatusOK {
		return nil, BatchCounts{}, errorFromOutput(status, view)
	}
	return bytes.Clone(view), BatchCounts{Allowed: uint64(counts.allowed), Denied: uint64(counts.denied), Invalid: uint64(counts.invalid)}, nil
}

// CheckMany decides many requests with one CheckBatch call and returns,
// for each request in order, either its Decision or its *Error, exactly
// as Check would. A request that cannot be one JSON Lines line (it holds a
// '\n' or is blank) goes through Check on its own.
func (e *Engine) CheckMany(requests [][]byte) ([]*Decision, []error) {
	decisions := make([]*Decision, len(requests))
	errs := make([]error, len(requests))
	var batched []int
	size := 0
	for i, r := range requests {
		if isBlankLine(r) || bytes.IndexByte(r, '\n') >= 0 {
			decisions[i], errs[i] = e.Check(r)
			continue
		}
		batched = append(batched, i)
		size += len(r) + 1
	}
	if len(batched) == 0 {
		return decisions, errs
	}
	input := make([]byte, 0, size)
	for _, i := range batched {
		input = append(append(input, requests[i]...), '\n')
	}
	out, _, err := e.CheckBatch(input)
	lines := bytes.SplitAfter(out, []byte{'\n'})
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	if err == nil && len(lines) != len(batched) {
		err = newError(StatusPanic, CodeBadOutput, "the library returned another number of lines than requests")
	}
	for k, i := range batched {
		if err != nil {
			errs[i] = err
			continue
		}
		decisions[i], errs[i] = decodeLine(bytes.TrimSuffix(lines[k], []byte{'\n'}))
	}
	return decisions, errs
}

// isBlankLine is the library's test for a line that ctp_check_batch skips.
func isBlankLine(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

var statusByName = func() map[string]Status {
	m := make(map[string]Status, len(statusNames))
	for s, name := range statusNames {
		m[name] = s
	}
	return m
}()

// decodeLine reads one output line of ctp_check_batch: a decision or an
// {"error": {...}} object.
func decodeLine(line []byte) (*Decision, error) {
	if bytes.HasPrefix(line, []byte(`{"error":`)) {
		var envelope struct {
			Error struct {
				Status string `json:"status"`
			} `json:"error"`
		}
		status, ok := StatusPanic, false
		if json.Unmarshal(line, &envelope) == nil {
			status, ok = statusByName[envelope.Error.Status]
		}
		if !ok || status == StatusOK {
			return nil, newError(StatusPanic, CodeBadOutput, "the library returned an error line this binding cannot read")
		}
		return nil, errorFromOutput(status, line)
	}
	return decodeDecision(line)
}
