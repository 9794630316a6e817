//! Properties that must hold for every input, not just the vectors.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Map, Value};

use ctpolicy::TokenState;
use ctpolicy::{apply_event, Charge, Engine, ScopeSet, StoredRecord};

mod support;
use support::timestamp;

const POLICIES: &[&str] = &[
    "{}",
    r#"{"allowed_regions":["eu1"],"allowed_currencies":["EUR","SEK"],"max_amount":{"payment:customer_not_present":{"EUR":50000},"payment:customer_present":{"SEK":1000}}}"#,
    r#"{"min_charge_interval_seconds":86400,"max_attempts":{"per_24h":3,"per_30d":10},"severity":{"IDEMPOTENCY_KEY_MISSING":"deny","STEP_UP_RECOMMENDED":"off","UNKNOWN_SCOPE":"deny"}}"#,
    r#"{"max_attempts":{"per_30d":2},"severity":{"CHARGE_TOO_SOON":"warn","AMOUNT_LIMIT_EXCEEDED":"off","CURRENCY_NOT_ALLOWED":"warn"},"allowed_currencies":[]}"#,
    r#"{"max_attempts":{"per_24h":2,"per_30d":5},"access":{"billing":{"scopes":["payment:customer_not_present"]},"checkout":{"scopes":["payment:customer_present"],"tokenize":true},"support":{"scopes":[]}}}"#,
    r#"{"access":{},"max_attempts":{"per_24h":1}}"#,
];

/// Callers a typed charge may name: known to some policies, unknown, and
/// two that are not caller names at all (an envelope fault on both paths).
const CALLERS: &[&str] = &["billing", "checkout", "support", "nobody", "", "tab\there"];

fn engines() -> Vec<Engine> {
    POLICIES.iter().map(|p| Engine::from_policy_json(p.as_bytes()).unwrap()).collect()
}

/// A token id unlikely to appear anywhere by chance.
const SECRET_ID: &str = "Zq7SecretTokenId9xW";

fn tokens() -> Vec<Option<String>> {
    vec![
        None,
        Some(format!("krn:customer-token:eu1:{SECRET_ID}")),
        Some(format!("krn:customer-token:us1:{SECRET_ID}")),
        Some(format!("krn:partner:eu1:test:identity:customer-token:{SECRET_ID}")),
        Some(format!("krn:customer-token:EU1:{SECRET_ID}")),
        Some(format!("krn:customer-token:eu1:{SECRET_ID} ")),
        Some(format!("krn:payment:eu1:klarna-network-session-token:{SECRET_ID}")),
        Some(String::new()),
        Some(format!("{SECRET_ID}-not-a-krn")),
    ]
}

#[derive(Debug, Clone)]
struct ChargeCase {
    policy: usize,
    customer_present: bool,
    token: usize,
    record: Option<(bool, u32, bool, Option<i64>)>, // revoked, scopes, same token, last used
    key: Option<&'static str>,
    step_up: bool,
    amount: i64,
    currency: &'static str,
    now: Option<i64>,
    attempts: (Option<i64>, Option<i64>),
    caller: Option<usize>,
    /// The record's `attempts`, milliseconds since the Unix epoch.
    record_attempts: Option<Vec<i64>>,
}

fn charge_case() -> impl Strategy<Value = ChargeCase> {
    let base_ms = 1_764_064_800_000i64; // 2025-11-25T10:00:00Z
    (
        0..POLICIES.len(),
        any::<bool>(),
        0..tokens().len(),
        proptest::option::of((
            any::<bool>(),
            0u32..16,
            any::<bool>(),
            proptest::option::of(-200_000_000i64..100_000_000),
        )),
        proptest::option::of(prop::sample::select(vec!["renewal-42", "", "has space", "k"])),
        any::<bool>(),
        prop::sample::select(vec![1i64, 1299, 49_999, 50_000, 50_001, 0, -5, 2_147_483_647, 2_147_483_648]),
        prop::sample::select(vec!["EUR", "eur", "SEK", "USD", "EU1", "E R"]),
        proptest::option::of(-100_000_000i64..100_000_000),
        (proptest::option::of(0i64..12), proptest::option::of(0i64..40)),
        proptest::option::of(0..CALLERS.len()),
        // Around now: inside and outside both windows, on their edges, later than now.
        proptest::option::of(proptest::collection::vec(
            prop::sample::select(vec![
                0i64,
                -1,
                -86_400_000,
                -86_399_999,
                -86_400_001,
                -2_592_000_000,
                -2_591_999_999,
                -5_000_000_000,
                3_600_000,
                -7_200_000,
            ]),
            0..6,
        )),
    )
        .prop_map(
            move |(
                policy,
                customer_present,
                token,
                record,
                key,
                step_up,
                amount,
                currency,
                now,
                attempts,
                caller,
                record_attempts,
            )| {
                let now = now.map(|d| base_ms + d);
                let anchor = now.unwrap_or(base_ms);
                ChargeCase {
                    policy,
                    customer_present,
                    token,
                    record: record
                        .map(|(revoked, scopes, same, last)| (revoked, scopes, same, last.map(|d| base_ms + d))),
                    key,
                    step_up,
                    amount,
                    currency,
                    now,
                    attempts,
                    caller,
                    record_attempts: record_attempts
                        .map(|offsets| offsets.into_iter().map(|offset| anchor + offset).collect()),
                }
            },
        )
}

const OTHER_TOKEN: &str = "krn:customer-token:eu1:some-other-token";

/// The JSON request that says exactly what the typed charge says (docs/ABI.md).
fn equivalent_json(case: &ChargeCase) -> Value {
    let tokens = tokens();
    let mut headers = Map::new();
    if let Some(token) = &tokens[case.token] {
        headers.insert("Klarna-Customer-Token".into(), json!(token));
    }
    if let Some(key) = case.key {
        headers.insert("Klarna-Idempotency-Key".into(), json!(key));
    }
    let mut body = Map::new();
    body.insert("currency".into(), json!(case.currency));
    body.insert("request_payment_transaction".into(), json!({"amount": case.amount}));
    if case.step_up {
        body.insert("step_up_config".into(), json!({}));
    }
    let mut request = Map::new();
    request.insert("customer_present".into(), json!(case.customer_present));
    request.insert("headers".into(), Value::Object(headers));
    request.insert("body".into(), Value::Object(body));
    if let Some((revoked, scopes, same, last)) = case.record {
        let stored = if same { tokens[case.token].clone().unwrap_or_default() } else { OTHER_TOKEN.to_owned() };
        let mut names = Vec::new();
        for (bit, name) in [
            (ScopeSet::CUSTOMER_PRESENT, "payment:customer_present"),
            (ScopeSet::CUSTOMER_NOT_PRESENT, "payment:customer_not_present"),
            (ScopeSet::CUSTOMER_LOGIN, "customer:login"),
            (ScopeSet::UNKNOWN, "payment:something_new"),
        ] {
            if scopes & bit != 0 {
                names.push(name);
            }
        }
        let mut record =
            json!({"customer_token": stored, "scopes": names, "state": if revoked { "REVOKED" } else { "ACTIVE" }});
        if let Some(last) = last {
            record["last_used_at"] = json!(timestamp(last));
        }
        if let Some(attempts) = &case.record_attempts {
            record["attempts"] = json!(attempts.iter().map(|ms| timestamp(*ms)).collect::<Vec<_>>());
        }
        request.insert("token_record".into(), record);
    }
    if let Some(now) = case.now {
        request.insert("now".into(), json!(timestamp(now)));
    }
    let mut counters = Map::new();
    if let Some(n) = case.attempts.0 {
        counters.insert("attempts_24h".into(), json!(n));
    }
    if let Some(n) = case.attempts.1 {
        counters.insert("attempts_30d".into(), json!(n));
    }
    if !counters.is_empty() {
        request.insert("counters".into(), Value::Object(counters));
    }
    if let Some(caller) = case.caller {
        request.insert("caller".into(), json!(CALLERS[caller]));
    }
    Value::Object(request)
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array().unwrap().iter().map(|v| v["id"].as_u64().unwrap()).collect()
}

/// Reverses the key order of every object except `headers` (whose order
/// decides which of two case-twins is read, rule 703).
fn reversed(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if key != "headers" {
                entries.reverse();
            }
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), reversed(v, k))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| reversed(v, "")).collect()),
        other => other.clone(),
    }
}

fn decide(engine: &Engine, request: &[u8]) -> Value {
    match engine.check_json(request) {
        Ok(decision) => serde_json::from_str(&engine.decision_json(&decision)).unwrap(),
        Err(error) => serde_json::from_str(&error.to_json()).unwrap(),
    }
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-zA-Z0-9 :/_\\-\u{e9}\u{1F600}\"\\\\]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn typed_and_json_paths_agree(case in charge_case()) {
        let engine = &engines()[case.policy];
        let tokens = tokens();
        let stored = case.record.map(|(_, _, same, _)| {
            if same { tokens[case.token].clone().unwrap_or_default() } else { OTHER_TOKEN.to_owned() }
        });
        let caller = case.caller.map(|index| CALLERS[index].to_owned());
        let charge = Charge {
            customer_present: case.customer_present,
            token: tokens[case.token].as_deref().map(str::as_bytes),
            idempotency_key: case.key.map(str::as_bytes),
            step_up: case.step_up,
            amount: case.amount,
            currency: case.currency.as_bytes(),
            record: case.record.map(|(revoked, scopes, _, last)| StoredRecord {
                customer_token: stored.as_deref().unwrap().as_bytes(),
                state: if revoked { TokenState::Revoked } else { TokenState::Active },
                scopes: ScopeSet(scopes),
                last_used_at_ms: last,
                attempts_ms: case.record_attempts.as_deref(),
            }),
            now_ms: case.now,
            attempts_24h: case.attempts.0,
            attempts_30d: case.attempts.1,
            caller: caller.as_deref().map(str::as_bytes),
        };
        let request = equivalent_json(&case);
        let json_answer = decide(engine, request.to_string().as_bytes());
        match engine.check_charge(&charge, true) {
            Ok(verdict) => {
                prop_assert!(json_answer.get("error").is_none(), "typed decided, JSON failed: {json_answer}");
                let typed_violations: Vec<u64> = verdict.violations.ids().map(u64::from).collect();
                let typed_warnings: Vec<u64> = verdict.warnings.ids().map(u64::from).collect();
                prop_assert_eq!(typed_violations, ids(&json_answer["violations"]), "{}", request);
                prop_assert_eq!(typed_warnings, ids(&json_answer["warnings"]), "{}", request);
                prop_assert_eq!(verdict.allowed(), json_answer["decision"] == "ALLOW");
                let fingerprint = verdict.fingerprint.map(|f| format!("sha256:{}", f.iter().map(|b| format!("{b:02x}")).collect::<String>()));
                prop_assert_eq!(fingerprint.as_deref(), json_answer["token"]["fingerprint"].as_str());
            }
            Err(error) => {
                let error: Value = serde_json::from_str(&error.to_error().to_json()).unwrap();
                prop_assert_eq!(&json_answer, &error, "{}", request);
            }
        }
    }

    #[test]
    fn decisions_are_deterministic_and_ignore_key_order(case in charge_case(), extra in json_value()) {
        let engine = &engines()[case.policy];
        let mut request = equivalent_json(&case);
        request["body"]["merchant_data"] = extra;
        let text = request.to_string();
        let first = decide(engine, text.as_bytes());
        prop_assert_eq!(&first, &decide(engine, text.as_bytes()));
        prop_assert_eq!(&first, &decide(engine, reversed(&request, "").to_string().as_bytes()));
    }

    #[test]
    fn unrelated_fields_never_change_a_decision(case in charge_case(), extra in json_value(), name in "x_[a-z]{1,6}") {
        let engine = &engines()[case.policy];
        let request = equivalent_json(&case);
        let before = decide(engine, request.to_string().as_bytes());
        let mut widened = request.clone();
        widened["body"][name.as_str()] = extra.clone();
        if widened.get("token_record").is_some() {
            widened["token_record"][name.as_str()] = extra;
        }
        let after = decide(engine, widened.to_string().as_bytes());
        prop_assert_eq!(&before["decision"], &after["decision"]);
        prop_assert_eq!(&before["violations"], &after["violations"]);
        prop_assert_eq!(&before["warnings"], &after["warnings"]);
        prop_assert_eq!(&before["error"], &after["error"]);
    }

    #[test]
    fn the_raw_token_never_appears_in_any_output(case in charge_case(), garbage in prop::collection::vec(any::<u8>(), 0..40)) {
        let engine = &engines()[case.policy];
        let request = equivalent_json(&case).to_string();
        let mut corrupted = request.clone().into_bytes();
        let cut = garbage.len().min(corrupted.len());
        corrupted.truncate(corrupted.len() - cut);
        corrupted.extend_from_slice(&garbage);
        for input in [request.as_bytes(), corrupted.as_slice()] {
            let texts = match engine.check_json(input) {
                Ok(decision) => vec![engine.decision_json(&decision), format!("{decision:?}")],
                Err(error) => vec![error.to_json(), format!("{error:?}"), error.to_string()],
            };
            for text in texts {
                prop_assert!(!text.contains(SECRET_ID), "{}", text);
            }
        }
        if let Some(token) = &tokens()[case.token] {
            let parsed = ctpolicy::token::parse_token_json(token.as_bytes());
            let text = match parsed { Ok(info) => info, Err(error) => format!("{} {error:?} {error}", error.to_json()) };
            prop_assert!(!text.contains(SECRET_ID), "{}", text);
        }
    }

    #[test]
    fn check_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for engine in engines() {
            let _ = engine.check_json(&bytes);
        }
        let _ = ctpolicy::parse_token(&bytes);
        let _ = apply_event(Some(&bytes), &bytes);
        let _ = ctpolicy::Policy::from_json(&bytes);
    }

    #[test]
    fn check_never_panics_on_any_json_shape(value in json_value(), customer_present in any::<bool>()) {
        let engine = &engines()[1];
        for request in [
            json!({"customer_present": customer_present, "body": value.clone()}),
            json!({"customer_present": customer_present, "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a"}, "token_record": value.clone(), "body": {"step_up_config": value.clone(), "request_customer_token": value.clone(), "request_payment_transaction": value.clone(), "supplementary_purchase_data": value.clone()}}),
            value.clone(),
        ] {
            let _ = decide(engine, request.to_string().as_bytes());
        }
    }

    #[test]
    fn revoked_is_never_left(events in prop::collection::vec((0usize..3, 0i64..1_000_000, 0usize..3), 1..8)) {
        let mut record = json!({"customer_token": "krn:customer-token:eu1:abc", "scopes": ["payment:customer_not_present"],
                               "state": "REVOKED", "revoked_at": "2026-01-01T00:00:00Z", "revoked_by": "KLARNA", "note": {"keep": [1.50]}}).to_string();
        for (kind, offset, by) in events {
            let at = timestamp(1_700_000_000_000 + offset * 1000);
            let kind = ["TOKENIZED", "CHARGED", "REVOKED"][kind];
            let by = ["CUSTOMER", "PARTNER", "KLARNA"][by];
            let event = json!({"type": kind, "at": at, "by": by});
            if let Ok(transition) = apply_event(Some(record.as_bytes()), event.to_string().as_bytes()) {
                let out: Value = serde_json::from_str(transition.json()).unwrap();
                prop_assert_eq!(&out["record"]["state"], "REVOKED");
                prop_assert_eq!(&out["changed"], false);
                prop_assert_eq!(&out["record"]["note"], &json!({"keep": [1.5]}), "unknown fields are carried through");
                record = out["record"].to_string();
            }
        }
    }

    #[test]
    fn the_json_reader_agrees_with_serde_json(value in json_value()) {
        let text = value.to_string();
        let arena = ctpolicy::internals::Arena::new();
        let ours = ctpolicy::internals::parse(text.as_bytes(), &arena).expect("serde_json's output is valid JSON without duplicates");
        let mut written = String::new();
        ctpolicy::internals::write_value(&mut written, &ours);
        let reread: Value = serde_json::from_str(&written).unwrap();
        prop_assert_eq!(reread, value);
    }

    #[test]
    fn what_the_json_reader_accepts_serde_json_accepts(text in "[\\[\\]{}\",:0-9a-z.eE+\\- \\\\]{0,24}") {
        let arena = ctpolicy::internals::Arena::new();
        if let Ok(ours) = ctpolicy::internals::parse(text.as_bytes(), &arena) {
            let theirs: Result<Value, _> = serde_json::from_str(&text);
            prop_assert!(theirs.is_ok(), "we accepted {:?} but serde_json did not", text);
            let mut written = String::new();
            ctpolicy::internals::write_value(&mut written, &ours);
            prop_assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), theirs.unwrap());
        }
    }
}

#[test]
fn one_engine_sixteen_threads_one_million_checks() {
    // Every answer of every thread must equal, byte for byte, the
    // single-threaded answer for the same request.
    let engine = std::sync::Arc::new(Engine::from_policy_json(POLICIES[1].as_bytes()).unwrap());
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let renewal = ChargeCase {
        policy: 1,
        customer_present: false,
        token: 1,
        record: Some((false, ScopeSet::CUSTOMER_NOT_PRESENT, true, None)),
        key: Some("renewal-42"),
        step_up: false,
        amount: 1299,
        currency: "EUR",
        now: None,
        attempts: (None, None),
        caller: None,
        record_attempts: None,
    };
    let mut requests: Vec<String> =
        (0..63).map(|_| equivalent_json(&charge_case().new_tree(&mut runner).unwrap().current()).to_string()).collect();
    requests.push(equivalent_json(&renewal).to_string());
    let expected: Vec<String> = requests
        .iter()
        .map(|request| {
            let mut out = String::new();
            let _ = engine.check_line_into(request.as_bytes(), &mut out);
            out
        })
        .collect();
    assert!(expected.iter().any(|e| e.contains("\"ALLOW\"")) && expected.iter().any(|e| e.contains("\"DENY\"")));
    let per_thread = 1_000_000 / 16;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (engine, requests, expected) = (engine.clone(), requests.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut out = String::new();
                let mut mismatches = 0usize;
                for i in 0..per_thread {
                    let index = (i * 7 + t) % requests.len();
                    out.clear();
                    let _ = engine.check_line_into(requests[index].as_bytes(), &mut out);
                    mismatches += usize::from(out != expected[index]);
                }
                mismatches
            })
        })
        .collect();
    let mismatches: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(mismatches, 0, "answers under 16 threads differ from the single-threaded ones");
}
