r"""The course's VAE and GAN objectives and regularisers as pure functions over tensors.

Conventions shared by every function here:

* **Shapes.** The last dimension is the event dimension and is summed; every leading dimension
  is a batch dimension and is kept: ``(..., D) -> (...)``. :func:`elbo` sums over all non-batch
  dimensions of ``x`` so images ``(B, C, H, W)`` work. The GAN losses take one logit per sample,
  of any shape, and return the mean over all of them (a 0-d tensor).
* **Devices and dtypes** follow the inputs (CPU or CUDA, float32 or float64). Random draws use
  ``mu``'s device and dtype and the optional ``torch.Generator``; nothing is random at import.
* **NaN policy.** A NaN in an input gives a NaN in the output for that sample (and a NaN mean
  for the GAN losses). Nothing is clamped or replaced by a plausible number, so a diverging run
  shows up as NaN rather than as a silently wrong loss.
* **Errors.** Non-tensors, non-floating dtypes, shape mismatches, ``n_samples < 1`` and unknown
  names raise ``ValueError`` naming the argument, what it got and what was expected.

The functions live in two modules, :mod:`genlab.losses.vae` (the ELBO and its terms, the
IWAE bound, free bits) and :mod:`genlab.losses.gan` (the GAN objectives, f-GAN dispatch,
regularisers, Wasserstein and least-squares losses); both are re-exported here.
"""

from genlab.estimators import (  # lecture 02's estimators, at home in genlab.estimators
    EstimatorStats,
    GaussianGrad,
    estimator_variance,
    reparam_grad,
    score_function_grad,
)
from genlab.losses.gan import (
    GENERATOR_KINDS,
    OBJECTIVES,
    WASSERSTEIN,
    GANLosses,
    check_objective,
    discriminator_loss,
    discriminator_objective,
    feature_matching_loss,
    fgan_discriminator_loss,
    fgan_generator_loss,
    gan_value,
    generator_loss,
    generator_objective,
    gradient_penalty,
    least_squares_gan_losses,
    r1_penalty,
    smoothed_discriminator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from genlab.losses.vae import (
    ELBO,
    LIKELIHOODS,
    bernoulli_nll,
    elbo,
    free_bits_kl,
    gaussian_kl,
    gaussian_nll,
    iwae_bound,
    reparameterize,
)

__all__ = [
    "ELBO",
    "GENERATOR_KINDS",
    "LIKELIHOODS",
    "OBJECTIVES",
    "WASSERSTEIN",
    "EstimatorStats",
    "GaussianGrad",
    "bernoulli_nll",
    "check_objective",
    "discriminator_loss",
    "discriminator_objective",
    "elbo",
    "estimator_variance",
    "feature_matching_loss",
    "fgan_discriminator_loss",
    "fgan_generator_loss",
    "free_bits_kl",
    "gan_value",
    "GANLosses",
    "gaussian_kl",
    "gaussian_nll",
    "generator_loss",
    "gradient_penalty",
    "iwae_bound",
    "least_squares_gan_losses",
    "generator_objective",
    "r1_penalty",
    "reparam_grad",
    "reparameterize",
    "score_function_grad",
    "smoothed_discriminator_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
