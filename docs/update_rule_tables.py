#!/usr/bin/env python3
"""Writes the rule table from `ctpolicy rules --format markdown` into every
document that shows it, between the rules:begin and rules:end markers, so
the docs come from the one table in src/rules.rs (`make docs`)."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "docs/RULES.md"]

table = subprocess.run([sys.argv[1], "rules", "--format", "markdown"], check=True, capture_output=True, text=True).stdout
for name in DOCS:
    path = ROOT / name
    text = path.read_text()
    new, count = re.subn(r"(<!-- rules:begin -->\n).*?(<!-- rules:end -->)", lambda m: m.group(1) + table + m.group(2), text, flags=re.S)
    if count != 1:
        sys.exit(f"{name}: expected one rules:begin/rules:end block, found {count}")
    path.write_text(new)
    print(f"{name}: rule table updated")
