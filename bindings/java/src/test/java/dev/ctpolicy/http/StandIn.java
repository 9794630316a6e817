package dev.ctpolicy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;

/**
 * A stand-in for Klarna on the loopback interface (com.sun.net.httpserver), answering from a
 * script. It counts and keeps every request it receives, and, when given an audit log, how
 * many entries that log held when each request arrived.
 */
final class StandIn implements AutoCloseable {

    /** One scripted answer; {@code drop} closes the connection without answering. */
    record Answer(int status, byte[] body, Map<String, String> headers, boolean drop, long delayMillis) {
        static Answer json(int status, String body) {
            return new Answer(status, body.getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/json"),
                    false, 0);
        }

        Answer delayed(long millis) {
            return new Answer(status, body, headers, drop, millis);
        }
    }

    /** A request as it arrived. */
    record Received(String method, String path, Map<String, List<String>> headers, byte[] body, long auditEntries,
            int inFlight) {
        String header(String name) {
            for (var e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    static final String APPROVED = "{\"payment_transaction_response\":{\"result\":\"APPROVED\","
            + "\"payment_transaction\":{\"payment_transaction_id\":\"krn:payment:eu1:transaction:6dfc8bd9\","
            + "\"amount\":1299,\"currency\":\"EUR\"}}}";
    static final String DECLINED = "{\"payment_transaction_response\":{\"result\":\"DECLINED\"}}";
    static final String STEP_UP = "{\"payment_transaction_response\":{\"result\":\"STEP_UP_REQUIRED\"},"
            + "\"payment_request\":{\"payment_request_id\":\"krn:payment:eu1:payment-request:1\","
            + "\"state_context\":{\"customer_interaction\":{\"method\":\"HANDOVER\"}}}}";

    static String tokenized(String newToken) {
        return "{\"customer_token_response\":{\"result\":\"APPROVED\",\"customer_token\":{\"customer_token\":\""
                + newToken + "\",\"scopes\":[\"payment:customer_not_present\"],\"customer_token_reference\":\"sub-42\"}}}";
    }

    static String tokenizedAndPaid(String newToken) {
        return "{\"customer_token_response\":{\"result\":\"APPROVED\",\"customer_token\":{\"customer_token\":\""
                + newToken + "\",\"scopes\":[\"payment:customer_not_present\"],\"customer_token_reference\":\"sub-42\"}},"
                + "\"payment_transaction_response\":{\"result\":\"APPROVED\"}}";
    }

    static Answer gzip(String json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Answer(200, out.toByteArray(), Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"),
                false, 0);
    }

    static final Answer DROP = new Answer(0, new byte[0], Map.of(), true, 0);

    /** A 200 whose body stops after these bytes: the connection is lost mid-body. */
    static Answer cutOff(String partialBody) {
        return new Answer(200, partialBody.getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/json"),
                true, 0);
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(16);
    final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Answer> script = new ConcurrentLinkedQueue<>();
    volatile Function<Received, Answer> otherwise = r -> Answer.json(200, APPROVED);
    volatile Path auditLog;
    private final AtomicInteger inFlight = new AtomicInteger();
    final Map<String, AtomicInteger> inFlightByToken = new ConcurrentHashMap<>();
    final AtomicInteger maxInFlightOneToken = new AtomicInteger();

    StandIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(pool);
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    int count() {
        return received.size();
    }

    private void handle(HttpExchange exchange) throws IOException {
        long entries = -1;
        Path log = auditLog;
        if (log != null && Files.exists(log)) {
            entries = Files.readAllLines(log).size();
        }
        String token = exchange.getRequestHeaders().getFirst("Klarna-Customer-Token");
        AtomicInteger perToken = token == null ? null : inFlightByToken.computeIfAbsent(token, t -> new AtomicInteger());
        int now = inFlight.incrementAndGet();
        if (perToken != null) {
            maxInFlightOneToken.accumulateAndGet(perToken.incrementAndGet(), Math::max);
        }
        // "In flight" ends just before the answer is written: the client cannot have it earlier.
        boolean[] counted = {true};
        Runnable answered = () -> {
            if (counted[0]) {
                counted[0] = false;
                if (perToken != null) {
                    perToken.decrementAndGet();
                }
                inFlight.decrementAndGet();
            }
        };
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Received r = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    Map.copyOf(exchange.getRequestHeaders()), body, entries, now);
            received.add(r);
            Answer a = script.poll();
            if (a == null) {
                a = otherwise.apply(r);
            }
            if (a.delayMillis() > 0) {
                Thread.sleep(a.delayMillis());
            }
            answered.run();
            if (a.drop() && a.status() > 0) {
                // Headers and part of the body, then the connection is lost.
                a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
                exchange.sendResponseHeaders(a.status(), a.body().length + 100L);
                OutputStream out = exchange.getResponseBody();
                out.write(a.body());
                out.flush();
                throw new IOException("cut off on purpose");
            }
            if (a.drop()) {
                // Close the connection without a status line: the client sees the connection lost.
                throw new IOException("dropped on purpose");
            }
            a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(a.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answered.run();
            exchange.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
