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

import torch
from torch import nn

from genlab import losses
from genlab._checks import positive, positive_int
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
