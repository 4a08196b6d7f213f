r"""GAN generators and discriminators (slides "Typical generator architecture", "Typical
discriminator architecture"): MLPs for 1-D and 2-D toy data, a small DCGAN for images, and a
Gaussian generator :math:`G(z) = \mu + \sigma \odot z` for the f-GAN mode-seeking demo.

Every discriminator returns **logits** :math:`\ell` (one per sample, shape ``(B,)``), never
probabilities: :math:`D(x) = \sigma(\ell)` is applied by the losses in :mod:`genlab.losses`
(the f-GAN losses read :math:`\ell` as the variational function's pre-activation :math:`v`).

:class:`GroupedMLP` stacks ``N`` MLPs of one shape into parameters shaped ``(N, in, out)``, so
that ``N`` independent GANs train at once with ``torch.baddbmm`` (lecture 08's many-seed runs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from genlab._checks import choice, positive, positive_int
from genlab.models._blocks import mlp
from genlab.models.registry import register

__all__ = [
    "ARCHS",
    "GAN",
    "GAN_PRESETS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GANConfig",
    "GaussianGenerator",
    "GroupedGAN",
    "GroupedMLP",
    "MLPDiscriminator",
    "MLPGenerator",
    "build_gan",
]

ARCHS = ("mlp", "dcgan", "gaussian")
OUTPUTS = ("linear", "sigmoid")
LEAK = 0.2  # LeakyReLU slope of every discriminator (Radford et al. 2016, Sec. 3)


@dataclass(frozen=True)
class GANConfig:
    """Configuration of a :class:`GAN`: its data shape, latent size and architecture.

    ``arch``: ``"mlp"`` (toy data ``(D,)``), ``"dcgan"`` (images ``(C, H, W)``, H and W divisible
    by ``2 ** len(channels)``) or ``"gaussian"`` (generator :math:`\\mu + \\sigma z` with
    ``latent_dim == D``, MLP discriminator). ``channels`` are the discriminator's, going down;
    the DCGAN generator mirrors them going up. ``output`` is the generator's last activation:
    ``"sigmoid"`` for images in [0, 1], ``"linear"`` for toy data.

    Two ways to keep the discriminator (a Wasserstein critic) Lipschitz: ``spectral_norm``
    divides every weight of the discriminator by its largest singular value
    (``torch.nn.utils.parametrizations.spectral_norm``, one power iteration per forward pass
    in training; Miyato et al. 2018), and ``weight_clip`` = c clips every parameter of the
    discriminator into [-c, c] after each of its updates (the trainers do; Arjovsky et al.
    2017).
    """

    data_shape: tuple[int, ...] = (1,)
    latent_dim: int = 1
    arch: str = "mlp"
    g_hidden: tuple[int, ...] = (16, 16)
    d_hidden: tuple[int, ...] = (16, 16)
    channels: tuple[int, ...] = (32, 64)  # dcgan only
    output: str = "linear"
    spectral_norm: bool = False
    weight_clip: float | None = None

    def __post_init__(self):
        for name in ("data_shape", "g_hidden", "d_hidden", "channels"):
            object.__setattr__(self, name, tuple(int(s) for s in getattr(self, name)))
        choice("arch", self.arch, ARCHS)
        choice("output", self.output, OUTPUTS)
        positive_int("latent_dim", self.latent_dim)
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"spectral_norm must be True or False; got {self.spectral_norm!r}")
        if self.weight_clip is not None:
            positive("weight_clip", self.weight_clip)
        if not self.data_shape or any(s < 1 for s in self.data_shape):
            raise ValueError(f"data_shape must be positive sizes; got {self.data_shape}")
        for name in ("g_hidden", "d_hidden", "channels"):
            if any(h < 1 for h in getattr(self, name)):
                raise ValueError(f"{name} must be positive widths; got {getattr(self, name)}")
        if self.arch in ("mlp", "gaussian") and len(self.data_shape) != 1:
            raise ValueError(
                f"arch={self.arch!r} needs a flat data_shape (D,); got {self.data_shape} "
                "(use arch='dcgan' for images)"
            )
        if self.arch == "gaussian" and self.latent_dim != self.data_shape[0]:
            raise ValueError(
                f"arch='gaussian' needs latent_dim == data_shape[0] ({self.data_shape[0]}); "
                f"got latent_dim={self.latent_dim}"
            )
        if self.arch == "dcgan":
            if len(self.data_shape) != 3 or not self.channels:
                raise ValueError(
                    "arch='dcgan' needs data_shape (C, H, W) and at least one channel width; "
                    f"got data_shape {self.data_shape}, channels {self.channels}"
                )
            stride = 2 ** len(self.channels)
            if self.data_shape[1] % stride or self.data_shape[2] % stride:
                raise ValueError(
                    f"arch='dcgan' with {len(self.channels)} stride-2 layers needs H and W "
                    f"divisible by {stride}; got data_shape {self.data_shape}"
                )

    @property
    def data_dim(self) -> int:
        return math.prod(self.data_shape)


GAN_PRESETS: dict[str, GANConfig] = {
    # The 1-D intuition (slide "1D intuition"): z in R -> x in R, bimodal target.
    "toy1d": GANConfig(data_shape=(1,), latent_dim=1, g_hidden=(16, 16), d_hidden=(16, 16)),
    # 2-D targets (three blobs, the ring of eight Gaussians).
    "toy2d": GANConfig(data_shape=(2,), latent_dim=2, g_hidden=(64, 64), d_hidden=(64, 64)),
    # G(z) = mu + sigma z against an MLP critic: KL covers modes, reverse KL seeks one.
    "gaussian1d": GANConfig(data_shape=(1,), latent_dim=1, arch="gaussian", d_hidden=(32, 32)),
    # DCGAN for the 8x8 digits: 2x2 -> 4x4 -> 8x8.
    "digits": GANConfig(
        data_shape=(1, 8, 8), latent_dim=16, arch="dcgan", channels=(32, 64), output="sigmoid"
    ),
    # DCGAN for the 32x32 sprites: 4x4 -> 8x8 -> 16x16 -> 32x32.
    "sprites": GANConfig(
        data_shape=(1, 32, 32),
        latent_dim=16,
        arch="dcgan",
        channels=(32, 64, 128),
        output="sigmoid",
    ),
}


def _output(kind: str) -> nn.Module:
    return nn.Sigmoid() if kind == "sigmoid" else nn.Identity()


def _batch_norm(channels: int) -> nn.BatchNorm2d:
    """Batch norm that always uses the statistics of the batch at hand (no running averages):
    GAN samples are generated in batches, as in training (as pytorch/examples' DCGAN does)."""
    return nn.BatchNorm2d(channels, track_running_stats=False)


def _check_latent(z, latent_dim: int) -> torch.Tensor:
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != latent_dim:
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"z must have shape (batch, {latent_dim}); got {got}")
    return z


def _check_data(x, data_shape: tuple[int, ...]) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != data_shape:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"x must have shape (batch, {', '.join(map(str, data_shape))}) for this "
            f"discriminator; got {got}"
        )
    return x


# ------------------------------------------------------------------------------ generators


@register(GANConfig)
class MLPGenerator(nn.Module):
    """:math:`G: z \\mapsto x`, an MLP with ReLU hidden layers: ``(B, Z) -> (B, D)``."""

    def __init__(self, config: GANConfig = GAN_PRESETS["toy1d"]):
        super().__init__()
        self.config = config
        sizes = (config.latent_dim, *config.g_hidden, config.data_dim)
        self.net = nn.Sequential(mlp(sizes, nn.ReLU), _output(config.output))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(_check_latent(z, self.config.latent_dim))


@register(GANConfig)
class GaussianGenerator(nn.Module):
    """:math:`G(z) = \\mu + \\sigma \\odot z`, :math:`\\sigma = e^{\\text{log\\_scale}}`, so
    :math:`p_g = \\mathcal N(\\mu, \\operatorname{diag}\\sigma^2)`: ``(B, D) -> (B, D)``."""

    def __init__(self, config: GANConfig = GAN_PRESETS["gaussian1d"]):
        super().__init__()
        self.config = config
        self.loc = nn.Parameter(torch.zeros(config.data_dim))
        self.log_scale = nn.Parameter(torch.zeros(config.data_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.loc + self.log_scale.exp() * _check_latent(z, self.config.latent_dim)


@register(GANConfig)
class DCGANGenerator(nn.Module):
    """Up-convolutional generator (Radford et al. 2016): a linear layer to a small feature map,
    then stride-2 transposed convolutions with batch norm and ReLU: ``(B, Z) -> (B, C, H, W)``.

    Batch norm normalises each generated batch by its own statistics, in training and in eval
    mode alike, so generate a few dozen samples at a time.
    """

    def __init__(self, config: GANConfig = GAN_PRESETS["digits"]):
        super().__init__()
        if config.arch != "dcgan":
            raise ValueError(f"config.arch must be 'dcgan' for DCGANGenerator; got {config.arch!r}")
        self.config = config
        c_out, height, width = config.data_shape
        down = 2 ** len(config.channels)
        rev = tuple(reversed(config.channels))  # widest first
        feat = (rev[0], height // down, width // down)
        layers: list[nn.Module] = [
            nn.Linear(config.latent_dim, math.prod(feat)),
            nn.Unflatten(1, feat),
            _batch_norm(rev[0]),
            nn.ReLU(),
        ]  # (B, Z) -> (B, C_L, H / 2^L, W / 2^L)
        outs = (*rev[1:], c_out)
        for i, (a, b) in enumerate(zip(rev, outs, strict=True)):
            layers.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))  # doubles H, W
            if i < len(outs) - 1:  # no norm or ReLU after the last: the output activation
                layers += [_batch_norm(b), nn.ReLU()]
        self.net = nn.Sequential(*layers, _output(config.output))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(_check_latent(z, self.config.latent_dim))


# -------------------------------------------------------------------------- discriminators


@register(GANConfig)
class MLPDiscriminator(nn.Module):
    """An MLP with LeakyReLU(0.2) hidden layers returning one logit: ``(B, D) -> (B,)``."""

    def __init__(self, config: GANConfig = GAN_PRESETS["toy1d"]):
        super().__init__()
        self.config = config
        sizes = (config.data_dim, *config.d_hidden, 1)
        self.net = mlp(sizes, partial(nn.LeakyReLU, LEAK), spectral=config.spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_check_data(x, self.config.data_shape)).squeeze(-1)


@register(GANConfig)
class DCGANDiscriminator(nn.Module):
    """Recognition CNN: stride-2 convolutions with LeakyReLU(0.2), then one logit:
    ``(B, C, H, W) -> (B,)``. No batch norm, so that real and fake batches can share one
    forward pass without mixing their statistics."""

    def __init__(self, config: GANConfig = GAN_PRESETS["digits"]):
        super().__init__()
        if config.arch != "dcgan":
            raise ValueError(
                f"config.arch must be 'dcgan' for DCGANDiscriminator; got {config.arch!r}"
            )
        self.config = config
        c_in, height, width = config.data_shape
        chans = (c_in, *config.channels)
        norm = spectral_norm if config.spectral_norm else (lambda layer: layer)
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:], strict=True):
            conv = norm(nn.Conv2d(a, b, 4, stride=2, padding=1))  # halves H, W
            layers += [conv, nn.LeakyReLU(LEAK)]
        down = 2 ** len(config.channels)
        feat = chans[-1] * (height // down) * (width // down)
        self.net = nn.Sequential(*layers, nn.Flatten(), norm(nn.Linear(feat, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_check_data(x, self.config.data_shape)).squeeze(-1)


# -------------------------------------------------------------------------------- the pair


@register(GANConfig)
class GAN(nn.Module):
    """A generator and a discriminator built from one :class:`GANConfig`.

    ``generator``: ``(B, Z) -> (B, *data_shape)``; ``discriminator``: ``(B, *data_shape) ->
    (B,)`` logits. The prior is :math:`p(z) = \\mathcal N(0, I)` (slide: "Unit Gaussian
    distribution on z").
    """

    def __init__(self, config: GANConfig = GAN_PRESETS["toy1d"]):
        super().__init__()
        self.config = config
        if config.arch == "dcgan":
            self.generator: nn.Module = DCGANGenerator(config)
            self.discriminator: nn.Module = DCGANDiscriminator(config)
        else:
            generator = GaussianGenerator if config.arch == "gaussian" else MLPGenerator
            self.generator = generator(config)
            self.discriminator = MLPDiscriminator(config)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generated samples :math:`G(z)`."""
        return self.generator(z)

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return list(self.discriminator.parameters())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples :math:`G(z)`, :math:`z \\sim \\mathcal N(0, I)`, in eval mode."""
        n = positive_int("n", n)
        device = next(self.parameters()).device
        z = torch.randn(n, self.config.latent_dim, generator=generator, device="cpu").to(device)
        was_training = self.training
        self.eval()
        x = self.generator(z)
        self.train(was_training)
        return x


@torch.no_grad()
def start_critic_at_zero(discriminator: nn.Module) -> nn.Module:
    """Zero a discriminator's output layer, so that it starts as the critic f = 0 (in place;
    returns it). A Wasserstein critic trained with a two-sided gradient penalty needs it:
    from a random start the penalty first drives :math:`|f'|` to 1 in the direction of the
    random initial slope, and when that direction is wrong the critic is stuck at
    :math:`\\mathbb E_p f - \\mathbb E_q f \approx -W_1`, since turning round means passing
    :math:`|f'| = 0`, where the penalty costs :math:`\\lambda`. Not for a spectrally
    normalised discriminator (a zero matrix has no spectral norm to divide by)."""
    if not discriminator.config.spectral_norm:
        last = [m for m in discriminator.modules() if isinstance(m, nn.Linear)][-1]
        last.weight.zero_()
        last.bias.zero_()
    return discriminator


def build_gan(config: GANConfig | str) -> GAN:
    """A :class:`GAN` from a config or a preset name (``GAN_PRESETS``)."""
    if isinstance(config, str):
        config = GAN_PRESETS[choice("config", config, GAN_PRESETS)]
    if not isinstance(config, GANConfig):
        raise ValueError(
            f"config must be a GANConfig or a preset name; got {type(config).__name__}"
        )
    return GAN(config)


# ------------------------------------------------------------------ many GANs at once


class GroupedMLP(nn.Module):
    """``N`` MLPs of one shape run as one: weights ``(N, in, out)``, biases ``(N, 1, out)``.

    ``(N, B, in) -> (N, B, out)``: every layer is one ``torch.baddbmm`` (a broadcast product
    when ``in`` or ``out`` is 1, which is faster on the CPU), so ``N`` small networks cost as
    many kernel launches as one. Built from ``N`` ``nn.Sequential`` MLPs (their
    weights copied, so the grouped runs start where the separate ones would), and unstacked
    back with :meth:`copy_to`. Nothing mixes the ``N`` slices: run ``i``'s output and
    gradients depend on run ``i``'s parameters only.
    """

    def __init__(self, mlps: Sequence[nn.Sequential]):
        super().__init__()
        if not mlps:
            raise ValueError("mlps must hold at least one nn.Sequential MLP")
        self.n = len(mlps)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        self._layers: list[int | nn.Module] = []  # index of a linear layer, or an activation
        for i, layer in enumerate(mlps[0]):
            if isinstance(layer, nn.Linear):
                group = [m[i] for m in mlps]
                self._layers.append(len(self.weights))
                self.weights.append(nn.Parameter(torch.stack([g.weight.detach().T for g in group])))
                self.biases.append(
                    nn.Parameter(torch.stack([g.bias.detach()[None] for g in group]))
                )
            else:  # a stateless activation, applied elementwise to all N slices
                self._layers.append(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for item in self._layers:
            if isinstance(item, nn.Module):
                x = item(x)
                continue
            w, b = self.weights[item], self.biases[item]  # (N, in, out), (N, 1, out)
            if w.shape[1] == 1:  # in = 1: an outer product, cheaper broadcast than bmm
                x = torch.addcmul(b, x, w)  # (N, B, 1) * (N, 1, out) -> (N, B, out)
            elif w.shape[2] == 1:  # out = 1: a dot product per row
                x = (x * w.transpose(1, 2)).sum(-1, keepdim=True) + b  # (N, B, in) -> (N, B, 1)
            else:
                x = torch.baddbmm(b, x, w)  # (N, B, in) @ (N, in, out) -> (N, B, out)
        return x

    @torch.no_grad()
    def copy_to(self, index: int, mlp: nn.Sequential) -> nn.Sequential:
        """Write run ``index``'s parameters into ``mlp`` (an MLP of the grouped shape)."""
        linears = [m for m in mlp if isinstance(m, nn.Linear)]
        for layer, w, b in zip(linears, self.weights, self.biases, strict=True):
            layer.weight.copy_(w[index].T)
            layer.bias.copy_(b[index, 0])
        return mlp


class GroupedGAN(nn.Module):
    """``N`` toy GANs (``arch`` ``"mlp"`` or ``"gaussian"``) with grouped parameters.

    ``generator(z)``: ``(N, B, Z) -> (N, B, D)``; ``discriminator(x)``: ``(N, B, D) -> (N, B)``.
    Build it from ``N`` :class:`GAN` objects of one config; :meth:`unstack` returns run ``i``
    as an ordinary :class:`GAN`.
    """

    def __init__(self, gans: Sequence[GAN]):
        super().__init__()
        if not gans:
            raise ValueError("gans must hold at least one GAN")
        config = gans[0].config
        if config.arch == "dcgan":
            raise ValueError("GroupedGAN takes arch 'mlp' or 'gaussian'; got 'dcgan'")
        if config.spectral_norm:
            raise ValueError(
                "GroupedGAN cannot stack spectrally normalised discriminators; got a config "
                "with spectral_norm=True (train such runs one by one, with GANTrainer)"
            )
        if any(g.config != config for g in gans):
            raise ValueError("gans must all share one GANConfig")
        self.config = config
        self.n = len(gans)
        self.d_net = GroupedMLP([g.discriminator.net for g in gans])
        if config.arch == "gaussian":
            self.g_net = None
            self.loc = nn.Parameter(torch.stack([g.generator.loc.detach()[None] for g in gans]))
            self.log_scale = nn.Parameter(
                torch.stack([g.generator.log_scale.detach()[None] for g in gans])
            )  # (N, 1, D)
        else:
            self.g_net = GroupedMLP([g.generator.net[0] for g in gans])
            self.g_out = gans[0].generator.net[1]

    def generator(self, z: torch.Tensor) -> torch.Tensor:
        if self.g_net is None:
            return self.loc + self.log_scale.exp() * z  # (N, B, D)
        return self.g_out(self.g_net(z))

    def discriminator(self, x: torch.Tensor) -> torch.Tensor:
        return self.d_net(x).squeeze(-1)  # (N, B, D) -> (N, B)

    def generator_parameters(self) -> list[nn.Parameter]:
        if self.g_net is None:
            return [self.loc, self.log_scale]
        return list(self.g_net.parameters())

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return list(self.d_net.parameters())

    @torch.no_grad()
    def unstack(self, index: int) -> GAN:
        """Run ``index`` as an ordinary :class:`GAN` (on the CPU, in eval mode, in the grouped
        parameters' dtype)."""
        if not 0 <= index < self.n:
            raise ValueError(f"index must lie in [0, {self.n}); got {index}")
        with torch.random.fork_rng(devices=[]):  # the throwaway initialisation draws nothing
            gan = GAN(self.config).to(self.d_net.weights[0].dtype)
        self.d_net.copy_to(index, gan.discriminator.net)
        if self.g_net is None:
            gan.generator.loc.copy_(self.loc[index, 0])
            gan.generator.log_scale.copy_(self.log_scale[index, 0])
        else:
            self.g_net.copy_to(index, gan.generator.net[0])
        return gan.cpu().eval()
