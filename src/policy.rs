//! The partner's policy (docs/RULES.md section 5), loaded strictly: a typo in a
//! payments policy must fail loudly, never silently weaken it.

use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::code::Code;
use crate::error::{Error, Status};
use crate::json::de::{self, Entries, Nulls};
use crate::json::{self, Value};
use crate::record::{PaymentScope, MAX_KEPT_ATTEMPTS, SCOPE_CUSTOMER_NOT_PRESENT, SCOPE_CUSTOMER_PRESENT};
use crate::request::is_caller_name;
use crate::rules::{self, Severity, RULES};
use crate::token::{is_region, sha256_label};

/// Caps on earlier attempts in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxAttempts {
    /// The most charges in 24 hours.
    pub per_24h: Option<i64>,
    /// The most charges in 30 days.
    pub per_30d: Option<i64>,
}

/// What one caller may do (policy `access`, rules 901-903).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerAccess {
    /// The caller name, byte for byte as in the policy.
    pub caller: String,
    /// May it charge with each payment scope (customer present, not present).
    scopes: [bool; 2],
    /// May it send `request_customer_token`.
    pub tokenize: bool,
}

impl CallerAccess {
    /// Whether this caller may use tokens of `scope`.
    pub fn allows_scope(&self, scope: PaymentScope) -> bool {
        self.scopes[scope_index(scope)]
    }
}

/// A loaded, immutable policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The regions a token may come from (rule 103); `None`: any.
    pub allowed_regions: Option<Vec<String>>,
    /// Uppercase ISO 4217 codes.
    pub allowed_currencies: Option<Vec<[u8; 3]>>,
    /// Per payment scope (customer present, not present): currency → cap.
    max_amount: [Vec<([u8; 3], i64)>; 2],
    /// The least time between two partner-initiated charges (rule 803).
    pub min_charge_interval_seconds: Option<i64>,
    /// The most partner-initiated charges per period (rule 804).
    pub max_attempts: Option<MaxAttempts>,
    /// Whether a tokenization request must carry `customer_token_reference` (rule 508).
    pub require_token_reference: bool,
    /// Which services may use tokens, and how; `None` when the policy has
    /// no `access` (rules 901-903 then never fire).
    pub access: Option<Vec<CallerAccess>>,
    /// Effective severity of each rule, by its position in `RULES`.
    severities: Vec<Severity>,
    digest: String,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::from_json(b"{}").expect("the empty policy is valid")
    }
}

/// The policy document as docs/RULES.md section 5 describes it, read by the
/// strict reader's serde format with `null` refused: a typo, a wrong type
/// or a `null` fails loudly, at its JSON Pointer, and the first fault in
/// document order is the one reported.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDocument {
    /// Checked (the integer 1), nothing to keep.
    #[serde(rename = "version")]
    _version: Option<Version>,
    allowed_regions: Option<Vec<Region>>,
    allowed_currencies: Option<Vec<Currency>>,
    /// Payment scope → currency → cap.
    max_amount: Option<Entries<ScopeKey, Entries<Currency, PositiveInteger>>>,
    min_charge_interval_seconds: Option<PositiveInteger>,
    max_attempts: Option<MaxAttemptsDocument>,
    require_token_reference: Option<bool>,
    /// Rule code → deny, warn or off, for adjustable rules only.
    severity: Option<Entries<AdjustableRule, Severity>>,
    /// Caller name → what it may do.
    access: Option<Entries<CallerKey, AccessDocument>>,
}

/// A key of `access`: a caller name.
struct CallerKey(String);

impl<'de> Deserialize<'de> for CallerKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        if !is_caller_name(text) {
            return Err(D::Error::invalid_value(
                Unexpected::Other("text"),
                &"a caller name: 1 to 255 characters, no control characters",
            ));
        }
        Ok(CallerKey(text.to_owned()))
    }
}

/// One caller's entry of `access`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessDocument {
    scopes: AccessScopes,
    tokenize: Option<bool>,
}

/// The payment scopes a caller may use, each at most once.
struct AccessScopes([bool; 2]);

impl<'de> Deserialize<'de> for AccessScopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut allowed = [false; 2];
        for ScopeItem(scope) in Vec::<ScopeItem>::deserialize(deserializer)? {
            let slot = &mut allowed[scope_index(scope)];
            if *slot {
                return Err(D::Error::invalid_value(
                    Unexpected::Other("a repeated scope"),
                    &"payment scopes, each at most once",
                ));
            }
            *slot = true;
        }
        Ok(AccessScopes(allowed))
    }
}

/// An item of an `access` entry's `scopes`: a payment scope.
struct ScopeItem(PaymentScope);

impl<'de> Deserialize<'de> for ScopeItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        PaymentScope::parse(text).map(ScopeItem).ok_or_else(|| {
            D::Error::invalid_value(
                Unexpected::Other("text"),
                &"a payment scope: payment:customer_present or payment:customer_not_present",
            )
        })
    }
}

/// `version`: the integer 1.
struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match i64::deserialize(deserializer)? {
            1 => Ok(Version),
            other => Err(D::Error::invalid_value(Unexpected::Signed(other), &"the integer 1")),
        }
    }
}

/// An integer above zero (caps, intervals).
struct PositiveInteger(i64);

impl<'de> Deserialize<'de> for PositiveInteger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match i64::deserialize(deserializer)? {
            n if n > 0 => Ok(PositiveInteger(n)),
            other => Err(D::Error::invalid_value(Unexpected::Signed(other), &"a positive integer")),
        }
    }
}

/// A region as in docs/RULES.md section 2 (`eu1`).
struct Region(String);

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        if !is_region(text) {
            return Err(D::Error::invalid_value(
                Unexpected::Other("text"),
                &"a region: two lowercase letters and one to three digits, like eu1",
            ));
        }
        Ok(Region(text.to_owned()))
    }
}

/// An ISO 4217 code: three uppercase ASCII letters (a list item or a key).
struct Currency([u8; 3]);

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        match <[u8; 3]>::try_from(text.as_bytes()) {
            Ok(code) if code.iter().all(u8::is_ascii_uppercase) => Ok(Currency(code)),
            _ => Err(D::Error::invalid_value(Unexpected::Other("text"), &"three uppercase ASCII letters")),
        }
    }
}

/// A key of `max_amount`: one of the two payment scopes.
struct ScopeKey(PaymentScope);

impl<'de> Deserialize<'de> for ScopeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        PaymentScope::parse(text)
            .map(ScopeKey)
            .ok_or_else(|| D::Error::unknown_field(text, &[SCOPE_CUSTOMER_PRESENT, SCOPE_CUSTOMER_NOT_PRESENT]))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaxAttemptsDocument {
    per_24h: Option<AttemptCap>,
    per_30d: Option<AttemptCap>,
}

/// A `max_attempts` cap: 1 to 100 (a record keeps at most 100 attempts, so
/// a higher cap could never be reached by counting them).
struct AttemptCap(i64);

impl<'de> Deserialize<'de> for AttemptCap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match i64::deserialize(deserializer)? {
            n if (1..=MAX_KEPT_ATTEMPTS as i64).contains(&n) => Ok(AttemptCap(n)),
            other => Err(D::Error::invalid_value(Unexpected::Signed(other), &"an integer from 1 to 100")),
        }
    }
}

/// A key of `severity`: the code of a rule whose severity may change.
struct AdjustableRule(usize);

impl<'de> Deserialize<'de> for AdjustableRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <&'de str>::deserialize(deserializer)?;
        let rule =
            rules::by_code(code).ok_or_else(|| de::coded(Code::UnknownRule, "the code of a rule that exists"))?;
        if !rule.adjustable {
            return Err(de::coded(
                Code::RuleNotAdjustable,
                "the code of an adjustable rule: the warn rules (205, 402, 701) and the 8xx rules",
            ));
        }
        Ok(AdjustableRule(rules::index_of(rule)))
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
        let document: PolicyDocument =
            de::from_value(root, Nulls::Refused).map_err(|e| Error::from_de(e, Status::InvalidPolicy, "policy"))?;
        let mut severities: Vec<Severity> = RULES.iter().map(|rule| rule.default_severity).collect();
        for (AdjustableRule(index), severity) in document.severity.unwrap_or_default().0 {
            severities[index] = severity;
        }
        let mut max_amount = [Vec::new(), Vec::new()];
        for (ScopeKey(scope), caps) in document.max_amount.unwrap_or_default().0 {
            max_amount[scope_index(scope)].extend(caps.0.into_iter().map(|(Currency(code), cap)| (code, cap.0)));
        }
        let canonical = json::to_string(&json::Canonical(root));
        Ok(Policy {
            allowed_regions: document.allowed_regions.map(|regions| regions.into_iter().map(|r| r.0).collect()),
            allowed_currencies: document.allowed_currencies.map(|codes| codes.into_iter().map(|c| c.0).collect()),
            max_amount,
            min_charge_interval_seconds: document.min_charge_interval_seconds.map(|n| n.0),
            max_attempts: document
                .max_attempts
                .map(|caps| MaxAttempts { per_24h: caps.per_24h.map(|n| n.0), per_30d: caps.per_30d.map(|n| n.0) }),
            require_token_reference: document.require_token_reference.unwrap_or(false),
            access: document.access.map(|entries| {
                entries
                    .0
                    .into_iter()
                    .map(|(CallerKey(caller), entry)| CallerAccess {
                        caller,
                        scopes: entry.scopes.0,
                        tokenize: entry.tokenize.unwrap_or(false),
                    })
                    .collect()
            }),
            severities,
            digest: sha256_label(&Sha256::digest(canonical.as_bytes())),
        })
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

    /// The `access` entry of `caller` (compared byte for byte), when the
    /// policy has `access` and names it.
    pub fn caller_access(&self, caller: &str) -> Option<&CallerAccess> {
        self.access.as_ref()?.iter().find(|entry| entry.caller == caller)
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
