r"""The course's VAE and GAN objectives and regularisers as pure functions over tensors.

Conventions shared by every function here:

* **Shapes.** The last dimension is the event dimension and is summed; every leading dimension
  is a batch dimension and is kept: ``(..., D) -> (...)``. :func:`elbo` sums over all non-batch
  dimensions of ``x`` so images ``(B, C, H, W)`` work. The GAN losses take one logit per sample,
  of any shape, and return the mean over all of them (a 0-d tensor).
* **Devices and dtypes** follow the inputs (CPU or CUDA, float32 or float64). Random draws use
  ``mu``'s device and dtype and the optional ``torch.Generator``; nothing is random at import.
* **NaN policy.** A NaN in an input gives a NaN in the output for that sample (and a NaN mean
  for the GAN losses). Nothing is clamped or replaced by a plausible number, so a diverging run
  shows up as NaN rather than as a silently wrong loss.
* **Errors.** Non-tensors, non-floating dtypes, shape mismatches, ``n_samples < 1`` and unknown
  names raise ``ValueError`` naming the argument, what it got and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
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
from genlab.divergences import F_DIVERGENCES, fgan_discriminator_loss, fgan_generator_loss
from genlab.estimators import (  # lecture 02's estimators, at home in genlab.estimators
    EstimatorStats,
    GaussianGrad,
    _standard_normal,
    estimator_variance,
    reparam_grad,
    score_function_grad,
)

__all__ = [
    "ELBO",
    "GENERATOR_KINDS",
    "LIKELIHOODS",
    "OBJECTIVES",
    "EstimatorStats",
    "GaussianGrad",
    "bernoulli_nll",
    "check_objective",
    "discriminator_loss",
    "discriminator_objective",
    "elbo",
    "estimator_variance",
    "feature_matching_loss",
    "fgan_discriminator_loss",
    "fgan_generator_loss",
    "free_bits_kl",
    "gan_value",
    "GANLosses",
    "gaussian_kl",
    "gaussian_nll",
    "generator_loss",
    "gradient_penalty",
    "iwae_bound",
    "least_squares_gan_losses",
    "generator_objective",
    "r1_penalty",
    "reparam_grad",
    "reparameterize",
    "score_function_grad",
    "smoothed_discriminator_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]

LOG_2PI = math.log(2.0 * math.pi)
LIKELIHOODS = ("gaussian", "bernoulli")
GENERATOR_KINDS = ("minimax", "non_saturating")
# what a GAN can be trained with: the two costs of the slides, or any f-divergence (f-GAN)
OBJECTIVES: tuple[str, ...] = (*GENERATOR_KINDS, *F_DIVERGENCES)


class ELBO(NamedTuple):
    """Per-sample ELBO and its two terms (slide: Review: VAEs)."""

    elbo: torch.Tensor  # regularization + reconstruction
    regularization: torch.Tensor  # -KL(q(z|x) || p(z))
    reconstruction: torch.Tensor  # log p(x|z) for one z ~ q(z|x)


# ---------------------------------------------------------------------------- argument checks


def _logits_arg(name: str, value) -> torch.Tensor:
    tensor_arg(name, value)
    if value.numel() == 0:
        raise ValueError(f"{name} must hold at least one logit; got shape {tuple(value.shape)}")
    return value


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


# ------------------------------------------------------------------------------------ the GAN


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""Discriminator cost :math:`J_D` from logits :math:`\ell`, with :math:`D = \sigma(\ell)`;
    any shapes ``-> ()``, each expectation a mean over its batch.

    .. math::
        J_D = \mathbb E_x[-\log D(x)] + \mathbb E_z[-\log(1 - D(G(z)))]
            = \operatorname{mean} \operatorname{softplus}(-\ell_{real})
            + \operatorname{mean} \operatorname{softplus}(\ell_{fake})

    Source: slide "Adversarial Learning"; Goodfellow et al. 2014. The later slide "Adversarial
    loss" has factors :math:`\frac12`: the same cost up to scale. Stable for any logit.
    """
    _logits_arg("real_logits", real_logits)
    _logits_arg("fake_logits", fake_logits)
    # -log sigmoid(l) = softplus(-l);  -log(1 - sigmoid(l)) = softplus(l)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    r"""Generator cost :math:`J_G` (minimised by G) from the logits of ``D(G(z))``;
    any shape ``-> ()``, mean over the batch.

    .. math::
        J_G^{\text{minimax}} = \mathbb E_z[\log(1 - D(G(z)))]
            = -\operatorname{mean} \operatorname{softplus}(\ell), \qquad
        J_G^{\text{non\_saturating}} = \mathbb E_z[-\log D(G(z))]
            = \operatorname{mean} \operatorname{softplus}(-\ell)

    Source: slides "Learning procedure" and "A better cost function"; Goodfellow et al. 2014,
    Sec. 3. The minimax cost saturates (vanishing gradient) when D rejects the fakes
    (:math:`\ell \to -\infty`); the non-saturating cost does not.
    """
    choice("kind", kind, GENERATOR_KINDS)
    _logits_arg("fake_logits", fake_logits)
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    return F.softplus(-fake_logits).mean()  # -log sigmoid(l) = softplus(-l)


def gan_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The value :math:`V(D, G)` of the minimax game from logits; any shapes ``-> ()``.

    .. math::
        V(D, G) = \mathbb E_x[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))]
            = \operatorname{mean} \log\sigma(\ell_{real})
            + \operatorname{mean} \log\sigma(-\ell_{fake})

    Source: slide "Convergence"; Goodfellow et al. 2014, Eq. 1. At the optimal discriminator
    it equals :math:`2\,\mathrm{JSD}(p_{data} \| p_G) - \log 4`. Equals ``-discriminator_loss``.
    """
    _logits_arg("real_logits", real_logits)
    _logits_arg("fake_logits", fake_logits)
    # log(1 - sigmoid(l)) = log sigmoid(-l)
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


def smoothed_discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 0.9
) -> torch.Tensor:
    r""":math:`J_D` with one-sided label smoothing: the real samples' target is ``real_label``
    :math:`= a` instead of 1, the fakes' target stays 0; any shapes ``-> ()``, each expectation
    a mean over its batch.

    .. math::
        J_D^{a} = \mathbb E_x[-a \log D(x) - (1 - a) \log(1 - D(x))]
            + \mathbb E_z[-\log(1 - D(G(z)))]
            = \operatorname{mean}\big(a \operatorname{softplus}(-\ell_{real})
              + (1 - a) \operatorname{softplus}(\ell_{real})\big)
            + \operatorname{mean} \operatorname{softplus}(\ell_{fake})

    The optimal discriminator becomes :math:`D^* = a\,p_{data} / (p_{data} + p_G)`. Smoothing
    the fake targets too (to :math:`b > 0`) would add :math:`b\,p_G` to its numerator, so that
    fakes where there is no data would no longer be pushed towards it. Source: Salimans et al.
    2016, "Improved Techniques for Training GANs", Sec. 3.4. Equals :func:`discriminator_loss`
    at ``real_label = 1``. Stable for any logit.
    """
    _logits_arg("real_logits", real_logits)
    _logits_arg("fake_logits", fake_logits)
    valid = isinstance(real_label, Real) and not isinstance(real_label, bool)
    if not valid or not 0 <= real_label <= 1:
        raise ValueError(f"real_label must be a number in [0, 1]; got {real_label!r}")
    # binary cross-entropy with the soft target a: a softplus(-l) + (1 - a) softplus(l)
    real = real_label * F.softplus(-real_logits) + (1 - real_label) * F.softplus(real_logits)
    return real.mean() + F.softplus(fake_logits).mean()


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    r"""Feature matching: the squared distance between the batch means of the discriminator's
    features of real and generated samples; ``(B, F)``, ``(B', F) -> ()``.

    .. math::
        \Big\| \mathbb E_x[f(x)] - \mathbb E_z[f(G(z))] \Big\|_2^2
            = \sum_j \big(\operatorname{mean}_b f_j(x_b) - \operatorname{mean}_b f_j(G(z_b))\big)^2

    The generator minimises it instead of fooling D outright. Source: Salimans et al. 2016,
    "Improved Techniques for Training GANs", Sec. 3.1.
    """
    tensor_arg("real_features", real_features)
    tensor_arg("fake_features", fake_features)
    for name, t in (("real_features", real_features), ("fake_features", fake_features)):
        if t.ndim != 2 or t.shape[0] == 0:
            raise ValueError(f"{name} must have shape (batch, features); got {tuple(t.shape)}")
    if real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(
            "fake_features must have as many features as real_features "
            f"({real_features.shape[1]}); got {fake_features.shape[1]}"
        )
    difference = real_features.mean(0) - fake_features.mean(0)  # (F,)
    return difference.pow(2).sum()


def discriminator_objective(
    objective: str, real_logits: torch.Tensor, fake_logits: torch.Tensor, **params: float
) -> torch.Tensor:
    r"""The discriminator's loss for ``objective``, mean over all logits (a 0-d tensor).

    ``"minimax"``/``"non_saturating"``: :math:`J_D` of :func:`discriminator_loss` (the same for
    both: they differ in the generator's cost only). An f-divergence name of
    :data:`genlab.divergences.F_DIVERGENCES`: :math:`-F = -(\mathbb E_P[g_f(v)] -
    \mathbb E_Q[f^*(g_f(v))])`, :func:`fgan_discriminator_loss` (``params`` go to it).
    """
    if objective in GENERATOR_KINDS:
        return discriminator_loss(real_logits, fake_logits)
    return fgan_discriminator_loss(check_objective(objective), real_logits, fake_logits, **params)


def generator_objective(objective: str, fake_logits: torch.Tensor, **params: float):
    r"""The generator's loss for ``objective``, mean over all logits of ``D(G(z))``.

    ``"minimax"``: :math:`\mathbb E[\log(1 - D(G(z)))]`; ``"non_saturating"``:
    :math:`\mathbb E[-\log D(G(z))]` (:func:`generator_loss`). An f-divergence name:
    :math:`-\mathbb E_Q[f^*(g_f(v))]` (:func:`fgan_generator_loss`).
    """
    if objective in GENERATOR_KINDS:
        return generator_loss(fake_logits, objective)
    return fgan_generator_loss(check_objective(objective), fake_logits, **params)


def check_objective(objective: str) -> str:
    """``objective`` if it is one of :data:`OBJECTIVES`, else a ValueError listing them all."""
    return choice("objective", objective, OBJECTIVES)


# ------------------------------------------------------------------------- regularisers


def r1_penalty(real_logits: torch.Tensor, x_real: torch.Tensor) -> torch.Tensor:
    r"""The R1 penalty per real sample, :math:`\frac12 \|\nabla_x \ell(x)\|^2` summed over the
    event dims: logits ``(..., B)`` of ``x_real`` ``(..., B, *event)`` -> ``(..., B)``.

    Mescheder et al. 2018, eq. 9. ``x_real`` must require grad; the result keeps the graph,
    so that it can be added to the discriminator's loss.
    """
    (grad,) = torch.autograd.grad(real_logits.sum(), x_real, create_graph=True)
    return 0.5 * grad.pow(2).sum(tuple(range(real_logits.ndim, x_real.ndim)))


# ---------------------------------------------------------------- Wasserstein and least squares


def wasserstein_critic_loss(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    r"""The WGAN critic's cost from its scores (no sigmoid); any shapes ``-> ()``, each
    expectation a mean over its batch.

    .. math::
        J_f = \mathbb E_z[f(G(z))] - \mathbb E_x[f(x)]

    Minimising it maximises :math:`\mathbb E_p f - \mathbb E_q f`, which over 1-Lipschitz
    :math:`f` is :math:`W_1(p_{data}, p_G)` (Kantorovich-Rubinstein duality). The Lipschitz
    constraint is not in the cost: clip the weights, add :func:`gradient_penalty`, or normalise
    the spectral norms. Source: Arjovsky, Chintala & Bottou 2017, Algorithm 1.
    """
    _logits_arg("critic_real", critic_real)
    _logits_arg("critic_fake", critic_fake)
    return critic_fake.mean() - critic_real.mean()


def wasserstein_generator_loss(critic_fake: torch.Tensor) -> torch.Tensor:
    r"""The WGAN generator's cost :math:`-\mathbb E_z[f(G(z))]`; any shape ``-> ()``.

    Source: Arjovsky, Chintala & Bottou 2017, Algorithm 1 (the generator's update).
    """
    _logits_arg("critic_fake", critic_fake)
    return -critic_fake.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    target: float = 1.0,
    generator: torch.Generator | None = None,
    eps: torch.Tensor | None = None,
    reduction: str = "mean",
    create_graph: bool = True,
) -> torch.Tensor:
    r"""WGAN-GP's two-sided gradient penalty on random interpolates; ``real`` and ``fake``
    ``(B, *event)`` -> ``()``, a mean over the batch.

    .. math::
        \hat x = \epsilon x + (1 - \epsilon) \tilde x, \quad \epsilon \sim U[0, 1], \qquad
        \mathrm{GP} = \mathbb E_{\hat x}\big[(\|\nabla_{\hat x} f(\hat x)\|_2 - t)^2\big]

    one :math:`\epsilon` per sample (``eps`` ``(B,)`` if given, else drawn with ``generator``),
    the norm over all event dims, :math:`t` = ``target``. The gradient is taken with
    ``create_graph=True``, so the penalty trains the critic (add :math:`\lambda\,\mathrm{GP}`,
    :math:`\lambda = 10`, to :func:`wasserstein_critic_loss`). ``real`` and ``fake`` are
    detached: the penalty acts on the critic only. Source: Gulrajani et al. 2017, Algorithm 1
    (two-sided: it also pushes gradient norms below ``target`` up). ``reduction="none"``
    returns the ``(B,)`` per-sample penalties instead of their mean. ``create_graph=False``
    is the classic bug, kept to show it: the values are the same, but the penalty is then a
    constant that does not train the critic.
    """
    tensor_arg("real", real)
    tensor_arg("fake", fake)
    same_shape(real=real, fake=fake)
    if real.ndim < 2 or real.shape[0] == 0:
        raise ValueError(f"real must have shape (batch, *event); got {tuple(real.shape)}")
    if isinstance(target, bool) or not isinstance(target, Real) or target < 0:
        raise ValueError(f"target must be a number >= 0; got {target!r}")
    choice("reduction", reduction, ("mean", "none"))
    B = real.shape[0]
    if eps is None:
        eps = torch.rand(B, generator=generator, dtype=real.dtype, device=real.device)
    elif tensor_arg("eps", eps).shape != (B,):
        raise ValueError(f"eps must have shape ({B},), one per sample; got {tuple(eps.shape)}")
    eps = eps.reshape(B, *([1] * (real.ndim - 1)))  # (B,) -> (B, 1, ..., 1)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    with torch.enable_grad():
        scores = critic(x_hat)  # (B, *event) -> (B,) or (B, 1)
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=create_graph)
    norm = grad.flatten(1).norm(dim=1)  # (B,)
    penalty = (norm - target).pow(2)
    return penalty.mean() if reduction == "mean" else penalty


class GANLosses(NamedTuple):
    """The two players' costs of one objective."""

    discriminator: torch.Tensor
    generator: torch.Tensor


def least_squares_gan_losses(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> GANLosses:
    r"""The least-squares GAN's costs from the discriminator's raw scores (no sigmoid);
    any shapes ``-> ()``, each expectation a mean over its batch.

    .. math::
        J_D = \tfrac12 \mathbb E_x[(D(x) - 1)^2] + \tfrac12 \mathbb E_z[D(G(z))^2], \qquad
        J_G = \tfrac12 \mathbb E_z[(D(G(z)) - 1)^2]

    (targets a = 0 for fakes, b = 1 for reals, c = 1 for the generator). The optimal D is
    :math:`p_{data} / (p_{data} + p_G)`, and the generator's cost never saturates: a fake far
    from the data is penalised quadratically. Source: Mao et al. 2017, eq. 2. For the
    generator's update, pass scores of fakes that carry its graph; ``discriminator`` is then
    used with detached fakes (or the generator's gradients ignored).
    """
    _logits_arg("real_scores", real_scores)
    _logits_arg("fake_scores", fake_scores)
    d_cost = 0.5 * (real_scores - 1).pow(2).mean() + 0.5 * fake_scores.pow(2).mean()
    return GANLosses(d_cost, 0.5 * (fake_scores - 1).pow(2).mean())
