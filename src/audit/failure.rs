//! Why an audit log could not be written or does not verify, naming the
//! first bad entry. Messages never quote a line of the log: a tampered
//! line could hold anything, a token included.

use std::fmt;
use std::io;

use serde::Serialize;

use crate::code::Code;
use crate::error::Status;
use crate::redact::redact_string;

/// What kind of failure, and so which status and exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFailureKind {
    /// The file could not be opened, read, locked or written (`IO_ERROR`).
    Io,
    /// The log does not verify, or its last line does not, so it may not
    /// be appended to (`AUDIT_LOG_INVALID`).
    Invalid,
    /// The chain verifies but its head is not the one expected
    /// (`AUDIT_HEAD_MISMATCH`): entries were cut off its end, or it is
    /// another log.
    HeadMismatch,
    /// An argument is not acceptable (`INVALID_ARGUMENT`), e.g. an
    /// expected head that is not a fingerprint.
    Argument,
}

/// A failed audit call.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditFailure {
    /// What kind of failure, which gives the status.
    pub kind: AuditFailureKind,
    /// A stable code: `IO_ERROR`, `TORN_LINE`, `LINE_TOO_LONG`, `NOT_JSON`,
    /// `NOT_AN_ENTRY`, `NOT_CANONICAL`, `SEQ_MISMATCH`, `PREV_MISMATCH`,
    /// `HEAD_MISMATCH`, `INVALID_ARGUMENT`; for a log changed under a
    /// writer `LOG_REPLACED` (its path names another file or none) and
    /// `LOG_TRUNCATED` (it is shorter than the writer left it); for a path
    /// that is not a regular file `NOT_A_REGULAR_FILE`.
    pub code: Code,
    /// The 1-based line of the first bad entry, where there is one.
    pub line: Option<u64>,
    /// The `seq` that line should have had (its position in the chain).
    pub seq: Option<u64>,
    /// Redacted by every constructor (docs/HYGIENE.md H4): it may name a file,
    /// and a path can hold a token.
    pub message: String,
}

impl AuditFailure {
    /// A failure to read or write `what` (a file name or an action on it), with the system's reason.
    pub fn io(what: &str, error: &io::Error) -> AuditFailure {
        AuditFailure {
            kind: AuditFailureKind::Io,
            code: Code::IoError,
            line: None,
            seq: None,
            message: redact_string(format!("{what}: {error}")),
        }
    }

    /// An I/O failure whose message already says what failed and why.
    pub fn io_message(message: String) -> AuditFailure {
        AuditFailure {
            kind: AuditFailureKind::Io,
            code: Code::IoError,
            line: None,
            seq: None,
            message: redact_string(message),
        }
    }

    /// A fault of the entry on `line` (when known), the `seq`-th of the
    /// chain.
    pub fn entry(code: Code, line: Option<u64>, seq: u64, message: impl Into<String>) -> AuditFailure {
        let place = match line {
            Some(line) => format!("line {line} (seq {seq})"),
            None => format!("the last line (seq {seq})"),
        };
        AuditFailure {
            kind: AuditFailureKind::Invalid,
            code,
            line,
            seq: Some(seq),
            message: redact_string(format!("{place}: {}", message.into())),
        }
    }

    /// A fault of the log not tied to one entry's place in the chain.
    pub fn invalid(code: Code, message: impl Into<String>) -> AuditFailure {
        AuditFailure {
            kind: AuditFailureKind::Invalid,
            code,
            line: None,
            seq: None,
            message: redact_string(message.into()),
        }
    }

    /// A bad argument (an expected head that is no fingerprint…).
    pub fn argument(message: impl Into<String>) -> AuditFailure {
        AuditFailure {
            kind: AuditFailureKind::Argument,
            code: Code::InvalidArgument,
            line: None,
            seq: None,
            message: redact_string(message.into()),
        }
    }

    /// The status this failure is reported with.
    pub fn status(&self) -> Status {
        match self.kind {
            AuditFailureKind::Io => Status::IoError,
            AuditFailureKind::Invalid => Status::AuditLogInvalid,
            AuditFailureKind::HeadMismatch => Status::AuditHeadMismatch,
            AuditFailureKind::Argument => Status::InvalidArgument,
        }
    }

    /// `{"error":{"status":…,"code":…,"message":…,"line":…,"seq":…}}`,
    /// `line` and `seq` left out when the failure is not about one entry.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            status: &'static str,
            code: Code,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            line: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            seq: Option<u64>,
        }
        #[derive(Serialize)]
        struct Wrapper<'a> {
            error: Body<'a>,
        }
        let body = Body {
            status: self.status().name(),
            code: self.code,
            message: &self.message,
            line: self.line,
            seq: self.seq,
        };
        crate::json::to_string(&Wrapper { error: body })
    }
}

impl fmt::Display for AuditFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `IO_ERROR: …`, not `IO_ERROR IO_ERROR: …`.
        match self.status().name() {
            status if status == self.code.name() => write!(f, "{status}: {}", self.message),
            status => write!(f, "{status} {}: {}", self.code, self.message),
        }
    }
}

impl fmt::Debug for AuditFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl std::error::Error for AuditFailure {}
