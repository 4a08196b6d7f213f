# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 Implicit models and the GAN game
#
# A VAE writes down $p_\theta(x)$, or at least a bound on it. A generative adversarial network
# does not: it only knows how to *sample*. This lecture starts the second half of the course
# from that idea: a generator that turns noise into data, a discriminator that learns to tell
# real from generated, and the two-player game between them. Every cost on the slides is
# evaluated here and checked against an independent computation, and the playground at the end
# lets you play the game one step at a time.
#
# **Learning goals.** After this lecture you can
# - place GANs in the taxonomy of generative models and say what "implicit" means;
# - explain learning by comparison: a classifier between real and generated samples measures how far apart the two distributions are;
# - write the discriminator's cost $J_D$, the minimax game and the alternating learning procedure;
# - explain why the minimax generator cost saturates and how the non-saturating cost fixes it;
# - train a 1-D GAN and read its discriminator, its generator and its losses.
#
# *Estimated time: 45 minutes (the notebook runs in about 20 seconds on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import genlab
from genlab import losses
from genlab.gan import (
    GANTrainConfig,
    GANTrainer,
    default_setup,
    generator_density_1d,
    generator_mass_1d,
    init_gan,
    saturation_curves,
    saturation_experiment,
)
from genlab.models.gan import GAN_PRESETS, build_gan
from genlab.plots import saturation_figure
from genlab.widgets import gan_playground

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.seed_everything(0)

# Training budget: the toy GANs here train in seconds on a laptop CPU. Raise SCALE to train
# longer (a GPU does not make these tiny networks faster: their steps are latency-bound).
SCALE = 1

# %% [markdown]
# ## 1. A taxonomy of generative models
#
# All generative models fit a distribution $p_\theta(x)$ to data. They differ in how they touch
# it:
#
# | family | what the model gives you | how it learns | in this course |
# |---|---|---|---|
# | explicit, tractable density | $\log p_\theta(x)$ exactly (autoregressive models, flows) | maximum likelihood | - |
# | explicit, approximate density | a bound or an estimate of $\log p_\theta(x)$ | variational inference (VAE), MCMC (Boltzmann machines) | lectures 01-04 |
# | **implicit** | samples $x = G_\theta(z)$ only | comparison with data (GANs) | lectures 05-08 |
#
# Two reasons to give up the density, both on the slides: working with an explicit $p(x)$ can
# be expensive (the VAE needed an encoder and a bound), and many uses of a generative model need
# *samples*, not the number $p(x)$.
#
# ## 2. Implicit models
#
# An implicit model fixes a simple noise distribution $p(z)$ (a unit Gaussian) and a
# differentiable generator $G_\theta$. Its distribution $p_g$ is whatever $G_\theta(z)$ is
# when $z \sim p(z)$: sampling is one forward pass, but $p_g(x)$ itself is available in closed
# form only in toy cases. In one dimension the change of variables gives it: every $z$ with
# $G(z) = x$ contributes,
#
# $$p_g(x) = \sum_{z:\,G(z) = x} \frac{p(z)}{|G'(z)|},$$
#
# so where $G$ is steep, mass is thin, and where $G$ folds back, several $z$ land on one $x$.
# `genlab.gan.generator_density_1d` evaluates this sum for any 1-D generator, and
# `genlab.gan.generator_mass_1d` integrates it over bins exactly (the prior mass of each bin's
# preimage). We check it against a histogram of 1,000,000 samples of an untrained generator
# (a small ReLU network), which is not monotone, so the sum over preimages matters.

# %%
model_config, _ = default_setup("mixture1d")
G = init_gan(model_config, seed=14).generator
z = torch.linspace(-3, 3, 601)[:, None]
N = 1_000_000
with torch.no_grad():
    slope = torch.diff(G(z)[:, 0])
    samples = G(torch.randn(N, 1, generator=torch.Generator().manual_seed(1)))[:, 0].double()
print(f"G rises on {int((slope > 0).sum())} and falls on {int((slope < 0).sum())} of 600 steps in z")

# 30 bins between the 1% and 99% quantiles. Each bin's mass under p_g is the prior mass of its
# preimage (exact for this piecewise-linear G): integrating p_g on a grid would miss the tall,
# narrow spikes where G is nearly flat.
lo, hi = torch.quantile(samples[:50_000], torch.tensor([0.01, 0.99], dtype=torch.float64)).tolist()
edges = torch.linspace(lo, hi, 31, dtype=torch.float64)
fine = torch.linspace(lo, hi, 30 * 100 + 1, dtype=torch.float64)
p_g = generator_density_1d(G, fine)
bin_mass = generator_mass_1d(G, edges)
hist = torch.histogram(samples, bins=edges).hist / N
z_scores = (hist - bin_mass) / (bin_mass * (1 - bin_mass) / N).sqrt()  # binomial noise of a count
print(f"histogram vs the change-of-variables masses, 30 bins: max relative error "
      f"{float(((hist - bin_mass) / bin_mass).abs().max()):.3f}, max |z-score| {float(z_scores.abs().max()):.2f}")
assert z_scores.abs().max() < 5

fig, ax = plt.subplots(figsize=(6, 2.8))
ax.stairs(hist / (edges[1] - edges[0]), edges, fill=True, alpha=0.35, color="tab:purple", label="histogram of G(z)")
ax.plot(fine, p_g, color="k", lw=1.2, label="sum over preimages p(z) / |G'(z)|")
ax.set(xlabel="x", ylabel="density", title="an untrained generator's p_g")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. The 1-D intuition and learning by comparison
#
# How can we fit a model whose density we cannot evaluate? By *comparison*: draw samples from
# the data and from the model and ask how distinguishable they are. If a classifier cannot tell
# them apart, the distributions agree; where it can, its output says in which direction to move
# the generated samples. This is the slide's 1-D picture: data points (green) and generated
# points (purple) on a line, and a discriminator curve $D(x)$ that is high where real data
# dominates and low where generated data does. The generator moves its samples uphill on $D$.
#
# We train the default 1-D GAN of genlab for a few hundred steps and draw exactly that picture:
# the two densities, the discriminator, and the generator's map $z \mapsto x$.

# %%
trainer = GANTrainer(target="mixture1d", config=GANTrainConfig(steps=600 * SCALE))
start = time.perf_counter()
snapshots = {0: trainer.picture()}
for stop in (100, 600 * SCALE):
    trainer.train(stop - trainer.step_count)
    snapshots[trainer.step_count] = trainer.picture()
print(f"{trainer.step_count} generator steps in {time.perf_counter() - start:.1f} s; "
      f"JSD(p_data || p_g): {snapshots[0].jsd:.3f} -> {snapshots[trainer.step_count].jsd:.3f} nats")

fig, axes = plt.subplots(1, len(snapshots), figsize=(13, 3.2), sharey=True, constrained_layout=True)
for ax, (step, pic) in zip(axes, snapshots.items(), strict=True):
    scale = float(pic.p_data.max()) * 1.1
    ax.fill_between(pic.axis, pic.p_data / scale, color="tab:green", alpha=0.35, label="p_data")
    ax.fill_between(pic.axis, (pic.p_g / scale).clamp(max=1.05), color="tab:purple", alpha=0.3, label="p_g (KDE)")
    ax.plot(pic.d_axis, pic.d, color="tab:blue", lw=2, label="D(x)")
    ax.set(title=f"step {step}: JSD {pic.jsd:.3f}", xlabel="x", ylim=(0, 1.08))
axes[0].legend(fontsize=8, loc="upper left")
plt.show()
assert snapshots[trainer.step_count].jsd < 0.5 * snapshots[0].jsd

# %% [markdown]
# ## 4. Generator and discriminator architectures
#
# For images the slides name the two networks of DCGAN (Radford et al. 2016): the generator is
# an *up-convolutional* network, a recognition CNN run in reverse, from a unit-Gaussian $z$
# (typically 10-100 dimensions) to an image; the discriminator is a recognition CNN with one
# output, real or synthetic. genlab's DCGAN for the 8x8 digits is small enough to print.

# %%
digits_gan = build_gan(GAN_PRESETS["digits"])
print(digits_gan.generator)
print(digits_gan.discriminator)
z = torch.randn(5, GAN_PRESETS["digits"].latent_dim)
with torch.no_grad():
    images = digits_gan.generator(z)
    logits = digits_gan.discriminator(images)
n_g = sum(p.numel() for p in digits_gan.generator.parameters())
n_d = sum(p.numel() for p in digits_gan.discriminator.parameters())
print(f"z {tuple(z.shape)} -> G -> images {tuple(images.shape)} in [{images.min():.2f}, {images.max():.2f}]"
      f" -> D -> logits {tuple(logits.shape)}; parameters: G {n_g:,}, D {n_d:,}")
assert images.shape == (5, 1, 8, 8) and logits.shape == (5,)
assert 0 <= float(images.min()) and float(images.max()) <= 1

# %% [markdown]
# The discriminator returns a *logit* $\ell$, and $D = \sigma(\ell)$. Every cost below is computed
# from logits (with `softplus`), never from probabilities, because $\log \sigma(\ell)$ computed
# as `log(sigmoid(l))` underflows to $-\infty$ for $\ell \lesssim -104$ in float32.

# %% [markdown]
# ## 5. The adversarial loss
#
# Let $D(x)$ be the discriminator's probability that $x$ is real. Its cost is the cross-entropy
# of the real-vs-fake classification task, label 1 for data and 0 for generated samples:
#
# $$J_D = \mathbb E_{x \sim p_{data}}\big[-\log D(x)\big] + \mathbb E_{z}\big[-\log\big(1 - D(G(z))\big)\big].$$
#
# `genlab.losses.discriminator_loss` computes it from logits. We check it against PyTorch's
# binary cross-entropy with explicit labels, on logits that include extreme values.

# %%
g = torch.Generator().manual_seed(0)
real_logits = torch.cat([torch.randn(64, generator=g) * 3, torch.tensor([40.0, -40.0])])
fake_logits = torch.cat([torch.randn(64, generator=g) * 3, torch.tensor([60.0, -60.0])])
J_D = losses.discriminator_loss(real_logits, fake_logits)
bce = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
      F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
print(f"J_D = {J_D:.6f}, BCE(real, 1) + BCE(fake, 0) = {bce:.6f}")
torch.testing.assert_close(J_D, bce)

# %% [markdown]
# ### The zero-sum game
#
# One possible generator cost is the opposite of the discriminator's, $J_G = -J_D$. The first
# term of $J_D$ does not depend on the generator, so
#
# $$J_G = -J_D = \text{const} + \mathbb E_z\big[\log\big(1 - D(G(z))\big)\big],$$
#
# and the two players play $\min_G \max_D V(D, G)$ with the value
#
# $$V(D, G) = \mathbb E_{x \sim p_{data}}\big[\log D(x)\big] + \mathbb E_{z \sim p(z)}\big[\log\big(1 - D(G(z))\big)\big] = -J_D.$$
#
# Three checks on the digits DCGAN: $V = -J_D$; the generator's gradient of $-J_D$ equals that
# of the minimax cost $\mathbb E_z[\log(1 - D(G(z)))]$ (the "const" has no gradient); and that
# cost is `genlab.losses.generator_loss(kind="minimax")`.

# %%
real = genlab.data.digits("train").images[:32]
z = torch.randn(32, GAN_PRESETS["digits"].latent_dim, generator=g)
real_logits = digits_gan.discriminator(real)
fake_logits = digits_gan.discriminator(digits_gan.generator(z))
V = losses.gan_value(real_logits, fake_logits)
torch.testing.assert_close(V, -losses.discriminator_loss(real_logits, fake_logits))

G_params = list(digits_gan.generator.parameters())
grad_neg_JD = torch.autograd.grad(-losses.discriminator_loss(real_logits, fake_logits), G_params, retain_graph=True)
grad_minimax = torch.autograd.grad(losses.generator_loss(fake_logits, "minimax"), G_params)
worst = max(float((a - b).abs().max()) for a, b in zip(grad_neg_JD, grad_minimax, strict=True))
print(f"V(D, G) = {V:.5f} = -J_D; max |grad(-J_D) - grad(J_G minimax)| over G's parameters: {worst:.2e}")
assert worst < 1e-6
minimax_by_hand = torch.log1p(-torch.sigmoid(fake_logits.double())).mean()
torch.testing.assert_close(losses.generator_loss(fake_logits.double(), "minimax"), minimax_by_hand)

# %% [markdown]
# ## 6. The learning procedure
#
# With parameters $\theta_d$ and $\theta_g$ the game is
# $\min_{\theta_g} \max_{\theta_d} V(D_{\theta_d}, G_{\theta_g})$, and training alternates:
#
# 1. **gradient ascent on the discriminator**: $\max_{\theta_d}\; \mathbb E_{x}\log D_{\theta_d}(x) + \mathbb E_z \log\big(1 - D_{\theta_d}(G_{\theta_g}(z))\big)$ ($k$ steps, in practice often $k = 1$);
# 2. **gradient descent on the generator**: $\min_{\theta_g}\; \mathbb E_z \log\big(1 - D_{\theta_d}(G_{\theta_g}(z))\big)$ (one step).
#
# `GANTrainer.step_d()` and `step_g()` are exactly these two updates (`step()` does $k$ of the
# first, then the second). We check that each moves $V$, measured on fixed evaluation samples,
# in its own direction: discriminator steps raise it, generator steps lower it.

# %%
game = GANTrainer(
    target="mixture1d",
    config=GANTrainConfig(objective="minimax", r1=0.0, lr=2e-3, lr_d=2e-3, k=1),
)
game.train(100)  # a game in progress
v0 = game.value()
for _ in range(20):
    game.step_d()
v1 = game.value()
for _ in range(20):
    game.step_g()
v2 = game.value()
print(f"V(D, G): {v0:.4f} -> 20 discriminator steps -> {v1:.4f} -> 20 generator steps -> {v2:.4f}")
assert v1 > v0 and v2 < v1

# %% [markdown]
# ## 7. Saturation and a better generator cost
#
# Early in training the generator is poor, the discriminator rejects its samples with
# confidence, and $D(G(z)) \approx 0$. Look at what the minimax cost does there. With the logit
# $\ell$ of $D(G(z)) = \sigma(\ell)$,
#
# $$\frac{\partial}{\partial \ell} \log\big(1 - \sigma(\ell)\big) = -\sigma(\ell) = -D \;\to\; 0 \quad (D \to 0):$$
#
# the cost is flat exactly where the generator most needs a signal (the slide's "saturation").
# The slide's fix keeps the same goal but changes the cost: maximise $\log D(G(z))$ instead of
# minimising $\log(1 - D(G(z)))$,
#
# $$J_G = \mathbb E_z\big[-\log D(G(z))\big], \qquad \frac{\partial}{\partial \ell}\big(-\log \sigma(\ell)\big) = D - 1 \;\to\; -1 \quad (D \to 0).$$
#
# Both costs decrease as $D(G(z))$ grows, so they push the generator the same way; only the
# size of the push differs. We check both derivatives (autograd inside
# `genlab.gan.saturation_curves`) against the closed forms, then plot them.

# %%
curves = saturation_curves(n=401)
torch.testing.assert_close(curves.minimax_grad, -curves.d)
torch.testing.assert_close(curves.non_saturating_grad, curves.d - 1)
at = torch.searchsorted(curves.d, torch.tensor(0.01, dtype=torch.float64))
print(f"at D(G(z)) = {curves.d[at]:.3f}: d/dlogit minimax = {curves.minimax_grad[at]:+.4f}, "
      f"non-saturating = {curves.non_saturating_grad[at]:+.4f}")
assert (curves.minimax_grad < 0).all() and (curves.non_saturating_grad < 0).all()  # same direction

# %% [markdown]
# The same effect in a real training run: genlab pretrains the discriminator until it wins
# against the untrained 1-D generator, then trains the generator from that same state with each
# cost, by plain gradient descent as on the slide (Adam would rescale the gradient and hide its
# size).

# %%
start = time.perf_counter()
runs = saturation_experiment(steps=300 * SCALE, pretrain_d_steps=500, seed=0)
print(f"saturation experiment: {time.perf_counter() - start:.1f} s")
for kind, run in runs.items():
    print(f"{kind:>15}: first-step |grad G| = {run.grad_norm[0]:.2e}, "
          f"mean D(G(z)) at the start {run.d_fake[0]:.3f}, JSD after {run.step[-1]} steps {run.jsd[-1]:.3f}")
ratio = runs["non_saturating"].grad_norm[0] / runs["minimax"].grad_norm[0]
print(f"the non-saturating gradient is {ratio:.0f}x larger at the start")
assert ratio > 5
fig = saturation_figure(curves, runs)
plt.show()

# %% [markdown]
# ## 8. The playground
#
# Now play the game yourself. The panel shows the data density (green), a kernel density
# estimate of the generator's samples (purple), the discriminator $D(x)$ (blue) and, dashed,
# the optimal discriminator $D^*(x) = p_{data}(x)/(p_{data}(x) + p_g(x))$ for the current
# generator, which lecture 06 derives. Next to it: the generator's map $z \mapsto x$, the two
# losses and $\mathrm{JSD}(p_{data} \| p_g)$.
#
# Things to try:
# - **Step D** a few times without **Step G**: $D$ climbs towards $D^*$ while the generator stays put.
# - Switch the objective to `minimax`, **Reset**, press **Step D** twenty times, then **Play**: the generator hardly moves at first (saturation).
# - Three modes with a wide separation: does the generator cover all three? Try a wider G.
# - Tick *D = D\** and watch $V(D, G)$ meet $2\,\mathrm{JSD} - \log 4$ in the readout (lecture 06).
# - `gan_playground(2)` is the same game on the ring of eight Gaussians, where mode collapse shows.

# %%
playground = gan_playground(1)
playground.state.frame(steps=20)  # a few steps, so the first picture already has a history
print(f"after {playground.state.trainer.step_count} steps: JSD {playground.state.last_picture.jsd:.3f} nats")
playground

# %% [markdown]
# ## Check your understanding
#
# 1. Why can a GAN generate samples but not report $p_g(x)$ for a given $x$? What would you need
#    to compute it in one dimension?
# 2. The discriminator's cost is a cross-entropy. What are the "labels", and what is the best
#    $D$ can do when $p_g = p_{data}$?
# 3. Why does the generator's minimax cost depend only on the second term of $J_D$?
# 4. Both generator costs are minimised by the same generator. Why does the choice still matter
#    in practice? Which one does genlab use by default, and why?
# 5. In the playground, what does the discriminator look like right after you pressed Step D
#    many times in a row? Why is that a problem for the next generator step under the minimax
#    cost?
#
# Answers are in `solutions/05_implicit_models_and_the_gan_game`.
#
# ## References
# - Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville & Bengio (2014), *Generative Adversarial Nets*, NeurIPS.
# - Goodfellow (2016), *NIPS 2016 Tutorial: Generative Adversarial Networks*, arXiv:1701.00160 (taxonomy, saturation).
# - Mohamed & Lakshminarayanan (2016), *Learning in Implicit Generative Models*, arXiv:1610.03483 (learning by comparison).
# - Radford, Metz & Chintala (2016), *Unsupervised Representation Learning with Deep Convolutional GANs*, ICLR.
# - Kahng, Thorat, Chau, Viégas & Wattenberg (2019), *GAN Lab: Understanding Complex Deep Generative Models using Interactive Visual Experimentation*, IEEE TVCG.
