"""No raw token, nor its id, in any repr, str or exception text.

A token with a unique id is run through everything the binding does; every
text a person could see (repr, str, exception messages and tracebacks, the
engine's raw answers) is collected and searched for the id. The one allowed
exception is ``Transition.record``, the partner's own stored data, which
must carry the token verbatim (but its repr/str must not).
"""

from __future__ import annotations

import json
import traceback
import uuid
from typing import Any, Callable

import ctpolicy

SECRET_ID = "SeCrEt" + uuid.uuid4().hex  # unique, so a hit can only be a leak
TOKEN = f"krn:customer-token:eu1:{SECRET_ID}"
AT = "2024-05-01T10:00:00Z"
LATER = "2024-06-01T10:00:00Z"


def _texts(value: Any) -> list[str]:
    out = [repr(value), str(value)]
    if isinstance(value, ctpolicy.Decision):
        out += [repr(v) for v in value.violations + value.warnings]
        out.append(json.dumps(value.raw))
        out.append(repr(value.token))
    if isinstance(value, BaseException):
        out.append("".join(traceback.format_exception(value)))
        out += [str(a) for a in value.args]
        if isinstance(value, ctpolicy.Error):
            out += [str(value.message), str(value.code), str(value.detail), str(value.path)]
            out.append(json.dumps(value.raw))
    return out


def _run(seen: list[str], fn: Callable[[], Any]) -> Any:
    try:
        result = fn()
    except (ctpolicy.Error, TypeError, ValueError) as err:  # library errors and binding faults alike
        seen.extend(_texts(err))
        return err
    seen.extend(_texts(result))
    return result


def test_token_never_leaks() -> None:
    seen: list[str] = []
    cnp = "payment:customer_not_present"
    record = {"customer_token": TOKEN, "scopes": [cnp], "state": "ACTIVE", "last_used_at": AT}
    malformed = [
        TOKEN + "\n",
        TOKEN + " ",
        TOKEN + "!",
        TOKEN.replace("eu1", "EU1"),
        "krn:customer-token:eu1:" + SECRET_ID + ":x",
        "krn:payment:eu1:transaction:" + SECRET_ID,
        SECRET_ID,
        TOKEN + "x" * 1100,
        TOKEN + "\u00e9",
    ]
    headers_variants: list[dict[str, Any]] = [{"Klarna-Customer-Token": t} for t in [TOKEN, *malformed]]
    headers_variants.append({"Klarna-Customer-Token": TOKEN, "klarna-customer-token": TOKEN})

    with ctpolicy.Engine({"allowed_regions": ["us1"], "min_charge_interval_seconds": 3600}) as engine:
        seen.append(repr(engine))
        for headers in headers_variants:
            for present in (True, False):
                for rec in (
                    record,
                    {**record, "customer_token": TOKEN + "other"},
                    {**record, "state": "REVOKED"},
                    {**record, "state": "PAUSED"},
                    {**record, "customer_token": 42},
                    {**record, "customer_token": TOKEN + "\n"},
                    None,
                ):
                    request: dict[str, Any] = {
                        "customer_present": present,
                        "headers": headers,
                        "body": {
                            "currency": "EUR",
                            "request_payment_transaction": {"amount": 100, "payment_transaction_reference": "order-1"},
                        },
                        "now": LATER,
                    }
                    if rec is not None:
                        request["token_record"] = rec
                    _run(seen, lambda: engine.check(request))
                    _run(seen, lambda: engine.check(json.dumps(request)))
        # envelope faults with the token where a token goes
        head = '{"customer_present": true, "body": {}, "headers": {"Klarna-Customer-Token": "' + TOKEN
        _run(seen, lambda: engine.check(head))
        _run(seen, lambda: engine.check(head + '", "Klarna-Customer-Token": "' + TOKEN + '"}}'))
        _run(seen, lambda: engine.check(head + '\\x"}}'))
        _run(seen, lambda: engine.check(head + '\u0001"}}'))
        _run(seen, lambda: engine.check(head + '\\ud800"}}'))
        _run(seen, lambda: engine.check(head.encode() + b'\xff"}}'))
        _run(seen, lambda: engine.check(head + '"}, "token_record": {"customer_token": "' + TOKEN + '"}, "x": 1}'))
        _run(seen, lambda: engine.check({"customer_present": True, "body": {}, "headers": {"Klarna-Customer-Token": {TOKEN}}}))
        _run(seen, lambda: engine.check({"customer_present": True, "body": {}, "headers": {"Klarna-Customer-Token": [TOKEN]}}))

    # parse_token, good and bad
    for value in [TOKEN, *malformed]:
        _run(seen, lambda: ctpolicy.parse_token(value))
        _run(seen, lambda: ctpolicy.parse_token(value.encode("utf-8")))
    _run(seen, lambda: ctpolicy.parse_token(TOKEN.encode() + b"\xff"))

    # lifecycle
    response: dict[str, Any] = {
        "result": "APPROVED",
        "customer_token": {"customer_token": TOKEN, "scopes": [cnp], "customer_token_reference": "ref-1"},
    }
    tokenized = _run(seen, lambda: ctpolicy.apply_event(None, {"type": "TOKENIZED", "at": AT, "response": response}))
    assert isinstance(tokenized, ctpolicy.Transition) and tokenized.record is not None
    assert tokenized.record["customer_token"] == TOKEN  # verbatim, as it must be
    assert SECRET_ID in str(tokenized.record)  # positive control: the search works
    assert SECRET_ID not in repr(tokenized) and "<redacted sha256:" in repr(tokenized)
    charged = _run(seen, lambda: ctpolicy.apply_event(tokenized.record, {"type": "CHARGED", "at": LATER}))
    revoked = _run(seen, lambda: ctpolicy.apply_event(charged.record, {"type": "REVOKED", "at": LATER, "by": "KLARNA"}))
    _run(seen, lambda: ctpolicy.apply_event(revoked.record, {"type": "CHARGED", "at": LATER}))
    for bad in malformed:
        bad_response = {**response, "customer_token": {**response["customer_token"], "customer_token": bad}}
        _run(seen, lambda: ctpolicy.apply_event(None, {"type": "TOKENIZED", "at": AT, "response": bad_response}))
    _run(seen, lambda: ctpolicy.apply_event(tokenized.record, {"type": "TOKENIZED", "at": AT, "response": response}))
    _run(seen, lambda: ctpolicy.apply_event({**record, "state": "PAUSED"}, {"type": "CHARGED", "at": AT}))
    _run(seen, lambda: ctpolicy.apply_event(record, {"type": "NOPE", "at": AT}))
    _run(seen, lambda: ctpolicy.apply_event(record, {"type": "REVOKED", "at": AT, "by": "ME"}))
    _run(seen, lambda: ctpolicy.apply_event(record, {"type": "CHARGED", "at": "yesterday"}))
    _run(seen, lambda: ctpolicy.apply_event({**record, "scopes": []}, {"type": "CHARGED", "at": AT}))
    _run(seen, lambda: ctpolicy.apply_event('{"customer_token": "' + TOKEN, {"type": "CHARGED", "at": AT}))
    _run(seen, lambda: ctpolicy.apply_event({"customer_token": {TOKEN}}, {"type": "CHARGED", "at": AT}))
    _run(
        seen,
        lambda: ctpolicy.apply_event(
            None,
            {
                "type": "TOKENIZED",
                "at": AT,
                "response": response,
                "requested": {"scopes": ["payment:customer_present"], "customer_token_reference": "ref-2"},
            },
        ),
    )

    assert len(seen) > 500
    leaks = [text for text in seen if SECRET_ID in text]
    assert not leaks, f"{len(leaks)} texts show the token id, e.g. {leaks[0][:300]!r}"
