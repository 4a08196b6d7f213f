"""The class report and the similarity report in Chromium at 1366x768, light and dark: no
console errors, every figure with alt text, nothing loaded from elsewhere. Screenshots go to
tests/artifacts/browser/ (report-light.png is the README's picture)."""

from __future__ import annotations

import random

import pytest

from genlab.grading.assignments import Assignment
from genlab.grading.checks import get_question
from genlab.grading.report import write_class_report
from genlab.grading.report_html import render_similarity
from genlab.grading.similarity import compare_question
from tests.browser.conftest import ARTIFACTS, ROOT
from tests.test_report import grading_folder

pytestmark = pytest.mark.browser


def _class(out, n: int = 60):
    """A class of ``n`` on exercise sheet 03: each question passed, or failed with one of
    its known mistakes (earlier mistakes more common), with kernel times."""
    assignment = Assignment.load(ROOT / "solutions" / "03_gaussian_vae.ipynb")
    rng = random.Random(3)
    students, seconds = {}, {}
    for i in range(n):
        name = f"submissions/student{i:03d}.ipynb"
        rows = []
        for q in assignment.graded:
            mistakes = get_question(q.probes[0].question).mistakes
            if rng.random() < 0.6 or not mistakes:
                rows.append([q.grade_id, q.points, q.points, "passed", "correct"])
            else:
                k = min(int(rng.expovariate(0.8)), len(mistakes) - 1)
                message = f"{mistakes[k].message} [checks, case 1 of 3]"
                rows.append([q.grade_id, 0, q.points, "failed", message])
        students[name] = rows
        seconds[name] = {q.grade_id: round(rng.uniform(0.2, 1.5), 2) for q in assignment.graded}
    folder = grading_folder(out, students, seconds)
    for path in (folder / "results").iterdir():  # sheet 03, not the tiny test notebook
        path.write_text(path.read_text().replace("99_tiny", "03_gaussian_vae"))
    (folder / "submissions.json").write_text(
        (folder / "submissions.json").read_text().replace("99_tiny", "03_gaussian_vae")
    )
    write_class_report(folder, solutions=ROOT / "solutions", root=ROOT)
    return folder


def _look(browser, path, scheme: str, shot: str) -> dict:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, color_scheme=scheme)
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    found = page.evaluate(
        """() => ({
            svgs: [...document.querySelectorAll('svg')].map(s => ({
                label: s.getAttribute('aria-label') || '',
                title: (s.querySelector(':scope > title') || {}).textContent || '',
                width: s.getBoundingClientRect().width})),
            imgs: [...document.querySelectorAll('img')].filter(i => !i.alt).length,
            overflow: document.documentElement.scrollWidth > window.innerWidth
                || [...document.querySelectorAll('.card')].some(
                    c => c.scrollWidth > c.clientWidth + 1),
            background: getComputedStyle(document.body).backgroundColor,
        })"""
    )
    page.screenshot(path=str(ARTIFACTS / shot))
    context.close()
    return {**found, "errors": errors, "requests": [r for r in requests if r != path.as_uri()]}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_class_report_in_chromium(browser, tmp_path, scheme):
    folder = _class(tmp_path / "out")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen = _look(browser, folder / "report.html", scheme, f"report-{scheme}.png")
    assert seen["errors"] == [] and seen["requests"] == []  # opens offline
    assert len(seen["svgs"]) >= 5 and seen["imgs"] == 0
    assert all(s["label"] and s["title"] and s["width"] > 0 for s in seen["svgs"])
    assert not seen["overflow"]  # nothing wider than the page or its card at 1366 px
    dark = seen["background"] != "rgb(255, 255, 255)"
    assert dark == (scheme == "dark")


def test_similarity_report_in_chromium(browser, tmp_path):
    original = "def f(x, y):\n    a = x.exp()\n    b = y ** 2\n    return (a + b - 1).sum(-1)\n"
    copy = "def f(p, q):\n    bb = q**2  # square\n    aa = p.exp()\n    return (aa+bb-1).sum(-1)\n"
    result = compare_question("q", {"s1.ipynb": original, "s2.ipynb": copy})
    page = tmp_path / "similarity.html"
    page.write_text(
        render_similarity([("sheet", result)], threshold=0.9, min_tokens=12, submissions=2)
    )
    seen = _look(browser, page, "light", "similarity-light.png")
    assert seen["errors"] == [] and seen["requests"] == []
    assert "never changes a grade" in page.read_text()
