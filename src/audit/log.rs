//! Appending to an audit log (docs/HYGIENE.md H3). Threads and processes may
//! append to one file at once and still leave one valid chain: every
//! append holds an in-process mutex and `flock(LOCK_EX)` on the file,
//! reads the last entry under that lock, and writes the new entry with a
//! single `write(2)`, whole or not at all.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::decision::Engine;
use crate::redact::cli::display_name;

use super::clock::Clock;
use super::entry::{Checked, Entry, Fingerprint};
use super::failure::AuditFailure;
use super::prepared::PreparedGroup;
use super::verify::{check_entry, parse_entry, MAX_ENTRY_BYTES};

/// How a log is opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditOptions {
    /// `fdatasync` after every entry (else only at [`AuditLog::close`]).
    pub fsync_each: bool,
}

/// Where an appended entry landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    /// The fingerprint of the new line: the log's head after this append.
    pub head: Fingerprint,
}

/// An audit log open for appending; share it between threads by reference
/// (or `Arc`).
pub struct AuditLog {
    path: PathBuf,
    options: AuditOptions,
    state: Mutex<State>,
}

struct State {
    file: File,
    /// The end of the log as this handle last saw it under the lock.
    tail: Tail,
    /// The line being written, reused between appends.
    line: Vec<u8>,
}

/// The last entry of a log: its `seq` and fingerprint, and the file's
/// length just after it. Another writer changes the length, so an unchanged
/// length means the tail need not be read again.
#[derive(Debug, Clone, Copy)]
struct Tail {
    len: u64,
    seq: u64,
    head: Fingerprint,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("path", &self.path).field("options", &self.options).finish()
    }
}

impl AuditLog {
    /// Opens (or creates) the log at `path`. A missing or empty file is a
    /// new log; a log whose last line does not verify is refused, so
    /// nothing is decided against a log that cannot be continued.
    pub fn open(path: &Path, options: AuditOptions) -> Result<AuditLog, AuditFailure> {
        let name = display_name(path);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| AuditFailure::io(&name, &e))?;
        file.lock().map_err(|e| AuditFailure::io(&format!("{name}: locking"), &e))?;
        let tail = read_tail(&file, &name);
        let _ = file.unlock();
        let tail = tail?;
        Ok(AuditLog { path: path.to_owned(), options, state: Mutex::new(State { file, tail, line: Vec::new() }) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry`, setting its `seq` and `prev` to follow the log's
    /// last entry: one lock hold, one `write(2)`. On failure nothing was
    /// added to the log.
    pub fn append(&self, entry: &mut Entry<'_>) -> Result<Appended, AuditFailure> {
        self.append_all(std::slice::from_mut(entry))
    }

    /// Appends `entries` in order under one lock hold, all in one
    /// `write(2)` (each entry whole; the group whole or not at all), and
    /// returns where the last one landed. The batch path of
    /// `ctpolicy check --audit-log`: per-entry locking costs three system
    /// calls an entry, more than the check itself.
    pub fn append_all(&self, entries: &mut [Entry<'_>]) -> Result<Appended, AuditFailure> {
        self.append_lines(entries.is_empty(), |bytes, seq, head| {
            for entry in entries.iter_mut() {
                *seq += 1;
                entry.seq = *seq;
                entry.prev = head.as_str().to_owned().into();
                let start = bytes.len();
                entry.write_line(bytes);
                *head = Fingerprint::of(&bytes[start..]);
                bytes.push(b'\n');
            }
        })
    }

    /// Appends the entries of `group` in order, as [`AuditLog::append_all`]
    /// does (one lock hold, one `write(2)`).
    pub fn append_group(&self, group: &PreparedGroup) -> Result<Appended, AuditFailure> {
        self.append_lines(group.is_empty(), |bytes, seq, head| group.write_lines(bytes, seq, head))
    }

    /// Under the lock, `write_lines` appends whole lines to the (empty)
    /// buffer, chained after the `seq` and head it is given, which it
    /// leaves at the last line's; the buffer is then written at once.
    fn append_lines(
        &self,
        nothing: bool,
        write_lines: impl FnOnce(&mut Vec<u8>, &mut u64, &mut Fingerprint),
    ) -> Result<Appended, AuditFailure> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State { file, tail, line } = &mut *state;
        if nothing {
            return Ok(Appended { seq: tail.seq, head: tail.head });
        }
        let name = display_name(&self.path);
        file.lock().map_err(|e| AuditFailure::io(&format!("{name}: locking"), &e))?;
        let result = append_locked(file, tail, line, write_lines, &name, self.options);
        let unlocked = file.unlock();
        let appended = result?;
        unlocked.map_err(|e| AuditFailure::io(&format!("{name}: unlocking"), &e))?;
        Ok(appended)
    }

    /// Decides `request_json` and appends its entry: the decision may be
    /// given only when this returns `Ok`.
    pub fn record(&self, engine: &Engine, request_json: &[u8], clock: &Clock) -> Result<Checked, AuditFailure> {
        let checked = Checked::check(engine, request_json, clock);
        self.record_checked(engine, &checked)?;
        Ok(checked)
    }

    /// Appends the entry of a check already made.
    pub fn record_checked(&self, engine: &Engine, checked: &Checked) -> Result<Appended, AuditFailure> {
        self.append(&mut checked.entry(engine))
    }

    /// Flushes the log to the disk (`fsync`) and closes it.
    pub fn close(self) -> Result<(), AuditFailure> {
        let state = self.state.into_inner().unwrap_or_else(PoisonError::into_inner);
        state.file.sync_all().map_err(|e| AuditFailure::io(&format!("{}: fsync", display_name(&self.path)), &e))
    }
}

fn append_locked(
    file: &File,
    tail: &mut Tail,
    bytes: &mut Vec<u8>,
    write_lines: impl FnOnce(&mut Vec<u8>, &mut u64, &mut Fingerprint),
    name: &str,
    options: AuditOptions,
) -> Result<Appended, AuditFailure> {
    let len = file.metadata().map_err(|e| AuditFailure::io(name, &e))?.len();
    if len != tail.len {
        // Another writer appended (or the file was changed): the entry to
        // follow is the one now at the end, and it must verify.
        *tail = read_tail(file, name)?;
    }
    bytes.clear();
    let (mut seq, mut head) = (tail.seq, tail.head);
    write_lines(bytes, &mut seq, &mut head);
    // One write(2): O_APPEND puts it at the end; a short or failed write is
    // cut back off, so the log holds the entries whole or not at all.
    let written = (&*file).write(bytes);
    if !matches!(written, Ok(n) if n == bytes.len()) {
        let _ = file.set_len(len);
        let error = match written {
            Err(e) => e,
            Ok(n) => std::io::Error::new(std::io::ErrorKind::WriteZero, format!("short write ({n} bytes)")),
        };
        return Err(AuditFailure::io(&format!("{name}: appending"), &error));
    }
    if options.fsync_each {
        if let Err(e) = file.sync_data() {
            return Err(AuditFailure::io(&format!("{name}: fsync"), &e));
        }
    }
    *tail = Tail { len: len + bytes.len() as u64, seq, head };
    Ok(Appended { seq, head })
}

/// Reads and checks the end of the log: the last line must be a whole
/// entry whose `seq` and `prev` follow the line before it.
fn read_tail(file: &File, name: &str) -> Result<Tail, AuditFailure> {
    let len = file.metadata().map_err(|e| AuditFailure::io(name, &e))?.len();
    if len == 0 {
        return Ok(Tail { len: 0, seq: 0, head: Fingerprint::ZERO });
    }
    // Two entries and their newlines fit in this window.
    let window = len.min(2 * MAX_ENTRY_BYTES as u64 + 2);
    let start = len - window;
    let mut bytes = vec![0u8; window as usize];
    file.read_exact_at(&mut bytes, start).map_err(|e| AuditFailure::io(name, &e))?;
    let refuse = |code, why: &str| {
        AuditFailure::invalid(code, format!("{name}: the log's last line {why}, so it is not appended to"))
    };
    if bytes.last() != Some(&b'\n') {
        return Err(refuse("TORN_LINE", "has no newline at its end (a write was cut short)"));
    }
    let body = &bytes[..bytes.len() - 1];
    let (last, before) = match memchr::memrchr(b'\n', body) {
        Some(i) => (&body[i + 1..], Some(&body[..i])),
        None if start == 0 => (body, None),
        None => return Err(refuse("LINE_TOO_LONG", "is longer than any entry")),
    };
    let mut scratch = Vec::new();
    let (seq, prev) = match before {
        None => (1, Fingerprint::ZERO),
        Some(before) => {
            let previous = match memchr::memrchr(b'\n', before) {
                Some(i) => &before[i + 1..],
                None if start == 0 => before,
                None => return Err(refuse("LINE_TOO_LONG", "follows a line longer than any entry")),
            };
            let previous_seq = parse_entry(previous, &mut scratch)
                .map_err(|(code, why)| refuse(code, &format!("follows a line that is not an entry ({why})")))?
                .seq;
            (previous_seq + 1, Fingerprint::of(previous))
        }
    };
    check_entry(last, &mut scratch, seq, &prev)
        .map_err(|(code, why)| refuse(code, &format!("does not verify ({why})")))?;
    Ok(Tail { len, seq, head: Fingerprint::of(last) })
}
