"""The GAN's objectives: the slides' two costs, label smoothing, feature matching, the f-GAN
dispatch, the R1 and gradient penalties, and the Wasserstein and least-squares losses
(conventions: :mod:`genlab.losses`)."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F

from genlab._checks import choice, same_shape, tensor_arg
from genlab.divergences import F_DIVERGENCES, fgan_discriminator_loss, fgan_generator_loss

__all__ = [
    "GENERATOR_KINDS",
    "OBJECTIVES",
    "WASSERSTEIN",
    "GANLosses",
    "check_objective",
    "discriminator_loss",
    "discriminator_objective",
    "feature_matching_loss",
    "fgan_discriminator_loss",
    "fgan_generator_loss",
    "gan_value",
    "generator_loss",
    "generator_objective",
    "gradient_penalty",
    "least_squares_gan_losses",
    "r1_penalty",
    "smoothed_discriminator_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]

GENERATOR_KINDS = ("minimax", "non_saturating")
# Wasserstein critics: "wgan" keeps the critic Lipschitz by the model's weight clipping or
# spectral norm, "wgan_gp" by the gradient penalty the trainers add (GANTrainConfig.gp)
WASSERSTEIN = ("wgan", "wgan_gp")
# what a GAN can be trained with: the two costs of the slides, any f-divergence (f-GAN), the
# least-squares GAN and the Wasserstein GANs (lecture 09)
OBJECTIVES: tuple[str, ...] = (*GENERATOR_KINDS, *F_DIVERGENCES, "least_squares", *WASSERSTEIN)


# ---------------------------------------------------------------------------- argument checks


def _logits_arg(name: str, value) -> torch.Tensor:
    tensor_arg(name, value)
    if value.numel() == 0:
        raise ValueError(f"{name} must hold at least one logit; got shape {tuple(value.shape)}")
    return value


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
    ``"least_squares"``: the LSGAN's :math:`J_D` (:func:`least_squares_gan_losses`).
    ``"wgan"``/``"wgan_gp"``: the critic's :math:`\mathbb E_Q f - \mathbb E_P f`
    (:func:`wasserstein_critic_loss`); the gradient penalty of ``"wgan_gp"`` needs the critic
    itself, so the trainers add it (:func:`gradient_penalty`).
    """
    if objective in GENERATOR_KINDS:
        return discriminator_loss(real_logits, fake_logits)
    if objective == "least_squares":
        return least_squares_gan_losses(real_logits, fake_logits).discriminator
    if objective in WASSERSTEIN:
        return wasserstein_critic_loss(real_logits, fake_logits)
    return fgan_discriminator_loss(check_objective(objective), real_logits, fake_logits, **params)


def generator_objective(objective: str, fake_logits: torch.Tensor, **params: float):
    r"""The generator's loss for ``objective``, mean over all logits of ``D(G(z))``.

    ``"minimax"``: :math:`\mathbb E[\log(1 - D(G(z)))]`; ``"non_saturating"``:
    :math:`\mathbb E[-\log D(G(z))]` (:func:`generator_loss`). An f-divergence name:
    :math:`-\mathbb E_Q[f^*(g_f(v))]` (:func:`fgan_generator_loss`). ``"least_squares"``:
    :math:`\frac12\mathbb E[(D(G(z)) - 1)^2]`; ``"wgan"``/``"wgan_gp"``:
    :math:`-\mathbb E f(G(z))` (:func:`wasserstein_generator_loss`).
    """
    if objective in GENERATOR_KINDS:
        return generator_loss(fake_logits, objective)
    if objective == "least_squares":
        return _least_squares_generator(_logits_arg("fake_logits", fake_logits))
    if objective in WASSERSTEIN:
        return wasserstein_generator_loss(fake_logits)
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
    return GANLosses(d_cost, _least_squares_generator(fake_scores))


def _least_squares_generator(fake_scores: torch.Tensor) -> torch.Tensor:
    return 0.5 * (fake_scores - 1).pow(2).mean()
