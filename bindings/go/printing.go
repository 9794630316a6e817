package ctpolicy

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Every printed form of this package's types goes through the redaction
// (hygiene.md H4): a token that a caller put where it does not belong (a
// currency, a scope, a header name, a decision_id, an object key) comes out
// as "[customer-token sha256:…]" under every fmt verb and slog handler.
// The types that hold a token on purpose (Charge, StoredRecord,
// Transition, RecordJSON) leave it out entirely (charge.go, types.go).

// formatRedacted prints v as fmt would for the verb and flags in f, then
// redacts the text. v must be a method-less copy of the caller's value
// (a local type), so that fmt does not call back into Format.
func formatRedacted(f fmt.State, verb rune, v any) {
	_, _ = io.WriteString(f, RedactString(fmt.Sprintf(fmt.FormatString(f, verb), v)))
}

// Format prints the decision with Raw as text, redacted.
func (d Decision) Format(f fmt.State, verb rune) {
	type plain struct {
		Allowed       bool
		Decision      string
		RequiredScope string
		Violations    []Violation
		Warnings      []Violation
		Token         *TokenInfo
		Receipt       Receipt
		Raw           string
	}
	formatRedacted(f, verb, plain{d.Allowed, d.Decision, d.RequiredScope, d.Violations, d.Warnings, d.Token, d.Receipt, string(d.Raw)})
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
		slog.String("decision", d.Decision),
		slog.String("violations", RedactString(codes(d.Violations))),
		slog.String("warnings", RedactString(codes(d.Warnings))),
		slog.String("fingerprint", d.Fingerprint()),
		slog.String("decision_id", RedactString(d.Receipt.DecisionID)),
		slog.String("policy_digest", d.Receipt.PolicyDigest),
	)
}

// Format prints the violation, redacted (its Path may name a key).
func (v Violation) Format(f fmt.State, verb rune) {
	type plain Violation
	formatRedacted(f, verb, plain(v))
}

// LogValue gives log/slog the violation, redacted.
func (v Violation) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("id", v.ID), slog.String("code", v.Code), slog.String("severity", v.Severity),
		slog.String("path", RedactString(v.Path)), slog.String("message", RedactString(v.Message)),
		slog.String("detail", RedactString(v.Detail)))
}

// Format prints the receipt, redacted (DecisionID is the caller's).
func (r Receipt) Format(f fmt.State, verb rune) {
	type plain Receipt
	formatRedacted(f, verb, plain(r))
}

// LogValue gives log/slog the receipt, redacted.
func (r Receipt) LogValue() slog.Value {
	return slog.GroupValue(slog.String("engine_version", r.EngineVersion), slog.String("policy_digest", r.PolicyDigest),
		slog.String("decision_id", RedactString(r.DecisionID)))
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
	formatRedacted(f, verb, plain{e.Status, e.Code, e.Message, e.Path, e.Detail})
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
	formatRedacted(f, verb, plain(*e))
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
	return marshalRedacted(plain(d))
}

// MarshalJSON encodes the violation, redacted.
func (v Violation) MarshalJSON() ([]byte, error) {
	type plain Violation
	return marshalRedacted(plain(v))
}

// MarshalJSON encodes the receipt, redacted.
func (r Receipt) MarshalJSON() ([]byte, error) {
	type plain Receipt
	return marshalRedacted(plain(r))
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
	return marshalRedacted((*plain)(e))
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
	return marshalRedacted((*plain)(e))
}
