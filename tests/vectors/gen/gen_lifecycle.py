"""Writes ../lifecycle.json: apply_event of rules.md section 7."""
import copy
import json
import os

import model
from common import *  # noqa: F401,F403

CASES = []
NAMES = set()
NO = object()  # no "record" key in the case at all


def L(name, record=NO, event=None, record_text=None, event_text=None,
      changed=None, has=None, lacks=(), code=None, detail=None, status="TRANSITION_REJECTED", record_out=None):
    """has: fields the output record must hold with these values (checked
    against the model); record_out: the full expected record, written by hand."""
    assert name not in NAMES, name
    NAMES.add(name)
    case = {"name": name}
    if record is not NO:
        case["record"] = record
    if record_text is not None:
        assert record is NO
        case["record_text"] = record_text
    if event_text is not None:
        assert event is None
        case["event_text"] = event_text
    else:
        case["event"] = event
    if status == "INVALID_REQUEST":
        err = {"status": status}
        if code:
            err["code"] = code
        case["expect"] = {"error": err}
        CASES.append(case)
        return
    rec_v = None if record is NO else record
    if record_text is not None:
        rec_v = json.loads(record_text)
    ev_v = event if event_text is None else json.loads(event_text)
    try:
        out, ch = model.apply_event(copy.deepcopy(rec_v), copy.deepcopy(ev_v))
        got = ("ok", out, ch)
    except model.Rejected as r:
        got = ("err", r.code, r.detail)
    if code is not None:
        assert got == ("err", code, detail), (name, got)
        err = {"status": status, "code": code}
        if detail is not None:
            err["detail"] = detail
        case["expect"] = {"error": err}
    else:
        assert got[0] == "ok" and got[2] == changed, (name, got)
        out = got[1]
        for k, v in (has or {}).items():
            assert out.get(k, NO) == v, (name, k, out.get(k, NO), v)
        for k in lacks:
            assert k not in out, (name, k)
        if record_out is not None:
            assert out == record_out, (name, out, record_out)
        if not changed:
            assert out == rec_v, name
        case["expect"] = {"record": out, "changed": changed}
    CASES.append(case)


def response(token=TOK, scopes=(CNP,), ref="cust_9917-streaming", result="APPROVED"):
    ct = {"customer_token": token, "scopes": list(scopes)}
    if ref is not None:
        ct["customer_token_reference"] = ref
    return {"result": result, "customer_token": ct,
            "payment_transaction": {"payment_transaction_id": "krn:payment:eu1:transaction:6dfc8bd9",
                                    "amount": 999, "currency": "EUR"}}


def tokenized(resp=None, requested=NO, **extra):
    ev = {"type": "TOKENIZED", "at": "2024-06-15T09:30:00Z",
          "response": response() if resp is None else resp}
    if requested is NO:
        ev["requested"] = {"scopes": [CNP], "customer_token_reference": "cust_9917-streaming"}
    elif requested is not None:
        ev["requested"] = requested
    ev.update(extra)
    return ev


def charged(at):
    return {"type": "CHARGED", "at": at}


def revoked(by="CUSTOMER", at="2024-06-20T14:02:11+02:00"):
    return {"type": "REVOKED", "at": at, "by": by}


REC = renewal_record()  # last_used_at 2024-05-15T09:30:12.481Z
REVOKED_REC = mod(REC, {"state": "REVOKED", "revoked_at": "2024-05-20T08:00:00Z", "revoked_by": "CUSTOMER"})

# ------------------------------------------------------------------ TOKENIZED
L("tokenized/subscription-token-creates-active-record", None,
  tokenized(customer_id="cust_9917", subscription_id="sub_9917"), changed=True,
  record_out={"customer_token": TOK, "scopes": [CNP], "state": "ACTIVE", "created_at": "2024-06-15T09:30:00Z",
              "customer_token_reference": "cust_9917-streaming", "customer_id": "cust_9917",
              "subscription_id": "sub_9917"})
L("tokenized/no-record-key-at-all", NO, tokenized(), changed=True,
  record_out={"customer_token": TOK, "scopes": [CNP], "state": "ACTIVE", "created_at": "2024-06-15T09:30:00Z",
              "customer_token_reference": "cust_9917-streaming"})
L("tokenized/ondemand-token-without-reference", None,
  tokenized(response(TOK_CP, (CP, LOGIN), ref=None), requested={"scopes": [CP, LOGIN]}), changed=True,
  record_out={"customer_token": TOK_CP, "scopes": [CP, LOGIN], "state": "ACTIVE",
              "created_at": "2024-06-15T09:30:00Z"})
L("tokenized/identity-form-token", None,
  tokenized(response(TOK_ID), requested=None), changed=True, has={"customer_token": TOK_ID})
L("tokenized/without-requested", None, tokenized(requested=None), changed=True,
  has={"customer_token_reference": "cust_9917-streaming"})
L("tokenized/unknown-granted-scope-kept", None,
  tokenized(response(scopes=(CNP, "profile:read"))), changed=True, has={"scopes": [CNP, "profile:read"]})
L("tokenized/at-stored-exactly-as-given", None,
  dict(tokenized(), at="2024-06-15t11:30:00.500000+02:00"), changed=True,
  has={"created_at": "2024-06-15t11:30:00.500000+02:00"})
L("tokenized/customer-and-subscription-id-not-strings-dropped", None,
  tokenized(customer_id=9917, subscription_id=None), changed=True, lacks=("customer_id", "subscription_id"))
L("tokenized/customer-id-kept-subscription-id-dropped", None,
  tokenized(customer_id="cust_9917", subscription_id=["sub_9917"]), changed=True,
  has={"customer_id": "cust_9917"}, lacks=("subscription_id",))
L("tokenized/unknown-event-fields-ignored", None,
  tokenized(by="PARTNER", note="first purchase", klarna_reference="abc"), changed=True,
  lacks=("note", "by", "klarna_reference", "revoked_by", "last_used_at"))
L("tokenized/requested-not-an-object-ignored", None,
  tokenized(requested=[CP, "other-reference"]), changed=True)
L("tokenized/requested-scopes-not-an-array-ignored", None,
  tokenized(requested={"scopes": CP, "customer_token_reference": "cust_9917-streaming"}), changed=True)
L("tokenized/requested-login-only-is-no-mismatch", None,
  tokenized(requested={"scopes": [LOGIN]}), changed=True)
L("tokenized/requested-null-reference-is-absent", None,
  tokenized(requested={"scopes": [CNP], "customer_token_reference": None}), changed=True)
L("tokenized/response-reference-without-requested-reference", None,
  tokenized(requested={"scopes": [CNP]}), changed=True, has={"customer_token_reference": "cust_9917-streaming"})
L("tokenized/record-json-null-means-no-record", NO, tokenized(), record_text="null", changed=True)

L("tokenized/record-already-exists", REC, tokenized(), code="INVALID_TRANSITION")
L("tokenized/on-revoked-record", REVOKED_REC, tokenized(), code="INVALID_TRANSITION")
L("tokenized/record-exists-before-response-check", REC, tokenized(resp="APPROVED"), code="INVALID_TRANSITION")
L("tokenized/response-missing", None, {"type": "TOKENIZED", "at": "2024-06-15T09:30:00Z"}, code="RESPONSE_INVALID")
L("tokenized/response-array", None, tokenized(resp=[response()]), code="RESPONSE_INVALID")
L("tokenized/declined", None, tokenized(resp=response(result="DECLINED")), code="NOT_APPROVED")
L("tokenized/result-absent", None, tokenized(resp=mod(response(), {"result": DEL})), code="NOT_APPROVED")
L("tokenized/result-lowercase", None, tokenized(resp=response(result="approved")), code="NOT_APPROVED")
L("tokenized/declined-before-token-checks", None,
  tokenized(resp={"result": "DECLINED", "decline_reason": "CUSTOMER_ABORTED"}), code="NOT_APPROVED")
L("tokenized/customer-token-missing", None, tokenized(resp={"result": "APPROVED"}), code="RESPONSE_INVALID")
L("tokenized/customer-token-a-string", None, tokenized(resp={"result": "APPROVED", "customer_token": TOK}),
  code="RESPONSE_INVALID")
L("tokenized/token-not-a-string", None,
  tokenized(resp=mod(response(), {"customer_token/customer_token": 42})), code="RESPONSE_INVALID")
L("tokenized/scopes-missing", None,
  tokenized(resp=mod(response(), {"customer_token/scopes": DEL})), code="RESPONSE_INVALID")
L("tokenized/scopes-empty", None, tokenized(resp=response(scopes=())), code="RESPONSE_INVALID")
L("tokenized/scopes-both-payment-scopes", None, tokenized(resp=response(scopes=(CNP, CP))), code="RESPONSE_INVALID")
L("tokenized/scopes-duplicate", None, tokenized(resp=response(scopes=(CNP, CNP))), code="RESPONSE_INVALID")
L("tokenized/scopes-login-only", None, tokenized(resp=response(scopes=(LOGIN,))), code="RESPONSE_INVALID")
L("tokenized/scopes-not-strings", None, tokenized(resp=response(scopes=(CNP, None))), code="RESPONSE_INVALID")
L("tokenized/reference-256-characters", None, tokenized(resp=response(ref="r" * 256), requested=None),
  code="RESPONSE_INVALID")
L("tokenized/reference-255-characters-ok", None, tokenized(resp=response(ref="\u00e9" * 255), requested=None),
  changed=True, has={"customer_token_reference": "\u00e9" * 255})
L("tokenized/reference-number", None, tokenized(resp=response(ref=9917), requested=None), code="RESPONSE_INVALID")
L("tokenized/token-bad-region", None, tokenized(resp=response(token="krn:customer-token:EU1:a1b2c3d4")),
  code="TOKEN_MALFORMED", detail="BAD_REGION")
L("tokenized/token-trailing-newline", None, tokenized(resp=response(token=TOK + "\n")),
  code="TOKEN_MALFORMED", detail="INVALID_CHARACTER")
L("tokenized/token-empty", None, tokenized(resp=response(token="")), code="TOKEN_MALFORMED", detail="EMPTY")
L("tokenized/session-token-returned", None, tokenized(resp=response(token=SESSION)), code="TOKEN_WRONG_TYPE")
L("tokenized/response-invalid-before-token-format", None,
  tokenized(resp=response(token="krn:customer-token:EU1:x", scopes=())), code="RESPONSE_INVALID")
L("tokenized/scope-grant-mismatch", None, tokenized(requested={"scopes": [CP]}), code="SCOPE_GRANT_MISMATCH")
L("tokenized/scope-grant-mismatch-both-requested", None,
  tokenized(requested={"scopes": [CNP, CP], "customer_token_reference": "cust_9917-streaming"}),
  code="SCOPE_GRANT_MISMATCH")
L("tokenized/reference-mismatch", None,
  tokenized(requested={"scopes": [CNP], "customer_token_reference": "cust_9917-music"}), code="REFERENCE_MISMATCH")
L("tokenized/reference-mismatch-absent-in-response", None,
  tokenized(resp=response(ref=None)), code="REFERENCE_MISMATCH")
L("tokenized/scope-mismatch-before-reference-mismatch", None,
  tokenized(requested={"scopes": [CP], "customer_token_reference": "other"}), code="SCOPE_GRANT_MISMATCH")
L("tokenized/token-format-before-scope-mismatch", None,
  tokenized(resp=response(token=TXN), requested={"scopes": [CP]}), code="TOKEN_WRONG_TYPE")

# ------------------------------------------------------------------ CHARGED
L("charged/first-charge-sets-last-used-at", mod(REC, {"last_used_at": DEL}), charged("2024-06-15T09:30:00Z"),
  changed=True, has={"last_used_at": "2024-06-15T09:30:00Z"})
L("charged/null-last-used-at-is-absent", mod(REC, {"last_used_at": None}), charged("2024-06-15T09:30:00Z"),
  changed=True, has={"last_used_at": "2024-06-15T09:30:00Z"})
L("charged/later-instant-moves-last-used-at", REC, charged("2024-06-15T09:30:00Z"), changed=True,
  record_out=mod(REC, {"last_used_at": "2024-06-15T09:30:00Z", "attempts": ["2024-06-15T09:30:00Z"]}))
L("charged/later-by-one-nanosecond", mod(REC, {"last_used_at": "2024-06-15T09:30:00Z"}),
  charged("2024-06-15T09:30:00.000000001Z"), changed=True, has={"last_used_at": "2024-06-15T09:30:00.000000001Z"})
L("charged/later-instant-in-other-offset-stored-as-given", REC, charged("2024-05-15T10:30:12.482+01:00"),
  changed=True, has={"last_used_at": "2024-05-15T10:30:12.482+01:00",
                     "attempts": ["2024-05-15T10:30:12.482+01:00"]})
# A record that kept its attempts: its last use is also its last attempt.
REC_A = mod(REC, {"attempts": ["2024-04-15T09:30:00Z", "2024-05-15T09:30:12.481Z"]})
L("charged/equal-instant-other-offset-changes-nothing", REC_A, charged("2024-05-15T11:30:12.481+02:00"),
  changed=False)
L("charged/equal-instant-more-fraction-digits-changes-nothing", REC_A,
  charged("2024-05-15T09:30:12.481000000Z"), changed=False)
L("charged/equal-instant-lowercase-z-changes-nothing", REC_A, charged("2024-05-15t09:30:12.481z"), changed=False)
L("charged/delivered-twice-is-counted-once", REC_A, charged("2024-05-15T09:30:12.481Z"), changed=False)
L("charged/equal-instant-without-attempts-keeps-old-string-adds-attempt", REC,
  charged("2024-05-15T11:30:12.481+02:00"), changed=True,
  record_out=mod(REC, {"attempts": ["2024-05-15T11:30:12.481+02:00"]}))
L("charged/earlier-instant-keeps-old-string", REC_A, charged("2024-05-01T00:00:00Z"), changed=True,
  record_out=mod(REC_A, {"attempts": ["2024-04-15T09:30:00Z", "2024-05-01T00:00:00Z", "2024-05-15T09:30:12.481Z"]}))
L("charged/earlier-instant-despite-later-wall-clock", REC_A, charged("2024-05-15T10:30:00+02:00"), changed=True,
  has={"last_used_at": "2024-05-15T09:30:12.481Z",
       "attempts": ["2024-04-15T09:30:00Z", "2024-05-15T10:30:00+02:00", "2024-05-15T09:30:12.481Z"]})
L("charged/earlier-by-a-fraction", REC_A, charged("2024-05-15T09:30:12.4809999Z"), changed=True,
  has={"last_used_at": "2024-05-15T09:30:12.481Z",
       "attempts": ["2024-04-15T09:30:00Z", "2024-05-15T09:30:12.4809999Z", "2024-05-15T09:30:12.481Z"]})
L("charged/null-attempts-is-absent", mod(REC, {"attempts": None}), charged("2024-06-15T09:30:00Z"), changed=True,
  has={"attempts": ["2024-06-15T09:30:00Z"]})
L("charged/unsorted-attempts-are-ordered", mod(REC_A, {"attempts": ["2024-05-15T09:30:12.481Z",
                                                                    "2024-04-15T09:30:00Z"]}),
  charged("2024-05-15T09:30:12.481Z"), changed=True,
  has={"attempts": ["2024-04-15T09:30:00Z", "2024-05-15T09:30:12.481Z"]})
L("charged/equal-instants-keep-their-order", mod(REC, {"attempts": ["2024-06-01T02:00:00+02:00",
                                                                    "2024-06-01T00:00:00Z"]}),
  charged("2024-06-15T09:30:00Z"), changed=True,
  has={"attempts": ["2024-06-01T02:00:00+02:00", "2024-06-01T00:00:00Z", "2024-06-15T09:30:00Z"]})
HUNDRED = ["2024-01-%02dT%02d:00:00Z" % (1 + i // 24, i % 24) for i in range(100)]
L("charged/the-latest-hundred-stay", mod(REC, {"attempts": HUNDRED}), charged("2024-06-15T09:30:00Z"),
  changed=True, has={"attempts": HUNDRED[1:] + ["2024-06-15T09:30:00Z"]})
L("charged/an-earlier-attempt-than-all-hundred-is-dropped", mod(REC, {"attempts": HUNDRED}),
  charged("2023-12-31T00:00:00Z"), changed=False)
L("charged/nothing-dropped-for-its-age", mod(REC, {"attempts": ["2001-01-01T00:00:00Z"]}),
  charged("2024-06-15T09:30:00Z"), changed=True,
  has={"attempts": ["2001-01-01T00:00:00Z", "2024-06-15T09:30:00Z"]})
L("charged/future-event-wipes-no-history", mod(REC, {"attempts": HUNDRED[:3]}),
  charged("2999-01-01T00:00:00Z"), changed=True,
  has={"attempts": HUNDRED[:3] + ["2999-01-01T00:00:00Z"], "last_used_at": "2999-01-01T00:00:00Z"})
L("charged/record-attempts-invalid", mod(REC, {"attempts": ["soon"]}), charged("2024-06-15T09:30:00Z"),
  code="RECORD_INVALID", detail="TIMESTAMP")
L("charged/record-attempts-not-strings", mod(REC, {"attempts": [1]}), charged("2024-06-15T09:30:00Z"),
  code="RECORD_INVALID", detail="FIELD")

# ------------------------------------------------------------------ DECLINED
def declined(at):
    return {"type": "DECLINED", "at": at}


L("declined/keeps-the-attempt-not-the-last-use", REC, declined("2024-06-15T09:30:00Z"), changed=True,
  record_out=mod(REC, {"attempts": ["2024-06-15T09:30:00Z"]}))
L("declined/first-attempt-without-last-use", mod(REC, {"last_used_at": DEL}), declined("2024-06-15T09:30:00Z"),
  changed=True, lacks=("last_used_at",), has={"attempts": ["2024-06-15T09:30:00Z"]})
L("declined/delivered-twice-is-counted-once", mod(REC, {"attempts": ["2024-06-15T09:30:00Z"]}),
  declined("2024-06-15T11:30:00+02:00"), changed=False)
L("declined/after-a-charge-at-the-same-instant", REC_A, declined("2024-05-15T09:30:12.481Z"), changed=False)
L("declined/the-latest-hundred-stay", mod(REC, {"attempts": HUNDRED}), declined("2024-06-15T09:30:00Z"),
  changed=True, has={"attempts": HUNDRED[1:] + ["2024-06-15T09:30:00Z"]})
L("declined/no-record", None, declined("2024-06-15T09:30:00Z"), code="RECORD_REQUIRED")
L("declined/revoked-record", REVOKED_REC, declined("2024-06-15T09:30:00Z"), code="TOKEN_REVOKED")
L("declined/at-missing", REC, {"type": "DECLINED"}, code="INVALID_EVENT")
L("declined/at-not-rfc3339", REC, declined("2024-06-15T09:30:60Z"), code="INVALID_EVENT")
L("declined/unknown-fields-ignored", REC, dict(declined("2024-06-15T09:30:00Z"), reason="insufficient_funds"),
  changed=True, lacks=("reason",))
L("declined/lowercase-type", REC, {"type": "declined", "at": "2024-06-15T09:30:00Z"}, code="INVALID_EVENT")
L("charged/unknown-record-fields-carried-through",
  mod(REC, {"klarna_customer_id": "kc_8842", "meta": {"plan": "premium", "seats": 3}}),
  charged("2024-06-15T09:30:00Z"), changed=True,
  has={"klarna_customer_id": "kc_8842", "meta": {"plan": "premium", "seats": 3}})
L("charged/unknown-event-fields-ignored", REC, dict(charged("2024-06-15T09:30:00Z"), amount=1299, by="PARTNER"),
  changed=True, lacks=("amount", "by", "revoked_by"))
L("charged/no-record", None, charged("2024-06-15T09:30:00Z"), code="RECORD_REQUIRED")
L("charged/no-record-json-null", NO, charged("2024-06-15T09:30:00Z"), record_text="null", code="RECORD_REQUIRED")
L("charged/revoked-record", REVOKED_REC, charged("2024-06-15T09:30:00Z"), code="TOKEN_REVOKED")
L("charged/at-missing", REC, {"type": "CHARGED"}, code="INVALID_EVENT")
L("charged/at-not-rfc3339", REC, charged("2024-06-15 09:30:00Z"), code="INVALID_EVENT")
L("charged/at-number", REC, {"type": "CHARGED", "at": 1718443800}, code="INVALID_EVENT")
L("charged/bad-at-before-no-record", None, charged("yesterday"), code="INVALID_EVENT")
L("charged/bad-at-before-revoked", REVOKED_REC, charged("2024-06-31T00:00:00Z"), code="INVALID_EVENT")

# ------------------------------------------------------------------ REVOKED
L("revoked/by-customer", REC, revoked("CUSTOMER"), changed=True,
  record_out=dict(REC, state="REVOKED", revoked_at="2024-06-20T14:02:11+02:00", revoked_by="CUSTOMER"))
L("revoked/by-partner", REC, revoked("PARTNER", "2024-06-20T12:02:11Z"), changed=True,
  has={"state": "REVOKED", "revoked_by": "PARTNER", "revoked_at": "2024-06-20T12:02:11Z",
       "last_used_at": REC["last_used_at"]})
L("revoked/by-klarna-keeps-other-fields", mod(REC, {"meta": {"source": "migration"}}), revoked("KLARNA"),
  changed=True, has={"revoked_by": "KLARNA", "meta": {"source": "migration"}, "customer_id": "cust_8842"})
L("revoked/already-revoked-is-idempotent", REVOKED_REC, revoked("PARTNER", "2024-06-21T00:00:00Z"), changed=False)
L("revoked/already-revoked-same-event", REVOKED_REC, revoked("CUSTOMER", "2024-05-20T08:00:00Z"), changed=False)
L("revoked/no-record", None, revoked("PARTNER"), code="RECORD_REQUIRED")
L("revoked/by-missing", REC, {"type": "REVOKED", "at": "2024-06-20T12:02:11Z"}, code="INVALID_EVENT")
L("revoked/by-lowercase", REC, revoked("customer"), code="INVALID_EVENT")
L("revoked/by-null", REC, revoked(None), code="INVALID_EVENT")
L("revoked/by-unknown", REC, revoked("MERCHANT"), code="INVALID_EVENT")
L("revoked/bad-by-before-idempotent-revoke", REVOKED_REC, revoked("BANK"), code="INVALID_EVENT")
L("revoked/bad-by-before-no-record", None, revoked("BANK"), code="INVALID_EVENT")
L("revoked/at-with-leap-second", REC, revoked("PARTNER", "2016-12-31T23:59:60Z"), code="INVALID_EVENT")

# ------------------------------------------------------------------ input record faults (check 1)
L("record/state-invalid", mod(REC, {"state": "PAUSED"}), charged("2024-06-15T09:30:00Z"),
  code="RECORD_INVALID", detail="STATE")
L("record/field-token-missing", mod(REC, {"customer_token": DEL}), revoked(), code="RECORD_INVALID", detail="FIELD")
L("record/scopes-invalid-before-transition-check", mod(REC, {"scopes": []}), tokenized(),
  code="RECORD_INVALID", detail="SCOPES")
L("record/timestamp-invalid", mod(REC, {"last_used_at": "2024-05-15T09:30:12.481"}), charged("2024-06-15T09:30:00Z"),
  code="RECORD_INVALID", detail="TIMESTAMP")
L("record/revoked-by-invalid-on-revoked-record", mod(REVOKED_REC, {"revoked_by": "SYSTEM"}), revoked(),
  code="RECORD_INVALID", detail="FIELD")
L("record/invalid-before-invalid-event", mod(REC, {"state": "active"}), {"type": "EXPIRED"},
  code="RECORD_INVALID", detail="STATE")
L("record/field-before-timestamp", mod(REC, {"customer_id": 1, "created_at": "never"}), charged("2024-06-15T09:30:00Z"),
  code="RECORD_INVALID", detail="FIELD")
L("record/json-array-is-field-fault", NO, charged("2024-06-15T09:30:00Z"), record_text="[]",
  code="RECORD_INVALID", detail="FIELD")
L("record/json-string-is-field-fault", NO, charged("2024-06-15T09:30:00Z"), record_text='"%s"' % TOK,
  code="RECORD_INVALID", detail="FIELD")

# ------------------------------------------------------------------ event faults (check 2)
L("event/unknown-type", REC, {"type": "EXPIRED", "at": "2024-06-15T09:30:00Z"}, code="INVALID_EVENT")
L("event/type-lowercase", REC, {"type": "charged", "at": "2024-06-15T09:30:00Z"}, code="INVALID_EVENT")
L("event/type-missing", REC, {"at": "2024-06-15T09:30:00Z"}, code="INVALID_EVENT")
L("event/tokenized-bad-at-before-record-exists", REC, dict(tokenized(), at="2024-06-15"), code="INVALID_EVENT")
L("event/json-array", REC, event_text='[{"type":"CHARGED","at":"2024-06-15T09:30:00Z"}]', code="INVALID_EVENT")
L("event/json-null", REC, event_text="null", code="INVALID_EVENT")

# ------------------------------------------------------------------ JSON faults
L("json/event-duplicate-key", REC,
  event_text='{"type":"CHARGED","at":"2024-06-15T09:30:00Z","at":"2024-06-16T09:30:00Z"}',
  status="INVALID_REQUEST", code="DUPLICATE_KEY")
L("json/event-duplicate-key-after-unescaping", REC,
  event_text='{"type":"REVOKED","at":"2024-06-15T09:30:00Z","by":"PARTNER","\\u0062y":"KLARNA"}',
  status="INVALID_REQUEST", code="DUPLICATE_KEY")
L("json/record-duplicate-key", NO, charged("2024-06-15T09:30:00Z"),
  record_text=('{"customer_token":"%s","scopes":["%s"],"state":"ACTIVE","state":"REVOKED"}' % (TOK, CNP)),
  status="INVALID_REQUEST", code="DUPLICATE_KEY")
L("json/event-syntax-error", REC, event_text='{"type":"CHARGED","at":', status="INVALID_REQUEST",
  code="JSON_SYNTAX")
L("json/record-unpaired-surrogate", NO, charged("2024-06-15T09:30:00Z"),
  record_text=('{"customer_token":"%s","scopes":["%s"],"state":"ACTIVE","customer_id":"\\udfff"}' % (TOK, CNP)),
  status="INVALID_REQUEST", code="UNPAIRED_SURROGATE")


def main():
    doc = {"description": ("Token lifecycle vectors: apply_event(record, event) of rules.md section 7 "
                           "and DECISIONS.md 11-12. Written by tests/vectors/gen/gen_lifecycle.py."),
           "cases": CASES}
    write_json(os.path.join(VECTORS, "lifecycle.json"), doc)
    print("lifecycle.json: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
