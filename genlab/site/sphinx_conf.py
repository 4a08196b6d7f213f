"""Sphinx settings of the course website (the staged ``conf.py`` calls :func:`settings`).

Sphinx + myst-nb + sphinx-book-theme, all from PyPI, nothing fetched while building or
reading: MathJax is served from the site's ``_static/mathjax`` (copied from the
``sphinx-mathjax-offline`` package), ipywidgets' JavaScript (from a CDN) is never loaded, and
widget outputs are shown as the stills of :mod:`genlab.site.stills`.
"""

from __future__ import annotations

import re

from genlab.site.stills import NOTEBOOK_PLACEHOLDER

MATHJAX_SCRIPT = "mathjax/tex-chtml-full.js"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# A plain mark, so that browsers do not ask for /favicon.ico and log a 404.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0072b2"/>'
    '<text x="8" y="12" font-size="11" text-anchor="middle" fill="#fff" '
    'font-family="sans-serif">g</text></svg>\n'
)

# Colours meet WCAG AA on the theme's light and dark backgrounds; stills and figures sit on
# white cards so that their own (light-theme) colours stay readable in the dark theme.
CSS = """
.genlab-still { margin: 0; border: 1px solid #767676; border-radius: 6px; overflow: hidden;
  background: #fff; color: #1a1a1a; }
.genlab-still-body { padding: 10px 12px; overflow-x: auto; }
.genlab-still code { color: #1a1a1a; background: #eee; border: none; }
.genlab-still-body a { color: #0b57a4; }
.genlab-still-row { display: flex; flex-direction: row; flex-wrap: wrap; gap: 12px;
  align-items: flex-start; }
.genlab-still-column { display: flex; flex-direction: column; gap: 4px;
  align-items: flex-start; }
.genlab-still-control { font-size: 90%; }
.genlab-still-label { font-weight: 600; margin-right: .3em; }
.genlab-still-value { font-family: var(--pst-font-family-monospace); }
.genlab-still-detail { color: #4d4d4d; }
.genlab-still-button { display: inline-block; border: 1px solid #767676; border-radius: 3px;
  padding: 1px 10px; background: #eee; color: #1a1a1a; font-size: 90%; }
.genlab-still-stream { background: #f5f5f5; color: #1a1a1a; }
.genlab-still-caption { padding: 6px 12px; font-size: 90%; color: #1a1a1a; background: #f3f3f3;
  border-top: 1px solid #ccc; text-align: left; }
.genlab-still-image { image-rendering: pixelated; }
.bd-content img.genlab-figure, .bd-content .genlab-still-body img {
  background: #fff; max-width: 100%; height: auto; filter: none; }
"""

# Copy buttons: sphinx-copybutton's button carries only a tooltip; give it a name once
# they exist (it adds them when the document is loaded).
JS = """
window.addEventListener("load", () => {
  for (const button of document.querySelectorAll("button.copybtn")) {
    if (!button.getAttribute("aria-label")) button.setAttribute("aria-label", "Copy code");
  }
});
// The theme's course title at the top of the sidebar sits outside every landmark (axe:
// region); it is the site's home link, so it becomes a labelled region of its own.
document.addEventListener("DOMContentLoaded", () => {
  const brand = document.querySelector(".sidebar-primary-items__start > .sidebar-primary-item");
  if (brand && !brand.closest("nav, header, main, aside, footer, [role]")) {
    brand.setAttribute("role", "region");
    brand.setAttribute("aria-label", "Course home");
  }
});
"""

_NOTEBOOK_LINK = re.compile(r'href="(?![a-z]+:|/)([^"#?]+)\.ipynb(#[^"]*)?"')
_GITHUB = re.compile(r"^https://github\.com/[^/\s]+/[^/\s]+?(?:\.git)?/?$")


def theme_options(repository_url: str | None, branch: str = "main") -> dict:
    """sphinx-book-theme options; launch buttons only when ``repository_url`` is set.

    Binder and Colab open notebooks from GitHub, so their buttons need a GitHub URL; any other
    URL only gets the repository button. With no URL there are no such buttons at all.
    """
    options = {
        "home_page_in_toc": True,
        "show_toc_level": 2,
        "use_download_button": True,
        "use_fullscreen_button": False,
        "navigation_with_keys": False,
    }
    if not repository_url:
        return options
    options.update(
        repository_url=repository_url.rstrip("/").removesuffix(".git"),
        repository_branch=branch,
        path_to_docs="",
        use_repository_button=True,
    )
    if _GITHUB.match(repository_url):
        options["launch_buttons"] = {
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
            "notebook_interface": "jupyterlab",
        }
    return options


def settings(
    *,
    repository_url: str | None,
    cache_path: str,
    timeout: int = 600,
    branch: str = "main",
) -> dict:
    """The ``conf.py`` values."""
    return {
        "project": "genlab",
        "author": "the genlab authors",
        "extensions": ["myst_nb", "sphinx_copybutton"],
        "exclude_patterns": ["_build", "**.ipynb_checkpoints", "_ipython"],
        "html_theme": "sphinx_book_theme",
        "html_title": "genlab: VAEs and GANs, hands on",
        "html_theme_options": theme_options(repository_url, branch),
        "html_static_path": ["_static"],
        "html_css_files": ["genlab-site.css"],
        "html_js_files": ["genlab-site.js"],
        "html_favicon": "_static/favicon.svg",
        "html_last_updated_fmt": None,
        "html_show_sphinx": False,
        "mathjax_path": MATHJAX_SCRIPT,
        "myst_enable_extensions": ["dollarmath", "amsmath"],
        "myst_heading_anchors": 3,
        "myst_dmath_double_inline": True,  # $$...$$ inside a sentence or a list item
        # Markdown that cells display (tables with math) is read as MyST, so its math renders.
        "nb_render_markdown_format": "myst",
        # Execution: lectures run once per change of their source, cached with jupyter-cache;
        # exercises are pages of questions, not run.
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": cache_path,
        "nb_execution_excludepatterns": ["exercises/*"],
        "nb_execution_timeout": timeout,
        "nb_execution_raise_on_error": True,
        "nb_execution_show_tb": True,
        "nb_execution_in_temp": True,
        # Widgets: the still (text/html), never the widget view that would need a kernel.
        "nb_mime_priority_overrides": [
            ("html", "application/vnd.jupyter.widget-view+json", None),
            ("html", "application/vnd.jupyter.widget-state+json", None),
        ],
        "nb_ipywidgets_js": {},
        "nb_merge_streams": True,
        "copybutton_exclude": ".linenos, .gp",
        "suppress_warnings": ["mystnb.unknown_mime_type"],
    }


def _notebook_path(app, pagename, templatename, context, doctree) -> None:
    """Put the page's notebook path into the stills' captions."""
    body = context.get("body")
    if body and NOTEBOOK_PLACEHOLDER in body:
        body = body.replace(NOTEBOOK_PLACEHOLDER, f"{pagename}.ipynb")
    if body:
        # Links that notebook outputs make to other notebooks lead to their pages here.
        body = _NOTEBOOK_LINK.sub(r'href="\1.html\2"', body)
        context["body"] = body


def _no_widget_state(app, pagename, templatename, context, doctree) -> None:
    """Drop the widget state myst-nb embeds (megabytes of PNGs no page can use)."""
    scripts = context.get("script_files")
    if scripts:
        scripts[:] = [
            js
            for js in scripts
            if getattr(js, "attributes", {}).get("type") != WIDGET_STATE
            and "widget-state" not in str(js)
        ]


def setup(app) -> None:
    app.connect("html-page-context", _notebook_path)
    app.connect("html-page-context", _no_widget_state, priority=900)  # after myst-nb's
