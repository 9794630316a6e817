//! Rules 601–605: what the call charges.

use super::{Facts, Hit, Outcome, Policy};
use crate::facts::Reference;

pub(super) fn currency_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts
        .valid_currency
        .is_none()
        .then(|| Hit::new("/body/currency", "currency must be a three-letter ISO 4217 code")))
}

pub(super) fn amount_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts.payment.as_ref().filter(|p| p.is_object && p.valid_amount.is_none()).map(|_| {
        Hit::new(
            "/body/request_payment_transaction/amount",
            "amount must be an integer number of minor units from 1 to 2147483647 (not a float such as 49.99)",
        )
    }))
}

pub(super) fn reference_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let Some(payment) = &facts.payment else {
        return Ok(None);
    };
    Ok(if !payment.is_object {
        Some(Hit::new("/body/request_payment_transaction", "request_payment_transaction must be an object"))
    } else if payment.reference == Reference::Invalid {
        Some(Hit::new(
            "/body/request_payment_transaction/payment_transaction_reference",
            "payment_transaction_reference must be 1 to 255 characters without control characters",
        ))
    } else {
        None
    })
}

pub(super) fn payment_missing(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.header_present() && facts.payment.is_none())
        .then(|| Hit::new("/body/request_payment_transaction", "a token charge needs request_payment_transaction")))
}

pub(super) fn nothing_requested(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let asks_for_something = facts.header_present() || facts.payment.is_some() || facts.tokenization.is_some();
    Ok((!asks_for_something).then(|| {
        Hit::new("/body", "the call has no token, no request_payment_transaction and no request_customer_token")
    }))
}
