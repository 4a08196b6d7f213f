r"""A look inside a VQ-VAE's codebook (lecture 04, slide "VQ-VAE"; van den Oord et al. 2017).

Which of the K codes the encoder picks on some inputs (a bar per code), the grid of code
indices of one input, and what one code means locally: replace the code at one grid position
by any other and decode. Only the model's public API is used: ``codes(x)``,
``decode_indices(indices)``, ``codebook`` and :func:`genlab.models.vqvae.codebook_usage`.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from genlab import palette
from genlab.models.vqvae import codebook_usage
from genlab.widgets._common import (
    DESCRIPTION_STYLE,
    batch_input,
    evaluating,
    image_shape,
    image_widget,
    model_device,
    panel,
    row,
    show,
)
from genlab.widgets._image import as_array, auto_scale, to_png

__all__ = ["codebook_viewer", "region_image", "usage_bars"]


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float32)


def region_image(recon, edited, cell: tuple[int, int], codes_hw: tuple[int, int], scale: int):
    r"""Where one code acts: an RGB float image ``(H s, W s, 3)`` (``s`` = ``scale``).

    The reconstruction, dimmed, with the pixels that changed when the code at ``cell`` was
    replaced in vermillion (opacity :math:`|\Delta| / \max(\max|\Delta|, 0.1)`), and that
    code's cell of the image (the image split into the ``codes_hw`` grid) framed in sky blue.
    """
    base, new = as_array(recon), as_array(edited)
    if base.ndim == 3:  # RGB: judge changes and show the base in grey
        base, new = base.mean(-1), new.mean(-1)
    change = np.abs(new - base)
    alpha = np.clip(change / max(float(change.max()), 0.1), 0.0, 1.0)[..., None]
    out = np.clip(base, 0, 1)[..., None] * 0.6 * (1 - alpha) + alpha * _rgb(palette.HIGHLIGHT)
    out = np.repeat(np.repeat(out, scale, axis=0), scale, axis=1)
    (H, W), (h, w), (r, c) = base.shape, codes_hw, cell
    top, bottom = round(r * H / h * scale), round((r + 1) * H / h * scale)
    left, right = round(c * W / w * scale), round((c + 1) * W / w * scale)
    t = max(1, min(2, (bottom - top) // 6))  # frame thickness in pixels
    frame = _rgb(palette.SKY_BLUE)
    out[top : top + t, left:right] = frame
    out[bottom - t : bottom, left:right] = frame
    out[top:bottom, left : left + t] = frame
    out[top:bottom, right - t : right] = frame
    return out.astype(np.float32)


_BACKGROUND = (0.96, 0.96, 0.96)


def usage_bars(counts, selected: int | None = None, height: int = 64) -> np.ndarray:
    """A bar chart of code counts as an RGB float image ``(height, K * (bar + 1))``.

    Bar ``k`` is ``counts[k] / max(counts)`` of the height; the ``selected`` code is orange.
    """
    counts = np.asarray(torch.as_tensor(counts).cpu(), dtype=np.float64)
    K = len(counts)
    bar = max(2, min(12, 480 // K))
    out = np.empty((height, K * (bar + 1), 3), dtype=np.float32)
    out[:] = _BACKGROUND
    tops = np.round(counts / max(counts.max(), 1.0) * (height - 1)).astype(int)
    for k, top in enumerate(tops):
        color = _rgb(palette.ORANGE) if k == selected else _rgb(palette.BLUE)
        out[height - max(top, 1 if counts[k] else 0) :, k * (bar + 1) : k * (bar + 1) + bar] = color
    return out


_SELECTED_CELL = f"background:{palette.SKY_BLUE};color:#000;font-weight:bold;"


def _code_table(indices: np.ndarray, selected: tuple[int, int]) -> str:
    """The (h, w) code grid as an HTML table; the selected position is highlighted."""
    cells = []
    for i, line in enumerate(indices):
        tds = "".join(
            f"<td style='padding:1px 5px;text-align:right;"
            f"{_SELECTED_CELL if (i, j) == selected else ''}'>{int(k)}</td>"
            for j, k in enumerate(line)
        )
        cells.append(f"<tr>{tds}</tr>")
    return (
        "<table class='genlab-code-grid' style='font-family:monospace;border:1px solid #ccc'>"
        + "".join(cells)
        + "</table>"
    )


def codebook_viewer(
    vqvae, x: torch.Tensor, *, scale: int | None = None, cmap: str = "gray"
) -> widgets.VBox:
    r"""Codebook usage on ``x``, and the code grid of one input with one code swapped.

    ``x`` is ``(B, *input_shape)`` (or one input). The bar image counts how often each of the
    K codes is the nearest one over all grid positions of all of ``x`` (with the fraction of
    codes used and the perplexity of :func:`~genlab.models.vqvae.codebook_usage`). For the
    input picked by ``index``, the table shows its code grid ``vqvae.codes(x)``; pick a grid
    ``position`` and a ``code``: the right image decodes the grid with that one entry
    replaced (``vqvae.decode_indices``), next to the input and its reconstruction. Changing
    the input or position resets ``code`` to the encoder's choice; the button does too.

    Parts: ``usage`` (bar image), ``counts`` ((K,) int64), ``indices`` (HTML table),
    ``index`` (Dropdown, ``None`` for one input), ``position`` (Dropdown of ``(row, col)``),
    ``code`` (IntSlider), ``button``, ``source``, ``reconstruction`` and ``image`` (the
    edited decode), ``readout``, ``grid()`` (the current code grid, (1, h, w)).
    CSS class ``genlab-codebook-viewer``.
    """
    for name in ("codes", "decode_indices", "codebook"):
        if not hasattr(vqvae, name):
            raise ValueError(
                f"vqvae must be a VQVAE with codes, decode_indices and codebook; "
                f"got {type(vqvae).__name__} without {name}"
            )
    hw = image_shape(vqvae, "vqvae")
    x = batch_input("x", x, vqvae.input_shape)
    device, dtype = model_device(vqvae)
    x = x.to(device=device, dtype=dtype)
    K = int(vqvae.codebook.shape[0])
    with evaluating(vqvae):
        all_codes = vqvae.codes(x)  # (B, h, w)
        stats = codebook_usage(vqvae, x)  # fraction used, perplexity, counts (K,)
    counts = stats.counts
    h, w = all_codes.shape[1:]
    cell = auto_scale(*hw) if scale is None else scale

    index = None
    if len(x) > 1:
        index = widgets.Dropdown(
            options=[(f"input {i}", i) for i in range(len(x))],
            value=0,
            description="input",
            style=DESCRIPTION_STYLE,
            layout=widgets.Layout(width="14em"),
        )
    position = widgets.Dropdown(
        options=[(f"({i}, {j})", (i, j)) for i in range(h) for j in range(w)],
        value=(0, 0),
        description="grid position",
        style=DESCRIPTION_STYLE,
        layout=widgets.Layout(width="14em"),
    )
    code = widgets.IntSlider(
        value=int(all_codes[0, 0, 0]),
        min=0,
        max=K - 1,
        description="code k",
        style=DESCRIPTION_STYLE,
        continuous_update=True,
    )
    button = widgets.Button(
        description="Encoder's code", icon="undo", tooltip="Put back the code the encoder chose"
    )
    usage, table, readout = image_widget(), widgets.HTML(), widgets.HTML()
    source, reconstruction, image = image_widget(), image_widget(), image_widget()
    region = image_widget()
    hold = [False]
    recons: dict[int, torch.Tensor] = {}

    def current() -> int:
        return 0 if index is None else index.value

    def grid() -> torch.Tensor:
        edited = all_codes[current()].clone()[None]  # (1, h, w)
        edited[0, position.value[0], position.value[1]] = code.value
        return edited

    def refresh(_change=None) -> None:
        if hold[0]:
            return
        i, (r, c) = current(), position.value
        with evaluating(vqvae):
            edited = vqvae.decode_indices(grid())[0]
        show(image, to_png(edited, scale=cell, cmap=cmap))
        marked = region_image(recons[i], edited, (r, c), (h, w), cell)
        show(region, to_png(marked, scale=1))
        show(usage, to_png(usage_bars(counts, selected=code.value)))
        table.value = _code_table(all_codes[i].cpu().numpy(), (r, c))
        original = int(all_codes[i, r, c])
        readout.value = (
            f"codes used on these {len(x)} inputs: {int((counts > 0).sum())} of {K} "
            f"({stats.usage:.0%}), perplexity {stats.perplexity:.2f} &nbsp;·&nbsp; "
            f"code {code.value} chosen {int(counts[code.value])} "
            f"times &nbsp;·&nbsp; at ({r}, {c}) the encoder chose {original}"
        )

    def show_input(_change=None) -> None:
        i = current()
        with evaluating(vqvae):
            recon = vqvae.decode_indices(all_codes[i : i + 1])[0]
        recons[i] = recon
        show(source, to_png(x[i], scale=cell, cmap=cmap))
        show(reconstruction, to_png(recon, scale=cell, cmap=cmap))
        encoder_code()

    def encoder_code(_change=None) -> None:
        r, c = position.value
        hold[0] = True
        try:
            code.value = int(all_codes[current(), r, c])
        finally:
            hold[0] = False
        refresh()

    code.observe(refresh, names="value")
    position.observe(encoder_code, names="value")
    if index is not None:
        index.observe(show_input, names="value")
    button.on_click(encoder_code)
    show_input()

    def labelled(text: str, widget: widgets.Widget) -> widgets.VBox:
        return widgets.VBox([widgets.Label(text), widget])

    controls = widgets.VBox(
        [c for c in (index, position, code, button) if c is not None]
        + [widgets.Label("code grid"), table]
    )
    images = row(
        [
            labelled("input", source),
            labelled("reconstruction", reconstruction),
            labelled("one code replaced", image),
            labelled("where it acts", region),
        ],
        align="flex-end",
    )
    return panel(
        "codebook-viewer",
        [row([controls, images], align="flex-start"), labelled("code usage", usage), readout],
        usage=usage,
        counts=counts,
        indices=table,
        index=index,
        position=position,
        code=code,
        button=button,
        source=source,
        reconstruction=reconstruction,
        image=image,
        region=region,
        readout=readout,
        grid=grid,
    )
