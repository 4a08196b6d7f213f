"""The f-GAN objective of Nowozin, Cseke & Tomioka (2016), eq. (6), for any entry of the table."""

from __future__ import annotations

from torch import Tensor

from genlab._checks import tensor_arg
from genlab.divergences.table import FDivergence, _resolve

__all__ = ["fgan_discriminator_loss", "fgan_generator_loss"]


def fgan_discriminator_loss(
    name: str | FDivergence, real_v: Tensor, fake_v: Tensor, **params: float
) -> Tensor:
    r"""Loss the variational function (discriminator) minimises: :math:`-F(\theta, \omega)`,

    .. math::
        F = \mathbb{E}_{x\sim P}[g_f(V(x))] - \mathbb{E}_{x\sim Q_\theta}[f^*(g_f(V(x)))]

    with ``real_v`` = V on data (P), ``fake_v`` = V on generated samples (Q); means over all
    elements. For ``gan`` this is the usual BCE-with-logits loss
    :math:`\mathbb{E}[\mathrm{softplus}(-v_{real})] + \mathbb{E}[\mathrm{softplus}(v_{fake})]`.
    Source: Nowozin et al. 2016, eq. (6) and Table 2.
    """
    entry = _resolve(name, params)
    real_v, fake_v = tensor_arg("real_v", real_v), tensor_arg("fake_v", fake_v)
    return -(entry.activation(real_v).mean() - entry.conjugate_activation(fake_v).mean())


def fgan_generator_loss(name: str | FDivergence, fake_v: Tensor, **params: float) -> Tensor:
    r"""Loss the generator minimises: the part of :math:`F` that depends on it,
    :math:`-\mathbb{E}_{x\sim Q_\theta}[f^*(g_f(V(x)))]` (mean over all elements). For ``gan``
    it is :math:`\mathbb{E}[\log(1 - D(G(z)))]`, the saturating minimax cost; Nowozin et al.
    (Sec. 3.2) also use :math:`-\mathbb{E}[g_f(V(G(z)))]` instead. Source: Nowozin et al. 2016,
    eq. (6)."""
    entry = _resolve(name, params)
    return -entry.conjugate_activation(tensor_arg("fake_v", fake_v)).mean()
