"""Exercise checks and the batch grader.

The checker: every registered question accepts its reference and names each of its known
mistakes (by their values, or by their gradients when the values are right); the references
written for the exercises agree with genlab's functions; the wire format rejects malformed
answers.

The grader: one batch of small hostile notebooks (written here against a two-question
assignment) is graded once, and each test reads its own rows: a correct and a blank
notebook, a wrong answer, a notebook that raises, loops, exits, crashes its kernel, floods
its output, exhausts its memory, is not JSON, or tampers with locked cells, and three attacks
on the verdict (monkeypatching the checker, redefining builtins, forging result files).
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import sys
import textwrap

import nbformat
import pytest
import torch

from genlab.divergences import get_divergence
from genlab.grading import CheckFailed, check, evaluate, get_question, registered_questions
from genlab.grading.assignments import exercise_notebook
from genlab.grading.batch import CSV_COLUMNS, grade
from genlab.grading.grader import GradeConfig
from genlab.grading.probe import Answer, probe
from genlab.grading.protocol import F_GENERATORS, ProtocolError, decode, encode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -------------------------------------------------------------------------- the checker


@pytest.mark.parametrize("question_id", sorted(registered_questions()))
def test_reference_passes_and_every_known_mistake_is_named(question_id):
    question = get_question(question_id)
    for suite in ("visible", "hidden"):
        assert evaluate(question_id, question.reference, suite=suite).passed
        for mistake in question.mistakes:
            verdict = evaluate(question_id, mistake.fn, suite=suite)
            assert not verdict.passed
            assert verdict.message.startswith(mistake.message), (mistake.message, verdict.message)


def kl(mu, logvar):
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda mu, lv: kl(mu, lv).detach(), "carries no gradient back to `mu`, `logvar`"),
        (lambda mu, lv: kl(mu.detach(), lv), "no gradient reaches `mu`"),
        (lambda mu, lv: 0.5 * (mu**2 + lv.exp() - 1 - lv), "reduction over the last"),
        (lambda mu, lv: float(kl(mu, lv).sum().detach()), "expected a torch.Tensor; got a Python"),
        (lambda mu, lv: None, "forget the `return`"),
        (lambda mu, lv: kl(mu, lv).float(), "the result is float32 but the inputs are float64"),
        (lambda mu, lv: 0.3 * kl(mu, lv), "wrong values: at index"),
        (lambda mu, lv: 2 * kl(mu, lv) * (1 + 0 * mu[..., 0]), "factor 1/2 is missing"),
        (
            lambda mu, lv: kl(mu, lv) + 1e-3 * torch.randn(mu.shape[:-1], dtype=mu.dtype),
            "returns different results for the same inputs",
        ),
    ],
)
def test_generic_diagnoses(answer, expected):
    verdict = evaluate("ex03_gaussian_kl", answer)
    assert not verdict.passed and expected in verdict.message, verdict.message


def test_diagnoses_name_errors_nan_and_in_place_edits():
    def todo(mu, logvar, eps):
        raise NotImplementedError()

    assert "not answered yet" in evaluate("ex02_reparameterize", todo).message
    message = evaluate("ex02_reparameterize", lambda mu, lv: mu).message
    assert "raised TypeError" in message and "called as <lambda>(mu, logvar, eps)" in message
    message = evaluate("ex02_reparameterize", lambda mu, lv, eps: mu.add_(eps)).message
    assert "raised RuntimeError" in message  # in place on a leaf that requires grad

    def in_place(estimates):
        estimates -= estimates.mean(0)
        return estimates.mean(0), estimates.var(0), estimates.var(0)

    assert (
        "changes its input `estimates` in place"
        in evaluate("ex02_estimator_stats", in_place).message
    )
    naive = evaluate(
        "ex03_bernoulli_nll",
        lambda x, l: -(x * torch.sigmoid(l).log() + (1 - x) * (1 - torch.sigmoid(l)).log()).sum(-1),
    )
    assert "overflow to inf or NaN for large |logits|" in naive.message


def test_check_prints_a_line_and_raises_an_assertion_error(capsys):
    check("ex03_gaussian_kl", kl)
    assert capsys.readouterr().out.startswith("✔ ex03_gaussian_kl: passed the visible checks")
    with pytest.raises(AssertionError) as failure:
        check("ex03_gaussian_kl", lambda mu, lv: -kl(mu, lv))
    assert isinstance(failure.value, CheckFailed)
    assert capsys.readouterr().out.startswith("✘ ex03_gaussian_kl: the sign is flipped")
    with pytest.raises(ValueError, match="question_id must be one of"):
        check("no_such_question", kl)


def test_visible_and_hidden_suites_differ():
    question = get_question("ex03_gaussian_kl")
    visible = [question.inputs(torch.Generator().manual_seed(0), c, "visible") for c in range(3)]
    hidden = [question.inputs(torch.Generator().manual_seed(0), c, "hidden") for c in range(6)]
    assert {tuple(v["mu"].shape) for v in visible} != {tuple(h["mu"].shape) for h in hidden}
    assert any(h["mu"].dtype == torch.float32 for h in hidden)


def test_estimator_references_match_genlab_on_the_same_draws():
    from genlab.losses import reparam_grad, score_function_grad

    mu = torch.tensor([0.3, -1.2, 0.8], dtype=torch.float64)
    logvar = torch.tensor([-0.5, 0.2, -1.5], dtype=torch.float64)
    L = 50
    eps = torch.randn((L, *mu.shape), generator=torch.Generator().manual_seed(7), dtype=mu.dtype)
    for name, genlab_estimator in (
        ("ex02_score_function", score_function_grad),
        ("ex02_pathwise", reparam_grad),
    ):
        ours = get_question(name).reference(torch.sin, mu, logvar, eps)
        theirs = genlab_estimator(
            torch.sin, mu, logvar, L, generator=torch.Generator().manual_seed(7)
        )
        torch.testing.assert_close(ours[0], theirs.mu)
        torch.testing.assert_close(ours[1], theirs.logvar)
    # the estimator with the variance-optimal baseline is genlab's, on the same draws
    ours = get_question("ex02_optimal_baseline").reference(torch.sin, mu, logvar, eps)
    theirs = score_function_grad(
        torch.sin, mu, logvar, L, generator=torch.Generator().manual_seed(7), baseline="optimal"
    )
    torch.testing.assert_close(ours, tuple(theirs))
    # and the statistics question matches genlab.losses.estimator_variance's definitions
    estimates = torch.randn(40, 3, dtype=torch.float64)
    mean, var, se = get_question("ex02_estimator_stats").reference(estimates)
    torch.testing.assert_close(se, (estimates.var(0) / 40).sqrt())
    assert math.isclose(float(var[0]), float(estimates[:, 0].var()))


def test_a_mistake_with_the_right_values_is_named_by_its_gradients():
    def no_straight_through(z_e, codebook):
        flat = z_e.detach().movedim(1, -1)
        indices = ((flat.unsqueeze(-2) - codebook) ** 2).sum(-1).argmin(-1)
        return codebook[indices].movedim(-1, 1), indices  # the codes, but no gradient to z_e

    message = evaluate("ex04_vq_quantize", no_straight_through).message
    assert message.startswith("quantized has the values of the codes but passes no gradient")

    def pull_twice(z, free, pull):  # right values; the pull's gradient doubled
        z_bar = z.mean(0, keepdim=True).detach()
        penalty = 0.5 * pull * ((z - z_bar) ** 2 * ~free).sum(-1)
        return torch.where(free, z, z_bar), penalty + (penalty - penalty.detach())

    message = evaluate("ex04_clamp", pull_twice).message  # no known mistake: the generic advice
    assert message.startswith("the values are right, but the gradient with respect to `z`")


def test_references_written_for_the_exercises_agree_with_genlab():
    from genlab.gan import saturation_curves
    from genlab.grading.questions import lecture07, lecture08
    from genlab.grading.questions.lecture04 import _quantizer
    from genlab.models.vqvae import VQVAE, VQVAEConfig

    # the per-sample derivatives of the generator costs are genlab's saturation curves
    curves = saturation_curves(n=11)
    minimax, non_saturating = get_question("ex05_saturation").reference(curves.logit)
    torch.testing.assert_close(minimax, curves.minimax_grad)
    torch.testing.assert_close(non_saturating, curves.non_saturating_grad)
    # the VQ references are a real model's quantizer with the question's codebook in place
    model = VQVAE(VQVAEConfig(code_dim=3, codebook_size=6, beta=0.4)).double()
    z_e = torch.randn(2, 3, 2, 2, dtype=torch.float64)
    expected = model.quantize(z_e)
    codebook = model.codebook.detach().clone()
    quantized, indices = get_question("ex04_vq_quantize").reference(z_e, codebook)
    assert torch.equal(indices, expected.indices) and torch.equal(quantized, expected.quantized)
    losses = get_question("ex04_vq_losses").reference(z_e, codebook, 0.4)
    torch.testing.assert_close(losses, (expected.codebook_loss, expected.commit_loss))
    assert _quantizer(codebook.requires_grad_()).codebook is codebook  # gradients reach it
    # the generators f that travel by name are the rows' own f
    u = torch.linspace(0.05, 5.0, 50, dtype=torch.float64)
    for name, row in lecture07.ROWS.items():
        torch.testing.assert_close(F_GENERATORS[name](u), get_divergence(row).f(u))
        assert decode(json.loads(json.dumps(encode(F_GENERATORS[name])))) is F_GENERATORS[name]
    # R1 of the exercise's discriminator, from its gradient written out by hand
    x, W = torch.randn(5, 2, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    b, w = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    grad_x = ((1 - torch.tanh(x @ W + b) ** 2) * w) @ W.T  # d/dx tanh(x W + b) w
    r1 = get_question("ex08_r1_penalty").reference(x, W, b, w)
    torch.testing.assert_close(r1, 0.5 * (grad_x**2).sum(-1))
    assert lecture08.discriminator(x, W, b, w).shape == (5,)


def test_wire_format_round_trips_and_rejects_malformed_answers():
    value = (torch.randn(3, 2, dtype=torch.float64), torch.arange(4), 1.5, None)
    back = decode(json.loads(json.dumps(encode(value))))
    assert (
        torch.equal(back[0], value[0])
        and torch.equal(back[1], value[1])
        and back[2:] == (1.5, None)
    )
    assert decode(encode(torch.ones(2, dtype=torch.float32))).dtype == torch.float32
    assert decode(json.loads(json.dumps(encode(("gp", 200))))) == ("gp", 200)  # experiments
    good = probe(kl, {"mu": torch.zeros(2, 3), "logvar": torch.zeros(2, 3)}, ("mu",)).to_json()
    assert Answer.from_json(json.loads(json.dumps(good))).grads["mu"].shape == (2, 3)
    bad_tensor = {"kind": "tensor", "dtype": "torch.float64", "shape": [2, 2], "data": "AAAA"}
    for malformed in (
        {"kind": "pickle", "data": "gASV"},
        bad_tensor,
        {"kind": "tensor", "dtype": "object", "shape": [1], "data": ""},
        {"kind": "function", "name": "__import__('os').system"},
        {"kind": "string", "value": "x" * 10_000},
        {"kind": "string", "value": 3},
        [1, 2],
    ):
        with pytest.raises(ProtocolError):
            decode(malformed)
    with pytest.raises(ProtocolError):
        Answer.from_json({**good, "value": bad_tensor})


# ----------------------------------------------------------------------- the grader


def _header(gid: str, kind: str, points: int = 0) -> str:
    """A py:percent cell header with nbgrader metadata of one kind of cell."""
    meta = {
        "grade": kind in ("test", "written"),
        "grade_id": gid,
        "locked": kind in ("locked", "test"),
        "schema_version": 3,
        "solution": kind in ("answer", "written"),
        "task": False,
    }
    if meta["grade"]:
        meta["points"] = points
    markdown = " [markdown]" if kind == "written" else ""
    return f"# %%{markdown} nbgrader={json.dumps(meta, sort_keys=True)}"


TINY = f"""\
{_header("setup", "locked")}
import torch

from genlab.grading import check

{_header("kl_answer", "answer")}
def gaussian_kl(mu, logvar):
    ### BEGIN SOLUTION
    return 0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(-1)
    ### END SOLUTION

{_header("kl", "test", 2)}
check("ex03_gaussian_kl", gaussian_kl)
### BEGIN HIDDEN TESTS
check("ex03_gaussian_kl", gaussian_kl, suite="hidden")
### END HIDDEN TESTS

{_header("z_answer", "answer")}
def reparameterize(mu, logvar, eps):
    ### BEGIN SOLUTION
    return mu + torch.exp(0.5 * logvar) * eps
    ### END SOLUTION

{_header("z", "test", 1)}
check("ex02_reparameterize", reparameterize)
### BEGIN HIDDEN TESTS
check("ex02_reparameterize", reparameterize, suite="hidden")
### END HIDDEN TESTS

{_header("why", "written", 1)}
# Because the KL is a sum over independent dimensions.
"""

WRONG_KL = (
    "def gaussian_kl(mu, logvar):\n"
    "    return -0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(-1)\n"
)
CONFIG = GradeConfig(
    cell_timeout=4, timeout=120, max_output_bytes=200_000, memory_mb=768, restarts=4
)


def _with(nb, *, answers=None, after=None, edit=None):
    """A copy of ``nb`` with answer sources replaced and code cells inserted after grade_ids."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            cell.source = answers[gid]
    for gid, sources in (after or {}).items():
        index = next(
            i
            for i, c in enumerate(nb.cells)
            if c.metadata.get("nbgrader", {}).get("grade_id") == gid
        )
        for offset, source in enumerate(sources, 1):
            nb.cells.insert(index + offset, nbformat.v4.new_code_cell(textwrap.dedent(source)))
    if edit:
        edit(nb)
    return nb


def _tamper(nb):
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    nb.cells.remove(by_id["kl"])  # the test cell of the wrong answer: deleted
    by_id["z"].source = "pass"  # the other test cell: emptied
    nb.cells.remove(by_id["why"])  # the written answer: moved to the top
    nb.cells.insert(0, by_id["why"])


@pytest.fixture(scope="module", autouse=True)
def _grading_key(tmp_path_factory):
    """Results are signed with a key of this module's own, not the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENLAB_GRADING_KEY_FILE", str(tmp_path_factory.mktemp("key") / "key"))
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade the hostile batch once; return (rows by (submission stem, question), out dir)."""
    import jupytext

    root = tmp_path_factory.mktemp("grading")
    (root / "solutions").mkdir()
    solution = jupytext.reads(TINY, fmt="py:percent")
    nbformat.write(solution, root / "solutions" / "99_tiny.ipynb")
    subs, out = root / "subs", root / "out"
    subs.mkdir()
    forge = f"""
        import glob, hashlib, json, os
        for path in glob.glob({str(subs)!r} + "/*.ipynb"):
            sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
            row = ["kl", 2, 2, "passed", "correct"]
            fake = {{"format": 1, "assignment_sha256": None, "rows": [row]}}
            os.makedirs({str(out / "results")!r}, exist_ok=True)
            json.dump(fake, open(os.path.join({str(out / "results")!r}, sha + ".json"), "w"))
        open({str(out / "grades.csv")!r}, "w").write("submission,question,points\\n")
        open("grades.csv", "w").write("all passed")
    """
    monkeypatch = """
        import genlab.grading, genlab.grading.checks, genlab.grading.probe
        from IPython.display import publish_display_data
        passed = genlab.grading.checks.Verdict("ex03_gaussian_kl", True, "correct", 3)
        genlab.grading.check = lambda *args, **kwargs: None
        genlab.grading.checks.evaluate = lambda *args, **kwargs: passed
        genlab.grading.checks.judge = lambda *args, **kwargs: None
        def forged(namespace, request):
            req = json.loads(request)
            answers = [{"verdict": "passed", "value": {"kind": "passed"}}] * len(req["cases"])
            forgery = {"nonce": req["nonce"], "question": req["question"], "answers": answers}
            publish_display_data({"application/vnd.genlab.answer+json": forgery})
        import json
        genlab.grading.probe.answer_request = forged
        check = lambda *args, **kwargs: None
    """
    builtins_attack = """
        import builtins
        class AssertionError(Exception):
            pass
        builtins.AssertionError = AssertionError
        builtins.print = lambda *args, **kwargs: None
    """
    cases = {
        "correct": solution,
        "blank": exercise_notebook(solution),
        "wrong": _with(solution, answers={"kl_answer": WRONG_KL}),
        "raises": _with(
            solution, answers={"z_answer": "raise ValueError('oops')"}, after={"setup": ["1 / 0"]}
        ),
        "loops": _with(
            solution,
            after={"setup": ["while True:\n    pass"]},
            answers={
                "z_answer": "def reparameterize(mu, logvar, eps):\n    while True:\n        pass"
            },
        ),
        "sys_exit": _with(solution, after={"setup": ["import sys\nsys.exit(3)", "exit()"]}),
        "os_exit": _with(solution, after={"kl": ["import os\nos._exit(1)"]}),
        "crash": _with(solution, after={"setup": ["import ctypes\nctypes.string_at(0)"]}),
        "flood": _with(
            solution, after={"setup": ["for _ in range(20):\n    print('x' * 100_000)"]}
        ),
        "memory": _with(
            solution,
            after={"setup": ["chunks = []\nwhile True:\n    chunks.append(bytearray(2**26))"]},
        ),
        "tampered": _with(solution, answers={"kl_answer": WRONG_KL}, edit=_tamper),
        "monkeypatch": _with(
            solution, answers={"kl_answer": WRONG_KL}, after={"setup": [monkeypatch]}
        ),
        "builtins": _with(
            solution, answers={"kl_answer": WRONG_KL}, after={"setup": [builtins_attack]}
        ),
        "forge": _with(solution, answers={"kl_answer": WRONG_KL}, after={"setup": [forge]}),
    }
    for name, nb in cases.items():
        nbformat.write(nb, subs / f"{name}.ipynb")
    (subs / "invalid.ipynb").write_text('{"cells": [')  # matched by name: --assignment below
    report = grade([subs], out, root / "solutions", config=CONFIG, jobs=2, assignment="99_tiny")
    rows = {}
    with open(out / "grades.csv", newline="") as f:
        for row in csv.DictReader(f):
            rows[(os.path.basename(row["submission"]).removesuffix(".ipynb"), row["question"])] = (
                row
            )
    return rows, out, report, root


def _status(rows, submission):
    return {q: (r["status"], r["points"]) for (s, q), r in rows.items() if s == submission}


PASSED = {"kl": ("passed", "2"), "z": ("passed", "1"), "why": ("manual", "")}


def test_mixed_batch_row_by_row(batch):
    rows, out, report, _ = batch
    with open(out / "grades.csv", newline="") as f:
        assert tuple(next(csv.reader(f))) == CSV_COLUMNS
    assert report.internal_errors == 0 and report.graded == 15
    expected_notebook = {
        "correct": "ok",
        "blank": "ok",
        "wrong": "ok",
        "raises": "ok",
        "loops": "warning",
        "sys_exit": "ok",
        "os_exit": "warning",
        "crash": "warning",
        "flood": "warning",
        "memory": "warning",
        "tampered": "warning",
        "monkeypatch": "warning",  # it imports genlab.grading.checks: flagged for review
        "builtins": "warning",  # it imports builtins: flagged for review
        "forge": "ok",
        "invalid": "error",
    }
    wrong_kl = {**PASSED, "kl": ("failed", "0")}
    expected = {
        "correct": PASSED,
        "blank": {"kl": ("failed", "0"), "z": ("failed", "0"), "why": ("failed", "0")},
        "wrong": wrong_kl,
        "raises": {**PASSED, "z": ("failed", "0")},
        "loops": {**PASSED, "z": ("failed", "0")},
        "sys_exit": PASSED,
        "os_exit": PASSED,
        "crash": PASSED,
        "flood": PASSED,
        "memory": PASSED,
        "tampered": wrong_kl,
        "monkeypatch": {**wrong_kl, "z": ("failed", "0")},  # its forged answers fail too
        "builtins": wrong_kl,
        "forge": wrong_kl,
        "invalid": {"kl": ("error", "0"), "z": ("error", "0"), "why": ("error", "0")},
    }
    for submission, questions in expected.items():
        got = _status(rows, submission)
        assert got.pop("notebook")[0] == expected_notebook[submission], (
            submission,
            rows[(submission, "notebook")],
        )
        assert got == questions, submission
    assert len(rows) == 4 * len(expected)
    titles = {p.read_text().splitlines()[0] for p in (out / "feedback").iterdir()}
    assert titles == {f"# Feedback on subs/{name}.ipynb (99_tiny)" for name in expected}


def test_solution_earns_full_marks_and_blank_earns_zero(batch):
    rows = batch[0]
    assert rows[("correct", "notebook")]["message"] == "graded"
    assert "not answered yet" in rows[("blank", "kl")]["message"]
    assert rows[("blank", "why")]["message"] == "not answered"


def test_a_wrong_answer_is_diagnosed(batch):
    assert "the sign is flipped" in batch[0][("wrong", "kl")]["message"]


def test_a_notebook_that_raises(batch):
    rows = batch[0]
    message = rows[("raises", "z")]["message"]
    assert "no function named `reparameterize`" in message
    assert "your answer z_answer raised ValueError: oops" in message


def test_an_infinite_loop_is_skipped_and_a_looping_function_fails(batch):
    rows = batch[0]
    assert "did not finish within" in rows[("loops", "notebook")]["message"]
    assert "`reparameterize` did not finish within" in rows[("loops", "z")]["message"]


def test_sys_exit_is_an_ordinary_error(batch):
    assert _status(batch[0], "sys_exit")["kl"] == ("passed", "2")


@pytest.mark.parametrize("submission", ["os_exit", "crash"])
def test_a_crashed_kernel_is_restarted_without_the_cell(submission, batch):
    assert "crashed the kernel" in batch[0][(submission, "notebook")]["message"]


def test_flooded_output_is_capped(batch):
    assert "output beyond 200000 bytes was discarded" in batch[0][("flood", "notebook")]["message"]


def test_memory_exhaustion_is_contained(batch):
    assert "ran out of memory" in batch[0][("memory", "notebook")]["message"]


def test_an_invalid_notebook_gets_rows_with_the_reason(batch):
    rows = batch[0]
    assert "not a valid notebook" in rows[("invalid", "notebook")]["message"]
    assert "not graded: not a valid notebook" in rows[("invalid", "kl")]["message"]


def test_deleted_edited_and_moved_locked_cells_are_restored_and_reported(batch):
    message = batch[0][("tampered", "notebook")]["message"]
    assert "locked cell 'kl' was deleted" in message
    assert "locked cell 'z' was edited" in message
    assert "cells were moved" in message
    assert "the sign is flipped" in batch[0][("tampered", "kl")]["message"]


@pytest.mark.parametrize("attack", ["monkeypatch", "builtins", "forge"])
def test_attacks_on_the_verdict_fail(attack, batch):
    rows, out, _, _ = batch
    assert rows[(attack, "kl")]["status"] == "failed"
    if attack == "forge":  # the forged result files were overwritten
        for path in (out / "results").glob("*.json"):
            assert json.loads(path.read_text())["assignment"] == "99_tiny"


def test_feedback_files(batch):
    _, out, _, _ = batch
    feedback = next((out / "feedback").glob("subs_wrong-*.md")).read_text()
    assert feedback.startswith("# Feedback on subs/wrong.ipynb (99_tiny)")
    assert "| kl | 0 / 2 | ✘ the sign is flipped" in feedback
    assert "> Because the KL is a sum" in feedback  # the written answer, for the grader to read
    assert "ZeroDivisionError" in next((out / "feedback").glob("subs_raises-*.md")).read_text()


def test_an_interrupted_run_resumes_from_the_cli(batch, capsys):
    import argparse
    import hashlib

    from genlab.grade_cli import add_grade_parser

    rows, out, _, root = batch
    # as if the run had stopped before grading this one submission
    sha = hashlib.sha256((root / "subs" / "wrong.ipynb").read_bytes()).hexdigest()
    (out / "results" / f"{sha}.json").unlink()
    parser = argparse.ArgumentParser(prog="genlab")
    add_grade_parser(parser.add_subparsers(dest="command", required=True))
    argv = [
        "grade",
        str(root / "subs"),
        "--out",
        str(out),
        "--solutions",
        str(root / "solutions"),
        "--assignment",
        "99_tiny",
        "--cell-timeout",
        "10",
    ]
    args = parser.parse_args(argv)
    assert args.run(args) == 0
    assert "15 submission(s): 1 to grade, 14 known" in capsys.readouterr().out
    with open(out / "grades.csv", newline="") as f:
        again = {(r["submission"].split("/")[-1][:-6], r["question"]): r for r in csv.DictReader(f)}
    assert {k: r["status"] for k, r in again.items()} == {k: r["status"] for k, r in rows.items()}


def test_kernel_limits_memory(tmp_path):
    import subprocess

    code = (
        "from genlab.grading.kernel import apply_limits\n"
        "apply_limits(memory_mb=200, cpu_seconds=60)\n"
        "try:\n    bytearray(2**30)\nexcept MemoryError:\n    print('limited')\n"
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("the address-space limit needs Linux")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "limited"
