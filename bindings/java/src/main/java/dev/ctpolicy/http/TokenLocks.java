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
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] previous = new CompletableFuture[1];
        tails.compute(key, (k, old) -> {
            previous[0] = old;
            return mine;
        });
        Runnable release = () -> {
            tails.remove(key, mine);
            mine.complete(null);
        };
        if (previous[0] == null) {
            return CompletableFuture.completedFuture(release);
        }
        return previous[0].handle((v, e) -> release);
    }

    /** Keys with a turn held or waiting (for tests). */
    int size() {
        return tails.size();
    }
}
