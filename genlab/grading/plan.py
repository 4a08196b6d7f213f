"""The grading plan of one submission, and the routes by which its code reaches genlab's
references (steps 1 and the "what the grader cannot see" of :mod:`genlab.grading.grader`).

:func:`build_plan` matches the submission to its solution cell by cell (nbgrader ``grade_id``):
locked cells come from the solution whatever the submission holds, answer cells and added
cells are the student's, test cells are left out. :func:`reference_routes` names every way a
cell's code reaches genlab's implementation of the exercises' math or the grader's registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genlab.grading.assignments import (
    Assignment,
    exercise_cell_source,
    grade_id,
    is_answer,
    is_locked,
    is_test,
)

__all__ = ["build_plan", "reference_routes"]

# genlab's implementations of the exercises' math, and the grader's own references
_REFERENCE_MODULES = {"losses", "theory", "divergences", "gan", "models", "questions", "checks"}
_REFERENCE_MODULES |= {"optima", "estimators", "wgan", "dirac_gan", "metrics", "vae_objectives"}
_REGISTRY_NAMES = {"get_question", "registered_questions", "evaluate", "judge", "_QUESTIONS"}
# ways to reach a module or a function without naming it in an import
_DYNAMIC_MODULES = {"importlib", "runpy", "imp", "pkgutil", "builtins", "gc", "inspect", "ctypes"}
_DYNAMIC_CALLS = {"__import__", "exec", "eval", "compile", "globals", "vars", "getattr"}
_DYNAMIC_CALLS |= {"get_ipython"}  # magics and shell commands: code given as text
_DYNAMIC_ATTRIBUTES = {"__dict__", "__globals__", "__builtins__", "__subclasses__", "__code__"}


@dataclass
class _PlanCell:
    source: str
    label: str
    origin: str  # locked | answer | yours
    grade_id: str | None = None


# -------------------------------------------------------------------------------- the plan


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def build_plan(assignment: Assignment, submission) -> tuple[list[_PlanCell], list[str]]:
    """The cells to execute for ``submission`` and what was found wrong with its structure."""
    notes = []
    cells = submission.cells
    known = assignment.grade_ids
    by_id: dict[str, int] = {}
    for i, cell in enumerate(cells):
        gid = grade_id(cell)
        if gid in known:
            if gid in by_id:
                notes.append(f"cell {i + 1} repeats grade_id {gid!r}; it ran as your own cell")
            else:
                by_id[gid] = i
    expected = [grade_id(c) for c in assignment.nb.cells if grade_id(c) in by_id]
    if sorted(by_id, key=by_id.get) != expected:
        notes.append("cells were moved; they ran in the assignment's order")

    extras: dict[str | None, list[_PlanCell]] = {}
    anchor = None
    matched = set(by_id.values())
    for i, cell in enumerate(cells):
        if i in matched:
            anchor = grade_id(cell)
        elif cell.get("cell_type") == "code" and _source(cell).strip():
            extras.setdefault(anchor, []).append(
                _PlanCell(_source(cell), f"your cell {i + 1}", "yours")
            )

    plan = list(extras.get(None, []))
    for cell in assignment.nb.cells:
        gid = grade_id(cell)
        if is_answer(cell):
            if gid in by_id:
                plan.append(
                    _PlanCell(_source(cells[by_id[gid]]), f"your answer {gid}", "answer", gid)
                )
            else:
                notes.append(f"answer cell {gid!r} is missing")
        elif is_locked(cell):
            if gid not in by_id:
                notes.append(f"locked cell {gid!r} was deleted; the original was used")
            else:
                theirs = cells[by_id[gid]]
                # the exercise's version (hidden tests removed) and the solution's both count
                allowed = {_source(cell).strip(), exercise_cell_source(cell).strip()}
                if (
                    theirs.get("cell_type") != cell.cell_type
                    or _source(theirs).strip() not in allowed
                ):
                    notes.append(f"locked cell {gid!r} was edited; the original was used")
            if cell.cell_type == "code" and not is_test(cell):
                plan.append(_PlanCell(_source(cell), f"locked cell {gid}", "locked"))
        if gid:
            plan.extend(extras.get(gid, []))
    return plan, notes


def _defines(source: str, name: str) -> bool:
    return (
        re.search(
            rf"^\s*(async\s+)?def\s+{re.escape(name)}\s*\(|^\s*{re.escape(name)}\s*=",
            source,
            flags=re.MULTILINE,
        )
        is not None
    )


def _parse(source: str):
    """The cell's syntax tree as IPython runs it (magics and ``!shell`` lines become
    ``get_ipython()`` calls), or None if it is not valid: then it runs nothing."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def reference_routes(source: str) -> set[str]:
    """How a cell could reach genlab's implementations or the grader's references: imports of
    genlab's math modules or of the grading registry, and any dynamic import or evaluation
    (``importlib``, ``__import__``, ``exec``, ``getattr``, ``sys.modules``, ...) that could
    reach them without naming them. Read from the cell's syntax tree, never run."""
    import ast

    tree = _parse(source)
    if tree is None:
        return set()
    found = set()
    allowed = set()  # %matplotlib is get_ipython().run_line_magic("matplotlib", ...)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) == "get_ipython().run_line_magic"
            and [a.value for a in node.args[:1] if isinstance(a, ast.Constant)] == ["matplotlib"]
        ):
            allowed.add(id(node.func.value.func))

    def module(name: str) -> None:
        parts = name.split(".")
        if parts[0] == "genlab" and _REFERENCE_MODULES & set(parts[1:]):
            found.add(name)
        elif parts[0] in _DYNAMIC_MODULES:
            found.add(parts[0])

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            module(base)
            for alias in node.names:
                module(f"{base}.{alias.name}")
                if base.startswith("genlab") and alias.name in _REGISTRY_NAMES:
                    found.add(f"{base}.{alias.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr in _REFERENCE_MODULES | _REGISTRY_NAMES and "genlab" in ast.unparse(
                node.value
            ):
                found.add(f"genlab ... .{node.attr}")
            elif node.attr in _DYNAMIC_ATTRIBUTES:
                found.add(f".{node.attr}")
            elif node.attr == "modules" and ast.unparse(node.value).endswith("sys"):
                found.add("sys.modules")
        elif isinstance(node, ast.Name) and node.id in _DYNAMIC_CALLS | _REGISTRY_NAMES:
            if node.id == "get_ipython" and id(node) not in allowed:
                found.add("IPython magics or shell commands")
            elif node.id != "get_ipython":
                found.add(f"{node.id}()" if node.id in _DYNAMIC_CALLS else node.id)
    return found
