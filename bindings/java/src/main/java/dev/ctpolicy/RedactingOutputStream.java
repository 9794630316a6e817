package dev.ctpolicy;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.Objects;

/**
 * An {@link OutputStream} that redacts every customer token written through it before the
 * bytes reach the wrapped stream (docs/HYGIENE.md H2), for any logging framework's appender or
 * handler: {@code new StreamHandler(new RedactingOutputStream(out), formatter)}, a Logback
 * {@code OutputStreamAppender}, a Log4j {@code OutputStreamAppender}, ...
 *
 * <p>The output is the same however the bytes are cut into writes: a token split across
 * two writes is still replaced whole. For that the stream <b>holds back</b> the bytes of one
 * unfinished candidate (text from a {@code krn:} that could still grow into a token; at most
 * 1 MiB and 2 bytes), in native memory that is wiped when it leaves.
 *
 * <p><b>{@link #flush()}</b> flushes everything already decided to the wrapped stream and
 * flushes it, but <b>keeps the held-back candidate</b>: sending it would break the promise
 * above. A log line that ends in a line feed leaves nothing held back (a candidate ends at
 * the first byte that cannot be in a token), so line-oriented appenders see every line at
 * once. <b>{@link #close()}</b> writes the held-back tail, redacted, then closes the wrapped
 * stream; {@link #finish()} does the first half alone and ends the stream of text for good:
 * writes after it fail, so the two halves of a token cut by the end can never meet again as
 * one unredacted text (make a new stream for new text).
 *
 * <p>Thread-safe: each method holds this stream's lock. A stream that is never closed is
 * freed by a {@link Cleaner} (its held-back bytes are then lost, wiped): close it.
 */
public final class RedactingOutputStream extends FilterOutputStream {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private boolean closed;
    private boolean finished;

    /**
     * @param out the stream that receives the redacted bytes
     * @throws NullPointerException when {@code out} is null
     */
    public RedactingOutputStream(OutputStream out) {
        super(Objects.requireNonNull(out, "out"));
        MemorySegment pointer = Native.redactorNew();
        if (pointer.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("ctp_redactor_new failed");
        }
        this.handle = new Handle(pointer);
        this.cleanable = CLEANER.register(this, handle);
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (finished) {
            throw new IOException("the RedactingOutputStream has finished its stream of text");
        }
        if (len == 0) {
            return;
        }
        try {
            emit(Native.redactorWrite(handle.pointer, b, off, len), "ctp_redactor_write");
        } finally {
            Reference.reachabilityFence(this); // the cleaner must not free the redactor mid-call
        }
    }

    /** Flushes what is decided; a held-back candidate stays held (see the class comment). */
    @Override
    public synchronized void flush() throws IOException {
        ensureOpen();
        out.flush();
    }

    /**
     * Ends the stream of text for good without closing the wrapped stream: writes the held-back
     * tail, redacted, and flushes the wrapped stream. Later writes throw {@link IOException}:
     * were they taken as a new stream, a token cut by this end would come out as two plain
     * halves that join into the whole token. A second {@code finish} does nothing more.
     */
    public synchronized void finish() throws IOException {
        ensureOpen();
        if (finished) {
            out.flush();
            return;
        }
        finished = true;
        try {
            emit(Native.redactorFinish(handle.pointer), "ctp_redactor_finish");
        } finally {
            Reference.reachabilityFence(this);
        }
        out.flush();
    }

    /** Writes the held-back tail, redacted, then closes the wrapped stream. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!finished) {
                finished = true;
                emit(Native.redactorFinish(handle.pointer), "ctp_redactor_finish");
            }
            out.flush();
        } finally {
            cleanable.clean();
            out.close();
        }
    }

    private void emit(Native.Reply reply, String call) throws IOException {
        byte[] bytes = reply.bytes();
        try {
            if (!reply.ok()) {
                throw new IllegalStateException(call + " failed with status " + reply.status());
            }
            if (bytes.length > 0) {
                out.write(bytes, 0, bytes.length);
            }
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("the RedactingOutputStream is closed");
        }
    }

    @Override
    public String toString() {
        return "RedactingOutputStream[" + (closed ? "closed" : finished ? "finished" : "open") + "]";
    }

    /** The native redactor, apart from the stream so the cleaner does not keep it reachable. */
    private static final class Handle implements Runnable {
        final MemorySegment pointer;

        Handle(MemorySegment pointer) {
            this.pointer = pointer;
        }

        @Override
        public void run() {
            Native.redactorFree(pointer);
        }
    }
}
