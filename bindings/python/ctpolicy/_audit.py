"""The audit trail (docs/HYGIENE.md H3): a closable log that checks are
recorded to (``log.check(engine, request)``), and the verification of a log,
over ``ctp_audit_*``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Optional, Protocol, Union

from . import _errors, _native
from ._errors import AuditLogError
from ._handle import NativeHandle
from ._redact import redacted_repr
from ._types import Decision

#: A file path as ``open`` takes it.
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def _path_bytes(path: object) -> bytes:
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str, bytes or os.PathLike, not {type(path).__name__}")
    try:
        data: Optional[bytes] = os.fsencode(path)
    except UnicodeEncodeError:
        data = None  # raised below, with no context: the error's repr holds the path
    if data is None:
        raise ValueError("path has no file-system encoding (a lone surrogate?)")
    if not data:
        raise ValueError("path is empty")
    return data


class _AuditedEngine(Protocol):
    """What :meth:`AuditLog.check` needs of an engine. Named by its shape:
    _engine imports this module, so this module does not import _engine."""

    def _check_into(self, log: AuditLog, request: Any) -> Decision: ...


def _close_quietly(log: int) -> None:
    """The finalizer of a log nobody closed: sync and free, nothing to report to."""
    _native.audit_close(log)


class AuditLog(NativeHandle):
    """An audit log open for appending: one chained entry per check made
    with ``log.check(engine, request)``.

    A missing or empty file is a new log; a log with entries is continued
    (``seq`` and ``prev`` follow its last entry). Thread-safe: share one
    across threads (and processes may append to the same file): appends are
    serialized by the library under an exclusive file lock, so the chain
    stays valid. Each entry is written before the decision is handed out;
    with ``fsync=True`` each is also synced to the disk, otherwise the log
    is synced by :meth:`close`.

    Raises :class:`AuditLogError` when the file's last line does not verify
    (a torn last line: nothing is appended to it; ``line`` names it and
    :func:`repair_audit_log` cuts it off) or the path is not a regular file
    (code ``NOT_A_REGULAR_FILE``: a device, FIFO or directory),
    :class:`AuditIOError` when it cannot be opened, read or locked. A
    context manager.

    A check fails with :class:`AuditLogError` and gives no decision when the
    log changed under this handle: code ``LOG_REPLACED`` when the path was
    deleted, renamed away or names another file (log rotation by rename:
    close this log, open the path again and check the request again) and
    ``LOG_TRUNCATED`` when the file is shorter than this handle left it.
    """

    def __init__(self, path: PathLike, fsync: bool = False) -> None:
        if type(fsync) is not bool:
            raise TypeError(f"fsync must be a bool, not {type(fsync).__name__}")
        status, pointer, err = _native.audit_open(_path_bytes(path), _native.AUDIT_FSYNC if fsync else 0)
        if status != _native.OK or not pointer:
            raise _errors.from_status(status, err, AuditLogError)
        super().__init__(pointer, _close_quietly)

    def close(self) -> None:
        """Syncs the log to the disk and releases it. Calling it again does
        nothing. Raises :class:`AuditIOError` when the sync failed (entries
        since the last sync may not be on the disk); the log is closed all
        the same. Called while another thread is inside a check, it closes
        the log when that check is done (and any failure of that sync goes
        unreported)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            busy = self._borrows > 0
        if busy:
            return
        self._finalizer.detach()
        status, err = _native.audit_close(self._pointer)
        if status != _native.OK:
            raise _errors.from_status(status, err, AuditLogError)

    def check(self, engine: _AuditedEngine, request: Any) -> Decision:
        """Decides ``request`` (a :data:`JsonInput`, as for
        :meth:`Engine.check`) with ``engine`` exactly as ``engine.check``
        does, after appending its entry to this log: a decision is given only
        once its entry is written. A request the engine cannot decide gets an
        ``ERROR`` entry, then its :class:`InvalidRequestError` is raised.
        When the entry cannot be written no decision is given:
        :class:`AuditIOError` or :class:`AuditLogError` is raised instead.
        Treat every exception as DENY."""
        check_into = getattr(engine, "_check_into", None)
        if not callable(check_into):
            raise TypeError(f"engine must be a ctpolicy.Engine, not {type(engine).__name__}")
        decision: Decision = check_into(self, request)
        return decision

    def _check(self, engine_pointer: int, request: bytes) -> tuple[int, bytes]:
        pointer = self._borrow()
        try:
            return _native.audit_check_json(engine_pointer, pointer, request)
        finally:
            self._unborrow()

    def __repr__(self) -> str:
        return f"<ctpolicy.AuditLog {'closed' if self.closed else 'open'}>"


@redacted_repr
@dataclass(frozen=True, slots=True)
class AuditSummary:
    """What :func:`verify_audit_log` found in a log that verifies."""

    entries: int
    """How many entries the log holds."""
    first_at: Optional[str]
    """The ``at`` of the first entry (None for an empty log)."""
    last_at: Optional[str]
    """The ``at`` of the last entry (None for an empty log)."""
    allowed: int
    """Entries with decision ALLOW."""
    denied: int
    """Entries with decision DENY."""
    errors: int
    """Entries with decision ERROR (requests that could not be decided)."""
    head: str
    """The fingerprint of the last line (``sha256:`` and 64 zeros when empty):
    keep it elsewhere and pass it as ``expect_head`` later to find entries
    cut off the end."""


def verify_audit_log(path: PathLike, expect_head: Optional[str] = None) -> AuditSummary:
    """Verifies the audit log at ``path`` (every entry's JSON, ``seq`` and
    ``prev``) in one streaming pass and returns its :class:`AuditSummary`.

    Raises :class:`AuditLogError` naming the first entry that fails
    (``code``, ``line``, ``seq``), or with code ``HEAD_MISMATCH`` when
    ``expect_head`` is given and the log ends in another head;
    :class:`AuditIOError` when the file cannot be read; ``ValueError`` for an
    ``expect_head`` that is not ``sha256:`` and 64 lowercase hex digits.
    """
    head: Optional[bytes] = None
    if expect_head is not None:
        if type(expect_head) is not str:
            raise TypeError(f"expect_head must be a str, not {type(expect_head).__name__}")
        head = expect_head.encode("utf-8", "surrogatepass")
    status, out = _native.audit_verify(_path_bytes(path), head)
    if status == _native.INVALID_ARGUMENT:
        # The only argument the library can refuse here is the head's form.
        raise ValueError("expect_head must be 'sha256:' followed by 64 lowercase hex digits")
    if status != _native.OK:
        raise _errors.from_status(status, out, AuditLogError)
    summary = json.loads(out)
    decisions = summary["decisions"]
    return AuditSummary(
        entries=summary["entries"],
        first_at=summary["first_at"],
        last_at=summary["last_at"],
        allowed=decisions["ALLOW"],
        denied=decisions["DENY"],
        errors=decisions["ERROR"],
        head=summary["head"],
    )


@redacted_repr
@dataclass(frozen=True, slots=True)
class AuditRepair:
    """What :func:`repair_audit_log` did."""

    repaired: bool
    """Whether a torn tail was cut off (False: the log verified as it was)."""
    cut_bytes: int
    """How many bytes were cut off the end: a write cut short, for which no
    decision was given."""
    kept_bytes: int
    """The log's length now."""
    entries: int
    """The whole entries the log holds, all of which verify."""
    head: str
    """The log's head now."""


def repair_audit_log(path: PathLike) -> AuditRepair:
    """Cuts the torn tail a write cut short left in the audit log at
    ``path`` (the bytes after its last newline), under the log's lock, when
    every entry before it verifies; syncs the file. Never cuts anything
    that verifies. The command line's ``ctpolicy audit repair``.

    Raises :class:`AuditLogError` when a whole entry fails (not a torn
    write: nothing is cut) or the path is not a regular file;
    :class:`AuditIOError` when the file cannot be read, locked or cut (an
    append-only file).
    """
    status, out = _native.audit_repair(_path_bytes(path))
    if status != _native.OK:
        raise _errors.from_status(status, out, AuditLogError)
    report = json.loads(out)
    return AuditRepair(
        repaired=report["repaired"],
        cut_bytes=report["cut_bytes"],
        kept_bytes=report["kept_bytes"],
        entries=report["entries"],
        head=report["head"],
    )
