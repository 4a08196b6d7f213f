"""Exercises that check themselves, and a batch grader for instructors.

Students: after each question, a check cell calls ``check("ex03_gaussian_kl", gaussian_kl)``;
it prints one ✔/✘ line and raises :class:`CheckFailed` (an AssertionError) with what is wrong;
``hint("ex03_gaussian_kl")`` shows the question's next hint.

Instructors: ``genlab grade SUBMISSION... --out DIR`` (:mod:`genlab.grading.grader`) executes
each submission in a fresh, resource-limited kernel and decides every verdict in the grader's
own process. ``exercises/`` is generated from ``solutions/`` by
:func:`genlab.grading.assignments.generate_exercises`.
"""

from genlab.grading.checks import (
    CheckFailed,
    Mistake,
    Question,
    Verdict,
    check,
    evaluate,
    get_question,
    register,
    registered_questions,
)
from genlab.grading.hints import hint, reset_hints

__all__ = [
    "CheckFailed",
    "Mistake",
    "Question",
    "Verdict",
    "check",
    "evaluate",
    "get_question",
    "hint",
    "registered_questions",
    "register",
    "reset_hints",
]
