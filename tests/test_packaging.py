"""pyproject.toml, environment.yml, README and CI agree with each other."""

import re
import subprocess
import sys

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# PyPI name -> conda-forge name, where they differ.
CONDA_NAME = {"torch": "pytorch"}


def _name(requirement: str) -> str:
    """The bare, normalised distribution name of a requirement string."""
    name = re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def pyproject(root):
    return tomllib.loads((root / "pyproject.toml").read_text())


def _extra(pyproject, name: str) -> set[str]:
    """The distribution names an extra installs, the extras it includes resolved."""
    names = set()
    for requirement in pyproject["project"]["optional-dependencies"][name]:
        included = re.fullmatch(r"\s*genlab\[([a-z_,\s]+)\]\s*", requirement)
        if included:
            for other in included.group(1).split(","):
                names |= _extra(pyproject, other.strip())
        else:
            names.add(_name(requirement))
    return names


# Not on conda-forge: environment.yml's pip section installs them with the course (-e .[dev]).
PYPI_ONLY = {"sphinx-mathjax-offline", "axe-playwright-python"}


@pytest.fixture(scope="module")
def environment(root):
    return yaml.safe_load((root / "environment.yml").read_text())


def test_environment_uses_conda_forge_only(environment):
    assert environment["channels"] == ["conda-forge"]
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert "pytorch" in {_name(d) for d in conda}, "PyTorch must come from conda-forge"


def test_environment_installs_the_course_through_pip(environment):
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert pip_sections == [["-e .[dev]"]]


def test_environment_and_pyproject_list_the_same_packages(pyproject, environment):
    project = pyproject["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    pip_names |= _extra(pyproject, "dev")
    pip_as_conda = {CONDA_NAME.get(n, n) for n in pip_names} - PYPI_ONLY
    conda_names = {_name(d) for d in environment["dependencies"] if isinstance(d, str)} - {
        "python",
        "pip",
    }
    assert conda_names == pip_as_conda, (
        f"only in environment.yml: {sorted(conda_names - pip_as_conda)}; "
        f"only in pyproject.toml: {sorted(pip_as_conda - conda_names)}"
    )


def test_runtime_set_holds_what_the_course_needs(pyproject):
    runtime = {_name(r) for r in pyproject["project"]["dependencies"]}
    assert {
        "torch",
        "numpy",
        "scipy",
        "matplotlib",
        "ipywidgets",
        "tqdm",
        "scikit-learn",
    } <= runtime
    dev = _extra(pyproject, "dev")
    assert {"jupyterlab", "jupytext", "nbval", "nbclient", "pytest", "ruff", "playwright"} <= dev
    assert pyproject["project"]["requires-python"] == ">=3.10"


def test_pillow_is_a_runtime_dependency_and_grading_an_extra_that_dev_includes(pyproject):
    assert "pillow" in {_name(r) for r in pyproject["project"]["dependencies"]}
    assert _extra(pyproject, "grading") == {"nbclient", "jupyter-client", "ipykernel"}
    assert _extra(pyproject, "grading") <= _extra(pyproject, "dev")


def test_version_is_exposed_and_matches_the_package_metadata():
    from importlib.metadata import version

    import genlab

    assert re.fullmatch(r"\d+\.\d+\.\d+", genlab.__version__)
    assert version("genlab") == genlab.__version__, "stale install: pip install -e .[dev]"


def _quick_start(root):
    text = (root / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", text, flags=re.DOTALL)
    assert block, "README.md has no Quick start code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_quick_start_is_two_one_line_commands(root):
    lines = _quick_start(root)
    assert len(lines) == 2
    open_course, run_tests = lines
    assert open_course.startswith('pip install -e ".[dev]" && jupyter lab lectures/')
    assert run_tests.startswith('pip install -e ".[dev]" && pytest')


def test_ci_runs_the_readme_test_command(root):
    """.ci/run extracts the README's test line; run its extraction and compare."""
    script = (root / ".ci/run").read_text()
    extraction = re.search(r"test_command=\$\((.*)\)\n", script).group(1)
    found = subprocess.run(
        ["bash", "-c", extraction], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == _quick_start(root)[1]
    assert 'bash -c "$test_command"' in script


def test_ruff_is_clean(root):
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
