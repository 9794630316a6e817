"""The answers: frozen dataclasses built from the engine's JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import FrozenInstanceError, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Optional, Union, overload

from ._json import loads as _loads
from ._redact import redact, redact_bytes, redacted_repr
from .codes import RULE_CODES

if TYPE_CHECKING:
    from ._errors import Error

#: A point in time for the typed fast path: an aware ``datetime``, or
#: milliseconds since the Unix epoch as an ``int``.
Timestamp = Union[datetime, int]


@redacted_repr
@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a well-formed customer token says about itself; never the token."""

    form: str
    """``"network"`` or ``"identity"``."""
    region: str
    """e.g. ``"eu1"``."""
    environment: Optional[str]
    """``"live"`` or ``"test"`` for the identity form, else None."""
    fingerprint: str
    """``"sha256:" + hex`` of the exact header bytes: safe to log, joinable."""

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TokenInfo:
        return cls(
            form=obj["form"],
            region=obj["region"],
            environment=obj.get("environment"),
            fingerprint=obj["fingerprint"],
        )


@redacted_repr
@dataclass(frozen=True, slots=True)
class Violation:
    """One rule hit (under ``Decision.violations`` or ``Decision.warnings``)."""

    id: int
    """The rule id (e.g. 301); see :mod:`ctpolicy.codes`."""
    code: str
    """The reason code (e.g. ``"SCOPE_MISMATCH"``); never changes meaning."""
    severity: str
    """The effective severity: ``"deny"`` or ``"warn"``."""
    message: str
    """For people; may change between versions."""
    path: Optional[str]
    """JSON Pointer into the request."""
    detail: Optional[str] = None
    """Set on TOKEN_MALFORMED and RECORD_INVALID only."""

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Violation:
        return cls(
            id=obj["id"],
            code=obj["code"],
            severity=obj["severity"],
            message=obj.get("message", ""),
            path=obj.get("path"),
            detail=obj.get("detail"),
        )


_ALLOW_PREFIX = b'{"decision":"ALLOW",'
_DENY_PREFIX = b'{"decision":"DENY",'


class Decision:
    """The engine's answer to one pre-flight request. DENY is not an exception.

    A frozen value: ``allowed`` and ``decision`` are read from the front of
    the engine's JSON at once; the other fields are decoded from it the
    first time one of them is read (most callers only branch on
    ``allowed``). Two decisions are equal when all eight fields are; the
    hash leaves out ``receipt`` and ``raw``.
    """

    __slots__ = ("allowed", "decision", "_data", "_fields")

    allowed: bool
    """True exactly when ``decision == "ALLOW"`` (no violations)."""
    decision: str
    """``"ALLOW"`` or ``"DENY"``."""
    _data: Optional[bytes]
    _fields: Optional[tuple[Any, ...]]

    def __init__(
        self,
        allowed: bool,
        decision: str,
        required_scope: Optional[str],
        violations: tuple[Violation, ...],
        warnings: tuple[Violation, ...],
        token: Optional[TokenInfo],
        receipt: dict[str, Any],
        raw: dict[str, Any],
    ) -> None:
        _set = object.__setattr__
        _set(self, "allowed", allowed)
        _set(self, "decision", decision)
        _set(self, "_data", None)
        _set(self, "_fields", (required_scope, violations, warnings, token, receipt, raw))

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Decision:
        """The decision of a decoded decision JSON object, every field decoded now."""
        return cls(obj["decision"] == "ALLOW", obj["decision"], *_decoded_fields(obj))

    @classmethod
    def from_bytes(cls, data: bytes) -> Decision:
        """The decision of the engine's decision JSON, decoded when first read."""
        if data.startswith(_ALLOW_PREFIX):
            allowed = True
        elif data.startswith(_DENY_PREFIX):
            allowed = False
        else:  # not the engine's own layout: decode it all now
            return cls.from_json(_loads(redact_bytes(data)))
        self = object.__new__(cls)
        # The slots' own setters: past the frozen __setattr__, and cheaper
        # than object.__setattr__ by name (this runs once per check).
        _SET_ALLOWED(self, allowed)
        _SET_DECISION(self, "ALLOW" if allowed else "DENY")
        # `_fields` is left unset until first read (one slot write fewer
        # per check): _load tells "not decoded yet" by its AttributeError.
        _SET_DATA(self, data)
        return self

    def _load(self) -> tuple[Any, ...]:
        try:
            fields = self._fields
        except AttributeError:
            fields = None
        if fields is None:
            # Two threads may both decode: each writes an equal tuple.
            assert self._data is not None
            # Redacted before decoding (docs/HYGIENE.md H4): a token a caller put
            # where it does not belong (decision_id, a key echoed in a path)
            # never reaches a field, whatever library version answered.
            fields = _decoded_fields(_loads(redact_bytes(self._data)))
            object.__setattr__(self, "_fields", fields)
        return fields

    @property
    def required_scope(self) -> Optional[str]:
        """The payment scope this charge needs."""
        value: Optional[str] = self._load()[0]
        return value

    @property
    def violations(self) -> tuple[Violation, ...]:
        """Hits of ``deny`` severity, sorted by id."""
        value: tuple[Violation, ...] = self._load()[1]
        return value

    @property
    def warnings(self) -> tuple[Violation, ...]:
        """Hits of ``warn`` severity, sorted by id."""
        value: tuple[Violation, ...] = self._load()[2]
        return value

    @property
    def token(self) -> Optional[TokenInfo]:
        """The header's token, when it is well-formed."""
        value: Optional[TokenInfo] = self._load()[3]
        return value

    @property
    def receipt(self) -> dict[str, Any]:
        """``{"engine_version", "policy_digest", "decision_id"}``."""
        value: dict[str, Any] = self._load()[4]
        return value

    @property
    def raw(self) -> dict[str, Any]:
        """The decision as the engine returned it (through the redaction:
        a token anywhere in it reads ``[customer-token sha256:…]``)."""
        value: dict[str, Any] = self._load()[5]
        return value

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the violations (the reasons for a DENY), in order;
        empty for an ALLOW. The same meaning as ``Verdict.codes``."""
        return tuple(v.code for v in self.violations)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        """The codes of the warnings, in order."""
        return tuple(w.code for w in self.warnings)

    @property
    def policy_digest(self) -> Optional[str]:
        """The digest of the policy that decided (from the receipt)."""
        value = self.receipt.get("policy_digest")
        return value if isinstance(value, str) else None

    @property
    def decision_id(self) -> Optional[str]:
        """The request's ``decision_id``, echoed (from the receipt)."""
        value = self.receipt.get("decision_id")
        return value if isinstance(value, str) else None

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _compared(self) -> tuple[Any, ...]:
        return (self.allowed, self.decision, *self._load())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Decision)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash((self.allowed, self.decision, *self._load()[:4]))

    def __repr__(self) -> str:
        scope, violations, warnings, token, receipt, _ = self._load()
        return redact(
            f"Decision(allowed={self.allowed!r}, decision={self.decision!r}, required_scope={scope!r}, "
            f"violations={violations!r}, warnings={warnings!r}, token={token!r}, receipt={receipt!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (Decision, (self.allowed, self.decision, *self._load()))


_SLOTS: dict[str, Any] = dict(vars(Decision))
_SET_ALLOWED = _SLOTS["allowed"].__set__
_SET_DECISION = _SLOTS["decision"].__set__
_SET_DATA = _SLOTS["_data"].__set__


def _decoded_fields(obj: dict[str, Any]) -> tuple[Any, ...]:
    """required_scope, violations, warnings, token, receipt, raw of a decision object."""
    token = obj.get("token")
    return (
        obj.get("required_scope"),
        tuple(Violation.from_json(v) for v in obj.get("violations", ())),
        tuple(Violation.from_json(v) for v in obj.get("warnings", ())),
        TokenInfo.from_json(token) if token is not None else None,
        obj.get("receipt") or {},
        obj,
    )


@redacted_repr
@dataclass(frozen=True, slots=True)
class Event:
    """One lifecycle event that :func:`ctpolicy.apply_response` applied:
    its ``type`` (``"TOKENIZED"``, ``"CHARGED"``, ``"DECLINED"``) and ``at``
    (RFC 3339, as given). Never the response, which holds the token."""

    type: str
    at: str


@redacted_repr
@dataclass(frozen=True, slots=True)
class Transition:
    """The result of one lifecycle step (:func:`ctpolicy.apply_event`) or of
    Klarna's answer (:func:`ctpolicy.apply_response`).

    ``record`` is the partner's own stored data and holds ``customer_token``
    verbatim, as it must; ``repr()``/``str()`` show its fingerprint instead.
    """

    record: Optional[dict[str, Any]] = field(hash=False)
    """The record to store (key order as docs/RULES.md/DECISIONS.md describe);
    None only from :func:`ctpolicy.apply_response` when no record results
    (no record given and none made)."""
    changed: bool
    """False when the step left the record as it was (e.g. a repeated REVOKED)."""
    events: tuple[Event, ...] = ()
    """The events applied, in order (:func:`ctpolicy.apply_response`);
    always empty from :func:`ctpolicy.apply_event`."""

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Transition:
        events = obj.get("events") or ()
        return cls(
            record=obj.get("record"),
            changed=bool(obj["changed"]),
            events=tuple(Event(type=str(e["type"]), at=str(e["at"])) for e in events),
        )

    def __repr__(self) -> str:
        record = None if self.record is None else _redacted(self.record)
        return f"Transition(record={record!r}, changed={self.changed!r}, events={self.events!r})"

    __str__ = __repr__


def _redacted(record: dict[str, Any]) -> dict[str, Any]:
    shown = dict(record)
    if "customer_token" in shown:
        shown["customer_token"] = _fingerprint_of(shown["customer_token"])
    return shown


def _fingerprint_of(token: Any) -> str:
    """A printable stand-in for a record's token, well-formed or not: its
    fingerprint, never its text."""
    if isinstance(token, str):
        data = token.encode("utf-8", "surrogatepass")
        return f"<redacted sha256:{hashlib.sha256(data).hexdigest()}>"
    return "<redacted>"


@redacted_repr
@dataclass(frozen=True, slots=True)
class StoredRecord:
    """The partner's stored record of a token, for :meth:`Engine.check_charge`.

    ``scopes`` (a list or tuple of str) are passed as stored, in their
    order, and judged by the library as the JSON path judges a stored
    record's ``scopes`` (an unknown one is rule 205 UNKNOWN_SCOPE; none,
    both payment scopes or a repeated one is rule 204 RECORD_INVALID).
    ``last_used_at`` is an aware ``datetime`` or milliseconds since the Unix
    epoch. ``attempts`` is the record's ``attempts`` list (the instants of
    earlier authorization attempts, read by rule 804 when the charge has no
    counters): a sequence of aware ``datetime`` or ``int`` milliseconds since
    the Unix epoch, or None when the record has none (an empty sequence is
    an empty list: no attempts yet either). A record kept as JSON holds
    RFC 3339 strings: convert them with ``datetime.fromisoformat``.
    ``repr()`` shows the token's fingerprint, never the token.
    """

    customer_token: str
    state: Literal["ACTIVE", "REVOKED"]
    scopes: Collection[str]
    last_used_at: Optional[Timestamp] = None
    attempts: Optional[Sequence[Timestamp]] = None

    def __repr__(self) -> str:
        return (
            f"StoredRecord(customer_token={_fingerprint_of(self.customer_token)!r}, state={self.state!r}, "
            f"scopes={self.scopes!r}, last_used_at={self.last_used_at!r}, attempts={self.attempts!r})"
        )

    __str__ = __repr__


def _code_of(rule_id: int) -> str:
    code = RULE_CODES.get(rule_id)
    return code if code is not None else f"RULE_{rule_id}"


@redacted_repr
@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer of :meth:`Engine.check_charge`: the typed fast path's
    ALLOW or DENY, as rule ids. DENY is not an exception."""

    allowed: bool
    """True exactly when there are no violations."""
    violations: tuple[int, ...]
    """Rule ids of ``deny`` hits, ascending (``codes.RULE_CODES`` names them)."""
    warnings: tuple[int, ...]
    """Rule ids of ``warn`` hits, ascending."""
    fingerprint: Optional[str] = None
    """``"sha256:" + hex`` of the token when asked for and the token is
    well-formed (the JSON path's ``Decision.token.fingerprint``), else None."""

    @property
    def decision(self) -> str:
        """``"ALLOW"`` or ``"DENY"``."""
        return "ALLOW" if self.allowed else "DENY"

    @property
    def violation_codes(self) -> tuple[str, ...]:
        """The reason codes of the violations."""
        return tuple(_code_of(i) for i in self.violations)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        """The reason codes of the warnings."""
        return tuple(_code_of(i) for i in self.warnings)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the violations (the reasons for a DENY), as ``Decision.codes``."""
        return self.violation_codes


@redacted_repr
@dataclass(frozen=True, slots=True)
class BatchResult(Sequence[Union[Decision, "Error"]]):
    """The answer of :meth:`Engine.check_many`: one result per request, in order.

    Each result is the request's :class:`Decision`, or, for a request that
    could not be decided, the exception :meth:`Engine.check` would have
    raised (an :class:`InvalidRequestError`), returned rather than raised.
    It is a sequence of those results (``len``, indexing, iteration), with
    the counts beside them.
    """

    results: tuple[Union[Decision, Error], ...]
    allowed: int
    """How many requests were ALLOW."""
    denied: int
    """How many requests were DENY."""
    invalid: int
    """How many requests could not be decided (the errors among ``results``)."""

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """The decisions alone, in order."""
        return tuple(r for r in self.results if isinstance(r, Decision))

    @property
    def errors(self) -> tuple[Error, ...]:
        """The errors alone, in order."""
        return tuple(r for r in self.results if not isinstance(r, Decision))

    def __len__(self) -> int:
        return len(self.results)

    @overload
    def __getitem__(self, index: int) -> Union[Decision, Error]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Union[Decision, Error], ...]: ...

    def __getitem__(
        self, index: Union[int, slice]
    ) -> Union[Decision, Error, tuple[Union[Decision, Error], ...]]:
        return self.results[index]

    def __iter__(self) -> Iterator[Union[Decision, Error]]:
        return iter(self.results)
