r"""Training GANs and looking inside them (lectures 05-08).

The game (slide "Learning procedure"): alternate ``k`` discriminator updates with one generator
update. The objective is ``"minimax"`` or ``"non_saturating"`` (:func:`genlab.losses.
discriminator_loss`, :func:`genlab.losses.generator_loss`) or the name of an f-divergence in
:data:`genlab.divergences.F_DIVERGENCES` (variational divergence minimisation, Nowozin et al.
2016: :func:`genlab.losses.fgan_discriminator_loss`, :func:`genlab.losses.fgan_generator_loss`
with that row's output activation). Nothing here re-derives a loss.

- :class:`GANTrainer` is a small stateful object (``step_d``, ``step_g``, ``step``, ``reset``,
  ``history`` and cheap accessors) that a notebook widget drives one step at a time; ``train``
  runs the loop and never plots (callbacks for live plots).
- ``optimal_d=True`` replaces D by :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))` with
  :math:`p_g` a Gaussian KDE of generator samples, so that the minimax generator descends
  :math:`2\,\mathrm{JSD}(p_{data} \| p_g) - \log 4` (slide "Adversarial loss for the optimality").
- :class:`ManySeedGANs` trains ``N`` toy GANs at once with grouped parameters and classifies
  every run as converged, mode-collapsed, unconverged or diverged (:func:`classify_runs`).
- :func:`saturation_curves`, :func:`saturation_experiment`, :func:`fit_gaussian_fgan`,
  :func:`discriminator_vs_optimal` and :func:`dcgan_digit_quality` are the lectures' experiments
  as data functions.

**The JSD on a grid** (:func:`grid_jsd`). For 1-D and 2-D targets with a known density,
:math:`\mathrm{JSD}(p_{data} \| p_g)` is estimated on a fixed grid covering the target
(every component's mean :math:`\pm 6\sigma`): :math:`p_{data}` is exact, :math:`p_g` is a
Gaussian KDE of ``M`` generator samples (linearly binned onto the grid, then smoothed by a
separable Gaussian kernel of bandwidth ``h``), and the integral is a Riemann sum of the Jensen-
Shannon integrand of :mod:`genlab.divergences`. Generator mass that falls off the grid lies
where :math:`p_{data} \approx 0` and adds its exact contribution :math:`\frac12 \log 2` per unit
mass. **Bias**: the estimate is biased upwards. Smoothing replaces :math:`p_g` by
:math:`p_g * K_h` (variance inflated by :math:`h^2`), and sampling noise adds about
:math:`\frac18 \int \mathrm{Var}[\hat p_g] / p \, dx \approx \frac{L\, R(K)}{8 M h}` for a support
of length :math:`L` (the JSD is convex, so noise only raises it). So a perfect generator does not
score 0 but the *floor* ``Target.jsd_floor(M)``: the estimator applied to ``M`` exact samples
of :math:`p_{data}`. The bandwidth is chosen once per target and ``M`` to minimise that floor
(at ``M = 4096``: 0.001 nats for ``mixture1d``, 0.004 for ``mixture2d``, 0.008 for ``ring``).
"""

from __future__ import annotations

import copy
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import (
    Categorical,
    Distribution,
    Independent,
    MixtureSameFamily,
    Normal,
)

from genlab import losses
from genlab._checks import choice, positive, positive_int
from genlab.device import resolve_device
from genlab.divergences import F_DIVERGENCES, get_divergence
from genlab.models.gan import GAN, GAN_PRESETS, GANConfig, GroupedGAN
from genlab.train import History, TrainingDiverged

__all__ = [
    "DEFAULTS",
    "EVENTS",
    "OBJECTIVES",
    "OPTIMAL_D_SAMPLES",
    "OUTCOMES",
    "PRIORS",
    "Picture",
    "TARGETS",
    "DigitQuality",
    "DigitsRun",
    "DiscriminatorFit",
    "GANTrainConfig",
    "GANTrainer",
    "GaussianFit",
    "GeneratorMap",
    "GridDensities",
    "ManySeedGANs",
    "ManySeedResult",
    "SaturationCurves",
    "SaturationRun",
    "Target",
    "classify_runs",
    "compare_objectives",
    "dcgan_digit_quality",
    "dcgan_digits_run",
    "default_setup",
    "discriminator_objective",
    "discriminator_step",
    "discriminator_vs_optimal",
    "draw_noise",
    "generator_density_1d",
    "generator_mass_1d",
    "fit_gaussian_fgan",
    "generator_objective",
    "generator_step",
    "grid_jsd",
    "grid_kde",
    "init_gan",
    "kde",
    "make_target",
    "mode_coverage",
    "modes_covered",
    "optimal_logit",
    "r1_penalty",
    "saturation_curves",
    "saturation_experiment",
    "time_many_seeds",
    "train_gan",
]

LOG2 = math.log(2.0)
OBJECTIVES: tuple[str, ...] = (*losses.GENERATOR_KINDS, *F_DIVERGENCES)
TARGETS = ("mixture1d", "mixture2d", "ring", "digits", "sprites")
EVENTS = ("on_step_end", "on_train_end")
OPTIMAL_D_SAMPLES = 1024  # generator samples in the KDE of p_g behind D* (optimal_d mode)
OUTCOMES = ("converged", "mode_collapsed", "unconverged", "diverged")
PRIORS = ("normal", "uniform")  # the generator's noise p(z); uniform on [-sqrt 3, sqrt 3]


# ----------------------------------------------------------------------------- objectives


def discriminator_objective(objective: str, real_logits: torch.Tensor, fake_logits: torch.Tensor):
    r"""The discriminator's loss for ``objective``, mean over all logits (a 0-d tensor).

    ``"minimax"``/``"non_saturating"``: :math:`J_D` of :func:`genlab.losses.discriminator_loss`
    (the same for both: they differ in the generator's cost only). An f-divergence name:
    :math:`-F = -(\mathbb E_P[g_f(v)] - \mathbb E_Q[f^*(g_f(v))])`,
    :func:`genlab.losses.fgan_discriminator_loss`.
    """
    if objective in losses.GENERATOR_KINDS:
        return losses.discriminator_loss(real_logits, fake_logits)
    return losses.fgan_discriminator_loss(objective, real_logits, fake_logits)


def generator_objective(objective: str, fake_logits: torch.Tensor):
    r"""The generator's loss for ``objective``, mean over all logits of ``D(G(z))``.

    ``"minimax"``: :math:`\mathbb E[\log(1 - D(G(z)))]`; ``"non_saturating"``:
    :math:`\mathbb E[-\log D(G(z))]` (:func:`genlab.losses.generator_loss`). An f-divergence
    name: :math:`-\mathbb E_Q[f^*(g_f(v))]` (:func:`genlab.losses.fgan_generator_loss`).
    """
    if objective in losses.GENERATOR_KINDS:
        return losses.generator_loss(fake_logits, objective)
    return losses.fgan_generator_loss(objective, fake_logits)


def _check_objective(objective: str) -> str:
    return choice("objective", objective, OBJECTIVES)


# --------------------------------------------------------------------------------- targets


class Target:
    """What a GAN learns: a sampler, and for toy data the exact density and its modes.

    ``sample(n, generator)`` returns ``(n, *data_shape)`` on ``device``. Toy targets also have
    ``distribution`` (a ``torch.distributions`` mixture), ``modes`` ``(K, D)``, ``mode_stds``
    ``(K,)``, ``weights`` ``(K,)`` and the JSD grid (:func:`grid_jsd`); image targets have
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
            comp = distribution.component_distribution
            base = comp.base_dist if isinstance(comp, Independent) else comp
            loc = base.loc.detach().double().cpu().reshape(len(base.loc), -1)  # (K, D)
            scale = base.scale.detach().double().cpu().reshape(len(base.loc), -1)
            self.modes = loc
            self.mode_stds = scale.max(1).values  # (K,)
            self.weights = distribution.mixture_distribution.probs.detach().double().cpu()
            self._build_grid(loc, scale)

    def __repr__(self) -> str:
        return f"Target({self.name!r}, data_shape={self.data_shape})"

    @property
    def is_toy(self) -> bool:
        return self.distribution is not None

    @property
    def dim(self) -> int:
        return math.prod(self.data_shape)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws from the target (CPU randomness from ``generator``): ``(n, *shape)``."""
        n = positive_int("n", n)
        if self.images is not None:
            idx = torch.randint(len(self.images), (n,), generator=generator)
            return self.images[idx.to(self.images.device)].to(self.device)
        x = self.distribution.sample((n,)) if generator is None else self._draw(n, generator)
        return x.reshape(n, *self.data_shape).to(self.device)

    def _draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        # k ~ Cat(w), x = mu_k + sigma_k eps (on the CPU, from generator)
        comp = self.distribution.component_distribution
        base = comp.base_dist if isinstance(comp, Independent) else comp
        loc = base.loc.detach().float().cpu().reshape(len(self.weights), -1)
        scale = base.scale.detach().float().cpu().reshape(len(self.weights), -1)
        k = torch.multinomial(self.weights.float(), n, replacement=True, generator=generator)
        return loc[k] + scale[k] * torch.randn(n, loc.shape[1], generator=generator)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p_{data}(x)` for toy targets: ``(..., D) -> (...)``."""
        if self.distribution is None:
            raise ValueError(f"target {self.name!r} has no known density (images)")
        x = x.to(self.grid_points.device, torch.float64)
        return self._dist64.log_prob(x[..., 0] if self.dim == 1 else x)

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
        mix = Categorical(probs=self.weights)
        if d == 1:
            self._dist64 = MixtureSameFamily(mix, Normal(loc[:, 0], scale[:, 0]))
        else:
            self._dist64 = MixtureSameFamily(mix, Independent(Normal(loc, scale), 1))
        self.grid_log_p = self.log_prob(points)  # (G^d,)

    def bandwidth(self, n_samples: int) -> float:
        """KDE bandwidth for ``n_samples`` generator samples: the one whose estimate from exact
        samples of :math:`p_{data}` is smallest (cached; seeded, deterministic)."""
        return self._bandwidth_and_floor(n_samples)[0]

    def jsd_floor(self, n_samples: int) -> float:
        """The JSD the grid estimator gives for ``n_samples`` exact samples of the target:
        its bias at a perfect generator (see the module docstring)."""
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
    from genlab import data

    choice("dataset", name, TARGETS)
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


def _as_target(target: Target | str, device) -> Target:
    if isinstance(target, Target):
        return target
    if isinstance(target, str):
        return make_target(target, device)
    raise ValueError(f"dataset must be a Target or one of {TARGETS}; got {type(target).__name__}")


# -------------------------------------------------------------------- densities on a grid


def _kernel(bandwidth: float, dx: float, dtype) -> torch.Tensor:
    half = max(1, math.ceil(4 * bandwidth / dx))
    t = torch.arange(-half, half + 1, dtype=dtype) * dx
    k = torch.exp(-0.5 * (t / bandwidth) ** 2)
    return k / k.sum()  # (2 half + 1,)


def _blur(x: torch.Tensor, kernel: torch.Tensor, dim: int) -> torch.Tensor:
    """``x`` convolved along ``dim`` with a symmetric ``kernel`` (zero padding, same size), by
    FFT: float64 ``conv1d`` on the CPU is tens of times slower."""
    size, half = x.shape[dim], len(kernel) // 2
    n = size + len(kernel) - 1
    shape = [1] * x.ndim
    shape[dim] = -1
    spectrum = torch.fft.rfft(x, n=n, dim=dim) * torch.fft.rfft(kernel, n=n).view(shape)
    y = torch.fft.irfft(spectrum, n=n, dim=dim).narrow(dim, half, size)
    return y.clamp_min(0.0)  # FFT rounding leaves +-1e-18 where the density is 0


def grid_kde(target: Target, samples: torch.Tensor, bandwidth: float | None = None):
    r"""Gaussian KDE of ``samples`` ``(N, M, D)`` on the target's grid, for ``N`` runs at once.

    Linear binning onto the grid, then a separable Gaussian filter of std ``bandwidth``
    (default: :meth:`Target.bandwidth`). Returns ``(density (N, G^D), inside (N,))``: the
    density integrates (Riemann sum) to ``inside``, the fraction of samples that fell on the
    grid; non-finite samples count as outside.
    """
    if not target.is_toy:
        raise ValueError(f"target {target.name!r} has no known density (images)")
    samples = samples.detach().to(torch.float64).cpu()
    if samples.ndim != 3 or samples.shape[2] != target.dim:
        raise ValueError(
            f"samples must have shape (runs, n, {target.dim}); got {tuple(samples.shape)}"
        )
    n_runs, m, d = samples.shape
    h = target.bandwidth(m) if bandwidth is None else positive("bandwidth", bandwidth)
    size, dx = target.grid_size, target.grid_dx
    u = (samples - target.grid_lo) / dx  # grid coordinates, (N, M, D)
    i0 = torch.floor(u)
    frac = u - i0
    ok = (torch.isfinite(u) & (i0 >= 0) & (i0 <= size - 2)).all(-1)  # (N, M)
    i0 = torch.where(ok[..., None], i0, torch.zeros_like(i0)).long()
    frac = torch.where(ok[..., None], frac, torch.zeros_like(frac))
    counts = torch.zeros(n_runs, size**d, dtype=torch.float64)
    run = torch.arange(n_runs)[:, None] * size**d
    for corner in range(2**d):  # the 2^D grid nodes around each sample
        bits = [(corner >> axis) & 1 for axis in range(d)]
        w = ok.double()
        for axis, bit in enumerate(bits):
            w = w * (frac[..., axis] if bit else 1 - frac[..., axis])
        if d == 1:
            idx = i0[..., 0] + bits[0]
        else:  # row-major (y, x), as Target.grid_points
            idx = (i0[..., 1] + bits[1]) * size + i0[..., 0] + bits[0]
        counts.view(-1).index_add_(0, (run + idx).reshape(-1), w.reshape(-1))
    k = _kernel(h, dx, torch.float64)
    if d == 1:
        smooth = _blur(counts, k, dim=1)
    else:  # separable: along x, then along y
        img = counts.view(n_runs, size, size)
        smooth = _blur(_blur(img, k, dim=2), k, dim=1).reshape(n_runs, -1)
    inside = ok.double().mean(1)  # (N,)
    total = smooth.sum(1) * target.grid_cell
    density = smooth * (inside / total.clamp_min(1e-300))[:, None]  # kernel spill renormalised
    return density, inside


def grid_jsd(target: Target, samples: torch.Tensor, bandwidth: float | None = None) -> torch.Tensor:
    r""":math:`\mathrm{JSD}(p_{data} \| p_g)` in nats for ``N`` runs of ``M`` samples each,
    ``(N, M, D) -> (N,)`` float64, with :math:`p_g` the grid KDE of :func:`grid_kde`:

    .. math::
        \widehat{\mathrm{JSD}} = \sum_{\text{cells}} \tfrac12\Big(p \log\frac{2p}{p + \hat q}
            + \hat q \log\frac{2\hat q}{p + \hat q}\Big)\Delta + \tfrac12 \log 2\,(1 - m_{in})

    (:math:`m_{in}`: the fraction of samples on the grid). Biased upwards: see the module
    docstring and :meth:`Target.jsd_floor`.
    """
    return _jsd_on_grid(target, *grid_kde(target, samples, bandwidth))


def _jsd_on_grid(target: Target, density: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    js = get_divergence("jensen_shannon")
    log_q = torch.log(density)  # -inf where the KDE is 0
    integrand = js.integrand_from_log_prob(target.grid_log_p.expand_as(log_q), log_q)
    return integrand.sum(1) * target.grid_cell + 0.5 * LOG2 * (1 - inside)


class GridDensities(NamedTuple):
    """Densities on the target's grid: ``axis`` (G,); ``p_data``, ``p_g`` (G,) or (G, G)."""

    axis: torch.Tensor
    p_data: torch.Tensor
    p_g: torch.Tensor


# ------------------------------------------------------------------ KDE and D* for toy data


def kde(samples: torch.Tensor, bandwidth: float) -> MixtureSameFamily:
    r"""The Gaussian KDE :math:`\hat p_g(x) = \frac1M \sum_j \mathcal N(x; x_j, h^2 I)` of
    ``samples`` ``(M, D)`` as a ``torch.distributions`` mixture (event shape ``()`` for D = 1,
    ``(D,)`` otherwise); detached, so it is a fixed density."""
    samples = samples.detach()
    h = positive("bandwidth", bandwidth)
    mix = Categorical(logits=torch.zeros(len(samples), dtype=samples.dtype, device=samples.device))
    if samples.shape[1] == 1:
        return MixtureSameFamily(mix, Normal(samples[:, 0], torch.full_like(samples[:, 0], h)))
    return MixtureSameFamily(mix, Independent(Normal(samples, torch.full_like(samples, h)), 1))


@torch.no_grad()
def _generator_pieces_1d(generator, span: float, n: int):
    """``G`` on ``n`` points of :math:`z \\in [-\\text{span}, \\text{span}]`, in float64 on the CPU:
    the grid ``z`` ``(n,)`` and its images ``gz`` ``(n,)`` (piece ``i`` maps ``[z_i, z_i+1]``
    linearly onto ``[gz_i, gz_i+1]``)."""
    span = positive("span", span)
    n = positive_int("n", n, minimum=3)
    z = torch.linspace(-span, span, n, dtype=torch.float64)
    param = next(iter(getattr(generator, "parameters", lambda: iter(()))()), None)
    like = {"device": param.device, "dtype": param.dtype} if param is not None else {}
    gz = generator(z[:, None].to(**like))[:, 0].to("cpu", torch.float64)  # (n,)
    return z, gz


def generator_density_1d(
    generator: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    span: float = 6.0,
    n: int = 20001,
    prior: str = "normal",
) -> torch.Tensor:
    r"""The exact density :math:`p_g(x)` of a 1-D generator ``(B, 1) -> (B, 1)`` at points ``x``
    ``(Q,)``, by the change of variables summed over every preimage:

    .. math::
        p_g(x) = \sum_{z:\, G(z) = x} \frac{p(z)}{|G'(z)|}

    :math:`G` is evaluated on ``n`` points of :math:`z \in [-\text{span}, \text{span}]` and
    treated as linear between them (exact for ReLU networks away from their kinks); mass of
    :math:`p(z)` beyond ``span`` is ignored (:math:`< 2 \cdot 10^{-9}` for the default). Flat
    pieces (:math:`G' = 0`) put atoms into :math:`p_g`, which no density can show: they add 0.
    Where a piece is nearly flat, :math:`p_g` has a tall, narrow spike: integrate it with
    :func:`generator_mass_1d`, not with a quadrature rule on a grid of ``x``.
    """
    x = torch.as_tensor(x, dtype=torch.float64).reshape(-1)
    normal = choice("prior", prior, PRIORS) == "normal"
    z, gz = _generator_pieces_1d(generator, span, n)
    n = len(z)
    x0, x1 = gz[:-1], gz[1:]  # each piece maps [z_i, z_i+1] onto [x0, x1]
    slope = (x1 - x0) / (z[1] - z[0])
    lo, hi = torch.minimum(x0, x1), torch.maximum(x0, x1)
    safe_slope = torch.where(slope == 0, 1.0, slope)
    out = torch.empty_like(x)
    chunk = max(1, 2**21 // (n - 1))  # queries per pass: about 2M (query, piece) pairs
    for start in range(0, len(x), chunk):
        q = x[start : start + chunk, None]
        hit = (q >= lo) & (q < hi) & (slope != 0)  # (chunk, n - 1): a preimage in piece i
        z_star = z[:-1] + (q - x0) / safe_slope
        if normal:
            p_z = torch.exp(-0.5 * z_star**2) / math.sqrt(2 * math.pi)
        else:
            p_z = (z_star.abs() <= math.sqrt(3.0)).double() / (2 * math.sqrt(3.0))
        out[start : start + chunk] = torch.where(hit, p_z / slope.abs(), 0.0).sum(1)
    return out


def _prior_mass(u: torch.Tensor, v: torch.Tensor, normal: bool) -> torch.Tensor:
    r""":math:`P(u \le z \le v)` under the prior (``u <= v``), accurate in both tails."""
    if normal:
        upper = u > 0  # both in the upper tail: 1 - Phi cancels, so use Phi(-u) - Phi(-v)
        return torch.where(
            upper,
            torch.special.ndtr(-u) - torch.special.ndtr(-v),
            torch.special.ndtr(v) - torch.special.ndtr(u),
        )
    r3 = math.sqrt(3.0)
    return (v.clamp(-r3, r3) - u.clamp(-r3, r3)) / (2 * r3)


def generator_mass_1d(
    generator: Callable[[torch.Tensor], torch.Tensor],
    edges: torch.Tensor,
    span: float = 6.0,
    n: int = 20001,
    prior: str = "normal",
) -> torch.Tensor:
    r"""The mass :math:`p_g([e_k, e_{k+1}))` of each bin of a 1-D generator, ``edges`` ``(K+1,)``
    ``-> (K,)``: the prior mass of the bin's preimage, summed over the pieces of
    :func:`generator_density_1d`'s piecewise-linear :math:`G`. A piece maps
    :math:`[z_i, z_{i+1}]` linearly onto :math:`[x_0, x_1]`, so the part of it that lands in
    :math:`[a, b)` is an interval :math:`[u, v]` and contributes :math:`F(v) - F(u)` (:math:`F`
    the prior's CDF). This is the integral of :func:`generator_density_1d` over each bin, done
    exactly: no quadrature misses a spike where :math:`G` is nearly flat, and a flat piece's
    atom lands in the bin that holds it. Bins are half-open, except that the last one holds
    its right edge (as :func:`torch.histogram`).
    """
    edges = torch.as_tensor(edges, dtype=torch.float64).reshape(-1)
    if len(edges) < 2 or not bool((edges[1:] > edges[:-1]).all()):
        raise ValueError(f"edges must be at least two increasing values; got {edges.tolist()[:8]}")
    normal = choice("prior", prior, PRIORS) == "normal"
    z, gz = _generator_pieces_1d(generator, span, n)
    x0, x1, dz = gz[:-1], gz[1:], z[1] - z[0]
    a, b = edges[:-1, None], edges[1:, None]  # (K, 1)
    flat = x1 == x0
    rise = torch.where(flat, 1.0, x1 - x0)
    # the fractions t of the piece (z = z_i + t dz) whose image lies between a and b
    ta, tb = ((a - x0) / rise).clamp(0, 1), ((b - x0) / rise).clamp(0, 1)
    u = z[:-1] + torch.minimum(ta, tb) * dz
    v = z[:-1] + torch.maximum(ta, tb) * dz
    mass = _prior_mass(u, v, normal)  # (K, n - 1)
    last = torch.arange(len(a))[:, None] == len(a) - 1
    in_bin = (x0 >= a) & ((x0 < b) | (last & (x0 <= b)))  # a flat piece's atom
    whole = _prior_mass(z[:-1], z[1:], normal).expand_as(mass)
    return torch.where(flat, torch.where(in_bin, whole, 0.0), mass).sum(1)


def optimal_logit(target: Target, p_g: Distribution, x: torch.Tensor) -> torch.Tensor:
    r"""Logit of :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))`:
    :math:`\log p_{data}(x) - \log p_g(x)`, ``(B, D) -> (B,)``, differentiable in ``x``.

    Goodfellow et al. 2014, Prop. 1. Where both densities underflow to zero the logit is 0
    (as :class:`genlab.theory.OptimalDiscriminator`, which this matches for 1-D targets).
    """
    if not target.is_toy:
        raise ValueError(f"target {target.name!r} has no known density for D*")
    flat = x[:, 0] if target.dim == 1 else x
    lp = target.distribution.log_prob(flat.to(target.distribution.mean.dtype)).to(x.dtype)
    lq = p_g.log_prob(flat.to(p_g.mean.dtype)).to(x.dtype)
    both_zero = torch.isneginf(lp) & torch.isneginf(lq)
    return torch.where(both_zero, torch.zeros_like(lp), lp - lq)


# ----------------------------------------------------------------------- random streams


def draw_noise(
    n: int, latent_dim: int, generator: torch.Generator | None = None, prior: str = "normal"
) -> torch.Tensor:
    r"""``n`` draws of the generator's noise :math:`z \sim p(z)`, ``(n, latent_dim)`` on the CPU:
    standard normal, or uniform on :math:`[-\sqrt3, \sqrt3]^d` (zero mean, unit variance)."""
    if choice("prior", prior, PRIORS) == "normal":
        return torch.randn(n, latent_dim, generator=generator)
    return (2 * torch.rand(n, latent_dim, generator=generator) - 1) * math.sqrt(3.0)


def _stream_seeds(seed: int) -> tuple[int, int, int]:
    """Independent seeds for the data, noise and evaluation streams of one run."""
    data, noise, evaluation = np.random.SeedSequence(seed).generate_state(3, dtype=np.uint64)
    return int(data) >> 1, int(noise) >> 1, int(evaluation) >> 1


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


# ----------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class GANTrainConfig:
    r"""How to train a GAN: the objective, the schedule, the optimizers and the logging.

    ``steps`` counts generator updates; each follows ``k`` discriminator updates. ``lr`` is the
    generator's learning rate and ``lr_d`` the discriminator's (``None``: ``lr``); both use Adam
    with ``betas`` and no schedule. ``r1`` > 0 adds the R1 penalty
    :math:`\frac{\gamma}{2}\,\mathbb E_{p_{data}} \|\nabla_x \ell(x)\|^2` on the discriminator's
    logit at real data (Mescheder et al. 2018, eq. 9), which damps the oscillation of the plain
    game; with ``r1_every = n`` it is applied on every n-th discriminator step with weight
    ``n * r1`` (lazy regularisation, Karras et al. 2020, Sec. 3.1), cheaper and as good.
    ``optimal_d`` replaces D by :math:`D^*` with a KDE of ``OPTIMAL_D_SAMPLES`` fresh generator
    samples, refitted at every discriminator step (toy targets; ``minimax``/``non_saturating``
    only). ``eval_samples`` is ``M`` for the logged JSD.

    The defaults are the default 1-D GAN's (``toy1d`` on ``mixture1d``): the non-saturating
    game with a faster discriminator (two time-scales) and lazy R1, which make it converge
    reliably; ``r1=0, lr_d=None`` is the slides' plain game.
    """

    objective: str = "non_saturating"
    steps: int = 3000
    k: int = 1
    batch_size: int = 64
    lr: float = 1e-3
    lr_d: float | None = 4e-3
    betas: tuple[float, float] = (0.5, 0.999)
    r1: float = 30.0
    r1_every: int = 4
    optimal_d: bool = False
    seed: int = 0
    device: str = "auto"
    log_every: int = 50
    eval_samples: int = 2048
    prior: str = "normal"

    def __post_init__(self):
        _check_objective(self.objective)
        choice("prior", self.prior, PRIORS)
        positive_int("steps", self.steps)
        positive_int("k", self.k)
        positive_int("batch_size", self.batch_size)
        positive("lr", self.lr)
        if self.lr_d is not None:
            positive("lr_d", self.lr_d)
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1); got {self.betas}")
        positive("r1", self.r1, allow_zero=True)
        positive_int("r1_every", self.r1_every)
        positive_int("log_every", self.log_every)
        positive_int("eval_samples", self.eval_samples, minimum=16)
        if self.optimal_d and self.objective not in losses.GENERATOR_KINDS:
            raise ValueError(
                "objective must be 'minimax' or 'non_saturating' when optimal_d=True (D* is the "
                f"GAN's optimal discriminator); got {self.objective!r}"
            )


# Per data set: the model preset and the training settings that work (CPU-friendly budgets).
# Images: Adam with betas (0.5, 0.999) as Radford et al. 2016 (Sec. 4), at 5e-4 rather than
# their 2e-4, and a light lazy R1: the plain game at 2e-4 swings between collapse and recovery on
# the 1,437 digits; this one improves steadily (about 0.64 of samples recognised at 3000 steps),
# and the digits now use the faster recipe below.
_IMAGES = GANTrainConfig(
    steps=3000, lr=5e-4, lr_d=5e-4, r1=1.0, r1_every=4, log_every=100, eval_samples=256
)
# The digits: Adam without momentum, betas (0, 0.99) as in StyleGAN and StyleGAN2 (Karras et
# al. 2019, 2020), lets both players take 3e-3 steps without R1 and reaches a better generator
# in half the steps: about 0.75 of samples recognised at 1500 steps with an average of G's
# weights (:func:`dcgan_digits_run`, seeds 0-4), where betas (0.5, 0.99) reach about 0.64.
_DIGITS = GANTrainConfig(
    steps=1500, lr=3e-3, lr_d=3e-3, betas=(0.0, 0.99), r1=0.0, log_every=100, eval_samples=256
)
DEFAULTS: dict[str, tuple[str, GANTrainConfig]] = {
    "mixture1d": ("toy1d", GANTrainConfig()),
    # sharper modes than the 1-D target's: a lighter R1 and slower steps
    "mixture2d": ("toy2d", GANTrainConfig(lr=5e-4, lr_d=2e-3, r1=0.3)),
    "ring": ("toy2d", GANTrainConfig(lr=5e-4, lr_d=2e-3, r1=0.1)),
    "digits": ("digits", _DIGITS),
    "sprites": ("sprites", _IMAGES),
}


def default_setup(dataset: str) -> tuple[GANConfig, GANTrainConfig]:
    """The model config and training config that :func:`train_gan` uses for ``dataset``."""
    preset, config = DEFAULTS[choice("dataset", dataset, TARGETS)]
    return GAN_PRESETS[preset], config


def init_gan(config: GANConfig | str, seed: int) -> GAN:
    """A :class:`GAN` initialised from ``seed`` (torch's global generator is left untouched)."""
    if isinstance(config, str):
        config = GAN_PRESETS[choice("config", config, GAN_PRESETS)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GAN(config)


def _adam(params, lr: float, betas, device: torch.device) -> torch.optim.Adam:
    params = list(params)
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
        except (RuntimeError, TypeError, ValueError):
            pass
    return torch.optim.Adam(params, lr=lr, betas=betas)


# ------------------------------------------------------------------------- step functions


def r1_penalty(real_logits: torch.Tensor, x_real: torch.Tensor) -> torch.Tensor:
    r"""The R1 penalty per real sample, :math:`\frac12 \|\nabla_x \ell(x)\|^2` summed over the
    event dims: logits ``(..., B)`` of ``x_real`` ``(..., B, *event)`` -> ``(..., B)``.

    Mescheder et al. 2018, eq. 9. ``x_real`` must require grad; the result keeps the graph,
    so that it can be added to the discriminator's loss.
    """
    (grad,) = torch.autograd.grad(real_logits.sum(), x_real, create_graph=True)
    return 0.5 * grad.pow(2).sum(tuple(range(real_logits.ndim, x_real.ndim)))


def discriminator_step(
    model: GAN,
    x_real: torch.Tensor,
    z: torch.Tensor,
    optimizer,
    objective: str,
    r1: float = 0.0,
) -> dict[str, float]:
    """One discriminator update on a real batch and the fakes :math:`G(z)` (G fixed); ``r1``
    weighs the R1 penalty (:func:`r1_penalty`)."""
    # (1) update D: descend J_D (gradient ascent on V) with the generator held fixed
    with torch.no_grad():
        x_fake = model.generator(z)  # (B, Z) -> (B, *shape)
    x_real = x_real.detach().requires_grad_(r1 > 0)  # R1 differentiates D(x) w.r.t. x
    real_logits = model.discriminator(x_real)  # (B, *shape) -> (B,)
    fake_logits = model.discriminator(x_fake)
    loss = discriminator_objective(objective, real_logits, fake_logits)
    out = {}
    if r1 > 0:
        penalty = r1_penalty(real_logits, x_real).mean()
        out["r1"] = float(penalty.detach())
        loss = loss + r1 * penalty
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return {
        "d_loss": float(loss.detach()),
        "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
        "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),
        **out,
    }


def generator_step(
    model: GAN,
    z: torch.Tensor,
    optimizer,
    objective: str,
    logit_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, float]:
    """One generator update through a fixed discriminator (``logit_fn``, default the model's D).

    Only the generator's gradients are computed (``torch.autograd.grad``); D is untouched.
    """
    # (2) update G: descend J_G(D(G(z))) with the discriminator held fixed
    params = [p for group in optimizer.param_groups for p in group["params"]]
    x_fake = model.generator(z)  # (B, Z) -> (B, *shape)
    fake_logits = (logit_fn or model.discriminator)(x_fake)  # (B,)
    loss = generator_objective(objective, fake_logits)
    grads = torch.autograd.grad(loss, params)
    for p, g in zip(params, grads, strict=True):
        p.grad = g.contiguous()  # fused Adam (torch 2.13, CPU) misreads strided gradients
    optimizer.step()
    grad_norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    return {
        "g_loss": float(loss.detach()),
        "g_grad_norm": float(grad_norm),
        "d_fake_g": float(torch.sigmoid(fake_logits.detach()).mean()),
    }


# ------------------------------------------------------------------------------ the trainer


class GeneratorMap(NamedTuple):
    """The generator's mapping along the first latent axis: ``z`` (n,) and ``x = G(z)``."""

    z: torch.Tensor
    x: torch.Tensor


class Picture(NamedTuple):
    r"""One frame of a toy GAN, everything on the target's grid (1-D: ``(G,)``; 2-D: ``(G, G)``
    indexed ``[y, x]``, float64, CPU).

    ``p_data`` exact; ``p_g`` the grid KDE of the evaluation samples (as in :func:`grid_jsd`);
    ``d`` the discriminator's :math:`D(x)` on ``d_axis`` (the grid, or every ``stride``-th node
    of it); ``d_star`` :math:`D^* = p_{data} / (p_{data} + p_g)` from the same two densities
    (1/2 where both vanish); ``samples`` the generator's evaluation samples ``(M, D)``; ``jsd``
    :math:`\mathrm{JSD}(p_{data} \| p_g)` and ``value`` :math:`V(D, G)` in nats.
    """

    axis: torch.Tensor
    p_data: torch.Tensor
    p_g: torch.Tensor
    d_axis: torch.Tensor
    d: torch.Tensor
    d_star: torch.Tensor
    samples: torch.Tensor
    jsd: float
    value: float


class GANTrainer:
    """Train a :class:`GAN` on a target, one step at a time or in a loop.

    ``step_d()`` does one discriminator update (in ``optimal_d`` mode: refits D* to the current
    generator), ``step_g()`` one generator update, ``step()`` does ``k`` of the first and one of
    the second; each returns a dict of floats. ``train(steps)`` loops, logging every
    ``log_every`` generator steps into ``history`` (losses, ``d_real``/``d_fake`` = mean
    :math:`D(x)` on real and fake data, ``jsd`` and ``value`` for toy targets) and calling the
    ``on_step_end`` callbacks there. ``reset()`` restarts from the initial weights;
    ``configure(**changes)`` changes ``k``, the objective, learning rates, ... between steps.
    ``step_count`` counts generator steps and ``d_steps`` discriminator steps.

    Accessors for plots (no gradients; the generator's samples use one fixed ``z``, so a picture
    does not flicker between steps): :meth:`samples`, :meth:`discriminator_on`,
    :meth:`optimal_discriminator_on`, :meth:`generator_map`, :meth:`densities`, :meth:`jsd`.
    A NaN or Inf loss raises :class:`genlab.train.TrainingDiverged` naming the step and value.
    """

    def __init__(
        self,
        model: GAN | None = None,
        target: Target | str = "mixture1d",
        config: GANTrainConfig | None = None,
    ):
        name = target.name if isinstance(target, Target) else target
        if isinstance(name, str) and name in TARGETS and config is None:
            config = DEFAULTS[name][1]
        self.config = config = config or GANTrainConfig()
        if not isinstance(config, GANTrainConfig):
            raise ValueError(f"config must be a GANTrainConfig; got {type(config).__name__}")
        self.device = resolve_device(config.device)
        self.target = _as_target(target, self.device)
        if model is None:
            model = init_gan(DEFAULTS.get(self.target.name, ("toy1d",))[0], config.seed)
        if not isinstance(model, GAN):
            raise ValueError(f"model must be a genlab GAN; got {type(model).__name__}")
        if tuple(model.config.data_shape) != self.target.data_shape:
            raise ValueError(
                f"model.config.data_shape must match the data {self.target.name!r}, "
                f"{self.target.data_shape}; got a generator of output shape "
                f"{model.config.data_shape}"
            )
        if config.optimal_d and not self.target.is_toy:
            raise ValueError(
                f"optimal_d=True needs a target with a known density (mixture1d, mixture2d, "
                f"ring); got {self.target.name!r}"
            )
        self.model = model.to(self.device)
        self._initial_state = copy.deepcopy(model.state_dict())
        self.callbacks: dict[str, list[Callable]] = defaultdict(list)
        self.reset()

    # -- state -----------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> GANTrainer:
        """Back to the initial weights (or, with ``seed``, a fresh initialisation from it), new
        optimizers and random streams, an empty history."""
        if seed is not None:
            self.config = replace(self.config, seed=seed)
            self._initial_state = init_gan(self.model.config, seed).state_dict()
        self.model.load_state_dict(self._initial_state)
        self.model.train()
        c = self.config
        self.d_optimizer = _adam(
            self.model.discriminator.parameters(), c.lr_d or c.lr, c.betas, self.device
        )
        self.g_optimizer = _adam(self.model.generator.parameters(), c.lr, c.betas, self.device)
        data_seed, noise_seed, eval_seed = _stream_seeds(c.seed)
        chunk = 64 * c.batch_size if self.target.is_toy else 16 * c.batch_size
        latent = self.model.config.latent_dim
        dtype = next(self.model.parameters()).dtype  # float32, or float64 for exact checks
        self._data = _Stream(self.target.sample, [data_seed], chunk, self.device, dtype)
        self._noise = _Stream(
            lambda n, g: draw_noise(n, latent, g, c.prior),
            [noise_seed],
            chunk,
            self.device,
            dtype,
        )
        g = torch.Generator().manual_seed(eval_seed)
        z_eval = draw_noise(c.eval_samples, latent, g, c.prior)
        self.z_eval = z_eval.to(self.device, dtype)
        self.x_eval = (
            self.target.sample(c.eval_samples, g).to(dtype) if self.target.is_toy else None
        )  # fixed real samples for the logged value
        self._p_g: Distribution | None = None
        self.history = History()
        self.step_count = 0  # generator steps
        self.d_steps = 0
        self.last: dict[str, float] = {}
        self._last_d: dict[str, float] = {}
        self.seconds = 0.0
        self.stop_requested = False
        return self

    def configure(self, **changes) -> GANTrainer:
        """Change settings between steps, e.g. ``configure(k=5, objective="minimax")``: a new
        (checked) config; ``lr``/``lr_d`` go to the live optimizers at once. ``seed`` and
        ``eval_samples`` take effect at the next :meth:`reset`."""
        self.config = config = replace(self.config, **changes)
        if config.optimal_d and not self.target.is_toy:
            raise ValueError(f"optimal_d=True needs a toy target; got {self.target.name!r}")
        for optimizer, lr in ((self.g_optimizer, config.lr), (self.d_optimizer, config.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr or config.lr
        if "optimal_d" in changes:
            self._p_g = None
        return self

    def add_callback(self, event: str, fn: Callable[[GANTrainer], None]) -> GANTrainer:
        """Call ``fn(trainer)`` at ``event``: ``on_step_end`` (each logged step) or
        ``on_train_end``."""
        choice("event", event, EVENTS)
        self.callbacks[event].append(fn)
        return self

    def _fire(self, event: str) -> None:
        for fn in self.callbacks[event]:
            fn(self)

    def _check_finite(self, out: dict[str, float], key: str) -> None:
        value = out[key]
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"GAN training diverged at generator step {self.step_count} (discriminator step "
                f"{self.d_steps}): {key} = {value}. Try a smaller learning rate (now lr="
                f"{self.config.lr:g}, lr_d={self.config.lr_d or self.config.lr:g}) or another "
                "objective; training was stopped, not continued on NaN."
            )

    # -- the two updates -------------------------------------------------------------------
    def step_d(self) -> dict[str, float]:
        """One discriminator update (``optimal_d``: set D to D* of the current generator)."""
        c = self.config
        if c.optimal_d:
            # (1) D := D* = p_data / (p_data + p_g), p_g a KDE of fresh generator samples
            with torch.no_grad():
                fakes = self.model.generator(self._noise.take(OPTIMAL_D_SAMPLES)[0])
            if not bool(torch.isfinite(fakes).all()):
                out = {"d_loss": math.nan}
            else:
                self._p_g = kde(fakes, self.target.bandwidth(OPTIMAL_D_SAMPLES))
                with torch.no_grad():
                    real_logits = self._logits(self._data.take(c.batch_size)[0])
                    fake_logits = self._logits(
                        self.model.generator(self._noise.take(c.batch_size)[0])
                    )
                out = {
                    "d_loss": float(losses.discriminator_loss(real_logits, fake_logits)),
                    "d_real": float(torch.sigmoid(real_logits).mean()),
                    "d_fake": float(torch.sigmoid(fake_logits).mean()),
                }
        else:
            x_real = self._data.take(c.batch_size)[0]
            z = self._noise.take(c.batch_size)[0]
            r1 = c.r1 * c.r1_every if self.d_steps % c.r1_every == 0 else 0.0
            out = discriminator_step(self.model, x_real, z, self.d_optimizer, c.objective, r1)
            if c.r1 > 0 and "r1" not in out:  # a lazy step: report the last penalty measured
                out["r1"] = self._last_d.get("r1", math.nan)
        self.d_steps += 1
        self._check_finite(out, "d_loss")
        self._last_d = out
        self.last = {**self.last, **out}
        return out

    def step_g(self) -> dict[str, float]:
        """One generator update through the current (or optimal) discriminator."""
        c = self.config
        logit_fn = None
        if c.optimal_d:
            if self._p_g is None:
                self.step_d()
            p_g = self._p_g
            logit_fn = partial(optimal_logit, self.target, p_g)
        z = self._noise.take(c.batch_size)[0]
        out = generator_step(self.model, z, self.g_optimizer, c.objective, logit_fn)
        self.step_count += 1
        self._check_finite(out, "g_loss")
        self.last = {**self._last_d, **out}
        if self.step_count % c.log_every == 0:
            self._log()
        return out

    def step(self) -> dict[str, float]:
        """``k`` discriminator updates, then one generator update; the merged dict."""
        for _ in range(self.config.k):
            self.step_d()
        self.step_g()
        return self.last

    def train(self, steps: int | None = None) -> History:
        """Run ``steps`` (default: the config's) generator steps; return the history (every
        ``log_every``-th step and the last one)."""
        steps = self.config.steps if steps is None else positive_int("steps", steps)
        self.stop_requested = False
        started = time.perf_counter()
        try:
            for _ in range(steps):
                self.step()
                if self.stop_requested:  # a callback may ask to stop
                    break
            if self.step_count % self.config.log_every:
                self._log()  # the last step is always in the history
        finally:
            self.seconds += time.perf_counter() - started
        self._fire("on_train_end")
        return self.history

    def _log(self) -> None:
        entry = {"step": self.step_count, "d_steps": self.d_steps, **self.last}
        if self.target.is_toy:
            with torch.no_grad():
                fakes = self._eval_samples()
            entry["jsd"] = float(grid_jsd(self.target, fakes[None])[0])
            entry["value"] = self._value(fakes)
        self.history.append(entry)
        self._fire("on_step_end")

    def _value(self, fakes: torch.Tensor) -> float:
        """:math:`V(D, G)` on the fixed real and generated evaluation samples (toy targets;
        the first ``OPTIMAL_D_SAMPLES`` of each in ``optimal_d`` mode, where D* is costlier)."""
        n = OPTIMAL_D_SAMPLES if self.config.optimal_d else len(fakes)
        with torch.no_grad():
            real_logits = self._logits(self.x_eval[:n])
            fake_logits = self._logits(fakes[:n])
            return float(losses.gan_value(real_logits.cpu().double(), fake_logits.cpu().double()))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's logits (D*'s in ``optimal_d`` mode, refitted if none yet)."""
        if self.config.optimal_d:
            if self._p_g is None:
                self.step_d()
            return optimal_logit(self.target, self._p_g, x)
        return self.model.discriminator(x)

    # -- accessors for plots ---------------------------------------------------------------
    @torch.no_grad()
    def _eval_samples(self, n: int | None = None) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        x = self.model.generator(self.z_eval[:n])
        self.model.train(was_training)
        return x

    def samples(self, n: int | None = None) -> torch.Tensor:
        """Generator samples :math:`G(z)` for the first ``n`` of the fixed evaluation ``z``."""
        return self._eval_samples(n).detach()

    @torch.no_grad()
    def discriminator_on(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`D(x) = \\sigma(\\ell(x))` of the current discriminator (D* in ``optimal_d``
        mode): ``(B, *shape) -> (B,)``."""
        return torch.sigmoid(self._logits(x.to(self.device, self.z_eval.dtype)))

    @torch.no_grad()
    def optimal_discriminator_on(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`D^*(x)` for the current generator, :math:`p_g` a KDE of the evaluation
        samples (toy targets): ``(B, D) -> (B,)``."""
        m = self.config.eval_samples
        fakes = self._eval_samples()
        p_g = kde(fakes, self.target.bandwidth(m))
        return torch.sigmoid(optimal_logit(self.target, p_g, x.to(self.device, fakes.dtype)))

    @torch.no_grad()
    def generator_map(self, n: int = 201, span: float = 3.0) -> GeneratorMap:
        """:math:`x = G(z)` for ``n`` values of the first latent coordinate in
        ``[-span, span]`` (the others 0): the slide's 1-D picture of the mapping."""
        n = positive_int("n", n, minimum=2)
        z = torch.zeros(n, self.model.config.latent_dim, device=self.device)
        z[:, 0] = torch.linspace(-span, span, n, device=self.device)
        was_training = self.model.training
        self.model.eval()
        x = self.model.generator(z)
        self.model.train(was_training)
        return GeneratorMap(z[:, 0], x)

    def densities(self) -> GridDensities:
        """:math:`p_{data}` (exact) and :math:`\\hat p_g` (KDE of the evaluation samples) on
        the target's grid; ``(G,)`` for 1-D, ``(G, G)`` indexed ``[y, x]`` for 2-D."""
        density, _ = grid_kde(self.target, self._eval_samples()[None])
        shape = (self.target.grid_size,) * self.target.dim
        p_data = self.target.grid_log_p.exp().reshape(shape)
        return GridDensities(self.target.grid_axis, p_data, density[0].reshape(shape))

    def jsd(self) -> float:
        """:func:`grid_jsd` of the current generator's evaluation samples (nats)."""
        return float(grid_jsd(self.target, self._eval_samples()[None])[0])

    def value(self) -> float:
        r""":math:`V(D, G) = E_{p_{data}} \log D(x) + E_{p_z} \log(1 - D(G(z)))` in nats on the
        fixed evaluation samples (toy targets; D* in ``optimal_d`` mode)."""
        if not self.target.is_toy:
            raise ValueError(f"value() needs a toy target; got {self.target.name!r}")
        return self._value(self._eval_samples())

    @torch.no_grad()
    def picture(self, stride: int | None = None) -> Picture:
        """Everything a live plot of a toy GAN shows, in one pass (see :class:`Picture`).

        ``stride``: evaluate D on every ``stride``-th grid node (default 1 in 1-D, 4 in 2-D,
        a 64 x 64 heatmap); the densities, D*, the JSD and V(D, G) use the full grid.
        """
        if not self.target.is_toy:
            raise ValueError(f"picture() needs a toy target; got {self.target.name!r}")
        t = self.target
        stride = positive_int("stride", stride if stride is not None else (1 if t.dim == 1 else 4))
        fakes = self._eval_samples()
        density, inside = grid_kde(t, fakes[None])
        jsd = float(_jsd_on_grid(t, density, inside)[0])
        shape = (t.grid_size,) * t.dim
        log_p, log_q = t.grid_log_p, torch.log(density[0])
        logit = torch.where(torch.isinf(log_p) & torch.isinf(log_q), 0.0, log_p - log_q)
        d_axis = t.grid_axis[::stride]
        if t.dim == 1:
            points = d_axis[:, None]
        else:
            gy, gx = torch.meshgrid(d_axis, d_axis, indexing="ij")
            points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
        d = self.discriminator_on(points.to(self.z_eval.dtype)).double().cpu()
        return Picture(
            axis=t.grid_axis,
            p_data=log_p.exp().reshape(shape),
            p_g=density[0].reshape(shape),
            d_axis=d_axis,
            d=d.reshape((len(d_axis),) * t.dim),
            d_star=torch.sigmoid(logit).reshape(shape),
            samples=fakes.detach().cpu(),
            jsd=jsd,
            value=self._value(fakes),
        )


def train_gan(
    dataset: str = "mixture1d",
    objective: str | None = None,
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    **overrides,
) -> GANTrainer:
    """Train the default GAN for ``dataset`` (``default_setup``); keyword overrides of the
    training config (``k=``, ``lr=``, ``optimal_d=``, ...). Returns the trained trainer."""
    model_config, config = default_setup(dataset)
    fields = {"seed": seed, "device": device, **overrides}
    if objective is not None:
        fields["objective"] = objective
    if steps is not None:
        fields["steps"] = steps
    config = replace(config, **fields)
    trainer = GANTrainer(init_gan(model_config, seed), dataset, config)
    trainer.train()
    return trainer


# ------------------------------------------------------------------------ many seeds at once


def _toy_radius(target: Target) -> float:
    return float((target.modes.norm(dim=1) + 6 * target.mode_stds).max())


def _mode_counts(target: Target, samples: torch.Tensor) -> torch.Tensor:
    r"""Samples within :math:`3\sigma_k` of their nearest mode k: ``(N, M, D) -> (N, K)``."""
    if not target.is_toy:
        raise ValueError(f"target {target.name!r} has no known modes (images)")
    x = samples.detach().to(torch.float64).cpu()
    modes, stds = target.modes, target.mode_stds
    d2 = ((x[:, :, None, :] - modes[None, None]) ** 2).sum(-1)  # (N, M, K)
    d2 = torch.where(torch.isfinite(d2), d2, torch.full_like(d2, math.inf))
    best, nearest = d2.min(-1)  # (N, M)
    within = best.sqrt() <= 3 * stds[nearest]
    return (F.one_hot(nearest, len(modes)).double() * within[..., None]).sum(1)  # (N, K)


def mode_coverage(target: Target, samples: torch.Tensor, min_share: float = 0.25) -> torch.Tensor:
    r"""Fraction of the target's modes that ``samples`` ``(N, M, D)`` cover, ``(N,)``.

    A sample belongs to its nearest mode :math:`k` if it lies within :math:`3\sigma_k` of it;
    mode :math:`k` is covered when it holds at least ``min_share`` of its expected count
    :math:`w_k M`. Non-finite samples belong to no mode.
    """
    return modes_covered(target, samples, min_share).double().mean(1)


def modes_covered(target: Target, samples: torch.Tensor, min_share: float = 0.25) -> torch.Tensor:
    """Which of the target's modes ``samples`` ``(N, M, D)`` cover, ``(N, K)`` bool (the rule
    of :func:`mode_coverage`)."""
    counts = _mode_counts(target, samples)
    return counts >= min_share * target.weights * samples.shape[1]  # (N, K)


def classify_runs(
    target: Target,
    samples: torch.Tensor,
    jsd: torch.Tensor,
    diverged: torch.Tensor | None = None,
    jsd_threshold: float | None = None,
) -> list[str]:
    r"""One outcome per run from its final ``samples`` ``(N, M, D)`` and ``jsd`` ``(N,)``.

    The rules, in order:

    1. ``"diverged"``: flagged during training (``diverged``: a NaN/Inf loss or exploding
       samples), or a non-finite final sample, or samples exploding: some :math:`|x|` beyond
       100 times the target's radius (:math:`\max_k \|\mu_k\| + 6\sigma_k`).
    2. ``"mode_collapsed"``: some mode not covered (:func:`mode_coverage`) while at least half
       of the samples lie on modes (within :math:`3\sigma_k`): the generator concentrates on
       a subset of the modes.
    3. ``"converged"``: every mode covered and JSD at most ``jsd_threshold`` (default 0.05
       nats for 1-D targets, 0.1 for 2-D, whose estimator floor is higher).
    4. ``"unconverged"``: anything else (all modes covered but JSD too high, or samples still
       diffuse, off the modes).
    """
    x = samples.detach().to(torch.float64).cpu()
    n, m = x.shape[:2]
    threshold = jsd_threshold if jsd_threshold is not None else (0.05 if target.dim == 1 else 0.1)
    flagged = torch.zeros(n, dtype=torch.bool) if diverged is None else diverged.cpu().bool()
    finite = torch.isfinite(x).flatten(1).all(1)
    size = torch.where(torch.isfinite(x), x.abs(), torch.zeros_like(x)).flatten(1).amax(1)
    exploded = size > 100 * _toy_radius(target)
    counts = _mode_counts(target, x)  # (N, K)
    all_covered = (counts >= 0.25 * target.weights * m).all(1)
    on_modes = counts.sum(1) / m
    out = []
    for i in range(n):
        if flagged[i] or not finite[i] or exploded[i]:
            out.append("diverged")
        elif not all_covered[i] and on_modes[i] >= 0.5:
            out.append("mode_collapsed")
        elif all_covered[i] and float(jsd[i]) <= threshold:
            out.append("converged")
        else:
            out.append("unconverged")
    return out


class ManySeedResult(NamedTuple):
    """Outcomes of ``N`` runs (:func:`classify_runs`) with what decided them."""

    seeds: list[int]
    outcomes: list[str]
    jsd: np.ndarray  # (N,) final JSD, nats
    coverage: np.ndarray  # (N,) fraction of modes covered
    diverged_at: list[int | None]  # generator step at which a run was flagged
    reasons: list[str]  # why it was flagged ("" if not)
    counts: dict[str, int]  # outcome -> number of runs
    steps: int
    seconds: float


class ManySeedGANs:
    """``N`` independent toy GANs of one config trained at once (grouped parameters).

    Run ``i`` starts from ``init_gan(model_config, seeds[i])`` and draws its data and noise
    from its own generators, exactly as ``GANTrainer(init_gan(model_config, seeds[i]), target,
    replace(config, seed=seeds[i]))`` would: the grouped runs equal the separate ones up to
    floating-point rounding. Every update sums the ``N`` per-run losses (each a mean over its
    batch), so run ``i``'s gradients depend on run ``i`` only; one Adam over the stacked
    parameters is ``N`` independent Adams (Adam is elementwise).

    ``dtype=torch.float64`` makes the grouped and separate runs agree to rounding (in float32,
    Adam's first steps turn rounding-level gradients into steps of size ``lr``, and the game
    amplifies them).

    A run whose loss turns NaN/Inf, or whose samples explode (beyond 100 times the target's
    radius), is flagged (``diverged_at``, ``reasons``), its parameters at that moment kept in
    ``frozen[i]``, and its slice of the grouped parameters zeroed and frozen (no gradient, no
    Adam state), so the others train on.
    """

    def __init__(
        self,
        n_runs: int,
        model_config: GANConfig | str | None = None,
        target: Target | str = "mixture1d",
        config: GANTrainConfig | None = None,
        seeds: Sequence[int] | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        n_runs = positive_int("n_runs", n_runs)
        name = target.name if isinstance(target, Target) else target
        preset, default_config = DEFAULTS.get(name, ("toy1d", GANTrainConfig()))
        self.config = config = config or default_config
        if config.optimal_d:
            raise ValueError("optimal_d=True is not supported for many-seed runs")
        self.device = resolve_device(config.device)
        self.target = _as_target(target, self.device)
        if not self.target.is_toy:
            raise ValueError(f"many-seed runs need a toy target {TARGETS[:3]}; got {name!r}")
        model_config = model_config or preset
        if isinstance(model_config, str):
            model_config = GAN_PRESETS[choice("model_config", model_config, GAN_PRESETS)]
        if tuple(model_config.data_shape) != self.target.data_shape:
            raise ValueError(
                f"model_config.data_shape must match the data {self.target.name!r}, "
                f"{self.target.data_shape}; got {model_config.data_shape}"
            )
        self.seeds = (
            list(range(config.seed, config.seed + n_runs)) if seeds is None else list(seeds)
        )
        if len(self.seeds) != n_runs:
            raise ValueError(f"seeds must hold n_runs = {n_runs} seeds; got {len(self.seeds)}")
        self.model_config = model_config
        self.n = n_runs
        gans = [init_gan(model_config, s) for s in self.seeds]
        self.model = GroupedGAN(gans).to(device=self.device, dtype=dtype)
        self.d_params = self.model.discriminator_parameters()
        self.g_params = self.model.generator_parameters()
        c = config
        self.d_optimizer = _adam(self.d_params, c.lr_d or c.lr, c.betas, self.device)
        self.g_optimizer = _adam(self.g_params, c.lr, c.betas, self.device)
        streams = [_stream_seeds(s) for s in self.seeds]
        chunk = 64 * c.batch_size
        latent = model_config.latent_dim
        self._data = _Stream(self.target.sample, [s[0] for s in streams], chunk, self.device, dtype)
        self._noise = _Stream(
            lambda n, g: torch.randn(n, latent, generator=g),
            [s[1] for s in streams],
            chunk,
            self.device,
            dtype,
        )
        z_eval = []
        for s in streams:
            z_eval.append(
                torch.randn(c.eval_samples, latent, generator=torch.Generator().manual_seed(s[2]))
            )
        self.z_eval = torch.stack(z_eval).to(self.device, dtype)  # (N, M, Z)
        self.alive = torch.ones(n_runs, dtype=torch.bool, device=self.device)
        self.diverged_at: list[int | None] = [None] * n_runs
        self.reasons = [""] * n_runs
        self.frozen: dict[int, GAN] = {}
        self._to_freeze = False
        self.explode_limit = 100 * _toy_radius(self.target)
        self.history = History()
        self.step_count = 0
        self.d_steps = 0
        self.seconds = 0.0
        self._last: dict[str, torch.Tensor] = {}

    # -- divergence bookkeeping ------------------------------------------------------------
    def _flag(self, runs: torch.Tensor, reason: str, values: torch.Tensor) -> None:
        """Record ``runs`` (bool (N,)) as diverged and keep their parameters; they are zeroed
        and frozen after this step's update (the graph still needs them until then)."""
        for i in torch.nonzero(runs & self.alive).flatten().tolist():
            self.frozen[i] = self.model.unstack(i)
            self.diverged_at[i] = self.step_count
            self.reasons[i] = (
                f"{reason} = {float(values[i]):.4g} at generator step {self.step_count}"
            )
        self.alive &= ~runs
        self._to_freeze = True

    @torch.no_grad()
    def _freeze(self) -> None:
        """Zero the flagged runs' parameters and Adam state: finite, and never updated again."""
        dead = ~self.alive
        for opt in (self.d_optimizer, self.g_optimizer):
            for p in (q for group in opt.param_groups for q in group["params"]):
                p.masked_fill_(self._mask(p, dead), 0.0)
                for value in opt.state.get(p, {}).values():
                    if isinstance(value, torch.Tensor) and value.shape == p.shape:
                        value.masked_fill_(self._mask(value, dead), 0.0)
        self._to_freeze = False

    @staticmethod
    def _mask(p: torch.Tensor, runs: torch.Tensor) -> torch.Tensor:
        return runs.view(-1, *([1] * (p.ndim - 1)))

    def _guarded_total(self, per_run_fn: Callable[[], torch.Tensor], total: torch.Tensor, key: str):
        """The loss to differentiate: ``total`` if finite, else the per-run losses with the
        non-finite runs flagged and left out."""
        if bool(torch.isfinite(total)):
            return total
        per_run = per_run_fn()  # (N,)
        bad = ~torch.isfinite(per_run.detach())
        self._flag(bad, key, per_run.detach())
        return torch.where(self.alive, per_run, torch.zeros_like(per_run)).sum()

    def _update(self, loss: torch.Tensor, params: list[nn.Parameter], optimizer) -> None:
        grads = torch.autograd.grad(loss, params)
        all_alive = bool(self.alive.all())
        for p, g in zip(params, grads, strict=True):
            g = g.contiguous()  # fused Adam (torch 2.13, CPU) misreads strided gradients
            p.grad = g if all_alive else torch.where(self._mask(g, self.alive), g, 0.0)
        optimizer.step()
        if self._to_freeze:
            self._freeze()

    # -- the two updates -------------------------------------------------------------------
    def step_d(self) -> None:
        c, n = self.config, self.n
        x_real = self._data.take(c.batch_size)  # (N, B, D)
        z = self._noise.take(c.batch_size)  # (N, B, Z)
        # (1) update D: descend each run's J_D with its generator held fixed
        with torch.no_grad():
            x_fake = self.model.generator(z)  # (N, B, Z) -> (N, B, D)
            size = torch.nan_to_num(x_fake.abs(), nan=math.inf).flatten(1).amax(1)  # (N,)
            exploded = (size > self.explode_limit) & self.alive
            if bool(exploded.any()):
                self._flag(exploded, "max |G(z)|", size)
        r1 = c.r1 * c.r1_every if self.d_steps % c.r1_every == 0 else 0.0
        x_real = x_real.detach().requires_grad_(r1 > 0)
        real = self.model.discriminator(x_real)  # (N, B, D) -> (N, B)
        fake = self.model.discriminator(x_fake)
        total = n * discriminator_objective(c.objective, real, fake)  # sum of per-run means
        per_run = partial(
            torch.func.vmap(partial(discriminator_objective, c.objective)), real, fake
        )
        if r1 > 0:
            penalty = r1_penalty(real, x_real).mean(1)  # (N,)
            total = total + r1 * penalty.sum()
            per_run = partial(lambda f, p: f() + r1 * p, per_run, penalty)
        loss = self._guarded_total(per_run, total, "d_loss")
        self._update(loss, self.d_params, self.d_optimizer)
        self.d_steps += 1
        self._last.update(real=real.detach(), fake=fake.detach())

    def step_g(self) -> None:
        c, n = self.config, self.n
        z = self._noise.take(c.batch_size)
        # (2) update G: descend each run's J_G(D(G(z))) with its discriminator held fixed
        fake = self.model.discriminator(self.model.generator(z))  # (N, B)
        total = n * generator_objective(c.objective, fake)
        per_run = partial(torch.func.vmap(partial(generator_objective, c.objective)), fake)
        loss = self._guarded_total(per_run, total, "g_loss")
        self._update(loss, self.g_params, self.g_optimizer)
        self.step_count += 1
        self._last["fake_g"] = fake.detach()
        if self.step_count % c.log_every == 0:
            self._log()

    def step(self) -> None:
        for _ in range(self.config.k):
            self.step_d()
        self.step_g()

    def train(self, steps: int | None = None) -> ManySeedGANs:
        """``steps`` (default: the config's) generator steps of every run."""
        steps = self.config.steps if steps is None else positive_int("steps", steps)
        started = time.perf_counter()
        for _ in range(steps):
            self.step()
        self.seconds += time.perf_counter() - started
        return self

    # -- results ---------------------------------------------------------------------------
    @torch.no_grad()
    def samples(self) -> torch.Tensor:
        """Every run's samples at its fixed evaluation ``z``: ``(N, M, D)`` (NaN for flagged
        runs, whose live parameters are zeroed; see ``frozen``)."""
        x = self.model.generator(self.z_eval)
        return torch.where(self._mask(x, self.alive), x, torch.full_like(x, math.nan))

    @torch.no_grad()
    def _log(self) -> None:
        c, last = self.config, self._last
        d_loss = torch.func.vmap(partial(discriminator_objective, c.objective))(
            last["real"], last["fake"]
        )
        g_loss = torch.func.vmap(partial(generator_objective, c.objective))(last["fake_g"])
        dead = ~self.alive
        nan = torch.full_like(d_loss, math.nan)
        entry = {
            "step": self.step_count,
            "d_loss": torch.where(dead, nan, d_loss).tolist(),
            "g_loss": torch.where(dead, nan, g_loss).tolist(),
            "d_real": torch.where(dead, nan, torch.sigmoid(last["real"]).mean(1)).tolist(),
            "d_fake": torch.where(dead, nan, torch.sigmoid(last["fake"]).mean(1)).tolist(),
            "jsd": grid_jsd(self.target, self.samples()).tolist(),
        }
        self.history.append(entry)

    def result(self, jsd_threshold: float | None = None) -> ManySeedResult:
        """Classify every run (:func:`classify_runs`) from its current samples."""
        x = self.samples()
        jsd = grid_jsd(self.target, x)
        outcomes = classify_runs(self.target, x, jsd, ~self.alive.cpu(), jsd_threshold)
        return ManySeedResult(
            seeds=self.seeds,
            outcomes=outcomes,
            jsd=jsd.numpy(),
            coverage=mode_coverage(self.target, x).numpy(),
            diverged_at=list(self.diverged_at),
            reasons=list(self.reasons),
            counts={o: outcomes.count(o) for o in OUTCOMES},
            steps=self.step_count,
            seconds=self.seconds,
        )


def time_many_seeds(
    n_runs: Sequence[int] = (1, 8, 64),
    steps: int = 500,
    dataset: str = "mixture1d",
    device: str = "cpu",
    log: bool = True,
    repeats: int = 3,
) -> list[dict]:
    """Wall time of ``steps`` generator steps of the default GAN for ``dataset``: one
    :class:`GANTrainer` run, and :class:`ManySeedGANs` with each of ``n_runs`` runs.

    After 20 warm-up steps each contender trains ``steps`` more steps ``repeats`` times, the
    contenders taking turns (so that a busy machine slows them alike); ``seconds`` is the
    median. ``log=False`` times the updates alone (no JSD logging). Returns rows ``{"runs",
    "seconds", "ms_per_step", "vs_one_run"}``, the first for the single :class:`GANTrainer`
    (``runs = "1 (GANTrainer)"``). For the benchmarks.
    """
    steps = positive_int("steps", steps)
    repeats = positive_int("repeats", repeats)
    model_config, config = default_setup(dataset)
    config = replace(config, device=device, log_every=config.log_every if log else 10**9)
    contenders = {
        "1 (GANTrainer)": GANTrainer(init_gan(model_config, config.seed), dataset, config)
    }
    for n in n_runs:
        contenders[n] = ManySeedGANs(positive_int("n_runs", n), model_config, dataset, config)
    times: dict = {name: [] for name in contenders}
    for obj in contenders.values():
        obj.train(20)
    for _ in range(repeats):
        for name, obj in contenders.items():
            start = time.perf_counter()
            obj.train(steps)
            times[name].append(time.perf_counter() - start)
    single = float(np.median(times["1 (GANTrainer)"]))
    rows = []
    for name, values in times.items():
        seconds = float(np.median(values))
        rows.append(
            {
                "runs": name,
                "seconds": seconds,
                "ms_per_step": 1e3 * seconds / steps,
                "vs_one_run": seconds / single,
            }
        )
    return rows


def compare_objectives(
    objectives: Sequence[str] = ("minimax", "non_saturating", "kl"),
    n_runs: int = 32,
    dataset: str = "mixture1d",
    **overrides,
) -> dict[str, ManySeedResult]:
    """:class:`ManySeedGANs` of the default GAN for ``dataset`` under each objective (same
    seeds, same initialisations); keyword overrides of the training config (``steps=``,
    ``r1=``, ...). Returns objective -> :class:`ManySeedResult`."""
    model_config, config = default_setup(dataset)
    out = {}
    for objective in objectives:
        run_config = replace(config, objective=_check_objective(objective), **overrides)
        out[objective] = ManySeedGANs(n_runs, model_config, dataset, run_config).train().result()
    return out


# ------------------------------------------------------------------- the lectures' experiments


class SaturationCurves(NamedTuple):
    """Generator costs and their gradients w.r.t. the logit, against :math:`D(G(z))`."""

    d: torch.Tensor  # (n,) D(G(z)) in (0, 1)
    logit: torch.Tensor  # (n,) its logit
    minimax_loss: torch.Tensor  # log(1 - D)
    minimax_grad: torch.Tensor  # d/dlogit log(1 - D) = -D
    non_saturating_loss: torch.Tensor  # -log D
    non_saturating_grad: torch.Tensor  # d/dlogit -log D = D - 1


def saturation_curves(n: int = 201, eps: float = 1e-3) -> SaturationCurves:
    r"""The slide "A better cost function" as data: for :math:`D = D(G(z))` from ``eps`` to
    ``1 - eps``, each generator cost of :func:`genlab.losses.generator_loss` and its derivative
    with respect to the discriminator's logit :math:`\ell`, by autograd (float64):

    .. math::
        \frac{\partial}{\partial \ell} \log(1 - \sigma(\ell)) = -D, \qquad
        \frac{\partial}{\partial \ell} \big(-\log \sigma(\ell)\big) = D - 1

    The minimax gradient vanishes where the discriminator rejects the fakes (:math:`D \to 0`),
    early in training; the non-saturating one is largest there.
    """
    n = positive_int("n", n, minimum=2)
    eps = positive("eps", eps)
    if eps >= 0.5:
        raise ValueError(f"eps must lie in (0, 0.5); got {eps}")
    d = torch.linspace(eps, 1 - eps, n, dtype=torch.float64)
    logit = torch.logit(d)
    out = {}
    for kind in losses.GENERATOR_KINDS:
        cost = partial(lambda k, l: losses.generator_loss(l[None], k), kind)  # one logit -> ()
        out[f"{kind}_loss"] = torch.func.vmap(cost)(logit)
        out[f"{kind}_grad"] = torch.func.vmap(torch.func.grad(cost))(logit)
    return SaturationCurves(d=d, logit=logit, **out)


class SaturationRun(NamedTuple):
    """One generator cost trained after the discriminator has been pretrained to win."""

    step: np.ndarray  # (T,) generator steps 1..T
    grad_norm: np.ndarray  # (T,) norm of the generator's gradient
    d_fake: np.ndarray  # (T,) mean D(G(z)) seen by that generator step
    jsd_step: np.ndarray  # (L,) steps where the JSD was logged
    jsd: np.ndarray  # (L,)


def saturation_experiment(
    steps: int = 500,
    pretrain_d_steps: int = 500,
    seed: int = 0,
    device: str = "cpu",
    kinds: Sequence[str] = losses.GENERATOR_KINDS,
    log_every: int = 10,
    g_lr: float = 0.01,
) -> dict[str, SaturationRun]:
    """The minimax cost stalls when D wins early: pretrain D for ``pretrain_d_steps`` against
    the untrained generator of the default 1-D GAN (no R1), then train ``steps`` alternating
    steps with each generator cost from that same state. Returns kind -> :class:`SaturationRun`.

    The generator takes plain gradient steps (SGD, ``g_lr``), as on the slide "Learning
    procedure": saturation is about the gradient's size, which Adam would rescale away (with
    Adam both costs move G at about the same speed).
    """
    steps = positive_int("steps", steps)
    pretrain_d_steps = positive_int("pretrain_d_steps", pretrain_d_steps, minimum=0)
    g_lr = positive("g_lr", g_lr)
    model_config, config = default_setup("mixture1d")
    out = {}
    for kind in kinds:
        choice("kinds", kind, losses.GENERATOR_KINDS)
        run_config = replace(
            config, objective=kind, r1=0.0, seed=seed, device=device, log_every=log_every
        )
        trainer = GANTrainer(init_gan(model_config, seed), "mixture1d", run_config)
        # plain gradient descent on G: Adam would rescale a vanishing gradient to full steps
        trainer.g_optimizer = torch.optim.SGD(trainer.model.generator.parameters(), lr=g_lr)
        for _ in range(pretrain_d_steps):
            trainer.step_d()  # (1) only: the generator stays where it started
        rows = [trainer.step() for _ in range(steps)]
        hist = trainer.history
        out[kind] = SaturationRun(
            step=np.arange(1, steps + 1),
            grad_norm=np.array([r["g_grad_norm"] for r in rows]),
            d_fake=np.array([r["d_fake_g"] for r in rows]),
            jsd_step=np.array(hist.get("step", [])),
            jsd=np.array(hist.get("jsd", [])),
        )
    return out


class GaussianFit(NamedTuple):
    """A Gaussian generator :math:`\\mathcal N(\\mu, \\sigma^2)` fitted by an f-GAN."""

    divergence: str
    loc: float
    scale: float
    variance: float
    jsd: float  # to the target, nats (grid estimate)


def fit_gaussian_fgan(
    divergence: str,
    steps: int = 1000,
    start_loc: float = 0.5,
    start_scale: float = 0.5,
    seed: int = 0,
    device: str = "cpu",
    **overrides,
) -> GaussianFit:
    r"""Fit :math:`G(z) = \mu + \sigma z` (preset ``gaussian1d``) to the bimodal
    :func:`genlab.data.mixture1d` by f-GAN training with ``divergence``.

    Mode covering vs mode seeking (Nowozin et al. 2016, Sec. 4; lecture 07): ``"kl"``
    (:math:`\mathrm{KL}(P\|Q)`) is minimised by moment matching, :math:`\mu = 0`,
    :math:`\sigma^2 = 4.25` for the default target; ``"reverse_kl"``
    (:math:`\mathrm{KL}(Q\|P)`) by one mode, :math:`\sigma^2 \approx 0.25`. The generator
    starts at :math:`\mathcal N(` ``start_loc, start_scale**2`` :math:`)`, off the symmetric
    saddle at 0.
    """
    choice("divergence", divergence, F_DIVERGENCES)
    config = GANTrainConfig(
        objective=divergence,
        steps=steps,
        k=3,
        batch_size=256,
        lr=1e-2,
        lr_d=4e-3,
        r1=0.0,
        seed=seed,
        device=device,
        log_every=steps,
    )
    gan = init_gan("gaussian1d", seed)
    with torch.no_grad():
        gan.generator.loc.fill_(start_loc)  # off the symmetric saddle at 0
        gan.generator.log_scale.fill_(math.log(start_scale))
    trainer = GANTrainer(gan, "mixture1d", replace(config, **overrides))
    trainer.train()
    generator = trainer.model.generator
    scale = float(generator.log_scale.detach().exp()[0])
    return GaussianFit(divergence, float(generator.loc.detach()[0]), scale, scale**2, trainer.jsd())


class DiscriminatorFit(NamedTuple):
    """A discriminator trained against a frozen generator, next to :math:`D^*`."""

    mae: float  # mean |D - D*| on the data's support
    max_error: float
    x: torch.Tensor  # (G,) grid points on the support
    d: torch.Tensor  # (G,) D(x)
    d_star: torch.Tensor  # (G,) D*(x)


def discriminator_vs_optimal(trainer: GANTrainer, d_steps: int = 3000) -> DiscriminatorFit:
    r"""Train only the discriminator of ``trainer`` (its generator frozen) for ``d_steps``,
    then compare :math:`D(x)` with :math:`D^*(x) = p_{data}/(p_{data} + p_g)` on the data's
    support: the grid points of a 1-D target where :math:`p_{data}(x) \ge 10^{-2} \max p_{data}`.

    :math:`D^*` is :func:`genlab.theory.optimal_discriminator`; :math:`p_g` is exact for a
    :class:`~genlab.models.gan.GaussianGenerator`, else a KDE of the evaluation samples. Use
    ``r1=0`` in the trainer's config: the penalty pulls D away from D* on purpose.
    """
    from genlab.models.gan import GaussianGenerator
    from genlab.theory import optimal_discriminator

    if trainer.target.dim != 1:
        raise ValueError(
            f"discriminator_vs_optimal needs a 1-D target; got {trainer.target.name!r}"
        )
    if trainer.config.optimal_d:
        raise ValueError("the trainer must train a discriminator network (optimal_d=False)")
    d_steps = positive_int("d_steps", d_steps)
    for _ in range(d_steps):
        trainer.step_d()
    generator = trainer.model.generator
    if isinstance(generator, GaussianGenerator):
        loc = generator.loc.detach().double().cpu()[0]
        p_g: Distribution = Normal(loc, generator.log_scale.detach().double().cpu().exp()[0])
    else:
        m = trainer.config.eval_samples
        p_g = kde(trainer.samples().cpu().double(), trainer.target.bandwidth(m))
    d_star = optimal_discriminator(trainer.target._dist64, p_g)
    x = trainer.target.grid_axis
    on_support = trainer.target.grid_log_p >= trainer.target.grid_log_p.max() + math.log(1e-2)
    x = x[on_support]
    d = trainer.discriminator_on(x[:, None].float()).cpu().double()
    ds = d_star(x)
    err = (d - ds).abs()
    return DiscriminatorFit(float(err.mean()), float(err.max()), x, d, ds)


class DigitQuality(NamedTuple):
    """How many generated images a digit classifier recognises."""

    recognised: float  # fraction labelled with confidence >= the threshold
    mean_confidence: float
    label_counts: list[int]  # recognised samples per digit
    n: int


def dcgan_digit_quality(
    samples: torch.Tensor, classifier: nn.Module | None = None, confidence: float = 0.9
) -> DigitQuality:
    """Label ``samples`` ``(n, 1, 8, 8)`` with a :class:`~genlab.models.classifier.
    DigitClassifier` (trained with ``train_digit_classifier(seed=0)`` if none is given): the
    fraction recognised with ``max_k p(k|x) >= confidence``, and the recognised labels (no
    gradients: ``classify`` runs without them)."""
    from genlab.models.classifier import train_digit_classifier

    if classifier is None:
        classifier = train_digit_classifier(seed=0, device="cpu").model
    device = next(classifier.parameters()).device
    result = classifier.classify(samples.to(device))
    ok = result.confidence >= confidence
    counts = torch.bincount(result.labels[ok].cpu(), minlength=10).tolist()
    return DigitQuality(
        float(ok.float().mean()), float(result.confidence.mean()), counts, len(samples)
    )


class DigitsRun(NamedTuple):
    """A DCGAN trained on the digits, judged by a digit classifier."""

    quality: DigitQuality  # of the weight-averaged generator (the trained one if ema=None)
    steps: int
    seconds: float  # training only
    classifier_accuracy: float  # on the held-out digits
    raw_quality: DigitQuality  # of the trained generator itself, same z
    samples: torch.Tensor  # (n, 1, 8, 8) the samples judged for ``quality``, CPU


def dcgan_digits_run(
    steps: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    n: int = 1000,
    ema: float | None = 0.99,
) -> DigitsRun:
    r"""Train the default DCGAN on the digits for ``steps`` (default: its budget, 1500 steps,
    20-25 s on one laptop CPU core) and judge ``n`` samples with :func:`dcgan_digit_quality`:
    the lecture's "recognisable digits" check, as a measurement.

    ``ema`` is the decay :math:`\beta` of an exponential moving average of the generator's
    weights, :math:`\bar\theta_g \leftarrow \beta \bar\theta_g + (1 - \beta) \theta_g`
    after every generator step (``torch.optim.swa_utils.AveragedModel``; Yazici et al. 2019,
    Karras et al. 2018): the samples come from :math:`\bar\theta_g`, which averages out the
    last steps' oscillation. ``ema=None`` samples the trained generator itself; ``raw_quality``
    always judges it, on the same ``z``.
    """
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    from genlab.models.classifier import train_digit_classifier

    if ema is not None and not 0.0 < ema < 1.0:
        raise ValueError(f"ema must be a decay in (0, 1) or None; got {ema!r}")
    model_config, config = default_setup("digits")
    config = replace(config, seed=seed, device=device, **({"steps": steps} if steps else {}))
    trainer = GANTrainer(init_gan(model_config, seed), "digits", config)
    generator = trainer.model.generator
    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(ema)) if ema else None
    started = time.perf_counter()
    for _ in range(config.steps):
        trainer.step()
        if average is not None:
            average.update_parameters(generator)
    seconds = time.perf_counter() - started
    classifier = train_digit_classifier(seed=seed, device=device)
    z = draw_noise(n, model_config.latent_dim, torch.Generator().manual_seed(seed))
    z = z.to(trainer.device)
    with torch.no_grad():
        raw = generator(z)  # batch norm uses this batch's statistics, in any mode
        samples = average.module(z) if average is not None else raw
    raw_quality = dcgan_digit_quality(raw, classifier.model)
    quality = dcgan_digit_quality(samples, classifier.model) if average is not None else raw_quality
    return DigitsRun(
        quality, config.steps, seconds, classifier.test_accuracy, raw_quality, samples.cpu()
    )
