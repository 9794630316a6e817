"""Writes ../policies.json: loading a partner policy (rules.md section 5)."""
import hashlib
import json
import os

from common import *  # noqa: F401,F403

CASES = []
NAMES = set()


def digest(policy):
    return "sha256:" + hashlib.sha256(
        json.dumps(policy, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def valid(name, policy):
    assert name not in NAMES, name
    NAMES.add(name)
    assert all(ord(c) < 128 for c in json.dumps(policy, ensure_ascii=False))
    CASES.append({"name": name, "policy": policy, "expect": {"digest": digest(policy)}})


def invalid(name, policy=None, text=None, code=None, path=None):
    assert name not in NAMES, name
    NAMES.add(name)
    case = {"name": name}
    if text is not None:
        case["policy_text"] = text
    else:
        case["policy"] = policy
    err = {"status": "INVALID_POLICY"}
    if code:
        err["code"] = code
    if path is not None:
        err["path"] = path
    case["expect"] = {"error": err}
    CASES.append(case)


STRICT = {
    "version": 1,
    "allowed_regions": ["eu1"],
    "allowed_currencies": ["EUR", "SEK"],
    "max_amount": {CNP: {"EUR": 50000}},
    "min_charge_interval_seconds": 86400,
    "max_attempts": {"per_24h": 10, "per_30d": 35},
    "require_token_reference": True,
    "severity": {"IDEMPOTENCY_KEY_MISSING": "deny", "STEP_UP_RECOMMENDED": "off"},
}

assert digest({}) == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
valid("valid/empty-is-default", {})
valid("valid/version-only", {"version": 1})
valid("valid/strict-partner", STRICT)
valid("valid/strict-partner-keys-reordered", dict(reversed(list(STRICT.items()))))
valid("valid/regions", {"allowed_regions": ["eu1", "us1", "ap123"]})
valid("valid/regions-empty-allows-nothing", {"allowed_regions": []})
valid("valid/regions-repeated", {"allowed_regions": ["eu1", "eu1"]})
valid("valid/currencies-empty", {"allowed_currencies": []})
valid("valid/currencies-repeated", {"allowed_currencies": ["SEK", "EUR", "SEK"]})
valid("valid/max-amount-both-scopes", {"max_amount": {CP: {"SEK": 100000, "EUR": 10000}, CNP: {"EUR": 50000}}})
valid("valid/max-amount-empty", {"max_amount": {}})
valid("valid/max-amount-empty-scope", {"max_amount": {CNP: {}}})
valid("valid/max-amount-int32-max", {"max_amount": {CNP: {"USD": 2147483647}}})
valid("valid/interval-one-second", {"min_charge_interval_seconds": 1})
valid("valid/max-attempts-daily-only", {"max_attempts": {"per_24h": 10}})
valid("valid/max-attempts-monthly-only", {"max_attempts": {"per_30d": 15}})
valid("valid/require-reference-false", {"require_token_reference": False})
valid("valid/severity-empty", {"severity": {}})
valid("valid/severity-every-adjustable-rule", {"severity": {
    "UNKNOWN_SCOPE": "deny", "STEP_UP_RECOMMENDED": "warn", "IDEMPOTENCY_KEY_MISSING": "off",
    "CURRENCY_NOT_ALLOWED": "warn", "AMOUNT_LIMIT_EXCEEDED": "off", "CHARGE_TOO_SOON": "warn",
    "ATTEMPT_LIMIT_EXCEEDED": "deny"}})
valid("valid/severity-same-as-default", {"severity": {"IDEMPOTENCY_KEY_MISSING": "warn"}})

# ------------------------------------------------------------------ invalid shapes
invalid("invalid/unknown-field", {"allowed_region": ["eu1"]}, code="UNKNOWN_FIELD", path="/allowed_region")
invalid("invalid/unknown-field-camel-case", {"maxAmount": {}}, code="UNKNOWN_FIELD", path="/maxAmount")
invalid("invalid/version-2", {"version": 2}, code="INVALID_VALUE", path="/version")
invalid("invalid/version-0", {"version": 0}, code="INVALID_VALUE", path="/version")
invalid("invalid/version-string", {"version": "1"}, code="WRONG_TYPE", path="/version")
invalid("invalid/version-fraction", text='{"version":1.0}', path="/version")
invalid("invalid/version-null", {"version": None}, path="/version")
invalid("invalid/regions-null", {"allowed_regions": None}, path="/allowed_regions")
invalid("invalid/regions-a-string", {"allowed_regions": "eu1"}, code="WRONG_TYPE", path="/allowed_regions")
invalid("invalid/regions-number-entry", {"allowed_regions": ["eu1", 1]}, code="WRONG_TYPE")
invalid("invalid/region-uppercase", {"allowed_regions": ["EU1"]}, code="INVALID_VALUE")
invalid("invalid/region-four-digits", {"allowed_regions": ["eu1234"]}, code="INVALID_VALUE")
invalid("invalid/region-no-digits", {"allowed_regions": ["eu"]}, code="INVALID_VALUE")
invalid("invalid/region-empty-string", {"allowed_regions": [""]}, code="INVALID_VALUE")
invalid("invalid/currency-lowercase", {"allowed_currencies": ["eur"]}, code="INVALID_VALUE")
invalid("invalid/currency-four-letters", {"allowed_currencies": ["EURO"]}, code="INVALID_VALUE")
invalid("invalid/currency-numeric", {"allowed_currencies": ["978"]}, code="INVALID_VALUE")
invalid("invalid/currencies-null", {"allowed_currencies": None}, path="/allowed_currencies")
invalid("invalid/max-amount-unknown-scope", {"max_amount": {"payment:customer_presnt": {"EUR": 100}}},
        path="/max_amount/payment:customer_presnt")
invalid("invalid/max-amount-login-scope", {"max_amount": {LOGIN: {"EUR": 100}}}, path="/max_amount/customer:login")
invalid("invalid/max-amount-lowercase-currency", {"max_amount": {CNP: {"eur": 100}}},
        path="/max_amount/payment:customer_not_present/eur")
invalid("invalid/max-amount-zero", {"max_amount": {CNP: {"EUR": 0}}}, code="INVALID_VALUE",
        path="/max_amount/payment:customer_not_present/EUR")
invalid("invalid/max-amount-negative", {"max_amount": {CNP: {"EUR": -100}}}, code="INVALID_VALUE",
        path="/max_amount/payment:customer_not_present/EUR")
invalid("invalid/max-amount-fraction", text='{"max_amount":{"payment:customer_not_present":{"EUR":499.99}}}',
        path="/max_amount/payment:customer_not_present/EUR")
invalid("invalid/max-amount-exponent", text='{"max_amount":{"payment:customer_not_present":{"EUR":5e4}}}',
        path="/max_amount/payment:customer_not_present/EUR")
invalid("invalid/max-amount-string", {"max_amount": {CNP: {"EUR": "50000"}}}, code="WRONG_TYPE",
        path="/max_amount/payment:customer_not_present/EUR")
invalid("invalid/max-amount-null-limit", {"max_amount": {CNP: {"EUR": None}}},
        path="/max_amount/payment:customer_not_present/EUR")
invalid("invalid/max-amount-array", {"max_amount": [{"EUR": 100}]}, code="WRONG_TYPE", path="/max_amount")
invalid("invalid/interval-zero", {"min_charge_interval_seconds": 0}, code="INVALID_VALUE",
        path="/min_charge_interval_seconds")
invalid("invalid/interval-negative", {"min_charge_interval_seconds": -86400}, code="INVALID_VALUE",
        path="/min_charge_interval_seconds")
invalid("invalid/interval-string", {"min_charge_interval_seconds": "1d"}, code="WRONG_TYPE",
        path="/min_charge_interval_seconds")
invalid("invalid/interval-null", {"min_charge_interval_seconds": None}, path="/min_charge_interval_seconds")
invalid("invalid/max-attempts-unknown-key", {"max_attempts": {"per_day": 10}}, code="UNKNOWN_FIELD",
        path="/max_attempts/per_day")
invalid("invalid/max-attempts-zero", {"max_attempts": {"per_24h": 0}}, code="INVALID_VALUE",
        path="/max_attempts/per_24h")
invalid("invalid/max-attempts-over-100", {"max_attempts": {"per_30d": 101}}, code="INVALID_VALUE",
        path="/max_attempts/per_30d")
ACCESS = {"billing-renewals": {"scopes": [CNP]}, "checkout-web": {"scopes": [CP], "tokenize": True},
          "support-console": {"scopes": []}}
invalid("invalid/access-not-an-object", {"access": ["billing-renewals"]}, code="WRONG_TYPE", path="/access")
invalid("invalid/access-entry-not-an-object", {"access": {"billing-renewals": [CNP]}}, code="WRONG_TYPE",
        path="/access/billing-renewals")
invalid("invalid/access-entry-without-scopes", {"access": {"billing-renewals": {"tokenize": False}}},
        code="MISSING_FIELD", path="/access/billing-renewals/scopes")
invalid("invalid/access-entry-unknown-field", {"access": {"billing-renewals": {"scopes": [CNP], "admin": True}}},
        code="UNKNOWN_FIELD", path="/access/billing-renewals/admin")
invalid("invalid/access-scope-not-a-payment-scope", {"access": {"billing-renewals": {"scopes": ["customer:login"]}}},
        code="INVALID_VALUE", path="/access/billing-renewals/scopes/0")
invalid("invalid/access-scope-repeated", {"access": {"billing-renewals": {"scopes": [CNP, CNP]}}},
        code="INVALID_VALUE", path="/access/billing-renewals/scopes")
invalid("invalid/access-tokenize-not-a-boolean", {"access": {"checkout-web": {"scopes": [CP], "tokenize": "yes"}}},
        code="WRONG_TYPE", path="/access/checkout-web/tokenize")
invalid("invalid/access-tokenize-null", {"access": {"checkout-web": {"scopes": [CP], "tokenize": None}}},
        code="WRONG_TYPE", path="/access/checkout-web/tokenize")
invalid("invalid/access-empty-caller-name", {"access": {"": {"scopes": [CNP]}}}, code="INVALID_VALUE",
        path="/access/")
invalid("invalid/access-caller-name-with-a-newline", {"access": {"billing\n": {"scopes": [CNP]}}},
        code="INVALID_VALUE", path="/access/billing\n")
invalid("invalid/access-null", {"access": None}, code="WRONG_TYPE", path="/access")
valid("valid/access", {"access": ACCESS})
valid("valid/access-empty-allows-no-caller", {"access": {}})
valid("valid/access-with-everything", dict(STRICT, access=ACCESS))
valid("valid/max-attempts-at-100", {"max_attempts": {"per_24h": 100, "per_30d": 100}})
invalid("invalid/max-attempts-a-number", {"max_attempts": 10}, code="WRONG_TYPE", path="/max_attempts")
invalid("invalid/require-reference-string", {"require_token_reference": "yes"}, code="WRONG_TYPE",
        path="/require_token_reference")
invalid("invalid/require-reference-null", {"require_token_reference": None}, path="/require_token_reference")
invalid("invalid/severity-not-adjustable", {"severity": {"TOKEN_MALFORMED": "warn"}}, code="RULE_NOT_ADJUSTABLE",
        path="/severity/TOKEN_MALFORMED")
invalid("invalid/severity-scope-mismatch-not-adjustable", {"severity": {"SCOPE_MISMATCH": "off"}},
        code="RULE_NOT_ADJUSTABLE", path="/severity/SCOPE_MISMATCH")
invalid("invalid/severity-record-invalid-not-adjustable", {"severity": {"RECORD_INVALID": "deny"}},
        code="RULE_NOT_ADJUSTABLE", path="/severity/RECORD_INVALID")
invalid("invalid/severity-unknown-code", {"severity": {"IDEMPOTENCY_KEY_MISING": "deny"}}, code="UNKNOWN_RULE",
        path="/severity/IDEMPOTENCY_KEY_MISING")
invalid("invalid/severity-lowercase-code", {"severity": {"idempotency_key_missing": "deny"}},
        code="UNKNOWN_RULE", path="/severity/idempotency_key_missing")
invalid("invalid/severity-bad-value", {"severity": {"IDEMPOTENCY_KEY_MISSING": "error"}}, code="INVALID_VALUE",
        path="/severity/IDEMPOTENCY_KEY_MISSING")
invalid("invalid/severity-uppercase-value", {"severity": {"STEP_UP_RECOMMENDED": "OFF"}}, code="INVALID_VALUE",
        path="/severity/STEP_UP_RECOMMENDED")
invalid("invalid/severity-null-value", {"severity": {"STEP_UP_RECOMMENDED": None}},
        path="/severity/STEP_UP_RECOMMENDED")
invalid("invalid/severity-a-list", {"severity": ["IDEMPOTENCY_KEY_MISSING"]}, code="WRONG_TYPE", path="/severity")
invalid("invalid/duplicate-key", text='{"allowed_regions":["eu1"],"allowed_regions":["us1"]}',
        code="DUPLICATE_KEY", path="/allowed_regions")
invalid("invalid/duplicate-key-in-severity",
        text='{"severity":{"CHARGE_TOO_SOON":"deny","CHARGE_TOO_SOON":"off"}}',
        code="DUPLICATE_KEY", path="/severity/CHARGE_TOO_SOON")
invalid("invalid/duplicate-key-after-unescaping", text='{"version":1,"\\u0076ersion":1}',
        code="DUPLICATE_KEY", path="/version")
invalid("invalid/top-level-array", text='[{"version":1}]', code="WRONG_TYPE")
invalid("invalid/top-level-null", text="null", code="WRONG_TYPE")
invalid("invalid/syntax-error", text='{"version":1,}', code="JSON_SYNTAX")
invalid("invalid/too-deep", text='{"severity":' + '[' * 64 + ']' * 64 + '}', code="TOO_DEEP")


def main():
    doc = {"description": ("Partner policy vectors (rules.md section 5): valid policies with their "
                           "digest, invalid ones with their error. Written by tests/vectors/gen/gen_policies.py."),
           "cases": CASES}
    write_json(os.path.join(VECTORS, "policies.json"), doc)
    print("policies.json: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
