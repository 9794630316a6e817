package dev.ctpolicy;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A tamper-evident audit trail of every token use (docs/HYGIENE.md H3): a JSON Lines file with one
 * chained entry per check, the same bytes {@code ctpolicy check --audit-log} writes.
 *
 * <pre>{@code
 * try (AuditLog log = AuditLog.open(Path.of("audit.jsonl"))) {
 *     Decision d = log.check(engine, requestJson);   // the entry is appended first
 * }
 * AuditSummary s = AuditLog.verify(Path.of("audit.jsonl"), keptHead);   // or AuditLogException
 * }</pre>
 *
 * <p><b>Threads and processes.</b> One log may be shared by any number of threads (platform
 * or virtual), and other processes may append to the same file: each append holds the file's
 * {@code flock} and an in-process lock, reads the last entry, and writes the new one whole.
 * {@link #close()} never waits: calls already running finish, the native log is released when
 * the last of them returns, and calls that start afterwards throw
 * {@link IllegalStateException}.
 *
 * <p><b>When an entry reaches the disk</b>: it is written to the file before its decision is
 * returned; the file is synced by {@link #close()}, or after every entry when opened with
 * {@code fsyncEachEntry}. A forgotten log is released by a {@link Cleaner} (which also syncs),
 * but close it: the cleaner runs only when the garbage collector gets to it.
 */
public final class AuditLog implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    private AuditLog(MemorySegment pointer) {
        this.handle = new Handle(pointer);
        this.cleanable = CLEANER.register(this, handle);
    }

    /** Opens (or creates) the log at {@code path}; entries are synced at {@link #close()}. */
    public static AuditLog open(Path path) {
        return open(path, false);
    }

    /**
     * Opens (or creates) the log at {@code path}. A missing or empty file is a new log; a log
     * with entries is continued ({@code seq} and {@code prev} follow its last entry).
     *
     * @param fsyncEachEntry sync the file after every entry (slower; survives power loss)
     * @throws AuditLogException    {@code IO_ERROR} when the file cannot be opened, read or
     *                              locked; {@code AUDIT_LOG_INVALID} when its last line is torn or
     *                              does not verify (nothing is appended to such a log;
     *                              {@code line()} names it, and {@link #repair(Path)} cuts a torn
     *                              one), or the path is not a regular file (code
     *                              {@code NOT_A_REGULAR_FILE})
     * @throws NullPointerException when {@code path} is null
     */
    public static AuditLog open(Path path, boolean fsyncEachEntry) {
        byte[] bytes = pathBytes(path);
        MemorySegment[] log = new MemorySegment[1];
        Native.Reply reply = Native.auditOpen(bytes, fsyncEachEntry ? Native.CTP_AUDIT_FSYNC : 0, log);
        if (!reply.ok()) {
            throw fault(reply);
        }
        return new AuditLog(log[0]);
    }

    /**
     * Checks a request and records it: the entry is appended <b>before</b> the decision is
     * returned. A DENY is a decision; an envelope fault throws the same exception as
     * {@link Engine#check(String)}, after its {@code ERROR} entry was appended.
     *
     * @throws InvalidRequestException an envelope fault (recorded as an ERROR entry): treat as DENY
     * @throws AuditLogException       the entry could not be appended, so no decision is given:
     *                                 treat as DENY. Code {@code LOG_REPLACED}: the path was
     *                                 deleted, renamed away or names another file (log rotation
     *                                 by rename: close this log, open the path again and check
     *                                 again); {@code LOG_TRUNCATED}: the file is shorter than this
     *                                 log left it
     * @throws IllegalStateException   when this log or the engine is closed
     */
    public Decision check(Engine engine, String requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        return check(engine, Utf8.encode(requestJson));
    }

    /** As {@link #check(Engine, String)}, from the exact bytes of the request. */
    public Decision check(Engine engine, byte[] requestJson) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(requestJson, "requestJson");
        MemorySegment log = handle.acquire();
        try {
            Native.Reply reply = engine.withPointer(e -> Native.auditCheck(e, log, requestJson));
            return DecisionReader.read(Errors.okText(Errors.Call.AUDIT, reply));
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /** Verifies the log at {@code path}; see {@link #verify(Path, String)}. */
    public static AuditSummary verify(Path path) {
        return verify(path, null);
    }

    /**
     * Verifies the log at {@code path} in one streaming pass: every entry's JSON, {@code seq}
     * and {@code prev}, and, when {@code expectHead} is given, that the log ends in that head.
     *
     * @param expectHead null, or the head kept from an earlier verify ({@code sha256:} and 64
     *                   lowercase hex digits): finds entries cut off the end
     * @return the summary, with the head to keep
     * @throws AuditLogException        naming the first bad entry ({@code line()}, {@code seq()},
     *                                  {@code code()}); {@code AUDIT_HEAD_MISMATCH}; {@code IO_ERROR}
     * @throws IllegalArgumentException when {@code expectHead} is not a fingerprint
     */
    public static AuditSummary verify(Path path, String expectHead) {
        byte[] bytes = pathBytes(path);
        byte[] head = expectHead == null ? null : Utf8.encode(expectHead);
        Native.Reply reply = Native.auditVerify(bytes, head);
        if (!reply.ok()) {
            throw fault(reply);
        }
        return AuditSummary.from(Errors.text(reply.bytes()));
    }

    /**
     * Cuts the torn tail a write cut short left in the log at {@code path} (the bytes after its
     * last line feed), under the log's lock, when every entry before it verifies, and syncs the
     * file: the command line's {@code ctpolicy audit repair}. Nothing that verifies is cut; no
     * decision was given for a torn tail.
     *
     * @return what was cut ({@link AuditRepair#repaired()} false when the log verified as it was)
     * @throws AuditLogException {@code AUDIT_LOG_INVALID} when a whole entry fails (not a torn
     *                           write: nothing is cut) or the path is not a regular file;
     *                           {@code IO_ERROR} when it cannot be read, locked or cut
     *                           (an append-only file)
     */
    public static AuditRepair repair(Path path) {
        Native.Reply reply = Native.auditRepair(pathBytes(path));
        if (!reply.ok()) {
            throw fault(reply);
        }
        return AuditRepair.from(Errors.text(reply.bytes()));
    }

    /**
     * The entry line (without its line feed) a log would hold for this request as entry
     * {@code seq} after a line whose fingerprint is {@code prev}, with the writer's clock
     * {@code at} (null for the system clock); writes nothing. For proving byte identity.
     */
    static String entryJson(Engine engine, String requestJson, long seq, String prev, String at) {
        byte[] request = Utf8.encode(requestJson);
        byte[] p = prev.getBytes(StandardCharsets.UTF_8);
        byte[] a = at == null ? null : at.getBytes(StandardCharsets.UTF_8);
        Native.Reply reply = engine.withPointer(e -> Native.auditEntry(e, request, seq, p, a));
        if (!reply.ok()) {
            throw fault(reply);
        }
        return Errors.text(reply.bytes());
    }

    /** Whether {@link #close()} was called (or the log was cleaned). */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /**
     * Syncs the file and releases the log. Idempotent; never blocks: with calls still running,
     * the last of them syncs and releases it.
     *
     * @throws AuditLogException {@code IO_ERROR} when the sync failed (entries since the last
     *                           sync may not be on the disk)
     */
    @Override
    public void close() {
        cleanable.clean();
        String error = handle.closeError;
        if (error != null) {
            handle.closeError = null;
            throw Errors.of(Errors.Call.AUDIT, Statuses.CTP_IO_ERROR,
                    error.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public String toString() {
        return "AuditLog[" + (isClosed() ? "closed" : "open") + "]";
    }

    /** The path as the OS takes it; an empty path is the caller's mistake. */
    private static byte[] pathBytes(Path path) {
        Objects.requireNonNull(path, "path");
        String s = path.toString();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("path: must not be empty");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A refused argument is the caller's (IllegalArgumentException); the rest as the library says. */
    private static RuntimeException fault(Native.Reply reply) {
        if (reply.status() == Statuses.CTP_INVALID_ARGUMENT) {
            String json = Errors.text(reply.bytes());
            String message = "argument refused by the library";
            if (json != null && Json.parse(json) instanceof java.util.Map<?, ?> root
                    && root.get("error") instanceof java.util.Map<?, ?> e && e.get("message") instanceof String m) {
                message = m; // the core's message: it names the argument and never quotes a token
            }
            return new IllegalArgumentException(message);
        }
        return Errors.of(Errors.Call.AUDIT, reply.status(), reply.bytes());
    }

    /** The log's {@link NativeHandle}: closing the native log syncs it, and keeps a failure for close(). */
    private static final class Handle extends NativeHandle {
        /** The error object of a failed sync at close, for close() to throw. */
        volatile String closeError;

        Handle(MemorySegment pointer) {
            super(pointer, "the audit log is closed");
        }

        @Override
        void free(MemorySegment pointer) {
            Native.Reply reply = Native.auditClose(pointer);
            if (!reply.ok()) {
                closeError = Errors.text(reply.bytes());
            }
        }
    }
}
