//! Rules 901-903: which services may use tokens, and how (policy `access`).
//! A partner's access control, so no policy may change their severity.

use super::{Facts, Hit, Outcome, Policy};
use crate::policy::CallerAccess;

const CALLER_PATH: &str = "/caller";

/// The caller's entry, when the policy has `access` and names the caller.
fn entry<'p>(facts: &Facts<'_>, policy: &'p Policy) -> Option<&'p CallerAccess> {
    policy.caller_access(facts.caller?)
}

pub(super) fn caller_not_allowed(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    if policy.access.is_none() || entry(facts, policy).is_some() {
        return Ok(None);
    }
    Ok(Some(Hit::new(
        CALLER_PATH,
        if facts.caller.is_some() {
            "the caller is not named in the policy's access"
        } else {
            "the policy sets access, so the request must name its caller"
        },
    )))
}

pub(super) fn caller_scope_not_allowed(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let Some(access) = entry(facts, policy) else {
        return Ok(None);
    };
    Ok((facts.header_present() && !access.allows_scope(facts.required_scope))
        .then(|| Hit::new(CALLER_PATH, "the policy's access does not let this caller charge with the required scope")))
}

pub(super) fn caller_tokenization_not_allowed(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let (Some(access), Some(tokenization)) = (entry(facts, policy), &facts.tokenization) else {
        return Ok(None);
    };
    let message = if !access.tokenize {
        "the policy's access does not let this caller create tokens"
    } else if tokenization.asked_payment_scope.is_some_and(|scope| !access.allows_scope(scope)) {
        "the policy's access does not let this caller create a token of the requested scope"
    } else {
        return Ok(None);
    };
    Ok(Some(Hit::new("/body/request_customer_token", message)))
}
