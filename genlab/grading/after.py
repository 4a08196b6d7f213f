"""After grading: the class report, the LMS gradebooks and the similarity report of a run.

:func:`after_grading` is what :func:`genlab.grading.batch.grade` calls once every submission
has its result; :func:`rewrite_report` is ``genlab report DIR`` (the class report and the
gradebooks again, from the folder alone). None of it changes a grade.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from genlab.grading.lms import Roster, write_gradebooks
from genlab.grading.report import MANIFEST, class_summary, write_class_report, write_manifest

__all__ = ["AfterGrading", "ReportOptions", "after_grading", "rewrite_report"]


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
    from genlab.grading.similarity import write_similarity

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
