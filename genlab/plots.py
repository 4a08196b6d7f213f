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


def saturation_figure(curves=None, runs: dict | None = None):
    r"""The slide "A better cost function" as a figure (matplotlib ``Figure``).

    Left: the two generator costs against :math:`D(G(z))`, :math:`\log(1 - D)` (minimax) and
    :math:`-\log D` (non-saturating). Middle: their gradients with respect to the
    discriminator's logit, :math:`-D` and :math:`D - 1`: where the discriminator rejects the
    fakes (:math:`D \to 0`) the minimax gradient vanishes. ``curves``: a
    :class:`genlab.gan.SaturationCurves` (default: :func:`genlab.gan.saturation_curves`).
    Right, when ``runs`` (:func:`genlab.gan.saturation_experiment`) is given: the generator's
    gradient norm per step after the discriminator was pretrained to win.
    """
    import matplotlib.pyplot as plt

    from genlab.gan import saturation_curves

    c = saturation_curves() if curves is None else curves
    colors = {"minimax": "#c0392b", "non_saturating": "#1f6fb4"}
    labels = {"minimax": r"minimax $\log(1-D)$", "non_saturating": r"non-saturating $-\log D$"}
    ncols = 2 if runs is None else 3
    fig, axes = plt.subplots(1, ncols, figsize=(4.2 * ncols, 3.3), constrained_layout=True)
    d = c.d.numpy()
    for kind, color in colors.items():
        axes[0].plot(d, getattr(c, f"{kind}_loss").numpy(), color=color, label=labels[kind])
        axes[1].plot(d, getattr(c, f"{kind}_grad").numpy(), color=color, label=kind)
    axes[0].set(xlabel="D(G(z))", ylabel="generator cost", title="the two generator costs")
    axes[1].set(xlabel="D(G(z))", ylabel="d cost / d logit", title="their gradients")
    axes[1].axhline(0.0, color="#999", lw=0.8)
    axes[1].axvspan(0.0, 0.1, color="#f4d03f", alpha=0.3, label="D rejects the fakes")
    for ax in axes[:2]:
        ax.legend(fontsize=8)
    if runs is not None:
        for kind, run in runs.items():
            axes[2].semilogy(run.step, run.grad_norm, color=colors.get(kind), label=kind)
        axes[2].set(xlabel="generator step", ylabel="|grad G|", title="after D wins early")
        axes[2].legend(fontsize=8)
    return fig


def show_figure(fig, alt: str) -> None:
    """Display a matplotlib figure in a notebook as a PNG on an opaque white background, with
    ``alt`` as its alternative text (read by screen readers), and close it."""
    import base64
    import html
    import io

    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display(
        HTML(
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'style="max-width: 100%; background: white">'
        )
    )
