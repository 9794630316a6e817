//! The one prologue of every export. Each `extern "C" fn` body is a single
//! call to [`boundary`] (a fallible call: status + error object) or
//! [`infallible`] (a free or a static string), and inside it reads its
//! arguments only through the checked readers below. So every export, by
//! construction, catches panics, refuses NULL where a pointer is required,
//! refuses NULL with a length, says what was wrong in the same error object
//! and writes its outputs only on success. `tests/abi_surface.rs` holds
//! every export of the header to it.
//!
//! Why functions and not a macro around the whole `fn`: cbindgen reads the
//! source without expanding macros, so the exports must stay plain
//! `extern "C" fn` items for the header to be generated from them.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::{ctp_buf, CTP_OK, CTP_PANIC};
use crate::audit::AuditFailure;
use crate::error::{Error, Status};

/// What a failed call hands the caller: its status number and its error
/// object `{"error": {...}}`. Every export reports through this one type;
/// the two kinds keep their own object's bytes (the vectors pin them).
pub(crate) enum Failure {
    /// A fault of the call or of what was passed (the engine's `Error`).
    Call(Error),
    /// A fault of the audit trail (its own object, with `line` and `seq`).
    Audit(AuditFailure),
    /// The caller's buffer is smaller than the answer. The size needed was
    /// already reported through the call's own `written`; the status says
    /// the rest, so no error object is made (the call stays free of
    /// allocation even then).
    BufferTooSmall,
}

impl Failure {
    fn status(&self) -> u32 {
        match self {
            Failure::Call(error) => error.status as u32,
            Failure::Audit(failure) => failure.status() as u32,
            Failure::BufferTooSmall => Status::BufferTooSmall as u32,
        }
    }

    /// The error object, `None` for the one failure that has none.
    fn to_json(&self) -> Option<String> {
        match self {
            Failure::Call(error) => Some(error.to_json()),
            Failure::Audit(failure) => Some(failure.to_json()),
            Failure::BufferTooSmall => None,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Call(error)
    }
}

impl From<AuditFailure> for Failure {
    fn from(failure: AuditFailure) -> Self {
        Failure::Audit(failure)
    }
}

/// Runs a fallible export's body: `CTP_OK` when it returns `Ok`; its
/// failure's status otherwise, with the error object written to `error`
/// (when not NULL); `CTP_PANIC` when it panics, with nothing written (the
/// panic must not unwind into C, which would be undefined behaviour).
///
/// The body writes its outputs last, after every check, so an output is
/// written only on `CTP_OK` and the error only on failure: exactly one of
/// the two per call, which lets a caller pass one buffer as both.
#[inline(always)]
pub(crate) fn boundary(error: *mut ctp_buf, body: impl FnOnce() -> Result<(), Failure>) -> u32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        super::panic_injection::check();
        body()
    }));
    match outcome {
        Ok(Ok(())) => CTP_OK,
        Ok(Err(failure)) => {
            // SAFETY: the caller passes NULL or a writable ctp_buf (header contract).
            if let (Some(error), Some(object)) = (unsafe { error.as_mut() }, failure.to_json()) {
                *error = into_buf(object.into_bytes());
            }
            failure.status()
        }
        Err(_) => CTP_PANIC,
    }
}

/// Runs an export that cannot fail (a `ctp_*_free`, a static string, a
/// number): a panic gives `on_panic` instead of unwinding into C.
#[inline(always)]
pub(crate) fn infallible<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        super::panic_injection::check();
        body()
    }))
    .unwrap_or(on_panic)
}

fn argument(message: String) -> Error {
    Error::new(Status::InvalidArgument, None, message)
}

/// Borrows a caller's `(pointer, length)` input for the call: `NULL`/0 is
/// the empty input, `NULL` with a length is `CTP_INVALID_ARGUMENT` naming
/// the parameter.
pub(crate) unsafe fn input<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], Error> {
    items(ptr, len, name)
}

/// Borrows a caller's array of `count` items, as [`input`] does bytes.
pub(crate) unsafe fn items<'a, T>(ptr: *const T, count: usize, name: &str) -> Result<&'a [T], Error> {
    match (ptr.is_null(), count) {
        (true, 0) => Ok(&[]),
        (true, _) => Err(argument(format!("{name} is NULL with a non-zero length"))),
        (false, _) => Ok(std::slice::from_raw_parts(ptr, count)),
    }
}

/// Where an export writes one output: a pointer checked not NULL, written
/// once, at the end of a successful call.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// The output `ptr`; NULL is `CTP_INVALID_ARGUMENT` naming the parameter.
    pub(crate) fn required(ptr: *mut T, name: &str) -> Result<Out<T>, Error> {
        if ptr.is_null() {
            return Err(argument(format!("{name} is NULL")));
        }
        Ok(Out(ptr))
    }

    /// An output the caller may leave out (NULL): `None` then.
    pub(crate) fn optional(ptr: *mut T) -> Option<Out<T>> {
        (!ptr.is_null()).then_some(Out(ptr))
    }

    pub(crate) fn write(self, value: T) {
        // SAFETY: checked not NULL; the caller passes a writable T (header
        // contract), which may be uninitialised: `write` reads nothing.
        unsafe { self.0.write(value) }
    }
}

/// A buffer the caller owns and lends for one call (`out`, `capacity`):
/// the library copies an answer into it when the answer fits, and never
/// reads it. `out` may be NULL only with `capacity` 0 (a call that asks
/// for the size alone).
pub(crate) struct CallerBuffer {
    ptr: *mut u8,
    capacity: usize,
}

impl CallerBuffer {
    /// The buffer `ptr`/`capacity`; NULL with a capacity is
    /// `CTP_INVALID_ARGUMENT` naming the parameter.
    pub(crate) fn lent(ptr: *mut u8, capacity: usize, name: &str) -> Result<CallerBuffer, Error> {
        if ptr.is_null() && capacity != 0 {
            return Err(argument(format!("{name} is NULL with a non-zero capacity")));
        }
        Ok(CallerBuffer { ptr, capacity })
    }

    /// Copies `bytes` in when they fit; `false` (nothing written) when not.
    #[inline]
    pub(crate) fn fill(&self, bytes: &[u8]) -> bool {
        self.fill_at(0, bytes)
    }

    /// Copies `bytes` in at `offset` when they fit below `capacity`;
    /// `false` (nothing written) when not. The batch's answers, back to back.
    pub(crate) fn fill_at(&self, offset: usize, bytes: &[u8]) -> bool {
        let Some(room) = self.capacity.checked_sub(offset) else { return false };
        if bytes.len() > room {
            return false;
        }
        if !bytes.is_empty() {
            // SAFETY: `offset + bytes.len() <= capacity` with bytes to copy,
            // so `capacity` is not 0 and `ptr` not NULL (a NULL buffer has
            // capacity 0); the caller lends `capacity` writable bytes
            // (header contract), possibly uninitialised: the copy only
            // writes them, into that range. The library's bytes cannot
            // overlap memory the caller lent.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(offset), bytes.len()) };
        }
        true
    }
}

impl Out<ctp_buf> {
    /// Hands `bytes` to the caller as a buffer it owns from now on.
    pub(crate) fn give(self, bytes: Vec<u8>) {
        self.write(into_buf(bytes))
    }
}

/// Hands `bytes` over as a library-made `ctp_buf` (`{NULL, 0}` when empty),
/// released by `ctp_buf_free`. The one place a buffer is made.
pub(crate) fn into_buf(bytes: Vec<u8>) -> ctp_buf {
    if bytes.is_empty() {
        return ctp_buf { ptr: ptr::null_mut(), len: 0 };
    }
    let boxed = Box::into_raw(bytes.into_boxed_slice());
    ctp_buf { ptr: boxed.cast::<u8>(), len: boxed.len() }
}

/// An opaque handle: made by a `ctp_*_new` (or `_open`) call with
/// [`Handle::into_raw`], owned by the caller until its `ctp_*_free` (or
/// `_close`) gives it back with [`Handle::take`]. Which kind of borrow a
/// call may take is stated by the two traits below, so an export cannot
/// mutate a handle that threads share.
pub(crate) trait Handle: Sized {
    fn into_raw(self) -> *mut Self {
        Box::into_raw(Box::new(self))
    }

    /// Takes ownership back; `None` for NULL.
    unsafe fn take(handle: *mut Self) -> Option<Box<Self>> {
        (!handle.is_null()).then(|| Box::from_raw(handle))
    }
}

/// A handle many threads may use at once (the engine, an audit log): calls
/// only ever borrow it shared.
pub(crate) trait SharedHandle: Handle + Sync {}

/// A handle one thread uses at a time (a vault lint, a redactor): calls
/// borrow it exclusively.
pub(crate) trait ExclusiveHandle: Handle + Send {}

/// Borrows a shared handle for the call; NULL is `CTP_INVALID_ARGUMENT`.
pub(crate) unsafe fn shared<'a, T: SharedHandle>(handle: *const T, name: &str) -> Result<&'a T, Error> {
    handle.as_ref().ok_or_else(|| argument(format!("{name} is NULL")))
}

/// Borrows an exclusive handle for the call; NULL is `CTP_INVALID_ARGUMENT`.
pub(crate) unsafe fn exclusive<'a, T: ExclusiveHandle>(handle: *mut T, name: &str) -> Result<&'a mut T, Error> {
    handle.as_mut().ok_or_else(|| argument(format!("{name} is NULL")))
}

/// Reads an exclusive handle without changing it (a count); NULL is
/// `CTP_INVALID_ARGUMENT`.
pub(crate) unsafe fn read_only<'a, T: ExclusiveHandle>(handle: *const T, name: &str) -> Result<&'a T, Error> {
    handle.as_ref().ok_or_else(|| argument(format!("{name} is NULL")))
}

/// The body of every `ctp_*_free`: releases the handle (its `Drop` wipes
/// what it holds); NULL is a no-op.
pub(crate) unsafe fn free<T: Handle>(handle: *mut T) {
    drop(T::take(handle));
}
