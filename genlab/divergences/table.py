"""The table of f-divergences: each entry's generator f, its convex conjugate f*, the f-GAN
output activation g_f and the slide's notes (declarative: one function per row).
Sources and conventions: :mod:`genlab.divergences`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch
import torch.nn.functional as F
from torch import Tensor

from genlab._checks import positive, tensor_arg

__all__ = ["F_DIVERGENCES", "FDivergence", "Interval", "get_divergence", "jensen_shannon_weighted"]

LOG2 = math.log(2.0)
INF = math.inf


@dataclass(frozen=True)
class Interval:
    """An interval of the real line; ``low_closed``/``high_closed``: whether each end belongs."""

    low: float
    high: float
    low_closed: bool = False
    high_closed: bool = False

    def contains(self, t: Tensor) -> Tensor:
        """Elementwise ``t in self`` (False for NaN)."""
        above = t >= self.low if self.low_closed else t > self.low
        below = t <= self.high if self.high_closed else t < self.high
        return above & below

    def __str__(self) -> str:
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{self.low:.6g}, {self.high:.6g}{right}"


@dataclass(frozen=True)
class FDivergence:
    r"""One row of the f-divergence table: :math:`D_f(P\|Q) = \int q\, f(p/q)\, dx`.

    The public methods check their arguments and call the formula fields (``*_fn``), which
    take and return tensors of any shape, dtype and device. ``f_at_zero`` is
    :math:`f(0^+)` and ``f_slope_at_infinity`` is :math:`\lim_{u\to\infty} f(u)/u`: they give
    the integrand where one density is exactly zero (:math:`0 f(a/0) = a f'(\infty)`).
    Source: Nowozin et al. 2016, Tables 1-2; slide "The GAN Zoo: use various divergence".
    """

    name: str
    display_name: str
    domain: Interval
    f_fn: Callable[[Tensor], Tensor] = field(repr=False, compare=False)
    conjugate_fn: Callable[[Tensor], Tensor] = field(repr=False, compare=False)
    activation_fn: Callable[[Tensor], Tensor] = field(repr=False, compare=False)
    conjugate_activation_fn: Callable[[Tensor], Tensor] = field(repr=False, compare=False)
    integrand_fn: Callable[[Tensor, Tensor], Tensor] = field(repr=False, compare=False)
    f_at_zero: float = field(repr=False)
    f_slope_at_infinity: float = field(repr=False)
    latex_divergence: str = field(repr=False)
    latex_f: str = field(repr=False)
    latex_conjugate: str = field(repr=False)
    latex_activation: str = field(repr=False)
    slide_note: str = field(default="", repr=False)
    params: tuple[tuple[str, float], ...] = ()

    def f(self, u: Tensor) -> Tensor:
        r"""The generator :math:`f(u)`, defined for :math:`u > 0` (NaN propagates)."""
        u = tensor_arg("u", u)
        bad = ~((u > 0) | torch.isnan(u))
        if bool(bad.any()):
            raise ValueError(f"u must be > 0 (f is defined on u > 0); got u = {u[bad][0].item()!r}")
        return self.f_fn(u)

    def conjugate(self, t: Tensor) -> Tensor:
        r"""The convex conjugate :math:`f^*(t) = \sup_{u>0} \{t u - f(u)\}` on ``domain``.

        Raises ValueError if any ``t`` is infinite or outside the closure of the domain. At an
        open end of the domain :math:`f^* = +\infty` and ``inf`` is returned (floating-point
        activations of very large ``v`` land exactly there). NaN propagates.
        """
        t = tensor_arg("t", t)
        closure = Interval(self.domain.low, self.domain.high, True, True)
        bad = ~((closure.contains(t) & torch.isfinite(t)) | torch.isnan(t))
        if bool(bad.any()):
            raise ValueError(
                f"t must lie in dom f* = {self.domain} for {self.name!r}; "
                f"got t = {t[bad][0].item()!r} ({int(bad.sum())} value(s) outside)"
            )
        return self.conjugate_fn(t)

    def activation(self, v: Tensor) -> Tensor:
        r"""Output activation :math:`g_f: \mathbb{R} \to \mathrm{dom} f^*` (Nowozin Table 2)."""
        return self.activation_fn(tensor_arg("v", v))

    def conjugate_activation(self, v: Tensor) -> Tensor:
        r""":math:`f^*(g_f(v))` in a fused, stable form: finite values and gradients for
        :math:`|v| \le 100` in float64. In float32 the rows whose value itself grows like
        :math:`e^{|v|}` (``kl``, ``squared_hellinger``, ``jeffrey``) overflow past
        :math:`|v| \approx 88`: the true value exceeds float32's range."""
        return self.conjugate_activation_fn(tensor_arg("v", v))

    def integrand(self, p: Tensor, q: Tensor) -> Tensor:
        r"""The table's first column written in the densities, pointwise: equals
        :math:`q\,f(p/q)` (with :math:`0 f(0/0) = 0`, :math:`0 f(a/0) = a f'(\infty)`)."""
        p, q = tensor_arg("p", p), tensor_arg("q", q)
        for arg, value in (("p", p), ("q", q)):
            if bool((value < 0).any()):
                raise ValueError(
                    f"{arg} must be a density (>= 0); got a value {value.min().item()}"
                )
        return self.integrand_from_log_prob(torch.log(p), torch.log(q))

    def integrand_from_log_prob(self, log_p: Tensor, log_q: Tensor) -> Tensor:
        r""":math:`q(x) f(p(x)/q(x))` computed from :math:`\log p, \log q` (no underflow)."""
        log_p, log_q = torch.broadcast_tensors(
            tensor_arg("log_p", log_p), tensor_arg("log_q", log_q)
        )
        p_zero, q_zero = torch.isneginf(log_p), torch.isneginf(log_q)
        # substitute 0 for -inf so that neither the value nor its gradient meets inf - inf
        lp = torch.where(p_zero, torch.zeros_like(log_p), log_p)
        lq = torch.where(q_zero, torch.zeros_like(log_q), log_q)
        out = self.integrand_fn(lp, lq)
        inf = torch.full_like(out, INF)
        at_q_zero = inf if self.f_slope_at_infinity == INF else lp.exp() * self.f_slope_at_infinity
        at_p_zero = inf if self.f_at_zero == INF else lq.exp() * self.f_at_zero
        out = torch.where(q_zero, at_q_zero, out)
        out = torch.where(p_zero, at_p_zero, out)
        out = torch.where(p_zero & q_zero, torch.zeros_like(out), out)
        return torch.where(
            torch.isnan(log_p) | torch.isnan(log_q), torch.full_like(out, math.nan), out
        )


# ----------------------------------------------------------------------------------------
# numerical helpers
# ----------------------------------------------------------------------------------------


def _xlogratio(la: Tensor, lb: Tensor) -> Tensor:
    r""":math:`a \log(a/b)` from finite :math:`\log a, \log b`."""
    return la.exp() * (la - lb)


def _q_expm1_sq(lq: Tensor, d: Tensor) -> Tensor:
    r""":math:`q\,(e^d - 1)^2` from finite :math:`\log q` and :math:`d` without overflow."""
    big = d > 300.0
    d_small = torch.where(big, torch.zeros_like(d), d)
    d_big = torch.where(big, d, torch.full_like(d, 301.0))
    small = lq.exp() * torch.expm1(d_small) ** 2
    large = torch.exp(lq + 2.0 * (d_big + torch.log(-torch.expm1(-d_big))))
    return torch.where(big, large, small)


_NEWTON_STEPS = 8


def _log_wright_omega(y: Tensor) -> Tensor:
    r""":math:`\log\omega(y)`; :math:`\omega(y) = W(e^y)` solves :math:`\omega + \log\omega = y`.

    Newton on :math:`s = \log\omega`, :math:`h(s) = e^s + s - y` (convex, increasing), started
    right of the root so it converges monotonically; the last step is taken with autograd on,
    which gives the exact derivative :math:`ds/dy = 1/(1+\omega)` (implicit function theorem).
    """
    with torch.no_grad():
        s = torch.where(y > 1, torch.log(y.clamp_min(1.0)), y)
        for _ in range(_NEWTON_STEPS):
            es = s.exp()
            s = s - (es + s - y) / (es + 1)
    es = s.exp()
    return s - (es + s - y) / (es + 1)


def _jeffrey_conjugate(t: Tensor) -> Tensor:
    log_w = _log_wright_omega(1 - t)  # W(e^{1-t}) = exp(log_w)
    return log_w.exp() + (-log_w).exp() + t - 2


# ----------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------

_PEARSON_NEYMAN_NOTE = (
    "Slide (and Nowozin's Table 1) print Pearson's integrand as int (q-p)^2/p and Neyman's as "
    "int (p-q)^2/q, next to f=(u-1)^2 and f=(1-u)^2/u. But int q f(p/q) with f=(u-1)^2 is "
    "int (p-q)^2/q and with f=(1-u)^2/u it is int (p-q)^2/p: the two integrands are swapped. "
    "The code keeps each name with its f and f* (the usual convention: Pearson chi^2 = "
    "int (p-q)^2/q) and fixes the integrands."
)


def _total_variation() -> FDivergence:
    return FDivergence(
        name="total_variation",
        display_name="Total variation",
        domain=Interval(-INF, 0.5, high_closed=True),
        f_fn=lambda u: 0.5 * (u - 1).abs(),
        conjugate_fn=lambda t: t.clamp_min(-0.5),
        activation_fn=lambda v: 0.5 * torch.tanh(v),
        conjugate_activation_fn=lambda v: 0.5 * torch.tanh(v),
        integrand_fn=lambda lp, lq: 0.5 * (lp.exp() - lq.exp()).abs(),
        f_at_zero=0.5,
        f_slope_at_infinity=0.5,
        latex_divergence=r"\frac{1}{2}\int |p(x) - q(x)|\,dx",
        latex_f=r"\frac{1}{2}|u - 1|",
        latex_conjugate=r"\max\left(t, -\tfrac{1}{2}\right)",
        latex_activation=r"\tfrac{1}{2}\tanh v",
        slide_note=(
            "Slide/Nowozin give f*(t) = t on |t| <= 1/2: the conjugate of |u-1|/2 extended to "
            "all real u. Over u > 0 (where f lives) the sup for t < -1/2 is -1/2 (u -> 0), so "
            "the code uses max(t, -1/2) on t <= 1/2. Same values on |t| <= 1/2, where the "
            "activation tanh(v)/2 lands."
        ),
    )


def _kl() -> FDivergence:
    return FDivergence(
        name="kl",
        display_name="Kullback-Leibler",
        domain=Interval(-INF, INF),
        f_fn=lambda u: u * torch.log(u),
        conjugate_fn=lambda t: torch.exp(t - 1),
        activation_fn=lambda v: v,
        conjugate_activation_fn=lambda v: torch.exp(v - 1),
        integrand_fn=_xlogratio,
        f_at_zero=0.0,
        f_slope_at_infinity=INF,
        latex_divergence=r"\int p(x) \log \frac{p(x)}{q(x)}\,dx",
        latex_f=r"u \log u",
        latex_conjugate=r"\exp(t - 1)",
        latex_activation=r"v",
    )


def _reverse_kl() -> FDivergence:
    return FDivergence(
        name="reverse_kl",
        display_name="Reverse Kullback-Leibler",
        domain=Interval(-INF, 0.0),
        f_fn=lambda u: -torch.log(u),
        conjugate_fn=lambda t: -1 - torch.log(-t),
        activation_fn=lambda v: -torch.exp(-v),
        conjugate_activation_fn=lambda v: v - 1,  # -1 - log(exp(-v))
        integrand_fn=lambda lp, lq: _xlogratio(lq, lp),
        f_at_zero=INF,
        f_slope_at_infinity=0.0,
        latex_divergence=r"\int q(x) \log \frac{q(x)}{p(x)}\,dx",
        latex_f=r"-\log u",
        latex_conjugate=r"-1 - \log(-t)",
        latex_activation=r"-\exp(-v)",
        slide_note=(
            "Slide's integrand is garbled ('int g(x) log q(x)/q(x) dx'); it is int q log(q/p). "
            "Its conjugate cell holds two entries, 'exp(t-1)' (the KL row's) and "
            "'-1 - log(-t)' (this row's)."
        ),
    )


def _pearson() -> FDivergence:
    def conjugate(t: Tensor) -> Tensor:
        s = t.clamp_min(-2.0)  # below t = -2 the sup over u > 0 is -1, reached as u -> 0
        return 0.25 * s * s + s

    return FDivergence(
        name="pearson",
        display_name="Pearson χ²",
        domain=Interval(-INF, INF),
        f_fn=lambda u: (u - 1) ** 2,
        conjugate_fn=conjugate,
        activation_fn=lambda v: v,
        conjugate_activation_fn=conjugate,
        integrand_fn=lambda lp, lq: _q_expm1_sq(lq, lp - lq),
        f_at_zero=1.0,
        f_slope_at_infinity=INF,
        latex_divergence=r"\int \frac{(p(x) - q(x))^2}{q(x)}\,dx",
        latex_f=r"(u - 1)^2",
        latex_conjugate=r"\tfrac{1}{4}t^2 + t \ (t \ge -2), \quad -1 \ (t < -2)",
        latex_activation=r"v",
        slide_note=_PEARSON_NEYMAN_NOTE
        + " Also: the printed f*(t) = t^2/4 + t is the conjugate of (u-1)^2 over all real u; "
        "over u > 0 it is -1 for t < -2, which the code uses (equal for t >= -2, where every "
        "optimal T = f'(p/q) = 2(p/q - 1) lies).",
    )


def _neyman() -> FDivergence:
    return FDivergence(
        name="neyman",
        display_name="Neyman χ²",
        domain=Interval(-INF, 1.0, high_closed=True),
        f_fn=lambda u: (1 - u) ** 2 / u,
        conjugate_fn=lambda t: 2 - 2 * torch.sqrt(1 - t),
        activation_fn=lambda v: -torch.expm1(v),  # 1 - exp(v), as in Nowozin's Table 2
        conjugate_activation_fn=lambda v: 2 - 2 * torch.exp(0.5 * v),
        integrand_fn=lambda lp, lq: _q_expm1_sq(lp, lq - lp),
        f_at_zero=INF,
        f_slope_at_infinity=1.0,
        latex_divergence=r"\int \frac{(p(x) - q(x))^2}{p(x)}\,dx",
        latex_f=r"\frac{(1 - u)^2}{u}",
        latex_conjugate=r"2 - 2\sqrt{1 - t}",
        latex_activation=r"1 - \exp(v)",
        slide_note=_PEARSON_NEYMAN_NOTE
        + " The conjugate cell reads '\\vec{2} - 2 sqrt(1-t)', a PDF artefact for 2 - 2 sqrt(1-t).",
    )


def _squared_hellinger() -> FDivergence:
    def integrand(lp: Tensor, lq: Tensor) -> Tensor:
        hi, lo = torch.maximum(lp, lq), torch.minimum(lp, lq)
        return _q_expm1_sq(hi, 0.5 * (lo - hi))  # max(p,q) (sqrt(min/max) - 1)^2

    return FDivergence(
        name="squared_hellinger",
        display_name="Squared Hellinger",
        domain=Interval(-INF, 1.0),
        f_fn=lambda u: (torch.sqrt(u) - 1) ** 2,
        conjugate_fn=lambda t: t / (1 - t),
        activation_fn=lambda v: -torch.expm1(v),  # 1 - exp(v), as in Nowozin's Table 2
        conjugate_activation_fn=lambda v: torch.expm1(-v),
        integrand_fn=integrand,
        f_at_zero=1.0,
        f_slope_at_infinity=1.0,
        latex_divergence=r"\int \left(\sqrt{p(x)} - \sqrt{q(x)}\right)^2 dx",
        latex_f=r"\left(\sqrt{u} - 1\right)^2",
        latex_conjugate=r"\frac{t}{1 - t}",
        latex_activation=r"1 - \exp(v)",
    )


def _jeffrey() -> FDivergence:
    return FDivergence(
        name="jeffrey",
        display_name="Jeffrey",
        domain=Interval(-INF, INF),
        f_fn=lambda u: (u - 1) * torch.log(u),
        conjugate_fn=_jeffrey_conjugate,
        activation_fn=lambda v: v,
        conjugate_activation_fn=_jeffrey_conjugate,
        integrand_fn=lambda lp, lq: (lp.exp() - lq.exp()) * (lp - lq),
        f_at_zero=INF,
        f_slope_at_infinity=INF,
        latex_divergence=r"\int (p(x) - q(x)) \log \frac{p(x)}{q(x)}\,dx",
        latex_f=r"(u - 1)\log u",
        latex_conjugate=r"W(e^{1-t}) + \frac{1}{W(e^{1-t})} + t - 2",
        latex_activation=r"v",
        slide_note=(
            "The conjugate cell reads 'W(e^{1-t}) + 1/W(e^{1-t}) + t - 2 - log(2 - exp(t))': the "
            "trailing '- log(2 - exp(t))' is the Jensen-Shannon row's entry run into this one. "
            "W is Lambert's W, computed here as the Wright omega function W(e^y)."
        ),
    )


def _jensen_shannon() -> FDivergence:
    def f(u: Tensor) -> Tensor:  # (u log u - (u+1) log((u+1)/2)) / 2, stable for large u
        return 0.5 * ((u + 1) * LOG2 - u * torch.log1p(1 / u) - torch.log1p(u))

    def integrand(lp: Tensor, lq: Tensor) -> Tensor:
        lm = torch.logaddexp(lp, lq) - LOG2  # log of the midpoint density (p+q)/2
        return 0.5 * (_xlogratio(lp, lm) + _xlogratio(lq, lm))

    return FDivergence(
        name="jensen_shannon",
        display_name="Jensen-Shannon",
        domain=Interval(-INF, 0.5 * LOG2),
        f_fn=f,
        conjugate_fn=lambda t: (
            -0.5 * LOG2 - 0.5 * torch.log(-torch.expm1((2 * t - LOG2).clamp_max(0.0)))
        ),
        activation_fn=lambda v: 0.5 * (LOG2 - F.softplus(-v)),
        conjugate_activation_fn=lambda v: 0.5 * (F.softplus(v) - LOG2),
        integrand_fn=integrand,
        f_at_zero=0.5 * LOG2,
        f_slope_at_infinity=0.5 * LOG2,
        latex_divergence=(
            r"\frac{1}{2}\int p(x)\log\frac{2p(x)}{p(x)+q(x)}"
            r" + q(x)\log\frac{2q(x)}{p(x)+q(x)}\,dx"
        ),
        latex_f=r"\frac{1}{2}\left(u\log u - (u+1)\log\frac{u+1}{2}\right)",
        latex_conjugate=r"-\frac{1}{2}\log\left(2 - e^{2t}\right)",
        latex_activation=r"\frac{1}{2}\left(\log 2 - \log(1 + e^{-v})\right)",
        slide_note=(
            "Slide (and Nowozin's Tables 1-2) give f = -(u+1) log((1+u)/2) + u log u and "
            "f* = -log(2 - e^t), g = log 2 - log(1 + e^-v); but int q f(p/q) with that f is "
            "2 JSD, twice the row's own integrand (which has the 1/2 and is the JSD of the GAN "
            "proof). The code halves f, so f*(t) = -log(2 - e^{2t})/2 on t < log(2)/2 and "
            "g = (log 2 - log(1 + e^-v))/2: D_f = JSD <= log 2, equal to the weighted row at "
            "pi = 1/2. The f-GAN loss is the paper's halved (same minimiser)."
        ),
    )


def jensen_shannon_weighted(pi: float = 0.5) -> FDivergence:
    r"""The weighted Jensen-Shannon row for weight :math:`\pi \in (0, 1)`.

    .. math::
        D = \int \pi p \log\frac{p}{m} + (1-\pi) q \log\frac{q}{m}\,dx,\quad m = \pi p + (1-\pi) q,
        \qquad f^*(t) = (1-\pi)\log\frac{1-\pi}{1 - \pi e^{t/\pi}}

    Source: slide "The GAN Zoo" table; Nowozin et al. 2016, Table 1 and Appendix.
    """
    pi = positive("pi", pi)
    if pi >= 1:
        raise ValueError(f"pi must be in the open interval (0, 1); got {pi!r}")
    log_pi, log_1m = math.log(pi), math.log1p(-pi)

    def f(u: Tensor) -> Tensor:  # pi u log(u/m) - (1-pi) log m,  m = 1 - pi + pi u
        log_m = torch.log1p(pi * (u - 1))
        return pi * u * (torch.log(u) - log_m) - (1 - pi) * log_m

    def conjugate(t: Tensor) -> Tensor:
        a = (t / pi + log_pi).clamp_max(0.0)  # log(pi e^{t/pi}) <= 0 on the domain
        return (1 - pi) * (log_1m - torch.log(-torch.expm1(a)))

    def integrand(lp: Tensor, lq: Tensor) -> Tensor:
        lm = torch.logaddexp(lp + log_pi, lq + log_1m)
        return pi * _xlogratio(lp, lm) + (1 - pi) * _xlogratio(lq, lm)

    return FDivergence(
        name="jensen_shannon_weighted",
        display_name=f"Jensen-Shannon-weighted (π = {pi:g})",
        domain=Interval(-INF, -pi * log_pi),
        f_fn=f,
        conjugate_fn=conjugate,
        activation_fn=lambda v: -pi * log_pi - pi * F.softplus(-v),
        conjugate_activation_fn=lambda v: (1 - pi) * (log_1m + F.softplus(v)),
        integrand_fn=integrand,
        f_at_zero=-(1 - pi) * log_1m,
        f_slope_at_infinity=-pi * log_pi,
        latex_divergence=(
            r"\int \pi p(x)\log\frac{p(x)}{\pi p(x)+(1-\pi)q(x)}"
            r" + (1-\pi) q(x)\log\frac{q(x)}{\pi p(x)+(1-\pi)q(x)}\,dx"
        ),
        latex_f=r"\pi u\log u - (1-\pi+\pi u)\log(1-\pi+\pi u)",
        latex_conjugate=r"(1-\pi)\log\frac{1-\pi}{1-\pi e^{t/\pi}}",
        latex_activation=r"-\pi\log\pi - \pi\log(1 + e^{-v})",
        slide_note=(
            "The slide's f, integrand and f* for this row agree (checked). Nowozin's Table 2 "
            "gives no activation for it; g(v) = -pi log pi - pi log(1 + e^-v) is ours, and at "
            "pi = 1/2 it is the Jensen-Shannon row's."
        ),
        params=(("pi", pi),),
    )


def _gan() -> FDivergence:
    def f(u: Tensor) -> Tensor:  # u log u - (u+1) log(u+1), stable for large u
        return -u * torch.log1p(1 / u) - torch.log1p(u)

    def integrand(lp: Tensor, lq: Tensor) -> Tensor:
        ls = torch.logaddexp(lp, lq)
        return _xlogratio(lp, ls) + _xlogratio(lq, ls)

    return FDivergence(
        name="gan",
        display_name="GAN",
        domain=Interval(-INF, 0.0),
        f_fn=f,
        conjugate_fn=lambda t: -torch.log(-torch.expm1(t.clamp_max(0.0))),
        activation_fn=lambda v: -F.softplus(-v),
        conjugate_activation_fn=F.softplus,
        integrand_fn=integrand,
        f_at_zero=0.0,
        f_slope_at_infinity=0.0,
        latex_divergence=(
            r"\int p(x)\log\frac{2p(x)}{p(x)+q(x)}"
            r" + q(x)\log\frac{2q(x)}{p(x)+q(x)}\,dx - \log 4"
        ),
        latex_f=r"u\log u - (u+1)\log(u+1)",
        latex_conjugate=r"-\log\left(1 - e^{t}\right)",
        latex_activation=r"-\log(1 + e^{-v})",
        slide_note=(
            "Consistent as printed, but f(1) = -log 4, not 0: D_f(P||P) = -log 4 and "
            "D_f = 2 JSD - log 4, the GAN game's value at D*. The pointwise integrand folds the "
            "-log 4 in as -(p+q) log 2: p log(p/(p+q)) + q log(q/(p+q))."
        ),
    )


F_DIVERGENCES: Mapping[str, FDivergence] = MappingProxyType(
    {
        entry.name: entry
        for entry in (
            _total_variation(),
            _kl(),
            _reverse_kl(),
            _pearson(),
            _neyman(),
            _squared_hellinger(),
            _jeffrey(),
            _jensen_shannon(),
            jensen_shannon_weighted(0.5),
            _gan(),
        )
    }
)


def get_divergence(name: str, **params: float) -> FDivergence:
    """The table row called ``name``; ``jensen_shannon_weighted`` takes ``pi`` (default 0.5)."""
    if not isinstance(name, str) or name not in F_DIVERGENCES:
        raise ValueError(f"name must be one of {', '.join(map(repr, F_DIVERGENCES))}; got {name!r}")
    if name == "jensen_shannon_weighted":
        unknown = set(params) - {"pi"}
        if not unknown:
            return jensen_shannon_weighted(**params)
    elif not params:
        return F_DIVERGENCES[name]
    else:
        unknown = set(params)
    raise ValueError(
        f"unexpected parameter(s) {sorted(unknown)} for {name!r}; "
        "only 'jensen_shannon_weighted' takes one (pi)"
    )


def _resolve(name_or_entry: str | FDivergence, params: dict) -> FDivergence:
    if isinstance(name_or_entry, FDivergence):
        if params:
            raise ValueError(
                f"parameters {sorted(params)} cannot be combined with an FDivergence entry; "
                "pass the name instead"
            )
        return name_or_entry
    return get_divergence(name_or_entry, **params)
