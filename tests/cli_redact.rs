//! `ctpolicy redact` and `ctpolicy scan` as a user runs them: the built
//! binary, real files, stdin, exit codes, and flat memory on a big stream.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod support;
use support::run;

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");
const TOKEN: &str = "krn:customer-token:eu1:SecretId4242zz";
const ID: &str = "SecretId4242zz";

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-redact-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn replacement(decoded: &str) -> String {
    format!("[customer-token {}]", ctpolicy::token::fingerprint(decoded.as_bytes()))
}

fn assert_no_token(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        let shown = String::from_utf8_lossy(stream);
        assert!(!shown.contains(ID) && !shown.contains("customer-token:"), "a token piece leaked: {shown}");
    }
}

#[test]
fn redact_copies_stdin_with_tokens_replaced_byte_for_byte_otherwise() {
    let input = format!("GET /x?t=krn%3Acustomer-token%3Aeu1%3Aab 200\n\u{0}\u{ff} {TOKEN}\nno token\n").into_bytes();
    let output = run(&["redact"], &input);
    assert_eq!(output.status.code(), Some(0));
    let expected = format!(
        "GET /x?t={} 200\n\u{0}\u{ff} {}\nno token\n",
        replacement("krn:customer-token:eu1:ab"),
        replacement(TOKEN)
    );
    assert_eq!(text(&output.stdout), expected);
    assert!(output.stderr.is_empty());
    // Not UTF-8 at all: bytes are kept as they are.
    let raw = [&b"\xff\xfe"[..], TOKEN.as_bytes(), b"\xc3"].concat();
    let output = run(&["redact", "-"], &raw);
    assert_eq!(output.stdout, [&b"\xff\xfe"[..], replacement(TOKEN).as_bytes(), b"\xc3"].concat());
}

#[test]
fn the_files_are_one_stream_as_cat_joins_them_and_an_unreadable_one_does_not_stop_the_others() {
    let dir = tempdir("files");
    let first = dir.join("first.log");
    let second = dir.join("second.log");
    // A token cut across two files (as `split -b` leaves it) is one
    // occurrence, exactly as in `cat first second | ctpolicy redact`.
    std::fs::write(&first, "head krn:customer-").unwrap();
    std::fs::write(&second, format!("token:eu1:ab\n{TOKEN}\n")).unwrap();
    let output = run(&["redact", first.to_str().unwrap(), second.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(0));
    let joined = format!("head krn:customer-token:eu1:ab\n{TOKEN}\n");
    let piped = run(&["redact"], joined.as_bytes());
    assert_eq!(output.stdout, piped.stdout);
    assert_eq!(
        text(&output.stdout),
        format!("head {}\n{}\n", replacement("krn:customer-token:eu1:ab"), replacement(TOKEN))
    );
    // An unreadable file in between: reported, exit 2, the stream goes on
    // (stdin, `-`, stands where it is named).
    let missing = dir.join("missing.log");
    let output = run(
        &["redact", first.to_str().unwrap(), missing.to_str().unwrap(), "-", second.to_str().unwrap()],
        b"stdin line\n",
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout), format!("head krn:customer-stdin line\ntoken:eu1:ab\n{}\n", replacement(TOKEN)));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(missing.to_str().unwrap()) && stderr.contains("cannot open"), "{stderr}");
    let output = run(&["redact", first.to_str().unwrap(), missing.to_str().unwrap(), second.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(output.stdout, piped.stdout, "the unreadable file adds nothing to the stream");
    assert_no_token(&output);
    // A directory cannot be read either; the message names it.
    let output = run(&["redact", dir.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains(dir.to_str().unwrap()));
}

/// The vectors cut into two files (`cut`) come out of `ctpolicy redact a b`
/// as their `redacted` text.
#[test]
fn the_two_file_vectors_through_the_command() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/redact.json");
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempdir("vectors");
    let mut seen = 0;
    for case in file["cases"].as_array().unwrap() {
        let Some(cut) = case["cut"].as_u64() else { continue };
        let parts = case["text"]["concat"].as_array().unwrap();
        let joined: String = parts.iter().map(|p| p.as_str().unwrap()).collect();
        let (a, b) = joined.split_at(cut as usize);
        let (first, second) = (dir.join("a"), dir.join("b"));
        std::fs::write(&first, a).unwrap();
        std::fs::write(&second, b).unwrap();
        let output = run(&["redact", first.to_str().unwrap(), second.to_str().unwrap()], b"");
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(text(&output.stdout), case["redacted"].as_str().unwrap(), "{}", case["name"]);
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn scan_reports_each_occurrence_and_its_exit_status_says_what_it_found() {
    let dir = tempdir("scan");
    let log = dir.join("app.log");
    std::fs::write(&log, format!("ok\nfailed for {TOKEN} (retry)\nkrn:customer-token:EU1:a b\n")).unwrap();
    let clean = dir.join("clean.log");
    std::fs::write(&clean, "nothing here krn:payment:eu1:transaction:1\n").unwrap();

    let output = run(&["scan", clean.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());

    let output = run(&["scan", "--format", "jsonl", log.to_str().unwrap(), clean.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    assert_no_token(&output);
    let lines: Vec<serde_json::Value> =
        text(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        serde_json::json!({"file": log.to_str().unwrap(), "line": 2, "column": 12, "length": TOKEN.len(),
            "fingerprint": ctpolicy::token::fingerprint(TOKEN.as_bytes()), "well_formed": true,
            "form": "network", "region": "eu1"})
    );
    assert_eq!(lines[1]["line"], 3);
    assert_eq!(lines[1]["column"], 1);
    assert_eq!(lines[1]["well_formed"], false);
    assert_eq!(lines[1]["form"], serde_json::Value::Null);
    let first_line = text(&output.stdout).lines().next().unwrap().to_owned();
    assert!(first_line.starts_with("{\"file\":"), "keys in the contract's order: {first_line}");

    // stdin is `-`; an unreadable file makes it 2 even with findings.
    let output = run(&["scan", "--summary", "-", "/nonexistent/x.log"], TOKEN.as_bytes());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).starts_with("{\"file\":\"-\",\"line\":1,\"column\":1,"));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("/nonexistent/x.log"), "{stderr}");
    assert!(stderr.contains("1 token occurrence(s) (1 well-formed) in 1 file(s); 1 file(s) unreadable"), "{stderr}");
    assert_no_token(&output);
}

#[test]
fn the_table_and_file_names_hold_no_token_either() {
    let dir = tempdir("names");
    // A path that holds a token: named by its redaction everywhere.
    let sneaky = dir.join(format!("{TOKEN}.log"));
    std::fs::write(&sneaky, format!("x {TOKEN}\n")).unwrap();
    let gone = dir.join(format!("gone-{TOKEN}.log"));
    let output =
        run(&["scan", "--format", "table", "--summary", sneaky.to_str().unwrap(), gone.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(2));
    assert_no_token(&output);
    let table = text(&output.stdout);
    assert!(table.starts_with("FILE "), "{table}");
    assert!(table.contains(&ctpolicy::token::fingerprint(TOKEN.as_bytes())), "{table}");
    assert!(text(&output.stderr).contains("[customer-token sha256:"), "{}", text(&output.stderr));
    let output = run(&["scan", "--format", "jsonl", sneaky.to_str().unwrap()], b"");
    assert_no_token(&output);
    let output = run(&["redact", gone.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(2));
    assert_no_token(&output);
}

/// Peak RSS in KiB of `ctpolicy ARGS` fed `total` bytes of `line` repeated.
fn peak_rss_kib(args: &str, line: &[u8], total: usize) -> u64 {
    let mut child = Command::new("/usr/bin/env")
        .args(["bash", "-c", &format!("command time -f %M {BIN} {args} >/dev/null")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let chunk = line.repeat((1 << 20) / line.len() + 1);
    let writer = std::thread::spawn(move || {
        let mut written = 0;
        while written < total {
            stdin.write_all(&chunk).unwrap();
            written += chunk.len();
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = text(&output.stderr);
    stderr.trim().lines().last().unwrap().trim().parse().unwrap_or_else(|_| panic!("{stderr}"))
}

#[test]
fn memory_stays_flat_while_redacting_and_scanning_a_large_stream() {
    // 400 MB through redact and 100 MB through scan (a report a line), a
    // token in every line, plus a run of
    // `krn:a:` longer than the 1 MiB candidate limit in every MiB.
    let line = format!("2026-11-30T12:00:00Z INFO charge ok token={TOKEN} amount=1299 krn:a:krn:a:\n");
    for (args, total) in [("redact", 400 << 20), ("scan --format jsonl", 100 << 20)] {
        let rss = peak_rss_kib(args, line.as_bytes(), total);
        assert!(rss < 40_000, "`ctpolicy {args}`: max RSS {rss} KiB: the stream is being held");
    }
    let long_run = b"krn:a:".repeat(300_000);
    let rss = peak_rss_kib("redact", &long_run, 100 << 20);
    assert!(rss < 40_000, "max RSS {rss} KiB on a long run: more than one candidate is held");
}
