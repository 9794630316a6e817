//! Helpers shared by the integration tests: running the `ctpolicy` binary,
//! reading the buffers the C ABI writes, writing instants as request text.

// Every test file that says `mod support;` compiles its own copy of this
// module and uses only some of these helpers; the others would be dead code
// there.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use ctpolicy::ffi::{ctp_buf, ctp_buf_free};

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

/// Takes the text out of a buffer the library wrote and frees it. Also
/// checks that `ctp_buf_free` resets the buffer, as the header promises, so
/// that every test reading a buffer holds the library to it.
pub fn take(mut buf: ctp_buf) -> String {
    let text = if buf.ptr.is_null() {
        String::new()
    } else {
        // SAFETY: a buffer the library wrote: `len` bytes at `ptr`.
        String::from_utf8(unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec()).unwrap()
    };
    // SAFETY: released once, as the header says.
    unsafe { ctp_buf_free(&mut buf) };
    assert!(buf.ptr.is_null() && buf.len == 0, "ctp_buf_free resets the buffer");
    text
}

/// `ms` (milliseconds since the Unix epoch) as RFC 3339 text, by
/// civil-from-days (proleptic Gregorian), independent of the engine's code.
/// Computed in i128, so that any i64 has an answer: years past 9999 or
/// before 0001 come out as text no parser accepts, which is what the tests
/// that generate such instants want.
pub fn timestamp(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let z = days as i128 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}
