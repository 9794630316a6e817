"""tests/vectors/audit.json as a TSV the C test reads without a JSON parser:
line 1 `policy<TAB>clock`, then one `request<TAB>entry` line per case."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
vectors = json.loads((ROOT / "tests" / "vectors" / "audit.json").read_text(encoding="utf-8"))
rows = [(vectors["policy"], vectors["clock"])] + [(c["request"], c["entry"]) for c in vectors["cases"]]
for row in rows:
    for field in row:
        assert "\t" not in field and "\n" not in field, "a field holds a tab or newline"
Path(sys.argv[1]).write_text("".join(f"{a}\t{b}\n" for a, b in rows), encoding="utf-8")
