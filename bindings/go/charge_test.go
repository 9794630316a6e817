package ctpolicy

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
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
			Scopes:        ScopeCustomerNotPresent,
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

// compareWithCheck runs c through CheckCharge and its JSON equivalent
// through Check, and reports any difference in outcome, violation ids,
// warning ids or fingerprint ("" when they agree).
func compareWithCheck(e *Engine, c *Charge) string {
	request, ok := chargeRequestJSON(c)
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
		errors.As(verr, &a)
		errors.As(derr, &b)
		if a.Status != b.Status || a.Code != b.Code {
			return fmt.Sprintf("CheckCharge error %v, Check error %v\n  request %s", verr, derr, request)
		}
		return ""
	}
	if v.Allowed != d.Allowed || !slices.Equal(v.Violations(), ids(d.Violations)) || !slices.Equal(v.Warnings(), ids(d.Warnings)) {
		return fmt.Sprintf("CheckCharge violations %v warnings %v; Check %s\n  request %s", v.Violations(), v.Warnings(), d.Raw, request)
	}
	if c.WantFingerprint {
		want := ""
		if d.Token != nil {
			want = d.Token.Fingerprint
		}
		if v.FingerprintString() != want {
			return fmt.Sprintf("fingerprint %q, Check %q\n  request %s", v.FingerprintString(), want, request)
		}
	} else if v.HasFingerprint {
		return "a fingerprint nobody asked for"
	}
	return ""
}

func rawOf(d *Decision) string {
	if d == nil {
		return "<nil>"
	}
	return string(d.Raw)
}

// TestChargeRequestJSONMapping: the binding's JSON equivalent of the
// fixture charge decides like the fixture itself (an independent check of
// the mapping the agreement tests rely on).
func TestChargeRequestJSONMapping(t *testing.T) {
	for _, policy := range []string{"", `{"min_charge_interval_seconds":86400,"max_attempts":{"per_24h":10,"per_30d":35}}`,
		`{"min_charge_interval_seconds":3000000,"max_attempts":{"per_30d":1}}`} {
		e := newTestEngine(t, policy)
		c := renewalCharge()
		c.WantFingerprint = true
		fixture, err := e.Check([]byte(renewalFixture))
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.CheckCharge(&c)
		if err != nil {
			t.Fatal(err)
		}
		if v.Allowed != fixture.Allowed || !slices.Equal(v.Violations(), ids(fixture.Violations)) ||
			!slices.Equal(v.Warnings(), ids(fixture.Warnings)) || v.FingerprintString() != fixture.Token.Fingerprint {
			t.Errorf("policy %s: CheckCharge %v %v %s, fixture %s", policy, v.Violations(), v.Warnings(), v.FingerprintString(), fixture.Raw)
		}
		if msg := compareWithCheck(e, &c); msg != "" {
			t.Errorf("policy %s: %s", policy, msg)
		}
	}
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

// TestCheckChargeHandPicked: CheckCharge agrees with Check on hand-picked
// charges (each alone, then on every vector policy).
func TestCheckChargeHandPicked(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)
	base := renewalCharge
	cases := map[string]func(c *Charge){
		"renewal":                 func(c *Charge) {},
		"on-session":              func(c *Charge) { c.CustomerPresent = true },
		"on-session step-up":      func(c *Charge) { c.CustomerPresent = true; c.StepUp = true },
		"off-session step-up":     func(c *Charge) { c.StepUp = true },
		"no token":                func(c *Charge) { c.HasToken = false },
		"empty token":             func(c *Charge) { c.Token = "" },
		"wrong type":              func(c *Charge) { c.Token = chargeTokens[7] },
		"malformed":               func(c *Charge) { c.Token = chargeTokens[6] },
		"us1":                     func(c *Charge) { c.Token = chargeTokens[1]; c.Record.CustomerToken = chargeTokens[1] },
		"record mismatch":         func(c *Charge) { c.Record.CustomerToken = chargeTokens[2] },
		"no record":               func(c *Charge) { c.Record = nil },
		"revoked":                 func(c *Charge) { c.Record.State = RecordRevoked },
		"both scopes":             func(c *Charge) { c.Record.Scopes = ScopeCustomerPresent | ScopeCustomerNotPresent },
		"no scopes":               func(c *Charge) { c.Record.Scopes = 0 },
		"login only":              func(c *Charge) { c.Record.Scopes = ScopeCustomerLogin },
		"unknown scope":           func(c *Charge) { c.Record.Scopes |= ScopeUnknown },
		"scope mismatch":          func(c *Charge) { c.Record.Scopes = ScopeCustomerPresent },
		"amount 0":                func(c *Charge) { c.Amount = 0 },
		"amount -1":               func(c *Charge) { c.Amount = -1 },
		"amount 2^31":             func(c *Charge) { c.Amount = 2147483648 },
		"amount 2^31-1":           func(c *Charge) { c.Amount = 2147483647 },
		"amount 50001":            func(c *Charge) { c.Amount = 50001 },
		"eur":                     func(c *Charge) { c.Currency = "eur" },
		"EU1":                     func(c *Charge) { c.Currency = "EU1" },
		"USD":                     func(c *Charge) { c.Currency = "USD" },
		"SEK":                     func(c *Charge) { c.Currency = "SEK" },
		"no key":                  func(c *Charge) { c.HasIdempotencyKey = false },
		"empty key":               func(c *Charge) { c.IdempotencyKey = "" },
		"key with space":          func(c *Charge) { c.IdempotencyKey = "a b" },
		"long key":                func(c *Charge) { c.IdempotencyKey = strings.Repeat("k", 300) },
		"too soon":                func(c *Charge) { c.Record.LastUsedAt = c.Now.Add(-time.Hour) },
		"last use in the future":  func(c *Charge) { c.Record.LastUsedAt = c.Now.Add(time.Hour) },
		"no last use":             func(c *Charge) { c.Record.LastUsedAt = time.Time{} },
		"attempts over":           func(c *Charge) { c.Attempts24h = i64(12); c.Attempts30d = i64(40) },
		"attempts at the limit":   func(c *Charge) { c.Attempts24h = i64(10); c.Attempts30d = i64(35) },
		"millisecond timestamps":  func(c *Charge) { c.Now = c.Now.Add(123 * time.Millisecond) },
		"fingerprint":             func(c *Charge) { c.WantFingerprint = true },
		"fingerprint, wrong type": func(c *Charge) { c.WantFingerprint = true; c.Token = chargeTokens[7] },
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	compared := 0
	for _, name := range names {
		for _, policy := range sortedKeys(file.Policies) {
			c := base()
			cases[name](&c)
			if msg := compareWithCheck(engs[policy], &c); msg != "" {
				t.Errorf("%s, policy %s: %s", name, policy, msg)
			}
			compared++
		}
	}
	t.Logf("%d hand-picked charges compared over %d policies (%d comparisons)", len(cases), len(file.Policies), compared)
}

// generatedCharge is a random charge over the interesting values.
func generatedCharge(rng *rand.Rand) Charge {
	pick := func(n int) int { return rng.Intn(n) }
	c := Charge{CustomerPresent: pick(2) == 0, StepUp: pick(4) == 0, WantFingerprint: pick(2) == 0}
	if pick(8) != 0 {
		c.HasToken = true
		c.Token = chargeTokens[pick(len(chargeTokens))]
	}
	switch pick(5) {
	case 0:
	case 1:
		c.HasIdempotencyKey, c.IdempotencyKey = true, ""
	case 2:
		c.HasIdempotencyKey, c.IdempotencyKey = true, "a b"
	default:
		c.HasIdempotencyKey, c.IdempotencyKey = true, fmt.Sprintf("key-%d", pick(1000))
	}
	c.Amount = []int64{0, 1, 1299, 50000, 50001, 100001, -5, 2147483647, 2147483648, 1 << 53}[pick(10)]
	c.Currency = []string{"EUR", "SEK", "USD", "eur", "EU1", "   ", "\x00\x00\x00"}[pick(7)]
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if pick(3) != 0 {
		c.Now = base.Add(time.Duration(pick(1000)) * time.Millisecond)
	}
	if pick(4) != 0 {
		r := &StoredRecord{State: RecordActive, Scopes: ScopeSet(pick(16))}
		if pick(3) == 0 {
			r.State = RecordRevoked
		}
		switch pick(4) {
		case 0:
			r.CustomerToken = chargeTokens[pick(len(chargeTokens))]
		default:
			r.CustomerToken = c.Token
		}
		if pick(2) == 0 {
			r.LastUsedAt = base.Add(-time.Duration(pick(200000)) * time.Second)
		}
		c.Record = r
	}
	if pick(3) != 0 {
		c.Attempts24h = i64(int64(pick(14)))
	}
	if pick(3) != 0 {
		c.Attempts30d = i64(int64(pick(40)))
	}
	return c
}

// TestCheckChargeGenerated: CheckCharge agrees with Check on generated
// charges (fixed seed) over every vector policy.
func TestCheckChargeGenerated(t *testing.T) {
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)
	policies := sortedKeys(file.Policies)
	rng := rand.New(rand.NewSource(20261125))
	const n = 600
	failures, errorsSeen, denies := 0, 0, 0
	for i := 0; i < n; i++ {
		c := generatedCharge(rng)
		for _, policy := range policies {
			if msg := compareWithCheck(engs[policy], &c); msg != "" {
				failures++
				if failures <= 10 {
					t.Errorf("charge %d, policy %s: %s", i, policy, msg)
				}
			}
			if v, err := engs[policy].CheckCharge(&c); err != nil {
				errorsSeen++
			} else if !v.Allowed {
				denies++
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d disagreements", failures)
	}
	t.Logf("%d generated charges x %d policies: %d DENY, %d errors (NEEDED_BY_RULE)", n, len(policies), denies, errorsSeen)
}

func TestCheckChargeErrors(t *testing.T) {
	e := newTestEngine(t, "")
	timed := newTestEngine(t, `{"min_charge_interval_seconds":86400,"max_attempts":{"per_24h":10}}`)
	for _, tc := range []struct {
		name   string
		engine *Engine
		edit   func(c *Charge)
		want   *Error
		code   string
		path   string
	}{
		{"currency too short", e, func(c *Charge) { c.Currency = "EU" }, ErrInvalidArgument, "", ""},
		{"currency too long", e, func(c *Charge) { c.Currency = "EURO" }, ErrInvalidArgument, "", ""},
		{"zero state", e, func(c *Charge) { c.Record.State = 0 }, ErrInvalidArgument, "", ""},
		{"unknown state", e, func(c *Charge) { c.Record.State = 3 }, ErrInvalidArgument, "", ""},
		{"unknown scope bit", e, func(c *Charge) { c.Record.Scopes = 16 | ScopeCustomerNotPresent }, ErrInvalidArgument, "", ""},
		{"year 10000", e, func(c *Charge) { c.Now = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, ErrInvalidArgument, "", ""},
		{"year 0", e, func(c *Charge) { c.Record.LastUsedAt = time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC) }, ErrInvalidArgument, "", ""},
		{"negative 24h", e, func(c *Charge) { c.Attempts24h = i64(-1) }, ErrInvalidRequest, CodeInvalidValue, "/counters/attempts_24h"},
		{"negative 30d", e, func(c *Charge) { c.Attempts30d = i64(-3) }, ErrInvalidRequest, CodeInvalidValue, "/counters/attempts_30d"},
		{"needs now", timed, func(c *Charge) { c.Now = time.Time{} }, ErrInvalidRequest, CodeNeededByRule, "/now"},
		{"needs counters", timed, func(c *Charge) { c.Attempts24h = nil }, ErrInvalidRequest, CodeNeededByRule, "/counters/attempts_24h"},
	} {
		c := renewalCharge()
		tc.edit(&c)
		v, err := tc.engine.CheckCharge(&c)
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, tc.want) || ce.Code != tc.code || ce.Path != tc.path || ce.Message == "" {
			t.Errorf("%s: got %v (%+v), want %v code %q path %q", tc.name, err, v, tc.want, tc.code, tc.path)
			continue
		}
		assertNoSecret(t, tc.name, "the error", err.Error(), testToken)
		// The JSON path agrees on the status (and on the code where the
		// request can be written).
		if request, ok := chargeRequestJSON(&c); ok && tc.want == ErrInvalidRequest {
			if _, jerr := tc.engine.Check(request); !errors.Is(jerr, tc.want) {
				t.Errorf("%s: Check says %v", tc.name, jerr)
			}
		}
	}
	if _, err := e.CheckCharge(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil charge: %v", err)
	}
	var nilEngine *Engine
	c := renewalCharge()
	if _, err := nilEngine.CheckCharge(&c); !errors.Is(err, ErrClosed) {
		t.Errorf("nil engine: %v", err)
	}
	closed, _ := NewEngine(nil)
	_ = closed.Close()
	if _, err := closed.CheckCharge(&c); !errors.Is(err, ErrClosed) {
		t.Errorf("closed engine: %v", err)
	}
	if _, _, err := closed.CheckBatch([]byte(renewalFixture)); !errors.Is(err, ErrClosed) {
		t.Errorf("closed engine batch: %v", err)
	}
}

// TestScopeBitsMatchLibrary: the scope bits of this binding are the
// library's (the header does not export them): each bit alone is accepted,
// the next one is not, and each decides like its JSON name.
func TestScopeBitsMatchLibrary(t *testing.T) {
	e := newTestEngine(t, "")
	for bit := ScopeSet(1); bit <= 32; bit <<= 1 {
		c := renewalCharge()
		c.Record.Scopes = bit
		_, err := e.CheckCharge(&c)
		if known := bit <= ScopeUnknown; (err == nil) != known {
			t.Errorf("scope bit %d: %v", bit, err)
		}
		if bit <= ScopeUnknown {
			if msg := compareWithCheck(e, &c); msg != "" {
				t.Errorf("scope bit %d: %s", bit, msg)
			}
		}
	}
}

func TestVerdictHelpers(t *testing.T) {
	e := newTestEngine(t, `{"severity":{"STEP_UP_RECOMMENDED":"warn"}}`)
	c := renewalCharge()
	c.Token = chargeTokens[7]
	c.Record.Scopes = ScopeCustomerPresent | ScopeUnknown
	c.HasIdempotencyKey = false
	c.WantFingerprint = true
	v, err := e.CheckCharge(&c)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Check(must(chargeRequestJSON(&c)))
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

func must(b []byte, ok bool) []byte {
	if !ok {
		panic("no JSON equivalent")
	}
	return b
}

func mustParse(t *testing.T, token string) *TokenInfo {
	t.Helper()
	info, err := ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestCheckChargeAllocations: a verdict costs no Go allocation, with or
// without the fingerprint.
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
		if allocs != 0 {
			t.Errorf("fingerprint %v: %v allocations per CheckCharge, want 0", fp, allocs)
		}
	}
}

// TestPrintingChargeNeverShowsToken: no fmt verb or slog handler prints
// the token, the record's token or the idempotency key of a Charge.
func TestPrintingChargeNeverShowsToken(t *testing.T) {
	c := renewalCharge()
	c.IdempotencyKey = "secret-idempotency-key"
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, *c.Record), fmt.Sprintf(verb, c.Record))
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("charge", "charge", c, "record", *c.Record)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("charge", "charge", c)
	out = append(out, buf.String())
	for _, s := range out {
		if strings.Contains(s, "a1b2c3d4") || strings.Contains(s, c.IdempotencyKey) {
			t.Errorf("printed a secret: %s", s)
		}
	}
}

// TestConcurrentCheckCharge: 16 goroutines share one engine for
// CheckCharge, Check and CheckBatch and all get the serial answers.
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
	batch := []byte(renewalFixture + "\n" + string(renewalRequest) + "\nnot json\n")
	wantBatch, _, err := e.CheckBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
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
					if got, _, err := e.CheckBatch(batch); err != nil || !bytes.Equal(got, wantBatch) {
						errs <- fmt.Sprintf("goroutine %d: batch %v %s", g, err, got)
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
// an *Error, and agree with Check on the JSON equivalent.
func FuzzCheckCharge(f *testing.F) {
	f.Add(false, testToken, true, "renewal-1", true, false, int64(1299), "EUR", uint8(1), testToken, uint32(2), int64(0), int64(1), int64(0), int64(0), true)
	f.Add(true, "krn:x", true, "a b", false, true, int64(0), "eu1", uint8(2), "", uint32(15), int64(-5), int64(1764064800000), int64(1764064700000), int64(3), true)
	var file checkFile
	readVectors(f, "check.json", &file)
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
		amount int64, currency string, state uint8, recordToken string, scopes uint32,
		a24 int64, nowMs int64, lastMs int64, policy int64, fp bool) {
		c := Charge{CustomerPresent: present, Token: token, HasToken: hasToken, IdempotencyKey: key, HasIdempotencyKey: hasKey,
			StepUp: stepUp, Amount: amount, Currency: currency, WantFingerprint: fp}
		if state%3 != 0 {
			c.Record = &StoredRecord{CustomerToken: recordToken, State: RecordState(state % 3), Scopes: ScopeSet(scopes % 16)}
			if lastMs != 0 {
				c.Record.LastUsedAt = time.UnixMilli(lastMs)
			}
		}
		if nowMs != 0 {
			c.Now = time.UnixMilli(nowMs)
		}
		if a24 >= 0 {
			c.Attempts24h = &a24
		}
		e := engs[int(uint64(policy)%uint64(len(engs)))]
		v, err := e.CheckCharge(&c)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Status == StatusPanic || ce.Status == StatusOK {
				t.Fatalf("bad error %v", err)
			}
		} else if v.Allowed != (len(v.Violations()) == 0) {
			t.Fatalf("inconsistent verdict %+v", v)
		}
		// Out-of-range times cannot be written as RFC 3339 the same way.
		inRange := func(tm time.Time) bool { return tm.IsZero() || (tm.UTC().Year() >= 1 && tm.UTC().Year() <= 9999) }
		if len(currency) == 3 && inRange(c.Now) && (c.Record == nil || inRange(c.Record.LastUsedAt)) {
			if msg := compareWithCheck(e, &c); msg != "" && msg != "no JSON equivalent" {
				t.Fatal(msg)
			}
		}
	})
}
