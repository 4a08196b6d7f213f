"""Offline data: toy distributions, the scikit-learn digits, procedural sprites, MNIST files.

Nothing is downloaded, drawn or allocated at import time. Every function returns float32
tensors (int64 labels) on the CPU unless ``device=`` is given (resolved by
``genlab.device.resolve_device``); random draws happen on the CPU from ``seed=`` or
``generator=``, so a seed gives the same data on every device.
"""

from __future__ import annotations

import torch

from genlab._checks import choice
from genlab.data._digits import N_TEST, N_TRAIN, LabelledImages, digits
from genlab.data._idx import FASHION_CLASSES, mnist, read_idx
from genlab.data._sprites import (
    FACTOR_NAMES,
    POSITION_RANGE,
    ROTATION_RANGE,
    SCALE_RANGE,
    SHAPES,
    FactorBatch,
    FactorBatchData,
    Sprites,
    factor_batch_data,
    render_sprites,
    sprite_factor_batches,
    sprites,
)
from genlab.data._toy import (
    TOY,
    mixture1d,
    mixture1d_distribution,
    mixture2d,
    mixture2d_distribution,
    mixture_distribution,
    mixture_parts,
    moons,
    ring,
    ring_distribution,
    sample_mixture,
    spiral,
    toy,
)

DATASETS = ("digits", "sprites", "mnist")
SPRITES_N = {"train": 10_000, "test": 2_000}
SPRITES_TEST_SEED_OFFSET = 1_000_003


def load(
    name: str,
    split: str = "train",
    *,
    device: str | torch.device | None = None,
    **kw,
) -> LabelledImages | Sprites:
    """An image data set by name, for trainers and the CLI: ``images`` is always field 0.

    - ``"digits"``: :func:`digits` (``split`` train, test or all; no keywords).
    - ``"sprites"``: :func:`sprites` with ``n`` = 10,000 (train) or 2,000 (test) unless given;
      the test split is drawn with ``seed + 1_000_003`` so that it differs from the train
      split of the same seed (default seed 0). Other keywords (``size``, ``shapes``, ...) pass on.
    - ``"mnist"``: :func:`mnist`; needs ``root=``, takes ``kind="mnist"`` or ``"fashion"``.
    """
    choice("name", name, DATASETS)
    if name == "digits":
        return digits(split, device=device, **kw)
    if name == "mnist":
        return mnist(split=split, device=device, **kw)
    choice("split", split, SPRITES_N)
    n = kw.pop("n", SPRITES_N[split])
    seed = kw.pop("seed", 0)
    if split == "test" and seed is not None:
        seed += SPRITES_TEST_SEED_OFFSET
    return sprites(n, seed=seed, device=device, **kw)


__all__ = [
    "DATASETS",
    "FACTOR_NAMES",
    "FASHION_CLASSES",
    "N_TEST",
    "N_TRAIN",
    "POSITION_RANGE",
    "ROTATION_RANGE",
    "SCALE_RANGE",
    "SHAPES",
    "TOY",
    "FactorBatch",
    "FactorBatchData",
    "LabelledImages",
    "Sprites",
    "digits",
    "factor_batch_data",
    "load",
    "mixture1d",
    "mixture1d_distribution",
    "mixture2d",
    "mixture2d_distribution",
    "mixture_distribution",
    "mixture_parts",
    "mnist",
    "moons",
    "read_idx",
    "render_sprites",
    "ring",
    "ring_distribution",
    "sample_mixture",
    "spiral",
    "sprite_factor_batches",
    "sprites",
    "toy",
]
