package dev.ctpolicy.http;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The client {@link ChargeGuard#wrap} returns: every method delegates to the wrapped client;
 * {@code send} and {@code sendAsync} guard the requests the guard matches.
 */
final class GuardedHttpClient extends HttpClient {
    private static final Runnable NO_TURN = () -> {
    };

    private final ChargeGuard guard;
    private final HttpClient inner;

    GuardedHttpClient(ChargeGuard guard, HttpClient inner) {
        this.guard = guard;
        this.inner = inner;
    }

    // ---------------------------------------------------------------- guarded

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        if (!guard.matches(request)) {
            return inner.send(request, handler);
        }
        byte[] body = BodyBytes.readNow(request);
        ChargeGuard.Prepared p = guard.prepare(request, body);
        Runnable release = turnNow(p.token());
        try {
            ChargeGuard.Checked c = guard.check(p);
            HttpRequest sent = toSend(request, body);
            BodyBytes.Capture capture = new BodyBytes.Capture();
            HttpResponse<Void> raw;
            try {
                raw = inner.send(sent, capture);
            } catch (IOException e) {
                if (ChargeGuard.maybeSent(e)) {
                    guard.lost(c);
                }
                HttpResponse.ResponseInfo info = capture.info;
                if (info != null) {
                    // The answer started but its body could not be read: the caller's handler
                    // gets what was read, then the same error.
                    try {
                        T partial = BodyBytes.replay(info, capture.bytes(), e, handler).toCompletableFuture().get();
                        return new GuardedResponse<>(info, sent, partial);
                    } catch (ExecutionException | RuntimeException handlerFailed) {
                        throw e;
                    }
                }
                throw e;
            } catch (InterruptedException e) {
                guard.lost(c);
                throw e;
            }
            byte[] received = capture.bytes();
            guard.answered(c, raw.statusCode(), raw.headers(), received);
            try {
                return new GuardedResponse<>(raw, BodyBytes.replay(info(raw), received, null, handler)
                        .toCompletableFuture().get());
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            }
        } finally {
            release.run();
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        if (!guard.matches(request)) {
            return inner.sendAsync(request, handler);
        }
        return BodyBytes.read(request).thenCompose(body -> {
            ChargeGuard.Prepared p = guard.prepare(request, body);
            CompletableFuture<Runnable> turn = p.token() == null ? CompletableFuture.completedFuture(NO_TURN)
                    : guard.locks.acquire(p.token());
            return turn.thenCompose(release -> {
                CompletableFuture<HttpResponse<T>> result;
                try {
                    result = exchange(p, body, handler);
                } catch (Throwable t) {
                    result = CompletableFuture.failedFuture(t);
                }
                return result.whenComplete((r, e) -> release.run());
            });
        });
    }

    /** Push promises are not taken for guarded requests (Klarna's API does not push). */
    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        if (!guard.matches(request)) {
            return inner.sendAsync(request, handler, pushPromiseHandler);
        }
        return sendAsync(request, handler);
    }

    private <T> CompletableFuture<HttpResponse<T>> exchange(ChargeGuard.Prepared p, byte[] body,
            HttpResponse.BodyHandler<T> handler) throws PreflightDeniedException {
        ChargeGuard.Checked c = guard.check(p);
        HttpRequest sent = toSend(p.original(), body);
        BodyBytes.Capture capture = new BodyBytes.Capture();
        return inner.sendAsync(sent, capture).handle((raw, err) -> {
            if (err == null) {
                byte[] received = capture.bytes();
                guard.answered(c, raw.statusCode(), raw.headers(), received);
                return BodyBytes.replay(info(raw), received, null, handler).toCompletableFuture()
                        .thenApply(b -> (HttpResponse<T>) new GuardedResponse<>(raw, b));
            }
            Throwable cause = unwrap(err);
            if (ChargeGuard.maybeSent(cause)) {
                guard.lost(c);
            }
            HttpResponse.ResponseInfo info = capture.info;
            if (info != null) {
                return BodyBytes.replay(info, capture.bytes(), cause, handler).toCompletableFuture()
                        .handle((b, e) -> {
                            if (e != null) {
                                throw new CompletionException(cause);
                            }
                            return (HttpResponse<T>) new GuardedResponse<>(info, sent, b);
                        });
            }
            return CompletableFuture.<HttpResponse<T>>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    /**
     * The class of the requests {@code HttpRequest.Builder} builds: immutable, so what was
     * checked (headers, URI, method) is what is sent.
     */
    private static final Class<?> BUILT_REQUEST = HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1/"))
            .build().getClass();

    /**
     * The class of {@code BodyPublishers.ofString}'s publishers when no publisher over bytes
     * the caller still holds shares it, else null. Such a publisher encodes its immutable
     * string once, when built, into bytes no one else holds: every subscription publishes the
     * bytes the guard read. {@code ofByteArray}'s publisher wraps the caller's array, which
     * could change between the check and the send, so its requests are copied.
     */
    private static final Class<?> FIXED_BYTES = fixedBytesPublisher();

    private static Class<?> fixedBytesPublisher() {
        Class<?> ofString = HttpRequest.BodyPublishers.ofString("").getClass();
        List<HttpRequest.BodyPublisher> callerHeld = List.of(HttpRequest.BodyPublishers.ofByteArray(new byte[1]),
                HttpRequest.BodyPublishers.ofByteArray(new byte[1], 0, 1),
                HttpRequest.BodyPublishers.ofByteArrays(List.of()),
                HttpRequest.BodyPublishers.ofInputStream(() -> java.io.InputStream.nullInputStream()),
                HttpRequest.BodyPublishers.fromPublisher(subscriber -> {
                }), HttpRequest.BodyPublishers.noBody());
        for (HttpRequest.BodyPublisher other : callerHeld) {
            if (other.getClass() == ofString) {
                return null;
            }
        }
        return ofString;
    }

    /**
     * The request to send: {@code original} itself when it was built by the JDK's builder
     * with a {@code BodyPublishers.ofString} body, which cannot send other bytes than the
     * guard read (the copy is the costliest step before sending after the check itself);
     * else a copy carrying {@code body}.
     */
    static HttpRequest toSend(HttpRequest original, byte[] body) {
        if (original.getClass() == BUILT_REQUEST && FIXED_BYTES != null
                && original.bodyPublisher().map(Object::getClass).orElse(null) == FIXED_BYTES) {
            return original;
        }
        return copyOf(original, body);
    }

    /** A copy of {@code original} (URI, headers, timeout, version, expect-continue) carrying {@code body}. */
    private static HttpRequest copyOf(HttpRequest original, byte[] body) {
        return HttpRequest.newBuilder(original, (name, value) -> true)
                .method(original.method(), HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private Runnable turnNow(String token) throws InterruptedException {
        if (token == null) {
            return NO_TURN;
        }
        CompletableFuture<Runnable> turn = guard.locks.acquire(token);
        try {
            return turn.get();
        } catch (InterruptedException e) {
            turn.thenAccept(Runnable::run); // the turn still comes: give it back then
            throw e;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a token turn failed", e.getCause());
        }
    }

    private static HttpResponse.ResponseInfo info(HttpResponse<?> raw) {
        int status = raw.statusCode();
        HttpHeaders headers = raw.headers();
        HttpClient.Version version = raw.version();
        return new HttpResponse.ResponseInfo() {
            @Override
            public int statusCode() {
                return status;
            }

            @Override
            public HttpHeaders headers() {
                return headers;
            }

            @Override
            public HttpClient.Version version() {
                return version;
            }
        };
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static IOException rethrow(Throwable cause) throws IOException {
        cause = unwrap(cause);
        if (cause instanceof IOException io) {
            throw io;
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        throw new IOException("the response body handler failed", cause);
    }

    // ---------------------------------------------------------------- delegated

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return inner.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return inner.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return inner.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return inner.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return inner.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return inner.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return inner.authenticator();
    }

    @Override
    public Version version() {
        return inner.version();
    }

    @Override
    public Optional<Executor> executor() {
        return inner.executor();
    }

    @Override
    public WebSocket.Builder newWebSocketBuilder() {
        return inner.newWebSocketBuilder();
    }

    @Override
    public void shutdown() {
        inner.shutdown();
    }

    @Override
    public boolean awaitTermination(Duration duration) throws InterruptedException {
        return inner.awaitTermination(duration);
    }

    @Override
    public boolean isTerminated() {
        return inner.isTerminated();
    }

    @Override
    public void shutdownNow() {
        inner.shutdownNow();
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return "GuardedHttpClient[" + inner + "]";
    }
}
