//! Rules 801–804: the partner's own guardrails from its policy.

use super::{Facts, Hit, Outcome, Policy};
use crate::code::Code;
use crate::error::Error;

pub(super) fn currency_not_allowed(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let (Some(allowed), Some(currency)) = (&policy.allowed_currencies, facts.valid_currency) else {
        return Ok(None);
    };
    Ok((!allowed.contains(&currency))
        .then(|| Hit::new("/body/currency", "the currency is not in the policy's allowed_currencies")))
}

pub(super) fn amount_limit_exceeded(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let amount = facts.payment.as_ref().and_then(|payment| payment.valid_amount);
    let (Some(amount), Some(currency)) = (amount, facts.valid_currency) else {
        return Ok(None);
    };
    let Some(limit) = policy.max_amount(facts.required_scope, currency) else {
        return Ok(None);
    };
    Ok((amount > limit).then(|| {
        Hit::new(
            "/body/request_payment_transaction/amount",
            "the amount is above the policy's max_amount for this scope and currency",
        )
    }))
}

fn needed_by_rule(path: &'static str, message: &'static str) -> Error {
    Error::invalid_request(Code::NeededByRule, path, message)
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn charge_too_soon(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let Some(interval) = policy.min_charge_interval_seconds else {
        return Ok(None);
    };
    if facts.customer_present {
        return Ok(None);
    }
    let Some(last_used_at) = facts.valid_record().and_then(|record| record.last_used_at) else {
        return Ok(None);
    };
    let now = facts.now.ok_or_else(|| {
        needed_by_rule("/now", "rule 803 CHARGE_TOO_SOON needs now: the policy sets min_charge_interval_seconds")
    })?;
    Ok(now.is_before_offset(&last_used_at, interval).then(|| {
        Hit::new(
            "/token_record/last_used_at",
            "the last charge with this token is more recent than the policy's min_charge_interval_seconds",
        )
    }))
}

// Inlined into the evaluator: see `evaluate_all` in checks/mod.rs.
#[inline(always)]
pub(super) fn attempt_limit_exceeded(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let Some(limits) = policy.max_attempts else {
        return Ok(None);
    };
    if facts.customer_present {
        return Ok(None);
    }
    const PER_24H: &str = "the token has reached the policy's max_attempts per 24 hours";
    const PER_30D: &str = "the token has reached the policy's max_attempts per 30 days";
    let (count_24h, count_30d, path_24h, path_30d) = match (facts.counters, facts.valid_record()) {
        (Some(counters), _) => {
            // Every needed counter is required before any is compared, so a
            // missing one fails the call even when another cap is already hit.
            if limits.per_24h.is_some() && counters.attempts_24h.is_none() {
                return Err(needed_by_rule(
                    "/counters/attempts_24h",
                    "rule 804 ATTEMPT_LIMIT_EXCEEDED needs counters.attempts_24h: the policy sets max_attempts.per_24h",
                ));
            }
            if limits.per_30d.is_some() && counters.attempts_30d.is_none() {
                return Err(needed_by_rule(
                    "/counters/attempts_30d",
                    "rule 804 ATTEMPT_LIMIT_EXCEEDED needs counters.attempts_30d: the policy sets max_attempts.per_30d",
                ));
            }
            (counters.attempts_24h, counters.attempts_30d, "/counters/attempts_24h", "/counters/attempts_30d")
        }
        (None, Some(record)) => {
            let now = facts.now.ok_or_else(|| {
                needed_by_rule(
                    "/now",
                    "rule 804 ATTEMPT_LIMIT_EXCEEDED needs now to count the record's attempts: the policy sets max_attempts",
                )
            })?;
            let counts = record.attempts.count(&now);
            (Some(counts.last_24h), Some(counts.last_30d), "/token_record/attempts", "/token_record/attempts")
        }
        // Neither counters nor a valid record: rules 105, 201 or 204 deny.
        (None, None) => return Ok(None),
    };
    let reached = |limit: Option<i64>, count: Option<i64>| matches!((limit, count), (Some(l), Some(c)) if c >= l);
    Ok(if reached(limits.per_24h, count_24h) {
        Some(Hit::new(path_24h, PER_24H))
    } else if reached(limits.per_30d, count_30d) {
        Some(Hit::new(path_30d, PER_30D))
    } else {
        None
    })
}
