package ctpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func i64(n int64) *int64 { return &n }

// renewalCharge is RENEWAL of benches/fixtures.rs as a typed charge.
func renewalCharge() Charge {
	return Charge{
		Token:             testToken,
		HasToken:          true,
		IdempotencyKey:    "renewal-2026-11-sub-000042",
		HasIdempotencyKey: true,
		Amount:            1299,
		Currency:          "EUR",
		Record: &StoredRecord{
			CustomerToken: testToken,
			State:         RecordActive,
			Scopes:        []string{"payment:customer_not_present"},
			LastUsedAt:    time.Date(2026, 10, 25, 10, 0, 0, 0, time.UTC),
		},
		Now:         time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Attempts24h: i64(0),
		Attempts30d: i64(1),
	}
}

// renewalFixture is RENEWAL of benches/fixtures.rs, byte for byte.
const renewalFixture = `{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","Klarna-Idempotency-Key":"renewal-2026-11-sub-000042"},"token_record":{"customer_token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z","last_used_at":"2026-10-25T10:00:00Z"},"now":"2026-11-25T10:00:00Z","counters":{"attempts_24h":0,"attempts_30d":1},"body":{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub-42-2026-11"}}}`

func ids(vs []Violation) []uint16 {
	out := make([]uint16, len(vs))
	for i, v := range vs {
		out[i] = uint16(v.ID)
	}
	return out
}

// equivalentRequest is the test's own reading of docs/ABI.md's
// "equivalent request" of a typed charge (the oracle of the agreement
// tests; the binding has no such code). Strings are written by
// encoding/json; ok is false when a string is not UTF-8 (no JSON request
// carries it) or a time is outside years 0001-9999.
func equivalentRequest(c *Charge) (request []byte, ok bool) {
	var b bytes.Buffer
	str := func(s string) {
		if !utf8.ValidString(s) {
			ok = false
		}
		enc, _ := json.Marshal(s)
		b.Write(enc)
	}
	stamp := func(t time.Time) {
		u := time.UnixMilli(t.UnixMilli()).UTC()
		if u.Year() < 1 || u.Year() > 9999 {
			ok = false
		}
		b.WriteString(`"` + u.Format("2006-01-02T15:04:05.000Z") + `"`)
	}
	ok = true
	b.WriteString(`{"customer_present":` + strconv.FormatBool(c.CustomerPresent) + `,"headers":{`)
	if c.HasToken {
		b.WriteString(`"Klarna-Customer-Token":`)
		str(c.Token)
	}
	if c.HasIdempotencyKey {
		if c.HasToken {
			b.WriteString(",")
		}
		b.WriteString(`"Klarna-Idempotency-Key":`)
		str(c.IdempotencyKey)
	}
	b.WriteString(`},"body":{"currency":`)
	str(c.Currency)
	b.WriteString(`,"request_payment_transaction":{"amount":` + strconv.FormatInt(c.Amount, 10) + `}`)
	if c.StepUp {
		b.WriteString(`,"step_up_config":{}`)
	}
	b.WriteString(`}`)
	if r := c.Record; r != nil {
		b.WriteString(`,"token_record":{"customer_token":`)
		str(r.CustomerToken)
		b.WriteString(`,"scopes":[`)
		for i, s := range r.Scopes {
			if i > 0 {
				b.WriteString(",")
			}
			str(s)
		}
		b.WriteString(`],"state":"` + r.State.String() + `"`)
		if !r.LastUsedAt.IsZero() {
			b.WriteString(`,"last_used_at":`)
			stamp(r.LastUsedAt)
		}
		if r.Attempts != nil {
			b.WriteString(`,"attempts":[`)
			for i, at := range r.Attempts {
				if i > 0 {
					b.WriteString(",")
				}
				stamp(at)
			}
			b.WriteString(`]`)
		}
		b.WriteString(`}`)
	}
	if !c.Now.IsZero() {
		b.WriteString(`,"now":`)
		stamp(c.Now)
	}
	if c.Attempts24h != nil || c.Attempts30d != nil {
		b.WriteString(`,"counters":{`)
		if c.Attempts24h != nil {
			b.WriteString(`"attempts_24h":` + strconv.FormatInt(*c.Attempts24h, 10))
		}
		if c.Attempts30d != nil {
			if c.Attempts24h != nil {
				b.WriteString(",")
			}
			b.WriteString(`"attempts_30d":` + strconv.FormatInt(*c.Attempts30d, 10))
		}
		b.WriteString(`}`)
	}
	if c.Caller != "" {
		b.WriteString(`,"caller":`)
		str(c.Caller)
	}
	b.WriteString(`}`)
	return b.Bytes(), ok
}

// compareWithCheck runs c through CheckCharge and its equivalent request
// through Check, and reports any difference ("" when they agree): the
// verdict, its ids and fingerprint, or the error object byte for byte.
func compareWithCheck(e *Engine, c *Charge) string {
	request, ok := equivalentRequest(c)
	if !ok {
		return "no JSON equivalent"
	}
	v, verr := e.CheckCharge(c)
	d, derr := e.Check(request)
	if (verr != nil) != (derr != nil) {
		return fmt.Sprintf("CheckCharge error %v, Check error %v (decision %s)\n  request %s", verr, derr, rawOf(d), request)
	}
	if verr != nil {
		var a, b *Error
		if !errors.As(verr, &a) || !errors.As(derr, &b) || !bytes.Equal(a.raw, b.raw) {
			return fmt.Sprintf("CheckCharge error %s, Check error %s\n  request %s", errRaw(verr), errRaw(derr), request)
		}
		return ""
	}
	if v.Allowed != d.Allowed || !slices.Equal(v.Violations(), ids(d.Violations)) || !slices.Equal(v.Warnings(), ids(d.Warnings)) {
		return fmt.Sprintf("CheckCharge violations %v warnings %v; Check %s\n  request %s", v.Violations(), v.Warnings(), d.Raw, request)
	}
	codes := make([]string, len(d.Violations))
	for i, x := range d.Violations {
		codes[i] = x.Code
	}
	if !slices.Equal(v.Codes(), codes) {
		return fmt.Sprintf("Codes %v, Check's violation codes %v", v.Codes(), codes)
	}
	if c.WantFingerprint && v.FingerprintString() != d.Fingerprint() {
		return fmt.Sprintf("fingerprint %q, Check %q\n  request %s", v.FingerprintString(), d.Fingerprint(), request)
	}
	if !c.WantFingerprint && v.HasFingerprint {
		return "a fingerprint nobody asked for"
	}
	return ""
}

func errRaw(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return string(ce.raw)
	}
	return fmt.Sprint(err)
}

func rawOf(d *Decision) string {
	if d == nil {
		return "<nil>"
	}
	return string(d.Raw)
}

var chargeTokens = []string{
	testToken,
	"krn:customer-token:us1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
	"krn:partner:us1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a",
	"krn:partner:eu1:test:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a",
	"krn:customer-token:xx9:a1b2c3d4-e5f6-7890-abcd-ef1234567890", // bad region
	"krn:customer-token:eu1:A1B2C3D4-e5f6-7890-abcd-ef1234567890", // upper case
	"krn:customer-token:eu1:a1b2c3d4",                             // short
	"krn:payment-method:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890", // wrong type
	"krn:partner:eu1:live:identity:account:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a",
	" " + testToken,
	"",
	"not a token",
	"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890\"x",
}

var (
	chargeCurrencies = []string{"EUR", "SEK", "USD", "eur", "EU", "", "EURO", "E1R", "€€", "E\x00R", testToken}
	chargeScopes     = []string{"payment:customer_present", "payment:customer_not_present", "customer:login", "payment:unknown_scope", "", testToken}
	chargeAmounts    = []int64{1299, 1, 0, -5, 50000, 2147483647, 2147483648, math.MaxInt64, math.MinInt64}
)

// generatedCharge is a random charge over values that hit every rule the
// typed path can express, its faults included (currencies, amounts and
// scope lists the engine denies, negative counters, missing fields).
func generatedCharge(rng *rand.Rand) Charge {
	pick := func(n int) int { return rng.Intn(n) }
	c := Charge{
		CustomerPresent:   pick(2) == 0,
		HasToken:          pick(8) != 0,
		Token:             chargeTokens[pick(len(chargeTokens))],
		HasIdempotencyKey: pick(2) == 0,
		IdempotencyKey:    []string{"k-1", "", "a b", testToken}[pick(4)],
		StepUp:            pick(3) == 0,
		Amount:            chargeAmounts[pick(len(chargeAmounts))],
		Currency:          chargeCurrencies[pick(len(chargeCurrencies))],
		WantFingerprint:   pick(2) == 0,
	}
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if pick(5) != 0 {
		c.Now = base.Add(time.Duration(rng.Int63n(1e6)) * time.Millisecond)
	}
	if pick(4) != 0 {
		r := &StoredRecord{
			CustomerToken: []string{c.Token, testToken, chargeTokens[pick(len(chargeTokens))]}[pick(3)],
			State:         []RecordState{RecordActive, RecordActive, RecordRevoked}[pick(3)],
		}
		for n := pick(4); n > 0; n-- {
			r.Scopes = append(r.Scopes, chargeScopes[pick(len(chargeScopes))])
		}
		if pick(2) == 0 {
			r.Scopes = []string{"payment:customer_not_present"}
		}
		if pick(3) != 0 {
			r.LastUsedAt = base.Add(-time.Duration(rng.Int63n(200*24)) * time.Hour)
		}
		c.Record = r
	}
	counter := func() *int64 {
		switch pick(5) {
		case 0:
			return nil
		case 1:
			return i64(-1)
		default:
			return i64(rng.Int63n(20))
		}
	}
	c.Attempts24h, c.Attempts30d = counter(), counter()
	// The caller (policy access, rules 901-903) and the record's attempts
	// (rule 804 when there are no counters): known and unknown callers,
	// two that are not caller names, a token as one; attempts inside and
	// outside both windows, on their edges and later than now.
	if pick(3) == 0 {
		c.Caller = chargeCallers[pick(len(chargeCallers))]
	}
	if c.Record != nil && pick(2) == 0 {
		anchor := c.Now
		if anchor.IsZero() {
			anchor = base
		}
		c.Record.Attempts = []time.Time{}
		for n := pick(6); n > 0; n-- {
			offset := attemptOffsets[pick(len(attemptOffsets))]
			c.Record.Attempts = append(c.Record.Attempts, anchor.Add(offset))
		}
	}
	if pick(4) == 0 {
		c.Attempts24h, c.Attempts30d = nil, nil
	}
	return c
}

var (
	chargeCallers  = []string{"billing", "checkout", "support", "nobody", "tab\there", strings.Repeat("x", 256), testToken}
	attemptOffsets = []time.Duration{0, -time.Millisecond, -24 * time.Hour, -24*time.Hour + time.Millisecond,
		-24*time.Hour - time.Millisecond, -30 * 24 * time.Hour, -30*24*time.Hour + time.Millisecond,
		-60 * 24 * time.Hour, time.Hour, -2 * time.Hour}
	// accessPolicies add policy access (and retry caps counted from the
	// record) to the vector policies of the agreement test.
	accessPolicies = map[string]string{
		"access": `{"max_attempts":{"per_24h":2,"per_30d":5},"access":{"billing":{"scopes":["payment:customer_not_present"]},` +
			`"checkout":{"scopes":["payment:customer_present"],"tokenize":true},"support":{"scopes":[]}}}`,
		"access-empty": `{"access":{},"max_attempts":{"per_24h":1}}`,
	}
)

// TestCheckChargeAgreesWithCheck is the property test of the typed path: random
// typed charges give, under every vector policy, the same verdict, ids,
// codes and fingerprint as Check on the equivalent JSON request, or the
// same error object byte for byte.
func TestCheckChargeAgreesWithCheck(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)
	policies := sortedKeys(file.Policies)
	for name, policy := range accessPolicies {
		engs[name] = newTestEngine(t, policy)
		policies = append(policies, name)
	}
	slices.Sort(policies)
	rng := rand.New(rand.NewSource(17))
	var denies, errs, allows int
	hits := map[uint16]int{}
	for i := 0; i < 3000; i++ {
		c := generatedCharge(rng)
		e := engs[policies[i%len(policies)]]
		if msg := compareWithCheck(e, &c); msg != "" {
			t.Fatalf("charge %d (policy %s): %s", i, policies[i%len(policies)], msg)
		}
		switch v, err := e.CheckCharge(&c); {
		case err != nil:
			errs++
		case v.Allowed:
			allows++
		default:
			denies++
			for _, id := range v.Violations() {
				hits[id]++
			}
		}
	}
	if allows == 0 || denies == 0 || errs == 0 {
		t.Fatalf("the generator misses an outcome: %d ALLOW, %d DENY, %d errors", allows, denies, errs)
	}
	for _, id := range []uint16{804, 901, 902} {
		if hits[id] == 0 {
			t.Errorf("the generator never hits rule %d", id)
		}
	}
	t.Logf("3000 charges over %d policies: %d ALLOW, %d DENY, %d errors", len(policies), allows, denies, errs)
}

// TestCheckChargeDecidesLikeJSON: hand-picked cases of the typed path.
func TestCheckChargeDecidesLikeJSON(t *testing.T) {
	e := newTestEngine(t, `{"allowed_regions":["eu1"],"max_attempts":{"per_24h":10}}`)
	cases := map[string]struct {
		edit func(*Charge)
		code string // a violation code the verdict must hold
	}{
		"currency EU":    {func(c *Charge) { c.Currency = "EU" }, CodeCurrencyInvalid},
		"currency empty": {func(c *Charge) { c.Currency = "" }, CodeCurrencyInvalid},
		"currency EURO":  {func(c *Charge) { c.Currency = "EURO" }, CodeCurrencyInvalid},
		"amount 0":       {func(c *Charge) { c.Amount = 0 }, CodeAmountInvalid},
		"no scopes":      {func(c *Charge) { c.Record.Scopes = nil }, CodeRecordInvalid},
		"both payment scopes": {func(c *Charge) {
			c.Record.Scopes = []string{"payment:customer_present", "payment:customer_not_present"}
		}, CodeRecordInvalid},
		"repeated scope": {func(c *Charge) { c.Record.Scopes = append(c.Record.Scopes, c.Record.Scopes[0]) }, CodeRecordInvalid},
		"last_used_at year 10000": {func(c *Charge) {
			c.Record.LastUsedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}, CodeRecordInvalid},
	}
	for name, tc := range cases {
		c := renewalCharge()
		tc.edit(&c)
		v, err := e.CheckCharge(&c)
		if err != nil || v.Allowed || !slices.Contains(v.Codes(), tc.code) {
			t.Errorf("%s: %v %v, want a DENY with %s", name, v.Codes(), err, tc.code)
		}
		if _, ok := equivalentRequest(&c); ok {
			if msg := compareWithCheck(e, &c); msg != "" {
				t.Errorf("%s: %s", name, msg)
			}
		}
	}
	// An unknown scope is a warning by default.
	c := renewalCharge()
	c.Record.Scopes = append(c.Record.Scopes, "payment:unknown_scope")
	if v, err := e.CheckCharge(&c); err != nil || !v.Allowed || !slices.Contains(v.WarningCodes(), CodeUnknownScope) {
		t.Errorf("unknown scope: %v %v %v", v.Codes(), v.WarningCodes(), err)
	}
}

// TestCheckChargeErrors: the faults, each the JSON path's error object or
// the library's argument error, never a binding-made one.
func TestCheckChargeErrors(t *testing.T) {
	e := newTestEngine(t, `{"max_attempts":{"per_24h":10}}`)
	want := func(name string, err error, status Status, code, path string) {
		t.Helper()
		var ce *Error
		if !errors.As(err, &ce) || ce.Status != status || ce.Code != code || ce.Path != path || ce.raw == nil {
			t.Errorf("%s: got %v (%s), want %v %s at %q", name, err, errRaw(err), status, code, path)
		}
		if strings.Contains(err.Error(), "a1b2c3d4") {
			t.Errorf("%s: the error holds the token: %v", name, err)
		}
	}
	c := renewalCharge()
	c.Now = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := e.CheckCharge(&c)
	want("now year 10000", err, StatusInvalidRequest, CodeInvalidValue, "/now")

	c = renewalCharge()
	c.Attempts24h = i64(-1)
	_, err = e.CheckCharge(&c)
	want("negative counter", err, StatusInvalidRequest, CodeInvalidValue, "/counters/attempts_24h")

	c = renewalCharge()
	c.Attempts24h = nil
	_, err = e.CheckCharge(&c)
	want("needed by rule", err, StatusInvalidRequest, CodeNeededByRule, "/counters/attempts_24h")
	if msg := compareWithCheck(e, &c); msg != "" {
		t.Error(msg)
	}

	c = renewalCharge()
	c.Token = testToken + "\xff"
	_, err = e.CheckCharge(&c)
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != StatusInvalidUTF8 {
		t.Errorf("invalid UTF-8: %v", err)
	}

	c = renewalCharge()
	c.Record.State = 0
	if _, err = e.CheckCharge(&c); err != ErrRecordStateUnset {
		t.Errorf("zero state: %v", err)
	}
	c.Record.State = 7
	_, err = e.CheckCharge(&c)
	if !errors.As(err, &ce) || ce.Status != StatusInvalidArgument || ce.raw == nil {
		t.Errorf("unknown state: %v", err)
	}

	if _, err := e.CheckCharge(nil); err != ErrNilCharge {
		t.Errorf("nil charge: %v", err)
	}
	var nilEngine *Engine
	if _, err := nilEngine.CheckCharge(&c); err != ErrClosed {
		t.Errorf("nil engine: %v", err)
	}
	closed := newTestEngine(t, "")
	closed.Close()
	if _, err := closed.CheckCharge(&c); err != ErrClosed {
		t.Errorf("closed engine: %v", err)
	}
	if _, _, err := closed.CheckMany([][]byte{[]byte(renewalFixture)}); err != ErrClosed {
		t.Errorf("closed engine, CheckMany: %v", err)
	}
}

func TestVerdictHelpers(t *testing.T) {
	e := newTestEngine(t, `{"severity":{"STEP_UP_RECOMMENDED":"warn"}}`)
	c := renewalCharge()
	c.Token = chargeTokens[7]
	c.Record.Scopes = []string{"payment:customer_present", "payment:unknown_scope"}
	c.HasIdempotencyKey = false
	c.WantFingerprint = true
	v, err := e.CheckCharge(&c)
	if err != nil {
		t.Fatal(err)
	}
	request, _ := equivalentRequest(&c)
	d, err := e.Check(request)
	if err != nil {
		t.Fatal(err)
	}
	var codes, warnCodes []string
	for _, x := range d.Violations {
		codes = append(codes, x.Code)
	}
	for _, x := range d.Warnings {
		warnCodes = append(warnCodes, x.Code)
	}
	// Codes are the violations only; warnings are apart.
	if v.Allowed || !slices.Equal(v.Codes(), codes) || !slices.Equal(v.WarningCodes(), warnCodes) || len(codes) == 0 || len(warnCodes) == 0 {
		t.Errorf("codes %v / %v, Check %v / %v", v.Codes(), v.WarningCodes(), codes, warnCodes)
	}
	if v.HasFingerprint || v.FingerprintString() != "" {
		t.Error("a fingerprint for a wrong-type token")
	}
	c = renewalCharge()
	c.WantFingerprint = true
	if v, _ = e.CheckCharge(&c); !v.Allowed || v.FingerprintString() != mustParse(t, testToken).Fingerprint {
		t.Errorf("fingerprint %s", v.FingerprintString())
	}
}

func mustParse(t *testing.T, token string) *TokenInfo {
	t.Helper()
	info, err := ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestConcurrentCheckCharge: 16 goroutines share one engine for
// CheckCharge, Check and CheckMany and all get the serial answers.
func TestConcurrentCheckCharge(t *testing.T) {
	e := newTestEngine(t, `{"allowed_regions":["eu1"],"max_attempts":{"per_24h":10},"min_charge_interval_seconds":3600}`)
	rng := rand.New(rand.NewSource(7))
	charges := make([]Charge, 32)
	want := make([]string, len(charges))
	verdictString := func(v Verdict, err error) string {
		if err != nil {
			return "error " + err.Error()
		}
		return fmt.Sprint(v.Allowed, v.Violations(), v.Warnings(), v.FingerprintString())
	}
	for i := range charges {
		charges[i] = generatedCharge(rng)
		want[i] = verdictString(e.CheckCharge(&charges[i]))
	}
	batch := [][]byte{[]byte(renewalFixture), renewalRequest, []byte("not json")}
	manyString := func(rs []BatchResult, c BatchCounts, err error) string {
		var b strings.Builder
		for _, r := range rs {
			b.WriteString(outputLine(r.Decision, r.Err) + "\n")
		}
		return fmt.Sprint(b.String(), c, err)
	}
	wantBatch := manyString(e.CheckMany(batch))
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := (g + i) % len(charges)
				if got := verdictString(e.CheckCharge(&charges[k])); got != want[k] {
					errs <- fmt.Sprintf("goroutine %d charge %d: %s, want %s", g, k, got, want[k])
					return
				}
				if i%20 == 0 {
					if got := manyString(e.CheckMany(batch)); got != wantBatch {
						errs <- fmt.Sprintf("goroutine %d: batch %s", g, got)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// TestCloseDuringCheckCharge: Close while goroutines call CheckCharge;
// each call decides or returns ErrClosed.
func TestCloseDuringCheckCharge(t *testing.T) {
	for round := 0; round < 10; round++ {
		e, err := NewEngine(nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		bad := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := renewalCharge()
				for i := 0; i < 50; i++ {
					v, err := e.CheckCharge(&c)
					if (err != nil && !errors.Is(err, ErrClosed)) || (err == nil && !v.Allowed) {
						bad <- fmt.Errorf("%v %v", err, v.Violations())
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(round%4) * 100 * time.Microsecond)
		_ = e.Close()
		wg.Wait()
		close(bad)
		for err := range bad {
			t.Fatal(err)
		}
	}
}

// FuzzCheckCharge: arbitrary field values never crash, give a verdict or
// an error from the library, and agree with Check on the JSON equivalent
// whenever there is one.
func FuzzCheckCharge(f *testing.F) {
	f.Add(false, testToken, true, "renewal-1", true, false, int64(1299), "EUR", uint8(1), testToken, "payment:customer_not_present", int64(0), int64(1764064800000), int64(0), int64(0), true, "", int64(0))
	f.Add(true, "krn:x", true, "a b", false, true, int64(0), "eu1", uint8(2), "", "customer:login,x", int64(-5), int64(1764064800000), int64(1764064700000), int64(3), true, "billing", int64(1764064700000))
	f.Add(false, testToken, true, "k", true, false, int64(1299), "EUR", uint8(1), testToken, "payment:customer_not_present", int64(math.MinInt64), int64(1764064800000), int64(0), int64(18), false, "billing", int64(1764064000000))
	var file checkFile
	readVectors(f, "check.json", &file)
	for name, policy := range accessPolicies {
		file.Policies[name] = json.RawMessage(policy)
	}
	policies := sortedKeys(file.Policies)
	engs := make([]*Engine, len(policies))
	for i, p := range policies {
		e, err := NewEngine(file.Policies[p])
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = e.Close() })
		engs[i] = e
	}
	f.Fuzz(func(t *testing.T, present bool, token string, hasToken bool, key string, hasKey bool, stepUp bool,
		amount int64, currency string, state uint8, recordToken string, scopes string,
		a24 int64, nowMs int64, lastMs int64, policy int64, fp bool, caller string, attemptMs int64) {
		c := Charge{CustomerPresent: present, Token: token, HasToken: hasToken, IdempotencyKey: key, HasIdempotencyKey: hasKey,
			StepUp: stepUp, Amount: amount, Currency: currency, WantFingerprint: fp}
		if state%3 != 0 {
			c.Record = &StoredRecord{CustomerToken: recordToken, State: RecordState(state % 3)}
			if scopes != "" {
				c.Record.Scopes = strings.Split(scopes, ",")
			}
			if lastMs != 0 {
				c.Record.LastUsedAt = time.UnixMilli(lastMs)
			}
			if attemptMs != 0 {
				// Two attempts: the fuzzed instant and one a day before it.
				c.Record.Attempts = []time.Time{time.UnixMilli(attemptMs), time.UnixMilli(attemptMs).Add(-24 * time.Hour)}
			}
		}
		c.Caller = caller
		if nowMs != 0 {
			c.Now = time.UnixMilli(nowMs)
		}
		if a24 != math.MinInt64 {
			c.Attempts24h = &a24
		}
		e := engs[int(uint64(policy)%uint64(len(engs)))]
		v, err := e.CheckCharge(&c)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Status == StatusPanic || ce.Status == StatusOK || ce.raw == nil {
				t.Fatalf("bad error %v", err)
			}
		} else if v.Allowed != (len(v.Violations()) == 0) {
			t.Fatalf("inconsistent verdict %+v", v)
		}
		if msg := compareWithCheck(e, &c); msg != "" && msg != "no JSON equivalent" {
			t.Fatal(msg)
		}
	})
}

// TestCheckChargeAllocations: a verdict costs one small Go allocation (the
// record's scope array handed to C), none without a record.
func TestCheckChargeAllocations(t *testing.T) {
	e := newTestEngine(t, `{"allowed_regions":["eu1"],"max_attempts":{"per_24h":10}}`)
	c := renewalCharge()
	for _, fp := range []bool{false, true} {
		c.WantFingerprint = fp
		allocs := testing.AllocsPerRun(200, func() {
			if v, err := e.CheckCharge(&c); err != nil || !v.Allowed {
				t.Fatal(err)
			}
		})
		if allocs > 1 {
			t.Errorf("fingerprint %v: %v allocations per CheckCharge, want at most 1", fp, allocs)
		}
	}
	noRecord := renewalCharge()
	noRecord.Record = nil
	if allocs := testing.AllocsPerRun(200, func() { _, _ = e.CheckCharge(&noRecord) }); allocs != 0 {
		t.Errorf("%v allocations per CheckCharge without a record, want 0", allocs)
	}
}

// TestCheckChargeCallerAndAttempts: the caller and the record's attempts
// on the typed path, each case also compared with Check on the JSON
// equivalent.
func TestCheckChargeCallerAndAttempts(t *testing.T) {
	e := newTestEngine(t, accessPolicies["access"])
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	fromRecord := func(c *Charge, offsets ...time.Duration) {
		c.Attempts24h, c.Attempts30d = nil, nil
		c.Record.Attempts = []time.Time{}
		for _, o := range offsets {
			c.Record.Attempts = append(c.Record.Attempts, now.Add(o))
		}
	}
	cases := []struct {
		name   string
		edit   func(*Charge)
		codes  []string // the violation codes, exactly; nil with errPath
		errPth string   // the INVALID_REQUEST error's path, "" for a verdict
	}{
		{"caller allowed", func(c *Charge) { c.Caller = "billing" }, []string{}, ""},
		{"no caller", func(c *Charge) {}, []string{CodeCallerNotAllowed}, ""},
		{"unknown caller", func(c *Charge) { c.Caller = "nobody" }, []string{CodeCallerNotAllowed}, ""},
		{"caller without the scope", func(c *Charge) { c.Caller = "checkout" }, []string{CodeCallerScopeNotAllowed}, ""},
		{"caller with no scopes", func(c *Charge) { c.Caller = "support" }, []string{CodeCallerScopeNotAllowed}, ""},
		{"caller not a name", func(c *Charge) { c.Caller = "bad\x01name" }, nil, "/caller"},
		{"attempts under the cap", func(c *Charge) { c.Caller = "billing"; fromRecord(c, -time.Hour) }, []string{}, ""},
		{"attempts at the 24h cap", func(c *Charge) { c.Caller = "billing"; fromRecord(c, -time.Hour, -2*time.Hour) },
			[]string{CodeAttemptLimitExceeded}, ""},
		{"attempts exactly 24h old do not count", func(c *Charge) {
			c.Caller = "billing"
			fromRecord(c, -24*time.Hour, -24*time.Hour-time.Millisecond)
		}, []string{}, ""},
		{"an attempt later than now counts", func(c *Charge) { c.Caller = "billing"; fromRecord(c, time.Hour, -time.Hour) },
			[]string{CodeAttemptLimitExceeded}, ""},
		{"attempts at the 30d cap", func(c *Charge) {
			c.Caller = "billing"
			fromRecord(c, -2*24*time.Hour, -3*24*time.Hour, -4*24*time.Hour, -5*24*time.Hour, -29*24*time.Hour)
		}, []string{CodeAttemptLimitExceeded}, ""},
		{"counters win over the record", func(c *Charge) {
			c.Caller = "billing"
			fromRecord(c, -time.Hour, -2*time.Hour)
			c.Attempts24h, c.Attempts30d = i64(0), i64(0)
		}, []string{}, ""},
		{"attempts need now", func(c *Charge) { c.Caller = "billing"; fromRecord(c); c.Now = time.Time{} }, nil, "/now"},
		{"attempt outside years 0001-9999", func(c *Charge) {
			c.Caller = "billing"
			fromRecord(c)
			c.Record.Attempts = []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, []string{CodeRecordInvalid}, ""},
	}
	for _, tc := range cases {
		c := renewalCharge()
		c.Now = now
		c.Record.LastUsedAt = time.Time{}
		tc.edit(&c)
		v, err := e.CheckCharge(&c)
		switch {
		case tc.errPth != "":
			var ce *Error
			if !errors.As(err, &ce) || ce.Status != StatusInvalidRequest || ce.Path != tc.errPth {
				t.Errorf("%s: %v %v, want INVALID_REQUEST at %s", tc.name, v.Codes(), err, tc.errPth)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !slices.Equal(v.Codes(), tc.codes):
			t.Errorf("%s: codes %v, want %v", tc.name, v.Codes(), tc.codes)
		}
		if _, ok := equivalentRequest(&c); ok {
			if msg := compareWithCheck(e, &c); msg != "" {
				t.Errorf("%s: %s", tc.name, msg)
			}
		}
		text := fmt.Sprintf("%v %+v %#v %s", c, c, c, c)
		if c.Caller != "" && !strings.Contains(text, "caller=") {
			t.Errorf("%s: the printed charge does not show the caller: %s", tc.name, text)
		}
	}
	// A token given as the caller is a caller name like any other, and is
	// redacted wherever the charge is printed.
	c := renewalCharge()
	c.Caller = testToken
	if _, err := e.CheckCharge(&c); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c), mustJSON(t, c)} {
		if strings.Contains(text, "a1b2c3d4") {
			t.Errorf("the printed charge holds the token given as its caller: %s", text)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
