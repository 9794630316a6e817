"""The typed API over the raw layer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Union

from . import _errors, _native, _tables
from ._errors import Error, InvalidRequestError, PolicyError, TokenFormatError
from ._audit import AuditLog
from ._handle import NativeHandle
from ._types import BatchResult, Decision, StoredRecord, Timestamp, TokenInfo, Transition, Verdict

#: A JSON document: a mapping (serialised with ``json.dumps``), or its text
#: as ``str`` or UTF-8 ``bytes`` (passed to the engine exactly as given).
#: In a mapping, an aware ``datetime`` is written as RFC 3339 (UTC, milliseconds).
JsonInput = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]


class _NaiveDatetimeError(ValueError):
    """A naive datetime in a request dict: no instant to send."""


def _json_default(value: object) -> object:
    """What ``json.dumps`` writes for a value it does not know: an aware
    ``datetime`` (e.g. ``now``, ``token_record.last_used_at``) becomes
    RFC 3339 in UTC with milliseconds, as :meth:`Engine.check_charge` reads
    it; anything else is not JSON."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise _NaiveDatetimeError(f"{value.isoformat()} is a naive datetime; give it a tzinfo (e.g. UTC)")
        return _rfc3339(value, "a datetime")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_dumps = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), default=_json_default
).encode
# The same without the circular-reference bookkeeping (~10 % of the cost of a
# request): a cycle then ends in RecursionError, and the error path re-runs
# _dumps to tell a cycle from a structure that is merely too deep.
_dumps_fast = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), default=_json_default, check_circular=False
).encode
_decode = json.JSONDecoder().decode


def _loads(data: bytes) -> Any:
    return _decode(data.decode("utf-8"))


_OK = _native.OK


def _dumps_or_error(value: dict[str, Any], what: str, kind: type[Error]) -> bytes:
    """``value`` serialised with the circular-reference check, or the error saying why not."""
    try:
        text = _dumps(value)
    except _NaiveDatetimeError as exc:
        raise _errors.value_error(InvalidRequestError, f"{what} holds {exc}", None) from exc
    except (TypeError, ValueError) as exc:
        raise _errors.type_error(kind, f"{what} is not JSON: {exc}") from exc
    except RecursionError as exc:
        # Far deeper than the 64 levels the engine accepts anyway.
        raise _errors.too_deep(kind, what) from exc
    return text.encode("ascii")


def to_json_bytes(value: object, what: str, kind: type[Error]) -> bytes:
    """The bytes the engine reads for ``value``.

    ``str`` is encoded as UTF-8 with lone surrogates kept as they are, so the
    engine (not Python) reports them, as ``INVALID_UTF8``. Mappings go
    through ``json.dumps``: key order and integers are kept; a value that is
    not JSON (a ``set``, ``NaN``, a circular reference) raises ``kind``,
    which is then also a ``TypeError``; one nested too deeply for
    ``json.dumps`` raises ``kind`` with code TOO_DEEP, as the engine would.
    """
    if type(value) is dict:  # the common case first: no ABC isinstance on the way
        try:
            return _dumps_fast(value).encode("ascii")
        except (TypeError, ValueError, RecursionError):
            return _dumps_or_error(value, what, kind)
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Mapping):
        return _dumps_or_error(value if isinstance(value, dict) else dict(value), what, kind)
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

    def check(self, request: JsonInput, audit: Optional[AuditLog] = None) -> Decision:
        """Decides one pre-flight request.

        Returns the :class:`Decision` (ALLOW or DENY). Raises
        :class:`InvalidRequestError` when the request is not acceptable (an
        envelope fault): treat that as DENY.

        With ``audit``, the check's entry is appended to that
        :class:`AuditLog` before the decision is returned (an ``ERROR``
        entry before the :class:`InvalidRequestError` is raised); when the
        entry cannot be written no decision is given:
        :class:`AuditIOError` or :class:`AuditLogError` is raised instead.
        """
        data = to_json_bytes(request, "request", InvalidRequestError)
        if audit is not None:
            return self._check_audited(data, audit)
        pointer = self._borrow()
        try:
            status, out = _check_json(pointer, data)
        finally:
            self._unborrow()
        if status != _OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        return _decision_of(out)

    def _check_audited(self, data: bytes, audit: AuditLog) -> Decision:
        if not isinstance(audit, AuditLog):
            raise TypeError(f"audit must be an AuditLog, not {type(audit).__name__}")
        pointer = self._borrow()
        try:
            status, out = audit._check(pointer, data)
        finally:
            self._unborrow()
        if status != _OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        return _decision_of(out)

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
    ) -> Verdict:
        """The typed fast path (``ctp_check``): decides a token charge given
        as fields, with no JSON either way.

        It gives the violation and warning ids :meth:`check` gives for the
        equivalent request (:func:`charge_request` builds it). ``token`` and
        ``idempotency_key`` are the header values, None when the header is
        not sent; ``step_up`` means a well-formed ``step_up_config`` is sent;
        ``amount`` is in minor units; ``currency`` as sent (anything but three
        ASCII letters is CURRENCY_INVALID, as in JSON); ``now`` and
        ``record.last_used_at`` are aware datetimes (truncated to the
        millisecond) or ints of milliseconds since the Unix epoch;
        ``attempts_*`` are the counters, None when unknown. With
        ``fingerprint=True`` the verdict carries the token's fingerprint.

        Raises :class:`InvalidRequestError` when the charge cannot be
        decided: code NEEDED_BY_RULE when a policy rule needs ``now`` or a
        counter that is None, INVALID_VALUE for a negative counter (both
        with the message and path :meth:`check` gives); also a
        ``ValueError`` (status INVALID_ARGUMENT) for a value no request can
        hold (a timestamp outside years 0001-9999, a naive datetime, an
        amount or counter beyond 64 bits, an unknown record state), and a
        ``TypeError`` for an argument of the wrong type.
        """
        try:
            charge = _native.CtpCharge()
            flags = _native.CHARGE_WANT_FINGERPRINT if fingerprint else 0
            if customer_present:
                flags |= _CUSTOMER_PRESENT
            if token is not None:
                data = token.encode() if type(token) is str else _text(token, "token", _TOKEN_PATH)
                charge.token = data
                charge.token_len = len(data)
                flags |= _HAS_TOKEN
            if idempotency_key is not None:
                data = (
                    idempotency_key.encode()
                    if type(idempotency_key) is str
                    else _text(idempotency_key, "idempotency_key", _KEY_PATH)
                )
                charge.idempotency_key = data
                charge.idempotency_key_len = len(data)
                flags |= _HAS_IDEMPOTENCY_KEY
            if step_up:
                flags |= _STEP_UP
            if record is not None:
                if not isinstance(record, StoredRecord):
                    raise _wrong_type("record", "a StoredRecord", record, "/token_record")
                data = _text(record.customer_token, "record.customer_token", "/token_record/customer_token")
                charge.record_token = data
                charge.record_token_len = len(data)
                state = _STATES.get(record.state) if isinstance(record.state, str) else None
                if state is None:
                    raise _invalid_value(
                        f"record.state must be 'ACTIVE' or 'REVOKED', not {record.state!r}",
                        "/token_record/state",
                    )
                charge.record_state = state
                charge.record_scopes = _scope_bits(record.scopes)
                if record.last_used_at is not None:
                    charge.last_used_at_ms = _millis(
                        record.last_used_at, "record.last_used_at", "/token_record/last_used_at"
                    )
                    flags |= _HAS_LAST_USED_AT
            cur = currency.encode() if type(currency) is str else _text(currency, "currency", "/body/currency")
            # Not three bytes: no request's currency is valid then, and three
            # non-letters give the engine exactly that fact (CURRENCY_INVALID).
            charge.currency[:] = cur if len(cur) == 3 else b"\0\0\0"
            if type(amount) is not int:
                raise _wrong_type("amount", "an int", amount, "/body/request_payment_transaction/amount")
            # Beyond 64 bits: out of 1..2147483647 (AMOUNT_INVALID) either way.
            charge.amount = amount if _I64_MIN <= amount <= _I64_MAX else 0
            if now is not None:
                charge.now_ms = _millis(now, "now", "/now")
                flags |= _HAS_NOW
            if attempts_24h is not None:
                charge.attempts_24h = _counter(attempts_24h, "attempts_24h")
                flags |= _HAS_ATTEMPTS_24H
            if attempts_30d is not None:
                charge.attempts_30d = _counter(attempts_30d, "attempts_30d")
                flags |= _HAS_ATTEMPTS_30D
            charge.flags = flags
        except UnicodeEncodeError:
            # check() would refuse the request: give its error.
            raise self._undecidable(
                customer_present=customer_present,
                token=token,
                amount=amount,
                currency=currency,
                idempotency_key=idempotency_key,
                step_up=step_up,
                record=record,
                now=now,
                attempts_24h=attempts_24h,
                attempts_30d=attempts_30d,
            ) from None

        verdict = _native.CtpVerdict()
        pointer = self._borrow()
        try:
            status = _check_charge(pointer, charge, verdict)
        finally:
            self._unborrow()
        if status == _OK:
            return Verdict(
                allowed=bool(verdict.allowed),
                violations=tuple(verdict.violations[: verdict.violation_count]),
                warnings=tuple(verdict.warnings[: verdict.warning_count]),
                fingerprint="sha256:" + bytes(verdict.fingerprint).hex()
                if verdict.has_fingerprint
                else None,
            )
        if status == _native.INVALID_REQUEST:
            raise self._undecidable(
                customer_present=customer_present,
                token=token,
                amount=amount,
                currency=currency,
                idempotency_key=idempotency_key,
                step_up=step_up,
                record=record,
                now=now,
                attempts_24h=attempts_24h,
                attempts_30d=attempts_30d,
            )
        if status == _native.INVALID_ARGUMENT:
            # Flags, state and scopes are set above from checked values, so
            # what the library refused is a timestamp.
            name, path = "now", "/now"
            if flags & _HAS_LAST_USED_AT and not _MIN_MS <= charge.last_used_at_ms <= _MAX_MS:
                name, path = "record.last_used_at", "/token_record/last_used_at"
            raise _invalid_value(f"{name} is outside years 0001-9999", path)
        raise _errors.from_status(status, b"", InvalidRequestError)

    def _undecidable(self, **charge: Any) -> Error:
        """The error for a charge ``ctp_check`` found undecidable
        (``CTP_INVALID_REQUEST``): the one :meth:`check` gives for the
        equivalent request, which has the code, message and path."""
        try:
            request = charge_request(**charge)
            pointer = self._borrow()
            try:
                status, out = _native.check_json(pointer, to_json_bytes(request, "request", InvalidRequestError))
            finally:
                self._unborrow()
            if status != _OK:
                return _errors.from_status(status, out, InvalidRequestError)
        except (Error, ValueError, OverflowError):
            pass
        if any(_has_lone_surrogate(charge[n]) for n in ("token", "idempotency_key", "currency")) or (
            charge["record"] is not None and _has_lone_surrogate(charge["record"].customer_token)
        ):
            return InvalidRequestError(
                "a text field holds a lone surrogate (no UTF-8 form)",
                status=_native.status_name(_native.INVALID_REQUEST),
                status_number=_native.INVALID_REQUEST,
                code="UNPAIRED_SURROGATE",
            )
        negative = [n for n in ("attempts_24h", "attempts_30d") if (charge[n] or 0) < 0]
        if negative:
            return InvalidRequestError(
                f"counters.{negative[0]} must not be negative",
                status=_native.status_name(_native.INVALID_REQUEST),
                status_number=_native.INVALID_REQUEST,
                code="INVALID_VALUE",
                path=f"/counters/{negative[0]}",
            )
        return InvalidRequestError(
            "a policy rule needs now or a counter this charge does not give",
            status=_native.status_name(_native.INVALID_REQUEST),
            status_number=_native.INVALID_REQUEST,
            code="NEEDED_BY_RULE",
        )

    def check_many(self, requests: Iterable[JsonInput]) -> BatchResult:
        """Decides many pre-flight requests in one native call (``ctp_check_batch``).

        Returns a :class:`BatchResult`: one result per request, in order,
        each the :class:`Decision` :meth:`check` would return or the
        :class:`InvalidRequestError` it would raise (returned, not raised),
        with the ALLOW, DENY and invalid counts. Dicts are serialised as by
        :meth:`check`; ``str``/``bytes`` are sent as given. The batch is JSON
        Lines, so a ``str``/``bytes`` request that holds a raw line break
        (pretty-printed JSON) or is blank is decided on its own by
        ``ctp_check_json`` instead, giving the same answer. A value that is
        not JSON (a ``set``) raises at once, as :meth:`check` would.
        """
        items = [to_json_bytes(r, "request", InvalidRequestError) for r in requests]
        batched: list[bytes] = []
        alone: dict[int, bytes] = {}
        for index, data in enumerate(items):
            if b"\n" in data or not data.strip(b" \t\r"):
                alone[index] = data
            else:
                batched.append(data)
        pointer = self._borrow()
        try:
            counts = None
            lines: list[bytes] = []
            if batched:
                status, out, counts = _native.check_batch(pointer, b"\n".join(batched))
                if status != _OK:
                    raise _errors.from_status(status, out, InvalidRequestError)
                lines = out.split(b"\n")
                if lines and lines[-1] == b"":
                    lines.pop()
                if len(lines) != len(batched):
                    raise _errors.EngineError(
                        f"ctp_check_batch answered {len(lines)} lines for {len(batched)} requests",
                        status=_native.status_name(_native.PANIC),
                        status_number=_native.PANIC,
                    )
            single = {i: _native.check_json(pointer, data) for i, data in alone.items()}
        finally:
            self._unborrow()

        results: list[Union[Decision, Error]] = []
        allowed = denied = invalid = 0
        it = iter(lines)
        for index in range(len(items)):
            if index in single:
                status, out = single[index]
                if status != _OK:
                    results.append(_errors.from_status(status, out, InvalidRequestError))
                    invalid += 1
                    continue
                decision = _decision_of(out)
            else:
                line = next(it)
                if not line.startswith(b'{"decision":'):
                    obj = _loads(line)
                    if "error" in obj and "decision" not in obj:
                        results.append(_errors.from_error_object(obj, InvalidRequestError))
                        invalid += 1
                        continue
                    decision = Decision.from_json(obj)
                else:
                    decision = _decision_of(line)
            results.append(decision)
            if decision.allowed:
                allowed += 1
            else:
                denied += 1
        if counts is not None and not alone:
            # Nothing was decided apart: the library's counts must agree.
            assert (counts.allowed, counts.denied, counts.invalid) == (allowed, denied, invalid)
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
_check_charge = _native.check_charge
_check_json = _native.check_json
_decision_of = Decision.from_bytes
_TOKEN_PATH = "/headers/Klarna-Customer-Token"
_KEY_PATH = "/headers/Klarna-Idempotency-Key"
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1
# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range ctp_check takes.
_MIN_MS = -62_135_596_800_000
_MAX_MS = 253_402_300_799_999
_STATES = {"ACTIVE": _native.RECORD_ACTIVE, "REVOKED": _native.RECORD_REVOKED}

#: Scope string -> ``CTP_SCOPE_*`` bit; any other string is ``CTP_SCOPE_UNKNOWN``.
#: Generated from the engine's scope bits into _tables.py.
SCOPE_BITS: dict[str, int] = dict(_tables.SCOPES)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)


def _wrong_type(name: str, wanted: str, value: object, path: Optional[str]) -> Error:
    err = _errors.type_error(InvalidRequestError, f"{name} must be {wanted}, not {type(value).__name__}")
    err.code = "WRONG_TYPE"
    err.path = path
    return err


def _invalid_value(message: str, path: Optional[str]) -> Error:
    return _errors.value_error(InvalidRequestError, message, path)


def _text(value: object, name: str, path: str) -> bytes:
    """UTF-8 of a ``str`` field (``UnicodeEncodeError`` for a lone surrogate)."""
    if type(value) is not str:
        raise _wrong_type(name, "a str", value, path)
    return value.encode("utf-8")


def _has_lone_surrogate(value: object) -> bool:
    return isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value)


def _scope_bits(scopes: object) -> int:
    if isinstance(scopes, (str, bytes)) or not isinstance(scopes, Iterable):
        raise _wrong_type("record.scopes", "a sequence of str", scopes, "/token_record/scopes")
    bits = 0
    for scope in scopes:
        if type(scope) is not str:
            raise _wrong_type("a scope", "a str", scope, "/token_record/scopes")
        bits |= SCOPE_BITS.get(scope, _native.SCOPE_UNKNOWN)
    return bits


def _millis(value: object, name: str, path: str) -> int:
    """Milliseconds since the Unix epoch of an aware datetime or an int."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise _invalid_value(f"{name} is a naive datetime; give it a tzinfo (e.g. UTC)", path)
        return (value - _EPOCH) // _ONE_MS
    if type(value) is not int:
        raise _wrong_type(name, "a datetime or an int (milliseconds)", value, path)
    if not _I64_MIN <= value <= _I64_MAX:
        raise _invalid_value(f"{name} is outside years 0001-9999", path)
    return value


def _counter(value: object, name: str) -> int:
    if type(value) is not int:
        raise _wrong_type(name, "an int", value, f"/counters/{name}")
    if not _I64_MIN <= value <= _I64_MAX:
        raise _invalid_value(f"counters.{name} does not fit in 64 bits", f"/counters/{name}")
    return value


def _rfc3339(value: Timestamp, name: str) -> str:
    ms = _millis(value, name, "")
    try:
        at = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        raise _invalid_value(f"{name} is outside years 0001-9999", None) from None
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:"
        f"{at.second:02d}.{at.microsecond // 1000:03d}Z"
    )


def charge_request(
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
) -> dict[str, Any]:
    """The pre-flight request (a dict for :meth:`Engine.check`) equivalent to
    these :meth:`Engine.check_charge` arguments, as docs/ABI.md defines it.

    ``Engine.check(charge_request(**kw))`` has the violation and warning ids
    of ``Engine.check_charge(**kw)``. Timestamps become RFC 3339 in UTC with
    milliseconds; scopes are written once each, in the order
    customer_present, customer_not_present, customer:login, then the first
    unknown one. The dict holds the token: it is a request, not a log line.
    """
    headers: dict[str, Any] = {}
    if token is not None:
        headers["Klarna-Customer-Token"] = token
    if idempotency_key is not None:
        headers["Klarna-Idempotency-Key"] = idempotency_key
    request: dict[str, Any] = {"customer_present": customer_present}
    if headers:
        request["headers"] = headers
    body: dict[str, Any] = {"currency": currency, "request_payment_transaction": {"amount": amount}}
    if step_up:
        body["step_up_config"] = {}
    request["body"] = body
    if record is not None:
        scopes = [s for s in SCOPE_BITS if s in record.scopes]
        unknown = [s for s in record.scopes if s not in SCOPE_BITS]
        stored: dict[str, Any] = {
            "customer_token": record.customer_token,
            "state": record.state,
            "scopes": scopes + unknown[:1],
        }
        if record.last_used_at is not None:
            stored["last_used_at"] = _rfc3339(record.last_used_at, "record.last_used_at")
        request["token_record"] = stored
    if now is not None:
        request["now"] = _rfc3339(now, "now")
    counters = {
        name: value
        for name, value in (("attempts_24h", attempts_24h), ("attempts_30d", attempts_30d))
        if value is not None
    }
    if counters:
        request["counters"] = counters
    return request


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
