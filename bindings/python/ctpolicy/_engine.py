"""The typed API over the raw layer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional, Union

from . import _errors, _native
from ._errors import Error, InvalidRequestError, PolicyError, TokenFormatError
from ._handle import NativeHandle
from ._types import Decision, TokenInfo, Transition

#: A JSON document: a mapping (serialised with ``json.dumps``), or its text
#: as ``str`` or UTF-8 ``bytes`` (passed to the engine exactly as given).
JsonInput = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]

_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode
_decode = json.JSONDecoder().decode


def _loads(data: bytes) -> Any:
    return _decode(data.decode("utf-8"))

_OK = _native.OK


def to_json_bytes(value: object, what: str, kind: type[Error]) -> bytes:
    """The bytes the engine reads for ``value``.

    ``str`` is encoded as UTF-8 with lone surrogates kept as they are, so the
    engine (not Python) reports them, as ``INVALID_UTF8``. Mappings go
    through ``json.dumps``: key order and integers are kept; a value that is
    not JSON (a ``set``, ``NaN``, a circular reference) raises ``kind``,
    which is then also a ``TypeError``; one nested too deeply for
    ``json.dumps`` raises ``kind`` with code TOO_DEEP, as the engine would.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Mapping):
        try:
            text = _dumps(value if isinstance(value, dict) else dict(value))
        except (TypeError, ValueError) as exc:
            raise _errors.type_error(kind, f"{what} is not JSON: {exc}") from exc
        except RecursionError as exc:
            # Far deeper than the 64 levels the engine accepts anyway.
            raise _errors.too_deep(kind, what) from exc
        return text.encode("ascii")
    raise _errors.type_error(
        kind, f"{what} must be a dict, str or bytes, not {type(value).__name__}"
    )


class Engine(NativeHandle):
    """An engine bound to one policy. Thread-safe: share one across threads.

    ``policy`` is a dict, JSON text (``str``/``bytes``) or None for the
    default policy (Klarna's rules only). Raises :class:`PolicyError` when
    the policy does not load.
    """

    def __init__(self, policy: Optional[JsonInput] = None) -> None:
        data = None if policy is None else to_json_bytes(policy, "policy", PolicyError)
        status, pointer, err = _native.engine_new(data)
        if status != _OK or not pointer:
            raise _errors.from_status(status, err, PolicyError)
        super().__init__(pointer, _native.engine_free)

    def check(self, request: JsonInput) -> Decision:
        """Decides one pre-flight request.

        Returns the :class:`Decision` (ALLOW or DENY). Raises
        :class:`InvalidRequestError` when the request is not acceptable (an
        envelope fault): treat that as DENY.
        """
        return Decision.from_json(self.check_raw(request))

    def check_raw(self, request: JsonInput) -> dict[str, Any]:
        """Like :meth:`check`, returning the decision JSON as a dict."""
        data = to_json_bytes(request, "request", InvalidRequestError)
        pointer = self._borrow()
        try:
            status, out = _native.check_json(pointer, data)
        finally:
            self._unborrow()
        if status != _OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        result: dict[str, Any] = _loads(out)
        return result

    # A typed fast path (``check_charge`` over the C ABI's ``ctp_check``
    # struct) will sit beside ``check`` once the ABI has it.

    def __repr__(self) -> str:
        return f"<ctpolicy.Engine {'closed' if self.closed else 'open'}>"


def parse_token(token: Union[str, bytes]) -> TokenInfo:
    """Checks a token's format (no engine needed) and describes it.

    Raises :class:`TokenFormatError` with ``code`` TOKEN_MALFORMED and a
    ``detail`` (EMPTY, TOO_LONG, INVALID_CHARACTER, NOT_A_KRN, BAD_STRUCTURE,
    BAD_REGION, BAD_ID), or TOKEN_WRONG_TYPE.
    """
    if isinstance(token, str):
        data = token.encode("utf-8", "surrogatepass")
    elif isinstance(token, (bytes, bytearray, memoryview)):
        data = bytes(token)
    else:
        raise _errors.type_error(
            TokenFormatError, f"token must be a str or bytes, not {type(token).__name__}"
        )
    status, out = _native.token_parse(data)
    if status != _OK:
        raise _errors.from_status(status, out, TokenFormatError)
    return TokenInfo.from_json(_loads(out))


def apply_event(record: Optional[JsonInput], event: JsonInput) -> Transition:
    """One lifecycle step (TOKENIZED, CHARGED or REVOKED) on a stored record.

    ``record`` is None when there is none yet. Raises
    :class:`TransitionError` (with ``code`` and maybe ``detail``) when the
    step is not allowed, :class:`InvalidRequestError` when the record or
    event is not acceptable JSON.
    """
    record_data = None if record is None else to_json_bytes(record, "record", InvalidRequestError)
    event_data = to_json_bytes(event, "event", InvalidRequestError)
    status, out = _native.apply_event_json(record_data, event_data)
    if status != _OK:
        raise _errors.from_status(status, out, InvalidRequestError)
    return Transition.from_json(_loads(out))


def library_version() -> str:
    """The native library's version (``ctp_version()``), e.g. "0.1.0"."""
    return _native.version()
