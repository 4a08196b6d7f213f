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
# # 03 The Gaussian VAE
#
# Lecture 01 derived the ELBO, lecture 02 made its gradient computable. Now we build the model
# the slides call "VAE Example": a Gaussian encoder $q_\phi(z\mid x) = \mathcal N(\mu_\phi(x),
# \operatorname{diag}\sigma^2_\phi(x))$, the prior $p(z) = \mathcal N(0, I)$, and a decoder
# $p_\theta(x\mid z)$. Every term of its loss is checked against an independent computation
# before we train it, first on two-dimensional toy data, then on handwritten digits.
#
# **Learning goals.** After this lecture you can
# - write the closed-form KL term of a Gaussian encoder and the Gaussian reconstruction cost, with every constant;
# - explain why a Gaussian decoder with a constant variance is least squares;
# - read a VAE as an autoencoder with a noisy bottleneck and a regularizer;
# - train a VAE, read its held-out ELBO in nats and in bits per dimension, and explore its latent space;
# - tell a true bound on $\log p(x)$ from a cross-entropy on grey levels.
#
# Three **predict** boxes ask you to commit to an answer before the cell that measures it.
#
# *Estimated time: 60 minutes of reading, predicting and running (the notebook itself runs in
# well under a minute on a laptop CPU).*

# %% [markdown]
# ## Setup

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
from torch.distributions import Independent, Normal, kl_divergence

import genlab
import genlab.plots
from genlab import data
from genlab.losses import elbo, gaussian_kl, gaussian_nll, reparameterize
from genlab.models import VAEConfig, build_vae
from genlab.train import evaluate_elbo, fit
from genlab.widgets import latent_explorer, manifold_grid, predict

env = genlab.check_environment("0.1.0")
print(f"genlab {env.genlab}, torch {env.torch}, device {env.device} ({env.device_name})")
genlab.plots.use_style()  # the course's figure style: colour-blind safe, opaque
genlab.seed_everything(0)

# Training budget. The defaults train in seconds on a laptop CPU; on a GPU, raise them.
SCALE = 4 if env.device.type == "cuda" else 1

# %% [markdown]
# ## 1. The objective
#
# For one data point the loss to *minimise* is the negative ELBO (slide "VAE Example"):
#
# $$-\mathcal L(x,\phi,\theta) = \underbrace{D_{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{regularization}}
# \; \underbrace{-\;\mathbb E_{q_\phi(z\mid x)}\left[\log p_\theta(x\mid z)\right]}_{\text{reconstruction cost}},$$
#
# averaged over a mini-batch. With a Gaussian encoder both terms become simple formulas.
#
# ## 2. The KL term in closed form (slide "1D Gaussian Case")
#
# For $q = \mathcal N(\mu, \operatorname{diag}\sigma^2)$ and $p = \mathcal N(0, I)$, with $J$ latent dimensions,
#
# $$-D_{KL}(q\,\|\,p) = \frac12 \sum_{j=1}^{J}\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right).$$
#
# Note the sign: the slide writes $-D_{KL}$, the regularization term *of the ELBO*, which is
# $\le 0$. `genlab.losses.gaussian_kl(mu, logvar)` returns the positive KL, summed over the
# last dimension. Check it against `torch.distributions` and against a Monte Carlo estimate of
# $\mathbb E_q[\log q(z) - \log p(z)]$:

# %%
mu = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64)
logvar = torch.tensor([[0.0, -2.0, 0.7]], dtype=torch.float64)
q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)

slide = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1)  # the slide's formula, sign flipped
z = q.sample((200_000,))
log_ratio = q.log_prob(z) - p.log_prob(z)
mc, se = log_ratio.mean(), log_ratio.std() / math.sqrt(len(z))
print(f"gaussian_kl {gaussian_kl(mu, logvar).item():.6f} | slide formula {slide.item():.6f} | "
      f"torch.distributions {kl_divergence(q, p).item():.6f} | Monte Carlo {mc.item():.4f} +- {se.item():.4f}")
assert torch.allclose(gaussian_kl(mu, logvar), kl_divergence(q, p))
assert torch.allclose(gaussian_kl(mu, logvar), slide)
assert abs(mc - kl_divergence(q, p)) < 5 * se

# %% [markdown]
# ## 3. The reconstruction cost, and least squares
#
# For a Gaussian decoder with mean $\mu_x$ and variance $\sigma_x^2$ over $D$ pixels, the slide gives
#
# $$-\log p(x\mid z) = \sum_{j=1}^{D} \frac12 \log\sigma_{x_j}^2 + \frac{(x_j - \mu_{x_j})^2}{2\sigma_{x_j}^2}.$$
#
# **The slide drops a constant**: the true negative log-density has an extra
# $\frac12\log 2\pi$ per dimension. It does not change the gradient, but it does change the number
# you report as a log-likelihood in nats, so `genlab.losses.gaussian_nll` keeps it.

# %%
predict(
    "For the D = 4 example below, how many nats apart are the slide's cost and the true "
    "−log p(x|z)?",
    answer=2 * math.log(2 * math.pi),
    tolerance=0.05,
    explanation="½ log 2π ≈ 0.919 nats per dimension, times D = 4: 2 log 2π ≈ 3.676 nats. For "
    "a 28×28 image it would be 720 nats: not a rounding error in a reported log-likelihood.",
)

# %%
x = torch.tensor([[0.2, 0.9, -0.4, 1.5]], dtype=torch.float64)
mu_x = torch.tensor([[0.0, 1.0, 0.0, 1.0]], dtype=torch.float64)
logvar_x = torch.tensor([[-1.0, 0.0, 0.5, -0.3]], dtype=torch.float64)
slide_cost = (0.5 * logvar_x + (x - mu_x) ** 2 / (2 * logvar_x.exp())).sum(-1)
exact = -Independent(Normal(mu_x, (0.5 * logvar_x).exp()), 1).log_prob(x)
D = x.shape[-1]
print(f"gaussian_nll {gaussian_nll(x, mu_x, logvar_x).item():.6f} | -log_prob {exact.item():.6f} | "
      f"slide {slide_cost.item():.6f} + D/2 log 2pi = {(slide_cost + D / 2 * math.log(2 * math.pi)).item():.6f}")
assert torch.allclose(gaussian_nll(x, mu_x, logvar_x), exact)
assert torch.allclose(slide_cost + D / 2 * math.log(2 * math.pi), exact)

# %% [markdown]
# With one constant variance $\sigma_x^2$ for every pixel (slide: "least square for constant
# variance") the cost is the squared error, scaled, plus a constant:
#
# $$-\log p(x\mid z) = \frac{1}{2\sigma_x^2}\,\|x - \mu_x\|^2 + \frac D2 \log(2\pi\sigma_x^2).$$
#
# So maximising the reconstruction term is least squares, and $\sigma_x^2$ sets how much a
# squared error weighs against the KL term.

# %%
predict(
    "Lower the decoder variance from σ_x² = 1 to σ_x² = 0.01. By what factor does a given squared "
    "error now weigh more against the same KL term?",
    answer=100.0,
    tolerance=1.0,
    explanation="The squared error enters as ‖x − μ_x‖² / (2σ_x²): dividing σ_x² by 100 multiplies "
    "its weight by 100, while the KL term does not change. The encoder is pushed to spend more "
    "information on z, for sharper reconstructions (question 2).",
)

# %% [markdown]
# Check both the value and the gradient in $\mu_x$:

# %%
sigma2 = 0.3
mu_x = mu_x.clone().requires_grad_(True)
nll = gaussian_nll(x, mu_x, torch.tensor(math.log(sigma2), dtype=torch.float64))
least_squares = ((x - mu_x) ** 2).sum() / (2 * sigma2) + D / 2 * math.log(2 * math.pi * sigma2)
(grad,) = torch.autograd.grad(nll.sum(), mu_x)
print(f"nll {nll.item():.6f} = least squares {least_squares.item():.6f}; "
      f"gradient {grad.tolist()} = (mu_x - x) / sigma^2 {((mu_x - x) / sigma2).tolist()}")
assert torch.allclose(nll, least_squares)
assert torch.allclose(grad, (mu_x - x).detach() / sigma2)

# %% [markdown]
# ## 4. The autoencoder and network interpretations
#
# Put the pieces in order and the loss is an autoencoder's computation graph with a noisy
# bottleneck: the encoder maps $x$ to $(\mu, \log\sigma^2)$; the reparameterized code
# $z = \mu + \sigma\odot\epsilon$ is a deterministic function of those and of the input noise
# $\epsilon$; the decoder maps $z$ to $\mu_x$ (or Bernoulli logits); the cost is the
# reconstruction error plus the KL regularizer, and backpropagation trains both networks at once.
# `genlab.losses.elbo` assembles exactly that from the parts checked above:

# %%
genlab.seed_everything(1)
model = build_vae(VAEConfig(input_shape=(2,), latent_dim=2, hidden=(32,), likelihood="gaussian",
                            decoder_logvar=math.log(0.1))).double()
x = torch.randn(5, 2, dtype=torch.float64)
eps = torch.randn(5, 2, dtype=torch.float64)
mu, logvar = model.encode(x)                       # encoder
z = reparameterize(mu, logvar, eps=eps)            # the noisy bottleneck
x_hat = model.decode(z)                            # decoder: the mean of p(x|z)
terms = elbo(x, mu, logvar, x_hat, "gaussian", torch.tensor(math.log(0.1), dtype=torch.float64))
by_hand = -gaussian_kl(mu, logvar) - gaussian_nll(x, x_hat, torch.tensor(math.log(0.1), dtype=torch.float64))
print("ELBO per sample:", [round(v, 4) for v in terms.elbo.tolist()])
assert torch.allclose(terms.elbo, by_hand)
assert torch.allclose(terms.elbo, terms.regularization + terms.reconstruction)

# %% [markdown]
# ## 5. A VAE on two-dimensional data
#
# Two moons: a distribution no single Gaussian describes. A VAE with a 2-D latent and a Gaussian
# decoder (with a learned variance per coordinate) learns to map the prior's blob onto the moons.

# %%
moons_train = data.moons(2000, noise=0.08, seed=0)
moons_test = data.moons(1000, noise=0.08, seed=1)
genlab.seed_everything(0)
toy_vae = build_vae("toy2d")
start = time.perf_counter()
before = evaluate_elbo(toy_vae, moons_test)
history = fit(toy_vae, moons_train, epochs=150 * SCALE, batch_size=128, lr=3e-3, progress=True)
after = evaluate_elbo(toy_vae, moons_test)
print(f"held-out ELBO per point: {before:.3f} before, {after:.3f} after training "
      f"({time.perf_counter() - start:.1f} s on {next(toy_vae.parameters()).device})")
# The check: the VAE must beat the best single Gaussian, the one model the moons defeat. Its
# maximum-likelihood fit is the training mean and covariance; compare per held-out point, with
# the standard error of the per-point difference (the ELBO is a lower bound, so a win counts).
toy_vae.eval()
with torch.no_grad():
    elbo_i = toy_vae.elbo(moons_test, generator=torch.Generator().manual_seed(0)).elbo
gauss = torch.distributions.MultivariateNormal(moons_train.mean(0), torch.cov(moons_train.T))
diff = elbo_i - gauss.log_prob(moons_test)
print(f"ELBO minus the best single Gaussian's log-likelihood: {diff.mean():.3f} "
      f"± {diff.std() / math.sqrt(len(diff)):.3f} nats per point")
assert after > before and diff.mean() > 5 * diff.std() / math.sqrt(len(diff))

with torch.no_grad():
    samples = toy_vae.sample(2000, generator=torch.Generator(next(toy_vae.parameters()).device).manual_seed(0)).cpu()
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
axes[0].scatter(*moons_test.T, s=3)
axes[0].set(xlabel="$x_1$", ylabel="$x_2$", title="Held-out data: two moons")
axes[1].scatter(*samples.T, s=3, c="C1")
axes[1].set(xlabel="$x_1$", ylabel="$x_2$", title="Decoder means of z ~ p(z): moons plus a bridge")
axes[2].plot(history["step"], history["elbo"])
axes[2].set(xlabel="optimizer step", ylabel="ELBO (nats per point)", title="Training ELBO rises, then levels off")
plt.show()

# %% [markdown]
# The samples above are the decoder *means*; a true sample adds the decoder's Gaussian noise.
# Blurring between the moons is the VAE's typical failure in miniature (lecture 04 returns to it).
#
# *Figure above: left, 1,000 held-out two-moons points ($x_1$, $x_2$); middle, 2,000 decoder
# means for $z$ drawn from the prior, which trace the two moons with a thin bridge between them;
# right, the training ELBO (nats per point) against the optimizer step, rising and levelling off.*
#
# The ELBO is a lower bound, and lecture 01 (section 7) defined a tighter one, the
# importance-weighted bound $\mathcal L_K$ with $\mathcal L_1 = \text{ELBO} \le \mathcal L_K \le
# \log p(x)$. Both orderings hold *in expectation*: a single estimate of either is random. So we
# compare the average over 500 held-out points, with the standard error of the per-point
# difference. (Unlike in lecture 01, $\log p(x)$ itself is unknown here, so only the first
# inequality can be checked.)

# %%
x_eval = moons_test[:500].to(next(toy_vae.parameters()).device)


def log_weights(K):
    """log p(x, z_k) - log q(z_k | x) for K fresh draws z_k ~ q(z | x) per point: (K, B)."""
    with torch.no_grad():
        mu, logvar = toy_vae.encode(x_eval)
        zk = reparameterize(mu.expand(K, *mu.shape), logvar.expand(K, *logvar.shape))  # (K, B, Z)
        x_hat = toy_vae.decode(zk.reshape(-1, 2)).reshape(K, *x_eval.shape)
        log_px_z = -gaussian_nll(x_eval.expand(K, -1, -1), x_hat, toy_vae.decoder_logvar.expand_as(x_hat))
        log_pz = Independent(Normal(torch.zeros_like(zk), 1.0), 1).log_prob(zk)
        log_qz = Independent(Normal(mu, (0.5 * logvar).exp()), 1).log_prob(zk)
        return (log_px_z + log_pz - log_qz).double().cpu()


K = 256
iw_per_point = torch.logsumexp(log_weights(K), 0) - math.log(K)  # one estimate of L_K per point
# An independent set of draws for the ELBO (averaging the log-weights of the *same* draws would
# sit below their log-mean-exp sample by sample, by Jensen: a comparison that could not fail).
elbo_per_point = log_weights(K).mean(0)  # one estimate of L_1 = ELBO per point
diff = iw_per_point - elbo_per_point
se = diff.std() / math.sqrt(len(diff))
print(f"mean over {len(diff)} points: ELBO {elbo_per_point.mean():.3f}, L_{K} {iw_per_point.mean():.3f}; "
      f"difference {diff.mean():.4f} +- {se:.4f}")
assert diff.mean() > 5 * se  # L_K above the ELBO, beyond the Monte Carlo noise

# %% [markdown]
# ## 6. A VAE on handwritten digits
#
# The 8x8 digits that scikit-learn ships (1,437 training and 360 test images, nothing to
# download), with a 2-D latent, so that the whole latent space can be seen at once.
#
# **A Bernoulli decoder needs binary pixels.** The images have 17 grey levels in $[0, 1]$. A
# Bernoulli distribution puts its mass on $\{0, 1\}$: for a grey pixel $x_j = 0.5$ the formula
# $x_j\log p_j + (1-x_j)\log(1-p_j)$ is a *cross-entropy*, not the log-probability of anything,
# and an "ELBO" built from it is not a bound on any log-likelihood.

# %%
predict(
    "On grey-level pixels, can the Bernoulli cross-entropy −Σ [x log p + (1−x) log(1−p)] of a "
    "perfect decoder reach 0?",
    ["yes, with p = x", "no: its minimum is the pixels' own binary entropy", "no: it is always ≥ 1 nat per pixel"],
    answer="no: its minimum is the pixels' own binary entropy",
    explanation="Over p, the cross-entropy is smallest at p = x, where it equals the binary "
    "entropy H(x) = −x log x − (1−x) log(1−x), which is > 0 for every 0 < x < 1. Only binary "
    "pixels (H = 0) make it a log-probability.",
)

# %%
train, test = data.digits("train"), data.digits("test")
grey = test.images
inside = ((grey > 0) & (grey < 1)).float().mean()
floor = -(torch.xlogy(grey, grey) + torch.xlogy(1 - grey, 1 - grey)).flatten(1).sum(1).mean()
print(f"held-out pixels strictly inside (0, 1): {inside:.0%}; entropy floor of the grey-level "
      f"cross-entropy: {floor:.1f} nats per image (what a perfect decoder would still 'lose')")
assert torch.allclose(torch.nn.functional.binary_cross_entropy(grey, grey, reduction="sum") / len(grey),
                      floor, rtol=1e-4)  # BCE at p = x is the binary entropy

# Fixed binarization: a pixel is on if its grey level exceeds one half.
train_bin, test_bin = (train.images > 0.5).float(), (test.images > 0.5).float()

# %% [markdown]
# Now the Bernoulli decoder is a real likelihood on binary images, and the held-out ELBO is a
# lower bound on $\log p(x)$ in nats per image. Dividing by $D \ln 2$ ($D = 64$ pixels) gives
# **bits per dimension**: the code length per pixel that the model guarantees. A coin flip per
# pixel costs 1 bit; a model that ignores $z$ and uses each pixel's training frequency is the
# baseline to beat.

# %%
genlab.seed_everything(0)
vae = build_vae("digits")
start = time.perf_counter()
history = fit(vae, train_bin, epochs=100 * SCALE, batch_size=128, lr=3e-3, progress=True)
seconds = time.perf_counter() - start
held_out = evaluate_elbo(vae, test_bin)
D = test_bin[0].numel()
freq = train_bin.mean(0).clamp(1 / len(train_bin), 1 - 1 / len(train_bin))  # per-pixel frequency
baseline = torch.distributions.Bernoulli(probs=freq).log_prob(test_bin).flatten(1).sum(1).mean().item()
print(f"trained in {seconds:.1f} s; held-out ELBO {held_out:.2f} nats per image "
      f"= {-held_out / (D * math.log(2)):.3f} bits per dimension (a bound: log p(x) is higher)")
print(f"independent-pixel baseline: {baseline:.2f} nats = {-baseline / (D * math.log(2)):.3f} bits per dimension")
# the 2-D code explains more than each pixel's frequency does: per image, beyond the noise
vae.eval()
with torch.no_grad():
    elbo_img = vae.elbo(test_bin.to(next(vae.parameters()).device),
                        generator=torch.Generator(next(vae.parameters()).device).manual_seed(0)).elbo.cpu()
gain = elbo_img - torch.distributions.Bernoulli(probs=freq).log_prob(test_bin).flatten(1).sum(1)
print(f"gain over the baseline: {gain.mean():.2f} ± {gain.std() / math.sqrt(len(gain)):.2f} nats per image")
assert gain.mean() > 5 * gain.std() / math.sqrt(len(gain))

device = next(vae.parameters()).device
with torch.no_grad():
    mu_test = vae.encode(test_bin.to(device)).mu.cpu()
    recon = vae.reconstruct(test_bin[:10].to(device)).cpu()
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
genlab.plots.class_scatter(axes[0], mu_test, test.labels)  # colour, marker and a label per digit
axes[0].set(xlabel="$z_1$ (posterior mean)", ylabel="$z_2$ (posterior mean)",
            title="Digits cluster by class in the 2-D latent")
axes[1].imshow(torch.cat([torch.cat(list(test_bin[:10, 0]), 1), torch.cat(list(recon[:, 0]), 1)]),
               cmap="gray")
axes[1].set_title("Binarized test digits (top) and decoder means (bottom)")
axes[1].axis("off")
plt.show()

# "Clusters by class", checked: label each test digit by a vote of its 5 nearest training
# digits in the latent space (chance is 10%; "several overlap" means well below 100%).
with torch.no_grad():
    mu_train = vae.encode(train_bin.to(device)).mu.cpu()
nearest = torch.cdist(mu_test, mu_train).topk(5, largest=False).indices
knn = train.labels[nearest].mode(1).values
accuracy = (knn == test.labels).float().mean().item()
print(f"5-nearest-neighbour accuracy of the test digits in the 2-D latent: {accuracy:.0%}")
assert 0.5 < accuracy < 0.99

# %% [markdown]
# *Figure above: left, the posterior means $\mu_\phi(x)$ of the 360 test digits in the 2-D
# latent space ($z_1$, $z_2$), one colour and one marker per digit class, each class's name
# written at its median point: the classes form clusters, several of which overlap; right, ten binarized test digits (top row)
# and their reconstructions (decoder means, bottom row).*

# %% [markdown]
# ### Explore the latent space
#
# Each slider sets one coordinate of $z$; the image is the decoder's mean for that $z$. The pad
# beside them is the scatter plot above in small: the test digits' posterior means, coloured by
# class, and the current $z$ as a ring. Click from one cluster to another and watch one digit
# morph into the next.

# %%
explorer = latent_explorer(vae, data=test_bin, labels=test.labels)  # the pad shows the test digits' mu
first = explorer.image.value
explorer.sliders[0].value = 1.5
assert explorer.image.value != first  # the image follows the slider
explorer

# %% [markdown]
# *Widget: two sliders, z[0] and z[1] ($z_1$ and $z_2$), a **Reset z = 0** button and a line
# with the current $z$; the decoded 8x8 digit for that $z$, shown large; beside them a square
# pad, both axes from −3 to 3, with the test digits' posterior means as small coloured points
# (one colour per class, each class's digit written at its median) and the current $z$ as an
# orange ring. Clicking the pad moves $z$ there.*

# %% [markdown]
# The manifold grid decodes an even grid of $z$ values at once: the learned two-dimensional map
# of the digits. (Kingma & Welling 2014, Fig. 4, space their grid evenly in *probability*
# instead: they map an even grid on $(0, 1)^2$ through the Gaussian inverse CDF, so that each
# cell holds the same prior mass. This grid is even in $z$, so its outer cells show codes the
# prior rarely draws.)
#
# *Widget: a 15 × 15 mosaic of decoded 8x8 digits; left to right is $z_1$ from −2.5 to 2.5,
# bottom to top is $z_2$ over the same range; neighbouring cells morph smoothly into each other.*

# %%
manifold_grid(vae, n=15, span=2.5)

# %% [markdown]
# ## Check your understanding
#
# 1. The KL term of a Gaussian encoder is zero for one particular output of the encoder. Which?
#    What happens to the codes if that is what the encoder outputs for every $x$?
# 2. You train the same digits VAE with a Gaussian decoder of fixed variance $\sigma_x^2 = 1$ and
#    of $\sigma_x^2 = 0.01$. Which one has sharper reconstructions, and which one uses its latent
#    space less? Why?
# 3. Why must the reported log-likelihood keep the $\frac12\log 2\pi$ the slide drops, while the
#    training loss may drop it?
# 4. The scatter plot shows overlapping clusters. Give two reasons a 2-D latent cannot separate
#    all ten digits cleanly.
# 5. Why did we binarize the digits before reporting the Bernoulli ELBO in bits per dimension?
#    Name a likelihood that could model the grey levels directly.
#
# Answers are in `solutions/03_gaussian_vae`.
#
# ## References
# - Kingma & Welling (2014), *Auto-Encoding Variational Bayes*, App. B (the KL term) and C (decoders).
# - Burda, Grosse & Salakhutdinov (2016), *Importance Weighted Autoencoders*.
# - Doersch (2016), *Tutorial on Variational Autoencoders*, arXiv:1606.05908.
