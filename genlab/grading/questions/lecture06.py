r"""Questions of exercise 06 (the optimal discriminator and the JSD): :math:`D^*` of two
Gaussians from log-densities, the game value :math:`V(D, G)` of distributions on :math:`K`
points, their Jensen-Shannon divergence, and the value at the optimal discriminator,
:math:`2\,\mathrm{JSD} - \log 4`.

References: :func:`genlab.theory.optimal_discriminator`, :func:`genlab.theory.
discrete_gan_value`, and the pointwise integrands of the ``jensen_shannon`` and ``gan`` rows of
:data:`genlab.divergences.F_DIVERGENCES` (the ``gan`` row's :math:`D_f` is
:math:`2\,\mathrm{JSD} - \log 4`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.distributions import Normal

from genlab.divergences import get_divergence
from genlab.gan.experiments import DiscriminatorSettings, fit_discriminator_1d
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import fresh_seeds, settings_problem
from genlab.grading.questions._inputs import dtype_for, number, randn, uniform
from genlab.optima import weighted_optimal_discriminator
from genlab.theory import discrete_gan_value, optimal_discriminator

LOG4 = math.log(4.0)


# ------------------------------------------------------------------ D* of two Gaussians


def _optimal_d(x, mu_data, sigma_data, mu_g, sigma_g):
    p_data = Normal(x.new_tensor(mu_data), x.new_tensor(sigma_data))
    p_g = Normal(x.new_tensor(mu_g), x.new_tensor(sigma_g))
    return optimal_discriminator(p_data, p_g)(x)


def _d_inputs(g, case, suite):
    n = (7, 5, 9)[case % 3] if suite == "visible" else (6, 4, 8, 5, 10, 7)[case]
    x = randn(g, n, scale=2.5)
    x[0] = (60.0, -45.0, 80.0)[case % 3]  # far from both: both densities underflow to 0
    sigma_data = number(g, 0.5, 1.5)
    return {
        "x": x.to(dtype_for(case, suite)),
        "mu_data": number(g, -1.5, 1.5),
        "sigma_data": sigma_data,
        "mu_g": number(g, -1.5, 1.5),
        "sigma_g": sigma_data * number(g, 1.3, 2.5),  # never equal: the constants matter
    }


def _densities(x, mu_data, sigma_data, mu_g, sigma_g):
    def density(mu, s):
        return torch.exp(-((x - mu) ** 2) / (2 * s**2)) / (s * math.sqrt(2 * math.pi))

    return density(mu_data, sigma_data), density(mu_g, sigma_g)


def _logit(x, mu_data, sigma_data, mu_g, sigma_g):
    p_data = Normal(x.new_tensor(mu_data), x.new_tensor(sigma_data))
    p_g = Normal(x.new_tensor(mu_g), x.new_tensor(sigma_g))
    return p_data.log_prob(x) - p_g.log_prob(x)


def _d_variant(kind):
    def wrong(x, mu_data, sigma_data, mu_g, sigma_g):
        args = (x, mu_data, sigma_data, mu_g, sigma_g)
        if kind == "naive":
            p, q = _densities(*args)
            return p / (p + q)
        if kind == "swapped":
            return 1 - _optimal_d(*args)
        if kind == "logit":
            return _logit(*args)
        if kind == "ratio":
            return torch.exp(_logit(*args))
        if kind == "unnormalized":
            return torch.sigmoid(
                -((x - mu_data) ** 2) / (2 * sigma_data**2) + (x - mu_g) ** 2 / (2 * sigma_g**2)
            )
        # "variance": sigma read as a variance
        return _optimal_d(x, mu_data, math.sqrt(sigma_data), mu_g, math.sqrt(sigma_g))

    return wrong


register(
    Question(
        id="ex06_optimal_discriminator",
        kind="transcription",
        hints=(
            "D* = p/(p + q) is a sigmoid of the log-density ratio; working in logs avoids 0/0 far "
            "in the tails.",
            "Write each Gaussian log-density with its -log sigma (the constant 1/2 log 2 pi "
            "cancels in the difference).",
            "Elementwise in x: sigmoid(log p_data(x) - log p_G(x)).",
        ),
        reference=_optimal_d,
        inputs=_d_inputs,
        mistakes=(
            Mistake(
                _d_variant("swapped"),
                "that is 1 - D*: D*(x) is the probability that x is real, "
                "p_data(x) / (p_data(x) + p_g(x))",
            ),
            Mistake(
                _d_variant("logit"),
                "that is the logit log p_data(x) - log p_g(x); D* = sigmoid(logit)",
            ),
            Mistake(
                _d_variant("ratio"),
                "that is the density ratio p_data / p_g; D* = p_data / (p_data + p_g) = "
                "sigmoid(log p_data - log p_g)",
            ),
            Mistake(
                _d_variant("unnormalized"),
                "the normalising constants 1 / (sigma sqrt(2 pi)) do not cancel when "
                "sigma_data != sigma_g: keep -log sigma in each log-density",
            ),
            Mistake(
                _d_variant("variance"),
                "sigma_data and sigma_g are standard deviations, not variances",
            ),
            Mistake(
                _d_variant("naive"),
                "far from both means the densities underflow to 0 and p / (p + q) is 0 / 0 = "
                "NaN: work with log-densities, D* = sigmoid(log p_data(x) - log p_g(x))",
            ),
        ),
        nan_hint="The densities underflow far from the means: use D* = sigmoid(log p_data - "
        "log p_g) with the log-densities written out.",
    )
)


# --------------------------------------------------------- distributions on K points


def _simplex(g, *shape, zeros: int = 0, dtype=torch.float64):
    """Random probability vectors ``(..., K)``; ``zeros`` entries of each set to exactly 0."""
    w = uniform(g, *shape, low=0.05, high=1.0)
    if zeros:
        w[..., :zeros] = 0.0
        w = w[..., torch.randperm(shape[-1], generator=g)]
    return (w / w.sum(-1, keepdim=True)).to(dtype)


def _shape(case, suite):
    shapes = {"visible": ((5,), (3, 6), (8,)), "hidden": ((4,), (2, 7), (9,), (3, 3), (6,), (2, 5))}
    return shapes[suite][case % len(shapes[suite])]


def _value_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    logits = randn(g, *shape, scale=2.0)
    if case % 3 == 1:  # a confident D: sigmoid rounds to 1 (float64) or 0
        logits[..., 0], logits[..., -1] = 40.0, -800.0
    return {
        "p_data": _simplex(g, *shape, dtype=dtype),
        "p_g": _simplex(g, *shape, dtype=dtype),
        "logits": logits.to(dtype),
    }


def _value_variant(kind):
    def wrong(p_data, p_g, logits):
        log_d, log_1md = F.logsigmoid(logits), F.logsigmoid(-logits)
        if kind == "naive":
            d = torch.sigmoid(logits)
            log_d, log_1md = torch.log(d), torch.log(1 - d)
        if kind == "probabilities":
            log_d, log_1md = torch.log(logits), torch.log(1 - logits)
        if kind == "mean":
            return (p_data * log_d + p_g * log_1md).mean(-1)
        if kind == "unweighted":
            return (log_d + log_1md).mean(-1)
        if kind == "swapped":
            return (p_g * log_d + p_data * log_1md).sum(-1)
        if kind == "log_d_twice":
            return (p_data * log_d + p_g * log_d).sum(-1)
        return (p_data * log_d + p_g * log_1md).sum(-1)

    return wrong


register(
    Question(
        id="ex06_game_value",
        kind="transcription",
        hints=(
            "V is an expectation under p_data of log D plus an expectation under p_G of log(1 - "
            "D), over K points.",
            "log D = logsigmoid(l) and log(1 - D) = logsigmoid(-l): no log of a rounded "
            "probability.",
            "A sum over the last dimension of the two weighted terms, shape (...).",
        ),
        reference=discrete_gan_value,
        inputs=_value_inputs,
        grad_args=("logits",),
        mistakes=(
            Mistake(
                _value_variant("mean"),
                "an expectation under p_data is the sum over the K points weighted by p_data, "
                "sum_k p_data[k] log D_k; do not also average over the points",
            ),
            Mistake(
                _value_variant("unweighted"),
                "each term is weighted by its probability: "
                "V = sum_k p_data[k] log D_k + p_g[k] log(1 - D_k)",
            ),
            Mistake(
                _value_variant("swapped"),
                "p_data and p_g are swapped: log D is averaged under the data, log(1 - D) "
                "under the generator",
            ),
            Mistake(
                _value_variant("log_d_twice"),
                "the generator's term is log(1 - D), not log D",
            ),
            Mistake(
                lambda p, q, l: -discrete_gan_value(p, q, l),
                "that is J_D = -V; the question asks for the value V(D, G) itself",
            ),
            Mistake(
                _value_variant("probabilities"),
                "`logits` are logits, not probabilities: D = sigmoid(logits)",
            ),
            Mistake(
                _value_variant("naive"),
                "log(sigmoid(l)) and log(1 - sigmoid(l)) become log 0 = -inf when sigmoid rounds "
                "to 0 or 1: use log D = logsigmoid(l), log(1 - D) = logsigmoid(-l)",
            ),
        ),
        nan_hint="log D = logsigmoid(l) and log(1 - D) = logsigmoid(-l) are finite for every "
        "logit.",
    )
)


# --------------------------------------------------------------------------------- the JSD

_JS = get_divergence("jensen_shannon")
_GAN = get_divergence("gan")


def _jsd(p, q):
    return _JS.integrand(p, q).sum(-1)  # (..., K) -> (...)


def _pair_inputs(g, case, suite):
    """p and q with zeros: in p only, in q only, and (in some cases) in both."""
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    K = shape[-1]
    w_p = uniform(g, *shape, low=0.05, high=1.0)
    w_q = uniform(g, *shape, low=0.05, high=1.0)
    if case % 3 != 2:  # a point without data and one the generator misses
        w_p[..., 0], w_q[..., K - 1] = 0.0, 0.0
    if case % 3 == 1:  # and a point neither puts mass on
        w_p[..., 1], w_q[..., 1] = 0.0, 0.0
    p = w_p / w_p.sum(-1, keepdim=True)
    q = w_q / w_q.sum(-1, keepdim=True)
    return {"p_data": p.to(dtype), "p_g": q.to(dtype)}


def _xlogy(x, y):
    return torch.where(x > 0, x * torch.log(y), torch.zeros_like(x))


def _kl(p, q):
    return (_xlogy(p, p) - _xlogy(p, q)).sum(-1)


def _jsd_variant(kind):
    def wrong(p, q):
        m = p + q if kind == "no_half_m" else (p + q) / 2
        if kind == "kl":
            return _kl(p, q)
        if kind == "naive":
            return 0.5 * (p * torch.log(p / m)).sum(-1) + 0.5 * (q * torch.log(q / m)).sum(-1)
        if kind == "one_term":
            return 0.5 * _kl(p, m)
        value = 0.5 * _kl(p, m) + 0.5 * _kl(q, m)
        if kind == "no_half":
            return 2 * value
        if kind == "bits":
            return value / math.log(2)
        return value  # "no_half_m"

    return wrong


register(
    Question(
        id="ex06_jsd",
        kind="transcription",
        hints=(
            "JSD averages the KLs of p and q to their mixture m.",
            "xlogy (torch.special) gives p log(p / m) = 0 where p = 0; points where both are "
            "0 must add nothing.",
            "One value per row: half the sum of two KL sums over the last dimension, between 0 "
            "and log 2.",
        ),
        reference=_jsd,
        inputs=_pair_inputs,
        mistakes=(
            Mistake(
                _jsd_variant("kl"),
                "that is KL(p_data || p_g); the JSD compares each with the mixture "
                "m = (p_data + p_g) / 2",
            ),
            Mistake(
                _jsd_variant("no_half_m"),
                "the mixture is m = (p_data + p_g) / 2, an average",
            ),
            Mistake(
                _jsd_variant("no_half"),
                "that is 2 JSD: JSD = 1/2 KL(p_data || m) + 1/2 KL(p_g || m)",
            ),
            Mistake(
                _jsd_variant("one_term"),
                "the second half, 1/2 KL(p_g || m), is missing",
            ),
            Mistake(
                _jsd_variant("bits"),
                "that is the JSD in bits (log2); work in nats (natural log), where it is at "
                "most log 2",
            ),
            Mistake(
                _jsd_variant("naive"),
                "a point where p_data (or p_g) is 0 adds 0 log 0 = 0, but computed as written "
                "it is 0 * log 0 = NaN: skip those terms (torch.where, or torch.special.xlogy)",
            ),
        ),
        nan_hint="0 log 0 = 0: a point without mass adds nothing (torch.special.xlogy(p, p / m), "
        "or torch.where).",
    )
)


# ------------------------------------------------------------ the value at the optimum


def _value_at_optimum(p_data, p_g):
    return _GAN.integrand(p_data, p_g).sum(-1)  # D_f of the GAN row: 2 JSD - log 4


def _optimum_variant(kind):
    def wrong(p, q):
        if kind == "naive":
            d = p / (p + q)
            return (p * torch.log(d) + q * torch.log(1 - d)).sum(-1)
        if kind == "swapped":  # 1 - D* plugged in: q / (p + q) where D* belongs
            m = p + q
            one_minus_d = torch.where(m > 0, q / m, m)
            return (_xlogy(p, one_minus_d) + _xlogy(q, 1 - one_minus_d)).sum(-1)
        jsd = _jsd(p, q)
        return {"no_log4": 2 * jsd, "no_two": jsd - LOG4, "log2": 2 * jsd - math.log(2)}[kind]

    return wrong


register(
    Question(
        id="ex06_value_at_optimum",
        kind="transcription",
        hints=(
            "At the optimal discriminator the game's value is a divergence between p_data and "
            "p_G, up to a constant.",
            "Either plug D* into V using xlogy for the zero-probability points, or use V(D*, G) = "
            "2 JSD - log 4 with your jsd.",
            "Shape (...), between -log 4 and 0.",
        ),
        reference=_value_at_optimum,
        inputs=_pair_inputs,
        mistakes=(
            Mistake(
                _optimum_variant("swapped"),
                "you plugged in 1 - D*: D*(x) = p_data / (p_data + p_g) is the probability that "
                "x is real",
            ),
            Mistake(
                _optimum_variant("no_log4"),
                "V(D*, G) = 2 JSD - log 4: the -log 4 is missing (it is the value where "
                "p_g = p_data and D* = 1/2 everywhere)",
            ),
            Mistake(
                _optimum_variant("no_two"),
                "V(D*, G) = 2 JSD - log 4: the factor 2 is missing",
            ),
            Mistake(
                _optimum_variant("log2"),
                "V(D*, G) = 2 JSD - log 4, not - log 2 (at p_g = p_data it is 2 log(1/2))",
            ),
            Mistake(
                _optimum_variant("naive"),
                "where p_g = 0 (or p_data = 0) D* is exactly 1 (or 0), and p_g log(1 - D*) is "
                "0 * log 0 = NaN; such a point adds 0 (and where both are 0, D* is undefined "
                "and adds nothing): skip zero weights (torch.where, torch.special.xlogy)",
            ),
        ),
        nan_hint="A point where p_data or p_g is 0 adds 0 log 0 = 0 (torch.special.xlogy, or "
        "torch.where).",
    )
)


# ------------------------------------------ D* of a batch with unequal real and fake counts


def _log_densities(x, mu_data, sigma_data, mu_g, sigma_g):
    p_data = Normal(x.new_tensor(mu_data), x.new_tensor(sigma_data))
    p_g = Normal(x.new_tensor(mu_g), x.new_tensor(sigma_g))
    return p_data.log_prob(x), p_g.log_prob(x)


def _weighted_d(x, mu_data, sigma_data, mu_g, sigma_g, n_real, n_fake):
    log_p, log_q = _log_densities(x, mu_data, sigma_data, mu_g, sigma_g)
    return weighted_optimal_discriminator(log_p, log_q, real_weight=n_real, fake_weight=n_fake)


def _weighted_inputs(g, case, suite):
    inputs = _d_inputs(g, case, suite)
    n_real = int(number(g, 8, 64))
    return {**inputs, "n_real": n_real, "n_fake": n_real * (2, 3, 4, 5, 2, 6)[case % 6]}


register(
    Question(
        id="ex06_weighted_optimal_discriminator",
        kind="derivation",
        hints=(
            "Redo the derivation of D* for this loss: write its expectation as one integral over "
            "x, and minimise the integrand separately at every x.",
            "With the batch mean over B + B' samples, the real term carries weight B/(B + B') "
            "and the fake term B'/(B + B'); at one x the integrand is -(w_r p log D + w_f q "
            "log(1 - D)), whose derivative in D vanishes at one point.",
            "D* is p weighted by B over (p weighted by B plus q weighted by B'); as a sigmoid, "
            "it is the sigmoid of the log-density difference shifted by a log of the ratio of "
            "the counts.",
        ),
        reference=_weighted_d,
        inputs=_weighted_inputs,
        mistakes=(
            Mistake(
                lambda x, md, sd, mg, sg, nr, nf: _optimal_d(x, md, sd, mg, sg),
                "that is D* of the balanced game: averaged over one concatenated batch, the "
                "real term is weighted B = n_real and the fake term B' = n_fake, and the "
                "pointwise optimum moves with them",
            ),
            Mistake(
                lambda x, md, sd, mg, sg, nr, nf: _weighted_d(x, md, sd, mg, sg, nf, nr),
                "the weights are swapped: the real samples' density p_data is weighted by "
                "their count n_real, the fakes' p_G by n_fake",
            ),
            Mistake(
                lambda x, md, sd, mg, sg, nr, nf: nr / (nr + nf) * _optimal_d(x, md, sd, mg, sg),
                "the weights do not scale D* from outside: minimise -(w_r p log D + w_f q "
                "log(1 - D)) in D at each x, and they enter inside the ratio",
            ),
        ),
    )
)


# ------------------------------------ an experiment: train a discriminator until it is D*

_FIT_ERROR = 0.03


def _fit_inputs(g, case, suite):
    sigma_data = round(number(g, 0.5, 1.2), 3)
    return {
        "mu_data": round(number(g, -1.0, 1.0), 3),
        "sigma_data": sigma_data,
        "mu_g": round(number(g, -1.0, 1.0), 3),
        "sigma_g": round(1.5 * number(g, 0.5, 1.2), 3),
    }


def _fit_outcome(inputs, value, runs, needed) -> str | None:
    """Train a discriminator with the settings on ``runs`` fresh seeds, here; None if
    ``needed`` of them end close to D*."""
    problem = settings_problem(value, DiscriminatorSettings._fields)
    if problem:
        return problem
    p_data = (inputs["mu_data"], inputs["sigma_data"])
    p_g = (inputs["mu_g"], inputs["sigma_g"])
    try:
        errors = [
            float(fit_discriminator_1d(seed, p_data, p_g, value).error)
            for seed in fresh_seeds(inputs, runs)
        ]
    except ValueError as err:
        return f"over the budget: {err}"
    good = sum(e <= _FIT_ERROR for e in errors)
    if good >= needed:
        return None
    return (
        f"too few discriminators reached D*: {good} of {runs} ended within a mean "
        f"|D - D*| of {_FIT_ERROR:g} ({needed} needed); their errors were "
        + ", ".join(f"{e:.3f}" for e in errors)
    )


register(
    Question(
        id="ex06_fit_discriminator",
        kind="experiment",
        hints=(
            "D* is what a discriminator converges to with enough capacity, data and steps. "
            "Plot the fitted D next to D* for a few settings: where is it off, in the middle "
            "or in the tails, and does it still move between steps?",
            "Each step sees one batch: its noise moves D around D* (a larger batch or a "
            "smaller learning rate calms it), while too few steps or too small a learning "
            "rate leave it short of D*. Trade the two within the budget.",
            "Four numbers within the budget: several hundred steps, a learning rate of a few "
            "thousandths, a hidden layer of 16 to 32 units and a batch of a few hundred.",
        ),
        reference=lambda mu_data, sigma_data, mu_g, sigma_g: (600, 0.005, 32, 256),
        inputs=_fit_inputs,
        outcome=_fit_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(
                lambda mu_data, sigma_data, mu_g, sigma_g: tuple(DiscriminatorSettings()),
                "too few discriminators reached D*",
            ),
            Mistake(
                lambda mu_data, sigma_data, mu_g, sigma_g: (600, 0.005, 64, 256),
                "over the budget",
            ),
        ),
    )
)
