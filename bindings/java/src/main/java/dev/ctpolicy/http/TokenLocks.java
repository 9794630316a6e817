package dev.ctpolicy.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One turn at a time per token, for threads and for futures alike: a queue of futures per key
 * (no thread owns a turn, so {@code sendAsync} can release it from whichever thread completes
 * the exchange). A key's entry is removed when its last turn is released.
 */
final class TokenLocks {
    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    /** Completes with the release action once every earlier turn for {@code key} is released. */
    CompletableFuture<Runnable> acquire(String key) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        // One atomic step: this turn becomes the tail, and the turn before it (if any) is
        // the one to wait for.
        CompletableFuture<Void> previous = tails.put(key, mine);
        Runnable release = () -> {
            tails.remove(key, mine);
            mine.complete(null);
        };
        if (previous == null) {
            return CompletableFuture.completedFuture(release);
        }
        return previous.handle((v, e) -> release);
    }

    /** Keys with a turn held or waiting (for tests). */
    int size() {
        return tails.size();
    }
}
