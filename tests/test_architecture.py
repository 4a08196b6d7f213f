"""The package's shape: every module imports in a fresh interpreter, the import graph has no
cycle, and dependencies point down the layers of genlab/ARCHITECTURE.md."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import genlab

PACKAGE = Path(genlab.__file__).parent

# lower layers never import higher ones (ARCHITECTURE.md)
LAYERS = [
    {"genlab._checks", "genlab._io", "genlab.device"},
    {
        "genlab.losses",
        "genlab.estimators",
        "genlab.divergences",
        "genlab.theory",
        "genlab.optima",
        "genlab.metrics",
    },
    {"genlab.data", "genlab.models"},
    {"genlab.train", "genlab.checkpoint", "genlab.gan", "genlab.vqvae_experiments"},
]
TOP = {"genlab.widgets", "genlab.grading", "genlab.cli", "genlab.gan_cli", "genlab.grade_cli"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The genlab modules ``name`` imports, at the top or inside functions (resolved to the
    most specific module that exists)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                found.add(target)
                break
    # a submodule's own parent package runs first anyway: not an edge of the graph
    return {t for t in found if not name.startswith(t + ".")}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_has_no_cycle():
    assert _cycles(GRAPH) == []


def _layer(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        if any(name == m or name.startswith(m + ".") for m in layer):
            return i
    if any(name == m or name.startswith(m + ".") for m in TOP):
        return len(LAYERS)
    return -1  # the package itself and helpers outside the table


def test_dependencies_point_down_the_layers():
    upward = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if _layer(name) >= 0 and _layer(target) > _layer(name)
    ]
    assert upward == []


def test_every_module_imports_in_a_fresh_interpreter():
    code = (
        "import importlib, sys\n"
        f"for name in {sorted(MODULES)!r}:\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


# declarative tables may be longer: one entry per row, no logic to split
TABLES = {"genlab.divergences.table"} | {
    n for n in MODULES if n.startswith("genlab.grading.questions.")
}
MAX_LINES = 520  # "about 500": one concept per module


def test_no_module_is_over_about_500_lines_except_declarative_tables():
    too_long = {
        name: n
        for name, path in MODULES.items()
        if name not in TABLES
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, too_long
