//! The audit trail in the C ABI (docs/HYGIENE.md H3): open a log, check a
//! request and record its entry in one call, verify a log, and make one
//! entry's bytes (for bindings that prove byte identity with the CLI).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{boundary, ctp_buf, ctp_engine, free, infallible, input, shared, Failure, Handle, Out, SharedHandle};
use crate::audit::{
    parse_expected_head, repair_path, verify_path, AuditFailure, AuditLog, AuditOptions, Checked, Clock, Fingerprint,
};
use crate::error::{Error, Status};

/// `ctp_audit_open` flag: `fdatasync` the log after every entry (else it
/// is synced by `ctp_audit_close`).
pub const CTP_AUDIT_FSYNC: u32 = 1;

/// An audit log open for appending. Opaque; safe to share between threads
/// (appends are serialized by an in-process mutex and, between processes,
/// by `flock`).
pub struct ctp_audit_log {
    log: AuditLog,
}

impl Handle for ctp_audit_log {}
impl SharedHandle for ctp_audit_log {}

/// A path as the OS takes it; empty is `CTP_INVALID_ARGUMENT`. Faults of a
/// path are reported in the audit error object's shape.
unsafe fn log_path<'a>(ptr: *const u8, len: usize) -> Result<&'a Path, AuditFailure> {
    let bytes = input(ptr, len, "path").map_err(argument_failure)?;
    if bytes.is_empty() {
        return Err(AuditFailure::argument("path is empty"));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

fn argument_failure(error: Error) -> AuditFailure {
    AuditFailure::argument(error.message)
}

/// Opens (or creates) the audit log at `path`.
///
/// - `path`/`path_len`: the file's path, bytes as the OS takes them (not
///   NUL-terminated). A missing or empty file is a new log.
/// - `flags`: 0, or `CTP_AUDIT_FSYNC`.
/// - `out`: receives the handle, only on `CTP_OK`. Must not be NULL.
///   Release it with `ctp_audit_close` (or `ctp_audit_free`).
/// - `error`: may be NULL; on failure receives the error object
///   `{"error": {"status", "code", "message"[, "line", "seq"]}}`. Release it
///   with `ctp_buf_free`.
///
/// Returns `CTP_OK`; `CTP_INVALID_ARGUMENT` (NULL `out`, empty path, unknown
/// flag); `CTP_IO_ERROR` (the file cannot be opened, read or locked);
/// `CTP_AUDIT_LOG_INVALID` (its last line is torn or does not verify, so
/// it is not appended to: decide nothing against it; the error names the
/// line, and a torn one is cut by `ctp_audit_repair`; or the path is not a
/// regular file, code `NOT_A_REGULAR_FILE`); `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_open(
    path: *const u8,
    path_len: usize,
    flags: u32,
    out: *mut *mut ctp_audit_log,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out").map_err(argument_failure)?;
        if flags & !CTP_AUDIT_FSYNC != 0 {
            return Err(AuditFailure::argument(format!("unknown flags {:#x}", flags & !CTP_AUDIT_FSYNC)).into());
        }
        let log = AuditLog::open(log_path(path, path_len)?, AuditOptions { fsync_each: flags & CTP_AUDIT_FSYNC != 0 })?;
        out.write(ctp_audit_log { log }.into_raw());
        Ok(())
    })
}

/// Checks a request and records it: the pre-flight check of
/// `ctp_check_json`, with the request's entry appended to `log` **before**
/// the decision is handed out.
///
/// - `engine`, `request`/`request_len`: as for `ctp_check_json`.
/// - `log`: from `ctp_audit_open`; may be shared by many threads at once.
/// - `out`: must not be NULL. On `CTP_OK` the decision JSON, byte for
///   byte what `ctp_check_json` gives. Release it with `ctp_buf_free`.
/// - `error`: may be NULL; on a check error it receives the error object
///   of `ctp_check_json` (an `ERROR` entry was recorded); on an audit
///   failure the audit error object.
///
/// Returns what `ctp_check_json` returns, except that when the entry could
/// not be appended the decision is not given: `CTP_IO_ERROR` or
/// `CTP_AUDIT_LOG_INVALID` (another writer left a torn last line; or the
/// log changed under this handle: code `LOG_REPLACED` when its path was
/// deleted, renamed away or now names another file, as log rotation does:
/// close the handle and open the path again; `LOG_TRUNCATED` when it is
/// shorter than this handle left it).
/// Treat every status but `CTP_OK` as DENY. `CTP_INVALID_ARGUMENT` (a NULL
/// engine, log or request pointer) records nothing.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_check_json(
    engine: *const ctp_engine,
    log: *const ctp_audit_log,
    request: *const u8,
    request_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let engine = shared(engine, "engine")?;
        let log = shared(log, "log")?;
        let request = input(request, request_len, "request")?;
        let checked = log.log.record(&engine.engine, request, &Clock::System)?;
        if let Err(error) = &checked.result {
            return Err(Failure::Call(error.clone()));
        }
        let mut decision = String::with_capacity(512);
        checked.output_json(&engine.engine, &mut decision);
        out.give(decision.into_bytes());
        Ok(())
    })
}

/// Verifies the audit log at `path` in one streaming pass.
///
/// - `path`/`path_len`: the file's path (bytes, not NUL-terminated).
/// - `expect_head`/`expect_head_len`: `NULL`/0, or the head the log must end
///   in (`sha256:` and 64 lowercase hex digits), which finds entries cut
///   off its end.
/// - `out`: must not be NULL. On `CTP_OK` the summary
///   `{"entries", "first_at", "last_at", "decisions": {"ALLOW", "DENY",
///   "ERROR"}, "head"}`.
/// - `error`: may be NULL; on failure the error object, which names the
///   first bad entry (`line`, `seq`) and what is wrong (`code`, `message`).
///
/// Returns `CTP_OK`; `CTP_AUDIT_LOG_INVALID` (an entry does not verify);
/// `CTP_AUDIT_HEAD_MISMATCH` (it verifies but ends in another head);
/// `CTP_IO_ERROR` (cannot be read); `CTP_INVALID_ARGUMENT`; `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_verify(
    path: *const u8,
    path_len: usize,
    expect_head: *const u8,
    expect_head_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out").map_err(argument_failure)?;
        let path = log_path(path, path_len)?;
        let head = input(expect_head, expect_head_len, "expect_head").map_err(argument_failure)?;
        let expected = match head {
            [] => None,
            text => Some(parse_expected_head(std::str::from_utf8(text).unwrap_or(""))?),
        };
        let summary = verify_path(path, expected.as_ref())?;
        out.give(summary.to_json().into_bytes());
        Ok(())
    })
}

/// Repairs the audit log at `path` after a write cut short: when the file
/// ends in bytes without a final `\n` (a torn tail: a writer killed in
/// its write, or a failed roll-back) and every line before them verifies,
/// cuts those bytes off and syncs the file, under the log's lock. Nothing
/// that verifies is ever cut; no decision was given for a torn tail.
///
/// - `path`/`path_len`: the file's path (bytes, not NUL-terminated).
/// - `out`: must not be NULL. On `CTP_OK` the report
///   `{"repaired", "cut_bytes", "kept_bytes", "entries", "head"}`
///   (`repaired` false and `cut_bytes` 0 when the log verified as it
///   was). Release it with `ctp_buf_free`.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK` (the log verifies now); `CTP_AUDIT_LOG_INVALID` (a
/// whole line fails: not a torn write, nothing was cut; or the path is not
/// a regular file); `CTP_IO_ERROR` (cannot be read, locked or cut, e.g. an
/// append-only file); `CTP_INVALID_ARGUMENT`; `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_repair(
    path: *const u8,
    path_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out").map_err(argument_failure)?;
        let report = repair_path(log_path(path, path_len)?)?;
        out.give(report.to_json().into_bytes());
        Ok(())
    })
}

/// The entry line (without `\n`) that a log would hold for this request
/// as entry `seq` after a line of fingerprint `prev`; writes nothing.
/// Bindings use it to prove that their entries are the CLI's, byte for byte.
///
/// - `engine`, `request`/`request_len`: as for `ctp_check_json`.
/// - `seq`: 1 or more.
/// - `prev`/`prev_len`: `sha256:` and 64 lowercase hex digits.
/// - `at`/`at_len`: the writer's clock to use where the entry takes it (no
///   `now` in the request, or an `ERROR`); `NULL`/0 for the system clock.
///   A request decided with a `now` always uses its `now`.
/// - `out`: must not be NULL; receives the entry line on `CTP_OK`.
///   Release it with `ctp_buf_free`.
/// - `error`: may be NULL; receives the error object on failure.
///
/// A request that cannot be decided still has an entry (an `ERROR` one):
/// this returns `CTP_OK` for it. Returns `CTP_INVALID_ARGUMENT` (NULL
/// pointers, `seq` 0, a malformed `prev`, an `at` that is not UTF-8) or
/// `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_entry_json(
    engine: *const ctp_engine,
    request: *const u8,
    request_len: usize,
    seq: u64,
    prev: *const u8,
    prev_len: usize,
    at: *const u8,
    at_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let engine = shared(engine, "engine")?;
        let request = input(request, request_len, "request")?;
        let prev = input(prev, prev_len, "prev")?;
        let prev = std::str::from_utf8(prev).ok().and_then(Fingerprint::parse).ok_or_else(|| {
            Error::new(Status::InvalidArgument, None, "prev must be \"sha256:\" and 64 lowercase hex digits")
        })?;
        if seq == 0 {
            return Err(Error::new(Status::InvalidArgument, None, "seq starts at 1").into());
        }
        let clock = match input(at, at_len, "at")? {
            [] => Clock::System,
            text => Clock::Fixed(
                std::str::from_utf8(text)
                    .map_err(|_| Error::new(Status::InvalidArgument, None, "at is not UTF-8"))?
                    .to_owned(),
            ),
        };
        let checked = Checked::check(&engine.engine, request, &clock);
        let mut entry = checked.entry(&engine.engine);
        entry.seq = seq;
        entry.prev = prev.as_str().into();
        out.give(entry.to_line().into_bytes());
        Ok(())
    })
}

/// Syncs the log to the disk (`fsync`) and releases the handle, which is
/// gone whatever the status. `NULL` is a no-op (`CTP_OK`). No other thread
/// may be using the handle.
///
/// - `error`: may be NULL; on failure receives the error object.
///
/// Returns `CTP_OK`, `CTP_IO_ERROR` (the sync failed: entries since the
/// last sync may not be on the disk) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_close(log: *mut ctp_audit_log, error: *mut ctp_buf) -> u32 {
    boundary(error, || match ctp_audit_log::take(log) {
        Some(handle) => Ok(handle.log.close()?),
        None => Ok(()),
    })
}

/// Releases the handle without syncing (entries already written stay in
/// the file; the OS writes them to the disk in its own time). `NULL` is a
/// no-op. No other thread may be using the handle.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_free(log: *mut ctp_audit_log) {
    infallible((), || free(log))
}
