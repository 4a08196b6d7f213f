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
from genlab.gan.experiments import fit_gaussian_fgan
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.protocol import F_GENERATORS
from genlab.grading.questions._experiments import (
    budget_problem,
    fresh_seeds,
    grading_run,
    run_until_decided,
    settings_problem,
)
from genlab.grading.questions._inputs import dtype_for, number, randn, uniform

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


# ------------------------------- an experiment: an f-GAN whose Gaussian covers both modes

_FGAN_FIELDS = ("divergence", "steps", "lr", "lr_d")
_FGAN_BUDGET = {"steps": 400, "lr": 0.1, "lr_d": 0.1}
# the data: two modes at -2 and +2 (std 0.5); the Gaussian that covers both is N(0, 4.25)
_COVER_LOC, _COVER_SCALE = 0.5, (1.5, 3.0)


def _cover_inputs(g, case, suite):
    side = 1.0 if bool(torch.rand((), generator=g) < 0.5) else -1.0
    return {
        "start_loc": round(side * number(g, 0.3, 1.0), 3),
        "start_scale": round(number(g, 0.3, 0.7), 3),
    }


def fgan_gaussian_run(seed: int, start_loc: float, start_scale: float, settings) -> tuple:
    """(loc, scale) of the Gaussian that :func:`genlab.gan.fit_gaussian_fgan` fits with the
    settings ``(divergence, steps, lr, lr_d)`` from ``N(start_loc, start_scale^2)``."""
    divergence, steps, lr, lr_d = settings
    fit = fit_gaussian_fgan(
        divergence,
        steps=int(steps),
        start_loc=start_loc,
        start_scale=start_scale,
        seed=seed,
        lr=float(lr),
        lr_d=float(lr_d),
    )
    return fit.loc, fit.scale


def _covers(loc: float, scale: float) -> bool:
    return abs(loc) <= _COVER_LOC and _COVER_SCALE[0] <= scale <= _COVER_SCALE[1]


def _cover_outcome(inputs, value, runs, needed) -> str | None:
    """Fit the Gaussian with the settings on ``runs`` fresh seeds, here; None if ``needed`` of
    the fits cover both modes."""
    problem = settings_problem(value, _FGAN_FIELDS, {"divergence": tuple(F_DIVERGENCES)})
    problem = problem or budget_problem(value, _FGAN_FIELDS, _FGAN_BUDGET)
    if problem:
        return problem
    with grading_run():
        fits, good = run_until_decided(
            fresh_seeds(inputs, runs),
            lambda seed: fgan_gaussian_run(seed, inputs["start_loc"], inputs["start_scale"], value),
            lambda fit: _covers(*fit),
            needed,
        )
    if good >= needed:
        return None
    gave = "; ".join(f"mu {loc:+.2f}, sigma {scale:.2f}" for loc, scale in fits)
    if all(abs(loc) > 1.0 and scale < 1.0 for loc, scale in fits if not _covers(loc, scale)):
        why = (
            "the Gaussian settled on one mode: this divergence is mode seeking (it charges "
            "little for missing a mode, much for mass between the modes)"
        )
    else:
        why = "the Gaussian has not spread over both modes (or is still on its way)"
    return (
        f"too few fits covered both modes: {good} of the {len(fits)} tried (mu within "
        f"{_COVER_LOC:g} of 0, sigma in [{_COVER_SCALE[0]:g}, {_COVER_SCALE[1]:g}]; {needed} of "
        f"{runs} needed) gave {gave}; {why}"
    )


register(
    Question(
        id="ex07_cover_both_modes",
        kind="experiment",
        hints=(
            "A single Gaussian cannot equal two modes; the divergence decides which Gaussian "
            "is best. Which rows of the table punish a model that puts no mass where the data "
            "has some, and which punish mass where the data has none?",
            "KL(P||Q) weighs log(p/q) by p, and Pearson chi^2 weighs (p - q)^2 by 1/q: where "
            "the data has a mode and q is tiny, both costs explode, so their best Gaussian "
            "spreads over both modes (sigma about 2 here). Reverse KL weighs by q and is "
            "content on one mode.",
            "A mode-covering row of the table (of the two above, the one whose f-GAN trains "
            "more steadily), and a schedule that lets sigma grow from about 0.5 to 2 within "
            "the step budget: a few hundred steps, a generator learning rate of a few "
            "hundredths, the critic's about a third of it. Try it on seeds of your own first.",
        ),
        reference=lambda start_loc, start_scale: ("pearson", 300, 0.03, 0.01),
        inputs=_cover_inputs,
        outcome=_cover_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(
                lambda start_loc, start_scale: ("reverse_kl", 300, 0.03, 0.01),
                "too few fits covered both modes",
            ),
            Mistake(lambda start_loc, start_scale: ("kl", 2000, 0.03, 0.01), "over the budget"),
        ),
    )
)
