"""Similar answers (genlab.grading.similarity) on a synthetic class of 500 submissions per
assignment, made from the solutions' answer cells. Each student is independent or, with
probability 0.1, a planted copy of an earlier student. An independent student writes every
answer as a variant of the reference (semantics kept): a random subset of commutative operands
swapped, `x.f()` and `torch.f(x)` exchanged, `x**2` written `x * x`, `a * 0.5` written `a / 2`,
the returned expression bound to a name first. A planted copy takes its source's answers and
applies the copier's transformations: every bound name renamed, the layout changed, comments
added or removed, and neighbouring independent statements swapped. Recall: the share of planted
copied answers (at least `min_tokens` long, so comparable) that land in a cluster with their
source. False-positive rate: the share of pairs of independent students, per question, flagged
as near-identical (and how many of those pairs wrote the very same normalised answer, which
no comparison of the two answers can tell from a copy). Time: the whole run from the
notebooks' bytes to similarity.html and .csv.
"""

from __future__ import annotations

import ast
import json
import random
import tempfile
import time
from pathlib import Path

import nbformat

from genlab.grading.assignments import Assignment, grade_id, is_answer
from genlab.grading.similarity import normalise, write_similarity

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
        if (
            isinstance(node.op, ast.Pow)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 2
            and isinstance(node.left, ast.Name)
            and self.flip()
        ):
            return ast.BinOp(node.left, ast.Mult(), ast.Name(node.left.id, ast.Load()))
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


def independent(source: str, rng: random.Random) -> str:
    tree = ast.parse(source)
    return ast.unparse(ast.fix_missing_locations(_Variant(rng).visit(tree)))


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
    clusters: dict[tuple[str, str], set] = {}
    flagged_pairs = set()
    for r in rows:
        if r["finding"] == "near-identical":
            clusters.setdefault((r["question"], r["cluster"]), set()).update(
                (r["submission"], r["other"])
            )
            flagged_pairs.add((r["question"], *sorted((r["submission"], r["other"]))))
    in_cluster = {}
    for (question, _), members in clusters.items():
        for m in members:
            in_cluster[(question, m)] = members
    planted = found = 0
    for copy, source in copies.items():
        origin = source
        while origin in copies:  # a copy of a copy: its cluster holds the first source
            origin = copies[origin]
        for question, text in answers[copy].items():
            if normalise(text).tokens < MIN_TOKENS:
                continue
            planted += 1
            found += source in in_cluster.get((question, copy), ()) or origin in in_cluster.get(
                (question, copy), ()
            )
    independents = [s for s in answers if s not in copies]
    questions = list(answers[independents[0]])
    pairs = len(independents) * (len(independents) - 1) // 2 * len(questions)
    false = [(q, a, b) for q, a, b in flagged_pairs if a not in copies and b not in copies]
    same = sum(
        1
        for q, a, b in false
        if normalise(answers[a][q]).shingles == normalise(answers[b][q]).shingles
    )
    return {
        "assignment": assignment.name,
        "submissions": n,
        "planted copies": len(copies),
        "copied answers": planted,
        "recall": found / planted if planted else float("nan"),
        "independent pairs flagged": len(false),
        "of them identical after normalisation": same,
        "false-positive rate": len(false) / pairs if pairs else float("nan"),
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
        row["recall"] = min(t["recall"] for t in trials)
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
