//! `ctpolicy::apply_event` on arbitrary bytes: the input up to the first
//! 0xFF byte is the stored record, the rest the event; without a 0xFF byte
//! there is no record (`None`) and the whole input is the event.
//!
//! Asserts:
//! - determinism: two calls give the same output (or the same error JSON);
//! - on success the output parses with serde_json as exactly
//!   `{"record": {...}, "changed": bool}`, with `changed` equal to
//!   `Transition::changed` and the record's state ACTIVE or REVOKED;
//! - REVOKED is never left: when the input record reads (serde_json) as an
//!   object with "state": "REVOKED" and the call succeeds, the output
//!   record is REVOKED, unchanged (`changed` false) and equal to the input
//!   record as a JSON value;
//! - when a record is given, the output keeps its customer_token and every
//!   one of its keys, and adds none but last_used_at, attempts, state,
//!   revoked_at and revoked_by;
//! - a failure's error JSON parses and has status INVALID_REQUEST,
//!   INVALID_UTF8 or TRANSITION_REJECTED.
#![no_main]

use ctpolicy::apply_event;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "common.rs"]
mod common;
use common::*;

fuzz_target!(|data: &[u8]| {
    let (record, event) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (Some(&data[..at]), &data[at + 1..]),
        None => (None, data),
    };
    let first = apply_event(record, event);
    let second = apply_event(record, event);
    match (&first, &second) {
        (Ok(t1), Ok(t2)) => {
            assert_eq!(t1.json(), t2.json(), "two calls, two records");
            assert_eq!(t1.changed(), t2.changed());
            if record.is_some_and(has_serde_json_reserved_key) {
                return; // the record's keys come back verbatim; serde_json cannot read this one
            }
            let out = must_parse("transition", t1.json());
            let object = out.as_object().expect("transition is an object");
            assert_eq!(object.len(), 2, "{:?}", t1.json());
            assert_eq!(out["changed"].as_bool(), Some(t1.changed()));
            let new_record = out["record"].as_object().expect("record is an object");
            let state = new_record.get("state").and_then(Value::as_str);
            assert!(matches!(state, Some("ACTIVE" | "REVOKED")), "record state {state:?}");

            let old: Option<Value> = record.and_then(|text| serde_json::from_slice(text).ok());
            if let Some(Value::Object(old_record)) = &old {
                assert_eq!(
                    new_record.get("customer_token"),
                    old_record.get("customer_token"),
                    "the customer_token changed"
                );
                for key in old_record.keys() {
                    assert!(new_record.contains_key(key), "key {key:?} of the record was dropped");
                }
                for key in new_record.keys() {
                    assert!(
                        old_record.contains_key(key)
                            || matches!(
                                key.as_str(),
                                "last_used_at" | "attempts" | "state" | "revoked_at" | "revoked_by"
                            ),
                        "key {key:?} was added"
                    );
                }
                if old_record.get("state").and_then(Value::as_str) == Some("REVOKED") {
                    assert_eq!(state, Some("REVOKED"), "a REVOKED record left REVOKED");
                    assert!(!t1.changed(), "a REVOKED record changed");
                    assert_eq!(new_record, old_record, "a REVOKED record changed");
                }
            }
        }
        (Err(e1), Err(e2)) => {
            let text = e1.to_json();
            assert_eq!(text, e2.to_json(), "two calls, two errors");
            let value = check_error_json("transition error", &text);
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
