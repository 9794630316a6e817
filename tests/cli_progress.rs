//! Progress on long runs: shown on stderr when it is a terminal (checked
//! in a pseudo-terminal made by Python's `pty` module), never on stdout,
//! never when stderr is not a terminal, never with `--quiet`, and not for
//! a run shorter than a second.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");

/// Runs BIN with ARGS, stdin from /dev/null, stdout into OUT, stderr on a
/// pseudo-terminal of 120 columns; prints what the terminal received.
const PTY_RUN: &str = r#"
import fcntl, os, pty, select, struct, subprocess, sys, termios
out_path, args = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
with open(out_path, "wb") as out:
    child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=slave)
os.close(slave)
seen = b""
while True:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    elif child.poll() is not None:
        break
sys.stdout.buffer.write(seen)
sys.exit(child.wait())
"#;

struct PtyRun {
    status: i32,
    terminal: String,
    stdout: Vec<u8>,
}

fn pty_run(dir: &Path, args: &[&str], after_ms: Option<&str>) -> Option<PtyRun> {
    let out = dir.join("stdout.txt");
    let mut command = Command::new("python3");
    command.arg("-c").arg(PTY_RUN).arg(&out).arg(BIN).args(args);
    match after_ms {
        Some(ms) => command.env("CTPOLICY_PROGRESS_AFTER_MS", ms),
        None => command.env_remove("CTPOLICY_PROGRESS_AFTER_MS"),
    };
    let output = command.output().ok()?;
    Some(PtyRun {
        status: output.status.code().unwrap_or(-1),
        terminal: String::from_utf8_lossy(&output.stdout).into_owned(),
        stdout: std::fs::read(&out).unwrap(),
    })
}

/// An export of `records` distinct, valid records (about 220 bytes each).
fn export(dir: &Path, records: usize) -> PathBuf {
    let path = dir.join("tokens.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..records {
        writeln!(
            file,
            r#"{{"customer_token":"krn:customer-token:eu1:{i:08x}-aaaa","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_token_reference":"r{i}","customer_id":"c{i}"}}"#
        )
        .unwrap();
    }
    file.flush().unwrap();
    path
}

#[test]
fn a_long_vault_lint_shows_progress_on_a_terminal_only() {
    if Command::new("python3").arg("-c").arg("import pty").status().map(|s| !s.success()).unwrap_or(true) {
        panic!("python3 with the pty module is needed for this test");
    }
    let dir = std::env::temp_dir().join(format!("ctpolicy-progress-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let export = export(&dir, 200_000);
    let file = export.to_str().unwrap();
    let lint = ["vault", "lint", "--format", "jsonl", file, file];

    // On a terminal: a bar with bytes, total, rate and time left, then
    // cleared; stdout holds findings only.
    let run = pty_run(&dir, &lint, Some("0")).expect("python3 runs");
    assert_eq!(run.status, 1, "the second copy makes every token a duplicate: {}", run.terminal);
    assert!(run.terminal.contains("ctpolicy vault lint ["), "no progress on the terminal: {:?}", run.terminal);
    let total = format!("/{:.2} MiB", 2.0 * std::fs::metadata(&export).unwrap().len() as f64 / 1048576.0);
    assert!(run.terminal.contains(&total), "no total {total}: {:?}", run.terminal);
    assert!(run.terminal.contains("MiB/s") && run.terminal.contains(" left)"), "{:?}", run.terminal);
    assert!(run.terminal.ends_with("\r\x1b[2K"), "the bar is cleared at the end: {:?}", run.terminal);
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 200_000);
    assert!(stdout.lines().all(|line| line.starts_with("{\"file\":")), "only findings on stdout");

    // --quiet: nothing on the terminal.
    let quiet: Vec<&str> = ["--quiet"].iter().chain(&lint).copied().collect();
    let run = pty_run(&dir, &quiet, Some("0")).unwrap();
    assert_eq!((run.status, run.terminal.as_str()), (1, ""));

    // A short run (one small file, the default delay of a second): nothing.
    let small = dir.join("small.jsonl");
    std::fs::write(&small, std::fs::read_to_string(&export).unwrap().lines().take(10).collect::<Vec<_>>().join("\n"))
        .unwrap();
    let run = pty_run(&dir, &["vault", "lint", "--format", "jsonl", small.to_str().unwrap()], None).unwrap();
    assert_eq!((run.status, run.terminal.as_str()), (0, ""));

    // stderr not a terminal: nothing, however long the run.
    let piped = Command::new(BIN)
        .args(lint)
        .env("CTPOLICY_PROGRESS_AFTER_MS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(1));
    assert!(piped.stderr.is_empty(), "{}", String::from_utf8_lossy(&piped.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_redact_scan_and_audit_verify_show_it_too() {
    let dir = std::env::temp_dir().join(format!("ctpolicy-progress-faces-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let requests = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/requests.jsonl");
    let requests = requests.to_str().unwrap();
    let log = dir.join("audit.jsonl");
    let audit = Command::new(BIN).args(["check", "--audit-log", log.to_str().unwrap(), requests]).output().unwrap();
    assert_eq!(audit.status.code(), Some(1));
    for (label, args) in [
        ("check", vec!["check", requests]),
        ("redact", vec!["redact", requests]),
        ("scan", vec!["scan", "--format", "jsonl", requests]),
        ("audit verify", vec!["audit", "verify", "--format", "json", log.to_str().unwrap()]),
    ] {
        let run = pty_run(&dir, &args, Some("0")).expect("python3 runs");
        assert!(run.terminal.contains(&format!("ctpolicy {label} [")), "{label}: {:?}", run.terminal);
        assert!(!String::from_utf8_lossy(&run.stdout).contains(&format!("ctpolicy {label} [")), "{label}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
