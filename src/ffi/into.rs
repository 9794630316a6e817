//! `ctp_check_json_into`: the JSON path writing into the caller's memory.
//!
//! `ctp_check_json` hands every answer over in a fresh library buffer that
//! the caller frees (one allocation, one wipe, one free per call). A caller
//! that keeps one buffer of its own across calls skips all three here: the
//! answer is written into the thread's reused scratch string and copied
//! out, and a buffer too small is answered with the exact size needed
//! (the way `snprintf` does), so one retry always fits.

use std::cell::RefCell;

use super::{ctp_engine, guard, input, invalid_argument, null_with_length};
use super::{CTP_INVALID_ARGUMENT, CTP_OK, CTP_PANIC};
use crate::decision::Engine;
use crate::error::Error;

thread_local! {
    /// Where a decision is written before it is copied out. Reused memory
    /// needs no allocation once the thread is warm. It holds decision JSON
    /// only (the fingerprint, never the token) and is emptied after each
    /// call.
    static ANSWER_SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A scratch string that grew beyond this (a decision with thousands of
/// findings cannot; an error object naming a huge key might) is released.
const ANSWER_SCRATCH_KEEP_BYTES: usize = 64 << 10;

/// Decides `request` as `ctp_check_json` does and hands `deliver` the
/// decision JSON, borrowed from the thread's reused scratch string, or the
/// error. A nested call, or one during thread teardown, gets a fresh
/// string instead.
pub(super) fn with_decision<R>(engine: &Engine, request: &[u8], deliver: impl FnOnce(Result<&str, Error>) -> R) -> R {
    let decide = |scratch: &mut String| {
        scratch.clear();
        let result = match engine.check_json_into(request, scratch) {
            Ok(_) => deliver(Ok(scratch.as_str())),
            Err(error) => deliver(Err(error)),
        };
        scratch.clear();
        if scratch.capacity() > ANSWER_SCRATCH_KEEP_BYTES {
            *scratch = String::new();
        }
        result
    };
    let mut decide = Some(decide);
    let reused = ANSWER_SCRATCH.try_with(|cell| {
        let mut scratch = cell.try_borrow_mut().ok()?;
        Some((decide.take().expect("called once"))(&mut scratch))
    });
    match reused {
        Ok(Some(result)) => result,
        _ => (decide.take().expect("not called yet"))(&mut String::new()),
    }
}

/// The decision JSON in a string of its exact size (the scratch string
/// holds it first, so no allocation grows or shrinks): what
/// `ctp_check_json` hands over.
pub(super) fn decision_string(engine: &Engine, request: &[u8]) -> Result<String, Error> {
    with_decision(engine, request, |decision| decision.map(String::from))
}

/// The pre-flight check of `ctp_check_json`, answered into a buffer the
/// caller owns.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `request_json`/`len`: the pre-flight request.
/// - `out`/`out_capacity`: the caller's buffer; may be NULL only when
///   `out_capacity` is 0. It receives the answer `ctp_check_json` gives
///   (the decision JSON on `CTP_OK`, the error object otherwise), not
///   NUL-terminated, when the answer fits; otherwise it is left untouched.
/// - `out_len`: must not be NULL; always receives the answer's exact length
///   in bytes, whether or not it fitted. `*out_len > out_capacity` means
///   "too small": call again with at least `*out_len` bytes (the answer to
///   the same request on the same engine has the same length).
///
/// Returns what `ctp_check_json` returns for the request, so a DENY is
/// `CTP_OK`; `CTP_INVALID_ARGUMENT` when `out_len` is NULL (nothing is
/// written then) or `engine`, `request_json` or `out` is NULL against the
/// rules above (the error object is the answer then); or `CTP_PANIC`. The
/// call never allocates once the thread is warm.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_json_into(
    engine: *const ctp_engine,
    request_json: *const u8,
    len: usize,
    out: *mut u8,
    out_capacity: usize,
    out_len: *mut usize,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_len.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let copy_out = |status: u32, answer: &str| {
            out_len.write(answer.len());
            if answer.len() <= out_capacity && !out.is_null() {
                std::ptr::copy_nonoverlapping(answer.as_ptr(), out, answer.len());
            }
            status
        };
        let arguments = (|| {
            let engine = engine.as_ref().ok_or_else(|| invalid_argument("engine"))?;
            if out.is_null() && out_capacity != 0 {
                return Err(null_with_length("out"));
            }
            let request = input(request_json, len).map_err(|_| null_with_length("request_json"))?;
            Ok((engine, request))
        })();
        let copy_error = |error: Error| copy_out(error.status as u32, &error.to_json());
        match arguments {
            Ok((engine, request)) => with_decision(&engine.engine, request, |decision| match decision {
                Ok(json) => copy_out(CTP_OK, json),
                Err(error) => copy_error(error),
            }),
            Err(error) => copy_error(error),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::{ctp_buf, ctp_buf_free, ctp_check_json, ctp_engine_free, ctp_engine_new, CTP_INVALID_REQUEST};

    fn engine() -> *mut ctp_engine {
        let mut handle = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut handle, ptr::null_mut()) }, CTP_OK);
        handle
    }

    /// The answer of `ctp_check_json`, for comparison.
    fn library_answer(engine: *const ctp_engine, request: &[u8]) -> (u32, Vec<u8>) {
        let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
        let status = unsafe { ctp_check_json(engine, request.as_ptr(), request.len(), &mut buf) };
        let bytes = unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec();
        unsafe { ctp_buf_free(&mut buf) };
        (status, bytes)
    }

    const DENY: &[u8] = br#"{"customer_present":false,"headers":{},"body":{}}"#;
    const INVALID: &[u8] = br#"{"customer_present":"no","body":{}}"#;

    #[test]
    fn answers_the_bytes_of_ctp_check_json_and_reports_the_size_when_short() {
        let handle = engine();
        for request in [DENY, INVALID] {
            let (expected_status, expected) = library_answer(handle, request);
            // Too small: nothing written, the exact size reported.
            let mut short = vec![0xAAu8; expected.len() - 1];
            let mut needed = 0usize;
            let status = unsafe {
                ctp_check_json_into(
                    handle,
                    request.as_ptr(),
                    request.len(),
                    short.as_mut_ptr(),
                    short.len(),
                    &mut needed,
                )
            };
            assert_eq!((status, needed), (expected_status, expected.len()));
            assert!(short.iter().all(|&b| b == 0xAA), "a short buffer is left untouched");
            // Sizing call with no buffer at all.
            let status = unsafe {
                ctp_check_json_into(handle, request.as_ptr(), request.len(), ptr::null_mut(), 0, &mut needed)
            };
            assert_eq!((status, needed), (expected_status, expected.len()));
            // Exactly big enough: the same bytes.
            let mut exact = vec![0u8; needed];
            let mut written = 0usize;
            let status = unsafe {
                ctp_check_json_into(
                    handle,
                    request.as_ptr(),
                    request.len(),
                    exact.as_mut_ptr(),
                    exact.len(),
                    &mut written,
                )
            };
            assert_eq!((status, written), (expected_status, expected.len()));
            assert_eq!(exact, expected);
        }
        assert_eq!(library_answer(handle, INVALID).0, CTP_INVALID_REQUEST);
        unsafe { ctp_engine_free(handle) };
    }

    #[test]
    fn bad_arguments_are_refused_with_the_error_object() {
        let handle = engine();
        let mut len = 0usize;
        let mut buffer = [0u8; 512];
        // No `out_len`: nothing to report through.
        let status = unsafe {
            ctp_check_json_into(handle, DENY.as_ptr(), DENY.len(), buffer.as_mut_ptr(), 512, ptr::null_mut())
        };
        assert_eq!(status, CTP_INVALID_ARGUMENT);
        for (engine, out, capacity, what) in [
            (ptr::null(), buffer.as_mut_ptr(), 512, "engine is NULL"),
            (handle as *const ctp_engine, ptr::null_mut(), 16, "out is NULL with a non-zero length"),
        ] {
            let status = unsafe { ctp_check_json_into(engine, DENY.as_ptr(), DENY.len(), out, capacity, &mut len) };
            assert_eq!(status, CTP_INVALID_ARGUMENT);
            assert!(len > 0);
            if !out.is_null() {
                let text = std::str::from_utf8(&buffer[..len]).unwrap();
                assert!(text.starts_with(r#"{"error":"#) && text.contains(what), "{text}");
            }
        }
        unsafe { ctp_engine_free(handle) };
    }
}
