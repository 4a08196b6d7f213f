"""What the exercise sheets ask and how they say it: every question has a kind, points that
follow it, and tiered hints; each sheet states its points; a passing check says what it
proved and no more."""

from __future__ import annotations

import re

import pytest
import torch

from genlab.grading import check, get_question, hint, registered_questions, reset_hints
from genlab.grading.assignments import Assignment, points_table, question_kind
from genlab.grading.checks import KINDS, Question

CODE = re.compile(r"\bdef |\blambda \w*:|\.sum\(|\.mean\(|\bimport |==|torch\.[\w.]+\(")


def _solutions(root):
    return sorted((root / "solutions").glob("[0-9][0-9]*_*.py"))


@pytest.mark.parametrize("question_id", sorted(registered_questions()))
def test_every_question_has_a_kind_and_at_least_two_hints_without_code(question_id):
    question = get_question(question_id)
    assert question.kind in KINDS
    assert len(question.hints) >= 2, question_id
    for text in question.hints:
        assert text.strip() and not CODE.search(text), (question_id, text)
    assert len(set(question.hints)) == len(question.hints)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        Question("q", lambda: None, lambda g, c, s: {}, kind="retyping")


def test_hint_shows_the_next_hint_then_repeats_the_last(capsys):
    hints = get_question("ex03_gaussian_kl").hints
    reset_hints()
    for number in range(1, len(hints) + 2):
        hint("ex03_gaussian_kl")
        shown = min(number, len(hints))
        out = capsys.readouterr().out
        assert out.startswith(f"Hint {shown} of {len(hints)} for ex03_gaussian_kl")
        assert hints[shown - 1] in out
    hint("ex02_reparameterize")  # each question counts its own hints
    assert capsys.readouterr().out.startswith("Hint 1 of")
    reset_hints("ex03_gaussian_kl")
    hint("ex03_gaussian_kl")
    assert capsys.readouterr().out.startswith("Hint 1 of")
    with pytest.raises(ValueError, match="question_id must be one of"):
        hint("ex99_nothing")


def test_hint_without_the_questions_says_so(monkeypatch, capsys):
    """In the grader's sandbox the questions are not importable: a left-over hint() call in a
    student's cell must not break the notebook."""
    import genlab.grading.checks as checks

    def missing(question_id):
        raise ModuleNotFoundError("No module named 'genlab.grading.questions'")

    monkeypatch.setattr(checks, "get_question", missing)
    hint("ex03_gaussian_kl")
    assert "not available" in capsys.readouterr().out


def test_a_visible_pass_says_what_it_proved_and_that_grading_tries_more(capsys):
    question = get_question("ex03_gaussian_kl")
    check("ex03_gaussian_kl", question.reference)
    out = capsys.readouterr().out.strip()
    assert out == (
        "✔ ex03_gaussian_kl: passed the visible checks (values and gradients match genlab's "
        "reference on 3 random inputs); more inputs are tried at grading"
    )
    check("ex03_gaussian_kl", question.reference, suite="hidden")
    assert "passed the hidden tests" in capsys.readouterr().out
    assert "correct" not in out


def test_points_follow_the_kind_and_each_sheet_states_them(root):
    for source in _solutions(root):
        assignment = Assignment.load(source)
        text = source.read_text(encoding="utf-8")
        for number, question in enumerate(assignment.graded, 1):
            kind = question_kind(question)
            assert question.points in KINDS[kind], (source.name, question.grade_id)
            unit = "point" if question.points == 1 else "points"
            header = re.search(
                rf'"grade_id": "{question.grade_id}_text".*\n# ## (\d+)\. .* \((.*)\)\n', text
            )
            assert header, (source.name, question.grade_id)
            assert header.groups() == (str(number), f"{question.points:g} {unit}, {kind}")
        intro = "\n".join(
            line.removeprefix("# ") for line in assignment.nb.cells[0].source.split("\n")
        )
        assert points_table(assignment) in intro, source.name
        total = re.search(r"\*\*total\*\* \| \| \*\*(\d+)\*\*", points_table(assignment))
        assert float(total.group(1)) == assignment.max_points


def test_an_experiment_is_judged_by_its_outcome_without_a_reference_run():
    """The grader trains with the submitted settings itself; the reference is never run."""
    from dataclasses import replace

    from genlab.grading.checks import judge
    from genlab.grading.probe import probe

    question = get_question("ex05_gan_settings")
    assert question.kind == "experiment" and question.outcome is not None

    def forbidden(*args):
        raise AssertionError("the reference must not run for an experiment")

    strict = replace(question, reference=forbidden)
    inputs = {"mu": 0.5, "sigma": 1.0}
    over = probe(lambda mu, sigma: (5000, 0.03, 0.06, 16), inputs)
    assert judge(strict, inputs, over).startswith("over the budget: settings.steps")
    odd = probe(lambda mu, sigma: "fast", inputs)
    assert judge(strict, inputs, odd).startswith("expected a tuple of 4 numbers")


def test_the_linear_gan_run_is_seeded_and_refuses_settings_over_its_budget():
    from genlab.gan import LinearGANSettings, train_linear_gan_1d

    settings = LinearGANSettings(steps=20)
    first, again = (train_linear_gan_1d(3, 0.5, 1.0, settings) for _ in range(2))
    assert torch.equal(first, again) and first.shape == (2,)
    with pytest.raises(ValueError, match=r"settings.lr_d must be in \(0, 0.1\]"):
        train_linear_gan_1d(3, 0.5, 1.0, (100, 0.01, 0.5, 8))


def test_the_discriminator_run_reports_d_star_and_refuses_settings_over_its_budget():
    from scipy import stats

    from genlab.gan import fit_discriminator_1d

    fit = fit_discriminator_1d(1, (0.5, 0.8), (-0.3, 1.4), (5, 0.01, 8, 16))
    p, q = stats.norm.pdf(fit.grid.numpy(), 0.5, 0.8), stats.norm.pdf(fit.grid.numpy(), -0.3, 1.4)
    assert torch.allclose(fit.d_star, torch.tensor(p / (p + q)), atol=1e-12)
    assert float(fit.grid[0]) == pytest.approx(-0.3 - 2.8) and fit.grid.shape == (101,)
    assert float(fit.error) == pytest.approx(float((fit.d - fit.d_star).abs().mean()))
    with pytest.raises(ValueError, match=r"settings.batch must be in \(0, 256\]"):
        fit_discriminator_1d(1, (0.5, 0.8), (-0.3, 1.4), (5, 0.01, 8, 512))


def test_every_sheet_asks_a_derivation_and_the_course_three_debugging_questions(root):
    kinds_per_sheet = {
        source.stem: [question_kind(q) for q in Assignment.load(source).graded]
        for source in _solutions(root)
    }
    for sheet, kinds in kinds_per_sheet.items():
        assert "derivation" in kinds, sheet
    assert sum(kinds.count("debug") for kinds in kinds_per_sheet.values()) >= 3


@pytest.mark.parametrize(
    "question_id",
    sorted(q for q, question in registered_questions().items() if question.kind == "derivation"),
)
def test_every_derivation_names_at_least_two_wrong_derivations(question_id):
    """Each named mistake is a distinct wrong formula with its own message (that the check
    gives each its message is tested in test_grading.py)."""
    question = get_question(question_id)
    assert len(question.mistakes) >= 2
    assert len({m.message for m in question.mistakes}) == len(question.mistakes)


def test_the_linear_vae_keeps_the_directions_whose_variance_exceeds_beta():
    """Lucas et al. 2019: a linear VAE with unit decoder variance uses the directions of data
    variance lambda > beta only; the data's variances are 8, 5, 3, 1.2, 0.6, 0.3."""
    from genlab.vae_objectives import linear_beta_vae

    for beta, expected in ((0.8, 4), (4.0, 2)):
        variances = linear_beta_vae(5, (beta, 800, 0.02))
        assert int((variances > 0.01).sum()) == expected, (beta, variances)
    with pytest.raises(ValueError, match=r"settings.beta must be in \(0, 10.0\]"):
        linear_beta_vae(5, (12.0, 10, 0.02))


def test_one_thread_restores_the_thread_count_even_after_an_error():
    from genlab.device import one_thread

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), one_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


EXPERIMENTS = sorted(
    q for q, question in registered_questions().items() if question.kind == "experiment"
)


@pytest.mark.parametrize("question_id", EXPERIMENTS)
def test_an_experiment_trains_once_in_the_visible_check_and_more_in_the_hidden_tests(question_id):
    """The judge hands the outcome the suite's (runs, needed); the pass says what it proved."""
    from dataclasses import replace

    from genlab.grading.checks import evaluate, passed_message

    question = get_question(question_id)
    assert question.runs["visible"] == (1, 1)
    runs, needed = question.runs["hidden"]
    assert runs > 1 and 1 <= needed <= runs
    seen = []
    recording = replace(question, outcome=lambda inputs, value, r, n: seen.append((r, n)))
    import genlab.grading.checks as checks

    original = checks._QUESTIONS[question_id]
    checks._QUESTIONS[question_id] = recording
    try:
        for suite in ("visible", "hidden"):
            assert evaluate(question_id, question.reference, suite=suite).passed
    finally:
        checks._QUESTIONS[question_id] = original
    assert seen == [(1, 1), (runs, needed)]
    visible = passed_message(question, "visible", 1)
    assert "on 1 fresh seed" in visible and visible.endswith("more seeds are tried at grading")
    assert f"at least {needed} of {runs} fresh seeds" in passed_message(question, "hidden", 1)


def test_runs_stop_once_the_verdict_is_known():
    from genlab.grading.questions._experiments import run_until_decided

    calls = []

    def run(seed):
        calls.append(seed)
        return seed

    assert run_until_decided([1, 2, 3, 4], run, lambda r: r > 0, 3) == ([1, 2, 3], 3)
    calls.clear()
    assert run_until_decided([0, 0, 5, 6], run, lambda r: r > 0, 3) == ([0, 0], 0)
    assert run_until_decided([0, 5, 6, 7], run, lambda r: r > 0, 3) == ([0, 5, 6, 7], 3)


def test_settings_with_names_are_checked_field_by_field():
    from genlab.grading.questions._experiments import budget_problem, settings_problem

    fields, names = ("divergence", "steps"), {"divergence": ("kl", "reverse_kl")}
    assert settings_problem(("kl", 300), fields, names) is None
    assert settings_problem(("js", 300), fields, names).startswith("divergence must be one of")
    assert settings_problem(("kl", "300"), fields, names) == "steps must be a number; got '300'"
    assert settings_problem(("kl",), fields, names).startswith("expected a tuple of 2 settings")
    assert budget_problem(("kl", 500), fields, {"steps": 400}).startswith("over the budget: steps")


def test_a_translated_gaussian_is_w1_away_by_the_length_of_the_shift():
    """W1(N(d, s^2 I), N(0, s^2 I)) = ||d||, as ex09_critic_estimate states: the projection on
    d/||d|| is 1-Lipschitz, so W1 is at least the exact 1-D W1 of the projections (= ||d||), and
    the translation is a plan that moves every point by ||d||."""
    from genlab.metrics import wasserstein_1d

    g = torch.Generator().manual_seed(3)
    d, s, n = torch.tensor([1.2, -0.9], dtype=torch.float64), 0.8, 200_000
    p = d + s * torch.randn(n, 2, generator=g, dtype=torch.float64)
    q = s * torch.randn(n, 2, generator=g, dtype=torch.float64)
    u = d / d.norm()
    # the 1-D W1 of the projections: ||d|| up to sampling noise of order s / sqrt(n)
    assert float(wasserstein_1d(p @ u, q @ u)) == pytest.approx(
        float(d.norm()), abs=10 * s / n**0.5
    )


def test_the_codebook_run_is_seeded_and_refuses_settings_over_its_budget():
    from genlab.vqvae_experiments import vqvae_codebook_run

    first, again = (vqvae_codebook_run(2, (1, 2e-3, 0.25, 0, 20), 16) for _ in range(2))
    assert first == again and 1.0 <= first.perplexity <= 16 and first.nll > 0
    with pytest.raises(ValueError, match=r"settings.epochs must be in \[0, 4\]"):
        vqvae_codebook_run(2, (9, 2e-3, 0.25, 0, 20))
    with pytest.raises(ValueError, match=r"settings.data_init"):
        vqvae_codebook_run(2, (1, 2e-3, 0.25, 0.5, 20))


def test_the_ring_run_counts_modes_per_seed_and_checks_its_settings():
    from genlab.gan.experiments import RingSettings, ring_gan_modes

    counts = ring_gan_modes([0, 1], 2.0, RingSettings(steps=5))
    assert counts == ring_gan_modes([0, 1], 2.0, RingSettings(steps=5))
    assert len(counts) == 2 and all(0 <= c <= 8 for c in counts)
    with pytest.raises(ValueError, match="settings.lr"):
        ring_gan_modes([0], 2.0, RingSettings(lr=-1.0))
