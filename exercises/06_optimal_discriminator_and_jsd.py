# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 06: the optimal discriminator and the JSD
#
# For a fixed generator the discriminator's best response is
# $D^*(x) = p_{data}(x) / (p_{data}(x) + p_G(x))$, and at $D^*$ the game's value is
# $V(D^*, G) = 2\,\mathrm{JSD}(p_{data}\,\|\,p_G) - \log 4$ (Goodfellow et al. 2014, Prop. 1 and
# Thm. 1). Here you compute each piece yourself and check the identity: $D^*$ of two Gaussians
# far out in their tails, the value $V(D, G)$ and the JSD of distributions on $K$ points, and
# the value at the optimum.
#
# **Goals.** After these exercises you can
# - compute $D^*$ from log-densities, where the densities themselves underflow;
# - evaluate $V(D, G)$ as an expectation under two distributions, from the logits of $D$;
# - compute the JSD with the convention $0 \log 0 = 0$;
# - explain and verify $\max_D V(D, G) = 2\,\mathrm{JSD} - \log 4$.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. In questions 2 to 4 a distribution on $K$
# points is a tensor `(..., K)` of probabilities summing to 1 over the last dimension (on a
# grid, a density times the cell size is such a vector); each function returns one value per
# distribution, `(...)`. The written questions at the end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex06_optimal_discriminator")` in a scratch cell shows that question's next hint:
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
# | 6 | experiment | 3 |
# | check your understanding | written, graded by hand | 8 |
# | **total** | | **18** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex06_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_optimal_discriminator_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The optimal discriminator of two Gaussians (1 point, transcription)
#
# For $p_{data} = \mathcal N(\mu_{data}, \sigma_{data}^2)$ and $p_G = \mathcal N(\mu_G,
# \sigma_G^2)$, write `optimal_discriminator(x, mu_data, sigma_data, mu_g, sigma_g)`:
# $D^*$ at every point of `x` `(N,)` (the other arguments are Python floats; the sigmas are
# standard deviations). Far from both means (the checks use $|x| = 80$) both densities
# underflow to 0, and $p/(p + q)$ is $0/0$. Compute from log-densities instead:
#
# $$D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_G(x)} = \sigma\big(\log p_{data}(x) - \log p_G(x)\big),
# \qquad \log\mathcal N(x; \mu, \sigma^2) = -\frac{(x-\mu)^2}{2\sigma^2} - \log\sigma - \frac12\log 2\pi.$$


# %% nbgrader={"grade": false, "grade_id": "ex06_optimal_discriminator_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def optimal_discriminator(x, mu_data, sigma_data, mu_g, sigma_g):
    """D*(x) = p_data / (p_data + p_g) for two 1-D Gaussians, from log-densities: (N,) -> (N,)."""

    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex06_optimal_discriminator", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex06_optimal_discriminator", optimal_discriminator)

# %% [markdown]
# With $p_G$ wider than $p_{data}$, $D^*$ is above 1/2 near the data and goes to 0 in both
# tails, where only the generator puts (tiny) mass; it is exactly 1/2 where the densities cross.

# %%
x = torch.tensor([-80.0, -3.0, -1.0, 0.0, 1.0, 3.0, 80.0])
print(optimal_discriminator(x, 0.0, 1.0, 0.5, 2.0))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_game_value_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The value of the game (1 point, transcription)
#
# For distributions on $K$ points, and a discriminator given by its logits $\ell_k$ at those
# points ($D_k = \sigma(\ell_k)$), the value function of the slides is
#
# $$V(D, G) = \mathbb E_{x\sim p_{data}}[\log D(x)] + \mathbb E_{x\sim p_G}[\log(1 - D(x))]
# = \sum_k p_{data,k}\log D_k + p_{G,k}\log(1 - D_k).$$
#
# Write `game_value(p_data, p_g, logits)`, all three `(..., K)`, returning `(...)`. Use
# $\log\sigma(\ell)$ = `torch.nn.functional.logsigmoid(l)` and $\log(1 - \sigma(\ell)) = \log\sigma(-\ell)$, so
# that a confident discriminator ($|\ell|$ of 40 and more) does not give $\log 0$.


# %% nbgrader={"grade": false, "grade_id": "ex06_game_value_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def game_value(p_data, p_g, logits):
    """V(D, G) = sum_k p_data log D + p_g log(1 - D), D = sigmoid(logits): (..., K) -> (...)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex06_game_value", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex06_game_value", game_value)

# %% [markdown]
# Now *train* a discriminator: gradient ascent on $V$ over free logits, one per point, for a
# fixed $p_G$. It converges onto $D^* = p_{data}/(p_{data} + p_G)$, the slide's pointwise
# maximiser of $a\log y + b\log(1-y)$:

# %%
p_data = torch.tensor([0.05, 0.10, 0.30, 0.40, 0.15])
p_g = torch.tensor([0.30, 0.25, 0.20, 0.15, 0.10])
logits = torch.zeros(5, requires_grad=True)
for _ in range(2000):
    (grad,) = torch.autograd.grad(game_value(p_data, p_g, logits), logits)
    with torch.no_grad():
        logits += 5.0 * grad  # ascent on V
print("trained D:", torch.sigmoid(logits).detach().numpy().round(4))
print("D*       :", (p_data / (p_data + p_g)).numpy().round(4))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_jsd_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The Jensen-Shannon divergence (1 point, transcription)
#
# $$\mathrm{JSD}(p\,\|\,q) = \tfrac12 \mathrm{KL}(p\,\|\,m) + \tfrac12 \mathrm{KL}(q\,\|\,m),
# \qquad m = \tfrac12 (p + q), \qquad \mathrm{KL}(p\,\|\,m) = \sum_k p_k \log\frac{p_k}{m_k}.$$
#
# Write `jsd(p_data, p_g)`, `(..., K)` each, returning `(...)`, in nats. Some points have no
# mass under one distribution or both: their terms are $0 \log 0 = 0$. Computed as written,
# `0 * torch.log(0)` is NaN; `torch.special.xlogy(a, b)` $= a\log b$ is 0 where $a = 0$.


# %% nbgrader={"grade": false, "grade_id": "ex06_jsd_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jsd(p_data, p_g):
    """JSD of two distributions on K points, in nats, with 0 log 0 = 0: (..., K) -> (...)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex06_jsd", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex06_jsd", jsd)

# %% [markdown]
# The JSD is symmetric, zero for equal distributions, and at most $\log 2 \approx 0.693$,
# reached when the supports do not overlap (where the KL would be infinite):

# %%
disjoint_a, disjoint_b = torch.tensor([0.5, 0.5, 0.0, 0.0]), torch.tensor([0.0, 0.0, 0.3, 0.7])
print(
    f"JSD(p_data, p_g) = {jsd(p_data, p_g).item():.4f} = JSD(p_g, p_data) = "
    f"{jsd(p_g, p_data).item():.4f}"
)
print(
    f"JSD(p, p) = {jsd(p_data, p_data).item():.4f}; disjoint: {jsd(disjoint_a, disjoint_b).item():.4f}"
    f" (log 2 = {math.log(2):.4f})"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_value_at_optimum_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The value at the optimal discriminator (1 point, transcription)
#
# Write `value_at_optimum(p_data, p_g)`: $V(D^*, G)$, the value of the game when the
# discriminator is optimal, `(..., K)` each $\to$ `(...)`. You may plug
# $D^*_k = p_{data,k}/(p_{data,k} + p_{G,k})$ into $V$ (mind the points where a probability is
# 0: $D^*$ is then exactly 0 or 1, and where both are 0 it is undefined but the point adds
# nothing), or use the slides' identity $V(D^*, G) = 2\,\mathrm{JSD} - \log 4$ with your `jsd`.


# %% nbgrader={"grade": false, "grade_id": "ex06_value_at_optimum_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def value_at_optimum(p_data, p_g):
    """V(D*, G) for distributions on K points: (..., K) -> (...)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex06_value_at_optimum", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex06_value_at_optimum", value_at_optimum)

# %% [markdown]
# The identity, on the pair of question 2: the trained discriminator's value, the value at
# $D^*$, and $2\,\mathrm{JSD} - \log 4$ agree. And when the generator matches the data, the
# value is $-\log 4$ and $D^* = 1/2$ everywhere: the global optimum of the game.

# %%
print(f"V(trained D, G) = {game_value(p_data, p_g, logits).item():.6f}")
print(f"V(D*, G)        = {value_at_optimum(p_data, p_g).item():.6f}")
print(f"2 JSD - log 4   = {(2 * jsd(p_data, p_g) - math.log(4)).item():.6f}")
print(
    f"p_g = p_data: V(D*, G) = {value_at_optimum(p_data, p_data).item():.6f}, "
    f"-log 4 = {-math.log(4):.6f}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_weighted_optimal_discriminator_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. D* when the batch is unbalanced, derived (3 points, derivation)
#
# A common implementation concatenates $B$ real and $B'$ generated samples into one batch,
# labels them 1 and 0, and averages the binary cross-entropy over all $B + B'$ of them. With
# $B' \ne B$ (say, several generated samples per real one) this is no longer the slides' $J_D$,
# and its optimal discriminator is no longer $p_{data}/(p_{data} + p_G)$.
#
# **Derive** the discriminator that minimises the expected loss of such a batch, pointwise in
# $x$, as the slides did for $J_D$. Then write
# `batch_optimal_discriminator(x, mu_data, sigma_data, mu_g, sigma_g, n_real, n_fake)` for the
# two Gaussians of question 1 and the counts $B$ = `n_real`, $B'$ = `n_fake` (Python ints),
# returning $D^*$ at every point of `x` `(N,)`. Stay exact where both densities underflow, as in
# question 1.


# %% nbgrader={"grade": false, "grade_id": "ex06_weighted_optimal_discriminator_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batch_optimal_discriminator(x, mu_data, sigma_data, mu_g, sigma_g, n_real, n_fake):
    """D*(x) of the cross-entropy averaged over a batch of n_real real and n_fake fake samples."""

    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex06_weighted_optimal_discriminator", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex06_weighted_optimal_discriminator", batch_optimal_discriminator)

# %% [markdown]
# With four fakes per real sample, the optimal discriminator says "real" less readily: where
# $p_{data} = p_G$ it outputs $1/5$, not $1/2$, and the game it plays is no longer the one whose
# value at the optimum is $2\,\mathrm{JSD} - \log 4$.

# %%
x = torch.tensor([0.0], dtype=torch.float64)
for n_fake in (16, 64):
    print(
        n_fake,
        "fakes per 16 reals:",
        float(batch_optimal_discriminator(x, 0.0, 1.0, 0.0, 1.0, 16, n_fake)),
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_fit_discriminator_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Train a discriminator until it is D*: an experiment (3 points, experiment)
#
# The slides' proof assumes that the discriminator reaches $D^*$. A real one is trained by
# stochastic gradient steps on batches. `genlab.gan.fit_discriminator_1d(seed, p_data, p_g,
# settings)` trains one between $p_{data} = \mathcal N(\mu, \sigma^2)$ and a frozen $p_G$, each
# given as `(mu, sigma)`, with four settings you choose, `(steps, lr, hidden, batch)`, and
# returns it next to $D^*$ on a grid (`.error` is the mean of $|D - D^*|$ there). The defaults,
# `genlab.gan.DiscriminatorSettings()`, stop far from $D^*$. The budget: at most 800 steps, a
# learning rate up to 0.1, 32 hidden units and batches of 256.
#
# **Experiment**: find settings with which the discriminator ends close to $D^*$, and return
# them from `choose_discriminator_settings(mu_data, sigma_data, mu_g, sigma_g)` as a tuple of
# four numbers. At grading, the grader trains with them on 4 seeds you have not seen, for
# Gaussians you have not seen, in its own process: at least 3 of the 4 must end with a mean
# $|D - D^*|$ of at most 0.03. The check below trains once, on one seed, for one pair of
# Gaussians: a ✔ there says that one run got there, and grading tries more.

# %% nbgrader={"grade": false, "grade_id": "ex06_fit_discriminator_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.gan import DiscriminatorSettings, fit_discriminator_1d

fit = fit_discriminator_1d(0, (0.5, 0.8), (-0.3, 1.4))
print(f"default settings {tuple(DiscriminatorSettings())}: mean |D - D*| = {float(fit.error):.3f}")


# %% nbgrader={"grade": false, "grade_id": "ex06_fit_discriminator_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_discriminator_settings(mu_data, sigma_data, mu_g, sigma_g):
    """(steps, lr, hidden, batch) with which a discriminator ends close to D*."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex06_fit_discriminator", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex06_fit_discriminator", choose_discriminator_settings)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the first four questions at the end of lecture 06. Answer each in the cell below
# it, in a few sentences.
#
# **1.** At the stationary point of the slides, $p_G = p_{data}$. What does $D^*$ output, and
# why does the generator then receive no gradient?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** Suppose $p_{data}$ and $p_G$ have disjoint supports (early in training, for image
# data on a low-dimensional manifold). What are the JSD and $V(D^*, G)$, and what does that
# mean for a generator trained against a (nearly) optimal discriminator?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** The convergence proof assumes that $D$ reaches $D^*$ after every generator step and
# that $G$ updates $p_G$ directly. Name two ways real training breaks these assumptions, and
# what can go wrong as a result.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** Lecture 06 (section 2) moved the maximisation over $D$ inside the integral. Which
# property of the set of allowed discriminators makes that legitimate, and which discriminator
# of the lecture breaks it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** Why is $D^* = a/(a+b)$ a global and not only a local maximum of
# $h(y) = a\log y + b\log(1-y)$? What happens at points where $a = b = 0$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_6_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **6.** In line (4) of the proof, where exactly does the $-\log 4$ come from? What would it be
# if $p_g$ were not normalised?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_6", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_7_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **7.** The generator in optimal-discriminator mode differentiates through a *fixed* $D^*$.
# Why is that still the gradient of $2\,\mathrm{JSD} - \log 4$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_7", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_understanding_8_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **8.** Two independent samples of the same distribution have empirical JSD $\log 2$. Why does
# that not make GAN training hopeless, and what does the discriminator's limited capacity have
# to do with it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex06_understanding_8", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex06_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Goodfellow et al. (2014), *Generative Adversarial Nets*, NeurIPS, Prop. 1 and Thm. 1.
# - Arjovsky & Bottou (2017), *Towards Principled Methods for Training Generative Adversarial Networks*, ICLR.
# - Arora, Ge, Liang, Ma & Zhang (2017), *Generalization and Equilibrium in Generative Adversarial Nets*, ICML.
