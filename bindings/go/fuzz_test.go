//go:build cgo

package ctpolicy

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzCheck feeds arbitrary bytes to Check, seeded with every check vector.
// Whatever the input: no panic, no crash, and exactly one of a well-formed
// decision or an *Error that came from the library; the same input always
// gets the same answer.
func FuzzCheck(f *testing.F) {
	var file checkFile
	readVectors(f, "check.json", &file)
	for _, c := range file.Cases {
		if input, err := c.input(); err == nil {
			f.Add(input)
		}
	}
	f.Add([]byte(nil))
	f.Add(renewalRequest)
	engine, err := NewEngine([]byte(`{"allowed_regions":["eu1"],"allowed_currencies":["EUR"],` +
		`"max_amount":{"payment:customer_not_present":{"EUR":50000}},"require_token_reference":true}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = engine.Close() })

	f.Fuzz(func(t *testing.T, input []byte) {
		d, err := engine.Check(input)
		if err != nil {
			if d != nil {
				t.Fatal("both a decision and an error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("%T is not *Error", err)
			}
			if ce.Status == StatusOK || ce.Status == StatusPanic || ce.Message == "" || ce.raw == nil {
				t.Fatalf("bad error %+v", ce)
			}
		} else {
			if d.Allowed != (d.Decision == "ALLOW") || d.Allowed != (len(d.Violations) == 0) || !json.Valid(d.Raw) {
				t.Fatalf("inconsistent decision %s", d.Raw)
			}
			var raw map[string]any
			if err := json.Unmarshal(d.Raw, &raw); err != nil {
				t.Fatal(err)
			}
			assertTypedMatchesRaw(t, "fuzz", d, raw)
		}
		if again := outcome(engine.Check(input)); again != outcome(d, err) {
			t.Fatalf("not deterministic: %s vs %s", again, outcome(d, err))
		}
	})
}
