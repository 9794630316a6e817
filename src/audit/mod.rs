//! The audit trail (docs/HYGIENE.md H3): one chained JSON Lines entry per
//! pre-flight check, so that a changed, removed, inserted or reordered
//! entry is found.
//!
//! - [`Checked`] decides a request and keeps what its entry may hold;
//!   [`Checked::entry`] is the [`Entry`] (never the token, a message or any
//!   other part of the request).
//! - [`AuditLog`] appends entries under an in-process mutex and an
//!   exclusive file lock, one `write(2)` each.
//! - [`verify_path`] / [`verify_reader`] check a whole log in one pass.
//! - [`repair_path`] cuts the torn tail a write cut short leaves, and
//!   nothing that verifies.

mod clock;
mod entry;
mod failure;
mod log;
mod prepared;
mod repair;
mod verify;

pub use clock::{format_unix_millis, Clock};
pub use entry::{Checked, Entry, EntryStatus, EntryToken, Fingerprint, ALLOW, DENY, ERROR, FINGERPRINT_LEN};
pub use failure::{AuditFailure, AuditFailureKind};
pub use log::{Appended, AuditLog, AuditOptions};
pub use prepared::{Prepared, PreparedGroup};
pub use repair::{repair_path, RepairReport};
pub use verify::{parse_expected_head, verify_path, verify_reader, DecisionCounts, VerifySummary, MAX_ENTRY_BYTES};
