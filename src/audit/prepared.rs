//! Entries prepared before their place in the chain is known: the batch
//! path of `ctpolicy check --audit-log`.
//!
//! An entry's first two keys, `seq` and `prev`, are known only under the
//! log's lock; everything after them is known when the request is decided.
//! So each request keeps, from the one decide pass, the values of its
//! entry (its text in one buffer reused for the whole run); under the lock
//! each line is an [`Entry`] made of them, written by [`Entry::write_line`]
//! (the one definition of an entry's bytes) and hashed once over its final
//! bytes.

use std::borrow::Cow;
use std::ops::Range;

use crate::decision::{AuditParts, Engine, ENGINE_VERSION};
use crate::error::Error;
use crate::facts::valid_currency;
use crate::json::{self, Value};
use crate::redact::redact_str;
use crate::request;
use crate::rules::RuleSet;
use crate::rules::RULES;

use super::clock::Clock;
use super::entry::{caller_of, Entry, EntryStatus, EntryToken, Fingerprint, ALLOW, DENY, ERROR};

/// One request's entry without `seq` and `prev`: the [`Entry`] fields,
/// with every text a caller or the clock gave kept as its place in the
/// group's `texts`.
#[derive(Debug)]
struct PendingEntry {
    at: Range<usize>,
    decision: &'static str,
    status: Option<(&'static str, Option<&'static str>)>,
    violations: RuleSet,
    warnings: RuleSet,
    required_scope: Option<&'static str>,
    token: Option<PendingToken>,
    amount: Option<i64>,
    currency: Option<Range<usize>>,
    decision_id: Option<Range<usize>>,
    caller: Option<Range<usize>>,
}

#[derive(Debug)]
struct PendingToken {
    form: &'static str,
    region: Range<usize>,
    environment: Option<&'static str>,
    fingerprint: Range<usize>,
}

/// Appends `text` to `texts`; its place there.
fn keep(texts: &mut String, text: &str) -> Range<usize> {
    let start = texts.len();
    texts.push_str(text);
    start..texts.len()
}

/// The codes of `rules`, in id order.
fn codes(rules: RuleSet) -> Vec<Cow<'static, str>> {
    let mut bits = rules.0;
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let index = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        Some(Cow::Borrowed(RULES[index].code))
    })
    .collect()
}

/// What became of one request of a group: counted and reported only after
/// the group's entries are in the log.
#[derive(Debug)]
pub enum Prepared {
    /// The request was decided.
    Decided {
        /// Whether nothing denied.
        allowed: bool,
        /// The rules that denied.
        violations: RuleSet,
        /// The rules that warned.
        warnings: RuleSet,
    },
    /// The request was no valid request: its error object.
    Invalid(Error),
}

/// The entries of a group of requests and their decisions' JSON, in
/// buffers reused from group to group.
#[derive(Debug)]
pub struct PreparedGroup<'e> {
    engine: &'e Engine,
    /// Each request's entry, but for `seq` and `prev`.
    entries: Vec<PendingEntry>,
    /// The text of the entries, one after another.
    texts: String,
    /// The decision JSON (or error object) of each request, a line each.
    pub decisions: String,
    /// Each request's line number and outcome.
    pub outcomes: Vec<(u64, Prepared)>,
}

impl<'e> PreparedGroup<'e> {
    /// An empty group of `engine`'s checks.
    pub fn new(engine: &'e Engine) -> Self {
        PreparedGroup {
            engine,
            entries: Vec::new(),
            texts: String::new(),
            decisions: String::new(),
            outcomes: Vec::new(),
        }
    }

    /// How many requests the group holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the group holds no request.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empties the group for the next requests.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.texts.clear();
        self.decisions.clear();
        self.outcomes.clear();
    }

    /// Decides `request_json` once: its entry and its decision line join
    /// the group.
    pub fn check(&mut self, line_number: u64, request_json: &[u8], clock: &Clock) {
        let engine = self.engine;
        let start = self.decisions.len();
        let mut failed_caller = None;
        let decided = json::with_arena(|arena| {
            let root = request::parse_json(request_json, arena)?;
            let decisions = &mut self.decisions;
            let (entries, texts) = (&mut self.entries, &mut self.texts);
            let decided = request::from_value(&root, arena).and_then(|request| {
                engine.decide_for_audit(&request, decisions, |parts| {
                    entries.push(decided_entry(texts, parts, &root, clock));
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
        let texts = &mut self.texts;
        let entry = PendingEntry {
            at: keep(texts, &clock.now()),
            decision: ERROR,
            status: Some((error.status.name(), error.code.map(crate::code::Code::name))),
            violations: RuleSet::default(),
            warnings: RuleSet::default(),
            required_scope: None,
            token: None,
            amount: None,
            currency: None,
            decision_id: None,
            caller: caller.map(|caller| keep(texts, caller)),
        };
        self.entries.push(entry);
        self.decisions.push_str(&error.to_json());
        self.decisions.push('\n');
        self.outcomes.push((line_number, Prepared::Invalid(error)));
    }

    /// Appends the group's lines to `out`, chained after `seq` and `head`
    /// (updated to the last line's): one SHA-256 per line, over its bytes.
    pub(super) fn write_lines(&self, out: &mut Vec<u8>, seq: &mut u64, head: &mut Fingerprint) {
        for pending in &self.entries {
            *seq += 1;
            let prev = *head;
            let entry = self.entry(pending, *seq, &prev);
            let line_start = out.len();
            entry.write_line(out);
            *head = Fingerprint::of(&out[line_start..]);
            out.push(b'\n');
        }
    }

    /// The entry of `pending` as entry `seq` after `prev`.
    fn entry<'g>(&'g self, pending: &PendingEntry, seq: u64, prev: &'g Fingerprint) -> Entry<'g> {
        let text = |range: &Range<usize>| Cow::Borrowed(&self.texts[range.clone()]);
        Entry {
            seq,
            prev: Cow::Borrowed(prev.as_str()),
            at: text(&pending.at),
            decision: Cow::Borrowed(pending.decision),
            status: pending
                .status
                .map(|(status, code)| EntryStatus { status: Cow::Borrowed(status), code: code.map(Cow::Borrowed) }),
            // No allocation for the usual empty lists.
            violations: codes(pending.violations),
            warnings: codes(pending.warnings),
            required_scope: pending.required_scope.map(Cow::Borrowed),
            token: pending.token.as_ref().map(|token| EntryToken {
                form: Cow::Borrowed(token.form),
                region: text(&token.region),
                environment: token.environment.map(Cow::Borrowed),
                fingerprint: text(&token.fingerprint),
            }),
            amount: pending.amount,
            currency: pending.currency.as_ref().map(text),
            decision_id: pending.decision_id.as_ref().map(text),
            caller: pending.caller.as_ref().map(text),
            policy_digest: Cow::Borrowed(self.engine.policy().digest()),
            engine_version: Cow::Borrowed(ENGINE_VERSION),
        }
    }
}

/// The entry of a decided request, its text kept in `texts`.
fn decided_entry(texts: &mut String, parts: &AuditParts<'_>, root: &Value<'_>, clock: &Clock) -> PendingEntry {
    let at = match root.get("now").and_then(Value::as_str) {
        Some(now) => keep(texts, now),
        None => keep(texts, &clock.now()),
    };
    let body_field = root.get("body");
    let amount = body_field.and_then(|b| b.get("request_payment_transaction")).and_then(|t| t.get("amount"));
    let currency = body_field.and_then(|b| b.get("currency")).and_then(Value::as_str);
    PendingEntry {
        at,
        decision: if parts.allowed() { ALLOW } else { DENY },
        status: None,
        violations: parts.violations,
        warnings: parts.warnings,
        required_scope: Some(parts.required_scope.as_str()),
        token: parts.token.map(|token| PendingToken {
            form: token.form.as_str(),
            region: keep(texts, token.region),
            environment: token.environment.map(|e| e.as_str()),
            fingerprint: keep(texts, token.fingerprint),
        }),
        amount: amount.and_then(Value::as_integer),
        currency: currency.filter(|c| valid_currency(Some(c.as_bytes())).is_some()).map(|c| keep(texts, c)),
        decision_id: parts.decision_id.map(|id| keep(texts, &redact_str(id))),
        caller: caller_of(root).map(|caller| keep(texts, &caller)),
    }
}
