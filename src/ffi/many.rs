//! `ctp_check_many`: many requests in one call, one result per request.
//!
//! There is no JSON Lines text on either side: the caller passes an array
//! of (pointer, length) requests and gets an array of results, each with
//! its own status number, so no binding splits lines or maps status names
//! back to numbers.

use super::CTP_OK;
use super::{boundary, ctp_buf, ctp_buf_free, ctp_engine, ctp_input, infallible, input, into_buf, items, shared};
use super::{CallerBuffer, Failure, Out};
use crate::decision::Engine;
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
        let (engine, requests) = batch_arguments(engine, requests, request_count, results.is_null())?;
        // Every answer is made before any is handed over, so a panic part
        // way leaves the caller's array untouched and frees what was made.
        let mut answers: Vec<(u32, u32, String)> = Vec::with_capacity(request_count);
        let mut totals = ctp_batch_counts { allowed: 0, denied: 0, invalid: 0 };
        let mut scratch = String::new();
        for (index, request) in requests.iter().enumerate() {
            scratch.clear();
            let answer = match decide_one(engine, request, index, &mut scratch) {
                Ok(true) => {
                    totals.allowed += 1;
                    (CTP_OK, 1, String::from(scratch.as_str()))
                }
                Ok(false) => {
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

/// One answer of `ctp_check_many_into`: where it lies in the caller's buffer.
#[repr(C)]
pub struct ctp_placed_result {
    /// The status `ctp_check_json` returns for this request (`CTP_OK` for a
    /// decision, ALLOW or DENY).
    pub status: u32,
    /// 1 when `status` is `CTP_OK` and the decision is ALLOW, else 0.
    pub allowed: u32,
    /// Where the answer starts in the call's `out`, in bytes.
    pub offset: usize,
    /// The answer's length in bytes: the decision JSON on `CTP_OK`, the
    /// error object otherwise.
    pub len: usize,
}

/// Decides `request_count` requests as `ctp_check_many` does, with every
/// answer written back to back into one buffer the caller owns: no
/// allocation, copy or wipe per result, and nothing to free.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `requests`: `request_count` inputs; may be NULL only when the count is
///   0. An input that is NULL with a length gets its own
///   `CTP_INVALID_ARGUMENT` result; the others are decided all the same.
/// - `results`: room for `request_count` results, written only on `CTP_OK`,
///   in the order of `requests`; may be NULL only when the count is 0.
///   `results[i]` is the `offset` and `len` of request `i`'s answer in `out`
///   (the bytes `ctp_check_many` gives in `results[i].json`).
/// - `out`/`capacity`: the caller's buffer of `capacity` bytes; `out` may
///   be NULL only when `capacity` is 0 (a call that asks for the size
///   alone). The answers are not NUL-terminated. On any status but `CTP_OK`
///   its bytes are unspecified (answers that fitted may have been copied
///   in) and must not be read.
/// - `written`: must not be NULL. On `CTP_OK` it receives the length of
///   all the answers together; on `CTP_BUFFER_TOO_SMALL` the length needed
///   (the same requests on the same engine give the same answers, so a
///   retry with at least that many bytes fits); on any other status it is
///   not written.
/// - `counts`: may be NULL; receives how many were ALLOW, DENY and not
///   decided (any other status), on `CTP_OK` only.
/// - `error`: may be NULL; receives the error object when the call itself
///   fails (the per-request errors are in `out`), not on
///   `CTP_BUFFER_TOO_SMALL`.
///
/// Returns `CTP_OK` when every request was handled (whatever each result),
/// `CTP_BUFFER_TOO_SMALL`, `CTP_INVALID_ARGUMENT` (NULL engine, NULL
/// `requests`/`results` with a count, NULL `out` with a capacity, NULL
/// `written`) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_many_into(
    engine: *const ctp_engine,
    requests: *const ctp_input,
    request_count: usize,
    results: *mut ctp_placed_result,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    counts: *mut ctp_batch_counts,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let (engine, requests) = batch_arguments(engine, requests, request_count, results.is_null())?;
        let out = CallerBuffer::lent(out, capacity, "out")?;
        let written = Out::required(written, "written")?;
        // The places are kept here and handed over at the end, so the
        // caller's results are written only on `CTP_OK`.
        let mut placed: Vec<ctp_placed_result> = Vec::with_capacity(request_count);
        let mut totals = ctp_batch_counts { allowed: 0, denied: 0, invalid: 0 };
        let mut end = 0usize;
        let mut fits = true;
        // One scratch for the whole call: each answer is written into it
        // while it is still in the first-level cache and copied straight
        // to its place, so the call allocates once, not once per request.
        let mut scratch = String::with_capacity(SCRATCH_BYTES);
        for (index, request) in requests.iter().enumerate() {
            scratch.clear();
            let (status, allowed) = match decide_one(engine, request, index, &mut scratch) {
                Ok(true) => {
                    totals.allowed += 1;
                    (CTP_OK, 1)
                }
                Ok(false) => {
                    totals.denied += 1;
                    (CTP_OK, 0)
                }
                Err(failure) => {
                    totals.invalid += 1;
                    scratch.clear();
                    scratch.push_str(&failure.to_json());
                    (failure.status as u32, 0)
                }
            };
            let len = scratch.len();
            // Once one answer does not fit, none after it is copied: the
            // call only counts the size the caller needs.
            fits = fits && out.fill_at(end, scratch.as_bytes());
            placed.push(ctp_placed_result { status, allowed, offset: end, len });
            end += len;
        }
        written.write(end);
        if !fits {
            return Err(Failure::BufferTooSmall);
        }
        // SAFETY: `results` is not NULL when there is a request (checked
        // above) and holds `request_count` entries (header contract);
        // `placed` has exactly that many, made in this call.
        if request_count > 0 {
            std::ptr::copy_nonoverlapping(placed.as_ptr(), results, request_count);
        }
        if let Some(counts) = counts.as_mut() {
            *counts = totals;
        }
        Ok(())
    })
}

/// Room for one decision with a few findings (the writer reserves as much).
const SCRATCH_BYTES: usize = 1024;

/// The arguments both batch calls share, checked in one order: the
/// engine, the requests, then a results array for a non-empty batch.
unsafe fn batch_arguments<'a>(
    engine: *const ctp_engine,
    requests: *const ctp_input,
    request_count: usize,
    results_is_null: bool,
) -> Result<(&'a Engine, &'a [ctp_input]), Error> {
    let engine = shared(engine, "engine")?;
    let requests = items(requests, request_count, "requests")?;
    if results_is_null && request_count > 0 {
        return Err(Error::new(Status::InvalidArgument, None, "results is NULL with a non-zero length"));
    }
    Ok((&engine.engine, requests))
}

/// Decides request `index` of a batch into `scratch`: whether it is ALLOW,
/// or the error its result carries. Inlined into both batch loops, as the
/// loop of `ctp_check_many` was written before it was shared: out of line
/// it was one more call per request, and both batch rows were 0 to 5 %
/// slower (docs/BENCHMARKS.md, "The batch written in place").
#[inline(always)]
fn decide_one(engine: &Engine, request: &ctp_input, index: usize, scratch: &mut String) -> Result<bool, Error> {
    // SAFETY: the caller passes each input as a readable (pointer, length)
    // pair (header contract); NULL with a length is refused here.
    match unsafe { input(request.ptr, request.len, "requests[i].ptr") } {
        Ok(bytes) => engine.check_json_into(bytes, scratch).map(|outcome| outcome.allowed()),
        // The item's name is written only when it is at fault: a string
        // built per request would cost the batch a tenth of its time.
        Err(_) => Err(Error::new(
            Status::InvalidArgument,
            None,
            format!("requests[{index}].ptr is NULL with a non-zero length"),
        )),
    }
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
        let mut places = [ctp_placed_result { status: 77, allowed: 77, offset: 77, len: 77 }];
        let (mut answers, mut written) = ([0u8; 1024], 77usize);
        panic_injection::arm(true);
        let statuses = unsafe {
            [
                ctp_check_many(engine, inputs.as_ptr(), 1, results.as_mut_ptr(), ptr::null_mut(), &mut error),
                ctp_check_many_into(
                    engine,
                    inputs.as_ptr(),
                    1,
                    places.as_mut_ptr(),
                    answers.as_mut_ptr(),
                    answers.len(),
                    &mut written,
                    ptr::null_mut(),
                    &mut error,
                ),
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
        assert_eq!(statuses, [CTP_PANIC; 4]);
        assert_eq!((results[0].status, verdict.allowed), (77, 77), "nothing written");
        assert_eq!((places[0].status, places[0].len, written), (77, 77, 77), "nothing written");
        assert!(answers.iter().all(|&b| b == 0), "nothing written");
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

    /// `ctp_check_many_into` on `texts`, into a buffer of `capacity` bytes
    /// filled with 0xAA: status, places, `written`, counts and the buffer.
    fn many_into(
        engine: *const ctp_engine,
        texts: &[&[u8]],
        capacity: usize,
    ) -> (u32, Vec<ctp_placed_result>, usize, ctp_batch_counts, Vec<u8>) {
        let inputs: Vec<ctp_input> = texts.iter().map(|t| ctp_input { ptr: t.as_ptr(), len: t.len() }).collect();
        let mut places: Vec<ctp_placed_result> =
            texts.iter().map(|_| ctp_placed_result { status: 77, allowed: 77, offset: 77, len: 77 }).collect();
        let mut answers = vec![0xAAu8; capacity];
        let mut written = 77usize;
        let mut counts = ctp_batch_counts { allowed: 77, denied: 77, invalid: 77 };
        let mut error = empty();
        let status = unsafe {
            ctp_check_many_into(
                engine,
                inputs.as_ptr(),
                inputs.len(),
                places.as_mut_ptr(),
                answers.as_mut_ptr(),
                capacity,
                &mut written,
                &mut counts,
                &mut error,
            )
        };
        assert!(error.ptr.is_null(), "no error object for a call that is not at fault");
        (status, places, written, counts, answers)
    }

    #[test]
    fn every_placed_answer_is_the_answer_of_check_many() {
        let mut engine = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut engine, ptr::null_mut()) }, CTP_OK);
        let allow = br#"{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:c-1","Klarna-Idempotency-Key":"k-1"},"token_record":{"customer_token":"krn:customer-token:eu1:c-1","scopes":["payment:customer_not_present"],"state":"ACTIVE"},"body":{"currency":"EUR","request_payment_transaction":{"amount":1000,"payment_transaction_reference":"r-1"}}}"#;
        let texts: [&[u8]; 4] = [allow, b"{\"customer_present\":true,\"body\":{}}", b"[", b"{\"customer_present\":1}"];
        let inputs: Vec<ctp_input> = texts.iter().map(|t| ctp_input { ptr: t.as_ptr(), len: t.len() }).collect();
        let mut results: Vec<ctp_result> =
            (0..texts.len()).map(|_| ctp_result { status: 0, allowed: 0, json: empty() }).collect();
        let status = unsafe {
            ctp_check_many(engine, inputs.as_ptr(), texts.len(), results.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
        };
        assert_eq!(status, CTP_OK);
        let total: usize = results.iter().map(|r| r.json.len).sum();
        let (status, places, written, counts, answers) = many_into(engine, &texts, total);
        assert_eq!((status, written), (CTP_OK, total));
        assert_eq!((counts.allowed, counts.denied, counts.invalid), (1, 1, 2));
        let mut offset = 0;
        for (place, result) in places.iter().zip(&results) {
            assert_eq!((place.status, place.allowed), (result.status, result.allowed));
            assert_eq!((place.offset, place.len), (offset, result.json.len), "back to back, in order");
            let want = unsafe { std::slice::from_raw_parts(result.json.ptr, result.json.len) };
            assert_eq!(&answers[place.offset..place.offset + place.len], want);
            offset += place.len;
        }
        unsafe { ctp_results_free(results.as_mut_ptr(), texts.len()) };
        unsafe { ctp_engine_free(engine) };
    }

    #[test]
    fn a_short_buffer_learns_the_exact_size_and_gets_no_results() {
        let mut engine = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut engine, ptr::null_mut()) }, CTP_OK);
        let texts: [&[u8]; 3] =
            [b"{\"customer_present\":true,\"body\":{}}", b"[", b"{\"customer_present\":true,\"body\":{}}"];
        let (status, _, needed, _, _) = many_into(engine, &texts, 0);
        assert_eq!(status, super::super::CTP_BUFFER_TOO_SMALL);
        for capacity in [1, needed / 2, needed - 1] {
            let (status, places, written, counts, _) = many_into(engine, &texts, capacity);
            assert_eq!((status, written), (super::super::CTP_BUFFER_TOO_SMALL, needed), "capacity {capacity}");
            assert!(places.iter().all(|p| (p.status, p.allowed, p.offset, p.len) == (77, 77, 77, 77)));
            assert_eq!((counts.allowed, counts.denied, counts.invalid), (77, 77, 77));
        }
        // Exactly the size reported fits, and so does more.
        for capacity in [needed, needed + 100] {
            let (status, places, written, _, answers) = many_into(engine, &texts, capacity);
            assert_eq!((status, written), (CTP_OK, needed));
            assert_eq!(places.iter().map(|p| p.len).sum::<usize>(), needed);
            assert!(answers[needed..].iter().all(|&b| b == 0xAA), "nothing written past the answers");
        }
        unsafe { ctp_engine_free(engine) };
    }

    #[test]
    fn bad_arguments_are_refused_and_nothing_is_written() {
        let mut engine = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut engine, ptr::null_mut()) }, CTP_OK);
        let request = b"{\"customer_present\":true,\"body\":{}}";
        let inputs = [ctp_input { ptr: request.as_ptr(), len: request.len() }];
        let mut places = [ctp_placed_result { status: 77, allowed: 77, offset: 77, len: 77 }];
        let mut answers = [0u8; 1024];
        let null_input = [ctp_input { ptr: ptr::null(), len: 5 }];
        let cases: [(&str, *const ctp_engine, *const ctp_input, *mut ctp_placed_result, *mut u8, bool); 5] = [
            ("engine is NULL", ptr::null(), inputs.as_ptr(), places.as_mut_ptr(), answers.as_mut_ptr(), true),
            ("requests is NULL", engine, ptr::null(), places.as_mut_ptr(), answers.as_mut_ptr(), true),
            ("results is NULL", engine, inputs.as_ptr(), ptr::null_mut(), answers.as_mut_ptr(), true),
            ("out is NULL", engine, inputs.as_ptr(), places.as_mut_ptr(), ptr::null_mut(), true),
            ("written is NULL", engine, inputs.as_ptr(), places.as_mut_ptr(), answers.as_mut_ptr(), false),
        ];
        for (message, engine, requests, results, out, with_written) in cases {
            let mut written = 77usize;
            let written_ptr: *mut usize = if with_written { &mut written } else { ptr::null_mut() };
            let mut error = empty();
            let status = unsafe {
                ctp_check_many_into(engine, requests, 1, results, out, 1024, written_ptr, ptr::null_mut(), &mut error)
            };
            assert_eq!(status, super::super::CTP_INVALID_ARGUMENT, "{message}");
            let object = crate::ffi::tests::take(error);
            assert!(object.contains(message), "{message}: {object}");
            assert_eq!(written, 77, "{message}: written untouched");
        }
        assert_eq!((places[0].status, places[0].len), (77, 77));
        // A NULL item with a length is that item's own result, not the call's fault.
        let (status, places, written, counts, answers) = many_into(engine, &[], 0);
        assert_eq!((status, places.len(), written, counts.invalid), (CTP_OK, 0, 0, 0));
        assert!(answers.is_empty());
        let (mut written, mut places, mut answers) = (0usize, places_of(1), vec![0u8; 1024]);
        let status = unsafe {
            ctp_check_many_into(
                engine,
                null_input.as_ptr(),
                1,
                places.as_mut_ptr(),
                answers.as_mut_ptr(),
                1024,
                &mut written,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        assert_eq!(status, CTP_OK);
        assert_eq!(
            (places[0].status, places[0].offset, places[0].len),
            (super::super::CTP_INVALID_ARGUMENT, 0, written)
        );
        let object = std::str::from_utf8(&answers[..written]).unwrap();
        assert!(object.contains("requests[0].ptr is NULL with a non-zero length"), "{object}");
        // No requests: every array may be NULL.
        let status = unsafe {
            ctp_check_many_into(
                engine,
                ptr::null(),
                0,
                ptr::null_mut(),
                ptr::null_mut(),
                0,
                &mut written,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        assert_eq!((status, written), (CTP_OK, 0));
        unsafe { ctp_engine_free(engine) };
    }

    fn places_of(count: usize) -> Vec<ctp_placed_result> {
        (0..count).map(|_| ctp_placed_result { status: 0, allowed: 0, offset: 0, len: 0 }).collect()
    }
}
