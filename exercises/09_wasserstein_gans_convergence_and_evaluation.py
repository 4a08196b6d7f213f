# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 09: Wasserstein GANs, convergence and evaluation
#
# Lecture 09 replaced the JSD by the Wasserstein-1 distance, kept a critic Lipschitz with a
# gradient penalty, watched the Dirac-GAN circle its equilibrium, and measured generators
# with the Fréchet distance. Here you write those tools yourself, and repair a WGAN-GP critic
# loop that runs without an error but learns the wrong thing.
#
# **Goals.** After these exercises you can
# - compute $W_1$ between two 1-D samples exactly;
# - write WGAN-GP's gradient penalty so that it trains the critic;
# - compute the Fréchet distance between two Gaussians (the heart of FID);
# - derive the eigenvalues of a gradient-step map at a game's equilibrium and read off
#   whether the iterates converge;
# - find bugs in a training loop from what it does rather than from an error message;
# - keep a critic's slope at 1, so that its gap measures $W_1$.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. Questions 1 and 4 print no formula to
# copy: derive it first, on paper. The written questions at the end are graded by hand.
# Time: about 60 minutes.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex09_wasserstein_1d")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | derivation | 3 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | derivation | 3 |
# | 5 | debug | 3 |
# | 6 | experiment | 3 |
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **19** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup
#
# `critic(x, W, b, w)` is the small critic of question 2: one hidden layer of $h$ tanh units,
# scores $\tanh(xW + b)\,w$ for a batch `x` of shape `(B, d)` (a critic's score has no sigmoid).

# %% nbgrader={"grade": false, "grade_id": "ex09_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from torch import nn

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.manual_seed(0)


def critic(x, W, b, w):
    """Scores tanh(x W + b) w: (B, d) -> (B,)."""
    return torch.tanh(x @ W + b) @ w


# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_wasserstein_1d_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. $W_1$ between two 1-D samples (3 points, derivation)
#
# For two distributions on the real line, $W_1(p, q) = \int |F_p(t) - F_q(t)|\,dt$, the area
# between their CDFs. Take two samples `x` and `y` of the **same size** $n$ (shape `(n,)`),
# each the distribution that puts mass $1/n$ on each of its points. Work out on paper what the
# area between their two staircase CDFs is (hint: draw both staircases for $n = 2$, and
# turn the picture sideways), then write `wasserstein_1d(x, y)` returning it as a 0-d tensor
# in the inputs' dtype.

# %% nbgrader={"grade": false, "grade_id": "ex09_wasserstein_1d_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def wasserstein_1d(x, y):
    """Exact W1 between the empirical distributions of x (n,) and y (n,): -> ()."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex09_wasserstein_1d", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex09_wasserstein_1d", wasserstein_1d)

# %% [markdown]
# Two samples of $N(0, 1)$ and $N(0, 4)$ have the same mean but $W_1 = 2\,\mathbb E|z|\cdot
# \frac12 = \sqrt{2/\pi} \approx 0.80$ (the quantile functions are $\Phi^{-1}$ and
# $2\Phi^{-1}$). Your function, on 20,000 draws of each:

# %%
g = torch.Generator().manual_seed(1)
print(f"{float(wasserstein_1d(torch.randn(20_000, generator=g), 2 * torch.randn(20_000, generator=g))):.3f}"
      f" vs sqrt(2/pi) = {(2 / torch.pi) ** 0.5:.3f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_gradient_penalty_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The gradient penalty (1 point, transcription)
#
# WGAN-GP (Gulrajani et al. 2017) keeps the critic $f$ near 1-Lipschitz by penalising, at
# random points $\hat x = \epsilon\,x_{real} + (1 - \epsilon)\,x_{fake}$ between real and fake
# samples (one $\epsilon \in [0, 1]$ per sample, given as `eps` of shape `(B,)`),
#
# $$\mathrm{GP} = \frac1B \sum_b \big(\|\nabla_{\hat x} f(\hat x_b)\|_2 - 1\big)^2 .$$
#
# Write `gradient_penalty(x_real, x_fake, eps, W, b, w)` for the critic `critic(x, W, b, w)`
# above, returning GP as a 0-d tensor. It is added to the critic's loss, so it must itself be
# differentiable in the critic's parameters `W, b, w`.

# %% nbgrader={"grade": false, "grade_id": "ex09_gradient_penalty_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_penalty(x_real, x_fake, eps, W, b, w):
    """Two-sided penalty (||grad f(x_hat)|| - 1)^2, mean over the batch: -> ()."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex09_gradient_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex09_gradient_penalty", gradient_penalty)


# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_frechet_distance_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The Fréchet distance (1 point, transcription)
#
# FID fits a Gaussian to each set of feature vectors and reports the squared Fréchet
# (Wasserstein-2) distance between the two Gaussians (Dowson & Landau 1982):
#
# $$d^2 = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1\Sigma_2)^{1/2}\big).$$
#
# Write `frechet_distance(mu1, cov1, mu2, cov2)` (shapes `(d,)`, `(d, d)`, float64), returning
# $d^2$ as a 0-d tensor. `cov2` may be singular. Hint: you need only the *trace* of the matrix
# square root; $\Sigma_1\Sigma_2$ is similar to the symmetric PSD matrix
# $\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}$, so its eigenvalues are real and $\ge 0$, and the trace
# of the square root is the sum of their square roots.

# %% nbgrader={"grade": false, "grade_id": "ex09_frechet_distance_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def frechet_distance(mu1, cov1, mu2, cov2):
    """Squared Fréchet distance between N(mu1, cov1) and N(mu2, cov2): -> ()."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex09_frechet_distance", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex09_frechet_distance", frechet_distance)


# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_dirac_eigenvalues_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Why simultaneous steps spiral out (3 points, derivation)
#
# The Dirac-GAN: data at $x = 0$, generator $\delta_\theta$, discriminator $D_\psi(x) = \psi x$,
# the GAN's $f(t) = -\log(1 + e^{-t})$ and an R1 penalty of weight $\gamma$. Its gradient
# vector field is
#
# $$v(\theta, \psi) = \big(-\psi f'(\psi\theta),\ \ \theta f'(\psi\theta) - \gamma\psi\big),$$
#
# and one *simultaneous* gradient step of size $h$ is
# $(\theta, \psi) \leftarrow (\theta, \psi) + h\, v(\theta, \psi)$.
#
# Linearise this step at the equilibrium $(0, 0)$ (derive the Jacobian of $v$ there by hand)
# and write `step_moduli(lr, gamma)` returning the **moduli of the two eigenvalues** of the
# linearised step, largest first: a tensor of shape `(2,)` in the dtype of `lr` (`lr` and
# `gamma` are 0-d tensors). A modulus above 1 means the iterates move away from the
# equilibrium. You may compute the eigenvalues of your matrix with `torch.linalg.eigvals`.

# %% nbgrader={"grade": false, "grade_id": "ex09_dirac_eigenvalues_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def step_moduli(lr, gamma):
    """|eigenvalues| of the linearised simultaneous step at (0, 0), largest first: -> (2,)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex09_dirac_eigenvalues", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex09_dirac_eigenvalues", step_moduli)

# %% [markdown]
# Without R1 both moduli are $\sqrt{1 + h^2/4} > 1$ for every step size: simultaneous steps
# spiral out, however small $h$ is. With $\gamma > 0$ a small enough step brings them below 1.

# %%
for gamma in (0.0, 0.5):
    print(f"gamma = {gamma}:", [round(float(m), 4) for m in step_moduli(torch.tensor(0.1, dtype=torch.float64),
                                                                     torch.tensor(gamma, dtype=torch.float64))])

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_wgan_gp_loop_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. A critic loop with two bugs (3 points, debug)
#
# The loop below trains a WGAN-GP critic to estimate $W_1$ between $p = N(\mu, \sigma^2)$ and
# $q = N(0, 1)$: the inner loop of every WGAN-GP. It runs without an error, and it is wrong in
# two places. Run it, compare its estimate with the exact $W_1$ (your function of question 1
# on large samples) and its slope with 1, and find the bugs.
#
# Then write the repaired loop as `train_critic(seed, mu, sigma)` in the answer cell: same
# network, same optimiser, same draws in the same order, and return
# `torch.stack([estimate, slope])`. It is judged by what it does on fresh seeds and fresh
# $(\mu, \sigma)$: its estimate and slope must land where a correct loop lands (within 0.3).

# %% nbgrader={"grade": false, "grade_id": "ex09_buggy_loop", "locked": true, "schema_version": 3, "solution": false, "task": false}
def train_critic_given(seed, mu, sigma):
    """A WGAN-GP critic for W1(N(mu, sigma^2), N(0, 1)); returns [estimate, mean slope]."""
    torch.manual_seed(seed)
    dt = torch.float64
    f = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Flatten(0)).to(dt)
    with torch.no_grad():  # f = 0 at the start
        f[2].weight.zero_()
        f[2].bias.zero_()
    optimizer = torch.optim.Adam(f.parameters(), lr=0.01, betas=(0.5, 0.9))
    for _ in range(120):
        x_p = mu + sigma * torch.randn(64, 1, dtype=dt)
        x_q = torch.randn(64, 1, dtype=dt)
        # gradient penalty at random interpolates
        eps = torch.rand(64, 1, dtype=dt)
        x_hat = (eps * x_p + (1 - eps) * x_q).requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x_hat).sum(), x_hat)
        gp = (grad.norm(dim=1) - 1).pow(2).mean()
        loss = f(x_p).mean() - f(x_q).mean()
        optimizer.zero_grad()
        (loss + 10.0 * gp).backward()
        optimizer.step()
    # the estimate E_p f - E_q f and the slope |f'| on fresh samples
    x_p = mu + sigma * torch.randn(2000, 1, dtype=dt)
    x_q = torch.randn(2000, 1, dtype=dt)
    eps = torch.rand(2000, 1, dtype=dt)
    with torch.no_grad():
        estimate = f(x_p).mean() - f(x_q).mean()
    x_hat = (eps * x_p + (1 - eps) * x_q).requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x_hat).sum(), x_hat)
    return torch.stack([estimate, grad.norm(dim=1).mean()])


estimate, slope = train_critic_given(0, 2.0, 0.5).tolist()
print(f"given loop, mu = 2, sigma = 0.5: estimate {estimate:.2f}, slope {slope:.2f}")


# %% nbgrader={"grade": false, "grade_id": "ex09_wgan_gp_loop_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_critic(seed, mu, sigma):
    """The repaired loop: same draws in the same order; returns [estimate, mean slope]."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex09_wgan_gp_loop", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex09_wgan_gp_loop", train_critic)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_critic_estimate_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. A critic that measures W1: an experiment (3 points, experiment)
#
# By Kantorovich-Rubinstein, $W_1(p, q) = \sup_{\|f\|_L \le 1} \mathbb E_p f - \mathbb E_q f$:
# a trained critic's gap estimates $W_1$ only if its slope is held at (about) 1.
# `genlab.wgan.fit_critic(p, q, lipschitz, steps, lr, clip, gp_weight, seed)` trains the
# lecture's MLP critic between two samples (full batches of their first halves) and reports
# `.estimate`, the gap on their held-out second halves, and `.slope`, the largest gradient
# norm seen there. `lipschitz` is one of `genlab.wgan.LIPSCHITZ`: `"none"`, `"clip"` (every
# weight in $[-$`clip`$, $`clip`$]$ after each step), `"gp"` (`gp_weight` times the gradient
# penalty) or `"sn"` (spectral normalisation). The budget: at most 300 steps, a learning rate
# up to 0.05, `clip` up to 1 and `gp_weight` up to 100.
#
# **Experiment**: the two distributions are 2-D Gaussians, $p = \mathcal N(d, \sigma^2 I)$ and
# $q = \mathcal N(0, \sigma^2 I)$, 2,000 samples of each. $p$ is $q$ moved by $d$, so
# $W_1 = \|d\|$ exactly. Choose settings with which the estimate lands within 25% of
# $\|d\|$, and return them from `choose_critic(dx, dy, sigma)` as a tuple
# `(lipschitz, steps, lr, clip, gp_weight)` (the number your constraint does not use is
# ignored). The check below fits once, on one seed you have not seen; at grading, the grader
# fits with your settings on 4 more seeds, for $d$ and $\sigma$ you have not seen
# ($1 \le \|d\| \le 2$, $0.5 \le \sigma \le 1.5$), in its own process: at least 3 of the 4
# estimates must land within 25% of $\|d\|$.

# %% nbgrader={"grade": false, "grade_id": "ex09_critic_estimate_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.device import one_thread
from genlab.wgan import fit_critic

g = torch.Generator().manual_seed(0)
q_demo = torch.randn(2000, 2, generator=g, dtype=torch.float64)
p_demo = torch.tensor([1.2, -0.9], dtype=torch.float64) + torch.randn(2000, 2, generator=g, dtype=torch.float64)
with one_thread():  # a small critic: threads only add overhead
    fit = fit_critic(p_demo, q_demo, "clip", steps=50, lr=0.003, clip=0.01, seed=0)
print(f"W1 = {1.5:.3f}; clipped at 0.01, 50 steps: estimate {fit.estimate:.4f}, largest slope {fit.slope:.4f}")


# %% nbgrader={"grade": false, "grade_id": "ex09_critic_estimate_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_critic(dx, dy, sigma):
    """(lipschitz, steps, lr, clip, gp_weight) with which the critic's gap estimates W1."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "ex09_critic_estimate", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex09_critic_estimate", choose_critic)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the questions at the end of lecture 09. Answer each in the cell below it, in a
# few sentences.
#
# **1.** Two point masses $\delta_0$ and $\delta_\theta$ with $\theta \ne 0$: what are their
# JSD and $W_1$, and what does each give the generator to learn from as $\theta$ moves?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex09_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** Why does weight clipping limit what a critic can represent, and how does the gradient
# penalty avoid that?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex09_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** In the Dirac-GAN, alternating steps orbit and simultaneous steps spiral out. What do
# R1 and instance noise change in the Jacobian at the equilibrium, and why does that make the
# iterates converge?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex09_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** Why must two FIDs be computed with the same number of samples to be compared? What
# does the "data vs data" FID tell you?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex09_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** A generator has precision 0.95 and recall 0.30; another has precision 0.50 and
# recall 0.85. Describe what their samples look like, and why one FID number could not tell
# you this.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex09_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex09_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - Arjovsky, Chintala & Bottou (2017), *Wasserstein GAN*, ICML.
# - Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville (2017), *Improved Training of Wasserstein GANs*, NeurIPS.
# - Mescheder, Geiger & Nowozin (2018), *Which Training Methods for GANs do actually Converge?*, ICML, Sec. 2-3.
# - Dowson & Landau (1982), *The Fréchet distance between multivariate normal distributions*, J. Multivariate Analysis.
# - Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter (2017), *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium*, NeurIPS (FID).
# - Kynkäänniemi, Karras, Laine, Lehtinen & Aila (2019), *Improved Precision and Recall Metric for Assessing Generative Models*, NeurIPS.
