"""The lectures' GAN experiments as data functions: saturation (05), D vs D* (06), a Gaussian
fitted by an f-GAN (07) and a DCGAN judged by a digit classifier (08)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.distributions import Distribution, Normal

from genlab import losses
from genlab._checks import choice, positive, positive_int
from genlab.device import one_thread
from genlab.divergences import F_DIVERGENCES
from genlab.gan.config import GANTrainConfig, default_setup, init_gan
from genlab.gan.densities import kde
from genlab.gan.streams import draw_noise
from genlab.gan.trainer import GANTrainer
from genlab.models.gan import GaussianGenerator
from genlab.theory import optimal_discriminator
from genlab.train import TrainedClassifier, train_digit_classifier


class SaturationCurves(NamedTuple):
    """Generator costs and their gradients w.r.t. the logit, against :math:`D(G(z))`."""

    d: torch.Tensor  # (n,) D(G(z)) in (0, 1)
    logit: torch.Tensor  # (n,) its logit
    minimax_loss: torch.Tensor  # log(1 - D)
    minimax_grad: torch.Tensor  # d/dlogit log(1 - D) = -D
    non_saturating_loss: torch.Tensor  # -log D
    non_saturating_grad: torch.Tensor  # d/dlogit -log D = D - 1


def saturation_curves(n: int = 201, eps: float = 1e-3) -> SaturationCurves:
    r"""The slide "A better cost function" as data: for :math:`D = D(G(z))` from ``eps`` to
    ``1 - eps``, each generator cost of :func:`genlab.losses.generator_loss` and its derivative
    with respect to the discriminator's logit :math:`\ell`, by autograd (float64):

    .. math::
        \frac{\partial}{\partial \ell} \log(1 - \sigma(\ell)) = -D, \qquad
        \frac{\partial}{\partial \ell} \big(-\log \sigma(\ell)\big) = D - 1

    The minimax gradient vanishes where the discriminator rejects the fakes (:math:`D \to 0`),
    early in training; the non-saturating one is largest there.
    """
    n = positive_int("n", n, minimum=2)
    eps = positive("eps", eps)
    if eps >= 0.5:
        raise ValueError(f"eps must lie in (0, 0.5); got {eps}")
    d = torch.linspace(eps, 1 - eps, n, dtype=torch.float64)
    logit = torch.logit(d)
    out = {}
    for kind in losses.GENERATOR_KINDS:
        cost = partial(lambda k, l: losses.generator_loss(l[None], k), kind)  # one logit -> ()
        out[f"{kind}_loss"] = torch.func.vmap(cost)(logit)
        out[f"{kind}_grad"] = torch.func.vmap(torch.func.grad(cost))(logit)
    return SaturationCurves(d=d, logit=logit, **out)


class SaturationRun(NamedTuple):
    """One generator cost trained after the discriminator has been pretrained to win."""

    step: np.ndarray  # (T,) generator steps 1..T
    grad_norm: np.ndarray  # (T,) norm of the generator's gradient
    d_fake: np.ndarray  # (T,) mean D(G(z)) seen by that generator step
    jsd_step: np.ndarray  # (L,) steps where the JSD was logged
    jsd: np.ndarray  # (L,)


def saturation_experiment(
    steps: int = 500,
    pretrain_d_steps: int = 500,
    seed: int = 0,
    device: str = "cpu",
    kinds: Sequence[str] = losses.GENERATOR_KINDS,
    log_every: int = 10,
    g_lr: float = 0.01,
) -> dict[str, SaturationRun]:
    """The minimax cost stalls when D wins early: pretrain D for ``pretrain_d_steps`` against
    the untrained generator of the default 1-D GAN (no R1), then train ``steps`` alternating
    steps with each generator cost from that same state. Returns kind -> :class:`SaturationRun`.

    The generator takes plain gradient steps (SGD, ``g_lr``), as on the slide "Learning
    procedure": saturation is about the gradient's size, which Adam would rescale away (with
    Adam both costs move G at about the same speed).
    """
    steps = positive_int("steps", steps)
    pretrain_d_steps = positive_int("pretrain_d_steps", pretrain_d_steps, minimum=0)
    g_lr = positive("g_lr", g_lr)
    model_config, config = default_setup("mixture1d")
    out = {}
    for kind in kinds:
        choice("kinds", kind, losses.GENERATOR_KINDS)
        run_config = replace(
            config, objective=kind, r1=0.0, seed=seed, device=device, log_every=log_every
        )
        trainer = GANTrainer(init_gan(model_config, seed), "mixture1d", run_config)
        # plain gradient descent on G: Adam would rescale a vanishing gradient to full steps
        trainer.g_optimizer = torch.optim.SGD(trainer.model.generator.parameters(), lr=g_lr)
        for _ in range(pretrain_d_steps):
            trainer.step_d()  # (1) only: the generator stays where it started
        rows = [trainer.step() for _ in range(steps)]
        hist = trainer.history
        out[kind] = SaturationRun(
            step=np.arange(1, steps + 1),
            grad_norm=np.array([r["g_grad_norm"] for r in rows]),
            d_fake=np.array([r["d_fake_g"] for r in rows]),
            jsd_step=np.array(hist.get("step", [])),
            jsd=np.array(hist.get("jsd", [])),
        )
    return out


class GaussianFit(NamedTuple):
    """A Gaussian generator :math:`\\mathcal N(\\mu, \\sigma^2)` fitted by an f-GAN."""

    divergence: str
    loc: float
    scale: float
    variance: float
    jsd: float  # to the target, nats (grid estimate)


def fit_gaussian_fgan(
    divergence: str,
    steps: int = 1000,
    start_loc: float = 0.5,
    start_scale: float = 0.5,
    seed: int = 0,
    device: str = "cpu",
    **overrides,
) -> GaussianFit:
    r"""Fit :math:`G(z) = \mu + \sigma z` (preset ``gaussian1d``) to the bimodal
    :func:`genlab.data.mixture1d` by f-GAN training with ``divergence``.

    Mode covering vs mode seeking (Nowozin et al. 2016, Sec. 4; lecture 07): ``"kl"``
    (:math:`\mathrm{KL}(P\|Q)`) is minimised by moment matching, :math:`\mu = 0`,
    :math:`\sigma^2 = 4.25` for the default target; ``"reverse_kl"``
    (:math:`\mathrm{KL}(Q\|P)`) by one mode, :math:`\sigma^2 \approx 0.25`. The generator
    starts at :math:`\mathcal N(` ``start_loc, start_scale**2`` :math:`)`, off the symmetric
    saddle at 0.
    """
    choice("divergence", divergence, F_DIVERGENCES)
    config = GANTrainConfig(
        objective=divergence,
        steps=steps,
        k=3,
        batch_size=256,
        lr=1e-2,
        lr_d=4e-3,
        r1=0.0,
        seed=seed,
        device=device,
        log_every=steps,
    )
    gan = init_gan("gaussian1d", seed)
    with torch.no_grad():
        gan.generator.loc.fill_(start_loc)  # off the symmetric saddle at 0
        gan.generator.log_scale.fill_(math.log(start_scale))
    trainer = GANTrainer(gan, "mixture1d", replace(config, **overrides))
    trainer.train()
    generator = trainer.model.generator
    scale = float(generator.log_scale.detach().exp()[0])
    return GaussianFit(divergence, float(generator.loc.detach()[0]), scale, scale**2, trainer.jsd())


class DiscriminatorFit(NamedTuple):
    """A discriminator trained against a frozen generator, next to :math:`D^*`."""

    mae: float  # mean |D - D*| on the data's support
    max_error: float
    x: torch.Tensor  # (G,) grid points on the support
    d: torch.Tensor  # (G,) D(x)
    d_star: torch.Tensor  # (G,) D*(x)


def discriminator_vs_optimal(trainer: GANTrainer, d_steps: int = 3000) -> DiscriminatorFit:
    r"""Train only the discriminator of ``trainer`` (its generator frozen) for ``d_steps``,
    then compare :math:`D(x)` with :math:`D^*(x) = p_{data}/(p_{data} + p_g)` on the data's
    support: the grid points of a 1-D target where :math:`p_{data}(x) \ge 10^{-2} \max p_{data}`.

    :math:`D^*` is :func:`genlab.theory.optimal_discriminator`; :math:`p_g` is exact for a
    :class:`~genlab.models.gan.GaussianGenerator`, else a KDE of the evaluation samples. Use
    ``r1=0`` in the trainer's config: the penalty pulls D away from D* on purpose.
    """
    if trainer.target.dim != 1:
        raise ValueError(
            f"discriminator_vs_optimal needs a 1-D target; got {trainer.target.name!r}"
        )
    if trainer.config.optimal_d:
        raise ValueError("the trainer must train a discriminator network (optimal_d=False)")
    d_steps = positive_int("d_steps", d_steps)
    for _ in range(d_steps):
        trainer.step_d()
    generator = trainer.model.generator
    if isinstance(generator, GaussianGenerator):
        loc = generator.loc.detach().double().cpu()[0]
        p_g: Distribution = Normal(loc, generator.log_scale.detach().double().cpu().exp()[0])
    else:
        m = trainer.config.eval_samples
        p_g = kde(trainer.samples().cpu().double(), trainer.target.bandwidth(m))
    d_star = optimal_discriminator(trainer.target.distribution64, p_g)
    x = trainer.target.grid_axis
    on_support = trainer.target.grid_log_p >= trainer.target.grid_log_p.max() + math.log(1e-2)
    x = x[on_support]
    d = trainer.discriminator_on(x[:, None].float()).cpu().double()
    ds = d_star(x)
    err = (d - ds).abs()
    return DiscriminatorFit(float(err.mean()), float(err.max()), x, d, ds)


class DigitQuality(NamedTuple):
    """How many generated images a digit classifier recognises."""

    recognised: float  # fraction labelled with confidence >= the threshold
    mean_confidence: float
    label_counts: list[int]  # recognised samples per digit
    n: int


def dcgan_digit_quality(
    samples: torch.Tensor, classifier: nn.Module | None = None, confidence: float = 0.9
) -> DigitQuality:
    """Label ``samples`` ``(n, 1, 8, 8)`` with a :class:`~genlab.models.classifier.
    DigitClassifier` (trained with ``train_digit_classifier(seed=0)`` if none is given): the
    fraction recognised with ``max_k p(k|x) >= confidence``, and the recognised labels (no
    gradients: ``classify`` runs without them)."""
    if classifier is None:
        classifier = train_digit_classifier(seed=0, device="cpu").model
    device = next(classifier.parameters()).device
    result = classifier.classify(samples.to(device))
    ok = result.confidence >= confidence
    counts = torch.bincount(result.labels[ok].cpu(), minlength=10).tolist()
    return DigitQuality(
        float(ok.float().mean()), float(result.confidence.mean()), counts, len(samples)
    )


class DigitsRun(NamedTuple):
    """A DCGAN trained on the digits, judged by a digit classifier."""

    quality: DigitQuality  # of the weight-averaged generator (the trained one if ema=None)
    steps: int
    seconds: float  # training only
    classifier_accuracy: float  # on the held-out digits
    raw_quality: DigitQuality  # of the trained generator itself, same z
    samples: torch.Tensor  # (n, 1, 8, 8) the samples judged for ``quality``, CPU


def dcgan_digits_run(
    steps: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    n: int = 1000,
    ema: float | None = 0.99,
    progress: bool = False,
    classifier: TrainedClassifier | None = None,
) -> DigitsRun:
    r"""Train the default DCGAN on the digits for ``steps`` (default: its budget, 1500 steps,
    20-25 s on one laptop CPU core) and judge ``n`` samples with :func:`dcgan_digit_quality`:
    the lecture's "recognisable digits" check, as a measurement.

    ``ema`` is the decay :math:`\beta` of an exponential moving average of the generator's
    weights, :math:`\bar\theta_g \leftarrow \beta \bar\theta_g + (1 - \beta) \theta_g`
    after every generator step (``torch.optim.swa_utils.AveragedModel``; Yazici et al. 2019,
    Karras et al. 2018): the samples come from :math:`\bar\theta_g`, which averages out the
    last steps' oscillation. ``ema=None`` samples the trained generator itself; ``raw_quality``
    always judges it, on the same ``z``. ``progress=True`` shows a bar over the steps
    (tqdm.auto). ``classifier``: the judge (default: ``train_digit_classifier(seed=seed)``).
    """
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    if ema is not None and not 0.0 < ema < 1.0:
        raise ValueError(f"ema must be a decay in (0, 1) or None; got {ema!r}")
    model_config, config = default_setup("digits")
    config = replace(config, seed=seed, device=device, **({"steps": steps} if steps else {}))
    trainer = GANTrainer(init_gan(model_config, seed), "digits", config)
    generator = trainer.model.generator
    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(ema)) if ema else None
    started = time.perf_counter()
    steps = range(config.steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="DCGAN steps", leave=False)
    for _ in steps:
        trainer.step()
        if average is not None:
            average.update_parameters(generator)
    seconds = time.perf_counter() - started
    if classifier is None:
        classifier = train_digit_classifier(seed=seed, device=device)
    z = draw_noise(n, model_config.latent_dim, torch.Generator().manual_seed(seed))
    z = z.to(trainer.device)
    with torch.no_grad():
        raw = generator(z)  # batch norm uses this batch's statistics, in any mode
        samples = average.module(z) if average is not None else raw
    raw_quality = dcgan_digit_quality(raw, classifier.model)
    quality = dcgan_digit_quality(samples, classifier.model) if average is not None else raw_quality
    return DigitsRun(
        quality, config.steps, seconds, classifier.test_accuracy, raw_quality, samples.cpu()
    )


class LinearGANSettings(NamedTuple):
    """The settings exercise 05 lets a student choose for :func:`train_linear_gan_1d`."""

    steps: int = 150
    lr_g: float = 0.005
    lr_d: float = 0.01
    hidden: int = 8


LINEAR_GAN_BUDGET = LinearGANSettings(steps=800, lr_g=0.1, lr_d=0.1, hidden=32)  # the maxima


def train_linear_gan_1d(
    seed: int, mu: float, sigma: float, settings: Sequence[float] | None = None
) -> torch.Tensor:
    r"""Train the 1-D GAN of exercise 05 on :math:`\mathcal N(\mu, \sigma^2)` and return the
    mean and standard deviation of 2000 samples of its generator, ``(2,)``.

    The generator is linear, :math:`G(z) = az + b`, so it can match the data exactly; the
    discriminator is one tanh layer of ``settings.hidden`` units. Each step draws 64 data
    points and 64 noise values, takes one Adam step of D on :math:`J_D` (fakes detached), then
    one of G on the non-saturating cost, in float64 (``betas = (0.5, 0.999)``), every draw
    from torch's generator seeded with ``seed`` (restored afterwards). Settings above
    :data:`LINEAR_GAN_BUDGET` are refused (ValueError): that keeps a run to about a second.
    ``settings``: a :class:`LinearGANSettings` or a tuple in its order (None: the defaults).
    """
    settings = LinearGANSettings() if settings is None else LinearGANSettings(*settings)
    steps, hidden = int(settings.steps), int(settings.hidden)
    for name, value, cap in zip(settings._fields, settings, LINEAR_GAN_BUDGET, strict=True):
        if not 0 < value <= cap:
            raise ValueError(f"settings.{name} must be in (0, {cap}]; got {value!r}")
    with (
        one_thread(),
        torch.random.fork_rng(devices=[]),
    ):  # torch's global generator, restored after
        torch.manual_seed(seed)
        dt = torch.float64
        G = nn.Linear(1, 1).to(dt)
        D = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Flatten(0))
        D = D.to(dt)
        opt_G = torch.optim.Adam(G.parameters(), lr=settings.lr_g, betas=(0.5, 0.999))
        opt_D = torch.optim.Adam(D.parameters(), lr=settings.lr_d, betas=(0.5, 0.999))
        ones, zeros = torch.ones(64, dtype=dt), torch.zeros(64, dtype=dt)
        bce = nn.functional.binary_cross_entropy_with_logits
        for _ in range(steps):
            x = mu + sigma * torch.randn(64, 1, dtype=dt)
            z = torch.randn(64, 1, dtype=dt)
            # (1) update D: real -> 1, fake -> 0
            opt_D.zero_grad()
            (bce(D(x), ones) + bce(D(G(z).detach()), zeros)).backward()
            opt_D.step()
            # (2) update G: the non-saturating cost
            opt_G.zero_grad()
            bce(D(G(z)), ones).backward()
            opt_G.step()
        with torch.no_grad():
            samples = G(torch.randn(2000, 1, dtype=dt))
        return torch.stack([samples.mean(), samples.std()])


class DiscriminatorSettings(NamedTuple):
    """The settings exercise 06 lets a student choose for :func:`fit_discriminator_1d`."""

    steps: int = 20
    lr: float = 0.005
    hidden: int = 8
    batch: int = 64


DISCRIMINATOR_BUDGET = DiscriminatorSettings(steps=800, lr=0.1, hidden=32, batch=256)


class DiscriminatorFit1D(NamedTuple):
    """A discriminator trained between two fixed Gaussians, on a grid, next to :math:`D^*`."""

    grid: torch.Tensor  # (101,) spanning both Gaussians' mean +- 2 std
    d: torch.Tensor
    d_star: torch.Tensor

    @property
    def error(self) -> torch.Tensor:
        """The mean of :math:`|D - D^*|` over the grid."""
        return (self.d - self.d_star).abs().mean()


def fit_discriminator_1d(
    seed: int,
    p_data: tuple[float, float],
    p_g: tuple[float, float],
    settings: Sequence[float] | None = None,
) -> DiscriminatorFit1D:
    r"""Train a discriminator (one tanh layer of ``settings.hidden`` units) between
    :math:`p_{data} = \mathcal N(\mu, \sigma^2)` and a *frozen* :math:`p_G`, each given as
    ``(mu, sigma)``, by Adam on :math:`J_D` with fresh batches of ``settings.batch`` from each,
    for ``settings.steps`` steps; float64, every draw from torch's generator seeded with
    ``seed`` (restored afterwards). Returns it on a grid next to :math:`D^*` (lecture 06,
    Goodfellow et al. 2014, Prop. 1). Settings above :data:`DISCRIMINATOR_BUDGET` are refused
    (ValueError); ``settings`` is a :class:`DiscriminatorSettings` or a tuple in its order.
    """
    settings = DiscriminatorSettings() if settings is None else DiscriminatorSettings(*settings)
    for name, value, cap in zip(settings._fields, settings, DISCRIMINATOR_BUDGET, strict=True):
        if not 0 < value <= cap:
            raise ValueError(f"settings.{name} must be in (0, {cap}]; got {value!r}")
    steps, hidden, batch = int(settings.steps), int(settings.hidden), int(settings.batch)
    (mu_d, sigma_d), (mu_g, sigma_g) = p_data, p_g
    dt = torch.float64
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        D = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Flatten(0))
        D = D.to(dt)
        optimizer = torch.optim.Adam(D.parameters(), lr=settings.lr, betas=(0.5, 0.999))
        for _ in range(steps):
            x = mu_d + sigma_d * torch.randn(batch, 1, dtype=dt)
            fake = mu_g + sigma_g * torch.randn(batch, 1, dtype=dt)
            optimizer.zero_grad()
            losses.discriminator_loss(D(x), D(fake)).backward()
            optimizer.step()
    low = min(mu_d - 2 * sigma_d, mu_g - 2 * sigma_g)
    high = max(mu_d + 2 * sigma_d, mu_g + 2 * sigma_g)
    grid = torch.linspace(low, high, 101, dtype=dt)
    with torch.no_grad():
        d = torch.sigmoid(D(grid[:, None]))
    d_star = optimal_discriminator(
        Normal(torch.tensor(mu_d, dtype=dt), torch.tensor(sigma_d, dtype=dt)),
        Normal(torch.tensor(mu_g, dtype=dt), torch.tensor(sigma_g, dtype=dt)),
    )(grid)
    return DiscriminatorFit1D(grid, d, d_star)


class RingSettings(NamedTuple):
    """The settings exercise 08 lets a student choose for :func:`ring_gan_modes`; the
    defaults are the slides' plain game (one learning rate, no penalty)."""

    objective: str = "non_saturating"
    steps: int = 1000
    lr: float = 5e-4
    lr_d: float = 5e-4
    r1: float = 0.0
    k: int = 1


def ring_gan_modes(seeds: Sequence[int], radius: float = 2.0, settings=None) -> list[int]:
    """How many of the 8 modes of a ring of ``radius`` (:func:`genlab.gan.make_target`
    ``("ring", radius=radius)``) the GAN of each seed covers after training with ``settings``
    (a :class:`RingSettings` or a tuple in its order; None: its defaults), by
    :func:`genlab.gan.modes_covered` of its evaluation samples. The runs are one
    :class:`genlab.gan.ManySeedGANs` (the ``toy2d`` GAN, float32, on one CPU thread), with the
    ring's other defaults (``genlab.gan.DEFAULTS["ring"]``)."""
    from genlab.gan.config import DEFAULTS  # here: genlab.gan imports this module first
    from genlab.gan.many_seeds import ManySeedGANs
    from genlab.gan.metrics import modes_covered
    from genlab.gan.targets import make_target

    settings = RingSettings() if settings is None else RingSettings(*settings)
    target = make_target("ring", radius=positive("radius", radius))
    config = replace(
        DEFAULTS["ring"][1],
        objective=settings.objective,
        steps=positive_int("settings.steps", int(settings.steps)),
        lr=positive("settings.lr", float(settings.lr)),
        lr_d=positive("settings.lr_d", float(settings.lr_d)),
        r1=positive("settings.r1", float(settings.r1), allow_zero=True),
        k=positive_int("settings.k", int(settings.k)),
        device="cpu",
        log_every=10**9,
    )
    with one_thread():  # small networks: threads only add overhead
        runs = ManySeedGANs(len(seeds), target=target, config=config, seeds=list(seeds))
        runs.train()
        return [int(n) for n in modes_covered(target, runs.samples()).sum(1)]
