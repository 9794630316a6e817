//! Appending to an audit log (docs/HYGIENE.md H3). Threads and processes may
//! append to one file at once and still leave one valid chain: every
//! append holds an in-process mutex and `flock(LOCK_EX)` on the file,
//! reads the last entry under that lock, and writes the new entry with a
//! single `write(2)`, whole or not at all.
//!
//! Under the lock a writer also checks that the log is still the file it
//! opened: a regular file, still named by its path (not deleted, not
//! renamed away and replaced, as logrotate's `create` mode does), and not
//! shorter than this writer left it (not truncated, as `copytruncate`
//! does). When any of these changed, the append fails and names what
//! changed, so no decision is given whose entry went nowhere.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::code::Code;
use crate::decision::Engine;
use crate::redact::display_name;

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
    /// The entry's `seq`.
    pub seq: u64,
    /// The fingerprint of the new line: the log's head after this append.
    pub head: Fingerprint,
}

/// An audit log open for appending; share it between threads by reference
/// (or `Arc`).
pub struct AuditLog {
    path: PathBuf,
    /// The path made absolute at open, for the identity check under the
    /// lock (the process may change its working directory later).
    absolute: PathBuf,
    /// The device and inode of the file opened.
    identity: (u64, u64),
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
    ///
    /// The log must be a regular file: a device (`/dev/null`), a FIFO, a
    /// socket or a directory is refused (`NOT_A_REGULAR_FILE`) before
    /// anything is decided. The file is opened non-blocking, so a FIFO
    /// named in a race after the first check cannot hang the open.
    pub fn open(path: &Path, options: AuditOptions) -> Result<AuditLog, AuditFailure> {
        let name = display_name(path);
        match std::fs::metadata(path) {
            Ok(meta) => require_regular(&meta, &name)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(AuditFailure::io(&name, &e)),
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
            .map_err(|e| AuditFailure::io(&name, &e))?;
        let meta = file.metadata().map_err(|e| AuditFailure::io(&name, &e))?;
        require_regular(&meta, &name)?;
        let absolute = std::path::absolute(path).map_err(|e| AuditFailure::io(&name, &e))?;
        file.lock().map_err(|e| AuditFailure::io(&format!("{name}: locking"), &e))?;
        let tail = read_tail(&file, &name);
        let _ = file.unlock();
        let tail = tail?;
        Ok(AuditLog {
            path: path.to_owned(),
            absolute,
            identity: (meta.dev(), meta.ino()),
            options,
            state: Mutex::new(State { file, tail, line: Vec::new() }),
        })
    }

    /// The log's file.
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
        let result = self
            .still_the_log(file, &name)
            .and_then(|len| append_locked(file, len, tail, line, write_lines, &name, self.options));
        let unlocked = file.unlock();
        let appended = result?;
        unlocked.map_err(|e| AuditFailure::io(&format!("{name}: unlocking"), &e))?;
        Ok(appended)
    }

    /// Under the lock: the file is still the log this handle opened (a
    /// regular file its path still names), and not shorter than this
    /// handle left it. Returns its length.
    fn still_the_log(&self, file: &File, name: &str) -> Result<u64, AuditFailure> {
        let meta = file.metadata().map_err(|e| AuditFailure::io(name, &e))?;
        require_regular(&meta, name)?;
        match std::fs::metadata(&self.absolute) {
            Ok(named) if (named.dev(), named.ino()) == self.identity => {}
            Ok(named) => {
                return Err(changed(
                    Code::LogReplaced,
                    format!(
                        "{name}: the path now names another file ({}), not the log this writer opened: the log was \
                         renamed away or replaced (as logrotate's create mode does); the entries written so far are \
                         in the file that was renamed; reopen the path to start a new log",
                        file_kind(&named)
                    ),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(changed(
                    Code::LogReplaced,
                    format!(
                        "{name}: the path no longer exists: the log this writer opened was deleted or renamed away; \
                         reopen the path to start a new log"
                    ),
                ))
            }
            Err(e) => return Err(AuditFailure::io(name, &e)),
        }
        Ok(meta.len())
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
    len: u64,
    tail: &mut Tail,
    bytes: &mut Vec<u8>,
    write_lines: impl FnOnce(&mut Vec<u8>, &mut u64, &mut Fingerprint),
    name: &str,
    options: AuditOptions,
) -> Result<Appended, AuditFailure> {
    if len < tail.len {
        return Err(changed(
            Code::LogTruncated,
            format!(
                "{name}: the log is {len} bytes, shorter than the {} bytes this writer left it at: it was truncated \
                 or cut under a running writer (as logrotate's copytruncate mode does), so entries this writer \
                 wrote are gone from it; nothing is appended",
                tail.len
            ),
        ));
    }
    if len != tail.len {
        // Another writer appended: the entry to follow is the one now at
        // the end, and it must verify.
        *tail = read_tail(file, name)?;
    }
    bytes.clear();
    let (mut seq, mut head) = (tail.seq, tail.head);
    write_lines(bytes, &mut seq, &mut head);
    // One write(2): O_APPEND puts it at the end. A short write (a full
    // disk, a file size limit) is followed by the rest, which then fails
    // with the system's reason; whatever was written is cut back off.
    if let Err((written, error)) = write_whole(file, len, bytes) {
        return Err(roll_back(file, len, written, bytes.len(), &error, name));
    }
    // The file must now be exactly what this writer made it: a truncation
    // by a process that does not take the lock (copytruncate) between the
    // checks and the write would put the entries somewhere else.
    let after = file.metadata().map_err(|e| AuditFailure::io(name, &e))?.len();
    let expected = len + bytes.len() as u64;
    if after != expected {
        return Err(changed(
            Code::LogTruncated,
            format!(
                "{name}: the log changed while entries were written to it (it is {after} bytes, not {expected}): \
                 it was truncated or cut by a process that does not take the log's lock; no decision is given \
                 for these entries"
            ),
        ));
    }
    if options.fsync_each {
        if let Err(e) = file.sync_data() {
            return Err(AuditFailure::io(&format!("{name}: fsync"), &e));
        }
    }
    *tail = Tail { len: expected, seq, head };
    Ok(Appended { seq, head })
}

/// Writes all of `bytes` at the end of `file` (which was `len` long),
/// returning how much was written and the system's error when not all.
fn write_whole(file: &File, len: u64, bytes: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut written = 0;
    while written < bytes.len() {
        if written > 0 {
            // Past the file size limit (RLIMIT_FSIZE) a write raises
            // SIGXFSZ, which kills the process: say why without writing.
            if let Some(limit) = file_size_limit() {
                if len + written as u64 >= limit {
                    return Err((written, io::Error::from_raw_os_error(EFBIG)));
                }
            }
        }
        match (&*file).write(&bytes[written..]) {
            Ok(0) => return Err((written, io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((written, e)),
        }
    }
    Ok(())
}

/// After a failed write of `total` bytes of which `written` landed: cut the
/// log back to `len`. When that fails too (an append-only file, a read-only
/// remount), the failure says exactly what the log now ends in.
fn roll_back(file: &File, len: u64, written: usize, total: usize, error: &io::Error, name: &str) -> AuditFailure {
    let what = if written == 0 {
        format!("{name}: appending: {error}")
    } else {
        format!("{name}: appending: only {written} of {total} bytes were written: {error}")
    };
    if written == 0 {
        return AuditFailure::io_message(what);
    }
    let cut = file.set_len(len).and_then(|()| match file.metadata()?.len() {
        now if now == len => Ok(()),
        now => Err(io::Error::other(format!("the file is {now} bytes after the cut, not {len}"))),
    });
    match cut {
        Ok(()) => AuditFailure::io_message(format!("{what}; they were cut off again, so the log is as it was")),
        Err(cut_error) => AuditFailure::invalid(
            Code::TornLine,
            format!(
                "{what}; cutting them off failed too ({cut_error}), so the log ends in {written} bytes after byte \
                 {len} that no decision was given for (whole entries perhaps, then a torn line); no writer appends \
                 to it until `ctpolicy audit repair {name}` cuts the torn line off"
            ),
        ),
    }
}

/// `EFBIG`, "File too large", on Linux.
const EFBIG: i32 = 27;

/// `O_NONBLOCK`: opening a FIFO never waits for a reader.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NONBLOCK: i32 = 0x0004;

/// The process's file size limit (`ulimit -f`), when there is one.
fn file_size_limit() -> Option<u64> {
    #[repr(C)]
    struct Rlimit {
        cur: u64,
        max: u64,
    }
    extern "C" {
        fn getrlimit(resource: i32, rlim: *mut Rlimit) -> i32;
    }
    const RLIMIT_FSIZE: i32 = 1;
    let mut limit = Rlimit { cur: 0, max: 0 };
    // SAFETY: getrlimit writes one struct rlimit (two 64-bit rlim_t on
    // 64-bit Linux) to a valid pointer.
    let status = unsafe { getrlimit(RLIMIT_FSIZE, &mut limit) };
    (status == 0 && limit.cur != u64::MAX).then_some(limit.cur)
}

/// A log that is not a regular file is refused: a device accepts and
/// drops every entry, a FIFO blocks or feeds a reader, a directory is not
/// a log.
fn require_regular(meta: &Metadata, name: &str) -> Result<(), AuditFailure> {
    if meta.is_file() {
        return Ok(());
    }
    Err(AuditFailure::invalid(
        Code::NotARegularFile,
        format!("{name}: is {}, not a regular file, so it cannot hold an audit log", file_kind(meta)),
    ))
}

fn file_kind(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_file() {
        "a regular file"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The log changed under a writer: nothing is appended.
fn changed(code: Code, message: String) -> AuditFailure {
    AuditFailure::invalid(code, message)
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
    // The failure names the line at byte `at` (counted only on this path).
    let refuse = |code: Code, at: Option<u64>, why: &str| {
        let line = at.and_then(|at| count_newlines(file, at).ok()).map(|n| n + 1);
        let place = match line {
            Some(line) => format!("line {line}, "),
            None => String::new(),
        };
        let next = if code == Code::TornLine {
            format!("; `ctpolicy audit repair {name}` cuts the torn line off (no decision was given for it)")
        } else {
            String::new()
        };
        AuditFailure {
            line,
            seq: line,
            ..AuditFailure::invalid(
                code,
                format!("{name}: {place}the log's last line {why}, so it is not appended to{next}"),
            )
        }
    };
    let body = &bytes[..bytes.len() - 1];
    if bytes.last() != Some(&b'\n') {
        let at = memchr::memrchr(b'\n', &bytes).map(|i| start + i as u64 + 1).or((start == 0).then_some(0));
        return Err(refuse(Code::TornLine, at, "has no newline at its end (a write was cut short)"));
    }
    let (last, before, last_at) = match memchr::memrchr(b'\n', body) {
        Some(i) => (&body[i + 1..], Some(&body[..i]), start + i as u64 + 1),
        None if start == 0 => (body, None, 0),
        None => return Err(refuse(Code::LineTooLong, None, "is longer than any entry")),
    };
    let mut scratch = Vec::new();
    let (seq, prev) = match before {
        None => (1, Fingerprint::ZERO),
        Some(before) => {
            let (previous, previous_at) = match memchr::memrchr(b'\n', before) {
                Some(i) => (&before[i + 1..], start + i as u64 + 1),
                None if start == 0 => (before, 0),
                None => return Err(refuse(Code::LineTooLong, Some(last_at), "follows a line longer than any entry")),
            };
            let previous_seq = parse_entry(previous, &mut scratch)
                .map_err(|(code, why)| {
                    refuse(code, Some(previous_at), &format!("follows a line that is not an entry ({why})"))
                })?
                .seq;
            (previous_seq + 1, Fingerprint::of(previous))
        }
    };
    check_entry(last, &mut scratch, seq, &prev)
        .map_err(|(code, why)| refuse(code, Some(last_at), &format!("does not verify ({why})")))?;
    Ok(Tail { len, seq, head: Fingerprint::of(last) })
}

/// How many `\n` the first `end` bytes of `file` hold.
fn count_newlines(file: &File, end: u64) -> io::Result<u64> {
    let mut reader = file.try_clone()?;
    reader.seek(SeekFrom::Start(0))?;
    let mut reader = reader.take(end);
    let mut buffer = vec![0u8; 1 << 16];
    let mut count = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => return Ok(count),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        count += memchr::memchr_iter(b'\n', &buffer[..n]).count() as u64;
    }
}
