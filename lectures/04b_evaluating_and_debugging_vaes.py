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
# # 04b Evaluating and debugging VAEs: how good is my VAE?
#
# The slides end with "problems of VAEs". The day after the lecture, your own VAE prints a
# number and draws blurry samples, and three questions come up:
#
# - What is my model's log-likelihood? (The ELBO is only a lower bound.)
# - How far below it is my ELBO, and why?
# - Why are half of my latent dimensions unused?
#
# This lecture answers all three. It uses pieces you have already seen: the exact
# linear-Gaussian model of lecture 01, the importance weights of lecture 03 and the
# $\sigma_x^2$ question of exercise 03. On the linear-Gaussian model $\log p(x)$ is known
# exactly, so you can watch each estimate reach the true value.
#
# **Learning goals.** After this lecture you can
# - define the importance-weighted bound $\mathcal L_K$, prove $\mathcal L_1 \le \mathcal L_K \le \mathcal L_{K+1} \le \log p(x)$, and use it to report a held-out log-likelihood in nats and bits per dimension;
# - split $\log p(x) - \text{ELBO}$ into the approximation gap and the amortization gap, and measure both;
# - define rate, distortion, posterior collapse and active units, place models on the rate-distortion plane, and test two remedies (KL warm-up, free bits).
#
# *Estimated time: 70 minutes: 5 for the setup, 25 for section 1, 12 for section 2, 18 for
# section 3, 10 for the questions. The notebook runs in under a minute on a laptop CPU.*

# %% [markdown]
# ## Setup

# %%
import math
import time
from itertools import pairwise

import matplotlib.pyplot as plt
import torch
from torch.distributions import Bernoulli, Independent, Normal
from tqdm.auto import tqdm

import genlab
import genlab.plots
from genlab import data, palette
from genlab.metrics import (
    active_units,
    bits_per_dim,
    inference_gaps,
    iw_estimate,
    kl_per_dimension,
    log_likelihood,
    log_weights,
    mean_field_posterior,
    rate_distortion,
    refine_posterior,
)
from genlab.models import VAEConfig, build_vae
from genlab.plots import show_figure as show  # a figure as an image with alt text
from genlab.theory import LinearGaussianLVM
from genlab.train import TrainConfig
from genlab.vae_objectives import fit_beta_vae
from genlab.widgets import predict, rate_distortion_explorer

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
genlab.seed_everything(0)
device = env.device
SCALE = 4 if device.type == "cuda" else 1  # training budget: raise it on a GPU
F64 = torch.float64
BLUE, ORANGE, GREY = palette.BLUE, palette.ORANGE, "#666666"  # the course's Okabe-Ito colours


# %% [markdown]
# ## 1. The importance-weighted bound (20 minutes)
#
# ### What we want, and why the ELBO is not it
#
# For a latent variable model $p(x) = \int p(x\mid z)\,p(z)\,dz$, the *importance weight* of a
# draw $z \sim q(z\mid x)$ is $w = p(x, z)/q(z\mid x)$. It is an unbiased estimate of the
# likelihood: $\mathbb E_q[w] = \int q\,\frac{p(x,z)}{q}\,dz = p(x)$. Average $K$ independent
# weights and take the log. That defines the **importance-weighted bound** (Burda et al. 2016):
#
# $$\mathcal L_K(x) = \mathbb E_{z_1..z_K \sim q}\Big[\log \frac1K \sum_{k=1}^K w_k\Big],
# \qquad w_k = \frac{p(x, z_k)}{q(z_k\mid x)}.$$
#
# Three facts, each in one or two lines:
#
# 1. **$\mathcal L_1$ is the ELBO**: $\mathbb E_q[\log p(x,z) - \log q(z\mid x)]$.
# 2. **$\mathcal L_K \le \log p(x)$**: $\log$ is concave, so by Jensen
#    $\mathbb E[\log \bar w] \le \log \mathbb E[\bar w] = \log p(x)$.
# 3. **$\mathcal L_K \le \mathcal L_{K+1}$** (Burda et al., Thm. 1). Pick a random subset $I$ of
#    $K$ of the $K+1$ indices. Every index is in $I$ with probability $K/(K+1)$, so
#    $\frac1{K+1}\sum_{k=1}^{K+1} w_k = \mathbb E_I\big[\frac1K\sum_{k\in I} w_k\big]$. Jensen
#    again: $\log$ of that is $\ge \mathbb E_I\big[\log\frac1K\sum_{k\in I}w_k\big]$, whose
#    expectation over the draws is $\mathcal L_K$.
#
# So $\text{ELBO} = \mathcal L_1 \le \mathcal L_2 \le \dots \le \log p(x)$. As $K \to \infty$,
# $\bar w \to p(x)$ by the law of large numbers, and $\mathcal L_K \to \log p(x)$ (Burda et
# al. prove it for bounded weights). *How fast* depends on the weights' variance: if
# $\operatorname{Var}_q[w] < \infty$, the delta method gives a bias
# $\log p(x) - \mathcal L_K \approx \operatorname{Var}_q[w/p(x)]/(2K)$, shrinking like $1/K$. All
# of these statements hold *in expectation*: one draw of $\log \bar w$ may land above
# $\log p(x)$.
# `genlab.losses.iwae_bound(log_w)` computes $\log\frac1K\sum_k w_k$ from log-weights
# `(..., K)` as `logsumexp - log K`. It never exponentiates a raw weight, because a log-weight
# of $-1000$ underflows to $w = 0$.
#
# ### Watch it converge where $\log p(x)$ is known
#
# The linear-Gaussian model of lecture 01, now with a 2-D latent: $z \sim \mathcal N(0, I_2)$,
# $x\mid z \sim \mathcal N(Wz + b, \sigma^2 I_3)$. Its posterior $p(z\mid x)$ is a *correlated*
# Gaussian. As $q$ we take the best **diagonal** Gaussian ("mean-field",
# `genlab.metrics.mean_field_posterior`), so the ELBO is strictly below $\log p(x)$.

# %%
lvm = LinearGaussianLVM(W=torch.tensor([[2.0, 0.5], [1.0, 1.5], [0.0, 1.0]], dtype=F64),
                        b=torch.tensor([0.5, -1.0, 0.0], dtype=F64), sigma=0.4)
x0 = torch.tensor([[1.5, 0.2, 0.7]], dtype=F64)         # one observation
mu_q, logvar_q = mean_field_posterior(lvm, x0)           # q(z|x0): (1, 2) each
q = Independent(Normal(mu_q[0], (0.5 * logvar_q[0]).exp()), 1)
log_px = lvm.log_marginal(x0).item()
elbo_exact = lvm.elbo(x0, q).item()
print(f"exact log p(x) = {log_px:.4f}, ELBO of q = {elbo_exact:.4f}, gap = {log_px - elbo_exact:.4f} nats")

# %% [markdown]
# **Predict** before you run the next cell. The gap above is the whole distance from
# $\mathcal L_1$ to $\log p(x)$. (One more thing to know: with this $q$ the weights turn out to
# have an *infinite* variance; we check that two cells below.)

# %%
predict(
    "At K = 4096 draws, how much of the gap between the ELBO and log p(x) is left, on average?",
    ["about half", "under 1 %", "exactly none"],
    answer="under 1 %",
    explanation="L_K still converges to log p(x): the average of the weights converges to p(x) "
    "even when their variance is infinite. It converges more slowly than the 1/K of a finite "
    "variance, but at K = 4096 what is left is under 1 % of the gap, below the standard "
    "error. It is never exactly zero: L_K &lt; log p(x) for every finite K unless q is the "
    "posterior.",
)

# %%
torch.manual_seed(1)
R = 200                                                   # independent repeats per K
Ks = [4**i for i in range(7)]                             # 1, 4, ..., 4096
mean_LK, se_LK, delta_se = [], [], []
for K in Ks:
    z = q.sample((R, K))                                  # (R, K, 2)
    log_w = lvm.likelihood(z).log_prob(x0[0]) + lvm.prior().log_prob(z) - q.log_prob(z)  # (R, K)
    est = iw_estimate(log_w)                              # L_K per repeat, and its standard error
    mean_LK.append(est.estimate.mean().item())
    se_LK.append((est.estimate.std() / math.sqrt(R)).item())
    delta_se.append(est.stderr.mean().item())
for K, m, s in zip(Ks, mean_LK, se_LK, strict=True):
    print(f"K = {K:5d}: L_K = {m:.5f} +- {s:.5f}   (log p(x) - L_K = {log_px - m:+.5f})")
z_score = (mean_LK[-1] - log_px) / se_LK[-1]
print(f"at K = 4096, L_K is {z_score:+.2f} standard errors from the exact log p(x)")
# L_1 is the ELBO, L_K rises with K, and at K = 4096 it is within 3 standard errors of log p(x)
assert abs(mean_LK[0] - elbo_exact) < 4 * se_LK[0]
assert all(mean_LK[i] < mean_LK[i + 1] + 3 * math.hypot(se_LK[i], se_LK[i + 1]) for i in range(len(Ks) - 1))
assert abs(z_score) < 3 and log_px - mean_LK[-1] < 0.01 * (log_px - elbo_exact) + 3 * se_LK[-1]

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.errorbar(Ks, mean_LK, yerr=[2 * s for s in se_LK], color=BLUE, marker="o", capsize=3,
            label="$\\mathcal{L}_K$, mean of 200 repeats (bars: 2 standard errors)")
ax.axhline(log_px, color=ORANGE, label="exact log p(x)")
ax.axhline(elbo_exact, color=GREY, linestyle="--", label="ELBO of q (closed form)")
ax.set_xscale("log", base=4)
ax.set_xlabel("number of importance samples K (log scale)")
ax.set_ylabel("L_K and log p(x) (nats)")
ax.set_title("L_K climbs from the ELBO to log p(x) as K grows")
ax.legend(fontsize=8, loc="lower right")
show(fig, "Line plot of the importance-weighted bound L_K against K from 1 to 4096 on a log axis. "
     f"It starts at the ELBO, {elbo_exact:.3f} nats, rises quickly, then slowly, and at K = 4096 "
     f"meets the exact log p(x), {log_px:.3f} nats, within its error bars.")

# %% [markdown]
# *Figure above: the importance-weighted bound $\mathcal L_K$ (blue points, mean of 200 repeats
# with bars of 2 standard errors) against $K$ from 1 to 4096 on a log axis, in nats. It starts
# at the ELBO (grey dashed line), rises quickly, then slowly, and at $K = 4096$ meets the exact
# $\log p(x)$ (orange line) within its error bars.*
#
# **Do these weights have a finite variance?** Write the posterior as
# $\mathcal N(m, \Lambda^{-1})$ and $q = \mathcal N(m, \Lambda_q^{-1})$ with the diagonal
# precision $\Lambda_q = \operatorname{diag}(\Lambda)$ (the mean-field $q$ matches the
# posterior's precisions). Since $w = p(x)\,p(z\mid x)/q(z)$,
#
# $$\mathbb E_q[w^2] = p(x)^2\int \frac{p(z\mid x)^2}{q(z)}\,dz \propto \int
# \exp\!\Big(-\tfrac12 (z - m)^\top(2\Lambda - \Lambda_q)(z - m)\Big)\,dz,$$
#
# which is finite if and only if $2\Lambda - \Lambda_q$ is positive definite. In 2-D, with the
# posterior's correlation $\rho$, that means $|\rho| < \frac12$.

# %%
Lambda = lvm.posterior(x0).precision_matrix[0]            # the posterior's precision (2, 2)
Lambda_q = torch.diag(torch.exp(-logvar_q[0]))            # q's precision: diag(Lambda)
eigenvalues = torch.linalg.eigvalsh(2 * Lambda - Lambda_q)
rho0 = (-Lambda[0, 1] / Lambda.diagonal().prod().sqrt()).item()  # the posterior's correlation
print(f"posterior correlation rho = {rho0:.3f}; eigenvalues of 2 Lambda - Lambda_q: "
      f"{[round(v, 2) for v in eigenvalues.tolist()]}")
assert torch.allclose(Lambda_q, torch.diag(Lambda.diagonal()), rtol=1e-12)  # q matches the precisions
assert eigenvalues.min() < 0 and abs(rho0) > 0.5  # not positive definite: Var_q[w] is infinite

# %% [markdown]
# One eigenvalue is negative: $\operatorname{Var}_q[w] = \infty$. So the delta method's
# $1/K$ bias has no finite variance to use, and neither has its single-run standard error,
# $\operatorname{se}(\log\bar w) \approx \operatorname{sd}(w/\bar w)/\sqrt K$, which `iw_estimate`
# returns as `stderr` (what you would report when you cannot repeat the estimate 200 times).
# Each run's sample sd is finite, but it estimates an infinite quantity. Compare it with the
# spread of the 200 repeats:

# %%
ratio = [s * math.sqrt(R) / d for s, d in zip(se_LK[1:], delta_se[1:], strict=True)]
for K, r in zip(Ks[1:], ratio, strict=True):
    print(f"K = {K:5d}: spread of 200 repeats / single-run delta-method se = {r:.2f}")
# the spread of 200 repeats is known to about 5 % (1 / sqrt(2 R)); an observation of this run:
# every ratio is above 1, the single-run se is too small
assert all(r > 1.0 for r in ratio), ratio

# %% [markdown]
# The single-run standard error is too small: these are the symptoms of the infinite variance.
# The mean-field $q$ is narrower than the posterior, so a rare draw in the posterior's tails
# gets a huge weight. Most runs of $K$ draws miss those draws, and they underestimate both the
# mean and the spread. The bias $\log p(x) - \mathcal L_K$ above also shrinks more slowly than
# $1/K$ at small $K$. The remedy is a *wider* proposal: any $q$ whose precision is less than
# twice the posterior's in every direction ($2\Lambda - \Lambda_q$ positive definite) gives
# finite-variance weights. Take the delta-method standard error
# as a rough guide, and repeat the estimate when the number matters.

# %% [markdown]
# ### The held-out log-likelihood of a digits VAE
#
# **First, a fix.** Lectures 03 and 04 fit a Bernoulli decoder to *grey levels* in $[0, 1]$.
# Their "ELBO" is then a cross-entropy, not a bound on any log-likelihood: a Bernoulli
# distribution gives probability only to 0 and 1. Its log-likelihood must be a true
# probability of the data. Here we binarize the digits at 0.5 (a fixed binarization: every
# pixel is 0 or 1). A Bernoulli decoder is then a true distribution over $\{0, 1\}^{64}$, and
# all the numbers below are log-probabilities of the binarized test digits.

# %%
train, test = data.digits("train"), data.digits("test")
x_train = (train.images > 0.5).float().to(device)         # (1437, 1, 8, 8), values in {0, 1}
x_test = (test.images > 0.5).float().to(device)           # (360, 1, 8, 8)
D = 64
genlab.seed_everything(0)
vae = build_vae(VAEConfig(latent_dim=8))                  # MLP 64-256-128-(8+8), Bernoulli decoder
start = time.perf_counter()
fit_beta_vae(vae, x_train, TrainConfig(epochs=100 * SCALE, lr=3e-3, progress=True))
print(f"trained in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# Now $\mathcal L_{5000}$ for each of the 360 test digits: 1.8 million decoder passes, in
# batches (`genlab.metrics.log_likelihood`), next to the ELBO estimated from the same draws.

# %%
start = time.perf_counter()
ll = log_likelihood(vae, x_test, k=5000, generator=torch.Generator(device).manual_seed(0))
seconds = time.perf_counter() - start
L5000, elbo_test = ll.estimate.mean().item(), ll.elbo.mean().item()
mc_se = (ll.stderr.pow(2).sum().sqrt() / len(x_test)).item()   # Monte Carlo error of the mean
data_se = (ll.estimate.std() / math.sqrt(len(x_test))).item()   # sampling error of the test set
print(f"L_5000 for {len(x_test)} test digits in {seconds:.1f} s")
print(f"ELBO   {elbo_test:8.3f} nats = {bits_per_dim(elbo_test, D):.4f} bits/dim")
print(f"L_5000 {L5000:8.3f} nats = {bits_per_dim(L5000, D):.4f} bits/dim "
      f"(Monte Carlo se {mc_se:.4f}, test-set se {data_se:.3f})")
assert L5000 > elbo_test + 10 * mc_se

# %% [markdown]
# **Bits per dimension** divides $-\log_2 p(x)$ by the number of pixels:
# $\text{bits/dim} = -\log p(x) / (D \ln 2)$. It is the average code length per pixel of an
# ideal compressor built from the model. It is a code length only because these pixels are
# discrete. For a density of continuous data, $-\log p$ can be negative, and bits/dim is only
# comparable after dequantization. To see what the number is worth, compare it with the
# simplest model there is: every pixel independent, with its frequency in the training set.

# %%
p_pixel = ((x_train.sum(0) + 1) / (len(x_train) + 2)).clamp(1e-6, 1 - 1e-6)   # Laplace-smoothed
independent = Independent(Bernoulli(probs=p_pixel), 3).log_prob(x_test).mean().item()
print(f"independent pixels: {independent:.2f} nats = {bits_per_dim(independent, D):.3f} bits/dim; "
      f"VAE: {L5000:.2f} nats = {bits_per_dim(L5000, D):.3f} bits/dim")
assert L5000 > independent + 3 * data_se

# %% [markdown]
# **What the number means.** $\mathcal L_{5000}$ estimates $\frac1N\sum_i \log p_\theta(x_i)$
# for the held-out binarized digits. It is a lower bound in expectation, with a Monte Carlo
# error small enough to compare models trained on the *same* data. **What it does not mean.**
# It cannot be compared with a log-likelihood on grey levels, on another binarization, or on
# MNIST. It does not measure sample quality: a model can have a good likelihood and poor
# samples, and the reverse (Theis et al. 2016). And the test-set standard error above is
# larger than the Monte Carlo one: 360 digits are a small sample.

# %% [markdown]
# ## 2. The two gaps, measured (12 minutes)
#
# The ELBO of the VAE above is below its log-likelihood by
# $\log p(x) - \mathcal L(q_\phi) = \mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z\mid x))$. Cremer, Li &
# Duvenaud (2018) split this into two parts. Let $q^*$ be the best member of the variational
# family (diagonal Gaussians) for this one $x$. Then
#
# $$\log p(x) - \mathcal L(q_\phi) = \underbrace{\log p(x) - \mathcal L(q^*)}_{\text{approximation gap}}
# + \underbrace{\mathcal L(q^*) - \mathcal L(q_\phi)}_{\text{amortization gap}}.$$
#
# The *approximation gap* is the price of the family: a diagonal Gaussian cannot match a
# correlated posterior. The *amortization gap* is the price of one encoder network for all
# $x$: it outputs $q_\phi(z\mid x)$ without optimizing it for this $x$.
#
# ### Exactly, on the linear-Gaussian model
#
# Three choices of $q$ on 1,000 samples of the model above:
# - **full-covariance** $q = p(z\mid x)$ itself: both gaps are 0;
# - **mean-field** $q^*$: the approximation gap only. For a 2-D posterior with correlation
#   $\rho$ it is $\mathrm{KL}(q^*\,\|\,p(z\mid x)) = -\frac12\log(1-\rho^2)$;
# - **an amortized linear encoder** $q_\phi(z\mid x) = \mathcal N(Ax + c, \operatorname{diag} e^{s})$,
#   trained by gradient ascent on the closed-form ELBO: both gaps.
#
# **Predict** before you run the next cell.

# %%
predict(
    "Train the linear encoder for long enough. What happens to its amortization gap?",
    ["it goes to zero", "it stays above some floor"],
    answer="it goes to zero",
    explanation="The exact posterior mean M⁻¹Wᵀ(x − b) is linear in x, and q*'s variances do not "
    "depend on x, so q* is in the encoder's family: a linear encoder can amortize perfectly. "
    "Only the approximation gap stays.",
)

# %%
x_lin = lvm.sample(1000, generator=torch.Generator().manual_seed(2)).x   # (1000, 3)
post = lvm.posterior(x_lin)
print(f"full covariance: gap {(lvm.log_marginal(x_lin) - lvm.elbo(x_lin, post)).abs().max().item():.1e} nats")
cov = post.covariance_matrix[0]
rho = (cov[0, 1] / cov.diagonal().prod().sqrt()).item()
star = mean_field_posterior(lvm, x_lin)
mf = inference_gaps(lvm, x_lin, *star)
print(f"mean-field q*: approximation gap {mf.approximation.mean().item():.4f} nats; "
      f"-1/2 log(1 - rho^2) with rho = {rho:.3f}: {-0.5 * math.log(1 - rho**2):.4f}")
assert torch.allclose(mf.approximation, torch.full_like(mf.approximation, -0.5 * math.log(1 - rho**2)))

A = torch.zeros(2, 3, dtype=F64, requires_grad=True)      # the encoder's parameters
c = torch.zeros(2, dtype=F64, requires_grad=True)
s = torch.zeros(2, dtype=F64, requires_grad=True)
optimizer = torch.optim.Adam([A, c, s], lr=0.02)
rows = []
for step in range(1, 3001):
    q_phi = Independent(Normal(x_lin @ A.T + c, (0.5 * s).exp()), 1)
    loss = -lvm.elbo(x_lin, q_phi).mean()                 # the negative closed-form ELBO
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step in (10, 100, 1000, 3000):
        with torch.no_grad():
            g = inference_gaps(lvm, x_lin, x_lin @ A.T + c, s.expand(1000, 2))
        rows.append((step, g.total.mean().item(), g.approximation.mean().item(), g.amortization.mean().item()))
print(" steps | total gap | approximation | amortization   (nats, mean over 1000 x)")
for step, total, approx, amort in rows:
    print(f"{step:6d} | {total:9.4f} | {approx:13.4f} | {amort:12.5f}")
assert all(a[3] > b[3] for a, b in pairwise(rows))     # the amortization gap shrinks ...
assert rows[-1][3] < 1e-3  # ... to zero; the approximation gap is q*'s and stays

# %% [markdown]
# ### By estimation, on the digits VAE
#
# For a neural decoder, neither $\log p(x)$ nor $q^*$ is known. Both can be estimated:
# - $\log p(x) \approx \mathcal L_{5000}$ (section 1);
# - $q^* \approx$ the encoder's $q_\phi(z\mid x)$ refined for each test digit by gradient
#   steps on its own ELBO, with the decoder fixed (*semi-amortized* inference, Kim et al. 2018;
#   this per-point optimization is what stochastic variational inference, SVI, does for every
#   point without an encoder).
#   `genlab.metrics.refine_posterior` takes 150 Adam steps per digit.
#
# The refined ELBO is below $\mathcal L(q^*)$ and $\mathcal L_{5000}$ is below $\log p(x)$, so
# the amortization gap measured here is an *under*-estimate. The approximation gap is only
# approximate, in either direction.

# %%
start = time.perf_counter()
refined = refine_posterior(vae, x_test, steps=150, lr=0.05, n_samples=8,
                           generator=torch.Generator(device).manual_seed(3))
lw_encoder = log_weights(vae, x_test, 1000, generator=torch.Generator(device).manual_seed(4))
lw_refined = log_weights(vae, x_test, 1000, posterior=refined, generator=torch.Generator(device).manual_seed(4))
elbo_enc, elbo_ref = lw_encoder.mean(-1), lw_refined.mean(-1)    # ELBO per digit, 1000 draws each
diff = elbo_ref - elbo_enc
diff_se = (diff.std() / math.sqrt(len(diff))).item()
print(f"refinement and evaluation took {time.perf_counter() - start:.1f} s")
print(f"ELBO of the encoder's q      {elbo_enc.mean().item():8.3f} nats")
print(f"ELBO of the refined q        {elbo_ref.mean().item():8.3f} nats  -> amortization gap >= "
      f"{diff.mean().item():.3f} +- {diff_se:.3f}")
print(f"L_5000 (about log p(x))      {L5000:8.3f} nats  -> approximation gap ~ {L5000 - elbo_ref.mean().item():.3f}")
assert diff.mean().item() > 5 * diff_se and L5000 > elbo_ref.mean().item()

# %% [markdown]
# Unlike the linear model, here the encoder leaves a measurable amortization gap: a small MLP
# cannot output the best $q$ for every digit. Cremer et al. found the amortization gap is often
# the *larger* of the two. Which is larger here is an observation from this one run; check
# the printout above.
#
# ## 3. Posterior collapse and the rate-distortion plane (15 minutes)
#
# Split the negative ELBO into its two terms (Alemi et al. 2018):
#
# - the **rate** $R = \mathbb E_x\,\mathrm{KL}(q(z\mid x)\,\|\,p(z))$, the nats of information
#   the code carries about $x$ (an upper bound on the mutual information);
# - the **distortion** $D = -\mathbb E_x\,\mathbb E_q[\log p(x\mid z)]$, the reconstruction cost.
#
# Then $-\text{ELBO} = D + R$. On the $(R, D)$ plane, models with equal ELBO lie on a line of
# slope $-1$. The ELBO cannot tell them apart, but they can differ a lot: one encodes a great
# deal in $z$, another nothing.
#
# **Posterior collapse.** A latent dimension $j$ has collapsed when
# $q(z_j\mid x) = p(z_j)$ for every $x$. Its KL term is then 0, and $z_j$ carries no
# information about $x$. Burda et al. count the dimensions still in use as **active units**:
# $A_j = \operatorname{Cov}_x\big(\mathbb E_{q}[z_j\mid x]\big) > 0.01$, the encoder's mean must
# move with $x$.

# %%
with torch.no_grad():
    mu_test, logvar_test = vae.encode(x_test)
kl_dims = kl_per_dimension(mu_test, logvar_test)
active = active_units(mu_test)
print("KL per dimension (nats):", [round(v, 3) for v in kl_dims.tolist()])
print(f"active units: {int(active.sum())} of {len(active)}; the rate {kl_dims.sum().item():.2f} nats "
      f"is the sum of the bars")
# the closed-form KL per dimension against torch.distributions' own KL of two Normals
reference = torch.distributions.kl_divergence(Normal(mu_test, (0.5 * logvar_test).exp()),
                                              Normal(0.0, 1.0)).mean(0)
torch.testing.assert_close(kl_dims.double(), reference.double(), rtol=1e-5, atol=1e-6)
assert (kl_dims[~active] < 0.05).all()  # observation: the inactive units also carry almost no KL

fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(range(8), kl_dims.cpu(), color=[ORANGE if a else GREY for a in active])
ax.set_xlabel("latent dimension j")
ax.set_ylabel("KL_j (nats), test mean")
ax.set_title(f"{int(active.sum())} of 8 dimensions are used; the rest have collapsed")
show(fig, f"Bar chart of the KL of each of the 8 latent dimensions. {int(active.sum())} bars are "
     "tall (orange, active), the others are near zero (grey, collapsed).")

# %% [markdown]
# *Figure above: a bar chart of the test-mean KL (nats) of each of the 8 latent dimensions.
# The active units' bars are tall (orange); the others are near zero (grey, collapsed). The
# title gives the count.*
#
# Why does a VAE switch dimensions off? Every nat of rate costs one nat of ELBO, so a dimension
# is worth keeping only if it lowers the distortion by more than its KL. The 8x8 digits seem to
# need only a few numbers (the digit, its slant, its thickness: a reading of the active-unit
# count above, not a measurement). The KL term pulls every other
# dimension onto the prior. A strong decoder (an autoregressive one, say) can model $x$
# without $z$ at all, and then *every* dimension collapses.
#
# ### A sweep of $\beta$
#
# Weight the rate by $\beta$: $\text{loss} = D + \beta R$ ($\beta = 1$ is the negative ELBO,
# $\beta > 1$ the $\beta$-VAE of Higgins et al. 2017). This is `genlab.vae_objectives.BetaELBO`,
# a loss function for the course's trainer. Changing $\beta$ moves the optimum along the
# rate-distortion curve.
#
# **Predict** before you run the next cell.

# %%
predict(
    "As beta goes from 0.25 to 8, which way do the six models move on the rate-distortion plane?",
    ["lower rate, higher distortion", "higher rate, lower distortion", "along one line of equal ELBO"],
    answer="lower rate, higher distortion",
    explanation="A larger beta makes each nat of rate more expensive, so the optimum trades rate "
    "for distortion. The ELBO (the objective at beta = 1) is not constant along the way.",
)

# %%
betas = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
sweep_config = TrainConfig(epochs=40 * SCALE, lr=3e-3, progress=False)
sweep, points = [], []
start = time.perf_counter()
for beta in tqdm(betas, desc="β sweep", leave=False):  # six models: a bar
    genlab.seed_everything(0)
    model = build_vae(VAEConfig(latent_dim=8))
    fit_beta_vae(model, x_train, sweep_config, beta=beta)
    rd = rate_distortion(model, x_test, generator=torch.Generator(device).manual_seed(5))
    with torch.no_grad():
        n_active = int(active_units(model.encode(x_test).mu).sum())
    sweep.append((beta, model))
    points.append((beta, rd.rate, rd.distortion, n_active))
    print(f"beta = {beta:4}: rate {rd.rate:6.2f}, distortion {rd.distortion:6.2f}, "
          f"ELBO {-(rd.rate + rd.distortion):7.2f} nats, active units {n_active}")
print(f"six models in {time.perf_counter() - start:.1f} s")
rates, distortions = [p[1] for p in points], [p[2] for p in points]
# monotone, up to the Monte Carlo error of the distortion (16 draws per digit: well below
# 0.05 nats); the slack matters for the largest betas, whose rates are all near 0 and
# whose distortions then differ by noise only
assert all(a > b - 0.05 for a, b in pairwise(rates)), "the rate falls as beta rises"
assert all(a < b + 0.05 for a, b in pairwise(distortions)), "the distortion rises"
assert rates[0] > rates[-1] + 5 and distortions[0] < distortions[-1] - 5

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for i, (beta, r, d, n) in enumerate(points):
    ax.scatter(r, d, color=BLUE, zorder=3)
    ax.annotate(f"beta={beta:g} ({n} units)", (r, d), textcoords="offset points",
                xytext=(6, 4 if i % 2 else -10), fontsize=8)  # alternate: collapsed models coincide
r_line = torch.linspace(0, max(rates) * 1.1, 2)
best = min(r + d for _, r, d, _ in points)
ax.plot(r_line, best - r_line, color=GREY, linestyle="--", label=f"ELBO = {-best:.1f} nats (slope -1)")
ax.plot(r_line, best + 5 - r_line, color=GREY, linestyle=":", label=f"ELBO = {-best - 5:.1f} nats")
ax.set_xlabel("rate R = KL(q(z|x) || p(z)) (nats)")
ax.set_ylabel("distortion D = -E log p(x|z) (nats)")
ax.set_title("Larger beta: less rate, more distortion")
ax.legend(fontsize=8)
show(fig, "Scatter plot of six models on the rate-distortion plane. As beta rises from 0.25 to 8 "
     f"the rate falls from {rates[0]:.1f} to {rates[-1]:.1f} nats and the distortion rises from "
     f"{distortions[0]:.1f} to {distortions[-1]:.1f} nats. Dashed lines of slope -1 mark equal ELBO.")

# %% [markdown]
# *Figure above: six models on the rate-distortion plane (rate across, distortion up, both in
# nats), each labelled with its $\beta$ and its active units. As $\beta$ rises from 0.25 to 8
# the points move up and to the left: less rate, more distortion. The grey dashed line of slope
# $-1$ passes through the best ELBO of the six, the dotted one 5 nats worse.*

# %% [markdown]
# ### Explore the sweep
#
# The slider picks $\beta$. The images show eight test digits (top row), their reconstructions
# (middle) and eight samples from $z \sim p(z)$ (bottom, the same $z$ for every model). The
# plane marks the chosen model in orange, with its line of equal ELBO. The bars show its KL
# per dimension: orange bars are active units. Watch the reconstructions lose their identity
# as the rate goes to zero.

# %%
explorer = rate_distortion_explorer(sweep, x_test)
first = explorer.images.value
explorer.slider.value = len(betas) - 1
assert explorer.images.value != first                       # the images follow the slider
explorer.slider.value = 2
explorer

# %% [markdown]
# *Widget: a slider for $\beta$ (0.25 to 8). Below it, a grid of eight test digits (top row),
# their reconstructions (middle) and eight prior samples (bottom); the rate-distortion plane
# with the chosen model marked and its line of equal ELBO; and a bar chart of its KL per
# dimension, active units in orange.*

# %% [markdown]
# ### Two remedies, measured
#
# Two classic ways to keep units alive at $\beta = 1$:
#
# - **KL warm-up** (annealing; Bowman et al. 2016, Sønderby et al. 2016): raise the rate's
#   weight from 0 to 1 over the first part of training, so that the decoder learns to use $z$
#   before the KL term pulls it to the prior. In genlab it is the trainer callback
#   `kl_warmup`, not a second training loop.
# - **Free bits** (Kingma et al. 2016): replace $R$ by $\sum_j \max(\lambda, \overline{\mathrm{KL}}_j)$,
#   where $\overline{\mathrm{KL}}_j$ is dimension $j$'s KL averaged over the minibatch.
#   A dimension below $\lambda$ nats gets no push towards the prior
#   (`genlab.losses.free_bits_kl`).
#
# Each is trained with the same budget as the $\beta = 1$ model of the sweep. We compare them
# by what matters: the held-out $\mathcal L_{500}$, and the active units.
#
# **Predict** before you run the next cell.

# %%
predict(
    "Free bits with 0.5 nats per dimension, at beta = 1: how many of the 8 units stay active?",
    None,
    answer=8,
    tolerance=0,
    explanation="Below 0.5 nats a dimension's KL gets no gradient, so no unit is pushed all the way "
    "to the prior: each keeps about 0.5 nats or more, and its encoder mean moves with x. This "
    "is one run (the cell after next checks it); warm-up is compared in the same table.",
)

# %%
steps_per_epoch = len(x_train) // sweep_config.batch_size
remedies = {"plain (beta = 1)": sweep[2][1]}                # the sweep's beta = 1 model
for name, options in (("KL warm-up", dict(warmup_steps=20 * steps_per_epoch * SCALE)),
                      ("free bits, 0.5 nats", dict(free_nats=0.5))):
    genlab.seed_everything(0)
    remedies[name] = build_vae(VAEConfig(latent_dim=8))
    fit_beta_vae(remedies[name], x_train, sweep_config, **options)
results = {}
for name, model in remedies.items():
    est = log_likelihood(model, x_test, k=500, generator=torch.Generator(device).manual_seed(6))
    with torch.no_grad():
        mu, logvar = model.encode(x_test)
    results[name] = (est.estimate.mean().item(), int(active_units(mu).sum()),
                     kl_per_dimension(mu, logvar).tolist())
    print(f"{name:20s}: L_500 {results[name][0]:7.2f} nats, active units {results[name][1]}, "
          f"KL per dimension {[round(v, 2) for v in results[name][2]]}")

# %% [markdown]
# Read the table as one run on one seed: the asserts below check what this run shows, no
# more. Free bits hold every dimension's average KL near or above $\lambda$, so no unit can
# collapse. Warm-up lets the decoder learn to use $z$ before the KL term is charged in full.
# Both are reported to matter most where collapse is severe: strong
# (autoregressive) decoders and text (Bowman et al. 2016).

# %%
plain, warm, free = results.values()
print(f"units: plain {plain[1]}, warm-up {warm[1]}, free bits {free[1]}; "
      f"L_500 differences: warm-up {warm[0] - plain[0]:+.2f}, free bits {free[0] - plain[0]:+.2f} nats")
assert free[1] == 8 and min(free[2]) > 0.4             # free bits: every unit keeps ~0.5 nats
assert warm[1] >= plain[1]                              # warm-up: no fewer units
# ... at a likelihood no worse than the plain model's (0.1 nats: several times L_500's Monte
# Carlo error, a few hundredths of a nat here)
assert warm[0] > plain[0] - 0.1 and free[0] > plain[0] - 0.1

# %% [markdown]
# ## Check your understanding
#
# 1. Prove that $\mathcal L_K \le \log p(x)$. Then give an example where one *draw* of
#    $\log\frac1K\sum_k w_k$ is above $\log p(x)$.
# 2. Your VAE has ELBO $-20.1$ and $\mathcal L_{5000} = -18.9$ nats on 64 binary pixels. What is
#    the model's log-likelihood in bits per dimension, and which of the two numbers do you
#    report? Why can you not compare it with a paper's MNIST result?
# 3. Training with $\mathcal L_K$ instead of the ELBO (the IWAE objective) gives a better
#    likelihood. Why can it give a *worse* encoder as $K$ grows (Rainforth et al. 2018)?
# 4. In section 2, the linear encoder's amortization gap went to zero, but the digits
#    encoder's did not. Name two changes to the digits VAE that would shrink its amortization
#    gap, and one that would shrink its approximation gap.
# 5. Two models have the same ELBO. One has rate 0, the other rate 15 nats. Which one is the
#    useful representation, and how would you tell them apart without looking at the rate?
#
# Answers are in `solutions/04b_evaluating_and_debugging_vaes`.
#
# ## References
# - Burda, Grosse & Salakhutdinov (2016), *Importance Weighted Autoencoders* (Thm. 1, active units).
# - Cremer, Li & Duvenaud (2018), *Inference Suboptimality in Variational Autoencoders*.
# - Alemi et al. (2018), *Fixing a Broken ELBO*.
# - Higgins et al. (2017), *beta-VAE*.
# - Kingma et al. (2016), *Improved Variational Inference with Inverse Autoregressive Flow* (free bits, in its appendix).
# - Bowman et al. (2016), *Generating Sentences from a Continuous Space* (KL annealing); Sønderby et al. (2016), *Ladder VAEs*.
# - Kim et al. (2018), *Semi-Amortized Variational Autoencoders*.
# - Rainforth et al. (2018), *Tighter Variational Bounds are Not Necessarily Better*.
# - Theis, van den Oord & Bethge (2016), *A note on the evaluation of generative models*.
# - Kingma & Welling (2019), *An Introduction to Variational Autoencoders*, Sec. 2.6-2.8.
