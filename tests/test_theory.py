"""genlab.theory: the optimal discriminator and GAN value, and the linear-Gaussian LVM.

References are independent of the code under test: scipy quadrature with hand-written numpy
densities, scipy.stats, brute-force Bayes on a grid, Monte Carlo with a fixed seed, and the
closed-form PPCA maximum-likelihood solution (Tipping & Bishop 1999) computed with numpy.
"""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, optimize, stats
from torch.distributions import Independent, MixtureSameFamily, MultivariateNormal, Normal

from genlab.theory import (
    LinearGaussianLVM,
    OptimalDiscriminator,
    discrete_gan_value,
    gan_value_quadrature,
    gaussian_mixture,
    mixture_of,
    optimal_discriminator,
)

F64 = torch.float64


def t64(x):
    return torch.as_tensor(x, dtype=F64)


def np_pdf(means, stds, weights=None):
    m, s = np.asarray(means, float), np.asarray(stds, float)
    w = np.asarray(weights if weights is not None else np.ones(len(m)) / len(m), float)
    w = w / w.sum()

    def pdf(x):
        x = np.asarray(x, dtype=float)[..., None]
        return np.sum(w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)), -1)

    return pdf


MIXTURES = [
    (([-1.0, 2.0], [0.5, 1.0], [0.3, 0.7]), ([0.5], [1.2], None)),
    (([0.0], [1.0], None), ([0.0], [1.0], None)),  # p = q: V = -log 4
    (([-4.0, 0.0, 4.0], [0.3, 0.6, 0.3], [1.0, 2.0, 1.0]), ([3.0, 6.0], [0.8, 0.5], [0.5, 0.5])),
    (([-6.0], [0.2], None), ([6.0], [0.2], None)),  # nearly disjoint: JSD -> log 2
]


def quad_jsd(pa, qa):
    pp, qq = np_pdf(*pa), np_pdf(*qa)

    def integrand(x):
        p, q = float(pp(x)), float(qq(x))
        m = 0.5 * (p + q)
        return 0.5 * (
            (p * math.log(p / m) if p > 0 else 0.0) + (q * math.log(q / m) if q > 0 else 0.0)
        )

    points = sorted({*pa[0], *qa[0]})
    return integrate.quad(integrand, -20, 20, points=points, limit=400, epsabs=1e-12, epsrel=1e-12)[
        0
    ]


# ---------------------------------------------------------------------------------------
# mixtures
# ---------------------------------------------------------------------------------------


def test_gaussian_mixture_density_and_weights():
    mix = gaussian_mixture([-1.0, 2.0], [0.5, 1.0], [3.0, 7.0], dtype=F64)
    assert isinstance(mix, MixtureSameFamily)
    torch.testing.assert_close(mix.mixture_distribution.probs, t64([0.3, 0.7]))
    x = np.linspace(-4, 5, 19)
    expected = np.log(np_pdf([-1.0, 2.0], [0.5, 1.0], [0.3, 0.7])(x))
    np.testing.assert_allclose(mix.log_prob(t64(x)).numpy(), expected, rtol=1e-12)
    assert gaussian_mixture([0.0, 1.0], [1.0, 1.0]).mixture_distribution.probs.tolist() == [
        0.5,
        0.5,
    ]
    assert gaussian_mixture(torch.tensor([0.0], dtype=F64), [1.0]).mean.dtype == F64


def test_gaussian_mixture_keeps_the_autograd_graph():
    loc = torch.tensor([0.0, 1.0], dtype=F64, requires_grad=True)
    gaussian_mixture(loc, [1.0, 1.0]).log_prob(t64(0.3)).backward()
    assert loc.grad is not None and bool(torch.isfinite(loc.grad).all())


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        (dict(means=[0.0, 1.0], stds=[1.0, 0.0]), "stds"),
        (dict(means=[0.0, 1.0], stds=[1.0, -1.0]), "stds"),
        (dict(means=[0.0, 1.0], stds=[1.0]), "stds"),
        (dict(means=[0.0, 1.0], stds=[1.0, 1.0], weights=[1.0]), "weights"),
        (dict(means=[0.0, 1.0], stds=[1.0, 1.0], weights=[-0.5, 1.5]), "weights"),
        (dict(means=[0.0, 1.0], stds=[1.0, 1.0], weights=[0.0, 0.0]), "weights"),
        (dict(means=[], stds=[]), "means"),
        (dict(means=[[0.0]], stds=[[1.0]]), "means"),
        (dict(means=[math.nan], stds=[1.0]), "means"),
        (dict(means=[0.0], stds=[math.inf]), "stds"),
    ],
)
def test_gaussian_mixture_rejects_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        gaussian_mixture(**kwargs)


# ---------------------------------------------------------------------------------------
# optimal discriminator and the GAN value
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pa, qa", MIXTURES)
def test_value_at_the_optimal_discriminator_is_2_jsd_minus_log_4(pa, qa):
    p, q = gaussian_mixture(*pa, dtype=F64), gaussian_mixture(*qa, dtype=F64)
    expected = 2 * quad_jsd(pa, qa) - math.log(4)
    assert gan_value_quadrature(optimal_discriminator(p, q), p, q).item() == pytest.approx(
        expected, abs=1e-9
    )
    D = optimal_discriminator(p, q)
    as_logits = gan_value_quadrature(D.logit, p, q, logits=True).item()
    assert as_logits == pytest.approx(expected, abs=1e-9)


def test_probability_and_logit_paths_agree_when_nothing_saturates():
    pa, qa = MIXTURES[0]
    p, q = gaussian_mixture(*pa, dtype=F64), gaussian_mixture(*qa, dtype=F64)
    D = optimal_discriminator(p, q)
    by_prob = gan_value_quadrature(lambda x: D(x), p, q).item()  # a plain callable: probabilities
    assert by_prob == pytest.approx(gan_value_quadrature(D, p, q).item(), abs=1e-9)
    # V(D = 1/2) = -log 4 for any p, q
    assert gan_value_quadrature(lambda x: torch.full_like(x, 0.5), p, q).item() == pytest.approx(
        -math.log(4)
    )


def test_the_optimal_discriminator_maximises_the_value():
    pa, qa = MIXTURES[2]
    p, q = gaussian_mixture(*pa, dtype=F64), gaussian_mixture(*qa, dtype=F64)
    D = optimal_discriminator(p, q)
    best = gan_value_quadrature(D, p, q).item()
    for h in (lambda x: torch.ones_like(x), torch.sin, lambda x: torch.exp(-(x**2))):
        for eps in (-0.05, 0.05):
            perturbed = gan_value_quadrature(
                lambda x, h=h, eps=eps: D.logit(x) + eps * h(x), p, q, logits=True
            )
            assert perturbed.item() < best
    # pointwise (the slide's argument): a log y + b log(1 - y) peaks at y = a / (a + b)
    for a, b in ((0.3, 0.7), (2.0, 0.1), (1.0, 1.0)):
        res = optimize.minimize_scalar(
            lambda y, a=a, b=b: -(a * math.log(y) + b * math.log1p(-y)),
            bounds=(1e-12, 1 - 1e-12),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert res.x == pytest.approx(a / (a + b), abs=1e-8)


def test_optimal_discriminator_values():
    p, q = gaussian_mixture([0.0], [1.0], dtype=F64), gaussian_mixture([1.0], [2.0], dtype=F64)
    D = optimal_discriminator(p, q)
    assert isinstance(D, OptimalDiscriminator)
    x = np.linspace(-5, 5, 11)
    pp, qq = stats.norm(0, 1).pdf(x), stats.norm(1, 2).pdf(x)
    np.testing.assert_allclose(D(t64(x)).numpy(), pp / (pp + qq), rtol=1e-12)
    # both densities underflow: D* = sigmoid(log p - log q) stays exact, 1/2 where both are 0
    far = D(t64([40.0, 1e6, 1e200])).tolist()
    assert 0 < far[0] < 1e-100 and far[1] == 0.0 and far[2] == 0.5


def test_discrete_gan_value_against_a_naive_sum_and_the_jsd_identity():
    gen = torch.Generator().manual_seed(0)
    p = torch.rand(3, 6, generator=gen, dtype=F64)
    q = torch.rand(3, 6, generator=gen, dtype=F64)
    p, q = p / p.sum(-1, keepdim=True), q / q.sum(-1, keepdim=True)
    logits = 2 * torch.randn(3, 6, generator=gen, dtype=F64)
    naive = [
        sum(
            p[i, k].item() * math.log(1 / (1 + math.exp(-logits[i, k].item())))
            + q[i, k].item() * math.log(1 - 1 / (1 + math.exp(-logits[i, k].item())))
            for k in range(6)
        )
        for i in range(3)
    ]
    np.testing.assert_allclose(discrete_gan_value(p, q, logits).numpy(), naive, rtol=1e-12)
    # at D* = p / (p + q): 2 JSD - log 4, with the JSD from scipy
    from scipy.spatial.distance import jensenshannon

    jsd = np.array([jensenshannon(p[i].numpy(), q[i].numpy()) ** 2 for i in range(3)])
    at_optimum = discrete_gan_value(p, q, torch.log(p) - torch.log(q)).numpy()
    np.testing.assert_allclose(at_optimum, 2 * jsd - math.log(4), rtol=1e-12)
    # empirical distributions: the sample average of losses.gan_value
    from genlab.losses import gan_value as sample_value

    real, fake = logits[0], logits[1]
    uniform = torch.full((6,), 1 / 6, dtype=F64)
    both = discrete_gan_value(
        torch.cat([uniform, torch.zeros(6, dtype=F64)]),
        torch.cat([torch.zeros(6, dtype=F64), uniform]),
        torch.cat([real, fake]),
    )
    torch.testing.assert_close(both, sample_value(real, fake))
    assert torch.isfinite(discrete_gan_value(p[0], q[0], torch.full((6,), 800.0, dtype=F64)))
    with pytest.raises(ValueError, match="p_g"):
        discrete_gan_value(p, -q, logits)


def test_gan_value_rejects_and_reports():
    p, q = gaussian_mixture([0.0], [1.0], dtype=F64), gaussian_mixture([1.0], [1.0], dtype=F64)
    with pytest.raises(ValueError, match="probabilities"):
        gan_value_quadrature(lambda x: 2 * torch.ones_like(x), p, q)
    with pytest.raises(ValueError, match="one value per input"):
        gan_value_quadrature(lambda x: torch.ones(3, dtype=F64), p, q)
    # a D that is exactly 0 where p_data has mass is infinitely bad, not a plausible number
    assert gan_value_quadrature(lambda x: (x < 0).to(x.dtype), p, q).item() == -math.inf
    with pytest.raises(ValueError, match="p_g"):
        optimal_discriminator(p, "q")


def test_gan_value_with_a_network_is_differentiable():
    p, q = gaussian_mixture([0.0], [1.0], dtype=F64), gaussian_mixture([1.0], [1.0], dtype=F64)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    value = gan_value_quadrature(net, p, q, logits=True)
    value.backward()
    assert (
        value.dtype == F64
        and value.item() < gan_value_quadrature(optimal_discriminator(p, q), p, q).item()
    )
    assert all(param.grad is not None for param in net.parameters())


# ---------------------------------------------------------------------------------------
# the linear-Gaussian latent variable model
# ---------------------------------------------------------------------------------------


def make_model(d=4, k=2, sigma=0.5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(d, k, generator=gen, dtype=F64)
    b = torch.randn(d, generator=gen, dtype=F64)
    return LinearGaussianLVM(W, b, sigma), gen


def random_gaussians(n, k, gen):
    """A batch of Gaussians over z of each supported kind."""
    m = torch.randn(n, k, generator=gen, dtype=F64)
    s = 0.2 + torch.rand(n, k, generator=gen, dtype=F64)
    A = torch.randn(n, k, k, generator=gen, dtype=F64)
    cov = A @ A.transpose(-1, -2) + 0.1 * torch.eye(k, dtype=F64)
    return [
        Normal(m, s),
        Independent(Normal(m, s), 1),
        MultivariateNormal(m, covariance_matrix=cov),
    ]


def test_log_marginal_matches_scipy():
    model, gen = make_model()
    x = model.sample(7, generator=gen).x
    cov = (model.W @ model.W.T + 0.25 * torch.eye(4, dtype=F64)).numpy()
    expected = stats.multivariate_normal(model.b.numpy(), cov).logpdf(x.numpy())
    np.testing.assert_allclose(model.log_marginal(x).numpy(), expected, rtol=1e-12)
    assert model.log_marginal(x[0]).shape == ()


def test_log_marginal_by_integrating_out_z_in_1d():
    model = LinearGaussianLVM(t64([[1.3]]), t64([0.4]), 0.7)
    for x in (-2.0, 0.4, 3.1):
        joint = lambda z, x=x: stats.norm.pdf(x, 1.3 * z + 0.4, 0.7) * stats.norm.pdf(z)  # noqa: E731
        evidence = integrate.quad(joint, -12, 12, epsabs=1e-14, epsrel=1e-12)[0]
        assert model.log_marginal(t64([x])).item() == pytest.approx(math.log(evidence), rel=1e-10)
    # and by Monte Carlo over z ~ p(z): p(x) = E_z[p(x|z)]
    model, _ = make_model(d=3, k=2)
    x = t64([0.5, -1.0, 2.0])
    z = torch.randn(400_000, 2, generator=torch.Generator().manual_seed(3), dtype=F64)
    mc = model.likelihood(z).log_prob(x).exp().mean().log().item()
    assert mc == pytest.approx(model.log_marginal(x).item(), abs=0.02)


def test_posterior_is_bayes_rule_on_a_grid():
    model = LinearGaussianLVM(t64([[1.3], [-0.6], [0.9]]), t64([0.4, 0.0, -1.0]), 0.7)
    z = np.linspace(-10, 10, 20_001)
    x = np.array([[0.5, 1.0, -2.0], [3.0, -1.0, 0.0]])
    post = model.posterior(t64(x))
    for i, xi in enumerate(x):
        log_joint = stats.norm.logpdf(z) + sum(
            stats.norm.logpdf(xi[j], model.W[j, 0].item() * z + model.b[j].item(), 0.7)
            for j in range(3)
        )
        w = np.exp(log_joint - log_joint.max())
        w /= integrate.trapezoid(w, z)
        mean = integrate.trapezoid(z * w, z)
        var = integrate.trapezoid((z - mean) ** 2 * w, z)
        assert post.loc[i, 0].item() == pytest.approx(mean, rel=1e-8)
        assert post.covariance_matrix[i, 0, 0].item() == pytest.approx(var, rel=1e-8)


def test_elbo_closed_form_matches_monte_carlo():
    model, gen = make_model()
    x = model.sample(3, generator=gen).x
    for q in random_gaussians(3, 2, gen):
        mvn = MultivariateNormal(*_moments(q))
        eps = torch.randn(50_000, 3, 2, generator=gen, dtype=F64)
        z = mvn.loc + (mvn.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)  # (S, 3, 2)
        log_joint = model.likelihood(z).log_prob(x) + Normal(0.0, 1.0).log_prob(z).sum(-1)
        samples = log_joint - mvn.log_prob(z)
        stderr = samples.std(0) / math.sqrt(samples.shape[0])
        diff = samples.mean(0) - model.elbo(x, q)
        assert bool((diff.abs() < 5 * stderr + 1e-12).all()), (diff, stderr)


def _moments(q):
    if isinstance(q, MultivariateNormal):
        return q.loc, q.covariance_matrix
    base = q.base_dist if isinstance(q, Independent) else q
    return base.loc, torch.diag_embed(base.scale**2)


def test_log_evidence_is_elbo_plus_kl_for_any_gaussian_q():
    model, gen = make_model(d=5, k=3)
    x = model.sample(6, generator=gen).x
    for _ in range(3):
        for q in random_gaussians(6, 3, gen):
            elbo, kl = model.elbo(x, q), model.kl_to_posterior(x, q)
            torch.testing.assert_close(elbo + kl, model.log_marginal(x), rtol=0, atol=1e-10)
            assert bool((kl > 0).all()) and bool((elbo < model.log_marginal(x)).all())
    post = model.posterior(x)
    torch.testing.assert_close(
        model.kl_to_posterior(x, post), torch.zeros(6, dtype=F64), atol=1e-12, rtol=0
    )
    torch.testing.assert_close(model.elbo(x, post), model.log_marginal(x), atol=1e-10, rtol=0)
    # one (unbatched) q for every x broadcasts
    single = MultivariateNormal(torch.zeros(3, dtype=F64), torch.eye(3, dtype=F64))
    assert model.elbo(x, single).shape == (6,) == model.kl_to_posterior(x, single).shape


def test_sample_is_reproducible_and_has_the_marginal_covariance():
    model, _ = make_model()
    a = model.sample(5, generator=torch.Generator().manual_seed(1))
    b = model.sample(5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(a.x, b.x)
    assert a.x.shape == (5, 4) and a.z.shape == (5, 2)
    big = model.sample(100_000, generator=torch.Generator().manual_seed(2)).x
    cov = model.W @ model.W.T + 0.25 * torch.eye(4, dtype=F64)
    torch.testing.assert_close(torch.cov(big.T), cov, atol=0.05, rtol=0.02)


def test_m_step_maximises_the_summed_elbo():
    model, gen = make_model(d=5, k=2)
    x = model.sample(200, generator=gen).x
    start = LinearGaussianLVM(model.W + 0.5, model.b - 0.3, 1.2)
    q = start.e_step(x)
    new = start.m_step(x, q)
    best = new.elbo(x, q).sum().item()
    for dW, db, ds in ((0.01, 0.0, 0.0), (0.0, 0.01, 0.0), (0.0, 0.0, 0.01), (0.0, 0.0, -0.01)):
        other = LinearGaussianLVM(
            new.W + dW * torch.randn(5, 2, generator=gen, dtype=F64), new.b + db, new.sigma + ds
        )
        assert other.elbo(x, q).sum().item() < best


def ppca_max_log_likelihood(x, k):
    """Tipping & Bishop 1999: b = mean, sigma^2 = mean discarded eigenvalue, W from the top k."""
    n, d = x.shape
    mean = x.mean(0)
    S = np.cov(x.T, bias=True)
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    sigma2 = lam[k:].mean()
    W = U[:, :k] * np.sqrt(lam[:k] - sigma2)
    return stats.multivariate_normal(mean, W @ W.T + sigma2 * np.eye(d)).logpdf(x).sum()


def test_em_never_decreases_the_likelihood_and_reaches_the_ppca_optimum():
    truth, gen = make_model(d=5, k=2, sigma=0.4, seed=2)
    x = truth.sample(500, generator=gen).x
    bad = LinearGaussianLVM(
        0.01 * torch.randn(5, 2, generator=gen, dtype=F64), torch.zeros(5, dtype=F64), 5.0
    )
    result = bad.em(x, 100)
    ll = result.log_likelihoods
    assert ll.shape == (101,)
    assert bool((ll.diff() >= -1e-9 * ll.abs().max()).all())
    assert ll[-1] - ll[0] > 1000
    assert result.model is not bad and float(bad.sigma) == 5.0  # EM returns a new model
    optimum = ppca_max_log_likelihood(x.numpy(), 2)
    assert ll[-1].item() <= optimum + 1e-8
    assert ll[-1].item() == pytest.approx(optimum, abs=1e-5)


def test_lvm_rejects_bad_arguments():
    W, b = torch.ones(3, 2, dtype=F64), torch.zeros(3, dtype=F64)
    with pytest.raises(ValueError, match="W"):
        LinearGaussianLVM(torch.ones(3, dtype=F64), b, 1.0)
    with pytest.raises(ValueError, match="b"):
        LinearGaussianLVM(W, torch.zeros(2, dtype=F64), 1.0)
    for sigma in (0.0, -1.0, math.nan, math.inf, [1.0, 2.0]):
        with pytest.raises(ValueError, match="sigma"):
            LinearGaussianLVM(W, b, sigma)
    with pytest.raises(ValueError, match="W"):
        LinearGaussianLVM(W * math.nan, b, 1.0)
    model = LinearGaussianLVM(W, b, 1.0)
    with pytest.raises(ValueError, match="x"):
        model.log_marginal(torch.zeros(4, 2, dtype=F64))
    with pytest.raises(ValueError, match="x"):
        model.posterior(t64([[0.0, math.nan, 1.0]]))
    with pytest.raises(ValueError, match="q"):
        model.elbo(torch.zeros(1, 3, dtype=F64), Normal(torch.zeros(1, 3, dtype=F64), 1.0))
    with pytest.raises(ValueError, match="q"):
        model.elbo(torch.zeros(3, dtype=F64), "q")
    with pytest.raises(ValueError, match="q must be one Gaussian or a batch of 5"):
        model.m_step(torch.zeros(5, 3, dtype=F64), Normal(torch.zeros(4, 2, dtype=F64), 1.0))
    with pytest.raises(ValueError, match="x must be a batch"):
        model.em(torch.zeros(3, dtype=F64), 2)
    with pytest.raises(ValueError, match="n_steps"):
        model.em(torch.zeros(5, 3, dtype=F64), -1)
    with pytest.raises(ValueError, match=r"\bn\b"):
        model.sample(0)


def test_float32_model():
    model = LinearGaussianLVM(torch.ones(3, 1), torch.zeros(3), 0.5)
    x = model.sample(4).x
    assert x.dtype == torch.float32 and model.log_marginal(x).dtype == torch.float32
    q = model.posterior(x)
    torch.testing.assert_close(model.elbo(x, q), model.log_marginal(x), atol=1e-4, rtol=0)


# ---------------------------------------------------------------------------------------
# the mixture pi P + (1 - pi) Q
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [0.5, 0.2, 0.0, 1.0])
def test_mixture_of_has_the_mixed_density(weight):
    pa, qa = MIXTURES[2]
    p, q = gaussian_mixture(*pa, dtype=F64), gaussian_mixture(*qa, dtype=F64)
    m = mixture_of(p, q, weight)
    x = np.linspace(-8.0, 9.0, 171)
    expected = weight * np_pdf(*pa)(x) + (1 - weight) * np_pdf(*qa)(x)
    np.testing.assert_allclose(m.log_prob(t64(x)).exp().numpy(), expected, rtol=1e-12, atol=1e-300)
    a_normal = Normal(t64(0.5), t64(1.2))
    np.testing.assert_allclose(
        mixture_of(a_normal, p, weight).log_prob(t64(x)).exp().numpy(),
        weight * np_pdf([0.5], [1.2])(x) + (1 - weight) * np_pdf(*pa)(x),
        rtol=1e-12,
        atol=1e-300,
    )


@pytest.mark.parametrize("pa, qa", MIXTURES[:3])
def test_jsd_is_the_mean_kl_to_the_midpoint_mixture(pa, qa):
    from genlab.divergences import kl_divergence_quadrature as kl_divergence

    p, q = gaussian_mixture(*pa, dtype=F64), gaussian_mixture(*qa, dtype=F64)
    m = mixture_of(p, q)
    value = 0.5 * (kl_divergence(p, m) + kl_divergence(q, m)).item()
    assert value == pytest.approx(quad_jsd(pa, qa), abs=1e-9)


def test_mixture_of_rejects_bad_arguments():
    p = Normal(t64(0.0), t64(1.0))
    for weight in (-0.1, 1.5, math.nan, "0.5", True):
        with pytest.raises(ValueError, match="weight"):
            mixture_of(p, p, weight)
    with pytest.raises(ValueError, match=r"\bq\b"):
        mixture_of(p, torch.distributions.Laplace(t64(0.0), t64(1.0)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda():
    p = gaussian_mixture([-1.0, 2.0], [0.5, 1.0], [0.3, 0.7], device="cuda")
    q = gaussian_mixture([0.5], [1.2], device="cuda")
    value = gan_value_quadrature(optimal_discriminator(p, q), p, q)
    assert value.device.type == "cuda"
    pc, qc = gaussian_mixture([-1.0, 2.0], [0.5, 1.0], [0.3, 0.7]), gaussian_mixture([0.5], [1.2])
    assert value.item() == pytest.approx(
        gan_value_quadrature(optimal_discriminator(pc, qc), pc, qc).item(), abs=1e-6
    )
    model = LinearGaussianLVM(
        torch.randn(4, 2, device="cuda", dtype=F64), torch.zeros(4, device="cuda", dtype=F64), 0.5
    )
    x = model.sample(10).x
    torch.testing.assert_close(model.elbo(x, model.posterior(x)), model.log_marginal(x))
    assert model.em(x, 3).log_likelihoods.device.type == "cuda"


def test_the_old_names_of_the_quadrature_versions_still_import():
    from genlab import divergences, losses, theory

    assert theory.gan_value is theory.gan_value_quadrature
    assert theory.gan_value is not losses.gan_value  # the by-samples value, from logits
    assert divergences.kl_divergence is divergences.kl_divergence_quadrature
    assert divergences.js_divergence is divergences.js_divergence_quadrature
