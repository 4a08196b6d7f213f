"""The class report: what a grading run says about the class, beside ``grades.csv``.

:func:`class_summary` reads a grading folder (``grades.csv``, ``submissions.json`` and the
signed ``results/*.json``) and computes, per question, the points distribution, the pass rate,
the share of each named mistake (:func:`genlab.grading.mistakes.classify`) and the median time
the kernel took on it (where the results record it, else the median time per submission); per
student, the totals; and the class's most common named mistakes, ranked, each with the lecture
section that teaches the point. :func:`write_class_report` writes it as ``report.html`` (see
:mod:`genlab.grading.report_html`), ``report.json`` and three CSV files
(``report-questions.csv``, ``report-mistakes.csv``, ``report-students.csv``).
``genlab grade`` writes them after every run, ``genlab report DIR`` again from the folder.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
from collections import Counter
from pathlib import Path

from genlab._io import write_atomic
from genlab.grading.mistakes import classify, lecture_section

__all__ = [
    "MANIFEST",
    "class_summary",
    "read_grades",
    "write_class_report",
    "write_manifest",
]

MANIFEST = "submissions.json"  # submission name -> result file and assignment
NOTEBOOK_ROW = "notebook"
NAMED = ("catalogue", "diagnosis")  # the kinds the ranked list counts


def write_manifest(out: str | os.PathLike, entries: list[dict]) -> Path:
    """Write ``submissions.json``: one ``{"submission", "sha256", "assignment"}`` per
    submission, in grades.csv's order (how the report finds each submission's result)."""
    return write_atomic(Path(out) / MANIFEST, json.dumps(entries, indent=1) + "\n")


def read_grades(out: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of ``out/grades.csv``."""
    path = Path(out) / "grades.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run genlab grade ... --out {out} first")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _records(out: Path) -> dict[str, dict]:
    """submission -> its manifest entry and result record (those that can be read)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    for entry in manifest if isinstance(manifest, list) else []:
        if not isinstance(entry, dict) or "submission" not in entry:
            continue
        record = {}
        sha = str(entry.get("sha256", ""))
        if sha and not sha.startswith("refused:") and "/" not in sha:
            try:
                record = json.loads((out / "results" / f"{sha}.json").read_text("utf-8"))
            except (OSError, ValueError):
                record = {}
        found[entry["submission"]] = {"entry": entry, "record": record}
    return found


def _probes(solutions: Path | None, assignment: str) -> dict[str, tuple[str, ...]]:
    """grade_id -> the question ids its checks call, from the solution notebook."""
    if solutions is None:
        return {}
    from genlab.grading.assignments import Assignment

    path = solutions / f"{assignment}.ipynb"
    try:
        loaded = Assignment.load(path)
    except (OSError, ValueError):
        return {}
    return {q.grade_id: tuple(dict.fromkeys(p.question for p in q.probes)) for q in loaded.graded}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def class_summary(
    out: str | os.PathLike,
    *,
    solutions: str | os.PathLike | None = None,
    root: str | os.PathLike | None = None,
    roster=None,
) -> dict:
    """Everything the class report shows, as plain data (what ``report.json`` holds).

    ``solutions``: the solution notebooks (to know which questions a row's checks call);
    ``root``: the course folder whose ``lectures/`` the mistakes link to; ``roster``: a
    :class:`genlab.grading.lms.Roster` (names and ids; missing and unknown submissions).
    """
    out = Path(out)
    rows = read_grades(out)
    known = _records(out)
    solutions = Path(solutions) if solutions else None
    by_submission: dict[str, list[dict]] = {}
    for row in rows:
        by_submission.setdefault(row["submission"], []).append(row)

    probes_of: dict[str, dict[str, tuple[str, ...]]] = {}
    questions: dict[tuple[str, str], dict] = {}
    students = []
    for name, own in by_submission.items():
        info = known.get(name, {})
        record = info.get("record", {})
        assignment = (
            info.get("entry", {}).get("assignment") or record.get("assignment") or "unknown"
        )
        if assignment not in probes_of:
            probes_of[assignment] = _probes(solutions, assignment)
        manual = set(record.get("manual", []))
        timing = record.get("question_seconds") or {}
        earned = possible = 0.0
        status = "graded"
        for row in own:
            if row["question"] == NOTEBOOK_ROW:
                status = row["status"]
                continue
            points, most = _number(row["points"]), _number(row["max_points"]) or 0.0
            if row["status"] == "manual" or row["question"] in manual:
                continue  # graded by hand: not in the automatic totals
            earned += points or 0.0
            possible += most
            key = (assignment, row["question"])
            q = questions.setdefault(
                key,
                {
                    "assignment": assignment,
                    "question": row["question"],
                    "max_points": most,
                    "submissions": 0,
                    "passed": 0,
                    "points": Counter(),
                    "diagnoses": Counter(),
                    "labels": {},
                    "seconds": [],
                },
            )
            q["submissions"] += 1
            q["points"][points or 0.0] += 1
            if row["status"] == "passed":
                q["passed"] += 1
            else:
                d = classify(row["message"], probes_of[assignment].get(row["question"], ()))
                q["diagnoses"][d.id] += 1
                q["labels"][d.id] = (d.kind, d.label, d.question)
            if isinstance(timing.get(row["question"]), int | float):
                q["seconds"].append(float(timing[row["question"]]))
        person = roster.student_for(name) if roster is not None else None
        students.append(
            {
                "submission": name,
                "student_id": person.student_id if person else "",
                "name": person.name if person else "",
                "assignment": assignment,
                "points": earned,
                "max_points": possible,
                "status": status,
                "seconds": record.get("seconds"),
            }
        )

    seconds = [s["seconds"] for s in students if isinstance(s["seconds"], int | float)]
    per_question = []
    ranked: Counter = Counter()
    details: dict[str, dict] = {}
    for (assignment, question), q in questions.items():
        mistakes = []
        for ident, count in q["diagnoses"].most_common():
            kind, label, qid = q["labels"][ident]
            mistakes.append(
                {
                    "id": ident,
                    "kind": kind,
                    "label": label,
                    "count": count,
                    "share": round(count / q["submissions"], 4),
                }
            )
            if kind in NAMED:
                key = f"{assignment}/{question}/{ident}"
                ranked[key] += count
                section = None
                if root is not None:
                    topic = qid or next(iter(probes_of[assignment].get(question, ())), question)
                    section = lecture_section(topic, root)
                details[key] = {
                    "id": ident,
                    "kind": kind,
                    "label": label,
                    "assignment": assignment,
                    "question": question,
                    "submissions": q["submissions"],
                    "section": None
                    if section is None
                    else {
                        "title": section.title,
                        "notebook": section.notebook_link,
                        "page": f"{section.page}#{section.page_anchor}",
                    },
                }
        per_question.append(
            {
                "assignment": assignment,
                "question": question,
                "max_points": q["max_points"],
                "submissions": q["submissions"],
                "passed": q["passed"],
                "pass_rate": round(q["passed"] / q["submissions"], 4) if q["submissions"] else None,
                "points": {f"{k:g}": v for k, v in sorted(q["points"].items())},
                "mistakes": mistakes,
                "median_seconds": _median(q["seconds"]),
            }
        )
    common = [
        {**details[key], "count": count, "share": round(count / details[key]["submissions"], 4)}
        for key, count in sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    summary = {
        "submissions": len(students),
        "median_seconds_per_submission": _median(seconds),
        "questions": per_question,
        "students": students,
        "common_mistakes": common,
        "roster": None,
    }
    if roster is not None:
        summary["roster"] = {
            "students": len(roster.students),
            "missing": [
                {"student_id": s.student_id, "name": s.name, "file": s.file}
                for s in roster.missing(by_submission)
            ],
            "unknown": roster.unknown(by_submission),
        }
    return summary


def _csv(head: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(rows)
    return buffer.getvalue()


def write_class_report(
    out: str | os.PathLike,
    *,
    solutions: str | os.PathLike | None = None,
    root: str | os.PathLike | None = None,
    roster=None,
    site_url: str | None = None,
) -> list[Path]:
    """Write ``report.html``, ``report.json`` and the report's CSV files into ``out``; return
    their paths."""
    from genlab.grading.report_html import render_class_report

    out = Path(out)
    summary = class_summary(out, solutions=solutions, root=root, roster=roster)
    written = [
        write_atomic(out / "report.json", json.dumps(summary, indent=1) + "\n"),
        write_atomic(
            out / "report-questions.csv",
            _csv(
                [
                    "assignment",
                    "question",
                    "max_points",
                    "submissions",
                    "passed",
                    "pass_rate",
                    "median_seconds",
                ],
                [
                    [
                        q["assignment"],
                        q["question"],
                        f"{q['max_points']:g}",
                        q["submissions"],
                        q["passed"],
                        q["pass_rate"],
                        "" if q["median_seconds"] is None else q["median_seconds"],
                    ]
                    for q in summary["questions"]
                ],
            ),
            newline="",
        ),
        write_atomic(
            out / "report-mistakes.csv",
            _csv(
                [
                    "rank",
                    "assignment",
                    "question",
                    "mistake",
                    "kind",
                    "count",
                    "share",
                    "message",
                    "lecture_section",
                    "notebook",
                ],
                [
                    [
                        i,
                        m["assignment"],
                        m["question"],
                        m["id"],
                        m["kind"],
                        m["count"],
                        m["share"],
                        m["label"],
                        (m["section"] or {}).get("title", ""),
                        (m["section"] or {}).get("notebook", ""),
                    ]
                    for i, m in enumerate(summary["common_mistakes"], 1)
                ],
            ),
            newline="",
        ),
        write_atomic(
            out / "report-students.csv",
            _csv(
                [
                    "submission",
                    "student_id",
                    "name",
                    "assignment",
                    "points",
                    "max_points",
                    "status",
                ],
                [
                    [
                        s["submission"],
                        s["student_id"],
                        s["name"],
                        s["assignment"],
                        f"{s['points']:g}",
                        f"{s['max_points']:g}",
                        s["status"],
                    ]
                    for s in summary["students"]
                ],
            ),
            newline="",
        ),
        write_atomic(out / "report.html", render_class_report(summary, site_url=site_url)),
    ]
    return written
