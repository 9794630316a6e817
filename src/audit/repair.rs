//! Repairing a log whose last write was cut short: the one fault a writer
//! can leave behind by itself (killed in the middle of its `write(2)`, or a
//! full disk on a file whose roll-back was refused). Such a log is not
//! appended to, by any writer in any face, until its torn tail is cut off.
//!
//! Repair cuts only bytes after the last `\n`, and only when every line
//! before them verifies: a torn tail is a write that did not complete, so
//! no decision was given for any entry in it. Anything that verifies is
//! kept; a log that fails before its tail (a changed, removed or reordered
//! entry) is not a torn write and is refused untouched.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::Serialize;

use crate::code::Code;
use crate::redact::display_name;

use super::failure::{AuditFailure, AuditFailureKind};
use super::verify::{verify_reader, VerifySummary};

/// What [`repair_path`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairReport {
    /// Whether bytes were cut off (`false`: the log verified as it was).
    pub repaired: bool,
    /// How many bytes were cut off the end (the torn tail).
    pub cut_bytes: u64,
    /// The log's length after the repair.
    pub kept_bytes: u64,
    /// The whole entries the log holds, all of which verify.
    pub entries: u64,
    /// The log's head after the repair.
    pub head: String,
}

impl RepairReport {
    /// The report as one JSON object (no newline).
    pub fn to_json(&self) -> String {
        crate::json::to_string(self)
    }

    /// The report as a sentence, for a terminal.
    pub fn render_text(&self, name: &str) -> String {
        if self.repaired {
            format!(
                "{name}: cut {} bytes of a torn last write after entry {} (no decision was given for them); \
                 the log now verifies with {} entries, head {}\n",
                self.cut_bytes, self.entries, self.entries, self.head
            )
        } else {
            format!("{name}: the log verifies ({} entries, head {}); nothing was cut\n", self.entries, self.head)
        }
    }
}

/// Repairs the log at `path` under its exclusive lock (no writer appends
/// meanwhile): when it ends in bytes without a final `\n` and everything
/// before them verifies, cuts those bytes off and syncs the file. A log
/// that verifies is left as it is; a log that fails before its tail is
/// refused (`AUDIT_LOG_INVALID`, naming the first bad entry), untouched.
pub fn repair_path(path: &Path) -> Result<RepairReport, AuditFailure> {
    let name = display_name(path);
    let meta = std::fs::metadata(path).map_err(|e| AuditFailure::io(&name, &e))?;
    if !meta.is_file() {
        return Err(AuditFailure::invalid(
            Code::NotARegularFile,
            format!("{name}: is not a regular file, so it is not an audit log to repair"),
        ));
    }
    let file = OpenOptions::new().read(true).write(true).open(path).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::PermissionDenied {
            " (repair needs write access: an append-only file must first be made writable, chattr -a)"
        } else {
            ""
        };
        AuditFailure::io_message(format!("{name}: opening for repair: {e}{hint}"))
    })?;
    file.lock().map_err(|e| AuditFailure::io(&format!("{name}: locking"), &e))?;
    let result = repair_locked(&file, &name);
    let _ = file.unlock();
    result
}

fn repair_locked(file: &File, name: &str) -> Result<RepairReport, AuditFailure> {
    let len = file.metadata().map_err(|e| AuditFailure::io(name, &e))?.len();
    let keep = after_last_newline(file, len).map_err(|e| AuditFailure::io(name, &e))?;
    let summary = verify_prefix(file, keep, name)?;
    if keep == len {
        return Ok(RepairReport {
            repaired: false,
            cut_bytes: 0,
            kept_bytes: len,
            entries: summary.entries,
            head: summary.head,
        });
    }
    file.set_len(keep).map_err(|e| {
        AuditFailure::io_message(format!(
            "{name}: cutting the torn tail of {} bytes off failed: {e} (an append-only file must first be made \
             writable, chattr -a)",
            len - keep
        ))
    })?;
    file.sync_all().map_err(|e| AuditFailure::io(&format!("{name}: fsync"), &e))?;
    Ok(RepairReport {
        repaired: true,
        cut_bytes: len - keep,
        kept_bytes: keep,
        entries: summary.entries,
        head: summary.head,
    })
}

/// The length of the file up to and including its last `\n` (0 when none).
fn after_last_newline(file: &File, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut buffer = vec![0u8; 1 << 16];
    while end > 0 {
        let start = end.saturating_sub(buffer.len() as u64);
        let chunk = &mut buffer[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Verifies the first `keep` bytes (whole lines only).
fn verify_prefix(file: &File, keep: u64, name: &str) -> Result<VerifySummary, AuditFailure> {
    let reader = file.try_clone().map_err(|e| AuditFailure::io(name, &e))?;
    let positioned = PositionedReader { file: reader, at: 0 };
    verify_reader(BufReader::with_capacity(1 << 16, positioned.take(keep)), None).map_err(|mut failure| {
        if failure.kind == AuditFailureKind::Invalid {
            failure.message = crate::redact::redact_string(format!(
                "{name}: {}; a whole line fails, which a cut-short write never leaves, so the log is not repaired \
                 (nothing was cut)",
                failure.message
            ));
        } else {
            failure.message = crate::redact::redact_string(format!("{name}: {}", failure.message));
        }
        failure
    })
}

/// Reads a file from offset 0 with `pread`, leaving any shared offset alone.
struct PositionedReader {
    file: File,
    at: u64,
}

impl Read for PositionedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}
