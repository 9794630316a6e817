package dev.ctpolicy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The vault lint (docs/VAULT.md): stored token records checked one at a time, with duplicates
 * found across everything fed to the same lint. The same lint as {@code ctpolicy vault lint},
 * Python's {@code VaultLint} and Go's {@code VaultLint}.
 *
 * <pre>{@code
 * try (VaultLint lint = VaultLint.builder().policy("{\"allowed_regions\":[\"eu1\"]}")
 *         .now("2026-11-30T00:00:00Z").staleDays(180).build()) {
 *     for (byte[] row : rows) {
 *         for (VaultFinding f : lint.feed(row)) {
 *             System.out.println(f.severity() + " " + f.code() + " record " + f.line());
 *         }
 *     }
 *     System.out.println(lint.recordsFed() + " records checked");
 * }
 * }</pre>
 *
 * <p>The lint remembers every record fed (as keyed hashes, never tokens) to find duplicates:
 * one lint per export. Calls are serialized (a lint reads one record at a time, in order).
 * Close it when done; a forgotten lint is released by a {@link Cleaner}.
 */
public final class VaultLint implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final long shardIndex;
    private final long shardCount;
    private long fed;

    private VaultLint(MemorySegment pointer, long shardIndex, long shardCount) {
        this.handle = new Handle(pointer);
        this.cleanable = CLEANER.register(this, handle);
        this.shardIndex = shardIndex;
        this.shardCount = shardCount;
    }

    /** A lint without a policy or time options. */
    public static VaultLint create() {
        return builder().build();
    }

    /** The options of a lint; {@link Builder#build()} makes it. */
    public static Builder builder() {
        return new Builder();
    }

    /** The options of a {@link VaultLint}. */
    public static final class Builder {
        private byte[] policy;
        private byte[] now;
        private long staleDays = -1;
        private long shardIndex = 1;
        private long shardCount = 1;

        private Builder() {
        }

        /**
         * The policy, as for {@link Engine#create(String)}; only its {@code allowed_regions} is
         * used ({@code REGION_NOT_ALLOWED}). Null for none.
         */
        public Builder policy(String policyJson) {
            this.policy = policyJson == null ? null : Utf8.encode(policyJson);
            return this;
        }

        /** The instant {@code FUTURE_TIMESTAMP} and {@code STALE} are judged against, RFC 3339 text. */
        public Builder now(String rfc3339) {
            this.now = Objects.requireNonNull(rfc3339, "now").getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** As {@link #now(String)}, for an instant. */
        public Builder now(Instant instant) {
            return now(Objects.requireNonNull(instant, "now").toString());
        }

        /**
         * Report {@code STALE} for ACTIVE records unused for more than {@code days} days; needs
         * {@link #now(String)}.
         *
         * @throws IllegalArgumentException when {@code days} is negative
         */
        public Builder staleDays(long days) {
            if (days < 0) {
                throw new IllegalArgumentException("staleDays: must be 0 or more");
            }
            this.staleDays = days;
            return this;
        }

        /**
         * Makes the lint shard {@code index} of {@code count} independent lints (processes or
         * machines that share nothing), each fed every record in order: it reports only the
         * findings of its share and keeps only its share of the duplicate tables, and the
         * {@code count} shards together report exactly what one lint reports (docs/VAULT.md V3).
         * A finding's shard is that of the record's {@code customer_token} (shard 1 when it is
         * not a string), except {@code DUPLICATE_REFERENCE}, which is that of its
         * {@code customer_token_reference}; the shard of a string is {@code 1 + (the first 8
         * bytes of its SHA-256, big-endian) mod count}.
         *
         * @throws IllegalArgumentException unless {@code 1 <= index <= count}
         */
        public Builder shard(long index, long count) {
            if (index < 1 || index > count) {
                throw new IllegalArgumentException("shard: needs 1 <= index <= count");
            }
            this.shardIndex = index;
            this.shardCount = count;
            return this;
        }

        /**
         * The lint.
         *
         * @throws PolicyException when the policy does not load
         * @throws EngineException with code {@code INVALID_NOW} (not RFC 3339) or
         *                         {@code STALE_DAYS_NEED_NOW}; or when the native library is
         *                         unavailable
         */
        public VaultLint build() {
            MemorySegment[] vault = new MemorySegment[1];
            Native.Reply reply = Native.vaultNew(policy, now, staleDays, vault);
            if (!reply.ok()) {
                throw Errors.of(Errors.Call.ENGINE_NEW, reply.status(), reply.bytes());
            }
            if (vault[0] == null || vault[0].equals(MemorySegment.NULL)) {
                throw new IllegalStateException("ctp_vault_new returned CTP_OK without a lint");
            }
            VaultLint lint = new VaultLint(vault[0], shardIndex, shardCount);
            if (shardCount != 1) {
                Native.Reply shard = Native.vaultSetShard(vault[0], shardIndex, shardCount);
                if (!shard.ok()) {
                    lint.close();
                    throw Errors.of(Errors.Call.ENGINE_NEW, shard.status(), shard.bytes());
                }
            }
            return lint;
        }
    }

    /**
     * Lints the next record and returns its findings, in docs/VAULT.md V1 order (empty when there
     * is none). A record that is not a JSON object is a finding ({@code RECORD_UNREADABLE}), not
     * an exception.
     *
     * @param record one stored record, the bytes as stored
     * @throws IllegalStateException when the lint is closed
     */
    public synchronized List<VaultFinding> feed(byte[] record) {
        Objects.requireNonNull(record, "record");
        MemorySegment vault = handle.acquire();
        Native.Reply reply;
        try {
            reply = Native.vaultFeed(vault, record);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
        if (!reply.ok()) {
            throw Errors.of(Errors.Call.CHECK, reply.status(), reply.bytes());
        }
        fed++;
        return findings(new String(reply.bytes(), StandardCharsets.UTF_8));
    }

    /** As {@link #feed(byte[])}, for the record's JSON text (sent as UTF-8). */
    public List<VaultFinding> feed(String record) {
        return feed(Utf8.encode(Objects.requireNonNull(record, "record")));
    }

    /** Feeds every record in order and returns all their findings. */
    public List<VaultFinding> lint(Iterable<String> records) {
        List<VaultFinding> all = new ArrayList<>();
        for (String record : records) {
            all.addAll(feed(record));
        }
        return List.copyOf(all);
    }

    /** How many records this lint has read. */
    public synchronized long recordsFed() {
        return fed;
    }

    /** The index of this lint's shard (1 for a plain lint). */
    public long shardIndex() {
        return shardIndex;
    }

    /** The number of shards (1 for a plain lint). */
    public long shardCount() {
        return shardCount;
    }

    /** Whether {@link #close()} was called (or the lint was cleaned). */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Releases the lint. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public synchronized String toString() {
        return "VaultLint[" + (isClosed() ? "closed" : fed + " records fed") + "]";
    }

    /** The findings of ctp_vault_feed: JSON Lines of {@code line, code, severity, detail, fingerprint, related_line}. */
    private static List<VaultFinding> findings(String jsonl) {
        if (jsonl.isEmpty()) {
            return List.of();
        }
        List<VaultFinding> out = new ArrayList<>(2);
        try (JsonParser p = Json.parser(jsonl)) {
            for (JsonToken start = p.nextToken(); start != null; start = p.nextToken()) {
                if (start != JsonToken.START_OBJECT) {
                    throw new IllegalArgumentException("a finding that is not an object");
                }
                long line = 0;
                long relatedLine = 0;
                String code = null;
                String severity = null;
                String detail = null;
                String fingerprint = null;
                Json.Members seen = new Json.Members();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (name) {
                        case "line" -> {
                            seen.known(0);
                            line = positive(p, value);
                        }
                        case "related_line" -> {
                            seen.known(1);
                            relatedLine = value == JsonToken.VALUE_NULL ? 0 : positive(p, value);
                        }
                        case "code" -> {
                            seen.known(2);
                            code = Json.stringOrNull(p);
                        }
                        case "severity" -> {
                            seen.known(3);
                            severity = Json.stringOrNull(p);
                        }
                        case "detail" -> {
                            seen.known(4);
                            detail = Json.stringOrNull(p);
                        }
                        case "fingerprint" -> {
                            seen.known(5);
                            fingerprint = Json.stringOrNull(p);
                        }
                        default -> {
                            seen.other(name);
                            p.skipChildren();
                        }
                    }
                }
                if (line == 0 || code == null || severity == null) {
                    throw new IllegalArgumentException("a finding without line, code or severity");
                }
                out.add(new VaultFinding(line, code, severity, detail, fingerprint, relatedLine));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("unexpected vault findings from the library"); // no cause: it may quote them
        }
        return List.copyOf(out);
    }

    private static long positive(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                || p.getLongValue() < 1) {
            throw new IllegalArgumentException("a line that is not a positive integer");
        }
        return p.getLongValue();
    }

    /** The lint's {@link NativeHandle}: frees the native lint. */
    private static final class Handle extends NativeHandle {
        Handle(MemorySegment pointer) {
            super(pointer, "the vault lint is closed");
        }

        @Override
        void free(MemorySegment pointer) {
            Native.vaultFree(pointer);
        }
    }
}
