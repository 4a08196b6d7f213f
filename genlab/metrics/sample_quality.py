r"""How close a generator's samples are to the data: the 1-D Wasserstein distance, the Fréchet
distance between fitted Gaussians (FID), and precision and recall of k-NN manifolds.

Pure functions over tensors; all of them compute in float64 and return a float64 0-d tensor
(or a pair of them), whatever the inputs' dtype. Lecture 09 explains each; ``tests/
test_metrics_gan.py`` checks them against scipy and brute force.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from genlab._checks import positive_int, tensor_arg

__all__ = ["PrecisionRecall", "fid", "frechet_distance", "precision_recall", "wasserstein_1d"]


def _samples(name: str, x, ndim: int) -> torch.Tensor:
    tensor_arg(name, x)
    if x.ndim != ndim or x.shape[0] == 0:
        expected = "(n,)" if ndim == 1 else "(n, features)"
        raise ValueError(
            f"{name} must be a non-empty tensor of shape {expected}; got {tuple(x.shape)}"
        )
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite; it holds NaN or inf")
    return x.detach().double()


def wasserstein_1d(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""The exact Wasserstein-1 distance between the empirical distributions of two 1-D samples
    ``(n,)``, ``(m,)`` -> ``()``.

    .. math::
        W_1(p, q) = \int_{-\infty}^{\infty} |F_p(t) - F_q(t)|\, dt
                  = \int_0^1 |F_p^{-1}(u) - F_q^{-1}(u)|\, du

    computed from the merged sorted samples: between consecutive points both CDFs are constant.
    Equal sizes reduce it to :math:`\frac1n \sum_i |x_{(i)} - y_{(i)}|`. Source: Villani 2009,
    Remark 2.19; the same as ``scipy.stats.wasserstein_distance``.
    """
    x, y = _samples("x", x, 1), _samples("y", y, 1)
    xs, ys = x.sort().values, y.sort().values
    t = torch.cat([xs, ys]).sort().values  # (n + m,)
    F_x = torch.searchsorted(xs, t[:-1], right=True).double() / len(xs)  # CDFs on each gap
    F_y = torch.searchsorted(ys, t[:-1], right=True).double() / len(ys)
    return ((F_x - F_y).abs() * t.diff()).sum()


def _psd_sqrt(cov: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric PSD matrix (negative round-off clamped to 0)."""
    values, vectors = torch.linalg.eigh(cov)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def _gaussian(name_mu: str, mu, name_cov: str, cov, d: int | None):
    mu, cov = tensor_arg(name_mu, mu).detach().double(), tensor_arg(name_cov, cov).detach().double()
    if mu.ndim != 1:
        raise ValueError(f"{name_mu} must have shape (d,); got {tuple(mu.shape)}")
    if d is not None and mu.shape[0] != d:
        raise ValueError(f"{name_mu} must have {d} entries like mu1; got {mu.shape[0]}")
    if cov.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(
            f"{name_cov} must have shape {(mu.shape[0], mu.shape[0])}; got {tuple(cov.shape)}"
        )
    if not (bool(torch.isfinite(mu).all()) and bool(torch.isfinite(cov).all())):
        raise ValueError(f"{name_mu} and {name_cov} must be finite; they hold NaN or inf")
    asym = float((cov - cov.T).abs().max())
    if asym > 1e-8 * max(float(cov.abs().max()), 1e-300):
        raise ValueError(f"{name_cov} must be symmetric; |C - C^T| reaches {asym:.3g}")
    return mu, 0.5 * (cov + cov.T)


def frechet_distance(
    mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor
) -> torch.Tensor:
    r"""The squared Fréchet (Wasserstein-2) distance between two Gaussians, ``(d,), (d, d)``
    twice -> ``()``:

    .. math::
        d^2 = \|\mu_1 - \mu_2\|^2
            + \operatorname{tr}\Big(\Sigma_1 + \Sigma_2
              - 2\big(\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2}\big)^{1/2}\Big)

    Source: Dowson & Landau 1982; Heusel et al. 2017 (FID). The trace of the square root is
    the sum of the square roots of the eigenvalues of the symmetric PSD matrix
    :math:`\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2}` (``eigh``, round-off below 0 clamped), so
    singular and near-singular covariances (fewer samples than features) give a real, finite
    result, where ``scipy.linalg.sqrtm(S1 @ S2)`` may return complex parts.
    """
    mu1, cov1 = _gaussian("mu1", mu1, "cov1", cov1, None)
    mu2, cov2 = _gaussian("mu2", mu2, "cov2", cov2, mu1.shape[0])
    root1 = _psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    eigenvalues = torch.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_sqrt = eigenvalues.clamp_min(0).sqrt().sum()
    d2 = (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * trace_sqrt
    return d2.clamp_min(0)  # >= 0 up to round-off


def fid(features_a: torch.Tensor, features_b: torch.Tensor) -> torch.Tensor:
    r"""The Fréchet distance between Gaussians fitted to two sets of feature vectors
    ``(n, F)``, ``(m, F)`` -> ``()``: the sample means and the unbiased sample covariances
    (divisor n - 1, as ``numpy.cov``), then :func:`frechet_distance`.

    Heusel et al. 2017 use Inception features; the course uses its digits classifier's. FID is
    biased upwards at small sample sizes (Chong & Forsyth 2020): compare FIDs only at one n.
    """
    a, b = _samples("features_a", features_a, 2), _samples("features_b", features_b, 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_b must have {a.shape[1]} features like features_a; got {b.shape[1]}"
        )
    for name, t in (("features_a", a), ("features_b", b)):
        if t.shape[0] < 2:
            raise ValueError(f"{name} needs at least 2 samples for a covariance; got {t.shape[0]}")
    return frechet_distance(
        a.mean(0),
        torch.cov(a.T).reshape(a.shape[1], -1),
        b.mean(0),
        torch.cov(b.T).reshape(b.shape[1], -1),
    )


class PrecisionRecall(NamedTuple):
    """Share of fakes inside the real manifold, and share of reals inside the fake one."""

    precision: torch.Tensor
    recall: torch.Tensor


def _kth_neighbour_radius(x: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """Distance of each point to its k-th nearest other point of the same set, ``(n,)``."""
    radii = []
    for start in range(0, len(x), chunk):
        d = torch.cdist(x[start : start + chunk], x)  # (c, n); column i of row i is 0
        radii.append(d.kthvalue(k + 1, dim=1).values)  # +1 skips the point itself
    return torch.cat(radii)


def _inside(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int):
    """Whether each query lies in at least one ball (centre, radius), ``(q,)`` bool."""
    out = []
    for start in range(0, len(queries), chunk):
        d = torch.cdist(queries[start : start + chunk], centres)  # (c, n)
        out.append((d <= radii).any(1))
    return torch.cat(out)


def precision_recall(
    real_features: torch.Tensor, fake_features: torch.Tensor, k: int = 3
) -> PrecisionRecall:
    r"""Improved precision and recall of a generative model (Kynkäänniemi et al. 2019),
    ``(n, F)``, ``(m, F)`` -> two ``()`` tensors in [0, 1].

    The real manifold is the union of balls around each real feature vector with radius its
    distance to its k-th nearest real neighbour; likewise for the fakes.

    .. math::
        \text{precision} = \frac1m \sum_j \mathbb 1[\phi^{fake}_j \in \text{manifold(real)}],
        \qquad
        \text{recall} = \frac1n \sum_i \mathbb 1[\phi^{real}_i \in \text{manifold(fake)}]

    Mode collapse keeps precision high and lowers recall; blurry, off-manifold samples lower
    precision. Distances are Euclidean, computed in float64 in chunks of 1024 rows.
    """
    real = _samples("real_features", real_features, 2)
    fake = _samples("fake_features", fake_features, 2)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"fake_features must have {real.shape[1]} features like real_features; "
            f"got {fake.shape[1]}"
        )
    k = positive_int("k", k)
    for name, t in (("real_features", real), ("fake_features", fake)):
        if t.shape[0] <= k:
            raise ValueError(f"{name} needs more than k = {k} samples; got {t.shape[0]}")
    chunk = 1024
    real_radii = _kth_neighbour_radius(real, k, chunk)
    fake_radii = _kth_neighbour_radius(fake, k, chunk)
    precision = _inside(fake, real, real_radii, chunk).double().mean()
    recall = _inside(real, fake, fake_radii, chunk).double().mean()
    return PrecisionRecall(precision, recall)
