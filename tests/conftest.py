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
