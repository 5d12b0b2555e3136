"""The modules of ``geo/`` import one another without cycles, counting the imports made
inside functions (a lazy import hides a cycle from Python, not from a reader)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool, modules) -> set[str]:
    """The modules ``module`` names in its imports, anywhere in it: ``from a import b``
    counts as ``a.b`` when that is a module, else as ``a``."""
    package = module if is_package else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in modules else base)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at ``root`` and the modules of it that it imports."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        named = _imported(tree, name, path.name == "__init__.py", files)
        graph[name] = {m for m in named if m in files and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _path(graph: dict[str, set[str]], group: list[str]) -> str:
    """One cycle through the group, written a -> b -> ... -> a, for the message."""
    start, members = group[0], set(group)
    trail, seen, here = [start], {start}, start
    while True:
        step = sorted(graph[here] & members)
        back = start if start in step else None
        nxt = back or next((m for m in step if m not in seen), None)
        if nxt is None:
            return " -> ".join(trail) + " -> ..."
        trail.append(nxt)
        if nxt == start:
            return " -> ".join(trail)
        seen.add(nxt)
        here = nxt


def test_the_graph_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from .sub import c\n")
    (pkg / "sub" / "c.py").write_text("def g():\n    import pkg.a\n")
    graph = import_graph(pkg)
    assert graph["pkg.b"] == {"pkg.sub.c"} and graph["pkg.sub.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c"]]
    (pkg / "sub" / "c.py").write_text("")
    assert cycles(import_graph(pkg)) == []


def test_geo_has_no_import_cycle():
    graph = import_graph(ROOT / "geo")
    assert "geo.store.base" in graph and "geo.cli.events" in graph
    found = cycles(graph)
    assert not found, "import cycles in geo/: " + "; ".join(_path(graph, g) for g in found)
