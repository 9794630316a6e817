//go:build cgo

package ctpolicy

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// Every printed form of this package's types goes through the redaction
// (docs/HYGIENE.md H4): a token that a caller put where it does not belong (a
// currency, a scope, a header name, a decision_id, an object key) comes out
// as "[customer-token sha256:…]" under every fmt verb and slog handler.
// The types that hold a token on purpose (Charge, StoredRecord,
// Transition, RecordJSON) leave it out entirely (charge.go, types.go).

// formatRedacted prints v as fmt would for the verb and flags in f, then
// redacts the text. v must be a method-less copy of the caller's value
// (a local type), so that fmt does not call back into Format, and its
// text fields must be redacted already (the redacted* helpers): a verb
// such as %x or %q escapes or encodes the text before the final
// redaction could see it, so the fields are redacted as the caller gave
// them, first (docs/HYGIENE.md H4).
func formatRedacted(f fmt.State, verb rune, v any) {
	_, _ = io.WriteString(f, RedactString(fmt.Sprintf(fmt.FormatString(f, verb), v)))
}

// redactedViolations is vs with every text field redacted.
func redactedViolations(vs []Violation) []Violation {
	if vs == nil {
		return nil
	}
	out := make([]Violation, len(vs))
	for i, v := range vs {
		out[i] = v.redacted()
	}
	return out
}

// redacted is the violation with every text field redacted.
func (v Violation) redacted() Violation {
	return Violation{ID: v.ID, Code: RedactString(v.Code), Severity: RedactString(v.Severity),
		Message: RedactString(v.Message), Path: RedactString(v.Path), Detail: RedactString(v.Detail)}
}

// redacted is the receipt with every text field redacted.
func (r Receipt) redacted() Receipt {
	return Receipt{EngineVersion: RedactString(r.EngineVersion), PolicyDigest: RedactString(r.PolicyDigest),
		DecisionID: RedactString(r.DecisionID)}
}

// redacted is the token info with every text field redacted.
func (t TokenInfo) redacted() TokenInfo {
	return TokenInfo{Form: RedactString(t.Form), Region: RedactString(t.Region),
		Environment: RedactString(t.Environment), Fingerprint: RedactString(t.Fingerprint)}
}

// decisionFields is a Decision's printable form: its fields redacted, Raw
// as redacted text.
type decisionFields struct {
	Allowed       bool
	Decision      string
	RequiredScope string
	Violations    []Violation
	Warnings      []Violation
	Token         *TokenInfo
	Receipt       Receipt
	Raw           string
}

func (d Decision) printable() decisionFields {
	var token *TokenInfo
	if d.Token != nil {
		t := d.Token.redacted()
		token = &t
	}
	return decisionFields{d.Allowed, RedactString(d.Decision), RedactString(d.RequiredScope),
		redactedViolations(d.Violations), redactedViolations(d.Warnings), token, d.Receipt.redacted(),
		string(Redact(d.Raw))}
}

// Format prints the decision with Raw as text, redacted.
func (d Decision) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, d.printable())
}

// LogValue gives log/slog the decision's outcome, codes, fingerprint and
// receipt, redacted.
func (d Decision) LogValue() slog.Value {
	codes := func(vs []Violation) string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v.Code
		}
		return strings.Join(out, ",")
	}
	return slog.GroupValue(
		slog.String("decision", RedactString(d.Decision)),
		slog.String("violations", RedactString(codes(d.Violations))),
		slog.String("warnings", RedactString(codes(d.Warnings))),
		slog.String("fingerprint", RedactString(d.Fingerprint())),
		slog.String("decision_id", RedactString(d.Receipt.DecisionID)),
		slog.String("policy_digest", RedactString(d.Receipt.PolicyDigest)),
	)
}

// Format prints the violation, redacted (its Path may name a key).
func (v Violation) Format(f fmt.State, verb rune) {
	type plain Violation
	formatRedacted(f, verb, plain(v.redacted()))
}

// LogValue gives log/slog the violation, redacted.
func (v Violation) LogValue() slog.Value {
	r := v.redacted()
	return slog.GroupValue(slog.Int("id", r.ID), slog.String("code", r.Code), slog.String("severity", r.Severity),
		slog.String("path", r.Path), slog.String("message", r.Message), slog.String("detail", r.Detail))
}

// Format prints the receipt, redacted (DecisionID is the caller's).
func (r Receipt) Format(f fmt.State, verb rune) {
	type plain Receipt
	formatRedacted(f, verb, plain(r.redacted()))
}

// LogValue gives log/slog the receipt, redacted.
func (r Receipt) LogValue() slog.Value {
	c := r.redacted()
	return slog.GroupValue(slog.String("engine_version", c.EngineVersion), slog.String("policy_digest", c.PolicyDigest),
		slog.String("decision_id", c.DecisionID))
}

// MarshalJSON encodes the token info, redacted.
func (t TokenInfo) MarshalJSON() ([]byte, error) {
	type plain TokenInfo
	return marshalRedacted(plain(t.redacted()))
}

// redacted is the report with every text field redacted.
func (r LeakReport) redacted() LeakReport {
	c := r
	c.Fingerprint, c.Form, c.Region = RedactString(r.Fingerprint), RedactString(r.Form), RedactString(r.Region)
	return c
}

// Format prints the report, redacted (a report the library wrote holds no
// token; one a caller filled in may).
func (r LeakReport) Format(f fmt.State, verb rune) {
	type plain LeakReport
	formatRedacted(f, verb, plain(r.redacted()))
}

// LogValue gives log/slog the report, redacted.
func (r LeakReport) LogValue() slog.Value {
	c := r.redacted()
	return slog.GroupValue(slog.Int("line", c.Line), slog.Int("column", c.Column), slog.Int("length", c.Length),
		slog.String("fingerprint", c.Fingerprint), slog.Bool("well_formed", c.WellFormed),
		slog.String("form", c.Form), slog.String("region", c.Region))
}

// MarshalJSON encodes the report, redacted.
func (r LeakReport) MarshalJSON() ([]byte, error) {
	type plain LeakReport
	return marshalRedacted(plain(r.redacted()))
}

// redacted is the summary with every text field redacted.
func (s AuditSummary) redacted() AuditSummary {
	c := s
	c.FirstAt, c.LastAt, c.Head = RedactString(s.FirstAt), RedactString(s.LastAt), RedactString(s.Head)
	return c
}

// Format prints the summary, redacted.
func (s AuditSummary) Format(f fmt.State, verb rune) {
	type plain AuditSummary
	formatRedacted(f, verb, plain(s.redacted()))
}

// LogValue gives log/slog the summary, redacted.
func (s AuditSummary) LogValue() slog.Value {
	c := s.redacted()
	return slog.GroupValue(slog.Uint64("entries", c.Entries), slog.String("first_at", c.FirstAt),
		slog.String("last_at", c.LastAt), slog.Uint64("allow", c.Decisions.Allow),
		slog.Uint64("deny", c.Decisions.Deny), slog.Uint64("error", c.Decisions.Error), slog.String("head", c.Head))
}

// MarshalJSON encodes the summary, redacted.
func (s AuditSummary) MarshalJSON() ([]byte, error) {
	type plain AuditSummary
	return marshalRedacted(plain(s.redacted()))
}

// String prints the verdict: outcome, codes and fingerprint (the raw
// SHA-256, as hex), redacted.
func (v Verdict) String() string {
	fp := "-"
	if v.HasFingerprint {
		fp = v.FingerprintString()
	}
	return RedactString("Verdict{allowed=" + strconv.FormatBool(v.Allowed) + " violations=" +
		strings.Join(v.Codes(), ",") + " warnings=" + strings.Join(v.WarningCodes(), ",") + " fingerprint=" + fp + "}")
}

// GoString is String.
func (v Verdict) GoString() string { return v.String() }

// Format makes every fmt verb print String.
func (v Verdict) Format(f fmt.State, verb rune) { formatSafe(f, verb, v.String()) }

// LogValue gives log/slog the verdict's outcome, codes and fingerprint.
func (v Verdict) LogValue() slog.Value { return slog.StringValue(v.String()) }

// batchFields is a BatchResult's printable form: the decision redacted,
// the error as its redacted text (Err may be any error a caller put there).
type batchFields struct {
	Decision *decisionFields
	Err      string
}

func (b BatchResult) printable() batchFields {
	var out batchFields
	if b.Decision != nil {
		d := b.Decision.printable()
		out.Decision = &d
	}
	if b.Err != nil {
		out.Err = RedactString(b.Err.Error())
	}
	return out
}

// Format prints the result, redacted.
func (b BatchResult) Format(f fmt.State, verb rune) { formatRedacted(f, verb, b.printable()) }

// LogValue gives log/slog the decision or the error, redacted.
func (b BatchResult) LogValue() slog.Value {
	if b.Decision != nil {
		return b.Decision.LogValue()
	}
	p := b.printable()
	return slog.GroupValue(slog.String("error", p.Err))
}

// MarshalJSON encodes the decision or the error, redacted.
func (b BatchResult) MarshalJSON() ([]byte, error) {
	if b.Decision != nil {
		return b.Decision.MarshalJSON()
	}
	return marshalRedacted(struct {
		Error string `json:"error"`
	}{b.printable().Err})
}

// Format prints Error() for %v and %s, and the fields (raw object left
// out) for %#v, always redacted.
func (e *Error) Format(f fmt.State, verb rune) {
	if verb != 'v' || !f.Flag('#') {
		formatSafe(f, verb, e.Error())
		return
	}
	if e == nil {
		_, _ = io.WriteString(f, "(*ctpolicy.Error)(nil)")
		return
	}
	type plain struct {
		Status                      Status
		Code, Message, Path, Detail string
	}
	formatRedacted(f, verb, plain{e.Status, RedactString(e.Code), RedactString(e.Message), RedactString(e.Path),
		RedactString(e.Detail)})
}

// LogValue gives log/slog Error(), redacted.
func (e *Error) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// Format prints Error() for %v and %s, and the fields for %#v, redacted.
func (e *AuditError) Format(f fmt.State, verb rune) {
	if verb != 'v' || !f.Flag('#') || e == nil {
		formatSafe(f, verb, e.Error())
		return
	}
	type plain AuditError
	c := *e
	c.Code, c.Message = RedactString(e.Code), RedactString(e.Message)
	formatRedacted(f, verb, plain(c))
}

// LogValue gives log/slog Error(), redacted.
func (e *AuditError) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// MarshalJSON writes the decision as the library wrote it (Raw), redacted;
// a Decision not made by the library is encoded field by field, redacted.
func (d Decision) MarshalJSON() ([]byte, error) {
	if len(d.Raw) > 0 {
		return Redact(d.Raw), nil
	}
	type plain Decision
	c := d
	c.Decision, c.RequiredScope = RedactString(d.Decision), RedactString(d.RequiredScope)
	c.Violations, c.Warnings, c.Receipt = redactedViolations(d.Violations), redactedViolations(d.Warnings), d.Receipt.redacted()
	if d.Token != nil {
		t := d.Token.redacted()
		c.Token = &t
	}
	return marshalRedacted(plain(c))
}

// MarshalJSON encodes the violation, redacted.
func (v Violation) MarshalJSON() ([]byte, error) {
	type plain Violation
	return marshalRedacted(plain(v.redacted()))
}

// MarshalJSON encodes the receipt, redacted.
func (r Receipt) MarshalJSON() ([]byte, error) {
	type plain Receipt
	return marshalRedacted(plain(r.redacted()))
}

// MarshalJSON writes the library's error object, redacted, or the fields.
func (e *Error) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	if len(e.raw) > 0 {
		return Redact(e.raw), nil
	}
	type plain Error
	c := *e
	c.Code, c.Message, c.Path, c.Detail = RedactString(e.Code), RedactString(e.Message), RedactString(e.Path),
		RedactString(e.Detail)
	return marshalRedacted((*plain)(&c))
}

// marshalRedacted is json.Marshal of v, redacted. A replacement holds no
// quote or backslash, so the result stays valid JSON.
func marshalRedacted(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Redact(b), nil
}

// MarshalJSON encodes what LogValue shows: never the tokens or the key.
func (c Charge) MarshalJSON() ([]byte, error) {
	var record *StoredRecord
	if c.Record != nil {
		r := *c.Record
		record = &r
	}
	return marshalRedacted(struct {
		CustomerPresent bool          `json:"customer_present"`
		Token           string        `json:"token"`
		IdempotencyKey  string        `json:"idempotency_key"`
		Amount          int64         `json:"amount"`
		Currency        string        `json:"currency"`
		Record          *StoredRecord `json:"record"`
		Caller          string        `json:"caller,omitempty"`
	}{c.CustomerPresent, redacted(c.HasToken), redacted(c.HasIdempotencyKey), c.Amount, c.Currency, record, c.Caller})
}

// MarshalJSON encodes the record without its customer token.
func (r StoredRecord) MarshalJSON() ([]byte, error) {
	return marshalRedacted(struct {
		CustomerToken string   `json:"customer_token"`
		State         string   `json:"state"`
		Scopes        []string `json:"scopes"`
		Attempts      int      `json:"attempts,omitempty"`
	}{"<redacted>", r.State.String(), r.Scopes, len(r.Attempts)})
}

// MarshalJSON encodes the audit error, redacted.
func (e *AuditError) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	type plain AuditError
	c := *e
	c.Code, c.Message = RedactString(e.Code), RedactString(e.Message)
	return marshalRedacted(plain(c))
}

// redacted is the event with its text fields redacted.
func (e Event) redacted() Event { return Event{Type: RedactString(e.Type), At: RedactString(e.At)} }

// Format prints the event, redacted (a caller may build one by hand).
func (e Event) Format(f fmt.State, verb rune) {
	type plain Event
	formatRedacted(f, verb, plain(e.redacted()))
}

// LogValue gives log/slog the event, redacted.
func (e Event) LogValue() slog.Value {
	r := e.redacted()
	return slog.GroupValue(slog.String("type", r.Type), slog.String("at", r.At))
}

// MarshalJSON encodes the event, redacted.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return marshalRedacted(plain(e.redacted()))
}
