"""genlab: the companion package of the course on Variational Autoencoders and GANs.

The lectures (``lectures/``) call it for every loss, model, trainer and widget;
the math lives here once and is tested in ``tests/``.
"""

__version__ = "0.1.0"

from genlab.checkpoint import load, save  # noqa: E402
from genlab.device import (  # noqa: E402
    available_devices,
    check_environment,
    require_version,
    resolve_device,
    seed_everything,
)

__all__ = [
    "__version__",
    "available_devices",
    "check_environment",
    "load",
    "require_version",
    "resolve_device",
    "save",
    "seed_everything",
]
