"""Grade one submitted notebook: every verdict is decided in the grader's process.

How one submission is graded (:func:`grade_submission`):

1. **Plan.** The submission is matched to its solution notebook cell by cell (nbgrader
   ``grade_id``). Locked cells (setup, tests) are taken from the solution, whatever the
   submission holds; deleted, edited or moved locked cells are reported. The student's answer
   cells and any cells the student added are kept. Test cells are *not* run in the kernel.
2. **Execute.** The plan runs cell by cell through nbclient in a fresh kernel started by
   :mod:`genlab.grading.kernel` (memory, CPU-time and file-size limits), with a timeout per
   cell and per submission and a cap on the output kept. A cell that does not finish, kills
   the kernel or exhausts its memory is skipped and the kernel is restarted (a few times at
   most), so one broken cell costs only the questions that need it.
3. **Probe.** For every ``check(question, function, suite=...)`` of the *solution's* test
   cells (hidden tests included), the grader draws fresh random inputs (the seed changes with
   every run), sends them into the kernel, and the kernel sends back, as JSON, what the
   student's function returned (:func:`genlab.grading.probe.answer_request`).
4. **Judge.** The grader decodes the answers (:mod:`genlab.grading.protocol`, no pickle) and
   compares them with genlab's reference computed here, with the same judge students see
   (:func:`genlab.grading.checks.judge`).

Threat model. Nothing the kernel prints, raises or writes is taken as a verdict: a pass needs
the right numbers for inputs the notebook has not seen. So monkeypatching ``check`` or the
judge, redefining builtins (``AssertionError``, ``print``), forging answers, or writing result
files (:mod:`genlab.grading.batch` signs its results and rewrites them) cannot make a wrong
answer pass; editing or deleting test cells does not remove them. On Linux with bubblewrap
the kernel runs in :mod:`genlab.grading.sandbox`: it sees genlab and the Python environment
read-only (without the grader's references), its own folder with a copy of its submission,
and nothing else: no other submission, no output folder, no network, no process of the
grader's. A crash is charged to the questions that need the crashing cell (``restarts``
each). What the grader cannot see is *how* the notebook computed the numbers: an answer
that reaches genlab's own implementation is flagged on the notebook row
(:func:`reference_routes`), one that copies its code is not.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from genlab.grading import protocol
from genlab.grading.assignments import (
    ANSWER_STUB,
    Assignment,
    GradedQuestion,
    Probe,
    grade_id,
)
from genlab.grading.execution import GradeConfig, Kernel, Outcome
from genlab.grading.plan import _defines, _source, build_plan, reference_routes

__all__ = [
    "NOTEBOOK_ROW",
    "GradeConfig",
    "SubmissionResult",
    "build_plan",
    "grade_submission",
    "read_submission",
    "reference_routes",
    "rows_without_grading",
]

NOTEBOOK_ROW = "notebook"


# ------------------------------------------------------------------ probes and verdicts


def _probe_seed(seed: int, sha: str, probe: Probe) -> int:
    digest = hashlib.sha256(f"{seed}:{sha}:{probe.question}:{probe.suite}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


def _request(question, probe: Probe, cases: list[dict], nonce: str) -> str:
    request = {
        "nonce": nonce,
        "question": probe.question,
        "function": probe.function,
        "grad_args": list(question.grad_args),
        "cases": [{k: protocol.encode(v) for k, v in case.items()} for case in cases],
    }
    payload = json.dumps(request)
    return (
        "__import__('genlab.grading.probe', fromlist=['answer_request'])"
        f".answer_request(globals(), {payload!r})"
    )


def _verdict(question, probe: Probe, cases, outcome: Outcome, nonce: str) -> tuple[bool, str]:
    """(passed, message) for one probe, from the kernel's messages."""
    from genlab.grading.checks import judge
    from genlab.grading.probe import Answer

    answers = [
        o["data"][protocol.ANSWER_MIME]
        for o in outcome.outputs
        if o.get("output_type") == "display_data" and protocol.ANSWER_MIME in o.get("data", {})
    ]
    answers = [a for a in answers if isinstance(a, dict) and a.get("nonce") == nonce]
    if len(answers) != 1:
        if outcome.status == "error":
            return (
                False,
                f"the check could not run in the notebook: {outcome.ename}: {outcome.evalue}",
            )
        return False, "the notebook sent no usable answer (was print, display or genlab replaced?)"
    payload = answers[0]
    try:
        items = payload.get("answers")
        if (
            payload.get("question") != probe.question
            or not isinstance(items, list)
            or len(items) != len(cases)
        ):
            raise protocol.ProtocolError("answers do not match the request")
        decoded = [Answer.from_json(item) for item in items]
    except protocol.ProtocolError as err:
        return False, f"the notebook sent a malformed answer ({err})"
    for case, (inputs, answer) in enumerate(zip(cases, decoded, strict=True)):
        problem = judge(question, inputs, answer, probe.function, suite=probe.suite)
        if problem:
            if problem.startswith(("not answered yet", "no function named")):
                return False, problem
            suite = "hidden tests" if probe.suite == "hidden" else "checks"
            return False, f"{problem} [{suite}, case {case + 1} of {len(cases)}]"
    return True, "correct"


def _one_line(text: str, limit: int = 600) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------- one submission


@dataclass
class SubmissionResult:
    """The rows of one submission (without its name), notes on it, and its feedback text."""

    rows: list[list]  # [question, points, max_points, status, message]
    notes: list[str]
    feedback: str
    internal_error: bool = False
    # seconds each question's checks took: the kernel's answer and the grader's judgement
    question_seconds: dict[str, float] = field(default_factory=dict)


def rows_without_grading(
    assignment: Assignment | None, status: str, reason: str
) -> SubmissionResult:
    rows = [[NOTEBOOK_ROW, "", "", "error", _one_line(reason)]]
    if assignment is not None:
        rows += [
            [q.grade_id, 0, q.points, status, f"not graded: {reason}"] for q in assignment.graded
        ]
        rows += [
            [q.grade_id, 0, q.points, status, f"not graded: {reason}"] for q in assignment.manual
        ]
    return SubmissionResult(rows, [reason], "")


class _Grading:
    """The state of grading one submission: execute the plan, probe, then write the rows."""

    def __init__(
        self,
        assignment: Assignment,
        nb,
        sha: str,
        config: GradeConfig,
        seed: int,
        workdir: Path,
        sandboxed: bool = False,
    ):
        self.assignment, self.nb, self.sha, self.config, self.seed = (
            assignment,
            nb,
            sha,
            config,
            seed,
        )
        self.plan, self.notes = build_plan(assignment, nb)
        self.kernel = Kernel(config, workdir, sandboxed)
        self.deadline = time.monotonic() + config.timeout
        self.bad: dict[int, Outcome] = {}  # plan cells skipped after they hung or crashed
        self.last: dict[int, Outcome] = {}  # the latest outcome of every plan cell
        self.pending = [(q, p) for q in assignment.graded for p in q.probes]
        self.results: dict[tuple[str, Probe], tuple[str, str]] = {}  # -> (status, message)
        self.restarts, self.gave_up = 0, ""
        self.question_seconds: dict[str, float] = {}  # question -> seconds its checks took
        # A restart is charged to the questions that need the cell (or check) that crashed:
        # a question charged more than config.restarts times is not graded; the others are.
        self.charged: dict[str, int] = {}
        self.blame: list[str] = []  # the questions the next restart is charged to
        # a backstop: each cell is skipped after it crashes, each check is run once
        self.max_restarts = len(self.plan) + len(self.pending) + config.restarts

    def _needs(self, index: int) -> list[str]:
        """The questions that need plan cell ``index``."""
        cell = self.plan[index]
        return [
            q.grade_id
            for q in self.assignment.graded
            if cell.grade_id in q.answer_ids
            or any(_defines(cell.source, p.function) for p in q.probes)
        ]

    def _skip(self, index: int, outcome: Outcome) -> None:
        self.bad[index] = outcome
        self.blame = self._needs(index)

    def _charge(self) -> None:
        """Count a restart against the questions that caused it; give up on those over budget."""
        for gid in self.blame:
            self.charged[gid] = self.charged.get(gid, 0) + 1
        over = {gid for gid, n in self.charged.items() if n > self.config.restarts}
        for question, probe in [item for item in self.pending if item[0].grade_id in over]:
            self.pending.remove((question, probe))
            n = self.charged[question.grade_id]
            why = f"not graded: the cells it needs crashed the kernel {n} times"
            self.results[(question.grade_id, probe)] = ("error", why)
        self.blame = []

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self) -> float:
        return min(self.config.cell_timeout, self.remaining())

    async def run(self) -> SubmissionResult:
        try:
            while self.pending and not self.gave_up:
                if self.remaining() <= 0:
                    self.gave_up = f"the submission took longer than {self.config.timeout:g} s"
                    break
                if await self._prepare():
                    await self._probe()
                await self.kernel.stop()
                if self.pending and not self.gave_up:
                    self.restarts += 1
                    self._charge()
                    if self.restarts > self.max_restarts:
                        self.gave_up = f"the kernel was restarted {self.restarts - 1} times"
        finally:
            await self.kernel.stop()
        return self._result()

    async def _prepare(self) -> bool:
        """Start a kernel and run the plan, skipping bad cells; False if it must restart."""
        try:
            await self.kernel.start()
        except Exception as err:  # not the student's doing
            raise RuntimeError(f"could not start a grading kernel: {err}") from err
        previous = None
        for index, cell in enumerate(self.plan):
            if index in self.bad:
                continue
            if self.remaining() <= 0:
                return True
            outcome = await self.kernel.run(cell.source, self.timeout())
            if outcome.status == "dead":
                if previous is None:
                    raise RuntimeError("the grading kernel died as it started")
                self._skip(previous, Outcome("died"))  # it killed the kernel as it finished
                return False
            self.last[index] = Outcome(outcome.status, outcome.ename, outcome.evalue)
            if outcome.status in ("timeout", "died", "memory"):
                self._skip(index, self.last[index])
                return False
            previous = index
        return True

    async def _probe(self) -> None:
        """Judge pending checks until done, or until one needs a new kernel."""
        from genlab.grading.checks import case_inputs, get_question

        while self.pending:
            if self.remaining() <= 0:
                self.gave_up = f"the submission took longer than {self.config.timeout:g} s"
                return
            question, probe = self.pending[0]
            if any(
                self.results.get((question.grade_id, p), ("",))[0] == "failed"
                for p in question.probes
            ):
                self.pending.pop(0)  # the question has failed already: spare its other checks
                continue
            q = get_question(probe.question)
            cases = case_inputs(q, probe.suite, _probe_seed(self.seed, self.sha, probe))
            nonce = secrets.token_hex(8)
            request = _request(q, probe, cases, nonce)
            started = time.monotonic()
            outcome = await self.kernel.run(request, self.timeout(), answers=1)
            self._charge_time(question.grade_id, started)
            if outcome.status == "dead":  # the notebook's last cell killed it as it ended
                executed = [i for i in self.last if i not in self.bad]
                if executed:
                    self._skip(max(executed), Outcome("died"))
                return
            self.pending.pop(0)
            key = (question.grade_id, probe)
            if outcome.status in ("timeout", "died", "memory"):
                what = outcome.describe(self.config.cell_timeout)
                self.results[key] = ("failed", f"`{probe.function}` {what}")
                self.blame = [question.grade_id]
                return
            started = time.monotonic()
            passed, message = _verdict(q, probe, cases, outcome, nonce)
            self._charge_time(question.grade_id, started)
            self.results[key] = ("passed", "") if passed else ("failed", message)

    def _charge_time(self, grade_id: str, started: float) -> None:
        elapsed = time.monotonic() - started
        self.question_seconds[grade_id] = self.question_seconds.get(grade_id, 0.0) + elapsed

    def _question_row(self, question: GradedQuestion) -> list:
        outcomes = [self.results.get((question.grade_id, p)) for p in question.probes]
        failed = [o for o in outcomes if o and o[0] == "failed"]
        errors = [o for o in outcomes if o and o[0] == "error"]
        if failed:
            status, message = "failed", failed[0][1]
        elif errors:
            status, message = "error", errors[0][1]
        elif all(outcomes):
            status, message = "passed", "correct"
        else:
            status, message = "error", f"not graded: {self.gave_up or 'grading stopped'}"
        if status != "passed":  # add what went wrong in the cells that answer it
            functions = {p.function for p in question.probes}
            context = [
                f"{self.plan[i].label} {o.describe(self.config.cell_timeout)}"
                for i, o in sorted({**self.last, **self.bad}.items())
                if o.status != "ok"
                and (
                    self.plan[i].grade_id in question.answer_ids
                    or any(_defines(self.plan[i].source, f) for f in functions)
                )
            ]
            if context:
                message += f" ({'; '.join(context)})"
        points = question.points if status == "passed" else 0
        return [question.grade_id, points, question.points, status, _one_line(message)]

    def _result(self) -> SubmissionResult:
        notes, config = self.notes, self.config
        for index, outcome in sorted(self.bad.items()):
            notes.append(
                f"{self.plan[index].label} {outcome.describe(config.cell_timeout)}; it was skipped"
            )
        if self.kernel.dropped_output:
            notes.append(f"output beyond {config.max_output_bytes} bytes was discarded")
        routes = set().union(
            *(reference_routes(c.source) for c in self.plan if c.origin != "locked")
        )
        if routes:
            notes.append(
                "the notebook could reach genlab's implementations or the grader's references ("
                + ", ".join(sorted(routes)[:6])
                + "): check that the answers are the student's own"
            )
        raised = [
            f"{self.plan[i].label} {o.describe(config.cell_timeout)}"
            for i, o in sorted(self.last.items())
            if o.status == "error" and i not in self.bad
        ]
        rows = [self._question_row(q) for q in self.assignment.graded]
        written = {}
        for question in self.assignment.manual:
            cell = next((c for c in self.nb.cells if grade_id(c) == question.grade_id), None)
            text = written[question.grade_id] = _source(cell).strip() if cell is not None else ""
            if not text:
                rows.append([question.grade_id, 0, question.points, "failed", "no answer cell"])
            elif text == ANSWER_STUB:
                rows.append([question.grade_id, 0, question.points, "failed", "not answered"])
            else:
                rows.append(
                    [question.grade_id, "", question.points, "manual", "to be graded by hand"]
                )
        status = "error" if self.gave_up else ("warning" if notes else "ok")
        summary = "; ".join(([self.gave_up] if self.gave_up else []) + notes) or "graded"
        rows.insert(0, [NOTEBOOK_ROW, "", "", status, _one_line(summary, 1500)])
        feedback = _feedback(self.assignment, rows, notes, raised, written)
        seconds = {k: round(v, 3) for k, v in self.question_seconds.items()}
        return SubmissionResult(rows, notes, feedback, question_seconds=seconds)


def _feedback(assignment, rows, notes, raised, manual_answers) -> str:
    auto = [
        r for r in rows if r[0] != NOTEBOOK_ROW and r[3] != "manual" and r[0] not in manual_answers
    ]
    earned = sum(r[1] for r in auto if isinstance(r[1], int | float))
    total = sum(r[2] for r in auto)
    manual_points = sum(q.points for q in assignment.manual)
    lines = [
        f"Auto-graded questions: **{earned:g} / {total:g} points**. "
        f"Written answers ({manual_points:g} points) are graded by hand.",
        "",
        "| question | points | result |",
        "|---|---|---|",
    ]
    marks = {"passed": "✔", "failed": "✘", "error": "✘", "manual": "✎"}
    for question, points, max_points, status, message in rows[1:]:
        shown = "?" if points == "" else f"{points:g}"
        text = message.replace("|", "\\|")
        lines.append(f"| {question} | {shown} / {max_points:g} | {marks.get(status, '')} {text} |")
    if notes:
        lines += ["", "## About the notebook", ""] + [f"- {n}" for n in notes]
    if raised:
        lines += ["", "## Cells that raised an error", ""] + [
            f"- {_one_line(r, 300)}" for r in raised
        ]
    if manual_answers:
        lines += ["", "## Written answers (graded by hand)"]
        for gid, text in manual_answers.items():
            quoted = "\n".join(f"> {line}" for line in (text or "(no answer)").splitlines())
            lines += ["", f"**{gid}**", "", quoted]
    return "\n".join(lines) + "\n"


def _read_notebook(data: bytes):
    """The notebook in ``data``, or ValueError saying why not, without quoting the file: a
    file that is not a notebook may be anything (a key, a password file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"it is not UTF-8 text (byte {err.start})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"it is not JSON (line {err.lineno}, column {err.colno})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("cells"), list):
        raise ValueError("it has no list of cells")
    for cell in obj["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError("a cell is not a notebook cell")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as err:
        raise ValueError(f"nbformat cannot read it ({type(err).__name__})") from None


def grade_submission(
    path: str | os.PathLike,
    assignment: Assignment,
    config: GradeConfig,
    seed: int,
    *,
    data: bytes | None = None,
    sandboxed: bool | None = None,
) -> SubmissionResult:
    """Grade one notebook (the bytes ``data``, else the file at ``path``) against
    ``assignment``; never raises for a bad submission. ``sandboxed``: run its kernel in the
    sandbox of :mod:`genlab.grading.sandbox` (default: whenever one is available)."""
    from genlab.grading import sandbox

    if data is None:
        data = read_submission(path)
    sha = hashlib.sha256(data).hexdigest()
    try:
        nb = _read_notebook(data)
    except ValueError as err:  # invalid JSON, not a notebook, not UTF-8
        return rows_without_grading(assignment, "error", f"not a valid notebook ({err})")
    if sandboxed is None:
        sandboxed = sandbox.unavailable() is None
    workdir = Path(tempfile.mkdtemp(prefix="genlab-grade-"))
    try:
        grading = _Grading(assignment, nb, sha, config, seed, workdir, sandboxed)
        (grading.kernel.box / "submission.ipynb").write_bytes(data)  # its own copy, to read
        return asyncio.run(grading.run())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def read_submission(path: str | os.PathLike) -> bytes:
    """The bytes of a submitted file; ValueError for a symbolic link or anything but a
    regular file (it is not read, so nothing of what it points to can be echoed)."""
    import stat

    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError as err:
        if os.path.islink(path):
            raise ValueError("the file is a symbolic link; it was not read") from None
        raise ValueError(f"the file cannot be read ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError("the file is not a regular file; it was not read")
        return f.read()
