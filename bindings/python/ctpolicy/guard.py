"""The charge guard: the pre-flight check inside the HTTP client.

A :class:`ChargeGuard` sits in the host's HTTP client (an httpx transport,
sync or async, or a requests adapter) and checks the ``authorizePayment``
request that is actually sent, then turns Klarna's answer into the token
record's next state::

    guard = ChargeGuard(engine, records, customer_present=False, caller="billing-renewals")
    client = httpx.Client(transport=guard.httpx_transport())
    session = requests.Session(); session.mount("https://", guard.requests_adapter())

What it does, for every ``POST`` to ``/v2/accounts/{id}/payment/authorize``
or ``/v2/payment/authorize`` (raw path, optional trailing ``/``; ``match``
changes that):

1. The body is buffered once and the buffered bytes are sent. The pre-flight
   request is built as JSON text with the body bytes placed in it as they
   are (never parsed and written again), every ``Klarna-*`` header as it
   will be sent (a repeated one fails the check as rule 703 would), the
   stored record of the ``Klarna-Customer-Token`` value (``records.get``),
   ``now`` from the clock and ``caller``. It is checked (through the audit
   log when there is one: the entry is written before the request leaves).
   On DENY :class:`PreflightDenied` is raised; when the check fails the
   error is raised (:class:`ctpolicy.InvalidRequestError`, an audit error,
   :class:`GuardError` for a ``records.get`` that raised). Either way no
   byte reaches the network.
2. After sending, the caller gets the response unchanged (the same bytes as
   received, decoded by the client as usual). The record is read again and
   Klarna's answer applied: a 2xx JSON object through
   :func:`ctpolicy.apply_response`; any other outcome of a sent token charge
   (another status, a body that is not a JSON object, a connection lost or
   a timeout after sending) as a ``DECLINED`` attempt, so it counts against
   the retry caps. A changed record is ``records.put`` keyed by its
   ``customer_token`` (a tokenization puts the new token's record).
   Nothing after sending raises to the caller: a fault goes to ``on_error``
   as a :class:`GuardError` carrying the record that should have been
   stored (default: one error-level record on the ``ctpolicy.guard``
   logger, redacted).

Charges of one token are serialised within a guard (a lock per token, from
``get`` to ``put``). Across processes, serialise charges of one token
yourself (your scheduler, or a store whose ``put`` is conditional).

httpx and requests are optional (``pip install httpx`` or ``requests``
beside ctpolicy); this module imports neither until a transport or
adapter is built.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Union

from . import _errors, _native
from ._audit import AuditLog
from ._engine import Engine, _instant_text, to_json_bytes
from ._errors import Error, InvalidRequestError
from ._json import FAST as _FAST, fast_dumps as _fast_dumps, loads_exact as _loads_exact
from ._redact import redact
from ._outgoing import OutgoingRequest
from ._types import Decision

if TYPE_CHECKING:  # pragma: no cover - types only
    import httpx
    import requests.adapters

__all__ = [
    "ChargeGuard",
    "GuardError",
    "OutgoingRequest",
    "PreflightDenied",
    "TokenRecords",
    "default_match",
]

_log = logging.getLogger("ctpolicy.guard")

#: Klarna's ``authorizePayment`` paths, raw (G1).
_AUTHORIZE = re.compile(r"/v2/(?:accounts/[^/]+/)?payment/authorize/?")
_TOKEN_HEADER = "klarna-customer-token"
_JSON_WS = " \t\n\r"
_raw_decode = json.JSONDecoder().raw_decode
_json_loads = json.JSONDecoder().decode
# A str as a JSON string (ASCII, escaped): the function JSONEncoder.encode
# calls for a str, called directly (no Python frame around it; four times a
# guarded request, in _prepare).
_json_string: Callable[[str], str] = encode_basestring_ascii


class TokenRecords(Protocol):
    """The host's token store: any object with these two methods, keyed by
    the token itself. Records are dicts (JSON objects)."""

    def get(self, token: str) -> Optional[Mapping[str, Any]]: ...

    def put(self, token: str, record: dict[str, Any]) -> None: ...


def default_match(method: str, raw_path: str) -> bool:
    """True for ``POST`` to Klarna's ``authorizePayment`` paths (raw path,
    without the query): ``/v2/accounts/{id}/payment/authorize`` and
    ``/v2/payment/authorize``, with an optional trailing ``/``."""
    return method.upper() == "POST" and _AUTHORIZE.fullmatch(raw_path) is not None


class PreflightDenied(Exception):
    """The pre-flight check denied a guarded request; it was not sent.

    ``decision`` is the engine's :class:`ctpolicy.Decision` (its
    ``violations`` say why). The message names the codes, never the token.
    """

    def __init__(self, decision: Decision) -> None:
        codes = ", ".join(decision.codes) or "DENY"
        super().__init__(f"the pre-flight check denied the charge: {codes}")
        self.decision = decision

    def __repr__(self) -> str:
        return redact(f"PreflightDenied({self.args[0]!r})")

    def __reduce__(self) -> Any:
        return (PreflightDenied, (self.decision,))


class GuardError(Error):
    """A fault of the guard around a sent (or about to be sent) charge.

    ``stage`` says where: ``"get"`` (``records.get`` raised; the request was
    not sent), ``"apply"`` (``apply_response`` / ``apply_event`` refused
    Klarna's answer), ``"put"`` (``records.put`` raised), ``"reread"`` (the
    record could not be read again after the answer; the one read before
    sending was used). ``record`` is the record that should have been stored
    (the one exception to "no token in any output": keep it elsewhere), None
    when there is none. ``error`` is the ctpolicy error behind it, when one
    is. Its text never holds a token, nor the text of the host's exception
    (only its type name). ``status`` is the ctpolicy error's, or
    ``"GUARD_FAULT"`` (``status_number`` -1) for a fault of the store.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        record: Optional[dict[str, Any]] = None,
        error: Optional[Error] = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, **fields)
        self.stage = stage
        self.record = record
        self.error = error

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "stage": self.stage, "record": self.record, "error": self.error}

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, stage={self.stage!r})"


def _guard_error(stage: str, message: str, record: Optional[dict[str, Any]], cause: BaseException) -> GuardError:
    if isinstance(cause, Error):
        return GuardError(
            f"{message}: {cause}",
            stage=stage,
            record=record,
            error=cause,
            status=cause.status,
            status_number=cause.status_number,
            code=cause.code,
            path=cause.path,
            detail=cause.detail,
        )
    # The host's own exception: its type only (its text may hold a token).
    return GuardError(
        f"{message}: {type(cause).__name__}",
        stage=stage,
        record=record,
        status="GUARD_FAULT",
        status_number=-1,  # no C status: the fault is the host's store
    )


def _log_error(error: GuardError) -> None:
    _log.error("ctpolicy guard: %s", redact(str(error)))


def _utc_text(at: datetime) -> bytes:
    # An instant already in UTC (the system clock's) is written directly:
    # the same text as _instant_text, in a third of the time (twice a request).
    if type(at) is datetime and at.tzinfo is timezone.utc:
        return b"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
            at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond // 1000
        )
    return _instant_text(at)


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


# The milliseconds' text, "000Z" to "999Z", by index.
_MILLIS = [b"%03dZ" % milli for milli in range(1000)]


class _SystemClockText:
    """The system clock's "now" as RFC 3339 UTC text with milliseconds: the
    text ``_utc_text(_system_clock())`` writes, without building a
    ``datetime`` (twice a guarded request). The date and time up to the
    second are written once a second and kept; the milliseconds each time."""

    __slots__ = ("_second",)

    def __init__(self) -> None:
        # (second since the epoch, its text): one tuple, replaced whole, so
        # a thread never reads the text of another second.
        self._second: tuple[int, bytes] = (-1, b"")

    def __call__(self) -> bytes:
        second, milli = divmod(time.time_ns() // 1_000_000, 1000)
        known, text = self._second
        if second != known:
            t = time.gmtime(second)
            text = b"%04d-%02d-%02dT%02d:%02d:%02d." % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
            self._second = (second, text)
        return text + _MILLIS[milli]


_system_now_text = _SystemClockText()


# A token's entry: [its lock, how many charges hold or wait for it]. A
# list, not an object with an __init__: one is made for most charges (the
# entry goes when its last charge ends).
_LOCK, _USERS = 0, 1
_new_lock = threading.Lock


class _TokenLocks:
    """One lock per token, dropped when no charge holds or waits for it."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._entries: dict[str, list[Any]] = {}

    # acquire/release rather than ``with`` (twice a charge); nothing between
    # them can raise.
    def _enter(self, token: str) -> list[Any]:
        mutex = self._mutex
        mutex.acquire()
        entry = self._entries.get(token)
        if entry is None:
            entry = self._entries[token] = [_new_lock(), 1]
        else:
            entry[_USERS] += 1
        mutex.release()
        return entry

    def _leave(self, token: str, entry: list[Any]) -> None:
        mutex = self._mutex
        mutex.acquire()
        entry[_USERS] -= 1
        if entry[_USERS] == 0:
            del self._entries[token]
        mutex.release()

    def acquire(self, token: str) -> None:
        entry = self._enter(token)
        try:
            entry[_LOCK].acquire()
        except BaseException:
            self._leave(token, entry)
            raise

    async def acquire_async(self, token: str) -> None:
        # A threading lock, polled: the same lock serves threads and event
        # loops (a sync and an async client may share one guard), and a
        # waiting coroutine never blocks its loop.
        entry = self._enter(token)
        try:
            delay = 0.0002
            while not entry[_LOCK].acquire(blocking=False):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.005)
        except BaseException:
            self._leave(token, entry)
            raise

    def release(self, token: str) -> None:
        # Forgotten first, released second, under one hold of the mutex: a
        # charge that comes later then finds either this entry (counted,
        # so not dropped) or a new one.
        mutex = self._mutex
        mutex.acquire()
        entry = self._entries[token]
        entry[_USERS] -= 1
        if entry[_USERS] == 0:
            del self._entries[token]
        mutex.release()
        entry[_LOCK].release()


class _Charge:
    """One guarded request between its check and its accounting."""

    __slots__ = ("token", "record", "record_json", "exact", "request", "body", "locked")

    def __init__(
        self,
        token: Optional[str],
        record: Optional[dict[str, Any]],
        record_json: Optional[bytes],
        exact: bool,
        request: bytes,
        body: bytes,
    ) -> None:
        self.token = token
        self.record = record
        self.record_json = record_json
        # Whether record_json holds no integer beyond 64 bits (see _record_text).
        self.exact = exact
        self.request = request
        # The body as sent: whether it asks for a token is read only when
        # the accounting needs to know (no token header, or an answer that
        # is not a JSON object), not for every charge.
        self.body = body
        self.locked = False


def _record_text(record: Optional[dict[str, Any]], what: str) -> tuple[Optional[bytes], bool]:
    """The stored record as JSON text (None for no record), and whether it
    holds no integer beyond 64 bits: true when orjson wrote it (it refuses
    such integers) or there is none. A transition's record holds only the
    given record's numbers (a new record is all strings), so orjson then
    reads it exactly (:func:`_transition_record`)."""
    if record is None:
        return None, True
    fast = _fast_dumps(record)
    if fast is not None:
        return fast, True
    return to_json_bytes(record, what), False


class _BodyFault(Exception):
    """The body is not one JSON value: the engine reports why."""


def _body_value(body: bytes) -> tuple[bool, Any]:
    """(True, the value) when ``body`` is exactly one JSON value (for its
    extent only: the bytes checked are ``body`` itself), (False, None) when
    it is not UTF-8 (the engine then refuses the whole request), else raises
    :class:`_BodyFault`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False, None
    start = len(text) - len(text.lstrip(_JSON_WS))
    try:
        value, end = _raw_decode(text, start)
    except (ValueError, RecursionError):
        raise _BodyFault() from None
    if text[end:].strip(_JSON_WS):
        raise _BodyFault()
    return True, value


def _asks_for_token(body: bytes) -> bool:
    """Whether ``body`` is a JSON object with a ``request_customer_token``
    that is not null (a tokenization). Read only when the key's name, or an
    escape that could spell it, is in the bytes at all."""
    # rfind: CPython's backward search is the faster of the two here.
    if body.rfind(b"request_customer_token") < 0 and body.rfind(b"\\") < 0:
        return False
    try:
        utf8, value = _body_value(body)
    except _BodyFault:
        return False  # the check fails on such a body
    return utf8 and isinstance(value, dict) and value.get("request_customer_token") is not None


def _transition_record(outcome: bytes, exact: bool = False) -> tuple[Any, bool]:
    """The ``record`` and ``changed`` of a transition's JSON.

    With ``exact`` (the record given to the library held no integer beyond
    64 bits: :func:`_record_text`) and orjson installed, orjson reads it
    all (faster than json reading the record alone). Otherwise: the
    library writes ``{"record":{…},"changed":…`` first (then, from
    apply_response, the events): the record object is then decoded alone
    and ``changed`` read as text, which leaves out the events and the outer
    object (about 40 % of decoding it all). Any other layout is decoded
    whole."""
    if exact and _FAST:
        whole = _loads_exact(outcome)
        return whole.get("record"), bool(whole.get("changed"))
    text = outcome.decode("utf-8")
    if text.startswith('{"record":{'):
        record, end = _raw_decode(text, 10)
        for literal, changed in ((',"changed":true', True), (',"changed":false', False)):
            if text.startswith(literal, end) and text[end + len(literal) : end + len(literal) + 1] in (",", "}"):
                return record, changed
    result = _json_loads(text)
    return result.get("record"), bool(result.get("changed"))


def _repeated_headers(klarna_headers: list[tuple[str, str]]) -> tuple[Optional[str], list[str]]:
    """The token (the first token header's value) and the headers as JSON
    members, for headers where a name is sent twice: the repeat gets another
    ASCII case (:func:`_case_variant`), so the check sees both and fails."""
    token: Optional[str] = None
    pairs: list[str] = []
    seen: set[str] = set()
    used: set[str] = set()
    for name, text in klarna_headers:
        lower = name.lower()
        shown = name if name not in used else _case_variant(name, used)
        used.add(shown)
        if lower == _TOKEN_HEADER and lower not in seen:
            token = text
        seen.add(lower)
        pairs.append(_json_string(shown) + ":" + _json_string(text))
    return token, pairs


def _case_variant(name: str, used: set[str]) -> str:
    """``name`` spelled in another ASCII case not in ``used``: a repeated
    header becomes two names equal but for case, which rule 703 denies."""
    candidates = [name.lower(), name.upper(), name.swapcase()]
    for i, ch in enumerate(name):
        if ch.isascii() and ch.isalpha():
            candidates.append(name[:i] + ch.swapcase() + name[i + 1 :])
    for candidate in candidates:
        if candidate not in used:
            return candidate
    return name  # a duplicate key: an envelope fault, which fails the check too


class ChargeGuard:
    """Checks every guarded request a client sends and keeps the token
    record from Klarna's answer (see the module's documentation).

    ``engine``: the :class:`ctpolicy.Engine` that decides. ``records``: the
    token store, ``get(token) -> dict | None`` and ``put(token, record)``.
    ``customer_present``: a bool, or a function of the
    :class:`OutgoingRequest` giving one. ``caller``: sent as ``caller`` in
    every pre-flight request. ``audit``: a :class:`ctpolicy.AuditLog` every
    guarded check goes through. ``clock``: a function giving "now" as an
    aware ``datetime`` (default: the system clock, UTC). ``on_error``: gets
    each :class:`GuardError` after sending (default: one error-level record
    on the ``ctpolicy.guard`` logger). ``match``: a function of (method,
    raw path) saying which requests are guarded (default
    :func:`default_match`).

    Safe to share across threads (and event loops).
    """

    def __init__(
        self,
        engine: Engine,
        records: TokenRecords,
        customer_present: Union[bool, Callable[[OutgoingRequest], bool]],
        *,
        caller: Optional[str] = None,
        audit: Optional[AuditLog] = None,
        clock: Optional[Callable[[], datetime]] = None,
        on_error: Optional[Callable[[GuardError], None]] = None,
        match: Optional[Callable[[str, str], bool]] = None,
    ) -> None:
        if not isinstance(engine, Engine):
            raise TypeError(f"engine must be a ctpolicy.Engine, not {type(engine).__name__}")
        if not (callable(getattr(records, "get", None)) and callable(getattr(records, "put", None))):
            raise TypeError("records must have get(token) and put(token, record) methods")
        if not (isinstance(customer_present, bool) or callable(customer_present)):
            raise TypeError("customer_present must be a bool or a function of the outgoing request")
        if caller is not None and not isinstance(caller, str):
            raise TypeError(f"caller must be a str or None, not {type(caller).__name__}")
        if audit is not None and not isinstance(audit, AuditLog):
            raise TypeError(f"audit must be a ctpolicy.AuditLog, not {type(audit).__name__}")
        self.engine = engine
        self.records = records
        self.customer_present = customer_present
        self.caller = caller
        self.audit = audit
        self.clock: Callable[[], datetime] = clock if clock is not None else _system_clock
        self.on_error: Callable[[GuardError], None] = on_error if on_error is not None else _log_error
        self.match: Callable[[str, str], bool] = match if match is not None else default_match
        caller_json = b"null" if caller is None else _json_string(caller).encode("ascii")
        # The fields between now and the body, the same for every request.
        self._tail = b'","counters":null,"decision_id":null,"caller":' + caller_json + b',"body":'
        self._locks = _TokenLocks()

    def __repr__(self) -> str:
        return f"<ctpolicy.guard.ChargeGuard caller={self.caller!r}>"

    # -- the faces ---------------------------------------------------------

    def httpx_transport(self, inner: Optional[httpx.BaseTransport] = None) -> httpx.BaseTransport:
        """An ``httpx.BaseTransport`` guarding the requests it sends through
        ``inner`` (default: a new ``httpx.HTTPTransport()``)."""
        from ._guard_httpx import GuardTransport

        return GuardTransport(self, inner)

    def async_httpx_transport(self, inner: Optional[httpx.AsyncBaseTransport] = None) -> httpx.AsyncBaseTransport:
        """An ``httpx.AsyncBaseTransport`` guarding the requests it sends
        through ``inner`` (default: a new ``httpx.AsyncHTTPTransport()``)."""
        from ._guard_httpx import AsyncGuardTransport

        return AsyncGuardTransport(self, inner)

    def requests_adapter(self, **kwargs: Any) -> requests.adapters.HTTPAdapter:
        """A ``requests.adapters.HTTPAdapter`` (``kwargs`` as HTTPAdapter's)
        to mount on a ``Session``. A ``max_retries`` that would send a
        ``POST`` again after it was sent is refused (``ValueError``)."""
        from ._guard_requests import GuardAdapter

        return GuardAdapter(self, **kwargs)

    # -- before sending (G3) -------------------------------------------------

    def _prepare(
        self, klarna_headers: list[tuple[str, str]], outgoing: Callable[[], OutgoingRequest]
    ) -> tuple[Optional[str], bytes]:
        """The token and the pre-flight text's head (``customer_present`` and
        ``headers``).

        ``klarna_headers`` are the request's ``Klarna-*`` headers as sent,
        in the client's order; ``outgoing`` builds the whole request for a
        ``customer_present`` function (only then: it costs more than the rest).
        """
        token: Optional[str] = None
        if len({name for name, _ in klarna_headers}) == len(klarna_headers):
            # No name sent twice as it is (the usual case): each is written
            # as sent, and the token is the first one's value.
            for name, text in klarna_headers:
                if name.lower() == _TOKEN_HEADER:
                    token = text
                    break
            pairs = [_json_string(name) + ":" + _json_string(text) for name, text in klarna_headers]
        else:
            token, pairs = _repeated_headers(klarna_headers)
        present = self.customer_present
        if not isinstance(present, bool):
            present = bool(present(outgoing()))
        head = b"".join((
            b'{"customer_present":true,"headers":{' if present else b'{"customer_present":false,"headers":{',
            ",".join(pairs).encode("ascii"),
            b"}",
        ))
        return token, head

    def _body_fault(self, body: bytes) -> Optional[Error]:
        """The error for a body that is not one JSON value (the engine's own
        for it, as a request), or None when the body is one."""
        try:
            _body_value(body)
            return None
        except _BodyFault:
            pass
        try:
            self.engine.check(body)  # not audited: the pre-flight's entry is written
        except Error as exc:
            error: Error = exc
        else:
            error = InvalidRequestError(
                "the request body is not one JSON value",
                status="INVALID_REQUEST",
                status_number=_native.INVALID_REQUEST,
                path="/body",
            )
        return error

    def _read_record(self, token: str) -> Optional[dict[str, Any]]:
        failure: Optional[BaseException] = None
        try:
            found = self.records.get(token)
        except Exception as exc:  # noqa: BLE001 - the host's store
            failure = exc
            found = None
        if failure is not None:  # raised outside the except: no context holding a token
            raise _guard_error("get", "records.get raised; the request was not sent", None, failure)
        if found is None:
            return None
        return found if isinstance(found, dict) else dict(found)

    def _check(self, token: Optional[str], head: bytes, body: bytes) -> _Charge:
        """Builds the pre-flight text and checks it.

        Every field is written (null where there is none) and the body
        bytes last, as they are: bytes that are not one JSON value cannot
        add or replace a field (the text then has a duplicate or unknown
        field, or is no JSON at all, and the check fails), so the body
        needs no reading of its own on the way.
        """
        record = self._read_record(token) if token is not None else None
        record_json, exact = _record_text(record, "token_record")
        request = b"".join((
            head,
            b',"token_record":',
            b"null" if record_json is None else record_json,
            b',"now":"',
            self._now_text(),
            self._tail,
            body,
            b"}",
        ))
        fault: Optional[Error] = None
        try:
            decision = self.engine.check(request) if self.audit is None else self.audit.check(self.engine, request)
        except InvalidRequestError:
            fault = self._body_fault(body)
            if fault is None:
                raise
        if fault is not None:  # outside the except: the body's error keeps no context
            raise fault
        if not decision.allowed:
            raise PreflightDenied(decision)
        # What apply_response reads of the request: the record is its own argument.
        answered = b"".join((head, b',"body":', body, b"}"))
        return _Charge(token, record, record_json, exact, answered, body)

    def _begin(
        self, klarna_headers: list[tuple[str, str]], body: bytes, outgoing: Callable[[], OutgoingRequest]
    ) -> _Charge:
        """Checks a guarded request; on ALLOW returns the charge, holding
        its token's lock (released by :meth:`_finish`). Raises when it must
        not be sent."""
        token, head = self._prepare(klarna_headers, outgoing)
        if token is None:
            return self._check(None, head, body)
        self._locks.acquire(token)
        try:
            charge = self._check(token, head, body)
        except BaseException:
            self._locks.release(token)
            raise
        charge.locked = True
        return charge

    async def _begin_async(
        self, klarna_headers: list[tuple[str, str]], body: bytes, outgoing: Callable[[], OutgoingRequest]
    ) -> _Charge:
        token, head = self._prepare(klarna_headers, outgoing)
        if token is None:
            return self._check(None, head, body)
        await self._locks.acquire_async(token)
        try:
            charge = self._check(token, head, body)
        except BaseException:
            self._locks.release(token)
            raise
        charge.locked = True
        return charge

    # -- after sending (G4) --------------------------------------------------

    def _finish(self, charge: _Charge, status: Optional[int], body: Optional[bytes], *, sent: bool = True) -> None:
        """Accounts for a sent charge and releases its lock; never raises.
        With ``sent`` False (an error before any byte left) it only releases.

        ``status`` and ``body`` (decoded, as the client would give it) are
        the answer's; None when the connection was lost or timed out after
        sending (or the body could not be read).
        """
        try:
            if sent:
                self._account(charge, status, body)
        except Exception as exc:  # noqa: BLE001 - nothing after sending may fail the call
            self._report(_guard_error("apply", "the guard failed after sending", charge.record, exc))
        finally:
            if charge.locked:
                charge.locked = False
                assert charge.token is not None
                self._locks.release(charge.token)

    def _report(self, error: GuardError) -> None:
        try:
            self.on_error(error)
        except Exception as exc:  # noqa: BLE001 - on_error must not fail the call either
            _log.error("ctpolicy guard: on_error raised %s while reporting: %s", type(exc).__name__, redact(str(error)))

    def _now_text(self) -> bytes:
        """The clock's "now" as the pre-flight request's text: the system
        clock's without building a ``datetime``, a host's clock through it."""
        return _system_now_text() if self.clock is _system_clock else _utc_text(self.clock())

    def _account(self, charge: _Charge, status: Optional[int], body: Optional[bytes]) -> None:
        is_object = (
            status is not None and 200 <= status < 300 and body is not None and body.lstrip(b" \t\r\n")[:1] == b"{"
        )
        if charge.token is None and not (is_object and _asks_for_token(charge.body)):
            return  # not a token charge, nor a tokenization that succeeded
        at = self._now_text()
        record, record_json, exact = charge.record, charge.record_json, charge.exact
        if charge.token is not None:
            found = self._reread(charge)
            if found is not record and found != record:
                record = found
                record_json, exact = _record_text(found, "record")
        outcome: Optional[bytes] = None
        failure: Optional[Error] = None
        if is_object:
            assert body is not None
            code, out = _native.apply_response_json(record_json, charge.request, body, at)
            if code == _native.OK:
                outcome = out
            else:
                failure = _errors.from_status(code, out, InvalidRequestError)
                if failure.code == "RESPONSE_INVALID" and charge.token is not None and not _asks_for_token(charge.body):
                    failure = None  # not a JSON object after all: an attempt of unknown outcome
        if outcome is None and failure is None:
            if charge.token is None:
                return
            code, out = _native.apply_event_json(record_json, b'{"type":"DECLINED","at":"' + at + b'"}')
            if code == _native.OK:
                outcome = out
            else:
                failure = _errors.from_status(code, out, InvalidRequestError)
        if failure is not None:
            self._report(_guard_error("apply", "Klarna's answer could not be applied to the record", record, failure))
            return
        assert outcome is not None
        new, changed = _transition_record(outcome, exact)
        if not changed or not isinstance(new, dict):
            return
        key = new.get("customer_token")
        put_failure: Optional[BaseException] = None
        try:
            self.records.put(key if isinstance(key, str) else (charge.token or ""), new)
        except Exception as exc:  # noqa: BLE001 - the host's store
            put_failure = exc
        if put_failure is not None:
            self._report(_guard_error("put", "records.put raised; the record was not stored", new, put_failure))

    def _reread(self, charge: _Charge) -> Optional[dict[str, Any]]:
        assert charge.token is not None
        failure: Optional[BaseException] = None
        try:
            found = self.records.get(charge.token)
        except Exception as exc:  # noqa: BLE001 - the host's store
            failure = exc
            found = charge.record
        if failure is not None:
            self._report(
                _guard_error("reread", "records.get raised after the answer; the record read before sending was used",
                             charge.record, failure)
            )
        if found is None:
            return None
        return found if isinstance(found, dict) else dict(found)
