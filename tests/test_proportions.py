"""genlab.metrics.wilson_interval against scipy.stats.binomtest(...).proportion_ci."""

import pytest
from scipy import stats

from genlab.metrics import wilson_interval


@pytest.mark.parametrize(
    "k, n", [(0, 1), (1, 1), (0, 16), (1, 16), (8, 16), (15, 16), (16, 16), (3, 32), (500, 1000)]
)
@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_wilson_interval_matches_scipy(k, n, confidence):
    got = wilson_interval(k, n, confidence)
    want = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    # closed forms in float64 on numbers of size 1: round-off only
    assert got.low == pytest.approx(want.low, abs=1e-12)
    assert got.high == pytest.approx(want.high, abs=1e-12)
    assert got.share == k / n and (got.successes, got.trials) == (k, n)
    assert 0.0 <= got.low <= got.share <= got.high <= 1.0


def test_wilson_interval_names_bad_arguments():
    with pytest.raises(ValueError, match="trials"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="successes must be at most trials = 4; got 5"):
        wilson_interval(5, 4)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(-1, 4)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 4, confidence=1.0)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(1.0, 4)
