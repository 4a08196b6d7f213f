r"""Why the ELBO is below :math:`\log p(x)`: the approximation gap and the amortization gap.

.. math::
    \log p(x) - \mathcal L(q_\phi) = \underbrace{\log p(x) - \mathcal L(q^*)}_{\text{approximation}}
        + \underbrace{\mathcal L(q^*) - \mathcal L(q_\phi)}_{\text{amortization}}

where :math:`q^*` is the best member of the variational family for this one :math:`x` and
:math:`q_\phi` the encoder's output (Cremer, Li & Duvenaud 2018). On the linear-Gaussian model
(:class:`genlab.theory.LinearGaussianLVM`) every term is exact; on a VAE, :math:`q^*` is
approximated by optimizing :math:`q` for each data point (:func:`refine_posterior`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.distributions import Independent, Normal

from genlab import losses
from genlab._checks import positive, positive_int, tensor_arg
from genlab.theory import LinearGaussianLVM

__all__ = ["Gaps", "Posterior", "inference_gaps", "mean_field_posterior", "refine_posterior"]


class Posterior(NamedTuple):
    """A diagonal Gaussian :math:`q(z|x) = \\mathcal N(\\mu, e^{\\text{logvar}})` per example."""

    mu: torch.Tensor  # (n, k)
    logvar: torch.Tensor  # (n, k)


class Gaps(NamedTuple):
    """The inference gaps per example, in nats; ``total = approximation + amortization``."""

    total: torch.Tensor  # log p(x) - ELBO(q_phi)
    approximation: torch.Tensor  # log p(x) - ELBO(q*): the family's limit
    amortization: torch.Tensor  # ELBO(q*) - ELBO(q_phi): the encoder's shortfall


def mean_field_posterior(lvm: LinearGaussianLVM, x: torch.Tensor) -> Posterior:
    r"""The best diagonal Gaussian :math:`q^*(z) = \mathcal N(m, \operatorname{diag} s^2)` for
    each row of ``x`` under the linear-Gaussian model: ``(n, d) -> Posterior`` of ``(n, k)``.

    The exact posterior is :math:`\mathcal N(m, \Lambda^{-1})` with precision
    :math:`\Lambda = (W^\top W + \sigma^2 I)/\sigma^2`. Minimizing
    :math:`\mathrm{KL}(q \,\|\, p(z|x))` over diagonal :math:`q` keeps the mean and takes
    :math:`s_j^2 = 1/\Lambda_{jj}` (Bishop 2006, Sec. 10.1.2): the *precisions* match, so
    :math:`q^*` is narrower than the posterior's marginals when the latents are correlated.
    """
    posterior = lvm.posterior(x)  # checks x
    eye = torch.eye(lvm.k, dtype=lvm.W.dtype, device=lvm.W.device)
    precision_diag = torch.diagonal(lvm.W.T @ lvm.W + lvm.sigma**2 * eye) / lvm.sigma**2  # (k,)
    logvar = (-torch.log(precision_diag)).expand_as(posterior.loc)
    return Posterior(posterior.loc, logvar)


def _diagonal_q(mu: torch.Tensor, logvar: torch.Tensor) -> Independent:
    return Independent(Normal(mu, torch.exp(0.5 * logvar), validate_args=False), 1)


def inference_gaps(
    lvm: LinearGaussianLVM, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> Gaps:
    r"""The exact gaps of the diagonal Gaussian :math:`q_\phi(z|x) = \mathcal N(\mu,
    e^{\text{logvar}})` (an encoder's output, ``(n, k)`` each) for the rows of ``x`` ``(n, d)``.

    All three terms are closed form: :math:`\log p(x)` (``lvm.log_marginal``), the ELBO of any
    Gaussian (``lvm.elbo``), and :math:`q^*` from :func:`mean_field_posterior`. The
    approximation gap is :math:`\mathrm{KL}(q^* \,\|\, p(z|x))`, zero only when the posterior's
    covariance is diagonal; the amortization gap is :math:`\ge 0` and zero only where the
    encoder outputs :math:`q^*` itself.
    """
    tensor_arg("mu", mu)
    tensor_arg("logvar", logvar)
    if mu.shape != (x.shape[0], lvm.k) or logvar.shape != mu.shape:
        raise ValueError(
            f"mu and logvar must have shape (n, k) = ({x.shape[0]}, {lvm.k}); "
            f"got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    log_px = lvm.log_marginal(x)
    best = lvm.elbo(x, _diagonal_q(*mean_field_posterior(lvm, x)))
    encoder = lvm.elbo(x, _diagonal_q(mu.to(lvm.W.dtype), logvar.to(lvm.W.dtype)))
    return Gaps(log_px - encoder, log_px - best, best - encoder)


def refine_posterior(
    model,
    x: torch.Tensor,
    steps: int = 100,
    lr: float = 0.05,
    n_samples: int = 8,
    generator: torch.Generator | None = None,
) -> Posterior:
    r"""Semi-amortized inference: start from the encoder's :math:`q_\phi(z|x)` and take
    ``steps`` Adam steps on each example's own ELBO over its ``(mu, logvar)``, the decoder fixed.

    The ELBO is estimated with ``n_samples`` reparameterized draws per example and the
    closed-form KL (:func:`genlab.losses.elbo`). The result approximates :math:`q^*`, the best
    diagonal Gaussian for each :math:`x` (Kim et al. 2018; Cremer et al. 2018, Sec. 5):
    :math:`\mathcal L(q^*) - \mathcal L(q_\phi)` estimates the amortization gap. Returns
    ``Posterior(mu, logvar)`` of ``(N, Z)``, detached; the model is left unchanged.
    """
    steps = positive_int("steps", steps, minimum=0)
    lr = positive("lr", lr)
    n_samples = positive_int("n_samples", n_samples)
    was_training = model.training
    model.eval()
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        with torch.no_grad():
            mu0, logvar0 = model.encode(x)
        mu = mu0.clone().requires_grad_(True)
        logvar = logvar0.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([mu, logvar], lr=lr)
        xs = x.expand(n_samples, *x.shape).reshape(-1, *x.shape[1:])  # (S N, *event)
        for _ in range(steps):
            m = mu.expand(n_samples, *mu.shape).reshape(-1, mu.shape[-1])  # (S N, Z)
            lv = logvar.expand(n_samples, *logvar.shape).reshape(-1, mu.shape[-1])
            z = losses.reparameterize(m, lv, generator=generator)
            decoder_logvar = model._decoder_logvar(x)
            if decoder_logvar is not None:
                decoder_logvar = decoder_logvar.to(device=x.device, dtype=x.dtype)
            terms = losses.elbo(xs, m, lv, model.decode(z), model.config.likelihood, decoder_logvar)
            # the sum over examples of each one's mean ELBO: every example its own problem
            loss = -terms.elbo.sum() / n_samples
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    finally:
        for p in frozen:
            p.requires_grad_(True)
        model.train(was_training)
    return Posterior(mu.detach(), logvar.detach())
