"""The GAN playground driven headlessly (click a button, set a control, tick Play) and the
trainer accessors it draws from, checked against independent computations."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from genlab.gan import (
    GANTrainConfig,
    GANTrainer,
    draw_noise,
    kde,
    mode_coverage,
    modes_covered,
)
from genlab.theory import optimal_discriminator
from genlab.train import TrainingDiverged
from genlab.widgets import gan_playground, measure_latency
from genlab.widgets._svg import SvgPlot, tick_label, ticks

LOG4 = math.log(4.0)


def readout_number(box, label: str) -> float:
    """The number after ``label`` in the readout table."""
    text = box.readout.value.replace("‖", "||").replace("−", "-")
    label = label.replace("‖", "||").replace("−", "-")
    match = re.search(re.escape(label) + r"</td><td[^>]*>\s*(-?[\d.]+)", text)
    assert match, f"{label!r} not in the readout"
    return float(match.group(1))


def generator_params(box):
    return [p.detach().clone() for p in box.state.trainer.model.generator.parameters()]


def discriminator_params(box):
    return [p.detach().clone() for p in box.state.trainer.model.discriminator.parameters()]


def same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def box1():
    return gan_playground(1, steps_per_frame=5)


@pytest.fixture
def box(box1):
    box1.state.reset()
    box1.state.optimal.value = False
    box1.state.objective.value = "non_saturating"
    return box1


# ------------------------------------------------------------------------- the buttons


def test_step_g_moves_only_the_generator_and_redraws(box):
    before, g0, d0 = box.plot.value, generator_params(box), discriminator_params(box)
    box.buttons["step_g"].click()
    t = box.state.trainer
    assert (t.step_count, t.d_steps) == (1, 0)
    assert not same(g0, generator_params(box))
    assert same(d0, discriminator_params(box))
    assert box.plot.value != before
    assert readout_number(box, "generator steps") == 1


def test_step_d_moves_only_the_discriminator_and_redraws(box):
    before, g0, d0 = box.plot.value, generator_params(box), discriminator_params(box)
    samples0 = box.state.last_picture.samples.clone()
    d_before = box.state.last_picture.d.clone()
    box.buttons["step_d"].click()
    t = box.state.trainer
    assert (t.step_count, t.d_steps) == (0, 1)
    assert same(g0, generator_params(box)) and not same(d0, discriminator_params(box))
    assert torch.equal(samples0, box.state.last_picture.samples)
    assert not torch.equal(box.state.last_picture.d, d_before)  # the drawn D moved
    assert box.plot.value != before
    assert readout_number(box, "discriminator steps") == 1


def test_play_tick_runs_one_frame_of_steps(box):
    k = box.state.trainer.config.k
    box.play.value = 1
    assert box.state.trainer.step_count == box.state.steps_per_frame.value
    assert box.state.trainer.d_steps == k * box.state.steps_per_frame.value
    box.play.value = 2
    assert box.state.trainer.step_count == 2 * box.state.steps_per_frame.value
    assert len(box.state.curves["g"]) == 2 * box.state.steps_per_frame.value


def test_reset_returns_to_the_first_frame_exactly(box):
    first = box.plot.value
    box.buttons["step"].click()
    box.play.value = 7
    assert box.plot.value != first
    box.buttons["reset"].click()
    assert box.state.trainer.step_count == 0
    assert box.plot.value == first


# -------------------------------------------------------------------------- the controls


def test_target_sliders_rebuild_the_target(box):
    box.play.value = 3
    box.state.modes.value = 3
    t = box.state.trainer
    assert t.step_count == 0
    np.testing.assert_allclose(t.target.modes[:, 0].numpy(), [-4.0, 0.0, 4.0])
    box.state.separation.value = 2.0
    box.state.std.value = 0.3
    t = box.state.trainer
    np.testing.assert_allclose(t.target.modes[:, 0].numpy(), [-2.0, 0.0, 2.0])
    np.testing.assert_allclose(t.target.mode_stds.numpy(), [0.3] * 3)
    # the drawn data density is the target's own: its peak sits on a mode
    pic = box.state.last_picture
    peak = float(pic.axis[pic.p_data.argmax()])
    assert min(abs(peak - m) for m in (-2.0, 0.0, 2.0)) < 0.02
    box.state.modes.value, box.state.separation.value, box.state.std.value = 2, 4.0, 0.5


def test_live_settings_reach_the_optimizers(box):
    box.state.lr_g.value = 10**-2.5
    box.state.lr_d.value = 10**-3.0
    box.state.k.value = 3
    t = box.state.trainer
    assert math.isclose(t.g_optimizer.param_groups[0]["lr"], 10**-2.5)
    assert math.isclose(t.d_optimizer.param_groups[0]["lr"], 10**-3.0)
    box.buttons["step"].click()
    assert t.d_steps == 3 and t.step_count == 1
    box.state.k.value = 1


def test_widths_and_prior_rebuild_the_gan(box):
    box.state.g_width.value = 32
    box.state.d_width.value = 8
    cfg = box.state.trainer.model.config
    assert cfg.g_hidden == (32, 32) and cfg.d_hidden == (8, 8)
    box.state.prior.value = "uniform"
    z = box.state.trainer.z_eval
    assert float(z.abs().max()) <= math.sqrt(3) + 1e-6
    box.state.prior.value = "normal"
    assert float(box.state.trainer.z_eval.abs().max()) > math.sqrt(3)
    box.state.g_width.value, box.state.d_width.value = 16, 16


def test_optimal_mode_only_for_the_gan_objectives(box):
    box.state.objective.value = "kl"
    assert box.state.optimal.disabled
    assert box.state.trainer.config.objective == "kl"
    box.play.value = 1  # an f-GAN frame trains
    assert box.state.trainer.step_count > 0
    box.state.objective.value = "minimax"
    assert not box.state.optimal.disabled
    box.state.optimal.value = True
    assert box.state.trainer.config.optimal_d
    box.state.objective.value = "reverse_kl"  # unticks D* on its own
    assert not box.state.optimal.value and not box.state.trainer.config.optimal_d


def test_readout_value_meets_the_jsd_bound(box):
    """V(D, G) <= 2 JSD - log 4 for a trained D; with D = D* the two agree."""
    box.play.value = 1
    v, jsd = readout_number(box, "V(D, G)"), readout_number(box, "JSD(p_data ‖ p_g)")
    assert v <= 2 * jsd - LOG4 + 0.02
    assert math.isclose(readout_number(box, "2 JSD − log 4"), 2 * jsd - LOG4, abs_tol=2e-4)
    box.state.objective.value = "minimax"
    box.state.optimal.value = True
    for tick in range(2, 6):
        box.play.value = tick
    v, jsd = readout_number(box, "V(D, G)"), readout_number(box, "JSD(p_data ‖ p_g)")
    assert abs(v - (2 * jsd - LOG4)) < 0.06
    assert "D = D*" in box.readout.value


def test_wgan_gp_readout_shows_the_critics_estimate_next_to_the_exact_w1():
    from genlab.gan import wasserstein_1d_to_target

    box = gan_playground(1, objective="wgan_gp", r1=0.0, steps_per_frame=5)
    state = box.state  # a fresh playground: its critic starts at f = 0
    state.step_d_many_button.click()
    exact = wasserstein_1d_to_target(state.trainer.target, state.trainer.model.generator)
    assert readout_number(box, "W1(p_data, p_g), exact") == pytest.approx(exact, abs=1e-3)
    gap = readout_number(box, "critic E f(x) − E f(G(z))")
    assert 0.8 * exact <= gap <= 1.3 * exact  # as the trainer's test: measured 1.09 x W1
    assert "mean |D − D*|" not in box.readout.value  # D* is the GAN's, not a critic's


def test_divergence_stops_play_and_says_so(box, monkeypatch):
    def diverge():
        raise TrainingDiverged("GAN training diverged at generator step 3: g_loss = nan")

    box.play.playing = True
    monkeypatch.setattr(box.state.trainer, "step_g", diverge)
    box.play.value = 1
    assert not box.play.playing
    assert "diverged" in box.readout.value and "genlab-gan-error" in box.readout.value
    box.play.value = 2  # further ticks do nothing until a reset
    box.state.reset()
    assert "genlab-gan-error" not in box.readout.value


# ------------------------------------------------------------------------------- 2-D


def test_ring_playground_shows_heatmap_and_mode_coverage():
    box = gan_playground(2, steps_per_frame=3)
    assert "genlab-gan-playground" in box._dom_classes
    assert "data:image/png;base64," in box.plot.value
    label = re.search(r"modes covered: (\d+) of (\d+)", box.plot.value)
    assert label and int(label.group(2)) == 8
    state = box.state
    covered = modes_covered(state.trainer.target, state.last_picture.samples[None])[0]
    assert int(label.group(1)) == int(covered.sum())
    before = box.plot.value
    box.buttons["step_g"].click()
    assert box.plot.value != before
    state.target_name.value = "mixture2d"
    assert re.search(r"modes covered: \d+ of 3", box.plot.value)
    assert re.search(r"<svg[^>]*genlab-gan-main", box.plot.value)
    assert "D(x)</text>" in box.plot.value  # the heatmap's colour bar is labelled


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="dim"):
        gan_playground(3)
    with pytest.raises(ValueError, match="target"):
        gan_playground(2, target="moons")
    with pytest.raises(ValueError, match="steps_per_frame"):
        gan_playground(1, steps_per_frame=0)
    with pytest.raises(ValueError, match="objective"):
        gan_playground(1, objective="wasserstein")


def test_frames_are_timed_through_play(box):
    timing = measure_latency(box.play, range(1, 6))
    assert timing["n"] == 5 and timing["median"] > 0


# ----------------------------------------------------------------- trainer accessors


@pytest.fixture(scope="module")
def trained():
    trainer = GANTrainer(target="mixture1d", config=GANTrainConfig(device="cpu", seed=3))
    trainer.train(150)
    return trainer


def test_picture_matches_the_trainer_accessors(trained):
    pic = trained.picture()
    assert math.isclose(pic.jsd, trained.jsd(), rel_tol=1e-12)
    assert math.isclose(pic.value, trained.value(), rel_tol=1e-12)
    d = trained.discriminator_on(pic.d_axis[:, None].float()).double()
    torch.testing.assert_close(pic.d, d)
    assert torch.equal(pic.samples, trained.samples())


def test_picture_d_star_matches_the_exact_kde_ratio(trained):
    """D* from the binned grid KDE vs theory.optimal_discriminator with the exact mixture KDE."""
    pic = trained.picture()
    t = trained.target
    p_g = kde(pic.samples.double(), t.bandwidth(len(pic.samples)))
    exact = optimal_discriminator(t.distribution64, p_g)(pic.axis)
    mass = (pic.p_data + pic.p_g) > 1e-2
    assert mass.sum() > 100
    assert float((pic.d_star - exact)[mass].abs().max()) < 0.03


def test_picture_jsd_matches_quadrature(trained):
    """The grid JSD against scipy's quadrature of the JS integrand with the exact KDE."""
    from scipy import integrate

    pic = trained.picture()
    t = trained.target
    p_g = kde(pic.samples.double(), t.bandwidth(len(pic.samples)))

    def integrand(x):
        x = torch.tensor([x], dtype=torch.float64)
        p, q = t.distribution64.log_prob(x).exp().item(), p_g.log_prob(x).exp().item()
        m = 0.5 * (p + q)
        out = 0.0
        for a in (p, q):
            if a > 0:
                out += 0.5 * a * math.log(a / m)
        return out

    lo, hi = float(pic.axis[0]) - 3, float(pic.axis[-1]) + 3
    value, _ = integrate.quad(integrand, lo, hi, limit=400, points=[-2.0, 0.0, 2.0])
    assert abs(pic.jsd - value) < 0.01


def test_picture_needs_a_toy_target():
    trainer = GANTrainer(target="digits", config=GANTrainConfig(device="cpu"))
    with pytest.raises(ValueError, match="toy target"):
        trainer.picture()


def test_uniform_noise_has_unit_variance_and_bounded_support():
    z = draw_noise(200_000, 2, torch.Generator().manual_seed(0), "uniform")
    assert z.shape == (200_000, 2)
    assert float(z.abs().max()) <= math.sqrt(3)
    np.testing.assert_allclose(z.mean(0).numpy(), 0.0, atol=0.01)
    np.testing.assert_allclose(z.var(0).numpy(), 1.0, atol=0.01)
    with pytest.raises(ValueError, match="prior"):
        draw_noise(4, 1, prior="cauchy")
    with pytest.raises(ValueError, match="prior"):
        GANTrainConfig(prior="laplace")


def test_modes_covered_agrees_with_mode_coverage(trained):
    from genlab.gan import make_target

    ring = make_target("ring")
    x = ring.sample(4000, torch.Generator().manual_seed(1))
    one_mode = x[(x - ring.modes[0].float()).norm(dim=1) < 0.3]
    both = torch.stack([x[:500], one_mode[:500]])
    hit = modes_covered(ring, both)
    assert hit[0].all() and int(hit[1].sum()) == 1 and bool(hit[1, 0])
    torch.testing.assert_close(mode_coverage(ring, both), hit.double().mean(1))


def test_step_d_many_brings_d_onto_d_star_without_r1_and_is_recorded():
    box = gan_playground(1, r1=0.0)
    state = box.state
    g_before = generator_params(box)
    start = readout_number(box, "mean |D − D*| on data")
    box.buttons["step_d_many"].click()
    assert state.trainer.d_steps == 50 and state.trainer.step_count == 0
    assert same(g_before, generator_params(box))
    assert len(state.curves["d"]) == 50 and len(state.curves["g"]) == 0
    # independently: D from the trainer against D* = p_data / (p_data + p_g) of its KDE
    pic = state.trainer.picture()
    on = pic.p_data >= 1e-2 * pic.p_data.max()
    d = state.trainer.discriminator_on(pic.axis[:, None].float()).double()
    error = float((d - pic.d_star).abs()[on].mean())
    assert readout_number(box, "mean |D − D*| on data") == pytest.approx(error, abs=1e-3)
    # from D = 1/2 (error ~0.5) most of the way to D*: the lecture's "D climbs towards D*"
    assert start > 0.4 and error < 0.5 * start
    # the D loss curve is drawn: a polyline in the loss panel
    losses = box.plot.value.split("genlab-gan-losses", 1)[1].split("</svg>", 1)[0]
    assert "<polyline" in losses


def test_empty_values_show_a_dash_and_axes_stay_sane(box):
    box.state.reset()
    text = box.readout.value + box.plot.value
    assert "nan" not in text.lower().replace("nats", "")
    assert "—" in box.readout.value  # no D(x) averages before the first step
    labels = re.findall(r">([^<>]*)</text>", box.plot.value)
    assert labels and not any(t in ("-0", "−0") or "e-1" in t for t in labels), labels


def test_mode_collapse_is_pointed_out(box):
    state = box.state
    generator = state.trainer.model.generator
    last = [m for m in generator.modules() if isinstance(m, torch.nn.Linear)][-1]
    mode = float(state.trainer.target.modes[0, 0])
    with torch.no_grad():  # every sample on the first of the two modes
        last.weight.zero_()
        last.bias.fill_(mode)
    state.trainer.step_count = 1
    state.redraw()
    covered = modes_covered(state.trainer.target, state.last_picture.samples[None])[0]
    assert covered.tolist() == [True, False]
    assert "mode collapse: G covers 1 of 2 modes" in box.readout.value
    assert "mode collapse: G covers 1 of 2 modes" in box.plot.value
    state.reset()
    assert "mode collapse" not in box.readout.value


# ---------------------------------------------------------------------------- SVG


def _polyline_points(svg: str) -> np.ndarray:
    pairs = re.findall(r'points="([^"]+)"', svg)
    return np.array([[float(v) for v in p.split(",")] for s in pairs for p in s.split()])


def test_svg_marks_stay_in_their_box_and_ticks_are_round():
    plot = SvgPlot(200, 120, (0, 10), (0, 1))
    plot.line(np.linspace(-5, 15, 41), np.linspace(-1, 2, 41), "red")  # beyond both limits
    plot.area(np.linspace(0, 10, 11), np.full(11, 3.0), "blue")
    plot.axes(xlabel="x", ylabel="y")
    svg = plot.svg()
    left, top, right, bottom = plot.box
    xy = _polyline_points(svg)
    assert len(xy) and (xy[:, 0] >= left - 1e-9).all() and (xy[:, 0] <= right + 1e-9).all()
    assert (xy[:, 1] >= top - 1e-9).all() and (xy[:, 1] <= bottom + 1e-9).all()
    assert f'clip-path="url(#{plot.id})"' in svg
    np.testing.assert_allclose(ticks(-2.220446e-16, 1.0), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert [tick_label(t) for t in ticks(-1e-17, 1000.0)] == [
        "0",
        "200",
        "400",
        "600",
        "800",
        "1000",
    ]
    assert "-0" not in [tick_label(t) for t in ticks(-1.0, 1.0)]
    # the last x tick label ends inside the SVG instead of being cut at its edge
    wide = SvgPlot(200, 120, (0, 1000), (0, 1), margin=(40, 2, 10, 30)).axes().svg()
    assert re.search(r'<text x="199.0" y="[\d.]+" text-anchor="end"[^>]*>1000</text>', wide)
    with pytest.raises(ValueError, match="xlim"):
        SvgPlot(10, 10, (0, float("nan")), (0, 1))


def test_svg_ticks_and_broken_lines():
    np.testing.assert_allclose(ticks(0.0, 1.0), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(ticks(-4.3, 4.3), [-4, -2, 0, 2, 4])
    plot = SvgPlot(100, 100, (0, 4), (0, 1), margin=(0, 0, 0, 0))
    plot.line([0, 1, 2, 3, 4], [0, 1, np.nan, 0, 1], "red")
    assert plot.svg().count("<polyline") == 2
    np.testing.assert_allclose(plot.px([0, 4]), [0, 100])
    np.testing.assert_allclose(plot.py([0, 1]), [100, 0])


def test_saturation_figure_draws_the_costs_and_their_gradients():
    import matplotlib

    matplotlib.use("Agg")
    from genlab.gan import saturation_curves
    from genlab.plots import saturation_figure

    curves = saturation_curves(n=101)
    fig = saturation_figure(curves)
    cost_ax, grad_ax = fig.axes
    d = curves.d.numpy()
    # against the closed forms, not the curves: log(1 - D), -log D; gradients -D and D - 1
    ys = [line.get_ydata() for line in cost_ax.lines]
    np.testing.assert_allclose(ys[0], np.log1p(-d), rtol=1e-10)
    np.testing.assert_allclose(ys[1], -np.log(d), rtol=1e-10)
    grads = [line.get_ydata() for line in grad_ax.lines[:2]]
    np.testing.assert_allclose(grads[0], -d, atol=1e-12)
    np.testing.assert_allclose(grads[1], d - 1, atol=1e-12)
    runs = {"minimax": type("R", (), {"step": np.arange(1, 4), "grad_norm": np.ones(3)})()}
    assert len(saturation_figure(curves, runs).axes) == 3


# ------------------------------------------------------- the density of a 1-D generator


def test_generator_density_of_an_affine_map_is_a_gaussian():
    from genlab.gan import generator_density_1d

    x = torch.linspace(-5, 7, 25, dtype=torch.float64)
    density = generator_density_1d(lambda z: -2.0 * z + 1.0, x)
    expected = torch.distributions.Normal(1.0, 2.0).log_prob(x).exp()
    torch.testing.assert_close(density, expected, atol=1e-7, rtol=1e-6)
    uniform = generator_density_1d(lambda z: 3.0 * z, x, prior="uniform")
    inside = x.abs() < 3 * math.sqrt(3) - 0.1
    flat = torch.full_like(uniform[inside], 1 / (6 * math.sqrt(3)))
    torch.testing.assert_close(uniform[inside], flat)


def test_generator_density_sums_over_every_preimage():
    """z^2 with z ~ N(0, 1) is chi-squared with one degree of freedom (two preimages)."""
    from scipy import stats

    from genlab.gan import generator_density_1d

    x = torch.linspace(0.05, 6.0, 40, dtype=torch.float64)
    density = generator_density_1d(lambda z: z**2, x, n=200_001)
    expected = torch.as_tensor(stats.chi2(1).pdf(x.numpy()))
    torch.testing.assert_close(density, expected, rtol=1e-3, atol=0)
    with pytest.raises(ValueError, match="span"):
        generator_density_1d(lambda z: z, x, span=0)
