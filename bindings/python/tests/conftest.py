"""Fixtures shared by the tests (pyproject.toml puts . and tests/ on sys.path)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import ctpolicy


@pytest.fixture
def engine() -> Iterator[ctpolicy.Engine]:
    with ctpolicy.Engine() as e:
        yield e
