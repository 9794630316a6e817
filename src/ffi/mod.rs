//! The C ABI: thin edges over the core, no policy logic here.
//!
//! Conventions (docs/ABI.md has the full story):
//! - every fallible function returns a `uint32_t` status, `CTP_OK` = 0, and
//!   takes as its last parameter `ctp_buf *error` (may be NULL), which
//!   receives the error object on any status but `CTP_OK` and `CTP_PANIC`;
//! - inputs are pointer + length (`x`, `x_len`); `NULL` with length 0 is the
//!   empty input; outputs are `out` (written only on `CTP_OK`);
//! - counts and lengths are `size_t`;
//! - output buffers are owned by the caller and released with
//!   `ctp_buf_free`, which wipes them first;
//! - every export runs behind the one boundary (`boundary.rs`), so a panic
//!   becomes `CTP_PANIC` instead of unwinding into C;
//! - no caller pointer is kept after a call returns, and there is no
//!   thread-local "last error".

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // the safety contract is in the header comments

use std::ffi::c_char;
use std::ptr;

use zeroize::Zeroize;

use crate::decision::Engine;
use crate::error::{Error, Status};
use crate::{lifecycle, rules, token};

// The status constants (`CTP_OK`, …), generated from the status table.
mod status;
pub use status::*;

mod boundary;
pub(crate) use boundary::*;

mod audit;
pub use audit::*;
mod charge;
pub use charge::*;
mod into;
pub use into::*;
mod many;
pub use many::*;
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
pub const CTP_ABI_VERSION: u32 = 2;

/// An engine bound to one policy. Opaque; immutable once built; safe to
/// share between threads without locks.
pub struct ctp_engine {
    engine: Engine,
}

impl Handle for ctp_engine {}
impl SharedHandle for ctp_engine {}

/// A byte buffer the library filled and the caller owns. Release it with
/// `ctp_buf_free`.
#[repr(C)]
pub struct ctp_buf {
    /// The bytes (not NUL-terminated); NULL when empty.
    pub ptr: *mut u8,
    /// Number of bytes at `ptr`.
    pub len: usize,
}

#[cfg(test)]
pub(crate) mod panic_injection {
    //! A test hook: when armed, every export called on this thread panics
    //! inside its boundary, so a test can prove that each one turns a panic
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

/// Builds an engine from policy JSON.
///
/// - `policy`/`policy_len`: the policy; `NULL`/0 (or `{}`) is the default policy.
/// - `out`: must not be NULL; receives the new engine on `CTP_OK`. Release
///   it with `ctp_engine_free`.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_POLICY` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_engine_new(
    policy: *const u8,
    policy_len: usize,
    out: *mut *mut ctp_engine,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let policy = input(policy, policy_len, "policy")?;
        let engine = Engine::from_policy_json(policy)?;
        out.write(ctp_engine { engine }.into_raw());
        Ok(())
    })
}

/// Releases an engine. `NULL` is a no-op. The engine must not be in use by
/// another thread, and must not be used after this call.
#[no_mangle]
pub unsafe extern "C" fn ctp_engine_free(engine: *mut ctp_engine) {
    infallible((), || free(engine))
}

/// The pre-flight check: is this `authorizePayment` request safe to send?
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `request`/`request_len`: the pre-flight request (docs/RULES.md, "The request").
/// - `out`: must not be NULL; receives the decision JSON on `CTP_OK`.
/// - `error`: may be NULL; receives the error object on failure. It may be
///   the same buffer as `out`: exactly one of the two is written.
///
/// A DENY decision is `CTP_OK` with `"decision": "DENY"`. Any other status
/// means "could not decide": treat it as DENY (fail closed). Returns
/// `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_REQUEST` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_json(
    engine: *const ctp_engine,
    request: *const u8,
    request_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let engine = shared(engine, "engine")?;
        let request = input(request, request_len, "request")?;
        // Handed over inside the call: a `Vec` returned out of it came back
        // with the error's room through memory and was copied in loads
        // wider than the callee's stores (a stall on every call).
        with_decision(&engine.engine, request, |decision| out.give(decision.to_vec()))?;
        Ok(())
    })
}

/// One lifecycle step: TOKENIZED, CHARGED, DECLINED or REVOKED.
///
/// - `record`/`record_len`: the stored record; `NULL`/0 (or the JSON
///   text `null`) when there is none yet. A previous step's `out`
///   (`{"record": …, "changed": …}`) is taken as its `record`, so steps
///   chain without unwrapping; a bare record is the same.
/// - `event`/`event_len`: the event.
/// - `out`: must not be NULL; receives `{"record": …, "changed": …}` on
///   `CTP_OK` (the record holds `customer_token` verbatim). Release it with
///   `ctp_buf_free`, which wipes it.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_REQUEST` (the record or event is not acceptable JSON),
/// `CTP_TRANSITION_REJECTED` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_apply_event_json(
    record: *const u8,
    record_len: usize,
    event: *const u8,
    event_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let record = stored_record(record, record_len)?;
        let event = input(event, event_len, "event")?;
        let transition = lifecycle::apply_event(record, event)?;
        out.give(transition.into_json_bytes());
        Ok(())
    })
}

/// The stored record of a lifecycle call: `NULL`/0 (empty) is "none yet".
unsafe fn stored_record<'a>(record: *const u8, record_len: usize) -> Result<Option<&'a [u8]>, Error> {
    let record = input(record, record_len, "record")?;
    Ok((!record.is_empty()).then_some(record))
}

/// Klarna's answer to an `authorizePayment` call as lifecycle events,
/// applied to the stored record: an approved tokenization makes the
/// record, a payment result keeps the attempt (CHARGED for `APPROVED`,
/// nothing for `STEP_UP_REQUIRED`, DECLINED for anything else).
///
/// - `record`/`record_len`: the stored record; `NULL`/0 (or the JSON
///   text `null`) when there is none.
/// - `request`/`request_len`: the pre-flight request that was checked
///   and sent (as given to `ctp_check_json`).
/// - `response`/`response_len`: the JSON body of the 2xx answer.
/// - `at`/`at_len`: when the answer arrived, RFC 3339.
/// - `out`: must not be NULL; receives `{"record": … or null,
///   "changed": …, "events": [{"type": …, "at": …}, …]}` on `CTP_OK` (the
///   record holds `customer_token` verbatim). Release it with
///   `ctp_buf_free`, which wipes it.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT`, `CTP_INVALID_UTF8`,
/// `CTP_INVALID_REQUEST` (the request fails the envelope checks, or the
/// record is not acceptable JSON), `CTP_TRANSITION_REJECTED` (with the code
/// of the fault: `RECORD_INVALID`, `RESPONSE_INVALID`, `INVALID_EVENT` for
/// `at`, or the lifecycle's) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_apply_response_json(
    record: *const u8,
    record_len: usize,
    request: *const u8,
    request_len: usize,
    response: *const u8,
    response_len: usize,
    at: *const u8,
    at_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let record = stored_record(record, record_len)?;
        let request = input(request, request_len, "request")?;
        let response = input(response, response_len, "response")?;
        let at = input(at, at_len, "at")?;
        let at = std::str::from_utf8(at).map_err(|_| {
            Error::new(
                Status::TransitionRejected,
                Some(crate::code::Code::InvalidEvent),
                "at must be an RFC 3339 timestamp",
            )
        })?;
        let transition = lifecycle::apply_response(record, request, response, at)?;
        out.give(transition.into_json_bytes());
        Ok(())
    })
}

/// Checks the format of a customer token; no engine needed.
///
/// - `token`/`token_len`: the header value.
/// - `out`: must not be NULL; receives
///   `{"form", "region", "environment", "fingerprint"}` on `CTP_OK`. Never
///   contains the token.
/// - `error`: may be NULL; receives the error object on failure
///   (`CTP_TOKEN_INVALID` with code `TOKEN_MALFORMED` and its `detail`, or
///   `TOKEN_WRONG_TYPE`).
#[no_mangle]
pub unsafe extern "C" fn ctp_token_parse(
    token: *const u8,
    token_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        let token = input(token, token_len, "token")?;
        out.give(token::parse_token_json(token)?.into_bytes());
        Ok(())
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
    infallible((), || {
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
    infallible(c"unknown".as_ptr(), || VERSION_C.as_ptr())
}

const VERSION_C: &std::ffi::CStr =
    match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(text) => text,
        Err(_) => panic!("version has no NUL"),
    };

/// The ABI version this library implements (`CTP_ABI_VERSION` of its header).
#[no_mangle]
pub extern "C" fn ctp_abi_version() -> u32 {
    infallible(0, || CTP_ABI_VERSION)
}

/// The name of a status without `CTP_` (e.g. "INVALID_REQUEST"), or
/// "UNKNOWN" for a number this library does not define. Static; do not free.
#[no_mangle]
pub extern "C" fn ctp_status_name(status: u32) -> *const c_char {
    infallible(c"UNKNOWN".as_ptr(), || match Status::from_u32(status) {
        Some(known) => known.c_name().as_ptr(),
        None => c"UNKNOWN".as_ptr(),
    })
}

/// The reason code of a rule id (301 → "SCOPE_MISMATCH"), or NULL for an
/// unknown id. Static; do not free.
#[no_mangle]
pub extern "C" fn ctp_reason_code(id: u32) -> *const c_char {
    infallible(ptr::null(), || match rules::by_id(id) {
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

thread_local! {
    /// Where `ctp_check_json` writes a decision before handing over a copy
    /// of its exact size: reused, so no answer is grown and shrunk on every
    /// call. It holds decision JSON only (a fingerprint, never the token)
    /// and is emptied after each call.
    static DECISION_SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A scratch string that grew beyond this (an error naming a huge key can)
/// is released rather than kept for the thread's next call.
const DECISION_SCRATCH_KEEP_BYTES: usize = 64 << 10;

/// Decides `request` and hands `deliver` the decision JSON, borrowed from
/// the thread's reused scratch string; the error when it could not decide.
/// A nested call, or one during the thread's teardown, writes into a fresh
/// string.
fn with_decision<R>(engine: &Engine, request: &[u8], deliver: impl FnOnce(&[u8]) -> R) -> Result<R, Error> {
    let mut deliver = Some(deliver);
    let mut decide = |scratch: &mut String| {
        scratch.clear();
        let decision = engine
            .check_json_into(request, scratch)
            .map(|_| (deliver.take().expect("one decision per call"))(scratch.as_bytes()));
        scratch.clear();
        if scratch.capacity() > DECISION_SCRATCH_KEEP_BYTES {
            *scratch = String::new();
        }
        decision
    };
    match DECISION_SCRATCH.try_with(|cell| cell.try_borrow_mut().ok().map(|mut scratch| decide(&mut scratch))) {
        Ok(Some(decision)) => decision,
        _ => decide(&mut String::new()),
    }
}

#[cfg(test)]
mod tests;
