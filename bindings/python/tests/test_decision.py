"""Decision as check() returns it: decoded when first read, yet a frozen
value equal to the eagerly decoded one; datetimes in a request dict."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import ctpolicy

TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
NOW = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=timezone.utc)


def renewal(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "customer_present": False,
        "headers": {"Klarna-Customer-Token": TOKEN, "Klarna-Idempotency-Key": "renewal-1"},
        "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299}},
        "token_record": {
            "customer_token": TOKEN,
            "scopes": ["payment:customer_not_present"],
            "state": "ACTIVE",
            "last_used_at": "2026-11-24T09:00:00Z",
        },
        "now": "2026-11-25T10:00:00.123Z",
        "counters": {"attempts_24h": 0, "attempts_30d": 1},
        "decision_id": "d-1",
    }
    request.update(changes)
    return request


STRICT = {"min_charge_interval_seconds": 86400, "allowed_currencies": ["SEK"]}


@pytest.mark.parametrize("changes", [{}, {"body": {"currency": "EUR", "request_payment_transaction": {"amount": 0}}}])
def test_lazy_decision_equals_the_eager_one(changes: dict[str, Any]) -> None:
    with ctpolicy.Engine(STRICT) as engine:
        request = renewal(**changes)
        lazy = engine.check(request)
        eager = ctpolicy.Decision.from_json(engine.check_raw(request))
    assert not hasattr(lazy, "_fields")  # nothing decoded yet (the slot is unset)
    assert lazy.allowed is False and lazy.decision == "DENY"
    assert lazy == eager and hash(lazy) == hash(eager)
    assert lazy._fields is not None
    for name in ("required_scope", "violations", "warnings", "token", "receipt", "raw", "codes", "decision_id"):
        assert getattr(lazy, name) == getattr(eager, name), name
    assert repr(lazy) == repr(eager)
    assert "CURRENCY_NOT_ALLOWED" in lazy.codes and lazy.decision_id == "d-1"
    assert pickle.loads(pickle.dumps(lazy)) == lazy


def test_each_field_read_first_decodes_it() -> None:
    with ctpolicy.Engine() as engine:
        for name in ("required_scope", "violations", "warnings", "token", "receipt", "raw"):
            fresh = engine.check(renewal())
            assert fresh.allowed
            value = getattr(fresh, name)
            assert value == getattr(ctpolicy.Decision.from_json(fresh.raw), name)


def test_decision_is_frozen(engine: ctpolicy.Engine) -> None:
    decision = engine.check(renewal())
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.allowed = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        del decision.decision
    assert decision.allowed


def test_an_unexpected_layout_is_decoded_at_once() -> None:
    text = json.dumps({"required_scope": None, "decision": "DENY", "violations": []}).encode()
    decision = ctpolicy.Decision.from_bytes(text)
    assert decision._fields is not None and decision.decision == "DENY" and not decision.allowed


def test_check_many_decisions_are_lazy_too(engine: ctpolicy.Engine) -> None:
    batch = engine.check_many([renewal(), {"customer_present": True}])
    assert (batch.allowed, batch.denied, batch.invalid) == (1, 0, 1)
    decision = batch.results[0]
    assert isinstance(decision, ctpolicy.Decision) and not hasattr(decision, "_fields")
    assert decision == engine.check(renewal())


def test_check_takes_aware_datetimes(engine: ctpolicy.Engine) -> None:
    as_text = engine.check(renewal())
    last_used = datetime(2026, 11, 24, 11, 0, tzinfo=timezone(timedelta(hours=2)))  # 09:00Z
    record = dict(renewal()["token_record"], last_used_at=last_used)
    as_datetimes = engine.check(renewal(now=NOW, token_record=record))
    assert as_datetimes.allowed and as_datetimes.raw == as_text.raw


def test_datetime_now_is_the_same_instant_as_check_charge(engine: ctpolicy.Engine) -> None:
    # The interval rule reads now and last_used_at: 1 ms short of a day is a DENY on both paths.
    last = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    now = last + timedelta(days=1) - timedelta(milliseconds=1)
    with ctpolicy.Engine({"min_charge_interval_seconds": 86400}) as strict:
        record = ctpolicy.StoredRecord(TOKEN, "ACTIVE", ["payment:customer_not_present"], last)
        verdict = strict.check_charge(
            customer_present=False, token=TOKEN, idempotency_key="renewal-1", amount=1299,
            currency="EUR", record=record, now=now, attempts_24h=0, attempts_30d=1,
        )
        request = renewal(now=now, token_record=dict(renewal()["token_record"], last_used_at=last))
        decision = strict.check(request)
    assert not verdict.allowed and verdict.codes == decision.codes
    assert "CHARGE_TOO_SOON" in decision.codes, decision.codes


def test_a_naive_datetime_is_refused(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ValueError) as info:
        engine.check(renewal(now=datetime(2026, 11, 25, 10)))
    assert not isinstance(info.value, ctpolicy.Error)
    assert "naive datetime" in str(info.value) and "tzinfo" in str(info.value)


def test_other_objects_are_still_not_json(engine: ctpolicy.Engine) -> None:
    with pytest.raises(TypeError) as info:
        engine.check(renewal(now={1, 2}))
    assert "not JSON" in str(info.value)


def test_the_request_encoder_writes_what_json_dumps_writes() -> None:
    from ctpolicy import _engine
    from support import cases

    dicts = [c["request"] for c in cases("check") if isinstance(c.get("request"), dict)]
    assert len(dicts) > 100
    for request in dicts:
        want = json.dumps(request, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")
        assert _engine.to_json_bytes(request, "request") == want


def test_the_fast_check_call_answers_what_ctp_check_json_answers(engine: ctpolicy.Engine) -> None:
    # Engine.check's own path into ctp_check_json (reused per-thread buffer,
    # unconverted arguments) against the declared one, on every check
    # vector: ALLOW, DENY and every envelope error, byte for byte (the
    # decision's own bytes, or the error the declared call's answer makes).
    from ctpolicy import _errors, _native
    from support import cases, input_bytes, input_of

    requests = [input_of(c, "request") for c in cases("check")]
    assert len(requests) > 100
    statuses = set()
    for request in [*requests, b""]:
        data = request if isinstance(request, bytes) else input_bytes(request) if request is not None else b"null"
        status, want = _native.check_json(engine._pointer, data)
        statuses.add(status)
        if status == _native.OK:
            assert engine.check(data)._data == want
        else:
            expected = _errors.from_status(status, want, ctpolicy.InvalidRequestError)
            with pytest.raises(ctpolicy.Error) as raised:
                engine.check(data)
            assert type(raised.value) is type(expected)
            assert (raised.value.status_number, raised.value.raw) == (expected.status_number, expected.raw)
    assert _native.OK in statuses and len(statuses) > 1


def test_a_decision_larger_than_the_buffer_grows_it_once(engine: ctpolicy.Engine) -> None:
    # Engine.check's per-thread buffer, made too small in a thread of its
    # own: the library says the size it needs, the buffer grows, and the
    # check answers what ctp_check_json answers.
    import threading

    from ctpolicy import _native
    from support import cases, input_bytes, input_of

    requests = [input_of(c, "request") for c in cases("check")]
    data = [r if isinstance(r, bytes) else input_bytes(r) for r in requests if r is not None]
    found: list[tuple[bytes, bytes]] = []

    def in_a_thread() -> None:
        _native._decision_buf.grow(8)
        for request in data:
            status, want = _native.check_json(engine._pointer, request)
            if status == _native.OK:
                found.append((engine.check(request)._data or b"", want))
        found.append((b"capacity", str(len(_native._decision_buf.out)).encode()))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert found[-1][1] != b"8"
    answers = found[:-1]
    assert len(answers) > 50 and all(got == want for got, want in answers)
