"""Engine lifecycle: close, context manager, finalizer, use after close."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
import weakref
from typing import Any

import pytest

import ctpolicy
from ctpolicy import _native
from ctpolicy._handle import NativeHandle

REQUEST: dict[str, Any] = {"customer_present": True, "body": {"currency": "EUR"}}


def test_context_manager_closes() -> None:
    with ctpolicy.Engine() as engine:
        assert not engine.closed
        assert engine.check(REQUEST).decision in ("ALLOW", "DENY")
    assert engine.closed
    assert repr(engine) == "<ctpolicy.Engine closed>"


def test_close_is_idempotent() -> None:
    engine = ctpolicy.Engine()
    engine.close()
    engine.close()
    assert engine.closed


def test_closed_engine_raises_a_value_error() -> None:
    # Misuse of the binding (like I/O on a closed file), not a library status.
    engine = ctpolicy.Engine()
    engine.close()
    with pytest.raises(ctpolicy.EngineClosedError) as info:
        engine.check(REQUEST)
    assert isinstance(info.value, ValueError) and not isinstance(info.value, ctpolicy.Error)
    assert str(info.value) == "Engine is closed"
    with pytest.raises(ValueError):
        engine.check_raw(REQUEST)
    with pytest.raises(ctpolicy.EngineClosedError):
        with engine:
            pass


@pytest.fixture
def freed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pointers ``_native.engine_free`` is given (and really frees) during the test."""
    seen: list[int] = []
    real_free = _native.engine_free

    def spy(pointer: int) -> None:
        seen.append(pointer)
        real_free(pointer)

    monkeypatch.setattr(_native, "engine_free", spy)
    return seen


def test_finalizer_frees_a_forgotten_engine(freed: list[int]) -> None:
    engine = ctpolicy.Engine()
    pointer = engine._pointer
    ref = weakref.ref(engine)
    del engine
    gc.collect()
    assert ref() is None
    assert freed == [pointer]


def test_close_frees_exactly_once(freed: list[int]) -> None:
    engine = ctpolicy.Engine()
    engine.close()
    engine.close()
    del engine
    gc.collect()
    assert len(freed) == 1


def test_close_during_a_call_defers_the_free() -> None:
    freed: list[int] = []
    handle = NativeHandle(1234, freed.append)
    pointer = handle._borrow()  # a call in flight
    assert pointer == 1234
    handle.close()
    assert handle.closed and freed == []  # not freed under the running call
    with pytest.raises(ctpolicy.EngineClosedError):
        handle._borrow()  # but no new call starts
    handle._unborrow()
    assert freed == [1234]


def test_close_while_other_threads_check() -> None:
    engine = ctpolicy.Engine()
    stop = threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        while not stop.is_set():
            try:
                engine.check(REQUEST)
            except ctpolicy.EngineClosedError:
                return
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    engine.close()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors


def test_many_engines() -> None:
    for _ in range(200):
        with ctpolicy.Engine({"allowed_regions": ["eu1"]}) as engine:
            engine.check(REQUEST)


def test_engine_cannot_be_copied_or_pickled() -> None:
    with ctpolicy.Engine() as engine:
        with pytest.raises(TypeError):
            copy.copy(engine)
        with pytest.raises(TypeError):
            copy.deepcopy(engine)
        with pytest.raises(TypeError):
            pickle.dumps(engine)
        assert engine.check(REQUEST).raw  # still usable
