//! The rule table of docs/RULES.md section 4: what rules exist (id, code,
//! family, default severity, whether a policy may adjust it, the docs'
//! words). The evaluator (`checks`), `ctpolicy rules`/`explain`,
//! `ctp_reason_code`, the policy's `severity` map, the docs and the
//! bindings' constants are all derived from it. Adding a rule is one row
//! here and one small function in its family's file under src/checks/.
//!
//! The table knows no request and no policy: the policy reads it (to
//! resolve `severity`), and the checks read the policy, so the table sits
//! below both.

/// What a hit does to the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Listed under `violations`; the decision is DENY.
    Deny,
    /// Listed under `warnings`.
    Warn,
    /// Not evaluated at all.
    Off,
}

/// Written as its name, as in the rule table and policies.
impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Severity {
    /// The name as policies and the rule table write it: `deny`, `warn`, `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Off => "off",
        }
    }

    /// The severity named `text`, if it is one.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "deny" => Some(Severity::Deny),
            "warn" => Some(Severity::Warn),
            "off" => Some(Severity::Off),
            _ => None,
        }
    }
}

/// The groups rules come in, one source file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Rules 101-106: the `Klarna-Customer-Token` header.
    Token,
    /// Rules 201-205: the stored token record.
    Record,
    /// Rule 301: the record's scope against the charge's.
    Scope,
    /// Rules 401-403: step-up.
    StepUp,
    /// Rules 501-508: requesting a new customer token.
    Tokenization,
    /// Rules 601-605: the payment transaction.
    Transaction,
    /// Rules 701-703: other headers.
    Headers,
    /// Rules 801-804: the partner's policy limits.
    Partner,
    /// Rules 901-903: which callers may use tokens.
    Access,
}

/// Written as its name, as in the rule table and policies.
impl serde::Serialize for Family {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Family {
    /// The family's name in the rule table (`token`, `partner policy`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Token => "token",
            Family::Record => "record",
            Family::Scope => "scope",
            Family::StepUp => "step-up",
            Family::Tokenization => "tokenization",
            Family::Transaction => "transaction",
            Family::Headers => "headers",
            Family::Partner => "partner policy",
            Family::Access => "access",
        }
    }
}

/// One row of the rule table.
pub struct Rule {
    /// The stable number (`101`…).
    pub id: u16,
    /// The stable code (`TOKEN_MALFORMED`…), the reason a decision gives.
    pub code: &'static str,
    /// The group it belongs to.
    pub family: Family,
    /// The severity it has unless a policy adjusts it.
    pub default_severity: Severity,
    /// Whether a policy's `severity` may change it.
    pub adjustable: bool,
    /// When the rule fires, in words.
    pub description: &'static str,
    /// A request fragment that makes it fire.
    pub example: &'static str,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rule({} {})", self.id, self.code)
    }
}

/// Rules are identified by their id.
impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// Builds [`RULES`] from the rows; the check paths are only read by the
/// evaluator (src/checks/mod.rs), which resolves them there.
macro_rules! rule_table {
    ($( $id:literal $code:ident $family:ident $severity:ident $adjustable:ident $check:path,
        $description:literal, $example:literal; )*) => {
        /// Every rule, sorted by id.
        pub static RULES: &[Rule] = &[ $( Rule {
            id: $id,
            code: stringify!($code),
            family: Family::$family,
            default_severity: Severity::$severity,
            adjustable: rule_table!(@adjustable $adjustable),
            description: $description,
            example: $example,
        }, )* ];
    };
    (@adjustable adjustable) => { true };
    (@adjustable fixed) => { false };
}

/// The rows of the rule table, handed to `$callback` (a macro taking
/// them all): `rule_table` builds [`RULES`] from them here, and the
/// evaluator its direct calls of each row's check in src/checks/. One
/// list, so the table and the evaluator cannot disagree on order.
///
/// A row: `id CODE Family DefaultSeverity adjustable|fixed family::check,
/// "when it fires", "a request fragment that makes it fire";`
macro_rules! rule_rows {
    ($callback:ident) => { $callback! {
    101 TOKEN_MALFORMED Token Deny fixed token::malformed,
        "The Klarna-Customer-Token header is present and is not a well-formed customer token (the detail says which check failed).",
        r#"{"headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:abc\n"}}"#;
    102 TOKEN_WRONG_TYPE Token Deny fixed token::wrong_type,
        "The Klarna-Customer-Token header holds a KRN that is not a customer token, such as a network session token or a transaction id.",
        r#"{"headers": {"Klarna-Customer-Token": "krn:payment:eu1:klarna-network-session-token:abc"}}"#;
    103 TOKEN_REGION_NOT_ALLOWED Token Deny fixed token::region_not_allowed,
        "The token is well-formed, the policy sets allowed_regions, and the token's region is not one of them.",
        r#"policy {"allowed_regions": ["eu1"]}, header "krn:customer-token:us1:abc""#;
    104 TOKEN_HEADER_MISSING Token Deny fixed token::header_missing,
        "A token_record is sent but the Klarna-Customer-Token header is absent.",
        r#"{"token_record": {...}, "headers": {}}"#;
    105 TOKEN_REQUIRED Token Deny fixed token::required,
        "The customer is not present and the Klarna-Customer-Token header is absent: a partner-initiated charge can only use a stored token.",
        r#"{"customer_present": false, "headers": {}}"#;
    201 RECORD_MISSING Record Deny fixed record::missing,
        "The Klarna-Customer-Token header is present but no token_record is sent, so scope and state cannot be checked.",
        r#"{"headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:abc"}}"#;
    202 RECORD_TOKEN_MISMATCH Record Deny fixed record::token_mismatch,
        "The record's customer_token differs from the header value (compared byte for byte in constant time): the wrong record was loaded.",
        r#"header "krn:customer-token:eu1:abc", record {"customer_token": "krn:customer-token:eu1:xyz"}"#;
    203 TOKEN_REVOKED Record Deny fixed record::revoked,
        "The record is valid and its state is REVOKED: a revoked token is final and cannot be charged.",
        r#"{"token_record": {"state": "REVOKED", ...}}"#;
    204 RECORD_INVALID Record Deny fixed record::invalid,
        "The token_record is present and invalid (the detail is FIELD, STATE, SCOPES or TIMESTAMP).",
        r#"{"token_record": {"customer_token": "...", "scopes": [], "state": "ACTIVE"}}"#;
    205 UNKNOWN_SCOPE Record Warn adjustable record::unknown_scope,
        "The record's scopes hold a string other than the three known scopes; it is ignored (Klarna may add scopes).",
        r#"{"token_record": {"scopes": ["payment:customer_not_present", "payment:future"], ...}}"#;
    301 SCOPE_MISMATCH Scope Deny fixed scope::mismatch,
        "The record is valid but its scopes lack the scope this charge needs (payment:customer_present on-session, payment:customer_not_present otherwise).",
        r#"{"customer_present": true, "token_record": {"scopes": ["payment:customer_not_present"], ...}}"#;
    401 STEP_UP_NOT_ALLOWED StepUp Deny fixed step_up::not_allowed,
        "step_up_config is sent while the customer is not present: nobody can answer a step-up.",
        r#"{"customer_present": false, "body": {"step_up_config": {...}}}"#;
    402 STEP_UP_RECOMMENDED StepUp Warn adjustable step_up::recommended,
        "An on-session token charge without step_up_config: when Klarna needs verification it can only decline.",
        r#"{"customer_present": true, "headers": {"Klarna-Customer-Token": "..."}, "body": {}}"#;
    403 STEP_UP_CONFIG_INVALID StepUp Deny fixed step_up::config_invalid,
        "step_up_config, or its customer_interaction_config, is not an object, or return_url is not a string starting with https://.",
        r#"{"body": {"step_up_config": {"customer_interaction_config": {"return_url": "http://shop.example"}}}}"#;
    501 TOKENIZATION_CUSTOMER_NOT_PRESENT Tokenization Deny fixed tokenization::customer_not_present,
        "request_customer_token is sent while the customer is not present: tokenization needs the customer's consent.",
        r#"{"customer_present": false, "body": {"request_customer_token": {...}}}"#;
    502 TOKENIZATION_STEP_UP_MISSING Tokenization Deny fixed tokenization::step_up_missing,
        "request_customer_token is sent without step_up_config: tokenization always goes through step-up.",
        r#"{"body": {"request_customer_token": {...}}}"#;
    503 TOKENIZATION_SCOPES_INVALID Tokenization Deny fixed tokenization::scopes_invalid,
        "request_customer_token is not an object, or its scopes are absent, not strings, empty, repeated, unknown, or not exactly one payment scope.",
        r#"{"body": {"request_customer_token": {"scopes": ["payment:customer_present", "payment:customer_not_present"]}}}"#;
    504 TOKENIZATION_WITH_TOKEN Tokenization Deny fixed tokenization::with_token,
        "request_customer_token is sent together with a Klarna-Customer-Token header.",
        r#"{"headers": {"Klarna-Customer-Token": "..."}, "body": {"request_customer_token": {...}}}"#;
    505 SUBSCRIPTIONS_REQUIRED Tokenization Deny fixed tokenization::subscriptions_required,
        "Tokenizing for payment:customer_not_present without a non-empty supplementary_purchase_data.subscriptions array.",
        r#"{"body": {"request_customer_token": {"scopes": ["payment:customer_not_present"]}}}"#;
    506 ONDEMAND_SERVICE_REQUIRED Tokenization Deny fixed tokenization::ondemand_service_required,
        "Tokenizing for payment:customer_present without a supplementary_purchase_data.ondemand_service object.",
        r#"{"body": {"request_customer_token": {"scopes": ["payment:customer_present"]}}}"#;
    507 TOKEN_REFERENCE_INVALID Tokenization Deny fixed tokenization::reference_invalid,
        "request_customer_token.customer_token_reference is present and not a string of 1 to 255 characters free of control characters.",
        r#"{"body": {"request_customer_token": {"customer_token_reference": ""}}}"#;
    508 TOKEN_REFERENCE_MISSING Tokenization Deny fixed tokenization::reference_missing,
        "The policy sets require_token_reference and a tokenization request has no customer_token_reference.",
        r#"policy {"require_token_reference": true}, body {"request_customer_token": {"scopes": [...]}}"#;
    601 CURRENCY_INVALID Transaction Deny fixed transaction::currency_invalid,
        "body.currency is absent or not a string of exactly three ASCII letters.",
        r#"{"body": {"currency": "EURO"}}"#;
    602 AMOUNT_INVALID Transaction Deny fixed transaction::amount_invalid,
        "request_payment_transaction.amount is absent, not an integer (49.99, 100.0 and 1e2 are not), or outside 1..2147483647 minor units.",
        r#"{"body": {"request_payment_transaction": {"amount": 49.99}}}"#;
    603 TRANSACTION_REFERENCE_INVALID Transaction Deny fixed transaction::reference_invalid,
        "request_payment_transaction is not an object, or its payment_transaction_reference is not a string of 1 to 255 characters free of control characters.",
        r#"{"body": {"request_payment_transaction": {"payment_transaction_reference": ""}}}"#;
    604 PAYMENT_TRANSACTION_MISSING Transaction Deny fixed transaction::payment_missing,
        "A token is sent but request_payment_transaction is absent: a token charge must charge something.",
        r#"{"headers": {"Klarna-Customer-Token": "..."}, "body": {"currency": "EUR"}}"#;
    605 NOTHING_REQUESTED Transaction Deny fixed transaction::nothing_requested,
        "No token, no request_payment_transaction and no request_customer_token: the call asks for nothing.",
        r#"{"customer_present": true, "body": {"currency": "EUR"}}"#;
    701 IDEMPOTENCY_KEY_MISSING Headers Warn adjustable headers::idempotency_key_missing,
        "No Klarna-Idempotency-Key header: a retried charge without one can charge twice.",
        r#"{"headers": {}}"#;
    702 IDEMPOTENCY_KEY_INVALID Headers Deny fixed headers::idempotency_key_invalid,
        "The Klarna-Idempotency-Key is empty, longer than 255 bytes, or holds a byte outside visible ASCII.",
        r#"{"headers": {"Klarna-Idempotency-Key": "renewal 42"}}"#;
    703 HEADER_DUPLICATE Headers Deny fixed headers::duplicate,
        "Two header names are equal but for ASCII case: which one would be sent is undefined.",
        r#"{"headers": {"Klarna-Idempotency-Key": "a", "klarna-idempotency-key": "b"}}"#;
    801 CURRENCY_NOT_ALLOWED Partner Deny adjustable partner::currency_not_allowed,
        "The policy sets allowed_currencies and the (uppercased) currency is not in it.",
        r#"policy {"allowed_currencies": ["EUR"]}, body {"currency": "USD"}"#;
    802 AMOUNT_LIMIT_EXCEEDED Partner Deny adjustable partner::amount_limit_exceeded,
        "The amount is above the policy's max_amount for the required scope and currency.",
        r#"policy {"max_amount": {"payment:customer_not_present": {"EUR": 50000}}}, amount 60000 EUR"#;
    803 CHARGE_TOO_SOON Partner Deny adjustable partner::charge_too_soon,
        "A partner-initiated charge comes sooner after the record's last_used_at than the policy's min_charge_interval_seconds (needs now).",
        r#"policy {"min_charge_interval_seconds": 86400}, last_used_at one hour before now"#;
    804 ATTEMPT_LIMIT_EXCEEDED Partner Deny adjustable partner::attempt_limit_exceeded,
        "A partner-initiated charge has reached the policy's max_attempts per 24 hours or per 30 days, counted by the host in counters or, without counters, from the record's attempts (needs now).",
        r#"policy {"max_attempts": {"per_24h": 10}}, counters {"attempts_24h": 10}"#;
    901 CALLER_NOT_ALLOWED Access Deny fixed access::caller_not_allowed,
        "The policy sets access and the request's caller is absent or not one of its callers.",
        r#"policy {"access": {"billing-renewals": {"scopes": ["payment:customer_not_present"]}}}, caller "checkout-web""#;
    902 CALLER_SCOPE_NOT_ALLOWED Access Deny fixed access::caller_scope_not_allowed,
        "The caller is in the policy's access, a token is sent, and the caller's scopes lack the scope this charge needs.",
        r#"policy {"access": {"checkout-web": {"scopes": ["payment:customer_present"]}}}, caller "checkout-web", a renewal"#;
    903 CALLER_TOKENIZATION_NOT_ALLOWED Access Deny fixed access::caller_tokenization_not_allowed,
        "The caller is in the policy's access and sends request_customer_token, but may not tokenize, or may not use the payment scope it asks for.",
        r#"policy {"access": {"billing-renewals": {"scopes": ["payment:customer_not_present"]}}}, body {"request_customer_token": {...}}"#;
    } };
}
pub(crate) use rule_rows;

rule_rows!(rule_table);

/// The rule with this id.
pub fn by_id(id: u32) -> Option<&'static Rule> {
    RULES.iter().find(|rule| u32::from(rule.id) == id)
}

/// The rule with this code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.code == code)
}

/// Position of a rule in [`RULES`], for per-rule arrays such as severities.
pub fn index_of(rule: &Rule) -> usize {
    RULES.iter().position(|r| r.id == rule.id).expect("rule comes from RULES")
}

/// The rule table as JSON: an array of rule objects (`id`, `code`,
/// `family`, `severity`, `adjustable`, `description`, `example`), one a
/// line, as `ctpolicy rules --format json` prints it and the docs' and
/// bindings' generators read it.
///
/// ```
/// let table = ctpolicy::rules::table_json();
/// assert!(table.starts_with("[\n  {\"id\":101,\"code\":\"TOKEN_MALFORMED\""));
/// assert_eq!(table.lines().count(), ctpolicy::RULES.len() + 2);
/// ```
pub fn table_json() -> String {
    let rows: Vec<RuleRow> = RULES.iter().map(RuleRow::of).collect();
    crate::json::to_string_one_per_line(&rows)
}

/// One rule as `ctpolicy rules --format json` lists it.
#[derive(serde::Serialize)]
struct RuleRow {
    id: u16,
    code: &'static str,
    family: Family,
    severity: Severity,
    adjustable: bool,
    description: &'static str,
    example: &'static str,
}

impl RuleRow {
    fn of(rule: &Rule) -> RuleRow {
        RuleRow {
            id: rule.id,
            code: rule.code,
            family: rule.family,
            severity: rule.default_severity,
            adjustable: rule.adjustable,
            description: rule.description,
            example: rule.example,
        }
    }
}

/// Rules as bits by their position in [`RULES`] (34 rules fit in a u64):
/// the fast paths' answer and the summary's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleSet(pub u64);

impl RuleSet {
    pub(crate) fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }

    /// The rule ids in the set, ascending (`RULES` is in id order), visiting
    /// only the set bits.
    pub fn ids(self) -> impl Iterator<Item = u16> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let index = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(RULES[index].id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_fits_a_rule_set() {
        assert!(RULES.windows(2).all(|pair| pair[0].id < pair[1].id));
        assert!(RULES.len() <= 64, "RuleSet and ctp_verdict hold at most 64 rules");
        for rule in RULES {
            let partner_rule = (800..900).contains(&rule.id);
            assert_eq!(rule.adjustable, rule.default_severity == Severity::Warn || partner_rule, "{}", rule.code);
        }
    }
}
