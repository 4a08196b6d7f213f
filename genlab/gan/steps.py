r"""The two updates of the GAN game (slide "Learning procedure"), for one run or ``N`` at once.

:func:`discriminator_terms` and :func:`generator_terms` compute the losses of one run
(logits ``(B,)``) or of ``N`` grouped runs (logits ``(N, B)``, the sum of the per-run means, so
that run ``i``'s gradients depend on run ``i`` only); :func:`apply_gradients` takes one
optimizer step. :class:`~genlab.gan.GANTrainer` and :class:`~genlab.gan.ManySeedGANs` both
update through them; :func:`discriminator_step` and :func:`generator_step` are the one-run
steps as functions (model, batch, optimizer -> dict of floats).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from genlab import losses
from genlab.models.gan import GAN


class DiscriminatorTerms(NamedTuple):
    """The discriminator's loss (to differentiate) and what it was computed from."""

    loss: torch.Tensor  # () sum over runs of J_D (+ r1 * R1 + gp * GP), each a batch mean
    real_logits: torch.Tensor  # (..., B)
    fake_logits: torch.Tensor  # (..., B)
    penalty: torch.Tensor | None  # (...) each run's mean R1 penalty, or None when r1 = 0
    gradient_penalty: torch.Tensor | None = None  # (...) each run's mean GP ("wgan_gp")


def discriminator_terms(
    model,
    x_real: torch.Tensor,
    x_fake: torch.Tensor,
    objective: str,
    r1: float = 0.0,
    gp: float = 0.0,
    mixing: torch.Tensor | None = None,
) -> DiscriminatorTerms:
    """The discriminator's loss on real data and fixed fakes ``x_fake`` (no graph to G);
    ``r1`` > 0 adds ``r1`` times the mean R1 penalty (:func:`genlab.losses.r1_penalty`). For
    ``"wgan_gp"``, ``gp`` > 0 adds ``gp`` times the gradient penalty
    (:func:`genlab.losses.gradient_penalty`) at the interpolates of weights ``mixing``
    ``(..., B)`` (U[0, 1]; every run its own)."""
    x_real = x_real.detach().requires_grad_(r1 > 0)  # R1 differentiates D(x) w.r.t. x
    real_logits = model.discriminator(x_real)  # (..., B, *shape) -> (..., B)
    fake_logits = model.discriminator(x_fake)
    lead = real_logits.shape[:-1]  # () for one run, (N,) for N grouped runs
    loss = lead.numel() * losses.discriminator_objective(objective, real_logits, fake_logits)
    penalty = gradient_penalty = None
    if r1 > 0:
        penalty = losses.r1_penalty(real_logits, x_real).mean(-1)  # (...)
        loss = loss + r1 * penalty.sum()
    if objective == "wgan_gp" and gp > 0:
        if mixing is None or mixing.shape != real_logits.shape:
            got = None if mixing is None else tuple(mixing.shape)
            raise ValueError(
                f"mixing must have shape {tuple(real_logits.shape)} for 'wgan_gp'; got {got}"
            )
        shape = x_real.shape

        def critic(x):  # (runs B, *shape) -> (runs B,): each run's critic on its own rows
            return model.discriminator(x.view(shape)).reshape(-1)

        flat = len(lead)  # x (..., B, *shape) -> (runs B, *shape)
        gradient_penalty = (
            losses.gradient_penalty(
                critic,
                x_real.detach().flatten(0, flat),
                x_fake.detach().flatten(0, flat),
                eps=mixing.reshape(-1),
                reduction="none",
            )
            .view(real_logits.shape)
            .mean(-1)
        )  # (...)
        loss = loss + gp * gradient_penalty.sum()
    return DiscriminatorTerms(loss, real_logits, fake_logits, penalty, gradient_penalty)


@torch.no_grad()
def clip_discriminator(model) -> None:
    """Weight clipping (Arjovsky et al. 2017): every parameter of the discriminator into
    ``[-c, c]``, ``c = model.config.weight_clip``; nothing when it is ``None``."""
    c = model.config.weight_clip
    if c is not None:
        for p in model.discriminator_parameters():
            p.clamp_(-c, c)


def generator_terms(
    model, z: torch.Tensor, objective: str, logit_fn: Callable | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The generator's loss (sum over runs of each run's mean) and the logits of ``D(G(z))``
    (``logit_fn``: a fixed discriminator, default the model's)."""
    x_fake = model.generator(z)  # (..., B, Z) -> (..., B, *shape)
    fake_logits = (logit_fn or model.discriminator)(x_fake)  # (..., B)
    runs = fake_logits.shape[:-1].numel()
    return runs * losses.generator_objective(objective, fake_logits), fake_logits


def apply_gradients(
    loss: torch.Tensor, optimizer, keep: torch.Tensor | None = None
) -> tuple[torch.Tensor, ...]:
    """One step of ``optimizer`` on the gradients of ``loss`` w.r.t. its parameters only (the
    other player's are untouched); ``keep`` (N,) bool zeroes the gradients of grouped runs
    that are not kept. Returns the gradients."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    grads = torch.autograd.grad(loss, params)
    for p, g in zip(params, grads, strict=True):
        g = g.contiguous()  # fused Adam (torch 2.13, CPU) misreads strided gradients
        p.grad = g if keep is None else torch.where(keep.view(-1, *([1] * (g.ndim - 1))), g, 0.0)
    optimizer.step()
    return grads


def discriminator_step(
    model: GAN,
    x_real: torch.Tensor,
    z: torch.Tensor,
    optimizer,
    objective: str,
    r1: float = 0.0,
    gp: float = 0.0,
    mixing: torch.Tensor | None = None,
) -> dict[str, float]:
    """One discriminator update on a real batch and the fakes :math:`G(z)` (G fixed); ``r1``
    weighs the R1 penalty (:func:`genlab.losses.r1_penalty`), ``gp`` the gradient penalty of
    ``"wgan_gp"`` at interpolation weights ``mixing`` ``(B,)``; the model's ``weight_clip``
    is applied after the step."""
    # (1) update D: descend J_D (gradient ascent on V) with the generator held fixed
    with torch.no_grad():
        x_fake = model.generator(z)  # (B, Z) -> (B, *shape)
    terms = discriminator_terms(model, x_real, x_fake, objective, r1, gp, mixing)
    apply_gradients(terms.loss, optimizer)
    clip_discriminator(model)
    real, fake = terms.real_logits.detach(), terms.fake_logits.detach()
    out = {  # the objective J_D without its penalties (reported apart), as ManySeedGANs logs it
        "d_loss": float(losses.discriminator_objective(objective, real, fake)),
        "d_real": float(torch.sigmoid(real).mean()),
        "d_fake": float(torch.sigmoid(fake).mean()),
    }
    if terms.penalty is not None:
        out["r1"] = float(terms.penalty.detach())
    if terms.gradient_penalty is not None:
        out["gp"] = float(terms.gradient_penalty.detach())
    if objective in losses.WASSERSTEIN:  # the critic's estimate of W1 on this batch
        out["critic_gap"] = float(real.mean() - fake.mean())
    return out


def generator_step(
    model: GAN,
    z: torch.Tensor,
    optimizer,
    objective: str,
    logit_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, float]:
    """One generator update through a fixed discriminator (``logit_fn``, default the model's D).

    Only the generator's gradients are computed (``torch.autograd.grad``); D is untouched.
    """
    # (2) update G: descend J_G(D(G(z))) with the discriminator held fixed
    loss, fake_logits = generator_terms(model, z, objective, logit_fn)
    grads = apply_gradients(loss, optimizer)
    grad_norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    return {
        "g_loss": float(loss.detach()),
        "g_grad_norm": float(grad_norm),
        "d_fake_g": float(torch.sigmoid(fake_logits.detach()).mean()),
    }
