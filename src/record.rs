//! The token record the partner stored (docs/RULES.md section 3).

use crate::json::{JsonStr, Value};
use crate::timestamp::{self, Instant};

pub const SCOPE_CUSTOMER_PRESENT: &str = "payment:customer_present";
pub const SCOPE_CUSTOMER_NOT_PRESENT: &str = "payment:customer_not_present";
pub const SCOPE_CUSTOMER_LOGIN: &str = "customer:login";

/// The two payment scopes a token can hold exactly one of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentScope {
    /// `payment:customer_present`
    CustomerPresent,
    /// `payment:customer_not_present`
    CustomerNotPresent,
}

/// Written as its name (`"payment:customer_not_present"`).
impl serde::Serialize for PaymentScope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PaymentScope {
    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentScope::CustomerPresent => SCOPE_CUSTOMER_PRESENT,
            PaymentScope::CustomerNotPresent => SCOPE_CUSTOMER_NOT_PRESENT,
        }
    }

    /// The payment scope named `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            SCOPE_CUSTOMER_PRESENT => Some(PaymentScope::CustomerPresent),
            SCOPE_CUSTOMER_NOT_PRESENT => Some(PaymentScope::CustomerNotPresent),
            _ => None,
        }
    }

    /// The scope a charge needs: present customers use the on-session scope.
    pub fn required_for(customer_present: bool) -> Self {
        if customer_present {
            PaymentScope::CustomerPresent
        } else {
            PaymentScope::CustomerNotPresent
        }
    }
}

/// True for the three scopes Klarna documents.
pub fn is_known_scope(scope: &str) -> bool {
    matches!(scope, SCOPE_CUSTOMER_PRESENT | SCOPE_CUSTOMER_NOT_PRESENT | SCOPE_CUSTOMER_LOGIN)
}

/// Token lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// `ACTIVE`: the token may be charged.
    Active,
    /// `REVOKED`: the token may not be charged.
    Revoked,
}

/// Why a record is invalid, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordDetail {
    Field,
    State,
    Scopes,
    Timestamp,
}

impl RecordDetail {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordDetail::Field => "FIELD",
            RecordDetail::State => "STATE",
            RecordDetail::Scopes => "SCOPES",
            RecordDetail::Timestamp => "TIMESTAMP",
        }
    }
}

/// An invalid record: the detail and the record field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFault {
    pub detail: RecordDetail,
    pub field: &'static str,
    pub message: &'static str,
}

/// A record that passed section 3, with the parts the rules use.
#[derive(Debug, Clone, Copy)]
pub struct ValidRecord<'v> {
    pub state: TokenState,
    pub scope: PaymentScope,
    pub last_used_at: Option<Instant<'v>>,
    /// The instants of earlier authorization attempts (rule 804).
    pub attempts: Attempts<'v>,
}

/// The record's `attempts`: read from the JSON record (every entry already
/// checked to be RFC 3339) or given by the typed path in milliseconds.
#[derive(Debug, Clone, Copy)]
pub enum Attempts<'v> {
    /// Absent or `null`: no attempt known yet.
    None,
    /// The JSON array, every item an RFC 3339 string.
    Json(&'v [Value<'v>]),
    /// Milliseconds since the Unix epoch, each within years 0001-9999.
    Millis(&'v [i64]),
}

/// Attempts counted in the two windows of rule 804.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptCounts {
    pub last_24h: i64,
    pub last_30d: i64,
}

/// How many attempts a record keeps (the latest; docs/RULES.md section 7).
pub const MAX_KEPT_ATTEMPTS: usize = 100;

/// 24 hours and 30 days, in seconds (docs/RULES.md section 0).
pub const SECONDS_24H: i64 = 86_400;
pub const SECONDS_30D: i64 = 2_592_000;

impl Attempts<'_> {
    /// Entries later than `now - 24 hours` and later than `now - 30 days`;
    /// an entry later than `now` counts (clocks drift, and a cap must not
    /// loosen because of it).
    pub fn count(&self, now: &Instant<'_>) -> AttemptCounts {
        let mut counts = AttemptCounts::default();
        let mut tally = |attempt: &Instant<'_>| {
            if now.is_before_offset(attempt, SECONDS_30D) {
                counts.last_30d += 1;
                if now.is_before_offset(attempt, SECONDS_24H) {
                    counts.last_24h += 1;
                }
            }
        };
        match self {
            Attempts::None => {}
            Attempts::Json(items) => {
                for text in items.iter().filter_map(Value::as_str) {
                    if let Some(attempt) = timestamp::parse(text) {
                        tally(&attempt);
                    }
                }
            }
            Attempts::Millis(items) => {
                let mut digits = [0u8; 3];
                for ms in items.iter() {
                    tally(&Instant::from_unix_millis(*ms, &mut digits));
                }
            }
        }
        counts
    }
}

const MAX_REFERENCE_CHARS: usize = 255;

/// The one payment scope of a scope list, or `None` when the list breaks
/// the `SCOPES` rule: empty, a scope repeated, or not exactly one payment
/// scope (shared with the lifecycle's check of Klarna's response). Takes
/// an iterator so that a parsed array is read in place, not collected.
pub fn payment_scope_of<'s, I>(scopes: I) -> Option<PaymentScope>
where
    I: IntoIterator<Item = &'s str>,
    I::IntoIter: Clone,
{
    let scopes = scopes.into_iter();
    let mut payment = None;
    for (i, scope) in scopes.clone().enumerate() {
        if scopes.clone().take(i).any(|earlier| earlier == scope) {
            return None;
        }
        if let Some(scope) = PaymentScope::parse(scope) {
            if payment.replace(scope).is_some() {
                return None;
            }
        }
    }
    payment
}

/// The items of a JSON array of strings, read in place; `None` when it is
/// not an array of strings.
pub fn string_items<'v>(value: &'v Value<'_>) -> Option<impl Iterator<Item = &'v str> + Clone> {
    let items = value.as_array()?;
    items.iter().all(|item| matches!(item, Value::String(_))).then(|| items.iter().filter_map(Value::as_str))
}

/// True for a string of at most 255 characters (Unicode scalar values).
pub fn is_reference_length(text: &str) -> bool {
    text.len() <= MAX_REFERENCE_CHARS || text.chars().count() <= MAX_REFERENCE_CHARS
}

/// The members of a record that section 3 names, found in one pass over
/// the object (a `null` member counts as absent, docs/RULES.md section 0); the
/// checks then read these slots in the contract's order. Other members are
/// the partner's own and are not looked at.
#[derive(Default)]
pub(crate) struct KnownMembers<'v, 'a> {
    pub(crate) customer_token: Option<&'v Value<'a>>,
    pub(crate) scopes: Option<&'v Value<'a>>,
    pub(crate) state: Option<&'v Value<'a>>,
    pub(crate) customer_token_reference: Option<&'v Value<'a>>,
    pub(crate) created_at: Option<&'v Value<'a>>,
    pub(crate) last_used_at: Option<&'v Value<'a>>,
    pub(crate) revoked_at: Option<&'v Value<'a>>,
    pub(crate) revoked_by: Option<&'v Value<'a>>,
    pub(crate) customer_id: Option<&'v Value<'a>>,
    pub(crate) subscription_id: Option<&'v Value<'a>>,
    pub(crate) attempts: Option<&'v Value<'a>>,
}

impl<'v, 'a> KnownMembers<'v, 'a> {
    pub(crate) fn of(members: &'v [(JsonStr<'a>, Value<'a>)]) -> Self {
        let mut known = KnownMembers::default();
        for (name, value) in members {
            if value.is_null() {
                continue;
            }
            let slot = match name.as_str() {
                "customer_token" => &mut known.customer_token,
                "scopes" => &mut known.scopes,
                "state" => &mut known.state,
                "customer_token_reference" => &mut known.customer_token_reference,
                "created_at" => &mut known.created_at,
                "last_used_at" => &mut known.last_used_at,
                "revoked_at" => &mut known.revoked_at,
                "revoked_by" => &mut known.revoked_by,
                "customer_id" => &mut known.customer_id,
                "subscription_id" => &mut known.subscription_id,
                "attempts" => &mut known.attempts,
                _ => continue,
            };
            // The reader refuses duplicate keys, so each slot is set once.
            *slot = Some(value);
        }
        known
    }
}

/// Checks a stored record. `members` is the record object.
pub fn validate<'v>(members: &'v [(JsonStr<'v>, Value<'v>)]) -> Result<ValidRecord<'v>, RecordFault> {
    validate_known(&KnownMembers::of(members))
}

/// [`validate`] over members already found.
pub(crate) fn validate_known<'v>(known: &KnownMembers<'v, 'v>) -> Result<ValidRecord<'v>, RecordFault> {
    let field =
        |field: &'static str, message: &'static str| RecordFault { detail: RecordDetail::Field, field, message };

    if !matches!(known.customer_token, Some(Value::String(_))) {
        return Err(field("customer_token", "customer_token is required and must be a string"));
    }
    let scopes = known
        .scopes
        .and_then(string_items)
        .ok_or_else(|| field("scopes", "scopes is required and must be an array of strings"))?;
    let state =
        known.state.and_then(Value::as_str).ok_or_else(|| field("state", "state is required and must be a string"))?;
    match known.customer_token_reference {
        None => {}
        Some(Value::String(reference)) if is_reference_length(reference.as_str()) => {}
        Some(_) => {
            return Err(field(
                "customer_token_reference",
                "customer_token_reference must be a string of at most 255 characters",
            ))
        }
    }
    let mut timestamps: [(&'static str, Option<&Value<'_>>, Option<&str>); 3] = [
        ("created_at", known.created_at, None),
        ("last_used_at", known.last_used_at, None),
        ("revoked_at", known.revoked_at, None),
    ];
    for (name, value, text) in timestamps.iter_mut() {
        match value {
            None => {}
            Some(Value::String(s)) => *text = Some(s.as_str()),
            Some(_) => return Err(field(name, "timestamps must be RFC 3339 strings")),
        }
    }
    match known.revoked_by.map(Value::as_str) {
        None | Some(Some("CUSTOMER" | "PARTNER" | "KLARNA")) => {}
        Some(_) => return Err(field("revoked_by", "revoked_by must be CUSTOMER, PARTNER or KLARNA")),
    }
    for (name, value) in [("customer_id", known.customer_id), ("subscription_id", known.subscription_id)] {
        if matches!(value, Some(value) if value.as_str().is_none()) {
            return Err(field(name, "customer_id and subscription_id must be strings"));
        }
    }
    let attempts = match known.attempts {
        None => None,
        Some(value) => match string_items(value) {
            Some(_) => value.as_array(),
            None => return Err(field("attempts", "attempts must be an array of RFC 3339 strings")),
        },
    };

    let state = match state {
        "ACTIVE" => TokenState::Active,
        "REVOKED" => TokenState::Revoked,
        _ => {
            return Err(RecordFault {
                detail: RecordDetail::State,
                field: "state",
                message: "state must be ACTIVE or REVOKED",
            })
        }
    };
    let scope = payment_scope_of(scopes).ok_or(RecordFault {
        detail: RecordDetail::Scopes,
        field: "scopes",
        message: "scopes must be non-empty, without duplicates, and hold exactly one payment scope",
    })?;
    let mut last_used_at = None;
    for (name, _, text) in timestamps {
        if let Some(text) = text {
            let instant = timestamp::parse(text).ok_or(RecordFault {
                detail: RecordDetail::Timestamp,
                field: name,
                message: "timestamps must be RFC 3339",
            })?;
            if name == "last_used_at" {
                last_used_at = Some(instant);
            }
        }
    }
    if let Some(items) = attempts {
        if !items.iter().filter_map(Value::as_str).all(|text| timestamp::parse(text).is_some()) {
            return Err(RecordFault {
                detail: RecordDetail::Timestamp,
                field: "attempts",
                message: "attempts must be RFC 3339 timestamps",
            });
        }
    }
    let attempts = attempts.map_or(Attempts::None, Attempts::Json);
    Ok(ValidRecord { state, scope, last_used_at, attempts })
}

/// Index of the first scope that is a string but not a known scope.
pub fn first_unknown_scope(scopes: &Value<'_>) -> Option<usize> {
    scopes.as_array()?.iter().position(|scope| matches!(scope.as_str(), Some(text) if !is_known_scope(text)))
}
