//go:build cgo

package ctpolicy

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// RecordState is the lifecycle state of a stored token record.
type RecordState uint32

// The states a stored record can be in (CTP_RECORD_ACTIVE, CTP_RECORD_REVOKED).
// The zero RecordState is not a state: CheckCharge returns
// ErrRecordStateUnset for a Record that has it.
const (
	RecordActive  RecordState = RecordState(recordActive)
	RecordRevoked RecordState = RecordState(recordRevoked)
)

// String is "ACTIVE", "REVOKED" or "RecordState(n)".
func (s RecordState) String() string {
	switch s {
	case RecordActive:
		return "ACTIVE"
	case RecordRevoked:
		return "REVOKED"
	}
	return "RecordState(" + strconv.FormatUint(uint64(s), 10) + ")"
}

// StoredRecord is what the partner stored for the token (the token_record
// of a JSON request). It holds the customer token, so it never prints it.
type StoredRecord struct {
	CustomerToken string      // the stored customer_token, verbatim
	State         RecordState // RecordActive or RecordRevoked
	// Scopes are the record's scopes as stored (e.g.
	// "payment:customer_not_present"); the engine judges them: none, both
	// payment scopes or a repeated one is rule 204, an unknown one rule 205.
	Scopes []string
	// LastUsedAt is the record's last_used_at; the zero Time means absent.
	LastUsedAt time.Time
	// Attempts are the record's attempts: the instants of earlier
	// authorization attempts with this token, as ApplyEvent and
	// ApplyResponse keep them. Rule 804 counts them when the charge has
	// neither Attempts24h nor Attempts30d. nil means the record has no
	// attempts field (no attempts known yet, as an empty list); times are
	// sent with millisecond precision, and one outside years 0001-9999
	// makes the record invalid (rule 204, detail TIMESTAMP).
	Attempts []time.Time
}

// Charge is a token charge in typed form, for CheckCharge: the fields of
// an authorizePayment call with a customer token, without JSON.
//
// It holds the customer token, so it never prints it: String, GoString,
// Format and LogValue leave out Token, IdempotencyKey and the record's
// token, and pass every other caller string through the redaction.
type Charge struct {
	// CustomerPresent: the customer is present (on-session).
	CustomerPresent bool
	// Token is the Klarna-Customer-Token header value, sent when HasToken
	// (so an empty header can be told from no header).
	Token    string
	HasToken bool
	// IdempotencyKey is the Klarna-Idempotency-Key header value, sent when
	// HasIdempotencyKey.
	IdempotencyKey    string
	HasIdempotencyKey bool
	// StepUp: a (well-formed) step_up_config is sent.
	StepUp bool
	// Amount of request_payment_transaction, in minor units (the engine
	// checks it: outside 1..2147483647 is rule 602).
	Amount int64
	// Currency is body.currency as sent; the engine checks it (anything
	// but three ASCII letters is rule 601, CURRENCY_INVALID).
	Currency string
	// Record is the stored token record; nil when none is stored.
	Record *StoredRecord
	// Now is the time of the charge; the zero Time means absent.
	Now time.Time
	// Attempts24h and Attempts30d are the earlier attempts with this token
	// (the request's counters); nil means absent. When both are nil, rule
	// 804 counts the record's Attempts instead.
	Attempts24h, Attempts30d *int64
	// Caller is the service making the charge (the request's caller),
	// checked against the policy's access; "" means absent. A value that
	// is not a caller name (1 to 255 characters, no control characters)
	// is the JSON path's INVALID_REQUEST error.
	Caller string
	// WantFingerprint: fill Verdict.Fingerprint for a well-formed token.
	WantFingerprint bool
}

// String shows the charge without the token, the record's token or the
// idempotency key; Currency and the scopes go through the redaction.
func (c Charge) String() string {
	var b strings.Builder
	b.WriteString("Charge{customer_present=")
	b.WriteString(strconv.FormatBool(c.CustomerPresent))
	b.WriteString(" token=")
	b.WriteString(redacted(c.HasToken))
	b.WriteString(" idempotency_key=")
	b.WriteString(redacted(c.HasIdempotencyKey))
	b.WriteString(" amount=")
	b.WriteString(strconv.FormatInt(c.Amount, 10))
	b.WriteString(" currency=")
	b.WriteString(strconv.Quote(RedactString(c.Currency))) // redacted before quoting escapes it
	if c.Caller != "" {
		b.WriteString(" caller=")
		b.WriteString(strconv.Quote(RedactString(c.Caller)))
	}
	b.WriteString(" record=")
	if c.Record == nil {
		b.WriteString("<none>")
	} else {
		b.WriteString(c.Record.text())
	}
	b.WriteString("}")
	return RedactString(b.String())
}

func redacted(present bool) string {
	if present {
		return "<redacted>"
	}
	return "<none>"
}

// GoString is String, so %#v cannot print the token.
func (c Charge) GoString() string { return c.String() }

// Format makes every fmt verb print String.
func (c Charge) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String()) }

// LogValue keeps the token out of log/slog output.
func (c Charge) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("customer_present", c.CustomerPresent),
		slog.String("token", redacted(c.HasToken)),
		slog.Int64("amount", c.Amount),
		slog.String("currency", RedactString(c.Currency)),
		slog.String("caller", RedactString(c.Caller)),
	)
}

// String shows the record without its customer token; the scopes go
// through the redaction.
func (r StoredRecord) String() string { return RedactString(r.text()) }

func (r StoredRecord) text() string {
	s := "StoredRecord{customer_token=<redacted> state=" + r.State.String() +
		" scopes=" + strconv.Quote(RedactString(strings.Join(r.Scopes, ","))) // redacted before quoting escapes it
	if r.Attempts != nil {
		s += " attempts=" + strconv.Itoa(len(r.Attempts))
	}
	return s + "}"
}

// GoString is String, so %#v cannot print the token.
func (r StoredRecord) GoString() string { return r.String() }

// Format makes every fmt verb print String.
func (r StoredRecord) Format(f fmt.State, verb rune) { formatSafe(f, verb, r.String()) }

// LogValue keeps the token out of log/slog output.
func (r StoredRecord) LogValue() slog.Value {
	return slog.GroupValue(slog.String("customer_token", "<redacted>"), slog.String("state", r.State.String()),
		slog.String("scopes", RedactString(strings.Join(r.Scopes, ","))))
}

// Verdict is CheckCharge's answer. It is a plain value (no pointers): the
// rule ids live in fixed arrays; Violations and Warnings return views of
// them. It never holds the token.
type Verdict struct {
	// Allowed is true when no deny rule fired.
	Allowed bool
	// HasFingerprint is true when Fingerprint holds the SHA-256 of the
	// token (Charge.WantFingerprint and a well-formed token).
	HasFingerprint bool
	// Fingerprint is the raw SHA-256 of the token header bytes; the
	// decision JSON's fingerprint is "sha256:" + its hex (FingerprintString).
	Fingerprint [32]byte

	numViolations, numWarnings uint8
	violations, warnings       [maxRules]uint16
}

// Violations are the ids of the deny hits, ascending (a view into v).
func (v *Verdict) Violations() []uint16 { return v.violations[:v.numViolations] }

// Warnings are the ids of the warn hits, ascending (a view into v).
func (v *Verdict) Warnings() []uint16 { return v.warnings[:v.numWarnings] }

// Codes are the reason codes of the violations only (the reasons for a
// DENY), in id order, e.g. ["SCOPE_MISMATCH"]; the same meaning as
// Python's Verdict.codes and Java's codes(). It allocates; Violations
// does not.
func (v *Verdict) Codes() []string { return codesOf(v.Violations()) }

// WarningCodes are the reason codes of the warnings, in id order.
func (v *Verdict) WarningCodes() []string { return codesOf(v.Warnings()) }

func codesOf(ids []uint16) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		code, ok := ruleCodes[int(id)]
		if !ok {
			code, ok = ReasonCode(int(id))
		}
		if !ok {
			code = strconv.Itoa(int(id))
		}
		out[i] = code
	}
	return out
}

// FingerprintString is the fingerprint as the JSON path writes it
// ("sha256:" + lowercase hex), or "" when there is none.
func (v *Verdict) FingerprintString() string {
	if !v.HasFingerprint {
		return ""
	}
	return "sha256:" + hex.EncodeToString(v.Fingerprint[:])
}

// CheckCharge decides a token charge given as fields (ctp_check_charge):
// exactly what Check answers for the equivalent JSON request (docs/ABI.md
// writes it out), without building JSON. The library judges every value:
// a currency "EU" is a DENY with CURRENCY_INVALID, as on the JSON path,
// not an error.
//
// A DENY is a Verdict with Allowed false and a nil error. An error means
// the engine could not decide (fail closed): the *Error the JSON path
// gives for the equivalent request (StatusInvalidRequest for a Now outside
// years 0001-9999, a negative counter, or a policy rule that needs Now or
// a counter the charge lacks; StatusInvalidUTF8 naming the field), an
// *Error with StatusInvalidArgument for a record State the library does not
// know, ErrRecordStateUnset for a Record whose State was never set,
// ErrNilCharge, or ErrClosed.
func (e *Engine) CheckCharge(c *Charge) (Verdict, error) {
	if c == nil {
		return Verdict{}, ErrNilCharge
	}
	if c.Record != nil && c.Record.State == 0 {
		// The C call reads state 0 as "no record": the record would be
		// dropped silently, so this misuse is the binding's to report.
		return Verdict{}, ErrRecordStateUnset
	}
	tc := typedChargeOf(c)
	// The lock is taken here rather than through e.use: a closure would
	// move the Verdict to the heap on every call.
	if e == nil {
		return Verdict{}, ErrClosed
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	handle, ok := e.native.get()
	if !ok {
		return Verdict{}, ErrClosed
	}
	v, readable, status, errJSON := rawCheckCharge(handle, &tc)
	runtime.KeepAlive(e)
	if status != StatusOK {
		return Verdict{}, errorFromOutput(status, errJSON)
	}
	if !readable {
		return Verdict{}, badOutput("a verdict")
	}
	return v, nil
}

// typedChargeOf maps a Charge to ctp_typed_charge's fields: presence
// flags and values, nothing judged.
func typedChargeOf(c *Charge) typedCharge {
	tc := typedCharge{currency: c.Currency, amount: c.Amount, recordState: recordNone}
	set := func(on bool, flag uint32) {
		if on {
			tc.flags |= flag
		}
	}
	set(c.CustomerPresent, chargeCustomerPresent)
	set(c.HasToken, chargeHasToken)
	set(c.HasIdempotencyKey, chargeHasKey)
	set(c.StepUp, chargeStepUp)
	set(c.WantFingerprint, chargeWantFingerprint)
	if c.HasToken {
		tc.token = c.Token
	}
	if c.HasIdempotencyKey {
		tc.idempotencyKey = c.IdempotencyKey
	}
	if c.Caller != "" {
		tc.flags |= chargeHasCaller
		tc.caller = c.Caller
	}
	if !c.Now.IsZero() {
		tc.flags |= chargeHasNow
		tc.nowMs = c.Now.UnixMilli()
	}
	if r := c.Record; r != nil {
		tc.recordState = uint32(r.State)
		tc.recordToken = r.CustomerToken
		tc.scopes = r.Scopes
		if !r.LastUsedAt.IsZero() {
			tc.flags |= chargeHasLastUsedAt
			tc.lastUsedAtMs = r.LastUsedAt.UnixMilli()
		}
		if r.Attempts != nil {
			tc.flags |= chargeHasAttempts
			tc.attemptsMs = make([]int64, len(r.Attempts))
			for i, at := range r.Attempts {
				tc.attemptsMs[i] = at.UnixMilli()
			}
		}
	}
	if c.Attempts24h != nil {
		tc.flags |= chargeHasAttempts24h
		tc.a24 = *c.Attempts24h
	}
	if c.Attempts30d != nil {
		tc.flags |= chargeHasAttempts30d
		tc.a30 = *c.Attempts30d
	}
	return tc
}
