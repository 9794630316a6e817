//go:build cgo

package ctpolicy_test

import (
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

// Redact one text: the token becomes its fingerprint, everything else is
// left as it was.
func ExampleRedactString() {
	fmt.Println(ctpolicy.RedactString("charge with krn:customer-token:eu1:a1b2 declined"))
	// Output: charge with [customer-token sha256:ab524447642cc4c39a4bd1d6c021d2cc0f8010ed98cdff5aed243c5c46ba0ebf] declined
}

// Make a whole logging setup token-free: every line of log and slog goes
// through one RedactingWriter.
func ExampleNewRedactingWriter() {
	w := ctpolicy.NewRedactingWriter(os.Stdout)
	defer w.Close() // writes the held-back tail, if any

	logger := log.New(w, "", 0)
	logger.Printf("upstream refused %s", "krn:customer-token:eu1:a1b2")

	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // no time, for a stable example
		}
		return a
	}}
	slog.New(slog.NewTextHandler(w, opts)).Info("charge", "token", "krn:customer-token:eu1:a1b2")
	// Output:
	// upstream refused [customer-token sha256:ab524447642cc4c39a4bd1d6c021d2cc0f8010ed98cdff5aed243c5c46ba0ebf]
	// level=INFO msg=charge token=[customer-token sha256:ab524447642cc4c39a4bd1d6c021d2cc0f8010ed98cdff5aed243c5c46ba0ebf]
}

// Record every check in a tamper-evident log, then verify it.
func ExampleOpenAuditLog() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.jsonl")

	engine, _ := ctpolicy.NewEngine(nil)
	defer engine.Close()
	auditLog, err := ctpolicy.OpenAuditLog(path)
	if err != nil {
		panic(err) // e.g. *AuditError TORN_LINE: decide nothing against this log
	}
	d, err := auditLog.Check(engine, []byte(`{"customer_present":true,"headers":{},"now":"2026-11-30T12:00:00Z",`+
		`"body":{"currency":"EUR","request_payment_transaction":{"amount":1299}}}`))
	fmt.Println(d.Decision, err)
	if err := auditLog.Close(); err != nil {
		panic(err)
	}

	s, err := ctpolicy.VerifyAuditLog(path, "")
	fmt.Println(s.Entries, s.Decisions.Allow, s.Decisions.Deny, s.Decisions.Error, err)

	_, err = ctpolicy.VerifyAuditLog(path, "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	var ae *ctpolicy.AuditError
	fmt.Println(errors.As(err, &ae), ae.Code)
	// Output:
	// ALLOW <nil>
	// 1 1 0 0 <nil>
	// true HEAD_MISMATCH
}
