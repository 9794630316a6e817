//! Helpers shared by the fuzz targets (included with `#[path]`; not a target).
#![allow(dead_code)]

use sha2::{Digest, Sha256};

/// `"sha256:" +` lowercase hex, computed independently of ctpolicy.
pub fn sha256_label(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Whether `needle` occurs in `hay` (byte-wise; the empty needle always does).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Number of (possibly overlapping) occurrences of a non-empty `needle`.
pub fn count(hay: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || needle.len() > hay.len() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Whether `text` is `"sha256:" +` 64 lowercase hex digits.
pub fn is_fingerprint(text: &str) -> bool {
    text.len() == 71
        && text.starts_with("sha256:")
        && text[7..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Removes the parts of an output that legitimately vary with the input
/// but can never carry it: the 64 hex digits after every `sha256:` and the
/// number after every `offset ` (the UTF-8 error's byte offset).
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next_hash = rest.find("sha256:").map(|i| (i, "sha256:"));
        let next_offset = rest.find("offset ").map(|i| (i, "offset "));
        let next = match (next_hash, next_offset) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        let Some((at, label)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at + label.len()]);
        rest = &rest[at + label.len()..];
        if label == "sha256:" {
            let hex = rest.bytes().take(64).take_while(|b| b.is_ascii_hexdigit()).count();
            if hex == 64 {
                rest = &rest[64..];
            }
        } else {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push('N');
                rest = &rest[digits..];
            }
        }
    }
}

/// Parses text ctpolicy wrote; it must be JSON that an independent reader accepts.
pub fn must_parse(what: &str, text: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value,
        Err(error) => panic!("{what}: ctpolicy wrote JSON that serde_json rejects ({error}): {text:?}"),
    }
}

/// The error object `{"error": {"status", "code"?, "detail"?, "message", "path"?}}`.
pub fn check_error_json(what: &str, text: &str) -> serde_json::Value {
    let value = must_parse(what, text);
    let error = value
        .get("error")
        .and_then(|e| e.as_object())
        .unwrap_or_else(|| panic!("{what}: error JSON without an error object: {text:?}"));
    assert_eq!(value.as_object().map(|o| o.len()), Some(1), "{what}: {text:?}");
    let status = error.get("status").and_then(|s| s.as_str());
    assert!(
        matches!(
            status,
            Some(
                "INVALID_ARGUMENT"
                    | "INVALID_UTF8"
                    | "INVALID_REQUEST"
                    | "INVALID_POLICY"
                    | "TOKEN_INVALID"
                    | "TRANSITION_REJECTED"
            )
        ),
        "{what}: bad status in {text:?}"
    );
    assert!(error.get("message").is_some_and(|m| m.is_string()), "{what}: {text:?}");
    for key in error.keys() {
        assert!(matches!(key.as_str(), "status" | "code" | "detail" | "message" | "path"), "{what}: {text:?}");
    }
    value
}

/// Characters of a token id (rules.md section 2).
pub fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-')
}

/// serde_json built with `arbitrary_precision` (as here, to keep number
/// literals) reserves object keys starting with `$serde_json::private::`:
/// `{"$serde_json::private::Number": "1"}` reads as a number and most other
/// values under that key are errors. Such input is valid JSON that this
/// oracle cannot read as JSON, so checks that compare with serde_json skip
/// it. (The fuzzer found the key in serde_json's own comparisons; see
/// fuzz/RESULTS.md.) Keys are compared after unescaping, as serde_json does.
pub fn has_serde_json_reserved_key(data: &[u8]) -> bool {
    ctpolicy::json::with_arena(|arena| {
        ctpolicy::json::parse(data, arena).is_ok_and(|value| holds_serde_json_reserved_key(&value))
    })
}

/// [`has_serde_json_reserved_key`] for a value already read.
pub fn holds_serde_json_reserved_key(value: &ctpolicy::json::Value<'_>) -> bool {
    match value {
        ctpolicy::json::Value::Object(members) => members.iter().any(|(key, value)| {
            key.as_str().starts_with("$serde_json::private::") || holds_serde_json_reserved_key(value)
        }),
        ctpolicy::json::Value::Array(items) => items.iter().any(holds_serde_json_reserved_key),
        _ => false,
    }
}

/// The id of the canary token the leak-door oracle injects (hygiene.md H4):
/// no piece of 8 bytes of it is hex, a code or a message word, so an
/// output can hold one only by echoing the canary.
pub const CANARY_ID: &str = "Zq7LeakDoorCanary9x";

/// A token with the canary id, in one of the forms H1 finds (network,
/// identity, URL-encoded colons), chosen by `selector`.
pub fn canary_token(selector: usize) -> String {
    match selector % 3 {
        0 => format!("krn:customer-token:eu1:{CANARY_ID}"),
        1 => format!("krn:partner:eu1:live:identity:customer-token:{CANARY_ID}"),
        _ => format!("krn%3Acustomer-token%3Aeu1%3A{CANARY_ID}"),
    }
}

/// Whether `text` holds the canary id or any 8-byte piece of it, in any
/// case (the rule 703 door uses a twin with the id in capitals). One pass,
/// each 8-byte window compared as a number with the id's 12 pieces.
pub fn holds_canary(text: &[u8]) -> bool {
    let id = CANARY_ID.to_ascii_lowercase().into_bytes();
    let pieces: Vec<u64> = id.windows(8).map(|w| u64::from_le_bytes(w.try_into().unwrap())).collect();
    let lower = text.to_ascii_lowercase();
    lower.windows(8).any(|w| pieces.contains(&u64::from_le_bytes(w.try_into().unwrap())))
}

/// Inputs larger than this get no injected doors: the doors are about
/// structure, and the oracle's scans would dominate the run.
pub const MAX_DOOR_INPUT: usize = 64 * 1024;

/// Panics when an output holds the canary (a door left open).
pub fn assert_no_canary(what: &str, output: &str) {
    assert!(!holds_canary(output.as_bytes()), "{what}: a token put in a key, a name or an id leaked: {output:?}");
}

/// Where the canary goes in a JSON input: as a key (top level or inside
/// `inside`; twice for a duplicate key; beside a twin equal but for case,
/// for rule 703) or as the value of `field`.
#[derive(Clone, Copy, Debug)]
pub enum Door {
    Key { inside: Option<&'static str> },
    DuplicateKey { inside: Option<&'static str> },
    CaseTwins { inside: Option<&'static str> },
    Value { field: &'static str },
}

/// The doors tried on a request: every object the envelope reads keys of,
/// header names, and `decision_id`.
pub const REQUEST_DOORS: &[Door] = &[
    Door::Key { inside: None },
    Door::Key { inside: Some("headers") },
    Door::Key { inside: Some("counters") },
    Door::Key { inside: Some("body") },
    Door::Key { inside: Some("token_record") },
    Door::DuplicateKey { inside: None },
    Door::DuplicateKey { inside: Some("headers") },
    Door::DuplicateKey { inside: Some("body") },
    Door::CaseTwins { inside: Some("headers") },
    Door::Value { field: "decision_id" },
];

/// The doors tried on a policy: its top level and every object of keys.
pub const POLICY_DOORS: &[Door] = &[
    Door::Key { inside: None },
    Door::Key { inside: Some("severity") },
    Door::Key { inside: Some("max_amount") },
    Door::Key { inside: Some("max_attempts") },
    Door::DuplicateKey { inside: None },
    Door::DuplicateKey { inside: Some("severity") },
];

/// `input` (a JSON object serde_json reads, holding no piece of the canary
/// even after unescaping) with `token` put through `door`; the value under
/// an injected key is `filler`, so the fuzzer picks its type. `None` when
/// the input is not such an object.
pub fn inject(input: &[u8], door: Door, token: &str, filler: &serde_json::Value) -> Option<Vec<u8>> {
    use serde_json::{Map, Value};
    if input.len() > MAX_DOOR_INPUT || !input.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    if holds_canary(input) || has_serde_json_reserved_key(input) {
        return None;
    }
    let mut root: Value = serde_json::from_slice(input).ok()?;
    if holds_canary(serde_json::to_string(&root).ok()?.as_bytes()) {
        return None;
    }
    let root_map = root.as_object_mut()?;
    // The object the key goes into; created (empty) when absent.
    let target = |root_map: &mut Map<String, Value>, inside: Option<&'static str>| -> Option<()> {
        if let Some(name) = inside {
            let slot = root_map.entry(name).or_insert_with(|| Value::Object(Map::new()));
            slot.as_object()?;
        }
        Some(())
    };
    match door {
        Door::Value { field } => {
            root_map.insert(field.to_owned(), Value::String(token.to_owned()));
            serde_json::to_vec(&root).ok()
        }
        Door::Key { inside } => {
            target(root_map, inside)?;
            let object = match inside {
                None => root_map,
                Some(name) => root_map.get_mut(name)?.as_object_mut()?,
            };
            object.insert(token.to_owned(), filler.clone());
            serde_json::to_vec(&root).ok()
        }
        Door::CaseTwins { inside } => {
            target(root_map, inside)?;
            let object = match inside {
                None => root_map,
                Some(name) => root_map.get_mut(name)?.as_object_mut()?,
            };
            object.insert(token.to_owned(), filler.clone());
            object.insert(token.replace(CANARY_ID, &CANARY_ID.to_ascii_uppercase()), filler.clone());
            serde_json::to_vec(&root).ok()
        }
        Door::DuplicateKey { inside } => {
            // serde_json's map cannot hold a key twice: splice it as text
            // right after the opening brace of the target object.
            target(root_map, inside)?;
            let marker = "\u{1}ctpolicy-fuzz-door\u{1}";
            let object = match inside {
                None => root_map,
                Some(name) => root_map.get_mut(name)?.as_object_mut()?,
            };
            object.insert(marker.to_owned(), Value::Null);
            let text = serde_json::to_string(&root).ok()?;
            let marker = format!("{}:null", serde_json::to_string(marker).ok()?);
            if text.matches(&marker).count() != 1 {
                return None;
            }
            let pair = format!("{}:{filler}", serde_json::to_string(token).ok()?);
            // The marker sorts first (serde_json's map is ordered), so it is
            // followed by a comma exactly when the object has other keys.
            let spliced = if text.contains(&format!("{marker},")) {
                text.replacen(&format!("{marker},"), &format!("{pair},{pair},"), 1)
            } else {
                text.replacen(&marker, &format!("{pair},{pair}"), 1)
            };
            Some(spliced.into_bytes())
        }
    }
}

/// The value under an injected key, picked by the fuzzer's input.
pub fn filler(data: &[u8]) -> serde_json::Value {
    match data.first().map_or(0, |b| b % 4) {
        0 => serde_json::Value::Null,
        1 => serde_json::Value::from(1),
        2 => serde_json::Value::from("a"),
        _ => serde_json::Value::Object(serde_json::Map::new()),
    }
}
