# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 02: gradients of expectations
#
# Lecture 02 derived two ways to estimate $\nabla_{\mu, \log\sigma^2}\,\mathbb E_{z\sim
# \mathcal N(\mu, \sigma^2)}[f(z)]$ and measured their variance. Here you implement them
# yourself, from given standard-normal noise $\epsilon$, so that every answer is a
# deterministic function of its inputs.
#
# **Goals.** After these exercises you can
# - write the reparameterized draw $z = \mu + \sigma\epsilon$ from a log-variance;
# - implement the score-function estimator, with the score of a Gaussian in $(\mu, \log\sigma^2)$;
# - implement the pathwise (reparameterization) estimator with `torch.autograd`;
# - summarise repeated estimates by their mean, variance and standard error.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. The written questions at the end are graded
# by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex02_reparameterize")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | transcription | 1 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | transcription | 1 |
# | 5 | derivation | 3 |
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **12** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex02_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_reparameterize_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The reparameterized draw (1 point, transcription)
#
# Write `reparameterize(mu, logvar, eps)`: the sample $z = \mu + \sigma\odot\epsilon$ of
# $\mathcal N(\mu, \sigma^2)$, where `logvar` $= \log\sigma^2$ and `eps` is standard-normal
# noise of the same shape. It must stay differentiable in `mu` and `logvar`, and must use the
# `eps` it is given (no new random numbers).


# %% nbgrader={"grade": false, "grade_id": "ex02_reparameterize_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterize(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2); any shape, elementwise."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex02_reparameterize", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex02_reparameterize", reparameterize)

# %% [markdown]
# Draws with $\mu = 0.8$, $\sigma = 0.5$ have that mean and standard deviation:

# %%
z = reparameterize(
    torch.full((100_000,), 0.8), torch.full((100_000,), math.log(0.25)), torch.randn(100_000)
)
print(f"mean {z.mean().item():.3f}, std {z.std().item():.3f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_score_function_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The score-function estimator (1 point, transcription)
#
# With $L$ samples $z^{(l)} = \mu + \sigma\epsilon^{(l)}$,
#
# $$\nabla \mathbb E_q[f(z)] \approx \frac1L\sum_{l=1}^{L} f(z^{(l)})\,\nabla\log q(z^{(l)}),
# \qquad \frac{\partial\log q}{\partial\mu} = \frac{z-\mu}{\sigma^2},\qquad
# \frac{\partial\log q}{\partial\log\sigma^2} = \frac12\left(\frac{(z-\mu)^2}{\sigma^2} - 1\right).$$
#
# Write `score_function_grad(f, mu, logvar, eps)`. `f` is applied elementwise; `eps` has shape
# `(L, *mu.shape)`. Return the pair `(grad_mu, grad_logvar)`, each of `mu`'s shape: one
# estimate per element of `mu`.


# %% nbgrader={"grade": false, "grade_id": "ex02_score_function_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def score_function_grad(f, mu, logvar, eps):
    """Score-function estimate of the gradient of E[f(z)] in (mu, logvar); eps: (L, ...)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex02_score_function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex02_score_function", score_function_grad)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_pathwise_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The pathwise estimator (1 point, transcription)
#
# After reparameterization, $\nabla\mathbb E_q[f(z)] = \mathbb E_\epsilon[\nabla f(\mu +
# \sigma\epsilon)]$, and autograd computes the inner gradient. Write
# `pathwise_grad(f, mu, logvar, eps)` with the same inputs and outputs as question 2, using
# `torch.autograd.grad`: make `mu` and `logvar` leaves that require a gradient
# (`mu.detach().requires_grad_(True)`), draw $z$, average $f(z)$ over the $L$ samples and
# differentiate. Since $f$ is elementwise, the gradient of the *sum* over elements gives every
# element its own gradient.


# %% nbgrader={"grade": false, "grade_id": "ex02_pathwise_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pathwise_grad(f, mu, logvar, eps):
    """Reparameterization estimate of the gradient of E[f(z)] in (mu, logvar); eps: (L, ...)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex02_pathwise", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex02_pathwise", pathwise_grad)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_estimator_stats_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Mean, variance and standard error of repeated estimates (1 point, transcription)
#
# `estimates` holds $R$ independent estimates along its first dimension, shape `(R, ...)`.
# Write `estimator_stats(estimates)`, returning `(mean, variance, standard_error)`, each of
# shape `estimates.shape[1:]`: the mean over the $R$ estimates, their unbiased variance
# $s^2 = \frac{1}{R-1}\sum_r (\hat g_r - \bar g)^2$, and the standard error of the mean,
# $\sqrt{s^2 / R}$.


# %% nbgrader={"grade": false, "grade_id": "ex02_estimator_stats_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def estimator_stats(estimates):
    """(mean, unbiased variance, standard error of the mean) over dim 0."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex02_estimator_stats", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex02_estimator_stats", estimator_stats)

# %% [markdown]
# Your three functions together repeat the comparison of lecture 02: 4,000 one-sample
# estimates of $\partial_\mu \mathbb E[z^2] = 2\mu$ from each estimator (with $\mu$ repeated
# along a batch dimension, each row is an independent estimate). Both are unbiased; the
# score function's variance is far larger.

# %%
R, mu0, logvar0 = 4000, 0.8, math.log(0.25)
mu, logvar = torch.full((R, 1), mu0), torch.full((R, 1), logvar0)
eps = torch.randn(1, R, 1)  # L = 1 sample per estimate
for name, estimator in (("score function", score_function_grad), ("pathwise", pathwise_grad)):
    mean, var, se = estimator_stats(estimator(lambda z: z**2, mu, logvar, eps)[0])
    print(
        f"{name:>14}: {mean.item():.3f} +- {se.item():.3f} (exact {2 * mu0}), "
        f"variance {var.item():.3f}"
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_optimal_baseline_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. The variance-optimal baseline, derived (3 points, derivation)
#
# Subtracting a constant $b$ from $f$ leaves the score-function estimator unbiased, because the
# score has mean zero: $\mathbb E_q[(f(z) - b)\, s(z)] = \mathbb E_q[f(z)\, s(z)]$, with
# $s = \partial \log q / \partial \theta$. It does change the variance. Lecture 02 used
# $b = \mathbb E[f]$; that is a good guess, not the best constant.
#
# **Derive** the constant $b^*$ that minimises the variance of one sample's term
# $(f(z) - b)\, s(z)$, for a parameter $\theta$ with score $s$. Then write
# `baseline_score_function_grad(f, mu, logvar, eps)`: the score-function estimate of question 2
# in which each parameter ($\mu$ and $\log\sigma^2$, each with its own score) subtracts its own
# $b^*$. Estimate the expectations in $b^*$ for sample $l$ from the *other* $L - 1$ samples
# (leave-one-out): a baseline computed from sample $l$ itself is correlated with it and biases
# the estimate. Same inputs and outputs as question 2. The next cell measures what it buys.


# %% nbgrader={"grade": false, "grade_id": "ex02_optimal_baseline_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def baseline_score_function_grad(f, mu, logvar, eps):
    """Score-function estimate with the variance-optimal baseline of each parameter."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex02_optimal_baseline", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex02_optimal_baseline", baseline_score_function_grad)

# %% [markdown]
# 2,000 estimates of $\partial_\mu \mathbb E[z^2]$ with $L = 10$ samples each, plain and with
# the optimal baseline: the same mean within its standard error, and a smaller variance.

# %%
R = 2000
mu, logvar = torch.full((R, 1), mu0), torch.full((R, 1), logvar0)
eps = torch.randn(10, R, 1)
for name, estimator in (
    ("plain", score_function_grad),
    ("optimal baseline", baseline_score_function_grad),
):
    mean, var, se = estimator_stats(estimator(lambda z: z**2, mu, logvar, eps)[0])
    print(
        f"{name:>16}: {mean.item():.3f} +- {se.item():.3f} (exact {2 * mu0}), "
        f"variance {var.item():.3f}"
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# Answer each question in the cell below it, in a few sentences.
#
# **1.** The score-function estimator never differentiates $f$. Name a VAE-like model where
# that matters (hint: what if $z$ is discrete?).

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex02_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** Why is $\mathbb E_q[\nabla_\phi \log q_\phi(z)] = 0$, and how does that let you
# subtract a constant baseline $b$ from $f$ without adding bias?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex02_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** If you double $L$, by what factor does the standard deviation of the estimate shrink?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex02_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** Lecture 02 found a case where the score function has the *lower* variance. What
# property of $f$ made that possible, and why does it not apply to the ELBO of a VAE on images?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex02_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** With $z = \mu_\phi + \sigma_\phi\,\epsilon$, the reparameterized gradient of
# $f_\phi(z) = \log p_\theta(x, z) - \log q_\phi(z\mid x)$ has two parts: the path through $z$
# (into both log-densities), and the direct term $-\nabla_\phi \log q_\phi(z\mid x)$ at $z$ held
# fixed, which is the slide's estimator. Which part has expectation zero, so that an estimator
# may drop it and stay unbiased? Why does dropping it give zero variance when $q_\phi$ equals
# the true posterior ("sticking the landing", Roeder et al. 2017)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex02_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex02_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Kingma & Welling (2014), *Auto-Encoding Variational Bayes*, Sec. 2.3-2.4.
# - Williams (1992), *Simple statistical gradient-following algorithms for connectionist reinforcement learning*.
# - Mohamed, Rosca, Figurnov & Mnih (2020), *Monte Carlo Gradient Estimation in Machine Learning*, JMLR.
