//! Rules 201–205: the stored token record.

use super::{Facts, Hit, Outcome, Policy};
use crate::facts::{RecordFacts, TokenHeader};
use crate::json;
use crate::record::{ReadRecord, TokenState};
use crate::token::constant_time_eq;

pub(super) fn missing(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.header_present() && !facts.record_present()).then(|| {
        Hit::new("/token_record", "the token is sent but no token_record: its scope and state cannot be checked")
    }))
}

pub(super) fn token_mismatch(facts: &Facts<'_>, _: &Policy) -> Outcome {
    let (TokenHeader::Present { value, .. }, RecordFacts::Present(ReadRecord { customer_token: Some(stored), .. })) =
        (&facts.token, &facts.record)
    else {
        return Ok(None);
    };
    Ok((!constant_time_eq(stored, value)).then(|| {
        Hit::new(
            "/token_record/customer_token",
            "the record's customer_token differs from the Klarna-Customer-Token header: the wrong record was loaded",
        )
    }))
}

pub(super) fn revoked(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts
        .valid_record()
        .filter(|record| record.state == TokenState::Revoked)
        .map(|_| Hit::new("/token_record/state", "the token is REVOKED; a revoked token cannot be charged")))
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(match &facts.record {
        RecordFacts::Present(ReadRecord { valid: Err(fault), .. }) => Some(
            Hit::new(json::pointer(&["token_record", fault.field]), fault.message).with_detail(fault.detail.as_str()),
        ),
        _ => None,
    })
}

pub(super) fn unknown_scope(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(match &facts.record {
        RecordFacts::Present(ReadRecord { first_unknown_scope: Some(index), .. }) => Some(Hit::new(
            format!("/token_record/scopes/{index}"),
            "the record holds a scope ctpolicy does not know; it is ignored",
        )),
        _ => None,
    })
}
