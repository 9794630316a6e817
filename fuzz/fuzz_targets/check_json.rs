//! `Engine::check_json` on arbitrary bytes, with the default policy and the
//! strict example policy (examples/policies/strict-partner.json), each
//! built once.
//!
//! Asserts, for each engine:
//! - determinism: two calls give the same decision JSON (or the same error
//!   JSON), and the fast path `check_json_into` appends the same text (and
//!   the same verdict) or fails alike;
//! - a decision's JSON parses with serde_json; "decision" is "ALLOW" exactly
//!   when "violations" is empty (and agrees with `Decision::allowed`);
//!   violations have severity deny and warnings warn, each list ascending by
//!   rule id with the code of that id; the receipt carries the engine
//!   version and this engine's policy digest; "token" is null or carries a
//!   well-formed fingerprint;
//! - an error's JSON parses and has an envelope status (INVALID_REQUEST or
//!   INVALID_UTF8);
//! - the token never leaks: when the request (read with serde_json, no
//!   backslash anywhere in it) sends a Klarna-Customer-Token whose segment
//!   after the last ':' is 24+ id characters with a letter and a digit, and
//!   every occurrence of that segment in the input lies inside the header
//!   value or the record's customer_token, the output (fingerprints
//!   masked) does not contain it (24+: no fixed text of the engine has
//!   such a run of id characters with a digit and a letter);
//! - ctpolicy's strict JSON reader accepts nothing serde_json rejects.
#![no_main]

use std::sync::OnceLock;

use ctpolicy::{Engine, ENGINE_VERSION, RULES};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "common.rs"]
mod common;
use common::*;

const STRICT_POLICY: &[u8] = include_bytes!("../../examples/policies/strict-partner.json");

fn engines() -> &'static [Engine; 2] {
    static ENGINES: OnceLock<[Engine; 2]> = OnceLock::new();
    ENGINES.get_or_init(|| {
        [Engine::default(), Engine::from_policy_json(STRICT_POLICY).expect("the strict example policy loads")]
    })
}

fn check_findings(list: &Value, severity: &str, text: &str) {
    let items = list.as_array().unwrap_or_else(|| panic!("findings are not an array: {text}"));
    let mut last = 0u64;
    for item in items {
        let id = item.get("id").and_then(Value::as_u64).unwrap_or_else(|| panic!("finding without id: {text}"));
        assert!(id > last, "findings not ascending by id: {text}");
        last = id;
        let rule = RULES.iter().find(|r| u64::from(r.id) == id).unwrap_or_else(|| panic!("unknown rule id {id}"));
        assert_eq!(item.get("code").and_then(Value::as_str), Some(rule.code), "{text}");
        assert_eq!(item.get("severity").and_then(Value::as_str), Some(severity), "{text}");
        assert!(item.get("message").is_some_and(Value::is_string), "{text}");
        assert!(item.get("path").is_some_and(Value::is_string), "{text}");
    }
}

/// The token-id segment to look for in the output, when the leak check is sound.
fn secret_segment(data: &[u8]) -> Option<Vec<u8>> {
    if data.contains(&b'\\') {
        return None;
    }
    let root: Value = serde_json::from_slice(data).ok()?;
    let headers = root.get("headers")?.as_object()?;
    let mut tokens: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Klarna-Customer-Token"))
        .filter_map(|(_, value)| value.as_str())
        .collect();
    let header = *tokens.first()?;
    let segment = header.rsplit(':').next()?.as_bytes();
    if segment.len() < 24
        || !segment.iter().all(|&b| is_id_byte(b))
        || !segment.iter().any(u8::is_ascii_digit)
        || !segment.iter().any(u8::is_ascii_alphabetic)
    {
        return None;
    }
    if let Some(stored) = root.get("token_record").and_then(|r| r.get("customer_token")).and_then(Value::as_str) {
        tokens.push(stored);
    }
    let inside: usize = tokens.iter().map(|t| count(t.as_bytes(), segment)).sum();
    (count(data, segment) == inside).then(|| segment.to_vec())
}

fuzz_target!(|data: &[u8]| {
    if ctpolicy::json::parse(data).is_ok() {
        if let Err(error) = serde_json::from_slice::<Value>(data) {
            panic!("ctpolicy's JSON reader accepted text serde_json rejects ({error})");
        }
    }
    let secret = secret_segment(data);

    for engine in engines() {
        let first = engine.check_json(data);
        let second = engine.check_json(data);
        let mut via_into = String::from("earlier text");
        let into_result = engine.check_json_into(data, &mut via_into);
        let output = match (&first, &second) {
            (Ok(d1), Ok(d2)) => {
                let text = engine.decision_json(d1);
                assert_eq!(text, engine.decision_json(d2), "two calls, two decisions");
                let outcome = into_result.expect("check_json decided, check_json_into did not");
                assert_eq!(outcome.allowed(), d1.allowed());
                assert_eq!(via_into.strip_prefix("earlier text"), Some(text.as_str()), "check_json_into differs from check_json");
                let value = must_parse("decision", &text);
                let decision = value.get("decision").and_then(Value::as_str);
                let violations = value.get("violations").and_then(Value::as_array).expect("violations array");
                match decision {
                    Some("ALLOW") => assert!(violations.is_empty(), "ALLOW with violations: {text}"),
                    Some("DENY") => assert!(!violations.is_empty(), "DENY without violations: {text}"),
                    _ => panic!("decision is neither ALLOW nor DENY: {text}"),
                }
                assert_eq!(d1.allowed(), decision == Some("ALLOW"));
                check_findings(&value["violations"], "deny", &text);
                check_findings(&value["warnings"], "warn", &text);
                assert!(matches!(
                    value.get("required_scope").and_then(Value::as_str),
                    Some("payment:customer_present" | "payment:customer_not_present")
                ));
                let receipt = &value["receipt"];
                assert_eq!(receipt["engine_version"].as_str(), Some(ENGINE_VERSION));
                assert_eq!(receipt["policy_digest"].as_str(), Some(engine.policy().digest()));
                match &value["token"] {
                    Value::Null => {}
                    token => assert!(token["fingerprint"].as_str().is_some_and(is_fingerprint), "{text}"),
                }
                text
            }
            (Err(e1), Err(e2)) => {
                let text = e1.to_json();
                assert_eq!(text, e2.to_json(), "two calls, two errors");
                assert_eq!(into_result.map_err(|e| e.to_json()).err(), Some(text.clone()), "check_json_into differs");
                let value = check_error_json("check error", &text);
                assert!(
                    matches!(value["error"]["status"].as_str(), Some("INVALID_REQUEST" | "INVALID_UTF8")),
                    "{text}"
                );
                text
            }
            _ => panic!("two calls: one decided, one did not"),
        };
        if let Some(segment) = &secret {
            assert!(!contains(mask(&output).as_bytes(), segment), "output quotes the customer token: {output}");
        }
    }
});
