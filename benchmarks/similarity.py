"""Similar answers (genlab.grading.similarity) on a synthetic class of 500 submissions per
assignment, made from the solutions' answer cells. Each student is independent or, with
probability 0.1, a planted copy of an earlier student. An independent student writes every
answer as a variant of the reference (semantics kept), each rewrite applied at random: the
operands of `+` and `*` swapped, `x.f()` and `torch.f(x)` exchanged, `x**2` written `x * x`,
`x.pow(2)` or `torch.square(x)`, `a * 0.5` written `a / 2`, `dim` given by keyword or by
position, parts of an expression computed first into names of their own. A planted copy
takes its source's answers and applies the copier's transformations: every bound name
renamed, the layout changed, comments added or removed, and neighbouring independent
statements swapped.

Recall: the share of planted copies that similarity.html flags with their source, as a pair
of submissions alike across questions. False-positive rate: the share of pairs of independent
students it flags so. Per-question clusters (near-identical answers to one question, shown
with their diffs) are reported too: the share of copies in a cluster with their source, and
how many pairs of independent students share a cluster (students who happen to write one
answer alike). Time: the whole run from the notebooks' bytes to similarity.html and
similarity.csv. Over seeds: the median time, the worst recall and false-positive rate.
"""

from __future__ import annotations

import ast
import json
import random
import tempfile
import time
from pathlib import Path

import nbformat

from genlab.grading.after import write_similarity
from genlab.grading.assignments import Assignment, grade_id, is_answer

ROOT = Path(__file__).resolve().parents[1]
COPY_RATE = 0.1
MIN_TOKENS = 12
THRESHOLD = 0.9


# ------------------------------------------------------------------- independent writing


class _Variant(ast.NodeTransformer):
    """Rewrites that keep the meaning, each applied with probability ``p``."""

    def __init__(self, rng: random.Random, p: float = 0.5):
        self.rng, self.p = rng, p

    def flip(self) -> bool:
        return self.rng.random() < self.p

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Add | ast.Mult) and self.flip():
            node.left, node.right = node.right, node.left
        square = (
            isinstance(node.op, ast.Pow)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 2
        )
        if square and self.flip():
            choice = self.rng.randrange(3)
            if choice == 0 and isinstance(node.left, ast.Name):
                return ast.BinOp(node.left, ast.Mult(), ast.Name(node.left.id, ast.Load()))
            if choice == 1:
                return ast.Call(_attr(node.left, "pow"), [ast.Constant(2)], [])
            return ast.Call(_attr(ast.Name("torch", ast.Load()), "square"), [node.left], [])
        if (
            isinstance(node.op, ast.Mult)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 0.5
            and self.flip()
        ):
            return ast.BinOp(node.left, ast.Div(), ast.Constant(2))
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("sum", "mean") and self.flip():
            if node.args and not node.keywords:  # x.sum(-1) <-> x.sum(dim=-1)
                node.keywords, node.args = [ast.keyword("dim", node.args[-1])], node.args[:-1]
            elif node.keywords and node.keywords[0].arg == "dim":
                node.args, node.keywords = [*node.args, node.keywords[0].value], node.keywords[1:]
        methods = ("exp", "log", "sum", "mean", "sigmoid", "abs", "sqrt")
        if isinstance(func, ast.Attribute) and func.attr in methods and self.flip():
            if isinstance(func.value, ast.Name) and func.value.id == "torch" and node.args:
                return ast.Call(
                    ast.Attribute(node.args[0], func.attr, ast.Load()), node.args[1:], node.keywords
                )
            if not (isinstance(func.value, ast.Name) and func.value.id in ("torch", "math", "F")):
                return ast.Call(
                    ast.Attribute(ast.Name("torch", ast.Load()), func.attr, ast.Load()),
                    [func.value, *node.args],
                    node.keywords,
                )
        return node

    def visit_Return(self, node):
        self.generic_visit(node)
        if node.value is not None and not isinstance(node.value, ast.Name) and self.flip():
            name = self.rng.choice(["result", "out", "value", "loss", "res"])
            return [
                ast.Assign([ast.Name(name, ast.Store())], node.value, lineno=0),
                ast.Return(ast.Name(name, ast.Load())),
            ]
        return node


def _attr(value, name: str):
    return ast.Attribute(value, name, ast.Load())


_OPAQUE = (
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.IfExp,
    ast.BoolOp,
    ast.NamedExpr,
)


def _parts(node, out):
    """Sub-expressions that can be computed first (not inside a lambda, a comprehension or a
    conditional)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _OPAQUE):
            continue
        if isinstance(child, ast.BinOp | ast.Call):
            out.append((node, child))
        _parts(child, out)
    return out


def _hoist(body: list, rng: random.Random) -> list:
    """Compute a random part of some statements first, into a name of its own: how much a
    writer splits an expression into steps."""
    new = []
    for statement in body:
        if isinstance(statement, ast.Return | ast.Assign) and statement.value is not None:
            candidates = _parts(statement, [])
            if candidates and rng.random() < 0.6:
                parent, part = rng.choice(candidates)
                name = f"t{rng.randrange(1000)}"
                for field, value in ast.iter_fields(parent):
                    if value is part:
                        setattr(parent, field, ast.Name(name, ast.Load()))
                    elif isinstance(value, list) and part in value:
                        value[value.index(part)] = ast.Name(name, ast.Load())
                new.append(ast.Assign([ast.Name(name, ast.Store())], part, lineno=0))
        new.append(statement)
    return new


def independent(source: str, rng: random.Random) -> str:
    tree = _Variant(rng).visit(ast.parse(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body = _hoist(node.body, rng)
    return ast.unparse(ast.fix_missing_locations(tree))


# --------------------------------------------------------------------------------- copying


def _bound(tree) -> list[str]:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            names[node.arg] = None
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names[node.id] = None
    return list(names)


class _Rename(ast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node


def _used(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _stored(node) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _reorder(body: list, rng: random.Random) -> None:
    """Swap neighbouring statements that do not depend on each other (the last stays)."""
    for i in range(len(body) - 2):
        a, b = body[i], body[i + 1]
        if (
            isinstance(a, ast.Assign)
            and isinstance(b, ast.Assign)
            and not (_stored(a) & _used(b))
            and not (_stored(b) & _used(a))
            and rng.random() < 0.7
        ):
            body[i], body[i + 1] = b, a


def copy_of(source: str, rng: random.Random) -> str:
    """The copier's transformations of ``source``."""
    tree = ast.parse(source)
    names = {
        n: f"{rng.choice(['my', 'the', 'tmp', 'x'])}_{n}_{rng.randrange(99)}" for n in _bound(tree)
    }
    tree = _Rename(names).visit(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.Module):
            _reorder(node.body, rng)
            if (
                isinstance(node, ast.FunctionDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and rng.random() < 0.5
            ):
                node.body = node.body[1:] or [ast.Pass()]  # docstring dropped
    lines = []
    for line in ast.unparse(tree).split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        code = line.strip()
        if rng.random() < 0.5:  # layout: spaces around operators and commas
            code = code.replace(" * ", "*").replace(", ", " , ").replace(" - ", "  -  ")
        if rng.random() < 0.3:
            lines.append(f"{indent}# step {rng.randrange(9)}: see lecture")
        if rng.random() < 0.3 and not code.endswith(":"):
            code += "  # ok"
        lines.append(indent + code)
        if rng.random() < 0.2:
            lines.append("")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- a class


def synthetic_class(assignment: Assignment, n: int, seed: int):
    """(notebooks' bytes by name, {copy: source}) for ``n`` students."""
    rng = random.Random(seed)
    cells = [c for c in assignment.nb.cells if is_answer(c)]
    answers, copies = {}, {}
    for i in range(n):
        name = f"s{i:04d}.ipynb"
        if i > 0 and rng.random() < COPY_RATE:
            source = rng.choice(list(answers))
            copies[name] = source
            answers[name] = {g: copy_of(a, rng) for g, a in answers[source].items()}
        else:
            answers[name] = {grade_id(c): independent(c.source, rng) for c in cells}
    notebooks = {}
    for name, own in answers.items():
        nb = nbformat.v4.new_notebook()
        for cell in assignment.nb.cells:
            new = (
                nbformat.v4.new_code_cell(own.get(grade_id(cell), cell.source))
                if cell.cell_type == "code"
                else nbformat.v4.new_markdown_cell(cell.source)
            )
            new.metadata = cell.metadata
            nb.cells.append(new)
        notebooks[name] = nbformat.writes(nb).encode()
    return notebooks, answers, copies


def measure(assignment: Assignment, n: int, seed: int) -> dict:
    notebooks, answers, copies = synthetic_class(assignment, n, seed)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_similarity(
            out,
            ((k, v, assignment) for k, v in notebooks.items()),
            threshold=THRESHOLD,
            min_tokens=MIN_TOKENS,
        )
        seconds = time.perf_counter() - started
        rows = list(csv_rows(Path(out) / "similarity.csv"))
    # flagged: pairs alike across questions; clustered: pairs in one cluster of a question
    flagged, clustered, in_cluster = set(), set(), {}
    for r in rows:
        pair = frozenset((r["submission"], r["other"]))
        if r["finding"] == "alike-across-questions":
            flagged.add(pair)
        elif r["finding"] == "near-identical":
            clustered.add(pair)
            key = (r["question"], r["cluster"])
            members = in_cluster.setdefault(key, set())
            members.update(pair)

    def origin(name):
        while name in copies:
            name = copies[name]
        return name

    def found(copy, pairs):  # with its source, or the first student of a chain of copies
        return bool({frozenset((copy, copies[copy])), frozenset((copy, origin(copy)))} & pairs)

    independents = [s for s in answers if s not in copies]
    pairs = len(independents) * (len(independents) - 1) // 2
    false = [p for p in flagged if not (p & copies.keys())]
    coincide = [p for p in clustered if not (p & copies.keys())]
    return {
        "assignment": assignment.name,
        "submissions": n,
        "planted copies": len(copies),
        "recall": sum(found(c, flagged) for c in copies) / len(copies),
        "false-positive rate": len(false) / pairs,
        "independent pairs flagged": len(false),
        "recall, per-question clusters": sum(found(c, clustered) for c in copies) / len(copies),
        "independent pairs in a per-question cluster": len(coincide),
        "seconds": seconds,
    }


def csv_rows(path: Path):
    import csv

    with open(path, newline="") as f:
        yield from csv.DictReader(f)


def run(device: str = "cpu", repeats: int = 3, quick: bool = False) -> list[dict]:
    if device != "cpu":
        return []  # pure Python: nothing to measure on a GPU
    n = 100 if quick else 500
    names = sorted((ROOT / "solutions").glob("[0-9][0-9]*_*.ipynb"))
    rows = []
    for path in names[:2] if quick else names:
        assignment = Assignment.load(path)
        trials = [measure(assignment, n, seed) for seed in range(1 if quick else repeats)]
        row = dict(trials[0])
        row["seconds"] = sorted(t["seconds"] for t in trials)[len(trials) // 2]
        for key in [k for k in row if k.startswith("recall")]:
            row[key] = min(t[key] for t in trials)  # the worst of the seeds
        row["false-positive rate"] = max(t["false-positive rate"] for t in trials)
        rows.append(row)
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    for row in run(repeats=args.repeats, quick=args.quick):
        print(json.dumps(row))
