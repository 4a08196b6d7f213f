"""How a GAN is trained: the objective, the schedule, the optimizers, and the recipe per data set.

:class:`GANTrainConfig` is the one frozen config; :data:`DEFAULTS` pairs each data set with a
model preset (:data:`genlab.models.gan.GAN_PRESETS`) and the training settings that work.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlab import losses
from genlab._checks import choice, positive, positive_int
from genlab.models.gan import GAN, GAN_PRESETS, GANConfig

OBJECTIVES = losses.OBJECTIVES  # minimax, non_saturating, or an f-divergence's name
TARGETS = ("mixture1d", "mixture2d", "ring", "digits", "sprites")
OPTIMAL_D_SAMPLES = 1024  # generator samples in the KDE of p_g behind D* (optimal_d mode)
OUTCOMES = ("converged", "mode_collapsed", "unconverged", "diverged")
PRIORS = ("normal", "uniform")  # the generator's noise p(z); uniform on [-sqrt 3, sqrt 3]


@dataclass(frozen=True)
class GANTrainConfig:
    r"""How to train a GAN: the objective, the schedule, the optimizers and the logging.

    ``steps`` counts generator updates; each follows ``k`` discriminator updates. ``lr`` is the
    generator's learning rate and ``lr_d`` the discriminator's (``None``: ``lr``); both use Adam
    with ``betas`` and no schedule. ``r1`` > 0 adds the R1 penalty
    :math:`\frac{\gamma}{2}\,\mathbb E_{p_{data}} \|\nabla_x \ell(x)\|^2` on the discriminator's
    logit at real data (Mescheder et al. 2018, eq. 9), which damps the oscillation of the plain
    game; with ``r1_every = n`` it is applied on every n-th discriminator step with weight
    ``n * r1`` (lazy regularisation, Karras et al. 2020, Sec. 3.1), cheaper and as good.
    ``gp`` is :math:`\lambda` of the ``"wgan_gp"`` objective's two-sided gradient penalty on
    random interpolates (Gulrajani et al. 2017, :func:`genlab.losses.gradient_penalty`),
    unused by the other objectives. ``optimal_d`` replaces D by :math:`D^*` with a KDE of
    ``OPTIMAL_D_SAMPLES`` fresh generator samples, refitted at every discriminator step (toy
    targets; ``minimax``/``non_saturating`` only). ``eval_samples`` is ``M`` for the logged
    JSD.

    The defaults are the default 1-D GAN's (``toy1d`` on ``mixture1d``): the non-saturating
    game with a faster discriminator (two time-scales) and lazy R1, which make it converge
    reliably; ``r1=0, lr_d=None`` is the slides' plain game.
    """

    objective: str = "non_saturating"
    steps: int = 3000
    k: int = 1
    batch_size: int = 64
    lr: float = 1e-3
    lr_d: float | None = 4e-3
    betas: tuple[float, float] = (0.5, 0.999)
    r1: float = 30.0
    r1_every: int = 4
    gp: float = 10.0
    optimal_d: bool = False
    seed: int = 0
    device: str = "auto"
    log_every: int = 50
    eval_samples: int = 2048
    prior: str = "normal"

    def __post_init__(self):
        losses.check_objective(self.objective)
        choice("prior", self.prior, PRIORS)
        positive_int("steps", self.steps)
        positive_int("k", self.k)
        positive_int("batch_size", self.batch_size)
        positive("lr", self.lr)
        if self.lr_d is not None:
            positive("lr_d", self.lr_d)
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1); got {self.betas}")
        positive("r1", self.r1, allow_zero=True)
        positive_int("r1_every", self.r1_every)
        positive("gp", self.gp, allow_zero=True)
        positive_int("log_every", self.log_every)
        positive_int("eval_samples", self.eval_samples, minimum=16)
        if self.optimal_d and self.objective not in losses.GENERATOR_KINDS:
            raise ValueError(
                "objective must be 'minimax' or 'non_saturating' when optimal_d=True (D* is the "
                f"GAN's optimal discriminator); got {self.objective!r}"
            )


# Per data set: the model preset and the training settings that work (CPU-friendly budgets).
# Images: Adam with betas (0.5, 0.999) as Radford et al. 2016 (Sec. 4), at 5e-4 rather than
# their 2e-4, and a light lazy R1: the plain game at 2e-4 swings between collapse and recovery on
# the 1,437 digits; this one improves steadily (about 0.64 of samples recognised at 3000 steps),
# and the digits now use the faster recipe below.
_IMAGES = GANTrainConfig(
    steps=3000, lr=5e-4, lr_d=5e-4, r1=1.0, r1_every=4, log_every=100, eval_samples=256
)
# The digits: Adam without momentum, betas (0, 0.99) as in StyleGAN and StyleGAN2 (Karras et
# al. 2019, 2020), lets both players take 3e-3 steps without R1 and reaches a better generator
# in half the steps: about 0.75 of samples recognised at 1500 steps with an average of G's
# weights (:func:`dcgan_digits_run`, seeds 0-4), where betas (0.5, 0.99) reach about 0.64.
_DIGITS = GANTrainConfig(
    steps=1500, lr=3e-3, lr_d=3e-3, betas=(0.0, 0.99), r1=0.0, log_every=100, eval_samples=256
)
DEFAULTS: dict[str, tuple[str, GANTrainConfig]] = {
    "mixture1d": ("toy1d", GANTrainConfig()),
    # sharper modes than the 1-D target's: a lighter R1 and slower steps
    "mixture2d": ("toy2d", GANTrainConfig(lr=5e-4, lr_d=2e-3, r1=0.3)),
    "ring": ("toy2d", GANTrainConfig(lr=5e-4, lr_d=2e-3, r1=0.1)),
    "digits": ("digits", _DIGITS),
    "sprites": ("sprites", _IMAGES),
}


def default_setup(dataset: str) -> tuple[GANConfig, GANTrainConfig]:
    """The model config and training config of the course's default GAN for ``dataset``
    (the lectures' and the tests' starting point)."""
    preset, config = DEFAULTS[choice("dataset", dataset, TARGETS)]
    return GAN_PRESETS[preset], config


def init_gan(config: GANConfig | str, seed: int) -> GAN:
    """A :class:`GAN` initialised from ``seed`` (torch's global generator is left untouched)."""
    if isinstance(config, str):
        config = GAN_PRESETS[choice("config", config, GAN_PRESETS)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GAN(config)
