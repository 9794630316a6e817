"""Fixtures shared by the tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ctpolicy  # noqa: E402


@pytest.fixture
def engine() -> Iterator[ctpolicy.Engine]:
    with ctpolicy.Engine() as e:
        yield e
