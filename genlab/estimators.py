r"""Two estimators of :math:`\nabla_{\mu,\log\sigma^2} \mathbb E_{q(z)}[f(z)]` for a Gaussian
:math:`q(z) = \mathcal N(\mu, \sigma^2)` (lecture 02): the score function and the
reparameterization, and their variance. Shapes, devices and errors as in :mod:`genlab.losses`.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import NamedTuple

import torch

from genlab._checks import broadcasts_to, gaussian_args, positive_int


def _standard_normal(shape: tuple[int, ...], like: torch.Tensor, generator) -> torch.Tensor:
    """``eps ~ N(0, I)`` of ``shape`` on ``like``'s device and dtype."""
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise ValueError(
                f"generator must be a torch.Generator or None; got {type(generator).__name__}"
            )
        if generator.device.type != like.device.type:
            raise ValueError(
                f"generator must be on mu's device ({like.device.type}); "
                f"got a generator on {generator.device}"
            )
    return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)


class GaussianGrad(NamedTuple):
    """A gradient with respect to the parameters ``(mu, logvar)`` of a diagonal Gaussian."""

    mu: torch.Tensor
    logvar: torch.Tensor


class EstimatorStats(NamedTuple):
    """Mean and (unbiased) variance over repeated, independent gradient estimates."""

    mean: GaussianGrad
    variance: GaussianGrad


# ---------------------------------------------------------------------- gradient estimators


def _call_f(f, z: torch.Tensor) -> torch.Tensor:
    out = f(z)
    if not isinstance(out, torch.Tensor) or out.shape != z.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"f must map z elementwise to a tensor of its shape {tuple(z.shape)}; got {got}"
        )
    return out


def _estimator_setup(f, mu, logvar, n_samples, generator):
    if not callable(f):
        raise ValueError(f"f must be a callable applied elementwise; got {type(f).__name__}")
    gaussian_args(mu, logvar, event=False)
    n_samples = positive_int("n_samples", n_samples)
    eps = _standard_normal((n_samples, *mu.shape), mu, generator)  # (S, ...)
    return mu.detach(), logvar.detach(), eps


def score_function_grad(
    f: Callable[[torch.Tensor], torch.Tensor],
    mu: torch.Tensor,
    logvar: torch.Tensor,
    n_samples: int,
    generator: torch.Generator | None = None,
    baseline: float | torch.Tensor | str | None = None,
) -> GaussianGrad:
    r"""Score-function (REINFORCE) estimate of :math:`\nabla_{\mu, \text{logvar}}
    \mathbb E_{z \sim \mathcal N(\mu, \sigma^2)}[f(z)]`, elementwise; ``(...) -> (...)``.

    .. math::
        \nabla \mathbb E_q[f(z)] \approx \frac1L \sum_{l=1}^{L} (f(z^{(l)}) - b)\,
            \nabla \log q(z^{(l)}), \quad
        \frac{\partial \log q}{\partial \mu} = \frac{z - \mu}{\sigma^2}, \quad
        \frac{\partial \log q}{\partial\, \text{logvar}} = \frac12\left(
            \frac{(z - \mu)^2}{\sigma^2} - 1\right)

    Source: slide "Optimization interpretation" ("high variance for gradient estimation");
    Williams 1992; Mohamed et al. 2020, Sec. 4. Unbiased for any constant baseline ``b``
    (a number or a tensor broadcast to ``mu``, not computed from these samples), because
    :math:`\mathbb E_q[\nabla \log q] = 0`. ``baseline="optimal"`` uses, for each parameter
    and element, the variance-optimal constant of :func:`optimal_baseline`, each sample's
    estimated from the other samples (leave-one-out), so the estimate stays unbiased.
    ``f`` is applied to ``z``
    of shape ``(n_samples, *mu.shape)`` and need not be differentiable. Returns detached tensors.
    """
    mu, logvar, eps = _estimator_setup(f, mu, logvar, n_samples, generator)
    if isinstance(baseline, str) and baseline != "optimal":
        raise ValueError(
            f"baseline must be None, 'optimal', a number or a tensor; got {baseline!r}"
        )
    if baseline is not None and not isinstance(baseline, Real | torch.Tensor | str):
        raise ValueError(
            f"baseline must be None, 'optimal', a number or a tensor; got {type(baseline).__name__}"
        )
    if isinstance(baseline, torch.Tensor):
        broadcasts_to("baseline", baseline, mu.shape)
    var = logvar.exp()
    z = mu + var.sqrt() * eps  # (S, ...)
    with torch.no_grad():
        fz = _call_f(f, z)
    score_mu = (z - mu) / var  # d log q / d mu
    score_logvar = 0.5 * ((z - mu).pow(2) / var - 1.0)  # d log q / d logvar
    if isinstance(baseline, str):  # each parameter its own b* = E[f s^2] / E[s^2], left out
        if eps.shape[0] < 2:
            raise ValueError(f"baseline='optimal' needs n_samples >= 2; got {eps.shape[0]}")
        b_mu = optimal_baseline(fz, score_mu, leave_one_out=True)
        b_logvar = optimal_baseline(fz, score_logvar, leave_one_out=True)
    else:
        b_mu = b_logvar = 0.0 if baseline is None else baseline
    grad_mu = ((fz - b_mu) * score_mu).mean(0)  # (S, ...) -> (...)
    return GaussianGrad(grad_mu, ((fz - b_logvar) * score_logvar).mean(0))


def optimal_baseline(fz: torch.Tensor, score: torch.Tensor, leave_one_out: bool = False):
    r"""The constant :math:`b` that minimises the variance of one sample's term
    :math:`(f(z) - b)\, s(z)` of the score-function estimator, estimated from the samples in
    the first dimension: ``(S, ...) -> (...)``, or ``(S, ...)`` with ``leave_one_out``.

    .. math::
        \operatorname{Var}[(f - b) s] = \mathbb E[(f - b)^2 s^2] - (\mathbb E[f s])^2
        \quad(\text{as } \mathbb E[s] = 0), \qquad
        b^* = \frac{\mathbb E[f s^2]}{\mathbb E[s^2]}

    Source: Greensmith, Bartlett & Baxter 2004; Mohamed et al. 2020, Sec. 7.4. ``score`` is
    :math:`\partial \log q / \partial \theta` at the same samples as ``fz``. Estimated from all
    the samples, :math:`b^*` depends on each of them and biases the estimator; with
    ``leave_one_out`` the baseline of sample :math:`l` uses the other :math:`S - 1` only, so
    it is independent of sample :math:`l` and the estimator stays unbiased.
    """
    if not isinstance(fz, torch.Tensor) or not isinstance(score, torch.Tensor):
        raise ValueError("fz and score must be tensors")
    if fz.shape != score.shape or fz.dim() == 0 or fz.shape[0] < 1 + leave_one_out:
        raise ValueError(
            f"fz and score must have one shape (S, ...) with S >= {1 + leave_one_out}; got "
            f"{tuple(fz.shape)} and {tuple(score.shape)}"
        )
    s2 = score.pow(2)
    if not leave_one_out:
        return (fz * s2).mean(0) / s2.mean(0)
    fs2 = fz * s2
    return (fs2.sum(0) - fs2) / (s2.sum(0) - s2)  # (S, ...): sample l left out of its own b


def reparam_grad(
    f: Callable[[torch.Tensor], torch.Tensor],
    mu: torch.Tensor,
    logvar: torch.Tensor,
    n_samples: int,
    generator: torch.Generator | None = None,
) -> GaussianGrad:
    r"""Reparameterization (pathwise) estimate of :math:`\nabla_{\mu, \text{logvar}}
    \mathbb E_{z \sim \mathcal N(\mu, \sigma^2)}[f(z)]`, elementwise; ``(...) -> (...)``.

    .. math::
        \nabla \mathbb E_q[f(z)] = \mathbb E_{\epsilon}[\nabla f(\mu + \sigma \epsilon)]
            \approx \frac1L \sum_{l=1}^{L} \nabla f(\mu + \sigma \epsilon^{(l)}),
            \quad \epsilon^{(l)} \sim \mathcal N(0, 1)

    Source: slides "Reparameterization trick", "VAE Example"; Kingma & Welling 2014, Sec. 2.4.
    Unbiased. ``f`` must be an elementwise function that torch autograd can differentiate; it
    is applied to ``z`` of shape ``(n_samples, *mu.shape)``. Returns detached tensors.
    """
    mu, logvar, eps = _estimator_setup(f, mu, logvar, n_samples, generator)
    with torch.enable_grad():
        mu = mu.requires_grad_(True)
        logvar = logvar.requires_grad_(True)
        z = mu + torch.exp(0.5 * logvar) * eps  # (S, ...)
        fz = _call_f(f, z)
        if not fz.requires_grad:
            raise ValueError("f must be differentiable by torch autograd; f(z) has no grad_fn")
        # f is elementwise, so the gradient of the sum is the per-element gradient
        grads = torch.autograd.grad(fz.sum() / eps.shape[0], (mu, logvar), allow_unused=True)
    mu_grad, logvar_grad = (torch.zeros_like(mu) if g is None else g for g in grads)
    return GaussianGrad(mu_grad.detach(), logvar_grad.detach())


def estimator_variance(
    estimator: Callable[..., GaussianGrad],
    f: Callable[[torch.Tensor], torch.Tensor],
    mu: torch.Tensor,
    logvar: torch.Tensor,
    n_samples: int,
    repeats: int,
    generator: torch.Generator | None = None,
) -> EstimatorStats:
    r"""Mean and variance over ``repeats`` independent runs of ``estimator`` with ``n_samples``
    samples each; every field has ``mu``'s shape.

    .. math::
        \bar g = \frac1R \sum_{r=1}^{R} \hat g_r, \qquad
        s^2 = \frac{1}{R - 1} \sum_{r=1}^{R} (\hat g_r - \bar g)^2

    Source: slide "Optimization interpretation" (the variance of gradient estimates). The runs
    are vectorised: ``estimator`` (:func:`score_function_grad`, :func:`reparam_grad`, or a
    ``functools.partial`` of one) is called once on ``mu`` repeated along a new leading dim.
    The standard error of ``mean`` is ``sqrt(variance / repeats)``.
    """
    if not callable(estimator):
        raise ValueError(f"estimator must be callable; got {type(estimator).__name__}")
    repeats = positive_int("repeats", repeats, minimum=2)
    gaussian_args(mu, logvar, event=False)
    shape = (repeats, *mu.shape)
    mu_r = mu.detach().expand(shape).contiguous()  # (...) -> (R, ...)
    logvar_r = logvar.detach().expand(shape).contiguous()
    g = estimator(f, mu_r, logvar_r, n_samples, generator=generator)  # (R, ...) each
    return EstimatorStats(
        mean=GaussianGrad(g.mu.mean(0), g.logvar.mean(0)),
        variance=GaussianGrad(g.mu.var(0), g.logvar.var(0)),
    )
