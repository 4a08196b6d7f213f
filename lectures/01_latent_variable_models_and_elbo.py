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
# can be verified to machine precision for *any* $q$, and learning by EM can be watched step by step.
#
# **Learning goals.** After this lecture you can
# - state why maximum likelihood is hard for latent variable models;
# - derive the ELBO with Jensen's inequality and say exactly how far it is below $\log p(x)$;
# - split the ELBO into a regularization term and a reconstruction term;
# - describe EM as coordinate ascent on the ELBO, and explain why the likelihood never decreases.
#
# *Estimated time: 35 minutes (the notebook runs in well under a minute on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

import genlab
import genlab.plots
from genlab.losses import gaussian_kl
from genlab.theory import LinearGaussianLVM
from genlab.widgets import elbo_gap_explorer

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

# %%
true = LinearGaussianLVM(W=torch.tensor([[2.0], [1.0]]), b=torch.tensor([0.5, -1.0]), sigma=0.4)
data = true.sample(500, generator=torch.Generator().manual_seed(0))
x, z = data  # observations (500, 2) and the latent causes that generated them (500, 1)

fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.scatter(*x.T, c=z[:, 0], cmap="coolwarm", s=8)
ax.set_title("x coloured by its latent z")
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
# repeated estimates shows it:

# %%
for S in (10, 100, 1000):
    estimates = torch.stack([
        torch.logsumexp(true.likelihood(torch.randn(S, 1)).log_prob(x0), 0) - math.log(S)
        for _ in range(200)
    ])
    print(f"S = {S:5d}: log p(x0) estimates {estimates.mean():.3f} +- {estimates.std():.3f} "
          f"(exact {log_px:.3f})")

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
# First Jensen itself, on the random variable $Y = p(x,z)/q(z)$:

# %%
# some q(z): near the posterior of x0 but shifted and wider (so that Y has a finite variance)
post_x0 = true.posterior(x0)
q = Normal(post_x0.loc[0, 0] + 0.2, 1.5 * post_x0.covariance_matrix[0, 0, 0].sqrt())
zq = q.sample((200_000,))[:, None]
log_w = true.likelihood(zq).log_prob(x0) + Normal(0.0, 1.0).log_prob(zq[:, 0]) - q.log_prob(zq[:, 0])
log_mean_w = torch.logsumexp(log_w, 0) - math.log(len(log_w))  # log E_q[Y]
mean_log_w = log_w.mean()  # E_q[log Y]
print(f"log E_q[Y] = {log_mean_w:.4f} (-> log p(x0) = {log_px:.4f});  E_q[log Y] = {mean_log_w:.4f}")
assert mean_log_w < log_mean_w and abs(log_mean_w - log_px) < 0.01

# %% [markdown]
# $\mathbb E_q[\log Y]$ is the ELBO. `LinearGaussianLVM.elbo` computes it in closed form for a
# Gaussian $q$; the Monte Carlo average above must agree with it:

# %%
q_mvn = MultivariateNormal(q.loc[None, None], covariance_matrix=q.scale[None, None, None] ** 2)
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
# from a deliberately poor starting model:

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
ax.plot(history, "o-")
ax.axhline(true.log_marginal(x).sum().item(), ls="--", c="gray", label="generating model")
ax.set_xlabel("EM step")
ax.set_ylabel("sum log p(x)")
ax.legend()
plt.show()
print("fitted:", model, " W =", model.W.flatten().tolist(), "(the sign of W is not identifiable)")

# %% [markdown]
# A VAE does the same two things at once and approximately: the encoder network *amortises*
# the E step (one network outputs $q_\phi(z\mid x)$ for every $x$, instead of an exact posterior
# per point), and both $\phi$ and $\theta$ follow the gradient of the ELBO (lecture 02).
#
# ## 7. The ELBO gap, live
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
# ## Check your understanding
#
# 1. Why does the naive estimate $\frac1S\sum_s p(x\mid z_s)$, $z_s\sim p(z)$, get worse as the
#    posterior $p(z\mid x)$ becomes narrower?
# 2. The ELBO equals $\log p(x)$ exactly when $q = p(z\mid x)$. Why can a VAE's encoder usually not
#    reach that, even with unlimited training?
# 3. Which term of the ELBO would you inspect if all codes collapse onto the prior?
# 4. In the EM check above, which of the two inequalities is tight after the next E step?
#
# Answers are in `solutions/01_latent_variable_models_and_elbo`.
#
# ## References
# - Kingma & Welling (2014), *Auto-Encoding Variational Bayes*, Sec. 2.
# - Tipping & Bishop (1999), *Probabilistic Principal Component Analysis*.
# - Neal & Hinton (1998), *A view of the EM algorithm that justifies incremental, sparse, and other variants*.
