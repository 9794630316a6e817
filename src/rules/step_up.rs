//! Rules 401–403: step-up (customer verification) configuration.

use super::{Facts, Hit, Outcome};
use crate::json::Value;

const PATH: &str = "/body/step_up_config";

pub(super) fn not_allowed(facts: &Facts<'_, '_>) -> Outcome {
    Ok((!facts.request.customer_present && facts.step_up_config.is_some()).then(|| {
        Hit::new(PATH, "step_up_config must not be sent when the customer is not present")
    }))
}

pub(super) fn recommended(facts: &Facts<'_, '_>) -> Outcome {
    Ok((facts.request.customer_present && facts.header_present() && facts.step_up_config.is_none()).then(|| {
        Hit::new(PATH, "without step_up_config Klarna can only decline when it needs to verify the customer")
    }))
}

pub(super) fn config_invalid(facts: &Facts<'_, '_>) -> Outcome {
    let Some(config) = facts.step_up_config else { return Ok(None) };
    if !matches!(config, Value::Object(_)) {
        return Ok(Some(Hit::new(PATH, "step_up_config must be an object")));
    }
    let Some(interaction) = config.get("customer_interaction_config") else { return Ok(None) };
    if !matches!(interaction, Value::Object(_)) {
        return Ok(Some(Hit::new(
            "/body/step_up_config/customer_interaction_config",
            "customer_interaction_config must be an object",
        )));
    }
    Ok(match interaction.get("return_url") {
        Some(url) if !url.as_str().is_some_and(|u| u.starts_with("https://")) => Some(Hit::new(
            "/body/step_up_config/customer_interaction_config/return_url",
            "return_url must be a string starting with https://",
        )),
        _ => None,
    })
}
