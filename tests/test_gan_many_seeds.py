"""Many GANs at once: grouped runs equal separate runs, a diverging run is flagged without
stopping the others, and the outcome rules classify what they say they do."""

import math
from dataclasses import replace

import pytest
import torch

from genlab.gan import (
    OUTCOMES,
    GANTrainConfig,
    GANTrainer,
    ManySeedGANs,
    classify_runs,
    compare_objectives,
    default_setup,
    grid_jsd,
    init_gan,
    make_target,
    mode_coverage,
)
from genlab.models.gan import GAN_PRESETS


@pytest.fixture(scope="module")
def target():
    return make_target("mixture1d")


def _config(**overrides):
    _, config = default_setup("mixture1d")
    return replace(config, device="cpu", log_every=20, **overrides)


def test_grouped_runs_equal_separate_runs_with_the_same_seeds(target):
    config = _config()  # with lazy R1, so the penalty's double backward is checked too
    seeds = [3, 0, 7]
    f64 = torch.float64  # float32 rounding is amplified by Adam's first steps, not float64's
    many = ManySeedGANs(3, "toy1d", target, config, seeds=seeds, dtype=f64).train(60)
    z = torch.randn(200, 1, generator=torch.Generator().manual_seed(9), dtype=f64)
    x = torch.linspace(-4, 4, 50, dtype=f64)[:, None]
    for i, seed in enumerate(seeds):
        alone = GANTrainer(init_gan("toy1d", seed).double(), target, replace(config, seed=seed))
        alone.train(60)
        grouped = many.model.unstack(i)
        alone.model.eval()
        with torch.no_grad():
            torch.testing.assert_close(grouped.generator(z), alone.model.generator(z))
            torch.testing.assert_close(grouped.discriminator(x), alone.model.discriminator(x))
        for key in ("d_loss", "g_loss", "jsd"):
            got = [row[i] for row in many.history[key]]
            assert got == pytest.approx(alone.history[key], rel=1e-9, abs=1e-12), key
    result = many.result()
    assert len(result.outcomes) == 3 and set(result.outcomes) <= set(OUTCOMES)
    assert sum(result.counts.values()) == 3 and result.steps == 60


@pytest.mark.parametrize(
    "objective, weight_clip", [("wgan_gp", None), ("wgan", 0.05), ("least_squares", None)]
)
def test_grouped_runs_equal_separate_runs_for_lecture_09s_objectives(
    target, objective, weight_clip
):
    # The gradient penalty's interpolation weights come from each run's own stream, and the
    # weight clipping follows every discriminator update, alone or grouped.
    config = _config(objective=objective, r1=0.0, k=2)
    model_config = replace(GAN_PRESETS["toy1d"], weight_clip=weight_clip)
    seeds = [4, 1]
    f64 = torch.float64
    many = ManySeedGANs(2, model_config, target, config, seeds=seeds, dtype=f64).train(40)
    x = torch.linspace(-4, 4, 50, dtype=f64)[:, None]
    for i, seed in enumerate(seeds):
        alone = GANTrainer(
            init_gan(model_config, seed).double(), target, replace(config, seed=seed)
        )
        alone.train(40)
        alone.model.eval()
        with torch.no_grad():
            d_alone = alone.model.discriminator(x)
            torch.testing.assert_close(many.model.unstack(i).discriminator(x), d_alone)
        if weight_clip is not None:
            assert all(
                float(p.abs().max()) <= weight_clip for p in alone.model.discriminator_parameters()
            )
        for key in ("d_loss", "g_loss"):
            got = [row[i] for row in many.history[key]]
            assert got == pytest.approx(alone.history[key], rel=1e-9, abs=1e-12), key


def test_grouped_runs_honour_the_prior_as_separate_runs_do(target):
    # Regression: ManySeedGANs once drew torch.randn noise whatever config.prior said, so
    # compare_objectives(prior="uniform") trained with Gaussian noise.
    config = _config(prior="uniform")
    seeds = [2, 5]
    f64 = torch.float64
    many = ManySeedGANs(2, "toy1d", target, config, seeds=seeds, dtype=f64).train(40)
    bound = math.sqrt(3.0)  # uniform on [-sqrt 3, sqrt 3]: zero mean, unit variance
    assert float(many.z_eval.abs().max()) <= bound
    assert float(many._noise.take(4096).abs().max()) <= bound
    z = torch.linspace(-bound, bound, 101, dtype=f64)[:, None]
    for i, seed in enumerate(seeds):
        alone = GANTrainer(init_gan("toy1d", seed).double(), target, replace(config, seed=seed))
        alone.train(40)
        torch.testing.assert_close(many.z_eval[i], alone.z_eval)
        grouped = many.model.unstack(i)
        alone.model.eval()
        with torch.no_grad():
            torch.testing.assert_close(grouped.generator(z), alone.model.generator(z))
        for key in ("d_loss", "g_loss", "jsd"):
            got = [row[i] for row in many.history[key]]
            assert got == pytest.approx(alone.history[key], rel=1e-9, abs=1e-12), key


def test_a_diverging_run_is_flagged_and_the_others_train_on(target):
    config = _config()
    f64 = torch.float64
    clean = ManySeedGANs(4, "toy1d", target, config, dtype=f64).train(20)
    runs = ManySeedGANs(4, "toy1d", target, config, dtype=f64).train(10)
    with torch.no_grad():
        runs.model.g_net.weights[-1][1].fill_(1e6)  # run 1: samples explode
        runs.model.d_net.weights[0][2].fill_(math.nan)  # run 2: NaN discriminator
    runs.train(10)
    assert runs.alive.tolist() == [True, False, False, True]
    assert runs.diverged_at[1] == runs.diverged_at[2] == 10
    assert "max |G(z)|" in runs.reasons[1] and "d_loss = nan" in runs.reasons[2]
    assert "generator step 10" in runs.reasons[1]
    assert set(runs.frozen) == {1, 2}
    kept = runs.frozen[1].generator(torch.zeros(1, 1, dtype=f64))
    assert float(kept.detach().abs()) > 1e3, "kept as it diverged"
    for i in (0, 3):  # the others are where they would have been
        for p, q in zip(runs.model.parameters(), clean.model.parameters(), strict=True):
            torch.testing.assert_close(p[i], q[i], rtol=1e-9, atol=1e-12)
    result = runs.result()
    assert [result.outcomes[i] for i in (1, 2)] == ["diverged", "diverged"]
    assert result.counts["diverged"] == 2
    assert all(math.isnan(v) for v in runs.history["d_loss"][-1][1:3])


def test_outcome_rules(target):
    g = torch.Generator().manual_seed(0)
    exact = target.sample(4096, g)
    one_mode = 2.0 + 0.5 * torch.randn(4096, 1, generator=g)
    shifted = exact + 0.4
    exploded = exact * 1e4
    with_nan = exact.clone()
    with_nan[0] = math.nan
    diffuse = 3.0 * torch.randn(4096, 1, generator=g)  # misses a mode's share, but not collapsed
    samples = torch.stack([exact, one_mode, shifted, exploded, with_nan, exact, diffuse])
    jsd = grid_jsd(target, samples)
    assert float(jsd[0]) < 0.01 and float(jsd[2]) > 0.05
    coverage = mode_coverage(target, samples)
    assert coverage.tolist()[:3] == [1.0, 0.5, 1.0]
    flagged = torch.tensor([False, False, False, False, False, True, False])
    outcomes = classify_runs(target, samples, jsd, flagged)
    expected = ["converged", "mode_collapsed", "unconverged", "diverged", "diverged", "diverged"]
    assert outcomes == [*expected, "unconverged"]
    assert classify_runs(target, samples[2:3], jsd[2:3], jsd_threshold=1.0) == ["converged"]


def test_ring_coverage_counts_modes():
    ring = make_target("ring")
    g = torch.Generator().manual_seed(1)
    x = ring.sample(4000, g)
    angle = torch.atan2(x[:, 1], x[:, 0])
    half = x[angle > 0][None, :2000]  # roughly the upper modes only
    assert float(mode_coverage(ring, x[None])[0]) == 1.0
    assert 0.3 < float(mode_coverage(ring, half)[0]) < 0.8


def test_compare_objectives_trains_every_objective_on_the_same_seeds(target):
    results = compare_objectives(("minimax", "kl"), n_runs=2, steps=10, log_every=5)
    assert set(results) == {"minimax", "kl"}
    for result in results.values():
        assert sum(result.counts.values()) == 2 and result.seeds == [0, 1]
    with_bar = compare_objectives(("minimax", "kl"), n_runs=2, steps=10, log_every=5, progress=True)
    for objective, result in results.items():  # the bar only shows progress
        assert (with_bar[objective].jsd == result.jsd).all()


def test_bad_many_seed_inputs(target):
    with pytest.raises(ValueError, match="n_runs"):
        ManySeedGANs(0)
    with pytest.raises(ValueError, match="seeds"):
        ManySeedGANs(2, seeds=[1, 2, 3], config=_config())
    with pytest.raises(ValueError, match="optimal_d"):
        ManySeedGANs(2, config=_config(optimal_d=True))
    with pytest.raises(ValueError, match="data_shape"):
        ManySeedGANs(2, "toy2d", target, _config())
    with pytest.raises(ValueError, match="toy target"):
        ManySeedGANs(2, "digits", "digits", GANTrainConfig(device="cpu"))
