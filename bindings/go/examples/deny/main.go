// Command deny pre-flights three charges the engine must refuse, each
// without a usable customer token, so decision.Token is nil on every one:
// the network session token pasted into the customer-token header, a
// malformed token (no id), and a renewal sent with no token at all. It logs
// each DENY through decision.Fingerprint(), which is "" (printed as "-")
// where decision.Token.Fingerprint would panic on the nil pointer, and
// exits 0 when all three are denied.
//
//	go run ./examples/deny   # from bindings/go, after `make build`
//
// expected_output.txt holds what it prints; bindings/go/test.sh checks it.
package main

import (
	"fmt"
	"os"
	"strings"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

const stored = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

// renewal is a renewal request whose headers are given.
func renewal(id, headers string) string {
	return `{"customer_present": false, "headers": {` + headers + `},
	  "body": {"currency": "EUR",
	           "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "` + id + `"}},
	  "token_record": {"customer_token": "` + stored + `",
	                   "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
	  "decision_id": "` + id + `"}`
}

func main() {
	engine, err := ctpolicy.NewEngine(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(2)
	}
	defer engine.Close()

	requests := []string{
		renewal("session-token", `"Klarna-Customer-Token": "krn:payment:eu1:network-session-token:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "Klarna-Idempotency-Key": "k-1"`),
		renewal("malformed-token", `"Klarna-Customer-Token": "krn:customer-token:eu1:", "Klarna-Idempotency-Key": "k-2"`),
		renewal("no-token", `"Klarna-Idempotency-Key": "k-3"`),
	}
	denied := 0
	for _, request := range requests {
		decision, err := engine.Check([]byte(request))
		if err != nil {
			fmt.Fprintln(os.Stderr, "not sent, could not decide:", err)
			os.Exit(2)
		}
		fingerprint := decision.Fingerprint()
		if fingerprint == "" {
			fingerprint = "-"
		}
		codes := make([]string, 0, len(decision.Violations))
		for _, v := range decision.Violations {
			codes = append(codes, v.Code)
		}
		fmt.Printf("%s %s token=%s %s\n", decision.Decision, decision.Receipt.DecisionID, fingerprint, strings.Join(codes, ","))
		if !decision.Allowed {
			denied++
		}
	}
	if denied != len(requests) {
		os.Exit(1)
	}
}
