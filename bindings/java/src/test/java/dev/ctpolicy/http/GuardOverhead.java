package dev.ctpolicy.http;

import dev.ctpolicy.Engine;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * How much the charge guard adds to one guarded request: the same HttpClient with and without
 * the guard, in the same run, interleaved round by round (so a neighbour's load burst hits both
 * sides alike), over loopback to the stand-in server; and the same against an in-process stub
 * client (no network, no server), which isolates the guard's own work.
 *
 * <p>Run from bindings/java after {@code mvn -o -q test-compile}:
 * {@code java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes dev.ctpolicy.http.GuardOverhead [rounds] [perRound]}
 */
public final class GuardOverhead {
    static final String TOKEN = ChargeGuardTest.TOKEN;

    /** Per-variant medians of one run, in microseconds. */
    record Result(double plainLoopback, double guardedLoopback, double addedLoopback, double plainStub,
            double guardedStub, double addedStub, double addedLoopbackP90) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        if (args.length > 2 && args[2].equals("cpu")) {
            double[] r = cpuLoopback(rounds, perRound);
            System.out.printf("loopback, Java threads' CPU per request: without guard %.1f us, with guard %.1f us, added %.1f us"
                    + " (medians over %d rounds of %d + %d requests; added p25-p75 %.1f-%.1f us)%n", r[0], r[1], r[2],
                    rounds, perRound, perRound, r[3], r[4]);
            return;
        }
        Result r = run(rounds, perRound, true);
        System.out.printf("loopback: without guard %.1f us, with guard %.1f us, added %.1f us (median of per-round"
                + " medians; p90 of per-round added %.1f us)%n", r.plainLoopback(), r.guardedLoopback(),
                r.addedLoopback(), r.addedLoopbackP90());
        System.out.printf("stub client (guard's own work): without guard %.2f us, with guard %.2f us, added %.2f us%n",
                r.plainStub(), r.guardedStub(), r.addedStub());
        parts();
    }

    interface Job {
        Object run() throws Exception;
    }

    /** Best of 7 batches of 20,000 calls, after 100,000 warm-up calls: microseconds per call. */
    static double part(Job job) throws Exception {
        for (int i = 0; i < 100_000; i++) {
            job.run();
        }
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 7; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20_000; i++) {
                job.run();
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 20_000 / 1000.0;
    }

    /** Where the guard's own time goes, piece by piece (in process, no network). */
    static void parts() throws Exception {
        try (Engine engine = Engine.create("{\"max_attempts\":{\"per_24h\":10}}")) {
            Map<String, String> records = new ConcurrentHashMap<>();
            records.put(TOKEN, ChargeGuardTest.RECORD);
            TokenRecords store = new TokenRecords() {
                @Override
                public Optional<String> get(String token) {
                    return Optional.ofNullable(records.get(token));
                }

                @Override
                public void put(String token, String recordJson) {
                }
            };
            ChargeGuard guard = ChargeGuard.builder().engine(engine).records(store).customerPresent(false).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:1/v2/payment/authorize"))
                    .header("Authorization", "Basic dGVzdDp0ZXN0").header("Klarna-Customer-Token", TOKEN)
                    .header("Klarna-Idempotency-Key", "renewal-2026-11")
                    .POST(HttpRequest.BodyPublishers.ofString(ChargeGuardTest.RENEWAL)).build();
            byte[] body = ChargeGuardTest.RENEWAL.getBytes(StandardCharsets.UTF_8);
            byte[] answer = StandIn.APPROVED.getBytes(StandardCharsets.UTF_8);
            ChargeGuard.Prepared p = guard.prepare(request, body);
            ChargeGuard.Checked c = guard.check(p);
            HttpHeaders none = HttpHeaders.of(Map.of(), (n, v) -> true);
            System.out.printf("parts (us per call, best of 7 x 20,000 after 100,000 warm-up calls):%n");
            System.out.printf("  read the body publisher   %.2f%n", part(() -> BodyBytes.readNow(request)));
            System.out.printf("  Klarna-* headers as JSON  %.2f%n", part(() -> guard.prepare(request, body)));
            System.out.printf("  check: get + build + engine %.2f%n", part(() -> guard.check(p)));
            System.out.printf("    of which engine.checkVerdict %.2f%n", part(() -> engine.checkVerdict(c.preflight())));
            System.out.printf("  (engine.check, for comparison %.2f)%n", part(() -> engine.check(c.preflight())));
            System.out.printf("  copy of the request       %.2f%n", part(() -> HttpRequest.newBuilder(request, (n, v) -> true)
                    .method("POST", HttpRequest.BodyPublishers.ofByteArray(body)).build()));
            System.out.printf("  after the answer          %.2f%n", part(() -> {
                guard.answered(c, 200, none, answer);
                return null;
            }));
            System.out.printf("    of which applyResponse  %.2f%n", part(() -> dev.ctpolicy.CtPolicy.applyResponse(
                    ChargeGuardTest.RECORD.getBytes(StandardCharsets.UTF_8), c.preflight(), answer,
                    "2026-11-30T12:00:00.000Z")));
        }
    }

    static Result run(int rounds, int perRound, boolean warm) throws Exception {
        try (StandIn klarna = new StandIn(); Engine engine = Engine.create("{\"max_attempts\":{\"per_24h\":10}}");
                HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Map<String, String> records = new ConcurrentHashMap<>();
            TokenRecords store = new TokenRecords() {
                @Override
                public Optional<String> get(String token) {
                    return Optional.ofNullable(records.get(token));
                }

                @Override
                public void put(String token, String recordJson) {
                    records.put(token, recordJson);
                }
            };
            ChargeGuard guard = ChargeGuard.builder().engine(engine).records(store).customerPresent(false)
                    .onError(t -> {
                        throw new IllegalStateException("guard fault in the benchmark", t);
                    }).build();
            HttpClient guarded = guard.wrap(plain);
            StubClient stub = new StubClient(StandIn.APPROVED.getBytes(StandardCharsets.UTF_8));
            HttpClient guardedStub = guard.wrap(stub);
            HttpRequest request = HttpRequest.newBuilder(klarna.uri("/v2/accounts/acc-1/payment/authorize"))
                    .header("Authorization", "Basic dGVzdDp0ZXN0").header("Content-Type", "application/json")
                    .header("Klarna-Customer-Token", TOKEN).header("Klarna-Idempotency-Key", "renewal-2026-11")
                    .POST(HttpRequest.BodyPublishers.ofString(ChargeGuardTest.RENEWAL)).build();
            HttpResponse.BodyHandler<String> handler = HttpResponse.BodyHandlers.ofString();

            if (warm) {
                for (int i = 0; i < 3000; i++) {
                    records.put(TOKEN, ChargeGuardTest.RECORD);
                    plain.send(request, handler);
                    guarded.send(request, handler);
                    stub.send(request, handler);
                    guardedStub.send(request, handler);
                }
            }
            double[][] loop = new double[2][rounds];
            double[][] stubbed = new double[2][rounds];
            double[] added = new double[rounds];
            long[] a = new long[perRound];
            long[] b = new long[perRound];
            for (int round = 0; round < rounds; round++) {
                boolean guardFirst = round % 2 == 1;
                for (int i = 0; i < perRound; i++) {
                    // Interleave request by request: plain and guarded see the same conditions.
                    records.put(TOKEN, ChargeGuardTest.RECORD);
                    if (guardFirst) {
                        b[i] = time(guarded, request, handler);
                        a[i] = time(plain, request, handler);
                    } else {
                        a[i] = time(plain, request, handler);
                        b[i] = time(guarded, request, handler);
                    }
                }
                loop[0][round] = median(a) / 1000.0;
                loop[1][round] = median(b) / 1000.0;
                added[round] = loop[1][round] - loop[0][round];
                for (int i = 0; i < perRound; i++) {
                    records.put(TOKEN, ChargeGuardTest.RECORD);
                    a[i] = time(stub, request, handler);
                    b[i] = time(guardedStub, request, handler);
                }
                stubbed[0][round] = median(a) / 1000.0;
                stubbed[1][round] = median(b) / 1000.0;
            }
            double[] addedStub = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                addedStub[i] = stubbed[1][i] - stubbed[0][i];
            }
            return new Result(median(loop[0]), median(loop[1]), median(added), median(stubbed[0]), median(stubbed[1]),
                    median(addedStub), percentile(added, 0.9));
        }
    }

    /**
     * The added CPU time per guarded request over loopback, robust to a loaded machine: per
     * round, a batch of {@code batch} requests without the guard and a batch with it (which goes
     * first alternates by round), each timed by the CPU time of every live Java thread (the
     * caller, the client's selector and executor, the in-process stand-in server, on both sides
     * alike; per-thread clocks in nanoseconds, where the process clock here ticks in 10 ms;
     * the JIT and GC threads are not Java threads and are left out), so time spent waiting for
     * a core is not counted. Returns microseconds per request: the
     * medians over rounds of without, with and (with - without), then the added p25 and p75.
     */
    static double[] cpuLoopback(int rounds, int batch) throws Exception {
        try (StandIn klarna = new StandIn(); Engine engine = Engine.create("{\"max_attempts\":{\"per_24h\":10}}");
                HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Map<String, String> records = new ConcurrentHashMap<>();
            TokenRecords store = new TokenRecords() {
                @Override
                public Optional<String> get(String token) {
                    return Optional.ofNullable(records.get(token));
                }

                @Override
                public void put(String token, String recordJson) {
                    records.put(token, recordJson);
                }
            };
            ChargeGuard guard = ChargeGuard.builder().engine(engine).records(store).customerPresent(false)
                    .onError(t -> {
                        throw new IllegalStateException("guard fault in the benchmark", t);
                    }).build();
            HttpClient[] sides = {plain, guard.wrap(plain)};
            HttpRequest request = HttpRequest.newBuilder(klarna.uri("/v2/accounts/acc-1/payment/authorize"))
                    .header("Authorization", "Basic dGVzdDp0ZXN0").header("Content-Type", "application/json")
                    .header("Klarna-Customer-Token", TOKEN).header("Klarna-Idempotency-Key", "renewal-2026-11")
                    .POST(HttpRequest.BodyPublishers.ofString(ChargeGuardTest.RENEWAL)).build();
            HttpResponse.BodyHandler<String> handler = HttpResponse.BodyHandlers.ofString();
            for (int i = 0; i < 5000; i++) {
                records.put(TOKEN, ChargeGuardTest.RECORD);
                time(plain, request, handler);
                time(sides[1], request, handler);
            }
            double[][] perRequest = new double[2][rounds];
            double[] added = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < 2; k++) {
                    int side = (k + round) % 2;
                    long t0 = javaThreadsCpu();
                    for (int i = 0; i < batch; i++) {
                        // The same record every time (put outside the guard costs both sides alike).
                        records.put(TOKEN, ChargeGuardTest.RECORD);
                        time(sides[side], request, handler);
                    }
                    perRequest[side][round] = (javaThreadsCpu() - t0) / (double) batch / 1000.0;
                }
                added[round] = perRequest[1][round] - perRequest[0][round];
            }
            return new double[] {median(perRequest[0]), median(perRequest[1]), median(added), percentile(added, 0.25),
                    percentile(added, 0.75)};
        }
    }

    /** The CPU time so far of every live Java thread, in nanoseconds. */
    static long javaThreadsCpu() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) {
                sum += t;
            }
        }
        return sum;
    }

    private static long time(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<String> handler)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = client.send(request, handler);
        long t = System.nanoTime() - t0;
        if (r.statusCode() != 200) {
            throw new IllegalStateException("status " + r.statusCode());
        }
        return t;
    }

    static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double median(double[] v) {
        return percentile(v, 0.5);
    }

    static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) (s.length * p))];
    }

    /** An HttpClient that answers every request at once with a canned 200, in process. */
    static final class StubClient extends HttpClient {
        private final byte[] body;
        private final HttpHeaders headers = HttpHeaders.of(Map.of("Content-Type", List.of("application/json")),
                (n, v) -> true);

        StubClient(byte[] body) {
            this.body = body;
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            // Read the request body as the real client would.
            request.bodyPublisher().ifPresent(p -> p.subscribe(new Flow.Subscriber<ByteBuffer>() {
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                public void onNext(ByteBuffer item) {
                    item.position(item.limit());
                }

                public void onError(Throwable t) {
                }

                public void onComplete() {
                }
            }));
            HttpResponse.ResponseInfo info = new HttpResponse.ResponseInfo() {
                public int statusCode() {
                    return 200;
                }

                public HttpHeaders headers() {
                    return headers;
                }

                public Version version() {
                    return Version.HTTP_1_1;
                }
            };
            T value = BodyBytes.replay(info, body, null, handler).toCompletableFuture().join();
            return new HttpResponse<T>() {
                public int statusCode() {
                    return 200;
                }

                public HttpRequest request() {
                    return request;
                }

                public Optional<HttpResponse<T>> previousResponse() {
                    return Optional.empty();
                }

                public HttpHeaders headers() {
                    return headers;
                }

                public T body() {
                    return value;
                }

                public Optional<SSLSession> sslSession() {
                    return Optional.empty();
                }

                public URI uri() {
                    return request.uri();
                }

                public Version version() {
                    return Version.HTTP_1_1;
                }
            };
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> h) {
            return CompletableFuture.completedFuture(send(request, h));
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> h,
                HttpResponse.PushPromiseHandler<T> p) {
            return sendAsync(request, h);
        }

        @Override
        public Optional<CookieHandler> cookieHandler() {
            return Optional.empty();
        }

        @Override
        public Optional<Duration> connectTimeout() {
            return Optional.empty();
        }

        @Override
        public Redirect followRedirects() {
            return Redirect.NEVER;
        }

        @Override
        public Optional<ProxySelector> proxy() {
            return Optional.empty();
        }

        @Override
        public SSLContext sslContext() {
            return null;
        }

        @Override
        public SSLParameters sslParameters() {
            return null;
        }

        @Override
        public Optional<Authenticator> authenticator() {
            return Optional.empty();
        }

        @Override
        public Version version() {
            return Version.HTTP_1_1;
        }

        @Override
        public Optional<Executor> executor() {
            return Optional.empty();
        }
    }
}
