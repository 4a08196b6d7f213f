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
# # 06 The optimal discriminator and the Jensen-Shannon divergence
#
# Lecture 05 set up the GAN game and played it. This lecture asks what the game *computes*.
# For a fixed generator the best discriminator can be written down in closed form; plugging it
# into the value function turns the game into the minimisation of a divergence between the data
# and the generator, $2\,\mathrm{JSD}(p_{data}\,\|\,p_g) - \log 4$, whose only minimiser is
# $p_g = p_{data}$. We derive every step, check each line of the slides' proof with numbers, watch
# a generator descend the divergence, and then look hard at the assumptions behind the result:
# what changes when the discriminator is a finite network trained on finite samples.
#
# **Learning goals.** After this lecture you can
# - derive the optimal discriminator $D^*_G = p_{data}/(p_{data} + p_g)$ and say why it is the global maximiser;
# - prove, line by line, that the value of the game at $D^*_G$ is $2\,\mathrm{JSD}(p_{data}\,\|\,p_g) - \log 4$;
# - explain why the global minimum is $p_g = p_{data}$ with value $-\log 4$ and $D^* \equiv \frac12$;
# - explain why a gradient step through a fixed $D^*$ is a gradient step on the JSD;
# - name the assumptions of the convergence argument and show, with numbers, how finite networks, finite samples and disjoint supports break it.
#
# Four **predict** boxes ask you to commit to an answer before the cell that measures it.
#
# *Estimated time: 75 minutes of reading, predicting and running: about 45 for sections 1-6 and
# 30 for the caveats, sections 7-10 (the notebook itself runs in about 25 seconds on a laptop
# CPU). The appendix "For the sceptical" (optional, collapsed) re-checks the one-point
# maximisation on a grid, every line of the proof on its own, and the sampled game at its
# equilibrium.*

# %% [markdown]
# ## Setup

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
from torch.distributions import Normal

import genlab
import genlab.plots
from genlab import losses, palette
from genlab.divergences import discrete_f_divergence, f_divergence, js_divergence, kl_divergence
from genlab.gan import (
    GANTrainConfig,
    GANTrainer,
    discriminator_vs_optimal,
    init_gan,
    make_target,
)
from genlab.models.gan import GAN_PRESETS, build_gan
from genlab.theory import (
    discrete_gan_value,
    gan_value,
    gaussian_mixture,
    mixture_of,
    optimal_discriminator,
)
from genlab.widgets import gan_playground, predict

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
genlab.seed_everything(0)

# Training budget: the toy GANs here train in seconds on a laptop CPU. Raise SCALE to train
# longer (a GPU does not make these tiny networks faster: their steps are latency-bound).
SCALE = 1
F64 = torch.float64
LOG4 = math.log(4)


def normal(loc, scale):
    """A float64 Normal, for checks to many digits."""
    return Normal(torch.tensor(loc, dtype=F64), torch.tensor(scale, dtype=F64))


# %% [markdown]
# Throughout, the data are the bimodal 1-D target of lecture 05 (two Gaussians at $\pm 2$ with
# standard deviation $0.5$), and the generator is the simplest one there is,
# $G(z) = \mu + \sigma z$ with $z \sim \mathcal N(0, 1)$, so that $p_g = \mathcal N(\mu, \sigma^2)$
# is known exactly and every integral of the proof can be computed to many digits. We start it at
# $\mu = 1$, $\sigma = 1.5$.

# %%
target = make_target("mixture1d")
p_data = gaussian_mixture(target.modes[:, 0], target.mode_stds, target.weights)  # float64
gan = init_gan("gaussian1d", seed=0)
with torch.no_grad():
    gan.generator.loc.fill_(1.0)
    gan.generator.log_scale.fill_(math.log(1.5))
p_g = normal(1.0, 1.5)


def generate(n, gen):
    """n samples G(z), z ~ N(0, 1) drawn from the CPU generator gen, on the CPU."""
    z = torch.randn(n, 1, generator=gen)
    with torch.no_grad():
        return gan.generator(z.to(gan.generator.loc.device)).cpu()


print(f"p_data: means {target.modes[:, 0].tolist()}, stds {target.mode_stds.tolist()}; "
      f"p_g = N({gan.generator.loc.item():.1f}, {gan.generator.log_scale.exp().item():.1f}^2)")

# %% [markdown]
# ## 1. The value function, written over $x$
#
# The game is $\min_G \max_D V(D, G)$ with
#
# $$V(D, G) = \mathbb E_{x \sim p_{data}}\big[\log D(x)\big] + \mathbb E_{z \sim p(z)}\big[\log\big(1 - D(G(z))\big)\big].$$
#
# The first step of the slides' argument moves the second expectation from $z$ to $x$. Nothing
# deep happens here: $p_g$ *is* the distribution of $G(z)$, so for any function $h$,
# $\mathbb E_{z}[h(G(z))] = \mathbb E_{x\sim p_g}[h(x)]$. Then, if $p_g$ has a density, both
# expectations are integrals over the same space:
#
# $$V(D, G) = \int \Big(p_{data}(x)\log D(x) + p_g(x)\log\big(1 - D(x)\big)\Big)\,dx.$$
#
# We check this for an arbitrary discriminator (the untrained network): a Monte Carlo average
# over $z$ on one side, `genlab.theory.gan_value` (quadrature of the integral) on the other. The
# standard error comes from the spread of 20 independent batch averages.

# %%
D_net = gan.discriminator
g = torch.Generator().manual_seed(0)
with torch.no_grad():
    batches = torch.stack([
        losses.gan_value(D_net(target.sample(20_000, g)), D_net(generate(20_000, g)))
        for _ in range(20)
    ]).double()
mc, se = batches.mean(), batches.std() / math.sqrt(len(batches))
integral = gan_value(D_net, p_data, p_g, logits=True)
print(f"Monte Carlo over z: {mc:.5f} +- {se:.5f} | integral over x: {integral:.5f}")
assert abs(mc - integral) < 4 * se

# %% [markdown]
# ## 2. The optimal discriminator
#
# Fix the generator and ask for the discriminator that maximises $V$. If $D$ may be *any*
# function from $x$ to $(0, 1)$, its values at different points are unrelated, so the integral is
# largest when the integrand is largest at every single $x$: the maximisation moves inside the
# integral. (Keep this step in mind: a neural network cannot choose its value at each $x$
# independently, and section 7 shows what that costs.)
#
# At one point $x$ write $a = p_{data}(x) \ge 0$, $b = p_g(x) \ge 0$ and $y = D(x) \in (0, 1)$.
# The integrand is
#
# $$h(y) = a\log y + b\log(1 - y), \qquad h'(y) = \frac{a}{y} - \frac{b}{1-y}, \qquad h''(y) = -\frac{a}{y^2} - \frac{b}{(1-y)^2}.$$
#
# Setting $h'(y) = 0$ gives $a(1 - y) = b\,y$, that is $y = a/(a+b)$. If $a + b > 0$ then
# $h'' < 0$ on all of $(0, 1)$: $h$ is strictly concave, so this stationary point is the
# *unique global* maximum (the slide says "local max"; it is more than that). Where
# $a = b = 0$ the integrand is zero whatever $D$ does, so $D$ is irrelevant there. Where exactly
# one of them is zero there is no stationary point in $(0, 1)$ and the supremum is not attained:
# with $b = 0$, $h(y) = a\log y$ rises towards $0$ as $y \to 1$; with $a = 0$, $h(y) = b\log(1-y)$
# rises towards $0$ as $y \to 0$. The formula $a/(a+b)$ gives the limits, 1 and 0, which a
# discriminator with values in $(0, 1)$ approaches but never reaches. Hence
#
# $$D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}, \qquad \log\frac{D^*_G(x)}{1 - D^*_G(x)} = \log p_{data}(x) - \log p_g(x).$$
#
# The second form is worth remembering: the logit of the optimal discriminator is the log
# density ratio. A trained discriminator is a density-ratio estimator, which is exactly what
# lecture 07 generalises.
#
# (The appendix maximises the one-point $h$ on a fine grid of $y$ and finds $a/(a+b)$.)
#
# Now the whole function. `genlab.theory.optimal_discriminator(p_data, p_g)` is $D^*_G$ (computed
# from log-densities). Perturbing its logit in any direction, here by $\varepsilon \sin x$,
# lowers $V$, and the loss is second order in $\varepsilon$, as it must be at a maximum: halving
# $\varepsilon$ divides the loss by 4, and $\pm\varepsilon$ lose the same amount (a first-order term
# would make them differ).

# %%
D_star = optimal_discriminator(p_data, p_g)
V_star = gan_value(D_star, p_data, p_g).item()
loss = {}
for eps in (-0.5, -0.1, -0.05, 0.05, 0.1, 0.5):
    V_eps = gan_value(lambda x, e=eps: D_star.logit(x[:, 0]) + e * torch.sin(x[:, 0]), p_data, p_g, logits=True).item()
    loss[eps] = V_star - V_eps
    print(f"eps = {eps:+.2f}: V(D* perturbed) - V(D*) = {-loss[eps]:+.7f}")
assert all(v > 0 for v in loss.values())
assert abs(loss[0.1] / loss[0.05] - 4) < 0.05 and abs(loss[0.1] / loss[-0.1] - 1) < 0.01  # second order

# %% [markdown]
# ### A trained discriminator converges onto $D^*$
#
# Freeze the generator and train only the discriminator network (the slides' inner
# $\max_D$). `genlab.gan.discriminator_vs_optimal` does that for a number of steps and returns
# the network's $D(x)$ next to $D^*_G(x)$ on the data's support. The R1 penalty of genlab's
# default configuration is switched off: it pulls $D$ away from $D^*$ on purpose.

# %%
trainer = GANTrainer(gan, target, GANTrainConfig(batch_size=256, lr_d=3e-3, r1=0.0, seed=0))
start = time.perf_counter()
fit = discriminator_vs_optimal(trainer, d_steps=1500 * SCALE)
V_net = gan_value(gan.discriminator, p_data, p_g, logits=True).item()
print(f"{trainer.d_steps} discriminator steps in {time.perf_counter() - start:.1f} s: "
      f"mean |D - D*| = {fit.mae:.3f}, max {fit.max_error:.3f} on the support")
print(f"V(D_net, G) = {V_net:.4f}, V(D*, G) = {V_star:.4f} (gap {V_star - V_net:.4f})")
assert fit.mae < 0.05 and V_star - V_net < 0.005  # "within a few thousandths of the optimum"

x = torch.linspace(-4.5, 4.5, 401, dtype=F64)
with torch.no_grad():
    d_net = trainer.discriminator_on(x[:, None].float()).cpu().double()
support = p_data.log_prob(x).exp() + p_g.log_prob(x).exp() > 0.01
worst_x = x[support][(d_net - D_star(x))[support].abs().argmax()].item()
print(f"largest |D - D*| on the support at x = {worst_x:+.2f}")
assert abs(worst_x) > 2.75  # at the edges of the data, not in the middle

# %%
fig, ax = plt.subplots(figsize=(6.5, 3))
ax.fill_between(x, p_data.log_prob(x).exp(), color=palette.DATA, alpha=0.3, label="p_data")
ax.fill_between(x, p_g.log_prob(x).exp(), color=palette.FAKE, alpha=0.3, label="p_g")
ax.set(xlabel="x (no unit)", ylabel="density (per unit x)", title="A trained D lands on D*, except at the edges")
ax_d = ax.twinx()
ax_d.plot(x, d_net, color=palette.DISCRIMINATOR, lw=2, label="trained D(x)")
ax_d.plot(x, D_star(x), "k--", lw=1.5, label="D*(x) = p_data / (p_data + p_g)")
ax_d.set(ylim=(0, 1.05), ylabel="D(x) (probability)")
ax.legend(fontsize=7, loc="upper left")
ax_d.legend(fontsize=7, loc="upper right")
plt.show()

# %% [markdown]
# *Figure above: left axis, the data density (blue) and the generator's density (orange), per
# unit $x$; right axis, the trained discriminator $D(x)$ (green line) and the optimal $D^*(x)$
# (black, dashed), probabilities in [0, 1]. The two discriminators overlap in the middle and part
# at the edges of the data.*
#
# The largest errors sit at the edges of the data, where the network has seen few samples and
# extrapolates; beyond them it keeps its last slope while $D^*$ falls. They cost little in $V$,
# which weighs every point by the densities: the network's value is within a few thousandths of
# the optimum.
#
# ## 3. The value at $D^*$: $2\,\mathrm{JSD} - \log 4$, line by line
#
# Substitute $D^*_G$ into $V$. Each line below is one step of the slides' proof, in the order
# they take it; after the chain, every line is computed separately.
#
# $$\begin{aligned}
# V(D^*_G, G) &= \mathbb E_{x\sim p_{data}}\big[\log D^*_G(x)\big] + \mathbb E_{z\sim p(z)}\big[\log\big(1 - D^*_G(G(z))\big)\big] && (1)\\
# &= \mathbb E_{x\sim p_{data}}\big[\log D^*_G(x)\big] + \mathbb E_{x\sim p_g}\big[\log\big(1 - D^*_G(x)\big)\big] && (2)\\
# &= \int p_{data}(x)\log\frac{p_{data}(x)}{p_{data}(x) + p_g(x)} + p_g(x)\log\frac{p_g(x)}{p_{data}(x) + p_g(x)}\,dx && (3)\\
# &= \mathbb E_{x\sim p_{data}}\Big[\log\frac{2\,p_{data}(x)}{p_{data}(x) + p_g(x)}\Big] + \mathbb E_{x\sim p_g}\Big[\log\frac{2\,p_g(x)}{p_{data}(x) + p_g(x)}\Big] - \log 4 && (4)\\
# &= \mathrm{KL}\big(p_{data}\,\|\,m\big) + \mathrm{KL}\big(p_g\,\|\,m\big) - \log 4, \qquad m = \tfrac12(p_{data} + p_g) && (5)\\
# &= 2\,\mathrm{JSD}(p_{data}\,\|\,p_g) - \log 4. && (6)
# \end{aligned}$$
#
# - (1) to (2) is section 1. (2) to (3) substitutes $D^*_G$ and $1 - D^*_G = p_g/(p_{data} + p_g)$.
# - (3) to (4) multiplies each ratio inside the logarithms by $2/2$. The 2 in the numerator
#   stays inside; each $\frac12$ comes out as $\log\frac12$, multiplied by the total mass of
#   $p_{data}$ or $p_g$, which is 1: together $2\log\frac12 = -\log 4$.
# - (4) to (5): $\frac{2p}{p + q} = \frac{p}{(p+q)/2}$, so each expectation is a KL divergence to
#   the midpoint density $m$, which is itself a probability density.
# - (5) to (6) is the definition $\mathrm{JSD}(p\,\|\,q) = \frac12\mathrm{KL}(p\,\|\,m) + \frac12\mathrm{KL}(q\,\|\,m)$.
#
# One check of the whole chain: line (1), by Monte Carlo over samples of $x$ and of $z$, against
# line (6), the JSD by quadrature. (The appendix "For the sceptical" computes every line
# separately, each through a different genlab function.)

# %%
g = torch.Generator().manual_seed(1)
line1 = []
for _ in range(20):  # 20 independent batches, for a standard error
    x_real = target.sample(20_000, g)[:, 0].double()
    x_fake = generate(20_000, g)[:, 0].double()  # G(z)
    line1.append(losses.gan_value(D_star.logit(x_real), D_star.logit(x_fake)))
line1 = torch.stack(line1)
jsd = js_divergence(p_data, p_g).item()
se1 = line1.std().item() / math.sqrt(20)
print(f"(1) Monte Carlo: {line1.mean():.5f} +- {se1:.5f};  (6) 2 JSD - log 4: {2 * jsd - LOG4:.5f}")
assert abs(line1.mean().item() - (2 * jsd - LOG4)) < 4 * se1

# %% [markdown]
# **A correction to the slide "Adversarial loss".** That slide writes the discriminator's cost
# with factors $\frac12$, $J^{(D)} = -\frac12\mathbb E_{x}\log D(x) - \frac12\mathbb E_z\log(1 - D(G(z)))$,
# and $J^{(G)} = -J^{(D)}$, and then states $J^{(G)} = 2D_{JS}(p_{data}\,\|\,p_{model}) + \text{const}$
# at the optimal discriminator. With those factors $J^{(G)} = \frac12 V$, so at $D^*$
#
# $$J^{(G)} = \tfrac12\big(2\,\mathrm{JSD} - \log 4\big) = \mathrm{JSD}(p_{data}\,\|\,p_g) - \log 2:$$
#
# the factor 2 belongs to $V$, which has no $\frac12$'s (same minimiser, half the scale). A single
# number cannot tell "$\mathrm{JSD} + c$" from "$2\,\mathrm{JSD} + c'$"; the change between two
# generators can. With a second generator $\mathcal N(0, 2^2)$, by quadrature:

# %%
def slide_J_G(p_gen):
    """The slide's J^(G) = -J^(D), with its factors 1/2, at the optimal discriminator: V(D*, G) / 2."""
    return 0.5 * gan_value(optimal_discriminator(p_data, p_gen), p_data, p_gen).item()


p_g2 = normal(0.0, 2.0)
ratio = (slide_J_G(p_g2) - slide_J_G(p_g)) / (js_divergence(p_data, p_g2).item() - jsd)
print(f"J^(G) at D* = {slide_J_G(p_g):.6f} = JSD - log 2 = {jsd - math.log(2):.6f}; "
      f"change in J^(G) / change in JSD = {ratio:.6f} (the slide's formula would give 2)")
assert abs(slide_J_G(p_g) - (jsd - math.log(2))) < 1e-9 and abs(ratio - 1) < 1e-9

# %% [markdown]
# ## 4. The global minimum
#
# The generator now minimises $C(G) = V(D^*_G, G) = 2\,\mathrm{JSD}(p_{data}\,\|\,p_g) - \log 4$.
# Both KL terms in line (5) are $\ge 0$, and a KL divergence is zero only when its two arguments
# agree; $\mathrm{KL}(p_{data}\,\|\,m) = 0$ forces $p_{data} = m = \frac12(p_{data} + p_g)$, that is
# $p_g = p_{data}$. So:
#
# - $C(G) \ge -\log 4$, with equality **if and only if** $p_g = p_{data}$ (the slides' "optimal generator");
# - there $D^*_G = p_{data}/(2p_{data}) = \frac12$ everywhere: the best discriminator can only guess;
# - at the other end, $\mathrm{JSD} \le \log 2$, so $C(G) \le 0$, reached when the two densities do not overlap.
#
# Check the first two with $p_g = p_{data}$, then look at $C$ along two lines through a family
# that contains the data: Gaussian generators $\mathcal N(\mu, \sigma^2)$ fitted to Gaussian data
# $\mathcal N(0, 1)$.

# %%
at_optimum = gan_value(optimal_discriminator(p_data, p_data), p_data, p_data).item()
d_half = optimal_discriminator(p_data, p_data)(torch.linspace(-5, 5, 101, dtype=F64))
print(f"p_g = p_data: V(D*, G) = {at_optimum:.12f}, -log 4 = {-LOG4:.12f}; D* in [{d_half.min():.6f}, {d_half.max():.6f}]")
assert abs(at_optimum + LOG4) < 1e-10 and torch.allclose(d_half, torch.full_like(d_half, 0.5))

gauss_data = normal(0.0, 1.0)
mus, sigmas = torch.linspace(-3, 3, 41), torch.linspace(0.25, 3.25, 41)  # both grids hit the optimum
C_mu = torch.tensor([2 * js_divergence(gauss_data, normal(mu, 1.0)).item() - LOG4 for mu in mus.tolist()])
C_sigma = torch.tensor([2 * js_divergence(gauss_data, normal(0.0, s)).item() - LOG4 for s in sigmas.tolist()])
C_bimodal = torch.tensor([2 * js_divergence(p_data, normal(mu, 0.5)).item() - LOG4 for mu in mus.tolist()])
print(f"Gaussian data: min over mu = {C_mu.min():.6f} at mu = {mus[C_mu.argmin()]:.2f}; "
      f"min over sigma = {C_sigma.min():.6f} at sigma = {sigmas[C_sigma.argmin()]:.2f}")
print(f"bimodal data, N(mu, 0.5^2): min {C_bimodal.min():.4f} at mu = {mus[C_bimodal.argmin()]:+.2f}, "
      f"{C_bimodal[20]:.4f} at mu = 0 (cannot reach -log 4: the family does not contain p_data)")
assert abs(C_mu.min() + LOG4) < 1e-9 and abs(C_sigma.min() + LOG4) < 1e-9 and C_bimodal.min() > -LOG4 + 0.1
# with sigma fixed at 0.5 the best mean sits on a mode (+-2, within the grid step 0.15):
assert abs(abs(mus[C_bimodal.argmin()]) - 2) <= 0.15
# C grows with the distance |mu| between two Gaussians of one width (the upper bound 0 is section 9):
assert (C_mu[21:].diff() > 0).all() and (C_mu[:20].diff() < 0).all()

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 2.8), sharey=True, constrained_layout=True)
for ax, (xs, C, label) in zip(axes, [(mus, C_mu, "mu  (data N(0,1), sigma = 1)"),
                                     (sigmas, C_sigma, "sigma  (data N(0,1), mu = 0)"),
                                     (mus, C_bimodal, "mu  (bimodal data, sigma = 0.5)")], strict=True):
    ax.plot(xs, C, lw=2)
    ax.axhline(-LOG4, color="k", ls="--", lw=1)
    ax.axhline(0, color="grey", ls=":", lw=1)
    ax.set(xlabel=label)
axes[0].set_ylabel("V(D*, G) = 2 JSD - log 4 (nats)")
fig.suptitle("-log 4 is reached only where the generator equals the data")
plt.show()

# %% [markdown]
# *Figure above: three panels of $V(D^*, G) = 2\,\mathrm{JSD} - \log 4$ (nats, y axis): against the
# generator's mean $\mu$ for Gaussian data (left, a single valley reaching the dashed line
# $-\log 4$ at $\mu = 0$), against its width $\sigma$ (middle, the valley at $\sigma = 1$), and
# against $\mu$ with $\sigma$ fixed at 0.5 for the bimodal data (right, two valleys at the modes
# with a hump at $\mu = 0$, never reaching $-\log 4$). The dotted line is the upper bound 0.*
#
# The dashed line is $-\log 4$, reached only where the generator equals the data. With the
# bimodal data a single Gaussian cannot get there. *With its width fixed at 0.5*, the best it can
# do is to sit on one mode, and between the modes $C$ rises again (section 10 comes back to that
# hump). But the width is a parameter too.

# %%
predict(
    "Let the single Gaussian choose its mean AND its width. Which fit minimises the JSD to the "
    "two modes at ±2?",
    ["sit on one mode (μ ≈ ±2, narrow)", "cover both modes (μ = 0, wide)"],
    answer="cover both modes (μ = 0, wide)",
    explanation="The JSD penalises mass that misses the data and data that the model misses, "
    "each at most log 2. A wide Gaussian at 0 (σ ≈ 2.04, JSD 0.201) beats sitting on one mode "
    "(JSD 0.216), which is only a local minimum. The JSD prefers covering; lecture 07 compares "
    "it with the two KLs.",
)

# %%
def best_gaussian(mu0, sigma0):
    """Minimise JSD(p_data || N(mu, sigma^2)) over (mu, log sigma) from a starting point."""
    params = torch.tensor([mu0, math.log(sigma0)], dtype=F64, requires_grad=True)
    opt = torch.optim.LBFGS([params], max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        value = js_divergence(p_data, Normal(params[0], params[1].exp()))
        value.backward()
        return value

    opt.step(closure)
    return params[0].item(), params[1].exp().item(), js_divergence(p_data, normal(params[0].item(), params[1].exp().item())).item()


covering, on_mode = best_gaussian(0.0, 1.5), best_gaussian(2.0, 0.5)
for name, (mu_, s_, j_) in (("covering", covering), ("on one mode", on_mode)):
    print(f"{name:>12}: mu = {mu_:+.3f}, sigma = {s_:.3f}, JSD = {j_:.4f}")
# the numbers quoted in the prediction's explanation, to their printed digits:
assert abs(covering[0]) < 0.05 and abs(covering[1] - 2.04) < 0.01 and abs(covering[2] - 0.2010) < 1e-3
assert abs(on_mode[0] - 2) < 0.3 and abs(on_mode[2] - 0.2157) < 1e-3  # a local minimum of its own

# %% [markdown]
# ## 5. The generator descends $2\,\mathrm{JSD} - \log 4$
#
# If the discriminator were optimal before every generator step, the generator would minimise
# $C(G) = \max_D V(D, G)$. Its gradient step uses $\nabla_\theta V(D, G_\theta)$ at a *fixed*
# $D = D^*$; is that the gradient of $C$? Yes, by the envelope theorem: $C(\theta) = V(D^*_\theta, G_\theta)$
# and $D^*_\theta$ maximises $V$, so the change of $D^*$ with $\theta$ contributes nothing to first
# order ($\partial V/\partial D = 0$ at the maximum, pointwise, by section 2). Three gradients with
# respect to $(\mu, \log\sigma)$ of the Gaussian generator:
#
# - of $2\,\mathrm{JSD}(p_{data}\,\|\,p_{g,\theta}) - \log 4$ itself (quadrature, differentiated by autograd);
# - of $V(D^*, G_\theta)$ with $D^*$ frozen at the current $\theta$ (quadrature);
# - of the minimax generator cost $\mathbb E_z[\log(1 - D^*(\mu + \sigma z))]$ by Monte Carlo with
#   reparameterised samples, which is what genlab's optimal-discriminator mode computes.

# %%
loc = torch.tensor(1.0, dtype=F64, requires_grad=True)
log_scale = torch.tensor(math.log(1.5), dtype=F64, requires_grad=True)
frozen = optimal_discriminator(p_data, normal(1.0, 1.5))  # D* for the current G, held fixed
grad_C = torch.autograd.grad(2 * js_divergence(p_data, Normal(loc, log_scale.exp())) - LOG4, (loc, log_scale))
grad_V = torch.autograd.grad(gan_value(frozen, p_data, Normal(loc, log_scale.exp())), (loc, log_scale))
z = torch.randn(1_000_000, generator=torch.Generator().manual_seed(2), dtype=F64)
grad_mc = torch.autograd.grad(losses.generator_loss(frozen.logit(loc + log_scale.exp() * z), "minimax"), (loc, log_scale))
for name, grad in [("d/dtheta (2 JSD - log 4)", grad_C), ("d/dtheta V(D* frozen, G)", grad_V),
                   ("Monte Carlo, through G(z)", grad_mc)]:
    print(f"{name:>26}: d/dmu = {grad[0]:+.5f}, d/dlog sigma = {grad[1]:+.5f}")
torch.testing.assert_close(torch.stack(grad_V), torch.stack(grad_C), rtol=1e-8, atol=1e-10)
torch.testing.assert_close(torch.stack(grad_mc), torch.stack(grad_C), rtol=0.02, atol=2e-3)

# %% [markdown]
# genlab's `GANTrainConfig(optimal_d=True)` plays exactly this game with a neural generator:
# before every generator step it replaces the discriminator by $D^*_G$, with $p_g$ a kernel
# density estimate of 1,024 fresh generator samples, and the generator takes a minimax step
# through it. The logged value $V(D^*, G)$ should then sit on $2\,\mathrm{JSD} - \log 4$
# (the JSD is estimated on a grid, `genlab.gan.grid_jsd`) and go down.

# %%
config = GANTrainConfig(objective="minimax", optimal_d=True, lr=1e-3, log_every=10, seed=1)
descent = GANTrainer(init_gan("toy1d", seed=1), target, config)
start = time.perf_counter()
history = descent.train(300 * SCALE)
steps, jsds, values = history["step"], torch.tensor(history["jsd"]), torch.tensor(history["value"])
print(f"{descent.step_count} generator steps in {time.perf_counter() - start:.1f} s; "
      f"JSD {jsds[0]:.3f} -> {jsds[-1]:.3f} nats; max |V - (2 JSD - log 4)| = {(values - (2 * jsds - LOG4)).abs().max():.4f}")
assert (values - (2 * jsds - LOG4)).abs().max() < 0.03
assert jsds[-1] < jsds[0] - 0.2

pic = descent.picture()
fig, axes = plt.subplots(1, 2, figsize=(12, 3), constrained_layout=True)
axes[0].plot(steps, values, "o", ms=3, label="V(D*, G), on samples")
axes[0].plot(steps, 2 * jsds - LOG4, lw=1.5, label="2 JSD - log 4, JSD on the grid")
axes[0].axhline(-LOG4, color="k", ls="--", lw=1, label="-log 4")
axes[0].set(xlabel="generator step", ylabel="value (nats)", title="In optimal-D mode, V(D*, G) is 2 JSD - log 4")
axes[0].legend(fontsize=8)
axes[1].fill_between(pic.axis, pic.p_data, color=palette.DATA, alpha=0.35, label="p_data")
axes[1].fill_between(pic.axis, pic.p_g, color=palette.FAKE, alpha=0.3, label="p_g (KDE)")
axes[1].set(xlabel="x (no unit)", ylabel="density (per unit x)", title=f"after {descent.step_count} steps: JSD {pic.jsd:.3f} nats")
seen = pic.p_data + pic.p_g > 1e-3  # D* is meaningless where both densities vanish
ax_d = axes[1].twinx()
ax_d.plot(pic.axis[seen], pic.d_star[seen], "k--", lw=1, label="D*")
ax_d.set(ylim=(0, 1.05), ylabel="D*(x) (probability)")
axes[1].legend(fontsize=8, loc="upper left")
ax_d.legend(fontsize=8, loc="upper right")
plt.show()

# %% [markdown]
# *Figure above: left, the logged $V(D^*, G)$ (dots) on top of $2\,\mathrm{JSD} - \log 4$ (line),
# in nats, against the generator step, falling towards the dashed $-\log 4$; right, the data and
# generator densities after training (left axis) with $D^*$ (dashed, right axis).*

# %% [markdown]
# Try it in the playground: it starts here in optimal-discriminator mode with the minimax cost.
# Press **Play** and watch the dashed $D^*$ and the readout: $V(D^*, G)$ tracks
# $2\,\mathrm{JSD} - \log 4$ down towards $-\log 4 \approx -1.386$. Untick *D = D\** to
# train a real discriminator instead: $V(D, G)$ then stays *below* $2\,\mathrm{JSD} - \log 4$ on
# average, because a trained $D$ is never better than the optimal one (the readout is a sample
# estimate, so a single frame may cross by noise).

# %%
playground = gan_playground(1, objective="minimax")
playground.state.optimal.value = True
playground.state.frame(steps=20)
pic = playground.state.last_picture
print(f"D = D*: V = {pic.value:.3f}, 2 JSD - log 4 = {2 * pic.jsd - LOG4:.3f}")
assert playground.state.trainer.config.optimal_d and abs(pic.value - (2 * pic.jsd - LOG4)) < 0.03
playground

# %% [markdown]
# *Widget: the GAN playground with "D = D\* (optimal)" ticked. In the middle, over $x$, the data
# density (blue), the generator's density (orange), $D(x)$ (green) and $D^*(x)$ (black, dashed),
# which coincide in this mode; right, the generator's map $z \mapsto x$ with the data's modes
# dashed; below, the two losses and the JSD against the updates. Left, a readout (the steps,
# the JSD, $V(D, G)$ and $2\,\mathrm{JSD} - \log 4$, the mean of $D$ on real and fake samples, the
# mean gap $|D - D^*|$ on the data) and the controls: Play, Stop, Step, Step D ×50, Step D,
# Step G, Reset, R1 γ and the tick box; a collapsed **settings** section holds the target, the
# noise, the network widths, the objective, the learning rates and $k$.*

# %% [markdown]
# ## 6. The stationary point
#
# At $p_g = p_{data}$ the optimal discriminator is $D^* \equiv \frac12$, and neither player has a
# reason to move:
#
# - the **discriminator** is at the maximum of $h(y)$ at every $x$: $h'(\frac12) = 2a - 2b = 0$ when $a = b$;
# - the **generator** sees a constant $D$, and $\nabla_x \log(1 - D(x)) = 0$ for a constant, so its
#   gradient vanishes; equivalently, $C(G)$ is at its minimum.
#
# (The slide "Stationary point" says the *generator* should output 0.5 for all points; it is
# the *discriminator* that outputs $\frac12$. The generator outputs samples.)
#
# At $p_g = p_{data}$ the logit of $D^*$, $\log p_{data} - \log p_g$, is zero by construction, so
# "the gradient is zero there" checks nothing. What can be checked is that this is a *minimum*
# of the generator's game: a generator moved off the data, to $\mathcal N(\delta, 1)$, gets a
# gradient through its $D^*$ that points back towards 0 and equals the gradient of
# $2\,\mathrm{JSD} - \log 4$ (section 5). How big is it?

# %%
predict(
    "The generator is moved off the data, to N(δ, 1), and takes its gradient dV/dμ through its "
    "own D*. When δ is halved (0.2 → 0.1), what happens to that gradient?",
    ["it stays the same size", "it halves", "it falls to a quarter", "it becomes exactly 0"],
    answer="it halves",
    explanation="C(μ) = 2 JSD − log 4 has a smooth minimum at μ = 0, so near it C ≈ C(0) + "
    "½ C''(0) μ² and its gradient C''(0) μ is linear in μ: half the distance, half the push. "
    "A gradient that stayed the same size would overshoot; one that fell to a quarter would "
    "mean C is flat to fourth order.",
)

# %%
gauss_target = make_target("mixture1d", means=[0.0], stds=[1.0])
frozen = optimal_discriminator(gauss_data, normal(0.0, 1.0))
logit_star = frozen.logit(torch.linspace(-4, 4, 81, dtype=F64))
print(f"at p_g = p_data: max |logit D*| = {logit_star.abs().max():.1e} (zero by construction)")
slopes = {}
for delta in (0.2, 0.1, -0.1):
    loc = torch.tensor(delta, dtype=F64, requires_grad=True)
    frozen_d = optimal_discriminator(gauss_data, normal(delta, 1.0))  # D* of the moved generator
    (g_V,) = torch.autograd.grad(gan_value(frozen_d, gauss_data, Normal(loc, torch.tensor(1.0, dtype=F64))), loc)
    (g_C,) = torch.autograd.grad(2 * js_divergence(gauss_data, Normal(loc, torch.tensor(1.0, dtype=F64))) - LOG4, loc)
    slopes[delta] = g_V.item()
    print(f"generator at N({delta:+.1f}, 1): dV/dmu through D* = {g_V.item():+.6f}, d(2 JSD - log 4)/dmu = {g_C.item():+.6f}")
    assert abs(g_V.item() - g_C.item()) < 1e-9 and g_V.item() * delta > 0  # descent moves mu back to 0
assert abs(slopes[0.2] / slopes[0.1] - 2) < 0.02 and abs(slopes[0.1] + slopes[-0.1]) < 1e-9  # linear in delta

# %% [markdown]
# "We rarely reach a completely stable point in practice": started exactly at the equilibrium,
# the *sampled* game does not stay there, because every mini-batch is a slightly different pair
# of empirical distributions and the discriminator finds differences between them. The appendix
# runs it; lecture 09 (section 4, the Dirac-GAN) shows why the alternating updates circle.
#
# ## Convergence, and its caveats
#
# The slide "Convergence" lists what theory promises: a unique global optimum, at the data
# distribution, and guaranteed convergence to it. The fine print is in its assumptions:
# **infinite data, infinite model capacity, and updates made directly to $p_g$**. The slide's
# last remark, from Arora's CVPR 2018 tutorial, is that with a discriminator of finite, modest
# size the message is wrong, whatever the training time, number of samples or objective. We take
# the assumptions one at a time, one section each.
#
# ## 7. Finite networks
#
# Section 2 maximised over *all* functions $D$, one value per point. A network has a few
# parameters shared by all points. Take the extreme case of a discriminator whose logit is a
# quadratic, $\ell(x) = \alpha x^2 + \beta x + \gamma$ (three parameters), and a generator
# $p_g = \mathcal N(0, 4.25)$, which has the mean and variance of the bimodal data but not its
# shape. $V$ is concave in $(\alpha, \beta, \gamma)$ ($\log\sigma$ is concave and $\ell$ is linear
# in them), and its gradient there is
# $\mathbb E_{p_{data}}[(1 - D)\phi] - \mathbb E_{p_g}[D\phi]$ with $\phi = (x^2, x, 1)$: at
# $D \equiv \frac12$ it is half the difference of the first two moments, which is zero. So the
# best quadratic discriminator is the constant $\frac12$, and it reports the value $-\log 4$ of a
# perfect generator, while the JSD is far from zero.

# %%
moment_matched = normal(0.0, math.sqrt(p_data.variance.item()))
theta = torch.zeros(3, dtype=F64, requires_grad=True)


def quadratic_logit(x):
    return theta[0] * x[:, 0] ** 2 + theta[1] * x[:, 0] + theta[2]


grad_theta = torch.autograd.grad(gan_value(quadratic_logit, p_data, moment_matched, logits=True), theta)[0]
with torch.no_grad():
    theta.copy_(torch.tensor([0.3, -0.5, 0.2]))  # start elsewhere, climb back
optimizer = torch.optim.LBFGS([theta], max_iter=100, line_search_fn="strong_wolfe")


def closure():
    optimizer.zero_grad()
    loss = -gan_value(quadratic_logit, p_data, moment_matched, logits=True)
    loss.backward()
    return loss


optimizer.step(closure)
best_quadratic = gan_value(quadratic_logit, p_data, moment_matched, logits=True).item()
jsd_mm = js_divergence(p_data, moment_matched).item()
print(f"gradient at D = 1/2: {grad_theta.abs().max():.1e}; best quadratic D: theta = {[round(v, 6) for v in theta.tolist()]}, "
      f"V = {best_quadratic:.6f} (-log 4 = {-LOG4:.6f})")
print(f"yet JSD(p_data || p_g) = {jsd_mm:.4f}, and the unrestricted D* reaches V = {2 * jsd_mm - LOG4:.4f}")
assert grad_theta.abs().max() < 1e-12 and abs(best_quadratic + LOG4) < 1e-8 and jsd_mm > 0.1

# %% [markdown]
# For this discriminator family, "cannot be told apart" means "same first two moments". A neural
# network sees far more than two moments, but always a finite set of features, so there are
# always different distributions it cannot separate. The objective a finite discriminator
# optimises is not the JSD but what Arora et al. (2017) call a *neural net distance*, which can be
# zero while $p_g \neq p_{data}$.
#
# ## 8. Finite samples
#
# Training never sees $p_{data}$, only a sample. Arora et al. (2017) point out that the JSD does
# not *generalise*: two independent samples from the same continuous distribution share no point,
# so their empirical distributions have disjoint supports and their JSD is $\log 2$, the
# maximum, however large the samples. `genlab.divergences.discrete_f_divergence` computes it
# from the two histograms on the union of the sample values:

# %%
for n in (10, 1_000, 100_000):
    a = p_data.sample((n,))
    b = p_data.sample((n,))  # a second, independent sample from the same distribution
    atoms, index = torch.cat([a, b]).unique(return_inverse=True)  # every value either sample took
    empirical_a = torch.bincount(index[:n], minlength=len(atoms)).double() / n  # histogram of a
    empirical_b = torch.bincount(index[n:], minlength=len(atoms)).double() / n  # histogram of b
    jsd_ab = discrete_f_divergence("jensen_shannon", empirical_a, empirical_b).item()
    print(f"n = {n:>7}: {len(atoms)} distinct values; JSD(empirical a || empirical b) = {jsd_ab:.6f}"
          f" (log 2 = {math.log(2):.6f}); the distributions' JSD is 0")
    assert abs(jsd_ab - math.log(2)) < 1e-12

# %% [markdown]
# A finite discriminator cannot see that difference, which is good for generalisation; what
# does it do to the equilibrium? Take the 1-D GAN's discriminator (two hidden layers of 16
# units, 321 parameters) and train it against a "generator" that outputs one of $k$ stored data
# points, on fresh data samples at every step; then measure $V(D, G)$ on 100,000 new data
# points. The memorising generator has no density at all: its JSD to the data is $\log 2$, and
# $D^*$ would reach $V = 0$.

# %%
predict(
    "Against a generator that replays k = 1,024 stored data points, where does the trained "
    "321-parameter discriminator's V(D, G) land?",
    ["near 0, as D* would (it spots the list)", "about halfway, near −0.7",
     "near −log 4 ≈ −1.386 (barely better than guessing)"],
    answer="near −log 4 ≈ −1.386 (barely better than guessing)",
    explanation="The network cannot isolate 1,024 thin spikes with 321 shared parameters: what it "
    "sees is a sample that looks like the data. Arora et al. (2017) show that memorising about "
    "p log p / ε² points fools a discriminator with p parameters to within ε. With k = 8 the "
    "spikes are few and far apart, and it does spot them.",
)

# %%
def fit_discriminator_to_atoms(k, steps=1000 * SCALE, seed=0):
    """V(D, G) of a toy discriminator trained against a generator that replays k data points."""
    gen = torch.Generator().manual_seed(seed)
    atoms = target.sample(k, gen)  # the memorised points, (k, 1)
    D = build_gan(GAN_PRESETS["toy1d"]).discriminator
    optimizer = torch.optim.Adam(D.parameters(), lr=3e-3)
    for _ in range(steps):
        x_real = target.sample(256, gen)
        x_fake = atoms[torch.randint(k, (256,), generator=gen)]
        loss = losses.discriminator_loss(D(x_real), D(x_fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return losses.gan_value(D(target.sample(100_000, gen)), D(atoms)).item()


n_params = sum(p.numel() for p in build_gan(GAN_PRESETS["toy1d"]).discriminator.parameters())
assert n_params == 321  # 1*16+16 + 16*16+16 + 16*1+1
start = time.perf_counter()
memorised = {k: fit_discriminator_to_atoms(k) for k in (8, 1024)}
print(f"discriminator with {n_params} parameters ({time.perf_counter() - start:.1f} s):")
for k, value in memorised.items():
    print(f"  generator replays {k:>4} data points: V(D, G) = {value:+.4f}, {value + LOG4:.4f} above -log 4 "
          f"(D* would reach 0: the supports are disjoint)")
assert memorised[8] > -LOG4 + 0.1 and memorised[1024] < -LOG4 + 0.02

# %% [markdown]
# Eight memorised points are easy to spot. Against 1,024 of them the trained network is barely
# better than guessing, although the generator has learned nothing but a list. Arora et al.
# show that a generator which memorises roughly $p\log p/\varepsilon^2$ points (for a
# discriminator with $p$ parameters) comes within $\varepsilon$ of the optimum in the neural net
# distance. This is the slide's remark in numbers: with a finite discriminator, an
# (approximate) equilibrium does not imply that the generator found the data distribution.
#
# ## 9. Disjoint supports: a flat JSD
#
# Real images live near low-dimensional manifolds, where non-overlap of $p_{data}$ and $p_g$ is
# the rule early in training. Take 1-D Gaussians of width 0.1, the data at 0 and the generator
# at $\mu$, and ask what the generator learns from the optimal discriminator.

# %%
predict(
    "The data N(0, 0.1²) and the generator N(2, 0.1²) sit twenty widths apart. What gradient "
    "dV(D*, G)/dμ does the generator get from the optimal discriminator?",
    ["a large pull towards the data", "a small pull towards the data", "zero, to rounding"],
    answer="zero, to rounding",
    explanation="With (numerically) no overlap, D* is 1 on the data and 0 on the fakes: it is perfect, and "
    "JSD = log 2 to rounding, its maximum, for every μ far from 0. So V(D*, G) = 2 log 2 − log 4 = 0, the "
    "upper bound, and it stays 0 when the generator moves a little: its gradient is 0.",
)

# %%
narrow = normal(0.0, 0.1)
for distance in (0.1, 0.5, 1.0, 2.0):
    mu = torch.tensor(distance, dtype=F64, requires_grad=True)
    C = 2 * js_divergence(narrow, Normal(mu, torch.tensor(0.1, dtype=F64))) - LOG4
    (slope,) = torch.autograd.grad(C, mu)
    print(f"means {distance:.1f} apart: V(D*, G) = {C.item():+.3e}, dV/dmu = {slope.item():+.2e}")
assert abs(C.item()) < 1e-12 and abs(slope.item()) < 1e-12  # flat: zero to rounding

# %% [markdown]
# The JSD saturates at $\log 2$ when the two densities do not overlap, so $C(G)$ is flat there
# and its gradient vanishes (Arjovsky & Bottou 2017). At a distance of 2 (twenty widths) the
# value is 0 to machine precision and the generator gets no gradient at all: the optimal
# discriminator is perfect and says nothing about which way to move. That is one reason
# practical GANs keep the discriminator from being optimal, use the non-saturating cost, or
# change the divergence (lecture 07; Wasserstein GANs, lecture 09).
#
# ## 10. Updating $p_g$ directly, or through parameters
#
# The convergence proof (Goodfellow et al. 2014, Prop. 2) updates the *distribution* $p_g$ in
# function space, where $C$ is convex: for any two generators and $t \in [0, 1]$,
# $C\big(t\,p_1 + (1-t)\,p_2\big) \le t\,C(p_1) + (1-t)\,C(p_2)$. Real training updates the
# *parameters* $\theta$ of a network, and $C(\theta)$ need not be convex: the bimodal slice in
# section 4 has two minima with a hump between them.

# %%
p1, p2 = normal(-1.5, 0.6), normal(2.5, 0.8)
for t in (0.25, 0.5, 0.75):
    mixed = 2 * js_divergence(p_data, mixture_of(p1, p2, t)).item() - LOG4
    chord = t * (2 * js_divergence(p_data, p1).item() - LOG4) + (1 - t) * (2 * js_divergence(p_data, p2).item() - LOG4)
    print(f"t = {t}: C(t p1 + (1-t) p2) = {mixed:.4f} <= t C(p1) + (1-t) C(p2) = {chord:.4f}")
    assert mixed <= chord
i_left, i_right = int(C_bimodal[:20].argmin()), 20 + int(C_bimodal[20:].argmin())
print(f"in the parameter mu of N(mu, 0.5^2): C = {C_bimodal[i_left]:.4f} at mu = {mus[i_left]:+.2f}, "
      f"{C_bimodal[20]:.4f} at mu = 0, {C_bimodal[i_right]:.4f} at mu = {mus[i_right]:+.2f}: not convex")
assert C_bimodal[20] > max(C_bimodal[i_left], C_bimodal[i_right])

# %% [markdown]
# And the updates alternate: the discriminator is never exactly $D^*$, and simultaneous or
# alternating gradient steps on a two-player game can circle an equilibrium instead of
# approaching it (Mescheder et al. 2018). Lecture 08 measures the practical consequences, and
# lecture 09 (section 4, the Dirac-GAN) shows why the updates circle.
#
# ## Check your understanding
#
# 1. At the stationary point of the slides, $p_g = p_{data}$. What does $D^*$ output, and why
#    does the generator then receive no gradient?
# 2. Suppose $p_{data}$ and $p_g$ have disjoint supports (early in training, for image data on a
#    low-dimensional manifold). What are the JSD and $V(D^*, G)$, and what does that mean for a
#    generator trained against a (nearly) optimal discriminator?
# 3. The convergence proof assumes that $D$ reaches $D^*$ after every generator step and that
#    $G$ updates $p_g$ directly. Name two ways real training breaks these assumptions, and what
#    can go wrong as a result.
# 4. In section 2 the maximisation over $D$ moved inside the integral. Which property of the set
#    of allowed discriminators makes that legitimate, and which discriminator in this notebook
#    (section 7) breaks it?
# 5. Why is $D^* = a/(a+b)$ a global and not only a local maximum of $h(y) = a\log y + b\log(1-y)$?
#    What happens at points where $a = b = 0$?
# 6. In line (4) of the proof, where exactly does the $-\log 4$ come from? What would it be if
#    $p_g$ were not normalised?
# 7. The generator in optimal-discriminator mode differentiates through a *fixed* $D^*$. Why is
#    that still the gradient of $2\,\mathrm{JSD} - \log 4$?
# 8. Two independent samples of the same distribution have empirical JSD $\log 2$. Why does that
#    not make GAN training hopeless, and what does the discriminator's limited capacity have to
#    do with it?
#
# Answers to all eight are in `solutions/06_optimal_discriminator_and_jsd`.
#
# ## References
# - Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville & Bengio (2014), *Generative Adversarial Nets*, NeurIPS: Prop. 1 (optimal discriminator), Thm. 1 (global minimum), Prop. 2 (convergence).
# - Goodfellow (2016), *NIPS 2016 Tutorial: Generative Adversarial Networks*, arXiv:1701.00160.
# - Arora, Ge, Liang, Ma & Zhang (2017), *Generalization and Equilibrium in Generative Adversarial Nets (GANs)*, ICML; and Arora's tutorial at CVPR 2018.
# - Arjovsky & Bottou (2017), *Towards Principled Methods for Training Generative Adversarial Networks*, ICLR.
# - Mescheder, Geiger & Nowozin (2018), *Which Training Methods for GANs do actually Converge?*, ICML.
# - Nowozin, Cseke & Tomioka (2016), *f-GAN: Training Generative Neural Samplers using Variational Divergence Minimization*, NeurIPS (lecture 07).

# %% [markdown]
# ## Appendix: for the sceptical
#
# ### The one-point problem on a grid (section 2)
#
# `genlab.theory.discrete_gan_value([a], [b], logit)` is $h$ at $y = \sigma(\text{logit})$; we
# maximise it over a fine grid of $y$, compare with $a/(a+b)$, and check the second differences
# for concavity.

# %% jupyter={"source_hidden": true}
y = torch.linspace(1e-4, 1 - 1e-4, 200_001, dtype=F64)
for a, b in [(0.3, 0.1), (0.05, 0.4), (1.0, 1.0), (2.0, 1e-3)]:
    h = discrete_gan_value(torch.tensor([a], dtype=F64), torch.tensor([b], dtype=F64), torch.logit(y)[:, None])
    best = y[h.argmax()]
    concave = bool((h[:-2] - 2 * h[1:-1] + h[2:] <= 1e-15).all())
    print(f"a = {a:<5} b = {b:<6} argmax_y h(y) = {best:.5f}   a/(a+b) = {a / (a + b):.5f}   concave: {concave}")
    assert abs(best - a / (a + b)) < 1e-4 and concave

# %% [markdown]
# ### Every line of the proof (section 3)
#
# Section 3 checked the chain of equalities end to end. Here every line is computed on its own:
# lines (1) and (4) by Monte Carlo (samples of $x$ and of $z$), lines (2), (3), (5) and (6) by
# quadrature, each through a different genlab function. Line (3) is the "GAN" row of the
# f-divergence table of lecture 07, and $m$ is `genlab.theory.mixture_of(p_data, p_g)`.

# %% jupyter={"source_hidden": true}
m = mixture_of(p_data, p_g)  # (p_data + p_g) / 2
g = torch.Generator().manual_seed(1)
line1, line4 = [], []
for _ in range(20):  # 20 independent batches, for a standard error
    x_real = target.sample(20_000, g)[:, 0].double()
    x_fake = generate(20_000, g)[:, 0].double()  # G(z)
    line1.append(losses.gan_value(D_star.logit(x_real), D_star.logit(x_fake)))
    line4.append((p_data.log_prob(x_real) - m.log_prob(x_real)).mean()
                 + (p_g.log_prob(x_fake) - m.log_prob(x_fake)).mean() - LOG4)
line1, line4 = torch.stack(line1), torch.stack(line4)
jsd = js_divergence(p_data, p_g).item()
lines = {
    "(1) E_data log D* + E_z log(1 - D*(G(z)))   [Monte Carlo]": (line1.mean().item(), line1.std().item() / math.sqrt(20)),
    "(2) E_data log D* + E_p_g log(1 - D*)        [theory.gan_value]": (gan_value(D_star, p_data, p_g).item(), 0.0),
    "(3) int p log p/(p+q) + q log q/(p+q)        [f_divergence 'gan']": (f_divergence("gan", p_data, p_g).item(), 0.0),
    "(4) E log 2p/(p+q) + E log 2q/(p+q) - log 4  [Monte Carlo]": (line4.mean().item(), line4.std().item() / math.sqrt(20)),
    "(5) KL(p_data || m) + KL(p_g || m) - log 4  [kl_divergence]": ((kl_divergence(p_data, m) + kl_divergence(p_g, m)).item() - LOG4, 0.0),
    "(6) 2 JSD(p_data || p_g) - log 4             [js_divergence]": (2 * jsd - LOG4, 0.0),
}
for name, (value, err) in lines.items():
    print(f"{name}: {value:.9f}" + (f" +- {err:.5f}" if err else ""))
    assert abs(value - (2 * jsd - LOG4)) < (4 * err if err else 1e-9)
assert torch.allclose(line1, line4)  # (1) -> (4) is algebra that holds sample by sample

# %% [markdown]
# Lines (1) and (4) print the same digits: on the same samples they agree term by term, since
# going from one to the other only rewrites $\log D^*(x)$ and $\log(1 - D^*(x))$ and moves the
# constant $\log 2$ out of each average.

# %% [markdown]
# ### The sampled game at its equilibrium (section 6)
#
# Start the *plain* alternating game (a discriminator network, minimax costs, mini-batches of 64)
# exactly at the equilibrium: the generator equal to the data, and the discriminator's output
# layer zeroed so that $D(x) = \sigma(0) = \frac12$ everywhere. The exact game would stay there
# forever. The sampled game does not: the discriminator finds differences between the
# mini-batches, and the generator follows.

# %% jupyter={"source_hidden": true}
still = init_gan("gaussian1d", seed=0)  # G(z) = z: exactly the data N(0, 1)
with torch.no_grad():
    torch.nn.init.zeros_(still.discriminator.net[-1].weight)  # D(x) = sigmoid(0) = 1/2 for every x
    torch.nn.init.zeros_(still.discriminator.net[-1].bias)
plain = GANTrainer(still, gauss_target, GANTrainConfig(objective="minimax", r1=0.0, lr=1e-3, lr_d=1e-3, seed=0))
grid = torch.linspace(-2.5, 2.5, 51)[:, None]
print(f"start: mu = {still.generator.loc.item():+.4f}, sigma = {still.generator.log_scale.exp().item():.4f}, "
      f"max |D - 1/2| = {(plain.discriminator_on(grid) - 0.5).abs().max():.4f}")
track = []
for _ in range(6):
    plain.train(50 * SCALE)
    track.append((still.generator.loc.item(), still.generator.log_scale.exp().item(),
                  (plain.discriminator_on(grid) - 0.5).abs().max().item()))
for i, (mu_t, s_t, d_t) in enumerate(track):
    print(f"after {50 * SCALE * (i + 1):>3} steps: mu = {mu_t:+.4f}, sigma = {s_t:.4f}, max |D - 1/2| = {d_t:.4f}")
mus_t = torch.tensor([t[0] for t in track])
# It keeps moving (the mean changes between every pair of checkpoints) but stays near (0, 1):
assert (mus_t.diff().abs() > 1e-4).all()
assert all(abs(mu_t) < 0.5 and abs(s_t - 1) < 0.5 for mu_t, s_t, _ in track)

# %% [markdown]
# The game wanders near the equilibrium instead of resting on it (the printed range above is one
# run, seed 0). Here the wandering is small, because the generator family is tiny and the data
# simple; with real networks and real data it can grow into oscillation or collapse
# (lectures 08 and 09).
