"""The binding's JSON with orjson and without it (ctpolicy._json).

orjson is used only where its text is the standard json module's, byte for
byte, and its reading json's value: these tests hold both paths to that.
test.sh runs the whole suite twice, the second time with orjson hidden
(CTPOLICY_TEST_WITHOUT_ORJSON=1, see conftest.py), so every other test
covers the fallback too.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import importlib.util
import json
import math
import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

import ctpolicy
from ctpolicy import _json
from ctpolicy._engine import _dumps_unchecked, to_json_bytes
from support import PACKAGE_ROOT, cases, input_of, load_vectors

CHECK = cases("check")
RESPONSES = cases("responses")
LIFECYCLE = cases("lifecycle")
HIDDEN = os.environ.get("CTPOLICY_TEST_WITHOUT_ORJSON") == "1"
needs_orjson = pytest.mark.skipif(not _json.FAST, reason="orjson not installed or hidden")


def json_text(value: Any) -> bytes:
    """What the binding wrote before orjson: the standard json module's text."""
    return _dumps_unchecked(value).encode("ascii")


def test_orjson_is_used_exactly_when_importable() -> None:
    if HIDDEN:
        assert not _json.FAST
        assert _json.fast_dumps({"a": 1}) is None
    else:
        # test.sh installs orjson: a run without it would test the fallback twice.
        assert importlib.util.find_spec("orjson") is not None, "test.sh installs orjson into the venv"
        assert _json.FAST


def test_the_fallback_loads_without_orjson() -> None:
    """A process where orjson cannot be imported takes the json path throughout."""
    code = (
        "import sys; sys.modules['orjson'] = None\n"
        "import ctpolicy\n"
        "from ctpolicy import _json\n"
        "assert not _json.FAST and _json.fast_dumps({'a': 1}) is None\n"
        "assert _json.loads(b'{\"n\":123456789012345678901234567890}') == {'n': 123456789012345678901234567890}\n"
        "e = ctpolicy.Engine()\n"
        "d = e.check({'customer_present': True, 'headers': {}, 'body': {'currency': 'EUR'}})\n"
        "print(d.decision, [v.code for v in d.violations])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with ctpolicy.Engine() as engine:
        d = engine.check({"customer_present": True, "headers": {}, "body": {"currency": "EUR"}})
    assert done.stdout.strip() == f"{d.decision} {[v.code for v in d.violations]}"


@needs_orjson
@pytest.mark.parametrize("case", CHECK, ids=[str(c["name"]) for c in CHECK])
def test_fast_text_is_json_text_on_every_check_vector(case: dict[str, Any]) -> None:
    request = input_of(case, "request")
    if not isinstance(request, dict):
        return  # given as text: passed as it is
    fast = _json.fast_dumps(request)
    if fast is not None:
        assert fast == json_text(request)


@needs_orjson
def test_fast_path_takes_most_check_vectors() -> None:
    """Not a path that silently always falls back."""
    dicts = [r for r in (input_of(c, "request") for c in CHECK) if isinstance(r, dict)]
    taken = [r for r in dicts if _json.fast_dumps(r) is not None]
    assert len(taken) * 2 > len(dicts), f"orjson wrote {len(taken)} of {len(dicts)} requests"


@needs_orjson
def test_fast_text_of_the_benchmark_renewal() -> None:
    import bench

    fast = _json.fast_dumps(bench.RENEWAL)
    assert fast is not None and fast == json_text(bench.RENEWAL)


def _floats() -> list[float]:
    rng = random.Random(20261205)
    found = [0.0, -0.0, 1.0, 0.1, 1e-4, 1e-5, 1.5e-5, 9.99e-5, 1e-7, 2.5e-9, 1e-10, 1e-300, 5e-324, 1e15, 1e16, 1e17,
             1e21, 1e22, 123456789.123, 1.7976931348623157e308, 2.0**53, 2.0**63, 2.0**64]
    for _ in range(3000):
        found.append(rng.uniform(1, 10) * 10.0 ** rng.randint(-30, 30) * rng.choice((1, -1)))
    for _ in range(1000):
        found.append(rng.randint(1, 99999) / 10 ** rng.randint(0, 12))
    return found


@needs_orjson
def test_fast_text_of_floats_is_json_text_or_none() -> None:
    """orjson writes 1e-07 as 1e-7 and 1e-05 as 0.00001: those fall back."""
    took = 0
    for value in _floats():
        for doc in ({"amount": value}, {"a": [1, value, "x"]}, {"a": {"b": value}}):
            fast = _json.fast_dumps(doc)
            if fast is not None:
                took += 1
                assert fast == json_text(doc), value
    assert took > 1000
    assert _json.fast_dumps({"a": 1e-7}) is None
    assert _json.fast_dumps({"a": 1e-5}) is None


class Text(str):
    pass


class Number(int):
    pass


class Decimalish(float):
    def __repr__(self) -> str:  # json writes float.__repr__, not this
        return "weird"


class Mapping(dict[str, Any]):
    def items(self) -> Any:  # json writes what items() says; orjson would not ask
        return [("replaced", True)]


class Items(list[Any]):
    pass


class Color(enum.IntEnum):
    RED = 1


class Currency(str, enum.Enum):
    EUR = "EUR"


Pair = collections.namedtuple("Pair", "a b")


@dataclasses.dataclass
class Point:
    x: int


AWARE = datetime(2026, 11, 30, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))

# Values json writes (the fast path must write the same or fall back) ...
WRITTEN: list[dict[Any, Any]] = [
    {"s": Text("krn")},
    {"n": Number(5)},
    {"f": Decimalish(1.5)},
    {"fsmall": [Decimalish(1.0), 2.5e-8]},
    {"m": Mapping(a=1)},
    {"l": Items([1, 2])},
    {"t": (1, "two")},
    {"p": Pair(1, 2)},
    {"c": Color.RED},
    {"e": Currency.EUR},
    {"at": AWARE},
    {"big": 2**64},
    {"small": -(2**63) - 1},
    {"edge": [2**64 - 1, -(2**63)]},
    {1: "int key"},
    {True: "bool key", None: "none key", 1.5: "float key"},
    {Text("k"): "str subclass key"},
    {"none": None},
    {"del": "a\x7fb"},
    {"ctl": "\x00\x01\x1f\n\t\"\\/"},
    {"utf8": "Zürich ✓ 😀"},
    {"deep": json.loads("[" * 300 + "]" * 300)},
    {"bool": [True, False]},
]
# ... and values it refuses (so must the binding, with either path).
REFUSED: list[dict[Any, Any]] = [
    {"nan": math.nan},
    {"inf": math.inf},
    {"ninf": [-math.inf]},
    {"set": {1}},
    {"bytes": b"x"},
    {"date": date(2026, 1, 1)},
    {"naive": datetime(2026, 1, 1)},
    {"dataclass": Point(1)},
    {"object": object()},
    {(1, 2): "tuple key"},
]


@needs_orjson
@pytest.mark.parametrize("value", WRITTEN, ids=[repr(sorted(map(str, v)))[:40] for v in WRITTEN])
def test_fast_text_is_json_text_or_none_for_odd_values(value: dict[Any, Any]) -> None:
    fast = _json.fast_dumps(value)
    if fast is not None:
        assert fast == json_text(value)
    assert to_json_bytes(value, "request") == json_text(value)


@pytest.mark.parametrize("value", REFUSED, ids=[next(iter(map(str, v))) for v in REFUSED])
def test_refused_values_raise_on_either_path(value: dict[Any, Any], engine: ctpolicy.Engine) -> None:
    """NaN and infinity are errors, never a silent null (orjson would write one)."""
    if _json.FAST:
        assert _json.fast_dumps(value) is None
    with pytest.raises((TypeError, ValueError)) as standard:
        json_text(value)
    kind = TypeError if isinstance(standard.value, TypeError) else ValueError
    with pytest.raises(kind):
        engine.check(value)
    with pytest.raises(kind):
        to_json_bytes(value, "request")


def test_nan_in_a_request_is_an_error_not_null(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ValueError, match="not JSON"):
        engine.check({"customer_present": False, "headers": {}, "body": {"amount": math.nan}})


def test_a_lone_surrogate_reaches_the_engine_as_json_writes_it(engine: ctpolicy.Engine) -> None:
    request = {"customer_present": False, "headers": {"Klarna-Idempotency-Key": "\ud800"}, "body": {}}
    assert _json.fast_dumps(request) is None
    assert to_json_bytes(request, "request") == json_text(request)


def test_a_cycle_is_an_error_on_either_path(engine: ctpolicy.Engine) -> None:
    cycle: dict[str, Any] = {"customer_present": False}
    cycle["body"] = cycle
    with pytest.raises(ValueError, match="Circular reference"):
        engine.check(cycle)


def test_enum_and_uuid_are_the_one_known_difference() -> None:
    """Documented in _json: orjson writes a plain Enum member and a UUID as
    their values, where json raises. Held here so a change is noticed."""
    import uuid

    class Plain(enum.Enum):
        A = "a"

    for value in ({"e": Plain.A}, {"u": uuid.UUID(int=1)}):
        with pytest.raises(TypeError):
            json_text(value)
        if _json.FAST:
            assert _json.fast_dumps(value) is not None
        else:
            with pytest.raises(TypeError):
                to_json_bytes(value, "request")


# -- reading ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b'{"n":123456789012345678901234567890}',
        b'{"n":-9223372036854775809,"m":18446744073709551616}',
        b'{"n":18446744073709551615,"m":-9223372036854775808}',
        b'{"s":"\\ud800"}',
        b'{"f":1e400}',
        b'{"f":[NaN,Infinity]}',
        b'{"a":1,"a":2}',
        b'{"x":1.0,"y":-0,"z":1e-7,"w":0.1}',
        b'{"u":"Z\xc3\xbcrich \\u00fc"}',
    ],
)
def test_loads_reads_what_json_reads(text: bytes) -> None:
    expected = json.loads(text)
    got = _json.loads(text)
    assert repr(got) == repr(expected)  # repr: the types too (an int stays an int)


def test_loads_refuses_what_json_refuses() -> None:
    for text in (b'{"a":', b"\xff", b"{'a':1}"):
        with pytest.raises(ValueError):
            json.loads(text.decode("utf-8", "strict"))
        with pytest.raises(ValueError):
            _json.loads(text)


def test_loads_of_every_decision_is_json_loads(engine: ctpolicy.Engine) -> None:
    policies: dict[str, Any] = load_vectors("check").get("policies", {"default": {}})
    engines = {name: ctpolicy.Engine(policy) for name, policy in policies.items()}
    try:
        for case in CHECK:
            request = input_of(case, "request")
            assert request is not None
            status, out = engines.get(case.get("policy", "default"), engine)._call(
                ctpolicy._native.check_json, to_json_bytes(request, "request")
            )
            assert repr(_json.loads(out)) == repr(json.loads(out)), case["name"]
    finally:
        for e in engines.values():
            e.close()


def test_transition_reading_is_json_reading_on_every_response_vector() -> None:
    from ctpolicy.guard import _transition_record

    read = 0
    for case in RESPONSES:
        record = input_of(case, "record")
        request = input_of(case, "request")
        response = input_of(case, "response")
        if request is None or response is None:
            continue
        record_json = None if record is None else to_json_bytes(record, "record")
        code, out = ctpolicy._native.apply_response_json(
            record_json,
            to_json_bytes(request, "request"),
            to_json_bytes(response, "response"),
            str(case.get("at", "2026-11-30T09:30:00.000Z")).encode(),
        )
        if code != ctpolicy._native.OK:
            continue
        whole = json.loads(out)
        for exact in (False, True):
            assert _transition_record(out, exact) == (whole["record"], whole["changed"]), case["name"]
        read += 1
    assert read > 0


def test_guard_record_text_keeps_big_integers_exact() -> None:
    """A stored record holding an integer beyond 64 bits is written by json
    and its transition read by json: the integer comes back exact."""
    from ctpolicy.guard import _record_text

    record = {"customer_token": "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
              "scopes": ["payment:customer_not_present"], "state": "ACTIVE", "partner_id": 2**70}
    text, exact = _record_text(record, "record")
    assert text == json_text(record) and not exact
    small = dict(record, partner_id=5)
    text, exact = _record_text(small, "record")
    assert text == json_text(small) and exact == _json.FAST
    assert _record_text(None, "record") == (None, True)
    event = b'{"type":"CHARGED","at":"2026-11-30T09:30:00.000Z"}'
    transition = ctpolicy.apply_event(json_text(record), event)
    assert transition.record is not None and transition.record["partner_id"] == 2**70
