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
        self._borrows = 0
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
            busy = self._borrows > 0
        if not busy:
            self._finalizer()

    # acquire/release rather than ``with``: these run twice per call, and the
    # bodies cannot raise while the lock is held.
    def _borrow(self) -> int:
        lock = self._lock
        lock.acquire()
        if self._closed:
            lock.release()
            raise _errors.closed_error(type(self).__name__)
        self._borrows += 1
        lock.release()
        return self._pointer

    def _unborrow(self) -> None:
        lock = self._lock
        lock.acquire()
        self._borrows -= 1
        free_now = self._closed and self._borrows == 0
        lock.release()
        if free_now:
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
