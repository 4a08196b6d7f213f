r"""Questions of exercise 04b (evaluating and debugging VAEs): the importance-weighted bound from
log-weights, active units, the free-bits KL, and the amortization gap of a linear encoder on the
linear-Gaussian model.

References: :func:`genlab.losses.iwae_bound`, :func:`genlab.metrics.active_units`,
:func:`genlab.losses.free_bits_kl`, :func:`genlab.metrics.inference_gaps`.
"""

from __future__ import annotations

import math

import torch

from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import fresh_seeds, settings_problem
from genlab.grading.questions._inputs import dtype_for, number, randn, uniform
from genlab.losses import free_bits_kl, iwae_bound
from genlab.metrics import active_units, inference_gaps
from genlab.theory import LinearGaussianLVM
from genlab.vae_objectives import LinearVAESettings, linear_beta_vae

_SHAPES = {
    "visible": ((4, 16), (2, 3, 50), (6, 1)),
    "hidden": ((5, 8), (1, 200), (3, 2, 7), (7, 2), (2, 1000), (5, 30)),
}


def _shape(case: int, suite: str) -> tuple[int, ...]:
    shapes = _SHAPES[suite]
    return shapes[case % len(shapes)]


# ------------------------------------------------------------------ the IW bound, stable


def _iwae_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    log_w = randn(g, *shape, scale=3.0) - 20.0
    extreme = case == 2 if suite == "visible" else case in (1, 3, 5)
    if extreme:  # log-weights of a real model: hundreds or thousands of nats, either sign
        log_w = log_w * 300.0 + (1e4 if case % 2 else -1e4)
    return {"log_w": log_w.to(dtype)}


register(
    Question(
        id="ex04b_iwae_bound",
        kind="transcription",
        hints=(
            "The average of the weights, not of the log-weights: a log-mean-exp.",
            "Subtract the largest log-weight before exponentiating (torch.logsumexp does it), "
            "then account for the 1/K.",
            "One value per row: logsumexp over the last dimension minus log K.",
        ),
        reference=iwae_bound,
        inputs=_iwae_inputs,
        grad_args=("log_w",),
        mistakes=(
            Mistake(
                lambda log_w: log_w.mean(-1),
                "that is the mean of the log-weights, the K-sample ELBO estimate: the bound is "
                "the log of the mean of the weights, log (1/K) sum_k exp(log_w_k)",
            ),
            Mistake(
                lambda log_w: torch.logsumexp(log_w, -1),
                "the -log K is missing: the bound averages the K weights, it does not add them",
            ),
            Mistake(
                lambda log_w: torch.logsumexp(log_w, -1) + math.log(log_w.shape[-1]),
                "the sign of log K is flipped: log (1/K) sum_k w_k = logsumexp(log_w) - log K",
            ),
            Mistake(
                lambda log_w: torch.log(torch.exp(log_w).mean(-1)),
                "exp(log_w) overflows to inf (or underflows to 0) for log-weights of a few "
                "hundred nats: subtract the largest log-weight first (torch.logsumexp does)",
            ),
            Mistake(
                lambda log_w: torch.logsumexp(log_w, 0) - math.log(log_w.shape[0]),
                "you averaged over the first dimension: the K samples are in the last one",
            ),
        ),
        nan_hint="Never exponentiate a raw log-weight: log mean exp(a) = m + log mean exp(a - m) "
        "with m = max(a), which is torch.logsumexp(a, -1) - log K.",
    )
)


# ------------------------------------------------------------------------- active units


def _units_inputs(g, case, suite):
    N = (50, 200, 30, 500, 31, 80)[case % 6]
    J = (4, 6, 3, 8, 5, 10)[case % 6]
    dtype = dtype_for(case, suite)
    # variances far from any threshold in [0.01, 0.1]: active >= 0.36, collapsed <= 0.0004,
    # so that the biased and the unbiased variance agree on every unit
    active = torch.rand(J, generator=g, dtype=torch.float64) < 0.5
    on, off = uniform(g, J, low=0.6, high=2.0), uniform(g, J, low=0.0, high=0.02)
    scales = torch.where(active, on, off)
    offsets = randn(g, J, scale=2.0)  # a collapsed unit need not sit at 0
    mu = randn(g, N, J) * scales + offsets
    threshold = 0.01 if case % 2 == 0 else number(g, 0.05, 0.1)
    return {"mu": mu.to(dtype), "threshold": threshold}


def _biased_centering(mu, threshold):
    return (mu**2).mean(0) > threshold


register(
    Question(
        id="ex04b_active_units",
        kind="transcription",
        hints=(
            "A unit is active when its encoder mean changes from one input to another: a variance "
            "across examples.",
            "Take the unbiased variance over the N examples (dimension 0), one number per latent "
            "dimension.",
            "A bool tensor of shape (J,): that variance compared with the threshold.",
        ),
        reference=active_units,
        inputs=_units_inputs,
        mistakes=(
            Mistake(
                lambda mu, t: mu.var(dim=1) > t,
                "the variance is over the examples (dim 0, one value per latent dimension), "
                "not over the latent dimensions",
            ),
            Mistake(
                _biased_centering,
                "the mean square of mu is not its variance: a collapsed unit can sit at a "
                "constant mean other than 0; center mu at its mean over the examples",
            ),
            Mistake(
                lambda mu, t: mu.std(dim=0) > t,
                "the threshold applies to the variance (the covariance of E_q[z_j|x] over x), "
                "not to the standard deviation",
            ),
            Mistake(
                lambda mu, t: mu.var(dim=0) < t,
                "the comparison is reversed: a unit is active when its mean moves with x, that "
                "is when the variance is above the threshold",
            ),
        ),
    )
)


# ----------------------------------------------------------------------------- free bits


def _free_bits_inputs(g, case, suite):
    B = (16, 4, 64, 8, 32, 1)[case % 6]
    J = (5, 8, 3, 10, 2, 6)[case % 6]
    dtype = dtype_for(case, suite)
    scale = uniform(g, J, low=0.0, high=3.0)
    kl = uniform(g, B, J, low=0.0, high=1.0) * scale  # per-sample KLs are >= 0
    return {"kl_per_dim": kl.to(dtype), "free_nats": number(g, 0.2, 1.0)}


register(
    Question(
        id="ex04b_free_bits_kl",
        kind="transcription",
        hints=(
            "The floor applies to each dimension's KL averaged over the minibatch, not to each "
            "example's KL.",
            "Average over the batch first, then take the larger of that average and free_nats, "
            "per dimension; a clamp from below passes no gradient under the floor.",
            "A 0-d tensor: the sum over dimensions of the clamped batch averages.",
        ),
        reference=free_bits_kl,
        inputs=_free_bits_inputs,
        grad_args=("kl_per_dim",),
        mistakes=(
            Mistake(
                lambda kl, lam: kl.clamp(min=lam).sum(-1).mean(),
                "you floored each sample's KL: free bits floors each dimension's KL *averaged "
                "over the minibatch*, so that single examples may still have a small KL",
            ),
            Mistake(
                lambda kl, lam: kl.sum(-1).mean().clamp(min=lam),
                "you floored the total KL: the floor applies to each latent dimension "
                "separately, then the floored values are summed",
            ),
            Mistake(
                lambda kl, lam: kl.mean(0).clamp(min=lam).mean(),
                "average over the batch, but sum over the latent dimensions (the KL of a "
                "factorized q is the sum of its dimensions' KLs)",
            ),
            Mistake(
                lambda kl, lam: kl.mean(0).clamp(max=lam).sum(),
                "max(lambda, KL_j), not min: a dimension with less than lambda nats is counted "
                "as lambda, with no gradient pulling it to the prior",
            ),
            Mistake(
                lambda kl, lam: (kl.mean(0) - lam).clamp(min=0).sum(),
                "max(lambda, KL_j) keeps the KL itself above the floor: subtracting lambda "
                "changes the value (the gradient is the same)",
            ),
        ),
    )
)


# ------------------------------------------------------ the amortization gap, by hand


def _amortization_gap(W, b, sigma, A, c, logvar, x):
    lvm = LinearGaussianLVM(W, b, sigma)
    mu = x @ A.T + c  # (n, k)
    return inference_gaps(lvm, x, mu, logvar.expand_as(mu)).amortization


def _gap_inputs(g, case, suite):
    d, k = ((3, 2), (4, 2), (5, 3), (2, 1), (6, 2), (4, 3))[case % 6]
    n = (5, 1, 7, 3, 4, 6)[case % 6]
    dtype = dtype_for(case, suite)
    W = randn(g, d, k)
    b = randn(g, d)
    sigma = number(g, 0.3, 1.5)
    lvm = LinearGaussianLVM(W, b, sigma)
    M = W.T @ W + sigma**2 * torch.eye(k, dtype=torch.float64)
    A_star = torch.linalg.solve(M, W.T)  # the exact posterior mean is A* (x - b)
    A = A_star + randn(g, k, d, scale=0.3)
    c = -A_star @ b + randn(g, k, scale=0.3)
    logvar = -torch.log(torch.diagonal(M) / sigma**2) + randn(g, k, scale=0.5)
    x = lvm.sample(n, generator=g).x
    return {
        "W": W.to(dtype),
        "b": b.to(dtype),
        "sigma": sigma,
        "A": A.to(dtype),
        "c": c.to(dtype),
        "logvar": logvar.to(dtype),
        "x": x.to(dtype),
    }


def _gap_variant(kind):
    def wrong(W, b, sigma, A, c, logvar, x):
        lvm = LinearGaussianLVM(W, b, sigma)
        mu = x @ A.T + c
        gaps = inference_gaps(lvm, x, mu, logvar.expand_as(mu))
        if kind == "total":
            return gaps.total
        if kind == "approximation":
            return gaps.approximation
        # q* with the posterior's marginal variances (moment matching) instead of its precisions
        post = lvm.posterior(x)
        marginal = torch.diagonal(post.covariance_matrix, dim1=-2, dim2=-1)
        q_mm = torch.distributions.Independent(
            torch.distributions.Normal(post.loc, marginal.sqrt()), 1
        )
        q_enc = torch.distributions.Independent(
            torch.distributions.Normal(mu, torch.exp(0.5 * logvar).expand_as(mu)), 1
        )
        return lvm.elbo(x, q_mm) - lvm.elbo(x, q_enc)

    return wrong


register(
    Question(
        id="ex04b_amortization_gap",
        kind="derivation",
        hints=(
            "The ELBO gap between two q's is the difference of their KLs to the true posterior, "
            "because log p(x) cancels.",
            "Write KL(q || N(m, Lambda^{-1})) for a diagonal q = N(a, diag s^2) and minimise it: "
            "a = m, and s_j^2 = 1 / Lambda_jj (the precision's diagonal, not the covariance's).",
            "The gap is KL(q_phi || posterior) - KL(q* || posterior): half a Mahalanobis term of "
            "the encoder mean's error in the precision, plus a sum over j of t - 1 - log t with t "
            "= Lambda_jj s_j^2.",
        ),
        reference=_amortization_gap,
        inputs=_gap_inputs,
        mistakes=(
            Mistake(
                _gap_variant("total"),
                "that is the whole gap log p(x) - ELBO(q_phi) = KL(q_phi || p(z|x)); the "
                "amortization gap compares with the best *diagonal* q, not with the posterior",
            ),
            Mistake(
                _gap_variant("approximation"),
                "that is the approximation gap log p(x) - ELBO(q*), which does not depend on "
                "the encoder; the amortization gap is ELBO(q*) - ELBO(q_phi)",
            ),
            Mistake(
                _gap_variant("moments"),
                "your q* copies the posterior's marginal variances; the diagonal q closest in "
                "KL(q || p) matches its precisions: s_j^2 = 1 / Lambda_jj",
            ),
        ),
        rtol=1e-6,
        atol=1e-8,
    )
)


# ---------------------------- an experiment: choose beta so that exactly three units stay active

_VAE_ACTIVE = 3


def _beta_inputs(g, case, suite):
    return {"scale": round(number(g, 0.8, 1.25), 3)}


def _beta_outcome(inputs, value, runs, needed) -> str | None:
    """Train the linear VAE with the settings on ``runs`` fresh seeds, here; None if
    ``needed`` of them keep exactly three active units."""
    problem = settings_problem(value, LinearVAESettings._fields)
    if problem:
        return problem
    try:
        variances = [
            linear_beta_vae(seed, value, inputs["scale"]) for seed in fresh_seeds(inputs, runs)
        ]
    except ValueError as err:
        return f"over the budget: {err}"
    counts = [int((v > 0.01).sum()) for v in variances]
    good = sum(c == _VAE_ACTIVE for c in counts)
    if good >= needed:
        return None
    return (
        f"too few runs kept exactly {_VAE_ACTIVE} active units: {good} of {runs} "
        f"({needed} needed); their active units were {counts} (scale {inputs['scale']:g})"
    )


register(
    Question(
        id="ex04b_beta_collapse",
        kind="experiment",
        hints=(
            "Try a few values of beta and count the active units each time. Which directions "
            "of the data survive a larger beta, the ones of large variance or of small?",
            "A direction of data variance lambda is worth encoding while what it saves in "
            "distortion outweighs beta times its rate; in the linear VAE that is lambda > beta "
            "sigma^2, with sigma^2 = 1 the decoder's variance. The data's variances are scale "
            "times the listed ones.",
            "Pick beta between the third and the fourth largest variance (times scale), well "
            "inside that interval, and give the collapsing units enough steps to die out: "
            "the full step budget at a learning rate under a hundredth, so that the dead "
            "units' means stay below the 0.01 that counts as active.",
        ),
        reference=lambda scale: (1.9 * scale, 1000, 0.007),
        inputs=_beta_inputs,
        outcome=_beta_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(lambda scale: (1.0, 800, 0.02), "too few runs kept exactly 3 active units"),
            Mistake(lambda scale: (20.0, 800, 0.02), "over the budget"),
        ),
    )
)
