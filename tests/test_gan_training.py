"""GAN training: the objectives are genlab.losses', the schedule is what it says, the default
1-D GAN converges, D learns D*, the optimal-D game descends 2 JSD - log 4, f-GANs cover or seek
modes, the minimax cost saturates, bad input is refused, and the CLI writes its files."""

import argparse
import math
from dataclasses import replace

import pytest
import torch

from genlab import losses
from genlab.checkpoint import load
from genlab.divergences import F_DIVERGENCES, js_divergence
from genlab.gan import (
    OBJECTIVES,
    GANTrainConfig,
    GANTrainer,
    ManySeedGANs,
    compare_objectives,
    dcgan_digit_quality,
    dcgan_digits_run,
    default_setup,
    discriminator_objective,
    discriminator_step,
    discriminator_vs_optimal,
    fit_gaussian_fgan,
    generator_objective,
    generator_step,
    grid_jsd,
    init_gan,
    kde,
    make_target,
    optimal_logit,
    saturation_curves,
    saturation_experiment,
    wasserstein_1d_to_target,
)
from genlab.gan_cli import add_gan_parser
from genlab.models.gan import GAN_PRESETS, GANConfig
from genlab.theory import gan_value_quadrature as gan_value
from genlab.theory import optimal_discriminator
from genlab.train import TrainingDiverged

CPU = dict(device="cpu")


@pytest.fixture(scope="module")
def target():
    return make_target("mixture1d")


def _trainer(target, **overrides):
    config = replace(GANTrainConfig(device="cpu", log_every=10), **overrides)
    return GANTrainer(init_gan("toy1d", config.seed), target, config)


# ------------------------------------------------------------------------------ objectives


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_objectives_are_genlab_losses(objective):
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(16, generator=g), torch.randn(16, generator=g)
    if objective in losses.GENERATOR_KINDS:
        d_expected = losses.discriminator_loss(real, fake)
        g_expected = losses.generator_loss(fake, objective)
    elif objective == "least_squares":  # Mao et al. 2017, eq. 2 with a = 0, b = c = 1
        d_expected = 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
        g_expected = 0.5 * ((fake - 1) ** 2).mean()
    elif objective in ("wgan", "wgan_gp"):  # the critic's E_q f - E_p f; G's -E_q f
        d_expected, g_expected = fake.mean() - real.mean(), -fake.mean()
    else:
        d_expected = losses.fgan_discriminator_loss(objective, real, fake)
        g_expected = losses.fgan_generator_loss(objective, fake)
    torch.testing.assert_close(discriminator_objective(objective, real, fake), d_expected)
    torch.testing.assert_close(generator_objective(objective, fake), g_expected)


def train_gan(
    dataset: str = "mixture1d",
    objective: str | None = None,
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    **overrides,
) -> GANTrainer:
    """Train the default GAN for ``dataset`` (``default_setup``); keyword overrides of the
    training config (``k=``, ``lr=``, ``optimal_d=``, ...). Returns the trained trainer."""
    model_config, config = default_setup(dataset)
    fields = {"seed": seed, "device": device, **overrides}
    if objective is not None:
        fields["objective"] = objective
    if steps is not None:
        fields["steps"] = steps
    config = replace(config, **fields)
    trainer = GANTrainer(init_gan(model_config, seed), dataset, config)
    trainer.train()
    return trainer


def test_step_functions_report_the_loss_of_the_batch_and_update_one_player(target):
    torch.manual_seed(0)
    gan = init_gan("toy1d", 0)
    d_opt = torch.optim.SGD(gan.discriminator.parameters(), lr=0.1)
    g_opt = torch.optim.SGD(gan.generator.parameters(), lr=0.1)
    x_real, z = target.sample(32, torch.Generator().manual_seed(1)), torch.randn(32, 1)
    with torch.no_grad():
        expected = losses.discriminator_loss(gan.discriminator(x_real), gan.discriminator(gan(z)))
    g_before = [p.clone() for p in gan.generator.parameters()]
    d_before = [p.clone() for p in gan.discriminator.parameters()]
    out = discriminator_step(gan, x_real, z, d_opt, "minimax")
    assert set(out) == {"d_loss", "d_real", "d_fake"} and all(
        type(v) is float for v in out.values()
    )
    assert out["d_loss"] == pytest.approx(float(expected), rel=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(g_before, gan.generator.parameters(), strict=True))
    assert not all(
        torch.equal(a, b) for a, b in zip(d_before, gan.discriminator.parameters(), strict=True)
    )

    d_before = [p.clone() for p in gan.discriminator.parameters()]
    d_grads = [p.grad.clone() for p in gan.discriminator.parameters()]
    with torch.no_grad():
        expected = losses.generator_loss(gan.discriminator(gan(z)), "non_saturating")
    out = generator_step(gan, z, g_opt, "non_saturating")
    assert out["g_loss"] == pytest.approx(float(expected), rel=1e-6)
    assert all(
        torch.equal(a, b) for a, b in zip(d_before, gan.discriminator.parameters(), strict=True)
    )
    # the G step computes no gradient for D (torch.autograd.grad w.r.t. G's parameters only)
    assert all(
        torch.equal(a, p.grad) for a, p in zip(d_grads, gan.discriminator.parameters(), strict=True)
    )


def test_k_discriminator_steps_per_generator_step(target):
    trainer = _trainer(target, k=3, log_every=2)
    trainer.train(7)
    assert trainer.step_count == 7 and trainer.d_steps == 21
    assert trainer.history["step"] == [2, 4, 6, 7], "every 2nd step and the last"
    assert trainer.history["d_steps"] == [6, 12, 18, 21]
    trainer.step_d()
    trainer.step_g()
    assert (trainer.step_count, trainer.d_steps) == (8, 22)
    trainer.configure(k=1, objective="minimax", lr=5e-4)
    trainer.step()
    assert (trainer.step_count, trainer.d_steps) == (9, 23)
    assert trainer.g_optimizer.param_groups[0]["lr"] == 5e-4
    with pytest.raises(ValueError, match="k"):
        trainer.configure(k=0)


def test_history_callbacks_reset_and_reproducibility(target):
    trainer = _trainer(target, log_every=5)
    seen = []
    trainer.add_callback("on_step_end", lambda t: seen.append(t.step_count))
    ended = []
    trainer.add_callback("on_train_end", lambda t: ended.append(t.step_count))
    first = trainer.train(20)
    keys = {"step", "d_steps", "d_loss", "d_real", "d_fake", "g_loss", "jsd", "value"}
    assert keys <= set(first) and seen == [5, 10, 15, 20] and ended == [20]
    assert {len(values) for values in first.values()} == {4}, "one entry per key per log"
    assert all(0 < d < 1 for d in first["d_real"] + first["d_fake"])
    losses_first = list(first["g_loss"])
    trainer.reset()
    assert trainer.step_count == 0 and not trainer.history
    assert trainer.train(20)["g_loss"] == losses_first, "reset restarts the same run"
    with pytest.raises(ValueError, match="event"):
        trainer.add_callback("on_epoch_end", print)


def test_accessors_for_plots(target):
    trainer = _trainer(target)
    trainer.train(10)
    x = torch.linspace(-4, 4, 9)[:, None]
    assert trainer.samples(100).shape == (100, 1)
    assert torch.equal(trainer.samples(50), trainer.samples(50)), "fixed evaluation z"
    d = trainer.discriminator_on(x)
    assert d.shape == (9,) and bool(((d > 0) & (d < 1)).all())
    d_star = trainer.optimal_discriminator_on(x)
    assert d_star.shape == (9,) and bool(((d_star >= 0) & (d_star <= 1)).all())
    mapping = trainer.generator_map(n=11)
    assert mapping.z.shape == (11,) and mapping.x.shape == (11, 1)
    dens = trainer.densities()
    assert dens.p_data.shape == dens.p_g.shape == dens.axis.shape
    cell = float(dens.axis[1] - dens.axis[0])
    assert float(dens.p_data.sum()) * cell == pytest.approx(1.0, abs=1e-6)
    assert 0 <= trainer.jsd() <= math.log(2)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(objective="wasserstein"), "objective"),
        (dict(lr=0.0), "lr"),
        (dict(lr=-1e-3), "lr"),
        (dict(lr_d=0.0), "lr_d"),
        (dict(k=0), "k"),
        (dict(steps=0), "steps"),
        (dict(batch_size=0), "batch_size"),
        (dict(objective="kl", optimal_d=True), "objective"),
    ],
)
def test_bad_training_configs_name_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=word):
        GANTrainConfig(**kwargs)


def test_bad_trainer_inputs_name_the_argument(target):
    config = GANTrainConfig(device="cpu")
    with pytest.raises(ValueError, match="dataset"):
        GANTrainer(init_gan("toy1d", 0), "swiss_roll", config)
    with pytest.raises(ValueError, match="data_shape"):
        GANTrainer(init_gan("toy2d", 0), target, config)
    with pytest.raises(ValueError, match="model"):
        GANTrainer(torch.nn.Linear(1, 1), target, config)
    with pytest.raises(ValueError, match="optimal_d"):
        GANTrainer(init_gan("digits", 0), "digits", replace(config, optimal_d=True))


def test_nan_stops_the_run_with_the_step_and_value(target):
    trainer = _trainer(target)
    trainer.train(3)
    with torch.no_grad():
        trainer.model.generator.net[0][0].weight.fill_(math.nan)
    with pytest.raises(TrainingDiverged, match=r"generator step 3 .*d_loss = nan"):
        trainer.train(5)


# ------------------------------------------------------------------ the JSD estimator


def test_grid_jsd_agrees_with_quadrature_and_has_a_small_floor(target):
    g = torch.Generator().manual_seed(0)
    p_g = torch.distributions.Normal(torch.tensor(0.5), torch.tensor(1.5))
    samples = (p_g.loc + p_g.scale * torch.randn(4096, generator=g))[None, :, None]  # (1, M, 1)
    exact = float(js_divergence(target.distribution, p_g))
    assert float(grid_jsd(target, samples)[0]) == pytest.approx(exact, abs=0.01)
    floor = target.jsd_floor(4096)
    assert 0 < floor < 0.005
    exact_samples = target.sample(4096, g)[None]
    assert float(grid_jsd(target, exact_samples)[0]) < 0.01
    far = torch.full((1, 100, 1), 50.0)
    assert float(grid_jsd(target, far)[0]) == pytest.approx(math.log(2), abs=1e-9)


# ------------------------------------------------------------------- the measured targets


def test_default_1d_gan_reaches_jsd_005_in_its_default_budget():
    """One GAN run is chaotic: another CPU's float32 rounding sends it down another path, so
    whether one seed ends below the threshold is not a property of the recipe. Over seeds it
    is: 15 of seeds 0-15 converge (final JSD 0.016-0.044; seed 6 ends at 0.063), both in
    separate runs and batched. The assert asks for 10 of 16: with a failure rate of 1/8 per
    run, 7 or more failures have probability 0.002."""
    model_config, config = default_setup("mixture1d")
    assert model_config == GAN_PRESETS["toy1d"] and config.objective == "non_saturating"
    trainer = train_gan("mixture1d", **CPU)
    assert trainer.step_count == config.steps
    assert trainer.history["d_real"][-1] == pytest.approx(0.5, abs=0.1)  # D cannot tell
    runs = compare_objectives(("non_saturating",), n_runs=16, dataset="mixture1d", **CPU)
    result = runs["non_saturating"]
    assert result.steps == config.steps
    assert result.counts["converged"] >= 10, (result.counts, result.jsd.round(3))


def test_discriminator_with_frozen_generator_matches_d_star(target):
    gan = init_gan("gaussian1d", 0)
    with torch.no_grad():
        gan.generator.loc.fill_(1.0)
        gan.generator.log_scale.fill_(math.log(1.5))
    config = GANTrainConfig(batch_size=256, lr_d=3e-3, r1=0.0, seed=0, **CPU)
    g_before = [p.clone() for p in gan.generator.parameters()]
    fit = discriminator_vs_optimal(GANTrainer(gan, target, config), d_steps=1500)
    assert all(torch.equal(a, b) for a, b in zip(g_before, gan.generator.parameters(), strict=True))
    assert fit.mae <= 0.05, (fit.mae, fit.max_error)
    # D* here is genlab.theory's; check it against the formula
    p_g = torch.distributions.Normal(torch.tensor(1.0, dtype=torch.float64), 1.5)
    p = target.distribution.log_prob(fit.x.float()).double().exp()
    torch.testing.assert_close(fit.d_star, p / (p + p_g.log_prob(fit.x).exp()), atol=1e-6, rtol=0)


def test_optimal_d_mode_descends_2_jsd_minus_log_4(target):
    config = GANTrainConfig(objective="minimax", optimal_d=True, lr=1e-3, log_every=25, **CPU)
    trainer = GANTrainer(init_gan("toy1d", 1), target, replace(config, seed=1))
    history = trainer.train(150)
    jsd, value = history["jsd"], history["value"]
    for j, v in zip(jsd, value, strict=True):
        assert v == pytest.approx(2 * j - math.log(4), abs=0.03)
    assert jsd[-1] < jsd[0] - 0.05, jsd
    # the trainer's D* is theory's D* for the KDE of p_g, and V(D*, G) = 2 JSD - log 4 there
    p_g = kde(trainer.samples(64).double(), target.bandwidth(64))  # 64 bumps: quick quadrature
    x = torch.linspace(-4, 4, 33, dtype=torch.float64)
    torch.testing.assert_close(
        optimal_logit(target, p_g, x[:, None]),
        optimal_discriminator(target.distribution, p_g).logit(x.float()).double(),
        atol=1e-4,
        rtol=1e-4,
    )
    p_data = target.distribution64
    v_star = gan_value(optimal_discriminator(p_data, p_g), p_data, p_g)
    two_jsd = 2 * js_divergence(p_data, p_g) - math.log(4)
    assert float(v_star) == pytest.approx(float(two_jsd), abs=1e-6)


def test_kl_covers_the_modes_and_reverse_kl_seeks_one():
    kl = fit_gaussian_fgan("kl", steps=400)
    reverse = fit_gaussian_fgan("reverse_kl", steps=400)
    assert kl.variance > 2.0 and abs(kl.loc) < 1.0, kl  # moment matching: var 4.25, loc 0
    assert reverse.variance < 0.5 and abs(abs(reverse.loc) - 2.0) < 0.3, reverse
    assert kl.variance > 4 * reverse.variance


def test_saturation_curves_match_their_closed_forms():
    curves = saturation_curves(n=101)
    d = curves.d
    torch.testing.assert_close(curves.minimax_loss, torch.log1p(-d))
    torch.testing.assert_close(curves.non_saturating_loss, -torch.log(d))
    torch.testing.assert_close(curves.minimax_grad, -d)
    torch.testing.assert_close(curves.non_saturating_grad, d - 1)
    assert abs(float(curves.minimax_grad[0])) < 0.01 < abs(float(curves.non_saturating_grad[0]))


def test_minimax_stalls_when_the_discriminator_wins_early():
    runs = saturation_experiment(steps=100, pretrain_d_steps=300)
    minimax, ns = runs["minimax"], runs["non_saturating"]
    assert minimax.d_fake[0] < 0.01, "the pretrained D rejects the fakes"
    assert minimax.grad_norm[:20].mean() < 0.01 * ns.grad_norm[:20].mean()
    assert minimax.jsd.min() > 0.65, "minimax: G does not move (JSD stays near log 2)"
    assert ns.jsd.min() < 0.5


def test_dcgan_learns_recognisable_digits_in_a_small_budget():
    """The full check (``dcgan_digits_run``: 1500 steps, ~0.75 recognised) takes about 20 s;
    here 400 steps must already lift the recognised fraction well above the untrained one
    (which labels its blobs as one digit)."""
    from genlab.train import train_digit_classifier

    model_config, config = default_setup("digits")
    config = replace(config, steps=400, log_every=100, **CPU)
    trainer = GANTrainer(init_gan(model_config, 0), "digits", config)
    classifier = train_digit_classifier(seed=0, device="cpu").model
    g = torch.Generator().manual_seed(0)
    before = dcgan_digit_quality(trainer.model.sample(500, generator=g), classifier)
    history = trainer.train()
    after_samples = trainer.model.sample(500, generator=torch.Generator().manual_seed(0))
    after = dcgan_digit_quality(after_samples, classifier)
    assert after_samples.shape == (500, 1, 8, 8)
    assert 0 <= float(after_samples.min()) and float(after_samples.max()) <= 1
    assert after.recognised > max(0.3, before.recognised + 0.1), (before, after)
    assert sum(c > 0 for c in after.label_counts) >= 8, after.label_counts  # many digits
    assert set(history) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert "jsd" not in history


def test_digit_quality_trains_its_own_classifier_when_none_is_given():
    from genlab.data import digits

    quality = dcgan_digit_quality(digits("test").images)  # real digits: mostly recognised
    assert quality.n == 360 and quality.recognised > 0.85
    assert sum(quality.label_counts) == round(quality.recognised * 360)


def test_dcgan_digits_run_samples_an_exponential_average_of_the_generator():
    """The samples come from G's weights averaged as theta_bar <- b theta_bar + (1 - b) theta
    after every step (starting at the first step's weights), recomputed here by hand."""
    steps, n, decay = 12, 64, 0.8
    run = dcgan_digits_run(steps=steps, seed=0, n=n, ema=decay)
    assert run.steps == steps and run.samples.shape == (n, 1, 8, 8)
    assert run.quality.n == run.raw_quality.n == n

    model_config, config = default_setup("digits")
    trainer = GANTrainer(init_gan(model_config, 0), "digits", replace(config, seed=0, **CPU))
    average = None
    for _ in range(steps):
        trainer.step()
        theta = [p.detach().clone() for p in trainer.model.generator.parameters()]
        if average is None:
            average = theta  # the first update copies the weights
        else:
            average = [decay * a + (1 - decay) * t for a, t in zip(average, theta, strict=True)]
    z = torch.randn(n, model_config.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for p, a in zip(trainer.model.generator.parameters(), average, strict=True):
            p.copy_(a)
        expected = trainer.model.generator(z)
    torch.testing.assert_close(run.samples, expected, rtol=0, atol=1e-5)

    plain = dcgan_digits_run(steps=steps, seed=0, n=n, ema=None)
    assert plain.quality == plain.raw_quality == run.raw_quality
    with pytest.raises(ValueError, match="ema"):
        dcgan_digits_run(steps=1, ema=1.0)


# ------------------------------------------------------------------------------- the CLI


def _cli(argv):
    parser = argparse.ArgumentParser(prog="genlab train")
    add_gan_parser(parser.add_subparsers(dest="kind", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_trains_writes_a_checkpoint_and_a_figure(tmp_path, capsys):
    out = tmp_path / "run"
    code = _cli(
        [
            "gan",
            "--dataset",
            "mixture1d",
            "--steps",
            "30",
            "--out",
            str(out),
            "--quiet",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    assert (out / "gan.pt").is_file() and (out / "samples.png").stat().st_size > 1000
    ckpt = load(out / "gan.pt", device="cpu")
    assert ckpt.model.config == GAN_PRESETS["toy1d"] and ckpt.history["step"][-1] == 30
    printed = capsys.readouterr().out
    assert "final JSD" in printed and "nats" in printed


def test_cli_through_genlab_main(tmp_path, capsys):
    from genlab import cli, gan, gan_cli

    assert gan_cli.DATASETS == gan.TARGETS
    argv = ["train", "gan", "--steps", "5", "--out", str(tmp_path), "--quiet", "--device", "cpu"]
    assert cli.main(argv) == 0 and (tmp_path / "gan.pt").is_file()
    assert cli.main([*argv, "--objective", "hinge"]) == 2
    assert "objective must be one of" in capsys.readouterr().err


def test_cli_rejects_an_unknown_objective(tmp_path):
    with pytest.raises(ValueError, match="objective"):
        _cli(["gan", "--objective", "hinge", "--steps", "2", "--out", str(tmp_path), "--quiet"])
    with pytest.raises(SystemExit):
        _cli(["gan", "--dataset", "cifar", "--out", str(tmp_path)])


def test_every_f_divergence_trains_a_few_steps(target):
    for name in F_DIVERGENCES:
        trainer = _trainer(target, objective=name, log_every=5, r1=0.0)
        history = trainer.train(5)
        assert math.isfinite(history["g_loss"][-1]), name


def test_2d_config_trains(target):
    config = GANTrainConfig(log_every=5, **CPU)
    trainer = GANTrainer(init_gan(GANConfig(data_shape=(2,), latent_dim=2), 0), "ring", config)
    history = trainer.train(5)
    assert 0 < history["jsd"][-1] <= math.log(2)
    assert trainer.densities().p_g.shape == (trainer.target.grid_size,) * 2


# ------------------------------------------------------- Wasserstein critics (lecture 09)


def test_a_wgan_gp_critic_estimates_w1_and_its_generator_descends_it():
    """WGAN-GP on a 1-D Gaussian N(2, 0.5^2), the generator starting as a narrow blob near 0
    (W1 about 2, computed from the two CDFs by wasserstein_1d_to_target, itself checked
    against scipy in test_generator_density.py). First 200 critic steps with G frozen: the
    critic's E_p f - E_q f, averaged over its last 50 batches, lies within [0.8, 1.3] x W1 on
    each of 3 seeds (measured 1.09-1.10: a soft penalty lets the slope pass 1 a little). Then
    150 generator steps (5 critic steps each): W1 falls on every seed, and to under half on at
    least 2 of 3 (measured ratios 0.79, 0.29, 0.16)."""
    target = make_target("mixture1d", means=(2.0,), stds=(0.5,))
    halved = 0
    for seed in range(3):
        config = GANTrainConfig(
            objective="wgan_gp", r1=0.0, k=5, lr=1e-3, lr_d=1e-2, betas=(0.5, 0.9),
            seed=seed, steps=150, device="cpu", log_every=1000,
        )  # fmt: skip
        trainer = GANTrainer(init_gan("toy1d", seed), target, config)
        before = wasserstein_1d_to_target(target, trainer.model.generator)
        gaps = []
        for _ in range(200):
            trainer.step_d()
            gaps.append(trainer.last["critic_gap"])
        estimate = sum(gaps[-50:]) / 50
        assert 0.8 * before <= estimate <= 1.3 * before, (seed, before, estimate)
        trainer.train()
        after = wasserstein_1d_to_target(target, trainer.model.generator)
        assert after < before, (seed, before, after)
        halved += after < 0.5 * before
    assert halved >= 2


def test_spectral_norm_divides_every_discriminator_weight_by_its_largest_singular_value():
    for preset in ("toy2d", "digits"):
        config = replace(GAN_PRESETS[preset], spectral_norm=True)
        torch.manual_seed(0)
        d = init_gan(config, 0).discriminator.double()
        x = torch.rand(32, *config.data_shape, dtype=torch.float64)
        # power iteration, one step per forward pass in training mode: its error shrinks
        # like (sigma_2 / sigma_1)^(2k); 50 steps left 1% on a 16x16 layer, 600 leave none
        for _ in range(600):
            d(x)
        layers = [m for m in d.modules() if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
        assert layers
        for layer in layers:  # torch normalises the weight reshaped to (out, in * k * k)
            sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
            assert float(sigma) == pytest.approx(1.0, abs=1e-3), (preset, layer)


def test_lipschitz_options_are_checked_and_grouped_runs_refuse_spectral_norm():
    with pytest.raises(ValueError, match="weight_clip"):
        replace(GAN_PRESETS["toy1d"], weight_clip=0.0)
    with pytest.raises(ValueError, match="spectral_norm"):
        replace(GAN_PRESETS["toy1d"], spectral_norm=1)
    with pytest.raises(ValueError, match="gp"):
        GANTrainConfig(gp=-1.0)
    with pytest.raises(ValueError, match="spectral_norm"):
        ManySeedGANs(2, replace(GAN_PRESETS["toy1d"], spectral_norm=True), "mixture1d")
