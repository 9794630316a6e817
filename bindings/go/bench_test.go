//go:build cgo

package ctpolicy

import (
	"testing"
)

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

// BenchmarkCheckCharge: one CheckCharge of RENEWAL (benches/fixtures.rs)
// as a typed charge, on a policy with interval and attempt limits; the
// typed fast path, no JSON either way.
func BenchmarkCheckCharge(b *testing.B) {
	for _, fp := range []bool{false, true} {
		name := "no-fingerprint"
		if fp {
			name = "fingerprint"
		}
		b.Run(name, func(b *testing.B) {
			e := newTestEngine(b, `{"allowed_regions":["eu1"],"min_charge_interval_seconds":86400,"max_attempts":{"per_24h":10,"per_30d":35}}`)
			c := renewalCharge()
			c.WantFingerprint = fp
			b.ReportAllocs()
			for b.Loop() {
				v, err := e.CheckCharge(&c)
				if err != nil || !v.Allowed || v.HasFingerprint != fp {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckChargeParallel: CheckCharge on one engine shared by
// GOMAXPROCS goroutines.
func BenchmarkCheckChargeParallel(b *testing.B) {
	e := newTestEngine(b, "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := renewalCharge()
		for pb.Next() {
			if _, err := e.CheckCharge(&c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCheckRenewalFixture: Check of the same RENEWAL as JSON, for
// comparison with CheckCharge and CheckBatch.
func BenchmarkCheckRenewalFixture(b *testing.B) {
	e := newTestEngine(b, "")
	request := []byte(renewalFixture)
	b.ReportAllocs()
	for b.Loop() {
		if d, err := e.Check(request); err != nil || !d.Allowed {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckMany: one CheckMany of 10,000 RENEWAL requests; ns/op is
// reported per request (the whole call divided by 10,000).
func BenchmarkCheckMany(b *testing.B) {
	const n = 10000
	e := newTestEngine(b, "")
	input := make([][]byte, n)
	for i := range input {
		input[i] = []byte(renewalFixture)
	}
	b.SetBytes(int64(len(renewalFixture)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%n == 0 {
			k := min(n, b.N-i)
			results, counts, err := e.CheckMany(input[:k])
			if err != nil || counts.Allowed != uint64(k) || len(results) != k {
				b.Fatal(err, counts)
			}
		}
	}
}
