"""Gradebook CSV files that learning-management systems import, from a roster and the grades.

A roster (``--roster roster.csv``) is a CSV with the columns ``student_id``, ``name`` and
``file`` (the submission's file name, e.g. ``alice.ipynb``; a student with several
assignments has one row per file). It maps each graded submission to a student. A student on
the roster with no submission for an assignment gets 0 for it (and is listed in the report);
a submission no roster row names is listed as unknown and left out of the gradebook, never
dropped silently. If a student has two submissions for one assignment, the higher score counts.

The score of a submission is its auto-graded points (written answers, graded by hand, are
not in it); each assignment's points possible is the auto-graded maximum. The formats:

- ``canvas`` (``gradebook-canvas.csv``): Canvas's Gradebook import, laid out as Canvas's own
  Gradebook export (Canvas guide "How do I import grades in the Gradebook?"): the columns
  ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per
  assignment named as the assignment; the first row under the header is ``Points Possible``
  with each assignment's maximum; then one row per student. Canvas matches a row by ``ID``,
  ``SIS User ID`` or ``SIS Login ID``: the roster's ``student_id`` goes in ``SIS User ID``,
  the roster's name in ``Student``; ``ID``, ``SIS Login ID`` and ``Section`` are left empty.
  A new column creates a new assignment in the course.
- ``moodle`` (``gradebook-moodle.csv``): Moodle's "Import grades from CSV file"
  (gradeimport_csv): a header row, then one row per student, one column that identifies the
  user and one column per grade item; at import, "Map from" is set to the identifying column
  (here ``ID number``, the roster's ``student_id``) and "Map to" to the user field "ID
  number", and each assignment column is mapped to a grade item (or "New grade item").
- ``csv-wide`` (``gradebook-wide.csv``): ``student_id``, ``name``, one column per assignment,
  ``total``: for a spreadsheet or any other system.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from genlab._io import write_atomic

__all__ = ["FORMATS", "Roster", "Student", "gradebook", "write_gradebooks"]

FORMATS = {
    "canvas": "gradebook-canvas.csv",
    "moodle": "gradebook-moodle.csv",
    "csv-wide": "gradebook-wide.csv",
}
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
ROSTER_COLUMNS = ("student_id", "name", "file")


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str
    file: str


class Roster:
    """The students of a course and their submission files (see the module docstring)."""

    def __init__(self, students: list[Student]):
        self.students = students
        self._by_file: dict[str, Student] = {}
        for s in students:
            if s.file in self._by_file:
                raise ValueError(f"roster: the file {s.file!r} is listed twice")
            self._by_file[s.file] = s

    @classmethod
    def read(cls, path: str | os.PathLike) -> Roster:
        """Read a roster CSV; ValueError naming what is wrong with it."""
        path = Path(path)
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in ROSTER_COLUMNS if c not in columns]
            if missing:
                raise ValueError(
                    f"roster {path} must have the columns {', '.join(ROSTER_COLUMNS)}; "
                    f"it lacks {', '.join(missing)} (it has {', '.join(columns) or 'none'})"
                )
            students = []
            for line, row in enumerate(reader, 2):
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                if not row["student_id"] or not row["file"]:
                    raise ValueError(
                        f"roster {path}, line {line}: student_id and file are "
                        f"required; got {row['student_id']!r} and {row['file']!r}"
                    )
                students.append(Student(row["student_id"], row["name"], row["file"]))
        return cls(students)

    def student_for(self, submission: str) -> Student | None:
        """The student a submission (as named in grades.csv) belongs to: the roster's ``file``
        is the submission's name, or its file name."""
        return self._by_file.get(submission) or self._by_file.get(PurePosixPath(submission).name)

    def unknown(self, submissions) -> list[str]:
        """The submissions no roster row names."""
        return [s for s in submissions if self.student_for(s) is None]

    def missing(self, submissions) -> list[Student]:
        """The roster rows whose file was not submitted."""
        given = {self.student_for(s) for s in submissions} - {None}
        return [s for s in self.students if s not in given]

    def people(self) -> list[tuple[str, str]]:
        """(student_id, name) of every student, in the roster's order."""
        seen: dict[str, str] = {}
        for s in self.students:
            seen.setdefault(s.student_id, s.name)
        return list(seen.items())


@dataclass
class Gradebook:
    """Scores by student and assignment, and what did not fit."""

    assignments: list[str]
    points_possible: dict[str, float]
    rows: list[tuple[str, str, dict[str, float]]]  # (student_id, name, assignment -> points)
    unknown: list[str]  # submissions not on the roster: left out
    missing: list[tuple[str, str]]  # (student_id, assignment) with no submission: scored 0


def gradebook(students: list[dict], roster: Roster) -> Gradebook:
    """Build the gradebook from the class report's per-submission totals (``submission``,
    ``assignment``, ``points``, ``max_points``)."""
    assignments = sorted({s["assignment"] for s in students if s["assignment"] != "unknown"})
    possible = {a: 0.0 for a in assignments}
    scores: dict[str, dict[str, float]] = {}
    unknown = []
    for s in students:
        person = roster.student_for(s["submission"])
        if person is None:
            unknown.append(s["submission"])
            continue
        if s["assignment"] not in possible:
            unknown.append(s["submission"])  # no assignment matched it: nothing to score
            continue
        a = s["assignment"]
        possible[a] = max(possible[a], float(s["max_points"]))
        own = scores.setdefault(person.student_id, {})
        own[a] = max(own.get(a, 0.0), float(s["points"]))
    rows, missing = [], []
    for student_id, name in roster.people():
        own = scores.get(student_id, {})
        missing += [(student_id, a) for a in assignments if a not in own]
        rows.append((student_id, name, {a: own.get(a, 0.0) for a in assignments}))
    return Gradebook(assignments, possible, rows, unknown, missing)


def _text(head: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as both systems export
    writer.writerow(head)
    writer.writerows(rows)
    return buffer.getvalue()


def _render(book: Gradebook, fmt: str) -> str:
    names = book.assignments
    if fmt == "canvas":
        head = [*CANVAS_COLUMNS, *names]
        rows = [
            ["Points Possible", "", "", "", "", *(f"{book.points_possible[a]:g}" for a in names)]
        ]
        rows += [
            [name, "", sid, "", "", *(f"{pts[a]:g}" for a in names)] for sid, name, pts in book.rows
        ]
    elif fmt == "moodle":
        head = ["ID number", "Full name", *names]
        rows = [[sid, name, *(f"{pts[a]:g}" for a in names)] for sid, name, pts in book.rows]
    elif fmt == "csv-wide":
        head = ["student_id", "name", *names, "total"]
        rows = [
            [sid, name, *(f"{pts[a]:g}" for a in names), f"{sum(pts.values()):g}"]
            for sid, name, pts in book.rows
        ]
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    return _text(head, rows)


def write_gradebooks(
    out: str | os.PathLike, students: list[dict], roster: Roster, formats
) -> tuple[list[Path], Gradebook]:
    """Write one gradebook file per format into ``out``; return the paths and the gradebook
    (its ``unknown`` and ``missing`` are for the caller to report)."""
    formats = list(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"export must be one of {', '.join(FORMATS)}; got {', '.join(bad)}")
    book = gradebook(students, roster)
    paths = [write_atomic(Path(out) / FORMATS[f], _render(book, f), newline="") for f in formats]
    return paths, book
