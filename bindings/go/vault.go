//go:build cgo

package ctpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The vault lint of docs/VAULT.md: stored token records checked one at a
// time, with duplicates found across everything fed to the same lint. The
// same lint as `ctpolicy vault lint`, Python's VaultLint and Java's
// VaultLint.

// VaultFinding is one finding of the vault lint (docs/VAULT.md V1). It
// never holds a token: only the token's sha256 fingerprint and, for
// REGION_NOT_ALLOWED, its region.
type VaultFinding struct {
	// Line is the 1-based position of the record among those fed to the
	// lint.
	Line uint64 `json:"line"`
	// Code is the finding's code, e.g. "DUPLICATE_TOKEN".
	Code string `json:"code"`
	// Severity is "error" or "warn".
	Severity string `json:"severity"`
	// Detail is a fixed word (a field name, a reader code, a TIMELINE
	// statement) or the token's region for REGION_NOT_ALLOWED; "" when the
	// finding has none.
	Detail string `json:"detail"`
	// Fingerprint is "sha256:…" of the record's customer_token when it is a
	// string, else "".
	Fingerprint string `json:"fingerprint"`
	// RelatedLine is the earlier record of a DUPLICATE_* finding, else 0.
	RelatedLine uint64 `json:"related_line"`
}

// IsError is true for an "error" finding (the command line exits 1 on any).
func (f VaultFinding) IsError() bool { return f.Severity == "error" }

// VaultOption is an option of NewVaultLint.
type VaultOption func(*vaultOptions)

type vaultOptions struct {
	now          string
	staleDays    int64 // -1: no STALE check
	shardIndex   uint64
	shardCount   uint64
	badStaleDays bool
}

// VaultNow is the instant FUTURE_TIMESTAMP and STALE are judged against,
// an RFC 3339 timestamp; without it those checks are left out. A bad
// timestamp makes NewVaultLint return an *Error with Code "INVALID_NOW".
func VaultNow(rfc3339 string) VaultOption { return func(o *vaultOptions) { o.now = rfc3339 } }

// VaultNowTime is VaultNow for a time.Time (at its full precision).
func VaultNowTime(t time.Time) VaultOption {
	return VaultNow(t.Format(time.RFC3339Nano))
}

// VaultStaleDays reports STALE for ACTIVE records unused for more than
// days days; it needs VaultNow (else NewVaultLint returns an *Error with
// Code "STALE_DAYS_NEED_NOW"). A negative days makes NewVaultLint return
// ErrStaleDaysNegative.
func VaultStaleDays(days int) VaultOption {
	return func(o *vaultOptions) {
		if days < 0 {
			o.badStaleDays = true
			return
		}
		o.staleDays = int64(days)
	}
}

// VaultShard makes the lint shard index of count independent lints
// (processes or machines that share nothing), each fed every record in
// order: it reports only the findings of its share and keeps only its
// share of the duplicate tables, and the count shards together report
// exactly what one lint reports (docs/VAULT.md V3). A finding's shard is
// that of the record's customer_token (shard 1 when it is not a string),
// except DUPLICATE_REFERENCE, which is that of its
// customer_token_reference; the shard of a string is 1 + (the first 8
// bytes of its SHA-256, big-endian) mod count. Out of range (1 <= index
// <= count) makes NewVaultLint return an *Error with Code "INVALID_SHARD".
func VaultShard(index, count uint64) VaultOption {
	return func(o *vaultOptions) { o.shardIndex, o.shardCount = index, count }
}

// ErrStaleDaysNegative: VaultStaleDays with a negative number of days.
var ErrStaleDaysNegative = errors.New("ctpolicy: NewVaultLint: stale days must be 0 or more")

// ErrVaultLintClosed: Feed or Lint on a VaultLint after Close.
var ErrVaultLintClosed = errors.New("ctpolicy: the vault lint is closed")

// VaultLint is a lint over one export of stored token records. It
// remembers every record fed (as keyed hashes, never tokens) to find
// duplicates: one lint per export. Calls are serialized (a lint reads one
// record at a time in order). Close it when done.
type VaultLint struct {
	mu         sync.Mutex
	native     nativeHandle[vaultHandle]
	fed        uint64
	shardIndex uint64
	shardCount uint64
}

// NewVaultLint builds a lint. policyJSON (nil for none) is loaded strictly
// as for NewEngine; only its allowed_regions is used (REGION_NOT_ALLOWED).
// A policy that does not load is an *Error with StatusInvalidPolicy; bad
// options are an *Error with StatusInvalidArgument and a Code
// ("INVALID_NOW", "STALE_DAYS_NEED_NOW", "INVALID_SHARD"), or
// ErrStaleDaysNegative.
func NewVaultLint(policyJSON []byte, opts ...VaultOption) (*VaultLint, error) {
	o := vaultOptions{staleDays: -1, shardIndex: 1, shardCount: 1}
	for _, opt := range opts {
		opt(&o)
	}
	if o.badStaleDays {
		return nil, ErrStaleDaysNegative
	}
	handle, status, errJSON := rawVaultNew(policyJSON, o.now, o.staleDays)
	if status != StatusOK {
		return nil, errorFromOutput(status, errJSON)
	}
	if o.shardIndex != 1 || o.shardCount != 1 {
		if status, errJSON := rawVaultSetShard(handle, o.shardIndex, o.shardCount); status != StatusOK {
			freeVault(handle)
			return nil, errorFromOutput(status, errJSON)
		}
	}
	l := &VaultLint{shardIndex: o.shardIndex, shardCount: o.shardCount}
	own(l, &l.native, handle, freeVault)
	return l, nil
}

// Feed lints the next record and returns its findings, in docs/VAULT.md
// V1 order (nil when there is none). record is one stored record as JSON,
// the bytes as stored: a record that is not a JSON object is a finding
// (RECORD_UNREADABLE), not an error.
func (l *VaultLint) Feed(record []byte) ([]VaultFinding, error) {
	if l == nil {
		return nil, ErrVaultLintClosed
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	handle, ok := l.native.get()
	if !ok {
		return nil, ErrVaultLintClosed
	}
	status, out := rawVaultFeed(handle, record)
	runtime.KeepAlive(l)
	if status != StatusOK {
		return nil, errorFromOutput(status, out)
	}
	l.fed++
	return decodeFindings(out)
}

// Lint feeds every record in order and returns all their findings.
func (l *VaultLint) Lint(records [][]byte) ([]VaultFinding, error) {
	var all []VaultFinding
	for _, record := range records {
		findings, err := l.Feed(record)
		if err != nil {
			return all, err
		}
		all = append(all, findings...)
	}
	return all, nil
}

// RecordsFed is how many records this lint has read.
func (l *VaultLint) RecordsFed() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fed
}

// Shard is (index, count) of this lint's shard; (1, 1) for a plain lint.
func (l *VaultLint) Shard() (index, count uint64) { return l.shardIndex, l.shardCount }

// Close releases the lint. A second Close does nothing.
func (l *VaultLint) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if handle, ok := l.native.release(); ok {
		freeVault(handle)
	}
	return nil
}

// String never shows a token: the lint's state only.
func (l *VaultLint) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.native.get(); !ok {
		return "ctpolicy.VaultLint{closed}"
	}
	return "ctpolicy.VaultLint{" + strconv.FormatUint(l.fed, 10) + " records fed}"
}

// decodeFindings reads the JSON Lines of ctp_vault_feed.
func decodeFindings(out []byte) ([]VaultFinding, error) {
	if len(out) == 0 {
		return nil, nil
	}
	var findings []VaultFinding
	for _, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		var wire struct {
			Line        *uint64 `json:"line"`
			Code        string  `json:"code"`
			Severity    string  `json:"severity"`
			Detail      *string `json:"detail"`
			Fingerprint *string `json:"fingerprint"`
			RelatedLine *uint64 `json:"related_line"`
		}
		if json.Unmarshal(line, &wire) != nil || wire.Line == nil || wire.Code == "" || wire.Severity == "" || *wire.Line == 0 {
			return nil, badOutput("a vault finding")
		}
		f := VaultFinding{Line: *wire.Line, Code: wire.Code, Severity: wire.Severity}
		if wire.Detail != nil {
			f.Detail = *wire.Detail
		}
		if wire.Fingerprint != nil {
			f.Fingerprint = *wire.Fingerprint
		}
		if wire.RelatedLine != nil {
			f.RelatedLine = *wire.RelatedLine
		}
		findings = append(findings, f)
	}
	return findings, nil
}
