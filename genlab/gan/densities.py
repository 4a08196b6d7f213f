r"""Densities of toy GANs: a KDE of generator samples, the exact :math:`p_g` of a 1-D
generator, and the logit of the optimal discriminator :math:`D^*` for a target."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.distributions import Categorical, Distribution, Independent, MixtureSameFamily, Normal

from genlab._checks import choice, positive, positive_int
from genlab.gan.config import PRIORS
from genlab.gan.targets import Target
from genlab.theory import optimal_logit_from_log_probs


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


def wasserstein_1d_to_target(
    target: Target,
    generator: Callable[[torch.Tensor], torch.Tensor],
    prior: str = "normal",
    n: int = 20001,
    span: float = 6.0,
) -> float:
    r""":math:`W_1(p_{data}, p_g) = \int |F_{data}(x) - F_g(x)|\,dx` between a 1-D toy target
    and a 1-D generator's :math:`p_g`, from the two CDFs, not from samples. :math:`F_{data}` is
    the mixture's :math:`\sum_k w_k \Phi((x - \mu_k)/\sigma_k)`; for :math:`F_g`, each of the
    ``n - 1`` pieces of :math:`z \in [-\text{span}, \text{span}]` puts its prior mass at the
    image of its midpoint (:func:`generator_density_1d`'s grid), which moves each bit of mass
    by at most half a piece's image: the error is at most :math:`\frac12 \max |G'|\,\Delta z`
    (about :math:`10^{-3}` for the course's toy generators). The integral runs over 8,001
    points spanning both supports (trapezoid rule). The critic of a Wasserstein GAN estimates
    this number."""
    if not target.is_toy or target.dim != 1:
        raise ValueError(f"target must be a 1-D toy target; got {target.name!r}")
    z, gz = _generator_pieces_1d(generator, span, n)
    mid = (z[:-1] + z[1:]) / 2
    param = next(iter(getattr(generator, "parameters", lambda: iter(()))()), None)
    like = {"device": param.device, "dtype": param.dtype} if param is not None else {}
    with torch.no_grad():
        x_mid = generator(mid[:, None].to(**like))[:, 0].to("cpu", torch.float64)  # (n - 1,)
    mass = _prior_mass(z[:-1], z[1:], choice("prior", prior, PRIORS) == "normal")
    order = torch.argsort(x_mid)
    x_sorted, cdf_g = x_mid[order], mass[order].cumsum(0)
    lo = min(float(target.grid_axis[0]), float(gz.min())) - 1e-6
    hi = max(float(target.grid_axis[-1]), float(gz.max())) + 1e-6
    x = torch.linspace(lo, hi, 8001, dtype=torch.float64)
    index = torch.searchsorted(x_sorted, x, right=True)  # points <= x
    f_g = torch.cat([cdf_g.new_zeros(1), cdf_g])[index]
    loc, scale, probs = (t.double() for t in target._parts)  # (M, 1), (M, 1), (M,)
    f_data = (probs * Normal(loc[:, 0], scale[:, 0]).cdf(x[:, None])).sum(1)
    return float(torch.trapezoid((f_data - f_g).abs(), x))


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
    return optimal_logit_from_log_probs(lp, lq)
