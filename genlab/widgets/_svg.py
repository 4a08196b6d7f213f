"""Small SVG plots for live widgets: a frame costs a few milliseconds of string building.

A full matplotlib redraw of a multi-panel figure takes tens of milliseconds on a laptop CPU,
too slow for a training animation. :class:`SvgPlot` maps data coordinates to a pixel box and
emits lines, filled areas, points, an embedded PNG (heatmaps) and labelled axes; the browser
renders the result. Coordinates are NumPy arrays; non-finite points are dropped from lines.
"""

from __future__ import annotations

import base64
import html

import numpy as np

FONT = "font-family:sans-serif;font-size:11px"


def _fmt(values: np.ndarray) -> np.ndarray:
    return np.char.mod("%.1f", np.asarray(values, dtype=np.float64))


def ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """About ``count`` round tick values in ``[low, high]`` (steps of 1, 2 or 5 x 10^k)."""
    span = high - low
    if not span > 0:
        return np.array([low])
    raw = span / max(count - 1, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = power * min((1, 2, 5, 10), key=lambda m: abs(m * power - raw))
    start = np.ceil(low / step) * step
    return np.arange(start, high + step * 1e-9, step)


class SvgPlot:
    """One panel: data box ``[x0, x1] x [y0, y1]`` drawn into ``width x height`` pixels."""

    def __init__(self, width, height, xlim, ylim, *, title="", margin=(34, 8, 18, 22)):
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = margin
        self.xlim, self.ylim = (float(xlim[0]), float(xlim[1])), (float(ylim[0]), float(ylim[1]))
        self.parts: list[str] = []
        self.title = title

    # -- coordinates -------------------------------------------------------------------------
    def px(self, x) -> np.ndarray:
        (a, b), w = self.xlim, self.width - self.left - self.right
        return self.left + (np.asarray(x, dtype=np.float64) - a) / (b - a) * w

    def py(self, y) -> np.ndarray:
        (a, b), h = self.ylim, self.height - self.top - self.bottom
        return self.top + h - (np.asarray(y, dtype=np.float64) - a) / (b - a) * h

    def _points(self, x, y) -> str:
        px, py = self.px(x), self.py(y)
        ok = np.isfinite(px) & np.isfinite(py)
        top, bottom = self.top - 2.0, self.height - self.bottom + 2.0
        py = np.clip(py, top, bottom)  # off-scale values sit on the frame, not outside it
        xs, ys = _fmt(px[ok]), _fmt(py[ok])
        return " ".join(np.char.add(np.char.add(xs, ","), ys))

    # -- marks ---------------------------------------------------------------------------------
    def line(self, x, y, color, width=1.6, dash=None, opacity=1.0) -> SvgPlot:
        """A polyline; a non-finite ``y`` breaks it into separate pieces."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        breaks = np.flatnonzero(~np.isfinite(y))
        for piece_x, piece_y in zip(np.split(x, breaks), np.split(y, breaks), strict=True):
            if np.isfinite(piece_y).sum() < 2:
                continue
            self.parts.append(
                f'<polyline points="{self._points(piece_x, piece_y)}" fill="none" '
                f'stroke="{color}" stroke-width="{width}" stroke-opacity="{opacity}"{extra}/>'
            )
        return self

    def area(self, x, y, color, opacity=0.35) -> SvgPlot:
        """The region between ``y`` and the bottom of the y-range."""
        x = np.asarray(x, dtype=np.float64)
        base = np.full(2, self.ylim[0])
        xs = np.concatenate([x[:1], x, x[-1:]])
        ys = np.concatenate([base[:1], np.asarray(y, dtype=np.float64), base[1:]])
        self.parts.append(
            f'<polygon points="{self._points(xs, ys)}" fill="{color}" fill-opacity="{opacity}" '
            'stroke="none"/>'
        )
        return self

    def points(self, x, y, color, size=2.4, opacity=0.8) -> SvgPlot:
        """A scatter of squares of side ``size`` pixels: one path, cheap for thousands."""
        px, py = self.px(x), self.py(y)
        ok = np.isfinite(px) & np.isfinite(py)
        px, py = px[ok] - size / 2, py[ok] - size / 2
        inside = (px > self.left - size) & (px < self.width - self.right)
        inside &= (py > self.top - size) & (py < self.height - self.bottom)
        xs, ys = _fmt(px[inside]), _fmt(py[inside])
        moves = np.char.add(np.char.add(np.char.add("M", xs), ","), ys)
        path = f"h{size}v{size}h-{size}z".join(moves) + (
            f"h{size}v{size}h-{size}z" if len(xs) else ""
        )
        self.parts.append(f'<path d="{path}" fill="{color}" fill-opacity="{opacity}"/>')
        return self

    def image(self, png: bytes, opacity=1.0) -> SvgPlot:
        """A PNG stretched over the whole data box (row 0 at the top, as images are)."""
        x0, x1 = self.px(self.xlim)
        y1, y0 = self.py(self.ylim)
        data = base64.b64encode(png).decode("ascii")
        self.parts.append(
            f'<image x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            f'preserveAspectRatio="none" opacity="{opacity}" style="image-rendering:pixelated" '
            f'href="data:image/png;base64,{data}"/>'
        )
        return self

    def text(self, x_px: float, y_px: float, label: str, color="#333", anchor="start"):
        self.parts.append(
            f'<text x="{x_px:.1f}" y="{y_px:.1f}" fill="{color}" text-anchor="{anchor}" '
            f'style="{FONT}">{html.escape(label)}</text>'
        )
        return self

    def legend(self, entries: list[tuple[str, str]], x_px: float | None = None) -> SvgPlot:
        """Colour swatches with labels in a row along the top of the panel."""
        x = self.left + 4 if x_px is None else x_px
        for label, color in entries:
            self.parts.append(
                f'<rect x="{x:.1f}" y="{self.top - 13:.1f}" width="10" height="3" fill="{color}"/>'
            )
            self.text(x + 13, self.top - 9, label)
            x += 18 + 6.2 * len(label)
        return self

    def axes(self, xlabel="", ylabel="", xticks=None, yticks=None) -> SvgPlot:
        left, right = self.left, self.width - self.right
        top, bottom = self.top, self.height - self.bottom
        self.parts.append(
            f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
            'fill="none" stroke="#999" stroke-width="0.8"/>'
        )
        xt = ticks(*self.xlim) if xticks is None else np.asarray(xticks)
        for t, p in zip(xt, self.px(xt), strict=True):
            self.parts.append(
                f'<line x1="{p:.1f}" y1="{bottom}" x2="{p:.1f}" y2="{bottom + 3}" stroke="#999"/>'
            )
            self.text(p, bottom + 13, f"{t:g}", "#666", "middle")
        yt = ticks(*self.ylim, count=4) if yticks is None else np.asarray(yticks)
        for t, p in zip(yt, self.py(yt), strict=True):
            self.parts.append(
                f'<line x1="{left - 3}" y1="{p:.1f}" x2="{left}" y2="{p:.1f}" stroke="#999"/>'
            )
            self.text(left - 5, p + 3.5, f"{t:g}", "#666", "end")
        if xlabel:
            self.text(right, bottom - 4, xlabel, "#666", "end")
        if ylabel:
            self.text(left + 4, top + 12, ylabel, "#666")
        if self.title:
            self.text(left, top - 16 if top > 20 else 10, self.title, "#222")
        return self

    def svg(self) -> str:
        body = "".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}">{body}</svg>'
        )
