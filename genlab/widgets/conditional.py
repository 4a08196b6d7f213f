r"""Attribute controls for the conditional VAE (lecture 04, slide "Vision task II -
Attribute2Image"; Yan et al. 2016): choose the attributes :math:`y`, keep the noise
:math:`z \sim p(z)` fixed, and watch :math:`\mathbb E[x \mid z, y]` change.

Only the CVAE's public API is used: ``decode(z, y)``, ``mean``, ``latent_dim``,
``attribute_dim``, ``input_shape``, and the attribute helpers :func:`digit_attributes` and
:func:`sprite_attributes` of :mod:`genlab.models.conditional`.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from genlab._checks import choice, positive_int
from genlab.data import POSITION_RANGE, ROTATION_RANGE, SCALE_RANGE, SHAPES
from genlab.models.conditional import SPRITE_ATTRIBUTES, digit_attributes, sprite_attributes
from genlab.widgets._common import (
    DESCRIPTION_STYLE,
    evaluating,
    float_slider,
    image_shape,
    image_widget,
    model_device,
    panel,
    row,
    show,
)
from genlab.widgets._image import grid, to_png

__all__ = ["ATTRIBUTE_KINDS", "attribute_controls"]

ATTRIBUTE_KINDS = ("digits", "sprites")
_SPRITE_DIMS = {len(SPRITE_ATTRIBUTES): True, len(SPRITE_ATTRIBUTES) - 2: False}  # -> rotation?


def _infer_kind(cvae) -> str:
    return "sprites" if cvae.attribute_dim in _SPRITE_DIMS else "digits"


def attribute_controls(
    cvae,
    attributes: str | None = None,
    n: int = 8,
    *,
    seed: int = 0,
    scale: int | None = None,
    cmap: str = "gray",
) -> widgets.VBox:
    r"""Samples of a conditional VAE for chosen attributes, at fixed noise.

    ``attributes`` is ``"digits"`` (a class dropdown; :math:`y` one-hot of size
    ``attribute_dim``) or ``"sprites"`` (a shape dropdown and scale, x, y sliders, plus a
    rotation slider when the CVAE was trained with rotation attributes, ``attribute_dim`` 9);
    ``None`` infers it from ``attribute_dim`` (7 or 9: sprites, else digits). ``n`` noise
    vectors :math:`z_i \sim \mathcal N(0, I)` are drawn from ``seed`` and kept until the
    "New noise" button draws the next ones, so the attributes alone change the row of images
    :math:`\mathbb E[x \mid z_i, y]` = ``cvae.mean(cvae.decode(z, y))``.

    Parts: ``image`` (the ``n`` samples in a row), ``controls`` (a dict name -> widget:
    ``"class"``, or ``"shape"``, ``"scale"``, ``"x"``, ``"y"`` [, ``"rotation"``]),
    ``button`` (new noise), ``readout``, ``z()`` (the noise, (n, Z)) and ``y()`` (the
    attribute vector, (1, A)). CSS class ``genlab-attribute-controls``.
    """
    for name in ("decode", "mean", "latent_dim", "attribute_dim"):
        if not hasattr(cvae, name):
            raise ValueError(
                f"cvae must be a conditional VAE with decode(z, y), mean, latent_dim and "
                f"attribute_dim; got {type(cvae).__name__} without {name}"
            )
    hw = image_shape(cvae, "cvae")
    kind = (
        _infer_kind(cvae)
        if attributes is None
        else choice("attributes", attributes, ATTRIBUTE_KINDS)
    )
    n = positive_int("n", n)
    device, dtype = model_device(cvae)
    A = cvae.attribute_dim
    if kind == "sprites" and A not in _SPRITE_DIMS:
        raise ValueError(
            f"attributes='sprites' needs a CVAE with attribute_dim {sorted(_SPRITE_DIMS)} "
            f"(see sprite_attributes); got attribute_dim {A}"
        )

    controls: dict[str, widgets.Widget] = {}
    if kind == "digits":
        controls["class"] = widgets.Dropdown(
            options=list(range(A)),
            value=0,
            description="class",
            style=DESCRIPTION_STYLE,
            layout=widgets.Layout(width="14em"),
        )
    else:
        controls["shape"] = widgets.Dropdown(
            options=[(s, i) for i, s in enumerate(SHAPES)],
            value=0,
            description="shape",
            style=DESCRIPTION_STYLE,
            layout=widgets.Layout(width="14em"),
        )
        for key, label, (lo, hi) in (
            ("scale", "scale", SCALE_RANGE),
            ("x", "x position", POSITION_RANGE),
            ("y", "y position", POSITION_RANGE),
        ):
            controls[key] = float_slider(
                label, (lo + hi) / 2, lo, hi, (hi - lo) / 100, readout_format=".3f"
            )
        if _SPRITE_DIMS[A]:
            lo, hi = ROTATION_RANGE
            controls["rotation"] = float_slider("rotation", lo, lo, hi, (hi - lo) / 360)

    def y() -> torch.Tensor:
        if kind == "digits":
            attrs = digit_attributes(torch.tensor([controls["class"].value]), n_classes=A)
        else:
            rotation = controls["rotation"].value if "rotation" in controls else 0.0
            factors = torch.tensor(
                [
                    [
                        controls["shape"].value,
                        controls["scale"].value,
                        rotation,
                        controls["x"].value,
                        controls["y"].value,
                    ]
                ]
            )  # (1, 5) in the order of genlab.data.FACTOR_NAMES
            attrs = sprite_attributes(factors, rotation="rotation" in controls)
        return attrs.to(device=device, dtype=dtype)  # (1, A)

    generator = torch.Generator().manual_seed(seed)
    noise = {"z": torch.randn(n, cvae.latent_dim, generator=generator)}
    image = image_widget()
    readout = widgets.HTML()
    button = widgets.Button(
        description="New noise", icon="random", tooltip="Draw new z ~ N(0, I), keep y"
    )
    cell = max(1, min(640, 96 * n) // (n * (max(hw) + 1))) if scale is None else scale

    def z() -> torch.Tensor:
        return noise["z"].to(device=device, dtype=dtype)  # (n, Z)

    def refresh(_change=None) -> None:
        y_now = y()
        with evaluating(cvae):
            images = cvae.mean(cvae.decode(z(), y_now.expand(n, -1))).float().cpu()
        show(image, to_png(grid(images, nrow=n), scale=cell, cmap=cmap))
        if kind == "digits":
            shown = f"one-hot({controls['class'].value}) of {A} classes"
        else:
            pairs = zip(SPRITE_ATTRIBUTES, y_now[0].tolist(), strict=False)
            shown = ", ".join(f"{k} {round(v, 2) + 0.0:.2f}" for k, v in pairs)  # no -0.00
        readout.value = f"<code>y</code>: {shown} &nbsp;·&nbsp; {n} fixed noise vectors"

    def new_noise(_button=None) -> None:
        noise["z"] = torch.randn(n, cvae.latent_dim, generator=generator)
        refresh()

    for control in controls.values():
        control.observe(refresh, names="value")
    button.on_click(new_noise)
    refresh()
    return panel(
        "attribute-controls",
        [
            row([widgets.VBox([*controls.values(), button]), image]),
            readout,
        ],
        image=image,
        controls=controls,
        button=button,
        readout=readout,
        z=z,
        y=y,
        kind=kind,
    )
