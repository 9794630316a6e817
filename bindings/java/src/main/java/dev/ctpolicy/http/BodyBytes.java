package dev.ctpolicy.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/** Reading a request body once, and feeding buffered bytes to a caller's body handler. */
final class BodyBytes {
    private BodyBytes() {
    }

    /** Subscribes to the request's body publisher once and collects every byte it publishes. */
    static CompletableFuture<byte[]> read(HttpRequest request) {
        HttpRequest.BodyPublisher publisher = request.bodyPublisher().orElse(null);
        if (publisher == null) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        Collector collector = new Collector(publisher.contentLength());
        publisher.subscribe(collector);
        return collector.result;
    }

    /** {@link #read} for a blocking caller: the bytes, or the publisher's failure as an IOException. */
    static byte[] readNow(HttpRequest request) throws IOException, InterruptedException {
        try {
            return read(request).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("the request body could not be read", cause);
        }
    }

    /**
     * A Flow.Subscriber that collects ByteBuffers straight into one array, sized by the
     * publisher's content length when it gives one (a publisher that then publishes more or
     * fewer bytes is still read exactly: the array grows, or is cut to what came).
     */
    static final class Collector implements Flow.Subscriber<ByteBuffer> {
        /** The largest content length taken as the array's first size; a longer body grows into it. */
        private static final long PRESIZE_LIMIT = 1 << 20;
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private byte[] bytes;
        private int size;

        Collector(long contentLength) {
            bytes = new byte[contentLength >= 0 && contentLength <= PRESIZE_LIMIT ? (int) contentLength : 256];
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(ByteBuffer item) {
            int n = item.remaining();
            if ((long) size + n > bytes.length) {
                long needed = (long) size + n;
                if (needed > Integer.MAX_VALUE - 8) {
                    throw new OutOfMemoryError("a request body larger than an array can hold");
                }
                bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * bytes.length)));
            }
            item.get(bytes, size, n);
            size += n;
        }

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(throwable);
        }

        @Override
        public synchronized void onComplete() {
            result.complete(size == bytes.length ? bytes : Arrays.copyOf(bytes, size));
        }
    }

    /**
     * Feeds {@code bytes} (then {@code failure}, when not null) to the subscriber the caller's
     * handler gives for {@code info}, as the client would have: the body as received.
     */
    static <T> CompletionStage<T> replay(HttpResponse.ResponseInfo info, byte[] bytes, Throwable failure,
            HttpResponse.BodyHandler<T> handler) {
        HttpResponse.BodySubscriber<T> subscriber = handler.apply(info);
        AtomicBoolean delivered = new AtomicBoolean();
        subscriber.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (n <= 0 || !delivered.compareAndSet(false, true)) {
                    return;
                }
                if (bytes.length > 0) {
                    subscriber.onNext(List.of(ByteBuffer.wrap(bytes).asReadOnlyBuffer()));
                }
                if (failure != null) {
                    subscriber.onError(failure);
                } else {
                    subscriber.onComplete();
                }
            }

            @Override
            public void cancel() {
                delivered.set(true);
            }
        });
        return subscriber.getBody();
    }

    /**
     * The internal handler: collects the body as received (through the client's own
     * byte-array consumer, which the client feeds inline, without a hand-off to its executor)
     * and remembers the response info and what was read, so that a failure while reading can
     * be replayed to the caller.
     */
    static final class Capture implements HttpResponse.BodyHandler<Void> {
        volatile HttpResponse.ResponseInfo info;
        /** The only chunk so far (the client hands each chunk over as a fresh array of its own), or null. */
        private byte[] only;
        /** Every chunk so far once there is more than one. */
        private ByteArrayOutputStream chunks;

        @Override
        public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo responseInfo) {
            info = responseInfo;
            return HttpResponse.BodySubscribers.ofByteArrayConsumer(chunk -> chunk.ifPresent(this::append));
        }

        private synchronized void append(byte[] chunk) {
            if (chunks == null && only == null) {
                only = chunk; // a small answer comes in one chunk: kept as it is, no copy
                return;
            }
            if (chunks == null) {
                chunks = new ByteArrayOutputStream(only.length + chunk.length);
                chunks.writeBytes(only);
                only = null;
            }
            chunks.writeBytes(chunk);
        }

        /**
         * Every byte read so far (all of them once the exchange completed). The array may be the
         * client's chunk itself: no one writes to it (the caller's handler gets it read-only).
         */
        synchronized byte[] bytes() {
            return chunks != null ? chunks.toByteArray() : only != null ? only : new byte[0];
        }
    }
}
