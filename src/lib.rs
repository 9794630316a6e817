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

pub mod audit;
pub mod charge;
pub mod cli;
pub mod code;
pub mod decision;
pub mod error;
pub mod facts;
pub mod ffi;
pub mod json;
pub mod lifecycle;
pub mod policy;
pub mod record;
pub mod redact;
pub mod request;
pub mod rules;
pub mod timestamp;
pub mod token;
pub mod vault;

pub use charge::{Charge, ScopeSet, StoredRecord, Verdict};
pub use code::Code;
pub use decision::{Decision, Engine, Finding, ENGINE_VERSION};
pub use error::{Error, Status};
pub use lifecycle::{apply_event, apply_response, Transition};
pub use policy::Policy;
pub use rules::{Rule, Severity, RULES};
pub use token::{parse_token, CustomerToken, TokenError, TokenInfo};
