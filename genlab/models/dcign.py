r"""DC-IGN: a convolutional VAE whose latent units are tied to generative factors by how it is
trained (slide "Vision task I - Inverse graphics network", "Mini-batch training").

Kulkarni et al. 2015 (Deep Convolutional Inverse Graphics Network, Sec. 3.1, Fig. 3) train on
mini-batches in which only one generative factor changes (here: one of the sprites' ``x``,
``y``, ``scale``, ``rotation`` or ``shape``, from :func:`genlab.data.sprite_factor_batches`).
Each named factor owns one latent unit (``DCIGNConfig.factor_units``); the other units are
"intrinsic". For a batch that varies factor :math:`f` the free units are :math:`f`'s unit (or
all intrinsic units when :math:`f` owns none) and every other unit :math:`j` is clamped:

* **forward**: each sample's :math:`z_{bj}` is replaced by the batch mean
  :math:`\bar z_j = \frac1B \sum_b z_{bj}`, so the free unit alone must explain the change;
* **backward**: the clamped :math:`z_{bj}` get no gradient from the reconstruction, only the
  paper's "signal which nudges them to be closer to their respective averages over the batch".

We implement the nudge as the gradient of a penalty that is part of the loss (a detach trick,
:func:`clamp_to_batch_mean`), with :math:`N` the number of samples in the step and
:math:`\lambda` = ``DCIGNConfig.pull``:

.. math::
    \tilde z_{bj} = \begin{cases} z_{bj} & j \text{ free} \\ \operatorname{sg}[\bar z_j]
        & j \text{ clamped} \end{cases}, \qquad
    P = \frac{\lambda}{N} \sum_b \sum_{j \text{ clamped}} \tfrac12 (z_{bj} - \bar z_j)^2, \qquad
    \frac{\partial (\text{loss})}{\partial z_{bj}} = \frac{\lambda}{N} (z_{bj} - \bar z_j)
        \ \ (j \text{ clamped})

(:math:`\bar z_j` may be stopped or not: the deviations sum to zero over the batch, so the
gradient is the same). This gives the clamped units exactly the backward signal that a custom
``autograd.Function`` returning :math:`\lambda (z - \bar z)/N` would, but as the true gradient
of a written-down objective: it scales with the loss, survives gradient clipping or scaling,
and its value is logged (``"pull"``). The loss of a step is

.. math::
    \text{loss} = \frac1N \sum_b \Big( D_{KL}(q(z|x_b) \,\|\, p(z))
        - \log p(x_b \mid \tilde z_b) \Big) + P,

where the KL (the prior term, every unit, per sample) comes from :func:`genlab.losses.elbo`
evaluated at the clamped decoder output; :math:`z` is the reparameterized sample.

What the pull does, measured: little, and more is worse. The clamped forward pass already
makes a unit's per-sample values useless for reconstruction outside its own batches; only the
pull (and the KL) keep them still there. With :math:`\lambda = 0` the results were within
seed noise of :math:`\lambda = 1`; :math:`\lambda = 10` or 100 made units fail to learn
their factor at all, because 4 batches in 5 then tell a unit to be constant and only 1 in 5
to vary.

Recipe (the tests): :func:`genlab.data.factor_batch_data` ``(400, 16)``, the
``"sprites_small"`` preset, the shared Trainer with ``batch_size=1`` (one factor batch per
step) and :func:`genlab.train.model_loss_step`,
1,200 steps at lr 2e-3 then 800 at 4e-4: about 40 s on one CPU thread, :math:`|r| \ge 0.97`
for both position units, and they move at most 0.17 as much for any other factor as for their
own (6 seeds); see :func:`disentanglement`. Without the lower-lr phase the leak between the two
position units stays at 0.1-0.35.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from genlab import losses
from genlab._checks import choice, positive, positive_int
from genlab.data import FACTOR_NAMES, SHAPES, factor_batch_data, sprites
from genlab.models._blocks import (
    DecoderLikelihood,
    check_conv_geometry,
    conv_decoder,
    conv_encoder,
    mlp,
)
from genlab.models.registry import register
from genlab.models.vae import LIKELIHOODS, Posterior

__all__ = [
    "DCIGN",
    "DCIGN_PRESETS",
    "Clamped",
    "DCIGNConfig",
    "Disentanglement",
    "clamp_to_batch_mean",
    "disentanglement",
    "factor_correlations",
    "factor_invariance",
]


class Clamped(NamedTuple):
    """Latents after DC-IGN clamping and the penalty that nudges the clamped units."""

    z: torch.Tensor  # (..., B, Z) forward values: the batch mean on clamped units
    pull: torch.Tensor  # (..., B) per-sample 1/2 lambda sum_{j clamped} (z_bj - mean_j)^2


def clamp_to_batch_mean(z: torch.Tensor, free: torch.Tensor, pull: float = 1.0) -> Clamped:
    r"""Replace the clamped units of ``z (..., B, Z)`` by their batch means (over dim ``-2``);
    ``free (..., Z)`` bool marks the units that keep their per-sample values.

    Returns ``Clamped(z_tilde, penalty)`` with ``penalty (..., B)`` =
    :math:`\frac\lambda2 \sum_{j \text{ clamped}} (z_{bj} - \bar z_j)^2`; minimising
    ``penalty.mean()`` sends :math:`\lambda (z_{bj} - \bar z_j) / N` back to each clamped
    :math:`z_{bj}` (Kulkarni et al. 2015, Sec. 3.1; see the module docstring).
    """
    if not isinstance(z, torch.Tensor) or z.ndim < 2:
        raise ValueError(f"z must be a tensor of shape (..., B, Z); got {_shape(z)}")
    if (
        not isinstance(free, torch.Tensor)
        or free.dtype != torch.bool
        or free.shape != z.shape[:-2] + z.shape[-1:]
    ):
        raise ValueError(
            f"free must be a bool tensor of shape {tuple(z.shape[:-2] + z.shape[-1:])} "
            f"(z's shape without the batch dim); got {_shape(free)}"
        )
    clamped = ~free.unsqueeze(-2)  # (..., 1, Z)
    z_bar = z.mean(-2, keepdim=True).detach()  # (..., 1, Z)
    z_tilde = torch.where(clamped, z_bar, z)  # (..., B, Z)
    penalty = 0.5 * pull * ((z - z_bar).pow(2) * clamped).sum(-1)  # (..., B, Z) -> (..., B)
    return Clamped(z_tilde, penalty)


def _shape(t) -> str:
    return f"{t.dtype} {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__


# --------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class DCIGNConfig:
    """Configuration of :class:`DCIGN`: a conv VAE (the architecture of ``ConvVAE``), the
    factor -> latent unit assignment and the weight :math:`\\lambda` of the pull.

    ``factor_units`` pairs names from ``genlab.data.FACTOR_NAMES`` with distinct latent
    indices (a dict is accepted); unassigned units are intrinsic. ``negative_slope`` is that of
    the LeakyReLUs (0 gives ReLUs). It is not 0 because with ReLUs, Adam at lr 1e-3 and mostly
    black sprites, the KL's early push towards a constant code can kill a whole encoder layer
    within ~100 steps (we saw 1 seed in 9 do so and collapse to the mean image for good).
    """

    input_shape: tuple[int, ...] = (1, 32, 32)
    latent_dim: int = 8
    factor_units: tuple[tuple[str, int], ...] = (("x", 0), ("y", 1), ("scale", 2), ("rotation", 3))
    channels: tuple[int, ...] = (32, 32, 64, 64)
    hidden: tuple[int, ...] = (256,)
    likelihood: str = "bernoulli"
    decoder_logvar: float | None = None  # Gaussian only: fixed log-variance, None learns one
    pull: float = 1.0
    negative_slope: float = 0.1

    def __post_init__(self):
        pairs = self.factor_units
        if isinstance(pairs, dict):
            pairs = tuple(pairs.items())
        try:
            pairs = tuple((str(name), int(unit)) for name, unit in pairs)
        except (TypeError, ValueError):
            raise ValueError(
                f"factor_units must map factor names to latent indices, e.g. {{'x': 0}}; "
                f"got {self.factor_units!r}"
            ) from None
        object.__setattr__(self, "factor_units", pairs)
        object.__setattr__(self, "input_shape", tuple(int(s) for s in self.input_shape))
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        positive_int("latent_dim", self.latent_dim)
        choice("likelihood", self.likelihood, LIKELIHOODS)
        positive("pull", self.pull, allow_zero=True)
        positive("negative_slope", self.negative_slope, allow_zero=True)
        if len(self.input_shape) != 3 or not self.channels or not self.hidden:
            raise ValueError(
                f"input_shape must be (C, H, W), channels and hidden non-empty; got "
                f"{self.input_shape}, {self.channels}, {self.hidden}"
            )
        check_conv_geometry(self.input_shape, self.channels, "the encoder")
        names = [name for name, _ in pairs]
        units = [unit for _, unit in pairs]
        for name in names:
            choice("factor_units (factor name)", name, FACTOR_NAMES)
        if len(set(names)) != len(names):
            raise ValueError(f"factor_units names each factor once; got {names}")
        for name, unit in pairs:
            if not 0 <= unit < self.latent_dim:
                raise ValueError(
                    f"factor_units[{name!r}] must be a latent index in [0, {self.latent_dim}) "
                    f"for latent_dim={self.latent_dim}; got {unit}"
                )
        if len(set(units)) != len(units):
            raise ValueError(f"factor_units gives each factor its own latent unit; got {units}")


DCIGN_PRESETS: dict[str, DCIGNConfig] = {
    "sprites": DCIGNConfig(),
    # Small enough to train in half a minute on one CPU thread (the tests use it).
    "sprites_small": DCIGNConfig(latent_dim=6, channels=(16, 32, 32, 64), hidden=(128,)),
}


# ---------------------------------------------------------------------------------- model


@register(DCIGNConfig)
class DCIGN(DecoderLikelihood, nn.Module):
    """A convolutional VAE trained with DC-IGN clamping.

    ``encode``, ``decode``, ``elbo``, ``sample`` and ``reconstruct`` are those of a plain VAE
    (no clamping: that only happens in :meth:`loss`, on factor batches).
    """

    def __init__(self, config: DCIGNConfig = DCIGN_PRESETS["sprites"]):
        super().__init__()
        self.config = config
        self.input_shape = config.input_shape
        self.latent_dim = Z = config.latent_dim
        self.factor_units = dict(config.factor_units)
        c_in, height, width = config.input_shape
        chans = (c_in, *config.channels)
        down = 2 ** len(config.channels)
        feat = (chans[-1], height // down, width // down)
        F = math.prod(feat)
        act = partial(nn.LeakyReLU, config.negative_slope)
        self.encoder = nn.Sequential(
            conv_encoder(chans, act), nn.Flatten(), mlp((F, *config.hidden, 2 * Z), act)
        )  # (B, C, H, W) -> (B, 2Z)
        self.decoder = nn.Sequential(
            mlp((Z, *reversed(config.hidden), F), act),
            act(),
            nn.Unflatten(1, feat),
            conv_decoder(chans, act),
        )  # (B, Z) -> (B, C, H, W)
        self._init_likelihood(config)

        free = torch.zeros(len(FACTOR_NAMES), Z, dtype=torch.bool)
        intrinsic = torch.ones(Z, dtype=torch.bool)
        intrinsic[list(self.factor_units.values())] = False
        for i, name in enumerate(FACTOR_NAMES):
            if name in self.factor_units:
                free[i, self.factor_units[name]] = True
            else:
                free[i] = intrinsic
        self.register_buffer("free_units", free, persistent=False)  # (n_factors, Z)

    def unit(self, factor: str) -> int:
        """The latent index assigned to ``factor``."""
        return self.factor_units[choice("factor", factor, self.factor_units)]

    # -- the plain VAE --------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> Posterior:
        """Parameters of :math:`q(z|x)`: ``(B, *input_shape) -> 2 x (B, Z)``."""
        if not isinstance(x, torch.Tensor) or x.shape[1:] != self.input_shape:
            raise ValueError(
                f"x must have shape (batch, {', '.join(map(str, self.input_shape))}) for this "
                f"DCIGN; got {_shape(x)}"
            )
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return Posterior(mu, logvar)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder output (logits or mean): ``(B, Z) -> (B, *input_shape)``."""
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (batch, {self.latent_dim}); got {_shape(z)}")
        return self.decoder(z)

    def elbo(self, x: torch.Tensor, generator: torch.Generator | None = None) -> losses.ELBO:
        """The plain (unclamped) per-sample ELBO, for evaluation: ``-> 3 x (B,)``."""
        mu, logvar = self.encode(x)
        z = losses.reparameterize(mu, logvar, generator=generator)
        return self._elbo_terms(x, mu, logvar, self.decode(z))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` decoded means of :math:`z \\sim p(z)`: ``-> (n, *input_shape)``. ``z`` is
        drawn on ``generator``'s device (so a CPU generator gives the same samples everywhere)."""
        param = next(self.parameters())
        where = generator.device if generator is not None else param.device
        z = torch.randn(positive_int("n", n), self.latent_dim, generator=generator, device=where)
        return self.mean(self.decode(z.to(param)))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decoded mean at the posterior mean: ``(B, *input_shape) -> (B, *input_shape)``."""
        return self.mean(self.decode(self.encode(x).mu))

    # -- DC-IGN training ------------------------------------------------------------------
    def _groups(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``(G, B, *input_shape)`` and varied factor indices ``(G,)`` from a
        ``FactorBatch`` or a Trainer batch of :func:`genlab.data.factor_batch_data`."""
        if not isinstance(batch, tuple | list) or len(batch) != 3:
            raise ValueError(
                "batch must be a FactorBatch (images, factors, varied) or a batch of "
                "genlab.data.factor_batch_data (images, factors, varied indices); "
                f"got {type(batch).__name__}"
            )
        images, _, varied = batch
        if isinstance(varied, str):
            varied = FACTOR_NAMES.index(choice("varied", varied, FACTOR_NAMES))
        if isinstance(images, torch.Tensor) and images.ndim == len(self.input_shape) + 1:
            images = images[None]  # one factor batch (B, *shape) -> (1, B, *shape)
        if not isinstance(images, torch.Tensor) or images.shape[2:] != self.input_shape:
            shape = ", ".join(map(str, self.input_shape))
            raise ValueError(
                f"images must have shape (G, B, {shape}) or (B, {shape}); got {_shape(images)}"
            )
        if images.shape[1] < 2:
            raise ValueError(f"each factor batch needs B >= 2 images; got {tuple(images.shape)}")
        varied = torch.as_tensor(varied, device=self.free_units.device).reshape(-1).long()
        if len(varied) != len(images) or (varied < 0).any() or (varied >= len(FACTOR_NAMES)).any():
            raise ValueError(
                f"varied must hold one index into FACTOR_NAMES {FACTOR_NAMES} per factor batch "
                f"({len(images)}); got {varied.tolist()}"
            )
        if not self.free_units[varied].any(-1).all():
            raise ValueError(
                "a batch varies a factor without a latent unit, and this DCIGN has no "
                "intrinsic (unassigned) units to explain it; assign fewer factors or add units"
            )
        return images, varied

    def loss(self, batch) -> dict[str, torch.Tensor]:
        """The DC-IGN loss of the module docstring on factor batches, mean over all samples."""
        images, varied = self._groups(batch)
        G, B = images.shape[:2]
        x = images.flatten(0, 1)  # (G B, *shape)
        mu, logvar = self.encode(x)  # (G B, Z) each
        z = losses.reparameterize(mu, logvar)
        clamped = clamp_to_batch_mean(
            z.view(G, B, -1), self.free_units[varied], self.config.pull
        )  # (G, B, Z), (G, B)
        decoded = self.decode(clamped.z.flatten(0, 1))  # (G B, *shape)
        terms = self._elbo_terms(x, mu, logvar, decoded)
        pull = clamped.pull.mean()
        return {
            "loss": -terms.elbo.mean() + pull,
            "kl": -terms.regularization.mean().detach(),
            "reconstruction": terms.reconstruction.mean().detach(),
            "pull": pull.detach(),
        }


# ------------------------------------------------------------------------ disentanglement


class Disentanglement(NamedTuple):
    correlation: dict[str, float]  # factor -> Pearson r(unit's posterior mean, factor)
    invariance: dict[str, dict[str, float]]  # factor -> {other factor: std ratio}


@torch.no_grad()
def _posterior_means(model: DCIGN, images: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    was_training = model.training
    model.eval()
    mu = torch.cat([model.encode(images[i : i + chunk]).mu for i in range(0, len(images), chunk)])
    model.train(was_training)
    return mu  # (N, Z)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def factor_correlations(
    model: DCIGN, n: int = 1000, seed: int = 1, shapes=SHAPES
) -> dict[str, float]:
    r"""For each assigned factor, the Pearson correlation between its unit's posterior mean
    :math:`\mu_j(x)` and the true factor over ``n`` random sprites (all factors vary):

    .. math::
        r = \frac{\sum_n (\mu_n - \bar\mu)(f_n - \bar f)}
            {\sqrt{\sum_n (\mu_n - \bar\mu)^2 \sum_n (f_n - \bar f)^2}}

    The sign is arbitrary (the model may encode "left" as positive); read :math:`|r|`. For the
    rotation it is a poor measure: the shapes are symmetric and the angle wraps around.
    """
    images, factors = sprites(
        positive_int("n", n, minimum=2),
        size=model.input_shape[-1],
        seed=seed,
        shapes=shapes,
        device=_device(model),
    )
    mu = _posterior_means(model, images).double()
    factors = factors.double()
    out = {}
    for name, unit in model.factor_units.items():
        a = mu[:, unit] - mu[:, unit].mean()
        b = factors[:, FACTOR_NAMES.index(name)] - factors[:, FACTOR_NAMES.index(name)].mean()
        out[name] = float((a * b).sum() / (a.pow(2).sum() * b.pow(2).sum()).sqrt())
    return out


def factor_invariance(
    model: DCIGN, n_batches: int = 20, batch_size: int = 32, seed: int = 2, shapes=SHAPES
) -> dict[str, dict[str, float]]:
    r"""How much each assigned unit moves when *other* factors change, relative to its own.

    For factor :math:`f` with unit :math:`j` and any factor :math:`g`, let
    :math:`s_j(g)` be the standard deviation of :math:`\mu_j` within a batch where only
    :math:`g` varies, averaged over ``n_batches`` such batches. Returns
    ``{f: {g: s_j(g) / s_j(f)}}`` for every :math:`g \ne f`: 0 is a perfectly invariant unit,
    1 a unit that moves as much with :math:`g` as with its own factor.
    """
    positive_int("n_batches", n_batches)
    spread = {}  # g -> (Z,) mean within-batch std of every unit when g varies
    for i, g in enumerate(FACTOR_NAMES):
        if g == "shape" and len(shapes) < 2:
            continue
        data = factor_batch_data(
            n_batches,
            batch_size,
            (g,),
            seed=seed + i,
            size=model.input_shape[-1],
            shapes=shapes,
            device=_device(model),
        )
        mu = _posterior_means(model, data.images.flatten(0, 1))  # (N B, Z)
        spread[g] = mu.view(n_batches, batch_size, -1).std(1).mean(0)  # (Z,)
    return {
        f: {g: float(s[unit] / spread[f][unit]) for g, s in spread.items() if g != f}
        for f, unit in model.factor_units.items()
    }


def disentanglement(model: DCIGN, seed: int = 1) -> Disentanglement:
    """:func:`factor_correlations` and :func:`factor_invariance` in one call."""
    return Disentanglement(
        factor_correlations(model, seed=seed), factor_invariance(model, seed=seed + 1)
    )
