"""genlab.divergences: every row of the slide's f-divergence table, checked independently.

References are computed apart from the code under test: scipy.optimize for the conjugates,
scipy.integrate with hand-written numpy densities for the integrals, torch.distributions and
closed forms for Gaussians, naive float64 formulas for the losses.
"""

import math
import warnings

import numpy as np
import pytest
import torch
from scipy import integrate, optimize, special
from scipy.spatial import distance
from torch.distributions import Categorical, MixtureSameFamily, Normal

from genlab.divergences import (
    F_DIVERGENCES,
    FDivergence,
    discrete_f_divergence,
    f_divergence,
    fgan_discriminator_loss,
    fgan_generator_loss,
    get_divergence,
    jensen_shannon_weighted,
    js_divergence_quadrature,
    kl_divergence_quadrature,
    variational_bound,
)
from genlab.divergences.table import _log_wright_omega

F64 = torch.float64
ENTRIES = {**F_DIVERGENCES, "jensen_shannon_weighted_0.3": jensen_shannon_weighted(0.3)}
EXP_GROWTH = {"kl", "squared_hellinger", "jeffrey"}  # f*(g(v)) ~ e^{|v|}: float32 range ends ~88


def t64(x):
    return torch.as_tensor(x, dtype=F64)


def mixture(means, stds, weights=None, dtype=F64):
    weights = weights or [1.0 / len(means)] * len(means)
    return MixtureSameFamily(
        Categorical(probs=torch.tensor(weights, dtype=dtype)),
        Normal(torch.tensor(means, dtype=dtype), torch.tensor(stds, dtype=dtype)),
    )


def np_pdf(means, stds, weights=None):
    """Hand-written mixture density, independent of torch.distributions."""
    m, s = np.asarray(means), np.asarray(stds)
    w = np.asarray(weights or [1.0 / len(means)] * len(means))

    def pdf(x):
        x = np.asarray(x, dtype=float)[..., None]
        return np.sum(w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)), -1)

    return pdf


# pairs on which every row is finite (sigma_q^2 > sigma_p^2 / 2 and vice versa in the tails)
PAIRS = {
    "mix_vs_normal": (([-1.0, 1.5], [0.6, 0.9], [0.4, 0.6]), ([0.2], [1.1], [1.0])),
    "normal_vs_mix": (([0.0], [1.0], [1.0]), ([0.5, -2.0], [0.8, 0.3], [0.7, 0.3])),
}


def crossings(pp, qq, lo=-15.0, hi=15.0):
    """Points where p = q (where |p - q| has a kink), by scipy's brentq."""
    xs = np.linspace(lo, hi, 6001)
    d = pp(xs) - qq(xs)
    idx = np.nonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)[0]
    return [optimize.brentq(lambda x: pp(x) - qq(x), xs[i], xs[i + 1], xtol=1e-14) for i in idx]


def quad_pieces(fn, points, lo=-15.0, hi=15.0):
    edges = [lo, *points, hi]
    return sum(
        integrate.quad(fn, a, b, epsabs=1e-12, epsrel=1e-11, limit=200)[0]
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    )


def fprime(entry, u):
    """f'(u) by autograd of the entry's own f."""
    u = t64(u).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(entry.f(u).sum(), u)
    return grad.detach()


# ---------------------------------------------------------------------------------------
# the table itself
# ---------------------------------------------------------------------------------------


def test_registry_covers_every_row_of_the_slide_table():
    assert list(F_DIVERGENCES) == [
        "total_variation",
        "kl",
        "reverse_kl",
        "pearson",
        "neyman",
        "squared_hellinger",
        "jeffrey",
        "jensen_shannon",
        "jensen_shannon_weighted",
        "gan",
    ]
    for name, entry in F_DIVERGENCES.items():
        assert isinstance(entry, FDivergence) and entry.name == name
        latex = (
            entry.latex_divergence,
            entry.latex_f,
            entry.latex_conjugate,
            entry.latex_activation,
        )
        assert all(isinstance(text, str) and text for text in latex) and entry.display_name
    assert F_DIVERGENCES["jensen_shannon_weighted"].params == (("pi", 0.5),)


@pytest.mark.parametrize("name", ENTRIES)
def test_f_is_zero_at_one_except_gan(name):
    value = ENTRIES[name].f(t64(1.0)).item()
    expected = -math.log(4) if name == "gan" else 0.0
    assert value == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("name", ENTRIES)
def test_f_is_convex(name):
    f = ENTRIES[name].f
    for u in (torch.linspace(0.01, 3.0, 301, dtype=F64), torch.linspace(1.0, 60.0, 301, dtype=F64)):
        values = f(u)
        second = values[:-2] - 2 * values[1:-1] + values[2:]
        assert bool((second >= -1e-12 * values.abs().max()).all())


CONJUGATE_POINTS = {
    "total_variation": [-3.0, -0.5, -0.2, 0.0, 0.3, 0.5],
    "kl": [-3.0, 0.0, 1.0, 2.5],
    "reverse_kl": [-5.0, -1.0, -0.1],
    "pearson": [-5.0, -2.0, -1.0, 0.0, 3.0],
    "neyman": [-5.0, -1.0, 0.0, 0.5, 0.99],
    "squared_hellinger": [-5.0, -1.0, 0.0, 0.5, 0.9],
    "jeffrey": [-5.0, -1.0, 0.0, 1.0, 3.0],
    "jensen_shannon": [-5.0, -1.0, 0.0, 0.3],
    "jensen_shannon_weighted": [-5.0, -1.0, 0.0, 0.3],
    "jensen_shannon_weighted_0.3": [-3.0, 0.0, 0.3],
    "gan": [-5.0, -1.0, -0.1],
}


def sup_over_u(f, t, log_u_max=12.0):
    """sup_{u>0} (t u - f(u)) by a grid over log u in [-40, 12] refined with scipy's bounded Brent.

    (Beyond u = e^12, t u - f(u) loses more than 1e-10 to cancellation.)
    """
    s = np.linspace(-40.0, log_u_max, 5201)
    values = t * np.exp(s) - f(t64(np.exp(s))).numpy()
    i = int(np.nanargmax(values))

    def negative(z):
        return -(t * math.exp(z) - f(t64(math.exp(z))).item())

    lo, hi = s[max(i - 1, 0)], s[min(i + 1, len(s) - 1)]
    res = optimize.minimize_scalar(
        negative, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
    )
    return max(-res.fun, values[i])


@pytest.mark.parametrize("name", ENTRIES)
def test_conjugate_is_the_sup_over_positive_u(name):
    entry = ENTRIES[name]
    for t in CONJUGATE_POINTS[name]:
        expected = sup_over_u(entry.f, t)
        assert entry.conjugate(t64(t)).item() == pytest.approx(expected, rel=1e-9, abs=1e-9), t


def test_jeffrey_conjugate_against_scipy_lambertw():
    t = np.linspace(-20.0, 20.0, 81)
    w = special.lambertw(np.exp(1 - t)).real
    expected = w + 1 / w + t - 2
    got = F_DIVERGENCES["jeffrey"].conjugate(t64(t)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_wright_omega_values_and_gradient():
    y = torch.linspace(-300.0, 300.0, 6001, dtype=F64)
    np.testing.assert_allclose(
        _log_wright_omega(y).exp().numpy(), special.wrightomega(y.numpy()), rtol=1e-13
    )
    y32 = torch.linspace(-80.0, 80.0, 1601)
    np.testing.assert_allclose(
        _log_wright_omega(y32).exp().numpy(), special.wrightomega(y32.double().numpy()), rtol=1e-5
    )
    y = torch.linspace(-5.0, 5.0, 11, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(_log_wright_omega, (y,))


@pytest.mark.parametrize("name", ENTRIES)
def test_conjugate_domain_is_enforced(name):
    entry = ENTRIES[name]
    low, high = entry.domain.low, entry.domain.high
    if math.isfinite(high):
        outside = t64([high + 1e-3])
        with pytest.raises(ValueError, match=r"\bt\b"):
            entry.conjugate(outside)
        at_end = entry.conjugate(t64([high])).item()
        if name == "total_variation":  # closed end, attained at u = 1
            assert at_end == 0.5 == pytest.approx(sup_over_u(entry.f, 0.5))
        elif name == "neyman":  # closed end: f*(1) = 2 = lim_{u -> inf} (u - f(u)), not attained
            assert at_end == 2.0 and entry.domain.high_closed
            for log_u in (4.0, 8.0, 12.0):  # sup over u <= U of u - f(u) = 2 - 1/U -> 2
                assert sup_over_u(entry.f, 1.0, log_u) == pytest.approx(2 - math.exp(-log_u))
        else:
            assert at_end == math.inf
    assert math.isinf(low)  # every row's f* is defined out to -inf
    with pytest.raises(ValueError, match=r"\bt\b"):
        entry.conjugate(t64([0.0 if math.isfinite(high) else 1.0, math.inf]))
    assert torch.isnan(entry.conjugate(t64([math.nan]))).all()
    with pytest.raises(ValueError, match=r"\bt\b"):
        entry.conjugate([0.0])


@pytest.mark.parametrize("name", ENTRIES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_activation_maps_the_real_line_into_the_domain(name, dtype):
    entry = ENTRIES[name]
    v = torch.linspace(-100.0, 100.0, 2001, dtype=dtype)
    t = entry.activation(v)
    closure = type(entry.domain)(entry.domain.low, entry.domain.high, True, True)
    assert bool(closure.contains(t).all())
    moderate = torch.linspace(-20.0, 20.0, 401, dtype=F64)
    assert bool(entry.domain.contains(entry.activation(moderate)).all())


@pytest.mark.parametrize("name", ENTRIES)
def test_conjugate_activation_is_conjugate_of_activation(name):
    entry = ENTRIES[name]
    v = torch.linspace(-15.0, 15.0, 301, dtype=F64)
    composed = entry.conjugate(entry.activation(v))
    fused = entry.conjugate_activation(v)
    finite = torch.isfinite(composed)
    assert bool(finite.all())
    torch.testing.assert_close(fused[finite], composed[finite], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ENTRIES)
def test_conjugate_activation_is_finite_with_finite_gradients(name):
    entry = ENTRIES[name]
    for dtype, bound in ((F64, 100.0), (torch.float32, 80.0 if name in EXP_GROWTH else 100.0)):
        v = torch.linspace(-bound, bound, 2001, dtype=dtype, requires_grad=True)
        value = entry.conjugate_activation(v)
        (grad,) = torch.autograd.grad(value.sum(), v)
        assert bool(torch.isfinite(value).all()) and bool(torch.isfinite(grad).all())
        if dtype == torch.float32:  # float32 agrees with float64
            ref = entry.conjugate_activation(v.detach().double())
            torch.testing.assert_close(value.double(), ref, rtol=2e-5, atol=1e-5)
    assert torch.isnan(entry.conjugate_activation(t64([math.nan]))).all()


# ---------------------------------------------------------------------------------------
# integrals
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTRIES)
def test_integrand_is_q_times_f_of_the_ratio_pointwise(name):
    entry = ENTRIES[name]
    (pa, qa) = PAIRS["mix_vs_normal"]
    x = np.linspace(-6.0, 6.0, 241)
    p, q = t64(np_pdf(*pa)(x)), t64(np_pdf(*qa)(x))
    torch.testing.assert_close(entry.integrand(p, q), q * entry.f(p / q), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name", ENTRIES)
def test_integrand_where_a_density_vanishes(name):
    entry = ENTRIES[name]
    value = entry.integrand(t64([0.0, 0.0, 0.4, math.nan]), t64([0.0, 0.4, 0.0, 0.4]))
    assert value[0].item() == 0.0 and math.isnan(value[3].item())
    f_near_zero = entry.f(t64(1e-15)).item()  # q f(0/q) = q f(0+)
    slope = entry.f(t64(1e15)).item() / 1e15  # 0 f(p/0) = p lim f(u)/u
    for got, limit, finite in (
        (value[1], 0.4 * f_near_zero, entry.f_at_zero),
        (value[2], 0.4 * slope, entry.f_slope_at_infinity),
    ):
        if math.isinf(finite):
            assert got.item() == math.inf and limit > 10
        else:
            assert got.item() == pytest.approx(limit, abs=1e-6)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("name", ENTRIES)
def test_integrals_agree_quad_of_q_f_quad_of_integrand_and_f_divergence(name, pair):
    entry = ENTRIES[name]
    (pa, qa) = PAIRS[pair]
    pp, qq = np_pdf(*pa), np_pdf(*qa)
    kinks = crossings(pp, qq)

    def q_f(x):
        p, q = float(pp(x)), float(qq(x))
        return q * entry.f(t64(p / q)).item()

    def table(x):
        return entry.integrand(t64(float(pp(x))), t64(float(qq(x)))).item()

    via_f = quad_pieces(q_f, kinks)
    if pair == "mix_vs_normal":  # the table's two columns agree (one pair is enough)
        assert quad_pieces(table, kinks) == pytest.approx(via_f, rel=1e-8, abs=1e-10)
    ours = f_divergence(entry, mixture(*pa), mixture(*qa)).item()
    assert ours == pytest.approx(via_f, rel=1e-8, abs=1e-9)


def test_f_divergence_on_a_three_component_mixture_matches_quad():
    pa, qa = ([-3.0, 0.0, 3.0], [0.4, 0.5, 0.45], [0.3, 0.4, 0.3]), ([-2.5, 2.0], [1.0, 1.2])
    pp, qq = np_pdf(*pa), np_pdf(*qa)
    kinks = crossings(pp, qq)
    p, q = mixture(*pa), mixture(*qa)
    for name in ("total_variation", "kl", "jensen_shannon"):
        entry = F_DIVERGENCES[name]
        ref = quad_pieces(
            lambda x, e=entry: e.integrand(t64(float(pp(x))), t64(float(qq(x)))).item(), kinks
        )
        assert f_divergence(name, p, q).item() == pytest.approx(ref, rel=1e-8, abs=1e-9), name


def normal(mu, sigma, dtype=F64):
    return Normal(torch.tensor(mu, dtype=dtype), torch.tensor(sigma, dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_kl_matches_torch_for_two_normals(dtype):
    for (m1, s1), (m2, s2) in [
        ((0.0, 1.0), (1.0, 2.0)),
        ((-2.0, 0.3), (1.0, 1.5)),
        ((0.0, 3.0), (0.5, 0.4)),
    ]:
        p, q = normal(m1, s1, dtype), normal(m2, s2, dtype)
        ours = kl_divergence_quadrature(p, q)
        assert ours.dtype == dtype
        expected = torch.distributions.kl_divergence(normal(m1, s1), normal(m2, s2)).item()
        assert ours.item() == pytest.approx(expected, rel=1e-10 if dtype == F64 else 1e-6)


def test_closed_forms_for_gaussians():
    (m1, s1), (m2, s2) = (0.3, 1.0), (-0.4, 0.8)
    p, q = normal(m1, s1), normal(m2, s2)
    # Pearson chi^2 = int p^2/q - 1 (finite as 2 s2^2 > s1^2): the name goes with (p-q)^2/q
    pearson = (
        s2**2 / (s1 * math.sqrt(2 * s2**2 - s1**2)) * math.exp((m1 - m2) ** 2 / (2 * s2**2 - s1**2))
        - 1
    )
    assert f_divergence("pearson", p, q).item() == pytest.approx(pearson, rel=1e-10)
    bc = math.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * math.exp(
        -((m1 - m2) ** 2) / (4 * (s1**2 + s2**2))
    )
    assert f_divergence("squared_hellinger", p, q).item() == pytest.approx(2 * (1 - bc), rel=1e-10)
    jeffrey = (
        torch.distributions.kl_divergence(p, q) + torch.distributions.kl_divergence(q, p)
    ).item()
    assert f_divergence("jeffrey", p, q).item() == pytest.approx(jeffrey, rel=1e-10)
    # equal widths: TV = 2 Phi(|dm| / (2 s)) - 1
    tv = 2 * special.ndtr(0.7 / (2 * 1.3)) - 1
    assert f_divergence(
        "total_variation", normal(0.0, 1.3), normal(0.7, 1.3)
    ).item() == pytest.approx(tv, rel=1e-10)


def test_js_divergence_properties():
    p, q = mixture([-1.0, 2.0], [0.5, 1.0], [0.3, 0.7]), normal(0.5, 1.2)
    assert js_divergence_quadrature(p, p).item() == pytest.approx(0.0, abs=1e-13)
    assert js_divergence_quadrature(p, q).item() == pytest.approx(
        js_divergence_quadrature(q, p).item(), rel=1e-12
    )
    far = js_divergence_quadrature(normal(-40.0, 1.0), normal(40.0, 1.0)).item()
    assert far <= math.log(2) and far == pytest.approx(math.log(2), rel=1e-12)
    # JS row = weighted row at pi = 1/2, and the GAN row = 2 JSD - log 4
    jsd = js_divergence_quadrature(p, q).item()
    assert f_divergence("jensen_shannon_weighted", p, q).item() == pytest.approx(jsd, rel=1e-12)
    assert f_divergence("gan", p, q).item() == pytest.approx(2 * jsd - math.log(4), rel=1e-12)
    assert f_divergence("jensen_shannon_weighted", p, q, pi=0.3).item() != pytest.approx(jsd)


def test_infinite_divergences_come_back_infinite():
    p, narrow = normal(0.0, 1.0), normal(0.0, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert f_divergence("pearson", p, narrow).item() == math.inf  # int p^2/q diverges
        assert f_divergence("neyman", narrow, p).item() == math.inf  # int q^2/p diverges
    # barely finite: the grid is widened until the tail has decayed
    s2 = 0.75
    chi2 = s2**2 / math.sqrt(2 * s2**2 - 1) - 1
    assert f_divergence("pearson", p, normal(0.0, s2)).item() == pytest.approx(chi2, rel=1e-9)


def test_f_divergence_is_differentiable_in_the_parameters():
    loc = torch.tensor(0.3, dtype=F64, requires_grad=True)
    scale = torch.tensor(1.2, dtype=F64, requires_grad=True)
    value = kl_divergence_quadrature(normal(0.0, 1.0), Normal(loc, scale))
    value.backward()
    loc2, scale2 = loc.detach().clone().requires_grad_(), scale.detach().clone().requires_grad_()
    torch.distributions.kl_divergence(normal(0.0, 1.0), Normal(loc2, scale2)).backward()
    torch.testing.assert_close(
        torch.stack([loc.grad, scale.grad]), torch.stack([loc2.grad, scale2.grad])
    )


# ---------------------------------------------------------------------------------------
# the variational bound behind f-GAN
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTRIES)
def test_variational_lower_bound_is_tight_at_f_prime_of_the_ratio(name):
    entry = ENTRIES[name]
    pa, qa = PAIRS["mix_vs_normal"]
    x = np.linspace(-15.0, 15.0, 60_001)
    p, q = np_pdf(*pa)(x), np_pdf(*qa)(x)
    t_star = fprime(entry, p / q)
    t_mid = fprime(entry, np.ones(1))  # f'(1), inside the domain

    def bound(T):
        values = p * T.numpy() - q * entry.conjugate(T).numpy()
        return integrate.simpson(values, x=x)

    divergence = f_divergence(entry, mixture(*pa), mixture(*qa)).item()
    assert bound(t_star) == pytest.approx(divergence, rel=1e-7, abs=1e-8)
    for lam in (0.2, 0.6):  # any other T in the domain gives less
        assert bound((1 - lam) * t_star + lam * t_mid) < divergence - 1e-6


@pytest.mark.parametrize("name", ["kl", "reverse_kl", "pearson", "squared_hellinger", "gan"])
def test_discrete_variational_bound_is_a_bound_tight_at_f_prime(name):
    entry = ENTRIES[name]
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.35, 0.15, 0.25, 0.25])
    divergence = float(np.sum(q * entry.f(t64(p / q)).numpy()))  # sum_k q_k f(p_k / q_k)
    t_star = fprime(entry, p / q)
    assert variational_bound(entry, t64(p), t64(q), t_star).item() == pytest.approx(
        divergence, rel=1e-9, abs=1e-12
    )
    t_mid = fprime(entry, np.ones(1)).expand(4)
    for lam in (0.3, 0.7):
        t = (1 - lam) * t_star + lam * t_mid
        naive = sum(p[k] * t[k].item() - q[k] * entry.conjugate(t[k]).item() for k in range(4))
        value = variational_bound(name, t64(p), t64(q), t).item()
        assert value == pytest.approx(naive, rel=1e-12) and value < divergence - 1e-6
    with pytest.raises(ValueError, match="dom f"):
        variational_bound("reverse_kl", t64(p), t64(q), t64([0.5, -1.0, -1.0, -1.0]))


# ---------------------------------------------------------------------------------------
# distributions on K points
# ---------------------------------------------------------------------------------------


def test_discrete_f_divergence_against_scipy_and_naive_sums():
    gen = np.random.default_rng(0)
    p, q = gen.dirichlet(np.ones(7), size=3), gen.dirichlet(np.ones(7), size=3)  # (3, 7)
    kl = discrete_f_divergence("kl", t64(p), t64(q)).numpy()
    np.testing.assert_allclose(kl, special.rel_entr(p, q).sum(-1), rtol=1e-12)
    reverse = discrete_f_divergence("reverse_kl", t64(p), t64(q)).numpy()
    np.testing.assert_allclose(reverse, special.rel_entr(q, p).sum(-1), rtol=1e-12)
    js = discrete_f_divergence("jensen_shannon", t64(p), t64(q)).numpy()
    np.testing.assert_allclose(js, distance.jensenshannon(p, q, axis=-1) ** 2, rtol=1e-10)
    tv = discrete_f_divergence("total_variation", t64(p), t64(q)).numpy()
    np.testing.assert_allclose(tv, 0.5 * np.abs(p - q).sum(-1), rtol=1e-12)
    pearson = discrete_f_divergence("pearson", t64(p), t64(q)).numpy()
    np.testing.assert_allclose(pearson, ((p - q) ** 2 / q).sum(-1), rtol=1e-12)
    hellinger = discrete_f_divergence("squared_hellinger", t64(p), t64(q)).numpy()
    np.testing.assert_allclose(hellinger, ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(-1), rtol=1e-12)
    pi = 0.3
    weighted = discrete_f_divergence("jensen_shannon_weighted", t64(p), t64(q), pi=pi).numpy()
    m = pi * p + (1 - pi) * q
    expected = (pi * special.rel_entr(p, m) + (1 - pi) * special.rel_entr(q, m)).sum(-1)
    np.testing.assert_allclose(weighted, expected, rtol=1e-12)


@pytest.mark.parametrize("name", ENTRIES)
def test_discrete_f_divergence_is_the_tight_variational_bound(name):
    entry = ENTRIES[name]
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.35, 0.15, 0.25, 0.25])
    value = discrete_f_divergence(entry, t64(p), t64(q)).item()
    assert value == pytest.approx(float(np.sum(q * entry.f(t64(p / q)).numpy())), rel=1e-12)
    bound = variational_bound(entry, t64(p), t64(q), fprime(entry, p / q)).item()
    assert bound == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_discrete_f_divergence_where_probabilities_vanish():
    # two samples with no point in common: the empirical JSD is log 2, whatever the sample size
    for n in (1, 10, 1000):
        p = torch.cat([torch.full((n,), 1.0 / n, dtype=F64), torch.zeros(n, dtype=F64)])
        q = p.flip(0)
        assert discrete_f_divergence("jensen_shannon", p, q).item() == pytest.approx(
            math.log(2), rel=1e-12
        )
        assert discrete_f_divergence("total_variation", p, q).item() == pytest.approx(1.0)
        assert discrete_f_divergence("kl", p, q).item() == math.inf
    p, q = t64([0.5, 0.5, 0.0]), t64([0.5, 0.0, 0.5])
    assert discrete_f_divergence("reverse_kl", p, q).item() == math.inf  # q > 0 = p somewhere
    assert discrete_f_divergence("kl", p, p).item() == 0.0
    with pytest.raises(ValueError, match=r"\bq\b"):
        discrete_f_divergence("kl", p, t64([1.5, -0.5, 0.0]))


# ---------------------------------------------------------------------------------------
# f-GAN losses
# ---------------------------------------------------------------------------------------


def test_gan_losses_are_the_standard_bce_losses():
    gen = torch.Generator().manual_seed(0)
    real_v = 2 * torch.randn(257, generator=gen, dtype=F64)  # naive float64 is accurate here
    fake_v = 2 * torch.randn(129, generator=gen, dtype=F64)
    sigmoid = lambda v: 1 / (1 + np.exp(-v.numpy()))  # noqa: E731
    naive_d = -np.mean(np.log(sigmoid(real_v))) - np.mean(np.log(1 - sigmoid(fake_v)))
    assert fgan_discriminator_loss("gan", real_v, fake_v).item() == pytest.approx(
        naive_d, rel=1e-12
    )
    naive_g = np.mean(np.log(1 - sigmoid(fake_v)))  # the minimax generator cost E log(1 - D(G(z)))
    assert fgan_generator_loss("gan", fake_v).item() == pytest.approx(naive_g, rel=1e-12)
    # the (halved) JS row is the same game: loss = (BCE - log 4) / 2
    js = fgan_discriminator_loss("jensen_shannon", real_v, fake_v).item()
    assert js == pytest.approx(0.5 * (naive_d - math.log(4)), rel=1e-12)


@pytest.mark.parametrize("name", ENTRIES)
def test_fgan_losses_follow_the_definition_and_are_stable(name):
    entry = ENTRIES[name]
    gen = torch.Generator().manual_seed(1)
    real_v, fake_v = (
        3 * torch.randn(64, generator=gen, dtype=F64),
        3 * torch.randn(64, generator=gen, dtype=F64),
    )
    expected = -(entry.activation(real_v).mean() - entry.conjugate(entry.activation(fake_v)).mean())
    torch.testing.assert_close(fgan_discriminator_loss(entry, real_v, fake_v), expected)
    expected_g = -entry.conjugate(entry.activation(fake_v)).mean()
    torch.testing.assert_close(fgan_generator_loss(entry, fake_v), expected_g)
    extreme = torch.linspace(-100.0, 100.0, 201, dtype=F64, requires_grad=True)
    loss = fgan_discriminator_loss(entry, extreme, extreme) + fgan_generator_loss(entry, extreme)
    (grad,) = torch.autograd.grad(loss, extreme)
    assert math.isfinite(loss.item()) and bool(torch.isfinite(grad).all())


def test_weighted_js_losses_take_pi():
    v = torch.linspace(-3.0, 3.0, 7, dtype=F64)
    a = fgan_discriminator_loss("jensen_shannon_weighted", v, v, pi=0.3)
    b = fgan_discriminator_loss(jensen_shannon_weighted(0.3), v, v)
    torch.testing.assert_close(a, b)


# ---------------------------------------------------------------------------------------
# what the slide prints, and why the code differs
# ---------------------------------------------------------------------------------------


def test_slide_table_errors_are_real():
    pa, qa = PAIRS["mix_vs_normal"]
    pp, qq = np_pdf(*pa), np_pdf(*qa)
    kinks = crossings(pp, qq)
    p, q = mixture(*pa), mixture(*qa)

    def quad_q_f(f):
        return quad_pieces(lambda x: float(qq(x)) * f(float(pp(x)) / float(qq(x))), kinks)

    # Pearson/Neyman: f = (u-1)^2 integrates to int (p-q)^2/q, not the printed int (q-p)^2/p
    printed_pearson = quad_pieces(
        lambda x: (float(qq(x)) - float(pp(x))) ** 2 / float(pp(x)), kinks
    )
    assert quad_q_f(lambda u: (u - 1) ** 2) == pytest.approx(f_divergence("pearson", p, q).item())
    assert printed_pearson == pytest.approx(f_divergence("neyman", p, q).item())
    assert printed_pearson != pytest.approx(f_divergence("pearson", p, q).item(), rel=1e-2)
    # JS: the printed f integrates to 2 JSD, twice the printed integrand
    slide_js_f = lambda u: -(u + 1) * math.log((1 + u) / 2) + u * math.log(u)  # noqa: E731
    assert quad_q_f(slide_js_f) == pytest.approx(
        2 * js_divergence_quadrature(p, q).item(), rel=1e-9
    )
    # Pearson's printed f*(t) = t^2/4 + t exceeds the sup over u > 0 for t < -2
    assert sup_over_u(F_DIVERGENCES["pearson"].f, -3.0) == pytest.approx(-1.0)  # printed: -0.75
    assert F_DIVERGENCES["pearson"].conjugate(t64(-3.0)).item() == -1.0
    # Jeffrey's printed cell carries the JS entry's "- log(2 - e^t)": wrong at t = -1
    jeffrey = F_DIVERGENCES["jeffrey"]
    printed = jeffrey.conjugate(t64(-1.0)).item() - math.log(2 - math.exp(-1.0))
    assert printed != pytest.approx(sup_over_u(jeffrey.f, -1.0), abs=1e-3)
    for entry in F_DIVERGENCES.values():
        if entry.name in {"reverse_kl", "pearson", "neyman", "jeffrey", "jensen_shannon", "gan"}:
            assert entry.slide_note


# ---------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------


def test_bad_arguments_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match=r"name must be one of .*'kl'.*got 'kll'"):
        get_divergence("kll")
    with pytest.raises(ValueError, match="pi"):
        get_divergence("kl", pi=0.3)
    with pytest.raises(ValueError, match="sigma"):
        get_divergence("jensen_shannon_weighted", sigma=0.3)
    for pi in (0.0, 1.0, 1.5, -0.1, math.nan, "a"):
        with pytest.raises(ValueError, match="pi"):
            jensen_shannon_weighted(pi)
    assert get_divergence("jensen_shannon_weighted", pi=0.3).params == (("pi", 0.3),)
    with pytest.raises(ValueError, match=r"\bu\b"):
        F_DIVERGENCES["kl"].f(t64([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"\bp\b"):
        F_DIVERGENCES["kl"].integrand(t64([-0.1]), t64([1.0]))
    batched = Normal(torch.zeros(2, dtype=F64), torch.ones(2, dtype=F64))
    with pytest.raises(ValueError, match=r"\bp\b"):
        f_divergence("kl", batched, normal(0.0, 1.0))
    with pytest.raises(ValueError, match=r"\bq\b"):
        f_divergence("kl", normal(0.0, 1.0), "N(0, 1)")
    with pytest.raises(ValueError, match="name"):
        f_divergence("chi2", normal(0.0, 1.0), normal(0.0, 1.0))
    with pytest.raises(ValueError, match="real_v"):
        fgan_discriminator_loss("gan", [1.0], t64([1.0]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda():
    dev = "cuda"
    p = MixtureSameFamily(
        Categorical(probs=torch.tensor([0.4, 0.6], device=dev)),
        Normal(torch.tensor([-1.0, 1.5], device=dev), torch.tensor([0.6, 0.9], device=dev)),
    )
    q = Normal(torch.tensor(0.2, device=dev), torch.tensor(1.1, device=dev))
    for name in F_DIVERGENCES:
        on_gpu = f_divergence(name, p, q)
        assert on_gpu.device.type == "cuda" and on_gpu.dtype == torch.float32
        on_cpu = f_divergence(
            name,
            mixture([-1.0, 1.5], [0.6, 0.9], [0.4, 0.6], torch.float32),
            Normal(torch.tensor(0.2), torch.tensor(1.1)),
        )
        assert on_gpu.item() == pytest.approx(on_cpu.item(), rel=1e-6)
        v = torch.linspace(-100, 100, 101, device=dev, dtype=F64)
        assert bool(torch.isfinite(F_DIVERGENCES[name].conjugate_activation(v)).all())
        fgan_discriminator_loss(name, v, v).item()
