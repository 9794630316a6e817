"""Reason codes and other stable names of the engine's answers.

The rule codes are the engine's rule table, generated into ``_tables.py``;
the test suite checks them against the library's ``ctp_reason_code`` over ids
100..999, so they cannot drift. ``RULE_CODES`` maps id -> code and
``RULE_IDS`` code -> id. The error codes (envelope, policy, lifecycle) and
details come from docs/RULES.md and docs/DECISIONS.md.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, Mapping

# The reason codes of the rules (TOKEN_MALFORMED, ...) are generated from
# the engine's rule table into _tables.py (``make tables``).
from ._tables import *  # noqa: E402,F401,F403
from ._tables import RULES as _RULES  # noqa: E402
from ._tables import STATUSES as _STATUSES  # noqa: E402

#: Rule id -> reason code, for every rule of the engine.
RULE_CODES: Final[Mapping[int, str]] = MappingProxyType({rule_id: code for rule_id, code, _, _ in _RULES})

#: Reason code -> rule id.
RULE_IDS: Final[Mapping[str, int]] = MappingProxyType({c: i for i, c in RULE_CODES.items()})

# Error codes of INVALID_REQUEST and INVALID_POLICY (DECISIONS.md 3).
JSON_SYNTAX: Final = "JSON_SYNTAX"
UNPAIRED_SURROGATE: Final = "UNPAIRED_SURROGATE"
TOO_LARGE: Final = "TOO_LARGE"
TOO_DEEP: Final = "TOO_DEEP"
DUPLICATE_KEY: Final = "DUPLICATE_KEY"
WRONG_TYPE: Final = "WRONG_TYPE"
MISSING_FIELD: Final = "MISSING_FIELD"
UNKNOWN_FIELD: Final = "UNKNOWN_FIELD"
INVALID_VALUE: Final = "INVALID_VALUE"
NEEDED_BY_RULE: Final = "NEEDED_BY_RULE"
UNKNOWN_RULE: Final = "UNKNOWN_RULE"
RULE_NOT_ADJUSTABLE: Final = "RULE_NOT_ADJUSTABLE"

# Error codes of TRANSITION_REJECTED (docs/RULES.md, "Lifecycle"), besides
# RECORD_INVALID, TOKEN_MALFORMED, TOKEN_WRONG_TYPE and TOKEN_REVOKED above.
INVALID_EVENT: Final = "INVALID_EVENT"
INVALID_TRANSITION: Final = "INVALID_TRANSITION"
RESPONSE_INVALID: Final = "RESPONSE_INVALID"
NOT_APPROVED: Final = "NOT_APPROVED"
SCOPE_GRANT_MISMATCH: Final = "SCOPE_GRANT_MISMATCH"
REFERENCE_MISMATCH: Final = "REFERENCE_MISMATCH"
RECORD_REQUIRED: Final = "RECORD_REQUIRED"

# Details of TOKEN_MALFORMED (docs/RULES.md, "The token"), in the order checked.
TOKEN_DETAILS: Final = (
    "EMPTY",
    "TOO_LONG",
    "INVALID_CHARACTER",
    "NOT_A_KRN",
    "BAD_STRUCTURE",
    "BAD_REGION",
    "BAD_ID",
)

# Details of RECORD_INVALID (docs/RULES.md, "The record"), in the order checked.
RECORD_DETAILS: Final = ("FIELD", "STATE", "SCOPES", "TIMESTAMP")

# Statuses (the C ABI's CTP_* without the prefix), by number.
STATUSES: Final[Mapping[int, str]] = MappingProxyType(dict(_STATUSES))
