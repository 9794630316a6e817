//! The H1 matcher (docs/HYGIENE.md) on arbitrary bytes, against a plain
//! reference reading of H1 written here, and the streaming redactor
//! against the whole-text redaction.
//!
//! Input: byte 0 picks how the stream is cut (a piece length of 1 to 64
//! bytes) and a small candidate limit (6 to 69 bytes) so the limit's edge
//! cases are reached with short inputs; the rest is the text.
//!
//! Asserts:
//! - `redact` equals the reference redaction (real 1 MiB limit), and the
//!   matcher with the small limit equals the reference with that limit;
//! - the `Redactor` fed in pieces gives the same bytes, never holding back
//!   more than the limit allows;
//! - a canary token at the end of a run longer than the (small) limit,
//!   followed by the text, comes out with no 8-byte piece of its id;
//! - `occurrences` and `scan` report exactly the reference's spans, and no
//!   report's JSON holds the occurrence's last segment (its id) when that
//!   is 8 bytes or more (unless it is spelled like a fixed part of the JSON).
#![no_main]

use ctpolicy::redact::{self, Redactor, MAX_CANDIDATE_BYTES};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

#[path = "common.rs"]
mod common;
use common::{holds_canary, CANARY_ID};

fn unit(text: &[u8], at: usize) -> Option<usize> {
    let b = *text.get(at)?;
    if b.is_ascii_alphanumeric() || b".-_~:".contains(&b) {
        Some(1)
    } else if text[at..].starts_with(b"%3A") || text[at..].starts_with(b"%3a") {
        Some(3)
    } else {
        None
    }
}

fn decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            out.push(b':');
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// Where the run that `at` stands in goes on to.
fn run_end(text: &[u8], mut at: usize) -> usize {
    while let Some(len) = unit(text, at) {
        at += len;
    }
    at
}

/// H1 word for word: try a candidate at every `krn` + colon, extend it,
/// split the decoded text, resume after it or after its `k`. An
/// occurrence cut by the limit extends to the end of its run: each span is
/// `(start, end, cut)`, its fingerprint taken of `start..cut`.
fn reference(text: &[u8], limit: usize) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if !(rest.starts_with(b"krn:") || rest.starts_with(b"krn%3A") || rest.starts_with(b"krn%3a")) {
            i += 1;
            continue;
        }
        let mut end = i;
        while let Some(len) = unit(text, end) {
            if end + len - i > limit {
                break;
            }
            end += len;
        }
        let decoded = decode(&text[i..end]);
        let segments: Vec<&[u8]> = decoded.split(|&b| b == b':').collect();
        let occurrence = match segments.iter().position(|s| *s == b"customer-token") {
            Some(first) => segments[first + 1..].iter().any(|s| !s.is_empty()),
            None => false,
        };
        if occurrence {
            let whole = run_end(text, end);
            found.push((i, whole, end));
            i = whole;
        } else {
            i += 1;
        }
    }
    found
}

fn reference_redact(text: &[u8], spans: &[(usize, usize, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last = 0;
    for &(start, end, cut) in spans {
        out.extend_from_slice(&text[last..start]);
        let digest = Sha256::digest(decode(&text[start..cut]));
        out.extend_from_slice(b"[customer-token sha256:");
        for byte in digest {
            out.extend_from_slice(format!("{byte:02x}").as_bytes());
        }
        out.push(b']');
        last = end;
    }
    out.extend_from_slice(&text[last..]);
    out
}

/// The token the long-run oracle searches for: the leak-door canary of
/// common.rs, whose scan ([`holds_canary`]) finds any 8-byte piece of its
/// id without a `memcmp` per window (libFuzzer traces every `memcmp`, and
/// one per window per piece was a quarter of this target's time).
fn canary() -> String {
    format!("krn:customer-token:eu1:{CANARY_ID}")
}

/// Whether `text` holds `needle` (ASCII here). `str::contains` searches
/// without a traced `memcmp` per window.
fn holds(text: &[u8], needle: &[u8]) -> bool {
    match (std::str::from_utf8(text), std::str::from_utf8(needle)) {
        (Ok(text), Ok(needle)) => text.contains(needle),
        _ => text.windows(needle.len()).any(|w| w == needle),
    }
}

/// Every fixed piece of a report's JSON.
const SKELETON: &str = r#"{"file":"f","line":,"column":,"length":,"fingerprint":"sha256:","well_formed":true,false,"form":"network","identity",null,"region":}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else { return };
    let piece = usize::from(selector % 64) + 1;
    let small_limit = usize::from(selector / 4) + 6;

    // A token at the end of a run longer than the limit: the run's first
    // candidate is cut inside the token (or just before it), and nothing of
    // the token's id may come out, whatever follows. With the small limit
    // (at least the canary's length, so the canary alone is never cut).
    let canary = canary();
    let canary_limit = small_limit.max(canary.len());
    let mut long_run = b"krn:".to_vec();
    long_run.extend(std::iter::repeat_n(b'x', canary_limit - 4 - usize::from(selector % 41).min(canary_limit - 4)));
    long_run.extend_from_slice(canary.as_bytes());
    long_run.extend_from_slice(text);
    let redacted = redact::redact_with_limit(&long_run, canary_limit as u64);
    // (A text that spells a piece of the canary itself proves nothing.)
    assert!(
        holds_canary(text) || !holds_canary(&redacted),
        "a token at the end of a run longer than the limit leaked"
    );
    assert!(redacted == reference_redact(&long_run, &reference(&long_run, canary_limit)));

    let spans = reference(text, MAX_CANDIDATE_BYTES as usize);
    let expected = reference_redact(text, &spans);
    let whole = redact::redact(text);
    assert!(whole.as_ref() == expected.as_slice(), "redact differs from the reference");

    let small = reference(text, small_limit);
    assert!(
        redact::redact_with_limit(text, small_limit as u64) == reference_redact(text, &small),
        "with limit {small_limit}: differs from the reference"
    );

    let mut redactor = Redactor::new();
    let mut streamed = Vec::new();
    for chunk in text.chunks(piece) {
        redactor.write(chunk, &mut streamed);
        assert!(redactor.held_back() <= MAX_CANDIDATE_BYTES as usize + 2);
    }
    let total = redactor.finish(&mut streamed);
    assert!(streamed == expected, "the stream in {piece}-byte pieces differs");
    assert_eq!(total, spans.len() as u64);

    let found: Vec<(usize, usize)> =
        redact::occurrences(text).map(|o| (o.offset as usize, (o.offset + o.length) as usize)).collect();
    assert_eq!(found, spans.iter().map(|&(start, end, _)| (start, end)).collect::<Vec<_>>());
    let reports = redact::scan(text, Some("f"));
    assert_eq!(reports.len(), spans.len());
    for (report, &(start, end, _)) in reports.iter().zip(&spans) {
        let line_start = text[..start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        assert_eq!(report.column as usize, start - line_start + 1);
        assert_eq!(report.line as usize, text[..start].iter().filter(|&&b| b == b'\n').count() + 1);
        let id = decode(&text[start..end]);
        let id = id.rsplit(|&b| b == b':').next().unwrap_or_default();
        // An id spelled like a key of the report (`fingerprint`) is a
        // coincidence, not a leak.
        if id.len() >= 8 && !holds(SKELETON.as_bytes(), id) {
            let json = report.to_json();
            assert!(!holds(json.as_bytes(), id), "a report holds the token's id");
        }
    }
});
