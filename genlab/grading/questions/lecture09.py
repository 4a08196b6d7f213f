r"""Questions of exercise 09 (Wasserstein GANs, convergence and evaluation): W1 between two
1-D samples, the WGAN-GP gradient penalty of a small critic, the Fréchet distance between two
Gaussians, the moduli of the Dirac-GAN's simultaneous-update eigenvalues, and a WGAN-GP critic loop
with two planted bugs, judged by what it learns.

References: :func:`genlab.metrics.wasserstein_1d`, :func:`genlab.losses.gradient_penalty`,
:func:`genlab.metrics.frechet_distance`, :meth:`genlab.dirac_gan.DiracGAN.step_matrix` and
:func:`genlab.wgan.wgan_gp_critic_1d`.
"""

from __future__ import annotations

import math

import torch

from genlab.dirac_gan import DiracGAN
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import (
    budget_problem,
    fresh_seeds,
    grading_run,
    run_until_decided,
    settings_problem,
)
from genlab.grading.questions._inputs import dtype_for, number, randn, uniform
from genlab.losses import gradient_penalty
from genlab.metrics import frechet_distance, wasserstein_1d
from genlab.wgan import LIPSCHITZ, _wgan_gp_critic_1d, fit_critic, wgan_gp_critic_1d

# ------------------------------------------------------------------------- W1 from samples


def _w1(x, y):
    return wasserstein_1d(x, y).to(x.dtype)


def _w1_inputs(g, case, suite):
    n = (5, 12, 30, 7, 50, 3)[case % 6]
    dtype = dtype_for(case, suite)
    x = randn(g, n, scale=number(g, 0.5, 2.0)) + number(g, -1, 1)
    y = uniform(g, n, low=-2.0, high=2.0) * number(g, 0.5, 2.0) + number(g, -1, 1)
    if case % 3 == 2:  # ties and a far outlier
        x[: n // 2] = x[0]
        y[-1] = 25.0
    return {"x": x.to(dtype), "y": y.to(dtype)}


def _w1_variant(kind):
    def wrong(x, y):
        xs, ys = x.sort().values, y.sort().values
        if kind == "unsorted":
            return (x - y).abs().mean()
        if kind == "one_sorted":
            return (xs - y).abs().mean()
        if kind == "no_abs":
            return (xs - ys).mean().abs()
        if kind == "squared":
            return (xs - ys).pow(2).mean()
        return (xs - ys).pow(2).mean().sqrt()  # "w2"

    return wrong


register(
    Question(
        id="ex09_wasserstein_1d",
        kind="derivation",
        hints=(
            "Turn the two staircase CDFs sideways: the area between them is also the area between "
            "the two quantile functions.",
            "The quantile function of n equally weighted points steps through the sorted points; "
            "matching the i-th smallest of x with the i-th smallest of y pairs the two "
            "staircases.",
            "A mean over i of the absolute difference of the sorted samples: a 0-d tensor in the "
            "inputs' dtype.",
        ),
        reference=_w1,
        inputs=_w1_inputs,
        mistakes=(
            Mistake(
                _w1_variant("unsorted"),
                "pair the samples by rank, not by position: W1 matches the i-th smallest x with "
                "the i-th smallest y (the quantile functions), so sort both first",
            ),
            Mistake(_w1_variant("one_sorted"), "sort both samples, not only x"),
            Mistake(
                _w1_variant("no_abs"),
                "the absolute value goes inside the mean: |mean(x) - mean(y)| only compares "
                "the means (it is 0 for N(0, 1) against N(0, 4))",
            ),
            Mistake(
                _w1_variant("squared"),
                "that is W2 squared: W1 averages |x_(i) - y_(i)|, not its square",
            ),
            Mistake(_w1_variant("w2"), "that is W2: W1 averages |x_(i) - y_(i)| without squares"),
        ),
    )
)


# ------------------------------------------------------------------------ gradient penalty


def critic(x, W, b, w):
    """The exercise's critic: scores ``tanh(x W + b) w``, ``(B, d) -> (B,)``."""
    return torch.tanh(x @ W + b) @ w


def _gp(x_real, x_fake, eps, W, b, w):
    return gradient_penalty(lambda x: critic(x, W, b, w), x_real, x_fake, eps=eps)


def _gp_inputs(g, case, suite):
    sizes = (
        ((6, 2, 4), (4, 3, 6), (8, 2, 3))
        if suite == "visible"
        else ((5, 2, 5), (7, 3, 4), (3, 4, 6), (6, 2, 8), (4, 5, 3), (6, 2, 4))
    )
    B, d, h = sizes[case % len(sizes)]
    dtype = dtype_for(case, suite)
    return {
        "x_real": randn(g, B, d, dtype=dtype) + 1.0,
        "x_fake": randn(g, B, d, dtype=dtype) - 1.0,
        "eps": uniform(g, B, low=0.0, high=1.0, dtype=dtype),
        "W": randn(g, d, h, scale=0.6, dtype=dtype),  # slopes on both sides of 1
        "b": randn(g, h, scale=0.5, dtype=dtype),
        "w": randn(g, h, scale=0.6, dtype=dtype),
    }


def _gp_variant(kind):
    def wrong(x_real, x_fake, eps, W, b, w):
        e = eps[:, None]
        x_hat = x_real if kind == "real_only" else e * x_real + (1 - e) * x_fake
        x_hat = x_hat.detach().requires_grad_(True)
        with torch.enable_grad():
            scores = critic(x_hat, W, b, w)
            total = scores.mean() if kind == "mean_scores" else scores.sum()
            (grad,) = torch.autograd.grad(total, x_hat, create_graph=kind != "no_graph")
        norm = grad.norm(dim=1)
        if kind == "one_sided":
            return torch.relu(norm - 1).pow(2).mean()
        if kind == "squared_norm":
            return (grad.pow(2).sum(1) - 1).pow(2).mean()
        if kind == "flipped_eps":
            x_hat = ((1 - e) * x_real + e * x_fake).detach().requires_grad_(True)
            with torch.enable_grad():
                (grad,) = torch.autograd.grad(
                    critic(x_hat, W, b, w).sum(), x_hat, create_graph=True
                )
            norm = grad.norm(dim=1)
        return (norm - 1).pow(2).mean()

    return wrong


register(
    Question(
        id="ex09_gradient_penalty",
        kind="transcription",
        hints=(
            "The penalty asks for a gradient norm of 1 at points between the real and fake "
            "samples.",
            "Build x_hat from eps (one eps per row), make it require a gradient, differentiate "
            "the sum of the critic's scores, with create_graph=True.",
            "A 0-d tensor: the mean over the batch of (norm of the gradient over the last "
            "dimension - 1)^2.",
        ),
        reference=_gp,
        inputs=_gp_inputs,
        grad_args=("W", "b", "w"),
        mistakes=(
            Mistake(
                _gp_variant("no_graph"),
                "the values are right, but the penalty cannot train the critic: pass "
                "create_graph=True to torch.autograd.grad, so that the gradient norm stays "
                "differentiable in the critic's parameters (without it the penalty is a "
                "constant and the critic is not kept Lipschitz)",
            ),
            Mistake(
                _gp_variant("one_sided"),
                "WGAN-GP's penalty is two-sided, (||grad|| - 1)^2: it also pushes norms below 1 "
                "up; relu(||grad|| - 1)^2 is the one-sided variant",
            ),
            Mistake(
                _gp_variant("real_only"),
                "the penalty is taken at random interpolates x_hat = eps x_real + (1 - eps) "
                "x_fake, not at the real points only (that is closer to R1)",
            ),
            Mistake(
                _gp_variant("squared_norm"),
                "penalise (||grad|| - 1)^2 with the norm itself, not its square",
            ),
            Mistake(
                _gp_variant("mean_scores"),
                "differentiate the sum of the scores, not their mean: each score depends on its "
                "own x_hat only, so the sum gives every sample its own gradient, unscaled",
            ),
            Mistake(
                _gp_variant("flipped_eps"),
                "x_hat = eps * x_real + (1 - eps) * x_fake: eps weighs the real point",
            ),
        ),
    )
)


# ----------------------------------------------------------------------- Fréchet distance


def _fd(mu1, cov1, mu2, cov2):
    return frechet_distance(mu1, cov1, mu2, cov2).to(mu1.dtype)


def _spd(g, d, rank=None):
    a = randn(g, d, rank or d + 2)
    return a @ a.T / a.shape[1]


def _fd_inputs(g, case, suite):
    d = (2, 4, 3, 6, 5, 8)[case % 6]
    cov2 = _spd(g, d, rank=d - 1 if case % 3 == 2 else None)  # a singular one too
    return {
        "mu1": randn(g, d),
        "cov1": _spd(g, d) + 0.1 * torch.eye(d, dtype=torch.float64),
        "mu2": randn(g, d, scale=0.5),
        "cov2": cov2,
    }


def _fd_variant(kind):
    def wrong(mu1, cov1, mu2, cov2):
        mean_term = (mu1 - mu2).pow(2).sum()
        if kind == "elementwise":
            cross = (cov1 * cov2).clamp_min(0).sqrt().trace()
        else:
            cross = torch.linalg.eigvals(cov1 @ cov2).real.clamp_min(0).sqrt().sum()
        if kind == "no_two":
            return mean_term + cov1.trace() + cov2.trace() - cross
        if kind == "no_mean":
            return cov1.trace() + cov2.trace() - 2 * cross
        if kind == "norm":
            return (mu1 - mu2).norm() + cov1.trace() + cov2.trace() - 2 * cross
        if kind == "distance":
            return (mean_term + cov1.trace() + cov2.trace() - 2 * cross).clamp_min(0).sqrt()
        return mean_term + cov1.trace() + cov2.trace() - 2 * cross  # "elementwise"

    return wrong


register(
    Question(
        id="ex09_frechet_distance",
        kind="transcription",
        hints=(
            "Only the trace of the matrix square root is needed, and traces can be read off "
            "eigenvalues.",
            "The eigenvalues of Sigma1 Sigma2 are those of the symmetric PSD matrix Sigma1^{1/2} "
            "Sigma2 Sigma1^{1/2}: clamp tiny negatives from rounding at 0 before the square root.",
            "A 0-d tensor: the squared distance of the means plus tr Sigma1 + tr Sigma2 minus "
            "twice the sum of the square roots of those eigenvalues.",
        ),
        reference=_fd,
        inputs=_fd_inputs,
        rtol=1e-6,
        atol=1e-6,  # sqrt of a zero eigenvalue of the singular cases: sqrt(eps) ~ 1.5e-8 each
        mistakes=(
            Mistake(
                _fd_variant("elementwise"),
                "(S1 S2)^(1/2) is a matrix square root, not the square root of each entry: its "
                "trace is the sum of the square roots of the eigenvalues of S1 S2",
            ),
            Mistake(_fd_variant("no_two"), "the cross term is -2 tr((S1 S2)^(1/2)): a factor 2"),
            Mistake(_fd_variant("no_mean"), "the term ||mu1 - mu2||^2 is missing"),
            Mistake(_fd_variant("norm"), "the mean term is the squared norm ||mu1 - mu2||^2"),
            Mistake(
                _fd_variant("distance"),
                "FID is the squared distance d^2 (no square root at the end)",
            ),
        ),
    )
)


# ------------------------------------------------------- Dirac-GAN: simultaneous eigenvalues


def _moduli(lr, gamma):
    M = DiracGAN("gan", r1=float(gamma)).step_matrix(float(lr), "simultaneous")
    mod = torch.linalg.eigvals(M).abs().sort(descending=True).values
    return mod.to(lr.dtype)


def _moduli_inputs(g, case, suite):
    gammas = (0.0, 0.5, 1.6, 0.0, 0.9, 2.5)
    return {
        "lr": torch.tensor(round(number(g, 0.02, 0.5), 4), dtype=torch.float64),
        "gamma": torch.tensor(
            gammas[case % 6] + (0 if case % 3 == 0 else round(number(g, 0, 0.1), 3)),
            dtype=torch.float64,
        ),
    }


def _moduli_variant(kind):
    def wrong(lr, gamma):
        a = 1.0 if kind == "wgan_slope" else 0.5
        g = 0.0 if kind == "no_r1" else float(gamma)
        J = torch.tensor([[0.0, -a], [a, -g]], dtype=torch.float64)
        if kind == "jacobian":
            M = J
        elif kind == "alternating":
            h = float(lr)
            M = torch.tensor(
                [[1.0, -h * a], [h * a, 1 - h * g - h * h * a * a]], dtype=torch.float64
            )
        else:
            M = torch.eye(2, dtype=torch.float64) + float(lr) * J
        return torch.linalg.eigvals(M).abs().sort(descending=True).values.to(lr.dtype)

    return wrong


register(
    Question(
        id="ex09_dirac_eigenvalues",
        kind="derivation",
        hints=(
            "Near (0, 0) the step is linear: (theta, psi) <- (I + h J)(theta, psi), with J the "
            "Jacobian of v there.",
            "At (0, 0) only the terms linear in theta and psi survive: f'(psi theta) -> f'(0) = "
            "1/2, and the R1 term contributes -gamma to dv_psi/dpsi.",
            "J = [[0, -f'(0)], [f'(0), -gamma]]; return the moduli of the two eigenvalues of I + "
            "h J, largest first.",
        ),
        reference=_moduli,
        inputs=_moduli_inputs,
        rtol=1e-9,
        atol=1e-12,
        mistakes=(
            Mistake(
                _moduli_variant("wgan_slope"),
                "for the GAN's f(t) = -log(1 + e^-t), f'(0) = 1/2, not 1 (1 is the WGAN's)",
            ),
            Mistake(
                _moduli_variant("no_r1"),
                "R1 adds -gamma psi to the discriminator's field: J[1, 1] = -gamma",
            ),
            Mistake(
                _moduli_variant("jacobian"),
                "those are the Jacobian's eigenvalues; a step x <- x + h v(x) multiplies by "
                "I + h J near the equilibrium, so the step's eigenvalues are 1 + h lambda",
            ),
            Mistake(
                _moduli_variant("alternating"),
                "those are the alternating update's; simultaneous steps use both players' "
                "gradients at the old point: I + h J",
            ),
        ),
    )
)


# ------------------------------------------------------------ the WGAN-GP loop, fixed


def _loop_inputs(g, case, suite):
    return {
        "seed": int(torch.randint(0, 2**31 - 1, (), generator=g)),
        "mu": round(number(g, 1.0, 2.5) * (1 if case % 2 == 0 else -1), 3),
        "sigma": round(number(g, 0.4, 1.5), 3),
    }


def _buggy(sign_bug: bool, graph_bug: bool):
    def loop(seed, mu, sigma):
        return _wgan_gp_critic_1d(seed, mu, sigma, sign_bug, graph_bug)

    return loop


register(
    Question(
        id="ex09_wgan_gp_loop",
        kind="debug",
        hints=(
            "Compare what the given loop prints with what a correct critic must give: an estimate "
            "of W1 >= 0 and a slope near 1. Which of the two is off, and in which direction?",
            "One bug is in which expectation the critic raises; the other is in whether the "
            "penalty's gradient can reach the critic's weights (look at torch.autograd.grad's "
            "arguments).",
            "Two one-line changes: the loss's sign and create_graph=True; keep every draw in the "
            "same order.",
        ),
        reference=wgan_gp_critic_1d,
        inputs=_loop_inputs,
        # A fixed loop that draws in another order ends elsewhere by sampling noise (about
        # 0.1 on the estimate, 0.05 on the slope); each bug moves the result by more than
        # 2 |mu| >= 2 (the sign) or the slope by a factor of 10 or more (no penalty).
        rtol=0.0,
        atol=0.3,
        cases={"visible": 1, "hidden": 2},
        mistakes=(
            Mistake(
                _buggy(True, True),
                "neither bug is fixed: the estimate has the wrong sign and the critic's slope "
                "is not held near 1",
            ),
            Mistake(
                _buggy(True, False),
                "the estimate is -W1: the critic *descends* E_q f - E_p f (it raises its score "
                "of the data p), so loss = critic(x_q).mean() - critic(x_p).mean()",
            ),
            Mistake(
                _buggy(False, True),
                "the critic's slope is far above 1 and its estimate far above W1: the penalty "
                "does not train the critic. torch.autograd.grad needs create_graph=True",
            ),
        ),
    )
)


# ---------------------------- an experiment: a critic whose gap estimates W1 within 25 %

_CRITIC_FIELDS = ("lipschitz", "steps", "lr", "clip", "gp_weight")
_CRITIC_BUDGET = {"steps": 300, "lr": 0.05, "clip": 1.0, "gp_weight": 100.0}
_CRITIC_TOLERANCE = 0.25  # relative error of the estimate
_CRITIC_SAMPLES = 2000  # of each distribution; the first half trains, the second measures


def _critic_inputs(g, case, suite):
    r, angle = number(g, 1.0, 2.0), number(g, 0.0, 2 * math.pi)
    return {
        "dx": round(r * math.cos(angle), 3),
        "dy": round(r * math.sin(angle), 3),
        "sigma": round(number(g, 0.5, 1.5), 3),
    }


def critic_estimate_run(seed: int, dx: float, dy: float, sigma: float, settings) -> float:
    r"""The held-out estimate of :math:`W_1` by :func:`genlab.wgan.fit_critic` with the settings
    ``(lipschitz, steps, lr, clip, gp_weight)`` between 2,000 samples of
    :math:`p = N((d_x, d_y), \sigma^2 I)` and of :math:`q = N(0, \sigma^2 I)` in 2-D, drawn
    with ``seed``. :math:`p` is :math:`q` moved by :math:`d`, so :math:`W_1 = \|d\|` exactly
    (no plan moves mass less far on average, and the translation attains it)."""
    lipschitz, steps, lr, clip, gp_weight = settings
    g = torch.Generator().manual_seed(seed)
    n, dt = _CRITIC_SAMPLES, torch.float64
    q = sigma * torch.randn(n, 2, generator=g, dtype=dt)
    p = torch.tensor([dx, dy], dtype=dt) + sigma * torch.randn(n, 2, generator=g, dtype=dt)
    fit = fit_critic(
        p, q, lipschitz, steps=int(steps), lr=float(lr), clip=float(clip),
        gp_weight=float(gp_weight), seed=seed,
    )  # fmt: skip
    return fit.estimate


def _critic_outcome(inputs, value, runs, needed) -> str | None:
    """Fit the critic with the settings on ``runs`` fresh seeds, here; None if ``needed`` of
    the estimates land within 25 % of the exact W1."""
    problem = settings_problem(value, _CRITIC_FIELDS, {"lipschitz": LIPSCHITZ})
    problem = problem or budget_problem(value, _CRITIC_FIELDS, _CRITIC_BUDGET)
    if problem:
        return problem
    dx, dy, sigma = inputs["dx"], inputs["dy"], inputs["sigma"]
    exact = math.hypot(dx, dy)
    with grading_run():
        estimates, good = run_until_decided(
            fresh_seeds(inputs, runs),
            lambda seed: critic_estimate_run(seed, dx, dy, sigma, value),
            lambda e: abs(e / exact - 1) <= _CRITIC_TOLERANCE,
            needed,
        )
    if good >= needed:
        return None
    bad = [e for e in estimates if abs(e / exact - 1) > _CRITIC_TOLERANCE]
    if all(e < exact for e in bad):
        why = (
            "the critic's gap stays far below W1: it is held to a slope well under 1 (weights "
            "clipped this hard cap how steep the whole network can get), or it has not "
            "finished climbing"
        )
    elif all(e > exact for e in bad):
        why = (
            "the critic's gap overshoots W1: nothing holds its slope near 1, and a steeper "
            "critic widens the gap without bound"
        )
    else:
        why = "the critic's gap misses W1"
    gave = ", ".join(f"{e:.3g}" for e in estimates)
    return (
        f"{why}: {good} of the {len(estimates)} estimates tried within "
        f"{100 * _CRITIC_TOLERANCE:g}% of the exact W1 = {exact:.3f} ({needed} of {runs} "
        f"needed); the estimates were {gave}"
    )


register(
    Question(
        id="ex09_critic_estimate",
        kind="experiment",
        hints=(
            "By Kantorovich-Rubinstein, the largest gap E_p f - E_q f over critics of slope "
            "at most 1 is W1. Fit critics with each way of keeping the slope in check and "
            "compare their gaps and their largest slopes with the exact W1.",
            "A critic whose slope is not held near 1 measures the wrong thing: too low a "
            "ceiling (tiny clipped weights) and the gap is a fraction of W1; no ceiling and it "
            "grows as long as you train. The gradient penalty pulls the slope to 1 where the "
            "two distributions meet.",
            "The constraint of section 3 with its usual weight, a few hundred full-batch "
            "steps at a learning rate of a few thousandths; clip and gp_weight are numbers "
            "either way (the one your constraint does not use is ignored).",
        ),
        reference=lambda dx, dy, sigma: ("gp", 200, 0.003, 0.01, 10.0),
        inputs=_critic_inputs,
        outcome=_critic_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(
                lambda dx, dy, sigma: ("clip", 200, 0.003, 0.01, 10.0),
                "the critic's gap stays far below W1",
            ),
            Mistake(
                lambda dx, dy, sigma: ("none", 200, 0.003, 0.01, 10.0),
                "the critic's gap overshoots W1",
            ),
            Mistake(lambda dx, dy, sigma: ("gp", 2000, 0.003, 0.01, 10.0), "over the budget"),
        ),
    )
)
