"""Every case of tests/vectors/*.json, through the binding."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

import ctpolicy
from support import (
    VECTORS,
    Case,
    case_ids,
    cases,
    check_error,
    check_hits,
    input_of,
    load_vectors,
)

CHECK = cases("check")
TOKENS = cases("tokens")
LIFECYCLE = cases("lifecycle")
POLICIES = cases("policies")
RESPONSES = cases("responses")

KNOWN_KEYS = {
    "check": {"name", "policy", "request", "request_text", "request_base64", "expect", "note", "comment"},
    "tokens": {"name", "token", "token_base64", "token_text", "expect", "note", "comment"},
    "lifecycle": {"name", "record", "record_text", "event", "event_text", "expect", "note", "comment"},
    "policies": {"name", "policy", "policy_text", "expect", "note", "comment"},
    "responses": {
        "name", "record", "record_text", "request", "request_text", "response", "response_text", "at",
        "expect", "note", "comment",
    },
}


@pytest.mark.parametrize("name", ["check", "tokens", "lifecycle", "policies", "responses"])
def test_vectors_present_and_understood(name: str) -> None:
    if name == "responses" and not (VECTORS / "responses.json").exists():
        pytest.skip("tests/vectors/responses.json does not exist (apply_response vectors not added yet)")
    data = load_vectors(name)
    names = [c["name"] for c in data["cases"]]
    assert len(names) == len(set(names)), f"{name}.json has duplicate case names"
    for case in data["cases"]:
        unknown = set(case) - KNOWN_KEYS[name]
        assert not unknown, f"{name}.json {case['name']}: keys this harness does not know: {unknown}"


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, ctpolicy.Engine]]:
    policies: dict[str, Any] = load_vectors("check").get("policies", {"default": {}})
    built = {name: ctpolicy.Engine(policy) for name, policy in policies.items()}
    if "default" not in built:
        built["default"] = ctpolicy.Engine()
    yield built
    for e in built.values():
        e.close()


@pytest.mark.parametrize("case", CHECK, ids=case_ids(CHECK))
def test_check_vector(case: Case, engines: dict[str, ctpolicy.Engine]) -> None:
    name = case["name"]
    engine = engines[case.get("policy", "default")]
    request = input_of(case, "request")
    assert request is not None, f"{name}: no request"
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(ctpolicy.InvalidRequestError) as info:
            engine.check(request)
        check_error(info.value, expect["error"], name)
        return
    d = engine.check(request)
    raw = d.raw
    assert d.decision == expect["decision"], f"{name}: {d.decision} != {expect['decision']}: {d.codes}"
    assert d.allowed == (expect["decision"] == "ALLOW")
    check_hits(raw["violations"], expect["violations"], name, "violations")
    check_hits(raw["warnings"], expect["warnings"], name, "warnings")
    if "required_scope" in expect:
        assert d.required_scope == expect["required_scope"], name
    if "token" in expect:
        assert raw["token"] == expect["token"], name
        if expect["token"] is None:
            assert d.token is None
        else:
            assert d.token == ctpolicy.TokenInfo.from_json(expect["token"])
    if "decision_id" in expect:
        assert d.decision_id == expect["decision_id"], name
    # The typed view agrees with the raw one.
    assert [v.code for v in d.violations] == [v["code"] for v in raw["violations"]]
    assert [(w.id, w.severity, w.path) for w in d.warnings] == [
        (w["id"], w["severity"], w.get("path")) for w in raw["warnings"]
    ]
    assert all(v.severity == "deny" for v in d.violations)
    assert d.allowed == (not d.violations)
    assert d.receipt["engine_version"] == ctpolicy.library_version()


def _token_input(case: Case) -> str | bytes:
    if "token_base64" in case:
        return base64.b64decode(case["token_base64"])
    if "token_text" in case:
        text: str = case["token_text"]
        return text
    token: str = case["token"]
    return token


@pytest.mark.parametrize("case", TOKENS, ids=case_ids(TOKENS))
def test_token_vector(case: Case) -> None:
    name = case["name"]
    expect = case["expect"]
    token = _token_input(case)
    if "error" in expect:
        with pytest.raises(ctpolicy.TokenFormatError) as info:
            ctpolicy.parse_token(token)
        check_error(info.value, expect["error"], name)
        return
    info_ = ctpolicy.parse_token(token)
    assert info_ == ctpolicy.TokenInfo.from_json(expect), f"{name}: {info_} != {expect}"
    # bytes and str give the same answer
    other = token.encode("utf-8") if isinstance(token, str) else token
    assert ctpolicy.parse_token(other) == info_


@pytest.mark.parametrize("case", LIFECYCLE, ids=case_ids(LIFECYCLE))
def test_lifecycle_vector(case: Case) -> None:
    name = case["name"]
    expect = case["expect"]
    record = input_of(case, "record")
    event = input_of(case, "event")
    assert event is not None or "event" in case, f"{name}: no event"
    if event is None:
        event = "null"
    if "error" in expect:
        with pytest.raises((ctpolicy.TransitionError, ctpolicy.InvalidRequestError)) as info:
            ctpolicy.apply_event(record, event)
        err = info.value
        check_error(err, expect["error"], name)
        wanted = ctpolicy.TransitionError if err.status == "TRANSITION_REJECTED" else ctpolicy.InvalidRequestError
        assert isinstance(err, wanted), f"{name}: {err!r} should be a {wanted.__name__}"
        return
    t = ctpolicy.apply_event(record, event)
    assert t.changed == expect["changed"], name
    assert t.record == expect["record"], f"{name}: {t.record} != {expect['record']}"


@pytest.mark.parametrize("case", RESPONSES, ids=case_ids(RESPONSES))
def test_response_vector(case: Case) -> None:
    """apply_response(record, request, response, at) on every case of responses.json."""
    name = case["name"]
    expect = case["expect"]
    record = input_of(case, "record")
    request = input_of(case, "request")
    response = input_of(case, "response")
    assert request is not None, f"{name}: no request"
    assert response is not None or "response" in case, f"{name}: no response"
    if response is None:
        response = "null"  # the JSON value null
    at: str = case["at"]
    if "error" in expect:
        with pytest.raises((ctpolicy.TransitionError, ctpolicy.InvalidRequestError)) as info:
            ctpolicy.apply_response(record, request, response, at)
        err = info.value
        check_error(err, expect["error"], name)
        wanted = ctpolicy.TransitionError if err.status == "TRANSITION_REJECTED" else ctpolicy.InvalidRequestError
        assert isinstance(err, wanted), f"{name}: {err!r} should be a {wanted.__name__}"
        return
    t = ctpolicy.apply_response(record, request, response, at)
    assert t.record == expect["record"], f"{name}: {t.record} != {expect['record']}"
    assert t.changed == expect["changed"], name
    assert [{"type": e.type, "at": e.at} for e in t.events] == expect["events"], name
    assert all(isinstance(e, ctpolicy.Event) for e in t.events)


@pytest.mark.parametrize("case", POLICIES, ids=case_ids(POLICIES))
def test_policy_vector(case: Case) -> None:
    name = case["name"]
    expect = case["expect"]
    policy = input_of(case, "policy")
    if policy is None and "policy" in case:
        policy = "null"  # the JSON value null, not "no policy"
    if "error" in expect:
        with pytest.raises(ctpolicy.PolicyError) as info:
            ctpolicy.Engine(policy)
        check_error(info.value, expect["error"], name)
        return
    with ctpolicy.Engine(policy) as engine:
        d = engine.check({"customer_present": True, "body": {}})
        assert d.policy_digest == expect["digest"], name


def test_vectors_folder() -> None:
    assert {p.stem for p in VECTORS.glob("*.json")} >= {"check", "lifecycle", "policies", "tokens"}
    if not RESPONSES:
        pytest.skip("tests/vectors/responses.json does not exist: apply_response's vectors did not run")
