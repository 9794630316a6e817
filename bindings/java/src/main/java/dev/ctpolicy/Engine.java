package dev.ctpolicy;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A policy engine: one loaded policy, checking pre-flight requests.
 *
 * <pre>{@code
 * try (Engine engine = Engine.create(policyJson)) {   // null or "{}" for the default policy
 *     Decision d = engine.check(requestJson);
 *     if (!d.allowed()) { ... }
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> An engine is safe for concurrent use: the native engine is immutable and
 * needs no lock, and this class only counts the calls in flight. {@link #close()} may be
 * called at any time from any thread: it never waits, calls that already started finish
 * normally, the native engine is freed when the last of them returns, and calls that start
 * afterwards throw {@link IllegalStateException}.
 *
 * <p><b>Forgotten engines</b> are freed by a {@link Cleaner} once unreachable, but close
 * them (try-with-resources): the cleaner runs only when the garbage collector gets to it.
 *
 * <p><b>Nulls.</b> Every method throws {@link NullPointerException} for a null argument,
 * except {@link #create(String)}, where null means the default policy.
 */
public final class Engine implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    private Engine(MemorySegment pointer) {
        this.handle = new Handle(pointer);
        this.cleanable = CLEANER.register(this, handle);
    }

    /** An engine with the default policy (Klarna's rules only). */
    public static Engine create() {
        return createFromBytes(null);
    }

    /**
     * An engine for a policy given as JSON text (docs/RULES.md section 5).
     *
     * @param policyJson the policy; {@code null}, {@code ""} or {@code "{}"} for the default
     *                   (an empty text is "no policy", as in the C ABI)
     * @throws PolicyException when the policy does not load (unknown field, wrong type, ...)
     * @throws EngineException when the native library is unavailable
     */
    public static Engine create(String policyJson) {
        return createFromBytes(policyJson == null ? null : Utf8.encode(policyJson));
    }

    /**
     * As {@link #create(String)}, from the exact bytes of the policy; {@code null} for the default.
     * (A name of its own, so that {@code Engine.create(null)} means the text overload.)
     */
    public static Engine createFromBytes(byte[] policyJson) {
        MemorySegment[] engine = new MemorySegment[1];
        Native.Reply reply = Native.engineNew(policyJson, engine);
        if (!reply.ok()) {
            throw Errors.of(Errors.Call.ENGINE_NEW, reply.status(), reply.bytes());
        }
        if (engine[0] == null || engine[0].equals(MemorySegment.NULL)) {
            throw new IllegalStateException("ctp_engine_new returned CTP_OK without an engine");
        }
        return new Engine(engine[0]);
    }

    /**
     * Checks one pre-flight request.
     *
     * @param requestJson the request as JSON text (docs/RULES.md section 1)
     * @return the decision; a DENY is a decision, not an exception
     * @throws InvalidRequestException on an envelope fault (not JSON, duplicate key, missing
     *                                 {@code body}, ...): treat as DENY
     * @throws EngineException         when the library failed (a caught panic)
     * @throws IllegalStateException   when the engine is closed
     * @throws NullPointerException    when {@code requestJson} is null
     */
    public Decision check(String requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        byte[] request = Utf8.encode(requestJson);
        try {
            return check(request);
        } finally {
            java.util.Arrays.fill(request, (byte) 0); // our own copy of a text that holds a token
        }
    }

    /**
     * As {@link #check(String)}, from the exact bytes of the request (which must be UTF-8;
     * other bytes fail with status {@code INVALID_UTF8}). The array is only read.
     */
    public Decision check(byte[] requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        return DecisionReader.read(checkRaw(requestJson));
    }

    /** The decision JSON exactly as the engine returned it, without building a {@link Decision}. */
    String checkRaw(byte[] requestJson) {
        MemorySegment pointer = handle.acquire();
        try {
            return Errors.okText(Errors.Call.CHECK, Native.check(pointer, requestJson));
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The typed path ({@code ctp_check_charge}): decides a token charge given as fields, without
     * JSON, exactly as {@link #check(String)} decides the equivalent JSON request (see
     * {@link Charge}): a charge the JSON path would DENY (currency {@code "EU"}, amount 0, an
     * unknown scope, ...) is a DENY with the same codes, and a request the JSON path cannot
     * decide throws the same exception, with the same error object.
     *
     * @return the verdict; a DENY is a verdict, not an exception
     * @throws InvalidRequestException when the engine cannot decide ({@code now} outside years
     *                                 0001-9999, a negative counter, a policy rule needs
     *                                 {@code now} or a counter the charge lacks, a string that
     *                                 is not valid Unicode): treat as DENY
     * @throws IllegalStateException   when the engine is closed
     * @throws NullPointerException    when {@code charge} is null
     */
    public Verdict checkCharge(Charge charge) {
        Objects.requireNonNull(charge, "charge");
        FastPath.TypedReply reply = withPointer(e -> FastPath.check(e, charge));
        if (reply.status() == Statuses.CTP_OK) {
            return reply.verdict();
        }
        throw Errors.of(Errors.Call.CHECK, reply.status(), reply.error());
    }

    /**
     * The pre-flight check of {@link #check(byte[])}, answered as a {@link Verdict} (rule ids,
     * no messages or paths) without writing or reading the decision JSON
     * ({@code ctp_check_json_verdict}): the cheaper call when only "may it be sent?" matters,
     * as in the charge guard, which builds the full {@link Decision} only for a DENY.
     *
     * @return the verdict ({@link Verdict#fingerprint()} is empty); a DENY is a verdict
     * @throws InvalidRequestException as {@link #check(byte[])}: treat as DENY
     * @throws IllegalStateException   when the engine is closed
     * @throws NullPointerException    when {@code requestJson} is null
     */
    public Verdict checkVerdict(byte[] requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        FastPath.TypedReply reply = withPointer(e -> FastPath.checkJsonVerdict(e, requestJson));
        if (reply.status() == Statuses.CTP_OK) {
            return reply.verdict();
        }
        throw Errors.of(Errors.Call.CHECK, reply.status(), reply.error());
    }

    /**
     * The batch path ({@code ctp_check_many}): checks many requests in one native call. Result
     * {@code i} is for request {@code i}: a {@link CheckResult.Decided} with the same
     * {@link Decision} as {@link #check(String)} (same {@code rawJson}), or a
     * {@link CheckResult.Failed} holding the exception {@code check} would have thrown. A bad
     * request never stops the others.
     *
     * @return the results in order, with the counts of ALLOW, DENY and undecided
     * @throws IllegalStateException when the engine is closed
     * @throws NullPointerException  when the list or one of its elements is null
     */
    public BatchResult checkMany(List<String> requests) {
        List<String> copy = List.copyOf(requests); // null checks, and a stable snapshot
        byte[][] encoded = new byte[copy.size()][];
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = Utf8.encode(copy.get(i));
        }
        try {
            FastPath.ManyReply reply = withPointer(e -> FastPath.checkMany(e, encoded));
            if (reply.status() != Statuses.CTP_OK) {
                throw new IllegalStateException("ctp_check_many failed with status " + reply.status());
            }
            CheckResult[] results = new CheckResult[encoded.length];
            for (int i = 0; i < results.length; i++) {
                FastPath.Item item = reply.items()[i];
                results[i] = item.status() == Statuses.CTP_OK
                        ? new CheckResult.Decided(DecisionReader.read(Errors.text(item.json())))
                        : new CheckResult.Failed(Errors.of(Errors.Call.CHECK, item.status(), item.json()));
            }
            return new BatchResult(List.of(results), reply.allowed(), reply.denied(), reply.undecided());
        } finally {
            for (byte[] b : encoded) {
                java.util.Arrays.fill(b, (byte) 0);
            }
        }
    }

    /** Runs {@code call} with the native engine, which stays alive until it returns. */
    <T> T withPointer(java.util.function.Function<MemorySegment, T> call) {
        MemorySegment pointer = handle.acquire();
        try {
            return call.apply(pointer);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /** Whether {@link #close()} was called (or the engine was cleaned). */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Frees the native engine once no call is in flight. Idempotent; never blocks. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "Engine[" + (isClosed() ? "closed" : "open") + "]";
    }

    /** Number of native engines freed in this JVM (for tests of the cleaner). */
    static long freedCount() {
        return Handle.FREED.get();
    }

    /** The engine's {@link NativeHandle}: frees the native engine, and counts the frees. */
    private static final class Handle extends NativeHandle {
        static final AtomicLong FREED = new AtomicLong();

        Handle(MemorySegment pointer) {
            super(pointer, "the engine is closed");
        }

        @Override
        void free(MemorySegment pointer) {
            FREED.incrementAndGet();
            Native.engineFree(pointer);
        }
    }
}
