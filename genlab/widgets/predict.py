"""Predict, then run: the student commits to an answer before the lecture reveals it.

``predict(question, options, answer=..., explanation=...)`` shows the options as buttons; a
number question (``options=None``) shows a number field. Nothing about the answer is on the
page until the student presses *Commit*: then the controls lock, and the verdict, the answer
and its explanation appear. The lecture's next cell computes what was predicted.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import ipywidgets as widgets

from genlab.widgets._common import panel, row


def _verdict(correct: bool, answer_text: str, explanation: str) -> str:
    head = "Right." if correct else f"Not quite: the answer is <b>{html.escape(answer_text)}</b>."
    colour = "#0072B2" if correct else "#D55E00"  # Okabe-Ito blue / vermillion
    return (
        f'<div style="border-left:4px solid {colour};padding-left:8px">'
        f"<b>{head}</b> {explanation}</div>"
    )


def predict(
    question: str,
    options: Sequence[str] | None = None,
    *,
    answer,
    explanation: str,
    tolerance: float | None = None,
) -> widgets.VBox:
    """A question whose answer and explanation are revealed only after the student commits.

    ``options``: the choices (strings, shown as buttons), and ``answer`` is one of them. With
    ``options=None`` the student types a number, and ``answer`` is a number; a prediction within
    ``tolerance`` of it (absolute; default 10% of ``|answer|``) counts as right. ``explanation``
    is HTML shown after the commit. The box's parts: ``.choice`` (ToggleButtons or a Text field),
    ``.button`` (Commit), ``.feedback`` (HTML, empty until the commit) and ``.committed``.
    """
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"question must be a non-empty string; got {question!r}")
    if not isinstance(explanation, str) or not explanation.strip():
        raise ValueError(f"explanation must be a non-empty string; got {explanation!r}")
    if options is not None:
        options = list(options)
        if len(options) < 2 or len(set(options)) != len(options):
            raise ValueError(f"options must be at least two distinct strings; got {options!r}")
        if not all(isinstance(o, str) for o in options):
            raise ValueError(f"options must be strings; got {options!r}")
        if answer not in options:
            raise ValueError(f"answer must be one of options {options!r}; got {answer!r}")
        if tolerance is not None:
            raise ValueError(f"tolerance applies to number questions only; got {tolerance!r}")
        choice = widgets.ToggleButtons(options=options, value=None, style={"button_width": "auto"})
        answer_text = str(answer)
    else:
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            raise ValueError(f"answer must be a number when options is None; got {answer!r}")
        if not math.isfinite(answer):
            raise ValueError(f"answer must be finite; got {answer!r}")
        if tolerance is None:
            tolerance = 0.1 * abs(answer)
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
            raise ValueError(f"tolerance must be a number; got {tolerance!r}")
        if not tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0; got {tolerance!r}")
        choice = widgets.Text(value="", placeholder="a number", description="Your guess:")
        answer_text = f"{answer:g}"

    prompt = widgets.HTML(f"<b>Predict.</b> {question}")
    button = widgets.Button(description="Commit", button_style="primary", icon="check")
    feedback = widgets.HTML("")

    def commit(_=None):
        if box.committed:
            return
        value = choice.value
        if options is None:
            try:
                guess = float(value)
            except ValueError:
                guess = math.nan
            if not math.isfinite(guess):
                feedback.value = "<i>Type a number first.</i>"
                return
            correct = abs(guess - float(answer)) <= tolerance
        else:
            if value is None:
                feedback.value = "<i>Choose an answer first.</i>"
                return
            correct = value == answer
        box.committed = True
        box.correct = correct
        choice.disabled = True
        button.disabled = True
        feedback.value = _verdict(correct, answer_text, explanation)

    button.on_click(commit)
    box = panel(
        "predict",
        [prompt, row([choice, button]), feedback],
        choice=choice,
        button=button,
        feedback=feedback,
        committed=False,
        correct=None,
    )
    return box
