#!/usr/bin/env python3
"""Every fenced code block of every tracked Markdown file, one reader for all runners.

The snippet catalog (tests/snippets/catalog.py) and the per-language runners
(tests/c/snippets.py, bindings/python/tests/test_snippets.py,
bindings/go/snippets_test.go, bindings/java/test_snippets.sh) read the
blocks through this file, so a block that one of them sees is the block
every other one sees, and a new block is picked up by its language's runner
the day it is written.

How a block is classified (docs and READMEs follow it):

- Its fence's language tag says which runner exercises it: c, python, go,
  java, json, sh, console, xml (RUNNERS in catalog.py). A fence without a
  tag fails the catalog.
- ``text`` is for what is not code: program output, file listings,
  another tool's configuration. It is not run.
- A block with a code tag that cannot be run as written (a schema with
  ``{…}`` placeholders) is preceded by the HTML comment
  ``<!-- snippet: not-run: WHY -->`` on the line just above the fence; the
  reason is required. Such a block keeps its highlighting and is not run.

    python3 tests/snippets/blocks.py [--lang LANG] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*$")
NOT_RUN = re.compile(r"^\s*<!--\s*snippet:\s*not-run:\s*(\S.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    file: str  # relative to the repository root
    line: int  # of the opening fence, 1-based
    lang: str  # the fence's tag, "" when none
    text: str  # the block's lines, indentation of the fence removed, ending in "\n"
    not_run: str | None  # the reason of a <!-- snippet: not-run: ... --> marker

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def ident(self) -> str:
        """A name for generated files: the file's path and the fence's line."""
        return re.sub(r"[^A-Za-z0-9]+", "_", f"{self.file}_{self.line}").strip("_")


def tracked_markdown(root: Path = ROOT) -> list[str]:
    """git's tracked *.md files (and new ones not yet ignored), so a fresh clone sees the same list."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout
    return sorted({p for p in out.splitlines() if (root / p).is_file()})


def blocks_of(path: str, root: Path = ROOT) -> list[Block]:
    lines = (root / path).read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, lang = len(opening.group(1)), opening.group(2), opening.group(3)
        end = i + 1
        while end < len(lines) and not re.match(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}\s*$", lines[end]):
            end += 1
        if end == len(lines):
            raise SystemExit(f"{path}:{i + 1}: a fence that is never closed")
        body = [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[i + 1:end]]
        marker = NOT_RUN.match(lines[i - 1]) if i > 0 else None
        found.append(Block(path, i + 1, lang, "\n".join(body) + "\n", marker.group(1) if marker else None))
        i = end + 1
    return found


def all_blocks(root: Path = ROOT) -> list[Block]:
    return [b for path in tracked_markdown(root) for b in blocks_of(path, root)]


def runnable(lang: str, root: Path = ROOT) -> list[Block]:
    """The blocks a runner for ``lang`` must exercise: that tag, without a not-run marker."""
    return [b for b in all_blocks(root) if b.lang == lang and b.not_run is None]


def release_line(program: str, dist: str) -> str:
    """The line of README.md's release-folder block (the sh block naming /path/to/dist) that runs ``program``."""
    releases = [b for b in blocks_of("README.md") if b.lang == "sh" and "/path/to/dist/" in b.text]
    if len(releases) != 1:
        raise SystemExit(f"README.md: {len(releases)} sh blocks name /path/to/dist/, expected the one release-folder block")
    lines = []
    for line in releases[0].text.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        words = [w for w in command.split() if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", w)]
        if words and words[0] == program:
            lines.append(command.replace("/path/to/dist", str(Path(dist).resolve())))
    if len(lines) != 1:
        raise SystemExit(f"{releases[0].where}: {len(lines)} lines run {program}, expected one")
    return lines[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", help="only the runnable blocks with this tag")
    parser.add_argument("--json", action="store_true", help="a JSON array of {file, line, lang, text, not_run, ident}")
    parser.add_argument("--program", metavar="FILE", help="print the one c block of FILE that defines main")
    parser.add_argument("--release-line", nargs=2, metavar=("PROGRAM", "DIST"),
                        help="print the command line of README.md's release-folder block that runs PROGRAM, "
                             "its /path/to/dist made DIST (bindings/*/test_dist.sh and tests/c/test_dist.sh run it)")
    args = parser.parse_args()
    if args.release_line:
        print(release_line(*args.release_line))
        return
    if args.program:
        programs = [b for b in blocks_of(args.program) if b.lang == "c" and re.search(r"\bint\s+main\s*\(", b.text)]
        if len(programs) != 1:
            raise SystemExit(f"{args.program}: {len(programs)} c blocks define main, expected one")
        sys.stdout.write(programs[0].text)
        return
    chosen = runnable(args.lang) if args.lang else all_blocks()
    if args.json:
        json.dump([dict(asdict(b), ident=b.ident) for b in chosen], sys.stdout, indent=1)
        print()
    else:
        for b in chosen:
            print(f"{b.where}\t{b.lang or '(none)'}\t{'not-run: ' + b.not_run if b.not_run else ''}")


if __name__ == "__main__":
    main()
