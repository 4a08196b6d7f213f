"""Static figures for the CLI and the notebooks (matplotlib). Widgets render without it."""

from __future__ import annotations

import os

import torch


def image_grid(images: torch.Tensor, nrow: int = 8, pad: int = 1) -> torch.Tensor:
    """Tile ``(N, C, H, W)`` images (values in [0, 1]) into one ``(H', W', C)`` array."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must have shape (N, C, H, W); got {got}")
    n, c, h, w = images.shape
    ncol = min(nrow, n)
    nrows = -(-n // ncol)
    canvas = torch.ones(c, nrows * (h + pad) + pad, ncol * (w + pad) + pad)
    for i, img in enumerate(images.detach().float().cpu().clamp(0, 1)):
        r, k = divmod(i, ncol)
        top, left = pad + r * (h + pad), pad + k * (w + pad)
        canvas[:, top : top + h, left : left + w] = img
    return canvas.permute(1, 2, 0)


def save_samples_figure(
    path: str | os.PathLike,
    samples: torch.Tensor,
    originals: torch.Tensor,
    reconstructions: torch.Tensor,
    title: str = "",
) -> None:
    """A PNG with a grid of samples, and originals above their reconstructions."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    panels = [
        (image_grid(samples), "samples from p(z)"),
        (image_grid(torch.cat([originals, reconstructions])), "originals (top), reconstructions"),
    ]
    for ax, (grid, label) in zip(axes, panels, strict=True):
        pixels = (grid.squeeze(-1) if grid.shape[-1] == 1 else grid).numpy()
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=1)
        ax.set_title(label)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
