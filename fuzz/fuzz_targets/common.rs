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
    check_error_value(what, &value, text);
    value
}

/// [`check_error_json`] for `text` already read (as `value`) with [`must_parse`].
pub fn check_error_value(what: &str, value: &serde_json::Value, text: &str) {
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
}

/// Characters of a token id (docs/RULES.md section 2).
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
    ctpolicy::internals::with_arena(|arena| {
        ctpolicy::internals::parse(data, arena).is_ok_and(|value| holds_serde_json_reserved_key(&value))
    })
}

/// [`has_serde_json_reserved_key`] for a value already read.
pub fn holds_serde_json_reserved_key(value: &ctpolicy::internals::Value<'_>) -> bool {
    match value {
        ctpolicy::internals::Value::Object(members) => members.iter().any(|(key, value)| {
            key.as_str().starts_with("$serde_json::private::") || holds_serde_json_reserved_key(value)
        }),
        ctpolicy::internals::Value::Array(items) => items.iter().any(holds_serde_json_reserved_key),
        _ => false,
    }
}

/// The id of the canary token the leak-door oracle injects (docs/HYGIENE.md H4):
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

/// The long keys the leak-door oracle also tries (docs/HYGIENE.md H4: a key of
/// any length up to the input limit): JSON Pointer escaping (`~` → `~0`,
/// `/` → `~1`) takes the first two past the matcher's 1 MiB limit (they
/// are half a MiB as given), the third is a token at the end of a run just
/// under the input limit (`room` is the rest of the input, kept within
/// it). Each ends in a canary token of the form `selector` picks.
pub fn long_key_token(selector: usize, room: usize) -> String {
    const HALF: usize = 524_276;
    let token = canary_token(selector / 3);
    match selector % 3 {
        0 => format!("krn:{}{token}", "~".repeat(HALF)),
        1 => format!("{}{token}", "/".repeat(HALF)),
        _ => format!("krn:{}:{token}", "x".repeat(1_048_576usize.saturating_sub(room + 4_096))),
    }
}

/// Doors a long key fits through: one key, not two (a duplicate or a
/// case twin of a half-MiB key would pass the input limit).
pub fn long_key_fits(door: Door) -> bool {
    matches!(door, Door::Key { .. })
}

/// Whether `text` holds the canary id or any 8-byte piece of it, in any
/// case (the rule 703 door uses a twin with the id in capitals).
///
/// The scan is written for speed under the fuzzer's instrumentation, where
/// every comparison is traced: one pass keeps the last 8 bytes (ASCII
/// lowercased through a table) in a `u64` and ORs a table bit for its hash,
/// with no comparison per byte; only when some window's hash is one of the
/// 12 pieces' (rare) does an exact pass compare windows with the pieces.
/// Same answer as comparing every window (a window with fewer than 8 bytes
/// of text still holds a 0 byte, which no piece does).
pub fn holds_canary(text: &[u8]) -> bool {
    let mut window = 0u64;
    let mut any = 0u8;
    for &byte in text {
        window = (window << 8) | u64::from(LOWER[usize::from(byte)]);
        any |= CANARY_FILTER[piece_hash(window)];
    }
    if any == 0 {
        return false;
    }
    let mut window = 0u64;
    text.iter().any(|&byte| {
        window = (window << 8) | u64::from(LOWER[usize::from(byte)]);
        CANARY_PIECES.contains(&window)
    })
}

/// ASCII lowercase of every byte (other bytes unchanged).
const LOWER: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = (i as u8).to_ascii_lowercase();
        i += 1;
    }
    table
};

/// The 8-byte pieces of the lowercased canary id, as big-endian `u64`s.
const CANARY_PIECES: [u64; CANARY_ID.len() - 7] = {
    let id = CANARY_ID.as_bytes();
    let mut pieces = [0u64; CANARY_ID.len() - 7];
    let mut i = 0;
    while i < pieces.len() {
        let mut piece = 0u64;
        let mut j = 0;
        while j < 8 {
            piece = (piece << 8) | id[i + j].to_ascii_lowercase() as u64;
            j += 1;
        }
        pieces[i] = piece;
        i += 1;
    }
    pieces
};

const fn piece_hash(window: u64) -> usize {
    (window.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize
}

/// 1 at the hash of every piece, 0 elsewhere (4,096 slots).
const CANARY_FILTER: [u8; 4096] = {
    let mut table = [0u8; 4096];
    let mut i = 0;
    while i < CANARY_PIECES.len() {
        table[piece_hash(CANARY_PIECES[i])] = 1;
        i += 1;
    }
    table
};

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
type JsonMap = serde_json::Map<String, serde_json::Value>;

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

/// An input read once for all its doors: a JSON object serde_json reads
/// (no reserved key), holding no piece of the canary even after
/// unescaping, at most [`MAX_DOOR_INPUT`] bytes; and its filler.
pub struct DoorInput {
    root: serde_json::Value,
    filler: serde_json::Value,
}

impl DoorInput {
    /// `None` when `input` is not such an object.
    pub fn new(input: &[u8]) -> Option<DoorInput> {
        Self::read(input, None)
    }

    /// [`DoorInput::new`] for a caller that has read `input` already:
    /// `tree` is serde_json's reading of it (`None`: serde_json rejects
    /// it), `reserved_key` what [`has_serde_json_reserved_key`] says.
    pub fn with_tree(input: &[u8], tree: Option<&serde_json::Value>, reserved_key: bool) -> Option<DoorInput> {
        Self::read(input, Some((tree?, reserved_key)))
    }

    fn read(input: &[u8], known: Option<(&serde_json::Value, bool)>) -> Option<DoorInput> {
        if input.len() > MAX_DOOR_INPUT || !input.trim_ascii_start().starts_with(b"{") {
            return None;
        }
        let reserved_key = match known {
            Some((_, reserved_key)) => reserved_key,
            None => has_serde_json_reserved_key(input),
        };
        if reserved_key || holds_canary(input) {
            return None;
        }
        let root: serde_json::Value = match known {
            Some((tree, _)) => tree.clone(),
            None => serde_json::from_slice(input).ok()?,
        };
        if !root.is_object() || holds_canary(&serde_json::to_vec(&root).ok()?) {
            return None;
        }
        Some(DoorInput { root, filler: filler(input) })
    }

    /// The object a door's key goes into: the top level, or the member
    /// `inside` (created empty when absent); `None` when that is no object.
    fn object_at<'m>(root_map: &'m mut JsonMap, inside: Option<&'static str>) -> Option<&'m mut JsonMap> {
        match inside {
            None => Some(root_map),
            Some(name) => {
                root_map.entry(name).or_insert_with(|| serde_json::Value::Object(JsonMap::new())).as_object_mut()
            }
        }
    }

    /// The input with `token` put through `door` (the value under an
    /// injected key is the filler, so the fuzzer picks its type); `None`
    /// when the door does not fit this input.
    pub fn inject(&self, door: Door, token: &str) -> Option<Vec<u8>> {
        use serde_json::Value;
        let filler = &self.filler;
        let mut root = self.root.clone();
        let root_map = root.as_object_mut()?;
        match door {
            Door::Value { field } => {
                root_map.insert(field.to_owned(), Value::String(token.to_owned()));
                serde_json::to_vec(&root).ok()
            }
            Door::Key { inside } => {
                let object = Self::object_at(root_map, inside)?;
                object.insert(token.to_owned(), filler.clone());
                serde_json::to_vec(&root).ok()
            }
            Door::CaseTwins { inside } => {
                let object = Self::object_at(root_map, inside)?;
                object.insert(token.to_owned(), filler.clone());
                object.insert(token.replace(CANARY_ID, &CANARY_ID.to_ascii_uppercase()), filler.clone());
                serde_json::to_vec(&root).ok()
            }
            Door::DuplicateKey { inside } => {
                // serde_json's map cannot hold a key twice: splice it as text
                // right after the opening brace of the target object.
                const MARKER: &str = "\u{1}ctpolicy-fuzz-door\u{1}";
                // MARKER as serde_json writes it, then `:null`.
                const MARKER_PAIR: &str = "\"\\u0001ctpolicy-fuzz-door\\u0001\":null";
                let object = Self::object_at(root_map, inside)?;
                object.insert(MARKER.to_owned(), Value::Null);
                let text = serde_json::to_string(&root).ok()?;
                let mut found = text.match_indices(MARKER_PAIR);
                let (at, _) = found.next()?;
                if found.next().is_some() {
                    return None;
                }
                let mut pair = serde_json::to_string(token).ok()?;
                pair.push(':');
                pair.push_str(&serde_json::to_string(filler).ok()?);
                // The marker sorts first (serde_json's map is ordered), so it is
                // followed by a comma exactly when the object has other keys.
                let end = at + MARKER_PAIR.len();
                let mut spliced = Vec::with_capacity(text.len() + 2 * pair.len());
                spliced.extend_from_slice(text[..at].as_bytes());
                spliced.extend_from_slice(pair.as_bytes());
                spliced.push(b',');
                spliced.extend_from_slice(pair.as_bytes());
                spliced.extend_from_slice(text[end..].as_bytes());
                Some(spliced)
            }
        }
    }
}

/// [`DoorInput::inject`] for a one-off input (reads it each call).
pub fn inject(input: &[u8], door: Door, token: &str) -> Option<Vec<u8>> {
    DoorInput::new(input)?.inject(door, token)
}

/// Whether the (expensive) leak-door oracle runs on `data`: for 1 input in
/// `one_in`, picked by a hash of its bytes (64-bit FNV-1a), so the same
/// input always gets the same checks and a finding replays.
pub fn door_sampled(data: &[u8], one_in: u64) -> bool {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &byte in data {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash % one_in == 0
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
