//go:build cgo

package ctpolicy

import (
	"errors"
	"fmt"
	"testing"
)

// TestCheckVerdictAgreesWithCheck: on every check vector, CheckVerdict
// gives the allowed flag and rule ids of Check's decision, or Check's
// error (the same call as Python's check_verdict and Java's checkVerdict).
func TestCheckVerdictAgreesWithCheck(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)
	for _, c := range file.Cases {
		engine := engs[c.policyName()]
		input, err := c.input()
		if err != nil {
			t.Fatal(err)
		}
		var viaCheck, viaVerdict string
		if d, err := engine.Check(input); err != nil {
			viaCheck = "error " + err.Error()
		} else {
			var violations, warnings []uint16
			for _, v := range d.Violations {
				violations = append(violations, uint16(v.ID))
			}
			for _, w := range d.Warnings {
				warnings = append(warnings, uint16(w.ID))
			}
			viaCheck = fmt.Sprint(d.Allowed, violations, warnings)
		}
		if v, err := engine.CheckVerdict(input); err != nil {
			viaVerdict = "error " + err.Error()
		} else {
			if v.HasFingerprint {
				t.Errorf("%s: a fingerprint on the JSON verdict", c.Name)
			}
			viaVerdict = fmt.Sprint(v.Allowed, v.Violations(), v.Warnings())
		}
		if viaCheck != viaVerdict {
			t.Errorf("%s: Check %s, CheckVerdict %s", c.Name, viaCheck, viaVerdict)
		}
	}
	if len(file.Cases) < 100 {
		t.Fatalf("only %d check vectors", len(file.Cases))
	}
}

func TestCheckVerdictErrors(t *testing.T) {
	engine, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	var e *Error
	if _, err := engine.CheckVerdict(nil); !errors.As(err, &e) || e.Status != StatusInvalidRequest {
		t.Fatalf("empty request: %v", err)
	}
	v, err := engine.CheckVerdict([]byte(`{"customer_present":true,"body":{}}`))
	if err != nil || v.Allowed != (len(v.Violations()) == 0) {
		t.Fatalf("verdict %v, %v", v, err)
	}
	_ = engine.Close()
	if _, err := engine.CheckVerdict([]byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed engine: %v", err)
	}
}
