package ctpolicy

import "testing"

// BenchmarkCheck: one Check of a ~600-byte subscription renewal on the
// default policy (a call into the library, the decision's JSON decoded into
// Decision, the buffer freed).
func BenchmarkCheck(b *testing.B) {
	e := newTestEngine(b, "")
	b.SetBytes(int64(len(renewalRequest)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Check(renewalRequest)
		if err != nil || !d.Allowed {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckParallel: the same on one engine shared by GOMAXPROCS
// goroutines.
func BenchmarkCheckParallel(b *testing.B) {
	e := newTestEngine(b, "")
	b.SetBytes(int64(len(renewalRequest)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Check(renewalRequest); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCheckInvalid: a request that fails fast (not JSON), the cost of
// the error path.
func BenchmarkCheckInvalid(b *testing.B) {
	e := newTestEngine(b, "")
	bad := []byte(`{"customer_present":true,"body":{},"body":{}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Check(bad); err == nil {
			b.Fatal("no error")
		}
	}
}

func BenchmarkParseToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseToken(testToken); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewEngine(b *testing.B) {
	policy := []byte(`{"allowed_regions":["eu1"],"allowed_currencies":["EUR","SEK"],"max_amount":{"payment:customer_not_present":{"EUR":50000}}}`)
	b.ReportAllocs()
	for b.Loop() {
		e, err := NewEngine(policy)
		if err != nil {
			b.Fatal(err)
		}
		_ = e.Close()
	}
}

// BenchmarkDecodeDecision: the Go side of Check alone (decoding the
// library's decision JSON into Decision and copying Raw), to split the cost
// of Check between the binding and the library.
func BenchmarkDecodeDecision(b *testing.B) {
	d, err := newTestEngine(b, "").Check(renewalRequest)
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(d.Raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeDecision(raw); err != nil {
			b.Fatal(err)
		}
	}
}
