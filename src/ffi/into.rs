//! `ctp_check_json_into`: the JSON path answering into the caller's memory.
//!
//! `ctp_check_json` hands every decision over in a fresh library buffer that
//! the caller frees (one allocation, one wipe, one free per call). A caller
//! that keeps one buffer of its own across calls skips all three: the
//! decision is written into the thread's reused scratch string and copied
//! out. A buffer too small gets the exact size needed and a status of its
//! own, so one retry with that size always fits.

use super::{boundary, ctp_buf, ctp_engine, input, shared, with_decision, CallerBuffer, Failure, Out};

/// The pre-flight check of `ctp_check_json`, with the decision written
/// into a buffer the caller owns.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `request`/`request_len`: the pre-flight request (docs/RULES.md, "The request").
/// - `out`/`capacity`: the caller's buffer of `capacity` bytes; `out` may
///   be NULL only when `capacity` is 0 (a call that asks for the size
///   alone). On `CTP_OK` its first `*written` bytes are the decision JSON,
///   byte for byte what `ctp_check_json` gives (not NUL-terminated); on
///   any other status it is not written.
/// - `written`: must not be NULL. On `CTP_OK` it receives the decision's
///   length; on `CTP_BUFFER_TOO_SMALL` the length needed (the same request
///   on the same engine gives the same decision, so a retry with at least
///   that many bytes fits); on any other status it is not written.
/// - `error`: may be NULL; receives the error object on any status but
///   `CTP_OK`, `CTP_BUFFER_TOO_SMALL` and `CTP_PANIC` (release it with
///   `ctp_buf_free`).
///
/// A DENY decision is `CTP_OK` with `"decision": "DENY"`. Returns `CTP_OK`,
/// `CTP_BUFFER_TOO_SMALL` (the request was decided, nothing but `*written`
/// was written: no error object), `CTP_INVALID_ARGUMENT`,
/// `CTP_INVALID_UTF8`, `CTP_INVALID_REQUEST` or `CTP_PANIC`. Any status but
/// `CTP_OK` means "no decision in the buffer": treat it as DENY. Once the
/// thread is warm, a call that returns `CTP_OK` or `CTP_BUFFER_TOO_SMALL`
/// allocates nothing.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_json_into(
    engine: *const ctp_engine,
    request: *const u8,
    request_len: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let engine = shared(engine, "engine")?;
        let request = input(request, request_len, "request")?;
        let out = CallerBuffer::lent(out, capacity, "out")?;
        let written = Out::required(written, "written")?;
        let (fitted, len) = with_decision(&engine.engine, request, |decision| (out.fill(decision), decision.len()))?;
        // The decision's length either way: what was written, or the size needed.
        written.write(len);
        if fitted {
            Ok(())
        } else {
            Err(Failure::BufferTooSmall)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::tests::take;
    use crate::ffi::{
        ctp_check_json, ctp_engine_free, ctp_engine_new, CTP_BUFFER_TOO_SMALL, CTP_INVALID_ARGUMENT,
        CTP_INVALID_REQUEST, CTP_OK,
    };

    fn engine() -> *mut ctp_engine {
        let mut handle = ptr::null_mut();
        assert_eq!(unsafe { ctp_engine_new(ptr::null(), 0, &mut handle, ptr::null_mut()) }, CTP_OK);
        handle
    }

    fn empty() -> ctp_buf {
        ctp_buf { ptr: ptr::null_mut(), len: 0 }
    }

    /// `ctp_check_json_into` on `request`, the buffer and the out-parameters as given.
    fn decide_into(
        engine: *const ctp_engine,
        request: &[u8],
        out: *mut u8,
        capacity: usize,
        written: &mut usize,
        error: &mut ctp_buf,
    ) -> u32 {
        unsafe { ctp_check_json_into(engine, request.as_ptr(), request.len(), out, capacity, written, error) }
    }

    /// What `ctp_check_json` answers: its status and the decision or error object.
    fn library_answer(engine: *const ctp_engine, request: &[u8]) -> (u32, String) {
        let mut buf = empty();
        let both: *mut ctp_buf = &mut buf;
        let status = unsafe { ctp_check_json(engine, request.as_ptr(), request.len(), both, both) };
        (status, take(buf))
    }

    const ALLOW: &[u8] = br#"{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:c-1","Klarna-Idempotency-Key":"k-1"},"token_record":{"customer_token":"krn:customer-token:eu1:c-1","scopes":["payment:customer_not_present"],"state":"ACTIVE"},"body":{"currency":"EUR","request_payment_transaction":{"amount":1000,"payment_transaction_reference":"r-1"}}}"#;
    const DENY: &[u8] = br#"{"customer_present":false,"headers":{},"body":{}}"#;
    const INVALID: &[u8] = br#"{"customer_present":"no","body":{}}"#;

    #[test]
    fn a_decision_is_the_bytes_of_ctp_check_json_and_a_short_buffer_learns_the_size() {
        let handle = engine();
        for request in [ALLOW, DENY] {
            let (expected_status, expected) = library_answer(handle, request);
            assert_eq!(expected_status, CTP_OK);
            // One byte short: the status says so, `written` the size, nothing else is written.
            let mut short = vec![0xAAu8; expected.len() - 1];
            let mut needed = 0usize;
            let mut error = empty();
            let status = decide_into(handle, request, short.as_mut_ptr(), short.len(), &mut needed, &mut error);
            assert_eq!((status, needed), (CTP_BUFFER_TOO_SMALL, expected.len()));
            assert!(short.iter().all(|&b| b == 0xAA), "a short buffer is left untouched");
            assert!(error.ptr.is_null() && error.len == 0, "no error object for a short buffer");
            // The size alone: no buffer at all.
            needed = 0;
            let status = decide_into(handle, request, ptr::null_mut(), 0, &mut needed, &mut error);
            assert_eq!((status, needed), (CTP_BUFFER_TOO_SMALL, expected.len()));
            // Exactly big enough: the same bytes.
            let mut exact = vec![0u8; needed];
            let mut written = 0usize;
            let status = decide_into(handle, request, exact.as_mut_ptr(), exact.len(), &mut written, &mut error);
            assert_eq!((status, written), (CTP_OK, expected.len()));
            assert_eq!(exact, expected.as_bytes());
            assert!(error.ptr.is_null(), "no error object on CTP_OK");
        }
        unsafe { ctp_engine_free(handle) };
    }

    #[test]
    fn a_request_that_cannot_be_decided_answers_the_error_object_of_ctp_check_json() {
        let handle = engine();
        let (expected_status, expected) = library_answer(handle, INVALID);
        assert_eq!(expected_status, CTP_INVALID_REQUEST);
        let mut buffer = [0x55u8; 256];
        let mut written = 7usize;
        let mut error = empty();
        let status = decide_into(handle, INVALID, buffer.as_mut_ptr(), 256, &mut written, &mut error);
        assert_eq!(status, CTP_INVALID_REQUEST);
        assert_eq!(take(error), expected);
        assert_eq!(written, 7, "written is not written on failure");
        assert!(buffer.iter().all(|&b| b == 0x55), "the buffer is not written on failure");
        unsafe { ctp_engine_free(handle) };
    }

    #[test]
    fn bad_arguments_are_refused_naming_the_parameter() {
        let handle = engine();
        let mut buffer = [0u8; 512];
        let mut written = 0usize;
        let cases: [(*const ctp_engine, *const u8, *mut u8, usize, *mut usize, &str); 4] = [
            (ptr::null(), ALLOW.as_ptr(), buffer.as_mut_ptr(), 512, &mut written, "engine is NULL"),
            (handle, ptr::null(), buffer.as_mut_ptr(), 512, &mut written, "request is NULL with a non-zero length"),
            (handle, ALLOW.as_ptr(), ptr::null_mut(), 16, &mut written, "out is NULL with a non-zero capacity"),
            (handle, ALLOW.as_ptr(), buffer.as_mut_ptr(), 512, ptr::null_mut(), "written is NULL"),
        ];
        for (engine, request, out, capacity, written_ptr, what) in cases {
            let mut error = empty();
            let status =
                unsafe { ctp_check_json_into(engine, request, ALLOW.len(), out, capacity, written_ptr, &mut error) };
            assert_eq!(status, CTP_INVALID_ARGUMENT, "{what}");
            let object = take(error);
            assert!(object.starts_with(r#"{"error":"#) && object.contains(what), "{object}");
        }
        assert_eq!(written, 0, "written is not written on failure");
        unsafe { ctp_engine_free(handle) };
    }
}
