r"""Exact results the lectures check numerically: the optimal discriminator and the GAN value
(lecture 06), and a linear-Gaussian latent variable model whose ELBO, posterior and EM are all
closed-form (lecture 01).

Sources: Goodfellow et al. 2014, Prop. 1 and Thm. 1 (slides "Adversarial loss for the
optimality"); slides "VAE objective", "Review: VAEs", "VAE learning" (EM); Tipping & Bishop
1999 (probabilistic PCA).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import (
    Categorical,
    Distribution,
    Independent,
    MixtureSameFamily,
    MultivariateNormal,
    Normal,
    kl_divergence,
)

from genlab._checks import positive_int, tensor_arg
from genlab.divergences import normal_components, quadrature_grid

__all__ = [
    "EMResult",
    "LVMSample",
    "LinearGaussianLVM",
    "OptimalDiscriminator",
    "discrete_gan_value",
    "gan_value_quadrature",
    "gaussian_mixture",
    "mixture_of",
    "optimal_discriminator",
    "optimal_logit_from_log_probs",
]

LOG_2PI = math.log(2 * math.pi)


# ----------------------------------------------------------------------------------------
# 1-D Gaussian mixtures
# ----------------------------------------------------------------------------------------


def _vector(name: str, value, dtype, device) -> Tensor:
    if isinstance(value, Tensor):
        t = value.to(
            dtype=dtype or (value.dtype if value.is_floating_point() else None), device=device
        )
    else:
        t = torch.as_tensor(value, dtype=dtype or torch.get_default_dtype(), device=device)
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    if t.dim() != 1 or t.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence; got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be finite; got {t.tolist()}")
    return t


def gaussian_mixture(
    means: Sequence[float] | Tensor,
    stds: Sequence[float] | Tensor,
    weights: Sequence[float] | Tensor | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> MixtureSameFamily:
    r"""The 1-D mixture :math:`p(x) = \sum_c w_c\, \mathcal{N}(x; \mu_c, \sigma_c^2)`.

    ``weights`` default to uniform; nonnegative weights are normalised to sum to one. Lists
    become tensors of ``dtype`` (default: torch's default dtype); tensors keep theirs (and
    their autograd graph). Returns a ``MixtureSameFamily(Categorical, Normal)``. ValueError
    for mismatched lengths, non-finite values, stds <= 0 or negative weights.
    """
    mu = _vector("means", means, dtype, device)
    sigma = _vector("stds", stds, dtype or mu.dtype, mu.device)
    if sigma.shape != mu.shape:
        raise ValueError(f"stds must have one entry per mean ({mu.numel()}); got {sigma.numel()}")
    if not bool((sigma > 0).all()):
        raise ValueError(f"stds must all be > 0; got {sigma.tolist()}")
    if weights is None:
        w = torch.full_like(mu, 1.0 / mu.numel())
    else:
        w = _vector("weights", weights, dtype or mu.dtype, mu.device)
        if w.shape != mu.shape:
            raise ValueError(
                f"weights must have one entry per mean ({mu.numel()}); got {w.numel()}"
            )
        if not bool((w >= 0).all()) or float(w.sum()) <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum; got {w.tolist()}")
        w = w / w.sum()
    return MixtureSameFamily(Categorical(probs=w), Normal(mu, sigma))


def _normal_components(dist: Distribution, name: str) -> tuple[Tensor, Tensor, Tensor]:
    """(weights, loc, scale) of a Normal or a mixture of Normals, detached, float64."""
    loc, scale = normal_components(dist, name)
    if isinstance(dist, Normal):
        return torch.ones_like(loc), loc, scale
    if isinstance(dist, MixtureSameFamily) and isinstance(dist.component_distribution, Normal):
        probs = dist.mixture_distribution.probs.detach().to(torch.float64).reshape(-1)
        return probs.to(loc.device), loc, scale
    raise ValueError(
        f"{name} must be a Normal or a MixtureSameFamily of Normals; got {type(dist).__name__}"
    )


def mixture_of(p: Distribution, q: Distribution, weight: float = 0.5) -> MixtureSameFamily:
    r"""The mixture :math:`M = \pi P + (1 - \pi) Q` of two 1-D Gaussian mixtures (or Normals):

    .. math::
        m(x) = \pi\, p(x) + (1 - \pi)\, q(x), \qquad \pi = \texttt{weight} \in [0, 1]

    At :math:`\pi = 1/2` it is the midpoint in the Jensen-Shannon divergence,
    :math:`\mathrm{JSD}(P\|Q) = \frac12 \mathrm{KL}(P\|M) + \frac12 \mathrm{KL}(Q\|M)`
    (slide "Adversarial loss for the optimality"). Returns a float64
    ``MixtureSameFamily(Categorical, Normal)`` built from detached parameters (a fixed density).
    ValueError for a weight outside [0, 1] or a distribution that is not Gaussian.
    """
    if isinstance(weight, bool) or not isinstance(weight, Real) or not 0 <= weight <= 1:
        raise ValueError(f"weight must be a number in [0, 1]; got {weight!r}")
    wp, loc_p, scale_p = _normal_components(p, "p")
    wq, loc_q, scale_q = _normal_components(q, "q")
    probs = torch.cat([weight * wp, (1 - weight) * wq.to(wp.device)])
    loc = torch.cat([loc_p, loc_q.to(loc_p.device)])
    scale = torch.cat([scale_p, scale_q.to(scale_p.device)])
    # logits, not probs: Categorical clamps probabilities to eps, and a weight of 0 must stay 0
    return MixtureSameFamily(Categorical(logits=torch.log(probs)), Normal(loc, scale))


# ----------------------------------------------------------------------------------------
# optimal discriminator and the GAN value
# ----------------------------------------------------------------------------------------


class OptimalDiscriminator:
    r"""The optimal discriminator for a fixed generator (slide "Adversarial loss for the
    optimality"; Goodfellow et al. 2014, Prop. 1):

    .. math::
        D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}
               = \sigma\!\left(\log p_{data}(x) - \log p_g(x)\right)

    Computed from log-densities, so it is exact where both densities underflow. Where both
    are exactly zero (both log-probs ``-inf``) :math:`D^*` is undefined and does not affect
    :math:`V`; it is returned as 1/2 (logit 0). A NaN ``x`` is rejected (ValueError) by the
    distributions' own argument validation, or gives NaN where that is switched off.
    """

    def __init__(self, p_data: Distribution, p_g: Distribution):
        normal_components(p_data, "p_data")
        normal_components(p_g, "p_g")
        self.p_data, self.p_g = p_data, p_g

    def logit(self, x: Tensor) -> Tensor:
        r""":math:`\log D^*(x) - \log(1 - D^*(x)) = \log p_{data}(x) - \log p_g(x)`."""
        x = tensor_arg("x", x)
        return optimal_logit_from_log_probs(self.p_data.log_prob(x), self.p_g.log_prob(x))

    def __call__(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.logit(x))


def optimal_logit_from_log_probs(log_p_data: Tensor, log_p_g: Tensor) -> Tensor:
    r"""The logit of :math:`D^*`, :math:`\log p_{data}(x) - \log p_g(x)`, from the two
    log-densities (any matching shapes); 0 (:math:`D^* = 1/2`) where both are :math:`-\infty`."""
    both_zero = torch.isneginf(log_p_data) & torch.isneginf(log_p_g)
    return torch.where(both_zero, torch.zeros_like(log_p_data), log_p_data - log_p_g)


def optimal_discriminator(p_data: Distribution, p_g: Distribution) -> OptimalDiscriminator:
    r""":math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))` as a callable; ``.logit(x)`` gives
    :math:`\log p_{data}(x) - \log p_g(x)` (Goodfellow et al. 2014, Prop. 1)."""
    return OptimalDiscriminator(p_data, p_g)


def _xlog(weight: Tensor, log_value: Tensor) -> Tensor:
    """weight * log_value with 0 * (-inf) = 0 (NaN still propagates)."""
    safe = torch.where(weight == 0, torch.zeros_like(log_value), log_value)
    out = weight * safe
    return torch.where(torch.isnan(log_value), torch.full_like(out, math.nan), out)


def gan_value_quadrature(
    D: Callable[[Tensor], Tensor],
    p_data: Distribution,
    p_g: Distribution,
    *,
    logits: bool = False,
) -> Tensor:
    r"""The GAN value function by quadrature (slide "Adversarial loss for the optimality"):

    .. math::
        V(D, G) = \mathbb{E}_{x\sim p_{data}}[\log D(x)] + \mathbb{E}_{x\sim p_g}[\log(1 - D(x))],
        \qquad V(D^*, G) = 2\,\mathrm{JSD}(p_{data}\|p_g) - \log 4

    ``D`` is called once on all quadrature nodes as a column ``x`` of shape (N, 1) and must
    return N values. By default they are probabilities in [0, 1]; a D that rounds to exactly 0
    or 1 where the other density has mass gives ``-inf`` (which is its true value). With
    ``logits=True``, D returns logits :math:`\ell` and :math:`\log D = -\mathrm{softplus}(-\ell)`,
    :math:`\log(1-D) = -\mathrm{softplus}(\ell)` are exact (use this for networks). An
    :class:`OptimalDiscriminator` is always evaluated through its exact ``logit``. For an
    ``nn.Module``, x is cast to the dtype of its parameters. Returns a 0-dim tensor in the
    distributions' dtype, differentiable in D's parameters.
    """
    grid = quadrature_grid(p_data, p_g)
    lp, lq = p_data.log_prob(grid.x), p_g.log_prob(grid.x)
    x = grid.x[:, None]
    if isinstance(D, torch.nn.Module):
        param = next(D.parameters(), None)
        if param is not None:
            x = x.to(dtype=param.dtype, device=param.device)
    if isinstance(D, OptimalDiscriminator):
        D, logits = D.logit, True
    out = D(x)
    out = tensor_arg("D(x)", out).to(torch.float64)
    if out.numel() != grid.x.numel():
        raise ValueError(
            f"D must return one value per input row ({grid.x.numel()}); got {tuple(out.shape)}"
        )
    out = out.reshape(-1).to(grid.x.device)
    if logits:
        log_d, log_1md = -F.softplus(-out), -F.softplus(out)
    else:
        bad = (out < 0) | (out > 1)
        if bool(bad.any()):
            raise ValueError(
                f"D must return probabilities in [0, 1] (pass logits=True for logits); "
                f"got {out[bad][0].item()!r}"
            )
        log_d, log_1md = torch.log(out), torch.log1p(-out)
    integrand = _xlog(lp.exp(), log_d) + _xlog(lq.exp(), log_1md)
    dtype = torch.promote_types(p_data.mean.dtype, p_g.mean.dtype)
    return (grid.weights * integrand).sum().to(dtype)


# the name before the quadrature version said so; not to be confused with losses.gan_value
gan_value = gan_value_quadrature


def discrete_gan_value(p_data: Tensor, p_g: Tensor, logits: Tensor) -> Tensor:
    r"""The GAN value function for distributions on :math:`K` points (or on a grid, with the
    cell size folded into the probabilities), with D given by its logits :math:`\ell_k`:

    .. math::
        V(D, G) = \sum_k p_{data,k} \log D_k + p_{G,k} \log(1 - D_k)
            = \sum_k p_{data,k} \log\sigma(\ell_k) + p_{G,k} \log\sigma(-\ell_k)

    ``(..., K)`` each (broadcast) ``-> (...)``. Exact for any finite logit (log-sigmoid, no
    rounding of :math:`D` to 0 or 1). At :math:`\ell = \log p_{data} - \log p_G` (the optimal
    discriminator) it equals :math:`2\,\mathrm{JSD}(p_{data}\|p_G) - \log 4`. The discrete
    form of :func:`gan_value_quadrature`; slide "Adversarial loss for the optimality".
    """
    p_data, p_g = tensor_arg("p_data", p_data), tensor_arg("p_g", p_g)
    logits = tensor_arg("logits", logits)
    for name, value in (("p_data", p_data), ("p_g", p_g)):
        if bool((value < 0).any()):
            raise ValueError(f"{name} must hold probabilities (>= 0); got {value.min().item()}")
    return (p_data * F.logsigmoid(logits) + p_g * F.logsigmoid(-logits)).sum(-1)


# ----------------------------------------------------------------------------------------
# linear-Gaussian latent variable model
# ----------------------------------------------------------------------------------------


class LVMSample(NamedTuple):
    x: Tensor  # (n, d) observations
    z: Tensor  # (n, k) latents that produced them


class EMResult(NamedTuple):
    model: LinearGaussianLVM  # the fitted model (a new object)
    log_likelihoods: Tensor  # (n_steps + 1,) sum_i log p(x_i), before and after each step


def _gaussian_moments(q: Distribution, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """(mean (..., k), covariance (..., k, k), log det covariance (...)) of a Gaussian q over z."""
    if isinstance(q, MultivariateNormal):
        m, S = q.loc, q.covariance_matrix
        logdet = 2 * torch.log(torch.diagonal(q.scale_tril, dim1=-2, dim2=-1)).sum(-1)
    elif isinstance(q, Independent) and isinstance(q.base_dist, Normal) and len(q.event_shape) == 1:
        m, s = q.base_dist.loc, q.base_dist.scale
        m, s = torch.broadcast_tensors(m, s)
        S, logdet = torch.diag_embed(s**2), 2 * torch.log(s).sum(-1)
    elif isinstance(q, Normal) and len(q.batch_shape) >= 1:
        m, s = torch.broadcast_tensors(q.loc, q.scale)
        S, logdet = torch.diag_embed(s**2), 2 * torch.log(s).sum(-1)
    else:
        raise ValueError(
            "q must be a Gaussian over z: MultivariateNormal, Independent(Normal, 1), or a Normal "
            f"whose last batch dimension is z's; got {type(q).__name__}"
        )
    if m.shape[-1] != k:
        raise ValueError(f"q must be a distribution over z with k = {k} dims; got {m.shape[-1]}")
    return m, S, logdet


class LinearGaussianLVM:
    r"""The linear-Gaussian latent variable model (probabilistic PCA with a mean):

    .. math::
        z \sim \mathcal{N}(0, I_k), \qquad x \mid z \sim \mathcal{N}(W z + b, \sigma^2 I_d),
        \qquad x \sim \mathcal{N}(b,\; W W^\top + \sigma^2 I_d)

    Everything the VAE slides approximate is exact here: :math:`\log p(x)`, the posterior
    :math:`p(z|x)`, and :math:`\log p(x) = \mathcal{L}(x; q) + \mathrm{KL}(q \| p(z|x))` for any
    Gaussian :math:`q` (slide "VAE objective"). Objects are immutable: ``m_step`` and ``em``
    return new models. ``W``: (d, k), ``b``: (d,), ``sigma`` > 0 (the noise std); every
    method takes ``x`` of shape (n, d) or (d,), converted to W's dtype; non-finite x raises.
    Source: Tipping & Bishop 1999; slides "VAE objective", "VAE learning".
    """

    def __init__(self, W: Tensor, b: Tensor, sigma: float | Tensor):
        W, b = tensor_arg("W", W), tensor_arg("b", b)
        if W.dim() != 2:
            raise ValueError(f"W must be a (d, k) matrix; got shape {tuple(W.shape)}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (d,) = ({W.shape[0]},); got {tuple(b.shape)}")
        for name, t in (("W", W), ("b", b)):
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"{name} must be finite; got non-finite entries")
        sigma = torch.as_tensor(sigma, dtype=W.dtype, device=W.device)
        if sigma.dim() != 0 or not bool(torch.isfinite(sigma)) or not bool(sigma > 0):
            raise ValueError(f"sigma must be a finite number > 0; got {sigma.tolist()!r}")
        self.W, self.b, self.sigma = W, b.to(W.dtype), sigma

    def __repr__(self) -> str:
        return f"LinearGaussianLVM(d={self.d}, k={self.k}, sigma={float(self.sigma):.4g})"

    @property
    def d(self) -> int:
        return self.W.shape[0]

    @property
    def k(self) -> int:
        return self.W.shape[1]

    def _x(self, x: Tensor) -> Tensor:
        x = tensor_arg("x", x)
        if x.dim() == 0 or x.shape[-1] != self.d:
            raise ValueError(
                f"x must have shape (n, {self.d}) or ({self.d},); got {tuple(x.shape)}"
            )
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x must be finite; got NaN or inf entries")
        return x.to(self.W.dtype)

    def _batch(self, x: Tensor) -> Tensor:
        x = self._x(x)
        if x.dim() != 2:
            raise ValueError(f"x must be a batch of shape (n, {self.d}); got {tuple(x.shape)}")
        return x

    def prior(self) -> MultivariateNormal:
        r""":math:`p(z) = \mathcal{N}(0, I_k)`."""
        zeros = torch.zeros(self.k, dtype=self.W.dtype, device=self.W.device)
        return MultivariateNormal(zeros, scale_tril=torch.diag_embed(torch.ones_like(zeros)))

    def likelihood(self, z: Tensor) -> Independent:
        r""":math:`p(x|z) = \mathcal{N}(W z + b, \sigma^2 I_d)`, batched over z (..., k)."""
        return Independent(Normal(z @ self.W.T + self.b, self.sigma), 1)

    def marginal(self) -> MultivariateNormal:
        r""":math:`p(x) = \mathcal{N}(b, W W^\top + \sigma^2 I_d)`."""
        return MultivariateNormal(self.b, scale_tril=self._marginal_scale_tril())

    def _marginal_scale_tril(self) -> Tensor:
        eye = torch.eye(self.d, dtype=self.W.dtype, device=self.W.device)
        return torch.linalg.cholesky(self.W @ self.W.T + self.sigma**2 * eye)

    def log_marginal(self, x: Tensor) -> Tensor:
        r"""Exact :math:`\log p(x)`: (n, d) -> (n,)."""
        x = self._x(x)  # checked here, so the distribution need not re-validate
        marginal = MultivariateNormal(
            self.b, scale_tril=self._marginal_scale_tril(), validate_args=False
        )
        return marginal.log_prob(x)

    def posterior(self, x: Tensor) -> MultivariateNormal:
        r"""Exact :math:`p(z|x) = \mathcal{N}(M^{-1} W^\top (x - b),\ \sigma^2 M^{-1})`,
        :math:`M = W^\top W + \sigma^2 I_k`; batched over x: (n, d) -> batch (n,), event (k,)."""
        mean, cov = self._posterior_moments(self._x(x))
        return MultivariateNormal(mean, scale_tril=torch.linalg.cholesky(cov))

    def _posterior_moments(self, x: Tensor) -> tuple[Tensor, Tensor]:
        eye = torch.eye(self.k, dtype=self.W.dtype, device=self.W.device)
        L = torch.linalg.cholesky(self.W.T @ self.W + self.sigma**2 * eye)  # M = L L^T
        mean = torch.cholesky_solve(((x - self.b) @ self.W).unsqueeze(-1), L).squeeze(-1)
        return mean, self.sigma**2 * torch.cholesky_inverse(L)  # (n, k), (k, k)

    def elbo(self, x: Tensor, q: Distribution) -> Tensor:
        r"""Closed-form ELBO for a Gaussian :math:`q(z) = \mathcal{N}(m, S)` (slide "Review: VAEs"):

        .. math::
            \mathcal{L} = \mathbb{E}_q[\log p(x|z)] + \mathbb{E}_q[\log p(z)] + \mathbb{H}[q]
            = -\tfrac{d}{2}\log 2\pi\sigma^2
              - \tfrac{\|x - b - W m\|^2 + \mathrm{tr}(W S W^\top)}{2\sigma^2}
              - \tfrac{\|m\|^2 + \mathrm{tr} S}{2} + \tfrac{1}{2}\log\det S + \tfrac{k}{2}

        ``q`` is batched like x (or unbatched); returns (n,).
        """
        x = self._x(x)
        m, S, logdet = _gaussian_moments(q, self.k)
        var = self.sigma**2
        resid = x - self.b - m @ self.W.T  # (n, d)
        trace_wsw = torch.einsum("ij,...jk,ik->...", self.W, S, self.W)
        expected_loglik = (
            -0.5 * self.d * (LOG_2PI + torch.log(var))
            - 0.5 * ((resid**2).sum(-1) + trace_wsw) / var
        )
        expected_logprior = -0.5 * self.k * LOG_2PI - 0.5 * (
            (m**2).sum(-1) + torch.diagonal(S, dim1=-2, dim2=-1).sum(-1)
        )
        entropy = 0.5 * self.k * (1 + LOG_2PI) + 0.5 * logdet
        return expected_loglik + expected_logprior + entropy

    def kl_to_posterior(self, x: Tensor, q: Distribution) -> Tensor:
        r""":math:`\mathrm{KL}(q(z) \,\|\, p(z|x))` in closed form (torch's Gaussian KL), (n,)."""
        m, S, _ = _gaussian_moments(q, self.k)
        q_mvn = MultivariateNormal(m, covariance_matrix=S)
        return kl_divergence(q_mvn, self.posterior(x))

    def sample(self, n: int, generator: torch.Generator | None = None) -> LVMSample:
        r"""Ancestral sampling :math:`z \sim p(z)`, :math:`x = W z + b + \sigma\epsilon`."""
        n = positive_int("n", n)
        kw = dict(dtype=self.W.dtype, device=self.W.device, generator=generator)
        z = torch.randn(n, self.k, **kw)
        eps = torch.randn(n, self.d, **kw)
        return LVMSample(z @ self.W.T + self.b + self.sigma * eps, z)

    def e_step(self, x: Tensor) -> MultivariateNormal:
        r"""E step: :math:`q(z_i) \leftarrow p(z_i | x_i)`, which makes the ELBO tight."""
        return self.posterior(x)

    def m_step(self, x: Tensor, q: Distribution) -> LinearGaussianLVM:
        r"""M step: the new model maximising :math:`\sum_i \mathcal{L}(x_i; q_i)` over
        :math:`W, b, \sigma` for fixed :math:`q_i = \mathcal{N}(m_i, S_i)`. With
        :math:`\tilde W = [W, b]` and :math:`\tilde z = [z; 1]`:

        .. math::
            \tilde W = \Big(\sum_i x_i \mathbb{E}[\tilde z_i]^\top\Big)
                       \Big(\sum_i \mathbb{E}[\tilde z_i \tilde z_i^\top]\Big)^{-1},\qquad
            \sigma^2 = \frac{1}{n d}\sum_i \left(\|x_i - \tilde W \mathbb{E}\tilde z_i\|^2
                       + \mathrm{tr}(W S_i W^\top)\right)

        (Tipping & Bishop 1999, Sec. 3.2, with the mean estimated jointly). x: (n, d).
        """
        x = self._batch(x)
        m, S, _ = _gaussian_moments(q, self.k)
        if m.shape[:-1] not in ((), x.shape[:1]):
            raise ValueError(
                f"q must be one Gaussian or a batch of {x.shape[0]} (one per row of x); "
                f"got batch shape {tuple(m.shape[:-1])}"
            )
        return self._m_step(x, m, S)

    def _m_step(self, x: Tensor, m: Tensor, S: Tensor) -> LinearGaussianLVM:
        n = x.shape[0]
        m = m.expand(n, self.k)
        S_sum = S.expand(n, self.k, self.k).sum(0)
        ez = torch.cat([m, torch.ones(n, 1, dtype=m.dtype, device=m.device)], dim=1)  # (n, k+1)
        ezz = ez.T @ ez  # sum_i E[z~] E[z~]^T ...
        ezz[: self.k, : self.k] += S_sum  # ... + sum_i Cov[z~]
        W_tilde = torch.linalg.solve(ezz, ez.T @ x).T  # (d, k+1); ezz is symmetric
        W, b = W_tilde[:, : self.k], W_tilde[:, self.k]
        resid = x - ez @ W_tilde.T
        var = ((resid**2).sum() + torch.einsum("ij,jk,ik->", W, S_sum, W)) / (n * self.d)
        return LinearGaussianLVM(W, b, var.sqrt())

    def em(self, x: Tensor, n_steps: int) -> EMResult:
        r"""``n_steps`` rounds of EM (slide "VAE learning": E step, then M step) from this model.

        Returns the fitted model and :math:`\sum_i \log p(x_i)` before and after each step, a
        sequence that never decreases.
        """
        n_steps = positive_int("n_steps", n_steps, minimum=0)
        x = self._batch(x)
        model = self
        history = [model.log_marginal(x).sum()]
        for _ in range(n_steps):
            model = model._m_step(x, *model._posterior_moments(x))  # E step, then M step
            history.append(model.log_marginal(x).sum())
        return EMResult(model, torch.stack(history))


from genlab.dirac_gan import DiracGAN  # noqa: E402,F401  (lecture 09, Sec. 4)
