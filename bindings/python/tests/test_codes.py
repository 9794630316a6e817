"""ctpolicy.codes agrees with the library's own rule table."""

from __future__ import annotations

import ctpolicy
from ctpolicy import _native, codes


def test_rule_codes_match_library() -> None:
    from_library = {
        rule_id: code
        for rule_id in range(0, 2000)
        if (code := _native.reason_code(rule_id)) is not None
    }
    assert from_library, "ctp_reason_code knows no rule"
    assert dict(codes.RULE_CODES) == from_library
    for rule_id, code in from_library.items():
        assert getattr(codes, code) == code, f"codes.{code} missing"
        assert codes.RULE_IDS[code] == rule_id
    assert codes.SCOPE_MISMATCH == "SCOPE_MISMATCH"
    assert codes.RULE_CODES[301] == codes.SCOPE_MISMATCH


def test_unknown_rule_ids() -> None:
    assert _native.reason_code(0) is None
    assert _native.reason_code(999) is None
    assert _native.reason_code(-1) is None
    assert _native.reason_code(1 << 40) is None


def test_statuses_match_library() -> None:
    for number in range(0, 300):
        name = _native.status_name(number)
        if number in codes.STATUSES:
            assert name == codes.STATUSES[number]
        else:
            assert name == "UNKNOWN", f"status {number} ({name}) missing from codes.STATUSES"
    assert _native.status_name(0xFFFFFFFF) == "UNKNOWN"
    for number, name in codes.STATUSES.items():
        assert getattr(_native, name) == number


def test_versions() -> None:
    assert ctpolicy.library_version() == ctpolicy.__version__
    assert _native.abi_version() == ctpolicy.ABI_VERSION == 2
