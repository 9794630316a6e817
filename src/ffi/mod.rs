//! The C ABI: thin edges over the core, no policy logic here.
//!
//! Conventions (docs/ABI.md has the full story):
//! - every fallible function returns a `uint32_t` status, `CTP_OK` = 0;
//! - inputs are pointer + length; `NULL` with length 0 is the empty input;
//! - output buffers are owned by the library and released with
//!   `ctp_buf_free`, which wipes them first;
//! - every export runs behind `guard`, so a panic becomes `CTP_PANIC`
//!   instead of unwinding into C;
//! - no caller pointer is kept after a call returns, and there is no
//!   thread-local "last error".

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // the safety contract is in the header comments

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use zeroize::Zeroize;

use crate::decision::Engine;
use crate::error::{Error, Status};
use crate::{lifecycle, rules, token};

// The status constants (`CTP_OK`, …), generated from the status table.
mod status;
pub use status::*;

mod audit;
mod fast;
mod into;
pub use audit::*;
pub use fast::*;
pub use into::*;
mod many;
pub use many::*;
mod typed;
pub use typed::*;
mod verdict;
pub use verdict::*;
mod redact;
pub use redact::*;
mod vault;
pub use vault::*;

/// Library version, major part.
pub const CTP_VERSION_MAJOR: u32 = 0;
/// Library version, minor part.
pub const CTP_VERSION_MINOR: u32 = 1;
/// Library version, patch part.
pub const CTP_VERSION_PATCH: u32 = 0;
/// MAJOR * 10000 + MINOR * 100 + PATCH, for `#if` comparisons.
pub const CTP_VERSION_NUMBER: u32 = CTP_VERSION_MAJOR * 10000 + CTP_VERSION_MINOR * 100 + CTP_VERSION_PATCH;
/// Bumped on every breaking change of this ABI; compare with `ctp_abi_version()`.
pub const CTP_ABI_VERSION: u32 = 1;

/// An engine bound to one policy. Opaque; immutable once built; safe to
/// share between threads without locks.
pub struct ctp_engine {
    engine: Engine,
}

/// A byte buffer owned by the library. Release it with `ctp_buf_free`.
#[repr(C)]
pub struct ctp_buf {
    /// The bytes (UTF-8 JSON, not NUL-terminated); NULL when empty.
    pub ptr: *mut u8,
    /// Number of bytes at `ptr`.
    pub len: usize,
}

#[cfg(test)]
pub(crate) mod panic_injection {
    //! A test hook: when armed, every export called on this thread panics
    //! inside its guard, so a test can prove that each one turns a panic
    //! into `CTP_PANIC`. Per thread, so parallel tests do not interfere.
    use std::cell::Cell;

    thread_local!(static ARMED: Cell<bool> = const { Cell::new(false) });

    pub fn arm(on: bool) {
        ARMED.with(|armed| armed.set(on));
    }

    pub fn check() {
        if ARMED.with(Cell::get) {
            panic!("injected panic");
        }
    }
}

/// Runs an export's body; a panic becomes `on_panic` instead of unwinding
/// across the C boundary (which would be undefined behaviour).
#[inline(always)]
pub(crate) fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        panic_injection::check();
        body()
    }))
    .unwrap_or(on_panic)
}

/// Releases a handle this library made with `Box::into_raw`; `NULL` is a
/// no-op. The one body of every `ctp_*_free` of an opaque handle (the
/// handle's own `Drop` wipes what it holds).
pub(crate) unsafe fn free_handle<T>(handle: *mut T) {
    if !handle.is_null() {
        drop(Box::from_raw(handle));
    }
}

/// Borrows a caller's `(pointer, length)` input for the call's duration.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], ()> {
    match (ptr.is_null(), len) {
        (true, 0) => Ok(&[]),
        (true, _) => Err(()),
        (false, _) => Ok(std::slice::from_raw_parts(ptr, len)),
    }
}

/// Hands `text` to the caller as a library-owned buffer.
fn into_buf(text: String) -> ctp_buf {
    let mut boxed = text.into_bytes().into_boxed_slice();
    let len = boxed.len();
    if len == 0 {
        return ctp_buf { ptr: ptr::null_mut(), len: 0 };
    }
    let ptr = boxed.as_mut_ptr();
    std::mem::forget(boxed);
    ctp_buf { ptr, len }
}

/// Writes a result to `out`: the payload on success, the error object
/// otherwise; returns the status.
unsafe fn deliver(out: *mut ctp_buf, result: Result<String, Error>) -> u32 {
    let (status, text) = match result {
        Ok(text) => (CTP_OK, text),
        Err(error) => (error.status as u32, error.to_json()),
    };
    if !out.is_null() {
        out.write(into_buf(text));
    }
    status
}

fn invalid_argument(what: &str) -> Error {
    Error::new(Status::InvalidArgument, None, format!("{what} is NULL"))
}

fn null_with_length(what: &str) -> Error {
    Error::new(Status::InvalidArgument, None, format!("{what} is NULL with a non-zero length"))
}

/// Builds an engine from policy JSON.
///
/// - `policy_json`/`len`: the policy; `NULL`/0 (or `{}`) is the default policy.
/// - `out`: receives the new engine, only on `CTP_OK`. Must not be NULL.
///   Release it with `ctp_engine_free`.
/// - `error_json`: may be NULL. When not NULL it receives, on failure only,
///   the error object `{"error": {...}}`; release it with `ctp_buf_free`.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_POLICY` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_engine_new(
    policy_json: *const u8,
    len: usize,
    out: *mut *mut ctp_engine,
    error_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        let result = (|| {
            if out.is_null() {
                return Err(invalid_argument("out"));
            }
            let policy = input(policy_json, len).map_err(|_| null_with_length("policy_json"))?;
            Engine::from_policy_json(policy)
        })();
        match result {
            Ok(engine) => {
                out.write(Box::into_raw(Box::new(ctp_engine { engine })));
                CTP_OK
            }
            Err(error) => deliver(error_json, Err(error)),
        }
    })
}

/// Releases an engine. `NULL` is a no-op. The engine must not be in use by
/// another thread, and must not be used after this call.
#[no_mangle]
pub unsafe extern "C" fn ctp_engine_free(engine: *mut ctp_engine) {
    guard((), || free_handle(engine))
}

/// The pre-flight check: is this `authorizePayment` request safe to send?
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `request_json`/`len`: the pre-flight request (docs/RULES.md, "The request").
/// - `out_json`: must not be NULL. Receives the decision JSON on `CTP_OK`
///   and the error JSON on any other status except when `out_json` itself
///   is NULL. Release it with `ctp_buf_free`.
///
/// A DENY decision is `CTP_OK` with `"decision": "DENY"`. Any other status
/// means "could not decide": treat it as DENY (fail closed).
#[no_mangle]
pub unsafe extern "C" fn ctp_check_json(
    engine: *const ctp_engine,
    request_json: *const u8,
    len: usize,
    out_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let result = (|| {
            let engine = engine.as_ref().ok_or_else(|| invalid_argument("engine"))?;
            let request = input(request_json, len).map_err(|_| null_with_length("request_json"))?;
            into::decision_string(&engine.engine, request)
        })();
        deliver(out_json, result)
    })
}

/// One lifecycle step: TOKENIZED, CHARGED, DECLINED or REVOKED.
///
/// - `record_json`/`record_len`: the stored record; `NULL`/0 (or the JSON
///   text `null`) when there is none yet. A previous step's `out_json`
///   (`{"record": …, "changed": …}`) is taken as its `record`, so steps
///   chain without unwrapping; a bare record is the same.
/// - `event_json`/`event_len`: the event.
/// - `out_json`: must not be NULL. Receives `{"record": …, "changed": …}` on
///   `CTP_OK` (the record holds `customer_token` verbatim), the error JSON
///   otherwise. Release it with `ctp_buf_free`, which wipes it.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_REQUEST` (the record or event is not acceptable JSON),
/// `CTP_TRANSITION_REJECTED` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_apply_event_json(
    record_json: *const u8,
    record_len: usize,
    event_json: *const u8,
    event_len: usize,
    out_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let result = (|| {
            let record = stored_record(record_json, record_len)?;
            let event = input(event_json, event_len).map_err(|_| null_with_length("event_json"))?;
            lifecycle::apply_event(record, event).map(|transition| transition.json().to_owned())
        })();
        deliver(out_json, result)
    })
}

/// The stored record of a lifecycle call: `NULL`/0 (empty) is "none yet".
unsafe fn stored_record<'a>(record_json: *const u8, record_len: usize) -> Result<Option<&'a [u8]>, Error> {
    let record = input(record_json, record_len).map_err(|_| null_with_length("record_json"))?;
    Ok((!record.is_empty()).then_some(record))
}

/// Klarna's answer to an `authorizePayment` call as lifecycle events,
/// applied to the stored record: an approved tokenization makes the
/// record, a payment result keeps the attempt (CHARGED for `APPROVED`,
/// nothing for `STEP_UP_REQUIRED`, DECLINED for anything else).
///
/// - `record_json`/`record_len`: the stored record; `NULL`/0 (or the JSON
///   text `null`) when there is none.
/// - `request_json`/`request_len`: the pre-flight request that was checked
///   and sent (as given to `ctp_check_json`).
/// - `response_json`/`response_len`: the JSON body of the 2xx answer.
/// - `at`/`at_len`: when the answer arrived, RFC 3339.
/// - `out_json`: must not be NULL. Receives `{"record": … or null,
///   "changed": …, "events": [{"type": …, "at": …}, …]}` on `CTP_OK` (the
///   record holds `customer_token` verbatim), the error JSON otherwise.
///   Release it with `ctp_buf_free`, which wipes it.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_REQUEST` (the request fails the envelope checks, or the
/// record is not acceptable JSON), `CTP_TRANSITION_REJECTED` (with the code
/// of the fault: `RECORD_INVALID`, `RESPONSE_INVALID`, `INVALID_EVENT` for
/// `at`, or the lifecycle's) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_apply_response_json(
    record_json: *const u8,
    record_len: usize,
    request_json: *const u8,
    request_len: usize,
    response_json: *const u8,
    response_len: usize,
    at: *const u8,
    at_len: usize,
    out_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let result = (|| {
            let record = stored_record(record_json, record_len)?;
            let request = input(request_json, request_len).map_err(|_| null_with_length("request_json"))?;
            let response = input(response_json, response_len).map_err(|_| null_with_length("response_json"))?;
            let at = input(at, at_len).map_err(|_| null_with_length("at"))?;
            let at = std::str::from_utf8(at).map_err(|_| {
                Error::new(
                    Status::TransitionRejected,
                    Some(crate::code::Code::InvalidEvent),
                    "at must be an RFC 3339 timestamp",
                )
            })?;
            lifecycle::apply_response(record, request, response, at).map(|transition| transition.json().to_owned())
        })();
        deliver(out_json, result)
    })
}

/// Checks the format of a customer token; no engine needed.
///
/// - `token`/`len`: the header value.
/// - `out_json`: must not be NULL. Receives
///   `{"form", "region", "environment", "fingerprint"}` on `CTP_OK`, else the
///   error JSON (`CTP_TOKEN_INVALID` with code `TOKEN_MALFORMED` and its
///   `detail`, or `TOKEN_WRONG_TYPE`). Never contains the token.
#[no_mangle]
pub unsafe extern "C" fn ctp_token_parse(token_ptr: *const u8, len: usize, out_json: *mut ctp_buf) -> u32 {
    guard(CTP_PANIC, || {
        if out_json.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let result = (|| {
            let bytes = input(token_ptr, len).map_err(|_| null_with_length("token"))?;
            token::parse_token_json(bytes)
        })();
        deliver(out_json, result)
    })
}

/// Zeroizes a buffer before it is freed. `zeroize` on a byte slice writes
/// one volatile byte at a time, and a batch answer is megabytes: the
/// aligned middle is wiped as 64-bit words (volatile writes all the same,
/// which the compiler may not drop), only the ends byte by byte.
fn wipe(bytes: &mut [u8]) {
    // SAFETY: every bit pattern is a valid u64, and `align_to_mut` only
    // gives out the middle that is aligned for it.
    let (head, words, tail) = unsafe { bytes.align_to_mut::<u64>() };
    head.zeroize();
    words.zeroize();
    tail.zeroize();
}

/// Releases a buffer from this library, wiping its bytes first. `NULL`, or
/// a buffer whose `ptr` is NULL, is a no-op. Sets `ptr` to NULL and `len` to 0.
#[no_mangle]
pub unsafe extern "C" fn ctp_buf_free(buf: *mut ctp_buf) {
    guard((), || {
        let Some(buf) = buf.as_mut() else { return };
        if !buf.ptr.is_null() {
            let mut boxed = Box::from_raw(ptr::slice_from_raw_parts_mut(buf.ptr, buf.len));
            wipe(&mut boxed);
            drop(boxed);
        }
        buf.ptr = ptr::null_mut();
        buf.len = 0;
    })
}

/// The library version, e.g. "0.1.0". Static; do not free.
#[no_mangle]
pub extern "C" fn ctp_version() -> *const c_char {
    guard(c"unknown".as_ptr(), || VERSION_C.as_ptr())
}

const VERSION_C: &std::ffi::CStr =
    match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(text) => text,
        Err(_) => panic!("version has no NUL"),
    };

/// The ABI version this library implements (`CTP_ABI_VERSION` of its header).
#[no_mangle]
pub extern "C" fn ctp_abi_version() -> u32 {
    guard(0, || CTP_ABI_VERSION)
}

/// The name of a status without `CTP_` (e.g. "INVALID_REQUEST"), or
/// "UNKNOWN" for a number this library does not define. Static; do not free.
#[no_mangle]
pub extern "C" fn ctp_status_name(status: u32) -> *const c_char {
    guard(c"UNKNOWN".as_ptr(), || match Status::from_u32(status) {
        Some(known) => known.c_name().as_ptr(),
        None => c"UNKNOWN".as_ptr(),
    })
}

/// The reason code of a rule id (301 → "SCOPE_MISMATCH"), or NULL for an
/// unknown id. Static; do not free.
#[no_mangle]
pub extern "C" fn ctp_reason_code(id: u32) -> *const c_char {
    guard(ptr::null(), || match rules::by_id(id) {
        Some(rule) => rule_code_c(rule.code),
        None => ptr::null(),
    })
}

/// NUL-terminated copies of the rule codes, made once from the table.
fn rule_code_c(code: &str) -> *const c_char {
    use std::sync::OnceLock;
    static CODES: OnceLock<Vec<std::ffi::CString>> = OnceLock::new();
    let codes = CODES.get_or_init(|| {
        rules::RULES.iter().map(|rule| std::ffi::CString::new(rule.code).expect("codes have no NUL")).collect()
    });
    codes.iter().find(|c| c.to_bytes() == code.as_bytes()).map_or(ptr::null(), |c| c.as_ptr())
}

#[cfg(test)]
mod tests;
