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
//!
//! ```
//! use ctpolicy::audit::{verify_path, AuditLog, AuditOptions, Clock};
//! let path = std::env::temp_dir().join(format!("ctpolicy-doc-{}.jsonl", std::process::id()));
//! # let _ = std::fs::remove_file(&path);
//! let engine = ctpolicy::Engine::default();
//! let log = AuditLog::open(&path, AuditOptions::default()).unwrap();
//! let request = br#"{"customer_present": false,
//!   "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "renewal-42"},
//!   "token_record": {"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
//!   "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-42"}}}"#;
//! // The decision may be acted on only once its entry is in the log.
//! let checked = log.record(&engine, request, &Clock::System).unwrap();
//! assert!(checked.result.as_ref().unwrap().allowed());
//! log.close().unwrap();
//!
//! let summary = verify_path(&path, None).unwrap();
//! assert_eq!((summary.entries, summary.decisions.allow), (1, 1));
//! assert!(!std::fs::read_to_string(&path).unwrap().contains("a1b2"));
//! # std::fs::remove_file(&path).unwrap();
//! ```

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
