//! The `ctpolicy` command line, run as a user runs it: the built binary,
//! real files, stdin, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod support;
use support::run;

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");

fn root(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}")))
        .collect()
}

const TOKEN_ID: &str = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

fn renewal(amount: &str) -> String {
    format!(
        r#"{{"customer_present":false,"headers":{{"Klarna-Customer-Token":"krn:customer-token:eu1:{TOKEN_ID}","Klarna-Idempotency-Key":"k-1"}},"token_record":{{"customer_token":"krn:customer-token:eu1:{TOKEN_ID}","scopes":["payment:customer_not_present"],"state":"ACTIVE"}},"body":{{"currency":"EUR","request_payment_transaction":{{"amount":{amount},"payment_transaction_reference":"r-1"}}}}}}"#
    )
}

#[test]
fn check_examples_decides_every_line_in_order() {
    let output = run(&["check", "--format", "jsonl", "examples/requests.jsonl"], b"");
    let requests = std::fs::read_to_string(root("examples/requests.jsonl")).unwrap();
    let decisions = json_lines(&output);
    assert_eq!(decisions.len(), requests.lines().filter(|l| !l.trim().is_empty()).count());
    assert!(decisions.iter().all(|d| d["decision"] == "ALLOW" || d["decision"] == "DENY"));
    assert!(decisions.iter().any(|d| d["decision"] == "ALLOW") && decisions.iter().any(|d| d["decision"] == "DENY"));
    assert_eq!(output.status.code(), Some(1), "some example is DENY");
}

#[test]
fn exit_codes_follow_the_worst_line() {
    let allow = renewal("1000");
    let deny = renewal("49.99");
    let ok = run(&["check", "--format", "jsonl"], format!("{allow}\n").as_bytes());
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let denied = run(&["check", "--format", "jsonl"], format!("{allow}\n{deny}\n").as_bytes());
    assert_eq!(denied.status.code(), Some(1));
    let invalid = run(&["check", "--format", "jsonl"], format!("{allow}\nnot json\n{deny}\n").as_bytes());
    assert_eq!(invalid.status.code(), Some(2));
    let lines = json_lines(&invalid);
    assert_eq!(lines.len(), 3, "a bad line does not stop the run");
    assert_eq!(lines[0]["decision"], "ALLOW");
    assert_eq!(lines[1]["error"]["status"], "INVALID_REQUEST");
    assert_eq!(lines[1]["error"]["code"], "JSON_SYNTAX");
    assert_eq!(lines[2]["violations"][0]["code"], "AMOUNT_INVALID");
    assert!(text(&invalid.stderr).contains("<stdin>:2:"), "stderr names the line: {}", text(&invalid.stderr));
}

#[test]
fn unreadable_file_and_bad_policy_exit_two() {
    let missing = run(&["check", "no-such-file.jsonl"], b"");
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no-such-file.jsonl"));

    let dir = tempdir("policy");
    let policy = dir.join("typo.json");
    std::fs::write(&policy, r#"{"allowed_regoins": ["eu1"]}"#).unwrap();
    let bad = run(&["check", "--format", "jsonl", "--policy", policy.to_str().unwrap()], renewal("1").as_bytes());
    assert_eq!(bad.status.code(), Some(2));
    let error = &json_lines(&bad)[0]["error"];
    assert_eq!(error["status"], "INVALID_POLICY");
    assert_eq!(error["path"], "/allowed_regoins");
}

#[test]
fn strict_policy_and_summary() {
    let output = run(
        &[
            "check",
            "--format",
            "jsonl",
            "--summary",
            "--policy",
            "examples/policies/strict-partner.json",
            "examples/requests.jsonl",
        ],
        b"",
    );
    let decisions = json_lines(&output);
    let decided = decisions.iter().find(|d| d.get("receipt").is_some()).expect("some request is decided");
    let strict_digest = decided["receipt"]["policy_digest"].as_str().unwrap().to_owned();
    assert_ne!(strict_digest, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("checked ") && stderr.contains("DENY"), "{stderr}");
}

#[test]
fn table_format_is_readable() {
    let output = run(&["check", "--format", "table"], format!("{}\n", renewal("1000")).as_bytes());
    let table = text(&output.stdout);
    assert!(table.starts_with("LINE"), "{table}");
    assert!(table.contains("ALLOW") && table.contains("sha256:"), "{table}");
}

#[test]
fn no_output_ever_holds_a_raw_token() {
    let mut input = String::new();
    for amount in ["1000", "49.99", "0"] {
        input.push_str(&renewal(amount));
        input.push('\n');
    }
    input.push_str(&format!("{{\"customer_present\":true,\"headers\":{{\"Klarna-Customer-Token\":\"krn:customer-token:EU1:{TOKEN_ID}\"}},\"body\":{{}}}}\n"));
    for format in ["jsonl", "table"] {
        let output = run(&["check", "--summary", "--format", format], input.as_bytes());
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(TOKEN_ID), "{format}: {}", text(stream));
        }
    }
    let tokens =
        format!("krn:customer-token:eu1:{TOKEN_ID}\nkrn:customer-token:eu1:{TOKEN_ID} \nkrn:payment:eu1:{TOKEN_ID}\n");
    let output = run(&["token"], tokens.as_bytes());
    assert!(!text(&output.stdout).contains(TOKEN_ID) && !text(&output.stderr).contains(TOKEN_ID));
}

#[test]
fn token_reads_stdin_one_a_line() {
    let output = run(&["token"], std::fs::read(root("examples/tokens.txt")).unwrap().as_slice());
    let lines = json_lines(&output);
    let count = std::fs::read_to_string(root("examples/tokens.txt")).unwrap().lines().count();
    assert_eq!(lines.len(), count);
    assert!(lines.iter().any(|l| l["fingerprint"].is_string()));
    assert!(lines.iter().any(|l| l["error"]["code"] == "TOKEN_MALFORMED"));
    assert_eq!(output.status.code(), Some(1), "some example token is malformed");
    let good = run(&["token"], b"krn:partner:us1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a\n");
    assert_eq!(good.status.code(), Some(0));
    let info = &json_lines(&good)[0];
    assert_eq!((info["form"].as_str(), info["environment"].as_str()), (Some("identity"), Some("live")));
    let windows = run(&["token"], b"krn:customer-token:eu1:abc\r\n");
    assert_eq!(json_lines(&windows)[0]["error"]["detail"], "INVALID_CHARACTER");
}

#[test]
fn apply_walks_the_lifecycle() {
    let dir = tempdir("apply");
    let tokenized = run(&["apply", "--event", "examples/events/tokenized.json"], b"");
    assert_eq!(tokenized.status.code(), Some(0), "{}", text(&tokenized.stdout));
    let created = &json_lines(&tokenized)[0];
    assert_eq!(created["changed"], true);
    assert_eq!(created["record"]["state"], "ACTIVE");
    let record_path = dir.join("record.json");
    std::fs::write(&record_path, created["record"].to_string()).unwrap();

    let revoked =
        run(&["apply", "--record", record_path.to_str().unwrap(), "--event", "examples/events/revoked.json"], b"");
    let revoked_record = &json_lines(&revoked)[0]["record"];
    assert_eq!(revoked_record["state"], "REVOKED");
    std::fs::write(&record_path, revoked_record.to_string()).unwrap();

    let charged =
        run(&["apply", "--record", record_path.to_str().unwrap(), "--event", "examples/events/charged.json"], b"");
    assert_eq!(charged.status.code(), Some(2));
    let error = &json_lines(&charged)[0]["error"];
    assert_eq!(
        (error["status"].as_str(), error["code"].as_str()),
        (Some("TRANSITION_REJECTED"), Some("TOKEN_REVOKED"))
    );
}

#[test]
fn apply_reads_klarnas_answer_and_chains() {
    let dir = tempdir("apply-response");
    let record_path = dir.join("record.json");
    std::fs::copy(root("examples/records/active-renewal.json"), &record_path).unwrap();
    let request = "examples/responses/renewal-request.json";
    let answer = |response: &str, at: &str| {
        let args = ["apply", "--record", record_path.to_str().unwrap(), "--request", request, "--response", response];
        run(&[&args[..], &["--at", at]].concat(), b"")
    };
    let declined = answer("examples/responses/declined.json", "2024-06-15T09:30:00.000Z");
    assert_eq!(declined.status.code(), Some(0), "{}", text(&declined.stdout));
    let out = &json_lines(&declined)[0];
    assert_eq!(out["events"], serde_json::json!([{"type": "DECLINED", "at": "2024-06-15T09:30:00.000Z"}]));
    assert_eq!(out["changed"], true);
    assert_eq!(out["record"]["attempts"], serde_json::json!(["2024-06-15T09:30:00.000Z"]));
    std::fs::write(&record_path, out["record"].to_string()).unwrap();

    let approved = answer("examples/responses/approved.json", "2024-06-15T09:35:00.000Z");
    let out = &json_lines(&approved)[0];
    assert_eq!(out["events"][0]["type"], "CHARGED");
    assert_eq!(out["record"]["last_used_at"], "2024-06-15T09:35:00.000Z");
    assert_eq!(
        out["record"]["attempts"],
        serde_json::json!(["2024-06-15T09:30:00.000Z", "2024-06-15T09:35:00.000Z"]),
        "both attempts kept, in order"
    );

    // The same answer again: counted once, nothing changes.
    std::fs::write(&record_path, out["record"].to_string()).unwrap();
    let again = answer("examples/responses/approved.json", "2024-06-15T11:35:00+02:00");
    assert_eq!(json_lines(&again)[0]["changed"], false);

    // The record keeps the retry cap: rule 804 counts its attempts.
    let mut renewal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root(request)).unwrap()).unwrap();
    renewal["token_record"] = serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
    renewal["now"] = "2024-06-15T10:00:00Z".into();
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"max_attempts": {"per_24h": 2}, "access": {"billing-renewals": {"scopes": ["payment:customer_not_present"]}}}"#).unwrap();
    let checked =
        run(&["check", "--policy", policy.to_str().unwrap(), "--format", "jsonl"], renewal.to_string().as_bytes());
    assert_eq!(checked.status.code(), Some(1));
    assert_eq!(json_lines(&checked)[0]["violations"][0]["code"], "ATTEMPT_LIMIT_EXCEEDED");

    let bad_at = answer("examples/responses/approved.json", "yesterday");
    assert_eq!(bad_at.status.code(), Some(2));
    assert_eq!(json_lines(&bad_at)[0]["error"]["code"], "INVALID_EVENT");
    let missing = run(&["apply", "--request", request, "--response", "examples/responses/approved.json"], b"");
    assert_eq!(missing.status.code(), Some(2), "--at is required with --response");
}

#[test]
fn rules_and_explain_come_from_the_table() {
    let output = run(&["rules"], b"");
    let listing = text(&output.stdout);
    assert_eq!(listing.lines().count(), 1 + ctpolicy::RULES.len());
    for rule in ctpolicy::RULES {
        assert!(listing.contains(rule.code));
    }
    let as_json: serde_json::Value = serde_json::from_slice(&run(&["rules", "--format", "json"], b"").stdout).unwrap();
    assert_eq!(as_json.as_array().unwrap().len(), ctpolicy::RULES.len());
    let by_id = text(&run(&["explain", "301"], b"").stdout);
    let by_code = text(&run(&["explain", "scope_mismatch"], b"").stdout);
    assert_eq!(by_id, by_code);
    assert!(by_id.starts_with("301 SCOPE_MISMATCH"));
    assert_eq!(run(&["explain", "NOPE"], b"").status.code(), Some(2));
}

#[test]
fn readme_and_docs_hold_the_generated_rule_table() {
    let table = text(&run(&["rules", "--format", "markdown"], b"").stdout);
    for doc in ["README.md", "docs/RULES.md"] {
        let content = std::fs::read_to_string(root(doc)).unwrap();
        assert!(
            content.contains(&table),
            "{doc} must contain the output of `ctpolicy rules --format markdown` (run `make docs`)"
        );
    }
}

#[test]
fn memory_stays_flat_on_a_large_stream() {
    // 300,000 requests stream through; the process must not hold them.
    // (`make bench` runs the same check over 10,000,000 lines.)
    let line = format!("{}\n", renewal("1000"));
    let lines = 300_000;
    let mut child = Command::new("/usr/bin/env")
        .args(["bash", "-c", &format!("command time -f %M {BIN} check --format jsonl >/dev/null")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = line.repeat(1000);
        for _ in 0..lines / 1000 {
            stdin.write_all(chunk.as_bytes()).unwrap();
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = text(&output.stderr);
    let max_rss_kib: u64 = stderr.trim().lines().last().unwrap().trim().parse().unwrap_or_else(|_| panic!("{stderr}"));
    assert!(max_rss_kib < 30_000, "max RSS {max_rss_kib} KiB for {lines} lines: the stream is being held");
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with a directory as its standard input: every read of it
/// fails with "Is a directory".
fn run_with_directory_stdin(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::fs::File::open(dir).expect("a directory opens for reading on Linux"))
        .output()
        .expect("the ctpolicy binary runs")
}

#[test]
fn every_file_error_names_the_file() {
    let dir = tempdir("file-errors");
    let dir_name = dir.to_str().unwrap();
    let missing = dir.join("missing.json");
    let missing_name = missing.to_str().unwrap();
    let requests = dir.join("requests.jsonl");
    std::fs::write(&requests, renewal("1") + "\n").unwrap();
    let event = dir.join("event.json");
    std::fs::write(&event, r#"{"type": "TOKENIZED"}"#).unwrap();

    // `check` on a directory, between two readable files: the directory is
    // named, the files around it are still decided, the exit is 2.
    let output =
        run(&["check", "--format", "jsonl", requests.to_str().unwrap(), dir_name, requests.to_str().unwrap()], b"");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("ctpolicy: {dir_name}: Is a directory")), "{stderr}");
    assert_eq!(json_lines(&output).len(), 2, "both readable files decided");

    let cases: [(&[&str], &str); 5] = [
        (&["check", missing_name], missing_name),
        (&["check", "--policy", dir_name], dir_name),
        (&["check", "--policy", missing_name], missing_name),
        (&["apply", "--event", dir_name], dir_name),
        (&["apply", "--record", missing_name, "--event", event.to_str().unwrap()], missing_name),
    ];
    for (args, named) in cases {
        let output = run(args, renewal("1").as_bytes());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?} does not name {named}: {stderr}");
    }
    let apply = text(&run(&["apply", "--event", dir_name], b"").stderr);
    assert!(apply.contains(&format!("cannot read the event: {dir_name}: Is a directory")), "{apply}");

    // Standard input is named too, for `check` and for `token`.
    for args in [&["check", "--format", "jsonl"][..], &["token"][..]] {
        let output = run_with_directory_stdin(args, &dir);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("ctpolicy: <stdin>: Is a directory"), "{args:?}: {stderr}");
    }
}
