//go:build cgo

package ctpolicy

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

// Decision is the engine's answer to a pre-flight request (docs/RULES.md
// section 6). A DENY is a Decision, not an error.
type Decision struct {
	// Allowed is true exactly when Decision is "ALLOW" (no violations).
	Allowed bool `json:"-"`
	// Decision is "ALLOW" or "DENY".
	Decision string `json:"decision"`
	// RequiredScope is "payment:customer_present" or
	// "payment:customer_not_present".
	RequiredScope string `json:"required_scope"`
	// Violations are the deny hits, sorted by rule id; empty on ALLOW.
	Violations []Violation `json:"violations"`
	// Warnings are the warn hits, sorted by rule id.
	Warnings []Violation `json:"warnings"`
	// Token describes the customer-token header when it is a well-formed
	// token; nil otherwise. It never holds the token itself.
	Token *TokenInfo `json:"token"`
	// Receipt says which engine and policy decided, for the audit log.
	Receipt Receipt `json:"receipt"`
	// Raw is the decision exactly as the library wrote it.
	Raw json.RawMessage `json:"-"`
}

// Fingerprint is the fingerprint of the request's customer token
// ("sha256:" + hex, safe to log), or "" when the decision has none: no
// Klarna-Customer-Token header, a malformed token, a network session token
// or another KRN in its place (exactly the DENYs the engine is for), or a
// nil Decision. Read it instead of d.Token.Fingerprint, which panics on a
// nil Token.
func (d *Decision) Fingerprint() string {
	if d == nil || d.Token == nil {
		return ""
	}
	return d.Token.Fingerprint
}

// Violation is one rule hit, in Decision.Violations or Decision.Warnings.
type Violation struct {
	ID       int    `json:"id"`               // rule id, e.g. 301
	Code     string `json:"code"`             // e.g. CodeScopeMismatch
	Severity string `json:"severity"`         // effective severity: "deny" or "warn"
	Message  string `json:"message"`          // for people; may change between versions
	Path     string `json:"path"`             // JSON Pointer into the request
	Detail   string `json:"detail,omitempty"` // rules 101 and 204 only, else ""
}

// Receipt identifies what made a decision.
type Receipt struct {
	EngineVersion string `json:"engine_version"`
	PolicyDigest  string `json:"policy_digest"`
	// DecisionID echoes the request's decision_id; "" when it had none.
	DecisionID string `json:"decision_id"`
}

// TokenInfo describes a well-formed customer token: its form, region,
// environment and fingerprint. It never holds the token, and prints only
// these four fields.
type TokenInfo struct {
	Form        string `json:"form"`        // "network" or "identity"
	Region      string `json:"region"`      // e.g. "eu1"
	Environment string `json:"environment"` // "live" or "test" (identity form); "" for the network form
	// Fingerprint is "sha256:" + hex of SHA-256 over the exact header
	// bytes: stable across processes and languages, safe to log.
	Fingerprint string `json:"fingerprint"`
}

// String prints the four fields (there is no token in a TokenInfo to leak;
// the text goes through the redaction all the same).
func (t TokenInfo) String() string { return RedactString(t.text()) }

func (t TokenInfo) text() string {
	env := t.Environment
	if env == "" {
		env = "-"
	}
	return "TokenInfo{form=" + t.Form + " region=" + t.Region + " environment=" + env +
		" fingerprint=" + t.Fingerprint + "}"
}

// GoString is String, so %#v cannot show more than String does.
func (t TokenInfo) GoString() string { return t.String() }

// Format makes every fmt verb print String.
func (t TokenInfo) Format(f fmt.State, verb rune) { formatSafe(f, verb, t.String()) }

// LogValue gives log/slog the same four fields.
func (t TokenInfo) LogValue() slog.Value {
	r := t.redacted()
	return slog.GroupValue(
		slog.String("form", r.Form),
		slog.String("region", r.Region),
		slog.String("environment", r.Environment),
		slog.String("fingerprint", r.Fingerprint),
	)
}

// Transition is the result of ApplyEvent and ApplyResponse: the record to
// store, whether it changed, and (ApplyResponse only) the lifecycle events
// that were applied.
//
// Record holds customer_token verbatim (it is the partner's own stored
// data, the one text ctpolicy does not redact), so nothing prints it:
// Transition's and RecordJSON's String, GoString, Format, LogValue and
// MarshalJSON show only Changed and the record's size, and RecordJSON
// keeps its bytes behind a pointer, so even a Transition nested in an
// unexported field of another struct prints an address under %v or slog,
// never the record. Write Record.Bytes() to your store deliberately; do
// not log it.
//
// Record is empty (Len() == 0) when no record results: ApplyResponse for a
// one-time payment, or for an answer that creates nothing when no record
// was given. ApplyEvent always gives a record.
type Transition struct {
	Record  RecordJSON `json:"record"`
	Changed bool       `json:"changed"`
	// Events are the events ApplyResponse applied, in order (empty when
	// the answer implied none); nil for ApplyEvent.
	Events []Event `json:"events,omitempty"`
}

// Event is one lifecycle event that ApplyResponse applied: its type
// ("TOKENIZED", "CHARGED", "DECLINED") and instant (the at given, as
// given). It never holds the response, which holds the token.
type Event struct {
	Type string `json:"type"`
	At   string `json:"at"`
}

// String redacts the record, which holds the customer token.
func (t Transition) String() string {
	s := "Transition{changed=" + strconv.FormatBool(t.Changed) + " record=" + t.Record.String()
	if t.Events != nil {
		s += " events=["
		for i, e := range t.Events {
			if i > 0 {
				s += " "
			}
			s += e.Type + "@" + e.At
		}
		s += "]"
	}
	return RedactString(s + "}")
}

// GoString is String, so %#v cannot print the record.
func (t Transition) GoString() string { return t.String() }

// Format makes every fmt verb print String.
func (t Transition) Format(f fmt.State, verb rune) { formatSafe(f, verb, t.String()) }

// LogValue keeps the record out of log/slog output.
func (t Transition) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("changed", t.Changed),
		slog.String("record", t.Record.String()),
		slog.Int("events", len(t.Events)),
	)
}

// RecordJSON is the stored record as JSON, verbatim: it holds the
// customer token. Bytes gives the JSON to store; every printing and
// encoding method shows only its size.
type RecordJSON struct {
	b *[]byte // behind a pointer, so reflection-based printing shows an address
}

// Bytes is the record JSON to store, exactly as the library wrote it (it
// holds the customer token; the slice is the RecordJSON's own).
func (r RecordJSON) Bytes() []byte {
	if r.b == nil {
		return nil
	}
	return *r.b
}

// Len is the size of the record JSON in bytes.
func (r RecordJSON) Len() int { return len(r.Bytes()) }

// String shows only the size.
func (r RecordJSON) String() string { return "<redacted, " + strconv.Itoa(r.Len()) + " bytes>" }

// GoString is String.
func (r RecordJSON) GoString() string { return r.String() }

// Format makes every fmt verb print String.
func (r RecordJSON) Format(f fmt.State, verb rune) { formatSafe(f, verb, r.String()) }

// LogValue keeps the record out of log/slog output.
func (r RecordJSON) LogValue() slog.Value { return slog.StringValue(r.String()) }

// MarshalJSON writes String as a JSON string, so that encoding a struct
// that holds a Transition (slog's JSON handler does) never writes the
// token. Store Bytes(), not the encoding of a Transition.
func (r RecordJSON) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(r.String())), nil }

// UnmarshalJSON keeps a copy of the record JSON; null is no record
// (Len() == 0).
func (r *RecordJSON) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		r.b = nil
		return nil
	}
	b := append([]byte(nil), data...)
	r.b = &b
	return nil
}

// recordJSONOf wraps record bytes (nil or empty: no record).
func recordJSONOf(b []byte) RecordJSON {
	if len(b) == 0 {
		return RecordJSON{}
	}
	return RecordJSON{b: &b}
}

// formatSafe prints s for every verb (quoted for %q), never the fields.
func formatSafe(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}
