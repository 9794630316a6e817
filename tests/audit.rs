//! The audit trail (docs/HYGIENE.md H3), checked against an independent reading
//! of the contract: every `prev` is recomputed here with sha2 from the
//! line before, every key and value is derived from the request and the
//! engine's decision, not from the writer's code. Also: tampering of every
//! kind, `--expect-head`, 4 processes and 8 threads on one log, and no
//! piece of a token in any entry.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use ctpolicy::audit::{verify_path, AuditFailureKind, AuditLog, AuditOptions, Checked, Clock, Fingerprint};
use ctpolicy::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

mod support;
use support::run;

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");
const VECTORS: &str = "tests/vectors/audit.json";
const CLOCK: &str = "2026-11-30T12:00:00.000Z";
const KEYS: [&str; 14] = [
    "seq",
    "prev",
    "at",
    "decision",
    "status",
    "violations",
    "warnings",
    "required_scope",
    "token",
    "amount",
    "currency",
    "decision_id",
    "policy_digest",
    "engine_version",
];

/// The tokens the requests below use; no entry may hold any piece of them.
const TOKENS: [&str; 4] = [
    "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "krn:partner:eu1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a",
    "krn:customer-token:us1:9b2e4c71-3d8a-4f5e-b6c0-1a2b3c4d5e6f",
    "krn:customer-token:eu1:Zq8kW3nR5tY7uI9oP1aS",
];

const POLICY: &str = r#"{"allowed_regions":["eu1"],"allowed_currencies":["EUR","SEK"],"max_amount":{"payment:customer_not_present":{"EUR":50000}}}"#;

fn root(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-audit-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn renewal(token: &str, extra_body: &str, top: &str) -> String {
    format!(
        r#"{{"customer_present":false,"headers":{{"Klarna-Customer-Token":"{token}","Klarna-Idempotency-Key":"renewal-42"}},"token_record":{{"customer_token":"{token}","scopes":["payment:customer_not_present"],"state":"ACTIVE"}},"body":{{"currency":"EUR","request_payment_transaction":{{"amount":1299,"payment_transaction_reference":"r-42"}}{extra_body}}}{top}}}"#
    )
}

/// (name, request line): every kind of entry H3 describes.
fn cases() -> Vec<(&'static str, String)> {
    let [eu, identity, us, other] = TOKENS;
    vec![
        ("allow with now and decision_id", renewal(eu, "", r#","now":"2026-11-25T10:00:00Z","decision_id":"dec-1""#)),
        ("allow, now with an offset kept verbatim", renewal(identity, "", r#","now":"2026-11-25T11:00:00.50+01:00""#)),
        (
            "deny: region and currency as given",
            format!(
                r#"{{"customer_present":false,"headers":{{"Klarna-Customer-Token":"{us}"}},"body":{{"currency":"usd","request_payment_transaction":{{"amount":99999}}}},"now":"2026-11-25T10:00:00Z"}}"#
            ),
        ),
        (
            "deny without now: the writer's clock; amount not an integer, currency not 601",
            format!(
                r#"{{"customer_present":true,"headers":{{"Klarna-Customer-Token":"{eu}"}},"body":{{"currency":"EURO","request_payment_transaction":{{"amount":12.0}}}}}}"#
            ),
        ),
        ("negative integer amount is kept", renewal(eu, "", r#","now":"2026-11-25T10:00:00Z""#).replace("1299", "-5")),
        ("error: not JSON", format!(r#"{{"customer_present":false,"headers":{{"Klarna-Customer-Token":"{eu}""#)),
        (
            "error: unknown field",
            format!(r#"{{"customer_present":false,"body":{{}},"token":"{other}","now":"2026-11-25T10:00:00Z"}}"#),
        ),
        (
            "tokens in every field",
            format!(
                r#"{{"customer_present":false,"headers":{{"Klarna-Customer-Token":"{other}","Klarna-Idempotency-Key":"{eu}","X-{identity}":"{us}"}},"token_record":{{"customer_token":"{identity}","scopes":["{eu}"],"state":"ACTIVE","customer_token_reference":"{us}"}},"body":{{"currency":"SEK","request_payment_transaction":{{"amount":100,"payment_transaction_reference":"{us}"}},"merchant_reference1":"{eu}"}},"now":"2026-11-25T10:00:00Z","decision_id":"id-{identity}"}}"#
            ),
        ),
        ("error: a line that is not a request at all", "[1,2,3]".to_owned()),
        ("decision_id with an encoded colon but no token", renewal(identity, "", r#","decision_id":"x%3A{y}""#)),
    ]
}

fn sha256_label(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Writes `requests` through the library's log with a fixed clock.
fn write_log(path: &Path, engine: &Engine, requests: &[String]) {
    let log = AuditLog::open(path, AuditOptions::default()).unwrap();
    let clock = Clock::Fixed(CLOCK.to_owned());
    for request in requests {
        log.record(engine, request.as_bytes(), &clock).unwrap();
    }
    log.close().unwrap();
}

fn lines_of(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines().map(str::to_owned).collect()
}

/// The independent reading of H3: each line against its request, the
/// engine's decision for it, and the line before.
fn assert_h3(lines: &[String], requests: &[String], engine: &Engine, clock: Option<&str>) {
    assert_eq!(lines.len(), requests.len());
    let mut prev = format!("sha256:{}", "0".repeat(64));
    for (i, (line, request)) in lines.iter().zip(requests).enumerate() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let object = entry.as_object().unwrap();
        assert_eq!(object.keys().map(String::as_str).collect::<Vec<_>>(), KEYS, "{line}");
        assert_eq!(&serde_json::to_string(&entry).unwrap(), line, "compact form");
        assert_eq!(entry["seq"], i as u64 + 1);
        assert_eq!(entry["prev"], prev.as_str(), "line {}", i + 1);
        prev = sha256_label(line.as_bytes());
        assert_eq!(entry["policy_digest"], engine.policy().digest());
        assert_eq!(entry["engine_version"], env!("CARGO_PKG_VERSION"));
        let parsed: Option<Value> = serde_json::from_str(request).ok();
        match engine.check_json(request.as_bytes()) {
            Err(error) => {
                assert_eq!(entry["decision"], "ERROR");
                assert_eq!(entry["status"]["status"], error.status.name());
                assert_eq!(entry["status"]["code"], error.code.map_or(Value::Null, |code| Value::from(code.name())));
                assert_eq!(entry["violations"], serde_json::json!([]));
                assert_eq!(entry["warnings"], serde_json::json!([]));
                for key in ["required_scope", "token", "amount", "currency", "decision_id"] {
                    assert!(entry[key].is_null(), "{key} of an ERROR");
                }
                if let Some(clock) = clock {
                    assert_eq!(entry["at"], clock);
                }
            }
            Ok(decision) => {
                let decision_json: Value = serde_json::from_str(&engine.decision_json(&decision)).unwrap();
                assert_eq!(entry["decision"], decision_json["decision"]);
                assert!(entry["status"].is_null());
                let codes =
                    |list: &Value| list.as_array().unwrap().iter().map(|f| f["code"].clone()).collect::<Vec<_>>();
                assert_eq!(entry["violations"].as_array().unwrap(), &codes(&decision_json["violations"]));
                assert_eq!(entry["warnings"].as_array().unwrap(), &codes(&decision_json["warnings"]));
                assert_eq!(entry["required_scope"], decision_json["required_scope"]);
                assert_eq!(entry["token"], decision_json["token"]);
                let parsed = parsed.unwrap();
                match parsed.get("now").and_then(Value::as_str) {
                    Some(now) => assert_eq!(entry["at"], now, "at is now, verbatim"),
                    None => match clock {
                        Some(clock) => assert_eq!(entry["at"], clock),
                        None => assert!(entry["at"].as_str().unwrap().ends_with('Z')),
                    },
                }
                let amount = &parsed["body"]["request_payment_transaction"]["amount"];
                let integer = amount.as_i64().filter(|_| !amount.to_string().contains(['.', 'e', 'E']));
                assert_eq!(entry["amount"], integer.map_or(Value::Null, Value::from));
                let currency = parsed["body"]["currency"]
                    .as_str()
                    .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()));
                assert_eq!(entry["currency"], currency.map_or(Value::Null, Value::from));
                let id = decision_json["receipt"]["decision_id"].as_str();
                match id {
                    Some(id) if TOKENS.iter().any(|t| id.contains(t)) => {
                        assert!(entry["decision_id"].as_str().unwrap().contains("[customer-token sha256:"))
                    }
                    _ => assert_eq!(entry["decision_id"], decision_json["receipt"]["decision_id"]),
                }
            }
        }
    }
}

fn assert_no_token_piece(text: &str) {
    for token in TOKENS {
        assert!(!text.contains(token), "a whole token");
        // The id part (after the region) in pieces of 6 characters.
        let id = token.rsplit(':').next().unwrap();
        for start in 0..id.len().saturating_sub(6) {
            assert!(!text.contains(&id[start..start + 6]), "a piece of a token: {}", &id[start..start + 6]);
        }
    }
}

#[test]
fn entries_follow_h3_read_independently_and_match_the_vectors() {
    let engine = Engine::from_policy_json(POLICY.as_bytes()).unwrap();
    let dir = tempdir("vectors");
    let path = dir.join("audit.log");
    let cases = cases();
    let requests: Vec<String> = cases.iter().map(|(_, request)| request.clone()).collect();
    write_log(&path, &engine, &requests);
    let lines = lines_of(&path);
    assert_h3(&lines, &requests, &engine, Some(CLOCK));
    let text = fs::read_to_string(&path).unwrap();
    assert_no_token_piece(&text);
    let kinds: BTreeSet<&str> = lines
        .iter()
        .map(|l| {
            if l.contains("\"ERROR\"") {
                "E"
            } else if l.contains("\"DENY\"") {
                "D"
            } else {
                "A"
            }
        })
        .collect();
    assert_eq!(kinds.len(), 3, "the vectors hold ALLOW, DENY and ERROR entries");

    // The shared vectors (tests/vectors/audit.json) are these cases: every
    // face must write these bytes for these requests and this clock.
    let vectors = serde_json::json!({
        "description": "docs/HYGIENE.md H3 audit entries: appending `requests` in order to an empty log, with `policy` and the writer's clock fixed at `clock`, gives exactly `entries` (one line each, without the newline). Regenerate with CTPOLICY_WRITE_AUDIT_VECTORS=1 cargo test --test audit.",
        "policy": POLICY,
        "clock": CLOCK,
        "cases": cases.iter().zip(&lines).map(|((name, request), line)| serde_json::json!({
            "name": name,
            "request": request,
            "entry": line,
        })).collect::<Vec<_>>(),
        "head": sha256_label(lines.last().unwrap().as_bytes()),
    });
    let rendered = format!("{}\n", serde_json::to_string_pretty(&vectors).unwrap());
    if std::env::var_os("CTPOLICY_WRITE_AUDIT_VECTORS").is_some() {
        fs::write(root(VECTORS), &rendered).unwrap();
    }
    let committed = fs::read_to_string(root(VECTORS)).expect("tests/vectors/audit.json exists");
    assert!(committed == rendered, "tests/vectors/audit.json is stale: regenerate it (see its description)");
    let summary = verify_path(&path, Fingerprint::parse(vectors["head"].as_str().unwrap()).as_ref()).unwrap();
    assert_eq!(summary.entries, lines.len() as u64);
}

#[test]
fn the_cli_writes_the_same_entries_before_each_decision() {
    let engine = Engine::from_policy_json(POLICY.as_bytes()).unwrap();
    let dir = tempdir("cli");
    let policy = dir.join("policy.json");
    fs::write(&policy, POLICY).unwrap();
    let cases = cases();
    let requests: Vec<String> = cases.iter().map(|(_, request)| request.clone()).collect();
    let mut input = String::new();
    for request in &requests {
        input.push_str(request);
        input.push_str("\n \t\r\n"); // a blank line: no entry, no decision
    }
    let log = dir.join("cli.log");
    let output =
        run(&["check", "--policy", policy.to_str().unwrap(), "--audit-log", log.to_str().unwrap()], input.as_bytes());
    assert_eq!(output.status.code(), Some(2), "the run holds invalid lines");
    let decisions: Vec<&str> = std::str::from_utf8(&output.stdout).unwrap().lines().collect();
    assert_eq!(decisions.len(), requests.len());
    for (decision, request) in decisions.iter().zip(&requests) {
        let mut expected = String::new();
        match engine.check_json(request.as_bytes()) {
            Ok(d) => engine.write_decision(&d, &mut expected),
            Err(e) => expected.push_str(&e.to_json()),
        }
        assert_eq!(decision, &expected, "the decision out is the one check gives");
    }
    let lines = lines_of(&log);
    assert_h3(&lines, &requests, &engine, None);
    // Byte-identical to the library's entry for the same request, place in
    // the chain and `at` (the vectors pin the library's bytes).
    for line in &lines {
        let cli: Value = serde_json::from_str(line).unwrap();
        let request = &requests[cli["seq"].as_u64().unwrap() as usize - 1];
        let checked =
            Checked::check(&engine, request.as_bytes(), &Clock::Fixed(cli["at"].as_str().unwrap().to_owned()));
        let mut entry = checked.entry(&engine);
        entry.seq = cli["seq"].as_u64().unwrap();
        entry.prev = cli["prev"].as_str().unwrap().to_owned().into();
        assert_eq!(&entry.to_line(), line);
    }
    assert_no_token_piece(&fs::read_to_string(&log).unwrap());
    assert_no_token_piece(std::str::from_utf8(&output.stderr).unwrap());

    // A second run continues the chain.
    let again = run(&["check", "--audit-log", log.to_str().unwrap()], format!("{}\n", requests[0]).as_bytes());
    assert_eq!(
        again.status.code(),
        Some(0),
        "ALLOW under the default policy: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let summary = verify_path(&log, None).unwrap();
    assert_eq!(summary.entries, requests.len() as u64 + 1);
}

/// A log of `n` entries written by the library, as lines.
fn sample_log(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let engine = Engine::default();
    let path = dir.join("sample.log");
    let requests: Vec<String> = (0..n)
        .map(|i| renewal(TOKENS[0], "", &format!(r#","now":"2026-11-25T10:00:{:02}Z","decision_id":"d-{i}""#, i % 60)))
        .collect();
    write_log(&path, &engine, &requests);
    (path.clone(), lines_of(&path))
}

fn verify_text(dir: &Path, text: &str) -> Result<u64, (String, Option<u64>, String)> {
    let path = dir.join("tampered.log");
    fs::write(&path, text).unwrap();
    verify_path(&path, None).map(|s| s.entries).map_err(|f| (f.code.name().to_owned(), f.line, f.message))
}

fn joined(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn tampering_of_every_kind_is_found_and_named() {
    let dir = tempdir("tamper");
    let (_, lines) = sample_log(&dir, 6);
    assert_eq!(verify_text(&dir, &joined(&lines)), Ok(6));
    assert_eq!(verify_text(&dir, ""), Ok(0), "an empty log verifies");

    let expect = |text: String, code: &str, line: u64| {
        let (got_code, got_line, message) = verify_text(&dir, &text).expect_err("tampering is found");
        assert_eq!((got_code.as_str(), got_line), (code, Some(line)), "{message}");
        assert!(message.starts_with(&format!("line {line} (seq {line}):")), "{message}");
        assert_no_token_piece(&message);
    };
    // An edited field (still a well-formed entry): the next line's prev.
    let mut edited = lines.clone();
    edited[2] = edited[2].replace("\"amount\":1299", "\"amount\":1");
    assert_ne!(edited[2], lines[2]);
    expect(joined(&edited), "PREV_MISMATCH", 4);
    // An edited field on the last line that breaks its form.
    let mut spaced = lines.clone();
    spaced[5] = spaced[5].replacen("\"seq\":6", "\"seq\": 6", 1);
    expect(joined(&spaced), "NOT_CANONICAL", 6);
    // Deleted, duplicated, swapped, inserted.
    let mut deleted = lines.clone();
    deleted.remove(2);
    expect(joined(&deleted), "SEQ_MISMATCH", 3);
    let mut duplicated = lines.clone();
    duplicated.insert(3, lines[2].clone());
    expect(joined(&duplicated), "SEQ_MISMATCH", 4);
    let mut swapped = lines.clone();
    swapped.swap(2, 3);
    expect(joined(&swapped), "SEQ_MISMATCH", 3);
    let mut inserted = lines.clone();
    inserted.insert(2, r#"{"note":"not an entry"}"#.to_owned());
    expect(joined(&inserted), "NOT_AN_ENTRY", 3);
    let mut forged = lines.clone();
    // A forged entry chained correctly after line 2: the original line 3 is then out of place.
    let fake = lines[2].replace("\"decision_id\":\"d-2\"", "\"decision_id\":\"forged\"");
    forged.insert(2, fake);
    expect(joined(&forged), "SEQ_MISMATCH", 4);
    let mut garbage = lines.clone();
    garbage[1] = "{\"seq\":2,".to_owned();
    expect(joined(&garbage), "NOT_JSON", 2);
    // A torn last line (a write cut short), and a missing final newline.
    expect(format!("{}{}", joined(&lines[..5]), &lines[5][..40]), "TORN_LINE", 6);
    let whole = joined(&lines);
    expect(whole[..whole.len() - 1].to_owned(), "TORN_LINE", 6);
    // A first entry whose prev is not zeros.
    let mut first = lines.clone();
    first.remove(0);
    expect(joined(&first), "SEQ_MISMATCH", 1);
}

#[test]
fn entries_carry_the_caller_redacted_and_omit_it_when_absent() {
    let dir = tempdir("caller");
    let path = dir.join("caller.jsonl");
    let engine = Engine::default();
    let token = TOKENS[0];
    let requests = [
        renewal(token, "", r#","caller":"billing-renewals""#),
        renewal(token, "", ""),
        renewal(token, "", &format!(r#","caller":"svc-{token}""#)),
        // Read, but not decided: the caller of a request is still written.
        renewal(token, "", r#","caller":"billing-renewals","now":"soon""#),
        // Not a caller name: no caller key.
        renewal(token, "", r#","caller":"""#),
    ];
    write_log(&path, &engine, &requests);
    let lines = lines_of(&path);
    let entries: Vec<Value> = lines.iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(entries[0]["caller"], "billing-renewals");
    let keys: Vec<&str> = entries[0].as_object().unwrap().keys().map(String::as_str).collect();
    let decision_id = keys.iter().position(|k| *k == "decision_id").unwrap();
    assert_eq!(keys[decision_id + 1], "caller", "caller stands after decision_id: {keys:?}");
    assert!(entries[1].get("caller").is_none(), "no caller, no key");
    let redacted = entries[2]["caller"].as_str().unwrap();
    assert!(redacted.starts_with("svc-[customer-token sha256:"), "{redacted}");
    assert_no_token_piece(&lines[2]);
    assert_eq!(entries[3]["decision"], "ERROR");
    assert_eq!(entries[3]["caller"], "billing-renewals");
    assert!(entries[4].get("caller").is_none());
    assert_eq!(verify_path(&path, None).map(|summary| summary.entries).ok(), Some(5), "the log verifies");
}

#[test]
fn a_log_whose_end_does_not_verify_is_not_appended_to() {
    let dir = tempdir("torn");
    let (path, lines) = sample_log(&dir, 3);
    let whole = joined(&lines);
    fs::write(&path, &whole[..whole.len() - 10]).unwrap();
    let failure = AuditLog::open(&path, AuditOptions::default()).unwrap_err();
    assert_eq!((failure.kind, failure.code), (AuditFailureKind::Invalid, ctpolicy::Code::TornLine));
    let output =
        run(&["check", "--audit-log", path.to_str().unwrap()], format!("{}\n", renewal(TOKENS[0], "", "")).as_bytes());
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing was decided");
    assert!(String::from_utf8_lossy(&output.stderr).contains("TORN_LINE"));
    // A last line that is not an entry of this chain.
    let mut bad = lines.clone();
    bad[2] = lines[1].clone();
    fs::write(&path, joined(&bad)).unwrap();
    assert_eq!(AuditLog::open(&path, AuditOptions::default()).unwrap_err().code, ctpolicy::Code::SeqMismatch);
    // A write that fails: the decision is not given.
    if Path::new("/dev/full").exists() {
        let output =
            run(&["check", "--audit-log", "/dev/full"], format!("{}\n", renewal(TOKENS[0], "", "")).as_bytes());
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty(), "no decision without its entry");
    }
}

#[test]
fn verify_cli_exit_codes_summary_and_expect_head() {
    let dir = tempdir("verify");
    let (path, lines) = sample_log(&dir, 5);
    let file = path.to_str().unwrap();
    let output = run(&["audit", "verify", "--format", "json", file], b"");
    assert_eq!(output.status.code(), Some(0));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let head = sha256_label(lines[4].as_bytes());
    assert_eq!(summary["entries"], 5);
    assert_eq!(summary["head"], head.as_str());
    assert_eq!(summary["first_at"], "2026-11-25T10:00:00Z");
    assert_eq!(summary["last_at"], "2026-11-25T10:00:04Z");
    assert_eq!(summary["decisions"], serde_json::json!({"ALLOW": 5, "DENY": 0, "ERROR": 0}));
    // Options after FILE; the text block.
    let text = run(&["audit", "verify", file, "--expect-head", &head, "--format", "text"], b"");
    assert_eq!(text.status.code(), Some(0), "{}", String::from_utf8_lossy(&text.stderr));
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("head      {head}")));
    // A cut log still verifies as a chain; only --expect-head finds it.
    fs::write(&path, joined(&lines[..4])).unwrap();
    assert_eq!(run(&["audit", "verify", file], b"").status.code(), Some(0));
    let cut = run(&["audit", "verify", "--expect-head", &head, file], b"");
    assert_eq!(cut.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cut.stderr).contains("HEAD_MISMATCH"));
    // A tampered log: exit 1, the entry named.
    let mut swapped = lines.clone();
    swapped.swap(1, 2);
    fs::write(&path, joined(&swapped)).unwrap();
    let bad = run(&["audit", "verify", "--format", "json", file], b"");
    assert_eq!(bad.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(error["error"]["status"], "AUDIT_LOG_INVALID");
    assert_eq!((error["error"]["line"].as_u64(), error["error"]["seq"].as_u64()), (Some(2), Some(2)));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 2 (seq 2): seq is 3, expected 2"));
    // Unreadable file, malformed head: exit 2.
    assert_eq!(run(&["audit", "verify", dir.join("missing").to_str().unwrap()], b"").status.code(), Some(2));
    assert_eq!(run(&["audit", "verify", "--expect-head", "sha256:xyz", file], b"").status.code(), Some(2));
    // An empty log: 0 entries, the zero head.
    fs::write(&path, "").unwrap();
    let empty = run(&["audit", "verify", "--format", "json", file], b"");
    let summary: Value = serde_json::from_slice(&empty.stdout).unwrap();
    assert_eq!(summary["entries"], 0);
    assert_eq!(summary["head"], Fingerprint::ZERO.as_str());
    assert!(summary["first_at"].is_null());
}

/// Each writer's requests, with decision ids `{writer}-{i}`.
fn writer_requests(writer: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| renewal(TOKENS[0], "", &format!(r#","now":"2026-11-25T10:00:00Z","decision_id":"{writer}-{i}""#)))
        .collect()
}

/// The log verifies and holds every writer's entries, each writer's in order.
fn assert_every_entry(path: &Path, writers: &[String], per_writer: usize) {
    let summary = verify_path(path, None).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(summary.entries, (writers.len() * per_writer) as u64);
    let mut next: HashMap<String, usize> = writers.iter().map(|w| (w.clone(), 0)).collect();
    for line in lines_of(path) {
        let entry: Value = serde_json::from_str(&line).unwrap();
        let id = entry["decision_id"].as_str().unwrap();
        let (writer, i) = id.rsplit_once('-').unwrap();
        let expected = next.get_mut(writer).unwrap();
        assert_eq!(i.parse::<usize>().unwrap(), *expected, "{writer}'s entries in order");
        *expected += 1;
    }
    assert!(next.values().all(|&n| n == per_writer));
}

#[test]
fn four_processes_append_to_one_log() {
    let dir = tempdir("processes");
    let log = dir.join("shared.log");
    let per = 1500;
    let writers: Vec<String> = (0..4).map(|p| format!("process{p}")).collect();
    let children: Vec<_> = writers
        .iter()
        .map(|writer| {
            let input = dir.join(format!("{writer}.jsonl"));
            fs::write(&input, writer_requests(writer, per).join("\n")).unwrap();
            Command::new(BIN)
                .args(["check", "--audit-log", log.to_str().unwrap(), input.to_str().unwrap()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "ALLOW under the default policy: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_every_entry(&log, &writers, per);
}

#[test]
fn eight_threads_append_to_one_log() {
    let dir = tempdir("threads");
    let path = dir.join("shared.log");
    let engine = Arc::new(Engine::default());
    let shared = Arc::new(AuditLog::open(&path, AuditOptions::default()).unwrap());
    let per = 400;
    let writers: Vec<String> = (0..8).map(|t| format!("thread{t}")).collect();
    let handles: Vec<_> = writers
        .iter()
        .enumerate()
        .map(|(t, writer)| {
            let (engine, shared, path, writer) = (engine.clone(), shared.clone(), path.clone(), writer.clone());
            std::thread::spawn(move || {
                // Half share one handle (the mutex), half have their own
                // descriptor on the same file (the file lock).
                let own = (t % 2 == 1).then(|| AuditLog::open(&path, AuditOptions::default()).unwrap());
                let log = own.as_ref().unwrap_or(&shared);
                for request in writer_requests(&writer, per) {
                    let checked = log.record(&engine, request.as_bytes(), &Clock::System).unwrap();
                    assert!(checked.result.is_ok());
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_every_entry(&path, &writers, per);
}

/// One writer, one spelling: a `decision_id` of `x`, backspace, DEL, `y`
/// comes out as `"x\u0008\u007fy"` in the decision and in the entry of the
/// same call, on the library's path and on the command line's batch path
/// (which prepares entries before their place in the chain is known).
#[test]
fn a_string_is_spelled_alike_in_the_decision_and_in_its_entry() {
    let dir = tempdir("one-spelling");
    let engine = Engine::default();
    let request = renewal(TOKENS[0], "", r#","now":"2026-11-25T10:00:00Z","decision_id":"x\b\u007fy""#);
    let spelled = r#""decision_id":"x\u0008\u007fy""#;

    let path = dir.join("library.log");
    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    let checked = log.record(&engine, request.as_bytes(), &Clock::Fixed(CLOCK.to_owned())).unwrap();
    log.close().unwrap();
    let mut decision = String::new();
    checked.output_json(&engine, &mut decision);
    let entry = fs::read_to_string(&path).unwrap();
    assert!(decision.contains(spelled), "{decision}");
    assert!(entry.contains(spelled), "{entry}");
    assert!(!entry.contains('\u{7f}') && !entry.contains(r"\b"), "{entry}");
    assert_eq!(verify_path(&path, None).unwrap().entries, 1);

    let cli_log = dir.join("cli.log");
    let output = run(&["check", "--audit-log", cli_log.to_str().unwrap()], format!("{request}\n").as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let cli_decision = String::from_utf8(output.stdout).unwrap();
    assert!(cli_decision.contains(spelled), "{cli_decision}");
    assert_eq!(cli_decision.trim_end(), decision);
    assert_eq!(fs::read_to_string(&cli_log).unwrap(), entry, "the CLI's entry is the library's");
}

/// Entries already in a log keep their bytes (the chain covers them): a log
/// written before entries took the decision's escapes, where the same
/// `decision_id` is `"x\b` + a raw DEL + `y"`, still verifies, and a writer
/// continues it.
#[test]
fn a_log_written_with_the_earlier_escapes_still_verifies_and_continues() {
    let dir = tempdir("earlier-escapes");
    let engine = Engine::default();
    let requests: Vec<String> = ["x\\b\\u007fy", "form\\ffeed", "plain"]
        .iter()
        .map(|id| renewal(TOKENS[0], "", &format!(r#","now":"2026-11-25T10:00:00Z","decision_id":"{id}""#)))
        .collect();
    let path = dir.join("earlier.log");
    write_log(&path, &engine, &requests);
    // The same entries as the earlier writer spelled them, chained anew.
    let mut earlier = String::new();
    let mut prev = format!("sha256:{}", "0".repeat(64));
    for line in lines_of(&path) {
        let value: Value = serde_json::from_str(&line).unwrap();
        let mut respelled = serde_json::to_string(&value).unwrap();
        assert!(respelled.starts_with("{\"seq\":"), "serde_json keeps the key order: {respelled}");
        let old_prev = value["prev"].as_str().unwrap().to_owned();
        respelled = respelled.replacen(&old_prev, &prev, 1);
        prev = sha256_label(respelled.as_bytes());
        earlier.push_str(&respelled);
        earlier.push('\n');
    }
    assert!(earlier.contains("\"x\\b\u{7f}y\"") && earlier.contains("\"form\\ffeed\""), "{earlier}");
    fs::write(&path, &earlier).unwrap();
    assert_eq!(verify_path(&path, None).unwrap().entries, 3);
    // Appending continues the chain in the one writer's spelling.
    write_log(&path, &engine, &requests[..1]);
    let lines = lines_of(&path);
    assert_eq!(lines.len(), 4);
    assert!(lines[3].contains(r#""decision_id":"x\u0008\u007fy""#), "{}", lines[3]);
    assert_eq!(verify_path(&path, None).unwrap().entries, 4);
    // A line in neither spelling is still refused.
    let mixed = earlier.replacen("\"x\\b\u{7f}y\"", "\"x\\b\\u007fy\"", 1);
    let (code, line, _) = verify_text(&dir, &mixed).unwrap_err();
    assert_eq!((code.as_str(), line), ("NOT_CANONICAL", Some(1)));
}

/// verify names a missing or mistyped field of the entry's own, and never
/// an unknown key (a tampered line may hold anything).
#[test]
fn verify_names_the_entry_fields_it_misses_and_never_a_line_key() {
    let dir = tempdir("verify-words");
    let (_, lines) = sample_log(&dir, 1);
    let message_for = |line: String| verify_text(&dir, &format!("{line}\n")).unwrap_err();
    let (code, _, message) = message_for(lines[0].replacen("\"warnings\":[],", "", 1));
    assert_eq!(code, "NOT_AN_ENTRY");
    assert!(message.contains("the field warnings is missing"), "{message}");
    let (_, _, message) = message_for(lines[0].replacen("\"fingerprint\":\"", "\"fingerprint\":7,\"x\":\"", 1));
    assert!(message.contains("the field token.fingerprint is of the wrong type"), "{message}");
    let secret = "krn:customer-token:eu1:0f0f0f0f-1111-2222-3333-444455556666";
    let (code, _, message) = message_for(lines[0].replacen("{\"seq\"", &format!("{{\"{secret}\":1,\"seq\""), 1));
    assert_eq!(code, "NOT_AN_ENTRY");
    assert!(message.contains("a field is unknown (column"), "{message}");
    assert!(!message.contains("0f0f0f0f") && !message.contains("customer-token"), "{message}");
}
