"""Grade a batch of submissions: ``DIR/grades.csv``, ``DIR/feedback/*.md``, resumable.

Submissions are graded ``jobs`` at a time by worker processes (each grades one submission at
a time, in its own kernel, sandboxed where possible; see :mod:`genlab.grading.grader`). A
worker sends its result back through a pipe; this process signs it (HMAC-SHA256 with a key
no kernel can see, :func:`grading_key`) and records it in ``DIR/results/<sha256 of the
file>.json`` before ``grades.csv`` and the feedback files are rewritten (atomically), so an
interrupted run resumes where it stopped: a result for the same bytes and the same solution
notebook is reused if its signature holds, and regraded and reported if not. At the end of
every run ``grades.csv``, every result and every feedback file are written again from the
signed results. A worker that dies or overruns is replaced, and its submission gets rows
saying why.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
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
from genlab.grading.after import AfterGrading, ReportOptions, after_grading
from genlab.grading.assignments import Assignment, grade_id
from genlab.grading.grader import (
    NOTEBOOK_ROW,
    GradeConfig,
    SubmissionResult,
    grade_submission,
    read_submission,
    rows_without_grading,
)

__all__ = ["CSV_COLUMNS", "BatchReport", "grade", "grading_key", "load_assignments"]

CSV_COLUMNS = ("submission", "question", "points", "max_points", "status", "message")
RESULT_FORMAT = 2  # 2: signed
KEY_ENV = "GENLAB_GRADING_KEY_FILE"


def grading_key() -> bytes:
    """The key results are signed with: ``$GENLAB_GRADING_KEY_FILE``, else
    ``~/.config/genlab/grading.key`` (made on first use, readable by its owner only). Neither
    is in a sandboxed kernel's view; the variable is not passed to kernels."""
    given = os.environ.get(KEY_ENV)
    if given:
        path = Path(given)
    else:
        config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
        path = Path(config) / "genlab" / "grading.key"
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another grader made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
        key = path.read_bytes()
    if len(key) < 16:
        raise ValueError(f"the grading key {path} must hold at least 16 bytes; got {len(key)}")
    return key


def _mac(record: dict, key: bytes) -> str:
    body = {k: v for k, v in record.items() if k != "hmac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


def load_assignments(solutions: str | os.PathLike) -> dict[str, Assignment]:
    """Every solution notebook (``NN_*.ipynb``) of a folder, by name."""
    folder = Path(solutions)
    if not folder.is_dir():
        raise FileNotFoundError(f"solutions folder {folder} does not exist")
    found = {p.stem: Assignment.load(p) for p in sorted(folder.glob("[0-9][0-9]*_*.ipynb"))}
    if not found:
        raise FileNotFoundError(f"no solution notebooks (NN_*.ipynb) in {folder}")
    return found


def _discover(paths: Iterable[str | os.PathLike]) -> tuple[list[tuple[Path, str]], list[str]]:
    """(file, name in the CSV) of every submission, and the files left out. A file is taken
    as given; a folder's notebooks as ``folder/relative/path.ipynb``, hidden files included,
    but not those inside hidden folders (.ipynb_checkpoints, .git): those are listed as left
    out. Symbolic links are kept here, to be refused with a row of their own."""
    found, skipped = {}, []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for p in sorted(path.rglob("*.ipynb")):
                relative = p.relative_to(path)
                label = (Path(path.resolve().name) / relative).as_posix()
                if any(s.startswith(".") for s in relative.parts[:-1]):
                    skipped.append(label)
                elif p.is_symlink() or p.is_file():
                    found.setdefault(_real(p), (p, label))
        elif path.is_file() or path.is_symlink():
            found.setdefault(_real(path), (path, path.as_posix()))
        else:
            raise FileNotFoundError(f"submission {path} does not exist")
    if not found:
        raise ValueError("no submissions found: give notebook files or folders that hold some")
    return list(found.values()), skipped


def _real(path: Path) -> Path:
    """The path with its folders resolved but not the file itself (a link stays a link)."""
    return Path(os.path.realpath(path.parent)) / path.name


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
        # seconds the kernel spent on each question, where the grader measures them
        "question_seconds": dict(getattr(result, "question_seconds", None) or {}),
    }


def _read_record(path: Path, sha: str, assignment: Assignment | None, key: bytes):
    """(record, problem) of an earlier result: (record, None) if it can be reused; (None,
    "missing" or "stale") if there is none or it is for another solution notebook or
    version; (None, "forged") if it is not one this grader wrote (its signature fails)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except (OSError, ValueError):
        return None, "forged"
    if not (
        isinstance(record, dict)
        and isinstance(record.get("hmac"), str)
        and hmac.compare_digest(record["hmac"].encode(), _mac(record, key).encode())
        and record.get("submission_sha256") == sha
        and isinstance(record.get("rows"), list)
    ):
        return None, "forged"
    if (
        record.get("format") != RESULT_FORMAT
        or record.get("assignment_sha256") != (assignment.sha256 if assignment else None)
        or record.get("internal_error")
    ):
        return None, "stale"
    return record, None


# ------------------------------------------------------------------------------ workers


def _worker_loop(conn, config: dict, seed: int, sandboxed: bool) -> None:
    """Grade the submissions sent on ``conn`` (their bytes), one at a time, until None
    arrives; send each record back. Nothing is read from or written to the output folder."""
    assignments: dict[str, Assignment] = {}
    config = GradeConfig(**config)
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        data, assignment_path = task
        start = time.monotonic()
        sha = hashlib.sha256(data).hexdigest()
        assignment = assignments.get(assignment_path)
        if assignment is None:
            assignment = assignments[assignment_path] = Assignment.load(assignment_path)
        try:
            result = grade_submission(
                "<submission>", assignment, config, seed, data=data, sandboxed=sandboxed
            )
        except Exception as err:  # a failure of the grader, not of the student: say so
            result = rows_without_grading(assignment, "error", f"internal grader error: {err}")
            result.internal_error = True
        conn.send(_record(result, sha, assignment, seed, time.monotonic() - start))


class _Worker:
    def __init__(self, context, config: GradeConfig, seed: int, sandboxed: bool):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_loop, args=(child, asdict(config), seed, sandboxed), name="genlab-grade"
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
    rejected: list[str]  # submissions whose earlier result failed authentication: regraded
    skipped: list[str]  # files in hidden folders, not graded
    sandbox: str | None  # why kernels ran without a sandbox (None: they ran in one)
    after: AfterGrading | None = None  # the class report, gradebooks and similarity report


def _feedback_path(out: Path, label: str) -> Path:
    """``feedback/<slug>-<hash>.md``: the slug is readable, the hash of the whole name makes
    it unique (``müller`` and ``möller`` share a slug, not a file)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", label.removesuffix(".ipynb")).strip("_.")
    digest = hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return out / "feedback" / f"{slug[:80] or 'submission'}-{digest}.md"


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
    sandboxed: bool | None = None,
    report: ReportOptions | None = None,
) -> BatchReport:
    """Grade notebooks (files, or folders searched for ``*.ipynb``) against the solution
    notebooks in ``solutions``, into ``out``: ``grades.csv``, ``feedback/*.md`` and
    ``results/<sha256>.json``. ``assignment`` names the solution notebook for every
    submission (default: matched by grade_ids, then by file name). ``seed`` fixes the random
    inputs (default: new ones every run). ``regrade`` ignores earlier results. ``sandboxed``:
    run kernels in :mod:`genlab.grading.sandbox` (default: whenever it is available).
    ``report``: what :func:`genlab.grading.after.after_grading` writes once all are graded
    (default: the class report and the similarity report).
    """
    from genlab.grading import sandbox

    config = config or GradeConfig()
    jobs = max(1, jobs or min(4, os.cpu_count() or 1))
    seed = secrets.randbits(48) if seed is None else seed
    say = progress or (lambda message: None)
    out = Path(out)
    no_sandbox = sandbox.unavailable() if sandboxed is None else (None if sandboxed else "off")
    sandboxed = no_sandbox is None
    key = grading_key()
    assignments = load_assignments(solutions)
    if assignment is not None and assignment not in assignments:
        raise ValueError(f"assignment must be one of {', '.join(assignments)}; got {assignment!r}")
    files, skipped = _discover(submissions)
    (out / "results").mkdir(parents=True, exist_ok=True)

    order, targets, records, todo, rejected = [], {}, {}, {}, []

    def sign(record: dict) -> dict:
        return {**record, "hmac": _mac(record, key)}

    for path, label in files:
        try:
            data = read_submission(path)
        except ValueError as err:  # a link or a device: refused, and nothing of it echoed
            sha = "refused:" + hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()
            order.append((label, sha))
            target = assignments[assignment] if assignment else _match(path, b"", assignments)
            result = rows_without_grading(target, "error", str(err))
            records[sha] = sign(_record(result, sha, target, seed, 0))
            continue
        sha = hashlib.sha256(data).hexdigest()
        order.append((label, sha))
        if sha in targets:
            continue  # the same bytes twice: graded once, reported under both names
        target = assignments[assignment] if assignment else _match(path, data, assignments)
        targets[sha] = target
        previous, problem = None, None
        if not regrade:
            previous, problem = _read_record(out / "results" / f"{sha}.json", sha, target, key)
        if problem == "forged":
            rejected.append(label)
            say(f"results/{sha}.json for {label} was not written by this grader: regrading it")
        if previous is not None:
            records[sha] = previous
        elif target is None:
            reason = "no solution notebook matches it (use --assignment NAME)"
            result = rows_without_grading(None, "error", reason)
            records[sha] = sign(_record(result, sha, None, seed, 0))
        else:
            todo[sha] = data
    say(f"{len(order)} submission(s): {len(todo)} to grade, {len(order) - len(todo)} known")
    labels: dict[str, list[str]] = {}
    for label, sha in order:
        labels.setdefault(sha, []).append(label)

    def save(sha: str) -> None:
        if not sha.startswith("refused:"):
            text = json.dumps(records[sha], indent=1) + "\n"
            _write_atomic(out / "results" / f"{sha}.json", text)
        for label in labels[sha]:
            _write_feedback(out, label, records[sha])

    for sha in records:
        save(sha)
    _write_csv(out, order, records)

    context = multiprocessing.get_context("spawn")
    queue = list(todo)
    workers: list[_Worker] = []
    hard_limit = 2 * config.timeout + 120  # a backstop: the worker enforces config.timeout
    try:
        while queue or any(w.task for w in workers):
            while queue and sum(1 for w in workers if w.task) < jobs:
                worker = next((w for w in workers if w.task is None), None)
                if worker is None:
                    worker = _Worker(context, config, seed, sandboxed)
                    workers.append(worker)
                sha = queue.pop(0)
                worker.conn.send((todo[sha], str(targets[sha].path)))
                worker.task = (sha, time.monotonic())
            busy = [w for w in workers if w.task]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for worker in busy:
                sha, started = worker.task
                record = None
                try:
                    if worker.conn.poll():
                        record = worker.conn.recv()
                except (EOFError, OSError):
                    record = None
                overdue = time.monotonic() - started > hard_limit
                if record is None and worker.process.is_alive() and not overdue:
                    continue
                if not (isinstance(record, dict) and record.get("submission_sha256") == sha):
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
                records[sha] = sign(record)
                save(sha)
                _write_csv(out, order, records)
                say(f"graded {labels[sha][0]}: {_summary(record)} ({record['seconds']:.1f} s)")
    finally:
        for worker in workers:
            worker.stop(kill=bool(worker.task))
        # Write everything again from the signed records, undoing any tampering during the run
        # (an unsandboxed kernel can write to the output folder), interrupted or not.
        for sha in records:
            save(sha)
        rows = _write_csv(out, order, records)
    internal = sum(1 for r in records.values() if r.get("internal_error"))
    graded = len(todo)
    submissions = [
        (label, path, targets.get(sha), sha)
        for (path, _), (label, sha) in zip(files, order, strict=True)
    ]
    after = after_grading(out, submissions, records, solutions, report, read=read_submission)
    return BatchReport(
        out / "grades.csv",
        graded,
        len(order) - graded,
        internal,
        rows,
        rejected,
        skipped,
        no_sandbox,
        after,
    )
