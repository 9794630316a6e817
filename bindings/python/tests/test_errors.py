"""Every exception type, and bad input of every kind: clear errors, no crash."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import ctpolicy
from ctpolicy import _errors, _native, codes

TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
AT = "2024-05-01T10:00:00Z"
RECORD: dict[str, Any] = {
    "customer_token": TOKEN,
    "scopes": ["payment:customer_not_present"],
    "state": "ACTIVE",
}


def test_hierarchy() -> None:
    for cls in (
        ctpolicy.InvalidRequestError,
        ctpolicy.PolicyError,
        ctpolicy.TokenFormatError,
        ctpolicy.TransitionError,
        ctpolicy.EngineError,
    ):
        assert issubclass(cls, ctpolicy.Error)
        assert issubclass(cls, Exception)


# --- InvalidRequestError ---------------------------------------------------


def test_not_json_text(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check("this is not JSON")
    err = info.value
    assert err.status == "INVALID_REQUEST" and err.status_number == _native.INVALID_REQUEST
    assert err.code == codes.JSON_SYNTAX
    assert err.message and err.message in str(err)
    assert err.raw is not None and err.raw["error"]["code"] == "JSON_SYNTAX"


def test_empty_input(engine: ctpolicy.Engine) -> None:
    for empty in ("", b""):
        with pytest.raises(ctpolicy.InvalidRequestError) as info:
            engine.check(empty)
        assert info.value.code == codes.JSON_SYNTAX


def test_envelope_fault_has_path(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check('{"customer_present": true, "body": {"a": 1, "a": 2}}')
    assert info.value.code == codes.DUPLICATE_KEY
    assert info.value.path == "/body/a"
    assert "/body/a" in str(info.value)


def test_missing_field(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check({"body": {}})
    assert info.value.code == codes.MISSING_FIELD
    assert info.value.path == "/customer_present"


def test_invalid_utf8_request_is_invalid_request_error(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check(b'{"customer_present": true, "body": {"x": "\xff"}}')
    assert info.value.status == "INVALID_UTF8"
    assert info.value.status_number == _native.INVALID_UTF8


def test_lone_surrogate_in_str_is_invalid_utf8(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check('{"customer_present": true, "body": {"x": "\ud800"}}')
    assert info.value.status == "INVALID_UTF8"


def test_lone_surrogate_in_dict_is_unpaired_surrogate(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check({"customer_present": True, "body": {"x": "\ud800"}})
    assert info.value.code == codes.UNPAIRED_SURROGATE


@pytest.mark.parametrize(
    "bad",
    [
        {"customer_present": True, "body": {"x": {1, 2}}},
        {"customer_present": True, "body": {"x": object()}},
        {"customer_present": True, "body": {"x": float("nan")}},
        {"customer_present": True, "body": {"x": b"bytes"}},
    ],
    ids=["set", "object", "nan", "bytes-value"],
)
def test_not_serialisable_is_a_binding_fault(engine: ctpolicy.Engine, bad: Any) -> None:
    # Misuse of the binding: TypeError/ValueError, not a library error, no context.
    with pytest.raises((TypeError, ValueError)) as info:
        engine.check(bad)
    err = info.value
    assert not isinstance(err, ctpolicy.Error)
    assert str(err).startswith("request is not JSON: ")
    assert err.__context__ is None and err.__cause__ is None


def test_circular_request(engine: ctpolicy.Engine) -> None:
    body: dict[str, Any] = {}
    body["self"] = body
    with pytest.raises(ValueError, match="Circular reference") as info:
        engine.check({"customer_present": True, "body": body})
    assert not isinstance(info.value, ctpolicy.Error)


def test_too_deep_for_json_dumps(engine: ctpolicy.Engine) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ValueError, match="nested too deeply") as info:
        engine.check({"customer_present": True, "body": deep})
    assert info.value.__context__ is None


def test_too_deep_for_engine(engine: ctpolicy.Engine) -> None:
    text = '{"customer_present": true, "body": ' + "[" * 70 + "]" * 70 + "}"
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check(text)
    assert info.value.code == codes.TOO_DEEP


def test_too_large(engine: ctpolicy.Engine) -> None:
    big = {"customer_present": True, "body": {"pad": "x" * (1 << 20)}}
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check(big)
    assert info.value.code == codes.TOO_LARGE


@pytest.mark.parametrize("bad", [42, 4.2, None, ["customer_present"], object(), True])
def test_wrong_request_type(engine: ctpolicy.Engine, bad: Any) -> None:
    with pytest.raises(TypeError) as info:
        engine.check(bad)
    assert not isinstance(info.value, ctpolicy.Error)
    assert "request must be a dict, str or bytes" in str(info.value)


def test_bytearray_and_memoryview_accepted(engine: ctpolicy.Engine) -> None:
    text = b'{"customer_present": true, "body": {}}'
    a = engine.check(text)
    assert engine.check(bytearray(text)).raw == a.raw
    assert engine.check(memoryview(text)).raw == a.raw


def test_top_level_not_object(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check("[1, 2]")
    assert info.value.code == codes.WRONG_TYPE


# --- PolicyError -------------------------------------------------------------


def test_policy_unknown_field() -> None:
    with pytest.raises(ctpolicy.PolicyError) as info:
        ctpolicy.Engine({"allowed_region": ["eu1"]})
    err = info.value
    assert err.status == "INVALID_POLICY" and err.code == codes.UNKNOWN_FIELD
    assert err.path == "/allowed_region"


def test_policy_not_json() -> None:
    with pytest.raises(ctpolicy.PolicyError) as info:
        ctpolicy.Engine("{not json")
    assert info.value.code == codes.JSON_SYNTAX


def test_policy_invalid_utf8_is_policy_error() -> None:
    with pytest.raises(ctpolicy.PolicyError) as info:
        ctpolicy.Engine(b'{"allowed_regions": ["\xfe"]}')
    assert info.value.status == "INVALID_UTF8"


@pytest.mark.parametrize("bad", [42, ["eu1"], 1.5, object(), True])
def test_policy_wrong_python_type(bad: Any) -> None:
    with pytest.raises(TypeError) as info:
        ctpolicy.Engine(bad)
    assert "policy must be a dict, str or bytes" in str(info.value)


def test_policy_not_serialisable() -> None:
    with pytest.raises(TypeError, match="policy is not JSON"):
        ctpolicy.Engine({"allowed_regions": {"eu1"}})


def test_policy_json_not_object() -> None:
    with pytest.raises(ctpolicy.PolicyError) as info:
        ctpolicy.Engine("[]")
    assert info.value.code == codes.WRONG_TYPE


def test_policy_severity_not_adjustable() -> None:
    with pytest.raises(ctpolicy.PolicyError) as info:
        ctpolicy.Engine({"severity": {"SCOPE_MISMATCH": "off"}})
    assert info.value.code == codes.RULE_NOT_ADJUSTABLE


def test_default_policy_forms_agree() -> None:
    digests = set()
    policies: list[ctpolicy.JsonInput | None] = [None, {}, "{}", b"{}"]
    for policy in policies:
        with ctpolicy.Engine(policy) as e:
            digests.add(e.check({"customer_present": True, "body": {}}).policy_digest)
    assert len(digests) == 1


# --- TokenFormatError --------------------------------------------------------


def test_token_malformed_has_detail() -> None:
    with pytest.raises(ctpolicy.TokenFormatError) as info:
        ctpolicy.parse_token("krn:customer-token:EU1:abc")
    err = info.value
    assert err.status == "TOKEN_INVALID" and err.code == codes.TOKEN_MALFORMED
    assert err.detail == "BAD_REGION" and err.detail in codes.TOKEN_DETAILS
    assert "(BAD_REGION)" in str(err)


def test_token_wrong_type() -> None:
    with pytest.raises(ctpolicy.TokenFormatError) as info:
        ctpolicy.parse_token("krn:payment:eu1:transaction:abc")
    assert info.value.code == codes.TOKEN_WRONG_TYPE and info.value.detail is None


def test_token_empty() -> None:
    with pytest.raises(ctpolicy.TokenFormatError) as info:
        ctpolicy.parse_token("")
    assert info.value.detail == "EMPTY"


def test_token_invalid_utf8_is_token_format_error() -> None:
    with pytest.raises(ctpolicy.TokenFormatError) as info:
        ctpolicy.parse_token(b"krn:customer-token:eu1:\xff")
    assert info.value.status in ("INVALID_UTF8", "TOKEN_INVALID")


@pytest.mark.parametrize("bad", [None, 42, {"token": TOKEN}, [TOKEN]])
def test_token_wrong_python_type(bad: Any) -> None:
    with pytest.raises(TypeError, match="token must be a str or bytes"):
        ctpolicy.parse_token(bad)


# --- TransitionError ---------------------------------------------------------


def test_transition_record_required() -> None:
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_event(None, {"type": "CHARGED", "at": AT})
    err = info.value
    assert err.status == "TRANSITION_REJECTED" and err.code == codes.RECORD_REQUIRED


def test_transition_revoked_is_final() -> None:
    revoked = ctpolicy.apply_event(RECORD, {"type": "REVOKED", "at": AT, "by": "PARTNER"})
    assert revoked.record is not None
    assert revoked.changed and revoked.record["state"] == "REVOKED"
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_event(revoked.record, {"type": "CHARGED", "at": AT})
    assert info.value.code == codes.TOKEN_REVOKED
    again = ctpolicy.apply_event(revoked.record, {"type": "REVOKED", "at": AT, "by": "PARTNER"})
    assert not again.changed and again.record == revoked.record


def test_transition_record_invalid_has_detail() -> None:
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_event({**RECORD, "state": "PAUSED"}, {"type": "CHARGED", "at": AT})
    assert info.value.code == codes.RECORD_INVALID and info.value.detail == "STATE"


def test_apply_event_bad_json_is_invalid_request() -> None:
    with pytest.raises(ctpolicy.InvalidRequestError):
        ctpolicy.apply_event(None, "{nope")
    with pytest.raises(ctpolicy.InvalidRequestError):
        ctpolicy.apply_event('{"a":1,"a":1}', {"type": "CHARGED", "at": AT})
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        ctpolicy.apply_event(None, b'{"type": "\xff"}')
    assert info.value.status == "INVALID_UTF8"


@pytest.mark.parametrize("bad", [42, [1], object()])
def test_apply_event_wrong_python_type(bad: Any) -> None:
    with pytest.raises(TypeError, match="record must be"):
        ctpolicy.apply_event(bad, {"type": "CHARGED", "at": AT})
    with pytest.raises(TypeError, match="event must be"):
        ctpolicy.apply_event(None, bad)


def test_null_record_text_means_no_record() -> None:
    with pytest.raises(ctpolicy.TransitionError) as info:
        ctpolicy.apply_event("null", {"type": "CHARGED", "at": AT})
    assert info.value.code == codes.RECORD_REQUIRED


# --- EngineError -------------------------------------------------------------


def test_invalid_argument_from_library_is_engine_error() -> None:
    # A NULL engine is CTP_INVALID_ARGUMENT: only the raw layer can cause it.
    status, out = _native.check_json(0, b"{}")
    assert status == _native.INVALID_ARGUMENT
    err = _errors.from_status(status, out, ctpolicy.InvalidRequestError)
    assert type(err) is ctpolicy.EngineError
    assert err.status == "INVALID_ARGUMENT"


def test_panic_and_unknown_status_are_engine_errors() -> None:
    for status in (_native.PANIC, 999):
        err = _errors.from_status(status, b"", ctpolicy.InvalidRequestError)
        assert type(err) is ctpolicy.EngineError
        assert err.status_number == status
        assert err.message  # a message even without error JSON
    assert _errors.from_status(_native.PANIC, b"", ctpolicy.PolicyError).status == "PANIC"
    assert _errors.from_status(999, b"", ctpolicy.PolicyError).status == "UNKNOWN"


def test_garbage_error_json_still_gives_an_error() -> None:
    err = _errors.from_status(_native.INVALID_REQUEST, b"\x00not json", ctpolicy.InvalidRequestError)
    assert isinstance(err, ctpolicy.InvalidRequestError)
    assert err.raw is None and err.code is None


def test_closed_engine_is_a_value_error() -> None:
    engine = ctpolicy.Engine()
    engine.close()
    with pytest.raises(ctpolicy.EngineClosedError) as info:
        engine.check({})
    assert isinstance(info.value, ValueError) and not isinstance(info.value, ctpolicy.Error)


# --- Common behaviour ----------------------------------------------------------


def test_errors_pickle(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check('{"customer_present": true, "body": {"a": 1, "a": 2}}')
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is ctpolicy.InvalidRequestError
    assert (again.status, again.code, again.path, again.message) == (
        info.value.status,
        info.value.code,
        info.value.path,
        info.value.message,
    )


def test_deny_is_not_an_error(engine: ctpolicy.Engine) -> None:
    d = engine.check({"customer_present": False, "body": {"step_up_config": {}}})
    assert not d.allowed and d.decision == "DENY"
    assert codes.STEP_UP_NOT_ALLOWED in d.codes
