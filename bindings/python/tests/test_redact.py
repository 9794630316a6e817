"""ctpolicy.redact / scan / RedactingFilter: every case of
tests/vectors/redact.json, and the logging integration through the real
``logging`` library."""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

import ctpolicy
from support import case_ids, cases

REDACT = cases("redact")
TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TOKEN_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def text_of(spec: Any) -> bytes:
    """A vectors **text** (docs/VECTORS.md): str, base64, repeat or concat."""
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if "base64" in spec:
        return base64.b64decode(spec["base64"])
    if "repeat" in spec:
        return text_of(spec["repeat"]) * int(spec["times"])
    if "concat" in spec:
        return b"".join(text_of(part) for part in spec["concat"])
    raise AssertionError(f"unknown text form {sorted(spec)}")


def test_vectors_are_there() -> None:
    assert len(REDACT) >= 30
    assert any(isinstance(c["text"], dict) and "base64" in c["text"] for c in REDACT)


@pytest.mark.parametrize("case", REDACT, ids=case_ids(REDACT))
def test_redact_vector_bytes(case: dict[str, Any]) -> None:
    text, want = text_of(case["text"]), text_of(case["redacted"])
    got = ctpolicy.redact(text)
    assert type(got) is bytes and got == want
    assert ctpolicy.redact_count(text) == case["count"]


def _is_utf8(case: dict[str, Any]) -> bool:
    try:
        text_of(case["text"]).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


UTF8 = [c for c in REDACT if _is_utf8(c)]


@pytest.mark.parametrize("case", UTF8, ids=case_ids(UTF8))
def test_redact_vector_str(case: dict[str, Any]) -> None:
    # The same case as a str (the bytes test above has every case).
    got = ctpolicy.redact(text_of(case["text"]).decode("utf-8"))
    assert type(got) is str and got == text_of(case["redacted"]).decode("utf-8")


@pytest.mark.parametrize("case", REDACT, ids=case_ids(REDACT))
def test_scan_vector(case: dict[str, Any]) -> None:
    reports = ctpolicy.scan(text_of(case["text"]))
    assert [dataclasses.asdict(r) for r in reports] == case["reports"]


def test_redact_keeps_the_type_and_other_characters() -> None:
    line = f"päyment für {TOKEN} – declined \ud800"
    out = ctpolicy.redact(line)
    assert isinstance(out, str) and TOKEN_ID not in out
    assert out.startswith("päyment für [customer-token sha256:") and out.endswith("] – declined \ud800")
    assert ctpolicy.redact(b"no token here") == b"no token here"
    assert ctpolicy.redact("") == "" and ctpolicy.redact(b"") == b""
    encoded = "GET /v1/tokens/krn%3Acustomer-token%3Aeu1%3Aa1b2 HTTP/1.1"
    assert "a1b2" not in ctpolicy.redact(encoded)


def test_fingerprint_joins_with_the_decision() -> None:
    info = ctpolicy.parse_token(TOKEN)
    assert ctpolicy.redact(TOKEN) == f"[customer-token {info.fingerprint}]"
    (report,) = ctpolicy.scan(f"x\n  {TOKEN}")
    assert (report.line, report.column, report.length) == (2, 3, len(TOKEN))
    assert report.fingerprint == info.fingerprint and report.well_formed
    assert (report.form, report.region) == ("network", "eu1")


@pytest.mark.parametrize("bad", [None, 12, bytearray(b"x"), ["krn"]])
def test_wrong_types(bad: Any) -> None:
    with pytest.raises(TypeError, match="text must be a str or bytes"):
        ctpolicy.redact(bad)
    with pytest.raises(TypeError):
        ctpolicy.scan(bad)


# --- logging, through the real library -------------------------------------


class TracebackFormatter(logging.Formatter):
    """A formatter that prints exc_info itself, as some JSON formatters do."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.exc_info:
            text += "\nexc_info: " + "".join(traceback.format_exception(*record.exc_info))
        return text


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    logger = logging.getLogger("ctpolicy-test-redaction")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(TracebackFormatter("%(levelname)s %(message)s"))
    handler.addFilter(ctpolicy.RedactingFilter())
    logger.addHandler(handler)
    yield logger, out
    logger.removeHandler(handler)


def test_percent_arguments_are_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    logger.info("charging %s for %d", TOKEN, 1299)
    logger.warning("headers: %r", {"Klarna-Customer-Token": TOKEN})
    logger.info("mapping form: %(token)s", {"token": TOKEN})
    text = out.getvalue()
    assert TOKEN_ID not in text
    assert text.count("[customer-token sha256:") == 3
    assert "for 1299" in text


def test_exception_traces_are_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    try:
        try:
            raise KeyError(TOKEN)
        except KeyError as inner:
            raise ValueError(f"no record for {TOKEN}") from inner
    except ValueError:
        logger.exception("lookup failed for %s", TOKEN)
    logger.error("with a stack", stack_info=True, extra={"note": "x"})
    text = out.getvalue()
    assert "Traceback (most recent call last)" in text and "ValueError: no record for [customer-token" in text
    assert "KeyError" in text and "exc_info:" not in text
    assert "Stack (most recent call last)" in text
    assert TOKEN_ID not in text


def test_a_record_is_redacted_for_every_handler_after_the_filter() -> None:
    # The filter on the logger: the record every handler sees is redacted,
    # whatever formatter it has (even one that ran on it before).
    logger = logging.getLogger("ctpolicy-test-redaction-logger")
    logger.propagate = False
    outs = [io.StringIO(), io.StringIO()]
    for out, fmt in zip(outs, ["%(message)s", "%(levelname)s:%(name)s:%(message)s"]):
        handler = logging.StreamHandler(out)
        handler.setFormatter(TracebackFormatter(fmt))
        logger.addHandler(handler)
    logger.addFilter(ctpolicy.RedactingFilter())
    try:
        raise RuntimeError(TOKEN)
    except RuntimeError:
        logger.error("failed: %s", TOKEN, exc_info=True)
    for out in outs:
        text = out.getvalue()
        assert "[customer-token sha256:" in text and "RuntimeError" in text
        assert TOKEN_ID not in text


def test_a_bad_format_string_is_still_logged_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    logger.info("two %s %s", TOKEN)  # one argument short
    text = out.getvalue()
    assert "arguments that did not format" in text and TOKEN_ID not in text


def test_the_filter_keeps_every_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %s", ("text",), None)
    assert ctpolicy.RedactingFilter().filter(record) is True
    assert (record.msg, record.args) == ("plain text", ())
