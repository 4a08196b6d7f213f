r"""Questions of exercise 05 (implicit models and the GAN game): the discriminator's cost
:math:`J_D`, the minimax and non-saturating generator costs, all from logits, and the
derivative of each generator cost with respect to the logit (saturation).

References: :func:`genlab.losses.discriminator_loss`, :func:`genlab.losses.generator_loss`;
the derivatives are taken from ``generator_loss`` by autograd, as
:func:`genlab.gan.saturation_curves` does (``tests/test_grading.py`` checks that they agree).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genlab.device import one_thread
from genlab.gan.experiments import LinearGANSettings, train_linear_gan_1d
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import fresh_seeds, settings_problem
from genlab.grading.questions._inputs import dtype_for, number, randn
from genlab.losses import discriminator_loss, generator_loss

# real and fake batch sizes differ in every case: each expectation is a mean over its own batch
_SIZES = {
    "visible": ((6, 4), (3, 5), (8, 6)),
    "hidden": ((5, 7), (2, 3), (9, 4), (1, 6), (7, 5), (6, 8)),
}


def _extreme(case: int, suite: str) -> bool:
    """Cases with logits where D = sigmoid(logit) rounds to exactly 0 or 1."""
    return case == 1 if suite == "visible" else case in (0, 3, 5)


def _logits(g, n, case, suite, *, big=(60.0, -800.0)):
    logits = randn(g, n, scale=2.5)
    if _extreme(case, suite):
        logits[0], logits[-1] = big
    return logits.to(dtype_for(case, suite))


# ------------------------------------------------------------------------ the discriminator


def _d_inputs(g, case, suite):
    n_real, n_fake = _SIZES[suite][case % len(_SIZES[suite])]
    return {
        "real_logits": _logits(g, n_real, case, suite, big=(-800.0, 3.0)),
        "fake_logits": _logits(g, n_fake, case, suite, big=(60.0, -3.0)),
    }


def _naive_d(real, fake):
    return -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()


_STABLE = (
    "use the logits directly: -log D = softplus(-l) and -log(1 - D) = softplus(l) "
    "(or F.binary_cross_entropy_with_logits)"
)

register(
    Question(
        id="ex05_discriminator_loss",
        kind="transcription",
        hints=(
            "J_D is a binary cross-entropy: real samples have label 1, generated ones label 0.",
            "From logits, -log D = softplus(-l) and -log(1 - D) = softplus(l); each expectation "
            "is a mean over its own batch.",
            "A 0-d tensor: the mean over the real batch plus the mean over the fake batch.",
        ),
        reference=discriminator_loss,
        inputs=_d_inputs,
        grad_args=("real_logits", "fake_logits"),
        mistakes=(
            Mistake(
                lambda r, f: -discriminator_loss(r, f),
                "that is the value V(D, G) = -J_D, which D maximises; its cost J_D is the "
                "negative, E[-log D(x)] + E[-log(1 - D(G(z)))]",
            ),
            Mistake(
                lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(),
                "real and fake are swapped: real samples should get D -> 1, so the real logits "
                "enter as -log D(x), the fake ones as -log(1 - D(G(z)))",
            ),
            Mistake(
                lambda r, f: -torch.log(r).mean() - torch.log(1 - f).mean(),
                "the inputs are logits, not probabilities: D = sigmoid(logit)",
            ),
            Mistake(
                lambda r, f: torch.cat([F.softplus(-r), F.softplus(f)]).mean(),
                "each expectation is a mean over its own batch: the real and fake batches have "
                "different sizes, so do not average their concatenation",
            ),
            Mistake(
                lambda r, f: 0.5 * discriminator_loss(r, f),
                "that is the slide 'Adversarial loss' J^(D), with factors 1/2; write the cost of "
                "the slide 'Adversarial Learning', J_D = E[-log D(x)] + E[-log(1 - D(G(z)))] "
                "(the same minimiser, twice the value)",
            ),
            Mistake(
                lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
                "each expectation is a mean over its batch, not a sum",
            ),
            Mistake(
                _naive_d,
                "log(sigmoid(l)) and log(1 - sigmoid(l)) become log 0 = -inf once sigmoid rounds "
                f"to 0 or 1 (|l| of a few dozen): {_STABLE}",
            ),
        ),
        nan_hint=f"Compute from the logits: {_STABLE}.",
    )
)


# ------------------------------------------------------------------------ the generator


def _g_inputs(g, case, suite):
    n = _SIZES[suite][case % len(_SIZES[suite])][1]
    return {"fake_logits": _logits(g, n, case, suite)}


register(
    Question(
        id="ex05_minimax_generator_loss",
        kind="transcription",
        hints=(
            "The generator's minimax cost is the fake-sample term of V, without the sign change "
            "of the discriminator's cross-entropy.",
            "log(1 - sigmoid(l)) = -softplus(l).",
            "A 0-d tensor: a mean over the batch, which the generator minimises.",
        ),
        reference=lambda fake_logits: generator_loss(fake_logits, "minimax"),
        inputs=_g_inputs,
        grad_args=("fake_logits",),
        mistakes=(
            Mistake(
                lambda f: generator_loss(f, "non_saturating"),
                "that is the non-saturating cost E[-log D(G(z))]; the minimax cost is "
                "E[log(1 - D(G(z)))], the fake term of V that G minimises",
            ),
            Mistake(
                lambda f: -generator_loss(f, "minimax"),
                "the sign: G minimises E[log(1 - D(G(z)))] (it wants D(G(z)) -> 1, where "
                "log(1 - D) -> -inf); you wrote the discriminator's term -log(1 - D)",
            ),
            Mistake(
                lambda f: torch.log(1 - f).mean(),
                "the input is logits, not probabilities: D = sigmoid(logit)",
            ),
            Mistake(
                lambda f: -F.softplus(f).sum(),
                "the expectation is a mean over the batch, not a sum",
            ),
            Mistake(
                lambda f: torch.log(1 - torch.sigmoid(f)).mean(),
                "log(1 - sigmoid(l)) becomes log 0 = -inf once sigmoid rounds to 1: use "
                "log(1 - D) = -softplus(l)",
            ),
        ),
        nan_hint="log(1 - D) = -softplus(logit) is finite for every logit.",
    )
)

register(
    Question(
        id="ex05_non_saturating_loss",
        kind="transcription",
        hints=(
            "The non-saturating cost asks the generator to make D say 'real', i.e. to maximise "
            "log D(G(z)).",
            "-log sigmoid(l) = softplus(-l).",
            "A 0-d tensor: a mean over the batch.",
        ),
        reference=lambda fake_logits: generator_loss(fake_logits, "non_saturating"),
        inputs=_g_inputs,
        grad_args=("fake_logits",),
        mistakes=(
            Mistake(
                lambda f: generator_loss(f, "minimax"),
                "that is the minimax cost E[log(1 - D(G(z)))]; the non-saturating cost is "
                "E[-log D(G(z))]",
            ),
            Mistake(
                lambda f: -generator_loss(f, "non_saturating"),
                "the sign: G minimises E[-log D(G(z))], which is small when D(G(z)) -> 1",
            ),
            Mistake(
                lambda f: F.softplus(f).mean(),
                "that is E[-log(1 - D(G(z)))], which G would minimise by making D(G(z)) -> 0; "
                "the non-saturating cost is E[-log D(G(z))] = mean softplus(-l)",
            ),
            Mistake(
                lambda f: -torch.log(f).mean(),
                "the input is logits, not probabilities: D = sigmoid(logit)",
            ),
            Mistake(
                lambda f: F.softplus(-f).sum(),
                "the expectation is a mean over the batch, not a sum",
            ),
            Mistake(
                lambda f: -torch.log(torch.sigmoid(f)).mean(),
                "log(sigmoid(l)) becomes log 0 = -inf once sigmoid returns 0 (in torch from "
                "l ~ -89 in float32, -710 in float64), and log(1 - sigmoid(l)) already from "
                "l ~ 17 in float32: use -log D = softplus(-l)",
            ),
        ),
        nan_hint="-log D = softplus(-logit) is finite for every logit.",
    )
)


# ----------------------------------------------------------------- saturation: d cost / d logit


def _cost_gradients(fake_logits):
    """d/dl of each sample's own cost (not of the batch mean), elementwise: the gradient of
    n times the mean cost, since sample i's logit enters only its own term."""
    with torch.enable_grad():
        logits = fake_logits.detach().requires_grad_(True)
        n = logits.numel()
        return tuple(
            torch.autograd.grad(n * generator_loss(logits, kind), logits)[0]
            for kind in ("minimax", "non_saturating")
        )


def _saturation_inputs(g, case, suite):
    n = _SIZES[suite][case % len(_SIZES[suite])][0]
    logits = randn(g, n, scale=3.0)
    logits[0] = -12.0  # D rejects this fake: the minimax gradient has all but vanished
    return {"fake_logits": logits.to(dtype_for(case, suite))}


def _saturation_variant(kind):
    def wrong(fake_logits):
        d = torch.sigmoid(fake_logits)
        if kind == "wrt_d":
            return -1 / (1 - d), -1 / d
        if kind == "batch_mean":
            n = fake_logits.numel()
            return -d / n, (d - 1) / n
        if kind == "swapped":
            return d - 1, -d
        if kind == "signs":
            return d, 1 - d
        return -fake_logits, fake_logits - 1  # "probabilities"

    return wrong


register(
    Question(
        id="ex05_saturation",
        kind="derivation",
        hints=(
            "Write each cost of one sample as a function of its logit only, then differentiate "
            "with the chain rule through the sigmoid.",
            "sigma'(l) = sigma(l)(1 - sigma(l)); the derivative of log(1 - sigma(l)) and of -log "
            "sigma(l) each simplifies to one sigmoid times a sign.",
            "Two tensors of the logits' shape; where D rejects the fake (l very negative) one of "
            "them vanishes and the other tends to -1.",
        ),
        reference=_cost_gradients,
        inputs=_saturation_inputs,
        fields=("minimax_grad", "non_saturating_grad"),
        mistakes=(
            Mistake(
                _saturation_variant("wrt_d"),
                "you differentiated with respect to D = sigmoid(l); the question asks for the "
                "derivative with respect to the logit l (chain rule: dD/dl = D (1 - D))",
            ),
            Mistake(
                _saturation_variant("batch_mean"),
                "that is the gradient of the batch mean (each logit gets 1/B of it); return the "
                "derivative of each sample's own cost",
            ),
            Mistake(
                _saturation_variant("swapped"),
                "the two are swapped: d/dl log(1 - D) = -D (minimax), d/dl (-log D) = D - 1 "
                "(non-saturating)",
            ),
            Mistake(
                _saturation_variant("signs"),
                "both signs are flipped: these are the derivatives of the costs G minimises, "
                "log(1 - D) and -log D; both decrease as the logit grows",
            ),
            Mistake(
                _saturation_variant("probabilities"),
                "fake_logits are logits: D = sigmoid(l), and the derivatives are -D and D - 1",
            ),
        ),
        rtol=1e-6,
        atol=1e-10,
    )
)


# ------------------------------------------------------- a GAN loop with planted bugs (debug)


def gan_loop_1d(*, fake_label: float = 0.0, detach: bool = True, zero_grad_first: bool = False):
    """A 1-D GAN's training loop (G(z) = a z + b, a tanh D), returning ``loop(seed, mu, sigma)``
    -> [mean, std] of 2000 samples of G after 120 steps on N(mu, sigma^2). The defaults are the
    correct loop; the arguments plant the bugs of exercise 05, question 5."""

    def loop(seed, mu, sigma):
        with one_thread():  # a tiny model: threads only add overhead
            torch.manual_seed(seed)
            dt = torch.float64
            G = torch.nn.Linear(1, 1).to(dt)
            D = torch.nn.Sequential(
                torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Flatten(0)
            ).to(dt)
            opt_G = torch.optim.Adam(G.parameters(), lr=0.03, betas=(0.5, 0.999))
            opt_D = torch.optim.Adam(D.parameters(), lr=0.03, betas=(0.5, 0.999))
            ones, fake_target = torch.ones(64, dtype=dt), torch.full((64,), fake_label, dtype=dt)
            for _ in range(120):
                if zero_grad_first:  # bug: clears G's gradients before D's backward fills them
                    opt_G.zero_grad()
                x = mu + sigma * torch.randn(64, 1, dtype=dt)
                z = torch.randn(64, 1, dtype=dt)
                fake = G(z)
                # (1) update D: real -> 1, fake -> 0
                opt_D.zero_grad()
                d_fake = D(fake.detach() if detach else fake)
                d_loss = F.binary_cross_entropy_with_logits(
                    D(x), ones
                ) + F.binary_cross_entropy_with_logits(d_fake, fake_target)
                d_loss.backward()
                opt_D.step()
                # (2) update G: the non-saturating cost
                if not zero_grad_first:
                    opt_G.zero_grad()
                g_loss = F.binary_cross_entropy_with_logits(D(G(z)), ones)
                g_loss.backward()
                opt_G.step()
            with torch.no_grad():
                samples = G(torch.randn(2000, 1, dtype=dt))
            return torch.stack([samples.mean(), samples.std()])

    return loop


def _gan_loop_inputs(g, case, suite):
    return {
        "seed": int(torch.randint(0, 2**31 - 1, (), generator=g)),
        "mu": round(number(g, -2.0, 2.0), 3),
        "sigma": round(number(g, 0.5, 1.5), 3),
    }


register(
    Question(
        id="ex05_gan_loop",
        kind="debug",
        hints=(
            "Run the given loop and look at what it returns: a generator that has learned "
            "N(mu, sigma^2) has a std near sigma. Then read each step against the slides' "
            "learning procedure: which labels does D's loss use, and whose gradients does each "
            "backward fill?",
            "D must learn real -> 1 and fake -> 0; the generator's cost is the one that labels "
            "the fakes 1. And G's .grad is filled by any backward that reaches G's parameters: "
            "follow the fake samples through D's loss.",
            "Two small changes: the fakes' target in D's loss, and one of two ways to keep D's "
            "loss out of G's step (cut the fakes from G's graph in D's loss, or clear G's "
            "gradients right before its own backward). Keep every draw in the same order.",
        ),
        reference=gan_loop_1d(),
        inputs=_gan_loop_inputs,
        # A fixed loop with the same draws in the same order returns the reference's numbers to
        # rounding; each bug moves the mean or the std by more than 0.15 on the seeds tried.
        rtol=0.0,
        atol=0.05,
        cases={"visible": 1, "hidden": 2},
        mistakes=(
            Mistake(
                gan_loop_1d(fake_label=1.0, detach=False, zero_grad_first=True),
                "the generator collapses: D is trained on the generator's target, the fakes "
                "labelled 1 in D's loss; label them 0 (then check what else reaches G's "
                "gradients)",
            ),
            Mistake(
                gan_loop_1d(detach=False, zero_grad_first=True),
                "D's labels are right now, but G's step still follows D's loss too: without "
                ".detach() D's backward fills G's .grad, and opt_G.zero_grad() at the top of "
                "the loop does not clear it; detach the fakes in D's loss, or zero G's "
                "gradients right before its own backward",
            ),
        ),
    )
)


# ----------------------------------------- an experiment: settings that make the GAN learn

_TOLERANCE = 0.15


def _settings_inputs(g, case, suite):
    return {"mu": round(number(g, -2.0, 2.0), 3), "sigma": round(number(g, 0.5, 1.5), 3)}


def _settings_outcome(inputs, value, runs, needed) -> str | None:
    """Train the GAN of the settings on ``runs`` fresh seeds, here; None if ``needed`` of
    them learn."""
    problem = settings_problem(value, LinearGANSettings._fields)
    if problem:
        return problem
    mu, sigma = inputs["mu"], inputs["sigma"]
    try:
        results = [
            train_linear_gan_1d(seed, mu, sigma, value) for seed in fresh_seeds(inputs, runs)
        ]
    except ValueError as err:
        return f"over the budget: {err}"
    good = [
        abs(float(m) - mu) <= _TOLERANCE * sigma and abs(float(s) / sigma - 1) <= _TOLERANCE
        for m, s in results
    ]
    if sum(good) >= needed:
        return None
    gave = "; ".join(f"mean {float(m):.2f}, std {float(s):.2f}" for m, s in results)
    return (
        f"too few runs reached N({mu:g}, {sigma:g}^2): {sum(good)} of {runs}, {needed} needed "
        f"(mean within {_TOLERANCE:g} sigma of mu, std within {100 * _TOLERANCE:g}% of "
        f"sigma); the runs gave {gave}"
    )


register(
    Question(
        id="ex05_gan_settings",
        kind="experiment",
        hints=(
            "Watch one run at a time: print the mean and std of the generator's samples "
            "after 100, 200, 400 steps. Which of the two moves slowly, and which settings "
            "govern how fast G's parameters move?",
            "The generator's bias has to travel from near 0 to mu, one Adam step of size about "
            "lr_g at a time: the product of steps and lr_g bounds how far it can get. The "
            "discriminator must keep up with it (lr_d at least lr_g) without overshooting.",
            "Four numbers within the budget: several hundred steps, lr_g of a few hundredths, "
            "lr_d about twice lr_g, and a discriminator of 8 to 32 units; check them on seeds "
            "of your own before you submit.",
        ),
        reference=lambda mu, sigma: (500, 0.03, 0.06, 16),
        inputs=_settings_inputs,
        outcome=_settings_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(
                lambda mu, sigma: tuple(LinearGANSettings()),
                "too few runs reached",
            ),
            Mistake(lambda mu, sigma: (2000, 0.01, 0.03, 16), "over the budget"),
        ),
    )
)
