"""genlab.losses (VAE and GAN objectives) against independent computations.

References are torch.distributions, scipy.stats, scipy quadrature, Python's math module and
naive float64 formulas; the gradient estimators are tested in tests/test_estimators.py.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate, stats
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from genlab import losses
from genlab.losses import (
    ELBO,
    bernoulli_nll,
    discriminator_loss,
    elbo,
    feature_matching_loss,
    gan_value,
    gaussian_kl,
    gaussian_nll,
    generator_loss,
    reparameterize,
    smoothed_discriminator_loss,
)

F64 = torch.float64
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]
NAN = float("nan")


def randn(*shape, seed=0, dtype=F64):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def rand(*shape, seed=0, dtype=F64):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def softplus_math(x: float) -> float:
    """log(1 + e^x) in Python floats, the stable way round."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# ------------------------------------------------------------------------------ gaussian_kl


def test_gaussian_kl_matches_torch_distributions():
    mu, logvar = randn(2, 3, 4, seed=1), randn(2, 3, 4, seed=2)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    kl = gaussian_kl(mu, logvar)  # (2, 3, 4) -> (2, 3)
    assert kl.shape == (2, 3)
    torch.testing.assert_close(kl, kl_divergence(q, p))
    assert (kl >= 0).all()


def test_gaussian_kl_between_two_diagonal_gaussians_matches_torch_distributions():
    mu, logvar = randn(2, 3, 4, seed=5), randn(2, 3, 4, seed=6)
    mu_p, logvar_p = randn(3, 4, seed=7), randn(3, 4, seed=8)  # broadcast over the batch
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(mu_p.expand_as(mu), torch.exp(0.5 * logvar_p).expand_as(mu)), 1)
    kl = gaussian_kl(mu, logvar, mu_p, logvar_p)
    torch.testing.assert_close(kl, kl_divergence(q, p))
    zeros = torch.zeros_like(mu)
    torch.testing.assert_close(gaussian_kl(mu, logvar, zeros, zeros), gaussian_kl(mu, logvar))
    with pytest.raises(ValueError, match="together"):
        gaussian_kl(mu, logvar, mu_p)
    with pytest.raises(ValueError, match="logvar_p must broadcast"):
        gaussian_kl(mu, logvar, mu_p, randn(5, seed=9))


def test_gaussian_kl_is_zero_at_the_prior():
    assert gaussian_kl(torch.zeros(5, 3, dtype=F64), torch.zeros(5, 3, dtype=F64)).abs().max() == 0


def test_gaussian_kl_gradcheck():
    mu = randn(3, 4, seed=3).requires_grad_()
    logvar = randn(3, 4, seed=4).requires_grad_()
    assert torch.autograd.gradcheck(gaussian_kl, (mu, logvar))


# ----------------------------------------------------------------------------- gaussian_nll


def test_gaussian_nll_matches_scipy():
    x, mu, logvar = randn(4, 6, seed=1), randn(4, 6, seed=2), randn(4, 6, seed=3)
    expected = -stats.norm.logpdf(x.numpy(), mu.numpy(), np.exp(0.5 * logvar.numpy())).sum(-1)
    np.testing.assert_allclose(gaussian_nll(x, mu, logvar).numpy(), expected, rtol=1e-12)


def test_gaussian_nll_matches_independent_normal_batched():
    x, mu, logvar = randn(2, 3, 5, seed=1), randn(2, 3, 5, seed=2), randn(2, 3, 5, seed=3)
    px_z = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    torch.testing.assert_close(gaussian_nll(x, mu, logvar), -px_z.log_prob(x))


def test_gaussian_nll_constant_variance_is_least_squares():
    # nll = ||x - mu||^2 / (2 sigma^2) + D/2 log(2 pi sigma^2)   (slide: "Least Square")
    x, mu, D, sigma = randn(7, 10, seed=1), randn(7, 10, seed=2), 10, 0.3
    logvar = torch.tensor(2 * math.log(sigma), dtype=F64)  # 0-d: one shared variance
    expected = ((x - mu) ** 2).sum(-1) / (2 * sigma**2) + D / 2 * math.log(2 * math.pi * sigma**2)
    torch.testing.assert_close(gaussian_nll(x, mu, logvar), expected)


def test_gaussian_nll_broadcasts_logvar():
    x, mu, logvar = randn(4, 3, seed=1), randn(4, 3, seed=2), randn(4, 1, seed=3)
    torch.testing.assert_close(
        gaussian_nll(x, mu, logvar), gaussian_nll(x, mu, logvar.expand(4, 3))
    )


@pytest.mark.parametrize("logvar_shape", [(3, 4), ()])
def test_gaussian_nll_gradcheck(logvar_shape):
    x = randn(3, 4, seed=1).requires_grad_()
    mu = randn(3, 4, seed=2).requires_grad_()
    logvar = randn(*logvar_shape, seed=3).requires_grad_()
    assert torch.autograd.gradcheck(gaussian_nll, (x, mu, logvar))


# ---------------------------------------------------------------------------- bernoulli_nll


def test_bernoulli_nll_matches_torch_and_scipy():
    logits = 3 * randn(5, 8, seed=1)
    x = (rand(5, 8, seed=2) < 0.5).to(F64)
    expected = -Independent(Bernoulli(logits=logits), 1).log_prob(x)
    torch.testing.assert_close(bernoulli_nll(x, logits), expected)
    p = torch.sigmoid(logits).numpy()
    np.testing.assert_allclose(
        bernoulli_nll(x, logits).numpy(), -stats.bernoulli.logpmf(x.numpy(), p).sum(-1), rtol=1e-10
    )


def test_bernoulli_nll_extreme_logits():
    logits = torch.tensor([[100.0, -100.0, 100.0, -100.0]], dtype=F64, requires_grad=True)
    x = torch.tensor([[1.0, 1.0, 0.0, 0.0]], dtype=F64)
    nll = bernoulli_nll(x, logits)
    # -log sigmoid(100) = e^-100, -log sigmoid(-100) = 100 (+ e^-100), and symmetrically
    expected = 2 * softplus_math(-100.0) + 2 * softplus_math(100.0)
    assert math.isclose(nll.item(), expected, rel_tol=1e-12)
    nll.sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_bernoulli_nll_gradcheck():
    x = rand(3, 4, seed=1).requires_grad_()
    logits = randn(3, 4, seed=2).requires_grad_()
    assert torch.autograd.gradcheck(bernoulli_nll, (x, logits))


# --------------------------------------------------------------------------- reparameterize


def test_reparameterize_has_the_right_distribution():
    mu = torch.tensor([-1.0, 0.5, 2.0], dtype=F64)
    logvar = torch.tensor([0.0, -2.0, 1.0], dtype=F64)
    z = reparameterize(
        mu.expand(50_000, 3), logvar.expand(50_000, 3), generator=torch.Generator().manual_seed(0)
    )
    for j in range(3):
        sigma = math.exp(0.5 * logvar[j].item())
        assert stats.kstest(z[:, j].numpy(), stats.norm(mu[j].item(), sigma).cdf).pvalue > 1e-3


def test_reparameterize_is_differentiable_and_reproducible():
    mu = randn(4, 3, seed=1).requires_grad_()
    logvar = randn(4, 3, seed=2).requires_grad_()
    z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(7))
    z2 = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(z, z2)
    assert z.dtype == F64
    z.sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones_like(mu))  # dz/dmu = 1
    torch.testing.assert_close(logvar.grad, 0.5 * (z - mu).detach())  # dz/dlogvar = sigma*eps/2


def test_reparameterize_uses_given_eps():
    mu, logvar, eps = randn(2, 3, seed=1), randn(2, 3, seed=2), randn(2, 3, seed=3)
    torch.testing.assert_close(
        reparameterize(mu, logvar, eps=eps),
        Normal(mu, logvar.exp().sqrt()).icdf(Normal(0, 1).cdf(eps)),
    )


# ------------------------------------------------------------------------------------- elbo


def test_elbo_terms_for_images_gaussian():
    B, C, H, W, Z = 3, 2, 4, 5, 6
    x, x_hat = randn(B, C, H, W, seed=1), randn(B, C, H, W, seed=2)
    mu, logvar = randn(B, Z, seed=3), randn(B, Z, seed=4)
    decoder_logvar = randn(C, 1, 1, seed=5)  # one variance per channel
    out = elbo(x, mu, logvar, x_hat, decoder_logvar=decoder_logvar)
    assert isinstance(out, ELBO) and out.elbo.shape == (B,)
    qz_x = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    pz = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    px_z = Independent(Normal(x_hat, torch.exp(0.5 * decoder_logvar).expand(B, C, H, W)), 3)
    torch.testing.assert_close(out.regularization, -kl_divergence(qz_x, pz))
    torch.testing.assert_close(out.reconstruction, px_z.log_prob(x))
    torch.testing.assert_close(out.elbo, out.regularization + out.reconstruction)


def test_elbo_default_decoder_variance_is_one():
    x, x_hat = randn(4, 7, seed=1), randn(4, 7, seed=2)
    out = elbo(x, randn(4, 2, seed=3), randn(4, 2, seed=4), x_hat)
    expected = stats.norm.logpdf(x.numpy(), x_hat.numpy(), 1.0).sum(-1)
    np.testing.assert_allclose(out.reconstruction.numpy(), expected, rtol=1e-12)


def test_elbo_bernoulli_images():
    B, Z = 3, 4
    x = (rand(B, 1, 5, 5, seed=1) < 0.3).to(F64)
    logits = 4 * randn(B, 1, 5, 5, seed=2)
    out = elbo(x, randn(B, Z, seed=3), randn(B, Z, seed=4), logits, likelihood="bernoulli")
    torch.testing.assert_close(
        out.reconstruction, Independent(Bernoulli(logits=logits), 3).log_prob(x)
    )
    torch.testing.assert_close(out.elbo, out.regularization + out.reconstruction)


def test_elbo_monte_carlo_equals_log_evidence_minus_posterior_gap():
    # z ~ N(0, 1), x | z ~ N(w z, s^2 I): p(x) = N(0, w w^T + s^2 I), posterior in closed form.
    # E_q[ELBO] = log p(x) - KL(q || p(z|x)), for the exact posterior and for a wrong q.
    w, s2 = torch.tensor([1.5, -0.5, 2.0], dtype=F64), 0.5
    x = torch.tensor([1.0, 0.2, 2.5], dtype=F64)
    log_px = stats.multivariate_normal(np.zeros(3), np.outer(w, w) + s2 * np.eye(3)).logpdf(x)
    post_var = 1.0 / (1.0 + (w @ w).item() / s2)
    post_mean = post_var * (w @ x).item() / s2
    S = 100_000
    for q_mean, q_var in [(post_mean, post_var), (post_mean - 0.4, 2.0 * post_var)]:
        mu = torch.full((S, 1), q_mean, dtype=F64)
        logvar = torch.full((S, 1), math.log(q_var), dtype=F64)
        z = reparameterize(mu, logvar, generator=torch.Generator().manual_seed(0))  # (S, 1)
        decoder_logvar = torch.tensor(math.log(s2), dtype=F64)
        values = elbo(x.expand(S, 3), mu, logvar, z * w, decoder_logvar=decoder_logvar).elbo
        gap = kl_divergence(Normal(q_mean, q_var**0.5), Normal(post_mean, post_var**0.5))
        se = values.std().item() / math.sqrt(S)
        assert abs(values.mean().item() - (log_px - gap.item())) < 5 * se + 1e-12


# -------------------------------------------------------------------------------------- GAN


def test_gan_losses_match_naive_formulas():
    real, fake = 3 * randn(16, 1, seed=1), 3 * randn(24, 1, seed=2)  # batches may differ
    D_real, D_fake = torch.sigmoid(real), torch.sigmoid(fake)
    J_D = -torch.log(D_real).mean() - torch.log(1 - D_fake).mean()
    torch.testing.assert_close(discriminator_loss(real, fake), J_D)
    torch.testing.assert_close(gan_value(real, fake), -J_D)  # V(D, G) = -J_D
    torch.testing.assert_close(generator_loss(fake, "minimax"), torch.log(1 - D_fake).mean())
    torch.testing.assert_close(generator_loss(fake, "non_saturating"), -torch.log(D_fake).mean())
    torch.testing.assert_close(generator_loss(fake), -torch.log(D_fake).mean())
    assert discriminator_loss(real, fake).shape == ()


def test_gan_value_at_the_optimal_discriminator_is_2jsd_minus_log4():
    # p_data = N(0, 1), p_G = N(1.5, 1); D*(x) = p_data / (p_data + p_G), logit = log-ratio
    p_data, p_g = stats.norm(0.0, 1.0), stats.norm(1.5, 1.0)
    x_real = randn(200_000, seed=1)
    x_fake = 1.5 + randn(200_000, seed=2)

    def logit(x):
        return torch.from_numpy(p_data.logpdf(x.numpy()) - p_g.logpdf(x.numpy()))

    def kl_to_mixture(p):  # KL(p || (p_data + p_G) / 2) by quadrature
        def integrand(t):
            return p.pdf(t) * (p.logpdf(t) - np.log(0.5 * (p_data.pdf(t) + p_g.pdf(t))))

        return integrate.quad(integrand, -20, 20)[0]

    jsd = 0.5 * kl_to_mixture(p_data) + 0.5 * kl_to_mixture(p_g)
    real, fake = logit(x_real), logit(x_fake)
    se = math.hypot(F.logsigmoid(real).std().item(), F.logsigmoid(-fake).std().item()) / math.sqrt(
        2e5
    )
    assert abs(gan_value(real, fake).item() - (2 * jsd - math.log(4))) < 5 * se


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_gan_losses_extreme_logits(dtype):
    logits = torch.tensor([100.0, -100.0], dtype=dtype)
    big, small = softplus_math(100.0), softplus_math(-100.0)  # 100 + e^-100, e^-100
    cases = {
        "discriminator": (discriminator_loss, big + small),
        "value": (gan_value, -(big + small)),
        "minimax": (lambda r, f: generator_loss(f, "minimax"), -(big + small) / 2),
        "non_saturating": (lambda r, f: generator_loss(f), (big + small) / 2),
    }
    for name, (fn, expected) in cases.items():
        real = logits.clone().requires_grad_()
        fake = logits.clone().requires_grad_()
        value = fn(real, fake)
        value.backward()
        assert torch.isfinite(value), name
        assert math.isclose(value.item(), expected, rel_tol=1e-6), name
        for g in (real.grad, fake.grad):
            assert g is None or torch.isfinite(g).all(), name
    # analytic gradients: d softplus(l)/dl = sigmoid(l)
    fake = logits.to(F64).requires_grad_()
    generator_loss(fake, "non_saturating").backward()
    expected = [-0.5 / (1 + math.exp(100.0)), -0.5 / (1 + math.exp(-100.0))]
    torch.testing.assert_close(fake.grad, torch.tensor(expected, dtype=F64), rtol=1e-12, atol=0)


def test_minimax_generator_loss_saturates_and_non_saturating_does_not():
    # slide "A better cost function": when D rejects the fakes (logit -> -inf) the minimax
    # gradient vanishes (about e^-10 here), the non-saturating one does not (about -1)
    fake = torch.full((4,), -10.0, dtype=F64, requires_grad=True)
    (g_minimax,) = torch.autograd.grad(generator_loss(fake, "minimax"), fake)
    (g_nonsat,) = torch.autograd.grad(generator_loss(fake, "non_saturating"), fake)
    torch.testing.assert_close(
        g_minimax, torch.full((4,), -math.exp(-10) / (1 + math.exp(-10)) / 4, dtype=F64)
    )
    torch.testing.assert_close(g_nonsat, torch.full((4,), -1 / (1 + math.exp(-10)) / 4, dtype=F64))


def test_gan_losses_gradcheck():
    real = (2 * randn(5, seed=1)).requires_grad_()
    fake = (2 * randn(6, 1, seed=2)).requires_grad_()
    assert torch.autograd.gradcheck(discriminator_loss, (real, fake))
    assert torch.autograd.gradcheck(gan_value, (real, fake))
    for kind in ("minimax", "non_saturating"):
        assert torch.autograd.gradcheck(lambda f, k=kind: generator_loss(f, k), (fake,))


def test_one_sided_label_smoothing_matches_soft_target_cross_entropy():
    real, fake = 3 * randn(16, seed=1), 3 * randn(24, seed=2)
    for a in (0.9, 0.75):
        D_real, D_fake = torch.sigmoid(real), torch.sigmoid(fake)  # naive float64 is accurate
        expected = (
            -(a * torch.log(D_real) + (1 - a) * torch.log(1 - D_real)).mean()
            - torch.log(1 - D_fake).mean()
        )
        torch.testing.assert_close(smoothed_discriminator_loss(real, fake, a), expected)
        # torch's BCE with soft targets is the same cost
        bce = F.binary_cross_entropy_with_logits
        torch_bce = bce(real, torch.full_like(real, a)) + bce(fake, torch.zeros_like(fake))
        torch.testing.assert_close(smoothed_discriminator_loss(real, fake, a), torch_bce)
    torch.testing.assert_close(
        smoothed_discriminator_loss(real, fake, 1.0), discriminator_loss(real, fake)
    )
    extreme = torch.tensor([100.0, -100.0], dtype=F64)
    assert torch.isfinite(smoothed_discriminator_loss(extreme, extreme))
    with pytest.raises(ValueError, match="real_label"):
        smoothed_discriminator_loss(real, fake, 1.5)


def test_one_sided_smoothing_moves_the_optimal_discriminator_to_a_times_d_star():
    # pointwise, p J_real(l) + q softplus(l) is least at sigmoid(l) = a p / (p + q)
    from scipy.optimize import minimize_scalar

    no_fakes = torch.tensor([-1e9], dtype=F64)  # softplus(-1e9) = 0: only the real term
    for p, q, a in ((0.3, 0.5, 0.9), (0.8, 0.1, 0.7)):

        def cost(l, p=p, q=q, a=a):
            logit = torch.tensor([l], dtype=F64)
            real = smoothed_discriminator_loss(logit, no_fakes, a)
            return (p * real + q * F.softplus(logit)).item()

        best = minimize_scalar(cost, bounds=(-20, 20), method="bounded", options={"xatol": 1e-10})
        assert 1 / (1 + math.exp(-best.x)) == pytest.approx(a * p / (p + q), abs=1e-7)


def test_feature_matching_is_the_squared_distance_of_the_batch_means():
    real, fake = randn(7, 5, seed=1), randn(11, 5, seed=2) + 0.5
    means_real = [sum(real[b, j].item() for b in range(7)) / 7 for j in range(5)]
    means_fake = [sum(fake[b, j].item() for b in range(11)) / 11 for j in range(5)]
    expected = sum((r - f) ** 2 for r, f in zip(means_real, means_fake, strict=True))
    assert feature_matching_loss(real, fake).item() == pytest.approx(expected, rel=1e-12)
    shuffled = real[torch.randperm(7)]
    assert feature_matching_loss(real, shuffled).item() == pytest.approx(0, abs=1e-24)
    fake = fake.requires_grad_()
    assert torch.autograd.gradcheck(lambda f: feature_matching_loss(real, f), (fake,))
    with pytest.raises(ValueError, match="fake_features"):
        feature_matching_loss(real, randn(3, 4))


# ------------------------------------------------------------------ NaN, dtype, device, errors


def test_nan_propagates_to_that_sample_only():
    mu, logvar, x = randn(3, 4, seed=1), randn(3, 4, seed=2), randn(3, 4, seed=3)
    mu[1, 2] = NAN
    expected = torch.tensor([False, True, False])
    assert torch.equal(gaussian_kl(mu, logvar).isnan(), expected)
    assert torch.equal(gaussian_nll(x, mu, logvar).isnan(), expected)
    assert torch.equal(bernoulli_nll(x.sigmoid(), mu).isnan(), expected)
    assert torch.equal(reparameterize(mu, logvar).isnan().any(-1), expected)
    out = elbo(x, mu, logvar, x.flip(0))  # the reconstruction does not depend on mu
    assert torch.equal(out.elbo.isnan(), expected) and not out.reconstruction.isnan().any()
    x_nan = x.clone()
    x_nan[1, 0] = NAN
    assert torch.equal(elbo(x_nan, logvar, logvar, x).elbo.isnan(), expected)
    assert torch.equal(elbo(x, logvar, logvar, x_nan).reconstruction.isnan(), expected)
    real = torch.tensor([1.0, NAN])
    assert discriminator_loss(real, real[:1]).isnan() and gan_value(real, real[:1]).isnan()
    assert generator_loss(real, "minimax").isnan() and generator_loss(real).isnan()


def _all_outputs(x, mu, logvar, logits):
    """Every loss, each as one flat tensor, on the inputs' device and dtype."""
    eps = torch.ones_like(mu)
    return [
        gaussian_kl(mu, logvar),
        gaussian_nll(x, mu, logvar),
        bernoulli_nll(x.sigmoid(), logits),
        reparameterize(mu, logvar, eps=eps).flatten(),
        torch.stack(elbo(x, mu, logvar, logits)).flatten(),
        torch.stack(elbo(x.sigmoid(), mu, logvar, logits, likelihood="bernoulli")).flatten(),
        torch.stack(
            [
                discriminator_loss(logits, mu),
                generator_loss(logits, "minimax"),
                generator_loss(logits),
                gan_value(logits, mu),
            ]
        ),
    ]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_dtypes_and_devices_agree_with_float64_cpu(device, dtype):
    args = [randn(4, 5, seed=s) for s in range(4)]
    reference = _all_outputs(*args)
    outputs = _all_outputs(*(a.to(device, dtype) for a in args))
    for out, ref in zip(outputs, reference, strict=True):
        assert out.dtype == dtype and out.device.type == device
        torch.testing.assert_close(out.cpu().to(F64), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_reparameterize_draws_on_mu_device_and_dtype(device):
    mu = torch.zeros(3, 2, device=device, dtype=torch.float32)
    gen = torch.Generator(device=device).manual_seed(0)
    z = reparameterize(mu, torch.zeros_like(mu), generator=gen)
    assert z.device.type == device and z.dtype == torch.float32


@CUDA
def test_reparameterize_rejects_a_generator_on_another_device():
    mu = torch.zeros(3, device="cuda")
    with pytest.raises(ValueError, match="generator"):
        reparameterize(mu, mu, generator=torch.Generator().manual_seed(0))


def _bad_calls():
    t, i = randn(3, 4), torch.ones(3, 4, dtype=torch.long)
    return [
        (lambda: gaussian_kl([0.0], t), "mu"),
        (lambda: gaussian_kl(t, i), "logvar"),
        (lambda: gaussian_kl(t, randn(3, 5)), "logvar"),
        (lambda: gaussian_kl(torch.tensor(0.0), torch.tensor(0.0)), "mu"),
        (lambda: gaussian_nll(t, randn(3, 5), t), "mu"),
        (lambda: gaussian_nll(t, t, randn(2, 1)), "logvar"),
        (lambda: gaussian_nll(i, t, t), "x"),
        (lambda: bernoulli_nll(t, randn(4, 3)), "logits"),
        (lambda: bernoulli_nll(t.numpy(), t), "x"),
        (lambda: reparameterize(t, t, eps=randn(3)), "eps"),
        (lambda: reparameterize(t, t, generator=0), "generator"),
        (lambda: elbo(t, t, t, t, likelihood="poisson"), "likelihood"),
        (lambda: elbo(t, t, t, randn(3, 5)), "decoder_out"),
        (lambda: elbo(randn(2, 4), t, t, randn(2, 4)), "x"),
        (lambda: elbo(t, t, t, t, decoder_logvar=randn(5)), "decoder_logvar"),
        (lambda: elbo(t, t, t, t, likelihood="bernoulli", decoder_logvar=t), "decoder_logvar"),
        (lambda: discriminator_loss(t, i), "fake_logits"),
        (lambda: discriminator_loss(1.0, t), "real_logits"),
        (lambda: gan_value(torch.zeros(0), t), "real_logits"),
        (lambda: generator_loss(t, kind="wasserstein"), "kind"),
    ]


@pytest.mark.parametrize("call, name", _bad_calls())
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_unknown_generator_kind_lists_the_choices():
    with pytest.raises(ValueError, match="kind must be one of 'minimax', 'non_saturating'"):
        generator_loss(randn(3), kind="saturating")


def test_module_stays_free_of_plotting_and_widgets():
    for module in Path(losses.__file__).parent.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert "matplotlib" not in source and "ipywidgets" not in source, module.name


def test_an_unknown_gan_objective_names_the_argument_and_every_choice():
    real, fake = torch.zeros(4), torch.zeros(4)
    for fn, args in (
        (losses.discriminator_objective, (real, fake)),
        (losses.generator_objective, (fake,)),
    ):
        with pytest.raises(ValueError) as error:
            fn("wasserstein", *args)
        message = str(error.value)
        assert message.startswith("objective must be one of") and "'wasserstein'" in message
        assert all(repr(name) in message for name in losses.OBJECTIVES)
        assert "'minimax'" in message and "'non_saturating'" in message


def test_r1_penalty_is_half_the_squared_gradient_norm_per_sample():
    # an independent computation: D(x) = sum_j w_j x_j^2 has gradient 2 w x
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    logits = (w * x**2).sum(-1)  # (5,)
    expected = 0.5 * ((2 * w * x.detach()) ** 2).sum(-1)
    torch.testing.assert_close(losses.r1_penalty(logits, x), expected)
