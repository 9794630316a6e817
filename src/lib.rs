//! ctpolicy: the pre-flight policy engine for Klarna customer-token charges.
//!
//! A partner's service asks, before every `authorizePayment` call, "here is
//! the request I am about to send and what I stored for this token: may I
//! send it?" The engine answers ALLOW or DENY with stable reason codes and a
//! fingerprint of the token, never the token itself. It reads no clock, no
//! network and no environment: the same input gives the same answer.
//!
//! ```
//! let engine = ctpolicy::Engine::default();
//! let request = br#"{"customer_present": false,
//!   "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "renewal-42"},
//!   "token_record": {"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
//!   "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-42"}}}"#;
//! let decision = engine.check_json(request).unwrap();
//! assert!(decision.allowed());
//! ```

#![deny(missing_docs)]

// The Rust API: what a service embedding the engine uses.
pub mod audit;
pub mod charge;
pub mod code;
pub mod decision;
pub mod error;
pub mod lifecycle;
pub mod policy;
pub mod redact;
pub mod rules;
pub mod token;
pub mod vault;

/// The C ABI (include/ctpolicy.h, docs/ABI.md), public so that the Rust
/// tests and benches call it as C does; documented there, not here. A Rust
/// service uses the modules above.
#[doc(hidden)]
pub mod ffi;

// The engine's inside: the rule checks, the facts they read, the JSON
// reader and writer, the token format, the request and record readers.
pub(crate) mod checks;
pub(crate) mod facts;
pub(crate) mod json;
pub(crate) mod krn;
pub(crate) mod record;
pub(crate) mod request;
pub(crate) mod timestamp;

/// Hooks for this crate's own tests, benches and fuzz targets into the
/// JSON reader and the request parser: not part of the API, may change in
/// any release (docs/ARCHITECTURE.md).
#[doc(hidden)]
pub mod internals {
    pub use crate::json::{parse, with_arena, write_value, Arena, Value};
    pub use crate::request::{from_value, parse_json, Request};
}

pub use charge::{Charge, ScopeSet, StoredRecord};
pub use code::Code;
pub use decision::{Decision, Engine, Finding, Verdict, ENGINE_VERSION};
pub use error::{Error, Status};
pub use json::MAX_INPUT_BYTES;
pub use lifecycle::{apply_event, apply_response, Transition};
pub use policy::Policy;
pub use record::{PaymentScope, TokenState};
pub use rules::{Rule, RuleSet, Severity, RULES};
pub use token::{parse_token, CustomerToken, TokenError, TokenInfo};

/// Whether `text` is an RFC 3339 timestamp as the contract reads one
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, docs/RULES.md): how `now`,
/// a record's `last_used_at` and its `attempts` are read.
///
/// ```
/// assert!(ctpolicy::is_timestamp("2026-11-30T12:00:00.250+01:00"));
/// assert!(!ctpolicy::is_timestamp("2026-11-30 12:00"));
/// ```
pub fn is_timestamp(text: &str) -> bool {
    timestamp::parse(text).is_some()
}

/// `value` as JSON text, written the way every output of ctpolicy is
/// written (decisions, errors, audit entries, reports, findings): compact,
/// keys in field order, and one spelling of every string (the escapes of
/// docs/HYGIENE.md H3). Tools that print ctpolicy's results beside their own
/// use it so that a string is spelled the same in both.
///
/// ```
/// assert_eq!(ctpolicy::to_json(&["x\u{8}\u{7f}y"]), r#"["x\u0008\u007fy"]"#);
/// ```
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    json::to_string(value)
}
