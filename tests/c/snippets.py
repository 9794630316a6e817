#!/usr/bin/env python3
"""Every `c` block of every tracked Markdown file, compiled against
include/ctpolicy.h and run against the static library (`make -C tests/c
snippets`, under ASan and UBSan with leak checking). Blocks come from
tests/snippets/blocks.py; each is one of:

- a program (it defines main): compiled as written and run; exit 0.
- declarations (prototypes and typedefs, no statement): compiled after
  the header, so a prototype whose types differ from the library's is a
  compile error. A `typedef struct NAME {...} NAME;` cannot be declared
  twice, so its fields are compiled into `struct snippet_NAME` and each is
  checked against NAME's by _Static_assert: same offset, same type
  (_Generic), and the same size overall.
- a fragment (anything else): compiled and run inside a function of
  HARNESS below, which declares the variables fragments use (an engine on
  a policy, a line to log, a token and an idempotency key, a log file, ...).
  Everything the fragment writes to `log_file` is read back afterwards
  and must not hold the customer token.

A fragment that needs a variable the harness does not have fails to compile
("'x' undeclared"): add the variable to HARNESS_VARIABLES (declared and
given a meaningful value, then `(void)x;` so fragments that do not use it
compile without warnings), or, for a new type or helper (say, a
`ctp_typed_charge` for an ABI v2 fragment), add its setup there too: every
fragment sees all of them.

    python3 tests/c/snippets.py OUT_DIR CC "CFLAGS" "LIBS"
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "snippets"))
from blocks import Block, runnable  # noqa: E402

TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

HARNESS_PRELUDE = r"""
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctpolicy.h"

#define SNIPPET_TOKEN "%(token)s"
static const char SNIPPET_POLICY[] = "{\"allowed_regions\": [\"eu1\"], \"max_attempts\": {\"per_24h\": 10}}";
static FILE *snippet_log;
""" % {"token": TOKEN}

# The variables every fragment may use, in the scope of the fragment.
HARNESS_VARIABLES = r"""
    ctp_engine *engine = NULL;
    if (ctp_engine_new((const uint8_t *)SNIPPET_POLICY, strlen(SNIPPET_POLICY), &engine, NULL) != CTP_OK) abort();
    /* a line the application logs, with a customer token in it */
    const char *line = "charge failed for " SNIPPET_TOKEN "\n";
    /* one piece of a log stream, as given to a streaming redactor */
    const uint8_t *piece = (const uint8_t *)line;
    size_t piece_len = strlen(line);
    /* the Klarna-Customer-Token header value and the stored record's token */
    const uint8_t *tok = (const uint8_t *)SNIPPET_TOKEN;
    size_t tok_len = strlen(SNIPPET_TOKEN);
    const uint8_t *stored = tok;
    size_t stored_len = tok_len;
    /* the Klarna-Idempotency-Key header value */
    const uint8_t *key = (const uint8_t *)"renewal-2026-11-sub-42";
    size_t key_len = strlen((const char *)key);
    /* where the application logs: read back afterwards */
    FILE *log_file = snippet_log;
    (void)engine; (void)line; (void)piece; (void)piece_len; (void)tok; (void)tok_len;
    (void)stored; (void)stored_len; (void)key; (void)key_len; (void)log_file;
"""

HARNESS_CLEANUP = """
    ctp_engine_free(engine);
"""


def top_level_statements(code: str) -> list[str]:
    """``code`` split at the semicolons outside braces."""
    statements, depth, start = [], 0, 0
    for at, char in enumerate(code):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == ";" and depth == 0:
            statements.append(code[start:at].strip())
            start = at + 1
    statements.append(code[start:].strip())
    return [s for s in statements if s]


def kind(block: Block) -> str:
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", block.text, flags=re.S)
    if re.search(r"\bint\s+main\s*\(", code):
        return "program"
    statements = top_level_statements(code)
    declaration = re.compile(r"^(typedef\s+struct\s+\w+\s*\{.*\}\s*\w+|(const\s+)?(uint32_t|uint64_t|int|void|size_t|int64_t)\s*\*?\s*ctp_\w+\s*\(.*\))$", re.S)
    if statements and all(declaration.match(s) for s in statements):
        return "declarations"
    return "fragment"


def declarations_unit(block: Block) -> str:
    out = ["#include <stddef.h>", '#include "ctpolicy.h"', f"/* {block.where} */"]
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", block.text, flags=re.S)
    for statement in top_level_statements(code):
        struct = re.match(r"^typedef\s+struct\s+(\w+)\s*\{(.*)\}\s*(\w+)$", statement, re.S)
        if not struct:
            out.append(statement + ";  /* must match the header's prototype */")
            continue
        name, body = struct.group(3), struct.group(2)
        mirror = f"snippet_{name}"
        out.append(f"struct {mirror} {{{body}}};")
        for field in re.split(r";", body):
            field = field.strip()
            if not field:
                continue
            member = re.search(r"(\w+)\s*(\[[^\]]*\])?$", field).group(1)  # type: ignore[union-attr]
            out.append(f"_Static_assert(offsetof(struct {mirror}, {member}) == offsetof({name}, {member}), "
                       f"\"{block.where}: {name}.{member} is not where the header has it\");")
            out.append(f"_Static_assert(_Generic((({name} *)0)->{member}, __typeof__(((struct {mirror} *)0)->{member}): 1, default: 0), "
                       f"\"{block.where}: {name}.{member} has another type in the header\");")
        out.append(f"_Static_assert(sizeof(struct {mirror}) == sizeof({name}), \"{block.where}: {name} has other fields in the header\");")
    out.append("int main(void) { return 0; }")
    return "\n".join(out) + "\n"


def fragments_unit(fragments: list[Block]) -> str:
    out = [HARNESS_PRELUDE]
    for block in fragments:
        out.append(f"/* {block.where} */\nstatic void fragment_{block.ident}(void) {{{HARNESS_VARIABLES}    {{\n")
        out.append(f"#line {block.line + 1} \"{block.file}\"\n{block.text}")
        out.append(f"#line 1 \"fragments.c (after {block.where})\"\n    }}\n{HARNESS_CLEANUP}}}\n")
    out.append("int main(void) {\n    int failed = 0;\n")
    for block in fragments:
        out.append(f"""    snippet_log = tmpfile();
    if (snippet_log == NULL) abort();
    fragment_{block.ident}();
    {{
        char logged[65536];
        rewind(snippet_log);
        size_t n = fread(logged, 1, sizeof logged - 1, snippet_log);
        logged[n] = 0;
        if (strstr(logged, "a1b2c3d4") != NULL) {{
            fprintf(stderr, "{block.where}: the fragment logged the customer token\\n");
            failed = 1;
        }}
        fclose(snippet_log);
    }}
    printf("c snippet {block.where}: fragment ran\\n");
""")
    out.append("    return failed;\n}\n")
    return "".join(out)


def run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"tests/c/snippets.py: {what} failed ({' '.join(command)}):\n{done.stdout}{done.stderr}")


def main() -> None:
    out_dir, cc, cflags, libs = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = runnable("c")
    if not blocks:
        raise SystemExit("tests/c/snippets.py: no c block found: is tests/snippets/blocks.py reading the docs?")
    by_kind: dict[str, list[Block]] = {"program": [], "declarations": [], "fragment": []}
    for block in blocks:
        by_kind[kind(block)].append(block)
    for block in by_kind["program"]:
        source = out_dir / f"program_{block.ident}.c"
        source.write_text(block.text)
        run([cc, *cflags, str(source), "-o", str(source.with_suffix("")), *libs], f"compiling the program at {block.where}")
        run([str(source.with_suffix(""))], f"running the program at {block.where}")
        print(f"c snippet {block.where}: program compiled and ran")
    for block in by_kind["declarations"]:
        source = out_dir / f"declarations_{block.ident}.c"
        source.write_text(declarations_unit(block))
        run([cc, *cflags, "-c", str(source), "-o", str(source.with_suffix(".o"))], f"the declarations at {block.where} against the header")
        print(f"c snippet {block.where}: declarations agree with include/ctpolicy.h")
    if by_kind["fragment"]:
        source = out_dir / "fragments.c"
        source.write_text(fragments_unit(by_kind["fragment"]))
        run([cc, *cflags, f"-I{ROOT}", str(source), "-o", str(source.with_suffix("")), *libs], "compiling the fragments in the harness")
        done = subprocess.run([str(source.with_suffix(""))], capture_output=True, text=True)
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            raise SystemExit(f"tests/c/snippets.py: the fragments failed:\n{done.stderr}")
    counts = ", ".join(f"{len(v)} {k}" for k, v in by_kind.items())
    print(f"c snippets: {len(blocks)} blocks ({counts}) compiled and run")


if __name__ == "__main__":
    main()
