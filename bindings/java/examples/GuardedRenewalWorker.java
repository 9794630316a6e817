import com.sun.net.httpserver.HttpServer;
import dev.ctpolicy.CtPolicy;
import dev.ctpolicy.Engine;
import dev.ctpolicy.http.ChargeGuard;
import dev.ctpolicy.http.PreflightDeniedException;
import dev.ctpolicy.http.TokenRecords;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A subscription renewal worker whose HttpClient carries the charge guard: the worker builds
 * its authorizePayment call as usual, and the guard checks the request that is actually sent,
 * holds back a charge the policy refuses (here: a fourth attempt within 24 hours), and keeps
 * the token record up to date from Klarna's answers.
 *
 * <p>It runs against a stand-in for Klarna on 127.0.0.1 (answering APPROVED, DECLINED, a 500,
 * then APPROVED). Run from bindings/java after `mvn -q package -DskipTests`:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp 'target/ctpolicy-0.1.0.jar:target/lib/*' examples/GuardedRenewalWorker.java
 * </pre>
 */
public class GuardedRenewalWorker {

    /** What the partner stored when the customer signed up (never log this token). */
    static final String TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    /** The host's token store: here a map; in production, your database. */
    static final class Records implements TokenRecords {
        final Map<String, String> byToken = new ConcurrentHashMap<>();

        @Override
        public Optional<String> get(String token) {
            return Optional.ofNullable(byToken.get(token));
        }

        @Override
        public void put(String token, String recordJson) {
            byToken.put(token, recordJson);
        }
    }

    /** One renewal: the worker's own code, unaware of the guard but for the exception. */
    static void renew(HttpClient klarna, URI base, String subscription, int month, String label)
            throws InterruptedException {
        String body = """
            {"currency": "EUR",
             "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "%1$s-2026-%2$02d"},
             "supplementary_purchase_data": {"subscriptions": [{"subscription_reference": "%1$s"}]}}
            """.formatted(subscription, month);
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v2/accounts/acc-1/payment/authorize"))
                .header("Authorization", "Basic cGFydG5lcjpzZWNyZXQ=")
                .header("Content-Type", "application/json")
                .header("Klarna-Customer-Token", TOKEN)
                .header("Klarna-Idempotency-Key", subscription + "-2026-" + month)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> r = klarna.send(request, HttpResponse.BodyHandlers.ofString());
            System.out.printf("%s: HTTP %d %s%n", label, r.statusCode(), r.body().contains("APPROVED") ? "APPROVED"
                    : r.body().contains("DECLINED") ? "DECLINED" : "(no result)");
        } catch (PreflightDeniedException denied) {
            System.out.printf("%s: held back, not sent: %s%n", label, denied.decision().codes());
        } catch (IOException lost) {
            System.out.printf("%s: connection failed: %s%n", label, lost.getClass().getSimpleName());
        }
    }

    public static void main(String[] args) throws Exception {
        // The stand-in for Klarna.
        ConcurrentLinkedQueue<Object[]> script = new ConcurrentLinkedQueue<>();
        script.add(new Object[] {200, "{\"payment_transaction_response\":{\"result\":\"APPROVED\"}}"});
        script.add(new Object[] {200, "{\"payment_transaction_response\":{\"result\":\"DECLINED\"}}"});
        script.add(new Object[] {500, "{\"error_code\":\"INTERNAL_ERROR\"}"});
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int[] received = {0};
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received[0]++;
            Object[] answer = script.poll();
            if (answer == null) {
                answer = new Object[] {200, "{\"payment_transaction_response\":{\"result\":\"APPROVED\"}}"};
            }
            byte[] bytes = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders((Integer) answer[0], bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());

        Records records = new Records();
        records.put(TOKEN, "{\"customer_token\":\"" + TOKEN + "\",\"scopes\":[\"payment:customer_not_present\"],"
                + "\"state\":\"ACTIVE\",\"created_at\":\"2026-01-15T09:30:00Z\"}");
        String policy = """
            {"allowed_regions": ["eu1"], "max_attempts": {"per_24h": 3, "per_30d": 10},
             "access": {"billing-renewals": {"scopes": ["payment:customer_not_present"]}}}
            """;
        // A clock the example moves forward; a real worker leaves the default (the system clock).
        Instant[] now = {Instant.parse("2026-11-30T06:00:00Z")};
        Clock clock = new Clock() {
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            public Instant instant() {
                return now[0];
            }
        };
        try (Engine engine = Engine.create(policy);
                HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            ChargeGuard guard = ChargeGuard.builder()
                    .engine(engine)
                    .records(records)
                    .customerPresent(false) // a renewal: the partner charges on its own
                    .caller("billing-renewals")
                    .clock(clock)
                    .build();
            HttpClient klarna = guard.wrap(plain);

            for (int attempt = 1; attempt <= 4; attempt++) {
                now[0] = now[0].plus(Duration.ofHours(1));
                renew(klarna, base, "sub_8842", 11, "attempt " + attempt);
            }
            now[0] = now[0].plus(Duration.ofDays(1));
            renew(klarna, base, "sub_8842", 11, "a day later");

            String stored = records.get(TOKEN).orElseThrow();
            int attempts = stored.split("\"attempts\":\\[")[1].split("]")[0].split(",").length;
            System.out.printf("token %s: %d attempts recorded, Klarna received %d requests%n",
                    CtPolicy.parseToken(TOKEN).fingerprint(), attempts, received[0]);
        } finally {
            server.stop(0);
        }
    }
}
