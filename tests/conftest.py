import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    """The repository root."""
    return ROOT


def pytest_addoption(parser):
    parser.addoption(
        "--no-browser",
        action="store_true",
        default=False,
        help="skip the browser tests (JupyterLab in headless Chromium)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs JupyterLab in headless Chromium")


def _site_build_runs(items) -> bool:
    """Whether this session builds the course website, which executes every lecture."""
    import importlib.util
    import os

    site_items = [i for i in items if i.nodeid.startswith("tests/browser/test_site.py::")]
    if not site_items or os.environ.get("GENLAB_SITE_BUILT"):
        return False
    if any(m.name == "skip" for m in site_items[0].iter_markers()):
        return False  # no browser, or --no-browser
    needed = ("sphinx", "myst_nb", "sphinx_book_theme", "jupyter_cache")
    return all(importlib.util.find_spec(m) for m in needed)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """A lecture runs once per session: when the website is built in the same session, its
    build executes every lecture and fails on any cell error (myst-nb with
    ``nb_execution_raise_on_error``), so nbval does not run the lectures a second time. The
    lectures' cells then show as skipped with that reason; ``pytest lectures/`` alone, or a
    session without the site, runs them through nbval as always."""
    if not _site_build_runs(items):
        return
    skip = pytest.mark.skip(
        reason="executed by the website build in this session (tests/browser/test_site.py), "
        "which fails on any cell error"
    )
    for item in items:
        if item.nodeid.startswith("lectures/") and item.nodeid.split("::")[0].endswith(".ipynb"):
            item.add_marker(skip)
