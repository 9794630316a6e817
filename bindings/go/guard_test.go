package ctpolicy

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The charge guard against a stand-in for Klarna: an httptest server on
// the loopback interface that answers from a script and counts what it
// receives.

// memRecords is a token store in memory, with faults on demand.
type memRecords struct {
	mu      sync.Mutex
	records map[string][]byte
	gets    int
	puts    []string // the keys of every Put, in order
	getErr  func(token string) error
	putErr  func(token string) error
	// afterGet, when set, replaces what Get returns from its second call
	// on (the re-read after the answer).
	afterGet []byte
}

func newRecords() *memRecords { return &memRecords{records: map[string][]byte{}} }

func (m *memRecords) Get(token string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.getErr != nil {
		if err := m.getErr(token); err != nil {
			return nil, false, err
		}
	}
	if m.afterGet != nil && m.gets > 1 {
		return m.afterGet, true, nil
	}
	r, ok := m.records[token]
	return bytes.Clone(r), ok, nil
}

func (m *memRecords) Put(token string, record []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.putErr != nil {
		if err := m.putErr(token); err != nil {
			return err
		}
	}
	m.puts = append(m.puts, token)
	m.records[token] = bytes.Clone(record)
	return nil
}

// stored decodes the record of a token.
func (m *memRecords) stored(t *testing.T, token string) storedRecord {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var r storedRecord
	raw, ok := m.records[token]
	if !ok {
		t.Fatalf("no record stored for the token")
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("stored record: %v", err)
	}
	return r
}

type storedRecord struct {
	CustomerToken string   `json:"customer_token"`
	State         string   `json:"state"`
	Scopes        []string `json:"scopes"`
	LastUsedAt    string   `json:"last_used_at"`
	Attempts      []string `json:"attempts"`
	Reference     string   `json:"customer_token_reference"`
}

// klarna is the stand-in server. answer scripts the reply to each request;
// it may hijack the connection.
type klarna struct {
	*httptest.Server
	mu       sync.Mutex
	count    atomic.Int64
	bodies   [][]byte
	headers  []http.Header
	answer   func(w http.ResponseWriter, r *http.Request)
	onArrive func(r *http.Request)
}

func newKlarna(t *testing.T) *klarna {
	k := &klarna{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		k.count.Add(1)
		k.mu.Lock()
		k.bodies = append(k.bodies, body)
		k.headers = append(k.headers, r.Header.Clone())
		answer, onArrive := k.answer, k.onArrive
		k.mu.Unlock()
		if onArrive != nil {
			onArrive(r)
		}
		if answer == nil {
			answer = jsonAnswer(200, `{"payment_transaction_response":{"result":"APPROVED"}}`)
		}
		answer(w, r)
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *klarna) script(answer func(w http.ResponseWriter, r *http.Request)) {
	k.mu.Lock()
	k.answer = answer
	k.mu.Unlock()
}

func (k *klarna) lastBody() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bodies[len(k.bodies)-1]
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Klarna-Correlation-Id", "corr-1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// dropConnection reads the request, then closes the connection without an
// answer.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// clock is a test clock; each reading advances it by step, so that
// attempts made in a row are distinct instants.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

const renewalToken = testToken

var guardStart = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func activeRecord(token, scope string) []byte {
	return []byte(`{"customer_token":"` + token + `","scopes":["` + scope + `"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z"}`)
}

// renewalBody is a subscription renewal as the client builds it.
const renewalBody = `{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub-42-2026-11"},` +
	`"supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub-42"}]}}`

// testGuard is a guard over a fresh store, clock and stand-in server.
type testGuard struct {
	guard   *Guard
	records *memRecords
	clock   *clock
	server  *klarna
	client  *http.Client
	faults  chan *GuardError
}

func newTestGuard(t *testing.T, policy string, present bool) *testGuard {
	t.Helper()
	tg := &testGuard{
		records: newRecords(),
		clock:   &clock{now: guardStart, step: time.Millisecond},
		server:  newKlarna(t),
		faults:  make(chan *GuardError, 64),
	}
	tg.guard = &Guard{
		Engine:          newTestEngine(t, policy),
		Records:         tg.records,
		CustomerPresent: func(*http.Request) bool { return present },
		Now:             tg.clock.Now,
		OnError: func(err error) {
			var ge *GuardError
			if !errors.As(err, &ge) {
				t.Errorf("OnError got %T, want *GuardError", err)
				return
			}
			tg.faults <- ge
		},
		Next: tg.server.Client().Transport,
	}
	tg.client = &http.Client{Transport: tg.guard}
	return tg
}

// renewal is a renewal request for token to the stand-in server.
func (tg *testGuard) renewal(t *testing.T, token, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tg.server.URL+"/v2/accounts/acc-1/payment/authorize", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic c2VjcmV0")
	if token != "" {
		req.Header.Set("Klarna-Customer-Token", token)
	}
	req.Header.Set("Klarna-Idempotency-Key", "renewal-sub-42-2026-11")
	return req
}

// do sends req through the guarded client and reads the whole answer.
func (tg *testGuard) do(t *testing.T, req *http.Request) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := tg.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(resp.Body)
	if rerr != nil {
		t.Fatalf("reading the answer: %v", rerr)
	}
	return resp, body, nil
}

func (tg *testGuard) noFaults(t *testing.T) {
	t.Helper()
	select {
	case f := <-tg.faults:
		t.Errorf("unexpected fault after sending: %v", f)
	default:
	}
}

func TestGuardApprovedRenewal(t *testing.T) {
	tg := newTestGuard(t, `{"max_attempts":{"per_24h":10}}`, false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	answer := `{"payment_transaction_response":{"result":"APPROVED","payment_transaction":{"payment_transaction_id":"krn:payment:eu1:transaction:1"}}}`
	tg.server.script(jsonAnswer(200, answer))

	req := tg.renewal(t, renewalToken, renewalBody)
	before := req.Header.Clone()
	resp, body, err := tg.do(t, req)
	if err != nil {
		t.Fatal(err)
	}
	// The caller reads Klarna's answer unchanged.
	if resp.StatusCode != 200 || string(body) != answer || resp.Header.Get("Klarna-Correlation-Id") != "corr-1" {
		t.Errorf("answer %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// The request arrived byte for byte, headers included.
	if got := tg.server.lastBody(); string(got) != renewalBody {
		t.Errorf("body arrived as %q", got)
	}
	h := tg.server.headers[0]
	if h.Get("Klarna-Customer-Token") != renewalToken || h.Get("Authorization") != "Basic c2VjcmV0" || h.Get("Klarna-Idempotency-Key") == "" {
		t.Errorf("headers arrived as %v", h)
	}
	// The caller's request is as it was.
	if !equalHeaders(before, req.Header) {
		t.Errorf("the caller's headers changed: %v", req.Header)
	}
	// The record kept the charge: last_used_at and the attempt.
	r := tg.records.stored(t, renewalToken)
	if r.LastUsedAt == "" || len(r.Attempts) != 1 || r.Attempts[0] != r.LastUsedAt || r.State != "ACTIVE" {
		t.Errorf("record after APPROVED: %+v", r)
	}
	if !slices.Equal(tg.records.puts, []string{renewalToken}) {
		t.Errorf("puts %d", len(tg.records.puts))
	}
	tg.noFaults(t)
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestGuardOutcomes: each scripted answer and what it does to the record.
func TestGuardOutcomes(t *testing.T) {
	cases := []struct {
		name      string
		answer    func(http.ResponseWriter, *http.Request)
		wantErr   bool // the transport's own error reaches the caller
		attempts  int
		lastUsed  bool
		wantBody  string
		wantState int
	}{
		{"declined", jsonAnswer(200, `{"payment_transaction_response":{"result":"DECLINED"}}`), false, 1, false,
			`{"payment_transaction_response":{"result":"DECLINED"}}`, 200},
		{"500", jsonAnswer(500, `{"error_code":"INTERNAL_ERROR"}`), false, 1, false, `{"error_code":"INTERNAL_ERROR"}`, 500},
		{"400", jsonAnswer(400, `{"error_code":"BAD_VALUE"}`), false, 1, false, `{"error_code":"BAD_VALUE"}`, 400},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "upstream says hello") },
			false, 1, false, "upstream says hello", 200},
		{"a JSON array", jsonAnswer(200, `[1,2]`), false, 1, false, `[1,2]`, 200},
		{"duplicate key in the answer", jsonAnswer(200, `{"payment_transaction_response":{"result":"APPROVED","result":"APPROVED"}}`),
			false, 1, false, `{"payment_transaction_response":{"result":"APPROVED","result":"APPROVED"}}`, 200},
		{"dropped connection", dropConnection, true, 1, false, "", 0},
		{"approved", jsonAnswer(201, `{"payment_transaction_response":{"result":"APPROVED"}}`), false, 1, true,
			`{"payment_transaction_response":{"result":"APPROVED"}}`, 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTestGuard(t, "", false)
			tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
			tg.server.script(tc.answer)
			resp, body, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody))
			if tc.wantErr {
				var ge *GuardError
				var de *DeniedError
				if err == nil || errors.As(err, &ge) || errors.As(err, &de) {
					t.Fatalf("got %v, want the transport's error", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.wantState || string(body) != tc.wantBody {
					t.Errorf("caller read %d %q", resp.StatusCode, body)
				}
			}
			if n := tg.server.count.Load(); n != 1 {
				t.Errorf("server got %d requests", n)
			}
			r := tg.records.stored(t, renewalToken)
			if len(r.Attempts) != tc.attempts || (r.LastUsedAt != "") != tc.lastUsed {
				t.Errorf("record %+v: want %d attempts, last_used_at %v", r, tc.attempts, tc.lastUsed)
			}
			tg.noFaults(t)
		})
	}
}

func TestGuardStepUpRequired(t *testing.T) {
	tg := newTestGuard(t, "", true)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_present")
	answer := `{"payment_transaction_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"payment_request_id":"pr-1"}}`
	tg.server.script(jsonAnswer(200, answer))
	body := `{"currency":"EUR","request_payment_transaction":{"amount":1299},` +
		`"step_up_config":{"payment_request_reference":"pr-ref","customer_interaction_config":{"method":"HANDOVER","return_url":"https://shop.example/back"}}}`
	before := bytes.Clone(tg.records.records[renewalToken])
	_, got, err := tg.do(t, tg.renewal(t, renewalToken, body))
	if err != nil || string(got) != answer {
		t.Fatalf("%v %q", err, got)
	}
	if len(tg.records.puts) != 0 || !bytes.Equal(tg.records.records[renewalToken], before) {
		t.Errorf("STEP_UP_REQUIRED changed the record: %s", tg.records.records[renewalToken])
	}
	tg.noFaults(t)
}

const newToken = "krn:customer-token:eu1:0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011"

const tokenizeBody = `{"currency":"EUR","request_payment_transaction":{"amount":0},` +
	`"step_up_config":{"payment_request_reference":"pr-ref","customer_interaction_config":{"method":"HANDOVER","return_url":"https://shop.example/back"}},` +
	`"request_customer_token":{"scopes":["payment:customer_not_present"],"customer_token_reference":"sub-42"},` +
	`"supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub-42"}]}}`

func tokenizedAnswer(withPayment bool) string {
	s := `{"customer_token_response":{"result":"APPROVED","customer_token":{"customer_token":"` + newToken +
		`","scopes":["payment:customer_not_present"],"customer_token_reference":"sub-42"}}`
	if withPayment {
		s += `,"payment_transaction_response":{"result":"APPROVED"}`
	}
	return s + "}"
}

func TestGuardTokenization(t *testing.T) {
	for _, withPayment := range []bool{false, true} {
		t.Run(fmt.Sprint("first payment ", withPayment), func(t *testing.T) {
			tg := newTestGuard(t, "", true)
			body := strings.Replace(tokenizeBody, `"amount":0`, `"amount":1299`, 1)
			if !withPayment {
				body = strings.Replace(tokenizeBody, `"request_payment_transaction":{"amount":0},`, "", 1)
			}
			tg.server.script(jsonAnswer(200, tokenizedAnswer(withPayment)))
			_, got, err := tg.do(t, tg.renewal(t, "", body))
			if err != nil || string(got) != tokenizedAnswer(withPayment) {
				t.Fatalf("%v %q", err, got)
			}
			if !slices.Equal(tg.records.puts, []string{newToken}) {
				t.Fatalf("puts: %d, want the new token's record", len(tg.records.puts))
			}
			r := tg.records.stored(t, newToken)
			if r.State != "ACTIVE" || r.CustomerToken != newToken || r.Reference != "sub-42" {
				t.Errorf("new record %+v", r)
			}
			if withPayment != (len(r.Attempts) == 1 && r.LastUsedAt != "") {
				t.Errorf("first payment %v: record %+v", withPayment, r)
			}
			if tg.records.gets != 0 {
				t.Errorf("a tokenization looked up %d records", tg.records.gets)
			}
			tg.noFaults(t)
		})
	}
}

// TestGuardGzipAnswer: the caller gets the bytes as received (its own
// Accept-Encoding, so net/http leaves them encoded), the guard reads the
// decoded JSON; and with net/http's own decoding, the caller gets what
// net/http gives.
func TestGuardGzipAnswer(t *testing.T) {
	answer := `{"payment_transaction_response":{"result":"APPROVED"}}`
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = io.WriteString(zw, answer)
	_ = zw.Close()
	for _, callerAsks := range []bool{true, false} {
		t.Run(fmt.Sprint("caller sets Accept-Encoding ", callerAsks), func(t *testing.T) {
			tg := newTestGuard(t, "", false)
			tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
			tg.server.script(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(zipped.Bytes())
			})
			req := tg.renewal(t, renewalToken, renewalBody)
			if callerAsks {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, body, err := tg.do(t, req)
			if err != nil {
				t.Fatal(err)
			}
			if callerAsks {
				if !bytes.Equal(body, zipped.Bytes()) || resp.Header.Get("Content-Encoding") != "gzip" || resp.Uncompressed {
					t.Errorf("caller got %q (Content-Encoding %q), want the gzip bytes", body, resp.Header.Get("Content-Encoding"))
				}
			} else if string(body) != answer || !resp.Uncompressed {
				t.Errorf("caller got %q, want net/http's decoded body", body)
			}
			r := tg.records.stored(t, renewalToken)
			if r.LastUsedAt == "" || len(r.Attempts) != 1 {
				t.Errorf("record after a gzip APPROVED: %+v", r)
			}
			tg.noFaults(t)
		})
	}
}

// bodyWatch is a request body that says whether it was closed.
type bodyWatch struct {
	io.Reader
	closed atomic.Bool
}

func (b *bodyWatch) Close() error { b.closed.Store(true); return nil }

func TestGuardDenyIsNotSent(t *testing.T) {
	tg := newTestGuard(t, "", false)
	// A record for on-session charges used for a renewal: SCOPE_MISMATCH.
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_present")
	req := tg.renewal(t, renewalToken, renewalBody)
	watch := &bodyWatch{Reader: strings.NewReader(renewalBody)}
	req.Body = watch
	_, err := tg.client.Do(req)
	var denied *DeniedError
	if !errors.As(err, &denied) {
		t.Fatalf("got %v, want a *DeniedError through *url.Error", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("http.Client did not wrap the error: %T", err)
	}
	if denied.Decision == nil || denied.Decision.Allowed || denied.Decision.Violations[0].Code != CodeScopeMismatch {
		t.Errorf("decision %+v", denied.Decision)
	}
	if n := tg.server.count.Load(); n != 0 {
		t.Errorf("a denied request reached the server (%d)", n)
	}
	if !watch.closed.Load() {
		t.Error("the caller's body was not closed on DENY")
	}
	if len(tg.records.puts) != 0 {
		t.Error("a denied request changed the record")
	}
	text := err.Error() + fmt.Sprintf("%v %+v %#v %s %q %x", denied, denied, denied, denied, denied, denied)
	if strings.Contains(text, "a1b2c3d4") {
		t.Errorf("the error holds the token: %s", text)
	}
	if !strings.Contains(err.Error(), "SCOPE_MISMATCH") {
		t.Errorf("the error does not name the rule: %s", err)
	}
	for form, text := range printedForms(denied, true) {
		if strings.Contains(text, "a1b2c3d4") {
			t.Errorf("%s holds the token: %s", form, text)
		}
	}
}

// TestGuardPrintsNoToken: a guard printed while a charge holds its
// token's lock shows neither that token nor the store, and its caller
// goes through the redaction.
func TestGuardPrintsNoToken(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.guard.Caller = leakToken // a caller name like any other, without policy access
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	// The token being charged, in every form, nested in an unexported
	// field included (the lock table is behind a pointer); the caller,
	// a field the host set, in every form but that one, where fmt prints
	// a struct's fields by reflection (as for Charge).
	var all, methods map[string]string
	tg.server.onArrive = func(*http.Request) {
		all, methods = printedForms(tg.guard, true), printedForms(tg.guard, false)
	}
	if _, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("nothing printed")
	}
	for form, text := range all {
		if strings.Contains(text, "a1b2c3d4") {
			t.Errorf("%s holds the token being charged: %s", form, text)
		}
	}
	for form, text := range methods {
		if strings.Contains(text, leakID) {
			t.Errorf("%s holds the token given as the caller: %s", form, text)
		}
	}
}

func TestGuardCheckFailuresAreNotSent(t *testing.T) {
	cases := []struct {
		name  string
		setup func(tg *testGuard, req *http.Request)
		body  string
		check func(t *testing.T, err error)
	}{
		{"duplicate key in the body", nil,
			`{"currency":"EUR","currency":"SEK","request_payment_transaction":{"amount":1299}}`,
			func(t *testing.T, err error) {
				var ce *Error
				if !errors.As(err, &ce) || ce.Code != CodeDuplicateKey || ce.Path != "/body/currency" {
					t.Errorf("got %v, want DUPLICATE_KEY at /body/currency", err)
				}
			}},
		{"body not JSON", nil, `currency=EUR&amount=1299`, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %v, want INVALID_REQUEST", err)
			}
		}},
		{"body that is two values", nil, renewalBody + `,"counters":{"attempts_24h":0}`, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %v, want INVALID_REQUEST", err)
			}
		}},
		{"empty body", nil, ``, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %v, want INVALID_REQUEST", err)
			}
		}},
		{"header with two values", func(_ *testGuard, req *http.Request) {
			req.Header.Add("Klarna-Idempotency-Key", "second")
		}, renewalBody, func(t *testing.T, err error) {
			var ce *Error
			if !errors.As(err, &ce) || ce.Code != CodeDuplicateKey {
				t.Errorf("got %v, want DUPLICATE_KEY", err)
			}
		}},
		{"two header names equal but for case", func(_ *testGuard, req *http.Request) {
			req.Header["klarna-idempotency-key"] = []string{"other"}
		}, renewalBody, func(t *testing.T, err error) {
			var de *DeniedError
			if !errors.As(err, &de) || de.Decision.Violations[0].Code != CodeHeaderDuplicate {
				t.Errorf("got %v, want a DENY with HEADER_DUPLICATE", err)
			}
		}},
		{"Records.Get fails", func(tg *testGuard, _ *http.Request) {
			tg.records.getErr = func(token string) error { return fmt.Errorf("no row for %s", token) }
		}, renewalBody, func(t *testing.T, err error) {
			var ge *GuardError
			if !errors.As(err, &ge) || ge.Op != "Records.Get" {
				t.Errorf("got %v, want a *GuardError from Records.Get", err)
			}
		}},
		{"no record", func(tg *testGuard, _ *http.Request) { delete(tg.records.records, renewalToken) }, renewalBody,
			func(t *testing.T, err error) {
				var de *DeniedError
				if !errors.As(err, &de) || de.Decision.Violations[0].Code != CodeRecordMissing {
					t.Errorf("got %v, want RECORD_MISSING", err)
				}
			}},
		{"stored record not JSON", func(tg *testGuard, _ *http.Request) { tg.records.records[renewalToken] = []byte(`{"state":`) },
			renewalBody, func(t *testing.T, err error) {
				if !errors.Is(err, ErrInvalidRequest) {
					t.Errorf("got %v, want INVALID_REQUEST", err)
				}
			}},
		{"closed engine", func(tg *testGuard, _ *http.Request) { _ = tg.guard.Engine.Close() }, renewalBody,
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrClosed) {
					t.Errorf("got %v, want ErrClosed", err)
				}
			}},
		{"no CustomerPresent", func(tg *testGuard, _ *http.Request) { tg.guard.CustomerPresent = nil }, renewalBody,
			func(t *testing.T, err error) {
				var ge *GuardError
				if !errors.As(err, &ge) || ge.Op != "configuration" {
					t.Errorf("got %v, want a configuration error", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTestGuard(t, "", false)
			tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
			req := tg.renewal(t, renewalToken, tc.body)
			watch := &bodyWatch{Reader: strings.NewReader(tc.body)}
			req.Body = watch
			if tc.setup != nil {
				tc.setup(tg, req)
			}
			_, err := tg.client.Do(req)
			if err == nil {
				t.Fatal("sent")
			}
			tc.check(t, err)
			if n := tg.server.count.Load(); n != 0 {
				t.Errorf("the request reached the server (%d)", n)
			}
			if !watch.closed.Load() {
				t.Error("the caller's body was not closed")
			}
			text := err.Error() + fmt.Sprintf("%v %+v %#v %q", err, err, err, err)
			if strings.Contains(text, "a1b2c3d4") {
				t.Errorf("the error holds the token: %s", text)
			}
		})
	}
}

// TestGuardRetryCap: declines, a 5xx and a lost connection are counted in
// the record; the cap then holds the next attempt back before it is sent,
// and lets it go a day later.
func TestGuardRetryCap(t *testing.T) {
	tg := newTestGuard(t, `{"max_attempts":{"per_24h":3,"per_30d":35}}`, false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	answers := []func(http.ResponseWriter, *http.Request){
		jsonAnswer(200, `{"payment_transaction_response":{"result":"DECLINED"}}`),
		jsonAnswer(503, `{"error_code":"TEMPORARILY_UNAVAILABLE"}`),
		dropConnection,
	}
	for i, answer := range answers {
		tg.server.script(answer)
		_, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody))
		if (err != nil) != (i == 2) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		tg.clock.advance(time.Hour)
	}
	if r := tg.records.stored(t, renewalToken); len(r.Attempts) != 3 {
		t.Fatalf("attempts kept: %v", r.Attempts)
	}
	_, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody))
	var denied *DeniedError
	if !errors.As(err, &denied) || !slices.Contains(codesOfDecision(denied.Decision), CodeAttemptLimitExceeded) {
		t.Fatalf("fourth attempt: %v, want ATTEMPT_LIMIT_EXCEEDED", err)
	}
	if n := tg.server.count.Load(); n != 3 {
		t.Fatalf("server got %d requests, want 3", n)
	}
	tg.clock.advance(24 * time.Hour)
	tg.server.script(jsonAnswer(200, `{"payment_transaction_response":{"result":"APPROVED"}}`))
	if _, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err != nil {
		t.Fatalf("a day later: %v", err)
	}
	if n := tg.server.count.Load(); n != 4 {
		t.Errorf("server got %d requests, want 4", n)
	}
	if r := tg.records.stored(t, renewalToken); len(r.Attempts) != 4 || r.LastUsedAt == "" {
		t.Errorf("record %+v", r)
	}
	tg.noFaults(t)
}

func codesOfDecision(d *Decision) []string {
	var out []string
	for _, v := range d.Violations {
		out = append(out, v.Code)
	}
	return out
}

// TestGuardAuditBeforeSending: the audit entry is in the log when the
// request reaches the server.
func TestGuardAuditBeforeSending(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	tg.guard.Audit = log
	tg.guard.Caller = "billing-renewals"
	var linesOnArrival []int
	tg.server.onArrive = func(*http.Request) {
		data, _ := os.ReadFile(path)
		linesOnArrival = append(linesOnArrival, bytes.Count(data, []byte("\n")))
	}
	for i := 0; i < 2; i++ {
		if _, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(linesOnArrival, []int{1, 2}) {
		t.Errorf("entries in the log when each request arrived: %v, want [1 2]", linesOnArrival)
	}
	// A denied request is audited too, and not sent.
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_present")
	if _, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err == nil {
		t.Fatal("sent")
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], `"DENY"`) || !strings.Contains(lines[0], `"caller":"billing-renewals"`) {
		t.Errorf("log:\n%s", data)
	}
	if strings.Contains(string(data), "a1b2c3d4") {
		t.Error("the audit log holds the token")
	}
	if tg.server.count.Load() != 2 {
		t.Errorf("server got %d", tg.server.count.Load())
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := VerifyAuditLog(path, ""); err != nil || s.Entries != 3 {
		t.Errorf("verify: %+v %v", s, err)
	}
}

// TestGuardFaultsAfterSending: a Put that fails, an answer that cannot be
// applied and a panicking store never reach the caller, who reads the
// answer; OnError gets a *GuardError carrying the record that was not
// stored, and no printed form of it holds the token.
func TestGuardFaultsAfterSending(t *testing.T) {
	answer := `{"payment_transaction_response":{"result":"APPROVED"}}`
	t.Run("Put fails", func(t *testing.T) {
		tg := newTestGuard(t, "", false)
		tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
		tg.records.putErr = func(token string) error { return errors.New("disk full while writing " + token) }
		tg.server.script(jsonAnswer(200, answer))
		resp, body, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody))
		if err != nil || resp.StatusCode != 200 || string(body) != answer {
			t.Fatalf("caller got %v %q", err, body)
		}
		f := <-tg.faults
		if f.Op != "Records.Put" || f.Record.Len() == 0 {
			t.Fatalf("fault %v", f)
		}
		var r storedRecord
		if err := json.Unmarshal(f.Record.Bytes(), &r); err != nil || r.CustomerToken != renewalToken || r.LastUsedAt == "" {
			t.Errorf("carried record %+v %v", r, err)
		}
		assertGuardErrorRedacted(t, f)
	})
	t.Run("the answer cannot be applied", func(t *testing.T) {
		tg := newTestGuard(t, "", false)
		tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
		// Revoked between the check and the answer.
		tg.records.afterGet = []byte(`{"customer_token":"` + renewalToken + `","scopes":["payment:customer_not_present"],"state":"REVOKED"}`)
		tg.server.script(jsonAnswer(200, answer))
		if _, body, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err != nil || string(body) != answer {
			t.Fatalf("caller got %v %q", err, body)
		}
		f := <-tg.faults
		var ce *Error
		if f.Op != "ApplyResponse" || !errors.As(f, &ce) || ce.Code != CodeTokenRevoked || f.Record.Len() != 0 {
			t.Errorf("fault %v", f)
		}
		assertGuardErrorRedacted(t, f)
	})
	t.Run("tokenization Put fails", func(t *testing.T) {
		tg := newTestGuard(t, "", true)
		tg.records.putErr = func(string) error { return errors.New("read-only store") }
		tg.server.script(jsonAnswer(200, tokenizedAnswer(false)))
		body := strings.Replace(tokenizeBody, `"request_payment_transaction":{"amount":0},`, "", 1)
		if _, got, err := tg.do(t, tg.renewal(t, "", body)); err != nil || string(got) != tokenizedAnswer(false) {
			t.Fatalf("caller got %v %q", err, got)
		}
		f := <-tg.faults
		if f.Op != "Records.Put" || !bytes.Contains(f.Record.Bytes(), []byte(newToken)) {
			t.Errorf("the new token's record was not carried: %v", f)
		}
		assertGuardErrorRedacted(t, f)
	})
	t.Run("panicking store", func(t *testing.T) {
		tg := newTestGuard(t, "", false)
		tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
		tg.records.putErr = func(token string) error { panic("store exploded on " + token) }
		if _, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err != nil {
			t.Fatalf("caller got %v", err)
		}
		f := <-tg.faults
		if f.Op != "after sending" {
			t.Errorf("fault %v", f)
		}
		assertGuardErrorRedacted(t, f)
	})
	t.Run("default OnError logs one redacted error record", func(t *testing.T) {
		tg := newTestGuard(t, "", false)
		tg.guard.OnError = nil
		tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
		tg.records.putErr = func(token string) error { return errors.New("disk full while writing " + token) }
		var buf bytes.Buffer
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
		defer slog.SetDefault(old)
		if _, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody)); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], `"level":"ERROR"`) || !strings.Contains(lines[0], "Records.Put") {
			t.Errorf("log: %s", buf.String())
		}
		if strings.Contains(buf.String(), "a1b2c3d4") || !strings.Contains(buf.String(), "[customer-token sha256:") {
			t.Errorf("the log line is not redacted: %s", buf.String())
		}
	})
}

// assertGuardErrorRedacted: no printed form of the fault holds a token,
// the carried record's included.
func assertGuardErrorRedacted(t *testing.T, f *GuardError) {
	t.Helper()
	for form, text := range printedForms(f, true) {
		for _, secret := range []string{"a1b2c3d4", "0f1e2d3c"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a token: %s", form, text)
			}
		}
	}
	b, _ := json.Marshal(f)
	if bytes.Contains(b, []byte("a1b2c3d4")) || bytes.Contains(b, []byte("0f1e2d3c")) {
		t.Errorf("JSON holds a token: %s", b)
	}
}

func TestGuardPassesOtherRequestsUntouched(t *testing.T) {
	tg := newTestGuard(t, "", false)
	bad := `{"not":"checked","not":"at all"}`
	cases := []struct{ method, path string }{
		{http.MethodGet, "/v2/accounts/acc-1/payment/authorize"},
		{http.MethodPost, "/v2/accounts/acc-1/payment/presentation"},
		{http.MethodPost, "/v1/identity/sdk-tokens"},
		{http.MethodPost, "/v2/accounts//payment/authorize"},
		{http.MethodPost, "/v2/accounts/a/b/payment/authorize"},
		{http.MethodPost, "/v2/payment/authorize/x"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, tg.server.URL+c.path, strings.NewReader(bad))
		req.Header.Set("Klarna-Customer-Token", renewalToken)
		if _, _, err := tg.do(t, req); err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
		}
	}
	if n := tg.server.count.Load(); n != int64(len(cases)) || tg.records.gets != 0 {
		t.Errorf("server got %d, store read %d times", n, tg.records.gets)
	}
	for i, b := range tg.server.bodies {
		if cases[i].method == http.MethodPost && string(b) != bad {
			t.Errorf("%s: body arrived as %q", cases[i].path, b)
		}
	}
}

func TestIsAuthorizePayment(t *testing.T) {
	yes := []string{
		"/v2/payment/authorize", "/v2/payment/authorize/", "/v2/accounts/krn:partner:account:1/payment/authorize",
		"/v2/accounts/a%2Fb/payment/authorize/", "/v2/payment/authorize?x=1",
	}
	no := []string{
		"/v2/payment/authorize//", "/v2/accounts//payment/authorize", "/v2/accounts/a/b/payment/authorize",
		"/V2/payment/authorize", "/v2/payment/authorize/extra", "/proxy/v2/payment/authorize", "/v1/payment/authorize", "/",
	}
	for _, p := range yes {
		req, _ := http.NewRequest(http.MethodPost, "https://api.klarna.example:8443"+p, nil)
		if !IsAuthorizePayment(req) {
			t.Errorf("%s not matched", p)
		}
	}
	for _, p := range no {
		req, _ := http.NewRequest(http.MethodPost, "https://api.klarna.example"+p, nil)
		if IsAuthorizePayment(req) {
			t.Errorf("%s matched", p)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, "https://api.klarna.example/v2/payment/authorize", nil)
	if IsAuthorizePayment(req) {
		t.Error("PUT matched")
	}
	// An opaque URL: what is sent is the opaque path.
	req, _ = http.NewRequest(http.MethodPost, "https://api.klarna.example/x", nil)
	req.URL.Opaque = "//api.klarna.example/v2/payment/authorize"
	if !IsAuthorizePayment(req) {
		t.Error("opaque path not matched")
	}
}

// TestGuardMatchAndCaller: a Match of one's own, and the caller sent in
// every pre-flight request (policy access).
func TestGuardMatchAndCaller(t *testing.T) {
	policy := `{"access":{"billing":{"scopes":["payment:customer_not_present"]},"checkout":{"scopes":["payment:customer_present"]}}}`
	tg := newTestGuard(t, policy, false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	tg.guard.Match = func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/klarna-proxy/")
	}
	req := tg.renewal(t, renewalToken, renewalBody)
	req.URL.Path = "/klarna-proxy/authorize"
	_, err := tg.client.Do(req)
	var de *DeniedError
	if !errors.As(err, &de) || !slices.Equal(codesOfDecision(de.Decision), []string{CodeCallerNotAllowed}) {
		t.Fatalf("without a caller: %v", err)
	}
	tg.guard.Caller = "checkout"
	req = tg.renewal(t, renewalToken, renewalBody)
	req.URL.Path = "/klarna-proxy/authorize"
	if _, err = tg.client.Do(req); !errors.As(err, &de) || !slices.Equal(codesOfDecision(de.Decision), []string{CodeCallerScopeNotAllowed}) {
		t.Fatalf("checkout: %v", err)
	}
	tg.guard.Caller = "billing"
	req = tg.renewal(t, renewalToken, renewalBody)
	req.URL.Path = "/klarna-proxy/authorize"
	if _, _, err = tg.do(t, req); err != nil {
		t.Fatalf("billing: %v", err)
	}
	// The default match no longer applies.
	req = tg.renewal(t, renewalToken, `{"dup":1,"dup":2}`)
	if _, _, err = tg.do(t, req); err != nil {
		t.Fatalf("unmatched: %v", err)
	}
	if n := tg.server.count.Load(); n != 2 {
		t.Errorf("server got %d", n)
	}
}

// TestGuardGetBody: a request whose body only GetBody gives (Body nil) is
// checked and sent like any other.
func TestGuardGetBody(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	req := tg.renewal(t, renewalToken, renewalBody)
	req.Body = nil
	if _, err := tg.guard.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if string(tg.server.lastBody()) != renewalBody {
		t.Errorf("body %q", tg.server.lastBody())
	}
}

// TestGuardConcurrency: 8 goroutines share one guard with their own
// tokens; then 8 charge the same token at once, are serialised (the
// server never sees two of them at a time) and every attempt is counted.
func TestGuardConcurrency(t *testing.T) {
	tg := newTestGuard(t, `{"max_attempts":{"per_24h":100}}`, false)
	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("krn:customer-token:eu1:%08d-e5f6-7890-abcd-ef1234567890", i)
		tg.records.records[tokens[i]] = activeRecord(tokens[i], "payment:customer_not_present")
	}
	var inFlight, maxInFlight atomic.Int64
	perToken := sync.Map{}
	tg.server.script(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("Klarna-Customer-Token")
		counter, _ := perToken.LoadOrStore(token, new(atomic.Int64))
		n := counter.(*atomic.Int64).Add(1)
		defer counter.(*atomic.Int64).Add(-1)
		if n > 1 {
			maxInFlight.Store(n)
		}
		inFlight.Add(1)
		defer inFlight.Add(-1)
		time.Sleep(2 * time.Millisecond)
		result := "APPROVED"
		if n%2 == 0 {
			result = "DECLINED"
		}
		jsonAnswer(200, `{"payment_transaction_response":{"result":"`+result+`"}}`)(w, r)
	})
	const rounds = 5
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if _, _, err := tg.do(t, tg.renewal(t, tokens[g], renewalBody)); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	for i, token := range tokens {
		if r := tg.records.stored(t, token); len(r.Attempts) != rounds {
			t.Errorf("token %d: %d attempts, want %d", i, len(r.Attempts), rounds)
		}
	}
	// 8 goroutines, one token.
	shared := tokens[0]
	before := len(tg.records.stored(t, shared).Attempts)
	start := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, _, err := tg.do(t, tg.renewal(t, shared, renewalBody)); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(tg.records.stored(t, shared).Attempts); got != before+8 {
		t.Errorf("same token: %d attempts, want %d", got, before+8)
	}
	if maxInFlight.Load() > 1 {
		t.Errorf("two charges of one token were at the server at once")
	}
	table := tg.guard.lockTable()
	table.mu.Lock()
	left := len(table.m)
	table.mu.Unlock()
	if left != 0 {
		t.Errorf("%d token locks left after all charges", left)
	}
	tg.noFaults(t)
}

func TestGuardWriters(t *testing.T) {
	for _, tm := range []time.Time{guardStart, time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)} {
		if got, want := string(appendInstant(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("appendInstant %s, want %s", got, want)
		}
	}
	for _, s := range []string{"", "plain", `a"b\c`, "tab\there\x00\x1f\x7f", "é€", "\xff"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil && s != "\xff" {
			t.Errorf("%q: %s is not JSON: %v", s, got, err)
		} else if err == nil && back != s && s != "\xff" {
			t.Errorf("%q came back as %q", s, back)
		}
	}
	if got := string(appendJSONString(nil, "\xff")); got != "\"\xff\"" {
		t.Errorf("invalid UTF-8 is not passed through: %q", got)
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestGuardNoResend: the clone's GetBody serves the checked bytes until
// the request began to be written, and refuses afterwards, so net/http
// cannot send a guarded charge twice.
func TestGuardNoResend(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	var before, after error
	var beforeBody []byte
	tg.guard.Next = roundTripFunc(func(out *http.Request) (*http.Response, error) {
		body, err := out.GetBody()
		before = err
		if err == nil {
			beforeBody, _ = io.ReadAll(body)
		}
		if trace := httptrace.ContextClientTrace(out.Context()); trace != nil && trace.WroteHeaders != nil {
			trace.WroteHeaders()
		}
		_, after = out.GetBody()
		return nil, errors.New("connection reset")
	})
	if _, err := tg.guard.RoundTrip(tg.renewal(t, renewalToken, renewalBody)); err == nil {
		t.Fatal("no error")
	}
	if before != nil || string(beforeBody) != renewalBody {
		t.Errorf("GetBody before writing: %v %q", before, beforeBody)
	}
	if !errors.Is(after, errNoResend) {
		t.Errorf("GetBody after writing: %v", after)
	}
	// The charge was written, then lost: it counts.
	if r := tg.records.stored(t, renewalToken); len(r.Attempts) != 1 {
		t.Errorf("attempts %v", r.Attempts)
	}
}

// TestGuardDialErrorIsNotCounted: a request that never reached a
// connection (nothing listens on the port) is not an attempt.
func TestGuardDialErrorIsNotCounted(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	before := bytes.Clone(tg.records.records[renewalToken])
	tg.guard.Next = &http.Transport{}
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	req := tg.renewal(t, renewalToken, renewalBody)
	req.URL, _ = url.Parse(addr + "/v2/payment/authorize")
	if _, err := tg.client.Do(req); err == nil {
		t.Fatal("no error")
	}
	if len(tg.records.puts) != 0 || !bytes.Equal(tg.records.records[renewalToken], before) {
		t.Errorf("a dial error changed the record: %s", tg.records.records[renewalToken])
	}
	tg.noFaults(t)
}

func TestGuardAnswerRequest(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.guard.Caller = "billing"
	req := tg.renewal(t, renewalToken, renewalBody)
	req.Header.Set("Klarna-Network-Session-Token", `odd ,"token_record": value`)
	record := activeRecord(renewalToken, "payment:customer_not_present")
	preflight := tg.guard.preflight(req, klarnaHeaderNames(nil, req.Header), record, []byte(renewalBody))
	got := answerRequest(preflight, len(renewalBody))
	var full, reduced map[string]json.RawMessage
	if err := json.Unmarshal(preflight, &full); err != nil {
		t.Fatalf("%v: %s", err, preflight)
	}
	if err := json.Unmarshal(got, &reduced); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if len(reduced) != 3 || string(reduced["body"]) != renewalBody || string(reduced["headers"]) != string(full["headers"]) ||
		string(reduced["customer_present"]) != "false" {
		t.Errorf("answer request %s\n  from %s", got, preflight)
	}
}

// TestGuardLockHonoursTheContext: a charge waiting for its token's lock
// gives up when its context ends, and is not sent.
func TestGuardLockHonoursTheContext(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	tg.server.script(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		jsonAnswer(200, `{"payment_transaction_response":{"result":"APPROVED"}}`)(w, r)
	})
	done := make(chan error, 1)
	go func() {
		_, _, err := tg.do(t, tg.renewal(t, renewalToken, renewalBody))
		done <- err
	}()
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := tg.client.Do(tg.renewal(t, renewalToken, renewalBody).WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting charge: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := tg.server.count.Load(); n != 1 {
		t.Errorf("server got %d", n)
	}
}

// TestGuardTruncatedAnswer: an answer cut off mid-body reaches the caller
// as it would without the guard (the bytes that arrived, then the error),
// and counts as an attempt.
func TestGuardTruncatedAnswer(t *testing.T) {
	tg := newTestGuard(t, "", false)
	tg.records.records[renewalToken] = activeRecord(renewalToken, "payment:customer_not_present")
	tg.server.script(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"payment_tra")
		_ = buf.Flush()
		_ = conn.Close()
	})
	resp, err := tg.client.Do(tg.renewal(t, renewalToken, renewalBody))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"payment_tra` || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("caller read %q, %v", body, err)
	}
	if r := tg.records.stored(t, renewalToken); len(r.Attempts) != 1 || r.LastUsedAt != "" {
		t.Errorf("record %+v", r)
	}
	tg.noFaults(t)
}
