"""The package's module graph: no module of ctpolicy imports one that
imports it back, directly or through others. Every import counts, whether at
the top, inside a function or under ``TYPE_CHECKING``: a circle is a circle
to the reader even when the interpreter happens to tolerate it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ctpolicy"



def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules that ``path`` imports, by any form of import."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module] if node.module else [alias.name for alias in node.names]
            elif node.level == 0 and node.module and node.module.split(".")[0] == "ctpolicy":
                rest = node.module.split(".")[1:]
                names = rest[:1] if rest else [alias.name for alias in node.names]
            else:
                assert node.level == 0, f"{path.name}:{node.lineno}: import from a parent package"
        elif isinstance(node, ast.Import):
            names = [alias.name.split(".")[1] for alias in node.names if alias.name.startswith("ctpolicy.")]
        found.update(name.split(".")[0] for name in names if name)
    return found & modules


def module_graph() -> dict[str, set[str]]:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    return {path.stem: _imports(path, modules) - {path.stem} for path in PACKAGE.glob("*.py")}


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    found = [sorted(c) for c in circles(module_graph())]
    assert found == [], f"import circles among ctpolicy's modules: {found}"


def test_the_graph_is_read_from_every_form_of_import() -> None:
    graph = module_graph()
    assert {"_native", "_errors", "_handle", "_redact"} <= graph["_audit"]  # `from . import x` and `from .x import`
    assert "_audit" in graph["_engine"]
    assert "_engine" not in graph["_audit"]
    assert "_guard_httpx" in graph["guard"]  # an import inside a function


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]
    assert circles({"a": {"b"}, "b": set()}) == []
