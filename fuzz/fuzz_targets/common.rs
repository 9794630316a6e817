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
