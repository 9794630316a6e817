#!/usr/bin/env python3
"""Flattens tests/vectors/vault.json into lines the C test vault.c reads.

Each case becomes one line of tab-separated fields:

    name  policy_hex  now_hex  stale_days  records_hex  expected_hex

records_hex is the hex of each record (the export's non-blank lines, files in
order), comma-separated (`-` for none); expected_hex is the hex of the JSON
Lines the library face must give for them: the vector's findings with `line`
and `related_line` turned into positions of the records fed, and `file` and
`related_file` left out (docs/VAULT.md V2). stale_days is -1 when not given; an
empty field is `-`.
"""
import base64
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def hexed(data):
    return data.hex() if data else "-"


def lines_of(data):
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def is_blank(line):
    return all(b in b" \t\r" for b in line)


def main(out_path):
    vectors = json.loads((ROOT / "tests/vectors/vault.json").read_text())
    rows = []
    for case in vectors["cases"]:
        options = case["options"]
        policy = json.dumps(options["policy"], separators=(",", ":")).encode() if "policy" in options else b""
        now = options.get("now", "").encode()
        stale = options.get("stale_days", -1)
        records, position = [], {}
        for f in case["files"]:
            data = f["text"].encode() if "text" in f else base64.b64decode(f["base64"])
            for number, line in enumerate(lines_of(data), 1):
                if not is_blank(line):
                    records.append(line)
                    position[(f["name"], number)] = len(records)
        expected = b""
        for finding in case["findings"]:
            related = finding["related_line"]
            face = {
                "line": position[(finding["file"], finding["line"])],
                "code": finding["code"],
                "severity": finding["severity"],
                "detail": finding["detail"],
                "fingerprint": finding["fingerprint"],
                "related_line": None if related is None else position[(finding["related_file"], related)],
            }
            expected += json.dumps(face, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        rows.append("\t".join([
            case["name"], hexed(policy), hexed(now), str(stale),
            ",".join(r.hex() if r else "-" for r in records) or "-", hexed(expected),
        ]))
    Path(out_path).write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
