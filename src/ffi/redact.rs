//! The C ABI of token hygiene (docs/HYGIENE.md H1, H2): redaction of a whole
//! text, a streaming redactor for hosts that redact a stream (a log
//! appender, a pipe), and the leak scan as JSON Lines.
//!
//! Input is any bytes (not necessarily UTF-8, NULs allowed): content never
//! makes these calls fail. Output bytes are owned by the library and
//! released with `ctp_buf_free`.

use super::{boundary, ctp_buf, exclusive, free, infallible, input, read_only, ExclusiveHandle, Handle, Out};
use crate::error::{Error, Status};
use crate::redact::{self, Redactor};

/// A streaming redactor: one stream (a log file, a pipe) in pieces cut
/// anywhere. Opaque. Not for use by two threads at once (it may be handed
/// from one thread to another between calls).
pub struct ctp_redactor {
    /// `None` once the stream has ended (`ctp_redactor_finish`).
    redactor: Option<Redactor>,
    /// Occurrences replaced by a stream that has ended.
    total: usize,
}

impl Handle for ctp_redactor {}
impl ExclusiveHandle for ctp_redactor {}

/// Replaces every customer-token occurrence in `text` with
/// `[customer-token sha256:<64 hex>]` and copies every other byte as it is.
///
/// - `text`/`text_len`: any bytes; `NULL`/0 is the empty text.
/// - `out`: must not be NULL. On `CTP_OK` it receives the redacted bytes
///   (not NUL-terminated; `ptr` NULL when the result is empty), a copy even
///   when nothing was replaced. Release it with `ctp_buf_free`.
/// - `count`: may be NULL; on `CTP_OK` it receives how many occurrences
///   were replaced.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` (`out` NULL, or `text` NULL
/// with a non-zero `text_len`; nothing else is written) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_redact(
    text: *const u8,
    text_len: usize,
    out: *mut ctp_buf,
    count: *mut usize,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let text = input(text, text_len, "text")?;
        let out = Out::required(out, "out")?;
        let mut redacted = Vec::with_capacity(text.len());
        let found = redact::redact_counted(text, &mut redacted);
        out.give(redacted);
        if let Some(count) = Out::optional(count) {
            count.write(found as usize);
        }
        Ok(())
    })
}

/// Makes a streaming redactor.
///
/// - `out`: must not be NULL; receives the redactor on `CTP_OK`. Release it
///   with `ctp_redactor_free`.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_redactor_new(out: *mut *mut ctp_redactor, error: *mut ctp_buf) -> u32 {
    boundary(error, || {
        let out = Out::required(out, "out")?;
        out.write(ctp_redactor { redactor: Some(Redactor::new()), total: 0 }.into_raw());
        Ok(())
    })
}

/// The stream of a redactor, refused once it has ended: writing after the
/// end would let the second half of a token cut by it out unredacted.
fn open_stream(redactor: &mut ctp_redactor) -> Result<&mut Redactor, Error> {
    redactor.redactor.as_mut().ok_or_else(|| {
        Error::new(Status::InvalidArgument, None, "redactor: the stream has ended (ctp_redactor_finish)")
    })
}

/// Redacts the next piece of the stream. The output of all writes and the
/// final `ctp_redactor_finish`, put together, is byte for byte
/// `ctp_redact` of the whole stream, however it was cut: an occurrence
/// split across two writes is still found and replaced whole. For that the
/// redactor holds back the bytes of one unfinished candidate (at most
/// 1 MiB and 2 bytes); they come out with a later write or with finish.
///
/// - `redactor`: from `ctp_redactor_new`.
/// - `text`/`text_len`: the next piece, any bytes; `NULL`/0 is an empty
///   piece. Not kept after the call (held-back bytes are copied, and wiped
///   when they leave the redactor).
/// - `out`: must not be NULL. On `CTP_OK` it receives the bytes decided by
///   this piece (often empty: `ptr` NULL, `len` 0). Release it with
///   `ctp_buf_free` (an empty one needs no free, but may be freed).
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` (a NULL `redactor` or `out`,
/// `text` NULL with a non-zero `text_len`, or a redactor whose stream has
/// ended with `ctp_redactor_finish`; nothing else is written) or
/// `CTP_PANIC` (after which the redactor may only be freed).
#[no_mangle]
pub unsafe extern "C" fn ctp_redactor_write(
    redactor: *mut ctp_redactor,
    text: *const u8,
    text_len: usize,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let text = input(text, text_len, "text")?;
        let redactor = exclusive(redactor, "redactor")?;
        let out = Out::required(out, "out")?;
        let stream = open_stream(redactor)?;
        let mut redacted = Vec::new();
        stream.write(text, &mut redacted);
        out.give(redacted);
        Ok(())
    })
}

/// Ends the stream for good: `out` receives the held-back bytes, redacted
/// (empty when nothing was held). Later `ctp_redactor_write` calls are
/// refused with `CTP_INVALID_ARGUMENT`: were they taken as a new stream,
/// a token cut by this end would come out as two plain halves that join
/// into the whole token. A new stream needs a new redactor. A second
/// finish gives an empty `out`; `ctp_redactor_count` still answers.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` (a NULL `redactor` or `out`)
/// or `CTP_PANIC`; `error` (may be NULL) receives the error object on failure.
#[no_mangle]
pub unsafe extern "C" fn ctp_redactor_finish(
    redactor: *mut ctp_redactor,
    out: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let redactor = exclusive(redactor, "redactor")?;
        let out = Out::required(out, "out")?;
        let mut redacted = Vec::new();
        if let Some(stream) = redactor.redactor.take() {
            redactor.total = stream.finish(&mut redacted) as usize;
        }
        out.give(redacted);
        Ok(())
    })
}

/// How many occurrences this redactor has replaced since it was made.
///
/// Returns `CTP_OK` (with `*count` written), `CTP_INVALID_ARGUMENT` (a
/// NULL argument) or `CTP_PANIC`; `error` (may be NULL) receives the error
/// object on failure.
#[no_mangle]
pub unsafe extern "C" fn ctp_redactor_count(
    redactor: *const ctp_redactor,
    count: *mut usize,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let redactor = read_only(redactor, "redactor")?;
        let count = Out::required(count, "count")?;
        count.write(redactor.redactor.as_ref().map_or(redactor.total, |stream| stream.total() as usize));
        Ok(())
    })
}

/// Releases a redactor, wiping the bytes it held back (they are lost: call
/// `ctp_redactor_finish` first to have them). `NULL` is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ctp_redactor_free(redactor: *mut ctp_redactor) {
    infallible((), || free(redactor))
}

/// The leak scan of a text: one JSON object a line (each ending in `\n`),
/// one per occurrence, in order:
/// `{"line":…,"column":…,"length":…,"fingerprint":"sha256:…","well_formed":…,"form":…,"region":…}`
/// (docs/HYGIENE.md H2 without `file`: `line` 1-based counting `\n`, `column`
/// the 1-based byte offset in its line, `length` in bytes as they stand;
/// `form` and `region` are `null` unless well-formed). No report holds the
/// token or any piece of it beyond its form and region.
///
/// - `text`/`text_len`: any bytes; `NULL`/0 is the empty text.
/// - `out`: must not be NULL; on `CTP_OK` receives the reports (`ptr`
///   NULL, `len` 0 when there are none). Release with `ctp_buf_free`.
/// - `count`: may be NULL; on `CTP_OK` receives the number of reports.
/// - `error`: may be NULL; receives the error object on failure.
///
/// Returns `CTP_OK`, `CTP_INVALID_ARGUMENT` (nothing else is written) or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_scan(
    text: *const u8,
    text_len: usize,
    out: *mut ctp_buf,
    count: *mut usize,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let text = input(text, text_len, "text")?;
        let out = Out::required(out, "out")?;
        let reports = redact::scan(text, None);
        let mut jsonl = String::new();
        for report in &reports {
            jsonl.push_str(&report.to_json());
            jsonl.push('\n');
        }
        out.give(jsonl.into_bytes());
        if let Some(count) = Out::optional(count) {
            count.write(reports.len());
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use super::*;
    use crate::ffi::{ctp_buf_free, panic_injection, CTP_INVALID_ARGUMENT, CTP_OK, CTP_PANIC};

    fn empty() -> ctp_buf {
        ctp_buf { ptr: ptr::null_mut(), len: 0 }
    }

    fn take(mut buf: ctp_buf) -> Vec<u8> {
        let bytes = if buf.ptr.is_null() {
            Vec::new()
        } else {
            unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec()
        };
        unsafe { ctp_buf_free(&mut buf) };
        bytes
    }

    const TEXT: &[u8] = b"a krn:customer-token:eu1:a1b2 b\n\xff krn%3Acustomer-token%3Aeu1%3Azz";

    #[test]
    fn redact_gives_the_bytes_and_the_count() {
        let mut out = empty();
        let mut count = 99;
        assert_eq!(unsafe { ctp_redact(TEXT.as_ptr(), TEXT.len(), &mut out, &mut count, ptr::null_mut()) }, CTP_OK);
        assert_eq!(count, 2);
        assert_eq!(take(out), redact::redact(TEXT).into_owned());
        let mut out = empty();
        assert_eq!(unsafe { ctp_redact(ptr::null(), 0, &mut out, ptr::null_mut(), ptr::null_mut()) }, CTP_OK);
        assert!(out.ptr.is_null());
        assert_eq!(
            unsafe { ctp_redact(ptr::null(), 1, &mut out, ptr::null_mut(), ptr::null_mut()) },
            CTP_INVALID_ARGUMENT
        );
        assert_eq!(
            unsafe { ctp_redact(TEXT.as_ptr(), 1, ptr::null_mut(), ptr::null_mut(), ptr::null_mut()) },
            CTP_INVALID_ARGUMENT
        );
    }

    #[test]
    fn a_stream_byte_by_byte_is_the_whole() {
        let mut handle = ptr::null_mut();
        assert_eq!(unsafe { ctp_redactor_new(&mut handle, ptr::null_mut()) }, CTP_OK);
        let mut all = Vec::new();
        for byte in TEXT {
            let mut out = empty();
            assert_eq!(unsafe { ctp_redactor_write(handle, byte, 1, &mut out, ptr::null_mut()) }, CTP_OK);
            all.extend(take(out));
        }
        let mut out = empty();
        assert_eq!(unsafe { ctp_redactor_finish(handle, &mut out, ptr::null_mut()) }, CTP_OK);
        all.extend(take(out));
        assert_eq!(all, redact::redact(TEXT).into_owned());
        let mut count = 0;
        assert_eq!(unsafe { ctp_redactor_count(handle, &mut count, ptr::null_mut()) }, CTP_OK);
        assert_eq!(count, 2);
        let mut out = empty();
        assert_eq!(
            unsafe { ctp_redactor_write(handle, ptr::null(), 3, &mut out, ptr::null_mut()) },
            CTP_INVALID_ARGUMENT
        );
        assert_eq!(
            unsafe { ctp_redactor_write(ptr::null_mut(), TEXT.as_ptr(), 1, &mut out, ptr::null_mut()) },
            CTP_INVALID_ARGUMENT
        );
        unsafe { ctp_redactor_free(handle) };
        unsafe { ctp_redactor_free(ptr::null_mut()) };
    }

    #[test]
    fn finish_ends_the_stream_for_good() {
        let mut handle = ptr::null_mut();
        assert_eq!(unsafe { ctp_redactor_new(&mut handle, ptr::null_mut()) }, CTP_OK);
        let (first, second) = (b"id krn:customer-token:eu1:a1b2c3d4", b"e5f6a7b8 done\n");
        let mut out = empty();
        assert_eq!(
            unsafe { ctp_redactor_write(handle, first.as_ptr(), first.len(), &mut out, ptr::null_mut()) },
            CTP_OK
        );
        let mut all = take(out);
        let mut out = empty();
        assert_eq!(unsafe { ctp_redactor_finish(handle, &mut out, ptr::null_mut()) }, CTP_OK);
        all.extend(take(out));
        // The second half is refused, not taken as a new stream that would
        // let it out next to the first.
        let mut out = empty();
        let mut error = empty();
        let status = unsafe { ctp_redactor_write(handle, second.as_ptr(), second.len(), &mut out, &mut error) };
        assert_eq!(status, CTP_INVALID_ARGUMENT);
        assert!(out.ptr.is_null());
        assert!(String::from_utf8(take(error)).unwrap().contains("the stream has ended"));
        let mut out = empty();
        assert_eq!(unsafe { ctp_redactor_finish(handle, &mut out, ptr::null_mut()) }, CTP_OK);
        assert!(out.ptr.is_null());
        let mut count = 0;
        assert_eq!(unsafe { ctp_redactor_count(handle, &mut count, ptr::null_mut()) }, CTP_OK);
        assert_eq!(count, 1);
        assert_eq!(all, redact::redact(first).into_owned());
        assert!(!String::from_utf8_lossy(&all).contains("a1b2c3d4"));
        unsafe { ctp_redactor_free(handle) };
    }

    #[test]
    fn scan_gives_json_lines_without_file() {
        let mut out = empty();
        let mut count = 0;
        assert_eq!(unsafe { ctp_scan(TEXT.as_ptr(), TEXT.len(), &mut out, &mut count, ptr::null_mut()) }, CTP_OK);
        let text = String::from_utf8(take(out)).unwrap();
        assert_eq!(count, 2);
        assert_eq!(text.lines().count(), 2);
        assert!(text.starts_with("{\"line\":1,\"column\":3,\"length\":27,\"fingerprint\":\"sha256:"), "{text}");
        assert!(text.ends_with("\"well_formed\":true,\"form\":\"network\",\"region\":\"eu1\"}\n"), "{text}");
        assert!(!text.contains("a1b2") && !text.contains("customer-token:"));
    }

    #[test]
    fn every_export_here_turns_a_panic_into_its_fallback() {
        let mut handle = ptr::null_mut();
        assert_eq!(unsafe { ctp_redactor_new(&mut handle, ptr::null_mut()) }, CTP_OK);
        let mut out = empty();
        let mut count = 0usize;
        let mut total = 0usize;
        panic_injection::arm(true);
        let statuses = unsafe {
            [
                ctp_redact(TEXT.as_ptr(), TEXT.len(), &mut out, &mut count, ptr::null_mut()),
                ctp_redactor_new(&mut handle, ptr::null_mut()),
                ctp_redactor_write(handle, TEXT.as_ptr(), TEXT.len(), &mut out, ptr::null_mut()),
                ctp_redactor_finish(handle, &mut out, ptr::null_mut()),
                ctp_redactor_count(handle, &mut total, ptr::null_mut()),
                ctp_scan(TEXT.as_ptr(), TEXT.len(), &mut out, &mut count, ptr::null_mut()),
            ]
        };
        unsafe { ctp_redactor_free(handle) }; // a panic here is swallowed: leaks, never unwinds
        panic_injection::arm(false);
        assert!(statuses.iter().all(|&s| s == CTP_PANIC), "{statuses:?}");
        assert!(out.ptr.is_null());
        unsafe { ctp_redactor_free(handle) };
    }
}
