"""Helpers shared by the data modules: where randomness comes from and where tensors go."""

from __future__ import annotations

import torch

from genlab.device import resolve_device

_MAX_SEED = 2**63


def make_generator(seed: int | None, generator: torch.Generator | None) -> torch.Generator | None:
    """The CPU generator to draw from: ``generator`` if given, else a new one seeded with ``seed``.

    With neither, ``None``: torch's global generator, which ``genlab.seed_everything`` seeds.
    Everything is drawn on the CPU so that a seed gives the same data on every device.
    """
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise ValueError(
                f"generator must be a torch.Generator or None; got {type(generator).__name__}"
            )
        if generator.device.type != "cpu":
            raise ValueError(
                f"generator must live on the CPU (data are drawn there, then moved); "
                f"got a generator on {generator.device}"
            )
        return generator
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer or None; got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < _MAX_SEED:
        raise ValueError(f"seed must lie in [0, 2**63); got {seed}")
    return torch.Generator().manual_seed(seed)


def to_device(tensor: torch.Tensor, device: str | torch.device | None) -> torch.Tensor:
    """Leave ``tensor`` where it is for ``device=None``, else move it to ``resolve_device``."""
    if device is None:
        return tensor
    return tensor.to(resolve_device(device))
