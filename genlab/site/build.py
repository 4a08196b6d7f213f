"""Build the course website: stage the sources, then run Sphinx in a child process.

Staging (under ``build/site-cache/`` by default, git-ignored) holds:

- ``src/``: ``index.md`` (the README's course description and a table of contents),
  ``lectures/*.ipynb`` and ``exercises/*.ipynb`` converted from their py:percent sources
  (every ``*.py`` found there; rewritten only when they change, so Sphinx re-reads only those),
  ``conf.py`` and ``_static/`` (MathJax, the site's CSS and JavaScript);
- ``ipython/``: an IPython profile whose startup file installs :mod:`genlab.site.stills` in
  each notebook's kernel;
- ``run-<key>/``: jupyter-cache's executed notebooks and Sphinx's doctrees. ``<key>`` is a hash
  of genlab's code: a lecture is executed again when its source or genlab changes, not otherwise.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_FOLDERS = ("lectures", "exercises")
# The README's sections that describe the course (the rest is for developers).
README_SECTIONS = ("Quick start", "Syllabus")
MATHJAX_FILES = ("tex-chtml-full.js", "output/chtml/fonts/woff-v2", "a11y", "ui")
STARTUP = """\
# Written by genlab.site: widgets as stills and figures with alt text in the website.
import os

from genlab.site.stills import install

install()
# Run where nbval and JupyterLab run a lecture: in the course's lectures/ folder.
if os.environ.get("GENLAB_SITE_LECTURES"):
    os.chdir(os.environ["GENLAB_SITE_LECTURES"])
"""


@dataclass(frozen=True)
class BuildResult:
    out: Path
    seconds: float
    pages: int
    executed: int  # notebooks executed in this build (the others came from the cache)


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def page_sources(root: Path) -> list[Path]:
    """Every notebook source that becomes a page: ``lectures/*.py`` then ``exercises/*.py``."""
    return [p for folder in PAGE_FOLDERS for p in sorted((root / folder).glob("*.py"))]


def _notebook_json(path: Path) -> str:
    import jupytext
    import nbformat

    notebook = jupytext.read(path)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    return nbformat.writes(notebook) + "\n"


def readme_page(readme: str, sources: list[Path], root: Path) -> str:
    """``index.md``: the README's title, introduction and course sections, then the contents."""
    lines = readme.splitlines()
    keep, section = [], None
    for line in lines:
        if line.startswith("## "):
            section = line[3:].strip()
        if section is None or section in README_SECTIONS:
            keep.append(line)
    toc = []
    for folder, caption in (("lectures", "Lectures"), ("exercises", "Exercises")):
        names = [p.relative_to(root).with_suffix("").as_posix() for p in sources]
        names = [n for n in names if n.startswith(f"{folder}/")]
        if names:
            toc += ["", "```{toctree}", ":maxdepth: 1", f":caption: {caption}", ""]
            toc += names + ["```"]
    return "\n".join(keep).rstrip() + "\n" + "\n".join(toc) + "\n"


def code_key(root: Path) -> str:
    """A hash of genlab's code (the site machinery aside, but its stills included)."""
    digest = hashlib.sha256()
    package = root / "genlab"
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("site/") and relative != "site/stills.py":
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the site serves MathJax itself and takes it from the sphinx-mathjax-offline "
            'package: pip install -e ".[site]"'
        )
    return Path(spec.origin).parent / "static" / "mathjax"


def _stage_static(static: Path) -> None:
    from genlab.site import sphinx_conf

    source = _mathjax_source()
    for relative in MATHJAX_FILES:
        src, dst = source / relative, static / "mathjax" / relative
        if dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    _write_if_changed(static / "genlab-site.css", sphinx_conf.CSS.lstrip())
    _write_if_changed(static / "genlab-site.js", sphinx_conf.JS.lstrip())
    _write_if_changed(static / "favicon.svg", sphinx_conf.FAVICON)


def stage(root: Path, work: Path, repository_url: str | None, timeout: int) -> tuple[Path, Path]:
    """Write the Sphinx project under ``work``; returns (source folder, run folder)."""
    src = work / "src"
    sources = page_sources(root)
    if not any(p.parent.name == "lectures" for p in sources):
        raise RuntimeError(f"no lecture sources (lectures/*.py) under {root}")
    wanted = set()
    for path in sources:
        target = src / path.parent.name / f"{path.stem}.ipynb"
        wanted.add(target)
        _write_if_changed(target, _notebook_json(path))
    for folder in PAGE_FOLDERS:  # pages whose source is gone
        for stale in (src / folder).glob("*.ipynb"):
            if stale not in wanted:
                stale.unlink()
    readme = (root / "README.md").read_text(encoding="utf-8")
    _write_if_changed(src / "index.md", readme_page(readme, sources, root))
    _stage_static(src / "_static")
    run = work / f"run-{code_key(root)}"
    for old in work.glob("run-*"):  # executions of an older genlab
        if old != run:
            shutil.rmtree(old, ignore_errors=True)
    conf = (
        "# Written by genlab.site.build; edit genlab/site/sphinx_conf.py instead.\n"
        "from genlab.site import sphinx_conf\n\n"
        "globals().update(sphinx_conf.settings(\n"
        f"    repository_url={repository_url!r},\n"
        f"    cache_path={json.dumps(str(run / 'jupyter_cache'))},\n"
        f"    timeout={int(timeout)},\n"
        "))\n"
        "setup = sphinx_conf.setup\n"
    )
    _write_if_changed(src / "conf.py", conf)
    startup = work / "ipython" / "profile_default" / "startup" / "50-genlab-site.py"
    _write_if_changed(startup, STARTUP)
    return src, run


def _cached(run: Path) -> int:
    path = run / "jupyter_cache"
    if not path.exists():
        return 0
    from jupyter_cache import get_cache

    return len(get_cache(path).list_cache_records())


def build(
    out: Path | str | None = None,
    *,
    root: Path | str | None = None,
    work: Path | str | None = None,
    repository_url: str | None = None,
    timeout: int = 600,
    quiet: bool = False,
) -> BuildResult:
    """Build the website into ``out`` (default ``build/site``); returns what it did.

    ``repository_url`` (default: the environment variable ``GENLAB_SITE_REPOSITORY_URL``)
    turns on the repository button and, for a GitHub URL, the Binder and Colab launch buttons.
    """
    from genlab.notebooks import repository_root

    root = repository_root(root)
    out = Path(out) if out is not None else root / "build" / "site"
    work = Path(work) if work is not None else root / "build" / "site-cache"
    if repository_url is None:
        repository_url = os.environ.get("GENLAB_SITE_REPOSITORY_URL") or None
    start = time.perf_counter()
    src, run = stage(root, work.resolve(), repository_url, timeout)
    before = _cached(run)
    env = dict(
        os.environ,
        IPYTHONDIR=str(work.resolve() / "ipython"),
        GENLAB_SITE_LECTURES=str(root / "lectures"),
    )
    # One thread per kernel, as the browser tests run them: small models train no slower, and
    # a busy machine does not make torch's threads wait on each other.
    env.setdefault("OMP_NUM_THREADS", "1")
    # The kernels import genlab from this checkout, as the build does.
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-d", str(run / "doctrees")]
    command += ["-q"] if quiet else []
    command += [str(src), str(Path(out).resolve())]
    result = subprocess.run(command, env=env, cwd=src)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx-build failed with exit status {result.returncode}")
    pages = sum(1 for _ in Path(out).rglob("*.html"))
    return BuildResult(Path(out), time.perf_counter() - start, pages, _cached(run) - before)
