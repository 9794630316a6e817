//! Rules 701–703: the idempotency key and header hygiene.

use super::token::header_path;
use super::{Facts, Hit, Outcome, Policy};

pub(super) fn idempotency_key_missing(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts.idempotency_key.is_none().then(|| {
        Hit::new(
            "/headers/Klarna-Idempotency-Key",
            "no Klarna-Idempotency-Key: a retried charge without one can charge twice",
        )
    }))
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn idempotency_key_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts
        .idempotency_key
        .as_ref()
        .filter(|key| !key.valid)
        .map(|key| Hit::new(header_path(key.name), "Klarna-Idempotency-Key must be 1 to 255 bytes of visible ASCII")))
}

pub(super) fn duplicate(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts.duplicate_header.map(|name| {
        Hit::new(header_path(name), "two header names differ only in case; which one is sent is undefined")
    }))
}
