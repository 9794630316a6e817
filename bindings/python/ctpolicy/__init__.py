"""ctpolicy: pre-flight policy checks for Klarna customer-token charges.

A thin, typed binding (ctypes only) over the ctpolicy C library::

    import ctpolicy

    with ctpolicy.Engine({"allowed_regions": ["eu1"]}) as engine:
        decision = engine.check(request)        # dict, str or bytes
        if not decision.allowed:
            print([v.code for v in decision.violations])
        verdict = engine.check_charge(customer_present=False, token=token,
                                      amount=1299, currency="EUR", ...)

The library is found through ``CTPOLICY_LIB``, else the copy inside this
package, else the repository's ``target/release``. See README.md.
"""

from . import codes
from ._audit import AuditLog, AuditSummary, verify_audit_log
from ._engine import (
    Engine,
    JsonInput,
    apply_event,
    apply_response,
    library_version,
    parse_token,
)
from ._errors import (
    AuditIOError,
    AuditLogError,
    EngineClosedError,
    EngineError,
    Error,
    InvalidRequestError,
    PolicyError,
    TokenFormatError,
    TransitionError,
)
from ._native import ABI_VERSION, LibraryLoadError
from ._redact import LeakReport, RedactingFilter, redact, redact_count, scan
from ._types import (
    BatchResult,
    Decision,
    Event,
    StoredRecord,
    Timestamp,
    TokenInfo,
    Transition,
    Verdict,
    Violation,
)
from ._vault import VaultFinding, VaultLint
from . import guard
from .guard import GuardError, PreflightDenied
from ._version import __version__

__all__ = [
    "AuditIOError",
    "AuditLog",
    "AuditLogError",
    "AuditSummary",
    "ABI_VERSION",
    "BatchResult",
    "Decision",
    "Engine",
    "EngineClosedError",
    "Event",
    "EngineError",
    "GuardError",
    "Error",
    "InvalidRequestError",
    "JsonInput",
    "LeakReport",
    "LibraryLoadError",
    "PolicyError",
    "PreflightDenied",
    "RedactingFilter",
    "StoredRecord",
    "Timestamp",
    "TokenFormatError",
    "TokenInfo",
    "Transition",
    "TransitionError",
    "VaultFinding",
    "VaultLint",
    "Verdict",
    "Violation",
    "__version__",
    "apply_event",
    "apply_response",
    "codes",
    "guard",
    "library_version",
    "parse_token",
    "redact",
    "redact_count",
    "scan",
    "verify_audit_log",
]
