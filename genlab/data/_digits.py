"""The 8x8 handwritten digits that scikit-learn ships (1,797 images, 10 classes), read offline.

The train/test split is fixed and stratified: ``numpy.random.default_rng(0)`` permutes the
1,797 indices once; walking that permutation, the first 36 images of each digit go to the
test set. So ``test`` holds 360 images (exactly 36 per digit) and ``train`` the other 1,437
(between 138 and 147 per digit). Both are in the original order of ``load_digits``; the
split never reads the global random state.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch

from genlab._checks import choice
from genlab.data._common import to_device

SPLITS = ("train", "test", "all")
N_DIGITS = 1797
TEST_PER_CLASS = 36
N_TEST = 10 * TEST_PER_CLASS  # 360
N_TRAIN = N_DIGITS - N_TEST  # 1,437


class LabelledImages(NamedTuple):
    images: torch.Tensor  # (N, 1, H, W) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64


@lru_cache(maxsize=1)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """Images ``(1797, 1, 8, 8)`` float32 in [0, 1] (the 0..16 ink counts divided by 16), labels."""
    from sklearn.datasets import load_digits  # reads a file bundled with scikit-learn

    bunch = load_digits()
    images = (bunch.images.astype(np.float32) / 16.0)[:, None]  # (N, 8, 8) -> (N, 1, 8, 8)
    labels = bunch.target.astype(np.int64)
    images.flags.writeable = False  # the cache is shared; callers get copies
    labels.flags.writeable = False
    return images, labels


@lru_cache(maxsize=1)
def _split_indices() -> dict[str, np.ndarray]:
    """Sorted indices of each split into ``load_digits`` (see the module docstring)."""
    _, labels = _raw_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    is_test = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        is_test[order[labels[order] == digit][:TEST_PER_CLASS]] = True
    split = {
        "train": np.flatnonzero(~is_test),
        "test": np.flatnonzero(is_test),
        "all": np.arange(len(labels)),
    }
    for idx in split.values():
        idx.flags.writeable = False
    return split


def digits(split: str = "train", device: str | torch.device | None = None) -> LabelledImages:
    """The scikit-learn digits as ``(images (N, 1, 8, 8) float32 in [0, 1], labels (N,) int64)``.

    ``split``: ``"train"`` (1,437 images), ``"test"`` (360, 36 per digit) or ``"all"`` (1,797).
    Fresh tensors on every call, on the CPU unless ``device`` is given.
    """
    choice("split", split, SPLITS)
    images, labels = _raw_digits()
    idx = _split_indices()[split]
    x = torch.from_numpy(images[idx])  # fancy indexing copies: the cache stays untouched
    y = torch.from_numpy(labels[idx])
    return LabelledImages(to_device(x, device), to_device(y, device))
