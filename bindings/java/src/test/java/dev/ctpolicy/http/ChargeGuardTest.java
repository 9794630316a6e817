package dev.ctpolicy.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ctpolicy.AuditLog;
import dev.ctpolicy.Engine;
import dev.ctpolicy.InvalidRequestException;
import dev.ctpolicy.RecordNotStoredException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The charge guard against a stand-in for Klarna on 127.0.0.1, through {@code send} and
 * {@code sendAsync} alike (each test runs with {@code async} false and true).
 */
class ChargeGuardTest {
    static final String TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";
    static final String NEW_TOKEN = "krn:customer-token:eu1:0f8fad5b-d9cb-469f-a165-70867728950e";
    static final String SECRET_ID = "a1b2c3d4";
    static final String RECORD = "{\"customer_token\":\"" + TOKEN + "\",\"scopes\":[\"payment:customer_not_present\"],"
            + "\"state\":\"ACTIVE\",\"created_at\":\"2026-01-10T09:00:00Z\"}";
    /** A renewal body, written with odd spacing on purpose: the server must see exactly these bytes. */
    static final String RENEWAL = "{ \"currency\" : \"EUR\",\n  \"request_payment_transaction\": {\"amount\": 1299,"
            + " \"payment_transaction_reference\": \"renewal-2026-11\"},  \"purchase_country\":\"SE\" }";
    static final String TOKENIZE = "{\"currency\":\"EUR\",\"request_customer_token\":{\"scopes\":"
            + "[\"payment:customer_not_present\"],\"customer_token_reference\":\"sub-42\"},"
            + "\"step_up_config\":{\"payment_request_reference\":\"pr-1\",\"customer_interaction_config\":"
            + "{\"method\":\"HANDOVER\",\"return_url\":\"https://shop.example/return\"}},"
            + "\"supplementary_purchase_data\":{\"subscriptions\":[{\"subscription_reference\":\"sub-42\"}]}}";
    static final String PAY_AND_TOKENIZE = TOKENIZE.replace("{\"currency\":\"EUR\",",
            "{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":990},");
    static final ObjectMapper JSON = new ObjectMapper();

    /** A clock the test moves; every read is one second after the last, so attempts never share an instant. */
    static final class TestClock extends Clock {
        final AtomicLong millis = new AtomicLong(Instant.parse("2026-11-30T12:00:00Z").toEpochMilli());

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.addAndGet(1000));
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }
    }

    /** An in-memory token store that counts its puts. */
    static class Store implements TokenRecords {
        final Map<String, String> map = new ConcurrentHashMap<>();
        final AtomicInteger puts = new AtomicInteger();

        @Override
        public Optional<String> get(String token) {
            return Optional.ofNullable(map.get(token));
        }

        @Override
        public void put(String token, String recordJson) {
            puts.incrementAndGet();
            map.put(token, recordJson);
        }
    }

    StandIn klarna;
    Engine engine;
    Store store;
    TestClock clock;
    List<Throwable> errors;
    HttpClient plain;

    @BeforeEach
    void start() throws IOException {
        klarna = new StandIn();
        engine = Engine.create("{\"max_attempts\":{\"per_24h\":3}}");
        store = new Store();
        store.map.put(TOKEN, RECORD);
        clock = new TestClock();
        errors = new CopyOnWriteArrayList<>();
        plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    @AfterEach
    void stop() {
        klarna.close();
        engine.close();
        plain.close();
    }

    ChargeGuard.Builder guard() {
        return ChargeGuard.builder().engine(engine).records(store).customerPresent(false).clock(clock)
                .onError(errors::add);
    }

    HttpClient client() {
        return guard().build().wrap(plain);
    }

    HttpRequest renewal(String body) {
        return HttpRequest.newBuilder(klarna.uri("/v2/accounts/acc-1/payment/authorize"))
                .header("Authorization", "Basic dGVzdDp0ZXN0").header("Content-Type", "application/json")
                .header("Klarna-Customer-Token", TOKEN).header("Klarna-Idempotency-Key", "renewal-2026-11")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20)).build();
    }

    static <T> HttpResponse<T> call(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler,
            boolean async) throws Exception {
        if (!async) {
            return client.send(request, handler);
        }
        try {
            return client.sendAsync(request, handler).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    JsonNode record(String token) throws IOException {
        return JSON.readTree(store.map.get(token));
    }

    int attempts(String token) throws IOException {
        JsonNode a = record(token).get("attempts");
        return a == null ? 0 : a.size();
    }

    // ---------------------------------------------------------------- the answers

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void approvedArrivesByteForByteAndCallerReadsTheSameResponse(boolean async, @TempDir Path dir) throws Exception {
        Path log = dir.resolve("audit.log");
        klarna.auditLog = log;
        try (AuditLog audit = AuditLog.open(log)) {
            HttpClient client = guard().audit(audit).build().wrap(plain);
            HttpResponse<String> r = call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async);
            assertEquals(200, r.statusCode());
            assertEquals(StandIn.APPROVED, r.body());
            assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        }
        assertEquals(1, klarna.count());
        StandIn.Received got = klarna.received.peek();
        assertArrayEquals(RENEWAL.getBytes(StandardCharsets.UTF_8), got.body(), "the body as the client built it");
        assertEquals("POST", got.method());
        assertEquals(TOKEN, got.header("Klarna-Customer-Token"));
        assertEquals("Basic dGVzdDp0ZXN0", got.header("Authorization"));
        assertEquals(1, got.auditEntries(), "the audit entry was written before the request arrived");
        JsonNode rec = record(TOKEN);
        assertEquals(1, rec.get("attempts").size());
        assertEquals(rec.get("attempts").get(0).asText(), rec.get("last_used_at").asText());
        assertTrue(rec.get("last_used_at").asText().matches("2026-11-30T12:00:\\d\\d\\.000Z"), rec.toString());
        assertEquals(1, store.puts.get());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void declinedAndStepUp(boolean async) throws Exception {
        HttpClient client = client();
        klarna.script.add(StandIn.Answer.json(200, StandIn.DECLINED));
        assertEquals(StandIn.DECLINED, call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).body());
        assertEquals(1, attempts(TOKEN));
        assertFalse(record(TOKEN).has("last_used_at"), "a decline is no use");
        klarna.script.add(StandIn.Answer.json(200, StandIn.STEP_UP));
        assertEquals(StandIn.STEP_UP, call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).body());
        assertEquals(1, attempts(TOKEN), "STEP_UP_REQUIRED authorised nothing yet");
        assertEquals(1, store.puts.get());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void failuresCountAndTheRetryCapHoldsTheNextAttemptBack(boolean async) throws Exception {
        HttpClient client = client();
        klarna.script.add(StandIn.Answer.json(200, StandIn.DECLINED));
        klarna.script.add(StandIn.Answer.json(500, "{\"error_code\":\"INTERNAL_ERROR\"}"));
        klarna.script.add(StandIn.DROP);
        assertEquals(200, call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).statusCode());
        assertEquals(500, call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).statusCode());
        IOException lost = assertThrows(IOException.class,
                () -> call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async));
        assertFalse(lost instanceof PreflightDeniedException, "the caller gets the connection's own error: " + lost);
        assertEquals(3, klarna.count());
        assertEquals(3, attempts(TOKEN), "a decline, a 500 and a lost connection are three attempts");

        PreflightDeniedException denied = assertThrows(PreflightDeniedException.class,
                () -> call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async));
        assertEquals(List.of("ATTEMPT_LIMIT_EXCEEDED"), denied.decision().codes());
        assertEquals(3, klarna.count(), "held back before sending");
        assertFalse(denied.getMessage().contains(SECRET_ID), denied.getMessage());
        assertFalse(denied.decision().toString().contains(SECRET_ID));

        clock.advance(Duration.ofDays(1));
        assertEquals(200, call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).statusCode());
        assertEquals(4, klarna.count(), "a day later it goes");
        assertEquals(4, attempts(TOKEN));
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aTimeoutReachesTheCallerAndCountsAsAnAttempt(boolean async) throws Exception {
        HttpClient client = client();
        klarna.script.add(StandIn.Answer.json(200, StandIn.APPROVED).delayed(1500));
        HttpRequest slow = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> true).timeout(Duration.ofMillis(300)).build();
        assertThrows(java.net.http.HttpTimeoutException.class,
                () -> call(client, slow, HttpResponse.BodyHandlers.ofString(), async));
        assertEquals(1, attempts(TOKEN), "the outcome is unknown: it counts");
        assertFalse(record(TOKEN).has("last_used_at"));
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBodyCutOffReachesTheCallerAsReadThenTheSameError(boolean async) throws Exception {
        HttpClient client = client();
        klarna.script.add(StandIn.cutOff("{\"payment_transaction_response\":"));
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        HttpResponse.BodyHandler<Void> recording = info -> HttpResponse.BodySubscribers.ofByteArrayConsumer(
                chunk -> chunk.ifPresent(seen::writeBytes));
        IOException failure = assertThrows(IOException.class, () -> call(client, renewal(RENEWAL), recording, async));
        assertEquals("{\"payment_transaction_response\":", seen.toString(StandardCharsets.UTF_8),
                "the caller's handler got what was read, then the error: " + failure);
        assertFalse(failure instanceof PreflightDeniedException);
        assertEquals(1, attempts(TOKEN), "the outcome is unknown: it counts");
        // A handler that needs the whole body gets the client's error.
        klarna.script.add(StandIn.cutOff("{\"payment"));
        assertThrows(IOException.class, () -> call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async));
        assertEquals(2, attempts(TOKEN));
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void nonJsonAndGzipAnswers(boolean async) throws Exception {
        HttpClient client = client();
        klarna.script.add(new StandIn.Answer(200, "<html>busy</html>".getBytes(StandardCharsets.UTF_8),
                Map.of("Content-Type", "text/html"), false, 0));
        assertEquals("<html>busy</html>",
                call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).body());
        assertEquals(1, attempts(TOKEN), "a 2xx that is not a JSON object counts as a decline");
        assertFalse(record(TOKEN).has("last_used_at"));

        StandIn.Answer gz = StandIn.gzip(StandIn.APPROVED);
        klarna.script.add(gz);
        HttpResponse<byte[]> r = call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofByteArray(), async);
        assertArrayEquals(gz.body(), r.body(), "the caller gets the bytes as received, still encoded");
        assertEquals("gzip", r.headers().firstValue("Content-Encoding").orElseThrow());
        assertEquals(2, attempts(TOKEN));
        assertTrue(record(TOKEN).has("last_used_at"), "the guard read the gzip-encoded answer");
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tokenizationPutsTheNewRecord(boolean async) throws Exception {
        HttpClient client = guard().customerPresent(true).build().wrap(plain);
        klarna.script.add(StandIn.Answer.json(200, StandIn.tokenized(NEW_TOKEN)));
        HttpRequest tokenize = HttpRequest.newBuilder(klarna.uri("/v2/payment/authorize"))
                .header("Klarna-Idempotency-Key", "checkout-1")
                .POST(HttpRequest.BodyPublishers.ofString(TOKENIZE)).build();
        assertEquals(200, call(client, tokenize, HttpResponse.BodyHandlers.ofString(), async).statusCode());
        JsonNode rec = record(NEW_TOKEN);
        assertEquals("ACTIVE", rec.get("state").asText());
        assertEquals("sub-42", rec.get("customer_token_reference").asText());
        assertFalse(rec.has("attempts"), "no payment yet");

        // With the first payment: the new record holds it.
        store.map.clear();
        klarna.script.add(StandIn.Answer.json(200, StandIn.tokenizedAndPaid(NEW_TOKEN)));
        HttpRequest both = HttpRequest.newBuilder(klarna.uri("/v2/payment/authorize/"))
                .header("Klarna-Idempotency-Key", "checkout-2")
                .POST(HttpRequest.BodyPublishers.ofString(PAY_AND_TOKENIZE)).build();
        assertEquals(200, call(client, both, HttpResponse.BodyHandlers.ofString(), async).statusCode());
        rec = record(NEW_TOKEN);
        assertEquals(1, rec.get("attempts").size());
        assertTrue(rec.has("last_used_at"));
        assertTrue(errors.isEmpty(), errors.toString());
    }

    // ---------------------------------------------------------------- what never leaves

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void deniedAndInvalidRequestsNeverReachTheServer(boolean async) throws Exception {
        HttpClient client = client();
        // A renewal with step_up_config: rule 401.
        String stepUp = RENEWAL.replace("\"purchase_country\"", "\"step_up_config\":{},\"purchase_country\"");
        PreflightDeniedException d = assertThrows(PreflightDeniedException.class,
                () -> call(client, renewal(stepUp), HttpResponse.BodyHandlers.ofString(), async));
        assertEquals(List.of("STEP_UP_NOT_ALLOWED"), d.decision().codes());

        // A duplicate key in the body: the host's JSON library and Klarna's could read different amounts.
        String duplicate = "{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1,\"amount\":100000}}";
        InvalidRequestException dup = assertThrows(InvalidRequestException.class,
                () -> call(client, renewal(duplicate), HttpResponse.BodyHandlers.ofString(), async));
        assertEquals("DUPLICATE_KEY", dup.code());

        // Bytes that are not one JSON value cannot smuggle fields into the pre-flight request.
        String smuggle = "{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1299}},"
                + "\"counters\":{\"attempts_24h\":0}";
        assertThrows(InvalidRequestException.class,
                () -> call(client, renewal(smuggle), HttpResponse.BodyHandlers.ofString(), async));
        assertThrows(InvalidRequestException.class,
                () -> call(client, renewal(""), HttpResponse.BodyHandlers.ofString(), async));
        byte[] latin1 = "{\"currency\":\"EUR\",\"x\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        HttpRequest invalidUtf8 = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(latin1)).build();
        InvalidRequestException utf8 = assertThrows(InvalidRequestException.class,
                () -> call(client, invalidUtf8, HttpResponse.BodyHandlers.ofString(), async));
        assertEquals("INVALID_UTF8", utf8.status());

        // Two values of one Klarna header: rule 703.
        HttpRequest twice = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> true)
                .header("klarna-idempotency-key", "another-key").build();
        PreflightDeniedException dupHeader = assertThrows(PreflightDeniedException.class,
                () -> call(client, twice, HttpResponse.BodyHandlers.ofString(), async));
        assertTrue(dupHeader.decision().codes().contains("HEADER_DUPLICATE"), dupHeader.decision().codes().toString());

        // A malformed token in the header: its value never appears in what the caller gets.
        String bad = "krn:customer-token:eu1:" + SECRET_ID + " x";
        HttpRequest malformed = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> !n.equalsIgnoreCase("Klarna-Customer-Token"))
                .header("Klarna-Customer-Token", bad.replace(" ", "%")).build();
        PreflightDeniedException m = assertThrows(PreflightDeniedException.class,
                () -> call(client, malformed, HttpResponse.BodyHandlers.ofString(), async));
        assertFalse(m.getMessage().contains(SECRET_ID) || m.decision().toString().contains(SECRET_ID));

        // records.get raising: not sent either.
        HttpClient broken = guard().records(new Store() {
            @Override
            public Optional<String> get(String token) {
                throw new IllegalStateException("store down");
            }
        }).build().wrap(plain);
        assertThrows(IllegalStateException.class,
                () -> call(broken, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async));

        assertEquals(0, klarna.count(), "no denied or unchecked request reached the server");
        assertEquals(0, store.puts.get());
    }

    @Test
    void otherRequestsPassThroughUnchecked() throws Exception {
        HttpClient client = client();
        klarna.otherwise = r -> StandIn.Answer.json(200, "{\"ok\":true}");
        // Not a charge: the identity SDK call carries the token header, and is not guarded.
        HttpRequest other = HttpRequest.newBuilder(klarna.uri("/v2/accounts/acc-1/payment/authorize/extra"))
                .header("Klarna-Customer-Token", TOKEN).POST(HttpRequest.BodyPublishers.ofString("not json")).build();
        assertEquals("{\"ok\":true}", client.send(other, HttpResponse.BodyHandlers.ofString()).body());
        HttpRequest get = HttpRequest.newBuilder(klarna.uri("/v2/payment/authorize")).GET().build();
        assertEquals(200, client.sendAsync(get, HttpResponse.BodyHandlers.ofString()).get().statusCode());
        assertEquals(2, klarna.count());
        assertEquals(RECORD, store.map.get(TOKEN));
        assertTrue(ChargeGuard.isAuthorizePayment(renewal(RENEWAL)));
        assertTrue(ChargeGuard.isAuthorizePayment(HttpRequest.newBuilder(klarna.uri("/v2/payment/authorize"))
                .POST(HttpRequest.BodyPublishers.noBody()).build()));
        assertFalse(ChargeGuard.isAuthorizePayment(HttpRequest.newBuilder(klarna.uri("/v2/accounts//payment/authorize"))
                .POST(HttpRequest.BodyPublishers.noBody()).build()));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void bytesChangedAfterTheCheckNeverReachKlarna(boolean async) throws Exception {
        // ofByteArray wraps the caller's array: here it changes while the guard checks (in
        // records.get), and the server must still receive the bytes that were checked.
        byte[] body = RENEWAL.getBytes(StandardCharsets.UTF_8);
        byte[] checked = body.clone();
        Store changing = new Store() {
            @Override
            public Optional<String> get(String token) {
                java.util.Arrays.fill(body, (byte) ' ');
                return super.get(token);
            }
        };
        changing.map.put(TOKEN, RECORD);
        HttpClient client = guard().records(changing).build().wrap(plain);
        HttpRequest byArray = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        assertEquals(200, call(client, byArray, HttpResponse.BodyHandlers.ofString(), async).statusCode());
        assertArrayEquals(checked, klarna.received.poll().body(), "the checked bytes, not the changed array");

        // A publisher that publishes other bytes on its second subscription.
        AtomicInteger subscriptions = new AtomicInteger();
        HttpRequest.BodyPublisher fickle = HttpRequest.BodyPublishers.fromPublisher(subscriber ->
                HttpRequest.BodyPublishers.ofString(subscriptions.getAndIncrement() == 0 ? RENEWAL
                        : RENEWAL.replace("1299", "9999")).subscribe(subscriber));
        HttpRequest byPublisher = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> true).POST(fickle).build();
        assertEquals(200, call(client, byPublisher, HttpResponse.BodyHandlers.ofString(), async).statusCode());
        assertEquals(1, subscriptions.get(), "the guard read the publisher once and sent what it read");
        assertArrayEquals(checked, klarna.received.poll().body());
    }

    @Test
    void onlyABuiltRequestWithAStringBodyIsSentAsItIs() {
        // BodyPublishers.ofString's bytes are fixed when it is built: the request goes as it is.
        HttpRequest request = renewal(RENEWAL);
        byte[] body = RENEWAL.getBytes(StandardCharsets.UTF_8);
        assertTrue(GuardedHttpClient.toSend(request, body) == request);
        // Bodies the caller can still change, or that a publisher makes anew, go as a copy of the bytes read.
        for (HttpRequest.BodyPublisher other : List.of(HttpRequest.BodyPublishers.ofByteArray(body.clone()),
                HttpRequest.BodyPublishers.ofByteArray(body.clone(), 0, body.length),
                HttpRequest.BodyPublishers.ofByteArrays(List.of(body.clone())),
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)),
                HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofString(RENEWAL)))) {
            HttpRequest byOther = HttpRequest.newBuilder(request, (n, v) -> true).POST(other).build();
            HttpRequest sent = GuardedHttpClient.toSend(byOther, body);
            assertFalse(sent == byOther, other.getClass().getName());
            assertEquals(byOther.headers(), sent.headers());
            assertEquals(byOther.uri(), sent.uri());
            assertEquals(byOther.timeout(), sent.timeout());
            assertEquals(byOther.method(), sent.method());
            assertEquals(body.length, sent.bodyPublisher().orElseThrow().contentLength());
        }
        // A request class of the caller's own (which could answer differently on each call) is copied too.
        HttpRequest own = new HttpRequest() {
            @Override
            public Optional<BodyPublisher> bodyPublisher() {
                return request.bodyPublisher();
            }

            @Override
            public String method() {
                return request.method();
            }

            @Override
            public Optional<Duration> timeout() {
                return request.timeout();
            }

            @Override
            public boolean expectContinue() {
                return false;
            }

            @Override
            public java.net.URI uri() {
                return request.uri();
            }

            @Override
            public Optional<HttpClient.Version> version() {
                return Optional.empty();
            }

            @Override
            public java.net.http.HttpHeaders headers() {
                return request.headers();
            }
        };
        assertFalse(GuardedHttpClient.toSend(own, body) == own);
    }

    @Test
    void theAuthorizePathIsMatchedAsItsDocumentedPattern() {
        // The pattern README and isAuthorizePayment's Javadoc describe; the guard matches it by hand.
        java.util.regex.Pattern documented = java.util.regex.Pattern.compile("/v2/(?:accounts/[^/]+/)?payment/authorize/?");
        List<String> paths = new ArrayList<>(List.of("/v2/payment/authorize", "/v2/payment/authorize/",
                "/v2/accounts/acc-1/payment/authorize", "/v2/accounts/acc-1/payment/authorize/",
                "/v2/accounts/a%2Fb/payment/authorize", "/v2/accounts//payment/authorize",
                "/v2/accounts/payment/authorize", "/v2/accounts/a/b/payment/authorize",
                "/v2/accounts/acc-1/payment/authorize//", "/v2/payment/authorize/extra", "/v2/payment/authorizeX",
                "/v2/payment/authoriz", "/v1/payment/authorize", "v2/payment/authorize", "/V2/payment/authorize",
                "/v2//payment/authorize", "/v2/accounts/acc-1/", "/v2/accounts/acc-1", "/v2/accounts/", "/v2/",
                "/", "", "/v2/accounts/accounts/payment/authorize", "/v2/accounts/payment/payment/authorize",
                "/v2/payment/authorize?x", "/v2/accounts/acc-1/payment/authorize/extra"));
        // Every prefix of the longest accepted forms too: each is decided at a different step.
        for (String full : List.of("/v2/accounts/acc-1/payment/authorize/", "/v2/payment/authorize/")) {
            for (int i = 0; i <= full.length(); i++) {
                paths.add(full.substring(0, i));
                paths.add(full.substring(0, i) + "x");
            }
        }
        for (String path : paths) {
            assertEquals(documented.matcher(path).matches(), ChargeGuard.isAuthorizePath(path), path);
        }
        HttpRequest get = HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:1/v2/payment/authorize")).GET()
                .build();
        assertFalse(ChargeGuard.isAuthorizePayment(get), "a GET is not a charge");
    }

    @Test
    void wrapRefusesClientsThatWouldSendAGuardedPostTwice() {
        ChargeGuard g = guard().build();
        try (HttpClient redirects = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()) {
            assertThrows(IllegalArgumentException.class, () -> g.wrap(redirects));
        }
        try (HttpClient authenticating = HttpClient.newBuilder().authenticator(new java.net.Authenticator() {
        }).build()) {
            assertThrows(IllegalArgumentException.class, () -> g.wrap(authenticating));
        }
        assertThrows(NullPointerException.class, () -> ChargeGuard.builder().engine(engine).build());
        assertFalse(guard().caller(TOKEN).build().toString().contains(SECRET_ID));
    }

    // ---------------------------------------------------------------- faults after sending

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void faultsAfterSendingGoToOnErrorWithTheRecord(boolean async) throws Exception {
        Store failing = new Store() {
            @Override
            public void put(String token, String recordJson) {
                throw new IllegalStateException("disk full while storing " + token);
            }
        };
        failing.map.put(TOKEN, RECORD);
        HttpClient client = guard().records(failing).build().wrap(plain);
        HttpResponse<String> r = call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async);
        assertEquals(StandIn.APPROVED, r.body(), "the caller's call succeeds: the charge happened");
        assertEquals(1, errors.size());
        RecordNotStoredException e = assertInstanceOf(RecordNotStoredException.class, errors.get(0));
        assertEquals("PUT_FAILED", e.code());
        JsonNode rec = JSON.readTree(e.recordJson());
        assertEquals(TOKEN, rec.get("customer_token").asText());
        assertEquals(1, rec.get("attempts").size());
        assertFalse(e.getMessage().contains(SECRET_ID), e.getMessage());
        assertFalse(e.toString().contains(SECRET_ID), e.toString());
        java.io.StringWriter trace = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(trace));
        assertFalse(trace.toString().contains(SECRET_ID), "no token in the printed stack trace");
        assertTrue(trace.toString().contains("IllegalStateException: disk full while storing [customer-token sha256:"),
                trace.toString());

        // The re-read after the answer raises: reported, and the record read before sending is used.
        errors.clear();
        Store flaky = new Store() {
            final AtomicInteger reads = new AtomicInteger();

            @Override
            public Optional<String> get(String token) {
                if (reads.incrementAndGet() % 2 == 0) {
                    throw new IllegalStateException("replica lag");
                }
                return super.get(token);
            }
        };
        flaky.map.put(TOKEN, RECORD);
        HttpClient rereads = guard().records(flaky).build().wrap(plain);
        assertEquals(200, call(rereads, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).statusCode());
        assertEquals("GET_FAILED", assertInstanceOf(RecordNotStoredException.class, errors.get(0)).code());
        assertEquals(1, JSON.readTree(flaky.map.get(TOKEN)).get("attempts").size(), "the attempt is still counted");
        errors.clear();

        // The default onError: one ERROR record, redacted.
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger jul = Logger.getLogger(ChargeGuard.class.getName());
        jul.addHandler(h);
        try {
            HttpClient quiet = ChargeGuard.builder().engine(engine).records(failing).customerPresent(false)
                    .clock(clock).build().wrap(plain);
            assertEquals(200, call(quiet, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async).statusCode());
        } finally {
            jul.removeHandler(h);
        }
        assertEquals(1, logged.size());
        assertEquals(java.util.logging.Level.SEVERE, logged.get(0).getLevel());
        assertFalse(logged.get(0).getMessage().contains(SECRET_ID), logged.get(0).getMessage());
        assertTrue(logged.get(0).getMessage().contains("PUT_FAILED"), logged.get(0).getMessage());

        // A tokenization whose answer cannot make a record: onError gets the answer, which holds the new token.
        errors.clear();
        HttpClient checkout = guard().customerPresent(true).build().wrap(plain);
        klarna.script.add(StandIn.Answer.json(200, StandIn.tokenized(NEW_TOKEN).replace("sub-42\"}}}", "other\"}}}")));
        HttpRequest tokenize = HttpRequest.newBuilder(klarna.uri("/v2/payment/authorize"))
                .header("Klarna-Idempotency-Key", "checkout-3").POST(HttpRequest.BodyPublishers.ofString(TOKENIZE)).build();
        assertEquals(200, call(checkout, tokenize, HttpResponse.BodyHandlers.ofString(), async).statusCode());
        RecordNotStoredException apply = assertInstanceOf(RecordNotStoredException.class, errors.get(0));
        assertEquals("APPLY_FAILED", apply.code());
        assertTrue(new String(apply.responseBody(), StandardCharsets.UTF_8).contains(NEW_TOKEN));
        assertFalse(apply.getMessage().contains("0f8fad5b"), apply.getMessage());
    }

    @Test
    void customerPresentAsAFunctionOfTheRequest() throws Exception {
        // A request from the checkout (a session header) is customer-present; a renewal is not.
        HttpClient client = guard().customerPresent(r -> r.headers().firstValue("X-Checkout-Session").isPresent())
                .build().wrap(plain);
        HttpRequest onSession = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> true)
                .header("X-Checkout-Session", "s-1").build();
        PreflightDeniedException d = assertThrows(PreflightDeniedException.class,
                () -> client.send(onSession, HttpResponse.BodyHandlers.ofString()));
        assertTrue(d.decision().codes().contains("SCOPE_MISMATCH"), d.decision().codes().toString());
        assertEquals(0, klarna.count());
        assertEquals(200, client.send(renewal(RENEWAL), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(1, klarna.count());
    }

    @Test
    void theCallerGetsTheBodyAsAStreamToo() throws Exception {
        HttpClient client = client();
        HttpResponse<java.io.InputStream> r = client.send(renewal(RENEWAL), HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream in = r.body()) {
            assertEquals(StandIn.APPROVED, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(1, attempts(TOKEN));
    }

    // ---------------------------------------------------------------- threads

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void eightThreadsShareOneGuardAndOneTokenIsSerialised(boolean async) throws Exception {
        Engine open = Engine.create("{}");
        try {
            ChargeGuard shared = guard().engine(open).build();
            HttpClient client = shared.wrap(plain);
            klarna.otherwise = r -> StandIn.Answer.json(200, StandIn.APPROVED).delayed(15);
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String t = "krn:customer-token:eu1:thread-" + i;
                tokens.add(t);
                store.map.put(t, RECORD.replace(TOKEN, t));
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                // 8 threads, 8 tokens, 3 charges each.
                List<Future<Integer>> done = new ArrayList<>();
                for (String t : tokens) {
                    done.add(pool.submit(() -> {
                        int ok = 0;
                        for (int k = 0; k < 3; k++) {
                            HttpRequest req = HttpRequest.newBuilder(renewal(RENEWAL), (n, v) -> !n.equals("Klarna-Customer-Token"))
                                    .header("Klarna-Customer-Token", t).build();
                            ok += call(client, req, HttpResponse.BodyHandlers.ofString(), async).statusCode() == 200 ? 1 : 0;
                        }
                        return ok;
                    }));
                }
                for (Future<Integer> f : done) {
                    assertEquals(3, f.get(60, TimeUnit.SECONDS));
                }
                for (String t : tokens) {
                    assertEquals(3, attempts(t), t);
                }
                assertEquals(1, klarna.maxInFlightOneToken.get(), "one charge per token at a time");

                // 8 threads, one token: every attempt counted, none lost.
                List<Future<Integer>> same = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    same.add(pool.submit(() -> call(client, renewal(RENEWAL), HttpResponse.BodyHandlers.ofString(), async)
                            .statusCode()));
                }
                for (Future<Integer> f : same) {
                    assertEquals(200, f.get(60, TimeUnit.SECONDS));
                }
                assertEquals(8, attempts(TOKEN), "every attempt counted");
                assertEquals(1, klarna.maxInFlightOneToken.get(), "serialised");
                assertEquals(0, shared.locks.size(), "no turn left behind");
                if (async) {
                    // sendAsync from one thread: the futures queue up per token.
                    List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        fs.add(client.sendAsync(renewal(RENEWAL), HttpResponse.BodyHandlers.ofString()));
                    }
                    for (CompletableFuture<HttpResponse<String>> f : fs) {
                        assertEquals(200, f.get(60, TimeUnit.SECONDS).statusCode());
                    }
                    assertEquals(16, attempts(TOKEN));
                    assertEquals(1, klarna.maxInFlightOneToken.get());
                    assertEquals(0, shared.locks.size(), "no turn left behind");
                }
            } finally {
                pool.shutdownNow();
            }
        } finally {
            open.close();
        }
        assertTrue(errors.isEmpty(), errors.toString());
    }
}
