r"""Widgets that look inside a VAE's latent space (lecture 04, slides "Interpreting the latent
space" and "Inverse graphics network"; Kingma & Welling 2014, Fig. 4; Kulkarni et al. 2015).

Each function returns an ``ipywidgets.VBox`` whose parts are attributes (``.sliders``,
``.image``, ...) and which carries the CSS class ``genlab-<name>``. Only public model methods
are called: ``encode(x).mu``, ``decode(z)``, ``mean(decoded)``, ``latent_dim`` and
``input_shape``; any model with that interface works (the MLP and conv VAEs, DC-IGN). Images
are rendered without matplotlib (see :mod:`genlab.widgets._image`), and every observer runs
synchronously, so setting a control's ``value`` from Python redraws before it returns.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from genlab import palette
from genlab._checks import positive, positive_int
from genlab.widgets._common import (
    DESCRIPTION_STYLE,
    MIN_CELL_PX,
    Renderer,
    batch_input,
    evaluating,
    float_slider,
    image_shape,
    image_widget,
    latent_dims,
    model_device,
    one_input,
    panel,
    row,
    show,
)
from genlab.widgets._image import grid, to_png
from genlab.widgets._svg import SvgPlot

__all__ = ["interpolation", "latent_explorer", "manifold_grid", "traversal"]

GRID_SIDE = 480  # manifold grid: display size in pixels, whatever n
GRID_MAX_N = GRID_SIDE // MIN_CELL_PX  # 15: the largest grid with cells of >= 32 px


def _decode(model, z: torch.Tensor) -> torch.Tensor:
    """Decoded means on the CPU: ``(B, Z) -> (B, *input_shape)``."""
    with evaluating(model):
        return model.mean(model.decode(z)).float().cpu()


def _encode_mu(model, x: torch.Tensor) -> torch.Tensor:
    """Posterior means on the model's device: ``(B, *input_shape) -> (B, Z)``."""
    device, dtype = model_device(model)
    with evaluating(model):
        return model.encode(x.to(device=device, dtype=dtype)).mu


def _grid_scale(hw: tuple[int, int], cells: int, scale: int | None, target: int) -> int:
    """Upscale factor so that ``cells`` images (plus 1-pixel gaps) span about ``target`` pixels,
    and each image at least ``MIN_CELL_PX`` (an 8 x 8 digit: 32 px)."""
    if scale is not None:
        return positive_int("scale", scale)
    return max(-(-MIN_CELL_PX // max(hw)), target // (cells * (max(hw) + 1)))


def _dim_dropdown(description: str, latent_dim: int, value: int) -> widgets.Dropdown:
    return widgets.Dropdown(
        options=[(f"z[{i}]", i) for i in range(latent_dim)],
        value=value,
        description=description,
        style=DESCRIPTION_STYLE,
        layout=widgets.Layout(width="14em"),
    )


# A click on the pad writes "z_x,z_y" into the explorer's hidden text box; the kernel reads it.
# (Plain ipywidgets have no 2-D control: an inline handler on the SVG is the whole bridge.)
_PAD_CLICK = (
    "const b=this.dataset.box.split(' ').map(Number),l=this.dataset.lim.split(' ').map(Number);"
    "const r=this.getBoundingClientRect();"
    "const x=(event.clientX-r.left)*this.width.baseVal.value/r.width;"
    "const y=(event.clientY-r.top)*this.height.baseVal.value/r.height;"
    "const zx=l[0]+(x-b[0])/(b[2]-b[0])*(l[1]-l[0]),zy=l[3]-(y-b[1])/(b[3]-b[1])*(l[3]-l[2]);"
    "const i=this.closest('.genlab-latent-explorer').querySelector('.genlab-pad-input input');"
    "i.value=zx.toFixed(3)+','+zy.toFixed(3);i.dispatchEvent(new Event('input',{bubbles:true}));"
)


def _pad_svg(points, labels, z: tuple[float, float], dims: tuple[int, int], lim: float) -> str:
    """The latent scatter (posterior means, one colour per class) with the current z ringed."""
    plot = SvgPlot(300, 300, (-lim, lim), (-lim, lim), margin=(46, 10, 20, 34), clip_id=None)
    if points is not None:
        classes = sorted(set(labels.tolist())) if labels is not None else [None]
        for k, c in enumerate(classes):
            mask = slice(None) if c is None else labels == c
            color = palette.SERIES[k % len(palette.SERIES)]
            plot.points(points[mask, 0], points[mask, 1], color, 3.0, 0.6)
    else:  # no data: the prior's 1 and 2 sigma circles
        t = np.linspace(0, 2 * np.pi, 97)
        for radius in (1.0, 2.0):
            plot.line(radius * np.cos(t), radius * np.sin(t), palette.THEME["frame"], 1.0, "3,3")
    plot.marker(z[0], z[1], palette.HIGHLIGHT, 6.0, css_class="genlab-pad-z")
    if points is not None and labels is not None:  # direct labels at each class's median
        for c in classes:
            mx, my = np.median(points[labels == c], axis=0)
            plot.text(
                float(plot.px(mx)),
                float(plot.py(my)) + 4,
                str(c),
                None,
                "middle",
                inside=True,
                bold=True,
            )
    plot.axes(xlabel=f"z[{dims[0]}] (click to set z)", ylabel=f"z[{dims[1]}]")
    svg = plot.svg("genlab-svg genlab-pad")
    attrs = f'data-lim="{-lim} {lim} {-lim} {lim}" style="cursor:crosshair" onclick="{_PAD_CLICK}"'
    return svg.replace("<svg ", f"<svg {attrs} ", 1).replace('style="overflow:hidden"', "", 1)


def _fmt(values) -> str:
    return "(" + ", ".join(f"{float(v):.2f}" for v in values) + ")"


# ----------------------------------------------------------------------------------------
# latent explorer
# ----------------------------------------------------------------------------------------


def latent_explorer(
    model,
    value_range: float = 3.0,
    dims=None,
    *,
    scale: int | None = None,
    cmap: str = "gray",
    data=None,
    labels=None,
) -> widgets.VBox:
    r"""One slider per latent dimension; the image is the decoder's mean
    :math:`\mathbb E[x|z]` = ``model.mean(model.decode(z))``.

    ``dims`` picks which latent indices get a slider (default: all); the others stay at 0, the
    prior's mean. Sliders span ``[-value_range, value_range]`` (the prior's +-3 sigma by
    default). ``scale`` is the integer upscale factor of the image (default: about 192 px).

    With two or more sliders, a pad shows the plane of the first two of ``dims``: the
    posterior means :math:`\mu_\phi(x)` of ``data`` (``(N, *input_shape)``, coloured by the
    integer ``labels`` if given; without data, the prior's 1 and 2 sigma circles) and the
    current z as a ring. A click on the pad moves z there (the sliders follow).

    Parts: ``sliders`` (one per entry of ``dims``, in that order), ``dims``, ``image``,
    ``readout`` (the current z), ``button`` (reset z to 0), ``z()`` (the current z, (1, Z)),
    ``pad`` (the SVG, or ``None`` with one slider), ``pad_input`` (the text box a click
    writes ``"z_a,z_b"`` into). CSS class ``genlab-latent-explorer``.
    """
    hw = image_shape(model)
    value_range = positive("value_range", value_range)
    dims = latent_dims("dims", dims, model.latent_dim)
    device, dtype = model_device(model)
    render = Renderer(hw, scale, cmap)
    sliders = tuple(
        float_slider(f"z[{d}]", 0.0, -value_range, value_range, value_range / 100) for d in dims
    )
    image = image_widget()
    readout = widgets.HTML()
    button = widgets.Button(
        description="Reset z = 0", icon="undo", tooltip="Set every slider back to the prior mean"
    )
    holding = [False]
    points = None
    if data is not None:
        x = batch_input("data", data, model.input_shape)
        points = _encode_mu(model, x)[:, list(dims[:2])].float().cpu().numpy()
        if labels is not None:
            labels = np.asarray(torch.as_tensor(labels).cpu())
            if labels.shape != (len(points),):
                raise ValueError(
                    f"labels must have shape ({len(points)},), one per input; got {labels.shape}"
                )
    pad = widgets.HTML() if len(dims) >= 2 else None
    pad_input = widgets.Text(layout=widgets.Layout(display="none"))
    pad_input.add_class("genlab-pad-input")

    def z() -> torch.Tensor:
        values = [0.0] * model.latent_dim
        for d, slider in zip(dims, sliders, strict=True):
            values[d] = slider.value
        return torch.tensor([values], device=device, dtype=dtype)  # (1, Z)

    def refresh(_change=None) -> None:
        if holding[0]:
            return
        z_now = z()
        show(image, render(_decode(model, z_now)[0]))
        readout.value = f"<code>z = {_fmt(z_now[0])}</code>"
        if pad is not None:
            here = (sliders[0].value, sliders[1].value)
            pad.value = _pad_svg(points, labels, here, dims[:2], value_range)

    def on_pad(change) -> None:
        try:
            a, b = (float(v) for v in change["new"].split(","))
        except ValueError:
            return  # not a click's "a,b": ignore
        holding[0] = True
        try:
            sliders[0].value, sliders[1].value = a, b  # the sliders clamp to their range
        finally:
            holding[0] = False
        refresh()

    def reset(_button=None) -> None:
        holding[0] = True
        try:
            for slider in sliders:
                slider.value = 0.0
        finally:
            holding[0] = False
        refresh()

    for slider in sliders:
        slider.observe(refresh, names="value")
    pad_input.observe(on_pad, names="value")
    button.on_click(reset)
    refresh()
    controls = widgets.VBox([*sliders, button, readout, pad_input])
    return panel(
        "latent-explorer",
        [row([controls, image, *([pad] if pad is not None else [])], align="flex-start")],
        pad=pad,
        pad_input=pad_input,
        sliders=sliders,
        dims=dims,
        image=image,
        readout=readout,
        button=button,
        z=z,
    )


# ----------------------------------------------------------------------------------------
# manifold grid
# ----------------------------------------------------------------------------------------


def manifold_grid(
    model,
    dims=(0, 1),
    n: int = 15,
    span: float = 3.0,
    *,
    scale: int | None = None,
    cmap: str = "gray",
) -> widgets.VBox:
    r"""Decoded means over an ``n x n`` grid of two latent coordinates, the others at 0
    (the learned manifold of Kingma & Welling 2014, Fig. 4, on an even grid).

    Column ``c`` has :math:`z_{d_x} = -s + 2 s\, c / (n-1)` (left to right), row ``r`` has
    :math:`z_{d_y} = s - 2 s\, r / (n-1)` (top to bottom, so up is positive), with
    :math:`s` = ``span`` and ``(d_x, d_y)`` = ``dims``. Cells are 1 pixel apart.

    Parts: ``image``, ``n`` (IntSlider), ``span`` (FloatSlider), ``sliders`` (both),
    ``dim_x`` and ``dim_y`` (Dropdowns), ``readout``. CSS class ``genlab-manifold-grid``.
    """
    hw = image_shape(model)
    if model.latent_dim < 2:
        raise ValueError(
            f"model must have latent_dim >= 2 for a 2-D grid; got latent_dim {model.latent_dim}"
        )
    dim_x, dim_y = latent_dims("dims", dims, model.latent_dim, count=2)
    n = positive_int("n", n, minimum=2)
    span = positive("span", span)
    device, dtype = model_device(model)
    n_slider = widgets.IntSlider(
        value=n, min=2, max=max(GRID_MAX_N, n), description="grid size n", style=DESCRIPTION_STYLE
    )
    span_slider = float_slider("span", span, 0.25, max(6.0, span), 0.05)
    x_drop = _dim_dropdown("columns", model.latent_dim, dim_x)
    y_drop = _dim_dropdown("rows", model.latent_dim, dim_y)
    image = image_widget()
    readout = widgets.HTML()

    def refresh(_change=None) -> None:
        dx, dy, k, s = x_drop.value, y_drop.value, n_slider.value, span_slider.value
        if dx == dy:
            readout.value = "<b>Choose two different latent dimensions for rows and columns.</b>"
            return
        ticks = torch.linspace(-s, s, k, device=device, dtype=dtype)
        z = torch.zeros(k, k, model.latent_dim, device=device, dtype=dtype)  # (rows, cols, Z)
        z[:, :, dx] = ticks[None, :]
        z[:, :, dy] = ticks.flip(0)[:, None]
        images = _decode(model, z.reshape(k * k, -1))  # (k*k, *input_shape)
        # one display size for every n: the PNG at an integer scale, the browser scales the
        # rest with nearest-neighbour sampling (cells >= 32 px up to n = GRID_MAX_N)
        cell = positive_int("scale", scale) if scale else max(1, GRID_SIDE // (k * (max(hw) + 1)))
        show(image, to_png(grid(images, nrow=k), scale=cell, cmap=cmap), side=GRID_SIDE)
        readout.value = (
            f"columns: z[{dx}] from {-s:.2f} to {s:.2f} &nbsp;·&nbsp; rows: z[{dy}] from "
            f"{s:.2f} (top) to {-s:.2f} (bottom) &nbsp;·&nbsp; other latents 0"
        )

    for control in (n_slider, span_slider, x_drop, y_drop):
        control.observe(refresh, names="value")
    refresh()
    controls = widgets.VBox([n_slider, span_slider, x_drop, y_drop])
    return panel(
        "manifold-grid",
        [row([controls, image]), readout],
        image=image,
        n=n_slider,
        span=span_slider,
        sliders=(n_slider, span_slider),
        dim_x=x_drop,
        dim_y=y_drop,
        readout=readout,
    )


# ----------------------------------------------------------------------------------------
# interpolation
# ----------------------------------------------------------------------------------------


def interpolation(
    model,
    x_a: torch.Tensor,
    x_b: torch.Tensor,
    steps: int = 10,
    *,
    scale: int | None = None,
    cmap: str = "gray",
) -> widgets.VBox:
    r"""Decode the straight line between two posterior means,
    :math:`z(\alpha) = (1-\alpha)\,\mu_\phi(x_a) + \alpha\,\mu_\phi(x_b)`.

    ``x_a`` and ``x_b`` have shape ``input_shape`` or ``(1, *input_shape)``. The strip shows
    ``steps`` decoded means at :math:`\alpha = 0, 1/(steps-1), \dots, 1`, between the two
    inputs; the slider picks :math:`\alpha` and the large image shows its decoded mean.

    Parts: ``slider`` (alpha), ``image`` (large), ``strip``, ``inputs`` (two images),
    ``readout``. CSS class ``genlab-interpolation``.
    """
    hw = image_shape(model)
    x_a = one_input("x_a", x_a, model.input_shape)
    x_b = one_input("x_b", x_b, model.input_shape)
    steps = positive_int("steps", steps, minimum=2)
    device, dtype = model_device(model)
    mu_a, mu_b = _encode_mu(model, x_a), _encode_mu(model, x_b)  # (1, Z) each
    big = Renderer(hw, scale, cmap)
    small = _grid_scale(hw, steps, None, target=min(640, 64 * steps))

    alphas = torch.linspace(0.0, 1.0, steps, device=device, dtype=dtype)[:, None]  # (steps, 1)
    line = _decode(model, (1 - alphas) * mu_a + alphas * mu_b)  # (steps, *input_shape)
    strip = image_widget(to_png(grid(line, nrow=steps), scale=small, cmap=cmap))
    inputs = tuple(image_widget(to_png(x[0], scale=small, cmap=cmap)) for x in (x_a, x_b))
    slider = float_slider("α (a → b)", 0.0, 0.0, 1.0, 0.01)
    image = image_widget()
    readout = widgets.HTML()

    def refresh(_change=None) -> None:
        alpha = slider.value
        z = (1 - alpha) * mu_a + alpha * mu_b
        show(image, big(_decode(model, z)[0]))
        readout.value = (
            f"<code>z = (1 − α) μ(x_a) + α μ(x_b)</code>, α = {alpha:.2f}, "
            f"<code>z = {_fmt(z[0])}</code>"
        )

    slider.observe(refresh, names="value")
    refresh()

    def labelled(text: str, widget: widgets.Widget) -> widgets.VBox:
        return widgets.VBox([widgets.Label(text), widget])

    line_row = row(
        [
            labelled("input a", inputs[0]),
            labelled(f"decoded, α from 0 to 1 ({steps} steps)", strip),
            labelled("input b", inputs[1]),
        ],
        align="flex-end",
        gap="8px",
    )
    return panel(
        "interpolation",
        [line_row, row([widgets.VBox([slider, readout]), image])],
        slider=slider,
        image=image,
        strip=strip,
        inputs=inputs,
        readout=readout,
    )


# ----------------------------------------------------------------------------------------
# traversal
# ----------------------------------------------------------------------------------------


def traversal(
    model,
    x: torch.Tensor,
    dims=None,
    span: float = 3.0,
    steps: int = 9,
    *,
    scale: int | None = None,
    cmap: str = "gray",
) -> widgets.VBox:
    r"""Latent traversals from an input: row ``i`` sets :math:`z_{d_i}` to ``steps`` values
    from ``-span`` to ``span`` (left to right) and keeps every other coordinate at the
    posterior mean :math:`\mu_\phi(x)` (the DC-IGN / beta-VAE test of disentanglement: a
    disentangled latent changes one factor along its row).

    ``x`` has shape ``input_shape`` or ``(B, *input_shape)``; for a batch a dropdown picks the
    base input. ``dims`` (default: all) are the traversed latent indices, one row each. For a
    DC-IGN (a model with a ``factor_units`` dict) the readout names each row's factor.

    Parts: ``image`` (the traversal grid), ``source`` (the input and its reconstruction),
    ``index`` (Dropdown, or ``None`` for a single input), ``span`` (FloatSlider), ``dims``,
    ``readout``. CSS class ``genlab-traversal``.
    """
    hw = image_shape(model)
    x = batch_input("x", x, model.input_shape)
    dims = latent_dims("dims", dims, model.latent_dim)
    span = positive("span", span)
    steps = positive_int("steps", steps, minimum=2)
    device, dtype = model_device(model)
    mu = _encode_mu(model, x)  # (B, Z)
    cell = _grid_scale(hw, max(steps, len(dims)), scale, target=320)
    index = None
    if len(x) > 1:
        index = widgets.Dropdown(
            options=[(f"input {i}", i) for i in range(len(x))],
            value=0,
            description="base input",
            style=DESCRIPTION_STYLE,
            layout=widgets.Layout(width="14em"),
        )
    span_slider = float_slider("span", span, 0.25, max(6.0, span), 0.05)
    factor_of = {}  # DC-IGN: latent unit -> the generative factor it was trained to hold
    if isinstance(getattr(model, "factor_units", None), dict):
        factor_of = {unit: name for name, unit in model.factor_units.items()}
    labels = [f"z[{d}] ({factor_of[d]})" if d in factor_of else f"z[{d}]" for d in dims]
    image = image_widget()
    source = image_widget()
    readout = widgets.HTML()

    def refresh(_change=None) -> None:
        i = 0 if index is None else index.value
        s = span_slider.value
        ticks = torch.linspace(-s, s, steps, device=device, dtype=dtype)
        z = mu[i].repeat(len(dims), steps, 1)  # (rows, cols, Z)
        for r, d in enumerate(dims):
            z[r, :, d] = ticks
        images = _decode(model, z.reshape(len(dims) * steps, -1))
        show(image, to_png(grid(images, nrow=steps), scale=cell, cmap=cmap))
        pair = torch.stack([x[i].float().cpu(), _decode(model, mu[i : i + 1])[0]])
        show(source, to_png(grid(pair, nrow=1), scale=cell, cmap=cmap))
        readout.value = (
            f"rows (top to bottom): {', '.join(labels)} &nbsp;·&nbsp; "
            f"columns: that latent from {-s:.2f} to {s:.2f} &nbsp;·&nbsp; "
            f"the others at <code>μ(x) = {_fmt(mu[i])}</code>"
        )

    if index is not None:
        index.observe(refresh, names="value")
    span_slider.observe(refresh, names="value")
    refresh()
    controls = [c for c in (index, span_slider) if c is not None]
    left = widgets.VBox([*controls, widgets.Label("input / reconstruction"), source])
    return panel(
        "traversal",
        [row([left, image], align="flex-start"), readout],
        image=image,
        source=source,
        index=index,
        span=span_slider,
        dims=dims,
        readout=readout,
    )
