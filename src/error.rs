//! Failed calls: the status numbers of the C ABI and the error object of
//! docs/RULES.md section 6, shared by every face.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::code::Code;
use crate::json::de::DeError;
use crate::json::{self, JsonError, JsonFault};
use crate::redact::redact_string;

/// Declares [`Status`] from one row per status: the variant, its number,
/// its name (the header constant without `CTP_`) and what it means. The
/// header's `CTP_*` constants, `ctp_status_name`, the docs' status table
/// and the bindings' status lists are all generated from this one table
/// (tests/binding_tables.rs).
macro_rules! statuses {
    ($($variant:ident = $number:literal, $name:literal, $meaning:literal;)*) => {
        /// Outcome of a call. The numbers are part of the ABI: they never
        /// change, and a retired number is never reused. 1–99 are faults of
        /// the call itself, 100–199 faults of what was passed in.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum Status {
            $(#[doc = $meaning] $variant = $number,)*
        }

        impl Status {
            /// Every status, in table order.
            pub const ALL: [Status; [$(Status::$variant),*].len()] = [$(Status::$variant),*];

            /// The constant's name without `CTP_`, as used in error objects.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Status::$variant => $name,)*
                }
            }

            /// The name as a C string (`ctp_status_name`).
            pub const fn c_name(self) -> &'static std::ffi::CStr {
                match self {
                    $(Status::$variant => match std::ffi::CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                        Ok(name) => name,
                        Err(_) => panic!("a status name has no NUL"),
                    },)*
                }
            }

            /// What the status means (the header's comment, the docs' table).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Status::$variant => $meaning,)*
                }
            }
        }
    };
}

statuses! {
    Ok = 0, "OK", "Success (including a DENY decision).";
    InvalidArgument = 1, "INVALID_ARGUMENT", "A required pointer is NULL, NULL came with a non-zero length, or an argument is out of its range.";
    InvalidUtf8 = 2, "INVALID_UTF8", "An input is not UTF-8 (the message gives the byte offset).";
    Panic = 3, "PANIC", "The library caught an internal panic; the call had no effect. Please report it.";
    IoError = 4, "IO_ERROR", "A file (the audit log) could not be opened, read, written, locked or synced; the message says which and why.";
    BufferTooSmall = 5, "BUFFER_TOO_SMALL", "`ctp_check_json_into`, `ctp_check_many_into`: the caller's buffer is smaller than the answer; `*written` holds the size needed and no answer was handed over.";
    InvalidRequest = 100, "INVALID_REQUEST", "An envelope fault of the request (docs/RULES.md section 1), or a record or event that is not acceptable JSON.";
    InvalidPolicy = 101, "INVALID_POLICY", "The policy did not load.";
    TokenInvalid = 102, "TOKEN_INVALID", "`ctp_token_parse`: `TOKEN_MALFORMED` (with `detail`) or `TOKEN_WRONG_TYPE`.";
    TransitionRejected = 103, "TRANSITION_REJECTED", "A lifecycle step is not allowed (code from docs/RULES.md section 7).";
    AuditLogInvalid = 104, "AUDIT_LOG_INVALID", "An audit log does not verify, or its last line does not (so it is not appended to); the error names the entry.";
    AuditHeadMismatch = 105, "AUDIT_HEAD_MISMATCH", "`ctp_audit_verify`: the chain verifies but does not end in the expected head.";
}

impl Status {
    /// The status with this number.
    pub fn from_u32(value: u32) -> Option<Status> {
        Status::ALL.into_iter().find(|status| *status as u32 == value)
    }
}

/// Written as its name (`"INVALID_REQUEST"`).
impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A call that could not decide. Hosts treat it as DENY (fail closed).
///
/// Serialized as the body of the error object, keys in field order and
/// those without a value left out.
#[derive(Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub struct Error {
    /// The status, which says what kind of error it is.
    pub status: Status,
    /// A stable code, where there is one (`DUPLICATE_KEY`, `NOT_APPROVED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// The detail of `TOKEN_MALFORMED` and `RECORD_INVALID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
    /// For people; never holds a customer token or a piece of one: the
    /// constructors redact it (docs/HYGIENE.md H4), so a token that a caller put
    /// in a key or a name comes out as `[customer-token sha256:…]`.
    pub message: String,
    /// JSON Pointer of the fault, where there is one; redacted like
    /// `message` (a segment that held a token is replaced, the others kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The error object of docs/RULES.md section 6: `{"error": {...}}`.
#[derive(Serialize)]
struct ErrorObject<'e> {
    error: &'e Error,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status.name())?;
        if let Some(code) = self.code {
            write!(f, " {code}")?;
        }
        if let Some(detail) = self.detail {
            write!(f, " ({detail})")?;
        }
        if let Some(path) = &self.path {
            write!(f, " at {}", if path.is_empty() { "the top level" } else { path })?;
        }
        write!(f, ": {}", self.message)
    }
}

impl Error {
    /// Every error is built here or in [`Error::from_json`]: the one place
    /// where its message is redacted.
    pub fn new(status: Status, code: Option<Code>, message: impl Into<String>) -> Self {
        Error { status, code, detail: None, message: redact_string(message.into()), path: None }
    }

    /// Sets the JSON Pointer of the fault, redacted: an object key or a
    /// header name can be anything a caller wrote, a token included.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(redact_string(path.into()));
        self
    }

    /// The error with a `detail`.
    pub fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// An envelope fault of a request (docs/RULES.md section 1).
    pub fn invalid_request(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(Status::InvalidRequest, Some(code), message).at(path)
    }

    /// A JSON fault found while reading an input; `status` is the status
    /// that input's other faults get (invalid UTF-8 always has its own).
    pub fn from_json(error: JsonError, status: Status, input: &str) -> Self {
        let status = if error.fault == JsonFault::InvalidUtf8 { Status::InvalidUtf8 } else { status };
        let code = error.fault.code();
        let message = redact_string(format!("{input}: {}", error.message));
        Error { status, code, detail: None, message, path: Some(redact_string(error.pointer)) }
    }

    /// A value of an input that does not fit its type (read through
    /// `json::de`): `noun` names the input in the message ("request",
    /// "policy"), which reads "policy /max_attempts/per_1h is not a known
    /// field (known: per_24h, per_30d)".
    pub fn from_de(error: DeError, status: Status, noun: &str) -> Self {
        let pointer = error.pointer();
        let message = if pointer.is_empty() {
            format!("the {noun} {}", error.predicate())
        } else {
            format!("{noun} {pointer} {}", error.predicate())
        };
        Error::new(status, Some(error.code()), message).at(pointer)
    }

    /// `{"error": {"status": …, "code": …, "detail": …, "message": …, "path": …}}`,
    /// keys without a value left out.
    pub fn to_json(&self) -> String {
        json::to_string(&ErrorObject { error: self })
    }
}
