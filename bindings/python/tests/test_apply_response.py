"""ctpolicy.apply_response (Klarna's answer as the record's next state):
the shapes of the binding around it; tests/vectors/responses.json holds the
cases of the contract (test_vectors.py runs them)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import ctpolicy

SECRET = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TOKEN = f"krn:customer-token:eu1:{SECRET}"
CNP = "payment:customer_not_present"
RECORD: dict[str, Any] = {"customer_token": TOKEN, "scopes": [CNP], "state": "ACTIVE"}
REQUEST: dict[str, Any] = {
    "customer_present": False,
    "headers": {"Klarna-Customer-Token": TOKEN, "Klarna-Idempotency-Key": "k1"},
    "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299}},
}
APPROVED = {"payment_transaction_response": {"result": "APPROVED"}}


def test_approved_payment_is_charged() -> None:
    t = ctpolicy.apply_response(RECORD, REQUEST, APPROVED, "2026-11-30T12:00:00Z")
    assert t.changed and t.record is not None
    assert t.record["last_used_at"] == "2026-11-30T12:00:00Z" and t.record["attempts"] == ["2026-11-30T12:00:00Z"]
    assert t.events == (ctpolicy.Event("CHARGED", "2026-11-30T12:00:00Z"),)
    assert SECRET not in repr(t) and SECRET not in str(t)


def test_at_as_an_aware_datetime_is_written_in_utc_with_milliseconds() -> None:
    at = datetime(2026, 11, 30, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    t = ctpolicy.apply_response(RECORD, REQUEST, {"payment_transaction_response": {"result": "DECLINED"}}, at)
    assert t.events == (ctpolicy.Event("DECLINED", "2026-11-30T12:00:00.123Z"),)
    assert t.record is not None and "last_used_at" not in t.record
    with pytest.raises(ValueError, match="at is a naive datetime"):
        ctpolicy.apply_response(RECORD, REQUEST, APPROVED, datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="at must be"):
        ctpolicy.apply_response(RECORD, REQUEST, APPROVED, 1234)  # type: ignore[arg-type]




def test_inputs_as_text() -> None:
    import json

    t = ctpolicy.apply_response(json.dumps(RECORD), json.dumps(REQUEST).encode(), b'{"payment_transaction_response": {}}', "2026-11-30T12:00:00Z")
    assert [e.type for e in t.events] == ["DECLINED"]


def test_errors_keep_their_types() -> None:
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_response(None, REQUEST, APPROVED, "2026-11-30T12:00:00Z")
    assert info.value.code == "RECORD_REQUIRED" and info.value.status == "TRANSITION_REJECTED"
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_response(RECORD, REQUEST, "[1]", "2026-11-30T12:00:00Z")
    assert info.value.code == "RESPONSE_INVALID"
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_response(RECORD, REQUEST, APPROVED, "yesterday")
    assert info.value.code == "INVALID_EVENT"
    with pytest.raises(ctpolicy.InvalidRequestError) as err:
        ctpolicy.apply_response(RECORD, {"customer_present": False}, APPROVED, "2026-11-30T12:00:00Z")
    assert err.value.status == "INVALID_REQUEST" and err.value.path == "/body"


def test_nothing_to_account_for_gives_no_record() -> None:
    one_time = {"customer_present": True, "body": {"currency": "EUR", "request_payment_transaction": {"amount": 5}}}
    t = ctpolicy.apply_response(None, one_time, APPROVED, "2026-11-30T12:00:00Z")
    assert t == ctpolicy.Transition(None, False, ())
    assert repr(t) == "Transition(record=None, changed=False, events=())"


def test_apply_event_transitions_have_no_events() -> None:
    t = ctpolicy.apply_event(RECORD, {"type": "DECLINED", "at": "2026-11-30T12:00:00Z"})
    assert t.changed and t.events == () and t.record is not None and t.record["attempts"] == ["2026-11-30T12:00:00Z"]
    assert ctpolicy.Transition(RECORD, True).events == ()
