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
# # 09 Wasserstein GANs, why GAN training circles, and how to measure a generator
#
# Lecture 06 ended with a warning: when the data and the generator live on disjoint, thin
# supports, the Jensen-Shannon divergence is stuck at $\log 2$ and the optimal discriminator
# gives the generator nothing to follow. Lecture 08 showed that GAN training oscillates and
# collapses, and judged generators by eye and by a classifier. This lecture goes beyond the
# slides, to what a student needs the day after: a distance that does not go blind, the
# smallest GAN that shows why training circles, and numbers that measure a generator.
#
# **Learning goals.** After this lecture you can
# - say why the JSD gives no gradient for disjoint supports and the Wasserstein-1 distance
#   does, and compute $W_1$ in 1-D exactly;
# - state the Kantorovich-Rubinstein duality and train a critic that estimates $W_1$;
# - keep a critic Lipschitz by weight clipping, a gradient penalty or spectral normalisation,
#   and say what each costs, and when WGAN-GP covers every mode of the ring;
# - derive the Jacobian of the Dirac-GAN at its equilibrium, and predict from its eigenvalues
#   whether simultaneous steps, alternating steps, R1 or instance noise converge;
# - compute FID and precision/recall from a classifier's features, know their biases, and
#   read them for the course's VAE, conditional VAE and DCGAN side by side.
#
# *Estimated time: 75 minutes (about 3,200 words, seven predictions to commit to, twenty-one
# code cells; the notebook runs in under a minute on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from scipy import stats
from torch.distributions import Normal
from tqdm.auto import tqdm

import genlab
import genlab.plots
from genlab import palette
from genlab.data import digits
from genlab.divergences import js_divergence
from genlab.gan import compare_digit_generators
from genlab.metrics import fid, precision_recall, wasserstein_1d, wilson_interval
from genlab.plots import show_figure
from genlab.theory import DiracGAN, gaussian_mixture
from genlab.train import train_digit_classifier
from genlab.wgan import fit_critic
from genlab.widgets import predict

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
genlab.seed_everything(0)
LECTURE_START = time.perf_counter()
F64 = torch.float64
# The toys are tiny and latency-bound: they run on the CPU, where their seeded results are
# the same on every machine.

# %% [markdown]
# ## 1. When the JSD is blind (10 min)
#
# Take the data $p = N(0, s^2)$ and a generator $q_\theta = N(\theta, s^2)$ with a tiny width
# $s = 0.05$: two narrow bumps, as in lecture 06 §9. Move the generator from $\theta = 0$ to
# $\theta = 1$. How does each distance respond?

# %%
predict(
    "At θ = 1, twenty widths away from the data, what is the derivative of JSD(p ‖ q_θ) with "
    "respect to θ?",
    ["about 1", "about 1/2", "about 0"],
    answer="about 0",
    explanation="Twenty widths apart the two bumps do not overlap to float64 precision, so the "
    "JSD sits at its maximum log 2 and does not change when the generator moves: its "
    "derivative is 0. W1 is |θ|, with slope 1 however far apart the two are.",
)

# %%
s = 0.05
thetas = torch.linspace(0.0, 1.0, 41, dtype=F64)
p = Normal(torch.tensor(0.0, dtype=F64), torch.tensor(s, dtype=F64))
jsd = torch.stack([js_divergence(p, Normal(t, torch.tensor(s, dtype=F64))) for t in thetas])  # nats
w1 = thetas.abs()  # W1 between two translates of one distribution is the shift |theta|
h = 1e-3  # central differences of each distance at theta = 1
dJSD = (js_divergence(p, Normal(torch.tensor(1 + h, dtype=F64), p.scale))
        - js_divergence(p, Normal(torch.tensor(1 - h, dtype=F64), p.scale))) / (2 * h)
print(f"dJSD/dtheta at theta = 1: {float(dJSD):.1e}; dW1/dtheta = 1")
print(f"JSD at theta = 1: {float(jsd[-1]):.12f} nats; log 2 = {np.log(2):.12f}")
# 20 widths apart the overlap is of order exp(-(1/0.05)^2 / 8) = 1e-22: JSD = log 2 to float64
assert abs(float(jsd[-1]) - np.log(2)) < 1e-9 and abs(float(dJSD)) < 1e-9
# the slope on the grid, by autograd: where does the JSD go flat?
t_req = thetas.clone().requires_grad_(True)
(slope,) = torch.autograd.grad(sum(js_divergence(p, Normal(t, p.scale)) for t in t_req), t_req)
for k in (4, 6, 8):
    print(f"theta = {k} widths: dJSD/dtheta = {float(slope[thetas.sub(k * s).abs().argmin()]):.4f} per data unit")
assert float(slope[thetas.sub(4 * s).abs().argmin()]) > 1  # at four widths still steeper than W1
assert float(slope[thetas >= 8 * s - 1e-12].abs().max()) < 1e-2  # flat from about eight widths on

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(thetas, jsd, color=palette.DIVERGENCE, label="JSD(p || q_theta)")
ax.axhline(np.log(2), color=palette.DIVERGENCE, ls=":", lw=1)
ax.set(xlabel="generator position theta (data units)", ylabel="JSD (nats)",
       title="The JSD saturates at log 2 once the bumps separate; W1 keeps growing")
ax2 = ax.twinx()
ax2.plot(thetas, w1, color=palette.BLUE, ls="--", label="W1(p, q_theta)")
ax2.set_ylabel("W1 (data units)")
fig.legend(loc="lower right", bbox_to_anchor=(0.88, 0.2))
JSD_ALT = ("Two curves against the generator position theta from 0 to 1. The JSD (left axis, "
           "vermillion) rises steeply from 0 and is flat at log 2 from about theta = 0.4, eight "
           "widths, on. W1 (right axis, blue dashed) is the straight line |theta|, with slope 1 "
           "everywhere.")
show_figure(fig, JSD_ALT)

# %% [markdown]
# *Figure above: two curves against the generator position $\theta$ from 0 to 1. The JSD (left
# axis, vermillion, nats) rises steeply from 0 and is flat at $\log 2$ (dotted) from about
# $\theta = 0.4$, eight widths, on. $W_1$ (right axis, blue dashed, data units) is the straight
# line $|\theta|$, with slope 1 everywhere.*
#
# The JSD tells the generator that it is wrong, not which way to go. At four widths it is
# still steep (about 1.4 per data unit, steeper than $W_1$), but beyond about eight widths its
# gradient is below $10^{-2}$, and it vanishes to rounding further out. The Wasserstein-1 distance, the least average
# distance over which the mass of $q$ must be moved to turn it into $p$,
#
# $$W_1(p, q) = \inf_{\gamma \in \Pi(p, q)} \mathbb E_{(x, y) \sim \gamma}\, |x - y|$$
#
# (the infimum over *couplings* $\gamma$, joint distributions with marginals $p$ and $q$),
# grows like $|\theta|$ and has slope 1 however far apart the two are.
#
# In 1-D the optimal coupling is monotone: it matches quantiles. So
# $W_1 = \int_0^1 |F_p^{-1}(u) - F_q^{-1}(u)|\,du = \int |F_p(t) - F_q(t)|\,dt$, the area
# between the two CDFs. For two samples of equal size this is the mean distance between the
# sorted samples; `genlab.metrics.wasserstein_1d` computes the area exactly for any sizes.
# One check against scipy's independent implementation:

# %%
g = torch.Generator().manual_seed(0)
x = torch.randn(3000, generator=g, dtype=F64)
y = 0.5 * torch.randn(2000, generator=g, dtype=F64) + 0.3
ours, theirs = float(wasserstein_1d(x, y)), stats.wasserstein_distance(x.numpy(), y.numpy())
print(f"genlab {ours:.15f}\nscipy  {theirs:.15f}")
assert abs(ours - theirs) < 1e-12  # float64 sums of 5,000 terms: round-off only

# %% [markdown]
# ## 2. The Kantorovich-Rubinstein duality: $W_1$ by a critic (10 min)
#
# The infimum over couplings cannot be computed for images. Its dual can be *learned*
# (Kantorovich-Rubinstein; Villani 2009, Thm. 5.10):
#
# $$W_1(p, q) = \sup_{\|f\|_L \le 1}\ \mathbb E_{x \sim p} f(x) - \mathbb E_{x \sim q} f(x),$$
#
# the supremum over *1-Lipschitz* functions $f$, those with $|f(x) - f(y)| \le |x - y|$ (for
# a differentiable $f$: $\|\nabla f\| \le 1$ everywhere). A WGAN's discriminator is such an
# $f$, called the **critic**: it outputs a score, not a probability.
#
# In 1-D we can find the best critic by hand. Integrate by parts:
# $\mathbb E_p f - \mathbb E_q f = \int f'(t)\,\big(F_q(t) - F_p(t)\big)\,dt
# \le \int |F_q - F_p|\,dt = W_1$, with equality when
# $f'(t) = \operatorname{sign}\big(F_q(t) - F_p(t)\big)$: slope $+1$ where $q$ has more mass to
# the left, $-1$ where $p$ has. Let us train a critic on samples and overlay this $f^*$, as
# lecture 06 overlaid $D^*$. The data $p$: two Gaussians at $\pm 2$ (width 0.5); the
# generator $q$: $N(0, 1)$. `genlab.wgan.fit_critic` trains a two-layer MLP critic with the
# gradient penalty of section 3 and reports $\mathbb E_p f - \mathbb E_q f$ on held-out
# samples.

# %%
p1 = gaussian_mixture([-2.0, 2.0], [0.5, 0.5], dtype=F64)
q1 = Normal(torch.tensor(0.0, dtype=F64), torch.tensor(1.0, dtype=F64))
grid = torch.linspace(-5, 5, 4001, dtype=F64)
dF = q1.cdf(grid) - p1.cdf(grid)
W1_exact = float(torch.trapezoid(dF.abs(), grid))  # area between the CDFs
f_star = torch.cumulative_trapezoid(torch.sign(dF), grid, dim=0)
f_star = torch.cat([f_star.new_zeros(1), f_star])
N1 = 2000  # samples of each; the first half trains the critic, the second measures it
torch.manual_seed(1)
xp, xq = p1.sample((N1, 1)), q1.sample((N1, 1))
fits = {}
for method in tqdm(("gp", "clip", "sn"), desc="critics", leave=False):
    fits[method] = fit_critic(xp, xq, lipschitz=method, steps=200, lr=3e-3, seed=0)
gp = fits["gp"]
with torch.no_grad():
    f_gp = gp.critic(grid[:, None])
held = N1 // 2
with torch.no_grad():  # the estimate's standard error on the held-out halves
    se = float((gp.critic(xp[held:]).var() / held + gp.critic(xq[held:]).var() / held).sqrt())
print(f"W1 exact {W1_exact:.4f}; the GP critic's estimate {gp.estimate:.4f} +- {se:.4f} (s.e.), "
      f"its largest slope on the samples {gp.slope:.2f}")
# duality: E_p f - E_q f <= L W1 for an L-Lipschitz f (here L ~ the largest slope seen), up
# to 3 standard errors of sampling noise; and the trained critic gets within 10 % of W1
assert gp.estimate <= max(gp.slope, 1.0) * W1_exact + 3 * se
assert gp.estimate >= 0.9 * W1_exact - 3 * se

fig, ax = plt.subplots(figsize=(7, 3.2))
centre = lambda f: f - f[(grid.abs() < 3)].mean()  # noqa: E731 - critics are defined up to a constant
ax.plot(grid, centre(f_star), color="black", lw=2, label="optimal critic f*")
ax.plot(grid, centre(f_gp), color=palette.DISCRIMINATOR, ls="--", lw=2, label="trained critic (gradient penalty)")
ax.plot(grid, p1.log_prob(grid).exp(), color=palette.DATA, alpha=0.7, label="data p")
ax.plot(grid, q1.log_prob(grid).exp(), color=palette.FAKE, alpha=0.7, label="generator q")
ax.set(xlim=(-4, 4), xlabel="x (data units)", ylabel="critic score f(x), density",
       title="The trained critic follows f*: slope +1 or -1, turning where the CDFs cross")
ax.legend(fontsize=8)
inside = grid.abs() < 3
gap = (centre(f_gp) - centre(f_star))[inside].abs()
span = float(centre(f_star)[inside].max() - centre(f_star)[inside].min())
print(f"|trained - optimal| critic (both centred) for |x| < 3: mean {float(gap.mean()):.3f}, "
      f"largest {float(gap.max()):.3f}, against the range of f* there, {span:.2f}")
assert float(gap.mean()) < 0.1 * span  # "close to f* between -3 and 3": on average within a tenth of its range
show_figure(fig, "The optimal critic is a zigzag with slope plus or minus one, rising towards "
                 "each data mode at -2 and 2 and falling towards the generator's mass at 0. "
                 "The trained critic's dashed curve lies close to it between -3 and 3.")

# %% [markdown]
# *Figure above: against $x$ (data units), the optimal critic $f^*$ (black), a zigzag with
# slope $\pm 1$ that rises towards each data mode at $\pm 2$ and falls towards the generator's
# mass at 0; the trained gradient-penalty critic (green, dashed) lies close to it between
# $-3$ and 3 (both centred there; on average within a tenth of its range, as printed above). The densities of the data (blue) and the generator (orange)
# share the y axis.*
#
# The critic's score rises towards the data and falls towards the generator's mass, with
# slope $\pm 1$: the gradient a WGAN generator receives, $\nabla_x f$ at its samples, has
# size 1 however bad the generator is. (Outside the samples, beyond $|x| \approx 3$, nothing
# constrains the trained critic.)
#
# ## 3. Keeping the critic Lipschitz, three ways (15 min)
#
# A neural network is not Lipschitz by itself. Three remedies:
#
# - **Weight clipping** (Arjovsky, Chintala & Bottou 2017): after each step, clip every weight
#   into $[-c, c]$ ($c = 0.01$). The network is then $K$-Lipschitz for some $K$ that depends on
#   $c$ and the architecture: the critic estimates $K \cdot W_1$, for an unknown $K$.
# - **Gradient penalty** (Gulrajani et al. 2017, WGAN-GP): add
#   $\lambda\,\mathbb E_{\hat x}\big(\|\nabla_{\hat x} f(\hat x)\| - 1\big)^2$, $\lambda = 10$, at
#   random points $\hat x = \epsilon x + (1 - \epsilon)\tilde x$ between a real $x$ and a fake
#   $\tilde x$ ($\epsilon \sim U[0, 1]$): the optimal critic has slope exactly 1 on the lines
#   between matched pairs, so that is what the penalty asks for (`genlab.losses.gradient_penalty`).
# - **Spectral normalisation** (Miyato et al. 2018): divide each weight matrix by its largest
#   singular value, its *spectral norm* $\sigma(W) = \max_{\|v\| = 1}\|Wv\|$, estimated by one
#   step of power iteration per training step
#   (`torch.nn.utils.parametrizations.spectral_norm`). With 1-Lipschitz activations the
#   network is then at most 1-Lipschitz: a product of layers with norms $\le 1$.
#
# The three critics above were trained on the same samples for the same 200 steps.

# %%
predict(
    "Which of the three critics estimates W1 worst?",
    ["weight clipping", "gradient penalty", "spectral normalisation"],
    answer="weight clipping",
    explanation="With every weight in [−0.01, 0.01] the network's slope is tiny (hundreds of "
    "times below 1), so E_p f − E_q f is K·W1 for a small K. Spectral normalisation bounds "
    "the slope by 1 and comes out a little low; the gradient penalty asks for slope 1 and "
    "gets close.",
)

# %%
rows = ["| critic | estimate of W1 | exact W1 | largest slope | seconds |", "|---|---:|---:|---:|---:|"]
for method, name in (("clip", "weight clipping, c = 0.01"), ("gp", "gradient penalty, lambda = 10"),
                     ("sn", "spectral normalisation")):
    r = fits[method]
    rows.append(f"| {name} | {r.estimate:.4f} | {W1_exact:.4f} | {r.slope:.3f} | {r.seconds:.1f} |")
display(Markdown("\n".join(rows)))
print(f"the clipped critic's slope is {fits['clip'].slope:.4f} ({1 / fits['clip'].slope:.0f} times too "
      f"small), so it reports a tiny multiple of W1")
assert fits["clip"].slope < 0.01 and fits["clip"].estimate < 0.01 * W1_exact  # hundreds of times too small
# spectral normalisation bounds the slope by 1 (up to the power iteration's lag): it can only
# underestimate W1, up to sampling noise
assert fits["sn"].slope <= 1.05 and fits["sn"].estimate <= W1_exact + 3 * se

# %% [markdown]
# Clipping gives a critic whose slope is hundreds of times too small: its "estimate" is
# $K\,W_1$ with a small, unknown $K$. A WGAN can live with a constant factor, but not with
# what clipping does to the critic's *shape*: to reach its largest slope, a clipped network
# pushes its weights to $\pm c$ and becomes nearly piecewise linear with few kinks (Gulrajani
# et al. 2017, Sec. 3): a capacity problem. Rescaled to unit slope, compare the shapes:

# %%
fig, ax = plt.subplots(figsize=(7, 3.0))
with torch.no_grad():
    for method, color, label in (("clip", palette.VERMILLION, "clipped critic / its slope"),
                                 ("sn", palette.BLUE, "spectral-norm critic"),
                                 ("gp", palette.DISCRIMINATOR, "gradient-penalty critic")):
        f = fits[method].critic(grid[:, None])
        ax.plot(grid, centre(f) / (fits[method].slope if method == "clip" else 1.0), color=color, label=label)
ax.plot(grid, centre(f_star), color="black", lw=2, ls=":", label="optimal f*")
ax.set(xlim=(-4, 4), xlabel="x (data units)", ylabel="critic score (rescaled)",
       title="Clipping cannot bend: its rescaled critic stays flat and round")
ax.legend(fontsize=8)
show_figure(fig, "Four critics against x. The gradient-penalty critic follows the optimal zigzag, "
                 "the spectral-norm critic turns with it at shallower slopes; the clipped critic, "
                 "divided by its small slope, is a smooth curve that misses the sharp turns.")

# %% [markdown]
# *Figure above: four critics against $x$ (data units), each centred and the clipped one
# divided by its slope: the gradient-penalty critic (green) follows the optimal zigzag $f^*$
# (black, dotted); the spectral-norm critic (blue) has the zigzag's turns with shallower slopes;
# the clipped critic (vermillion) is a smooth curve that misses the sharp turns (one run, seed 0).*
#
# The gradient penalty follows $f^*$ closely. Spectral normalisation is guaranteed to stay
# 1-Lipschitz but is often *too* tight: a product of per-layer bounds is loose, so the
# network's actual slope stays below 1 and it underestimates $W_1$ (here by the ratio in the
# table). The objectives of this course, side by side (D's raw output is $\ell$; the last
# row is new here):
#
# | objective | discriminator / critic minimises | generator minimises | what it estimates |
# |---|---|---|---|
# | GAN, non-saturating (lecture 05) | $\mathbb E_p[\log(1 + e^{-\ell})] + \mathbb E_q[\log(1 + e^{\ell})]$ | $\mathbb E_q[\log(1 + e^{-\ell})]$ | $2\,\mathrm{JSD} - \log 4$ |
# | f-GAN (lecture 07) | $-\mathbb E_p[g_f(\ell)] + \mathbb E_q[f^*(g_f(\ell))]$ | $-\mathbb E_q[f^*(g_f(\ell))]$ | $D_f(p\|q)$ |
# | WGAN / WGAN-GP | $\mathbb E_q f - \mathbb E_p f\ (+\lambda\,\mathrm{GP})$ | $-\mathbb E_q f$ | $W_1(p, q)$ |
# | least squares, LSGAN (Mao et al. 2017) | $\frac12\mathbb E_p(\ell - 1)^2 + \frac12\mathbb E_q\,\ell^2$ | $\frac12\mathbb E_q(\ell - 1)^2$ | Pearson $\chi^2$-type (Mao et al., Thm. 1, with other targets) |
#
# For the LSGAN, the discriminator's cost at one point $x$ is
# $\frac12 p(x)(\ell - 1)^2 + \frac12 q(x)\ell^2$; setting its derivative
# $p(\ell - 1) + q\ell$ to zero gives $\ell^* = p/(p + q)$, lecture 06's $D^*$, without a
# sigmoid; its generator cost never saturates, because a fake far from the data is penalised
# quadratically. `genlab.losses` has all four (`wasserstein_critic_loss`,
# `wasserstein_generator_loss`, `gradient_penalty`, `least_squares_gan_losses`).
#
# ### WGAN-GP against the non-saturating GAN on the ring
#
# Does the Wasserstein critic cure lecture 08's mode collapse? Lecture 08 counted how often a
# GAN on the ring of eight Gaussians covers every mode: a mode counts as covered when at least
# a quarter of its expected share of 2,048 samples lies within $3\sigma$ of its centre
# (`genlab.gan.mode_coverage`). `genlab.wgan.ManySeedWGANGP` trains WGAN-GPs on the same
# ring with the same networks (the critic is lecture 08's discriminator, read as a score),
# the same seeds and the same 1,500 generator steps, with the recipe of Gulrajani et al.
# (2017): $\lambda = 10$, $k = 5$ critic steps per generator step, Adam with betas (0.5, 0.9).

# %%
predict(
    "WGAN-GP on the ring, its critic and its generator both at Adam's learning rate 5e-4 "
    "(k = 5, λ = 10, 1,500 generator steps). Of 32 seeds, how many runs cover all 8 modes?",
    ["almost all (28 or more)", "about half", "almost none (4 or fewer)"],
    answer="almost none (4 or fewer)",
    explanation="1 of 32 (and 0 of 32 at equal rates of 1e-4). With equal learning rates "
    "the critic does not keep up with the moving generator, even with 5 steps to its 1, and "
    "the runs end as blobs that cover one mode or none. Give the critic four times the "
    "generator's learning rate (2e-3, what the non-saturating GAN's ring recipe gives its "
    "discriminator) and 23 of 32 runs cover all 8 modes.",
)

# %% [markdown]
# A many-seed ring run takes minutes on a laptop CPU (one WGAN-GP run costs about five
# non-saturating ones, $k + 1 = 6$ passes a step), too long for this page, so the counts
# below were measured by the course's benchmark and are quoted here:
#
# ```
# python benchmarks/wgan_ring.py --runs 32 --steps 1500 --wgan 5e-4:5e-4 1e-4:1e-4 5e-4:2e-3 5e-4:5e-3
# ```
#
# (seeds 0-31 in every row, so every row starts from the same 32 pairs of networks; measured
# 2026-12-06 on the 2-core CPU, busy with other work: about 27 minutes for the five rows). The cell computes each share's Wilson 95 % interval
# (`genlab.metrics.wilson_interval`): the range of success probabilities that 32 runs cannot
# tell apart from the count seen.

# %%
RING_RUNS = 32  # seeds 0-31, 1,500 generator steps, measured by benchmarks/wgan_ring.py
ring_full = {  # runs covering all 8 modes
    "WGAN-GP, lr G = lr critic = 1e-4": 0,
    "WGAN-GP, lr G = lr critic = 5e-4": 1,
    "WGAN-GP, lr G 5e-4, critic 2e-3": 23,
    "WGAN-GP, lr G 5e-4, critic 5e-3": 24,
    "non-saturating, lr G 5e-4, D 2e-3, R1 0.1": 32,
}
ring_ci = {name: wilson_interval(k, RING_RUNS) for name, k in ring_full.items()}
rows = ["| objective (1,500 generator steps) | runs covering all 8 modes | share | Wilson 95 % |",
        "|---|---:|---:|---:|"]
for name, ci in ring_ci.items():
    rows.append(f"| {name} | {ci.successes} of {ci.trials} | {ci.share:.2f} | [{ci.low:.2f}, {ci.high:.2f}] |")
display(Markdown("\n".join(rows)))
names = list(ring_ci)
slow, fast, ns = [ring_ci[n] for n in names[:2]], [ring_ci[n] for n in names[2:4]], ring_ci[names[-1]]
# the claims of the text, from the intervals: equal rates lie below a faster critic, which
# lies below the non-saturating GAN
assert max(ci.high for ci in slow) < min(ci.low for ci in fast)
assert max(ci.high for ci in fast) < ns.low

fig, ax = plt.subplots(figsize=(7.5, 3.0))
shares = np.array([ring_ci[n].share for n in names])
err = np.array([[ring_ci[n].share - ring_ci[n].low for n in names], [ring_ci[n].high - ring_ci[n].share for n in names]])
colors = [palette.VERMILLION] * 2 + [palette.DISCRIMINATOR] * 2 + [palette.BLUE]
ax.barh(names, shares, xerr=err, color=colors, capsize=4, error_kw={"ecolor": "black", "lw": 1})
ax.set(xlim=(0, 1), xlabel=f"share of {RING_RUNS} runs covering all 8 modes (Wilson 95 % interval)",
       title="WGAN-GP needs a faster critic, and still covers the ring less often")
ax.invert_yaxis()
show_figure(fig, "Horizontal bars of the share of 32 runs covering all eight modes of the ring, "
                 "with Wilson 95 percent intervals. The two WGAN-GP rows with equal learning "
                 "rates are near 0; the two WGAN-GP rows with a faster critic near 0.75; the "
                 "non-saturating GAN at 1.")

# %% [markdown]
# *Figure above: one horizontal bar per training recipe, the share of 32 runs (seeds 0-31)
# that cover all eight modes of the ring after 1,500 generator steps, with black Wilson 95 %
# intervals. The two WGAN-GP rows whose critic learns at the generator's rate (vermillion) are
# at 0 and 0.03; the two WGAN-GP rows with a faster critic (green) at 0.72 and 0.75, intervals
# from about 0.55 to 0.87; the non-saturating GAN of lecture 08 (blue) at 1, interval 0.89 to 1.*
#
# The Wasserstein loss does not cure mode collapse by itself. Its promise, a gradient that
# points towards the data however far away the generator is, holds for a critic near the
# optimal $f^*$, and with equal learning rates five critic steps per generator step were not
# enough: the runs ended covering one mode or none (9 % and 3 % of the modes on average). The usual explanation, which these rows
# support but do not prove, is that such a critic lags behind the generator it is meant to
# measure; a critic four or ten times faster (the *two time-scale update rule* of Heusel et
# al. 2017, the paper that also introduced FID) covers every mode in about three runs of
# four (over all 32 runs they covered 84 % and 93 % of the modes on average). The
# non-saturating GAN, with the recipe lecture 08 tuned for this ring, covered all of them in
# all 32 runs; the intervals do not overlap. So at this budget WGAN-GP is the *less* reliable
# of the two here. *Not measured:* longer training (Gulrajani et al. train for 100,000
# generator steps at $10^{-4}$), or a WGAN-GP recipe tuned as long as lecture 08's.

# %% [markdown]
# ## 4. Why GAN training circles: the Dirac-GAN (15 min)
#
# Lectures 06 and 08 warned that the game's equilibrium exists but that gradient steps need
# not find it. Mescheder, Geiger & Nowozin (2018) built the smallest GAN that shows why. The
# data are a point mass at 0; the generator a point mass $\delta_\theta$; the discriminator
# is linear, $D_\psi(x) = \psi x$. With the GAN's $f(t) = -\log(1 + e^{-t})$ the game is
# $L(\theta, \psi) = f(\psi\theta) + f(0)$: D ascends it, G descends it. The unique
# equilibrium is $(\theta, \psi) = (0, 0)$. The gradient **vector field** the players follow is
#
# $$v(\theta, \psi) = \big(-\partial_\theta L,\ \partial_\psi L\big)
#   = \big(-\psi f'(\psi\theta),\ \theta f'(\psi\theta)\big).$$
#
# At the equilibrium its Jacobian is, with $f'(0) = \frac12$ (two lines of algebra: the
# derivatives of $-\psi f'(\psi\theta)$ at $0$ are $0$ and $-f'(0)$, those of
# $\theta f'(\psi\theta)$ are $f'(0)$ and $0$),
#
# $$J = \begin{pmatrix} 0 & -\frac12 \\ \frac12 & 0 \end{pmatrix},
#   \qquad \lambda = \pm \tfrac{i}{2}:$$
#
# a pure rotation. The players circle the equilibrium instead of approaching it.
#
# Now take *simultaneous* gradient steps $x \leftarrow x + h\,v(x)$ of a tiny size $h = 0.01$.

# %%
predict(
    "With simultaneous gradient steps of size h = 0.01, what do the iterates (θ, ψ) do?",
    ["converge to (0, 0)", "circle at a constant distance", "spiral outwards"],
    answer="spiral outwards",
    explanation="Each step multiplies the distance to (0, 0) by |1 + hλ| = √(1 + h²/4) > 1: a "
    "step along the tangent of a circle always lands slightly outside it. However small h is, "
    "the distance grows.",
)

# %%
game = DiracGAN("gan")
J_autograd = game.jacobian()
eig = game.equilibrium_eigenvalues()
print("Jacobian at (0, 0) by autograd:\n", J_autograd.numpy())
print("eigenvalues, closed form:", eig.numpy(), " autograd:", torch.linalg.eigvals(J_autograd).numpy())
assert np.allclose(np.sort_complex(torch.linalg.eigvals(J_autograd).numpy()), np.sort_complex(eig.numpy()),
                   rtol=0, atol=1e-12)  # float64 round-off on entries of size 1/2
moduli = torch.linalg.eigvals(game.step_matrix(0.01, "simultaneous")).abs()
print(f"each simultaneous step multiplies the distance by |1 + h lambda| = {float(moduli[0]):.8f} "
      f"= sqrt(1 + h^2/4) > 1")
assert torch.allclose(moduli, torch.full((2,), (1 + 0.01**2 / 4) ** 0.5, dtype=F64), rtol=1e-14)

# %% [markdown]
# Every simultaneous step moves along the tangent of the circle, so it lands slightly
# outside: $\|x_{k+1}\|^2 = \|x_k\|^2 + h^2\|v(x_k)\|^2$. *Alternating* steps (G first, then D
# at the new $\theta$) have a step matrix of determinant 1 and stay on a closed orbit. Two
# remedies make the equilibrium attractive (Mescheder et al. 2018, Sec. 3):
#
# - the **R1 penalty** of lecture 08, $\frac\gamma2\|\nabla_x D\|^2$ at the data, is
#   $\frac\gamma2\psi^2$ here: it adds $-\gamma\psi$ to D's field, and $J$ gets $-\gamma$ in its
#   lower-right corner;
# - **instance noise** (add $N(0, \sigma^2)$ to real and fake samples) puts
#   $2f''(0)\sigma^2 = -\sigma^2/2$ there.
#
# Either way $\lambda = \big(-\delta \pm \sqrt{\delta^2 - 1}\big)/2$ with $\delta > 0$: a negative
# real part, an attracting spiral. The WGAN with weight clipping ($f(t) = t$, $|\psi| \le c$)
# has $J$ with $\lambda = \pm i$ and nothing to damp it. Every method from $(1, 1)$, 500 steps
# of $h = 0.1$ (`genlab.theory.DiracGAN`):

# %%
methods = {
    "simultaneous, no regulariser": (DiracGAN("gan"), "simultaneous"),
    "alternating, no regulariser": (DiracGAN("gan"), "alternating"),
    "simultaneous, R1 (gamma = 1)": (DiracGAN("gan", r1=1.0), "simultaneous"),
    "alternating, R1 (gamma = 1)": (DiracGAN("gan", r1=1.0), "alternating"),
    "alternating, instance noise (sigma = 1)": (DiracGAN("gan", noise_std=1.0), "alternating"),
    "alternating, WGAN with clipping (c = 1)": (DiracGAN("wgan", clip=1.0), "alternating"),
}
STEPS, LR = 500, 0.1
trajectories = {name: game.simulate(1.0, 1.0, STEPS, LR, update) for name, (game, update) in methods.items()}
rows = ["| method | distance to (0, 0) after 500 steps | abs(theta) over the last 100 steps, max |",
        "|---|---:|---:|"]
for name, t in trajectories.items():
    rows.append(f"| {name} | {float(t.distance[-1]):.3g} | {float(t.theta[-100:].abs().max()):.3g} |")
display(Markdown("\n".join(rows)))
d = {name: t.distance for name, t in trajectories.items()}
assert bool((d["simultaneous, no regulariser"].diff() > 0).all())  # strictly outwards, every step
assert float((d["alternating, no regulariser"] / d["alternating, no regulariser"][0] - 1).abs().max()) < 0.1
for name in ("simultaneous, R1 (gamma = 1)", "alternating, R1 (gamma = 1)", "alternating, instance noise (sigma = 1)"):
    # near 0 a simultaneous step shrinks the distance by |1 + h lambda| <= 0.977 (instance noise:
    # lambda = -0.25 +- 0.433i; R1: -0.5), so 500 steps shrink it by 1e-5 or more; the
    # alternating runs are measured here, not bounded
    assert float(d[name][-1]) < 1e-4, name
clip = trajectories["alternating, WGAN with clipping (c = 1)"]
assert float(clip.theta[-100:].abs().max()) > 0.5 * LR * 1.0  # theta keeps jumping by ~ h c

fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
th, ps = torch.meshgrid(torch.linspace(-2, 2, 17, dtype=F64), torch.linspace(-2, 2, 17, dtype=F64), indexing="xy")
vt, vp = DiracGAN("gan").vector_field(th, ps)
for ax, names, title in ((axes[0], list(methods)[:2] + ["alternating, WGAN with clipping (c = 1)"], "no damping: orbits and spirals"),
                         (axes[1], list(methods)[2:5], "R1 and instance noise: spirals into (0, 0)")):
    ax.quiver(th, ps, vt, vp, color="0.6", width=0.003)
    for name, color in zip(names, (palette.BLUE, palette.ORANGE, palette.VERMILLION), strict=True):
        t = trajectories[name]
        ax.plot(t.theta, t.psi, color=color, lw=1.2, label=name)
    ax.plot([0], [0], "k*", ms=12)
    ax.set(xlim=(-2, 2), ylim=(-2, 2), xlabel="generator theta", ylabel="discriminator psi", title=title)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="lower left")
show_figure(fig, "Two phase portraits of the Dirac-GAN over theta and psi with the gradient "
                 "field as grey arrows circling the origin. Left: simultaneous steps spiral out, "
                 "alternating steps circle at radius 1.4, the clipped WGAN zigzags on psi = "
                 "plus or minus 1. Right: with R1 or instance noise the paths spiral into the origin.")

# %% [markdown]
# *Figure above: two phase portraits of the Dirac-GAN, the generator's $\theta$ across and the
# discriminator's $\psi$ up, with the gradient field as grey arrows circling the origin (black
# star). Left: simultaneous steps (blue) spiral out, alternating steps (orange) circle at radius
# about 1.4, the clipped WGAN (vermillion) zigzags on $\psi = \pm 1$. Right: with R1 (blue,
# orange) or instance noise (vermillion) the paths spiral into the origin.*
#
# The clipped WGAN never settles: $\psi$ sits at $\pm c$ and $\theta$ jumps across 0 by
# $h c$ at every step. The same rotation governs every GAN near its equilibrium, which is
# one reason why lecture 08's runs could fail to settle and why R1 helped there. (WGAN-GP does not fix it either:
# in the Dirac-GAN its penalty pulls $|\psi|$ towards 1, not towards 0; Mescheder et al. 2018,
# Sec. 3.)
#
# ## 5. Measuring a generator (18 min)
#
# A loss value says little about sample quality (a WGAN critic's estimate is the one
# exception, up to its Lipschitz constant). Two standard measures compare *features* of real
# and generated samples. The original papers use the features of the Inception network (a large
# ImageNet classifier, Szegedy et al. 2016); for 8x8 digits we use
# our own digits classifier's last hidden layer (128 ReLU units).
#
# **Fréchet Inception Distance** (Heusel et al. 2017): fit a Gaussian to each set of features
# and report the squared Fréchet (Wasserstein-2) distance between them,
#
# $$\mathrm{FID} = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2}\big).$$
#
# `genlab.metrics.frechet_distance` computes the trace of the square root from the
# eigenvalues of the symmetric matrix $\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}$, so that it
# stays real and finite when a covariance is singular (128 features, some of them always 0).

# %%
started = time.perf_counter()
clf = train_digit_classifier(seed=0, device="cpu")
print(f"classifier: {clf.test_accuracy:.3f} held-out accuracy, trained in {time.perf_counter() - started:.1f} s")
all_digits = digits("all")
feats = clf.model.features(all_digits.images).double()  # (1797, 128)
labels = all_digits.labels
print(f"features: {tuple(feats.shape)}; always-zero features: {int((feats.abs().sum(0) == 0).sum())}")

# %% [markdown]
# FID has no "zero" in practice: two samples of the *same* data give a positive FID, because
# the means and covariances are estimated. This **data-vs-data** FID is the floor a perfect
# generator would reach, and it depends on the sample size $n$. Chong & Forsyth (2020) show
# that FID's bias falls roughly like $1/n$.
#
# Take two disjoint halves of the digits, $n$ images each, and compute their FID.

# %%
predict(
    "When n goes from 100 to 800 images per set, what does the data-vs-data FID do?",
    ["stays about the same", "falls by about a factor 8", "rises"],
    answer="falls by about a factor 8",
    explanation="Both sets come from the same distribution, so the whole FID is estimation "
    "bias: the sample means and covariances differ from the true ones by O(1/√n), and FID "
    "squares those differences, a bias of order 1/n. Eight times the images, an eighth of the "
    "FID.",
)

# %%
sizes, repeats = (100, 200, 400, 800), 8
g = torch.Generator().manual_seed(0)
fid_by_n = {n: [] for n in sizes}
for n in sizes:
    for _ in range(repeats):
        perm = torch.randperm(len(feats), generator=g)
        fid_by_n[n].append(float(fid(feats[perm[:n]], feats[perm[n : 2 * n]])))
mean = np.array([np.mean(fid_by_n[n]) for n in sizes])
sem = np.array([np.std(fid_by_n[n], ddof=1) / np.sqrt(repeats) for n in sizes])
print("n:", sizes, "\nFID (data vs data), mean over", repeats, "splits:", mean.round(3), "+-", sem.round(3))
print(f"the ratio FID(100) / FID(800) is {mean[0] / mean[-1]:.1f}")
# a bias ~ c / n: going from n = 100 to 800 divides it by 8; allow the ratio 4 to 16
# each doubling of n lowers the mean FID by more than 3 standard errors of the difference
assert all(mean[i] - mean[i + 1] > 3 * np.hypot(sem[i], sem[i + 1]) for i in range(len(sizes) - 1))
assert 4 < mean[0] / mean[-1] < 16

fig, ax = plt.subplots(figsize=(6, 3.0))
ax.errorbar(sizes, mean, yerr=2 * sem, marker="o", color=palette.BLUE, capsize=3, label="data vs data (mean, 2 s.e.)")
ax.plot(sizes, mean[0] * sizes[0] / np.array(sizes), color="0.4", ls="--", label="c / n")
ax.set(xscale="log", yscale="log", xlabel="images per set n", ylabel="FID (squared feature units)",
       title="FID of the data against itself falls like 1/n")
ax.legend(fontsize=8)
show_figure(fig, "FID between two halves of the digits against the number of images n, on log "
                 "axes: the points fall along a dashed line proportional to 1/n.")

# %% [markdown]
# *Figure above: the FID between two halves of the digits (mean over 8 splits, bars of 2
# standard errors) against the number of images per set $n$, on log-log axes: the points fall
# along the dashed line proportional to $1/n$.*
#
# So compare FIDs only at one $n$, and next to the data-vs-data floor at that $n$.
#
# **Precision and recall** (Kynkäänniemi et al. 2019) separate two failures that FID mixes.
# Around each real feature vector draw a ball reaching its $k$-th nearest real neighbour
# ($k = 3$): their union is the *real manifold*; likewise the *fake manifold*. Precision is the
# share of fakes inside the real manifold (are samples realistic?), recall the share of reals
# inside the fake manifold (is all of the data covered?).
#
# Three stand-in "generators", 360 images each, against 360 real held-out digits: real digits
# from the other half (the ideal), only the digits 0 and 1 (mode collapse), and blurred
# digits (every pixel averaged with its neighbours: off the data manifold).
#
# %%
predict(
    "For the collapsed generator (only 0s and 1s), which number drops?",
    ["precision", "recall", "both"],
    answer="recall",
    explanation="Every fake is a real 0 or 1, so it lies inside the real manifold: precision "
    "stays. But the real 2s to 9s have no fake near them: recall falls.",
)

# %%
g = torch.Generator().manual_seed(1)
perm = torch.randperm(len(feats), generator=g)
real_idx, other_idx = perm[:360], perm[360:]
images = all_digits.images
kernel = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]).div(16).view(1, 1, 3, 3)
blurred = torch.nn.functional.conv2d(images[other_idx[:360]], kernel, padding=1)
collapsed_idx = other_idx[labels[other_idx] <= 1][:360]
candidates = {
    "real digits (other half)": clf.model.features(images[other_idx[:360]]),
    "collapsed: only 0s and 1s": clf.model.features(images[collapsed_idx]),
    "blurred digits": clf.model.features(blurred),
}
real_feats = feats[real_idx]
rows = ["| generator | n | FID | precision | recall |", "|---|---:|---:|---:|---:|"]
scores = {}
for name, f in candidates.items():
    f = f.double()
    pr = precision_recall(real_feats, f, k=3)
    scores[name] = (float(fid(real_feats, f)), float(pr.precision), float(pr.recall))
    rows.append(f"| {name} | {len(f)} | {scores[name][0]:.2f} | {scores[name][1]:.2f} | {scores[name][2]:.2f} |")
display(Markdown("\n".join(rows)))
ideal, col, blur = (scores[k] for k in candidates)
# a binomial share of 360 has a standard error <= 0.5 / sqrt(360) = 0.026: margins of 4 s.e.
assert col[1] > ideal[1] - 0.1 and col[2] < ideal[2] - 0.3  # collapse: precision kept, recall lost
assert blur[1] < ideal[1] - 0.1  # blur: precision lost
assert ideal[0] < min(col[0], blur[0])  # and FID ranks the ideal first

# %% [markdown]
# The collapsed generator covers only two of ten classes, so most real digits have no fake
# near them (recall falls) while every fake is a real digit (precision stays). Blurred
# digits are no digits the classifier has seen: precision falls. FID ranks both below the
# ideal but cannot say why. Report all three.

# %% [markdown]
# ### The course's generators on one table
#
# Now the generators of this course's digit lectures, each trained again here at its
# lecture's budget (a few seconds each): the VAE of lectures 03-04 (2-D latent, 100 epochs;
# its samples are decoded means), the conditional VAE of lecture 04 (40 epochs; asked for the
# classes 0 to 9 in turn) and the DCGAN of lecture 08 (400 steps; samples of the moving
# average of $G$). `genlab.gan.compare_digit_generators` draws $n = 360$ samples of each and
# scores them against the 360 held-out digits, which neither the generators nor the
# classifier saw in training. Every row has the same $n$, and the first row is the floor at
# that $n$: 360 training digits.

# %%
predict(
    "Which of the three generators has the highest recall, the largest share of held-out "
    "digits with a generated sample nearby?",
    ["the VAE", "the conditional VAE", "the DCGAN"],
    answer="the DCGAN",
    explanation="The DCGAN's samples are as varied as the data (recall close to the data's "
    "own), but many of them are malformed: it has the lowest precision. The VAE is the "
    "opposite: its decoded means from a 2-D latent are smooth, typical digits, realistic to "
    "the classifier, but few held-out digits have one of them nearby.",
)

# %%
table = compare_digit_generators(clf, n=360, seed=0, progress=True)
rows = ["| samples | training | n | FID | precision | recall |", "|---|---|---:|---:|---:|---:|"]
for s in table.scores:
    rows.append(f"| {s.name} | {s.training or '(the floor)'} | {s.n} | {s.fid:.2f} | {s.precision:.2f} | {s.recall:.2f} |")
display(Markdown("\n".join(rows)))
floor, vae, cvae, dcgan = table.scores
# precision and recall are shares of 360: a difference of two has a standard error of at
# most sqrt(2 * 0.25 / 360) = 0.037, so a margin of 3 of them is 0.11
margin = 3 * np.sqrt(2 * 0.25 / 360)
assert vae.recall < min(cvae.recall, dcgan.recall) - margin  # the VAE covers the least
assert dcgan.recall > cvae.recall + margin  # the DCGAN covers the most ...
assert dcgan.precision < min(vae.precision, cvae.precision) - margin  # ... and is the least precise
# FID's noise near this n: the standard deviation of the data-vs-data FID over the 8 splits
# at n = 400 above
fid_sd = np.std(fid_by_n[400], ddof=1)
print(f"data-vs-data FID at n = 400: standard deviation {fid_sd:.2f} between splits")
assert vae.fid > max(floor.fid, cvae.fid, dcgan.fid) + 3 * fid_sd  # the VAE: worst by far
assert abs(cvae.fid - dcgan.fid) < fid_sd  # the conditional VAE and the DCGAN: too close to rank

fig, axes = plt.subplots(4, 1, figsize=(9, 4.4), constrained_layout=True)
for ax, s in zip(axes, table.scores, strict=True):
    ax.imshow(genlab.plots.grid(table.samples[s.name][:12], nrow=12), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(f"{s.name}: precision {s.precision:.2f}, recall {s.recall:.2f}", fontsize=9)
fig.suptitle("Blurred means (the VAEs), varied but sloppy strokes (the DCGAN)")
show_figure(fig, "Four rows of twelve 8x8 digit images: training digits; the VAE's samples, "
                 "smooth, blurred digits; the conditional VAE's, one of each class in turn, also "
                 "smooth; the DCGAN's, sharper varied strokes, some of them malformed.")

# %% [markdown]
# *Figure above: four rows of twelve 8x8 digits, one row per line of the table: training
# digits; the VAE's samples, smooth, blurred digits; the conditional VAE's, one of each class
# in turn (0 to 9, then 0 and 1), also smooth; the DCGAN's, sharper and varied strokes, some
# of them malformed.*
#
# The three generators fail in different ways, and only precision and recall say how (the
# differences asserted above are beyond 3 standard errors; the rest is this run, seed 0):
#
# - **the VAE** has about the data's precision but almost no recall. Its samples are decoded
#   *means* of a 2-D latent: smooth, typical digits that the classifier finds realistic, but
#   most held-out digits have none of them nearby in the classifier's features: a 2-D sheet
#   of means does not reach the variety of real handwriting. Its FID is the worst by far.
# - **the conditional VAE** has the highest precision and about half the data's recall: asked
#   for every class in turn, it cannot leave a class out, but within a class its decoded
#   means are alike too.
# - **the DCGAN** has the highest recall, near the data's own, and the lowest precision: its
#   samples are as varied as the data, but many of them are malformed (lecture 08 found just
#   over half of them recognisable at this budget).
#
# FID puts the conditional VAE and the DCGAN side by side (1.11 and 1.07 here; 1.21 and 1.25
# with seed 1): their difference is well below FID's own noise at this $n$ (the standard
# deviation printed above), and both lie within three of those of the floor. One number for
# a precise but narrow generator and a varied but sloppy one; precision and recall tell them
# apart. Even
# the floor is not 1: a $k$-NN ball around each of 360 real digits does not reach every
# other real digit. Longer training changes the numbers (lecture 08: the DCGAN at 1,500
# steps); compare generators at one budget, one $n$ and one feature extractor.
#
# One last number, the cost: FID of 2,000 against 2,000 feature vectors (the digits and
# their blurred copies, 128 features):

# %%
f2000 = torch.cat([feats, clf.model.features(torch.nn.functional.conv2d(images, kernel, padding=1)).double()])[:4000]
started = time.perf_counter()
value = fid(f2000[:2000], f2000[2000:])
print(f"FID of 2,000 vs 2,000 in {1000 * (time.perf_counter() - started):.0f} ms ({float(value):.2f}); "
      f"the whole lecture so far: {time.perf_counter() - LECTURE_START:.0f} s")

# %% [markdown]
# ## Check your understanding
#
# Answer in a few sentences each; `solutions/09_wasserstein_gans_convergence_and_evaluation`
# has reference answers.
#
# 1. Two point masses $\delta_0$ and $\delta_\theta$ with $\theta \ne 0$: what are their JSD
#    and $W_1$, and what does each give the generator to learn from as $\theta$ moves?
# 2. Why does weight clipping limit what a critic can represent, and how does the gradient
#    penalty avoid that?
# 3. In the Dirac-GAN, alternating steps orbit and simultaneous steps spiral out. What do R1
#    and instance noise change in the Jacobian at the equilibrium, and why does that make the
#    iterates converge?
# 4. Why must two FIDs be computed with the same number of samples to be compared? What does
#    the data-vs-data FID tell you?
# 5. A generator has precision 0.95 and recall 0.30; another has precision 0.50 and recall
#    0.85. Describe their samples, and why one FID number could not tell you this.
#
# The exercise sheet (`exercises/09_wasserstein_gans_convergence_and_evaluation`) has you
# write $W_1$, the gradient penalty, the Fréchet distance and the Dirac-GAN's eigenvalues,
# and repair a WGAN-GP critic loop with two planted bugs.
#
# ## References
# - Arjovsky, Chintala & Bottou (2017), *Wasserstein GAN*, ICML.
# - Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville (2017), *Improved Training of Wasserstein GANs*, NeurIPS.
# - Miyato, Kataoka, Koyama & Yoshida (2018), *Spectral Normalization for Generative Adversarial Networks*, ICLR.
# - Mao, Li, Xie, Lau, Wang & Smolley (2017), *Least Squares Generative Adversarial Networks*, ICCV.
# - Mescheder, Geiger & Nowozin (2018), *Which Training Methods for GANs do actually Converge?*, ICML.
# - Villani (2009), *Optimal Transport, Old and New*, Springer, Thm. 5.10 and Remark 6.5.
# - Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter (2017), *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium*, NeurIPS.
# - Chong & Forsyth (2020), *Effectively Unbiased FID and Inception Score and Where to Find Them*, CVPR.
# - Kynkäänniemi, Karras, Laine, Lehtinen & Aila (2019), *Improved Precision and Recall Metric for Assessing Generative Models*, NeurIPS.
