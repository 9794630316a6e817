import dev.ctpolicy.CtPolicyException;
import dev.ctpolicy.Decision;
import dev.ctpolicy.Engine;
import dev.ctpolicy.Violation;

/**
 * Pre-flight a subscription renewal before calling authorizePayment.
 *
 * <p>Needs a JDK 22 or newer. Run from bindings/java after `mvn -q package -DskipTests`:
 * <pre>
 * examples/run.sh
 * </pre>
 * which checks the JDK first and then runs
 * {@code java --enable-native-access=ALL-UNNAMED -cp target/ctpolicy-VERSION.jar examples/RenewalExample.java}.
 */
public class RenewalExample {

    /** What the partner stored when the customer signed up (never log this token). */
    static final String TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    static String renewal(String state, boolean withStepUp) {
        return """
            {"customer_present": false,
             "headers": {"Klarna-Customer-Token": "%1$s",
                         "Klarna-Idempotency-Key": "renewal-sub_8842-2024-06"},
             "body": {"currency": "EUR",%3$s
                      "request_payment_transaction": {"amount": 1299,
                                                      "payment_transaction_reference": "sub_8842-2024-06"},
                      "supplementary_purchase_data": {"subscriptions": [{"subscription_reference": "sub_8842"}]}},
             "token_record": {"customer_token": "%1$s", "scopes": ["payment:customer_not_present"],
                              "state": "%2$s", "created_at": "2024-01-15T09:30:00Z"},
             "decision_id": "renewal-sub_8842-2024-06"}
            """.formatted(TOKEN, state, withStepUp ? " \"step_up_config\": {\"payment_request_reference\": \"x\"}," : "");
    }

    /** Returns true when the charge may be sent. Any failure to decide is a DENY (fail closed). */
    static boolean preflight(Engine engine, String request) {
        try {
            Decision d = engine.check(request);
            // The fingerprint identifies the token in logs without revealing it.
            System.out.printf("preflight decision=%s scope=%s token=%s decision_id=%s%n", d.decision(),
                    d.requiredScope(), d.token() == null ? "-" : d.token().fingerprint(), d.decisionId());
            for (Violation w : d.warnings()) {
                System.out.printf("  warning %d %s at %s%n", w.id(), w.code(), w.path());
            }
            if (!d.allowed()) {
                for (Violation v : d.violations()) {
                    System.out.printf("  DENY %d %s at %s: %s%n", v.id(), v.code(), v.path(), v.message());
                }
                return false;
            }
            return true;
        } catch (CtPolicyException e) {
            System.out.printf("preflight could not decide (%s): not charging%n", e.getMessage());
            return false;
        }
    }

    public static void main(String[] args) {
        String policy = """
            {"allowed_regions": ["eu1"], "allowed_currencies": ["EUR", "SEK"],
             "max_amount": {"payment:customer_not_present": {"EUR": 50000}}}
            """;
        try (Engine engine = Engine.create(policy)) {
            if (preflight(engine, renewal("ACTIVE", false))) {
                System.out.println("-> sending authorizePayment");
            }
            if (!preflight(engine, renewal("REVOKED", true))) {
                System.out.println("-> not charged; ask the customer to sign up again");
            }
            preflight(engine, "{\"customer_present\": false}");
        }
    }
}
