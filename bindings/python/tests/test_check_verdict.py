"""Engine.check_verdict decides as Engine.check, on every check vector: the
same allowed flag and rule ids, or the same error."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import ctpolicy
from support import cases, input_of, load_vectors

CHECK = cases("check")


def _answer(call: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
    try:
        return ("decided",) + call()
    except ctpolicy.InvalidRequestError as err:
        return ("error", err.status, err.code, err.path, err.detail)


def test_check_verdict_agrees_with_check_on_every_vector() -> None:
    policies: dict[str, Any] = load_vectors("check").get("policies", {})
    engines = {name: ctpolicy.Engine(policy) for name, policy in policies.items()}
    engines.setdefault("default", ctpolicy.Engine())
    try:
        for case in CHECK:
            engine = engines[case.get("policy", "default")]
            request = input_of(case, "request")
            assert request is not None, case["name"]

            def via_check() -> tuple[Any, ...]:
                d = engine.check(request)
                return (d.allowed, tuple(v.id for v in d.violations), tuple(w.id for w in d.warnings))

            def via_verdict() -> tuple[Any, ...]:
                v = engine.check_verdict(request)
                assert v.fingerprint is None
                return (v.allowed, v.violations, v.warnings)

            assert _answer(via_check) == _answer(via_verdict), case["name"]
    finally:
        for engine in engines.values():
            engine.close()
    assert len(CHECK) > 100


def test_check_verdict_refuses_what_check_refuses() -> None:
    with ctpolicy.Engine() as engine:
        with pytest.raises(ctpolicy.InvalidRequestError):
            engine.check_verdict(b"")
        verdict = engine.check_verdict({"customer_present": True, "body": {}})
        assert verdict.allowed is (not verdict.violations)
    with pytest.raises(ctpolicy.EngineClosedError):
        engine.check_verdict({})
