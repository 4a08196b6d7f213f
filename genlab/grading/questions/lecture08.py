r"""Questions of exercise 08 (training GANs in practice): mode coverage of samples of the ring
target, the discriminator's cost with one-sided label smoothing, the R1 gradient penalty of a
small discriminator, and the feature-matching cost of the generator.

References: :func:`genlab.gan.mode_coverage` (on :func:`genlab.gan.make_target` rings),
:func:`genlab.losses.smoothed_discriminator_loss`, :func:`genlab.gan.r1_penalty` and
:func:`genlab.losses.feature_matching_loss`.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from genlab.gan import make_target, mode_coverage, r1_penalty
from genlab.gan.experiments import RingSettings, ring_gan_modes
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import (
    budget_problem,
    fresh_seeds,
    grading_run,
    settings_problem,
)
from genlab.grading.questions._inputs import dtype_for, number, randn, uniform
from genlab.losses import feature_matching_loss, smoothed_discriminator_loss
from genlab.optima import weighted_optimal_discriminator

# ------------------------------------------------------------------------------ mode coverage

# (n_modes, radius, std) of the rings the cases are drawn on
_RINGS = {
    "visible": ((8, 2.0, 0.1), (6, 1.5, 0.1), (8, 2.0, 0.1)),
    "hidden": (
        (5, 2.0, 0.15),
        (8, 2.0, 0.1),
        (10, 2.5, 0.08),
        (6, 1.5, 0.1),
        (8, 2.0, 0.1),
        (7, 2.0, 0.12),
    ),
}


@functools.lru_cache(maxsize=16)
def _ring(n_modes: int, radius: float, std: float):
    return make_target("ring", device="cpu", n_modes=n_modes, radius=radius, std=std)


def _ring_of(modes: torch.Tensor, stds: torch.Tensor):
    """The ring target whose modes and standard deviations these are."""
    radius = round(float(modes.double().norm(dim=1).mean()), 6)
    target = _ring(len(modes), radius, round(float(stds.double().mean()), 6))
    if not torch.allclose(target.modes, modes.double().cpu(), atol=1e-9):
        raise ValueError("modes must be those of a ring target (genlab.gan.make_target('ring'))")
    return target


def _coverage(samples, modes, stds, min_share):
    return mode_coverage(_ring_of(modes, stds), samples, min_share)


def _run(g, modes, std, m, kept):
    """``m`` samples on the modes ``kept``, some near or beyond the dropped modes."""
    K = len(modes)
    dropped = [k for k in range(K) if k not in kept]
    per_mode = m // (K + 2)
    parts = []
    for k in kept:  # on the mode
        n = per_mode + int(torch.randint(0, 4, (), generator=g))
        parts.append(modes[k] + 0.8 * std * randn(g, n, 2))
    for i, k in enumerate(dropped):
        n = per_mode
        if i % 2 == 0:  # just outside 3 sigma, in every direction
            angle = uniform(g, n, low=0.0, high=2 * math.pi)
            r = std * uniform(g, n, low=3.5, high=4.4)
            parts.append(modes[k] + r[:, None] * torch.stack([angle.cos(), angle.sin()], 1))
        else:  # far out, radially (still nearest to mode k)
            r = std * uniform(g, n, low=8.0, high=14.0)
            parts.append(modes[k] * (1 + r[:, None] / modes[k].norm()))
    x = torch.cat(parts)
    return x[torch.randperm(len(x), generator=g)]


def _coverage_inputs(g, case, suite):
    K, radius, std = _RINGS[suite][case % len(_RINGS[suite])]
    target = _ring(K, radius, std)
    runs = []
    for r in range(3):
        if r == 0:
            kept = list(range(K))
        else:
            n_kept = int(torch.randint(K // 2, K, (), generator=g))
            kept = sorted(torch.randperm(K, generator=g)[:n_kept].tolist())
        runs.append(_run(g, target.modes, std, 30 * K, kept))
    m = min(len(x) for x in runs)
    return {
        "samples": torch.stack([x[:m] for x in runs]),  # (N, M, 2)
        "modes": target.modes.clone(),
        "stds": target.mode_stds.clone(),
        "min_share": round(number(g, 0.2, 0.45), 3),
    }


def _coverage_variant(kind):
    def wrong(samples, modes, stds, min_share):
        d2 = ((samples[:, :, None, :] - modes) ** 2).sum(-1)  # (N, M, K)
        best, nearest = d2.min(-1)
        radius = 3 * stds[nearest]
        within = {
            "no_radius": torch.ones_like(best, dtype=torch.bool),
            "squared": best <= radius,
        }.get(kind, best.sqrt() <= radius)
        counts = (F.one_hot(nearest, len(modes)) * within[..., None]).sum(1)  # (N, K)
        K, M = len(modes), samples.shape[1]
        threshold = min_share * M if kind == "unweighted" else min_share * M / K
        covered = (counts >= threshold).to(samples.dtype)
        return covered.sum(1) if kind == "count" else covered.mean(1)

    return wrong


register(
    Question(
        id="ex08_mode_coverage",
        kind="transcription",
        hints=(
            "Each sample votes for at most one mode: its nearest, and only if it is close enough.",
            "Distances (N, M, K) by broadcasting; the nearest mode by argmin; 'close enough' "
            "compares the distance with 3 times that mode's std; count per mode with one-hot "
            "sums.",
            "Per run, the fraction of the K modes whose count reaches min_share * M / K, in the "
            "samples' dtype, shape (N,).",
        ),
        reference=_coverage,
        inputs=_coverage_inputs,
        mistakes=(
            Mistake(
                _coverage_variant("count"),
                "return the fraction of the K modes covered (covered / K), not their number",
            ),
            Mistake(
                _coverage_variant("no_radius"),
                "a sample counts for its nearest mode only if it lies within 3 standard "
                "deviations of it: samples far from every mode belong to none",
            ),
            Mistake(
                _coverage_variant("squared"),
                "compare the distance, not the squared distance, with 3 sigma",
            ),
            Mistake(
                _coverage_variant("unweighted"),
                "mode k is covered when it holds at least min_share of its expected count "
                "w_k M = M / K, not min_share of all M samples",
            ),
        ),
    )
)


# ------------------------------------------------------------ one-sided label smoothing

_SIZES = {
    "visible": ((6, 4), (3, 5), (8, 6)),
    "hidden": ((5, 7), (2, 3), (9, 4), (4, 6), (7, 5), (6, 8)),
}


def _smoothing_inputs(g, case, suite):
    n_real, n_fake = _SIZES[suite][case % len(_SIZES[suite])]
    dtype = dtype_for(case, suite)
    real, fake = randn(g, n_real, scale=2.5), randn(g, n_fake, scale=2.5)
    if case % 3 == 1:  # confident logits, where sigmoid rounds to 0 or 1
        real[0], fake[0] = 60.0, 60.0
    return {
        "real_logits": real.to(dtype),
        "fake_logits": fake.to(dtype),
        "real_label": round(number(g, 0.7, 0.95), 3),
    }


def _soft_bce(logits, target):
    return target * F.softplus(-logits) + (1 - target) * F.softplus(logits)


def _smoothing_variant(kind):
    def wrong(real, fake, a):
        if kind == "two_sided":
            return _soft_bce(real, a).mean() + _soft_bce(fake, 1 - a).mean()
        if kind == "smoothed_fakes":
            return F.softplus(-real).mean() + _soft_bce(fake, 1 - a).mean()
        if kind == "flipped":
            return _soft_bce(real, 1 - a).mean() + F.softplus(fake).mean()
        if kind == "half_term":
            return (a * F.softplus(-real)).mean() + F.softplus(fake).mean()
        if kind == "naive":
            d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
            real_term = -(a * torch.log(d_real) + (1 - a) * torch.log(1 - d_real))
            return real_term.mean() - torch.log(1 - d_fake).mean()
        return torch.cat([_soft_bce(real, a), F.softplus(fake)]).mean()  # "cat"

    return wrong


register(
    Question(
        id="ex08_label_smoothing",
        kind="transcription",
        hints=(
            "Only the real samples' target changes: a instead of 1; the fakes keep target 0.",
            "Write each term with softplus: -log D = softplus(-l), -log(1 - D) = softplus(l).",
            "A 0-d tensor: mean over the real batch of a softplus(-l) + (1 - a) softplus(l), plus "
            "mean over the fake batch of softplus(l).",
        ),
        reference=smoothed_discriminator_loss,
        inputs=_smoothing_inputs,
        grad_args=("real_logits", "fake_logits"),
        mistakes=(
            Mistake(
                _smoothing_variant("two_sided"),
                "one-sided: only the real targets are smoothed (to real_label); the fakes keep "
                "the target 0. Smoothing them too puts p_G into D*'s numerator, and fakes far "
                "from the data are no longer pushed towards it (Salimans et al. 2016, Sec. 3.4)",
            ),
            Mistake(
                _smoothing_variant("smoothed_fakes"),
                "the real targets are the ones smoothed (1 -> real_label); the fakes keep the "
                "target 0",
            ),
            Mistake(
                _smoothing_variant("flipped"),
                "the real samples' target is real_label (e.g. 0.9), not 1 - real_label",
            ),
            Mistake(
                _smoothing_variant("half_term"),
                "the cross-entropy with a soft target a is -(a log D + (1 - a) log(1 - D)): "
                "the (1 - a) log(1 - D) term is missing",
            ),
            Mistake(
                _smoothing_variant("cat"),
                "each expectation is a mean over its own batch: the real and fake batches have "
                "different sizes, so do not average their concatenation",
            ),
            Mistake(
                _smoothing_variant("naive"),
                "log(1 - sigmoid(l)) becomes log 0 = -inf once sigmoid rounds to 1: use "
                "-log D = softplus(-l), -log(1 - D) = softplus(l) (or "
                "F.binary_cross_entropy_with_logits with soft targets)",
            ),
        ),
        nan_hint="Compute from the logits: -log D = softplus(-l), -log(1 - D) = softplus(l).",
    )
)


# ------------------------------------------------------------------------- the R1 penalty


def discriminator(x, W, b, w):
    """The exercise's discriminator: logits ``tanh(x W + b) w``, ``(B, d) -> (B,)``."""
    return torch.tanh(x @ W + b) @ w


def _r1(x_real, W, b, w):
    with torch.enable_grad():
        x = x_real.detach().requires_grad_(True)
        return r1_penalty(discriminator(x, W, b, w), x)


def _r1_inputs(g, case, suite):
    sizes = (
        ((5, 2, 4), (3, 3, 6), (6, 2, 3))
        if suite == "visible"
        else ((4, 2, 5), (7, 3, 4), (2, 4, 6), (5, 2, 8), (3, 5, 3), (6, 2, 4))
    )
    B, d, h = sizes[case % len(sizes)]
    dtype = dtype_for(case, suite)
    return {
        "x_real": randn(g, B, d, dtype=dtype),
        "W": randn(g, d, h, dtype=dtype),
        "b": randn(g, h, scale=0.5, dtype=dtype),
        "w": randn(g, h, dtype=dtype),
    }


def _r1_variant(kind):
    def wrong(x_real, W, b, w):
        with torch.enable_grad():
            x = x_real.detach().requires_grad_(True)
            logits = discriminator(x, W, b, w)
            total = logits.mean() if kind == "mean_logits" else logits.sum()
            (grad,) = torch.autograd.grad(total, x, create_graph=kind != "no_graph")
        sq = grad.pow(2).sum(-1)
        return {"no_half": sq, "norm": 0.5 * sq.sqrt()}.get(kind, 0.5 * sq)

    return wrong


register(
    Question(
        id="ex08_r1_penalty",
        kind="transcription",
        hints=(
            "R1 penalises how steeply the discriminator's logit changes at the real data.",
            "Differentiate the sum of the logits with respect to a copy of x that requires a "
            "gradient, with create_graph=True so that the penalty can itself be trained.",
            "One value per sample: half the squared norm over the last dimension of that "
            "gradient, shape (B,).",
        ),
        reference=_r1,
        inputs=_r1_inputs,
        grad_args=("W", "b", "w"),
        mistakes=(
            Mistake(
                _r1_variant("no_half"),
                "the penalty per sample is 1/2 ||grad_x D(x)||^2: the factor 1/2 is missing",
            ),
            Mistake(
                _r1_variant("norm"),
                "the penalty uses the squared norm of the gradient, ||grad_x D(x)||^2",
            ),
            Mistake(
                _r1_variant("mean_logits"),
                "differentiate logits.sum(), not logits.mean(): each sample's logit depends on "
                "its own x only, so the sum gives every sample its own gradient, unscaled",
            ),
            Mistake(
                _r1_variant("no_graph"),
                "the values are right, but the penalty cannot train D: pass create_graph=True "
                "to torch.autograd.grad, so that the penalty stays differentiable in D's "
                "parameters",
            ),
        ),
    )
)


# ---------------------------------------------------------------------- feature matching


def _feature_inputs(g, case, suite):
    n_real, n_fake = _SIZES[suite][case % len(_SIZES[suite])]
    F_dim = (4, 3, 6, 5, 2, 7)[case % 6]
    dtype = dtype_for(case, suite)
    return {
        "real_features": randn(g, n_real, F_dim, dtype=dtype) + 0.5,
        "fake_features": randn(g, n_fake, F_dim, scale=1.3, dtype=dtype),
    }


def _feature_variant(kind):
    def wrong(real, fake):
        diff = real.mean(0) - fake.mean(0)
        if kind == "mean_features":
            return diff.pow(2).mean()
        if kind == "norm":
            return diff.pow(2).sum().sqrt()
        if kind == "sums":
            return (real.sum(0) - fake.sum(0)).pow(2).sum()
        return (real.pow(2).mean(0) - fake.pow(2).mean(0)).sum()  # "second_moments"

    return wrong


register(
    Question(
        id="ex08_feature_matching",
        kind="transcription",
        hints=(
            "Feature matching compares the average feature of the real batch with the average "
            "feature of the fake batch.",
            "Average each batch over its first dimension, then take the squared difference.",
            "A 0-d tensor: a sum over the F features of a squared difference of means.",
        ),
        reference=feature_matching_loss,
        inputs=_feature_inputs,
        grad_args=("fake_features",),
        mistakes=(
            Mistake(
                _feature_variant("mean_features"),
                "sum the squared differences over the features (a squared L2 norm); "
                "F.mse_loss averages over them",
            ),
            Mistake(
                _feature_variant("norm"),
                "the cost is the *squared* distance ||E f(x) - E f(G(z))||^2",
            ),
            Mistake(
                _feature_variant("sums"),
                "the statistics are batch means, E f(x) = mean over the batch, not sums (the "
                "two batches may have different sizes)",
            ),
            Mistake(
                _feature_variant("second_moments"),
                "match the means of the features: ||mean_b f(x_b) - mean_b f(G(z_b))||^2, the "
                "square outside the difference of the means",
            ),
        ),
    )
)


# ---------------------------------------------------- D* under one-sided label smoothing


def _smoothed_d(p_data, p_g, real_label):
    return weighted_optimal_discriminator(torch.log(p_data), torch.log(p_g), real_label)


def _smoothed_d_inputs(g, case, suite):
    K = (5, 8, 3)[case % 3] if suite == "visible" else 2 + case
    dtype = dtype_for(case, suite)

    def distribution():
        w = torch.rand(K, generator=g, dtype=torch.float64) + 0.05
        return (w / w.sum()).to(dtype)

    return {"p_data": distribution(), "p_g": distribution(), "real_label": number(g, 0.7, 0.95)}


register(
    Question(
        id="ex08_smoothed_optimal_discriminator",
        kind="derivation",
        hints=(
            "Label smoothing changes the loss, so it changes the discriminator that minimises "
            "it: redo the pointwise derivation of D* for the smoothed cross-entropy.",
            "At one point the expected loss is -(a p log D + (1 - a) p log(1 - D) + q log(1 - "
            "D)): the real samples pull D towards 1 with weight a p and towards 0 with weight "
            "(1 - a) p. Collect the log(1 - D) terms before you differentiate.",
            "D* is a times the unsmoothed D*: the smoothed real label caps it at a, and where "
            "p_data is 0 it is still 0.",
        ),
        reference=_smoothed_d,
        inputs=_smoothed_d_inputs,
        mistakes=(
            Mistake(
                lambda p, q, a: p / (p + q),
                "that is D* without smoothing: the soft target a changes the loss, so its "
                "pointwise minimiser changes too (redo the derivation with a p log D + (1 - a) "
                "p log(1 - D))",
            ),
            Mistake(
                lambda p, q, a: a * p / (a * p + q),
                "you dropped the (1 - a) p log(1 - D) term of the real samples: it adds (1 - a) "
                "p to the weight of log(1 - D), so the denominator is p + q, not a p + q",
            ),
            Mistake(
                lambda p, q, a: (a * p + (1 - a) * q) / (p + q),
                "the smoothing applies to the real samples only (one-sided): the fakes keep "
                "target 0, so no (1 - a) q term appears in the numerator",
            ),
        ),
    )
)


# ------------------------------- an experiment: a ring GAN that covers (almost) every mode

_RING_FIELDS = RingSettings._fields
_RING_OBJECTIVES = ("minimax", "non_saturating", "least_squares", "kl", "reverse_kl")
_RING_BUDGET = {"steps": 1000, "lr": 0.01, "lr_d": 0.01, "k": 2}
_RING_MAX_R1, _RING_MODES = 10.0, 7  # of the ring's 8 modes


def _ring_inputs(g, case, suite):
    return {"radius": round(number(g, 1.6, 2.4), 3)}


def _ring_outcome(inputs, value, runs, needed) -> str | None:
    """Train the ring GAN with the settings on ``runs`` fresh seeds, here; None if ``needed``
    of them cover at least 7 of the 8 modes."""
    problem = settings_problem(value, _RING_FIELDS, {"objective": _RING_OBJECTIVES})
    problem = problem or budget_problem(value, _RING_FIELDS, _RING_BUDGET)
    if problem:
        return problem
    r1 = value[_RING_FIELDS.index("r1")]
    if not 0 <= r1 <= _RING_MAX_R1:
        return f"over the budget: r1 must be in [0, {_RING_MAX_R1:g}]; got {r1!r}"
    k = value[_RING_FIELDS.index("k")]
    if k != int(k):
        return f"k must be a whole number of discriminator steps; got {k!r}"
    with grading_run():
        counts = ring_gan_modes(fresh_seeds(inputs, runs), inputs["radius"], value)
    good = sum(c >= _RING_MODES for c in counts)
    if good >= needed:
        return None
    if all(0 < c < _RING_MODES for c in counts if c < _RING_MODES):
        why = "the generators collapsed onto some of the modes (or still hop between them)"
    else:
        why = "some generators did not settle on the ring at all"
    return (
        f"too few runs covered the ring: {good} of {runs} covered at least {_RING_MODES} of "
        f"its 8 modes ({needed} needed); the runs covered {counts} (ring of radius "
        f"{inputs['radius']:g}); {why}"
    )


register(
    Question(
        id="ex08_ring_modes",
        kind="experiment",
        hints=(
            "Train the plain game on the ring and watch the samples every hundred steps: do "
            "they cover all eight modes and stay, or hop from mode to mode? Then change one "
            "trick at a time, and remember what section 1.3 found about tricks tried alone.",
            "Mode hopping is the plain game's oscillation: the generator chases the "
            "discriminator's latest verdict. A penalty on D's gradient at the data (R1) damps "
            "it, and a discriminator that learns faster than the generator (two time-scales) "
            "keeps its verdict up to date; the lecture found they work together.",
            "The non-saturating cost with both tricks: a small R1 weight (a tenth or so), the "
            "discriminator's rate a few times the generator's (which is a few ten-thousandths), "
            "one discriminator step per generator step, and the full step budget.",
        ),
        reference=lambda radius: ("non_saturating", 1000, 5e-4, 2e-3, 0.1, 1),
        inputs=_ring_inputs,
        outcome=_ring_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(
                lambda radius: ("non_saturating", 1000, 5e-4, 5e-4, 0.0, 1),
                "too few runs covered the ring",
            ),
            Mistake(
                lambda radius: ("non_saturating", 5000, 5e-4, 2e-3, 0.1, 1),
                "over the budget",
            ),
        ),
    )
)
