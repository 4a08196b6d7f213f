"""Solutions and exercises: exercises/ is exactly what the generator makes from solutions/,
the nbgrader metadata survives the jupytext round trip, every solution earns full marks and
every blank exercise earns zero when graded, and (if installed) nbgrader agrees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from genlab.grading.assignments import (
    Assignment,
    exercise_problems,
    exercise_text,
    generate_exercises,
    nbgrader_metadata,
    parse_test_cell,
)

jupytext = pytest.importorskip("jupytext")


def _solutions(root):
    return sorted((root / "solutions").glob("[0-9][0-9]*_*.py"))


def test_exercises_are_generated_from_the_solutions(root):
    assert _solutions(root), "no solution notebooks"
    problems = exercise_problems(root)
    assert problems == [], "\n".join(problems) + "\nrun: genlab notebooks sync"


def test_generation_is_idempotent_and_repairs_an_edited_exercise(tmp_path, root):
    for folder in ("solutions", "exercises"):
        (tmp_path / folder).mkdir()
    src = _solutions(root)[-1]
    shutil.copy(src, tmp_path / "solutions")
    assert generate_exercises(tmp_path) == [tmp_path / "exercises" / src.name]
    assert generate_exercises(tmp_path) == []
    exercise = tmp_path / "exercises" / src.name
    exercise.write_text(exercise.read_text().replace("raise NotImplementedError()", "pass", 1))
    assert exercise_problems(tmp_path) == [
        f"exercises/{src.name}: differs from what solutions/{src.name} generates"
    ]
    (tmp_path / "exercises" / "99_orphan.py").write_text("# %%\n")
    assert "exercises/99_orphan.py: no solution source in solutions/" in exercise_problems(tmp_path)


def test_exercise_text_replaces_solutions_hidden_tests_and_written_answers():
    meta = '"locked": false, "schema_version": 3, "task": false'
    locked = meta.replace("false", "true", 1)
    solution = f"""# %% nbgrader={{"grade": false, "grade_id": "a", {meta}, "solution": true}}
def f(x):
    \"\"\"Doc.\"\"\"
    y = 1
    ### BEGIN SOLUTION
    return x + y
    ### END SOLUTION


# %% nbgrader={{"grade": true, "grade_id": "t", "points": 1, {locked}, "solution": false}}
check("q", f)
### BEGIN HIDDEN TESTS
check("q", f, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={{"grade": true, "grade_id": "w", "points": 1, {meta}, "solution": true}}
# Because.
"""
    exercise = exercise_text(solution)
    assert "    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n" in exercise
    assert "return x + y" not in exercise and "BEGIN" not in exercise
    assert 'check("q", f)\n' in exercise and "hidden" not in exercise
    assert "# YOUR ANSWER HERE" in exercise and "Because" not in exercise
    with pytest.raises(ValueError, match="without"):
        exercise_text(solution.replace("    ### END SOLUTION\n", ""))


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_nbgrader_metadata_survives_the_jupytext_round_trip(folder, root):
    from genlab.grading.assignments import _split_header

    for source in sorted((root / folder).glob("[0-9][0-9]*_*.py")):
        nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        assert sum(1 for c in nb.cells if nbgrader_metadata(c)) > 10
        # ipynb -> py:percent with the course's jupytext.toml gives the source back
        config = jupytext.config.load_jupytext_config(str(source.parent))
        text = jupytext.writes(nb, fmt="py:percent", config=config)
        assert _split_header(text)[1] == _split_header(source.read_text())[1], source.name


def test_every_solution_is_a_valid_assignment(root):
    for source in _solutions(root):
        assignment = Assignment.load(source.with_suffix(".ipynb"))
        assert len(assignment.graded) >= 4, source.name
        assert len(assignment.manual) >= 3, source.name
        assert all(q.answer_ids for q in assignment.graded), source.name
        suites = {p.suite for q in assignment.graded for p in q.probes}
        assert suites == {"visible", "hidden"}, source.name
        exercise = nbformat.read(root / "exercises" / source.with_suffix(".ipynb").name, 4)
        for cell in exercise.cells:
            if nbgrader_metadata(cell).get("grade") and cell.cell_type == "code":
                assert all(p.suite == "visible" for p in parse_test_cell(cell.source))
        assert 'check_environment("0.1.0")' in source.read_text()


def test_every_registered_question_is_asked_by_a_solution(root):
    from genlab.grading import registered_questions

    asked = [
        probe.question
        for source in _solutions(root)
        for question in Assignment.load(source).graded
        for probe in question.probes
    ]
    assert set(asked) == set(registered_questions())
    assert len(set(asked)) >= 32


def test_solutions_earn_full_marks_and_exercises_earn_zero(tmp_path, root):
    from genlab.grading.batch import grade
    from genlab.grading.grader import GradeConfig

    names = [s.with_suffix(".ipynb").name for s in _solutions(root)]
    submissions = [root / "solutions" / n for n in names] + [root / "exercises" / n for n in names]
    report = grade(
        submissions,
        tmp_path,
        root / "solutions",
        jobs=2,
        config=GradeConfig(cell_timeout=60, timeout=240),
    )
    assert report.internal_errors == 0
    for row in report.rows:
        kind = row["submission"].split("/")[-2]
        if row["question"] == "notebook":
            assert row["status"] == "ok", row
        elif row["status"] == "manual":
            assert kind == "solutions" and row["points"] == "", row
        elif kind == "solutions":
            assert (row["status"], row["points"]) == ("passed", row["max_points"]), row
        elif "understanding" in row["question"]:
            assert (row["status"], row["points"], row["message"]) == ("failed", "0", "not answered")
        else:
            assert (row["status"], row["points"]) == ("failed", "0"), row
            assert row["message"].startswith("not answered yet"), row


def test_nbgrader_accepts_the_solutions(tmp_path, root):
    """nbgrader's own generate_assignment releases exactly our exercises."""
    pytest.importorskip("nbgrader")
    bindir = Path(sys.executable).parent  # nbgrader and alembic live next to the interpreter
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for source in _solutions(root):
        course = tmp_path / source.stem
        (course / "source" / "ps").mkdir(parents=True)
        shutil.copy(source.with_suffix(".ipynb"), course / "source" / "ps")
        command = [
            shutil.which("nbgrader", path=env["PATH"]) or "nbgrader",
            "generate_assignment",
            "ps",
            "--force",
            f"--CourseDirectory.root={course}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}",
        ]
        subprocess.run(command, check=True, capture_output=True, cwd=course, env=env)
        released = nbformat.read(course / "release" / "ps" / source.with_suffix(".ipynb").name, 4)
        ours = nbformat.read(root / "exercises" / source.with_suffix(".ipynb").name, 4)
        assert [c.source for c in released.cells] == [c.source for c in ours.cells]
