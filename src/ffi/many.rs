//! `ctp_check_many`: many requests in one call, one result per request.
//!
//! There is no JSON Lines text on either side: the caller passes an array
//! of (pointer, length) requests and gets an array of results, each with
//! its own status number, so no binding splits lines or maps status names
//! back to numbers.

use super::CTP_OK;
use super::{boundary, ctp_buf, ctp_buf_free, ctp_engine, ctp_input, infallible, input, into_buf, items, shared};
use crate::error::{Error, Status};

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

/// How many requests of a `ctp_check_many` call were ALLOW, DENY and not
/// decided (any other status).
#[repr(C)]
pub struct ctp_batch_counts {
    pub allowed: usize,
    pub denied: usize,
    pub invalid: usize,
}

/// Decides `request_count` requests in one call, each exactly as `ctp_check_json`.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `requests`: `request_count` inputs; may be NULL only when the count is
///   0. An input that is NULL with a length gets its own
///   `CTP_INVALID_ARGUMENT` result; the others are decided all the same.
/// - `results`: room for `request_count` results, written only on `CTP_OK`,
///   in the order of `requests`; may be NULL only when the count is 0.
///   Release them with `ctp_results_free(results, request_count)`.
/// - `counts`: may be NULL; receives how many were ALLOW, DENY and not
///   decided (any other status).
/// - `error`: may be NULL; receives the error object when the call itself
///   fails (the per-request errors are in `results`).
///
/// Returns `CTP_OK` when every request was handled (whatever each result),
/// `CTP_INVALID_ARGUMENT` (NULL engine, or NULL `requests`/`results` with a
/// count) or `CTP_PANIC`; on those nothing else is written.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_many(
    engine: *const ctp_engine,
    requests: *const ctp_input,
    request_count: usize,
    results: *mut ctp_result,
    counts: *mut ctp_batch_counts,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let engine = shared(engine, "engine")?;
        let requests = items(requests, request_count, "requests")?;
        if results.is_null() && request_count > 0 {
            return Err(Error::new(Status::InvalidArgument, None, "results is NULL with a non-zero length").into());
        }
        // Every answer is made before any is handed over, so a panic part
        // way leaves the caller's array untouched and frees what was made.
        let mut answers: Vec<(u32, u32, String)> = Vec::with_capacity(request_count);
        let mut totals = ctp_batch_counts { allowed: 0, denied: 0, invalid: 0 };
        let mut scratch = String::new();
        for (index, request) in requests.iter().enumerate() {
            scratch.clear();
            // The item's name is written only when it is at fault: a string
            // built per request would cost the batch a tenth of its time.
            let decided = match input(request.ptr, request.len, "requests[i].ptr") {
                Ok(bytes) => engine.engine.check_json_into(bytes, &mut scratch),
                Err(_) => Err(Error::new(
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
                Err(failure) => {
                    totals.invalid += 1;
                    (failure.status as u32, 0, failure.to_json())
                }
            };
            answers.push(answer);
        }
        for (index, (status, allowed, json)) in answers.into_iter().enumerate() {
            results.add(index).write(ctp_result { status, allowed, json: into_buf(json.into_bytes()) });
        }
        if let Some(counts) = counts.as_mut() {
            *counts = totals;
        }
        Ok(())
    })
}

/// Releases the buffers of `result_count` results from `ctp_check_many`,
/// wiping them first, and resets each `json` to `{NULL, 0}` (so a second
/// call is harmless). `results` NULL is a no-op; the array itself is the
/// caller's.
#[no_mangle]
pub unsafe extern "C" fn ctp_results_free(results: *mut ctp_result, result_count: usize) {
    infallible((), || {
        if results.is_null() {
            return;
        }
        for index in 0..result_count {
            ctp_buf_free(&mut (*results.add(index)).json);
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::super::{ctp_check_charge, ctp_check_json_verdict, ctp_engine_free, ctp_engine_new};
    use super::super::{ctp_typed_charge, ctp_verdict};
    use super::super::{panic_injection, CTP_PANIC};
    use super::*;

    fn empty() -> ctp_buf {
        ctp_buf { ptr: ptr::null_mut(), len: 0 }
    }

    #[test]
    fn the_new_exports_turn_a_panic_into_ctp_panic_and_write_nothing() {
        let mut engine = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut engine, ptr::null_mut()) }, CTP_OK);
        let request = b"{\"customer_present\":true,\"body\":{}}";
        let inputs = [ctp_input { ptr: request.as_ptr(), len: request.len() }];
        let mut results = [ctp_result { status: 77, allowed: 77, json: empty() }];
        // SAFETY: all-zero is a valid ctp_typed_charge and ctp_verdict (NULL pointers, zero numbers).
        let charge: ctp_typed_charge = unsafe { std::mem::zeroed() };
        let mut verdict: ctp_verdict = unsafe { std::mem::zeroed() };
        verdict.allowed = 77;
        let (mut decision, mut error) = (empty(), empty());
        panic_injection::arm(true);
        let statuses = unsafe {
            [
                ctp_check_many(engine, inputs.as_ptr(), 1, results.as_mut_ptr(), ptr::null_mut(), &mut error),
                ctp_check_charge(engine, &charge, &mut verdict, &mut error),
                ctp_check_json_verdict(
                    engine,
                    request.as_ptr(),
                    request.len(),
                    &mut verdict,
                    &mut decision,
                    &mut error,
                ),
            ]
        };
        unsafe { ctp_results_free(results.as_mut_ptr(), 1) };
        panic_injection::arm(false);
        assert_eq!(statuses, [CTP_PANIC; 3]);
        assert_eq!((results[0].status, verdict.allowed), (77, 77), "nothing written");
        assert!(decision.ptr.is_null() && error.ptr.is_null());
        unsafe { ctp_engine_free(engine) };
    }

    #[test]
    fn every_item_gets_the_answer_of_check_json() {
        let mut engine = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut engine, ptr::null_mut()) }, CTP_OK);
        let texts: [&[u8]; 3] = [b"{\"customer_present\":true,\"body\":{}}", b"[", b"{\"customer_present\":1}"];
        let inputs: Vec<ctp_input> = texts.iter().map(|t| ctp_input { ptr: t.as_ptr(), len: t.len() }).collect();
        let mut results: Vec<ctp_result> =
            (0..3).map(|_| ctp_result { status: 0, allowed: 0, json: empty() }).collect();
        let mut counts = ctp_batch_counts { allowed: 9, denied: 9, invalid: 9 };
        let status =
            unsafe { ctp_check_many(engine, inputs.as_ptr(), 3, results.as_mut_ptr(), &mut counts, ptr::null_mut()) };
        assert_eq!(status, CTP_OK);
        assert_eq!((counts.allowed, counts.denied, counts.invalid), (0, 1, 2));
        for (text, result) in texts.iter().zip(&results) {
            let mut one = empty();
            let both: *mut ctp_buf = &mut one;
            let expected_status =
                unsafe { super::super::ctp_check_json(engine, text.as_ptr(), text.len(), both, both) };
            assert_eq!(result.status, expected_status);
            let got = unsafe { std::slice::from_raw_parts(result.json.ptr, result.json.len) };
            let want = unsafe { std::slice::from_raw_parts(one.ptr, one.len) };
            assert_eq!(got, want);
            unsafe { ctp_buf_free(&mut one) };
        }
        unsafe { ctp_results_free(results.as_mut_ptr(), 3) };
        assert!(results.iter().all(|r| r.json.ptr.is_null() && r.json.len == 0));
        unsafe { ctp_engine_free(engine) };
    }
}
