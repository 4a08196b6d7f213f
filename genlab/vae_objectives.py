r"""Training a VAE against posterior collapse: a KL weight :math:`\beta`, KL warm-up and free bits.

The trainer is :class:`genlab.train.Trainer`; these are its parts, not a second loop:
:class:`BetaELBO` is a loss function for :func:`genlab.train.loss_step`, and
:func:`kl_warmup` a callback that raises its :math:`\beta` during training.

.. math::
    \text{loss} = \underbrace{-\mathbb E_q[\log p(x|z)]}_{\text{distortion } D}
        + \beta \, \underbrace{\mathrm{KL}(q(z|x) \,\|\, p(z))}_{\text{rate } R}

:math:`\beta = 1` is the negative ELBO; :math:`\beta > 1` is the beta-VAE (Higgins et al. 2017),
:math:`\beta < 1` buys a higher rate (Alemi et al. 2018). With ``free_nats`` the rate is
:func:`genlab.losses.free_bits_kl` (Kingma et al. 2016).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

import torch
from torch import nn

from genlab import losses
from genlab._checks import positive, positive_int
from genlab.device import one_thread
from genlab.train import History, TrainConfig, Trainer, loss_step

__all__ = ["BetaELBO", "fit_beta_vae", "kl_warmup"]


class BetaELBO:
    """``loss(batch) -> dict``: the beta-weighted negative ELBO of ``model``, mean over the batch.

    The dict holds ``loss`` (what is minimised), ``elbo``, ``kl`` (the true rate, even with free
    bits) and ``reconstruction``, the latter three detached, plus the current ``beta``.
    ``beta`` is an attribute: a callback such as :func:`kl_warmup` may change it between steps.
    """

    def __init__(self, model: nn.Module, beta: float = 1.0, free_nats: float = 0.0):
        self.model = model
        self.beta = positive("beta", beta, allow_zero=True)
        self.free_nats = positive("free_nats", free_nats, allow_zero=True)

    def __call__(self, batch) -> dict[str, torch.Tensor]:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        decoded, mu, logvar, _ = self.model(x)  # one z ~ q(z|x) per sample
        decoder_logvar = self.model._decoder_logvar(x)
        if decoder_logvar is not None:
            decoder_logvar = decoder_logvar.to(device=x.device, dtype=x.dtype)
        terms = losses.elbo(x, mu, logvar, decoded, self.model.config.likelihood, decoder_logvar)
        kl = -terms.regularization  # (B,)
        if self.free_nats > 0:
            kl_per_dim = losses.gaussian_kl(mu.unsqueeze(-1), logvar.unsqueeze(-1))  # (B, J)
            rate = losses.free_bits_kl(kl_per_dim, self.free_nats)
        else:
            rate = kl.mean()
        return {
            "loss": -terms.reconstruction.mean() + self.beta * rate,
            "elbo": terms.elbo.mean().detach(),
            "kl": kl.mean().detach(),
            "reconstruction": terms.reconstruction.mean().detach(),
            "beta": torch.tensor(self.beta),
        }


def kl_warmup(objective: BetaELBO, steps: int, beta: float = 1.0) -> Callable[[Trainer], None]:
    r"""An ``on_step_end`` callback that raises ``objective.beta`` linearly from 0 to ``beta``
    over the first ``steps`` training steps: :math:`\beta_t = \beta \min(1, t / \text{steps})`.

    KL annealing (Bowman et al. 2016; Sonderby et al. 2016): early on the decoder learns to use
    ``z`` before the KL term pulls the posteriors onto the prior. The callback runs when the
    trainer logs (every ``log_every`` steps), so :math:`\beta` is a staircase of that step size.
    """
    steps = positive_int("steps", steps)
    beta = positive("beta", beta, allow_zero=True)
    objective.beta = 0.0

    def callback(trainer: Trainer) -> None:
        objective.beta = beta * min(1.0, trainer.step / steps)

    return callback


def fit_beta_vae(
    model: nn.Module,
    data,
    config: TrainConfig | None = None,
    *,
    beta: float = 1.0,
    free_nats: float = 0.0,
    warmup_steps: int = 0,
) -> History:
    """Train ``model`` on ``data`` with :class:`BetaELBO` (and :func:`kl_warmup` if
    ``warmup_steps > 0``, the weight then rising to ``beta``); return the trainer's history."""
    config = config or TrainConfig()
    objective = BetaELBO(model, beta=beta, free_nats=free_nats)
    warmup_steps = positive_int("warmup_steps", warmup_steps, minimum=0)
    if warmup_steps:  # the callback runs when the trainer logs: 50 increments or more
        config = replace(config, log_every=min(config.log_every, max(1, warmup_steps // 50)))
    trainer = Trainer(model, config, step_fn=loss_step(objective))
    if warmup_steps:
        trainer.add_callback("on_step_end", kl_warmup(objective, warmup_steps, beta))
    return trainer.fit(data)


# ------------------------------------------------- beta and collapse in a linear VAE (04b)

LINEAR_VAE_EIGENVALUES = (8.0, 5.0, 3.0, 1.2, 0.6, 0.3)  # the data's variances along J axes


class LinearVAESettings(NamedTuple):
    """The settings exercise 04b lets a student choose for :func:`linear_beta_vae`."""

    beta: float = 1.0
    steps: int = 100
    lr: float = 0.005


LINEAR_VAE_BUDGET = LinearVAESettings(beta=10.0, steps=1000, lr=0.1)


def linear_beta_vae(
    seed: int, settings=None, scale: float = 1.0, decoder_variance: float = 1.0
) -> torch.Tensor:
    r"""Train a linear VAE by the :math:`\beta`-weighted loss and return the variance over the
    data of each latent unit's encoder mean, ``(6,)`` (a unit is active above 0.01).

    The data: 256 points in 8 dimensions whose covariance has the variances ``scale`` times
    :data:`LINEAR_VAE_EIGENVALUES` along six random orthogonal axes (0.09 along the other
    two). The model: encoder mean :math:`Ax`, a learned log-variance per unit, decoder
    :math:`\mathcal N(Wz + b, \sigma^2 I)` with :math:`\sigma^2` = ``decoder_variance``;
    full-batch Adam on distortion :math:`+\ \beta \cdot` rate, one
    fresh :math:`\epsilon` per step, float64, every draw from torch's generator seeded with
    ``seed`` (restored afterwards). A direction of data variance :math:`\lambda` stays in use
    only while :math:`\lambda > \beta \sigma^2` (Lucas et al. 2019, Sec. 4): a larger
    :math:`\beta` or decoder variance collapses more units. Settings above
    :data:`LINEAR_VAE_BUDGET` are refused (ValueError).
    """
    settings = LinearVAESettings() if settings is None else LinearVAESettings(*settings)
    for name, value, cap in zip(settings._fields, settings, LINEAR_VAE_BUDGET, strict=True):
        if not 0 < value <= cap:
            raise ValueError(f"settings.{name} must be in (0, {cap}]; got {value!r}")
    positive("scale", scale)
    positive("decoder_variance", decoder_variance)
    dt = torch.float64
    eig = scale * torch.tensor(LINEAR_VAE_EIGENVALUES, dtype=dt)
    J, D, N = len(eig), 8, 256
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        Q, _ = torch.linalg.qr(torch.randn(D, D, dtype=dt))
        scales = torch.cat([eig.sqrt(), torch.full((D - J,), 0.3, dtype=dt)])
        x = torch.randn(N, D, dtype=dt) * scales @ Q.T  # (N, D)
        A = (0.1 * torch.randn(J, D, dtype=dt)).requires_grad_()
        logvar = torch.zeros(J, dtype=dt, requires_grad=True)
        W = (0.1 * torch.randn(D, J, dtype=dt)).requires_grad_()
        b = torch.zeros(D, dtype=dt, requires_grad=True)
        optimizer = torch.optim.Adam([A, logvar, W, b], lr=settings.lr)
        for _ in range(int(settings.steps)):
            mu = x @ A.T  # (N, J)
            z = mu + torch.exp(0.5 * logvar) * torch.randn(N, J, dtype=dt)
            # -log N(x; Wz + b, sigma^2 I) up to a constant
            distortion = 0.5 * ((x - z @ W.T - b) ** 2).sum(1).mean() / decoder_variance
            rate = losses.gaussian_kl(mu, logvar.expand_as(mu)).mean()
            optimizer.zero_grad()
            (distortion + settings.beta * rate).backward()
            optimizer.step()
    with torch.no_grad():
        return (x @ A.T).var(0)
