r"""Questions of exercise 02 (gradients of expectations): the reparameterized draw, the
score-function and pathwise estimators of :math:`\nabla_{\mu, \log\sigma^2}
\mathbb E_{\mathcal N(\mu, \sigma^2)}[f(z)]` from given noise :math:`\epsilon`, and the
statistics of repeated estimates.

References: :func:`genlab.losses.reparameterize`; the two estimators are the ones of
:func:`genlab.losses.score_function_grad` and :func:`genlab.losses.reparam_grad`, written for
explicit noise (``tests/test_grading.py`` checks that they agree on the same draws).
"""

from __future__ import annotations

import torch

from genlab.estimators import optimal_baseline
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.protocol import TEST_FUNCTIONS
from genlab.grading.questions._inputs import dtype_for, randn, uniform
from genlab.losses import reparameterize

_SHAPES = {
    "visible": ((4, 3), (2, 3, 2), (5,)),
    "hidden": ((3,), (2, 2), (6, 1), (1,), (3, 4), (4, 2)),
}


def _shape(case: int, suite: str) -> tuple[int, ...]:
    shapes = _SHAPES[suite]
    return shapes[case % len(shapes)]


# ------------------------------------------------------------------ z = mu + sigma * eps


def _reparam_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    low, high = (-8.0, 4.0) if suite == "hidden" else (-3.0, 2.0)
    return {
        "mu": randn(g, *shape, dtype=dtype),
        "logvar": uniform(g, *shape, low=low, high=high, dtype=dtype),
        "eps": randn(g, *shape, dtype=dtype),
    }


register(
    Question(
        id="ex02_reparameterize",
        kind="transcription",
        hints=(
            "A draw of N(mu, sigma^2) is a shifted and scaled standard-normal draw.",
            "sigma = exp(logvar / 2): half the log-variance, exponentiated.",
            "One line, elementwise in mu, logvar and eps, with no new random numbers.",
        ),
        reference=reparameterize,
        inputs=_reparam_inputs,
        grad_args=("mu", "logvar"),
        mistakes=(
            Mistake(
                lambda mu, logvar, eps: mu + torch.exp(logvar) * eps,
                "sigma = exp(logvar / 2): you multiplied eps by the variance exp(logvar)",
            ),
            Mistake(
                lambda mu, logvar, eps: mu + logvar * eps,
                "logvar is log sigma^2, not sigma: sigma = exp(logvar / 2)",
            ),
            Mistake(
                lambda mu, logvar, eps: mu + torch.sqrt(logvar) * eps,
                "logvar is log sigma^2, so sqrt(logvar) is not sigma (and is NaN for negative "
                "logvar): sigma = exp(logvar / 2)",
            ),
            Mistake(
                lambda mu, logvar, eps: mu + torch.exp(-0.5 * logvar) * eps,
                "the sign of the exponent: sigma = exp(+logvar / 2)",
            ),
            Mistake(
                lambda mu, logvar, eps: torch.exp(0.5 * logvar) * eps,
                "mu is missing: z = mu + sigma * eps",
            ),
            Mistake(
                lambda mu, logvar, eps: mu * torch.exp(0.5 * logvar) + eps,
                "z = mu + sigma * eps: mu is added, sigma multiplies eps",
            ),
        ),
        nan_hint="sigma = exp(logvar / 2) is finite for every logvar.",
    )
)


# --------------------------------------------------------------------- the two estimators


def _score_function(f, mu, logvar, eps):
    var = torch.exp(logvar)
    z = reparameterize(mu.expand_as(eps), logvar.expand_as(eps), eps)  # (L, ...)
    fz = f(z)
    score_mu = (z - mu) / var  # d log q / d mu
    score_logvar = 0.5 * ((z - mu) ** 2 / var - 1.0)  # d log q / d logvar
    return (fz * score_mu).mean(0), (fz * score_logvar).mean(0)  # (L, ...) -> (...)


def _pathwise(f, mu, logvar, eps):
    with torch.enable_grad():
        mu = mu.detach().requires_grad_(True)
        logvar = logvar.detach().requires_grad_(True)
        z = reparameterize(mu.expand_as(eps), logvar.expand_as(eps), eps)  # (L, ...)
        # average over the L samples, sum over elements: each element gets its own gradient
        grad_mu, grad_logvar = torch.autograd.grad(f(z).mean(0).sum(), (mu, logvar))
    return grad_mu, grad_logvar


_FUNCTIONS = tuple(TEST_FUNCTIONS.values())


def _estimator_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    L = (7, 1, 20, 3, 12, 5)[case % 6] if suite == "hidden" else (10, 4, 6)[case % 3]
    if dtype == torch.float32:
        L = 5
    return {
        "f": _FUNCTIONS[(case + (1 if suite == "hidden" else 0)) % len(_FUNCTIONS)],
        "mu": randn(g, *shape, dtype=dtype),
        "logvar": uniform(g, *shape, low=-2.0, high=0.5, dtype=dtype),
        "eps": randn(g, L, *shape, dtype=dtype),
    }


def _score_variant(kind):
    def wrong(f, mu, logvar, eps):
        var, std = torch.exp(logvar), torch.exp(0.5 * logvar)
        z = mu + std * eps
        fz = f(eps if kind == "f_of_eps" else z)
        if kind == "no_f":
            fz = torch.ones_like(fz)
        score_mu = (z - mu) / (std if kind == "mu_sigma" else var)
        score_logvar = {
            "half": (z - mu) ** 2 / var - 1.0,
            "sigma": (z - mu) ** 2 / std**3 - 1.0 / std,
            "variance": 0.5 * ((z - mu) ** 2 / var**2 - 1.0 / var),
        }.get(kind, 0.5 * ((z - mu) ** 2 / var - 1.0))
        reduce = (lambda t: t.sum(0)) if kind == "sum" else (lambda t: t.mean(0))
        return reduce(fz * score_mu), reduce(fz * score_logvar)

    return wrong


register(
    Question(
        id="ex02_score_function",
        kind="transcription",
        hints=(
            "The score-function estimator multiplies the function's value by the gradient of log "
            "q at the same sample; it never differentiates f.",
            "Rebuild z from eps, then evaluate f(z) and both scores (z - mu)/sigma^2 and ((z - "
            "mu)^2/sigma^2 - 1)/2 at every sample.",
            "Two tensors of mu's shape: each a mean over the L samples (the first dimension) of "
            "f(z) times a score.",
        ),
        reference=_score_function,
        inputs=_estimator_inputs,
        fields=("grad_mu", "grad_logvar"),
        mistakes=(
            Mistake(
                _score_variant("half"),
                "grad_logvar: d log q / d logvar = 1/2 ((z - mu)^2 / sigma^2 - 1); the 1/2 is "
                "missing",
            ),
            Mistake(
                _score_variant("sigma"),
                "grad_logvar: you differentiated with respect to sigma; the parameter is "
                "logvar = log sigma^2, and d log q / d logvar = 1/2 ((z - mu)^2 / sigma^2 - 1)",
            ),
            Mistake(
                _score_variant("variance"),
                "grad_logvar: you differentiated with respect to the variance sigma^2; the "
                "parameter is logvar = log sigma^2, and d log q / d logvar = "
                "1/2 ((z - mu)^2 / sigma^2 - 1)",
            ),
            Mistake(
                _score_variant("mu_sigma"),
                "grad_mu: d log q / d mu = (z - mu) / sigma^2, not (z - mu) / sigma",
            ),
            Mistake(
                _score_variant("sum"),
                "you summed over the L samples (dim 0); the estimator averages them",
            ),
            Mistake(
                _score_variant("f_of_eps"),
                "f must be evaluated at the samples z = mu + sigma * eps, not at eps",
            ),
            Mistake(
                _score_variant("no_f"),
                "f(z) is missing: the estimator averages f(z) times the score",
            ),
        ),
        rtol=1e-6,
        atol=1e-9,
    )
)


def _pathwise_variant(kind):
    def wrong(f, mu, logvar, eps):
        with torch.enable_grad():
            mu = mu.detach().requires_grad_(True)
            logvar = logvar.detach().requires_grad_(True)
            std = torch.exp(logvar) if kind == "variance" else torch.exp(0.5 * logvar)
            if kind == "detached":
                std = std.detach()
            fz = f(mu + std * eps)
            total = {"mean_all": fz.mean(), "sum": fz.sum()}.get(kind, fz.mean(0).sum())
            grads = torch.autograd.grad(total, (mu, logvar), allow_unused=True)
        return tuple(torch.zeros_like(mu) if g is None else g for g in grads)

    return wrong


register(
    Question(
        id="ex02_pathwise",
        kind="transcription",
        hints=(
            "After reparameterization the randomness is in eps only, so the gradient can go "
            "inside the expectation and autograd can compute it.",
            "Make fresh leaves of mu and logvar that require a gradient, build z from eps, and "
            "differentiate the sum over elements of the mean over samples of f(z).",
            "torch.autograd.grad returns the pair (grad_mu, grad_logvar), each of mu's shape.",
        ),
        reference=_pathwise,
        inputs=_estimator_inputs,
        fields=("grad_mu", "grad_logvar"),
        mistakes=(
            Mistake(
                _pathwise_variant("mean_all"),
                "you averaged over the elements of mu too (f(z).mean()): average over the L "
                "samples only, then sum, f(z).mean(0).sum(), so each element gets its own gradient",
            ),
            Mistake(
                _pathwise_variant("sum"),
                "you summed over the L samples (dim 0); the estimator averages them",
            ),
            Mistake(
                _pathwise_variant("variance"),
                "sigma = exp(logvar / 2): you used the variance exp(logvar) in "
                "z = mu + sigma * eps",
            ),
            Mistake(
                _pathwise_variant("detached"),
                "grad_logvar is zero: the path from logvar to z is cut (.detach() or "
                "torch.no_grad()?); z = mu + exp(logvar / 2) * eps must stay differentiable",
            ),
        ),
        rtol=1e-6,
        atol=1e-9,
    )
)


# ------------------------------------------------------------- statistics of estimates


def _estimator_stats(estimates):
    R = estimates.shape[0]
    variance = estimates.var(0)  # unbiased: divides by R - 1
    return estimates.mean(0), variance, torch.sqrt(variance / R)


def _stats_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    R = (50, 200, 7, 1000, 30, 64)[case % 6] if suite == "hidden" else (100, 40, 12)[case % 3]
    return {"estimates": randn(g, R, *shape, scale=2.0, dtype=dtype) + 0.5}


def _stats_variant(kind):
    def wrong(estimates):
        R = estimates.shape[0]
        var = estimates.var(0, correction=0 if kind == "biased" else 1)
        se = {
            "std": var.sqrt(),
            "no_sqrt": var / R,
            "over_R": var.sqrt() / R,
        }.get(kind, torch.sqrt(var / R))
        return estimates.mean(0), var, se

    return wrong


register(
    Question(
        id="ex02_estimator_stats",
        kind="transcription",
        hints=(
            "The R estimates are independent draws of one estimator: summarise them along the "
            "first dimension.",
            "The unbiased variance divides by R - 1 (torch.var's default); the standard error is "
            "the spread of the mean of R draws.",
            "Three tensors of shape estimates.shape[1:]: mean, variance, and sqrt(variance / R).",
        ),
        reference=_estimator_stats,
        inputs=_stats_inputs,
        fields=("mean", "variance", "standard_error"),
        mistakes=(
            Mistake(
                _stats_variant("biased"),
                "variance: the unbiased variance of R estimates divides by R - 1 (torch's "
                "default .var(0)), not by R",
            ),
            Mistake(
                _stats_variant("std"),
                "standard_error: that is the standard deviation of one estimate; the standard "
                "error of their mean is sqrt(variance / R)",
            ),
            Mistake(
                _stats_variant("no_sqrt"),
                "standard_error: the square root is missing, sqrt(variance / R)",
            ),
            Mistake(
                _stats_variant("over_R"),
                "standard_error: divide the standard deviation by sqrt(R), not by R",
            ),
        ),
    )
)


# ----------------------------------------------------- the variance-optimal baseline, derived


def _left_out(weights, values):
    """Per sample l, sum_j w_j v_j / sum_j w_j over the other samples j != l: (L, ...)."""
    wv = weights * values
    return (wv.sum(0) - wv) / (weights.sum(0) - weights)


def _baseline_variant(kind):
    """The score-function estimator with the baseline of a plausible wrong derivation; each
    sample's baseline from the other samples (leave-one-out), except in "all_samples"."""

    def estimate(f, mu, logvar, eps):
        var = torch.exp(logvar)
        z = reparameterize(mu.expand_as(eps), logvar.expand_as(eps), eps)  # (L, ...)
        fz = f(z)
        scores = ((z - mu) / var, 0.5 * ((z - mu) ** 2 / var - 1.0))  # d log q / d(mu, logvar)
        grads = []
        for s in scores:
            b = {
                "optimal": lambda s: optimal_baseline(fz, s, leave_one_out=True),
                "all_samples": lambda s: optimal_baseline(fz, s),
                "mean_f": lambda s: _left_out(torch.ones_like(fz), fz),
                "slope": lambda s: _left_out(s**2, fz / s),  # sum f s / sum s^2
                "shared": lambda s: optimal_baseline(fz, scores[0], leave_one_out=True),
                "unsquared": lambda s: _left_out(s.abs(), fz),
                "none": lambda s: 0.0,
            }[kind](s)
            grads.append(((fz - b) * s).mean(0))  # (L, ...) -> (...)
        return tuple(grads)

    return estimate


def _baseline_inputs(g, case, suite):
    inputs = _estimator_inputs(g, case, suite)
    L = (9, 4, 16, 6, 25, 5)[case % 6] if suite == "hidden" else (12, 5, 8)[case % 3]
    inputs["eps"] = randn(g, L, *inputs["mu"].shape, dtype=inputs["mu"].dtype)
    return inputs


register(
    Question(
        id="ex02_optimal_baseline",
        kind="derivation",
        hints=(
            "A constant b leaves the estimator unbiased because E[s] = 0 for a score s. So among "
            "all constants, pick the one that makes the variance of one sample's term (f - b) s "
            "smallest; each parameter has its own score, so its own b.",
            "Write Var[(f - b) s] = E[(f - b)^2 s^2] - (E[(f - b) s])^2. The second term does not "
            "depend on b (E[s] = 0); differentiate the first with respect to b and set it to 0.",
            "The optimal b is a ratio of two expectations, a weighted average of f whose weights "
            "come from the score. For sample l, estimate both expectations from the other L - 1 "
            "samples (a sum over all minus sample l's own term), then average (f - b) s.",
        ),
        reference=_baseline_variant("optimal"),
        inputs=_baseline_inputs,
        fields=("grad_mu", "grad_logvar"),
        mistakes=(
            Mistake(
                _baseline_variant("mean_f"),
                "b = the mean of f(z) is the usual baseline, but not the variance-optimal one: "
                "minimising E[(f - b)^2 s^2] over b weights f by s^2, b* = E[f s^2] / E[s^2]",
            ),
            Mistake(
                _baseline_variant("slope"),
                "E[f s] / E[s^2] is the slope of f regressed on s (the coefficient of s as a "
                "control variate), not the baseline: the variance of (f - b) s is minimised by "
                "b* = E[f s^2] / E[s^2]",
            ),
            Mistake(
                _baseline_variant("shared"),
                "grad_logvar: you used the baseline of mu for logvar too; each parameter has its "
                "own score s, so its own b* = E[f s^2] / E[s^2]",
            ),
            Mistake(
                _baseline_variant("unsquared"),
                "the weights of f in b* are s^2, not |s|: differentiate E[(f - b)^2 s^2] in b",
            ),
            Mistake(
                _baseline_variant("all_samples"),
                "b* is right, but each sample's baseline must leave that sample out: estimated "
                "from all L samples it depends on sample l and biases the estimate",
            ),
            Mistake(
                _baseline_variant("none"),
                "that is the plain score-function estimator of question 2: subtract the "
                "variance-optimal baseline from f(z) first",
            ),
        ),
        rtol=1e-6,
        atol=1e-9,
    )
)
