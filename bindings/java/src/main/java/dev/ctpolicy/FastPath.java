package dev.ctpolicy;

import static dev.ctpolicy.Native.*;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The typed fast path ({@code ctp_check}) and the batch path ({@code ctp_check_batch}). Same
 * memory rules as {@link Native}: one confined arena per call, our native copies of secrets
 * zero-filled before it closes, every library buffer released with {@code ctp_buf_free}.
 */
final class FastPath {
    private FastPath() {
    }

    private static final long CHARGE_SIZE = CTP_CHARGE.byteSize();
    private static final long VERDICT_SIZE = CTP_VERDICT.byteSize();
    private static final HexFormat HEX = HexFormat.of();

    // ---------------------------------------------------------------- ctp_check

    static Verdict check(MemorySegment engine, Charge charge) {
        StoredRecord record = charge.record();
        byte[] token = charge.token() == null ? null : Utf8.encode(charge.token());
        byte[] key = charge.idempotencyKey() == null ? null : Utf8.encode(charge.idempotencyKey());
        byte[] stored = record == null ? null : Utf8.encode(record.customerToken());
        long secretsSize = (long) len(token) + len(key) + len(stored);
        int status;
        Verdict verdict = null;
        try (Arena arena = Arena.ofConfined()) {
            // One zeroed allocation: the charge, the verdict, then the string bytes.
            MemorySegment block = arena.allocate(CHARGE_SIZE + VERDICT_SIZE + secretsSize, 8);
            MemorySegment c = block.asSlice(0, CHARGE_SIZE);
            MemorySegment v = block.asSlice(CHARGE_SIZE, VERDICT_SIZE);
            MemorySegment secrets = block.asSlice(CHARGE_SIZE + VERDICT_SIZE, secretsSize);
            long at = 0;
            int flags = 0;
            if (charge.customerPresent()) {
                flags |= CHARGE_CUSTOMER_PRESENT;
            }
            if (token != null) {
                flags |= CHARGE_HAS_TOKEN;
                at = put(c, CH_TOKEN, CH_TOKEN_LEN, secrets, at, token);
            }
            if (key != null) {
                flags |= CHARGE_HAS_IDEMPOTENCY_KEY;
                at = put(c, CH_KEY, CH_KEY_LEN, secrets, at, key);
            }
            if (charge.stepUp()) {
                flags |= CHARGE_STEP_UP;
            }
            if (record != null) {
                put(c, CH_RECORD_TOKEN, CH_RECORD_TOKEN_LEN, secrets, at, stored);
                c.set(JAVA_INT, CH_RECORD_STATE,
                        record.state() == StoredRecord.State.ACTIVE ? RECORD_ACTIVE : RECORD_REVOKED);
                c.set(JAVA_INT, CH_RECORD_SCOPES, record.scopeBits());
                if (record.lastUsedAt() != null) {
                    flags |= CHARGE_HAS_LAST_USED_AT;
                    c.set(JAVA_LONG, CH_LAST_USED_AT, record.lastUsedAt().toEpochMilli());
                }
            }
            String currency = charge.currency();
            for (int i = 0; i < 3; i++) {
                c.set(JAVA_BYTE, CH_CURRENCY + i, (byte) currency.charAt(i));
            }
            c.set(JAVA_LONG, CH_AMOUNT, charge.amount());
            if (charge.now() != null) {
                flags |= CHARGE_HAS_NOW;
                c.set(JAVA_LONG, CH_NOW, charge.now().toEpochMilli());
            }
            if (charge.attempts24h() != null) {
                flags |= CHARGE_HAS_ATTEMPTS_24H;
                c.set(JAVA_LONG, CH_ATTEMPTS_24H, charge.attempts24h());
            }
            if (charge.attempts30d() != null) {
                flags |= CHARGE_HAS_ATTEMPTS_30D;
                c.set(JAVA_LONG, CH_ATTEMPTS_30D, charge.attempts30d());
            }
            if (charge.wantFingerprint()) {
                flags |= CHARGE_WANT_FINGERPRINT;
            }
            c.set(JAVA_INT, CH_FLAGS, flags);
            try {
                status = (int) CHECK.invokeExact(engine, c, v);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                wipe(secrets);
                zero(token);
                zero(key);
                zero(stored);
            }
            if (status == CTP_OK) {
                verdict = readVerdict(v, charge.wantFingerprint());
            }
        }
        return switch (status) {
            case CTP_OK -> verdict;
            // Charge validated everything it can, so this is a field the engine refused.
            case CTP_INVALID_ARGUMENT -> throw new IllegalArgumentException(
                    "ctp_check refused the charge (INVALID_ARGUMENT): " + charge);
            case CTP_INVALID_REQUEST -> throw whyUndecidable(engine, charge);
            default -> throw Errors.of(Errors.Call.CHECK, status, null);
        };
    }

    private static int len(byte[] b) {
        return b == null ? 0 : b.length;
    }

    private static void zero(byte[] b) {
        if (b != null) {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Copies {@code bytes} to {@code secrets} at {@code at}, points the field there; NULL for none. */
    private static long put(MemorySegment c, long ptrOffset, long lenOffset, MemorySegment secrets, long at,
            byte[] bytes) {
        if (bytes.length == 0) {
            return at; // NULL with length 0: the ABI's empty input (the struct is zeroed)
        }
        MemorySegment dst = secrets.asSlice(at, bytes.length);
        MemorySegment.copy(bytes, 0, dst, JAVA_BYTE, 0, bytes.length);
        c.set(ADDRESS, ptrOffset, dst);
        c.set(JAVA_LONG, lenOffset, bytes.length);
        return at + bytes.length;
    }

    private static Verdict readVerdict(MemorySegment v, boolean wantFingerprint) {
        boolean allowed = v.get(JAVA_INT, V_ALLOWED) != 0;
        List<Integer> violations = ids(v, V_VIOLATIONS, v.get(JAVA_INT, V_VIOLATION_COUNT));
        List<Integer> warnings = ids(v, V_WARNINGS, v.get(JAVA_INT, V_WARNING_COUNT));
        if (allowed != violations.isEmpty()) {
            throw EngineException.internal("ctp_check: allowed=" + allowed + " with " + violations.size()
                    + " violations", null);
        }
        Optional<String> fingerprint = Optional.empty();
        if (wantFingerprint && v.get(JAVA_INT, V_HAS_FINGERPRINT) != 0) {
            byte[] raw = v.asSlice(V_FINGERPRINT, 32).toArray(JAVA_BYTE);
            fingerprint = Optional.of("sha256:" + HEX.formatHex(raw));
        }
        return new Verdict(allowed, violations, warnings, fingerprint);
    }

    private static List<Integer> ids(MemorySegment v, long offset, int count) {
        if (count < 0 || count > CTP_MAX_RULES) {
            throw EngineException.internal("ctp_check: rule count " + Integer.toUnsignedString(count), null);
        }
        Integer[] out = new Integer[count];
        for (int i = 0; i < count; i++) {
            out[i] = Short.toUnsignedInt(v.get(JAVA_SHORT, offset + 2L * i));
        }
        return List.of(out);
    }

    /**
     * {@code ctp_check} says only that it could not decide; {@code ctp_check_json} on the
     * equivalent request says why (code, path, message), so the exception is the one
     * {@link Engine#check(String)} would throw. Only on this error path is JSON built.
     */
    private static CtPolicyException whyUndecidable(MemorySegment engine, Charge charge) {
        byte[] request = Utf8.encode(equivalentJson(charge));
        try {
            Errors.okText(Errors.Call.CHECK, Native.check(engine, request));
        } catch (InvalidRequestException e) {
            return e;
        } finally {
            zero(request);
        }
        return new InvalidRequestException(new CtPolicyException.Status(CTP_INVALID_REQUEST, "INVALID_REQUEST"),
                "NEEDED_BY_RULE", "a policy rule needs a field this charge lacks (now or a counter)", null, null,
                null);
    }

    /** The JSON request a {@link Charge} stands for (docs/ABI.md, "The typed fast path"). */
    static String equivalentJson(Charge c) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("{\"customer_present\":").append(c.customerPresent()).append(",\"headers\":{");
        boolean first = true;
        if (c.token() != null) {
            sb.append("\"Klarna-Customer-Token\":");
            string(sb, c.token());
            first = false;
        }
        if (c.idempotencyKey() != null) {
            sb.append(first ? "" : ",").append("\"Klarna-Idempotency-Key\":");
            string(sb, c.idempotencyKey());
        }
        sb.append("},\"body\":{\"currency\":");
        string(sb, c.currency());
        sb.append(",\"request_payment_transaction\":{\"amount\":").append(c.amount()).append('}');
        if (c.stepUp()) {
            sb.append(",\"step_up_config\":{}");
        }
        sb.append('}');
        StoredRecord r = c.record();
        if (r != null) {
            sb.append(",\"token_record\":{\"customer_token\":");
            string(sb, r.customerToken());
            sb.append(",\"state\":\"").append(r.state().name()).append("\",\"scopes\":[");
            List<String> scopes = new ArrayList<>();
            for (String known : List.of("payment:customer_present", "payment:customer_not_present", "customer:login")) {
                if (r.scopes().contains(known)) {
                    scopes.add(known);
                }
            }
            TreeSet<String> unknown = new TreeSet<>(r.scopes());
            unknown.removeAll(scopes);
            if (!unknown.isEmpty()) {
                scopes.add(unknown.first());
            }
            for (int i = 0; i < scopes.size(); i++) {
                sb.append(i == 0 ? "" : ",");
                string(sb, scopes.get(i));
            }
            sb.append(']');
            if (r.lastUsedAt() != null) {
                sb.append(",\"last_used_at\":");
                timestamp(sb, r.lastUsedAt());
            }
            sb.append('}');
        }
        if (c.now() != null) {
            sb.append(",\"now\":");
            timestamp(sb, c.now());
        }
        if (c.attempts24h() != null || c.attempts30d() != null) {
            sb.append(",\"counters\":{");
            if (c.attempts24h() != null) {
                sb.append("\"attempts_24h\":").append(c.attempts24h());
            }
            if (c.attempts30d() != null) {
                sb.append(c.attempts24h() != null ? "," : "").append("\"attempts_30d\":").append(c.attempts30d());
            }
            sb.append('}');
        }
        return sb.append('}').toString();
    }

    private static void timestamp(StringBuilder sb, Instant t) {
        sb.append('"').append(Instant.ofEpochMilli(t.toEpochMilli())).append('"');
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        sb.append('"');
    }

    // ---------------------------------------------------------------- ctp_check_batch

    /**
     * A request the batch cannot carry as one line: one with a raw '\n' (it would split), or a
     * blank one (only ' ', '\t', '\r', or empty: the batch skips it, so it would get no line).
     */
    private static boolean needsSingleCheck(String request) {
        for (int i = 0; i < request.length(); i++) {
            char c = request.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r') {
                return request.indexOf('\n', i) >= 0; // String.indexOf is vectorised
            }
        }
        return true;
    }

    static List<CheckResult> checkMany(MemorySegment engine, List<String> requests) {
        int n = requests.size();
        byte[][] encoded = new byte[n][];
        boolean[] single = new boolean[n];
        long total = 0;
        int batched = 0;
        for (int i = 0; i < n; i++) {
            String request = requests.get(i);
            single[i] = needsSingleCheck(request);
            encoded[i] = Utf8.encode(request);
            if (!single[i]) {
                total += encoded[i].length + 1L;
                batched++;
            }
        }
        CheckResult[] results = new CheckResult[n];
        try {
            if (batched > 0) {
                runBatch(engine, encoded, single, total, batched, results);
            }
            for (int i = 0; i < n; i++) {
                if (single[i]) {
                    results[i] = one(engine, encoded[i]);
                }
            }
        } finally {
            for (byte[] b : encoded) {
                zero(b);
            }
        }
        return List.of(results);
    }

    private static CheckResult one(MemorySegment engine, byte[] request) {
        try {
            return new CheckResult.Decided(DecisionReader.read(Errors.okText(Errors.Call.CHECK, Native.check(engine, request))));
        } catch (CtPolicyException e) {
            return new CheckResult.Failed(e);
        }
    }

    private static void runBatch(MemorySegment engine, byte[][] encoded, boolean[] single, long total, int batched,
            CheckResult[] results) {
        byte[] out;
        long allowed;
        long denied;
        long invalid;
        try (Arena arena = Arena.ofConfined()) {
            long head = CTP_BUF.byteSize() + CTP_BATCH_COUNTS.byteSize();
            MemorySegment block = arena.allocate(head + total, 8);
            MemorySegment buf = block.asSlice(0, CTP_BUF.byteSize());
            MemorySegment counts = block.asSlice(CTP_BUF.byteSize(), CTP_BATCH_COUNTS.byteSize());
            MemorySegment in = block.asSlice(head, total);
            long at = 0;
            for (int i = 0; i < encoded.length; i++) {
                if (!single[i]) {
                    MemorySegment.copy(encoded[i], 0, in, JAVA_BYTE, at, encoded[i].length);
                    at += encoded[i].length;
                    in.set(JAVA_BYTE, at++, (byte) '\n');
                }
            }
            int status;
            try {
                status = (int) CHECK_BATCH.invokeExact(engine, in, total, buf, counts);
            } catch (Throwable t) {
                throw rethrow(t);
            } finally {
                out = take(buf);
                wipe(in);
            }
            if (status != CTP_OK) {
                throw Errors.of(Errors.Call.CHECK, status, out);
            }
            allowed = counts.get(JAVA_LONG, BC_ALLOWED);
            denied = counts.get(JAVA_LONG, BC_DENIED);
            invalid = counts.get(JAVA_LONG, BC_INVALID);
        }
        try {
            long seenAllowed = 0;
            long seenDenied = 0;
            long seenInvalid = 0;
            int pos = 0;
            int length = out == null ? 0 : out.length;
            for (int i = 0; i < encoded.length; i++) {
                if (single[i]) {
                    continue;
                }
                int end = pos;
                while (end < length && out[end] != '\n') {
                    end++;
                }
                if (end >= length) {
                    throw EngineException.internal("ctp_check_batch returned fewer lines than the "
                            + batched + " requests", null);
                }
                CheckResult r = line(out, pos, end);
                if (r instanceof CheckResult.Decided d) {
                    if (d.allowed()) {
                        seenAllowed++;
                    } else {
                        seenDenied++;
                    }
                } else {
                    seenInvalid++;
                }
                results[i] = r;
                pos = end + 1;
            }
            if (pos != length || seenAllowed != allowed || seenDenied != denied || seenInvalid != invalid) {
                throw EngineException.internal("ctp_check_batch output disagrees with its counts", null);
            }
        } finally {
            zero(out);
        }
    }

    private static CheckResult line(byte[] out, int from, int to) {
        String json = new String(out, from, to - from, StandardCharsets.UTF_8);
        if (json.startsWith("{\"error\"")) {
            String status = null;
            try {
                if (Json.parse(json) instanceof java.util.Map<?, ?> root
                        && root.get("error") instanceof java.util.Map<?, ?> e && e.get("status") instanceof String s) {
                    status = s;
                }
            } catch (IllegalArgumentException malformed) {
                throw EngineException.internal("unreadable error line from ctp_check_batch", malformed);
            }
            return new CheckResult.Failed((CtPolicyException)
                    Errors.of(Errors.Call.CHECK, 100, json.getBytes(StandardCharsets.UTF_8)));
        }
        return new CheckResult.Decided(DecisionReader.read(json));
    }
}
