//! The command line's own words on stderr (docs/HYGIENE.md H4): diagnostics,
//! progress, summaries and argument errors. Every one passes through the
//! H1 redaction on its way out, so a token that a caller put where it does
//! not belong (an argument, a file name, an object key) is written as
//! `[customer-token sha256:…]`, never as itself.
//!
//! This module is the one writer of stderr in the crate (a test scans the
//! sources for `eprint!`/`eprintln!` elsewhere): [`eprint`] and the
//! [`redacted_eprintln!`](crate::redacted_eprintln) /
//! [`redacted_eprint!`](crate::redacted_eprint) macros for a message the
//! command writes itself, [`stderr`] for the commands that take a writer.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use zeroize::Zeroizing;

use ctpolicy::redact::{redact_str, RedactingWriter};

/// Writes the formatted text to stderr, redacted, in one write. The text
/// as formatted may hold a token: it is wiped before it is freed. A failed
/// write to stderr is ignored: there is nowhere left to report it.
pub fn eprint(args: fmt::Arguments<'_>) {
    let mut text = Zeroizing::new(String::new());
    // Writing into a String fails only if a Display impl fails.
    let _ = text.write_fmt(args);
    let clean = redact_str(&text);
    crate::cli::progress::suspend(|| {
        let _ = io::stderr().lock().write_all(clean.as_bytes());
    });
}

/// stderr behind a [`RedactingWriter`], for the commands that write their
/// messages to an `io::Write`. Call `finish` when done: it writes the tail
/// held back (at most one unfinished candidate; a line ending in `\n`
/// leaves none).
pub fn stderr() -> RedactingWriter<io::StderrLock<'static>> {
    RedactingWriter::new(io::stderr().lock())
}

/// `eprintln!` through the redaction: see [`eprint`].
#[macro_export]
macro_rules! redacted_eprintln {
    ($($arg:tt)*) => {
        $crate::cli::diagnostics::eprint(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` through the redaction: see [`eprint`].
#[macro_export]
macro_rules! redacted_eprint {
    ($($arg:tt)*) => {
        $crate::cli::diagnostics::eprint(format_args!($($arg)*))
    };
}
