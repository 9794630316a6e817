//! The typed fast path: a token charge given as fields instead of JSON.
//!
//! It covers what a token charge can say without a JSON body: the token,
//! the stored record (state, scopes, token, last use), customer presence,
//! step-up, the idempotency key, amount and currency, the time and the
//! attempt counters. It builds the same `Facts` as the JSON path and runs
//! the same rules, so on every request it can represent it gives the same
//! answer (a property test in tests/properties.rs holds it to that).
//!
//! What it cannot express never fires here: the tokenization rules
//! (501–508, no `request_customer_token`), 403 (step-up is a flag, so it is
//! well-formed), 603 (no transaction reference), 604/605 (a charge always
//! has a transaction) and 703 (no header map). 204 fires only as `SCOPES`
//! (the other record faults cannot be written in typed form).

use crate::error::Error;
use crate::facts::{Facts, IdempotencyKey, Payment, RecordFacts, Reference, TokenHeader};
use crate::record::{Attempts, PaymentScope, ReadRecord, Record, RecordDetail, RecordFault, TokenState};
use crate::request::{self, Counters, CUSTOMER_TOKEN_HEADER, IDEMPOTENCY_KEY_HEADER};
use crate::timestamp::Instant;
use crate::token;

/// Scopes of a stored record, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeSet(pub u32);

impl ScopeSet {
    /// `payment:customer_present`
    pub const CUSTOMER_PRESENT: u32 = 1;
    /// `payment:customer_not_present`
    pub const CUSTOMER_NOT_PRESENT: u32 = 2;
    /// `customer:login`
    pub const CUSTOMER_LOGIN: u32 = 4;
    /// At least one scope ctpolicy does not know (rule 205).
    pub const UNKNOWN: u32 = 8;
    /// Every bit a `CTP_SCOPE_*` constant names.
    pub const ALL: u32 = 15;
    /// The scope list repeats a scope, which the JSON path's record check
    /// refuses (rule 204, `SCOPES`). Set only by [`ScopeSet::from_names`];
    /// not a `CTP_SCOPE_*` bit.
    pub const REPEATED: u32 = 16;

    fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// The set a record's `scopes` list makes, judged as the JSON path
    /// judges the list: known scopes by their bit, any other as `UNKNOWN`,
    /// and a list the record check refuses for repeating a scope as
    /// `REPEATED`.
    pub fn from_names(names: &[&str]) -> ScopeSet {
        Self::from_name_iter(names.iter().copied())
    }

    /// [`ScopeSet::from_names`] over any re-iterable list of names, so a
    /// caller holding borrowed strings needs no vector of them.
    pub(crate) fn from_name_iter<'s, I>(names: I) -> ScopeSet
    where
        I: Iterator<Item = &'s str> + Clone,
    {
        let mut bits = 0;
        for name in names.clone() {
            bits |= match name {
                crate::record::SCOPE_CUSTOMER_PRESENT => Self::CUSTOMER_PRESENT,
                crate::record::SCOPE_CUSTOMER_NOT_PRESENT => Self::CUSTOMER_NOT_PRESENT,
                crate::record::SCOPE_CUSTOMER_LOGIN => Self::CUSTOMER_LOGIN,
                _ => Self::UNKNOWN,
            };
        }
        let set = ScopeSet(bits);
        if set.payment_scope().is_some() && crate::record::payment_scope_of(names).is_none() {
            return ScopeSet(bits | Self::REPEATED);
        }
        set
    }

    /// The single payment scope, or `None` when there are none or both (or
    /// the list repeats a scope).
    fn payment_scope(self) -> Option<PaymentScope> {
        if self.has(Self::REPEATED) {
            return None;
        }
        match (self.has(Self::CUSTOMER_PRESENT), self.has(Self::CUSTOMER_NOT_PRESENT)) {
            (true, false) => Some(PaymentScope::CustomerPresent),
            (false, true) => Some(PaymentScope::CustomerNotPresent),
            _ => None,
        }
    }
}

/// What the partner stored for the token.
#[derive(Clone, Copy)]
pub struct StoredRecord<'a> {
    /// The token the record was stored for (rule 202 compares it with the
    /// header in constant time).
    pub customer_token: &'a [u8],
    /// `ACTIVE` or `REVOKED`.
    pub state: TokenState,
    /// The scopes the token was granted.
    pub scopes: ScopeSet,
    /// Milliseconds since the Unix epoch.
    pub last_used_at_ms: Option<i64>,
    /// The record's `attempts`, milliseconds since the Unix epoch each;
    /// `None` when the record has none.
    pub attempts_ms: Option<&'a [i64]>,
}

impl<'a> StoredRecord<'a> {
    /// The record's typed view (`record::Record`), judged as the JSON path judges
    /// the equivalent JSON record: the scopes first, then the timestamps; a
    /// last use or an attempt no RFC 3339 text can write is the record
    /// fault an unreadable timestamp is (rule 204). `digits` holds the last
    /// use's fraction digits.
    pub(crate) fn read<'d>(&self, digits: &'d mut [u8; 3]) -> ReadRecord<'d>
    where
        'a: 'd,
    {
        let last_used_at = self.last_used_at_ms.map(|ms| instant(ms, digits));
        let attempts_in_range = self
            .attempts_ms
            .is_none_or(|items| items.iter().all(|ms| (MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(ms)));
        let first_unknown_scope = self.scopes.has(ScopeSet::UNKNOWN).then_some(0);
        let valid = match (self.scopes.payment_scope(), last_used_at.transpose()) {
            (None, _) => Err(RecordFault {
                detail: RecordDetail::Scopes,
                field: "scopes",
                message: "scopes must hold exactly one payment scope",
            }),
            (Some(_), Err(_)) => Err(RecordFault {
                detail: RecordDetail::Timestamp,
                field: "last_used_at",
                message: "timestamps must be RFC 3339",
            }),
            (Some(_), Ok(_)) if !attempts_in_range => Err(RecordFault {
                detail: RecordDetail::Timestamp,
                field: "attempts",
                message: "attempts must be RFC 3339 timestamps",
            }),
            (Some(scope), Ok(last_used_at)) => Ok(Record {
                customer_token: self.customer_token,
                state: self.state,
                scope,
                first_unknown_scope,
                customer_token_reference: None,
                created_at: None,
                last_used_at,
                revoked_at: None,
                revoked_by: None,
                customer_id: None,
                subscription_id: None,
                attempts: self.attempts_ms.map_or(Attempts::None, Attempts::Millis),
                members: &[],
            }),
        };
        ReadRecord { customer_token: Some(self.customer_token), first_unknown_scope, valid }
    }
}

/// A token charge in typed form. Redacted in `Debug`: it holds the token.
///
/// [`Engine::decide_charge`](crate::Engine::decide_charge) decides it
/// exactly as [`Engine::check_json`](crate::Engine::check_json) decides
/// the equivalent request:
///
/// ```
/// use ctpolicy::{Charge, Engine, ScopeSet, StoredRecord, TokenState};
/// let token = b"krn:customer-token:eu1:a1b2";
/// let charge = Charge {
///     customer_present: false,
///     token: Some(token),
///     idempotency_key: Some(b"renewal-42"),
///     step_up: false,
///     amount: 1299,
///     currency: b"EUR",
///     record: Some(StoredRecord {
///         customer_token: token,
///         state: TokenState::Active,
///         scopes: ScopeSet(ScopeSet::CUSTOMER_NOT_PRESENT),
///         last_used_at_ms: None,
///         attempts_ms: None,
///     }),
///     now_ms: None,
///     attempts_24h: None,
///     attempts_30d: None,
///     caller: None,
/// };
/// let verdict = Engine::default().decide_charge(&charge, true).unwrap();
/// assert!(verdict.allowed());
/// assert!(verdict.fingerprint.is_some());
/// ```
#[derive(Clone, Copy)]
pub struct Charge<'a> {
    /// The customer takes part in this charge (`payment:customer_present`
    /// is needed) or not (`payment:customer_not_present`).
    pub customer_present: bool,
    /// The `Klarna-Customer-Token` header value; `None` when not sent.
    pub token: Option<&'a [u8]>,
    /// The `Klarna-Idempotency-Key` header value; `None` when not sent.
    pub idempotency_key: Option<&'a [u8]>,
    /// `step_up_config` is sent (a well-formed one).
    pub step_up: bool,
    /// Minor units.
    pub amount: i64,
    /// As sent (any bytes); valid when exactly three ASCII letters.
    pub currency: &'a [u8],
    /// The partner's stored record for the token; `None` when there is none.
    pub record: Option<StoredRecord<'a>>,
    /// The time of the charge, milliseconds since the Unix epoch.
    pub now_ms: Option<i64>,
    /// The host's count of charges with this token in the last 24 hours.
    pub attempts_24h: Option<i64>,
    /// The host's count of charges with this token in the last 30 days.
    pub attempts_30d: Option<i64>,
    /// The request's `caller`: the service making the charge (rules 901-903).
    pub caller: Option<&'a [u8]>,
}

impl std::fmt::Debug for Charge<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Charge")
            .field("customer_present", &self.customer_present)
            .field("token", &self.token.map(|_| "<redacted>"))
            .field("amount", &self.amount)
            .finish_non_exhaustive()
    }
}

/// Earliest and latest instants an RFC 3339 timestamp can write
/// (0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z), in milliseconds.
pub const MIN_TIMESTAMP_MS: i64 = -62_135_596_800_000;
/// See [`MIN_TIMESTAMP_MS`].
pub const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// Why a charge cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeError {
    /// `now` outside years 0001–9999: no RFC 3339 text can write it, so
    /// the JSON path's equivalent is an unreadable `now`.
    TimestampOutOfRange,
    /// An envelope fault of the equivalent JSON request (docs/RULES.md section
    /// 1): a negative attempt counter. The error is the JSON path's, byte
    /// for byte.
    Envelope(Error),
    /// A partner rule needs a field the charge lacks (NEEDED_BY_RULE).
    Undecidable(Error),
}

impl ChargeError {
    /// The error object the JSON path gives for the equivalent request.
    pub fn to_error(&self) -> Error {
        match self {
            ChargeError::TimestampOutOfRange => request::invalid_now_error(),
            ChargeError::Envelope(error) | ChargeError::Undecidable(error) => error.clone(),
        }
    }
}

/// The first field of a charge that is not UTF-8, as the JSON path reports
/// a request that is not UTF-8 (status `INVALID_UTF8`, at the top level).
/// Fields are tried in the order the equivalent request writes them.
pub fn check_utf8(charge: &Charge<'_>) -> Result<(), Error> {
    let fields = [
        ("the Klarna-Customer-Token header", charge.token),
        ("the Klarna-Idempotency-Key header", charge.idempotency_key),
        ("body.currency", Some(charge.currency)),
        ("token_record.customer_token", charge.record.map(|record| record.customer_token)),
        ("caller", charge.caller),
    ];
    for (name, bytes) in fields {
        if let Some(Err(error)) = bytes.map(std::str::from_utf8) {
            let message =
                format!("request: input is not UTF-8 ({name}: invalid byte at offset {})", error.valid_up_to());
            return Err(Error::new(crate::error::Status::InvalidUtf8, None, message).at(""));
        }
    }
    Ok(())
}

/// A negative attempt counter, reported exactly as the JSON path does.
fn check_counters(charge: &Charge<'_>) -> Result<(), ChargeError> {
    for (name, count) in [("attempts_24h", charge.attempts_24h), ("attempts_30d", charge.attempts_30d)] {
        if let Some(count) = count.filter(|n| *n < 0) {
            return Err(ChargeError::Envelope(request::negative_counter_error(name, count)));
        }
    }
    Ok(())
}

/// The caller as text, or the JSON path's envelope fault for a `caller`
/// that is not a caller name. [`check_utf8`] has already found a caller
/// that is not UTF-8; here it is the same fault as any other bad name.
fn check_caller<'a>(charge: &Charge<'a>) -> Result<Option<&'a str>, ChargeError> {
    let Some(bytes) = charge.caller else {
        return Ok(None);
    };
    match std::str::from_utf8(bytes) {
        Ok(text) if request::is_caller_name(text) => Ok(Some(text)),
        _ => Err(ChargeError::Envelope(request::invalid_caller_error())),
    }
}

fn instant(ms: i64, digits: &mut [u8; 3]) -> Result<Instant<'_>, ChargeError> {
    if !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&ms) {
        return Err(ChargeError::TimestampOutOfRange);
    }
    Ok(Instant::from_unix_millis(ms, digits))
}

impl Charge<'_> {
    /// The charge's facts, the same [`Facts`] the JSON path reads out of
    /// the equivalent request (docs/ABI.md writes it out), so one decide
    /// path serves both. The two digit buffers hold the fractional
    /// seconds of the instants made from milliseconds (an [`Instant`]
    /// borrows its digits).
    #[inline]
    pub(crate) fn facts<'f>(
        &'f self,
        now_digits: &'f mut [u8; 3],
        last_used_digits: &'f mut [u8; 3],
    ) -> Result<Facts<'f>, ChargeError> {
        let charge = self;
        let now = charge.now_ms.map(|ms| instant(ms, now_digits)).transpose()?;
        check_counters(charge)?;
        let caller = check_caller(charge)?;
        let record = match &charge.record {
            None => RecordFacts::Absent,
            Some(stored) => RecordFacts::Present(stored.read(last_used_digits)),
        };
        Ok(Facts {
            customer_present: charge.customer_present,
            required_scope: PaymentScope::required_for(charge.customer_present),
            token: match charge.token {
                None => TokenHeader::Absent,
                Some(value) => {
                    TokenHeader::Present { name: CUSTOMER_TOKEN_HEADER, value, parsed: token::classify(value) }
                }
            },
            record,
            step_up: charge.step_up.then_some(None),
            tokenization: None,
            payment: Some(Payment {
                is_object: true,
                valid_amount: crate::facts::valid_amount(charge.amount),
                reference: Reference::Absent,
            }),
            valid_currency: crate::facts::valid_currency(Some(charge.currency)),
            idempotency_key: charge.idempotency_key.map(|key| IdempotencyKey {
                name: IDEMPOTENCY_KEY_HEADER,
                valid: crate::facts::is_valid_idempotency_key(key),
            }),
            duplicate_header: None,
            now,
            // The equivalent request has a `counters` object exactly when a
            // counter is set; without one, rule 804 counts the record's attempts.
            counters: (charge.attempts_24h.is_some() || charge.attempts_30d.is_some())
                .then_some(Counters { attempts_24h: charge.attempts_24h, attempts_30d: charge.attempts_30d }),
            caller,
        })
    }
}
