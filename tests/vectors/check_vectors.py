#!/usr/bin/env python3
"""Checks the FORMAT of the vector files in this folder (docs/VECTORS.md).

It does not decide anything about requests: it checks that every file is
well-shaped, so every language's harness can read it the same way.
Standard library only. Exit status 0 when all is well, 1 on any problem.

    python3 tests/vectors/check_vectors.py [DIR]
"""
import base64
import hashlib
import json
import os
import re
import sys

RULES = {
    101: "TOKEN_MALFORMED", 102: "TOKEN_WRONG_TYPE", 103: "TOKEN_REGION_NOT_ALLOWED",
    104: "TOKEN_HEADER_MISSING", 105: "TOKEN_REQUIRED",
    201: "RECORD_MISSING", 202: "RECORD_TOKEN_MISMATCH", 203: "TOKEN_REVOKED",
    204: "RECORD_INVALID", 205: "UNKNOWN_SCOPE",
    301: "SCOPE_MISMATCH",
    401: "STEP_UP_NOT_ALLOWED", 402: "STEP_UP_RECOMMENDED", 403: "STEP_UP_CONFIG_INVALID",
    501: "TOKENIZATION_CUSTOMER_NOT_PRESENT", 502: "TOKENIZATION_STEP_UP_MISSING",
    503: "TOKENIZATION_SCOPES_INVALID", 504: "TOKENIZATION_WITH_TOKEN", 505: "SUBSCRIPTIONS_REQUIRED",
    506: "ONDEMAND_SERVICE_REQUIRED", 507: "TOKEN_REFERENCE_INVALID", 508: "TOKEN_REFERENCE_MISSING",
    601: "CURRENCY_INVALID", 602: "AMOUNT_INVALID", 603: "TRANSACTION_REFERENCE_INVALID",
    604: "PAYMENT_TRANSACTION_MISSING", 605: "NOTHING_REQUESTED",
    701: "IDEMPOTENCY_KEY_MISSING", 702: "IDEMPOTENCY_KEY_INVALID", 703: "HEADER_DUPLICATE",
    801: "CURRENCY_NOT_ALLOWED", 802: "AMOUNT_LIMIT_EXCEEDED", 803: "CHARGE_TOO_SOON",
    804: "ATTEMPT_LIMIT_EXCEEDED",
    901: "CALLER_NOT_ALLOWED", 902: "CALLER_SCOPE_NOT_ALLOWED", 903: "CALLER_TOKENIZATION_NOT_ALLOWED",
}
CODE_ID = {c: i for i, c in RULES.items()}
TOKEN_DETAILS = ["EMPTY", "TOO_LONG", "INVALID_CHARACTER", "NOT_A_KRN", "BAD_STRUCTURE", "BAD_REGION", "BAD_ID"]
RECORD_DETAILS = ["FIELD", "STATE", "SCOPES", "TIMESTAMP"]
JSON_CODES = {"JSON_SYNTAX", "UNPAIRED_SURROGATE", "TOO_LARGE", "TOO_DEEP", "DUPLICATE_KEY", "WRONG_TYPE",
              "MISSING_FIELD", "UNKNOWN_FIELD", "INVALID_VALUE", "NEEDED_BY_RULE"}
POLICY_CODES = JSON_CODES - {"NEEDED_BY_RULE"} | {"UNKNOWN_RULE", "RULE_NOT_ADJUSTABLE"}
TRANSITION_CODES = {"RECORD_INVALID", "INVALID_EVENT", "INVALID_TRANSITION", "RESPONSE_INVALID", "NOT_APPROVED",
                    "TOKEN_MALFORMED", "TOKEN_WRONG_TYPE", "SCOPE_GRANT_MISMATCH", "REFERENCE_MISMATCH",
                    "RECORD_REQUIRED", "TOKEN_REVOKED"}
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*")
FP_RE = re.compile(r"sha256:[0-9a-f]{64}")
SCOPES = {"payment:customer_present", "payment:customer_not_present"}

problems = []


def problem(where, msg):
    problems.append("%s: %s" % (where, msg))


class Strict:
    """Loads a vector file refusing what a JSON value form may not hold."""

    @staticmethod
    def pairs(pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                raise ValueError("duplicate key %r in the vector file" % k)
            out[k] = v
        return out

    @staticmethod
    def number(s):
        raise ValueError("non-integer number %s in the vector file (use a *_text form)" % s)

    @staticmethod
    def integer(s):
        v = int(s)
        if s == "-0":
            raise ValueError("-0 in the vector file (use a *_text form)")
        if not -(2 ** 63) <= v < 2 ** 63:
            raise ValueError("integer %s beyond 64 bits in the vector file" % s)
        return v


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError("unpaired surrogate in the vector file")
    doc = json.loads(text, object_pairs_hook=Strict.pairs, parse_float=Strict.number,
                     parse_int=Strict.integer, parse_constant=Strict.number)
    # escaped unpaired surrogates survive json.loads as lone code points
    def walk(v):
        if isinstance(v, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
                raise ValueError("unpaired surrogate in a value")
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
    walk(doc)
    return doc


def common(fname, doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("description"), str) \
            or not isinstance(doc.get("cases"), list):
        problem(fname, "must be an object with a description and a cases array")
        return []
    seen = set()
    for i, case in enumerate(doc["cases"]):
        name = case.get("name") if isinstance(case, dict) else None
        where = "%s case %d" % (fname, i)
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            problem(where, "name %r is not shaped family/situation" % (name,))
        elif name in seen:
            problem(where, "duplicate name %r" % name)
        seen.add(name)
        if not isinstance(case, dict) or not isinstance(case.get("expect"), dict):
            problem(where, "no expect object")
    return [c for c in doc["cases"] if isinstance(c, dict) and isinstance(c.get("expect"), dict)]


def one_of(where, case, keys, required=True):
    n = sum(1 for k in keys if k in case)
    if n > 1 or (required and n == 0):
        problem(where, "needs exactly one of %s, has %d" % ("/".join(keys), n))


def check_error(where, err, statuses, codes):
    if set(err) - {"status", "code", "detail", "path"}:
        problem(where, "unknown keys in error: %s" % sorted(set(err) - {"status", "code", "detail", "path"}))
    if err.get("status") not in statuses:
        problem(where, "error status %r not one of %s" % (err.get("status"), sorted(statuses)))
    if "code" in err and err["code"] not in codes:
        problem(where, "error code %r unknown" % err["code"])
    if "path" in err and not (err["path"] == "" or (isinstance(err["path"], str) and err["path"].startswith("/"))):
        problem(where, "path %r is not a JSON Pointer" % err["path"])
    if "detail" in err:
        allowed = TOKEN_DETAILS + RECORD_DETAILS
        if err["detail"] not in allowed:
            problem(where, "detail %r unknown" % err["detail"])


def check_token_info(where, t):
    if t is None:
        return
    if not isinstance(t, dict) or set(t) != {"form", "region", "environment", "fingerprint"}:
        problem(where, "token must have form, region, environment, fingerprint")
        return
    if t["form"] == "network" and t["environment"] is not None:
        problem(where, "network form has environment null")
    if t["form"] == "identity" and t["environment"] not in ("live", "test"):
        problem(where, "identity form has environment live or test")
    if t["form"] not in ("network", "identity"):
        problem(where, "unknown form %r" % t["form"])
    if not isinstance(t["fingerprint"], str) or not FP_RE.fullmatch(t["fingerprint"]):
        problem(where, "fingerprint %r is not sha256:<64 hex>" % t["fingerprint"])


def check_hits(where, hits, kind, fired):
    if not isinstance(hits, list):
        problem(where, "%s must be a list" % kind)
        return []
    ids = []
    for h in hits:
        if not isinstance(h, dict) or h.get("code") not in CODE_ID:
            problem(where, "%s entry %r has no known code" % (kind, h))
            continue
        i = CODE_ID[h["code"]]
        if "id" in h and h["id"] != i:
            problem(where, "%s: id %r does not belong to %s" % (kind, h["id"], h["code"]))
        want = "deny" if kind == "violations" else "warn"
        if "severity" in h and h["severity"] != want:
            problem(where, "%s entry %s has severity %r" % (kind, h["code"], h["severity"]))
        if "detail" in h:
            allowed = TOKEN_DETAILS if i == 101 else RECORD_DETAILS if i == 204 else []
            if h["detail"] not in allowed:
                problem(where, "detail %r not allowed on %s" % (h["detail"], h["code"]))
        if "path" in h and not str(h["path"]).startswith("/"):
            problem(where, "path %r is not a JSON Pointer" % h["path"])
        extra = set(h) - {"id", "code", "severity", "path", "detail", "message"}
        if extra:
            problem(where, "unknown keys %s in %s entry" % (sorted(extra), kind))
        ids.append(i)
        fired.add(i)
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        problem(where, "%s codes not sorted by id or repeated: %s" % (kind, ids))
    return ids


def check_check(path):
    fname = os.path.basename(path)
    doc = load(path)
    cases = common(fname, doc)
    pols = doc.get("policies")
    if not isinstance(pols, dict) or "default" not in pols:
        problem(fname, "policies must be an object holding 'default'")
        pols = {}
    fired = set()
    for case in cases:
        where = "%s %s" % (fname, case.get("name"))
        one_of(where, case, ("request", "request_text", "request_base64"))
        if "request_text" in case and not isinstance(case["request_text"], str):
            problem(where, "request_text must be a string")
        if "request_base64" in case:
            try:
                base64.b64decode(case["request_base64"], validate=True)
            except Exception:
                problem(where, "request_base64 is not base64")
        if "policy" in case and case["policy"] not in pols:
            problem(where, "policy %r is not in policies" % case["policy"])
        exp = case["expect"]
        if "error" in exp:
            if set(exp) != {"error"}:
                problem(where, "an error expectation holds only error")
            check_error(where, exp["error"], {"INVALID_REQUEST", "INVALID_UTF8"}, JSON_CODES)
            continue
        allowed = {"decision", "required_scope", "violations", "warnings", "token", "decision_id"}
        if set(exp) - allowed:
            problem(where, "unknown expect keys %s" % sorted(set(exp) - allowed))
        if "violations" not in exp or "warnings" not in exp or "decision" not in exp:
            problem(where, "needs decision, violations and warnings")
            continue
        v = check_hits(where, exp["violations"], "violations", fired)
        check_hits(where, exp["warnings"], "warnings", fired)
        if exp["decision"] != ("DENY" if v else "ALLOW"):
            problem(where, "decision %r does not follow from the violations" % exp["decision"])
        if "required_scope" in exp and exp["required_scope"] not in SCOPES:
            problem(where, "required_scope %r unknown" % exp["required_scope"])
        if "token" in exp:
            check_token_info(where, exp["token"])
    missing = sorted(set(RULES) - fired)
    if missing:
        problem(fname, "codes never expected to fire: %s" % ", ".join("%d %s" % (i, RULES[i]) for i in missing))
    return len(cases)


def check_tokens(path):
    fname = os.path.basename(path)
    cases = common(fname, load(path))
    details = set()
    for case in cases:
        where = "%s %s" % (fname, case.get("name"))
        if not isinstance(case.get("token"), str):
            problem(where, "token must be a string")
            continue
        exp = case["expect"]
        if "error" in exp:
            check_error(where, exp["error"], {"TOKEN_INVALID"}, {"TOKEN_MALFORMED", "TOKEN_WRONG_TYPE"})
            err = exp["error"]
            if err.get("code") == "TOKEN_MALFORMED" and err.get("detail") not in TOKEN_DETAILS:
                problem(where, "TOKEN_MALFORMED needs a token detail")
            if err.get("code") == "TOKEN_WRONG_TYPE" and "detail" in err:
                problem(where, "TOKEN_WRONG_TYPE has no detail")
            details.add(err.get("detail") or err.get("code"))
        else:
            check_token_info(where, exp)
            want = "sha256:" + hashlib.sha256(case["token"].encode("utf-8")).hexdigest()
            if exp.get("fingerprint") != want:
                problem(where, "fingerprint is not SHA-256 of the token bytes")
    for d in TOKEN_DETAILS + ["TOKEN_WRONG_TYPE"]:
        if d not in details:
            problem(fname, "no case for %s" % d)
    return len(cases)


def check_lifecycle(path):
    fname = os.path.basename(path)
    cases = common(fname, load(path))
    for case in cases:
        where = "%s %s" % (fname, case.get("name"))
        one_of(where, case, ("record", "record_text"), required=False)
        one_of(where, case, ("event", "event_text"))
        exp = case["expect"]
        if "error" in exp:
            err = exp["error"]
            if err.get("status") == "TRANSITION_REJECTED":
                check_error(where, err, {"TRANSITION_REJECTED"}, TRANSITION_CODES)
                if err.get("code") == "RECORD_INVALID" and err.get("detail") not in RECORD_DETAILS:
                    problem(where, "RECORD_INVALID needs a record detail")
                if err.get("code") == "TOKEN_MALFORMED" and err.get("detail") not in TOKEN_DETAILS:
                    problem(where, "TOKEN_MALFORMED needs a token detail")
            else:
                check_error(where, err, {"INVALID_REQUEST", "INVALID_UTF8"}, JSON_CODES)
        else:
            if set(exp) != {"record", "changed"} or not isinstance(exp["record"], dict) \
                    or not isinstance(exp["changed"], bool):
                problem(where, "a success expectation is {record: {...}, changed: bool}")
    return len(cases)


def check_responses(path):
    fname = os.path.basename(path)
    cases = common(fname, load(path))
    for case in cases:
        where = "%s %s" % (fname, case.get("name"))
        if "request" not in case or not isinstance(case.get("at"), str):
            problem(where, "a case has a request and an at")
        one_of(where, case, ("response", "response_text"))
        exp = case["expect"]
        if "error" in exp:
            err = exp["error"]
            if err.get("status") == "TRANSITION_REJECTED":
                check_error(where, err, {"TRANSITION_REJECTED"}, TRANSITION_CODES)
                if err.get("code") == "RECORD_INVALID" and err.get("detail") not in RECORD_DETAILS:
                    problem(where, "RECORD_INVALID needs a record detail")
            else:
                check_error(where, err, {"INVALID_REQUEST", "INVALID_UTF8"}, JSON_CODES)
        else:
            if set(exp) != {"record", "changed", "events"} or not isinstance(exp["changed"], bool) \
                    or not (exp["record"] is None or isinstance(exp["record"], dict)):
                problem(where, "a success expectation is {record: {...} or null, changed: bool, events: [...]}")
            for event in exp.get("events", []):
                if set(event) != {"type", "at"} or event["type"] not in ("TOKENIZED", "CHARGED", "DECLINED"):
                    problem(where, "an event is {type, at}")
    return len(cases)


def canonical_digest(policy):
    return "sha256:" + hashlib.sha256(
        json.dumps(policy, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_policies(path):
    fname = os.path.basename(path)
    cases = common(fname, load(path))
    for case in cases:
        where = "%s %s" % (fname, case.get("name"))
        one_of(where, case, ("policy", "policy_text"))
        exp = case["expect"]
        if "error" in exp:
            check_error(where, exp["error"], {"INVALID_POLICY", "INVALID_UTF8"}, POLICY_CODES)
        else:
            if set(exp) != {"digest"} or not FP_RE.fullmatch(str(exp.get("digest"))):
                problem(where, "a valid policy expects {digest: sha256:<64 hex>}")
            elif "policy" in case and exp["digest"] != canonical_digest(case["policy"]):
                problem(where, "digest is not SHA-256 of the canonical JSON")
    return len(cases)


def main():
    here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    checks = [("check.json", check_check), ("tokens.json", check_tokens),
              ("lifecycle.json", check_lifecycle), ("responses.json", check_responses),
              ("policies.json", check_policies)]
    for fname, fn in checks:
        path = os.path.join(here, fname)
        try:
            n = fn(path)
            print("%-15s %4d cases" % (fname, n))
        except (OSError, ValueError) as e:
            problem(fname, str(e))
    for p in problems:
        print("PROBLEM " + p, file=sys.stderr)
    if problems:
        print("%d problem(s)" % len(problems), file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
