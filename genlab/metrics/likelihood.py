r"""How good is a VAE: its log-likelihood by importance sampling, in nats and bits per
dimension, its rate and distortion, and how many latent dimensions it uses.

Every function takes tensors or a VAE of :mod:`genlab.models.vae` (``encode``, ``decode``,
``config.likelihood``) and returns tensors; nothing here trains, plots or draws widgets.
Sources: Burda, Grosse & Salakhutdinov 2016 (the importance-weighted bound, active units);
Alemi et al. 2018 (rate and distortion); Kingma & Welling 2019, Sec. 2.7-2.8.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F

from genlab import losses
from genlab._checks import positive, positive_int, tensor_arg
from genlab.estimators import _standard_normal
from genlab.losses.vae import _gaussian_nll_terms

__all__ = [
    "IWEstimate",
    "RateDistortion",
    "active_units",
    "bits_per_dim",
    "iw_estimate",
    "kl_per_dimension",
    "log_likelihood",
    "log_weights",
    "rate_distortion",
]


class IWEstimate(NamedTuple):
    """Importance-sampled estimates per example, all in nats and of one shape ``(...)``."""

    estimate: torch.Tensor  # L_K = log (1/K) sum_k w_k
    stderr: torch.Tensor  # its Monte Carlo standard error (delta method)
    elbo: torch.Tensor  # the mean log-weight over the same K draws: an estimate of the ELBO


class RateDistortion(NamedTuple):
    """Mean rate and distortion (nats per example) of a VAE on some data (Alemi et al. 2018)."""

    rate: float  # E_x KL(q(z|x) || p(z))
    distortion: float  # -E_x E_q[log p(x|z)]


def iw_estimate(log_w: torch.Tensor) -> IWEstimate:
    r""":math:`\mathcal L_K` (:func:`genlab.losses.iwae_bound`) from log-weights ``(..., K)``,
    with its standard error and the ELBO estimate of the same draws; each ``(...)``.

    The standard error is the delta method's for :math:`\log \bar w`: with normalised weights
    :math:`\tilde w_k = w_k / \bar w`,

    .. math::
        \operatorname{se}(\log \bar w) \approx \frac{\operatorname{sd}(\tilde w)}{\sqrt K}
            = \sqrt{\frac{1}{K (K-1)} \sum_{k=1}^{K} (\tilde w_k - 1)^2},

    computed without exponentiating a raw weight. It measures the spread of this estimate over
    draws, not the bias :math:`\log p(x) - \mathbb E[\mathcal L_K] \ge 0`; for ``K = 1`` it is NaN.
    """
    estimate = losses.iwae_bound(log_w)  # (..., K) -> (...)
    K = log_w.shape[-1]
    normalised = torch.exp(log_w - estimate.unsqueeze(-1))  # w_k / mean(w), mean 1
    stderr = normalised.std(dim=-1, correction=1) / math.sqrt(K) if K > 1 else estimate * math.nan
    return IWEstimate(estimate, stderr, log_w.mean(-1))


def _log_px_z(model, x: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """log p(x|z) summed over the event dims: x (N, *event), decoded (K, N, *event) -> (K, N)."""
    event = tuple(range(2, decoded.ndim))
    if model.config.likelihood == "bernoulli":
        nll = F.binary_cross_entropy_with_logits(decoded, x.expand_as(decoded), reduction="none")
    else:
        logvar_x = model._decoder_logvar(x)
        nll = _gaussian_nll_terms(x.expand_as(decoded), decoded, logvar_x)
    return -nll.sum(event)


def log_weights(
    model,
    x: torch.Tensor,
    k: int,
    posterior: tuple[torch.Tensor, torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""``k`` importance log-weights per example of a VAE: ``(N, *event) -> (N, k)``.

    .. math::
        \log w_k = \log p_\theta(x \mid z_k) + \log p(z_k) - \log q(z_k \mid x),
            \qquad z_k \sim q(z \mid x) = \mathcal N(\mu, e^{\text{logvar}})

    ``q`` is the encoder's unless ``posterior = (mu, logvar)`` (each ``(N, Z)``) gives another
    one, such as a refined one (:func:`genlab.metrics.refine_posterior`). Their mean is an
    ELBO estimate; :func:`iw_estimate` turns them into :math:`\mathcal L_K`. No gradient is kept.
    """
    k = positive_int("k", k)
    with torch.no_grad():
        mu, logvar = model.encode(x) if posterior is None else posterior
        tensor_arg("mu", mu)
        if mu.shape != (len(x), model.latent_dim) or logvar.shape != mu.shape:
            raise ValueError(
                f"posterior must be (mu, logvar), each of shape ({len(x)}, {model.latent_dim}); "
                f"got {tuple(mu.shape)} and {tuple(logvar.shape)}"
            )
        eps = _standard_normal((k, *mu.shape), mu, generator)  # (K, N, Z)
        z = losses.reparameterize(mu.expand_as(eps), logvar.expand_as(eps), eps=eps)
        decoded = model.decode(z.reshape(-1, mu.shape[-1])).reshape(k, *x.shape)
        log_px_z = _log_px_z(model, x, decoded)  # (K, N)
        log_pz = -losses.gaussian_nll(z, torch.zeros_like(z), torch.zeros_like(z))  # (K, N)
        log_qz = -losses.gaussian_nll(z, mu.expand_as(z), logvar.expand_as(z))  # (K, N)
        return (log_px_z + log_pz - log_qz).T  # (N, K)


def log_likelihood(
    model,
    x: torch.Tensor,
    k: int = 5000,
    batch_size: int = 2**16,
    generator: torch.Generator | None = None,
) -> IWEstimate:
    r"""The importance-sampled log-likelihood :math:`\mathcal L_k \le \log p(x)` of every example
    of ``x`` under a VAE, with its standard error: ``(N, *event) -> IWEstimate`` of ``(N,)`` each.

    Burda et al. 2016, Sec. 5 (they use ``k = 5000``). The ``N * k`` decoder passes run in
    chunks of about ``batch_size`` (examples times draws), so memory stays bounded; the result
    does not depend on the chunking except through the random draws. A lower bound in
    expectation: for a finite ``k`` it underestimates :math:`\log p(x)`, by less as ``k`` grows.
    """
    k = positive_int("k", k)
    batch_size = positive_int("batch_size", batch_size)
    was_training = model.training
    model.eval()
    try:
        rows = max(1, batch_size // k)  # examples per chunk when k fits in one pass
        draws = min(k, batch_size)  # draws per pass
        out = []
        for start in range(0, len(x), rows):
            xb = x[start : start + rows]
            posterior = model.encode(xb)
            parts = []
            for done in range(0, k, draws):
                n = min(draws, k - done)
                parts.append(log_weights(model, xb, n, posterior, generator))
            out.append(torch.cat(parts, dim=-1))  # (rows, k)
        return iw_estimate(torch.cat(out))
    finally:
        model.train(was_training)


def bits_per_dim(log_px: torch.Tensor | float, dims: int) -> torch.Tensor | float:
    r"""A log-likelihood in nats per example turned into bits per dimension (lower is better).

    .. math:: \text{bits/dim} = -\frac{\log p(x)}{D \ln 2}

    ``log_px`` is :math:`\log p(x)` (a number or a tensor), ``dims`` is :math:`D`, the number of
    dimensions of one example (64 for an 8x8 image). It is a code length only where
    :math:`p` is a probability of discrete data (binary pixels, or grey levels under a
    discretized likelihood); for a density of continuous data it can be negative.
    """
    dims = positive_int("dims", dims)
    if not isinstance(log_px, torch.Tensor):
        if isinstance(log_px, bool) or not isinstance(log_px, Real) or not math.isfinite(log_px):
            raise ValueError(f"log_px must be a finite number or a tensor; got {log_px!r}")
        log_px = float(log_px)
    return -log_px / (dims * math.log(2.0))


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> torch.Tensor:
    r"""Which latent dimensions a VAE uses: ``mu`` ``(N, J)``, the encoder means
    :math:`\mathbb E_q[z \mid x_i]` of ``N`` examples, gives a bool ``(J,)``.

    .. math:: A_j = \operatorname{Cov}_x\big(\mathbb E_{q(z|x)}[z_j]\big) > \text{threshold}

    Burda et al. 2016, Sec. 5.2 (threshold 0.01). The variance over examples is the unbiased
    one (``correction=1``). A dimension whose mean does not move with ``x`` carries no
    information about ``x``: its posterior has collapsed onto one point, usually the prior.
    """
    tensor_arg("mu", mu)
    if mu.ndim != 2 or mu.shape[0] < 2:
        raise ValueError(f"mu must have shape (N, J) with N >= 2 examples; got {tuple(mu.shape)}")
    threshold = positive("threshold", threshold, allow_zero=True)
    return mu.var(dim=0, correction=1) > threshold  # (N, J) -> (J,)


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Each latent dimension's KL to the prior, averaged over examples: ``(N, J) -> (J,)``.

    .. math:: \mathrm{KL}_j = \frac1N \sum_{i=1}^{N} \tfrac12\big(\mu_{ij}^2 + \sigma_{ij}^2
        - 1 - \log \sigma_{ij}^2\big)

    The terms of :func:`genlab.losses.gaussian_kl`, one per dimension; they sum to the rate.
    """
    tensor_arg("mu", mu)
    if mu.ndim != 2:
        raise ValueError(f"mu must have shape (N, J); got {tuple(mu.shape)}")
    per_dim = losses.gaussian_kl(mu.unsqueeze(-1), logvar.unsqueeze(-1))  # (N, J)
    return per_dim.mean(0)


@torch.no_grad()
def rate_distortion(
    model, x: torch.Tensor, n_samples: int = 16, generator: torch.Generator | None = None
) -> RateDistortion:
    r"""Rate :math:`R = \mathbb E_x \mathrm{KL}(q(z|x)\,\|\,p(z))` and distortion
    :math:`D = -\mathbb E_x \mathbb E_q[\log p(x|z)]` of a VAE on ``x``, in nats per example.

    Alemi et al. 2018: the ELBO is :math:`-(D + R)`, so models of equal ELBO lie on a line of
    slope -1 in the (R, D) plane. The distortion averages ``n_samples`` draws of ``z`` per example.
    """
    n_samples = positive_int("n_samples", n_samples)
    was_training = model.training
    model.eval()
    try:
        mu, logvar = model.encode(x)
        rate = float(losses.gaussian_kl(mu, logvar).mean())
        eps = _standard_normal((n_samples, *mu.shape), mu, generator)
        z = losses.reparameterize(mu.expand_as(eps), logvar.expand_as(eps), eps=eps)
        decoded = model.decode(z.reshape(-1, mu.shape[-1])).reshape(n_samples, *x.shape)
        distortion = float(-_log_px_z(model, x, decoded).mean())
    finally:
        model.train(was_training)
    return RateDistortion(rate, distortion)
