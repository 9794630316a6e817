package ctpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// The leak doors of the second round (docs/HYGIENE.md H4 as amended): values
// of this package's types print redacted whatever a caller stored in
// their fields, under every verb, slog and json.Marshal; keys that JSON
// Pointer escaping takes past the matcher's limit; a token at the end of a
// run longer than the limit; a RedactingWriter shared by goroutines.

// everyVerb is every fmt verb and flag a logging call could use.
var everyVerb = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "% X", "%#x", "%+q", "%#q", "%10.3s", "%d"}

// leakPieces is every 8-byte piece of the id part of leakToken.
func leakPieces() []string {
	var out []string
	for i := 0; i+8 <= len(leakID); i++ {
		out = append(out, leakID[i:i+8])
	}
	return out
}

// leakedPiece is the first 8-byte piece of the token id in text, or "".
func leakedPiece(text string) string {
	for _, piece := range leakPieces() {
		if strings.Contains(text, piece) {
			return piece
		}
	}
	return ""
}

// everyText is every text v can be made into: every verb (alone, nested
// in an exported field, in a slice), the slog handlers with v as an
// attribute and nested, and json.Marshal.
func everyText(v any) map[string]string {
	out := map[string]string{}
	type exported struct{ V any }
	for _, verb := range everyVerb {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
		out["fmt "+verb+" exported field"] = fmt.Sprintf(verb, exported{v})
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
	if b, err := json.Marshal(v); err == nil {
		out["json.Marshal"] = string(b)
	} else {
		out["json.Marshal error"] = err.Error()
	}
	return out
}

// assertNoPiece fails for every text of v that holds any 8-byte piece of
// the token id.
func assertNoPiece(t *testing.T, what string, v any) {
	t.Helper()
	for form, text := range everyText(v) {
		if piece := leakedPiece(text); piece != "" {
			t.Errorf("%s: %s holds %q: %.300s", what, form, piece, text)
		}
	}
}

func TestLeakDoorsEveryValueTypeUnderEveryVerb(t *testing.T) {
	tok := leakToken
	violation := Violation{ID: 301, Code: tok, Severity: tok, Message: tok, Path: "/" + tok, Detail: tok}
	receipt := Receipt{EngineVersion: tok, PolicyDigest: tok, DecisionID: tok}
	info := TokenInfo{Form: tok, Region: tok, Environment: tok, Fingerprint: tok}
	decision := Decision{Decision: tok, RequiredScope: tok, Violations: []Violation{violation},
		Warnings: []Violation{violation}, Token: &info, Receipt: receipt}
	withRaw := decision
	withRaw.Raw = json.RawMessage(`{"decision":"` + tok + `"}`)
	report := LeakReport{Line: 1, Column: 1, Length: 1, Fingerprint: tok, Form: tok, Region: tok}
	summary := AuditSummary{FirstAt: tok, LastAt: tok, Head: tok}
	var verdict Verdict
	copy(verdict.Fingerprint[:], tok)
	verdict.HasFingerprint = true
	values := map[string]any{
		"Violation":             violation,
		"*Violation":            &violation,
		"Receipt":               receipt,
		"Receipt{DecisionID}":   Receipt{DecisionID: tok},
		"TokenInfo":             info,
		"*TokenInfo":            &info,
		"Decision":              decision,
		"*Decision":             &decision,
		"Decision with Raw":     withRaw,
		"LeakReport":            report,
		"LeakReport{Fp}":        LeakReport{Fingerprint: tok},
		"*LeakReport":           &report,
		"AuditSummary":          summary,
		"*AuditSummary":         &summary,
		"Verdict":               verdict,
		"*Verdict":              &verdict,
		"BatchResult decision":  BatchResult{Decision: &decision},
		"BatchResult error":     BatchResult{Err: errors.New(tok)},
		"BatchResult *Error":    BatchResult{Err: &Error{Status: StatusInvalidRequest, Code: tok, Message: tok, Path: tok}},
		"[]BatchResult":         []BatchResult{{Decision: &decision}, {Err: errors.New(tok)}},
		"*Error":                &Error{Status: StatusInvalidRequest, Code: tok, Message: tok, Path: tok, Detail: tok},
		"*AuditError":           &AuditError{Message: tok},
		"Transition":            Transition{},
		"Charge":                Charge{Token: tok, Currency: tok, IdempotencyKey: tok},
		"StoredRecord":          StoredRecord{CustomerToken: tok, Scopes: []string{tok}},
		"[]Violation":           []Violation{violation},
		"map of values":         map[string]any{"d": decision, "r": report, "s": summary},
		"encoded colons inside": Receipt{DecisionID: strings.ReplaceAll(tok, ":", "%3A")},
		"Event":                 Event{Type: tok, At: tok},
		"[]Event":               []Event{{Type: tok, At: tok}},
	}
	for what, v := range values {
		assertNoPiece(t, what, v)
	}
	// The redaction stands where the token stood (not a blank).
	if s := fmt.Sprintf("%v", LeakReport{Fingerprint: tok}); !strings.Contains(s, leakRedaction()) {
		t.Errorf("LeakReport %%v: %s", s)
	}
	if s := fmt.Sprintf("%x", Receipt{DecisionID: tok}); !strings.Contains(s, fmt.Sprintf("%x", leakRedaction())) {
		t.Errorf("Receipt %%x is not the hex of the redacted text: %s", s)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("d", "decision", decision)
	if !strings.Contains(buf.String(), leakRedaction()) {
		t.Errorf("Decision.LogValue: %s", buf.String())
	}
}

// longKeys are keys that JSON Pointer escaping (~ and /) takes past the
// matcher's 1 MiB limit; the binding's errors must hold no piece of the
// token, in any face of the error.
func longKeys() map[string]string {
	half := 524276
	return map[string]string{
		"tildes":         "krn:" + strings.Repeat("~", half) + leakToken,
		"slashes":        strings.Repeat("/", half) + leakToken,
		"near the limit": "krn:" + strings.Repeat("x", 1048576-2000) + ":" + leakToken,
	}
}

func TestLeakDoorsKeysThatEscapingLengthens(t *testing.T) {
	e := newTestEngine(t, "")
	body := `"body":{"currency":"EUR","request_payment_transaction":{"amount":1299}}`
	for name, key := range longKeys() {
		requests := map[string]string{
			"partner blob": `{"customer_present":false,"headers":{},"body":{"currency":"EUR","supplementary_purchase_data":{"` + key + `":{"a":1,"a":2}},"request_payment_transaction":{"amount":1299}}}`,
			"unknown key":  `{"customer_present":false,"` + key + `":1,"headers":{},` + body + `}`,
			"counters key": `{"customer_present":false,"headers":{},"counters":{"` + key + `":1},` + body + `}`,
			"header name":  `{"customer_present":false,"headers":{"` + key + `":5},` + body + `}`,
		}
		for door, request := range requests {
			_, err := e.Check([]byte(request))
			if err == nil {
				t.Fatalf("%s %s: decided", name, door)
			}
			if piece := leakedPiece(err.Error()); piece != "" {
				t.Errorf("%s %s: the error holds %q", name, door, piece)
			}
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(ce.Path, "[customer-token sha256:") {
				t.Errorf("%s %s: the path names no replacement", name, door)
			}
			assertNoPiece(t, name+" "+door, err)
			results, _, err := e.CheckMany([][]byte{[]byte(request)})
			if err != nil {
				t.Fatal(err)
			}
			assertNoPiece(t, name+" "+door+" CheckMany", results[0])
		}
		_, err := NewEngine([]byte(`{"severity":{"` + key + `":"warn"}}`))
		if err == nil {
			t.Fatalf("%s: a policy with an unknown key loaded", name)
		}
		assertNoPiece(t, name+" NewEngine", err)
		_, err = ApplyEvent(nil, []byte(`{"type":"REVOKED","`+key+`":{"a":1,"a":2}}`))
		if err == nil {
			t.Fatalf("%s: ApplyEvent took a duplicate key", name)
		}
		assertNoPiece(t, name+" ApplyEvent", err)
	}
}

// lineWithLongRun is `krn:` + 1,048,552 `x` + the token: the candidate at
// the first krn is cut by the limit inside the token.
func lineWithLongRun() string {
	return "krn:" + strings.Repeat("x", 1048552) + leakToken + " done\n"
}

func TestLeakDoorsTokenAtTheEndOfARunLongerThanTheLimit(t *testing.T) {
	line := lineWithLongRun()
	for what, out := range map[string]string{
		"Redact":       string(Redact([]byte(line))),
		"RedactString": RedactString(line),
	} {
		if piece := leakedPiece(out); piece != "" {
			t.Errorf("%s holds %q", what, piece)
		}
		if !strings.HasSuffix(out, "] done\n") || len(out) > 200 {
			t.Errorf("%s: the run is not one occurrence: %.200s", what, out)
		}
	}
	reports, err := Scan([]byte(line))
	if err != nil || len(reports) != 1 || reports[0].Length != len(line)-6 {
		t.Fatalf("Scan: %v %+v", err, reports)
	}
	// Through the writer, in pieces of every size class.
	for _, size := range []int{1, 7, 4096, 65536, 1 << 20} {
		var out bytes.Buffer
		w := NewRedactingWriter(&out)
		for i := 0; i < len(line); i += size {
			end := min(i+size, len(line))
			if _, err := w.Write([]byte(line[i:end])); err != nil {
				t.Fatal(err)
			}
			if size == 1 && i > 4096 {
				// Byte by byte through a MiB is slow: the rest in one write.
				if _, err := w.Write([]byte(line[end:])); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if piece := leakedPiece(out.String()); piece != "" || out.String() != RedactString(line) {
			t.Errorf("writer in %d-byte pieces: %q leaked or output differs", size, piece)
		}
	}
}

// A RedactingWriter shared by goroutines: writes are serialised (each is
// redacted and passed on whole), so whole-token writes never interleave
// into a leak and the race detector sees no data race.
func TestLeakDoorsRedactingWriterSharedByGoroutines(t *testing.T) {
	var out lockedBuffer
	w := NewRedactingWriter(&out)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := fmt.Fprintf(w, "goroutine %d line %d %s end\n", g, i, leakToken); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if piece := leakedPiece(text); piece != "" {
		t.Fatalf("the shared writer let %q out", piece)
	}
	if got := strings.Count(text, leakRedaction()); got != 8*200 {
		t.Fatalf("%d replacements, want %d", got, 8*200)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("a write after Close: %v", err)
	}
}

// lockedBuffer is an io.Writer that the race detector can watch.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*lockedBuffer)(nil)
