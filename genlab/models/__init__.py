"""The course's models, each with a frozen config dataclass and named presets."""

# Importing every model module registers its classes, so that genlab.checkpoint.load can
# rebuild any of them.
from genlab.models import classifier, conditional, dcign, gan, vqvae  # noqa: F401
from genlab.models.registry import REGISTRY, register
from genlab.models.vae import (
    MLPVAE,
    PRESETS,
    VAE,
    VAE_PRESETS,
    ConvVAE,
    Posterior,
    VAEConfig,
    build_vae,
)

__all__ = [
    "PRESETS",
    "REGISTRY",
    "VAE",
    "VAE_PRESETS",
    "ConvVAE",
    "MLPVAE",
    "Posterior",
    "VAEConfig",
    "build_vae",
    "register",
]
