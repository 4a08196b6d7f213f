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
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex08_mode_coverage", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_mode_coverage", mode_coverage)

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
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex08_label_smoothing", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_label_smoothing", smoothed_discriminator_loss)

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
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex08_r1_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_r1_penalty", r1_penalty)

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
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex08_feature_matching", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex08_feature_matching", feature_matching_loss)

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
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex08_smoothed_optimal_discriminator", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex08_smoothed_optimal_discriminator", smoothed_optimal_discriminator)

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
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex08_ring_modes", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check("ex08_ring_modes", choose_ring_settings)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the questions at the end of lecture 08. Answer each in the cell below it, in a
# few sentences.
#
# **1.** A GAN on the ring reaches a low JSD estimate but covers 6 of the 8 modes. How can both
# be true, and why does the lab report mode coverage next to the JSD?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** Why is label smoothing applied to the real samples only? What would smoothing the fake
# targets to $b > 0$ do to the optimal discriminator?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** What does the R1 penalty ask of the discriminator, and why does that help the game
# converge near its equilibrium?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** In section 1.1 of the lecture the minimax generator stalled, yet in section 1.3 the
# minimax and the non-saturating costs ended up close. What differs between the two experiments?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** Why does the lab count outcomes over 32 seeds instead of comparing one run per recipe?
# What could go wrong with a single seed?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_6_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **6.** Neither R1 nor a faster discriminator removed collapse alone, but together they did.
# What does that tell you about reading ablation tables in papers?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_6", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_understanding_7_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **7.** Why can a moving average of the generator's weights give better samples than the last
# weights, although the average was never trained against the discriminator?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex08_understanding_7", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex08_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen (2016), *Improved Techniques for Training GANs*, NeurIPS, Sec. 3.1 and 3.4.
# - Mescheder, Geiger & Nowozin (2018), *Which Training Methods for GANs do actually Converge?*, ICML, eq. 9.
# - Yazici, Foo, Winkler, Yap, Piliouras & Chandrasekhar (2019), *The Unusual Effectiveness of Averaging in GAN Training*, ICLR.
# - Chintala et al., *How to train a GAN*, ICCV 2017 tutorial; https://github.com/soumith/ganhacks.
# - Metz, Poole, Pfau & Sohl-Dickstein (2017), *Unrolled Generative Adversarial Networks*, ICLR (the ring of Gaussians).
