package dev.ctpolicy.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
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
        Collector collector = new Collector();
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

    /** A Flow.Subscriber that collects ByteBuffers. */
    static final class Collector implements Flow.Subscriber<ByteBuffer> {
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(ByteBuffer item) {
            byte[] chunk = new byte[item.remaining()];
            item.get(chunk);
            out.writeBytes(chunk);
        }

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(throwable);
        }

        @Override
        public synchronized void onComplete() {
            result.complete(out.toByteArray());
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
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo responseInfo) {
            info = responseInfo;
            return HttpResponse.BodySubscribers.ofByteArrayConsumer(chunk -> chunk.ifPresent(this::append));
        }

        private synchronized void append(byte[] chunk) {
            out.writeBytes(chunk);
        }

        /** Every byte read so far (all of them once the exchange completed). */
        synchronized byte[] bytes() {
            return out.toByteArray();
        }
    }
}
