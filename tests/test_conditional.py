"""genlab.models.conditional (Attribute2Image-style CVAE) and genlab.models.classifier.

The CVAE's ELBO is checked against genlab.losses.elbo evaluated by hand with the same noise;
the quality target is that a small classifier, trained here on the digits' train split, labels
conditional samples as the requested class.
"""

from __future__ import annotations

import math
import time

import pytest
import torch

from genlab import checkpoint, losses
from genlab.data import POSITION_RANGE, SCALE_RANGE, digits, sprites
from genlab.models.classifier import CLASSIFIER_PRESETS, ClassifierConfig, DigitClassifier
from genlab.models.conditional import (
    CVAE,
    CVAE_PRESETS,
    SPRITE_ATTRIBUTES,
    CVAEConfig,
    digit_attributes,
    sprite_attributes,
)
from genlab.models.registry import REGISTRY
from genlab.train import TrainConfig, Trainer, train_digit_classifier

F64 = torch.float64
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
SMALL_SPRITES = CVAEConfig(
    input_shape=(1, 32, 32),
    attribute_dim=9,
    latent_dim=3,
    hidden=(32,),
    arch="conv",
    channels=(4, 8),
)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def classifier():
    return train_digit_classifier(seed=0, device="cpu")


# ------------------------------------------------------------------------------- attributes


def test_digit_attributes_are_one_hot():
    y = digit_attributes(torch.tensor([3, 0, 9]))
    assert y.dtype == torch.float32 and y.shape == (3, 10)
    torch.testing.assert_close(y.sum(1), torch.ones(3))
    assert y.argmax(1).tolist() == [3, 0, 9]
    assert digit_attributes([1, 2], n_classes=3).tolist() == [[0, 1, 0], [0, 0, 1]]


@pytest.mark.parametrize(
    "labels, kw, match",
    [
        (torch.tensor([0.0, 1.0]), {}, "labels must be a 1-D integer"),
        (torch.tensor([[1, 2]]), {}, "labels must be a 1-D integer"),
        (torch.tensor([0, 10]), {}, r"labels must lie in \[0, 10\)"),
        (torch.tensor([-1]), {}, r"labels must lie in"),
        (torch.tensor([0]), {"n_classes": 1}, "n_classes must be an integer >= 2"),
    ],
)
def test_digit_attributes_bad_input(labels, kw, match):
    with pytest.raises(ValueError, match=match):
        digit_attributes(labels, **kw)


def test_sprite_attributes_encode_each_factor():
    images, factors = sprites(50, seed=3)
    y = sprite_attributes(factors)
    assert y.shape == (50, len(SPRITE_ATTRIBUTES)) == (50, 9)
    assert y[:, :4].argmax(1).tolist() == factors[:, 0].long().tolist()
    torch.testing.assert_close(y[:, :4].sum(1), torch.ones(50))
    lo, hi = SCALE_RANGE
    torch.testing.assert_close(y[:, 4], 2 * (factors[:, 1] - lo) / (hi - lo) - 1)
    lo, hi = POSITION_RANGE
    torch.testing.assert_close(y[:, 5], 2 * (factors[:, 3] - lo) / (hi - lo) - 1)
    torch.testing.assert_close(y[:, 6], 2 * (factors[:, 4] - lo) / (hi - lo) - 1)
    assert y[:, 4:7].abs().max() <= 1
    torch.testing.assert_close(y[:, 7], factors[:, 2].cos())
    torch.testing.assert_close(y[:, 8], factors[:, 2].sin())
    torch.testing.assert_close(sprite_attributes(factors, rotation=False), y[:, :7])
    with pytest.raises(ValueError, match=r"factors must have shape \(N, 5\)"):
        sprite_attributes(factors[:, :4])


# ------------------------------------------------------------------------------------ model


@pytest.mark.parametrize("config", [CVAE_PRESETS["digits"], SMALL_SPRITES], ids=["mlp", "conv"])
def test_cvae_shapes(config):
    model = CVAE(config)
    B, A, Z = 5, config.attribute_dim, config.latent_dim
    x = torch.rand(B, *config.input_shape, generator=gen(0))
    y = torch.rand(B, A, generator=gen(1))
    mu, logvar = model.encode(x, y)
    assert mu.shape == logvar.shape == (B, Z)
    assert model.decode(mu, y).shape == (B, *config.input_shape)
    terms = model.elbo(x, y)
    assert all(t.shape == (B,) for t in terms)
    out = model.loss((x, y))
    assert set(out) == {"loss", "elbo", "kl", "reconstruction"} and out["loss"].ndim == 0
    assert model.sample(4, y[0]).shape == (4, *config.input_shape)
    assert model.reconstruct(x, y).shape == x.shape


def test_cvae_elbo_is_losses_elbo_of_the_conditional_networks():
    torch.manual_seed(0)
    model = CVAE(CVAE_PRESETS["digits_bernoulli"]).double()
    x = torch.rand(6, 1, 8, 8, generator=gen(1), dtype=F64)
    y = digit_attributes(torch.arange(6)).double()
    got = model.elbo(x, y, generator=gen(7))
    # by hand: q(z|x,y) from the encoder, the same eps, p(x|z,y) from the decoder
    h = torch.cat([x.flatten(1), y], dim=1)
    mu, logvar = model.encoder_head(h).chunk(2, dim=1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen(7), dtype=F64)
    logits = model.decoder_head(torch.cat([z, y], dim=1)).view(6, 1, 8, 8)
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)
    log_px = (
        x * torch.nn.functional.logsigmoid(logits)
        + (1 - x) * torch.nn.functional.logsigmoid(-logits)
    ).sum((1, 2, 3))
    torch.testing.assert_close(got.regularization, -kl)
    torch.testing.assert_close(got.reconstruction, log_px)
    torch.testing.assert_close(got.elbo, log_px - kl)
    want = losses.elbo(x, mu, logvar, logits, "bernoulli")
    torch.testing.assert_close(got.elbo, want.elbo)


def test_cvae_gaussian_decoder_learned_and_fixed_variance():
    for logvar_x in (None, -2.0):
        config = CVAEConfig(likelihood="gaussian", decoder_logvar=logvar_x, hidden=(16,))
        model = CVAE(config)
        assert (model.decoder_logvar is None) == (logvar_x is not None)
        x, y = torch.rand(3, 1, 8, 8), digit_attributes(torch.tensor([1, 2, 3]))
        out = model.loss((x, y))
        out["loss"].backward()
        assert math.isfinite(out["loss"].detach().item())


def test_decoder_depends_on_the_attributes():
    torch.manual_seed(0)
    model = CVAE(CVAE_PRESETS["digits"])
    z = torch.randn(2, 8, generator=gen(0)).expand(2, 8)
    y = digit_attributes(torch.tensor([3, 7]))
    out = model.decode(z.contiguous(), y)
    assert not torch.allclose(out[0], out[1])


def test_sample_is_reproducible_and_takes_one_or_n_attribute_vectors():
    model = CVAE(CVAE_PRESETS["digits_bernoulli"])
    y = digit_attributes(torch.tensor([4]))[0]
    a = model.sample(3, y, generator=gen(5))
    b = model.sample(3, y.expand(3, 10), generator=gen(5))
    torch.testing.assert_close(a, b)
    assert a.min() >= 0 and a.max() <= 1  # Bernoulli means


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.encode(torch.rand(2, 1, 8, 7), torch.rand(2, 10)), r"x must have shape"),
        (lambda m: m.encode(torch.rand(2, 1, 8, 8), torch.rand(2, 9)), r"y must be .*\(2, 10\)"),
        (lambda m: m.encode(torch.rand(2, 1, 8, 8), torch.rand(3, 10)), r"y must be .*\(2, 10\)"),
        (lambda m: m.encode(torch.rand(2, 1, 8, 8), torch.tensor([1, 2])), r"digit_attributes"),
        (lambda m: m.decode(torch.rand(2, 3), torch.rand(2, 10)), r"z must have shape"),
        (lambda m: m.sample(0, torch.rand(10)), r"n must be an integer >= 1"),
        (lambda m: m.sample(3, torch.rand(2, 10)), r"y must be .*\(3, 10\)"),
        (lambda m: m.loss(torch.rand(2, 1, 8, 8)), r"batch must be a pair \(x, y\)"),
    ],
)
def test_cvae_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(CVAE(CVAE_PRESETS["digits"]))


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"attribute_dim": 0}, "attribute_dim"),
        ({"likelihood": "poisson"}, "likelihood"),
        ({"arch": "conv", "input_shape": (64,)}, r"arch='conv' needs input_shape \(C, H, W\)"),
        ({"arch": "conv", "channels": (8, 8, 8, 8)}, "divisible by 16"),
    ],
)
def test_cvae_config_checks(kw, match):
    with pytest.raises(ValueError, match=match):
        CVAEConfig(**kw)


@pytest.mark.parametrize("config", [CVAE_PRESETS["digits"], SMALL_SPRITES], ids=["mlp", "conv"])
def test_cvae_checkpoint_round_trip(tmp_path, config):
    assert REGISTRY["CVAE"][0] is CVAE
    model = CVAE(config)
    path = checkpoint.save(model, tmp_path / "cvae.pt", history={"loss": [1.0]})
    loaded = checkpoint.load(path, device="cpu")
    assert loaded.model.config == config and loaded.history == {"loss": [1.0]}
    z = torch.randn(2, config.latent_dim, generator=gen(0))
    y = torch.rand(2, config.attribute_dim, generator=gen(1))
    torch.testing.assert_close(loaded.model.decode(z, y), model.decode(z, y))


# ------------------------------------------------------------------------------ classifier


def test_classifier_shapes_checks_and_round_trip(tmp_path):
    model = DigitClassifier()
    x = torch.rand(7, 1, 8, 8, generator=gen(0))
    c = model.classify(x)
    assert c.labels.shape == c.confidence.shape == (7,) and c.probs.shape == (7, 10)
    torch.testing.assert_close(c.probs.sum(1), torch.ones(7))
    torch.testing.assert_close(c.confidence, c.probs.max(1).values)
    assert model.training  # classify leaves the mode as it was
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 1, 8, 8\)"):
        model(torch.rand(2, 64))
    with pytest.raises(ValueError, match="dropout"):
        ClassifierConfig(dropout=1.0)
    loaded = checkpoint.load(checkpoint.save(model.eval(), tmp_path / "clf.pt"), device="cpu")
    torch.testing.assert_close(loaded.model(x), model(x))
    assert DigitClassifier(CLASSIFIER_PRESETS["mnist"])(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_classifier_trains_in_seconds_and_generalises(classifier):
    print(
        f"\nclassifier: test accuracy {classifier.test_accuracy:.3f}, train "
        f"{classifier.train_accuracy:.3f}, {classifier.seconds:.1f} s"
    )
    assert classifier.test_accuracy >= 0.93
    x, labels = digits("test")
    assert classifier.model.accuracy(x, labels) == pytest.approx(classifier.test_accuracy)


# --------------------------------------------------------------------------------- quality


def test_conditional_digit_samples_have_the_requested_class(classifier):
    """Attribute2Image on digits: samples for class c are classified as c (>= 80%)."""
    torch.manual_seed(0)
    model = CVAE(CVAE_PRESETS["digits"])
    x, labels = digits("train")
    started = time.perf_counter()
    config = TrainConfig(epochs=40, batch_size=64, lr=2e-3, seed=0, device="cpu", progress=False)
    Trainer(model, config).fit((x, digit_attributes(labels)))
    seconds = time.perf_counter() - started

    requested = torch.arange(10).repeat_interleave(50)  # 50 samples of each digit
    samples = model.sample(500, digit_attributes(requested), generator=gen(1))
    verdict = classifier.model.classify(samples)
    match = float((verdict.labels == requested).float().mean())
    per_class = [float((verdict.labels[requested == c] == c).float().mean()) for c in range(10)]
    spread = float(samples.view(10, 50, -1).std(1).mean())  # within-class variety
    print(
        f"\nCVAE: {seconds:.1f} s; class match {match:.3f} (worst class {min(per_class):.2f}), "
        f"mean confidence {float(verdict.confidence.mean()):.3f}, within-class pixel std "
        f"{spread:.3f}"
    )
    assert match >= 0.8
    assert spread > 0.05  # z carries style: samples of one class are not all alike


@CUDA
def test_cvae_on_cuda_follows_its_parameters():
    model = CVAE(SMALL_SPRITES).cuda()
    images, factors = sprites(4, seed=0, device="cuda")
    out = model.loss((images, sprite_attributes(factors)))
    out["loss"].backward()
    assert out["loss"].device.type == "cuda"
    assert model.sample(2, sprite_attributes(factors)[0]).device.type == "cuda"
    cpu = CVAE(CVAE_PRESETS["digits"])
    y = digit_attributes(torch.tensor([2]))[0]
    want = cpu.sample(3, y, generator=gen(5))
    got = cpu.cuda().sample(3, y, generator=gen(5))  # a CPU generator: the same z on any device
    torch.testing.assert_close(got.cpu(), want, atol=1e-5, rtol=1e-5)
    clf = DigitClassifier().cuda()
    assert clf.classify(torch.rand(3, 1, 8, 8, device="cuda")).labels.device.type == "cuda"
