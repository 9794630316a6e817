"""Shared helpers: where things are, and how to read the shared vectors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Union

import ctpolicy

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent  # bindings/python
REPO_ROOT = PACKAGE_ROOT.parent.parent
VECTORS = REPO_ROOT / "tests" / "vectors"
RELEASE = REPO_ROOT / "target" / "release"
CLI = RELEASE / "ctpolicy"

Case = dict[str, Any]


def load_vectors(name: str) -> dict[str, Any]:
    """One vectors file, with object key order kept (json keeps it)."""
    path = VECTORS / f"{name}.json"
    assert path.is_file(), f"test vectors {path} are missing"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert data.get("cases"), f"{path} has no cases"
    return data


def cases(name: str) -> list[Case]:
    """The cases of one vectors file (an empty list when the file is missing,
    so collection still works; test_vectors_present then fails loudly)."""
    try:
        found: list[Case] = load_vectors(name)["cases"]
    except AssertionError:
        return []
    return found


def case_ids(found: list[Case]) -> list[str]:
    return [str(c["name"]) for c in found]


Input = Union[dict[str, Any], str, bytes]


def input_of(case: Case, field: str) -> Input | None:
    """A case's input ``field`` in the form the vectors give it.

    ``field`` as a JSON value goes through the binding as a dict (so through
    json.dumps, key order and integers kept); ``field_text`` is passed as the
    exact str; ``field_base64`` as the exact bytes. Returns None when the
    case gives none of them (or gives the value null).
    """
    known = [k for k in (field, f"{field}_text", f"{field}_base64") if k in case]
    assert len(known) <= 1, f"{case['name']}: more than one of {known}"
    if f"{field}_text" in case:
        text: str = case[f"{field}_text"]
        return text
    if f"{field}_base64" in case:
        return base64.b64decode(case[f"{field}_base64"])
    value: Any = case.get(field)
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    # A JSON value that is not an object (a list, a string, a number): its text.
    return json.dumps(value)


def input_bytes(value: Input) -> bytes:
    """The exact bytes the binding hands the library for ``value``."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def check_error(err: ctpolicy.Error, expect: dict[str, Any], name: str) -> None:
    """An error expectation: status always; code, detail, path when given."""
    assert err.status == expect["status"], f"{name}: status {err.status} != {expect}"
    for key in ("code", "detail", "path"):
        if key in expect:
            assert getattr(err, key) == expect[key], (
                f"{name}: {key} {getattr(err, key)!r} != {expect[key]!r} ({err!r})"
            )
    assert isinstance(err.message, str) and err.message, f"{name}: empty message"
    if err.raw is not None:
        assert err.raw["error"]["status"] == err.status


def check_hits(actual: list[dict[str, Any]], expected: list[dict[str, Any]], name: str, what: str) -> None:
    """Codes exactly, in order; id/severity/path/detail where the vector gives them."""
    assert [h["code"] for h in actual] == [h["code"] for h in expected], (
        f"{name}: {what} {[h['code'] for h in actual]} != {[h['code'] for h in expected]}"
    )
    for got, want in zip(actual, expected):
        for key, value in want.items():
            if key == "message":
                continue
            assert got.get(key) == value, f"{name}: {what} {want['code']}.{key}: {got.get(key)!r} != {value!r}"
