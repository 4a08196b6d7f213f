# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 01: latent variable models and the ELBO
#
# Lecture 01 checked every step of the ELBO on the linear-Gaussian latent variable model
#
# $$z \sim \mathcal N(0, I_k), \qquad x\mid z \sim \mathcal N(Wz + b,\ \sigma^2 I_d),$$
#
# where everything is known in closed form. Here you write those steps yourself: the joint
# log-density, the exact posterior (the E step), a Monte Carlo estimate of the ELBO, and the
# M step. Together, your E and M steps are EM.
#
# **Goals.** After these exercises you can
# - write $\log p(x, z)$ of a latent variable model with every constant;
# - compute the posterior of a linear-Gaussian model;
# - estimate the ELBO by Monte Carlo, and tell it apart from an estimate of $\log p(x)$;
# - derive and implement the M step from expected sufficient statistics.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. Shapes: `x` is `(n, d)`, `z` is `(n, k)`,
# `W` is `(d, k)`, `b` is `(d,)` and `sigma` (the noise standard deviation) a Python float.
# The written questions at the end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex01_log_joint")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | transcription | 1 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | derivation | 3 |
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **11** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex01_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells
from genlab.theory import LinearGaussianLVM

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.set_default_dtype(torch.float64)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_log_joint_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The joint log-density (1 point, transcription)
#
# Write `log_joint(x, z, W, b, sigma)`, one value per data point, `(n,)`:
#
# $$\log p(x, z) = \log \mathcal N(x;\ Wz + b,\ \sigma^2 I_d) + \log \mathcal N(z;\ 0, I_k),
# \qquad \log\mathcal N(x; m, s^2 I_d) = -\frac{\|x - m\|^2}{2s^2} - d\log s - \frac d2\log 2\pi.$$
#
# Write it so that extra leading dimensions of `z` broadcast against `x` (question 3 calls it
# with `z` of shape `(L, n, k)`).


# %% nbgrader={"grade": false, "grade_id": "ex01_log_joint_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_joint(x, z, W, b, sigma):
    """log p(x, z) of the linear-Gaussian model: (n, d), (..., n, k) -> (..., n)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex01_log_joint", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex01_log_joint", log_joint)

# %% [markdown]
# Integrating the joint over $z$ gives $p(x)$: on a fine grid of $z$ (here $k = 1$),
# $\log p(x) \approx \log\sum_j p(x, z_j)\,\Delta z$, which matches genlab's closed form.

# %%
model = LinearGaussianLVM(torch.tensor([[2.0], [1.0]]), torch.tensor([0.5, -1.0]), 0.4)
x0 = torch.tensor([[1.0, -0.5]])
grid = torch.linspace(-8, 8, 4001).reshape(-1, 1, 1)  # (G, 1, k): broadcasts against x0
log_p = torch.logsumexp(log_joint(x0, grid, model.W, model.b, 0.4), 0) + math.log(16 / 4000)
print(f"grid {log_p.item():.6f}, closed form {model.log_marginal(x0).item():.6f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_posterior_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The posterior, or the E step (1 point, transcription)
#
# For this model the posterior is Gaussian (Tipping & Bishop 1999):
#
# $$p(z\mid x) = \mathcal N\!\left(M^{-1}W^\top(x - b),\ \sigma^2 M^{-1}\right),
# \qquad M = W^\top W + \sigma^2 I_k.$$
#
# Write `posterior(x, W, b, sigma)`, returning `(mean, cov)`: the posterior means of all data
# points, `(n, k)`, and the covariance, `(k, k)`, which is the same for every $x$.


# %% nbgrader={"grade": false, "grade_id": "ex01_posterior_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def posterior(x, W, b, sigma):
    """Mean (n, k) and covariance (k, k) of p(z | x) for every row of x."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex01_posterior", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex01_posterior", posterior)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_elbo_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. A Monte Carlo estimate of the ELBO (1 point, transcription)
#
# For a Gaussian $q(z\mid x) = \mathcal N(m, \operatorname{diag} e^{\text{logvar}})$ per data
# point and $L$ samples $z^{(l)} = m + \sigma_q\,\epsilon^{(l)}$ with
# $\sigma_q = e^{\text{logvar}/2}$,
#
# $$\mathcal L(x) \approx \frac1L\sum_{l=1}^{L}\Big(\log p(x, z^{(l)}) - \log q(z^{(l)}\mid x)\Big).$$
#
# Write `elbo_estimate(x, W, b, sigma, m, logvar, eps)` with `m`, `logvar` of shape `(n, k)`
# and `eps` of shape `(L, n, k)`, returning one estimate per data point, `(n,)`. You may use
# your `log_joint`.


# %% nbgrader={"grade": false, "grade_id": "ex01_elbo_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def elbo_estimate(x, W, b, sigma, m, logvar, eps):
    """Monte Carlo ELBO of each row of x under q = N(m, diag exp(logvar)); eps: (L, n, k)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex01_elbo", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex01_elbo", elbo_estimate)

# %% [markdown]
# With many samples the estimate approaches genlab's closed-form ELBO, and it stays below
# $\log p(x)$ (the gap is $D_{KL}(q\,\|\,p(z\mid x))$):

# %%
x = model.sample(3, generator=torch.Generator().manual_seed(0)).x
post = model.posterior(x)  # q: the posterior's mean, with a variance 1.5 times too large
m, logvar = post.loc, torch.log(1.5 * post.covariance_matrix[:, :, 0])
estimate = elbo_estimate(x, model.W, model.b, 0.4, m, logvar, torch.randn(20_000, 3, 1))
q = torch.distributions.MultivariateNormal(m, torch.diag_embed(logvar.exp()))
print("Monte Carlo ELBO", [round(v, 3) for v in estimate.tolist()])
print("closed form     ", [round(v, 3) for v in model.elbo(x, q).tolist()])
print("log p(x)        ", [round(v, 3) for v in model.log_marginal(x).tolist()])

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_m_step_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The M step (3 points, derivation)
#
# Given the posterior means `m` `(n, k)` and the shared posterior covariance `S` `(k, k)` (your
# E step, $q_i = \mathcal N(m_i, S)$), the M step maximises $\sum_i \mathcal L(x_i; q_i)$ over
# $W$, $b$ and $\sigma$. The formula is not printed: derive it.
#
# 1. Write $\sum_i \mathbb E_{q_i}\big[\log \mathcal N(x_i;\ W z_i + b,\ \sigma^2 I_d)\big]$ as a
#    function of $W$, $b$, $\sigma$, using only $\mathbb E[z_i]$ and $\mathbb E[z_i z_i^\top]$
#    (the prior term does not depend on them).
# 2. Set its gradient with respect to $W$ and $b$ to zero. Estimate them *jointly*: stack
#    $\tilde z = [z; 1]$ and $\tilde W = [W, b]$, and you get one linear system.
# 3. Set its derivative with respect to $\sigma^2$ to zero, at the new $W$ and $b$.
#
# Write `m_step(x, m, S)`, returning `(W, b, sigma)` with `sigma` a 0-d tensor.


# %% nbgrader={"grade": false, "grade_id": "ex01_m_step_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def m_step(x, m, S):
    """New (W (d, k), b (d,), sigma ()) from posterior means m (n, k) and covariance S (k, k)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex01_m_step", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex01_m_step", m_step)

# %% [markdown]
# Your E step and M step, alternated, are EM: the log-likelihood never decreases.

# %%
x = model.sample(300, generator=torch.Generator().manual_seed(1)).x
W, b, sigma = torch.tensor([[0.1], [-0.1]]), torch.zeros(2), torch.tensor(3.0)
for step in range(30):
    m, S = posterior(x, W, b, float(sigma))
    W, b, sigma = m_step(x, m, S)
    if step % 10 == 0 or step == 29:
        log_px = LinearGaussianLVM(W, b, sigma).log_marginal(x).sum()
        print(f"step {step:2d}: sum log p(x) = {log_px.item():.2f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# Answer each question in the cell below it, in a few sentences.
#
# **1.** Why does the naive estimate $\frac1S\sum_s p(x\mid z_s)$, $z_s\sim p(z)$, get worse as
# the posterior $p(z\mid x)$ becomes narrower?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex01_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** The ELBO equals $\log p(x)$ exactly when $q = p(z\mid x)$. Why can a VAE's encoder
# usually not reach that, even with unlimited training?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex01_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** Which term of the ELBO would you inspect if all codes collapse onto the prior?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex01_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** In the EM check of lecture 01,
# $\log p_{\theta_t}(x) = \mathcal L(q_{t+1}, \theta_t) \le \mathcal L(q_{t+1}, \theta_{t+1}) \le
# \log p_{\theta_{t+1}}(x)$. Which of the two inequalities is tight after the next E step?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex01_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** One estimate of $\mathcal L_K$ from a single set of $K$ draws came out above
# $\log p(x)$. Is the inequality $\mathcal L_K \le \log p(x)$ broken? What would you compute to
# find out?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex01_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex01_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Kingma & Welling (2014), *Auto-Encoding Variational Bayes*, Sec. 2.
# - Tipping & Bishop (1999), *Probabilistic Principal Component Analysis*.
# - Neal & Hinton (1998), *A view of the EM algorithm that justifies incremental, sparse, and other variants*.
