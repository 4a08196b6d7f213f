r"""How sure a share of runs is: the Wilson score interval of a binomial proportion.

A share such as "14 of 16 runs covered every mode" estimates a probability :math:`p`; its
Wilson interval is the set of :math:`p` that a two-sided score test at level ``confidence``
would not reject. Unlike the textbook :math:`\hat p \pm z\sqrt{\hat p(1 - \hat p)/n}`, it
stays inside [0, 1] and does not shrink to a point at 0 of n or n of n.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple

from genlab._checks import positive_int

__all__ = ["Proportion", "wilson_interval"]


class Proportion(NamedTuple):
    """A share of ``trials`` and its interval ``[low, high]``."""

    share: float  # successes / trials
    low: float
    high: float
    successes: int
    trials: int


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> Proportion:
    r"""The Wilson score interval (Wilson 1927) of ``successes`` out of ``trials``:

    .. math::
        \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}}
        \pm \frac{z}{1 + \frac{z^2}{n}}\sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}},
        \qquad \hat p = \frac{k}{n},\ z = \Phi^{-1}\Big(\frac{1 + \text{confidence}}{2}\Big),

    without continuity correction, as ``scipy.stats.binomtest(k, n).proportion_ci(confidence,
    method="wilson")``. Source: Brown, Cai & DasGupta 2001, eq. 4.
    """
    trials = positive_int("trials", trials)
    successes = positive_int("successes", successes, minimum=0)
    if successes > trials:
        raise ValueError(f"successes must be at most trials = {trials}; got {successes}")
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not (0 < confidence < 1)
    ):
        raise ValueError(f"confidence must be a number in (0, 1); got {confidence!r}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    n, p = trials, successes / trials
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # 0 of n and n of n: the interval touches the boundary exactly (round-off aside)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Proportion(p, low, high, successes, trials)
