//go:build cgo

package ctpolicy

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// vaultFile is one export of a vault vector: text, or base64 for bytes
// that are not UTF-8.
type vaultFile struct {
	Name   string  `json:"name"`
	Text   *string `json:"text"`
	Base64 *string `json:"base64"`
}

// vaultExpected is a finding as the command line prints it (docs/VAULT.md
// V2): with the file names, and lines counted per file.
type vaultExpected struct {
	File        string  `json:"file"`
	Line        uint64  `json:"line"`
	Code        string  `json:"code"`
	Severity    string  `json:"severity"`
	Detail      *string `json:"detail"`
	Fingerprint *string `json:"fingerprint"`
	RelatedLine *uint64 `json:"related_line"`
	RelatedFile *string `json:"related_file"`
}

type vaultCase struct {
	Name    string `json:"name"`
	Options struct {
		Policy    json.RawMessage `json:"policy"`
		Now       *string         `json:"now"`
		StaleDays *int            `json:"stale_days"`
	} `json:"options"`
	Files    []vaultFile     `json:"files"`
	Findings []vaultExpected `json:"findings"`
}

// vaultRecord is one record of an export with its place in the file.
type vaultRecord struct {
	file   string
	number uint64
	data   []byte
}

// exportRecords are the non-blank lines with their 1-based numbers (LF
// ends a line; a line of only spaces, tabs and CR is blank).
func exportRecords(name string, data []byte) []vaultRecord {
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	var out []vaultRecord
	for i, line := range lines {
		if len(bytes.Trim(line, " \t\r")) > 0 {
			out = append(out, vaultRecord{name, uint64(i + 1), line})
		}
	}
	return out
}

func (c *vaultCase) options(t *testing.T) ([]byte, []VaultOption) {
	t.Helper()
	var policy []byte
	if len(c.Options.Policy) > 0 && string(c.Options.Policy) != "null" {
		policy = c.Options.Policy
	}
	var opts []VaultOption
	if c.Options.Now != nil {
		opts = append(opts, VaultNow(*c.Options.Now))
	}
	if c.Options.StaleDays != nil {
		opts = append(opts, VaultStaleDays(*c.Options.StaleDays))
	}
	return policy, opts
}

// TestVaultVectors runs every case of tests/vectors/vault.json, as the
// Python binding's runner does: each file's records fed in order to one
// lint, findings mapped back to file and line.
func TestVaultVectors(t *testing.T) {
	var file struct {
		Cases []vaultCase `json:"cases"`
	}
	readVectors(t, "vault.json", &file)
	if len(file.Cases) < 30 {
		t.Fatalf("only %d vault vectors", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			policy, opts := c.options(t)
			lint, err := NewVaultLint(policy, opts...)
			if err != nil {
				t.Fatalf("NewVaultLint: %v", err)
			}
			defer lint.Close()
			var fed []vaultRecord
			got := []vaultExpected{}
			for _, f := range c.Files {
				data := []byte(nil)
				if f.Text != nil {
					data = []byte(*f.Text)
				} else {
					decoded, err := base64.StdEncoding.DecodeString(*f.Base64)
					if err != nil {
						t.Fatal(err)
					}
					data = decoded
				}
				for _, record := range exportRecords(f.Name, data) {
					fed = append(fed, record)
					findings, err := lint.Feed(record.data)
					if err != nil {
						t.Fatalf("Feed: %v", err)
					}
					for _, finding := range findings {
						if finding.Line != uint64(len(fed)) {
							t.Fatalf("finding line %d, record %d", finding.Line, len(fed))
						}
						got = append(got, cliView(finding, fed))
					}
				}
			}
			if lint.RecordsFed() != uint64(len(fed)) {
				t.Errorf("RecordsFed = %d, fed %d", lint.RecordsFed(), len(fed))
			}
			if want, have := mustJSON(t, c.Findings), mustJSON(t, got); want != have {
				t.Errorf("findings:\nwant %s\ngot  %s", want, have)
			}
		})
	}
}

// cliView is a finding as the command line prints it.
func cliView(f VaultFinding, fed []vaultRecord) vaultExpected {
	record := fed[f.Line-1]
	out := vaultExpected{File: record.file, Line: record.number, Code: f.Code, Severity: f.Severity}
	if f.Detail != "" {
		out.Detail = &f.Detail
	}
	if f.Fingerprint != "" {
		out.Fingerprint = &f.Fingerprint
	}
	if f.RelatedLine != 0 {
		related := fed[f.RelatedLine-1]
		out.RelatedLine, out.RelatedFile = &related.number, &related.file
	}
	return out
}

const goodRecord = `{"customer_token":"krn:customer-token:eu1:abcdef12","customer_token_reference":"r1",` +
	`"scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_id":"c1"}`

func TestVaultFeedFindsDuplicatesAndUnreadableRecords(t *testing.T) {
	lint, err := NewVaultLint(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lint.Close()
	findings, err := lint.Lint([][]byte{[]byte(goodRecord), []byte(goodRecord), {0xff}})
	if err != nil {
		t.Fatal(err)
	}
	want := []VaultFinding{
		{Line: 2, Code: "DUPLICATE_TOKEN", Severity: "error", Fingerprint: findings[0].Fingerprint, RelatedLine: 1},
		{Line: 3, Code: "RECORD_UNREADABLE", Severity: "error", Detail: "INVALID_UTF8"},
	}
	if fmt.Sprint(findings) != fmt.Sprint(want) || !strings.HasPrefix(findings[0].Fingerprint, "sha256:") {
		t.Fatalf("findings %+v", findings)
	}
	if !findings[0].IsError() || lint.RecordsFed() != 3 {
		t.Fatalf("IsError %v, RecordsFed %d", findings[0].IsError(), lint.RecordsFed())
	}
	if s := fmt.Sprintf("%v %+v", lint, findings); strings.Contains(s, "abcdef12") {
		t.Fatalf("a token in %s", s)
	}
}

func TestVaultTimeOptions(t *testing.T) {
	broken := strings.Replace(strings.Replace(goodRecord, `abcdef12"`, `abcdef12\n"`, 1), `"r1"`, `"r2"`, 1)
	lint, err := NewVaultLint(nil, VaultNow("2026-11-30T00:00:00Z"), VaultStaleDays(30))
	if err != nil {
		t.Fatal(err)
	}
	defer lint.Close()
	findings, err := lint.Lint([][]byte{[]byte(goodRecord), []byte(broken), []byte("[]")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, fmt.Sprintf("%d %s %s", f.Line, f.Code, f.Detail))
	}
	want := []string{"1 STALE ", "2 TOKEN_MALFORMED INVALID_CHARACTER", "2 STALE ", "3 RECORD_UNREADABLE NOT_AN_OBJECT"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
}

func TestVaultBadOptionsAreErrorsThatNeverEchoTheValue(t *testing.T) {
	_, err := NewVaultLint([]byte(`{"allowed_region":["eu1"]}`))
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusInvalidPolicy || e.Code != "UNKNOWN_FIELD" {
		t.Fatalf("policy: %v", err)
	}
	_, err = NewVaultLint(nil, VaultNow("krn:customer-token:eu1:secret77"))
	if !errors.As(err, &e) || e.Code != "INVALID_NOW" || strings.Contains(err.Error(), "secret77") {
		t.Fatalf("now: %v", err)
	}
	_, err = NewVaultLint(nil, VaultStaleDays(3))
	if !errors.As(err, &e) || e.Code != "STALE_DAYS_NEED_NOW" {
		t.Fatalf("stale days: %v", err)
	}
	if _, err = NewVaultLint(nil, VaultNow("2026-11-30T00:00:00Z"), VaultStaleDays(-1)); !errors.Is(err, ErrStaleDaysNegative) {
		t.Fatalf("negative stale days: %v", err)
	}
	for _, shard := range [][2]uint64{{0, 3}, {4, 3}, {1, 0}} {
		_, err = NewVaultLint(nil, VaultShard(shard[0], shard[1]))
		if !errors.As(err, &e) || e.Status != StatusInvalidArgument || e.Code != "INVALID_SHARD" {
			t.Fatalf("shard %v: %v", shard, err)
		}
	}
}

func TestVaultClosedLintRefusesToFeed(t *testing.T) {
	lint, err := NewVaultLint(nil)
	if err != nil {
		t.Fatal(err)
	}
	if lint.Close() != nil || lint.Close() != nil {
		t.Fatal("Close failed")
	}
	if _, err := lint.Feed([]byte(goodRecord)); !errors.Is(err, ErrVaultLintClosed) {
		t.Fatalf("Feed after Close: %v", err)
	}
	if !strings.Contains(lint.String(), "closed") {
		t.Fatalf("String: %s", lint)
	}
}

func shardOf(text string, count uint64) uint64 {
	sum := sha256.Sum256([]byte(text))
	return 1 + binary.BigEndian.Uint64(sum[:8])%count
}

// shardRecords are 400 records with duplicate tokens, duplicate
// references, non-string tokens and unreadable lines.
func shardRecords() [][]byte {
	base := `{"customer_token":"krn:customer-token:eu1:t%d","customer_token_reference":"r%d",` +
		`"scopes":["payment:customer_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z"%s}`
	var out [][]byte
	for i := 0; i < 400; i++ {
		switch {
		case i%7 == 0:
			out = append(out, []byte(fmt.Sprintf(base, i/2, i, "")))
		case i%11 == 0:
			out = append(out, []byte(fmt.Sprintf(base, i, i/3, `,"customer_id":"c"`)))
		case i%13 == 0:
			out = append(out, []byte(`{"customer_token":5}`))
		case i%17 == 0:
			out = append(out, []byte("{oops"))
		default:
			out = append(out, []byte(fmt.Sprintf(base, i, i, `,"customer_id":"c"`)))
		}
	}
	return out
}

func TestVaultShardsReportTogetherWhatOneLintReports(t *testing.T) {
	records := shardRecords()
	plain, err := NewVaultLint(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	expected, err := plain.Lint(records)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, f := range expected {
		codes[f.Code] = true
	}
	if !codes["DUPLICATE_REFERENCE"] || !codes["DUPLICATE_TOKEN"] {
		t.Fatalf("the records hold no duplicates: %v", codes)
	}
	var union []VaultFinding
	for index := uint64(1); index <= 3; index++ {
		lint, err := NewVaultLint(nil, VaultShard(index, 3))
		if err != nil {
			t.Fatal(err)
		}
		if i, n := lint.Shard(); i != index || n != 3 {
			t.Fatalf("Shard() = %d, %d", i, n)
		}
		findings, err := lint.Lint(records)
		lint.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range findings {
			var record struct {
				Token     any    `json:"customer_token"`
				Reference string `json:"customer_token_reference"`
			}
			_ = json.Unmarshal(records[f.Line-1], &record) // "{oops" stays empty: shard 1
			token, isString := record.Token.(string)
			switch {
			case f.Code == "DUPLICATE_REFERENCE":
				if shardOf(record.Reference, 3) != index {
					t.Fatalf("line %d: DUPLICATE_REFERENCE in shard %d", f.Line, index)
				}
			case isString:
				if shardOf(token, 3) != index {
					t.Fatalf("line %d: %s in shard %d", f.Line, f.Code, index)
				}
			case index != 1:
				t.Fatalf("line %d: %s without a string token in shard %d", f.Line, f.Code, index)
			}
		}
		union = append(union, findings...)
	}
	// The V1 order of one record's findings: DUPLICATE_REFERENCE is last.
	sort.SliceStable(union, func(i, j int) bool {
		if union[i].Line != union[j].Line {
			return union[i].Line < union[j].Line
		}
		return union[i].Code != "DUPLICATE_REFERENCE" && union[j].Code == "DUPLICATE_REFERENCE"
	})
	if fmt.Sprint(union) != fmt.Sprint(expected) {
		t.Fatalf("the shards' union differs from the plain lint:\n%v\n%v", union, expected)
	}
}
