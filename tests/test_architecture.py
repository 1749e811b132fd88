"""Architecture rules beside the import-linter layers contract (pyproject.toml).

The layers contract forbids imports up the layers; these tests add what it
cannot say: no import cycle between any two modules of asi_tui (inside a
layer too), and no module over 500 lines. Imports are read with `ast`, so
nothing is imported or run, and an import inside a function counts: a lazy
import is still a dependency, only hidden.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "asi_tui"
MAX_LINES = 500


def modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `package` (a package's name is its __init__)."""
    root = package.parent
    out = {}
    for p in package.rglob("*.py"):
        rel = p.relative_to(root).with_suffix("")
        out[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = p
    return out


def _targets(mods: dict[str, Path], cur: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = cur.split(".")
        keep = len(base) - node.level + (1 if mods[cur].name == "__init__.py" else 0)
        prefix = ".".join(base[:keep] + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from pkg import name`: the module pkg.name if there is one, else pkg itself
    return [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in mods else prefix for a in node.names]


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports, wherever the import statement is."""
    mods = modules(package)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for t in _targets(mods, m, node):
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                # a module's own enclosing packages are no dependency; nor is an all-but-empty __init__
                if not t or t == m or m.startswith(t + "."):
                    continue
                if mods[t].name == "__init__.py" and len(mods[t].read_text(encoding="utf-8").strip().splitlines()) < 3:
                    continue
                graph[m].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The import cycles: strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

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
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def long_modules(package: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Path (relative to the project) -> line count, for every module over `limit` lines."""
    out = {}
    for p in sorted(package.rglob("*.py")):
        n = len(p.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out[p.relative_to(package.parent).as_posix()] = n
    return out


def _describe(group: set[str], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{a} -> {b}" for a in sorted(group) for b in sorted(graph[a] & group))


# ----------------------------------------------------------------------------- the checker itself


def test_checker_finds_a_cycle_closed_by_an_import_inside_a_function(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import g\n    return g\n")
    (pkg / "c.py").write_text("from pkg import a\n")  # depends on the cycle, is not in it
    graph = import_graph(pkg)
    assert cycles(graph) == [{"pkg.a", "pkg.sub.b"}]
    (pkg / "sub" / "b.py").write_text("def f():\n    return 1\n")
    assert cycles(import_graph(pkg)) == []


def test_checker_counts_lines(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "short.py").write_text("x = 1\n" * 5)
    (pkg / "long.py").write_text("x = 1\n" * 6)
    assert long_modules(pkg, limit=5) == {"pkg/long.py": 6}


# ----------------------------------------------------------------------------- asi_tui


def test_no_import_cycles():
    graph = import_graph(PACKAGE)
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_describe(g, graph) for g in found)


def test_no_module_over_500_lines():
    long = long_modules(PACKAGE)
    assert not long, "modules over 500 lines (split them by responsibility): " + ", ".join(f"{f} ({n})" for f, n in long.items())

