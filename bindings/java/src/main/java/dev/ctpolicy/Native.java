package dev.ctpolicy;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * The C ABI of include/ctpolicy.h, and nothing else: every downcall handle is built once,
 * here, as a {@code static final} constant the JIT can inline, and every library buffer is
 * released with {@code ctp_buf_free} in a {@code finally}.
 *
 * <p>Memory: each call opens a confined arena for its inputs and out-parameters and closes it
 * before returning. Confined arenas are the cheapest kind (no cross-thread checks, freed
 * deterministically) and nothing native outlives the call, because the library keeps no
 * pointer of ours. Inputs are wiped before the arena closes, since a request holds a token.
 * The exceptions are the calls of every checked or guarded charge ({@code ctp_check_json},
 * {@code ctp_check_json_verdict}, {@code ctp_apply_response_json}): linked as critical, they
 * take the heap arrays themselves, so there is no arena and no native copy to wipe.
 *
 * <p>Errors: every fallible call ends in the error buffer ({@code ctp_buf *error}). Where a call
 * also has an {@code out} buffer the same buffer is passed as both (the ABI writes exactly one of
 * them), so it holds the answer on {@code CTP_OK} and the error object otherwise.
 */
final class Native {
    private Native() {
    }

    // Status numbers: Statuses (generated from the engine's table).
    /** {@code ctp_audit_open} flag: sync the log after every entry. */
    static final int CTP_AUDIT_FSYNC = 1;

    /** The ABI this binding was written against (CTP_ABI_VERSION). */
    static final int ABI_VERSION = 2;

    /** {@code struct ctp_buf { uint8_t *ptr; size_t len; }} on a 64-bit platform. */
    static final StructLayout CTP_BUF = MemoryLayout.structLayout(ADDRESS.withName("ptr"), JAVA_LONG.withName("len"));
    private static final long BUF_PTR = 0;
    private static final long BUF_LEN = 8;

    /** {@code struct ctp_verdict} (304 bytes, align 4). */
    static final StructLayout CTP_VERDICT = MemoryLayout.structLayout(
            JAVA_INT.withName("allowed"), JAVA_INT.withName("violation_count"), JAVA_INT.withName("warning_count"),
            JAVA_INT.withName("has_fingerprint"),
            MemoryLayout.sequenceLayout(Native.CTP_MAX_RULES, JAVA_SHORT).withName("violations"),
            MemoryLayout.sequenceLayout(Native.CTP_MAX_RULES, JAVA_SHORT).withName("warnings"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("fingerprint"));

    /** {@code struct ctp_batch_counts} (24 bytes), for {@code ctp_check_many}. */
    static final StructLayout CTP_BATCH_COUNTS = MemoryLayout.structLayout(
            JAVA_LONG.withName("allowed"), JAVA_LONG.withName("denied"), JAVA_LONG.withName("invalid"));

    /**
     * {@code struct ctp_typed_charge} (160 bytes, align 8), for {@code ctp_check_charge}: the currency is a
     * pointer + length, the record's scopes an array of {@code ctp_input} strings; at the end the
     * request's caller (pointer + length) and the record's attempts (an array of epoch milliseconds).
     */
    static final StructLayout CTP_TYPED_CHARGE = MemoryLayout.structLayout(
            ADDRESS.withName("token"), JAVA_LONG.withName("token_len"),
            ADDRESS.withName("record_token"), JAVA_LONG.withName("record_token_len"),
            ADDRESS.withName("idempotency_key"), JAVA_LONG.withName("idempotency_key_len"),
            ADDRESS.withName("currency"), JAVA_LONG.withName("currency_len"),
            ADDRESS.withName("record_scopes"), JAVA_LONG.withName("record_scope_count"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("record_state"),
            JAVA_LONG.withName("amount"), JAVA_LONG.withName("now_ms"), JAVA_LONG.withName("last_used_at_ms"),
            JAVA_LONG.withName("attempts_24h"), JAVA_LONG.withName("attempts_30d"),
            ADDRESS.withName("caller"), JAVA_LONG.withName("caller_len"),
            ADDRESS.withName("record_attempts_ms"), JAVA_LONG.withName("record_attempt_count"));

    /** {@code struct ctp_input { const uint8_t *ptr; size_t len; }} (16 bytes), for {@code ctp_check_many}. */
    static final StructLayout CTP_INPUT = MemoryLayout.structLayout(ADDRESS.withName("ptr"), JAVA_LONG.withName("len"));

    /** {@code struct ctp_result { uint32_t status; uint32_t allowed; ctp_buf json; }} (24 bytes). */
    static final StructLayout CTP_RESULT = MemoryLayout.structLayout(
            JAVA_INT.withName("status"), JAVA_INT.withName("allowed"), CTP_BUF.withName("json"));

    /** CTP_MAX_RULES: room for rule ids in each verdict list. */
    static final int CTP_MAX_RULES = 64;

    /** {@code ctp_typed_charge.flags} bits. */
    static final int CHARGE_CUSTOMER_PRESENT = 1;
    static final int CHARGE_HAS_TOKEN = 2;
    static final int CHARGE_HAS_IDEMPOTENCY_KEY = 4;
    static final int CHARGE_STEP_UP = 8;
    static final int CHARGE_HAS_NOW = 16;
    static final int CHARGE_HAS_LAST_USED_AT = 32;
    static final int CHARGE_HAS_ATTEMPTS_24H = 64;
    static final int CHARGE_HAS_ATTEMPTS_30D = 128;
    static final int CHARGE_WANT_FINGERPRINT = 256;
    static final int CHARGE_HAS_CALLER = 512;
    static final int CHARGE_HAS_ATTEMPTS = 1024;

    /** {@code ctp_typed_charge.record_state} values. */
    static final int RECORD_NONE = 0;
    static final int RECORD_ACTIVE = 1;
    static final int RECORD_REVOKED = 2;

    static final long V_ALLOWED = offset(CTP_VERDICT, "allowed");
    static final long V_VIOLATION_COUNT = offset(CTP_VERDICT, "violation_count");
    static final long V_WARNING_COUNT = offset(CTP_VERDICT, "warning_count");
    static final long V_HAS_FINGERPRINT = offset(CTP_VERDICT, "has_fingerprint");
    static final long V_VIOLATIONS = offset(CTP_VERDICT, "violations");
    static final long V_WARNINGS = offset(CTP_VERDICT, "warnings");
    static final long V_FINGERPRINT = offset(CTP_VERDICT, "fingerprint");
    static final long BC_ALLOWED = offset(CTP_BATCH_COUNTS, "allowed");
    static final long BC_DENIED = offset(CTP_BATCH_COUNTS, "denied");
    static final long BC_INVALID = offset(CTP_BATCH_COUNTS, "invalid");
    static final long TC_TOKEN = offset(CTP_TYPED_CHARGE, "token");
    static final long TC_RECORD_TOKEN = offset(CTP_TYPED_CHARGE, "record_token");
    static final long TC_KEY = offset(CTP_TYPED_CHARGE, "idempotency_key");
    static final long TC_CURRENCY = offset(CTP_TYPED_CHARGE, "currency");
    static final long TC_SCOPES = offset(CTP_TYPED_CHARGE, "record_scopes");
    static final long TC_FLAGS = offset(CTP_TYPED_CHARGE, "flags");
    static final long TC_RECORD_STATE = offset(CTP_TYPED_CHARGE, "record_state");
    static final long TC_AMOUNT = offset(CTP_TYPED_CHARGE, "amount");
    static final long TC_NOW = offset(CTP_TYPED_CHARGE, "now_ms");
    static final long TC_LAST_USED_AT = offset(CTP_TYPED_CHARGE, "last_used_at_ms");
    static final long TC_ATTEMPTS_24H = offset(CTP_TYPED_CHARGE, "attempts_24h");
    static final long TC_ATTEMPTS_30D = offset(CTP_TYPED_CHARGE, "attempts_30d");
    static final long TC_CALLER = offset(CTP_TYPED_CHARGE, "caller");
    static final long TC_RECORD_ATTEMPTS = offset(CTP_TYPED_CHARGE, "record_attempts_ms");
    /** A pointer and, 8 bytes on, its length: how every (ptr, len) pair of the structs is laid out. */
    static final long LEN_AFTER_PTR = 8;
    static final long R_STATUS = offset(CTP_RESULT, "status");
    static final long R_ALLOWED = offset(CTP_RESULT, "allowed");
    static final long R_JSON = offset(CTP_RESULT, "json");

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static final EngineException LOAD_FAILURE;
    /** Where the library came from, for diagnostics. */
    static final String LIBRARY_SOURCE;

    static final MethodHandle ENGINE_NEW;
    static final MethodHandle ENGINE_FREE;
    static final MethodHandle CHECK_JSON;
    static final MethodHandle APPLY_EVENT_JSON;
    /** {@code ctp_apply_response_json(record, len, request, len, response, len, at, len, out, error)}. */
    static final MethodHandle APPLY_RESPONSE_JSON;
    static final MethodHandle TOKEN_PARSE;
    static final MethodHandle BUF_FREE;
    static final MethodHandle VERSION;
    static final MethodHandle ABI_VERSION_FN;
    static final MethodHandle STATUS_NAME;
    static final MethodHandle REASON_CODE;
    /**
     * {@code ctp_check_json} and {@code ctp_buf_free} linked with {@code Linker.Option.critical(true)}:
     * they take heap arrays as they are (no copy into native memory). Used by {@link #check}.
     */
    static final MethodHandle CHECK_JSON_CRITICAL;
    static final MethodHandle BUF_FREE_CRITICAL;
    /**
     * {@code ctp_check_json_verdict} and {@code ctp_apply_response_json} linked the same way, for
     * the two calls of every guarded charge: the inputs, the verdict and the out-buffer are heap
     * arrays passed as they are, so neither call opens an arena ({@code malloc}/{@code free}),
     * copies its inputs or wipes the copies. Used for inputs up to {@link #CRITICAL_MAX_BYTES}.
     */
    static final MethodHandle CHECK_JSON_VERDICT_CRITICAL;
    static final MethodHandle APPLY_RESPONSE_JSON_CRITICAL;
    /**
     * The most input bytes a critical call of ours takes. A critical call holds off the GC's
     * safepoints while it runs, which is harmless for the few microseconds a guarded charge's
     * request and answer take, but not for a megabyte to parse: larger inputs take the copying
     * path.
     */
    static final int CRITICAL_MAX_BYTES = 64 * 1024;
    /** {@code ctp_check_charge(engine, const ctp_typed_charge*, ctp_verdict *out, ctp_buf *error)}. */
    static final MethodHandle CHECK_CHARGE;
    /** {@code ctp_check_json_verdict(engine, request, len, ctp_verdict*, ctp_buf *decision, ctp_buf *error)}. */
    static final MethodHandle CHECK_JSON_VERDICT;
    /** {@code ctp_check_many(engine, const ctp_input*, count, ctp_result*, ctp_batch_counts*, ctp_buf *error)}. */
    static final MethodHandle CHECK_MANY;
    /** {@code ctp_results_free(ctp_result*, count)}. */
    static final MethodHandle RESULTS_FREE;
    /** {@code ctp_redact(text, len, ctp_buf *out, size_t *count, ctp_buf *error)}. */
    static final MethodHandle REDACT;
    static final MethodHandle REDACTOR_NEW;
    static final MethodHandle REDACTOR_WRITE;
    static final MethodHandle REDACTOR_FINISH;
    static final MethodHandle REDACTOR_FREE;
    /** {@code ctp_scan(text, len, ctp_buf *out, size_t *count, ctp_buf *error)}. */
    static final MethodHandle SCAN;
    static final MethodHandle AUDIT_OPEN;
    static final MethodHandle AUDIT_CHECK_JSON;
    static final MethodHandle AUDIT_VERIFY;
    static final MethodHandle AUDIT_ENTRY_JSON;
    static final MethodHandle AUDIT_REPAIR;
    static final MethodHandle AUDIT_CLOSE;
    static final MethodHandle VAULT_NEW;
    static final MethodHandle VAULT_FEED;
    static final MethodHandle VAULT_SET_SHARD;
    static final MethodHandle VAULT_FREE;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup = null;
        EngineException failure = null;
        String source = "not loaded";
        try {
            if (linker.canonicalLayouts().get("size_t").byteSize() != 8) {
                throw new IllegalStateException("this binding supports 64-bit platforms only");
            }
            NativeLoader.Location location = NativeLoader.locate();
            lookup = SymbolLookup.libraryLookup(location.path(), Arena.global());
            source = location.source() + " (" + location.path() + ")";
            if (location.temporary()) {
                // Once mapped the file is no longer needed; deleteOnExit covers a failed delete.
                Files.deleteIfExists(location.path());
            }
        } catch (Throwable t) {
            lookup = null;
            // The message names the library's path, which a setting gave and which may hold a
            // token: the exception gets it redacted, and a cause that carries it redacted too.
            failure = EngineException.unavailable(t.getMessage() == null ? t.toString() : t.getMessage(),
                    new LoadFailure(t));
        }

        ENGINE_NEW = bind(linker, lookup, failure, "ctp_engine_new",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        ENGINE_FREE = bind(linker, lookup, failure, "ctp_engine_free", FunctionDescriptor.ofVoid(ADDRESS));
        CHECK_JSON = bind(linker, lookup, failure, "ctp_check_json",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        APPLY_EVENT_JSON = bind(linker, lookup, failure, "ctp_apply_event_json",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        APPLY_RESPONSE_JSON = bind(linker, lookup, failure, "ctp_apply_response_json", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        TOKEN_PARSE = bind(linker, lookup, failure, "ctp_token_parse",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        BUF_FREE = bind(linker, lookup, failure, "ctp_buf_free", FunctionDescriptor.ofVoid(ADDRESS));
        VERSION = bind(linker, lookup, failure, "ctp_version", FunctionDescriptor.of(ADDRESS));
        ABI_VERSION_FN = bind(linker, lookup, failure, "ctp_abi_version", FunctionDescriptor.of(JAVA_INT));
        STATUS_NAME = bind(linker, lookup, failure, "ctp_status_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        REASON_CODE = bind(linker, lookup, failure, "ctp_reason_code", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        CHECK_JSON_CRITICAL = bind(linker, lookup, failure, "ctp_check_json",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS),
                Linker.Option.critical(true));
        BUF_FREE_CRITICAL = bind(linker, lookup, failure, "ctp_buf_free", FunctionDescriptor.ofVoid(ADDRESS),
                Linker.Option.critical(true));
        CHECK_JSON_VERDICT_CRITICAL = bind(linker, lookup, failure, "ctp_check_json_verdict",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS),
                Linker.Option.critical(true));
        APPLY_RESPONSE_JSON_CRITICAL = bind(linker, lookup, failure, "ctp_apply_response_json",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS,
                        JAVA_LONG, ADDRESS, ADDRESS),
                Linker.Option.critical(true));
        CHECK_CHARGE = bind(linker, lookup, failure, "ctp_check_charge",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        CHECK_JSON_VERDICT = bind(linker, lookup, failure, "ctp_check_json_verdict",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        CHECK_MANY = bind(linker, lookup, failure, "ctp_check_many",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        RESULTS_FREE = bind(linker, lookup, failure, "ctp_results_free",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG));
        REDACT = bind(linker, lookup, failure, "ctp_redact",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        REDACTOR_NEW = bind(linker, lookup, failure, "ctp_redactor_new",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        REDACTOR_WRITE = bind(linker, lookup, failure, "ctp_redactor_write",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        REDACTOR_FINISH = bind(linker, lookup, failure, "ctp_redactor_finish",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        REDACTOR_FREE = bind(linker, lookup, failure, "ctp_redactor_free", FunctionDescriptor.ofVoid(ADDRESS));
        SCAN = bind(linker, lookup, failure, "ctp_scan",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        AUDIT_OPEN = bind(linker, lookup, failure, "ctp_audit_open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        AUDIT_CHECK_JSON = bind(linker, lookup, failure, "ctp_audit_check_json",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        AUDIT_VERIFY = bind(linker, lookup, failure, "ctp_audit_verify",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        AUDIT_ENTRY_JSON = bind(linker, lookup, failure, "ctp_audit_entry_json", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        AUDIT_REPAIR = bind(linker, lookup, failure, "ctp_audit_repair",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        AUDIT_CLOSE = bind(linker, lookup, failure, "ctp_audit_close",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        VAULT_NEW = bind(linker, lookup, failure, "ctp_vault_new",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
        VAULT_FEED = bind(linker, lookup, failure, "ctp_vault_feed",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        VAULT_SET_SHARD = bind(linker, lookup, failure, "ctp_vault_set_shard",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        VAULT_FREE = bind(linker, lookup, failure, "ctp_vault_free", FunctionDescriptor.ofVoid(ADDRESS));

        if (failure == null) {
            try {
                int abi = (int) ABI_VERSION_FN.invokeExact();
                if (abi != ABI_VERSION) {
                    failure = EngineException.unavailable("libctpolicy from " + source + " implements ABI version "
                            + Integer.toUnsignedString(abi) + ", but this binding needs ABI version " + ABI_VERSION
                            + "; use a matching ctpolicy jar and library", null);
                }
            } catch (Throwable t) {
                failure = EngineException.unavailable("ctp_abi_version failed: " + t, new LoadFailure(t));
            }
        }
        LOAD_FAILURE = failure;
        LIBRARY_SOURCE = source;
        READY = failure == null;
    }

    /**
     * True once the library is loaded and every handle bound. False while this class is being
     * initialised (its own load-failure exception must not call into the library) and when the
     * library could not be loaded.
     */
    static final boolean READY;

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, EngineException failure, String name,
            FunctionDescriptor descriptor, Linker.Option... options) {
        if (lookup != null) {
            var symbol = lookup.find(name);
            if (symbol.isPresent()) {
                return linker.downcallHandle(symbol.get(), descriptor, options);
            }
        }
        // Not loaded: a handle of the same type that throws. ensureLoaded() normally reports
        // the fault first, with a fresh stack trace.
        MethodType type = descriptor.toMethodType();
        EngineException why = failure != null ? failure
                : EngineException.unavailable("libctpolicy has no symbol " + name, null);
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), EngineException.class).bindTo(why);
        return MethodHandles.dropArguments(thrower, 0, type.parameterList());
    }

    /**
     * Why the library could not be loaded, in place of the exception that said so: that one's
     * message quotes the library's path verbatim, this one's is redacted (its stack trace is the
     * same). Nothing of the original is kept.
     */
    static final class LoadFailure extends Exception {
        private static final long serialVersionUID = 1L;

        LoadFailure(Throwable t) {
            super(FallbackRedactor.redact(t.getClass().getName() + ": " + t.getMessage()), null, false, true);
            setStackTrace(t.getStackTrace());
        }
    }

    /** Throws a fresh EngineException when the library could not be loaded. */
    static void ensureLoaded() {
        if (LOAD_FAILURE != null) {
            throw EngineException.unavailable(LOAD_FAILURE.reason(), LOAD_FAILURE.getCause());
        }
    }

    // ---------------------------------------------------------------- calls

    /** {@code ctp_engine_new}: the engine in {@code engine[0]} on OK, else the error object. */
    static Reply engineNew(byte[] policy, MemorySegment[] engine) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, policy);
            MemorySegment out = arena.allocate(ADDRESS);
            Reply reply = call(arena, error -> (int) ENGINE_NEW.invokeExact(in, (long) length(policy), out, error),
                    in);
            if (reply.ok()) {
                engine[0] = out.get(ADDRESS, 0);
            }
            return reply;
        }
    }

    static void engineFree(MemorySegment engine) {
        try {
            ENGINE_FREE.invokeExact(engine);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code ctp_check_json}: the decision JSON on OK, else the error object. The request array
     * and the out-buffer are passed as heap segments (critical call: no native copy of the
     * request is made, so there is none to wipe; the caller wipes its own array). BENCHMARKS.md
     * compares it with {@link #checkCopy}.
     */
    static Reply check(MemorySegment engine, byte[] request) {
        long[] buf = new long[2]; // struct ctp_buf {ptr, len}, written by the library
        MemorySegment out = MemorySegment.ofArray(buf);
        MemorySegment in = request.length == 0 ? MemorySegment.NULL : MemorySegment.ofArray(request);
        int status;
        try {
            status = (int) CHECK_JSON_CRITICAL.invokeExact(engine, in, (long) request.length, out, out);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return new Reply(status, takeHeap(buf, out));
    }

    /** A heap segment over {@code bytes} for a critical call; NULL for none and for the empty input, as {@link #input}. */
    static MemorySegment heap(byte[] bytes) {
        return bytes == null || bytes.length == 0 ? MemorySegment.NULL : MemorySegment.ofArray(bytes);
    }

    /** The library buffer described by {@code buf} (a heap {@code ctp_buf}), copied out and released. */
    static byte[] takeHeap(long[] buf, MemorySegment segment) {
        try {
            if (buf[0] == 0 || buf[1] <= 0) {
                return null;
            }
            if (buf[1] > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("library buffer too large: " + buf[1] + " bytes");
            }
            return MemorySegment.ofAddress(buf[0]).reinterpret(buf[1]).toArray(JAVA_BYTE);
        } finally {
            try {
                BUF_FREE_CRITICAL.invokeExact(segment);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /**
     * {@code ctp_check_json} as before the critical variant: the request is copied into a
     * confined arena, passed, and the copy wiped. Kept for the benchmark that compares them.
     */
    static Reply checkCopy(MemorySegment engine, byte[] request) {
        int len = request.length;
        try (Arena arena = Arena.ofConfined()) {
            // One allocation for both: the out-buffer first (zeroed, so ctp_buf_free is a
            // no-op if the call never fills it), then the request bytes.
            MemorySegment block = arena.allocate(CTP_BUF.byteSize() + len, 8);
            MemorySegment out = block.asSlice(0, CTP_BUF.byteSize());
            MemorySegment in = len == 0 ? MemorySegment.NULL : block.asSlice(CTP_BUF.byteSize(), len);
            if (len > 0) {
                MemorySegment.copy(request, 0, in, JAVA_BYTE, 0, len);
            }
            return call(out, buf -> (int) CHECK_JSON.invokeExact(engine, in, (long) len, buf, buf), in);
        }
    }

    /** {@code ctp_apply_event_json}: the transition JSON on OK, else the error object. */
    static Reply applyEvent(byte[] record, byte[] event) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment recordIn = input(arena, record);
            MemorySegment eventIn = input(arena, event);
            return call(arena, out -> (int) APPLY_EVENT_JSON.invokeExact(recordIn, (long) length(record), eventIn,
                    (long) length(event), out, out), recordIn, eventIn);
        }
    }

    /**
     * {@code ctp_apply_response_json}: the transition JSON on OK, else the error object. Inputs
     * up to {@link #CRITICAL_MAX_BYTES} in all go as heap arrays through the critical handle
     * (no native copy, so none to wipe; this call follows every guarded charge); larger ones
     * are copied into one native block and wiped.
     */
    static Reply applyResponse(byte[] record, byte[] request, byte[] response, byte[] at) {
        ensureLoaded();
        long total = (long) length(record) + length(request) + length(response) + length(at);
        if (total <= CRITICAL_MAX_BYTES) {
            long[] buf = new long[2]; // struct ctp_buf {ptr, len}, written by the library
            MemorySegment out = MemorySegment.ofArray(buf);
            int status;
            try {
                status = (int) APPLY_RESPONSE_JSON_CRITICAL.invokeExact(heap(record), (long) length(record),
                        heap(request), (long) length(request), heap(response), (long) length(response), heap(at),
                        (long) length(at), out, out);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            return new Reply(status, takeHeap(buf, out));
        }
        try (Arena arena = Arena.ofConfined()) {
            // The four inputs in one native block (one allocation instead of four), wiped as one afterwards.
            MemorySegment block = total == 0 ? MemorySegment.NULL : arena.allocate(total);
            MemorySegment recordIn = place(block, 0, record);
            MemorySegment requestIn = place(block, length(record), request);
            MemorySegment responseIn = place(block, (long) length(record) + length(request), response);
            MemorySegment atIn = place(block, total - length(at), at);
            return call(arena, out -> (int) APPLY_RESPONSE_JSON.invokeExact(recordIn, (long) length(record), requestIn,
                    (long) length(request), responseIn, (long) length(response), atIn, (long) length(at), out, out),
                    block);
        }
    }

    /** {@code ctp_token_parse}: the token JSON on OK, else the error object. */
    static Reply tokenParse(byte[] token) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, token);
            return call(arena, out -> (int) TOKEN_PARSE.invokeExact(in, (long) length(token), out, out), in);
        }
    }

    static String version() {
        ensureLoaded();
        try {
            return staticString((MemorySegment) VERSION.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int abiVersion() {
        ensureLoaded();
        try {
            return (int) ABI_VERSION_FN.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static String statusName(int status) {
        ensureLoaded();
        try {
            return staticString((MemorySegment) STATUS_NAME.invokeExact(status));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static String reasonCode(int id) {
        ensureLoaded();
        try {
            return staticString((MemorySegment) REASON_CODE.invokeExact(id));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- hygiene (raw)

    /**
     * A raw answer: the status and the bytes of the one output buffer (the result on
     * {@code Statuses.CTP_OK}, else the error object, or null when the library wrote none).
     * Interpreting them is the caller's business (the layer above).
     */
    record Reply(int status, byte[] bytes) {
        boolean ok() {
            return status == Statuses.CTP_OK;
        }
    }

    /** {@code ctp_redact}: the redacted bytes (never null on OK) and the count in {@code count[0]}. */
    static Reply redact(byte[] text, long[] count) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, text);
            MemorySegment n = arena.allocate(JAVA_LONG);
            Reply reply = call(arena, out -> (int) REDACT.invokeExact(in, (long) length(text), out, n, out), in);
            count[0] = n.get(JAVA_LONG, 0);
            return orEmpty(reply);
        }
    }

    /** {@code ctp_scan}: the JSON Lines reports (empty when none). */
    static Reply scan(byte[] text) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, text);
            return orEmpty(call(arena,
                    out -> (int) SCAN.invokeExact(in, (long) length(text), out, MemorySegment.NULL, out), in));
        }
    }

    /** {@code ctp_redactor_new}: the handle, or NULL when the library refused. */
    static MemorySegment redactorNew() {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int status = (int) REDACTOR_NEW.invokeExact(out, MemorySegment.NULL);
            return status == Statuses.CTP_OK ? out.get(ADDRESS, 0) : MemorySegment.NULL;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ctp_redactor_write} of {@code bytes[off, off+len)}: the decided bytes. */
    static Reply redactorWrite(MemorySegment redactor, byte[] bytes, int off, int len) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = len == 0 ? MemorySegment.NULL : arena.allocate(len);
            if (len > 0) {
                MemorySegment.copy(bytes, off, in, JAVA_BYTE, 0, len);
            }
            return orEmpty(call(arena, out -> (int) REDACTOR_WRITE.invokeExact(redactor, in, (long) len, out, out), in));
        }
    }

    /** {@code ctp_redactor_finish}: the held-back tail, redacted. */
    static Reply redactorFinish(MemorySegment redactor) {
        try (Arena arena = Arena.ofConfined()) {
            return orEmpty(call(arena, out -> (int) REDACTOR_FINISH.invokeExact(redactor, out, out)));
        }
    }

    static void redactorFree(MemorySegment redactor) {
        try {
            REDACTOR_FREE.invokeExact(redactor);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ctp_audit_open}: the handle in {@code handle[0]} on OK, else the error object. */
    static Reply auditOpen(byte[] path, int flags, MemorySegment[] handle) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, path);
            MemorySegment out = arena.allocate(ADDRESS);
            Reply reply = call(arena,
                    error -> (int) AUDIT_OPEN.invokeExact(in, (long) length(path), flags, out, error), in);
            if (reply.ok()) {
                handle[0] = out.get(ADDRESS, 0);
            }
            return reply;
        }
    }

    /** {@code ctp_audit_check_json}: the decision JSON on OK, else the error object. */
    static Reply auditCheck(MemorySegment engine, MemorySegment log, byte[] request) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, request);
            return call(arena,
                    out -> (int) AUDIT_CHECK_JSON.invokeExact(engine, log, in, (long) length(request), out, out), in);
        }
    }

    /** {@code ctp_audit_verify}: the summary JSON on OK, else the error object. */
    static Reply auditVerify(byte[] path, byte[] expectHead) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, path);
            MemorySegment head = input(arena, expectHead);
            return call(arena, out -> (int) AUDIT_VERIFY.invokeExact(in, (long) length(path), head,
                    (long) length(expectHead), out, out), in, head);
        }
    }

    /** {@code ctp_audit_repair}: the report JSON on OK, else the error object. */
    static Reply auditRepair(byte[] path) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, path);
            return call(arena, out -> (int) AUDIT_REPAIR.invokeExact(in, (long) length(path), out, out), in);
        }
    }

    /** {@code ctp_audit_entry_json}: the entry line on OK, else the error object. */
    static Reply auditEntry(MemorySegment engine, byte[] request, long seq, byte[] prev, byte[] at) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, request);
            MemorySegment p = input(arena, prev);
            MemorySegment a = input(arena, at);
            return call(arena, out -> (int) AUDIT_ENTRY_JSON.invokeExact(engine, in, (long) length(request), seq, p,
                    (long) length(prev), a, (long) length(at), out, out), in, p, a);
        }
    }

    /** {@code ctp_audit_close}: syncs and frees; the error object when the sync failed. */
    static Reply auditClose(MemorySegment log) {
        try (Arena arena = Arena.ofConfined()) {
            return call(arena, error -> (int) AUDIT_CLOSE.invokeExact(log, error));
        }
    }

    /**
     * {@code ctp_vault_new}: the lint in {@code handle[0]} on OK, else the error object. A null
     * {@code now} leaves the time checks out; a negative {@code staleDays} leaves STALE out.
     */
    static Reply vaultNew(byte[] policy, byte[] now, long staleDays, MemorySegment[] handle) {
        ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment policyIn = input(arena, policy);
            MemorySegment nowIn = input(arena, now);
            MemorySegment out = arena.allocate(ADDRESS);
            Reply reply = call(arena, error -> (int) VAULT_NEW.invokeExact(policyIn, (long) length(policy), nowIn,
                    (long) length(now), staleDays, out, error), policyIn, nowIn);
            if (reply.ok()) {
                handle[0] = out.get(ADDRESS, 0);
            }
            return reply;
        }
    }

    /** {@code ctp_vault_set_shard}: OK, else the error object. */
    static Reply vaultSetShard(MemorySegment vault, long index, long count) {
        try (Arena arena = Arena.ofConfined()) {
            return call(arena, error -> (int) VAULT_SET_SHARD.invokeExact(vault, index, count, error));
        }
    }

    /** {@code ctp_vault_feed}: the findings (JSON Lines, empty for none) on OK, else the error object. */
    static Reply vaultFeed(MemorySegment vault, byte[] record) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = input(arena, record);
            return orEmpty(call(arena, out -> (int) VAULT_FEED.invokeExact(vault, in, (long) length(record), out,
                    MemorySegment.NULL, out), in));
        }
    }

    static void vaultFree(MemorySegment vault) {
        try {
            VAULT_FREE.invokeExact(vault);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * One downcall with its arguments bound, given the {@code ctp_buf} out-parameter (result or
     * error object) and returning the status. Each call site keeps its own lambda because
     * {@code invokeExact} needs the exact static types right at the call.
     */
    @FunctionalInterface
    private interface Downcall {
        int invoke(MemorySegment buf) throws Throwable;
    }

    /** {@link #call(MemorySegment, Downcall, MemorySegment...)} with a fresh ctp_buf from {@code arena}. */
    private static Reply call(Arena arena, Downcall downcall, MemorySegment... inputs) {
        return call(arena.allocate(CTP_BUF), downcall, inputs);
    }

    /**
     * Runs {@code downcall} with the ctp_buf {@code buf} (zeroed, so ctp_buf_free is a no-op if
     * the call never fills it); then, whether or not it threw, copies out and frees that buffer,
     * and wipes the native copies of the inputs, since a request holds a token.
     */
    private static Reply call(MemorySegment buf, Downcall downcall, MemorySegment... inputs) {
        int status;
        byte[] bytes;
        try {
            status = downcall.invoke(buf);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            try {
                bytes = take(buf);
            } finally {
                for (MemorySegment input : inputs) {
                    wipe(input);
                }
            }
        }
        return new Reply(status, bytes);
    }

    /** The reply with an empty array for "no buffer": for calls whose result is never null on OK. */
    private static Reply orEmpty(Reply reply) {
        return reply.bytes() == null ? new Reply(reply.status(), new byte[0]) : reply;
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    /** NULL for "no input" (null) and for the empty input, as the ABI allows both. */
    private static MemorySegment input(Arena arena, byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return MemorySegment.NULL;
        }
        return arena.allocateFrom(JAVA_BYTE, bytes);
    }

    /** {@code bytes} copied into {@code block} at {@code offset}; NULL for none, as {@link #input}. */
    private static MemorySegment place(MemorySegment block, long offset, byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment.copy(bytes, 0, block, JAVA_BYTE, offset, bytes.length);
        return block.asSlice(offset, bytes.length);
    }

    static void wipe(MemorySegment segment) {
        if (segment.byteSize() > 0) {
            segment.fill((byte) 0);
        }
    }

    /** Copies a library buffer into the heap and releases it, whatever happens. */
    static byte[] take(MemorySegment buf) {
        try {
            MemorySegment ptr = buf.get(ADDRESS, BUF_PTR);
            long len = buf.get(JAVA_LONG, BUF_LEN);
            if (ptr.equals(MemorySegment.NULL) || len <= 0) {
                return null;
            }
            if (len > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("library buffer too large: " + len + " bytes");
            }
            return ptr.reinterpret(len).toArray(JAVA_BYTE);
        } finally {
            try {
                BUF_FREE.invokeExact(buf);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    private static String staticString(MemorySegment s) {
        if (s.equals(MemorySegment.NULL)) {
            return null;
        }
        return s.reinterpret(4096).getString(0, StandardCharsets.UTF_8);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
