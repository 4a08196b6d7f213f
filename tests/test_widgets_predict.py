"""The predict-then-run widget, driven headlessly: nothing of the answer shows before the
commit; after it, the controls lock and the verdict matches the choice."""

from __future__ import annotations

import pytest

from genlab.widgets import predict


def test_choice_question_reveals_only_after_commit():
    box = predict("Which is larger?", ["a", "b"], answer="b", explanation="Because EXPLAINED.")
    assert box.feedback.value == "" and not box.committed
    box.button.click()  # nothing chosen yet: a prompt, no answer
    assert not box.committed and "EXPLAINED" not in box.feedback.value
    box.choice.value = "a"
    assert "EXPLAINED" not in box.feedback.value  # choosing alone reveals nothing
    box.button.click()
    assert box.committed and box.correct is False
    assert "EXPLAINED" in box.feedback.value and "<b>b</b>" in box.feedback.value
    assert box.choice.disabled and box.button.disabled
    box.choice.value = "b"  # a change after the commit does not change the verdict
    box.button.click()
    assert box.correct is False


def test_right_choice_is_marked_right():
    box = predict("Q?", ["x", "y", "z"], answer="z", explanation="E.")
    box.choice.value = "z"
    box.button.click()
    assert box.correct is True and box.feedback.value.count("Right.") == 1


@pytest.mark.parametrize(
    ("typed", "correct"), [("2.0", True), ("2.19", True), ("2.3", False), ("-2", False)]
)
def test_number_question_uses_the_tolerance(typed, correct):
    box = predict("How much?", answer=2.0, tolerance=0.2, explanation="E.")
    box.choice.value = typed
    box.button.click()
    assert box.committed and box.correct is correct
    assert "2" in box.feedback.value


def test_number_question_default_tolerance_is_ten_percent():
    box = predict("How much?", answer=-50, explanation="E.")
    box.choice.value = "-54.9"
    box.button.click()
    assert box.correct is True


@pytest.mark.parametrize("typed", ["", "abc", "nan", "inf"])
def test_a_non_number_is_not_a_commit(typed):
    box = predict("How much?", answer=1.0, explanation="E.")
    box.choice.value = typed
    box.button.click()
    assert not box.committed and "number" in box.feedback.value


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("Q", ["a", "b"]), {"answer": "c", "explanation": "E"}, "answer must be one of"),
        (("Q", ["a"]), {"answer": "a", "explanation": "E"}, "options must be at least two"),
        (("Q", ["a", "a"]), {"answer": "a", "explanation": "E"}, "options must be at least two"),
        (("Q",), {"answer": "a", "explanation": "E"}, "answer must be a number"),
        (("Q",), {"answer": float("nan"), "explanation": "E"}, "answer must be finite"),
        (("Q",), {"answer": 1.0, "explanation": "E", "tolerance": -1}, "tolerance must be >= 0"),
        (("Q", ["a", "b"]), {"answer": "a", "explanation": "E", "tolerance": 1}, "tolerance"),
        (("",), {"answer": 1.0, "explanation": "E"}, "question must be"),
        (("Q",), {"answer": 1.0, "explanation": ""}, "explanation must be"),
    ],
)
def test_bad_arguments_are_named(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        predict(*args, **kwargs)
