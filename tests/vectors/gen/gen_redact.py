"""tests/vectors/redact.json: redaction and leak-scan vectors (docs/HYGIENE.md H1, H2).

Every expected redaction is written by hand below; `reference` is a plain,
independent reading of H1 that recomputes each one and stops on a mismatch.
Large texts are written compactly (see docs/VECTORS.md, "redact.json").
"""
import base64
import hashlib
import json
import re
from pathlib import Path

LIMIT = 1_048_576
OUT = Path(__file__).resolve().parents[1] / "redact.json"
RUN = re.compile(rb"(?:[A-Za-z0-9._~:-]|%3[Aa])")


def fp(decoded: bytes) -> str:
    return "sha256:" + hashlib.sha256(decoded).hexdigest()


def rep(decoded: str) -> str:
    return f"[customer-token {fp(decoded.encode())}]"


def expand(text) -> bytes:
    if isinstance(text, str):
        return text.encode()
    if "base64" in text:
        return base64.b64decode(text["base64"])
    if "repeat" in text:
        return expand(text["repeat"]) * text["times"]
    return b"".join(expand(part) for part in text["concat"])


def decode(raw: bytes) -> bytes:
    return re.sub(rb"%3[Aa]", b":", raw)


def candidate_end(text: bytes, start: int) -> int:
    end = start
    while True:
        m = RUN.match(text, end)
        if not m or (m.end() - start) > LIMIT:
            return end
        end = m.end()


def is_occurrence(decoded: bytes) -> bool:
    segments = decoded.split(b":")
    if b"customer-token" not in segments:
        return False
    first = segments.index(b"customer-token")
    return any(segments[first + 1 :])


def run_end(text: bytes, at: int) -> int:
    while True:
        m = RUN.match(text, at)
        if not m:
            return at
        at = m.end()


def reference(text: bytes):
    """[(start, end, cut)] of every occurrence, by H1 word for word (plus
    the shortcut H1 allows: an uncut non-occurrence has none inside it).
    An occurrence cut by the limit extends to the end of its run (`end`);
    `cut` is where the limit cut it (its fingerprint is of text[start:cut])."""
    found, i = [], 0
    starts = re.compile(rb"krn(?::|%3[Aa])")
    while True:
        m = starts.search(text, i)
        if not m:
            return found
        start = m.start()
        end = candidate_end(text, start)
        if is_occurrence(decode(text[start:end])):
            whole = run_end(text, end)
            found.append((start, whole, end))
            i = whole
        elif not RUN.match(text, end) and end - start <= LIMIT:
            i = end
        else:
            i = start + 1


REGIONS = re.compile(r"^[a-z]{2}[0-9]{1,3}$")
ID = re.compile(r"^[A-Za-z0-9._~-]{1,255}$")


def well_formed(decoded: bytes):
    try:
        text = decoded.decode("ascii")
    except UnicodeDecodeError:
        return None
    if len(decoded) > 1024:
        return None
    s = text.split(":")
    if len(s) == 4 and s[0] == "krn" and s[1] == "customer-token" and REGIONS.match(s[2]) and ID.match(s[3]):
        return "network", s[2]
    if (
        len(s) == 7
        and s[0] == "krn"
        and s[1] == "partner"
        and s[3] in ("live", "test")
        and s[4] == "identity"
        and s[5] == "customer-token"
        and REGIONS.match(s[2])
        and ID.match(s[6])
    ):
        return "identity", s[2]
    return None


def reports(text: bytes):
    out = []
    for start, end, cut in reference(text):
        decoded = decode(text[start:cut])
        line_start = text.rfind(b"\n", 0, start) + 1
        wf = well_formed(decoded)
        out.append(
            {
                "line": text.count(b"\n", 0, start) + 1,
                "column": start - line_start + 1,
                "length": end - start,
                "fingerprint": fp(decoded),
                "well_formed": wf is not None,
                "form": wf[0] if wf else None,
                "region": wf[1] if wf else None,
            }
        )
    return out


def redact(text: bytes) -> bytes:
    out, last = [], 0
    for start, end, cut in reference(text):
        out.append(text[last:start])
        out.append(rep(decode(text[start:cut]).decode()).encode())
        last = end
    out.append(text[last:])
    return b"".join(out)


def b64(raw: bytes):
    return {"base64": base64.b64encode(raw).decode()}


T = "krn:customer-token:eu1:a1b2"
P = "krn:partner:eu1:live:identity:customer-token:a1b2"
MIB_RUN = {"concat": ["krn:customer-token:eu1:", {"repeat": "a", "times": LIMIT - 23}]}
MIB_RUN_TEXT = expand(MIB_RUN).decode()

CASES = [
    ("plain network token", f"charge for {T} declined", f"charge for {rep(T)} declined"),
    ("partner (identity) form", f"id={P}\n", f"id={rep(P)}\n"),
    ("test environment", "krn:partner:us12:test:identity:customer-token:x_y~z.-",
     rep("krn:partner:us12:test:identity:customer-token:x_y~z.-")),
    ("encoded colons upper case", "GET /t/krn%3Acustomer-token%3Aeu1%3Aa1b2 HTTP/1.1",
     f"GET /t/{rep(T)} HTTP/1.1"),
    ("encoded colons lower case", "?t=krn%3acustomer-token%3aeu1%3aa1b2&x=1", f"?t={rep(T)}&x=1"),
    ("encoded and plain colons mixed", "krn%3Acustomer-token:eu1%3aa1b2", rep(T)),
    ("a broken encoded colon ends the run", "krn:customer-token:eu1:a1%3Bz", f"{rep('krn:customer-token:eu1:a1')}%3Bz"),
    ("a lone percent ends the run", "krn:customer-token:eu1:a1%", f"{rep('krn:customer-token:eu1:a1')}%"),
    ("percent 3 at the very end", "krn:customer-token:eu1:a1%3", f"{rep('krn:customer-token:eu1:a1')}%3"),
    ("malformed tail: cut at the space", "x krn:customer-token:EU1:a b", f"x {rep('krn:customer-token:EU1:a')} b"),
    ("trailing colons belong to it", f"{T}:: end", f"{rep(T + '::')} end"),
    ("customer-token with nothing after is not one", "krn:customer-token: and krn:customer-token::",
     "krn:customer-token: and krn:customer-token::"),
    ("another KRN is not one", "krn:payment:eu1:transaction:x", "krn:payment:eu1:transaction:x"),
    ("segment must be exactly customer-token", "krn:customer-tokens:eu1:a krn:xcustomer-token:eu1:a",
     "krn:customer-tokens:eu1:a krn:xcustomer-token:eu1:a"),
    ("customer-token later in a long KRN", "krn:a:b:c:customer-token:d", rep("krn:a:b:c:customer-token:d")),
    ("xkrn prefix: the candidate starts at k", f"xkrn:customer-token:eu1:a1b2", f"x{rep(T)}"),
    ("KRN upper case starts nothing", "KRN:customer-token:eu1:a1b2 Krn:customer-token:eu1:a",
     "KRN:customer-token:eu1:a1b2 Krn:customer-token:eu1:a"),
    ("a krn inside a non-occurrence: resume after its k",
     "krn:x:krn:customer-token", "krn:x:krn:customer-token"),
    ("adjacent occurrences with a separator", f"{T},{T};{P}", f"{rep(T)},{rep(T)};{rep(P)}"),
    ("two tokens in one run are one occurrence", f"{T}{T}", rep(T + T)),
    ("overlap: the first candidate takes the whole run", "krn:krn:customer-token:eu1:a",
     rep("krn:krn:customer-token:eu1:a")),
    ("NUL bytes around", b64(b"\x00" + T.encode() + b"\x00krn:\x00"), b64(b"\x00" + rep(T).encode() + b"\x00krn:\x00")),
    ("invalid UTF-8 stays as it was", b64(b"\xff\xfe " + T.encode() + b" \xc3("), b64(b"\xff\xfe " + rep(T).encode() + b" \xc3(")),
    ("non-ASCII letters end the run", f"{T}é", f"{rep(T)}é"),
    ("several lines", f"a\nb {T}\n\n  {T}", f"a\nb {rep(T)}\n\n  {rep(T)}"),
    ("empty text", "", ""),
    ("no token at all", "GET /health 200 12ms krn", "GET /health 200 12ms krn"),
    ("truncated prefixes", "kr k krn krn% krn%3 krn%3B", "kr k krn krn% krn%3 krn%3B"),
    ("an over-long id is still an occurrence, not well-formed",
     "krn:customer-token:eu1:" + "a" * 300, rep("krn:customer-token:eu1:" + "a" * 300)),
    # The 1 MiB cap.
    ("a candidate of exactly the limit", {"concat": [MIB_RUN, " tail"]},
     {"concat": [rep(MIB_RUN_TEXT), " tail"]}),
    ("one byte over the limit: the rest of the run goes with the occurrence",
     {"concat": [MIB_RUN, "b:customer-token:x"]},
     rep(MIB_RUN_TEXT)),
    ("an encoded colon that would cross the limit is left out of the fingerprint",
     {"concat": ["krn:customer-token:eu1:", {"repeat": "a", "times": LIMIT - 25}, "%3Akrn:customer-token:eu1:z"]},
     rep("krn:customer-token:eu1:" + "a" * (LIMIT - 25))),
    ("cut by the limit: the next candidate inside the cut one is decided",
     {"concat": ["krn:", {"repeat": "a", "times": LIMIT - 10}, "krn:customer-token:x"]},
     {"concat": ["krn:", {"repeat": "a", "times": LIMIT - 10}, rep("krn:customer-token:x")]}),
    ("cut by the limit inside a token at the end of a long run: the token goes whole",
     {"concat": ["krn:", {"repeat": "x", "times": LIMIT - 24}, "krn:customer-token:eu1:c0ffee42-dead-4bef-8a5e-0123456789ab tail\n"]},
     {"concat": [rep("krn:" + "x" * (LIMIT - 24) + "krn:customer-token:e"), " tail\n"]}),
    ("cut by the limit, not an occurrence: the token after it is found whole",
     {"concat": ["krn:", {"repeat": "x", "times": LIMIT + 10}, T, " tail"]},
     {"concat": ["krn:", {"repeat": "x", "times": LIMIT + 10}, rep(T), " tail"]}),
    # Linear time: with naive resumption after every k this is quadratic.
    ("a long run of krn:a: (linear time)", {"concat": [{"repeat": "krn:a:", "times": 170_000}, " end"]},
     {"concat": [{"repeat": "krn:a:", "times": 170_000}, " end"]}),
]


# The family of each case above, in order (docs/VECTORS.md: family/situation).
FAMILIES = ["form"] * 9 + ["segments"] * 9 + ["boundaries"] * 7 + ["plain"] * 4 + ["limit"] * 6 + ["linear"]

# Streams cut into two files (or writes) at `cut`: redacting the parts as one
# stream, in order, gives `redacted` (H2: `ctpolicy redact a b` is `cat a b |
# ctpolicy redact`). Their `text` is the two parts joined.
STREAMS = [
    ("a token split across two files is one occurrence", "first file krn:customer-tok", "en:eu1:a1b2 second\n",
     f"first file {rep(T)} second\n"),
    ("an encoded colon split across two files", "a krn%3Acustomer-token%", "3Aeu1%3Aa1b2\n", f"a {rep(T)}\n"),
    ("a token at the very end of the first file", f"x {T}", "\ny\n", f"x {rep(T)}\ny\n"),
]


def case_name(family: str, words: str) -> str:
    slug = re.sub(r"[^a-z0-9.]+", "-", words.lower()).strip("-")
    return f"{family}/{slug}"


def main():
    assert len(FAMILIES) == len(CASES)
    cases = []
    for family, (words, text, redacted) in zip(FAMILIES, CASES):
        name = case_name(family, words)
        raw = expand(text)
        got = redact(raw)
        assert got == expand(redacted), f"{name}: the reference disagrees with the hand-written redaction"
        cases.append({"name": name, "text": text, "redacted": redacted, "count": len(reference(raw)),
                      "reports": reports(raw)})
    for words, first, second, redacted in STREAMS:
        name = case_name("stream", words)
        raw = (first + second).encode()
        assert redact(raw) == redacted.encode(), f"{name}: the reference disagrees with the hand-written redaction"
        cases.append({"name": name, "text": {"concat": [first, second]}, "cut": len(first.encode()),
                      "redacted": redacted, "count": len(reference(raw)), "reports": reports(raw)})
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "case names repeat"
    description = (
        "Redaction and leak-scan vectors (docs/HYGIENE.md H1, H2). Texts are strings, {base64}, "
        "{repeat, times} or {concat: [...]} (docs/VECTORS.md); reports leave out `file`."
    )
    doc = {"description": description, "version": 1, "cases": cases}
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{OUT.name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
