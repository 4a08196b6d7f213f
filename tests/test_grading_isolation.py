"""The grader's promise: a submission can touch nothing but itself.

One batch of hostile notebooks (against the two-question assignment of test_grading.py) is
graded once, in the sandbox where this machine has one (bubblewrap; ``GENLAB_REQUIRE_SANDBOX=1``
makes a missing sandbox a failure, as CI does). Each hostile notebook answers ``gaussian_kl``
correctly only if its attack failed, and otherwise raises with what it got, so a row says
whether the isolation held. Then the results are forged and the run interrupted and resumed,
as a notebook outside the sandbox could do.

The twelve findings, one test each: forged results served after an interrupt (1), results
planted for a later submission (2), genlab's source edited (3), other submissions read (4),
forged feedback kept (5), feedback names colliding (6), a symlink's target echoed (7), answer
outputs escaping the cap (8), the reference reached through importlib or the registry (9),
one crash budget per notebook (10), a setsid child outliving its kernel (11), dotfiles
dropped (12).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import socket
import sys
from pathlib import Path

import nbformat
import pytest

import genlab
from genlab.grading import sandbox
from genlab.grading.assignments import exercise_notebook
from genlab.grading.batch import grade
from genlab.grading.grader import GradeConfig
from tests.test_grading import TINY, WRONG_KL, _with

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NO_SANDBOX = sandbox.unavailable()
if NO_SANDBOX and os.environ.get("GENLAB_REQUIRE_SANDBOX") == "1":
    raise RuntimeError(f"GENLAB_REQUIRE_SANDBOX=1 but kernels cannot be sandboxed: {NO_SANDBOX}")
needs_sandbox = pytest.mark.skipif(bool(NO_SANDBOX), reason=f"no sandbox: {NO_SANDBOX}")

CONFIG = GradeConfig(
    cell_timeout=5, timeout=120, max_output_bytes=200_000, memory_mb=768, restarts=1
)
SLEEP = "913.37"  # the argument that marks the setsid child of finding 11
SECRET = "root:x:0:0:root:/root:/bin/bash-SENTINEL"
KL = "0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(-1)"


def _kl_if(condition: str, setup: str) -> str:
    """An answer cell: ``setup`` runs, then gaussian_kl is right iff ``condition`` holds,
    and raises with ``seen`` otherwise."""
    return (
        f"{setup}\n"
        "def gaussian_kl(mu, logvar):\n"
        f"    if not ({condition}):\n"
        "        raise ValueError(f'the attack worked: {seen}')\n"
        f"    return {KL}\n"
    )


def _cases(solution, root: Path, port: int) -> dict:
    subs, out = root / "subs", root / "out"
    genlab_dir = Path(genlab.__file__).resolve().parent
    spy = f"""
import os, socket
seen = []
for folder in {[str(subs), str(out), str(root / "solutions"), str(root)]!r}:
    if os.path.exists(folder):
        seen.append(folder)
for path in {[str(root / "key"), str(Path.home() / ".config")]!r}:
    if os.path.exists(path):
        seen.append(path)
repository = {str(genlab_dir.parent)!r}
if os.path.isdir(repository) and sorted(os.listdir(repository)) != ["genlab"]:
    seen.append(repository + ": " + ", ".join(sorted(os.listdir(repository))[:5]))
if os.listdir({str(genlab_dir / "grading" / "questions")!r}):
    seen.append("genlab/grading/questions")
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    seen.append("the network")
except OSError:
    pass
"""
    # opened for appending and closed: nothing is written even where the attack works
    edit = f"""
import subprocess
subprocess.Popen(["setsid", "sleep", "{SLEEP}"])
writable = []
for path in {[str(genlab_dir / "grading" / "probe.py"), str(genlab_dir / "__init__.py")]!r}:
    try:
        open(path, "a").close()
        writable.append(path)
    except OSError:
        pass
"""
    reparameterize = (
        f"{edit}\n"
        "def reparameterize(mu, logvar, eps):\n"
        "    if writable:\n"
        "        raise ValueError(f'the attack worked: {writable}')\n"
        "    return mu + torch.exp(0.5 * logvar) * eps\n"
    )
    registry = (
        "import genlab.grading\n"
        "def gaussian_kl(mu, logvar):\n"
        "    return genlab.grading.get_question('ex03_gaussian_kl').reference(mu, logvar)\n"
    )
    dynamic = (
        "import importlib\n"
        "module = importlib.import_module('genlab.' + ''.join(['lo', 'sses']))\n"
        "gaussian_kl = module.gaussian_kl\n"
    )
    flood = (
        "from IPython.display import publish_display_data\n"
        "for _ in range(20):\n"
        "    publish_display_data({'application/vnd.genlab.answer+json': {'x': 'y' * 500_000}})\n"
    )
    crash = "import ctypes\nctypes.string_at(0)\n"
    crash_kl = f"def gaussian_kl(mu, logvar):\n    return {KL}\n" + crash

    def written(text):
        def edit(nb):
            next(
                c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "why"
            ).source = text

        return edit

    return {
        # findings 3, 4 and 11: kl is right iff nothing is seen, z iff genlab is read-only
        "spy": _with(
            solution,
            answers={"kl_answer": _kl_if("not seen", spy), "z_answer": reparameterize},
        ),
        "registry": _with(solution, answers={"kl_answer": registry}),
        "importlib": _with(solution, answers={"kl_answer": dynamic}, after={"setup": [flood]}),
        # two crashes, both in cells that gaussian_kl needs; reparameterize needs neither
        "crashes": _with(solution, answers={"kl_answer": crash_kl}, after={"kl": [crash_kl]}),
        "müller": _with(solution, answers={"kl_answer": WRONG_KL}, edit=written("Müller's answer")),
        "möller": _with(solution, edit=written("Möller's answer")),
    }


@pytest.fixture(scope="module")
def isolated(tmp_path_factory):
    """Grade the hostile batch once; return its rows, folders and report."""
    import jupytext

    root = tmp_path_factory.mktemp("isolation")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENLAB_GRADING_KEY_FILE", str(root / "key"))
        (root / "solutions").mkdir()
        solution = jupytext.reads(TINY, fmt="py:percent")
        nbformat.write(solution, root / "solutions" / "99_tiny.ipynb")
        subs, out = root / "subs", root / "out"
        (subs / ".ipynb_checkpoints").mkdir(parents=True)
        listener = socket.create_server(("127.0.0.1", 0))
        try:
            port = listener.getsockname()[1]
            for name, nb in _cases(solution, root, port).items():
                nbformat.write(nb, subs / f"{name}.ipynb")
            # a dotfile: the same bytes as möller's, so graded once and reported twice
            (subs / ".hidden.ipynb").write_bytes((subs / "möller.ipynb").read_bytes())
            nbformat.write(solution, subs / ".ipynb_checkpoints" / "spy-checkpoint.ipynb")
            (root / "secret.txt").write_text(SECRET + "\n")
            (subs / "link.ipynb").symlink_to(root / "secret.txt")
            (subs / "passwd.ipynb").write_text(SECRET + "\n")
            nbformat.write(exercise_notebook(solution), root / "late.ipynb")

            forged = []

            def forge_during_the_run(line: str) -> None:  # as an unsandboxed kernel could
                if line.startswith("graded") and not forged:
                    for path in (out / "feedback").glob("*.md"):
                        path.write_text("FORGED: full marks\n")
                        forged.append(path)
                    (out / "grades.csv").write_text("FORGED\n")

            report = grade(
                [subs],
                out,
                root / "solutions",
                config=CONFIG,
                jobs=2,
                assignment="99_tiny",
                seed=7,
                progress=forge_during_the_run,
            )
        finally:
            listener.close()
        yield _rows(out), root, report, forged
    for pid in _survivors():  # an unsandboxed run leaves its setsid child behind
        os.kill(pid, signal.SIGKILL)


def _survivors() -> list[int]:
    """The processes still running the setsid child's command."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[:1] == [b"sleep"] and SLEEP.encode() in command:
            found.append(int(proc.name))
    return found


def _rows(out: Path) -> dict:
    with open(out / "grades.csv", newline="") as f:
        return {
            (r["submission"].split("/")[-1].removesuffix(".ipynb"), r["question"]): r
            for r in csv.DictReader(f)
        }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_batch_ran_sandboxed_where_it_can(isolated):
    _, _, report, _ = isolated
    assert report.sandbox == NO_SANDBOX
    assert report.internal_errors == 0


def test_1_2_forged_and_planted_results_are_regraded_after_an_interrupt(isolated, capsys):
    """Findings 1 and 2: full marks forged for a graded submission and planted for one
    submitted later, then an interrupt: the same command again regrades both and says so."""
    import argparse
    import shutil

    from genlab.grade_cli import add_grade_parser

    _, root, _, _ = isolated
    out = root / "resumed"
    shutil.copytree(root / "out" / "results", out / "results")
    wrong, late = root / "subs" / "müller.ipynb", root / "late.ipynb"
    genuine = json.loads((out / "results" / f"{_sha(wrong)}.json").read_text())
    for victim in (wrong, late):
        fake = {  # the current format; a signature made up without the key
            **genuine,
            "submission_sha256": _sha(victim),
            "rows": [["notebook", "", "", "ok", "graded"], ["kl", 2, 2, "passed", "correct"]],
            "hmac": "0" * 64,
        }
        (out / "results" / f"{_sha(victim)}.json").write_text(json.dumps(fake))
    parser = argparse.ArgumentParser(prog="genlab")
    add_grade_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        ["grade", str(wrong), str(late), "--out", str(out), "--solutions", str(root / "solutions")]
        + ["--assignment", "99_tiny", "--cell-timeout", "5"]
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENLAB_GRADING_KEY_FILE", str(root / "key"))
        with mp.context() as interrupted:  # the first run stops as after a SIGINT
            interrupted.setattr("genlab.grading.batch._Worker", _interrupting_worker)
            assert args.run(args) == 130
        assert args.run(args) == 0
    err = capsys.readouterr().err
    assert "2 earlier result(s) failed authentication and were regraded" in err
    assert err.count("WITHOUT a sandbox") == (2 if NO_SANDBOX else 0)  # once per run
    again = _rows(out)
    assert again[("müller", "kl")]["status"] == "failed"  # its own wrong answer
    assert again[("late", "kl")]["status"] == "failed"  # a blank notebook
    assert again[("late", "notebook")]["status"] == "ok"
    for path in (out / "results").glob("*.json"):  # signed by the grader now
        assert json.loads(path.read_text())["hmac"] != "0" * 64


def _interrupting_worker(*args, **kwargs):
    raise KeyboardInterrupt


@needs_sandbox
def test_3_genlab_source_cannot_be_edited(isolated):
    rows = isolated[0]
    assert rows[("spy", "z")]["status"] == "passed", rows[("spy", "z")]["message"]


@needs_sandbox
def test_4_other_submissions_the_output_the_solutions_and_the_network_are_out_of_view(isolated):
    rows = isolated[0]
    assert rows[("spy", "kl")]["status"] == "passed", rows[("spy", "kl")]["message"]


def test_5_feedback_forged_during_the_run_is_rewritten(isolated):
    rows, root, _, forged = isolated
    assert forged  # the forgery happened, during the run
    for path in (root / "out" / "feedback").glob("*.md"):
        assert "FORGED" not in path.read_text(), path
    assert ("möller", "kl") in rows


def test_6_feedback_names_are_unique(isolated):
    feedback = root_feedback = isolated[1] / "out" / "feedback"
    names = {p.read_text().splitlines()[0]: p.name for p in root_feedback.glob("*.md")}
    mueller, moeller = (
        names["# Feedback on subs/müller.ipynb (99_tiny)"],
        names["# Feedback on subs/möller.ipynb (99_tiny)"],
    )
    assert mueller != moeller
    assert "Müller's answer" in (feedback / mueller).read_text()
    assert "Möller's answer" in (feedback / moeller).read_text()
    assert "Müller" not in (feedback / moeller).read_text()


def test_7_a_symlink_is_refused_and_nothing_of_a_non_notebook_is_quoted(isolated):
    rows, root, _, _ = isolated
    assert rows[("link", "notebook")]["status"] == "error"
    assert "symbolic link" in rows[("link", "notebook")]["message"]
    assert rows[("passwd", "notebook")]["status"] == "error"
    assert "not a valid notebook" in rows[("passwd", "notebook")]["message"]
    for path in (root / "out").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "root:x" not in text and "SENTINEL" not in text, path


def test_8_answer_outputs_count_against_the_output_cap(isolated):
    rows = isolated[0]
    assert "output beyond 200000 bytes was discarded" in rows[("importlib", "notebook")]["message"]
    assert rows[("importlib", "z")]["status"] == "passed"  # the real answers still count


def test_9_the_reference_through_the_registry_or_importlib(isolated):
    rows = isolated[0]
    for route in ("registry", "importlib"):
        notebook = rows[(route, "notebook")]
        assert notebook["status"] == "warning", notebook
        assert "check that the answers are the student's own" in notebook["message"]
    if not NO_SANDBOX:  # the registry is not in the sandbox at all
        assert rows[("registry", "kl")]["status"] == "failed"
        assert "raised" in rows[("registry", "kl")]["message"]


def test_10_a_crash_costs_only_the_questions_that_need_the_cell(isolated):
    rows = isolated[0]
    assert rows[("crashes", "kl")]["status"] == "error"
    assert "crashed the kernel" in rows[("crashes", "kl")]["message"]
    assert rows[("crashes", "z")]["status"] == "passed", rows[("crashes", "z")]["message"]


@needs_sandbox
def test_11_a_setsid_child_dies_with_its_kernel(isolated):
    rows = isolated[0]
    assert rows[("spy", "z")]["status"] == "passed"
    survivors = _survivors()
    for pid in survivors:  # leave nothing behind, then fail
        os.kill(pid, signal.SIGKILL)
    assert not survivors


def test_12_dotfiles_are_graded_and_hidden_folders_reported(isolated):
    rows, _, report, _ = isolated
    assert rows[(".hidden", "kl")]["status"] == "passed"
    assert report.skipped == ["subs/.ipynb_checkpoints/spy-checkpoint.ipynb"]


if sys.platform != "linux":  # pragma: no cover
    pytestmark = [pytestmark, pytest.mark.skip(reason="the grader's isolation tests need Linux")]
