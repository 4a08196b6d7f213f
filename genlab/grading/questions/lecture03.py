r"""Questions of exercise 03 (the Gaussian VAE): the closed-form KL term, the Gaussian NLL with a
constant variance (least squares), the Bernoulli NLL from logits, and the per-sample ELBO with
its two terms.

References: :func:`genlab.losses.gaussian_kl`, :func:`genlab.losses.gaussian_nll`,
:func:`genlab.losses.bernoulli_nll`, :func:`genlab.losses.elbo`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import fresh_seeds, settings_problem
from genlab.grading.questions._inputs import dtype_for, number, randn, uniform
from genlab.losses import bernoulli_nll, elbo, gaussian_kl, gaussian_nll
from genlab.vae_objectives import linear_beta_vae

LOG_2PI = math.log(2 * math.pi)

_SHAPES = {
    "visible": ((4, 3), (2, 3, 5), (6, 1)),
    "hidden": ((5, 4), (1, 8), (3, 2, 2), (7, 3), (2, 16), (5, 4)),
}


def _shape(case: int, suite: str) -> tuple[int, ...]:
    shapes = _SHAPES[suite]
    return shapes[case % len(shapes)]


# ------------------------------------------------------------------------------ the KL


def _kl_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    low, high = (-10.0, 5.0) if suite == "hidden" else (-3.0, 2.0)
    return {
        "mu": randn(g, *shape, scale=1.5, dtype=dtype),
        "logvar": uniform(g, *shape, low=low, high=high, dtype=dtype),
    }


def _kl_terms(mu, var, log_var):
    return mu**2 + var - 1.0 - log_var


register(
    Question(
        id="ex03_gaussian_kl",
        kind="transcription",
        hints=(
            "The KL of a diagonal Gaussian to N(0, I) is a sum of independent one-dimensional "
            "KLs, one per latent dimension.",
            "sigma^2 = exp(logvar) and log sigma^2 = logvar itself: no log or sqrt is needed.",
            "One value per sample: one half of a sum over the last dimension of four terms, and "
            "it is 0 when mu = 0 and logvar = 0.",
        ),
        reference=gaussian_kl,
        inputs=_kl_inputs,
        grad_args=("mu", "logvar"),
        mistakes=(
            Mistake(
                lambda mu, lv: -gaussian_kl(mu, lv),
                "the sign is flipped: the slide writes -D_KL (the ELBO's regularization term, "
                "<= 0); the KL itself is >= 0",
            ),
            Mistake(
                lambda mu, lv: 0.5 * _kl_terms(mu, lv.exp(), lv).mean(-1),
                "you averaged over the latent dimensions: the KL of a diagonal Gaussian is a "
                "sum over them",
            ),
            Mistake(
                lambda mu, lv: 0.5 * _kl_terms(mu, lv, torch.log(lv)).sum(-1),
                "logvar is log sigma^2: the variance is exp(logvar), and log sigma^2 is logvar "
                "itself",
            ),
            Mistake(
                lambda mu, lv: 0.5 * _kl_terms(mu, torch.exp(2 * lv), 2 * lv).sum(-1),
                "logvar is log sigma^2, not log sigma: sigma^2 = exp(logvar)",
            ),
            Mistake(
                lambda mu, lv: _kl_terms(mu, lv.exp(), lv).sum(-1),
                "the factor 1/2 is missing",
            ),
            Mistake(
                lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv).sum(-1),
                "the constant -1 per dimension is missing (the KL must be 0 when q = p)",
            ),
            Mistake(
                lambda mu, lv: gaussian_kl(mu, lv).sum(),
                "you summed over the batch too: return one KL per sample, a sum over the last "
                "dimension only",
            ),
        ),
        nan_hint="exp(logvar) is finite and positive for every logvar; no log or sqrt is needed.",
    )
)


# ------------------------------------------------------- Gaussian NLL, constant variance


def _least_squares_nll(x, mu, sigma2):
    logvar = torch.tensor(math.log(sigma2), dtype=x.dtype)
    return gaussian_nll(x, mu, logvar)  # (..., D) -> (...)


def _nll_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    return {
        "x": randn(g, *shape, dtype=dtype),
        "mu": randn(g, *shape, dtype=dtype),
        "sigma2": number(g, 0.05, 2.0),
    }


def _sq(x, mu):
    return ((x - mu) ** 2).sum(-1)


register(
    Question(
        id="ex03_least_squares_nll",
        kind="transcription",
        hints=(
            "With a fixed variance, the Gaussian negative log-likelihood is a scaled squared "
            "error plus a constant.",
            "sigma2 is the variance (not the standard deviation); the constant is D/2 log(2 pi "
            "sigma2) for D coordinates.",
            "Sum over the last dimension: ||x - mu||^2 / (2 sigma2) plus the constant, one value "
            "per sample.",
        ),
        reference=_least_squares_nll,
        inputs=_nll_inputs,
        grad_args=("mu",),
        mistakes=(
            Mistake(
                lambda x, mu, s2: _sq(x, mu) / (2 * s2),
                "the constant D/2 log(2 pi sigma^2) is missing: a training loss may drop it, "
                "a negative log-density keeps it",
            ),
            Mistake(
                lambda x, mu, s2: _sq(x, mu) / (2 * s2) + x.shape[-1] / 2 * math.log(s2),
                "that is the slide's cost, which drops D/2 log(2 pi); keep it, so that the value "
                "is a true negative log-density",
            ),
            Mistake(
                lambda x, mu, s2: (
                    _sq(x, mu) / (2 * s2**2) + x.shape[-1] / 2 * math.log(2 * math.pi * s2**2)
                ),
                "sigma2 is the variance sigma^2, not the standard deviation",
            ),
            Mistake(
                lambda x, mu, s2: _least_squares_nll(x, mu, s2) / x.shape[-1],
                "you averaged over the D coordinates: the pixels are independent given z, so "
                "their negative log-densities add up (sum over the last dimension)",
            ),
            Mistake(
                lambda x, mu, s2: _sq(x, mu) / s2 + x.shape[-1] / 2 * math.log(2 * math.pi * s2),
                "the squared error is divided by 2 sigma^2, not sigma^2",
            ),
        ),
        rtol=1e-6,
    )
)


# ----------------------------------------------------------------- Bernoulli, from logits


def _bernoulli_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    large = case == 2 if suite == "visible" else case in (0, 2, 4, 5)
    x = (torch.rand(shape, generator=g, dtype=torch.float64) < 0.5).to(torch.float64)
    if case % 2 == 1:  # grey levels in [0, 1]
        x = torch.rand(shape, generator=g, dtype=torch.float64)
    logits = randn(g, *shape, scale=20.0 if large else 2.0)
    if large:  # where sigmoid rounds to exactly 0 or 1
        logits.view(-1)[0], logits.view(-1)[-1] = 50.0, -45.0
    return {"x": x.to(dtype), "logits": logits.to(dtype)}


def _naive_bernoulli(x, logits):
    p = torch.sigmoid(logits)
    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(-1)


register(
    Question(
        id="ex03_bernoulli_nll",
        kind="transcription",
        hints=(
            "Logits are log-odds: never turn them into probabilities and take logs, that "
            "overflows for large |logits|.",
            "-log sigmoid(l) = softplus(-l) and -log(1 - sigmoid(l)) = softplus(l).",
            "A sum over the last dimension of x times one softplus plus (1 - x) times the other.",
        ),
        reference=bernoulli_nll,
        inputs=_bernoulli_inputs,
        grad_args=("logits",),
        mistakes=(
            Mistake(
                lambda x, l: -(x * torch.log(l) + (1 - x) * torch.log(1 - l)).sum(-1),
                "`logits` are log-odds, not probabilities: p = sigmoid(logits). Better, work "
                "with the logits directly (F.binary_cross_entropy_with_logits, or softplus)",
            ),
            Mistake(
                lambda x, l: F.binary_cross_entropy_with_logits(l, x),
                "reduction='mean' (the default) averaged over everything: use reduction='none' "
                "and sum over the last dimension",
            ),
            Mistake(
                lambda x, l: F.binary_cross_entropy_with_logits(l, x, reduction="none").mean(-1),
                "you averaged over the pixels: their negative log-probabilities add up (sum over "
                "the last dimension)",
            ),
            Mistake(
                lambda x, l: F.binary_cross_entropy_with_logits(
                    torch.sigmoid(l), x, reduction="none"
                ).sum(-1),
                "binary_cross_entropy_with_logits applies the sigmoid itself: pass the logits, "
                "not sigmoid(logits)",
            ),
            Mistake(
                lambda x, l: F.binary_cross_entropy(torch.sigmoid(l), x, reduction="none").sum(-1),
                "binary_cross_entropy(sigmoid(logits), x) is wrong for large |logits|: sigmoid "
                "rounds to 0 or 1 and torch clamps the log at -100; use "
                "F.binary_cross_entropy_with_logits(logits, x), or softplus",
            ),
            Mistake(
                _naive_bernoulli,
                "log(sigmoid(l)) and log(1 - sigmoid(l)) overflow to inf or NaN for large "
                "|logits|: compute from the logits, log sigmoid(l) = -softplus(-l) and "
                "log(1 - sigmoid(l)) = -softplus(l) (or F.binary_cross_entropy_with_logits)",
            ),
        ),
        nan_hint="Compute from the logits: log sigmoid(l) = -softplus(-l), "
        "log(1 - sigmoid(l)) = -softplus(l).",
    )
)


# --------------------------------------------------------------- the ELBO and its terms


def _elbo(x, mu, logvar, x_hat, sigma2):
    decoder_logvar = torch.tensor(math.log(sigma2), dtype=x.dtype)
    return tuple(elbo(x, mu, logvar, x_hat, "gaussian", decoder_logvar))


def _elbo_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    batch = shape[:-1]
    Z = 2 + case % 2
    return {
        "x": randn(g, *shape, dtype=dtype),
        "mu": randn(g, *batch, Z, dtype=dtype),
        "logvar": uniform(g, *batch, Z, low=-2.0, high=1.0, dtype=dtype),
        "x_hat": randn(g, *shape, dtype=dtype),
        "sigma2": number(g, 0.1, 1.5),
    }


def _elbo_variant(kind):
    def wrong(x, mu, logvar, x_hat, sigma2):
        kl = gaussian_kl(mu, logvar)
        nll = _least_squares_nll(x, x_hat, sigma2)
        if kind == "plus_kl":
            return -nll - kl, kl, -nll
        if kind == "loss":
            return kl + nll, kl, nll
        recon = -_sq(x, x_hat) / (2 * sigma2)  # "no_constant"
        return recon - kl, -kl, recon

    return wrong


register(
    Question(
        id="ex03_elbo",
        kind="transcription",
        hints=(
            "The ELBO is minus the KL plus the reconstruction log-likelihood; the loss is its "
            "negative.",
            "Reuse your two functions: the regularization term is -KL, the reconstruction term is "
            "-NLL of x under N(x_hat, sigma2 I).",
            "Return (regularization + reconstruction, regularization, reconstruction), each of "
            "shape (B,).",
        ),
        reference=_elbo,
        inputs=_elbo_inputs,
        fields=("elbo", "regularization", "reconstruction"),
        grad_args=("mu", "logvar", "x_hat"),
        mistakes=(
            Mistake(
                _elbo_variant("plus_kl"),
                "regularization is -KL(q || p) (<= 0), not +KL; the ELBO is regularization + "
                "reconstruction",
            ),
            Mistake(
                _elbo_variant("loss"),
                "you returned the loss (the negative ELBO) and its terms: the ELBO is "
                "-KL + log p(x | z), so all three change sign",
            ),
            Mistake(
                _elbo_variant("no_constant"),
                "reconstruction: log p(x | z) keeps the constant -D/2 log(2 pi sigma^2), so "
                "that the ELBO bounds a true log-likelihood",
            ),
        ),
        nan_hint="exp(logvar) is finite for every logvar.",
    )
)


# ------------------------------------------------------ the KL between two Gaussians, derived


def _kl_pair_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    low, high = (-6.0, 3.0) if suite == "hidden" else (-2.0, 1.5)
    return {
        "mu_q": randn(g, *shape, scale=1.5, dtype=dtype),
        "logvar_q": uniform(g, *shape, low=low, high=high, dtype=dtype),
        "mu_p": randn(g, *shape, dtype=dtype),
        "logvar_p": uniform(g, *shape, low=-1.5, high=1.5, dtype=dtype),
    }


def _kl_pair_terms(mu_q, lv_q, mu_p, lv_p, *, mean_over=None, log_sign=1.0):
    mean_term = (mu_q - mu_p) ** 2 * (torch.exp(-lv_p) if mean_over is None else mean_over)
    return torch.exp(lv_q - lv_p) + mean_term - 1.0 - log_sign * (lv_q - lv_p)


register(
    Question(
        id="ex03_gaussian_kl_pair",
        kind="derivation",
        hints=(
            "Start from the definition, KL(q || p) = E_q[log q(z) - log p(z)], one latent "
            "dimension at a time: the dimensions are independent, so their KLs add up.",
            "In one dimension, log N(z; m, s^2) = -(z - m)^2 / (2 s^2) - 1/2 log(2 pi s^2), and "
            "under q the only expectation you need is E_q[(z - m)^2] = sigma_q^2 + (mu_q - m)^2, "
            "for m = mu_q and for m = mu_p.",
            "Per dimension: one half of (a variance ratio + a squared mean difference measured "
            "in units of the prior's variance - 1 + a log of a variance ratio); with mu_p = 0 and "
            "logvar_p = 0 it must reduce to question 1.",
        ),
        reference=gaussian_kl,
        inputs=_kl_pair_inputs,
        grad_args=("mu_q", "logvar_q", "mu_p", "logvar_p"),
        mistakes=(
            Mistake(
                lambda mq, lq, mp, lp: gaussian_kl(mp, lp, mq, lq),
                "you computed KL(p || q): the arguments are swapped. The expectation is under q, "
                "the encoder's distribution: KL(q || p) = E_q[log q - log p]",
            ),
            Mistake(
                lambda mq, lq, mp, lp: 0.5 * _kl_pair_terms(mq, lq, mp, lp, mean_over=1.0).sum(-1),
                "the squared mean difference must be divided by the prior's variance "
                "sigma_p^2: E_q[(z - mu_p)^2] / sigma_p^2 = (sigma_q^2 + (mu_q - mu_p)^2) / "
                "sigma_p^2 (question 1 had sigma_p^2 = 1)",
            ),
            Mistake(
                lambda mq, lq, mp, lp: 0.5 * _kl_pair_terms(mq, lq, mp, lp, log_sign=-1.0).sum(-1),
                "the log term has the wrong sign: E_q[log q] brings -1/2 log sigma_q^2 and "
                "-E_q[log p] brings +1/2 log sigma_p^2, so the term is +1/2 log(sigma_p^2 / "
                "sigma_q^2) = (logvar_p - logvar_q) / 2",
            ),
            Mistake(
                lambda mq, lq, mp, lp: (
                    0.5 * (torch.exp(lq) + (mq - mp) ** 2 - 1.0 - lq).sum(-1)
                    - 0.5 * (torch.exp(lp) + mp**2 - 1.0 - lp).sum(-1)
                ),
                "KL(q || p) is not KL(q || N(0, I)) - KL(p || N(0, I)): derive it from "
                "E_q[log q - log p] directly",
            ),
            Mistake(
                lambda mq, lq, mp, lp: 0.5 * _kl_pair_terms(mq, lq, mp, lp).mean(-1),
                "you averaged over the latent dimensions: the KLs of independent dimensions add "
                "up (sum over the last dimension)",
            ),
        ),
        nan_hint="exp(logvar) is finite and positive for every logvar; no log or sqrt is needed.",
    )
)


# ------------------- an experiment: choose the decoder's variance so that three units stay active

_ACTIVE = 3
_BUDGET = (10.0, 1000, 0.1)  # decoder variance, steps, learning rate


def _variance_inputs(g, case, suite):
    return {"scale": round(number(g, 0.8, 1.25), 3)}


def _variance_outcome(inputs, value, runs, needed) -> str | None:
    """Train the linear VAE (beta = 1) with the decoder variance and schedule on ``runs``
    fresh seeds, here; None if ``needed`` of them keep exactly three active units."""
    fields = ("decoder_variance", "steps", "lr")
    problem = settings_problem(value, fields)
    if problem:
        return problem
    for name, v, cap in zip(fields, value, _BUDGET, strict=True):
        if not 0 < v <= cap:
            return f"over the budget: {name} must be in (0, {cap:g}]; got {v!r}"
    sigma2, steps, lr = value
    counts = [
        int((linear_beta_vae(seed, (1.0, steps, lr), inputs["scale"], sigma2) > 0.01).sum())
        for seed in fresh_seeds(inputs, runs)
    ]
    good = sum(c == _ACTIVE for c in counts)
    if good >= needed:
        return None
    return (
        f"too few runs kept exactly {_ACTIVE} active units: {good} of {runs} ({needed} "
        f"needed); their active units were {counts} (scale {inputs['scale']:g})"
    )


register(
    Question(
        id="ex03_decoder_variance",
        kind="experiment",
        hints=(
            "Try a few decoder variances and count the active units each time: does a larger "
            "sigma^2 make the model use more of its latent space, or less? (Written question 2 "
            "asks why.)",
            "The distortion is the squared error divided by 2 sigma^2, the rate is unchanged: a "
            "direction of data variance lambda is worth encoding while lambda > sigma^2 (with "
            "beta = 1). The data's variances are scale times the listed ones.",
            "Pick sigma^2 between the third and the fourth largest variance (times scale), well "
            "inside that interval, with the full step budget at a learning rate under a "
            "hundredth: a larger one keeps jittering the dead units' means above the 0.01 "
            "that counts as active.",
        ),
        reference=lambda scale: (1.9 * scale, 1000, 0.007),
        inputs=_variance_inputs,
        outcome=_variance_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(lambda scale: (0.01, 800, 0.02), "too few runs kept exactly 3 active units"),
            Mistake(lambda scale: (1.9, 5000, 0.02), "over the budget"),
        ),
    )
)
