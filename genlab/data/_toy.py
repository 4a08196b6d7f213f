r"""Toy 1-D and 2-D distributions for the GAN lectures, with exact densities where they exist.

Every sampler returns a float32 tensor of shape ``(n, 1)`` or ``(n, 2)``. Randomness: pass
``generator=`` (a CPU ``torch.Generator``) or ``seed=``; with neither, torch's global generator
is used, so ``genlab.seed_everything`` makes a notebook reproducible while repeated calls in a
training loop still give fresh batches. Samples are drawn on the CPU, then moved to ``device``.

The Gaussian mixtures (``mixture1d``, ``mixture2d``, ``ring``) also come as
``torch.distributions`` objects, because lecture 06 needs the data density itself: the
optimal discriminator :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))` and the JSD on a grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from genlab._checks import choice, positive, positive_int
from genlab.data._common import make_generator, to_device

Numbers = float | Sequence[float] | torch.Tensor

MIXTURE1D_MEANS = (-2.0, 2.0)
MIXTURE2D_MEANS = ((-1.5, -1.0), (1.5, -1.0), (0.0, 1.5))


def _as_float64(name: str, value, what: str) -> torch.Tensor:
    try:
        t = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"{name} must be {what}; got {type(value).__name__} {value!r}") from None
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite; got {value!r}")
    return t.detach().cpu()


def _mixture_params(means, stds, weights, dim: int):
    """Check and broadcast the parameters to ``means (K, D)``, ``stds (K, D)``, ``probs (K,)``."""
    if dim == 1:
        mu = _as_float64("means", means, "a sequence of K numbers")
        if mu.ndim != 1 or len(mu) == 0:
            raise ValueError(
                f"means must be a sequence of K >= 1 numbers; got shape {tuple(mu.shape)}"
            )
        mu = mu[:, None]
    else:
        mu = _as_float64("means", means, "a (K, 2) array of mode centres")
        if mu.ndim != 2 or mu.shape[1] != 2 or mu.shape[0] == 0:
            raise ValueError(f"means must have shape (K, 2) with K >= 1; got {tuple(mu.shape)}")
    K = mu.shape[0]

    sigma = _as_float64("stds", stds, "a positive number or one per component")
    expected = f"a number, ({K},)" + (f" or ({K}, 2)" if dim == 2 else "")
    if sigma.ndim == 1:
        if sigma.shape[0] != K:
            raise ValueError(f"stds must be {expected} for {K} components; got {stds!r}")
        sigma = sigma[:, None]  # one (isotropic) std per component
    elif sigma.ndim > 2 or (sigma.ndim == 2 and sigma.shape != (K, dim)):
        raise ValueError(f"stds must be {expected}; got shape {tuple(sigma.shape)}")
    sigma = torch.broadcast_to(sigma, (K, dim)).clone()
    if not (sigma > 0).all():
        raise ValueError(f"stds must all be > 0; got {stds!r}")

    if weights is None:
        probs = torch.full((K,), 1.0 / K, dtype=torch.float64)
    else:
        w = _as_float64("weights", weights, f"a sequence of {K} non-negative numbers")
        if w.shape != (K,):
            raise ValueError(f"weights must have shape ({K},), one per mean; got {tuple(w.shape)}")
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum; got {weights!r}")
        probs = w / w.sum()
    return mu.float(), sigma.float(), probs.float()


def _sample_mixture(n, mu, sigma, probs, seed, generator, device) -> torch.Tensor:
    r""":math:`k \sim \mathrm{Cat}(\pi)`, :math:`x = \mu_k + \sigma_k \odot \epsilon`; ``(n, D)``.

    (``n`` categorical draws first, then ``(n, D)`` standard normals.)
    """
    n = positive_int("n", n)
    g = make_generator(seed, generator)
    k = torch.multinomial(probs, n, replacement=True, generator=g)  # (n,)
    eps = torch.randn(n, mu.shape[1], generator=g)  # (n, D)
    return to_device(mu[k] + sigma[k] * eps, device)


def _mixture_distribution(mu, sigma, probs, dim, device) -> MixtureSameFamily:
    mu, sigma, probs = (to_device(t, device) for t in (mu, sigma, probs))
    if dim == 1:
        components = Normal(mu[:, 0], sigma[:, 0])  # batch (K,), event ()
    else:
        components = Independent(Normal(mu, sigma), 1)  # batch (K,), event (2,)
    return MixtureSameFamily(Categorical(probs=probs), components)


def mixture_parts(dist: MixtureSameFamily) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(loc (K, D), scale (K, D), probs (K,))`` of a Gaussian mixture built by this module
    (event shape ``()`` or ``(D,)``), detached, on its device and in its dtype."""
    comp = getattr(dist, "component_distribution", None)
    base = comp.base_dist if isinstance(comp, Independent) else comp
    if not isinstance(base, Normal):
        raise ValueError(
            "dist must be a MixtureSameFamily of Normals (a toy distribution of genlab.data); "
            f"got {type(dist).__name__}"
        )
    k = len(base.loc)
    return (
        base.loc.detach().reshape(k, -1),
        base.scale.detach().reshape(k, -1),
        dist.mixture_distribution.probs.detach(),
    )


def mixture_distribution(loc, scale, probs, device=None) -> MixtureSameFamily:
    """The Gaussian mixture with components ``loc``, ``scale`` ``(K, D)`` and weights ``probs``
    ``(K,)``: event shape ``()`` for D = 1, ``(D,)`` otherwise (as ``*_distribution``)."""
    return _mixture_distribution(loc, scale, probs, loc.shape[1], device)


def sample_mixture(n: int, loc, scale, probs, generator=None) -> torch.Tensor:
    """``n`` draws ``(n, D)`` from the mixture of :func:`mixture_parts`, on the CPU, in the
    order of :func:`mixture1d` (the categorical draws, then the normals)."""
    return _sample_mixture(n, loc, scale, probs, None, generator, None)


# --- 1-D mixture ---------------------------------------------------------------------------


def mixture1d(
    n: int,
    means: Numbers = MIXTURE1D_MEANS,
    stds: Numbers = 0.5,
    weights: Numbers | None = None,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    r"""``n`` draws from :math:`p(x) = \sum_k \pi_k \mathcal{N}(x; \mu_k, \sigma_k^2)`. ``(n, 1)``.

    Default: the bimodal target of the 1-D GAN intuition, means (-2, 2), stds 0.5, equal
    weights. ``stds`` is one number or one per component; ``weights`` are normalised.
    """
    mu, sigma, probs = _mixture_params(means, stds, weights, dim=1)
    return _sample_mixture(n, mu, sigma, probs, seed, generator, device)


def mixture1d_distribution(
    means: Numbers = MIXTURE1D_MEANS,
    stds: Numbers = 0.5,
    weights: Numbers | None = None,
    *,
    device: str | torch.device | None = None,
) -> MixtureSameFamily:
    r"""The exact density of :func:`mixture1d`: ``MixtureSameFamily(Categorical, Normal)``.

    Event shape ``()``: ``log_prob`` of a grid ``(G,)`` is ``(G,)``; of samples ``(n, 1)`` it
    is ``(n, 1)``. ``.cdf``, ``.mean`` and ``.variance`` are available.
    """
    mu, sigma, probs = _mixture_params(means, stds, weights, dim=1)
    return _mixture_distribution(mu, sigma, probs, 1, device)


# --- 2-D mixtures --------------------------------------------------------------------------


def mixture2d(
    n: int,
    means: Numbers = MIXTURE2D_MEANS,
    stds: Numbers = 0.3,
    weights: Numbers | None = None,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    r"""``n`` draws from a mixture of axis-aligned 2-D Gaussians. ``(n, 2)``.

    :math:`p(x) = \sum_k \pi_k \mathcal{N}(x; \mu_k, \mathrm{diag}(\sigma_k^2))`. ``means`` is
    ``(K, 2)``; ``stds`` one number, one per component ``(K,)`` (isotropic) or ``(K, 2)``.
    Default: three modes on a triangle, std 0.3, equal weights.
    """
    mu, sigma, probs = _mixture_params(means, stds, weights, dim=2)
    return _sample_mixture(n, mu, sigma, probs, seed, generator, device)


def mixture2d_distribution(
    means: Numbers = MIXTURE2D_MEANS,
    stds: Numbers = 0.3,
    weights: Numbers | None = None,
    *,
    device: str | torch.device | None = None,
) -> MixtureSameFamily:
    """The density of :func:`mixture2d`: ``MixtureSameFamily(Categorical, Independent(Normal))``.

    Event shape ``(2,)``: ``log_prob`` of points ``(..., 2)`` is ``(...)``.
    """
    mu, sigma, probs = _mixture_params(means, stds, weights, dim=2)
    return _mixture_distribution(mu, sigma, probs, 2, device)


def _ring_means(n_modes: int, radius: float) -> torch.Tensor:
    n_modes = positive_int("n_modes", n_modes)
    radius = positive("radius", radius)
    angle = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)  # (K, 2)


def ring(
    n: int,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.1,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    r"""The ring of Gaussians used to show mode collapse. ``(n, 2)``.

    Equal-weight modes at :math:`\mu_k = r(\cos\tfrac{2\pi k}{K}, \sin\tfrac{2\pi k}{K})`,
    isotropic std :math:`\sigma`; so :math:`E\|x\|^2 = r^2 + 2\sigma^2`.
    """
    mu = _ring_means(n_modes, radius)
    mu, sigma, probs = _mixture_params(mu, positive("std", std), None, dim=2)
    return _sample_mixture(n, mu, sigma, probs, seed, generator, device)


def ring_distribution(
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.1,
    *,
    device: str | torch.device | None = None,
) -> MixtureSameFamily:
    """The exact density of :func:`ring`, as for :func:`mixture2d_distribution`."""
    mu = _ring_means(n_modes, radius)
    mu, sigma, probs = _mixture_params(mu, positive("std", std), None, dim=2)
    return _mixture_distribution(mu, sigma, probs, 2, device)


# --- shapes without a closed-form density --------------------------------------------------


def moons(
    n: int,
    noise: float = 0.1,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    r"""Two interleaving half circles (scikit-learn's ``make_moons``, centred). ``(n, 2)``.

    Each point picks a moon with probability 1/2 and :math:`t \sim U(0, \pi)`:
    upper :math:`(\cos t, \sin t)`, lower :math:`(1 - \cos t, \tfrac12 - \sin t)`, both shifted
    by :math:`-(\tfrac12, \tfrac14)` so that the mean is exactly 0 (since
    :math:`E[\sin t] = 2/\pi`), plus Gaussian noise of std ``noise``.
    """
    n = positive_int("n", n)
    noise = positive("noise", noise, allow_zero=True)
    g = make_generator(seed, generator)
    lower = torch.rand(n, generator=g) < 0.5  # (n,) which moon
    t = math.pi * torch.rand(n, generator=g)  # (n,)
    upper_xy = torch.stack([t.cos(), t.sin()], dim=1)
    lower_xy = torch.stack([1 - t.cos(), 0.5 - t.sin()], dim=1)
    x = torch.where(lower[:, None], lower_xy, upper_xy) - torch.tensor([0.5, 0.25])
    x = x + noise * torch.randn(n, 2, generator=g)
    return to_device(x, device)


def spiral(
    n: int,
    turns: float = 1.5,
    radius: float = 2.0,
    noise: float = 0.05,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    r"""An Archimedean spiral of ``turns`` turns out to ``radius``. ``(n, 2)``.

    :math:`x = R u (\cos\theta, \sin\theta)` with :math:`\theta = 2\pi T u`, where
    :math:`u = \sqrt{U}`, :math:`U \sim U(0, 1)`, which spreads points roughly evenly along the
    curve (its arc length grows like :math:`\theta^2`); plus Gaussian noise of std ``noise``.
    """
    n = positive_int("n", n)
    turns = positive("turns", turns)
    radius = positive("radius", radius)
    noise = positive("noise", noise, allow_zero=True)
    g = make_generator(seed, generator)
    u = torch.rand(n, generator=g).sqrt()  # (n,)
    theta = 2 * math.pi * turns * u
    x = radius * u[:, None] * torch.stack([theta.cos(), theta.sin()], dim=1)
    x = x + noise * torch.randn(n, 2, generator=g)
    return to_device(x, device)


TOY: dict[str, Callable[..., torch.Tensor]] = {
    "mixture1d": mixture1d,
    "mixture2d": mixture2d,
    "ring": ring,
    "moons": moons,
    "spiral": spiral,
}


def toy(
    name: str,
    n: int,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    **kw,
) -> torch.Tensor:
    """Samples from the toy distribution ``name`` (a key of ``TOY``); ``kw`` go to its sampler."""
    choice("name", name, TOY)
    return TOY[name](n, seed=seed, generator=generator, device=device, **kw)
