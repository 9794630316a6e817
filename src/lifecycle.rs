//! The token lifecycle: TOKENIZED creates an ACTIVE record, CHARGED and
//! DECLINED keep the attempt (CHARGED also moves `last_used_at`), REVOKED
//! ends it for good; and `apply_response`, which reads Klarna's answer to an
//! `authorizePayment` call as those events.
//!
//! ```
//! let record = br#"{"customer_token": "krn:customer-token:eu1:a1b2",
//!   "scopes": ["payment:customer_not_present"], "state": "ACTIVE"}"#;
//! // An event the host saw: a charge went through.
//! let charged = ctpolicy::apply_event(Some(record), br#"{"type": "CHARGED", "at": "2026-11-30T12:00:00Z"}"#).unwrap();
//! assert!(charged.changed());
//! assert!(charged.record_json().contains(r#""last_used_at":"2026-11-30T12:00:00Z""#));
//!
//! // Klarna's answer to the charge the engine allowed, read as those events.
//! let request = br#"{"customer_present": false,
//!   "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "renewal-43"},
//!   "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-43"}}}"#;
//! let response = br#"{"payment_transaction_response": {"result": "APPROVED"}}"#;
//! let next = ctpolicy::apply_response(Some(charged.record_json().as_bytes()), request, response, "2026-12-30T12:00:00Z").unwrap();
//! assert!(next.record_json().contains(r#""last_used_at":"2026-12-30T12:00:00Z""#));
//!
//! // Nothing leaves REVOKED.
//! let revoked = ctpolicy::apply_event(Some(record), br#"{"type": "REVOKED", "at": "2026-12-01T00:00:00Z", "by": "PARTNER"}"#).unwrap();
//! let refused = ctpolicy::apply_event(Some(revoked.record_json().as_bytes()), br#"{"type": "CHARGED", "at": "2026-12-02T00:00:00Z"}"#);
//! assert_eq!(refused.unwrap_err().code, Some(ctpolicy::Code::TokenRevoked));
//! ```

use std::fmt;

use serde::de::{Error as _, Unexpected};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use zeroize::Zeroizing;

use crate::code::Code;
use crate::error::{Error, Status};
use crate::json::de::{self, Lenient, Nulls};
use crate::json::{self, member, JsonStr, Plain, Value};
use crate::record::{self, payment_scope_of, Attempts, PaymentScope, Record, RevokedBy, TokenState, MAX_KEPT_ATTEMPTS};
use crate::request::{self, body_field, CUSTOMER_TOKEN_HEADER};
use crate::timestamp::{self, Instant};
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

    /// [`Transition::json`] as bytes, handed over without a copy (a copy
    /// would leave one more unwiped token behind); the caller wipes them.
    pub(crate) fn into_json_bytes(mut self) -> Vec<u8> {
        std::mem::take(&mut *self.json).into_bytes()
    }

    /// The record alone (`{...}`, or `null` when an answer left none): what
    /// to store, and what the next step takes (it takes [`Transition::json`]
    /// too).
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
    Declined,
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

fn rejected(code: Code, path: &str, message: &str) -> Error {
    Error::new(Status::TransitionRejected, Some(code), message).at(path)
}

/// Where the parts of an event stand in the document an error's path points
/// into: the event itself for [`apply_event`], Klarna's answer and the
/// pre-flight request for [`apply_response`].
struct Paths {
    /// The `customer_token_response` object.
    response: &'static str,
    /// The `request_customer_token` object.
    requested: &'static str,
    /// The event's type (a transition that is not allowed).
    kind: &'static str,
}

const EVENT_PATHS: Paths = Paths { response: "/response", requested: "/requested", kind: "/type" };
const RESPONSE_PATHS: Paths =
    Paths { response: "/customer_token_response", requested: "/body/request_customer_token", kind: "" };

/// Reads the stored record (`None`, or the JSON text `null`, when there is
/// none yet) and checks it (check 1).
/// A previous step's output is taken as its record, so steps chain (see
/// [`unwrap_transition`]).
fn read_record<'a>(record_json: Option<&'a [u8]>, arena: &'a json::Arena) -> Result<Value<'a>, Error> {
    match record_json {
        Some(text) => json::parse(text, arena)
            .map(unwrap_transition)
            .map_err(|e| Error::from_json(e, Status::InvalidRequest, "record")),
        None => Ok(Value::Null),
    }
}

/// The record inside a previous step's output: an object whose members are
/// exactly `record` (an object, or `null`), `changed` (a boolean) and, as
/// `apply_response` writes it, `events` (an array) is such an output, so
/// its `record` is the stored record. A bare record is never such an
/// object (it needs `customer_token`, `scopes` and `state`), so the two
/// cannot be confused; anything else is kept as it is.
fn unwrap_transition(root: Value<'_>) -> Value<'_> {
    let Value::Object(members) = root else { return root };
    let (mut record, mut changed, mut events) = (None, None, None);
    for (name, value) in members {
        let slot = match name.as_str() {
            "record" => &mut record,
            "changed" => &mut changed,
            "events" => &mut events,
            _ => return root,
        };
        if slot.replace(value).is_some() {
            return root;
        }
    }
    let wrapper = matches!(record, Some(Value::Object(_) | Value::Null))
        && matches!(changed, Some(Value::Bool(_)))
        && matches!(events, None | Some(Value::Array(_)));
    match record {
        Some(record) if wrapper => *record,
        _ => root,
    }
}

/// Check 1: the stored record, when there is one, is valid.
fn valid_record<'a>(root: &'a Value<'a>) -> Result<Option<Record<'a>>, Error> {
    match root {
        Value::Null => Ok(None),
        Value::Object(fields) => record::validate(fields).map(Some).map_err(|fault| {
            rejected(Code::RecordInvalid, &json::pointer(&[fault.field]), fault.message)
                .with_detail(fault.detail.as_str())
        }),
        _ => Err(rejected(Code::RecordInvalid, "", "the record must be a JSON object").with_detail("FIELD")),
    }
}

/// Applies `event_json` to the stored record (`None`, or the JSON text
/// `null`, when there is none yet). The record may also be a previous
/// step's output, `{"record": {...}, "changed": …}`, so steps chain.
pub fn apply_event(record_json: Option<&[u8]>, event_json: &[u8]) -> Result<Transition, Error> {
    // The thread's arena, recycled: a fresh one costs a chunk's malloc and
    // free on every call. Nothing returned borrows from it.
    json::with_arena(|arena| apply_event_in(arena, record_json, event_json))
}

fn apply_event_in(arena: &json::Arena, record_json: Option<&[u8]>, event_json: &[u8]) -> Result<Transition, Error> {
    let record_root = read_record(record_json, arena)?;
    let event_root =
        json::parse(event_json, arena).map_err(|e| Error::from_json(e, Status::InvalidRequest, "event"))?;

    // Check 1: the record, when given, is valid.
    let record = valid_record(&record_root)?;

    // Check 2: the event's shape. Every field is lenient, so the only
    // fault reading can have is an event that is not an object.
    let event: Event<'_> = de::from_value(&event_root, Nulls::Absent)
        .map_err(|_| rejected(Code::InvalidEvent, "", "the event must be a JSON object"))?;
    let event_type = event.kind.0.ok_or_else(|| {
        rejected(Code::InvalidEvent, "/type", "event type must be TOKENIZED, CHARGED, DECLINED or REVOKED")
    })?;
    let EventTime(at) =
        event.at.0.ok_or_else(|| rejected(Code::InvalidEvent, "/at", "event at must be an RFC 3339 timestamp"))?;
    let revoked_by = match event_type {
        EventType::Revoked => Some(
            event
                .by
                .0
                .ok_or_else(|| rejected(Code::InvalidEvent, "/by", "event by must be CUSTOMER, PARTNER or KLARNA"))?,
        ),
        _ => None,
    };

    let next = match event_type {
        EventType::Tokenized => {
            let new = tokenized(
                record,
                Tokenization {
                    response: event.response.0,
                    requested: event.requested.0,
                    customer_id: event.customer_id.0,
                    subscription_id: event.subscription_id.0,
                },
                at,
                &EVENT_PATHS,
            )?;
            Next::New(new)
        }
        EventType::Charged => attempted(record, (at, instant_of_event(at)), true, &EVENT_PATHS)?,
        EventType::Declined => attempted(record, (at, instant_of_event(at)), false, &EVENT_PATHS)?,
        EventType::Revoked => revoked(record, at, revoked_by.expect("read with the event"), &EVENT_PATHS)?,
    };
    Ok(next.into_transition(None))
}

/// The instant of an event's `at`, which [`EventTime`] has already checked.
fn instant_of_event(at: &str) -> Instant<'_> {
    timestamp::parse(at).expect("the event's at was read as an RFC 3339 timestamp")
}

/// What the next record is, before it is written.
enum Next<'r, 'a> {
    /// No record, none made (`apply_response` only).
    None,
    /// The given record, unchanged.
    Unchanged(&'r [(JsonStr<'a>, Value<'a>)]),
    /// The given record with some members replaced or added.
    Updated(UpdatedRecord<'r, 'a>),
    /// A record made by a TOKENIZED event.
    New(NewRecord<'a>),
}

impl Next<'_, '_> {
    fn changed(&self) -> bool {
        matches!(self, Next::Updated(_) | Next::New(_))
    }

    /// `{"record": …, "changed": …}`, with `"events": […]` when given.
    fn into_transition(self, events: Option<&[EventSummary<'_>]>) -> Transition {
        let changed = self.changed();
        let capacity = match &self {
            Next::None => 64,
            Next::Unchanged(fields) => 64 + fields_len(fields),
            Next::Updated(record) => {
                64 + fields_len(record.fields)
                    + record.updates.iter().map(|(name, value)| name.len() + value.approximate_len() + 6).sum::<usize>()
            }
            Next::New(record) => 256 + record.customer_token.0.len() + 40 * record.attempts.len(),
        };
        let record = RecordView(&self);
        let json = match events {
            None => json::to_secret_string(&TransitionView { record: &record, changed }, capacity),
            Some(events) => json::to_secret_string(&ResponseView { record: &record, changed, events }, capacity + 64),
        };
        Transition { json, changed }
    }
}

fn fields_len(fields: &[(JsonStr<'_>, Value<'_>)]) -> usize {
    fields.iter().map(|(key, value)| key.as_str().len() + approximate_len(value)).sum()
}

/// The parts of a TOKENIZED event, from the event or from Klarna's answer.
struct Tokenization<'a> {
    response: Option<Response<'a>>,
    requested: Option<Requested<'a>>,
    customer_id: Option<&'a str>,
    subscription_id: Option<&'a str>,
}

/// CHARGED (`charged`) or DECLINED: the attempt is kept; CHARGED also
/// moves `last_used_at` forward (check 4).
fn attempted<'a>(
    record: Option<Record<'a>>,
    (at, at_instant): (&'a str, Instant<'a>),
    charged: bool,
    paths: &Paths,
) -> Result<Next<'a, 'a>, Error> {
    let record = match record {
        None => {
            return Err(rejected(
                Code::RecordRequired,
                paths.kind,
                "CHARGED, DECLINED and REVOKED need the stored record",
            ))
        }
        Some(Record { state: TokenState::Revoked, .. }) => {
            return Err(rejected(Code::TokenRevoked, paths.kind, "a REVOKED token cannot be charged: REVOKED is final"))
        }
        Some(record) => record,
    };
    let fields = record.members;
    let mut updates: Vec<(&'static str, NewValue<'a>)> = Vec::with_capacity(2);
    if charged {
        let newer = match record.last_used_at {
            Some(previous) => at_instant > previous,
            None => true,
        };
        if newer {
            updates.push(("last_used_at", NewValue::Text(at)));
        }
    }
    let existing = match record.attempts {
        Attempts::Json(items) => Some(items),
        Attempts::None | Attempts::Millis(_) => None,
    };
    let kept = kept_attempts(existing.map(|items| items.iter().filter_map(Value::as_str)), at, at_instant);
    let attempts_changed = match existing {
        None => true,
        Some(items) => items.len() != kept.len() || items.iter().zip(&kept).any(|(old, new)| old.as_str() != Some(new)),
    };
    if attempts_changed {
        updates.push(("attempts", NewValue::Texts(kept)));
    }
    Ok(if updates.is_empty() { Next::Unchanged(fields) } else { Next::Updated(UpdatedRecord { fields, updates }) })
}

/// The attempts a record keeps after one at `at` (docs/RULES.md section 7): `at`
/// added unless an entry is the same instant, ordered by instant (equal
/// instants keep their order), the latest [`MAX_KEPT_ATTEMPTS`] kept.
/// Entries are kept exactly as given; none is dropped for its age.
fn kept_attempts<'a>(
    existing: Option<impl Iterator<Item = &'a str>>,
    at: &'a str,
    at_instant: Instant<'a>,
) -> Vec<&'a str> {
    let instant_of = |text: &'a str| timestamp::parse(text).expect("attempts of a valid record are RFC 3339");
    let mut entries: Vec<(Instant<'a>, &'a str)> =
        existing.into_iter().flatten().map(|text| (instant_of(text), text)).collect();
    if !entries.iter().any(|(instant, _)| *instant == at_instant) {
        entries.push((at_instant, at));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let dropped = entries.len().saturating_sub(MAX_KEPT_ATTEMPTS);
    entries.drain(dropped..).map(|(_, text)| text).collect()
}

/// REVOKED: from ACTIVE to REVOKED; on a REVOKED record nothing changes
/// (check 5: revocation is idempotent, so retries are safe).
fn revoked<'a>(record: Option<Record<'a>>, at: &'a str, by: RevokedBy, paths: &Paths) -> Result<Next<'a, 'a>, Error> {
    match record {
        None => Err(rejected(Code::RecordRequired, paths.kind, "CHARGED, DECLINED and REVOKED need the stored record")),
        Some(Record { state: TokenState::Revoked, members, .. }) => Ok(Next::Unchanged(members)),
        Some(Record { state: TokenState::Active, members, .. }) => Ok(Next::Updated(UpdatedRecord {
            fields: members,
            updates: vec![
                ("state", NewValue::Text("REVOKED")),
                ("revoked_at", NewValue::Text(at)),
                ("revoked_by", NewValue::Text(by.as_str())),
            ],
        })),
    }
}

/// Check 3: a TOKENIZED event builds the first record from Klarna's response.
fn tokenized<'a>(
    record: Option<Record<'_>>,
    event: Tokenization<'a>,
    at: &'a str,
    paths: &Paths,
) -> Result<NewRecord<'a>, Error> {
    if record.is_some() {
        return Err(rejected(
            Code::InvalidTransition,
            paths.kind,
            "TOKENIZED needs no record: a token is created once",
        ));
    }
    let at_path = |tail: &str| format!("{}{tail}", paths.response);
    let response_invalid = |tail: &str, message: &str| rejected(Code::ResponseInvalid, &at_path(tail), message);
    let response = event
        .response
        .ok_or_else(|| response_invalid("", "response must be Klarna's customer_token_response object"))?;
    if response.result.0 != Some("APPROVED") {
        return Err(rejected(Code::NotApproved, &at_path("/result"), "Klarna did not approve the tokenization"));
    }
    let granted = response
        .customer_token
        .0
        .ok_or_else(|| response_invalid("/customer_token", "response.customer_token must be an object"))?;
    let token = granted.customer_token.0.ok_or_else(|| {
        response_invalid("/customer_token/customer_token", "the granted customer_token must be a string")
    })?;
    let scopes = granted.scopes.0.unwrap_or_default();
    let granted_scope = payment_scope_of(scopes.iter().copied()).ok_or_else(|| {
        response_invalid(
            "/customer_token/scopes",
            "the granted scopes must be strings, without repeats, holding exactly one payment scope",
        )
    })?;
    let reference = match granted.customer_token_reference {
        None => None,
        Some(Lenient(Some(text))) if record::is_reference_length(text) => Some(text),
        Some(_) => {
            return Err(response_invalid(
                "/customer_token/customer_token_reference",
                "the granted customer_token_reference must be a string of at most 255 characters",
            ))
        }
    };
    classify(token.as_bytes()).map_err(|error| {
        let path = at_path("/customer_token/customer_token");
        match error {
            TokenError::Malformed(detail) => {
                rejected(Code::TokenMalformed, &path, detail.explain()).with_detail(detail.as_str())
            }
            TokenError::WrongType => rejected(Code::TokenWrongType, &path, &error.to_string()),
        }
    })?;
    if let Some(requested) = event.requested {
        let asked_other_scope = requested.scopes.0.is_some_and(|scopes| {
            scopes.iter().filter_map(|s| s.0.and_then(PaymentScope::parse)).any(|scope| scope != granted_scope)
        });
        if asked_other_scope {
            return Err(rejected(
                Code::ScopeGrantMismatch,
                &format!("{}/scopes", paths.requested),
                "Klarna granted a different payment scope from the one requested",
            ));
        }
        if let Some(Lenient(asked)) = requested.customer_token_reference {
            if asked.is_none() || asked != reference {
                return Err(rejected(
                    Code::ReferenceMismatch,
                    &at_path("/customer_token/customer_token_reference"),
                    "the returned customer_token_reference differs from the one requested",
                ));
            }
        }
    }

    Ok(NewRecord {
        customer_token: Plain(token),
        scopes: scopes.into_iter().map(Plain).collect(),
        state: Plain("ACTIVE"),
        created_at: Plain(at),
        customer_token_reference: reference.map(Plain),
        customer_id: event.customer_id.map(Plain),
        subscription_id: event.subscription_id.map(Plain),
        last_used_at: None,
        attempts: Vec::new(),
    })
}

/// One event `apply_response` applied: its type and instant only (never
/// the response, which holds the token).
#[derive(Serialize, Clone, Copy)]
struct EventSummary<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    at: Plain<'a>,
}

/// The events one answer applies: at most a tokenization and a payment,
/// kept on the stack (a list on the heap was one more allocation per call).
struct AppliedEvents<'a> {
    items: [EventSummary<'a>; 2],
    len: usize,
}

impl Default for AppliedEvents<'_> {
    fn default() -> Self {
        let unused = EventSummary { kind: "", at: Plain("") };
        AppliedEvents { items: [unused; 2], len: 0 }
    }
}

impl<'a> AppliedEvents<'a> {
    fn push(&mut self, event: EventSummary<'a>) {
        self.items[self.len] = event;
        self.len += 1;
    }

    fn as_slice(&self) -> &[EventSummary<'a>] {
        &self.items[..self.len]
    }
}

/// Turns Klarna's answer to an `authorizePayment` call into the lifecycle
/// events it implies and applies them (docs/RULES.md section 7.1): `record_json`
/// is the stored record (`None` or `null` when there is none), `request_json`
/// the pre-flight request that was checked and sent, `response_json` the
/// JSON body of the 2xx answer, `at` when it arrived (RFC 3339). The result
/// is `{"record": … or null, "changed": …, "events": [{"type", "at"}, …]}`.
pub fn apply_response(
    record_json: Option<&[u8]>,
    request_json: &[u8],
    response_json: &[u8],
    at: &str,
) -> Result<Transition, Error> {
    // The thread's arena, recycled (as in `apply_event`).
    json::with_arena(|arena| apply_response_in(arena, record_json, request_json, response_json, at))
}

fn apply_response_in(
    arena: &json::Arena,
    record_json: Option<&[u8]>,
    request_json: &[u8],
    response_json: &[u8],
    at: &str,
) -> Result<Transition, Error> {
    // Check 1, in the contract's order: the request's envelope (as `check`
    // reports it), the record, the response, then `at`.
    let request_root = request::parse_json(request_json, arena)?;
    let request = request::from_value(&request_root, arena)?;
    let record_root = read_record(record_json, arena)?;
    let record = valid_record(&record_root)?;
    let response_root = json::parse(response_json, arena).map_err(|e| {
        let message = format!("response: {}", e.message);
        rejected(Code::ResponseInvalid, &e.pointer, &message)
    })?;
    let Value::Object(response) = &response_root else {
        return Err(rejected(Code::ResponseInvalid, "", "the response must be a JSON object"));
    };
    let Some(at_instant) = timestamp::parse(at) else {
        return Err(Error::new(
            Status::TransitionRejected,
            Some(Code::InvalidEvent),
            "at must be an RFC 3339 timestamp",
        ));
    };

    let header_present = request.header(CUSTOMER_TOKEN_HEADER).is_some();
    let requested = body_field(request.body, "request_customer_token");
    let mut events = AppliedEvents::default();

    // Step 2: an approved tokenization makes the first record.
    let token_response = member(response, "customer_token_response");
    let approved = |value: &Value<'_>| value.get("result").and_then(Value::as_str) == Some("APPROVED");
    let mut next = match (header_present, requested, token_response) {
        (false, Some(requested), Some(token_response)) if approved(token_response) => {
            let event = Tokenization {
                response: Some(lenient_read(token_response)),
                requested: match requested {
                    Value::Object(_) => Some(lenient_read(requested)),
                    _ => None,
                },
                customer_id: None,
                subscription_id: None,
            };
            events.push(EventSummary { kind: "TOKENIZED", at: Plain(at) });
            Next::New(tokenized(record, event, at, &RESPONSE_PATHS)?)
        }
        _ => match record {
            Some(record) => Next::Unchanged(record.members),
            None => Next::None,
        },
    };

    // Step 3: the payment, when there is a token charge to account for.
    if let Some(payment) = member(response, "payment_transaction_response") {
        let result = payment.get("result").and_then(Value::as_str);
        let charged = match result {
            Some("STEP_UP_REQUIRED") => None,
            Some("APPROVED") => Some(true),
            _ => Some(false),
        };
        if let Some(charged) = charged {
            let kind = if charged { "CHARGED" } else { "DECLINED" };
            next = match next {
                Next::New(mut new) => {
                    // The record step 2 just made: no last use, no attempts yet.
                    if charged {
                        new.last_used_at = Some(Plain(at));
                    }
                    new.attempts = vec![Plain(at)];
                    events.push(EventSummary { kind, at: Plain(at) });
                    Next::New(new)
                }
                _ if header_present => {
                    let next = attempted(record, (at, at_instant), charged, &RESPONSE_PATHS)?;
                    events.push(EventSummary { kind, at: Plain(at) });
                    next
                }
                // A one-time payment: no token to account for.
                other => other,
            };
        }
    }
    Ok(next.into_transition(Some(events.as_slice())))
}

/// Reads a part of Klarna's answer whose every field is lenient.
fn lenient_read<'v, T: Deserialize<'v>>(value: &'v Value<'v>) -> T {
    de::from_value(value, Nulls::Absent).expect("an object of lenient fields always reads")
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

/// `{"record": …, "changed": …, "events": […]}` (`apply_response`).
#[derive(Serialize)]
struct ResponseView<'r, 'e, R> {
    record: &'r R,
    changed: bool,
    events: &'e [EventSummary<'e>],
}

/// The next record as written: `null`, or an object.
struct RecordView<'n, 'r, 'a>(&'n Next<'r, 'a>);

impl Serialize for RecordView<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Next::None => serializer.serialize_none(),
            Next::Unchanged(fields) => UpdatedRecord { fields, updates: Vec::new() }.serialize(serializer),
            Next::Updated(record) => record.serialize(serializer),
            Next::New(record) => record.serialize(serializer),
        }
    }
}

/// A member value an update writes: a string, or a list of strings.
enum NewValue<'a> {
    Text(&'a str),
    Texts(Vec<&'a str>),
}

impl NewValue<'_> {
    fn approximate_len(&self) -> usize {
        match self {
            NewValue::Text(text) => text.len() + 2,
            NewValue::Texts(items) => 2 + items.iter().map(|text| text.len() + 3).sum::<usize>(),
        }
    }
}

impl Serialize for NewValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            NewValue::Text(text) => Plain(text).serialize(serializer),
            NewValue::Texts(items) => serializer.collect_seq(items.iter().map(|text| Plain(text))),
        }
    }
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
    /// Set when the tokenization came with the first payment (`apply_response`).
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<Plain<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attempts: Vec<Plain<'a>>,
}

/// A stored record with updates applied: existing keys keep their place,
/// new keys follow in the order given, everything else is carried through
/// byte for byte. A map because its keys are the partner's own.
struct UpdatedRecord<'r, 'a> {
    fields: &'r [(JsonStr<'a>, Value<'a>)],
    updates: Vec<(&'static str, NewValue<'a>)>,
}

impl Serialize for UpdatedRecord<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.fields {
            match self.updates.iter().find(|(name, _)| *name == key.as_str()) {
                Some((_, new_value)) => map.serialize_entry(key, new_value)?,
                None => map.serialize_entry(key, value)?,
            }
        }
        for (name, new_value) in &self.updates {
            if !self.fields.iter().any(|(key, _)| key.as_str() == *name) {
                map.serialize_entry(name, new_value)?;
            }
        }
        map.end()
    }
}
