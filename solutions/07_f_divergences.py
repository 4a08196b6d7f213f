# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 07: f-divergences
#
# The GAN's Jensen-Shannon divergence is one member of a family: for a convex $f$ with
# $f(1) = 0$,
#
# $$D_f(P\,\|\,Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx \;\ge\;
# \sup_T\; \mathbb E_{x\sim P}[T(x)] - \mathbb E_{x\sim Q}[f^*(T(x))],
# \qquad f^*(t) = \sup_{u > 0}\,\{t u - f(u)\},$$
#
# and the f-GAN (Nowozin et al. 2016) trains a critic $T$ to attain the bound and a generator
# to lower it. The slide "The GAN Zoo" prints the table of $f$ and $f^*$; some of its cells are
# wrong. Here you compute a conjugate where the printed one fails, the divergence of
# distributions on $K$ points, the f-GAN losses of one row, and the lower bound.
#
# **Goals.** After these exercises you can
# - derive a convex conjugate over the domain of $f$, and say where the printed table is wrong;
# - compute $D_f(P\|Q)$ for any generator $f$, with the arguments the right way round;
# - write the f-GAN losses with the row's output activation;
# - evaluate the variational bound and see it become tight at $T = f'(p/q)$;
# - choose the divergence that makes a Gaussian cover both modes of the data, and train it.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. Distributions on $K$ points are tensors
# `(..., K)` of positive probabilities summing to 1 over the last dimension. The written
# questions at the end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex07_pearson_conjugate")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | derivation | 3 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | transcription | 1 |
# | 5 | experiment | 3 |
# | check your understanding | written, graded by hand | 8 |
# | **total** | | **17** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex07_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_pearson_conjugate_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The conjugate of Pearson $\chi^2$, over $u > 0$ (3 points, derivation)
#
# The Pearson $\chi^2$ row has $f(u) = (u - 1)^2$ and the table prints
# $f^*(t) = \frac14 t^2 + t$. That is the supremum of $t u - (u-1)^2$ over *all real* $u$,
# reached at $u = 1 + t/2$. But $f$ is defined for $u > 0$ only (a ratio of densities), and
# for $t < -2$ that maximiser is negative.
#
# Work out $f^*(t) = \sup_{u > 0}\{t u - (u - 1)^2\}$ for every real $t$, and write
# `pearson_conjugate(t)`, elementwise on a tensor of any shape. Keep it differentiable in `t`.


# %% nbgrader={"grade": false, "grade_id": "ex07_pearson_conjugate_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pearson_conjugate(t):
    """f*(t) = sup_{u > 0} (t u - (u - 1)^2), elementwise."""
    ### BEGIN SOLUTION
    # u = 1 + t/2 > 0 for t > -2: t^2/4 + t; below, the sup is approached as u -> 0: -1
    s = t.clamp_min(-2.0)
    return 0.25 * s**2 + s
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_pearson_conjugate", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex07_pearson_conjugate", pearson_conjugate)
### BEGIN HIDDEN TESTS
check("ex07_pearson_conjugate", pearson_conjugate, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The supremum by brute force on a fine grid of $u > 0$ agrees with your function, not with the
# printed formula, below $t = -2$ (there it is approached as $u \to 0$, so the grid's smallest
# $u$ comes close to $-1$ from below):

# %%
u = torch.linspace(0.0, 10.0, 200_001)[1:]  # u > 0, in steps of 5e-5
for t in (-5.0, -3.0, -2.0, 0.0, 1.5):
    brute = (t * u - (u - 1) ** 2).max().item()
    printed = 0.25 * t**2 + t
    print(
        f"t = {t:+.1f}: sup over u > 0 {brute:+.4f}, yours {pearson_conjugate(torch.tensor(t)).item():+.4f}, "
        f"printed {printed:+.4f}"
    )

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_f_divergence_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The f-divergence of two distributions on $K$ points (1 point, transcription)
#
# $$D_f(P\,\|\,Q) = \sum_{k=1}^K q_k\, f\!\left(\frac{p_k}{q_k}\right).$$
#
# Write `f_divergence(f, p, q)`: `f` is a function applied elementwise to a tensor (the
# generator, for example `lambda u: u * torch.log(u)` for KL), `p` and `q` are `(..., K)`, and
# the result is `(...)`. The checks try the generators of several rows of the table.


# %% nbgrader={"grade": false, "grade_id": "ex07_f_divergence_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def f_divergence(f, p, q):
    """D_f(P || Q) = sum_k q_k f(p_k / q_k): (..., K) -> (...)."""
    ### BEGIN SOLUTION
    return (q * f(p / q)).sum(-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_f_divergence", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex07_f_divergence", f_divergence)
### BEGIN HIDDEN TESTS
check("ex07_f_divergence", f_divergence, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Rows of the table on one pair. KL and reverse KL are each other with $P$ and $Q$ swapped;
# Pearson's integrand is $(p - q)^2 / q$ (the slide prints $(q - p)^2/p$, which is Neyman's);
# the GAN row gives $2\,\mathrm{JSD} - \log 4$, which is $-\log 4$, not 0, at $P = Q$.

# %%
p = torch.tensor([0.1, 0.2, 0.3, 0.4])
q = torch.tensor([0.25, 0.25, 0.25, 0.25])
rows = {
    "KL": lambda u: u * torch.log(u),
    "reverse KL": lambda u: -torch.log(u),
    "Pearson": lambda u: (u - 1) ** 2,
    "Neyman": lambda u: (1 - u) ** 2 / u,
    "GAN": lambda u: u * torch.log(u) - (u + 1) * torch.log(u + 1),
}
for name, f in rows.items():
    print(
        f"{name:>10}: D_f(P||Q) = {f_divergence(f, p, q).item():+.4f}, "
        f"D_f(Q||P) = {f_divergence(f, q, p).item():+.4f}, D_f(P||P) = {f_divergence(f, p, p).item():+.4f}"
    )
print(
    f"Pearson as sum (p - q)^2 / q: {((p - q) ** 2 / q).sum().item():.4f}; "
    f"as printed, sum (q - p)^2 / p: {((q - p) ** 2 / p).sum().item():.4f}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_fgan_losses_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The f-GAN losses of the reverse-KL row (1 point, transcription)
#
# The critic network outputs an unconstrained $V(x) \in \mathbb R$; the output activation $g_f$
# maps it into the domain of $f^*$, $T = g_f(V)$, and the f-GAN objective (Nowozin et al.,
# eq. 6) is
#
# $$F = \mathbb E_{x\sim P}\big[g_f(V(x))\big] - \mathbb E_{x\sim Q}\big[f^*(g_f(V(x)))\big].$$
#
# The critic maximises $F$; the generator (whose samples are $Q$) minimises it, and only the
# second term depends on it. For reverse KL, $f(u) = -\log u$, $f^*(t) = -1 - \log(-t)$ on
# $t < 0$, and $g_f(v) = -e^{-v}$.
#
# Write `reverse_kl_fgan_losses(real_v, fake_v)`: the critic's outputs on a batch of data
# `(B,)` and on a batch of generated samples `(B',)`, returning the 0-d tensors
# `(d_loss, g_loss)` = $\big(-F,\; -\mathbb E_Q[f^*(g_f(V))]\big)$, each expectation a mean over
# its batch. (Simplify $f^*(g_f(v))$ by hand.)


# %% nbgrader={"grade": false, "grade_id": "ex07_fgan_losses_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reverse_kl_fgan_losses(real_v, fake_v):
    """(critic loss -F, generator loss -E_Q[f*(g_f(V))]) for the reverse-KL row."""
    ### BEGIN SOLUTION
    t_real = -torch.exp(-real_v)  # g_f(v) = -exp(-v) < 0
    conj_fake = fake_v - 1  # f*(g_f(v)) = -1 - log(exp(-v)) = v - 1
    d_loss = -(t_real.mean() - conj_fake.mean())
    g_loss = -conj_fake.mean()
    return d_loss, g_loss
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_fgan_losses", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex07_fgan_losses", reverse_kl_fgan_losses)
### BEGIN HIDDEN TESTS
check("ex07_fgan_losses", reverse_kl_fgan_losses, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The critic's best response is $T^*(x) = f'(p(x)/q(x)) = -q(x)/p(x)$, that is
# $V^* = \log(p/q)$, and then $-$`d_loss` is the reverse KL itself. On $K$ points, with the
# critic's value at every point weighted by its probability instead of a batch mean:

# %%
v_star = torch.log(p / q)
F_star = (p * -torch.exp(-v_star)).sum() - (q * (v_star - 1)).sum()
print(
    f"F at the optimal critic: {F_star.item():.6f}; "
    f"reverse KL: {f_divergence(lambda u: -torch.log(u), p, q).item():.6f}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_kl_bound_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The variational lower bound of KL (1 point, transcription)
#
# For KL, $f(u) = u\log u$ and $f^*(t) = e^{t - 1}$ on all of $\mathbb R$. For distributions on
# $K$ points and a critic's values $T_k$ at those points, the bound is
#
# $$\mathbb E_P[T] - \mathbb E_Q[f^*(T)] = \sum_k p_k T_k - \sum_k q_k\, e^{T_k - 1}
# \;\le\; \mathrm{KL}(P\,\|\,Q).$$
#
# Write `kl_lower_bound(p, q, T)`, all `(..., K)`, returning `(...)`.


# %% nbgrader={"grade": false, "grade_id": "ex07_kl_bound_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_lower_bound(p, q, T):
    """E_P[T] - E_Q[exp(T - 1)] for distributions on K points: (..., K) -> (...)."""
    ### BEGIN SOLUTION
    return (p * T).sum(-1) - (q * torch.exp(T - 1)).sum(-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_kl_bound", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex07_kl_bound", kl_lower_bound)
### BEGIN HIDDEN TESTS
check("ex07_kl_bound", kl_lower_bound, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Maximise the bound over $T$ by gradient ascent, from $T = 0$: it climbs to the KL, and the
# critic it finds is $f'(p/q) = 1 + \log(p/q)$. This is what the f-GAN's critic does, with a
# network in place of the free values $T_k$ and samples in place of the sums.

# %%
T = torch.zeros(4, requires_grad=True)
for step in range(301):
    bound = kl_lower_bound(p, q, T)
    if step % 100 == 0:
        print(f"step {step:3d}: bound {bound.item():.6f}")
    (grad,) = torch.autograd.grad(bound, T)
    with torch.no_grad():
        T += 2.0 * grad
kl = f_divergence(lambda u: u * torch.log(u), p, q)
print(f"KL(P || Q) = {kl.item():.6f}")
print("T found     :", T.detach().numpy().round(4))
print("1 + log(p/q):", (1 + torch.log(p / q)).numpy().round(4))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_cover_both_modes_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. A Gaussian that covers both modes: an experiment (3 points, experiment)
#
# Lecture 07 fitted one Gaussian $G(z) = \mu + \sigma z$ to the bimodal data (modes at $-2$
# and $+2$, each of standard deviation 0.5) by the f-GAN game of one row of the table:
# `genlab.gan.fit_gaussian_fgan(divergence, steps, start_loc, start_scale, seed, lr=..., lr_d=...)`
# starts the generator at $\mathcal N(\text{start\_loc}, \text{start\_scale}^2)$ and returns
# the fitted `.loc` and `.scale`. A Gaussian cannot equal the data: the divergence decides
# which Gaussian is best. The budget: at most 400 steps, learning rates up to 0.1.
#
# **Experiment**: choose the row and the schedule so that the fitted Gaussian *covers both
# modes*: $|\mu| \le 0.5$ and $1.5 \le \sigma \le 3$ (the data's own standard deviation is
# $\sqrt{4.25} \approx 2.06$). Return them from `choose_fgan(start_loc, start_scale)` as a
# tuple `(divergence, steps, lr, lr_d)`: the row's name (one of
# `genlab.divergences.F_DIVERGENCES`), the number of generator steps, and the generator's and
# the critic's learning rates. The check below fits once, on one seed you have not seen, from
# one start; at grading, the grader fits with your settings on 4 more seeds, from a start you
# have not seen ($0.3 \le |\text{start\_loc}| \le 1$, $0.3 \le \text{start\_scale} \le 0.7$),
# in its own process: at least 3 of the 4 fits must cover both modes. A fit takes a few
# seconds.

# %% nbgrader={"grade": false, "grade_id": "ex07_cover_both_modes_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.device import one_thread
from genlab.gan import fit_gaussian_fgan

with one_thread():  # a small model: threads only add overhead
    fit = fit_gaussian_fgan("reverse_kl", steps=100, start_loc=0.6, start_scale=0.5, seed=0, lr=0.03, lr_d=0.01)
print(f"reverse KL, 100 steps: mu = {fit.loc:+.2f}, sigma = {fit.scale:.2f}")


# %% nbgrader={"grade": false, "grade_id": "ex07_cover_both_modes_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_fgan(start_loc, start_scale):
    """(divergence, steps, lr, lr_d) with which the fitted Gaussian covers both modes."""
    ### BEGIN SOLUTION
    # Pearson chi^2 weighs (p - q)^2 by 1/q: a Gaussian that leaves a mode uncovered pays
    # dearly, so the best one spreads over both (mode covering, like KL(P||Q), whose f-GAN is
    # less stable). sigma must grow from about 0.5 to 2 in 300 steps: lr 0.03 lets it, and the
    # critic learns at a third of that rate.
    return ("pearson", 300, 0.03, 0.01)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex07_cover_both_modes", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex07_cover_both_modes", choose_fgan)
### BEGIN HIDDEN TESTS
check("ex07_cover_both_modes", choose_fgan, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the first four questions at the end of lecture 07. Answer each in the cell below
# it, in a few sentences.
#
# **1.** Why does the f-GAN critic need an output activation $g_f$, and what goes wrong
# without one for the reverse-KL row?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The bound uses $f^*(T)$, and $f^*$ is finite only on its domain; a network's raw output can
# be any real number. $g_f$ maps $\mathbb R$ into $\mathrm{dom}\, f^*$, so every critic value
# gives a finite objective. For reverse KL, $f^*(t) = -1 - \log(-t)$ needs $t < 0$: a raw
# output $V > 0$ gives the log of a negative number (NaN), and $V \to 0^-$ gives $+\infty$.
# With $g_f(v) = -e^{-v}$ every $v$ is allowed and $f^*(g_f(v)) = v - 1$.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** The slide prints the Pearson $\chi^2$ divergence as $\int (q - p)^2/p\,dx$ next to
# $f(u) = (u - 1)^2$. How can you tell, with a short computation, that the two columns do not
# belong together?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Substitute $f$ into the definition: $q\,f(p/q) = q\,(p/q - 1)^2 = (p - q)^2/q$, so
# $D_f = \int (p - q)^2/q\,dx$, not $\int (q-p)^2/p\,dx$ (that one belongs to Neyman's
# $f(u) = (1 - u)^2/u$: the two rows' integrands are swapped). Numerically, for any pair of
# distributions with $p \ne q$ the two sums differ, as the check after question 2 shows.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** You fit a single Gaussian $Q$ to a data distribution $P$ with two well-separated modes,
# once by minimising $\mathrm{KL}(P\|Q)$ and once by minimising $\mathrm{KL}(Q\|P)$. Which fit
# covers both modes, and which picks one? Why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# $\mathrm{KL}(P\|Q) = \mathbb E_P[\log p/q]$ becomes very large wherever $P$ has mass and
# $Q$ has almost none, so its minimiser spreads $Q$ over both modes (mass-covering, with much
# of $Q$ between them). $\mathrm{KL}(Q\|P) = \mathbb E_Q[\log q/p]$ penalises $Q$ for putting mass
# where $P$ has none, so it sits on one mode (mode-seeking). Maximum likelihood is the first.
# The Jensen-Shannon divergence of the original GAN is *not* like reverse KL here: for the
# lecture's two modes at $\pm 2$ (width 0.5), the JSD-optimal single Gaussian covers both,
# $\mu = 0$, $\sigma \approx 2.04$ (JSD 0.2010), and sitting on one mode is only a local minimum
# (0.2157). So the mode dropping of real GANs cannot be blamed on the JSD alone (question 8).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** Why does adding $c\,(u - 1)$ to $f$ leave $D_f$ unchanged? Use it to explain why the
# GAN row, with $f(1) = -\log 4$, measures the same thing as the Jensen-Shannon row.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# $\int q\, c\,(p/q - 1)\,dx = c\left(\int p\,dx - \int q\,dx\right) = c\,(1 - 1) = 0$ for any
# two distributions, so the term adds nothing (it only changes $f'$, hence the optimal critic
# $T^* = f'(p/q)$ by a constant). Likewise adding a constant $k$ to $f$ adds $k$ to $D_f$, and
# scaling $f$ scales $D_f$. With $f_{JS}(u) = \frac12\big(u\log u - (u+1)\log\frac{u+1}{2}\big)$,
# $f_{GAN}(u) = u\log u - (u+1)\log(u+1) = 2 f_{JS}(u) - (u - 1)\log 2 - \log 4$, so
# $D_{GAN} = 2\,\mathrm{JSD} - \log 4$: an affine function of the JSD, with the same minimiser
# $P = Q$ (where it equals $-\log 4$, the game value at the optimum).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** Compute $f^*$ for $f(u) = u\log u$ by hand. Why does Pearson's printed
# $f^*(t) = \frac14t^2 + t$ not matter for f-GAN training, although it is wrong for $t < -2$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# $f^*(t) = \sup_{u>0}\{tu - u\log u\}$; the derivative $t - \log u - 1$ vanishes at
# $u = e^{t-1}$ (a maximum: the second derivative is $-1/u < 0$), so
# $f^*(t) = t\,e^{t-1} - e^{t-1}(t-1) = e^{t-1}$, defined for every real $t$. For Pearson,
# $f(u) = (u-1)^2$ on $u > 0$: the sup of $tu - (u-1)^2$ is at $u = 1 + t/2$ when that is
# positive ($t > -2$), giving $\frac14t^2 + t$; for $t \le -2$ it is approached as $u \to 0$ and
# equals $-1$. The printed form is larger there, so a critic using it gets a *looser* (still
# valid) lower bound, and only at $t < -2$. The optimal critic is $T^* = f'(p/q) = 2(p/q - 1)
# \ge -2$, so the optimum never visits that region, and the activation ($g_f(v) = v$) lets the
# critic move out of it; the maximiser of the bound is the same.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_6_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **6.** The variational bound is tight at $T^* = f'(p/q)$. What does a critic that reaches $T^*$
# know about $P$ and $Q$, and why can a real critic not reach it in general?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_6", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# $f'$ is strictly increasing for a strictly convex $f$, so $T^*$ determines the density ratio
# $p(x)/q(x) = (f')^{-1}(T^*(x))$ at every $x$: the critic is a density-ratio estimator (for the
# GAN row, $T^* = \log D^*$ and the logit of $D^*$ is $\log p - \log q$, lecture 06). A real
# critic is a network of finite size, trained for finitely many steps on finite samples: its
# family may not contain $T^*$ (which can be arbitrarily steep, or infinite where $q = 0$), the
# optimiser may not find the best member, and samples only constrain it where data fall. The
# bound it reaches is then strictly below $D_f$ (section 5.1 measures the gap closing).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_7_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **7.** Which of KL and reverse KL would you choose to train a model that must never produce
# implausible samples? Which for one that must not miss any kind of data point?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_7", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Never implausible samples: reverse KL, $\mathrm{KL}(Q\|P) = \mathbb E_Q[\log q/p]$, which is
# large wherever the model puts mass and the data have little; it prefers to drop modes rather
# than generate between them (mode seeking). Never miss a kind of data point: KL,
# $\mathrm{KL}(P\|Q) = \mathbb E_P[\log p/q]$, which is infinite if the model gives zero density
# to any region the data occupy (mode covering; it is maximum likelihood), at the price of mass
# between the modes, that is, implausible samples.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_understanding_8_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **8.** The Jensen-Shannon row prefers covering in section 6, yet GANs are known for mode
# collapse. Give two reasons from lectures 06 and 07.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex07_understanding_8", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# (1) The generator never descends the JSD itself: it follows the gradient of a finite critic
# trained for a few steps on mini-batches, whose value is a neural net distance (lecture 06,
# sections 7-8), and with the non-saturating cost the generator's objective against $D^*$ is
# $\mathrm{KL}(p_g\|p_{data}) - 2\,\mathrm{JSD}$, whose reverse-KL part is mode seeking
# (lecture 05). (2) The landscape is not convex in the generator's parameters (lecture 06,
# section 10): sitting on one mode is a local minimum of the JSD, which gradient descent can
# settle in. (3) The game alternates, and a generator that moves to the mode the current critic
# rates best can be chased from mode to mode instead of spreading (lecture 08). Also, near
# disjoint supports the JSD is flat (lecture 06, section 9) and gives no signal to spread.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex07_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Nowozin, Cseke & Tomioka (2016), *f-GAN: Training Generative Neural Samplers using Variational Divergence Minimization*, NeurIPS, Tables 1-2 and eq. (6).
# - Nguyen, Wainwright & Jordan (2010), *Estimating divergence functionals and the likelihood ratio by convex risk minimization*, IEEE Trans. Inf. Theory.
# - Minka (2005), *Divergence measures and message passing*, Microsoft Research Technical Report.
