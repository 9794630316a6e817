//! Rules 401–403: step-up (customer verification) configuration.

use super::{Facts, Hit, Outcome, Policy};
use crate::facts::StepUpFault;

const PATH: &str = "/body/step_up_config";

pub(super) fn not_allowed(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((!facts.customer_present && facts.step_up.is_some())
        .then(|| Hit::new(PATH, "step_up_config must not be sent when the customer is not present")))
}

pub(super) fn recommended(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok((facts.customer_present && facts.header_present() && facts.step_up.is_none())
        .then(|| Hit::new(PATH, "without step_up_config Klarna can only decline when it needs to verify the customer")))
}

pub(super) fn config_invalid(facts: &Facts<'_>, _: &Policy) -> Outcome {
    Ok(facts.step_up.flatten().map(|fault| match fault {
        StepUpFault::NotAnObject => Hit::new(PATH, "step_up_config must be an object"),
        StepUpFault::InteractionNotAnObject => Hit::new(
            "/body/step_up_config/customer_interaction_config",
            "customer_interaction_config must be an object",
        ),
        StepUpFault::ReturnUrlNotHttps => Hit::new(
            "/body/step_up_config/customer_interaction_config/return_url",
            "return_url must be a string starting with https://",
        ),
    }))
}
