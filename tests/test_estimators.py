"""genlab.losses gradient estimators against exact gradients of Gaussian expectations.

For z ~ N(mu, sigma^2), sigma^2 = exp(logvar):
  f(z) = z^2:   E = mu^2 + sigma^2,             dE/dmu = 2 mu,   dE/dlogvar = sigma^2
  f(z) = sin z: E = sin(mu) exp(-sigma^2 / 2),  dE/dmu = cos(mu) exp(-sigma^2 / 2),
                dE/dlogvar = -sin(mu) exp(-sigma^2 / 2) sigma^2 / 2
Tolerances are five standard errors, the standard errors measured by estimator_variance.
"""

import functools
import math

import pytest
import torch
from scipy import stats

from genlab.losses import (
    EstimatorStats,
    GaussianGrad,
    estimator_variance,
    reparam_grad,
    score_function_grad,
)

F64 = torch.float64
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
ESTIMATORS = {"score": score_function_grad, "reparam": reparam_grad}

# a grid of (mu, sigma); the variance ordering of sin needs sigma < 1 (see below)
MU = torch.tensor([-1.0, 0.0, 0.5, 1.5], dtype=F64).repeat_interleave(2)
SIGMA = torch.tensor([0.3, 0.6], dtype=F64).repeat(4)
LOGVAR = 2 * SIGMA.log()


def square(z):
    return z**2


def exact_square(mu, logvar):
    return GaussianGrad(2 * mu, logvar.exp())


def exact_sin(mu, logvar):
    var = logvar.exp()
    damp = torch.exp(-var / 2)
    return GaussianGrad(torch.cos(mu) * damp, -torch.sin(mu) * damp * var / 2)


CASES = {"square": (square, exact_square), "sin": (torch.sin, exact_sin)}


def gen(seed):
    return torch.Generator().manual_seed(seed)


def assert_within_se(mean, exact, variance, repeats, k=5.0):
    se = (variance / repeats).sqrt()
    assert ((mean - exact).abs() <= k * se + 1e-12).all(), (mean, exact, se)


@pytest.mark.parametrize("n_samples", [1, 10])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_are_unbiased(name, case, n_samples):
    f, exact = CASES[case]
    repeats = 20_000 // n_samples
    out = estimator_variance(ESTIMATORS[name], f, MU, LOGVAR, n_samples, repeats, gen(1))
    assert isinstance(out, EstimatorStats) and out.mean.mu.shape == MU.shape
    g = exact(MU, LOGVAR)
    assert_within_se(out.mean.mu, g.mu, out.variance.mu, repeats)
    assert_within_se(out.mean.logvar, g.logvar, out.variance.logvar, repeats)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_one_call_with_many_samples_is_close(name, case):
    # the standard error of an n-sample mean is sqrt(var_1 / n), var_1 of one-sample estimates
    f, exact = CASES[case]
    n = 20_000
    g = ESTIMATORS[name](f, MU, LOGVAR, n, generator=gen(2))
    var_1 = estimator_variance(ESTIMATORS[name], f, MU, LOGVAR, 1, 20_000, gen(3)).variance
    assert_within_se(g.mu, exact(MU, LOGVAR).mu, var_1.mu, n)
    assert_within_se(g.logvar, exact(MU, LOGVAR).logvar, var_1.logvar, n)


def test_reparam_variance_matches_the_analytic_value():
    # f = z^2 with n samples: d/dmu = mean 2z -> var 4 sigma^2 / n;
    # d/dlogvar = mean z sigma eps -> var sigma^2 (mu^2 + 2 sigma^2) / n
    n, repeats = 4, 10_000
    out = estimator_variance(reparam_grad, square, MU, LOGVAR, n, repeats, gen(4)).variance
    var = LOGVAR.exp()
    torch.testing.assert_close(out.mu, 4 * var / n, rtol=0.12, atol=0)
    torch.testing.assert_close(out.logvar, var * (MU**2 + 2 * var) / n, rtol=0.12, atol=0)


@pytest.mark.parametrize("case", CASES)
def test_score_function_variance_exceeds_reparam_variance(case):
    # slide "Optimization interpretation": the score-function estimate has high variance
    f, _ = CASES[case]
    score = estimator_variance(score_function_grad, f, MU, LOGVAR, 1, 20_000, gen(5)).variance
    reparam = estimator_variance(reparam_grad, f, MU, LOGVAR, 1, 20_000, gen(6)).variance
    assert (score.mu > 1.5 * reparam.mu).all()
    assert (score.logvar > 1.5 * reparam.logvar).all()


def test_variance_ordering_is_not_universal():
    # for f = sin and a wide q (sigma = 1.5) the score-function estimate of d/dmu has the
    # smaller variance: the slide's claim is typical, not a theorem
    mu, logvar = torch.tensor([0.0, 0.5], dtype=F64), torch.full((2,), 2 * math.log(1.5), dtype=F64)
    score = estimator_variance(score_function_grad, torch.sin, mu, logvar, 1, 20_000, gen(7))
    reparam = estimator_variance(reparam_grad, torch.sin, mu, logvar, 1, 20_000, gen(8))
    assert (score.variance.mu < 0.6 * reparam.variance.mu).all()


def test_score_function_baseline_stays_unbiased_and_reduces_variance():
    f, repeats = square, 20_000
    baseline = MU**2 + LOGVAR.exp()  # E[f], a constant
    with_b = functools.partial(score_function_grad, baseline=baseline)
    out = estimator_variance(with_b, f, MU, LOGVAR, 1, repeats, gen(9))
    plain = estimator_variance(score_function_grad, f, MU, LOGVAR, 1, repeats, gen(9))
    g = exact_square(MU, LOGVAR)
    assert_within_se(out.mean.mu, g.mu, out.variance.mu, repeats)
    assert_within_se(out.mean.logvar, g.logvar, out.variance.logvar, repeats)
    assert (out.variance.mu < plain.variance.mu).all()
    assert (out.variance.logvar < plain.variance.logvar).all()
    out_scalar = score_function_grad(f, MU, LOGVAR, 10, gen(10), baseline=1.0)
    assert out_scalar.mu.shape == MU.shape


def test_score_function_handles_a_non_differentiable_f():
    # E[1{z > 0}] = Phi(mu / sigma): dE/dmu = phi(mu/sigma) / sigma,
    # dE/dlogvar = -phi(mu/sigma) mu / (2 sigma)
    def step(z):
        return (z > 0).to(z.dtype)

    repeats = 20_000
    out = estimator_variance(score_function_grad, step, MU, LOGVAR, 1, repeats, gen(12))
    t = (MU / SIGMA).numpy()
    d_mu = torch.from_numpy(stats.norm.pdf(t)) / SIGMA
    assert_within_se(out.mean.mu, d_mu, out.variance.mu, repeats)
    assert_within_se(out.mean.logvar, -d_mu * MU / 2, out.variance.logvar, repeats)
    with pytest.raises(ValueError, match="f must be differentiable"):
        reparam_grad(step, MU, LOGVAR, 4)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_return_detached_tensors_and_work_under_no_grad(name):
    mu = MU.clone().requires_grad_()
    logvar = LOGVAR.clone().requires_grad_()
    with torch.no_grad():
        g = ESTIMATORS[name](square, mu, logvar, 8, generator=gen(13))
    assert isinstance(g, GaussianGrad)
    assert not g.mu.requires_grad and not g.logvar.requires_grad
    assert mu.grad is None and logvar.grad is None
    again = ESTIMATORS[name](square, mu, logvar, 8, generator=gen(13))
    torch.testing.assert_close(g, again)  # reproducible with a seeded generator


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_batch_over_leading_dims_and_propagate_nan(name):
    mu = MU.reshape(2, 2, 2).clone()
    mu[1, 0, 1] = float("nan")
    g = ESTIMATORS[name](torch.sin, mu, LOGVAR.reshape(2, 2, 2), 16, generator=gen(14))
    assert g.mu.shape == (2, 2, 2) and g.logvar.shape == (2, 2, 2)
    for field in g:
        assert field.isnan().sum() == 1 and field[1, 0, 1].isnan()


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_on_each_device_and_dtype(name, device, dtype):
    mu, logvar = MU.to(device, dtype), LOGVAR.to(device, dtype)
    g = torch.Generator(device=device).manual_seed(15)
    out = estimator_variance(ESTIMATORS[name], square, mu, logvar, 50, 400, g)
    for field in (*out.mean, *out.variance):
        assert field.device.type == device and field.dtype == dtype
    assert_within_se(out.mean.mu.double().cpu(), 2 * MU, out.variance.mu.double().cpu(), 400)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: score_function_grad(square, MU, LOGVAR, 0), "n_samples"),
        (lambda: reparam_grad(square, MU, LOGVAR, 2.5), "n_samples"),
        (lambda: reparam_grad("square", MU, LOGVAR, 2), "f"),
        (lambda: reparam_grad(lambda z: z.sum(), MU, LOGVAR, 2), "f"),
        (lambda: score_function_grad(lambda z: z.numpy(), MU, LOGVAR, 2), "f"),
        (lambda: score_function_grad(square, MU, LOGVAR[:3], 2), "logvar"),
        (lambda: score_function_grad(square, MU.long(), LOGVAR, 2), "mu"),
        (lambda: score_function_grad(square, MU, LOGVAR, 2, baseline="mean"), "baseline"),
        (lambda: score_function_grad(square, MU, LOGVAR, 2, baseline=MU[:3]), "baseline"),
        (lambda: reparam_grad(square, MU, LOGVAR, 2, generator=1), "generator"),
        (lambda: estimator_variance(reparam_grad, square, MU, LOGVAR, 2, 1), "repeats"),
        (lambda: estimator_variance(None, square, MU, LOGVAR, 2, 5), "estimator"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_optimal_baseline_matches_its_closed_form_for_the_square():
    """For f(z) = z^2 and z = mu + sigma eps, E[f s^2] / E[s^2] in closed form (moments of eps:
    E eps^2 = 1, E eps^4 = 3, E eps^6 = 15): mu^2 + 3 sigma^2 for the score of mu, and
    mu^2 + 5 sigma^2 for the score of logvar. The estimate is a ratio of sample means; its
    standard error comes from the delta method on the same samples."""
    from genlab.estimators import optimal_baseline

    mu, logvar = MU[:4], LOGVAR[:4]
    var = logvar.exp()
    L = 400_000
    eps = torch.randn(L, 4, generator=gen(3), dtype=F64)
    z = mu + var.sqrt() * eps
    scores = {"mu": (z - mu) / var, "logvar": 0.5 * ((z - mu) ** 2 / var - 1)}
    exact = {"mu": mu**2 + 3 * var, "logvar": mu**2 + 5 * var}
    for name, s in scores.items():
        b = optimal_baseline(z**2, s)
        s2 = s**2
        se = ((z**2 * s2 - b * s2).std(0) / math.sqrt(L)) / s2.mean(0)
        assert ((b - exact[name]).abs() <= 5 * se).all(), (name, b, exact[name], se)
    with pytest.raises(ValueError, match="one shape"):
        optimal_baseline(z**2, scores["mu"][:, :2])


def test_the_optimal_baseline_keeps_the_mean_and_lowers_the_variance():
    """The closed-form b* of the square (a constant) and b* estimated leave-one-out both keep
    the estimator unbiased and lower its variance below the plain estimator's, for every
    element."""
    repeats, n = 4000, 10
    var = LOGVAR.exp()
    b_star = GaussianGrad(MU**2 + 3 * var, MU**2 + 5 * var)
    plain = estimator_variance(score_function_grad, square, MU, LOGVAR, n, repeats, gen(4))
    estimated = estimator_variance(
        functools.partial(score_function_grad, baseline="optimal"),
        square,
        MU,
        LOGVAR,
        n,
        repeats,
        gen(5),
    )
    exact = exact_square(MU, LOGVAR)
    for field in ("mu", "logvar"):
        constant = estimator_variance(
            functools.partial(score_function_grad, baseline=getattr(b_star, field)),
            square,
            MU,
            LOGVAR,
            n,
            repeats,
            gen(6),
        )
        mean, variance = getattr(constant.mean, field), getattr(constant.variance, field)
        assert_within_se(mean, getattr(exact, field), variance, repeats)
        assert (variance < getattr(plain.variance, field)).all(), field
        mean, variance = getattr(estimated.mean, field), getattr(estimated.variance, field)
        assert_within_se(mean, getattr(exact, field), variance, repeats)
        assert (variance < getattr(plain.variance, field)).all(), field
    with pytest.raises(ValueError, match="'optimal'"):
        score_function_grad(square, MU, LOGVAR, 4, baseline="best")


def test_the_leave_one_out_baseline_matches_a_loop_over_the_samples():
    from genlab.estimators import optimal_baseline

    fz, s = (
        torch.randn(6, 3, generator=gen(8), dtype=F64),
        torch.randn(6, 3, generator=gen(9), dtype=F64),
    )
    loo = optimal_baseline(fz, s, leave_one_out=True)
    for l in range(6):
        keep = [j for j in range(6) if j != l]
        torch.testing.assert_close(loo[l], optimal_baseline(fz[keep], s[keep]))
    with pytest.raises(ValueError, match="S >= 2"):
        optimal_baseline(fz[:1], s[:1], leave_one_out=True)
