//! The pre-flight request envelope (rules.md section 1): parsed once,
//! strictly, into typed parts. Rules never see raw JSON text.

use std::borrow::Cow;

use crate::error::{Error, Status};
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

/// Counts of earlier authorization attempts, supplied by the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub attempts_24h: Option<i64>,
    pub attempts_30d: Option<i64>,
}

/// A request that passed the envelope checks.
pub struct Request<'v> {
    pub customer_present: bool,
    pub headers: &'v [Header<'v>],
    /// The whole body: rules read the parts they check.
    pub body: &'v Value<'v>,
    /// The stored record object, when one was sent.
    pub token_record: Option<&'v [(JsonStr<'v>, Value<'v>)]>,
    pub now: Option<Instant<'v>>,
    pub counters: Counters,
    /// As the caller gave it, but with any token occurrence replaced by
    /// `[customer-token sha256:…]` (hygiene.md H4).
    pub decision_id: Option<&'v str>,
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
        let root = parse_json(input, arena)?;
        decide(&from_value(&root, arena)?)
    })
}

/// Reads a pre-flight request's JSON into `arena`.
pub fn parse_json<'a>(input: &'a [u8], arena: &'a Arena) -> Result<Value<'a>, Error> {
    json::parse(input, arena).map_err(|e| Error::from_json(e, Status::InvalidRequest, "request"))
}

fn wrong_type(path: &str, expected: &str, found: &Value<'_>) -> Error {
    Error::invalid_request(
        "WRONG_TYPE",
        path,
        format!("{} must be {expected}, found {}", describe(path), found.type_name()),
    )
}

fn describe(path: &str) -> String {
    if path.is_empty() {
        "the request".to_owned()
    } else {
        path.to_owned()
    }
}

/// Checks the envelope of a parsed request and yields its typed parts.
/// Its header list is kept in `arena`.
pub fn from_value<'v>(root: &'v Value<'v>, arena: &'v Arena) -> Result<Request<'v>, Error> {
    let members = root.as_object().ok_or_else(|| wrong_type("", "a JSON object", root))?;
    let mut customer_present = None;
    let mut headers: &[Header<'v>] = &[];
    let mut body = None;
    let mut token_record = None;
    let mut now = None;
    let mut counters = Counters::default();
    let mut decision_id = None;

    for (key, value) in members {
        let key = key.as_str();
        if value.is_null() && is_envelope_field(key) {
            continue; // absent
        }
        match key {
            "customer_present" => match value {
                Value::Bool(flag) => customer_present = Some(*flag),
                other => return Err(wrong_type("/customer_present", "a boolean", other)),
            },
            "headers" => headers = parse_headers(value, arena)?,
            "body" => match value {
                Value::Object(_) => body = Some(value),
                other => return Err(wrong_type("/body", "an object", other)),
            },
            "token_record" => match value {
                Value::Object(fields) => token_record = Some(*fields),
                other => return Err(wrong_type("/token_record", "an object", other)),
            },
            "now" => {
                let text = value.as_str().ok_or_else(|| wrong_type("/now", "an RFC 3339 string", value))?;
                now = Some(timestamp::parse(text).ok_or_else(|| {
                    Error::invalid_request("INVALID_VALUE", "/now", "now is not an RFC 3339 timestamp")
                })?);
            }
            "counters" => counters = parse_counters(value)?,
            "decision_id" => {
                let text = value.as_str().ok_or_else(|| wrong_type("/decision_id", "a string", value))?;
                if text.chars().count() > MAX_DECISION_ID_CHARS {
                    return Err(Error::invalid_request(
                        "INVALID_VALUE",
                        "/decision_id",
                        "decision_id is longer than 255 characters",
                    ));
                }
                decision_id = Some(redacted_in(arena, text));
            }
            unknown => {
                return Err(Error::invalid_request(
                    "UNKNOWN_FIELD",
                    json::pointer(&[unknown]),
                    "unknown top-level field (allowed: customer_present, headers, body, token_record, now, counters, decision_id)",
                ))
            }
        }
    }
    let customer_present = customer_present.ok_or_else(|| {
        Error::invalid_request("MISSING_FIELD", "/customer_present", "customer_present is required (true or false)")
    })?;
    let body = body.ok_or_else(|| Error::invalid_request("MISSING_FIELD", "/body", "body is required"))?;
    Ok(Request { customer_present, headers, body, token_record, now, counters, decision_id })
}

/// `text` with every token occurrence replaced (hygiene.md H4), kept in
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

fn is_envelope_field(key: &str) -> bool {
    matches!(key, "customer_present" | "headers" | "body" | "token_record" | "now" | "counters" | "decision_id")
}

fn parse_headers<'v>(value: &'v Value<'v>, arena: &'v Arena) -> Result<&'v [Header<'v>], Error> {
    let members = value.as_object().ok_or_else(|| wrong_type("/headers", "an object", value))?;
    let mut headers = arena.vec_with_capacity(members.len());
    for (name, value) in members {
        match value {
            Value::Null => {} // not sent
            Value::String(text) => headers.push(Header { name: name.as_str(), value: text.as_str() }),
            other => {
                let path = json::pointer(&["headers", name.as_str()]);
                return Err(Error::invalid_request(
                    "WRONG_TYPE",
                    path,
                    format!("a header value must be a string, found {}", other.type_name()),
                ));
            }
        }
    }
    Ok(headers.into_bump_slice())
}

fn parse_counters(value: &Value<'_>) -> Result<Counters, Error> {
    let members = value.as_object().ok_or_else(|| wrong_type("/counters", "an object", value))?;
    let mut counters = Counters::default();
    for (key, count) in members {
        let slot = match key.as_str() {
            "attempts_24h" => &mut counters.attempts_24h,
            "attempts_30d" => &mut counters.attempts_30d,
            other => {
                return Err(Error::invalid_request(
                    "UNKNOWN_FIELD",
                    json::pointer(&["counters", other]),
                    "counters allows only attempts_24h and attempts_30d",
                ))
            }
        };
        if count.is_null() {
            continue;
        }
        let path = || json::pointer(&["counters", key.as_str()]);
        match count.as_integer() {
            Some(n) if n >= 0 => *slot = Some(n),
            Some(_) => {
                return Err(Error::invalid_request("INVALID_VALUE", path(), "an attempt counter must not be negative"))
            }
            None => return Err(wrong_type(&path(), "a non-negative integer", count)),
        }
    }
    Ok(counters)
}

/// The member of the body named `key` (absent when missing or `null`).
pub fn body_field<'v>(body: &'v Value<'v>, key: &str) -> Option<&'v Value<'v>> {
    body.as_object().and_then(|members| member(members, key))
}
