"""docs/HYGIENE.md H4 in Python: a recognisable token put through every door a
caller can misuse (swapped StoredRecord arguments, a token as currency, as a
dict key, as a header name, as decision_id, as a scope, a path...) never
comes out of any text this package writes: str, repr, logging output, the
exception's text and its whole traceback (context and cause included)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ctpolicy

SECRET = "LeAkDoOrS3cr3t0f8fad5bd9cb469fa165"  # the token's id part: what is searched for
TOKEN = f"krn:customer-token:eu1:{SECRET}"
ENCODED = TOKEN.replace(":", "%3A")
MALFORMED = f"krn:customer-token:EU1:{SECRET}"
CNP = "payment:customer_not_present"


def renewal(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "customer_present": False,
        "headers": {"Klarna-Customer-Token": TOKEN, "Klarna-Idempotency-Key": "renewal-1"},
        "token_record": {"customer_token": TOKEN, "scopes": [CNP], "state": "ACTIVE"},
        "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299}},
    }
    request.update(changes)
    return request


@pytest.fixture(scope="module")
def engine() -> Iterator[ctpolicy.Engine]:
    with ctpolicy.Engine({"min_charge_interval_seconds": 60}) as built:
        yield built


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    # A plain handler with NO RedactingFilter: the objects' own texts must be clean.
    logger = logging.getLogger("ctpolicy-test-leak-doors")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    yield logger, out
    logger.removeHandler(handler)


def texts_of(value: object, logger: logging.Logger) -> list[str]:
    """Every text a caller gets from ``value``."""
    found = [str(value), repr(value), f"{value}", f"{value!r}"]
    logger.info("value %s / %r", value, value)
    if isinstance(value, BaseException):
        found += [str(a) for a in value.args]
        found.append("".join(traceback.format_exception(value)))
        for linked in (value.__context__, value.__cause__):
            if linked is not None:
                found += [str(linked), repr(linked)]
        try:
            raise value
        except BaseException:  # noqa: BLE001 - logged with its traceback
            logger.exception("failed")
        if isinstance(value, ctpolicy.Error):
            found += [value.message, str(value.path), str(value.detail), json.dumps(value.raw)]
            found.append(repr(pickle.loads(pickle.dumps(value))))
    if isinstance(value, ctpolicy.Decision):
        found += [json.dumps(value.raw), repr(value.violations), str(value.decision_id), json.dumps(value.receipt)]
    return found


def outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the exception is what is searched
        return exc


def assert_clean(values: list[object], logger: logging.Logger, out: io.StringIO) -> None:
    seen: list[str] = []
    for value in values:
        seen += texts_of(value, logger)
    seen.append(out.getvalue())
    leaks = [text for text in seen if SECRET in text]
    assert not leaks, leaks[0][:500]


def test_swapped_stored_record_arguments(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log
    swapped = ctpolicy.StoredRecord("ACTIVE", TOKEN, [CNP])  # type: ignore[arg-type]
    scopes_swapped = ctpolicy.StoredRecord(TOKEN, "ACTIVE", [TOKEN, ENCODED])
    error = outcome(lambda: engine.check_charge(customer_present=False, token=TOKEN, amount=1, currency="EUR", record=swapped))
    assert isinstance(error, ValueError) and "record.state" in str(error)
    verdict = engine.check_charge(customer_present=False, token=TOKEN, amount=1, currency="EUR", record=scopes_swapped)
    assert "UNKNOWN_SCOPE" in verdict.warning_codes
    assert_clean([swapped, scopes_swapped, error, verdict], logger, out)
    assert "[customer-token sha256:" in repr(swapped)


def test_token_as_currency(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log
    verdict = engine.check_charge(customer_present=False, token=TOKEN, amount=1, currency=TOKEN, idempotency_key="k")
    assert verdict.codes[-1] == "CURRENCY_INVALID"
    decision = engine.check(renewal(body={"currency": TOKEN, "request_payment_transaction": {"amount": 1}}))
    batch = engine.check_many([renewal(body={"currency": ENCODED, "request_payment_transaction": {"amount": 1}}), "{"])
    assert_clean([verdict, decision, batch, *batch], logger, out)


@pytest.mark.parametrize(
    "request_",
    [
        {TOKEN: 1, "customer_present": True},
        renewal(counters={TOKEN: 1}),
        renewal(body={"currency": "EUR", "request_payment_transaction": {"amount": 1}, TOKEN: {}}),
        renewal(token_record={"customer_token": TOKEN, "scopes": [CNP], "state": "ACTIVE", TOKEN: 1}),
        '{"customer_present": false, "body": {}, "decision_id": "a", "decision_id": "%s"}' % TOKEN,
        '{"customer_present": false, "body": {}, "%s": 1, "%s": 2}' % (TOKEN, TOKEN),
        b'{"customer_present": false, "body": {"' + TOKEN.encode() + b'": "\xff"}}',
        '{"customer_present": false, "body": {"%s": "\ud800"}}' % TOKEN,
        {MALFORMED: {MALFORMED: [TOKEN]}},
    ],
)
def test_token_as_a_key(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO], request_: Any) -> None:
    logger, out = log
    error = outcome(lambda: engine.check(request_))  # an error, or a DENY naming the key's path
    assert isinstance(error, (ctpolicy.Error, ctpolicy.Decision)), error
    batch = engine.check_many([request_])
    raw = outcome(lambda: engine.check_raw(request_))
    assert_clean([error, batch, *batch, raw], logger, out)


def test_token_as_a_header_name(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log
    headers = {"Klarna-Customer-Token": TOKEN, TOKEN: "x", ENCODED: "z"}
    decision = engine.check(renewal(headers=headers))
    # rule 703 on two names differing only in case, both token-shaped
    twins = engine.check(renewal(headers={"Klarna-Customer-Token": TOKEN, TOKEN: "a", TOKEN.replace("eu1", "EU1"): "b"}))
    assert "HEADER_DUPLICATE" in twins.codes
    raw = engine.check_raw(renewal(headers=headers))
    assert_clean([decision, twins, raw], logger, out)


def test_token_as_decision_id(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO], tmp_path: Path) -> None:
    logger, out = log
    decision = engine.check(renewal(decision_id=TOKEN))
    assert decision.decision_id is not None and decision.decision_id.startswith("[customer-token sha256:")
    with ctpolicy.AuditLog(tmp_path / "a.log") as audit:
        audited = audit.check(engine, renewal(decision_id=f"id-{ENCODED}"))
    entries = (tmp_path / "a.log").read_text(encoding="utf-8")
    summary = ctpolicy.verify_audit_log(tmp_path / "a.log")
    assert_clean([decision, audited, entries, summary, engine.check_raw(renewal(decision_id=TOKEN))], logger, out)


def test_token_in_every_other_argument(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO], tmp_path: Path) -> None:
    logger, out = log
    values: list[object] = [
        outcome(lambda: engine.check_charge(customer_present=False, token=TOKEN + "\ud800", amount=1, currency="EUR")),
        outcome(lambda: engine.check_charge(customer_present=False, token=None, amount=1, currency=TOKEN + "\udc00")),
        outcome(lambda: engine.check_charge(customer_present=False, token=TOKEN, amount=1, currency="EUR", idempotency_key=TOKEN)),
        outcome(lambda: engine.check_charge(customer_present=False, token=TOKEN, amount=2**70, currency="EUR")),
        outcome(lambda: engine.check_charge(customer_present=False, token=[TOKEN], amount=1, currency="EUR")),  # type: ignore[arg-type]
        outcome(lambda: engine.check(renewal(body={"currency": "EUR", "x": {TOKEN}}))),
        outcome(lambda: engine.check(TOKEN)),
        outcome(lambda: engine.check(TOKEN + "\ud800")),
        outcome(lambda: ctpolicy.parse_token(MALFORMED)),
        outcome(lambda: ctpolicy.parse_token(TOKEN.replace("customer-token", "payment"))),
        outcome(lambda: ctpolicy.apply_event({"customer_token": TOKEN}, {"type": TOKEN})),
        outcome(lambda: ctpolicy.Engine({TOKEN: 1})),
        outcome(lambda: ctpolicy.Engine({"allowed_regions": [TOKEN]})),
        outcome(lambda: ctpolicy.verify_audit_log(tmp_path / TOKEN)),
        outcome(lambda: ctpolicy.AuditLog(tmp_path / "missing" / TOKEN)),
        outcome(lambda: ctpolicy.AuditLog(TOKEN + "\ud800")),
        outcome(lambda: ctpolicy.verify_audit_log(tmp_path / "x", expect_head=TOKEN)),
        ctpolicy.TokenInfo("network", TOKEN, None, TOKEN),
        ctpolicy.Violation(1, TOKEN, "deny", TOKEN, f"/{TOKEN}", TOKEN),
        ctpolicy.Transition({"customer_token": MALFORMED, "note": TOKEN}, True),
        ctpolicy.Verdict(False, (), (), TOKEN),
        ctpolicy.LeakReport(1, 1, 1, TOKEN, False, None, TOKEN),
        ctpolicy.AuditSummary(0, TOKEN, TOKEN, 0, 0, 0, TOKEN),
        ctpolicy.VaultFinding(1, TOKEN, "error", TOKEN, TOKEN, None),
        ctpolicy.InvalidRequestError(TOKEN, status=TOKEN, status_number=1, code=TOKEN, path=TOKEN, detail=TOKEN),
        ctpolicy.AuditLogError(TOKEN, status="X", status_number=104, line=1, seq=1),
    ]
    with ctpolicy.VaultLint() as lint:
        values += lint.feed({"customer_token": TOKEN, "state": TOKEN, "scopes": [TOKEN]})
    assert_clean(values, logger, out)


def test_no_exception_keeps_a_context_with_the_token(engine: ctpolicy.Engine) -> None:
    calls: list[Callable[[], object]] = [
        lambda: engine.check({TOKEN: {1, 2}}),
        lambda: engine.check({"x": float("nan"), TOKEN: 1}),
        lambda: engine.check_charge(customer_present=False, token=TOKEN, amount=2**64, currency="EUR"),
        lambda: engine.check_charge(customer_present=False, token=TOKEN + "\ud800", amount=1, currency="EUR"),
        lambda: ctpolicy.AuditLog(TOKEN + "\ud800"),
    ]
    for call in calls:
        error = outcome(call)
        assert isinstance(error, Exception)
        assert error.__context__ is None and error.__cause__ is None, repr(error.__context__)


# ---- The second round: escaping that outgrows the matcher, library paths,
# the matcher's limit. Every text is searched for any 8-byte piece of the id.

PIECES = [SECRET[i : i + 8] for i in range(len(SECRET) - 7)]


def piece_in(text: str) -> str | None:
    """The first 8-byte piece of the token's id in ``text``, or None."""
    return next((piece for piece in PIECES if piece in text), None)


def assert_no_piece(values: list[object], logger: logging.Logger, out: io.StringIO) -> None:
    seen: list[str] = []
    for value in values:
        seen += texts_of(value, logger)
    seen.append(out.getvalue())
    for text in seen:
        piece = piece_in(text)
        assert piece is None, f"{piece!r} in {text[:300]}…{text[-300:]}"


def long_keys() -> dict[str, str]:
    """Keys that JSON Pointer escaping (``~`` → ``~0``, ``/`` → ``~1``) takes
    past the matcher's 1 MiB limit, and one near the limit before escaping."""
    half = 524_276
    return {
        "tildes": "krn:" + "~" * half + TOKEN,
        "slashes": "/" * half + TOKEN,
        "near the limit": "krn:" + "x" * (1_048_576 - 2_000) + ":" + TOKEN,
    }


@pytest.mark.parametrize("name", list(long_keys()))
def test_keys_that_escaping_lengthens(engine: ctpolicy.Engine, log: tuple[logging.Logger, io.StringIO], name: str) -> None:
    logger, out = log
    key = long_keys()[name]
    requests: list[Any] = [
        renewal(body={"currency": "EUR", "supplementary_purchase_data": {"$K": 0}, "request_payment_transaction": {"amount": 1}}),
        renewal(**{key: 1}),
        renewal(counters={key: 1}),
        renewal(headers={"Klarna-Customer-Token": TOKEN, key: 5}),
    ]
    requests[0] = json.dumps(requests[0]).replace('{"$K": 0}', '{"%s": {"a": 1, "a": 2}}' % key)
    values: list[object] = []
    for request in requests:
        error = outcome(lambda: engine.check(request))
        assert isinstance(error, ctpolicy.Error), type(error)
        assert error.path is not None and "[customer-token sha256:" in error.path
        values += [error, *engine.check_many([request]), outcome(lambda: engine.check_raw(request))]
    values.append(outcome(lambda: ctpolicy.Engine({"severity": {key: "warn"}})))
    values.append(outcome(lambda: ctpolicy.VaultLint({"max_attempts": {key: 1}})))
    event = '{"type": "REVOKED", "at": "2026-11-30T12:00:00Z", "by": "PARTNER", "%s": {"a": 1, "a": 2}}' % key
    values.append(outcome(lambda: ctpolicy.apply_event({"customer_token": TOKEN, "scopes": [CNP], "state": "ACTIVE"}, event)))
    assert all(isinstance(v, (ctpolicy.Error, ctpolicy.Decision)) for v in values), [type(v) for v in values]
    assert_no_piece(values, logger, out)


def test_a_token_at_the_end_of_a_run_longer_than_the_limit(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log
    line = "krn:" + "x" * 1_048_552 + TOKEN
    expected = f"[customer-token sha256:{hashlib.sha256(line[:1_048_576].encode()).hexdigest()}] done"
    assert ctpolicy.redact(line + " done") == expected
    assert ctpolicy.redact((line + " done").encode()) == expected.encode()
    (report,) = ctpolicy.scan(line + " done")
    assert report.length == len(line)
    # The logging filter: the message, its arguments and an exception.
    filtered = logging.getLogger("ctpolicy-test-leak-doors-filtered")
    filtered.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ctpolicy.RedactingFilter())
    filtered.addHandler(handler)
    try:
        filtered.warning("charge %s", line)
        try:
            raise ValueError(line)
        except ValueError:
            filtered.exception("failed")
    finally:
        filtered.removeHandler(handler)
    assert piece_in(stream.getvalue()) is None
    assert stream.getvalue().count("[customer-token sha256:") >= 2
    assert_no_piece([report], logger, out)


def _import_with_lib(lib: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CTPOLICY_LIB"}
    env["CTPOLICY_LIB"] = lib
    env["PYTHONPATH"] = str(Path(ctpolicy.__file__).resolve().parents[1])
    code = (
        "import traceback\n"
        "try:\n"
        "    import ctpolicy\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, str(e), repr(e), e.args)\n"
        "    print('cause', repr(e.__cause__), 'context', repr(e.__context__), e.__suppress_context__)\n"
        "    traceback.print_exc()\n"
        "    raise\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_a_library_path_that_holds_a_token(tmp_path: Path) -> None:
    folder = tmp_path / TOKEN
    folder.mkdir()
    not_a_library = folder / "libctpolicy.so"
    not_a_library.write_bytes(b"not an ELF file")
    for lib in [str(folder / "missing" / "libctpolicy.so"), str(not_a_library), str(tmp_path / ENCODED / "lib.so")]:
        done = _import_with_lib(lib)
        shown = done.stdout + done.stderr
        assert done.returncode != 0, shown
        assert "LibraryLoadError" in shown, shown
        assert piece_in(shown) is None, shown
        assert "[customer-token sha256:" in shown, shown
        assert "cause None context None" in shown, shown


def test_the_fallback_redactor_agrees_with_the_library() -> None:
    from ctpolicy import _fallback
    from support import load_vectors

    def expand(text: Any) -> bytes:
        if isinstance(text, str):
            return text.encode()
        if "base64" in text:
            return base64.b64decode(str(text["base64"]))
        if "repeat" in text:
            return expand(text["repeat"]) * int(text["times"])
        return b"".join(expand(part) for part in text["concat"])

    cases = load_vectors("redact")["cases"]
    assert len(cases) >= 30
    for case in cases:
        data = expand(case["text"])
        assert _fallback.redact_bytes(data) == expand(case["redacted"]), case["name"]
        assert _fallback.redact_bytes(data) == ctpolicy.redact(data), case["name"]
    for text in [TOKEN, ENCODED, MALFORMED, f"/tmp/{TOKEN}/libctpolicy.so", "krn:customer-token:", "xkrn%3acustomer-token%3Aa"]:
        assert _fallback.redact(text) == ctpolicy.redact(text), text


def test_every_value_type_prints_no_piece_of_what_a_caller_stored(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log
    violation = ctpolicy.Violation(1, TOKEN, TOKEN, TOKEN, f"/{TOKEN}", TOKEN)
    values: list[object] = [
        ctpolicy.TokenInfo(TOKEN, TOKEN, TOKEN, TOKEN),
        violation,
        [violation, violation],
        ctpolicy.Transition({"customer_token": MALFORMED, "note": TOKEN}, True),
        ctpolicy.Verdict(False, (), (), TOKEN),
        ctpolicy.LeakReport(1, 1, 1, TOKEN, False, TOKEN, TOKEN),
        ctpolicy.AuditSummary(0, TOKEN, TOKEN, 0, 0, 0, TOKEN),
        ctpolicy.VaultFinding(1, TOKEN, TOKEN, TOKEN, TOKEN, None),
        ctpolicy.StoredRecord(TOKEN, TOKEN, [TOKEN, ENCODED]),  # type: ignore[arg-type]
        ctpolicy.InvalidRequestError(TOKEN, status=TOKEN, status_number=1, code=TOKEN, path=TOKEN, detail=TOKEN),
        {"nested": ctpolicy.TokenInfo(ENCODED, TOKEN, None, TOKEN)},
    ]
    assert_no_piece(values, logger, out)
    assert "[customer-token sha256:" in repr(values[5])
