# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises 04: VAEs for vision
#
# Lecture 04 trained a VQ-VAE, whose codes are the nearest of $K$ learned codebook vectors, and
# a DC-IGN, whose latent units are tied to generative factors by clamping them to their batch
# mean. Here you write the pieces that make those two models work: the quantizer with its
# straight-through gradient, the codebook and commitment losses with their stop-gradients, the
# perplexity that measures how many codes are in use, and DC-IGN's clamping.
#
# **Goals.** After these exercises you can
# - quantize encoder outputs to their nearest codes and let the gradient pass straight through;
# - put the stop-gradients of the VQ-VAE loss in the right places, and say what each term trains;
# - measure codebook use by the perplexity of the code frequencies;
# - clamp latent units to their batch mean in the forward pass and pull them in the backward pass;
# - keep a VQ-VAE's codebook in use, and measure it.
#
# **How to work.** Replace each `raise NotImplementedError()` with your code, then run the
# check cell below it: ✔, or ✘ with what is wrong. Several questions are about *gradients*:
# the check computes them too, and tells you when the values are right but a gradient is
# missing or goes where it should not. Shapes follow `genlab.models.vqvae`: the encoder output
# `z_e` is `(B, D, h, w)` (a grid of $h \times w$ vectors of size $D$, channels first) and the
# codebook is `(K, D)`. The written questions at the end are graded by hand.
#
# **Points and hints.** Points follow what a question asks: 1 for writing down a formula
# the sheet prints (transcription), 3 for one you derive first (derivation) or for a
# training loop you repair (debug), 3 or 4 for an experiment that must reach a stated
# result. Stuck? `hint("ex04_vq_quantize")` in a scratch cell shows that question's next hint:
# first a nudge, then the key step, then the shape of the answer. A ✔ means your function
# passed the visible checks; grading tries more inputs, so it is not yet your grade.
#
# | question | kind | points |
# |---|---|---|
# | 1 | transcription | 1 |
# | 2 | transcription | 1 |
# | 3 | transcription | 1 |
# | 4 | transcription | 1 |
# | 5 | derivation | 3 |
# | 6 | debug | 3 |
# | 7 | experiment | 3 |
# | check your understanding | written, graded by hand | 5 |
# | **total** | | **18** |

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_setup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "ex04_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch

import genlab
import genlab.plots
from genlab.grading import check, hint  # noqa: F401 - hint() is for your scratch cells

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
torch.manual_seed(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_vq_quantize_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. Nearest-code quantization with the straight-through estimator (1 point, transcription)
#
# Each vector $z_e$ of the grid is replaced by its nearest code,
#
# $$k = \arg\min_j \|z_e - e_j\|_2, \qquad z_q = e_k.$$
#
# The arg min has no gradient, so the decoder's gradient would never reach the encoder. The
# *straight-through* estimator copies it: $z_q = z_e + \mathrm{sg}[e_k - z_e]$ has the value
# $e_k$ and the gradient of $z_e$ (in torch, `sg[...]` is `.detach()`).
#
# Write `vq_quantize(z_e, codebook)` for `z_e` of shape `(B, D, h, w)` and `codebook` `(K, D)`,
# returning `(quantized, indices)`: `quantized` `(B, D, h, w)`, the codes in `z_e`'s layout with
# the straight-through gradient, and `indices` `(B, h, w)` (int64), the nearest code of each
# vector. Hint: move the code dimension last (`z_e.movedim(1, -1)`), compare with every code by
# broadcasting, and move it back at the end.


# %% nbgrader={"grade": false, "grade_id": "ex04_vq_quantize_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vq_quantize(z_e, codebook):
    """Nearest codes of z_e (B, D, h, w) with a straight-through gradient; indices (B, h, w)."""
    ### BEGIN SOLUTION
    z = z_e.movedim(1, -1)  # (B, h, w, D)
    distance = ((z.unsqueeze(-2) - codebook) ** 2).sum(-1)  # (B, h, w, K)
    indices = distance.argmin(-1)  # (B, h, w)
    e = codebook[indices].movedim(-1, 1)  # (B, h, w, D) -> (B, D, h, w)
    quantized = z_e + (e - z_e).detach()  # value e, gradient of z_e
    return quantized, indices
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_vq_quantize", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04_vq_quantize", vq_quantize)
### BEGIN HIDDEN TESTS
check("ex04_vq_quantize", vq_quantize, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The quantized values are codebook rows, and whatever gradient arrives at `quantized` reaches
# `z_e` unchanged:

# %%
codebook = torch.randn(5, 3)
z_e = torch.randn(2, 3, 2, 2, requires_grad=True)
quantized, indices = vq_quantize(z_e, codebook)
print("indices:\n", indices)
upstream = torch.randn_like(quantized)  # as if from the decoder
(grad,) = torch.autograd.grad((quantized * upstream).sum(), z_e)
print("gradient at z_e equals the upstream gradient:", torch.equal(grad, upstream))

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_vq_losses_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The codebook and commitment losses (1 point, transcription)
#
# The reconstruction loss trains the encoder (through the straight-through copy) and the
# decoder, but not the codebook. Two more terms do (van den Oord et al. 2017, Eq. 3):
#
# $$\mathcal L_{\text{codebook}} = \|\mathrm{sg}[z_e] - e\|_2^2, \qquad
# \mathcal L_{\text{commit}} = \beta\, \|z_e - \mathrm{sg}[e]\|_2^2,$$
#
# where $e$ are the chosen codes. The first moves the codes towards the encoder outputs and
# leaves the encoder alone; the second keeps the encoder close to its codes and leaves the codes
# alone. As in `genlab`, each squared norm is summed over a sample's code dimension and grid,
# then averaged over the batch.
#
# Write `vq_losses(z_e, codebook, beta)`, returning the two 0-d tensors
# `(codebook_loss, commit_loss)`. Use your `vq_quantize` for the indices.


# %% nbgrader={"grade": false, "grade_id": "ex04_vq_losses_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vq_losses(z_e, codebook, beta):
    """(||sg[z_e] - e||^2, beta ||z_e - sg[e]||^2): sums per sample, means over the batch."""
    ### BEGIN SOLUTION
    _, indices = vq_quantize(z_e, codebook)
    e = codebook[indices].movedim(-1, 1)  # (B, D, h, w), differentiable in the codebook
    codebook_loss = ((z_e.detach() - e) ** 2).sum((1, 2, 3)).mean()
    commit_loss = beta * ((z_e - e.detach()) ** 2).sum((1, 2, 3)).mean()
    return codebook_loss, commit_loss
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_vq_losses", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04_vq_losses", vq_losses)
### BEGIN HIDDEN TESTS
check("ex04_vq_losses", vq_losses, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The codebook term alone is k-means: each step moves every code towards the mean of the
# vectors assigned to it. Three clusters of "encoder outputs", and three codes started on one
# vector of each cluster, as k-means is usually started (genlab's data initialisation draws
# the codes from the encoder outputs at random, which can put two codes in one cluster; a code
# started far from every cluster might win no vector and stay dead):

# %%
centres = torch.tensor([[2.0, 0.0], [-1.0, 1.5], [-1.0, -1.5]])
vectors = centres.repeat_interleave(30, 0) + 0.3 * torch.randn(90, 2)  # (N, D)
points = vectors.T.reshape(1, 2, 90, 1)  # as an encoder output (B, D, h, w)
codes = vectors[[0, 30, 60]].clone().requires_grad_(True)  # one start in each cluster
for _ in range(100):
    (grad,) = torch.autograd.grad(vq_losses(points, codes, 0.25)[0], codes)
    with torch.no_grad():
        codes -= 0.01 * grad  # a gradient step on the codebook term
print("codes after training:\n", codes.detach().numpy().round(2))
print("cluster centres:\n", centres.numpy())
# each code ends at the mean of its cluster's 30 vectors (standard error 0.3/sqrt(30) = 0.055):
assert (torch.cdist(codes.detach(), centres).min(0).values < 0.25).all()

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_perplexity_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. How many codes are in use: the perplexity (1 point, transcription)
#
# With $n_k$ the number of times code $k$ is chosen among all $N$ indices of a batch and
# $p_k = n_k / N$, the perplexity
#
# $$\exp\Big(-\sum_k p_k \log p_k\Big)$$
#
# is the number of equally used codes that would have the same entropy: 1 if one code is
# always chosen, $K$ if all are used equally. Write `perplexity(indices, num_codes)` for
# `indices` of any shape (int64) and the codebook size `num_codes`, returning a 0-d float32
# tensor. Unused codes have $p_k = 0$ and contribute $0 \log 0 = 0$.


# %% nbgrader={"grade": false, "grade_id": "ex04_perplexity_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def perplexity(indices, num_codes):
    """exp(entropy of the code frequencies) over all indices: a 0-d float32 tensor."""
    ### BEGIN SOLUTION
    counts = torch.bincount(indices.reshape(-1), minlength=num_codes).float()
    p = counts / counts.sum()
    p = p[p > 0]  # 0 log 0 = 0
    return torch.exp(-(p * torch.log(p)).sum())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_perplexity", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04_perplexity", perplexity)
### BEGIN HIDDEN TESTS
check("ex04_perplexity", perplexity, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# All 8 codes used equally, one code only, and two codes of 8 used as often as each other:

# %%
for name, idx in (
    ("uniform over 8", torch.arange(8).repeat(4)),
    ("one code", torch.zeros(32, dtype=torch.long)),
    ("two codes", torch.tensor([1, 6]).repeat(16)),
):
    print(f"{name:>15}: perplexity {perplexity(idx, 8).item():.2f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_clamp_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. DC-IGN: clamping units to their batch mean (1 point, transcription)
#
# In a DC-IGN mini-batch only one factor varies. `free` `(Z,)` (bool) marks the units allowed to
# explain it; every other unit $j$ is clamped:
#
# - **forward**: each sample's $z_{bj}$ is replaced by the batch mean $\bar z_j =
#   \frac1B\sum_b z_{bj}$, treated as a constant ($\mathrm{sg}[\bar z_j]$), so no
#   reconstruction gradient reaches the clamped units;
# - **backward**: instead they are pulled towards $\bar z_j$ by the penalty
#   $$P_b = \frac\lambda2 \sum_{j\ \text{clamped}} (z_{bj} - \bar z_j)^2,$$
#   whose gradient is $\lambda (z_{bj} - \bar z_j)$.
#
# Write `clamp_to_batch_mean(z, free, pull)` for `z` of shape `(B, Z)` and `pull` $=\lambda$ (a
# float), returning `(z_tilde, penalty)`: `z_tilde` `(B, Z)` (free units unchanged, clamped
# units replaced by the detached batch mean) and `penalty` `(B,)`, one value per sample.


# %% nbgrader={"grade": false, "grade_id": "ex04_clamp_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clamp_to_batch_mean(z, free, pull):
    """(z with clamped units at their detached batch mean, per-sample pull penalty (B,))."""
    ### BEGIN SOLUTION
    clamped = ~free  # (Z,)
    z_bar = z.mean(0, keepdim=True).detach()  # (1, Z)
    z_tilde = torch.where(clamped, z_bar, z)  # (B, Z)
    penalty = 0.5 * pull * ((z - z_bar) ** 2 * clamped).sum(-1)  # (B, Z) -> (B,)
    return z_tilde, penalty
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_clamp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("ex04_clamp", clamp_to_batch_mean)
### BEGIN HIDDEN TESTS
check("ex04_clamp", clamp_to_batch_mean, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The two halves, on the batch of lecture 04: a reconstruction gradient reaches only the free
# unit 0, and the pull gradient $\lambda (z - \bar z)$, here divided by $B = 3$ because the
# penalty is averaged over the batch, only the clamped units 1 and 2.

# %%
z = torch.tensor([[1.0, 4.0, -1.0], [3.0, 0.0, 1.0], [2.0, 2.0, 3.0]], requires_grad=True)
z_tilde, penalty = clamp_to_batch_mean(z, torch.tensor([True, False, False]), pull=1.0)
(g_recon,) = torch.autograd.grad(z_tilde.sum(), z, retain_graph=True)
(g_pull,) = torch.autograd.grad(penalty.mean(), z)
print("forward:\n", z_tilde.detach().numpy())
print("reconstruction gradient:\n", g_recon.numpy())
print("pull gradient:\n", g_pull.numpy().round(3) + 0.0)  # + 0.0: no "-0."

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_blurry_decoder_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Why samples are blurry, derived (3 points, derivation)
#
# Lecture 04 blamed blurry samples on the Gaussian likelihood. Make that precise. Suppose the
# code $z$ cannot tell $K$ images apart: they reach the decoder with the same $z$ (a collapsed
# posterior, or a latent too small to separate them), image $x_k$ with probability $\pi_k$.
# The decoder must then output one mean $\mu$ and one variance $\sigma^2$ (shared by the $D$
# pixels) for all of them, and training drives them to the minimum of the expected loss
#
# $$\sum_{k=1}^{K} \pi_k \left(-\log \mathcal N(x_k;\ \mu,\ \sigma^2 I_D)\right).$$
#
# **Derive** the minimising $\mu$ and $\sigma^2$ (the formulas are not printed), and write
# `best_blurry_decoder(images, probs)` for `images` of shape `(K, D)` and `probs` `(K,)`,
# returning `(mean, variance)`: the mean image `(D,)` and the variance, a 0-d tensor.


# %% nbgrader={"grade": false, "grade_id": "ex04_blurry_decoder_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def best_blurry_decoder(images, probs):
    """(mean (D,), variance ()) of the Gaussian decoder that is best on average over images."""
    ### BEGIN SOLUTION
    # d/dmu: sum_k pi_k (mu - x_k) / sigma^2 = 0 gives mu = sum_k pi_k x_k (probs sum to 1);
    # d/dsigma^2: -sum_k pi_k ||x_k - mu||^2 / (2 sigma^4) + D / (2 sigma^2) = 0.
    mean = probs @ images
    variance = (probs * ((images - mean) ** 2).sum(-1)).sum() / images.shape[-1]
    return mean, variance
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_blurry_decoder", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex04_blurry_decoder", best_blurry_decoder)
### BEGIN HIDDEN TESTS
check("ex04_blurry_decoder", best_blurry_decoder, suite="hidden")
### END HIDDEN TESTS

# %% [markdown]
# Two digits that the code cannot tell apart, a 3 and an 8 with probabilities 0.6 and 0.4: the
# best decoder outputs neither, but a ghostly overlay of both, and a variance that pays for
# the pixels where they disagree.

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

digits = load_digits()
three = torch.tensor(digits.images[digits.target == 3][0] / 16.0).reshape(64)
eight = torch.tensor(digits.images[digits.target == 8][0] / 16.0).reshape(64)
mean, variance = best_blurry_decoder(
    torch.stack([three, eight]), torch.tensor([0.6, 0.4], dtype=torch.float64)
)
fig, axes = plt.subplots(1, 3, figsize=(6, 2.2))
for ax, image, title in zip(
    axes, (three, eight, mean), ("a 3 (0.6)", "an 8 (0.4)", "best decoder mean"), strict=True
):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_axis_off()
fig.suptitle(f"the decoder's best guess blends the two (variance {float(variance):.3f})")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_vq_loop_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. A VQ training loop with planted bugs (3 points, debug)
#
# The loop below trains a small VQ autoencoder (a linear encoder and decoder, 8 codes in 2-D)
# on six clusters of points, with the straight-through copy of question 1 and the two losses
# of question 2. It runs without an error and it is wrong in two places, both of them a
# stop-gradient on the wrong side. Run it: it reports the reconstruction error *through the
# codes* and the perplexity of question 3 (a working loop reaches an error below about 0.25
# and uses about 7 of its 8 codes).
#
# Write the repaired loop as `train_vq(seed, beta)` in the answer cell: same networks, same
# optimiser, same draws and the same distance computation, in the same order, returning
# `torch.stack([error, perplexity])`. It is judged by what it does on fresh seeds and fresh
# $\beta$: its numbers must land where a correct loop's land (within 0.05).


# %% nbgrader={"grade": false, "grade_id": "ex04_buggy_vq_loop", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

torch.set_num_threads(1)  # networks this small run fastest on one thread


def train_vq_given(seed, beta):
    """A VQ autoencoder on six 2-D clusters; returns [error through the codes, perplexity]."""
    torch.manual_seed(seed)
    dt = torch.float64
    angles = 2 * math.pi * torch.arange(6, dtype=dt) / 6
    centres = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)  # (6, 2)

    def data(n):
        return centres[torch.randint(0, 6, (n,))] + 0.3 * torch.randn(n, 2, dtype=dt)

    encoder, decoder = torch.nn.Linear(2, 2).to(dt), torch.nn.Linear(2, 2).to(dt)
    codebook = torch.nn.Parameter(0.5 * torch.randn(8, 2, dtype=dt))
    params = [*encoder.parameters(), *decoder.parameters(), codebook]
    optimizer = torch.optim.Adam(params, lr=0.03)
    for _ in range(150):
        x = data(128)
        z_e = encoder(x)
        e = codebook[torch.cdist(z_e, codebook).argmin(1)]  # the nearest codes
        z_q = e + (z_e - e).detach()  # straight-through
        recon = ((decoder(z_q) - x) ** 2).sum(1).mean()
        codebook_loss = ((z_e - e.detach()) ** 2).sum(1).mean()
        commit = beta * ((z_e - e.detach()) ** 2).sum(1).mean()
        optimizer.zero_grad()
        (recon + codebook_loss + commit).backward()
        optimizer.step()
    with torch.no_grad():  # measured on fresh data, through the codes
        x = data(2000)
        indices = torch.cdist(encoder(x), codebook).argmin(1)
        error = ((decoder(codebook[indices]) - x) ** 2).sum(1).mean()
        p = torch.bincount(indices, minlength=8).to(dt) / indices.numel()
        return torch.stack([error, torch.exp(-torch.special.xlogy(p, p).sum())])


error, used = train_vq_given(0, 0.25).tolist()
print(f"given loop: error through the codes {error:.3f}, perplexity {used:.2f}")


# %% nbgrader={"grade": false, "grade_id": "ex04_vq_loop_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_vq(seed, beta):
    """The repaired loop: same draws in the same order; returns [error, perplexity]."""
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    dt = torch.float64
    angles = 2 * math.pi * torch.arange(6, dtype=dt) / 6
    centres = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)

    def data(n):
        return centres[torch.randint(0, 6, (n,))] + 0.3 * torch.randn(n, 2, dtype=dt)

    encoder, decoder = torch.nn.Linear(2, 2).to(dt), torch.nn.Linear(2, 2).to(dt)
    codebook = torch.nn.Parameter(0.5 * torch.randn(8, 2, dtype=dt))
    params = [*encoder.parameters(), *decoder.parameters(), codebook]
    optimizer = torch.optim.Adam(params, lr=0.03)
    for _ in range(150):
        x = data(128)
        z_e = encoder(x)
        e = codebook[torch.cdist(z_e, codebook).argmin(1)]
        z_q = z_e + (e - z_e).detach()  # bug 1: the code's value, z_e's gradient
        recon = ((decoder(z_q) - x) ** 2).sum(1).mean()
        codebook_loss = ((z_e.detach() - e) ** 2).sum(1).mean()  # bug 2: moves the codes
        commit = beta * ((z_e - e.detach()) ** 2).sum(1).mean()
        optimizer.zero_grad()
        (recon + codebook_loss + commit).backward()
        optimizer.step()
    with torch.no_grad():
        x = data(2000)
        indices = torch.cdist(encoder(x), codebook).argmin(1)
        error = ((decoder(codebook[indices]) - x) ** 2).sum(1).mean()
        p = torch.bincount(indices, minlength=8).to(dt) / indices.numel()
        return torch.stack([error, torch.exp(-torch.special.xlogy(p, p).sum())])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_vq_loop", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex04_vq_loop", train_vq)
### BEGIN HIDDEN TESTS
check("ex04_vq_loop", train_vq, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_codebook_use_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Keep the codebook alive: an experiment (3 points, experiment)
#
# A code that no encoder output picks gets no gradient and never moves: it is *dead*, and a
# VQ-VAE with many dead codes is a smaller model than it claims to be.
# `genlab.vqvae_experiments.vqvae_codebook_run(seed, settings, codebook_size)` trains the lecture's
# digits VQ-VAE ($K$ = `codebook_size` codes, a $4 \times 4$ grid of codes per digit) on the
# training digits and returns, on the test digits, the `perplexity` of question 3, the share of
# codes used (`usage`) and the reconstruction NLL per digit (`nll`, nats). The five settings
# are `(epochs, lr, beta, data_init, restart_every)`: the epochs, Adam's learning rate, the
# commitment weight $\beta$ of question 2, whether the codebook starts on encoder outputs of
# the first batch (1) or, as in the paper, uniform in $[-1/K, 1/K]$ (0), and the number of
# steps between restarts of the codes that went unused since the last restart (0: never).
# The defaults, `genlab.vqvae_experiments.CodebookSettings()`, are the paper's. The budget: at most
# 4 epochs (about 2 seconds), a learning rate up to 0.01, $\beta \le 2$ and restarts at most
# every 100 steps.
#
# **Experiment**: find settings with which the codebook stays in use, a perplexity of at
# least $0.375\,K$, while the test NLL stays at most 20.5 nats, and return them from
# `choose_codebook_settings(codebook_size)` as a tuple of five numbers. The check below trains
# once, on one seed you have not seen; at grading, the grader trains with your settings on 4
# more seeds, for $K = 32$ or $48$, in its own process: at least 3 of the 4 runs must reach
# both.

# %% nbgrader={"grade": false, "grade_id": "ex04_codebook_use_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
from genlab.vqvae_experiments import CodebookSettings, vqvae_codebook_run

run = vqvae_codebook_run(0, CodebookSettings(), codebook_size=32)
print(f"the paper's codebook, K = 32: perplexity {run.perplexity:.1f}, {100 * run.usage:.0f}% of the codes used, "
      f"test NLL {run.nll:.1f} nats")


# %% nbgrader={"grade": false, "grade_id": "ex04_codebook_use_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def choose_codebook_settings(codebook_size):
    """(epochs, lr, beta, data_init, restart_every) with which the codebook stays in use."""
    ### BEGIN SOLUTION
    # Codes that nobody picks are moved onto fresh encoder outputs every 10 steps, so none
    # stays dead while the encoder's outputs move; measured, restarts alone keep more of the
    # codebook in use than a start on the first batch's outputs (which the encoder soon
    # leaves behind), and the codes they bring back also lower the NLL.
    return (4, 2e-3, 0.25, 0, 10)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_codebook_use", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("ex04_codebook_use", choose_codebook_settings)
### BEGIN HIDDEN TESTS
check("ex04_codebook_use", choose_codebook_settings, suite="hidden")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_understanding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your understanding (graded by hand, 1 point each)
#
# These are the questions at the end of lecture 04. Answer each in the cell below it, in a few
# sentences.
#
# **1.** Why does the pixel cross-fade in section 1 of lecture 04 look worse than the latent
# interpolation, although both are straight lines?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04_understanding_1", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The cross-fade is a straight line in pixel space: its midpoints are the average of two
# images, two faint digits on top of each other, which lie off the set of digit images. The
# latent line is straight in $z$, but the decoder maps it onto a curved path that stays on
# the learned manifold of digits, so every point of it decodes to a plausible digit (the
# stroke moves and bends instead of fading).

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_understanding_2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **2.** In DC-IGN, what would happen to the assigned unit if the clamped units *also* received
# the reconstruction gradient?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04_understanding_2", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Nothing would force the change of the factor into the assigned unit. With a gradient
# through the batch mean, the clamped units would still be trained to help reconstruct (their
# shared mean would move to explain the batch), and in the other factors' batches they are
# free; the network could then spread the factor over several units, and the assigned unit's
# link to its factor (the disentanglement) would weaken. Stopping that gradient makes the
# free unit the only path by which the varying factor can be explained.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_understanding_3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **3.** The conditional VAE receives the class. What is left for $z$ to encode? How would you
# check it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04_understanding_3", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# Everything the class does not determine: the style of the digit (slant, stroke width, size,
# position). Check it by fixing $z$ and changing the class (the same style should appear in
# every digit), and by fixing the class and moving $z$ (the style should change, not the
# digit); also, a classifier trained to predict the class from $z$ should do little better
# than chance, because the class information is given to the decoder directly.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_understanding_4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **4.** Which of the three explanations of blur does VQ-VAE address, and which does it not?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04_understanding_4", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# It addresses the *lower bound*: with a deterministic nearest-code posterior there is no
# Gaussian noise on the code and no KL term pushing codes towards a prior, so the decoder
# gets a crisp, information-rich code and does not learn to be robust to confusing codes. Its
# prior is learned separately and is expressive (a PixelCNN over the code grid), which also
# relaxes the restricted prior. It does not change the *factorized decoder likelihood*
# (pixels independent given the codes) nor *maximum likelihood* itself: the decoder still
# averages where the code leaves detail uncertain, which is why VQ-VAE-2 adds a hierarchy of
# codes.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_understanding_5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **5.** A codebook of $K = 128$ codes reports a perplexity of 16. What does that say about how
# the codes are used, and what would you try?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex04_understanding_5", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The code frequencies have the entropy of 16 equally used codes: most encoder outputs go to a
# small set of codes, and many of the 128 are rarely or never chosen (dead codes get no
# gradient and stay dead). Perplexity 16 does not say whether exactly 16 codes are used or
# more with unequal shares; the fraction of codes used tells that apart. To try: initialise the
# codebook from encoder outputs (data initialisation, as k-means is started), restart dead codes
# on fresh encoder outputs, lower the code dimension or the learning rate of the encoder, or
# use a smaller $K$ if the data need no more.

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex04_references", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## References
# - van den Oord, Vinyals & Kavukcuoglu (2017), *Neural Discrete Representation Learning*, NeurIPS, Sec. 3.
# - Razavi, van den Oord & Vinyals (2019), *Generating Diverse High-Fidelity Images with VQ-VAE-2*, NeurIPS.
# - Kulkarni, Whitney, Kohli & Tenenbaum (2015), *Deep Convolutional Inverse Graphics Network*, NeurIPS, Sec. 3.1.
# - Bengio, Léonard & Courville (2013), *Estimating or Propagating Gradients Through Stochastic Neurons* (straight-through).
