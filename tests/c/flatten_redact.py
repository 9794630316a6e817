#!/usr/bin/env python3
"""Flattens tests/vectors/redact.json into a tab-separated file for redact.c.

    name  text_hex  redacted_hex  count  reports_hex

The compact texts ({"repeat"}, {"concat"}, {"base64"}; docs/VECTORS.md) are
expanded here; reports_hex is the JSON Lines `ctp_scan` must give, each
report in serde_json's compact form with the keys in the vector's order.
"""
import base64
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def expand(text) -> bytes:
    if isinstance(text, str):
        return text.encode()
    if "base64" in text:
        return base64.b64decode(text["base64"])
    if "repeat" in text:
        return expand(text["repeat"]) * text["times"]
    return b"".join(expand(part) for part in text["concat"])


def main(out_path):
    vectors = json.loads((ROOT / "tests/vectors/redact.json").read_text())
    with open(out_path, "w") as out:
        for case in vectors["cases"]:
            reports = "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in case["reports"])
            fields = [
                case["name"].replace("\t", " "),
                expand(case["text"]).hex() or "-",
                expand(case["redacted"]).hex() or "-",
                str(case["count"]),
                reports.encode().hex() or "-",
            ]
            out.write("\t".join(fields) + "\n")
    print(f"flattened {len(vectors['cases'])} redaction vectors into {out_path}")


if __name__ == "__main__":
    main(sys.argv[1])
