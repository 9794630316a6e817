"""Every ``python`` block of every tracked Markdown file runs (the snippet
catalog, tests/snippets/catalog.py, counts on this test for them).

The blocks come from tests/snippets/blocks.py. A block that binds every name
it uses runs as written. A fragment (it uses names it never binds, such as
``handler`` or ``token``) runs with exactly those names taken from HARNESS,
and fails when it needs one HARNESS lacks: add it there, with a value that
makes the fragment do what its text says. Every block runs in a fresh
interpreter from the repository root, with absolute /tmp and /var paths
moved into the test's temp folder, and must exit 0 without printing the
customer token.
"""

from __future__ import annotations

import builtins
import importlib.util
import os
import re
import subprocess
import symtable
import sys
from pathlib import Path
from typing import Any

import pytest

from support import PACKAGE_ROOT, REPO_ROOT

TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

# Names a fragment may use without binding them: the code that binds each.
HARNESS = {
    "ctpolicy": "import ctpolicy",
    "logging": "import logging",
    "token": f"token = {TOKEN!r}",
    "line": f"line = 'charge failed for {TOKEN}'",
    "log": "import logging\nlog = logging.getLogger('snippet')",
    "handler": "import logging, sys\nhandler = logging.StreamHandler(sys.stderr)\nlogging.getLogger().addHandler(handler)",
    # The authorize call of the guard fragment: a token with no stored record,
    # so the guard holds the charge back and nothing leaves the machine.
    "body": "body = {'currency': 'EUR', 'request_payment_transaction': {'amount': 1299}}",
    "key": "key = 'renewal-2026-11-sub-42'",
    "auth": "auth = 'Basic c25pcHBldDpzbmlwcGV0'",
}


def _load_blocks() -> Any:
    spec = importlib.util.spec_from_file_location("blocks", REPO_ROOT / "tests" / "snippets" / "blocks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["blocks"] = module  # dataclasses looks the module up by name
    spec.loader.exec_module(module)
    return module


BLOCKS = _load_blocks().runnable("python", REPO_ROOT)


def free_names(source: str) -> set[str]:
    """Global names ``source`` reads (at module level or inside its functions) but never binds, builtins aside."""
    module = symtable.symtable(source, "snippet", "exec")
    bound = {s.get_name() for s in module.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read: set[str] = set()
    tables = [module]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is module or symbol.is_global()):
                read.add(symbol.get_name())
    return read - bound - set(dir(builtins))


def test_the_docs_have_python_blocks() -> None:
    assert len(BLOCKS) >= 7, [b.where for b in BLOCKS]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.where for b in BLOCKS])
def test_block_runs(block: Any, tmp_path: Path) -> None:
    missing = sorted(free_names(block.text) - set(HARNESS))
    assert not missing, f"{block.where} uses {missing}, which neither it nor HARNESS (tests/test_snippets.py) binds"
    prelude = "\n".join(HARNESS[name] for name in sorted(free_names(block.text)))
    source = re.sub(r"""(["'])/(?:tmp|var)/(?:[^"'/]*/)*([^"'/]+)\1""", lambda m: repr(str(tmp_path / m.group(2))), block.text)
    script = tmp_path / "snippet.py"
    script.write_text(f"{prelude}\n{source}", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, f"{block.where} failed:\n{proc.stdout}{proc.stderr}"
    assert "a1b2c3d4-e5f6" not in proc.stdout + proc.stderr, f"{block.where} printed the customer token"


def test_free_names_finds_what_a_fragment_needs() -> None:
    assert free_names("handler.addFilter(ctpolicy.RedactingFilter())\nx = 1\nprint(x)") == {"handler", "ctpolicy"}
    assert free_names("import ctpolicy\nfor v in ctpolicy.rules(): print(v)") == set()
    assert free_names("class S:\n    def get(self, token): return token\nprint(token)") == {"token"}
