//go:build cgo

package ctpolicy

import "testing"

// Decision.Fingerprint is nil-safe exactly where Decision.Token is nil:
// the denials for a missing, malformed or wrong-type token.
func TestDecisionFingerprintIsNilSafe(t *testing.T) {
	var none *Decision
	if got := none.Fingerprint(); got != "" {
		t.Errorf("nil Decision: Fingerprint() = %q", got)
	}
	engine, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	const stored = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	request := func(headers string) []byte {
		return []byte(`{"customer_present": false, "headers": {` + headers + `},
		  "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1, "payment_transaction_reference": "r"}},
		  "token_record": {"customer_token": "` + stored + `", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"}}`)
	}
	cases := []struct {
		name, headers, want string
	}{
		{"session token", `"Klarna-Customer-Token": "krn:payment:eu1:network-session-token:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"`, ""},
		{"malformed token", `"Klarna-Customer-Token": "krn:customer-token:eu1:"`, ""},
		{"no token", `"Klarna-Idempotency-Key": "k"`, ""},
		{"stored token", `"Klarna-Customer-Token": "` + stored + `"`, "sha256:fbd243d6cfff6992680e9826007c1ce0dae0840836658d8a80849b2a17d9807d"},
	}
	for _, c := range cases {
		decision, err := engine.Check(request(c.headers))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (decision.Token == nil) != (c.want == "") {
			t.Errorf("%s: Token = %v, want nil exactly when no fingerprint", c.name, decision.Token)
		}
		if got := decision.Fingerprint(); got != c.want {
			t.Errorf("%s: Fingerprint() = %q, want %q", c.name, got, c.want)
		}
	}
}
