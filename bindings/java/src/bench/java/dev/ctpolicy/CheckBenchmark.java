package dev.ctpolicy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-call cost of {@link Engine#check}. Run with {@code mvn -Pbench -DskipTests compile exec:exec}
 * (see BENCHMARKS.md). In package dev.ctpolicy to reach the package-private {@code checkRaw},
 * which separates the native call from building the {@link Decision}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CheckBenchmark {
    static final String TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    /** A subscription renewal the default policy allows (about 800 bytes). */
    static final String ALLOW = """
            {"customer_present":false,
             "headers":{"Klarna-Customer-Token":"%1$s","Klarna-Idempotency-Key":"renewal-sub_8842-2024-06",
                        "Content-Type":"application/json"},
             "body":{"currency":"EUR",
                     "request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub_8842-2024-06"},
                     "supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub_8842",
                        "name":"Streaming Premium","interval":"MONTH","interval_count":1,"free_trial":"INACTIVE"}]}},
             "token_record":{"customer_token":"%1$s","scopes":["payment:customer_not_present"],"state":"ACTIVE",
                             "customer_token_reference":"cust_8842-streaming","created_at":"2024-01-15T09:30:00Z",
                             "last_used_at":"2024-05-15T09:30:12.481Z","customer_id":"cust_8842"},
             "decision_id":"0b8f6c0e-3f0a-4a57-9d7e-1f2a3b4c5d6e"}
            """.formatted(TOKEN);

    /** The same renewal sent with step_up_config and a revoked record: DENY with two violations. */
    static final String DENY = ALLOW.replace("\"currency\":\"EUR\",",
            "\"currency\":\"EUR\",\"step_up_config\":{\"payment_request_reference\":\"r\"},")
            .replace("\"state\":\"ACTIVE\"", "\"state\":\"REVOKED\"");

    Engine engine;
    byte[] allowBytes;

    @Setup(Level.Trial)
    public void setUp() {
        engine = Engine.create();
        allowBytes = ALLOW.getBytes(StandardCharsets.UTF_8);
        if (!engine.check(ALLOW).allowed() || engine.check(DENY).allowed()) {
            throw new IllegalStateException("benchmark requests do not decide as expected");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Decision checkAllowString() {
        return engine.check(ALLOW);
    }

    @Benchmark
    public Decision checkAllowBytes() {
        return engine.check(allowBytes);
    }

    @Benchmark
    public Decision checkDenyString() {
        return engine.check(DENY);
    }

    /** Native call plus copying the answer out, without building the Decision. */
    @Benchmark
    public String checkAllowRawJson() {
        return engine.checkRaw(allowBytes);
    }

    /**
     * The native call alone as it is now: {@code Linker.Option.critical(true)}, the request
     * array and the out-buffer passed as heap segments (no arena, no copy).
     */
    @Benchmark
    public int nativeCheckCritical() {
        Native.Reply reply = engine.withPointer(e -> Native.check(e, allowBytes));
        return reply.bytes().length;
    }

    /** The native call alone as before: the request copied into a confined arena, then wiped. */
    @Benchmark
    public int nativeCheckCopy() {
        Native.Reply reply = engine.withPointer(e -> Native.checkCopy(e, allowBytes));
        return reply.bytes().length;
    }

    /** Both cores on one shared engine (the machine has 2). */
    @Benchmark
    @Threads(2)
    public Decision checkAllowString2Threads() {
        return engine.check(ALLOW);
    }

    @Benchmark
    public TokenInfo parseToken() {
        return CtPolicy.parseToken(TOKEN);
    }
}
