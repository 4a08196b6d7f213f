# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 05: implicit models and the GAN game
#
# A GAN's generator is an *implicit* model: it can sample, $x = G(z)$, but it has no density to
# evaluate. It learns by comparison instead: a discriminator $D$ is trained to tell real from
# generated samples, and the generator to fool it. Here you write the costs of that game from
# the discriminator's **logits** $\ell$ (with $D = \sigma(\ell)$, as every GAN implementation
# does), and look at why the generator's original cost stalls early in training.
#
# **Goals.** After these exercises you can
# - write the discriminator's cost $J_D$ from logits, stably, with the right signs and means;
# - write the minimax and the non-saturating generator costs;
# - explain saturation by the derivative of each cost with respect to the logit.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. Every cost is a 0-d tensor; each
# expectation is a mean over its own batch (the real and fake batches may differ in size). The
# checks use logits of $\pm 60$ and beyond, where $\sigma(\ell)$ rounds to exactly 0 or 1: use
# $-\log\sigma(\ell) = \operatorname{softplus}(-\ell)$ and $-\log(1 - \sigma(\ell)) =
# \operatorname{softplus}(\ell)$ (`torch.nn.functional.softplus`). The written questions at the
# end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex05_discriminator_loss")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | transcription | 1 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | derivation | 3 |
# | 5 | debug | 3 |
# | 6 | experiment | 3 |
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **17** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex05_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.manual_seed(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_discriminator_loss_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The discriminator's cost (1 point, transcription)
#
# The discriminator is a classifier of real ($x\sim p_{data}$) against generated
# ($G(z)$) samples, trained with the cross-entropy (slide "Adversarial Learning"):
#
# $$J_D = \mathbb E_{x}[-\log D(x)] + \mathbb E_{z}[-\log(1 - D(G(z)))].$$
#
# Write `discriminator_loss(real_logits, fake_logits)`: the logits of $D$ on a batch of real
# samples and on a batch of generated ones, each of shape `(B,)` (the two $B$ may differ),
# returning $J_D$ as a 0-d tensor.


# %% nbgrader={"grade": false, "grade_id": "ex05_discriminator_loss_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def discriminator_loss(real_logits, fake_logits):
    """J_D = E[-log D(x)] + E[-log(1 - D(G(z)))] from logits; a 0-d tensor."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex05_discriminator_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex05_discriminator_loss", discriminator_loss)

# %% [markdown]
# A discriminator that says "1/2" to everything (logit 0) pays $2\log 2 \approx 1.386$; one
# that is right and confident pays almost nothing; one that is wrong and confident pays about
# $|\ell|$ in each term:

# %%
half = discriminator_loss(torch.zeros(4), torch.zeros(6))
right = discriminator_loss(torch.full((4,), 8.0), torch.full((6,), -8.0))
wrong = discriminator_loss(torch.full((4,), -60.0), torch.full((6,), 60.0))
print(
    f"D = 1/2: {half.item():.4f}; confident and right: {right.item():.5f}; "
    f"confident and wrong: {wrong.item():.1f}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_minimax_generator_loss_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The minimax generator cost (1 point, transcription)
#
# In the zero-sum game the generator's cost is $J_G = -J_D$; the real-data term does not depend
# on $G$, so the generator minimises (slide "Learning procedure")
#
# $$J_G^{\text{minimax}} = \mathbb E_z[\log(1 - D(G(z)))].$$
#
# Write `minimax_generator_loss(fake_logits)`, the logits `(B,)` of $D$ on generated samples,
# returning $J_G$ as a 0-d tensor.


# %% nbgrader={"grade": false, "grade_id": "ex05_minimax_generator_loss_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def minimax_generator_loss(fake_logits):
    """E[log(1 - D(G(z)))] from logits; a 0-d tensor (G minimises it)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex05_minimax_generator_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex05_minimax_generator_loss", minimax_generator_loss)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_non_saturating_loss_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The non-saturating generator cost (1 point, transcription)
#
# The slide "A better cost function" replaces it by
#
# $$J_G^{\text{non-saturating}} = \mathbb E_z[-\log D(G(z))]:$$
#
# the generator now maximises the probability that $D$ is fooled, instead of minimising the
# probability that $D$ is right. Write `non_saturating_loss(fake_logits)`, a 0-d tensor.


# %% nbgrader={"grade": false, "grade_id": "ex05_non_saturating_loss_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def non_saturating_loss(fake_logits):
    """E[-log D(G(z))] from logits; a 0-d tensor (G minimises it)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex05_non_saturating_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex05_non_saturating_loss", non_saturating_loss)

# %% [markdown]
# For each sample, both costs fall as $D(G(z))$ rises, so they push that sample the same way and
# differ in how hard. Over a batch, minimax weights each sample's gradient by $D$ and the
# non-saturating cost by $1 - D$, so the generator's gradient in parameter space points in a
# different direction (lecture 05, section 7).

# %%
for d in (0.001, 0.1, 0.5, 0.9):
    logit = torch.logit(torch.tensor([d]))
    print(
        f"D(G(z)) = {d:5}: minimax {minimax_generator_loss(logit).item():+.3f}, "
        f"non-saturating {non_saturating_loss(logit).item():+.3f}"
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_saturation_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Saturation: the derivative with respect to the logit (3 points, derivation)
#
# The generator learns only through $\partial J_G / \partial \ell$ (times $\partial \ell /
# \partial \theta_G$). Write `generator_cost_gradients(fake_logits)`, returning
# `(minimax_grad, non_saturating_grad)`, each of the shape of `fake_logits`: for every sample,
# the derivative of *its own* cost, $\frac{\partial}{\partial \ell}\log(1 - \sigma(\ell))$ and
# $\frac{\partial}{\partial \ell}\big(-\log\sigma(\ell)\big)$, at its logit. Derive them by
# hand on paper (the chain rule through the sigmoid) and write the closed forms you find, without
# autograd: the next cell reads them off to explain saturation.


# %% nbgrader={"grade": false, "grade_id": "ex05_saturation_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generator_cost_gradients(fake_logits):
    """Per-sample d/dlogit of log(1 - D) and of -log D, with D = sigmoid(logit)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex05_saturation", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex05_saturation", generator_cost_gradients)

# %% [markdown]
# Early in training the discriminator easily rejects the fakes: $D(G(z)) \approx 0$. There the
# minimax cost's gradient, $-D$, vanishes; the non-saturating one, $D - 1$, is close to its
# largest size. Near $D(G(z)) = 1$ it is the other way round, but there the generator has
# already won.

# %%
logits = torch.logit(torch.tensor([1e-4, 0.01, 0.5, 0.99]))
minimax_grad, non_saturating_grad = generator_cost_gradients(logits)
for d, a, b in zip(torch.sigmoid(logits), minimax_grad, non_saturating_grad, strict=True):
    print(
        f"D(G(z)) = {d.item():<6.4g} d/dlogit: minimax {a.item():+.4f}, "
        f"non-saturating {b.item():+.4f}"
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_gan_loop_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. A GAN loop with planted bugs (3 points, debug)
#
# The loop below trains a 1-D GAN on $p_{data} = \mathcal N(\mu, \sigma^2)$: a linear generator
# $G(z) = az + b$ and a small tanh discriminator, alternating (1) a step of $D$ on $J_D$ and
# (2) a step of $G$ on the non-saturating cost, as in the slides' learning procedure. It runs
# without an error, and it is wrong: run it and look at the mean and standard deviation of
# its samples. There are two bugs (the second shows only once the first is fixed).
#
# Write the repaired loop as `train_gan(seed, mu, sigma)` in the answer cell: same networks,
# same optimisers, same draws in the same order, returning `torch.stack([mean, std])` of
# 2000 samples of $G$. It is judged by what it does on fresh seeds and fresh $(\mu, \sigma)$:
# its numbers must land where a correct loop's land (within 0.05).

# %% nbgrader={"grade": false, "grade_id": "ex05_buggy_loop", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)  # networks this small run fastest on one thread


def train_gan_given(seed, mu, sigma):
    """A 1-D GAN on N(mu, sigma^2); returns [mean, std] of 2000 samples of G."""
    torch.manual_seed(seed)
    dt = torch.float64
    G = nn.Linear(1, 1).to(dt)
    D = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0)).to(dt)
    opt_G = torch.optim.Adam(G.parameters(), lr=0.03, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=0.03, betas=(0.5, 0.999))
    ones = torch.ones(64, dtype=dt)
    for _ in range(120):
        opt_G.zero_grad()
        x = mu + sigma * torch.randn(64, 1, dtype=dt)
        z = torch.randn(64, 1, dtype=dt)
        fake = G(z)
        # (1) update D
        opt_D.zero_grad()
        d_loss = F.binary_cross_entropy_with_logits(
            D(x), ones
        ) + F.binary_cross_entropy_with_logits(D(fake), ones)
        d_loss.backward()
        opt_D.step()
        # (2) update G: the non-saturating cost
        g_loss = F.binary_cross_entropy_with_logits(D(G(z)), ones)
        g_loss.backward()
        opt_G.step()
    with torch.no_grad():
        samples = G(torch.randn(2000, 1, dtype=dt))
    return torch.stack([samples.mean(), samples.std()])


mean, std = train_gan_given(0, 1.0, 0.8).tolist()
print(f"given loop, data N(1, 0.8^2): samples of G have mean {mean:.2f} and std {std:.2f}")


# %% nbgrader={"grade": false, "grade_id": "ex05_gan_loop_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_gan(seed, mu, sigma):
    """The repaired loop: same draws in the same order; returns [mean, std] of G's samples."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex05_gan_loop", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex05_gan_loop", train_gan)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_gan_settings_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Make the GAN learn: an experiment (3 points, experiment)
#
# `genlab.gan.train_linear_gan_1d(seed, mu, sigma, settings)` runs the loop of question 5, done
# right, with four settings you choose: `(steps, lr_g, lr_d, hidden)`, the number of steps, the
# two Adam learning rates and the discriminator's width. Its defaults,
# `genlab.gan.LinearGANSettings()`, stop long before the generator has learned
# $\mathcal N(\mu, \sigma^2)$. The budget is at most 800 steps, learning rates up to 0.1 and up
# to 32 units (about a second per run on a laptop).
#
# **Experiment**: find settings with which the generator learns, and return them from
# `choose_gan_settings(mu, sigma)` as a tuple of four numbers. At grading, the grader trains
# with your settings on 4 seeds you have not seen, for a target you have not seen
# ($\mu \in [-2, 2]$, $\sigma \in [0.5, 1.5]$), in its own process: at least 3 of the 4 runs
# must end with the mean of $G$'s samples within $0.15\,\sigma$ of $\mu$ and their standard
# deviation within 15% of $\sigma$. The check below trains once, on one seed, for one target:
# a ✔ there says that one run learned, and grading tries more.

# %% nbgrader={"grade": false, "grade_id": "ex05_gan_settings_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.gan import LinearGANSettings, train_linear_gan_1d

print("defaults:", LinearGANSettings())
for seed in (1, 2):
    mean, std = train_linear_gan_1d(seed, 1.5, 0.7).tolist()
    print(f"seed {seed}, data N(1.5, 0.7^2), default settings: mean {mean:.2f}, std {std:.2f}")


# %% nbgrader={"grade": false, "grade_id": "ex05_gan_settings_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_gan_settings(mu, sigma):
    """(steps, lr_g, lr_d, hidden) with which the 1-D GAN learns N(mu, sigma^2)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex05_gan_settings", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex05_gan_settings", choose_gan_settings)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the questions at the end of lecture 05. Answer each in the cell below
# it, in a few sentences.
#
# **1.** Why can a GAN generate samples but not report $p_G(x)$ for a given $x$? What would you
# need to compute it in one dimension?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex05_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** The discriminator's cost is a cross-entropy. What are the "labels", and what is the
# best $D$ can do when $p_G = p_{data}$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex05_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** Why does the generator's minimax cost depend only on the second term of $J_D$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex05_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** For each single sample, both generator costs fall as $D(G(z))$ rises. Why does the
# choice still matter in practice? Which one does genlab use by default, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex05_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** In the playground, what does the discriminator look like right after you pressed
# Step D many times in a row? Why is that a problem for the next generator step under the
# minimax cost?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex05_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex05_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Goodfellow et al. (2014), *Generative Adversarial Nets*, NeurIPS, Sec. 3 (the saturation remark) and Alg. 1.
# - Goodfellow (2016), *NIPS 2016 Tutorial: Generative Adversarial Networks*, arXiv:1701.00160, Sec. 3.2.
# - Arjovsky & Bottou (2017), *Towards Principled Methods for Training Generative Adversarial Networks*, ICLR.
