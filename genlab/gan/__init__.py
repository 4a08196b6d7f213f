r"""Training GANs and looking inside them (lectures 05-08).

The game (slide "Learning procedure"): alternate ``k`` discriminator updates with one generator
update. The objective is ``"minimax"`` or ``"non_saturating"`` (:func:`genlab.losses.
discriminator_loss`, :func:`genlab.losses.generator_loss`) or the name of an f-divergence in
:data:`genlab.divergences.F_DIVERGENCES` (variational divergence minimisation, Nowozin et al.
2016), dispatched by :func:`genlab.losses.discriminator_objective` and
:func:`genlab.losses.generator_objective`. Nothing here re-derives a loss.

One concept per module:

- :mod:`~genlab.gan.config`: :class:`GANTrainConfig`, the recipe per data set (``DEFAULTS``);
- :mod:`~genlab.gan.targets`: :class:`Target`, what a GAN learns (wraps a torch distribution);
- :mod:`~genlab.gan.metrics`: the JSD on a grid, mode coverage, outcome classification;
- :mod:`~genlab.gan.densities`: a KDE of samples, a 1-D generator's exact density, D*'s logit;
- :mod:`~genlab.gan.streams`: the noise prior and the per-run random streams;
- :mod:`~genlab.gan.steps`: the two updates, shared by both trainers;
- :mod:`~genlab.gan.trainer`: :class:`GANTrainer`, one GAN a step at a time;
- :mod:`~genlab.gan.many_seeds`: :class:`ManySeedGANs`, ``N`` runs at once, and their outcomes;
- :mod:`~genlab.gan.experiments`: the lectures' experiments as data functions;
- :mod:`~genlab.gan.digit_generators`: the course's digit generators on one table (FID,
  precision, recall).
"""

from genlab.gan.config import (
    DEFAULTS,
    OBJECTIVES,
    OPTIMAL_D_SAMPLES,
    OUTCOMES,
    PRIORS,
    TARGETS,
    GANTrainConfig,
    default_setup,
    init_gan,
)
from genlab.gan.densities import (
    generator_density_1d,
    generator_mass_1d,
    kde,
    optimal_logit,
    wasserstein_1d_to_target,
)
from genlab.gan.digit_generators import (
    DIGIT_BUDGET,
    DigitBudget,
    DigitGenerators,
    GeneratorScore,
    compare_digit_generators,
)
from genlab.gan.experiments import (
    DigitQuality,
    DigitsRun,
    DiscriminatorFit,
    DiscriminatorFit1D,
    DiscriminatorSettings,
    GaussianFit,
    LinearGANSettings,
    SaturationCurves,
    SaturationRun,
    dcgan_digit_quality,
    dcgan_digits_run,
    discriminator_vs_optimal,
    fit_discriminator_1d,
    fit_gaussian_fgan,
    saturation_curves,
    saturation_experiment,
    train_linear_gan_1d,
)
from genlab.gan.many_seeds import (
    ManySeedGANs,
    ManySeedResult,
    compare_objectives,
)
from genlab.gan.metrics import (
    GridDensities,
    classify_runs,
    grid_jsd,
    grid_kde,
    mode_coverage,
    modes_covered,
)
from genlab.gan.steps import discriminator_step, generator_step
from genlab.gan.streams import draw_noise
from genlab.gan.targets import Target, make_target
from genlab.gan.trainer import EVENTS, GANTrainer, GeneratorMap, Picture
from genlab.losses import discriminator_objective, generator_objective, r1_penalty

__all__ = [
    "DEFAULTS",
    "DIGIT_BUDGET",
    "DigitBudget",
    "DigitGenerators",
    "GeneratorScore",
    "compare_digit_generators",
    "EVENTS",
    "OBJECTIVES",
    "OPTIMAL_D_SAMPLES",
    "OUTCOMES",
    "PRIORS",
    "Picture",
    "TARGETS",
    "DigitQuality",
    "DigitsRun",
    "DiscriminatorFit",
    "DiscriminatorFit1D",
    "DiscriminatorSettings",
    "GANTrainConfig",
    "GANTrainer",
    "GaussianFit",
    "LinearGANSettings",
    "GeneratorMap",
    "GridDensities",
    "ManySeedGANs",
    "ManySeedResult",
    "SaturationCurves",
    "SaturationRun",
    "Target",
    "classify_runs",
    "compare_objectives",
    "dcgan_digit_quality",
    "dcgan_digits_run",
    "default_setup",
    "discriminator_objective",
    "discriminator_step",
    "discriminator_vs_optimal",
    "fit_discriminator_1d",
    "draw_noise",
    "generator_density_1d",
    "generator_mass_1d",
    "wasserstein_1d_to_target",
    "fit_gaussian_fgan",
    "generator_objective",
    "generator_step",
    "grid_jsd",
    "grid_kde",
    "init_gan",
    "kde",
    "make_target",
    "mode_coverage",
    "modes_covered",
    "optimal_logit",
    "r1_penalty",
    "saturation_curves",
    "saturation_experiment",
    "train_linear_gan_1d",
]
