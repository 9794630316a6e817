//! `ctpolicy::parse_token` and `ctpolicy::token::parse_token_json` on arbitrary bytes.
//!
//! Asserts:
//! - the two agree (same verdict, code, detail, message);
//! - an accepted token is visible ASCII, starts with `krn:`, is at most 1024
//!   bytes, and its info JSON is exactly
//!   `{"form","region","environment","fingerprint"}` with the region a segment
//!   of the input and the fingerprint SHA-256 of the exact bytes (checked with
//!   an independent SHA-256);
//! - a rejection's error JSON is the same text for every input with that
//!   error (input independence), apart from the UTF-8 error's byte offset,
//!   which must be `valid_up_to`;
//! - no output (info JSON, error JSON, `Display`/`Debug` of the error, of the
//!   info and of `CustomerToken`) contains the segment after the input's
//!   last ':' when that segment is 8 bytes or more, unless the segment also
//!   occurs in the input-independent text of the outputs (so a coincidence
//!   such as an id spelled `fingerprint` is no finding). Fingerprint hex
//!   and the UTF-8 offset are masked first: they vary with the input but
//!   cannot carry it.
#![no_main]

use std::sync::OnceLock;

use ctpolicy::error::Status;
use ctpolicy::token::parse_token_json;
use ctpolicy::token::{parse_token, CustomerToken, TokenError};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::*;

/// Every output text an input can produce, for one input per outcome:
/// (error, error JSON) references and the masked vocabulary.
struct Reference {
    errors: Vec<(TokenError, String)>,
    utf8_error_masked: String,
    vocabulary: Vec<u8>,
}

fn outputs(input: &[u8]) -> Vec<String> {
    let mut texts = Vec::new();
    match parse_token_json(input) {
        Ok(json) => texts.push(json),
        Err(error) => {
            texts.push(error.to_json());
            texts.push(error.to_string());
            texts.push(format!("{error:?}"));
        }
    }
    match parse_token(input) {
        Ok(info) => texts.push(format!("{info:?}")),
        Err(error) => {
            texts.push(error.to_string());
            texts.push(format!("{error:?}"));
        }
    }
    let token = CustomerToken::borrowed(input);
    texts.push(format!("{token:?}"));
    texts.push(format!("{token}"));
    texts
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let long = vec![b'a'; 1025];
        let inputs: [&[u8]; 13] = [
            b"",
            &long,
            b"krn:customer-token:eu1:a b",
            b"\xff",
            b"urn:x",
            b"krn:",
            b"krn:payment:eu1:klarna-network-session-token:abc",
            b"krn:customer-token:eu1:abc:def",
            b"krn:customer-token:EU1:abc",
            b"krn:customer-token:eu1:",
            b"krn:customer-token:eu1:abc",
            b"krn:partner:us1:live:identity:customer-token:abc",
            b"krn:partner:us1:test:identity:customer-token:abc",
        ];
        let mut errors = Vec::new();
        let mut vocabulary = Vec::new();
        for input in inputs {
            if let (Err(kind), Err(error)) = (parse_token(input), parse_token_json(input)) {
                if error.status == Status::TokenInvalid {
                    errors.push((kind, error.to_json()));
                }
            }
            for text in outputs(input) {
                vocabulary.extend_from_slice(mask(&text).as_bytes());
                vocabulary.push(0);
            }
        }
        let utf8_error_masked = mask(&parse_token_json(b"\xff").unwrap_err().to_json());
        Reference { errors, utf8_error_masked, vocabulary }
    })
}

fuzz_target!(|data: &[u8]| {
    let reference = reference();
    let info = parse_token(data);
    let json = parse_token_json(data);
    let utf8 = std::str::from_utf8(data);

    match (&info, &json) {
        (Ok(info), Ok(json)) => {
            assert!(data.len() <= 1024 && data.starts_with(b"krn:"));
            assert!(data.iter().all(|b| (0x21..=0x7e).contains(b)));
            let text = std::str::from_utf8(data).expect("ASCII");
            let segments: Vec<&str> = text.split(':').collect();
            let id = *segments.last().unwrap();
            assert!((1..=255).contains(&id.len()) && id.bytes().all(is_id_byte), "accepted a bad id");
            assert!(segments.len() == 4 || segments.len() == 7, "accepted {} segments", segments.len());
            assert_eq!(info.region, segments[2], "region is not the third segment");
            let fingerprint = sha256_label(data);
            assert_eq!(info.fingerprint, fingerprint);
            let environment = match info.environment {
                Some(env) => format!("\"{}\"", env.as_str()),
                None => "null".to_owned(),
            };
            let expected = format!(
                "{{\"form\":\"{}\",\"region\":\"{}\",\"environment\":{},\"fingerprint\":\"{}\"}}",
                info.form.as_str(),
                info.region,
                environment,
                fingerprint
            );
            assert_eq!(json, &expected, "token info JSON");
            let value = must_parse("token info", json);
            assert_eq!(value.as_object().map(|o| o.len()), Some(4));
        }
        (Err(kind), Err(error)) => {
            let text = error.to_json();
            check_error_json("token error", &text);
            match utf8 {
                Err(utf8_error) => {
                    assert_eq!(error.status, Status::InvalidUtf8);
                    assert!(
                        error.message.ends_with(&format!("offset {})", utf8_error.valid_up_to())),
                        "{}",
                        error.message
                    );
                    assert_eq!(mask(&text), reference.utf8_error_masked, "UTF-8 error text varies with the input");
                }
                Ok(_) => {
                    assert_eq!(error.status, Status::TokenInvalid);
                    assert_eq!(error.code, Some(kind.code()));
                    assert_eq!(error.detail, kind.detail());
                    assert_eq!(error.message, kind.to_string());
                    assert!(error.path.is_none());
                    let same_kind = reference
                        .errors
                        .iter()
                        .find(|(k, _)| k == kind)
                        .unwrap_or_else(|| panic!("no reference input for {kind:?}; add one"));
                    assert_eq!(text, same_kind.1, "error text varies with the input");
                }
            }
        }
        (Ok(_), Err(error)) => panic!("parse_token accepted what parse_token_json rejects: {error:?}"),
        (Err(kind), Ok(_)) => panic!("parse_token_json accepted what parse_token rejects: {kind:?}"),
    }

    // The segment after the last ':' (the whole input without one).
    if data.len() >= 8 {
        let segment = match data.iter().rposition(|&b| b == b':') {
            Some(at) => &data[at + 1..],
            None => data,
        };
        if segment.len() >= 8 {
            for text in outputs(data) {
                // A hit is a finding unless the segment is also in the input-independent text.
                assert!(
                    !contains(mask(&text).as_bytes(), segment) || contains(&reference.vocabulary, segment),
                    "output quotes the input's last segment: {text:?}"
                );
            }
        }
    }
});
