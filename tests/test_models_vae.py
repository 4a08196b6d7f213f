"""The VAE models against torch.distributions, and their input checks."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

import genlab
from genlab.models import MLPVAE, PRESETS, ConvVAE, VAEConfig, build_vae


def _independent_elbo(model, x, seed):
    """ELBO of one z ~ q, computed with torch.distributions from the model's public parts."""
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    z = mu + (0.5 * logvar).exp() * eps
    decoded = model.decode(z)
    event = x.ndim - 1
    if model.config.likelihood == "bernoulli":
        px_z = Independent(Bernoulli(logits=decoded), event)
    else:
        scale = (0.5 * model.decoder_logvar).exp().expand_as(decoded)
        px_z = Independent(Normal(decoded, scale), event)
    return -kl_divergence(q, p), px_z.log_prob(x)


@pytest.mark.parametrize("preset", ["digits", "digits_conv", "sprites"])
def test_bernoulli_elbo_matches_torch_distributions(preset):
    genlab.seed_everything(0)
    model = build_vae(preset).double()
    x = (torch.rand(6, *model.input_shape, dtype=torch.float64) > 0.5).double()
    got = model.elbo(x, generator=torch.Generator().manual_seed(3))
    regularization, reconstruction = _independent_elbo(model, x, seed=3)
    torch.testing.assert_close(got.regularization, regularization)
    torch.testing.assert_close(got.reconstruction, reconstruction)
    torch.testing.assert_close(got.elbo, regularization + reconstruction)
    assert got.elbo.shape == (6,)


def test_gaussian_elbo_with_learned_variance_matches_torch_distributions():
    genlab.seed_everything(1)
    model = build_vae("toy2d").double()
    with torch.no_grad():
        model.decoder_logvar.copy_(torch.tensor([-1.0, 0.5]))
    x = torch.randn(10, 2, dtype=torch.float64)
    got = model.elbo(x, generator=torch.Generator().manual_seed(4))
    regularization, reconstruction = _independent_elbo(model, x, seed=4)
    torch.testing.assert_close(got.elbo, regularization + reconstruction)


def test_fixed_decoder_variance_is_least_squares():
    genlab.seed_everything(2)
    config = VAEConfig(
        input_shape=(3,),
        latent_dim=2,
        hidden=(8,),
        likelihood="gaussian",
        decoder_logvar=math.log(0.25),
    )
    model = MLPVAE(config).double()
    assert model.decoder_logvar is None
    x = torch.randn(5, 3, dtype=torch.float64)
    got = model.elbo(x, generator=torch.Generator().manual_seed(0))
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(0), dtype=x.dtype)
    x_hat = model.decode(mu + (0.5 * logvar).exp() * eps)
    least_squares = ((x - x_hat) ** 2).sum(-1) / (2 * 0.25) + 1.5 * math.log(2 * math.pi * 0.25)
    torch.testing.assert_close(got.reconstruction, -least_squares)


def test_elbo_is_below_an_importance_sampled_log_likelihood():
    """Jensen: E_q[ELBO] <= log p(x), estimated by importance sampling with q as proposal."""
    genlab.seed_everything(3)
    model = build_vae("toy2d").double()
    x = torch.randn(4, 2, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        elbos = torch.stack([model.elbo(x, generator=g).elbo for _ in range(4000)])  # (K, B)
        log_px = torch.logsumexp(elbos_iw := _log_weights(model, x, 4000, g), 0) - math.log(4000)
    assert elbos_iw.shape == (4000, 4)
    assert torch.all(elbos.mean(0) < log_px), (elbos.mean(0), log_px)


def _log_weights(model, x, k, g):
    mu, logvar = model.encode(x)
    std = (0.5 * logvar).exp()
    z = mu + std * torch.randn((k, *mu.shape), generator=g, dtype=x.dtype)  # (K, B, Z)
    decoded = model.decode(z.reshape(-1, mu.shape[-1])).reshape(k, *x.shape)
    px_z = Independent(Normal(decoded, (0.5 * model.decoder_logvar).exp()), 1).log_prob(x)
    pz = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1).log_prob(z)
    qz = Independent(Normal(mu, std), 1).log_prob(z)
    return px_z + pz - qz


def test_sample_and_reconstruct_shapes_and_ranges():
    genlab.seed_everything(0)
    model = build_vae("digits")
    images = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert images.shape == (7, 1, 8, 8)
    assert images.min() >= 0 and images.max() <= 1
    again = model.sample(7, generator=torch.Generator().manual_seed(0))
    assert torch.equal(images, again)
    assert model.reconstruct(torch.rand(3, 1, 8, 8)).shape == (3, 1, 8, 8)


def test_presets_build_and_run():
    for name, config in PRESETS.items():
        model = build_vae(name)
        assert isinstance(model, ConvVAE if config.arch == "conv" else MLPVAE)
        x = torch.rand(2, *config.input_shape)
        assert model.loss((x,))["loss"].ndim == 0


def test_wrong_shapes_and_configs_are_named():
    model = build_vae("digits")
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 1, 8, 8\).*\(4, 64\)"):
        model.elbo(torch.rand(4, 64))
    with pytest.raises(ValueError, match=r"z must have shape \(batch, 2\)"):
        model.decode(torch.rand(4, 3))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.sample(0)
    with pytest.raises(ValueError, match="likelihood"):
        VAEConfig(likelihood="poisson")
    with pytest.raises(ValueError, match="divisible by 4"):
        VAEConfig(input_shape=(1, 10, 10), arch="conv", channels=(8, 8))
    with pytest.raises(ValueError, match="config must be one of"):
        build_vae("cifar")
    with pytest.raises(ValueError, match="arch must be 'mlp'"):
        MLPVAE(PRESETS["sprites"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_vae_runs_on_cuda():
    model = build_vae("digits").cuda()
    x = torch.rand(4, 1, 8, 8, device="cuda")
    assert model.elbo(x).elbo.device.type == "cuda"
    assert model.sample(3).device.type == "cuda"
