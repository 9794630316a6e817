package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#checkCharge} against {@link Engine#check(String)} on the equivalent JSON request
 * (docs/ABI.md, "`ctp_check_charge`"), built here with Jackson, independently of the binding.
 */
class ChargeTest {
    static final String TOKEN = Samples.TOKEN;
    static final String OTHER = "krn:customer-token:eu1:some-other-token-0000";
    static final String[] TOKENS = {null, TOKEN, "krn:customer-token:us1:0f8fad5b-d9cb-469f-a165-70867728950e",
            "krn:customer-token:eu2:a1b2c3d4", "krn:partner:eu1:test:identity:customer-token:Zq3Lk8sPd0Xw2mN7aB4cE9fG1hJ6",
            "krn:customer-token:EU1:a1b2c3d4", TOKEN + " ", "krn:payment:eu1:transaction:6dfc8bd9-6f0e", "",
            "not-a-token", "krn:"};
    static final String[] KEYS = {null, "", "a b", "renewal-2026-11-sub-42", "k", "x".repeat(300), "é"};
    static final String[] SCOPES = {"payment:customer_present", "payment:customer_not_present", "customer:login",
            "payment:something_new", "openid"};
    static final long[] AMOUNTS = {0, 1, 1299, 49_999, 50_000, 50_001, 100_001, -5, 2_147_483_647L, 2_147_483_648L,
            Long.MAX_VALUE};
    static final String[] CURRENCIES = {"EUR", "eur", "SEK", "USD", "EU1", "E R", "XXX", "EU", "EURO", "", "€UR",
            "ÉUR", "\u0000UR", TOKEN};
    static final Instant BASE = Instant.parse("2025-11-25T10:00:00Z");
    static final String[] POLICIES = {"default", "strict", "interval", "attempts", "attempts-30d",
            "interval-attempts", "max-amount", "currencies", "regions-eu", "regions-none", "severity-deny",
            "severity-off", "limits-warn", "limits-off", "time-rules-off", "time-rules-warn"};
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private static final JsonNode CHECK_VECTORS = TestSupport.readVectors("check.json");
    private static final Map<String, Engine> ENGINES = new HashMap<>();

    /** A policy with {@code access} (rules 901-903) and a 24-hour attempt cap, for the caller cases. */
    static final String ACCESS_POLICY = "{\"max_attempts\":{\"per_24h\":3,\"per_30d\":5},\"access\":{"
            + "\"billing-renewals\":{\"scopes\":[\"payment:customer_not_present\"]},"
            + "\"checkout-web\":{\"scopes\":[\"payment:customer_present\"],\"tokenize\":true},"
            + "\"support-console\":{\"scopes\":[]}}}";
    static final String[] CALLERS = {"billing-renewals", "checkout-web", "support-console", "unknown-service", "",
            "x".repeat(300), "bad\u0001name", "é-service", TOKEN};

    static synchronized Engine engine(String policy) {
        return ENGINES.computeIfAbsent(policy, p -> Engine.create("access".equals(p) ? ACCESS_POLICY
                : TestSupport.write(CHECK_VECTORS.get("policies").get(p))));
    }

    @AfterAll
    static void closeEngines() {
        ENGINES.values().forEach(Engine::close);
    }

    // ------------------------------------------------------------------ the equivalent JSON

    static String json(Charge c, List<String> scopeOrder) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode req = f.objectNode();
        req.put("customer_present", c.customerPresent());
        ObjectNode headers = req.putObject("headers");
        if (c.token() != null) {
            headers.put("Klarna-Customer-Token", c.token());
        }
        if (c.idempotencyKey() != null) {
            headers.put("Klarna-Idempotency-Key", c.idempotencyKey());
        }
        ObjectNode body = req.putObject("body");
        body.put("currency", c.currency());
        body.putObject("request_payment_transaction").put("amount", c.amount());
        if (c.stepUp()) {
            body.putObject("step_up_config");
        }
        if (c.record() != null) {
            ObjectNode r = req.putObject("token_record");
            r.put("customer_token", c.record().customerToken());
            r.put("state", c.record().state().name());
            ArrayNode scopes = r.putArray("scopes");
            scopeOrder.forEach(scopes::add);
            if (c.record().lastUsedAt() != null) {
                r.put("last_used_at", RFC3339.format(c.record().lastUsedAt()));
            }
            if (c.record().attempts() != null) {
                ArrayNode attempts = r.putArray("attempts");
                c.record().attempts().forEach(t -> attempts.add(RFC3339.format(t)));
            }
        }
        if (c.now() != null) {
            req.put("now", RFC3339.format(c.now()));
        }
        if (c.attempts24h() != null || c.attempts30d() != null) {
            ObjectNode counters = req.putObject("counters");
            if (c.attempts24h() != null) {
                counters.put("attempts_24h", c.attempts24h());
            }
            if (c.attempts30d() != null) {
                counters.put("attempts_30d", c.attempts30d());
            }
        }
        if (c.caller() != null) {
            req.put("caller", c.caller());
        }
        return TestSupport.write(req);
    }

    static String json(Charge c) {
        return json(c, c.record() == null ? List.of() : c.record().scopes());
    }

    /** "ALLOW [ids] [ids]" / "DENY ..." / "ERROR status code path": what both paths must agree on. */
    static String outcomeOfCheck(Engine engine, String request, Charge c) {
        try {
            Decision d = engine.check(request);
            String fp = c.wantFingerprint() && d.token() != null ? " " + d.token().fingerprint() : "";
            return d.decision() + " " + d.violations().stream().map(Violation::id).toList() + " "
                    + d.warnings().stream().map(Violation::id).toList() + " " + d.codes() + " " + d.warningCodes() + fp;
        } catch (CtPolicyException e) {
            return error(e);
        }
    }

    /** The error as both paths must give it: status, code, path and (but for INVALID_UTF8) the message. */
    static String error(CtPolicyException e) {
        String message = "INVALID_UTF8".equals(e.status()) ? "" : " " + e.reason();
        return "ERROR " + e.status() + " " + e.code() + " " + e.path() + message;
    }

    static String outcomeOfCharge(Engine engine, Charge c) {
        try {
            Verdict v = engine.checkCharge(c);
            assertEquals(v.allowed(), v.violations().isEmpty());
            if (!c.wantFingerprint()) {
                assertTrue(v.fingerprint().isEmpty());
            }
            return v.decision() + " " + v.violations() + " " + v.warnings() + " " + v.codes() + " " + v.warningCodes()
                    + v.fingerprint().map(s -> " " + s).orElse("");
        } catch (CtPolicyException e) {
            return error(e);
        }
    }

    private static void assertAgree(String policy, Charge c, String what) {
        Engine engine = engine(policy);
        String request = json(c);
        String viaJson = outcomeOfCheck(engine, request, c);
        String typed = outcomeOfCharge(engine, c);
        assertEquals(viaJson, typed, what + " [" + policy + "] " + request);
    }

    // ------------------------------------------------------------------ hand-picked cases

    static Charge.Builder renewal() {
        return Charge.builder().customerPresent(false).token(TOKEN).idempotencyKey("renewal-2026-11-sub-42")
                .amount(1299).currency("EUR")
                .record(StoredRecord.active(TOKEN, "payment:customer_not_present")
                        .withLastUsedAt(Instant.parse("2025-10-25T10:00:00Z")))
                .now(BASE).attempts24h(0L).attempts30d(1L);
    }

    @Test
    void renewalIsAllowedWithFingerprint() {
        Verdict v = engine("strict").checkCharge(renewal().wantFingerprint(true).build());
        assertTrue(v.allowed(), v.toString());
        assertEquals(List.of(), v.violations());
        Decision d = engine("strict").check(json(renewal().build()));
        assertEquals(d.token().fingerprint(), v.fingerprint().orElseThrow());
        assertTrue(v.fingerprint().get().matches("sha256:[0-9a-f]{64}"));
        assertTrue(engine("strict").checkCharge(renewal().build()).fingerprint().isEmpty());
    }

    @Test
    void handPicked() {
        Map<String, Charge> cases = new java.util.LinkedHashMap<>();
        Charge base = renewal().build();
        cases.put("renewal", base);
        cases.put("revoked", base.toBuilder().record(new StoredRecord(TOKEN, StoredRecord.State.REVOKED,
                List.of("payment:customer_not_present"), null)).build());
        cases.put("step-up while not present", base.toBuilder().stepUp(true).build());
        cases.put("present without step-up", base.toBuilder().customerPresent(true).build());
        cases.put("present with matching scope", base.toBuilder().customerPresent(true).stepUp(true)
                .record(StoredRecord.active(TOKEN, "payment:customer_present")).build());
        cases.put("no token", base.toBuilder().token(null).build());
        cases.put("no token, no record", base.toBuilder().token(null).record(null).build());
        cases.put("no record", base.toBuilder().record(null).build());
        cases.put("empty token", base.toBuilder().token("").build());
        cases.put("malformed token", base.toBuilder().token("krn:customer-token:EU1:x").build());
        cases.put("wrong type", base.toBuilder().token("krn:payment:eu1:transaction:6dfc8bd9").build());
        cases.put("stored token differs", base.toBuilder().record(StoredRecord.active(OTHER,
                "payment:customer_not_present")).build());
        cases.put("stored token empty", base.toBuilder().record(StoredRecord.active("",
                "payment:customer_not_present")).build());
        cases.put("no scopes", base.toBuilder().record(StoredRecord.active(TOKEN)).build());
        cases.put("both payment scopes", base.toBuilder().record(StoredRecord.active(TOKEN,
                "payment:customer_present", "payment:customer_not_present")).build());
        cases.put("unknown scope", base.toBuilder().record(StoredRecord.active(TOKEN,
                "payment:customer_not_present", "openid")).build());
        cases.put("amount 0", base.toBuilder().amount(0).build());
        cases.put("amount 2^31", base.toBuilder().amount(2_147_483_648L).build());
        cases.put("amount over max", base.toBuilder().amount(50_001).build());
        cases.put("currency eur", base.toBuilder().currency("eur").build());
        cases.put("currency EU1", base.toBuilder().currency("EU1").build());
        cases.put("currency USD", base.toBuilder().currency("USD").build());
        cases.put("key absent", base.toBuilder().idempotencyKey(null).build());
        cases.put("key empty", base.toBuilder().idempotencyKey("").build());
        cases.put("key with space", base.toBuilder().idempotencyKey("a b").build());
        cases.put("charged too soon", base.toBuilder().record(base.record().withLastUsedAt(BASE.minusSeconds(60)))
                .build());
        cases.put("attempts reached", base.toBuilder().attempts24h(10L).build());
        cases.put("year 0001 and 9999", base.toBuilder().now(Instant.parse("9999-12-31T23:59:59.999Z"))
                .record(base.record().withLastUsedAt(Instant.parse("0001-01-01T00:00:00Z"))).build());
        cases.put("currency EU", base.toBuilder().currency("EU").build());
        cases.put("currency EURO", base.toBuilder().currency("EURO").build());
        cases.put("currency empty", base.toBuilder().currency("").build());
        cases.put("currency non-ASCII", base.toBuilder().currency("€UR").build());
        cases.put("token as currency", base.toBuilder().currency(TOKEN).build());
        cases.put("repeated scope", base.toBuilder().record(StoredRecord.active(TOKEN,
                "payment:customer_not_present", "payment:customer_not_present")).build());
        cases.put("scopes in another order", base.toBuilder().record(StoredRecord.active(TOKEN,
                "openid", "payment:customer_not_present")).build());
        cases.put("sub-millisecond now", base.toBuilder().now(BASE.plusNanos(1_999_999)).build());
        for (String policy : POLICIES) {
            cases.forEach((name, c) -> assertAgree(policy, c, name));
        }
        Engine strict = engine("strict");
        assertEquals(List.of(203), strict.checkCharge(cases.get("revoked")).violations());
        assertEquals(List.of("STEP_UP_NOT_ALLOWED"), strict.checkCharge(cases.get("step-up while not present")).codes());
        assertEquals(List.of(602), strict.checkCharge(cases.get("amount 2^31")).violations());
        assertEquals(List.of(ReasonCode.CURRENCY_INVALID),
                strict.checkCharge(cases.get("currency EU1")).violationReasons());
        assertTrue(strict.checkCharge(cases.get("unknown scope")).hasWarning(ReasonCode.UNKNOWN_SCOPE));
        assertTrue(strict.checkCharge(cases.get("charged too soon")).hasViolation(ReasonCode.CHARGE_TOO_SOON));
        assertEquals(List.of(804), strict.checkCharge(cases.get("attempts reached")).violations());
    }

    @Test
    void undecidableIsInvalidRequestLikeCheck() {
        Engine interval = engine("interval");
        Charge noNow = renewal().now(null).build();
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> interval.checkCharge(noNow));
        assertEquals("NEEDED_BY_RULE", e.code());
        assertEquals("INVALID_REQUEST", e.status());
        InvalidRequestException viaJson = assertThrows(InvalidRequestException.class, () -> interval.check(json(noNow)));
        assertEquals(viaJson.getMessage(), e.getMessage());
        Engine attempts = engine("attempts");
        Charge noCounter = renewal().attempts30d(null).build();
        assertEquals("NEEDED_BY_RULE",
                assertThrows(InvalidRequestException.class, () -> attempts.checkCharge(noCounter)).code());
        Charge negative = renewal().attempts24h(-1L).build();
        InvalidRequestException neg = assertThrows(InvalidRequestException.class,
                () -> engine("default").checkCharge(negative));
        assertEquals("INVALID_VALUE", neg.code());
        assertFalse(neg.getMessage().contains(TOKEN));
    }

    @Test
    void theCoreJudgesEveryValue() {
        assertThrows(NullPointerException.class, () -> Charge.builder().build());
        Engine strict = engine("strict");
        for (String bad : new String[] {"EURO", "EU", "", "€UR", "ÉUR"}) {
            Verdict v = strict.checkCharge(renewal().currency(bad).build()); // the constructor does not throw
            assertEquals(List.of("CURRENCY_INVALID"), v.codes(), bad);
        }
        for (Instant far : new Instant[] {Instant.parse("0000-12-31T23:59:59.999Z"), Instant.MAX, Instant.MIN,
                Instant.parse("+10000-01-01T00:00:00Z")}) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                    () -> strict.checkCharge(renewal().now(far).build()), far.toString());
            assertEquals("/now", e.path(), e.getMessage());
        }
        // A last_used_at beyond year 9999: whatever the JSON path says, the typed path says too.
        for (String policy : POLICIES) {
            assertAgree(policy, renewal().record(StoredRecord.active(TOKEN, "payment:customer_not_present")
                    .withLastUsedAt(Instant.parse("+10000-01-01T00:00:00Z"))).build(), "last_used_at year 10000");
        }
        InvalidRequestException surrogate = assertThrows(InvalidRequestException.class,
                () -> strict.checkCharge(renewal().token(TOKEN + "\uD800").build()));
        assertEquals("INVALID_UTF8", surrogate.status());
        assertFalse(surrogate.getMessage().contains(TOKEN));
        assertThrows(NullPointerException.class,
                () -> new StoredRecord(null, StoredRecord.State.ACTIVE, List.of(), null));
        assertThrows(NullPointerException.class, () -> engine("default").checkCharge(null));
        Engine closed = Engine.create();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.checkCharge(renewal().build()));
    }

    @Test
    void toStringNeverPrintsTheToken() {
        Charge c = renewal().wantFingerprint(true).build();
        assertFalse(c.toString().contains(TOKEN), c.toString());
        assertFalse(c.toString().contains("a1b2c3d4"), c.toString());
        assertFalse(c.record().toString().contains("a1b2c3d4"), c.record().toString());
        Verdict v = engine("default").checkCharge(c);
        assertFalse(v.toString().contains("a1b2c3d4"), v.toString());
        assertTrue(v.toString().contains("sha256:"), v.toString());
        assertTrue(c.toString().contains("<redacted>"));
    }

    @Test
    void callerAndRecordAttemptsAgree() {
        Charge base = renewal().attempts24h(null).attempts30d(null).build();
        List<Instant> recent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            recent.add(BASE.minusSeconds(3600L * (i + 1)));
        }
        List<List<Instant>> lists = List.of(List.of(), recent, recent.subList(0, 2),
                List.of(BASE.plusSeconds(60), BASE.minusSeconds(86_400), BASE.minusSeconds(86_399)),
                List.of(BASE.minusSeconds(20 * 86_400L), BASE.minusSeconds(25 * 86_400L), BASE.minusSeconds(29 * 86_400L),
                        BASE.minusSeconds(31 * 86_400L), BASE.minusSeconds(2 * 86_400L)));
        for (String policy : List.of("default", "attempts", "interval-attempts", "access")) {
            for (String caller : new String[] {null, "billing-renewals", "checkout-web", "support-console", "nobody", ""}) {
                assertAgree(policy, base.toBuilder().caller(caller).build(), "caller " + caller);
                for (List<Instant> attempts : lists) {
                    Charge c = base.toBuilder().caller(caller).record(base.record().withAttempts(attempts)).build();
                    assertAgree(policy, c, "attempts " + attempts.size());
                    assertAgree(policy, c.toBuilder().attempts24h(0L).attempts30d(0L).build(), "counters win");
                    assertAgree(policy, c.toBuilder().now(null).build(), "no now");
                    assertAgree(policy, c.toBuilder().customerPresent(true).stepUp(true).build(), "present");
                }
            }
        }
        // The cap holds with the record's attempts alone, and lets go a day later.
        Charge capped = base.toBuilder().caller("billing-renewals").record(base.record().withAttempts(recent)).build();
        Verdict v = engine("access").checkCharge(capped);
        assertEquals(List.of(804), v.violations(), v.toString());
        assertTrue(engine("access").checkCharge(capped.toBuilder().now(BASE.plusSeconds(86_400)).build()).allowed());
        assertEquals(List.of(901), engine("access").checkCharge(base.toBuilder().caller("nobody").build()).violations());
        assertFalse(capped.toString().contains(TOKEN));
        assertFalse(base.toBuilder().caller(TOKEN).build().toString().contains("a1b2c3d4"));
    }

    // ------------------------------------------------------------------ generated cases

    record Generated(String policy, Charge charge, List<String> scopeOrder) {
    }

    static List<Generated> generate(long seed, int count) {
        Random rnd = new Random(seed);
        Random extra = new Random(seed + 1);
        List<Generated> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String policy = POLICIES[rnd.nextInt(POLICIES.length)];
            // A charge most policies allow, then each field replaced at random with probability 1/4.
            boolean present = rnd.nextBoolean();
            boolean wild = rnd.nextInt(4) == 0;
            String token = wild || rnd.nextInt(4) == 0 ? TOKENS[rnd.nextInt(TOKENS.length)] : TOKEN;
            Charge.Builder b = Charge.builder().customerPresent(present).token(token)
                    .idempotencyKey(wild || rnd.nextInt(4) == 0 ? KEYS[rnd.nextInt(KEYS.length)] : "renewal-42")
                    .stepUp(wild || rnd.nextInt(4) == 0 ? rnd.nextBoolean() : present)
                    .amount(wild || rnd.nextInt(4) == 0 ? AMOUNTS[rnd.nextInt(AMOUNTS.length)] : 1299)
                    .currency(wild || rnd.nextInt(4) == 0 ? CURRENCIES[rnd.nextInt(CURRENCIES.length)] : "EUR")
                    .wantFingerprint(rnd.nextBoolean());
            List<String> order = new ArrayList<>();
            int kind = wild || rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 1;
            if (kind > 0) {
                int bits = rnd.nextInt(32);
                if (!wild && rnd.nextInt(4) > 0) {
                    bits = (bits & ~3) | (present ? 1 : 2);
                }
                for (int s = 0; s < SCOPES.length; s++) {
                    if ((bits & (1 << s)) != 0) {
                        order.add(SCOPES[s]);
                    }
                }
                if (wild && !order.isEmpty() && rnd.nextInt(3) == 0) {
                    order.add(order.get(rnd.nextInt(order.size()))); // a repeated scope: rule 204
                }
                Collections.shuffle(order, rnd);
                String stored = !wild && rnd.nextInt(4) > 0 ? (token == null ? TOKEN : token) : switch (rnd.nextInt(3)) {
                    case 0 -> OTHER;
                    case 1 -> "";
                    default -> token == null ? TOKEN : token;
                };
                Instant last = rnd.nextInt(3) == 0 ? null
                        : BASE.minusSeconds(rnd.nextInt(200_000)).plusMillis(rnd.nextInt(1000));
                b.record(new StoredRecord(stored, kind == 1 ? StoredRecord.State.ACTIVE : StoredRecord.State.REVOKED,
                        order, last));
            }
            if (rnd.nextInt(6) > 0) {
                Instant now = BASE.plusSeconds(rnd.nextInt(100_000) - 50_000);
                if (rnd.nextInt(5) == 0) {
                    now = now.plusNanos(rnd.nextInt(1_000_000_000));
                }
                b.now(now);
            }
            if (rnd.nextInt(6) > 0) {
                b.attempts24h(rnd.nextInt(40) == 0 ? -1L : (long) rnd.nextInt(14));
            }
            if (rnd.nextInt(6) > 0) {
                b.attempts30d((long) rnd.nextInt(40));
            }
            // Caller and the record's attempts, from a second generator so that the draws above
            // stay what they were before these fields existed.
            if (extra.nextInt(3) == 0) {
                b.caller(CALLERS[extra.nextInt(CALLERS.length)]);
            }
            if (extra.nextInt(8) == 0) {
                policy = "access";
            }
            if (kind > 0 && extra.nextInt(3) > 0) {
                List<Instant> attempts = new ArrayList<>();
                int n = extra.nextInt(8);
                for (int k = 0; k < n; k++) {
                    attempts.add(BASE.minusSeconds(extra.nextInt(3_000_000) - 100_000).plusMillis(extra.nextInt(1000)));
                }
                Charge built = b.build();
                b.record(built.record().withAttempts(attempts));
                if (extra.nextInt(2) == 0) {
                    b.attempts24h(null).attempts30d(null);
                }
            }
            out.add(new Generated(policy, b.build(), order));
        }
        return out;
    }

    @Test
    void generatedChargesAgreeWithCheck() {
        List<Generated> cases = generate(20261125L, 2000);
        List<String> mismatches = new ArrayList<>();
        Set<String> outcomes = new TreeSet<>();
        Set<Integer> ids = new TreeSet<>();
        int allowed = 0;
        int errors = 0;
        for (Generated g : cases) {
            Engine engine = engine(g.policy());
            String request = json(g.charge(), g.scopeOrder());
            String viaJson = outcomeOfCheck(engine, request, g.charge());
            String typed = outcomeOfCharge(engine, g.charge());
            if (!viaJson.equals(typed)) {
                mismatches.add("[" + g.policy() + "] " + request + "\n   check:       " + viaJson
                        + "\n   checkCharge: " + typed);
            }
            outcomes.add(viaJson.split(" ")[0]);
            allowed += viaJson.startsWith("ALLOW") ? 1 : 0;
            errors += viaJson.startsWith("ERROR") ? 1 : 0;
            if (!viaJson.startsWith("ERROR")) {
                for (String part : viaJson.replaceAll("sha256:\\S+", "").replaceAll("[A-Z_]+", "")
                        .replaceAll("[^0-9 ]", " ").trim().split("\\s+")) {
                    if (!part.isEmpty()) {
                        ids.add(Integer.parseInt(part));
                    }
                }
            }
        }
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + cases.size() + " disagree:\n"
                + String.join("\n", mismatches.subList(0, Math.min(10, mismatches.size()))));
        System.out.printf("ChargeTest: %d generated charges agree: %d ALLOW, %d DENY, %d could not decide; rule ids %s%n",
                cases.size(), allowed, cases.size() - allowed - errors, errors, ids);
        // The generator reaches every kind of outcome and most of the typed path's rules.
        assertEquals(Set.of("ALLOW", "DENY", "ERROR"), outcomes);
        assertTrue(allowed >= 10 && errors >= 10, "allowed " + allowed + ", errors " + errors);
        assertTrue(ids.size() >= 18, "rule ids seen: " + ids);
    }

    @Test
    void sixteenThreads() throws Exception {
        List<Generated> cases = generate(42L, 300);
        List<String> expected = new ArrayList<>();
        for (Generated g : cases) {
            expected.add(outcomeOfCharge(engine(g.policy()), g.charge()));
        }
        int threads = 16;
        CountDownLatch start = new CountDownLatch(threads);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                Callable<Integer> worker = () -> {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < cases.size(); i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(seed));
                    start.countDown();
                    start.await();
                    int bad = 0;
                    for (int round = 0; round < 5; round++) {
                        for (int i : order) {
                            Generated g = cases.get(i);
                            if (!expected.get(i).equals(outcomeOfCharge(engine(g.policy()), g.charge()))) {
                                bad++;
                            }
                        }
                    }
                    return bad;
                };
                futures.add(pool.submit(worker));
            }
            int bad = 0;
            for (Future<Integer> f : futures) {
                bad += f.get();
            }
            assertEquals(0, bad, "results that differ from the single-threaded run");
        }
        assertNotNull(expected);
    }
}
