"""Writes ../check.json. Each case's expected codes are written by hand from
rules.md and DECISIONS.md; model.py recomputes them and any disagreement stops
the generator."""
import base64
import json
import os

import model
from fractions import Fraction
from common import *  # noqa: F401,F403

POLICIES = {
    "default": {},
    "strict": {
        "version": 1,
        "allowed_regions": ["eu1"],
        "allowed_currencies": ["EUR", "SEK"],
        "max_amount": {CNP: {"EUR": 50000}},
        "min_charge_interval_seconds": 86400,
        "max_attempts": {"per_24h": 10, "per_30d": 35},
        "require_token_reference": True,
        "severity": {"IDEMPOTENCY_KEY_MISSING": "deny", "STEP_UP_RECOMMENDED": "off"},
    },
    "regions-eu": {"allowed_regions": ["eu1", "eu2"]},
    "regions-none": {"allowed_regions": []},
    "currencies": {"allowed_currencies": ["EUR", "SEK"]},
    "max-amount": {"max_amount": {CNP: {"EUR": 50000}, CP: {"SEK": 100000}}},
    "interval": {"min_charge_interval_seconds": 86400},
    "attempts": {"max_attempts": {"per_24h": 10, "per_30d": 35}},
    "attempts-30d": {"max_attempts": {"per_30d": 15}},
    "interval-attempts": {"min_charge_interval_seconds": 3600, "max_attempts": {"per_24h": 3}},
    "require-reference": {"require_token_reference": True},
    "severity-deny": {"severity": {"IDEMPOTENCY_KEY_MISSING": "deny",
                                   "STEP_UP_RECOMMENDED": "deny", "UNKNOWN_SCOPE": "deny"}},
    "severity-off": {"severity": {"IDEMPOTENCY_KEY_MISSING": "off",
                                  "STEP_UP_RECOMMENDED": "off", "UNKNOWN_SCOPE": "off"}},
    "limits-warn": {"allowed_currencies": ["EUR"], "max_amount": {CNP: {"EUR": 50000}},
                    "severity": {"CURRENCY_NOT_ALLOWED": "warn", "AMOUNT_LIMIT_EXCEEDED": "warn"}},
    "limits-off": {"allowed_currencies": ["EUR"], "max_amount": {CNP: {"EUR": 50000}},
                   "severity": {"CURRENCY_NOT_ALLOWED": "off", "AMOUNT_LIMIT_EXCEEDED": "off"}},
    "time-rules-off": {"min_charge_interval_seconds": 86400,
                       "max_attempts": {"per_24h": 10, "per_30d": 35},
                       "severity": {"CHARGE_TOO_SOON": "off", "ATTEMPT_LIMIT_EXCEEDED": "off"}},
    "attempts-small": {"max_attempts": {"per_24h": 2, "per_30d": 3}},
    "access": {
        "access": {
            "billing-renewals": {"scopes": [CNP]},
            "checkout-web": {"scopes": [CP], "tokenize": True},
            "support-console": {"scopes": []},
            "signup-service": {"scopes": [CNP], "tokenize": True},
        },
    },
    "access-empty": {"access": {}},
    "access-attempts": {"max_attempts": {"per_24h": 2},
                        "access": {"billing-renewals": {"scopes": [CNP]}}},
    "time-rules-warn": {"min_charge_interval_seconds": 86400,
                        "max_attempts": {"per_24h": 10},
                        "severity": {"CHARGE_TOO_SOON": "warn", "ATTEMPT_LIMIT_EXCEEDED": "warn"}},
}

CASES = []
NAMES = set()


def C(name, req=None, text=None, b64=None, deny=(), warn=(), policy=None,
      paths=None, details=None, error=None, token=True):
    assert name not in NAMES, name
    NAMES.add(name)
    assert sum(x is not None for x in (req, text, b64)) == 1, name
    case = {"name": name}
    if policy:
        assert policy in POLICIES, policy
        case["policy"] = policy
    if req is not None:
        case["request"] = req
    elif text is not None:
        case["request_text"] = text
    else:
        case["request_base64"] = base64.b64encode(b64).decode()
    pol = POLICIES[policy or "default"]
    if error is not None:
        if req is not None and error.get("status") == "INVALID_REQUEST":
            got = model.evaluate(req, pol)
            assert "error" in got, (name, got)
            if "code" in error:
                assert got["error"][0] == error["code"], (name, got)
            if "path" in error:
                assert got["error"][1] == error["path"], (name, got)
        case["expect"] = {"error": error}
        CASES.append(case)
        return
    if req is None:
        req_v = model.loads_exact(text)
    else:
        req_v = req
        # the value form must survive a round trip unchanged
        assert json.loads(json.dumps(req_v)) == req_v, name
    got = model.evaluate(req_v, pol)
    assert "error" not in got, (name, got)
    gd = [v[0] for v in got["violations"]]
    gw = [w[0] for w in got["warnings"]]
    assert list(deny) == gd and list(warn) == gw, (name, "hand", deny, warn, "model", gd, gw)
    paths = paths or {}
    details = details or {}
    for i, p in paths.items():
        m = [h for h in got["violations"] + got["warnings"] if h[0] == i]
        assert m and m[0][1] == p, (name, i, p, m)
    for i in gd + gw:
        if i in (101, 204):
            assert i in details, (name, "give the detail of", i)
    for i, d in details.items():
        m = [h for h in got["violations"] + got["warnings"] if h[0] == i]
        assert m and m[0][2] == d, (name, i, d, m)

    def entry(h):
        i, path, detail, sev = h
        e = {"id": i, "code": model.CODE[i], "severity": sev}
        if i != 204 or i in paths:
            e["path"] = path
        if i in (101, 204):
            e["detail"] = detail
        return e

    exp = {
        "decision": "DENY" if gd else "ALLOW",
        "required_scope": got["required_scope"],
        "violations": [entry(h) for h in got["violations"]],
        "warnings": [entry(h) for h in got["warnings"]],
    }
    if token:
        exp["token"] = got["token"]
    exp["decision_id"] = req_v.get("decision_id")
    case["expect"] = exp
    CASES.append(case)


def hdr_case(value, rec_token=None):
    """A renewal whose header holds value and whose record stores the same
    string, so only the header's own format is under test."""
    return mod(renewal(), {"headers/" + HDR: value,
                           "token_record/customer_token": value if rec_token is None else rec_token})


def E(status="INVALID_REQUEST", **kw):
    d = {"status": status}
    d.update(kw)
    return d


# ====================================================================== realistic, clean
C("renewal/network-token-allows", renewal())
C("renewal/identity-token-allows", mod(renewal(TOK_ID), {"body/currency": "USD"}))
C("renewal/identity-test-environment-allows", renewal(TOK_ID_TEST))
C("renewal/with-decision-id", mod(renewal(), {"decision_id": "dec_2024-06-15_sub_8842"}))
C("renewal/without-supplementary-data-allows",
  mod(renewal(), {"body/supplementary_purchase_data": DEL}))
C("one-click/with-step-up-config-allows", oneclick())
C("one-click/lowercase-header-names-allow",
  mod(oneclick(), {"headers": {"klarna-customer-token": TOK_CP, "klarna-idempotency-key": "order-30291-attempt-1"}}))
C("one-click/uppercase-header-names-allow",
  mod(oneclick(), {"headers": {"KLARNA-CUSTOMER-TOKEN": TOK_CP, "KLARNA-IDEMPOTENCY-KEY": "order-30291-attempt-1"}}))
C("signup/subscription-token-with-first-payment", signup())
C("signup/subscription-token-without-payment", mod(signup(), {"body/request_payment_transaction": DEL}))
C("signup/ondemand-token", signup_ondemand())
C("purchase/guest-checkout-without-token", guest())
C("purchase/guest-with-null-token-record", mod(guest(), {"token_record": None, "headers/" + HDR: None}))
C("purchase/headers-null-means-no-headers", mod(guest(), {"headers": None}), warn=[701])
C("purchase/headers-absent", mod(guest(), {"headers": DEL}), warn=[701])

# ====================================================================== 101 token malformed (via the header)
C("token/header-empty", hdr_case(""), deny=[101], details={101: "EMPTY"},
  paths={101: "/headers/Klarna-Customer-Token"})
C("token/header-1025-bytes-too-long", hdr_case("krn:customer-token:eu1:" + "a" * 1002),
  deny=[101], details={101: "TOO_LONG"})
C("token/header-1024-bytes-passes-length-then-bad-id", hdr_case("krn:customer-token:eu1:" + "a" * 1001),
  deny=[101], details={101: "BAD_ID"})
C("token/header-1025-bytes-with-space-is-too-long-first",
  hdr_case("krn:customer-token:eu1:" + "a" * 1000 + " b"), deny=[101], details={101: "TOO_LONG"})
C("token/header-trailing-newline", hdr_case(TOK + "\n"), deny=[101], details={101: "INVALID_CHARACTER"})
C("token/header-trailing-crlf", hdr_case(TOK + "\r\n"), deny=[101], details={101: "INVALID_CHARACTER"})
C("token/header-trailing-space", hdr_case(TOK + " "), deny=[101], details={101: "INVALID_CHARACTER"})
C("token/header-leading-space", hdr_case(" " + TOK), deny=[101], details={101: "INVALID_CHARACTER"})
C("token/header-non-ascii-letter", hdr_case("krn:customer-token:eu1:caf\u00e9-4711"), deny=[101],
  details={101: "INVALID_CHARACTER"})
C("token/header-nul-byte", hdr_case("krn:customer-token:eu1:abc\u0000def"), deny=[101],
  details={101: "INVALID_CHARACTER"})
C("token/header-not-a-krn", hdr_case("a1b2c3d4-e5f6-7890-abcd-ef1234567890"), deny=[101],
  details={101: "NOT_A_KRN"})
C("token/header-uppercase-krn-prefix", hdr_case("KRN:customer-token:eu1:a1b2c3d4"), deny=[101],
  details={101: "NOT_A_KRN"})
C("token/header-bearer-prefix-is-invalid-character", hdr_case("Bearer " + TOK), deny=[101],
  details={101: "INVALID_CHARACTER"})
C("token/header-five-segments", hdr_case(TOK + ":extra"), deny=[101], details={101: "BAD_STRUCTURE"})
C("token/header-identity-env-prod", hdr_case("krn:partner:us1:prod:identity:customer-token:vVQGmYzl"),
  deny=[101], details={101: "BAD_STRUCTURE"})
C("token/header-uppercase-region", hdr_case("krn:customer-token:EU1:a1b2c3d4"), deny=[101],
  details={101: "BAD_REGION"})
C("token/header-region-four-digits", hdr_case("krn:customer-token:eu1234:a1b2c3d4"), deny=[101],
  details={101: "BAD_REGION"})
C("token/header-id-with-plus", hdr_case("krn:customer-token:eu1:a1b2+c3d4"), deny=[101],
  details={101: "BAD_ID"})
C("token/header-empty-id", hdr_case("krn:customer-token:eu1:"), deny=[101], details={101: "BAD_ID"})
C("token/header-id-255-characters-ok", hdr_case("krn:customer-token:eu1:" + "x" * 255))
C("token/header-id-256-characters", hdr_case("krn:customer-token:eu1:" + "x" * 256), deny=[101],
  details={101: "BAD_ID"})
C("token/header-region-three-digits-ok", hdr_case("krn:customer-token:ap123:a1b2c3d4"))
C("token/malformed-lowercase-header-name-path",
  mod(renewal(), {"headers": {"klarna-customer-token": "krn:customer-token:eu1:", IDEM: "k-1"},
                  "token_record/customer_token": "krn:customer-token:eu1:"}),
  deny=[101], details={101: "BAD_ID"}, paths={101: "/headers/klarna-customer-token"})
C("token/malformed-and-record-differs", mod(renewal(), {"headers/" + HDR: TOK + "\n"}),
  deny=[101, 202], details={101: "INVALID_CHARACTER"})

# ====================================================================== 102 wrong type
C("token/session-token-in-customer-token-header", hdr_case(SESSION), deny=[102],
  paths={102: "/headers/Klarna-Customer-Token"})
C("token/transaction-id-in-customer-token-header", hdr_case(TXN), deny=[102])
C("token/bare-krn-prefix-is-wrong-type", hdr_case("krn:"), deny=[102])
C("token/session-token-on-one-click-without-record",
  mod(oneclick(), {"headers/" + HDR: SESSION, "token_record": DEL}), deny=[102, 201])
C("token/underscore-customer-token-segment-is-wrong-type",
  hdr_case("krn:customer_token:eu1:a1b2c3d4"), deny=[102])

# ====================================================================== 103 region
C("region/us-token-not-in-allowed-regions", mod(renewal(TOK_US), {"body/currency": "USD"}),
  policy="regions-eu", deny=[103], paths={103: "/headers/Klarna-Customer-Token"})
C("region/identity-us1-not-allowed", mod(renewal(TOK_ID), {"body/currency": "USD"}),
  policy="regions-eu", deny=[103])
C("region/eu1-allowed", renewal(), policy="regions-eu")
C("region/empty-allowed-regions-allow-nothing", renewal(), policy="regions-none", deny=[103])
C("region/malformed-token-is-not-region-checked", hdr_case("krn:customer-token:us1:"),
  policy="regions-eu", deny=[101], details={101: "BAD_ID"})
C("region/wrong-type-is-not-region-checked", hdr_case(SESSION), policy="regions-none", deny=[102])
C("region/no-header-nothing-to-check", guest(), policy="regions-none")

# ====================================================================== 104 / 105 header missing
C("header/record-without-header-on-renewal",
  mod(renewal(), {"headers/" + HDR: DEL}), deny=[104, 105],
  paths={104: "/headers/Klarna-Customer-Token", 105: "/headers/Klarna-Customer-Token"})
C("header/record-without-header-on-purchase",
  mod(guest(), {"token_record": oneclick_record()}), deny=[104])
C("header/null-header-value-means-absent",
  mod(renewal(), {"headers/" + HDR: None}), deny=[104, 105])
C("header/not-present-charge-without-any-token",
  mod(renewal(), {"headers/" + HDR: DEL, "token_record": DEL}), deny=[105])
C("header/present-purchase-without-token-is-fine", guest())
C("header/empty-header-counts-as-present", mod(oneclick(), {"headers/" + HDR: "", "token_record": DEL}),
  deny=[101, 201], details={101: "EMPTY"})

# ====================================================================== 201 / 202 / 203
C("record/header-without-record", mod(renewal(), {"token_record": DEL}), deny=[201],
  paths={201: "/token_record"})
C("record/header-with-null-record", mod(oneclick(), {"token_record": None}), deny=[201])
C("record/token-differs-from-header",
  mod(renewal(), {"token_record/customer_token": "krn:customer-token:eu1:b2c3d4e5-f6a7-8901-bcde-f12345678901"}),
  deny=[202], paths={202: "/token_record/customer_token"})
C("record/token-differs-only-in-case",
  mod(renewal(), {"token_record/customer_token": TOK.upper().replace("KRN:CUSTOMER-TOKEN:EU1", "krn:customer-token:eu1")}),
  deny=[202])
C("record/token-differs-by-identity-environment",
  mod(renewal(TOK_ID), {"token_record/customer_token": TOK_ID.replace(":live:", ":test:"), "body/currency": "USD"}),
  deny=[202])
C("record/token-equal-no-mismatch", renewal())
C("record/non-string-token-is-invalid-not-mismatch",
  mod(renewal(), {"token_record/customer_token": 42}), deny=[204], details={204: "FIELD"},
  paths={204: "/token_record/customer_token"})
C("record/revoked-token", mod(renewal(), {"token_record/state": "REVOKED",
                                          "token_record/revoked_at": "2024-05-20T08:00:00Z",
                                          "token_record/revoked_by": "CUSTOMER"}),
  deny=[203], paths={203: "/token_record/state"})
C("record/revoked-by-klarna-on-one-click",
  mod(oneclick(), {"token_record/state": "REVOKED", "token_record/revoked_by": "KLARNA"}), deny=[203])
C("record/revoked-and-token-differs",
  mod(renewal(), {"token_record/state": "REVOKED", "token_record/customer_token": TOK_CP}),
  deny=[202, 203])
C("record/revoked-without-header", mod(guest(), {"token_record": mod(oneclick_record(), {"state": "REVOKED"})}),
  deny=[104, 203])
C("record/revoked-but-invalid-is-only-invalid",
  mod(renewal(), {"token_record/state": "REVOKED", "token_record/revoked_at": "2024-05-20"}),
  deny=[204], details={204: "TIMESTAMP"}, paths={204: "/token_record/revoked_at"})
C("record/mismatch-beside-invalid-record",
  mod(renewal(), {"token_record/customer_token": TOK_CP, "token_record/state": "PAUSED"}),
  deny=[202, 204], details={204: "STATE"})

# ====================================================================== 204 record details
R = "token_record/"
C("record/field-customer-token-missing", mod(renewal(), {R + "customer_token": DEL}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/customer_token"})
C("record/field-customer-token-null", mod(renewal(), {R + "customer_token": None}),
  deny=[204], details={204: "FIELD"})
C("record/field-scopes-missing", mod(renewal(), {R + "scopes": DEL}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/scopes"})
C("record/field-scopes-is-a-string", mod(renewal(), {R + "scopes": CNP}),
  deny=[204], details={204: "FIELD"})
C("record/field-null-inside-scopes", mod(renewal(), {R + "scopes": [CNP, None]}),
  deny=[204], details={204: "FIELD"})
C("record/field-number-inside-scopes", mod(renewal(), {R + "scopes": [CNP, 1]}),
  deny=[204], details={204: "FIELD"})
C("record/field-state-missing", mod(renewal(), {R + "state": DEL}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/state"})
C("record/field-state-not-a-string", mod(renewal(), {R + "state": True}),
  deny=[204], details={204: "FIELD"})
C("record/field-reference-256-characters",
  mod(renewal(), {R + "customer_token_reference": "\u00e9" * 256}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/customer_token_reference"})
C("record/reference-255-multibyte-characters-ok",
  mod(renewal(), {R + "customer_token_reference": "\u00e9" * 255}))
C("record/field-reference-not-a-string", mod(renewal(), {R + "customer_token_reference": 8842}),
  deny=[204], details={204: "FIELD"})
C("record/field-created-at-not-a-string", mod(renewal(), {R + "created_at": 1705311000}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/created_at"})
C("record/field-revoked-by-unknown", mod(renewal(), {R + "revoked_by": "ADMIN"}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/revoked_by"})
C("record/field-revoked-by-lowercase", mod(renewal(), {R + "revoked_by": "customer"}),
  deny=[204], details={204: "FIELD"})
C("record/field-customer-id-number", mod(renewal(), {R + "customer_id": 8842}),
  deny=[204], details={204: "FIELD"}, paths={204: "/token_record/customer_id"})
C("record/field-subscription-id-object", mod(renewal(), {R + "subscription_id": {"id": "sub_8842"}}),
  deny=[204], details={204: "FIELD"})
C("record/optional-fields-null-are-absent",
  mod(renewal(), {R + "customer_token_reference": None, R + "last_used_at": None, R + "revoked_at": None,
                  R + "revoked_by": None, R + "customer_id": None, R + "subscription_id": None,
                  R + "created_at": None}))
C("record/unknown-fields-are-allowed",
  mod(renewal(), {R + "klarna_customer_id": "kc_1", R + "notes": {"migrated": True}}))
C("record/state-lowercase-active", mod(renewal(), {R + "state": "active"}),
  deny=[204], details={204: "STATE"}, paths={204: "/token_record/state"})
C("record/state-expired", mod(renewal(), {R + "state": "EXPIRED"}), deny=[204], details={204: "STATE"})
C("record/scopes-empty", mod(renewal(), {R + "scopes": []}),
  deny=[204], details={204: "SCOPES"}, paths={204: "/token_record/scopes"})
C("record/scopes-duplicate", mod(renewal(), {R + "scopes": [CNP, CNP]}), deny=[204], details={204: "SCOPES"})
C("record/scopes-both-payment-scopes", mod(renewal(), {R + "scopes": [CNP, CP]}),
  deny=[204], details={204: "SCOPES"})
C("record/scopes-login-only", mod(renewal(), {R + "scopes": [LOGIN]}), deny=[204], details={204: "SCOPES"})
C("record/timestamp-space-instead-of-t", mod(renewal(), {R + "last_used_at": "2024-05-15 09:30:12Z"}),
  deny=[204], details={204: "TIMESTAMP"}, paths={204: "/token_record/last_used_at"})
C("record/timestamp-not-a-leap-year", mod(renewal(), {R + "created_at": "2023-02-29T10:00:00Z"}),
  deny=[204], details={204: "TIMESTAMP"}, paths={204: "/token_record/created_at"})
C("record/timestamp-leap-second", mod(renewal(), {R + "last_used_at": "2016-12-31T23:59:60Z"}),
  deny=[204], details={204: "TIMESTAMP"})
C("record/timestamp-year-zero", mod(renewal(), {R + "created_at": "0000-01-01T00:00:00Z"}),
  deny=[204], details={204: "TIMESTAMP"})
C("record/timestamp-hour-24", mod(renewal(), {R + "last_used_at": "2024-05-15T24:00:00Z"}),
  deny=[204], details={204: "TIMESTAMP"})
C("record/timestamp-missing-offset", mod(renewal(), {R + "last_used_at": "2024-05-15T09:30:12"}),
  deny=[204], details={204: "TIMESTAMP"})
C("record/timestamp-lowercase-t-and-z-ok", mod(renewal(), {R + "last_used_at": "2024-05-15t09:30:12.481z"}))
C("record/timestamp-leap-day-and-long-fraction-ok",
  mod(renewal(), {R + "created_at": "2024-02-29T23:59:59.123456789012+05:30"}))
C("record/precedence-field-before-state", mod(renewal(), {R + "customer_token": DEL, R + "state": "active"}),
  deny=[204], details={204: "FIELD"})
C("record/precedence-state-before-scopes", mod(renewal(), {R + "state": "GONE", R + "scopes": []}),
  deny=[204], details={204: "STATE"})
C("record/precedence-scopes-before-timestamp",
  mod(renewal(), {R + "scopes": [CP, CNP], R + "created_at": "yesterday"}),
  deny=[204], details={204: "SCOPES"})
C("record/precedence-field-before-timestamp",
  mod(renewal(), {R + "revoked_by": "BANK", R + "last_used_at": "2024-13-01T00:00:00Z"}),
  deny=[204], details={204: "FIELD"})
C("record/invalid-record-without-header", mod(guest(), {"token_record": {"scopes": [CP]}}),
  deny=[104, 204], details={204: "FIELD"})

# ====================================================================== 205 unknown scope
C("scope/unknown-scope-warns-only", mod(renewal(), {R + "scopes": [CNP, "payment:recurring"]}),
  warn=[205], paths={205: "/token_record/scopes/1"})
C("scope/unknown-scope-after-login", mod(oneclick(), {R + "scopes": [LOGIN, CP, "profile:read", "x"]}),
  warn=[205], paths={205: "/token_record/scopes/2"})
C("scope/unknown-scope-beside-record-invalid", mod(renewal(), {R + "scopes": ["payment:recurring"]}),
  deny=[204], warn=[205], details={204: "SCOPES"}, paths={205: "/token_record/scopes/0"})
C("scope/unknown-scope-beside-field-fault", mod(renewal(), {R + "scopes": [CNP, 7, "payment:later"]}),
  deny=[204], warn=[205], details={204: "FIELD"}, paths={205: "/token_record/scopes/2"})
C("scope/unknown-scope-beside-duplicate", mod(renewal(), {R + "scopes": [CNP, "beta", "beta"]}),
  deny=[204], warn=[205], details={204: "SCOPES"}, paths={205: "/token_record/scopes/1"})
C("scope/known-scopes-only-no-warning", mod(renewal(), {R + "scopes": [LOGIN, CNP]}))
C("scope/unknown-scope-severity-deny", mod(renewal(), {R + "scopes": [CNP, "payment:recurring"]}),
  policy="severity-deny", deny=[205], paths={205: "/token_record/scopes/1"})
C("scope/unknown-scope-severity-off", mod(renewal(), {R + "scopes": [CNP, "payment:recurring"]}),
  policy="severity-off")
C("scope/scopes-compare-case-sensitively", mod(renewal(), {R + "scopes": [CNP, "Customer:Login"]}),
  warn=[205], paths={205: "/token_record/scopes/1"})

# ====================================================================== 301 scope mismatch
C("scope/present-token-used-on-renewal", mod(renewal(), {R + "scopes": [CP]}),
  deny=[301], paths={301: "/token_record/scopes"})
C("scope/not-present-token-used-on-session", mod(oneclick(), {R + "scopes": [CNP]}), deny=[301])
C("scope/login-and-present-token-on-one-click-ok", oneclick())
C("scope/mismatch-beside-token-mismatch", mod(renewal(), {R + "scopes": [CP], R + "customer_token": TOK_CP}),
  deny=[202, 301])
C("scope/mismatch-beside-revoked", mod(renewal(), {R + "scopes": [CP], R + "state": "REVOKED"}),
  deny=[203, 301])
C("scope/no-mismatch-without-header", mod(guest(), {"token_record": renewal_record()}), deny=[104])
C("scope/no-mismatch-on-invalid-record", mod(renewal(), {R + "scopes": [CP], R + "state": "active"}),
  deny=[204], details={204: "STATE"})

# ====================================================================== 401 / 402 / 403 step-up
C("step-up/not-present-with-step-up-config", mod(renewal(), {"body/step_up_config": STEP_UP}),
  deny=[401], paths={401: "/body/step_up_config"})
C("step-up/not-present-with-empty-step-up-config", mod(renewal(), {"body/step_up_config": {}}),
  deny=[401])
C("step-up/not-present-null-step-up-config-is-absent", mod(renewal(), {"body/step_up_config": None}))
C("step-up/not-present-invalid-step-up-config", mod(renewal(), {"body/step_up_config": "HANDOVER"}),
  deny=[401, 403], paths={403: "/body/step_up_config"})
C("step-up/present-without-step-up-config-warns", mod(oneclick(), {"body/step_up_config": DEL}),
  warn=[402], paths={402: "/body/step_up_config"})
C("step-up/present-null-step-up-config-warns", mod(oneclick(), {"body/step_up_config": None}), warn=[402])
C("step-up/present-without-header-no-recommendation", mod(guest(), {}))
C("step-up/recommendation-severity-deny", mod(oneclick(), {"body/step_up_config": DEL}),
  policy="severity-deny", deny=[402])
C("step-up/recommendation-severity-off", mod(oneclick(), {"body/step_up_config": DEL}),
  policy="severity-off")
C("step-up/config-not-an-object", mod(oneclick(), {"body/step_up_config": ["HANDOVER"]}),
  deny=[403], paths={403: "/body/step_up_config"})
C("step-up/interaction-config-not-an-object",
  mod(oneclick(), {"body/step_up_config/customer_interaction_config": "HANDOVER"}),
  deny=[403], paths={403: "/body/step_up_config/customer_interaction_config"})
C("step-up/return-url-http", mod(oneclick(), {"body/step_up_config/customer_interaction_config/return_url":
                                             "http://shop.example.com/klarna/return"}),
  deny=[403], paths={403: "/body/step_up_config/customer_interaction_config/return_url"})
C("step-up/return-url-uppercase-scheme", mod(oneclick(), {"body/step_up_config/customer_interaction_config/return_url":
                                                         "HTTPS://shop.example.com/klarna/return"}),
  deny=[403])
C("step-up/return-url-not-a-string", mod(oneclick(), {"body/step_up_config/customer_interaction_config/return_url":
                                                     {"url": "https://shop.example.com"}}), deny=[403])
C("step-up/return-url-absent-ok", mod(oneclick(), {"body/step_up_config/customer_interaction_config/return_url": DEL}))
C("step-up/app-return-url-not-checked",
  mod(oneclick(), {"body/step_up_config/customer_interaction_config/app_return_url": "http://insecure"}))
C("step-up/interaction-config-null-is-absent",
  mod(oneclick(), {"body/step_up_config/customer_interaction_config": None}))

# ====================================================================== 5xx tokenization
B = "body/"
RCT = "body/request_customer_token"
C("tokenize/customer-not-present", mod(signup(), {"customer_present": False, B + "step_up_config": DEL}),
  deny=[105, 501, 502], paths={501: "/body/request_customer_token", 502: "/body/step_up_config"})
C("tokenize/customer-not-present-with-step-up",
  mod(signup(), {"customer_present": False}), deny=[105, 401, 501])
C("tokenize/without-step-up-config", mod(signup(), {B + "step_up_config": DEL}), deny=[502],
  paths={502: "/body/step_up_config"})
C("tokenize/invalid-step-up-config-is-not-missing", mod(signup(), {B + "step_up_config": 1}),
  deny=[403])
C("tokenize/request-not-an-object", mod(signup(), {RCT: [CNP]}), deny=[503],
  paths={503: "/body/request_customer_token"})
C("tokenize/scopes-absent", mod(signup(), {RCT + "/scopes": DEL}), deny=[503],
  paths={503: "/body/request_customer_token/scopes"})
C("tokenize/scopes-empty", mod(signup(), {RCT + "/scopes": []}), deny=[503])
C("tokenize/scopes-duplicate", mod(signup(), {RCT + "/scopes": [CNP, CNP]}), deny=[503])
C("tokenize/scopes-unknown-value", mod(signup(), {RCT + "/scopes": [CNP, "payment:recurring"]}), deny=[503])
C("tokenize/scopes-both-payment-scopes", mod(signup(), {RCT + "/scopes": [CNP, CP]}), deny=[503])
C("tokenize/scopes-login-only", mod(signup(), {RCT + "/scopes": [LOGIN]}), deny=[503])
C("tokenize/scopes-not-strings", mod(signup(), {RCT + "/scopes": [CNP, None]}), deny=[503])
C("tokenize/scopes-a-string", mod(signup(), {RCT + "/scopes": CNP}), deny=[503])
C("tokenize/with-token-header", mod(oneclick(), {RCT: {"scopes": [CP]},
                                                 B + "supplementary_purchase_data": {"ondemand_service": ONDEMAND}}),
  deny=[504], paths={504: "/body/request_customer_token"})
C("tokenize/with-token-header-and-no-payment",
  mod(oneclick(), {RCT: {"scopes": [CP]}, B + "request_payment_transaction": DEL,
                   B + "supplementary_purchase_data": {"ondemand_service": ONDEMAND}}),
  deny=[504, 604])
C("tokenize/subscriptions-missing", mod(signup(), {B + "supplementary_purchase_data": DEL}), deny=[505],
  paths={505: "/body/supplementary_purchase_data/subscriptions"})
C("tokenize/subscriptions-empty", mod(signup(), {B + "supplementary_purchase_data/subscriptions": []}),
  deny=[505])
C("tokenize/subscriptions-not-an-array",
  mod(signup(), {B + "supplementary_purchase_data/subscriptions": SUBSCRIPTIONS[0]}), deny=[505])
C("tokenize/supplementary-data-not-an-object",
  mod(signup(), {B + "supplementary_purchase_data": [SUBSCRIPTIONS[0]]}), deny=[505])
C("tokenize/subscriptions-not-checked-when-scopes-invalid",
  mod(signup(), {RCT + "/scopes": [], B + "supplementary_purchase_data": DEL}), deny=[503])
C("tokenize/ondemand-service-missing", mod(signup_ondemand(), {B + "supplementary_purchase_data": {}}),
  deny=[506], paths={506: "/body/supplementary_purchase_data/ondemand_service"})
C("tokenize/ondemand-service-an-array",
  mod(signup_ondemand(), {B + "supplementary_purchase_data/ondemand_service": [ONDEMAND]}), deny=[506])
C("tokenize/ondemand-service-empty-object-ok",
  mod(signup_ondemand(), {B + "supplementary_purchase_data/ondemand_service": {}}))
C("tokenize/ondemand-token-does-not-need-subscriptions",
  mod(signup_ondemand(), {B + "supplementary_purchase_data/subscriptions": []}))
C("tokenize/reference-empty", mod(signup(), {RCT + "/customer_token_reference": ""}), deny=[507],
  paths={507: "/body/request_customer_token/customer_token_reference"})
C("tokenize/reference-256-characters", mod(signup(), {RCT + "/customer_token_reference": "r" * 256}),
  deny=[507])
C("tokenize/reference-255-multibyte-characters-ok",
  mod(signup(), {RCT + "/customer_token_reference": "\u20ac" * 255}))
C("tokenize/reference-with-newline", mod(signup(), {RCT + "/customer_token_reference": "cust_9917\n"}),
  deny=[507])
C("tokenize/reference-with-c1-control", mod(signup(), {RCT + "/customer_token_reference": "cust\u0085_9917"}),
  deny=[507])
C("tokenize/reference-not-a-string", mod(signup(), {RCT + "/customer_token_reference": 9917}), deny=[507])
C("tokenize/reference-null-is-absent", mod(signup(), {RCT + "/customer_token_reference": None}))
C("tokenize/reference-required-by-policy", mod(signup(), {RCT + "/customer_token_reference": DEL}),
  policy="require-reference", deny=[508],
  paths={508: "/body/request_customer_token/customer_token_reference"})
C("tokenize/reference-required-and-given", signup(), policy="require-reference")
C("tokenize/reference-required-but-invalid-is-507-only",
  mod(signup(), {RCT + "/customer_token_reference": ""}), policy="require-reference", deny=[507])
C("tokenize/reference-required-request-not-an-object", mod(signup(), {RCT: "yes"}),
  policy="require-reference", deny=[503, 508], paths={508: "/body/request_customer_token"})
C("tokenize/reference-required-without-tokenization", guest(), policy="require-reference")
C("tokenize/reference-not-required-by-default", mod(signup(), {RCT + "/customer_token_reference": DEL}))

# ====================================================================== 6xx transaction
RPT = "body/request_payment_transaction"
C("currency/absent", mod(renewal(), {B + "currency": DEL}), deny=[601], paths={601: "/body/currency"})
C("currency/null", mod(renewal(), {B + "currency": None}), deny=[601])
C("currency/four-letters", mod(renewal(), {B + "currency": "EURO"}), deny=[601])
C("currency/digit", mod(renewal(), {B + "currency": "E1R"}), deny=[601])
C("currency/numeric-code", mod(renewal(), {B + "currency": 978}), deny=[601])
C("currency/non-ascii-letter", mod(renewal(), {B + "currency": "\u00c9UR"}), deny=[601])
C("currency/lowercase-is-valid", mod(renewal(), {B + "currency": "eur"}))
C("currency/absent-on-tokenization-too", mod(signup(), {B + "currency": DEL}), deny=[601])
C("amount/absent", mod(renewal(), {RPT + "/amount": DEL}), deny=[602],
  paths={602: "/body/request_payment_transaction/amount"})
C("amount/null", mod(renewal(), {RPT + "/amount": None}), deny=[602])
C("amount/string", mod(renewal(), {RPT + "/amount": "1299"}), deny=[602])
C("amount/boolean", mod(renewal(), {RPT + "/amount": True}), deny=[602])
C("amount/zero", mod(renewal(), {RPT + "/amount": 0}), deny=[602])
C("amount/negative", mod(renewal(), {RPT + "/amount": -1299}), deny=[602])
C("amount/one-ok", mod(renewal(), {RPT + "/amount": 1}))
C("amount/max-int32-ok", mod(renewal(), {RPT + "/amount": 2147483647}))
C("amount/above-max-int32", mod(renewal(), {RPT + "/amount": 2147483648}), deny=[602])
C("amount/max-int64", mod(renewal(), {RPT + "/amount": 9223372036854775807}), deny=[602])

RENEWAL_TEXT = ('{"customer_present":false,"headers":{"Klarna-Customer-Token":"%s",'
                '"Klarna-Idempotency-Key":"renewal-sub_8842-2024-06"},'
                '"body":{"currency":"EUR","request_payment_transaction":{"amount":%%s,'
                '"payment_transaction_reference":"sub_8842-2024-06"}},'
                '"token_record":{"customer_token":"%s","scopes":["payment:customer_not_present"],'
                '"state":"ACTIVE"}}' % (TOK, TOK))
C("amount/fraction-zero-is-not-integer", text=RENEWAL_TEXT % "100.0", deny=[602],
  paths={602: "/body/request_payment_transaction/amount"})
C("amount/exponent-is-not-integer", text=RENEWAL_TEXT % "1e2", deny=[602])
C("amount/negative-zero-is-not-integer", text=RENEWAL_TEXT % "-0", deny=[602])
C("amount/decimal-price", text=RENEWAL_TEXT % "49.99", deny=[602])
C("amount/beyond-int64", text=RENEWAL_TEXT % "9223372036854775808", deny=[602])
C("amount/below-int64", text=RENEWAL_TEXT % "-9223372036854775809", deny=[602])
C("amount/plain-integer-text-ok", text=RENEWAL_TEXT % "100")
C("amount/beyond-double-is-not-json", text=RENEWAL_TEXT % "1e400", error=E(code="JSON_SYNTAX"))

C("transaction/not-an-object", mod(renewal(), {RPT: "1299 EUR"}), deny=[603],
  paths={603: "/body/request_payment_transaction"})
C("transaction/array", mod(renewal(), {RPT: [1299]}), deny=[603])
C("transaction/reference-empty", mod(renewal(), {RPT + "/payment_transaction_reference": ""}), deny=[603],
  paths={603: "/body/request_payment_transaction/payment_transaction_reference"})
C("transaction/reference-256-characters", mod(renewal(), {RPT + "/payment_transaction_reference": "o" * 256}),
  deny=[603])
C("transaction/reference-255-characters-ok",
  mod(renewal(), {RPT + "/payment_transaction_reference": "\u00f6" * 255}))
C("transaction/reference-with-tab", mod(renewal(), {RPT + "/payment_transaction_reference": "sub\t8842"}),
  deny=[603])
C("transaction/reference-with-del", mod(renewal(), {RPT + "/payment_transaction_reference": "sub\u007f8842"}),
  deny=[603])
C("transaction/reference-number", mod(renewal(), {RPT + "/payment_transaction_reference": 8842}), deny=[603])
C("transaction/reference-absent-ok", mod(renewal(), {RPT + "/payment_transaction_reference": DEL}))
C("transaction/invalid-amount-and-reference", mod(renewal(), {RPT: {"amount": 0, "payment_transaction_reference": ""}}),
  deny=[602, 603])
C("transaction/missing-with-header", mod(renewal(), {RPT: DEL}), deny=[604],
  paths={604: "/body/request_payment_transaction"})
C("transaction/null-with-header", mod(oneclick(), {RPT: None}), deny=[604])
C("transaction/nothing-requested", mod(guest(), {RPT: DEL}), deny=[605], paths={605: "/body"})
C("transaction/nothing-requested-not-present", {"customer_present": False, "headers": {IDEM: "k-1"},
                                                "body": {"currency": "EUR"}}, deny=[105, 605])
C("transaction/empty-body", {"customer_present": True, "body": {}}, deny=[601, 605], warn=[701])

# ====================================================================== 7xx headers
C("idempotency/missing-warns", mod(renewal(), {"headers/" + IDEM: DEL}), warn=[701],
  paths={701: "/headers/Klarna-Idempotency-Key"})
C("idempotency/null-is-missing", mod(renewal(), {"headers/" + IDEM: None}), warn=[701])
C("idempotency/lowercase-name-counts",
  mod(renewal(), {"headers": {HDR: TOK, "klarna-idempotency-key": "renewal-sub_8842-2024-06"}}))
C("idempotency/kelvin-sign-name-is-not-the-header",
  mod(renewal(), {"headers": {HDR: TOK, "\u212alarna-Idempotency-\u212aey": "renewal-sub_8842-2024-06"}}),
  warn=[701])
C("idempotency/missing-severity-deny", mod(renewal(), {"headers/" + IDEM: DEL}), policy="severity-deny",
  deny=[701])
C("idempotency/missing-severity-off", mod(renewal(), {"headers/" + IDEM: DEL}), policy="severity-off")
C("idempotency/empty", mod(renewal(), {"headers/" + IDEM: ""}), deny=[702],
  paths={702: "/headers/Klarna-Idempotency-Key"})
C("idempotency/255-bytes-ok", mod(renewal(), {"headers/" + IDEM: "k" * 255}))
C("idempotency/256-bytes", mod(renewal(), {"headers/" + IDEM: "k" * 256}), deny=[702])
C("idempotency/inner-space", mod(renewal(), {"headers/" + IDEM: "renewal sub_8842"}), deny=[702])
C("idempotency/trailing-newline", mod(renewal(), {"headers/" + IDEM: "renewal-sub_8842\n"}), deny=[702])
C("idempotency/non-ascii", mod(renewal(), {"headers/" + IDEM: "\u043a\u043b\u044e\u0447-1"}), deny=[702])
C("idempotency/invalid-under-lowercase-name",
  mod(renewal(), {"headers": {HDR: TOK, "klarna-idempotency-key": ""}}),
  deny=[702], paths={702: "/headers/klarna-idempotency-key"})
C("headers/duplicate-token-header-first-is-read",
  mod(renewal(), {"headers": {HDR: TOK, IDEM: "k-1", "klarna-customer-token": "not a token"}}),
  deny=[703], paths={703: "/headers/klarna-customer-token"})
C("headers/duplicate-token-header-first-malformed",
  mod(renewal(), {"headers": {"klarna-customer-token": "krn:customer-token:EU1:a1b2", HDR: TOK, IDEM: "k-1"}}),
  deny=[101, 202, 703], details={101: "BAD_REGION"},
  paths={101: "/headers/klarna-customer-token", 703: "/headers/Klarna-Customer-Token"})
C("headers/duplicate-idempotency-key",
  mod(renewal(), {"headers": {HDR: TOK, IDEM: "k-1", "KLARNA-IDEMPOTENCY-KEY": "k-2"}}),
  deny=[703], paths={703: "/headers/KLARNA-IDEMPOTENCY-KEY"})
C("headers/duplicate-idempotency-key-first-empty",
  mod(renewal(), {"headers": {HDR: TOK, "klarna-idempotency-key": "", IDEM: "k-2"}}),
  deny=[702, 703], paths={702: "/headers/klarna-idempotency-key", 703: "/headers/Klarna-Idempotency-Key"})
C("headers/duplicate-unrelated-header",
  mod(renewal(), {"headers/content-type": "application/json; charset=utf-8"}),
  deny=[703], paths={703: "/headers/content-type"})
C("headers/null-value-is-not-a-duplicate",
  mod(renewal(), {"headers": {HDR: None, "klarna-customer-token": TOK, IDEM: "k-1"}}))
C("headers/distinct-names-no-duplicate",
  mod(renewal(), {"headers/Klarna-Network-Session-Token": SESSION}))

# ====================================================================== 8xx partner policy
C("policy-currency/not-allowed", mod(renewal(), {B + "currency": "NOK"}), policy="currencies",
  deny=[801], paths={801: "/body/currency"})
C("policy-currency/allowed", renewal(), policy="currencies")
C("policy-currency/lowercase-is-uppercased", mod(oneclick(), {B + "currency": "sek"}), policy="currencies")
C("policy-currency/lowercase-not-allowed", mod(oneclick(), {B + "currency": "nok"}), policy="currencies",
  deny=[801])
C("policy-currency/invalid-currency-is-601-only", mod(renewal(), {B + "currency": "EURO"}),
  policy="currencies", deny=[601])
C("policy-amount/above-limit", mod(renewal(), {RPT + "/amount": 50001}), policy="max-amount",
  deny=[802], paths={802: "/body/request_payment_transaction/amount"})
C("policy-amount/at-limit", mod(renewal(), {RPT + "/amount": 50000}), policy="max-amount")
C("policy-amount/lowercase-currency-uppercased", mod(renewal(), {RPT + "/amount": 50001, B + "currency": "eur"}),
  policy="max-amount", deny=[802])
C("policy-amount/other-currency-no-limit", mod(renewal(), {RPT + "/amount": 900000, B + "currency": "SEK"}),
  policy="max-amount")
C("policy-amount/limit-is-per-required-scope",
  mod(oneclick(), {RPT + "/amount": 60000, B + "currency": "EUR"}), policy="max-amount")
C("policy-amount/present-scope-limit", mod(oneclick(), {RPT + "/amount": 100001}), policy="max-amount",
  deny=[802])
C("policy-amount/invalid-amount-is-602-only", mod(renewal(), {RPT + "/amount": 2147483648}),
  policy="max-amount", deny=[602])
C("policy-amount/invalid-currency-no-limit-check",
  mod(renewal(), {RPT + "/amount": 90000, B + "currency": "EU"}), policy="max-amount", deny=[601])

NOW_OK = "2024-06-15T09:30:00Z"
C("policy-interval/long-enough", mod(renewal(), {"now": NOW_OK}), policy="interval")
C("policy-interval/too-soon", mod(renewal(), {"now": "2024-05-16T09:30:12.480999Z"}), policy="interval",
  deny=[803], paths={803: "/token_record/last_used_at"})
C("policy-interval/exactly-the-interval", mod(renewal(), {"now": "2024-05-16T09:30:12.481Z"}), policy="interval")
C("policy-interval/exactly-the-interval-other-offset",
  mod(renewal(), {"now": "2024-05-16T11:30:12.481000+02:00"}), policy="interval")
C("policy-interval/a-tenth-of-a-millisecond-short-other-offset",
  mod(renewal(), {"now": "2024-05-16T11:30:12.4809+02:00"}), policy="interval", deny=[803])
C("policy-interval/long-fraction-just-past",
  mod(renewal(), {"now": "2024-05-16T09:30:12.48100000000000000001Z"}), policy="interval")
C("policy-interval/long-fraction-just-short",
  mod(renewal(), {"now": "2024-05-16T09:30:12.48099999999999999999Z"}), policy="interval", deny=[803])
C("policy-interval/negative-offset-crosses-midnight",
  mod(renewal(), {"now": "2024-05-16T04:00:00-05:30", R + "last_used_at": "2024-05-15T09:30:00Z"}),
  policy="interval")
C("policy-interval/lowercase-t-and-z", mod(renewal(), {"now": "2024-05-16t09:30:12.48z"}), policy="interval",
  deny=[803])
C("policy-interval/now-before-last-used", mod(renewal(), {"now": "2024-05-01T00:00:00Z"}), policy="interval",
  deny=[803])
C("policy-interval/now-missing", mod(renewal(), {}), policy="interval",
  error=E(code="NEEDED_BY_RULE", path="/now"))
C("policy-interval/now-null-is-missing", mod(renewal(), {"now": None}), policy="interval",
  error=E(code="NEEDED_BY_RULE", path="/now"))
C("policy-interval/no-last-used-needs-no-now", mod(renewal(), {R + "last_used_at": DEL}), policy="interval")
C("policy-interval/customer-present-needs-no-now", oneclick(), policy="interval")
C("policy-interval/invalid-record-needs-no-now", mod(renewal(), {R + "state": "active"}), policy="interval",
  deny=[204], details={204: "STATE"})
C("policy-interval/no-record-needs-no-now", mod(renewal(), {"token_record": DEL}), policy="interval",
  deny=[201])
C("policy-interval/revoked-record-still-checked",
  mod(renewal(), {R + "state": "REVOKED", "now": "2024-05-15T10:00:00Z"}), policy="interval", deny=[203, 803])
C("policy-interval/record-without-header-still-checked",
  mod(renewal(), {"headers/" + HDR: DEL, "now": "2024-05-15T10:00:00Z"}), policy="interval",
  deny=[104, 105, 803])
C("policy-interval/severity-off-needs-no-now", renewal(), policy="time-rules-off")
C("policy-interval/severity-warn", mod(renewal(), {"now": "2024-05-15T10:00:00Z",
                                                   "counters": {"attempts_24h": 1}}),
  policy="time-rules-warn", warn=[803])

C("policy-attempts/below-caps", mod(renewal(), {"counters": {"attempts_24h": 9, "attempts_30d": 34}}),
  policy="attempts")
C("policy-attempts/daily-cap-hit", mod(renewal(), {"counters": {"attempts_24h": 10, "attempts_30d": 12}}),
  policy="attempts", deny=[804], paths={804: "/counters/attempts_24h"})
C("policy-attempts/monthly-cap-hit", mod(renewal(), {"counters": {"attempts_24h": 0, "attempts_30d": 35}}),
  policy="attempts", deny=[804], paths={804: "/counters/attempts_30d"})
C("policy-attempts/both-caps-hit-names-daily",
  mod(renewal(), {"counters": {"attempts_24h": 11, "attempts_30d": 40}}), policy="attempts",
  deny=[804], paths={804: "/counters/attempts_24h"})
C("policy-attempts/record-count-needs-now", renewal(), policy="attempts",
  error=E(code="NEEDED_BY_RULE", path="/now"))
C("policy-attempts/empty-counters-need-the-counter", mod(renewal(), {"counters": {}}), policy="attempts",
  error=E(code="NEEDED_BY_RULE", path="/counters/attempts_24h"))
C("policy-attempts/monthly-counter-missing", mod(renewal(), {"counters": {"attempts_24h": 1}}),
  policy="attempts", error=E(code="NEEDED_BY_RULE", path="/counters/attempts_30d"))
C("policy-attempts/null-counter-is-missing", mod(renewal(), {"counters": {"attempts_24h": None, "attempts_30d": 1}}),
  policy="attempts", error=E(code="NEEDED_BY_RULE", path="/counters/attempts_24h"))
C("policy-attempts/nothing-to-count-without-header-or-record",
  mod(renewal(), {"headers/" + HDR: DEL, "token_record": DEL}), policy="attempts", deny=[105])
C("policy-attempts/monthly-only-needs-no-daily", mod(renewal(), {"counters": {"attempts_30d": 14}}),
  policy="attempts-30d")
C("policy-attempts/monthly-only-ignores-daily",
  mod(renewal(), {"counters": {"attempts_24h": 100, "attempts_30d": 15}}), policy="attempts-30d",
  deny=[804], paths={804: "/counters/attempts_30d"})
C("policy-attempts/customer-present-needs-no-counters", oneclick(), policy="attempts")
C("policy-attempts/severity-off-needs-no-counters", mod(renewal(), {"now": "2024-05-15T10:00:00Z"}),
  policy="time-rules-off")
C("policy-attempts/severity-warn", mod(renewal(), {"now": NOW_OK, "counters": {"attempts_24h": 10}}),
  policy="time-rules-warn", warn=[804])
C("policy-attempts/both-rules-fire", mod(renewal(), {"now": "2024-05-15T09:45:00Z",
                                                     "counters": {"attempts_24h": 3}}),
  policy="interval-attempts", deny=[803, 804])
C("policy-time/both-need-fields-names-803-first", renewal(), policy="interval-attempts",
  error=E(code="NEEDED_BY_RULE", path="/now"))


# ---------------------------------------------------------------- rule 804 counted from the record's attempts
AT_NOW = "2024-06-15T09:30:00Z"
AT_NOW_S = model.parse_ts(AT_NOW)


def ago(seconds):
    """The RFC 3339 UTC text of AT_NOW minus `seconds` (a Fraction or int)."""
    import datetime as _dt
    from fractions import Fraction as _F
    t = _F(AT_NOW_S) - _F(seconds)
    whole = t.numerator // t.denominator
    frac = t - whole
    day, sec = divmod(whole, 86400)
    d = _dt.date.fromordinal(day)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (d.year, d.month, d.day, sec // 3600, sec // 60 % 60, sec % 60)
    if frac:
        digits = ""
        while frac:
            frac *= 10
            digits += str(frac.numerator // frac.denominator)
            frac -= frac.numerator // frac.denominator
        text += "." + digits
    return text + "Z"


assert ago(0) == AT_NOW and model.parse_ts(ago(86400)) == AT_NOW_S - 86400


def counted(attempts, **extra):
    changes = {"now": AT_NOW, R + "attempts": attempts, R + "last_used_at": DEL}
    changes.update(extra)
    return mod(renewal(), changes)


DAY = 86400
C("attempts-record/none-yet-allows", counted(DEL), policy="attempts")
C("attempts-record/null-is-none-yet", counted(None), policy="attempts")
C("attempts-record/empty-list-allows", counted([]), policy="attempts")
C("attempts-record/34-in-30-days-allows", counted([ago(DAY * 2 + i * 60000) for i in range(34)]),
  policy="attempts")
C("attempts-record/35-in-30-days-denies", counted([ago(DAY * 2 + i * 60000) for i in range(35)]),
  policy="attempts", deny=[804], paths={804: "/token_record/attempts"})
C("attempts-record/10-in-24-hours-denies", counted([ago(60 * i + 60) for i in range(10)]),
  policy="attempts", deny=[804], paths={804: "/token_record/attempts"})
C("attempts-record/9-in-24-hours-allows", counted([ago(60 * i + 60) for i in range(9)]), policy="attempts")
C("attempts-record/exactly-24-hours-ago-is-outside", counted([ago(DAY), ago(3600)]), policy="attempts-small")
C("attempts-record/a-millisecond-inside-24-hours-counts", counted([ago(DAY - Fraction(1, 1000)), ago(3600)]),
  policy="attempts-small", deny=[804])
C("attempts-record/exactly-30-days-ago-is-outside", counted([ago(30 * DAY), ago(2 * DAY), ago(3 * DAY)]),
  policy="attempts-small")
C("attempts-record/just-inside-30-days-counts",
  counted([ago(30 * DAY - Fraction(1, 10 ** 9)), ago(2 * DAY), ago(3 * DAY)]), policy="attempts-small", deny=[804])
C("attempts-record/later-than-now-counts", counted([ago(-3600), ago(7200)]), policy="attempts-small", deny=[804])
C("attempts-record/equal-instants-in-other-offsets-count-twice",
  counted(["2024-06-15T08:00:00Z", "2024-06-15T10:00:00+02:00"]), policy="attempts-small", deny=[804])
C("attempts-record/old-attempts-do-not-count", counted([ago(40 * DAY), ago(31 * DAY), ago(365 * DAY)]),
  policy="attempts-small")
C("attempts-record/counters-take-precedence", counted([ago(60 * i + 60) for i in range(10)],
                                                     counters={"attempts_24h": 0, "attempts_30d": 0}),
  policy="attempts")
C("attempts-record/counters-over-the-cap-with-an-empty-record",
  counted([], counters={"attempts_24h": 10, "attempts_30d": 0}), policy="attempts", deny=[804],
  paths={804: "/counters/attempts_24h"})
C("attempts-record/customer-present-ignores-attempts",
  mod(oneclick(), {"now": AT_NOW, R + "attempts": [ago(60 * i + 60) for i in range(20)]}), policy="attempts")
C("attempts-record/severity-off-needs-no-now", counted(DEL, now=DEL), policy="time-rules-off")
C("attempts-record/severity-warn", counted([ago(60 * i + 60) for i in range(10)]), policy="time-rules-warn",
  warn=[804])
C("attempts-record/invalid-record-is-not-counted", counted([ago(60), 42]), policy="attempts", deny=[204],
  details={204: "FIELD"})
C("attempts-record/null-entry-is-field", counted([None]), policy="attempts", deny=[204], details={204: "FIELD"})
C("attempts-record/not-a-list-is-field", counted(ago(60)), policy="attempts", deny=[204], details={204: "FIELD"})
C("attempts-record/bad-timestamp-is-timestamp", counted([ago(60), "2024-06-15 09:00:00Z"]), policy="attempts",
  deny=[204], details={204: "TIMESTAMP"})
C("attempts-record/invalid-attempts-default-policy", counted(["yesterday"]), deny=[204], details={204: "TIMESTAMP"})
C("attempts-record/revoked-record-still-counts", mod(counted([ago(60 * i + 60) for i in range(10)]),
                                                     {R + "state": "REVOKED"}),
  policy="attempts", deny=[203, 804])
C("attempts-record/hundred-entries-at-the-cap",
  counted([ago(DAY * 31 + i) for i in range(99)] + [ago(60)]), policy="attempts-small")

# ---------------------------------------------------------------- rules 901-903: policy access
C("access/renewal-by-billing-allows", mod(renewal(), {"caller": "billing-renewals"}), policy="access")
C("access/renewal-by-checkout-denied", mod(renewal(), {"caller": "checkout-web"}), policy="access",
  deny=[902], paths={902: "/caller"})
C("access/no-caller-denied", renewal(), policy="access", deny=[901], paths={901: "/caller"})
C("access/unknown-caller-denied", mod(renewal(), {"caller": "reporting-batch"}), policy="access", deny=[901])
C("access/caller-compared-byte-for-byte", mod(renewal(), {"caller": "Billing-Renewals"}), policy="access",
  deny=[901])
C("access/caller-with-trailing-space-is-another", mod(renewal(), {"caller": "billing-renewals "}),
  policy="access", deny=[901])
C("access/support-console-may-charge-nothing", mod(renewal(), {"caller": "support-console"}), policy="access",
  deny=[902])
C("access/one-click-by-checkout-allows", mod(oneclick(), {"caller": "checkout-web"}), policy="access")
C("access/one-click-by-billing-denied", mod(oneclick(), {"caller": "billing-renewals"}), policy="access",
  deny=[902])
C("access/guest-purchase-needs-a-known-caller-only", mod(guest(), {"caller": "billing-renewals"}),
  policy="access")
C("access/guest-purchase-without-caller-denied", guest(), policy="access", deny=[901])
C("access/checkout-tokenizes-on-demand", mod(signup_ondemand(), {"caller": "checkout-web"}), policy="access")
C("access/checkout-may-not-tokenize-for-renewals", mod(signup(), {"caller": "checkout-web"}), policy="access",
  deny=[903], paths={903: "/body/request_customer_token"})
C("access/signup-service-tokenizes-for-renewals", mod(signup(), {"caller": "signup-service"}), policy="access")
C("access/billing-may-not-tokenize", mod(signup(), {"caller": "billing-renewals"}), policy="access",
  deny=[903])
C("access/support-console-may-not-tokenize", mod(signup_ondemand(), {"caller": "support-console"}),
  policy="access", deny=[903])
C("access/tokenization-with-both-scopes-is-not-judged-by-scope",
  mod(signup(), {"caller": "checkout-web", RCT + "/scopes": [CP, CNP]}), policy="access", deny=[503])
C("access/tokenization-scopes-not-a-list", mod(signup(), {"caller": "checkout-web", RCT + "/scopes": CNP}),
  policy="access", deny=[503])
C("access/tokenization-not-an-object", mod(signup(), {"caller": "billing-renewals", RCT: "yes"}),
  policy="access", deny=[503, 903])
C("access/tokenization-with-the-first-payment-by-checkout",
  mod(signup_ondemand(), {"caller": "checkout-web", RCT + "/customer_token_reference": "cust_7310-rides-2"}),
  policy="access")
C("access/header-beside-tokenization", mod(signup(), {"caller": "checkout-web", "headers/" + HDR: TOK_CP,
                                                    "token_record": oneclick_record()}),
  policy="access", deny=[504, 903])
C("access/header-beside-tokenization-by-signup-service",
  mod(signup(), {"caller": "signup-service", "headers/" + HDR: TOK_CP, "token_record": oneclick_record()}),
  policy="access", deny=[504, 902])
C("access/empty-access-allows-no-caller", mod(renewal(), {"caller": "billing-renewals"}), policy="access-empty",
  deny=[901])
C("access/empty-access-no-caller", renewal(), policy="access-empty", deny=[901])
C("access/without-access-caller-is-only-recorded", mod(renewal(), {"caller": "anything-at-all"}))
C("access/null-caller-is-absent", mod(renewal(), {"caller": None}), policy="access", deny=[901])
C("access/unicode-caller-name", mod(renewal(), {"caller": "billing-\u00e9"}), policy="access", deny=[901])
C("access/caller-of-255-characters", mod(renewal(), {"caller": "c" * 255}))
C("access/with-record-attempts", counted([ago(60), ago(120)], caller="billing-renewals"),
  policy="access-attempts", deny=[804])
C("access/caller-and-cap-both-deny", counted([ago(60), ago(120)], caller="checkout-web"),
  policy="access-attempts", deny=[804, 901])
C("access/caller-empty-is-an-envelope-fault", mod(renewal(), {"caller": ""}),
  error=E(code="INVALID_VALUE", path="/caller"))
C("access/caller-not-a-string", mod(renewal(), {"caller": 42}), error=E(code="WRONG_TYPE", path="/caller"))
C("access/caller-with-a-newline", mod(renewal(), {"caller": "billing\n"}),
  error=E(code="INVALID_VALUE", path="/caller"))
C("access/caller-with-a-c1-control", mod(renewal(), {"caller": "billing\u0085"}),
  error=E(code="INVALID_VALUE", path="/caller"))
C("access/caller-of-256-characters", mod(renewal(), {"caller": "c" * 256}),
  error=E(code="INVALID_VALUE", path="/caller"))

C("policy-severity/limits-as-warnings",
  mod(renewal(), {B + "currency": "SEK"}), policy="limits-warn", warn=[801])
C("policy-severity/amount-limit-as-warning",
  mod(renewal(), {RPT + "/amount": 60000}), policy="limits-warn", warn=[802])
C("policy-severity/limits-off",
  mod(renewal(), {B + "currency": "NOK", RPT + "/amount": 60000}), policy="limits-off")

# strict partner policy
STRICT_OK = {"now": NOW_OK, "counters": {"attempts_24h": 0, "attempts_30d": 1}}
C("strict/renewal-allows", mod(renewal(), STRICT_OK), policy="strict")
C("strict/renewal-without-idempotency-key-denies",
  mod(renewal(), dict(STRICT_OK, **{"headers/" + IDEM: DEL})), policy="strict", deny=[701])
C("strict/one-click-without-step-up-no-warning",
  mod(oneclick(), {B + "step_up_config": DEL}), policy="strict")
C("strict/us-token-denied", mod(renewal(TOK_US), STRICT_OK), policy="strict", deny=[103])
C("strict/renewal-over-limit-and-too-soon",
  mod(renewal(), {"now": "2024-05-16T09:00:00+00:00", "counters": {"attempts_24h": 0, "attempts_30d": 1},
                  RPT + "/amount": 59900}), policy="strict", deny=[802, 803])
C("strict/signup-without-reference", mod(signup(), {RCT + "/customer_token_reference": DEL}),
  policy="strict", deny=[508])
C("strict/nok-purchase-denied", mod(guest(), {B + "currency": "NOK"}), policy="strict", deny=[801])

# ====================================================================== classic mistakes, several rules at once
C("mistake/step-up-on-renewal-with-session-token",
  mod(renewal(), {"headers/" + HDR: SESSION, B + "step_up_config": STEP_UP}), deny=[102, 202, 401])
C("mistake/charging-a-revoked-token-without-key",
  mod(renewal(), {R + "state": "REVOKED", R + "revoked_by": "PARTNER", R + "revoked_at": "2024-06-01T00:00:00Z",
                  "headers/" + IDEM: DEL}), deny=[203], warn=[701])
C("mistake/everything-missing-on-renewal", {"customer_present": False, "body": {}},
  deny=[105, 601, 605], warn=[701])
C("mistake/one-click-token-without-step-up-or-key",
  mod(oneclick(), {B + "step_up_config": DEL, "headers/" + IDEM: DEL}), warn=[402, 701])
C("mistake/tokenize-on-renewal-with-token",
  mod(renewal(), {RCT: {"scopes": [CNP], "customer_token_reference": "x"}}), deny=[501, 502, 504])

# ====================================================================== envelope faults
C("envelope/top-level-array", text='[{"customer_present":true,"body":{}}]', error=E(code="WRONG_TYPE"))
C("envelope/top-level-string", text='"krn:customer-token:eu1:abc"', error=E(code="WRONG_TYPE"))
C("envelope/top-level-null", text="null", error=E(code="WRONG_TYPE"))
C("envelope/customer-present-missing", {"body": guest()["body"]},
  error=E(code="MISSING_FIELD", path="/customer_present"))
C("envelope/customer-present-null", {"customer_present": None, "body": guest()["body"]},
  error=E(code="MISSING_FIELD", path="/customer_present"))
C("envelope/customer-present-string", {"customer_present": "false", "body": guest()["body"]},
  error=E(code="WRONG_TYPE", path="/customer_present"))
C("envelope/customer-present-number", {"customer_present": 0, "body": guest()["body"]},
  error=E(code="WRONG_TYPE", path="/customer_present"))
C("envelope/body-missing", {"customer_present": True}, error=E(code="MISSING_FIELD", path="/body"))
C("envelope/body-null", {"customer_present": True, "body": None}, error=E(code="MISSING_FIELD", path="/body"))
C("envelope/body-array", {"customer_present": True, "body": []}, error=E(code="WRONG_TYPE", path="/body"))
C("envelope/body-string", mod(guest(), {"body": '{"currency":"EUR"}'}), error=E(code="WRONG_TYPE", path="/body"))
C("envelope/headers-array", mod(guest(), {"headers": [[IDEM, "k-1"]]}), error=E(code="WRONG_TYPE", path="/headers"))
C("envelope/header-value-number", mod(guest(), {"headers/" + IDEM: 30291}),
  error=E(code="WRONG_TYPE", path="/headers/Klarna-Idempotency-Key"))
C("envelope/header-value-list", mod(renewal(), {"headers/" + HDR: [TOK]}),
  error=E(code="WRONG_TYPE", path="/headers/Klarna-Customer-Token"))
C("envelope/token-record-string", mod(renewal(), {"token_record": TOK}),
  error=E(code="WRONG_TYPE", path="/token_record"))
C("envelope/token-record-array", mod(renewal(), {"token_record": [renewal_record()]}),
  error=E(code="WRONG_TYPE", path="/token_record"))
C("envelope/unknown-top-level-field", mod(renewal(), {"customer_token": TOK}),
  error=E(code="UNKNOWN_FIELD", path="/customer_token"))
C("envelope/now-number", mod(renewal(), {"now": 1718443800}), error=E(code="WRONG_TYPE", path="/now"))
C("envelope/now-with-space", mod(renewal(), {"now": "2024-06-15 09:30:00Z"}),
  error=E(code="INVALID_VALUE", path="/now"))
C("envelope/now-without-offset", mod(renewal(), {"now": "2024-06-15T09:30:00"}),
  error=E(code="INVALID_VALUE", path="/now"))
C("envelope/now-february-30", mod(renewal(), {"now": "2024-02-30T09:30:00Z"}),
  error=E(code="INVALID_VALUE", path="/now"))
C("envelope/now-leap-second", mod(renewal(), {"now": "2016-12-31T23:59:60Z"}),
  error=E(code="INVALID_VALUE", path="/now"))
C("envelope/bad-now-even-without-policy", mod(guest(), {"now": "today"}),
  error=E(code="INVALID_VALUE", path="/now"))
C("envelope/now-null-is-absent", mod(guest(), {"now": None}))
C("envelope/counters-array", mod(renewal(), {"counters": [1, 2]}), error=E(code="WRONG_TYPE", path="/counters"))
C("envelope/counter-negative", mod(renewal(), {"counters": {"attempts_24h": -1}}),
  error=E(code="INVALID_VALUE", path="/counters/attempts_24h"))
C("envelope/counter-string", mod(renewal(), {"counters": {"attempts_30d": "3"}}),
  error=E(code="WRONG_TYPE", path="/counters/attempts_30d"))
C("envelope/counters-extra-key", mod(renewal(), {"counters": {"attempts_24h": 1, "attempts_1h": 0}}),
  error=E(code="UNKNOWN_FIELD", path="/counters/attempts_1h"))
C("envelope/counter-fraction",
  text='{"customer_present":false,"body":{},"counters":{"attempts_24h":1.5}}',
  error=E(path="/counters/attempts_24h"))
C("envelope/counters-zero-and-null-ok", mod(guest(), {"counters": {"attempts_24h": 0, "attempts_30d": None}}))
C("envelope/decision-id-255-multibyte-characters-ok", mod(guest(), {"decision_id": "\u20ac" * 255}))
C("envelope/decision-id-255-astral-characters-ok", mod(guest(), {"decision_id": "\U0001F4B3" * 255}))
C("envelope/decision-id-256-characters", mod(guest(), {"decision_id": "\u20ac" * 256}),
  error=E(code="INVALID_VALUE", path="/decision_id"))
C("envelope/decision-id-number", mod(guest(), {"decision_id": 42}), error=E(code="WRONG_TYPE", path="/decision_id"))
C("envelope/decision-id-null-is-absent", mod(guest(), {"decision_id": None}))

C("envelope/duplicate-key-top-level",
  text='{"customer_present":false,"customer_present":true,"body":{"currency":"EUR"}}',
  error=E(code="DUPLICATE_KEY", path="/customer_present"))
C("envelope/duplicate-key-in-body",
  text='{"customer_present":true,"body":{"currency":"EUR","currency":"SEK"}}',
  error=E(code="DUPLICATE_KEY", path="/body/currency"))
C("envelope/duplicate-key-deep-inside",
  text=('{"customer_present":true,"body":{"currency":"EUR","supplementary_purchase_data":'
        '{"subscriptions":[{"name":"a"},{"name":"b","interval":"MONTH","interval":"YEAR"}]}}}'),
  error=E(code="DUPLICATE_KEY", path="/body/supplementary_purchase_data/subscriptions/1/interval"))
C("envelope/duplicate-key-after-unescaping",
  text='{"customer_present":true,"body":{"\\u0061mount":1,"amount":2}}',
  error=E(code="DUPLICATE_KEY", path="/body/amount"))
C("envelope/duplicate-header-name-exact",
  text=('{"customer_present":false,"headers":{"Klarna-Customer-Token":"%s","Klarna-Customer-Token":"%s"},'
        '"body":{"currency":"EUR"}}' % (TOK, TOK_CP)),
  error=E(code="DUPLICATE_KEY", path="/headers/Klarna-Customer-Token"))
C("envelope/duplicate-key-in-token-record",
  text=('{"customer_present":false,"body":{},"token_record":{"state":"ACTIVE","state":"REVOKED"}}'),
  error=E(code="DUPLICATE_KEY", path="/token_record/state"))
C("envelope/same-key-in-different-objects-ok",
  text=('{"customer_present":true,"headers":{"Klarna-Idempotency-Key":"k-1"},"body":{"currency":"EUR",'
        '"request_payment_transaction":{"amount":100,"currency":"EUR"},"x":{"amount":1}}}'))

DEEP = ('{"customer_present":true,"headers":{"Klarna-Idempotency-Key":"k-1"},'
        '"body":{"currency":"EUR","request_payment_transaction":{"amount":100},"x":%s}}')
C("envelope/depth-64-ok", text=DEEP % ("[" * 62 + "]" * 62))
C("envelope/depth-64-scalar-ok", text=DEEP % ("[" * 61 + "1" + "]" * 61))
C("envelope/depth-65-too-deep", text=DEEP % ("[" * 63 + "]" * 63),
  error=E(code="TOO_DEEP", path="/body/x" + "/0" * 62))
C("envelope/depth-65-scalar-too-deep", text=DEEP % ("[" * 62 + "1" + "]" * 62),
  error=E(code="TOO_DEEP", path="/body/x" + "/0" * 62))
C("envelope/depth-65-objects-too-deep", text=DEEP % ('{"a":' * 63 + "{}" + "}" * 63),
  error=E(code="TOO_DEEP", path="/body/x" + "/a" * 62))
C("envelope/unpaired-high-surrogate",
  text='{"customer_present":true,"body":{"currency":"EUR","note":"\\ud800"}}',
  error=E(code="UNPAIRED_SURROGATE", path="/body/note"))
C("envelope/unpaired-low-surrogate-in-header",
  text='{"customer_present":true,"headers":{"Klarna-Idempotency-Key":"k\\udc00"},"body":{}}',
  error=E(code="UNPAIRED_SURROGATE", path="/headers/Klarna-Idempotency-Key"))
C("envelope/reversed-surrogate-pair",
  text='{"customer_present":true,"body":{"note":"\\udc00\\ud800"}}', error=E(code="UNPAIRED_SURROGATE"))
C("envelope/escaped-surrogate-pair-ok",
  text=('{"customer_present":true,"headers":{"Klarna-Idempotency-Key":"k-1"},"decision_id":"\\ud83d\\udcb3",'
        '"body":{"currency":"EUR","request_payment_transaction":{"amount":100}}}'))
C("envelope/huge-integer-in-ignored-field-ok",
  text=('{"customer_present":true,"headers":{"Klarna-Idempotency-Key":"k-1"},'
        '"body":{"currency":"EUR","request_payment_transaction":{"amount":100},'
        '"merchant_data":123456789012345678901234567890}}'))
C("envelope/nan-is-not-json", text='{"customer_present":true,"body":{"x":NaN}}', error=E(code="JSON_SYNTAX"))
C("envelope/infinity-is-not-json", text='{"customer_present":true,"body":{"x":-Infinity}}',
  error=E(code="JSON_SYNTAX"))
C("envelope/trailing-comma", text='{"customer_present":true,"body":{},}', error=E(code="JSON_SYNTAX"))
C("envelope/trailing-data", text='{"customer_present":true,"body":{}} {}', error=E(code="JSON_SYNTAX"))
C("envelope/empty-input", text="", error=E(code="JSON_SYNTAX"))
C("envelope/raw-control-character-in-string",
  text='{"customer_present":true,"body":{"note":"a\tb"}}', error=E(code="JSON_SYNTAX"))
C("envelope/single-quotes", text="{'customer_present':true,'body':{}}", error=E(code="JSON_SYNTAX"))
C("envelope/invalid-utf8", b64=b'{"customer_present":true,"body":{"note":"caf\xe9"}}',
  error=E(status="INVALID_UTF8"))
C("envelope/invalid-utf8-overlong", b64=b'{"customer_present":true,"body":{"note":"\xc0\xaf"}}',
  error=E(status="INVALID_UTF8"))


def main():
    doc = {
        "description": ("Pre-flight check vectors for ctpolicy: request -> decision. Written from "
                        "shared/design/rules.md and docs/DECISIONS.md by tests/vectors/gen/gen_check.py; "
                        "see docs/VECTORS.md for the format."),
        "policies": POLICIES,
        "cases": CASES,
    }
    write_json(os.path.join(VECTORS, "check.json"), doc)
    print("check.json: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
