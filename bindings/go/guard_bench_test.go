//go:build cgo

package ctpolicy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used so far.
// On a machine shared with other jobs, wall time per op also counts the
// time this process waited for a CPU; the CPU time it used does not, so
// both are reported (cpu-ns/op covers every goroutine of the process:
// the loopback server's share is in both variants alike).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs op under b.Loop and reports cpu-ns/op beside ns/op.
func loop(b *testing.B, op func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// The guard's added cost per guarded request. BenchmarkGuardLoopback
// sends the same renewal over the loopback interface to an httptest
// server, with and without the guard, in the same run: the difference of
// the two is what the guard adds (the check, the body buffering, the
// record's Get and Put, ApplyResponse). BenchmarkGuardInMemory measures
// that cost alone, with an inner RoundTripper that answers from memory.

// benchRecords returns the same record every time (a renewal token with
// two earlier attempts) and counts the Puts, so every iteration does the
// same work.
type benchRecords struct {
	record []byte
	puts   atomic.Int64
}

func (b *benchRecords) Get(string) ([]byte, bool, error) { return b.record, true, nil }
func (b *benchRecords) Put(string, []byte) error         { b.puts.Add(1); return nil }

const benchAnswer = `{"payment_transaction_response":{"result":"APPROVED","payment_transaction":{"payment_transaction_id":"krn:payment:eu1:transaction:6debe89e"}}}`

func newBenchGuard(b *testing.B, next http.RoundTripper) (*Guard, *benchRecords) {
	records := &benchRecords{record: []byte(`{"customer_token":"` + testToken + `","scopes":["payment:customer_not_present"],` +
		`"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z","last_used_at":"2026-10-30T09:30:00.000Z",` +
		`"attempts":["2026-10-30T09:30:00.000Z","2026-09-30T09:30:00.000Z"]}`)}
	g := &Guard{
		Engine:          newTestEngine(b, `{"max_attempts":{"per_24h":10,"per_30d":35}}`),
		Records:         records,
		CustomerPresent: func(*http.Request) bool { return false },
		Caller:          "billing-renewals",
		Next:            next,
	}
	return g, records
}

func benchRenewal(b *testing.B, url string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url+"/v2/accounts/acc-1/payment/authorize", strings.NewReader(renewalBody))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Klarna-Customer-Token", testToken)
	req.Header.Set("Klarna-Idempotency-Key", "renewal-sub-42-2026-11")
	return req
}

func sendOne(b *testing.B, rt http.RoundTripper, url string) {
	resp, err := rt.RoundTrip(benchRenewal(b, url))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatal(resp.Status)
	}
}

// answerBench is the loopback stand-in for Klarna: it reads the request
// and answers benchAnswer.
func answerBench(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, benchAnswer)
}

// benchServerEnv chooses where the loopback benchmarks' stand-in for
// Klarna runs. Unset: in the benchmark's own process (httptest), so that
// cpu-ns counts the server's goroutines too, on both sides alike.
// "process": in a child process of its own (this test binary again,
// serving until its stdin closes), so that the CPU measured is the
// client's alone, as it is beside the real Klarna. The two differ in
// more than the server's share: with the server in the process, the Go
// scheduler runs the server's goroutines on the same two Ps as the
// client's, and how the guard's work falls between them changes how
// often an idle P is woken (see BENCHMARKS.md).
const benchServerEnv = "CTPOLICY_GO_BENCH_SERVER"

// benchServeEnv, set in the child process, makes it the server.
const benchServeEnv = "CTPOLICY_GO_BENCH_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(benchServeEnv) == "1" {
		serveBenchChild()
		return
	}
	os.Exit(m.Run())
}

// serveBenchChild serves answerBench on a loopback port, writes its URL
// as the first line of stdout, and exits when stdin closes (the parent
// ended), so that it never outlives the benchmark.
func serveBenchChild() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Println("http://" + listener.Addr().String())
	_ = http.Serve(listener, http.HandlerFunc(answerBench))
	os.Exit(1)
}

// startBenchServer starts the stand-in where benchServerEnv says and
// returns its URL and a Transport of its own (a kept-alive connection).
func startBenchServer(b *testing.B) (url string, transport http.RoundTripper) {
	switch where := os.Getenv(benchServerEnv); where {
	case "":
		server := httptest.NewServer(http.HandlerFunc(answerBench))
		b.Cleanup(server.Close)
		return server.URL, server.Client().Transport
	case "process":
		self, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		child := exec.Command(self, "-test.run=^$")
		child.Env = append(os.Environ(), benchServeEnv+"=1")
		child.Stderr = os.Stderr
		stdin, err := child.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := child.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := child.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			_ = stdin.Close()
			_ = child.Wait()
		})
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			b.Fatalf("the server process gave no URL: %v", err)
		}
		own := http.DefaultTransport.(*http.Transport).Clone()
		b.Cleanup(own.CloseIdleConnections)
		return strings.TrimSpace(line), own
	default:
		b.Fatalf("%s=%q: leave it unset (server in this process) or set it to process", benchServerEnv, where)
		return "", nil
	}
}

func BenchmarkGuardLoopback(b *testing.B) {
	url, transport := startBenchServer(b)
	guard, records := newBenchGuard(b, transport)
	b.Run("without-guard", func(b *testing.B) { loop(b, func() { sendOne(b, transport, url) }) })
	b.Run("with-guard", func(b *testing.B) { loop(b, func() { sendOne(b, guard, url) }) })
	if records.puts.Load() == 0 {
		b.Fatal("the guard stored nothing")
	}
}

// answerFromMemory is an inner RoundTripper that answers at once.
type answerFromMemory struct{}

func (answerFromMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	_ = req.Body.Close()
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(benchAnswer)),
		ContentLength: int64(len(benchAnswer)),
		Request:       req,
	}, nil
}

func BenchmarkGuardInMemory(b *testing.B) {
	guard, records := newBenchGuard(b, answerFromMemory{})
	b.Run("without-guard", func(b *testing.B) { loop(b, func() { sendOne(b, answerFromMemory{}, "http://klarna.example") }) })
	b.Run("with-guard", func(b *testing.B) { loop(b, func() { sendOne(b, guard, "http://klarna.example") }) })
	if records.puts.Load() == 0 {
		b.Fatal("the guard stored nothing")
	}
}

// BenchmarkGuardParts splits the guard's cost: the library's check of the
// pre-flight request (a verdict, no decision JSON), the library's
// apply_response of the answer, and building the pre-flight request.
func BenchmarkGuardParts(b *testing.B) {
	guard, records := newBenchGuard(b, answerFromMemory{})
	req := benchRenewal(b, "http://klarna.example")
	names := klarnaHeaderNames(nil, req.Header)
	preflight := guard.preflight(req, names, records.record, []byte(renewalBody))
	if ok, err := guard.Engine.allowed(preflight); err != nil || !ok {
		b.Fatal(err)
	}
	at := string(appendInstant(nil, time.Now()))
	b.Run("check", func(b *testing.B) {
		loop(b, func() {
			if ok, err := guard.Engine.allowed(preflight); err != nil || !ok {
				b.Fatal(err)
			}
		})
	})
	b.Run("apply-response", func(b *testing.B) {
		loop(b, func() {
			if _, err := ApplyResponse(records.record, preflight, []byte(benchAnswer), at); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("build-preflight", func(b *testing.B) {
		loop(b, func() {
			_ = guard.preflight(req, klarnaHeaderNames(nil, req.Header), records.record, []byte(renewalBody))
		})
	})
}

// BenchmarkGuardLoopbackInterleaved is BenchmarkGuardLoopback made robust
// to a loaded machine: one op is a round of a batch of requests without
// the guard and a batch with it, over the same kept-alive connection,
// which goes first alternating by round, each batch timed by the
// process's CPU time (getrusage: every goroutine, the server's included).
// A burst of other jobs then lands on both sides alike over the rounds,
// where separate sub-benchmarks seconds apart see different loads. It
// reports the medians over rounds, per request: without, with, and the
// difference within a round (added-cpu-ns/req, the guard's added cost).
// Run with a fixed number of rounds: -benchtime 200x.
func BenchmarkGuardLoopbackInterleaved(b *testing.B) {
	url, transport := startBenchServer(b)
	guard, records := newBenchGuard(b, transport)
	sides := [2]http.RoundTripper{transport, guard}
	const batch = 64
	for i := 0; i < 4*batch; i++ { // warm the connection, the pools and the library
		sendOne(b, transport, url)
		sendOne(b, guard, url)
	}
	var plain, guarded, added []float64
	round := 0
	for b.Loop() {
		var perRequest [2]float64
		for k := range 2 {
			side := (k + round) % 2
			start := cpuTime()
			for range batch {
				sendOne(b, sides[side], url)
			}
			perRequest[side] = float64(cpuTime()-start) / batch
		}
		round++
		plain = append(plain, perRequest[0])
		guarded = append(guarded, perRequest[1])
		added = append(added, perRequest[1]-perRequest[0])
	}
	if records.puts.Load() == 0 {
		b.Fatal("the guard stored nothing")
	}
	b.ReportMetric(median(plain), "without-cpu-ns/req")
	b.ReportMetric(median(guarded), "with-cpu-ns/req")
	b.ReportMetric(median(added), "added-cpu-ns/req")
}

// median of xs (which it sorts).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 1 {
		return xs[n/2]
	} else {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
}
