#!/usr/bin/env python3
"""Writes every `java` block of every tracked Markdown file (read by
tests/snippets/blocks.py) into SRC_DIR, the src/main/java of the Maven
project that test_install.sh builds against the installed
dev.ctpolicy:ctpolicy, so `mvn package` there compiles them all:

- a complete class (a block that declares a top-level class) is written
  as that class's file, as it stands;
- a fragment becomes the body of `run()` in a class of its own,
  snippets.Block_<file>_<line>, which imports what fragments use (IMPORTS)
  and declares, as fields, the variables and helpers they name (HARNESS).

A fragment that names something HARNESS lacks fails to compile ("cannot
find symbol"): add a field or helper of the type the fragment needs to
HARNESS. Fragments are compiled, not run (they send charges); the complete
example runs in test_install.sh.

    python3 bindings/java/snippets.py SRC_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "snippets"))
from blocks import runnable  # noqa: E402

IMPORTS = """import dev.ctpolicy.*;
import dev.ctpolicy.http.*;
import java.io.*;
import java.net.URI;
import java.net.http.*;
import java.nio.file.*;
import java.time.*;
import java.util.*;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
"""

HARNESS = """
    /** A logger with SLF4J's placeholders, as the fragments' {@code log} is. */
    interface Log {
        void info(String format, Object... args);
        void warn(String format, Object... args);
    }

    Log log;
    Engine engine;
    AuditLog auditLog;
    TokenRecords tokenStore;
    String token, storedToken, policyJson, requestJson, keptHead;
    List<String> requests;
    List<byte[]> rows;
    Instant lastChargedAt;
    HttpRequest authorizePayment;
    byte[] bytes;
    Path path, logFile;

    void send() {}
    void send(int index) {}
    void skip(int index, Object why) {}
    void store(String head) {}
"""


def main() -> None:
    src = Path(sys.argv[1])
    (src / "snippets").mkdir(parents=True, exist_ok=True)
    blocks = runnable("java")
    if not blocks:
        raise SystemExit("bindings/java/snippets.py: no java block found: is tests/snippets/blocks.py reading the docs?")
    complete = fragments = 0
    for block in blocks:
        declared = re.search(r"^(?:public\s+)?(?:final\s+)?class\s+(\w+)", block.text, re.M)
        if declared:
            (src / f"{declared.group(1)}.java").write_text(block.text, encoding="utf-8")
            complete += 1
            continue
        name = f"Block_{block.ident}"
        body = "\n".join("        " + line if line else "" for line in block.text.splitlines())
        (src / "snippets" / f"{name}.java").write_text(
            f"package snippets;\n\n{IMPORTS}\n/** {block.where}, as a method body. */\n"
            f"@SuppressWarnings(\"unused\")\nclass {name} {{{HARNESS}\n    void run() throws Exception {{\n{body}\n    }}\n}}\n",
            encoding="utf-8",
        )
        fragments += 1
    print(f"bindings/java/snippets.py: {len(blocks)} java blocks into {src}: {complete} complete, {fragments} fragments")


if __name__ == "__main__":
    main()
