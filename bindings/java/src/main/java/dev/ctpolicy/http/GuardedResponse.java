package dev.ctpolicy.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/** Klarna's response as the client received it, with the body the caller's handler made of it. */
final class GuardedResponse<T> implements HttpResponse<T> {
    private final int status;
    private final HttpHeaders headers;
    private final HttpClient.Version version;
    private final HttpRequest request;
    private final URI uri;
    private final Optional<SSLSession> ssl;
    private final T body;

    GuardedResponse(HttpResponse<?> raw, T body) {
        this.status = raw.statusCode();
        this.headers = raw.headers();
        this.version = raw.version();
        this.request = raw.request();
        this.uri = raw.uri();
        this.ssl = raw.sslSession();
        this.body = body;
    }

    GuardedResponse(HttpResponse.ResponseInfo info, HttpRequest request, T body) {
        this.status = info.statusCode();
        this.headers = info.headers();
        this.version = info.version();
        this.request = request;
        this.uri = request.uri();
        this.ssl = Optional.empty();
        this.body = body;
    }

    @Override
    public int statusCode() {
        return status;
    }

    @Override
    public HttpRequest request() {
        return request;
    }

    /** None: a guarded client follows no redirect. */
    @Override
    public Optional<HttpResponse<T>> previousResponse() {
        return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
        return headers;
    }

    @Override
    public T body() {
        return body;
    }

    @Override
    public Optional<SSLSession> sslSession() {
        return ssl;
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public HttpClient.Version version() {
        return version;
    }

    @Override
    public String toString() {
        return "(" + request.method() + " " + uri + ") " + status;
    }
}
