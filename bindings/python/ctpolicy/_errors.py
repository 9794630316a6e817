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
                           wrongly (``INVALID_ARGUMENT``) or returned a
                           status this binding does not know
=========================  ==================================================

``INVALID_UTF8`` keeps its own ``status`` ("INVALID_UTF8") but is raised as the
error class of the input it was found in, as listed above.

Every one of these carries what the library said. Misuse of the binding is
not the library's to report and borrows none of its statuses: a value of the
wrong Python type (a ``set`` in a request, a policy that is an ``int``) is a
``TypeError``, a value the binding cannot pass on (a naive ``datetime``, a
mapping nested too deeply for ``json``) a ``ValueError``, and a closed
engine, audit log or lint used again an :class:`EngineClosedError` (a
``ValueError``, like I/O on a closed file). Their messages name the argument
and never quote it.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _native
from ._redact import redact, redact_bytes

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
        # Every text of an error goes through the redaction (docs/HYGIENE.md H4),
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
        name = type(self).__name__
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
    """The lifecycle step is not allowed (``code`` names why, see docs/RULES.md section 7)."""


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
    """The library failed (panic, invalid argument, unknown status)."""


class EngineClosedError(ValueError):
    """A closed handle (engine, audit log, vault lint) was used again, like
    I/O on a closed file. A binding fault: not a :class:`ctpolicy.Error`."""


_BY_STATUS: dict[int, type[Error]] = {
    _native.INVALID_REQUEST: InvalidRequestError,
    _native.INVALID_POLICY: PolicyError,
    _native.TOKEN_INVALID: TokenFormatError,
    _native.TRANSITION_REJECTED: TransitionError,
    _native.IO_ERROR: AuditIOError,
    _native.AUDIT_LOG_INVALID: AuditLogError,
    _native.AUDIT_HEAD_MISMATCH: AuditLogError,
}


def closed_error(what: str) -> EngineClosedError:
    return EngineClosedError(f"{what} is closed")


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
        # library older than that promise (docs/HYGIENE.md H4): every field of the
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
