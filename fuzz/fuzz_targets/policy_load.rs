//! `ctpolicy::Policy::from_json` on arbitrary bytes.
//!
//! Asserts:
//! - two loads of the same bytes agree: both load with the same digest, or
//!   both fail with the same error JSON; `Engine::from_policy_json` agrees;
//! - a digest is `"sha256:" +` 64 lowercase hex digits; empty input has
//!   the digest of `{}`;
//! - a failure's error JSON parses with status INVALID_POLICY or INVALID_UTF8;
//! - a policy that loads is JSON serde_json accepts, and the same policy
//!   re-serialised by serde_json (compact and pretty: other white space,
//!   key order and string escapes) loads with the same digest, since the
//!   digest is over canonical JSON;
//! - the leak doors stay shut (docs/HYGIENE.md H4): when the input is a JSON
//!   object, a canary token put in as a key (top level, severity,
//!   max_amount, max_attempts; once or twice) never comes out of the
//!   loader's error (JSON, Display, Debug): no 8-byte piece of its id.
#![no_main]

use ctpolicy::{Engine, Policy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "common.rs"]
mod common;
use common::*;

fuzz_target!(|data: &[u8]| {
    leak_doors(data);
    let first = Policy::from_json(data);
    let second = Policy::from_json(data);
    let engine = Engine::from_policy_json(data);
    match (&first, &second, &engine) {
        (Ok(p1), Ok(p2), Ok(engine)) => {
            let digest = p1.digest();
            assert!(is_fingerprint(digest), "digest {digest:?}");
            assert_eq!(digest, p2.digest(), "two loads, two digests");
            assert_eq!(digest, engine.policy().digest(), "Engine::from_policy_json differs");
            if data.is_empty() {
                assert_eq!(digest, Policy::from_json(b"{}").unwrap().digest());
                return;
            }
            if has_serde_json_reserved_key(data) {
                return;
            }
            let value: Value = match serde_json::from_slice(data) {
                Ok(value) => value,
                Err(error) => panic!("a policy loaded from text serde_json rejects ({error})"),
            };
            for text in [serde_json::to_vec(&value).unwrap(), serde_json::to_vec_pretty(&value).unwrap()] {
                match Policy::from_json(&text) {
                    Ok(again) => assert_eq!(again.digest(), digest, "re-serialised policy, other digest"),
                    Err(error) => panic!("the re-serialised policy does not load: {}", error.to_json()),
                }
            }
        }
        (Err(e1), Err(e2), Err(e3)) => {
            let text = e1.to_json();
            assert_eq!(text, e2.to_json(), "two loads, two errors");
            assert_eq!(text, e3.to_json(), "Engine::from_policy_json differs");
            let value = check_error_json("policy error", &text);
            assert!(matches!(value["error"]["status"].as_str(), Some("INVALID_POLICY" | "INVALID_UTF8")), "{text}");
        }
        _ => panic!("loads of the same bytes disagree"),
    }
});

/// The canary through every policy door.
fn leak_doors(data: &[u8]) {
    let Some(input) = DoorInput::new(data) else { return };
    for (i, door) in POLICY_DOORS.iter().enumerate() {
        let token = canary_token(data.len() + i);
        let Some(policy) = input.inject(*door, &token) else { continue };
        if let Err(error) = Policy::from_json(&policy) {
            let what = format!("{door:?}");
            assert_no_canary(&what, &error.to_json());
            assert_no_canary(&what, &error.to_string());
            assert_no_canary(&what, &format!("{error:?}"));
        }
    }
}
