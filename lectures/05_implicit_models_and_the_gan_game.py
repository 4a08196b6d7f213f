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
# Three **predict** boxes ask you to commit to an answer before the cell that measures it.
#
# *Estimated time: 70 minutes of reading, predicting and running, the playground included (the
# notebook itself runs in about 20 seconds on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.distributions import Normal

import genlab
import genlab.plots
from genlab import losses, palette
from genlab.gan import (
    GANTrainConfig,
    GANTrainer,
    default_setup,
    generator_density_1d,
    generator_mass_1d,
    init_gan,
    make_target,
    saturation_curves,
    saturation_experiment,
)
from genlab.models.gan import GAN_PRESETS, build_gan
from genlab.plots import saturation_figure
from genlab.theory import gaussian_mixture, optimal_discriminator
from genlab.widgets import gan_playground, predict

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
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
#
# *Figure below: the density $p_g(x)$ (per unit of $x$, y axis) against $x$ (x axis): a shaded
# histogram of the generator's samples, and on top of it the black curve of the
# change-of-variables sum, which follows every bar, kinks included.*

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
ax.stairs(hist / (edges[1] - edges[0]), edges, fill=True, alpha=0.35, color=palette.FAKE, label="histogram of G(z)")
ax.plot(fine, p_g, color="k", lw=1.2, label="sum over preimages p(z) / |G'(z)|")
ax.set(xlabel="x (no unit)", ylabel="density p_g(x) (per unit x)",
       title="Change of variables matches the histogram of G(z)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. The 1-D intuition and learning by comparison
#
# How can we fit a model whose density we cannot evaluate? By *comparison*: draw samples from
# the data and from the model and ask how distinguishable they are. If a classifier cannot tell
# them apart, the distributions agree; where it can, its output says in which direction to move
# the generated samples. This is the slide's 1-D picture: data points and generated points on a
# line, and a discriminator curve $D(x)$ that is high where real data
# dominates and low where generated data does. The generator moves its samples uphill on $D$.
#
# We train the default 1-D GAN of genlab for a few hundred steps and draw exactly that picture:
# the two densities and the discriminator. Each panel's title also reports the
# **Jensen-Shannon divergence** $\mathrm{JSD}(p_{data}\,\|\,p_g)$, in nats: a measure of how far
# apart two distributions are, 0 when they are equal and at most $\log 2 \approx 0.693$ when
# they do not overlap (lecture 06 defines it and shows why the GAN game is about it).

# %%
trainer = GANTrainer(target="mixture1d", config=GANTrainConfig(steps=600 * SCALE))
start = time.perf_counter()
snapshots = {0: trainer.picture()}
for stop in (100, 600 * SCALE):
    trainer.train(stop - trainer.step_count)
    snapshots[trainer.step_count] = trainer.picture()
print(f"{trainer.step_count} generator steps in {time.perf_counter() - start:.1f} s; "
      f"JSD(p_data || p_g): {snapshots[0].jsd:.3f} -> {snapshots[trainer.step_count].jsd:.3f} nats")

fig, axes = plt.subplots(1, len(snapshots), figsize=(13, 3.2), constrained_layout=True)
top = 1.1 * max(float(pic.p_data.max()) for pic in snapshots.values())
for ax, (step, pic) in zip(axes, snapshots.items(), strict=True):
    ax.fill_between(pic.axis, pic.p_data, color=palette.DATA, alpha=0.35, label="p_data")
    ax.fill_between(pic.axis, pic.p_g.clamp(max=top), color=palette.FAKE, alpha=0.35, label="p_g (KDE)")
    ax.set(title=f"step {step}: JSD {pic.jsd:.3f} nats", xlabel="x (no unit)", ylim=(0, top))
    ax_d = ax.twinx()  # D(x) is a probability, not a density: its own axis
    ax_d.plot(pic.d_axis, pic.d, color=palette.DISCRIMINATOR, lw=2, label="D(x)")
    ax_d.set_ylim(0, 1.02)
    ax_d.set_ylabel("D(x) (probability)")
axes[0].set_ylabel("density (per unit x)")
axes[0].legend(fontsize=8, loc="upper left")
fig.suptitle("The generator's mass moves onto the data, and D(x) flattens")
plt.show()
assert snapshots[trainer.step_count].jsd < 0.5 * snapshots[0].jsd
# "D flattens": its largest distance from 1/2 shrinks between the first and the last picture
flatness = {step: float((torch.as_tensor(pic.d) - 0.5).abs().max()) for step, pic in snapshots.items()}
print("max |D(x) - 1/2| by step:", {step: round(v, 3) for step, v in flatness.items()})
assert flatness[trainer.step_count] < flatness[0]

# %% [markdown]
# *Figure above: three panels, at generator steps 0, 100 and 600. In each, the data density
# (blue) and a kernel density estimate of the generator's samples (orange) use the left axis
# (density per unit $x$); the discriminator $D(x)$ (green line) uses the right axis (a
# probability in [0, 1]). As training proceeds, the orange mass moves onto the blue, the JSD in
# the titles falls, and $D$ flattens towards $\frac12$.*

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
assert 0 <= float(images.min()) and float(images.max()) <= 1  # G ends in a sigmoid

# %% [markdown]
# The discriminator returns a *logit* $\ell$, and $D = \sigma(\ell)$. Every cost below is computed
# from logits (with `softplus`: $-\log\sigma(\ell) = \operatorname{softplus}(-\ell)$ and
# $-\log(1-\sigma(\ell)) = \operatorname{softplus}(\ell)$), never from probabilities. Computed as
# `log(sigmoid(l))`, the cost breaks in two places. Which one comes first?

# %%
predict(
    "In float32, from which logit on does torch.log(1 - torch.sigmoid(l)) return −inf?",
    ["l ≈ 17", "l ≈ 89", "l ≈ 104"],
    answer="l ≈ 17",
    explanation="sigmoid(l) = 1/(1 + e^(−l)), and 1 + e^(−l) rounds to exactly 1 once e^(−l) is "
    "below half of float32's spacing above 1 (2^−24), i.e. from l = 24 ln 2 ≈ 16.6. Then "
    "1 − sigmoid(l) = 0. The other end, sigmoid(l) = 0 so that log(sigmoid(l)) = −inf, needs "
    "e^(−l) to overflow: l ≲ −88.7 in float32.",
)

# %%
thresholds = {}
for dtype in (torch.float32, torch.float64):
    l = torch.arange(-800, 50, 0.01, dtype=dtype)
    thresholds[dtype] = (l[torch.isinf(torch.log(torch.sigmoid(l)))].max().item(),
                         l[torch.isinf(torch.log1p(-torch.sigmoid(l)))].min().item())
    print(f"{dtype}: log(sigmoid(l)) = -inf for l <= {thresholds[dtype][0]:.2f}; "
          f"log(1 - sigmoid(l)) = -inf for l >= {thresholds[dtype][1]:.2f}  (torch {torch.__version__})")
# the two thresholds the prediction quotes, float32: 24 ln 2 = 16.6 (to the 0.01 grid and the
# rounding of the last ulp) and the underflow of sigmoid near -88.7
assert abs(thresholds[torch.float32][1] - 24 * math.log(2)) < 0.5
assert -90 < thresholds[torch.float32][0] < -87
# Past these points any correctly rounded arithmetic gives 0 (or 1), and softplus stays exact:
for dtype, (low, high) in ((torch.float32, (-110.0, 20.0)), (torch.float64, (-760.0, 40.0))):
    l = torch.tensor([low, high], dtype=dtype)
    assert torch.isinf(torch.log(torch.sigmoid(l[0]))) and torch.isinf(torch.log1p(-torch.sigmoid(l[1])))
    torch.testing.assert_close(-F.softplus(-l[0]), l[0])  # log sigmoid(l) = l - log(1 + e^l) ~ l
    torch.testing.assert_close(-F.softplus(l[1]), -l[1])  # log(1 - sigmoid(l)) ~ -l

# %% [markdown]
# The early failure is the one that matters: a discriminator that is sure a sample is real
# ($\ell \ge 17$, $D > 0.99999996$) is common, and the minimax generator cost
# $\log(1 - D(G(z)))$ and the fake term of $J_D$ both contain $\log(1-\sigma(\ell))$.

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
# in its own direction: discriminator steps raise it, generator steps lower it. (The config
# below turns off `r1`, genlab's default *R1 penalty*: a term $\frac\gamma2\,\mathbb E_{p_{data}}
# \|\nabla_x \ell(x)\|^2$, on the gradient of the discriminator's logit $\ell$ (with
# $D = \sigma(\ell)$), added to the discriminator's cost to keep it from getting too steep on
# the data. Lecture 08 derives and uses it; here we want the plain game.)

# %%
predict(
    "A 1-D game in progress. After 20 discriminator steps alone, does V(D, G) go up or down? "
    "And after 20 generator steps alone?",
    ["up, then down", "down, then up", "up, then up"],
    answer="up, then down",
    explanation="D ascends V (max over D), G descends it (min over G). Each player's own steps "
    "move V its way; neither step needs to reach the other's optimum for that.",
)

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
# For *one sample*, both costs decrease as $D(G(z))$ grows: they push that sample the same way,
# and only the size of the push differs. We check both derivatives (autograd inside
# `genlab.gan.saturation_curves`) against the closed forms, then plot them.

# %%
curves = saturation_curves(n=401)
torch.testing.assert_close(curves.minimax_grad, -curves.d)
torch.testing.assert_close(curves.non_saturating_grad, curves.d - 1)
at = torch.searchsorted(curves.d, torch.tensor(0.01, dtype=torch.float64))
print(f"at D(G(z)) = {curves.d[at]:.3f}: d/dlogit minimax = {curves.minimax_grad[at]:+.4f}, "
      f"non-saturating = {curves.non_saturating_grad[at]:+.4f}")
# both derivatives are negative on (0, 1) (they are -D and D - 1): one sample, one direction

# %% [markdown]
# **Over a batch the directions differ.** The generator's gradient is the mean over the batch
# of each sample's $\partial J_G/\partial \ell_i$ times $\nabla_\theta \ell_i$. The minimax cost weights
# sample $i$ by $D_i$, the non-saturating cost by $1 - D_i$: minimax listens to the samples that
# already fool $D$, non-saturating to the ones $D$ rejects. So the two gradients point in
# different directions in parameter space, as soon as $D$ varies over the batch. Check both
# weightings, and the angle, on the smallest generator, $G(z) = \mu + \sigma z$ at
# $\mu = 1, \sigma = 1.5$, against a discriminator that tells the bimodal data from it well
# (the optimal one, which lecture 06 derives; here it is just a good $D$), in float64:

# %%
target = make_target("mixture1d")
p_data = gaussian_mixture(target.modes[:, 0], target.mode_stds, target.weights)  # float64
D_good = optimal_discriminator(p_data, Normal(torch.tensor(1.0, dtype=torch.float64), torch.tensor(1.5, dtype=torch.float64)))
theta = torch.tensor([1.0, math.log(1.5)], dtype=torch.float64, requires_grad=True)  # (mu, log sigma)
z1 = torch.randn(4096, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
fake_logits = D_good.logit(theta[0] + theta[1].exp() * z1)
D_fake = torch.sigmoid(fake_logits).detach()
grads = {kind: torch.autograd.grad(losses.generator_loss(fake_logits, kind), theta, retain_graph=True)[0]
         for kind in ("minimax", "non_saturating")}
for kind, w in (("minimax", -D_fake), ("non_saturating", D_fake - 1)):
    (weighted,) = torch.autograd.grad((w * fake_logits).mean(), theta, retain_graph=True)
    torch.testing.assert_close(grads[kind], weighted)  # the D-weighted (or (1-D)-weighted) sum
cosine = F.cosine_similarity(grads["minimax"], grads["non_saturating"], dim=0).item()
print(f"D(G(z)) over the batch: {D_fake.min():.3f} to {D_fake.max():.3f}")
for kind, grad in grads.items():
    print(f"{kind:>15}: d J_G / d(mu, log sigma) = {[round(v, 4) for v in grad.tolist()]}")
print(f"cosine between the two generator gradients: {cosine:+.3f}")
assert cosine < -0.9  # not the same direction: here they point nearly opposite ways

# %% [markdown]
# Against the *optimal* discriminator the two costs are different functions of the generator
# too: the minimax cost descends $2\,\mathrm{JSD}(p_{data}\|p_g) - \log 4$ (it has the same
# gradient, lecture 06 §5), while the
# non-saturating cost descends $\mathrm{KL}(p_g\|p_{data}) - 2\,\mathrm{JSD}(p_{data}\|p_g)$
# (Arjovsky & Bottou 2017; stated here, not checked). Both vanish at $p_g = p_{data}$, but they
# are not one objective with two step sizes.

# %% [markdown]
# The same effect in a real training run: genlab pretrains the discriminator until it wins
# against the untrained 1-D generator, then trains the generator from that same state with each
# cost, by plain gradient descent as on the slide (Adam would rescale the gradient and hide its
# size).

# %%
predict(
    "At the first generator step, after D has been pretrained to win, how many times larger is "
    "the non-saturating gradient norm than the minimax one?",
    ["about the same", "about 10x", "hundreds of times or more"],
    answer="hundreds of times or more",
    explanation="Each sample's push is D_i (minimax) against 1 − D_i (non-saturating). With "
    "D(G(z)) around 0.002 on the fakes, that is a factor of several hundred.",
)

# %%
start = time.perf_counter()
runs = saturation_experiment(steps=300 * SCALE, pretrain_d_steps=500, seed=0)
print(f"saturation experiment: {time.perf_counter() - start:.1f} s")
for kind, run in runs.items():
    print(f"{kind:>15}: first-step |grad G| = {run.grad_norm[0]:.2e}, "
          f"mean D(G(z)) at the start {run.d_fake[0]:.3f}, JSD after {run.step[-1]} steps {run.jsd[-1]:.3f}")
ratio = runs["non_saturating"].grad_norm[0] / runs["minimax"].grad_norm[0]
print(f"the non-saturating gradient is {ratio:.0f}x larger at the start")
assert ratio > 100  # "hundreds of times"
fig = saturation_figure(curves, runs)
plt.show()

# %% [markdown]
# *Figure above: three panels. Left, the two generator costs (nats) against $D(G(z))$: the
# minimax $\log(1 - D)$ (vermillion) is flat near $D = 0$, the non-saturating $-\log D$ (blue)
# is steep there. Middle, their derivatives with respect to the logit: the minimax one goes to
# 0 as $D \to 0$ (the shaded region, where $D$ rejects the fakes), the non-saturating one to
# $-1$. Right, on a log axis, the generator's gradient norm per step in the two training runs
# from the same pretrained discriminator: the non-saturating run starts hundreds of times above
# the minimax run (the ratio printed above).*

# %% [markdown]
# ## 8. The playground
#
# Now play the game yourself. The panel shows the data density (blue), a kernel density
# estimate of the generator's samples (orange), the discriminator $D(x)$ (green) and, dashed,
# the optimal discriminator $D^*(x) = p_{data}(x)/(p_{data}(x) + p_g(x))$ for the current
# generator, which lecture 06 derives. Next to it: the generator's map $z \mapsto x$, the two
# losses and $\mathrm{JSD}(p_{data} \| p_g)$.
#
# Things to try:
# - Set **R1 γ** to 0, then press **Step D ×50** without **Step G**: $D$ climbs towards $D^*$ while the generator stays put. (With the default γ = 30 the R1 penalty holds $D$ near 0.5 on purpose: it keeps the game stable, section 2 of lecture 08.)
# - Switch the objective to `minimax`, **Reset**, press **Step D** twenty times, then **Play**: the generator hardly moves at first (saturation).
# - Three modes with a wide separation: does the generator cover all three? Try a wider G.
# - Tick *D = D\** and watch $V(D, G)$ meet $2\,\mathrm{JSD} - \log 4$ in the readout (lecture 06).
# - `gan_playground(2)` is the same game on the ring of eight Gaussians, where *mode collapse*
#   shows: the generator puts all its samples on a few of the modes (lecture 08, section 1.2).

# %%
playground = gan_playground(1)
playground.state.frame(steps=20)  # a few steps, so the first picture already has a history
print(f"after {playground.state.trainer.step_count} steps: JSD {playground.state.last_picture.jsd:.3f} nats")
playground

# %% [markdown]
# *Widget: the GAN playground. Left, over $x$, the data density (blue), the generator's density
# (orange), $D(x)$ (green) and the dashed $D^*(x)$; beside it, the generator's map
# $z \mapsto x$; below, the two losses and the JSD against the step. Controls: Play, Step,
# Step D, Step D ×50, Step G and Reset; the target's modes, separation and width; the noise,
# the widths of G and D, the objective, the learning rates, $k$ and R1 γ; and the
# "D = D\* (optimal)" tick box. The less common settings sit in a collapsed **settings**
# section, and a readout on the left lists the steps, the JSD, $V(D, G)$ and the mean of $D$ on
# real and fake samples.*

# %% [markdown]
# ## Check your understanding
#
# 1. Why can a GAN generate samples but not report $p_g(x)$ for a given $x$? What would you need
#    to compute it in one dimension?
# 2. The discriminator's cost is a cross-entropy. What are the "labels", and what is the best
#    $D$ can do when $p_g = p_{data}$?
# 3. Why does the generator's minimax cost depend only on the second term of $J_D$?
# 4. For each single sample, both generator costs fall as $D(G(z))$ rises. Why does the choice
#    still matter in practice? Which one does genlab use by default, and why?
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
# - Arjovsky & Bottou (2017), *Towards Principled Methods for Training Generative Adversarial Networks*, ICLR (the non-saturating cost against $D^*$).
# - Radford, Metz & Chintala (2016), *Unsupervised Representation Learning with Deep Convolutional GANs*, ICLR.
# - Kahng, Thorat, Chau, Viégas & Wattenberg (2019), *GAN Lab: Understanding Complex Deep Generative Models using Interactive Visual Experimentation*, IEEE TVCG.
