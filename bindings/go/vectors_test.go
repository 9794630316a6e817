//go:build cgo

package ctpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The shared vectors of tests/vectors (format: docs/VECTORS.md).

type checkFile struct {
	Description string                     `json:"description"`
	Policies    map[string]json.RawMessage `json:"policies"`
	Cases       []checkCase                `json:"cases"`
}

type checkCase struct {
	Name          string                     `json:"name"`
	Policy        string                     `json:"policy"`
	Request       json.RawMessage            `json:"request"`
	RequestText   *string                    `json:"request_text"`
	RequestBase64 *string                    `json:"request_base64"`
	Expect        map[string]json.RawMessage `json:"expect"`
}

// input is the exact bytes the case gives to the engine: a `request` value
// as it stands in the file (key order and integer literals untouched),
// `request_text` as its text, `request_base64` as the decoded bytes.
func (c checkCase) input() ([]byte, error) {
	switch {
	case c.RequestBase64 != nil:
		return base64.StdEncoding.DecodeString(*c.RequestBase64)
	case c.RequestText != nil:
		return []byte(*c.RequestText), nil
	case len(c.Request) > 0:
		return []byte(c.Request), nil
	}
	return nil, fmt.Errorf("case has no request")
}

func (c checkCase) policyName() string {
	if c.Policy == "" {
		return "default"
	}
	return c.Policy
}

// customerTokenIn returns the customer-token header value of a request,
// for the "never print a token" checks ("" when there is none worth
// searching for).
func customerTokenIn(request []byte) string {
	var req struct {
		Headers map[string]any `json:"headers"`
	}
	if json.Unmarshal(request, &req) != nil {
		return ""
	}
	for name, value := range req.Headers {
		if s, ok := value.(string); ok && strings.EqualFold(name, "Klarna-Customer-Token") && len(s) >= 12 {
			return s
		}
	}
	return ""
}

// engines builds one engine per named policy of a vectors file.
func engines(t *testing.T, policies map[string]json.RawMessage) map[string]*Engine {
	t.Helper()
	out := make(map[string]*Engine, len(policies))
	for name, policy := range policies {
		e, err := NewEngine(policy)
		if err != nil {
			t.Fatalf("policy %q of check.json does not load: %v", name, err)
		}
		t.Cleanup(func() { _ = e.Close() })
		out[name] = e
	}
	if _, ok := out["default"]; !ok {
		e, err := NewEngine(nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		out["default"] = e
	}
	return out
}

func TestCheckVectors(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("check.json has no cases")
	}
	engs := engines(t, file.Policies)
	seen := map[string]bool{}
	for _, c := range file.Cases {
		if seen[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			engine, ok := engs[c.policyName()]
			if !ok {
				t.Fatalf("unknown policy %q", c.policyName())
			}
			input, err := c.input()
			if err != nil {
				t.Fatal(err)
			}
			d, err := engine.Check(input)
			secret := customerTokenIn(input)
			if err != nil {
				assertNoSecret(t, c.Name, "the error text", err.Error(), secret)
			} else {
				assertNoSecret(t, c.Name, "the decision", string(d.Raw), secret)
				assertNoSecret(t, c.Name, "the printed decision", fmt.Sprintf("%+v", d), secret)
			}
			checkDecisionExpectation(t, c.Name, c.Expect, d, err)
		})
	}
	t.Logf("%d check vectors", len(file.Cases))
}

func checkDecisionExpectation(t *testing.T, name string, expect map[string]json.RawMessage, d *Decision, err error) {
	t.Helper()
	if want, ok := expect["error"]; ok {
		if err == nil {
			t.Errorf("%s: got a decision %s, want error %s", name, d.Raw, want)
			return
		}
		checkErrorExpectation(t, name, want, err)
		return
	}
	if err != nil {
		t.Errorf("%s: got error %v, want a decision", name, err)
		return
	}
	raw, _ := mustDecode(t, d.Raw).(map[string]any)
	assertTypedMatchesRaw(t, name, d, raw)
	for _, key := range sortedKeys(expect) {
		want := mustDecode(t, expect[key])
		switch key {
		case "decision", "required_scope", "token":
			if !jsonEqual(want, raw[key]) {
				t.Errorf("%s: %s = %s, want %s", name, key, show(raw[key]), show(want))
			}
		case "decision_id":
			receipt, _ := raw["receipt"].(map[string]any)
			if !jsonEqual(want, receipt["decision_id"]) {
				t.Errorf("%s: decision_id = %s, want %s", name, show(receipt["decision_id"]), show(want))
			}
		case "violations", "warnings":
			compareHits(t, name, key, want, raw[key])
		default:
			t.Errorf("%s: unknown key %q in the expectation", name, key)
		}
	}
}

// compareHits compares an expected list of hits with the engine's: the codes
// exactly and in order, every other key given equal, `message` never.
func compareHits(t *testing.T, name, list string, want, got any) {
	t.Helper()
	w, _ := want.([]any)
	g, _ := got.([]any)
	codes := func(xs []any) []string {
		var out []string
		for _, x := range xs {
			m, _ := x.(map[string]any)
			s, _ := m["code"].(string)
			out = append(out, s)
		}
		return out
	}
	if strings.Join(codes(w), ",") != strings.Join(codes(g), ",") {
		t.Errorf("%s: %s codes = %v, want %v\n  got %s", name, list, codes(g), codes(w), show(g))
		return
	}
	for i := range w {
		wm, _ := w[i].(map[string]any)
		gm, _ := g[i].(map[string]any)
		for k, v := range wm {
			if k == "message" {
				continue
			}
			if gv, ok := gm[k]; !ok || !jsonEqual(v, gv) {
				t.Errorf("%s: %s[%d] (%v) %s = %s, want %s", name, list, i, wm["code"], k, show(gm[k]), show(v))
			}
		}
	}
}

// assertTypedMatchesRaw checks that the typed Decision says what the raw
// JSON says.
func assertTypedMatchesRaw(t testing.TB, name string, d *Decision, raw map[string]any) {
	t.Helper()
	if d.Allowed != (d.Decision == "ALLOW") || d.Allowed != (len(d.Violations) == 0) {
		t.Errorf("%s: Allowed=%v Decision=%s with %d violations", name, d.Allowed, d.Decision, len(d.Violations))
	}
	if raw["decision"] != d.Decision || raw["required_scope"] != d.RequiredScope {
		t.Errorf("%s: typed decision/scope differ from raw", name)
	}
	rv, _ := raw["violations"].([]any)
	rw, _ := raw["warnings"].([]any)
	if len(rv) != len(d.Violations) || len(rw) != len(d.Warnings) {
		t.Errorf("%s: typed hit counts differ from raw", name)
	}
	for i, v := range d.Violations {
		m, _ := rv[i].(map[string]any)
		if m["code"] != v.Code || m["path"] != v.Path || fmt.Sprint(m["id"]) != fmt.Sprint(v.ID) {
			t.Errorf("%s: typed violation %d differs from raw", name, i)
		}
	}
	if (raw["token"] == nil) != (d.Token == nil) {
		t.Errorf("%s: typed token differs from raw", name)
	}
	receipt, _ := raw["receipt"].(map[string]any)
	if receipt["engine_version"] != d.Receipt.EngineVersion || receipt["policy_digest"] != d.Receipt.PolicyDigest {
		t.Errorf("%s: typed receipt differs from raw", name)
	}
}

type tokensFile struct {
	Cases []struct {
		Name   string                     `json:"name"`
		Token  string                     `json:"token"`
		Expect map[string]json.RawMessage `json:"expect"`
	} `json:"cases"`
}

func TestTokenVectors(t *testing.T) {
	var file tokensFile
	readVectors(t, "tokens.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("tokens.json has no cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			info, err := ParseToken(c.Token)
			secret := ""
			if len(c.Token) >= 12 {
				secret = c.Token
			}
			if want, ok := c.Expect["error"]; ok {
				if err == nil {
					t.Fatalf("got %v, want error %s", info, want)
				}
				assertNoSecret(t, c.Name, "the error", err.Error()+fmt.Sprintf("%+v %#v", err, err), secret)
				checkErrorExpectation(t, c.Name, want, err)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want %v", err, c.Expect)
			}
			assertNoSecret(t, c.Name, "the printed TokenInfo", fmt.Sprintf("%v %+v %#v %s", info, info, info, info), secret)
			var env any
			if info.Environment != "" {
				env = info.Environment
			}
			got := map[string]any{"form": info.Form, "region": info.Region, "environment": env, "fingerprint": info.Fingerprint}
			for _, key := range sortedKeys(c.Expect) {
				gv, known := got[key]
				if !known {
					t.Errorf("unknown key %q in the expectation", key)
					continue
				}
				if w := mustDecode(t, c.Expect[key]); !jsonEqual(w, gv) {
					t.Errorf("%s = %s, want %s", key, show(gv), show(w))
				}
			}
		})
	}
	t.Logf("%d token vectors", len(file.Cases))
}

type lifecycleFile struct {
	Cases []struct {
		Name       string                     `json:"name"`
		Record     json.RawMessage            `json:"record"`
		RecordText *string                    `json:"record_text"`
		Event      json.RawMessage            `json:"event"`
		EventText  *string                    `json:"event_text"`
		Expect     map[string]json.RawMessage `json:"expect"`
	} `json:"cases"`
}

func TestLifecycleVectors(t *testing.T) {
	var file lifecycleFile
	readVectors(t, "lifecycle.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("lifecycle.json has no cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var record, event []byte
			switch {
			case c.RecordText != nil:
				record = []byte(*c.RecordText)
			case len(c.Record) > 0 && !bytes.Equal(bytes.TrimSpace(c.Record), []byte("null")):
				record = c.Record
			}
			switch {
			case c.EventText != nil:
				event = []byte(*c.EventText)
			default:
				event = c.Event
			}
			tr, err := ApplyEvent(record, event)
			if want, ok := c.Expect["error"]; ok {
				if err == nil {
					t.Fatalf("got %v, want error %s", tr, want)
				}
				checkErrorExpectation(t, c.Name, want, err)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a transition", err)
			}
			for _, key := range sortedKeys(c.Expect) {
				w := mustDecode(t, c.Expect[key])
				switch key {
				case "record":
					if g := mustDecode(t, tr.Record.Bytes()); !jsonEqual(w, g) {
						t.Errorf("record = %s\n  want %s", tr.Record.Bytes(), show(w))
					}
				case "changed":
					if !jsonEqual(w, tr.Changed) {
						t.Errorf("changed = %v, want %s", tr.Changed, show(w))
					}
				default:
					t.Errorf("unknown key %q in the expectation", key)
				}
			}
			// The record holds the token; printing the transition must not.
			var rec struct {
				CustomerToken string `json:"customer_token"`
			}
			_ = json.Unmarshal(tr.Record.Bytes(), &rec)
			if rec.CustomerToken != "" {
				assertNoSecret(t, c.Name, "the printed Transition",
					fmt.Sprintf("%v %+v %#v %s %q", tr, tr, tr, tr, tr), rec.CustomerToken)
			}
		})
	}
	t.Logf("%d lifecycle vectors", len(file.Cases))
}

type policiesFile struct {
	Cases []struct {
		Name       string                     `json:"name"`
		Policy     json.RawMessage            `json:"policy"`
		PolicyText *string                    `json:"policy_text"`
		Expect     map[string]json.RawMessage `json:"expect"`
	} `json:"cases"`
}

// digestProbe is a request that no policy needs more fields for
// (customer_present is true), to read the receipt's policy digest.
var digestProbe = []byte(`{"customer_present":true,"body":{}}`)

func TestPolicyVectors(t *testing.T) {
	var file policiesFile
	readVectors(t, "policies.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("policies.json has no cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			policy := []byte(c.Policy)
			if c.PolicyText != nil {
				policy = []byte(*c.PolicyText)
			}
			e, err := NewEngine(policy)
			if want, ok := c.Expect["error"]; ok {
				if err == nil {
					_ = e.Close()
					t.Fatalf("policy loaded, want error %s", want)
				}
				checkErrorExpectation(t, c.Name, want, err)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a loaded policy", err)
			}
			defer e.Close()
			d, err := e.Check(digestProbe)
			if err != nil {
				t.Fatalf("probe request: %v", err)
			}
			for _, key := range sortedKeys(c.Expect) {
				w := mustDecode(t, c.Expect[key])
				switch key {
				case "digest":
					if !jsonEqual(w, d.Receipt.PolicyDigest) {
						t.Errorf("digest = %s, want %s", d.Receipt.PolicyDigest, show(w))
					}
				default:
					t.Errorf("unknown key %q in the expectation", key)
				}
			}
		})
	}
	t.Logf("%d policy vectors", len(file.Cases))
}
