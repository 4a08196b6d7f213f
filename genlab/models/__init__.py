"""The course's models, each with a frozen config dataclass and named presets."""

from genlab.models.registry import REGISTRY, register
from genlab.models.vae import MLPVAE, PRESETS, VAE, ConvVAE, Posterior, VAEConfig, build_vae

__all__ = [
    "PRESETS",
    "REGISTRY",
    "VAE",
    "ConvVAE",
    "MLPVAE",
    "Posterior",
    "VAEConfig",
    "build_vae",
    "register",
]
