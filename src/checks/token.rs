//! Rules 101–105: the customer-token header itself.

use super::{Facts, Hit, Outcome, Policy};
use crate::facts::TokenHeader;
use crate::json;
use crate::token::TokenError;

const MISSING_HEADER_PATH: &str = "/headers/Klarna-Customer-Token";

/// The pointer of a header as the request spells its name.
pub(super) fn header_path(name: &str) -> String {
    json::pointer(&["headers", name])
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn malformed(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(match &facts.token {
        TokenHeader::Present { name, parsed: Err(TokenError::Malformed(detail)), .. } => {
            Some(Hit::new(header_path(name), detail.explain()).with_detail(detail.as_str()))
        }
        _ => None,
    })
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn wrong_type(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(match &facts.token {
        TokenHeader::Present { name, parsed: Err(TokenError::WrongType), .. } => Some(Hit::new(
            header_path(name),
            "the Klarna-Customer-Token header holds a KRN that is not a customer token (a network session token or a transaction id?)",
        )),
        _ => None,
    })
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn region_not_allowed(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let Some(allowed) = &policy.allowed_regions else {
        return Ok(None);
    };
    Ok(match &facts.token {
        TokenHeader::Present { name, parsed: Ok((_, region, _)), .. } if !allowed.iter().any(|a| a == region) => {
            Some(Hit::new(header_path(name), "the token's region is not in the policy's allowed_regions"))
        }
        _ => None,
    })
}

pub(super) fn header_missing(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.record_present() && !facts.header_present()).then(|| {
        Hit::new(MISSING_HEADER_PATH, "a token_record is sent but the Klarna-Customer-Token header is absent")
    }))
}

pub(super) fn required(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((!facts.customer_present && !facts.header_present()).then(|| {
        Hit::new(MISSING_HEADER_PATH, "a charge without the customer present needs the Klarna-Customer-Token header")
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_missing_header_path_names_the_contract_header() {
        assert_eq!(super::MISSING_HEADER_PATH, super::header_path(crate::request::CUSTOMER_TOKEN_HEADER));
    }
}
