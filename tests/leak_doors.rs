//! docs/HYGIENE.md H4: a token a caller put where it does not belong
//! (an object key, a header name, `decision_id`, a policy key, a command
//! line argument, a file name) comes out of every face only as
//! `[customer-token sha256:<fingerprint of the token>]`.
//!
//! Each door gets a recognisable token; every output is searched for the
//! token's id and for every 8-character piece of it, and the replacement
//! must stand where the token stood.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::ptr;

use sha2::{Digest, Sha256};

use ctpolicy::ffi::*;
use ctpolicy::Engine;

mod support;
use support::{run, take};

/// The token every door is tried with, and a second one equal to it but
/// for the case of its id (rule 703 needs two such header names).
const TOKEN: &str = "krn:customer-token:eu1:Zq7LeakDoorCanary9x";
const TOKEN_UPPER: &str = "krn:customer-token:eu1:ZQ7LEAKDOORCANARY9X";

fn id(token: &str) -> &str {
    token.rsplit(':').next().unwrap()
}

/// `[customer-token sha256:<hex of SHA-256 of the token>]`, computed here.
fn replacement(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("[customer-token sha256:{hex}]")
}

/// Fails when `output` holds either token's id or any 8-byte piece of it.
fn assert_clean(what: &str, output: &str) {
    for token in [TOKEN, TOKEN_UPPER] {
        let id = id(token);
        assert!(!output.contains(token), "{what}: the token leaked: {output}");
        for start in 0..=id.len() - 8 {
            let piece = &id[start..start + 8];
            assert!(!output.contains(piece), "{what}: a piece of the token ({piece}) leaked: {output}");
        }
    }
}

/// Clean, and the replacement of `token` stands in it.
fn assert_redacted(what: &str, output: &str, token: &str) {
    assert_replaced(what, output, &replacement(token));
}

/// Clean, and `replaced` (a replacement) stands in it.
fn assert_replaced(what: &str, output: &str, replaced: &str) {
    assert_clean(what, output);
    assert!(output.contains(replaced), "{what}: no replacement for the token in: {}", shorten(output));
}

/// A long output cut to what a failure message can show.
fn shorten(text: &str) -> String {
    if text.len() <= 2000 {
        return text.to_owned();
    }
    let head: String = text.chars().take(600).collect();
    let tail: String = text.chars().rev().take(1200).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}…({} bytes)…{tail}", text.len())
}

/// Keys that JSON Pointer escaping (`~` → `~0`, `/` → `~1`) takes past the
/// matcher's 1 MiB limit, with the replacement each must come out as: the
/// key is redacted as the caller wrote it, before it is escaped.
fn long_keys() -> Vec<(&'static str, String, String)> {
    // Half a MiB of `~` or `/` doubles when escaped.
    let half = 524_276;
    let tildes = format!("krn:{}{TOKEN}", "~".repeat(half));
    let slashes = format!("{}{TOKEN}", "/".repeat(half));
    let tail = format!("krn:{}:{TOKEN}", "x".repeat(1_048_576 - 2_000));
    vec![
        // One run: the whole key is the occurrence.
        ("tildes, one run", replacement(&tildes), tildes),
        // `/` ends a run: the token after them is an occurrence of its own.
        ("slashes before the token", replacement(TOKEN), slashes),
        // Near the limit before escaping (nothing to escape): a token at
        // the end of a run just under 1 MiB.
        ("a token at the end of a run near the limit", replacement(&tail), tail),
    ]
}

/// The long-key doors of a request: the key in a partner blob above a
/// duplicate, as an unknown top-level key, a counters key and a header name.
fn long_key_request_doors() -> Vec<RequestDoor> {
    let mut doors = Vec::new();
    for (what, replaced, key) in long_keys() {
        // A replacement has nothing to escape; the slashes before it do.
        let prefix = if key.starts_with('/') { "~1".repeat(524_276) } else { String::new() };
        let segment = format!("{prefix}{replaced}");
        doors.push(RequestDoor {
            name: what,
            request: renewal("", "").replace(
                r#""currency": "EUR","#,
                &format!(r#""currency": "EUR", "supplementary_purchase_data": {{"{key}": {{"a": 1, "a": 2}}}},"#),
            ),
            replaced: replaced.clone(),
            path: format!("/body/supplementary_purchase_data/{segment}/a"),
        });
        doors.push(RequestDoor {
            name: what,
            request: renewal("", &format!(r#", "{key}": 1"#)),
            replaced: replaced.clone(),
            path: format!("/{segment}"),
        });
        doors.push(RequestDoor {
            name: what,
            request: renewal("", &format!(r#", "counters": {{"{key}": 1}}"#)),
            replaced: replaced.clone(),
            path: format!("/counters/{segment}"),
        });
        doors.push(RequestDoor {
            name: what,
            request: renewal(&format!(r#", "{key}": 5"#), ""),
            replaced: replaced.clone(),
            path: format!("/headers/{segment}"),
        });
    }
    doors
}

const RECORD: &str = r#"{"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"}"#;

/// A renewal that is ALLOW as it stands; `extra_headers` and
/// `extra_members` are spliced in (each with a leading comma).
fn renewal(extra_headers: &str, extra_members: &str) -> String {
    format!(
        r#"{{"customer_present": false, "headers": {{"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "renewal-42"{extra_headers}}}, "token_record": {RECORD}, "body": {{"currency": "EUR", "request_payment_transaction": {{"amount": 1299, "payment_transaction_reference": "r-42"}}}}{extra_members}}}"#
    )
}

/// A request door: the request, the token in it, and the path the error
/// or finding must carry (the token's segment replaced, the others kept).
struct RequestDoor {
    name: &'static str,
    request: String,
    /// The replacement that must stand where the token stood.
    replaced: String,
    path: String,
}

fn request_doors() -> Vec<RequestDoor> {
    let r = replacement;
    let mut doors = vec![
        RequestDoor {
            name: "duplicate key inside a partner blob",
            request: renewal("", "").replace(
                r#""currency": "EUR","#,
                &format!(r#""currency": "EUR", "supplementary_purchase_data": {{"{TOKEN}": 1, "{TOKEN}": 2}},"#),
            ),
            replaced: replacement(TOKEN),
            path: format!("/body/supplementary_purchase_data/{}", r(TOKEN)),
        },
        RequestDoor {
            name: "unknown top-level key",
            request: renewal("", &format!(r#", "{TOKEN}": 1"#)),
            replaced: replacement(TOKEN),
            path: format!("/{}", r(TOKEN)),
        },
        RequestDoor {
            name: "unknown counters key",
            request: renewal("", &format!(r#", "counters": {{"{TOKEN}": 1}}"#)),
            replaced: replacement(TOKEN),
            path: format!("/counters/{}", r(TOKEN)),
        },
        RequestDoor {
            name: "header named by the token, wrong type",
            request: renewal(&format!(r#", "{TOKEN}": 5"#), ""),
            replaced: replacement(TOKEN),
            path: format!("/headers/{}", r(TOKEN)),
        },
        RequestDoor {
            name: "a token-named header on a duplicated header error (two keys equal)",
            request: renewal(&format!(r#", "{TOKEN}": "a", "{TOKEN}": "b""#), ""),
            replaced: replacement(TOKEN),
            path: format!("/headers/{}", r(TOKEN)),
        },
    ];
    doors.extend(long_key_request_doors());
    doors
}

/// Rule 703 on two header names that are both tokens, equal but for case:
/// a decision (DENY), the finding's path names the second.
fn rule_703_request() -> String {
    renewal(&format!(r#", "{TOKEN}": "a", "{TOKEN_UPPER}": "b""#), "")
}

fn with_decision_id(decision_id: &str) -> String {
    renewal("", &format!(r#", "decision_id": "{decision_id}""#))
}

// ---------------------------------------------------------------- library

#[test]
fn request_doors_through_the_library() {
    let engine = Engine::default();
    for door in request_doors() {
        let error = engine.check_json(door.request.as_bytes()).expect_err(door.name);
        assert!(error.path.as_deref() == Some(door.path.as_str()), "{}: {}", door.name, shorten(&error.to_json()));
        for (face, text) in
            [("to_json", error.to_json()), ("Display", error.to_string()), ("Debug", format!("{error:?}"))]
        {
            assert_replaced(&format!("{} ({face})", door.name), &text, &door.replaced);
        }
        let mut out = String::new();
        let error = engine.check_json_into(door.request.as_bytes(), &mut out).expect_err(door.name);
        assert_replaced(door.name, &error.to_json(), &door.replaced);
        assert_clean(door.name, &out);
        let error = engine.check_json_verdict(door.request.as_bytes(), None).expect_err(door.name);
        assert_replaced(door.name, &error.to_json(), &door.replaced);
    }
}

#[test]
fn rule_703_on_two_token_named_headers() {
    let engine = Engine::default();
    let request = rule_703_request();
    let decision = engine.check_json(request.as_bytes()).unwrap();
    assert!(!decision.allowed());
    let finding = decision.violations.iter().find(|f| f.id() == 703).expect("703 fires");
    assert_eq!(finding.hit.path, format!("/headers/{}", replacement(TOKEN_UPPER)));
    let json = engine.decision_json(&decision);
    assert_redacted("703 decision", &json, TOKEN_UPPER);
    let mut fast = String::new();
    engine.check_json_into(request.as_bytes(), &mut fast).unwrap();
    assert_eq!(fast, json, "the fast path writes the same redacted bytes");
}

#[test]
fn decision_id_is_redacted_in_the_receipt() {
    let engine = Engine::default();
    for (given, expected) in [
        (TOKEN.to_owned(), replacement(TOKEN)),
        (format!("renewal/{TOKEN}/2"), format!("renewal/{}/2", replacement(TOKEN))),
        // An encoded colon is a colon (H1): the fingerprint is of the decoded token.
        (TOKEN.replace(':', "%3A"), replacement(TOKEN)),
    ] {
        let request = with_decision_id(&given);
        let decision = engine.check_json(request.as_bytes()).unwrap();
        assert!(decision.allowed());
        assert_eq!(decision.decision_id.as_deref(), Some(expected.as_str()));
        let json = engine.decision_json(&decision);
        assert_redacted("receipt", &json, TOKEN);
        let receipt: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(receipt["receipt"]["decision_id"], expected.as_str());
        let mut fast = String::new();
        engine.check_json_into(request.as_bytes(), &mut fast).unwrap();
        assert_eq!(fast, json);
    }
    // An id without a token is echoed byte for byte.
    let decision = engine.check_json(with_decision_id("renewal-42/krn:payment:eu1:x").as_bytes()).unwrap();
    assert_eq!(decision.decision_id.as_deref(), Some("renewal-42/krn:payment:eu1:x"));
}

/// Policies whose keys are the token, with the path their error must carry.
fn policy_doors() -> Vec<(String, String)> {
    let r = replacement(TOKEN);
    let mut doors = vec![
        (format!(r#"{{"{TOKEN}": 1}}"#), format!("/{r}")),
        (format!(r#"{{"severity": {{"{TOKEN}": "warn"}}}}"#), format!("/severity/{r}")),
        (
            format!(r#"{{"max_amount": {{"payment:customer_present": {{"{TOKEN}": 5}}}}}}"#),
            format!("/max_amount/payment:customer_present/{r}"),
        ),
        (format!(r#"{{"max_amount": {{"{TOKEN}": {{}}}}}}"#), format!("/max_amount/{r}")),
        (format!(r#"{{"max_attempts": {{"{TOKEN}": 1}}}}"#), format!("/max_attempts/{r}")),
        (format!(r#"{{"version": 1, "version": 1, "{TOKEN}": 1, "{TOKEN}": 2}}"#), "/version".to_owned()),
        (format!(r#"{{"allowed_regions": ["eu1"], "{TOKEN}": 1, "{TOKEN}": 2}}"#), format!("/{r}")),
    ];
    doors.extend(long_key_policy_doors());
    doors
}

/// Policies whose keys escaping takes past the limit, with their paths.
fn long_key_policy_doors() -> Vec<(String, String)> {
    let mut doors = Vec::new();
    for (_, replaced, key) in long_keys() {
        let prefix = if key.starts_with('/') { "~1".repeat(524_276) } else { String::new() };
        let segment = format!("{prefix}{replaced}");
        doors.push((format!(r#"{{"{key}": 1}}"#), format!("/{segment}")));
        doors.push((format!(r#"{{"severity": {{"{key}": "warn"}}}}"#), format!("/severity/{segment}")));
        doors.push((format!(r#"{{"max_attempts": {{"{key}": 1}}}}"#), format!("/max_attempts/{segment}")));
    }
    doors
}

#[test]
fn policy_loader_messages_and_paths() {
    for (policy, path) in policy_doors() {
        let what = shorten(&policy);
        let error = Engine::from_policy_json(policy.as_bytes()).expect_err(&what);
        assert!(error.path.as_deref() == Some(path.as_str()), "{what}: {}", shorten(&error.to_json()));
        assert_clean(&what, &error.to_json());
        assert_clean(&what, &error.to_string());
    }
    // The unknown-field message names the key (redacted), so an operator
    // still sees which key it was.
    let error = Engine::from_policy_json(format!(r#"{{"{TOKEN}": 1}}"#).as_bytes()).unwrap_err();
    assert!(error.message.contains(&replacement(TOKEN)), "{}", error.message);
}

#[test]
fn lifecycle_errors_are_redacted_but_the_record_is_the_partners() {
    let event = format!(r#"{{"type": "REVOKED", "{TOKEN}": 1, "{TOKEN}": 2}}"#);
    let error = ctpolicy::apply_event(Some(RECORD.as_bytes()), event.as_bytes()).unwrap_err();
    assert_redacted("apply_event event key", &error.to_json(), TOKEN);
    let record = format!(r#"{{"{TOKEN}": 1, "{TOKEN}": 2}}"#);
    let error = ctpolicy::apply_event(Some(record.as_bytes()), br#"{"type": "REVOKED"}"#).unwrap_err();
    assert_redacted("apply_event duplicate key", &error.to_json(), TOKEN);
    assert_eq!(error.path, Some(format!("/{}", replacement(TOKEN))));
    // The one exception (H4): the record apply_event returns is the
    // partner's own data, its customer_token verbatim.
    let transition = ctpolicy::apply_event(
        Some(RECORD.as_bytes()),
        br#"{"type": "REVOKED", "at": "2026-11-30T12:00:00Z", "by": "PARTNER"}"#,
    )
    .unwrap();
    assert!(transition.json().contains(r#""customer_token":"krn:customer-token:eu1:a1b2""#), "{}", transition.json());
}

// ------------------------------------------------------------------ C ABI

fn empty() -> ctp_buf {
    ctp_buf { ptr: ptr::null_mut(), len: 0 }
}

fn c_engine(policy: &str) -> Result<*mut ctp_engine, String> {
    let mut engine = ptr::null_mut();
    let mut error = empty();
    // SAFETY: valid pointers and lengths.
    let status = unsafe { ctp_engine_new(policy.as_ptr(), policy.len(), &mut engine, &mut error) };
    if status == CTP_OK {
        Ok(engine)
    } else {
        Err(take(error))
    }
}

#[test]
fn request_doors_through_the_c_abi() {
    let engine = c_engine("").unwrap();
    let mut requests: Vec<(String, String)> = request_doors().into_iter().map(|d| (d.request, d.replaced)).collect();
    requests.push((rule_703_request(), replacement(TOKEN_UPPER)));
    requests.push((with_decision_id(TOKEN), replacement(TOKEN)));
    for (request, token) in &requests {
        let mut out = empty();
        // SAFETY: valid pointers and lengths.
        let both: *mut ctp_buf = &mut out;
        // SAFETY: valid pointers and lengths; one buffer is both out and error.
        unsafe { ctp_check_json(engine, request.as_ptr(), request.len(), both, both) };
        assert_replaced("ctp_check_json", &take(out), token);

        // SAFETY: all-zero is a valid ctp_verdict to be overwritten.
        let mut verdict: ctp_verdict = unsafe { std::mem::zeroed() };
        let (mut decision, mut error) = (empty(), empty());
        // SAFETY: valid pointers and lengths.
        unsafe {
            ctp_check_json_verdict(engine, request.as_ptr(), request.len(), &mut verdict, &mut decision, &mut error)
        };
        let both = take(decision) + &take(error);
        assert_replaced("ctp_check_json_verdict", &both, token);

        let mut audit = empty();
        let zero = format!("sha256:{}", "0".repeat(64));
        // SAFETY: valid pointers and lengths; `at` as given is the host's own text.
        unsafe {
            ctp_audit_entry_json(
                engine,
                request.as_ptr(),
                request.len(),
                1,
                zero.as_ptr(),
                zero.len(),
                TOKEN.as_ptr(),
                TOKEN.len(),
                &mut audit,
                ptr::null_mut(),
            )
        };
        let entry = take(audit);
        assert_redacted("ctp_audit_entry_json", &entry, TOKEN);
    }
    let inputs: Vec<ctp_input> = requests.iter().map(|(r, _)| ctp_input { ptr: r.as_ptr(), len: r.len() }).collect();
    // SAFETY: all-zero results are overwritten on CTP_OK.
    let mut results: Vec<ctp_result> = (0..inputs.len()).map(|_| unsafe { std::mem::zeroed() }).collect();
    // SAFETY: `inputs.len()` inputs and results.
    let status = unsafe {
        ctp_check_many(engine, inputs.as_ptr(), inputs.len(), results.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
    };
    assert_eq!(status, CTP_OK);
    for (result, (_, token)) in results.iter_mut().zip(&requests) {
        let json = take(std::mem::replace(&mut result.json, empty()));
        assert_replaced("ctp_check_many", &json, token);
    }
    // The same answers placed in one caller buffer.
    let mut places: Vec<ctp_placed_result> = (0..inputs.len()).map(|_| unsafe { std::mem::zeroed() }).collect();
    let mut written = 0usize;
    let mut place_answers = |out: *mut u8, capacity: usize, written: &mut usize| {
        // SAFETY: `inputs.len()` inputs and places; `out` is NULL with a
        // capacity of 0 or has `capacity` writable bytes.
        unsafe {
            ctp_check_many_into(
                engine,
                inputs.as_ptr(),
                inputs.len(),
                places.as_mut_ptr(),
                out,
                capacity,
                written,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        }
    };
    // No buffer: the call asks for the size alone.
    assert_eq!(place_answers(ptr::null_mut(), 0, &mut written), CTP_BUFFER_TOO_SMALL);
    let mut answers = vec![0u8; written];
    let status = place_answers(answers.as_mut_ptr(), answers.len(), &mut written);
    assert_eq!(status, CTP_OK);
    for (place, (_, token)) in places.iter().zip(&requests) {
        let json = std::str::from_utf8(&answers[place.offset..place.offset + place.len]).unwrap();
        assert_replaced("ctp_check_many_into", json, token);
    }
    // SAFETY: the engine from ctp_engine_new, freed once.
    unsafe { ctp_engine_free(engine) };
}

#[test]
fn policy_doors_through_ctp_engine_new() {
    for (policy, path) in policy_doors() {
        let what = shorten(&policy);
        let error = c_engine(&policy).expect_err(&what);
        assert_clean(&what, &error);
        let parsed: serde_json::Value = serde_json::from_str(&error).unwrap();
        assert!(parsed["error"]["path"] == path.as_str(), "{what}");
        // The vault lint loads the same policy, strictly.
        let mut vault = ptr::null_mut();
        let mut error = empty();
        // SAFETY: valid pointers and lengths; no `now`.
        let status =
            unsafe { ctp_vault_new(policy.as_ptr(), policy.len(), ptr::null(), 0, -1, &mut vault, &mut error) };
        assert_eq!(status, CTP_INVALID_POLICY, "{what}");
        let error = take(error);
        assert_clean(&what, &error);
        let parsed: serde_json::Value = serde_json::from_str(&error).unwrap();
        assert!(parsed["error"]["path"] == path.as_str(), "{what}");
    }
}

#[test]
fn the_audit_entry_carries_the_redacted_decision_id() {
    let engine = Engine::default();
    let request = with_decision_id(&format!("id-{TOKEN}"));
    let checked = ctpolicy::audit::Checked::check(
        &engine,
        request.as_bytes(),
        &ctpolicy::audit::Clock::Fixed("2026-11-30T12:00:00.000Z".into()),
    );
    let line = checked.entry(&engine).to_line();
    assert_redacted("audit entry", &line, TOKEN);
    let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(entry["decision_id"], format!("id-{}", replacement(TOKEN)));
}

// ---------------------------------------------------------- command line

fn both(output: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A fresh directory under the target dir, with a file whose name is the
/// token (and a directory so named, for paths through it).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("leak_doors_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn argument_errors_are_redacted_with_clap_exit_codes() {
    let flag = format!("--{TOKEN}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["token", TOKEN],
        vec![TOKEN],
        vec!["check", &flag],
        vec!["check", "--format", TOKEN],
        vec!["scan", "--format", TOKEN],
        vec!["rules", "--format", TOKEN],
        vec!["audit", "verify", "--format", TOKEN, "x"],
        vec!["audit", TOKEN],
        vec!["vault", TOKEN],
        vec!["vault", "lint", "--format", TOKEN],
        vec!["apply", "--event"],
        vec!["apply", "--record", "x", &flag],
        vec!["check", "--audit-fsync", TOKEN],
    ];
    for args in cases {
        let output = run(&args, b"");
        let text = both(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert_clean(&format!("{args:?}"), &text);
        assert!(output.stdout.is_empty(), "{args:?}: argument errors go to stderr");
        if args.iter().any(|a| a.contains(TOKEN)) && !args.contains(&"--audit-fsync") {
            assert!(text.contains(&replacement(TOKEN)), "{args:?}: {text}");
        }
    }
    // Help and version are clap's own, untouched.
    let help = run(&["--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: ctpolicy"));
    let version = run(&["--version"], b"");
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("ctpolicy {}", ctpolicy::ENGINE_VERSION));
    let bare = run(&[], b"");
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("Usage: ctpolicy"));
}

#[test]
fn values_and_file_names_that_the_commands_echo() {
    let dir = scratch("files");
    let named = dir.join(TOKEN);
    std::fs::write(&named, format!("{}\n", with_decision_id(TOKEN))).unwrap();
    let bad_policy = dir.join(format!("{TOKEN}.json"));
    std::fs::write(&bad_policy, format!(r#"{{"{TOKEN}": 1}}"#)).unwrap();
    let missing = dir.join(TOKEN).join("missing");
    let (named, bad_policy, missing) =
        (named.to_str().unwrap(), bad_policy.to_str().unwrap(), missing.to_str().unwrap());
    // (arguments, exit status when it is certain, whether the output names
    // the token's place: some messages name the option, not the value).
    let cases: Vec<(Vec<&str>, Option<i32>, bool)> = vec![
        (vec!["explain", TOKEN], Some(2), true),
        (vec!["check", TOKEN], Some(2), true),
        (vec!["check", missing], Some(2), true),
        (vec!["check", named], Some(0), true),
        (vec!["check", "--format", "table", "--summary", named, missing], Some(2), true),
        (vec!["check", "--policy", TOKEN], Some(2), true),
        (vec!["check", "--policy", bad_policy], Some(2), true),
        (vec!["check", "--audit-log", missing], Some(2), true),
        (vec!["apply", "--event", TOKEN], Some(2), true),
        (vec!["apply", "--record", TOKEN, "--event", named], Some(2), true),
        (vec!["audit", "verify", TOKEN], Some(2), true),
        (vec!["audit", "verify", "--expect-head", TOKEN, named], Some(2), true),
        (vec!["audit", "verify", "--format", "text", named], Some(1), true),
        (vec!["scan", "--summary", named, TOKEN], Some(2), true),
        (vec!["scan", "--format", "table", named], Some(1), false),
        (vec!["redact", TOKEN], Some(2), true),
        (vec!["vault", "lint", TOKEN], Some(2), true),
        (vec!["vault", "lint", "--policy", TOKEN], Some(2), true),
        (vec!["vault", "lint", "--policy", bad_policy], Some(2), true),
        (vec!["vault", "lint", "--now", TOKEN], Some(2), false),
        (vec!["vault", "lint", "--stale-days", TOKEN, "--now", "2026-11-30T00:00:00Z"], Some(2), false),
        (vec!["vault", "lint", "--format", "table", named], None, true),
        (vec!["vault", "lint", named], None, true),
    ];
    for (args, code, names_it) in cases {
        let output = run(&args, b"");
        let text = both(&output);
        if let Some(code) = code {
            assert_eq!(output.status.code(), Some(code), "{args:?}: {text}");
        }
        assert_clean(&format!("{args:?}"), &text);
        if names_it {
            assert!(
                text.contains(&replacement(TOKEN)),
                "{args:?}: the replacement stands where the token stood: {text}"
            );
        }
    }
    // The decision read from the token-named file has the redacted id.
    let output = run(&["check", named], b"");
    let decision: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decision["receipt"]["decision_id"], replacement(TOKEN).as_str());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn request_doors_through_ctpolicy_check() {
    let mut input = String::new();
    for door in request_doors() {
        input.push_str(&door.request);
        input.push('\n');
    }
    input.push_str(&rule_703_request());
    input.push('\n');
    input.push_str(&with_decision_id(TOKEN));
    input.push('\n');
    for format in ["jsonl", "table"] {
        let output = run(&["check", "--summary", "--format", format], input.as_bytes());
        assert_eq!(output.status.code(), Some(2));
        let text = both(&output);
        assert_clean(format, &text);
        assert!(text.contains(&replacement(TOKEN)), "{format}: {text}");
    }
    let output = run(&["check", "--format", "jsonl"], input.as_bytes());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains(&replacement(TOKEN_UPPER)), "703's path: {stdout}");

    let dir = scratch("audit");
    let log = dir.join("audit.jsonl");
    let output = run(&["check", "--audit-log", log.to_str().unwrap()], input.as_bytes());
    assert_eq!(output.status.code(), Some(2));
    assert_clean("check --audit-log", &both(&output));
    let entries = std::fs::read_to_string(&log).unwrap();
    assert_redacted("audit log", &entries, TOKEN);
    let verified = run(&["audit", "verify", "--format", "json", log.to_str().unwrap()], b"");
    assert_eq!(verified.status.code(), Some(0), "{}", both(&verified));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The CLI writes stderr only through `cli::diagnostics` (redacted): no
/// `eprint!`/`eprintln!` anywhere else in the library or the binary.
#[test]
fn stderr_is_written_only_through_the_redacting_diagnostics() {
    fn visit(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("cli/diagnostics.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for macro_name in ["eprint!", "eprintln!", "dbg!"] {
                    for (at, _) in text.match_indices(macro_name) {
                        let before = text[..at].chars().next_back();
                        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                            found.push(format!("{}: {macro_name}", path.display()));
                        }
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    visit(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(found.is_empty(), "stderr written around the redaction: {found:?}");
}

// ------------------------------------- escaping that outgrows the matcher

#[test]
fn long_keys_through_apply_event() {
    for (what, replaced, key) in long_keys() {
        let event = format!(
            r#"{{"type": "REVOKED", "at": "2026-11-30T12:00:00Z", "by": "PARTNER", "{key}": {{"a": 1, "a": 2}}}}"#
        );
        let error = ctpolicy::apply_event(Some(RECORD.as_bytes()), event.as_bytes()).unwrap_err();
        assert_replaced(what, &error.to_json(), &replaced);
        assert_clean(what, &error.to_string());
        let record = format!(r#"{{"{key}": {{"a": 1, "a": 2}}}}"#);
        let error = ctpolicy::apply_event(Some(record.as_bytes()), br#"{"type": "REVOKED"}"#).unwrap_err();
        assert_replaced(what, &error.to_json(), &replaced);
    }
}

#[test]
fn long_keys_through_the_command_line() {
    let dir = scratch("long_keys");
    for (index, (what, replaced, key)) in long_keys().into_iter().enumerate() {
        let policy = dir.join(format!("policy{index}.json"));
        std::fs::write(&policy, format!(r#"{{"severity": {{"{key}": "warn"}}}}"#)).unwrap();
        let event = dir.join(format!("event{index}.json"));
        std::fs::write(
            &event,
            format!(
                r#"{{"type": "REVOKED", "at": "2026-11-30T12:00:00Z", "by": "PARTNER", "{key}": {{"a": 1, "a": 2}}}}"#
            ),
        )
        .unwrap();
        let record = dir.join("record.json");
        std::fs::write(&record, RECORD).unwrap();
        let (policy, event, record) = (policy.to_str().unwrap(), event.to_str().unwrap(), record.to_str().unwrap());
        let request = renewal("", &format!(r#", "counters": {{"{key}": 1}}"#));
        for (args, input) in [
            (vec!["check", "--policy", policy], b"".as_slice()),
            (vec!["vault", "lint", "--policy", policy], b"".as_slice()),
            (vec!["apply", "--record", record, "--event", event], b"".as_slice()),
            (vec!["check"], request.as_bytes()),
            (vec!["check", "--format", "table", "--summary"], request.as_bytes()),
        ] {
            let output = run(&args, input);
            let text = both(&output);
            assert_eq!(output.status.code(), Some(2), "{what} {args:?}: {}", shorten(&text));
            assert_clean(&format!("{what} {args:?}"), &text);
            if !args.contains(&"table") {
                assert!(text.contains(&replaced), "{what} {args:?}: {}", shorten(&text));
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

// -------------------------------------------- the matcher's 1 MiB limit

/// `krn:` + 1,048,552 `x` + the token on one line: the candidate at the
/// first `krn` is cut by the limit inside the token, and is an occurrence.
fn token_at_the_end_of_a_long_run() -> (Vec<u8>, String) {
    let mut line = b"krn:".to_vec();
    line.extend(std::iter::repeat_n(b'x', 1_048_552));
    line.extend_from_slice(TOKEN.as_bytes());
    let digest = Sha256::digest(&line[..1_048_576]);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    line.extend_from_slice(b" done\n");
    (line, format!("[customer-token sha256:{hex}]"))
}

#[test]
fn a_token_at_the_end_of_a_run_longer_than_the_limit() {
    let (line, replaced) = token_at_the_end_of_a_long_run();
    let expected = format!("{replaced} done\n");
    // The library.
    let out = ctpolicy::redact::redact(&line);
    assert_eq!(String::from_utf8_lossy(&out), expected);
    let reports = ctpolicy::redact::scan(&line, Some("f"));
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].length, line.len() as u64 - 6, "reported with its whole length");
    // The C ABI: whole, streamed in pieces, and scanned.
    let mut out = empty();
    let mut count = 0usize;
    // SAFETY: valid pointers and lengths.
    assert_eq!(unsafe { ctp_redact(line.as_ptr(), line.len(), &mut out, &mut count, ptr::null_mut()) }, CTP_OK);
    assert_eq!(take(out), expected);
    let mut handle = ptr::null_mut();
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { ctp_redactor_new(&mut handle, ptr::null_mut()) }, CTP_OK);
    let mut streamed = String::new();
    for piece in line.chunks(65_521) {
        let mut out = empty();
        // SAFETY: the redactor from ctp_redactor_new; valid piece.
        assert_eq!(
            unsafe { ctp_redactor_write(handle, piece.as_ptr(), piece.len(), &mut out, ptr::null_mut()) },
            CTP_OK
        );
        streamed.push_str(&take(out));
    }
    let mut out = empty();
    // SAFETY: as above.
    assert_eq!(unsafe { ctp_redactor_finish(handle, &mut out, ptr::null_mut()) }, CTP_OK);
    streamed.push_str(&take(out));
    // SAFETY: freed once.
    unsafe { ctp_redactor_free(handle) };
    assert_eq!(streamed, expected);
    let mut out = empty();
    // SAFETY: valid pointers and lengths.
    assert_eq!(unsafe { ctp_scan(line.as_ptr(), line.len(), &mut out, &mut count, ptr::null_mut()) }, CTP_OK);
    let report = take(out);
    assert_clean("ctp_scan", &report);
    assert!(report.contains(&format!(r#""length":{}"#, line.len() - 6)), "{report}");
    // The command line: redact and scan.
    let output = run(&["redact"], &line);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), expected);
    let output = run(&["scan", "--summary"], &line);
    assert_eq!(output.status.code(), Some(1));
    assert_clean("scan", &both(&output));
    let output = run(&["scan", "--format", "table"], &line);
    assert_clean("scan table", &both(&output));
}

// ------------------------------------------------- streams and their ends

#[test]
fn redact_takes_its_files_as_one_stream() {
    let dir = scratch("split");
    let text = format!("line one\nid={TOKEN} end\n");
    // Every cut `split -b` could make, through the token.
    let start = text.find("krn").unwrap();
    for cut in start + 1..start + TOKEN.len() {
        let (a, b) = (dir.join("xaa"), dir.join("xab"));
        std::fs::write(&a, &text[..cut]).unwrap();
        std::fs::write(&b, &text[cut..]).unwrap();
        let output = run(&["redact", a.to_str().unwrap(), b.to_str().unwrap()], b"");
        assert_eq!(output.status.code(), Some(0));
        let out = both(&output);
        assert_redacted(&format!("cut at {cut}"), &out, TOKEN);
        // An unreadable file in between still fails the command, and the
        // stream still joins around it.
        let missing = dir.join("missing");
        let output = run(&["redact", a.to_str().unwrap(), missing.to_str().unwrap(), b.to_str().unwrap()], b"");
        assert_eq!(output.status.code(), Some(2));
        assert_redacted(&format!("cut at {cut}, a file missing"), &both(&output), TOKEN);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_c_redactor_finished_mid_token_takes_no_more_writes() {
    let (first, second) = (format!("id={}", &TOKEN[..19]), format!("{} end\n", &TOKEN[19..]));
    let mut handle = ptr::null_mut();
    // SAFETY: valid out-pointer.
    assert_eq!(unsafe { ctp_redactor_new(&mut handle, ptr::null_mut()) }, CTP_OK);
    let mut all = String::new();
    let mut out = empty();
    // SAFETY: the redactor from ctp_redactor_new; valid bytes.
    assert_eq!(unsafe { ctp_redactor_write(handle, first.as_ptr(), first.len(), &mut out, ptr::null_mut()) }, CTP_OK);
    all.push_str(&take(out));
    let mut out = empty();
    // SAFETY: as above.
    assert_eq!(unsafe { ctp_redactor_finish(handle, &mut out, ptr::null_mut()) }, CTP_OK);
    all.push_str(&take(out));
    let mut out = empty();
    // SAFETY: as above.
    let mut error = empty();
    // SAFETY: as above.
    let status = unsafe { ctp_redactor_write(handle, second.as_ptr(), second.len(), &mut out, &mut error) };
    assert_eq!(status, CTP_INVALID_ARGUMENT, "a write after the end is refused");
    all.push_str(&take(out));
    let refusal = take(error);
    assert!(refusal.contains("the stream has ended"), "{refusal}");
    assert_clean("the refusal", &refusal);
    // SAFETY: freed once.
    unsafe { ctp_redactor_free(handle) };
    // The first half alone is not an occurrence; the second never came out.
    assert!(!all.contains(&TOKEN[19..]), "{all}");
    assert_clean("finish mid-token", &all);
}
