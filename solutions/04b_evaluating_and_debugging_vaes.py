# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 04b: evaluating and debugging VAEs
#
# Lecture 04b measured how good a VAE is: its log-likelihood by importance sampling, the two
# gaps between it and the ELBO, and the latent units it uses. Here you write those tools
# yourself. Two of the four questions give no formula: you derive it.
#
# **Goals.** After these exercises you can
# - compute the importance-weighted bound from log-weights without overflow;
# - count a VAE's active units;
# - write the free-bits KL term from its description;
# - derive the amortization gap of a linear encoder on the linear-Gaussian model.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it. It tries your function on random inputs against genlab's reference and
# prints ✔, or ✘ with what is wrong. The written questions at the end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex04b_iwae_bound")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | transcription | 1 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | derivation | 3 |
# | 5 | experiment | 3 |
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **14** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex04b_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_iwae_bound_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The importance-weighted bound, stable (1 point, transcription)
#
# Given the log-weights $\log w_k = \log p(x, z_k) - \log q(z_k\mid x)$ of $K$ draws in the
# last dimension of `log_w`, write `iwae_bound(log_w)`, `(..., K) -> (...)`:
#
# $$\mathcal L_K = \log \frac1K \sum_{k=1}^K w_k.$$
#
# The log-weights of a real model are hundreds or thousands of nats: $e^{-1000}$ is 0 and
# $e^{1000}$ is inf in floating point. Your function must stay finite for log-weights of
# $\pm 10^4$, and stay differentiable.


# %% nbgrader={"grade": false, "grade_id": "ex04b_iwae_bound_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def iwae_bound(log_w):
    """log (1/K) sum_k exp(log_w_k) over the last dim: (..., K) -> (...)."""
    ### BEGIN SOLUTION
    return torch.logsumexp(log_w, dim=-1) - math.log(log_w.shape[-1])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04b_iwae_bound", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04b_iwae_bound", iwae_bound)
### BEGIN HIDDEN TESTS
check("ex04b_iwae_bound", iwae_bound, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# One weight far above the others dominates the bound: $\mathcal L_K$ lies between the largest
# log-weight minus $\log K$ and the largest log-weight, and never below the mean log-weight
# (Jensen). Try your own log-weights:

# %%
log_w = torch.tensor([[-1000.0, -1001.0, -1010.0]])
top = log_w.max().item()
print(f"L_3 = {iwae_bound(log_w).item():.4f}, between {top - math.log(3):.4f} and {top:.4f}; "
      f"mean log-weight {log_w.mean().item():.4f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_active_units_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Active units (1 point, transcription)
#
# `mu` holds the encoder means $\mathbb E_q[z\mid x_i]$ of $N$ examples, shape `(N, J)`. A latent
# dimension is *active* (Burda et al. 2016) when its mean moves with the input:
# $\operatorname{Cov}_x\big(\mathbb E_q[z_j\mid x]\big) > $ `threshold`. Write
# `active_units(mu, threshold)`, returning a bool tensor of shape `(J,)`. Use the unbiased
# variance, as `torch.var` does by default.


# %% nbgrader={"grade": false, "grade_id": "ex04b_active_units_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def active_units(mu, threshold):
    """Which latent dimensions the encoder uses: (N, J) -> bool (J,)."""
    ### BEGIN SOLUTION
    return mu.var(dim=0) > threshold
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04b_active_units", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04b_active_units", active_units)
### BEGIN HIDDEN TESTS
check("ex04b_active_units", active_units, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# A collapsed unit need not sit at 0: any constant mean carries no information about $x$.

# %%
mu = torch.stack([torch.randn(100), torch.full((100,), 3.0), 0.01 * torch.randn(100)], dim=1)
print(active_units(mu, 0.01))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_free_bits_kl_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Free bits, from their description (1 point, transcription)
#
# `kl_per_dim` holds the KL of each latent dimension for each example of a minibatch, shape
# `(B, J)`. Kingma et al. (2016, IAF) replace the KL term of the loss by a "free bits"
# version: each latent dimension may use up to `free_nats` nats of KL, *on average over the
# minibatch*, without being pushed towards the prior. Below that level the dimension is
# charged exactly `free_nats` and gets no gradient from this term. Above it, it pays its
# average KL. The term is the total charge over the dimensions, a single number (0-d tensor).
# Write `free_bits_kl(kl_per_dim, free_nats)`. With `free_nats = 0` it must equal
# `kl_per_dim.sum(-1).mean()`.


# %% nbgrader={"grade": false, "grade_id": "ex04b_free_bits_kl_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def free_bits_kl(kl_per_dim, free_nats):
    """The free-bits KL term: (B, J) -> ()."""
    ### BEGIN SOLUTION
    return kl_per_dim.mean(0).clamp(min=free_nats).sum()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04b_free_bits_kl", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04b_free_bits_kl", free_bits_kl)
### BEGIN HIDDEN TESTS
check("ex04b_free_bits_kl", free_bits_kl, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The gradient is zero for the dimensions below the floor. That is what lets them carry a
# little information for free:

# %%
kl = torch.tensor([[0.1, 2.0], [0.3, 1.0]], requires_grad=True)
free_bits_kl(kl, 0.5).backward()
print(kl.grad)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_amortization_gap_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The amortization gap of a linear encoder, derived (3 points, derivation)
#
# The linear-Gaussian model of lecture 01: $z \sim \mathcal N(0, I_k)$,
# $x\mid z \sim \mathcal N(Wz + b, \sigma^2 I_d)$, with `W` $(d, k)$, `b` $(d,)$ and `sigma` a
# float. A linear encoder outputs $q_\phi(z\mid x) = \mathcal N(Ax + c, \operatorname{diag}
# e^{\text{logvar}})$, with `A` $(k, d)$, `c` $(k,)$ and `logvar` $(k,)$ the same for every $x$.
#
# Its **amortization gap** at $x$ is $\mathcal L(q^*) - \mathcal L(q_\phi)$. Here
# $\mathcal L$ is the ELBO at this $x$, and $q^*$ is the diagonal Gaussian with the highest
# ELBO at this $x$. Write `amortization_gap(W, b, sigma, A, c, logvar, x)` for a batch `x` of
# shape $(n, d)$, returning $(n,)$, in closed form: no sampling, no optimization loop.
#
# Work it out on paper first. Three facts from the lectures: $\log p(x) - \mathcal L(q) =
# \mathrm{KL}(q\,\|\,p(z\mid x))$ for every $q$; the posterior $p(z\mid x)$ of this model is
# Gaussian (lecture 01); the KL between two Gaussians is closed form. Which diagonal $q$
# minimizes $\mathrm{KL}(q\,\|\,p(z\mid x))$?


# %% nbgrader={"grade": false, "grade_id": "ex04b_amortization_gap_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def amortization_gap(W, b, sigma, A, c, logvar, x):
    """ELBO(q*) - ELBO(q_phi) per row of x: (n, d) -> (n,)."""
    ### BEGIN SOLUTION
    k = W.shape[1]
    precision = (W.T @ W + sigma**2 * torch.eye(k, dtype=W.dtype)) / sigma**2  # Lambda
    m = torch.linalg.solve(precision, ((x - b) @ W).T / sigma**2).T  # posterior means (n, k)
    r = x @ A.T + c - m  # encoder mean minus posterior mean
    mahalanobis = torch.einsum("ni,ij,nj->n", r, precision, r)
    t = torch.diagonal(precision) * torch.exp(logvar)  # Lambda_jj s_j^2
    return 0.5 * (mahalanobis + (t - 1 - torch.log(t)).sum())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04b_amortization_gap", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex04b_amortization_gap", amortization_gap)
### BEGIN HIDDEN TESTS
check("ex04b_amortization_gap", amortization_gap, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_amortization_gap_derivation", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Check yourself.** The gap must be zero for the encoder that outputs $q^*$ itself, and
# positive for any other. Use your derivation to build that encoder, and print its gap next
# to the gap of one you perturbed.

# %% nbgrader={"grade": false, "grade_id": "ex04b_amortization_gap_check", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
# The derivation. The posterior is N(m, Lambda^-1), with precision Lambda = (W^T W + sigma^2 I)
# / sigma^2 and mean m = Lambda^-1 W^T (x - b) / sigma^2. For q = N(a, diag s^2):
#   KL(q || p(z|x)) = 1/2 [ sum_j Lambda_jj s_j^2 + (a - m)^T Lambda (a - m) - k
#                           - log det Lambda - sum_j log s_j^2 ].
# Setting the derivatives to zero gives a = m and s_j^2 = 1 / Lambda_jj: q* matches the
# posterior's mean and the diagonal of its precision (not its marginal variances).
# Subtracting KL(q* || p(z|x)) from KL(q_phi || p(z|x)):
#   gap = 1/2 [ (a - m)^T Lambda (a - m) + sum_j (Lambda_jj s_j^2 - 1 - log(Lambda_jj s_j^2)) ].
W, b, sigma = torch.tensor([[2.0, 0.5], [1.0, 1.5], [0.0, 1.0]]), torch.tensor([0.5, -1.0, 0.0]), 0.4
M = W.T @ W + sigma**2 * torch.eye(2)
A_star = torch.linalg.solve(M, W.T)
logvar_star = -torch.log(torch.diagonal(M) / sigma**2)
x = torch.randn(4, 3)
print(amortization_gap(W, b, sigma, A_star, -A_star @ b, logvar_star, x))        # zeros
print(amortization_gap(W, b, sigma, 1.1 * A_star, -A_star @ b, logvar_star, x))  # positive
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_beta_collapse_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Choose beta: an experiment in posterior collapse (3 points, experiment)
#
# `genlab.vae_objectives.linear_beta_vae(seed, settings, scale)` trains a *linear* VAE
# (encoder mean $Ax$, decoder $\mathcal N(Wz + b, I)$, 6 latent units) by distortion
# $+\ \beta\cdot$ rate on data whose variances along six directions are `scale` times
# $(8, 5, 3, 1.2, 0.6, 0.3)$, and returns the variance of each unit's encoder mean over the
# data: a unit is *active* above 0.01 (question 2). The settings are `(beta, steps, lr)`; the
# budget is $\beta \le 10$, at most 1000 steps and a learning rate up to 0.1.
#
# **Experiment**: find settings with which **exactly 3** units stay active, and return them
# from `choose_beta_settings(scale)`. The check below trains once, on one seed you have not
# seen, and that run must end with exactly 3 active units. At grading, the grader trains with
# them on 4 more seeds you have not seen, for a `scale` you have not seen (between 0.8 and
# 1.25), in its own process: at least 3 of the 4 runs must.

# %% nbgrader={"grade": false, "grade_id": "ex04b_beta_collapse_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.vae_objectives import LinearVAESettings, linear_beta_vae

variances = linear_beta_vae(0, LinearVAESettings(beta=1.0, steps=300, lr=0.02))
print("beta = 1, 300 steps: variance of each unit's mean", [round(float(v), 3) for v in variances])


# %% nbgrader={"grade": false, "grade_id": "ex04b_beta_collapse_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_beta_settings(scale):
    """(beta, steps, lr) with which exactly three of the six units stay active."""
    ### BEGIN SOLUTION
    # A direction of variance lambda stays in use while lambda > beta (the decoder's variance
    # is 1): beta between 1.2 and 3 times scale keeps the three largest. 1.9 is near the
    # geometric middle, so that the units on either side settle within 1000 steps; a small
    # learning rate keeps the dead units' means still (active means a variance above 0.01).
    return (1.9 * scale, 1000, 0.007)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04b_beta_collapse", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex04b_beta_collapse", choose_beta_settings)
### BEGIN HIDDEN TESTS
check("ex04b_beta_collapse", choose_beta_settings, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# Answer each question in the cell below it, in a few sentences.
#
# **1.** Prove that $\mathcal L_K \le \log p(x)$. Then explain why one *draw* of
# $\log\frac1K\sum_k w_k$ can be above $\log p(x)$.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04b_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Each weight is unbiased: $\mathbb E_q[w] = \int q\,\frac{p(x,z)}{q}\,dz = p(x)$, so their
# mean $\bar w$ is too. $\log$ is concave, so by Jensen
# $\mathcal L_K = \mathbb E[\log \bar w] \le \log \mathbb E[\bar w] = \log p(x)$. The bound
# holds for the expectation only. Unless $q$ is the exact posterior, $w = p(x)\,p(z\mid x)/q(z\mid x)$
# varies with $z$ around its mean $p(x)$. Any draw with $q(z\mid x) < p(z\mid x)$ has $w > p(x)$,
# so already at $K = 1$ some draws give $\log w > \log p(x)$.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** Your VAE has ELBO $-20.1$ nats and $\mathcal L_{5000} = -18.9$ nats on 64 binary
# pixels. What is its log-likelihood in bits per dimension, and which number do you report?
# Why can you not compare it with a paper's MNIST result?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04b_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# $18.9 / (64 \ln 2) = 0.426$ bits per dimension. Report $\mathcal L_{5000}$: it is the tighter
# lower bound (in expectation) on $\log p(x)$. Give it with its standard error and $K$, and say
# how the data were binarized. It is not comparable with MNIST: those are other data (28x28
# handwritten digits, not 8x8), often binarized differently (dynamically, or with a published
# fixed binarization), and bits per dimension corrects for the number of pixels, not for how
# hard the pixels are to predict.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** Training with $\mathcal L_K$ instead of the ELBO (the IWAE objective) gives a better
# likelihood. Why can it give a *worse encoder* as $K$ grows (Rainforth et al. 2018)?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04b_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# As $K$ grows, $\mathcal L_K \to \log p(x)$ *whatever* $q$ is, so the objective depends less
# and less on the encoder. The expected gradient with respect to the encoder's parameters
# shrinks faster than its Monte Carlo noise: Rainforth et al. show that its signal-to-noise
# ratio falls like $1/\sqrt K$, while the decoder's rises like $\sqrt K$. The decoder improves,
# but the encoder's updates become mostly noise. Remedies mix the two objectives (MIWAE,
# PIWAE) or use lower-variance gradient estimators (DReG).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** In lecture 04b the linear encoder's amortization gap went to zero, but the digits
# encoder's did not. Name two changes to the digits VAE that shrink its amortization gap, and
# one that shrinks its approximation gap.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04b_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Amortization gap: a larger (wider or deeper) encoder, which can represent the map
# $x \mapsto q^*$ better; training the encoder longer or with more steps than the decoder;
# refining the encoder's output per data point at test time (semi-amortized inference, as in
# the lecture). Approximation gap: a richer variational family, such as a full-covariance
# Gaussian, a normalizing flow (IAF) or a mixture. Note also that the decoder adapts to its
# $q$: a richer family also changes which decoder is learned (Cremer et al. 2018).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** Two VAEs have the same ELBO. One has rate 0, the other rate 15 nats. Which one has
# learned a useful representation, and how would you tell them apart without the rate?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04b_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The one with rate 15 nats: its code carries up to 15 nats of information about $x$. Rate 0
# is complete posterior collapse: $q(z\mid x) = p(z)$ for every $x$, and the decoder models
# $x$ without $z$. Without the rate: count active units (the variance of the encoder means over
# the data), look at reconstructions (the collapsed model reconstructs every input to the same
# image, or to a sample that ignores it), or train a small classifier on $z$.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04b_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Burda, Grosse & Salakhutdinov (2016), *Importance Weighted Autoencoders*.
# - Cremer, Li & Duvenaud (2018), *Inference Suboptimality in Variational Autoencoders*.
# - Kingma et al. (2016), *Improved Variational Inference with Inverse Autoregressive Flow* (free bits).
# - Rainforth et al. (2018), *Tighter Variational Bounds are Not Necessarily Better*.
