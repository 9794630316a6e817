//! The audit log under faults: a log truncated, deleted or renamed over
//! under a running writer (library and CLI), paths that are not regular
//! files, a closed stdout for every streaming command, a write that fails
//! half-way (a file size limit, an append-only file), and the repair of a
//! torn tail. Each test counts decisions against entries: a decision is
//! never given without its entry.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ctpolicy::audit::{repair_path, verify_path, AuditFailureKind, AuditLog, AuditOptions, Clock};
use ctpolicy::Engine;

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");
const TOKEN: &str = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-faults-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn request(i: usize) -> String {
    format!(
        r#"{{"customer_present":false,"headers":{{"Klarna-Customer-Token":"{TOKEN}","Klarna-Idempotency-Key":"k-{i}"}},"token_record":{{"customer_token":"{TOKEN}","scopes":["payment:customer_not_present"],"state":"ACTIVE"}},"body":{{"currency":"EUR","request_payment_transaction":{{"amount":1299,"payment_transaction_reference":"r-{i}"}}}},"now":"2026-11-25T10:00:00Z","decision_id":"d-{i}"}}"#
    )
}

fn requests(from: usize, n: usize) -> String {
    (from..from + n).map(|i| request(i) + "\n").collect()
}

fn entries(path: &Path) -> u64 {
    verify_path(path, None).unwrap_or_else(|f| panic!("{} verifies: {f}", path.display())).entries
}

/// The decision ids of a log's entries (the decision ids given, in a
/// decisions file), one a line.
fn ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let id =
                if value["receipt"].is_object() { &value["receipt"]["decision_id"] } else { &value["decision_id"] };
            id.as_str().unwrap().to_owned()
        })
        .collect()
}

// ---------------------------------------------------------------- library

/// A change made under a writer between two appends: the next append fails
/// naming the file and the change, and every append before it is in the log
/// it went to.
fn library_writer_sees(change: impl FnOnce(&Path), code: &str, words: &str) {
    let dir = tempdir(&format!("lib-{code}-{words}").replace(' ', "-"));
    let path = dir.join("audit.jsonl");
    let engine = Engine::default();
    let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    for i in 0..5 {
        log.record(&engine, request(i).as_bytes(), &Clock::System).unwrap();
    }
    change(&path);
    let failure = log.record(&engine, request(5).as_bytes(), &Clock::System).unwrap_err();
    assert_eq!((failure.kind, failure.code.name()), (AuditFailureKind::Invalid, code), "{failure}");
    assert!(failure.message.contains("audit.jsonl") && failure.message.contains(words), "{failure}");
    // It keeps failing: no later decision either.
    assert_eq!(log.record(&engine, request(6).as_bytes(), &Clock::System).unwrap_err().code.name(), code);
    drop(log);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_library_writer_fails_when_its_log_is_truncated_deleted_or_renamed_over() {
    library_writer_sees(|path| fs::write(path, "").unwrap(), "LOG_TRUNCATED", "shorter than");
    library_writer_sees(
        |path| {
            // Cut to its first entry: still a valid log, but not the one left.
            let text = fs::read_to_string(path).unwrap();
            fs::write(path, &text[..text.find('\n').unwrap() + 1]).unwrap();
        },
        "LOG_TRUNCATED",
        "truncated",
    );
    library_writer_sees(|path| fs::remove_file(path).unwrap(), "LOG_REPLACED", "no longer exists");
    library_writer_sees(
        |path| {
            // logrotate's create mode: rename away, create anew.
            fs::rename(path, path.with_extension("jsonl.1")).unwrap();
            fs::write(path, "").unwrap();
            assert_eq!(entries(&path.with_extension("jsonl.1")), 5, "the renamed log holds every entry");
        },
        "LOG_REPLACED",
        "renamed away",
    );
    library_writer_sees(
        |path| {
            fs::remove_file(path).unwrap();
            std::os::unix::fs::symlink("/dev/null", path).unwrap();
        },
        "LOG_REPLACED",
        "character device",
    );
}

#[test]
fn paths_that_are_not_regular_files_are_refused_at_open() {
    let dir = tempdir("not-regular");
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let link = dir.join("link");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    for (path, kind) in [
        (Path::new("/dev/null"), "a character device"),
        (fifo.as_path(), "a FIFO"),
        (dir.as_path(), "a directory"),
        (link.as_path(), "a character device"),
    ] {
        // A FIFO without a reader must not hang the open.
        let failure = AuditLog::open(path, AuditOptions::default()).unwrap_err();
        assert_eq!(
            (failure.kind, failure.code),
            (AuditFailureKind::Invalid, ctpolicy::Code::NotARegularFile),
            "{failure}"
        );
        assert!(failure.message.contains(kind), "{failure}");
        // The CLI decides nothing.
        let output = Command::new(BIN)
            .args(["check", "--audit-log", path.to_str().unwrap()])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
        let output = Command::new(BIN).args(["audit", "repair", path.to_str().unwrap()]).output().unwrap();
        assert_ne!(output.status.code(), Some(0), "repair refuses {kind}");
    }
    let _ = fs::remove_dir_all(&dir);
}

// -------------------------------------------------------------------- CLI

/// `ctpolicy check --audit-fsync --audit-log LOG` reading requests from a
/// pipe this test writes to; stdout to a file.
fn running_check(dir: &Path, log: &Path) -> (Child, PathBuf) {
    let decisions = dir.join("decisions.jsonl");
    let child = Command::new(BIN)
        .args(["check", "--audit-fsync", "--audit-log", log.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(fs::File::create(&decisions).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, decisions)
}

/// Waits until the log holds `n` lines (the writer got that far).
fn wait_for_entries(log: &Path, n: usize) {
    for _ in 0..500 {
        if fs::read_to_string(log).map(|t| t.lines().count()).unwrap_or(0) >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the writer never wrote {n} entries");
}

fn cli_writer_sees(name: &str, change: impl FnOnce(&Path), code: &str) -> (PathBuf, Vec<String>) {
    let dir = tempdir(&format!("cli-{name}"));
    let log = dir.join("audit.jsonl");
    let (mut child, decisions) = running_check(&dir, &log);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(requests(0, 30).as_bytes()).unwrap();
    stdin.flush().unwrap();
    wait_for_entries(&log, 30);
    change(&log);
    // The pipe may be closed already by a writer that stopped.
    let _ = stdin.write_all(requests(30, 30).as_bytes());
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(code) && stderr.contains("audit.jsonl"), "{stderr}");
    assert!(stderr.contains("<stdin>:31:"), "the first request not decided is named: {stderr}");
    let given = ids(&fs::read_to_string(decisions).unwrap());
    assert_eq!(given.len(), 30, "no decision after the change: {stderr}");
    (dir, given)
}

#[test]
fn a_cli_writer_stops_when_its_log_is_truncated_deleted_or_renamed_over() {
    let (dir, _) = cli_writer_sees("truncate", |log| fs::write(log, "").unwrap(), "LOG_TRUNCATED");
    assert_eq!(entries(&dir.join("audit.jsonl")), 0);
    let (dir, _) = cli_writer_sees("delete", |log| fs::remove_file(log).unwrap(), "LOG_REPLACED");
    assert!(!dir.join("audit.jsonl").exists());
    let (dir, given) = cli_writer_sees(
        "rename",
        |log| {
            fs::rename(log, log.with_extension("jsonl.1")).unwrap();
            fs::write(log, "").unwrap();
        },
        "LOG_REPLACED",
    );
    // Every decision given has its entry, in the renamed log.
    let rotated = dir.join("audit.jsonl.1");
    assert_eq!(ids(&fs::read_to_string(&rotated).unwrap()), given);
    assert_eq!(entries(&rotated), 30);
    assert_eq!(entries(&dir.join("audit.jsonl")), 0);
}

/// The rotation procedure of docs/SECURITY.md: logrotate's create mode
/// (rename, then a new file) under a long-running library writer that
/// reopens the path on `LOG_REPLACED` and checks the request again: every
/// decision given has its entry, in one of the two files, each verifying.
#[test]
fn rotation_by_rename_loses_nothing_when_the_writer_reopens() {
    let dir = tempdir("rotate");
    let path = dir.join("audit.jsonl");
    let engine = Engine::default();
    let mut log = AuditLog::open(&path, AuditOptions::default()).unwrap();
    let mut given = Vec::new();
    let mut reopened = 0;
    for i in 0..200 {
        if i == 77 {
            fs::rename(&path, dir.join("audit.jsonl.1")).unwrap();
            fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
        }
        let checked = loop {
            match log.record(&engine, request(i).as_bytes(), &Clock::System) {
                Ok(checked) => break checked,
                Err(failure) if failure.code == ctpolicy::Code::LogReplaced => {
                    reopened += 1;
                    log = AuditLog::open(&path, AuditOptions::default()).unwrap();
                }
                Err(failure) => panic!("{failure}"),
            }
        };
        given.push(checked.result.unwrap().decision_id.unwrap().to_string());
    }
    assert_eq!(reopened, 1);
    let old = fs::read_to_string(dir.join("audit.jsonl.1")).unwrap();
    let new = fs::read_to_string(&path).unwrap();
    assert_eq!((entries(&dir.join("audit.jsonl.1")), entries(&path)), (77, 123));
    let logged: Vec<String> = ids(&old).into_iter().chain(ids(&new)).collect();
    assert_eq!(logged, given);
}

// ------------------------------------------------------------ broken pipe

/// Runs `ctpolicy ARGS` on `input`, reads one line of its stdout and closes
/// it: the exit status, and stderr.
fn close_after_one_line(args: &[&str], input: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(fs::File::open(input).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(!line.is_empty());
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_closed_stdout_stops_every_streaming_command_with_exit_141() {
    let dir = tempdir("pipe");
    let input = dir.join("requests.jsonl");
    fs::write(&input, requests(0, 20_000)).unwrap();
    let records = dir.join("records.jsonl");
    let record = format!(r#"{{"customer_token":"{TOKEN}","scopes":["payment:customer_present"],"state":"ACTIVE"}}"#);
    fs::write(&records, format!("{record}\n").repeat(20_000)).unwrap();
    let log = dir.join("audit.jsonl");
    let log_arg = log.to_str().unwrap().to_owned();
    for (args, file) in [
        (vec!["check", "--summary"], &input),
        (vec!["check", "--summary", "--audit-log", &log_arg], &input),
        (vec!["vault", "lint"], &records),
        (vec!["scan"], &input),
        (vec!["redact"], &input),
    ] {
        let (code, stderr) = close_after_one_line(&args, file);
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        if args.contains(&"--summary") {
            assert!(stderr.contains("checked "), "--summary still reports what was decided: {stderr}");
        }
    }
    // The entries of the cut run were synced and verify: at least one
    // group was appended (the first decision was read), and never more
    // decisions than entries.
    let n = entries(&log);
    assert!((1..=20_000).contains(&n), "{n}");
    let _ = fs::remove_dir_all(&dir);
}

// ------------------------------------------------- failed writes, repair

fn check_under_limit(log: &Path, input: &Path, blocks: u32) -> std::process::Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -f {blocks}; exec \"$0\" check --audit-log \"$1\" \"$2\""))
        .arg(BIN)
        .arg(log)
        .arg(input)
        .output()
        .unwrap()
}

#[test]
fn a_write_cut_by_the_file_size_limit_is_rolled_back_and_says_why() {
    let dir = tempdir("fsize");
    let input = dir.join("requests.jsonl");
    fs::write(&input, requests(0, 300)).unwrap();
    let log = dir.join("audit.jsonl");
    let output = check_under_limit(&log, &input, 20);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "no decision without its entry");
    assert!(stderr.contains("File too large"), "the system's reason: {stderr}");
    assert!(stderr.contains("cut off again, so the log is as it was"), "{stderr}");
    assert!(!stderr.contains("IO_ERROR IO_ERROR"), "{stderr}");
    assert_eq!(fs::metadata(&log).unwrap().len(), 0);
    let _ = fs::remove_dir_all(&dir);
}

/// `chattr +a` (where the file system and the user allow it) refuses the
/// roll-back: the failure names the torn tail and the repair command, every
/// later writer is refused with the same advice, and repair (after
/// `chattr -a`) cuts exactly the torn line.
#[test]
fn an_append_only_file_with_a_size_limit_fails_loudly_and_is_repaired() {
    let dir = tempdir("append-only");
    let input = dir.join("requests.jsonl");
    fs::write(&input, requests(0, 300)).unwrap();
    let log = dir.join("audit.jsonl");
    fs::write(&log, "").unwrap();
    let chattr = |flag: &str| Command::new("chattr").arg(flag).arg(&log).output().is_ok_and(|o| o.status.success());
    if !chattr("+a") {
        eprintln!("chattr +a is not available here (not root, or the file system has no such flag): skipped");
        return;
    }
    let output = check_under_limit(&log, &input, 20);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "no decision without its entry");
    assert!(stderr.contains("File too large") && stderr.contains("cutting them off failed too"), "{stderr}");
    assert!(stderr.contains("ctpolicy audit repair"), "{stderr}");
    assert_eq!(fs::metadata(&log).unwrap().len(), 20 * 1024, "the limit's bytes are left, and said so");
    // Every later writer is refused, naming the line and the repair.
    let failure = AuditLog::open(&log, AuditOptions::default()).unwrap_err();
    assert_eq!(failure.code, ctpolicy::Code::TornLine);
    let whole = fs::read(&log).unwrap().iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(failure.line, Some(whole + 1), "{failure}");
    assert!(failure.message.contains("ctpolicy audit repair"), "{failure}");
    let refused = Command::new(BIN).args(["audit", "repair", log.to_str().unwrap()]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "an append-only file cannot be cut");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("chattr -a"));
    assert!(chattr("-a"));
    let repaired =
        Command::new(BIN).args(["audit", "repair", "--format", "json", log.to_str().unwrap()]).output().unwrap();
    assert_eq!(repaired.status.code(), Some(0), "{}", String::from_utf8_lossy(&repaired.stderr));
    let report: serde_json::Value = serde_json::from_slice(&repaired.stdout).unwrap();
    assert_eq!(report["repaired"], true);
    assert_eq!(report["entries"], whole);
    assert_eq!(report["cut_bytes"].as_u64().unwrap() + report["kept_bytes"].as_u64().unwrap(), 20 * 1024);
    assert_eq!(entries(&log), whole);
    // The log is continued again.
    let again = Command::new(BIN).args(["check", "--audit-log", log.to_str().unwrap()]).arg(&input).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(entries(&log), whole + 300);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn repair_cuts_a_torn_tail_and_nothing_that_verifies() {
    let dir = tempdir("repair");
    let log = dir.join("audit.jsonl");
    let input = dir.join("requests.jsonl");
    fs::write(&input, requests(0, 10)).unwrap();
    assert!(Command::new(BIN)
        .args(["check", "--audit-log", log.to_str().unwrap()])
        .arg(&input)
        .output()
        .unwrap()
        .status
        .success());
    let whole = fs::read(&log).unwrap();
    let repair = |json: bool| {
        let mut command = Command::new(BIN);
        command.args(["audit", "repair", "--format", if json { "json" } else { "text" }, log.to_str().unwrap()]);
        command.output().unwrap()
    };
    // A log that verifies: nothing cut, exit 0.
    let output = repair(false);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing was cut"));
    assert_eq!(fs::read(&log).unwrap(), whole);
    // A torn tail: half a line, then a whole line without its newline.
    for cut in [whole.len() - 100, whole.len() - 1] {
        fs::write(&log, &whole[..cut]).unwrap();
        let verify = Command::new(BIN).args(["audit", "verify", log.to_str().unwrap()]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&verify.stderr).contains("ctpolicy audit repair"),
            "torn messages name the repair"
        );
        let output = repair(false);
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0));
        let kept = whole[..cut].iter().rposition(|&b| b == b'\n').unwrap() + 1;
        assert!(text.contains(&format!("cut {} bytes", cut - kept)), "{text}");
        assert!(text.contains("no decision was given"), "{text}");
        assert_eq!(fs::read(&log).unwrap(), &whole[..kept]);
        assert_eq!(entries(&log), 9);
    }
    // A log that fails at a whole line is not repaired, and not touched.
    let mut tampered = whole.clone();
    let at = tampered.iter().position(|&b| b == b'\n').unwrap() + 1;
    tampered.drain(at..at + 5);
    tampered.extend_from_slice(b"{\"torn");
    fs::write(&log, &tampered).unwrap();
    let output = repair(true);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not repaired"));
    assert_eq!(fs::read(&log).unwrap(), tampered);
    // The library call reports the same.
    fs::write(&log, &whole[..whole.len() - 7]).unwrap();
    let report = repair_path(&log).unwrap();
    assert!(report.repaired && report.entries == 9);
    assert!(!repair_path(&log).unwrap().repaired);
    let _ = fs::remove_dir_all(&dir);
}
