"""Reason codes and other stable names of the engine's answers.

The rule codes are the engine's rule table, generated into ``_tables.py``;
the test suite checks them against the library's ``ctp_reason_code`` over ids
100..999, so they cannot drift. ``RULE_CODES`` maps id -> code and
``RULE_IDS`` code -> id. The codes of failed calls (``JSON_SYNTAX``,
``NOT_APPROVED``, ...; ``ERROR_CODES`` lists them all) are generated from the
engine's code table into ``_tables.py`` too. The details come from
docs/RULES.md.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, Mapping

# The reason codes of the rules (TOKEN_MALFORMED, ...) and the codes of
# failed calls (JSON_SYNTAX, ...) are generated from the engine's rule and
# code tables into _tables.py (``make tables``).
from ._tables import *  # noqa: E402,F401,F403
from ._tables import RULES as _RULES  # noqa: E402
from ._tables import STATUSES as _STATUSES  # noqa: E402

#: Rule id -> reason code, for every rule of the engine.
RULE_CODES: Final[Mapping[int, str]] = MappingProxyType({rule_id: code for rule_id, code, _, _ in _RULES})

#: Reason code -> rule id.
RULE_IDS: Final[Mapping[str, int]] = MappingProxyType({c: i for i, c in RULE_CODES.items()})

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
