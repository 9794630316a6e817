//! `ctpolicy::apply_response` on arbitrary bytes: the input is cut at its
//! first three 0xFF bytes into the stored record, the pre-flight request,
//! Klarna's answer and `at` (an empty record part is "no record"; with
//! fewer than three 0xFF bytes the call gets the parts there are and empty
//! ones for the rest).
//!
//! Asserts:
//! - determinism: two calls give the same output (or the same error JSON);
//! - on success the output parses with serde_json as exactly
//!   `{"record": {...} or null, "changed": bool, "events": [...]}`, each
//!   event exactly `{"type", "at"}` with `at` the given instant and the
//!   types TOKENIZED, CHARGED or DECLINED, TOKENIZED only first;
//! - differential: the events are those a second, independent reading of
//!   the rules derives from serde_json's view of the request and the answer
//!   (a header named Klarna-Customer-Token in any case, a
//!   request_customer_token, an approved customer_token_response, a
//!   payment_transaction_response and its result);
//! - `changed` is true exactly when the output record differs from the given
//!   one as a JSON value (a record made from nothing included); no events,
//!   no change;
//! - REVOKED is never left, and the output never holds the answer's
//!   payment part;
//! - a failure's error JSON parses and has status INVALID_REQUEST,
//!   INVALID_UTF8 or TRANSITION_REJECTED.
#![no_main]

use ctpolicy::apply_response;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "common.rs"]
mod common;
use common::*;

fn parts(data: &[u8]) -> [&[u8]; 4] {
    let mut out: [&[u8]; 4] = [&[]; 4];
    let mut rest = data;
    for slot in out.iter_mut().take(3) {
        match rest.iter().position(|&b| b == 0xFF) {
            Some(at) => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *slot = rest;
                rest = &[];
            }
        }
    }
    out[3] = rest;
    out
}

/// Values equal as JSON, a `null` member counting as absent.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The events rules.md 7.1 implies, read independently with serde_json.
fn expected_events(request: &Value, response: &Value) -> Vec<&'static str> {
    let present = |value: Option<&Value>| value.is_some_and(|v| !v.is_null());
    let header = request
        .get("headers")
        .and_then(Value::as_object)
        .is_some_and(|headers| {
            headers.iter().any(|(name, value)| name.eq_ignore_ascii_case("klarna-customer-token") && !value.is_null())
        });
    let requested = present(request.get("body").and_then(|body| body.get("request_customer_token")));
    let token_response = response.get("customer_token_response");
    let approved = token_response.and_then(|r| r.get("result")).and_then(Value::as_str) == Some("APPROVED");
    let mut events = Vec::new();
    if !header && requested && approved {
        events.push("TOKENIZED");
    }
    let payment = response.get("payment_transaction_response");
    if present(payment) && (header || !events.is_empty()) {
        match payment.and_then(|p| p.get("result")).and_then(Value::as_str) {
            Some("STEP_UP_REQUIRED") => {}
            Some("APPROVED") => events.push("CHARGED"),
            _ => events.push("DECLINED"),
        }
    }
    events
}

fuzz_target!(|data: &[u8]| {
    let [record, request, response, at] = parts(data);
    let record = (!record.is_empty()).then_some(record);
    let Ok(at) = std::str::from_utf8(at) else {
        return;
    };
    let first = apply_response(record, request, response, at);
    let second = apply_response(record, request, response, at);
    match (&first, &second) {
        (Ok(t1), Ok(t2)) => {
            assert_eq!(t1.json(), t2.json(), "two calls, two outputs");
            if record.is_some_and(has_serde_json_reserved_key) {
                return; // the record's keys come back verbatim; serde_json cannot read this one
            }
            let out = must_parse("apply_response output", t1.json());
            let object = out.as_object().expect("the output is an object");
            assert_eq!(object.len(), 3, "{:?}", t1.json());
            assert_eq!(out["changed"].as_bool(), Some(t1.changed()));
            let events = out["events"].as_array().expect("events is an array");
            let types: Vec<&str> = events
                .iter()
                .map(|event| {
                    let event = event.as_object().expect("an event is an object");
                    assert_eq!(event.len(), 2);
                    assert_eq!(event.get("at").and_then(Value::as_str), Some(at));
                    event.get("type").and_then(Value::as_str).expect("a type")
                })
                .collect();
            let request_value: Value = serde_json::from_slice(request).expect("the engine read the request");
            let response_value: Value = serde_json::from_slice(response).expect("the engine read the answer");
            assert_eq!(types, expected_events(&request_value, &response_value), "events");

            let old: Option<Value> = record.and_then(|text| serde_json::from_slice(text).ok()).filter(|v: &Value| !v.is_null());
            let new = &out["record"];
            assert!(new.is_null() || new.is_object(), "record {new}");
            match &old {
                None => assert_eq!(t1.changed(), !new.is_null(), "a record from nothing is a change"),
                Some(old) => {
                    assert_eq!(t1.changed(), without_nulls(old) != without_nulls(new), "changed");
                    if old.get("state").and_then(Value::as_str) == Some("REVOKED") {
                        assert!(!t1.changed(), "a REVOKED record changed");
                    }
                }
            }
            if types.is_empty() {
                assert!(!t1.changed(), "no event, yet a change");
            }
            if let Some(payment) = response_value.get("payment_transaction_response") {
                if payment.is_object() && !payment.as_object().unwrap().is_empty() {
                    assert!(!new.to_string().contains(&payment.to_string()), "the answer's payment part leaked");
                }
            }
        }
        (Err(e1), Err(e2)) => {
            let text = e1.to_json();
            assert_eq!(text, e2.to_json(), "two calls, two errors");
            let value = check_error_json("apply_response error", &text);
            assert!(
                matches!(
                    value["error"]["status"].as_str(),
                    Some("INVALID_REQUEST" | "INVALID_UTF8" | "TRANSITION_REJECTED")
                ),
                "{text}"
            );
        }
        _ => panic!("two calls: one succeeded, one failed"),
    }
});
