"""genlab.metrics' sample-quality metrics against independent computations: scipy's
wasserstein_distance, scipy.linalg.sqrtm in float64, closed forms for Gaussians, and a
brute-force k-NN written with numpy loops."""

import numpy as np
import pytest
import scipy.linalg
import torch
from scipy import stats

from genlab.metrics import fid, frechet_distance, precision_recall, wasserstein_1d

F64 = torch.float64
EPS = np.finfo(np.float64).eps


def rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------------ W1


@pytest.mark.parametrize("n, m, seed", [(1, 1, 0), (7, 7, 1), (50, 37, 2), (200, 3, 3)])
def test_wasserstein_1d_matches_scipy(n, m, seed):
    r = rng(seed)
    x, y = r.normal(size=n), r.standard_t(3, size=m) + 0.4
    got = float(wasserstein_1d(torch.tensor(x), torch.tensor(y)))
    want = stats.wasserstein_distance(x, y)
    # both sum n + m terms of size <= range * 1: float64 round-off
    assert got == pytest.approx(want, rel=1e-12, abs=(n + m) * EPS * np.ptp(np.r_[x, y]))


def test_wasserstein_1d_of_a_shift_is_the_shift_and_ties_are_fine():
    x = torch.tensor([0.0, 1.0, 1.0, 3.0], dtype=F64)
    assert float(wasserstein_1d(x, x + 2.5)) == pytest.approx(2.5, abs=8 * EPS)
    assert float(wasserstein_1d(x, x)) == 0.0
    assert wasserstein_1d(x.float(), x.float()).dtype == F64


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.zeros(0), "non-empty"),
        (torch.zeros(3, 1), r"shape \(n,\)"),
        (torch.tensor([0.0, float("nan")]), "finite"),
        ([1.0, 2.0], "torch.Tensor"),
    ],
)
def test_wasserstein_1d_rejects_bad_input(x, message):
    with pytest.raises(ValueError, match=message):
        wasserstein_1d(x, torch.zeros(2))


# ----------------------------------------------------------------------- Fréchet distance


def scipy_frechet(mu1, c1, mu2, c2):
    """The textbook formula with scipy's sqrtm of C1 C2 (real part, as pytorch-fid does)."""
    covmean = scipy.linalg.sqrtm(c1 @ c2)
    return float(
        ((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean).real
    )


def random_cov(r, d, rank):
    a = r.normal(size=(d, rank))
    return a @ a.T / rank


@pytest.mark.parametrize(
    "d, rank1, rank2, seed", [(5, 5, 5, 0), (20, 20, 20, 1), (20, 9, 20, 2), (16, 6, 5, 3)]
)
def test_frechet_distance_matches_scipy_sqrtm(d, rank1, rank2, seed):
    r = rng(seed)
    mu1, mu2 = r.normal(size=d), r.normal(size=d)
    c1, c2 = random_cov(r, d, rank1), random_cov(r, d, rank2)
    got = float(frechet_distance(*(torch.tensor(v) for v in (mu1, c1, mu2, c2))))
    want = scipy_frechet(mu1, c1, mu2, c2)
    # With a (near-)singular C, a zero eigenvalue perturbed by eps*||C|| has a square root of
    # sqrt(eps ||C||): up to d of them separate the two computations.
    norm = max(np.linalg.norm(c1, 2), np.linalg.norm(c2, 2))
    tol = d * np.sqrt(EPS * norm) * np.sqrt(norm) + 1e-10 * (np.trace(c1) + np.trace(c2))
    assert got == pytest.approx(want, abs=tol)


def test_frechet_distance_closed_forms():
    # 1-D: W2^2 = (m1 - m2)^2 + (s1 - s2)^2
    one = frechet_distance(
        *(torch.tensor(v, dtype=F64) for v in ([0.3], [[4.0]], [-1.0], [[0.25]]))
    )
    assert float(one) == pytest.approx(1.3**2 + 1.5**2, rel=1e-14)
    # commuting (diagonal) covariances: sum_i (sqrt a_i - sqrt b_i)^2
    a, b = torch.tensor([1.0, 2.0, 0.0], dtype=F64), torch.tensor([3.0, 0.5, 2.0], dtype=F64)
    want = float(((a.sqrt() - b.sqrt()) ** 2).sum())
    z = torch.zeros(3, dtype=F64)
    got = frechet_distance(z, torch.diag(a), z, torch.diag(b))
    assert float(got) == pytest.approx(want, abs=1e-7)  # sqrt of a 0 eigenvalue: sqrt(eps)
    # identical singular Gaussians: 0 up to sqrt(eps)-level round-off
    c = torch.tensor(random_cov(rng(5), 8, 3))
    assert (
        0.0 <= float(frechet_distance(z.new_zeros(8), c, z.new_zeros(8), c)) < 8 * np.sqrt(EPS) * 10
    )


def test_frechet_distance_rejects_bad_input():
    z, eye = torch.zeros(2, dtype=F64), torch.eye(2, dtype=F64)
    with pytest.raises(ValueError, match="cov2 must have shape"):
        frechet_distance(z, eye, z, torch.eye(3, dtype=F64))
    with pytest.raises(ValueError, match="cov1 must be symmetric"):
        frechet_distance(z, torch.tensor([[1.0, 0.5], [0.0, 1.0]], dtype=F64), z, eye)
    with pytest.raises(ValueError, match="mu2 must have 2 entries"):
        frechet_distance(z, eye, torch.zeros(3, dtype=F64), eye)


def test_fid_fits_numpy_mean_and_cov():
    r = rng(7)
    a, b = r.normal(size=(300, 6)), r.normal(size=(200, 6)) @ r.normal(size=(6, 6)) + 1.0
    want = scipy_frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    got = float(fid(torch.tensor(a), torch.tensor(b).float()))
    # b is rounded to float32 (relative 6e-8) before the fit: the FID moves by about that much
    assert got == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match="features_b must have 6 features"):
        fid(torch.tensor(a), torch.zeros(5, 4, dtype=F64))
    with pytest.raises(ValueError, match="at least 2 samples"):
        fid(torch.tensor(a), torch.zeros(1, 6, dtype=F64))


# -------------------------------------------------------------------- precision and recall


def brute_precision_recall(real, fake, k):
    def radius(points):
        out = []
        for i, p in enumerate(points):
            d = sorted(np.sqrt(((p - q) ** 2).sum()) for j, q in enumerate(points) if j != i)
            out.append(d[k - 1])
        return out

    def share(queries, centres, radii):
        hits = 0
        for q in queries:
            hits += any(
                np.sqrt(((q - c) ** 2).sum()) <= rad for c, rad in zip(centres, radii, strict=True)
            )
        return hits / len(queries)

    return share(fake, real, radius(real)), share(real, fake, radius(fake))


@pytest.mark.parametrize("k, seed", [(1, 0), (3, 1), (5, 2)])
def test_precision_recall_matches_brute_force(k, seed):
    r = rng(seed)
    real = r.normal(size=(60, 3))
    fake = np.r_[r.normal(size=(30, 3)) * 0.5, r.normal(size=(20, 3)) + 3.0]
    p, rc = precision_recall(torch.tensor(real), torch.tensor(fake), k=k)
    want_p, want_r = brute_precision_recall(real, fake, k)
    assert (float(p), float(rc)) == (want_p, want_r)  # counts of exact comparisons


def test_precision_recall_see_collapse_and_blur():
    r = rng(11)
    real = torch.tensor(r.normal(size=(500, 2)))
    collapsed = torch.tensor(r.normal(size=(500, 2)) * 0.1)  # one mode, on the data
    blurred = torch.tensor(r.normal(size=(500, 2)) * 3.0)  # spread far beyond the data
    pc, rc = precision_recall(real, collapsed)
    pb, rb = precision_recall(real, blurred)
    # collapsed fakes sit in the densest part of the data, but their manifold (radius ~0.05)
    # holds only reals with |x| < ~0.4: P = 1 - exp(-0.4**2 / 2) = 0.08 of N(0, I).
    # N(0, 9 I) puts exp(-2.5**2 / 18) = 0.71 of its mass beyond |x| = 2.5, where the
    # real manifold of 500 points thins out.
    assert pc > 0.95 and rc < 0.3
    assert pb < 0.6 and rb > 0.9
    with pytest.raises(ValueError, match="more than k = 3"):
        precision_recall(real, collapsed[:3])
