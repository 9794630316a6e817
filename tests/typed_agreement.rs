//! `ctp_check_charge` decides exactly as `ctp_check_json` decides the
//! equivalent request (docs/ABI.md writes the equivalence out): the same
//! verdict, or the same status and error object. Charges are generated
//! with the faults a binding could pass on: currencies of any length,
//! strings that are not UTF-8, negative counters, timestamps no RFC 3339
//! text can write, policies that need a missing `now` or counter.

use std::ptr;

use proptest::prelude::*;

use ctpolicy::ffi::*;

mod support;
use support::{take, timestamp};

const POLICIES: &[&str] = &[
    "{}",
    r#"{"allowed_regions":["eu1"],"allowed_currencies":["EUR","SEK"],"max_amount":{"payment:customer_not_present":{"EUR":50000}}}"#,
    r#"{"min_charge_interval_seconds":86400,"max_attempts":{"per_24h":3,"per_30d":10},"severity":{"IDEMPOTENCY_KEY_MISSING":"deny","UNKNOWN_SCOPE":"deny"}}"#,
];

const TOKENS: &[&[u8]] = &[
    b"krn:customer-token:eu1:Zq7SecretTokenId9xW",
    b"krn:customer-token:us1:Zq7SecretTokenId9xW",
    b"krn:payment:eu1:klarna-network-session-token:abc",
    b"",
    b"krn:customer-token:eu1:Zq7\xff",
    b"krn:customer-token:eu1:\xc3",
];

const CURRENCIES: &[&[u8]] = &[b"EUR", b"eur", b"SEK", b"EU", b"EURO", b"", b"E R", b"E\xffR", b"\xc3\xa9UR"];
const KEYS: &[&[u8]] = &[b"renewal-42", b"", b"has space", b"k\xff"];
const SCOPE_NAMES: &[&[u8]] = &[
    b"payment:customer_present",
    b"payment:customer_not_present",
    b"customer:login",
    b"payment:something_new",
    b"x\xff",
];

/// Milliseconds from a base, and the edges of what RFC 3339 can write.
fn instant() -> impl Strategy<Value = i64> {
    let base = 1_764_064_800_000i64;
    prop_oneof![
        4 => (-200_000_000i64..100_000_000).prop_map(move |d| base + d),
        1 => prop::sample::select(vec![
            -62_135_596_800_000i64,  // 0001-01-01T00:00:00Z
            -62_135_596_800_001,     // one millisecond earlier
            253_402_300_799_999,     // 9999-12-31T23:59:59.999Z
            253_402_300_800_000,     // 10000-01-01
            i64::MIN,
            i64::MAX,
        ]),
    ]
}

/// A stored record: revoked, scope indices into SCOPE_NAMES, the token
/// (an index into TOKENS; None: the header's), the last use.
type Record = (bool, Vec<usize>, Option<usize>, Option<i64>);

#[derive(Debug, Clone)]
struct Case {
    policy: usize,
    customer_present: bool,
    token: Option<usize>,
    key: Option<usize>,
    step_up: bool,
    currency: usize,
    amount: i64,
    record: Option<Record>,
    now: Option<i64>,
    attempts: (Option<i64>, Option<i64>),
}

fn case() -> impl Strategy<Value = Case> {
    (
        (0..POLICIES.len(), any::<bool>(), proptest::option::of(0..TOKENS.len()), proptest::option::of(0..KEYS.len())),
        (any::<bool>(), 0..CURRENCIES.len()),
        prop::sample::select(vec![1i64, 1299, 50_001, 0, -5, 2_147_483_647, 2_147_483_648, i64::MIN]),
        proptest::option::of((
            any::<bool>(),
            prop_oneof![
                3 => prop::sample::select(vec![vec![1usize], vec![0], vec![1, 2], vec![1, 3], vec![0, 1], vec![]]),
                2 => prop::collection::vec(prop_oneof![8 => 0..4usize, 1 => Just(4usize)], 0..4),
            ],
            proptest::option::of(0..TOKENS.len()),
            proptest::option::of(instant()),
        )),
        proptest::option::of(instant()),
        (proptest::option::of(-2i64..12), proptest::option::of(-2i64..40)),
    )
        .prop_map(
            |((policy, customer_present, token, key), (step_up, currency), amount, record, now, attempts)| Case {
                policy,
                customer_present,
                token,
                key,
                step_up,
                currency,
                amount,
                record,
                now,
                attempts,
            },
        )
}

fn record_token(case: &Case) -> Option<&'static [u8]> {
    let (_, _, token, _) = case.record.as_ref()?;
    Some(match token {
        Some(index) => TOKENS[*index],
        None => case.token.map_or(b"", |index| TOKENS[index]),
    })
}

/// A JSON string of any bytes: escaped where needed, other bytes verbatim
/// (so bytes that are not UTF-8 stay in the text, as a host would send them).
fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
            0..=0x1f => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

/// The equivalent request of docs/ABI.md, in its key order.
fn equivalent_json(case: &Case) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(format!("{{\"customer_present\":{},\"headers\":{{", case.customer_present).as_bytes());
    let mut headers = Vec::new();
    if let Some(token) = case.token {
        headers.push(("Klarna-Customer-Token", TOKENS[token]));
    }
    if let Some(key) = case.key {
        headers.push(("Klarna-Idempotency-Key", KEYS[key]));
    }
    for (i, (name, value)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(&mut out, name.as_bytes());
        out.push(b':');
        string(&mut out, value);
    }
    out.extend_from_slice(b"},\"body\":{\"currency\":");
    string(&mut out, CURRENCIES[case.currency]);
    out.extend_from_slice(format!(",\"request_payment_transaction\":{{\"amount\":{}}}", case.amount).as_bytes());
    if case.step_up {
        out.extend_from_slice(b",\"step_up_config\":{}");
    }
    out.push(b'}');
    if let Some((revoked, scopes, _, last)) = &case.record {
        out.extend_from_slice(b",\"token_record\":{\"customer_token\":");
        string(&mut out, record_token(case).unwrap());
        out.extend_from_slice(b",\"scopes\":[");
        for (i, scope) in scopes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(&mut out, SCOPE_NAMES[*scope]);
        }
        out.push(b']');
        let state = if *revoked { "REVOKED" } else { "ACTIVE" };
        out.extend_from_slice(format!(",\"state\":\"{state}\"").as_bytes());
        if let Some(last) = last {
            out.extend_from_slice(format!(",\"last_used_at\":\"{}\"", timestamp(*last)).as_bytes());
        }
        out.push(b'}');
    }
    if let Some(now) = case.now {
        out.extend_from_slice(format!(",\"now\":\"{}\"", timestamp(now)).as_bytes());
    }
    let counters: Vec<String> = [("attempts_24h", case.attempts.0), ("attempts_30d", case.attempts.1)]
        .iter()
        .filter_map(|(name, n)| n.map(|n| format!("\"{name}\":{n}")))
        .collect();
    if !counters.is_empty() {
        out.extend_from_slice(format!(",\"counters\":{{{}}}", counters.join(",")).as_bytes());
    }
    out.push(b'}');
    out
}

/// The typed charge, and the scope array it points into (keep it alive).
fn typed_charge(case: &Case) -> (ctp_typed_charge, Vec<ctp_input>) {
    // SAFETY: all-zero is the documented starting point of a ctp_typed_charge.
    let mut c: ctp_typed_charge = unsafe { std::mem::zeroed() };
    c.flags = CTP_CHARGE_WANT_FINGERPRINT;
    let mut set = |flag: bool, bit: u32| {
        if flag {
            c.flags |= bit;
        }
    };
    set(case.customer_present, CTP_CHARGE_CUSTOMER_PRESENT);
    set(case.token.is_some(), CTP_CHARGE_HAS_TOKEN);
    set(case.key.is_some(), CTP_CHARGE_HAS_IDEMPOTENCY_KEY);
    set(case.step_up, CTP_CHARGE_STEP_UP);
    set(case.now.is_some(), CTP_CHARGE_HAS_NOW);
    set(case.attempts.0.is_some(), CTP_CHARGE_HAS_ATTEMPTS_24H);
    set(case.attempts.1.is_some(), CTP_CHARGE_HAS_ATTEMPTS_30D);
    if let Some(token) = case.token {
        (c.token, c.token_len) = (TOKENS[token].as_ptr(), TOKENS[token].len());
    }
    if let Some(key) = case.key {
        (c.idempotency_key, c.idempotency_key_len) = (KEYS[key].as_ptr(), KEYS[key].len());
    }
    let currency = CURRENCIES[case.currency];
    (c.currency, c.currency_len) = (currency.as_ptr(), currency.len());
    c.amount = case.amount;
    c.now_ms = case.now.unwrap_or(0);
    c.attempts_24h = case.attempts.0.unwrap_or(0);
    c.attempts_30d = case.attempts.1.unwrap_or(0);
    let scopes: Vec<ctp_input> = case.record.as_ref().map_or(Vec::new(), |(_, scopes, _, _)| {
        scopes.iter().map(|&i| ctp_input { ptr: SCOPE_NAMES[i].as_ptr(), len: SCOPE_NAMES[i].len() }).collect()
    });
    if let Some((revoked, _, _, last)) = case.record {
        c.record_state = if revoked { CTP_RECORD_REVOKED } else { CTP_RECORD_ACTIVE };
        (c.record_scopes, c.record_scope_count) = (scopes.as_ptr(), scopes.len());
        let stored = record_token(case).unwrap();
        (c.record_token, c.record_token_len) = (stored.as_ptr(), stored.len());
        if let Some(last) = last {
            c.flags |= CTP_CHARGE_HAS_LAST_USED_AT;
            c.last_used_at_ms = last;
        }
    }
    (c, scopes)
}

fn empty() -> ctp_buf {
    ctp_buf { ptr: ptr::null_mut(), len: 0 }
}

fn zeroed_verdict() -> ctp_verdict {
    // SAFETY: plain integers and arrays.
    unsafe { std::mem::zeroed() }
}

fn ids(list: &serde_json::Value) -> Vec<u16> {
    list.as_array().unwrap().iter().map(|v| v["id"].as_u64().unwrap() as u16).collect()
}

struct Engines(Vec<*mut ctp_engine>);

impl Engines {
    fn new() -> Self {
        Engines(
            POLICIES
                .iter()
                .map(|policy| {
                    let mut engine = ptr::null_mut();
                    let status = unsafe { ctp_engine_new(policy.as_ptr(), policy.len(), &mut engine, ptr::null_mut()) };
                    assert_eq!(status, CTP_OK);
                    engine
                })
                .collect(),
        )
    }
}

impl Drop for Engines {
    fn drop(&mut self) {
        for engine in &self.0 {
            unsafe { ctp_engine_free(*engine) };
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn typed_charges_decide_and_fail_exactly_as_the_json_path(case in case()) {
        let engines = Engines::new();
        let engine = engines.0[case.policy];
        let request = equivalent_json(&case);
        let mut json_out = empty();
        let json_out_ptr: *mut ctp_buf = &mut json_out;
        let json_status = unsafe { ctp_check_json(engine, request.as_ptr(), request.len(), json_out_ptr, json_out_ptr) };
        let json_text = take(json_out);
        let shown = String::from_utf8_lossy(&request).into_owned();

        let (charge, _scopes) = typed_charge(&case);
        let mut verdict = zeroed_verdict();
        let mut error = empty();
        let typed_status = unsafe { ctp_check_charge(engine, &charge, &mut verdict, &mut error) };
        let error_text = take(error);
        prop_assert_eq!(typed_status, json_status, "{} -> {}", shown, json_text);

        if json_status == CTP_OK {
            prop_assert!(error_text.is_empty(), "error written on success");
            let decision: serde_json::Value = serde_json::from_str(&json_text).unwrap();
            let violations = &verdict.violations[..verdict.violation_count as usize];
            let warnings = &verdict.warnings[..verdict.warning_count as usize];
            prop_assert_eq!(violations, &ids(&decision["violations"])[..], "{}", shown);
            prop_assert_eq!(warnings, &ids(&decision["warnings"])[..], "{}", shown);
            prop_assert_eq!(verdict.allowed == 1, decision["decision"] == "ALLOW");
            let fingerprint = (verdict.has_fingerprint == 1)
                .then(|| format!("sha256:{}", verdict.fingerprint.iter().map(|b| format!("{b:02x}")).collect::<String>()));
            prop_assert_eq!(fingerprint.as_deref(), decision["token"]["fingerprint"].as_str());

            // The JSON path's own verdict says the same, with and without the decision text.
            let mut json_verdict = zeroed_verdict();
            let mut decision_buf = empty();
            let status = unsafe {
                ctp_check_json_verdict(engine, request.as_ptr(), request.len(), &mut json_verdict, &mut decision_buf, ptr::null_mut())
            };
            prop_assert_eq!(status, CTP_OK);
            prop_assert_eq!(take(decision_buf), json_text);
            prop_assert_eq!(json_verdict.violations, verdict.violations);
            prop_assert_eq!(json_verdict.warnings, verdict.warnings);
            prop_assert_eq!(json_verdict.fingerprint, verdict.fingerprint);
            prop_assert_eq!(
                (json_verdict.allowed, json_verdict.violation_count, json_verdict.warning_count, json_verdict.has_fingerprint),
                (verdict.allowed, verdict.violation_count, verdict.warning_count, verdict.has_fingerprint)
            );
        } else if json_status == CTP_INVALID_UTF8 {
            // No JSON text exists to count a byte offset in: all but the message agree.
            let typed: serde_json::Value = serde_json::from_str(&error_text).unwrap();
            let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
            for key in ["status", "code", "detail", "path"] {
                prop_assert_eq!(&typed["error"][key], &json["error"][key], "{}", key);
            }
        } else {
            prop_assert_eq!(&error_text, &json_text, "{}", shown);
        }
    }
}

/// The generator reaches every face the property claims to cover.
#[test]
fn the_generated_charges_cover_every_outcome() {
    use proptest::strategy::ValueTree;
    let engines = Engines::new();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3000 {
        let case = case().new_tree(&mut runner).unwrap().current();
        let (charge, _scopes) = typed_charge(&case);
        let mut verdict = zeroed_verdict();
        let mut error = empty();
        let status = unsafe { ctp_check_charge(engines.0[case.policy], &charge, &mut verdict, &mut error) };
        let text = take(error);
        seen.insert(match status {
            CTP_OK if verdict.allowed == 1 => "ALLOW".to_owned(),
            CTP_OK => "DENY".to_owned(),
            _ => {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                format!(
                    "{}/{}",
                    value["error"]["status"].as_str().unwrap(),
                    value["error"]["code"].as_str().unwrap_or("-")
                )
            }
        });
    }
    for want in ["ALLOW", "DENY", "INVALID_UTF8/-", "INVALID_REQUEST/INVALID_VALUE", "INVALID_REQUEST/NEEDED_BY_RULE"] {
        assert!(seen.contains(want), "never saw {want}: {seen:?}");
    }
}
