"""After grading: the class report, the LMS gradebooks and the similarity report of a run.

:func:`after_grading` is what :func:`genlab.grading.batch.grade` calls once every submission
has its result; :func:`rewrite_report` is ``genlab report DIR`` (the class report and the
gradebooks again, from the folder alone). None of it changes a grade.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from genlab._io import write_atomic
from genlab.grading.lms import Roster, write_gradebooks
from genlab.grading.report import MANIFEST, class_summary, write_class_report, write_manifest

__all__ = [
    "AfterGrading",
    "ReportOptions",
    "after_grading",
    "answer_sources",
    "rewrite_report",
    "write_similarity",
]


@dataclass(frozen=True)
class ReportOptions:
    """What to write after grading. ``roster``: path of the roster CSV; ``exports``: gradebook
    formats (:data:`genlab.grading.lms.FORMATS`); ``root``: the course folder whose lectures
    the report links to; ``site_url``: the course website, for links to its pages."""

    roster: str | os.PathLike | None = None
    exports: tuple[str, ...] = ()
    root: str | os.PathLike | None = None
    site_url: str | None = None
    similarity: bool = True
    threshold: float = 0.9


@dataclass
class AfterGrading:
    """The files written, and the roster's loose ends (to tell the user about)."""

    paths: list[Path] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # submissions not on the roster
    missing: list[tuple[str, str]] = field(default_factory=list)  # (student_id, assignment)


def _reports(out: Path, solutions, options: ReportOptions) -> AfterGrading:
    roster = Roster.read(options.roster) if options.roster else None
    if options.exports and roster is None:
        raise ValueError("--export needs --roster ROSTER.csv (student_id, name, file)")
    done = AfterGrading()
    done.paths += write_class_report(
        out, solutions=solutions, root=options.root, roster=roster, site_url=options.site_url
    )
    if roster is not None:
        students = class_summary(out, solutions=solutions, roster=roster)["students"]
        if options.exports:
            paths, book = write_gradebooks(out, students, roster, options.exports)
            done.paths += paths
            done.unknown, done.missing = book.unknown, book.missing
        else:
            done.unknown = roster.unknown([s["submission"] for s in students])
    return done


def after_grading(
    out: str | os.PathLike,
    submissions: Iterable[tuple[str, Path, object, str]],
    records: dict[str, dict],
    solutions: str | os.PathLike,
    options: ReportOptions | None = None,
    read: Callable[[Path], bytes] = Path.read_bytes,
) -> AfterGrading:
    """Write ``submissions.json``, the class report, the gradebooks and (for two or more
    submissions) the similarity report. ``submissions``: (name in grades.csv, path,
    assignment or None, sha256) of each; ``records``: the results by sha256; ``read``: how
    to read a submission's bytes (the grader's own reader refuses links and devices)."""
    options = options or ReportOptions()
    out = Path(out)
    submissions = list(submissions)
    write_manifest(
        out,
        [
            {
                "submission": name,
                "sha256": sha,
                "assignment": (records.get(sha) or {}).get("assignment"),
            }
            for name, _, _, sha in submissions
        ],
    )
    done = _reports(out, solutions, options)
    done.paths.insert(0, out / MANIFEST)
    if options.similarity and len(submissions) >= 2:

        def readable():
            for name, path, assignment, _ in submissions:
                try:
                    yield name, read(path), assignment
                except (OSError, ValueError):
                    continue  # refused or gone: it has a row saying so

        done.paths += write_similarity(out, readable(), threshold=options.threshold)
    return done


def rewrite_report(
    out: str | os.PathLike, solutions: str | os.PathLike, options: ReportOptions | None = None
) -> AfterGrading:
    """``genlab report DIR``: the class report (and gradebooks) again, from ``DIR``."""
    return _reports(Path(out), solutions, options or ReportOptions())


# ------------------------------------------------------------------ the similarity report


def answer_sources(notebook: Mapping, grade_ids: Iterable[str]) -> dict[str, str]:
    """grade_id -> source of a notebook's (parsed JSON) cells among ``grade_ids``."""
    wanted, found = set(grade_ids), {}
    for cell in notebook.get("cells", []) if isinstance(notebook, Mapping) else []:
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") if isinstance(meta, Mapping) else None
        if gid in wanted and gid not in found:
            source = cell.get("source", "")
            found[gid] = "".join(source) if isinstance(source, list) else str(source)
    return found


def write_similarity(
    out,
    submissions: Iterable[tuple[str, bytes, object]],
    *,
    threshold: float = 0.9,
    min_tokens: int = 12,
) -> list:
    """Compare the answer cells of ``submissions`` (name, notebook bytes, its
    :class:`~genlab.grading.assignments.Assignment`), per assignment and question; write
    ``out/similarity.html`` and ``out/similarity.csv``; return the paths."""
    from genlab.grading.assignments import exercise_cell_source, grade_id, is_answer
    from genlab.grading.report_html import render_similarity
    from genlab.grading.similarity import compare

    started = time.perf_counter()
    by_assignment: dict[str, tuple[object, dict[str, dict[str, str]]]] = {}
    count = 0
    for name, data, assignment in submissions:
        if assignment is None:
            continue
        count += 1
        cells = [c for c in assignment.nb.cells if is_answer(c)]
        try:
            notebook = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            notebook = {}
        entry = by_assignment.setdefault(assignment.name, (assignment, {}))
        entry[1][name] = answer_sources(notebook, [grade_id(c) for c in cells])
    results, pairs = [], []
    for name, (assignment, answers) in by_assignment.items():
        cells = [c for c in assignment.nb.cells if is_answer(c)]
        found = compare(
            answers,
            stubs={grade_id(c): exercise_cell_source(c) for c in cells},
            references={grade_id(c): c.source for c in cells},
            threshold=threshold,
            min_tokens=min_tokens,
        )
        results += [(name, r) for r in found.questions]
        pairs += [(name, p) for p in found.pairs]
    seconds = time.perf_counter() - started
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "assignment",
            "question",
            "finding",
            "cluster",
            "submission",
            "other",
            "similarity",
            "chance",
        ]
    )
    for name, p in pairs:  # chance: see compare()
        questions = " ".join(p.diffs)
        writer.writerow(
            [name, questions, "alike-across-questions", "", p.a, p.b, "", f"{p.chance:.3g}"]
        )
    for name, r in results:
        for k, cluster in enumerate(r.clusters, 1):
            for a, b, score, _ in cluster.pairs:
                writer.writerow([name, r.question, "near-identical", k, a, b, f"{score:.3f}", ""])
        writer.writerows([name, r.question, "reference", "", s, "", "", ""] for s in r.reference)
        writer.writerows([name, r.question, "stub", "", s, "", "", ""] for s in r.stub)
    out = Path(out)
    html = render_similarity(
        results,
        pairs,
        threshold=threshold,
        min_tokens=min_tokens,
        submissions=count,
        seconds=seconds,
    )
    return [
        write_atomic(out / "similarity.csv", buffer.getvalue(), newline=""),
        write_atomic(out / "similarity.html", html),
    ]
