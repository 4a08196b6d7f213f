"""Tests for genlab.data: determinism, shapes, the samplers' known moments, digits, sprites, IDX."""

from __future__ import annotations

import gzip
import importlib
import math
import struct
import sys

import numpy as np
import pytest
import torch
from scipy import stats

import genlab
import genlab.data as data
from genlab.data import (
    FACTOR_NAMES,
    POSITION_RANGE,
    ROTATION_RANGE,
    SCALE_RANGE,
    SHAPES,
    TOY,
    _sprites,
    digits,
    load,
    mixture1d,
    mixture1d_distribution,
    mixture2d,
    mixture2d_distribution,
    mnist,
    moons,
    read_idx,
    render_sprites,
    ring,
    ring_distribution,
    spiral,
    sprite_factor_batches,
    sprites,
    toy,
)
from genlab.data._digits import _split_indices

COL = {name: i for i, name in enumerate(FACTOR_NAMES)}


def test_import_draws_and_loads_nothing(monkeypatch):
    # import genlab.data afresh (the originals come back afterwards) and watch the RNG
    monkeypatch.setattr(genlab, "data", data)  # the package attribute comes back too
    for name in [m for m in sys.modules if m == "genlab.data" or m.startswith("genlab.data.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "sklearn", raising=False)
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    fresh = importlib.import_module("genlab.data")
    assert fresh is not data
    assert torch.equal(state, torch.get_rng_state())
    assert np.array_equal(np_state, np.random.get_state()[1])  # noqa: NPY002
    assert "sklearn" not in sys.modules  # the digits are read on first use only


# --- toy samplers --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TOY))
def test_toy_shapes_and_determinism(name):
    x = toy(name, 257, seed=3)
    assert x.shape == (257, 1 if name == "mixture1d" else 2)
    assert x.dtype == torch.float32 and x.device.type == "cpu"
    assert torch.equal(x, toy(name, 257, seed=3))
    assert not torch.equal(x, toy(name, 257, seed=4))
    assert torch.equal(x, toy(name, 257, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(x, TOY[name](257, seed=3))
    # no seed: torch's global generator, so seed_everything makes it reproducible
    torch.manual_seed(11)
    a = toy(name, 50)
    b = toy(name, 50)
    torch.manual_seed(11)
    assert torch.equal(a, toy(name, 50)) and not torch.equal(a, b)


def test_toy_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="name must be one of .*'ring'.*'spiral'.*got 'rings'"):
        toy("rings", 10)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ring(0), "n must be an integer >= 1"),
        (lambda: ring(2.5), "n must be an integer"),
        (lambda: ring(10, std=0.0), "std must be a finite number > 0"),
        (lambda: ring(10, radius=-1.0), "radius must be a finite number > 0"),
        (lambda: ring(10, n_modes=0), "n_modes must be an integer >= 1"),
        (lambda: mixture1d(10, stds=(0.5, -1.0)), "stds must all be > 0"),
        (lambda: mixture1d(10, stds=(0.5, 0.5, 0.5)), r"stds must be a number, \(2,\)"),
        (lambda: mixture1d(10, weights=(1.0,)), r"weights must have shape \(2,\)"),
        (lambda: mixture1d(10, weights=(1.0, -1.0)), "weights must be >= 0"),
        (lambda: mixture1d(10, means=()), "means must be a sequence of K >= 1"),
        (lambda: mixture2d(10, means=(1.0, 2.0)), r"means must have shape \(K, 2\)"),
        (lambda: mixture2d(10, stds=((1.0, 1.0),)), r"stds must be a number, \(3,\) or \(3, 2\)"),
        (lambda: moons(10, noise=-0.1), "noise must be a finite number >= 0"),
        (lambda: spiral(10, turns=0), "turns must be a finite number > 0"),
        (lambda: ring(10, seed=-1), r"seed must lie in \[0, 2\*\*63\)"),
        (lambda: ring(10, seed=1.5), "seed must be an integer or None"),
        (lambda: ring(10, generator=3), "generator must be a torch.Generator"),
    ],
)
def test_toy_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_mixture1d_distribution_moments_and_density():
    means, stds, weights = (-1.0, 0.5, 3.0), (0.3, 1.0, 0.5), (0.2, 0.5, 0.3)
    p = mixture1d_distribution(means, stds, weights)
    mu, sd, w = (np.array(v) for v in (means, stds, weights))
    mean = (w * mu).sum()
    var = (w * (sd**2 + mu**2)).sum() - mean**2
    assert p.mean.item() == pytest.approx(mean, rel=1e-6)
    assert p.variance.item() == pytest.approx(var, rel=1e-6)
    grid = np.linspace(-4, 6, 41)
    naive = np.log((w * stats.norm.pdf(grid[:, None], mu, sd)).sum(axis=1))
    got = p.log_prob(torch.tensor(grid, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, naive, rtol=1e-5, atol=1e-5)
    x = mixture1d(200_000, means, stds, weights, seed=0).double()
    se = math.sqrt(var / len(x))
    assert abs(x.mean().item() - mean) < 4 * se
    assert x.var().item() == pytest.approx(var, rel=0.02)
    assert p.log_prob(x[:7].float()).shape == (7, 1)


def test_mixture1d_passes_kolmogorov_smirnov_against_its_cdf():
    p = mixture1d_distribution()  # the default bimodal target: means -2, 2, std 0.5
    assert p.mean.item() == 0.0 and p.variance.item() == pytest.approx(4.25)
    x = mixture1d(5000, seed=1).squeeze(1).numpy()

    def cdf(t):
        return p.cdf(torch.as_tensor(t, dtype=torch.float32)).double().numpy()

    assert stats.kstest(x, cdf).pvalue > 0.01
    # the test has power: the same draws against a shifted target are rejected
    shifted = mixture1d_distribution(means=(-1.8, 2.2))
    assert stats.kstest(x, lambda t: shifted.cdf(torch.as_tensor(t).float()).numpy()).pvalue < 1e-6


def test_mixture2d_moments_and_density():
    means = ((-1.5, -1.0), (1.5, -1.0), (0.0, 1.5))
    stds = ((0.3, 0.6), (0.5, 0.2), (0.4, 0.4))
    weights = (0.5, 0.25, 0.25)
    p = mixture2d_distribution(means, stds, weights)
    assert isinstance(p.component_distribution, torch.distributions.Independent)
    assert p.event_shape == (2,)
    mu, sd, w = (np.array(v) for v in (means, stds, weights))
    mean = w @ mu
    var = w @ (sd**2 + mu**2) - mean**2
    np.testing.assert_allclose(p.mean.numpy(), mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(p.variance.numpy(), var, rtol=1e-5)
    x = mixture2d(200_000, means, stds, weights, seed=0).double()
    assert (x.mean(0).numpy() - mean < 4 * np.sqrt(var / len(x))).all()
    np.testing.assert_allclose(x.var(0).numpy(), var, rtol=0.02)
    pts = np.array([[0.0, 0.0], [-1.5, -1.0], [1.0, 2.0]])
    dens = sum(
        wk * stats.multivariate_normal.pdf(pts, mk, np.diag(sk**2))
        for wk, mk, sk in zip(w, mu, sd, strict=True)
    )
    np.testing.assert_allclose(
        p.log_prob(torch.tensor(pts).float()).numpy(), np.log(dens), rtol=1e-5
    )
    # isotropic stds, one per component, and one number for all
    iso = mixture2d_distribution(means, (0.3, 0.4, 0.5)).component_distribution.base_dist.scale
    assert torch.equal(iso, torch.tensor([[0.3, 0.3], [0.4, 0.4], [0.5, 0.5]]))
    assert mixture2d(5, stds=0.1, seed=0).shape == (5, 2)


def test_ring_radius_modes_and_distribution():
    r, sigma, K = 2.0, 0.1, 8
    x = ring(80_000, K, r, sigma, seed=0).double()
    # E||x||^2 = r^2 + 2 sigma^2 exactly; E||x|| = r + sigma^2 / (2r) to first order
    assert (x**2).sum(1).mean().item() == pytest.approx(r**2 + 2 * sigma**2, rel=2e-3)
    assert x.norm(dim=1).mean().item() == pytest.approx(r + sigma**2 / (2 * r), rel=1e-3)
    mode = torch.round(torch.atan2(x[:, 1], x[:, 0]) / (2 * math.pi / K)).long() % K
    counts = torch.bincount(mode, minlength=K).numpy()
    assert stats.chisquare(counts).pvalue > 0.001
    centres = r * torch.stack(
        [torch.cos(2 * math.pi * mode / K), torch.sin(2 * math.pi * mode / K)], 1
    )
    assert (x - centres).norm(dim=1).max() < 6 * sigma
    p = ring_distribution(K, r, sigma)
    np.testing.assert_allclose(p.mean.numpy(), 0.0, atol=1e-6)
    np.testing.assert_allclose(p.variance.numpy(), r**2 / 2 + sigma**2, rtol=1e-5)


def test_moons_lie_on_two_half_circles_with_zero_mean():
    x = moons(4000, noise=0.0, seed=0).double() + torch.tensor([0.5, 0.25])
    on_upper = ((x.norm(dim=1) - 1).abs() < 1e-5) & (x[:, 1] >= -1e-6)
    on_lower = (((x - torch.tensor([1.0, 0.5])).norm(dim=1) - 1).abs() < 1e-5) & (x[:, 1] <= 0.5)
    assert (on_upper | on_lower).all()
    assert 0.45 < on_upper.double().mean() < 0.55
    y = moons(100_000, noise=0.1, seed=1).double()
    assert y.mean(0).abs().max() < 4 * y.std(0).max() / math.sqrt(len(y))


def test_spiral_lies_on_its_curve():
    R, T = 2.0, 1.5
    x = spiral(2000, turns=T, radius=R, noise=0.0, seed=0).double()
    u = x.norm(dim=1) / R
    assert u.max() <= 1 + 1e-6
    theta = 2 * math.pi * T * u
    np.testing.assert_allclose(x[:, 0] / R, u * torch.cos(theta), atol=1e-5)
    np.testing.assert_allclose(x[:, 1] / R, u * torch.sin(theta), atol=1e-5)
    # u = sqrt(U): u^2 is uniform on [0, 1]
    assert stats.kstest((u**2).numpy(), "uniform").pvalue > 0.01


# --- digits --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sk_digits():
    from sklearn.datasets import load_digits

    return load_digits()


def test_digits_split_counts_and_ranges():
    sizes = {"train": 1437, "test": 360, "all": 1797}
    for split, n in sizes.items():
        images, labels = digits(split)
        assert images.shape == (n, 1, 8, 8) and images.dtype == torch.float32
        assert labels.shape == (n,) and labels.dtype == torch.int64
        assert images.min() == 0.0 and images.max() == 1.0
    assert data.N_TRAIN == 1437 and data.N_TEST == 360
    assert torch.bincount(digits("test").labels).tolist() == [36] * 10


def test_digits_split_is_a_partition_matching_sklearn(sk_digits):
    idx = _split_indices()
    train, test = idx["train"], idx["test"]
    assert len(np.intersect1d(train, test)) == 0
    assert np.array_equal(np.union1d(train, test), np.arange(1797))
    everything = digits("all")
    assert torch.equal(everything.images[:, 0] * 16, torch.from_numpy(sk_digits.images).float())
    assert torch.equal(everything.labels, torch.from_numpy(sk_digits.target).long())
    for split in ("train", "test"):
        images, labels = digits(split)
        rows = torch.from_numpy(idx[split].copy())
        assert torch.equal(images, everything.images[rows])
        assert torch.equal(labels, everything.labels[rows])


def test_digits_split_ignores_global_random_state():
    before = {k: v.copy() for k, v in _split_indices().items()}
    _split_indices.cache_clear()
    np.random.seed(123)  # noqa: NPY002 (the legacy global state is what must not matter)
    torch.manual_seed(123)
    assert all(np.array_equal(before[k], v) for k, v in _split_indices().items())


def test_digits_callers_cannot_corrupt_the_cache():
    first = digits("train")
    first.images.fill_(7.0)
    first.labels.fill_(-1)
    again = digits("train")
    assert again.images.max() == 1.0 and again.labels.min() == 0


def test_digits_bad_split():
    with pytest.raises(ValueError, match="split must be one of 'train', 'test', 'all'; got 'val'"):
        digits("val")


# --- sprites -------------------------------------------------------------------------------


def _centroid(images):
    """Intensity-weighted centroid ``(N, 2)`` as fractions of the width (x right, y down)."""
    size = images.shape[-1]
    im = images[:, 0].double()
    grid = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    mass = im.sum((1, 2))
    return torch.stack([(im.sum(1) * grid).sum(1) / mass, (im.sum(2) * grid).sum(1) / mass], 1)


def _heart_constants():
    """The heart's centroid height k (in units of d) and area / d^2, by brute force on a grid."""
    t = np.linspace(-1.4, 1.4, 1401)
    u, v = np.meshgrid(t, t)  # frame with the diamond's centre at 0 and d = 1
    inside = (np.abs(u) + np.abs(v) <= 1) | (np.hypot(u + 0.5, v - 0.5) <= 1 / math.sqrt(2))
    inside |= np.hypot(u - 0.5, v - 0.5) <= 1 / math.sqrt(2)
    cell = (t[1] - t[0]) ** 2
    return v[inside].mean(), inside.sum() * cell


def test_heart_closed_forms_match_a_brute_force_count():
    k, area = _heart_constants()
    assert k == pytest.approx((math.pi / 4 + 1 / 3) / (2 + math.pi / 2), abs=2e-3)
    assert area == pytest.approx(2 + math.pi / 2, rel=2e-3)


def _polygon_distance(points, vertices):
    """Distance from each point ``(N, 2)`` to the closed polygon's edges, brute force."""
    d = []
    for a, b in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
        t = np.clip((points - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)
        d.append(np.linalg.norm(points - a - t[:, None] * (b - a), axis=1))
    return np.min(d, axis=0)


@pytest.mark.parametrize("shape", ["square", "triangle"])
def test_polygon_signed_distances_are_exact(shape):
    s = math.sqrt(0.5)
    vertices = {
        "square": np.array([[s, s], [-s, s], [-s, -s], [s, -s]]),
        "triangle": np.array([[0, 1], [-math.sqrt(3) / 2, -0.5], [math.sqrt(3) / 2, -0.5]]),
    }[shape]
    pts = np.random.default_rng(0).normal(scale=1.2, size=(5000, 2))
    sdf = _sprites._SDF[SHAPES.index(shape)](*torch.from_numpy(pts).T).numpy()
    np.testing.assert_allclose(np.abs(sdf), _polygon_distance(pts, vertices), atol=1e-12)
    if shape == "square":
        inside = np.abs(pts).max(axis=1) < s
    else:  # inside the three half-planes n . p < 1/2
        normals = np.array([[0, -1], [math.sqrt(3) / 2, 0.5], [-math.sqrt(3) / 2, 0.5]])
        inside = (pts @ normals.T < 0.5).all(axis=1)
    assert np.array_equal(sdf < 0, inside)


def _unit_area():
    k, area_d = (math.pi / 4 + 1 / 3) / (2 + math.pi / 2), 2 + math.pi / 2
    d = 1 / (1 + k)
    return {
        "square": 2.0,
        "ellipse": math.pi / 2,
        "heart": d**2 * area_d,
        "triangle": 3 * math.sqrt(3) / 4,
    }


def test_sprites_shapes_ranges_and_determinism():
    images, factors = sprites(600, seed=0)
    assert images.shape == (600, 1, 32, 32) and images.dtype == torch.float32
    assert factors.shape == (600, len(FACTOR_NAMES)) and factors.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1 and images.max() == 1
    assert set(factors[:, COL["shape"]].tolist()) == {0.0, 1.0, 2.0, 3.0}
    for name, (lo, hi) in [
        ("scale", SCALE_RANGE),
        ("rotation", ROTATION_RANGE),
        ("x", POSITION_RANGE),
        ("y", POSITION_RANGE),
    ]:
        col = factors[:, COL[name]]
        assert lo <= col.min() and col.max() <= hi and col.max() - col.min() > 0.8 * (hi - lo)
    again = sprites(600, seed=0)
    assert torch.equal(images, again.images) and torch.equal(factors, again.factors)
    assert not torch.equal(images, sprites(600, seed=1).images)
    assert torch.equal(images, sprites(600, generator=torch.Generator().manual_seed(0)).images)
    assert torch.equal(images, render_sprites(*factors.T))
    assert sprites(3, size=48).images.shape == (3, 1, 48, 48)
    only = sprites(50, shapes=("heart", "square")).factors[:, 0]
    assert set(only.tolist()) == {0.0, 2.0}


def test_sprites_stay_inside_the_image_even_at_extremes():
    lo, hi = POSITION_RANGE
    corners = torch.tensor([[lo, lo], [lo, hi], [hi, lo], [hi, hi]])
    rotation = torch.linspace(0, 2 * math.pi, 16)
    grid = torch.cartesian_prod(torch.arange(len(SHAPES)).float(), torch.arange(4.0), rotation)
    x, y = corners[grid[:, 1].long()].T
    for size in (32, 40):
        im = render_sprites(grid[:, 0], SCALE_RANGE[1], grid[:, 2], x, y, size=size)[:, 0]
        assert im.sum((1, 2)).min() > 10
        border = torch.cat([im[:, 0], im[:, -1], im[:, :, 0], im[:, :, -1]], 1)
        assert border.max() == 0
    assert sprites(2000, seed=5).images[:, 0, [0, -1]].max() == 0


@pytest.mark.parametrize("size, area_tol", [(32, 0.06), (64, 0.02)])
def test_sprite_centroid_is_xy_and_area_matches_the_shape(size, area_tol):
    images, factors = sprites(800, size=size, seed=2)
    err_px = (_centroid(images) - factors[:, [COL["x"], COL["y"]]].double()).abs() * size
    assert err_px.max() < 0.15
    unit = torch.tensor([_unit_area()[SHAPES[int(k)]] for k in factors[:, 0]], dtype=torch.float64)
    expected = unit * (factors[:, COL["scale"]].double() * size) ** 2  # pixels
    rel = images.double().sum((1, 2, 3)) / expected - 1
    assert rel.abs().max() < area_tol


@pytest.mark.parametrize("shape", SHAPES)
def test_sprite_area_grows_with_scale(shape):
    scale = torch.linspace(SCALE_RANGE[0], SCALE_RANGE[1], 8)
    mass = render_sprites(shape, scale, 0.4, 0.5, 0.5, size=64).sum((1, 2, 3))
    assert (mass.diff() > 0).all()
    ratio = mass / (scale**2 * 64**2)  # area / scale^2 is the shape's unit area
    np.testing.assert_allclose(ratio.numpy(), _unit_area()[shape], rtol=0.03)


@pytest.mark.parametrize(
    "shape, period", [("square", math.pi / 2), ("ellipse", math.pi), ("triangle", 2 * math.pi / 3)]
)
def test_sprite_rotational_symmetry(shape, period):
    theta = torch.tensor([0.3, 0.3 + period])
    a, b = render_sprites(shape, 0.2, theta, 0.47, 0.55, size=48)
    assert (a - b).abs().max() < 1e-4
    c = render_sprites(shape, 0.2, 0.3 + period / 2, 0.47, 0.55, size=48)[0]
    assert (a - c).abs().max() > 0.5  # half the period is a different image


def test_sprite_orientation_conventions():
    heart = render_sprites("heart", 0.2, 0.0, 0.5, 0.5, size=64)[0, 0]
    assert torch.equal(heart, heart.flip(1))  # mirror-symmetric about the vertical axis
    assert not torch.allclose(heart, heart.flip(0), atol=0.5)
    # the triangle points up at rotation 0 and, turned counter-clockwise by 90 degrees, left
    up, left = render_sprites("triangle", 0.2, torch.tensor([0.0, math.pi / 2]), 0.5, 0.5, size=64)
    assert up[0, :32].sum() < 0.8 * up[0, 32:].sum()
    assert left[0, :, :32].sum() < 0.8 * left[0, :, 32:].sum()


def test_sprites_binary_mode():
    images, factors = sprites(100, seed=4, antialias=False)
    assert set(images.unique().tolist()) <= {0.0, 1.0}
    smooth = render_sprites(*factors.T)
    rel = images.sum((1, 2, 3)) / smooth.sum((1, 2, 3)) - 1
    assert rel.abs().max() < 0.15


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sprites(0), "n must be an integer >= 1"),
        (lambda: sprites(4, size=31), "size must be an integer >= 32"),
        (lambda: sprites(4, shapes=("star",)), "shapes must be one of 'square'"),
        (lambda: sprites(4, shapes=()), "shapes must name at least one"),
        (lambda: render_sprites("star", 0.2, 0, 0.5, 0.5), "shape must be one of"),
        (lambda: render_sprites(4, 0.2, 0, 0.5, 0.5), r"shape must index SHAPES"),
        (lambda: render_sprites(1.5, 0.2, 0, 0.5, 0.5), "shape must hold integer indices"),
        (lambda: render_sprites(0, 0.0, 0, 0.5, 0.5), "scale must be > 0"),
        (lambda: render_sprites(0, 0.2, 0, float("nan"), 0.5), "x must be finite"),
        (lambda: render_sprites([0, 1], 0.2, 0, [0.4, 0.5, 0.6], 0.5), "one length N"),
    ],
)
def test_sprites_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- single-factor batches (DC-IGN) --------------------------------------------------------


def test_factor_batches_vary_exactly_one_factor():
    factors = ("x", "y", "scale", "rotation")
    batches = list(sprite_factor_batches(24, 6, factors, seed=0))
    assert len(batches) == 24
    assert {b.varied for b in batches} == set(factors)
    for images, fac, varied in batches:
        assert images.shape == (6, 1, 32, 32) and fac.shape == (6, 5)
        j = COL[varied]
        others = [i for i in range(5) if i != j]
        assert torch.equal(fac[:, others], fac[:1, others].expand(6, -1))  # exactly shared
        assert len(fac[:, j].unique()) == 6
        distance = (images.flatten(1)[:, None] - images.flatten(1)[None]).abs().sum(-1)
        assert (distance + torch.eye(6) * 1e9).min() > 0  # every image differs from the others
        assert torch.equal(images, render_sprites(*fac.T))
    again = list(sprite_factor_batches(24, 6, factors, seed=0))
    assert all(
        torch.equal(a.images, b.images) and a.varied == b.varied
        for a, b in zip(batches, again, strict=True)
    )


def test_factor_batches_forced_factor_and_shape():
    assert {b.varied for b in sprite_factor_batches(5, 4, ("rotation",))} == {"rotation"}
    assert {b.varied for b in sprite_factor_batches(5, 4, "x")} == {"x"}
    for _, fac, varied in sprite_factor_batches(3, 8, ("shape",), seed=1):
        assert varied == "shape"
        assert sorted(set(fac[:, 0].tolist())) == [0.0, 1.0, 2.0, 3.0]
        assert torch.equal(fac[:, 1:], fac[:1, 1:].expand(8, -1))


def test_factor_batches_check_arguments_at_the_call():
    with pytest.raises(ValueError, match="factors must be one of 'shape', 'scale'.*got 'colour'"):
        sprite_factor_batches(2, 4, ("x", "colour"))  # raises before any iteration
    with pytest.raises(ValueError, match="batch_size must be an integer >= 2"):
        sprite_factor_batches(2, 1)
    with pytest.raises(ValueError, match="n_batches must be an integer >= 1"):
        sprite_factor_batches(0, 4)
    with pytest.raises(ValueError, match="shapes must name two or more"):
        sprite_factor_batches(2, 4, ("shape",), shapes=("square",))
    with pytest.raises(ValueError, match="factors must name at least one"):
        sprite_factor_batches(2, 4, ())


# --- MNIST IDX files -----------------------------------------------------------------------


def _write_idx(path, array, magic=None, truncate=0, compress=False):
    """An IDX writer independent of the reader: big-endian magic and uint32 dims, then bytes."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    blob = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    blob = blob[: len(blob) - truncate]
    (gzip.open if compress else open)(path, "wb").write(blob)


def _write_split(folder, split, n=5, compress=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if compress else ""
    folder.mkdir(parents=True, exist_ok=True)
    _write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress=compress)
    _write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress=compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_round_trip(tmp_path, compress):
    images, labels = _write_split(tmp_path, "test", compress=compress)
    x, y = mnist(tmp_path, "test")
    assert x.shape == (5, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (5,) and y.dtype == torch.int64
    assert torch.equal(x * 255, torch.from_numpy(images).float()[:, None])
    assert x.min() == 0.0 and x.max() == 1.0
    assert torch.equal(y, torch.from_numpy(labels).long())


def test_mnist_torchvision_layout_and_fashion(tmp_path):
    images, labels = _write_split(tmp_path / "FashionMNIST" / "raw", "train", n=3, seed=1)
    x, y = mnist(tmp_path, "train", kind="fashion")
    assert torch.equal(x[:, 0] * 255, torch.from_numpy(images).float())
    assert torch.equal(y, torch.from_numpy(labels).long())
    assert len(data.FASHION_CLASSES) == 10
    with pytest.raises(FileNotFoundError):
        mnist(tmp_path, "train", kind="mnist")  # MNIST is looked for under MNIST/raw instead


def test_mnist_missing_files_name_the_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte") as info:
        mnist(tmp_path, "train")
    message = str(info.value)
    assert str(tmp_path) in message and "never downloads" in message
    assert "train-labels-idx1-ubyte" in message
    _write_split(tmp_path, "train")
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="no train-labels-idx1-ubyte") as info:
        mnist(tmp_path, "train")
    assert "train-images" not in str(info.value)


def test_mnist_rejects_broken_files(tmp_path):
    images = np.zeros((4, 28, 28), np.uint8)
    labels = np.zeros(4, np.uint8)
    img, lab = tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte"
    _write_idx(lab, labels)
    _write_idx(img, images, truncate=10)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated.*\(4, 28, 28\)"):
        mnist(tmp_path)
    _write_idx(img, images, magic=0x00000801)
    with pytest.raises(ValueError, match="bad IDX magic number 0x00000801; expected 0x00000803"):
        mnist(tmp_path)
    _write_idx(img, images[:3])
    with pytest.raises(ValueError, match="holds 3 images but .* holds 4 labels"):
        mnist(tmp_path)
    img.write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(ValueError, match="truncated IDX header"):
        mnist(tmp_path)
    img.unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'"):
        mnist(tmp_path, "all")
    with pytest.raises(ValueError, match="kind must be one of 'mnist', 'fashion'"):
        mnist(tmp_path, kind="kmnist")


def test_read_idx_trailing_bytes(tmp_path):
    path = tmp_path / "a.idx"
    _write_idx(path, np.arange(6).reshape(2, 3))
    assert read_idx(path).tolist() == [[0, 1, 2], [3, 4, 5]]
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(ValueError, match="has trailing bytes"):
        read_idx(path)


# --- load and devices ----------------------------------------------------------------------


def test_load(tmp_path):
    assert torch.equal(load("digits", "test").images, digits("test").images)
    train = load("sprites", "train", n=5)
    assert torch.equal(train.images, sprites(5, seed=0).images)
    assert not torch.equal(load("sprites", "test", n=5).factors, train.factors)
    assert load("sprites", "test").images.shape == (2000, 1, 32, 32)
    _write_split(tmp_path, "train")
    assert load("mnist", root=tmp_path).images.shape == (5, 1, 28, 28)
    with pytest.raises(
        ValueError, match="name must be one of 'digits', 'sprites', 'mnist'; got 'cifar'"
    ):
        load("cifar")
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'; got 'all'"):
        load("sprites", "all")


def test_explicit_cpu_device():
    assert ring(3, seed=0, device="cpu").device.type == "cpu"
    assert digits("test", device="cpu").labels.device.type == "cpu"
    assert mixture1d_distribution(device="cpu").mean.device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_gives_the_cpu_data_on_the_gpu():
    for name in TOY:
        gpu = toy(name, 100, seed=0, device="cuda")
        assert gpu.device.type == "cuda" and torch.equal(gpu.cpu(), toy(name, 100, seed=0))
    cpu = sprites(64, seed=0)
    gpu = sprites(64, seed=0, device="cuda")
    assert gpu.images.device.type == "cuda" and torch.equal(gpu.factors.cpu(), cpu.factors)
    assert (gpu.images.cpu() - cpu.images).abs().max() < 1e-4
    assert digits("train", device="cuda").images.device.type == "cuda"
    p = ring_distribution(device="cuda")
    assert p.log_prob(ring(10, seed=0, device="cuda")).device.type == "cuda"
