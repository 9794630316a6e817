//! The vault lint through the C ABI (docs/VAULT.md): a handle fed one stored
//! record at a time, findings out as JSON Lines.

use super::{boundary, ctp_buf, exclusive, free, infallible, input, ExclusiveHandle, Handle, Out};
use crate::error::{Error, Status};
use crate::vault::{Shard, VaultLint, VaultOptions};

/// A vault lint over one export. Opaque. It remembers every record fed
/// (as keyed hashes, never tokens) to find duplicates, so it is **not**
/// thread-safe: one thread at a time, or a lock around each call.
pub struct ctp_vault {
    lint: VaultLint,
}

impl Handle for ctp_vault {}
impl ExclusiveHandle for ctp_vault {}

/// Starts a vault lint.
///
/// - `policy`/`policy_len`: a policy (`NULL`/0 is the default policy);
///   it is loaded strictly, and only its `allowed_regions` is used.
/// - `now`/`now_len`: the time to judge `FUTURE_TIMESTAMP` and `STALE`
///   against, an RFC 3339 timestamp (UTF-8, not NUL-terminated); `NULL`/0
///   leaves those checks out.
/// - `stale_days`: report `STALE` for ACTIVE records unused for more than
///   this many days; negative (e.g. -1) leaves the check out. Needs `now`.
/// - `out`: must not be NULL; receives the new lint on `CTP_OK`. Release
///   it with `ctp_vault_free`.
/// - `error`: may be NULL; receives the error object on failure. A bad
///   `now` is `CTP_INVALID_ARGUMENT` with code `INVALID_NOW`, `stale_days`
///   without `now` is `CTP_INVALID_ARGUMENT` with code `STALE_DAYS_NEED_NOW`.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_POLICY` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_vault_new(
    policy: *const u8,
    policy_len: usize,
    now: *const u8,
    now_len: usize,
    stale_days: i64,
    out: *mut *mut ctp_vault,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let policy = input(policy, policy_len, "policy")?;
        let now = input(now, now_len, "now")?;
        let now =
            std::str::from_utf8(now).map_err(|_| Error::new(Status::InvalidUtf8, None, "now: input is not UTF-8"))?;
        let now = (!now.is_empty()).then_some(now);
        let policy = crate::policy::Policy::from_json(policy)?;
        let options = VaultOptions::new(Some(&policy), now, u64::try_from(stale_days).ok())?;
        out.write(ctp_vault { lint: VaultLint::new(options) }.into_raw());
        Ok(())
    })
}

/// Lints the next record of the export.
///
/// - `vault`: from `ctp_vault_new`; not shared between threads at once.
/// - `record`/`record_len`: one stored record as JSON (docs/RULES.md
///   section 3), the bytes as stored (a record that is not a JSON object is
///   itself a finding, `RECORD_UNREADABLE`, not an error). Its position,
///   counted from 1 over every call on this lint, is the findings' `line`.
/// - `out`: must not be NULL. Receives, on `CTP_OK`, the record's findings
///   as JSON Lines (one object and `\n` each, in docs/VAULT.md V1 order,
///   with the keys `line`, `code`, `severity`, `detail`, `fingerprint`,
///   `related_line`); an empty buffer (`ptr` NULL, `len` 0) when there is
///   none. Release it with `ctp_buf_free`.
/// - `count`: may be NULL; otherwise receives the number of findings on
///   `CTP_OK`.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` (a NULL `vault` or `out`, or
/// `record` NULL with a length) or `CTP_PANIC`. A failed call does not
/// count as a record.
#[no_mangle]
pub unsafe extern "C" fn ctp_vault_feed(
    vault: *mut ctp_vault,
    record: *const u8,
    record_len: usize,
    out: *mut ctp_buf,
    count: *mut usize,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let vault = exclusive(vault, "vault")?;
        let record = input(record, record_len, "record")?;
        let findings = vault.lint.feed(record);
        let mut text = String::with_capacity(findings.len() * 200);
        for finding in &findings {
            text.push_str(&finding.to_json());
            text.push('\n');
        }
        if let Some(count) = Out::optional(count) {
            count.write(findings.len());
        }
        out.give(text.into_bytes());
        Ok(())
    })
}

/// Makes the lint one shard of an export split over `count` independent
/// lints (processes or machines that share nothing): it reports only the
/// findings of shard `index`, and its duplicate tables hold only that
/// share. The `count` shards together report exactly the findings of one
/// plain lint. The shard of a byte string is `1 + (the first 8 bytes of
/// its SHA-256, big-endian) mod count`; `DUPLICATE_REFERENCE` falls in the
/// shard of the record's `customer_token_reference`, every other finding
/// in the shard of its `customer_token`, or in shard 1 when that is not a
/// string. Every shard must still be fed every record, in order (`line`
/// stays the position among all records fed).
///
/// - `vault`: from `ctp_vault_new`, before its first `ctp_vault_feed`.
/// - `index`, `count`: 1 ≤ `index` ≤ `count`; `1, 1` is a plain lint.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` (a NULL `vault`, a shard out
/// of range (code `INVALID_SHARD`), or records already fed, code
/// `SHARD_AFTER_FEED`) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_vault_set_shard(
    vault: *mut ctp_vault,
    index: usize,
    count: usize,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let vault = exclusive(vault, "vault")?;
        // size_t is at most 64 bits on every target the library builds for.
        let shard = Shard::new(index as u64, count as u64)?;
        if !vault.lint.set_shard(shard) {
            return Err(Error::new(
                Status::InvalidArgument,
                Some(crate::code::Code::ShardAfterFeed),
                "the shard is set before the first record is fed",
            )
            .into());
        }
        Ok(())
    })
}

/// Releases a vault lint. `NULL` is a no-op. It must not be used after.
#[no_mangle]
pub unsafe extern "C" fn ctp_vault_free(vault: *mut ctp_vault) {
    infallible((), || free(vault))
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::tests::take;
    use crate::ffi::{panic_injection, CTP_INVALID_ARGUMENT, CTP_INVALID_POLICY, CTP_OK, CTP_PANIC};

    const RECORD: &[u8] = br#"{"customer_token":"krn:customer-token:eu1:abc","scopes":["payment:customer_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_id":"c"}"#;

    fn empty() -> ctp_buf {
        ctp_buf { ptr: ptr::null_mut(), len: 0 }
    }

    fn new_vault(policy: &[u8], now: &[u8], stale_days: i64) -> Result<*mut ctp_vault, (u32, String)> {
        let mut vault = ptr::null_mut();
        let mut error = empty();
        let status = unsafe {
            ctp_vault_new(policy.as_ptr(), policy.len(), now.as_ptr(), now.len(), stale_days, &mut vault, &mut error)
        };
        if status == CTP_OK {
            assert!(error.ptr.is_null());
            Ok(vault)
        } else {
            assert!(vault.is_null(), "out is written only on success");
            Err((status, take(error)))
        }
    }

    fn feed(vault: *mut ctp_vault, record: &[u8]) -> (u32, String, usize) {
        let mut out = empty();
        let mut count = usize::MAX;
        let mut error = empty();
        let status = unsafe { ctp_vault_feed(vault, record.as_ptr(), record.len(), &mut out, &mut count, &mut error) };
        assert!(out.ptr.is_null() || error.ptr.is_null(), "exactly one of out and error is written");
        let text = take(out) + &take(error);
        (status, text, count)
    }

    #[test]
    fn findings_are_the_library_findings_as_json_lines() {
        let vault = new_vault(br#"{"allowed_regions":["us1"]}"#, b"2026-11-30T00:00:00Z", 30).unwrap();
        let mut lint = VaultLint::new(
            VaultOptions::from_text(br#"{"allowed_regions":["us1"]}"#, Some("2026-11-30T00:00:00Z"), Some("30"))
                .unwrap(),
        );
        for record in [RECORD, b"{oops", RECORD, b""] {
            let (status, text, count) = feed(vault, record);
            assert_eq!(status, CTP_OK);
            let expected: String = lint.feed(record).iter().map(|f| f.to_json() + "\n").collect();
            assert_eq!(text, expected);
            assert_eq!(count, text.lines().count());
        }
        let (_, text, count) = feed(vault, b"");
        assert_eq!(count, 1);
        assert!(text.starts_with(r#"{"line":5,"code":"RECORD_UNREADABLE""#), "{text}");
        unsafe { ctp_vault_free(vault) };
    }

    #[test]
    fn a_record_without_findings_gives_an_empty_buffer() {
        let vault = new_vault(b"", b"", -1).unwrap();
        let good = br#"{"customer_token":"krn:customer-token:eu1:abc","customer_token_reference":"r","scopes":["payment:customer_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z","customer_id":"c"}"#;
        let mut out = ctp_buf { ptr: std::ptr::dangling_mut::<u8>(), len: 7 };
        let status =
            unsafe { ctp_vault_feed(vault, good.as_ptr(), good.len(), &mut out, ptr::null_mut(), ptr::null_mut()) };
        assert_eq!(status, CTP_OK);
        assert!(out.ptr.is_null() && out.len == 0);
        unsafe { ctp_vault_free(vault) };
    }

    #[test]
    fn bad_options_are_refused_with_an_error_object() {
        let (status, error) = new_vault(b"", b"2026-11-30 00:00:00Z", -1).unwrap_err();
        assert_eq!(status, CTP_INVALID_ARGUMENT);
        assert!(error.contains("INVALID_NOW"), "{error}");
        let (status, error) = new_vault(b"", b"", 3).unwrap_err();
        assert_eq!(status, CTP_INVALID_ARGUMENT);
        assert!(error.contains("STALE_DAYS_NEED_NOW"), "{error}");
        let (status, error) = new_vault(br#"{"allowed_region":["eu1"]}"#, b"", -1).unwrap_err();
        assert_eq!(status, CTP_INVALID_POLICY);
        assert!(error.contains("UNKNOWN_FIELD"), "{error}");
        let (status, _) = new_vault(b"", b"\xff", -1).unwrap_err();
        assert_eq!(status, crate::ffi::CTP_INVALID_UTF8);
        // A token passed as `now` is never echoed.
        let (_, error) = new_vault(b"", b"krn:customer-token:eu1:secret77", -1).unwrap_err();
        assert!(!error.contains("secret77"), "{error}");
    }

    #[test]
    fn null_arguments_are_invalid_and_do_not_count_as_records() {
        let vault = new_vault(b"", b"", -1).unwrap();
        let mut out = empty();
        unsafe {
            let none_out = ptr::null_mut();
            assert_eq!(ctp_vault_feed(vault, RECORD.as_ptr(), RECORD.len(), none_out, ptr::null_mut(), &mut out), 1);
            assert!(take(std::mem::replace(&mut out, empty())).contains("out is NULL"));
            let none_vault = ptr::null_mut();
            let status = ctp_vault_feed(none_vault, RECORD.as_ptr(), RECORD.len(), &mut out, ptr::null_mut(), &mut out);
            assert_eq!(status, 1);
            assert!(take(std::mem::replace(&mut out, empty())).contains("vault is NULL"));
            let status = ctp_vault_feed(vault, ptr::null(), 3, &mut out, ptr::null_mut(), ptr::null_mut());
            assert_eq!(status, CTP_INVALID_ARGUMENT);
            assert!(out.ptr.is_null());
            let mut none = ptr::null_mut();
            assert_eq!(ctp_vault_new(ptr::null(), 0, ptr::null(), 0, -1, ptr::null_mut(), ptr::null_mut()), 1);
            assert_eq!(ctp_vault_new(ptr::null(), 4, ptr::null(), 0, -1, &mut none, ptr::null_mut()), 1);
            assert_eq!(ctp_vault_new(ptr::null(), 0, ptr::null(), 4, -1, &mut none, ptr::null_mut()), 1);
            assert!(none.is_null());
        }
        let (_, text, _) = feed(vault, b"[]");
        assert!(text.starts_with(r#"{"line":1,"#), "failed calls are not records: {text}");
        unsafe {
            ctp_vault_free(vault);
            ctp_vault_free(ptr::null_mut());
        }
    }

    #[test]
    fn a_shard_reports_its_share_and_is_set_before_the_first_record() {
        let (mut total, mut plain) = (0, 0);
        for index in 1..=3 {
            let vault = new_vault(b"", b"", -1).unwrap();
            assert_eq!(unsafe { ctp_vault_set_shard(vault, index, 3, ptr::null_mut()) }, CTP_OK);
            for record in [RECORD, b"{oops", RECORD, br#"{"customer_token":"krn:customer-token:eu1:zz"}"#] {
                total += feed(vault, record).2;
            }
            let mut error = empty();
            assert_eq!(unsafe { ctp_vault_set_shard(vault, 1, 1, &mut error) }, CTP_INVALID_ARGUMENT);
            assert!(take(error).contains("SHARD_AFTER_FEED"));
            unsafe { ctp_vault_free(vault) };
        }
        let vault = new_vault(b"", b"", -1).unwrap();
        for record in [RECORD, b"{oops", RECORD, br#"{"customer_token":"krn:customer-token:eu1:zz"}"#] {
            plain += feed(vault, record).2;
        }
        assert_eq!(total, plain, "three shards report what one lint reports");
        for (index, count) in [(0, 3), (4, 3), (1, 0)] {
            let mut error = empty();
            assert_eq!(unsafe { ctp_vault_set_shard(vault, index, count, &mut error) }, CTP_INVALID_ARGUMENT);
            assert!(take(error).contains("INVALID_SHARD"));
        }
        assert_eq!(unsafe { ctp_vault_set_shard(ptr::null_mut(), 1, 1, ptr::null_mut()) }, CTP_INVALID_ARGUMENT);
        unsafe { ctp_vault_free(vault) };
    }

    #[test]
    fn every_vault_export_turns_a_panic_into_its_fallback() {
        let vault = new_vault(b"", b"", -1).unwrap();
        let mut handle = ptr::null_mut();
        let mut out = empty();
        panic_injection::arm(true);
        let new = unsafe { ctp_vault_new(ptr::null(), 0, ptr::null(), 0, -1, &mut handle, &mut out) };
        let fed = unsafe { ctp_vault_feed(vault, RECORD.as_ptr(), RECORD.len(), &mut out, ptr::null_mut(), &mut out) };
        let shard = unsafe { ctp_vault_set_shard(vault, 1, 1, ptr::null_mut()) };
        unsafe { ctp_vault_free(vault) }; // panics inside the guard: leaks, never unwinds
        panic_injection::arm(false);
        assert_eq!((new, fed, shard), (CTP_PANIC, CTP_PANIC, CTP_PANIC));
        assert!(handle.is_null() && out.ptr.is_null());
    }
}
