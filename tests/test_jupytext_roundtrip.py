"""Saving a notebook in JupyterLab leaves its sources unchanged.

JupyterLab saves through jupytext's contents manager, which rewrites the paired ``.py`` with the
course's ``jupytext.toml``. Each notebook is opened and saved through that same contents
manager, in a copy of the repository; the committed ``.py`` must come back byte for byte, and
the pair check (:func:`genlab.notebooks.out_of_sync`) must say what it said before the save.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from genlab.notebooks import NOTEBOOK_DIRS, out_of_sync, sources

ROOT = Path(__file__).resolve().parents[1]
contentsmanager = pytest.importorskip("jupytext.sync_contentsmanager")


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "jupytext.toml", root / "jupytext.toml")
    for d in NOTEBOOK_DIRS:
        if (ROOT / d).is_dir():
            shutil.copytree(ROOT / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_saving_every_notebook_in_jupyterlab_changes_neither_source_nor_pair_check(copy):
    before = out_of_sync(copy)
    manager = contentsmanager.TextFileContentsManager(root_dir=str(copy))
    notebooks = sources(copy)
    assert len(notebooks) >= 8, f"expected the course's notebooks under {copy}; got {notebooks}"
    changed = []
    for src in notebooks:
        committed = src.read_text(encoding="utf-8")
        relative = src.with_suffix(".ipynb").relative_to(copy).as_posix()
        manager.save(manager.get(relative), relative)  # what JupyterLab's Save does
        if src.read_text(encoding="utf-8") != committed:
            changed.append(src.relative_to(copy).as_posix())
    assert changed == [], f"saving rewrote these sources: {changed}"
    assert out_of_sync(copy) == before
