"""MNIST and Fashion-MNIST from IDX files the user already has; the course never downloads data.

IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian header, then the
values as unsigned bytes. The magic number ``0x00000803`` means ubyte data with 3 dimensions
(images ``N x 28 x 28``), ``0x00000801`` ubyte with 1 dimension (labels ``N``); each dimension
follows as a big-endian uint32. Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import torch

from genlab._checks import choice
from genlab.data._common import to_device
from genlab.data._digits import LabelledImages

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
KINDS = {"mnist": "MNIST", "fashion": "FashionMNIST"}  # torchvision's folder names
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """Read one (optionally ``.gz``) ubyte IDX file into a ``uint8`` array of its dimensions.

    ``magic``, when given, is the magic number the file must carry. Truncated or oversized
    files and other magic numbers are a ``ValueError`` that names the file.
    """
    path = Path(path)
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise
        except (OSError, EOFError) as err:  # not gzip, or a truncated archive
            raise ValueError(f"{path}: not a readable gzip file ({err})") from None
    else:
        data = path.read_bytes()
    if len(data) < 4:
        raise ValueError(f"{path}: {len(data)} bytes is too short for an IDX header")
    (found,) = struct.unpack(">I", data[:4])
    if found >> 8 != 0x08 or found & 0xFF == 0 or (magic is not None and found != magic):
        expected = f"0x{magic:08X}" if magic is not None else "0x0000080D (ubyte, D dimensions)"
        raise ValueError(f"{path}: bad IDX magic number 0x{found:08X}; expected {expected}")
    ndim = found & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected_bytes = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected_bytes:
        what = "truncated" if len(data) < expected_bytes else "has trailing bytes"
        raise ValueError(
            f"{path}: {what}: the header says dimensions {dims}, so {expected_bytes} bytes, "
            f"but the file has {len(data)}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _find(dirs: list[Path], name: str) -> Path | None:
    for folder in dirs:
        for candidate in (name, name + ".gz"):
            if (folder / candidate).is_file():
                return folder / candidate
    return None


def mnist(
    root: str | os.PathLike,
    split: str = "train",
    kind: str = "mnist",
    device: str | torch.device | None = None,
) -> LabelledImages:
    """MNIST or Fashion-MNIST: ``(images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64)``.

    Looks for the standard file names (``train-images-idx3-ubyte`` ..., plain or ``.gz``) in
    ``root`` and in torchvision's ``root/MNIST/raw`` (``root/FashionMNIST/raw`` for
    ``kind="fashion"``). Pixel values are divided by 255. Fashion-MNIST's class names are
    ``FASHION_CLASSES``.
    """
    choice("split", split, FILES)
    choice("kind", kind, KINDS)
    root = Path(root)
    dirs = [root, root / KINDS[kind] / "raw", root / KINDS[kind]]
    names = FILES[split]
    paths = [_find(dirs, name) for name in names]
    missing = [name for name, path in zip(names, paths, strict=True) if path is None]
    if missing:
        raise FileNotFoundError(
            f"{kind} {split} split: no {' or '.join(missing)} (nor .gz) in "
            f"{', '.join(str(d) for d in dirs)}. The course never downloads data: copy the IDX "
            f"files you have into {root}, or use genlab.data._digits(), which ships offline."
        )
    images = read_idx(paths[0], IMAGES_MAGIC)  # (N, H, W) uint8
    labels = read_idx(paths[1], LABELS_MAGIC)  # (N,) uint8
    if len(images) != len(labels):
        raise ValueError(
            f"{paths[0]} holds {len(images)} images but {paths[1]} holds {len(labels)} labels"
        )
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]  # (N, 1, H, W)
    y = torch.from_numpy(labels.astype(np.int64))
    return LabelledImages(to_device(x, device), to_device(y, device))
