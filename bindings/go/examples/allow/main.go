// Command allow pre-flights a subscription renewal that is safe to send:
// a stored token with the payment:customer_not_present scope, charged while
// the customer is away. It prints the decision with the token's
// fingerprint (never the token) and exits 0 only on ALLOW.
//
//	go run ./examples/allow   # from bindings/go, after `make build`
//
// expected_output.txt holds what it prints; bindings/go/test.sh checks it.
package main

import (
	"fmt"
	"os"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

const token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

// The exact bytes of the authorizePayment call about to be sent, with the
// stored token record beside them.
const renewal = `{"customer_present": false,
  "headers": {"Klarna-Customer-Token": "` + token + `",
              "Klarna-Idempotency-Key": "renewal-sub_8842-2024-07"},
  "body": {"currency": "EUR",
           "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "sub_8842-2024-07"}},
  "token_record": {"customer_token": "` + token + `",
                   "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
  "decision_id": "renewal-sub_8842-2024-07"}`

func main() {
	engine, err := ctpolicy.NewEngine(nil) // nil: Klarna's rules only
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(2)
	}
	defer engine.Close()

	decision, err := engine.Check([]byte(renewal))
	if err != nil {
		// Could not decide: fail closed, do not send.
		fmt.Fprintln(os.Stderr, "not sent:", err)
		os.Exit(2)
	}
	fmt.Printf("%s %s token=%s\n", decision.Decision, decision.Receipt.DecisionID, decision.Fingerprint())
	if !decision.Allowed {
		for _, v := range decision.Violations {
			fmt.Printf("  %d %s at %s\n", v.ID, v.Code, v.Path)
		}
		os.Exit(1)
	}
	// ... send authorizePayment here.
}
