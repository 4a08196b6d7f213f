# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 03: the Gaussian VAE
#
# Lecture 03 built the loss of a Gaussian VAE from parts that `genlab` provides. Here you write
# those parts yourself: the closed-form KL term, the Gaussian reconstruction cost with a constant
# variance, the Bernoulli cost from logits, and the per-sample ELBO with its two terms.
#
# **Goals.** After these exercises you can
# - write the KL term of a Gaussian encoder, with the right sign, sum and parameterization;
# - write a negative log-likelihood with every constant, and say when a constant may be dropped;
# - compute a Bernoulli likelihood from logits without overflow;
# - assemble the ELBO from its regularization and reconstruction terms.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: it tries your function on random inputs against genlab's reference and
# prints ✔, or ✘ with what is wrong (a sign, a sum that should be a mean, a missing constant,
# a gradient that does not flow, ...). The written questions at the end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex03_gaussian_kl")` in a scratch cell shows that question's next hint:
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
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **15** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex03_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_gaussian_kl_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The KL term in closed form (1 point, transcription)
#
# The encoder outputs $q(z\mid x) = \mathcal N(\mu, \operatorname{diag}\sigma^2)$ as `mu` and
# `logvar` $= \log\sigma^2$; the prior is $p(z) = \mathcal N(0, I)$. Write
# `gaussian_kl(mu, logvar)`, the KL divergence summed over the $J$ latent dimensions (the last
# dimension), one value per sample: `(..., J) -> (...)`.
#
# $$D_{KL}(q\,\|\,p) = \frac12 \sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\right)$$
#
# The slide writes $-D_{KL}$, the regularization term of the ELBO; return the KL itself ($\ge 0$).
# Keep the computation in torch, so that gradients flow to `mu` and `logvar`.


# %% nbgrader={"grade": false, "grade_id": "ex03_gaussian_kl_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)), summed over the last dim: (..., J) -> (...)."""
    ### BEGIN SOLUTION
    return 0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_gaussian_kl", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex03_gaussian_kl", gaussian_kl)
### BEGIN HIDDEN TESTS
check("ex03_gaussian_kl", gaussian_kl, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The KL is zero exactly when $q$ is the prior, and grows with $\mu^2$ and with any variance
# other than 1 (try other values):

# %%
print(gaussian_kl(torch.zeros(1, 2), torch.zeros(1, 2)))
print(gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_least_squares_nll_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The Gaussian cost with a constant variance (1 point, transcription)
#
# A decoder with mean `mu` $=\mu_x$ and one constant variance `sigma2` $=\sigma_x^2$ (a Python
# float) for every coordinate has the negative log-likelihood
#
# $$-\log p(x\mid z) = \frac{1}{2\sigma_x^2}\,\|x - \mu_x\|^2 + \frac D2 \log(2\pi\sigma_x^2),$$
#
# summed over the $D$ coordinates (the last dimension). Write `least_squares_nll(x, mu, sigma2)`,
# `(..., D) -> (...)`, with every constant (the slide drops the $\frac D2 \log 2\pi$; keep it).


# %% nbgrader={"grade": false, "grade_id": "ex03_least_squares_nll_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def least_squares_nll(x, mu, sigma2):
    """-log N(x; mu, sigma2 I), summed over the last dim: (..., D) -> (...)."""
    ### BEGIN SOLUTION
    D = x.shape[-1]
    return ((x - mu) ** 2).sum(-1) / (2 * sigma2) + 0.5 * D * math.log(2 * math.pi * sigma2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_least_squares_nll", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex03_least_squares_nll", least_squares_nll)
### BEGIN HIDDEN TESTS
check("ex03_least_squares_nll", least_squares_nll, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Minimising it over $\mu_x$ is least squares: the constant does not move the minimum, and
# $\sigma_x^2$ only scales the squared error (the gradient is $(\mu_x - x)/\sigma_x^2$).

# %%
x, mu_x = torch.tensor([[0.2, 0.9, -0.4]]), torch.tensor([[0.0, 1.0, 0.0]])
for sigma2 in (1.0, 0.1):
    constant = 0.5 * 3 * math.log(2 * math.pi * sigma2)
    print(
        f"sigma2 = {sigma2}: nll {least_squares_nll(x, mu_x, sigma2).item():.4f}, "
        f"of which constant {constant:.4f}"
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_bernoulli_nll_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The Bernoulli cost from logits (1 point, transcription)
#
# A Bernoulli decoder outputs *logits* $\ell$ (log-odds), with $p = \operatorname{sigmoid}(\ell)$.
# Write `bernoulli_nll(x, logits)`, the negative log-probability of binary $x \in \{0, 1\}$
# summed over the last dimension, `(..., D) -> (...)`. (For grey levels $x \in [0, 1]$ the same
# formula is a cross-entropy, not a log-probability: lecture 03, section 6.)
#
# $$-\log p(x\mid z) = -\sum_j \left(x_j \log \sigma(\ell_j) + (1 - x_j)\log(1 - \sigma(\ell_j))\right).$$
#
# It must stay finite for large logits ($|\ell| = 50$): use
# $-\log\sigma(\ell) = \operatorname{softplus}(-\ell)$ and
# $-\log(1 - \sigma(\ell)) = \operatorname{softplus}(\ell)$ (`torch.nn.functional.softplus`).


# %% nbgrader={"grade": false, "grade_id": "ex03_bernoulli_nll_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bernoulli_nll(x, logits):
    """-log Bernoulli(x; sigmoid(logits)), summed over the last dim: (..., D) -> (...)."""
    ### BEGIN SOLUTION
    softplus = torch.nn.functional.softplus
    return (x * softplus(-logits) + (1 - x) * softplus(logits)).sum(-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_bernoulli_nll", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex03_bernoulli_nll", bernoulli_nll)
### BEGIN HIDDEN TESTS
check("ex03_bernoulli_nll", bernoulli_nll, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# A confident, correct decoder costs almost nothing; a confident, wrong one costs about $|\ell|$:

# %%
print(bernoulli_nll(torch.tensor([[1.0, 0.0]]), torch.tensor([[50.0, -50.0]])))
print(bernoulli_nll(torch.tensor([[0.0]]), torch.tensor([[50.0]])))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_elbo_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The ELBO and its two terms (1 point, transcription)
#
# For a data point $x$ with encoder outputs `mu`, `logvar` of shape `(B, J)`, and the decoder's
# mean `x_hat` at one sample $z \sim q(z\mid x)$, with the constant decoder variance `sigma2`,
# write `gaussian_vae_elbo(x, mu, logvar, x_hat, sigma2)`. It returns three tensors of shape
# `(B,)`: the ELBO per sample, its regularization term $-D_{KL}(q\,\|\,p)$, and its
# reconstruction term $\log p(x\mid z)$:
#
# $$\mathcal L = \underbrace{-D_{KL}\big(q(z\mid x)\,\|\,p(z)\big)}_{\text{regularization}}
# + \underbrace{\log p(x\mid z)}_{\text{reconstruction}}.$$
#
# Use your functions from questions 1 and 2.


# %% nbgrader={"grade": false, "grade_id": "ex03_elbo_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_vae_elbo(x, mu, logvar, x_hat, sigma2):
    """Per-sample (elbo, regularization, reconstruction) of a VAE with decoder N(x_hat, sigma2 I)."""
    ### BEGIN SOLUTION
    regularization = -gaussian_kl(mu, logvar)
    reconstruction = -least_squares_nll(x, x_hat, sigma2)
    return regularization + reconstruction, regularization, reconstruction
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_elbo", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex03_elbo", gaussian_vae_elbo)
### BEGIN HIDDEN TESTS
check("ex03_elbo", gaussian_vae_elbo, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The training loss is the negative ELBO averaged over the batch:

# %%
x, x_hat = torch.randn(8, 4), torch.randn(8, 4)
mu, logvar = torch.randn(8, 2), torch.zeros(8, 2)
terms = gaussian_vae_elbo(x, mu, logvar, x_hat, 0.5)
print(
    f"loss {-terms[0].mean().item():.3f} = KL {-terms[1].mean().item():.3f} "
    f"+ reconstruction cost {-terms[2].mean().item():.3f}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_gaussian_kl_pair_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. The KL between two diagonal Gaussians, derived (3 points, derivation)
#
# The prior need not be $\mathcal N(0, I)$: a conditional VAE's prior network, or the upper
# layer of a hierarchical VAE, gives a prior $p(z) = \mathcal N(\mu_p, \operatorname{diag}
# \sigma_p^2)$ of its own. The KL term is then $D_{KL}(q\,\|\,p)$ between two diagonal
# Gaussians, and its formula is not printed here: **derive it** from the definition
# $D_{KL}(q\,\|\,p) = \mathbb E_q[\log q(z) - \log p(z)]$, one latent dimension at a time.
#
# Write `gaussian_kl_pair(mu_q, logvar_q, mu_p, logvar_p)`, all four of shape `(..., J)`
# (log-variances, as in question 1), returning the KL summed over the last dimension, `(...)`.
# It must stay differentiable in all four: a prior network is trained through it too.


# %% nbgrader={"grade": false, "grade_id": "ex03_gaussian_kl_pair_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_kl_pair(mu_q, logvar_q, mu_p, logvar_p):
    """KL(N(mu_q, diag e^logvar_q) || N(mu_p, diag e^logvar_p)), summed over the last dim."""
    ### BEGIN SOLUTION
    # E_q[log q] = -1/2 (1 + log 2 pi sigma_q^2); as E_q[(z - mu_p)^2] = sigma_q^2 + (mu_q - mu_p)^2,
    # -E_q[log p] = (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2) + 1/2 log 2 pi sigma_p^2.
    ratio = torch.exp(logvar_q - logvar_p)
    mean_term = (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
    return 0.5 * (ratio + mean_term - 1.0 + logvar_p - logvar_q).sum(-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_gaussian_kl_pair", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex03_gaussian_kl_pair", gaussian_kl_pair)
### BEGIN HIDDEN TESTS
check("ex03_gaussian_kl_pair", gaussian_kl_pair, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Two checks of your formula: with the standard-normal prior it is question 1's KL, and it is
# not symmetric (swap the two distributions and compare).

# %%
mu_q, logvar_q = torch.tensor([[1.0, -0.5]]), torch.tensor([[0.3, -1.0]])
mu_p, logvar_p = torch.tensor([[0.2, 0.4]]), torch.tensor([[-0.7, 0.5]])
zeros = torch.zeros(1, 2)
print(gaussian_kl_pair(mu_q, logvar_q, zeros, zeros), gaussian_kl(mu_q, logvar_q))
print(
    gaussian_kl_pair(mu_q, logvar_q, mu_p, logvar_p),
    gaussian_kl_pair(mu_p, logvar_p, mu_q, logvar_q),
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_decoder_variance_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. The decoder's variance and the latent space: an experiment (3 points, experiment)
#
# Question 2's $\sigma_x^2$ is a choice, and it decides how much of the latent space the VAE
# uses. `genlab.vae_objectives.linear_beta_vae(seed, (1.0, steps, lr), scale, sigma2)` trains
# a *linear* Gaussian VAE (6 latent units, decoder $\mathcal N(Wz + b, \sigma_x^2 I)$, the
# plain ELBO) on data whose variances along six directions are `scale` times
# $(8, 5, 3, 1.2, 0.6, 0.3)$, and returns the variance of each unit's encoder mean over the
# data; a unit is *active* above 0.01.
#
# **Experiment**: find a decoder variance (and a schedule) with which **exactly 3** units stay
# active, and return `(sigma2, steps, lr)` from `choose_decoder_variance(scale)`. The budget:
# $\sigma_x^2 \le 10$, at most 1000 steps, a learning rate up to 0.1. The check below trains
# once, on one seed you have not seen, and that run must keep exactly 3 active units. At
# grading, the grader trains with them on 4 more seeds you have not seen, for a `scale` you
# have not seen (between 0.8 and 1.25), in its own process: at least 3 of the 4 runs must.

# %% nbgrader={"grade": false, "grade_id": "ex03_decoder_variance_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.vae_objectives import linear_beta_vae

for sigma2 in (0.1, 1.0):
    variances = linear_beta_vae(0, (1.0, 300, 0.02), 1.0, sigma2)
    print(
        f"sigma2 = {sigma2}: variance of each unit's mean", [round(float(v), 3) for v in variances]
    )


# %% nbgrader={"grade": false, "grade_id": "ex03_decoder_variance_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_decoder_variance(scale):
    """(sigma2, steps, lr) with which exactly three of the six units stay active."""
    ### BEGIN SOLUTION
    # The distortion is ||x - x_hat||^2 / (2 sigma2): a direction of variance lambda is worth
    # its rate while lambda > sigma2, so sigma2 between 1.2 and 3 times scale keeps three.
    # A small learning rate keeps the dead units' means still (a unit counts as active above
    # a variance of 0.01, and Adam's steps at 0.02 jitter a dead one up to about that).
    return (1.9 * scale, 1000, 0.007)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex03_decoder_variance", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex03_decoder_variance", choose_decoder_variance)
### BEGIN HIDDEN TESTS
check("ex03_decoder_variance", choose_decoder_variance, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# Answer each question in the cell below it, in a few sentences.
#
# **1.** The KL term of a Gaussian encoder is zero for one particular output of the encoder.
# Which? What happens to the codes if that is what the encoder outputs for every $x$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex03_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# For $\mu = 0$ and $\log\sigma^2 = 0$, that is $q(z\mid x) = \mathcal N(0, I) = p(z)$. If the
# encoder outputs it for every $x$, the code no longer depends on $x$: it carries no
# information, the decoder has to explain every image without it (it learns the average
# image), and the reconstruction term is poor. This is *posterior collapse*.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** You train the same digits VAE with a Gaussian decoder of fixed variance
# $\sigma_x^2 = 1$ and of $\sigma_x^2 = 0.01$. Which one has sharper reconstructions, and which
# one uses its latent space less? Why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex03_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The reconstruction cost is the squared error divided by $2\sigma_x^2$, and the KL term is
# unchanged. With $\sigma_x^2 = 0.01$ a squared error weighs 100 times more against the KL, so
# the model pays for information in $z$ and reconstructs sharply. With $\sigma_x^2 = 1$ the KL
# dominates: codes are pushed to the prior, the latent space is used less (more collapsed
# dimensions), and reconstructions are blurry averages.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** Why must the reported log-likelihood keep the $\frac12\log 2\pi$ the slide drops,
# while the training loss may drop it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex03_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The constant does not depend on any parameter, so it does not change the gradient or the
# optimum: the training loss may drop it. A reported log-likelihood is a number in nats that
# is compared across models and papers; it is only a log-density with the constant, and
# dropping it shifts the value by $\frac D2\log 2\pi$ per image (about 59 nats for 64 pixels).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** The scatter plot of lecture 03 shows overlapping clusters. Give two reasons a 2-D
# latent cannot separate all ten digits cleanly.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex03_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# (1) Two dimensions must encode the digit *and* its style (slant, thickness, size); the VAE
# spends them on whatever explains most pixel variance, not on the label. (2) The model is
# unsupervised: digits that look alike in pixels (4 and 9, 3, 5 and 8) get nearby codes. Also,
# the KL term pulls every code towards the origin and each posterior has a spread, so the
# regions of different digits overlap.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** Why did lecture 03 binarize the digits before reporting the Bernoulli ELBO in bits per
# dimension? Name a likelihood that could model the grey levels directly.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex03_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# A Bernoulli distribution lives on $\{0, 1\}$. For a grey pixel the formula
# $x\log p + (1-x)\log(1-p)$ is a cross-entropy, not the log-probability of the pixel under any
# distribution, so the "ELBO" built from it bounds no log-likelihood; even a perfect decoder
# keeps a floor equal to the pixels' binary entropy (about 14 nats per test image here). After
# binarization the Bernoulli is a true likelihood and the ELBO a true lower bound on
# $\log p(x)$, which can be reported in nats per image or, divided by $D\ln 2$, in bits per
# dimension. For grey levels one can use the *continuous Bernoulli* (Loaiza-Ganem &
# Cunningham 2019), which adds the missing normalising constant, or a *discretized*
# distribution over the 17 levels (a categorical per pixel, or a discretized logistic as in
# PixelCNN++), or dequantize and use a density such as a Gaussian or a Beta.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex03_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Kingma & Welling (2014), *Auto-Encoding Variational Bayes*, App. B (the KL term) and C (decoders).
# - Doersch (2016), *Tutorial on Variational Autoencoders*, arXiv:1606.05908.
