"""The GAN models: shapes, config checks, grouped layers against separate ones, checkpoints."""

import math

import pytest
import torch
from torch import nn

from genlab.checkpoint import load, save
from genlab.models.gan import (
    GAN,
    GAN_PRESETS,
    DCGANDiscriminator,
    DCGANGenerator,
    GANConfig,
    GaussianGenerator,
    GroupedGAN,
    GroupedMLP,
    MLPDiscriminator,
    MLPGenerator,
    build_gan,
)


@pytest.mark.parametrize("preset", sorted(GAN_PRESETS))
def test_every_preset_maps_z_to_data_and_data_to_one_logit(preset):
    torch.manual_seed(0)
    gan = build_gan(preset)
    config = gan.config
    z = torch.randn(5, config.latent_dim)
    with torch.no_grad():
        x = gan.generator(z)
    assert x.shape == (5, *config.data_shape)
    assert gan.discriminator(x).shape == (5,)
    if config.output == "sigmoid":
        assert 0 <= float(x.min()) and float(x.max()) <= 1
    samples = gan.sample(7, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (7, *config.data_shape)
    assert gan.training, "sample() restores the training mode"


def test_dcgan_is_up_convolutional_and_recognition_cnn():
    config = GAN_PRESETS["digits"]
    generator, discriminator = DCGANGenerator(config), DCGANDiscriminator(config)
    ups = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    downs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert len(ups) == len(downs) == len(config.channels)
    assert all(m.stride == (2, 2) for m in ups + downs)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in discriminator.modules())
    sprites = GAN(GAN_PRESETS["sprites"])
    assert sprites.generator(torch.randn(2, 16)).shape == (2, 1, 32, 32)


def test_gaussian_generator_is_an_affine_map_of_z():
    config = GAN_PRESETS["gaussian1d"]
    generator = GaussianGenerator(config)
    with torch.no_grad():
        generator.loc.fill_(1.5)
        generator.log_scale.fill_(math.log(0.25))
    z = torch.randn(10_000, 1, generator=torch.Generator().manual_seed(0))
    x = generator(z)
    torch.testing.assert_close(x, 1.5 + 0.25 * z)
    x = x.detach()
    assert abs(float(x.mean()) - 1.5) < 0.01 and abs(float(x.std()) - 0.25) < 0.01


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(arch="resnet"), "arch"),
        (dict(output="tanh"), "output"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(data_shape=(1, 8, 8)), "data_shape"),  # mlp needs a flat shape
        (dict(arch="gaussian", data_shape=(2,), latent_dim=1), "latent_dim"),
        (dict(arch="dcgan", data_shape=(1, 10, 10), channels=(8, 16)), "divisible"),
        (dict(arch="dcgan", data_shape=(4,)), "data_shape"),
        (dict(g_hidden=(0,)), "g_hidden"),
    ],
)
def test_bad_configs_name_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=word):
        GANConfig(**kwargs)


def test_bad_inputs_name_the_argument():
    gan = build_gan("toy1d")
    with pytest.raises(ValueError, match="z must have shape"):
        gan.generator(torch.randn(3, 2))
    with pytest.raises(ValueError, match="x must have shape"):
        gan.discriminator(torch.randn(3, 2))
    with pytest.raises(ValueError, match="config"):
        build_gan("nope")
    with pytest.raises(ValueError, match="n must be"):
        gan.sample(0)


def test_grouped_layers_equal_the_separate_networks_in_float64():
    torch.manual_seed(0)
    gans = [GAN(GAN_PRESETS["toy2d"]).double() for _ in range(4)]
    grouped = GroupedGAN(gans)
    z = torch.randn(4, 9, 2, dtype=torch.float64)
    x = grouped.generator(z)  # (N, B, D)
    for i, gan in enumerate(gans):
        torch.testing.assert_close(x[i], gan.generator(z[i]), rtol=0, atol=1e-12)
        torch.testing.assert_close(
            grouped.discriminator(x)[i], gan.discriminator(x[i]), rtol=0, atol=1e-12
        )
        back = grouped.unstack(i).double()
        torch.testing.assert_close(back.generator(z[i]), gan.generator(z[i]), rtol=0, atol=1e-12)


def test_grouped_runs_do_not_mix_gradients():
    torch.manual_seed(1)
    gans = [GAN(GAN_PRESETS["toy1d"]) for _ in range(3)]
    grouped = GroupedGAN(gans)
    x = torch.randn(3, 8, 1)
    logits = grouped.discriminator(x)
    logits[1].sum().backward()  # only run 1's output
    for w in grouped.d_net.weights:
        assert float(w.grad[0].abs().sum()) == 0.0 and float(w.grad[2].abs().sum()) == 0.0
        assert float(w.grad[1].abs().sum()) > 0.0


def test_grouped_gaussian_generators():
    torch.manual_seed(2)
    gans = [GAN(GAN_PRESETS["gaussian1d"]) for _ in range(2)]
    with torch.no_grad():
        gans[1].generator.loc.fill_(3.0)
    grouped = GroupedGAN(gans)
    z = torch.randn(2, 5, 1)
    torch.testing.assert_close(grouped.generator(z)[1], gans[1].generator(z[1]))
    assert float(grouped.unstack(1).generator.loc.detach()) == 3.0
    with pytest.raises(ValueError, match="dcgan"):
        GroupedGAN([GAN(GAN_PRESETS["digits"])])
    with pytest.raises(ValueError, match="one GANConfig"):
        GroupedGAN([GAN(GAN_PRESETS["toy1d"]), GAN(GAN_PRESETS["gaussian1d"])])
    with pytest.raises(ValueError, match="at least one"):
        GroupedMLP([])


@pytest.mark.parametrize("preset", ["toy1d", "digits"])
def test_checkpoint_round_trip(tmp_path, preset):
    torch.manual_seed(3)
    gan = build_gan(preset)
    path = save(gan, tmp_path / f"{preset}.pt", history={"jsd": [0.5, 0.1], "step": [1, 2]})
    ckpt = load(path, device="cpu")
    assert type(ckpt.model) is GAN and ckpt.model.config == gan.config
    assert ckpt.history == {"jsd": [0.5, 0.1], "step": [1, 2]}
    z = torch.randn(4, gan.config.latent_dim)
    gan.eval()
    torch.testing.assert_close(ckpt.model.generator(z), gan.generator(z), rtol=0, atol=0)
    x = gan.generator(z)
    torch.testing.assert_close(ckpt.model.discriminator(x), gan.discriminator(x), rtol=0, atol=0)


def test_generator_and_discriminator_alone_are_registered(tmp_path):
    torch.manual_seed(4)
    for module in (MLPGenerator(), MLPDiscriminator()):
        ckpt = load(save(module, tmp_path / "m.pt"), device="cpu")
        assert type(ckpt.model) is type(module)
        for a, b in zip(ckpt.model.parameters(), module.parameters(), strict=True):
            assert torch.equal(a, b)
