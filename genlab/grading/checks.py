"""Instant feedback on an exercise answer: the question registry and the judge.

Each question registers genlab's reference implementation, an input generator, and a list of
known mistakes (wrong variants with what to tell the student). :func:`judge` compares what the
student's function returned (an :class:`~genlab.grading.probe.Answer`) with the reference on
the same inputs, and either passes it or names what is wrong: the error it raised, the type,
dtype or shape of the result, a known mistake (sum vs mean, logits vs probabilities, variance vs
log-variance, ...), a flipped sign or a factor of 2, NaN, randomness, or a missing gradient. A
known mistake may also be one with the right values and the wrong gradients (a stop-gradient in
the wrong place, a straight-through estimator left out): it is named when the answer's
gradients match it.

In a notebook, ``check("ex03_gaussian_kl", gaussian_kl)`` prints one line and raises
:class:`CheckFailed` (an AssertionError) when the answer is wrong. The grader runs the same
judge in its own process (see :mod:`genlab.grading.grader`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch

from genlab.grading.probe import Answer, probe
from genlab.grading.protocol import Opaque
from genlab.grading.wording import describe, describe_inputs

__all__ = [
    "KINDS",
    "SUITES",
    "CheckFailed",
    "Mistake",
    "Question",
    "Verdict",
    "case_inputs",
    "check",
    "evaluate",
    "get_question",
    "judge",
    "registered_questions",
    "register",
]

SUITES = ("visible", "hidden")
# What a question asks of the student, and the points each kind is worth: retyping a printed
# formula, deriving one that is not printed, running an experiment that must reach a result,
# repairing a training loop with planted bugs.
KINDS = {"transcription": (1,), "derivation": (3,), "experiment": (3, 4), "debug": (3,)}
_DEFAULT_SEEDS = {"visible": 0, "hidden": 10_000}


class CheckFailed(AssertionError):
    """An answer that does not match the reference; the message says why."""


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: a function with the reference's signature, and the advice.

    It is recognised by its values; or, if its values are the reference's, by its gradients
    with respect to the question's ``grad_args`` (no gradient counts as a zero gradient).
    """

    fn: Callable[..., object]
    message: str


@dataclass(frozen=True)
class Question:
    """One auto-graded question: the student writes a function that must behave like
    ``reference`` on the inputs that ``inputs(generator, case, suite)`` draws.

    ``kind`` is one of :data:`KINDS`; ``hints`` go from a conceptual nudge to the key step to
    the shape of the answer, never its code (:func:`genlab.grading.hints.hint` shows them)."""

    id: str
    reference: Callable[..., object]
    inputs: Callable[[torch.Generator, int, str], dict[str, object]]
    mistakes: tuple[Mistake, ...] = ()
    fields: tuple[str, ...] = ()  # names of the parts of a tuple result; () for one tensor
    grad_args: tuple[str, ...] = ()  # inputs the result must stay differentiable in
    nan_hint: str = ""
    rtol: float = 1e-6
    atol: float = 1e-8
    cases: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"visible": 3, "hidden": 6})
    )
    kind: str = "transcription"
    hints: tuple[str, ...] = ()
    # an experiment is judged by what its result achieves, not by a reference's value:
    # outcome(inputs, value, runs, needed) -> None if at least ``needed`` of ``runs`` runs on
    # fresh seeds reached the target, else what they missed; ``runs`` maps each suite to its
    # (runs, needed): the visible check trains once, the hidden tests more often
    outcome: Callable[[Mapping[str, object], object, int, int], str | None] | None = None
    runs: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({"visible": (1, 1), "hidden": (4, 3)})
    )

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one suite of cases for one question."""

    question: str
    passed: bool
    message: str
    cases: int


_QUESTIONS: dict[str, Question] = {}
_loaded = False


def register(question: Question) -> Question:
    """Add ``question`` to the registry (ids are unique across the course)."""
    if question.id in _QUESTIONS and _QUESTIONS[question.id] is not question:
        raise ValueError(f"question id {question.id!r} is registered twice")
    _QUESTIONS[question.id] = question
    return question


def _load() -> None:
    global _loaded
    if not _loaded:
        package = importlib.import_module("genlab.grading.questions")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _loaded = True


def registered_questions() -> dict[str, Question]:
    """Every registered question, by id."""
    _load()
    return dict(_QUESTIONS)


def get_question(question_id: str) -> Question:
    _load()
    if question_id not in _QUESTIONS:
        known = ", ".join(sorted(_QUESTIONS))
        raise ValueError(f"question_id must be one of {known}; got {question_id!r}")
    return _QUESTIONS[question_id]


def case_inputs(question: Question, suite: str, seed: int) -> list[dict[str, object]]:
    """The inputs of every case of ``suite``, drawn reproducibly from ``seed``."""
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {', '.join(SUITES)}; got {suite!r}")
    return [
        question.inputs(
            torch.Generator().manual_seed((seed * 1_000_003 + case) % 2**63), case, suite
        )
        for case in range(question.cases[suite])
    ]


# ------------------------------------------------------------------------------- the judge


def _parts(question: Question, value) -> list[tuple[str, object]]:
    if question.fields:
        return list(zip(question.fields, value, strict=False))
    return [("", value)]


def _label(name: str) -> str:
    return f"{name}: " if name else ""


def _structure_problem(question: Question, reference, value) -> str | None:
    if value is None:
        return "returned None: did you forget the `return`?"
    if question.fields:
        n = len(question.fields)
        names = ", ".join(question.fields)
        if not isinstance(value, tuple):
            return f"expected a tuple of {n} tensors ({names}); got {describe(value)}"
        if len(value) != n:
            return f"expected {n} values ({names}); got {len(value)}"
    elif isinstance(value, tuple):
        return f"expected one tensor of shape {tuple(reference.shape)}; got {describe(value)}"
    for (name, got), (_, want) in zip(
        _parts(question, value), _parts(question, reference), strict=True
    ):
        if isinstance(got, torch.Tensor):
            if got.dtype != want.dtype:
                return (
                    f"{_label(name)}the result is {str(got.dtype)[6:]} but the inputs are "
                    f"{str(want.dtype)[6:]}: create new tensors with the inputs' dtype "
                    "(torch.zeros_like(x), x.new_tensor(...)) instead of a fixed one"
                )
            continue
        if isinstance(got, Opaque) and got.shape is not None:
            return f"{_label(name)}expected shape {tuple(want.shape)}; got {got.text}"
        advice = ""
        kind = got.type_name if isinstance(got, Opaque) else type(got).__name__
        if isinstance(got, int | float) or kind.startswith("float") or kind == "ndarray":
            advice = (
                ": keep the computation in torch (no .item(), float(), numpy or math.* on "
                "tensors), "
                "so the result keeps its shape and its gradient"
            )
        return f"{_label(name)}expected a torch.Tensor; got {describe(got)}{advice}"
    return None


def _close(a, b, rtol: float, atol: float) -> bool:
    """Same structure, shapes and values (NaN where the other is NaN)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape:
            return False
        try:
            return bool(
                torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol, equal_nan=True)
            )
        except RuntimeError:
            return False
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        return a == b
    return a is None and b is None


def _tolerances(question: Question, inputs: Mapping[str, object]) -> tuple[float, float]:
    low_precision = any(
        isinstance(v, torch.Tensor) and v.is_floating_point() and v.dtype != torch.float64
        for v in inputs.values()
    )
    if low_precision:
        return max(question.rtol, 1e-4), max(question.atol, 1e-5)
    return question.rtol, question.atol


def _shape_problem(name: str, want: torch.Tensor, got: torch.Tensor) -> str:
    w, g = tuple(want.shape), tuple(got.shape)
    hint = ""
    if g[:-1] == w and len(g) == len(w) + 1:
        hint = ": one value per element, so a reduction over the last (event) dimension is missing"
    elif g == () and w != ():
        hint = ": a single number, so you reduced over the batch too; keep one value per sample"
    elif len(g) == len(w) - 1 and g == w[:-1]:
        hint = ": the last dimension is reduced away but should be kept"
    elif sorted(g) == sorted(w):
        hint = ": the right dimensions in the wrong order (a transpose?)"
    return f"{_label(name)}expected shape {w}; got {g}{hint}"


def _worst(want: torch.Tensor, got: torch.Tensor) -> tuple[tuple[int, ...], float, float]:
    diff = (want.double() - got.double()).abs()
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, float("inf")), diff)
    flat = int(diff.reshape(-1).argmax()) if diff.numel() else 0
    index = (
        tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), want.shape))
        if want.dim()
        else ()
    )
    return index, float(want.reshape(-1)[flat]), float(got.reshape(-1)[flat])


def _detached(value):
    if isinstance(value, tuple):
        return tuple(_detached(v) for v in value)
    return value.detach() if isinstance(value, torch.Tensor) else value


def _value_problem(question: Question, reference, value, inputs, rtol, atol) -> str:
    reference, value = _detached(reference), _detached(value)
    for (name, got), (_, want) in zip(
        _parts(question, value), _parts(question, reference), strict=True
    ):
        if _close(want, got, rtol, atol):
            continue
        if got.shape != want.shape:
            return _shape_problem(name, want, got)
        bad = ~torch.isfinite(got) & torch.isfinite(want)
        if bool(bad.any()):
            index = tuple(int(i) for i in bad.nonzero()[0])
            kind = "NaN" if bool(torch.isnan(got[index])) else "inf"
            hint = f" {question.nan_hint}" if question.nan_hint else ""
            return (
                f"{_label(name)}{kind} at index {index} where the answer is finite "
                f"({float(want[index]):.6g}), on inputs {describe_inputs(inputs)}.{hint}"
            )
        scale = float(want.double().abs().max()) if want.numel() else 0.0
        if scale > 1e-6:
            for factor, advice in (
                (-1.0, "the sign is flipped"),
                (2.0, "twice the right value: is a factor 1/2 missing?"),
                (0.5, "half the right value: is there an extra factor 1/2?"),
            ):
                if _close(factor * want.double(), got.double(), rtol, atol):
                    return f"{_label(name)}{advice}"
        index, expected, actual = _worst(want, got)
        return (
            f"{_label(name)}wrong values: at index {index} expected {expected:.6g}, got "
            f"{actual:.6g}, on inputs {describe_inputs(inputs)}"
        )
    return "wrong values"  # pragma: no cover - _close said they differ


def _gradient_problem(question: Question, reference: Answer, answer: Answer, rtol, atol):
    if reference.grads is None:
        return None
    if answer.grad_error:
        return f"computing the gradient of your result failed: {answer.grad_error}"
    args = ", ".join(f"`{a}`" for a in question.grad_args)
    if answer.grads is None:
        return (
            f"the values are right, but the result carries no gradient back to {args}: avoid "
            ".detach(), .item(), .numpy(), torch.no_grad() and torch.tensor(...) on "
            "intermediate values, so that autograd can train through your function"
        )
    for name in question.grad_args:
        want, got = reference.grads.get(name), answer.grads.get(name)
        if want is None:
            continue
        if not isinstance(got, torch.Tensor):
            if bool((want != 0).any()):
                return (
                    f"the values are right, but no gradient reaches `{name}`: part of the "
                    "computation is detached from it (.detach(), .item(), .data, torch.tensor(...))"
                )
            continue
        if not _close(want, got, rtol, atol):
            return (
                f"the values are right, but the gradient with respect to `{name}` is not: "
                "something blocks or distorts it (.detach(), .data, clamp, an in-place edit?)"
            )
    return None


def _grads_close(a: Answer, b: Answer, names, rtol, atol) -> bool:
    """Whether two answers send the same gradients to ``names`` (None counts as zero)."""
    for name in names:
        x = a.grads.get(name) if a.grads else None
        y = b.grads.get(name) if b.grads else None
        if x is None and y is None:
            continue
        if x is None or y is None:
            present = x if y is None else y
            if not isinstance(present, torch.Tensor) or bool((present != 0).any()):
                return False
            continue
        if not _close(x, y, rtol, atol):
            return False
    return True


def _gradient_mistake(question: Question, inputs, reference: Answer, answer: Answer, rtol, atol):
    """The first known mistake with the reference's values whose gradients the answer has."""
    if answer.grad_error:
        return None
    for mistake in question.mistakes:
        wrong = probe(mistake.fn, inputs, question.grad_args)
        if (
            wrong.error is None
            and wrong.grad_error is None
            and _close(wrong.value, reference.value, rtol, atol)
            and not _grads_close(wrong, reference, question.grad_args, rtol, atol)
            and _grads_close(wrong, answer, question.grad_args, rtol, atol)
        ):
            return mistake.message
    return None


def _error_problem(name: str, error: tuple[str, str], inputs: Mapping[str, object]) -> str:
    kind, text = error
    if kind == "NotImplementedError":
        return "not answered yet: replace `raise NotImplementedError()` with your code"
    if kind == "NameError" and text.startswith(f"`{name}`"):
        return f"no function named `{name}` in the notebook: run its cell and keep its name"
    call = f"{name}({', '.join(inputs)})"
    return f"raised {kind}: {text} (called as {call} with {describe_inputs(inputs)})"


def judge(
    question: Question,
    inputs: Mapping[str, object],
    answer: Answer,
    name: str = "your function",
    reference: Answer | None = None,
    suite: str = "visible",
) -> str | None:
    """None if ``answer`` matches the reference on ``inputs``, else what is wrong (an
    experiment runs as often as ``question.runs[suite]`` says)."""
    if answer.error is not None:
        return _error_problem(name, answer.error, inputs)
    if answer.mutated:
        which = ", ".join(f"`{m}`" for m in answer.mutated)
        return (
            f"changes its input {which} in place (an in-place operation such as `+=` or "
            "`.exp_()`); compute new tensors instead"
        )
    if question.outcome is not None:  # no reference run: the target is stated, not computed
        try:  # numbers and settings compare with ==, tensors with _close
            same = _close(answer.value, answer.again, 0.0, 0.0) or answer.value == answer.again
        except (RuntimeError, TypeError):
            same = False
        if not same:
            return "returns different results for the same inputs: it must be deterministic"
        return question.outcome(inputs, answer.value, *question.runs[suite])
    if reference is None:
        reference = probe(question.reference, inputs, question.grad_args)
    if reference.error is not None:  # pragma: no cover - a broken question
        raise RuntimeError(f"the reference of {question.id} raised {reference.error}")
    problem = _structure_problem(question, reference.value, answer.value)
    if problem:
        return problem
    rtol, atol = _tolerances(question, inputs)
    if not _close(answer.value, answer.again, 0.0, 0.0):
        again = answer.again
        if isinstance(again, Opaque) and again.type_name == "error":
            return f"{again.text} when called a second time with the same inputs"
        noise = (
            " (use the noise `eps` it is given; do not draw new noise)" if "eps" in inputs else ""
        )
        return f"returns different results for the same inputs: it must be deterministic{noise}"
    if _close(reference.value, answer.value, rtol, atol):
        problem = _gradient_problem(question, reference, answer, rtol, atol)
        if problem and question.mistakes:
            return _gradient_mistake(question, inputs, reference, answer, rtol, atol) or problem
        return problem
    for mistake in question.mistakes:
        wrong = probe(mistake.fn, inputs)
        if wrong.error is None and not _close(wrong.value, reference.value, rtol, atol):
            if _close(wrong.value, answer.value, rtol, atol):
                return mistake.message
    return _value_problem(question, reference.value, answer.value, inputs, rtol, atol)


def evaluate(
    question_id: str,
    fn: Callable[..., object],
    *,
    suite: str = "visible",
    seed: int | None = None,
) -> Verdict:
    """Judge ``fn`` on every case of ``suite`` and return the first problem (or a pass)."""
    question = get_question(question_id)
    seed = _DEFAULT_SEEDS.get(suite, 0) if seed is None else seed
    name = getattr(fn, "__name__", "your function")
    all_inputs = case_inputs(question, suite, seed)
    for case, inputs in enumerate(all_inputs):
        answer = probe(fn, inputs, question.grad_args)
        problem = judge(question, inputs, answer, name, suite=suite)
        if problem:
            every_case = problem.startswith(("not answered yet", "no function named"))
            where = "" if every_case else f" [case {case + 1} of {len(all_inputs)}]"
            return Verdict(question.id, False, f"{problem}{where}", len(all_inputs))
    return Verdict(
        question.id, True, passed_message(question, suite, len(all_inputs)), len(all_inputs)
    )


def passed_message(question: Question, suite: str, n: int) -> str:
    """What a pass proves: these inputs, not the grade (grading draws fresh inputs)."""
    what = "values and gradients" if question.grad_args else "values"
    inputs = f"{n} random input{'s' if n != 1 else ''}"
    if question.outcome is not None:
        runs, needed = question.runs[suite]
        if runs == 1:
            what = "its run reached the target on 1 fresh seed"
        else:
            what = f"its runs reached the target on at least {needed} of {runs} fresh seeds"
        if suite == "hidden":
            return f"passed the hidden tests ({what}); grading draws fresh seeds"
        return f"passed the visible check ({what}); more seeds are tried at grading"
    if suite == "hidden":
        return (
            f"passed the hidden tests ({what} match genlab's reference on {inputs}); "
            "grading draws fresh inputs"
        )
    return (
        f"passed the visible checks ({what} match genlab's reference on {inputs}); "
        "more inputs are tried at grading"
    )


def check(
    question_id: str,
    fn: Callable[..., object],
    *,
    suite: str = "visible",
    seed: int | None = None,
) -> None:
    """Check an exercise answer: print one ✔/✘ line; raise :class:`CheckFailed` if wrong."""
    __tracebackhide__ = True  # noqa: F841 - pytest and IPython hide this frame
    verdict = evaluate(question_id, fn, suite=suite, seed=seed)
    line = f"{'✔' if verdict.passed else '✘'} {question_id}: {verdict.message}"
    print(line)
    if not verdict.passed:
        raise CheckFailed(line)
