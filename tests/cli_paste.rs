//! The command line takes what people paste: a request spread over
//! several lines (the README's own example), a JSON array of requests,
//! `--now` / `--caller` for requests that lack them, `apply` output fed to
//! the next `apply`, a table that says why, and `make check-examples`
//! exiting as the README says.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{run, BIN};

fn root(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    text(stdout).lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))).collect()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-paste-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The ```json blocks of a Markdown file, in order.
fn json_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn the_readme_example_request_is_checked_as_it_stands() {
    let readme = std::fs::read_to_string(root("README.md")).unwrap();
    let request = json_blocks(&readme).into_iter().find(|b| b.contains("\"customer_present\"")).expect("an example");
    assert!(request.lines().count() > 3, "the example is spread over lines: {request}");
    let dir = tempdir("readme");
    let file = dir.join("pretty.json");
    std::fs::write(&file, &request).unwrap();
    for (args, stdin) in [(vec!["check", file.to_str().unwrap()], &b""[..]), (vec!["check"], request.as_bytes())] {
        let output = run(&args, stdin);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let decisions = json_lines(&output.stdout);
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0]["decision"], "ALLOW");
    }
    // Two pasted requests one after the other: each named by its first line.
    let broken = request.replace("\"EUR\"", "\"EURO\"");
    let output = run(&["check", "--format", "table"], format!("{request}\n{broken}").as_bytes());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    let second = request.lines().count() + 2;
    assert!(table.contains(&format!("\n{second:<8} DENY")), "{table}");
    assert!(table.contains("601 CURRENCY_INVALID (deny) at /body/currency"), "{table}");
}

#[test]
fn a_json_array_is_a_list_of_requests_named_by_index() {
    let lines: Vec<String> =
        std::fs::read_to_string(root("examples/requests.jsonl")).unwrap().lines().take(3).map(String::from).collect();
    let array = format!("[\n{},\n{},\n  {{\"a\": 1}}]\n", lines[0], lines[1]);
    let output = run(&["check"], array.as_bytes());
    assert_eq!(output.status.code(), Some(2));
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["decision"], "ALLOW");
    assert_eq!(results[2]["error"]["code"], "UNKNOWN_FIELD");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("<stdin>[2]:4: INVALID_REQUEST UNKNOWN_FIELD"), "{stderr}");
    // Not JSON: one error, from the engine, naming the line it starts on.
    let output = run(&["check"], b"\n[{\"a\":1},,]\n");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(json_lines(&output.stdout)[0]["error"]["code"], "JSON_SYNTAX");
    assert!(text(&output.stderr).contains("<stdin>:2: "), "{}", text(&output.stderr));
    // JSON Lines stay JSON Lines: a bad line among good ones is its own error.
    let output = run(&["check"], format!("{}\nnot json\n{}\n", lines[0], lines[1]).as_bytes());
    assert_eq!(json_lines(&output.stdout).len(), 3);
    assert!(text(&output.stderr).contains("<stdin>:2: "), "{}", text(&output.stderr));
}

#[test]
fn now_fills_requests_that_lack_it() {
    let policy = r#"{"min_charge_interval_seconds": 86400}"#;
    let dir = tempdir("now");
    let policy_file = dir.join("policy.json");
    std::fs::write(&policy_file, policy).unwrap();
    let policy_arg = policy_file.to_str().unwrap();
    let without = run(&["check", "--policy", policy_arg, "examples/requests.jsonl"], b"");
    assert_eq!(without.status.code(), Some(2));
    assert!(text(&without.stdout).contains("NEEDED_BY_RULE"));
    for now in ["2026-11-30T00:00:00Z", "now"] {
        let with = run(&["check", "--policy", policy_arg, "--now", now, "examples/requests.jsonl"], b"");
        assert_eq!(with.status.code(), Some(1), "{now}: {}", text(&with.stderr));
        assert!(!text(&with.stdout).contains("NEEDED_BY_RULE"));
    }
    // A request's own `now` wins: last used 2026-11-24, its own now a day
    // later is fine; --now an hour after the last use is too soon.
    let request = r#"{"customer_present":false,"now":"2026-11-25T10:00:00Z","headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:a1b2","Klarna-Idempotency-Key":"k"},"token_record":{"customer_token":"krn:customer-token:eu1:a1b2","scopes":["payment:customer_not_present"],"state":"ACTIVE","last_used_at":"2026-11-24T10:00:00Z"},"body":{"currency":"EUR","request_payment_transaction":{"amount":100,"payment_transaction_reference":"r"}}}"#;
    let own = run(&["check", "--policy", policy_arg, "--now", "2026-11-24T11:00:00Z"], request.as_bytes());
    assert_eq!(own.status.code(), Some(0), "{}", text(&own.stdout));
    let filled = request.replace(r#""now":"2026-11-25T10:00:00Z","#, "");
    let soon = run(&["check", "--policy", policy_arg, "--now", "2026-11-24T11:00:00Z"], filled.as_bytes());
    assert_eq!(soon.status.code(), Some(1));
    assert!(text(&soon.stdout).contains("CHARGE_TOO_SOON"));
    let bad = run(&["check", "--now", "yesterday"], request.as_bytes());
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    assert!(text(&bad.stderr).contains("RFC 3339"));
}

#[test]
fn apply_output_feeds_the_next_apply() {
    let dir = tempdir("apply");
    let first = dir.join("first.json");
    let tokenized = run(&["apply", "--event", "examples/events/tokenized.json"], b"");
    assert_eq!(tokenized.status.code(), Some(0));
    std::fs::write(&first, &tokenized.stdout).unwrap();
    // The previous output, wrapper and all, is a record.
    let charged = run(&["apply", "--record", first.to_str().unwrap(), "--event", "examples/events/charged.json"], b"");
    assert_eq!(charged.status.code(), Some(0), "{}", text(&charged.stdout));
    let step = &json_lines(&charged.stdout)[0];
    assert_eq!(step["changed"], true);
    assert!(step["record"]["last_used_at"].is_string());
    // --output writes the bare record, and may replace the record file.
    let record = dir.join("record.json");
    let written =
        run(&["apply", "--event", "examples/events/tokenized.json", "--output", record.to_str().unwrap()], b"");
    assert_eq!(written.status.code(), Some(0));
    let bare: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    assert_eq!(bare, json_lines(&written.stdout)[0]["record"]);
    for event in ["charged", "revoked"] {
        let path = record.to_str().unwrap();
        let event = format!("examples/events/{event}.json");
        let step = run(&["apply", "--record", path, "--event", &event, "--output", path], b"");
        assert_eq!(step.status.code(), Some(0), "{}", text(&step.stdout));
    }
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    assert_eq!(stored["state"], "REVOKED");
    assert!(stored["last_used_at"].is_string());
    // A refused step writes nothing.
    let before = std::fs::read(&record).unwrap();
    let path = record.to_str().unwrap();
    let refused = run(&["apply", "--record", path, "--event", "examples/events/charged.json", "--output", path], b"");
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read(&record).unwrap(), before);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "no temporary file is left behind");
}

#[test]
fn the_table_says_where_and_why() {
    let request = r#"{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:a1b2","Klarna-Idempotency-Key":"k"},"token_record":{"scopes":["payment:customer_not_present"],"state":"ACTIVE"},"body":{"currency":"EUR","request_payment_transaction":{"amount":100,"payment_transaction_reference":"r"}}}"#;
    let output = run(&["check", "--format", "table"], request.as_bytes());
    let table = text(&output.stdout);
    assert!(table.contains("204 RECORD_INVALID (deny) at /token_record/customer_token FIELD: "), "{table}");
}

#[test]
fn version_is_the_crate_version() {
    let output = run(&["--version"], b"");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout).trim(), format!("ctpolicy {}", env!("CARGO_PKG_VERSION")));
}

/// README: "`make check-examples` ... exits 0 when ... exit status is 1".
#[test]
fn make_check_examples_exits_as_the_readme_says() {
    let readme = std::fs::read_to_string(root("README.md")).unwrap();
    assert!(readme.contains("`ctpolicy check` exits 1 on it"), "the README states the exit status");
    let make = |cli: &str| {
        Command::new("make")
            .args(["-s", "check-examples", "CARGO=true", &format!("CLI={cli}")])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
    };
    let Ok(output) = make(BIN) else {
        eprintln!("make is not installed: skipped");
        return;
    };
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("exit status 1, as expected"), "{}", text(&output.stdout));
    // A run where everything passed (or one that failed to decide) is not
    // what the examples are: the target fails.
    for wrong in ["true", "/nonexistent/ctpolicy"] {
        let output = make(wrong).unwrap();
        assert_ne!(output.status.code(), Some(0), "{wrong}");
    }
}

/// Every face takes a previous step's output as the record (the C face's
/// `ctp_apply_event_json` is this function), and `record_json` is the
/// bare record inside it.
#[test]
fn apply_event_takes_its_own_output() {
    let event = |name: &str| std::fs::read(root(&format!("examples/events/{name}.json"))).unwrap();
    let created = ctpolicy::apply_event(None, &event("tokenized")).unwrap();
    let bare: serde_json::Value = serde_json::from_str(created.record_json()).unwrap();
    let whole: serde_json::Value = serde_json::from_str(created.json()).unwrap();
    assert_eq!(bare, whole["record"]);
    let from_whole = ctpolicy::apply_event(Some(created.json().as_bytes()), &event("charged")).unwrap();
    let from_bare = ctpolicy::apply_event(Some(created.record_json().as_bytes()), &event("charged")).unwrap();
    assert_eq!(from_whole.json(), from_bare.json());
    // Only exactly {record: object, changed: bool} is unwrapped.
    let odd = format!(r#"{{"record":{},"changed":true,"x":1}}"#, created.record_json());
    let error = ctpolicy::apply_event(Some(odd.as_bytes()), &event("charged")).unwrap_err();
    assert_eq!(error.code, Some(ctpolicy::Code::RecordInvalid));
}

/// `--caller` gives requests without a `caller` one, for a policy's `access`.
#[test]
fn caller_fills_requests_that_lack_it() {
    let dir = tempdir("caller");
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"access": {"billing-renewals": {"scopes": ["payment:customer_not_present"]}}}"#)
        .unwrap();
    let policy = policy.to_str().unwrap();
    let renewal = std::fs::read_to_string(root("examples/requests.jsonl")).unwrap().lines().next().unwrap().to_owned();
    let without = run(&["check", "--policy", policy], renewal.as_bytes());
    assert_eq!(without.status.code(), Some(1));
    assert!(text(&without.stdout).contains("CALLER_NOT_ALLOWED"), "{}", text(&without.stdout));
    let with = run(&["check", "--policy", policy, "--caller", "billing-renewals"], renewal.as_bytes());
    assert_eq!(with.status.code(), Some(0), "{}", text(&with.stdout));
    let other = run(&["check", "--policy", policy, "--caller", "support-console"], renewal.as_bytes());
    assert!(text(&other.stdout).contains("CALLER_NOT_ALLOWED"));
    // The request's own caller wins.
    let own = renewal.replacen('{', r#"{"caller":"support-console","#, 1);
    let kept = run(&["check", "--policy", policy, "--caller", "billing-renewals"], own.as_bytes());
    assert!(text(&kept.stdout).contains("CALLER_NOT_ALLOWED"), "{}", text(&kept.stdout));
}

/// The README's `apply` chain, run as it stands (in a scratch folder that
/// sees the repository's examples).
#[test]
fn the_readme_apply_chain_runs_as_written() {
    let readme = std::fs::read_to_string(root("README.md")).unwrap();
    let after = readme.split("**Chaining `apply`.**").nth(1).expect("the section");
    let block = after.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("its sh block");
    let dir = tempdir("readme-apply");
    std::os::unix::fs::symlink(root("examples"), dir.join("examples")).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let status =
        Command::new("sh").args(["-euc", block]).current_dir(&dir).env("PATH", path).output().expect("sh runs");
    assert!(status.status.success(), "{block}\n{}", text(&status.stderr));
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("rec.json")).unwrap()).unwrap();
    assert_eq!(record["state"], "ACTIVE");
    assert!(record["last_used_at"].is_string(), "{record}");
}
