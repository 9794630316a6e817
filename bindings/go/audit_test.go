//go:build cgo

package ctpolicy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// auditVectors is tests/vectors/audit.json (format: docs/VECTORS.md).
type auditVectors struct {
	Policy string `json:"policy"`
	Clock  string `json:"clock"`
	Head   string `json:"head"`
	Cases  []struct {
		Name    string `json:"name"`
		Request string `json:"request"`
		Entry   string `json:"entry"`
	} `json:"cases"`
}

const zeroHead = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// lineFingerprint is H3's fingerprint of a line, computed here (not by
// the library): "sha256:" + hex of SHA-256 of its bytes.
func lineFingerprint(line []byte) string {
	sum := sha256.Sum256(line)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func auditSetup(t *testing.T) (auditVectors, *Engine) {
	t.Helper()
	var v auditVectors
	readVectors(t, "audit.json", &v)
	if len(v.Cases) < 5 || v.Clock == "" {
		t.Fatalf("audit.json: %d cases, clock %q", len(v.Cases), v.Clock)
	}
	e, err := NewEngine([]byte(v.Policy))
	if err != nil {
		t.Fatalf("the vectors' policy: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return v, e
}

// Every face's entries are the CLI's, byte for byte: entry by entry
// through ctp_audit_entry_json with the vectors' clock, the chain
// recomputed here.
func TestAuditVectors(t *testing.T) {
	v, e := auditSetup(t)
	prev := zeroHead
	for i, c := range v.Cases {
		got, err := e.auditEntry([]byte(c.Request), uint64(i+1), prev, v.Clock)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if string(got) != c.Entry {
			t.Fatalf("%s:\n got %s\nwant %s", c.Name, got, c.Entry)
		}
		assertNoTokenPiece(t, c.Name, string(got))
		prev = lineFingerprint(got)
	}
	if prev != v.Head {
		t.Fatalf("head %s, want %s", prev, v.Head)
	}
}

// assertNoTokenPiece fails when an entry holds a token's id: any
// "customer-token:" outside the redaction form.
func assertNoTokenPiece(t *testing.T, name, text string) {
	t.Helper()
	if strings.Contains(text, "customer-token:") || strings.Contains(text, "customer-token%3") {
		t.Errorf("%s: the entry holds a token: %s", name, text)
	}
}

// writeAuditLog appends every vector request through AuditLog.Check and
// returns the file's lines.
func writeAuditLog(t *testing.T, v auditVectors, e *Engine, path string) [][]byte {
	t.Helper()
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Cases {
		want, wantErr := e.Check([]byte(c.Request))
		got, err := log.Check(e, []byte(c.Request))
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%s: Check error %v, AuditLog.Check error %v", c.Name, wantErr, err)
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Error() != wantErr.Error() {
				t.Fatalf("%s: AuditLog.Check error %v, want Check's %v", c.Name, err, wantErr)
			}
			continue
		}
		if !bytes.Equal(got.Raw, want.Raw) {
			t.Fatalf("%s: decision differs from Check's", c.Name)
		}
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatal("the log does not end in a newline")
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// The log AuditLog.Check writes: the vectors' entries (at from the
// writer's clock aside), a chain recomputed here, and a summary.
func TestAuditLogWritesTheVectors(t *testing.T) {
	v, e := auditSetup(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	lines := writeAuditLog(t, v, e, path)
	if len(lines) != len(v.Cases) {
		t.Fatalf("%d entries, want %d", len(lines), len(v.Cases))
	}
	prev := zeroHead
	sameBytes := true
	var want struct{ allow, deny, errs uint64 }
	for i, line := range lines {
		got, ok1 := mustDecode(t, line).(map[string]any)
		exp, ok2 := mustDecode(t, []byte(v.Cases[i].Entry)).(map[string]any)
		if !ok1 || !ok2 {
			t.Fatalf("line %d is not a JSON object", i+1)
		}
		if got["prev"] != prev {
			t.Fatalf("line %d: prev %v, want %s", i+1, got["prev"], prev)
		}
		prev = lineFingerprint(line)
		if exp["at"] == v.Clock {
			// The writer's clock: the system clock here, RFC 3339 UTC ms.
			at, _ := got["at"].(string)
			if len(at) != len("2026-11-30T12:00:00.000Z") || !strings.HasSuffix(at, "Z") {
				t.Errorf("line %d: at %q is not RFC 3339 UTC with milliseconds", i+1, at)
			}
			delete(got, "at")
			delete(exp, "at")
			sameBytes = false
		} else if sameBytes {
			// Nothing before it came from the clock: the very bytes.
			if string(line) != v.Cases[i].Entry {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, line, v.Cases[i].Entry)
			}
		}
		delete(got, "prev")
		delete(exp, "prev")
		if !jsonEqual(got, exp) {
			t.Errorf("line %d differs from the vector:\n got %s\nwant %s", i+1, line, v.Cases[i].Entry)
		}
		switch exp["decision"] {
		case "ALLOW":
			want.allow++
		case "DENY":
			want.deny++
		default:
			want.errs++
		}
	}
	s, err := VerifyAuditLog(path, prev)
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != uint64(len(lines)) || s.Head != prev || s.Decisions.Allow != want.allow ||
		s.Decisions.Deny != want.deny || s.Decisions.Error != want.errs || s.FirstAt == "" || s.LastAt == "" {
		t.Fatalf("summary %+v", s)
	}
	if want.errs == 0 {
		t.Fatal("the vectors hold no ERROR entry: the envelope-fault path is untested")
	}
	// Continued: a second log object appends seq n+1 after the head.
	log, err := OpenAuditLog(path, AuditFsync())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := log.Check(e, []byte(v.Cases[0].Request)); err != nil {
		t.Fatal(err)
	}
	log.Close()
	if s2, err := VerifyAuditLog(path, ""); err != nil || s2.Entries != s.Entries+1 {
		t.Fatalf("after continuing: %+v, %v", s2, err)
	}
}

func TestAuditEmptyLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := VerifyAuditLog(path, zeroHead)
	if err != nil || s.Entries != 0 || s.Head != zeroHead || s.FirstAt != "" {
		t.Fatalf("empty log: %+v, %v", s, err)
	}
}

// wantAuditError asserts err is an *AuditError with status, code and line.
func wantAuditError(t *testing.T, what string, err error, status Status, code string, line uint64) {
	t.Helper()
	var ae *AuditError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: want an *AuditError, got %T %v", what, err, err)
	}
	if ae.Status != status || ae.Code != code || ae.Line != line || (line != 0 && ae.Seq != line) {
		t.Fatalf("%s: got %+v, want %v %s at line %d", what, ae, status, code, line)
	}
	msg := ae.Error()
	if line != 0 && !strings.Contains(msg, "line "+strconv.FormatUint(line, 10)) {
		t.Errorf("%s: the message does not name line %d: %s", what, line, msg)
	}
}

// Tampering of every kind is found and named.
func TestAuditTamperDetection(t *testing.T) {
	v, e := auditSetup(t)
	dir := t.TempDir()
	good := writeAuditLog(t, v, e, filepath.Join(dir, "good.jsonl"))
	join := func(lines [][]byte) []byte { return append(bytes.Join(lines, []byte("\n")), '\n') }
	clone := func() [][]byte {
		out := make([][]byte, len(good))
		for i := range good {
			out[i] = bytes.Clone(good[i])
		}
		return out
	}
	cases := []struct {
		name string
		data []byte
		code string
		line uint64
	}{
		{"edited amount", func() []byte {
			l := clone()
			l[2] = bytes.Replace(l[2], []byte(`"seq":3`), []byte(`"seq":3 `), 1)
			return join(l)
		}(), "", 3},
		{"edited decision", func() []byte {
			l := clone()
			l[1] = bytes.Replace(l[1], []byte(`"decision":"`), []byte(`"decision":"X`), 1)
			return join(l)
		}(), "", 2},
		{"deleted line", join(append(clone()[:1], clone()[2:]...)), "", 2},
		{"duplicated line", join(append(clone()[:3], clone()[2:]...)), "", 4},
		{"swapped lines", func() []byte { l := clone(); l[3], l[4] = l[4], l[3]; return join(l) }(), "", 4},
		{"torn last line", join(clone())[:len(join(clone()))-1], "TORN_LINE", uint64(len(good))},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := VerifyAuditLog(path, "")
		var ae *AuditError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: want an *AuditError, got %v", c.name, err)
		}
		code := c.code
		if code == "" {
			code = ae.Code // any of the codes, as long as the entry is named
		}
		wantAuditError(t, c.name, err, StatusAuditLogInvalid, code, c.line)
	}
	// A torn log is not appended to.
	torn := filepath.Join(dir, "torn_last_line")
	if _, err := OpenAuditLog(torn); err == nil {
		t.Fatal("OpenAuditLog opened a log with a torn last line")
	} else {
		var ae *AuditError
		if !errors.As(err, &ae) || ae.Status != StatusAuditLogInvalid {
			t.Fatalf("OpenAuditLog on a torn log: %v", err)
		}
	}
	// A cut log verifies, but not against the head kept elsewhere.
	cut := filepath.Join(dir, "cut")
	_ = os.WriteFile(cut, join(clone()[:len(good)-1]), 0o600)
	_, err := VerifyAuditLog(cut, lineFingerprint(good[len(good)-1]))
	wantAuditError(t, "cut log", err, StatusAuditHeadMismatch, "HEAD_MISMATCH", 0)
	// An unreadable file.
	_, err = VerifyAuditLog(filepath.Join(dir, "missing", "log"), "")
	wantAuditError(t, "missing file", err, StatusIoError, "IO_ERROR", 0)
}

// 8 goroutines appending to one log leave one valid chain with every
// entry (run with -race).
func TestAuditConcurrentAppends(t *testing.T) {
	v, e := auditSetup(t)
	path := filepath.Join(t.TempDir(), "concurrent.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 25
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c := v.Cases[(g+i)%len(v.Cases)]
				_, _ = log.Check(e, []byte(c.Request))
			}
		}()
	}
	wg.Wait()
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := VerifyAuditLog(path, "")
	if err != nil || s.Entries != goroutines*each {
		t.Fatalf("%+v, %v; want %d entries", s, err, goroutines*each)
	}
	if _, err := log.Check(e, []byte(v.Cases[0].Request)); err != ErrAuditLogClosed {
		t.Fatalf("Check after Close: %v", err)
	}
	if err := log.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// The same requests give the same bytes through AuditLog.Check and
// `ctpolicy check --audit-log` (requests whose at comes from their now,
// so no clock differs).
func TestAuditLogIdenticalToCLI(t *testing.T) {
	v, e := auditSetup(t)
	dir := t.TempDir()
	var input bytes.Buffer
	log, err := OpenAuditLog(filepath.Join(dir, "go.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range v.Cases {
		if strings.Contains(c.Entry, `"at":"`+v.Clock+`"`) || strings.ContainsAny(c.Request, "\n") {
			continue
		}
		input.WriteString(c.Request + "\n")
		_, _ = log.Check(e, []byte(c.Request))
		n++
	}
	if n < 3 {
		t.Fatalf("only %d vector requests carry their own now", n)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "policy.json")
	requests := filepath.Join(dir, "requests.jsonl")
	_ = os.WriteFile(policy, []byte(v.Policy), 0o600)
	_ = os.WriteFile(requests, input.Bytes(), 0o600)
	cmd := exec.Command(cliPath(t), "check", "--policy", policy, "--format", "jsonl", "--audit-log", filepath.Join(dir, "cli.jsonl"), requests)
	if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() == 2 {
		t.Fatalf("ctpolicy check --audit-log: %v: %s", err, out)
	}
	goLog, _ := os.ReadFile(filepath.Join(dir, "go.jsonl"))
	cliLog, _ := os.ReadFile(filepath.Join(dir, "cli.jsonl"))
	if len(goLog) == 0 || !bytes.Equal(goLog, cliLog) {
		t.Fatalf("the logs differ:\n go  %s\n cli %s", goLog, cliLog)
	}
}

// An envelope fault: the ERROR entry is written first, then the error is
// returned (the same *Error as Check's).
func TestAuditEnvelopeFaultRecordsError(t *testing.T) {
	_, e := auditSetup(t)
	path := filepath.Join(t.TempDir(), "log.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	_, err = log.Check(e, []byte(`{"headers": {`))
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != StatusInvalidRequest {
		t.Fatalf("want the *Error of an envelope fault, got %v", err)
	}
	s, verr := VerifyAuditLog(path, "")
	if verr != nil || s.Entries != 1 || s.Decisions.Error != 1 {
		t.Fatalf("after a fault: %+v, %v", s, verr)
	}
}

// goRenewal is a request decided with its own now (so its entry's at is
// fixed) and decision id d-i.
func goRenewal(i int) []byte {
	token := "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	n := strconv.Itoa(i)
	return []byte(`{"customer_present":false,"headers":{"Klarna-Customer-Token":"` + token + `","Klarna-Idempotency-Key":"k-` + n +
		`"},"token_record":{"customer_token":"` + token + `","scopes":["payment:customer_not_present"],"state":"ACTIVE"},` +
		`"body":{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"r-` + n +
		`"}},"now":"2026-11-25T10:00:00Z","decision_id":"d-` + n + `"}`)
}

// A log truncated, deleted or renamed over under an open AuditLog: the
// next Check fails naming the file and the change, and gives no decision.
func TestAuditLogChangedUnderAWriter(t *testing.T) {
	e, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct {
		name, code string
		change     func(path string) error
	}{
		{"truncated", "LOG_TRUNCATED", func(p string) error { return os.Truncate(p, 0) }},
		{"deleted", "LOG_REPLACED", os.Remove},
		{"renamed", "LOG_REPLACED", func(p string) error {
			if err := os.Rename(p, p+".1"); err != nil {
				return err
			}
			return os.WriteFile(p, nil, 0o600)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			log, err := OpenAuditLog(path)
			if err != nil {
				t.Fatal(err)
			}
			defer log.Close()
			for i := 0; i < 5; i++ {
				if _, err := log.Check(e, goRenewal(i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.change(path); err != nil {
				t.Fatal(err)
			}
			d, err := log.Check(e, goRenewal(5))
			var ae *AuditError
			if d != nil || !errors.As(err, &ae) || ae.Status != StatusAuditLogInvalid || ae.Code != c.code ||
				!strings.Contains(ae.Message, "audit.jsonl") {
				t.Fatalf("got %v, %v; want no decision and %s", d, err, c.code)
			}
			if c.name == "renamed" {
				s, err := VerifyAuditLog(path+".1", "")
				if err != nil || s.Entries != 5 {
					t.Fatalf("the renamed log holds every entry: %+v, %v", s, err)
				}
			}
		})
	}
}

func TestAuditLogRefusesFilesThatAreNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	for _, path := range []string{"/dev/null", fifo, dir} {
		log, err := OpenAuditLog(path) // a FIFO must not hang
		var ae *AuditError
		if log != nil || !errors.As(err, &ae) || ae.Code != "NOT_A_REGULAR_FILE" {
			t.Fatalf("%s: got %v, %v", path, log, err)
		}
	}
}

func TestRepairAuditLogCutsATornTail(t *testing.T) {
	e, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := log.Check(e, goRenewal(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	whole, _ := os.ReadFile(path)
	if err := os.WriteFile(path, whole[:len(whole)-25], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = OpenAuditLog(path)
	var ae *AuditError
	if !errors.As(err, &ae) || ae.Code != "TORN_LINE" || ae.Line != 4 || !strings.Contains(ae.Message, "ctpolicy audit repair") {
		t.Fatalf("a torn log is refused, naming line 4 and the repair: %v", err)
	}
	r, err := RepairAuditLog(path)
	kept := bytes.LastIndexByte(whole[:len(whole)-1], '\n') + 1
	if err != nil || !r.Repaired || r.Entries != 3 || r.KeptBytes != uint64(kept) || r.CutBytes != uint64(len(whole)-25-kept) {
		t.Fatalf("repair: %+v, %v", r, err)
	}
	if r, err := RepairAuditLog(path); err != nil || r.Repaired || r.CutBytes != 0 {
		t.Fatalf("nothing that verifies is cut: %+v, %v", r, err)
	}
	tampered := append(bytes.Replace(whole[:kept], []byte(`"seq":2`), []byte(`"seq":9`), 1), []byte(`{"torn`)...)
	if err := os.WriteFile(path, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RepairAuditLog(path); !errors.As(err, &ae) || ae.Status != StatusAuditLogInvalid {
		t.Fatalf("a tampered log is not repaired: %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, tampered) {
		t.Fatal("a refused repair touched the log")
	}
}
