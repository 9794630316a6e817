//! Helpers shared by the integration tests that drive the `ctpolicy` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");

/// Runs `ctpolicy ARGS` from the crate root with `stdin` as its input. The
/// input is written from another thread, so a command that writes a lot
/// before it has read everything cannot deadlock against the test.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ctpolicy binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // A command that exits before reading all of it closes the pipe;
        // that is its answer to check, not a test failure.
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("the ctpolicy binary finishes");
    writer.join().expect("the stdin writer does not panic");
    output
}
