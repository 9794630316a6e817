//go:build cgo

package ctpolicy_test

import (
	"errors"
	"fmt"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

// Pre-flight a subscription renewal before sending authorizePayment: log
// the decision with the token's fingerprint (never the token), and handle a
// DENY and a request the engine could not decide.
func Example() {
	engine, err := ctpolicy.NewEngine(nil) // nil: the default policy
	if err != nil {
		panic(err)
	}
	defer engine.Close()

	const token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	renewal := `{"customer_present": false,
	  "headers": {"Klarna-Customer-Token": "` + token + `",
	              "Klarna-Idempotency-Key": "renewal-sub_8842-2024-06"},
	  "body": {"currency": "EUR",
	           "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "sub_8842-2024-06"},
	           "supplementary_purchase_data": {"subscriptions": [{"subscription_reference": "sub_8842"}]}},
	  "token_record": {"customer_token": "` + token + `",
	                   "scopes": ["payment:customer_present"], "state": "ACTIVE"},
	  "decision_id": "renewal-sub_8842-2024-06"}`

	decision, err := engine.Check([]byte(renewal))
	var cerr *ctpolicy.Error
	switch {
	case errors.As(err, &cerr):
		// Could not decide (an envelope fault): fail closed, do not send.
		fmt.Printf("not sent: %s %s at %s\n", cerr.Status, cerr.Code, cerr.Path)
	case err != nil:
		panic(err)
	case !decision.Allowed:
		// Fingerprint() is "" when the header held no well-formed token
		// (no header, a session token, a malformed one): never nil.
		fmt.Printf("DENY %s token=%s\n", decision.Receipt.DecisionID, decision.Fingerprint())
		for _, v := range decision.Violations {
			fmt.Printf("  %d %s at %s\n", v.ID, v.Code, v.Path)
		}
	default:
		fmt.Printf("ALLOW %s token=%s\n", decision.Receipt.DecisionID, decision.Fingerprint())
		// ... send authorizePayment here.
	}
	// Output:
	// DENY renewal-sub_8842-2024-06 token=sha256:fbd243d6cfff6992680e9826007c1ce0dae0840836658d8a80849b2a17d9807d
	//   301 SCOPE_MISMATCH at /token_record/scopes
}

// A token's form, region and fingerprint, without an engine.
func ExampleParseToken() {
	info, err := ctpolicy.ParseToken("krn:partner:us1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a")
	if err != nil {
		panic(err)
	}
	fmt.Println(info.Form, info.Region, info.Environment)

	_, err = ctpolicy.ParseToken("krn:payment:eu1:klarna-network-session-token:abc")
	var cerr *ctpolicy.Error
	if errors.As(err, &cerr) {
		fmt.Println(cerr.Status, cerr.Code, errors.Is(err, ctpolicy.ErrTokenWrongType))
	}
	// Output:
	// identity us1 live
	// TOKEN_INVALID TOKEN_WRONG_TYPE true
}
