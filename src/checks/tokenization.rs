//! Rules 501–508: asking Klarna for a new customer token.

use super::{Facts, Hit, Outcome, Policy};
use crate::facts::Reference;
use crate::record::PaymentScope;

const PATH: &str = "/body/request_customer_token";
const SCOPES_PATH: &str = "/body/request_customer_token/scopes";
const REFERENCE_PATH: &str = "/body/request_customer_token/customer_token_reference";

pub(super) fn customer_not_present(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.tokenization.is_some() && !facts.customer_present)
        .then(|| Hit::new(PATH, "a token can only be created while the customer is present to consent")))
}

pub(super) fn step_up_missing(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.tokenization.is_some() && facts.step_up.is_none())
        .then(|| Hit::new("/body/step_up_config", "tokenization always goes through step-up: send step_up_config")))
}

pub(super) fn scopes_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let Some(requested) = &facts.tokenization else {
        return Ok(None);
    };
    Ok(if !requested.is_object {
        Some(Hit::new(PATH, "request_customer_token must be an object"))
    } else if requested.scope.is_none() {
        Some(Hit::new(
            SCOPES_PATH,
            "scopes must be a non-empty array of known scopes, without repeats, holding exactly one payment scope",
        ))
    } else {
        None
    })
}

pub(super) fn with_token(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.tokenization.is_some() && facts.header_present()).then(|| {
        Hit::new(PATH, "request_customer_token must not be sent together with a Klarna-Customer-Token header")
    }))
}

pub(super) fn subscriptions_required(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let Some(requested) = &facts.tokenization else {
        return Ok(None);
    };
    Ok((requested.scope == Some(PaymentScope::CustomerNotPresent) && !requested.has_subscriptions).then(|| {
        Hit::new(
            "/body/supplementary_purchase_data/subscriptions",
            "a payment:customer_not_present token needs supplementary_purchase_data.subscriptions",
        )
    }))
}

pub(super) fn ondemand_service_required(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let Some(requested) = &facts.tokenization else {
        return Ok(None);
    };
    Ok((requested.scope == Some(PaymentScope::CustomerPresent) && !requested.has_ondemand_service).then(|| {
        Hit::new(
            "/body/supplementary_purchase_data/ondemand_service",
            "a payment:customer_present token needs supplementary_purchase_data.ondemand_service",
        )
    }))
}

pub(super) fn reference_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let Some(requested) = &facts.tokenization else {
        return Ok(None);
    };
    Ok((requested.reference == Reference::Invalid).then(|| {
        Hit::new(REFERENCE_PATH, "customer_token_reference must be 1 to 255 characters without control characters")
    }))
}

pub(super) fn reference_missing(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    if !policy.require_token_reference {
        return Ok(None);
    }
    let Some(requested) = &facts.tokenization else {
        return Ok(None);
    };
    const MESSAGE: &str = "the policy requires a customer_token_reference on every tokenization";
    Ok(if !requested.is_object {
        Some(Hit::new(PATH, MESSAGE))
    } else if requested.reference == Reference::Absent {
        Some(Hit::new(REFERENCE_PATH, MESSAGE))
    } else {
        None
    })
}
