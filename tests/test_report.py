"""The class report: its numbers against grades.csv, the mistakes it names, its lecture links,
its HTML; and one end-to-end run of ``genlab grade`` that writes every after-grading file."""

from __future__ import annotations

import csv
import hashlib
import html.parser
import json
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from genlab.grading import evaluate, get_question, registered_questions
from genlab.grading.mistakes import classify, lecture_section
from genlab.grading.report import class_summary, write_class_report, write_manifest

ROOT = Path(__file__).resolve().parents[1]
KL = get_question("ex03_gaussian_kl")
Z = get_question("ex02_reparameterize")


def solution_folder(root: Path) -> Path:
    """A solution notebook whose questions ``kl`` and ``z`` call ex03_gaussian_kl and
    ex02_reparameterize (no kernel is started: only its metadata is read)."""
    import jupytext
    import nbformat

    from tests.test_grading import TINY

    folder = root / "solutions"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(jupytext.reads(TINY, fmt="py:percent"), folder / "99_tiny.ipynb")
    return folder


def grading_folder(out: Path, students: dict[str, list[list]], seconds=None) -> Path:
    """A folder as ``genlab grade`` leaves it: grades.csv, submissions.json and results, for
    ``students``: submission -> rows [question, points, max_points, status, message];
    ``seconds``: submission -> {question: kernel seconds}."""
    (out / "results").mkdir(parents=True, exist_ok=True)
    manifest = []
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["submission", "question", "points", "max_points", "status", "message"])
        for name, rows in students.items():
            sha = hashlib.sha256(name.encode()).hexdigest()
            rows = [["notebook", "", "", "ok", "graded"], *rows]
            writer.writerows([name, *r] for r in rows)
            record = {
                "assignment": "99_tiny",
                "rows": rows,
                "manual": ["why"],
                "seconds": 4.0 + len(name) % 3,
                "question_seconds": (seconds or {}).get(name, {}),
            }
            (out / "results" / f"{sha}.json").write_text(json.dumps(record))
            manifest.append({"submission": name, "sha256": sha, "assignment": "99_tiny"})
    write_manifest(out, manifest)
    return out


def class_rows() -> dict[str, list[list]]:
    """Twelve students: each KL answer right, or one of two catalogue mistakes, or a generic
    sign flip, or unanswered; z right or with no gradient."""
    sign, averaged = KL.mistakes[0].message, KL.mistakes[1].message
    kl_rows = (
        [[2, 2, "passed", "correct"]] * 5
        + [[0, 2, "failed", f"{averaged} [checks, case 1 of 3]"]] * 4
        + [[0, 2, "failed", f"{sign} [hidden tests, case 2 of 6]"]] * 2
        + [[0, 2, "failed", "not answered yet: replace `raise NotImplementedError()`"]]
    )
    no_grad = "the values are right, but the result carries no gradient back to `mu`: avoid it"
    students = {}
    for i, kl in enumerate(kl_rows):
        z = [1, 1, "passed", "correct"] if i % 3 else [0, 1, "failed", f"{no_grad} [checks]"]
        students[f"subs/s{i:02d}.ipynb"] = [
            ["kl", *kl],
            ["z", *z],
            ["why", "", 1, "manual", "to be graded by hand"],
        ]
    return students


@pytest.fixture
def folder(tmp_path):
    students = class_rows()
    seconds = {name: {"kl": 0.1 * i, "z": 0.05} for i, name in enumerate(students)}
    return grading_folder(tmp_path / "out", students, seconds), solution_folder(tmp_path)


# ----------------------------------------------------------------------------- numbers


def test_numbers_match_grades_csv(folder):
    out, solutions = folder
    summary = class_summary(out, solutions=solutions, root=ROOT)
    with open(out / "grades.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["question"] not in ("notebook", "why")]
    for q in summary["questions"]:
        own = [r for r in rows if r["question"] == q["question"]]
        passed = sum(r["status"] == "passed" for r in own)
        assert q["submissions"] == len(own) and q["passed"] == passed
        assert q["pass_rate"] == pytest.approx(passed / len(own), abs=1e-4)
        assert q["points"] == {
            f"{float(k):g}": v for k, v in Counter(r["points"] for r in own).items()
        }
    totals = {}
    for r in rows:
        totals[r["submission"]] = totals.get(r["submission"], 0) + float(r["points"])
    assert {s["submission"]: s["points"] for s in summary["students"]} == totals
    assert all(s["max_points"] == 3 for s in summary["students"])  # the written answer is not in it
    kl = next(q for q in summary["questions"] if q["question"] == "kl")
    assert kl["median_seconds"] == pytest.approx(statistics.median(0.1 * i for i in range(12)))


def test_mistakes_are_named_counted_and_ranked(folder):
    out, solutions = folder
    summary = class_summary(out, solutions=solutions, root=ROOT)
    kl = next(q for q in summary["questions"] if q["question"] == "kl")
    shares = {m["id"]: (m["count"], m["kind"]) for m in kl["mistakes"]}
    assert shares == {
        "ex03_gaussian_kl/2": (4, "catalogue"),
        "ex03_gaussian_kl/1": (2, "catalogue"),
        "not-answered": (1, "incomplete"),
    }
    ranked = [(m["question"], m["id"], m["count"]) for m in summary["common_mistakes"]]
    # not-answered is not a misconception: it is counted per question, not ranked
    assert ranked == [
        ("kl", "ex03_gaussian_kl/2", 4),
        ("z", "no-gradient", 4),
        ("kl", "ex03_gaussian_kl/1", 2),
    ]
    top = summary["common_mistakes"][0]
    assert top["share"] == pytest.approx(4 / 12, abs=1e-4)
    assert "KL" in top["section"]["title"]


@pytest.mark.parametrize(
    "question_id", ["ex03_gaussian_kl", "ex02_reparameterize", "ex05_discriminator_loss"]
)
def test_the_judges_own_messages_are_classified_as_their_mistake(question_id):
    question = get_question(question_id)
    for number, mistake in enumerate(question.mistakes, 1):
        verdict = evaluate(question_id, mistake.fn)
        got = classify(verdict.message, (question_id,))
        assert got.id == f"{question_id}/{number}", (verdict.message, got)


def test_every_catalogue_message_maps_back_to_its_own_mistake():
    for qid, question in registered_questions().items():
        for number, mistake in enumerate(question.mistakes, 1):
            message = " ".join(mistake.message.split()) + " [checks, case 2 of 3]"
            if len(message) > 600:  # as the grader cuts a row's message
                message = message[:597] + "..."
            assert classify(message, (qid,)).id == f"{qid}/{number}", mistake.message


def test_generic_diagnoses_are_named():
    cases = {
        "the sign is flipped [checks, case 1 of 3]": "sign-flipped",
        "twice the right value: is a factor 1/2 missing?": "factor-2-missing",
        "expected shape (4,); got (4, 3): one value per element, so a reduction over the last "
        "(event) dimension is missing": "missing-event-sum",
        "wrong values: at index (0,) expected 1, got 2": "wrong-values",
        "`f` did not finish within 4 s": "timeout",
    }
    for message, ident in cases.items():
        assert classify(message).id == ident


def test_lecture_sections_are_real_headings_of_the_lecture_notebook():
    for qid in ("ex03_gaussian_kl", "ex03_least_squares_nll", "ex08_r1_penalty"):
        section = lecture_section(qid, ROOT)
        notebook = json.loads((ROOT / section.notebook).read_text())
        headings = [
            line.lstrip("#").strip()
            for cell in notebook["cells"]
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
            if line.startswith("#")
        ]
        assert section.title in headings
    assert "KL" in lecture_section("ex03_gaussian_kl", ROOT).title
    assert lecture_section("no_such_question", ROOT) is None


# -------------------------------------------------------------------------------- files


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.open, self.svgs, self.sources = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs.append({"label": attrs.get("aria-label"), "title": False})
        if tag == "title" and self.svgs and "svg" in self.open:
            self.svgs[-1]["title"] = True
        for key in ("src", "href"):
            if key in attrs and tag in ("script", "link", "img"):
                self.sources.append(attrs[key])
        if tag not in ("meta", "br", "link", "img"):
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):  # <line ... />
        self.handle_starttag(tag, attrs)
        self.open.pop()

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()


def test_report_files_are_self_contained_and_agree(folder):
    out, solutions = folder
    paths = write_class_report(out, solutions=solutions, root=ROOT)
    assert {p.name for p in paths} >= {"report.html", "report.json", "report-mistakes.csv"}
    page = _Page()
    page.feed((out / "report.html").read_text())
    assert page.open == [] and page.sources == []  # well nested; loads nothing
    assert len(page.svgs) == 3 and all(s["label"] and s["title"] for s in page.svgs)
    with open(out / "report-mistakes.csv", newline="") as f:
        mistakes = list(csv.DictReader(f))
    assert [(m["question"], m["mistake"], m["count"]) for m in mistakes] == [
        ("kl", "ex03_gaussian_kl/2", "4"),
        ("z", "no-gradient", "4"),
        ("kl", "ex03_gaussian_kl/1", "2"),
    ]
    assert mistakes[0]["notebook"].startswith("lectures/03_gaussian_vae.ipynb#")


# ------------------------------------------------------------------------- end to end


def test_genlab_grade_writes_every_after_grading_file(tmp_path, monkeypatch):
    """The one run with real kernels: three tiny submissions, one copied from another."""
    import nbformat

    from genlab.cli import main
    from tests.test_grading import WRONG_KL, _with

    monkeypatch.setenv("GENLAB_GRADING_KEY_FILE", str(tmp_path / "key"))
    solutions = solution_folder(tmp_path)
    solution = nbformat.read(solutions / "99_tiny.ipynb", as_version=4)
    subs = tmp_path / "subs"
    subs.mkdir()
    copied = (  # ben's answer, renamed, reformatted and commented
        "def gaussian_kl(m, lv):\n    # mine\n"
        "    return -0.5*(m**2 + torch.exp(lv) - 1.0 - lv).sum(-1)\n"
    )
    for name, answer in (("ada", None), ("ben", WRONG_KL), ("cy", copied)):
        nb = _with(solution, answers={"kl_answer": answer} if answer else None)
        nbformat.write(nb, subs / f"{name}.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,file\n1,Ada,ada.ipynb\n2,Ben,ben.ipynb\n3,Dee,dee.ipynb\n")
    out = tmp_path / "out"
    status = main(
        [
            "grade",
            str(subs),
            "--out",
            str(out),
            "--solutions",
            str(solutions),
            "--roster",
            str(roster),
            "--export",
            "canvas",
            "--export",
            "csv-wide",
            "--seed",
            "3",
            "--quiet",
            "--cell-timeout",
            "20",
        ]
    )
    assert status == 0
    summary = json.loads((out / "report.json").read_text())
    kl = next(q for q in summary["questions"] if q["question"] == "kl")
    assert kl["median_seconds"] > 0  # the grader times each question's checks
    assert (kl["passed"], kl["mistakes"][0]["id"], kl["mistakes"][0]["count"]) == (
        1,
        "ex03_gaussian_kl/1",
        2,
    )
    assert summary["roster"]["unknown"] == ["subs/cy.ipynb"]
    assert [m["student_id"] for m in summary["roster"]["missing"]] == ["3"]
    with open(out / "gradebook-wide.csv", newline="") as f:
        wide = {r["student_id"]: r["99_tiny"] for r in csv.DictReader(f)}
    assert wide == {"1": "3", "2": "1", "3": "0"}
    with open(out / "similarity.csv", newline="") as f:
        flagged = [r for r in csv.DictReader(f) if r["finding"] == "near-identical"]
    assert {(r["question"], r["submission"], r["other"]) for r in flagged} >= {
        ("kl_answer", "subs/ben.ipynb", "subs/cy.ipynb")
    }
    assert "never changes a grade" in (out / "similarity.html").read_text()
    assert re.search(r"<svg[^>]*aria-label=", (out / "report.html").read_text())
