"""genlab.optima against numerical minimisation of the losses they solve (scipy, float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import optimize

from genlab.optima import gaussian_decoder_optimum, weighted_optimal_discriminator
from genlab.theory import optimal_logit_from_log_probs

F64 = torch.float64


def test_the_best_shared_gaussian_decoder_is_the_weighted_mean_and_spread():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(4, 6))
    probs = rng.dirichlet(np.ones(4))
    K, D = images.shape

    def expected_nll(params):  # written out per image and pixel, independently of genlab
        mu, log_var = params[:D], params[D]
        total = 0.0
        for k in range(K):
            for d in range(D):
                total += probs[k] * (
                    (images[k, d] - mu[d]) ** 2 / (2 * math.exp(log_var))
                    + 0.5 * math.log(2 * math.pi)
                    + 0.5 * log_var
                )
        return total

    found = optimize.minimize(expected_nll, np.zeros(D + 1), method="BFGS", options={"gtol": 1e-10})
    best = gaussian_decoder_optimum(torch.tensor(images), torch.tensor(probs))
    np.testing.assert_allclose(best.mean.numpy(), found.x[:D], atol=1e-5)
    np.testing.assert_allclose(float(best.variance), math.exp(found.x[D]), rtol=1e-5)
    with pytest.raises(ValueError, match="sum to 1"):
        gaussian_decoder_optimum(torch.tensor(images), torch.tensor(probs) * 2)
    with pytest.raises(ValueError, match=r"images must be \(K, D\)"):
        gaussian_decoder_optimum(torch.tensor(images[0]), torch.tensor(probs))


@pytest.mark.parametrize(
    ("real_label", "real_weight", "fake_weight"),
    [(1.0, 1.0, 1.0), (0.9, 1.0, 1.0), (0.8, 3.0, 1.0)],
)
def test_the_weighted_optimal_discriminator_minimises_its_cross_entropy(
    real_label, real_weight, fake_weight
):
    rng = np.random.default_rng(1)
    p, q = rng.uniform(0.01, 2.0, size=8), rng.uniform(0.01, 2.0, size=8)
    a, wr, wf = real_label, real_weight, fake_weight

    def loss(D, pk, qk):
        return -wr * pk * (a * math.log(D) + (1 - a) * math.log(1 - D)) - wf * qk * math.log(1 - D)

    found = [
        optimize.minimize_scalar(
            loss,
            bounds=(1e-12, 1 - 1e-12),
            args=(pk, qk),
            method="bounded",
            options={"xatol": 1e-12},
        ).x
        for pk, qk in zip(p, q, strict=True)
    ]
    ours = weighted_optimal_discriminator(
        torch.tensor(np.log(p)), torch.tensor(np.log(q)), real_label, real_weight, fake_weight
    )
    np.testing.assert_allclose(ours.numpy(), found, atol=1e-7)
    assert float(ours.max()) <= real_label


def test_the_unweighted_unsmoothed_case_is_goodfellows_d_star_and_stays_exact_in_the_tails():
    log_p = torch.tensor([-1000.0, -2.0, float("-inf"), float("-inf")], dtype=F64)
    log_q = torch.tensor([-1001.0, -0.5, -3.0, float("-inf")], dtype=F64)
    d = weighted_optimal_discriminator(log_p, log_q)
    torch.testing.assert_close(d, torch.sigmoid(optimal_logit_from_log_probs(log_p, log_q)))
    assert float(d[0]) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert float(weighted_optimal_discriminator(log_p, log_q, 0.9)[3]) == pytest.approx(0.45)
    for bad in ({"real_label": 0.0}, {"real_weight": -1.0}):
        with pytest.raises(ValueError, match="must be"):
            weighted_optimal_discriminator(log_p, log_q, **bad)
