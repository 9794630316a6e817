//! The partner's policy (rules.md section 5), loaded strictly: a typo in a
//! payments policy must fail loudly, never silently weaken it.

use sha2::{Digest, Sha256};

use crate::error::{Error, Status};
use crate::json::{self, Value};
use crate::record::PaymentScope;
use crate::rules::{self, Severity, RULES};
use crate::token::{is_region, sha256_label};

/// Caps on earlier attempts in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxAttempts {
    pub per_24h: Option<i64>,
    pub per_30d: Option<i64>,
}

/// A loaded, immutable policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub allowed_regions: Option<Vec<String>>,
    /// Uppercase ISO 4217 codes.
    pub allowed_currencies: Option<Vec<[u8; 3]>>,
    /// Per payment scope (customer present, not present): currency → cap.
    max_amount: [Vec<([u8; 3], i64)>; 2],
    pub min_charge_interval_seconds: Option<i64>,
    pub max_attempts: Option<MaxAttempts>,
    pub require_token_reference: bool,
    /// Effective severity of each rule, by its position in `RULES`.
    severities: Vec<Severity>,
    digest: String,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::from_json(b"{}").expect("the empty policy is valid")
    }
}

fn invalid(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::new(Status::InvalidPolicy, Some(code), message).at(path)
}

fn wrong_type(path: &str, expected: &str, found: &Value<'_>) -> Error {
    invalid("WRONG_TYPE", path, format!("policy {path} must be {expected}, found {}", found.type_name()))
}

fn positive_integer(value: &Value<'_>, path: &str) -> Result<i64, Error> {
    match value.as_integer() {
        Some(n) if n > 0 => Ok(n),
        Some(_) => Err(invalid("INVALID_VALUE", path, format!("policy {path} must be a positive integer"))),
        None => Err(wrong_type(path, "a positive integer", value)),
    }
}

fn object<'v, 'a>(value: &'v Value<'a>, path: &str) -> Result<&'v [(json::JsonStr<'a>, Value<'a>)], Error> {
    value.as_object().ok_or_else(|| wrong_type(path, "an object", value))
}

fn array<'v, 'a>(value: &'v Value<'a>, path: &str) -> Result<&'v [Value<'a>], Error> {
    value.as_array().ok_or_else(|| wrong_type(path, "an array", value))
}

fn currency_code(text: &str, path: &str) -> Result<[u8; 3], Error> {
    let bytes: Option<[u8; 3]> = text.as_bytes().try_into().ok();
    match bytes {
        Some(code) if code.iter().all(u8::is_ascii_uppercase) => Ok(code),
        _ => Err(invalid("INVALID_VALUE", path, format!("policy {path} must be three uppercase ASCII letters"))),
    }
}

impl Policy {
    /// Loads a policy from JSON text; empty input is the default policy.
    pub fn from_json(input: &[u8]) -> Result<Policy, Error> {
        if input.is_empty() {
            return Policy::from_json(b"{}");
        }
        let arena = json::Arena::new();
        let root = json::parse(input, &arena).map_err(|e| Error::from_json(e, Status::InvalidPolicy, "policy"))?;
        Policy::from_value(&root)
    }

    fn from_value(root: &Value<'_>) -> Result<Policy, Error> {
        let members = object(root, "").map_err(|_| invalid("WRONG_TYPE", "", "the policy must be a JSON object"))?;
        let mut policy = Policy {
            allowed_regions: None,
            allowed_currencies: None,
            max_amount: [Vec::new(), Vec::new()],
            min_charge_interval_seconds: None,
            max_attempts: None,
            require_token_reference: false,
            severities: RULES.iter().map(|rule| rule.default_severity).collect(),
            digest: String::new(),
        };
        for (key, value) in members {
            let key = key.as_str();
            let path = json::pointer(&[key]);
            if value.is_null() {
                return Err(invalid(
                    "WRONG_TYPE",
                    path,
                    format!("policy {key} must not be null; leave it out instead"),
                ));
            }
            match key {
                "version" => match value.as_integer() {
                    Some(1) => {}
                    Some(_) => return Err(invalid("INVALID_VALUE", path, "policy version must be the integer 1")),
                    None => return Err(wrong_type(&path, "the integer 1", value)),
                },
                "allowed_regions" => {
                    let mut regions = Vec::new();
                    for (i, item) in array(value, &path)?.iter().enumerate() {
                        let item_path = format!("{path}/{i}");
                        let region = item.as_str().ok_or_else(|| wrong_type(&item_path, "a string", item))?;
                        if !is_region(region) {
                            return Err(invalid(
                                "INVALID_VALUE",
                                item_path,
                                "a region is two lowercase letters and one to three digits, like eu1",
                            ));
                        }
                        regions.push(region.to_owned());
                    }
                    policy.allowed_regions = Some(regions);
                }
                "allowed_currencies" => {
                    let mut currencies = Vec::new();
                    for (i, item) in array(value, &path)?.iter().enumerate() {
                        let item_path = format!("{path}/{i}");
                        let text = item.as_str().ok_or_else(|| wrong_type(&item_path, "a string", item))?;
                        currencies.push(currency_code(text, &item_path)?);
                    }
                    policy.allowed_currencies = Some(currencies);
                }
                "max_amount" => {
                    for (scope_key, caps) in object(value, &path)? {
                        let scope_path = json::pointer(&[key, scope_key.as_str()]);
                        let scope = PaymentScope::parse(scope_key.as_str()).ok_or_else(|| {
                            invalid(
                                "UNKNOWN_FIELD",
                                &scope_path,
                                "max_amount keys are payment:customer_present and payment:customer_not_present",
                            )
                        })?;
                        for (currency, cap) in object(caps, &scope_path)? {
                            let cap_path = json::pointer(&[key, scope_key.as_str(), currency.as_str()]);
                            let code = currency_code(currency.as_str(), &cap_path)?;
                            let cap = positive_integer(cap, &cap_path)?;
                            policy.max_amount[scope_index(scope)].push((code, cap));
                        }
                    }
                }
                "min_charge_interval_seconds" => {
                    policy.min_charge_interval_seconds = Some(positive_integer(value, &path)?);
                }
                "max_attempts" => {
                    let mut limits = MaxAttempts { per_24h: None, per_30d: None };
                    for (window, cap) in object(value, &path)? {
                        let cap_path = json::pointer(&[key, window.as_str()]);
                        let slot = match window.as_str() {
                            "per_24h" => &mut limits.per_24h,
                            "per_30d" => &mut limits.per_30d,
                            _ => {
                                return Err(invalid(
                                    "UNKNOWN_FIELD",
                                    cap_path,
                                    "max_attempts allows per_24h and per_30d",
                                ))
                            }
                        };
                        if cap.is_null() {
                            return Err(invalid("WRONG_TYPE", cap_path, "max_attempts values must not be null"));
                        }
                        *slot = Some(positive_integer(cap, &cap_path)?);
                    }
                    policy.max_attempts = Some(limits);
                }
                "require_token_reference" => match value {
                    Value::Bool(flag) => policy.require_token_reference = *flag,
                    other => return Err(wrong_type(&path, "a boolean", other)),
                },
                "severity" => {
                    for (code, severity) in object(value, &path)? {
                        let code_path = json::pointer(&[key, code.as_str()]);
                        let rule = rules::by_code(code.as_str()).ok_or_else(|| {
                            invalid("UNKNOWN_RULE", &code_path, "severity names a rule code that does not exist")
                        })?;
                        if !rule.adjustable {
                            return Err(invalid(
                                "RULE_NOT_ADJUSTABLE",
                                &code_path,
                                "only the warn rules (205, 402, 701) and the 8xx rules may be adjusted",
                            ));
                        }
                        let text = severity.as_str().ok_or_else(|| wrong_type(&code_path, "a string", severity))?;
                        let severity = Severity::parse(text)
                            .ok_or_else(|| invalid("INVALID_VALUE", &code_path, "a severity is deny, warn or off"))?;
                        policy.severities[rules::index_of(rule)] = severity;
                    }
                }
                _ => {
                    return Err(invalid(
                        "UNKNOWN_FIELD",
                        path,
                        format!("unknown policy field {key:?} (a typo would silently weaken the policy)"),
                    ))
                }
            }
        }
        let canonical = json::to_string(&json::Canonical(root));
        policy.digest = sha256_label(&Sha256::digest(canonical.as_bytes()));
        Ok(policy)
    }

    /// `"sha256:" +` hex of the canonical JSON of the policy as loaded.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The effective severity of the rule at `index` in `RULES`.
    pub fn severity(&self, index: usize) -> Severity {
        self.severities[index]
    }

    /// Every rule's effective severity, by position in `RULES`.
    pub fn severities(&self) -> &[Severity] {
        &self.severities
    }

    /// The cap for this scope and (uppercase) currency, when set.
    pub fn max_amount(&self, scope: PaymentScope, currency: [u8; 3]) -> Option<i64> {
        self.max_amount[scope_index(scope)].iter().find(|(code, _)| *code == currency).map(|(_, cap)| *cap)
    }
}

fn scope_index(scope: PaymentScope) -> usize {
    match scope {
        PaymentScope::CustomerPresent => 0,
        PaymentScope::CustomerNotPresent => 1,
    }
}
