"""Engine.check_many (one ctp_check_many call) answers exactly what
[check(r) for r in requests] answers, on every check vector, with the
library's own counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Union

import pytest

import ctpolicy
from ctpolicy import _native
from support import cases, input_bytes, input_of, load_vectors

CHECK = cases("check")
Result = Union[ctpolicy.Decision, ctpolicy.Error]


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, ctpolicy.Engine]]:
    policies: dict[str, Any] = load_vectors("check")["policies"]
    built = {name: ctpolicy.Engine(policy) for name, policy in policies.items()}
    yield built
    for e in built.values():
        e.close()


def one_by_one(engine: ctpolicy.Engine, requests: list[Any]) -> list[Result]:
    out: list[Result] = []
    for r in requests:
        try:
            out.append(engine.check(r))
        except ctpolicy.InvalidRequestError as err:
            out.append(err)
    return out


def same(got: Result, want: Result, label: str) -> None:
    assert type(got) is type(want), f"{label}: {got!r} != {want!r}"
    if isinstance(want, ctpolicy.Decision):
        assert got == want, f"{label}: {got!r} != {want!r}"
        assert isinstance(got, ctpolicy.Decision) and got.raw == want.raw, label
    else:
        assert isinstance(got, ctpolicy.Error)
        assert (got.status, got.status_number, got.code, got.path, got.detail, got.message, got.raw) == (
            want.status,
            want.status_number,
            want.code,
            want.path,
            want.detail,
            want.message,
            want.raw,
        ), f"{label}: {got!r} != {want!r}"


def check_batch(engine: ctpolicy.Engine, requests: list[Any], label: str) -> ctpolicy.BatchResult:
    batch = engine.check_many(requests)
    expected = one_by_one(engine, requests)
    assert len(batch) == len(expected) == len(requests), label
    for i, (got, want) in enumerate(zip(batch, expected)):
        same(got, want, f"{label} #{i}")
    assert batch.allowed == sum(isinstance(r, ctpolicy.Decision) and r.allowed for r in expected)
    assert batch.denied == sum(isinstance(r, ctpolicy.Decision) and not r.allowed for r in expected)
    assert batch.invalid == sum(isinstance(r, ctpolicy.Error) for r in expected)
    assert list(batch.decisions) == [r for r in batch if isinstance(r, ctpolicy.Decision)]
    assert len(batch.errors) == batch.invalid
    return batch


def test_check_many_equals_check_on_every_vector(engines: dict[str, ctpolicy.Engine]) -> None:
    by_policy: dict[str, list[Any]] = {}
    for case in CHECK:
        request = input_of(case, "request")
        assert request is not None
        by_policy.setdefault(case.get("policy", "default"), []).append(request)
    total = 0
    kinds: set[str] = set()
    for policy, requests in by_policy.items():
        batch = check_batch(engines[policy], requests, policy)
        total += len(batch)
        kinds |= {type(r).__name__ for r in requests}
        # also all in one batch of every form at once, reversed
        check_batch(engines[policy], requests[::-1], policy + " reversed")
    assert total == len(CHECK)
    assert kinds == {"dict", "str", "bytes"}, kinds


def test_every_vector_request_in_one_batch_per_engine(engines: dict[str, ctpolicy.Engine]) -> None:
    # All 300-odd requests, under each policy, in one call each.
    requests = [input_of(c, "request") for c in CHECK]
    batch = check_batch(engines["strict"], requests, "strict, all")
    assert batch.allowed and batch.denied and batch.invalid


def test_the_library_counts_agree(engines: dict[str, ctpolicy.Engine]) -> None:
    requests = [input_of(c, "request") for c in CHECK]
    engine = engines["default"]
    items = [input_bytes(r) for r in requests if r is not None]
    pointer = engine._borrow()
    try:
        status, answers, counts = _native.check_many(pointer, items)
    finally:
        engine._unborrow()
    assert status == _native.OK and len(answers) == len(items)
    assert counts == (
        sum(s == _native.OK and b'"decision":"ALLOW"' in out[:20] for s, out in answers),
        sum(s == _native.OK and b'"decision":"DENY"' in out[:20] for s, out in answers),
        sum(s != _native.OK for s, _ in answers),
    )
    batch = engine.check_many(items)
    assert counts == (batch.allowed, batch.denied, batch.invalid)


RENEWAL = {
    "customer_present": False,
    "headers": {
        "Klarna-Customer-Token": "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "Klarna-Idempotency-Key": "renew-1",
    },
    "token_record": {
        "customer_token": "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "scopes": ["payment:customer_not_present"],
        "state": "ACTIVE",
    },
    "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299}},
}


@pytest.mark.parametrize(
    "odd",
    [
        json.dumps(RENEWAL, indent=2),  # pretty-printed: raw newlines between tokens
        json.dumps(RENEWAL, indent=2).encode(),
        json.dumps(RENEWAL).replace("renew-1", "renew\n1"),  # a raw newline in a string: not JSON
        json.dumps(RENEWAL) + "\r\n",
        "",
        b"",
        "   ",
        " \t\r",
        "\n",
        "\n\n" + json.dumps(RENEWAL) + "\n",
        "{",
        b"\xff",
        "{}",
        "null",
    ],
)
def test_line_breaks_and_blanks_give_the_answer_of_check(engine: ctpolicy.Engine, odd: Any) -> None:
    requests = [RENEWAL, odd, json.dumps(RENEWAL), odd, RENEWAL]
    batch = check_batch(engine, requests, repr(odd)[:40])
    assert len(batch) == 5 and isinstance(batch[0], ctpolicy.Decision) and batch[0].allowed


def test_empty_and_generators(engine: ctpolicy.Engine) -> None:
    empty = engine.check_many([])
    assert len(empty) == 0 and (empty.allowed, empty.denied, empty.invalid) == (0, 0, 0)
    batch = engine.check_many(dict(RENEWAL, decision_id=f"d-{i}") for i in range(1000))
    assert batch.allowed == 1000 and [d.decision_id for d in batch.decisions] == [f"d-{i}" for i in range(1000)]
    assert isinstance(batch[-1], ctpolicy.Decision) and batch[2:4] == batch.results[2:4]


def test_result_is_a_frozen_sequence(engine: ctpolicy.Engine) -> None:
    batch = engine.check_many([RENEWAL, "{"])
    assert batch[0] in batch and batch.index(batch[1]) == 1
    assert isinstance(batch.errors[0], ctpolicy.InvalidRequestError)
    assert batch.errors[0].code == "JSON_SYNTAX"
    with pytest.raises(AttributeError):
        batch.allowed = 3  # type: ignore[misc]


def test_values_that_are_not_json_raise_before_the_call(engine: ctpolicy.Engine) -> None:
    with pytest.raises(TypeError, match="request is not JSON"):
        engine.check_many([RENEWAL, {"x": {1, 2}}])
    with pytest.raises(TypeError):
        engine.check_many([RENEWAL, 42])  # type: ignore[list-item]


def test_closed_engine() -> None:
    engine = ctpolicy.Engine()
    engine.close()
    with pytest.raises(ctpolicy.EngineClosedError):
        engine.check_many([RENEWAL])
    with pytest.raises(ctpolicy.EngineClosedError):
        engine.check_many([])


def test_raw_ctp_check_many_arguments() -> None:
    with ctpolicy.Engine() as engine:
        pointer = engine._borrow()
        try:
            assert _native.check_many(pointer, []) == (_native.OK, [], (0, 0, 0))
            results = (_native.CtpResult * 1)()
            # NULL requests with a count, NULL engine: nothing is written
            assert _native.lib.ctp_check_many(pointer, None, 1, results, None, None) == _native.INVALID_ARGUMENT
            assert _native.lib.ctp_check_many(None, None, 0, None, None, None) == _native.INVALID_ARGUMENT
            assert results[0].json.len == 0
            # an input that is NULL with a length gets its own result; counts may be NULL
            inputs = (_native.CtpInput * 2)(_native.CtpInput(None, 3), _native.CtpInput(b"{}", 2))
            two = (_native.CtpResult * 2)()
            try:
                assert _native.lib.ctp_check_many(pointer, inputs, 2, two, None, None) == _native.OK
                assert [r.status for r in two] == [_native.INVALID_ARGUMENT, _native.INVALID_REQUEST]
            finally:
                _native.lib.ctp_results_free(two, 2)
            status, answers, counts = _native.check_many(pointer, [b"{}", b"\xff", b""])
            assert status == _native.OK and counts == (0, 0, 3)
            assert [s for s, _ in answers] == [_native.INVALID_REQUEST, _native.INVALID_UTF8, _native.INVALID_REQUEST]
        finally:
            engine._unborrow()


def test_every_error_keeps_its_status() -> None:
    # The library gives each item's status number: no names are mapped back here.
    with ctpolicy.Engine() as engine:
        batch = engine.check_many([b"\xff", "{", RENEWAL])
    assert [type(r).__name__ for r in batch] == ["InvalidRequestError", "InvalidRequestError", "Decision"]
    assert [getattr(r, "status_number", None) for r in batch] == [_native.INVALID_UTF8, _native.INVALID_REQUEST, None]
