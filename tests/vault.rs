//! The vault lint (docs/VAULT.md): the shared vectors of tests/vectors/vault.json
//! through the library face and through `ctpolicy vault lint`, plus the
//! command line's failures and the promise that nothing prints a token.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use ctpolicy::vault::{VaultLint, VaultOptions};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");

fn vectors() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/vault.json");
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    file["cases"].as_array().unwrap().clone()
}

/// A case's files as (name, exact bytes).
fn files(case: &Value) -> Vec<(String, Vec<u8>)> {
    case["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let bytes = match (f.get("text"), f.get("base64")) {
                (Some(text), _) => text.as_str().unwrap().as_bytes().to_vec(),
                (None, Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap(),
                _ => panic!("file without text or base64"),
            };
            (f["name"].as_str().unwrap().to_owned(), bytes)
        })
        .collect()
}

/// Lines as docs/VAULT.md numbers them: LF ends a line, a last line without LF
/// is a line; blank ones (spaces, tabs, CR only) are not records.
fn records(bytes: &[u8]) -> Vec<(u64, &[u8])> {
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if lines.last() == Some(&&b""[..]) {
        lines.pop();
    }
    lines
        .into_iter()
        .enumerate()
        .filter(|(_, line)| !line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')))
        .map(|(i, line)| (i as u64 + 1, line))
        .collect()
}

fn options(case: &Value) -> VaultOptions {
    let o = &case["options"];
    let policy = o.get("policy").map(|p| serde_json::to_vec(p).unwrap()).unwrap_or_default();
    let stale = o.get("stale_days").map(|n| n.to_string());
    VaultOptions::from_text(&policy, o.get("now").and_then(Value::as_str), stale.as_deref()).unwrap()
}

/// The library face: every record fed in order, findings mapped back from
/// positions to (file, line) so they compare with the CLI's.
fn library_findings(case: &Value) -> Vec<Value> {
    let mut lint = VaultLint::new(options(case));
    let files = files(case);
    let mut where_fed = Vec::new();
    let mut out = Vec::new();
    for (name, bytes) in &files {
        for (line, record) in records(bytes) {
            where_fed.push((name.clone(), line));
            for finding in lint.feed(record) {
                let mut value = serde_json::to_value(&finding).unwrap();
                assert_eq!(value["line"].as_u64().unwrap() as usize, where_fed.len(), "line is the position fed");
                let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(keys, ["line", "code", "severity", "detail", "fingerprint", "related_line"]);
                let related = value["related_line"].as_u64().map(|at| where_fed[at as usize - 1].clone());
                value["related_line"] = related.as_ref().map_or(Value::Null, |(_, line)| json!(line));
                let mut printed = json!({"file": name, "line": line});
                for key in ["code", "severity", "detail", "fingerprint", "related_line"] {
                    printed[key] = value[key].clone();
                }
                printed["related_file"] = related.map_or(Value::Null, |(file, _)| json!(file));
                out.push(printed);
            }
        }
    }
    out
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-vault-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn cli_args(case: &Value, dir: &Path) -> Vec<String> {
    let mut args = vec!["vault".to_owned(), "lint".to_owned(), "--format".to_owned(), "jsonl".to_owned()];
    let o = &case["options"];
    if let Some(policy) = o.get("policy") {
        std::fs::write(dir.join("policy.json"), serde_json::to_vec(policy).unwrap()).unwrap();
        args.extend(["--policy".to_owned(), "policy.json".to_owned()]);
    }
    if let Some(now) = o.get("now") {
        args.extend(["--now".to_owned(), now.as_str().unwrap().to_owned()]);
    }
    if let Some(days) = o.get("stale_days") {
        args.extend(["--stale-days".to_owned(), days.to_string()]);
    }
    args
}

fn cli_findings(case: &Value, index: usize) -> (Vec<Value>, i32) {
    let dir = temp_dir(&format!("case{index}"));
    let mut args = cli_args(case, &dir);
    for (name, bytes) in files(case) {
        std::fs::write(dir.join(&name), bytes).unwrap();
        args.push(name);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_in(&dir, &args, b"");
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let findings = stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect();
    (findings, output.status.code().unwrap())
}

fn expected(case: &Value) -> Vec<Value> {
    case["findings"].as_array().unwrap().clone()
}

fn diff(name: &str, face: &str, actual: &[Value], expected: &[Value]) -> Option<String> {
    (actual != expected).then(|| {
        let show = |v: &[Value]| v.iter().map(|f| format!("    {f}")).collect::<Vec<_>>().join("\n");
        format!("{name} ({face}):\n  expected\n{}\n  got\n{}", show(expected), show(actual))
    })
}

#[test]
fn vectors_through_the_library() {
    let cases = vectors();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| diff(case["name"].as_str().unwrap(), "library", &library_findings(case), &expected(case)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases.len() >= 30, "only {} vault vectors", cases.len());
}

#[test]
fn vectors_through_the_command_line() {
    let mut failures = Vec::new();
    for (index, case) in vectors().iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let (findings, exit) = cli_findings(case, index);
        failures.extend(diff(name, "cli", &findings, &expected(case)));
        let any_error = expected(case).iter().any(|f| f["severity"] == "error");
        if exit != i32::from(any_error) {
            failures.push(format!("{name}: exit {exit}, expected {}", i32::from(any_error)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code of docs/VAULT.md V1 is exercised by some vector.
#[test]
fn every_code_has_a_vector() {
    let seen: std::collections::BTreeSet<String> = vectors()
        .iter()
        .flat_map(|case| expected(case).into_iter().map(|f| f["code"].as_str().unwrap().to_owned()))
        .collect();
    for code in ctpolicy::vault::VaultCode::ALL {
        assert!(seen.contains(code.as_str()), "no vector reports {}", code.as_str());
    }
}

/// The tokens of the vectors, and every 8-byte piece of each, never appear
/// in a finding, a table or a summary.
#[test]
fn no_output_holds_a_token_or_a_piece_of_one() {
    for (index, case) in vectors().iter().enumerate() {
        let mut tokens = Vec::new();
        for (_, bytes) in files(case) {
            for (_, line) in records(&bytes) {
                if let Ok(Value::Object(record)) = serde_json::from_slice::<Value>(line) {
                    if let Some(Value::String(token)) = record.get("customer_token") {
                        tokens.push(token.clone());
                    }
                }
            }
        }
        let dir = temp_dir(&format!("secret{index}"));
        let mut args = cli_args(case, &dir);
        args[3] = "table".to_owned();
        args.push("--summary".to_owned());
        for (name, bytes) in files(case) {
            std::fs::write(dir.join(&name), bytes).unwrap();
            args.push(name);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let table = run_in(&dir, &args, b"");
        let jsonl =
            run_in(&dir, &args.iter().map(|a| if *a == "table" { "jsonl" } else { a }).collect::<Vec<_>>(), b"");
        std::fs::remove_dir_all(&dir).unwrap();
        let printed = [table.stdout, table.stderr, jsonl.stdout, jsonl.stderr].concat();
        let printed = String::from_utf8_lossy(&printed);
        for token in &tokens {
            // A piece is any 8 characters of the token's id part (the
            // `krn:customer-token:eu1:` prefix is common to all tokens).
            let id = token.rsplit(':').next().unwrap_or(token);
            let chars: Vec<char> = id.chars().collect();
            for piece in chars.windows(8) {
                let piece: String = piece.iter().collect();
                if piece.trim().len() == 8 && !piece.contains('"') {
                    assert!(!printed.contains(&piece), "{}: output holds {piece:?}", case["name"]);
                }
            }
        }
    }
}

// ------------------------------------------------------------ the command line

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const GOOD: &str = r#"{"customer_token":"krn:customer-token:eu1:abcdef12","customer_token_reference":"r1","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_id":"c1"}"#;
const BROKEN: &str = r#"{"customer_token":"krn:customer-token:eu1:abcdef12 ","customer_token_reference":"r2","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_id":"c1"}"#;
const WARN_ONLY: &str = r#"{"customer_token":"krn:customer-token:eu1:zzzz9999","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_id":"c1"}"#;

#[test]
fn exit_status_is_0_for_warnings_only_1_for_errors() {
    let dir = temp_dir("exit");
    write(&dir, "good.jsonl", &format!("{GOOD}\n"));
    write(&dir, "warn.jsonl", &format!("{WARN_ONLY}\n"));
    write(&dir, "bad.jsonl", &format!("{BROKEN}\n"));
    let good = run_in(&dir, &["vault", "lint", "good.jsonl"], b"");
    assert_eq!(good.status.code(), Some(0));
    assert!(good.stdout.is_empty());
    let warn = run_in(&dir, &["vault", "lint", "warn.jsonl"], b"");
    assert_eq!(warn.status.code(), Some(0), "{}", String::from_utf8_lossy(&warn.stdout));
    assert!(String::from_utf8_lossy(&warn.stdout).contains("\"MISSING_FIELD\""));
    let bad = run_in(&dir, &["vault", "lint", "good.jsonl", "bad.jsonl"], b"");
    assert_eq!(bad.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_is_the_export_when_no_file_or_dash_is_given() {
    let dir = temp_dir("stdin");
    write(&dir, "a.jsonl", &format!("{GOOD}\n"));
    let input = format!("{GOOD}\n\n{GOOD}\n");
    for args in [&["vault", "lint"][..], &["vault", "lint", "-"][..]] {
        let out = run_in(&dir, args, input.as_bytes());
        assert_eq!(out.status.code(), Some(1));
        let line: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(line["file"], "-");
        assert_eq!(line["line"], 3);
        assert_eq!(line["code"], "DUPLICATE_TOKEN");
        assert_eq!(line["related_line"], 1);
        assert_eq!(line["related_file"], "-");
    }
    // `-` after a file: stdin is read in its place, lines numbered afresh.
    let out = run_in(&dir, &["vault", "lint", "a.jsonl", "-"], input.as_bytes());
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let places: Vec<_> = lines
        .iter()
        .map(|l| (l["file"].as_str(), l["line"].as_u64(), l["related_file"].as_str(), l["related_line"].as_u64()))
        .collect();
    assert_eq!(
        places,
        [(Some("-"), Some(1), Some("a.jsonl"), Some(1)), (Some("-"), Some(3), Some("a.jsonl"), Some(1))]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Options, the policy and every file are checked before anything is
/// linted: on a failure stdout is empty, stderr names the culprit, exit 2.
#[test]
fn early_failures_leave_stdout_empty_and_name_the_culprit() {
    let dir = temp_dir("early");
    write(&dir, "bad.jsonl", &format!("{BROKEN}\n"));
    write(&dir, "policy-typo.json", r#"{"allowed_region": ["eu1"]}"#);
    write(&dir, "policy-broken.json", "{");
    std::fs::create_dir_all(dir.join("a-directory")).unwrap();
    let secret = "krn:customer-token:eu1:secret77secret";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["bad.jsonl", "missing.jsonl"], "missing.jsonl"),
        (vec!["bad.jsonl", "a-directory"], "a-directory"),
        (vec!["--policy", "nowhere.json", "bad.jsonl"], "nowhere.json"),
        (vec!["--policy", "policy-typo.json", "bad.jsonl"], "policy-typo.json"),
        (vec!["--policy", "policy-broken.json", "bad.jsonl"], "policy-broken.json"),
        (vec!["--now", "2026-11-30 00:00:00Z", "bad.jsonl"], "--now"),
        (vec!["--now", secret, "bad.jsonl"], "--now"),
        (vec!["--now", "2026-11-30T00:00:00Z", "--stale-days", "-1", "bad.jsonl"], "--stale-days"),
        (vec!["--now", "2026-11-30T00:00:00Z", "--stale-days", "+3", "bad.jsonl"], "--stale-days"),
        (vec!["--now", "2026-11-30T00:00:00Z", "--stale-days", "1.5", "bad.jsonl"], "--stale-days"),
        (vec!["--stale-days", "30", "bad.jsonl"], "--stale-days needs --now"),
    ];
    for (args, culprit) in cases {
        let mut full = vec!["vault", "lint"];
        full.extend(&args);
        let out = run_in(&dir, &full, b"");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr.contains(culprit), "{args:?}: {stderr}");
        assert!(!stderr.contains("secret77"), "{args:?}: the value was echoed: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn table_groups_by_code_with_file_and_line_and_summary_counts() {
    let dir = temp_dir("table");
    write(&dir, "a.jsonl", &format!("{GOOD}\n\n{BROKEN}\n{WARN_ONLY}\n{GOOD}\n"));
    let out = run_in(&dir, &["vault", "lint", "--format", "table", "--summary", "a.jsonl"], b"");
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    let expected_table = "\
TOKEN_MALFORMED (error): 1 finding
    a.jsonl:3  INVALID_CHARACTER
MISSING_FIELD (warn): 1 finding
    a.jsonl:4  customer_token_reference
DUPLICATE_TOKEN (error): 1 finding
    a.jsonl:5  (first at a.jsonl:1)
";
    assert_eq!(table, expected_table);
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(summary.starts_with("vault lint: 4 records read, 1 without findings; 2 errors, 1 warnings\n"), "{summary}");
    assert!(summary.contains("  TOKEN_MALFORMED"), "{summary}");
    assert!(summary.contains("  DUPLICATE_TOKEN"), "{summary}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_line_over_one_mib_is_unreadable_and_keeps_the_numbering() {
    let dir = temp_dir("huge");
    let huge = format!("{{\"customer_token\":\"{}\"}}", "a".repeat(1 << 20));
    write(&dir, "a.jsonl", &format!("{huge}\n{BROKEN}\n"));
    let out = run_in(&dir, &["vault", "lint", "a.jsonl"], b"");
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["code"], "RECORD_UNREADABLE");
    assert_eq!(lines[0]["detail"], "TOO_LARGE");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[1]["line"], 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A read error after output began keeps the output, names the file, exits 2.
#[test]
fn a_read_error_midway_keeps_the_output_and_exits_2() {
    let dir = temp_dir("readerr");
    write(&dir, "a.jsonl", &format!("{BROKEN}\n"));
    // /proc/self/mem opens but cannot be read from offset 0.
    let out = run_in(&dir, &["vault", "lint", "a.jsonl", "/proc/self/mem"], b"");
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("\"TOKEN_MALFORMED\""), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/proc/self/mem"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The lint streams: 300,000 records of about 300 bytes (90 MB) lint in
/// well under what holding them would take; the duplicate tables are about
/// 128 bytes a record (docs/VAULT.md). The 10,000,000-record measurement is
/// benches/vault_lint.sh (docs/BENCHMARKS.md).
#[test]
fn memory_is_bounded_by_the_duplicate_tables() {
    let dir = temp_dir("rss");
    let path = dir.join("big.jsonl");
    let records = 300_000u64;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..records {
        writeln!(
            out,
            r#"{{"customer_token":"krn:customer-token:eu1:{i:08x}-5b1c-4e8f-9a6d-{i:012x}","customer_token_reference":"sub-{i}","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2025-11-02T09:14:00Z","last_used_at":"2026-10-02T09:15:12Z","customer_id":"cus-{i}","subscription_id":"plan-gold-{i}","note":"padding so that a record is about three hundred bytes"}}"#
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let size = std::fs::metadata(&path).unwrap().len();
    let output = Command::new("bash")
        .args(["-c", &format!("command time -f %M {BIN} vault lint --format jsonl big.jsonl >/dev/null")])
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let max_rss_kib: u64 = stderr.trim().lines().last().unwrap().trim().parse().unwrap_or_else(|_| panic!("{stderr}"));
    let budget_kib = 10 * 1024 + records * 140 / 1024;
    assert!(size / 1024 > 2 * budget_kib, "the export must dwarf the budget to prove anything");
    assert!(max_rss_kib < budget_kib, "max RSS {max_rss_kib} KiB for {records} records (budget {budget_kib} KiB)");
}

/// The README's "Check your token store" output is what the command prints.
#[test]
fn readme_example_output_is_real() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme.split("## Check your token store").nth(1).expect("the README section");
    let block = section.split("```console\n").nth(1).unwrap().split("```").next().unwrap();
    let (_, shown) = block.split_once("examples/vault/tokens.jsonl\n").unwrap();
    let (shown, exit) = shown.split_once("$ echo $?\n").unwrap();
    let out = run_in(
        root,
        &[
            "vault",
            "lint",
            "--policy",
            "examples/vault/policy.json",
            "--now",
            "2026-11-30T00:00:00Z",
            "--stale-days",
            "180",
            "--summary",
            "--format",
            "table",
            "examples/vault/tokens.jsonl",
        ],
        b"",
    );
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(printed, shown);
    assert_eq!(exit.trim(), out.status.code().unwrap().to_string());
    let jsonl = section.split("```json\n").nth(1).unwrap().split("```").next().unwrap().trim();
    let piped = run_in(
        root,
        &[
            "vault",
            "lint",
            "--policy",
            "examples/vault/policy.json",
            "--now",
            "2026-11-30T00:00:00Z",
            "--stale-days",
            "180",
            "examples/vault/tokens.jsonl",
        ],
        b"",
    );
    assert!(String::from_utf8_lossy(&piped.stdout).lines().any(|l| l == jsonl), "{jsonl}");
}
