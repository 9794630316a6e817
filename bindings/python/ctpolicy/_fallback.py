"""A pure-Python reading of the token-occurrence rule (docs/HYGIENE.md H1), for
the one moment the library cannot do it: while the library is being found
and loaded. A library path or file name that a setting names (``CTPOLICY_LIB``)
may hold a token, and the error that says it could not be loaded must not
repeat it.

It gives the same text as ``ctp_redact`` (the tests check it against the
shared vectors). It is written for short texts such as paths and messages:
a candidate that is not an occurrence and ends where its run ends has none
inside it (so scanning goes on at its end, in linear time); only a
candidate cut by the 1 MiB limit is re-scanned from the byte after its
``k``, as the rule says, which can be slow on a pathological text of many
mebibytes. Everything else in the package uses the library's matcher.
"""

from __future__ import annotations

import hashlib
import re

#: Longest candidate, in bytes as they stand.
LIMIT = 1_048_576

_START = re.compile(rb"krn(?::|%3[Aa])")
_RUN = re.compile(rb"(?:[A-Za-z0-9._~:-]|%3[Aa])*")
_ENCODED_COLON = re.compile(rb"%3[Aa]")


def _decode(raw: bytes) -> bytes:
    return _ENCODED_COLON.sub(b":", raw)


def _is_occurrence(decoded: bytes) -> bool:
    segments = decoded.split(b":")
    try:
        first = segments.index(b"customer-token")
    except ValueError:
        return False
    return any(segments[first + 1 :])


def _cut(data: bytes, start: int, run_end: int) -> int:
    """Where the candidate at ``start`` ends: its run's end, or the limit
    (an encoded colon that would cross it left out)."""
    if run_end - start <= LIMIT:
        return run_end
    end = start + LIMIT
    # A `%` inside a run always starts an encoded colon: one that starts in
    # the last two bytes before the limit would cross it.
    for at in (end - 2, end - 1):
        if data[at : at + 1] == b"%":
            return at
    return end


def redact_bytes(data: bytes) -> bytes:
    """``data`` with every token occurrence replaced by
    ``[customer-token sha256:<64 hex>]``, every other byte unchanged."""
    if b"krn" not in data:
        return data
    out: list[bytes] = []
    last = 0
    i = 0
    while True:
        m = _START.search(data, i)
        if m is None:
            break
        start = m.start()
        run_end = _RUN.match(data, start).end()  # type: ignore[union-attr]
        end = _cut(data, start, run_end)
        decoded = _decode(data[start:end])
        if _is_occurrence(decoded):
            # An occurrence cut by the limit takes in the rest of its run;
            # its fingerprint is of the text as cut.
            out.append(data[last:start])
            out.append(b"[customer-token sha256:" + hashlib.sha256(decoded).hexdigest().encode() + b"]")
            last = i = run_end
        elif end == run_end:
            i = run_end
        else:
            i = start + 1
    out.append(data[last:])
    return b"".join(out)


def redact(text: str) -> str:
    """:func:`redact_bytes` of a ``str`` (lone surrogates kept as they are)."""
    if "krn" not in text:
        return text
    return redact_bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
