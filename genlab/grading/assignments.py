"""Assignments in nbgrader's conventions: ``solutions/`` is the source, ``exercises/`` is made
from it.

A solution notebook marks its cells with nbgrader's schema-v3 metadata (``grade_id``,
``points``, ``solution``, ``grade``, ``locked``, ``task``), carried through the jupytext
py:percent files as ``# %% nbgrader={...}`` cell headers:

- answer cells (``solution: true``) hold the reference answer between ``### BEGIN SOLUTION``
  and ``### END SOLUTION``; in the exercise it becomes ``raise NotImplementedError()``;
- test cells (``grade: true``, locked) hold ``check(...)`` calls, the hidden ones between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, removed from the exercise;
- written answers are markdown cells with ``solution: true, grade: true`` (graded by hand);
  their text becomes ``YOUR ANSWER HERE``.

:func:`generate_exercises` writes ``exercises/`` (``genlab notebooks sync`` calls it);
:func:`exercise_problems` lists what is out of step. :class:`Assignment` is what the grader
reads from a solution notebook: the questions, their points and the checks that decide them.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from genlab._io import write_atomic

__all__ = [
    "ANSWER_STUB",
    "CODE_STUB",
    "Assignment",
    "GradedQuestion",
    "ManualQuestion",
    "Probe",
    "exercise_notebook",
    "exercise_problems",
    "exercise_text",
    "generate_exercises",
    "nbgrader_metadata",
    "parse_test_cell",
    "points_table",
    "question_kind",
    "validate",
]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's own stubs
ANSWER_STUB = "YOUR ANSWER HERE"
SOURCE_FORMAT = "py:percent"
SCHEMA_VERSION = 3


# ---------------------------------------------------------------------------- cell kinds


def nbgrader_metadata(cell) -> dict:
    """The cell's ``nbgrader`` metadata ({} for an ordinary cell)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    value = nbgrader_metadata(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_answer(cell) -> bool:
    """An auto-graded answer cell: code the student writes."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell) -> bool:
    """An auto-graded test cell: locked code with points."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_written_answer(cell) -> bool:
    """An answer graded by hand (a markdown cell with ``solution`` and ``grade``)."""
    meta = nbgrader_metadata(cell)
    return bool(meta.get("solution")) and bool(meta.get("grade"))


def is_locked(cell) -> bool:
    meta = nbgrader_metadata(cell)
    return bool(meta.get("locked")) or is_test(cell)


# ------------------------------------------------------------------------ the exercises


def _replace_regions(source: str, begin: str, end: str, stub: str | None) -> str:
    """Replace each ``begin``...``end`` block (marker lines included) by ``stub`` indented
    like the begin marker, or drop it when ``stub`` is None."""
    out, inside, lines = [], False, source.split("\n")
    for line in lines:
        stripped = line.strip()
        if not inside and stripped == begin:
            inside = True
            if stub is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.extend(indent + s for s in stub.split("\n"))
        elif inside and stripped == end:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a cell opens {begin!r} without {end!r}")
    return "\n".join(out)


def exercise_cell_source(cell) -> str:
    """The exercise version of one solution cell's source."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    if is_test(cell):
        return _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None).rstrip("\n")
    if nbgrader_metadata(cell).get("solution"):
        if BEGIN_SOLUTION in source:
            stub = CODE_STUB if cell.get("cell_type") == "code" else ANSWER_STUB
            return _replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, stub)
        return CODE_STUB if cell.get("cell_type") == "code" else ANSWER_STUB
    return source


def exercise_notebook(nb):
    """A copy of solution notebook ``nb`` with the solutions and hidden tests taken out."""
    exercise = copy.deepcopy(nb)
    for cell in exercise.cells:
        cell.source = exercise_cell_source(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return exercise


def _jupytext():
    try:
        import jupytext
    except ImportError as err:  # pragma: no cover - dev extra missing
        raise ImportError('generating exercises needs jupytext: pip install -e ".[dev]"') from err
    return jupytext


def exercise_text(solution_text: str) -> str:
    """The py:percent text of the exercise made from a solution's py:percent text."""
    jupytext = _jupytext()
    exercise = exercise_notebook(jupytext.reads(solution_text, fmt=SOURCE_FORMAT))
    text = jupytext.writes(exercise, fmt=SOURCE_FORMAT)
    # Keep the solution's own YAML header (jupytext would add its version and format details).
    header, body = _split_header(solution_text), _split_header(text)
    return (header[0] if header and body else "") + (body[1] if body else text)


def _split_header(text: str) -> tuple[str, str] | None:
    """(YAML header, rest) of a py:percent text, or None if it has no header."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "# ---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "# ---":
            return "".join(lines[: i + 1]), "".join(lines[i + 1 :])
    return None


def _pairs(root: Path) -> list[tuple[Path, Path]]:
    return [
        (src, root / "exercises" / src.name)
        for src in sorted((root / "solutions").glob("[0-9][0-9]*_*.py"))
    ]


def generate_exercises(root: str | os.PathLike) -> list[Path]:
    """Write ``exercises/NN_*.py`` from every ``solutions/NN_*.py``; return the files that
    changed. The paired ``.ipynb`` files are then rendered like every other notebook."""
    root = Path(root)
    changed = []
    for solution, exercise in _pairs(root):
        text = exercise_text(solution.read_text(encoding="utf-8"))
        if not exercise.exists() or exercise.read_text(encoding="utf-8") != text:
            exercise.parent.mkdir(exist_ok=True)
            write_atomic(exercise, text)
            changed.append(exercise)
    return changed


def exercise_problems(root: str | os.PathLike) -> list[str]:
    """Describe every exercise that is missing, stale, or has no solution source."""
    root = Path(root)
    problems = []
    expected = set()
    for solution, exercise in _pairs(root):
        expected.add(exercise.name)
        rel = exercise.relative_to(root)
        if not exercise.exists():
            problems.append(f"{rel}: missing (generated from {solution.relative_to(root)})")
        elif exercise.read_text(encoding="utf-8") != exercise_text(
            solution.read_text(encoding="utf-8")
        ):
            problems.append(f"{rel}: differs from what {solution.relative_to(root)} generates")
    for exercise in sorted((root / "exercises").glob("*.py")):
        if exercise.name not in expected:
            problems.append(f"{exercise.relative_to(root)}: no solution source in solutions/")
    return problems


# --------------------------------------------------------------- what the grader reads


@dataclass(frozen=True)
class Probe:
    """One ``check(question, function, suite=...)`` call of a test cell."""

    question: str
    function: str
    suite: str = "visible"


@dataclass(frozen=True)
class GradedQuestion:
    """A test cell: its ``grade_id``, its points and the checks that decide it."""

    grade_id: str
    points: float
    probes: tuple[Probe, ...]
    answer_ids: tuple[str, ...] = ()  # answer cells between the previous test cell and this one


@dataclass(frozen=True)
class ManualQuestion:
    """A written answer, graded by hand."""

    grade_id: str
    points: float


def parse_test_cell(source: str) -> tuple[Probe, ...]:
    """The ``check`` calls of a test cell; ValueError for any other statement."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"test cell is not valid Python: {err}") from None
    probes = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        ok = (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
            and len(call.args) == 2
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
            and isinstance(call.args[1], ast.Name)
            and all(k.arg == "suite" and isinstance(k.value, ast.Constant) for k in call.keywords)
        )
        if not ok:
            raise ValueError(
                'a test cell must hold only check("question_id", function_name[, '
                f'suite="hidden"]) calls; got: {ast.unparse(node)[:80]}'
            )
        suite = call.keywords[0].value.value if call.keywords else "visible"
        probes.append(Probe(call.args[0].value, call.args[1].id, suite))
    if not probes:
        raise ValueError("a test cell must hold at least one check(...) call")
    return tuple(probes)


def _points(cell) -> float:
    points = nbgrader_metadata(cell).get("points")
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise ValueError(f"cell {grade_id(cell)!r} must have points >= 0; got {points!r}")
    return int(points) if float(points).is_integer() else float(points)


def validate(nb) -> list[str]:
    """Problems with a solution notebook's nbgrader metadata and test cells ([] if none)."""
    from genlab.grading.checks import SUITES, registered_questions

    known = registered_questions()
    problems, seen = [], set()
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_metadata(cell)
        if not meta:
            continue
        where = f"cell {index} ({meta.get('grade_id')!r})"
        for key in ("grade", "grade_id", "locked", "schema_version", "solution", "task"):
            if key not in meta:
                problems.append(f"{where}: nbgrader metadata lacks {key!r}")
        if meta.get("schema_version") != SCHEMA_VERSION:
            problems.append(f"{where}: schema_version must be {SCHEMA_VERSION}")
        gid = meta.get("grade_id")
        if not isinstance(gid, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", gid or ""):
            problems.append(f"{where}: grade_id must be letters, digits, _ or -")
        elif gid in seen:
            problems.append(f"{where}: grade_id {gid!r} is used twice")
        seen.add(gid)
        if meta.get("solution") and meta.get("locked"):
            problems.append(f"{where}: an answer cell cannot be locked")
        if meta.get("grade"):
            try:
                _points(cell)
            except ValueError as err:
                problems.append(f"{where}: {err}")
        if is_test(cell):
            if not meta.get("locked"):
                problems.append(f"{where}: a test cell must be locked")
            try:
                probes = parse_test_cell(cell.source)
            except ValueError as err:
                problems.append(f"{where}: {err}")
                continue
            for probe in probes:
                if probe.question not in known:
                    problems.append(f"{where}: unknown question {probe.question!r}")
                if probe.suite not in SUITES:
                    problems.append(f"{where}: unknown suite {probe.suite!r}")
    return problems


def _read_notebook(path: Path):
    if path.suffix == ".py":
        return _jupytext().read(path, fmt=SOURCE_FORMAT)
    return nbformat.read(path, as_version=4)


@dataclass
class Assignment:
    """A solution notebook as the grader sees it."""

    name: str
    path: Path
    sha256: str
    nb: nbformat.NotebookNode
    graded: tuple[GradedQuestion, ...]
    manual: tuple[ManualQuestion, ...]

    @classmethod
    def load(cls, path: str | os.PathLike) -> Assignment:
        """Read a solution notebook (``.ipynb``, or the ``.py`` source); ValueError if its
        metadata or test cells are not what the grader needs."""
        path = Path(path)
        nb = _read_notebook(path)
        problems = validate(nb)
        if problems:
            raise ValueError(f"{path}: " + "; ".join(problems))
        graded, manual, answers = [], [], []
        for cell in nb.cells:
            if is_answer(cell):
                answers.append(grade_id(cell))
            elif is_test(cell):
                probes = parse_test_cell(cell.source)
                graded.append(GradedQuestion(grade_id(cell), _points(cell), probes, tuple(answers)))
                answers = []
            elif is_written_answer(cell):
                manual.append(ManualQuestion(grade_id(cell), _points(cell)))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls(path.stem, path, digest, nb, tuple(graded), tuple(manual))

    @property
    def grade_ids(self) -> set[str]:
        return {gid for cell in self.nb.cells if (gid := grade_id(cell))}

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.graded) + sum(q.points for q in self.manual)


def question_kind(question: GradedQuestion) -> str:
    """The kind (transcription, derivation, experiment, debug) of the question a test cell
    checks: the kind its registered questions share."""
    from genlab.grading.checks import get_question

    kinds = {get_question(p.question).kind for p in question.probes}
    if len(kinds) != 1:
        raise ValueError(f"test cell {question.grade_id!r} mixes kinds of questions: {kinds}")
    return kinds.pop()


def points_table(assignment: Assignment) -> str:
    """The markdown table of a sheet's points, question by question, as its first cell shows it
    (a test keeps the two equal)."""
    lines = ["| question | kind | points |", "|---|---|---|"]
    for number, question in enumerate(assignment.graded, 1):
        lines.append(f"| {number} | {question_kind(question)} | {question.points:g} |")
    manual = sum(q.points for q in assignment.manual)
    lines.append(f"| check your understanding | written, graded by hand | {manual:g} |")
    lines.append(f"| **total** | | **{assignment.max_points:g}** |")
    return "\n".join(lines)
