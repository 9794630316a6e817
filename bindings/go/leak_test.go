package ctpolicy

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// The leak doors (hygiene.md H4): a recognisable token put
// where it does not belong, every printed form searched for its id part.

// printedForms is everything this package can make of v as text: every
// fmt verb, v nested in exported and unexported struct fields, and the
// slog JSON and text handlers (v as an attribute, and nested).
//
// An unexported field is printed by fmt's reflection, which calls no
// method of the value: only types that keep their secret behind a pointer
// (Transition's RecordJSON) can be safe there, so withUnexported asks for
// those forms only where the type promises it.
func printedForms(v any, withUnexported bool) map[string]string {
	out := map[string]string{}
	type exported struct{ V any }
	type unexported struct{ v any }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
		out["fmt "+verb+" exported field"] = fmt.Sprintf(verb, exported{v})
		if withUnexported {
			out["fmt "+verb+" unexported field"] = fmt.Sprintf(verb, unexported{v})
		}
		out["fmt "+verb+" slice"] = fmt.Sprintf(verb, []any{v})
	}
	for _, kind := range []string{"json", "text"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewJSONHandler(&buf, nil)
		if kind == "text" {
			h = slog.NewTextHandler(&buf, nil)
		}
		slog.New(h).Info("door", "v", v, "nested", exported{v}, slog.Group("g", "v", v))
		out["slog "+kind] = buf.String()
	}
	return out
}

// assertNoLeak fails for every printed form of v that holds the id part
// of leakToken.
func assertNoLeak(t *testing.T, door string, v any) {
	t.Helper()
	for form, text := range printedForms(v, false) {
		if strings.Contains(text, leakID) {
			t.Errorf("%s: %s holds the token: %s", door, form, text)
		}
	}
}

// A token in the typed charge's fields: as the currency, as a scope, as the
// idempotency key, and the fields swapped (the header token given as the
// record's, a token as the state's neighbour the scopes).
func TestLeakDoorsCharge(t *testing.T) {
	c := renewalCharge()
	c.Currency = leakToken
	c.Record.Scopes = []string{leakToken, "payment:customer_not_present"}
	c.IdempotencyKey = leakToken
	c.Token, c.Record.CustomerToken = leakToken, leakToken
	assertNoLeak(t, "Charge", c)
	assertNoLeak(t, "*Charge", &c)
	assertNoLeak(t, "StoredRecord", *c.Record)
	assertNoLeak(t, "*StoredRecord", c.Record)
	// The currency and scopes are not dropped, they are redacted.
	if s := c.String(); !strings.Contains(s, leakRedaction()) {
		t.Errorf("Charge.String does not show the redacted currency: %s", s)
	}
	e := newTestEngine(t, "")
	v, err := e.CheckCharge(&c)
	if err != nil {
		t.Fatalf("a token as currency must be a decision, got %v", err)
	}
	if v.Allowed || !strings.Contains(strings.Join(v.Codes(), ","), CodeCurrencyInvalid) {
		t.Errorf("a token as currency: %v, want a DENY with CURRENCY_INVALID", v.Codes())
	}
	assertNoLeak(t, "Verdict", v)
	// A fault with the token in a field: the error names the field.
	c.Currency = leakToken + "\xff"
	_, err = e.CheckCharge(&c)
	if err == nil {
		t.Fatal("invalid UTF-8 in the currency decided")
	}
	assertNoLeak(t, "CheckCharge error", err)
	if strings.Contains(err.Error(), leakID) {
		t.Errorf("CheckCharge error string holds the token: %v", err)
	}
}

// A token in the JSON request's doors: a header named by it, decision_id,
// an unknown top-level key, a duplicate key inside a partner blob, a
// counters key. Whatever the answer (a decision or an error), no printed
// form and no error string holds it.
func TestLeakDoorsRequest(t *testing.T) {
	e := newTestEngine(t, "")
	body := `"body":{"currency":"EUR","request_payment_transaction":{"amount":1299}}`
	requests := map[string]string{
		"header name":          `{"customer_present":false,"headers":{"` + leakToken + `":"x"},` + body + `}`,
		"two headers so named": `{"customer_present":false,"headers":{"` + leakToken + `":"x","` + strings.ToLower(leakToken) + `":"y"},` + body + `}`,
		"decision_id":          `{"customer_present":false,"decision_id":"` + leakToken + `","headers":{},` + body + `}`,
		"unknown key":          `{"customer_present":false,"` + leakToken + `":1,"headers":{},` + body + `}`,
		"duplicate key":        `{"customer_present":false,"headers":{},"body":{"currency":"EUR","x":{"` + leakToken + `":1,"` + leakToken + `":2},"request_payment_transaction":{"amount":1299}}}`,
		"counters key":         `{"customer_present":false,"headers":{},"counters":{"` + leakToken + `":1},` + body + `}`,
	}
	for door, request := range requests {
		d, err := e.Check([]byte(request))
		if err != nil {
			if strings.Contains(err.Error(), leakID) {
				t.Errorf("%s: the error string holds the token: %v", door, err)
			}
			assertNoLeak(t, door+" error", err)
			continue
		}
		assertNoLeak(t, door+" *Decision", d)
		assertNoLeak(t, door+" Decision", *d)
		for _, v := range append(d.Violations, d.Warnings...) {
			assertNoLeak(t, door+" Violation", v)
		}
		assertNoLeak(t, door+" Receipt", d.Receipt)
	}
	results, _, err := e.CheckMany([][]byte{[]byte(requests["decision_id"]), []byte(requests["unknown key"])})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		assertNoLeak(t, "BatchResult", r)
	}
}

// A Transition (its record holds the token) nested in another struct, in
// exported and unexported fields, prints no piece of the record.
func TestLeakDoorsTransition(t *testing.T) {
	tr, err := ApplyEvent(nil, []byte(`{"type":"TOKENIZED","at":"2024-01-15T10:00:00Z","response":{"result":"APPROVED",`+
		`"customer_token":{"customer_token":"`+testToken+`","scopes":["payment:customer_not_present"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	const id = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	if !bytes.Contains(tr.Record.Bytes(), []byte(id)) {
		t.Fatal("the record should hold the token verbatim")
	}
	for name, v := range map[string]any{"*Transition": tr, "Transition": *tr, "RecordJSON": tr.Record} {
		for form, text := range printedForms(v, true) {
			if strings.Contains(text, id) || strings.Contains(text, "customer_token\\\":") {
				t.Errorf("%s: %s prints the record: %s", name, form, text)
			}
		}
	}
}

// A token in a path: the audit trail's errors name the file without it.
func TestLeakDoorsAuditPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), leakToken, "audit.jsonl")
	_, err := OpenAuditLog(path)
	if err == nil {
		t.Fatal("opened a log in a missing folder")
	}
	if strings.Contains(err.Error(), leakID) {
		t.Errorf("the error string holds the token: %v", err)
	}
	assertNoLeak(t, "OpenAuditLog error", err)
	_, err = VerifyAuditLog(path, "")
	if err == nil || strings.Contains(err.Error(), leakID) {
		t.Errorf("VerifyAuditLog error: %v", err)
	}
	assertNoLeak(t, "VerifyAuditLog error", err)
}
