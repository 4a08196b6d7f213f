"""The notebook pipeline: py:percent sources and their .ipynb pairs stay in step."""

import json
import shutil

import pytest

from genlab import notebooks


def test_every_pair_is_in_sync(root):
    assert notebooks.sources(root), "no notebook sources found"
    problems = notebooks.out_of_sync(root)
    assert problems == [], "\n".join(problems) + "\nrun: genlab notebooks sync"


@pytest.fixture
def course_copy(tmp_path, root):
    """A scratch course folder holding a copy of the welcome notebook pair."""
    (tmp_path / "lectures").mkdir()
    for suffix in (".py", ".ipynb"):
        shutil.copy(root / "lectures" / f"00_welcome{suffix}", tmp_path / "lectures")
    return tmp_path


def test_an_edited_source_is_caught_and_sync_repairs_it(course_copy):
    src = course_copy / "lectures/00_welcome.py"
    assert notebooks.out_of_sync(course_copy) == []
    src.write_text(src.read_text().replace("COURSE_VERSION = ", "COURSE_VERSION  =  "))
    assert notebooks.out_of_sync(course_copy) == [
        "lectures/00_welcome.py and 00_welcome.ipynb differ"
    ]
    assert notebooks.sync(course_copy) == [course_copy / "lectures/00_welcome.ipynb"]
    assert notebooks.out_of_sync(course_copy) == []
    assert notebooks.sync(course_copy) == [], "sync must be idempotent"


def test_an_added_markdown_cell_is_caught(course_copy):
    src = course_copy / "lectures/00_welcome.py"
    src.write_text(src.read_text() + "\n# %% [markdown]\n# A new closing remark.\n")
    assert len(notebooks.out_of_sync(course_copy)) == 1


def test_committed_outputs_and_orphans_are_caught(course_copy):
    nb_path = course_copy / "lectures/00_welcome.ipynb"
    nb = json.loads(nb_path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hello\n"]}]
    nb_path.write_text(json.dumps(nb))
    assert notebooks.out_of_sync(course_copy) == [
        "lectures/00_welcome.ipynb: committed with outputs"
    ]

    shutil.copy(nb_path, course_copy / "lectures/99_orphan.ipynb")
    assert "lectures/99_orphan.ipynb: no py:percent source" in notebooks.out_of_sync(course_copy)


def test_missing_pair_is_caught(course_copy):
    (course_copy / "lectures/00_welcome.ipynb").unlink()
    assert notebooks.out_of_sync(course_copy) == [
        "lectures/00_welcome.py: no paired 00_welcome.ipynb"
    ]


def test_cli_check_fails_on_a_stale_pair(course_copy, capsys):
    from genlab.cli import main

    (course_copy / "pyproject.toml").write_text("")
    (course_copy / "genlab").mkdir()
    assert main(["notebooks", "check", "--root", str(course_copy)]) == 0
    src = course_copy / "lectures/00_welcome.py"
    src.write_text(src.read_text().replace("## 2. The device", "## 2. Devices"))
    assert main(["notebooks", "check", "--root", str(course_copy)]) == 1
    assert "differ" in capsys.readouterr().out


def test_viewer_setting_merges_into_existing_config(tmp_path):
    target = tmp_path / "labconfig" / "default_setting_overrides.json"
    target.parent.mkdir()
    target.write_text(
        json.dumps(
            {
                "@jupyterlab/docmanager-extension:plugin": {
                    "defaultViewers": {"markdown": "Editor"}
                },
                "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
            }
        )
    )
    assert notebooks.install_viewer_setting(tmp_path) == target
    merged = json.loads(target.read_text())
    viewers = merged["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"markdown": "Editor", "python": "Jupytext Notebook"}
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


def test_syllabus_lists_lectures_with_their_times(root):
    lectures = notebooks.syllabus(root)
    assert lectures and lectures[0].path.name == "00_welcome.ipynb"
    assert all(lecture.path.exists() for lecture in lectures)
    assert all(lecture.minutes and lecture.minutes > 0 for lecture in lectures)
