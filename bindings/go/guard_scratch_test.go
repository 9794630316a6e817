//go:build cgo

package ctpolicy

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// TestGuardScratchIsWipedOnRelease: the pooled scratch holds the
// pre-flight request, the token with it, and the transition the library
// copied after it; nothing of them is left once it goes back to the pool.
func TestGuardScratchIsWipedOnRelease(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.guard.Now = func() time.Time { return guardStart } // the same pre-flight request twice
	req := tg.renewal(t, renewalToken, renewalBody)
	names := klarnaHeaderNames(nil, req.Header)
	record := activeRecord(renewalToken, "payment:customer_not_present")
	work := &scratch{}
	work.reserve(64) // smaller than the request: writePreflight grows it
	preflight := work.writePreflight(tg.guard, req, names, record, []byte(renewalBody))
	if !bytes.Equal(preflight, tg.guard.preflight(req, names, record, []byte(renewalBody))) {
		t.Fatalf("the scratch's pre-flight request differs from preflight's (%d and %d bytes)", len(preflight),
			len(tg.guard.preflight(req, names, record, []byte(renewalBody))))
	}
	work.reserve(answerRoom(work.preflightLen, record, []byte(`{"payment_transaction_response":{"result":"APPROVED"}}`)))
	at := work.appendInstant(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	request := work.appendAnswerRequest(len(renewalBody))
	next, changed, err := applyAnswer(record, request, []byte(`{"payment_transaction_response":{"result":"APPROVED"}}`), at, work.free())
	if err != nil || !changed || !bytes.Contains(next, []byte(renewalToken)) {
		t.Fatalf("applyAnswer: %v changed=%v", err, changed)
	}
	// The transition was copied past what the scratch counts as written.
	if !bytes.Contains(work.buf[len(work.buf):cap(work.buf)], []byte(`"changed":true`)) {
		t.Fatal("the transition was not copied into the scratch")
	}
	buf := work.buf[:cap(work.buf)]
	work.release()
	if i := bytes.IndexFunc(buf, func(r rune) bool { return r != 0 }); i >= 0 {
		t.Fatalf("released scratch not wiped at byte %d of %d", i, len(buf))
	}
	// The record handed out is a copy of its own.
	if !bytes.Contains(next, []byte(renewalToken)) {
		t.Fatal("the record handed out was wiped with the scratch")
	}
}

// TestGuardApplyAnswerWithoutRoom: a transition that does not fit in the
// room given is read from the library's own buffer, with the same result.
func TestGuardApplyAnswerWithoutRoom(t *testing.T) {
	tg := newTestGuard(t, "", false)
	req := tg.renewal(t, renewalToken, renewalBody)
	record := activeRecord(renewalToken, "payment:customer_not_present")
	preflight := tg.guard.preflight(req, klarnaHeaderNames(nil, req.Header), record, []byte(renewalBody))
	request := answerRequest(preflight, len(renewalBody))
	answer := []byte(`{"payment_transaction_response":{"result":"DECLINED"}}`)
	at := []byte("2026-11-30T12:00:00.000Z")
	roomy, changedRoomy, err := applyAnswer(record, request, answer, at, make([]byte, 0, 4096))
	if err != nil {
		t.Fatal(err)
	}
	tight, changedTight, err := applyAnswer(record, request, answer, at, make([]byte, 0, 16))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(roomy, tight) || changedRoomy != changedTight || !changedRoomy {
		t.Errorf("with room: %d bytes, changed %v; without: %d bytes, changed %v", len(roomy), changedRoomy, len(tight), changedTight)
	}
	tr, err := ApplyResponse(record, preflight, answer, string(at))
	if err != nil || !bytes.Equal(tr.Record.Bytes(), roomy) || tr.Changed != changedRoomy {
		t.Errorf("ApplyResponse and the guard's reading differ (%v)", err)
	}
}

// preflight is the guard's pre-flight request in a buffer of its own (the
// guard writes it into its scratch), for tests to compare against.
func (g *Guard) preflight(req *http.Request, names []string, record, body []byte) []byte {
	return g.appendPreflight(make([]byte, 0, g.preflightSize(req, names, record, body)), req, names, record, body)
}

// answerRequest is the request as ApplyResponse reads it, written after
// preflight in its buffer's spare room (when there is room), for tests.
func answerRequest(preflight []byte, bodyLen int) []byte {
	request, _ := appendAnswerRequest(preflight[len(preflight):len(preflight):cap(preflight)], preflight, bodyLen)
	return request
}
