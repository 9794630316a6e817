//! One audit entry (docs/HYGIENE.md H3): what a pre-flight check decided, in a
//! form that holds no piece of the request beyond what the table allows.
//!
//! The same type writes entries (the one JSON writer, compact, with the
//! decision's escapes; key order = field order = the H3 table) and reads
//! them back in the verifier, which re-serializes what it read and compares
//! bytes: a line is an entry only if it is exactly what a writer would have
//! written (this release's writer, or the one before it for lines already
//! in a log).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::decision::{Decision, Engine, ENGINE_VERSION};
use crate::error::Error;
use crate::facts::valid_currency;
use crate::json::{self, Value};
use crate::redact::redact_str;
use crate::request;
use crate::token;

use super::clock::Clock;

/// `"sha256:"` and 64 lowercase hex digits.
pub const FINGERPRINT_LEN: usize = 71;

/// The fingerprint of an entry line (`"sha256:" + hex(SHA-256(line))`),
/// kept on the stack: the writer computes one per append.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// `prev` of the first entry, and the head of an empty log.
    pub const ZERO: Fingerprint = {
        let mut bytes = [b'0'; FINGERPRINT_LEN];
        let label = b"sha256:";
        let mut i = 0;
        while i < label.len() {
            bytes[i] = label[i];
            i += 1;
        }
        Fingerprint(bytes)
    };

    /// The fingerprint of `line` (its bytes without the `\n`).
    pub fn of(line: &[u8]) -> Fingerprint {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bytes = Fingerprint::ZERO.0;
        for (i, byte) in token::sha256(line).iter().enumerate() {
            bytes[7 + 2 * i] = HEX[(byte >> 4) as usize];
            bytes[8 + 2 * i] = HEX[(byte & 0xF) as usize];
        }
        Fingerprint(bytes)
    }

    /// Reads `sha256:<64 lowercase hex>`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let bytes: [u8; FINGERPRINT_LEN] = text.as_bytes().try_into().ok()?;
        let well_formed =
            bytes.starts_with(b"sha256:") && bytes[7..].iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
        well_formed.then_some(Fingerprint(bytes))
    }

    /// The fingerprint as text: `sha256:` and 64 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `status` of an `ERROR` entry: the error object's status and code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryStatus<'a> {
    #[serde(borrow, serialize_with = "scanned")]
    /// The error object's status name (`INVALID_REQUEST`…).
    pub status: Cow<'a, str>,
    #[serde(borrow, serialize_with = "scanned_option")]
    /// The error object's code, when it has one.
    pub code: Option<Cow<'a, str>>,
}

/// `token` of an entry: as in the decision (form, region, environment,
/// fingerprint), never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryToken<'a> {
    #[serde(borrow, serialize_with = "scanned")]
    /// `network` or `identity`.
    pub form: Cow<'a, str>,
    #[serde(borrow, serialize_with = "scanned")]
    /// The token's region.
    pub region: Cow<'a, str>,
    #[serde(borrow, serialize_with = "scanned_option")]
    /// `live` or `test` for the identity form.
    pub environment: Option<Cow<'a, str>>,
    #[serde(borrow, serialize_with = "scanned")]
    /// `sha256:` and the hex SHA-256 of the token.
    pub fingerprint: Cow<'a, str>,
}

/// One line of an audit log. Field order is the H3 table's order and the
/// order of the keys on the line; do not reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry<'a> {
    /// 1 for the first entry of a log, then +1 (set by the log on append).
    pub seq: u64,
    /// The fingerprint of the previous line (set by the log on append).
    #[serde(borrow, serialize_with = "scanned")]
    pub prev: Cow<'a, str>,
    #[serde(borrow, serialize_with = "scanned")]
    /// When the check happened: the request's `now`, or the clock's time.
    pub at: Cow<'a, str>,
    /// `ALLOW`, `DENY` or `ERROR`.
    #[serde(borrow, serialize_with = "scanned")]
    pub decision: Cow<'a, str>,
    #[serde(borrow)]
    /// For an `ERROR` entry: the error's status and code.
    pub status: Option<EntryStatus<'a>>,
    #[serde(borrow, serialize_with = "scanned_list")]
    /// The codes of the rules that denied.
    pub violations: Vec<Cow<'a, str>>,
    #[serde(borrow, serialize_with = "scanned_list")]
    /// The codes of the rules that warned.
    pub warnings: Vec<Cow<'a, str>>,
    #[serde(borrow, serialize_with = "scanned_option")]
    /// The payment scope the request needed.
    pub required_scope: Option<Cow<'a, str>>,
    #[serde(borrow)]
    /// The token as the decision reports it.
    pub token: Option<EntryToken<'a>>,
    /// The charge's amount in minor units, when the request has one.
    pub amount: Option<i64>,
    #[serde(borrow, serialize_with = "scanned_option")]
    /// The charge's currency, redacted.
    pub currency: Option<Cow<'a, str>>,
    #[serde(borrow, serialize_with = "scanned_option")]
    /// The request's `decision_id`, redacted.
    pub decision_id: Option<Cow<'a, str>>,
    /// The request's `caller`, redacted; no key at all when the request has
    /// none, so logs written before this field existed verify unchanged.
    #[serde(borrow, default, serialize_with = "scanned_option", skip_serializing_if = "Option::is_none")]
    pub caller: Option<Cow<'a, str>>,
    #[serde(borrow, serialize_with = "scanned")]
    /// The digest of the policy the engine decided by.
    pub policy_digest: Cow<'a, str>,
    #[serde(borrow, serialize_with = "scanned")]
    /// The engine's version.
    pub engine_version: Cow<'a, str>,
}

/// An entry's text as the writer spells every string: one fast scan, the
/// text copied as it is when it needs no escape (nearly always), else
/// escaped by the formatter. A tampered line read back by the verifier may
/// hold anything, so the text is scanned, never trusted.
fn scanned<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    json::Scanned(text).serialize(serializer)
}

fn scanned_option<S: Serializer>(text: &Option<Cow<'_, str>>, serializer: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => serializer.serialize_some(&json::Scanned(text)),
        None => serializer.serialize_none(),
    }
}

fn scanned_list<S: Serializer>(texts: &[Cow<'_, str>], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(texts.iter().map(|text| json::Scanned(text)))
}

/// `decision` of an allowed request.
pub const ALLOW: &str = "ALLOW";
/// `decision` of a denied request.
pub const DENY: &str = "DENY";
/// `decision` of a request that was no valid request.
pub const ERROR: &str = "ERROR";

impl Entry<'_> {
    /// The line as written: compact JSON, without the `\n`.
    pub fn to_line(&self) -> String {
        let mut out = Vec::with_capacity(512);
        self.write_line(&mut out);
        String::from_utf8(out).expect("the writer writes UTF-8")
    }

    /// Appends the line (without the `\n`) to `out`: the one writer of
    /// every output, with the decision's escapes.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        json::write_bytes_into(out, self);
    }

    /// The line as writers before this release wrote it (serde_json's own
    /// escapes: `\b` and `\f`, DEL unescaped), for the verifier: entries
    /// already in a log keep their bytes, which the chain covers. No new
    /// line is written this way.
    pub(crate) fn write_line_as_before(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("an entry always serializes");
    }
}

/// A request as the audit trail sees it: the check's result and the parts
/// of the request an entry may hold. Never holds the token or any other
/// part of the request.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The engine's answer: the decision, or the error object.
    pub result: Result<Decision, Error>,
    /// The entry's `at`: the request's `now` verbatim when it was decided
    /// and has one, else the writer's clock.
    pub at: String,
    /// `body.request_payment_transaction.amount` when it is an integer.
    pub amount: Option<i64>,
    /// `body.currency` as given, when it passes rule 601.
    pub currency: Option<String>,
    /// The request's `caller`, redacted, when the request was read and its
    /// `caller` is a caller name.
    pub caller: Option<String>,
}

/// What an entry keeps from the request itself (besides the decision).
struct RequestParts {
    now: Option<String>,
    amount: Option<i64>,
    currency: Option<String>,
}

impl Checked {
    /// Decides `request_json` with `engine`, keeping what its entry needs.
    pub fn check(engine: &Engine, request_json: &[u8], clock: &Clock) -> Checked {
        let mut caller = None;
        let outcome = json::with_arena(|arena| {
            let root = request::parse_json(request_json, arena)?;
            caller = caller_of(&root).map(Cow::into_owned);
            let request = request::from_value(&root, arena)?;
            let decision = engine.check(&request)?;
            Ok((decision, request_parts(&root)))
        });
        match outcome {
            Ok((decision, parts)) => Checked {
                result: Ok(decision),
                at: parts.now.unwrap_or_else(|| clock.now()),
                amount: parts.amount,
                currency: parts.currency,
                caller,
            },
            Err(error) => Checked { caller, ..Checked::failed(error, clock) },
        }
    }

    /// A request that could not be decided (an `ERROR` entry).
    pub fn failed(error: Error, clock: &Clock) -> Checked {
        Checked { result: Err(error), at: clock.now(), amount: None, currency: None, caller: None }
    }

    /// The entry for this check, with `seq` 0 and `prev` empty until a log
    /// appends it.
    pub fn entry<'a>(&'a self, engine: &'a Engine) -> Entry<'a> {
        let policy_digest = Cow::Borrowed(engine.policy().digest());
        let engine_version = Cow::Borrowed(ENGINE_VERSION);
        let at = Cow::Borrowed(self.at.as_str());
        match &self.result {
            Ok(decision) => Entry {
                seq: 0,
                prev: Cow::Borrowed(""),
                at,
                decision: Cow::Borrowed(decision.verdict()),
                status: None,
                violations: decision.violations.iter().map(|f| Cow::Borrowed(f.code())).collect(),
                warnings: decision.warnings.iter().map(|f| Cow::Borrowed(f.code())).collect(),
                required_scope: Some(Cow::Borrowed(decision.required_scope.as_str())),
                token: decision.token.as_ref().map(|t| EntryToken {
                    form: Cow::Borrowed(t.form.as_str()),
                    region: Cow::Borrowed(t.region.as_str()),
                    environment: t.environment.map(|e| Cow::Borrowed(e.as_str())),
                    fingerprint: Cow::Borrowed(t.fingerprint.as_str()),
                }),
                amount: self.amount,
                currency: self.currency.as_deref().map(Cow::Borrowed),
                // Redacted when the request was read; again here for a
                // Decision built by hand (the scan finds nothing twice).
                decision_id: decision.decision_id.as_deref().map(redact_str),
                caller: self.caller.as_deref().map(Cow::Borrowed),
                policy_digest,
                engine_version,
            },
            Err(error) => Entry {
                seq: 0,
                prev: Cow::Borrowed(""),
                at,
                decision: Cow::Borrowed(ERROR),
                status: Some(EntryStatus {
                    status: Cow::Borrowed(error.status.name()),
                    code: error.code.map(|code| Cow::Borrowed(code.name())),
                }),
                violations: Vec::new(),
                warnings: Vec::new(),
                required_scope: None,
                token: None,
                amount: None,
                currency: None,
                decision_id: None,
                caller: self.caller.as_deref().map(Cow::Borrowed),
                policy_digest,
                engine_version,
            },
        }
    }

    /// The decision JSON (or the error object) exactly as `check_json` /
    /// `ctp_check_json` give it, without a newline.
    pub fn output_json(&self, engine: &Engine, out: &mut String) {
        match &self.result {
            Ok(decision) => engine.write_decision(decision, out),
            Err(error) => out.push_str(&error.to_json()),
        }
    }
}

/// The audit entry's `caller`: the request's `caller` when it is a caller
/// name, redacted (docs/HYGIENE.md H4: a token put there comes out replaced).
pub(crate) fn caller_of<'v>(root: &'v Value<'_>) -> Option<Cow<'v, str>> {
    root.get("caller").and_then(Value::as_str).filter(|caller| request::is_caller_name(caller)).map(redact_str)
}

fn request_parts(root: &Value<'_>) -> RequestParts {
    let body = root.get("body");
    let amount = body.and_then(|b| b.get("request_payment_transaction")).and_then(|t| t.get("amount"));
    let currency = body.and_then(|b| b.get("currency")).and_then(Value::as_str);
    RequestParts {
        now: root.get("now").and_then(Value::as_str).map(str::to_owned),
        amount: amount.and_then(Value::as_integer),
        currency: currency.filter(|c| valid_currency(Some(c.as_bytes())).is_some()).map(str::to_owned),
    }
}
