"""What the experiment questions share: seeds the student has not seen, and the check that a
submission is a tuple of settings. The runs themselves are genlab's (trained in the judging
process, on the grader's side)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import torch


def fresh_seeds(inputs: Mapping[str, object], n: int) -> list[int]:
    """``n`` seeds drawn from the case's inputs, which the grader draws afresh at each grading:
    a student cannot tune the settings to them."""
    digest = hashlib.sha256(repr(sorted(inputs.items())).encode()).digest()
    g = torch.Generator().manual_seed(int.from_bytes(digest[:7], "big"))
    return [int(s) for s in torch.randint(0, 2**31 - 1, (n,), generator=g)]


def settings_problem(value, fields: tuple[str, ...]) -> str | None:
    """None if ``value`` is a tuple of ``len(fields)`` numbers, else what it is instead."""
    if (
        isinstance(value, tuple)
        and len(value) == len(fields)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return None
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"expected a tuple of {len(fields)} numbers ({', '.join(fields)}); got {text}"
