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
//! - the token never leaks: the answer depends on the token's id only
//!   through its fingerprint. When the request (no backslash in it, read
//!   with serde_json) has one Klarna-Customer-Token header, its segment
//!   after the last ':' (4+ id characters) occurs in the input only there
//!   and in an identical token_record.customer_token, the same request with
//!   that segment changed (same length and character classes, so the same
//!   validity) gets the same answer once fingerprint hex is masked. A
//!   direct "output contains the id" check would be unsound here: the
//!   output legitimately carries transformed input (JSON Pointer escapes
//!   `~1`, `\u00XX` escapes), which can spell any id;
//! - ctpolicy's strict JSON reader accepts nothing serde_json rejects;
//! - the leak doors stay shut (docs/HYGIENE.md H4): when the input is a JSON
//!   object, a canary token put through each of common.rs's
//!   `REQUEST_DOORS` (a key at the top level or in headers, counters,
//!   body or token_record, a duplicate key, two header names equal but for
//!   case, `decision_id`) never comes out of `check_json`, `check_json_into`
//!   or an error's JSON, Display or Debug: no 8-byte piece of its id, in
//!   any case. Each (door, engine) pair calls one of the two entry points,
//!   alternating, so every door meets both (they are checked above to write
//!   the same text for every input).
//!
//! Every assertion above runs on every input except the leak doors, which
//! run on 1 input in 16 (`DOOR_SAMPLING`), picked by a hash of the input
//! bytes (common.rs `door_sampled`), so the same input always gets the same
//! checks and a finding replays. Why: the doors call the engines 20 times
//! on 10 rewritten copies of the input where the rest of the harness calls
//! them 6 times; on every input they made the target ~15x slower (530 vs
//! 8,000 exec/s), too slow for a 10,000,000-execution run. The doors also
//! have their own deterministic tests (tests/leak_doors.rs).
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

/// The same request with the id of its customer token changed (same
/// length and character classes, so the same validity), when that change
/// touches nothing but the token: no backslash anywhere (raw text is the
/// decoded text), exactly one Klarna-Customer-Token header, whose segment
/// after the last ':' (4+ id characters, not `customer-token`) occurs once
/// in it, a token_record.customer_token that is absent or the same string,
/// and the segment nowhere else in the input.
/// `tree` is serde_json's reading of `data` (`None`: it rejects it).
fn with_other_id(data: &[u8], tree: Option<&Value>) -> Option<Vec<u8>> {
    if data.contains(&b'\\') {
        return None;
    }
    let root = tree?;
    let headers = root.get("headers")?.as_object()?;
    let mut tokens = headers.iter().filter(|(name, _)| name.eq_ignore_ascii_case("Klarna-Customer-Token"));
    let header = tokens.next()?.1.as_str()?;
    if tokens.next().is_some() {
        return None;
    }
    let segment = &header[header.rfind(':')? + 1..];
    let segment = segment.as_bytes();
    if segment.len() < 4 || !segment.iter().all(|&b| is_id_byte(b)) || segment == b"customer-token" {
        return None;
    }
    if count(header.as_bytes(), segment) != 1 {
        return None;
    }
    let stored = root.get("token_record").and_then(|r| r.get("customer_token"));
    let expected = match stored {
        None => 1,
        Some(Value::String(text)) if text == header => 2,
        Some(_) => return None,
    };
    if count(data, segment) != expected {
        return None;
    }
    let other: Vec<u8> = segment
        .iter()
        .map(|&b| match b {
            b'z' => b'a',
            b'Z' => b'A',
            b'9' => b'0',
            b if b.is_ascii_alphanumeric() => b + 1,
            b => b,
        })
        .collect();
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(segment) {
            out.extend_from_slice(&other);
            i += segment.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Decision JSON or error JSON, whichever the engine gives.
fn answer(engine: &Engine, data: &[u8]) -> String {
    match engine.check_json(data) {
        Ok(decision) => engine.decision_json(&decision),
        Err(error) => error.to_json(),
    }
}

fuzz_target!(|data: &[u8]| {
    // One read each by ctpolicy and serde_json, shared by every check below.
    let (ctpolicy_reads, reserved_key) = ctpolicy::internals::with_arena(|arena| match ctpolicy::internals::parse(data, arena) {
        Ok(value) => (true, holds_serde_json_reserved_key(&value)),
        Err(_) => (false, false),
    });
    let tree = serde_json::from_slice::<Value>(data);
    // Valid JSON that this oracle can read (see common.rs).
    let serde_json_can_judge = ctpolicy_reads && !reserved_key;
    if serde_json_can_judge {
        if let Err(error) = &tree {
            panic!("ctpolicy's JSON reader accepted text serde_json rejects ({error})");
        }
    }
    let tree = tree.ok();
    let variant = with_other_id(data, tree.as_ref());

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
                assert_eq!(
                    via_into.strip_prefix("earlier text"),
                    Some(text.as_str()),
                    "check_json_into differs from check_json"
                );
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
                // `Error` is compared as a value (derived `PartialEq` over
                // every field its JSON serialises), so its JSON is written once.
                assert!(e1 == e2, "two calls, two errors: {} and {}", e1.to_json(), e2.to_json());
                match &into_result {
                    Err(e3) if e3 == e1 => {}
                    Err(e3) => panic!("check_json_into differs: {} and {}", e1.to_json(), e3.to_json()),
                    Ok(_) => panic!("check_json failed, check_json_into did not: {}", e1.to_json()),
                }
                let text = e1.to_json();
                let value = check_error_json("check error", &text);
                assert!(
                    matches!(value["error"]["status"].as_str(), Some("INVALID_REQUEST" | "INVALID_UTF8")),
                    "{text}"
                );
                text
            }
            _ => panic!("two calls: one decided, one did not"),
        };
        if let Some(variant) = &variant {
            let other = answer(engine, variant);
            assert_eq!(
                mask(&output),
                mask(&other),
                "the answer depends on the token's id beyond its fingerprint (a leak?)"
            );
        }
    }
    if door_sampled(data, DOOR_SAMPLING) {
        if let Some(input) = DoorInput::with_tree(data, tree.as_ref(), reserved_key) {
            leak_doors(data, &input);
            // Hashed without the first byte, so independent of the sampling above.
            if door_sampled(data.get(1..).unwrap_or_default(), LONG_KEY_SAMPLING) {
                long_key_doors(data, &input);
            }
        }
    }
});

/// The long-key doors (half-MiB keys that escaping doubles, a key near
/// the input limit) run on 1 sampled input in this many more: each check
/// reads a MiB.
const LONG_KEY_SAMPLING: u64 = 1024;

/// A long key ending in the canary, through one key door (picked by the
/// input's length), into both entry points of one engine.
fn long_key_doors(data: &[u8], input: &DoorInput) {
    use std::fmt::Write;
    let doors: Vec<_> = REQUEST_DOORS.iter().filter(|d| long_key_fits(**d)).collect();
    let door = *doors[data.len() % doors.len()];
    let token = long_key_token(data.len() / doors.len(), data.len() + 64);
    let Some(request) = input.inject(door, &token) else { return };
    let engine = &engines()[data.len() % 2];
    let mut outputs = String::new();
    for into in [false, true] {
        let failed = if into {
            engine.check_json_into(&request, &mut outputs).err()
        } else {
            match engine.check_json(&request) {
                Ok(decision) => {
                    outputs.push_str(&engine.decision_json(&decision));
                    None
                }
                Err(error) => Some(error),
            }
        };
        if let Some(error) = failed {
            outputs.push_str(&error.to_json());
            let _ = write!(outputs, "\n{error}\n{error:?}\n");
        }
    }
    assert_no_canary(&format!("long key {door:?}"), &outputs);
}

/// The leak-door oracle runs on 1 input in this many, picked by a hash of
/// its bytes (see the module doc).
const DOOR_SAMPLING: u64 = 16;

/// The canary through every request door, every engine, every output.
/// Each (door, engine) pair calls one entry point: `check_json` (then
/// `decision_json`) when door index + engine index is even, else
/// `check_json_into`; every input checks above that the two write the same
/// text, so each door still meets both entry points (one per engine).
fn leak_doors(data: &[u8], input: &DoorInput) {
    use std::fmt::Write;
    let mut outputs = String::new();
    for (i, door) in REQUEST_DOORS.iter().enumerate() {
        let token = canary_token(data.len() + i);
        let Some(request) = input.inject(*door, &token) else { continue };
        // Every output of both engines, scanned once.
        outputs.clear();
        for (e, engine) in engines().iter().enumerate() {
            let failed = if (i + e) % 2 == 0 {
                match engine.check_json(&request) {
                    Ok(decision) => {
                        outputs.push_str(&engine.decision_json(&decision));
                        None
                    }
                    Err(error) => Some(error),
                }
            } else {
                engine.check_json_into(&request, &mut outputs).err()
            };
            if let Some(error) = failed {
                outputs.push_str(&error.to_json());
                let _ = write!(outputs, "\n{error}\n{error:?}\n");
            }
        }
        assert_no_canary(&format!("{door:?}"), &outputs);
    }
}
