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
# # 08 Training GANs in practice
#
# Lectures 05-07 built the game and its theory: with an optimal discriminator and unlimited
# capacity, the generator descends a divergence and the game has a unique, stable optimum. The
# slides close the GAN part with a sober sentence: "in general, training a GAN is tricky and
# unstable", and a pointer to a long list of tricks. This lecture measures that sentence. We
# watch the generator stall and collapse, count how often training fails over many seeds, test
# the best-known tricks one at a time (and say which ones are folklore), and train a DCGAN on
# handwritten digits whose samples a classifier can read.
#
# **Learning goals.** After this lecture you can
# - recognise the three classic failures, saturation, mode collapse and non-convergence, in plots and numbers;
# - judge a GAN recipe by its outcomes over many seeds instead of one lucky run;
# - say what the non-saturating cost, label smoothing, the R1 penalty, $k$ discriminator steps and Adam's $\beta_1$ do, and which of them the measurements here support;
# - train a DCGAN on digits and measure its sample quality with a classifier;
# - find your way in the "GAN Zoo" and the reading list.
#
# Three **predict** boxes ask you to commit to an answer before the cell that measures it.
#
# *Estimated time: 70 minutes of reading, predicting and running; the reading list (section 5)
# is for later (the notebook itself runs in about 45 seconds on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import math
import time
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

import genlab
import genlab.plots
from genlab import data, losses, palette
from genlab.gan import (
    OBJECTIVES,
    OUTCOMES,
    GANTrainConfig,
    GANTrainer,
    compare_objectives,
    dcgan_digit_quality,
    dcgan_digits_run,
    default_setup,
    init_gan,
    mode_coverage,
    r1_penalty,
    saturation_experiment,
)
from genlab.plots import image_grid
from genlab.widgets import gan_playground, predict

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
genlab.seed_everything(0)

# ---- Training budget ---------------------------------------------------------------------
# SCALE = 1 runs in well under a minute on a laptop CPU. Raise it (2, 3, ...) to train every
# experiment longer: on a GPU the DCGAN of section 3 profits most (SCALE = 4 is its full budget).
SCALE = 1
# The toy GANs are tiny and latency-bound: they run on the CPU, which is faster for them than a
# GPU, and which makes their seeded outcomes the same on every machine.
TOY_DEVICE = "cpu"
MANY_STEPS = 600 * SCALE  # generator steps of every many-seed run
N_RUNS = 32  # seeds per recipe

# %% [markdown]
# ## 1. Why training a GAN is tricky (slide "Training GANs")
#
# Since 2014 hundreds of papers have proposed new architectures and training methods for GANs.
# Most of them fight three failures, which the toy GANs of the previous lectures already show.
#
# ### 1.1 Saturation: the discriminator wins early
#
# Lecture 05 derived it: under the minimax cost $\mathbb E_z[\log(1 - D(G(z)))]$ the
# generator's gradient with respect to the logit is $-D(G(z))$, which vanishes when the
# discriminator confidently rejects the fakes. The experiment of lecture 05 in short: pretrain
# $D$ until it wins against the untrained 1-D generator, then train the generator from that same
# state with each cost (plain gradient steps, as on the slide).

# %%
start = time.perf_counter()
sat = saturation_experiment(steps=100 * SCALE, pretrain_d_steps=300, seed=0, device=TOY_DEVICE)
print(f"saturation experiment: {time.perf_counter() - start:.1f} s")
for kind, run in sat.items():
    print(f"{kind:>15}: D(G(z)) at the start {run.d_fake[0]:.4f}, mean |grad G| over the first 20 steps "
          f"{run.grad_norm[:20].mean():.2e}, lowest JSD {run.jsd.min():.3f} nats")
assert sat["minimax"].d_fake[0] < 0.01  # the pretrained discriminator rejects the fakes
assert sat["minimax"].grad_norm[:20].mean() < 0.01 * sat["non_saturating"].grad_norm[:20].mean()
assert sat["minimax"].jsd.min() > 0.65 > 0.5 > sat["non_saturating"].jsd.min()  # log 2 = 0.693

# %% [markdown]
# The minimax generator does not move: its JSD to the data stays near $\log 2 \approx 0.693$,
# the value for two distributions that do not overlap. The non-saturating cost
# $\mathbb E_z[-\log D(G(z))]$, same fixed point, gets a gradient hundreds of times larger.
#
# ### 1.2 Mode collapse on the ring
#
# The ring of eight Gaussians (Metz et al. 2017) is the standard test for *mode collapse*: the
# generator puts all its samples on one or a few modes instead of all eight. It happens easily
# when the generator moves faster than the discriminator can follow: the generator moves all its
# mass to wherever $D$ is currently highest, $D$ then learns to reject that place, and the mass
# jumps on. Two runs from the same initialisation, 600 steps each: a fast generator with a slow
# discriminator (learning rates $2\cdot10^{-3}$ and $2\cdot10^{-4}$), and genlab's default for
# the ring (a discriminator four times *faster* than the generator, and a light R1 penalty,
# section 2). `genlab.gan.mode_coverage` counts a mode as covered when at least a quarter of its
# share of the samples lies within $3\sigma$ of it.
#
# *Figure below: two rows of four scatter plots in the plane ($x_1$, $x_2$, no unit), at steps
# 150 to 600; green discs mark the eight modes, purple dots are generator samples. Top row (fast
# G, slow D): one small purple blob that moves around the ring. Bottom row (genlab's default):
# purple dots on all eight modes.*

# %%
ring_model, ring_config = default_setup("ring")
ring_recipes = {
    "fast G, slow D": dict(lr=2e-3, lr_d=2e-4),
    "genlab default": {},
}
checkpoints = (150, 300, 450, 600)
ring_stats = {}
fig, axes = plt.subplots(2, len(checkpoints), figsize=(12, 6.2), sharex=True, sharey=True, constrained_layout=True)
start = time.perf_counter()
for row, (name, changes) in enumerate(ring_recipes.items()):
    config = replace(ring_config, device=TOY_DEVICE, seed=0, log_every=10**6, **changes)
    trainer = GANTrainer(init_gan(ring_model, 0), "ring", config)
    ring_stats[name] = []
    for ax, step in zip(axes[row], checkpoints, strict=True):
        trainer.train(step - trainer.step_count)
        x = trainer.samples()  # (2048, 2) generator samples at a fixed z
        slices = torch.floor((torch.atan2(x[:, 1], x[:, 0]) + torch.pi) / (torch.pi / 4)).clamp(max=7)
        ring_stats[name].append({
            "coverage": float(mode_coverage(trainer.target, x[None])[0]),
            # how many of the eight 45-degree slices around the origin hold >= 1/16 of the samples
            "slices": int((torch.bincount(slices.long(), minlength=8) >= len(x) / 16).sum()),
            "centre": x.mean(0),
        })
        ax.scatter(*trainer.target.modes.T, s=80, color=palette.DATA, alpha=0.5, label="modes")
        ax.scatter(*x[:800].T, s=3, color=palette.FAKE, alpha=0.5, label="G(z)")
        ax.set(title=f"{name}, step {step}\ncoverage {ring_stats[name][-1]['coverage']:.2f}", xlim=(-3, 3), ylim=(-3, 3),
               xlabel="$x_1$", ylabel="$x_2$")
        ax.set_aspect("equal")
axes[0, 0].legend(fontsize=8, loc="lower left")
plt.show()
print(f"two ring runs: {time.perf_counter() - start:.1f} s")
for name, stats in ring_stats.items():
    print(f"{name:>15}: coverage {[s['coverage'] for s in stats]}, slices of the ring occupied {[s['slices'] for s in stats]}")
fast = ring_stats["fast G, slow D"]
jumps = [float((b["centre"] - a["centre"]).norm()) for a, b in zip(fast[:-1], fast[1:], strict=True)]
print(f"the collapsed generator's centre moves by {[round(j, 2) for j in jumps]} between checkpoints")
# One seed each: a GAN run is chaotic, and another CPU's rounding sends it down another path.
# So the checks below leave room (measured: the fast run covers 0-1 modes and occupies 1-2
# slices; the default covers all 8 modes at the end); the many-seed tables of section 1.3 are
# what to trust for rates.
assert np.mean([s["coverage"] for s in fast]) <= 0.25  # one small blob ...
assert max(jumps) > 1.0  # ... that hops around the ring
assert ring_stats["genlab default"][-1]["coverage"] >= 0.75 and ring_stats["genlab default"][-1]["slices"] >= 7

# %% [markdown]
# The fast generator's samples form one small blob (it occupies one or two of the eight slices
# of the ring) that hops around the ring from checkpoint to checkpoint, covering at most one
# mode at a time. The default recipe spreads over the whole ring and covers the modes. That is
# one seed of each (an observation, checked with room to spare); how often each happens is a
# question for many seeds, which section 1.3 asks.
#
# Try it yourself in the playground of lecture 05, here on the ring: set **lr G** to 2e-3 and
# **lr D** to 2e-4, press **Reset** and **Play**; then swap the two rates.

# %%
playground = gan_playground(2, target="ring")
playground.state.frame(steps=20)
playground

# %% [markdown]
# *Widget: the GAN playground on the ring of eight Gaussians. In the middle, the data samples
# (blue) and the generator's samples (orange) in the plane, over a grey shading of $D(x)$ with
# its colour bar; right, the eight modes as rings, filled blue when covered and orange when
# missed, with "modes covered: k of 8"; below, the two losses and the JSD against the step.
# Left, a readout (steps, JSD, $V(D, G)$, mean $D$ on real and fake samples, modes covered)
# and the controls: Play, Stop, Step, Step D ×50, Step D, Step G, Reset, R1 γ and the
# "D = D\* (optimal)" tick box; a collapsed **settings** section holds the target, the noise,
# the network widths, the objective, the learning rates **lr G** and **lr D**, and $k$.*

# %% [markdown]
# ### 1.3 Outcomes over many seeds
#
# One run proves little: the same recipe can converge with one seed and collapse with the next.
# `genlab.gan.ManySeedGANs` trains $N$ independent toy GANs at once (stacked parameters, one
# update for all) and sorts every run into one of four outcomes (`genlab.gan.classify_runs`):
# **converged** (every mode covered and the JSD to the data below 0.05 nats), **mode collapsed**
# (a mode missing while the samples sit on the others), **unconverged** (anything else: still
# diffuse, or all modes covered but the JSD still high) and **diverged** (NaN, or exploding
# samples). `compare_objectives` does this for several objectives with the same seeds and the
# same initialisations.
#
# The 1-D bimodal target of lecture 05, 32 seeds, 600 steps each, in the *plain* game of the
# slides (one Adam for each player at the same rate, no penalty) under three objectives: the
# minimax cost, the non-saturating cost, and the f-GAN of the forward KL divergence
# $\mathrm{KL}(P\|Q)$ (lecture 07).

# %%
def outcome_table(results):
    """A Markdown table of outcome counts, one row per recipe."""
    head = "| recipe | " + " | ".join(OUTCOMES) + " |\n|---|" + "---:|" * len(OUTCOMES) + "\n"
    rows = [f"| {name} | " + " | ".join(str(r.counts[o]) for o in OUTCOMES) + " |" for name, r in results.items()]
    return Markdown(head + "\n".join(rows))


def outcome_bars(ax, results, title):
    """Stacked horizontal bars: the share of runs in each outcome."""
    colors = {"converged": palette.BLUE, "mode_collapsed": palette.ORANGE, "unconverged": "#BBBBBB",
              "diverged": palette.REDDISH_PURPLE}
    names = list(results)
    left = np.zeros(len(names))
    for outcome in OUTCOMES:
        share = np.array([results[n].counts[outcome] / len(results[n].outcomes) for n in names])
        ax.barh(names, share, left=left, color=colors[outcome], label=outcome)
        left += share
    ax.set(xlim=(0, 1), xlabel="share of runs", title=title)
    ax.invert_yaxis()


plain = dict(r1=0.0, lr_d=None)  # the slides' game: no penalty, one learning rate
start = time.perf_counter()
by_objective = compare_objectives(("minimax", "non_saturating", "kl"), n_runs=N_RUNS, dataset="mixture1d",
                                  steps=MANY_STEPS, device=TOY_DEVICE, log_every=MANY_STEPS, progress=True, **plain)
print(f"{3 * N_RUNS} runs of {MANY_STEPS} steps in {time.perf_counter() - start:.1f} s")
display(outcome_table(by_objective))
fig, ax = plt.subplots(figsize=(7, 2.2))
outcome_bars(ax, by_objective, f"the plain game, {N_RUNS} seeds each")
ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.35))
plt.show()


def failed(result):
    return result.counts["mode_collapsed"] + result.counts["diverged"]


def difference(a: int, b: int, n: int = N_RUNS) -> tuple[int, float]:
    """a - b for two counts out of n runs, and its standard error: each count is binomial, with
    variance n p (1 - p) at its observed share p."""
    return a - b, math.sqrt(a * (1 - a / n) + b * (1 - b / n))


d, se = difference(failed(by_objective["kl"]), failed(by_objective["non_saturating"]))
print(f"failed runs, kl minus non_saturating: {d:+d} ± {se:.1f} (one standard error)")
assert d > 2 * se  # forward KL fails more often, beyond two standard errors (about 3 in our run)
assert failed(by_objective["kl"]) == max(failed(r) for r in by_objective.values())  # ... the most often
assert by_objective["kl"].counts["diverged"] >= 1  # ... and some of its runs diverge
d_close, se_close = difference(failed(by_objective["minimax"]), failed(by_objective["non_saturating"]))
print(f"failed runs, minimax minus non_saturating: {d_close:+d} ± {se_close:.1f}")
assert abs(d_close) < 2 * se_close  # the two GAN costs end up close: within two standard errors

# %% [markdown]
# *Figure above: one horizontal bar per objective, split into the share of the 32 runs (x axis,
# 0 to 1) that converged (blue), collapsed onto one mode (orange), stayed unconverged (grey) or
# diverged (purple).*
#
# Three observations. In the plain game few runs converge within this budget under any
# objective, and many collapse onto one of the two modes. The minimax and the non-saturating
# costs end up close: Adam rescales the generator's gradient, which hides most of the saturation
# of section 1.1 (that experiment used plain gradient steps on purpose). The forward-KL f-GAN,
# whose generator cost grows exponentially with the critic's output ($f^*(t) = e^{t-1}$,
# lecture 07), fails most often, and some of its runs diverge.
#
# ## 2. Tricks, and what they are worth
#
# The slides point to Soumith Chintala's tutorial "How to train a GAN" (ICCV 2017; the list is
# also on GitHub as `soumith/ganhacks`). Many of its tricks were found by trial and error on one
# architecture and one data set, and some have not been confirmed since. We take five and check
# each: first that genlab computes what the trick says, then, where it is cheap, what it does to
# the outcomes above.
#
# **The non-saturating cost** (Goodfellow et al. 2014): sections 1.1 and 1.3. It removes the
# early stall when the generator takes plain gradient steps; with Adam its advantage over the
# minimax cost is small here. genlab uses it by default.
#
# ### 2.1 One-sided label smoothing
#
# Salimans et al. (2016) train the discriminator towards the target $a = 0.9$ instead of 1 on
# real samples (`genlab.losses.smoothed_discriminator_loss`). Minimising the cross-entropy
# pointwise, the optimal discriminator becomes
#
# $$D^*_a(x) = \frac{a\, p_{data}(x)}{p_{data}(x) + p_g(x)},$$
#
# so the discriminator can never be more than $a$ sure that a sample is real.
#
# (Predict first, below: where the generator is already right, $p_g = p_{data}$, what does $D^*_a$
# output?) Check it with a
# discriminator that is a free table of logits on four points, with data and generator
# distributions $p = (5, 3, 1, 1)/10$ and $q = (1, 2, 3, 4)/10$: batches that repeat each point
# in proportion to its probability make the batch means the expectations, and L-BFGS finds the
# minimiser.

# %%
predict(
    "With one-sided smoothing a = 0.9, what does the optimal discriminator output at a point "
    "where p_g = p_data?",
    answer=0.45,
    tolerance=0.01,
    explanation="D*_a = a p_data / (p_data + p_g) = 0.9 / 2 = 0.45, not 1/2: smoothing also "
    "moves the stationary point's discriminator, which is why only the real side is smoothed "
    "(the generator still sees a D* that depends on p_data / p_g).",
)

# %%
p_counts, q_counts = torch.tensor([5, 3, 1, 1]), torch.tensor([1, 2, 3, 4])
real_points = torch.repeat_interleave(torch.arange(4), p_counts)  # each point as often as p says
fake_points = torch.repeat_interleave(torch.arange(4), q_counts)


def best_table_discriminator(a):
    """D = sigmoid(logit table) minimising the smoothed J_D on the four points, by L-BFGS."""
    table = torch.zeros(4, dtype=torch.float64, requires_grad=True)  # D's logit at each point
    optimizer = torch.optim.LBFGS([table], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = losses.smoothed_discriminator_loss(table[real_points], table[fake_points], real_label=a)
        loss.backward()
        return loss

    optimizer.step(closure)
    return torch.sigmoid(table).detach()


for a in (1.0, 0.9, 0.7):
    d_best = best_table_discriminator(a)
    d_star = a * p_counts / (p_counts + q_counts)
    print(f"a = {a}: argmin D = {d_best.numpy().round(4)}, a p / (p + q) = {d_star.numpy().round(4)}")
    torch.testing.assert_close(d_best, d_star.double(), atol=1e-5, rtol=0)

# %% [markdown]
# That is all the trick provably does: it caps $D$ at $a$. The discriminator is never certain
# that a sample is real, so its best logit stays below $\log\frac{a}{1-a} \approx 2.2$ (at
# $a = 0.9$) instead of growing without bound where fakes are rare. Smoothing only the *real* side
# matters: a fake target $b > 0$ would put $b\,p_g$ in the numerator and reward fakes where there
# is no data. Whether the cap improves training is an empirical claim of the paper (for its image
# models); genlab's trainer does not use it, and we make no claim about it here.
#
# ### 2.2 The R1 gradient penalty
#
# Mescheder et al. (2018) add $\frac{\gamma}{2}\mathbb E_{p_{data}}\|\nabla_x \ell(x)\|^2$ to
# the discriminator's cost: $D$ must be flat on the real data. At the equilibrium $p_g = p_{data}$
# the best discriminator is constant, so the penalty costs nothing there, but it damps the
# rotation of the two players around the equilibrium, and the authors prove local convergence
# for the regularised game. `genlab.gan.r1_penalty` returns $\frac12\|\nabla_x\ell\|^2$ per
# sample. For a quadratic logit $\ell(x) = x^\top A x + b^\top x$ the gradient is
# $(A + A^\top)x + b$:

# %%
g = torch.Generator().manual_seed(0)
A = torch.randn(3, 3, generator=g, dtype=torch.float64, requires_grad=True)  # the "discriminator"
b = torch.randn(3, generator=g, dtype=torch.float64)
x = torch.randn(5, 3, generator=g, dtype=torch.float64, requires_grad=True)  # real samples
logits = ((x @ A) * x).sum(1) + x @ b  # (5, 3) -> (5,)
penalty = r1_penalty(logits, x)  # (5,)
closed_form = 0.5 * (x @ (A + A.T) + b).pow(2).sum(1)  # x^T (A + A^T) = ((A + A^T) x)^T
print("R1 per sample:", penalty.detach().numpy().round(4))
torch.testing.assert_close(penalty, closed_form)
# the penalty keeps its graph, so the discriminator can descend it: same gradient w.r.t. A
(grad_penalty,) = torch.autograd.grad(penalty.sum(), A, retain_graph=True)
(grad_closed,) = torch.autograd.grad(closed_form.sum(), A)
torch.testing.assert_close(grad_penalty, grad_closed)

# %% [markdown]
# Now the measurement. The same 32 seeds in the non-saturating game, adding one change at a
# time: Adam with the default momentum $\beta_1 = 0.9$ instead of DCGAN's $0.5$; the R1 penalty
# alone ($\gamma = 30$, applied lazily on every fourth step, as genlab's default for this target);
# a discriminator four times faster than the generator alone (two time-scales, Heusel et al.
# 2017); both together, which is genlab's default recipe; and $k = 3$ discriminator steps per
# generator step (the slides' learning procedure allows any $k$; Goodfellow et al. used $k = 1$).

# %%
predict(
    "Of these six recipes over 32 seeds, which one leaves the fewest runs mode collapsed?",
    ["plain (beta1 = 0.5)", "plain, beta1 = 0.9", "+ R1 alone", "+ fast D alone",
     "+ R1 + fast D (default)", "plain, k = 3"],
    answer="+ R1 + fast D (default)",
    explanation="Neither R1 nor a faster discriminator removes collapse alone; together they "
    "do. Tricks interact, so a trick judged alone can look useless.",
)

# %%
from tqdm.auto import tqdm  # a bar: this cell trains 5 x 32 GANs

_, mixture_config = default_setup("mixture1d")
tricks = {
    "plain (beta1 = 0.5)": plain,
    "plain, beta1 = 0.9": dict(plain, betas=(0.9, 0.999)),
    "+ R1": dict(lr_d=None),
    "+ fast D": dict(r1=0.0),
    "+ R1 + fast D (default)": {},
    "plain, k = 3": dict(plain, k=3),
}
start = time.perf_counter()
by_trick = {"plain (beta1 = 0.5)": by_objective["non_saturating"]}  # the same runs as in 1.3
for name, changes in tqdm(list(tricks.items())[1:], desc="recipes", leave=False):
    by_trick[name] = compare_objectives(("non_saturating",), n_runs=N_RUNS, dataset="mixture1d", steps=MANY_STEPS,
                                        device=TOY_DEVICE, log_every=MANY_STEPS, **changes)["non_saturating"]
print(f"{(len(tricks) - 1) * N_RUNS} runs in {time.perf_counter() - start:.1f} s "
      f"(default: r1 = {mixture_config.r1:g} every {mixture_config.r1_every}, lr = {mixture_config.lr:g}, "
      f"lr_d = {mixture_config.lr_d:g})")
display(outcome_table(by_trick))
fig, ax = plt.subplots(figsize=(7, 3.2))
outcome_bars(ax, by_trick, f"non-saturating game, {N_RUNS} seeds each")
ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25))
plt.show()

count = {name: r.counts for name, r in by_trick.items()}
plain = count["plain (beta1 = 0.5)"]
# Each difference of two counts out of 32 has a standard error of 2-4 runs: a difference within
# about two of them is what another set of seeds (or another CPU's rounding) could undo. Only
# the largest difference is asserted, by its sign with a margin; the others are printed.
for name, outcome in [("plain, beta1 = 0.9", "mode_collapsed"), ("+ R1 + fast D (default)", "mode_collapsed"),
                      ("+ R1 + fast D (default)", "converged"), ("plain, k = 3", "converged"),
                      ("+ fast D", "converged")]:
    d, se = difference(count[name][outcome], plain[outcome])
    print(f"{name:>24} vs plain, {outcome:>14}: {d:+3d} ± {se:.1f}" + ("  (beyond 2.5 SE)" if abs(d) >= 2.5 * se else ""))
d, se = difference(count["+ R1 + fast D (default)"]["mode_collapsed"], plain["mode_collapsed"])
assert d < 0 and -d >= 2.5 * se  # R1 with a fast D collapses fewer runs, beyond 2.5 SE (about 4 in our run)
# the prediction's answer: the default leaves the fewest runs collapsed, (almost) none of them
assert count["+ R1 + fast D (default)"]["mode_collapsed"] == min(c["mode_collapsed"] for c in count.values())
assert count["+ R1 + fast D (default)"]["mode_collapsed"] <= 2
assert plain["mode_collapsed"] >= N_RUNS / 4  # in the plain game about a third collapse
assert count["+ R1"]["mode_collapsed"] >= 1 and count["+ fast D"]["mode_collapsed"] >= 1  # alone, each leaves some

# %% [markdown]
# *Figure above: one horizontal bar per recipe of the non-saturating game, split into the share
# of the 32 runs (x axis, 0 to 1) that converged (blue), collapsed onto one mode (orange),
# stayed unconverged (grey) or diverged (purple).*

# %% [markdown]
# What the table supports, for this toy and this budget:
#
# - **R1 with a faster discriminator** is the one difference here well beyond noise: in the plain
#   game about a third of the runs collapse; with both, (almost) none do (about four standard
#   errors in our run; at least 2.5 are asserted). **R1 alone** and **a faster discriminator alone** each leave runs collapsed: tricks
#   interact, and a trick judged alone can look useless.
#
# The rest is what this run saw, within about two standard errors, so treat it as a hint to test
# with more seeds (raise `N_RUNS`), not as a finding:
#
# - **Adam's momentum**: with $\beta_1 = 0.9$ more runs collapsed than with $0.5$.
#   Radford et al. (2016) lowered $\beta_1$ to 0.5 for DCGAN, and later GANs (StyleGAN2, BigGAN)
#   use $\beta_1 = 0$. A common explanation: momentum carries a player past a target that
#   keeps moving.
# - **R1 with a fast D** also converged more runs than the plain game.
# - **$k = 3$** converged more runs than $k = 1$ but collapsed about as many, at twice the cost
#   per generator step (predict it below). A faster learning rate for $D$ buys about as much at
#   no extra cost.
#
# Budgets, seeds and the JSD threshold shape such tables: raise `SCALE` and watch the shares
# move. A trick is worth what it does over many seeds, on your problem.

# %%
predict(
    "Counting network updates (each a forward and backward pass of a similar size), how many "
    "times the cost of k = 1 is one generator step with k = 3?",
    answer=2.0,
    tolerance=0.25,
    explanation="k = 3 makes 3 discriminator updates + 1 generator update = 4; k = 1 makes 1 + 1 "
    "= 2. Twice the cost, not three times. (Each generator update also runs D inside it; "
    "counted that way the ratio stays about 2.)",
)

# %%
updates = {}
for k in (1, 3):  # count the updates a trainer really makes in 10 generator steps
    counter = GANTrainer(init_gan("toy1d", 0), "mixture1d", GANTrainConfig(k=k, seed=0, log_every=10**6))
    counter.train(10)
    updates[k] = counter.d_steps + counter.step_count  # discriminator updates + generator updates
    print(f"k = {k}: {counter.d_steps} discriminator + {counter.step_count} generator updates")
assert updates[1] == 20 and updates[3] == 40
print(f"cost of k = 3 per generator step / cost of k = 1: {updates[3] / updates[1]:.0f}")

# %% [markdown]
#
# ## 3. Generated samples (slides "Generated Samples")
#
# The slides show faces from Karras et al. (2018), *progressive growing*: the generator and the
# discriminator start at $4\times4$ pixels and grow layer by layer up to $1024\times1024$, each
# new layer faded in smoothly, with the samples drawn from an exponential moving average of the
# generator's weights. At laptop scale, the same family: genlab's DCGAN (lecture 05's
# up-convolutional generator and recognition-CNN discriminator) on the $8\times8$ digits, with
# the recipe of `genlab.gan.DEFAULTS["digits"]`: the non-saturating cost, Adam with
# $\beta = (0, 0.99)$ at $3\cdot10^{-3}$ for both players, no penalty, and samples from a moving
# average of $G$'s weights (decay 0.99). A GAN reports no likelihood, and image scores such as
# FID need a large pretrained network (lecture 09, section 5 computes FID with small features),
# so we ask the digit classifier of lecture 04 (its held-out accuracy is printed below): a sample
# counts as recognised when the classifier gives it a label with
# probability at least 0.9. Real digits set the ceiling:

# %%
real = dcgan_digit_quality(data.digits("test").images)  # the 360 held-out digits, same classifier
print(f"real held-out digits recognised with confidence >= 0.9: {real.recognised:.1%}")
assert real.recognised > 0.85

# %% [markdown]
# Now train the DCGAN for 400 steps (`SCALE = 1`; the full budget is 1500) and judge 1,000 of its
# samples.

# %%
start = time.perf_counter()
digits_run = dcgan_digits_run(steps=min(400 * SCALE, 1500), seed=0, device=str(env.device), progress=True)
print(f"{digits_run.steps} DCGAN steps in {digits_run.seconds:.1f} s ({time.perf_counter() - start:.1f} s with the classifier)")
print(f"the classifier's accuracy on the held-out digits: {digits_run.classifier_accuracy:.1%}")
print(f"recognised with confidence >= 0.9: {digits_run.quality.recognised:.1%} of {digits_run.quality.n} samples "
      f"(the last generator itself: {digits_run.raw_quality.recognised:.1%}); recognised per digit "
      f"{digits_run.quality.label_counts}")
plt.figure(figsize=(5, 5))
plt.imshow(image_grid(digits_run.samples[:100], nrow=10).squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1)
plt.title(f"DCGAN samples after {digits_run.steps} steps: {digits_run.quality.recognised:.0%} recognised, every digit")
plt.axis("off")
plt.show()
assert digits_run.samples.shape == (1000, 1, 8, 8)
assert digits_run.quality.recognised >= (0.7 if digits_run.steps >= 1500 else 0.5)
assert sum(c > 0 for c in digits_run.quality.label_counts) == 10  # every digit, not one mode

# %% [markdown]
# At this budget (a few seconds) more than half of the samples are readable digits, and every
# digit appears (both asserted above). With `SCALE = 4` the cell runs the full budget,
# `dcgan_digits_run()`'s 1500 steps (20-25 s on one laptop core), and then asserts at least 70%.
# *Not checked when this notebook runs at `SCALE = 1`:* over seeds 0-2 the share was about 0.75
# at the full budget, and the moving average of the weights helped more there than it does at
# 400 steps, where the last generator is about as good (compare the two numbers printed above).
#
# *Figure above: a 10 × 10 grid of DCGAN samples (8x8 pixels each, white on black): most are
# readable digits of every class, some are blurred strokes.*
#
# ## 4. The GAN Zoo
#
# The GAN Zoo (github.com/hindupuravinash/the-gan-zoo) lists several hundred named GANs (the
# slide shows the first few, 3D-ED-GAN to AIM). Most change one of three things: the
# **architecture** (DCGAN, progressive growing, StyleGAN, self-attention, BigGAN), the
# **objective** (the f-GAN family of lecture 07, which the slide lists next, Wasserstein GANs,
# least squares, hinge) or the **regularisation** (gradient penalties such as R1, spectral
# normalisation). genlab holds one small corner of the zoo: besides the two GAN costs, every row
# of the slides' f-divergence table is a training objective.

# %%
print(f"{len(OBJECTIVES)} objectives: {', '.join(OBJECTIVES)}")
# Each is a working objective: two steps of the 1-D game give finite losses and a finite value.
for name in OBJECTIVES:
    trial = GANTrainer(target="mixture1d", config=GANTrainConfig(objective=name, seed=0))
    trial.train(2)
    assert np.isfinite(trial.value()), name

# %% [markdown]
# ## 5. Reading list
#
# The slides' reading material connects the two halves of the course:
#
# - **Deep Convolutional Inverse Graphics Network** (Kulkarni et al. 2015, arXiv:1503.03167):
#   lecture 04's DC-IGN, a VAE whose latent units are tied to pose and lighting by how its
#   mini-batches are built.
# - **Dual Contradistinctive Generative Autoencoder** (Parmar et al. 2021, arXiv:2011.10063): a
#   VAE with two "contradistinctive" losses, an instance-level contrastive loss that keeps each
#   reconstruction identifiable with its input, and a set-level adversarial loss that makes the
#   samples as a whole indistinguishable from data: VAE-style inference with sharper samples.
# - **Swapping Autoencoder for Deep Image Manipulation** (Park et al. 2020, arXiv:2007.00653):
#   an autoencoder that splits an image into a spatial structure code and a global texture code;
#   a discriminator makes images decoded from swapped codes look real, and a patch co-occurrence
#   discriminator makes their texture match the texture code's source.
#
# For the practice of training: Chintala's "How to train a GAN" tutorial (ICCV 2017), and Lucic
# et al. (2018), who compared many GAN variants with the same budget over many seeds and found
# none that consistently beat the non-saturating GAN of 2014: the lesson of section 1.3 at
# scale.
#
# ## Check your understanding
#
# 1. A GAN on the ring reaches a low JSD estimate but covers 6 of the 8 modes. How can both be
#    true, and why does the lab report mode coverage next to the JSD?
# 2. One-sided label smoothing caps $D^*$ at $a$. What would smoothing the fake labels to
#    $b > 0$ do to the optimal discriminator, and why is that harmful?
# 3. What does the R1 penalty ask of the discriminator, and why does that help the game converge
#    near its equilibrium?
# 4. In section 1.1 the minimax generator stalled, yet in section 1.3 the minimax and the
#    non-saturating costs ended up close. What differs between the two experiments?
# 5. Why does the lab count outcomes over 32 seeds instead of comparing one run per recipe? What
#    could go wrong with a single seed?
# 6. Neither R1 nor a faster discriminator removed collapse alone, but together they did. What
#    does that tell you about reading ablation tables in papers?
# 7. Why can a moving average of the generator's weights give better samples than the last
#    weights, although the average was never trained against the discriminator?
#
# Answers are in `solutions/08_training_gans_in_practice`.
#
# ## References
# - Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville & Bengio (2014), *Generative Adversarial Nets*, NeurIPS.
# - Radford, Metz & Chintala (2016), *Unsupervised Representation Learning with Deep Convolutional GANs*, ICLR.
# - Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen (2016), *Improved Techniques for Training GANs*, NeurIPS (label smoothing, feature matching).
# - Metz, Poole, Pfau & Sohl-Dickstein (2017), *Unrolled Generative Adversarial Networks*, ICLR (the ring of Gaussians).
# - Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter (2017), *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium*, NeurIPS.
# - Mescheder, Geiger & Nowozin (2018), *Which Training Methods for GANs do actually Converge?*, ICML (R1).
# - Karras, Aila, Laine & Lehtinen (2018), *Progressive Growing of GANs for Improved Quality, Stability, and Variation*, ICLR.
# - Lucic, Kurach, Michalski, Gelly & Bousquet (2018), *Are GANs Created Equal? A Large-Scale Study*, NeurIPS.
# - Yazıcı, Foo, Winkler, Yap, Piliouras & Chandrasekhar (2019), *The Unusual Effectiveness of Averaging in GAN Training*, ICLR.
# - Karras, Laine, Aittala, Hellsten, Lehtinen & Aila (2020), *Analyzing and Improving the Image Quality of StyleGAN*, CVPR.
# - Chintala, *How to train a GAN*, ICCV 2017 tutorial; https://github.com/soumith/ganhacks.
# - Hindupur, *The GAN Zoo*, https://github.com/hindupuravinash/the-gan-zoo.
# - Kulkarni, Whitney, Kohli & Tenenbaum (2015), *Deep Convolutional Inverse Graphics Network*, NeurIPS.
# - Parmar, Li, Lee & Tu (2021), *Dual Contradistinctive Generative Autoencoder*, CVPR.
# - Park, Zhu, Wang, Lu, Shechtman, Efros & Zhang (2020), *Swapping Autoencoder for Deep Image Manipulation*, NeurIPS.
