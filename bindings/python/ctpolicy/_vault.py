"""The vault lint (docs/VAULT.md): stored token records checked one at a time,
with duplicates found across everything fed to the same lint."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, Union

from . import _errors, _native
from ._engine import JsonInput, to_json_bytes
from ._errors import InvalidRequestError, PolicyError
from ._handle import NativeHandle
from ._redact import redacted_repr

#: A stored record: a dict (serialised with ``json.dumps``), or the record's
#: text as ``str`` or its exact bytes as stored (unreadable bytes are a
#: finding, ``RECORD_UNREADABLE``, not an exception).
RecordInput = JsonInput


@redacted_repr
@dataclass(frozen=True)
class VaultFinding:
    """One finding of the vault lint (docs/VAULT.md V1).

    ``line`` is the 1-based position of the record among those fed to the
    lint, ``related_line`` that of the earlier record of a ``DUPLICATE_*``
    finding (else None). ``detail`` is a fixed word (a field name, a reader
    code, a ``TIMELINE`` statement) or the token's region for
    ``REGION_NOT_ALLOWED``; ``fingerprint`` is ``sha256:…`` of the record's
    ``customer_token`` when it is a string. Nothing here holds a token.
    """

    line: int
    code: str
    severity: str
    detail: Optional[str]
    fingerprint: Optional[str]
    related_line: Optional[int]

    @property
    def is_error(self) -> bool:
        """True for an ``error`` finding (the CLI exits 1 on any)."""
        return self.severity == "error"

    @classmethod
    def _from_json(cls, obj: dict[str, Any]) -> VaultFinding:
        return cls(
            line=int(obj["line"]),
            code=str(obj["code"]),
            severity=str(obj["severity"]),
            detail=obj["detail"],
            fingerprint=obj["fingerprint"],
            related_line=obj["related_line"],
        )


def _now_text(now: Union[str, datetime, None]) -> Optional[bytes]:
    if now is None:
        return None
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (a naive datetime has no instant)")
        return now.isoformat().encode("ascii")
    if isinstance(now, str):
        return now.encode("utf-8", "surrogatepass")
    raise TypeError(f"now must be an RFC 3339 str or a datetime, not {type(now).__name__}")


def _stale_days(stale_days: Optional[int]) -> int:
    if stale_days is None:
        return -1
    if isinstance(stale_days, bool) or not isinstance(stale_days, int):
        raise TypeError(f"stale_days must be an int, not {type(stale_days).__name__}")
    if not 0 <= stale_days < 2**63:
        raise ValueError("stale_days must be 0 or more (and fit in 64 bits)")
    return stale_days


def _shard(shard: Optional[tuple[int, int]]) -> tuple[int, int]:
    if shard is None:
        return (1, 1)
    if not isinstance(shard, tuple) or len(shard) != 2 or not all(type(x) is int for x in shard):
        raise TypeError("shard must be a tuple (index, count) of two ints")
    index, count = shard
    if not 1 <= index <= count < 2**64:
        raise ValueError("shard must be (index, count) with 1 <= index <= count")
    return index, count


class VaultLint(NativeHandle):
    """A lint over one export of stored token records.

    ``policy`` (dict, JSON text or None) is loaded strictly; only its
    ``allowed_regions`` is used. ``now`` (RFC 3339 text or an aware
    ``datetime``) enables ``FUTURE_TIMESTAMP``; ``stale_days`` (needs
    ``now``) enables ``STALE``. Raises :class:`PolicyError` when the policy
    does not load and :class:`EngineError` (code ``INVALID_NOW`` or
    ``STALE_DAYS_NEED_NOW``) when the options are invalid.

    ``shard=(i, n)`` (1 <= i <= n) makes this lint shard ``i`` of ``n``
    independent lints (processes or machines that share nothing), each fed
    every record in order: it reports only the findings of its share and
    keeps only its share of the duplicate tables, and the ``n`` shards
    together report exactly what one lint reports. A finding's shard is that
    of the record's ``customer_token`` (shard 1 when it is not a string),
    except ``DUPLICATE_REFERENCE``, which is that of its
    ``customer_token_reference``; the shard of a string is ``1 + (first 8
    bytes of the SHA-256 of its UTF-8, big-endian) % n``. A shard out of
    range raises ``ValueError``.

    The lint remembers every record fed (as keyed hashes, never tokens) to
    find duplicates: feed one export per lint, from one thread at a time.
    Close it (or use ``with``) to release it.
    """

    def __init__(
        self,
        policy: Optional[JsonInput] = None,
        *,
        now: Union[str, datetime, None] = None,
        stale_days: Optional[int] = None,
        shard: Optional[tuple[int, int]] = None,
    ) -> None:
        index, count = _shard(shard)
        data = None if policy is None else to_json_bytes(policy, "policy")
        status, pointer, err = _native.vault_new(data, _now_text(now), _stale_days(stale_days))
        if status != _native.OK or not pointer:
            raise _errors.from_status(status, err, PolicyError)
        super().__init__(pointer, _native.vault_free)
        self._fed = 0
        self._shard = (index, count)
        if count != 1:
            status, err = self._call(_native.vault_set_shard, index, count)
            if status != _native.OK:
                self.close()
                raise _errors.from_status(status, err, InvalidRequestError)

    def feed(self, record: RecordInput) -> list[VaultFinding]:
        """Lints the next record and returns its findings, in docs/VAULT.md order."""
        data = to_json_bytes(record, "record")
        status, out = self._call(_native.vault_feed, data)
        if status != _native.OK:
            raise _errors.from_status(status, out, InvalidRequestError)
        self._fed += 1
        return [VaultFinding._from_json(json.loads(line)) for line in out.splitlines()]

    def lint(self, records: Iterable[RecordInput]) -> Iterator[VaultFinding]:
        """Feeds every record in order, yielding the findings as they come."""
        for record in records:
            yield from self.feed(record)

    @property
    def shard(self) -> tuple[int, int]:
        """``(index, count)`` of this lint's shard; ``(1, 1)`` for a plain lint."""
        return self._shard

    @property
    def records_fed(self) -> int:
        """How many records this lint has read."""
        return self._fed

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self._fed} records fed"
        return f"<ctpolicy.VaultLint {state}>"
