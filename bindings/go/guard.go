//go:build cgo

package ctpolicy

// The charge guard: the pre-flight check inside the HTTP client. Guard is
// an http.RoundTripper that checks the authorizePayment request that is
// actually sent (its buffered body bytes and Klarna-* headers), holds a
// denied one back before any byte leaves, and keeps the token record
// current from Klarna's answer. README.md, "Put the guard in your HTTP
// client", is the user's guide.

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Records is the host's token store, keyed by the customer token itself
// (the Klarna-Customer-Token header value), holding each token's record
// as JSON (docs/RULES.md, "The record").
//
// Get returns the stored record, or ok false when there is none. Put
// stores a record; the guard calls it only when the record changed, with
// the record's own customer_token as the key (for a tokenization, the new
// token). Both are called from the goroutine that sends the request;
// within one Guard, calls for one token never overlap (see Guard). A
// store shared by several processes must serialise charges of one token
// itself (a scheduler that runs one charge per token at a time, or a Put
// that is conditional on the version it read).
type Records interface {
	Get(token string) (record []byte, ok bool, err error)
	Put(token string, record []byte) error
}

// Guard is an http.RoundTripper that puts the pre-flight check inside the
// HTTP client: put it in an http.Client's Transport and every
// authorizePayment call that client sends is checked, audited and
// recorded. Requests it does not guard go to Next untouched.
//
// For a guarded request (by default a POST to Klarna's authorizePayment
// path, see IsAuthorizePayment; Match replaces the test) RoundTrip:
//
//  1. reads the request body once (the caller's Body is always closed)
//     and builds the pre-flight request around those exact bytes: the
//     Klarna-* headers, the record Records.Get gives for the
//     Klarna-Customer-Token header, now from Now and Caller;
//  2. checks it (through Audit when set: the entry is written before the
//     request leaves). A DENY returns a *DeniedError and nothing is sent;
//     a check that cannot decide returns its error (an *Error, or an
//     *AuditError, or a *GuardError when Records.Get failed) and nothing
//     is sent;
//  3. sends a clone of the request whose body is the checked buffer;
//  4. buffers Klarna's answer (the bytes as the inner RoundTripper gave
//     them) and hands it back readable, unchanged; then, for a token
//     charge or a tokenization, reads the record again and applies the
//     answer: a 2xx JSON object through ApplyResponse, any other outcome
//     of a sent token charge (another status, a body that is not a JSON
//     object, a lost connection, a timeout) as a DECLINED event, so that
//     every attempt counts against the retry caps. A changed record is
//     Put. Nothing after sending returns an error to the caller: a fault
//     there goes to OnError as a *GuardError carrying the record that was
//     not stored.
//
// Charges of one token are serialised within a Guard, from Get to Put.
// A Guard is safe for concurrent use by many goroutines; set its fields
// before the first request and do not copy it afterwards (use *Guard).
type Guard struct {
	// Engine decides (its policy applies). Required.
	Engine *Engine
	// Records is the token store. Required.
	Records Records
	// CustomerPresent tells whether the customer is present for this
	// request (customer_present): the one fact a request cannot show.
	// Required.
	CustomerPresent func(*http.Request) bool
	// Caller is this service's name, sent as caller in every pre-flight
	// request (policy access); "" sends none.
	Caller string
	// Audit, when set, records every guarded check before its request
	// leaves (a check whose entry cannot be written is not sent).
	Audit *AuditLog
	// Now is the clock (default time.Now); instants are written as RFC
	// 3339 UTC with milliseconds.
	Now func() time.Time
	// OnError receives what goes wrong after a request was sent, as a
	// *GuardError; default: one error record through slog's default
	// logger, redacted.
	OnError func(error)
	// Next sends the requests (default http.DefaultTransport).
	Next http.RoundTripper
	// Match tells which requests are guarded (default
	// IsAuthorizePayment); the others go to Next untouched.
	Match func(*http.Request) bool

	// locks is behind a pointer so that printing a Guard by reflection
	// shows an address, never the tokens being charged.
	locks atomic.Pointer[tokenLocks]
}

// String shows the guard's settings that hold no secret; Records, the
// tokens being charged and the functions are not printed.
func (g *Guard) String() string {
	if g == nil {
		return "ctpolicy.Guard(nil)"
	}
	match := "IsAuthorizePayment"
	if g.Match != nil {
		match = "custom"
	}
	return RedactString("ctpolicy.Guard{caller=" + strconv.Quote(g.Caller) + " audit=" + strconv.FormatBool(g.Audit != nil) +
		" records=" + strconv.FormatBool(g.Records != nil) + " match=" + match + "}")
}

// GoString is String.
func (g *Guard) GoString() string { return g.String() }

// Format makes every fmt verb print String.
func (g *Guard) Format(f fmt.State, verb rune) { formatSafe(f, verb, g.String()) }

// LogValue gives log/slog String.
func (g *Guard) LogValue() slog.Value { return slog.StringValue(g.String()) }

// IsAuthorizePayment is the default test of which requests a Guard
// checks: a POST whose path, as sent (percent-encoding kept), is
// /v2/accounts/{account}/payment/authorize ({account} one or more
// characters other than /) or /v2/payment/authorize, with an optional
// trailing /, on any host and port. Other Klarna calls that carry the
// customer-token header (identity SDK tokens, the payment presentation)
// are not charges and are not matched. A Match of your own can extend it
// (a proxy path, for example).
func IsAuthorizePayment(req *http.Request) bool {
	if req == nil || req.Method != http.MethodPost || req.URL == nil {
		return false
	}
	return isAuthorizePath(sentPath(req.URL))
}

// sentPath is the path of the request line net/http writes for u
// (URL.RequestURI without the query).
func sentPath(u *url.URL) string {
	if u.Opaque == "" {
		return u.EscapedPath()
	}
	p := u.Opaque
	if rest, ok := strings.CutPrefix(p, "//"); ok {
		// "//host/path": the path starts after the host.
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p = rest[i:]
		} else {
			p = ""
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func isAuthorizePath(p string) bool {
	p = strings.TrimSuffix(p, "/")
	if p == "/v2/payment/authorize" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "/v2/accounts/")
	if !ok {
		return false
	}
	account, tail, ok := strings.Cut(rest, "/")
	return ok && account != "" && tail == "payment/authorize"
}

// DeniedError is what a Guard returns for a request the engine denied: it
// was not sent. http.Client wraps it in a *url.Error; errors.As finds it.
// It never holds the token: Decision carries the fingerprint only.
type DeniedError struct {
	Decision *Decision
}

// Error names the violated rules and the token's fingerprint, redacted.
func (e *DeniedError) Error() string {
	if e == nil || e.Decision == nil {
		return "ctpolicy: authorizePayment not sent: DENY"
	}
	var b strings.Builder
	b.WriteString("ctpolicy: authorizePayment not sent: DENY")
	for i, v := range e.Decision.Violations {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(",")
		}
		b.WriteString(v.Code)
	}
	if fp := e.Decision.Fingerprint(); fp != "" {
		b.WriteString(" (token ")
		b.WriteString(fp)
		b.WriteString(")")
	}
	if id := e.Decision.Receipt.DecisionID; id != "" {
		b.WriteString(" decision_id=")
		b.WriteString(strconv.Quote(id))
	}
	return RedactString(b.String())
}

// Format prints Error() for every verb.
func (e *DeniedError) Format(f fmt.State, verb rune) { formatSafe(f, verb, e.Error()) }

// LogValue gives log/slog the decision, redacted.
func (e *DeniedError) LogValue() slog.Value {
	if e == nil || e.Decision == nil {
		return slog.StringValue(e.Error())
	}
	return e.Decision.LogValue()
}

// GuardError is a fault of the guard that is not the engine's: a token
// store that failed, or, after a request was sent, an answer that could
// not be applied or a record that could not be stored (handed to
// Guard.OnError, never returned to the caller).
//
// Record is the record that should have been stored and was not (it holds
// the customer token: store it elsewhere, do not log it); it is empty
// when the fault left no record to keep (Records.Get failed, or the
// answer could not be applied). Err is the cause: an *Error of the
// library, or the error your Records returned. Every printed form of a
// GuardError (Error, every fmt verb, slog, JSON) is redacted and shows
// the record's size only.
type GuardError struct {
	// Op is what failed: "Records.Get", "Records.Put", "ApplyResponse",
	// "ApplyEvent", "reading the request body", "configuration" or
	// "after sending" (a panic recovered there).
	Op     string
	Err    error
	Record RecordJSON
}

// Error says what failed and why, redacted.
func (e *GuardError) Error() string {
	if e == nil {
		return "ctpolicy: guard: <nil>"
	}
	s := "ctpolicy: guard: " + e.Op
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Record.Len() > 0 {
		s += " (record not stored: " + e.Record.String() + ")"
	}
	return RedactString(s)
}

// Unwrap is the cause, for errors.Is and errors.As.
func (e *GuardError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// Format prints Error() for every verb: never the record.
func (e *GuardError) Format(f fmt.State, verb rune) { formatSafe(f, verb, e.Error()) }

// LogValue gives log/slog what failed, redacted, and the record's size.
func (e *GuardError) LogValue() slog.Value {
	if e == nil {
		return slog.StringValue(e.Error())
	}
	cause := ""
	if e.Err != nil {
		cause = RedactString(e.Err.Error())
	}
	return slog.GroupValue(slog.String("op", e.Op), slog.String("error", cause),
		slog.String("record", e.Record.String()))
}

// MarshalJSON encodes what LogValue shows.
func (e *GuardError) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	cause := ""
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return marshalRedacted(struct {
		Op     string `json:"op"`
		Error  string `json:"error"`
		Record string `json:"record"`
	}{e.Op, cause, e.Record.String()})
}

// errNoResend is what the clone's GetBody says once its bytes began to
// leave: net/http would use it to re-send the request, and a guarded
// request is never sent twice by the guard's transport.
var errNoResend = errors.New("ctpolicy: guard: a sent authorizePayment request is not re-sent")

// RoundTrip checks and sends a guarded request, or passes any other
// request to Next untouched. See Guard.
func (g *Guard) RoundTrip(req *http.Request) (*http.Response, error) {
	next := g.Next
	if next == nil {
		next = http.DefaultTransport
	}
	match := g.Match
	if match == nil {
		match = IsAuthorizePayment
	}
	if !match(req) {
		return next.RoundTrip(req)
	}
	return g.guard(req, next)
}

func (g *Guard) guard(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	body, err := readRequestBody(req)
	if err != nil {
		return nil, &GuardError{Op: "reading the request body", Err: err}
	}
	switch {
	case g.Records == nil:
		return nil, &GuardError{Op: "configuration", Err: errors.New("Guard.Records is nil")}
	case g.CustomerPresent == nil:
		return nil, &GuardError{Op: "configuration", Err: errors.New("Guard.CustomerPresent is nil")}
	}
	var nameBuf [8]string
	names := klarnaHeaderNames(nameBuf[:0], req.Header)
	token, hasToken := customerTokenHeader(req.Header, names)

	if hasToken {
		l, err := g.lock(req.Context(), token)
		if err != nil {
			return nil, err
		}
		defer g.unlock(token, l)
	}
	var record []byte
	if hasToken {
		stored, ok, err := g.Records.Get(token)
		if err != nil {
			return nil, &GuardError{Op: "Records.Get", Err: err}
		}
		if ok {
			record = stored
		}
	}
	size := g.preflightSize(req, names, record, body)
	work := getScratch(size + answerRoom(size, record, nil))
	defer work.release()
	if err := g.check(work.writePreflight(g, req, names, record, body)); err != nil {
		return nil, err
	}

	trace := newSendTrace(body)
	out := req.Clone(httptrace.WithClientTrace(req.Context(), &trace.hooks))
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	} else {
		// A *bytes.Reader behind io.NopCloser is a body net/http knows
		// to be in memory, so it writes the headers and the body in one
		// go; any other type (bufferBody included) makes it flush the
		// headers first: one more write and one more packet on every
		// guarded request.
		out.Body = io.NopCloser(&trace.first)
		out.GetBody = trace.getBody
	}

	resp, sendErr := next.RoundTrip(out)
	if sendErr != nil {
		if hasToken && trace.mayHaveSent() {
			g.settle(work, token, hasToken, len(body), nil, nil, nil)
		}
		return nil, sendErr
	}
	raw, readErr := readResponseBody(resp, &trace.answer)
	if hasToken || readErr == nil {
		g.settle(work, token, hasToken, len(body), resp, raw, readErr)
	}
	return resp, nil
}

// readRequestBody reads the caller's body once (Body, or GetBody when
// Body is nil) and closes it.
func readRequestBody(req *http.Request) ([]byte, error) {
	body := req.Body
	if body == nil && req.GetBody != nil {
		var err error
		if body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	// Sized from the announced length: one buffer of the body's size
	// instead of io.ReadAll's doubling from 512 bytes.
	return readAll(body, req.ContentLength)
}

// readResponseBody buffers the answer's body as the inner RoundTripper
// gave it and puts back a reader of the same bytes (followed by the same
// error when the body could not be read to its end). into becomes that
// reader when the body was read whole: it lives in the request's
// sendTrace, which a response from net/http's Transport keeps alive
// anyway (resp.Request's context holds the trace's hooks), so the reader
// is not an allocation of its own.
func readResponseBody(resp *http.Response, into *bufferBody) ([]byte, error) {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil, nil
	}
	raw, err := readAll(resp.Body, resp.ContentLength)
	_ = resp.Body.Close()
	if err != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), errReader{err}))
	} else {
		into.Reset(raw)
		resp.Body = into
	}
	return raw, err
}

// bufferBody is a buffered body as an io.ReadCloser with nothing around
// it to allocate (io.NopCloser(bytes.NewReader(b)) takes two allocations).
type bufferBody struct{ bytes.Reader }

// Close does nothing: the bytes stay readable, as with io.NopCloser.
func (*bufferBody) Close() error { return nil }

// readAll is io.ReadAll with the buffer sized from a known length.
func readAll(r io.Reader, length int64) ([]byte, error) {
	if length <= 0 || length > maxAnswer {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, length+1) // +1: room to see EOF without growing
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than announced: grow as ReadAll does
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// klarnaHeaderNames appends to names the names of the Klarna-* headers
// that will be sent (at least one value), sorted, as net/http writes them.
func klarnaHeaderNames(names []string, h http.Header) []string {
	for name, values := range h {
		if len(values) > 0 && len(name) >= 7 && strings.EqualFold(name[:7], "Klarna-") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// customerTokenHeader is the Klarna-Customer-Token value the engine reads:
// the first value of the first such name (the names sorted as sent).
func customerTokenHeader(h http.Header, names []string) (string, bool) {
	for _, name := range names {
		if strings.EqualFold(name, "Klarna-Customer-Token") {
			return h[name][0], true
		}
	}
	return "", false
}

// appendPreflight writes the pre-flight request as JSON text after b, with
// the body and the stored record placed in it as the bytes they are (never
// decoded and re-encoded). Every field of the request is written, null
// where absent, and the body last: bytes that are not one JSON value
// cannot add or replace a field (the result is then a duplicate key, an
// unknown field or no JSON at all, and the check fails). A header with
// several values is written once per value, so the engine's duplicate-key
// check fails the check as it fails any repeated header.
func (g *Guard) appendPreflight(b []byte, req *http.Request, names []string, record, body []byte) []byte {
	b = append(b, `{"customer_present":`...)
	b = strconv.AppendBool(b, g.CustomerPresent(req))
	b = append(b, `,"headers":{`...)
	first := true
	for _, name := range names {
		for _, value := range req.Header[name] {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = appendJSONString(b, value)
		}
	}
	b = append(b, `},"token_record":`...)
	if record != nil {
		b = append(b, record...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"now":"`...)
	b = appendInstant(b, g.now())
	b = append(b, `","counters":null,"decision_id":null,"caller":`...)
	if g.Caller != "" {
		b = appendJSONString(b, g.Caller)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"body":`...)
	b = append(b, body...)
	return append(b, '}')
}

// preflightSize is about how long appendPreflight's text is: exact for a caller
// and headers without escapes, short of the escapes otherwise (append then
// grows the buffer).
func (g *Guard) preflightSize(req *http.Request, names []string, record, body []byte) int {
	n := 160 + len(g.Caller) + len(record) + len(body)
	for _, name := range names {
		for _, value := range req.Header[name] {
			n += len(name) + len(value) + 6
		}
	}
	return n
}

// check decides the pre-flight request: nil to send, a *DeniedError, or
// the error that kept the engine from deciding.
func (g *Guard) check(preflight []byte) error {
	if g.Audit != nil {
		d, err := g.Audit.Check(g.Engine, preflight)
		if err != nil {
			return err
		}
		if !d.Allowed {
			return &DeniedError{Decision: d}
		}
		return nil
	}
	allowed, err := g.Engine.allowed(preflight)
	if err != nil {
		return err
	}
	if allowed {
		return nil
	}
	// A DENY: the decision in full, for the caller (the same request, so
	// the same decision).
	d, err := g.Engine.Check(preflight)
	if err != nil {
		return err
	}
	return &DeniedError{Decision: d}
}

// settle turns the outcome of a sent request into the record's next state
// and stores it. resp is nil when the request got no answer (sendErr);
// readErr is set when the answer's body could not be read to its end.
// It never fails the caller: faults (and panics) go to OnError.
func (g *Guard) settle(work *scratch, token string, hasToken bool, bodyLen int, resp *http.Response, raw []byte, readErr error) {
	defer func() {
		if v := recover(); v != nil {
			g.report(&GuardError{Op: "after sending", Err: errors.New("panic: " + RedactString(fmt.Sprint(v)))})
		}
	}()
	answer, isObject := []byte(nil), false
	if resp != nil && readErr == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		answer, isObject = decodedObject(resp, raw)
	}
	if !isObject && !hasToken {
		return // not a token charge: no attempt to count, no record made
	}
	var current []byte
	if hasToken {
		stored, ok, err := g.Records.Get(token)
		if err != nil {
			g.report(&GuardError{Op: "Records.Get", Err: err})
			return
		}
		if ok {
			current = stored
		}
	}
	// The instant, the request as ApplyResponse reads it and the library's
	// transition are written into the request's scratch, after the
	// pre-flight request.
	work.reserve(answerRoom(work.preflightLen, current, answer))
	at := work.appendInstant(g.now())
	var next []byte
	var changed bool
	var err error
	op := "ApplyResponse"
	if isObject {
		request := work.appendAnswerRequest(bodyLen)
		next, changed, err = applyAnswer(current, request, answer, at, work.free())
		if hasToken && isResponseInvalid(err) {
			// A 2xx body that the strict reader refuses (a duplicate key,
			// say) is not an answer to act on: the attempt still counts.
			isObject = false
		}
	}
	if !isObject {
		op = "ApplyEvent"
		var tr *Transition
		tr, err = ApplyEvent(current, []byte(`{"type":"DECLINED","at":"`+string(at)+`"}`))
		if err == nil {
			next, changed = tr.Record.Bytes(), tr.Changed
		}
	}
	if err != nil {
		g.report(&GuardError{Op: op, Err: err})
		return
	}
	if !changed || len(next) == 0 {
		return
	}
	key, err := token, error(nil)
	if !hasToken || !storedUnder(next, token) {
		key, err = recordToken(next)
	}
	if err == nil {
		err = g.Records.Put(key, next)
	}
	if err != nil {
		g.report(&GuardError{Op: "Records.Put", Err: err, Record: recordJSONOf(next)})
	}
}

// isResponseInvalid tells whether err is the library's RESPONSE_INVALID.
// errors.As's target moves to the heap: declared here, it is made on the
// error path only, not on every guarded request.
func isResponseInvalid(err error) bool {
	if err == nil {
		return false
	}
	var ce *Error
	return errors.As(err, &ce) && ce.Code == CodeResponseInvalid
}

// applyAnswer is ApplyResponse as the guard needs it: the next record
// (nil for none; its own copy) and whether it changed, without the
// Transition, its events and their strings (five allocations per guarded
// request that the guard never read). The same library call, so the
// same record bytes and the same errors. The library's output is copied
// into room when it fits, by the cgo call that also frees the library's
// buffer.
func applyAnswer(record, request, response, at, room []byte) (next []byte, changed bool, err error) {
	status, errJSON, err := rawApplyAnswer(record, request, response, at, room, func(out []byte) error {
		parts, ok := splitTransition(out)
		if !ok || !parts.hasEvents {
			// Not the layout the library writes: read it the general way.
			var t Transition
			if decodeTransition(out, &t) != nil || t.Events == nil {
				return badOutput("a transition")
			}
			next, changed = t.Record.Bytes(), t.Changed
			return nil
		}
		next, changed = parts.recordCopy(), parts.changed
		return nil
	})
	if status != StatusOK {
		return nil, false, errorFromOutput(status, errJSON)
	}
	if err != nil {
		return nil, false, err
	}
	return next, changed, nil
}

// storedUnder tells whether record's customer_token is token, read as
// recordToken reads it (a record written by the library starts with it),
// without making a new string of it.
func storedUnder(record []byte, token string) bool {
	rest, ok := bytes.CutPrefix(record, []byte(`{"customer_token":"`))
	return ok && len(rest) > len(token) && string(rest[:len(token)]) == token && rest[len(token)] == '"' &&
		!strings.ContainsAny(token, `"\`)
}

// appendAnswerRequest writes after b the pre-flight request as
// ApplyResponse reads it: customer_present, the headers and the body, the
// bytes that were checked, without the stored record and the other fields
// the answer does not depend on (the library would parse the record twice:
// it is also ApplyResponse's first argument). The headers object holds no
// unescaped quote in a name or value, so the first ,"token_record": is
// where it ends; the body is the last field. What it writes must not
// overlap preflight; ok is false when preflight is not laid out as the
// guard writes it, and the request is then preflight itself.
func appendAnswerRequest(b, preflight []byte, bodyLen int) (request []byte, ok bool) {
	end := bytes.Index(preflight, []byte(`,"token_record":`))
	bodyStart := len(preflight) - 1 - bodyLen
	if end < 0 || bodyStart < end {
		return preflight, false
	}
	b = append(b, preflight[:end]...)
	b = append(b, `,"body":`...)
	return append(b, preflight[bodyStart:]...), true
}

// decodedObject is the answer's body for the guard's own reading: decoded
// when net/http left a gzip or deflate Content-Encoding in place (the
// caller still gets the bytes as received), and whether it looks like a
// JSON object (ApplyResponse then reads it strictly).
func decodedObject(resp *http.Response, raw []byte) ([]byte, bool) {
	body := raw
	if !resp.Uncompressed {
		switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
		case "", "identity":
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return nil, false
			}
			body = readLimited(zr)
		case "deflate":
			zr, err := zlib.NewReader(bytes.NewReader(raw))
			if err != nil {
				return nil, false
			}
			body = readLimited(zr)
		default:
			return nil, false // an encoding the guard cannot read
		}
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return body, len(trimmed) > 0 && trimmed[0] == '{'
}

// maxAnswer is the engine's input limit: a larger answer is not read.
const maxAnswer = 1 << 20

func readLimited(r io.Reader) []byte {
	b, err := io.ReadAll(io.LimitReader(r, maxAnswer+1))
	if err != nil || len(b) > maxAnswer {
		return nil
	}
	return b
}

// report hands a fault after sending to OnError, or logs it. A panicking
// OnError is logged instead: it must not reach the caller either.
func (g *Guard) report(err *GuardError) {
	if g.OnError != nil {
		ok := func() (ok bool) {
			defer func() {
				if recover() != nil {
					ok = false
				}
			}()
			g.OnError(err)
			return true
		}()
		if ok {
			return
		}
	}
	slog.Error("ctpolicy: guard: the token record was not kept after a sent authorizePayment", "error", err)
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// appendInstant writes t as RFC 3339 UTC with milliseconds
// (2026-11-30T12:00:00.000Z), by hand: it is on every guarded request.
func appendInstant(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z") // the engine refuses it
	}
	hour, minute, second := t.Clock()
	b = digits(b, year, 4)
	b = append(b, '-')
	b = digits(b, int(month), 2)
	b = append(b, '-')
	b = digits(b, day, 2)
	b = append(b, 'T')
	b = digits(b, hour, 2)
	b = append(b, ':')
	b = digits(b, minute, 2)
	b = append(b, ':')
	b = digits(b, second, 2)
	b = append(b, '.')
	b = digits(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

// digits writes n (not negative) as exactly width decimal digits.
func digits(b []byte, n, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		d := n
		for j := 0; j < i; j++ {
			d /= 10
		}
		b = append(b, byte('0'+d%10))
	}
	return b
}

// appendJSONString writes s as a JSON string. Only '"', '\' and control
// characters are escaped; every other byte is written as it is, so a
// value that is not UTF-8 reaches the engine as such (and fails the check).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		if c < 0x20 {
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		} else {
			b = append(b, '\\', c)
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// tokenLock serialises the charges of one token; refs counts the
// goroutines holding or waiting for it, so the table forgets idle tokens.
type tokenLock struct {
	ch   chan struct{}
	refs int
}

type tokenLocks struct {
	mu sync.Mutex
	m  map[string]*tokenLock
	// idle keeps a few released locks for the next tokens (a lock and its
	// channel are two allocations per charge otherwise).
	idle []*tokenLock
}

// maxIdleLocks bounds the released locks a Guard keeps for reuse.
const maxIdleLocks = 64

func (g *Guard) lockTable() *tokenLocks {
	if t := g.locks.Load(); t != nil {
		return t
	}
	g.locks.CompareAndSwap(nil, &tokenLocks{m: map[string]*tokenLock{}})
	return g.locks.Load()
}

// lock takes the token's lock, or gives up with the context's error (the
// request is then not sent). unlock releases it.
func (g *Guard) lock(ctx context.Context, token string) (*tokenLock, error) {
	t := g.lockTable()
	t.mu.Lock()
	l := t.m[token]
	if l == nil {
		if n := len(t.idle); n > 0 {
			l, t.idle = t.idle[n-1], t.idle[:n-1]
		} else {
			l = &tokenLock{ch: make(chan struct{}, 1)}
		}
		t.m[token] = l
	}
	l.refs++
	t.mu.Unlock()
	select {
	case l.ch <- struct{}{}:
		return l, nil
	case <-ctx.Done():
		t.release(token, l)
		return nil, ctx.Err()
	}
}

func (g *Guard) unlock(token string, l *tokenLock) {
	<-l.ch
	g.lockTable().release(token, l)
}

// release forgets a goroutine's interest in the token's lock, and the
// lock itself when nobody holds or waits for it.
func (t *tokenLocks) release(token string, l *tokenLock) {
	t.mu.Lock()
	l.refs--
	if l.refs == 0 {
		delete(t.m, token)
		// Nobody holds it (its channel is empty) or waits for it: safe to
		// hand to the next token.
		if len(t.idle) < maxIdleLocks {
			t.idle = append(t.idle, l)
		}
	}
	t.mu.Unlock()
}

// sendTrace follows one request through net/http: whether a connection
// was asked for, and whether the request's headers were written. A
// request that asked for a connection and did not write its headers was
// not sent (a dial error); one the trace says nothing about (another
// RoundTripper) may have been, and counts.
//
// It also holds the clone's body, the hooks, the body's first reader and
// the reader of the answer handed back to the caller, so that one
// allocation serves them all.
type sendTrace struct {
	getConn, wrote atomic.Bool
	body           []byte
	first          bytes.Reader
	answer         bufferBody
	hooks          httptrace.ClientTrace
}

func newSendTrace(body []byte) *sendTrace {
	t := &sendTrace{body: body}
	t.first.Reset(body)
	t.hooks.GetConn = t.gotConn
	// Called once the request line and headers are written (a request cut
	// off before that is incomplete, and no server acts on it).
	// WroteHeaderField would say it earlier, but makes net/http copy every
	// header value for the call.
	t.hooks.WroteHeaders = t.wroteHeaders
	return t
}

func (t *sendTrace) gotConn(string) { t.getConn.Store(true) }
func (t *sendTrace) wroteHeaders()  { t.wrote.Store(true) }

// getBody is the clone's GetBody: the checked bytes again, until they
// began to leave (as the first body, one net/http knows is in memory).
func (t *sendTrace) getBody() (io.ReadCloser, error) {
	if t.wrote.Load() {
		return nil, errNoResend
	}
	return io.NopCloser(bytes.NewReader(t.body)), nil
}

func (t *sendTrace) mayHaveSent() bool { return t.wrote.Load() || !t.getConn.Load() }
