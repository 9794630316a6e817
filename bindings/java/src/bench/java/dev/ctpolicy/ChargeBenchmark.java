package dev.ctpolicy;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The typed fast path ({@link Engine#checkCharge}) and the batch path ({@link Engine#checkMany})
 * on the RENEWAL fixture of benches/fixtures.rs under its STRICT_POLICY, next to
 * {@link Engine#check(String)} on the same request. See BENCHMARKS.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChargeBenchmark {
    static final String TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    /** RENEWAL of benches/fixtures.rs, verbatim. */
    static final String RENEWAL = "{\"customer_present\":false,\"headers\":{\"Klarna-Customer-Token\":\"" + TOKEN
            + "\",\"Klarna-Idempotency-Key\":\"renewal-2026-11-sub-000042\"},\"token_record\":{\"customer_token\":\""
            + TOKEN + "\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\","
            + "\"created_at\":\"2026-01-15T09:30:00Z\",\"last_used_at\":\"2026-10-25T10:00:00Z\"},"
            + "\"now\":\"2026-11-25T10:00:00Z\",\"counters\":{\"attempts_24h\":0,\"attempts_30d\":1},"
            + "\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1299,"
            + "\"payment_transaction_reference\":\"sub-42-2026-11\"}}}";

    /** STRICT_POLICY of benches/fixtures.rs. */
    static final String STRICT_POLICY = "{\"version\":1,\"allowed_regions\":[\"eu1\"],"
            + "\"allowed_currencies\":[\"EUR\",\"SEK\"],\"max_amount\":{\"payment:customer_not_present\":{\"EUR\":50000}},"
            + "\"min_charge_interval_seconds\":86400,\"max_attempts\":{\"per_24h\":10,\"per_30d\":35},"
            + "\"require_token_reference\":true}";

    static final int BATCH = 10_000;

    /** The same renewal as a typed charge. */
    static final Charge CHARGE = Charge.builder().customerPresent(false).token(TOKEN)
            .idempotencyKey("renewal-2026-11-sub-000042").amount(1299).currency("EUR")
            .record(StoredRecord.active(TOKEN, "payment:customer_not_present")
                    .withLastUsedAt(Instant.parse("2026-10-25T10:00:00Z")))
            .now(Instant.parse("2026-11-25T10:00:00Z")).attempts24h(0L).attempts30d(1L).build();
    static final Charge CHARGE_FINGERPRINT = CHARGE.toBuilder().wantFingerprint(true).build();

    Engine engine;
    List<String> renewals;

    @Setup(Level.Trial)
    public void setUp() {
        engine = Engine.create(STRICT_POLICY);
        renewals = Collections.nCopies(BATCH, RENEWAL);
        if (!engine.check(RENEWAL).allowed() || !engine.checkCharge(CHARGE).allowed()
                || engine.checkCharge(CHARGE_FINGERPRINT).fingerprint().isEmpty()
                || !engine.checkMany(renewals).allAllowed()) {
            throw new IllegalStateException("benchmark requests do not decide as expected");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    /** The JSON path on the same request, for comparison. */
    @Benchmark
    public Decision checkRenewalJson() {
        return engine.check(RENEWAL);
    }

    @Benchmark
    public Verdict checkCharge() {
        return engine.checkCharge(CHARGE);
    }

    @Benchmark
    public Verdict checkChargeFingerprint() {
        return engine.checkCharge(CHARGE_FINGERPRINT);
    }

    /** One checkMany over 10,000 renewals; reported per request. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public BatchResult checkManyPerRequest() {
        return engine.checkMany(renewals);
    }
}
