"""Name the mistake behind a grade row's message, and the lecture section that teaches the point.

The judge (:mod:`genlab.grading.checks`) writes a failed question's message as the advice of a
known mistake of the question's catalogue (``Mistake.message``), or as one of its generic
diagnoses (the sign, a factor of 2, a missing reduction, no gradient, ...), followed by where
it happened (``[checks, case 1 of 3]``). :func:`classify` turns such a message back into a
stable identifier: ``ex03_gaussian_kl/3`` for the third mistake of that question's catalogue,
``sign-flipped`` and the like for a diagnosis, so that a class's rows can be counted.

:func:`lecture_section` finds where a question's point is taught: the lecture notebook with the
question's number (``ex03_...`` -> ``lectures/03_*.py``), and in it the section (``## ...``)
above the first place, outside the imports, that names the question's reference function.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

__all__ = ["Diagnosis", "Section", "classify", "lecture_section"]


@dataclass(frozen=True)
class Diagnosis:
    """What a row's message says went wrong. ``kind``: ``catalogue`` (a known mistake of the
    question), ``diagnosis`` (a generic one the judge recognises), ``unnamed`` (wrong values
    with no name), ``incomplete`` (not answered, no function) or ``grading`` (the kernel timed
    out, crashed, ran out of memory, or the row was not graded)."""

    id: str
    kind: str
    label: str
    question: str | None = None  # the question id (ex03_gaussian_kl) of a catalogue mistake


# (identifier, kind, label, pattern matched at the start of the message, or anywhere if "~")
_GENERIC = (
    ("not-answered", "incomplete", "not answered", r"not answered"),
    ("no-function", "incomplete", "the function is missing", r"no function named"),
    ("no-answer-cell", "incomplete", "the answer cell is missing", r"no answer cell"),
    ("not-graded", "grading", "not graded", r"not graded"),
    ("timeout", "grading", "did not finish in time", r"~did not finish within"),
    ("kernel-crash", "grading", "crashed the kernel", r"~crashed the kernel"),
    ("out-of-memory", "grading", "ran out of memory", r"~ran out of memory"),
    ("no-return", "diagnosis", "returned None (no `return`)", r"returned None"),
    ("in-place", "diagnosis", "changes its input in place", r"changes its input"),
    (
        "not-deterministic",
        "diagnosis",
        "not deterministic (draws its own noise)",
        r"returns different results",
    ),
    ("sign-flipped", "diagnosis", "the sign is flipped", r"(\w+: )?the sign is flipped"),
    (
        "factor-2-missing",
        "diagnosis",
        "twice the right value (a factor 1/2 missing)",
        r"(\w+: )?twice the right value",
    ),
    (
        "extra-factor-half",
        "diagnosis",
        "half the right value (an extra factor 1/2)",
        r"(\w+: )?half the right value",
    ),
    (
        "missing-event-sum",
        "diagnosis",
        "no reduction over the event dimension",
        r"~a reduction over the last \(event\) dimension is missing",
    ),
    ("reduced-batch", "diagnosis", "reduced over the batch too", r"~you reduced over the batch"),
    (
        "reduced-last-dim",
        "diagnosis",
        "the last dimension reduced away",
        r"~the last dimension is reduced away",
    ),
    ("transposed", "diagnosis", "dimensions in the wrong order", r"~in the wrong order"),
    ("wrong-shape", "diagnosis", "wrong shape", r"(\w+: )?expected shape"),
    ("wrong-dtype", "diagnosis", "wrong dtype", r"(\w+: )?the result is \w+ but the inputs"),
    (
        "not-a-tensor",
        "diagnosis",
        "not a torch.Tensor (left torch)",
        r"(\w+: )?expected a torch\.Tensor",
    ),
    (
        "not-a-tuple",
        "diagnosis",
        "wrong number or kind of results",
        r"expected (a tuple|\d+ values|one tensor)",
    ),
    (
        "nan-or-inf",
        "diagnosis",
        "NaN or inf where the answer is finite",
        r"(\w+: )?(NaN|inf) at index",
    ),
    (
        "no-gradient",
        "diagnosis",
        "no gradient reaches the inputs",
        r"~(carries no gradient|no gradient reaches)",
    ),
    (
        "wrong-gradient",
        "diagnosis",
        "right values, wrong gradient",
        r"~the gradient with respect to",
    ),
    ("raised", "diagnosis", "raised an exception", r"(raised \w+|the check could not run)"),
    ("wrong-values", "unnamed", "wrong values (no known mistake)", r"(\w+: )?wrong values"),
)
_COMPILED = tuple(
    (i, k, label, re.compile(p[1:]) if p.startswith("~") else re.compile(p), p.startswith("~"))
    for i, k, label, p in _GENERIC
)
_WHERE = re.compile(r" \[(checks|hidden tests|case)[^\]]*\]")


def _squash(text: str) -> str:
    return " ".join(text.split())


@cache
def _catalogue(question_id: str) -> tuple[str, ...]:
    from genlab.grading.checks import registered_questions

    question = registered_questions().get(question_id)
    return tuple(_squash(m.message) for m in question.mistakes) if question else ()


def classify(message: str, question_ids: tuple[str, ...] = ()) -> Diagnosis:
    """The mistake a failed row's ``message`` names; ``question_ids``: the questions its
    checks call (a grade_id may be checked by more than one)."""
    text = _squash(_WHERE.split(message, maxsplit=1)[0])
    for qid in question_ids:
        for number, advice in enumerate(_catalogue(qid), 1):
            # a long advice may have been cut short by the grader's 600-character rows
            if text.startswith(advice) or (len(text) > 80 and advice.startswith(text[:-3])):
                return Diagnosis(f"{qid}/{number}", "catalogue", advice, qid)
    if text == "correct":
        return Diagnosis("correct", "passed", "correct")
    for ident, kind, label, pattern, anywhere in _COMPILED:
        if pattern.search(text) if anywhere else pattern.match(text):
            return Diagnosis(ident, kind, label)
    return Diagnosis("other", "unnamed", "other")


# ------------------------------------------------------------------------------- lectures


@dataclass(frozen=True)
class Section:
    """A lecture section: its heading, the notebook (``lectures/03_gaussian_vae.ipynb``), the
    anchor JupyterLab gives the heading, and the course website's page and anchor."""

    title: str
    notebook: str
    anchor: str
    page: str
    page_anchor: str

    @property
    def notebook_link(self) -> str:
        return f"{self.notebook}#{urllib.parse.quote(self.anchor, safe='')}"

    def site_link(self, site_url: str) -> str:
        return f"{site_url.rstrip('/')}/{self.page}#{self.page_anchor}"


def _lab_anchor(title: str) -> str:
    return title.replace(" ", "-")  # JupyterLab's heading ids


def _site_anchor(title: str) -> str:
    """The id Sphinx (docutils ``make_id``) gives a section heading."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return re.sub(r"^[^a-z]+", "", text) or "section"


def lecture_section(question_id: str, root: str | Path, name: str | None = None) -> Section | None:
    """Where ``question_id``'s point is taught in ``root/lectures/`` (None if no lecture has
    the question's number). ``name``: the function to look for (default: the question's
    reference)."""
    match = re.match(r"ex(\d+[a-z]?)_(\w+)", question_id)
    if not match:
        return None
    if name is None:
        from genlab.grading.checks import registered_questions

        question = registered_questions().get(question_id)
        name = getattr(question.reference, "__name__", "") if question else ""
    return _find_section(Path(root).resolve(), match.group(1), match.group(2), name or "")


def _phrases(topic: str) -> list[str]:
    """``least_squares_nll`` -> ["least squares nll", "least squares", "squares nll"]: the
    runs of its words, longest first, of two words or one word of six letters or more."""
    words = topic.split("_")
    runs = {
        " ".join(words[i:j])
        for i in range(len(words))
        for j in range(i + 1, len(words) + 1)
        if j - i >= 2 or len(words[i]) >= 6
    }
    return sorted(runs, key=lambda r: (-len(r.split()), -len(r)))


@lru_cache(maxsize=256)
def _find_section(root: Path, number: str, topic: str, name: str) -> Section | None:
    sources = sorted((root / "lectures").glob(f"{number}_*.py"))
    if not sources:
        return None
    source = sources[0]
    lines = source.read_text(encoding="utf-8").splitlines()
    headings = [
        (i, line.lstrip("# ").strip())
        for i, line in enumerate(lines)
        if re.match(r"# #{2,3} \S", line)
    ]
    title = next(
        (line.lstrip("# ").strip() for line in lines if line.startswith("# # ")), source.stem
    )
    found = None
    for phrase in _phrases(topic):  # a heading that names the question's topic
        found = next((h for _, h in headings if phrase in h.lower().replace("-", " ")), None)
        if found:
            break
    if found is None and name and not name.startswith("<"):
        # else the section of the first mention of the reference, past the setup and imports
        word = re.compile(rf"\b{re.escape(name)}\b")
        for i, line in enumerate(lines):
            if word.search(line) and not line.strip().startswith(("from ", "import ")):
                above = [h for h in headings if h[0] <= i]
                if above and above[-1][1] != "Setup":
                    found = above[-1][1]
                    break
    title = found or title
    notebook = f"lectures/{source.stem}.ipynb"
    return Section(
        title, notebook, _lab_anchor(title), f"lectures/{source.stem}.html", _site_anchor(title)
    )
