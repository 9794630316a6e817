//! Unit tests of the matcher's edges; the shared vectors, the reference
//! model and the split properties are in tests/redact.rs.

use super::*;

fn fp(text: &str) -> String {
    crate::token::fingerprint(text.as_bytes())
}

fn replaced(decoded: &str) -> String {
    format!("[customer-token {}]", fp(decoded))
}

#[test]
fn the_contract_examples() {
    let cases: &[(&str, Option<&str>)] = &[
        ("krn:customer-token:eu1:a1b2", Some("krn:customer-token:eu1:a1b2")),
        (
            "krn:partner:eu1:live:identity:customer-token:a1b2",
            Some("krn:partner:eu1:live:identity:customer-token:a1b2"),
        ),
        ("krn%3Acustomer-token%3Aeu1%3Aa1b2", Some("krn:customer-token:eu1:a1b2")),
        ("krn%3acustomer-token%3aeu1%3aa1b2", Some("krn:customer-token:eu1:a1b2")),
        ("krn:customer-token:", None),
        ("krn:payment:eu1:transaction:x", None),
        ("KRN:customer-token:eu1:a1b2", None),
    ];
    for (text, decoded) in cases {
        let out = redact_str(text);
        match decoded {
            Some(decoded) => assert_eq!(out, replaced(decoded), "{text}"),
            None => assert!(matches!(out, Cow::Borrowed(_)), "{text}"),
        }
    }
    assert_eq!(redact_str("x krn:customer-token:EU1:a b"), format!("x {} b", replaced("krn:customer-token:EU1:a")));
    assert_eq!(redact_str("xkrn:customer-token:eu1:a1b2"), format!("x{}", replaced("krn:customer-token:eu1:a1b2")));
}

#[test]
fn the_fingerprint_is_the_decisions() {
    let token = "krn:customer-token:eu1:a1b2";
    let info = crate::token::parse_token(token.as_bytes()).unwrap();
    let found: Vec<_> = occurrences(format!("a {token} b").as_bytes()).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].fingerprint, info.fingerprint);
    assert_eq!((found[0].offset, found[0].length), (2, token.len() as u64));
    assert!(found[0].well_formed);
    assert_eq!(found[0].form, Some("network"));
    assert_eq!(found[0].region.as_deref(), Some("eu1"));
}

#[test]
fn a_non_occurrence_candidate_resumes_after_its_k() {
    // The candidate at the first k is `krn:krn:customer-token:x`, an
    // occurrence itself; one starting inside a non-occurrence is found too.
    let text = "krn:a:customer-token krn:b:customer-token:x";
    let found: Vec<_> = occurrences(text.as_bytes()).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].offset, 21);
}

#[test]
fn reports_count_lines_and_columns() {
    let text = b"first\nsecond krn:customer-token:eu1:a1b2\n\nx krn%3Acustomer-token%3Aeu1%3Azz";
    let reports = scan(text, Some("app.log"));
    assert_eq!(reports.len(), 2);
    assert_eq!((reports[0].line, reports[0].column, reports[0].length), (2, 8, 27));
    assert_eq!((reports[1].line, reports[1].column, reports[1].length), (4, 3, 31));
    assert_eq!(
        reports[0].to_json(),
        format!(
            r#"{{"file":"app.log","line":2,"column":8,"length":27,"fingerprint":"{}","well_formed":true,"form":"network","region":"eu1"}}"#,
            fp("krn:customer-token:eu1:a1b2")
        )
    );
}

#[test]
fn a_writer_flushes_the_tail_on_finish() {
    let mut writer = RedactingWriter::new(Vec::new());
    writer.write_all(b"a krn:customer-token:eu1:").unwrap();
    writer.write_all(b"a1b2").unwrap();
    let out = writer.finish().unwrap();
    assert_eq!(out, format!("a {}", replaced("krn:customer-token:eu1:a1b2")).into_bytes());
}

use std::io::Write as _;
