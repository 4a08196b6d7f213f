"""The website's pieces that need no browser: stills of widgets, figure alt text, settings."""

from __future__ import annotations

import base64
import re

import ipywidgets as widgets
import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from genlab.site import stills  # noqa: E402
from genlab.site.build import page_sources, readme_page  # noqa: E402
from genlab.site.sphinx_conf import settings, theme_options  # noqa: E402
from genlab.widgets._image import to_png  # noqa: E402


def _images(html: str) -> list[tuple[bytes, str]]:
    found = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]*)"', html)
    return [(base64.b64decode(data), alt) for data, alt in found]


def test_widget_still_shows_the_widgets_own_drawing_and_values():
    import torch

    png = to_png(torch.linspace(0, 1, 64).reshape(8, 8), scale=4)
    image = widgets.Image(value=png, format="png")
    slider = widgets.FloatSlider(value=0.25, min=-3, max=3, description="z[0]")
    button = widgets.Button(description="Reset")
    readout = widgets.HTML("<svg><circle r='3'></circle></svg><b>ELBO = -3.14</b>")
    box = widgets.VBox([widgets.HBox([slider, button]), image, readout])
    box.add_class("genlab-widget")
    box.add_class("genlab-latent-explorer")
    box.image = image

    html = stills.widget_still(box)

    ((shown, alt),) = _images(html)
    assert shown == png  # the widget's own PNG bytes, not a re-rendering
    assert alt == "latent explorer widget: image, as the notebook first shows it"
    assert "z[0]" in html and "0.25" in html and "Reset" in html
    assert "<svg><circle" in html and "ELBO = -3.14" in html
    assert "<button" not in html  # nothing on the page looks clickable and does nothing
    caption = re.search(r"<figcaption[^>]*>(.*)</figcaption>", html).group(1)
    assert "Interactive in JupyterLab" in caption and stills.NOTEBOOK_PLACEHOLDER in caption


def test_widget_still_of_a_log_slider_gives_its_range_not_its_exponents():
    slider = widgets.FloatLogSlider(value=1e-3, base=10, min=-4, max=-1, description="lr")
    html = stills.widget_still(slider)
    assert "slider from 0.0001 to 0.1" in html


def test_widget_still_of_choices_and_output():
    choice = widgets.Dropdown(options=["sum", "mean"], value="mean", description="reduce")
    out = widgets.Output()
    out.outputs = ({"output_type": "stream", "name": "stdout", "text": "hello <world>"},)
    html = stills.widget_still(widgets.VBox([choice, out]))
    assert "mean" in html and "choices: sum, mean" in html
    assert "hello &lt;world&gt;" in html
    assert "VBox widget" in html


def test_figure_alt_comes_from_titles_and_labels():
    fig, (a, b) = plt.subplots(1, 2)
    fig.suptitle("ELBO and KL")
    a.set_title(r"$\log p(x)$ splits")
    a.set_xlabel("epoch")
    b.set_ylabel("nats")
    alt = stills.figure_alt(fig)
    plt.close(fig)
    assert alt == (
        r"Figure: ELBO and KL; panel 1: \log p(x) splits (x: epoch); panel 2: untitled (y: nats)"
    )
    bare, _ = plt.subplots()
    assert stills.figure_alt(bare) == "Figure with 1 untitled panel"
    plt.close(bare)


def test_figure_html_keeps_the_png():
    fig, ax = plt.subplots()
    ax.set_title("a line")
    html = stills.figure_html(fig, b"\x89PNG fake")
    plt.close(fig)
    ((data, alt),) = _images(html)
    assert data == b"\x89PNG fake" and alt == "Figure: a line"


@pytest.mark.parametrize("url", [None, ""])
def test_no_launch_or_repository_buttons_without_a_url(url):
    options = theme_options(url)
    assert "launch_buttons" not in options and "repository_url" not in options


def test_launch_buttons_from_the_repository_url():
    options = theme_options("https://github.com/someone/genlab.git")
    assert options["repository_url"] == "https://github.com/someone/genlab"
    assert options["use_repository_button"] is True
    assert set(options["launch_buttons"]) >= {"binderhub_url", "colab_url"}
    # Binder and Colab open GitHub repositories only: elsewhere, just the repository button.
    other = theme_options("https://gitlab.com/someone/genlab")
    assert "launch_buttons" not in other and other["use_repository_button"] is True


def test_widget_views_are_never_rendered():
    config = settings(repository_url=None, cache_path="cache")
    removed = {m for b, m, p in config["nb_mime_priority_overrides"] if b == "html" and p is None}
    assert "application/vnd.jupyter.widget-view+json" in removed
    assert config["nb_ipywidgets_js"] == {}
    assert not config["mathjax_path"].startswith(("http:", "https:", "//"))


def test_index_has_the_course_description_and_every_page(root):
    sources = page_sources(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    page = readme_page(readme, sources, root)
    assert page.startswith("# genlab")
    assert "## Syllabus" in page and "## Tests" not in page
    for source in sources:
        assert f"\n{source.parent.name}/{source.stem}\n" in page
    assert {p.parent.name for p in sources} == {"lectures", "exercises"}
    assert len(sources) == len(list((root / "lectures").glob("*.py"))) + len(
        list((root / "exercises").glob("*.py"))
    )
