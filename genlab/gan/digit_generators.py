r"""The course's digit generators on one table (lecture 09, Sec. 5): the VAE of lectures 03-04,
the conditional VAE of lecture 04 and the DCGAN of lecture 08, each trained briefly and
measured by FID, precision and recall (:mod:`genlab.metrics`) on a digit classifier's
features, against the held-out digits, next to the data-vs-data floor at the same ``n``.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import torch

from genlab._checks import positive_int
from genlab.data import digits
from genlab.gan.experiments import dcgan_digits_run
from genlab.metrics import fid, precision_recall
from genlab.models import build_vae
from genlab.models.conditional import CVAE, CVAE_PRESETS, digit_attributes
from genlab.train import TrainedClassifier, fit

__all__ = [
    "DIGIT_BUDGET",
    "DigitBudget",
    "DigitGenerators",
    "GeneratorScore",
    "compare_digit_generators",
]

DATA = "data: training digits"


class DigitBudget(NamedTuple):
    """How long each generator trains: the earlier lectures' budgets by default."""

    vae_epochs: int = 100  # lecture 04: build_vae("digits"), batch 128, lr 3e-3
    cvae_epochs: int = 40  # lecture 04: CVAE_PRESETS["digits"], batch 64, lr 2e-3
    dcgan_steps: int = 400  # lecture 08: dcgan_digits_run at SCALE = 1


DIGIT_BUDGET = DigitBudget()


class GeneratorScore(NamedTuple):
    """One row of the table: ``n`` samples of a generator against ``n`` held-out digits."""

    name: str
    n: int
    fid: float
    precision: float
    recall: float
    training: str  # the budget, in words ("" for the data)
    seconds: float  # training time


class DigitGenerators(NamedTuple):
    """The table (the data-vs-data floor first), the samples scored and the reference."""

    scores: list[GeneratorScore]
    samples: dict[str, torch.Tensor]  # name -> (n, 1, 8, 8) in [0, 1], CPU
    reference: torch.Tensor  # (n, 1, 8, 8) the held-out digits, CPU


def _trained(make, seed: int):
    """``make()`` with torch's global generator seeded (initialisation and the VAEs' noise),
    restored afterwards; returns its result and the seconds it took."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        started = time.perf_counter()
        out = make()
        return out, time.perf_counter() - started


def compare_digit_generators(
    classifier: TrainedClassifier,
    budget: DigitBudget = DIGIT_BUDGET,
    n: int = 360,
    seed: int = 0,
    k: int = 3,
    progress: bool = False,
) -> DigitGenerators:
    r"""Train the three digit generators on ``digits("train")`` with ``budget`` (on the CPU,
    seeded by ``seed``), draw ``n`` samples of each and score them against the first ``n`` of
    the 360 held-out ``digits("test")`` images: :func:`~genlab.metrics.fid` and
    :func:`~genlab.metrics.precision_recall` (``k``) on ``classifier``'s features
    (:meth:`~genlab.models.classifier.DigitClassifier.features`, float64).

    The samples: the VAE's decoded means at :math:`z \sim N(0, I)`; the conditional VAE's at
    the classes :math:`0, 1, \dots, 9, 0, \dots` in turn (the held-out set has 36 of each),
    clamped into the pixel range [0, 1] (its decoder is Gaussian; lecture 04 draws them so);
    the DCGAN's from the moving average of its generator (:func:`~genlab.gan.dcgan_digits_run`).
    The first row is the floor a perfect generator would reach: ``n`` training digits drawn
    without replacement. FID is biased upwards at small ``n``; every row has the same ``n``.
    """
    n = positive_int("n", n, minimum=k + 1)
    test = digits("test")
    if n > len(test.images):
        raise ValueError(f"n must be at most the {len(test.images)} held-out digits; got {n}")
    for name, value in zip(DigitBudget._fields, budget, strict=True):
        positive_int(f"budget.{name}", value)
    train = digits("train")
    pick = torch.Generator().manual_seed(seed)
    samples: dict[str, torch.Tensor] = {
        DATA: train.images[torch.randperm(len(train.images), generator=pick)[:n]]
    }
    seconds = {DATA: 0.0}
    training = {DATA: ""}

    def vae_samples():
        vae = build_vae("digits")
        fit(vae, train.images, epochs=budget.vae_epochs, batch_size=128, lr=3e-3, seed=seed,
            device="cpu", progress=progress)  # fmt: skip
        return vae.sample(n, generator=torch.Generator().manual_seed(seed + 1))

    def cvae_samples():
        cvae = CVAE(CVAE_PRESETS["digits"])
        attributes = (train.images, digit_attributes(train.labels))
        fit(cvae, attributes, epochs=budget.cvae_epochs, batch_size=64, lr=2e-3, seed=seed,
            device="cpu", progress=progress)  # fmt: skip
        classes = torch.arange(n) % 10
        with torch.no_grad():
            x = cvae.sample(
                n, digit_attributes(classes), generator=torch.Generator().manual_seed(seed + 1)
            )
        return x.clamp(0, 1)  # a Gaussian decoder's means, into the pixel range

    name = "VAE (lectures 03-04, 2-D latent)"
    samples[name], seconds[name] = _trained(vae_samples, seed)
    training[name] = f"{budget.vae_epochs} epochs"
    name = "conditional VAE (lecture 04)"
    samples[name], seconds[name] = _trained(cvae_samples, seed)
    training[name] = f"{budget.cvae_epochs} epochs"
    name = "DCGAN (lecture 08)"
    run = dcgan_digits_run(
        steps=budget.dcgan_steps, seed=seed, device="cpu", n=n, progress=progress,
        classifier=classifier,
    )  # fmt: skip
    samples[name], seconds[name] = run.samples, run.seconds
    training[name] = f"{run.steps} steps"

    model = classifier.model
    device = next(model.parameters()).device
    reference = test.images[:n]
    with torch.no_grad():
        real = model.features(reference.to(device)).double()  # (n, H)
        scores = []
        for name, x in samples.items():
            x = x.detach().cpu()
            samples[name] = x
            fake = model.features(x.to(device)).double()
            pr = precision_recall(real, fake, k=k)
            scores.append(
                GeneratorScore(
                    name, n, float(fid(real, fake)), float(pr.precision), float(pr.recall),
                    training[name], seconds[name],
                )
            )  # fmt: skip
    return DigitGenerators(scores, samples, reference)
