//! The engine and its answer (docs/RULES.md section 6).

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::charge::{check_utf8, Charge, ChargeError};
use crate::checks;
pub use crate::checks::Hit;
use crate::error::Error;
use crate::facts::{Facts, TokenHeader};
use crate::json::{self, needs_no_escape, Plain, RawPieces, Trusted};
use crate::krn::{TokenEnvironment, TokenForm};
use crate::policy::Policy;
use crate::record::PaymentScope;
use crate::request::{self, Request};
use crate::rules::{Rule, RuleSet, Severity, RULES};
use crate::token::{self, TokenInfo, TokenView};

/// The version every receipt reports.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A rule that fired, with its effective severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule, from [`RULES`].
    pub rule: &'static Rule,
    /// Its effective severity under the engine's policy (`deny` or `warn`).
    pub severity: Severity,
    /// Where and why, redacted.
    pub hit: Hit,
}

impl Finding {
    /// The rule's id (`101`…).
    pub fn id(&self) -> u16 {
        self.rule.id
    }

    /// The rule's code (`TOKEN_MALFORMED`…).
    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}

/// ALLOW or DENY, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The payment scope this request needs (from `customer_present`).
    pub required_scope: PaymentScope,
    /// Hits of `deny` severity, sorted by id.
    pub violations: Vec<Finding>,
    /// Hits of `warn` severity, sorted by id.
    pub warnings: Vec<Finding>,
    /// What may be logged about the token, when the header is a well-formed one.
    pub token: Option<TokenInfo>,
    /// The request's `decision_id`, echoed in the receipt.
    pub decision_id: Option<String>,
}

impl Decision {
    /// Whether nothing denies: no violation.
    pub fn allowed(&self) -> bool {
        self.violations.is_empty()
    }

    /// `"ALLOW"` or `"DENY"`.
    pub fn verdict(&self) -> &'static str {
        verdict(self.allowed())
    }
}

fn verdict(allowed: bool) -> &'static str {
    if allowed {
        "ALLOW"
    } else {
        "DENY"
    }
}

/// The rules that fired on a request, by effective severity: what a caller
/// that only counts needs (the batch path, the CLI's summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The rules that fired with severity `deny`.
    pub violations: RuleSet,
    /// The rules that fired with severity `warn`.
    pub warnings: RuleSet,
}

impl Outcome {
    /// Whether nothing denies: no violation.
    pub fn allowed(&self) -> bool {
        self.violations.0 == 0
    }
}

/// What became of one JSON Lines line.
#[derive(Debug)]
pub enum LineOutcome {
    /// The line was a request: its rules.
    Decided(Outcome),
    /// The line was no valid request: the error object written for it.
    Invalid(Error),
}

/// How many lines of a batch were ALLOW, DENY and invalid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Lines decided ALLOW.
    pub allowed: u64,
    /// Lines decided DENY.
    pub denied: u64,
    /// Lines that were no valid request.
    pub invalid: u64,
}

/// A hit as collected during evaluation: rule position, severity, hit.
type Collected = (usize, Severity, Hit);

thread_local! {
    static HIT_BUFFER: std::cell::RefCell<Vec<Collected>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's reused hit vector (emptied afterwards); a
/// nested call, or one during thread teardown, gets a fresh vector.
fn with_hit_buffer<R>(f: impl FnOnce(&mut Vec<Collected>) -> R) -> R {
    let mut f = Some(f);
    let reused = HIT_BUFFER.try_with(|cell| {
        let mut hits = cell.try_borrow_mut().ok()?;
        let result = (f.take().expect("called once"))(&mut hits);
        hits.clear();
        Some(result)
    });
    match reused {
        Ok(Some(result)) => result,
        _ => (f.take().expect("not called yet"))(&mut Vec::new()),
    }
}

/// An immutable, thread-safe pre-flight checker bound to one policy.
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Policy,
    /// The receipt of every decision without a `decision_id` (the engine
    /// version and the policy digest), written once here: each decision
    /// copies it in one piece instead of writing its keys and values.
    plain_receipt: Box<RawValue>,
    /// The receipt with a `decision_id`, cut where the id goes: up to and
    /// including its opening quote, and from its closing quote on.
    receipt_around_id: (Box<str>, Box<str>),
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(Policy::default())
    }
}

impl Engine {
    /// An engine for `policy`.
    pub fn new(policy: Policy) -> Self {
        let receipt = Receipt {
            engine_version: Trusted::new(ENGINE_VERSION),
            policy_digest: Trusted::new(policy.digest()),
            decision_id: None,
        };
        let plain_receipt = RawValue::from_string(json::to_string(&receipt)).expect("the writer writes JSON");
        let with_empty_id = Receipt { decision_id: Some(Plain("")), ..receipt };
        let [before_id, after_id] = cut(&json::to_string(&with_empty_id), [EMPTY_STRING]);
        Engine { policy, plain_receipt, receipt_around_id: (before_id, after_id) }
    }

    /// Builds an engine from policy JSON (empty input: the default policy).
    pub fn from_policy_json(policy_json: &[u8]) -> Result<Self, Error> {
        Ok(Engine::new(Policy::from_json(policy_json)?))
    }

    /// The policy this engine decides by.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decides a pre-flight request given as JSON.
    pub fn check_json(&self, request_json: &[u8]) -> Result<Decision, Error> {
        request::with_request(request_json, |request| self.check(request))
    }

    /// Decides a parsed request.
    pub fn check(&self, request: &Request<'_>) -> Result<Decision, Error> {
        let facts = Facts::from_request(request);
        let hits = self.collect(&facts)?;
        let (violations, warnings): (Vec<Finding>, Vec<Finding>) = hits
            .into_iter()
            .map(|(index, severity, hit)| Finding { rule: &RULES[index], severity, hit })
            .partition(|finding| finding.severity == Severity::Deny);
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
            decision_id: request.decision_id.map(str::to_owned),
        })
    }

    /// The fast JSON path: decides and appends the decision JSON to `out`
    /// without building an owned [`Decision`] (no allocation on ALLOW
    /// beyond the parse). Byte for byte what [`Engine::write_decision`]
    /// writes for the same request.
    pub fn check_json_into(&self, request_json: &[u8], out: &mut String) -> Result<Outcome, Error> {
        // The outcome is written into this frame by the innermost step, and
        // every layer between returns only `Ok(())` or the error: a verdict
        // returned through them was copied at each return, in loads wider
        // than the stores before them (a store-forwarding stall per layer).
        let mut outcome = Outcome::default();
        request::with_request(request_json, |request| {
            self.decide_with(request, Some(out), false, |parts, _| {
                outcome = Outcome { violations: parts.violations, warnings: parts.warnings };
            })
        })?;
        Ok(outcome)
    }

    /// The JSON path's verdict (rule ids and the raw fingerprint), with the
    /// decision JSON appended to `out` only when one is given: a caller that
    /// needs only the verdict skips writing (and reading) the decision.
    pub fn check_json_verdict(&self, request_json: &[u8], out: Option<&mut String>) -> Result<Verdict, Error> {
        request::with_request(request_json, |request| self.decide_into(request, out, true))
    }

    fn decide_into(
        &self,
        request: &Request<'_>,
        out: Option<&mut String>,
        want_fingerprint: bool,
    ) -> Result<Verdict, Error> {
        self.decide_with(request, out, want_fingerprint, |parts, digest| Verdict {
            violations: parts.violations,
            warnings: parts.warnings,
            fingerprint: digest.filter(|_| want_fingerprint),
        })
    }

    /// The audit trail's pass (docs/HYGIENE.md H3): decides `request` once,
    /// appends its decision JSON to `out` (the bytes of
    /// [`Engine::check_json_into`]) and hands `entry` what an audit entry
    /// holds, borrowed from that same pass: no owned [`Decision`], no
    /// second evaluation.
    pub fn decide_for_audit<R>(
        &self,
        request: &Request<'_>,
        out: &mut String,
        entry: impl FnOnce(&AuditParts<'_>) -> R,
    ) -> Result<R, Error> {
        self.decide_with(request, Some(out), false, |parts, _| entry(parts))
    }

    /// The one pass behind the JSON fast paths: facts, rules, the token's
    /// SHA-256 when someone needs it, and (when `out` is given) the decision
    /// JSON appended to `out`. `finish` gets the pass's parts, borrowed (the
    /// token view only when JSON was written), and the raw digest.
    fn decide_with<R>(
        &self,
        request: &Request<'_>,
        out: Option<&mut String>,
        want_fingerprint: bool,
        finish: impl FnOnce(&AuditParts<'_>, Option<[u8; 32]>) -> R,
    ) -> Result<R, Error> {
        with_hit_buffer(|hits| {
            let facts = Facts::from_request(request);
            self.collect_into(&facts, hits)?;
            let hits = &*hits;
            let (mut violations, mut warnings) = (RuleSet::default(), RuleSet::default());
            for (index, severity, _) in hits {
                match severity {
                    Severity::Deny => violations.insert(*index),
                    _ => warnings.insert(*index),
                }
            }
            let well_formed = match &facts.token {
                TokenHeader::Present { value, parsed: Ok(parsed), .. } => Some((*value, *parsed)),
                _ => None,
            };
            let digest =
                well_formed.filter(|_| want_fingerprint || out.is_some()).map(|(value, _)| token::sha256(value));
            let mut fingerprint = [0u8; FINGERPRINT_LABEL_LEN];
            let mut parts = AuditParts {
                violations,
                warnings,
                required_scope: facts.required_scope,
                token: None,
                decision_id: request.decision_id,
            };
            if let Some(out) = out {
                parts.token = match (well_formed, digest) {
                    (Some((_, (form, region, environment))), Some(digest)) => Some(TokenView {
                        form,
                        region,
                        environment,
                        fingerprint: write_fingerprint(&digest, &mut fingerprint),
                    }),
                    _ => None,
                };
                let findings = hits.iter().map(|(index, severity, hit)| (&RULES[*index], *severity, hit));
                self.write_parts(
                    out,
                    DecisionParts {
                        allowed: parts.allowed(),
                        required_scope: parts.required_scope,
                        token: parts.token,
                        decision_id: parts.decision_id,
                    },
                    findings,
                );
            }
            Ok(finish(&parts, digest))
        })
    }

    /// Decides a typed token charge exactly as [`Engine::check_json`]
    /// decides the equivalent request (docs/ABI.md writes it out): the same
    /// verdict, or the same error object. Checks UTF-8 first, as the JSON
    /// path does before it reads anything.
    pub fn decide_charge(&self, charge: &Charge<'_>, want_fingerprint: bool) -> Result<Verdict, Error> {
        check_utf8(charge)?;
        self.check_charge(charge, want_fingerprint).map_err(|error| error.to_error())
    }

    /// Decides a typed token charge: the same rules as [`Engine::check_json`]
    /// over the same `Facts` (built from the charge instead of a
    /// request), without JSON, messages or paths. It does not check UTF-8
    /// ([`Engine::decide_charge`] does).
    pub fn check_charge(&self, charge: &Charge<'_>, want_fingerprint: bool) -> Result<Verdict, ChargeError> {
        let (mut now_digits, mut last_used_digits) = ([0u8; 3], [0u8; 3]);
        let facts = charge.facts(&mut now_digits, &mut last_used_digits)?;
        let mut verdict = Verdict { violations: RuleSet::default(), warnings: RuleSet::default(), fingerprint: None };
        self.evaluate(&facts, |index, severity, _hit| match severity {
            Severity::Deny => verdict.violations.insert(index),
            _ => verdict.warnings.insert(index),
        })
        .map_err(ChargeError::Undecidable)?;
        if want_fingerprint {
            if let TokenHeader::Present { value, parsed: Ok(_), .. } = facts.token {
                verdict.fingerprint = Some(token::sha256(value));
            }
        }
        Ok(verdict)
    }

    /// Decides one JSON Lines line, appending the decision JSON (or the
    /// error object) and a newline to `out`: the one routine behind
    /// `ctp_check_batch` and `ctpolicy check`.
    pub fn check_line_into(&self, line: &[u8], out: &mut String) -> LineOutcome {
        let start = out.len();
        let outcome = match self.check_json_into(line, out) {
            Ok(outcome) => LineOutcome::Decided(outcome),
            Err(error) => {
                out.truncate(start);
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
        for line in lines(input) {
            if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            match self.check_line_into(line, out) {
                LineOutcome::Decided(outcome) if outcome.allowed() => counts.allowed += 1,
                LineOutcome::Decided(_) => counts.denied += 1,
                LineOutcome::Invalid(_) => counts.invalid += 1,
            }
        }
        counts
    }

    /// Every hit, in id order. The vector allocates only when a rule fires.
    fn collect(&self, facts: &Facts<'_>) -> Result<Vec<Collected>, Error> {
        let mut hits = Vec::new();
        self.evaluate(facts, |index, severity, hit| hits.push((index, severity, hit)))?;
        Ok(hits)
    }

    /// [`Engine::collect`] into `hits`, a vector reused between calls (the
    /// fast path's: a DENY then allocates nothing for its findings).
    fn collect_into(&self, facts: &Facts<'_>, hits: &mut Vec<Collected>) -> Result<(), Error> {
        hits.clear();
        self.evaluate(facts, |index, severity, hit| hits.push((index, severity, hit)))
    }

    /// Calls `on_hit` for every rule that fires, in id order, with its
    /// effective severity (`deny` or `warn`); `off` rules are skipped and
    /// need nothing. None suppresses another.
    #[inline]
    pub(crate) fn evaluate(&self, facts: &Facts<'_>, on_hit: impl FnMut(usize, Severity, Hit)) -> Result<(), Error> {
        checks::evaluate_all(facts, &self.policy, self.policy.severities(), on_hit)
    }

    /// Writes the decision as the JSON object of docs/RULES.md section 6.
    pub fn write_decision(&self, decision: &Decision, out: &mut String) {
        let token = decision.token.as_ref().map(TokenInfo::view);
        let findings = decision
            .violations
            .iter()
            .chain(&decision.warnings)
            .map(|finding| (finding.rule, finding.severity, &finding.hit));
        self.write_parts(
            out,
            DecisionParts {
                allowed: decision.allowed(),
                required_scope: decision.required_scope,
                token,
                decision_id: decision.decision_id.as_deref(),
            },
            findings,
        );
    }

    /// The decision JSON as a new string.
    pub fn decision_json(&self, decision: &Decision) -> String {
        let mut out = String::new();
        self.write_decision(decision, &mut out);
        out
    }

    /// The one writer of decision JSON, for owned decisions and the fast
    /// path alike. `findings` are in id order; they are split by severity.
    fn write_parts<'h, F>(&self, out: &mut String, parts: DecisionParts<'_>, findings: F)
    where
        F: Iterator<Item = (&'static Rule, Severity, &'h Hit)> + Clone,
    {
        // Room for a decision with a few findings: one allocation, no regrowth.
        out.reserve(1024);
        if fragments_fit(&parts, findings.clone()) {
            let pieces = DecisionPieces { fragments: fragments(), engine: self, parts: &parts, findings };
            json::write_into(out, &pieces);
        } else {
            self.write_view(out, parts, findings);
        }
    }

    /// [`Engine::write_parts`] by the derived views, field by field: for a
    /// decision the fragments cannot write, and the reference they match.
    fn write_view<'h, F>(&self, out: &mut String, parts: DecisionParts<'_>, findings: F)
    where
        F: Iterator<Item = (&'static Rule, Severity, &'h Hit)> + Clone,
    {
        let view = DecisionView {
            decision: Trusted::new(verdict(parts.allowed)),
            required_scope: Trusted::new(parts.required_scope.as_str()),
            violations: FindingsView { findings: findings.clone(), deny: true },
            warnings: FindingsView { findings, deny: false },
            token: parts.token,
            receipt: match parts.decision_id {
                None => ReceiptView::Rendered(&self.plain_receipt),
                Some(id) => ReceiptView::Built(Receipt {
                    engine_version: Trusted::new(ENGINE_VERSION),
                    policy_digest: Trusted::new(self.policy.digest()),
                    decision_id: Some(Plain(id)),
                }),
            },
        };
        json::write_into(out, &view);
    }
}

/// The fast path's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The rules that fired with severity `deny`.
    pub violations: RuleSet,
    /// The rules that fired with severity `warn`.
    pub warnings: RuleSet,
    /// SHA-256 of the token, when asked for and the token is well-formed.
    pub fingerprint: Option<[u8; 32]>,
}

impl Verdict {
    /// Whether nothing denies: no violation.
    pub fn allowed(&self) -> bool {
        self.violations.0 == 0
    }
}

/// What one decision pass produced, borrowed from it: what an audit entry
/// holds ([`Engine::decide_for_audit`]) and what a [`Verdict`] is made of.
#[derive(Debug, Clone, Copy)]
pub struct AuditParts<'a> {
    /// The rules that fired with severity `deny`.
    pub violations: RuleSet,
    /// The rules that fired with severity `warn`.
    pub warnings: RuleSet,
    /// The payment scope this request needs.
    pub required_scope: PaymentScope,
    /// The token's info as the decision JSON gives it (never the token);
    /// `None` also when the pass wrote no JSON.
    pub token: Option<TokenView<'a>>,
    /// The request's `decision_id`.
    pub decision_id: Option<&'a str>,
}

impl AuditParts<'_> {
    /// Whether nothing denies: no violation.
    pub fn allowed(&self) -> bool {
        self.violations.0 == 0
    }
}

/// The scalar parts of a decision, borrowed from wherever they live.
#[derive(Clone, Copy)]
struct DecisionParts<'a> {
    allowed: bool,
    required_scope: PaymentScope,
    token: Option<TokenView<'a>>,
    decision_id: Option<&'a str>,
}

/// The decision object of docs/RULES.md section 6, keys in field order. Text
/// the library made itself is [`Trusted`] (written without the escape
/// scan); other text (messages, paths, the decision id) is [`Plain`]
/// (one fast scan, escaped by serde_json only when it needs it).
#[derive(Serialize)]
#[serde(bound(serialize = "FindingsView<F>: Serialize"))]
struct DecisionView<'a, F> {
    decision: Trusted<'static>,
    required_scope: Trusted<'static>,
    violations: FindingsView<F>,
    warnings: FindingsView<F>,
    token: Option<TokenView<'a>>,
    receipt: ReceiptView<'a>,
}

/// The receipt: the engine's own rendering when there is no
/// `decision_id`, else written field by field (the same bytes either way).
#[derive(Serialize)]
#[serde(untagged)]
enum ReceiptView<'a> {
    Rendered(&'a RawValue),
    Built(Receipt<'a>),
}

#[derive(Serialize)]
struct Receipt<'a> {
    engine_version: Trusted<'static>,
    policy_digest: Trusted<'a>,
    decision_id: Option<Plain<'a>>,
}

/// The findings of one severity class (`deny`: the violations; otherwise
/// the warnings), as a JSON array in id order.
struct FindingsView<F> {
    findings: F,
    deny: bool,
}

impl<'h, F> Serialize for FindingsView<F>
where
    F: Iterator<Item = (&'static Rule, Severity, &'h Hit)> + Clone,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let deny = self.deny;
        serializer.collect_seq(
            self.findings.clone().filter(move |(_, severity, _)| (*severity == Severity::Deny) == deny).map(
                |(rule, severity, hit)| FindingView {
                    id: rule.id,
                    code: Trusted::new(rule.code),
                    severity: Trusted::new(severity.as_str()),
                    message: FindingText::of(&hit.message),
                    path: FindingText::of(&hit.path),
                    detail: hit.detail.map(Trusted::new),
                },
            ),
        )
    }
}

/// One finding: `{"id", "code", "severity", "message", "path"[, "detail"]}`.
#[derive(Serialize)]
struct FindingView<'h> {
    id: u16,
    code: Trusted<'static>,
    severity: Trusted<'static>,
    message: FindingText<'h>,
    path: FindingText<'h>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<Trusted<'static>>,
}

/// A finding's message or path. A literal of this library (every message,
/// most paths) is [`Trusted`]: no rule writes a quote, backslash or control
/// character in one (checked in debug builds, and every rule's finding is
/// written by the vector tests). Text built at run time (a path through a
/// caller's header name) is [`Plain`], escaped when it needs it.
#[derive(Serialize)]
#[serde(untagged)]
enum FindingText<'h> {
    Literal(Trusted<'static>),
    Built(Plain<'h>),
}

impl<'h> FindingText<'h> {
    // The variant is what is read, so the `Cow` itself is taken, not a `&str`.
    #[allow(clippy::ptr_arg)]
    fn of(text: &'h Cow<'static, str>) -> Self {
        match text {
            Cow::Borrowed(literal) => FindingText::Literal(Trusted::new(literal)),
            Cow::Owned(built) => FindingText::Built(Plain(built)),
        }
    }
}

/// The decision JSON's text that is the same for every decision of every
/// engine in this process (keys, punctuation, the verdict, the scope, each
/// rule's id, code and severity, the token's form and environment),
/// rendered once by the derived views above and cut where the text of one
/// decision goes. A decision is then written as these pieces and its own
/// texts, one after another: no key is escaped and no field is visited at
/// run time. [`fragments_fit`] says when; otherwise the views write it.
struct Fragments {
    /// `{"decision":"ALLOW","required_scope":"payment:…","violations":[`,
    /// by [`verdict_slot`] and [`scope_slot`].
    opening: [[Box<str>; 2]; 2],
    /// `],"warnings":[`
    between_lists: Box<str>,
    /// `],"token":null,"receipt":`
    no_token: Box<str>,
    /// By [`form_slot`] and [`environment_slot`]: `],"token":{"form":…,"region":"`,
    /// `","environment":…,"fingerprint":"` and `"},"receipt":`.
    token: [[[Box<str>; 3]; 3]; 2],
    /// `}`
    closing: Box<str>,
    /// `{"id":…,"code":…,"severity":…,"message":"`, by rule position in
    /// [`RULES`] and [`severity_slot`].
    finding_opening: Vec<[Box<str>; 2]>,
    /// `","path":"`
    finding_path: Box<str>,
    /// `","detail":"`
    finding_detail: Box<str>,
    /// `"}`
    finding_closing: Box<str>,
}

/// An empty string, as a rendering writes it: cut between its two quotes,
/// which stay with the text before and after it.
const EMPTY_STRING: Marker = Marker { text: "\"\"", keep_before: 1, resume_at: 1 };
/// An empty array: cut between its brackets.
const EMPTY_ARRAY: Marker = Marker { text: "[]", keep_before: 1, resume_at: 1 };
/// An empty string that is dropped (a receipt's place: the receipt is
/// written whole).
const DROPPED_STRING: Marker = Marker { text: "\"\"", keep_before: 0, resume_at: 2 };

/// Where [`cut`] splits a rendering: at the next occurrence of `text`, the
/// piece before ending `keep_before` bytes into it and the next piece
/// starting `resume_at` bytes into it.
#[derive(Clone, Copy)]
struct Marker {
    text: &'static str,
    keep_before: usize,
    resume_at: usize,
}

/// `rendered` cut at each marker in turn (each found after the one before).
fn cut<const MARKERS: usize, const PIECES: usize>(rendered: &str, markers: [Marker; MARKERS]) -> [Box<str>; PIECES] {
    const { assert!(PIECES == MARKERS + 1) };
    let mut pieces = Vec::with_capacity(PIECES);
    let mut rest = rendered;
    for marker in markers {
        let at = rest.find(marker.text).expect("the rendering holds the marker");
        pieces.push(Box::from(&rest[..at + marker.keep_before]));
        rest = &rest[at + marker.resume_at..];
    }
    pieces.push(Box::from(rest));
    pieces.try_into().unwrap_or_else(|_| unreachable!("one piece per marker and the rest"))
}

fn verdict_slot(allowed: bool) -> usize {
    usize::from(!allowed)
}

fn scope_slot(scope: PaymentScope) -> usize {
    match scope {
        PaymentScope::CustomerPresent => 0,
        PaymentScope::CustomerNotPresent => 1,
    }
}

fn form_slot(form: TokenForm) -> usize {
    match form {
        TokenForm::Network => 0,
        TokenForm::Identity => 1,
    }
}

fn environment_slot(environment: Option<TokenEnvironment>) -> usize {
    match environment {
        None => 0,
        Some(TokenEnvironment::Live) => 1,
        Some(TokenEnvironment::Test) => 2,
    }
}

/// The severities a finding is written with (`off` never fires).
fn severity_slot(severity: Severity) -> Option<usize> {
    match severity {
        Severity::Deny => Some(0),
        Severity::Warn => Some(1),
        Severity::Off => None,
    }
}

/// The position of `rule` in [`RULES`], when it is one of them: from its
/// address (a search of the table was 2 % of a DENY's instructions).
fn rule_slot(rule: &'static Rule) -> Option<usize> {
    let offset = (rule as *const Rule as usize).wrapping_sub(RULES.as_ptr() as usize);
    let slot = offset / std::mem::size_of::<Rule>();
    (offset.is_multiple_of(std::mem::size_of::<Rule>()) && slot < RULES.len()).then_some(slot)
}

/// The process's [`Fragments`], rendered on first use.
fn fragments() -> &'static Fragments {
    static FRAGMENTS: OnceLock<Fragments> = OnceLock::new();
    FRAGMENTS.get_or_init(render_fragments)
}

fn render_fragments() -> Fragments {
    const FORMS: [TokenForm; 2] = [TokenForm::Network, TokenForm::Identity];
    const ENVIRONMENTS: [Option<TokenEnvironment>; 3] =
        [None, Some(TokenEnvironment::Live), Some(TokenEnvironment::Test)];
    const SCOPES: [PaymentScope; 2] = [PaymentScope::CustomerPresent, PaymentScope::CustomerNotPresent];
    let no_findings = std::iter::empty::<(&'static Rule, Severity, &Hit)>();
    let empty_receipt = RawValue::from_string("\"\"".to_owned()).expect("an empty string is JSON");
    let decision = |allowed: bool, scope: PaymentScope, token: Option<TokenView<'static>>| {
        json::to_string(&DecisionView {
            decision: Trusted::new(verdict(allowed)),
            required_scope: Trusted::new(scope.as_str()),
            violations: FindingsView { findings: no_findings.clone(), deny: true },
            warnings: FindingsView { findings: no_findings.clone(), deny: false },
            token,
            receipt: ReceiptView::Rendered(&empty_receipt),
        })
    };

    let mut opening: [[Box<str>; 2]; 2] = Default::default();
    let (mut between_lists, mut no_token, mut closing) = (Box::default(), Box::default(), Box::default());
    for allowed in [true, false] {
        for scope in SCOPES {
            let [open, between, tail, end] =
                cut(&decision(allowed, scope, None), [EMPTY_ARRAY, EMPTY_ARRAY, DROPPED_STRING]);
            opening[verdict_slot(allowed)][scope_slot(scope)] = open;
            (between_lists, no_token, closing) = (between, tail, end);
        }
    }
    let mut token: [[[Box<str>; 3]; 3]; 2] = Default::default();
    for form in FORMS {
        for environment in ENVIRONMENTS {
            let view = TokenView { form, region: "", environment, fingerprint: "" };
            let [_, _, before_region, before_fingerprint, after_fingerprint, _] = cut(
                &decision(true, PaymentScope::CustomerPresent, Some(view)),
                [EMPTY_ARRAY, EMPTY_ARRAY, EMPTY_STRING, EMPTY_STRING, DROPPED_STRING],
            );
            token[form_slot(form)][environment_slot(environment)] =
                [before_region, before_fingerprint, after_fingerprint];
        }
    }

    let empty = Trusted::new("");
    let mut finding_opening = Vec::with_capacity(RULES.len());
    let (mut finding_path, mut finding_detail, mut finding_closing) = (Box::default(), Box::default(), Box::default());
    for rule in RULES {
        let mut by_severity: [Box<str>; 2] = Default::default();
        for severity in [Severity::Deny, Severity::Warn] {
            let finding = FindingView {
                id: rule.id,
                code: Trusted::new(rule.code),
                severity: Trusted::new(severity.as_str()),
                message: FindingText::Literal(empty),
                path: FindingText::Literal(empty),
                detail: Some(empty),
            };
            let [open, path, detail, end] = cut(&json::to_string(&finding), [EMPTY_STRING; 3]);
            by_severity[severity_slot(severity).expect("deny or warn")] = open;
            (finding_path, finding_detail, finding_closing) = (path, detail, end);
        }
        finding_opening.push(by_severity);
    }
    Fragments {
        opening,
        between_lists,
        no_token,
        token,
        closing,
        finding_opening,
        finding_path,
        finding_detail,
        finding_closing,
    }
}

/// Whether the fragments can write this decision: every finding's rule is
/// one of [`RULES`] with severity `deny` or `warn`, and every text that
/// came from the caller or was built at run time (the decision id, a
/// built message or path) needs no escape. A library literal needs none
/// (see [`FindingText`]).
fn fragments_fit<'h, F>(parts: &DecisionParts<'_>, findings: F) -> bool
where
    F: Iterator<Item = (&'static Rule, Severity, &'h Hit)>,
{
    let plain = |text: &Cow<'static, str>| matches!(text, Cow::Borrowed(_)) || needs_no_escape(text);
    parts.decision_id.is_none_or(needs_no_escape)
        && findings.into_iter().all(|(rule, severity, hit)| {
            severity_slot(severity).is_some() && rule_slot(rule).is_some() && plain(&hit.message) && plain(&hit.path)
        })
}

/// A decision written from [`Fragments`] and its own texts, one piece
/// after another (only when [`fragments_fit`]): the same bytes as
/// [`DecisionView`].
struct DecisionPieces<'a, F> {
    fragments: &'static Fragments,
    engine: &'a Engine,
    parts: &'a DecisionParts<'a>,
    findings: F,
}

impl<'h, F> Serialize for DecisionPieces<'_, F>
where
    F: Iterator<Item = (&'static Rule, Severity, &'h Hit)> + Clone,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (fragments, parts) = (self.fragments, self.parts);
        let mut raw = RawPieces::begin(serializer)?;
        raw.put(&fragments.opening[verdict_slot(parts.allowed)][scope_slot(parts.required_scope)])?;
        self.put_findings(&mut raw, true)?;
        raw.put(&fragments.between_lists)?;
        self.put_findings(&mut raw, false)?;
        match &parts.token {
            None => raw.put(&fragments.no_token)?,
            Some(token) => {
                let [before_region, before_fingerprint, after_fingerprint] =
                    &fragments.token[form_slot(token.form)][environment_slot(token.environment)];
                raw.put(before_region)?;
                raw.put(token.region)?;
                raw.put(before_fingerprint)?;
                raw.put(token.fingerprint)?;
                raw.put(after_fingerprint)?;
            }
        }
        match parts.decision_id {
            None => raw.put(self.engine.plain_receipt.get())?,
            Some(id) => {
                let (before_id, after_id) = &self.engine.receipt_around_id;
                raw.put(before_id)?;
                raw.put(id)?;
                raw.put(after_id)?;
            }
        }
        raw.put(&fragments.closing)?;
        raw.end()
    }
}

impl<'h, F> DecisionPieces<'_, F>
where
    F: Iterator<Item = (&'static Rule, Severity, &'h Hit)> + Clone,
{
    /// The findings of one class (`deny`: the violations), comma-separated.
    fn put_findings<S: Serializer>(&self, raw: &mut RawPieces<S>, deny: bool) -> Result<(), S::Error> {
        let fragments = self.fragments;
        let mut first = true;
        for (rule, severity, hit) in self.findings.clone() {
            if (severity == Severity::Deny) != deny {
                continue;
            }
            if !first {
                raw.put(",")?;
            }
            first = false;
            // `fragments_fit` checked both slots before this writer was chosen.
            let (Some(rule), Some(severity)) = (rule_slot(rule), severity_slot(severity)) else {
                unreachable!("checked by fragments_fit")
            };
            raw.put(&fragments.finding_opening[rule][severity])?;
            raw.put(&hit.message)?;
            raw.put(&fragments.finding_path)?;
            raw.put(&hit.path)?;
            if let Some(detail) = hit.detail {
                raw.put(&fragments.finding_detail)?;
                raw.put(detail)?;
            }
            raw.put(&fragments.finding_closing)?;
        }
        Ok(())
    }
}

/// `"sha256:"` and 64 hex digits.
const FINGERPRINT_LABEL_LEN: usize = 71;

/// Writes the fingerprint label of a token's SHA-256 into a stack buffer
/// (no allocation), four digest bytes at a time (a table look-up per
/// nibble was about 250 instructions of every decision with a token).
fn write_fingerprint<'b>(digest: &[u8; 32], buffer: &'b mut [u8; FINGERPRINT_LABEL_LEN]) -> &'b str {
    buffer[..7].copy_from_slice(b"sha256:");
    for (four, digits) in digest.chunks_exact(4).zip(buffer[7..].chunks_exact_mut(8)) {
        digits.copy_from_slice(&hex_digits(four.try_into().expect("four bytes")));
    }
    // SAFETY: every byte written above is ASCII ("sha256:" and hex digits).
    unsafe { std::str::from_utf8_unchecked(buffer) }
}

/// The eight lowercase hex digits of four bytes, in order, computed in one
/// word: each nibble is spread into a byte of its own, then turned into
/// `'0'..='9'` or `'a'..='f'` (no byte can carry into the next).
#[inline]
fn hex_digits(bytes: [u8; 4]) -> [u8; 8] {
    const LOW_NIBBLES: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut word = u64::from(u32::from_be_bytes(bytes));
    word = (word | (word << 16)) & 0x0000_FFFF_0000_FFFF;
    word = (word | (word << 8)) & 0x00FF_00FF_00FF_00FF;
    word = (word | (word << 4)) & LOW_NIBBLES;
    // 1 in each byte whose nibble is 10 or more (nibble + 6 reaches 16).
    let letters = ((word + 6 * ONES) >> 4) & ONES;
    (word + u64::from(b'0') * ONES + letters * u64::from(b'a' - b'0' - 10)).to_be_bytes()
}

/// The lines of a JSON Lines text, without their `\n`; the newline search is
/// SIMD (memchr), which matters when a batch is millions of short lines.
fn lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let text = rest?;
        match memchr::memchr(b'\n', text) {
            Some(end) => {
                rest = Some(&text[end + 1..]);
                Some(&text[..end])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_digits_spell_every_byte_at_every_place() {
        for byte in 0..=255u8 {
            for place in 0..4 {
                let mut bytes = [0x5Au8; 4];
                bytes[place] = byte;
                let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(super::hex_digits(bytes), expected.as_bytes(), "{bytes:?}");
            }
        }
        let digest: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        let mut buffer = [0u8; super::FINGERPRINT_LABEL_LEN];
        let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::write_fingerprint(&digest, &mut buffer), format!("sha256:{expected}"));
    }

    #[test]
    fn engine_is_shareable_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Engine>();
    }

    /// Every piece of text the fragments hold, in every combination a
    /// decision can put them in, against the derived views.
    #[test]
    fn the_fragments_write_what_the_views_write() {
        use std::borrow::Cow;

        use super::*;

        let engine = Engine::from_policy_json(br#"{"allowed_regions":["eu1"]}"#).unwrap();
        let hit = |message: Cow<'static, str>, path: Cow<'static, str>, detail: Option<&'static str>| Hit {
            path,
            detail,
            message,
        };
        let hits = [
            hit(Cow::Borrowed("a literal message"), Cow::Borrowed("/body/currency"), None),
            hit(
                Cow::Owned("a built message".to_owned()),
                Cow::Owned("/token_record/scopes/3".to_owned()),
                Some("TOO_LONG"),
            ),
            hit(Cow::Borrowed(""), Cow::Borrowed(""), Some("")),
            hit(Cow::Owned("é \u{2028} / non-ASCII".to_owned()), Cow::Borrowed("/headers/X"), None),
        ];
        let fingerprint = "sha256:fbd243d6cfff6992680e9826007c1ce0dae0840836658d8a80849b2a17d9807d";
        let mut tokens = vec![None];
        for form in [TokenForm::Network, TokenForm::Identity] {
            for environment in [None, Some(TokenEnvironment::Live), Some(TokenEnvironment::Test)] {
                tokens.push(Some(TokenView { form, region: "eu1", environment, fingerprint }));
            }
        }
        let mut written = 0;
        for (position, rule) in RULES.iter().enumerate() {
            for severity in [Severity::Deny, Severity::Warn] {
                let other = &RULES[(position + 7) % RULES.len()];
                let hit_here = &hits[position % hits.len()];
                let hit_there = &hits[(position + 1) % hits.len()];
                let findings =
                    [(rule, severity, hit_here), (other, Severity::Warn, hit_there), (other, Severity::Deny, hit_here)];
                for count in 0..=findings.len() {
                    for (token, decision_id) in
                        tokens.iter().zip([None, Some("d-1"), Some("é/\u{2028}"), Some("")].iter().cycle())
                    {
                        for scope in [PaymentScope::CustomerPresent, PaymentScope::CustomerNotPresent] {
                            let chosen = &findings[..count];
                            let parts = DecisionParts {
                                allowed: !chosen.iter().any(|(_, severity, _)| *severity == Severity::Deny),
                                required_scope: scope,
                                token: *token,
                                decision_id: *decision_id,
                            };
                            let iter = chosen.iter().map(|(rule, severity, hit)| (*rule, *severity, *hit));
                            assert!(fragments_fit(&parts, iter.clone()));
                            let (mut fast, mut reference) = (String::new(), String::new());
                            engine.write_parts(&mut fast, parts, iter.clone());
                            engine.write_view(&mut reference, parts, iter);
                            assert_eq!(fast, reference);
                            written += 1;
                        }
                    }
                }
            }
        }
        assert!(written > 1000);

        // Text that needs an escape is written by the views.
        let escaped = hit(Cow::Owned("a \"quoted\" name".to_owned()), Cow::Borrowed("/body"), None);
        let parts = DecisionParts {
            allowed: false,
            required_scope: PaymentScope::CustomerPresent,
            token: None,
            decision_id: None,
        };
        let findings = [(&RULES[0], Severity::Deny, &escaped)];
        assert!(!fragments_fit(&parts, findings.iter().copied()));
        let with_id = DecisionParts { allowed: true, decision_id: Some("tab\there"), ..parts };
        assert!(!fragments_fit(&with_id, std::iter::empty()));
        let mut out = String::new();
        engine.write_parts(&mut out, parts, findings.iter().copied());
        assert!(out.contains(r#""message":"a \"quoted\" name""#), "{out}");
        // A rule from outside the table is written by the views too.
        let listed = &RULES[3];
        let outside: &'static Rule = Box::leak(Box::new(Rule {
            id: listed.id,
            code: listed.code,
            family: listed.family,
            default_severity: listed.default_severity,
            adjustable: listed.adjustable,
            description: listed.description,
            example: listed.example,
        }));
        assert_eq!((rule_slot(&RULES[3]), rule_slot(outside)), (Some(3), None));
        let plain = hit(Cow::Borrowed("text"), Cow::Borrowed("/body"), None);
        assert!(!fragments_fit(&parts, [(outside, Severity::Deny, &plain)].into_iter()));
    }

    #[test]
    fn the_fast_writer_matches_the_owned_decision_writer() {
        let engine = super::Engine::from_policy_json(
            br#"{"allowed_regions":["eu1"],"severity":{"IDEMPOTENCY_KEY_MISSING":"deny"}}"#,
        )
        .unwrap();
        let requests: [&[u8]; 3] = [
            br#"{"customer_present":true,"headers":{"Klarna-Customer-Token":"krn:customer-token:us1:abc"},"body":{"currency":"eur"},"decision_id":"d\n1"}"#,
            br#"{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:abc","Klarna-Idempotency-Key":"k"},"token_record":{"customer_token":"krn:customer-token:eu1:abc","scopes":["payment:customer_not_present"],"state":"ACTIVE"},"body":{"currency":"EUR","request_payment_transaction":{"amount":5}}}"#,
            br#"{"customer_present":false,"body":{}}"#,
        ];
        for request in requests {
            let mut fast = String::new();
            engine.check_json_into(request, &mut fast).unwrap();
            let owned = engine.decision_json(&engine.check_json(request).unwrap());
            assert_eq!(fast, owned);
        }
    }
}
