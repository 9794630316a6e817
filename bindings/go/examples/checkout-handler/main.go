// Command checkout-handler is a shop's checkout endpoint that calls
// Klarna's authorizePayment through an http.Client guarded by
// ctpolicy.Guard. The first checkout signs a customer up for a
// subscription (a tokenization with the first payment): the guard stores
// the new token's record from Klarna's answer. The next two are bugs the
// guard stops before anything is sent: an on-session charge with the
// subscription's token (the wrong scope), and a body that names the
// currency twice. A local stand-in for Klarna answers.
//
//	go run ./examples/checkout-handler   # from bindings/go, after `make build`
//
// expected_output.txt holds what it prints; bindings/go/test.sh checks it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

// The token the stand-in for Klarna creates.
const newToken = "krn:customer-token:eu1:0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011"

type tokenStore struct {
	mu      sync.Mutex
	records map[string][]byte
}

func (s *tokenStore) Get(token string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[token]
	return bytes.Clone(r), ok, nil
}

func (s *tokenStore) Put(token string, record []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[token] = bytes.Clone(record)
	return nil
}

// standInKlarna approves every authorizePayment and grants the token a
// request_customer_token asks for.
func standInKlarna(received *atomic.Int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		var body struct {
			RequestCustomerToken *struct {
				Scopes    []string `json:"scopes"`
				Reference string   `json:"customer_token_reference"`
			} `json:"request_customer_token"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		answer := map[string]any{"payment_transaction_response": map[string]any{"result": "APPROVED"}}
		if t := body.RequestCustomerToken; t != nil {
			answer["customer_token_response"] = map[string]any{"result": "APPROVED", "customer_token": map[string]any{
				"customer_token": newToken, "scopes": t.Scopes, "customer_token_reference": t.Reference}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
}

// checkout is the shop's handler: it forwards the shopper's order to
// Klarna through the guarded client and tells the shopper what happened.
func checkout(klarna *http.Client, klarnaURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		order, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, klarnaURL+"/v2/payment/authorize", bytes.NewReader(order))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Klarna-Idempotency-Key", r.Header.Get("X-Order-Id"))
		if token := r.Header.Get("X-Saved-Token"); token != "" {
			req.Header.Set("Klarna-Customer-Token", token)
		}
		resp, err := klarna.Do(req)
		var denied *ctpolicy.DeniedError
		var cerr *ctpolicy.Error
		switch {
		case errors.As(err, &denied):
			// The policy held the charge back; nothing reached Klarna.
			http.Error(w, "not sent: "+strings.Join(codes(denied.Decision), ","), http.StatusConflict)
			return
		case errors.As(err, &cerr):
			// The request could not be checked (here: a bug in the body).
			http.Error(w, "not sent: "+cerr.Status.String()+" "+cerr.Code+" at "+cerr.Path, http.StatusInternalServerError)
			return
		case err != nil:
			http.Error(w, "Klarna unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		// Klarna's answer, readable as if no guard were there. The shopper
		// gets the payment's result (never the token inside the answer).
		var answer struct {
			Payment struct {
				Result string `json:"result"`
			} `json:"payment_transaction_response"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode/100 != 2 {
			http.Error(w, "payment failed", http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, answer.Payment.Result)
	}
}

func codes(d *ctpolicy.Decision) []string {
	var out []string
	for _, v := range d.Violations {
		out = append(out, v.Code)
	}
	return out
}

func main() {
	var received atomic.Int64
	klarna := standInKlarna(&received)
	defer klarna.Close()

	engine, err := ctpolicy.NewEngine(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(2)
	}
	defer engine.Close()
	store := &tokenStore{records: map[string][]byte{}}

	client := &http.Client{Transport: &ctpolicy.Guard{
		Engine:          engine,
		Records:         store,
		CustomerPresent: func(*http.Request) bool { return true }, // checkout: the shopper is here
		Caller:          "checkout-web",
		Now:             func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }, // for a stable output
		Next:            klarna.Client().Transport,
	}}
	shop := checkout(client, klarna.URL)

	order := func(label, token, body string) {
		r := httptest.NewRequest(http.MethodPost, "/checkout", strings.NewReader(body))
		r.Header.Set("X-Order-Id", "order-"+strings.ReplaceAll(label, " ", "-"))
		if token != "" {
			r.Header.Set("X-Saved-Token", token)
		}
		w := httptest.NewRecorder()
		shop(w, r)
		fmt.Printf("%s: %d %s\n", label, w.Code, strings.TrimSpace(w.Body.String()))
	}

	stepUp := `"step_up_config":{"payment_request_reference":"pr-42","customer_interaction_config":{"method":"HANDOVER","return_url":"https://shop.example/back"}}`
	order("subscribe", "", `{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"order-1"},`+stepUp+
		`,"request_customer_token":{"scopes":["payment:customer_not_present"],"customer_token_reference":"sub-42"},`+
		`"supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub-42"}]}}`)

	// The guard stored the new token's record, keyed by the token.
	tokens := make([]string, 0, len(store.records))
	for t := range store.records {
		tokens = append(tokens, t)
	}
	sort.Strings(tokens)
	for _, t := range tokens {
		info, _ := ctpolicy.ParseToken(t)
		var record struct {
			State    string   `json:"state"`
			Scopes   []string `json:"scopes"`
			Attempts []string `json:"attempts"`
		}
		_ = json.Unmarshal(store.records[t], &record)
		fmt.Printf("  stored: token %s, %s %v, %d attempt\n", info.Fingerprint, record.State, record.Scopes, len(record.Attempts))
	}

	order("one-click buy", newToken, `{"currency":"EUR","request_payment_transaction":{"amount":4999,"payment_transaction_reference":"order-2"},`+stepUp+`}`)
	order("currency twice", "", `{"currency":"EUR","currency":"SEK","request_payment_transaction":{"amount":4999}}`)
	fmt.Printf("Klarna received %d request\n", received.Load())
}
