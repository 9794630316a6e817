import com.sun.net.httpserver.HttpServer;
import dev.ctpolicy.AuditLog;
import dev.ctpolicy.CtPolicy;
import dev.ctpolicy.Engine;
import dev.ctpolicy.http.ChargeGuard;
import dev.ctpolicy.http.PreflightDeniedException;
import dev.ctpolicy.http.TokenRecords;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * A checkout handler (customer present) that signs the customer up for a subscription: one
 * authorizePayment call with the first payment and request_customer_token, sent with
 * sendAsync through a guarded HttpClient. The guard writes an audit entry before the request
 * leaves, and stores the new token's record from Klarna's answer; a request the policy refuses
 * (here: a tokenization without step-up) never leaves.
 *
 * <p>It runs against a stand-in for Klarna on 127.0.0.1. Run from bindings/java after
 * `mvn -q package -DskipTests`:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp 'target/ctpolicy-0.1.0.jar:target/lib/*' examples/GuardedCheckoutHandler.java
 * </pre>
 */
public class GuardedCheckoutHandler {

    /** The token the stand-in creates (a real one comes from Klarna; never log it). */
    static final String NEW_TOKEN = "krn:customer-token:eu1:0f8fad5b-d9cb-469f-a165-70867728950e";

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

    /** The handler's own call: sign up with the first payment. */
    static CompletableFuture<HttpResponse<String>> signUp(HttpClient klarna, URI base, boolean withStepUp) {
        String stepUp = withStepUp ? """
             "step_up_config": {"payment_request_reference": "checkout-77",
                                "customer_interaction_config": {"method": "HANDOVER",
                                                                "return_url": "https://shop.example/klarna/return"}},
            """ : "";
        String body = """
            {"currency": "EUR",
             "request_payment_transaction": {"amount": 990, "payment_transaction_reference": "order-77"},
             "request_customer_token": {"scopes": ["payment:customer_not_present"], "customer_token_reference": "sub_8842"},
             %s"supplementary_purchase_data": {"subscriptions": [{"subscription_reference": "sub_8842"}]}}
            """.formatted(stepUp);
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v2/payment/authorize"))
                .header("Authorization", "Basic cGFydG5lcjpzZWNyZXQ=")
                .header("Content-Type", "application/json")
                .header("Klarna-Idempotency-Key", "checkout-77")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return klarna.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int[] received = {0};
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received[0]++;
            byte[] bytes = ("{\"customer_token_response\":{\"result\":\"APPROVED\",\"customer_token\":{\"customer_token\":\""
                    + NEW_TOKEN + "\",\"scopes\":[\"payment:customer_not_present\"],\"customer_token_reference\":\"sub_8842\"}},"
                    + "\"payment_transaction_response\":{\"result\":\"APPROVED\"}}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        Path log = Files.createTempFile("ctpolicy-checkout", ".log");
        Records records = new Records();
        String policy = """
            {"require_token_reference": true,
             "access": {"checkout-web": {"scopes": ["payment:customer_present", "payment:customer_not_present"],
                                         "tokenize": true}}}
            """;
        try (Engine engine = Engine.create(policy); AuditLog audit = AuditLog.open(log);
                HttpClient plain = HttpClient.newHttpClient()) {
            HttpClient klarna = ChargeGuard.builder()
                    .engine(engine)
                    .records(records)
                    .customerPresent(true) // the customer is at the checkout
                    .caller("checkout-web")
                    .audit(audit)
                    .build()
                    .wrap(plain);

            try {
                signUp(klarna, base, false).get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof PreflightDeniedException denied) {
                    System.out.println("sign-up without step-up: not sent: " + denied.decision().codes());
                }
            }
            HttpResponse<String> r = signUp(klarna, base, true).get();
            System.out.println("sign-up: HTTP " + r.statusCode());
            for (String token : records.byToken.keySet()) {
                String record = records.byToken.get(token);
                System.out.printf("stored record for token %s: state %s, attempts %s%n",
                        CtPolicy.parseToken(token).fingerprint(),
                        record.contains("\"state\":\"ACTIVE\"") ? "ACTIVE" : "?",
                        record.contains("\"attempts\":[") ? "1" : "0");
            }
            System.out.printf("audit log: %d entries; Klarna received %d request(s)%n",
                    AuditLog.verify(log).entries(), received[0]);
        } finally {
            server.stop(0);
            Files.deleteIfExists(log);
        }
    }
}
