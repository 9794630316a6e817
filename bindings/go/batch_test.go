//go:build cgo

package ctpolicy

import (
	"bytes"
	"errors"
	"testing"
)

// outputLine is what Check gives for a request: the decision or the error
// object, exactly as the library wrote it.
func outputLine(d *Decision, err error) string {
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) || ce.raw == nil {
			return "binding error " + err.Error()
		}
		return string(ce.raw)
	}
	return string(d.Raw)
}

// TestCheckMany: over every check vector (grouped by policy, raw newlines
// and blank inputs included: there is no framing), one CheckMany call
// gives for each request exactly what Check gives (the decision bytes or
// the error object bytes, and the typed fields), and counts that add up.
func TestCheckMany(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)
	groups := map[string][][]byte{}
	for _, c := range file.Cases {
		input, err := c.input()
		if err != nil {
			t.Fatal(err)
		}
		groups[c.policyName()] = append(groups[c.policyName()], input)
	}
	n, withNewline := 0, 0
	for policy, inputs := range groups {
		e := engs[policy]
		results, counts, err := e.CheckMany(inputs)
		if err != nil || len(results) != len(inputs) {
			t.Fatalf("policy %s: %d results for %d requests, %v", policy, len(results), len(inputs), err)
		}
		var want BatchCounts
		for i, in := range inputs {
			r := results[i]
			if (r.Decision == nil) == (r.Err == nil) {
				t.Fatalf("policy %s request %d: decision %v and error %v", policy, i, r.Decision, r.Err)
			}
			d, cerr := e.Check(in)
			if got, exp := outputLine(r.Decision, r.Err), outputLine(d, cerr); got != exp {
				t.Errorf("policy %s request %d:\n  many  %s\n  check %s", policy, i, got, exp)
			}
			switch {
			case cerr != nil:
				want.Invalid++
				var a, b *Error
				if !errors.As(r.Err, &a) || !errors.As(cerr, &b) || a.Status != b.Status || a.Code != b.Code ||
					a.Path != b.Path || a.Message != b.Message || a.Detail != b.Detail {
					t.Errorf("policy %s request %d: typed error %+v, want %+v", policy, i, a, b)
				}
			case d.Allowed:
				want.Allowed++
			default:
				want.Denied++
			}
			if r.Decision != nil && (r.Decision.Allowed != d.Allowed || r.Decision.Fingerprint() != d.Fingerprint()) {
				t.Errorf("policy %s request %d: typed decision differs", policy, i)
			}
			if bytes.ContainsAny(in, "\n") {
				withNewline++
			}
			n++
		}
		if counts != want || counts.Total() != uint64(len(inputs)) {
			t.Errorf("policy %s: counts %+v, want %+v", policy, counts, want)
		}
	}
	if withNewline == 0 {
		t.Error("no vector request holds a newline: the no-framing case is untested")
	}
	t.Logf("%d requests through CheckMany (%d with newlines)", n, withNewline)
}

func TestCheckManyEdges(t *testing.T) {
	e := newTestEngine(t, "")
	results, counts, err := e.CheckMany(nil)
	if err != nil || len(results) != 0 || counts != (BatchCounts{}) {
		t.Errorf("CheckMany(nil): %v %+v %v", results, counts, err)
	}
	in := [][]byte{[]byte(renewalFixture), nil, []byte(" \n"), []byte("not json"), []byte(renewalFixture)}
	results, counts, err = e.CheckMany(in)
	if err != nil || counts != (BatchCounts{Allowed: 2, Invalid: 3}) || len(results) != 5 {
		t.Fatalf("%+v %v", counts, err)
	}
	for _, i := range []int{1, 2, 3} {
		if !errors.Is(results[i].Err, ErrInvalidRequest) {
			t.Errorf("request %d: %v, want an invalid request", i, results[i].Err)
		}
	}
	// Requests that share one backing array.
	buf := []byte(renewalFixture + renewalFixture)
	results, counts, err = e.CheckMany([][]byte{buf[:len(renewalFixture)], buf[len(renewalFixture):]})
	if err != nil || counts.Allowed != 2 {
		t.Errorf("shared backing array: %+v %v", counts, err)
	}
	_ = results
	var closed *Engine
	if _, _, err := closed.CheckMany(in); err != ErrClosed {
		t.Errorf("nil engine: %v", err)
	}
}
