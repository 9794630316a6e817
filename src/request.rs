//! The pre-flight request envelope (docs/RULES.md section 1): parsed once,
//! strictly, into typed parts. Rules never see raw JSON text.

use std::borrow::Cow;

use serde::de::Unexpected;
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
/// optional, a non-negative integer, and no other keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counters {
    #[serde(default, deserialize_with = "attempt_count")]
    pub attempts_24h: Option<i64>,
    #[serde(default, deserialize_with = "attempt_count")]
    pub attempts_30d: Option<i64>,
}

fn attempt_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match i64::deserialize(deserializer)? {
        count if count >= 0 => Ok(Some(count)),
        count => Err(negative_count(count)),
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

/// The envelope as the contract describes it (docs/RULES.md section 1), read
/// by the strict reader's serde format: a `null` member is absent, an
/// unknown one is refused, and the first fault in document order is the
/// one reported (then a missing `customer_present`, then a missing `body`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'v> {
    customer_present: bool,
    /// Name → value in document order; a `null` value is "not sent" and
    /// dropped by the format.
    #[serde(default)]
    headers: CheckedHeaders,
    /// Taken from the tree by its place once the envelope reads.
    body: Object,
    token_record: Option<Object>,
    #[serde(borrow)]
    now: Option<Now<'v>>,
    counters: Option<Counters>,
    #[serde(borrow)]
    decision_id: Option<DecisionId<'v>>,
    #[serde(borrow)]
    caller: Option<CallerName<'v>>,
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
    let envelope: Envelope<'v> =
        de::from_value(root, Nulls::Absent).map_err(|e| Error::from_de(e, Status::InvalidRequest, "request"))?;
    *request = Some(Request {
        customer_present: envelope.customer_present,
        headers: headers_in(root, envelope.headers, arena),
        // The envelope was read from `root`, so its nodes are there.
        body: envelope.body.node_in(root).expect("the body read from root"),
        token_record: envelope.token_record.map(|record| record.members_in(root).expect("the record read from root")),
        now: envelope.now.map(|now| now.0),
        counters: envelope.counters,
        decision_id: envelope.decision_id.map(|id| redacted_in(arena, id.0)),
        caller: envelope.caller.map(|caller| caller.0),
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

/// `now`: an RFC 3339 timestamp.
struct Now<'v>(Instant<'v>);

impl<'de: 'v, 'v> Deserialize<'de> for Now<'v> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        let instant = timestamp::parse(text).ok_or_else(not_a_timestamp)?;
        Ok(Now(instant))
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
