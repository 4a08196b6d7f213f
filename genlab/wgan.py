r"""Wasserstein critics and WGAN-GP on the toys (lecture 09, Sec. 2-3).

* :func:`make_critic` builds an MLP critic whose Lipschitz constant is kept by one of
  ``LIPSCHITZ``: weight clipping (Arjovsky et al. 2017), a gradient penalty (Gulrajani et al.
  2017) or spectral normalisation (Miyato et al. 2018).
* :func:`fit_critic` trains it to maximise :math:`\mathbb E_p f - \mathbb E_q f` between two
  fixed samples and reports the estimate of :math:`W_1` on held-out samples.
* :class:`ManySeedWGANGP` trains ``N`` WGAN-GPs at once on a toy target, with the same models,
  seeds and bookkeeping as :class:`genlab.gan.ManySeedGANs` (whose other objectives it shares).

The losses are :func:`genlab.losses.wasserstein_critic_loss`,
:func:`genlab.losses.wasserstein_generator_loss` and :func:`genlab.losses.gradient_penalty`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import NamedTuple

import torch
from torch import nn

from genlab._checks import choice, positive, positive_int, tensor_arg
from genlab.gan import GANTrainConfig, ManySeedGANs
from genlab.losses import gradient_penalty, wasserstein_critic_loss
from genlab.models.gan import GANConfig, MLPDiscriminator, start_critic_at_zero

__all__ = [
    "LIPSCHITZ",
    "CriticFit",
    "ManySeedWGANGP",
    "critic_slope",
    "fit_critic",
    "make_critic",
    "sliced_wasserstein",
    "wgan_gp_critic_1d",
]

LIPSCHITZ = ("none", "clip", "gp", "sn")


def make_critic(
    dim: int, hidden: tuple[int, ...] = (64, 64), lipschitz: str = "gp", seed: int = 0
) -> MLPDiscriminator:
    """The GAN's MLP discriminator (:class:`genlab.models.gan.MLPDiscriminator`, LeakyReLU(0.2),
    ``(B, dim) -> (B,)``) as a critic, its output layer started at 0 (except with spectral
    normalisation); ``lipschitz="sn"`` builds it with ``GANConfig(spectral_norm=True)``, which
    wraps every linear layer in ``torch.nn.utils.parametrizations.spectral_norm`` (one power
    iteration a step)."""
    choice("lipschitz", lipschitz, LIPSCHITZ)
    config = GANConfig(
        data_shape=(positive_int("dim", dim),),
        d_hidden=tuple(hidden),
        spectral_norm=lipschitz == "sn",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        critic = MLPDiscriminator(config)
    return start_critic_at_zero(critic)  # f = 0: the first steps set its shape, not the penalty


class CriticFit(NamedTuple):
    """A trained critic and its estimate of W1 on held-out samples."""

    critic: nn.Module
    estimate: float  # E_p f - E_q f on the held-out halves
    slope: float  # largest |f'| (1-D) or ||grad f|| seen on the held-out samples
    history: list[float]  # the estimate on the training batches, every step
    seconds: float  # training time


def critic_slope(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``||grad_x f(x)||`` at each row of ``x`` ``(B, D)`` -> ``(B,)``."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return grad.norm(dim=1)


def fit_critic(
    p: torch.Tensor,
    q: torch.Tensor,
    lipschitz: str = "gp",
    steps: int = 500,
    lr: float = 1e-3,
    clip: float = 0.01,
    gp_weight: float = 10.0,
    seed: int = 0,
) -> CriticFit:
    r"""Train :func:`make_critic` to maximise :math:`\mathbb E_p f - \mathbb E_q f` between the
    first halves of ``p`` ``(n, D)`` and ``q`` ``(m, D)`` (full-batch Adam, betas (0.5, 0.9)),
    keeping it Lipschitz with ``lipschitz`` (``clip``: every weight in [-clip, clip] after each
    step; ``gp``: ``gp_weight`` times the gradient penalty; ``sn``: spectral norms). The
    estimate is measured on the second halves, so a critic that memorises scores nothing."""
    tensor_arg("p", p)
    tensor_arg("q", q)
    if p.ndim != 2 or q.ndim != 2 or p.shape[1] != q.shape[1] or min(len(p), len(q)) < 4:
        raise ValueError(
            f"p and q must have shapes (n, D) and (m, D), n, m >= 4; got {tuple(p.shape)}, "
            f"{tuple(q.shape)}"
        )
    choice("lipschitz", lipschitz, LIPSCHITZ)
    positive_int("steps", steps)
    positive("clip", clip)
    critic = make_critic(p.shape[1], lipschitz=lipschitz, seed=seed).to(p.dtype)
    optimizer = torch.optim.Adam(critic.parameters(), lr=positive("lr", lr), betas=(0.5, 0.9))
    generator = torch.Generator().manual_seed(seed)
    p_fit, p_held = p[: len(p) // 2], p[len(p) // 2 :]
    q_fit, q_held = q[: len(q) // 2], q[len(q) // 2 :]
    m = min(len(p_fit), len(q_fit))
    history = []
    started = time.perf_counter()
    for _ in range(steps):
        loss = wasserstein_critic_loss(critic(p_fit), critic(q_fit))  # E_q f - E_p f
        if lipschitz == "gp":
            penalty = gradient_penalty(critic, p_fit[:m], q_fit[:m], generator=generator)
            loss = loss + gp_weight * penalty
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if lipschitz == "clip":
            with torch.no_grad():
                for w in critic.parameters():
                    w.clamp_(-clip, clip)
        with torch.no_grad():
            history.append(float(critic(p_fit).mean() - critic(q_fit).mean()))
    seconds = time.perf_counter() - started
    critic.eval()
    with torch.no_grad():
        estimate = float(critic(p_held).mean() - critic(q_held).mean())
    slope = float(critic_slope(critic, torch.cat([p_held, q_held])).max())
    return CriticFit(critic, estimate, slope, history, seconds)


def sliced_wasserstein(
    x: torch.Tensor, y: torch.Tensor, n_projections: int = 256, seed: int = 0
) -> torch.Tensor:
    r"""The sliced Wasserstein-1 distance :math:`\mathbb E_u W_1(u^\top p, u^\top q)` over
    ``n_projections`` random unit directions :math:`u`, each 1-D distance exact
    (:func:`genlab.metrics.wasserstein_1d`); ``(n, D), (m, D) -> ()`` float64. It is at most
    :math:`W_1(p, q)` (a projection is 1-Lipschitz)."""
    from genlab.metrics import wasserstein_1d

    u = torch.randn(
        positive_int("n_projections", n_projections),
        x.shape[1],
        generator=torch.Generator().manual_seed(seed),
        dtype=torch.float64,
    )
    u = u / u.norm(dim=1, keepdim=True)  # (P, D)
    xp, yp = x.double() @ u.T, y.double() @ u.T  # (n, P), (m, P)
    return torch.stack([wasserstein_1d(xp[:, i], yp[:, i]) for i in range(len(u))]).mean()


class ManySeedWGANGP(ManySeedGANs):
    r"""``N`` WGAN-GPs trained at once: :class:`~genlab.gan.ManySeedGANs` with the objective
    ``"wgan_gp"``. The critic descends
    :math:`\mathbb E f(G(z)) - \mathbb E f(x) + \lambda\,\mathrm{GP}` (``gp_weight`` =
    :math:`\lambda`), ``config.k`` critic steps per generator step, the generator descends
    :math:`-\mathbb E f(G(z))`; the critic is the GAN's discriminator network, read as a score
    instead of a logit. ``config.objective`` and ``r1`` are replaced (``"wgan_gp"``, 0).
    """

    def __init__(
        self,
        n_runs: int,
        target="ring",
        config: GANTrainConfig | None = None,
        seeds=None,
        gp_weight: float = 10.0,
        **kw,
    ):
        config = config or GANTrainConfig(lr=1e-4, lr_d=1e-4, betas=(0.5, 0.9), k=5)
        gp = positive("gp_weight", gp_weight, allow_zero=True)
        config = replace(config, objective="wgan_gp", gp=gp, r1=0.0)
        super().__init__(n_runs, target=target, config=config, seeds=seeds, **kw)
        self.gp_weight = gp

    def critic_estimate(self) -> torch.Tensor:
        r"""Each run's :math:`\mathbb E f(x) - \mathbb E f(G(z))` on its last batches, ``(N,)``."""
        return self._last["real"].mean(1) - self._last["fake"].mean(1)


def wgan_gp_critic_1d(seed: int, mu: float, sigma: float) -> torch.Tensor:
    r"""Exercise 09's WGAN-GP critic loop, the reference: a critic (one hidden layer of 32
    LeakyReLU(0.2) units, its output layer started at 0) learns
    :math:`W_1(N(\mu, \sigma^2), N(0, 1))` by descending
    :math:`\mathbb E_q f - \mathbb E_p f + 10\,\mathrm{GP}` for 120 Adam steps (lr 0.01,
    betas (0.5, 0.9)) on fresh batches of 64, float64, every draw from torch's generator
    seeded with ``seed`` (restored afterwards). Returns ``[estimate, slope]`` ``(2,)``: the
    estimate :math:`\mathbb E_p f - \mathbb E_q f` on 2,000 fresh samples of each, and the
    mean :math:`|f'|` on 2,000 fresh interpolates (about 1 when the penalty works)."""
    return _wgan_gp_critic_1d(seed, mu, sigma)


def _wgan_gp_critic_1d(seed, mu, sigma, sign_bug=False, graph_bug=False):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        dt = torch.float64
        critic = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Flatten(0))
        critic = critic.to(dt)
        with torch.no_grad():  # f = 0 at the start: the first steps set the sign of its slope
            critic[2].weight.zero_()
            critic[2].bias.zero_()
        optimizer = torch.optim.Adam(critic.parameters(), lr=0.01, betas=(0.5, 0.9))
        for _ in range(120):
            x_p = mu + sigma * torch.randn(64, 1, dtype=dt)
            x_q = torch.randn(64, 1, dtype=dt)
            gp = gradient_penalty(critic, x_p, x_q, create_graph=not graph_bug)
            loss = wasserstein_critic_loss(critic(x_p), critic(x_q))  # E_q f - E_p f
            loss = -loss if sign_bug else loss
            optimizer.zero_grad()
            (loss + 10.0 * gp).backward()
            optimizer.step()
        x_p = mu + sigma * torch.randn(2000, 1, dtype=dt)
        x_q = torch.randn(2000, 1, dtype=dt)
        eps = torch.rand(2000, 1, dtype=dt)
        with torch.no_grad():
            estimate = critic(x_p).mean() - critic(x_q).mean()
        slope = critic_slope(critic, eps * x_p + (1 - eps) * x_q).mean()
        return torch.stack([estimate, slope])
