//! What the rules look at, in typed form.
//!
//! A request is parsed once into [`Facts`]; every rule is a small pure
//! function over them and never sees JSON. Both ways in build the same
//! facts: [`Facts::from_request`] from a JSON pre-flight request, and
//! `Charge::facts` (src/charge.rs) from the typed charge, so the two paths cannot
//! disagree about what a rule means.

use crate::json::{JsonStr, Value};
use crate::record::{self, is_known_scope, payment_scope_of, string_items, PaymentScope, ReadRecord, Record};
use crate::request::{body_field, Counters, Request, CUSTOMER_TOKEN_HEADER, IDEMPOTENCY_KEY_HEADER};
use crate::timestamp::Instant;
use crate::token::{self, TokenEnvironment, TokenError, TokenForm};

/// A parsed customer-token header value.
pub type ParsedToken<'a> = Result<(TokenForm, &'a str, Option<TokenEnvironment>), TokenError>;

/// The customer-token header.
pub enum TokenHeader<'a> {
    Absent,
    Present {
        /// The header name as sent (for paths).
        name: &'a str,
        /// The raw value: compared with the record, fingerprinted, never printed.
        value: &'a [u8],
        parsed: ParsedToken<'a>,
    },
}

/// The stored record: absent, or as read (valid or not).
// Kept inline, not boxed: the facts live on the stack for one decision, and
// a box would put an allocation on every decide path.
#[allow(clippy::large_enum_variant)]
pub enum RecordFacts<'a> {
    Absent,
    Present(ReadRecord<'a>),
}

/// What is wrong with a present `step_up_config` (rule 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUpFault {
    NotAnObject,
    InteractionNotAnObject,
    ReturnUrlNotHttps,
}

/// State of an optional reference string (1–255 characters, no controls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Absent,
    Valid,
    Invalid,
}

/// A present `request_customer_token`.
pub struct Tokenization {
    pub is_object: bool,
    /// The requested payment scope when `scopes` passes rule 503.
    pub scope: Option<PaymentScope>,
    pub reference: Reference,
    /// `supplementary_purchase_data.subscriptions` is a non-empty array.
    pub has_subscriptions: bool,
    /// `supplementary_purchase_data.ondemand_service` is an object.
    pub has_ondemand_service: bool,
    /// The payment scope asked for when `scopes` is an array holding
    /// exactly one payment scope, whatever else it holds (rule 903).
    pub asked_payment_scope: Option<PaymentScope>,
}

/// A present `request_payment_transaction`.
pub struct Payment {
    pub is_object: bool,
    /// The amount when it is an integer in 1..=2147483647.
    pub valid_amount: Option<i64>,
    pub reference: Reference,
}

/// The `Klarna-Idempotency-Key` header.
pub struct IdempotencyKey<'a> {
    pub name: &'a str,
    pub valid: bool,
}

/// Everything the rules look at, worked out once per request.
pub struct Facts<'a> {
    pub customer_present: bool,
    pub required_scope: PaymentScope,
    pub token: TokenHeader<'a>,
    pub record: RecordFacts<'a>,
    /// `None` when `step_up_config` is absent; `Some(fault)` when present.
    pub step_up: Option<Option<StepUpFault>>,
    pub tokenization: Option<Tokenization>,
    pub payment: Option<Payment>,
    /// The currency, uppercased, when it is three ASCII letters.
    pub valid_currency: Option<[u8; 3]>,
    pub idempotency_key: Option<IdempotencyKey<'a>>,
    /// The first header name equal but for case to an earlier one.
    pub duplicate_header: Option<&'a str>,
    pub now: Option<Instant<'a>>,
    /// The request's `counters` object, when it has one (rule 804 counts
    /// the record's `attempts` when it has none).
    pub counters: Option<Counters>,
    /// The service making the call (rules 901-903).
    pub caller: Option<&'a str>,
}

impl<'a> Facts<'a> {
    pub fn header_present(&self) -> bool {
        matches!(self.token, TokenHeader::Present { .. })
    }

    pub fn record_present(&self) -> bool {
        matches!(self.record, RecordFacts::Present(_))
    }

    pub fn valid_record(&self) -> Option<&Record<'a>> {
        match &self.record {
            RecordFacts::Present(ReadRecord { valid: Ok(record), .. }) => Some(record),
            _ => None,
        }
    }

    /// Reads the facts out of a JSON request that passed the envelope checks.
    pub fn from_request(request: &'a Request<'a>) -> Facts<'a> {
        let token = match request.header(CUSTOMER_TOKEN_HEADER) {
            None => TokenHeader::Absent,
            Some(header) => TokenHeader::Present {
                name: header.name,
                value: header.value.as_bytes(),
                parsed: token::classify(header.value.as_bytes()),
            },
        };
        let body = request.body;
        let supplementary = body_field(body, "supplementary_purchase_data");
        let idempotency_key = request.header(IDEMPOTENCY_KEY_HEADER).map(|header| IdempotencyKey {
            name: header.name,
            valid: is_valid_idempotency_key(header.value.as_bytes()),
        });
        let headers = &request.headers;
        let duplicate_header = headers
            .iter()
            .enumerate()
            .find(|(i, header)| headers[..*i].iter().any(|earlier| earlier.name.eq_ignore_ascii_case(header.name)))
            .map(|(_, header)| header.name);
        Facts {
            customer_present: request.customer_present,
            required_scope: PaymentScope::required_for(request.customer_present),
            token,
            record: record_facts(request.token_record),
            step_up: body_field(body, "step_up_config").map(step_up_fault),
            tokenization: body_field(body, "request_customer_token")
                .map(|requested| tokenization(requested, supplementary)),
            payment: body_field(body, "request_payment_transaction").map(payment),
            valid_currency: valid_currency(body_field(body, "currency").and_then(Value::as_str).map(str::as_bytes)),
            idempotency_key,
            duplicate_header,
            now: request.now,
            counters: request.counters,
            caller: request.caller,
        }
    }
}

const MAX_REFERENCE_CHARS: usize = 255;
const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;
pub const MAX_AMOUNT_MINOR_UNITS: i64 = 2_147_483_647;

/// 1 to 255 bytes of visible ASCII (rule 702). Every byte is tested
/// without an early exit, so the loop is vectorised: a key is usually
/// valid, and this runs on every charge.
pub fn is_valid_idempotency_key(key: &[u8]) -> bool {
    !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_BYTES
        && key.iter().fold(true, |visible, b| visible & (b.wrapping_sub(0x21) <= 0x7E - 0x21))
}

/// The currency, uppercased, when it is exactly three ASCII letters.
pub fn valid_currency(currency: Option<&[u8]>) -> Option<[u8; 3]> {
    let bytes: [u8; 3] = currency?.try_into().ok()?;
    bytes.iter().all(u8::is_ascii_alphabetic).then(|| bytes.map(|b| b.to_ascii_uppercase()))
}

/// An amount in minor units within 1..=2147483647.
pub fn valid_amount(amount: i64) -> Option<i64> {
    (1..=MAX_AMOUNT_MINOR_UNITS).contains(&amount).then_some(amount)
}

fn reference(value: Option<&Value<'_>>) -> Reference {
    match value {
        None => Reference::Absent,
        Some(value) => {
            let valid = value.as_str().is_some_and(|text| {
                // Printable ASCII (the usual reference) is settled bytewise;
                // anything else is counted and checked as characters.
                if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
                    return !text.is_empty() && text.len() <= MAX_REFERENCE_CHARS;
                }
                !text.is_empty()
                    && (text.len() <= MAX_REFERENCE_CHARS || text.chars().count() <= MAX_REFERENCE_CHARS)
                    && !text.chars().any(char::is_control)
            });
            if valid {
                Reference::Valid
            } else {
                Reference::Invalid
            }
        }
    }
}

fn record_facts<'a>(token_record: Option<&'a [(JsonStr<'a>, Value<'a>)]>) -> RecordFacts<'a> {
    match token_record {
        None => RecordFacts::Absent,
        Some(members) => RecordFacts::Present(record::read(members)),
    }
}

fn step_up_fault(config: &Value<'_>) -> Option<StepUpFault> {
    if !matches!(config, Value::Object(_)) {
        return Some(StepUpFault::NotAnObject);
    }
    let interaction = config.get("customer_interaction_config")?;
    if !matches!(interaction, Value::Object(_)) {
        return Some(StepUpFault::InteractionNotAnObject);
    }
    match interaction.get("return_url") {
        Some(url) if !url.as_str().is_some_and(|u| u.starts_with("https://")) => Some(StepUpFault::ReturnUrlNotHttps),
        _ => None,
    }
}

fn tokenization(requested: &Value<'_>, supplementary: Option<&Value<'_>>) -> Tokenization {
    let scope = requested.get("scopes").and_then(string_items).and_then(|scopes| {
        if scopes.clone().all(is_known_scope) {
            payment_scope_of(scopes)
        } else {
            None
        }
    });
    Tokenization {
        is_object: matches!(requested, Value::Object(_)),
        scope,
        reference: reference(requested.get("customer_token_reference")),
        has_subscriptions: supplementary
            .and_then(|data| data.get("subscriptions"))
            .and_then(Value::as_array)
            .is_some_and(|subscriptions| !subscriptions.is_empty()),
        has_ondemand_service: supplementary
            .and_then(|data| data.get("ondemand_service"))
            .is_some_and(|service| matches!(service, Value::Object(_))),
        asked_payment_scope: asked_payment_scope(requested.get("scopes")),
    }
}

/// The one payment scope an array of scopes holds, when it holds exactly
/// one (items that are not payment scope strings are passed over).
fn asked_payment_scope(scopes: Option<&Value<'_>>) -> Option<PaymentScope> {
    let mut payment_scopes = scopes?.as_array()?.iter().filter_map(|item| item.as_str().and_then(PaymentScope::parse));
    let first = payment_scopes.next()?;
    payment_scopes.next().is_none().then_some(first)
}

fn payment(transaction: &Value<'_>) -> Payment {
    Payment {
        is_object: matches!(transaction, Value::Object(_)),
        valid_amount: transaction.get("amount").and_then(Value::as_integer).and_then(valid_amount),
        reference: reference(transaction.get("payment_transaction_reference")),
    }
}
