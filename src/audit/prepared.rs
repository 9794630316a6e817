//! Entries prepared before their place in the chain is known: the batch
//! path of `ctpolicy check --audit-log`.
//!
//! An entry's first two keys, `seq` and `prev`, are known only under the
//! log's lock; everything after them is known when the request is decided.
//! So each request's entry body (`{"at":…}`, the [`Entry`] fields after
//! `prev`, written by serde_json) is written once, from the one decide
//! pass, into a buffer reused for the whole run; under the lock each line
//! is `{"seq":…,"prev":"…"` (serde_json again) joined to its body, hashed
//! once over the final bytes. The bytes are exactly [`Entry::write_line`]'s
//! (tests/audit.rs compares the CLI's lines with the library's).

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use crate::charge::RuleSet;
use crate::decision::{AuditParts, Engine, ENGINE_VERSION};
use crate::error::Error;
use crate::facts::valid_currency;
use crate::json::{self, Value};
use crate::request;
use crate::rules::RULES;
use crate::token::TokenView;

use super::clock::Clock;
#[cfg(doc)]
use super::entry::Entry;
use super::entry::{caller_of, Fingerprint, ERROR};
use crate::redact::redact_str;

/// `seq` and `prev`: the head of a line, written under the lock.
#[derive(Serialize)]
struct Head<'a> {
    seq: u64,
    prev: &'a str,
}

/// The [`Entry`] fields after `prev` up to `decision_id`, in the same
/// order, borrowed from the decide pass.
#[derive(Serialize)]
struct Body<'a> {
    at: &'a str,
    decision: &'static str,
    status: Option<Status<'a>>,
    violations: Codes,
    warnings: Codes,
    required_scope: Option<&'static str>,
    token: Option<Token<'a>>,
    amount: Option<i64>,
    currency: Option<&'a str>,
    decision_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<Cow<'a, str>>,
}

/// The last [`Entry`] fields: the same for every entry of a run, so
/// written once.
#[derive(Serialize)]
struct Tail<'a> {
    policy_digest: &'a str,
    engine_version: &'static str,
}

#[derive(Serialize)]
struct Status<'a> {
    status: &'static str,
    code: Option<&'a str>,
}

#[derive(Serialize)]
struct Token<'a> {
    form: &'static str,
    region: &'a str,
    environment: Option<&'static str>,
    fingerprint: &'a str,
}

/// Rule codes of a rule set, in id order (the codes are static strings).
struct Codes(RuleSet);

impl Serialize for Codes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut bits = self.0 .0;
        serializer.collect_seq(std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let index = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(RULES[index].code)
        }))
    }
}

/// What became of one request of a group: counted and reported only after
/// the group's entries are in the log.
#[derive(Debug)]
pub enum Prepared {
    Decided { allowed: bool, violations: RuleSet, warnings: RuleSet },
    Invalid(Error),
}

/// The entry bodies of a group of requests and their decisions' JSON, in
/// buffers reused from group to group.
#[derive(Debug)]
pub struct PreparedGroup<'e> {
    engine: &'e Engine,
    /// `,"policy_digest":…,"engine_version":…}`: every body's end.
    tail: Vec<u8>,
    /// The bodies, one after another.
    bodies: Vec<u8>,
    /// The end of each body in `bodies`.
    ends: Vec<usize>,
    /// The decision JSON (or error object) of each request, a line each.
    pub decisions: String,
    /// Each request's line number and outcome.
    pub outcomes: Vec<(u64, Prepared)>,
}

impl<'e> PreparedGroup<'e> {
    /// An empty group of `engine`'s checks.
    pub fn new(engine: &'e Engine) -> Self {
        let mut tail =
            serde_json::to_vec(&Tail { policy_digest: engine.policy().digest(), engine_version: ENGINE_VERSION })
                .expect("an entry always serializes");
        // `{"policy_digest":…}` continues a body: `,"policy_digest":…}`.
        tail[0] = b',';
        PreparedGroup {
            engine,
            tail,
            bodies: Vec::new(),
            ends: Vec::new(),
            decisions: String::new(),
            outcomes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn clear(&mut self) {
        self.bodies.clear();
        self.ends.clear();
        self.decisions.clear();
        self.outcomes.clear();
    }

    /// Decides `request_json` once: its entry body and its decision line
    /// join the group.
    pub fn check(&mut self, line_number: u64, request_json: &[u8], clock: &Clock) {
        let engine = self.engine;
        let start = self.decisions.len();
        let mut failed_caller = None;
        let decided = json::with_arena(|arena| {
            let root = request::parse_json(request_json, arena)?;
            let decisions = &mut self.decisions;
            let bodies = &mut self.bodies;
            let decided = request::from_value(&root, arena).and_then(|request| {
                engine.decide_for_audit(&request, decisions, |parts| {
                    write_decided(bodies, parts, &root, clock);
                    Prepared::Decided {
                        allowed: parts.allowed(),
                        violations: parts.violations,
                        warnings: parts.warnings,
                    }
                })
            });
            if decided.is_err() {
                failed_caller = caller_of(&root).map(Cow::into_owned);
            }
            decided
        });
        match decided {
            Ok(prepared) => {
                self.decisions.push('\n');
                self.end_body();
                self.outcomes.push((line_number, prepared));
            }
            Err(error) => {
                self.decisions.truncate(start);
                self.failed_with_caller(line_number, error, failed_caller.as_deref(), clock);
            }
        }
    }

    /// A request that could not be decided: an `ERROR` entry and the error
    /// object.
    pub fn failed(&mut self, line_number: u64, error: Error, clock: &Clock) {
        self.failed_with_caller(line_number, error, None, clock)
    }

    /// [`Self::failed`] for a request that was read, with its (redacted) caller.
    fn failed_with_caller(&mut self, line_number: u64, error: Error, caller: Option<&str>, clock: &Clock) {
        let at = clock.now();
        let body = Body {
            at: &at,
            decision: ERROR,
            status: Some(Status { status: error.status.name(), code: error.code.map(crate::code::Code::name) }),
            violations: Codes(RuleSet::default()),
            warnings: Codes(RuleSet::default()),
            required_scope: None,
            token: None,
            amount: None,
            currency: None,
            decision_id: None,
            caller: caller.map(Cow::Borrowed),
        };
        serde_json::to_writer(&mut self.bodies, &body).expect("an entry always serializes");
        self.end_body();
        self.decisions.push_str(&error.to_json());
        self.decisions.push('\n');
        self.outcomes.push((line_number, Prepared::Invalid(error)));
    }

    /// Ends the body just written with the run's tail.
    fn end_body(&mut self) {
        self.bodies.pop(); // its `}`
        self.bodies.extend_from_slice(&self.tail);
        self.ends.push(self.bodies.len());
    }

    /// Appends the group's lines to `out`, chained after `seq` and `head`
    /// (updated to the last line's): one SHA-256 per line, over its bytes.
    pub(super) fn write_lines(&self, out: &mut Vec<u8>, seq: &mut u64, head: &mut Fingerprint) {
        let mut start = 0;
        for &end in &self.ends {
            *seq += 1;
            let line_start = out.len();
            serde_json::to_writer(&mut *out, &Head { seq: *seq, prev: head.as_str() })
                .expect("an entry always serializes");
            // `{"seq":…,"prev":"…"}` and `{"at":…}` make one object.
            out.pop();
            out.push(b',');
            out.extend_from_slice(&self.bodies[start + 1..end]);
            *head = Fingerprint::of(&out[line_start..]);
            out.push(b'\n');
            start = end;
        }
    }
}

/// The body of a decided request's entry, appended to `bodies`.
fn write_decided(bodies: &mut Vec<u8>, parts: &AuditParts<'_>, root: &Value<'_>, clock: &Clock) {
    let now = root.get("now").and_then(Value::as_str);
    let clock_now;
    let at = match now {
        Some(now) => now,
        None => {
            clock_now = clock.now();
            clock_now.as_str()
        }
    };
    let body_field = root.get("body");
    let amount = body_field.and_then(|b| b.get("request_payment_transaction")).and_then(|t| t.get("amount"));
    let currency = body_field.and_then(|b| b.get("currency")).and_then(Value::as_str);
    let body = Body {
        at,
        decision: if parts.allowed() { super::entry::ALLOW } else { super::entry::DENY },
        status: None,
        violations: Codes(parts.violations),
        warnings: Codes(parts.warnings),
        required_scope: Some(parts.required_scope.as_str()),
        token: parts.token.map(|t: TokenView<'_>| Token {
            form: t.form.as_str(),
            region: t.region,
            environment: t.environment.map(|e| e.as_str()),
            fingerprint: t.fingerprint,
        }),
        amount: amount.and_then(Value::as_integer),
        currency: currency.filter(|c| valid_currency(Some(c.as_bytes())).is_some()),
        decision_id: parts.decision_id.map(redact_str),
        caller: caller_of(root),
    };
    serde_json::to_writer(bodies, &body).expect("an entry always serializes");
}
