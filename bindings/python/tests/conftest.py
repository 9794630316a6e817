"""Fixtures shared by the tests (pyproject.toml puts . and tests/ on sys.path)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

# test.sh runs the suite a second time with orjson hidden, so the standard
# json path is tested as a plain install (without ctpolicy[fast]) runs it.
# Set before ctpolicy is imported: it decides once, at import.
if os.environ.get("CTPOLICY_TEST_WITHOUT_ORJSON") == "1":
    sys.modules["orjson"] = None  # type: ignore[assignment]

import ctpolicy  # noqa: E402


@pytest.fixture
def engine() -> Iterator[ctpolicy.Engine]:
    with ctpolicy.Engine() as e:
        yield e
