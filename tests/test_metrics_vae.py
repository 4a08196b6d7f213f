"""genlab.metrics (importance-weighted likelihood, bits/dim, active units, gaps), the IW bound
and free bits of genlab.losses, and the beta-VAE objective, against independent computations:
the exact log p(x) of the linear-Gaussian model, torch.distributions, naive float64 formulas and
Monte Carlo with its standard error."""

import math

import pytest
import torch
from torch import nn
from torch.distributions import Bernoulli, Independent, MultivariateNormal, Normal, kl_divergence

from genlab.losses import free_bits_kl, iwae_bound
from genlab.metrics import (
    active_units,
    bits_per_dim,
    inference_gaps,
    iw_estimate,
    kl_per_dimension,
    log_likelihood,
    log_weights,
    mean_field_posterior,
    rate_distortion,
    refine_posterior,
)
from genlab.models.vae import VAE, VAEConfig, build_vae
from genlab.theory import LinearGaussianLVM
from genlab.train import TrainConfig
from genlab.vae_objectives import BetaELBO, fit_beta_vae, kl_warmup

F64 = torch.float64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def ppca(seed=0, d=4, k=2, sigma=0.5):
    g = gen(seed)
    W = torch.randn(d, k, generator=g, dtype=F64)
    b = torch.randn(d, generator=g, dtype=F64)
    return LinearGaussianLVM(W, b, sigma)


class LinearVAE(VAE):
    """The linear-Gaussian model as a VAE: linear decoder Wz + b with variance sigma^2, and a
    linear encoder q(z|x) = N(A x + c, diag exp(logvar))."""

    def __init__(self, lvm, A, c, logvar):
        config = VAEConfig(
            input_shape=(lvm.d,),
            latent_dim=lvm.k,
            hidden=(1,),
            likelihood="gaussian",
            decoder_logvar=2 * math.log(float(lvm.sigma)),
        )
        super().__init__(config)
        self.encoder = nn.Linear(lvm.d, 2 * lvm.k).double()
        self.decoder = nn.Linear(lvm.k, lvm.d).double()
        with torch.no_grad():
            self.encoder.weight.copy_(torch.cat([A, torch.zeros_like(A)]))
            self.encoder.bias.copy_(torch.cat([c, logvar]))
            self.decoder.weight.copy_(lvm.W)
            self.decoder.bias.copy_(lvm.b)


def mean_field_encoder(lvm):
    """The linear map whose output is the mean-field optimum q* for every x."""
    M = lvm.W.T @ lvm.W + lvm.sigma**2 * torch.eye(lvm.k, dtype=F64)
    A = torch.linalg.solve(M, lvm.W.T)  # posterior mean = A (x - b)
    logvar = -torch.log(torch.diagonal(M) / lvm.sigma**2)
    return A, -A @ lvm.b, logvar


# ------------------------------------------------------------------------------ iwae_bound


def test_iwae_bound_is_the_naive_float64_log_mean_exp_and_its_gradient_the_weights():
    log_w = torch.randn(3, 5, 7, generator=gen(1), dtype=F64).requires_grad_(True)
    naive = torch.log(torch.exp(log_w.detach()).mean(-1))
    assert torch.allclose(iwae_bound(log_w), naive, rtol=1e-12, atol=1e-12)
    (grad,) = torch.autograd.grad(iwae_bound(log_w).sum(), log_w)
    w = torch.exp(log_w.detach())
    assert torch.allclose(grad, w / w.sum(-1, keepdim=True), rtol=1e-12, atol=1e-14)


def test_iwae_bound_is_stable_at_plus_minus_1e4():
    log_w = torch.tensor([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]], dtype=F64)
    exact = torch.tensor(
        [1e4 + math.log(1 + math.exp(-1.0)) - math.log(3), -1e4], dtype=F64
    )  # log-sum-exp by hand: the largest term factored out
    out = iwae_bound(log_w)
    assert torch.isfinite(out).all()
    assert torch.allclose(out, exact, rtol=0, atol=1e-9)
    out32 = iwae_bound(log_w.float().requires_grad_(True))
    assert torch.isfinite(out32).all()


def test_iwae_bound_with_one_sample_is_that_sample_and_rejects_bad_input():
    log_w = torch.randn(6, 1, generator=gen(2), dtype=F64)
    assert torch.equal(iwae_bound(log_w), log_w[:, 0])
    with pytest.raises(ValueError, match="log_w"):
        iwae_bound(torch.tensor(1.0))
    with pytest.raises(ValueError, match="log_w"):
        iwae_bound(torch.zeros(3, 0))
    with pytest.raises(ValueError, match="log_w"):
        iwae_bound([1.0, 2.0])


# ------------------------------------------------- L_K on the linear-Gaussian model (exact)


def test_iw_log_likelihood_converges_to_the_exact_log_px_and_L1_is_the_elbo():
    lvm = ppca(3)
    x = lvm.sample(8, generator=gen(4)).x
    vae = LinearVAE(lvm, *mean_field_encoder(lvm))
    exact = lvm.log_marginal(x)
    est = log_likelihood(vae, x, k=20_000, batch_size=4096, generator=gen(5))
    # L_K <= log p(x) in expectation, with a bias of about se^2 / 2 (delta method), far below
    # se here: the estimate lies within 4 standard errors of the exact value
    z = (est.estimate - exact) / est.stderr
    assert (z.abs() < 4).all(), z
    # L_1 averages to the closed-form ELBO of the encoder's q
    mu, logvar = vae.encode(x)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    elbo = lvm.elbo(x, q)
    lw = log_weights(vae, x, 20_000, generator=gen(6))
    se = lw.std(-1) / math.sqrt(lw.shape[-1])
    assert ((lw.mean(-1) - elbo).abs() < 4 * se).all()
    assert (elbo < exact - 1e-3).any()  # a real gap to close: the latents are correlated


def test_expected_L_K_rises_with_K_and_stays_below_log_px():
    lvm = ppca(7)
    x = lvm.sample(1, generator=gen(8)).x
    vae = LinearVAE(lvm, *mean_field_encoder(lvm))
    exact = float(lvm.log_marginal(x))
    means, ses = [], []
    for K in (1, 4, 64):
        lw = log_weights(vae, x.expand(4000, -1), K, generator=gen(K))  # 4000 repeats
        values = iwae_bound(lw)
        means.append(float(values.mean()))
        ses.append(float(values.std() / math.sqrt(len(values))))
    for i in range(len(means) - 1):
        assert means[i] < means[i + 1] + 3 * math.hypot(ses[i], ses[i + 1])
    assert means[0] < means[-1] - 4 * math.hypot(ses[0], ses[-1])
    assert means[-1] < exact + 4 * ses[-1]


def test_iw_standard_error_matches_the_spread_over_repeats():
    lvm = ppca(9)
    x = lvm.sample(1, generator=gen(10)).x
    vae = LinearVAE(lvm, *mean_field_encoder(lvm))
    lw = log_weights(vae, x.expand(400, -1), 200, generator=gen(11))  # 400 repeats of K = 200
    est = iw_estimate(lw)
    ratio = float(est.estimate.std() / est.stderr.mean())
    # the std over 400 repeats has a relative error of about 1/sqrt(800) = 3.5%
    assert 0.8 < ratio < 1.25, ratio
    assert torch.isnan(iw_estimate(lw[:, :1]).stderr).all()


def test_log_likelihood_of_a_digits_vae_is_above_its_elbo_and_chunking_is_exact():
    torch.manual_seed(0)
    vae = build_vae(VAEConfig(latent_dim=4, hidden=(32,))).double()
    x = (torch.rand(5, 1, 8, 8, generator=gen(12), dtype=F64) < 0.3).to(F64)
    one = log_likelihood(vae, x, k=300, batch_size=100_000, generator=gen(13))
    chunked = log_likelihood(vae, x, k=300, batch_size=128, generator=gen(13))
    assert one.estimate.shape == (5,) and chunked.stderr.shape == (5,)
    assert (one.estimate > one.elbo).all()  # Jensen, for every draw, not only in expectation
    assert (
        abs(one.estimate - chunked.estimate) < 4 * torch.hypot(one.stderr, chunked.stderr)
    ).all()
    assert vae.training  # left as it was


# ------------------------------------------------------------------------ bits, units, KL


def test_bits_per_dim_of_fair_coins_is_one():
    x = (torch.rand(10, 64, generator=gen(14)) < 0.5).float()
    log_px = Independent(Bernoulli(probs=torch.full((64,), 0.5)), 1).log_prob(x)
    assert torch.allclose(bits_per_dim(log_px, 64), torch.ones(10))
    assert bits_per_dim(-64 * math.log(2.0), 64) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match="dims"):
        bits_per_dim(-1.0, 0)
    with pytest.raises(ValueError, match="log_px"):
        bits_per_dim(float("nan"), 64)


def test_active_units_thresholds_the_variance_of_the_encoder_means():
    g = gen(15)
    scales = torch.tensor([1.0, 0.2, 0.05, 0.0], dtype=F64)  # variances 1, 0.04, 0.0025, 0
    mu = torch.randn(5000, 4, generator=g, dtype=F64) * scales + 3.0
    assert active_units(mu).tolist() == [True, True, False, False]
    naive = torch.tensor([sum((v - c.mean()) ** 2 for v in c) / (len(c) - 1) for c in mu.T])
    assert torch.equal(active_units(mu, threshold=0.03), naive > 0.03)
    with pytest.raises(ValueError, match="mu"):
        active_units(mu[0])


def test_kl_per_dimension_sums_to_the_rate_from_torch_distributions():
    mu = torch.randn(20, 3, generator=gen(16), dtype=F64)
    logvar = torch.randn(20, 3, generator=gen(17), dtype=F64)
    q = Normal(mu, torch.exp(0.5 * logvar))
    expected = kl_divergence(q, Normal(torch.zeros_like(mu), 1.0)).mean(0)
    assert torch.allclose(kl_per_dimension(mu, logvar), expected)


# ------------------------------------------------------------------------------ free bits


def test_free_bits_floors_each_dimensions_batch_mean_kl():
    kl = torch.rand(16, 5, generator=gen(18), dtype=F64) * torch.tensor([0.1, 0.5, 1.0, 2.0, 4.0])
    kl.requires_grad_(True)
    lam = 0.4
    naive = sum(max(lam, float(kl[:, j].detach().mean())) for j in range(5))
    out = free_bits_kl(kl, lam)
    assert out.shape == () and float(out.detach()) == pytest.approx(naive, rel=1e-12)
    (grad,) = torch.autograd.grad(out, kl)
    above = (kl.detach().mean(0) > lam).to(F64)
    assert torch.allclose(grad, above.expand(16, 5) / 16)  # no gradient below the floor
    assert torch.allclose(free_bits_kl(kl, 0.0), kl.sum(-1).mean())
    with pytest.raises(ValueError, match="free_nats"):
        free_bits_kl(kl, -1.0)


# --------------------------------------------------------------------------------- gaps


def test_mean_field_posterior_maximises_the_elbo_over_diagonal_gaussians():
    lvm = ppca(19)
    x = lvm.sample(6, generator=gen(20)).x
    mu, logvar = mean_field_posterior(lvm, x)
    mu, logvar = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    elbo = lvm.elbo(x, Independent(Normal(mu, torch.exp(0.5 * logvar)), 1))
    g_mu, g_lv = torch.autograd.grad(elbo.sum(), (mu, logvar))
    assert g_mu.abs().max() < 1e-10 and g_lv.abs().max() < 1e-10  # a stationary point
    # and the approximation gap is KL(q* || p(z|x)) from torch.distributions
    q = MultivariateNormal(mu.detach(), torch.diag_embed(torch.exp(logvar.detach())))
    gaps = inference_gaps(lvm, x, mu.detach(), logvar.detach())
    assert torch.allclose(gaps.approximation, kl_divergence(q, lvm.posterior(x)))
    assert torch.allclose(gaps.amortization, torch.zeros(6, dtype=F64), atol=1e-12)


def test_inference_gaps_add_up_and_match_kl_differences():
    lvm = ppca(21)
    x = lvm.sample(6, generator=gen(22)).x
    A, c, logvar = mean_field_encoder(lvm)
    A = A + 0.1 * torch.randn(A.shape, generator=gen(23), dtype=F64)  # a slightly wrong encoder
    mu, lv = x @ A.T + c, (logvar + 0.3).expand(6, -1)
    gaps = inference_gaps(lvm, x, mu, lv)
    post = lvm.posterior(x)
    kl_enc = kl_divergence(MultivariateNormal(mu, torch.diag_embed(lv.exp())), post)
    star = mean_field_posterior(lvm, x)
    kl_star = kl_divergence(MultivariateNormal(star.mu, torch.diag_embed(star.logvar.exp())), post)
    assert torch.allclose(gaps.total, kl_enc)  # log p(x) - ELBO(q) = KL(q || p(z|x))
    assert torch.allclose(gaps.amortization, kl_enc - kl_star)
    assert torch.allclose(gaps.total, gaps.approximation + gaps.amortization)
    assert (gaps.amortization > 0).all()


def test_refine_posterior_reaches_the_mean_field_optimum_of_a_linear_vae():
    lvm = ppca(24)
    x = lvm.sample(10, generator=gen(25)).x
    A, c, logvar = mean_field_encoder(lvm)
    vae = LinearVAE(lvm, 0.5 * A, c, logvar + 1.0)  # a poor encoder
    start = inference_gaps(lvm, x, *vae.encode(x))
    torch.manual_seed(26)
    mu, lv = refine_posterior(vae, x, steps=400, lr=0.05, n_samples=16, generator=gen(27))
    end = inference_gaps(lvm, x, mu, lv)
    assert float(start.amortization.mean()) > 0.5
    # SGD noise leaves a little: 400 steps with 16 draws get within 0.05 nats per point
    assert float(end.amortization.max()) < 0.05, end.amortization
    assert all(p.requires_grad for p in vae.parameters())


def test_rate_plus_distortion_is_the_negative_closed_form_elbo():
    lvm = ppca(28)
    x = lvm.sample(50, generator=gen(29)).x
    vae = LinearVAE(lvm, *mean_field_encoder(lvm))
    rd = rate_distortion(vae, x, n_samples=2000, generator=gen(30))
    mu, lv = vae.encode(x)
    elbo = lvm.elbo(x, Independent(Normal(mu, torch.exp(0.5 * lv)), 1)).mean()
    rate = kl_divergence(Normal(mu, torch.exp(0.5 * lv)), Normal(0.0, 1.0)).sum(-1).mean()
    assert rd.rate == pytest.approx(float(rate), rel=1e-10)
    # distortion averages 2000 draws per point: its Monte Carlo error is below 0.01 nats here
    assert -(rd.rate + rd.distortion) == pytest.approx(float(elbo), abs=0.02)


# ---------------------------------------------------------------------- beta, warm-up, bits


def test_beta_one_is_the_models_own_loss_and_beta_scales_the_kl():
    torch.manual_seed(0)
    vae = build_vae(VAEConfig(latent_dim=3, hidden=(16,))).double()
    x = torch.rand(8, 1, 8, 8, generator=gen(31), dtype=F64)
    torch.manual_seed(1)
    reference = vae.loss(x)
    torch.manual_seed(1)
    ours = BetaELBO(vae, beta=1.0)(x)
    assert torch.allclose(ours["loss"], reference["loss"])
    torch.manual_seed(1)
    heavy = BetaELBO(vae, beta=4.0)(x)
    assert torch.allclose(heavy["loss"], -heavy["reconstruction"] + 4.0 * heavy["kl"])


def test_kl_warmup_raises_beta_linearly_during_training():
    torch.manual_seed(0)
    vae = build_vae(VAEConfig(latent_dim=2, hidden=(8,)))
    x = torch.rand(64, 1, 8, 8, generator=gen(32))
    config = TrainConfig(epochs=10, batch_size=16, log_every=1, progress=False, device="cpu")
    history = fit_beta_vae(vae, x, config, beta=1.0, warmup_steps=20)
    steps, betas = history["step"], history["beta"]
    # logged after the step ran with the previous beta: step t used min(1, (t - 1) / 20)
    assert betas == pytest.approx([min(1.0, (s - 1) / 20) for s in steps])
    objective = BetaELBO(vae, beta=2.0)
    kl_warmup(objective, 10, beta=2.0)
    assert objective.beta == 0.0
    with pytest.raises(ValueError, match="steps"):
        kl_warmup(objective, 0)
