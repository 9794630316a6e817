//! Rules 201–205: the stored token record.

use super::{Facts, Hit, Outcome, RecordStatus, TokenHeader};
use crate::json::{self, member};
use crate::record::first_unknown_scope;

pub(super) fn missing(facts: &Facts<'_, '_>) -> Outcome {
    Ok((facts.header_present() && !facts.record_present()).then(|| {
        Hit::new("/token_record", "the token is sent but no token_record: its scope and state cannot be checked")
    }))
}

pub(super) fn token_mismatch(facts: &Facts<'_, '_>) -> Outcome {
    let (TokenHeader::Present { header, .. }, Some(record)) = (&facts.token, facts.request.token_record) else {
        return Ok(None);
    };
    let Some(stored) = member(record, "customer_token").and_then(|v| v.as_str()) else { return Ok(None) };
    let same = crate::token::constant_time_eq(stored.as_bytes(), header.value.as_bytes());
    Ok((!same).then(|| {
        Hit::new(
            "/token_record/customer_token",
            "the record's customer_token differs from the Klarna-Customer-Token header: the wrong record was loaded",
        )
    }))
}

pub(super) fn revoked(facts: &Facts<'_, '_>) -> Outcome {
    Ok(facts
        .valid_record()
        .filter(|record| record.state == crate::record::TokenState::Revoked)
        .map(|_| Hit::new("/token_record/state", "the token is REVOKED; a revoked token cannot be charged")))
}

pub(super) fn invalid(facts: &Facts<'_, '_>) -> Outcome {
    Ok(match &facts.record {
        RecordStatus::Invalid(fault) => Some(Hit {
            path: json::pointer(&["token_record", fault.field]).into(),
            detail: Some(fault.detail.as_str()),
            message: fault.message.into(),
        }),
        _ => None,
    })
}

pub(super) fn unknown_scope(facts: &Facts<'_, '_>) -> Outcome {
    let Some(scopes) = facts.request.token_record.and_then(|record| member(record, "scopes")) else {
        return Ok(None);
    };
    Ok(first_unknown_scope(scopes).map(|index| {
        Hit::new(
            format!("/token_record/scopes/{index}"),
            "the record holds a scope ctpolicy does not know; it is ignored",
        )
    }))
}
