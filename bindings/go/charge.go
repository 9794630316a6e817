package ctpolicy

/*
#include "ctpolicy_go.h"

// The result of ctpgo_check, returned by value so that the verdict is
// never a Go pointer handed to C (which would move it to the heap).
typedef struct ctpgo_result {
	uint32_t status;
	ctp_verdict verdict;
} ctpgo_result;

// ctpgo_check builds the ctp_charge on the C stack from scalar arguments
// and calls ctp_check. The three byte pointers may point into Go memory:
// they are passed as call arguments (cgo's rules allow a Go pointer to
// memory without Go pointers in it) and only read during the call, so no
// Go pointer is ever stored in C memory and nothing needs pinning.
static inline ctpgo_result ctpgo_check(const ctp_engine *engine,
		const uint8_t *token, size_t token_len,
		const uint8_t *record_token, size_t record_token_len,
		const uint8_t *idempotency_key, size_t idempotency_key_len,
		uint32_t flags, uint32_t record_state, uint32_t record_scopes,
		uint8_t c0, uint8_t c1, uint8_t c2,
		int64_t amount, int64_t now_ms, int64_t last_used_at_ms,
		int64_t attempts_24h, int64_t attempts_30d) {
	ctp_charge c = {0};
	c.token = token;
	c.token_len = token_len;
	c.record_token = record_token;
	c.record_token_len = record_token_len;
	c.idempotency_key = idempotency_key;
	c.idempotency_key_len = idempotency_key_len;
	c.flags = flags;
	c.record_state = record_state;
	c.record_scopes = record_scopes;
	c.currency[0] = c0;
	c.currency[1] = c1;
	c.currency[2] = c2;
	c.amount = amount;
	c.now_ms = now_ms;
	c.last_used_at_ms = last_used_at_ms;
	c.attempts_24h = attempts_24h;
	c.attempts_30d = attempts_30d;
	ctpgo_result r;
	r.verdict.violation_count = 0;
	r.verdict.warning_count = 0;
	r.status = ctp_check(engine, &c, &r.verdict);
	return r;
}
*/
import "C"

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ScopeSet is the set of scopes a stored token record holds, as bits.
type ScopeSet uint32

// The ScopeSet constants (the CTP_SCOPE_* bits) are generated into
// tables_gen.go (`make tables`).

// Has reports whether every bit of t is in s.
func (s ScopeSet) Has(t ScopeSet) bool { return s&t == t }

// RecordState is the lifecycle state of a stored token record.
type RecordState uint32

// The states a stored record can be in (CTP_RECORD_ACTIVE, CTP_RECORD_REVOKED).
// The zero RecordState is not a state: CheckCharge rejects it.
const (
	RecordActive  RecordState = 1
	RecordRevoked RecordState = 2
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
	Scopes        ScopeSet
	// LastUsedAt is the record's last_used_at; the zero Time means absent.
	LastUsedAt time.Time
}

// Charge is a token charge in typed form, for CheckCharge: the fields of
// an authorizePayment call with a customer token, without JSON.
//
// It holds the customer token, so it never prints it: String, GoString,
// Format and LogValue redact Token, IdempotencyKey and the record's token.
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
	// Amount of request_payment_transaction, in minor units.
	Amount int64
	// Currency is the ISO 4217 code as sent: exactly three bytes (the
	// engine checks that they are three upper-case letters).
	Currency string
	// Record is the stored token record; nil when none is stored.
	Record *StoredRecord
	// Now is the time of the charge; the zero Time means absent.
	Now time.Time
	// Attempts24h and Attempts30d are the earlier attempts with this token
	// (the request's counters); nil means absent.
	Attempts24h, Attempts30d *int64
	// WantFingerprint: fill Verdict.Fingerprint for a well-formed token.
	WantFingerprint bool
}

// String shows the charge without the token, the record's token or the
// idempotency key.
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
	b.WriteString(strconv.Quote(c.Currency))
	b.WriteString(" record=")
	if c.Record == nil {
		b.WriteString("<none>")
	} else {
		b.WriteString(c.Record.String())
	}
	b.WriteString("}")
	return b.String()
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
		slog.String("currency", c.Currency),
	)
}

// String shows the record without its customer token.
func (r StoredRecord) String() string {
	return "StoredRecord{customer_token=<redacted> state=" + r.State.String() +
		" scopes=" + strconv.FormatUint(uint64(r.Scopes), 10) + "}"
}

// GoString is String, so %#v cannot print the token.
func (r StoredRecord) GoString() string { return r.String() }

// Format makes every fmt verb print String.
func (r StoredRecord) Format(f fmt.State, verb rune) { formatSafe(f, verb, r.String()) }

// LogValue keeps the token out of log/slog output.
func (r StoredRecord) LogValue() slog.Value {
	return slog.GroupValue(slog.String("customer_token", "<redacted>"), slog.String("state", r.State.String()))
}

// maxRules is CTP_MAX_RULES, the room for rule ids in a verdict list.
const maxRules = int(C.CTP_MAX_RULES)

// Verdict is CheckCharge's answer. It is a plain value (no pointers, no
// allocation): the rule ids live in fixed arrays; Violations and Warnings
// return views of them. It never holds the token.
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

// Codes are the reason codes of the violations, in id order (e.g.
// ["SCOPE_MISMATCH"]). It allocates; Violations does not.
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

// Flags of ctp_charge (the CTP_CHARGE_* bits).
const (
	chargeCustomerPresent  = uint32(C.CTP_CHARGE_CUSTOMER_PRESENT)
	chargeHasToken         = uint32(C.CTP_CHARGE_HAS_TOKEN)
	chargeHasKey           = uint32(C.CTP_CHARGE_HAS_IDEMPOTENCY_KEY)
	chargeStepUp           = uint32(C.CTP_CHARGE_STEP_UP)
	chargeHasNow           = uint32(C.CTP_CHARGE_HAS_NOW)
	chargeHasLastUsedAt    = uint32(C.CTP_CHARGE_HAS_LAST_USED_AT)
	chargeHasAttempts24h   = uint32(C.CTP_CHARGE_HAS_ATTEMPTS_24H)
	chargeHasAttempts30d   = uint32(C.CTP_CHARGE_HAS_ATTEMPTS_30D)
	chargeWantFingerprint  = uint32(C.CTP_CHARGE_WANT_FINGERPRINT)
	recordStateNone        = uint32(C.CTP_RECORD_NONE)
	recordStateActiveC     = uint32(C.CTP_RECORD_ACTIVE)
	recordStateRevokedC    = uint32(C.CTP_RECORD_REVOKED)
	verdictViolationsRoom  = len(C.ctp_verdict{}.violations)
	verdictFingerprintRoom = len(C.ctp_verdict{}.fingerprint)
)

// The Go constants must be the C ones (the header does not export the
// scope bits, so they are checked against the library in the tests).
var _ = [1]struct{}{}[verdictViolationsRoom-maxRules]
var _ = [1]struct{}{}[verdictFingerprintRoom-32]
var _ = [1]struct{}{}[recordStateActiveC-uint32(RecordActive)]
var _ = [1]struct{}{}[recordStateRevokedC-uint32(RecordRevoked)]

// CheckCharge decides a token charge given as fields: the typed fast path
// (ctp_check). It runs the same rules over the same facts as Check on the
// equivalent JSON request (README.md shows the mapping) and returns the
// same violation and warning ids, but builds no JSON, message or path, and
// allocates nothing on the way to a verdict.
//
// Rules a typed charge cannot express never fire here: 403, 501–508, 603,
// 604, 605 and 703; 204 fires only for the record's scopes (none or both
// payment scopes).
//
// A DENY is a Verdict with Allowed false and a nil error. An *Error means
// the engine could not decide (fail closed): StatusInvalidArgument for a
// charge that cannot be a request (Currency not three bytes, an unknown
// record state or scope bit, a time outside years 0001–9999, a nil
// charge, a closed engine); StatusInvalidRequest for a negative counter
// (Code CodeInvalidValue) or when a policy rule needs Now or a counter the
// charge lacks (Code CodeNeededByRule, with the path and message Check
// gives).
func (e *Engine) CheckCharge(c *Charge) (Verdict, error) {
	if abiError != nil {
		return Verdict{}, abiError
	}
	if e == nil {
		return Verdict{}, closedError()
	}
	if c == nil {
		return Verdict{}, newError(StatusInvalidArgument, "", "CheckCharge: the charge is nil")
	}
	if len(c.Currency) != 3 {
		return Verdict{}, newError(StatusInvalidArgument, "", "CheckCharge: Currency must be exactly three bytes, got "+strconv.Itoa(len(c.Currency)))
	}
	if err := checkCounter(c.Attempts24h, "attempts_24h"); err != nil {
		return Verdict{}, err
	}
	if err := checkCounter(c.Attempts30d, "attempts_30d"); err != nil {
		return Verdict{}, err
	}
	var flags uint32
	if c.CustomerPresent {
		flags |= chargeCustomerPresent
	}
	var token, key, recordToken string
	if c.HasToken {
		flags |= chargeHasToken
		token = c.Token
	}
	if c.HasIdempotencyKey {
		flags |= chargeHasKey
		key = c.IdempotencyKey
	}
	if c.StepUp {
		flags |= chargeStepUp
	}
	if c.WantFingerprint {
		flags |= chargeWantFingerprint
	}
	var nowMs, lastUsedMs, a24, a30 int64
	if !c.Now.IsZero() {
		flags |= chargeHasNow
		nowMs = c.Now.UnixMilli()
	}
	state, scopes := recordStateNone, uint32(0)
	if r := c.Record; r != nil {
		switch r.State {
		case RecordActive, RecordRevoked:
			state = uint32(r.State)
		default:
			return Verdict{}, newError(StatusInvalidArgument, "", "CheckCharge: Record.State must be RecordActive or RecordRevoked")
		}
		recordToken = r.CustomerToken
		scopes = uint32(r.Scopes)
		if !r.LastUsedAt.IsZero() {
			flags |= chargeHasLastUsedAt
			lastUsedMs = r.LastUsedAt.UnixMilli()
		}
	}
	if c.Attempts24h != nil {
		flags |= chargeHasAttempts24h
		a24 = *c.Attempts24h
	}
	if c.Attempts30d != nil {
		flags |= chargeHasAttempts30d
		a30 = *c.Attempts30d
	}

	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.handle == nil {
		return Verdict{}, closedError()
	}
	r := C.ctpgo_check(e.handle,
		stringPtr(token), C.size_t(len(token)),
		stringPtr(recordToken), C.size_t(len(recordToken)),
		stringPtr(key), C.size_t(len(key)),
		C.uint32_t(flags), C.uint32_t(state), C.uint32_t(scopes),
		C.uint8_t(c.Currency[0]), C.uint8_t(c.Currency[1]), C.uint8_t(c.Currency[2]),
		C.int64_t(c.Amount), C.int64_t(nowMs), C.int64_t(lastUsedMs), C.int64_t(a24), C.int64_t(a30))
	// The handle belongs to e: keep e (and so its cleanup) alive until the
	// library is done with it.
	runtime.KeepAlive(e)
	status := Status(r.status)
	if status != StatusOK {
		return Verdict{}, e.chargeErrorLocked(status, c)
	}
	nv, nw := int(r.verdict.violation_count), int(r.verdict.warning_count)
	if nv > maxRules || nw > maxRules || (r.verdict.allowed != 0) != (nv == 0) {
		return Verdict{}, newError(StatusPanic, CodeBadOutput, "the library returned a verdict this binding cannot read")
	}
	v := Verdict{
		Allowed:        r.verdict.allowed != 0,
		HasFingerprint: r.verdict.has_fingerprint != 0,
		numViolations:  uint8(nv),
		numWarnings:    uint8(nw),
	}
	if v.HasFingerprint {
		v.Fingerprint = *(*[32]byte)(unsafe.Pointer(&r.verdict.fingerprint))
	}
	v.violations = *(*[maxRules]uint16)(unsafe.Pointer(&r.verdict.violations))
	v.warnings = *(*[maxRules]uint16)(unsafe.Pointer(&r.verdict.warnings))
	return v, nil
}

// checkCounter rejects a negative counter the way Check does.
func checkCounter(n *int64, name string) error {
	if n == nil || *n >= 0 {
		return nil
	}
	return &Error{Status: StatusInvalidRequest, Code: CodeInvalidValue,
		Message: "an attempt counter must not be negative", Path: "/counters/" + name}
}

// chargeErrorLocked is the *Error of a failed ctp_check. The typed path
// says only the status; for StatusInvalidRequest the JSON path on the
// equivalent request names the rule's need (code, path, message). The
// caller holds e.mu for reading.
func (e *Engine) chargeErrorLocked(status Status, c *Charge) error {
	if status == StatusInvalidRequest {
		if request, ok := chargeRequestJSON(c); ok {
			if _, err := e.checkLocked(request); err != nil {
				if ce, ok := err.(*Error); ok && ce.Status == StatusInvalidRequest {
					return ce
				}
			}
		}
		return newError(StatusInvalidRequest, CodeNeededByRule,
			"a policy rule needs Now or an attempt counter that the charge lacks")
	}
	if status == StatusInvalidArgument {
		return newError(StatusInvalidArgument, "",
			"CheckCharge: the charge is not valid (a time outside years 0001-9999, or an unknown scope bit)")
	}
	return newError(status, "", "ctp_check failed with "+status.String())
}

// unknownScopeName stands for ScopeUnknown in the equivalent JSON request.
const unknownScopeName = "payment:unknown_scope"

// chargeRequestJSON is the JSON request equivalent to a charge (the
// mapping of docs/ABI.md, "The typed fast path"); ok is false when a
// string is not valid UTF-8 (no JSON request can carry it) or the currency
// is not three bytes.
func chargeRequestJSON(c *Charge) (request []byte, ok bool) {
	if len(c.Currency) != 3 {
		return nil, false
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"customer_present":`...)
	b = strconv.AppendBool(b, c.CustomerPresent)
	b = append(b, `,"headers":{`...)
	sep := ""
	if c.HasToken {
		b = append(b, `"Klarna-Customer-Token":`...)
		if b, ok = appendJSONString(b, c.Token); !ok {
			return nil, false
		}
		sep = ","
	}
	if c.HasIdempotencyKey {
		b = append(b, sep...)
		b = append(b, `"Klarna-Idempotency-Key":`...)
		if b, ok = appendJSONString(b, c.IdempotencyKey); !ok {
			return nil, false
		}
	}
	b = append(b, `},"body":{"currency":`...)
	if b, ok = appendJSONString(b, c.Currency); !ok {
		return nil, false
	}
	b = append(b, `,"request_payment_transaction":{"amount":`...)
	b = strconv.AppendInt(b, c.Amount, 10)
	b = append(b, '}')
	if c.StepUp {
		b = append(b, `,"step_up_config":{}`...)
	}
	b = append(b, '}')
	if r := c.Record; r != nil {
		b = append(b, `,"token_record":{"customer_token":`...)
		if b, ok = appendJSONString(b, r.CustomerToken); !ok {
			return nil, false
		}
		b = append(b, `,"state":"`...)
		b = append(b, r.State.String()...)
		b = append(b, `","scopes":[`...)
		var names []string
		for _, s := range []struct {
			bit  ScopeSet
			name string
		}{{ScopeCustomerPresent, "payment:customer_present"}, {ScopeCustomerNotPresent, "payment:customer_not_present"},
			{ScopeCustomerLogin, "customer:login"}, {ScopeUnknown, unknownScopeName}} {
			if r.Scopes.Has(s.bit) {
				names = append(names, `"`+s.name+`"`)
			}
		}
		b = append(b, strings.Join(names, ",")...)
		b = append(b, ']')
		if !r.LastUsedAt.IsZero() {
			b = append(b, `,"last_used_at":"`...)
			b = appendTimestamp(b, r.LastUsedAt)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	if !c.Now.IsZero() {
		b = append(b, `,"now":"`...)
		b = appendTimestamp(b, c.Now)
		b = append(b, '"')
	}
	if c.Attempts24h != nil || c.Attempts30d != nil {
		b = append(b, `,"counters":{`...)
		if c.Attempts24h != nil {
			b = append(b, `"attempts_24h":`...)
			b = strconv.AppendInt(b, *c.Attempts24h, 10)
		}
		if c.Attempts30d != nil {
			if c.Attempts24h != nil {
				b = append(b, ',')
			}
			b = append(b, `"attempts_30d":`...)
			b = strconv.AppendInt(b, *c.Attempts30d, 10)
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	return b, true
}

// appendTimestamp writes t as RFC 3339 in UTC with milliseconds, the
// precision of the typed path.
func appendTimestamp(b []byte, t time.Time) []byte {
	return time.UnixMilli(t.UnixMilli()).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// appendJSONString appends s as a JSON string, escaping only what JSON
// requires (so the engine sees the same bytes); ok is false when s is not
// valid UTF-8.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			b = append(b, s[i:i+size]...)
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"'), true
}
