"""JSON text to and from the engine: orjson when it is installed
(``pip install ctpolicy[fast]``), the standard ``json`` module otherwise.

orjson writes some values otherwise than ``json.dumps`` and reads some
otherwise than ``json.loads``. The binding's behaviour must not depend on
which is installed, so orjson is used only where its answer is known to be
the one ``json`` would give, and ``json`` does the rest:

- Writing, :func:`fast_dumps` answers None (the caller then uses ``json``)
  when orjson refuses the value (a key that is not a ``str``, an integer
  beyond 64 bits, a ``str``/``int``/``dict``/``list`` subclass, a value
  ``json`` would hand to ``default`` and ``default`` refuses, nesting past
  orjson's limit, a lone surrogate) or when its text could differ from
  ``json``'s: any ``null`` (orjson writes NaN and infinities as ``null``,
  where the binding must raise), any byte outside ASCII (``json`` escapes
  it, orjson does not), DEL (the same), and a float ``json`` writes with a
  two-digit negative exponent. What it answers is byte for byte
  ``json``'s text (a test holds it to that).
- Reading, orjson turns an integer beyond 64 bits into a float and refuses a
  lone surrogate escape: :func:`loads` takes ``json`` for text holding 19
  digits in a row or orjson's refusal.

One difference is left: orjson writes an ``enum.Enum`` member and a
``uuid.UUID`` as their values, where ``json`` raises ``TypeError``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Optional

try:
    import orjson
except ImportError:  # the standard json module alone
    orjson = None  # type: ignore[assignment]


class _DatetimeError(ValueError):
    """A datetime in a request dict with no RFC 3339 form: naive, or out of range in UTC."""


def json_default(value: object) -> object:
    """What ``json.dumps`` (and orjson) write for a value they do not know:
    an aware ``datetime`` (e.g. ``now``, ``token_record.last_used_at``)
    becomes RFC 3339 in UTC with milliseconds, as :meth:`Engine.check_charge`
    reads it; anything else is not JSON."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise _DatetimeError("a naive datetime; give it a tzinfo (e.g. UTC)")
        try:
            utc: Optional[datetime] = value.astimezone(timezone.utc)
        except OverflowError:
            utc = None
        if utc is None:
            raise _DatetimeError("a datetime outside years 0001-9999 in UTC")
        return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: Whether orjson is installed and used.
FAST = orjson is not None

_json_loads = json.JSONDecoder().decode

# A float json writes as "1e-05" and orjson as "1e-5" or "0.00001": a
# number (after ':', ',' or '[' in compact JSON, ending at ',', '}' or ']')
# with a negative exponent, or starting 0.0000. Searched only when the
# bytes hold "e-" or "0.0000" at all.
_UNLIKE_FLOAT = re.compile(rb"[:,\[]-?(?:[0-9]+(?:\.[0-9]+)?e-[0-9]+[,}\]]|0\.0000)")
# Digits as "0", so that 19 digits in a row (an integer orjson may read as a
# float: beyond 64 bits) are one search.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19

if orjson is not None:
    _orjson_dumps: Callable[..., bytes] = orjson.dumps
    _orjson_loads: Callable[[bytes], Any] = orjson.loads
    _orjson_refusal: type[Exception] = orjson.JSONDecodeError
    # datetime, dataclasses and subclasses go to json_default (which writes
    # an aware datetime as json would and refuses the rest): orjson's own
    # forms of them are not json's.
    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS

    def fast_dumps(value: Any) -> Optional[bytes]:
        """``value`` as compact JSON: the bytes
        ``json.dumps(value, ensure_ascii=True, allow_nan=False,
        separators=(",", ":"), default=json_default)`` writes, or None when
        orjson cannot say (then ask ``json``, which also gives the error)."""
        try:
            data = _orjson_dumps(value, json_default, _OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is one
            return None
        # rfind rather than `in`: CPython searches bytes backwards about
        # twice as fast for these needles (measured on 600-byte requests).
        if not data.isascii() or data.rfind(b"null") >= 0 or data.rfind(b"\x7f") >= 0:
            return None
        if (data.rfind(b"e-") >= 0 or data.rfind(b"0.0000") >= 0) and _UNLIKE_FLOAT.search(data) is not None:
            return None
        return data

    def loads(data: bytes) -> Any:
        """The value of the JSON text ``data`` (UTF-8), as ``json.loads`` reads it."""
        if data.translate(_DIGITS_AS_ZERO).rfind(_LONG_NUMBER) < 0:
            try:
                return _orjson_loads(data)
            except _orjson_refusal:
                pass  # json gives its own answer, or its own error
        return _json_loads(data.decode("utf-8"))

    def loads_exact(data: bytes) -> Any:
        """:func:`loads` for text known to hold no integer beyond 64 bits
        (written by orjson, or by the library from such text)."""
        try:
            return _orjson_loads(data)
        except _orjson_refusal:
            return _json_loads(data.decode("utf-8"))

else:

    def fast_dumps(value: Any) -> Optional[bytes]:
        """Without orjson: always None (ask ``json``)."""
        return None

    def loads(data: bytes) -> Any:
        """The value of the JSON text ``data`` (UTF-8), through ``json``."""
        return _json_loads(data.decode("utf-8"))

    loads_exact = loads
