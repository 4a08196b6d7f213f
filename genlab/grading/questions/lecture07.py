r"""Questions of exercise 07 (f-divergences): the convex conjugate of the Pearson
:math:`\chi^2` generator over :math:`u > 0` (where the printed table is wrong), the
f-divergence of distributions on :math:`K` points for a given generator :math:`f`, the f-GAN
losses of the reverse-KL row with its output activation, and the variational lower bound of
the KL divergence.

References: :meth:`genlab.divergences.FDivergence.conjugate` and ``.integrand`` of the rows of
:data:`genlab.divergences.F_DIVERGENCES`, :func:`genlab.divergences.fgan_discriminator_loss`,
:func:`genlab.divergences.fgan_generator_loss` and :func:`genlab.divergences.variational_bound`.
"""

from __future__ import annotations

import torch

from genlab.divergences import (
    F_DIVERGENCES,
    fgan_discriminator_loss,
    fgan_generator_loss,
    get_divergence,
    variational_bound,
)
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.protocol import F_GENERATORS
from genlab.grading.questions._inputs import dtype_for, randn, uniform

_SHAPES = {
    "visible": ((6,), (3, 4), (5,)),
    "hidden": ((4,), (2, 6), (8,), (3, 3), (7,), (2, 5)),
}


def _shape(case: int, suite: str) -> tuple[int, ...]:
    shapes = _SHAPES[suite]
    return shapes[case % len(shapes)]


# ------------------------------------------------------------ the Pearson conjugate over u > 0

_PEARSON = get_divergence("pearson")


def _conjugate_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    t = uniform(g, *shape, low=-7.0, high=4.0)
    t.view(-1)[0] = -5.0  # below -2, where the printed formula is wrong
    return {"t": t.to(dtype)}


register(
    Question(
        id="ex07_pearson_conjugate",
        kind="derivation",
        hints=(
            "A supremum over u > 0 of a concave function of u is reached at the stationary point "
            "if that point is admissible, otherwise at the boundary u -> 0.",
            "The stationary point is u = 1 + t/2; it is admissible only for t > -2. For t <= -2 "
            "the supremum is the limit at u -> 0.",
            "Two branches: t^2/4 + t above -2, and the constant value of t u - (u - 1)^2 at u = 0 "
            "below it; the two meet continuously at t = -2.",
        ),
        reference=_PEARSON.conjugate,
        inputs=_conjugate_inputs,
        grad_args=("t",),
        mistakes=(
            Mistake(
                lambda t: 0.25 * t**2 + t,
                "that is the printed table's f*(t) = t^2/4 + t, the conjugate of (u - 1)^2 over "
                "all real u. f is defined on u > 0 only: for t < -2 the maximiser u = 1 + t/2 "
                "would be negative, the sup is approached as u -> 0, and f*(t) = -1",
            ),
            Mistake(
                lambda t: torch.where(t < 0, -torch.ones_like(t), 0.25 * t**2 + t),
                "f*(t) = t^2/4 + t holds for every t >= -2 (where u = 1 + t/2 >= 0), and "
                "f*(t) = -1 below -2, not below 0",
            ),
            Mistake(
                lambda t: 0.25 * t.clamp_min(-2.0) ** 2 - t.clamp_min(-2.0),
                "the sign of the linear term: sup_u (t u - (u - 1)^2) is at u = 1 + t/2, where "
                "it equals t^2/4 + t",
            ),
            Mistake(
                lambda t: 0.5 * t.clamp_min(-2.0) ** 2 + t.clamp_min(-2.0),
                "the quadratic term is t^2 / 4 (from u = 1 + t/2), not t^2 / 2",
            ),
        ),
    )
)


# --------------------------------------------------------------- D_f of discrete distributions

# the rows of genlab's table that the generators f of grading.protocol.F_GENERATORS belong to
ROWS = {
    "z*log(z)": "kl",
    "-log(z)": "reverse_kl",
    "(z - 1)**2": "pearson",
    "(sqrt(z) - 1)**2": "squared_hellinger",
    "abs(z - 1) / 2": "total_variation",
    "z*log(z) - (z + 1)*log(z + 1)": "gan",
}
_ORDER = {
    "visible": ("z*log(z)", "(z - 1)**2", "-log(z)"),
    "hidden": (
        "-log(z)",
        "(sqrt(z) - 1)**2",
        "z*log(z) - (z + 1)*log(z + 1)",
        "z*log(z)",
        "abs(z - 1) / 2",
        "(z - 1)**2",
    ),
}


def _f_divergence(f, p, q):
    return F_DIVERGENCES[ROWS[f.name]].integrand(p, q).sum(-1)  # sum_k q_k f(p_k / q_k)


def _positive_simplex(g, shape, dtype):
    w = uniform(g, *shape, low=0.05, high=1.0)
    return (w / w.sum(-1, keepdim=True)).to(dtype)


def _divergence_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    order = _ORDER[suite]
    return {
        "f": F_GENERATORS[order[case % len(order)]],
        "p": _positive_simplex(g, shape, dtype),
        "q": _positive_simplex(g, shape, dtype),
    }


register(
    Question(
        id="ex07_f_divergence",
        kind="transcription",
        hints=(
            "An f-divergence weights f of the density ratio by q.",
            "Form the ratio p / q elementwise and apply f to it.",
            "A sum over the last dimension of q times f(p / q), shape (...).",
        ),
        reference=_f_divergence,
        inputs=_divergence_inputs,
        mistakes=(
            Mistake(
                lambda f, p, q: (p * f(q / p)).sum(-1),
                "P and Q are swapped: D_f(P || Q) = sum_k q_k f(p_k / q_k), an expectation "
                "under Q of f of the ratio p / q",
            ),
            Mistake(
                lambda f, p, q: (p * f(p / q)).sum(-1),
                "the weights are q: D_f(P || Q) = sum_k q_k f(p_k / q_k)",
            ),
            Mistake(
                lambda f, p, q: (q * f(q / p)).sum(-1),
                "the ratio is p / q: D_f(P || Q) = sum_k q_k f(p_k / q_k)",
            ),
            Mistake(
                lambda f, p, q: f(p / q).sum(-1),
                "each term is weighted by q_k: D_f(P || Q) = sum_k q_k f(p_k / q_k)",
            ),
            Mistake(
                lambda f, p, q: (q * f(p / q)).mean(-1),
                "sum over the K points (an expectation under Q is sum_k q_k ...), do not average",
            ),
        ),
    )
)


# ------------------------------------------------------------------- the f-GAN losses

_REVERSE_KL = get_divergence("reverse_kl")


def _fgan_losses(real_v, fake_v):
    return (
        fgan_discriminator_loss("reverse_kl", real_v, fake_v),
        fgan_generator_loss("reverse_kl", fake_v),
    )


def _fgan_inputs(g, case, suite):
    sizes = (
        ((6, 4), (3, 5), (8, 7))
        if suite == "visible"
        else ((5, 7), (2, 3), (9, 4), (4, 6), (7, 5), (6, 8))
    )
    n_real, n_fake = sizes[case % len(sizes)]
    dtype = dtype_for(case, suite)
    return {
        "real_v": randn(g, n_real, scale=1.5, dtype=dtype),
        "fake_v": randn(g, n_fake, scale=1.5, dtype=dtype),
    }


def _fgan_variant(kind):
    def wrong(real_v, fake_v):
        g = _REVERSE_KL.activation  # -exp(-v)
        star = _REVERSE_KL.conjugate_fn  # -1 - log(-t), NaN for t > 0
        t_real = real_v if kind == "no_activation" else g(real_v)
        t_fake = fake_v if kind == "no_activation" else g(fake_v)
        F_value = t_real.mean() - star(t_fake).mean()
        g_loss = -star(t_fake).mean()
        if kind == "signs":
            return F_value, -g_loss
        if kind == "d_sign":
            return F_value, g_loss
        if kind == "g_sign":
            return -F_value, -g_loss
        if kind == "g_whole":
            return -F_value, -F_value
        if kind == "g_alternative":
            return -F_value, -t_fake.mean()
        if kind == "sum":
            return -(t_real.sum() - star(t_fake).sum()), -star(t_fake).sum()
        return -F_value, g_loss  # "no_activation"

    return wrong


register(
    Question(
        id="ex07_fgan_losses",
        kind="transcription",
        hints=(
            "Compose the conjugate with the output activation first: f*(g_f(v)) for reverse KL "
            "simplifies to something linear in v.",
            "With g_f(v) = -exp(-v), -log(-g_f(v)) = v, so f*(g_f(v)) = -1 + v.",
            "Two 0-d tensors: the critic's loss is -F (both batch means), the generator's loss "
            "only the fake term with its sign.",
        ),
        reference=_fgan_losses,
        inputs=_fgan_inputs,
        fields=("d_loss", "g_loss"),
        grad_args=("real_v", "fake_v"),
        mistakes=(
            Mistake(
                _fgan_variant("no_activation"),
                "apply the output activation first: T = g_f(V) = -exp(-V) lands in dom f* = "
                "(-inf, 0), where f*(t) = -1 - log(-t) is defined; f*(V) of a raw V > 0 is NaN",
            ),
            Mistake(
                _fgan_variant("signs"),
                "both signs are flipped: D maximises F = E_P[g_f(V)] - E_Q[f*(g_f(V))], so "
                "d_loss = -F; G minimises F, so g_loss = -E_Q[f*(g_f(V))]",
            ),
            Mistake(
                _fgan_variant("d_sign"),
                "d_loss: the discriminator maximises F, so its loss is -F",
            ),
            Mistake(
                _fgan_variant("g_sign"),
                "g_loss: the generator minimises F, whose only term that depends on it is "
                "-E_Q[f*(g_f(V))]",
            ),
            Mistake(
                _fgan_variant("g_whole"),
                "g_loss: the generator minimises F itself, and only its Q term depends on the "
                "generator: g_loss = -E_Q[f*(g_f(V))] (you used -F, the discriminator's loss)",
            ),
            Mistake(
                _fgan_variant("g_alternative"),
                "g_loss: that is Nowozin et al.'s alternative -E_Q[g_f(V)] (their Sec. 3.2); "
                "write the generator's part of F, -E_Q[f*(g_f(V))]",
            ),
            Mistake(
                _fgan_variant("sum"),
                "the expectations are means over each batch, not sums",
            ),
        ),
        nan_hint="f* of reverse KL is defined for t < 0 only: apply g_f(v) = -exp(-v) before "
        "f*, and note f*(g_f(v)) = v - 1.",
    )
)


# -------------------------------------------------------------- the variational lower bound

_KL = get_divergence("kl")


def _kl_bound(p, q, T):
    return variational_bound("kl", p, q, T)


def _bound_inputs(g, case, suite):
    shape, dtype = _shape(case, suite), dtype_for(case, suite)
    p = _positive_simplex(g, shape, dtype)
    q = _positive_simplex(g, shape, dtype)
    T = 1 + torch.log(p.double() / q.double()) + randn(g, *shape, scale=0.7)  # near the optimum
    return {"p": p, "q": q, "T": T.to(dtype)}


register(
    Question(
        id="ex07_kl_bound",
        kind="transcription",
        hints=(
            "The bound is E_P[T] - E_Q[f*(T)], both expectations over the same K points.",
            "For KL, f*(t) = exp(t - 1).",
            "A sum over the last dimension of p T minus q exp(T - 1), shape (...).",
        ),
        reference=_kl_bound,
        inputs=_bound_inputs,
        grad_args=("T",),
        mistakes=(
            Mistake(
                lambda p, q, T: (p * T).sum(-1) - (q * torch.exp(T)).sum(-1),
                "the conjugate of f(u) = u log u is f*(t) = exp(t - 1), not exp(t)",
            ),
            Mistake(
                lambda p, q, T: (p * T).sum(-1) - (q * T * torch.log(T)).sum(-1),
                "the bound uses the conjugate f*(t) = exp(t - 1), not f itself",
            ),
            Mistake(
                lambda p, q, T: (q * T).sum(-1) - (p * torch.exp(T - 1)).sum(-1),
                "P and Q are swapped: T is averaged under P (the data), f*(T) under Q (the model)",
            ),
            Mistake(
                lambda p, q, T: (p * T).sum(-1) + (q * torch.exp(T - 1)).sum(-1),
                "the sign: the bound is E_P[T] - E_Q[f*(T)]",
            ),
            Mistake(
                lambda p, q, T: T.mean(-1) - torch.exp(T - 1).mean(-1),
                "E_P[T] is the sum over the K points weighted by p, sum_k p_k T_k (and E_Q "
                "weighted by q), not a plain mean",
            ),
        ),
        nan_hint="f*(t) = exp(t - 1) is finite for every t.",
    )
)
