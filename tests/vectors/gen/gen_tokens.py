"""Writes ../tokens.json: the token format of docs/RULES.md section 2 alone."""
import os

import model
from common import *  # noqa: F401,F403

CASES = []
NAMES = set()


def ok(name, token, form, region, env):
    assert name not in NAMES, name
    NAMES.add(name)
    kind, info = model.parse_token(token)
    exp = {"form": form, "region": region, "environment": env, "fingerprint": model.fingerprint(token)}
    assert kind == "ok" and info == exp, (name, kind, info)
    CASES.append({"name": name, "token": token, "expect": exp})


def bad(name, token, detail):
    assert name not in NAMES, name
    NAMES.add(name)
    kind, info = model.parse_token(token)
    if detail is None:
        assert kind == "wrong_type", (name, kind, info)
        err = {"status": "TOKEN_INVALID", "code": "TOKEN_WRONG_TYPE"}
    else:
        assert kind == "malformed" and info == detail, (name, kind, info)
        err = {"status": "TOKEN_INVALID", "code": "TOKEN_MALFORMED", "detail": detail}
    CASES.append({"name": name, "token": token, "expect": {"error": err}})


NET = "krn:customer-token:eu1:"

# ------------------------------------------------------------------ well-formed
ok("network/eu1-uuid", TOK, "network", "eu1", None)
ok("network/us1-uuid", TOK_US, "network", "us1", None)
ok("network/region-three-digits", "krn:customer-token:ap123:a1b2c3d4", "network", "ap123", None)
ok("network/id-one-character", NET + "a", "network", "eu1", None)
ok("network/id-255-characters", NET + "Z" * 255, "network", "eu1", None)
ok("network/id-every-allowed-character", NET + "AZaz09._~-", "network", "eu1", None)
ok("network/id-only-punctuation", NET + "~._-", "network", "eu1", None)
ok("network/id-equal-to-segment-name", NET + "customer-token", "network", "eu1", None)
ok("identity/live", TOK_ID, "identity", "us1", "live")
ok("identity/test", TOK_ID_TEST, "identity", "eu1", "test")
ok("identity/id-255-characters", "krn:partner:oc1:live:identity:customer-token:" + "q" * 255,
   "identity", "oc1", "live")
ok("network/fingerprint-differs-by-one-byte", TOK[:-1] + "1", "network", "eu1", None)

# ------------------------------------------------------------------ EMPTY / TOO_LONG
bad("malformed/empty", "", "EMPTY")
ok_1024 = NET + "a" * 1001
assert len(ok_1024) == 1024
bad("length/1024-bytes-passes-length-check", ok_1024, "BAD_ID")
bad("length/1025-bytes-too-long", NET + "a" * 1002, "TOO_LONG")
bad("length/1024-bytes-wrong-type", "krn:" + "x" * 1020, None)
bad("length/1025-bytes-wrong-type-is-too-long", "krn:" + "x" * 1021, "TOO_LONG")
bad("length/1024-bytes-counted-in-bytes-not-characters", "\u00e9" * 512, "INVALID_CHARACTER")
bad("length/1025-bytes-of-multibyte-characters", "a" + "\u00e9" * 512, "TOO_LONG")

# ------------------------------------------------------------------ INVALID_CHARACTER
bad("character/trailing-newline", TOK + "\n", "INVALID_CHARACTER")
bad("character/trailing-carriage-return", TOK + "\r", "INVALID_CHARACTER")
bad("character/trailing-space", TOK + " ", "INVALID_CHARACTER")
bad("character/inner-tab", "krn:customer-token:eu1:a1b2\tc3d4", "INVALID_CHARACTER")
bad("character/nul", "krn:customer-token:eu1:a1b2\u0000", "INVALID_CHARACTER")
bad("character/del", "krn:customer-token:eu1:a1b2\u007f", "INVALID_CHARACTER")
bad("character/non-ascii", "krn:customer-token:eu1:\u00e5\u00e4\u00f6", "INVALID_CHARACTER")
bad("character/only-space", " ", "INVALID_CHARACTER")
bad("character/before-not-a-krn", "Bearer " + TOK, "INVALID_CHARACTER")

# ------------------------------------------------------------------ NOT_A_KRN
bad("prefix/bare-uuid", "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "NOT_A_KRN")
bad("prefix/uppercase-krn", "KRN:customer-token:eu1:a1b2c3d4", "NOT_A_KRN")
bad("prefix/urn", "urn:customer-token:eu1:a1b2c3d4", "NOT_A_KRN")
bad("prefix/krn-without-colon", "krn", "NOT_A_KRN")
bad("prefix/missing-krn-segment", "customer-token:eu1:a1b2c3d4", "NOT_A_KRN")
bad("prefix/before-structure", "krm:customer-token:EU1:", "NOT_A_KRN")

# ------------------------------------------------------------------ wrong type
bad("wrong-type/bare-krn", "krn:", None)
bad("wrong-type/network-session-token", SESSION, None)
bad("wrong-type/transaction-id", TXN, None)
bad("wrong-type/segment-case-differs", "krn:Customer-Token:eu1:a1b2c3d4", None)
bad("wrong-type/underscore-segment", "krn:customer_token:eu1:a1b2c3d4", None)
bad("wrong-type/colons-only", "krn:::", None)

# ------------------------------------------------------------------ BAD_STRUCTURE
bad("structure/three-segments", "krn:customer-token:eu1", "BAD_STRUCTURE")
bad("structure/two-segments", "krn:customer-token", "BAD_STRUCTURE")
bad("structure/five-segments", TOK + ":v2", "BAD_STRUCTURE")
bad("structure/segment-in-wrong-place", "krn:eu1:customer-token:a1b2c3d4", "BAD_STRUCTURE")
bad("structure/identity-env-prod", "krn:partner:us1:prod:identity:customer-token:vVQGmYzl", "BAD_STRUCTURE")
bad("structure/identity-env-uppercase", "krn:partner:us1:LIVE:identity:customer-token:vVQGmYzl", "BAD_STRUCTURE")
bad("structure/identity-six-segments", "krn:partner:us1:live:identity:customer-token", "BAD_STRUCTURE")
bad("structure/identity-eight-segments", TOK_ID + ":x", "BAD_STRUCTURE")
bad("structure/identity-wrong-fifth-segment", "krn:partner:us1:live:identities:customer-token:abc",
    "BAD_STRUCTURE")
bad("structure/identity-not-partner", "krn:merchant:us1:live:identity:customer-token:abc", "BAD_STRUCTURE")
bad("structure/before-region-and-id", "krn:partner:US:prod:identity:customer-token:a+b", "BAD_STRUCTURE")

# ------------------------------------------------------------------ BAD_REGION
bad("region/uppercase", "krn:customer-token:EU1:a1b2c3d4", "BAD_REGION")
bad("region/no-digits", "krn:customer-token:eu:a1b2c3d4", "BAD_REGION")
bad("region/four-digits", "krn:customer-token:eu1234:a1b2c3d4", "BAD_REGION")
bad("region/one-letter", "krn:customer-token:e1:a1b2c3d4", "BAD_REGION")
bad("region/three-letters", "krn:customer-token:eur1:a1b2c3d4", "BAD_REGION")
bad("region/empty", "krn:customer-token::a1b2c3d4", "BAD_REGION")
bad("region/digit-first", "krn:customer-token:1eu:a1b2c3d4", "BAD_REGION")
bad("region/identity-uppercase", "krn:partner:US1:live:identity:customer-token:vVQGmYzl", "BAD_REGION")
bad("region/before-id", "krn:customer-token:eu:", "BAD_REGION")

# ------------------------------------------------------------------ BAD_ID
bad("id/empty", NET, "BAD_ID")
bad("id/256-characters", NET + "Z" * 256, "BAD_ID")
bad("id/plus", NET + "a1b2+c3d4", "BAD_ID")
bad("id/slash", NET + "a1b2/c3d4", "BAD_ID")
bad("id/percent-encoded", NET + "a1b2%2Fc3d4", "BAD_ID")
bad("id/equals-padding", NET + "dkVRR21Z==", "BAD_ID")
bad("id/identity-empty", "krn:partner:us1:live:identity:customer-token:", "BAD_ID")


def main():
    doc = {"description": ("Customer-token format vectors (docs/RULES.md section 2, DECISIONS.md 6-7). "
                           "Written by tests/vectors/gen/gen_tokens.py."),
           "cases": CASES}
    write_json(os.path.join(VECTORS, "tokens.json"), doc)
    print("tokens.json: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
