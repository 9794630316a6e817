//! The vault lint (docs/VAULT.md): every stored token record of an export
//! checked, one record at a time, with duplicates found across the whole
//! export.
//!
//! The record rules are the engine's own: the strict reader of
//! `crate::json`, the record validation of `crate::record` and the token
//! format of [`crate::token`], so the lint and the pre-flight check can never
//! disagree about what a good record is. For the duplicate checks the lint
//! keeps, per record, a keyed 128-bit hash of its token and (for valid
//! `ACTIVE` records) of its reference, never the token or the reference.
//!
//! ```
//! use ctpolicy::vault::{VaultCode, VaultLint, VaultOptions};
//! let options = VaultOptions::from_text(br#"{"allowed_regions": ["eu1"]}"#, None, None).unwrap();
//! let mut lint = VaultLint::new(options);
//! let good = br#"{"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"],
//!   "state": "ACTIVE", "created_at": "2026-01-01T00:00:00Z", "customer_token_reference": "ref-1", "customer_id": "c-1"}"#;
//! assert!(lint.feed(good).is_empty());
//! // The same token stored twice.
//! let findings = lint.feed(good);
//! assert_eq!(findings[0].code, VaultCode::DuplicateToken);
//! assert_eq!(findings[0].related_line, Some(1));
//! ```

mod seen;

use std::borrow::Cow;

use serde::Serialize;

use crate::code::Code;
use crate::error::{Error, Status};
use crate::json::{self, JsonStr, Value};
use crate::policy::Policy;
use crate::record::{self, Record, TokenState};
use crate::timestamp::{self, Instant};
use crate::token::{self, TokenError};

pub use seen::{Seen, TokenId, TokenKey};

/// Seconds in the day of `--stale-days`.
const SECONDS_PER_DAY: u64 = 86_400;

/// A finding's code, in the order of docs/VAULT.md V1 (the order findings of one
/// record are reported in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VaultCode {
    /// `RECORD_UNREADABLE`: the line is no JSON object by the strict reader.
    RecordUnreadable,
    /// `RECORD_INVALID`: a stored record the engine would refuse (rule 204).
    RecordInvalid,
    /// `TOKEN_MALFORMED`: `customer_token` is not a well-formed customer token.
    TokenMalformed,
    /// `TOKEN_WRONG_TYPE`: `customer_token` is a KRN of another kind.
    TokenWrongType,
    /// `UNKNOWN_SCOPE`: a scope the engine does not know.
    UnknownScope,
    /// `REGION_NOT_ALLOWED`: the token's region is not in the policy's `allowed_regions`.
    RegionNotAllowed,
    /// `MISSING_FIELD`: a field a record should have is absent.
    MissingField,
    /// `REVOKED_INCOMPLETE`: `REVOKED` without `revoked_at` or `revoked_by`.
    RevokedIncomplete,
    /// `REVOKED_FIELDS_ON_ACTIVE`: `ACTIVE` with `revoked_at` or `revoked_by`.
    RevokedFieldsOnActive,
    /// `TIMELINE`: the record's timestamps are out of order.
    Timeline,
    /// `FUTURE_TIMESTAMP`: a timestamp after `now`.
    FutureTimestamp,
    /// `STALE`: an `ACTIVE` token unused for longer than the stale days.
    Stale,
    /// `DUPLICATE_TOKEN`: the token of an earlier record.
    DuplicateToken,
    /// `DUPLICATE_REFERENCE`: the `customer_token_reference` of an earlier record with another token.
    DuplicateReference,
}

impl VaultCode {
    /// Every code, in V1 order.
    pub const ALL: [VaultCode; 14] = [
        VaultCode::RecordUnreadable,
        VaultCode::RecordInvalid,
        VaultCode::TokenMalformed,
        VaultCode::TokenWrongType,
        VaultCode::UnknownScope,
        VaultCode::RegionNotAllowed,
        VaultCode::MissingField,
        VaultCode::RevokedIncomplete,
        VaultCode::RevokedFieldsOnActive,
        VaultCode::Timeline,
        VaultCode::FutureTimestamp,
        VaultCode::Stale,
        VaultCode::DuplicateToken,
        VaultCode::DuplicateReference,
    ];

    /// The code as printed (`RECORD_UNREADABLE`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            VaultCode::RecordUnreadable => "RECORD_UNREADABLE",
            VaultCode::RecordInvalid => "RECORD_INVALID",
            VaultCode::TokenMalformed => "TOKEN_MALFORMED",
            VaultCode::TokenWrongType => "TOKEN_WRONG_TYPE",
            VaultCode::UnknownScope => "UNKNOWN_SCOPE",
            VaultCode::RegionNotAllowed => "REGION_NOT_ALLOWED",
            VaultCode::MissingField => "MISSING_FIELD",
            VaultCode::RevokedIncomplete => "REVOKED_INCOMPLETE",
            VaultCode::RevokedFieldsOnActive => "REVOKED_FIELDS_ON_ACTIVE",
            VaultCode::Timeline => "TIMELINE",
            VaultCode::FutureTimestamp => "FUTURE_TIMESTAMP",
            VaultCode::Stale => "STALE",
            VaultCode::DuplicateToken => "DUPLICATE_TOKEN",
            VaultCode::DuplicateReference => "DUPLICATE_REFERENCE",
        }
    }

    /// The code's fixed severity (V1).
    pub fn severity(self) -> VaultSeverity {
        match self {
            VaultCode::UnknownScope
            | VaultCode::MissingField
            | VaultCode::RevokedIncomplete
            | VaultCode::FutureTimestamp
            | VaultCode::Stale
            | VaultCode::DuplicateReference => VaultSeverity::Warn,
            _ => VaultSeverity::Error,
        }
    }
}

/// How bad a finding is: an `error` makes the CLI exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VaultSeverity {
    /// The record is wrong: the engine would refuse or misjudge it.
    Error,
    /// The record is doubtful or incomplete.
    Warn,
}

impl VaultSeverity {
    /// `error` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            VaultSeverity::Error => "error",
            VaultSeverity::Warn => "warn",
        }
    }
}

/// One finding as the library, the C ABI and Python report it: `line` and
/// `related_line` are 1-based positions of the records fed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultFinding {
    /// The record's position among the records fed in, 1-based.
    pub line: u64,
    /// What is wrong.
    pub code: VaultCode,
    /// How bad it is.
    pub severity: VaultSeverity,
    /// A fixed word (a field name, a reader code, …) or the token's region
    /// for `REGION_NOT_ALLOWED`; never any other piece of a token.
    pub detail: Option<Cow<'static, str>>,
    /// `sha256:…` of the record's `customer_token` when it is a string.
    pub fingerprint: Option<String>,
    /// The earlier record of a `DUPLICATE_*` finding, else `None`.
    pub related_line: Option<u64>,
}

impl VaultFinding {
    /// The finding as one line of JSON (no newline).
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// What the lint is told beyond the records: the policy (only
/// `allowed_regions` is used), the time `now`, and the stale threshold.
#[derive(Debug, Clone, Default)]
pub struct VaultOptions {
    allowed_regions: Option<Vec<String>>,
    /// A valid RFC 3339 timestamp (checked when set).
    now: Option<String>,
    stale_days: Option<u64>,
}

fn invalid_option(code: Code, message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArgument, Some(code), message)
}

impl VaultOptions {
    /// Checks the options as docs/VAULT.md V2 asks: `now` is RFC 3339, the stale
    /// days need `now`. The policy is loaded strictly, like the engine's.
    pub fn new(policy: Option<&Policy>, now: Option<&str>, stale_days: Option<u64>) -> Result<Self, Error> {
        if let Some(text) = now {
            if timestamp::parse(text).is_none() {
                return Err(invalid_option(Code::InvalidNow, "now must be an RFC 3339 timestamp"));
            }
        }
        if stale_days.is_some() && now.is_none() {
            return Err(invalid_option(
                Code::StaleDaysNeedNow,
                "stale days need now (a record is stale relative to it)",
            ));
        }
        Ok(VaultOptions {
            allowed_regions: policy.and_then(|p| p.allowed_regions.clone()),
            now: now.map(str::to_owned),
            stale_days,
        })
    }

    /// The options from their text forms (the C ABI and the CLI): a policy
    /// JSON (empty is the default policy), `now`, and the stale days as a
    /// decimal integer ≥ 0.
    pub fn from_text(policy_json: &[u8], now: Option<&str>, stale_days: Option<&str>) -> Result<Self, Error> {
        let policy = Policy::from_json(policy_json)?;
        let stale_days = stale_days.map(parse_stale_days).transpose()?;
        VaultOptions::new(Some(&policy), now, stale_days)
    }
}

/// `N` of `--stale-days`: ASCII digits only (no sign, no space), fitting 64 bits.
pub fn parse_stale_days(text: &str) -> Result<u64, Error> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_option(Code::InvalidStaleDays, "stale days must be a decimal integer of 0 or more"));
    }
    text.parse::<u64>()
        .map_err(|_| invalid_option(Code::InvalidStaleDays, "stale days must be at most 18446744073709551615"))
}

/// One share of a lint split over `count` independent processes: shard
/// `index` (1-based) reports only the findings that fall in it, so that
/// the shards together report exactly the findings of one plain run.
///
/// The shard of a byte string is `1 + u64::from_be_bytes(SHA-256(bytes)[..8])
/// % count`. `DUPLICATE_REFERENCE` falls in the shard of the record's
/// `customer_token_reference`; every other finding in the shard of its
/// `customer_token`, or in shard 1 when that is not a string. A shard keeps
/// only the tokens and references of its share in its duplicate tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole export (a plain run).
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Shard `index` of `count`: 1 ≤ index ≤ count.
    pub fn new(index: u64, count: u64) -> Result<Shard, Error> {
        if count == 0 || index == 0 || index > count {
            return Err(invalid_option(Code::InvalidShard, "a shard is I/N with 1 <= I <= N"));
        }
        Ok(Shard { index, count })
    }

    /// `I/N` as typed: two decimal integers, 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Shard, Error> {
        let bad = || invalid_option(Code::InvalidShard, "a shard is I/N: decimal integers with 1 <= I <= N");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<u64>().map_err(|_| bad())
        };
        Shard::new(number(index)?, number(count)?).map_err(|_| bad())
    }

    /// This shard's number, from 0.
    pub fn index(self) -> u64 {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> u64 {
        self.count
    }

    /// The shard (1-based) a byte string falls in.
    pub fn of(bytes: &[u8], count: u64) -> u64 {
        let digest = token::sha256(bytes);
        1 + u64::from_be_bytes(digest[..8].try_into().expect("eight bytes")) % count
    }

    /// Whether `bytes` falls in this shard.
    fn holds(self, bytes: &[u8]) -> bool {
        self.count == 1 || Shard::of(bytes, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The lint over one export. Feed records in order; each call returns that
/// record's findings in V1 order. Memory: the options, plus the duplicate
/// tables of [`Seen`] (about 60 to 130 bytes per record read; a shard of N
/// holds about 1/N of them, at up to 8 bytes more per reference).
pub struct VaultLint {
    options: VaultOptions,
    shard: Shard,
    seen: Seen,
    fed: u64,
}

impl VaultLint {
    /// A lint of the whole vault (one shard).
    pub fn new(options: VaultOptions) -> Self {
        VaultLint::with_shard(options, Shard::ALL)
    }

    /// A lint that reports only the findings of `shard` (see [`Shard`]).
    pub fn with_shard(options: VaultOptions, shard: Shard) -> Self {
        let seen = if shard.count == 1 { Seen::new() } else { Seen::sharded() };
        VaultLint { options, shard, seen, fed: 0 }
    }

    /// Sets the shard; only before the first record (`false` after).
    pub fn set_shard(&mut self, shard: Shard) -> bool {
        if self.fed > 0 {
            return false;
        }
        self.shard = shard;
        self.seen = if shard.count == 1 { Seen::new() } else { Seen::sharded() };
        true
    }

    /// The shard this lint reports.
    pub fn shard(&self) -> Shard {
        self.shard
    }

    /// Bytes held by the duplicate tables (their capacity).
    pub fn heap_bytes(&self) -> usize {
        self.seen.heap_bytes()
    }

    /// Lints the next record (one JSON text, as stored); its position, from
    /// 1, is its `line`.
    pub fn feed(&mut self, record: &[u8]) -> Vec<VaultFinding> {
        self.fed += 1;
        let at = self.fed;
        self.lint_at(at, Some(record))
    }

    /// Lints one record at `at`, a number that identifies it in this export
    /// and grows with every call (the CLI numbers lines across files).
    /// `None` is a line over the 1 MiB limit, whose bytes were never held.
    pub fn lint_at(&mut self, at: u64, record: Option<&[u8]>) -> Vec<VaultFinding> {
        let mut out = Vec::new();
        // A record without a string token falls in shard 1.
        let first_shard = self.shard.index == 1;
        let Some(bytes) = record else {
            if first_shard {
                out.push(unreadable(at, fault_name(json::JsonFault::TooLarge)));
            }
            return out;
        };
        json::with_arena(|arena| match json::parse(bytes, arena) {
            Err(error) if first_shard => out.push(unreadable(at, fault_name(error.fault))),
            Err(_) => {}
            Ok(Value::Object(members)) => self.lint_object(at, members, &mut out),
            Ok(_) if first_shard => out.push(unreadable(at, "NOT_AN_OBJECT")),
            Ok(_) => {}
        });
        out
    }

    fn lint_object<'v>(&mut self, at: u64, members: &'v [(JsonStr<'v>, Value<'v>)], out: &mut Vec<VaultFinding>) {
        let read = record::read(members);
        let token = read.customer_token;
        let mine = match token {
            Some(token) => self.shard.holds(token),
            None => self.shard.index == 1,
        };
        if !mine {
            // Only a DUPLICATE_REFERENCE of this record can fall in this
            // shard (by its reference).
            if let Ok(record) = &read.valid {
                self.other_shards_record(at, record, out);
            }
            return;
        }
        let mut findings = Findings { at, fingerprint: token.map(token::fingerprint), out };
        let token_key = token.map(|t| self.seen.token_key(t));
        let first_with_token = token_key.map(|key| self.seen.token(key, at));
        let record = match read.valid {
            Ok(record) => record,
            Err(fault) => {
                findings.push(VaultCode::RecordInvalid, Some(fault.detail.as_str().into()));
                findings.duplicate_token(first_with_token, at);
                return;
            }
        };
        findings.token(&record, self.options.allowed_regions.as_deref());
        findings.missing_fields(&record);
        findings.revocation(&record);
        findings.timeline(&record);
        if let Some(now) = self.options.now.as_deref().and_then(timestamp::parse) {
            findings.future(&record, &now);
            if let (Some(days), TokenState::Active) = (self.options.stale_days, record.state) {
                findings.stale(&record, &now, days);
            }
        }
        findings.duplicate_token(first_with_token, at);
        let token_id = if self.seen.by_hash() {
            TokenId::Hash(token_key.expect("a valid record has a token"))
        } else {
            TokenId::First(first_with_token.expect("a valid record has a token"))
        };
        if record.state == TokenState::Active {
            if let Some(first) = self.duplicate_reference(at, &record, token_id) {
                findings.push_related(VaultCode::DuplicateReference, None, first);
            }
        }
    }

    /// For a valid `ACTIVE` record: the first earlier such record with its
    /// reference and another token, when the reference falls in this shard.
    fn duplicate_reference(&mut self, at: u64, record: &Record<'_>, token: TokenId) -> Option<u64> {
        let reference = record.customer_token_reference?;
        if reference.is_empty() || !self.shard.holds(reference.as_bytes()) {
            return None;
        }
        self.seen.active_reference(reference.as_bytes(), at, token)
    }

    /// A valid record whose other findings fall in another shard: only its
    /// `DUPLICATE_REFERENCE`, when it is `ACTIVE` and its reference falls in
    /// this one.
    fn other_shards_record(&mut self, at: u64, record: &Record<'_>, out: &mut Vec<VaultFinding>) {
        if record.state != TokenState::Active {
            return;
        }
        let Some(reference) = record.customer_token_reference else { return };
        if reference.is_empty() || !self.shard.holds(reference.as_bytes()) {
            return;
        }
        // Only a shard gets here: its reference table takes the token's hash.
        let key = TokenId::Hash(self.seen.token_key(record.customer_token));
        if let Some(first) = self.seen.active_reference(reference.as_bytes(), at, key) {
            let mut findings = Findings { at, fingerprint: Some(token::fingerprint(record.customer_token)), out };
            findings.push_related(VaultCode::DuplicateReference, None, first);
        }
    }
}

fn unreadable(at: u64, code: &'static str) -> VaultFinding {
    VaultFinding {
        line: at,
        code: VaultCode::RecordUnreadable,
        severity: VaultCode::RecordUnreadable.severity(),
        detail: Some(code.into()),
        fingerprint: None,
        related_line: None,
    }
}

/// The findings of one record, in the making.
struct Findings<'o> {
    at: u64,
    fingerprint: Option<String>,
    out: &'o mut Vec<VaultFinding>,
}

impl Findings<'_> {
    fn push_finding(&mut self, code: VaultCode, detail: Option<Cow<'static, str>>, related_line: Option<u64>) {
        self.out.push(VaultFinding {
            line: self.at,
            code,
            severity: code.severity(),
            detail,
            fingerprint: self.fingerprint.clone(),
            related_line,
        });
    }

    fn push(&mut self, code: VaultCode, detail: Option<Cow<'static, str>>) {
        self.push_finding(code, detail, None);
    }

    fn push_related(&mut self, code: VaultCode, detail: Option<Cow<'static, str>>, related: u64) {
        self.push_finding(code, detail, Some(related));
    }

    fn field(&mut self, code: VaultCode, name: &'static str) {
        self.push(code, Some(Cow::Borrowed(name)));
    }

    /// TOKEN_MALFORMED, TOKEN_WRONG_TYPE, UNKNOWN_SCOPE and REGION_NOT_ALLOWED.
    fn token(&mut self, record: &Record<'_>, allowed_regions: Option<&[String]>) {
        let parsed = token::classify(record.customer_token);
        match parsed {
            Err(TokenError::Malformed(detail)) => self.push(VaultCode::TokenMalformed, Some(detail.as_str().into())),
            Err(TokenError::WrongType) => self.push(VaultCode::TokenWrongType, None),
            Ok(_) => {}
        }
        if record.first_unknown_scope.is_some() {
            self.push(VaultCode::UnknownScope, None);
        }
        if let (Ok((_, region, _)), Some(allowed)) = (parsed, allowed_regions) {
            if !allowed.iter().any(|a| a == region) {
                self.push(VaultCode::RegionNotAllowed, Some(Cow::Owned(region.to_owned())));
            }
        }
    }

    fn missing_fields(&mut self, record: &Record<'_>) {
        if record.created_at.is_none() {
            self.field(VaultCode::MissingField, "created_at");
        }
        if record.customer_token_reference.is_none() {
            self.field(VaultCode::MissingField, "customer_token_reference");
        }
        if record.customer_id.is_none() && record.subscription_id.is_none() {
            self.field(VaultCode::MissingField, "customer_id");
        }
    }

    /// REVOKED_INCOMPLETE or REVOKED_FIELDS_ON_ACTIVE, `revoked_at` first.
    fn revocation(&mut self, record: &Record<'_>) {
        for (name, present) in
            [("revoked_at", record.revoked_at.is_some()), ("revoked_by", record.revoked_by.is_some())]
        {
            match (record.state, present) {
                (TokenState::Revoked, false) => self.field(VaultCode::RevokedIncomplete, name),
                (TokenState::Active, true) => self.field(VaultCode::RevokedFieldsOnActive, name),
                _ => {}
            }
        }
    }

    fn timeline(&mut self, t: &Record<'_>) {
        let before = |a: Option<Instant<'_>>, b: Option<Instant<'_>>| matches!((a, b), (Some(a), Some(b)) if a < b);
        if before(t.last_used_at, t.created_at) {
            self.field(VaultCode::Timeline, "USED_BEFORE_CREATED");
        }
        if before(t.revoked_at, t.created_at) {
            self.field(VaultCode::Timeline, "REVOKED_BEFORE_CREATED");
        }
        if before(t.revoked_at, t.last_used_at) {
            self.field(VaultCode::Timeline, "USED_AFTER_REVOKED");
        }
    }

    fn future(&mut self, t: &Record<'_>, now: &Instant<'_>) {
        for (name, at) in [("created_at", t.created_at), ("last_used_at", t.last_used_at), ("revoked_at", t.revoked_at)]
        {
            if matches!(at, Some(at) if at > *now) {
                self.field(VaultCode::FutureTimestamp, name);
            }
        }
    }

    /// STALE: the later of `last_used_at` and `created_at` lies more than
    /// `days` whole days before `now`.
    fn stale(&mut self, t: &Record<'_>, now: &Instant<'_>, days: u64) {
        let Some(latest) = t.last_used_at.max(t.created_at) else { return };
        // An interval past i64 is longer than the whole calendar: never stale.
        let Some(interval) = days.checked_mul(SECONDS_PER_DAY).and_then(|s| i64::try_from(s).ok()) else { return };
        // latest + interval < now  ⇔  latest < now − interval.
        if latest.is_before_offset(now, -interval) {
            self.push(VaultCode::Stale, None);
        }
    }

    fn duplicate_token(&mut self, first_with_token: Option<u64>, at: u64) {
        if let Some(first) = first_with_token.filter(|first| *first != at) {
            self.push_related(VaultCode::DuplicateToken, None, first);
        }
    }
}

/// A reader fault as one word, the `RECORD_UNREADABLE` detail: its code, or
/// `INVALID_UTF8` (a status, as the check reports bytes that are not UTF-8).
fn fault_name(fault: json::JsonFault) -> &'static str {
    fault.code().map_or(crate::error::Status::InvalidUtf8.name(), crate::code::Code::name)
}
