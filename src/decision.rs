//! The engine and its answer (rules.md section 6).

use crate::error::Error;
use crate::facts::{Facts, TokenHeader};
use crate::json;
use crate::policy::Policy;
use crate::record::PaymentScope;
use crate::request::{self, Request};
use crate::rules::{Hit, Rule, Severity, RULES};
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

/// What became of one JSON Lines line.
#[derive(Debug)]
pub enum LineOutcome {
    Decided(Decision),
    Invalid(Error),
}

/// How many lines of a batch were ALLOW, DENY and invalid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub allowed: u64,
    pub denied: u64,
    pub invalid: u64,
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

    /// Decides one JSON Lines line, appending the decision JSON (or the
    /// error object) and a newline to `out`: the one routine behind
    /// `ctp_check_batch` and `ctpolicy check`.
    pub fn check_line_into(&self, line: &[u8], out: &mut String) -> LineOutcome {
        let outcome = match self.check_json(line) {
            Ok(decision) => {
                self.write_decision(&decision, out);
                LineOutcome::Decided(decision)
            }
            Err(error) => {
                out.push_str(&error.to_json());
                LineOutcome::Invalid(error)
            }
        };
        out.push('\n');
        outcome
    }

    /// Decides every line of a JSON Lines text (blank lines skipped) into
    /// `out`, one output line per request, in order.
    pub fn check_batch(&self, input: &[u8], out: &mut String) -> BatchCounts {
        let mut counts = BatchCounts::default();
        for line in input.split(|&b| b == b'\n') {
            if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            match self.check_line_into(line, out) {
                LineOutcome::Decided(decision) if decision.allowed() => counts.allowed += 1,
                LineOutcome::Decided(_) => counts.denied += 1,
                LineOutcome::Invalid(_) => counts.invalid += 1,
            }
        }
        counts
    }

    /// Decides a parsed request.
    pub fn check(&self, request: &Request<'_>) -> Result<Decision, Error> {
        let facts = Facts::from_request(request, &self.policy);
        self.decide(&facts, request.decision_id)
    }

    /// Runs every rule over the facts: none suppresses another; `off`
    /// rules are skipped and need nothing.
    pub(crate) fn decide(&self, facts: &Facts<'_>, decision_id: Option<&str>) -> Result<Decision, Error> {
        let mut violations = Vec::new();
        let mut warnings = Vec::new();
        self.evaluate(facts, |rule, severity, hit| {
            let finding = Finding { rule, severity, hit };
            match severity {
                Severity::Deny => violations.push(finding),
                _ => warnings.push(finding),
            }
        })?;
        let token = match &facts.token {
            TokenHeader::Present { value, parsed: Ok((form, region, environment)), .. } => Some(TokenInfo {
                form: *form,
                region: (*region).to_owned(),
                environment: *environment,
                fingerprint: token::fingerprint(value),
            }),
            _ => None,
        };
        Ok(Decision {
            required_scope: facts.required_scope,
            violations,
            warnings,
            token,
            decision_id: decision_id.map(str::to_owned),
        })
    }

    /// Calls `on_hit` for every rule that fires, in id order, with its
    /// effective severity (`deny` or `warn`).
    pub(crate) fn evaluate(
        &self,
        facts: &Facts<'_>,
        mut on_hit: impl FnMut(&'static Rule, Severity, Hit),
    ) -> Result<(), Error> {
        for (index, rule) in RULES.iter().enumerate() {
            let severity = self.policy.severity(index);
            if severity == Severity::Off {
                continue;
            }
            if let Some(hit) = (rule.check)(facts)? {
                on_hit(rule, severity, hit);
            }
        }
        Ok(())
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
