"""Static figures for the CLI and the notebooks (matplotlib), and the course's figure style.

``use_style()`` is the one call a lecture's setup cell makes: the Okabe-Ito colour cycle
(:mod:`genlab.palette`), opaque white figures (legible as pictures in JupyterLab Dark too),
fonts and legends of at least 9 pt, and legends with an opaque frame where they cover least.
Widgets render without matplotlib.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from genlab import palette

#: The rcParams that ``use_style`` sets (a dict, so that tests and scripts can read them).
STYLE = {
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 9.0,
    "legend.title_fontsize": 9.0,
    "legend.loc": "best",
    "legend.framealpha": 1.0,
    "legend.frameon": True,
    "figure.dpi": 100.0,
    "image.cmap": "cividis",
    "image.interpolation": "nearest",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.constrained_layout.use": True,
}


def _style() -> dict:
    from cycler import cycler

    return {**STYLE, "axes.prop_cycle": cycler(color=list(palette.SERIES))}  # Okabe-Ito


def use_style() -> None:
    """Set the course's matplotlib style for this session (call once, in the setup cell).

    Also makes it the inline backend's own setting, so that JupyterLab's inline figures, which
    are transparent by default, stay opaque white in the dark theme.
    """
    import matplotlib

    style = _style()
    try:  # the inline backend re-applies its own rc when it loads: give it ours
        from matplotlib_inline.config import InlineBackend

        InlineBackend.instance().rc = dict(style)
    except ImportError:  # pragma: no cover - only without IPython
        pass
    matplotlib.rcParams.update(style)


def legend_outside(ax, **kwargs):
    """A legend to the right of ``ax``, off the data."""
    kwargs.setdefault("loc", "upper left")
    kwargs.setdefault("bbox_to_anchor", (1.02, 1.0))
    kwargs.setdefault("borderaxespad", 0.0)
    return ax.legend(**kwargs)


def class_scatter(ax, points, labels, *, names=None, size: float = 14.0, alpha: float = 0.7):
    """A 2-D scatter of ``points`` ``(N, 2)`` by integer class ``labels`` ``(N,)``.

    Each class gets a colour *and* a marker (``palette.SERIES``, ``palette.MARKERS``) and a
    direct label (its name at the class's median point), so classes stay apart without colour
    vision. ``names``: the label text per class (default: the class number). Returns ``ax``.
    """
    points = np.asarray(torch.as_tensor(points).detach().cpu(), dtype=np.float64)
    labels = np.asarray(torch.as_tensor(labels).detach().cpu())
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
        raise ValueError(
            f"points must have shape (N, 2) and labels shape (N,); got points "
            f"{points.shape} and labels {labels.shape}"
        )
    for i, c in enumerate(np.unique(labels)):
        mask = labels == c
        color = palette.SERIES[i % len(palette.SERIES)]
        marker = palette.MARKERS[i % len(palette.MARKERS)]
        name = str(c) if names is None else str(names[int(c)])
        ax.scatter(
            *points[mask].T, s=size, c=color, marker=marker, alpha=alpha, label=name, linewidths=0
        )
        mx, my = np.median(points[mask], axis=0)
        ax.annotate(
            name,
            (mx, my),
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            color="black",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": color, "alpha": 0.85},
        )
    return ax


def as_array(image) -> np.ndarray:
    """A tensor or array image as float32 ``(H, W)`` or ``(H, W, 3)`` (channels last)."""
    if isinstance(image, torch.Tensor):
        image = image.detach().to("cpu", torch.float32).numpy()
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 3 and a.shape[0] in (1, 3):
        a = np.moveaxis(a, 0, -1)  # (C, H, W) -> (H, W, C); channels first wins a tie
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3):
        raise ValueError(
            "image must have shape (H, W), (1, H, W), (3, H, W), (H, W, 1) or (H, W, 3); "
            f"got {tuple(np.shape(image))}"
        )
    return a


def grid(images, nrow: int, pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """Tile a batch ``(N, C, H, W)``, ``(N, H, W)`` or ``(N, H, W, 3)`` into one float image.

    ``nrow`` images per row (as in ``torchvision.utils.make_grid``), ``pad`` pixels of
    ``pad_value`` between cells; the last row is filled with ``pad_value``. Returns
    ``(rows H + (rows - 1) pad, nrow W + (nrow - 1) pad)`` (plus a channel axis for RGB).
    """
    if isinstance(images, torch.Tensor):
        images = images.detach().to("cpu", torch.float32).numpy()
    batch = [as_array(im) for im in images]
    if not batch:
        raise ValueError("images must hold at least one image; got an empty batch")
    if isinstance(nrow, bool) or not isinstance(nrow, int | np.integer) or nrow < 1:
        raise ValueError(f"nrow must be an integer >= 1; got {nrow!r}")
    if isinstance(pad, bool) or not isinstance(pad, int | np.integer) or pad < 0:
        raise ValueError(f"pad must be an integer >= 0; got {pad!r}")
    shape = batch[0].shape
    h, w = shape[:2]
    ncol = min(int(nrow), len(batch))
    rows = -(-len(batch) // ncol)
    out = np.full(
        (rows * h + (rows - 1) * pad, ncol * w + (ncol - 1) * pad, *shape[2:]),
        pad_value,
        dtype=np.float32,
    )
    for i, im in enumerate(batch):
        r, c = divmod(i, ncol)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = im
    return out


def image_grid(images: torch.Tensor, nrow: int = 8, pad: int = 1) -> torch.Tensor:
    """Tile ``(N, C, H, W)`` images (values in [0, 1]) into one ``(H', W', C)`` tensor for
    ``imshow``: :func:`grid` with white padding, clipped to [0, 1]."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must have shape (N, C, H, W); got {got}")
    tiled = grid(images.detach().float().cpu().clamp(0, 1), nrow, pad=pad, pad_value=1.0)
    return torch.from_numpy(tiled if tiled.ndim == 3 else tiled[..., None])


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
    colors = {"minimax": palette.VERMILLION, "non_saturating": palette.BLUE}
    labels = {"minimax": r"minimax $\log(1-D)$", "non_saturating": r"non-saturating $-\log D$"}
    ncols = 2 if runs is None else 3
    fig, axes = plt.subplots(1, ncols, figsize=(4.2 * ncols, 3.3), layout="constrained")
    d = c.d.numpy()
    for kind, color in colors.items():
        axes[0].plot(d, getattr(c, f"{kind}_loss").numpy(), color=color, label=labels[kind])
        axes[1].plot(d, getattr(c, f"{kind}_grad").numpy(), color=color, label=kind)
    axes[0].set(xlabel="D(G(z))", ylabel="generator cost", title="the two generator costs")
    axes[1].set(xlabel="D(G(z))", ylabel="d cost / d logit", title="their gradients")
    axes[1].axhline(0.0, color="#999", lw=0.8)
    axes[1].axvspan(0.0, 0.1, color=palette.YELLOW, alpha=0.4, label="D rejects the fakes")
    for ax in axes[:2]:
        ax.legend(loc="best")
    if runs is not None:
        for kind, run in runs.items():
            axes[2].semilogy(run.step, run.grad_norm, color=colors.get(kind), label=kind)
        axes[2].set(xlabel="generator step", ylabel="|grad G|", title="after D wins early")
        axes[2].legend(loc="best")
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
