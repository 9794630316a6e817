//! The pre-flight request envelope (docs/RULES.md section 1): parsed once,
//! strictly, into typed parts. Rules never see raw JSON text.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, Status};
use crate::json::de::{self, DeError, Nulls, Object};
use crate::json::{self, member, Arena, JsonStr, Value};
use crate::redact::redact_str;
use crate::timestamp::{self, Instant};

/// Longest `decision_id`, in characters.
pub const MAX_DECISION_ID_CHARS: usize = 255;

pub const CUSTOMER_TOKEN_HEADER: &str = "Klarna-Customer-Token";
pub const IDEMPOTENCY_KEY_HEADER: &str = "Klarna-Idempotency-Key";

/// One header to be sent (a `null` value means "not sent" and is dropped).
#[derive(Clone, Copy)]
pub struct Header<'v> {
    /// The name exactly as the request spells it.
    pub name: &'v str,
    pub value: &'v str,
}

/// Counts of earlier authorization attempts, supplied by the host: each
/// optional, a non-negative integer, and no other keys (read by
/// [`CountersInto`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub attempts_24h: Option<i64>,
    pub attempts_30d: Option<i64>,
}

/// The names of `counters`' members, in the order an unknown member's
/// fault lists them.
const COUNTER_FIELDS: &[&str] = &["attempts_24h", "attempts_30d"];

/// Reads `counters` into the slot it is kept in, the way a derived
/// `Deserialize` with `deny_unknown_fields` would (the same faults, in the
/// same order). In place because a `Counters` returned by value came back
/// through memory as `Option<i64>` pairs stored in eight-byte pieces and
/// was copied in sixteen-byte loads, a store-forwarding stall on every
/// request that has counters.
struct CountersInto<'s>(&'s mut Option<Counters>);

impl<'de> DeserializeSeed<'de> for CountersInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("Counters", COUNTER_FIELDS, self)
    }
}

impl<'de> Visitor<'de> for CountersInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("struct Counters")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut counters = Counters::default();
        while let Some(field) = map.next_key::<CounterField>()? {
            let slot = match field {
                CounterField::Last24h => &mut counters.attempts_24h,
                CounterField::Last30d => &mut counters.attempts_30d,
            };
            if slot.is_some() {
                return Err(serde::de::Error::duplicate_field(COUNTER_FIELDS[field as usize]));
            }
            *slot = Some(map.next_value::<AttemptCount>()?.0);
        }
        *self.0 = Some(counters);
        Ok(())
    }
}

/// A member of `counters`, by its place in [`COUNTER_FIELDS`].
#[derive(Clone, Copy)]
enum CounterField {
    Last24h,
    Last30d,
}

impl<'de> Deserialize<'de> for CounterField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = CounterField;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("field identifier")
            }

            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<CounterField, E> {
                match key {
                    "attempts_24h" => Ok(CounterField::Last24h),
                    "attempts_30d" => Ok(CounterField::Last30d),
                    _ => Err(E::unknown_field(key, COUNTER_FIELDS)),
                }
            }
        }

        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// A count of `counters`: a non-negative integer.
struct AttemptCount(i64);

impl<'de> Deserialize<'de> for AttemptCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match i64::deserialize(deserializer)? {
            count if count >= 0 => Ok(AttemptCount(count)),
            count => Err(negative_count(count)),
        }
    }
}

fn negative_count<E: serde::de::Error>(count: i64) -> E {
    E::invalid_value(Unexpected::Signed(count), &"a non-negative integer")
}

fn not_a_timestamp<E: serde::de::Error>() -> E {
    E::invalid_value(Unexpected::Other("text"), &"an RFC 3339 timestamp")
}

/// The error of a negative `counters` member, for the typed path: the
/// same bytes the JSON path gives.
pub fn negative_counter_error(field: &str, count: i64) -> Error {
    let fault: DeError = negative_count(count);
    Error::from_de(fault.within(&["counters", field]), Status::InvalidRequest, "request")
}

/// The error of a `now` that is no RFC 3339 timestamp, for the typed path.
pub fn invalid_now_error() -> Error {
    let fault: DeError = not_a_timestamp();
    Error::from_de(fault.within(&["now"]), Status::InvalidRequest, "request")
}

/// The error of a `caller` that is not a caller name, for the typed path.
pub fn invalid_caller_error() -> Error {
    let fault: DeError = not_a_caller_name();
    Error::from_de(fault.within(&["caller"]), Status::InvalidRequest, "request")
}

fn not_a_caller_name<E: serde::de::Error>() -> E {
    E::invalid_value(Unexpected::Other("text"), &"a caller name: 1 to 255 characters, no control characters")
}

/// Longest caller name, in characters.
pub const MAX_CALLER_CHARS: usize = 255;

/// A caller name (docs/RULES.md section 0): 1 to 255 characters, none of them a
/// control character.
pub fn is_caller_name(text: &str) -> bool {
    !text.is_empty()
        && (text.len() <= MAX_CALLER_CHARS || text.chars().count() <= MAX_CALLER_CHARS)
        && !text.chars().any(char::is_control)
}

/// A request that passed the envelope checks.
pub struct Request<'v> {
    /// The request's `customer_present`.
    pub customer_present: bool,
    /// The request's headers, in order (kept in the arena the request was
    /// read into).
    pub headers: &'v [Header<'v>],
    /// The whole body: rules read the parts they check.
    pub body: &'v Value<'v>,
    /// The stored record object, when one was sent.
    pub token_record: Option<&'v [(JsonStr<'v>, Value<'v>)]>,
    /// The request's `now`, when given.
    pub now: Option<Instant<'v>>,
    /// `None` when the request has no `counters` object.
    pub counters: Option<Counters>,
    /// As the caller gave it, but with any token occurrence replaced by
    /// `[customer-token sha256:…]` (docs/HYGIENE.md H4).
    pub decision_id: Option<&'v str>,
    /// The service making the call, exactly as given (compared byte for
    /// byte with the policy's `access` keys; redacted wherever it is written).
    pub caller: Option<&'v str>,
}

impl<'v> Request<'v> {
    /// The first header whose name equals `name` ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&Header<'v>> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }
}

/// Reads and checks a pre-flight request in the thread's arena and hands it
/// to `decide`: the one way the JSON paths get a [`Request`].
pub fn with_request<R>(input: &[u8], decide: impl FnOnce(&Request<'_>) -> Result<R, Error>) -> Result<R, Error> {
    json::with_arena(|arena| {
        // Both the tree and the request are filled in slots of this frame
        // and read where they lie: returned by value, each came back
        // through memory and was copied out in loads wider than the
        // callee's stores, a stall on every call.
        let mut root = Value::Null;
        parse_json_into(input, arena, &mut root)?;
        let mut request = None;
        from_value_into(&root, arena, &mut request)?;
        match &request {
            Some(request) => decide(request),
            None => unreachable!("from_value_into fills the slot when it succeeds"),
        }
    })
}

/// Reads a pre-flight request's JSON into `arena`.
pub fn parse_json<'a>(input: &'a [u8], arena: &'a Arena) -> Result<Value<'a>, Error> {
    let mut root = Value::Null;
    parse_json_into(input, arena, &mut root).map(|()| root)
}

/// [`parse_json`] into the caller's slot `root`.
fn parse_json_into<'a>(input: &'a [u8], arena: &'a Arena, root: &mut Value<'a>) -> Result<(), Error> {
    json::parse_into(input, arena, root).map_err(|e| Error::from_json(e, Status::InvalidRequest, "request"))
}

/// The envelope's members as the contract lists them (docs/RULES.md
/// section 1): the names an unknown member's fault lists.
const ENVELOPE_FIELDS: &[&str] =
    &["customer_present", "headers", "body", "token_record", "now", "counters", "decision_id", "caller"];

/// A member of the envelope, by its place in [`ENVELOPE_FIELDS`].
#[derive(Clone, Copy)]
enum EnvelopeField {
    CustomerPresent,
    Headers,
    Body,
    TokenRecord,
    Now,
    Counters,
    DecisionId,
    Caller,
}

impl EnvelopeField {
    /// The member named `key`. The eight names differ in length, so the
    /// length picks the one candidate and a single comparison with a
    /// constant settles it (a derived reader compared the key with the
    /// names one after the other, on every member of every request; a
    /// comparison with a name looked up in a table is a `memcmp` call).
    fn named(key: &str) -> Option<EnvelopeField> {
        let field = match key.len() {
            16 if key == "customer_present" => EnvelopeField::CustomerPresent,
            7 if key == "headers" => EnvelopeField::Headers,
            4 if key == "body" => EnvelopeField::Body,
            12 if key == "token_record" => EnvelopeField::TokenRecord,
            3 if key == "now" => EnvelopeField::Now,
            8 if key == "counters" => EnvelopeField::Counters,
            11 if key == "decision_id" => EnvelopeField::DecisionId,
            6 if key == "caller" => EnvelopeField::Caller,
            _ => return None,
        };
        debug_assert_eq!(ENVELOPE_FIELDS[field as usize], key);
        Some(field)
    }
}

impl<'de> Deserialize<'de> for EnvelopeField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = EnvelopeField;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("field identifier")
            }

            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<EnvelopeField, E> {
                EnvelopeField::named(key).ok_or_else(|| E::unknown_field(key, ENVELOPE_FIELDS))
            }
        }

        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// The envelope's parts as read, filled in place by [`ReadEnvelope`].
#[derive(Default)]
struct EnvelopeParts<'v> {
    customer_present: Option<bool>,
    /// `headers`, when present, checked (taken from the tree by [`headers_in`]).
    headers: CheckedHeaders,
    /// Taken from the tree by its place once the envelope reads.
    body: Option<Object>,
    token_record: Option<Object>,
    now: Option<Instant<'v>>,
    counters: Option<Counters>,
    decision_id: Option<&'v str>,
    caller: Option<&'v str>,
}

/// Reads the envelope as the contract describes it (docs/RULES.md section
/// 1) through the strict reader's serde format, into the caller's
/// [`EnvelopeParts`]: a `null` member is absent, an unknown one is
/// refused, and the first fault in document order is the one reported
/// (then a missing `customer_present`, then a missing `body`), as a
/// derived `Deserialize` with `deny_unknown_fields` reports them. Written
/// by hand for two reasons a profile gave: the member names are matched
/// by length ([`EnvelopeField::named`]), and nothing read is returned by
/// value through the layers of the read (each such return was copied in
/// loads wider than the stores before them).
struct ReadEnvelope<'p, 'v>(&'p mut EnvelopeParts<'v>);

impl<'de: 'v, 'v> DeserializeSeed<'de> for ReadEnvelope<'_, 'v> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("Envelope", ENVELOPE_FIELDS, self)
    }
}

impl<'de: 'v, 'v> Visitor<'de> for ReadEnvelope<'_, 'v> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("struct Envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parts = self.0;
        // One bit per member read: the reader refuses a repeated key
        // before anything is typed, so this only keeps the derived
        // reader's answer to one.
        let mut seen = 0u8;
        while let Some(field) = map.next_key::<EnvelopeField>()? {
            let bit = 1u8 << field as u8;
            if seen & bit != 0 {
                return Err(serde::de::Error::duplicate_field(ENVELOPE_FIELDS[field as usize]));
            }
            seen |= bit;
            match field {
                EnvelopeField::CustomerPresent => parts.customer_present = Some(map.next_value()?),
                EnvelopeField::Headers => parts.headers = map.next_value()?,
                EnvelopeField::Body => parts.body = Some(map.next_value()?),
                EnvelopeField::TokenRecord => parts.token_record = map.next_value()?,
                EnvelopeField::Now => map.next_value_seed(OptionInto(NowInto(&mut parts.now)))?,
                EnvelopeField::Counters => map.next_value_seed(OptionInto(CountersInto(&mut parts.counters)))?,
                EnvelopeField::DecisionId => {
                    parts.decision_id = map.next_value::<Option<DecisionId<'v>>>()?.map(|id| id.0)
                }
                EnvelopeField::Caller => parts.caller = map.next_value::<Option<CallerName<'v>>>()?.map(|name| name.0),
            }
        }
        if parts.customer_present.is_none() {
            return Err(serde::de::Error::missing_field("customer_present"));
        }
        if parts.body.is_none() {
            return Err(serde::de::Error::missing_field("body"));
        }
        Ok(())
    }
}

/// An optional member read in place: `null` leaves the slot empty (as an
/// `Option` reads it), anything else is read by the seed.
struct OptionInto<S>(S);

impl<'de, S: DeserializeSeed<'de, Value = ()> + Visitor<'de, Value = ()>> DeserializeSeed<'de> for OptionInto<S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = ()> + Visitor<'de, Value = ()>> Visitor<'de> for OptionInto<S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.deserialize(deserializer)
    }
}

/// Checks the envelope of a parsed request and yields its typed parts.
pub fn from_value<'v>(root: &'v Value<'v>, arena: &'v Arena) -> Result<Request<'v>, Error> {
    let mut request = None;
    from_value_into(root, arena, &mut request)?;
    Ok(request.expect("from_value_into fills the slot when it succeeds"))
}

/// [`from_value`] into the caller's slot `request` (see [`with_request`]
/// for why a slot); it is left as it was on an error.
fn from_value_into<'v>(root: &'v Value<'v>, arena: &'v Arena, request: &mut Option<Request<'v>>) -> Result<(), Error> {
    let mut parts = EnvelopeParts::default();
    ReadEnvelope(&mut parts)
        .deserialize(de::Deserializer::new(root, Nulls::Absent))
        .map_err(|e| Error::from_de(e, Status::InvalidRequest, "request"))?;
    let (Some(customer_present), Some(body)) = (parts.customer_present, parts.body) else {
        unreachable!("the envelope's read refuses a request without customer_present or body")
    };
    *request = Some(Request {
        customer_present,
        headers: headers_in(root, parts.headers, arena),
        // The envelope was read from `root`, so its nodes are there.
        body: body.node_in(root).expect("the body read from root"),
        token_record: parts.token_record.map(|record| record.members_in(root).expect("the record read from root")),
        now: parts.now,
        counters: parts.counters,
        decision_id: parts.decision_id.map(|id| redacted_in(arena, id)),
        caller: parts.caller,
    });
    Ok(())
}

/// `headers`: every name and value a string (a `null` value is "not sent"
/// and skipped by the format), checked here in document order like every
/// other member. The headers themselves are then taken from the tree into
/// the arena ([`headers_in`]): a vector per request was the one heap
/// allocation of a check, and a typed copy here was moved through every
/// layer of the envelope's read.
#[derive(Default)]
struct CheckedHeaders;

impl<'de> Deserialize<'de> for CheckedHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;

        impl<'de> serde::de::Visitor<'de> for HeadersVisitor {
            type Value = CheckedHeaders;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<CheckedHeaders, A::Error> {
                while map.next_key::<&'de str>()?.is_some() {
                    map.next_value::<&'de str>()?;
                }
                Ok(CheckedHeaders)
            }
        }

        deserializer.deserialize_map(HeadersVisitor)
    }
}

/// The headers of `root`, in order, without the `null` ones, as one slice
/// of `arena`. Takes the [`CheckedHeaders`] of the envelope read from
/// `root`, the proof that `headers`, when present, is an object of strings
/// and `null`s.
fn headers_in<'v>(root: &'v Value<'v>, _checked: CheckedHeaders, arena: &'v Arena) -> &'v [Header<'v>] {
    let Some(members) = root.get("headers").and_then(Value::as_object) else {
        return &[];
    };
    let mut headers = arena.vec_with_capacity(members.len());
    headers.extend(
        members.iter().filter_map(|(name, value)| value.as_str().map(|value| Header { name: name.as_str(), value })),
    );
    headers.into_bump_slice()
}

/// `caller`: a caller name.
struct CallerName<'v>(&'v str);

impl<'de: 'v, 'v> Deserialize<'de> for CallerName<'v> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        if !is_caller_name(text) {
            return Err(not_a_caller_name());
        }
        Ok(CallerName(text))
    }
}

/// `now`, an RFC 3339 timestamp, read into the slot it is kept in: an
/// instant returned by value came back through memory in eight-byte
/// stores and was copied on in a sixteen-byte load (a store-forwarding
/// stall a profile showed on every request with a `now`).
struct NowInto<'s, 'v>(&'s mut Option<Instant<'v>>);

impl<'de: 'v, 'v> DeserializeSeed<'de> for NowInto<'_, 'v> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de: 'v, 'v> Visitor<'de> for NowInto<'_, 'v> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a borrowed string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<(), E> {
        *self.0 = Some(timestamp::parse(text).ok_or_else(not_a_timestamp)?);
        Ok(())
    }
}

/// `decision_id`: at most 255 characters.
struct DecisionId<'v>(&'v str);

impl<'de: 'v, 'v> Deserialize<'de> for DecisionId<'v> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        if text.chars().count() > MAX_DECISION_ID_CHARS {
            return Err(serde::de::Error::invalid_value(Unexpected::Other("text"), &"at most 255 characters long"));
        }
        Ok(DecisionId(text))
    }
}

/// `text` with every token occurrence replaced (docs/HYGIENE.md H4), kept in
/// `arena`: a `decision_id` is echoed into the receipt and the audit entry,
/// so a token a caller put there is redacted once, where it is read. A text
/// without an occurrence (every real id) is borrowed, not copied.
fn redacted_in<'v>(arena: &'v Arena, text: &'v str) -> &'v str {
    match redact_str(text) {
        Cow::Borrowed(clean) => clean,
        Cow::Owned(redacted) => {
            let mut bytes = arena.vec_with_capacity(redacted.len());
            bytes.extend_from_slice(redacted.as_bytes());
            std::str::from_utf8(bytes.into_bump_slice()).expect("a redacted str stays UTF-8")
        }
    }
}

/// The member of the body named `key` (absent when missing or `null`).
pub fn body_field<'v>(body: &'v Value<'v>, key: &str) -> Option<&'v Value<'v>> {
    body.as_object().and_then(|members| member(members, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The envelope as a derived `Deserialize` reads it: the reference
    /// [`ReadEnvelope`] and [`CountersInto`] must agree with, fault for
    /// fault.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // only its faults and its success are compared
    struct DerivedEnvelope<'v> {
        customer_present: bool,
        #[serde(default)]
        headers: CheckedHeaders,
        body: Object,
        token_record: Option<Object>,
        #[serde(borrow)]
        now: Option<Now<'v>>,
        counters: Option<DerivedCounters>,
        #[serde(borrow)]
        decision_id: Option<DecisionId<'v>>,
        #[serde(borrow)]
        caller: Option<CallerName<'v>>,
    }

    /// `now` as the derived reference reads it.
    struct Now<'v>(Instant<'v>);

    impl<'de: 'v, 'v> Deserialize<'de> for Now<'v> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = <&'de str>::deserialize(deserializer)?;
            let instant = timestamp::parse(text).ok_or_else(not_a_timestamp)?;
            Ok(Now(instant))
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DerivedCounters {
        #[serde(default, deserialize_with = "derived_count")]
        attempts_24h: Option<i64>,
        #[serde(default, deserialize_with = "derived_count")]
        attempts_30d: Option<i64>,
    }

    fn derived_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        AttemptCount::deserialize(deserializer).map(|count| Some(count.0))
    }

    /// Each input's answer, as the error object's JSON or the counters read.
    fn both(input: &str) -> (String, String) {
        let arena = Arena::new();
        let root = json::parse(input.as_bytes(), &arena).expect("valid JSON");
        let derived = match de::from_value::<DerivedEnvelope<'_>>(&root, Nulls::Absent) {
            Ok(envelope) => format!(
                "ok {:?} {:?}",
                envelope.counters.map(|c| (c.attempts_24h, c.attempts_30d)),
                envelope.now.map(|now| now.0)
            ),
            Err(e) => Error::from_de(e, Status::InvalidRequest, "request").to_json(),
        };
        let by_hand = match from_value(&root, &arena) {
            Ok(request) => {
                format!("ok {:?} {:?}", request.counters.map(|c| (c.attempts_24h, c.attempts_30d)), request.now)
            }
            Err(e) => e.to_json(),
        };
        (derived, by_hand)
    }

    #[test]
    fn the_hand_written_envelope_read_answers_as_the_derived_one() {
        let cases = [
            r#"{"customer_present":false,"body":{}}"#,
            r#"{"body":{},"customer_present":true,"counters":{"attempts_30d":3,"attempts_24h":0}}"#,
            r#"{"customer_present":false,"body":{},"counters":{"attempts_24h":null,"attempts_30d":2}}"#,
            r#"{"customer_present":false,"body":{},"counters":null,"now":null,"caller":null}"#,
            r#"{"customer_present":false,"body":{},"counters":{}}"#,
            r#"{"customer_present":false,"body":{},"counters":{"attempts_24h":-1}}"#,
            r#"{"customer_present":false,"body":{},"counters":{"attempts_24h":1.0}}"#,
            r#"{"customer_present":false,"body":{},"counters":{"attempts_7d":1}}"#,
            r#"{"customer_present":false,"body":{},"counters":{"attempts_7d":null}}"#,
            r#"{"customer_present":false,"body":{},"counters":[1]}"#,
            r#"{"customer_present":false,"body":{},"counters":"x"}"#,
            r#"{"customer_present":false}"#,
            r#"{"body":{}}"#,
            r#"{}"#,
            r#"[]"#,
            r#"null"#,
            r#"{"customer_present":null,"body":null}"#,
            r#"{"customer_present":"no","body":{}}"#,
            r#"{"customer_present":false,"body":[]}"#,
            r#"{"customer_present":false,"body":{},"token_record":[]}"#,
            r#"{"customer_present":false,"body":{},"token_record":{"a":1}}"#,
            r#"{"customer_present":false,"body":{},"headers":{"A":"b","C":null}}"#,
            r#"{"customer_present":false,"body":{},"headers":{"A":1}}"#,
            r#"{"customer_present":false,"body":{},"headers":[]}"#,
            r#"{"customer_present":false,"body":{},"now":"2026-11-25T10:00:00Z"}"#,
            r#"{"customer_present":false,"body":{},"now":"yesterday"}"#,
            r#"{"customer_present":false,"body":{},"now":5}"#,
            r#"{"customer_present":false,"body":{},"decision_id":"d-1","caller":"shop"}"#,
            r#"{"customer_present":false,"body":{},"caller":""}"#,
            r#"{"customer_present":false,"body":{},"caller":7}"#,
            r#"{"customer_present":false,"body":{},"decision_id":7}"#,
            r#"{"customer_present":false,"body":{},"extra":1}"#,
            r#"{"extra":null,"customer_present":false,"body":{}}"#,
            r#"{"customer_presenT":false,"body":{}}"#,
            r#"{"bodY":{},"customer_present":false}"#,
            r#"{"nOw":"x","customer_present":false,"body":{}}"#,
            r#"{"customer_present":1,"extra":1}"#,
            r#"{"extra":1,"customer_present":1}"#,
            r#"{"counters":{"attempts_24h":-5},"customer_present":1}"#,
            r#"{"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890":1,"customer_present":false,"body":{}}"#,
        ];
        for case in cases {
            let (derived, by_hand) = both(case);
            assert_eq!(by_hand, derived, "{case}");
        }
        // Every key the read knows, and every key of each length it
        // matches on with one byte changed, answers as the derived read.
        for name in ENVELOPE_FIELDS.iter().chain(COUNTER_FIELDS) {
            let named = EnvelopeField::named(name).map(|field| ENVELOPE_FIELDS[field as usize]);
            assert_eq!(named, (!COUNTER_FIELDS.contains(name)).then_some(*name));
            for at in 0..name.len() {
                let mut changed = name.as_bytes().to_vec();
                changed[at] = if changed[at] == b'x' { b'y' } else { b'x' };
                let changed = String::from_utf8(changed).expect("ASCII");
                for case in [
                    format!(r#"{{"{changed}":1,"customer_present":false,"body":{{}}}}"#),
                    format!(r#"{{"customer_present":false,"body":{{}},"counters":{{"{changed}":1}}}}"#),
                ] {
                    let (derived, by_hand) = both(&case);
                    assert_eq!(by_hand, derived, "{case}");
                }
            }
        }
    }
}
