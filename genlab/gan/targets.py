"""What a GAN learns: a :class:`Target` wraps a torch ``Distribution`` (toy data) or images.

For toy targets the exact density gives the grid on which :mod:`genlab.gan.metrics` estimates
the JSD; the grid and the KDE bandwidth belong to the target, so they are chosen once.
"""

from __future__ import annotations

import math

import torch
from torch.distributions import Distribution

from genlab import data
from genlab._checks import choice, positive_int
from genlab.device import resolve_device
from genlab.gan.config import TARGETS
from genlab.gan.metrics import grid_jsd


class Target:
    """What a GAN learns: a sampler, and for toy data the exact density and its modes.

    ``sample(n, generator)`` returns ``(n, *data_shape)`` on ``device``. Toy targets also have
    ``distribution`` (a ``torch.distributions`` mixture), ``distribution64`` (the same density
    in float64 on the CPU, for the grid and D*), ``modes`` ``(K, D)``, ``mode_stds`` ``(K,)``,
    ``weights`` ``(K,)`` and the JSD grid (:func:`genlab.gan.grid_jsd`); image targets have
    ``images`` and ``distribution = None``. Build one with :func:`make_target`.
    """

    def __init__(
        self,
        name: str,
        data_shape: tuple[int, ...],
        *,
        distribution: Distribution | None = None,
        images: torch.Tensor | None = None,
        device: torch.device | None = None,
    ):
        self.name = name
        self.data_shape = tuple(data_shape)
        self.distribution = distribution
        self.images = images
        self.device = device or torch.device("cpu")
        self._bandwidths: dict[int, tuple[float, float]] = {}
        if distribution is not None:
            loc, scale, probs = data.mixture_parts(distribution)  # (K, D), (K, D), (K,)
            self._parts = (loc.float().cpu(), scale.float().cpu(), probs.float().cpu())
            loc, scale = loc.double().cpu(), scale.double().cpu()
            self.modes = loc
            self.mode_stds = scale.max(1).values  # (K,)
            self.weights = probs.double().cpu()
            self.distribution64 = data.mixture_distribution(loc, scale, self.weights)
            self._build_grid(loc, scale)

    def __repr__(self) -> str:
        return f"Target({self.name!r}, data_shape={self.data_shape})"

    @property
    def is_toy(self) -> bool:
        return self.distribution is not None

    @property
    def dim(self) -> int:
        return math.prod(self.data_shape)

    @property
    def _dist64(self) -> Distribution:  # the name before ``distribution64``
        return self.distribution64

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws from the target (CPU randomness from ``generator``): ``(n, *shape)``."""
        n = positive_int("n", n)
        if self.images is not None:
            idx = torch.randint(len(self.images), (n,), generator=generator)
            return self.images[idx.to(self.images.device)].to(self.device)
        x = self.distribution.sample((n,)) if generator is None else self._draw(n, generator)
        return x.reshape(n, *self.data_shape).to(self.device)

    def _draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return data.sample_mixture(n, *self._parts, generator=generator)  # (n, D), CPU

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p_{data}(x)` for toy targets: ``(..., D) -> (...)``."""
        if self.distribution is None:
            raise ValueError(f"target {self.name!r} has no known density (images)")
        x = x.to(self.grid_points.device, torch.float64)
        return self.distribution64.log_prob(x[..., 0] if self.dim == 1 else x)

    # -- the JSD grid --------------------------------------------------------------------
    def _build_grid(self, loc: torch.Tensor, scale: torch.Tensor) -> None:
        d = loc.shape[1]
        lo = float((loc - 6 * scale).min())
        hi = float((loc + 6 * scale).max())
        size = 1024 if d == 1 else 256
        axis = torch.linspace(lo, hi, size, dtype=torch.float64)
        self.grid_lo, self.grid_dx, self.grid_size = lo, (hi - lo) / (size - 1), size
        self.grid_axis = axis
        if d == 1:
            points = axis[:, None]
        else:
            gy, gx = torch.meshgrid(axis, axis, indexing="ij")
            points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # row-major (y, x)
        self.grid_points = points  # (G^d, d) float64
        self.grid_cell = self.grid_dx**d
        self.grid_log_p = self.log_prob(points)  # (G^d,)

    def bandwidth(self, n_samples: int) -> float:
        """KDE bandwidth for ``n_samples`` generator samples: the one whose estimate from exact
        samples of :math:`p_{data}` is smallest (cached; seeded, deterministic)."""
        return self._bandwidth_and_floor(n_samples)[0]

    def jsd_floor(self, n_samples: int) -> float:
        """The JSD the grid estimator gives for ``n_samples`` exact samples of the target:
        its bias at a perfect generator (see :mod:`genlab.gan.metrics`)."""
        return self._bandwidth_and_floor(n_samples)[1]

    def _bandwidth_and_floor(self, n_samples: int) -> tuple[float, float]:
        if not self.is_toy:
            raise ValueError(f"target {self.name!r} has no known density (images)")
        if n_samples not in self._bandwidths:
            g = torch.Generator().manual_seed(1234)
            x = self._draw(n_samples, g).double()[None]  # (1, M, D)
            best = None
            for cells in (1.5, 2, 3, 4, 6, 8, 12, 16):
                h = cells * self.grid_dx
                value = float(grid_jsd(self, x, bandwidth=h)[0])
                if best is None or value < best[1]:
                    best = (h, value)
            self._bandwidths[n_samples] = best
        return self._bandwidths[n_samples]


def make_target(name: str, device: str | torch.device = "cpu", **kw) -> Target:
    """The target called ``name`` (``TARGETS``). Toy keywords (``means``, ``stds``, ``n_modes``,
    ``radius``, ...) go to :mod:`genlab.data`'s ``*_distribution``; ``sprites`` takes ``n``."""
    choice("name", name, TARGETS)
    device = resolve_device(device)
    if name == "mixture1d":
        dist = data.mixture1d_distribution(device=device, **kw)
        return Target(name, (1,), distribution=dist, device=device)
    if name == "mixture2d":
        dist = data.mixture2d_distribution(device=device, **kw)
        return Target(name, (2,), distribution=dist, device=device)
    if name == "ring":
        return Target(
            name, (2,), distribution=data.ring_distribution(device=device, **kw), device=device
        )
    images = data.load(name, "train", **kw).images.to(device)
    return Target(name, tuple(images.shape[1:]), images=images, device=device)


def as_target(target: Target | str, device) -> Target:
    """``target`` itself, or :func:`make_target` of its name on ``device``."""
    if isinstance(target, Target):
        return target
    if isinstance(target, str) and target in TARGETS:
        return make_target(target, device)
    got = repr(target) if isinstance(target, str) else type(target).__name__
    raise ValueError(
        f"target must be a Target or a dataset name, one of {', '.join(TARGETS)}; got {got}"
    )
