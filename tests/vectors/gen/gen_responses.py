"""Writes ../responses.json: apply_response of rules.md section 7.1, Klarna's
answer to an authorizePayment call turned into lifecycle events. Events,
`changed` and the codes are written by hand; model.py recomputes each case."""
import copy
import os

import model
from common import *  # noqa: F401,F403

CASES = []
NAMES = set()
NO = object()
AT = "2024-06-15T09:30:00.000Z"


def R(name, record, request, response=NO, at=AT, response_text=None, events=(), changed=None, has=None,
      lacks=(), record_out=NO, code=None, detail=None, status="TRANSITION_REJECTED"):
    """events: the (type) list applied, each at `at`; has: members the
    output record must hold; record_out: the whole expected record (None: no record)."""
    assert name not in NAMES, name
    NAMES.add(name)
    case = {"name": name, "record": record, "request": request}
    if response_text is not None:
        case["response_text"] = response_text
    else:
        case["response"] = response
    case["at"] = at
    if response_text is not None:
        # Not JSON, or not acceptable JSON: the model has nothing to read.
        assert code == "RESPONSE_INVALID", name
        case["expect"] = {"error": {"status": status, "code": code}}
        CASES.append(case)
        return
    try:
        got = ("ok",) + model.apply_response(copy.deepcopy(record), copy.deepcopy(request),
                                             copy.deepcopy(response), at)
    except model.EnvelopeFault as f:
        got = ("envelope", f.args[0])
    except model.Rejected as r:
        got = ("err", r.code, r.detail)
    if status == "INVALID_REQUEST":
        assert got == ("envelope", code), (name, got)
        case["expect"] = {"error": {"status": status, "code": code}}
    elif code is not None:
        assert got == ("err", code, detail), (name, got)
        err = {"status": status, "code": code}
        if detail is not None:
            err["detail"] = detail
        case["expect"] = {"error": err}
    else:
        assert got[0] == "ok", (name, got)
        _, out, ch, evs = got
        assert ch == changed, (name, ch)
        assert [t for t, _ in evs] == list(events), (name, evs)
        for k, v in (has or {}).items():
            assert out.get(k, NO) == v, (name, k, out.get(k, NO), v)
        for k in lacks:
            assert k not in out, (name, k)
        if record_out is not NO:
            assert out == record_out, (name, out, record_out)
        case["expect"] = {"record": out, "changed": ch,
                          "events": [{"type": t, "at": a} for t, a in evs]}
    CASES.append(case)


def payment(result="APPROVED"):
    return {"payment_transaction_response": {
        "result": result, "payment_transaction": {"payment_transaction_id": TXN, "amount": 1299, "currency": "EUR"}}}


def token_response(token=TOK, scopes=(CNP,), ref="cust_9917-streaming", result="APPROVED"):
    ct = {"customer_token": token, "scopes": list(scopes)}
    if ref is not None:
        ct["customer_token_reference"] = ref
    return {"customer_token_response": {"result": result, "customer_token": ct}}


def both(*parts):
    out = {}
    for p in parts:
        out.update(p)
    return out


REC = renewal_record()  # last_used_at 2024-05-15T09:30:12.481Z
REN = renewal()
del REN["token_record"]
REVOKED_REC = mod(REC, {"state": "REVOKED", "revoked_at": "2024-05-20T08:00:00Z", "revoked_by": "CUSTOMER"})
SIGNUP = signup()

# ------------------------------------------------------------------ a renewal's answer
R("renewal/approved-is-charged", REC, REN, payment(), events=["CHARGED"], changed=True,
  record_out=mod(REC, {"last_used_at": AT, "attempts": [AT]}))
R("renewal/declined-is-declined", REC, REN, payment("DECLINED"), events=["DECLINED"], changed=True,
  record_out=mod(REC, {"attempts": [AT]}))
R("renewal/step-up-required-applies-nothing", REC, REN, payment("STEP_UP_REQUIRED"), events=[], changed=False,
  record_out=REC)
R("renewal/unknown-result-counts-as-declined", REC, REN, payment("PENDING_REVIEW"), events=["DECLINED"],
  changed=True, has={"attempts": [AT]}, lacks=())
R("renewal/no-result-counts-as-declined", REC, REN, {"payment_transaction_response": {}}, events=["DECLINED"],
  changed=True, has={"attempts": [AT]})
R("renewal/result-not-a-string-counts-as-declined", REC, REN, {"payment_transaction_response": {"result": 1}},
  events=["DECLINED"], changed=True)
R("renewal/payment-response-not-an-object-counts-as-declined", REC, REN,
  {"payment_transaction_response": "APPROVED"}, events=["DECLINED"], changed=True)
R("renewal/lowercase-approved-counts-as-declined", REC, REN, payment("approved"), events=["DECLINED"],
  changed=True, has={"last_used_at": REC["last_used_at"]})
R("renewal/null-payment-response-applies-nothing", REC, REN, {"payment_transaction_response": None},
  events=[], changed=False)
R("renewal/empty-answer-applies-nothing", REC, REN, {}, events=[], changed=False, record_out=REC)
R("renewal/delivered-twice-is-counted-once", mod(REC, {"last_used_at": AT, "attempts": [AT]}), REN, payment(),
  events=["CHARGED"], changed=False)
R("renewal/same-instant-in-another-offset", mod(REC, {"last_used_at": AT, "attempts": [AT]}), REN, payment(),
  at="2024-06-15T11:30:00+02:00", events=["CHARGED"], changed=False)
R("renewal/earlier-answer-keeps-the-last-use", mod(REC, {"attempts": ["2024-05-15T09:30:12.481Z"]}), REN,
  payment(), at="2024-05-01T00:00:00Z", events=["CHARGED"], changed=True,
  has={"last_used_at": "2024-05-15T09:30:12.481Z", "attempts": ["2024-05-01T00:00:00Z", "2024-05-15T09:30:12.481Z"]})
HUNDRED = ["2024-01-%02dT%02d:00:00Z" % (1 + i // 24, i % 24) for i in range(100)]
R("renewal/the-latest-hundred-stay", mod(REC, {"attempts": HUNDRED}), REN, payment("DECLINED"),
  events=["DECLINED"], changed=True, has={"attempts": HUNDRED[1:] + [AT]})
R("renewal/answer-dated-in-the-future", REC, REN, payment(), at="2999-01-01T00:00:00Z", events=["CHARGED"],
  changed=True, has={"last_used_at": "2999-01-01T00:00:00Z", "attempts": ["2999-01-01T00:00:00Z"]})
R("renewal/unknown-record-fields-carried-through", mod(REC, {"meta": {"plan": "premium"}}), REN, payment(),
  events=["CHARGED"], changed=True, has={"meta": {"plan": "premium"}})
R("renewal/tokenization-answer-beside-a-header-is-not-a-tokenization", REC,
  mod(REN, {"body/request_customer_token": {"scopes": [CNP]}}), both(token_response(TOK_CP), payment()),
  events=["CHARGED"], changed=True, has={"customer_token": TOK})
R("renewal/header-name-in-another-case", REC, mod(REN, {"headers/" + HDR: DEL, "headers/klarna-customer-token": TOK}),
  payment(), events=["CHARGED"], changed=True)
R("renewal/no-record-given", None, REN, payment(), code="RECORD_REQUIRED")
R("renewal/no-record-given-step-up-required", None, REN, payment("STEP_UP_REQUIRED"), events=[], changed=False,
  record_out=None)
R("renewal/revoked-record", REVOKED_REC, REN, payment(), code="TOKEN_REVOKED")
R("renewal/revoked-record-declined", REVOKED_REC, REN, payment("DECLINED"), code="TOKEN_REVOKED")

# ------------------------------------------------------------------ a tokenization's answer
R("tokenization/approved-makes-the-record", None, SIGNUP, token_response(), events=["TOKENIZED"], changed=True,
  record_out={"customer_token": TOK, "scopes": [CNP], "state": "ACTIVE", "created_at": AT,
              "customer_token_reference": "cust_9917-streaming"})
R("tokenization/with-the-first-payment", None, SIGNUP, both(token_response(), payment()),
  events=["TOKENIZED", "CHARGED"], changed=True,
  record_out={"customer_token": TOK, "scopes": [CNP], "state": "ACTIVE", "created_at": AT,
              "customer_token_reference": "cust_9917-streaming", "last_used_at": AT, "attempts": [AT]})
R("tokenization/first-payment-declined", None, SIGNUP, both(token_response(), payment("DECLINED")),
  events=["TOKENIZED", "DECLINED"], changed=True, lacks=("last_used_at",), has={"attempts": [AT]})
R("tokenization/first-payment-needs-step-up", None, SIGNUP, both(token_response(), payment("STEP_UP_REQUIRED")),
  events=["TOKENIZED"], changed=True, lacks=("last_used_at", "attempts"))
R("tokenization/not-approved-applies-nothing", None, SIGNUP, token_response(result="DECLINED"), events=[],
  changed=False, record_out=None)
R("tokenization/not-approved-with-a-payment-is-a-one-time-payment", None, SIGNUP,
  both(token_response(result="DECLINED"), payment()), events=[], changed=False, record_out=None)
R("tokenization/response-not-an-object-applies-nothing", None, SIGNUP, {"customer_token_response": "APPROVED"},
  events=[], changed=False, record_out=None)
R("tokenization/answer-without-a-request-is-ignored", None, guest(), token_response(), events=[], changed=False,
  record_out=None)
R("tokenization/on-demand-token", None, signup_ondemand(),
  token_response(TOK_CP, (CP, LOGIN), ref="cust_7310-rides"), events=["TOKENIZED"], changed=True,
  has={"scopes": [CP, LOGIN]})
R("tokenization/a-record-already-given", REC, SIGNUP, token_response(), code="INVALID_TRANSITION")
R("tokenization/granted-another-scope", None, SIGNUP, token_response(scopes=(CP,)), code="SCOPE_GRANT_MISMATCH")
R("tokenization/another-reference-returned", None, SIGNUP, token_response(ref="someone-else"),
  code="REFERENCE_MISMATCH")
R("tokenization/granted-token-malformed", None, SIGNUP, token_response(token=TOK + "\n"), code="TOKEN_MALFORMED",
  detail="INVALID_CHARACTER")
R("tokenization/granted-session-token", None, SIGNUP, token_response(token=SESSION), code="TOKEN_WRONG_TYPE")
R("tokenization/granted-token-missing", None, SIGNUP, {"customer_token_response": {"result": "APPROVED"}},
  code="RESPONSE_INVALID")
R("tokenization/request-not-an-object-is-not-compared", None,
  mod(SIGNUP, {"body/request_customer_token": "please"}), token_response(ref="anything"),
  events=["TOKENIZED"], changed=True)

# ------------------------------------------------------------------ nothing to account for
R("one-time/guest-payment-applies-nothing", None, guest(), payment(), events=[], changed=False, record_out=None)
R("one-time/guest-payment-declined-applies-nothing", None, guest(), payment("DECLINED"), events=[],
  changed=False, record_out=None)

# ------------------------------------------------------------------ checks, in order
R("checks/request-envelope-fault", REC, mod(REN, {"customer_present": "no"}), payment(),
  status="INVALID_REQUEST", code="WRONG_TYPE")
R("checks/request-unknown-field", REC, mod(REN, {"surprise": 1}), payment(), status="INVALID_REQUEST",
  code="UNKNOWN_FIELD")
R("checks/request-before-record", mod(REC, {"state": "PAUSED"}), mod(REN, {"body": DEL}), payment(),
  status="INVALID_REQUEST", code="MISSING_FIELD")
R("checks/record-invalid", mod(REC, {"state": "PAUSED"}), REN, payment(), code="RECORD_INVALID", detail="STATE")
R("checks/record-attempts-invalid", mod(REC, {"attempts": ["later"]}), REN, payment(), code="RECORD_INVALID",
  detail="TIMESTAMP")
R("checks/record-before-response", mod(REC, {"scopes": []}), REN, ["not", "an", "object"], code="RECORD_INVALID",
  detail="SCOPES")
R("checks/response-an-array", REC, REN, [payment()], code="RESPONSE_INVALID")
R("checks/response-a-string", REC, REN, "APPROVED", code="RESPONSE_INVALID")
R("checks/response-null", REC, REN, None, code="RESPONSE_INVALID")
R("checks/response-before-at", REC, REN, 42, at="yesterday", code="RESPONSE_INVALID")
R("checks/at-not-rfc3339", REC, REN, payment(), at="2024-06-15 09:30:00Z", code="INVALID_EVENT")
R("checks/at-leap-second", REC, REN, payment(), at="2024-06-30T23:59:60Z", code="INVALID_EVENT")
R("checks/response-syntax-error", REC, REN, response_text='{"payment_transaction_response": ', code="RESPONSE_INVALID")
R("checks/response-duplicate-key", REC, REN,
  response_text='{"payment_transaction_response":{"result":"APPROVED","result":"DECLINED"}}', code="RESPONSE_INVALID")
R("checks/response-unpaired-surrogate", REC, REN, response_text='{"x":"\\udc00"}', code="RESPONSE_INVALID")


def main():
    doc = {"description": ("apply_response vectors: Klarna's answer to an authorizePayment call, with the "
                           "pre-flight request and the stored record, as the lifecycle events it implies "
                           "(docs/RULES.md). Written by tests/vectors/gen/gen_responses.py."),
           "cases": CASES}
    write_json(os.path.join(VECTORS, "responses.json"), doc)
    print("responses.json: %d cases" % len(CASES))


if __name__ == "__main__":
    main()
