//! The same four core rules, written for three engines, fed the same JSON
//! text. The bench (`benches/compare.rs`) times each engine's
//! per-request path; `src/bin/report.rs` runs it and writes `results.json`.
//!
//! The rules (docs/RULES.md section 4, cut down to four):
//!
//! | rule | ctpolicy code | when it denies |
//! | --- | --- | --- |
//! | scope vs presence | `SCOPE_MISMATCH` | the record's scopes lack `payment:customer_present` (customer present) or `payment:customer_not_present` (not present) |
//! | revoked | `TOKEN_REVOKED` | the record's state is `REVOKED` |
//! | step-up | `STEP_UP_NOT_ALLOWED` | `customer_present` is false and `body.step_up_config` is present |
//! | token prefix | `TOKEN_MALFORMED` / `TOKEN_WRONG_TYPE` in ctpolicy, `TOKEN_PREFIX` here | the `Klarna-Customer-Token` header starts with neither `krn:customer-token:` nor `krn:partner:` |
//!
//! ctpolicy runs its whole rule table (34 rules) on every request; Cedar and
//! regorus run only these four.

use std::collections::BTreeSet;
use std::ptr;
use std::str::FromStr;

use ctpolicy::ffi::{self, ctp_buf};

#[path = "../../fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
pub use fixtures::{RENEWAL, STRICT_POLICY};

/// The Cedar policy set. The whole request JSON is the request context;
/// principal, action and resource are fixed. Each `forbid` carries the
/// name of the rule in `@rule` so the diagnostics name what fired.
///
/// Cedar skips a policy whose evaluation errors, so a `forbid` that hit a
/// missing attribute would be skipped and could let a request through. The
/// `permit` therefore requires every attribute the forbids read (fail closed:
/// no permit, no ALLOW).
pub const CEDAR_POLICIES: &str = r#"
@rule("ALLOW")
permit (principal, action == Action::"authorizePayment", resource)
when {
  context has customer_present &&
  context has headers && context.headers has "Klarna-Customer-Token" &&
  context has token_record &&
  context.token_record has scopes && context.token_record has state &&
  context has body
};

@rule("SCOPE_MISMATCH")
forbid (principal, action, resource)
unless {
  if context.customer_present
  then context.token_record.scopes.contains("payment:customer_present")
  else context.token_record.scopes.contains("payment:customer_not_present")
};

@rule("TOKEN_REVOKED")
forbid (principal, action, resource)
when { context.token_record.state == "REVOKED" };

@rule("STEP_UP_NOT_ALLOWED")
forbid (principal, action, resource)
when { context.customer_present == false && context.body has step_up_config };

@rule("TOKEN_PREFIX")
forbid (principal, action, resource)
unless {
  context.headers["Klarna-Customer-Token"] like "krn:customer-token:*" ||
  context.headers["Klarna-Customer-Token"] like "krn:partner:*"
};
"#;

/// The Rego policy (v1 syntax). `decision` is evaluated as one rule, so
/// regorus, like Cedar and ctpolicy, returns the verdict with its reasons.
/// A missing field makes `required_scope` or `prefix_ok` undefined, which
/// fires the matching violation (fail closed).
pub const REGO_POLICY: &str = r#"
package ctp

import rego.v1

required_scope := "payment:customer_present" if input.customer_present == true

required_scope := "payment:customer_not_present" if input.customer_present == false

has_key(obj, key) if {
	_ = obj[key]
}

violations contains "SCOPE_MISMATCH" if {
	not required_scope in input.token_record.scopes
}

violations contains "TOKEN_REVOKED" if {
	input.token_record.state == "REVOKED"
}

violations contains "STEP_UP_NOT_ALLOWED" if {
	input.customer_present == false
	has_key(input.body, "step_up_config")
}

token := input.headers["Klarna-Customer-Token"]

prefix_ok if startswith(token, "krn:customer-token:")

prefix_ok if startswith(token, "krn:partner:")

violations contains "TOKEN_PREFIX" if not prefix_ok

default allow := false

allow if count(violations) == 0

decision := {"allow": allow, "violations": violations}
"#;

/// The rule regorus evaluates.
pub const REGO_RULE: &str = "data.ctp.decision";

/// A verdict and the names of the rules that denied (ctpolicy's codes, with
/// `TOKEN_MALFORMED`/`TOKEN_WRONG_TYPE` folded into `TOKEN_PREFIX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub allow: bool,
    pub reasons: BTreeSet<String>,
}

// ---------------------------------------------------------------- ctpolicy

/// ctpolicy behind its C ABI: `ctp_check_json` returns the decision JSON
/// (with the token fingerprint) in a buffer the caller frees.
pub struct CtpFfi {
    handle: *mut ffi::ctp_engine,
}

impl CtpFfi {
    pub fn new(policy_json: &str) -> Self {
        let mut handle = ptr::null_mut();
        let status =
            unsafe { ffi::ctp_engine_new(policy_json.as_ptr(), policy_json.len(), &mut handle, ptr::null_mut()) };
        assert_eq!(status, ffi::CTP_OK, "ctp_engine_new");
        CtpFfi { handle }
    }

    /// The timed path: one call, the decision JSON copied into a `String`
    /// only for checking (`check`), freed otherwise.
    #[inline]
    pub fn check_status(&self, request: &str) -> u32 {
        unsafe {
            let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
            let status = ffi::ctp_check_json(self.handle, request.as_ptr(), request.len(), &mut buf, ptr::null_mut());
            ffi::ctp_buf_free(&mut buf);
            status
        }
    }

    /// The decision JSON text.
    pub fn check(&self, request: &str) -> String {
        unsafe {
            let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
            let status = ffi::ctp_check_json(self.handle, request.as_ptr(), request.len(), &mut buf, ptr::null_mut());
            let text = String::from_utf8(std::slice::from_raw_parts(buf.ptr, buf.len).to_vec()).unwrap();
            ffi::ctp_buf_free(&mut buf);
            assert_eq!(status, ffi::CTP_OK, "ctp_check_json: {text}");
            text
        }
    }

    pub fn answer(&self, request: &str) -> Answer {
        let v: serde_json::Value = serde_json::from_str(&self.check(request)).unwrap();
        let allow = match v["decision"].as_str() {
            Some("ALLOW") => true,
            Some("DENY") => false,
            other => panic!("unexpected decision {other:?}"),
        };
        let reasons =
            v["violations"].as_array().unwrap().iter().map(|f| fold_code(f["code"].as_str().unwrap())).collect();
        Answer { allow, reasons }
    }
}

impl Drop for CtpFfi {
    fn drop(&mut self) {
        unsafe { ffi::ctp_engine_free(self.handle) };
    }
}

/// ctpolicy through its Rust API.
pub fn ctp_rust_answer(engine: &ctpolicy::Engine, request: &str) -> Answer {
    let d = engine.check_json(request.as_bytes()).unwrap();
    Answer { allow: d.allowed(), reasons: d.violations.iter().map(|f| fold_code(f.code())).collect() }
}

fn fold_code(code: &str) -> String {
    match code {
        "TOKEN_MALFORMED" | "TOKEN_WRONG_TYPE" => "TOKEN_PREFIX".to_string(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- Cedar

/// Cedar: the policy set is parsed once; every request builds its context
/// from the JSON text, an (empty) entity store, and a `Request`.
pub struct CedarEngine {
    pub policies: cedar_policy::PolicySet,
    pub authorizer: cedar_policy::Authorizer,
    pub principal: cedar_policy::EntityUid,
    pub action: cedar_policy::EntityUid,
    pub resource: cedar_policy::EntityUid,
}

impl CedarEngine {
    pub fn new() -> Self {
        CedarEngine {
            policies: cedar_policy::PolicySet::from_str(CEDAR_POLICIES).expect("Cedar policies parse"),
            authorizer: cedar_policy::Authorizer::new(),
            principal: cedar_policy::EntityUid::from_str(r#"Partner::"bench""#).unwrap(),
            action: cedar_policy::EntityUid::from_str(r#"Action::"authorizePayment""#).unwrap(),
            resource: cedar_policy::EntityUid::from_str(r#"Charge::"request""#).unwrap(),
        }
    }

    /// The timed path.
    #[inline]
    pub fn response(&self, request: &str) -> cedar_policy::Response {
        let context = cedar_policy::Context::from_json_str(request, None).expect("Cedar context");
        let entities = cedar_policy::Entities::empty();
        let req = cedar_policy::Request::new(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context,
            None,
        )
        .expect("Cedar request");
        self.authorizer.is_authorized(&req, &self.policies, &entities)
    }

    pub fn answer(&self, request: &str) -> Answer {
        let resp = self.response(request);
        let errors: Vec<String> = resp.diagnostics().errors().map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "Cedar evaluation errors: {errors:?}");
        let allow = resp.decision() == cedar_policy::Decision::Allow;
        let reasons = resp
            .diagnostics()
            .reason()
            .map(|id| self.policies.annotation(id, "rule").unwrap().to_string())
            .filter(|r| r != "ALLOW")
            .collect();
        Answer { allow, reasons }
    }
}

impl Default for CedarEngine {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------- lean Cedar

/// Cedar as a user would set it up who builds only what the rules read:
/// the stored record is the resource, a `Token` entity with `scopes` (a
/// set) and `state`; the context holds three values, `customer_present`,
/// `step_up` (whether `body.step_up_config` is sent) and `token` (the
/// Klarna-Customer-Token header). Five policies, no `@rule` bookkeeping
/// beyond what names a forbid.
pub const LEAN_CEDAR_POLICIES: &str = r#"
permit (principal, action == Action::"authorizePayment", resource)
when { context.customer_present && resource.scopes.contains("payment:customer_present") };

permit (principal, action == Action::"authorizePayment", resource)
when { !context.customer_present && resource.scopes.contains("payment:customer_not_present") };

@rule("TOKEN_REVOKED")
forbid (principal, action, resource)
when { resource.state == "REVOKED" };

@rule("STEP_UP_NOT_ALLOWED")
forbid (principal, action, resource)
when { !context.customer_present && context.step_up };

@rule("TOKEN_PREFIX")
forbid (principal, action, resource)
unless { context.token like "krn:customer-token:*:*" };
"#;

/// The lean Cedar setup: policies parsed once; per request the JSON text
/// is read with serde_json into a `Value`, one `Token` entity and a
/// three-value context are built from it, and `is_authorized` decides.
pub struct LeanCedar {
    pub policies: cedar_policy::PolicySet,
    pub authorizer: cedar_policy::Authorizer,
    pub principal: cedar_policy::EntityUid,
    pub action: cedar_policy::EntityUid,
    pub resource: cedar_policy::EntityUid,
}

impl LeanCedar {
    pub fn new() -> Self {
        LeanCedar {
            policies: cedar_policy::PolicySet::from_str(LEAN_CEDAR_POLICIES).expect("lean Cedar policies parse"),
            authorizer: cedar_policy::Authorizer::new(),
            principal: cedar_policy::EntityUid::from_str(r#"Partner::"bench""#).unwrap(),
            action: cedar_policy::EntityUid::from_str(r#"Action::"authorizePayment""#).unwrap(),
            resource: cedar_policy::EntityUid::from_str(r#"Token::"record""#).unwrap(),
        }
    }

    /// The timed path. A request without the fields the rules read is not
    /// decided (`None`), as a Cedar user's handler would refuse it.
    #[inline]
    pub fn response(&self, request: &str) -> Option<cedar_policy::Response> {
        use cedar_policy::RestrictedExpression as Expr;
        let request: serde_json::Value = serde_json::from_str(request).ok()?;
        let record = request.get("token_record")?;
        let scopes = record.get("scopes")?.as_array()?;
        let scopes = Expr::new_set(scopes.iter().filter_map(|s| s.as_str()).map(|s| Expr::new_string(s.to_string())));
        let state = Expr::new_string(record.get("state")?.as_str()?.to_string());
        let token = cedar_policy::Entity::new(
            self.resource.clone(),
            [("scopes".to_string(), scopes), ("state".to_string(), state)].into_iter().collect(),
            Default::default(),
        )
        .ok()?;
        let entities = cedar_policy::Entities::from_entities([token], None).ok()?;
        let customer_present = request.get("customer_present")?.as_bool()?;
        let step_up = request.get("body")?.get("step_up_config").is_some_and(|config| !config.is_null());
        let header = request.get("headers")?.get("Klarna-Customer-Token")?.as_str()?;
        let context = cedar_policy::Context::from_pairs([
            ("customer_present".to_string(), Expr::new_bool(customer_present)),
            ("step_up".to_string(), Expr::new_bool(step_up)),
            ("token".to_string(), Expr::new_string(header.to_string())),
        ])
        .ok()?;
        let request = cedar_policy::Request::new(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context,
            None,
        )
        .ok()?;
        Some(self.authorizer.is_authorized(&request, &self.policies, &entities))
    }

    /// The verdict, and the forbids that fired (a request no permit allows
    /// is a DENY without one).
    pub fn answer(&self, request: &str) -> Answer {
        let resp = self.response(request).expect("lean Cedar reads the request");
        let errors: Vec<String> = resp.diagnostics().errors().map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "lean Cedar evaluation errors: {errors:?}");
        let allow = resp.decision() == cedar_policy::Decision::Allow;
        let reasons = resp
            .diagnostics()
            .reason()
            .filter_map(|id| self.policies.annotation(id, "rule").map(str::to_string))
            .collect();
        Answer { allow, reasons }
    }
}

impl Default for LeanCedar {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------- regorus

/// regorus: the policy is added once; every request sets the input from the
/// JSON text and evaluates `data.ctp.decision`. `eval_rule` needs `&mut`,
/// so each thread would hold its own clone of a prepared engine.
pub fn regorus_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.add_policy("ctp.rego".to_string(), REGO_POLICY.to_string()).expect("Rego policy parses");
    engine
}

/// The timed path.
#[inline]
pub fn regorus_decide(engine: &mut regorus::Engine, request: &str) -> regorus::Value {
    engine.set_input_json(request).expect("regorus input");
    engine.eval_rule(REGO_RULE.to_string()).expect("regorus eval")
}

pub fn regorus_answer(engine: &mut regorus::Engine, request: &str) -> Answer {
    let v = regorus_decide(engine, request);
    let json: serde_json::Value = serde_json::from_str(&v.to_json_str().unwrap()).unwrap();
    let allow = json["allow"].as_bool().expect("allow is a bool");
    let reasons = json["violations"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
    Answer { allow, reasons }
}

// ---------------------------------------------------------------- the cases

/// A named request and the answer every engine must give.
pub struct Case {
    pub name: &'static str,
    pub request: String,
    pub expect_allow: bool,
    pub expect_reasons: &'static [&'static str],
}

fn variant(from: &str, to: &str) -> String {
    assert!(RENEWAL.contains(from), "fixture lacks {from}");
    RENEWAL.replace(from, to)
}

pub fn cases() -> Vec<Case> {
    vec![
        Case { name: "renewal", request: RENEWAL.to_string(), expect_allow: true, expect_reasons: &[] },
        Case {
            name: "step_up_not_present",
            request: variant(
                r#""body":{"#,
                r#""body":{"step_up_config":{"customer_interaction_config":{"method":"HANDOVER","return_url":"https://shop.example/return"}},"#,
            ),
            expect_allow: false,
            expect_reasons: &["STEP_UP_NOT_ALLOWED"],
        },
        Case {
            name: "revoked",
            request: variant(r#""state":"ACTIVE""#, r#""state":"REVOKED""#),
            expect_allow: false,
            expect_reasons: &["TOKEN_REVOKED"],
        },
        Case {
            name: "scope_vs_presence",
            request: variant(r#""customer_present":false"#, r#""customer_present":true"#),
            expect_allow: false,
            expect_reasons: &["SCOPE_MISMATCH"],
        },
        Case {
            name: "token_prefix",
            request: variant("krn:customer-token:", "krn:network-session-token:"),
            expect_allow: false,
            expect_reasons: &["TOKEN_PREFIX"],
        },
    ]
}

/// The four requests of the lean comparison (604, 718, 600 and 605 bytes): a
/// renewal (ALLOW), a renewal with step-up (DENY), a one-click purchase
/// with the customer present (ALLOW) and a renewal of a revoked token
/// (DENY).
pub fn four_requests() -> Vec<Case> {
    let one_click = RENEWAL
        .replace(r#""customer_present":false"#, r#""customer_present":true"#)
        .replace(r#"["payment:customer_not_present"]"#, r#"["payment:customer_present"]"#)
        .replace("renewal-2026-11-sub-000042", "one-click-2026-11-000917")
        .replace("sub-42-2026-11", "order-917-2026-11");
    let all = cases();
    let by_name = |name: &str| all.iter().find(|case| case.name == name).expect("a case of cases()");
    let renewal = by_name("renewal");
    let step_up = by_name("step_up_not_present");
    let revoked = by_name("revoked");
    vec![
        Case { name: "renewal", request: renewal.request.clone(), expect_allow: true, expect_reasons: &[] },
        Case {
            name: "renewal_step_up",
            request: step_up.request.clone(),
            expect_allow: false,
            expect_reasons: &["STEP_UP_NOT_ALLOWED"],
        },
        Case { name: "one_click_purchase", request: one_click, expect_allow: true, expect_reasons: &[] },
        Case {
            name: "revoked_renewal",
            request: revoked.request.clone(),
            expect_allow: false,
            expect_reasons: &["TOKEN_REVOKED"],
        },
    ]
}

/// Asserts ctpolicy and the lean Cedar give each of the four requests its
/// expected verdict, and every other case too (Cedar names a forbid's
/// reason; a scope mismatch is a DENY no permit allows, so it names none).
pub fn check_lean_cedar(policy_json: &str) {
    let ffi = CtpFfi::new(policy_json);
    let lean = LeanCedar::new();
    for case in four_requests() {
        let expected: BTreeSet<String> = case.expect_reasons.iter().map(|s| s.to_string()).collect();
        let ours = ffi.answer(&case.request);
        assert_eq!(ours.allow, case.expect_allow, "ctp_check_json on {}: {ours:?}", case.name);
        assert!(ours.reasons.is_superset(&expected), "ctp_check_json on {}: {ours:?}", case.name);
        let theirs = lean.answer(&case.request);
        assert_eq!(theirs.allow, ours.allow, "lean Cedar and ctp_check_json disagree on {}", case.name);
        assert_eq!(theirs, Answer { allow: case.expect_allow, reasons: expected }, "lean Cedar on {}", case.name);
        // The timed path of the lean row gives the same verdict as `answer`.
        let timed = lean.response(&case.request).expect("decided").decision() == cedar_policy::Decision::Allow;
        assert_eq!(timed, ours.allow, "lean Cedar's timed path on {}", case.name);
    }

    for case in cases() {
        let theirs = lean.answer(&case.request);
        assert_eq!(theirs.allow, case.expect_allow, "lean Cedar on {}: {theirs:?}", case.name);
    }
}

/// Asserts every engine gives every case its expected verdict; panics
/// otherwise. ctpolicy may name more reasons (it runs all 34 rules), but
/// must name the expected one.
pub fn check_all_engines(policy_json: &str) {
    let ffi = CtpFfi::new(policy_json);
    let rust = ctpolicy::Engine::from_policy_json(policy_json.as_bytes()).unwrap();
    let cedar = CedarEngine::new();
    let mut rego = regorus_engine();
    for case in cases() {
        let expected: BTreeSet<String> = case.expect_reasons.iter().map(|s| s.to_string()).collect();
        let answers = [
            ("ctpolicy ctp_check_json", ffi.answer(&case.request), true),
            ("ctpolicy Engine::check_json", ctp_rust_answer(&rust, &case.request), true),
            ("cedar", cedar.answer(&case.request), false),
            ("regorus", regorus_answer(&mut rego, &case.request), false),
        ];
        for (engine, answer, superset_ok) in answers {
            assert_eq!(answer.allow, case.expect_allow, "{engine} on {}: {answer:?}", case.name);
            if superset_ok {
                assert!(answer.reasons.is_superset(&expected), "{engine} on {}: {answer:?}", case.name);
            } else {
                assert_eq!(answer.reasons, expected, "{engine} on {}", case.name);
            }
        }
    }
}
