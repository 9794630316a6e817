"""What the charge guard and its client transports share: the request as it
will be sent, and the guard's side of the handshake that a transport drives.
Kept apart so that the transports need not import the guard that imports
them."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

from ._redact import redact


@dataclass(frozen=True)
class OutgoingRequest:
    """A guarded request as it will be sent, given to a ``customer_present``
    function: ``method``, ``url``, ``raw_path`` (as sent, without the
    query), ``headers`` (every header, ``(name, value)`` in the client's
    order), ``body`` (the buffered bytes that are sent) and ``native`` (the
    client's own request object). ``repr()`` shows no header or body."""

    method: str
    url: str
    raw_path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    native: Any

    def __repr__(self) -> str:
        return redact(f"OutgoingRequest(method={self.method!r}, raw_path={self.raw_path!r}, body=<{len(self.body)} bytes>)")


class GuardSide(Protocol):
    """What a transport calls on :class:`ctpolicy.guard.ChargeGuard`: whether a
    request is a guarded charge, the check before sending (returns the charge
    to account for, or raises when it must not be sent), and the accounting
    after the answer (never raises)."""

    def match(self, method: str, raw_path: str) -> bool: ...

    def _begin(self, klarna_headers: list[tuple[str, str]], body: bytes, outgoing: Callable[[], OutgoingRequest]) -> Any: ...

    def _begin_async(
        self, klarna_headers: list[tuple[str, str]], body: bytes, outgoing: Callable[[], OutgoingRequest]
    ) -> Awaitable[Any]: ...

    def _finish(self, charge: Any, status: Optional[int], body: Optional[bytes], *, sent: bool = True) -> None: ...
