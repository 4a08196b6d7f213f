r"""Questions of exercise 01 (latent variable models and the ELBO), on the linear-Gaussian
model :math:`z \sim \mathcal N(0, I_k)`, :math:`x \mid z \sim \mathcal N(Wz + b, \sigma^2 I_d)`.

References: :class:`genlab.theory.LinearGaussianLVM` (log-densities, posterior, M step) and
:func:`genlab.losses.reparameterize`.
"""

from __future__ import annotations

import math

import torch
from torch.distributions import Independent, MultivariateNormal, Normal

from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._inputs import number, randn, uniform
from genlab.losses import reparameterize
from genlab.theory import LinearGaussianLVM

LOG_2PI = math.log(2 * math.pi)


def _dims(case: int, suite: str) -> tuple[int, int, int]:
    """(n, d, k) for a case."""
    if suite == "hidden":
        return ((7, 5, 3), (3, 2, 1), (10, 4, 4), (1, 3, 2), (6, 6, 2), (5, 3, 1))[case % 6]
    return ((5, 3, 2), (4, 2, 1), (6, 4, 3))[case % 3]


def _model_inputs(g: torch.Generator, case: int, suite: str) -> dict[str, object]:
    n, d, k = _dims(case, suite)
    W = randn(g, d, k, scale=1.5)
    b = randn(g, d)
    z = randn(g, n, k)
    sigma = number(g, 0.3, 1.2)
    x = z @ W.T + b + sigma * randn(g, n, d) + randn(g, n, d, scale=0.5)
    return {"x": x, "W": W, "b": b, "sigma": sigma, "z": z}


# --------------------------------------------------------------------------- log p(x, z)


def _log_joint(x, z, W, b, sigma):
    model = LinearGaussianLVM(W, b, sigma)
    return model.likelihood(z).log_prob(x) + model.prior().log_prob(z)  # (n,)


def _log_normal(x, mean, std):
    return Independent(Normal(mean, std), 1).log_prob(x)


def _log_prior(z):
    return _log_normal(z, torch.zeros_like(z), torch.ones_like(z))


def _joint_inputs(g, case, suite):
    inputs = _model_inputs(g, case, suite)
    if case == (2 if suite == "visible" else 3):  # several z per x: (L, n, k) against (n, d)
        inputs["z"] = randn(g, 3, *inputs["z"].shape)
    return {k: inputs[k] for k in ("x", "z", "W", "b", "sigma")}


register(
    Question(
        id="ex01_log_joint",
        kind="transcription",
        hints=(
            "log p(x, z) = log p(x | z) + log p(z): two Gaussian log-densities, one over the d "
            "coordinates of x, one over the k coordinates of z.",
            "Each log-density is a sum over its own last dimension; Wz + b for a batch of z is z "
            "@ W.T + b, and it broadcasts when z has extra leading dimensions.",
            "The answer has the shape of x's batch: -||x - Wz - b||^2 / (2 sigma^2) - d log sigma "
            "- d/2 log 2 pi, plus -||z||^2 / 2 - k/2 log 2 pi.",
        ),
        reference=_log_joint,
        inputs=_joint_inputs,
        mistakes=(
            Mistake(
                lambda x, z, W, b, s: LinearGaussianLVM(W, b, s).likelihood(z).log_prob(x),
                "that is log p(x | z) alone: the joint adds the prior term "
                "log p(z) = log N(z; 0, I)",
            ),
            Mistake(
                lambda x, z, W, b, s: _log_prior(z),
                "that is log p(z) alone: the joint adds the likelihood term log p(x | z)",
            ),
            Mistake(
                lambda x, z, W, b, s: _log_normal(x, z @ W.T + b, math.sqrt(s)) + _log_prior(z),
                "sigma is the noise standard deviation, not the variance: "
                "x | z ~ N(Wz + b, sigma^2 I)",
            ),
            Mistake(
                lambda x, z, W, b, s: _log_normal(x, z @ W.T + b, s**2) + _log_prior(z),
                "the standard deviation of x | z is sigma (you used sigma^2 as the standard "
                "deviation): x | z ~ N(Wz + b, sigma^2 I)",
            ),
            Mistake(
                lambda x, z, W, b, s: (
                    _log_joint(x, z, W, b, s) + 0.5 * (x.shape[-1] + z.shape[-1]) * LOG_2PI
                ),
                "the log(2 pi) constants are missing: a log-density has -1/2 log(2 pi) per "
                "dimension, of x and of z",
            ),
            Mistake(
                lambda x, z, W, b, s: _log_normal(x, z @ W.T, s) + _log_prior(z),
                "the mean of x | z is W z + b: b is missing",
            ),
        ),
    )
)


# ------------------------------------------------------------------------------ p(z | x)


def _posterior(x, W, b, sigma):
    post = LinearGaussianLVM(W, b, sigma).posterior(x)
    return post.loc, post.covariance_matrix[0]  # (n, k), (k, k): the same for every x


def _posterior_variant(x, W, b, sigma, *, shift=True, noise=2, scale_cov=True):
    k = W.shape[1]
    M = W.T @ W + sigma**noise * torch.eye(k, dtype=W.dtype)
    Minv = torch.linalg.inv(M)
    mean = ((x - b) if shift else x) @ W @ Minv
    return mean, (sigma**2 if scale_cov else 1.0) * Minv


def _posterior_inputs(g, case, suite):
    inputs = _model_inputs(g, case, suite)
    return {k: inputs[k] for k in ("x", "W", "b", "sigma")}


register(
    Question(
        id="ex01_posterior",
        kind="transcription",
        hints=(
            "The posterior of a linear-Gaussian model is Gaussian; its covariance does not depend "
            "on x, only its mean does.",
            "Form M = W^T W + sigma^2 I (k x k) once; M^{-1} W^T (x - b) for every row of x is a "
            "linear solve, not a loop.",
            "mean has one row per data point (n, k); cov is sigma^2 M^{-1}, one (k, k) matrix "
            "shared by all.",
        ),
        reference=_posterior,
        inputs=_posterior_inputs,
        fields=("mean", "cov"),
        mistakes=(
            Mistake(
                lambda x, W, b, s: (
                    _posterior(x, W, b, s)[0],
                    _posterior(x, W, b, s)[1].expand(x.shape[0], -1, -1),
                ),
                "right values, but return the covariance once, with shape (k, k): "
                "sigma^2 M^-1 does not depend on x",
            ),
            Mistake(
                lambda x, W, b, s: _posterior_variant(x, W, b, s, shift=False),
                "mean: subtract b first, the posterior mean is M^-1 W^T (x - b)",
            ),
            Mistake(
                lambda x, W, b, s: _posterior_variant(x, W, b, s, scale_cov=False),
                "cov: the posterior covariance is sigma^2 M^-1, not M^-1",
            ),
            Mistake(
                lambda x, W, b, s: _posterior_variant(x, W, b, s, noise=1),
                "M = W^T W + sigma^2 I uses the noise variance sigma^2, not sigma",
            ),
        ),
        rtol=1e-5,
    )
)


# --------------------------------------------------------------------- Monte Carlo ELBO


def _elbo_terms(x, W, b, sigma, m, logvar, eps, *, std=None):
    """log p(x, z) and log q(z | x) at z = m + std * eps: (L, n) each."""
    model = LinearGaussianLVM(W, b, sigma)
    if std is None:
        z = reparameterize(m.expand_as(eps), logvar.expand_as(eps), eps)
        std = torch.exp(0.5 * logvar)
    else:
        z = m + std * eps
    log_p = model.likelihood(z).log_prob(x) + model.prior().log_prob(z)
    log_q = Independent(Normal(m, std), 1).log_prob(z)
    return log_p, log_q


def _elbo(x, W, b, sigma, m, logvar, eps):
    log_p, log_q = _elbo_terms(x, W, b, sigma, m, logvar, eps)
    return (log_p - log_q).mean(0)  # (L, n) -> (n,)


def _elbo_inputs(g, case, suite):
    inputs = _model_inputs(g, case, suite)
    n, k = inputs["z"].shape
    L = (4, 1, 16, 7, 3, 9)[case % 6] if suite == "hidden" else (8, 3, 5)[case % 3]
    return {
        "x": inputs["x"],
        "W": inputs["W"],
        "b": inputs["b"],
        "sigma": inputs["sigma"],
        "m": randn(g, n, k),
        "logvar": uniform(g, n, k, low=-2.0, high=1.0),
        "eps": randn(g, L, n, k),
    }


def _elbo_mistake(kind):
    def wrong(x, W, b, sigma, m, logvar, eps):
        if kind == "variance":
            log_p, log_q = _elbo_terms(x, W, b, sigma, m, logvar, eps, std=torch.exp(logvar))
            return (log_p - log_q).mean(0)
        log_p, log_q = _elbo_terms(x, W, b, sigma, m, logvar, eps)
        L = eps.shape[0]
        return {
            "log_mean": torch.logsumexp(log_p - log_q, 0) - math.log(L),
            "no_q": log_p.mean(0),
            "plus_q": (log_p + log_q).mean(0),
            "sum": (log_p - log_q).sum(0),
        }[kind]

    return wrong


register(
    Question(
        id="ex01_elbo",
        kind="transcription",
        hints=(
            "The ELBO is an expectation under q of log p(x, z) - log q(z | x); a Monte Carlo "
            "estimate averages that difference over the L draws.",
            "Build z = m + exp(logvar / 2) * eps with shape (L, n, k); log q is a diagonal "
            "Gaussian log-density summed over k.",
            "Average over the first (sample) dimension only, leaving one value per data point, "
            "(n,).",
        ),
        reference=_elbo,
        inputs=_elbo_inputs,
        mistakes=(
            Mistake(
                _elbo_mistake("log_mean"),
                "that is the log of the average of p(x, z) / q(z | x), an estimate of log p(x) "
                "(the importance-weighted bound), not the ELBO: by Jensen the ELBO averages the "
                "log, E_q[log p(x, z) - log q(z | x)]",
            ),
            Mistake(
                _elbo_mistake("no_q"),
                "-log q(z | x) is missing: the ELBO is E_q[log p(x, z) - log q(z | x)]",
            ),
            Mistake(
                _elbo_mistake("plus_q"),
                "log q(z | x) must be subtracted, not added: the ELBO is "
                "E_q[log p(x, z) - log q(z | x)]",
            ),
            Mistake(
                _elbo_mistake("sum"),
                "you summed over the L samples (dim 0); the Monte Carlo estimate averages them",
            ),
            Mistake(
                _elbo_mistake("variance"),
                "the standard deviation of q is sigma = exp(logvar / 2); you used exp(logvar), "
                "the variance",
            ),
        ),
        nan_hint="exp(logvar / 2) is finite for every logvar.",
        rtol=1e-6,
        atol=1e-7,
    )
)


# ---------------------------------------------------------------------------- the M step


def _m_step(x, m, S):
    d, k = x.shape[1], m.shape[1]
    start = LinearGaussianLVM(torch.zeros(d, k, dtype=x.dtype), torch.zeros(d, dtype=x.dtype), 1.0)
    new = start.m_step(x, MultivariateNormal(m, covariance_matrix=S))
    return new.W, new.b, new.sigma


def _m_step_variant(x, m, S, *, cov_in_ezz=True, cov_in_var=True, joint=True, per_entry=True):
    n, d = x.shape
    k = m.shape[1]
    Ssum = n * S
    if joint:
        ez = torch.cat([m, torch.ones(n, 1, dtype=x.dtype)], 1)  # (n, k + 1)
        ezz = ez.T @ ez
        if cov_in_ezz:
            ezz[:k, :k] += Ssum
        W_tilde = torch.linalg.solve(ezz, ez.T @ x).T
        W, b = W_tilde[:, :k], W_tilde[:, k]
    else:  # b = mean of x, then W from the centred data
        b = x.mean(0)
        mzz = m.T @ m + (Ssum if cov_in_ezz else 0)
        W = torch.linalg.solve(mzz, m.T @ (x - b)).T
    resid = x - m @ W.T - b
    sq = (resid**2).sum() + (torch.einsum("ij,jk,ik->", W, Ssum, W) if cov_in_var else 0)
    return W, b, (sq / (n * d if per_entry else n)).sqrt()


def _m_step_inputs(g, case, suite):
    n, d, k = _dims(case, suite)
    n = max(n, k + 2)
    A = randn(g, k, k, scale=0.5)
    return {
        "x": randn(g, n, d, scale=2.0) + randn(g, d),
        "m": randn(g, n, k) + 0.3,
        "S": A @ A.T + 0.2 * torch.eye(k, dtype=torch.float64),
    }


def _sigma_squared(x, m, S):
    W, b, sigma = _m_step(x, m, S)
    return W, b, sigma**2


register(
    Question(
        id="ex01_m_step",
        kind="derivation",
        hints=(
            "The M step maximises the expected complete-data log-likelihood: it is a least- "
            "squares regression of x on z, except that z is only known through its posterior mean "
            "and covariance.",
            "Differentiate sum_i E_q[log N(x_i; W z_i + b, sigma^2 I)] with respect to [W, b]: "
            "the normal equations need E[z~] and E[z~ z~^T], and E[z z^T] = m m^T + S, not m m^T.",
            "W~ = (sum_i x_i E[z~_i]^T)(sum_i E[z~_i z~_i^T])^{-1}; sigma^2 is the expected "
            "squared residual averaged over all n d entries, and the expectation adds a trace "
            "term with S.",
        ),
        reference=_m_step,
        inputs=_m_step_inputs,
        fields=("W", "b", "sigma"),
        mistakes=(
            Mistake(
                lambda x, m, S: _m_step_variant(x, m, S, cov_in_ezz=False, cov_in_var=False),
                "you treated the posterior means as the latents: E[z z^T] = m m^T + S, so the "
                "posterior covariance S enters both the solve for W and the noise variance",
            ),
            Mistake(
                lambda x, m, S: _m_step_variant(x, m, S, cov_in_var=False),
                "sigma: the expected squared error under q adds tr(W S W^T) per data point to "
                "||x - W m - b||^2",
            ),
            Mistake(
                lambda x, m, S: _m_step_variant(x, m, S, cov_in_ezz=False),
                "W: the normal equations need E[z z^T] = m m^T + S, the posterior covariance "
                "included",
            ),
            Mistake(
                lambda x, m, S: _m_step_variant(x, m, S, joint=False),
                "W and b must be estimated jointly (regress x on [E z; 1]): b = mean(x) is "
                "right only when the posterior means average to zero",
            ),
            Mistake(
                lambda x, m, S: _m_step_variant(x, m, S, per_entry=False),
                "sigma^2 is the average over all n * d entries: divide by n * d, not n",
            ),
            Mistake(
                _sigma_squared,
                "sigma: return the standard deviation; you returned the variance sigma^2",
            ),
        ),
        rtol=1e-5,
        atol=1e-7,
    )
)
