# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 08: training GANs in practice
#
# "Training a GAN is tricky and unstable" (slide "Training GANs"), and a zoo of tricks grew
# around it. Here you write four of the tools the lab uses: a measure of mode collapse on the
# ring of Gaussians, the discriminator's cost with one-sided label smoothing, the R1 gradient
# penalty, and the feature-matching cost of the generator.
#
# **Goals.** After these exercises you can
# - tell mode collapse from a diffuse generator by counting samples near each mode;
# - smooth the real labels of the discriminator, and say why only the real ones;
# - compute a gradient penalty with `torch.autograd.grad` so that it can itself be trained;
# - write the feature-matching objective of Salimans et al. (2016);
# - find a recipe with which a GAN covers every mode of the ring, and judge it over seeds.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. The written questions at the end are
# graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex08_mode_coverage")` in a scratch cell shows that question's next hint:
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
# | 6 | experiment | 4 |
# | check your understanding | written, graded by hand | 7 |
# | **total** | | **18** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup
#
# `discriminator(x, W, b, w)` is the small discriminator of question 3: one hidden layer of
# $h$ tanh units, logits $\tanh(xW + b)\,w$ for a batch `x` of shape `(B, d)`.

# %% nbgrader={"grade": false, "grade_id": "ex08_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch

import genlab
import genlab.plots
from genlab.gan import make_target
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)


def discriminator(x, W, b, w):
    """Logits tanh(x W + b) w: (B, d) -> (B,)."""
    return torch.tanh(x @ W + b) @ w


# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_mode_coverage_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. Mode coverage (1 point, transcription)
#
# The ring target is a mixture of $K$ Gaussians of equal weight $w_k = 1/K$, with means `modes`
# `(K, 2)` on a circle and standard deviations `stds` `(K,)`. A generator that has *collapsed*
# puts its samples on a few of the modes only. Measure it, with the rule of
# `genlab.gan.mode_coverage`:
#
# - a sample belongs to its **nearest** mode $k$, but only if it lies within $3\sigma_k$ of it
#   (samples far from every mode belong to none);
# - mode $k$ is **covered** when it holds at least `min_share` of its expected count,
#   $\text{min\_share}\cdot w_k M$ for $M$ samples.
#
# Write `mode_coverage(samples, modes, stds, min_share)` for `samples` of shape `(N, M, 2)`
# ($N$ runs of $M$ samples each), returning the fraction of modes covered by each run, `(N,)`,
# in the samples' dtype.


# %% nbgrader={"grade": false, "grade_id": "ex08_mode_coverage_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mode_coverage(samples, modes, stds, min_share):
    """Fraction of the K equally weighted modes each run covers: (N, M, 2) -> (N,)."""
    ### BEGIN SOLUTION
    K, M = len(modes), samples.shape[1]
    distance = ((samples[:, :, None, :] - modes) ** 2).sum(-1).sqrt()  # (N, M, K)
    nearest_distance, nearest = distance.min(-1)  # (N, M)
    within = nearest_distance <= 3 * stds[nearest]
    counts = (torch.nn.functional.one_hot(nearest, K) * within[..., None]).sum(1)  # (N, K)
    covered = counts >= min_share * M / K
    return covered.to(samples.dtype).mean(1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_mode_coverage", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_mode_coverage", mode_coverage)
### BEGIN HIDDEN TESTS
check("ex08_mode_coverage", mode_coverage, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Three "generators" on the ring of the GAN lab: exact samples of the target, one that has
# collapsed onto three modes, and one that is a diffuse blob over the ring (it has not
# collapsed, but it covers nothing either).

# %%
ring = make_target("ring")
g = torch.Generator().manual_seed(0)
exact = ring.sample(800, generator=g).double()
on_three = ring.modes[torch.randint(0, 3, (800,), generator=g)]
collapsed = on_three + 0.1 * torch.randn(800, 2, generator=g, dtype=torch.float64)
diffuse = 1.5 * torch.randn(800, 2, generator=g, dtype=torch.float64)
runs = torch.stack([exact, collapsed, diffuse])
print("modes covered:", mode_coverage(runs, ring.modes, ring.mode_stds, 0.25).tolist())

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_label_smoothing_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. One-sided label smoothing (1 point, transcription)
#
# Salimans et al. (2016) train the discriminator against the soft target $a$ (say 0.9) for
# real samples instead of 1, and keep the target 0 for fakes. With the binary cross-entropy
# against a target $a$, $-\big(a\log D + (1 - a)\log(1 - D)\big)$,
#
# $$J_D^{a} = \mathbb E_x\big[-a\log D(x) - (1 - a)\log(1 - D(x))\big]
# + \mathbb E_z\big[-\log(1 - D(G(z)))\big].$$
#
# Write `smoothed_discriminator_loss(real_logits, fake_logits, real_label)` from logits
# (`(B,)` and `(B',)`, each expectation a mean over its batch; `real_label` $= a$ is a float),
# returning a 0-d tensor. Stay finite for logits of $\pm 60$: $-\log D =
# \operatorname{softplus}(-\ell)$, $-\log(1 - D) = \operatorname{softplus}(\ell)$.


# %% nbgrader={"grade": false, "grade_id": "ex08_label_smoothing_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def smoothed_discriminator_loss(real_logits, fake_logits, real_label):
    """J_D with real targets real_label and fake targets 0, from logits; a 0-d tensor."""
    ### BEGIN SOLUTION
    a, softplus = real_label, torch.nn.functional.softplus
    # cross-entropy with target a: a (-log D) + (1 - a) (-log(1 - D))
    real = a * softplus(-real_logits) + (1 - a) * softplus(real_logits)
    return real.mean() + softplus(fake_logits).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_label_smoothing", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_label_smoothing", smoothed_discriminator_loss)
### BEGIN HIDDEN TESTS
check("ex08_label_smoothing", smoothed_discriminator_loss, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Smoothing caps the discriminator's confidence: at a point where real and fake samples are
# equally likely the best $D$ is $a/2$ instead of $1/2$, and in general
# $D^* = a\,p_{data}/(p_{data} + p_G)$. Minimise the cost over a single logit shared by one real
# and one fake sample:

# %%
for a in (1.0, 0.9, 0.7):
    logit = torch.zeros(1, requires_grad=True)
    for _ in range(300):
        (grad,) = torch.autograd.grad(smoothed_discriminator_loss(logit, logit, a), logit)
        with torch.no_grad():
            logit -= 2.0 * grad
    print(f"real_label {a}: best D = {torch.sigmoid(logit).item():.4f} (a / 2 = {a / 2})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_r1_penalty_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The R1 gradient penalty (1 point, transcription)
#
# Mescheder et al. (2018) stabilise training by penalising the discriminator's gradient on the
# real data (added to $J_D$ with a weight $\gamma$):
#
# $$R_1(x) = \tfrac12 \big\|\nabla_x \ell(x)\big\|^2, \qquad \ell(x) = \text{the logit of } D.$$
#
# Write `r1_penalty(x_real, W, b, w)`: the penalty of each real sample `x_real` `(B, d)` for the
# discriminator `discriminator(x, W, b, w)` of the setup, `(B,)`. Make a copy of `x_real` that
# requires a gradient, compute the logits, and differentiate with `torch.autograd.grad`. The
# penalty is itself part of the discriminator's loss, so it must stay differentiable in `W`,
# `b` and `w`: pass `create_graph=True`.


# %% nbgrader={"grade": false, "grade_id": "ex08_r1_penalty_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def r1_penalty(x_real, W, b, w):
    """1/2 ||grad_x logit(x)||^2 per real sample, differentiable in W, b, w: (B, d) -> (B,)."""
    ### BEGIN SOLUTION
    x = x_real.detach().requires_grad_(True)
    logits = discriminator(x, W, b, w)  # (B,)
    # sample b's logit depends on x_b only: the gradient of the sum is each one's own gradient
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    return 0.5 * grad.pow(2).sum(-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_r1_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_r1_penalty", r1_penalty)
### BEGIN HIDDEN TESTS
check("ex08_r1_penalty", r1_penalty, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# A sharper discriminator (its output weights scaled up) has steeper logits and a penalty
# that grows with the square of the scale; descending the penalty makes $D$ flatter on the data:

# %%
x_real = ring.sample(256, generator=g).double()
W, b, w = torch.randn(2, 16), torch.randn(16), torch.randn(16)
for scale in (1.0, 2.0, 4.0):
    print(f"w scaled by {scale}: mean R1 = {r1_penalty(x_real, W, b, scale * w).mean().item():.4f}")
W.requires_grad_(True)
w.requires_grad_(True)
for _ in range(50):
    grad_W, grad_w = torch.autograd.grad(r1_penalty(x_real, W, b, w).mean(), (W, w))
    with torch.no_grad():
        W -= 0.1 * grad_W
        w -= 0.1 * grad_w
print(f"after 50 steps down the penalty: mean R1 = {r1_penalty(x_real, W, b, w).mean().item():.4f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_feature_matching_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Feature matching (1 point, transcription)
#
# Instead of fooling the discriminator outright, the generator can match the statistics of an
# intermediate layer $f$ of it on real and on generated data (Salimans et al. 2016, Sec. 3.1):
#
# $$\Big\|\,\mathbb E_x\big[f(x)\big] - \mathbb E_z\big[f(G(z))\big]\Big\|_2^2.$$
#
# Write `feature_matching_loss(real_features, fake_features)` for the features of a batch of
# real samples `(B, F)` and of generated ones `(B', F)`, returning a 0-d tensor (each
# expectation a mean over its batch).


# %% nbgrader={"grade": false, "grade_id": "ex08_feature_matching_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def feature_matching_loss(real_features, fake_features):
    """||mean real features - mean fake features||^2: (B, F), (B', F) -> ()."""
    ### BEGIN SOLUTION
    return (real_features.mean(0) - fake_features.mean(0)).pow(2).sum()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_feature_matching", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_feature_matching", feature_matching_loss)
### BEGIN HIDDEN TESTS
check("ex08_feature_matching", feature_matching_loss, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# With the features $f(x) = (x, x^2)$, matching them fits the first two moments. A 1-D
# "generator" $G(z) = \mu + s z$ trained by feature matching against data from
# $\mathcal N(2, 0.5^2)$ finds $\mu \approx 2$ and $s \approx 0.5$ (up to the sampling noise of
# the batches):


# %%
def features(x):
    return torch.stack([x, x**2], dim=1)  # (B,) -> (B, 2)


data = 2.0 + 0.5 * torch.randn(2000, generator=g, dtype=torch.float64)
z = torch.randn(2000, generator=g, dtype=torch.float64)
mu, s = torch.tensor(0.0, requires_grad=True), torch.tensor(1.0, requires_grad=True)
for _ in range(500):
    loss = feature_matching_loss(features(data), features(mu + s * z))
    grad_mu, grad_s = torch.autograd.grad(loss, (mu, s))
    with torch.no_grad():
        mu -= 0.05 * grad_mu
        s -= 0.05 * grad_s
print(f"mu = {mu.item():.3f}, s = {s.item():.3f}; feature-matching loss {loss.item():.2e}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_smoothed_optimal_discriminator_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. The optimal discriminator under label smoothing, derived (3 points, derivation)
#
# Question 2's loss changes the discriminator's target, so it changes the discriminator that
# minimises it. **Derive** $D^*_a(x)$, the minimiser of $J_D^a$ over all functions $D$, pointwise
# in $x$ as the slides did for $J_D$ (its formula is not printed), and write
# `smoothed_optimal_discriminator(p_data, p_g, real_label)` for two distributions on $K$
# points (`(K,)` each, every probability positive) and $a$ = `real_label`, returning
# $D^*_a$ at the $K$ points, `(K,)`.


# %% nbgrader={"grade": false, "grade_id": "ex08_smoothed_optimal_discriminator_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def smoothed_optimal_discriminator(p_data, p_g, real_label):
    """D*_a at each of K points: the minimiser of the one-sided smoothed J_D."""
    ### BEGIN SOLUTION
    # At one x: -(a p log D + ((1 - a) p + q) log(1 - D)); setting its derivative in D to zero,
    # a p / D = ((1 - a) p + q) / (1 - D), gives D* = a p / (p + q).
    return real_label * p_data / (p_data + p_g)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_smoothed_optimal_discriminator", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex08_smoothed_optimal_discriminator", smoothed_optimal_discriminator)
### BEGIN HIDDEN TESTS
check("ex08_smoothed_optimal_discriminator", smoothed_optimal_discriminator, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Where the data dominate, the smoothed $D^*$ stops at $a$ instead of running to 1: the
# discriminator is never pushed to be fully confident (its logit stays finite); where $p_{data} = 0$ it is
# still 0, which is why the smoothing is one-sided (smoothing the fakes' target too would
# reward generated samples where there are no data).

# %%
p_data = torch.tensor([0.90, 0.09, 0.01], dtype=torch.float64)
p_g = torch.tensor([0.01, 0.09, 0.90], dtype=torch.float64)
print("a = 1.0:", smoothed_optimal_discriminator(p_data, p_g, 1.0))
print("a = 0.9:", smoothed_optimal_discriminator(p_data, p_g, 0.9))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_ring_modes_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. A ring GAN that covers its modes: an experiment (4 points, experiment)
#
# The ring of eight Gaussians is where the plain game of the slides shows its failures: the
# generator collapses onto a few modes, or hops from mode to mode and never settles.
# `genlab.gan.experiments.ring_gan_modes(seeds, radius, settings)` trains one small GAN per
# seed (all at once, as `genlab.gan.ManySeedGANs` does in the lecture) on a ring of that
# radius, and returns how many of the 8 modes each covers at the end
# (`genlab.gan.modes_covered`). The settings are six: `(objective, steps, lr, lr_d, r1, k)`,
# the generator's cost (`"minimax"`, `"non_saturating"`, `"least_squares"`, `"kl"` or
# `"reverse_kl"`), the number of generator steps, the generator's and the discriminator's
# Adam learning rates, the weight $\gamma$ of the R1 penalty (0: none) and the discriminator
# steps per generator step. Its defaults, `genlab.gan.experiments.RingSettings()`, are the
# plain game. The budget: at most 1000 steps, learning rates up to 0.01, $\gamma \le 10$ and
# $k \le 2$. A run of 1000 steps takes a few seconds.
#
# **Experiment**: find settings with which the GAN covers at least 7 of the 8 modes, and
# return them from `choose_ring_settings(radius)` as a tuple of six. The check below trains
# once, on one seed you have not seen; at grading, the grader trains with your settings on 4
# more seeds, on a ring you have not seen (radius between 1.6 and 2.4), in its own process: at
# least 3 of the 4 runs must cover 7 or 8 modes.

# %% nbgrader={"grade": false, "grade_id": "ex08_ring_modes_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.gan.experiments import RingSettings, ring_gan_modes

print("the plain game:", RingSettings())
print("modes covered after 300 steps, seeds 0 and 1:", ring_gan_modes([0, 1], 2.0, RingSettings(steps=300)))


# %% nbgrader={"grade": false, "grade_id": "ex08_ring_modes_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_ring_settings(radius):
    """(objective, steps, lr, lr_d, r1, k) with which the ring GAN covers 7 or 8 modes."""
    ### BEGIN SOLUTION
    # The two tricks that work together (section 1.3 of the lecture): R1 damps the game's
    # oscillation at the data, and a discriminator four times faster keeps its verdict up to
    # date; the non-saturating cost keeps the generator's gradient alive early on.
    return ("non_saturating", 1000, 5e-4, 2e-3, 0.1, 1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex08_ring_modes", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("ex08_ring_modes", choose_ring_settings)
### BEGIN HIDDEN TESTS
check("ex08_ring_modes", choose_ring_settings, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the questions at the end of lecture 08. Answer each in the cell below it, in a
# few sentences.
#
# **1.** A GAN on the ring reaches a low JSD estimate but covers 6 of the 8 modes. How can both
# be true, and why does the lab report mode coverage next to the JSD?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Each missing mode holds only $1/8$ of the data, and the JSD is bounded: a generator that
# puts its mass sharply on the other six modes pays $\frac28\cdot\frac12\log 2 \approx 0.087$
# nats for the two missing ones (plus about 0.01 for over-weighting the six), less than a
# diffuse generator that covers everything may pay for its spread. One number mixes "sharp but
# incomplete" and "complete but blurry"; the coverage separates them: collapse is a coverage
# below 1 with the samples on the modes, a diffuse generator has few samples near any mode.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** Why is label smoothing applied to the real samples only? What would smoothing the fake
# targets to $b > 0$ do to the optimal discriminator?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# With targets $a$ (real) and $b$ (fake) the optimal discriminator is
# $D^* = (a\,p_{data} + b\,p_G)/(p_{data} + p_G)$. With $b > 0$, where there is no data
# ($p_{data} \approx 0$) but the generator puts mass, $D^* = b$ is no longer pushed down to 0,
# so fakes there get a weaker signal to move towards the data. One-sided smoothing ($b = 0$)
# only scales $D^*$ by $a$: it stops the discriminator from becoming over-confident (and its
# gradients from exploding) without rewarding fakes in the wrong places.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** What does the R1 penalty ask of the discriminator, and why does that help the game
# converge near its equilibrium?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# It asks $D$ to be flat on the real data: a small gradient of its logit with respect to $x$ at
# real samples. At the equilibrium $p_G = p_{data}$ the best discriminator is constant, so
# there this costs nothing, but it removes the directions in which $D$ could keep growing
# steep: without it, $D$ and $G$ can circle around the equilibrium (the gradient dynamics of
# the unregularised game are not locally convergent for distributions on low-dimensional
# supports), while with it the alternating gradient steps converge locally (Mescheder et al.
# 2018). It also keeps the gradient the generator receives bounded.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** In section 1.1 of the lecture the minimax generator stalled, yet in section 1.3 the
# minimax and the non-saturating costs ended up close. What differs between the two experiments?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Two things. In section 1.1 the discriminator was first trained alone until it rejected every
# fake ($D(G(z)) \approx 0.001$), exactly where the minimax cost is flat, and the generator then
# took *plain gradient steps*, so a gradient hundreds of times smaller meant a generator that
# hardly moved. In section 1.3 both players start together, so $D$ never gets that far ahead,
# and the generator uses Adam, which divides each step by a running estimate of the gradient's
# size: a small but consistent gradient still gives a step of about the learning rate. Adam
# hides most of the saturation; the costs still differ in the direction and noise of their
# gradients, not only their size, which is why they do not end up identical.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** Why does the lab count outcomes over 32 seeds instead of comparing one run per recipe?
# What could go wrong with a single seed?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The outcome of GAN training is a random variable of the seed (initial weights, data and
# noise order): the same recipe converges with one seed and collapses with the next. One run
# per recipe compares two draws, so "recipe A beats B" may be luck, and a paper can pick the
# seed that flatters its method. Over 32 seeds the share of each outcome is an estimate with an
# error bar (binomially, about $\pm 0.09$ at a share of 0.5), so a difference of several runs
# out of 32 means something, and a difference of one or two does not.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_6_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **6.** Neither R1 nor a faster discriminator removed collapse alone, but together they did.
# What does that tell you about reading ablation tables in papers?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_6", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The effects of tricks are not additive: they interact. An ablation that removes one trick at
# a time from a full recipe (or adds one at a time to a baseline) can conclude that each is
# useless on its own, or credit all of the gain to whichever trick came last, while only the
# combination works. Ablations need combinations, several seeds per cell, and the same budget;
# a single-factor table over single runs says little about why a recipe works.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_7_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **7.** Why can a moving average of the generator's weights give better samples than the last
# weights, although the average was never trained against the discriminator?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_7", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The alternating gradient steps do not settle at the equilibrium: the two players circle
# around it (the game's dynamics have a rotational part), so the last weights are one point on
# an orbit, pulled towards whatever the current discriminator penalises. Averaging the weights
# over the recent trajectory (Polyak averaging; an exponential moving average, Yazici et al.
# 2019) cancels much of that oscillation and lands nearer the centre of the orbit, which is
# closer to the equilibrium generator. It helps when the weights move within one basin, where
# the average of good generators is itself a good generator; averaging across very different
# solutions would not.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen (2016), *Improved Techniques for Training GANs*, NeurIPS, Sec. 3.1 and 3.4.
# - Mescheder, Geiger & Nowozin (2018), *Which Training Methods for GANs do actually Converge?*, ICML, eq. 9.
# - Yazici, Foo, Winkler, Yap, Piliouras & Chandrasekhar (2019), *The Unusual Effectiveness of Averaging in GAN Training*, ICLR.
# - Chintala et al., *How to train a GAN*, ICCV 2017 tutorial; https://github.com/soumith/ganhacks.
# - Metz, Poole, Pfau & Sohl-Dickstein (2017), *Unrolled Generative Adversarial Networks*, ICLR (the ring of Gaussians).
