r"""dSprites-style images with known generative factors, rendered procedurally in torch.

A sprite is one white shape on black, ``(1, size, size)`` with values in [0, 1]. Its factors
(``FACTOR_NAMES``, the columns of a ``factors`` tensor ``(N, 5)`` float32):

===========  =================================================================================
``shape``    index into ``SHAPES`` = (square, ellipse, heart, triangle), stored as 0., 1., 2., 3.
``scale``    circumradius of the shape as a fraction of the image width, in ``SCALE_RANGE``
``rotation`` counter-clockwise angle in radians, in ``[0, 2*pi)``
``x``, ``y`` the shape's area centroid as a fraction of the width; ``x`` grows to the right,
             ``y`` downwards (row direction); both in ``POSITION_RANGE``
===========  =================================================================================

Pixel ``(row i, column j)`` has centre :math:`((j + \tfrac12)/S, (i + \tfrac12)/S)`. Every shape
fits in the disk of radius ``scale`` around ``(x, y)``, so with the ranges below it stays at
least 0.05 of the width (1.6 pixels at size 32) away from the edge: border pixels are always 0.
Rendering evaluates a signed distance :math:`d` (in pixels; exact for the square, heart and
triangle, first-order for the ellipse) on the pixel grid and sets the intensity to
:math:`\mathrm{clip}(\tfrac12 - d, 0, 1)` (anti-aliased) or :math:`[d \le 0]` (binary).

In the shape's own frame (circumradius 1, centroid at the origin, y up): the square has
half-side :math:`1/\sqrt2` (area 2); the ellipse semi-axes 1 and 1/2 (area :math:`\pi/2`);
the triangle is equilateral, pointing up (area :math:`3\sqrt3/4`); the heart is a diamond
:math:`|u| + |v| \le d` with two disks of radius :math:`d/\sqrt2` on its upper edges' midpoints,
area :math:`d^2(2 + \pi/2)`, whose centroid lies :math:`k d` above the diamond's centre with
:math:`k = (\pi/4 + 1/3)/(2 + \pi/2)`; :math:`d = 1/(1 + k)` puts the bottom tip at distance 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import torch

from genlab._checks import choice, positive_int
from genlab.data._common import make_generator, to_device
from genlab.device import resolve_device

SHAPES = ("square", "ellipse", "heart", "triangle")
FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
SCALE_RANGE = (0.12, 0.22)
ROTATION_RANGE = (0.0, 2 * math.pi)
POSITION_RANGE = (0.27, 0.73)
MIN_SIZE = 32

_HEART_K = (math.pi / 4 + 1 / 3) / (2 + math.pi / 2)
_HEART_D = 1 / (1 + _HEART_K)
_CHUNK_PIXELS = 2**22  # render at most this many pixels at once (16 MiB per float32 buffer)


class Sprites(NamedTuple):
    images: torch.Tensor  # (N, 1, S, S) float32 in [0, 1]
    factors: torch.Tensor  # (N, 5) float32, columns FACTOR_NAMES


class FactorBatch(NamedTuple):
    images: torch.Tensor  # (B, 1, S, S)
    factors: torch.Tensor  # (B, 5); only the column FACTOR_NAMES.index(varied) differs by row
    varied: str  # the factor that varies across the batch


# --- signed distances in the shape's frame (circumradius 1), points (..., ) u right, v up ----


def _box_sdf(u: torch.Tensor, v: torch.Tensor, half: float) -> torch.Tensor:
    qx, qy = u.abs() - half, v.abs() - half
    outside = torch.hypot(qx.clamp(min=0), qy.clamp(min=0))
    return outside + torch.maximum(qx, qy).clamp(max=0)


def _square_sdf(u, v):
    return _box_sdf(u, v, 1 / math.sqrt(2))


def _ellipse_sdf(u, v, a: float = 1.0, b: float = 0.5):
    # first-order distance F / |grad F| to F = (u/a)^2 + (v/b)^2 - 1 = 0: exact sign, and
    # close to the true distance within the pixel or two that anti-aliasing looks at
    F = (u / a) ** 2 + (v / b) ** 2 - 1
    grad = 2 * torch.hypot(u / a**2, v / b**2)
    return F / grad.clamp(min=1e-6)


def _heart_sdf(u, v):
    d = _HEART_D
    v = v + _HEART_K * d  # now relative to the diamond's centre
    diamond = _box_sdf((u + v) / math.sqrt(2), (v - u) / math.sqrt(2), d / math.sqrt(2))
    left = torch.hypot(u + d / 2, v - d / 2) - d / math.sqrt(2)
    right = torch.hypot(u - d / 2, v - d / 2) - d / math.sqrt(2)
    return torch.minimum(diamond, torch.minimum(left, right))


def _triangle_sdf(u, v):
    # exact distance to the equilateral triangle with vertices (0, 1), (+-sqrt(3)/2, -1/2)
    # (after Inigo Quilez's sdEquilateralTriangle): fold onto one edge, clamp along it
    r, k = math.sqrt(3) / 2, math.sqrt(3)  # r: half the side
    px, py = u.abs() - r, v + r / k
    beyond = px + k * py > 0  # nearer the slanted edge: reflect across its normal
    px, py = torch.where(beyond, (px - k * py) / 2, px), torch.where(beyond, (-k * px - py) / 2, py)
    px = px - px.clamp(-2 * r, 0)
    return -torch.hypot(px, py) * py.sign()


_SDF = (_square_sdf, _ellipse_sdf, _heart_sdf, _triangle_sdf)


def _render(shape, scale, rotation, x, y, size: int, antialias: bool) -> torch.Tensor:
    """Factors ``(N,)`` each -> images ``(N, 1, S, S)``, vectorised over sprites and pixels."""
    images = torch.empty(shape.shape[0], size, size, device=scale.device)
    grid = (torch.arange(size, device=scale.device, dtype=torch.float32) + 0.5) / size  # (S,)
    for k, sdf_k in enumerate(_SDF):  # one pass per kind of shape, not per image
        idx = (shape == k).nonzero().squeeze(1)
        if len(idx) == 0:
            continue
        s, r = scale[idx, None], rotation[idx, None]  # (n, 1)
        dx = grid - x[idx, None]  # (n, S) along columns
        dy = y[idx, None] - grid  # (n, S) along rows, pointing up
        cos, sin = r.cos() / s, r.sin() / s
        # rotate by -rotation into the shape's frame: u = dx cos + dy sin, v = dy cos - dx sin
        u = (dx * cos)[:, None, :] + (dy * sin)[:, :, None]  # (n, S, S)
        v = (dy * cos)[:, :, None] - (dx * sin)[:, None, :]  # (n, S, S)
        sdf = sdf_k(u, v)  # in frame units
        if antialias:
            images[idx] = (0.5 - sdf * (s * size)[:, :, None]).clamp_(0, 1)  # d in pixels
        else:
            images[idx] = (sdf <= 0).float()
    return images[:, None]


def _factor_tensor(name: str, value, device) -> torch.Tensor:
    t = torch.as_tensor(value, device=device)
    if t.ndim > 1:
        raise ValueError(
            f"{name} must be a number or a 1-D tensor (N,); got shape {tuple(t.shape)}"
        )
    if not torch.isfinite(t.float()).all():
        raise ValueError(f"{name} must be finite; got {value!r}")
    return t.reshape(-1)


def render_sprites(
    shape,
    scale,
    rotation,
    x,
    y,
    size: int = 32,
    *,
    antialias: bool = True,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Render sprites from factors (numbers or tensors ``(N,)``, broadcast). ``(N, 1, S, S)``.

    ``shape`` is an index into ``SHAPES`` (int or integral float, as in a ``factors`` column)
    or one shape name. Values outside the sampling ranges are allowed (the shape may then leave
    the image). Renders on ``device``, by default where the factor tensors live (else the CPU).
    """
    size = positive_int("size", size, minimum=MIN_SIZE)
    if isinstance(shape, str):
        shape = SHAPES.index(choice("shape", shape, SHAPES))
    given = (shape, scale, rotation, x, y)
    if device is not None:
        dev = resolve_device(device)
    else:  # where the first factor tensor lives; the CPU for plain numbers
        dev = next((t.device for t in given if isinstance(t, torch.Tensor)), torch.device("cpu"))
    tensors = [
        _factor_tensor(name, value, dev) for name, value in zip(FACTOR_NAMES, given, strict=True)
    ]
    try:
        tensors = torch.broadcast_tensors(*tensors)
    except RuntimeError:
        shapes = ", ".join(
            f"{n}{tuple(t.shape)}" for n, t in zip(FACTOR_NAMES, tensors, strict=True)
        )
        raise ValueError(
            f"the factors must have one length N (or be numbers); got {shapes}"
        ) from None
    shape_id, scale, rotation, x, y = tensors
    if shape_id.is_floating_point() and (shape_id != shape_id.round()).any():
        raise ValueError(f"shape must hold integer indices into SHAPES; got {shape_id.tolist()}")
    shape_id = shape_id.long()
    if ((shape_id < 0) | (shape_id >= len(SHAPES))).any():
        raise ValueError(
            f"shape must index SHAPES {SHAPES} (0..{len(SHAPES) - 1}); "
            f"got {shape_id.unique().tolist()}"
        )
    if not (scale > 0).all():
        raise ValueError(f"scale must be > 0; got min {scale.min().item()}")
    scale, rotation, x, y = (t.float() for t in (scale, rotation, x, y))

    chunk = max(1, _CHUNK_PIXELS // (size * size))
    parts = [
        _render(*(t[i : i + chunk] for t in (shape_id, scale, rotation, x, y)), size, antialias)
        for i in range(0, len(shape_id), chunk)
    ]
    return torch.cat(parts)


def _shape_ids(shapes: Sequence[str]) -> torch.Tensor:
    if isinstance(shapes, str):
        shapes = (shapes,)
    if len(shapes) == 0:
        raise ValueError(f"shapes must name at least one of {SHAPES}; got an empty sequence")
    return torch.tensor([SHAPES.index(choice("shapes", s, SHAPES)) for s in shapes])


def _sample_factors(n: int, shape_ids: torch.Tensor, g) -> torch.Tensor:
    """Independent uniform factors ``(n, 5)``: shape among ``shape_ids``, the rest in range."""
    lo = torch.tensor([SCALE_RANGE[0], ROTATION_RANGE[0], POSITION_RANGE[0], POSITION_RANGE[0]])
    hi = torch.tensor([SCALE_RANGE[1], ROTATION_RANGE[1], POSITION_RANGE[1], POSITION_RANGE[1]])
    shape = shape_ids[torch.randint(len(shape_ids), (n,), generator=g)].float()
    rest = lo + (hi - lo) * torch.rand(n, 4, generator=g)
    return torch.cat([shape[:, None], rest], dim=1)


def sprites(
    n: int,
    size: int = 32,
    seed: int | None = 0,
    *,
    shapes: Sequence[str] = SHAPES,
    antialias: bool = True,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> Sprites:
    """``n`` sprites with independent uniform factors: ``(images (N, 1, S, S), factors (N, 5))``.

    A data set, so the default ``seed=0`` gives the same sprites every time; ``generator``, when
    given, is used instead; ``seed=None`` draws from torch's global generator.
    ``shapes`` restricts which of ``SHAPES`` appear. Both tensors go to ``device`` (default CPU).
    """
    n = positive_int("n", n)
    size = positive_int("size", size, minimum=MIN_SIZE)
    ids = _shape_ids(shapes)
    factors = _sample_factors(n, ids, make_generator(seed, generator))
    factors = to_device(factors, device)
    return Sprites(render_sprites(*factors.T, size=size, antialias=antialias), factors)


def sprite_factor_batches(
    n_batches: int,
    batch_size: int,
    factors: Sequence[str] = ("x", "y", "scale", "rotation"),
    size: int = 32,
    seed: int | None = 0,
    *,
    shapes: Sequence[str] = SHAPES,
    antialias: bool = True,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> Iterator[FactorBatch]:
    """Mini-batches in which one factor varies and all others are shared (DC-IGN training).

    Kulkarni et al. 2015, Sec. 3.1 (slide: Inverse graphics network, mini-batch training): each
    batch picks one factor from ``factors`` uniformly; the others are drawn once and repeated
    over the batch, exactly; the chosen one is drawn afresh for every row (a varying ``shape``
    cycles through ``shapes`` from a random start, so a batch of at least ``len(shapes)`` shows
    them all). ``factors=("x",)`` forces one factor. Yields ``n_batches`` ``FactorBatch`` tuples
    ``(images (B, 1, S, S), factors (B, 5), varied)``, lazily; arguments are checked at the call.
    """
    n_batches = positive_int("n_batches", n_batches)
    batch_size = positive_int("batch_size", batch_size, minimum=2)
    size = positive_int("size", size, minimum=MIN_SIZE)
    ids = _shape_ids(shapes)
    if isinstance(factors, str):
        factors = (factors,)
    factors = tuple(factors)
    if not factors:
        raise ValueError(f"factors must name at least one of {FACTOR_NAMES}; got an empty sequence")
    for name in factors:
        choice("factors", name, FACTOR_NAMES)
    if "shape" in factors and len(ids) < 2:
        raise ValueError(
            f"factors includes 'shape', so shapes must name two or more; got {shapes!r}"
        )
    g = make_generator(seed, generator)
    return _factor_batches(n_batches, batch_size, factors, size, ids, antialias, g, device)


def _factor_batches(n_batches, batch_size, factors, size, ids, antialias, g, device):
    B = batch_size
    for _ in range(n_batches):
        varied = factors[int(torch.randint(len(factors), (), generator=g))]
        j = FACTOR_NAMES.index(varied)
        batch = _sample_factors(1, ids, g).repeat(B, 1)  # (B, 5), every row the same
        fresh = _sample_factors(B, ids, g)
        if varied == "shape":
            start = int(torch.randint(len(ids), (), generator=g))
            batch[:, 0] = ids[(start + torch.arange(B)) % len(ids)].float()
        else:
            batch[:, j] = fresh[:, j]
        batch = to_device(batch, device)
        images = render_sprites(*batch.T, size=size, antialias=antialias)
        yield FactorBatch(images, batch, varied)


class FactorBatchData(NamedTuple):
    """Factor batches stacked for the Trainer (whose batch size then counts factor batches)."""

    images: torch.Tensor  # (N, B, 1, S, S)
    factors: torch.Tensor  # (N, B, 5)
    varied: torch.Tensor  # (N,) int64 index into FACTOR_NAMES


def factor_batch_data(
    n_batches: int,
    batch_size: int = 32,
    factors=("x", "y", "scale", "rotation", "shape"),
    seed: int = 0,
    size: int = 32,
    shapes=SHAPES,
    device: str | torch.device | None = None,
) -> FactorBatchData:
    """``n_batches`` batches of :func:`genlab.data.sprite_factor_batches`, stacked."""
    batches = list(
        sprite_factor_batches(
            n_batches, batch_size, factors, size=size, seed=seed, shapes=shapes, device=device
        )
    )
    images = torch.stack([b.images for b in batches])
    stacked = torch.stack([b.factors for b in batches])
    varied = torch.tensor([FACTOR_NAMES.index(b.varied) for b in batches], device=images.device)
    return FactorBatchData(images, stacked, varied)
