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
# # 01 Latent variable models and the ELBO
#
# A variational autoencoder is a *deep latent variable model* trained by maximising a lower
# bound on the log-likelihood, the ELBO. This lecture derives the bound exactly as the slides
# do, then checks every line on a model where everything is known in closed form: the
# linear-Gaussian latent variable model (probabilistic PCA). There the central identity
#
# $$\log p_\theta(x) = \mathcal L(x;\theta,\phi) + D_{KL}\big(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x)\big)$$
#
# can be verified to machine precision for any $q$ whose density we can evaluate (we check a batch
# of Gaussians and one heavy-tailed Student-t), and learning by EM can be watched step by step.
#
# **Learning goals.** After this lecture you can
# - state why maximum likelihood is hard for latent variable models;
# - derive the ELBO with Jensen's inequality and say exactly how far it is below $\log p(x)$;
# - split the ELBO into a regularization term and a reconstruction term;
# - describe EM as coordinate ascent on the ELBO, and explain why the likelihood never decreases;
# - define the importance-weighted bound $\mathcal L_K$ and say why $\mathcal L_1 \le \mathcal L_K \le \log p(x)$.
#
# Three times in this lecture you are asked to **predict** before a cell runs: commit to an
# answer in the box, then run the next cell.
#
# *Estimated time: 60 minutes of reading, predicting and running (the notebook itself runs in
# well under a minute on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch.distributions import MultivariateNormal, Normal, StudentT, kl_divergence

import genlab
import genlab.plots
from genlab.losses import gaussian_kl
from genlab.theory import LinearGaussianLVM
from genlab.widgets import elbo_gap_explorer, predict

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
genlab.seed_everything(0)
torch.set_default_dtype(torch.float64)  # identities are checked to 1e-9: float64 throughout

# %% [markdown]
# ## 1. Deep latent variable models
#
# A latent variable model explains each observation $x$ by an unobserved cause $z$:
#
# $$p_\theta(x) = \int p_\theta(x, z)\, dz, \qquad p_\theta(x, z) = p_\theta(x\mid z)\, p(z).$$
#
# In a VAE, $p(z) = \mathcal N(0, I)$ and $p_\theta(x\mid z)$ is a neural network's output
# distribution. Here we start with the linear case, which has the same structure but exact
# answers: $z \sim \mathcal N(0, I_k)$, $x\mid z \sim \mathcal N(Wz + b, \sigma^2 I_d)$.
# A one-dimensional latent explains two-dimensional data that lie near a line.
#
# *Figure: a scatter plot of 500 two-dimensional observations $x = (x_1, x_2)$, coloured from blue
# (negative $z$) to red (positive $z$) by the latent value that generated each; the colour changes
# smoothly along the line, so one number $z$ locates a point along it.*

# %%
true = LinearGaussianLVM(W=torch.tensor([[2.0], [1.0]]), b=torch.tensor([0.5, -1.0]), sigma=0.4)
data = true.sample(500, generator=torch.Generator().manual_seed(0))
x, z = data  # observations (500, 2) and the latent causes that generated them (500, 1)

fig, ax = plt.subplots(figsize=(4.5, 3.5))
points = ax.scatter(*x.T, c=z[:, 0], cmap="coolwarm", s=8)
fig.colorbar(points, ax=ax, label="latent z (no unit)")
ax.set(xlabel="$x_1$ (no unit)", ylabel="$x_2$ (no unit)",
       title="One latent z places each x along a line")
ax.set_aspect("equal")
plt.show()
print(true)

# %% [markdown]
# ## 2. Maximum likelihood, and why it is hard
#
# Learning maximises $\sum_i \log p_\theta(x^{(i)})$. For this model the integral has a closed
# form, $x \sim \mathcal N(b, WW^\top + \sigma^2 I)$, which `log_marginal` uses; we first
# confirm it against an independent route, numerical integration over $z$:

# %%
x0 = x[:1]
grid = torch.linspace(-8, 8, 20001)[:, None]  # z grid
joint = true.likelihood(grid).log_prob(x0) + Normal(0.0, 1.0).log_prob(grid[:, 0])
log_px_numeric = torch.logsumexp(joint, 0) + math.log(grid[1, 0] - grid[0, 0])
log_px = true.log_marginal(x0)[0]
print(f"log p(x0): closed form {log_px:.10f}, numerical integral {log_px_numeric:.10f}")
assert abs(log_px - log_px_numeric) < 1e-8

# %% [markdown]
# With a neural decoder there is no closed form, and the obvious Monte Carlo estimate
# $p(x) \approx \frac1S \sum_s p(x\mid z_s)$, $z_s \sim p(z)$ is poor: almost every $z_s$ from the
# prior explains $x$ badly, so the average is dominated by rare lucky draws. Its spread over
# repeated estimates shows it.

# %%
predict(
    "The estimate of p(x0) is unbiased. Over 200 repetitions with S = 10 draws, where does the "
    "average of its <i>logarithm</i> sit relative to the exact log p(x0)?",
    ["below", "on it (within noise)", "above"],
    answer="below",
    explanation="log is concave, so E[log p̂] ≤ log E[p̂] = log p(x0) (Jensen's inequality, "
    "section 3). The fewer the draws, the wider p̂ spreads and the larger the gap.",
)

# %%
bias = {}
for S in (10, 100, 1000):
    estimates = torch.stack([
        torch.logsumexp(true.likelihood(torch.randn(S, 1)).log_prob(x0), 0) - math.log(S)
        for _ in range(200)
    ])
    bias[S] = (estimates.mean() - log_px).item(), (estimates.std() / math.sqrt(200)).item()
    print(f"S = {S:5d}: log p(x0) estimates {estimates.mean():.3f} +- {estimates.std():.3f} "
          f"(exact {log_px:.3f})")
# below on average, by many standard errors of the mean over 200 repetitions:
assert bias[10][0] < -5 * bias[10][1], bias
# ... and the fewer the draws, the larger the gap: S = 10 against S = 1000, beyond 3 standard errors
assert bias[10][0] < bias[1000][0] - 3 * math.hypot(bias[10][1], bias[1000][1]), bias

# %% [markdown]
# ## 3. Jensen's inequality and the ELBO
#
# Introduce any distribution $q_\phi(z\mid x)$ and multiply and divide by it (slide "VAE objective"):
#
# $$\log p_\theta(x) = \log \int q_\phi(z\mid x)\,\frac{p_\theta(x,z)}{q_\phi(z\mid x)}\,dz
# \;\ge\; \int q_\phi(z\mid x) \log \frac{p_\theta(x,z)}{q_\phi(z\mid x)}\,dz
# = \mathbb E_{q_\phi}\!\left[\log p_\theta(x,z) - \log q_\phi(z\mid x)\right] = \mathcal L(x;\theta,\phi).$$
#
# The inequality is Jensen's: $\log$ is concave, so $\log \mathbb E[Y] \ge \mathbb E[\log Y]$.
# That holds for *any* sample average too, so printing "$\le$" checks nothing. What can be
# checked is *how large* the gap is. Take $Y = p(x,z)/q(z)$ with $z \sim q$:

# %%
predict(
    "For Y = p(x, z)/q(z), z ~ q, the Jensen gap log E_q[Y] − E_q[log Y] equals which quantity?",
    ["0", "KL(q ‖ p(z|x))", "KL(p(z|x) ‖ q)", "Var[log Y] / 2"],
    answer="KL(q ‖ p(z|x))",
    explanation="E_q[Y] = p(x), so log E_q[Y] = log p(x); E_q[log Y] is the ELBO; section 4 shows "
    "their difference is KL(q ‖ p(z|x)). (Var[log Y]/2 would be exact only if log Y were Gaussian.)",
)

# %%
# some q(z): near the posterior of x0 but shifted and wider (so that Y has a finite variance)
post_x0 = true.posterior(x0)
q = Normal(post_x0.loc[0, 0] + 0.2, 1.5 * post_x0.covariance_matrix[0, 0, 0].sqrt())
zq = q.sample((200_000,))[:, None]
log_w = true.likelihood(zq).log_prob(x0) + Normal(0.0, 1.0).log_prob(zq[:, 0]) - q.log_prob(zq[:, 0])
log_mean_w = torch.logsumexp(log_w, 0) - math.log(len(log_w))  # log E_q[Y]
mean_log_w = log_w.mean()  # E_q[log Y]
q_mvn = MultivariateNormal(q.loc[None, None], covariance_matrix=q.scale[None, None, None] ** 2)
kl_q = true.kl_to_posterior(x0, q_mvn)[0]  # closed form (section 4)
gap, se_gap = log_mean_w - mean_log_w, log_w.std() / math.sqrt(len(log_w))
print(f"log E_q[Y] = {log_mean_w:.4f} (-> log p(x0) = {log_px:.4f});  E_q[log Y] = {mean_log_w:.4f}")
print(f"Jensen gap {gap:.4f}; closed-form KL(q || p(z|x0)) {kl_q:.4f}")
# log E_q[Y] has a bias of order Var[Y]/(2 n E[Y]^2), far below 0.01 here:
assert abs(log_mean_w - log_px) < 0.01 and abs(gap - kl_q) < 0.01 + 5 * se_gap

# %% [markdown]
# $\mathbb E_q[\log Y]$ is the ELBO. `LinearGaussianLVM.elbo` computes it in closed form for a
# Gaussian $q$; the Monte Carlo average above must agree with it:

# %%
elbo_exact = true.elbo(x0, q_mvn)[0]
se = log_w.std() / math.sqrt(len(log_w))
print(f"ELBO: closed form {elbo_exact:.4f}, Monte Carlo {mean_log_w:.4f} +- {se:.4f}")
assert abs(elbo_exact - mean_log_w) < 5 * se

# %% [markdown]
# ## 4. How far below? $\log p(x) = \mathcal L + D_{KL}(q\,\|\,p(z\mid x))$
#
# Write $p_\theta(x,z) = p_\theta(z\mid x)\,p_\theta(x)$ inside the ELBO:
#
# $$\mathcal L = \mathbb E_q\!\left[\log p_\theta(x) + \log \frac{p_\theta(z\mid x)}{q_\phi(z\mid x)}\right]
# = \log p_\theta(x) - D_{KL}\big(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x)\big).$$
#
# The gap is exactly the KL divergence from $q$ to the true posterior: the bound is tight if and
# only if $q$ *is* the posterior. Check it for a batch of random Gaussians $q$, one per data point:

# %%
n = 200
q_rand = MultivariateNormal(torch.randn(n, 1) * 2, covariance_matrix=torch.rand(n, 1, 1) * 3 + 0.01)
lhs = true.log_marginal(x[:n])
elbo = true.elbo(x[:n], q_rand)
kl = true.kl_to_posterior(x[:n], q_rand)
err = (lhs - (elbo + kl)).abs().max()
print(f"max |log p(x) - (ELBO + KL)| over {n} random q: {err:.2e};  smallest KL {kl.min():.3f}")
assert err < 1e-9 and (kl >= 0).all()

post = true.posterior(x[:n])
gap_at_posterior = (lhs - true.elbo(x[:n], post)).abs().max()
print(f"with q = p(z|x): max |log p(x) - ELBO| = {gap_at_posterior:.2e}")
assert gap_at_posterior < 1e-9

# %% [markdown]
# The identity is not about Gaussians. Per draw, $\log p(x) = \log\frac{p(x,z)}{q(z)} +
# \log\frac{q(z)}{p(z\mid x)}$ for *every* $z$; averaging over $z\sim q$ gives ELBO + KL. So it
# holds for a heavy-tailed Student-t $q$ too (3 degrees of freedom), which `elbo` cannot take in
# closed form: check it draw by draw, and the KL's sign by Monte Carlo.

# %%
q_t = StudentT(3.0, post_x0.loc[0, 0] - 0.1, 0.2)
zt = q_t.sample((100_000,))
log_w_t = true.likelihood(zt[:, None]).log_prob(x0) + Normal(0.0, 1.0).log_prob(zt) - q_t.log_prob(zt)
log_ratio_t = q_t.log_prob(zt) - post_x0.log_prob(zt[:, None])  # log q(z) - log p(z|x0)
print(f"max |log p(x0) - (log w + log q/p(z|x0))| over {len(zt)} draws: "
      f"{(log_px - (log_w_t + log_ratio_t)).abs().max():.2e}")
print(f"Student-t q: ELBO {log_w_t.mean():.4f} + KL {log_ratio_t.mean():.4f} = "
      f"{(log_w_t + log_ratio_t).mean():.4f};  log p(x0) {log_px:.4f}")
assert (log_px - (log_w_t + log_ratio_t)).abs().max() < 1e-9
assert log_ratio_t.mean() > 5 * log_ratio_t.std() / math.sqrt(len(zt))  # KL > 0, beyond noise

# %% [markdown]
# The posterior itself is checked independently against Bayes' rule on the $z$ grid of
# section 2 (normalise $p(x_0, z)$ and compare its mean and variance):

# %%
w = torch.softmax(joint, 0)
mean_grid = (w * grid[:, 0]).sum()
var_grid = (w * (grid[:, 0] - mean_grid) ** 2).sum()
post0 = true.posterior(x0)
print(f"posterior mean {post0.loc[0, 0]:.8f} vs grid {mean_grid:.8f}; "
      f"variance {post0.covariance_matrix[0, 0, 0]:.8f} vs grid {var_grid:.8f}")
assert abs(post0.loc[0, 0] - mean_grid) < 1e-8 and abs(post0.covariance_matrix[0, 0, 0] - var_grid) < 1e-8

# %% [markdown]
# ## 5. Regularization and reconstruction
#
# Split $\log p_\theta(x,z) = \log p_\theta(x\mid z) + \log p(z)$ (slide "Review: VAEs"):
#
# $$\mathcal L = \underbrace{-D_{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{regularization}}
# + \underbrace{\mathbb E_{q_\phi}\left[\log p_\theta(x\mid z)\right]}_{\text{reconstruction}}.$$
#
# The regularization term keeps $q$ close to the prior; the reconstruction term rewards codes
# that explain $x$. For a diagonal Gaussian $q$ the first is closed form,
# `genlab.losses.gaussian_kl` (checked against `torch.distributions`); the second we estimate
# by Monte Carlo, and the two must add up to the closed-form ELBO:

# %%
m, logvar = q.loc.reshape(1, 1), (2 * q.scale.log()).reshape(1, 1)  # the q of section 3
regularization = -gaussian_kl(m, logvar)[0]
assert torch.isclose(regularization, -kl_divergence(Normal(m, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum())
zs = m + (0.5 * logvar).exp() * torch.randn(400_000, 1)
log_lik = true.likelihood(zs).log_prob(x0)
reconstruction, se = log_lik.mean(), log_lik.std() / math.sqrt(len(zs))
print(f"regularization {regularization:.4f} + reconstruction {reconstruction:.4f} +- {se:.4f} "
      f"= {regularization + reconstruction:.4f};  closed-form ELBO {elbo_exact:.4f}")
assert abs(regularization + reconstruction - elbo_exact) < 5 * se

# %% [markdown]
# ## 6. Learning as EM
#
# EM maximises the ELBO $\mathcal L(q, \theta)$ by coordinate ascent (slide "VAE learning"):
#
# - **E step**: hold $\theta$, set $q \leftarrow p_\theta(z\mid x)$. The KL becomes 0, so
#   $\mathcal L = \log p_\theta(x)$.
# - **M step**: hold $q$, maximise $\mathcal L(q, \theta)$ over $\theta$ (closed form here).
#
# Why the likelihood never decreases: after the E step $\log p_{\theta_t}(x) = \mathcal L(q_{t+1}, \theta_t)
# \le \mathcal L(q_{t+1}, \theta_{t+1}) \le \log p_{\theta_{t+1}}(x)$, the first inequality by the
# M step, the second because the ELBO is a lower bound. Check each inequality, step by step,
# from a deliberately poor starting model.
#
# **The exact E step matters.** With a *partial* E step, $q_{t+1}$ only closer to the posterior
# (as an amortized encoder gives), the chain becomes $\mathcal L(q_t,\theta_t) \le
# \mathcal L(q_{t+1},\theta_t) \le \mathcal L(q_{t+1},\theta_{t+1})$: only the ELBO is guaranteed
# to rise. $\log p_\theta(x)$ may fall, because the KL gap can grow while the bound rises.
# (Stated, not checked here.)
#
# *Figure below: the summed log-likelihood of the 500 points (nats, y axis) against the EM step
# (x axis), rising monotonically and ending slightly *above* the dashed line of the generating
# model: the maximum-likelihood fit beats the true parameters on their own sample.*

# %%
model = LinearGaussianLVM(W=torch.tensor([[0.1], [-0.1]]), b=torch.zeros(2), sigma=3.0)
history = [model.log_marginal(x).sum().item()]
for _ in range(40):
    q_t = model.e_step(x)
    assert torch.allclose(model.elbo(x, q_t), model.log_marginal(x))  # E step closes the gap
    new = model.m_step(x, q_t)
    before, middle, after = model.elbo(x, q_t).sum(), new.elbo(x, q_t).sum(), new.log_marginal(x).sum()
    assert before <= middle + 1e-9 <= after + 2e-9
    model = new
    history.append(after.item())
print("log-likelihood:", " ".join(f"{v:.1f}" for v in history[:6]), "...", f"{history[-1]:.1f}")
assert all(b >= a - 1e-9 for a, b in zip(history, history[1:], strict=False))
# genlab's em() runs the same loop:
assert torch.allclose(LinearGaussianLVM(torch.tensor([[0.1], [-0.1]]), torch.zeros(2), 3.0).em(x, 40).log_likelihoods,
                      torch.tensor(history))

fig, ax = plt.subplots(figsize=(4.5, 3))
ax.plot(history, "o-", label="EM fit")
ax.axhline(true.log_marginal(x).sum().item(), ls="--", c="gray", label="generating model")
ax.set_xlabel("EM step")
ax.set_ylabel("sum log p(x) (nats)")
ax.set_title("EM never lowers the log-likelihood")
ax.legend()
plt.show()
print("fitted:", model, " W =", model.W.flatten().tolist(), "(the sign of W is not identifiable)")
print(f"EM fit {history[-1]:.1f} nats, generating model {true.log_marginal(x).sum().item():.1f} nats")
assert history[-1] >= true.log_marginal(x).sum().item()  # the fit ends above the truth on this sample

# %% [markdown]
# A VAE does the same two things at once and approximately: the encoder network *amortises*
# the E step (one network outputs $q_\phi(z\mid x)$ for every $x$, instead of an exact posterior
# per point), and both $\phi$ and $\theta$ follow the gradient of the ELBO (lecture 02).
#
# ## 7. Tighter bounds: the importance-weighted bound $\mathcal L_K$
#
# Draw $K$ codes $z_1,\dots,z_K \sim q(z\mid x)$ independently and average the weights
# $w_k = p(x, z_k)/q(z_k\mid x)$ *before* taking the log (Burda, Grosse & Salakhutdinov 2016):
#
# $$\mathcal L_K(x) = \mathbb E_{z_{1..K}\sim q}\Big[\log \frac1K\sum_{k=1}^K w_k\Big].$$
#
# - $\mathcal L_1$ is the ELBO.
# - $\mathcal L_K \le \log p(x)$: the average of the $w_k$ has mean $p(x)$, and Jensen applies.
# - $\mathcal L_K \le \mathcal L_{2K}$ (more generally $\mathcal L_K \le \mathcal L_M$ for $K \le M$):
#   the average of $2K$ weights is the mean of two independent $K$-averages, and $\log$ is concave.
# - $\mathcal L_K \to \log p(x)$ as $K \to \infty$ when the weights are bounded.
#
# An estimate of $\mathcal L_K$ from one set of $K$ draws is random: it lies above or below
# $\mathcal L_K$, and can even exceed $\log p(x)$. The ordering holds for the expectations, so we
# average many repetitions and compare with their standard errors. On the linear-Gaussian model
# $\log p(x)$ is exact, so the whole ladder can be seen. Lecture 03 uses $\mathcal L_K$ to
# estimate $\log p(x)$ of a trained VAE.

# %%
predict(
    "q is the (deliberately poor) wide, shifted Gaussian of section 3. By K = 1000, how much of the "
    "gap between the ELBO (K = 1) and log p(x0) does L_K close?",
    ["almost none (< 10%)", "about half", "almost all (> 90%)"],
    answer="almost all (> 90%)",
    explanation="This q is wider than the posterior, so the weights w are bounded and have a "
    "small variance; the gap of L_K shrinks roughly like Var[w]/(2K p(x)²). A q narrower "
    "than the posterior would close the gap far more slowly.",
)

# %%
gen = torch.Generator().manual_seed(7)
Ks, reps = [1, 2, 4, 8, 16, 64, 256, 1000], 400
L_K, se_K = [], []
for K in Ks:
    zK = q.loc + q.scale * torch.randn(reps, K, generator=gen)  # (reps, K) draws from q
    lw = true.likelihood(zK[..., None]).log_prob(x0) + Normal(0.0, 1.0).log_prob(zK) - q.log_prob(zK)
    est = torch.logsumexp(lw, 1) - math.log(K)  # one estimate of L_K per repetition
    L_K.append(est.mean().item())
    se_K.append((est.std() / math.sqrt(reps)).item())
print("K:  ", Ks)
print("L_K:", [round(v, 4) for v in L_K], f"; ELBO {elbo_exact:.4f}, log p(x0) {log_px:.4f}")
assert abs(L_K[0] - elbo_exact) < 5 * se_K[0]  # L_1 is the ELBO
assert all(v < log_px + 5 * s for v, s in zip(L_K, se_K, strict=True))  # L_K <= log p(x)
assert all(b > a - 5 * math.hypot(sa, sb)  # L_K rises with K
           for a, b, sa, sb in zip(L_K, L_K[1:], se_K, se_K[1:], strict=False))
assert L_K[-1] - elbo_exact > 0.9 * (log_px - elbo_exact)  # K = 1000 closes > 90% of the gap

# %% [markdown]
# *Figure: $\mathcal L_K$ (nats, y axis, with ±2 standard errors) against the number of samples
# $K$ (log scale, x axis). It starts at the ELBO (dotted line, $K = 1$) and climbs towards the
# exact $\log p(x_0)$ (dashed line), never crossing it.*

# %%
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.errorbar(Ks, L_K, yerr=[2 * s for s in se_K], fmt="o-", capsize=3, label="L_K (Monte Carlo)")
ax.axhline(log_px.item(), ls="--", c="black", label="log p(x0), exact")
ax.axhline(elbo_exact.item(), ls=":", c="gray", label="ELBO = L_1, exact")
ax.set_xscale("log")
ax.set(xlabel="number of importance samples K", ylabel="bound on log p(x0) (nats)",
       title="L_1 <= L_K <= log p(x): more samples, tighter bound")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 8. The ELBO gap, live
#
# Move $q$'s mean and log-variance and watch the bar: $\log p(x)$ never changes, the ELBO and the
# KL trade places. The **E-step** button sets $q$ to the exact posterior and the KL drops to zero.

# %%
explorer = elbo_gap_explorer(model, x[0])
print({k: round(v, 4) for k, v in explorer.numbers.items()})
explorer.button.click()  # what the E-step button does
print({k: round(v, 4) for k, v in explorer.numbers.items()})
assert explorer.numbers["kl"] < 1e-9
explorer.sliders[0].value = 0.0  # back to a poor q so the bar has a gap to show
explorer

# %% [markdown]
# *Widget: two sliders, $q$'s mean and log-variance, and an **E-step** button; beside them a
# table of $\log p(x)$, the ELBO, the KL and ELBO + KL − $\log p(x)$ (always 0), in nats; a plot
# of the densities $p(z\mid x)$ (blue, filled) and $q(z)$ (orange, dashed) with the KL written
# in its corner; and two stacked bars on one scale, $\log p(x)$ on top and below it the ELBO
# followed by the KL. Moving a slider shifts the split between ELBO and KL; the E-step button
# closes the gap.*

# %% [markdown]
# ## Check your understanding
#
# 1. Why does the naive estimate $\frac1S\sum_s p(x\mid z_s)$, $z_s\sim p(z)$, get worse as the
#    posterior $p(z\mid x)$ becomes narrower?
# 2. The ELBO equals $\log p(x)$ exactly when $q = p(z\mid x)$. Why can a VAE's encoder usually not
#    reach that, even with unlimited training?
# 3. Which term of the ELBO would you inspect if all codes collapse onto the prior?
# 4. In the EM check above, which of the two inequalities is tight after the next E step?
# 5. One estimate of $\mathcal L_K$ from a single set of $K$ draws came out above $\log p(x)$. Is
#    the inequality $\mathcal L_K \le \log p(x)$ broken? What would you compute to find out?
#
# Answers are in `solutions/01_latent_variable_models_and_elbo`.
#
# ## References
# - Kingma & Welling (2014), *Auto-Encoding Variational Bayes*, Sec. 2.
# - Burda, Grosse & Salakhutdinov (2016), *Importance Weighted Autoencoders*, Thm. 1.
# - Tipping & Bishop (1999), *Probabilistic Principal Component Analysis*.
# - Neal & Hinton (1998), *A view of the EM algorithm that justifies incremental, sparse, and other variants*.
