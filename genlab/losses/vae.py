"""The VAE's objective and its terms: Gaussian KL, decoder likelihoods, the
reparameterization, the ELBO, the IWAE bound and free bits (conventions: :mod:`genlab.losses`)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from genlab._checks import (
    broadcasts_to,
    choice,
    event_arg,
    gaussian_args,
    positive,
    same_shape,
    tensor_arg,
)
from genlab.estimators import _standard_normal

__all__ = [
    "ELBO",
    "LIKELIHOODS",
    "bernoulli_nll",
    "elbo",
    "free_bits_kl",
    "gaussian_kl",
    "gaussian_nll",
    "iwae_bound",
    "reparameterize",
]

LOG_2PI = math.log(2.0 * math.pi)
LIKELIHOODS = ("gaussian", "bernoulli")


class ELBO(NamedTuple):
    """Per-sample ELBO and its two terms (slide: Review: VAEs)."""

    elbo: torch.Tensor  # regularization + reconstruction
    regularization: torch.Tensor  # -KL(q(z|x) || p(z))
    reconstruction: torch.Tensor  # log p(x|z) for one z ~ q(z|x)


# ------------------------------------------------------------------------------------ the VAE


def gaussian_kl(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    mu_p: torch.Tensor | None = None,
    logvar_p: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""KL divergence from :math:`q = \mathcal N(\mu, \operatorname{diag} e^{\text{logvar}})` to
    :math:`p = \mathcal N(0, I)`, or to :math:`p = \mathcal N(\mu_p, \operatorname{diag}
    e^{\text{logvar}_p})` when ``mu_p`` and ``logvar_p`` are given; summed over the last dim:
    ``(..., D) -> (...)``.

    .. math::
        D_{KL}(q \,\|\, p) = \frac12 \sum_{j=1}^{D} \left(\mu_j^2 + \sigma_j^2 - 1
            - \log \sigma_j^2\right), \qquad
        D_{KL}(q \,\|\, p) = \frac12 \sum_{j=1}^{D} \left(\frac{\sigma_j^2
            + (\mu_j - \mu_{p,j})^2}{\sigma_{p,j}^2} - 1 + \log\frac{\sigma_{p,j}^2}{\sigma_j^2}
            \right)

    Source: slide "1D Gaussian Case" (which writes :math:`-D_{KL}`); Kingma & Welling 2014,
    App. B; the general form from :math:`\mathbb E_q[(z - m)^2] = \sigma^2 + (\mu - m)^2`.
    Returns the positive KL.
    """
    gaussian_args(mu, logvar)
    if mu_p is None and logvar_p is None:
        # Kingma & Welling 2014, App. B: -KL = 1/2 sum(1 + log sigma^2 - mu^2 - sigma^2)
        return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)  # (..., D) -> (...)
    if mu_p is None or logvar_p is None:
        raise ValueError("mu_p and logvar_p must be given together (or neither, for N(0, I))")
    for name, value in (("mu_p", mu_p), ("logvar_p", logvar_p)):
        tensor_arg(name, value)
        broadcasts_to(name, value, mu.shape)
    ratio = torch.exp(logvar - logvar_p)  # sigma^2 / sigma_p^2
    mahalanobis = (mu - mu_p).pow(2) * torch.exp(-logvar_p)
    return 0.5 * (ratio + mahalanobis - 1.0 - (logvar - logvar_p)).sum(-1)


def _gaussian_nll_terms(x, mu, logvar):
    # elementwise -log N(x; mu, e^logvar), shape of x
    return 0.5 * (LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar))


def gaussian_nll(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Negative log-density of ``x`` under :math:`\mathcal N(\mu, \operatorname{diag}
    e^{\text{logvar}})`, summed over the last dim: ``(..., D) -> (...)``.

    .. math::
        -\log p(x \mid z) = \sum_{j=1}^{D} \frac12 \log(2\pi) + \frac12 \log \sigma_j^2
            + \frac{(x_j - \mu_j)^2}{2 \sigma_j^2}

    Source: slide "1D Gaussian Case", "Cost: Reproduction"; the slide drops the constant
    :math:`\frac12\log 2\pi` per dimension, this function keeps it (a true log-density). For a
    constant variance it is least squares: :math:`\|x-\mu\|^2 / 2\sigma^2 + \frac D2
    \log 2\pi\sigma^2`. ``x`` and ``mu`` have one shape; ``logvar`` broadcasts to it (a 0-d
    tensor for one shared variance).
    """
    event_arg("x", x)
    tensor_arg("mu", mu)
    tensor_arg("logvar", logvar)
    same_shape(x=x, mu=mu)
    broadcasts_to("logvar", logvar, x.shape)
    return _gaussian_nll_terms(x, mu, logvar).sum(-1)  # (..., D) -> (...)


def bernoulli_nll(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    r"""Negative log-probability of ``x`` under :math:`\text{Bernoulli}(\text{sigmoid}(\ell))`,
    summed over the last dim: ``(..., D) -> (...)``.

    .. math::
        -\log p(x \mid z) = \sum_{j=1}^{D} -x_j \log \sigma(\ell_j) - (1 - x_j)
            \log(1 - \sigma(\ell_j)) = \sum_{j=1}^{D} \operatorname{softplus}(\ell_j)
            - x_j \ell_j

    Source: Kingma & Welling 2014, App. C.1 (Bernoulli MLP decoder). Computed from logits
    (``binary_cross_entropy_with_logits``), stable for any logit. ``x`` in :math:`[0, 1]`
    (grey levels) gives the cross-entropy, a log-probability only for binary ``x``.
    """
    event_arg("x", x)
    tensor_arg("logits", logits)
    same_shape(x=x, logits=logits)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def reparameterize(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    eps: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Draw :math:`z \sim \mathcal N(\mu, e^{\text{logvar}})` differentiably in ``mu`` and
    ``logvar``; ``(...) -> (...)``.

    .. math::
        z = \mu + \sigma \odot \epsilon, \quad \sigma = e^{\text{logvar}/2},
            \quad \epsilon \sim \mathcal N(0, I)

    Source: slides "Reparameterization trick", "VAE Example"; Kingma & Welling 2014, Sec. 2.4.
    ``eps`` defaults to a fresh draw on ``mu``'s device and dtype (from ``generator`` if given;
    ``generator`` is unused when ``eps`` is passed).
    """
    gaussian_args(mu, logvar, event=False)
    if eps is None:
        eps = _standard_normal(mu.shape, mu, generator)
    else:
        tensor_arg("eps", eps)
        same_shape(mu=mu, eps=eps)
    return mu + torch.exp(0.5 * logvar) * eps


def elbo(
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    decoder_out: torch.Tensor,
    likelihood: str = "gaussian",
    decoder_logvar: torch.Tensor | None = None,
) -> ELBO:
    r"""Per-sample ELBO of a VAE with prior :math:`\mathcal N(0, I)`, returned with its terms.

    .. math::
        \mathcal L(x) = \underbrace{-D_{KL}(q_\phi(z|x) \,\|\, p(z))}_{\text{regularization}}
            + \underbrace{\log p_\theta(x \mid z)}_{\text{reconstruction}},
            \quad z \sim q_\phi(z|x)

    Source: slide "Review: VAEs"; Kingma & Welling 2014, Sec. 2.3 and 3. The KL is closed form
    (:func:`gaussian_kl`); the reconstruction is the one-sample Monte Carlo estimate of
    :math:`\mathbb E_q[\log p(x|z)]`, so ``decoder_out`` must be the decoder's output at
    ``z = reparameterize(mu, logvar)``: the mean for ``likelihood="gaussian"`` (variance
    ``exp(decoder_logvar)``, broadcast to ``x``; ``None`` means 1) or the logits for
    ``"bernoulli"`` (``decoder_logvar`` must then be ``None``).

    Shapes: ``mu, logvar: (*batch, Z)``; ``x, decoder_out: (*batch, *event)``, for example
    ``(B, D)`` or images ``(B, C, H, W)``. The reconstruction sums over all event dims, because
    pixels are independent given ``z`` and the ELBO bounds the log-likelihood of the whole
    image. Every term has shape ``batch``; take ``-result.elbo.mean()`` as the training loss.
    """
    choice("likelihood", likelihood, LIKELIHOODS)
    gaussian_args(mu, logvar)
    tensor_arg("x", x)
    tensor_arg("decoder_out", decoder_out)
    same_shape(x=x, decoder_out=decoder_out)
    batch = mu.shape[:-1]
    if x.ndim <= len(batch) or x.shape[: len(batch)] != batch:
        raise ValueError(
            f"x must have shape {tuple(batch)} + (event dims...), the batch dims of mu "
            f"{tuple(mu.shape)}; got {tuple(x.shape)}"
        )
    event_dims = tuple(range(len(batch), x.ndim))

    if likelihood == "gaussian":
        if decoder_logvar is None:
            decoder_logvar = x.new_zeros(())
        tensor_arg("decoder_logvar", decoder_logvar)
        broadcasts_to("decoder_logvar", decoder_logvar, x.shape)
        nll = _gaussian_nll_terms(x, decoder_out, decoder_logvar)
    else:
        if decoder_logvar is not None:
            raise ValueError(
                "decoder_logvar must be None when likelihood='bernoulli'; "
                f"got {type(decoder_logvar).__name__}"
            )
        nll = F.binary_cross_entropy_with_logits(decoder_out, x, reduction="none")
    reconstruction = -nll.sum(event_dims)  # (*batch, *event) -> batch
    regularization = -gaussian_kl(mu, logvar)  # (*batch, Z) -> batch
    return ELBO(regularization + reconstruction, regularization, reconstruction)


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    r"""The importance-weighted bound from ``K`` log-weights, over the last dim: ``(..., K) ->
    (...)``.

    .. math::
        \mathcal L_K = \log \frac1K \sum_{k=1}^{K} w_k, \qquad
            \log w_k = \log p(x, z_k) - \log q(z_k \mid x), \quad z_k \sim q(z \mid x)

    Source: Burda, Grosse & Salakhutdinov 2016, Eq. 8. Computed as
    ``logsumexp(log_w) - log K``, so no weight is exponentiated: finite for any finite log-weight
    (:math:`\pm 10^4` included) and differentiable. With ``K = 1`` it is the one-sample ELBO;
    its expectation rises with ``K`` towards :math:`\log p(x)` (Burda et al., Thm. 1).
    """
    event_arg("log_w", log_w)
    if log_w.shape[-1] < 1:
        raise ValueError(f"log_w must hold K >= 1 log-weights in its last dim; got {log_w.shape}")
    return torch.logsumexp(log_w, dim=-1) - math.log(log_w.shape[-1])  # (..., K) -> (...)


def free_bits_kl(kl_per_dim: torch.Tensor, free_nats: float) -> torch.Tensor:
    r"""The free-bits KL term: each latent dimension's batch-mean KL, floored at ``free_nats``,
    summed over dimensions: ``(B, J) -> ()`` (any leading dims are averaged like ``B``).

    .. math::
        \tilde{\mathcal R} = \sum_{j=1}^{J} \max\Big(\lambda,\; \frac1B \sum_{i=1}^{B}
            D_{KL}\big(q(z_j \mid x_i) \,\|\, p(z_j)\big)\Big)

    Source: Kingma et al. 2016 (IAF), "free bits" (their appendix): the floor applies to the
    *minibatch average* of each dimension's KL, not to each sample's. A dimension whose average
    KL is below :math:`\lambda` = ``free_nats`` gets no gradient from this term, so the encoder
    may spend up to :math:`\lambda` nats in it for free. ``free_nats = 0`` gives the plain KL,
    ``kl_per_dim.sum(-1).mean()``.
    """
    event_arg("kl_per_dim", kl_per_dim)
    free_nats = positive("free_nats", free_nats, allow_zero=True)
    mean_kl = kl_per_dim.reshape(-1, kl_per_dim.shape[-1]).mean(0)  # (B, J) -> (J,)
    return mean_kl.clamp(min=free_nats).sum()  # (J,) -> ()
