//! Rules 501–508: asking Klarna for a new customer token.

use super::{Facts, Hit, Outcome};
use crate::json::Value;
use crate::record::{is_known_scope, payment_scope_of, string_array, PaymentScope};

const PATH: &str = "/body/request_customer_token";
const SCOPES_PATH: &str = "/body/request_customer_token/scopes";
const REFERENCE_PATH: &str = "/body/request_customer_token/customer_token_reference";

pub(super) fn customer_not_present(facts: &Facts<'_, '_>) -> Outcome {
    Ok((facts.request_customer_token.is_some() && !facts.request.customer_present).then(|| {
        Hit::new(PATH, "a token can only be created while the customer is present to consent")
    }))
}

pub(super) fn step_up_missing(facts: &Facts<'_, '_>) -> Outcome {
    Ok((facts.request_customer_token.is_some() && facts.step_up_config.is_none()).then(|| {
        Hit::new("/body/step_up_config", "tokenization always goes through step-up: send step_up_config")
    }))
}

/// The payment scope a tokenization request asks for, when its `scopes`
/// pass rule 503: strings only, known, no repeats, exactly one payment scope.
pub(crate) fn requested_scope(request_customer_token: &Value<'_>) -> Option<PaymentScope> {
    let scopes = string_array(request_customer_token.get("scopes")?)?;
    if !scopes.iter().all(|scope| is_known_scope(scope)) {
        return None;
    }
    payment_scope_of(&scopes)
}

pub(super) fn scopes_invalid(facts: &Facts<'_, '_>) -> Outcome {
    let Some(requested) = facts.request_customer_token else { return Ok(None) };
    if !matches!(requested, Value::Object(_)) {
        return Ok(Some(Hit::new(PATH, "request_customer_token must be an object")));
    }
    Ok(facts.tokenization_scope.is_none().then(|| {
        Hit::new(
            SCOPES_PATH,
            "scopes must be a non-empty array of known scopes, without repeats, holding exactly one payment scope",
        )
    }))
}

pub(super) fn with_token(facts: &Facts<'_, '_>) -> Outcome {
    Ok((facts.request_customer_token.is_some() && facts.header_present()).then(|| {
        Hit::new(PATH, "request_customer_token must not be sent together with a Klarna-Customer-Token header")
    }))
}

pub(super) fn subscriptions_required(facts: &Facts<'_, '_>) -> Outcome {
    if facts.tokenization_scope != Some(PaymentScope::CustomerNotPresent) {
        return Ok(None);
    }
    let has_subscriptions = facts
        .supplementary_purchase_data
        .and_then(|data| data.get("subscriptions"))
        .and_then(Value::as_array)
        .is_some_and(|subscriptions| !subscriptions.is_empty());
    Ok((!has_subscriptions).then(|| {
        Hit::new(
            "/body/supplementary_purchase_data/subscriptions",
            "a payment:customer_not_present token needs supplementary_purchase_data.subscriptions",
        )
    }))
}

pub(super) fn ondemand_service_required(facts: &Facts<'_, '_>) -> Outcome {
    if facts.tokenization_scope != Some(PaymentScope::CustomerPresent) {
        return Ok(None);
    }
    let has_service = facts
        .supplementary_purchase_data
        .and_then(|data| data.get("ondemand_service"))
        .is_some_and(|service| matches!(service, Value::Object(_)));
    Ok((!has_service).then(|| {
        Hit::new(
            "/body/supplementary_purchase_data/ondemand_service",
            "a payment:customer_present token needs supplementary_purchase_data.ondemand_service",
        )
    }))
}

/// A string of 1 to 255 characters with no control character (category Cc).
pub(crate) fn is_valid_reference(value: &Value<'_>) -> bool {
    value.as_str().is_some_and(|text| {
        !text.is_empty() && crate::record::is_reference_length(text) && !text.chars().any(char::is_control)
    })
}

pub(super) fn reference_invalid(facts: &Facts<'_, '_>) -> Outcome {
    let Some(reference) = facts.request_customer_token.and_then(|r| r.get("customer_token_reference")) else {
        return Ok(None);
    };
    Ok((!is_valid_reference(reference)).then(|| {
        Hit::new(REFERENCE_PATH, "customer_token_reference must be 1 to 255 characters without control characters")
    }))
}

pub(super) fn reference_missing(facts: &Facts<'_, '_>) -> Outcome {
    if !facts.policy.require_token_reference {
        return Ok(None);
    }
    let Some(requested) = facts.request_customer_token else { return Ok(None) };
    if !matches!(requested, Value::Object(_)) {
        return Ok(Some(Hit::new(PATH, "the policy requires a customer_token_reference on every tokenization")));
    }
    Ok(requested.get("customer_token_reference").is_none().then(|| {
        Hit::new(REFERENCE_PATH, "the policy requires a customer_token_reference on every tokenization")
    }))
}
