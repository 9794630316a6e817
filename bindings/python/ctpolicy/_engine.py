"""The typed API over the raw layer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Union

from . import _errors, _native
from ._json import _DatetimeError, fast_dumps, json_default as _json_default, loads as _loads
from ._errors import AuditLogError, Error, InvalidRequestError, PolicyError, TokenFormatError
from ._audit import AuditLog
from ._handle import NativeHandle
from ._redact import redact_bytes
from ._types import BatchResult, Decision, StoredRecord, Timestamp, TokenInfo, Transition, Verdict
from ._types import _ALLOW_PREFIX, _SET_ALLOWED, _SET_DATA, _SET_DECISION

#: A JSON document: a mapping (serialised with ``json.dumps``), or its text
#: as ``str`` or UTF-8 ``bytes`` (passed to the engine exactly as given).
#: In a mapping, an aware ``datetime`` is written as RFC 3339 (UTC, milliseconds).
JsonInput = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]


_dumps = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), default=_json_default
).encode
# The same without the circular-reference bookkeeping (~10 % of the cost of a
# request): a cycle then ends in RecursionError, and the error path re-runs
# _dumps to tell a cycle from a structure that is merely too deep. Built once:
# json.dumps with these settings would build an encoder per call.
_dumps_unchecked = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), default=_json_default, check_circular=False
).encode
_OK = _native.OK


def _dumps_or_error(value: dict[str, Any], what: str) -> bytes:
    """``value`` serialised with the circular-reference check, or the error saying why not.

    The error is raised outside the ``except`` block, so it keeps no
    ``__context__``: ``json``'s own exception may name a key or value (a
    note in Python 3.13+), which may be a token (docs/HYGIENE.md H4).
    """
    error: Exception
    try:
        return _dumps(value).encode("ascii")
    except _DatetimeError as exc:
        error = ValueError(f"{what} holds {exc}")
    except ValueError as exc:  # NaN, infinity, a circular reference
        error = ValueError(f"{what} is not JSON: {_json_fault(exc)}")
    except TypeError as exc:  # a set, an object, a key of another type
        error = TypeError(f"{what} is not JSON: {_json_fault(exc)}")
    except RecursionError:
        # Far deeper than the 64 levels the engine accepts anyway.
        error = ValueError(f"{what} is nested too deeply to serialise (the engine accepts 64 levels)")
    raise error


def _json_fault(exc: BaseException) -> str:
    """What ``json`` said, by the exception's first argument alone (never its
    notes, which name the key or value being written)."""
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
    return first


def _dict_json_bytes(value: dict[str, Any], what: str) -> bytes:
    """A plain ``dict`` as the engine reads it: orjson's bytes where they are
    ``json``'s (see ``_json``), else ``json``'s without the circular-reference
    check, else the error ``_dumps_or_error`` gives."""
    fast = fast_dumps(value)
    if fast is not None:
        return fast
    try:
        return _dumps_unchecked(value).encode("ascii")
    except (TypeError, ValueError, RecursionError):
        pass
    return _dumps_or_error(value, what)  # outside the except: no context


def to_json_bytes(value: object, what: str) -> bytes:
    """The bytes the engine reads for ``value``.

    ``str`` is encoded as UTF-8 with lone surrogates kept as they are, so the
    engine (not Python) reports them, as ``INVALID_UTF8``. Mappings go
    through ``json.dumps``: key order and integers are kept; a value that is
    not JSON raises ``TypeError`` (a ``set``, an object) or ``ValueError``
    (``NaN``, a circular reference, a naive ``datetime``, nesting too deep
    for ``json.dumps``): misuse of the binding, not the library's to report.
    """
    if type(value) is dict:  # the common case first: no ABC isinstance on the way
        return _dict_json_bytes(value, what)
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Mapping):
        return _dumps_or_error(value if isinstance(value, dict) else dict(value), what)
    raise TypeError(f"{what} must be a dict, str or bytes, not {type(value).__name__}")


class Engine(NativeHandle):
    """An engine bound to one policy. Thread-safe: share one across threads.

    ``policy`` is a dict, JSON text (``str``/``bytes``) or None for the
    default policy (Klarna's rules only). Raises :class:`PolicyError` when
    the policy does not load.
    """

    def __init__(self, policy: Optional[JsonInput] = None) -> None:
        data = None if policy is None else to_json_bytes(policy, "policy")
        status, pointer, err = _native.engine_new(data)
        if status != _OK or not pointer:
            raise _errors.from_status(status, err, PolicyError)
        super().__init__(pointer, _native.engine_free)
        self._engine_arg = _native.engine_arg(pointer)

    def check(self, request: JsonInput) -> Decision:
        """Decides one pre-flight request.

        Returns the :class:`Decision` (ALLOW or DENY). Raises
        :class:`InvalidRequestError` when the request is not acceptable (an
        envelope fault): treat that as DENY. The audited check is
        ``log.check(engine, request)`` (:meth:`AuditLog.check`), the one shape
        in the Python, Go and Java bindings.
        """
        if type(request) is dict:  # the common case first
            data = _dict_json_bytes(request, "request")
        elif type(request) is bytes:  # the guard's pre-flight text: as it is
            data = request
        else:
            data = to_json_bytes(request, "request")
        self._borrow()
        try:
            # ctp_check_json_into, unconverted (see _native): the decision
            # into this thread's reused buffer, an error into its ctp_buf
            # (the library writes one of them, or only the size needed).
            out_buf, capacity, written_ref, written, size, error, error_ptr, error_len = _decision_buf.parts
            size.value = len(data)
            status = _ctp_check_json_into(self._engine_arg, data, size, out_buf, capacity, written_ref, error)
            while status == _BUFFER_TOO_SMALL:
                _decision_buf.grow(written.value)
                out_buf, capacity, written_ref, written, size, error, error_ptr, error_len = _decision_buf.parts
                status = _ctp_check_json_into(self._engine_arg, data, size, out_buf, capacity, written_ref, error)
            if status == _OK:
                # A slice of a c_char array is a bytes copy of those bytes
                # (NULs included): cheaper than a foreign call to copy them.
                out = out_buf[: written.value]
            else:
                try:
                    out = _bytes_from_buf(error_ptr, error_len)
                finally:
                    _ctp_buf_free(error)
        finally:
            self._unborrow()
        if status != _OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        if out.startswith(_ALLOW_PREFIX):  # Decision.from_bytes, inlined for an ALLOW
            decision = _new_decision(Decision)
            _SET_ALLOWED(decision, True)
            _SET_DECISION(decision, "ALLOW")
            _SET_DATA(decision, out)
            return decision
        return _decision_of(out)

    def _check_into(self, log: AuditLog, request: JsonInput) -> Decision:
        """The engine's side of :meth:`AuditLog.check` (_audit cannot reach
        this module's encoder: this module imports it)."""
        return self._check_audited(to_json_bytes(request, "request"), log)

    def _check_audited(self, data: bytes, audit: AuditLog) -> Decision:
        if not isinstance(audit, AuditLog):
            raise TypeError(f"audit must be an AuditLog, not {type(audit).__name__}")
        status, out = self._call(audit._check, data)
        if status != _OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        return _decision_of(out)

    def check_raw(self, request: JsonInput) -> dict[str, Any]:
        """Like :meth:`check`, returning the decision JSON as a dict (through
        the redaction, as ``Decision.raw``)."""
        data = to_json_bytes(request, "request")
        status, out = self._call(_native.check_json, data)
        if status != _OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        result: dict[str, Any] = _loads(redact_bytes(out))
        return result

    def check_verdict(self, request: JsonInput) -> Verdict:
        """Decides one pre-flight request as :meth:`check` does and answers
        with the :class:`Verdict` (allowed, rule ids; no messages, paths or
        fingerprint) instead of the :class:`Decision`
        (``ctp_check_json_verdict``): the cheaper answer when only "may it
        be sent?" matters. Go's ``Engine.CheckVerdict`` and Java's
        ``Engine.checkVerdict`` are the same call. Raises as :meth:`check`.
        """
        status, verdict, out = self._call(_native.check_json_verdict, to_json_bytes(request, "request"))
        if verdict is None:
            raise _errors.from_status(status, out, InvalidRequestError)
        allowed, violations, warnings, _ = verdict
        return Verdict(allowed=allowed, violations=violations, warnings=warnings, fingerprint=None)

    def check_charge(
        self,
        *,
        customer_present: bool,
        token: Optional[str],
        amount: int,
        currency: str,
        idempotency_key: Optional[str] = None,
        step_up: bool = False,
        record: Optional[StoredRecord] = None,
        now: Optional[Timestamp] = None,
        attempts_24h: Optional[int] = None,
        attempts_30d: Optional[int] = None,
        fingerprint: bool = False,
        caller: Optional[str] = None,
    ) -> Verdict:
        """The typed path (``ctp_check_charge``): decides a token charge
        given as fields, with no JSON either way, exactly as :meth:`check`
        decides the equivalent request (docs/ABI.md writes it out).

        ``token`` and ``idempotency_key`` are the header values, None when
        the header is not sent; ``step_up`` means a well-formed
        ``step_up_config`` is sent; ``amount`` is in minor units;
        ``currency`` as sent; ``now`` and ``record.last_used_at`` are aware
        datetimes (truncated to the millisecond) or ints of milliseconds
        since the Unix epoch; ``attempts_*`` are the counters, None when
        unknown (without either, rule 804 counts ``record.attempts``);
        ``caller`` is the request's ``caller`` (the service making the
        charge, checked against the policy's ``access``), None when not
        sent. With ``fingerprint=True`` the verdict carries the token's
        fingerprint. The library judges every value: a currency that is not
        three letters is a DENY with CURRENCY_INVALID, as in :meth:`check`.

        Raises what :meth:`check` raises for the equivalent request (the
        same error object): :class:`InvalidRequestError` with code
        NEEDED_BY_RULE when a policy rule needs ``now`` or a counter that is
        None, INVALID_VALUE for a negative counter or a ``now`` outside
        years 0001-9999, status INVALID_UTF8 for a string holding a lone
        surrogate. Misuse of the binding raises ``TypeError`` (an argument
        of the wrong type) or ``ValueError`` (a naive datetime, a
        ``record.state`` other than ACTIVE or REVOKED, an integer beyond 64
        bits), naming the argument, never quoting it.
        """
        flags = _WANT_FINGERPRINT if fingerprint else 0
        if customer_present:
            flags |= _CUSTOMER_PRESENT
        if step_up:
            flags |= _STEP_UP
        token_bytes = None if token is None else _utf8(token, "token")
        if token_bytes is not None:
            flags |= _HAS_TOKEN
        key_bytes = None if idempotency_key is None else _utf8(idempotency_key, "idempotency_key")
        if key_bytes is not None:
            flags |= _HAS_IDEMPOTENCY_KEY
        state = _native.RECORD_NONE
        record_token = None
        scopes = None
        last_used_ms = 0
        attempts_ms: Optional[tuple[int, ...]] = None
        if record is not None:
            if not isinstance(record, StoredRecord):
                raise TypeError(f"record must be a StoredRecord, not {type(record).__name__}")
            record_token = _utf8(record.customer_token, "record.customer_token")
            state = _STATES.get(record.state, _native.RECORD_NONE) if type(record.state) is str else _native.RECORD_NONE
            if state == _native.RECORD_NONE:
                raise ValueError("record.state must be 'ACTIVE' or 'REVOKED' (the typed path has no other state)")
            scopes = _scope_list(record.scopes)
            if record.last_used_at is not None:
                last_used_ms = _millis(record.last_used_at, "record.last_used_at")
                flags |= _HAS_LAST_USED_AT
            if record.attempts is not None:
                attempts_ms = _attempt_list(record.attempts)
                flags |= _HAS_ATTEMPTS
        caller_bytes = None
        if caller is not None:
            caller_bytes = _utf8(caller, "caller")
            flags |= _HAS_CALLER
        now_ms = 0
        if now is not None:
            now_ms = _millis(now, "now")
            flags |= _HAS_NOW
        if type(amount) is not int:
            raise TypeError(f"amount must be an int, not {type(amount).__name__}")
        counters = []
        for name, value, bit in (
            ("attempts_24h", attempts_24h, _HAS_ATTEMPTS_24H),
            ("attempts_30d", attempts_30d, _HAS_ATTEMPTS_30D),
        ):
            if value is None:
                counters.append(0)
                continue
            if type(value) is not int:
                raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
            counters.append(value)
            flags |= bit
        pointer = self._borrow()  # self._call inlined: the hot path
        try:
            status, verdict, err = _check_typed(
                pointer,
                flags=flags,
                token=token_bytes,
                idempotency_key=key_bytes,
                currency=_utf8(currency, "currency"),
                amount=amount,
                record_state=state,
                record_token=record_token,
                record_scopes=scopes,
                now_ms=now_ms,
                last_used_at_ms=last_used_ms,
                attempts_24h=counters[0],
                attempts_30d=counters[1],
                caller=caller_bytes,
                record_attempts_ms=attempts_ms,
            )
        except OverflowError as exc:
            status, verdict, err = -1, None, str(exc).encode()
        finally:
            self._unborrow()
        if status == -1:  # outside the except: no context
            raise ValueError(f"{err.decode()} (the typed path takes 64-bit integers)")
        if verdict is None:
            raise _errors.from_status(status, err, InvalidRequestError)
        allowed, violations, warnings, digest = verdict
        return Verdict(
            allowed=allowed,
            violations=violations,
            warnings=warnings,
            fingerprint=None if digest is None else "sha256:" + digest.hex(),
        )

    def check_many(self, requests: Iterable[JsonInput]) -> BatchResult:
        """Decides many pre-flight requests in one native call (``ctp_check_many``).

        Returns a :class:`BatchResult`: one result per request, in order,
        each the :class:`Decision` :meth:`check` would return or the error
        it would raise (returned, not raised), with the ALLOW, DENY and
        not-decided counts. Requests are taken as by :meth:`check`; a value
        that is not JSON (a ``set``) raises at once, as :meth:`check`
        would, and nothing is decided.
        """
        items = [to_json_bytes(r, "request") for r in requests]
        status, answers, (allowed, denied, invalid) = self._call(_native.check_many, items)
        if status != _OK:
            raise _errors.from_status(status, b"", InvalidRequestError)
        results: list[Union[Decision, Error]] = [
            _decision_of(out) if item_status == _OK else _errors.from_status(item_status, out, InvalidRequestError)
            for item_status, out in answers
        ]
        return BatchResult(tuple(results), allowed, denied, invalid)

    def __repr__(self) -> str:
        return f"<ctpolicy.Engine {'closed' if self.closed else 'open'}>"


_CUSTOMER_PRESENT = _native.CHARGE_CUSTOMER_PRESENT
_HAS_TOKEN = _native.CHARGE_HAS_TOKEN
_HAS_IDEMPOTENCY_KEY = _native.CHARGE_HAS_IDEMPOTENCY_KEY
_STEP_UP = _native.CHARGE_STEP_UP
_HAS_NOW = _native.CHARGE_HAS_NOW
_HAS_LAST_USED_AT = _native.CHARGE_HAS_LAST_USED_AT
_HAS_ATTEMPTS_24H = _native.CHARGE_HAS_ATTEMPTS_24H
_HAS_ATTEMPTS_30D = _native.CHARGE_HAS_ATTEMPTS_30D
_WANT_FINGERPRINT = _native.CHARGE_WANT_FINGERPRINT
_HAS_CALLER = _native.CHARGE_HAS_CALLER
_HAS_ATTEMPTS = _native.CHARGE_HAS_ATTEMPTS
_check_typed = _native.check_typed
_ctp_check_json_into = _native._ctp_check_json_into_unconverted
_decision_buf = _native._decision_buf
_BUFFER_TOO_SMALL = _native.BUFFER_TOO_SMALL
_ctp_buf_free = _native._ctp_buf_free_unconverted
_bytes_from_buf = _native._bytes_from_buf
_decision_of = Decision.from_bytes
_new_decision = object.__new__
_STATES = {"ACTIVE": _native.RECORD_ACTIVE, "REVOKED": _native.RECORD_REVOKED}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)


def _utf8(value: object, name: str) -> bytes:
    """The bytes of a ``str`` argument; a lone surrogate is kept as the
    bytes it stands for, so the library reports it (INVALID_UTF8), as
    :meth:`Engine.check` does for a request holding one."""
    if type(value) is not str:
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value.encode("utf-8", "surrogatepass")


def _scope_list(scopes: object) -> tuple[bytes, ...]:
    if isinstance(scopes, (str, bytes)) or not isinstance(scopes, Iterable):
        raise TypeError(f"record.scopes must be a collection of str, not {type(scopes).__name__}")
    return tuple([_utf8(scope, "each of record.scopes") for scope in scopes])


def _attempt_list(attempts: object) -> tuple[int, ...]:
    """``record.attempts`` as milliseconds since the Unix epoch."""
    if isinstance(attempts, (str, bytes)) or not isinstance(attempts, Iterable):
        raise TypeError(f"record.attempts must be a sequence of datetime or int, not {type(attempts).__name__}")
    return tuple([_millis(at, "each of record.attempts") for at in attempts])


def _millis(value: object, name: str) -> int:
    """Milliseconds since the Unix epoch of an aware datetime or an int."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"{name} is a naive datetime; give it a tzinfo (e.g. UTC)")
        return (value - _EPOCH) // _ONE_MS
    if type(value) is not int:
        raise TypeError(f"{name} must be a datetime or an int (milliseconds), not {type(value).__name__}")
    return value


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
        raise TypeError(f"token must be a str or bytes, not {type(token).__name__}")
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
    record_data = None if record is None else to_json_bytes(record, "record")
    event_data = to_json_bytes(event, "event")
    status, out = _native.apply_event_json(record_data, event_data)
    if status != _OK:
        raise _errors.from_status(status, out, InvalidRequestError)
    return Transition.from_json(_loads(out))


def _instant_text(at: object) -> bytes:
    """``at`` of :func:`apply_response`: RFC 3339 text as given, or an aware
    datetime written as RFC 3339 UTC with milliseconds."""
    if isinstance(at, datetime):
        try:
            text = _json_default(at)
        except _DatetimeError as exc:
            error = ValueError(f"at is {exc}")
        else:
            assert isinstance(text, str)
            return text.encode("ascii")
        raise error
    if isinstance(at, str):
        return at.encode("utf-8", "surrogatepass")
    raise TypeError(f"at must be a str (RFC 3339) or an aware datetime, not {type(at).__name__}")


def apply_response(
    record: Optional[JsonInput], request: JsonInput, response: JsonInput, at: Union[str, datetime]
) -> Transition:
    """Klarna's answer to an ``authorizePayment`` call as the record's next
    state: the events it implies (TOKENIZED, CHARGED,
    DECLINED) applied to ``record``.

    ``record`` is the stored record, None when there is none; ``request`` the
    pre-flight request that was checked and sent (as given to
    :meth:`Engine.check`); ``response`` the JSON body of the 2xx answer
    (a dict, or its text as received); ``at`` when the answer arrived: RFC
    3339 text, or an aware ``datetime`` (written as RFC 3339 UTC with
    milliseconds). Returns a :class:`Transition` whose ``record`` is None
    when no record results, with ``events`` the events applied.

    Raises :class:`InvalidRequestError` when ``request`` fails the envelope
    checks (as :meth:`Engine.check` would) or the record is not acceptable
    JSON, :class:`TransitionError` (``code`` RECORD_INVALID,
    RESPONSE_INVALID, INVALID_EVENT for ``at``, or the lifecycle's) when the
    answer cannot be applied.
    """
    record_data = None if record is None else to_json_bytes(record, "record")
    request_data = to_json_bytes(request, "request")
    response_data = to_json_bytes(response, "response")
    at_data = _instant_text(at)
    status, out = _native.apply_response_json(record_data, request_data, response_data, at_data)
    if status != _OK:
        raise _errors.from_status(status, out, InvalidRequestError)
    return Transition.from_json(_loads(out))


def library_version() -> str:
    """The native library's version (``ctp_version()``), e.g. "0.1.0"."""
    return _native.version()


# Here rather than in _audit: it needs the engine and the request's encoding,
# and _audit must not import this module, which imports it.
def audit_entry(engine: Engine, request: JsonInput, *, seq: int, prev: str, at: Optional[str] = None) -> str:
    """The entry line (without ``\\n``) a log would hold for ``request`` as
    entry ``seq`` after a line of fingerprint ``prev``, with ``at`` as the
    writer's clock where the entry takes it (None: the system clock). Writes
    nothing; for proving that entries are the CLI's, byte for byte."""
    if type(seq) is not int or type(prev) is not str or (at is not None and type(at) is not str):
        raise TypeError("seq must be an int, prev a str and at a str or None")
    if seq < 1:
        raise ValueError("seq must be 1 or more")
    data = to_json_bytes(request, "request")
    status, out = engine._call(
        _native.audit_entry_json,
        data,
        seq,
        prev.encode("utf-8", "surrogatepass"),
        None if at is None else at.encode("utf-8", "surrogatepass"),
    )
    if status == _native.INVALID_ARGUMENT:
        raise ValueError("prev must be 'sha256:' followed by 64 lowercase hex digits, and at UTF-8")
    if status != _native.OK:
        raise _errors.from_status(status, out, AuditLogError)
    return out.decode("utf-8")
