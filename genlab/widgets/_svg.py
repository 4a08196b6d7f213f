"""Small SVG plots for live widgets: a frame costs a few milliseconds of string building.

A full matplotlib redraw of a multi-panel figure takes tens of milliseconds on a laptop CPU,
too slow for a training animation. :class:`SvgPlot` maps data coordinates to a pixel box and
emits lines, filled areas, points, an embedded PNG (heatmaps, with :meth:`SvgPlot.colorbar`)
and labelled axes; the browser renders the result. Coordinates are NumPy arrays; non-finite
points and points outside the x-range are dropped from lines, y is clipped to the box, and
every mark sits in a group clipped to the axes, so nothing is drawn across the tick labels.
Labels sit outside the data box (x label under the ticks, y label turned along the left edge,
legend above). Text and frames take JupyterLab's theme colours (CSS variables, see
:data:`genlab.palette.THEME`), so a panel is legible in the light and the dark theme.
"""

from __future__ import annotations

import base64
import html
import itertools
import math

import numpy as np

from genlab.palette import THEME

FONT_PX = 12  # 9 pt
FONT = f"font-family:sans-serif;font-size:{FONT_PX}px"
CHAR_PX = 0.6 * FONT_PX  # about the advance of one character of a sans-serif font
_ids = itertools.count()


def _thin(a: np.ndarray, pixels: float) -> np.ndarray:
    """Every k-th entry of ``a`` (and its last), at most about two per pixel of ``pixels``."""
    k = int(len(a) // max(2 * pixels, 1))
    return a if k <= 1 else np.concatenate([a[:-1:k], a[-1:]])


def _pairs(px: np.ndarray, py: np.ndarray, template: str = "%.1f,%.1f ") -> str:
    """``px[i], py[i]`` through ``template`` for every i, joined: one % over a flat tuple,
    several times faster than numpy's string functions."""
    xy = np.empty(2 * len(px))
    xy[0::2], xy[1::2] = px, py
    return (template * len(px) % tuple(xy.tolist())).rstrip()


def ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """About ``count`` round tick values in ``[low, high]`` (steps of 1, 2 or 5 x 10^k)."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return np.array([low]) if math.isfinite(low) else np.zeros(0)
    raw = span / max(count - 1, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = power * min((1, 2, 5, 10), key=lambda m: abs(m * power - raw))
    start = np.ceil(low / step - 1e-9) * step
    values = np.arange(start, high + step * 1e-9, step)
    decimals = max(0, -int(np.floor(np.log10(step))))
    return np.round(values, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def tick_label(value: float) -> str:
    """A tick value as short text: ``0`` not ``-0``, no float noise such as ``-2.22e-16``."""
    value = float(value)
    if abs(value) < 1e-12:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-")
    return f"{round(value, 6):g}"


def _style(**props: str) -> str:
    """A style attribute; CSS properties (unlike SVG attributes) accept ``var(--jp-...)``."""
    return ";".join(f"{k.replace('_', '-')}:{v}" for k, v in props.items())


class SvgPlot:
    """One panel: data box ``[x0, x1] x [y0, y1]`` drawn into ``width x height`` pixels.

    ``margin`` = (left, right, top, bottom) pixels around the data box: room for the tick
    labels and axis labels (left, bottom), the legend (top) and a colour bar (right).
    ``clip_id``: the id of the clip path (default: a fresh one per plot).
    """

    def __init__(
        self, width, height, xlim, ylim, *, title="", margin=(46, 10, 20, 34), clip_id=None
    ):
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = margin
        self.xlim, self.ylim = _limits("xlim", xlim), _limits("ylim", ylim)
        self.parts: list[str] = []  # clipped to the data box
        self.overlay: list[str] = []  # axes, labels, legend: outside the data box
        self.title = title
        # unique in the page; a live widget passes a stable one, so equal frames are equal text
        self.id = f"genlab-clip-{next(_ids)}" if clip_id is None else clip_id

    # -- coordinates -------------------------------------------------------------------------
    @property
    def box(self) -> tuple[float, float, float, float]:
        """The data box in pixels: ``(left, top, right, bottom)``."""
        return self.left, self.top, self.width - self.right, self.height - self.bottom

    def px(self, x) -> np.ndarray:
        (a, b), w = self.xlim, self.width - self.left - self.right
        return self.left + (np.asarray(x, dtype=np.float64) - a) / (b - a) * w

    def py(self, y) -> np.ndarray:
        (a, b), h = self.ylim, self.height - self.top - self.bottom
        return self.top + h - (np.asarray(y, dtype=np.float64) - a) / (b - a) * h

    def _points(self, x, y) -> str:
        px, py = self.px(x), self.py(y)
        ok = np.isfinite(px) & np.isfinite(py)
        py = np.clip(py, self.top, self.height - self.bottom)  # off-scale values on the frame
        w = self.width - self.left - self.right
        return _pairs(_thin(px[ok], w), _thin(py[ok], w))

    # -- marks (clipped to the data box) -----------------------------------------------------
    def line(self, x, y, color, width=1.6, dash=None, opacity=1.0, css_class="") -> SvgPlot:
        """A polyline; a non-finite ``y``, or an ``x`` outside ``xlim``, breaks it."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64).copy()
        lo, hi = self.xlim
        span = hi - lo
        y[(x < lo - 1e-9 * span) | (x > hi + 1e-9 * span)] = np.nan
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        extra += f' class="{css_class}"' if css_class else ""
        paint = _style(stroke=color)
        px, py = self.px(x), np.clip(self.py(y), self.top, self.height - self.bottom)
        finite = np.isfinite(px) & np.isfinite(py)
        # runs of finite points: [start, stop) pairs where the mask switches on and off
        edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
        for start, stop in edges.reshape(-1, 2):
            if stop - start < 2:
                continue
            w = self.width - self.left - self.right
            xs, ys = _thin(px[start:stop], w), _thin(py[start:stop], w)
            self.parts.append(
                f'<polyline points="{_pairs(xs, ys)}" fill="none" '
                f'style="{paint}" stroke-width="{width}" stroke-opacity="{opacity}"{extra}/>'
            )
        return self

    def hline(self, y: float, color, width=1.0, dash=None) -> SvgPlot:
        """A horizontal line across the whole box at data height ``y``."""
        return self.line(self.xlim, (y, y), color, width, dash)

    def area(self, x, y, color, opacity=0.35) -> SvgPlot:
        """The region between ``y`` and the bottom of the y-range."""
        x = np.asarray(x, dtype=np.float64)
        base = np.full(2, self.ylim[0])
        xs = np.concatenate([x[:1], x, x[-1:]])
        ys = np.concatenate([base[:1], np.asarray(y, dtype=np.float64), base[1:]])
        self.parts.append(
            f'<polygon points="{self._points(xs, ys)}" style="{_style(fill=color)}" '
            f'fill-opacity="{opacity}" stroke="none"/>'
        )
        return self

    def points(self, x, y, color, size=2.4, opacity=0.8, css_class="") -> SvgPlot:
        """A scatter of squares of side ``size`` pixels: one path, cheap for thousands."""
        px, py = self.px(x), self.py(y)
        ok = np.isfinite(px) & np.isfinite(py)
        px, py = px[ok] - size / 2, py[ok] - size / 2
        left, top, right, bottom = self.box
        inside = (px >= left) & (px + size <= right) & (py >= top) & (py + size <= bottom)
        if not inside.any():
            return self
        path = _pairs(px[inside], py[inside], f"M%.1f,%.1fh{size}v{size}h-{size}z")
        extra = f' class="{css_class}"' if css_class else ""
        self.parts.append(
            f'<path d="{path}" style="{_style(fill=color)}" fill-opacity="{opacity}"{extra}/>'
        )
        return self

    def image(self, png: bytes, opacity=1.0) -> SvgPlot:
        """A PNG over the whole data box (row 0 at the top), pixels kept sharp."""
        left, top, right, bottom = self.box
        data = base64.b64encode(png).decode("ascii")
        self.parts.append(
            f'<image x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
            f'preserveAspectRatio="none" opacity="{opacity}" style="image-rendering:pixelated" '
            f'href="data:image/png;base64,{data}"/>'
        )
        return self

    def marker(self, x: float, y: float, color, radius=5.0, css_class="") -> SvgPlot:
        """A ring at ``(x, y)`` (a current position), outlined so that it shows on any fill."""
        cx, cy = float(self.px(x)), float(self.py(y))
        extra = f' class="{css_class}"' if css_class else ""
        self.parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="none" '
            f'style="{_style(stroke=THEME["background"])}" stroke-width="4"/>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="none" '
            f'style="{_style(stroke=color)}" stroke-width="2"{extra}/>'
        )
        return self

    def rect(self, x0, y0, x1, y1, color, width=2.0) -> SvgPlot:
        """The outline of the data rectangle ``[x0, x1] x [y0, y1]``."""
        (a, b), (c, d) = self.px([x0, x1]), self.py([y1, y0])
        self.parts.append(
            f'<rect x="{a:.1f}" y="{c:.1f}" width="{b - a:.1f}" height="{d - c:.1f}" fill="none" '
            f'style="{_style(stroke=color)}" stroke-width="{width}"/>'
        )
        return self

    # -- text and guides (outside the data box) ----------------------------------------------
    def text(self, x_px: float, y_px: float, label: str, color=None, anchor="start", **kw):
        """Text at pixel ``(x_px, y_px)``; ``rotate`` degrees about that point; ``weight``."""
        color = THEME["text"] if color is None else color
        rotate = kw.get("rotate")
        transform = f' transform="rotate({rotate} {x_px:.1f} {y_px:.1f})"' if rotate else ""
        weight = ";font-weight:bold" if kw.get("bold") else ""
        target = self.parts if kw.get("inside") else self.overlay
        target.append(
            f'<text x="{x_px:.1f}" y="{y_px:.1f}" text-anchor="{anchor}"{transform} '
            f'style="{FONT};{_style(fill=color)}{weight}">{html.escape(label)}</text>'
        )
        return self

    def note(self, label: str, color=None, corner="top-left") -> SvgPlot:
        """Text in a corner inside the data box, on a backing of the page colour. ``color``
        frames the backing; the text keeps the theme's text colour, so that it reads at full
        contrast in both themes (a coloured text such as vermillion on white would not)."""
        left, top, right, bottom = self.box
        x = left + 6 if corner.endswith("left") else right - 6
        y = top + 16 if corner.startswith("top") else bottom - 8
        width = CHAR_PX * len(label) + 8
        x0 = x - 4 if corner.endswith("left") else x - width + 4
        self.parts.append(
            f'<rect x="{x0:.1f}" y="{y - FONT_PX:.1f}" width="{width:.1f}" '
            f'height="{FONT_PX + 5}" rx="3" style="{_style(fill=THEME["background"])}" '
            'fill-opacity="0.9"' + (f' stroke="{color}" stroke-width="1.5"/>' if color else "/>")
        )
        anchor = "start" if corner.endswith("left") else "end"
        return self.text(x, y, label, None, anchor, inside=True, bold=True)

    def legend(self, entries: list[tuple[str, str]], x_px: float | None = None) -> SvgPlot:
        """Colour swatches with labels in a row above the data box."""
        x = self.left if x_px is None else x_px
        y = self.top - 6
        for label, color in entries:
            self.overlay.append(
                f'<rect x="{x:.1f}" y="{y - 6:.1f}" width="12" height="4" '
                f'style="{_style(fill=color)}"/>'
            )
            self.text(x + 15, y, label)
            x += 24 + CHAR_PX * len(label)
        return self

    def colorbar(self, lut: np.ndarray, low: float, high: float, label: str) -> SvgPlot:
        """A vertical colour bar in the right margin for a ``(256, 3)`` uint8 lookup table."""
        from genlab.widgets._image import to_png

        _, top, right, bottom = self.box
        column = np.ascontiguousarray(lut[::-1][:, None, :].astype(np.float32) / 255.0)
        png = to_png(column, scale=1)
        x = right + 8
        data = base64.b64encode(png).decode("ascii")
        self.overlay.append(
            f'<image x="{x}" y="{top}" width="10" height="{bottom - top}" '
            'preserveAspectRatio="none" style="image-rendering:pixelated" '
            f'href="data:image/png;base64,{data}"/>'
            f'<rect x="{x}" y="{top}" width="10" height="{bottom - top}" fill="none" '
            f'style="{_style(stroke=THEME["frame"])}" stroke-width="0.8"/>'
        )
        h = bottom - top
        for value in ticks(low, high, count=3):
            p = bottom - (value - low) / (high - low) * h
            self.text(x + 13, p + 4, tick_label(value), THEME["muted"])
        self.text(x + 40, top + h / 2, label, rotate=90, anchor="middle")
        return self

    def axes(self, xlabel="", ylabel="", xticks=None, yticks=None) -> SvgPlot:
        """Frame, round ticks with labels that stay inside the SVG, and the axis labels."""
        left, top, right, bottom = self.box
        frame, muted = _style(stroke=THEME["frame"]), THEME["muted"]
        self.overlay.append(
            f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
            f'fill="none" style="{frame}" stroke-width="0.8"/>'
        )
        xt = ticks(*self.xlim) if xticks is None else np.asarray(xticks, dtype=np.float64)
        for t, p in zip(xt, self.px(xt), strict=True):
            label = tick_label(t)
            half = CHAR_PX * len(label) / 2
            anchor, at = "middle", p
            if p + half > self.width - 1:  # the last label would be cut: end it at the edge
                anchor, at = "end", self.width - 1
            elif p - half < 1:
                anchor, at = "start", 1
            self.overlay.append(
                f'<line x1="{p:.1f}" y1="{bottom}" x2="{p:.1f}" y2="{bottom + 4}" style="{frame}"/>'
            )
            self.text(at, bottom + 4 + FONT_PX, label, muted, anchor)
        yt = ticks(*self.ylim, count=4) if yticks is None else np.asarray(yticks, np.float64)
        for t, p in zip(yt, self.py(yt), strict=True):
            self.overlay.append(
                f'<line x1="{left - 4}" y1="{p:.1f}" x2="{left}" y2="{p:.1f}" style="{frame}"/>'
            )
            self.text(left - 6, p + FONT_PX / 3, tick_label(t), muted, "end")
        if xlabel:
            self.text((left + right) / 2, self.height - 3, xlabel, anchor="middle")
        if ylabel:
            self.text(FONT_PX, (top + bottom) / 2, ylabel, anchor="middle", rotate=-90)
        if self.title:
            self.text(left, FONT_PX, self.title, bold=True)
        return self

    def svg(self, css_class: str = "genlab-svg") -> str:
        left, top, right, bottom = self.box
        clip = (
            f'<clipPath id="{self.id}"><rect x="{left}" y="{top}" width="{right - left}" '
            f'height="{bottom - top}"/></clipPath>'
        )
        marks = "".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
            f'data-box="{left} {top} {right} {bottom}" style="overflow:hidden">'
            f'<defs>{clip}</defs><g class="genlab-marks" clip-path="url(#{self.id})">{marks}</g>'
            f"{''.join(self.overlay)}</svg>"
        )


def _limits(name: str, limits) -> tuple[float, float]:
    """``(low, high)`` as floats with ``high > low`` (an empty or flat range becomes 0..1 wide)."""
    low, high = float(limits[0]), float(limits[1])
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} must be two finite numbers; got {tuple(limits)!r}")
    if not high > low:
        low, high = (low - 0.5, low + 0.5) if high == low else (high, low)
    return low, high
