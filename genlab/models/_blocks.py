"""The blocks every model family is built from: MLPs, stride-2 conv stacks, and the decoder
likelihood that turns a decoder's output into :math:`p_\\theta(x|z)`, its mean and the ELBO."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from genlab import losses
from genlab._checks import choice, positive_int


def mlp(
    sizes: Sequence[int], activation: Callable[[], nn.Module] = nn.ReLU, spectral: bool = False
) -> nn.Sequential:
    """Linear layers of ``sizes`` with ``activation()`` between them (none after the last);
    ``spectral=True`` wraps each in ``torch.nn.utils.parametrizations.spectral_norm``."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(n_in, n_out)
        layers.append(spectral_norm(linear) if spectral else linear)
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def conv_encoder(channels: tuple[int, ...], activation=nn.ReLU) -> nn.Sequential:
    """Stride-2 4x4 convolutions, each followed by ``activation()``:
    ``(B, C, H, W) -> (B, c_L, H / 2^L, W / 2^L)`` for ``channels = (C, c_1, ..., c_L)``."""
    layers: list[nn.Module] = []
    for a, b in zip(channels[:-1], channels[1:], strict=True):
        layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), activation()]
    return nn.Sequential(*layers)


def conv_decoder(channels: tuple[int, ...], activation=nn.ReLU) -> nn.Sequential:
    """The mirror of :func:`conv_encoder`: transposed convolutions with ``activation()``
    between them (none after the last): ``(B, c_L, h, w) -> (B, C, 2^L h, 2^L w)``."""
    rev = tuple(reversed(channels))
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(rev[:-1], rev[1:], strict=True)):
        layers.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
        if i < len(rev) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def check_conv_geometry(shape: tuple[int, ...], channels: tuple[int, ...], what: str) -> None:
    """Raise unless ``len(channels)`` stride-2 layers divide the image ``(C, H, W)`` evenly."""
    stride = 2 ** len(channels)
    if shape[1] % stride or shape[2] % stride:
        raise ValueError(
            f"{what} with {len(channels)} stride-2 layers needs H and W divisible by {stride}; "
            f"got {tuple(shape)}"
        )


def check_vae_family_config(config) -> None:
    """Normalise and check the fields every VAE-family config shares (``input_shape``,
    ``latent_dim``, ``hidden``, ``likelihood``, ``arch``, ``channels``); called by their
    ``__post_init__``."""
    for name in ("input_shape", "hidden", "channels"):
        object.__setattr__(config, name, tuple(int(s) for s in getattr(config, name)))
    choice("likelihood", config.likelihood, losses.LIKELIHOODS)
    choice("arch", config.arch, ("mlp", "conv"))
    if not config.input_shape or any(s < 1 for s in config.input_shape):
        raise ValueError(f"input_shape must be positive sizes; got {config.input_shape}")
    positive_int("latent_dim", config.latent_dim)
    if not config.hidden or any(h < 1 for h in config.hidden):
        raise ValueError(f"hidden must be one or more positive widths; got {config.hidden}")
    if config.arch == "conv":
        if len(config.input_shape) != 3 or not config.channels:
            raise ValueError(
                "arch='conv' needs input_shape (C, H, W) and channels; got "
                f"input_shape {config.input_shape}, channels {config.channels}"
            )
        check_conv_geometry(config.input_shape, config.channels, "arch='conv'")


class DecoderLikelihood:
    """The VAE family's decoder likelihood :math:`p_\\theta(x|z)`, shared by every model whose
    config has ``likelihood`` (``"bernoulli"``: the decoder outputs logits; ``"gaussian"``: it
    outputs the mean) and ``decoder_logvar`` (a fixed :math:`\\log\\sigma_x^2`, or ``None`` to
    learn one per output dimension). Mix into an ``nn.Module`` and call
    :meth:`_init_likelihood` in ``__init__``."""

    config: object

    def _init_likelihood(self, config) -> None:
        if config.likelihood == "gaussian" and config.decoder_logvar is None:
            self.decoder_logvar = nn.Parameter(torch.zeros(config.input_shape))
        else:
            self.decoder_logvar = None

    def mean(self, decoded: torch.Tensor) -> torch.Tensor:
        """The mean of :math:`p_\\theta(x|z)` from the decoder output (in data space)."""
        return torch.sigmoid(decoded) if self.config.likelihood == "bernoulli" else decoded

    def _decoder_logvar(self, like: torch.Tensor) -> torch.Tensor | None:
        """:math:`\\log\\sigma_x^2` of a Gaussian decoder (on ``like``'s device and dtype)."""
        if self.config.likelihood == "bernoulli":
            return None
        if self.decoder_logvar is not None:
            return self.decoder_logvar.to(device=like.device, dtype=like.dtype)
        return like.new_tensor(float(self.config.decoder_logvar))

    def _elbo_terms(self, x, mu, logvar, decoded) -> losses.ELBO:
        """:func:`genlab.losses.elbo` under this decoder's likelihood: ``-> 3 x (B,)``."""
        likelihood = self.config.likelihood
        return losses.elbo(x, mu, logvar, decoded, likelihood, self._decoder_logvar(x))


def negative_elbo_loss(terms: losses.ELBO) -> dict[str, torch.Tensor]:
    """The training loss of a VAE: the negative ELBO, mean over the batch, with its terms."""
    return {
        "loss": -terms.elbo.mean(),
        "elbo": terms.elbo.mean().detach(),
        "kl": -terms.regularization.mean().detach(),
        "reconstruction": terms.reconstruction.mean().detach(),
    }
