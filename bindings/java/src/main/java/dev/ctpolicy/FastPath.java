package dev.ctpolicy;

import static dev.ctpolicy.Native.*;
import static dev.ctpolicy.Statuses.CTP_OK;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Memory handling of the typed path ({@code ctp_check_charge}) and the batch path
 * ({@code ctp_check_many}); part of the raw layer. It copies fields into native structs and
 * results out of them, and judges nothing: every value of a {@link Charge} goes to the core
 * as given, and the core's error object comes back for {@link Errors} to turn into an
 * exception. Same memory rules as {@link Native}: one confined arena per call, our native
 * copies of secrets wiped before it closes, every library buffer released (the verdict-only
 * check of a request up to {@link Native#CRITICAL_MAX_BYTES} is a critical call on heap arrays
 * instead, with no arena and no native copy).
 */
final class FastPath {
    private FastPath() {
    }

    private static final long CHARGE_SIZE = CTP_TYPED_CHARGE.byteSize();
    private static final long VERDICT_SIZE = CTP_VERDICT.byteSize();
    private static final long BUF_SIZE = CTP_BUF.byteSize();
    /** A {@code ctp_verdict} in a {@code long[]} (8-aligned, so every field reads as laid out). */
    private static final int VERDICT_LONGS = (int) ((VERDICT_SIZE + 7) / 8);
    private static final long INPUT_SIZE = CTP_INPUT.byteSize();
    private static final HexFormat HEX = HexFormat.of();

    /** What {@code ctp_check_charge} answered: a verdict on OK, else the status and error object. */
    record TypedReply(int status, Verdict verdict, byte[] error) {
    }

    static TypedReply check(MemorySegment engine, Charge charge) {
        StoredRecord record = charge.record();
        byte[] token = charge.token() == null ? null : Utf8.encode(charge.token());
        byte[] key = charge.idempotencyKey() == null ? null : Utf8.encode(charge.idempotencyKey());
        byte[] currency = Utf8.encode(charge.currency());
        byte[] stored = record == null ? null : Utf8.encode(record.customerToken());
        byte[] caller = charge.caller() == null ? null : Utf8.encode(charge.caller());
        List<Instant> attempts = record == null ? null : record.attempts();
        int attemptCount = attempts == null ? 0 : attempts.size();
        byte[][] scopes = new byte[record == null ? 0 : record.scopes().size()][];
        long secretsSize = (long) len(token) + len(key) + len(currency) + len(stored) + len(caller);
        for (int i = 0; i < scopes.length; i++) {
            scopes[i] = Utf8.encode(record.scopes().get(i));
            secretsSize += scopes[i].length;
        }
        try (Arena arena = Arena.ofConfined()) {
            // One zeroed block: charge, verdict, error buffer, scope inputs, attempt instants, then the string bytes.
            long attemptsAt = CHARGE_SIZE + VERDICT_SIZE + BUF_SIZE + INPUT_SIZE * scopes.length;
            long head = attemptsAt + 8L * attemptCount;
            MemorySegment block = arena.allocate(head + secretsSize, 8);
            MemorySegment c = block.asSlice(0, CHARGE_SIZE);
            MemorySegment v = block.asSlice(CHARGE_SIZE, VERDICT_SIZE);
            MemorySegment error = block.asSlice(CHARGE_SIZE + VERDICT_SIZE, BUF_SIZE);
            MemorySegment inputs = block.asSlice(CHARGE_SIZE + VERDICT_SIZE + BUF_SIZE, INPUT_SIZE * scopes.length);
            MemorySegment secrets = block.asSlice(head, secretsSize);
            long at = 0;
            int flags = charge.customerPresent() ? CHARGE_CUSTOMER_PRESENT : 0;
            if (token != null) {
                flags |= CHARGE_HAS_TOKEN;
                at = put(c, TC_TOKEN, secrets, at, token);
            }
            if (key != null) {
                flags |= CHARGE_HAS_IDEMPOTENCY_KEY;
                at = put(c, TC_KEY, secrets, at, key);
            }
            if (charge.stepUp()) {
                flags |= CHARGE_STEP_UP;
            }
            at = put(c, TC_CURRENCY, secrets, at, currency);
            if (record != null) {
                at = put(c, TC_RECORD_TOKEN, secrets, at, stored);
                c.set(JAVA_INT, TC_RECORD_STATE,
                        record.state() == StoredRecord.State.ACTIVE ? RECORD_ACTIVE : RECORD_REVOKED);
                for (int i = 0; i < scopes.length; i++) {
                    at = put(inputs, INPUT_SIZE * i, secrets, at, scopes[i]);
                }
                if (scopes.length > 0) {
                    c.set(ADDRESS, TC_SCOPES, inputs);
                    c.set(JAVA_LONG, TC_SCOPES + LEN_AFTER_PTR, scopes.length);
                }
                if (record.lastUsedAt() != null) {
                    flags |= CHARGE_HAS_LAST_USED_AT;
                    c.set(JAVA_LONG, TC_LAST_USED_AT, millis(record.lastUsedAt()));
                }
                if (attempts != null) {
                    flags |= CHARGE_HAS_ATTEMPTS;
                    if (attemptCount > 0) {
                        MemorySegment instants = block.asSlice(attemptsAt, 8L * attemptCount);
                        for (int i = 0; i < attemptCount; i++) {
                            instants.setAtIndex(JAVA_LONG, i, millis(attempts.get(i)));
                        }
                        c.set(ADDRESS, TC_RECORD_ATTEMPTS, instants);
                        c.set(JAVA_LONG, TC_RECORD_ATTEMPTS + LEN_AFTER_PTR, attemptCount);
                    }
                }
            }
            if (caller != null) {
                flags |= CHARGE_HAS_CALLER;
                at = put(c, TC_CALLER, secrets, at, caller);
            }
            c.set(JAVA_LONG, TC_AMOUNT, charge.amount());
            if (charge.now() != null) {
                flags |= CHARGE_HAS_NOW;
                c.set(JAVA_LONG, TC_NOW, millis(charge.now()));
            }
            if (charge.attempts24h() != null) {
                flags |= CHARGE_HAS_ATTEMPTS_24H;
                c.set(JAVA_LONG, TC_ATTEMPTS_24H, charge.attempts24h());
            }
            if (charge.attempts30d() != null) {
                flags |= CHARGE_HAS_ATTEMPTS_30D;
                c.set(JAVA_LONG, TC_ATTEMPTS_30D, charge.attempts30d());
            }
            if (charge.wantFingerprint()) {
                flags |= CHARGE_WANT_FINGERPRINT;
            }
            c.set(JAVA_INT, TC_FLAGS, flags);
            int status;
            byte[] errorBytes;
            try {
                status = (int) CHECK_CHARGE.invokeExact(engine, c, v, error);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                errorBytes = take(error);
                wipe(secrets);
                zero(token);
                zero(key);
                zero(currency);
                zero(stored);
                zero(caller);
                for (byte[] scope : scopes) {
                    zero(scope);
                }
            }
            Verdict verdict = status == CTP_OK ? readVerdict(v, charge.wantFingerprint()) : null;
            return new TypedReply(status, verdict, errorBytes);
        }
    }

    /**
     * {@code ctp_check_json_verdict} without the decision JSON: the verdict on OK, else the
     * status and error object. A request up to {@link Native#CRITICAL_MAX_BYTES} goes through
     * the critical handle: the request, the verdict and the error buffer are heap arrays (no
     * arena, no native copy of the request, so none to wipe; the guard makes this call before
     * every charge). A larger one is copied to native memory and wiped.
     */
    static TypedReply checkJsonVerdict(MemorySegment engine, byte[] request) {
        if (request.length <= CRITICAL_MAX_BYTES) {
            long[] verdict = new long[VERDICT_LONGS];
            long[] error = new long[2]; // struct ctp_buf {ptr, len}
            MemorySegment v = MemorySegment.ofArray(verdict);
            MemorySegment errorBuf = MemorySegment.ofArray(error);
            int status;
            try {
                status = (int) CHECK_JSON_VERDICT_CRITICAL.invokeExact(engine, heap(request), (long) request.length, v,
                        MemorySegment.NULL, errorBuf);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            byte[] errorBytes = takeHeap(error, errorBuf);
            return new TypedReply(status, status == CTP_OK ? readVerdict(v, false) : null, errorBytes);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(VERDICT_SIZE + BUF_SIZE + Math.max(1, request.length), 8);
            MemorySegment v = block.asSlice(0, VERDICT_SIZE);
            MemorySegment error = block.asSlice(VERDICT_SIZE, BUF_SIZE);
            MemorySegment in = request.length == 0 ? MemorySegment.NULL
                    : block.asSlice(VERDICT_SIZE + BUF_SIZE, request.length);
            if (request.length > 0) {
                MemorySegment.copy(request, 0, in, JAVA_BYTE, 0, request.length);
            }
            int status;
            byte[] errorBytes;
            try {
                status = (int) CHECK_JSON_VERDICT.invokeExact(engine, in, (long) request.length, v, MemorySegment.NULL,
                        error);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                errorBytes = take(error);
                if (request.length > 0) {
                    wipe(in);
                }
            }
            Verdict verdict = status == CTP_OK ? readVerdict(v, false) : null;
            return new TypedReply(status, verdict, errorBytes);
        }
    }

    /** Epoch milliseconds; an instant beyond a long's range saturates (the core refuses both ends). */
    private static long millis(Instant t) {
        try {
            return t.toEpochMilli();
        } catch (ArithmeticException beyond) {
            return t.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static int len(byte[] b) {
        return b == null ? 0 : b.length;
    }

    private static void zero(byte[] b) {
        if (b != null) {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Copies {@code bytes} to {@code secrets} at {@code at} and points the (ptr, len) pair there. */
    private static long put(MemorySegment struct, long ptrOffset, MemorySegment secrets, long at, byte[] bytes) {
        if (bytes.length == 0) {
            return at; // NULL with length 0: the ABI's empty input (the block is zeroed)
        }
        MemorySegment dst = secrets.asSlice(at, bytes.length);
        MemorySegment.copy(bytes, 0, dst, JAVA_BYTE, 0, bytes.length);
        struct.set(ADDRESS, ptrOffset, dst);
        struct.set(JAVA_LONG, ptrOffset + LEN_AFTER_PTR, bytes.length);
        return at + bytes.length;
    }

    private static Verdict readVerdict(MemorySegment v, boolean wantFingerprint) {
        boolean allowed = v.get(JAVA_INT, V_ALLOWED) != 0;
        List<Integer> violations = ids(v, V_VIOLATIONS, v.get(JAVA_INT, V_VIOLATION_COUNT));
        List<Integer> warnings = ids(v, V_WARNINGS, v.get(JAVA_INT, V_WARNING_COUNT));
        Optional<String> fingerprint = Optional.empty();
        if (wantFingerprint && v.get(JAVA_INT, V_HAS_FINGERPRINT) != 0) {
            fingerprint = Optional.of("sha256:" + HEX.formatHex(v.asSlice(V_FINGERPRINT, 32).toArray(JAVA_BYTE)));
        }
        return new Verdict(allowed, violations, warnings, fingerprint);
    }

    private static List<Integer> ids(MemorySegment v, long offset, int count) {
        if (count < 0 || count > CTP_MAX_RULES) {
            throw new IllegalStateException("ctp_verdict with a rule count of " + Integer.toUnsignedString(count));
        }
        if (count == 0) {
            return List.of(); // the usual case (an ALLOW has no violations, most have no warnings)
        }
        Integer[] out = new Integer[count];
        for (int i = 0; i < count; i++) {
            out[i] = Short.toUnsignedInt(v.get(JAVA_SHORT, offset + 2L * i));
        }
        return List.of(out);
    }

    // ---------------------------------------------------------------- ctp_check_many

    /** What {@code ctp_check_many} answered for one request: its status and JSON (decision or error). */
    record Item(int status, byte[] json) {
    }

    /** The per-request answers, in order, and the library's counts. */
    record ManyReply(int status, Item[] items, long allowed, long denied, long undecided) {
    }

    static ManyReply checkMany(MemorySegment engine, byte[][] requests) {
        int n = requests.length;
        long total = 0;
        for (byte[] r : requests) {
            total += r.length;
        }
        try (Arena arena = Arena.ofConfined()) {
            long inputsSize = INPUT_SIZE * n;
            long resultsSize = CTP_RESULT.byteSize() * n;
            long countsSize = CTP_BATCH_COUNTS.byteSize();
            MemorySegment block = arena.allocate(countsSize + inputsSize + resultsSize + total, 8);
            MemorySegment counts = block.asSlice(0, countsSize);
            MemorySegment inputs = block.asSlice(countsSize, inputsSize);
            MemorySegment results = block.asSlice(countsSize + inputsSize, resultsSize);
            MemorySegment bytes = block.asSlice(countsSize + inputsSize + resultsSize, total);
            long at = 0;
            for (int i = 0; i < n; i++) {
                at = put(inputs, INPUT_SIZE * i, bytes, at, requests[i]);
            }
            int status;
            try {
                status = (int) CHECK_MANY.invokeExact(engine, inputs, (long) n, results, counts, MemorySegment.NULL);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                wipe(bytes);
            }
            if (status != CTP_OK) {
                return new ManyReply(status, null, 0, 0, 0);
            }
            Item[] items = new Item[n];
            try {
                for (int i = 0; i < n; i++) {
                    MemorySegment r = results.asSlice(CTP_RESULT.byteSize() * i, CTP_RESULT.byteSize());
                    MemorySegment buf = r.asSlice(R_JSON, BUF_SIZE);
                    MemorySegment ptr = buf.get(ADDRESS, 0);
                    long len = buf.get(JAVA_LONG, LEN_AFTER_PTR);
                    byte[] json = ptr.equals(MemorySegment.NULL) || len <= 0 ? null
                            : ptr.reinterpret(len).toArray(JAVA_BYTE);
                    items[i] = new Item(r.get(JAVA_INT, R_STATUS), json);
                }
            } finally {
                try {
                    RESULTS_FREE.invokeExact(results, (long) n);
                } catch (Throwable t) {
                    throw rethrow(t);
                }
            }
            return new ManyReply(status, items, counts.get(JAVA_LONG, BC_ALLOWED), counts.get(JAVA_LONG, BC_DENIED),
                    counts.get(JAVA_LONG, BC_INVALID));
        }
    }
}
