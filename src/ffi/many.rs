//! `ctp_check_many`: many requests in one call, one result per request.
//!
//! Unlike `ctp_check_batch` there is no JSON Lines text on either side:
//! the caller passes an array of (pointer, length) requests and gets an
//! array of results, each with its own status number, so no binding splits
//! lines or maps status names back to numbers.

use super::{ctp_batch_counts, ctp_buf, ctp_buf_free, ctp_engine, guard, input, into_buf};
use super::{CTP_INVALID_ARGUMENT, CTP_OK, CTP_PANIC};
use crate::error::{Error, Status};

/// One request of `ctp_check_many`: a pre-flight request as JSON.
#[repr(C)]
pub struct ctp_input {
    /// The request bytes; only read during the call. NULL with `len` 0 is
    /// the empty input.
    pub ptr: *const u8,
    pub len: usize,
}

/// One answer of `ctp_check_many`.
#[repr(C)]
pub struct ctp_result {
    /// The status `ctp_check_json` returns for this request (`CTP_OK` for a
    /// decision, ALLOW or DENY).
    pub status: u32,
    /// 1 when `status` is `CTP_OK` and the decision is ALLOW, else 0.
    pub allowed: u32,
    /// The decision JSON on `CTP_OK`, the error object otherwise. Owned by
    /// the caller: release with `ctp_results_free` (or `ctp_buf_free`).
    pub json: ctp_buf,
}

/// Decides `count` requests in one call, each exactly as `ctp_check_json`.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `requests`: `count` inputs; may be NULL only when `count` is 0. An
///   input that is NULL with a length gets its own `CTP_INVALID_ARGUMENT`
///   result; the others are decided all the same.
/// - `results`: room for `count` results, written only on `CTP_OK`, in the
///   order of `requests`; may be NULL only when `count` is 0. Release them
///   with `ctp_results_free(results, count)`.
/// - `counts`: may be NULL; receives how many were ALLOW, DENY and not
///   decided (any other status).
///
/// Returns `CTP_OK` when every request was handled (whatever each result),
/// `CTP_INVALID_ARGUMENT` (NULL engine, or NULL `requests`/`results` with a
/// count) or `CTP_PANIC`; on those nothing is written.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_many(
    engine: *const ctp_engine,
    requests: *const ctp_input,
    count: usize,
    results: *mut ctp_result,
    counts: *mut ctp_batch_counts,
) -> u32 {
    guard(CTP_PANIC, || {
        let Some(engine) = engine.as_ref() else { return CTP_INVALID_ARGUMENT };
        if count > 0 && (requests.is_null() || results.is_null()) {
            return CTP_INVALID_ARGUMENT;
        }
        let requests = if count == 0 { &[][..] } else { std::slice::from_raw_parts(requests, count) };
        // Every answer is made before any is handed over, so a panic part
        // way leaves the caller's array untouched and frees what was made.
        let mut answers: Vec<(u32, u32, String)> = Vec::with_capacity(count);
        let mut totals = ctp_batch_counts { allowed: 0, denied: 0, invalid: 0 };
        let mut scratch = String::new();
        for (index, request) in requests.iter().enumerate() {
            scratch.clear();
            let decided = match input(request.ptr, request.len) {
                Ok(bytes) => engine.engine.check_json_into(bytes, &mut scratch),
                Err(()) => Err(Error::new(
                    Status::InvalidArgument,
                    None,
                    format!("requests[{index}].ptr is NULL with a non-zero length"),
                )),
            };
            let answer = match decided {
                Ok(outcome) if outcome.allowed() => {
                    totals.allowed += 1;
                    (CTP_OK, 1, String::from(scratch.as_str()))
                }
                Ok(_) => {
                    totals.denied += 1;
                    (CTP_OK, 0, String::from(scratch.as_str()))
                }
                Err(error) => {
                    totals.invalid += 1;
                    (error.status as u32, 0, error.to_json())
                }
            };
            answers.push(answer);
        }
        for (index, (status, allowed, json)) in answers.into_iter().enumerate() {
            results.add(index).write(ctp_result { status, allowed, json: into_buf(json) });
        }
        if let Some(counts) = counts.as_mut() {
            *counts = totals;
        }
        CTP_OK
    })
}

/// Releases the buffers of `count` results from `ctp_check_many`, wiping
/// them first, and resets each `json` to `{NULL, 0}` (so a second call is
/// harmless). `results` NULL is a no-op; the array itself is the caller's.
#[no_mangle]
pub unsafe extern "C" fn ctp_results_free(results: *mut ctp_result, count: usize) {
    guard((), || {
        if results.is_null() {
            return;
        }
        for index in 0..count {
            ctp_buf_free(&mut (*results.add(index)).json);
        }
    })
}
