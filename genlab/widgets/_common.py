"""What every widget shares: the panel container, model-side helpers and a latency probe."""

from __future__ import annotations

import contextlib
import statistics
import struct
import time
from collections.abc import Iterable, Sequence

import ipywidgets as widgets
import torch

from genlab.widgets._image import auto_scale, to_png

DESCRIPTION_STYLE = {"description_width": "7em"}
SLIDER_LAYOUT = {"width": "22em"}
MIN_CELL_PX = 32  # an 8 x 8 digit is shown at least this large
# Images are scaled by the browser with nearest-neighbour sampling: digits stay sharp.
_PIXELATED = "<style>.genlab-widget img{image-rendering:pixelated}</style>"


def panel(name: str, children: Sequence[widgets.Widget], **parts) -> widgets.VBox:
    """A ``VBox`` with the CSS class ``genlab-<name>`` whose named ``parts`` are attributes.

    Tests and notebooks reach the controls as ``box.sliders``, ``box.image``, ``box.button``...
    """
    style = widgets.HTML(_PIXELATED, layout=widgets.Layout(display="none"))
    box = widgets.VBox([*children, style], layout=widgets.Layout(align_items="flex-start"))
    box.add_class("genlab-widget")
    box.add_class(f"genlab-{name}")
    for key, value in parts.items():
        setattr(box, key, value)
    return box


def row(children: Sequence[widgets.Widget], align: str = "center", gap: str = "12px"):
    """An ``HBox`` of ``children`` with ``gap`` between them (as right margins), aligned."""
    children = list(children)
    for child in children[:-1]:
        child.layout.margin = f"0 {gap} 0 0"
    return widgets.HBox(children, layout=widgets.Layout(align_items=align))


def float_slider(description: str, value: float, low: float, high: float, step: float, **kw):
    """A FloatSlider with the house layout (same description width everywhere)."""
    return widgets.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=kw.pop("continuous_update", True),
        readout_format=kw.pop("readout_format", ".2f"),
        style=DESCRIPTION_STYLE,
        layout=widgets.Layout(**SLIDER_LAYOUT),
        **kw,
    )


def image_widget(png: bytes = b"") -> widgets.Image:
    """An ``ipywidgets.Image`` for PNG bytes, shown at the PNG's own size (see :func:`show`)."""
    image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start"))
    if png:
        show(image, png)
    return image


def png_size(png: bytes) -> tuple[int, int]:
    """``(width, height)`` of PNG bytes, read from the IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        raise ValueError("png must be PNG bytes (starting with the PNG signature)")
    return struct.unpack(">II", png[16:24])


def show(image: widgets.Image, png: bytes, side: int | None = None) -> None:
    """Put ``png`` in ``image`` at its own size, or scaled so that its longer side is ``side``
    pixels (a constant display size, whatever the PNG's); never stretched by the layout."""
    w, h = png_size(png)
    if side is not None:
        f = side / max(w, h)
        w, h = round(w * f), round(h * f)
    image.value = png
    image.width, image.height = str(w), str(h)


@contextlib.contextmanager
def evaluating(model: torch.nn.Module):
    """Run in eval mode under ``no_grad``; restore the model's training flag afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def model_device(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and floating dtype of the model's first parameter (CPU float32 if it has none)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.device, p.dtype
    return torch.device("cpu"), torch.get_default_dtype()


def image_shape(model, name: str = "model") -> tuple[int, int]:
    """``(H, W)`` of the model's images; ValueError unless ``input_shape`` is an image."""
    shape = tuple(getattr(model, "input_shape", ()))
    ok = (len(shape) == 3 and shape[0] in (1, 3)) or len(shape) == 2
    if not ok:
        raise ValueError(
            f"{name} must generate images with input_shape (C, H, W) (C = 1 or 3) or (H, W); "
            f"got input_shape {shape}"
        )
    return shape[-2], shape[-1]


def latent_dims(name: str, dims, latent_dim: int, *, count: int | None = None) -> tuple[int, ...]:
    """Validate ``dims``: distinct latent indices in ``[0, latent_dim)`` (``None``: all)."""
    if dims is None:
        return tuple(range(latent_dim))
    if isinstance(dims, int) and not isinstance(dims, bool):
        dims = (dims,)
    try:
        out = tuple(dims)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of latent indices; got {type(dims).__name__} {dims!r}"
        ) from None
    bad = [
        d for d in out if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < latent_dim
    ]
    if bad or not out or len(set(out)) != len(out):
        raise ValueError(
            f"{name} must be distinct latent indices in 0..{latent_dim - 1} (latent_dim = "
            f"{latent_dim}); got {list(out)!r}"
        )
    if count is not None and len(out) != count:
        raise ValueError(f"{name} must name exactly {count} latent indices; got {list(out)!r}")
    return out


def one_input(name: str, x, input_shape: tuple[int, ...]) -> torch.Tensor:
    """``x`` of shape ``input_shape`` or ``(1, *input_shape)`` as a batch of one."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        got = f"{x.dtype} tensor" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a floating-point torch.Tensor; got {got}")
    if tuple(x.shape) == tuple(input_shape):
        return x.unsqueeze(0)
    if tuple(x.shape) == (1, *input_shape):
        return x
    raise ValueError(
        f"{name} must have shape {tuple(input_shape)} or (1, {', '.join(map(str, input_shape))}); "
        f"got {tuple(x.shape)}"
    )


def batch_input(name: str, x, input_shape: tuple[int, ...]) -> torch.Tensor:
    """``x`` of shape ``input_shape`` or ``(B, *input_shape)`` as a batch."""
    if isinstance(x, torch.Tensor) and x.is_floating_point() and x.dim() == len(input_shape) + 1:
        if tuple(x.shape[1:]) == tuple(input_shape) and len(x) > 0:
            return x
    try:
        return one_input(name, x, input_shape)
    except ValueError:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"{name} must be a floating-point tensor of shape {tuple(input_shape)} or "
            f"(B, {', '.join(map(str, input_shape))}); got {got}"
        ) from None


class Renderer:
    """PNG bytes of model images at a fixed scale and colormap (images: ``(B, *input_shape)``)."""

    def __init__(self, hw: tuple[int, int], scale: int | None, cmap: str, target: int = 192):
        self.scale = auto_scale(*hw, target=target) if scale is None else scale
        self.cmap = cmap

    def __call__(self, image) -> bytes:
        return to_png(image, scale=self.scale, cmap=self.cmap)


def measure_latency(control: widgets.ValueWidget, values: Iterable) -> dict[str, float]:
    """Seconds from setting ``control.value`` to the end of its (synchronous) observers.

    Setting a trait from Python runs the widget's observers before returning, so this is the
    time for one redraw (decode, PNG, state update) without the browser round trip. Returns
    ``{"median", "p95", "mean", "max", "n"}`` in seconds (``n``: how many changes were timed).
    """
    times = []
    for value in values:
        start = time.perf_counter()
        control.value = value
        times.append(time.perf_counter() - start)
    if not times:
        raise ValueError("values must hold at least one value to set")
    return {
        "median": statistics.median(times),
        "p95": sorted(times)[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "mean": statistics.fmean(times),
        "max": max(times),
        "n": float(len(times)),
    }
