//go:build cgo

package ctpolicy

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// redactVectors is tests/vectors/redact.json (format: docs/VECTORS.md).
type redactVectors struct {
	Version int `json:"version"`
	Cases   []struct {
		Name     string            `json:"name"`
		Text     json.RawMessage   `json:"text"`
		Redacted json.RawMessage   `json:"redacted"`
		Count    json.Number       `json:"count"`
		Reports  []json.RawMessage `json:"reports"`
	} `json:"cases"`
}

// expandText reads a vectors "text": a JSON string, {"base64"},
// {"repeat", "times"} or {"concat"}.
func expandText(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s)
	}
	var form struct {
		Base64 *string           `json:"base64"`
		Repeat json.RawMessage   `json:"repeat"`
		Times  int               `json:"times"`
		Concat []json.RawMessage `json:"concat"`
	}
	if err := json.Unmarshal(raw, &form); err != nil {
		t.Fatalf("vectors: a text that is no text: %.80s", raw)
	}
	switch {
	case form.Base64 != nil:
		b, err := base64.StdEncoding.DecodeString(*form.Base64)
		if err != nil {
			t.Fatalf("vectors: bad base64: %v", err)
		}
		return b
	case form.Repeat != nil:
		return bytes.Repeat(expandText(t, form.Repeat), form.Times)
	case form.Concat != nil:
		var out []byte
		for _, part := range form.Concat {
			out = append(out, expandText(t, part)...)
		}
		return out
	}
	t.Fatalf("vectors: unknown text form: %.80s", raw)
	return nil
}

// redactThroughWriter writes the pieces of text cut at cuts (ascending)
// through a RedactingWriter and returns what reached the underlying writer
// after Close.
func redactThroughWriter(t testing.TB, text []byte, cuts []int) []byte {
	t.Helper()
	var sink bytes.Buffer
	w := NewRedactingWriter(&sink)
	from := 0
	for _, c := range append(cuts, len(text)) {
		n, err := w.Write(text[from:c])
		if err != nil || n != c-from {
			t.Fatalf("Write(%d bytes) = %d, %v", c-from, n, err)
		}
		from = c
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return sink.Bytes()
}

// splitPoints are the single cuts tried for a text: all of them for a
// text up to 4 KiB. For the long (1 MiB) texts, each cut redacts the
// whole text again, so: every cut within 4 bytes of the first and last
// "krn" and "%3", and of the 1 MiB candidate limit counted from the
// first "krn", plus 16 evenly spaced ones.
func splitPoints(text []byte) []int {
	if len(text) <= 4096 {
		out := make([]int, 0, len(text)+1)
		for i := 0; i <= len(text); i++ {
			out = append(out, i)
		}
		return out
	}
	seen := map[int]bool{}
	add := func(center int) {
		for i := center - 4; i <= center+4; i++ {
			if i >= 0 && i <= len(text) {
				seen[i] = true
			}
		}
	}
	first := bytes.Index(text, []byte("krn"))
	for _, marker := range [][]byte{[]byte("krn"), []byte("%3")} {
		if i := bytes.Index(text, marker); i >= 0 {
			add(i)
			add(bytes.LastIndex(text, marker))
		}
	}
	if first >= 0 {
		add(first + 1<<20)
	}
	for k := 0; k <= 16; k++ {
		seen[len(text)*k/16] = true
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	return out
}

func TestRedactVectors(t *testing.T) {
	var v redactVectors
	readVectors(t, "redact.json", &v)
	if v.Version != 1 || len(v.Cases) < 30 {
		t.Fatalf("redact.json: version %d with %d cases; expected version 1 with the full set", v.Version, len(v.Cases))
	}
	rng := rand.New(rand.NewPCG(13, 13))
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			text := expandText(t, c.Text)
			want := expandText(t, c.Redacted)
			count, _ := c.Count.Int64()

			if got := Redact(text); !bytes.Equal(got, want) {
				t.Fatalf("Redact: got %.200q, want %.200q", got, want)
			}
			if got, n, status := rawRedact(text); status != StatusOK || int64(n) != count || !bytes.Equal(got, want) {
				t.Fatalf("ctp_redact: status %v, count %d (want %d)", status, n, count)
			}
			if got := RedactString(string(text)); got != string(want) {
				t.Fatalf("RedactString: got %.200q", got)
			}

			// The writer: whole, byte by byte (short texts), every split
			// point, and random multi-way splits.
			if got := redactThroughWriter(t, text, nil); !bytes.Equal(got, want) {
				t.Fatalf("writer, one Write: got %.200q", got)
			}
			if len(text) <= 4096 {
				cuts := make([]int, 0, len(text))
				for i := 1; i < len(text); i++ {
					cuts = append(cuts, i)
				}
				if got := redactThroughWriter(t, text, cuts); !bytes.Equal(got, want) {
					t.Fatalf("writer, byte by byte: got %.200q", got)
				}
			}
			for _, cut := range splitPoints(text) {
				if got := redactThroughWriter(t, text, []int{cut}); !bytes.Equal(got, want) {
					t.Fatalf("writer cut at %d: got %.200q", cut, got)
				}
			}
			rounds := 20
			if len(text) > 4096 {
				rounds = 3
			}
			for round := 0; round < rounds; round++ {
				var cuts []int
				for i := 0; i < 1+rng.IntN(6) && len(text) > 0; i++ {
					cuts = append(cuts, rng.IntN(len(text)+1))
				}
				sortInts(cuts)
				if got := redactThroughWriter(t, text, cuts); !bytes.Equal(got, want) {
					t.Fatalf("writer cut at %v: got %.200q", cuts, got)
				}
			}

			// The leak scan: the raw reports byte for byte, and Scan's.
			raw, n, status := rawScan(text)
			if status != StatusOK || n != len(c.Reports) {
				t.Fatalf("ctp_scan: status %v, %d reports, want %d", status, n, len(c.Reports))
			}
			var wantRaw bytes.Buffer
			for _, r := range c.Reports {
				if err := json.Compact(&wantRaw, r); err != nil {
					t.Fatal(err)
				}
				wantRaw.WriteByte('\n')
			}
			if !bytes.Equal(raw, wantRaw.Bytes()) {
				t.Fatalf("ctp_scan reports:\n got %s\nwant %s", raw, wantRaw.Bytes())
			}
			reports, err := Scan(text)
			if err != nil || len(reports) != len(c.Reports) {
				t.Fatalf("Scan: %d reports, %v", len(reports), err)
			}
			for i, r := range c.Reports {
				var w struct {
					Line, Column, Length int
					Fingerprint          string
					WellFormed           bool `json:"well_formed"`
					Form, Region         *string
				}
				if err := json.Unmarshal(r, &w); err != nil {
					t.Fatal(err)
				}
				got := reports[i]
				if got.Line != w.Line || got.Column != w.Column || got.Length != w.Length ||
					got.Fingerprint != w.Fingerprint || got.WellFormed != w.WellFormed ||
					got.Form != deref(w.Form) || got.Region != deref(w.Region) {
					t.Fatalf("Scan report %d: got %+v, want %s", i, got, r)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// A recognisable token for the leak tests, its id part (what must never
// appear) and its redaction.
const leakToken = "krn:customer-token:eu1:LEAKLEAK0123456789abcdef"
const leakID = "LEAKLEAK0123456789abcdef"

func leakRedaction() string {
	sum := sha256.Sum256([]byte(leakToken))
	return "[customer-token sha256:" + hex.EncodeToString(sum[:]) + "]"
}

// assertRedacted fails when out holds the id part of leakToken, or lacks
// its redaction.
func assertRedacted(t testing.TB, what, out string) {
	t.Helper()
	if strings.Contains(out, leakID) {
		t.Errorf("%s holds the token: %s", what, out)
	}
	if !strings.Contains(out, leakRedaction()) {
		t.Errorf("%s lacks the redaction %s: %s", what, leakRedaction(), out)
	}
}

func TestRedactingWriterWithLog(t *testing.T) {
	var sink bytes.Buffer
	w := NewRedactingWriter(&sink)
	logger := log.New(w, "app: ", 0)
	logger.Printf("charge with %s declined (%d)", leakToken, 402)
	logger.Println("url", "https://example.test/?t="+strings.ReplaceAll(leakToken, ":", "%3A"))
	// Each line reaches the sink in its own Write, before Close.
	lines := strings.Split(strings.TrimSuffix(sink.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines before Close, got %q", sink.String())
	}
	assertRedacted(t, "log.Printf", lines[0])
	if lines[0] != "app: charge with "+leakRedaction()+" declined (402)" {
		t.Errorf("log.Printf line: %q", lines[0])
	}
	if strings.Contains(lines[1], leakID) || !strings.Contains(lines[1], "?t=[customer-token sha256:") {
		t.Errorf("encoded token not redacted: %q", lines[1])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write([]byte("x")); n != 0 || err != ErrWriterClosed {
		t.Errorf("Write after Close = %d, %v; want ErrWriterClosed", n, err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := w.(*RedactingWriter).Count(); got != 0 {
		t.Errorf("Count after Close = %d", got)
	}
}

func TestRedactingWriterWithSlog(t *testing.T) {
	for _, kind := range []string{"json", "text"} {
		var sink bytes.Buffer
		w := NewRedactingWriter(&sink)
		var h slog.Handler
		if kind == "json" {
			h = slog.NewJSONHandler(w, nil)
		} else {
			h = slog.NewTextHandler(w, nil)
		}
		logger := slog.New(h)
		logger.Info("charge declined for "+leakToken, "token", leakToken, slog.Group("req", "header", leakToken))
		logger.Error("failed", "err", fmt.Errorf("upstream said %q", leakToken))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out := sink.String()
		assertRedacted(t, "slog "+kind, out)
		if got := strings.Count(out, leakRedaction()); got != 4 {
			t.Errorf("slog %s: %d redactions, want 4: %s", kind, got, out)
		}
		if got := w.(*RedactingWriter).Count(); got != 0 {
			t.Errorf("Count after Close = %d", got)
		}
	}
}

func TestRedactingWriterCountAndTail(t *testing.T) {
	var sink bytes.Buffer
	w := NewRedactingWriter(&sink).(*RedactingWriter)
	// A write ending inside a candidate holds it back until Close.
	if _, err := w.Write([]byte("a " + leakToken)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sink.String(), "krn") {
		t.Fatalf("an unfinished candidate was passed on: %q", sink.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.String() != "a "+leakRedaction() {
		t.Fatalf("after Close: %q", sink.String())
	}
	w2 := NewRedactingWriter(&sink).(*RedactingWriter)
	defer w2.Close()
	_, _ = w2.Write([]byte(leakToken + " and " + leakToken + "\n"))
	if got := w2.Count(); got != 2 {
		t.Errorf("Count = %d, want 2", got)
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestRedactingWriterUnderlyingError(t *testing.T) {
	w := NewRedactingWriter(errWriter{})
	if _, err := w.Write([]byte("line\n")); err == nil || err.Error() != "disk full" {
		t.Fatalf("want the underlying error, got %v", err)
	}
	_ = w.Close()
}

// Goroutines logging at once through one writer: every line whole and
// redacted (run with -race).
func TestRedactingWriterConcurrent(t *testing.T) {
	var sink bytes.Buffer
	w := NewRedactingWriter(&sink)
	logger := slog.New(slog.NewTextHandler(w, nil))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				logger.Info("use", "token", leakToken, "g", g)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(sink.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		assertRedacted(t, "concurrent line", l)
	}
}
