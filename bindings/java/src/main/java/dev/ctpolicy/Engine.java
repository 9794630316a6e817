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
 * afterwards throw {@link EngineException} (code {@code ENGINE_CLOSED}).
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
        return create((byte[]) null);
    }

    /**
     * An engine for a policy given as JSON text (rules.md section 5).
     *
     * @param policyJson the policy; {@code null}, {@code ""} or {@code "{}"} for the default
     *                   (an empty text is "no policy", as in the C ABI)
     * @throws PolicyException when the policy does not load (unknown field, wrong type, ...)
     * @throws EngineException when the native library is unavailable
     */
    public static Engine create(String policyJson) {
        return create(policyJson == null ? null : Utf8.encode(policyJson));
    }

    /** As {@link #create(String)}, from the exact bytes of the policy; {@code null} for the default. */
    public static Engine create(byte[] policyJson) {
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
     * @param requestJson the request as JSON text (rules.md section 1)
     * @return the decision; a DENY is a decision, not an exception
     * @throws InvalidRequestException on an envelope fault (not JSON, duplicate key, missing
     *                                 {@code body}, ...): treat as DENY
     * @throws EngineException         when the engine is closed or the library failed
     * @throws NullPointerException    when {@code requestJson} is null
     */
    public Decision check(String requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        return check(Utf8.encode(requestJson));
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
     * The typed fast path ({@code ctp_check}): decides a token charge given as fields, without
     * JSON. Its violation and warning ids are those {@link #check(String)} gives for the
     * equivalent JSON request (see {@link Charge}); rules that need a JSON body (tokenization,
     * transaction reference, header map, malformed step-up) never fire here.
     *
     * @return the verdict; a DENY is a verdict, not an exception
     * @throws InvalidRequestException  when the engine cannot decide: a policy rule needs
     *                                  {@code now} or a counter the charge lacks (code
     *                                  {@code NEEDED_BY_RULE}), or a counter is negative (code
     *                                  {@code INVALID_VALUE}). Code, path and message are those
     *                                  {@link #check(String)} gives for the equivalent request:
     *                                  treat as DENY
     * @throws IllegalArgumentException when the library refuses a field as an invalid argument
     *                                  ({@code CTP_INVALID_ARGUMENT}); {@link Charge} already
     *                                  rejects the known cases (timestamps outside years 0001–9999)
     * @throws EngineException          when the engine is closed or the library failed
     * @throws NullPointerException     when {@code charge} is null
     */
    public Verdict checkCharge(Charge charge) {
        Objects.requireNonNull(charge, "charge");
        MemorySegment pointer = handle.acquire();
        try {
            return FastPath.check(pointer, charge);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The batch path ({@code ctp_check_batch}): checks many requests in one native call.
     * Result {@code i} is for request {@code i}: a {@link CheckResult.Decided} with the same
     * {@link Decision} as {@link #check(String)} (same {@code rawJson}), or a
     * {@link CheckResult.Failed} holding the exception {@code check} would have thrown. A bad
     * request never stops the others.
     *
     * <p>The requests travel as JSON Lines. A request with a raw line feed (legal JSON
     * whitespace, though never needed), or one that is blank (which the batch would skip), is
     * checked on its own with {@code ctp_check_json} instead, so every request gets exactly
     * the answer {@code check} gives.
     *
     * @return one result per request, in order (immutable)
     * @throws EngineException      when the engine is closed or the library failed as a whole
     * @throws NullPointerException when the list or one of its elements is null
     */
    public List<CheckResult> checkMany(List<String> requests) {
        List<String> copy = List.copyOf(requests); // null checks, and a stable snapshot
        if (copy.isEmpty()) {
            return List.of();
        }
        MemorySegment pointer = handle.acquire();
        try {
            return FastPath.checkMany(pointer, copy);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Checks one request and records it in {@code log} (the entry is appended first); see
     * {@link AuditLog#check(Engine, String)}.
     */
    public Decision check(String requestJson, AuditLog log) {
        Objects.requireNonNull(log, "log");
        return log.check(this, requestJson);
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

    /**
     * The native pointer and a count of calls in flight. Kept apart from {@link Engine} so the
     * cleaner's action does not hold the engine reachable.
     *
     * <p>{@code state} packs a CLOSED bit and the number of calls in flight. The pointer is
     * freed exactly once: by close when nothing is in flight, else by the last call to
     * release, which sees the count fall to zero with CLOSED set.
     */
    private static final class Handle implements Runnable {
        private static final long CLOSED = 1L << 62;
        static final AtomicLong FREED = new AtomicLong();

        private final MemorySegment pointer;
        private final AtomicLong state = new AtomicLong();

        Handle(MemorySegment pointer) {
            this.pointer = pointer;
        }

        MemorySegment acquire() {
            while (true) {
                long s = state.get();
                if ((s & CLOSED) != 0) {
                    throw EngineException.closed();
                }
                if (state.compareAndSet(s, s + 1)) {
                    return pointer;
                }
            }
        }

        void release() {
            if (state.decrementAndGet() == CLOSED) {
                free();
            }
        }

        boolean isClosed() {
            return (state.get() & CLOSED) != 0;
        }

        /** The cleaning action: called once, by close() or by the cleaner. */
        @Override
        public void run() {
            long before = state.getAndUpdate(s -> s | CLOSED);
            if (before == 0) {
                free();
            }
        }

        private void free() {
            FREED.incrementAndGet();
            Native.engineFree(pointer);
        }
    }
}
