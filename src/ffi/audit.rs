//! The audit trail in the C ABI (docs/HYGIENE.md H3): open a log, check a
//! request and record its entry in one call, verify a log, and make one
//! entry's bytes (for bindings that prove byte identity with the CLI).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{ctp_buf, ctp_engine, deliver, free_handle, guard, input, into_buf, invalid_argument, null_with_length};
use super::{CTP_INVALID_ARGUMENT, CTP_OK, CTP_PANIC};
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

/// Writes an audit failure to `out` (when not NULL) and returns its status.
unsafe fn deliver_failure(out: *mut ctp_buf, failure: &AuditFailure) -> u32 {
    if !out.is_null() {
        out.write(into_buf(failure.to_json()));
    }
    failure.status() as u32
}

fn path_of(bytes: &[u8]) -> Result<&Path, Error> {
    if bytes.is_empty() {
        return Err(Error::new(Status::InvalidArgument, None, "path is empty"));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

fn argument_failure(error: Error) -> AuditFailure {
    AuditFailure::argument(error.message)
}

/// Opens (or creates) the audit log at `path`.
///
/// - `path`/`len`: the file's path, bytes as the OS takes them (not
///   NUL-terminated). A missing or empty file is a new log.
/// - `flags`: 0, or `CTP_AUDIT_FSYNC`.
/// - `out`: receives the handle, only on `CTP_OK`. Must not be NULL.
///   Release it with `ctp_audit_close` (or `ctp_audit_free`).
/// - `error_json`: may be NULL; on failure only, receives the error object
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
    len: usize,
    flags: u32,
    out: *mut *mut ctp_audit_log,
    error_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        let opened = (|| {
            if out.is_null() {
                return Err(argument_failure(invalid_argument("out")));
            }
            if flags & !CTP_AUDIT_FSYNC != 0 {
                return Err(AuditFailure::argument(format!("unknown flags {:#x}", flags & !CTP_AUDIT_FSYNC)));
            }
            let bytes = input(path, len).map_err(|_| argument_failure(null_with_length("path")))?;
            let path = path_of(bytes).map_err(argument_failure)?;
            AuditLog::open(path, AuditOptions { fsync_each: flags & CTP_AUDIT_FSYNC != 0 })
        })();
        match opened {
            Ok(log) => {
                out.write(Box::into_raw(Box::new(ctp_audit_log { log })));
                CTP_OK
            }
            Err(failure) => deliver_failure(error_json, &failure),
        }
    })
}

/// Checks a request and records it: the pre-flight check of
/// `ctp_check_json`, with the request's entry appended to `log` **before**
/// the decision is handed out.
///
/// - `engine`, `request_json`/`len`: as for `ctp_check_json`.
/// - `log`: from `ctp_audit_open`; may be shared by many threads at once.
/// - `out_json`: must not be NULL. On `CTP_OK` the decision JSON, byte for
///   byte what `ctp_check_json` gives; on a check error the error object
///   of `ctp_check_json` (an `ERROR` entry was recorded); on an audit
///   failure the audit error object. Release it with `ctp_buf_free`.
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
    request_json: *const u8,
    len: usize,
    out_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let Some(engine) = engine.as_ref() else { return deliver(out_json, Err(invalid_argument("engine"))) };
        let Some(log) = log.as_ref() else { return deliver(out_json, Err(invalid_argument("log"))) };
        let Ok(request) = input(request_json, len) else {
            return deliver(out_json, Err(null_with_length("request_json")));
        };
        match log.log.record(&engine.engine, request, &Clock::System) {
            Ok(checked) => {
                let result = checked.result.as_ref().map(|_| {
                    let mut out = String::with_capacity(512);
                    checked.output_json(&engine.engine, &mut out);
                    out
                });
                deliver(out_json, result.map_err(Error::clone))
            }
            Err(failure) => deliver_failure(out_json, &failure),
        }
    })
}

/// Verifies the audit log at `path` in one streaming pass.
///
/// - `path`/`len`: the file's path (bytes, not NUL-terminated).
/// - `expect_head`/`expect_len`: `NULL`/0, or the head the log must end
///   in (`sha256:` and 64 lowercase hex digits), which finds entries cut
///   off its end.
/// - `out_json`: must not be NULL. On `CTP_OK` the summary
///   `{"entries", "first_at", "last_at", "decisions": {"ALLOW", "DENY",
///   "ERROR"}, "head"}`; else the error object, which names the first bad
///   entry (`line`, `seq`) and what is wrong (`code`, `message`).
///
/// Returns `CTP_OK`; `CTP_AUDIT_LOG_INVALID` (an entry does not verify);
/// `CTP_AUDIT_HEAD_MISMATCH` (it verifies but ends in another head);
/// `CTP_IO_ERROR` (cannot be read); `CTP_INVALID_ARGUMENT`; `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_verify(
    path: *const u8,
    len: usize,
    expect_head: *const u8,
    expect_len: usize,
    out_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let verified = (|| {
            let bytes = input(path, len).map_err(|_| argument_failure(null_with_length("path")))?;
            let path = path_of(bytes).map_err(argument_failure)?;
            let head = input(expect_head, expect_len).map_err(|_| argument_failure(null_with_length("expect_head")))?;
            let expected = match head {
                [] => None,
                text => Some(parse_expected_head(std::str::from_utf8(text).unwrap_or(""))?),
            };
            verify_path(path, expected.as_ref())
        })();
        match verified {
            Ok(summary) => {
                out_json.write(into_buf(summary.to_json()));
                CTP_OK
            }
            Err(failure) => deliver_failure(out_json, &failure),
        }
    })
}

/// Repairs the audit log at `path` after a write cut short: when the file
/// ends in bytes without a final `\n` (a torn tail: a writer killed in
/// its write, or a failed roll-back) and every line before them verifies,
/// cuts those bytes off and syncs the file, under the log's lock. Nothing
/// that verifies is ever cut; no decision was given for a torn tail.
///
/// - `path`/`len`: the file's path (bytes, not NUL-terminated).
/// - `out_json`: must not be NULL. On `CTP_OK` the report
///   `{"repaired", "cut_bytes", "kept_bytes", "entries", "head"}`
///   (`repaired` false and `cut_bytes` 0 when the log verified as it
///   was); else the error object. Release it with `ctp_buf_free`.
///
/// Returns `CTP_OK` (the log verifies now); `CTP_AUDIT_LOG_INVALID` (a
/// whole line fails: not a torn write, nothing was cut; or the path is not
/// a regular file); `CTP_IO_ERROR` (cannot be read, locked or cut, e.g. an
/// append-only file); `CTP_INVALID_ARGUMENT`; `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_repair(path: *const u8, len: usize, out_json: *mut ctp_buf) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let repaired = (|| {
            let bytes = input(path, len).map_err(|_| argument_failure(null_with_length("path")))?;
            repair_path(path_of(bytes).map_err(argument_failure)?)
        })();
        match repaired {
            Ok(report) => {
                out_json.write(into_buf(report.to_json()));
                CTP_OK
            }
            Err(failure) => deliver_failure(out_json, &failure),
        }
    })
}

/// The entry line (without `\n`) that a log would hold for this request
/// as entry `seq` after a line of fingerprint `prev`; writes nothing.
/// Bindings use it to prove that their entries are the CLI's, byte for byte.
///
/// - `engine`, `request_json`/`len`: as for `ctp_check_json`.
/// - `seq`: 1 or more.
/// - `prev`/`prev_len`: `sha256:` and 64 lowercase hex digits.
/// - `at`/`at_len`: the writer's clock to use where the entry takes it (no
///   `now` in the request, or an `ERROR`); `NULL`/0 for the system clock.
///   A request decided with a `now` always uses its `now`.
/// - `out_json`: must not be NULL; receives the entry line on `CTP_OK`,
///   else the error object. Release it with `ctp_buf_free`.
///
/// A request that cannot be decided still has an entry (an `ERROR` one):
/// this returns `CTP_OK` for it. Returns `CTP_INVALID_ARGUMENT` (NULL
/// pointers, `seq` 0, a malformed `prev`, an `at` that is not UTF-8) or
/// `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_entry_json(
    engine: *const ctp_engine,
    request_json: *const u8,
    len: usize,
    seq: u64,
    prev: *const u8,
    prev_len: usize,
    at: *const u8,
    at_len: usize,
    out_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let result = (|| {
            let engine = engine.as_ref().ok_or_else(|| invalid_argument("engine"))?;
            let request = input(request_json, len).map_err(|_| null_with_length("request_json"))?;
            let prev = input(prev, prev_len).map_err(|_| null_with_length("prev"))?;
            let prev = std::str::from_utf8(prev).ok().and_then(Fingerprint::parse).ok_or_else(|| {
                Error::new(Status::InvalidArgument, None, "prev must be \"sha256:\" and 64 lowercase hex digits")
            })?;
            if seq == 0 {
                return Err(Error::new(Status::InvalidArgument, None, "seq starts at 1"));
            }
            let at = input(at, at_len).map_err(|_| null_with_length("at"))?;
            let clock = match at {
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
            Ok(entry.to_line())
        })();
        deliver(out_json, result)
    })
}

/// Syncs the log to the disk (`fsync`) and releases the handle, which is
/// gone whatever the status. `NULL` is a no-op (`CTP_OK`). No other thread
/// may be using the handle.
///
/// - `error_json`: may be NULL; on failure only, receives the error object.
///
/// Returns `CTP_OK`, `CTP_IO_ERROR` (the sync failed: entries since the
/// last sync may not be on the disk) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_close(log: *mut ctp_audit_log, error_json: *mut ctp_buf) -> u32 {
    guard(CTP_PANIC, || {
        if log.is_null() {
            return CTP_OK;
        }
        let handle = Box::from_raw(log);
        match handle.log.close() {
            Ok(()) => CTP_OK,
            Err(failure) => deliver_failure(error_json, &failure),
        }
    })
}

/// Releases the handle without syncing (entries already written stay in
/// the file; the OS writes them to the disk in its own time). `NULL` is a
/// no-op. No other thread may be using the handle.
#[no_mangle]
pub unsafe extern "C" fn ctp_audit_free(log: *mut ctp_audit_log) {
    guard((), || free_handle(log))
}
