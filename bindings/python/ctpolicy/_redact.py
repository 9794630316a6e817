"""Tokens out of text (docs/HYGIENE.md H1, H2): ``redact``, ``scan`` and the
logging filter, all over ``ctp_redact`` / ``ctp_scan``: the library alone
knows what a token occurrence is."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar, Union, cast

from . import _native

_Text = TypeVar("_Text", str, bytes)


def _bytes_of(text: object, what: str) -> bytes:
    if isinstance(text, bytes):
        return text
    if isinstance(text, str):
        # Lone surrogates are kept as the bytes they stand for, so the text
        # comes back exactly as given around the replaced occurrences.
        return text.encode("utf-8", "surrogatepass")
    raise TypeError(f"{what} must be a str or bytes, not {type(text).__name__}")


def _redact_bytes(data: bytes) -> tuple[bytes, int]:
    # Every occurrence starts with the bytes "krn" (docs/HYGIENE.md H1), and the
    # library gives a text without them back unchanged: skip the call then
    # (most log lines, every decision). The library alone decides the rest.
    if b"krn" not in data:
        return data, 0
    status, out, count = _native.redact(data)
    if status != _native.OK:  # only a panic can get here; never hand back the text
        raise RuntimeError(f"ctp_redact failed with status {_native.status_name(status)}")
    return out, count


def redact(text: _Text) -> _Text:
    """``text`` with every customer-token occurrence replaced by
    ``[customer-token sha256:<64 hex>]`` (the fingerprint a decision reports
    for the same token), every other character unchanged.

    Returns the same type it is given: ``str`` for ``str``, ``bytes`` for
    ``bytes`` (any bytes, not only UTF-8). Raises ``TypeError`` for any other type.
    """
    if isinstance(text, str) and "krn" not in text:  # as in _redact_bytes, without encoding
        return text
    data = _bytes_of(text, "text")
    out, count = _redact_bytes(data)
    if isinstance(text, bytes):
        return out
    if count == 0:
        return text
    return out.decode("utf-8", "surrogatepass")


def redact_bytes(data: bytes) -> bytes:
    """:func:`redact` of bytes, for the binding's own use (error objects)."""
    return _redact_bytes(data)[0]


_Cls = TypeVar("_Cls", bound=type)


def redacted_repr(cls: _Cls) -> _Cls:
    """Class decorator (docs/HYGIENE.md H4): ``repr()`` (and so ``str()``, unless
    the class defines its own) of ``cls`` goes through :func:`redact`, so a
    token a caller put in any field comes out as ``[customer-token sha256:…]``."""
    shown = cast(Callable[[object], str], cls.__dict__["__repr__"])

    def __repr__(self: object) -> str:
        return redact(shown(self))

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    cls.__repr__ = __repr__  # type: ignore[assignment]
    if "__str__" in cls.__dict__:
        shown_str = cast(Callable[[object], str], cls.__dict__["__str__"])

        def __str__(self: object) -> str:
            return redact(shown_str(self))

        cls.__str__ = __str__  # type: ignore[assignment]
    return cls


def redact_count(text: Union[str, bytes]) -> int:
    """How many token occurrences :func:`redact` would replace in ``text``."""
    return _redact_bytes(_bytes_of(text, "text"))[1]


@redacted_repr
@dataclass(frozen=True, slots=True)
class LeakReport:
    """One token occurrence found by :func:`scan` (docs/HYGIENE.md H2, without
    ``file``). Holds the token's fingerprint, never any piece of the token
    beyond its ``form`` and ``region``."""

    line: int
    """1-based, counting ``\\n``."""
    column: int
    """1-based byte offset of the occurrence in its line (UTF-8 bytes for a ``str``)."""
    length: int
    """Length of the occurrence in bytes, as it stands."""
    fingerprint: str
    """``"sha256:" + hex`` of the decoded occurrence."""
    well_formed: bool
    """Whether it is a well-formed customer token (docs/RULES.md section 2)."""
    form: Optional[str]
    """``"network"`` or ``"identity"`` when well-formed, else None."""
    region: Optional[str]
    """e.g. ``"eu1"`` when well-formed, else None."""


def scan(text: Union[str, bytes]) -> tuple[LeakReport, ...]:
    """The leak scan of ``text``: one :class:`LeakReport` per token
    occurrence, in order (empty when the text holds none)."""
    status, out = _native.scan(_bytes_of(text, "text"))
    if status != _native.OK:
        raise RuntimeError(f"ctp_scan failed with status {_native.status_name(status)}")
    return tuple(LeakReport(**json.loads(line)) for line in out.splitlines())


class RedactingFilter(logging.Filter):
    """A :class:`logging.Filter` that takes customer tokens out of every record.

    For each record it sets ``msg`` to the redacted ``getMessage()`` (the
    arguments merged in) and ``args`` to ``()``; it formats the exception
    traceback into ``exc_text`` and redacts it, then drops ``exc_info`` (the
    exception object still holds the token, and a formatter given it would
    print it again); it redacts ``stack_info``. Add it to a handler
    (``handler.addFilter(ctpolicy.RedactingFilter())``) to make everything
    that handler writes token-free, or to a logger for the records logged
    through it. ``formatter`` formats the traceback (default: a plain
    :class:`logging.Formatter`). It never drops a record. Attributes added
    through ``extra=`` are the caller's own and are left as they are.
    """

    def __init__(self, formatter: Optional[logging.Formatter] = None) -> None:
        super().__init__()
        self._formatter = formatter if formatter is not None else logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep both parts, redacted
            message = f"{record.msg!s} (arguments that did not format: {record.args!r})"
        record.msg = redact(message)
        record.args = ()
        if "message" in record.__dict__:  # left by a formatter that ran before
            record.message = record.msg
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
