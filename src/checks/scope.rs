//! Rule 301: the token's scope against the scope the charge needs.

use super::{Facts, Hit, Outcome, Policy};

pub(super) fn mismatch(facts: &Facts<'_>, _: &Policy) -> Outcome {
    if !facts.header_present() {
        return Ok(None);
    }
    Ok(facts.valid_record().filter(|record| record.scope != facts.required_scope).map(|_| {
        Hit::new(
            "/token_record/scopes",
            if facts.customer_present {
                "the customer is present but the token only has payment:customer_not_present"
            } else {
                "the customer is not present but the token only has payment:customer_present"
            },
        )
    }))
}
