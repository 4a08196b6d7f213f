"""The course as a website: executed lectures and exercise pages, offline and accessible.

``genlab site build --out DIR`` (or :func:`build`) stages ``lectures/`` and ``exercises/``
with the README's course description, executes the lectures (cached with jupyter-cache) and
writes a static Sphinx site (myst-nb, sphinx-book-theme) that needs no network to read.
"""

from genlab.site.build import BuildResult, build, page_sources

__all__ = ["BuildResult", "build", "page_sources"]
