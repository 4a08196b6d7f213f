"""Static HTML for outputs that need a kernel: widgets as captioned stills, figures with alt text.

A website has no kernel, so an ipywidget output would show "Error displaying widget" or an
empty box. While the site is built, :func:`install` registers two display formatters in each
notebook's kernel (through an IPython startup file, see :mod:`genlab.site.build`):

- a widget gains a ``text/html`` still of its state when it is displayed, drawn from the
  widget's own parts (the PNG bytes of its ``Image`` children, the SVG and HTML of its
  ``HTML`` children, the values of its controls), with a caption saying that it is
  interactive in JupyterLab and how to open it;
- a matplotlib figure gains a ``text/html`` ``<img>`` whose alt text is the figure's title,
  panel titles and axis labels (never ``<Figure size 640x480 with 1 Axes>``).

The notebooks themselves are not changed, and outside a site build nothing is registered.
"""

from __future__ import annotations

import base64
import html
import re

# Replaced by the page's notebook path (``lectures/03_gaussian_vae.ipynb``) when Sphinx
# writes the page (see genlab.site.sphinx_conf); the kernel does not know its notebook's name.
NOTEBOOK_PLACEHOLDER = "GENLAB-SITE-NOTEBOOK-PATH"

_BOXES = ("Box", "VBox", "HBox", "GridBox")
_CHOICES = ("Dropdown", "RadioButtons", "ToggleButtons", "Select", "SelectionSlider")


def _text(value) -> str:
    return html.escape(str(value), quote=True)


def _plain(value: str) -> str:
    """Text for alt attributes: tags and TeX dollars dropped, whitespace collapsed."""
    value = re.sub(r"<[^>]+>", " ", str(value)).replace("$", "")
    return " ".join(value.split())


def _png_src(data: bytes, fmt: str = "png") -> str:
    return f"data:image/{fmt};base64,{base64.b64encode(bytes(data)).decode('ascii')}"


def _human(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").strip()


def widget_name(widget) -> str:
    """The widget's human name from its ``genlab-<name>`` class, else its type."""
    for cls in getattr(widget, "_dom_classes", ()):
        if cls.startswith("genlab-") and cls != "genlab-widget":
            return _human(cls[len("genlab-") :])
    return _human(type(widget).__name__)


def _part_names(widget) -> dict[int, str]:
    """``id(child) -> attribute name`` for the named parts of a genlab panel."""
    names = {}
    for key, value in vars(widget).items():
        if key.startswith("_"):
            continue
        for item in value if isinstance(value, tuple | list) else (value,):
            if hasattr(item, "_model_name"):
                names.setdefault(id(item), _human(key))
    return names


def _control(label: str, value: str, detail: str = "") -> str:
    detail = f' <span class="genlab-still-detail">{_text(detail)}</span>' if detail else ""
    label = f'<span class="genlab-still-label">{_text(label)}</span> ' if label else ""
    return (
        f'<div class="genlab-still-control">{label}'
        f'<span class="genlab-still-value">{_text(value)}</span>{detail}</div>'
    )


def _number(value, fmt: str | None) -> str:
    if fmt:
        try:
            return format(value, fmt.lstrip(":"))
        except (TypeError, ValueError):
            pass
    return str(value)


class _Still:
    """Walks a widget tree and writes static HTML; counts the images for alt text."""

    def __init__(self, title: str, parts: dict[int, str]):
        self.title, self.parts, self.images = title, parts, 0

    def alt(self, widget) -> str:
        self.images += 1
        part = self.parts.get(id(widget))
        what = part if part else f"image {self.images}"
        return f"{self.title} widget: {what}, as the notebook first shows it"

    def render(self, widget) -> str:  # noqa: C901 (one branch per widget kind)
        kind = type(widget).__name__
        model = getattr(widget, "_model_name", "")
        description = getattr(widget, "description", "") or ""
        if kind in _BOXES or model in {"VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel"}:
            direction = "row" if "HBox" in model else "column"
            inner = "".join(self.render(child) for child in widget.children)
            return f'<div class="genlab-still-box genlab-still-{direction}">{inner}</div>'
        if model in {"TabModel", "AccordionModel", "StackModel"}:
            titles = list(getattr(widget, "titles", ()) or ())
            out = []
            for i, child in enumerate(widget.children):
                title = titles[i] if i < len(titles) and titles[i] else f"part {i + 1}"
                out.append(
                    f'<div class="genlab-still-tab"><div class="genlab-still-label">'
                    f"{_text(title)}</div>{self.render(child)}</div>"
                )
            return "".join(out)
        if model == "ImageModel":
            if not widget.value:
                return ""
            fmt = getattr(widget, "format", "png") or "png"
            size = "".join(
                f' {attr}="{_text(getattr(widget, attr))}"'
                for attr in ("width", "height")
                if getattr(widget, attr, "")
            )
            return (
                f'<img class="genlab-still-image" src="{_png_src(widget.value, fmt)}"'
                f' alt="{_text(self.alt(widget))}"{size}>'
            )
        if model in {"HTMLModel", "HTMLMathModel", "LabelModel"}:
            body = widget.value if model != "LabelModel" else _text(widget.value)
            label = f'<span class="genlab-still-label">{_text(description)}</span> ' * bool(
                description
            )
            return f'<div class="genlab-still-html">{label}{body}</div>'
        if model in {"FloatSliderModel", "IntSliderModel", "FloatLogSliderModel"}:
            fmt = getattr(widget, "readout_format", None)
            value = _number(widget.value, fmt)
            low, high = widget.min, widget.max
            if model == "FloatLogSliderModel":  # its min and max are exponents of its base
                low, high = widget.base**low, widget.base**high
            span = f"slider from {_number(low, fmt)} to {_number(high, fmt)}"
            return _control(description, value, span)
        if model in {"FloatRangeSliderModel", "IntRangeSliderModel"}:
            low, high = widget.value
            return _control(description, f"{low} to {high}", "range slider")
        if model in {"ButtonModel"}:
            label = description or getattr(widget, "tooltip", "") or "button"
            return f'<span class="genlab-still-button">{_text(label)}</span>'
        if model in {"ToggleButtonModel", "CheckboxModel"}:
            mark = "on" if widget.value else "off"
            return _control(description, mark, "switch")
        if kind in _CHOICES or model.replace("Model", "") in _CHOICES:
            labels = [str(x) for x in getattr(widget, "_options_labels", ())]
            chosen = getattr(widget, "label", None)
            shown = chosen if chosen is not None else "(nothing chosen)"
            detail = f"choices: {', '.join(labels)}" if labels else ""
            return _control(description, shown, detail)
        if model == "OutputModel":
            return "".join(_output_html(o, self) for o in widget.outputs)
        if model == "PlayModel":
            return '<span class="genlab-still-button">Play</span>'
        value = getattr(widget, "value", None)
        if value is not None and not isinstance(value, bytes):
            return _control(description, str(value))
        return ""


def _output_html(output: dict, still: _Still) -> str:
    """One captured output of an ``Output`` widget as HTML."""
    if output.get("output_type") == "stream":
        return f'<pre class="genlab-still-stream">{_text(output.get("text", ""))}</pre>'
    data = output.get("data", {})
    if "text/html" in data:
        return data["text/html"]
    for fmt in ("png", "jpeg"):
        if f"image/{fmt}" in data:
            still.images += 1
            alt = _plain(data.get("text/plain", "")) or f"{still.title}: output {still.images}"
            return f'<img src="data:image/{fmt};base64,{data[f"image/{fmt}"]}" alt="{_text(alt)}">'
    if "text/plain" in data:
        return f'<pre class="genlab-still-stream">{_text(data["text/plain"])}</pre>'
    return ""


def widget_still(widget) -> str:
    """A ``<figure>`` with a still of ``widget`` as displayed now, and a caption."""
    title = widget_name(widget)
    still = _Still(title, _part_names(widget))
    body = still.render(widget)
    caption = (
        f"<strong>Interactive in JupyterLab.</strong> This is a still of the {_text(title)} "
        "widget as the notebook first shows it; its controls do nothing on this page. To use "
        "it, open "
        f"<code>{NOTEBOOK_PLACEHOLDER}</code> in JupyterLab (<code>jupyter lab "
        f"{NOTEBOOK_PLACEHOLDER}</code> in the course folder) and run the notebook."
    )
    return (
        f'<figure class="genlab-still" aria-label="Still of the {_text(title)} widget">'
        f'<div class="genlab-still-body">{body}</div>'
        f'<figcaption class="genlab-still-caption">{caption}</figcaption></figure>'
    )


def figure_alt(fig) -> str:
    """Alt text of a matplotlib figure: its title, each panel's title and axis labels."""
    parts = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        parts.append(_plain(suptitle.get_text()))
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    for i, ax in enumerate(axes, 1):
        title = " ".join(
            _plain(ax.get_title(loc)) for loc in ("left", "center", "right") if ax.get_title(loc)
        )
        labels = [
            f"{axis}: {_plain(text)}"
            for axis, text in (("x", ax.get_xlabel()), ("y", ax.get_ylabel()))
            if text.strip()
        ]
        if not title and not labels:
            continue
        where = f"panel {i}: " if len(axes) > 1 else ""
        detail = f" ({', '.join(labels)})" if labels else ""
        parts.append(f"{where}{title or 'untitled'}{detail}")
    if not parts:
        return f"Figure with {len(axes)} untitled panel{'s' * (len(axes) != 1)}"
    return "Figure: " + "; ".join(parts)


def figure_html(fig, png: bytes) -> str:
    """The figure as an ``<img>`` with its alt text (the PNG is the inline backend's own)."""
    return f'<img class="genlab-figure" src="{_png_src(png)}" alt="{_text(figure_alt(fig))}">'


def install(ip=None) -> None:
    """Register the widget and figure formatters in the running IPython kernel."""
    if ip is None:
        from IPython import get_ipython

        ip = get_ipython()
    if ip is None:
        return
    formatter = ip.display_formatter
    try:
        import ipywidgets

        def widget_bundle(widget):
            data = widget._repr_mimebundle_() or {}
            if isinstance(data, tuple):
                data = data[0]
            return {**data, "text/html": widget_still(widget)}

        formatter.mimebundle_formatter.for_type(ipywidgets.DOMWidget, widget_bundle)
    except ImportError:
        pass
    try:
        from matplotlib.figure import Figure

        png_formatter = formatter.formatters["image/png"]

        def figure_bundle(fig):
            png = png_formatter(fig)
            if isinstance(png, tuple):
                png = png[0]
            if not png:
                return {}
            if isinstance(png, str):
                png = base64.b64decode(png)
            return {"text/plain": figure_alt(fig), "text/html": figure_html(fig, png)}

        formatter.mimebundle_formatter.for_type(Figure, figure_bundle)
    except ImportError:
        pass
