//! Rules 601–605: what the call charges.

use super::{Facts, Hit, Outcome};
use crate::json::Value;

pub const MAX_AMOUNT_MINOR_UNITS: i64 = 2_147_483_647;

/// The currency, uppercased, when it is exactly three ASCII letters.
pub(crate) fn valid_currency(currency: Option<&Value<'_>>) -> Option<[u8; 3]> {
    let bytes: [u8; 3] = currency?.as_str()?.as_bytes().try_into().ok()?;
    bytes.iter().all(u8::is_ascii_alphabetic).then(|| bytes.map(|b| b.to_ascii_uppercase()))
}

/// The amount when `request_payment_transaction` is an object holding an
/// integer amount in 1..=2147483647.
pub(crate) fn valid_amount(request_payment_transaction: Option<&Value<'_>>) -> Option<i64> {
    request_payment_transaction?
        .get("amount")?
        .as_integer()
        .filter(|amount| (1..=MAX_AMOUNT_MINOR_UNITS).contains(amount))
}

pub(super) fn currency_invalid(facts: &Facts<'_, '_>) -> Outcome {
    Ok(facts
        .valid_currency
        .is_none()
        .then(|| Hit::new("/body/currency", "currency must be a three-letter ISO 4217 code")))
}

pub(super) fn amount_invalid(facts: &Facts<'_, '_>) -> Outcome {
    let is_object = matches!(facts.request_payment_transaction, Some(Value::Object(_)));
    Ok((is_object && facts.valid_amount.is_none()).then(|| {
        Hit::new(
            "/body/request_payment_transaction/amount",
            "amount must be an integer number of minor units from 1 to 2147483647 (not a float such as 49.99)",
        )
    }))
}

pub(super) fn reference_invalid(facts: &Facts<'_, '_>) -> Outcome {
    let Some(transaction) = facts.request_payment_transaction else { return Ok(None) };
    if !matches!(transaction, Value::Object(_)) {
        return Ok(Some(Hit::new("/body/request_payment_transaction", "request_payment_transaction must be an object")));
    }
    Ok(match transaction.get("payment_transaction_reference") {
        Some(reference) if !super::tokenization::is_valid_reference(reference) => Some(Hit::new(
            "/body/request_payment_transaction/payment_transaction_reference",
            "payment_transaction_reference must be 1 to 255 characters without control characters",
        )),
        _ => None,
    })
}

pub(super) fn payment_missing(facts: &Facts<'_, '_>) -> Outcome {
    Ok((facts.header_present() && facts.request_payment_transaction.is_none()).then(|| {
        Hit::new("/body/request_payment_transaction", "a token charge needs request_payment_transaction")
    }))
}

pub(super) fn nothing_requested(facts: &Facts<'_, '_>) -> Outcome {
    let asks_for_something = facts.header_present()
        || facts.request_payment_transaction.is_some()
        || facts.request_customer_token.is_some();
    Ok((!asks_for_something).then(|| {
        Hit::new("/body", "the call has no token, no request_payment_transaction and no request_customer_token")
    }))
}
