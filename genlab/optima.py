r"""Closed-form optima that the exercise sheets ask students to derive: the best Gaussian decoder
a code that cannot tell its images apart allows (why such a decoder is blurry, lecture 04), and
the optimal discriminator of a weighted cross-entropy with a soft real label (unequal batch
weights, lecture 06; one-sided label smoothing, lecture 08).

Both are pointwise optima: an expected loss is minimised separately at every pixel or every
point :math:`x`. Tests compare them with numerical minimisation of the same losses.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from genlab._checks import tensor_arg
from genlab.theory import optimal_logit_from_log_probs

__all__ = ["DecoderOptimum", "gaussian_decoder_optimum", "weighted_optimal_discriminator"]


class DecoderOptimum(NamedTuple):
    """The mean ``(D,)`` and the shared variance ``()`` of the best Gaussian decoder."""

    mean: Tensor
    variance: Tensor


def gaussian_decoder_optimum(images: Tensor, probs: Tensor) -> DecoderOptimum:
    r"""The decoder :math:`\mathcal N(\mu, \sigma^2 I)` that minimises the expected negative
    log-likelihood of ``images`` ``(K, D)`` drawn with probabilities ``probs`` ``(K,)``, when
    it must output the same :math:`(\mu, \sigma^2)` for all of them (its code carries no
    information about which one it is).

    .. math::
        \min_{\mu, \sigma^2} \sum_k \pi_k \left(\frac{\|x_k - \mu\|^2}{2\sigma^2}
            + \frac D2 \log 2\pi\sigma^2\right): \qquad
        \mu^* = \sum_k \pi_k x_k, \qquad
        \sigma^{2*} = \frac1D \sum_k \pi_k \|x_k - \mu^*\|^2

    The mean image is the blur of lecture 04 ("problems of VAEs"): the squared error is
    minimised by the average, not by any one of the images. ``probs`` must sum to 1.
    """
    images, probs = tensor_arg("images", images), tensor_arg("probs", probs)
    if images.dim() != 2 or probs.shape != images.shape[:1]:
        raise ValueError(
            "images must be (K, D) and probs (K,); got shapes "
            f"{tuple(images.shape)} and {tuple(probs.shape)}"
        )
    total = float(probs.sum())
    if (probs < 0).any() or abs(total - 1.0) > 1e-6:
        raise ValueError(f"probs must be >= 0 and sum to 1; got a sum of {total:.6g}")
    mean = probs @ images  # (K,) @ (K, D) -> (D,)
    variance = (probs * ((images - mean) ** 2).sum(-1)).sum() / images.shape[-1]
    return DecoderOptimum(mean, variance)


def weighted_optimal_discriminator(
    log_p_data: Tensor,
    log_p_g: Tensor,
    real_label: float = 1.0,
    real_weight: float = 1.0,
    fake_weight: float = 1.0,
) -> Tensor:
    r"""The discriminator :math:`D^*(x)` that minimises the cross-entropy of real samples
    against the label :math:`a` (``real_label``), weighted :math:`w_r`, plus that of fakes
    against 0, weighted :math:`w_f`; from the two log-densities (any matching shapes).

    .. math::
        J(D) = -w_r\, \mathbb E_{p_{data}}\big[a \log D + (1 - a)\log(1 - D)\big]
               - w_f\, \mathbb E_{p_g}\big[\log(1 - D)\big]: \qquad
        D^*(x) = \frac{a\, w_r\, p_{data}(x)}{w_r\, p_{data}(x) + w_f\, p_g(x)}

    With :math:`a = 1` and equal weights it is Goodfellow et al.'s :math:`D^*` (2014,
    Prop. 1); :math:`a = 0.9` is one-sided label smoothing (Salimans et al. 2016, Sec. 3.4),
    which caps :math:`D^*` at :math:`a`; a concatenated batch of :math:`B` real and
    :math:`B'` fake samples averaged together weighs them :math:`B` to :math:`B'`. Where both
    densities are zero, :math:`D^*` is undefined and returned as :math:`a/2`.
    """
    log_p_data, log_p_g = tensor_arg("log_p_data", log_p_data), tensor_arg("log_p_g", log_p_g)
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label must be in (0, 1]; got {real_label!r}")
    for name, weight in (("real_weight", real_weight), ("fake_weight", fake_weight)):
        if not weight > 0:
            raise ValueError(f"{name} must be > 0; got {weight!r}")
    shift = torch.log(torch.as_tensor(real_weight / fake_weight, dtype=log_p_data.dtype))
    logit = optimal_logit_from_log_probs(log_p_data + shift, log_p_g)
    return real_label * torch.sigmoid(logit)
