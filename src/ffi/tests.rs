//! The ABI's promises, each with a test. The C programs in tests/c/ check
//! the same from the C side, under sanitizers and valgrind.

use super::*;
use std::ffi::CStr;

const RENEWAL: &[u8] = br#"{"customer_present": false,
  "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:abc-123", "Klarna-Idempotency-Key": "k-1"},
  "token_record": {"customer_token": "krn:customer-token:eu1:abc-123", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
  "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1000, "payment_transaction_reference": "r-1"}}}"#;

fn empty_buf() -> ctp_buf {
    ctp_buf { ptr: ptr::null_mut(), len: 0 }
}

/// Takes the text out of a library buffer and frees it. The tests of the
/// other ffi modules (vault.rs) use it too, so that every one of them checks
/// that `ctp_buf_free` resets the buffer.
pub(crate) fn take(mut buf: ctp_buf) -> String {
    let text = if buf.ptr.is_null() {
        String::new()
    } else {
        String::from_utf8(unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec()).unwrap()
    };
    unsafe { ctp_buf_free(&mut buf) };
    assert!(buf.ptr.is_null() && buf.len == 0, "ctp_buf_free resets the buffer");
    text
}

fn new_engine(policy: &[u8]) -> *mut ctp_engine {
    let mut engine = ptr::null_mut();
    let status = unsafe { ctp_engine_new(policy.as_ptr(), policy.len(), &mut engine, ptr::null_mut()) };
    assert_eq!(status, CTP_OK);
    engine
}

/// Checks a request with one buffer as both `out` and `error` (exactly one
/// of them is written), as the bindings do: the decision or the error object.
fn check(engine: *const ctp_engine, request: &[u8]) -> (u32, String) {
    let mut buf = empty_buf();
    let both: *mut ctp_buf = &mut buf;
    let status = unsafe { ctp_check_json(engine, request.as_ptr(), request.len(), both, both) };
    (status, take(buf))
}

#[test]
fn status_constants_match_the_core_statuses() {
    let pairs = [
        (CTP_OK, Status::Ok),
        (CTP_INVALID_ARGUMENT, Status::InvalidArgument),
        (CTP_INVALID_UTF8, Status::InvalidUtf8),
        (CTP_PANIC, Status::Panic),
        (CTP_IO_ERROR, Status::IoError),
        (CTP_BUFFER_TOO_SMALL, Status::BufferTooSmall),
        (CTP_INVALID_REQUEST, Status::InvalidRequest),
        (CTP_INVALID_POLICY, Status::InvalidPolicy),
        (CTP_TOKEN_INVALID, Status::TokenInvalid),
        (CTP_TRANSITION_REJECTED, Status::TransitionRejected),
        (CTP_AUDIT_LOG_INVALID, Status::AuditLogInvalid),
        (CTP_AUDIT_HEAD_MISMATCH, Status::AuditHeadMismatch),
    ];
    assert_eq!(pairs.len(), Status::ALL.len());
    for (constant, status) in pairs {
        assert_eq!(constant, status as u32);
        let name = unsafe { CStr::from_ptr(ctp_status_name(constant)) };
        assert_eq!(name.to_str().unwrap(), status.name());
    }
    for unknown in [6, 99, 106, u32::MAX] {
        assert_eq!(unsafe { CStr::from_ptr(ctp_status_name(unknown)) }.to_str().unwrap(), "UNKNOWN");
    }
}

#[test]
fn version_macros_match_the_crate_version() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(format!("{CTP_VERSION_MAJOR}.{CTP_VERSION_MINOR}.{CTP_VERSION_PATCH}"), version);
    assert_eq!(CTP_VERSION_NUMBER, CTP_VERSION_MAJOR * 10000 + CTP_VERSION_MINOR * 100 + CTP_VERSION_PATCH);
    assert_eq!(unsafe { CStr::from_ptr(ctp_version()) }.to_str().unwrap(), version);
    assert_eq!(ctp_abi_version(), CTP_ABI_VERSION);
}

#[test]
fn reason_codes_come_from_the_rule_table() {
    for rule in crate::rules::RULES {
        let code = ctp_reason_code(u32::from(rule.id));
        assert_eq!(unsafe { CStr::from_ptr(code) }.to_str().unwrap(), rule.code);
    }
    let known = (0..1000).filter(|id| !ctp_reason_code(*id).is_null()).count();
    assert_eq!(known, crate::rules::RULES.len());
    assert!(ctp_reason_code(u32::MAX).is_null());
}

#[test]
fn every_export_turns_a_panic_into_its_fallback() {
    let engine = new_engine(b"");
    panic_injection::arm(true);
    let mut out = empty_buf();
    let mut error = empty_buf();
    let mut handle = ptr::null_mut();
    let results = [
        ("ctp_engine_new", unsafe { ctp_engine_new(ptr::null(), 0, &mut handle, &mut out) }),
        ("ctp_check_json", unsafe { ctp_check_json(engine, RENEWAL.as_ptr(), RENEWAL.len(), &mut out, &mut error) }),
        ("ctp_check_json_into", {
            let mut answer = [0u8; 64];
            let mut written = 0usize;
            let status = unsafe {
                ctp_check_json_into(
                    engine,
                    RENEWAL.as_ptr(),
                    RENEWAL.len(),
                    answer.as_mut_ptr(),
                    64,
                    &mut written,
                    &mut error,
                )
            };
            assert_eq!(written, 0, "nothing is written on a panic");
            status
        }),
        ("ctp_apply_event_json", unsafe {
            ctp_apply_event_json(ptr::null(), 0, b"{}".as_ptr(), 2, &mut out, &mut error)
        }),
        ("ctp_apply_response_json", unsafe {
            ctp_apply_response_json(
                ptr::null(),
                0,
                b"{}".as_ptr(),
                2,
                b"{}".as_ptr(),
                2,
                ptr::null(),
                0,
                &mut out,
                &mut error,
            )
        }),
        ("ctp_token_parse", unsafe { ctp_token_parse(b"krn:".as_ptr(), 4, &mut out, &mut error) }),
        ("ctp_abi_version", if ctp_abi_version() == 0 { CTP_PANIC } else { CTP_OK }),
    ];
    let version = unsafe { CStr::from_ptr(ctp_version()) }.to_str().unwrap().to_owned();
    let status_name = unsafe { CStr::from_ptr(ctp_status_name(CTP_OK)) }.to_str().unwrap().to_owned();
    let reason = ctp_reason_code(301);
    // The void exports must swallow the panic too: reaching the next line
    // proves they did not unwind into the caller.
    unsafe { ctp_buf_free(&mut out) };
    unsafe { ctp_engine_free(ptr::null_mut()) };
    panic_injection::arm(false);

    for (name, status) in results {
        assert_eq!(status, CTP_PANIC, "{name} must return CTP_PANIC when its body panics");
    }
    assert_eq!(version, "unknown");
    assert_eq!(status_name, "UNKNOWN");
    assert!(reason.is_null());
    assert!(handle.is_null() && out.ptr.is_null() && error.ptr.is_null(), "nothing is written when a call panics");
    unsafe { ctp_engine_free(engine) };
}

#[test]
fn null_arguments_are_invalid_not_undefined() {
    let engine = new_engine(b"");
    let mut out = empty_buf();
    unsafe {
        let mut error = empty_buf();
        let status = ctp_check_json(engine, RENEWAL.as_ptr(), RENEWAL.len(), ptr::null_mut(), &mut error);
        assert_eq!(status, CTP_INVALID_ARGUMENT);
        assert!(take(error).contains("\"message\":\"out is NULL\""));
        let status = ctp_check_json(engine, RENEWAL.as_ptr(), RENEWAL.len(), ptr::null_mut(), ptr::null_mut());
        assert_eq!(status, CTP_INVALID_ARGUMENT, "error may be NULL");
        let mut error = empty_buf();
        let status = ctp_check_json(ptr::null(), RENEWAL.as_ptr(), RENEWAL.len(), &mut out, &mut error);
        assert_eq!(status, CTP_INVALID_ARGUMENT);
        assert!(out.ptr.is_null(), "out is untouched on failure");
        let text = take(error);
        assert!(text.contains("\"status\":\"INVALID_ARGUMENT\"") && text.contains("engine is NULL"), "{text}");
        let mut error = empty_buf();
        assert_eq!(ctp_check_json(engine, ptr::null(), 5, &mut out, &mut error), CTP_INVALID_ARGUMENT);
        assert!(take(error).contains("request is NULL with a non-zero length"));
        let mut error = empty_buf();
        assert_eq!(ctp_token_parse(ptr::null(), 1, &mut out, &mut error), CTP_INVALID_ARGUMENT);
        assert!(take(error).contains("token is NULL with a non-zero length"));
        assert_eq!(ctp_engine_new(ptr::null(), 0, ptr::null_mut(), ptr::null_mut()), CTP_INVALID_ARGUMENT);
        let mut error = empty_buf();
        assert_eq!(ctp_apply_event_json(ptr::null(), 3, b"{}".as_ptr(), 2, &mut out, &mut error), CTP_INVALID_ARGUMENT);
        assert!(take(error).contains("record is NULL with a non-zero length"));
        assert!(out.ptr.is_null());
        ctp_buf_free(ptr::null_mut());
        ctp_engine_free(ptr::null_mut());
        ctp_engine_free(engine);
    }
}

#[test]
fn null_with_zero_length_is_the_empty_input() {
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = unsafe { ctp_token_parse(ptr::null(), 0, &mut out, &mut error) };
    assert_eq!(status, CTP_TOKEN_INVALID);
    assert!(out.ptr.is_null());
    assert!(take(error).contains("\"detail\":\"EMPTY\""));
    let engine = new_engine(b"");
    let (status, text) = check(engine, b"");
    assert_eq!(status, CTP_INVALID_REQUEST, "{text}");
    unsafe { ctp_engine_free(engine) };
}

#[test]
fn engine_out_parameter_is_written_only_on_success() {
    let sentinel = std::ptr::dangling_mut::<ctp_engine>();
    let mut engine = sentinel;
    let mut error = empty_buf();
    let policy = br#"{"allowed_region": ["eu1"]}"#;
    let status = unsafe { ctp_engine_new(policy.as_ptr(), policy.len(), &mut engine, &mut error) };
    assert_eq!(status, CTP_INVALID_POLICY);
    assert_eq!(engine, sentinel, "out must be untouched on failure");
    let text = take(error);
    assert!(text.contains("\"code\":\"UNKNOWN_FIELD\"") && text.contains("\"path\":\"/allowed_region\""), "{text}");
    let bad_utf8 = b"{\"version\": \"\xff\"}";
    let status = unsafe { ctp_engine_new(bad_utf8.as_ptr(), bad_utf8.len(), &mut engine, ptr::null_mut()) };
    assert_eq!(status, CTP_INVALID_UTF8);
    assert_eq!(engine, sentinel);
}

#[test]
fn bad_input_gets_a_status_and_an_error_object() {
    let engine = new_engine(b"");
    let too_large = vec![b' '; 1_048_577];
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: [(&[u8], u32, &str); 5] = [
        (b"{\"customer_present\": tr", CTP_INVALID_REQUEST, "JSON_SYNTAX"),
        (b"{\"customer_present\": true, \"body\": {\"a\": \"\xc3\x28\"}}", CTP_INVALID_UTF8, "INVALID_UTF8"),
        (&too_large, CTP_INVALID_REQUEST, "TOO_LARGE"),
        (deep.as_bytes(), CTP_INVALID_REQUEST, "TOO_DEEP"),
        (b"{\"customer_present\": true, \"body\": {}}\0", CTP_INVALID_REQUEST, "JSON_SYNTAX"),
    ];
    for (request, want_status, want) in cases {
        let (status, text) = check(engine, request);
        assert_eq!(status, want_status, "{text}");
        assert!(text.starts_with("{\"error\":") && text.contains(want), "{text}");
    }
    unsafe { ctp_engine_free(engine) };
}

#[test]
fn a_deny_is_ok_with_a_decision() {
    let engine = new_engine(b"");
    let request = br#"{"customer_present": false, "body": {"currency": "EUR"}}"#;
    let (status, text) = check(engine, request);
    assert_eq!(status, CTP_OK);
    assert!(text.contains("\"decision\":\"DENY\"") && text.contains("TOKEN_REQUIRED"), "{text}");
    unsafe { ctp_engine_free(engine) };
}

#[test]
fn one_engine_serves_many_threads() {
    let engine = new_engine(br#"{"allowed_regions": ["eu1"]}"#) as usize;
    let (_, expected) = check(engine as *const ctp_engine, RENEWAL);
    assert!(expected.contains("\"decision\":\"ALLOW\""), "{expected}");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let expected = expected.clone();
            std::thread::spawn(move || {
                for _ in 0..2_000 {
                    let (status, text) = check(engine as *const ctp_engine, RENEWAL);
                    assert_eq!((status, &text), (CTP_OK, &expected));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    unsafe { ctp_engine_free(engine as *mut ctp_engine) };
}

#[test]
fn token_parse_reports_the_detail_and_never_the_token() {
    let token = b"krn:customer-token:EU1:very-secret-id";
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = unsafe { ctp_token_parse(token.as_ptr(), token.len(), &mut out, &mut error) };
    assert_eq!(status, CTP_TOKEN_INVALID);
    assert!(out.ptr.is_null());
    let text = take(error);
    assert!(text.contains("\"code\":\"TOKEN_MALFORMED\"") && text.contains("\"detail\":\"BAD_REGION\""), "{text}");
    assert!(!text.contains("very-secret-id"), "{text}");
}

#[test]
fn apply_event_round_trip() {
    let event = br#"{"type": "REVOKED", "at": "2026-11-01T00:00:00Z", "by": "CUSTOMER"}"#;
    let record = br#"{"customer_token": "krn:customer-token:eu1:abc", "scopes": ["payment:customer_present"], "state": "ACTIVE", "x": 1.50}"#;
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = unsafe {
        ctp_apply_event_json(record.as_ptr(), record.len(), event.as_ptr(), event.len(), &mut out, &mut error)
    };
    assert_eq!(status, CTP_OK);
    assert!(error.ptr.is_null(), "error is untouched on CTP_OK");
    let text = take(out);
    assert!(
        text.contains("\"state\":\"REVOKED\"") && text.contains("\"x\":1.50") && text.ends_with("\"changed\":true}"),
        "{text}"
    );
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = unsafe { ctp_apply_event_json(ptr::null(), 0, event.as_ptr(), event.len(), &mut out, &mut error) };
    assert_eq!(status, CTP_TRANSITION_REJECTED);
    assert!(out.ptr.is_null());
    assert!(take(error).contains("RECORD_REQUIRED"));
}

#[test]
fn exactly_one_of_out_and_error_is_written() {
    let engine = new_engine(b"");
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = unsafe { ctp_check_json(engine, RENEWAL.as_ptr(), RENEWAL.len(), &mut out, &mut error) };
    assert_eq!(status, CTP_OK);
    assert!(error.ptr.is_null());
    assert!(take(out).starts_with("{\"decision\":"));
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = unsafe { ctp_check_json(engine, b"[".as_ptr(), 1, &mut out, &mut error) };
    assert_eq!(status, CTP_INVALID_REQUEST);
    assert!(out.ptr.is_null());
    assert!(take(error).starts_with("{\"error\":"));
    // The error object is the same bytes whichever buffer receives it.
    let (_, shared) = check(engine, b"[");
    let (mut out, mut error) = (empty_buf(), empty_buf());
    unsafe { ctp_check_json(engine, b"[".as_ptr(), 1, &mut out, &mut error) };
    assert_eq!(take(error), shared);
    unsafe { ctp_engine_free(engine) };
}
