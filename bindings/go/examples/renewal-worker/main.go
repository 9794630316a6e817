// Command renewal-worker charges a subscription renewal the way a billing
// job does, with ctpolicy.Guard in its HTTP client: every authorizePayment
// call is checked before it leaves, and Klarna's answer is kept in the
// token record. A local stand-in for Klarna declines the first renewals,
// so the record counts the attempts and the policy's retry cap then holds
// the next charge back, without sending it, until a day has passed.
//
//	go run ./examples/renewal-worker   # from bindings/go, after `make build`
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

const token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

// tokenStore is the billing system's token table: records keyed by the
// token, as JSON. Any store with these two methods will do.
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

// standInKlarna answers authorizePayment from a script: DECLINED, a 503,
// DECLINED again, then APPROVED.
func standInKlarna(received *atomic.Int64) *httptest.Server {
	answers := []struct {
		status int
		body   string
	}{
		{200, `{"payment_transaction_response":{"result":"DECLINED"}}`},
		{503, `{"error_code":"TEMPORARILY_UNAVAILABLE"}`},
		{200, `{"payment_transaction_response":{"result":"DECLINED"}}`},
		{200, `{"payment_transaction_response":{"result":"APPROVED","payment_transaction":{"payment_transaction_id":"tx-1"}}}`},
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := received.Add(1)
		a := answers[min(int(n), len(answers))-1]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
}

func main() {
	var received atomic.Int64
	klarna := standInKlarna(&received)
	defer klarna.Close()

	// Card schemes cap retries: at most 3 attempts per token in 24 hours here.
	engine, err := ctpolicy.NewEngine([]byte(`{"max_attempts":{"per_24h":3,"per_30d":10}}`))
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(2)
	}
	defer engine.Close()

	store := &tokenStore{records: map[string][]byte{token: []byte(`{"customer_token":"` + token +
		`","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z"}`)}}
	// The worker's clock (a fixed start, so the output is the same on
	// every run); a real worker leaves Now unset.
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

	// The one line that matters: the guard is the client's transport.
	client := &http.Client{Transport: &ctpolicy.Guard{
		Engine:          engine,
		Records:         store,
		CustomerPresent: func(*http.Request) bool { return false }, // renewals: the customer is away
		Caller:          "billing-renewals",
		Now:             func() time.Time { return now },
		Next:            klarna.Client().Transport,
	}}

	renew := func(label string) {
		body := `{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub-42-2026-11"},` +
			`"supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub-42"}]}}`
		req, _ := http.NewRequest(http.MethodPost, klarna.URL+"/v2/accounts/acc-1/payment/authorize", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Klarna-Customer-Token", token)
		req.Header.Set("Klarna-Idempotency-Key", "renewal-sub-42-2026-11")
		resp, err := client.Do(req)
		var denied *ctpolicy.DeniedError
		switch {
		case errors.As(err, &denied):
			// Held back by the policy: nothing reached Klarna.
			fmt.Printf("%s: %v\n", label, denied)
			return
		case err != nil:
			fmt.Printf("%s: %v\n", label, err)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var record struct {
			Attempts   []string `json:"attempts"`
			LastUsedAt string   `json:"last_used_at"`
		}
		stored, _, _ := store.Get(token)
		_ = json.Unmarshal(stored, &record)
		fmt.Printf("%s: HTTP %d %s\n  record: %d attempts, last_used_at %q\n", label, resp.StatusCode, answer,
			len(record.Attempts), record.LastUsedAt)
	}

	for i := 1; i <= 4; i++ {
		renew(fmt.Sprintf("renewal %d", i))
		now = now.Add(time.Hour)
	}
	now = now.Add(24 * time.Hour)
	renew("a day later")
	fmt.Printf("Klarna received %d requests\n", received.Load())
}
