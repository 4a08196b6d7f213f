"""genlab.models.dcign: the clamping by hand in float64, the model's checks, the disentanglement
measures against naive computations, and the quality target on sprites.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from genlab import checkpoint
from genlab.data import FACTOR_NAMES, factor_batch_data, sprite_factor_batches, sprites
from genlab.models.dcign import (
    DCIGN,
    DCIGN_PRESETS,
    DCIGNConfig,
    clamp_to_batch_mean,
    disentanglement,
    factor_correlations,
    factor_invariance,
)
from genlab.models.registry import REGISTRY
from genlab.train import TrainConfig, Trainer, fit_dcign, model_loss_step

F64 = torch.float64
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
TINY = DCIGNConfig(latent_dim=5, channels=(4, 4, 8, 8), hidden=(16,))


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------- clamping


def test_clamp_forward_values_and_backward_gradients_by_hand():
    G, B, Z, lam = 2, 4, 3, 0.7
    z = torch.randn(G, B, Z, generator=gen(0), dtype=F64, requires_grad=True)
    free = torch.tensor([[True, False, False], [False, True, True]])
    w = torch.randn(G, B, Z, generator=gen(1), dtype=F64)  # a stand-in for d(recon)/d z_tilde
    out = clamp_to_batch_mean(z, free, pull=lam)

    zd = z.detach().numpy()
    want_z = zd.copy()
    want_pull = np.zeros((G, B))
    want_grad = np.zeros((G, B, Z))
    for g in range(G):
        for j in range(Z):
            mean = sum(zd[g, b, j] for b in range(B)) / B
            for b in range(B):
                if free[g, j]:
                    want_grad[g, b, j] = w[g, b, j]  # the reconstruction's gradient, untouched
                else:
                    want_z[g, b, j] = mean  # forward: the batch mean
                    want_pull[g, b] += 0.5 * lam * (zd[g, b, j] - mean) ** 2
                    # backward: only the nudge lam (z - mean) / N, N = G B samples
                    want_grad[g, b, j] = lam * (zd[g, b, j] - mean) / (G * B)
    np.testing.assert_allclose(out.z.detach().numpy(), want_z, rtol=1e-12)
    np.testing.assert_allclose(out.pull.detach().numpy(), want_pull, rtol=1e-12)

    ((out.z * w).sum() + out.pull.mean()).backward()
    np.testing.assert_allclose(z.grad.numpy(), want_grad, rtol=1e-12, atol=1e-15)


def test_clamp_without_group_dim_and_bad_masks():
    z = torch.randn(6, 4, generator=gen(0))
    out = clamp_to_batch_mean(z, torch.tensor([False, True, False, False]))
    torch.testing.assert_close(out.z[:, 1], z[:, 1])
    torch.testing.assert_close(out.z[:, 0], z[:, 0].mean().expand(6))
    with pytest.raises(ValueError, match=r"free must be a bool tensor of shape \(4,\)"):
        clamp_to_batch_mean(z, torch.ones(4))
    with pytest.raises(ValueError, match=r"free must be a bool tensor of shape \(4,\)"):
        clamp_to_batch_mean(z, torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"z must be a tensor of shape \(\.\.\., B, Z\)"):
        clamp_to_batch_mean(torch.ones(3), torch.ones(3, dtype=torch.bool))


# ---------------------------------------------------------------------------------- model


def test_plain_vae_interface():
    torch.manual_seed(0)
    model = DCIGN(TINY).double()
    x = sprites(4, seed=0).images.double()
    got = model.elbo(x, generator=gen(3))
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen(3), dtype=F64)
    logits = model.decode(z)
    log_px = -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(
        (1, 2, 3)
    )
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)
    torch.testing.assert_close(got.elbo, log_px - kl)
    assert model.sample(3, generator=gen(0)).shape == (3, 1, 32, 32)
    assert model.reconstruct(x).shape == x.shape
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 1, 32, 32\)"):
        model.encode(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"z must have shape \(batch, 5\)"):
        model.decode(torch.rand(2, 4))


def test_free_units_follow_the_factor_assignment():
    model = DCIGN(TINY)  # x -> 0, y -> 1, scale -> 2, rotation -> 3; unit 4 is intrinsic
    table = {
        name: model.free_units[i].nonzero().flatten().tolist()
        for i, name in enumerate(FACTOR_NAMES)
    }
    assert table == {"x": [0], "y": [1], "scale": [2], "rotation": [3], "shape": [4]}
    assert model.unit("y") == 1
    with pytest.raises(ValueError, match="factor must be one of"):
        model.unit("shape")


def test_decoder_sees_batch_means_on_clamped_units():
    torch.manual_seed(0)
    model = DCIGN(TINY)
    seen = []
    model.decoder.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach()))
    batch = next(sprite_factor_batches(1, 6, factors=("y",), seed=0))
    out = model.loss(batch)
    z = seen[-1]  # (B, Z) the decoder's input
    spread = z.std(0)
    assert spread[1] > 0  # the free unit (y) varies
    assert spread[[0, 2, 3, 4]].abs().max() == 0  # all others are one value
    assert {"loss", "kl", "reconstruction", "pull"} <= set(out) and out["pull"] > 0
    torch.testing.assert_close(out["loss"], -(out["reconstruction"] - out["kl"]) + out["pull"])


def test_reconstruction_gradient_reaches_only_the_free_unit():
    torch.manual_seed(0)
    model = DCIGN(TINY).double()
    x_batch = next(sprite_factor_batches(1, 5, factors=("x",), seed=1))
    images = x_batch.images.double()
    grads = {}

    def keep(name):
        return lambda g: grads.__setitem__(name, g)

    mu, logvar = model.encode(images)
    mu.register_hook(keep("mu"))
    z = mu + 0 * logvar  # deterministic, so only the clamping shapes the gradient
    free = model.free_units[[FACTOR_NAMES.index("x")]]  # (1, Z): only x's unit
    clamped = clamp_to_batch_mean(z[None], free, pull=0.0)
    nll = torch.nn.functional.binary_cross_entropy_with_logits(
        model.decode(clamped.z[0]), images, reduction="sum"
    )
    nll.backward()
    assert grads["mu"][:, 0].abs().max() > 0  # x's unit learns from the reconstruction
    assert grads["mu"][:, 1:].abs().max() == 0  # the clamped units get nothing from it


def test_trainer_batches_and_factor_batches_give_the_same_loss():
    torch.manual_seed(0)
    model = DCIGN(TINY)
    data = factor_batch_data(3, 4, seed=5)
    assert data.images.shape == (3, 4, 1, 32, 32) and data.factors.shape == (3, 4, 5)
    batches = list(sprite_factor_batches(3, 4, ("x", "y", "scale", "rotation", "shape"), seed=5))
    assert data.varied.tolist() == [FACTOR_NAMES.index(b.varied) for b in batches]
    torch.manual_seed(1)
    one = model.loss(batches[0])
    torch.manual_seed(1)
    stacked = model.loss(tuple(t[:1] for t in data))
    torch.testing.assert_close(one["loss"], stacked["loss"])


def test_model_loss_step_trains_dcign_with_the_shared_trainer():
    torch.manual_seed(0)
    model = DCIGN(TINY)
    data = factor_batch_data(8, 4, seed=0)
    config = TrainConfig(epochs=2, batch_size=2, lr=1e-3, device="cpu", progress=False)
    history = Trainer(model, config, step_fn=model_loss_step).fit(tuple(data))
    assert history["step"][-1] == 8 and "pull" in history


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"factor_units": (("colour", 0),)}, r"factor_units \(factor name\) must be one of"),
        ({"factor_units": (("x", 5),)}, r"factor_units\['x'\] must be a latent index in \[0, 5\)"),
        ({"factor_units": (("x", -1),)}, r"latent index in \[0, 5\)"),
        ({"factor_units": (("x", 0), ("y", 0))}, "its own latent unit"),
        ({"factor_units": (("x", 0), ("x", 1))}, "each factor once"),
        ({"factor_units": 3}, "factor_units must map factor names"),
        ({"channels": (4, 4, 4, 4, 4, 4)}, "divisible by 64"),
        ({"pull": -1.0}, "pull"),
        ({"negative_slope": -0.1}, "negative_slope"),
        ({"input_shape": (32, 32)}, r"input_shape must be \(C, H, W\)"),
    ],
)
def test_config_checks(kw, match):
    with pytest.raises(ValueError, match=match):
        DCIGNConfig(**{"latent_dim": 5, **kw})


def test_config_accepts_a_dict():
    config = DCIGNConfig(factor_units={"x": 2, "y": 0}, latent_dim=3)
    assert config.factor_units == (("x", 2), ("y", 0))


@pytest.mark.parametrize(
    "batch, match",
    [
        (torch.rand(4, 1, 32, 32), "batch must be a FactorBatch"),
        ((torch.rand(4, 1, 16, 16), torch.rand(4, 5), "x"), r"images must have shape"),
        ((torch.rand(4, 1, 32, 32), torch.rand(4, 5), "colour"), "varied must be one of"),
        ((torch.rand(2, 4, 1, 32, 32), None, torch.tensor([0, 7])), "varied must hold one"),
        ((torch.rand(2, 4, 1, 32, 32), None, torch.tensor([0])), "varied must hold one"),
        ((torch.rand(1, 1, 32, 32), torch.rand(1, 5), "x"), "B >= 2"),
    ],
)
def test_bad_batches(batch, match):
    with pytest.raises(ValueError, match=match):
        DCIGN(TINY).loss(batch)


def test_unassigned_factor_without_intrinsic_units_is_an_error():
    model = DCIGN(
        DCIGNConfig(latent_dim=2, factor_units={"x": 0, "y": 1}, channels=(4, 4), hidden=(8,))
    )
    batch = next(sprite_factor_batches(1, 4, factors=("scale",), seed=0))
    with pytest.raises(ValueError, match="no intrinsic"):
        model.loss(batch)


def test_checkpoint_round_trip(tmp_path):
    assert REGISTRY["DCIGN"][0] is DCIGN
    config = DCIGNConfig(
        latent_dim=4, factor_units={"y": 3, "x": 1}, channels=(4, 8), hidden=(8,), pull=2.5
    )
    model = DCIGN(config)
    loaded = checkpoint.load(checkpoint.save(model, tmp_path / "dcign.pt"), device="cpu").model
    assert loaded.config == config and loaded.factor_units == {"y": 3, "x": 1}
    assert torch.equal(loaded.free_units, model.free_units)
    x = sprites(3, seed=0).images
    torch.testing.assert_close(loaded.encode(x).mu, model.encode(x).mu)


# ------------------------------------------------------------------------ disentanglement


def test_factor_correlations_are_pearson_r():
    torch.manual_seed(0)
    model = DCIGN(TINY).eval()
    got = factor_correlations(model, n=200, seed=4)
    images, factors = sprites(200, seed=4)
    mu = model.encode(images).mu.detach().double().numpy()
    for name, unit in model.factor_units.items():
        want = np.corrcoef(mu[:, unit], factors[:, FACTOR_NAMES.index(name)].double().numpy())
        assert got[name] == pytest.approx(want[0, 1], abs=1e-9)


def test_factor_invariance_is_a_ratio_of_within_batch_spreads():
    torch.manual_seed(0)
    model = DCIGN(TINY).eval()
    got = factor_invariance(model, n_batches=3, batch_size=5, seed=10)
    assert set(got) == set(model.factor_units)
    assert set(got["x"]) == set(FACTOR_NAMES) - {"x"}

    def spread(factor, unit):
        seed = 10 + FACTOR_NAMES.index(factor)
        stds = [
            model.encode(b.images).mu[:, unit].detach().double().std().item()
            for b in sprite_factor_batches(3, 5, (factor,), seed=seed)
        ]
        return sum(stds) / len(stds)

    assert got["x"]["scale"] == pytest.approx(spread("scale", 0) / spread("x", 0), rel=1e-4)
    assert got["y"]["shape"] == pytest.approx(spread("shape", 1) / spread("y", 1), rel=1e-4)


# ---------------------------------------------------------------------------------- quality


def test_position_units_are_disentangled():
    """Quality target: after ~40 s of DC-IGN training on one CPU thread the x and y units track
    their factors (|r| >= 0.9; measured 0.97-0.99 over 6 seeds) and stay nearly constant when
    any other factor changes (spread ratio <= 0.25; measured 0.03-0.17, the largest when the
    other position changes)."""
    torch.manual_seed(0)
    model = DCIGN(DCIGN_PRESETS["sprites_small"])
    data = factor_batch_data(400, 16, seed=0)  # 400 factor batches of 16 sprites
    # one factor batch per step: 1,200 steps at lr 2e-3, then 800 at 4e-4 to settle
    started = time.perf_counter()
    fit_dcign(model, data, epochs=3, settle_epochs=2, device="cpu", progress=False)
    seconds = time.perf_counter() - started
    result = disentanglement(model)
    print(
        f"\nDC-IGN: {seconds:.1f} s, {5 * len(data)} steps; r = "
        + ", ".join(f"{k} {v:+.3f}" for k, v in result.correlation.items())
        + "; invariance ratios: "
        + "; ".join(
            f"{f}: " + ", ".join(f"{g} {v:.3f}" for g, v in result.invariance[f].items())
            for f in ("x", "y")
        )
    )
    for f in ("x", "y"):
        assert abs(result.correlation[f]) >= 0.9
        assert max(result.invariance[f].values()) <= 0.25


@CUDA
def test_dcign_on_cuda():
    model = DCIGN(TINY).cuda()
    batch = next(sprite_factor_batches(1, 4, seed=0, device="cuda"))
    out = model.loss(batch)
    out["loss"].backward()
    assert out["loss"].device.type == "cuda"
    assert set(factor_correlations(model, n=50)) == set(model.factor_units)
    data = factor_batch_data(2, 4, device="cuda")
    assert data.images.device.type == "cuda" and data.varied.device.type == "cuda"
    model.loss(tuple(data))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"settle_epochs": 0}, "settle_epochs"),
        ({"settle_lr": -1e-3}, "settle_lr"),
        ({"epochs": 0}, "epochs"),
        ({"lr": 0.0}, "lr"),
    ],
)
def test_fit_dcign_names_a_bad_argument(kwargs, name):
    model = DCIGN(DCIGN_PRESETS["sprites_small"])
    with pytest.raises(ValueError, match=name):
        fit_dcign(model, factor_batch_data(2, 4, seed=0), device="cpu", **kwargs)
