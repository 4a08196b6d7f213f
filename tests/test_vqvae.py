"""genlab.models.vqvae against brute force and naive float64 formulas, plus codebook health.

The quantizer is checked against ``torch.cdist(...).argmin`` in float64, the straight-through
gradient and both codebook losses against hand-derived gradients, the perplexity against a count
in plain Python; training on the digits must use at least half of the codebook.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import replace

import pytest
import torch

from genlab import checkpoint
from genlab.data import digits
from genlab.models.registry import REGISTRY
from genlab.models.vqvae import (
    VQVAE,
    VQVAE_PRESETS,
    VQVAEConfig,
    codebook_usage,
    perplexity,
)
from genlab.train import TrainConfig, Trainer

F64 = torch.float64
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def model64(seed: int = 0, **kw) -> VQVAE:
    """A digits VQVAE in float64 whose codebook is a spread of N(0, 1) vectors."""
    torch.manual_seed(seed)
    model = VQVAE(replace(VQVAE_PRESETS["digits"], **kw)).double()
    with torch.no_grad():
        model.codebook.copy_(torch.randn(model.codebook.shape, generator=gen(seed), dtype=F64))
    return model


def z_e64(B=3, seed=1) -> torch.Tensor:
    return torch.randn(B, 8, 4, 4, generator=gen(seed), dtype=F64)  # (B, D, h, w)


# ------------------------------------------------------------------------------ quantizer


def test_nearest_code_matches_brute_force_cdist():
    model = model64()
    z_e = z_e64(B=5)
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, 8)  # (B h w, D)
    want = torch.cdist(flat, model.codebook.detach()).argmin(1).view(5, 4, 4)
    got = model.quantize(z_e)
    assert got.indices.dtype == torch.int64 and got.indices.shape == (5, 4, 4)
    assert torch.equal(got.indices, want)
    assert torch.equal(model.nearest(z_e), want)
    # and the quantized value is that code, position by position
    codes = model.codebook.detach()[want].permute(0, 3, 1, 2)  # (B, D, h, w)
    torch.testing.assert_close(got.quantized, codes)


def test_quantize_accepts_flat_vectors():
    model = model64()
    z = torch.randn(10, 8, generator=gen(3), dtype=F64)  # (B, D): a grid of no positions
    want = torch.cdist(z, model.codebook.detach()).argmin(1)
    assert torch.equal(model.quantize(z).indices, want)


def test_straight_through_gradient_is_the_gradient_of_the_quantized_output():
    model = model64()
    z_e = z_e64().requires_grad_(True)
    w = torch.randn(z_e.shape, generator=gen(2), dtype=F64)
    q = model.quantize(z_e)
    (q.quantized * w).sum().backward()  # d/d quantized = w
    torch.testing.assert_close(z_e.grad, w)  # copied straight through to z_e
    assert model.codebook.grad is None  # the decoder's gradient never reaches the codes


def test_codebook_and_commitment_losses_and_their_gradients_by_hand():
    model = model64(beta=0.25)
    z_e = z_e64(B=4).requires_grad_(True)
    q = model.quantize(z_e)
    e = model.codebook.detach()[q.indices].permute(0, 3, 1, 2)  # (B, D, h, w)
    sq = (z_e.detach() - e).pow(2).sum((1, 2, 3))  # ||z_e - e||^2 per image
    torch.testing.assert_close(q.codebook_loss, sq.mean())
    torch.testing.assert_close(q.commit_loss, 0.25 * sq.mean())

    # codebook loss moves only the codes: d/de_k = 2/B sum_{positions with code k} (e_k - z_e)
    q.codebook_loss.backward(retain_graph=True)
    assert z_e.grad is None
    flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, 8)
    idx = q.indices.reshape(-1)
    want = torch.zeros_like(model.codebook)
    for n, k in enumerate(idx.tolist()):
        want[k] += 2 / 4 * (model.codebook.detach()[k] - flat[n])
    torch.testing.assert_close(model.codebook.grad, want)

    # commitment loss moves only the encoder output: d/dz_e = 2 beta / B (z_e - e)
    model.codebook.grad = None
    q.commit_loss.backward()
    assert model.codebook.grad is None
    torch.testing.assert_close(z_e.grad, 2 * 0.25 / 4 * (z_e.detach() - e))


def test_perplexity_matches_a_count():
    indices = torch.tensor([[0, 0, 1], [3, 3, 3]])
    counts = Counter(indices.reshape(-1).tolist())
    n = sum(counts.values())
    want = math.exp(-sum(c / n * math.log(c / n) for c in counts.values()))
    assert float(perplexity(indices, 5)) == pytest.approx(want, rel=1e-6)
    assert float(perplexity(torch.arange(7), 7)) == pytest.approx(7.0)  # uniform: all K
    assert float(perplexity(torch.zeros(9, dtype=torch.long), 7)) == pytest.approx(1.0)
    model = model64()
    q = model.quantize(z_e64(B=6))
    assert float(q.perplexity) == pytest.approx(float(perplexity(q.indices, 32)))


def test_loss_is_equation_3_with_usage_statistics():
    model = VQVAE(replace(VQVAE_PRESETS["digits"], data_init=False)).double().eval()
    x = torch.rand(6, 1, 8, 8, generator=gen(0), dtype=F64)
    out = model.loss((x, torch.zeros(6)))
    z_e = model.encode(x)
    q = model.quantize(z_e)
    logits = model.decoder(q.quantized)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    nll = bce.sum((1, 2, 3))
    torch.testing.assert_close(out["reconstruction"], -nll.mean())
    torch.testing.assert_close(out["loss"], nll.mean() + q.codebook_loss + q.commit_loss)
    used = len(set(q.indices.flatten().tolist()))
    assert float(out["codebook_usage"]) == pytest.approx(used / 32)
    torch.testing.assert_close(out["perplexity"], q.perplexity)
    assert {"codebook", "commitment"} <= set(out)


def test_codes_decode_indices_and_reconstruct_agree():
    model = VQVAE().eval()
    x = torch.rand(4, 1, 8, 8, generator=gen(0))
    codes = model.codes(x)
    assert codes.shape == (4, 4, 4)
    torch.testing.assert_close(model.decode_indices(codes), model.reconstruct(x))
    torch.testing.assert_close(
        model.reconstruct(x), torch.sigmoid(model(x).decoded), msg="forward goes via the codes"
    )


# ------------------------------------------------------------------------- codebook health


def test_data_init_puts_every_code_on_an_encoder_output():
    torch.manual_seed(0)
    model = VQVAE()
    assert not bool(model.initialized)
    x = torch.rand(8, 1, 8, 8, generator=gen(0))
    model.train()
    model.loss((x,))
    assert bool(model.initialized)
    flat = model.encode(x).detach().permute(0, 2, 3, 1).reshape(-1, 8)  # 128 encoder outputs
    dist = (model.codebook.detach()[:, None] - flat[None]).norm(dim=-1).min(1).values
    assert dist.max() < 1e-5  # each code sits on one of them (distinct ones: a permutation)
    model.eval()
    before = model.codebook.detach().clone()
    model.loss((x,))
    assert torch.equal(model.codebook.detach(), before)  # no maintenance outside training


def test_dead_codes_are_restarted_onto_encoder_outputs():
    torch.manual_seed(0)
    model = VQVAE(replace(VQVAE_PRESETS["digits"], data_init=False, restart_every=2)).train()
    x = torch.rand(8, 1, 8, 8, generator=gen(0))
    with torch.no_grad():
        model.codebook[1:] = 1e3  # far from every encoder output: all but code 0 are dead
    model.loss((x,))
    assert model.usage.tolist() == [128] + [0] * 31 and int(model.steps) == 1
    model.loss((x,))  # step 2: no check yet (the check runs before counting)
    assert (model.codebook.detach()[1:] == 1e3).all()
    model.loss((x,))  # steps == 2: the 31 dead codes move onto encoder outputs
    flat = model.encode(x).detach().permute(0, 2, 3, 1).reshape(-1, 8)
    dist = (model.codebook.detach()[1:, None] - flat[None]).norm(dim=-1).min(1).values
    assert dist.max() < 1e-5
    assert int(model.usage.sum()) == 128  # counting restarted after the check


def test_codebook_usage_on_a_dataset_matches_a_count():
    model = VQVAE().eval()
    x = torch.rand(50, 1, 8, 8, generator=gen(0))
    got = codebook_usage(model, x, batch_size=16)
    idx = model.codes(x).flatten().tolist()
    counts = Counter(idx)
    assert got.counts.tolist() == [counts.get(k, 0) for k in range(32)]
    assert got.usage == pytest.approx(len(counts) / 32)
    n = len(idx)
    assert got.perplexity == pytest.approx(
        math.exp(-sum(c / n * math.log(c / n) for c in counts.values())), rel=1e-6
    )


def test_vqvae_on_digits_uses_its_codebook():
    """Quality target: at least half of the 32 codes are in use on the held-out digits."""
    torch.manual_seed(0)
    model = VQVAE(VQVAE_PRESETS["digits"])
    x, _ = digits("train")
    x_test, _ = digits("test")
    config = TrainConfig(epochs=10, batch_size=64, lr=2e-3, seed=0, device="cpu", progress=False)
    started = time.perf_counter()
    trainer = Trainer(model, config)
    trainer.fit(x)
    seconds = time.perf_counter() - started
    usage = codebook_usage(model, x_test)
    mse = float((model.reconstruct(x_test) - x_test).pow(2).mean())
    print(
        f"\nVQ-VAE digits: {seconds:.1f} s, {trainer.step} steps; test usage {usage.usage:.2f} "
        f"of 32 codes, perplexity {usage.perplexity:.1f}; train batch usage "
        f"{trainer.last['codebook_usage']:.2f}; reconstruction MSE {mse:.4f}"
    )
    assert usage.usage >= 0.5
    assert usage.perplexity >= 8
    assert mse < 0.03  # per pixel, the images lie in [0, 1]


def test_restarts_keep_a_large_codebook_alive():
    """With 128 codes for the digits, codes die without data init and restarts (held-out usage
    measured 0.91 with both fixes, 0.14 with neither)."""
    x, _ = digits("train")
    x_test, _ = digits("test")
    usage = {}
    for fixes in (True, False):
        torch.manual_seed(0)
        config = replace(
            VQVAE_PRESETS["digits"],
            codebook_size=128,
            data_init=fixes,
            restart_every=20 if fixes else 0,
        )
        model = VQVAE(config)
        train = TrainConfig(epochs=5, batch_size=64, lr=2e-3, seed=0, device="cpu", progress=False)
        Trainer(model, train).fit(x)
        usage[fixes] = codebook_usage(model, x_test)
    print(
        f"\nVQ-VAE, 128 codes: usage {usage[True].usage:.2f} (perplexity "
        f"{usage[True].perplexity:.1f}) with data init and restarts, {usage[False].usage:.2f} "
        f"({usage[False].perplexity:.1f}) without"
    )
    assert usage[True].usage >= 0.8
    assert usage[False].usage <= 0.5


# ------------------------------------------------------------------ checks and round trip


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.encode(torch.rand(2, 1, 8, 9)), r"x must have shape \(batch, 1, 8, 8\)"),
        (lambda m: m.quantize(torch.rand(2, 7, 4, 4)), r"z_e must have shape \(batch, 8, \*grid\)"),
        (lambda m: m.decode(torch.rand(2, 8, 3, 3)), r"quantized must have shape"),
        (lambda m: m.lookup(torch.tensor([[32]])), r"indices must be .* values in \[0, 32\)"),
        (lambda m: m.lookup(torch.tensor([[0.5]])), r"indices must be an integer tensor"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(VQVAE())


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"input_shape": (64,)}, r"input_shape must be \(C, H, W\)"),
        ({"channels": (8, 8, 8, 8)}, "divisible by 16"),
        ({"codebook_size": 1}, "codebook_size"),
        ({"beta": -1.0}, "beta"),
        ({"likelihood": "gaussian"}, "fixed decoder_logvar"),
    ],
)
def test_config_checks(kw, match):
    with pytest.raises(ValueError, match=match):
        VQVAEConfig(**kw)


@pytest.mark.parametrize("preset", ["digits", "sprites"])
def test_checkpoint_round_trip_keeps_codebook_and_counters(tmp_path, preset):
    assert REGISTRY["VQVAE"][0] is VQVAE
    torch.manual_seed(0)
    model = VQVAE(VQVAE_PRESETS[preset]).train()
    x = torch.rand(4, *model.input_shape, generator=gen(0))
    model.loss((x,))
    loaded = checkpoint.load(checkpoint.save(model, tmp_path / "vq.pt"), device="cpu").model
    assert loaded.config == model.config and bool(loaded.initialized)
    torch.testing.assert_close(loaded.codebook, model.codebook)
    assert torch.equal(loaded.usage, model.usage) and int(loaded.steps) == 1
    torch.testing.assert_close(loaded.reconstruct(x), model.eval().reconstruct(x))


def test_gaussian_likelihood_uses_gaussian_nll():
    model = VQVAE(replace(VQVAE_PRESETS["digits"], likelihood="gaussian", decoder_logvar=0.0))
    x = torch.rand(3, 1, 8, 8, generator=gen(0))
    decoded = torch.rand(3, 1, 8, 8, generator=gen(1))
    want = 0.5 * ((x - decoded).pow(2) + math.log(2 * math.pi)).sum((1, 2, 3))
    torch.testing.assert_close(model.nll(x, decoded), want)


@CUDA
def test_vqvae_on_cuda():
    model = VQVAE(VQVAE_PRESETS["sprites"]).cuda().train()
    x = torch.rand(4, 1, 32, 32, device="cuda")
    out = model.loss((x,))
    out["loss"].backward()
    assert out["loss"].device.type == "cuda" and model.codebook.grad.device.type == "cuda"
    usage = codebook_usage(model.eval(), x)
    assert 0 < usage.usage <= 1 and usage.counts.sum() == 4 * 8 * 8
