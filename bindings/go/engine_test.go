//go:build cgo

package ctpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

// renewalRequest is a subscription renewal that the default policy allows
// (about 600 bytes, the size the benchmarks use).
var renewalRequest = []byte(`{"customer_present":false,` +
	`"headers":{"Klarna-Customer-Token":"` + testToken + `","Klarna-Idempotency-Key":"renewal-sub_8842-2024-06"},` +
	`"body":{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub_8842-2024-06"},` +
	`"supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub_8842"}]}},` +
	`"token_record":{"customer_token":"` + testToken + `","scopes":["payment:customer_not_present"],"state":"ACTIVE",` +
	`"created_at":"2024-01-15T10:00:00Z"},` +
	`"decision_id":"renewal-sub_8842-2024-06"}`)

func newTestEngine(t testing.TB, policy string) *Engine {
	t.Helper()
	var p []byte
	if policy != "" {
		p = []byte(policy)
	}
	e, err := NewEngine(p)
	if err != nil {
		t.Fatalf("NewEngine(%s): %v", policy, err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestVersions(t *testing.T) {
	if v := LibraryVersion(); v == "" || strings.Count(v, ".") != 2 || v != Version {
		t.Errorf("LibraryVersion() = %q, the module's Version %q", v, Version)
	}
	if ABIVersion() != 2 {
		t.Errorf("ABIVersion() = %d, want 2", ABIVersion())
	}
	if uint32(ABIVersion()) != headerABIVersion {
		t.Errorf("ABIVersion() = %d, the header says %d", ABIVersion(), headerABIVersion)
	}
	if LinkMode() != "static" && LinkMode() != "dynamic" && LinkMode() != "pkg-config" {
		t.Errorf("LinkMode() = %q", LinkMode())
	}
	d, err := newTestEngine(t, "").Check(renewalRequest)
	if err != nil {
		t.Fatal(err)
	}
	if d.Receipt.EngineVersion != LibraryVersion() {
		t.Errorf("receipt engine_version %q, library %q", d.Receipt.EngineVersion, LibraryVersion())
	}
}

// TestReasonCodesMatchLibrary proves the Code* constants and the library's
// rule table are the same, in both directions.
func TestReasonCodesMatchLibrary(t *testing.T) {
	library := map[int]string{}
	for id := 0; id <= 999; id++ {
		if code, ok := ReasonCode(id); ok {
			library[id] = code
		}
	}
	if len(library) == 0 {
		t.Fatal("the library reports no rules")
	}
	for id, code := range library {
		if ruleCodes[id] != code {
			t.Errorf("rule %d: library says %q, the Go constants say %q", id, code, ruleCodes[id])
		}
	}
	for id, code := range ruleCodes {
		if _, ok := library[id]; !ok {
			t.Errorf("rule %d (%s) is in the Go constants but not in the library", id, code)
		}
	}
	for _, id := range []int{-1, 1000, int(^uint(0) >> 1)} {
		if _, ok := ReasonCode(id); ok {
			t.Errorf("ReasonCode(%d) reported a code", id)
		}
	}
}

func TestStatusNamesMatchLibrary(t *testing.T) {
	for s := Status(0); s < 300; s++ {
		if got, want := s.String(), libraryStatusName(s); got != want {
			t.Errorf("status %d: Go %q, library %q", s, got, want)
		}
	}
}

func TestCheckRenewal(t *testing.T) {
	d, err := newTestEngine(t, "").Check(renewalRequest)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Decision != "ALLOW" || len(d.Violations) != 0 {
		t.Fatalf("renewal: %s", d.Raw)
	}
	if d.RequiredScope != "payment:customer_not_present" {
		t.Errorf("RequiredScope = %q", d.RequiredScope)
	}
	if d.Token == nil || d.Token.Form != "network" || d.Token.Region != "eu1" || d.Token.Environment != "" ||
		!strings.HasPrefix(d.Token.Fingerprint, "sha256:") {
		t.Errorf("Token = %v", d.Token)
	}
	if d.Receipt.DecisionID != "renewal-sub_8842-2024-06" || !strings.HasPrefix(d.Receipt.PolicyDigest, "sha256:") {
		t.Errorf("Receipt = %+v", d.Receipt)
	}
	info, err := ParseToken(testToken)
	if err != nil {
		t.Fatal(err)
	}
	if *info != *d.Token {
		t.Errorf("ParseToken %v, decision token %v", info, d.Token)
	}
	if bytes.Contains(d.Raw, []byte(testToken)) {
		t.Error("the decision holds the token")
	}
}

func TestCheckDeny(t *testing.T) {
	// Renewal with a customer-present token and a step-up config.
	req := bytes.Replace(renewalRequest, []byte(`"payment:customer_not_present"]`), []byte(`"payment:customer_present"]`), 1)
	req = bytes.Replace(req, []byte(`"body":{`), []byte(`"body":{"step_up_config":{},`), 1)
	d, err := newTestEngine(t, "").Check(req)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || d.Decision != "DENY" {
		t.Fatalf("want DENY: %s", d.Raw)
	}
	var codes []string
	for _, v := range d.Violations {
		codes = append(codes, v.Code)
		if v.Severity != "deny" || v.Message == "" || !strings.HasPrefix(v.Path, "/") {
			t.Errorf("violation %+v", v)
		}
	}
	if got, want := strings.Join(codes, ","), CodeScopeMismatch+","+CodeStepUpNotAllowed; got != want {
		t.Errorf("codes %s, want %s", got, want)
	}
}

func TestPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		policy []byte
		status Status
		code   string
	}{
		{[]byte(`{"allowed_region":["eu1"]}`), StatusInvalidPolicy, CodeUnknownField},
		{[]byte(`{"allowed_regions":["eu1"],"allowed_regions":["us1"]}`), StatusInvalidPolicy, CodeDuplicateKey},
		{[]byte(`{`), StatusInvalidPolicy, CodeJSONSyntax},
		{[]byte("{\"allowed_regions\":[\"\xff\"]}"), StatusInvalidUTF8, ""},
		{[]byte(`{"severity":{"SCOPE_MISMATCH":"off"}}`), StatusInvalidPolicy, CodeRuleNotAdjustable},
	} {
		e, err := NewEngine(tc.policy)
		if err == nil {
			_ = e.Close()
			t.Errorf("policy %q loaded", tc.policy)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("%T is not *Error", err)
		}
		if ce.Status != tc.status || (tc.code != "" && ce.Code != tc.code) || ce.Message == "" {
			t.Errorf("policy %q: got %v (status %d code %q), want %v %s", tc.policy, err, ce.Status, ce.Code, tc.status, tc.code)
		}
		if !errors.Is(err, &Error{Status: tc.status}) {
			t.Errorf("errors.Is by status failed for %v", err)
		}
	}
	for _, p := range [][]byte{nil, {}, []byte("{}"), []byte(" {} ")} {
		e, err := NewEngine(p)
		if err != nil {
			t.Errorf("NewEngine(%q): %v", p, err)
			continue
		}
		_ = e.Close()
	}
}

// TestBadInput: nil, empty, not JSON, not UTF-8, wrong shapes: always an
// *Error with a clear message, never a panic.
func TestBadInput(t *testing.T) {
	e := newTestEngine(t, "")
	cases := []struct {
		name   string
		input  []byte
		status Status
	}{
		{"nil", nil, StatusInvalidRequest},
		{"empty", []byte{}, StatusInvalidRequest},
		{"blank", []byte("  \n"), StatusInvalidRequest},
		{"not json", []byte("hello"), StatusInvalidRequest},
		{"truncated", renewalRequest[:len(renewalRequest)/2], StatusInvalidRequest},
		{"array", []byte("[]"), StatusInvalidRequest},
		{"missing body", []byte(`{"customer_present":true}`), StatusInvalidRequest},
		{"duplicate key", []byte(`{"customer_present":true,"body":{},"body":{}}`), StatusInvalidRequest},
		{"invalid utf-8", []byte("{\"customer_present\":true,\"body\":{\"x\":\"\xc3\x28\"}}"), StatusInvalidUTF8},
		{"nul byte", []byte("{\"customer_present\":true,\"body\":{}}\x00"), StatusInvalidRequest},
		{"too large", append(append([]byte(`{"customer_present":true,"body":{"x":"`), bytes.Repeat([]byte("a"), 1<<20)...), `"}}`...), StatusInvalidRequest},
		{"too deep", []byte(`{"customer_present":true,"body":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 71)), StatusInvalidRequest},
	}
	for _, tc := range cases {
		d, err := e.Check(tc.input)
		if err == nil {
			t.Errorf("%s: got a decision %s", tc.name, d.Raw)
			continue
		}
		if d != nil {
			t.Errorf("%s: both a decision and an error", tc.name)
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Status != tc.status || ce.Message == "" {
			t.Errorf("%s: got %v, want status %v with a message", tc.name, err, tc.status)
		}
	}
	if _, err := e.Check([]byte(`{"customer_present":true,"body":{}}`)); err != nil {
		t.Errorf("the engine is unusable after bad input: %v", err)
	}
}

func TestParseTokenErrors(t *testing.T) {
	secret := "krn:customer-token:EU1:secret-id-0123456789"
	_, err := ParseToken(secret)
	if !errors.Is(err, ErrTokenMalformed) || !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("got %v, want TOKEN_MALFORMED", err)
	}
	var ce *Error
	errors.As(err, &ce)
	if ce.Detail != "BAD_REGION" {
		t.Errorf("detail %q, want BAD_REGION", ce.Detail)
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err)} {
		if strings.Contains(text, "secret-id") {
			t.Errorf("the error text holds the token: %s", text)
		}
	}
	if _, err := ParseToken("krn:payment:eu1:klarna-network-session-token:abc"); !errors.Is(err, ErrTokenWrongType) {
		t.Errorf("session token: %v", err)
	}
	if _, err := ParseToken(""); !errors.Is(err, ErrTokenMalformed) {
		t.Errorf("empty: %v", err)
	} else if errors.As(err, &ce); ce.Detail != "EMPTY" {
		t.Errorf("empty: detail %q", ce.Detail)
	}
	if _, err := ParseToken("krn:customer-token:eu1:\xff"); err == nil {
		t.Error("invalid UTF-8 token parsed")
	} else if !errors.As(err, &ce) {
		t.Errorf("invalid UTF-8: %T", err)
	}
}

func TestPrintingNeverShowsToken(t *testing.T) {
	info, err := ParseToken(testToken)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ApplyEvent(nil, []byte(`{"type":"TOKENIZED","at":"2024-01-15T10:00:00Z","response":{"result":"APPROVED",`+
		`"customer_token":{"customer_token":"`+testToken+`","scopes":["payment:customer_not_present"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(tr.Record.Bytes(), []byte(testToken)) {
		t.Fatalf("the record should hold the token verbatim: %s", tr.Record.Bytes())
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("t", "info", info, "transition", tr, "transition_value", *tr)
	text := slog.New(slog.NewTextHandler(&logs, nil))
	text.Info("t", "info", info, "transition", tr)
	for _, s := range []string{
		fmt.Sprint(info, *info, tr, *tr), fmt.Sprintf("%v %+v %#v %s %q %x", tr, tr, tr, tr, tr, tr),
		fmt.Sprintf("%+v %#v", *tr, []*Transition{tr}), fmt.Sprintf("%#v %+v", info, *info), logs.String(),
	} {
		if strings.Contains(s, "a1b2c3d4") {
			t.Errorf("printed output holds the token: %s", s)
		}
	}
	if !strings.Contains(fmt.Sprint(info), info.Fingerprint) {
		t.Errorf("TokenInfo should print its fingerprint: %v", info)
	}
}

func TestApplyEvent(t *testing.T) {
	tok, err := ApplyEvent(nil, []byte(`{"type":"TOKENIZED","at":"2024-01-15T10:00:00Z","response":{"result":"APPROVED",`+
		`"customer_token":{"customer_token":"`+testToken+`","scopes":["payment:customer_not_present"],"customer_token_reference":"ref-1"}}}`))
	if err != nil || !tok.Changed {
		t.Fatalf("TOKENIZED: %v %v", tok, err)
	}
	charged, err := ApplyEvent(tok.Record.Bytes(), []byte(`{"type":"CHARGED","at":"2024-02-15T10:00:00Z"}`))
	if err != nil || !charged.Changed || !bytes.Contains(charged.Record.Bytes(), []byte(`"last_used_at":"2024-02-15T10:00:00Z"`)) {
		t.Fatalf("CHARGED: %v %v", charged, err)
	}
	// An earlier CHARGED keeps last_used_at but counts the attempt; the
	// same event delivered twice is counted once.
	earlier := []byte(`{"type":"CHARGED","at":"2024-02-15T09:00:00Z"}`)
	again, err := ApplyEvent(charged.Record.Bytes(), earlier)
	if err != nil || !again.Changed || !bytes.Contains(again.Record.Bytes(), []byte(`"last_used_at":"2024-02-15T10:00:00Z"`)) ||
		!bytes.Contains(again.Record.Bytes(), []byte(`"attempts":["2024-02-15T09:00:00Z","2024-02-15T10:00:00Z"]`)) {
		t.Fatalf("earlier CHARGED: %v %v %s", again, err, again.Record.Bytes())
	}
	if twice, err := ApplyEvent(again.Record.Bytes(), earlier); err != nil || twice.Changed {
		t.Fatalf("CHARGED delivered twice: %v %v", twice, err)
	}
	revoked, err := ApplyEvent(charged.Record.Bytes(), []byte(`{"type":"REVOKED","at":"2024-03-01T00:00:00Z","by":"CUSTOMER"}`))
	if err != nil || !revoked.Changed {
		t.Fatalf("REVOKED: %v %v", revoked, err)
	}
	_, err = ApplyEvent(revoked.Record.Bytes(), []byte(`{"type":"CHARGED","at":"2024-03-02T00:00:00Z"}`))
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != StatusTransitionRejected || ce.Code != CodeTokenRevoked {
		t.Errorf("CHARGED after REVOKED: %v", err)
	}
	if !errors.Is(err, ErrTransitionRejected) {
		t.Errorf("errors.Is(ErrTransitionRejected) failed for %v", err)
	}
	if _, err := ApplyEvent(nil, []byte(`{"type":"CHARGED","at":"2024-03-02T00:00:00Z"}`)); !errors.Is(err, &Error{Status: StatusTransitionRejected, Code: CodeRecordRequired}) {
		t.Errorf("CHARGED without record: %v", err)
	}
	for name, in := range map[string][2][]byte{
		"nil event":      {nil, nil},
		"empty event":    {[]byte{}, []byte{}},
		"bad json":       {nil, []byte(`{`)},
		"bad utf-8":      {nil, []byte("{\"type\":\"\xff\"}")},
		"bad record":     {[]byte(`{"a":1,"a":2}`), []byte(`{"type":"CHARGED","at":"2024-03-02T00:00:00Z"}`)},
		"event is array": {nil, []byte(`[]`)},
	} {
		tr, err := ApplyEvent(in[0], in[1])
		if err == nil || tr != nil || !errors.As(err, &ce) || ce.Message == "" {
			t.Errorf("%s: got %v, %v", name, tr, err)
		}
	}
	// The JSON text null as the record means "no record", like nil.
	if again, err := ApplyEvent([]byte("null"), []byte(`{"type":"TOKENIZED","at":"2024-01-15T10:00:00Z","response":{"result":"APPROVED",`+
		`"customer_token":{"customer_token":"`+testToken+`","scopes":["payment:customer_not_present"],"customer_token_reference":"ref-1"}}}`)); err != nil || !bytes.Equal(again.Record.Bytes(), tok.Record.Bytes()) {
		t.Errorf("null record: %v %v", again, err)
	}
	var out map[string]any
	if err := json.Unmarshal(revoked.Record.Bytes(), &out); err != nil || out["state"] != "REVOKED" || out["revoked_by"] != "CUSTOMER" {
		t.Errorf("revoked record %v", out)
	}
}

func TestCloseLifecycle(t *testing.T) {
	e, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Check(renewalRequest); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	d, err := e.Check(renewalRequest)
	if d != nil || !errors.Is(err, ErrClosed) {
		t.Fatalf("Check after Close: %v, %v", d, err)
	}
	if !strings.Contains(err.Error(), "closed") {
		t.Errorf("unclear message: %v", err)
	}
	var nilEngine *Engine
	if _, err := nilEngine.Check(renewalRequest); !errors.Is(err, ErrClosed) {
		t.Errorf("nil engine: %v", err)
	}
	if err := nilEngine.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
	var zero Engine
	if _, err := zero.Check(renewalRequest); !errors.Is(err, ErrClosed) {
		t.Errorf("zero engine: %v", err)
	}
	if err := zero.Close(); err != nil {
		t.Errorf("zero Close: %v", err)
	}
}

// TestCleanupFreesForgottenEngine: an engine dropped without Close is freed
// by the runtime cleanup.
func TestCleanupFreesForgottenEngine(t *testing.T) {
	before := enginesFreed.Load()
	func() {
		for i := 0; i < 8; i++ {
			e, err := NewEngine(nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Check(renewalRequest); err != nil {
				t.Fatal(err)
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for enginesFreed.Load() < before+8 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 8 forgotten engines freed", enginesFreed.Load()-before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// Close stops the cleanup, so a closed engine is freed exactly once.
	// First let every cleanup still pending (an engine forgotten by an
	// earlier test) run, so that only this engine can move the count.
	for settled := 0; settled < 3 && time.Now().Before(deadline); {
		n := enginesFreed.Load()
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if enginesFreed.Load() == n {
			settled++
		} else {
			settled = 0
		}
	}
	e, _ := NewEngine(nil)
	_ = e.Close()
	closedAt := enginesFreed.Load()
	e = nil
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if got := enginesFreed.Load(); got != closedAt {
		t.Errorf("a closed engine was freed again (%d frees)", got-closedAt)
	}
}

// TestConcurrentCheck: 16 goroutines share one engine and all get the
// same answers as a serial run.
func TestConcurrentCheck(t *testing.T) {
	e := newTestEngine(t, `{"allowed_regions":["eu1"],"max_attempts":{"per_24h":10}}`)
	requests := [][]byte{
		renewalRequest,
		bytes.Replace(renewalRequest, []byte("eu1"), []byte("us1"), 2),
		[]byte(`{"customer_present":true,"body":{}}`),
		[]byte(`not json`),
		bytes.Replace(renewalRequest, []byte(`"decision_id"`), []byte(`"counters":{"attempts_24h":12},"decision_id"`), 1),
	}
	want := make([]string, len(requests))
	for i, r := range requests {
		want[i] = outcome(e.Check(r))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := (g + i) % len(requests)
				if got := outcome(e.Check(requests[k])); got != want[k] {
					errs <- fmt.Sprintf("goroutine %d request %d: %s, want %s", g, k, got, want[k])
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

func outcome(d *Decision, err error) string {
	if err != nil {
		var ce *Error
		errors.As(err, &ce)
		return "error " + string(ce.raw)
	}
	return string(d.Raw)
}

// TestCloseDuringCheck: Close while 16 goroutines check; each call either
// decides or returns ErrClosed, and nothing crashes.
func TestCloseDuringCheck(t *testing.T) {
	for round := 0; round < 20; round++ {
		e, err := NewEngine(nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		bad := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 50; i++ {
					d, err := e.Check(renewalRequest)
					if err != nil && !errors.Is(err, ErrClosed) {
						bad <- err
						return
					}
					if err == nil && !d.Allowed {
						bad <- fmt.Errorf("unexpected DENY %s", d.Raw)
						return
					}
				}
			}()
		}
		close(start)
		time.Sleep(time.Duration(round%4) * 100 * time.Microsecond)
		_ = e.Close()
		wg.Wait()
		close(bad)
		for err := range bad {
			t.Fatal(err)
		}
		if _, err := e.Check(renewalRequest); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Status: StatusInvalidRequest, Code: CodeDuplicateKey, Path: "/body/a", Message: "duplicate key"}
	if got := e.Error(); got != `ctpolicy: INVALID_REQUEST DUPLICATE_KEY at "/body/a": duplicate key` {
		t.Errorf("Error() = %s", got)
	}
	if !errors.Is(e, ErrInvalidRequest) || errors.Is(e, ErrInvalidPolicy) || errors.Is(e, ErrClosed) {
		t.Error("errors.Is by status is wrong")
	}
	wrapped := fmt.Errorf("pre-flight: %w", e)
	var ce *Error
	if !errors.As(wrapped, &ce) || ce != e {
		t.Error("errors.As through a wrap failed")
	}
	if Status(999).String() != "UNKNOWN" {
		t.Error("unknown status name")
	}
	if got := errorFromOutput(StatusPanic, nil); got.Status != StatusPanic || got.Message == "" {
		t.Errorf("errorFromOutput without output: %+v", got)
	}
	if got := errorFromOutput(StatusInvalidRequest, []byte("garbage")); got.Message == "" {
		t.Errorf("errorFromOutput with garbage: %+v", got)
	}
}
