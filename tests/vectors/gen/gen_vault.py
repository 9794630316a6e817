"""Writes tests/vectors/vault.json: record exports and the findings the vault
lint must report for them (vault.md V1/V2). Every expectation below is
written by hand from vault.md; only the fingerprints are computed (SHA-256 of
the record's customer_token), so that nobody copies 64 hex digits by hand.

    python3 tests/vectors/gen/gen_vault.py
"""
import base64
import hashlib
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "vault.json"

SEVERITY = {
    "RECORD_UNREADABLE": "error", "RECORD_INVALID": "error", "TOKEN_MALFORMED": "error",
    "TOKEN_WRONG_TYPE": "error", "UNKNOWN_SCOPE": "warn", "REGION_NOT_ALLOWED": "error",
    "MISSING_FIELD": "warn", "REVOKED_INCOMPLETE": "warn", "REVOKED_FIELDS_ON_ACTIVE": "error",
    "TIMELINE": "error", "FUTURE_TIMESTAMP": "warn", "STALE": "warn",
    "DUPLICATE_TOKEN": "error", "DUPLICATE_REFERENCE": "warn",
}

T1 = "krn:customer-token:eu1:1111aaaa-1111-4111-8111-111111111111"
T2 = "krn:customer-token:eu1:2222bbbb-2222-4222-8222-222222222222"
T3 = "krn:customer-token:eu1:3333cccc-3333-4333-8333-333333333333"
T4 = "krn:partner:eu1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a"
US = "krn:customer-token:us1:4444dddd-4444-4444-8444-444444444444"
NP = "payment:customer_not_present"
CP = "payment:customer_present"


def rec(token=T1, **fields):
    """A complete, good ACTIVE record; keyword None removes a field, and
    `raw_<name>` sets a field to a value verbatim (None stays JSON null)."""
    record = {
        "customer_token": token,
        "customer_token_reference": "ref-" + str(abs(hash(token)) % 10_000) if isinstance(token, str) else "ref-x",
        "scopes": [NP],
        "state": "ACTIVE",
        "created_at": "2026-01-10T09:00:00Z",
        "last_used_at": "2026-10-10T09:00:00Z",
        "customer_id": "cus-1",
    }
    # A stable reference per token, not Python's per-process hash().
    if isinstance(token, str):
        record["customer_token_reference"] = "ref-" + hashlib.sha256(token.encode()).hexdigest()[:8]
    for name, value in fields.items():
        if name.startswith("raw_"):
            record[name[4:]] = value
        elif value is None:
            record.pop(name, None)
        else:
            record[name] = value
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def revoked(token=T1, **fields):
    base = {"state": "REVOKED", "revoked_at": "2026-11-01T00:00:00Z", "revoked_by": "CUSTOMER"}
    base.update(fields)
    return rec(token, **base)


def text(*lines, final_newline=True):
    return "\n".join(lines) + ("\n" if final_newline else "")


CASES = []


def case(name, files, findings, options=None):
    """files: list of (name, text or bytes); findings: tuples
    (file, line, code, detail[, related_file, related_line])."""
    CASES.append((name, options or {}, files, findings))


# ---------------------------------------------------------------- clean
case("clean/good-records", [("tokens.jsonl", text(rec(T1), rec(T2), revoked(T3), rec(T4, scopes=[CP, "customer:login"])))], [])
case("clean/empty-export", [("tokens.jsonl", "")], [])
case("clean/only-blank-lines", [("tokens.jsonl", "\n  \n\t\r\n\r\n")], [])
case("clean/crlf-line-ends", [("tokens.jsonl", rec(T1) + "\r\n" + rec(T2) + "\r\n")], [])
case("clean/subscription-id-instead-of-customer-id",
     [("tokens.jsonl", text(rec(T1, customer_id=None, subscription_id="sub-9")))], [])
case("clean/unknown-fields-allowed", [("tokens.jsonl", text(rec(T1, note="migrated 2024", raw_extra={"a": 1})))], [])

# ---------------------------------------------------------------- unreadable
case("unreadable/kinds-keep-line-numbers", [("tokens.jsonl", text(
    "{not json",                                            # 1
    "",                                                     # 2 blank
    "[1, 2]",                                               # 3
    '{"customer_token":"%s","customer_token":"%s"}' % (T1, T2),  # 4
    "   \t ",                                               # 5 blank
    '{"customer_token":"\\ud800"}',                         # 6
    "[" * 65 + "]" * 65,                                    # 7
    '"krn:customer-token:eu1:abc"',                         # 8
    "null",                                                 # 9
    rec(T1),                                                # 10: T1 on line 4 does not count
))], [
    ("tokens.jsonl", 1, "RECORD_UNREADABLE", "JSON_SYNTAX"),
    ("tokens.jsonl", 3, "RECORD_UNREADABLE", "NOT_AN_OBJECT"),
    ("tokens.jsonl", 4, "RECORD_UNREADABLE", "DUPLICATE_KEY"),
    ("tokens.jsonl", 6, "RECORD_UNREADABLE", "UNPAIRED_SURROGATE"),
    ("tokens.jsonl", 7, "RECORD_UNREADABLE", "TOO_DEEP"),
    ("tokens.jsonl", 8, "RECORD_UNREADABLE", "NOT_AN_OBJECT"),
    ("tokens.jsonl", 9, "RECORD_UNREADABLE", "NOT_AN_OBJECT"),
])
case("unreadable/not-utf8", [("tokens.jsonl", b"\n" + rec(T1).encode() + b"\n{\"customer_token\":\"\xff\xfe\"}\n" + rec(T2).encode())], [
    ("tokens.jsonl", 3, "RECORD_UNREADABLE", "INVALID_UTF8"),
])
case("unreadable/last-line-without-newline", [("tokens.jsonl", text(rec(T1), "", "{oops", final_newline=False))], [
    ("tokens.jsonl", 3, "RECORD_UNREADABLE", "JSON_SYNTAX"),
])
case("unreadable/bom-is-not-stripped", [("tokens.jsonl", "\ufeff" + rec(T1) + "\n")], [
    ("tokens.jsonl", 1, "RECORD_UNREADABLE", "JSON_SYNTAX"),
])

# ---------------------------------------------------------------- invalid
case("invalid/details", [("tokens.jsonl", text(
    rec(T1, scopes=None),                                   # FIELD
    rec(T2, state="PAUSED"),                                # STATE
    rec(T3, scopes=[NP, CP]),                               # SCOPES
    rec(T4, created_at="2026-01-10 09:00:00Z"),             # TIMESTAMP
    rec(US, revoked_by="ADMIN", state="PAUSED"),            # FIELD before STATE
    rec(12345),                                             # FIELD, no fingerprint
    rec(T1.replace("1111", "5555"), raw_scopes=[NP, None]),  # FIELD: null in scopes
    rec(T1.replace("1111", "6666"), raw_scopes=[]),         # SCOPES: empty
))], [
    ("tokens.jsonl", 1, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 2, "RECORD_INVALID", "STATE"),
    ("tokens.jsonl", 3, "RECORD_INVALID", "SCOPES"),
    ("tokens.jsonl", 4, "RECORD_INVALID", "TIMESTAMP"),
    ("tokens.jsonl", 5, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 6, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 7, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 8, "RECORD_INVALID", "SCOPES"),
])
case("invalid/attempts", [("tokens.jsonl", text(
    rec(T1, attempts=["2026-01-10T09:00:00Z", "2026-01-11T09:00:00Z"]),   # valid attempts: no finding of their own
    rec(T2, attempts=["2026-01-10 09:00:00Z"]),                            # TIMESTAMP
    rec(T3, attempts=["2026-01-10T09:00:00Z", 7]),                         # FIELD: not a string
    rec(T4, raw_attempts=[None]),                                          # FIELD: null entry
    rec(US, attempts="2026-01-10T09:00:00Z"),                              # FIELD: not an array
))], [
    ("tokens.jsonl", 2, "RECORD_INVALID", "TIMESTAMP"),
    ("tokens.jsonl", 3, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 4, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 5, "RECORD_INVALID", "FIELD"),
])
case("invalid/no-other-finding-not-even-unknown-scope", [("tokens.jsonl", text(
    rec("krn:customer-token:eu1:bad id\n", scopes=[NP, CP, "payment:installments"], created_at=None,
        customer_id=None, revoked_at="2020-01-01T00:00:00Z", last_used_at="2030-01-01T00:00:00Z"),
))], [
    ("tokens.jsonl", 1, "RECORD_INVALID", "SCOPES"),
], options={"policy": {"allowed_regions": ["us1"]}, "now": "2026-11-30T00:00:00Z", "stale_days": 1})
case("invalid/duplicate-token-on-an-invalid-record", [("tokens.jsonl", text(
    rec(T1),
    rec(T1, state="PAUSED"),
    rec(T2, scopes=None),
    rec(T2),
))], [
    ("tokens.jsonl", 2, "RECORD_INVALID", "STATE"),
    ("tokens.jsonl", 2, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
    ("tokens.jsonl", 3, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 4, "DUPLICATE_TOKEN", None, "tokens.jsonl", 3),
])
case("invalid/non-string-token-never-duplicates", [("tokens.jsonl", text(
    rec(["x"]), rec(["x"]),
))], [
    ("tokens.jsonl", 1, "RECORD_INVALID", "FIELD"),
    ("tokens.jsonl", 2, "RECORD_INVALID", "FIELD"),
])
case("invalid/reference-over-255-characters", [("tokens.jsonl", text(
    rec(T1, customer_token_reference="é" * 256), rec(T2, customer_token_reference="é" * 255),
))], [
    ("tokens.jsonl", 1, "RECORD_INVALID", "FIELD"),
])

# ---------------------------------------------------------------- token
case("token/malformed-and-wrong-type", [("tokens.jsonl", text(
    rec(T1 + "\n"),
    rec(""),
    rec("krn:customer-token:EU1:abc"),
    rec("krn:payment:eu1:klarna-network-session-token:5e4d3c2b"),
    rec("krn:"),
    rec("customer-token:eu1:abc"),
))], [
    ("tokens.jsonl", 1, "TOKEN_MALFORMED", "INVALID_CHARACTER"),
    ("tokens.jsonl", 2, "TOKEN_MALFORMED", "EMPTY"),
    ("tokens.jsonl", 3, "TOKEN_MALFORMED", "BAD_REGION"),
    ("tokens.jsonl", 4, "TOKEN_WRONG_TYPE", None),
    ("tokens.jsonl", 5, "TOKEN_WRONG_TYPE", None),
    ("tokens.jsonl", 6, "TOKEN_MALFORMED", "NOT_A_KRN"),
])
case("token/unknown-scope-once-per-record", [("tokens.jsonl", text(
    rec(T1, scopes=[NP, "payment:installments", "profile:read"]),
    rec(T2, scopes=[CP, "customer:login"]),
))], [
    ("tokens.jsonl", 1, "UNKNOWN_SCOPE", None),
])
case("token/region-not-allowed", [("tokens.jsonl", text(
    rec(US),
    rec(T1),
    rec("krn:customer-token:us1:bad id"),
    rec("krn:partner:us1:test:identity:customer-token:abc"),
))], [
    ("tokens.jsonl", 1, "REGION_NOT_ALLOWED", "us1"),
    ("tokens.jsonl", 3, "TOKEN_MALFORMED", "INVALID_CHARACTER"),
    ("tokens.jsonl", 4, "REGION_NOT_ALLOWED", "us1"),
], options={"policy": {"allowed_regions": ["eu1"], "require_token_reference": True}})
case("token/no-policy-no-region-finding", [("tokens.jsonl", text(rec(US)))], [])

# ---------------------------------------------------------------- fields
case("fields/missing", [("tokens.jsonl", text(
    rec(T1, customer_token_reference=None, created_at=None, last_used_at=None, customer_id=None),
    rec(T2, raw_created_at=None, raw_customer_id=None, subscription_id="sub-2"),
    rec(T3, customer_token_reference=None),
))], [
    ("tokens.jsonl", 1, "MISSING_FIELD", "created_at"),
    ("tokens.jsonl", 1, "MISSING_FIELD", "customer_token_reference"),
    ("tokens.jsonl", 1, "MISSING_FIELD", "customer_id"),
    ("tokens.jsonl", 2, "MISSING_FIELD", "created_at"),
    ("tokens.jsonl", 3, "MISSING_FIELD", "customer_token_reference"),
])
case("fields/revocation", [("tokens.jsonl", text(
    revoked(T1, revoked_at=None, revoked_by=None),
    revoked(T2, revoked_by=None),
    rec(T3, revoked_at="2026-11-01T00:00:00Z", revoked_by="PARTNER"),
    rec(T4, raw_revoked_at=None, revoked_by="KLARNA"),
))], [
    ("tokens.jsonl", 1, "REVOKED_INCOMPLETE", "revoked_at"),
    ("tokens.jsonl", 1, "REVOKED_INCOMPLETE", "revoked_by"),
    ("tokens.jsonl", 2, "REVOKED_INCOMPLETE", "revoked_by"),
    ("tokens.jsonl", 3, "REVOKED_FIELDS_ON_ACTIVE", "revoked_at"),
    ("tokens.jsonl", 3, "REVOKED_FIELDS_ON_ACTIVE", "revoked_by"),
    ("tokens.jsonl", 4, "REVOKED_FIELDS_ON_ACTIVE", "revoked_by"),
])

# ---------------------------------------------------------------- time
case("time/timeline", [("tokens.jsonl", text(
    revoked(T1, created_at="2026-03-10T00:00:00Z", last_used_at="2026-03-07T00:00:00Z", revoked_at="2026-03-05T00:00:00Z"),
    rec(T2, created_at="2026-03-10T00:00:00.5Z", last_used_at="2026-03-10T00:00:00.50Z"),
    rec(T3, created_at="2026-03-10T01:00:00+01:00", last_used_at="2026-03-09T23:59:59.999999999Z"),
    revoked(T4, last_used_at="2026-11-01T00:00:00.000001Z"),
    revoked(US, created_at="2026-03-10T00:00:00Z", last_used_at=None, revoked_at="2026-03-10T00:00:00Z"),
))], [
    ("tokens.jsonl", 1, "TIMELINE", "USED_BEFORE_CREATED"),
    ("tokens.jsonl", 1, "TIMELINE", "REVOKED_BEFORE_CREATED"),
    ("tokens.jsonl", 1, "TIMELINE", "USED_AFTER_REVOKED"),
    ("tokens.jsonl", 3, "TIMELINE", "USED_BEFORE_CREATED"),
    ("tokens.jsonl", 4, "TIMELINE", "USED_AFTER_REVOKED"),
])
case("time/future", [("tokens.jsonl", text(
    revoked(T1, created_at="2026-12-01T00:00:00Z", last_used_at="2026-12-02T00:00:00Z", revoked_at="2026-12-03T00:00:00Z"),
    rec(T2, created_at="2026-11-30T00:00:00Z", last_used_at="2026-11-30T01:00:00+01:00"),
    rec(T3, created_at="2026-11-29T00:00:00Z", last_used_at="2026-11-30T00:00:00.001Z"),
))], [
    ("tokens.jsonl", 1, "FUTURE_TIMESTAMP", "created_at"),
    ("tokens.jsonl", 1, "FUTURE_TIMESTAMP", "last_used_at"),
    ("tokens.jsonl", 1, "FUTURE_TIMESTAMP", "revoked_at"),
    ("tokens.jsonl", 3, "FUTURE_TIMESTAMP", "last_used_at"),
], options={"now": "2026-11-30T00:00:00Z"})
case("time/future-needs-now", [("tokens.jsonl", text(rec(T1, created_at="9999-12-31T23:59:59Z", last_used_at=None)))], [])
case("time/stale", [("tokens.jsonl", text(
    rec(T1, created_at="2026-01-01T00:00:00Z", last_used_at="2026-10-31T00:00:00Z"),       # exactly 30 days: not stale
    rec(T2, created_at="2026-01-01T00:00:00Z", last_used_at="2026-10-30T23:59:59.9Z"),     # just over
    rec(T3, created_at="2026-10-01T00:00:00Z", last_used_at=None),                         # only created_at, 60 days
    rec(T4, created_at="2026-11-20T00:00:00Z", last_used_at="2026-01-01T00:00:00Z"),       # the later one counts
    revoked(US, created_at="2020-01-01T00:00:00Z", last_used_at="2020-02-01T00:00:00Z", revoked_at="2020-03-01T00:00:00Z"),
    rec(T1.replace("1111", "7777"), created_at=None, last_used_at=None),                   # nothing to judge by
))], [
    ("tokens.jsonl", 2, "STALE", None),
    ("tokens.jsonl", 3, "STALE", None),
    ("tokens.jsonl", 4, "TIMELINE", "USED_BEFORE_CREATED"),
    ("tokens.jsonl", 6, "MISSING_FIELD", "created_at"),
], options={"now": "2026-11-30T00:00:00Z", "stale_days": 30})
case("time/stale-zero-days", [("tokens.jsonl", text(
    rec(T1, created_at="2026-11-29T00:00:00Z", last_used_at="2026-11-30T00:00:00Z"),
    rec(T2, created_at="2026-11-29T00:00:00Z", last_used_at="2026-11-29T23:59:59.999Z"),
))], [
    ("tokens.jsonl", 2, "STALE", None),
], options={"now": "2026-11-30T00:00:00Z", "stale_days": 0})

# ---------------------------------------------------------------- order
case("order/several-findings-on-one-record", [("tokens.jsonl", text(
    rec(T1),
    rec(T1 + " ", scopes=[NP, "payment:installments"], customer_token_reference=None, customer_id=None,
        created_at="2026-12-10T00:00:00Z", last_used_at="2026-12-01T00:00:00Z", revoked_at="2026-12-05T00:00:00Z",
        revoked_by="PARTNER"),
    rec(US, scopes=[NP, "x:y"], created_at="2025-01-01T00:00:00Z", last_used_at="2025-02-01T00:00:00Z",
        customer_token_reference="ref-" + hashlib.sha256(T1.encode()).hexdigest()[:8]),
    rec(T1, created_at=None, customer_id=None, revoked_by="KLARNA", last_used_at="2027-01-01T00:00:00Z"),
))], [
    ("tokens.jsonl", 2, "TOKEN_MALFORMED", "INVALID_CHARACTER"),
    ("tokens.jsonl", 2, "UNKNOWN_SCOPE", None),
    ("tokens.jsonl", 2, "MISSING_FIELD", "customer_token_reference"),
    ("tokens.jsonl", 2, "MISSING_FIELD", "customer_id"),
    ("tokens.jsonl", 2, "REVOKED_FIELDS_ON_ACTIVE", "revoked_at"),
    ("tokens.jsonl", 2, "REVOKED_FIELDS_ON_ACTIVE", "revoked_by"),
    ("tokens.jsonl", 2, "TIMELINE", "USED_BEFORE_CREATED"),
    ("tokens.jsonl", 2, "TIMELINE", "REVOKED_BEFORE_CREATED"),
    ("tokens.jsonl", 2, "FUTURE_TIMESTAMP", "created_at"),
    ("tokens.jsonl", 2, "FUTURE_TIMESTAMP", "last_used_at"),
    ("tokens.jsonl", 2, "FUTURE_TIMESTAMP", "revoked_at"),
    ("tokens.jsonl", 3, "UNKNOWN_SCOPE", None),
    ("tokens.jsonl", 3, "REGION_NOT_ALLOWED", "us1"),
    ("tokens.jsonl", 3, "STALE", None),
    ("tokens.jsonl", 3, "DUPLICATE_REFERENCE", None, "tokens.jsonl", 1),
    ("tokens.jsonl", 4, "MISSING_FIELD", "created_at"),
    ("tokens.jsonl", 4, "MISSING_FIELD", "customer_id"),
    ("tokens.jsonl", 4, "REVOKED_FIELDS_ON_ACTIVE", "revoked_by"),
    ("tokens.jsonl", 4, "FUTURE_TIMESTAMP", "last_used_at"),
    ("tokens.jsonl", 4, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
], options={"policy": {"allowed_regions": ["eu1"]}, "now": "2026-11-30T00:00:00Z", "stale_days": 90})

# ---------------------------------------------------------------- duplicates
case("duplicates/token-across-two-files", [
    ("a.jsonl", text(rec(T2), rec(T1))),
    ("b.jsonl", text("", "", rec(T1, customer_token_reference="ref-other"), rec(T3), rec(T1, state="REVOKED",
                                                                                          revoked_at="2026-11-01T00:00:00Z",
                                                                                          revoked_by="CUSTOMER"))),
], [
    ("b.jsonl", 3, "DUPLICATE_TOKEN", None, "a.jsonl", 2),
    ("b.jsonl", 5, "DUPLICATE_TOKEN", None, "a.jsonl", 2),
])
case("duplicates/reference-across-files-with-an-empty-file", [
    ("a.jsonl", text(rec(T1, customer_token_reference="r-7"))),
    ("empty.jsonl", ""),
    ("c.jsonl", text(rec(T2, customer_token_reference="r-7"))),
], [
    ("c.jsonl", 1, "DUPLICATE_REFERENCE", None, "a.jsonl", 1),
])
case("duplicates/reference-a-b-c", [("tokens.jsonl", text(
    rec(T1, customer_token_reference="r"),
    rec(T2, customer_token_reference="r"),
    rec(T1, customer_token_reference="r"),
))], [
    ("tokens.jsonl", 2, "DUPLICATE_REFERENCE", None, "tokens.jsonl", 1),
    ("tokens.jsonl", 3, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
])
case("duplicates/reference-shared-by-active-and-revoked", [("tokens.jsonl", text(
    revoked(T1, customer_token_reference="r"),
    rec(T2, customer_token_reference="r"),
    revoked(T3, customer_token_reference="r"),
    rec(T4, customer_token_reference="r"),
))], [
    ("tokens.jsonl", 4, "DUPLICATE_REFERENCE", None, "tokens.jsonl", 2),
])
case("duplicates/invalid-records-never-count-for-references", [("tokens.jsonl", text(
    rec(T1, customer_token_reference="r", state="PAUSED"),
    rec(T2, customer_token_reference="r"),
    rec(T3, customer_token_reference="r", scopes=[]),
))], [
    ("tokens.jsonl", 1, "RECORD_INVALID", "STATE"),
    ("tokens.jsonl", 3, "RECORD_INVALID", "SCOPES"),
])
case("duplicates/empty-reference-is-no-reference", [("tokens.jsonl", text(
    rec(T1, customer_token_reference=""),
    rec(T2, customer_token_reference=""),
))], [])
case("duplicates/same-reference-same-token", [("tokens.jsonl", text(
    rec(T1, customer_token_reference="r"),
    rec(T1, customer_token_reference="r"),
))], [
    ("tokens.jsonl", 2, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
])
case("duplicates/escaped-token-is-the-same-string", [("tokens.jsonl", text(
    rec(T1),
    rec(T1).replace("krn:customer", "krn:\\u0063ustomer"),
))], [
    ("tokens.jsonl", 2, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
])
case("duplicates/first-record-is-the-related-one", [("tokens.jsonl", text(
    rec(T1), rec(T1), rec(T1),
))], [
    ("tokens.jsonl", 2, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
    ("tokens.jsonl", 3, "DUPLICATE_TOKEN", None, "tokens.jsonl", 1),
])


def fingerprint_of(line):
    try:
        record = json.loads(line)
    except ValueError:
        return None
    token = record.get("customer_token") if isinstance(record, dict) else None
    if not isinstance(token, str):
        return None
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def lines_of(data):
    """The export's lines as vault.md V2 numbers them (LF only)."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def build():
    cases = []
    names = set()
    for name, options, files, findings in CASES:
        assert name not in names, name
        names.add(name)
        out_files = []
        contents = {}
        for file_name, data in files:
            raw = data.encode("utf-8") if isinstance(data, str) else data
            contents[file_name] = lines_of(raw)
            try:
                out_files.append({"name": file_name, "text": raw.decode("utf-8")})
            except UnicodeDecodeError:
                out_files.append({"name": file_name, "base64": base64.b64encode(raw).decode("ascii")})
        expect = []
        for finding in findings:
            file_name, line, code, detail = finding[:4]
            related_file, related_line = finding[4:] if len(finding) > 4 else (None, None)
            source = contents[file_name][line - 1]
            fp = None if code == "RECORD_UNREADABLE" else fingerprint_of(source.decode("utf-8"))
            expect.append({"file": file_name, "line": line, "code": code, "severity": SEVERITY[code],
                           "detail": detail, "fingerprint": fp,
                           "related_line": related_line, "related_file": related_file})
        cases.append({"name": name, "options": options, "files": out_files, "findings": expect})
    return {
        "description": "Vault lint vectors (vault.md): record exports, lint options, and every finding the "
                       "command line prints for them, in order. Written by tests/vectors/gen/gen_vault.py.",
        "cases": cases,
    }


def main():
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
