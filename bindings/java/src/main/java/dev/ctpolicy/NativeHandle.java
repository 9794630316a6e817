package dev.ctpolicy;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A native pointer and a count of calls in flight: the handle of {@link Engine} and of
 * {@link AuditLog}. It is also their cleaning action, and kept apart from them so the cleaner's
 * action does not hold its owner reachable.
 *
 * <p>{@code state} packs a CLOSED bit and the number of calls in flight. The pointer is
 * freed exactly once: by close when nothing is in flight, else by the last call to
 * release, which sees the count fall to zero with CLOSED set.
 */
abstract class NativeHandle implements Runnable {
    private static final long CLOSED = 1L << 62;

    private final MemorySegment pointer;
    private final AtomicLong state = new AtomicLong();
    /** The message of the IllegalStateException thrown by acquire once closed. */
    private final String closedMessage;

    NativeHandle(MemorySegment pointer, String closedMessage) {
        this.pointer = pointer;
        this.closedMessage = closedMessage;
    }

    /** The pointer, counted as in flight until {@link #release()}; throws once closed. */
    final MemorySegment acquire() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                throw new IllegalStateException(closedMessage);
            }
            if (state.compareAndSet(s, s + 1)) {
                return pointer;
            }
        }
    }

    final void release() {
        if (state.decrementAndGet() == CLOSED) {
            free(pointer);
        }
    }

    final boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** The cleaning action: called once, by close() or by the cleaner. */
    @Override
    public final void run() {
        long before = state.getAndUpdate(s -> s | CLOSED);
        if (before == 0) {
            free(pointer);
        }
    }

    /** Frees the native object; called exactly once, by whichever of run and release is last. */
    abstract void free(MemorySegment pointer);
}
