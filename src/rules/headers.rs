//! Rules 701–703: the idempotency key and header hygiene.

use super::token::header_path;
use super::{Facts, Hit, Outcome};
use crate::request::IDEMPOTENCY_KEY_HEADER;

const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

pub(super) fn idempotency_key_missing(facts: &Facts<'_, '_>) -> Outcome {
    Ok(facts.request.header(IDEMPOTENCY_KEY_HEADER).is_none().then(|| {
        Hit::new(
            "/headers/Klarna-Idempotency-Key",
            "no Klarna-Idempotency-Key: a retried charge without one can charge twice",
        )
    }))
}

pub(super) fn idempotency_key_invalid(facts: &Facts<'_, '_>) -> Outcome {
    let Some(key) = facts.request.header(IDEMPOTENCY_KEY_HEADER) else { return Ok(None) };
    let bytes = key.value.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= MAX_IDEMPOTENCY_KEY_BYTES
        && bytes.iter().all(|b| (0x21..=0x7E).contains(b));
    Ok((!valid).then(|| {
        Hit::new(
            header_path(key.name),
            "Klarna-Idempotency-Key must be 1 to 255 bytes of visible ASCII",
        )
    }))
}

pub(super) fn duplicate(facts: &Facts<'_, '_>) -> Outcome {
    let headers = &facts.request.headers;
    let later_twin = headers
        .iter()
        .enumerate()
        .find(|(i, header)| headers[..*i].iter().any(|earlier| earlier.name.eq_ignore_ascii_case(header.name)));
    Ok(later_twin.map(|(_, header)| {
        Hit::new(header_path(header.name), "two header names differ only in case; which one is sent is undefined")
    }))
}
