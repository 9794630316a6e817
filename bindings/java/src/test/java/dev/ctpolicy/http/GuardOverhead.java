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
 * the guard, in the same run, over loopback to the stand-in server; and the same against an
 * in-process stub client (no network, no server), which isolates the guard's own work.
 *
 * <p>Per round, a batch of requests without the guard and a batch with it (which side goes
 * first alternates by round, so a neighbour's load burst hits both sides alike). Each batch
 * gives the median wall time of its requests and the CPU time of every live Java thread over
 * the batch (the caller, the client's selector and executor, the in-process stand-in server,
 * on both sides alike; per-thread clocks in nanoseconds, where the process clock here ticks in
 * 10 ms; the JIT and GC threads are not Java threads and are left out), which does not count
 * time spent waiting for a core, so it holds on a loaded machine. The figures are medians over
 * rounds.
 *
 * <p>Run from bindings/java after {@code mvn -o -q test-compile}:
 * {@code java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes dev.ctpolicy.http.GuardOverhead [rounds] [perRound] [cpu]}
 * ({@code cpu}: the loopback figures only, without the stub client and the parts; {@code threads}:
 * the loopback's CPU and allocation by thread group, JIT and GC threads included; {@code stub}:
 * the stub client only). The system
 * property {@code guardOverhead.warm} sets the warm-up pairs (default 5,000); in {@code threads}
 * mode {@code guardOverhead.spinMicros} adds the spin control and {@code guardOverhead.series}
 * prints the JIT's and the calling thread's CPU round by round (how long the JIT keeps compiling).
 */
public final class GuardOverhead {
    static final String TOKEN = ChargeGuardTest.TOKEN;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        boolean loopbackOnly = args.length > 2 && args[2].equals("cpu");
        boolean byThread = args.length > 2 && args[2].equals("threads");
        try (Setup s = new Setup()) {
            s.warm(Integer.getInteger("guardOverhead.warm", 5000));
            if (byThread) {
                s.byThreadGroup(rounds, perRound);
                return;
            }
            if (args.length > 2 && args[2].equals("stub")) {
                Sides stub = s.measure(s.stub, s.guardedStub, rounds, perRound);
                System.out.printf("stub client (guard's own work): wall time without guard %.2f us, with guard %.2f us,"
                        + " added %.2f us; Java threads' CPU added %.2f us (p25-p75 %.2f-%.2f)%n", stub.wall()[0],
                        stub.wall()[1], stub.wall()[2], stub.cpu()[2], stub.cpu()[3], stub.cpu()[4]);
                return;
            }
            Sides loopback = s.measure(s.plain, s.guarded, rounds, perRound);
            System.out.printf("loopback, wall time per request: without guard %.1f us, with guard %.1f us, added %.1f us"
                    + " (median of per-batch medians; added p25-p75 %.1f-%.1f us)%n", loopback.wall()[0],
                    loopback.wall()[1], loopback.wall()[2], loopback.wall()[3], loopback.wall()[4]);
            System.out.printf("loopback, Java threads' CPU per request: without guard %.1f us, with guard %.1f us,"
                    + " added %.1f us (medians over %d rounds of %d + %d requests; added p25-p75 %.1f-%.1f us)%n",
                    loopback.cpu()[0], loopback.cpu()[1], loopback.cpu()[2], rounds, perRound, perRound,
                    loopback.cpu()[3], loopback.cpu()[4]);
            if (loopbackOnly) {
                return;
            }
            Sides stub = s.measure(s.stub, s.guardedStub, rounds, perRound);
            System.out.printf("stub client (guard's own work), wall time: without guard %.2f us, with guard %.2f us,"
                    + " added %.2f us%n", stub.wall()[0], stub.wall()[1], stub.wall()[2]);
        }
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
            System.out.printf("  match the request         %.2f%n", part(() -> guard.matches(request)));
            System.out.printf("  read the body publisher   %.2f%n", part(() -> BodyBytes.readNow(request)));
            System.out.printf("  Klarna-* headers as JSON  %.2f%n", part(() -> guard.prepare(request, body)));
            System.out.printf("  check: get + build + engine %.2f%n", part(() -> guard.check(p)));
            System.out.printf("    of which engine.checkVerdict %.2f%n", part(() -> engine.checkVerdict(c.preflight())));
            System.out.printf("  (engine.check, for comparison %.2f)%n", part(() -> engine.check(c.preflight())));
            System.out.printf("  copy of the request (a body other than ofString) %.2f%n", part(() -> HttpRequest.newBuilder(request, (n, v) -> true)
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

    /**
     * Per side (without, with the guard): the median over rounds of the per-batch figure, then
     * the median, p25 and p75 over rounds of (with - without); wall and CPU in microseconds per
     * request.
     */
    record Sides(double[] wall, double[] cpu) {
    }

    /** The stand-in server, the engine, the clients with and without the guard, and the request. */
    static final class Setup implements AutoCloseable {
        final StandIn klarna = new StandIn();
        final Engine engine = Engine.create("{\"max_attempts\":{\"per_24h\":10}}");
        final HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final Map<String, String> records = new ConcurrentHashMap<>();
        final HttpClient guarded;
        final StubClient stub = new StubClient(StandIn.APPROVED.getBytes(StandardCharsets.UTF_8));
        final HttpClient guardedStub;
        final HttpRequest request;
        final HttpResponse.BodyHandler<String> handler = HttpResponse.BodyHandlers.ofString();

        Setup() throws IOException {
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
            guarded = guard.wrap(plain);
            guardedStub = guard.wrap(stub);
            request = HttpRequest.newBuilder(klarna.uri("/v2/accounts/acc-1/payment/authorize"))
                    .header("Authorization", "Basic dGVzdDp0ZXN0").header("Content-Type", "application/json")
                    .header("Klarna-Customer-Token", TOKEN).header("Klarna-Idempotency-Key", "renewal-2026-11")
                    .POST(HttpRequest.BodyPublishers.ofString(ChargeGuardTest.RENEWAL)).build();
        }

        void warm(int pairs) throws Exception {
            for (int i = 0; i < pairs; i++) {
                for (HttpClient client : new HttpClient[] {plain, guarded, stub, guardedStub}) {
                    records.put(TOKEN, ChargeGuardTest.RECORD);
                    time(client, request, handler);
                }
            }
        }

        /**
         * {@code times.length} requests on {@code client}, each timed into {@code times}, with
         * the same stored record every time (the put outside the guard costs both sides alike).
         * Returns the CPU time of the Java threads over the batch, in nanoseconds.
         */
        long batch(HttpClient client, long[] times) throws Exception {
            long cpu0 = javaThreadsCpu();
            for (int i = 0; i < times.length; i++) {
                records.put(TOKEN, ChargeGuardTest.RECORD);
                times[i] = time(client, request, handler);
            }
            return javaThreadsCpu() - cpu0;
        }

        /** Rounds of one batch per side, which side goes first alternating by round. */
        Sides measure(HttpClient without, HttpClient with, int rounds, int perRound) throws Exception {
            HttpClient[] sides = {without, with};
            double[][] wall = new double[2][rounds];
            double[][] cpu = new double[2][rounds];
            long[] times = new long[perRound];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < 2; k++) {
                    int side = (k + round) % 2;
                    cpu[side][round] = batch(sides[side], times) / (double) perRound / 1000.0;
                    wall[side][round] = median(times) / 1000.0;
                }
            }
            return new Sides(summary(wall), summary(cpu));
        }

        /**
         * Where the added CPU and allocation go, by thread group: per round a batch without and
         * a batch with the guard (which first alternating), each thread's CPU read from
         * {@code /proc/self/task/<tid>/schedstat} (nanoseconds on the CPU, every thread of the
         * process: JIT compilers, GC and VM threads too, which ThreadMXBean does not see) and
         * each Java thread's allocated bytes; prints per group the median over rounds of (with
         * - without) per request, and each side's median.
         */
        void byThreadGroup(int rounds, int perRound) throws Exception {
            // The control (system property guardOverhead.spinMicros): the client without the
            // guard, with the calling thread spinning that long before each request, as if a
            // guard's work cost exactly that on the calling thread and nothing else. What the
            // other threads add on that side is what any gap between requests costs them.
            int spinMicros = Integer.getInteger("guardOverhead.spinMicros", 0);
            int sideCount = spinMicros > 0 ? 3 : 2;
            HttpClient[] sides = {plain, guarded, plain};
            Map<String, double[][]> cpu = new java.util.TreeMap<>();
            Map<String, double[][]> alloc = new java.util.TreeMap<>();
            long[] times = new long[perRound];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < sideCount; k++) {
                    int side = (k + round) % sideCount;
                    Map<String, Long> cpu0 = ThreadGroups.cpu();
                    Map<String, Long> alloc0 = ThreadGroups.allocated();
                    for (int i = 0; i < perRound; i++) {
                        records.put(TOKEN, ChargeGuardTest.RECORD);
                        if (side == 2) {
                            spin(spinMicros);
                        }
                        times[i] = time(sides[side], request, handler);
                    }
                    Map<String, Long> alloc1 = ThreadGroups.allocated();
                    Map<String, Long> cpu1 = ThreadGroups.cpu();
                    ThreadGroups.add(cpu, cpu0, cpu1, side, round, rounds, perRound * 1000.0);
                    ThreadGroups.add(alloc, alloc0, alloc1, side, round, rounds, perRound);
                }
            }
            if (Boolean.getBoolean("guardOverhead.series")) {
                double[][] jit = cpu.get("jit");
                double[][] caller = cpu.get("caller");
                for (int r = 0; r < rounds; r++) {
                    System.out.printf("  round %d jit without %.1f with %.1f; caller without %.1f with %.1f%n", r,
                            jit[0][r], jit[1][r], caller[0][r], caller[1][r]);
                }
            }
            printGroups("by thread group, guard", cpu, alloc, 1, rounds, perRound);
            if (spinMicros > 0) {
                printGroups("by thread group, control: " + spinMicros + " us spun on the calling thread instead of the guard",
                        cpu, alloc, 2, rounds, perRound);
            }
        }

        private static void printGroups(String title, Map<String, double[][]> cpu, Map<String, double[][]> alloc,
                int side, int rounds, int perRound) {
            System.out.printf("%s, %d rounds of %d requests a side (medians over rounds):%n", title, rounds, perRound);
            System.out.printf("  %-12s %12s %12s %12s %10s %10s %10s%n", "group", "CPU without", "with", "added us",
                    "B without", "with", "added B");
            java.util.Set<String> groups = new java.util.TreeSet<>(cpu.keySet());
            groups.addAll(alloc.keySet());
            double[][] none = new double[3][rounds];
            double total = 0;
            for (String g : groups) {
                double[][] c3 = cpu.getOrDefault(g, none);
                double[][] a3 = alloc.getOrDefault(g, none);
                double[] c = summary(new double[][] {c3[0], c3[side]});
                double[] a = summary(new double[][] {a3[0], a3[side]});
                System.out.printf("  %-12s %12.1f %12.1f %12.1f %10.0f %10.0f %10.0f  (CPU added p25-p75 %.1f-%.1f)%n",
                        g, c[0], c[1], c[2], a[0], a[1], a[2], c[3], c[4]);
            }
            // The whole process per round, then its median: the sum of the groups' medians is not it.
            double[] sum0 = new double[rounds];
            double[] sum1 = new double[rounds];
            for (double[][] c3 : cpu.values()) {
                for (int r = 0; r < rounds; r++) {
                    sum0[r] += c3[0][r];
                    sum1[r] += c3[side][r];
                }
            }
            double[] all = summary(new double[][] {sum0, sum1});
            System.out.printf("  %-12s %12.1f %12.1f %12.1f  (added p25-p75 %.1f-%.1f)%n", "all threads", all[0], all[1],
                    all[2], all[3], all[4]);
        }

        private static void spin(int micros) {
            long end = System.nanoTime() + micros * 1000L;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() {
            plain.close();
            engine.close();
            klarna.close();
        }
    }

    /** Median without, median with, then the median, p25 and p75 of (with - without) over rounds. */
    static double[] summary(double[][] perRound) {
        double[] added = new double[perRound[0].length];
        for (int i = 0; i < added.length; i++) {
            added[i] = perRound[1][i] - perRound[0][i];
        }
        return new double[] {median(perRound[0]), median(perRound[1]), median(added), percentile(added, 0.25),
                percentile(added, 0.75)};
    }

    /** CPU and allocation of the process's threads, summed by what the thread does. */
    static final class ThreadGroups {
        private static final java.nio.file.Path TASKS = java.nio.file.Path.of("/proc/self/task");
        private static final com.sun.management.ThreadMXBean JAVA_THREADS =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

        /** The group of a thread by its name (the kernel's {@code comm} keeps 15 characters of it). */
        static String group(String name) {
            if (name.equals("main") || name.equals("java")) {
                return "caller"; // the kernel names the launcher's threads, the main thread among them, "java"
            }
            if (name.startsWith("HttpClient-") && name.contains("-Se")) {
                return "selector";
            }
            if (name.startsWith("HttpClient-")) {
                return "client-work";
            }
            if (name.startsWith("HTTP-Dispatch") || name.startsWith("pool-")) {
                return "server";
            }
            if (name.startsWith("C2 ") || name.startsWith("C1 ")) {
                return "jit";
            }
            if (name.startsWith("GC ") || name.startsWith("G1 ")) {
                return "gc";
            }
            if (name.startsWith("VM ")) {
                return "vm";
            }
            return "other";
        }

        /** Nanoseconds on the CPU by group, every thread of the process. */
        static Map<String, Long> cpu() throws IOException {
            Map<String, Long> sum = new java.util.HashMap<>();
            try (var tasks = java.nio.file.Files.newDirectoryStream(TASKS)) {
                for (java.nio.file.Path task : tasks) {
                    try {
                        String name = java.nio.file.Files.readString(task.resolve("comm")).strip();
                        String stat = java.nio.file.Files.readString(task.resolve("schedstat"));
                        long ns = Long.parseLong(stat.substring(0, stat.indexOf(' ')));
                        sum.merge(group(name), ns, Long::sum);
                    } catch (IOException | RuntimeException gone) {
                        // the thread ended between the listing and the read
                    }
                }
            }
            return sum;
        }

        /** Bytes allocated so far by group, every live Java thread. */
        static Map<String, Long> allocated() {
            Map<String, Long> sum = new java.util.HashMap<>();
            long[] ids = JAVA_THREADS.getAllThreadIds();
            long[] bytes = JAVA_THREADS.getThreadAllocatedBytes(ids);
            java.lang.management.ThreadInfo[] infos = JAVA_THREADS.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] != null && bytes[i] >= 0) {
                    sum.merge(group(infos[i].getThreadName()), bytes[i], Long::sum);
                }
            }
            return sum;
        }

        /** Adds the per-request deltas of one batch, by group, to {@code into[group][side][round]}. */
        static void add(Map<String, double[][]> into, Map<String, Long> before, Map<String, Long> after, int side,
                int round, int rounds, double per) {
            for (var e : after.entrySet()) {
                double delta = (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / per;
                into.computeIfAbsent(e.getKey(), k -> new double[3][rounds])[side][round] = delta;
            }
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
