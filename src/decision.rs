//! The engine and its answer (rules.md section 6).

use crate::error::Error;
use crate::json::{self, Value};
use crate::policy::Policy;
use crate::record::{self, PaymentScope};
use crate::request::{self, body_field, Request, CUSTOMER_TOKEN_HEADER};
use crate::rules::{self, Facts, Hit, RecordStatus, Rule, Severity, TokenHeader, RULES};
use crate::token::{self, TokenInfo};

/// The version every receipt reports.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A rule that fired, with its effective severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub hit: Hit,
}

impl Finding {
    pub fn id(&self) -> u16 {
        self.rule.id
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}

/// ALLOW or DENY, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub required_scope: PaymentScope,
    /// Hits of `deny` severity, sorted by id.
    pub violations: Vec<Finding>,
    /// Hits of `warn` severity, sorted by id.
    pub warnings: Vec<Finding>,
    /// What may be logged about the token, when the header is a well-formed one.
    pub token: Option<TokenInfo>,
    pub decision_id: Option<String>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.violations.is_empty()
    }

    pub fn verdict(&self) -> &'static str {
        if self.allowed() {
            "ALLOW"
        } else {
            "DENY"
        }
    }
}

/// An immutable, thread-safe pre-flight checker bound to one policy.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    policy: Policy,
}

impl Engine {
    pub fn new(policy: Policy) -> Self {
        Engine { policy }
    }

    /// Builds an engine from policy JSON (empty input: the default policy).
    pub fn from_policy_json(policy_json: &[u8]) -> Result<Self, Error> {
        Ok(Engine::new(Policy::from_json(policy_json)?))
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decides a pre-flight request given as JSON.
    pub fn check_json(&self, request_json: &[u8]) -> Result<Decision, Error> {
        let root = request::parse_json(request_json)?;
        let request = request::from_value(&root)?;
        self.check(&request)
    }

    /// Decides, and writes the decision JSON into `out` (cleared first).
    pub fn check_json_to(&self, request_json: &[u8], out: &mut String) -> Result<(), Error> {
        let decision = self.check_json(request_json)?;
        out.clear();
        self.write_decision(&decision, out);
        Ok(())
    }

    /// Decides a parsed request: every rule is evaluated (none suppresses
    /// another); `off` rules are skipped and need nothing.
    pub fn check(&self, request: &Request<'_>) -> Result<Decision, Error> {
        let facts = facts(request, &self.policy);
        let mut violations = Vec::new();
        let mut warnings = Vec::new();
        for (index, rule) in RULES.iter().enumerate() {
            let severity = self.policy.severity(index);
            if severity == Severity::Off {
                continue;
            }
            if let Some(hit) = (rule.check)(&facts)? {
                let finding = Finding { rule, severity, hit };
                match severity {
                    Severity::Deny => violations.push(finding),
                    Severity::Warn => warnings.push(finding),
                    Severity::Off => unreachable!("skipped above"),
                }
            }
        }
        let token = match &facts.token {
            TokenHeader::Present { header, parsed: Ok((form, region, environment)) } => Some(TokenInfo {
                form: *form,
                region: (*region).to_owned(),
                environment: *environment,
                fingerprint: token::fingerprint(header.value.as_bytes()),
            }),
            _ => None,
        };
        Ok(Decision {
            required_scope: facts.required_scope,
            violations,
            warnings,
            token,
            decision_id: request.decision_id.map(str::to_owned),
        })
    }

    /// Writes the decision as the JSON object of rules.md section 6.
    pub fn write_decision(&self, decision: &Decision, out: &mut String) {
        out.reserve(256 + 160 * (decision.violations.len() + decision.warnings.len()));
        out.push_str("{\"decision\":\"");
        out.push_str(decision.verdict());
        out.push_str("\",\"required_scope\":\"");
        out.push_str(decision.required_scope.as_str());
        out.push_str("\",\"violations\":");
        write_findings(out, &decision.violations);
        out.push_str(",\"warnings\":");
        write_findings(out, &decision.warnings);
        out.push_str(",\"token\":");
        match &decision.token {
            Some(info) => info.write_json(out),
            None => out.push_str("null"),
        }
        out.push_str(",\"receipt\":{\"engine_version\":\"");
        out.push_str(ENGINE_VERSION);
        out.push_str("\",\"policy_digest\":\"");
        out.push_str(self.policy.digest());
        out.push_str("\",\"decision_id\":");
        match &decision.decision_id {
            Some(id) => json::write_string(out, id),
            None => out.push_str("null"),
        }
        out.push_str("}}");
    }

    /// The decision JSON as a new string.
    pub fn decision_json(&self, decision: &Decision) -> String {
        let mut out = String::new();
        self.write_decision(decision, &mut out);
        out
    }
}

fn write_findings(out: &mut String, findings: &[Finding]) {
    out.push('[');
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"id\":");
        push_rule_id(out, finding.rule.id);
        out.push_str(",\"code\":\"");
        out.push_str(finding.rule.code);
        out.push_str("\",\"severity\":\"");
        out.push_str(finding.severity.as_str());
        out.push_str("\",\"message\":");
        json::write_string(out, &finding.hit.message);
        out.push_str(",\"path\":");
        json::write_string(out, &finding.hit.path);
        if let Some(detail) = finding.hit.detail {
            out.push_str(",\"detail\":\"");
            out.push_str(detail);
            out.push('"');
        }
        out.push('}');
    }
    out.push(']');
}

/// Writes a rule id without going through the formatting machinery.
fn push_rule_id(out: &mut String, id: u16) {
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    let mut rest = id;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
}

/// Classifies the stored record once: absent, invalid (with why), or valid.
fn record_status<'v>(token_record: Option<&'v [(json::JsonStr<'v>, Value<'v>)]>) -> RecordStatus<'v> {
    match token_record {
        None => RecordStatus::Absent,
        Some(fields) => match record::validate(fields) {
            Ok(valid) => RecordStatus::Valid(valid),
            Err(fault) => RecordStatus::Invalid(fault),
        },
    }
}

/// Works out, once, everything several rules need.
fn facts<'r, 'v>(request: &'r Request<'v>, policy: &'r Policy) -> Facts<'r, 'v> {
    let token = match request.header(CUSTOMER_TOKEN_HEADER) {
        None => TokenHeader::Absent,
        Some(header) => TokenHeader::Present { header: *header, parsed: token::classify(header.value.as_bytes()) },
    };
    let body = request.body;
    let request_customer_token = body_field(body, "request_customer_token");
    let request_payment_transaction = body_field(body, "request_payment_transaction");
    Facts {
        request,
        policy,
        required_scope: PaymentScope::required_for(request.customer_present),
        token,
        record: record_status(request.token_record),
        step_up_config: body_field(body, "step_up_config"),
        request_customer_token,
        request_payment_transaction,
        supplementary_purchase_data: body_field(body, "supplementary_purchase_data"),
        valid_currency: rules::valid_currency(body_field(body, "currency")),
        valid_amount: rules::valid_amount(request_payment_transaction.filter(|v| matches!(v, Value::Object(_)))),
        tokenization_scope: request_customer_token.and_then(rules::requested_scope),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn engine_is_shareable_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Engine>();
    }

    #[test]
    fn rule_ids_are_written_exactly() {
        for id in [0u16, 7, 42, 101, 804, 65535] {
            let mut out = String::new();
            super::push_rule_id(&mut out, id);
            assert_eq!(out, id.to_string());
        }
    }
}
