"""Grade a batch of submissions: ``DIR/grades.csv``, ``DIR/feedback/*.md``, resumable.

Submissions are graded ``jobs`` at a time by worker processes (each grades one submission at
a time, in its own kernel; see :mod:`genlab.grading.grader`). Every finished submission is
recorded in ``DIR/results/<sha256 of the file>.json`` before ``grades.csv`` and its feedback
file are rewritten (atomically), so an interrupted run resumes where it stopped: a result for
the same bytes and the same solution notebook is reused. A worker that dies or overruns is
replaced, and its submission gets rows saying why.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from multiprocessing.connection import wait
from pathlib import Path

from genlab._io import write_atomic
from genlab.grading.assignments import Assignment, grade_id
from genlab.grading.grader import (
    NOTEBOOK_ROW,
    GradeConfig,
    SubmissionResult,
    grade_submission,
    rows_without_grading,
)

__all__ = ["CSV_COLUMNS", "BatchReport", "grade", "load_assignments"]

CSV_COLUMNS = ("submission", "question", "points", "max_points", "status", "message")
RESULT_FORMAT = 1


def load_assignments(solutions: str | os.PathLike) -> dict[str, Assignment]:
    """Every solution notebook (``NN_*.ipynb``) of a folder, by name."""
    folder = Path(solutions)
    if not folder.is_dir():
        raise FileNotFoundError(f"solutions folder {folder} does not exist")
    found = {p.stem: Assignment.load(p) for p in sorted(folder.glob("[0-9][0-9]_*.ipynb"))}
    if not found:
        raise FileNotFoundError(f"no solution notebooks (NN_*.ipynb) in {folder}")
    return found


def _discover(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, str]]:
    """(file, name in the CSV) of every submission: a file as given, a folder's notebooks as
    ``folder/relative/path.ipynb`` (hidden folders such as .ipynb_checkpoints skipped)."""
    found = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for p in sorted(path.rglob("*.ipynb")):
                relative = p.relative_to(path)
                if p.is_file() and not any(s.startswith(".") for s in relative.parts):
                    found.setdefault(
                        p.resolve(), (p, (Path(path.resolve().name) / relative).as_posix())
                    )
        elif path.is_file():
            found.setdefault(path.resolve(), (path, path.as_posix()))
        else:
            raise FileNotFoundError(f"submission {path} does not exist")
    if not found:
        raise ValueError("no submissions found: give notebook files or folders that hold some")
    return list(found.values())


def _match(path: Path, data: bytes, assignments: dict[str, Assignment]) -> Assignment | None:
    """The assignment sharing most grade_ids with the file, else the one its name contains."""
    try:
        cells = json.loads(data.decode("utf-8")).get("cells", [])
        ids = {grade_id(c) for c in cells if isinstance(c, dict)} - {None}
    except Exception:  # not a notebook: fall back on the name
        ids = set()
    overlap = {name: len(ids & a.grade_ids) for name, a in assignments.items()}
    best = max(overlap.values(), default=0)
    if best > 0 and list(overlap.values()).count(best) == 1:
        return assignments[max(overlap, key=overlap.get)]
    named = [a for name, a in assignments.items() if name in path.name]
    if len(named) == 1:
        return named[0]
    numbered = [a for name, a in assignments.items() if path.name.startswith(name[:3])]
    return numbered[0] if len(numbered) == 1 else None


def _write_atomic(path: Path, text: str) -> None:
    write_atomic(path, text, newline="")  # CSV and JSON exactly as given


def _record(
    result: SubmissionResult, sha: str, assignment: Assignment | None, seed: int, seconds: float
) -> dict:
    from genlab import __version__

    return {
        "format": RESULT_FORMAT,
        "genlab": __version__,
        "submission_sha256": sha,
        "assignment": assignment.name if assignment else None,
        "assignment_sha256": assignment.sha256 if assignment else None,
        "seed": seed,
        "seconds": round(seconds, 2),
        "rows": result.rows,
        "notes": result.notes,
        "feedback": result.feedback,
        "manual": [q.grade_id for q in assignment.manual] if assignment else [],
        "internal_error": result.internal_error,
    }


def _read_record(path: Path, assignment: Assignment | None = None, *, check: bool = False):
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("rows"), list):
        return None
    if check and (
        record.get("format") != RESULT_FORMAT
        or record.get("assignment_sha256") != (assignment.sha256 if assignment else None)
        or record.get("internal_error")
    ):
        return None
    return record


# ------------------------------------------------------------------------------ workers


def _worker_loop(conn, config: dict, seed: int) -> None:
    """Grade the submissions sent on ``conn``, one at a time, until None arrives."""
    assignments: dict[str, Assignment] = {}
    config = GradeConfig(**config)
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        path, assignment_path, result_path = task
        start = time.monotonic()
        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assignment = assignments.get(assignment_path)
        if assignment is None:
            assignment = assignments[assignment_path] = Assignment.load(assignment_path)
        try:
            result = grade_submission(path, assignment, config, seed)
        except Exception as err:  # a failure of the grader, not of the student: say so
            result = rows_without_grading(assignment, "error", f"internal grader error: {err}")
            result.internal_error = True
        record = _record(result, sha, assignment, seed, time.monotonic() - start)
        _write_atomic(Path(result_path), json.dumps(record, indent=1) + "\n")
        conn.send(result_path)


class _Worker:
    def __init__(self, context, config: GradeConfig, seed: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_loop, args=(child, asdict(config), seed), name="genlab-grade"
        )
        self.process.start()
        child.close()
        self.task: tuple[str, float] | None = None  # (sha, started)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=None if kill else 30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


# ------------------------------------------------------------------------------ outputs


@dataclass
class BatchReport:
    """What :func:`grade` did."""

    csv: Path
    graded: int  # submissions graded in this run
    reused: int  # submissions whose earlier result was reused
    internal_errors: int  # submissions the grader itself failed on
    rows: list[dict[str, str]]


def _feedback_path(out: Path, label: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "__", label.removesuffix(".ipynb")).strip("_.")
    return out / "feedback" / f"{name or 'submission'}.md"


def _write_csv(out: Path, order: list[tuple[str, str]], records: dict[str, dict]) -> list[dict]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = []
    for label, sha in order:
        for row in records[sha]["rows"] if sha in records else []:
            line = [label, *row]
            writer.writerow(line)
            rows.append(dict(zip(CSV_COLUMNS, [str(v) for v in line], strict=True)))
    _write_atomic(out / "grades.csv", buffer.getvalue())
    return rows


def _write_feedback(out: Path, label: str, record: dict) -> None:
    title = f"# Feedback on {label} ({record.get('assignment') or 'unknown assignment'})\n\n"
    body = record.get("feedback") or "".join(f"- {r[0]}: {r[3]}, {r[4]}\n" for r in record["rows"])
    _write_atomic(_feedback_path(out, label), title + body)


def _summary(record: dict) -> str:
    manual = set(record.get("manual", []))
    auto = [r for r in record["rows"] if r[0] != NOTEBOOK_ROW and r[0] not in manual]
    earned = sum(r[1] for r in auto if isinstance(r[1], int | float))
    total = sum(r[2] for r in auto if isinstance(r[2], int | float))
    return f"{earned:g} / {total:g} points, notebook {record['rows'][0][3]}"


# -------------------------------------------------------------------------------- grade


def grade(
    submissions: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    solutions: str | os.PathLike,
    *,
    config: GradeConfig | None = None,
    jobs: int | None = None,
    assignment: str | None = None,
    seed: int | None = None,
    regrade: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BatchReport:
    """Grade notebooks (files, or folders searched for ``*.ipynb``) against the solution
    notebooks in ``solutions``, into ``out``: ``grades.csv``, ``feedback/*.md`` and
    ``results/<sha256>.json``. ``assignment`` names the solution notebook for every
    submission (default: matched by grade_ids, then by file name). ``seed`` fixes the random
    inputs (default: new ones every run). ``regrade`` ignores earlier results.
    """
    config = config or GradeConfig()
    jobs = max(1, jobs or min(4, os.cpu_count() or 1))
    seed = secrets.randbits(48) if seed is None else seed
    say = progress or (lambda message: None)
    out = Path(out)
    assignments = load_assignments(solutions)
    if assignment is not None and assignment not in assignments:
        raise ValueError(f"assignment must be one of {', '.join(assignments)}; got {assignment!r}")
    files = _discover(submissions)
    (out / "results").mkdir(parents=True, exist_ok=True)

    order, targets, records, todo = [], {}, {}, {}
    for path, label in files:
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        order.append((label, sha))
        if sha in targets:
            continue  # the same bytes twice: graded once, reported under both names
        target = assignments[assignment] if assignment else _match(path, data, assignments)
        targets[sha] = target
        result_path = out / "results" / f"{sha}.json"
        previous = None if regrade else _read_record(result_path, target, check=True)
        if previous is not None:
            records[sha] = previous
        elif target is None:
            reason = "no solution notebook matches it (use --assignment NAME)"
            records[sha] = _record(rows_without_grading(None, "error", reason), sha, None, seed, 0)
        else:
            todo[sha] = path
    say(f"{len(order)} submission(s): {len(todo)} to grade, {len(order) - len(todo)} known")
    _write_csv(out, order, records)
    labels: dict[str, list[str]] = {}
    for label, sha in order:
        labels.setdefault(sha, []).append(label)

    def finish(sha: str, record: dict) -> None:
        records[sha] = record
        _write_atomic(out / "results" / f"{sha}.json", json.dumps(record, indent=1) + "\n")
        for label in labels[sha]:
            _write_feedback(out, label, record)
        _write_csv(out, order, records)

    for sha in records:
        finish(sha, records[sha])

    context = multiprocessing.get_context("spawn")
    queue = list(todo)
    workers: list[_Worker] = []
    hard_limit = 2 * config.timeout + 120  # a backstop: the worker enforces config.timeout
    try:
        while queue or any(w.task for w in workers):
            while queue and sum(1 for w in workers if w.task) < jobs:
                worker = next((w for w in workers if w.task is None), None)
                if worker is None:
                    worker = _Worker(context, config, seed)
                    workers.append(worker)
                sha = queue.pop(0)
                result_path = out / "results" / f"{sha}.json"
                result_path.unlink(missing_ok=True)
                worker.conn.send((str(todo[sha]), str(targets[sha].path), str(result_path)))
                worker.task = (sha, time.monotonic())
            busy = [w for w in workers if w.task]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for worker in busy:
                sha, started = worker.task
                done = False
                try:
                    done = worker.conn.poll() and bool(worker.conn.recv())
                except (EOFError, OSError):
                    done = False
                overdue = time.monotonic() - started > hard_limit
                if not done and worker.process.is_alive() and not overdue:
                    continue
                # Only a worker that reported back wrote the result (after stopping its
                # kernel); a file left by a dead worker may have been written by the notebook.
                record = _read_record(out / "results" / f"{sha}.json") if done else None
                if record is None:
                    why = (
                        f"grading took longer than {hard_limit:g} s"
                        if overdue
                        else f"the grading process died (exit code {worker.process.exitcode})"
                    )
                    result = rows_without_grading(targets[sha], "error", why)
                    record = _record(result, sha, targets[sha], seed, time.monotonic() - started)
                    worker.stop(kill=True)
                    workers.remove(worker)
                else:
                    worker.task = None
                finish(sha, record)
                say(f"graded {labels[sha][0]}: {_summary(record)} ({record['seconds']:.1f} s)")
    finally:
        for worker in workers:
            worker.stop(kill=bool(worker.task))
    for sha, record in records.items():  # rewrite, undoing any tampering during the run
        _write_atomic(out / "results" / f"{sha}.json", json.dumps(record, indent=1) + "\n")
    rows = _write_csv(out, order, records)
    internal = sum(1 for r in records.values() if r.get("internal_error"))
    return BatchReport(out / "grades.csv", len(todo), len(order) - len(todo), internal, rows)
