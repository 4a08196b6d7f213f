"""The notebook pipeline: py:percent sources are the truth, the paired ``.ipynb`` is derived.

``genlab notebooks sync`` regenerates every pair (and, once solutions exist, the exercises
generated from them); ``genlab notebooks check`` lists what is out of step, and the test
suite fails on any such entry. Needs the ``dev`` extra (jupytext).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from genlab._io import write_atomic

NOTEBOOK_DIRS = ("lectures", "solutions", "exercises")
IPYNB_FORMAT = "ipynb"
SOURCE_FORMAT = "py:percent"


def _jupytext():
    try:
        import jupytext
    except ImportError as err:  # pragma: no cover - dev extra missing
        raise ImportError('the notebook pipeline needs jupytext: pip install -e ".[dev]"') from err
    return jupytext


def repository_root(start: str | os.PathLike | None = None) -> Path:
    """The course folder: the nearest parent of ``start`` (default: cwd) holding pyproject.toml."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "genlab").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course folder (with pyproject.toml and genlab/) found at or above {here}"
    )


def sources(root: str | os.PathLike) -> list[Path]:
    """Every py:percent notebook source under the notebook folders, sorted."""
    root = Path(root)
    return sorted(p for d in NOTEBOOK_DIRS for p in (root / d).glob("*.py"))


def render_ipynb(source: Path) -> str:
    """The ``.ipynb`` text that ``source`` pairs with: same cells, no outputs."""
    jupytext = _jupytext()
    nb = jupytext.read(source, fmt=SOURCE_FORMAT)
    for index, cell in enumerate(nb.cells):
        # Stable cell ids, so that regenerating an unchanged notebook changes no byte.
        digest = hashlib.sha1(f"{index}:{cell.cell_type}:{cell.source}".encode()).hexdigest()
        cell.id = digest[:12]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return jupytext.writes(nb, fmt=IPYNB_FORMAT)


def _comparable(nb_json: dict) -> list[tuple]:
    return [
        (
            c["cell_type"],
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
            json.dumps(c.get("metadata", {}), sort_keys=True),
            bool(c.get("outputs")),
        )
        for c in nb_json["cells"]
    ]


def out_of_sync(root: str | os.PathLike) -> list[str]:
    """Describe every pair whose ``.ipynb`` is missing, stale, or carries outputs."""
    problems = []
    root = Path(root)
    for src in sources(root):
        nb_path = src.with_suffix(".ipynb")
        rel = src.relative_to(root)
        if not nb_path.exists():
            problems.append(f"{rel}: no paired {nb_path.name}")
            continue
        expected = json.loads(render_ipynb(src))
        try:
            actual = json.loads(nb_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            problems.append(f"{nb_path.relative_to(root)}: not valid JSON ({err})")
            continue
        if any(has_outputs for *_, has_outputs in _comparable(actual)):
            problems.append(f"{nb_path.relative_to(root)}: committed with outputs")
        elif _comparable(actual) != _comparable(expected):
            problems.append(f"{rel} and {nb_path.name} differ")
    for d in NOTEBOOK_DIRS:
        for nb_path in sorted((root / d).glob("*.ipynb")):
            if not nb_path.with_suffix(".py").exists():
                problems.append(f"{nb_path.relative_to(root)}: no py:percent source")
    if (root / "solutions").is_dir():
        from genlab.grading.assignments import exercise_problems

        problems += exercise_problems(root)
    return problems


def sync(root: str | os.PathLike) -> list[Path]:
    """Regenerate ``exercises/`` from ``solutions/``, then every ``.ipynb`` from its source;
    return the files that changed."""
    from genlab.grading.assignments import generate_exercises

    root = Path(root)
    changed = list(generate_exercises(root)) if (root / "solutions").is_dir() else []
    for src in sources(root):
        nb_path = src.with_suffix(".ipynb")
        text = render_ipynb(src)
        if not nb_path.exists() or nb_path.read_text(encoding="utf-8") != text:
            write_atomic(nb_path, text)
            changed.append(nb_path)
    return changed


def install_viewer_setting(config_dir: str | os.PathLike | None = None) -> Path:
    """Make JupyterLab open ``.py`` notebooks as notebooks (jupytext's default-viewer setting).

    Merges ``jupyter-config/labconfig/default_setting_overrides.json`` into the user's
    Jupyter config (``~/.jupyter`` unless ``config_dir`` is given), keeping other settings.
    """
    from jupyter_core.paths import jupyter_config_dir

    shipped = repository_root(Path(__file__).parent) / "jupyter-config" / "labconfig"
    setting = json.loads((shipped / "default_setting_overrides.json").read_text())
    target = (
        Path(config_dir or jupyter_config_dir()) / "labconfig" / "default_setting_overrides.json"
    )
    current = json.loads(target.read_text()) if target.exists() else {}
    for plugin, values in setting.items():
        plugin_settings = current.setdefault(plugin, {})
        for key, value in values.items():
            if isinstance(value, dict):
                plugin_settings.setdefault(key, {}).update(value)
            else:
                plugin_settings[key] = value
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(current, indent=2) + "\n")
    return target


class Lecture:
    """One lecture notebook as the welcome page lists it."""

    def __init__(self, path: Path, title: str, minutes: int | None):
        self.path, self.title, self.minutes = path, title, minutes

    def __repr__(self) -> str:
        return f"Lecture({self.path.name!r}, {self.title!r}, minutes={self.minutes})"


def syllabus(root: str | os.PathLike | None = None) -> list[Lecture]:
    """The lecture notebooks in order, with the title and the estimated time each states.

    A lecture states its time in its first cell as ``Estimated time: N minutes``.
    """
    import re

    root = repository_root(root) if root is None else Path(root)
    lectures = []
    for src in sorted((root / "lectures").glob("[0-9][0-9]*_*.py")):
        text = src.read_text(encoding="utf-8")
        title = re.search(r"^# #\s+(.+)$", text, flags=re.MULTILINE)
        minutes = re.search(r"Estimated time:\**\s*(\d+)\s*min", text)
        lectures.append(
            Lecture(
                src.with_suffix(".ipynb"),
                title.group(1).strip() if title else src.stem,
                int(minutes.group(1)) if minutes else None,
            )
        )
    return lectures
