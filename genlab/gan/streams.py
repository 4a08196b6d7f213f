r"""Where a GAN's randomness comes from: the noise prior :math:`p(z)` and per-run streams.

Every run (a :class:`~genlab.gan.GANTrainer`, or one of :class:`~genlab.gan.ManySeedGANs`)
draws its data, its noise and its fixed evaluation samples from three CPU generators derived
from its seed (:func:`run_streams`), so a run sees the same numbers alone or among ``N``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch

from genlab._checks import choice
from genlab.gan.config import PRIORS
from genlab.gan.targets import Target


def draw_noise(
    n: int, latent_dim: int, generator: torch.Generator | None = None, prior: str = "normal"
) -> torch.Tensor:
    r"""``n`` draws of the generator's noise :math:`z \sim p(z)`, ``(n, latent_dim)`` on the CPU:
    standard normal, or uniform on :math:`[-\sqrt3, \sqrt3]^d` (zero mean, unit variance)."""
    if choice("prior", prior, PRIORS) == "normal":
        return torch.randn(n, latent_dim, generator=generator)
    return (2 * torch.rand(n, latent_dim, generator=generator) - 1) * math.sqrt(3.0)


def _stream_seeds(seed: int) -> tuple[int, int, int, int]:
    """Independent seeds for the data, noise, evaluation and interpolation streams of one run
    (the first three are those of ``generate_state(3)``: a fourth stream changed none)."""
    states = np.random.SeedSequence(seed).generate_state(4, dtype=np.uint64)
    data, noise, evaluation, mixing = (int(s) >> 1 for s in states)
    return data, noise, evaluation, mixing


class _Stream:
    """Rows from ``draw(n, generator)``, drawn ``chunk`` at a time for each of ``N`` runs.

    ``take(n)`` returns the next ``n`` rows of every run, ``(N, n, ...)``. Each run has its own
    CPU generator, so run ``i`` sees the same rows whether it trains alone or among ``N``.
    """

    def __init__(self, draw: Callable, seeds: Sequence[int], chunk: int, device, dtype):
        self.draw, self.chunk, self.device, self.dtype = draw, chunk, device, dtype
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]
        self.buffer: torch.Tensor | None = None
        self.pos = 0

    def take(self, n: int) -> torch.Tensor:
        if self.buffer is None or self.pos + n > self.buffer.shape[1]:
            rest = None if self.buffer is None else self.buffer[:, self.pos :]
            size = max(self.chunk, n)
            fresh = torch.stack([self.draw(size, g) for g in self.generators])
            fresh = fresh.to(device=self.device, dtype=self.dtype)
            self.buffer = fresh if rest is None else torch.cat([rest, fresh], dim=1)
            self.pos = 0
        out = self.buffer[:, self.pos : self.pos + n]
        self.pos += n
        return out


class RunStreams(NamedTuple):
    """The random streams of ``N`` runs: ``data.take(n)`` ``(N, n, *shape)``, ``noise.take(n)``
    ``(N, n, Z)``, the fixed evaluation noise ``z_eval`` ``(N, M, Z)``, for toy targets fixed
    real samples ``x_eval`` ``(N, M, D)`` (else ``None``), and ``mixing.take(n)`` ``(N, n)``,
    the U[0, 1] weights of the gradient penalty's interpolates (drawn only by ``"wgan_gp"``)."""

    data: _Stream
    noise: _Stream
    z_eval: torch.Tensor
    x_eval: torch.Tensor | None
    mixing: _Stream


def run_streams(
    target: Target, seeds: Sequence[int], latent_dim: int, config, device, dtype: torch.dtype
) -> RunStreams:
    """The streams of one run per seed in ``seeds`` under a :class:`~genlab.gan.GANTrainConfig`
    (its ``prior``, ``batch_size`` and ``eval_samples``): the one noise-drawing path of every
    GAN trainer (:func:`draw_noise`)."""
    prior, batch_size, eval_samples = config.prior, config.batch_size, config.eval_samples
    choice("prior", prior, PRIORS)
    per_run = [_stream_seeds(s) for s in seeds]
    chunk = (64 if target.is_toy else 16) * batch_size
    data = _Stream(target.sample, [s[0] for s in per_run], chunk, device, dtype)
    noise = _Stream(
        lambda n, g: draw_noise(n, latent_dim, g, prior),
        [s[1] for s in per_run],
        chunk,
        device,
        dtype,
    )
    z_eval, x_eval = [], []
    for s in per_run:
        g = torch.Generator().manual_seed(s[2])
        z_eval.append(draw_noise(eval_samples, latent_dim, g, prior))
        if target.is_toy:  # fixed real samples for the logged value
            x_eval.append(target.sample(eval_samples, g).to(dtype))
    mixing = _Stream(
        lambda n, g: torch.rand(n, generator=g), [s[3] for s in per_run], chunk, device, dtype
    )
    return RunStreams(
        data,
        noise,
        torch.stack(z_eval).to(device, dtype),
        torch.stack(x_eval).to(device, dtype) if x_eval else None,
        mixing,
    )
