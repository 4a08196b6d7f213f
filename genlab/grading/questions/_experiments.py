"""What the experiment questions share: seeds the student has not seen, and the checks that a
submission is a tuple of settings within the budget. The runs themselves are genlab's (trained
in the judging process, on the grader's side). How many runs a suite trains, and how many of
them must reach the target, is the question's ``runs`` (one in the visible check, more in the
hidden tests)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping

import torch

from genlab.device import one_thread


def fresh_seeds(inputs: Mapping[str, object], n: int) -> list[int]:
    """``n`` seeds drawn from the case's inputs, which the grader draws afresh at each grading:
    a student cannot tune the settings to them."""
    digest = hashlib.sha256(repr(sorted(inputs.items())).encode()).digest()
    g = torch.Generator().manual_seed(int.from_bytes(digest[:7], "big"))
    return [int(s) for s in torch.randint(0, 2**31 - 1, (n,), generator=g)]


def settings_problem(
    value, fields: tuple[str, ...], names: Mapping[str, tuple[str, ...]] | None = None
) -> str | None:
    """None if ``value`` is a tuple of ``len(fields)`` numbers, else what it is instead. The
    fields in ``names`` are strings instead, one of the names listed for each."""
    names = names or {}
    what = ", ".join(fields)
    if not isinstance(value, tuple) or len(value) != len(fields):
        text = repr(value)
        text = text if len(text) <= 80 else text[:77] + "..."
        kind = "numbers" if not names else "settings"
        return f"expected a tuple of {len(fields)} {kind} ({what}); got {text}"
    for field, v in zip(fields, value, strict=True):
        if field in names:
            if not isinstance(v, str) or v not in names[field]:
                return f"{field} must be one of {', '.join(map(repr, names[field]))}; got {v!r}"
        elif not isinstance(v, int | float) or isinstance(v, bool):
            return f"{field} must be a number; got {v!r}"
    return None


def budget_problem(value, fields: tuple[str, ...], caps: Mapping[str, float]) -> str | None:
    """None if every field of ``value`` named in ``caps`` lies in (0, cap], else the first
    that does not, as "over the budget: ..."."""
    for field, v in zip(fields, value, strict=True):
        if field in caps and not 0 < v <= caps[field]:
            return f"over the budget: {field} must be in (0, {caps[field]:g}]; got {v!r}"
    return None


def run_until_decided(seeds, run, passed, needed: int) -> tuple[list, int]:
    """``run(seed)`` for the seeds in order, stopping as soon as the verdict is known:
    ``needed`` results that ``passed``, or so many that did not that ``needed`` is out of
    reach. Returns the results so far and how many passed (grading time goes to undecided
    verdicts only)."""
    results, good = [], 0
    for seed in seeds:
        result = run(seed)
        results.append(result)
        good += bool(passed(result))
        if good >= needed or len(results) - good > len(seeds) - needed:
            break
    return results, good


@contextlib.contextmanager
def grading_run():
    """One thread and float32 as torch's default dtype while a run trains, both restored after:
    a run gives the same numbers in a notebook that set float64 as in the grader's process."""
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        with one_thread():
            yield
    finally:
        torch.set_default_dtype(dtype)
