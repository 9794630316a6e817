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

/// Who revoked a token (`revoked_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RevokedBy {
    Customer,
    Partner,
    Klarna,
}

impl RevokedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokedBy::Customer => "CUSTOMER",
            RevokedBy::Partner => "PARTNER",
            RevokedBy::Klarna => "KLARNA",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "CUSTOMER" => Some(RevokedBy::Customer),
            "PARTNER" => Some(RevokedBy::Partner),
            "KLARNA" => Some(RevokedBy::Klarna),
            _ => None,
        }
    }
}

/// A stored record that passed section 3: every field the contract names,
/// typed (a `null` member is absent, docs/RULES.md section 0). The one view
/// of the record that the rules, the lifecycle, the vault lint and the
/// typed charge share; the JSON record's own members stay in `members`, so
/// a lifecycle step carries the partner's other fields through.
#[derive(Clone, Copy)]
pub struct Record<'v> {
    /// The token as stored (compared with the header, fingerprinted; never printed).
    pub customer_token: &'v [u8],
    pub state: TokenState,
    /// The one payment scope of `scopes`.
    pub scope: PaymentScope,
    /// Index of the first scope that is a string but not a known scope (rule 205).
    pub first_unknown_scope: Option<usize>,
    pub customer_token_reference: Option<&'v str>,
    pub created_at: Option<Instant<'v>>,
    pub last_used_at: Option<Instant<'v>>,
    pub revoked_at: Option<Instant<'v>>,
    pub revoked_by: Option<RevokedBy>,
    pub customer_id: Option<&'v str>,
    pub subscription_id: Option<&'v str>,
    /// The instants of earlier authorization attempts (rule 804).
    pub attempts: Attempts<'v>,
    /// Every member of the JSON record as stored, known or not; empty for
    /// a record given in typed form.
    pub members: &'v [(JsonStr<'v>, Value<'v>)],
}

/// A stored record as read: the typed view when it is valid, the fault
/// when it is not, and the two things rules look at either way.
#[derive(Clone, Copy)]
pub struct ReadRecord<'v> {
    /// `customer_token` when it is a string (rule 202 compares it even on
    /// an invalid record).
    pub customer_token: Option<&'v [u8]>,
    /// Index of the first scope that is a string but not a known scope
    /// (rule 205, whatever else is wrong with the record).
    pub first_unknown_scope: Option<usize>,
    pub valid: Result<Record<'v>, RecordFault>,
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

/// Redacted: the token and the stored members are left out (they hold the
/// customer token).
impl std::fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("customer_token", &"<redacted>")
            .field("state", &self.state)
            .field("scope", &self.scope)
            .field("first_unknown_scope", &self.first_unknown_scope)
            .field("revoked_by", &self.revoked_by)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Redacted like [`Record`].
impl std::fmt::Debug for ReadRecord<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadRecord")
            .field("customer_token", &self.customer_token.map(|_| "<redacted>"))
            .field("first_unknown_scope", &self.first_unknown_scope)
            .field("valid", &self.valid)
            .finish()
    }
}

/// Checks a stored record (`members` is the record object) and reads it
/// into its typed view.
pub fn validate<'v>(members: &'v [(JsonStr<'v>, Value<'v>)]) -> Result<Record<'v>, RecordFault> {
    read(members).valid
}

/// Reads a stored record: one pass over the object finds the members
/// section 3 names (a `null` one counts as absent, docs/RULES.md section
/// 0; the partner's own are not looked at), then the checks run in the
/// contract's order.
pub fn read<'v>(members: &'v [(JsonStr<'v>, Value<'v>)]) -> ReadRecord<'v> {
    let (mut customer_token, mut scopes, mut state, mut reference) = (None, None, None, None);
    let (mut created_at, mut last_used_at, mut revoked_at, mut revoked_by) = (None, None, None, None);
    let (mut customer_id, mut subscription_id, mut attempts) = (None, None, None);
    for (name, value) in members {
        if value.is_null() {
            continue;
        }
        let slot = match name.as_str() {
            "customer_token" => &mut customer_token,
            "scopes" => &mut scopes,
            "state" => &mut state,
            "customer_token_reference" => &mut reference,
            "created_at" => &mut created_at,
            "last_used_at" => &mut last_used_at,
            "revoked_at" => &mut revoked_at,
            "revoked_by" => &mut revoked_by,
            "customer_id" => &mut customer_id,
            "subscription_id" => &mut subscription_id,
            "attempts" => &mut attempts,
            _ => continue,
        };
        // The reader refuses duplicate keys, so each slot is set once.
        *slot = Some(value);
    }
    let found = Found {
        customer_token,
        scopes,
        state,
        reference,
        timestamps: [("created_at", created_at), ("last_used_at", last_used_at), ("revoked_at", revoked_at)],
        revoked_by,
        customer_id,
        subscription_id,
        attempts,
    };
    let unknown_scope = scopes.and_then(first_unknown_scope);
    ReadRecord {
        customer_token: customer_token.and_then(Value::as_str).map(str::as_bytes),
        first_unknown_scope: unknown_scope,
        valid: found.check(members, unknown_scope),
    }
}

/// The members of a record that section 3 names, as found.
struct Found<'v> {
    customer_token: Option<&'v Value<'v>>,
    scopes: Option<&'v Value<'v>>,
    state: Option<&'v Value<'v>>,
    reference: Option<&'v Value<'v>>,
    /// `created_at`, `last_used_at`, `revoked_at`, in the order checked.
    timestamps: [(&'static str, Option<&'v Value<'v>>); 3],
    revoked_by: Option<&'v Value<'v>>,
    customer_id: Option<&'v Value<'v>>,
    subscription_id: Option<&'v Value<'v>>,
    attempts: Option<&'v Value<'v>>,
}

impl<'v> Found<'v> {
    fn check(
        &self,
        members: &'v [(JsonStr<'v>, Value<'v>)],
        first_unknown_scope: Option<usize>,
    ) -> Result<Record<'v>, RecordFault> {
        let field =
            |field: &'static str, message: &'static str| RecordFault { detail: RecordDetail::Field, field, message };

        let Some(Value::String(customer_token)) = self.customer_token else {
            return Err(field("customer_token", "customer_token is required and must be a string"));
        };
        let scopes = self
            .scopes
            .and_then(string_items)
            .ok_or_else(|| field("scopes", "scopes is required and must be an array of strings"))?;
        let state = self
            .state
            .and_then(Value::as_str)
            .ok_or_else(|| field("state", "state is required and must be a string"))?;
        let customer_token_reference = match self.reference {
            None => None,
            Some(Value::String(reference)) if is_reference_length(reference.as_str()) => Some(reference.as_str()),
            Some(_) => {
                return Err(field(
                    "customer_token_reference",
                    "customer_token_reference must be a string of at most 255 characters",
                ))
            }
        };
        let mut texts: [Option<&'v str>; 3] = [None; 3];
        for ((name, value), text) in self.timestamps.iter().zip(texts.iter_mut()) {
            match value {
                None => {}
                Some(Value::String(s)) => *text = Some(s.as_str()),
                Some(_) => return Err(field(name, "timestamps must be RFC 3339 strings")),
            }
        }
        let revoked_by = match self.revoked_by.map(|value| value.as_str().and_then(RevokedBy::parse)) {
            None => None,
            Some(Some(by)) => Some(by),
            Some(None) => return Err(field("revoked_by", "revoked_by must be CUSTOMER, PARTNER or KLARNA")),
        };
        let mut ids: [Option<&'v str>; 2] = [None; 2];
        for ((name, value), id) in [("customer_id", self.customer_id), ("subscription_id", self.subscription_id)]
            .into_iter()
            .zip(ids.iter_mut())
        {
            if let Some(value) = value {
                *id =
                    Some(value.as_str().ok_or_else(|| field(name, "customer_id and subscription_id must be strings"))?);
            }
        }
        let attempts = match self.attempts {
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
        let mut instants: [Option<Instant<'v>>; 3] = [None; 3];
        for (((name, _), text), instant) in self.timestamps.iter().zip(texts).zip(instants.iter_mut()) {
            if let Some(text) = text {
                *instant = Some(timestamp::parse(text).ok_or(RecordFault {
                    detail: RecordDetail::Timestamp,
                    field: name,
                    message: "timestamps must be RFC 3339",
                })?);
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
        let [created_at, last_used_at, revoked_at] = instants;
        let [customer_id, subscription_id] = ids;
        Ok(Record {
            customer_token: customer_token.as_str().as_bytes(),
            state,
            scope,
            first_unknown_scope,
            customer_token_reference,
            created_at,
            last_used_at,
            revoked_at,
            revoked_by,
            customer_id,
            subscription_id,
            attempts: attempts.map_or(Attempts::None, Attempts::Json),
            members,
        })
    }
}

/// Index of the first scope that is a string but not a known scope.
pub fn first_unknown_scope(scopes: &Value<'_>) -> Option<usize> {
    scopes.as_array()?.iter().position(|scope| matches!(scope.as_str(), Some(text) if !is_known_scope(text)))
}
