"""Self-contained HTML pages for the grading reports: one page shell, tables and inline SVG bar
charts in the course's colour-blind-safe palette (:mod:`genlab.palette`).

A page has no script and loads nothing: it opens offline. Its colours follow the reader's
light or dark preference (``prefers-color-scheme``); charts draw their text and axes in
``currentColor`` and their bars in the Okabe-Ito colours, and every chart has a ``<title>``
and an ``aria-label`` (its alt text).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from genlab import palette

__all__ = ["bar_chart", "esc", "page", "table"]

_CSS = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #212121; --muted: #555555;
  --rule: #d0d0d0; --panel: #f5f5f5; --link: #0060a0; --flag: #a04000; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #111418; --fg: #e8e8e8; --muted: #b0b0b0; --rule: #3a3f45;
    --panel: #1c2128; --link: #7cc4f4; --flag: #f0a060; } }
body { background: var(--bg); color: var(--fg); margin: 0 auto; max-width: 72rem;
  padding: 1.2rem 1.5rem 3rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
a { color: var(--link); }
p.lead { color: var(--muted); margin-top: 0; }
.note { background: var(--panel); border-left: 4px solid var(--flag); padding: 0.5rem 0.8rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.25rem 0.6rem; text-align: left;
  vertical-align: top; }
th { background: var(--panel); }
td.num, th.num { text-align: right; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(21rem, 1fr));
  gap: 0.4rem 1.5rem; }
.card { background: var(--panel); border-radius: 6px; padding: 0.5rem 0.8rem; min-width: 0; }
.card table { width: 100%; table-layout: fixed; }
.card th:last-child { width: 4.5rem; }
.card td { overflow-wrap: break-word; }
small.kind { color: var(--muted); }
.card h3 { margin-top: 0.2rem; }
figure { margin: 0.3rem 0; }
svg text { fill: currentColor; font-size: 12px; }
svg .bar { fill: BLUE; } svg .bar.mistake { fill: VERMILLION; }
@media (prefers-color-scheme: dark) { svg .bar { fill: SKY_BLUE; } }
svg .axis { stroke: currentColor; stroke-opacity: 0.6; }
pre { background: var(--panel); padding: 0.5rem; overflow-x: auto; font-size: 13px; }
pre .add { color: var(--link); } pre .del { color: var(--flag); }
details { margin: 0.3rem 0; } summary { cursor: pointer; }
code { font-size: 0.92em; }
"""
CSS = (
    _CSS.replace("SKY_BLUE", palette.SKY_BLUE)
    .replace("BLUE", palette.BLUE)
    .replace("VERMILLION", palette.VERMILLION)
)


def esc(text: object) -> str:
    """HTML-escaped text (quotes too)."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A whole HTML document: the shared style and ``body`` (already HTML)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def table(head: Sequence[str], rows: Sequence[Sequence[object]], numeric=()) -> str:
    """An HTML table; cells are escaped unless given as ``("html", text)``; columns whose index
    is in ``numeric`` are right-aligned."""

    def cell(tag: str, i: int, value) -> str:
        cls = ' class="num"' if i in numeric else ""
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "html":
            return f"<{tag}{cls}>{value[1]}</{tag}>"
        return f"<{tag}{cls}>{esc(value)}</{tag}>"

    top = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    alt: str,
    xlabel: str = "",
    ylabel: str = "",
    mistakes: bool = False,
    width: int = 320,
    height: int = 150,
) -> str:
    """A vertical bar chart as inline SVG, with ``alt`` as its title and aria-label; each
    bar's value is written above it and its label below. Bars are blue (sky blue on a dark
    page), or vermillion for ``mistakes``."""
    if len(labels) != len(values):
        raise ValueError(
            f"labels and values must have the same length; got {len(labels)} and {len(values)}"
        )
    left, right, top, bottom = 34, 6, 14, 34 if xlabel else 20
    inner_w, inner_h = width - left - right, height - top - bottom
    top_value = max([float(v) for v in values] + [1e-12])
    n = max(1, len(values))
    step = inner_w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{esc(alt)}"><title>{esc(alt)}</title>',
        f'<line class="axis" x1="{left}" y1="{top + inner_h}" x2="{width - right}" '
        f'y2="{top + inner_h}"/>',
    ]
    cls = "bar mistake" if mistakes else "bar"
    every = max(1, round(n / 12))  # at most about 12 labels under the bars
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = inner_h * float(value) / top_value
        w = min(step * 0.76, 44.0)
        x = left + i * step + (step - w) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{top + inner_h - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'class="{cls}"><title>{esc(label)}: {esc(_num(value))}</title></rect>'
        )
        if value and n <= 16:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{top + inner_h - h - 3:.1f}" '
                f'text-anchor="middle">{esc(_num(value))}</text>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{top + inner_h + 13:.1f}" '
                f'text-anchor="middle">{esc(label)}</text>'
            )
    if xlabel:
        parts.append(
            f'<text x="{left + inner_w / 2:.1f}" y="{height - 3}" text-anchor="middle">'
            f"{esc(xlabel)}</text>"
        )
    if ylabel:
        parts.append(
            f'<text x="10" y="{top + inner_h / 2:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 10 {top + inner_h / 2:.1f})">{esc(ylabel)}</text>'
        )
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}</figure>"


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
