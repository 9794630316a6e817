//go:build cgo

package ctpolicy

import (
	"net/http"
	"sync"
	"time"
)

// scratch is one guarded request's working memory: the pre-flight request
// and, once the answer is in, the instant, the request as ApplyResponse
// reads it and the transition the library writes, one after the other.
// It is the largest allocation of a guarded request and lives only until
// the answer is applied, so it is pooled; it holds the token, so it is
// wiped before it goes back.
type scratch struct {
	// buf[:len(buf)] is written; what lies beyond may have been too (the
	// library's transition is copied there), so release wipes up to cap.
	buf []byte
	// preflightLen is the length of the pre-flight request at buf's start.
	preflightLen int
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch bounds the buffer the pool keeps: one grown for an
// unusually large request is wiped and left to the collector.
const maxPooledScratch = 64 << 10

// getScratch gives an empty scratch with room for size bytes.
func getScratch(size int) *scratch {
	s := scratchPool.Get().(*scratch)
	s.reserve(size)
	return s
}

// release wipes the scratch and gives it back to the pool.
func (s *scratch) release() {
	clear(s.buf[:cap(s.buf)])
	if cap(s.buf) > maxPooledScratch {
		s.buf = nil
	}
	s.buf, s.preflightLen = s.buf[:0], 0
	scratchPool.Put(s)
}

// reserve makes room for n more bytes after what is written, so that the
// slices handed out after it stay in one buffer. A buffer it replaces is
// wiped: only its written part lives on, in the new one.
func (s *scratch) reserve(n int) {
	if cap(s.buf)-len(s.buf) >= n {
		return
	}
	bigger := make([]byte, len(s.buf), len(s.buf)+max(n, 512))
	copy(bigger, s.buf)
	s.replace(bigger)
}

// replace makes b, which holds what was written, the buffer, wiping the
// old one when b is a new array.
func (s *scratch) replace(b []byte) {
	if cap(s.buf) > 0 && (cap(b) == 0 || &b[:1][0] != &s.buf[:1][0]) {
		clear(s.buf[:cap(s.buf)])
	}
	s.buf = b
}

// writePreflight writes the guard's pre-flight request (appendPreflight)
// at the start of the scratch and returns it.
func (s *scratch) writePreflight(g *Guard, req *http.Request, names []string, record, body []byte) []byte {
	// append grows the buffer when the estimate fell short (escapes).
	s.replace(g.appendPreflight(s.buf[:0], req, names, record, body))
	s.preflightLen = len(s.buf)
	return s.buf
}

// answerRoom is how many bytes settle writes after the pre-flight
// request: the answer request (shorter than the pre-flight request), the
// instant and the transition (the record, with one more attempt, or the
// first record, made from the answer, and two events). A transition that
// does not fit is read from the library's own buffer instead.
func answerRoom(preflightLen int, record, answer []byte) int {
	return preflightLen + len("2006-01-02T15:04:05.000Z") + len(record) + len(answer) + 512
}

// appendInstant writes t as appendInstant does and returns it.
func (s *scratch) appendInstant(t time.Time) []byte {
	return s.appendWith(func(b []byte) []byte { return appendInstant(b, t) })
}

// appendAnswerRequest writes the request as ApplyResponse reads it (the
// function appendAnswerRequest) after the pre-flight request, and
// returns it.
func (s *scratch) appendAnswerRequest(bodyLen int) []byte {
	preflight := s.buf[:s.preflightLen:s.preflightLen]
	laidOut := true
	request := s.appendWith(func(b []byte) []byte {
		with, ok := appendAnswerRequest(b, preflight, bodyLen)
		if !ok {
			laidOut = false
			return b
		}
		return with
	})
	if !laidOut {
		return s.buf[:s.preflightLen:s.preflightLen]
	}
	return request
}

// appendWith lets write append to the buffer and returns what it added.
func (s *scratch) appendWith(write func(b []byte) []byte) []byte {
	start := len(s.buf)
	s.replace(write(s.buf))
	return s.buf[start:len(s.buf):len(s.buf)]
}

// free is the unwritten rest of the buffer, as an empty slice.
func (s *scratch) free() []byte { return s.buf[len(s.buf):len(s.buf)] }
