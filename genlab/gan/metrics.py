r"""How far a toy GAN is from its target: the JSD on a grid, mode coverage, run outcomes.

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

**Modes and outcomes.** A sample belongs to its nearest mode when it lies within
:math:`3\sigma_k` of it; one coverage rule (:func:`modes_covered`) serves
:func:`mode_coverage` and :func:`classify_runs`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F

from genlab._checks import positive
from genlab.divergences import get_divergence

if TYPE_CHECKING:  # a Target carries the grid; this module only reads it
    from genlab.gan.targets import Target

LOG2 = math.log(2.0)


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


def toy_radius(target: Target) -> float:
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
    return _covered(target, _mode_counts(target, samples), samples.shape[1], min_share)


def _covered(target: Target, counts: torch.Tensor, m: int, min_share: float = 0.25):
    """The coverage rule: mode k holds at least ``min_share`` of its expected count w_k M."""
    return counts >= min_share * target.weights * m  # (N, K)


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
    exploded = size > 100 * toy_radius(target)
    counts = _mode_counts(target, x)  # (N, K)
    all_covered = _covered(target, counts, m).all(1)
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
