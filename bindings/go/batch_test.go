package ctpolicy

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// outputLine is what Check gives for a request, as a batch line: the
// decision or the error object, exactly as the library wrote it.
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

// TestCheckBatchVectors: over every check vector (grouped by policy), one
// CheckBatch call gives, line by line, exactly what Check gives for each
// request, and counts that add up. Pretty-printed requests are compacted
// to one line first; inputs with a newline compacting cannot remove (not
// JSON) or blank ones cannot be one line and are left out.
func TestCheckBatchVectors(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)
	groups := map[string][][]byte{}
	skipped := 0
	for _, c := range file.Cases {
		input, err := c.input()
		if err != nil {
			t.Fatal(err)
		}
		line, ok := jsonlLine(input) // compacted when that removes its newlines
		if !ok || isBlankLine(line) {
			skipped++
			continue
		}
		groups[c.policyName()] = append(groups[c.policyName()], line)
	}
	lines := 0
	for policy, inputs := range groups {
		e := engs[policy]
		var batch bytes.Buffer
		var want []string
		var wantCounts BatchCounts
		for _, in := range inputs {
			batch.Write(in)
			batch.WriteString("\n\n") // blank lines are skipped
			d, err := e.Check(in)
			want = append(want, outputLine(d, err))
			switch {
			case err != nil:
				wantCounts.Invalid++
			case d.Allowed:
				wantCounts.Allowed++
			default:
				wantCounts.Denied++
			}
		}
		out, counts, err := e.CheckBatch(batch.Bytes())
		if err != nil {
			t.Fatalf("policy %s: %v", policy, err)
		}
		if counts != wantCounts || counts.Total() != uint64(len(inputs)) {
			t.Errorf("policy %s: counts %+v, want %+v", policy, counts, wantCounts)
		}
		if !bytes.HasSuffix(out, []byte("\n")) {
			t.Errorf("policy %s: output does not end with a newline", policy)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(got) != len(want) {
			t.Fatalf("policy %s: %d lines, want %d", policy, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("policy %s line %d:\n  batch %s\n  check %s", policy, i+1, got[i], want[i])
			}
		}
		lines += len(want)
	}
	t.Logf("%d vectors compared line by line over %d policies (%d left out: raw newline or blank)", lines, len(groups), skipped)
}

// TestCheckMany: CheckMany gives what Check gives for every vector,
// including those that cannot be a JSON Lines line.
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
	n := 0
	for policy, inputs := range groups {
		ds, errs := engs[policy].CheckMany(inputs)
		if len(ds) != len(inputs) || len(errs) != len(inputs) {
			t.Fatalf("policy %s: %d/%d results for %d requests", policy, len(ds), len(errs), len(inputs))
		}
		for i, in := range inputs {
			if (ds[i] == nil) == (errs[i] == nil) {
				t.Errorf("policy %s request %d: decision %v and error %v", policy, i, ds[i], errs[i])
				continue
			}
			want := outcome(engs[policy].Check(in))
			if got := outcome(ds[i], errs[i]); got != want {
				t.Errorf("policy %s request %d:\n  many  %s\n  check %s", policy, i, got, want)
			}
			if errs[i] != nil {
				var a, b *Error
				_, cerr := engs[policy].Check(in)
				errors.As(errs[i], &a)
				errors.As(cerr, &b)
				if a.Status != b.Status || a.Code != b.Code || a.Path != b.Path || a.Message != b.Message || a.Detail != b.Detail {
					t.Errorf("policy %s request %d: typed error %+v, want %+v", policy, i, a, b)
				}
			} else {
				d, _ := engs[policy].Check(in)
				if fmt.Sprintf("%+v", *ds[i]) != fmt.Sprintf("%+v", *d) {
					t.Errorf("policy %s request %d: decision %+v, want %+v", policy, i, ds[i], d)
				}
			}
			n++
		}
	}
	if ds, errs := newTestEngine(t, "").CheckMany(nil); len(ds) != 0 || len(errs) != 0 {
		t.Error("CheckMany(nil) is not empty")
	}
	t.Logf("%d requests through CheckMany", n)
}

func TestCheckBatchEdges(t *testing.T) {
	e := newTestEngine(t, "")
	for _, in := range []string{"", "\n", " \t\r\n\n"} {
		out, counts, err := e.CheckBatch([]byte(in))
		if err != nil || len(out) != 0 || counts != (BatchCounts{}) {
			t.Errorf("%q: %q %+v %v", in, out, counts, err)
		}
	}
	out, counts, err := e.CheckBatch([]byte(renewalFixture + "\r\nnot json\n" + renewalFixture))
	if err != nil || counts != (BatchCounts{Allowed: 2, Invalid: 1}) || bytes.Count(out, []byte("\n")) != 3 {
		t.Errorf("%s %+v %v", out, counts, err)
	}
}
