"""One small base class for every object that owns a native handle."""

from __future__ import annotations

import threading
import weakref
from types import TracebackType
from typing import Any, Callable, NoReturn, Optional, TypeVar

from . import _errors

_Self = TypeVar("_Self", bound="NativeHandle")
_T = TypeVar("_T")


class NativeHandle:
    """Owns one native pointer and frees it exactly once.

    * ``close()`` frees it (idempotent); ``with`` closes on exit.
    * A ``weakref.finalize`` frees a handle that was never closed when the
      object is collected, or at interpreter exit.
    * Calls borrow the pointer (``_borrow``/``_unborrow``). ``close()`` while
      another thread is inside a call does not free under its feet: the
      handle is marked closed at once (new calls raise ``EngineError``) and
      the last call in flight frees it.
    """

    def __init__(self, pointer: int, free: Callable[[int], None]) -> None:
        self._pointer = pointer
        self._lock = threading.Lock()
        # One entry per call in flight. list.append and list.pop are each
        # one step no other thread can split, so a borrow needs no lock: a
        # borrow adds its entry *before* reading ``_closed`` and ``close()``
        # sets ``_closed`` *before* looking at the entries, so either the
        # borrow sees the close (and backs out) or the close sees the borrow
        # (and leaves the free to the last call out); the GIL keeps these
        # steps in one order for every thread. Both may free in a close
        # race; ``weakref.finalize`` runs its function at most once.
        self._in_flight: list[None] = []
        self._closed = False
        self._finalizer = weakref.finalize(self, free, pointer)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    def close(self) -> None:
        """Releases the native handle. Calling it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if not self._in_flight:
            self._finalizer()

    def _borrow(self) -> int:
        self._in_flight.append(None)
        if self._closed:
            self._unborrow()
            raise _errors.closed_error(type(self).__name__)
        return self._pointer

    def _unborrow(self) -> None:
        in_flight = self._in_flight
        in_flight.pop()
        if self._closed and not in_flight:
            self._finalizer()

    def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(pointer, *args)`` with the pointer borrowed for the call."""
        pointer = self._borrow()
        try:
            return fn(pointer, *args)
        finally:
            self._unborrow()

    # A copy would share the pointer but not the ownership: use after free.
    def __copy__(self) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} cannot be copied; share the same object")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} cannot be copied; share the same object")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} cannot be pickled; build one in each process")

    def __enter__(self: _Self) -> _Self:
        if self._closed:
            raise _errors.closed_error(type(self).__name__)
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
