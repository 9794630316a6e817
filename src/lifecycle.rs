//! The token lifecycle (docs/RULES.md section 7): TOKENIZED creates an ACTIVE
//! record, CHARGED moves `last_used_at`, REVOKED ends it for good.

use std::fmt;

use serde::de::{Error as _, Unexpected};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Status};
use crate::json::de::{self, Lenient, Nulls};
use crate::json::{self, member, JsonStr, Plain, Value};
use crate::record::{self, payment_scope_of, PaymentScope, TokenState};
use crate::timestamp;
use crate::token::{classify, TokenError};

/// The outcome of one lifecycle step.
pub struct Transition {
    /// `{"record": …, "changed": …}`; holds the token, so it is wiped on drop.
    json: Zeroizing<String>,
    changed: bool,
}

impl Transition {
    /// Whether the record differs from the one given.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// `{"record": {...}, "changed": true|false}`. The record carries
    /// `customer_token` verbatim: it is the partner's own stored data.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The record alone, `{...}`: what to store, and what the next step
    /// takes (it takes [`Transition::json`] too).
    pub fn record_json(&self) -> &str {
        let inner = self.json.strip_prefix("{\"record\":").unwrap_or(&self.json);
        inner.rfind(",\"changed\":").map_or(inner, |end| &inner[..end])
    }
}

/// Redacted: the record holds the customer token.
impl fmt::Debug for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transition {{ changed: {}, record: <redacted> }}", self.changed)
    }
}

/// A lifecycle event (docs/RULES.md section 7), read by the strict reader's
/// serde format. Every field is [`Lenient`]: unknown fields are ignored,
/// and the contract checks the fields in an order of its own (`type`, then
/// `at`, then `by`, then the response), whatever order they come in, so a
/// field that does not read is only noted here and reported by the check.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", default)]
    kind: Lenient<EventType>,
    #[serde(default, borrow)]
    at: Lenient<EventTime<'a>>,
    #[serde(default)]
    by: Lenient<RevokedBy>,
    #[serde(default, borrow)]
    response: Lenient<Response<'a>>,
    #[serde(default, borrow)]
    requested: Lenient<Requested<'a>>,
    #[serde(default, borrow)]
    customer_id: Lenient<&'a str>,
    #[serde(default, borrow)]
    subscription_id: Lenient<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum EventType {
    Tokenized,
    Charged,
    Revoked,
}

#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum RevokedBy {
    Customer,
    Partner,
    Klarna,
}

impl RevokedBy {
    fn as_str(self) -> &'static str {
        match self {
            RevokedBy::Customer => "CUSTOMER",
            RevokedBy::Partner => "PARTNER",
            RevokedBy::Klarna => "KLARNA",
        }
    }
}

/// An RFC 3339 timestamp, kept as the text it was given as.
#[derive(Clone, Copy)]
struct EventTime<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for EventTime<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        match timestamp::parse(text) {
            Some(_) => Ok(EventTime(text)),
            None => Err(D::Error::invalid_value(Unexpected::Other("text"), &"an RFC 3339 timestamp")),
        }
    }
}

/// Klarna's `customer_token_response`.
#[derive(Deserialize)]
struct Response<'a> {
    #[serde(default, borrow)]
    result: Lenient<&'a str>,
    #[serde(default, borrow)]
    customer_token: Lenient<Granted<'a>>,
}

/// The token Klarna granted. `customer_token_reference` tells three cases
/// apart: absent (`None`), present but not a string (`Some(Lenient(None))`)
/// and a string.
#[derive(Deserialize)]
struct Granted<'a> {
    #[serde(default, borrow)]
    customer_token: Lenient<&'a str>,
    #[serde(default, borrow)]
    scopes: Lenient<Vec<&'a str>>,
    #[serde(borrow)]
    customer_token_reference: Option<Lenient<&'a str>>,
}

/// The `request_customer_token` the partner sent; a scope that is not a
/// string is no payment scope and is passed over.
#[derive(Deserialize)]
struct Requested<'a> {
    #[serde(default, borrow)]
    scopes: Lenient<Vec<Lenient<&'a str>>>,
    #[serde(borrow)]
    customer_token_reference: Option<Lenient<&'a str>>,
}

fn rejected(code: &'static str, path: &str, message: &str) -> Error {
    Error::new(Status::TransitionRejected, Some(code), message).at(path)
}

/// The record inside a previous step's output: an object whose members
/// are exactly `record` (an object) and `changed` (a boolean) is the output
/// of `apply_event` itself, so its `record` is the stored record. A bare
/// record is never such an object (it needs `customer_token`, `scopes` and
/// `state`), so the two cannot be confused; anything else is kept as it is.
fn unwrap_transition(root: Value<'_>) -> Value<'_> {
    let Value::Object([(a, first), (b, second)]) = root else { return root };
    let (record, changed) = match (a.as_str(), b.as_str()) {
        ("record", "changed") => (first, second),
        ("changed", "record") => (second, first),
        _ => return root,
    };
    if matches!(record, Value::Object(_)) && matches!(changed, Value::Bool(_)) {
        *record
    } else {
        root
    }
}

/// Applies `event_json` to the stored record (`None`, or the JSON text
/// `null`, when there is none yet). The record may also be a previous
/// step's output, `{"record": {...}, "changed": …}`, so steps chain.
pub fn apply_event(record_json: Option<&[u8]>, event_json: &[u8]) -> Result<Transition, Error> {
    let arena = json::Arena::new();
    let record_root = match record_json {
        Some(text) => json::parse(text, &arena).map_err(|e| Error::from_json(e, Status::InvalidRequest, "record"))?,
        None => Value::Null,
    };
    let record_root = unwrap_transition(record_root);
    let event_root =
        json::parse(event_json, &arena).map_err(|e| Error::from_json(e, Status::InvalidRequest, "event"))?;

    // Check 1: the record, when given, is valid.
    let record = match &record_root {
        Value::Null => None,
        Value::Object(fields) => {
            let valid = record::validate(fields).map_err(|fault| {
                rejected("RECORD_INVALID", &json::pointer(&[fault.field]), fault.message)
                    .with_detail(fault.detail.as_str())
            })?;
            Some((*fields, valid.state))
        }
        _ => {
            return Err(rejected("RECORD_INVALID", "", "the record must be a JSON object").with_detail("FIELD"));
        }
    };

    // Check 2: the event's shape. Every field is lenient, so the only
    // fault reading can have is an event that is not an object.
    let event: Event<'_> = de::from_value(&event_root, Nulls::Absent)
        .map_err(|_| rejected("INVALID_EVENT", "", "the event must be a JSON object"))?;
    let event_type = event
        .kind
        .0
        .ok_or_else(|| rejected("INVALID_EVENT", "/type", "event type must be TOKENIZED, CHARGED or REVOKED"))?;
    let EventTime(at) =
        event.at.0.ok_or_else(|| rejected("INVALID_EVENT", "/at", "event at must be an RFC 3339 timestamp"))?;
    let revoked_by = match event_type {
        EventType::Revoked => Some(
            event
                .by
                .0
                .ok_or_else(|| rejected("INVALID_EVENT", "/by", "event by must be CUSTOMER, PARTNER or KLARNA"))?,
        ),
        _ => None,
    };

    match (event_type, record) {
        (EventType::Tokenized, Some(_)) => {
            Err(rejected("INVALID_TRANSITION", "/type", "TOKENIZED needs no record: a token is created once"))
        }
        (EventType::Tokenized, None) => tokenized(event, at),
        (_, None) => Err(rejected("RECORD_REQUIRED", "/type", "CHARGED and REVOKED need the stored record")),
        (EventType::Charged, Some((_, TokenState::Revoked))) => {
            Err(rejected("TOKEN_REVOKED", "/type", "a REVOKED token cannot be charged: REVOKED is final"))
        }
        (EventType::Charged, Some((fields, TokenState::Active))) => {
            let newer = match member(fields, "last_used_at").and_then(Value::as_str) {
                // The record is valid, so a stored last_used_at parses.
                Some(previous) => timestamp::parse(at) > timestamp::parse(previous),
                None => true,
            };
            Ok(if newer { updated(fields, &[("last_used_at", at)]) } else { unchanged(fields) })
        }
        (EventType::Revoked, Some((fields, TokenState::Revoked))) => Ok(unchanged(fields)),
        (EventType::Revoked, Some((fields, TokenState::Active))) => {
            let by = revoked_by.expect("checked with the event").as_str();
            Ok(updated(fields, &[("state", "REVOKED"), ("revoked_at", at), ("revoked_by", by)]))
        }
    }
}

/// Check 3: a TOKENIZED event builds the first record from Klarna's response.
fn tokenized(event: Event<'_>, at: &str) -> Result<Transition, Error> {
    let response_invalid = |path: &str, message: &str| rejected("RESPONSE_INVALID", path, message);
    let response = event
        .response
        .0
        .ok_or_else(|| response_invalid("/response", "response must be Klarna's customer_token_response object"))?;
    if response.result.0 != Some("APPROVED") {
        return Err(rejected("NOT_APPROVED", "/response/result", "Klarna did not approve the tokenization"));
    }
    let granted = response
        .customer_token
        .0
        .ok_or_else(|| response_invalid("/response/customer_token", "response.customer_token must be an object"))?;
    let token = granted.customer_token.0.ok_or_else(|| {
        response_invalid("/response/customer_token/customer_token", "the granted customer_token must be a string")
    })?;
    let scopes = granted.scopes.0.unwrap_or_default();
    let granted_scope = payment_scope_of(scopes.iter().copied()).ok_or_else(|| {
        response_invalid(
            "/response/customer_token/scopes",
            "the granted scopes must be strings, without repeats, holding exactly one payment scope",
        )
    })?;
    let reference = match granted.customer_token_reference {
        None => None,
        Some(Lenient(Some(text))) if record::is_reference_length(text) => Some(text),
        Some(_) => {
            return Err(response_invalid(
                "/response/customer_token/customer_token_reference",
                "the granted customer_token_reference must be a string of at most 255 characters",
            ))
        }
    };
    classify(token.as_bytes()).map_err(|error| {
        let path = "/response/customer_token/customer_token";
        match error {
            TokenError::Malformed(detail) => {
                rejected("TOKEN_MALFORMED", path, detail.explain()).with_detail(detail.as_str())
            }
            TokenError::WrongType => rejected("TOKEN_WRONG_TYPE", path, &error.to_string()),
        }
    })?;
    if let Some(requested) = event.requested.0 {
        let asked_other_scope = requested.scopes.0.is_some_and(|scopes| {
            scopes.iter().filter_map(|s| s.0.and_then(PaymentScope::parse)).any(|scope| scope != granted_scope)
        });
        if asked_other_scope {
            return Err(rejected(
                "SCOPE_GRANT_MISMATCH",
                "/requested/scopes",
                "Klarna granted a different payment scope from the one requested",
            ));
        }
        if let Some(Lenient(asked)) = requested.customer_token_reference {
            if asked.is_none() || asked != reference {
                return Err(rejected(
                    "REFERENCE_MISMATCH",
                    "/response/customer_token/customer_token_reference",
                    "the returned customer_token_reference differs from the one requested",
                ));
            }
        }
    }

    let record = NewRecord {
        customer_token: Plain(token),
        scopes: scopes.into_iter().map(Plain).collect(),
        state: Plain("ACTIVE"),
        created_at: Plain(at),
        customer_token_reference: reference.map(Plain),
        customer_id: event.customer_id.0.map(Plain),
        subscription_id: event.subscription_id.0.map(Plain),
    };
    let out = json::to_secret_string(&TransitionView { record: &record, changed: true }, 256 + token.len());
    Ok(Transition { json: out, changed: true })
}

fn unchanged(fields: &[(JsonStr<'_>, Value<'_>)]) -> Transition {
    finish(fields, &[], false)
}

fn updated(fields: &[(JsonStr<'_>, Value<'_>)], updates: &[(&str, &str)]) -> Transition {
    finish(fields, updates, true)
}

/// Writes the record with `updates` (string values) applied: existing keys
/// keep their place, new keys follow in the order given, everything else is
/// carried through byte for byte.
fn finish(fields: &[(JsonStr<'_>, Value<'_>)], updates: &[(&str, &str)], changed: bool) -> Transition {
    let record = UpdatedRecord { fields, updates };
    // The record as read plus the keys an update may add: one allocation.
    let capacity = 64
        + fields.iter().map(|(key, value)| key.as_str().len() + approximate_len(value)).sum::<usize>()
        + updates.iter().map(|(name, value)| name.len() + value.len() + 6).sum::<usize>();
    let out = json::to_secret_string(&TransitionView { record: &record, changed }, capacity);
    Transition { json: out, changed }
}

/// About how many bytes `value` takes as JSON (a sizing hint, not exact).
fn approximate_len(value: &Value<'_>) -> usize {
    match value {
        Value::String(text) => text.as_str().len() + 8,
        Value::Number(number) => number.literal().len() + 2,
        Value::Array(items) => 2 + items.iter().map(approximate_len).sum::<usize>(),
        Value::Object(members) => {
            2 + members.iter().map(|(key, value)| key.as_str().len() + 4 + approximate_len(value)).sum::<usize>()
        }
        _ => 8,
    }
}

/// `{"record": …, "changed": …}`.
#[derive(Serialize)]
struct TransitionView<'r, R> {
    record: &'r R,
    changed: bool,
}

/// The first record, built from a TOKENIZED event; optional keys left out
/// when the event has no value for them.
#[derive(Serialize)]
struct NewRecord<'a> {
    customer_token: Plain<'a>,
    scopes: Vec<Plain<'a>>,
    state: Plain<'static>,
    created_at: Plain<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_token_reference: Option<Plain<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<Plain<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_id: Option<Plain<'a>>,
}

/// A stored record with string updates applied, in the order of
/// [`finish`]; a map because its keys are the partner's own.
struct UpdatedRecord<'r, 'a> {
    fields: &'r [(JsonStr<'a>, Value<'a>)],
    updates: &'r [(&'r str, &'r str)],
}

impl Serialize for UpdatedRecord<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.fields {
            match self.updates.iter().find(|(name, _)| *name == key.as_str()) {
                Some((_, new_value)) => map.serialize_entry(key, &Plain(new_value))?,
                None => map.serialize_entry(key, value)?,
            }
        }
        for (name, new_value) in self.updates {
            if !self.fields.iter().any(|(key, _)| key.as_str() == *name) {
                map.serialize_entry(name, &Plain(new_value))?;
            }
        }
        map.end()
    }
}
