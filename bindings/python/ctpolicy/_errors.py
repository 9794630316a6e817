"""Exceptions: one class per way a call can fail to produce an answer.

A DENY decision is never an exception. An exception means "could not decide":
treat it as DENY (fail closed).

=========================  ==================================================
exception                  raised when
=========================  ==================================================
``InvalidRequestError``    ``Engine.check`` / ``check_charge`` /
                           ``apply_event``: the input is not an acceptable
                           request, record or event (status
                           ``INVALID_REQUEST``, or ``INVALID_UTF8``); a
                           ``check_charge`` argument no request can hold
                           (status ``INVALID_ARGUMENT``, also a
                           ``ValueError``). ``check_many`` returns these.
``PolicyError``            ``Engine(policy)``: the policy did not load
                           (``INVALID_POLICY``, or ``INVALID_UTF8``)
``TokenFormatError``       ``parse_token``: not a customer token
                           (``TOKEN_INVALID``, or ``INVALID_UTF8``)
``TransitionError``        ``apply_event``: the lifecycle step is not allowed
                           (``TRANSITION_REJECTED``)
``AuditLogError``          ``verify_audit_log``, ``AuditLog``, ``check(...,
                           audit=log)``: an entry does not verify
                           (``AUDIT_LOG_INVALID``, ``line`` and ``seq`` name
                           it) or the head is not the expected one
                           (``AUDIT_HEAD_MISMATCH``); ``AuditIOError`` (also
                           an ``OSError``) when the file cannot be read,
                           written, locked or synced (``IO_ERROR``)
``EngineError``            the library caught a panic (``PANIC``), was called
                           wrongly (``INVALID_ARGUMENT``), returned a status
                           this binding does not know, or the engine is
                           closed (code ``ENGINE_CLOSED``; also a
                           ``ValueError``)
=========================  ==================================================

``INVALID_UTF8`` keeps its own ``status`` ("INVALID_UTF8") but is raised as the
error class of the input it was found in, as listed above.

Wrong Python types (a ``set`` in a request, a policy that is an ``int``) raise
the same class as the engine would, made also a ``TypeError`` so both
``except ctpolicy.InvalidRequestError`` and ``except TypeError`` catch it.
Those errors have ``status`` "INVALID_ARGUMENT" and ``code`` "NOT_JSON".
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _native
from ._redact import redact, redact_bytes

#: The ``code`` of an error raised before the library was called because a
#: Python value could not be turned into JSON.
NOT_JSON = "NOT_JSON"
#: The ``code`` of the error raised when a closed engine is used.
ENGINE_CLOSED = "ENGINE_CLOSED"


class Error(Exception):
    """Base class of every ctpolicy error.

    Attributes mirror the engine's error object ``{"error": {...}}``:
    ``status`` (e.g. "INVALID_REQUEST"), ``code``, ``path`` (a JSON Pointer),
    ``detail`` and ``message``; each is ``None`` when the engine gave none.
    ``status_number`` is the C status (``CTP_*``) and ``raw`` the error object
    exactly as the engine returned it (``None`` for errors raised in Python).
    None of them ever holds a token or any piece of one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: str,
        status_number: int,
        code: Optional[str] = None,
        path: Optional[str] = None,
        detail: Optional[str] = None,
        raw: Optional[dict[str, Any]] = None,
    ) -> None:
        # Every text of an error goes through the redaction (hygiene.md H4),
        # so no attribute, ``args`` included, can hold a token.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.status = redact(status)
        self.status_number = status_number
        self.code = None if code is None else redact(code)
        self.path = None if path is None else redact(path)
        self.detail = None if detail is None else redact(detail)
        self.raw = raw

    def __str__(self) -> str:
        head = self.status
        if self.code:
            head += f" {self.code}"
        if self.detail:
            head += f" ({self.detail})"
        if self.path is not None:
            head += f" at {self.path or '/'}"
        return redact(f"{head}: {self.message}")

    def __repr__(self) -> str:
        name = getattr(type(self), "_public_name", type(self).__name__)
        return redact(
            f"{name}(status={self.status!r}, code={self.code!r}, "
            f"detail={self.detail!r}, path={self.path!r}, message={self.message!r})"
        )

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_number": self.status_number,
            "code": self.code,
            "path": self.path,
            "detail": self.detail,
            "raw": self.raw,
        }


def _rebuild(cls: type[Error], message: str, fields: dict[str, Any]) -> Error:
    return cls(message, **fields)


class InvalidRequestError(Error):
    """The request, record or event is not acceptable input (an envelope fault)."""


class PolicyError(Error):
    """The policy did not load."""


class TokenFormatError(Error):
    """The value is not a well-formed customer token (``code`` TOKEN_MALFORMED
    with a ``detail``, or TOKEN_WRONG_TYPE)."""


class TransitionError(Error):
    """The lifecycle step is not allowed (``code`` names why, see rules.md §7)."""


class AuditLogError(Error):
    """An audit log does not verify, or ends in another head than expected.

    ``code`` says what is wrong (e.g. ``PREV_MISMATCH``, ``SEQ_MISMATCH``,
    ``TORN_LINE``, ``HEAD_MISMATCH``); ``line`` (1-based) and ``seq`` name
    the first entry that fails, when there is one."""

    def __init__(self, message: str, *, line: Optional[int] = None, seq: Optional[int] = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.line = line
        self.seq = seq

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "line": self.line, "seq": self.seq}

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, line={self.line!r}, seq={self.seq!r})"


class AuditIOError(AuditLogError, OSError):
    """The audit log could not be opened, read, written, locked or synced
    (status ``IO_ERROR``); the message says which file and why."""


class EngineError(Error):
    """The library failed (panic, invalid argument, unknown status), or the
    engine was used after ``close()``."""


class EngineClosedError(EngineError, ValueError):
    """A closed engine was used again (like I/O on a closed file)."""


# Python-side type faults: the domain class, and a TypeError too.
class _InvalidRequestTypeError(InvalidRequestError, TypeError):
    _public_name = "InvalidRequestError"


class _InvalidRequestValueError(InvalidRequestError, ValueError):
    _public_name = "InvalidRequestError"


class _PolicyTypeError(PolicyError, TypeError):
    _public_name = "PolicyError"


class _TokenFormatTypeError(TokenFormatError, TypeError):
    _public_name = "TokenFormatError"


_TYPE_ERRORS: dict[type[Error], type[Error]] = {
    InvalidRequestError: _InvalidRequestTypeError,
    PolicyError: _PolicyTypeError,
    TokenFormatError: _TokenFormatTypeError,
}

_BY_STATUS: dict[int, type[Error]] = {
    _native.INVALID_REQUEST: InvalidRequestError,
    _native.INVALID_POLICY: PolicyError,
    _native.TOKEN_INVALID: TokenFormatError,
    _native.TRANSITION_REJECTED: TransitionError,
    _native.IO_ERROR: AuditIOError,
    _native.AUDIT_LOG_INVALID: AuditLogError,
    _native.AUDIT_HEAD_MISMATCH: AuditLogError,
}


def type_error(kind: type[Error], message: str) -> Error:
    """An error of class ``kind`` (and ``TypeError``) for a value that is not JSON."""
    cls = _TYPE_ERRORS.get(kind, kind)
    return cls(
        message,
        status=_native.status_name(_native.INVALID_ARGUMENT),
        status_number=_native.INVALID_ARGUMENT,
        code=NOT_JSON,
    )


def value_error(kind: type[InvalidRequestError], message: str, path: Optional[str]) -> Error:
    """An :class:`InvalidRequestError` (and ``ValueError``) for a typed
    argument no request can hold; status INVALID_ARGUMENT, code INVALID_VALUE."""
    return _InvalidRequestValueError(
        message,
        status=_native.status_name(_native.INVALID_ARGUMENT),
        status_number=_native.INVALID_ARGUMENT,
        code="INVALID_VALUE",
        path=path,
    )


def too_deep(kind: type[Error], what: str) -> Error:
    """The error for a mapping too deep for ``json.dumps`` (the engine allows 64)."""
    return kind(
        f"{what} is nested too deeply to serialise (the engine accepts 64 levels)",
        status=_native.status_name(
            _native.INVALID_POLICY if kind is PolicyError else _native.INVALID_REQUEST
        ),
        status_number=_native.INVALID_POLICY if kind is PolicyError else _native.INVALID_REQUEST,
        code="TOO_DEEP",
    )


def closed_error(what: str) -> EngineClosedError:
    return EngineClosedError(
        f"{what} is closed",
        status=_native.status_name(_native.INVALID_ARGUMENT),
        status_number=_native.INVALID_ARGUMENT,
        code=ENGINE_CLOSED,
    )


def from_status(status: int, data: bytes, utf8_kind: type[Error]) -> Error:
    """The exception for a non-OK ``status`` with the error JSON ``data``.

    ``utf8_kind`` is the class raised for ``INVALID_UTF8``: the class of the
    input that call takes (request, policy or token).
    """
    if status == _native.INVALID_UTF8:
        cls = utf8_kind
    else:
        cls = _BY_STATUS.get(status, EngineError)
    raw: Optional[dict[str, Any]] = None
    body: dict[str, Any] = {}
    try:
        # The library keeps tokens out of what it writes; this also covers a
        # library older than that promise (hygiene.md H4): every field of the
        # error, raw included, comes from redacted text.
        parsed = json.loads(redact_bytes(data)) if data else None
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            raw = parsed
            body = parsed["error"]
    except ValueError:
        pass
    return _build(cls, status, body, raw)


def _build(cls: type[Error], status: int, body: dict[str, Any], raw: Optional[dict[str, Any]]) -> Error:
    name = _native.status_name(status)
    message = body.get("message")
    if not isinstance(message, str) or not message:
        message = f"the library returned status {name} ({status})"
    if issubclass(cls, AuditLogError):
        return cls(
            message,
            status=_str_or(body.get("status"), name),
            status_number=status,
            code=_str_or(body.get("code"), None),
            raw=raw,
            line=_int_or_none(body.get("line")),
            seq=_int_or_none(body.get("seq")),
        )
    return cls(
        message,
        status=_str_or(body.get("status"), name),
        status_number=status,
        code=_str_or(body.get("code"), None),
        path=_str_or(body.get("path"), None),
        detail=_str_or(body.get("detail"), None),
        raw=raw,
    )


def _int_or_none(value: Any) -> Optional[int]:
    return value if type(value) is int else None


def _str_or(value: Any, default: Optional[str]) -> Any:
    return value if isinstance(value, str) else default
