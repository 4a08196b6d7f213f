r"""Variational autoencoders: an MLP VAE and a small convolutional VAE (slides "VAE Example",
"Autoencoder Interpretation", "1D Gaussian Case").

Every VAE here encodes to a diagonal Gaussian
:math:`q_\phi(z|x) = \mathcal N(\mu, e^{\text{logvar}})`, has the prior
:math:`p(z) = \mathcal N(0, I)`, and a Bernoulli (logits) or Gaussian (mean, with a fixed or
learned log-variance) decoder. The objective is :func:`genlab.losses.elbo`; nothing here
re-derives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn

from genlab import losses
from genlab._checks import choice
from genlab.models._blocks import (
    DecoderLikelihood,
    check_vae_family_config,
    conv_decoder,
    conv_encoder,
    mlp,
    negative_elbo_loss,
)
from genlab.models.registry import register

LIKELIHOODS = losses.LIKELIHOODS


class Posterior(NamedTuple):
    """Parameters of :math:`q_\\phi(z|x)`."""

    mu: torch.Tensor  # (B, Z)
    logvar: torch.Tensor  # (B, Z)


class VAEOutput(NamedTuple):
    """One pass through the VAE: decoder output at a reparameterized ``z``."""

    decoded: torch.Tensor  # (B, *input_shape): logits (Bernoulli) or mean (Gaussian)
    mu: torch.Tensor  # (B, Z)
    logvar: torch.Tensor  # (B, Z)
    z: torch.Tensor  # (B, Z)


@dataclass(frozen=True)
class VAEConfig:
    """Configuration of :class:`MLPVAE` and :class:`ConvVAE`.

    ``decoder_logvar`` applies to the Gaussian decoder only: a number fixes
    :math:`\\log\\sigma_x^2` (least squares, slide "1D Gaussian Case"), ``None`` learns one
    log-variance per output dimension.
    """

    input_shape: tuple[int, ...] = (1, 8, 8)
    latent_dim: int = 2
    hidden: tuple[int, ...] = (256, 128)
    likelihood: str = "bernoulli"
    decoder_logvar: float | None = None
    arch: str = "mlp"  # "mlp" or "conv"
    channels: tuple[int, ...] = field(default=(32, 64))  # conv only

    def __post_init__(self):
        check_vae_family_config(self)


VAE_PRESETS: dict[str, VAEConfig] = {
    # 2-D toy data: Gaussian decoder with a learned variance.
    "toy2d": VAEConfig(input_shape=(2,), latent_dim=2, hidden=(64, 64), likelihood="gaussian"),
    # The 8x8 digits: grey levels in [0, 1] under a Bernoulli decoder (the cross-entropy).
    "digits": VAEConfig(input_shape=(1, 8, 8), latent_dim=2, hidden=(256, 128)),
    "digits_conv": VAEConfig(
        input_shape=(1, 8, 8), latent_dim=8, arch="conv", channels=(32, 64), hidden=(256,)
    ),
    # 32x32 sprites.
    "sprites": VAEConfig(
        input_shape=(1, 32, 32), latent_dim=8, arch="conv", channels=(32, 32, 64, 64), hidden=(256,)
    ),
    # 28x28 MNIST-style images read from IDX files.
    "mnist": VAEConfig(input_shape=(1, 28, 28), latent_dim=16, hidden=(512, 256)),
}


class VAE(DecoderLikelihood, nn.Module):
    """The parts every VAE shares; subclasses build ``encoder`` and ``decoder``.

    ``encoder`` maps ``(B, *input_shape)`` to ``(B, 2 Z)`` (mean and log-variance);
    ``decoder`` maps ``(B, Z)`` to ``(B, *input_shape)``.
    """

    config: VAEConfig

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        self.input_shape = config.input_shape
        self.latent_dim = config.latent_dim
        self._init_likelihood(config)

    # -- checks ---------------------------------------------------------------------------
    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.shape[1:] != self.input_shape:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"x must have shape (batch, {', '.join(map(str, self.input_shape))}) for this "
                f"{type(self).__name__}; got {got}"
            )
        return x

    def _check_latent(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (batch, {self.latent_dim}); got {got}")
        return z

    # -- the model ------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> Posterior:
        """Parameters of :math:`q_\\phi(z|x)`: ``(B, *input_shape) -> 2 x (B, Z)``."""
        h = self.encoder(self._check_input(x))  # (B, 2Z)
        mu, logvar = h.chunk(2, dim=-1)
        return Posterior(mu, logvar)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder output (logits or mean): ``(B, Z) -> (B, *input_shape)``."""
        return self.decoder(self._check_latent(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = losses.reparameterize(mu, logvar, generator=generator)
        return VAEOutput(self.decoder(z), mu, logvar, z)

    def elbo(self, x: torch.Tensor, generator: torch.Generator | None = None) -> losses.ELBO:
        """Per-sample ELBO in nats under the decoder's likelihood, with its two terms."""
        decoded, mu, logvar, _ = self(x, generator=generator)
        return self._elbo_terms(x, mu, logvar, decoded)

    def loss(self, batch) -> dict[str, torch.Tensor]:
        """Training loss: the negative ELBO, mean over the batch, plus its terms."""
        x = batch[0] if isinstance(batch, tuple | list) else batch
        return negative_elbo_loss(self.elbo(x))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` decoded means of :math:`z \\sim p(z)`: ``-> (n, *input_shape)``."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer; got {n!r}")
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.mean(self.decode(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decoded mean at the posterior mean: ``(B, *input_shape) -> (B, *input_shape)``."""
        return self.mean(self.decode(self.encode(x).mu))


@register(VAEConfig)
class MLPVAE(VAE):
    """A VAE whose encoder and decoder are MLPs (flattened inputs)."""

    def __init__(self, config: VAEConfig = VAE_PRESETS["digits"]):
        if config.arch != "mlp":
            raise ValueError(f"config.arch must be 'mlp' for MLPVAE; got {config.arch!r}")
        super().__init__(config)
        d = math.prod(config.input_shape)
        self.encoder = nn.Sequential(
            nn.Flatten(), mlp((d, *config.hidden, 2 * config.latent_dim))
        )  # (B, *shape) -> (B, 2Z)
        self.decoder = nn.Sequential(
            mlp((config.latent_dim, *reversed(config.hidden), d)),
            nn.Unflatten(1, config.input_shape),
        )  # (B, Z) -> (B, *shape)


@register(VAEConfig)
class ConvVAE(VAE):
    """A small convolutional VAE: stride-2 convolutions down, transposed convolutions up."""

    def __init__(self, config: VAEConfig = VAE_PRESETS["sprites"]):
        if config.arch != "conv":
            raise ValueError(f"config.arch must be 'conv' for ConvVAE; got {config.arch!r}")
        super().__init__(config)
        c_in, height, width = config.input_shape
        chans = (c_in, *config.channels)
        down = len(config.channels)
        feat = (chans[-1], height // 2**down, width // 2**down)
        self.encoder = nn.Sequential(  # flat, so that the parameter names stay encoder.0, ...
            *conv_encoder(chans),
            nn.Flatten(),
            mlp((math.prod(feat), *config.hidden, 2 * config.latent_dim)),
        )  # (B, C, H, W) -> (B, 2Z)
        dec: list[nn.Module] = [
            mlp((config.latent_dim, *reversed(config.hidden), math.prod(feat))),
            nn.ReLU(),
            nn.Unflatten(1, feat),
            *conv_decoder(chans),
        ]
        self.decoder = nn.Sequential(*dec)  # (B, Z) -> (B, C, H, W)


def build_vae(config: VAEConfig | str) -> VAE:
    """A VAE from a config or a preset name (``VAE_PRESETS``)."""
    if isinstance(config, str):
        config = VAE_PRESETS[choice("config", config, VAE_PRESETS)]
    return MLPVAE(config) if config.arch == "mlp" else ConvVAE(config)


PRESETS = VAE_PRESETS  # the name before every family spelled its presets <FAMILY>_PRESETS
