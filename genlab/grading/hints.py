"""Tiered hints for the exercises: ``hint("ex03_gaussian_kl")`` shows the next one.

Each question carries its hints beside it, in ``genlab/grading/questions/`` (the ``hints`` of
:class:`~genlab.grading.checks.Question`): the first is a conceptual nudge, the next the key
step, the last the shape of the answer, never its code. The n-th call for a question shows
its n-th hint; once they are all shown, the last one is shown again.
"""

from __future__ import annotations

__all__ = ["hint", "hint_text", "reset_hints"]

_shown: dict[str, int] = {}


def hint_text(question_id: str, number: int) -> str:
    """Hint ``number`` (1, 2, ...) of a question, with its place in the list."""
    from genlab.grading.checks import get_question

    hints = get_question(question_id).hints
    if not hints:
        return f"{question_id} has no hints"
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(hints):
        raise ValueError(f"number must be an int from 1 to {len(hints)}; got {number!r}")
    last = " (the last one)" if number == len(hints) else ""
    return f"Hint {number} of {len(hints)} for {question_id}{last}: {hints[number - 1]}"


def hint(question_id: str) -> None:
    """Print the next hint for ``question_id`` (the first on the first call)."""
    try:
        from genlab.grading.checks import get_question

        count = len(get_question(question_id).hints)
    except ImportError:  # the grader's kernel does not see the questions
        print("hints are not available while the notebook is graded")
        return
    number = min(_shown.get(question_id, 0) + 1, max(count, 1))
    _shown[question_id] = number
    print(hint_text(question_id, number))


def reset_hints(question_id: str | None = None) -> None:
    """Start the hints of one question (or of all) from the first again."""
    if question_id is None:
        _shown.clear()
    else:
        _shown.pop(question_id, None)
