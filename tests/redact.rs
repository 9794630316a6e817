//! Redaction and the leak scan (docs/HYGIENE.md H1, H2): the shared vectors,
//! a plain reference reading of H1, and the promise that a stream gives
//! the same bytes however it is cut.

use std::borrow::Cow;
use std::time::Instant;

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::Value;

use ctpolicy::redact::{self, occurrences, redact, redact_str, Redactor, Scanner, MAX_CANDIDATE_BYTES};

// ---- The reference: H1 read word for word, O(n^2) and proud of it. ----

const LIMIT: usize = MAX_CANDIDATE_BYTES as usize;

/// The run unit at `at`: its length in bytes, or None.
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

fn starts_candidate(text: &[u8], at: usize) -> bool {
    let rest = &text[at..];
    rest.starts_with(b"krn:") || rest.starts_with(b"krn%3A") || rest.starts_with(b"krn%3a")
}

fn reference_decode(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(raw.to_vec()).expect("run units are ASCII");
    text.replace("%3A", ":").replace("%3a", ":").into_bytes()
}

fn reference_is_occurrence(decoded: &[u8]) -> bool {
    let segments: Vec<&[u8]> = decoded.split(|&b| b == b':').collect();
    match segments.iter().position(|s| *s == b"customer-token") {
        Some(first) => segments[first + 1..].iter().any(|s| !s.is_empty()),
        None => false,
    }
}

/// Where the candidate at `start` ends: at the end of its run, or where
/// the limit cuts it (an encoded colon that would cross it left out).
fn candidate_end(text: &[u8], start: usize, limit: usize) -> usize {
    let mut end = start;
    while let Some(len) = unit(text, end) {
        if end + len - start > limit {
            break;
        }
        end += len;
    }
    end
}

/// Where the run that `at` stands in goes on to.
fn run_end(text: &[u8], mut at: usize) -> usize {
    while let Some(len) = unit(text, at) {
        at += len;
    }
    at
}

/// `(start, end)` of every occurrence, with the candidate limit `limit`.
/// An occurrence cut by the limit extends to the end of its run.
fn reference(text: &[u8], limit: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !starts_candidate(text, i) {
            i += 1;
            continue;
        }
        let end = candidate_end(text, i, limit);
        if reference_is_occurrence(&reference_decode(&text[i..end])) {
            let end = run_end(text, end);
            found.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

fn reference_redact(text: &[u8]) -> Vec<u8> {
    reference_redact_with_limit(text, LIMIT)
}

fn reference_redact_with_limit(text: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last = 0;
    for (start, end) in reference(text, limit) {
        out.extend_from_slice(&text[last..start]);
        // The fingerprint is of the text as the limit cut it.
        let cut = candidate_end(text, start, limit);
        let digest = ctpolicy::token::fingerprint(&reference_decode(&text[start..cut]));
        out.extend_from_slice(format!("[customer-token {digest}]").as_bytes());
        last = end;
    }
    out.extend_from_slice(&text[last..]);
    out
}

// ---- The shared vectors. ----

fn expand(text: &Value) -> Vec<u8> {
    match text {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) if o.contains_key("base64") => {
            base64::engine::general_purpose::STANDARD.decode(o["base64"].as_str().unwrap()).unwrap()
        }
        Value::Object(o) if o.contains_key("repeat") => {
            expand(&o["repeat"]).repeat(o["times"].as_u64().unwrap() as usize)
        }
        Value::Object(o) => o["concat"].as_array().unwrap().iter().flat_map(expand).collect(),
        other => panic!("not a text: {other}"),
    }
}

/// One case: name, text, expected redaction, count, expected reports, and
/// where a two-file stream is cut.
type Case = (String, Vec<u8>, Vec<u8>, u64, Vec<Value>, Option<usize>);

fn vectors() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/redact.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(file["version"], 1);
    file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            (
                case["name"].as_str().unwrap().to_owned(),
                expand(&case["text"]),
                expand(&case["redacted"]),
                case["count"].as_u64().unwrap(),
                case["reports"].as_array().unwrap().clone(),
                case["cut"].as_u64().map(|cut| cut as usize),
            )
        })
        .collect()
}

fn redact_in_pieces(text: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut redactor = Redactor::new();
    let mut out = Vec::new();
    let mut last = 0;
    for &cut in cuts {
        redactor.write(&text[last..cut], &mut out);
        assert!(redactor.held_back() <= LIMIT + 2, "held back {} bytes", redactor.held_back());
        last = cut;
    }
    redactor.write(&text[last..], &mut out);
    redactor.finish(&mut out);
    out
}

#[test]
fn every_shared_vector_redacts_and_scans_as_expected() {
    let cases = vectors();
    assert!(cases.len() >= 30);
    for (name, text, redacted, count, reports, cut) in cases {
        let whole = redact(&text);
        assert!(whole.as_ref() == redacted.as_slice(), "{name}: redaction differs");
        assert_eq!(matches!(whole, Cow::Borrowed(_)), count == 0, "{name}: borrowed exactly when nothing was found");
        let mut out = Vec::new();
        assert_eq!(redact::redact_counted(&text, &mut out), count, "{name}");
        assert_eq!(out, redacted, "{name}: the streaming redactor differs");
        // Cut in 4 KiB pieces and byte by byte near every occurrence edge.
        let cuts: Vec<usize> = (1..text.len()).step_by(4093).collect();
        assert!(redact_in_pieces(&text, &cuts) == redacted, "{name}: cut in pieces");
        if let Some(cut) = cut {
            assert!(redact_in_pieces(&text, &[cut]) == redacted, "{name}: cut where the files meet");
        }
        let scanned: Vec<Value> =
            redact::scan(&text, None).iter().map(|r| serde_json::from_str(&r.to_json()).unwrap()).collect();
        assert_eq!(scanned, reports, "{name}: reports");
        assert_eq!(occurrences(&text).count() as u64, count, "{name}");
        if let Ok(text) = std::str::from_utf8(&text) {
            assert_eq!(redact_str(text).as_bytes(), redacted.as_slice(), "{name}: redact_str");
        }
    }
}

#[test]
fn the_vectors_agree_with_the_reference_where_it_is_fast_enough() {
    for (name, text, redacted, _, _, _) in vectors() {
        if text.len() < 100_000 {
            assert_eq!(reference_redact(&text), redacted, "{name}");
        }
    }
}

#[test]
fn report_keys_stand_in_the_contracts_order() {
    let reports = redact::scan(b"krn:customer-token:eu1:a1b2", Some("app.log"));
    let json = reports[0].to_json();
    assert!(json.starts_with(r#"{"file":"app.log","line":1,"column":1,"length":27,"fingerprint":"sha256:"#), "{json}");
    assert!(json.ends_with(r#"","well_formed":true,"form":"network","region":"eu1"}"#), "{json}");
    let bare = redact::scan(b"krn:customer-token:EU1:a", None)[0].to_json();
    assert!(bare.starts_with(r#"{"line":1,"column":1,"length":24,"#), "{bare}");
    assert!(bare.ends_with(r#","well_formed":false,"form":null,"region":null}"#), "{bare}");
}

// ---- Linear time. ----

#[test]
fn a_long_run_of_candidates_is_linear_also_past_the_limit() {
    // 4 MiB of `krn:a:`: every candidate up to the last MiB is cut by the
    // limit, and each must be decided in O(1). A quadratic matcher takes
    // hours here.
    let repeats = 4 * LIMIT / 6;
    let mut text = b"krn:a:".repeat(repeats);
    text.extend_from_slice(b"customer-token:x end");
    let started = Instant::now();
    let out = redact(&text);
    let took = started.elapsed();
    assert!(took.as_secs_f64() < 5.0, "took {took:?}");
    // The first candidate that reaches the end of the run (within the
    // limit) holds `:customer-token:x`; every one before it is cut short.
    let run_end = text.len() - 4;
    let first = (run_end - LIMIT).div_ceil(6) * 6;
    let mut expected = text[..first].to_vec();
    let digest = ctpolicy::token::fingerprint(&text[first..run_end]);
    expected.extend_from_slice(format!("[customer-token {digest}] end").as_bytes());
    assert!(out.as_ref() == expected.as_slice());
    // And byte-sized writes are linear too.
    let started = Instant::now();
    let cuts: Vec<usize> = (1..text.len()).step_by(7).collect();
    assert!(redact_in_pieces(&text, &cuts) == expected);
    assert!(started.elapsed().as_secs_f64() < 20.0, "took {:?}", started.elapsed());
}

#[test]
fn held_back_bytes_never_exceed_one_candidate() {
    let mut redactor = Redactor::new();
    let mut out = Vec::new();
    let chunk = b"krn:a:".repeat(10_000);
    for _ in 0..300 {
        redactor.write(&chunk, &mut out);
        assert!(redactor.held_back() <= LIMIT + 2);
    }
    redactor.finish(&mut out);
    assert_eq!(out.len(), chunk.len() * 300);
}

// ---- Properties. ----

/// Texts built from the pieces that matter to H1.
fn texty() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        &b"krn"[..],
        b":",
        b"%3A",
        b"%3a",
        b"%3",
        b"%",
        b"customer-token",
        b"partner",
        b"identity",
        b"live",
        b"eu1",
        b"a1b2",
        b"k",
        b"r",
        b"n",
        b"x",
        b"-",
        b".",
        b" ",
        b"\n",
        b"\0",
        b"\xff",
        b"KRN",
        b"krn:customer-token:eu1:",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|parts| parts.concat())
}

fn cut_points() -> impl Strategy<Value = Vec<prop::sample::Index>> {
    prop::collection::vec(any::<prop::sample::Index>(), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn redaction_matches_the_reference(text in texty()) {
        prop_assert_eq!(redact(&text).into_owned(), reference_redact(&text));
        let offsets: Vec<(u64, u64)> = occurrences(&text).map(|o| (o.offset, o.length)).collect();
        let expected: Vec<(u64, u64)> =
            reference(&text, LIMIT).iter().map(|&(s, e)| (s as u64, (e - s) as u64)).collect();
        prop_assert_eq!(offsets, expected);
    }

    #[test]
    fn the_limit_matches_the_reference(text in texty(), limit in 6u64..40) {
        prop_assert_eq!(
            redact::redact_with_limit(&text, limit),
            reference_redact_with_limit(&text, limit as usize),
            "limit {}", limit
        );
    }

    #[test]
    fn redaction_matches_the_reference_on_any_bytes(text in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert_eq!(redact(&text).into_owned(), reference_redact(&text));
    }

    #[test]
    fn every_split_point_gives_the_whole_redaction(text in texty()) {
        let whole = redact(&text).into_owned();
        for cut in 0..=text.len() {
            prop_assert_eq!(&redact_in_pieces(&text, &[cut]), &whole, "cut at {}", cut);
        }
    }

    #[test]
    fn random_multi_way_splits_give_the_whole_redaction(text in texty(), cuts in cut_points()) {
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(text.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(redact_in_pieces(&text, &cuts), redact(&text).into_owned());
        // The scanner sees the same occurrences at the same places.
        let mut scanner = Scanner::new(None);
        let mut reports = Vec::new();
        let mut last = 0;
        for &cut in &cuts {
            scanner.write(&text[last..cut], &mut reports);
            last = cut;
        }
        scanner.write(&text[last..], &mut reports);
        scanner.finish(&mut reports);
        prop_assert_eq!(reports, redact::scan(&text, None));
    }

    #[test]
    fn no_report_holds_a_piece_of_the_token(id in "[A-Za-z0-9]{12,40}", prefix in "[ a-z\n]{0,20}") {
        let text = format!("{prefix}krn:customer-token:eu1:{id} and krn%3Acustomer-token%3Aeu1%3A{id}Q");
        let reports = redact::scan(text.as_bytes(), Some("x.log"));
        prop_assert_eq!(reports.len(), 2);
        for report in reports {
            let json = report.to_json();
            prop_assert!(!json.contains(&id[..8]), "{}", json);
            prop_assert!(!json.contains("customer-token:"), "{}", json);
        }
        prop_assert!(!redact_str(&text).contains(&id[..8]));
    }
}

/// The reference with a small limit agrees with the matcher's logic for
/// cut candidates: the matcher's limit is fixed, so this checks the
/// reference itself on the shapes the big vectors cover.
#[test]
fn the_reference_cuts_at_the_limit() {
    assert_eq!(reference(b"krn:customer-token:x", 19), vec![]);
    assert_eq!(reference(b"krn:customer-token:xy", 20), vec![(0, 21)]);
    assert_eq!(reference(b"krn:customer-token:xy z", 20), vec![(0, 21)]);
    assert_eq!(reference(b"krn:a:krn:customer-token:x", 10), vec![]);
    assert_eq!(reference(b"krn:aakrn:customer-token:x", 20), vec![(6, 26)]);
    // Cut by the limit, an occurrence takes in its whole run.
    assert_eq!(reference(b"krn:customer-token:e%3Au1:abcd efgh", 21), vec![(0, 30)]);
}

/// H1's limit: an occurrence cut by it is redacted to the end of its run
/// (the token at the end of a long run is not copied out), reported with
/// its whole length, and fingerprinted as cut; a cut candidate that is not
/// an occurrence gives way to the occurrences inside it.
#[test]
fn an_occurrence_cut_by_the_limit_extends_to_the_end_of_its_run() {
    let token = "krn:customer-token:eu1:c0ffee42-dead-4bef-8a5e-0123456789ab";
    // The door as found: `krn:` + 1,048,552 `x` + a token on one line. The
    // candidate at the first `krn` holds `:customer-token:e` when the limit
    // cuts it: an occurrence, so the rest of the token goes with it.
    let mut text = b"krn:".to_vec();
    text.extend(std::iter::repeat_n(b'x', LIMIT - 24));
    text.extend_from_slice(token.as_bytes());
    text.extend_from_slice(b" tail\n");
    let fingerprint = ctpolicy::token::fingerprint(&text[..LIMIT]);
    let expected = format!("[customer-token {fingerprint}] tail\n");
    assert!(redact(&text).as_ref() == expected.as_bytes());
    let reports = redact::scan(&text, None);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].length, text.len() as u64 - 6);

    // A cut candidate that is not an occurrence gives way to the one
    // starting inside it, found whole.
    let mut text = b"krn:".to_vec();
    text.extend(std::iter::repeat_n(b'x', LIMIT + 10));
    let inner = text.len();
    text.extend_from_slice(token.as_bytes());
    text.extend_from_slice(b" tail\n");
    let expected = [&text[..inner], replacement_of(token).as_bytes(), b" tail\n"].concat();
    assert!(redact(&text).as_ref() == expected.as_slice());
    assert!(redact_in_pieces(&text, &[3, LIMIT, inner + 2]) == expected);

    // A first candidate that is an occurrence, cut by the limit inside the
    // token after it: the whole run is the occurrence.
    let mut text = b"krn:customer-token:eu1:".to_vec();
    text.extend(std::iter::repeat_n(b'x', LIMIT - 30));
    text.push(b':');
    text.extend_from_slice(token.as_bytes());
    text.extend_from_slice(b" tail\n");
    let run = text.len() - 6;
    let fingerprint = ctpolicy::token::fingerprint(&text[..LIMIT]);
    let expected = format!("[customer-token {fingerprint}] tail\n");
    assert!(redact(&text).as_ref() == expected.as_bytes());
    assert!(redact_in_pieces(&text, &[1, LIMIT - 3, LIMIT, LIMIT + 5, run - 1]) == expected.as_bytes());
    assert!(redact_in_pieces(&text, &(1..text.len()).step_by(4093).collect::<Vec<_>>()) == expected.as_bytes());
    let found: Vec<_> = occurrences(&text).collect();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].offset, found[0].length), (0, run as u64));
    assert_eq!(found[0].fingerprint, fingerprint);
    let reports = redact::scan(&text, Some("f"));
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].line, reports[0].column, reports[0].length), (1, 1, run as u64));
    // Streaming, the report of a cut occurrence waits for its run's end.
    let mut scanner = Scanner::new(None);
    let mut streamed = Vec::new();
    for piece in text.chunks(100_003) {
        scanner.write(piece, &mut streamed);
    }
    scanner.finish(&mut streamed);
    assert_eq!(streamed.len(), 1);
    assert_eq!(streamed[0].length, run as u64);

    // An encoded colon at the limit counts whole in the run, left out of
    // the fingerprint.
    let mut text = b"krn:customer-token:eu1:".to_vec();
    text.extend(std::iter::repeat_n(b'x', LIMIT - 24));
    text.extend_from_slice(b"%3Aabc%3a");
    let fingerprint = ctpolicy::token::fingerprint(&text[..LIMIT - 1]);
    assert_eq!(redact(&text).as_ref(), format!("[customer-token {fingerprint}]").as_bytes());
}

fn replacement_of(token: &str) -> String {
    format!("[customer-token {}]", ctpolicy::token::fingerprint(token.as_bytes()))
}
