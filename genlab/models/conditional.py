r"""A conditional VAE in the spirit of Attribute2Image (slide "Vision task II - Attribute2Image").

Yan et al. 2016 (Attribute2Image, Sec. 3.1) generate an image from a vector of attributes
:math:`y` and a latent :math:`z` that holds everything the attributes do not say. Both
networks see the attributes: the encoder is :math:`q_\phi(z \mid x, y)`, the decoder
:math:`p_\theta(x \mid z, y)`, the prior stays :math:`p(z) = \mathcal N(0, I)`, and the
conditional ELBO is the VAE's with :math:`y` added to every term (Sohn et al. 2015):

.. math::
    \log p_\theta(x \mid y) \ge -D_{KL}(q_\phi(z \mid x, y) \,\|\, p(z))
        + \mathbb E_{q_\phi(z \mid x, y)}[\log p_\theta(x \mid z, y)]

It is computed by :func:`genlab.losses.elbo`, which does not care what the networks were fed.
Sampling draws :math:`z \sim p(z)`, keeps the requested :math:`y` and decodes: a "2" with
:math:`y = e_2`, a small heart at the top left with the sprite attributes of one.

Attribute vectors: :func:`digit_attributes` (one-hot class) and :func:`sprite_attributes`
(one-hot shape, then scale, x, y mapped to [-1, 1], then optionally cos and sin of the rotation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from genlab import losses
from genlab._checks import positive_int
from genlab.data import FACTOR_NAMES, POSITION_RANGE, SCALE_RANGE, SHAPES
from genlab.models._blocks import (
    DecoderLikelihood,
    check_vae_family_config,
    conv_decoder,
    conv_encoder,
    mlp,
    negative_elbo_loss,
)
from genlab.models.registry import register
from genlab.models.vae import Posterior, VAEOutput

__all__ = [
    "CVAE",
    "CVAE_PRESETS",
    "SPRITE_ATTRIBUTES",
    "CVAEConfig",
    "conv_decoder",
    "conv_encoder",
    "digit_attributes",
    "sprite_attributes",
]

SPRITE_ATTRIBUTES = (*SHAPES, "scale", "x", "y", "cos_rotation", "sin_rotation")


# ---------------------------------------------------------------------------- attributes


def digit_attributes(labels, n_classes: int = 10) -> torch.Tensor:
    """One-hot attribute vectors ``(N,) int -> (N, n_classes)`` float32, on ``labels``' device."""
    n_classes = positive_int("n_classes", n_classes, minimum=2)
    labels = torch.as_tensor(labels)
    if labels.ndim != 1 or labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(
            f"labels must be a 1-D integer tensor of class indices; got {labels.dtype} "
            f"of shape {tuple(labels.shape)}"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}) for n_classes={n_classes}; "
            f"got values in [{int(labels.min())}, {int(labels.max())}]"
        )
    return nn.functional.one_hot(labels.long(), n_classes).float()


def _to_unit_range(t: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    return 2.0 * (t - lo) / (hi - lo) - 1.0  # [lo, hi] -> [-1, 1]


def sprite_attributes(factors: torch.Tensor, rotation: bool = True) -> torch.Tensor:
    """Attribute vectors of sprites from their factors: ``(N, 5) -> (N, 9)`` (``(N, 7)``
    without the rotation), in the order of ``SPRITE_ATTRIBUTES``.

    Columns: one-hot ``shape`` (4), then ``scale``, ``x``, ``y`` mapped from their sampling
    ranges to [-1, 1], then :math:`\\cos\\theta, \\sin\\theta` of the rotation (an angle is a
    point on a circle; one number would put 0 and :math:`2\\pi` far apart).
    """
    if not isinstance(factors, torch.Tensor) or factors.ndim != 2 or factors.shape[1] != 5:
        got = tuple(factors.shape) if isinstance(factors, torch.Tensor) else type(factors).__name__
        raise ValueError(f"factors must have shape (N, 5), columns {FACTOR_NAMES}; got {got}")
    shape, scale, theta, x, y = factors.float().unbind(-1)  # (N,) each
    columns = [
        nn.functional.one_hot(shape.round().long(), len(SHAPES)).float(),
        _to_unit_range(scale, *SCALE_RANGE)[:, None],
        _to_unit_range(x, *POSITION_RANGE)[:, None],
        _to_unit_range(y, *POSITION_RANGE)[:, None],
    ]
    if rotation:
        columns.append(torch.stack([theta.cos(), theta.sin()], dim=-1))
    return torch.cat(columns, dim=-1)


# ------------------------------------------------------------------------------ networks


@dataclass(frozen=True)
class CVAEConfig:
    """Configuration of :class:`CVAE`; like ``VAEConfig`` plus the attribute size."""

    input_shape: tuple[int, ...] = (1, 8, 8)
    attribute_dim: int = 10
    latent_dim: int = 8
    hidden: tuple[int, ...] = (256, 128)
    likelihood: str = "bernoulli"
    decoder_logvar: float | None = None  # Gaussian only: fixed log-variance, None learns one
    arch: str = "mlp"  # "mlp" or "conv"
    channels: tuple[int, ...] = field(default=(32, 64))  # conv only

    def __post_init__(self):
        check_vae_family_config(self)
        positive_int("attribute_dim", self.attribute_dim)


CVAE_PRESETS: dict[str, CVAEConfig] = {
    # 8x8 digits conditioned on the one-hot class. A Gaussian decoder with a fixed
    # sigma_x = e^-2 ~ 0.14: under the Bernoulli cross-entropy of grey levels the KL falls to
    # ~1 nat once the class is given and every sample of a class looks alike; pricing pixel
    # errors higher makes z carry the style (KL ~ 8 nats, varied samples).
    "digits": CVAEConfig(likelihood="gaussian", decoder_logvar=-4.0),
    "digits_bernoulli": CVAEConfig(),
    # 32x32 sprites conditioned on all their factors: z is left with almost nothing to say.
    "sprites": CVAEConfig(
        input_shape=(1, 32, 32),
        attribute_dim=len(SPRITE_ATTRIBUTES),
        latent_dim=4,
        hidden=(256,),
        arch="conv",
        channels=(32, 32, 64, 64),
    ),
}


@register(CVAEConfig)
class CVAE(DecoderLikelihood, nn.Module):
    """Conditional VAE: encoder :math:`q_\\phi(z|x,y)`, decoder :math:`p_\\theta(x|z,y)`.

    The encoder's image features ``(B, F)`` (flattened pixels or conv features) are
    concatenated with ``y (B, A)`` before an MLP that outputs ``(mu, logvar)``; the decoder's
    MLP takes ``[z, y] (B, Z + A)``.
    """

    def __init__(self, config: CVAEConfig = CVAE_PRESETS["digits"]):
        super().__init__()
        self.config = config
        self.input_shape = config.input_shape
        self.latent_dim = config.latent_dim
        self.attribute_dim = config.attribute_dim
        Z, A = config.latent_dim, config.attribute_dim
        if config.arch == "mlp":
            feat: tuple[int, ...] = (math.prod(config.input_shape),)
            self.features = nn.Flatten()  # (B, *shape) -> (B, D)
            body: list[nn.Module] = [nn.Unflatten(1, config.input_shape)]
        else:
            c_in, height, width = config.input_shape
            chans = (c_in, *config.channels)
            down = 2 ** len(config.channels)
            feat = (chans[-1], height // down, width // down)
            self.features = nn.Sequential(conv_encoder(chans), nn.Flatten())  # -> (B, F)
            body = [nn.ReLU(), nn.Unflatten(1, feat), conv_decoder(chans)]
        F = math.prod(feat)
        self.encoder_head = mlp((F + A, *config.hidden, 2 * Z))  # (B, F + A) -> (B, 2Z)
        self.decoder_head = mlp((Z + A, *reversed(config.hidden), F))  # (B, Z + A) -> (B, F)
        self.decoder_body = nn.Sequential(*body)  # (B, F) -> (B, *shape)
        self._init_likelihood(config)

    # -- checks ---------------------------------------------------------------------------
    def _check_input(self, x) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.shape[1:] != self.input_shape:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"x must have shape (batch, {', '.join(map(str, self.input_shape))}) for this "
                f"CVAE; got {got}"
            )
        return x

    def _check_attributes(self, y, batch: int | None) -> torch.Tensor:
        ok = (
            isinstance(y, torch.Tensor)
            and y.is_floating_point()
            and y.ndim == 2
            and y.shape[1] == self.attribute_dim
            and (batch is None or y.shape[0] == batch)
        )
        if not ok:
            got = f"{y.dtype} {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y)
            rows = "batch" if batch is None else str(batch)
            raise ValueError(
                f"y must be a float attribute tensor of shape ({rows}, {self.attribute_dim}) "
                f"(see digit_attributes / sprite_attributes); got {got}"
            )
        return y

    def _check_latent(self, z) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (batch, {self.latent_dim}); got {got}")
        return z

    # -- the model ------------------------------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor) -> Posterior:
        """Parameters of :math:`q_\\phi(z|x,y)`: ``(B, *input_shape), (B, A) -> 2 x (B, Z)``."""
        h = self.features(self._check_input(x))  # (B, F)
        y = self._check_attributes(y, len(x)).to(h.dtype)
        mu, logvar = self.encoder_head(torch.cat([h, y], dim=-1)).chunk(2, dim=-1)
        return Posterior(mu, logvar)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Decoder output (logits or mean): ``(B, Z), (B, A) -> (B, *input_shape)``."""
        z = self._check_latent(z)
        y = self._check_attributes(y, len(z)).to(z.dtype)
        return self.decoder_body(self.decoder_head(torch.cat([z, y], dim=-1)))

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> VAEOutput:
        mu, logvar = self.encode(x, y)
        z = losses.reparameterize(mu, logvar, generator=generator)  # (B, Z)
        return VAEOutput(self.decode(z, y), mu, logvar, z)

    def elbo(
        self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> losses.ELBO:
        """Per-sample conditional ELBO (nats) and its terms: ``-> 3 x (B,)``."""
        decoded, mu, logvar, _ = self(x, y, generator=generator)
        return self._elbo_terms(x, mu, logvar, decoded)

    def loss(self, batch) -> dict[str, torch.Tensor]:
        """Negative conditional ELBO, mean over the batch; ``batch = (x, y)``."""
        if not isinstance(batch, tuple | list) or len(batch) < 2:
            raise ValueError(
                "batch must be a pair (x, y) of images and attribute vectors; "
                f"got {type(batch).__name__}"
            )
        return negative_elbo_loss(self.elbo(batch[0], batch[1]))

    @torch.no_grad()
    def sample(
        self, n: int, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``n`` images with attributes ``y`` (``(A,)`` for all, or ``(n, A)``), decoded means
        at :math:`z \\sim p(z)`: ``-> (n, *input_shape)``. ``z`` is drawn on ``generator``'s
        device (so a CPU generator gives the same samples on every device)."""
        n = positive_int("n", n)
        param = next(self.parameters())
        if isinstance(y, torch.Tensor) and y.ndim == 1:
            y = y[None].expand(n, -1)
        y = self._check_attributes(y, n).to(param.device)
        where = generator.device if generator is not None else param.device
        z = torch.randn(n, self.latent_dim, generator=generator, device=where)  # (n, Z)
        return self.mean(self.decode(z.to(param), y))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Decoded mean at the posterior mean: ``(B, *input_shape), (B, A) -> (B, *shape)``."""
        return self.mean(self.decode(self.encode(x, y).mu, y))
