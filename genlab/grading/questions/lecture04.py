r"""Questions of exercise 04 (VAEs for vision): VQ-VAE's nearest-code quantization with the
straight-through estimator, its codebook and commitment losses, the perplexity of code use,
and DC-IGN's clamping of latent units to their batch mean.

References: :meth:`genlab.models.vqvae.VQVAE.quantize` (with the question's codebook put in the
model's place, so that gradients reach it), :func:`genlab.models.vqvae.perplexity` and
:func:`genlab.models.dcign.clamp_to_batch_mean`.
"""

from __future__ import annotations

import math

import torch

from genlab.device import one_thread
from genlab.grading.checks import Mistake, Question, register
from genlab.grading.questions._experiments import (
    fresh_seeds,
    grading_run,
    run_until_decided,
    settings_problem,
)
from genlab.grading.questions._inputs import dtype_for, number, randn
from genlab.models.dcign import clamp_to_batch_mean
from genlab.models.vqvae import VQVAE, VQVAEConfig, perplexity
from genlab.optima import gaussian_decoder_optimum
from genlab.vqvae_experiments import CodebookSettings, vqvae_codebook_run

# (B, D, h, w) of z_e and K codes, per case
_GRIDS = {
    "visible": ((2, 3, 2, 2, 6), (3, 2, 1, 4, 5), (1, 4, 3, 3, 8)),
    "hidden": (
        (4, 3, 2, 2, 7),
        (1, 2, 2, 3, 4),
        (2, 5, 3, 1, 9),
        (3, 4, 2, 2, 6),
        (2, 3, 3, 3, 5),
        (2, 4, 2, 2, 6),
    ),
}


def _quantizer(codebook: torch.Tensor, beta: float = 0.25) -> VQVAE:
    """A VQVAE whose codebook is ``codebook`` itself (not a copy), so gradients reach it."""
    K, D = codebook.shape
    with torch.device("meta"):  # the networks are not used: no memory, no random draws
        model = VQVAE(VQVAEConfig(code_dim=D, codebook_size=K, beta=beta))
    del model.codebook  # the nn.Parameter; a plain tensor takes its place
    model.codebook = codebook
    return model


def _vq_inputs(g, case, suite):
    B, D, h, w, K = _GRIDS[suite][case % len(_GRIDS[suite])]
    dtype = dtype_for(case, suite)
    codebook = randn(g, K, D, dtype=dtype)
    codebook[0] *= 3.0  # one long code: the largest dot product is then often not the nearest
    z_e = _clear_of_ties(randn(g, B, D, h, w, scale=1.2, dtype=dtype), codebook)
    return {"z_e": z_e, "codebook": codebook}


def _clear_of_ties(z_e: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """``z_e`` with every vector whose nearest and second-nearest codes are closer than rounding
    can tell apart moved halfway to its nearest code, so that the nearest code does not depend
    on how a distance is computed (``||z - e||^2`` summed, or expanded as ``||z||^2 - 2 z.e +
    ||e||^2``, in float32 on whichever CPU). The margin is 64 epsilons of the squared norms."""
    eps = torch.finfo(z_e.dtype).eps
    E = codebook.double()
    for _ in range(8):
        flat = z_e.movedim(1, -1).double()  # (B, h, w, D)
        d2 = ((flat[..., None, :] - E) ** 2).sum(-1)  # (B, h, w, K)
        two = d2.topk(2, dim=-1, largest=False)
        scale = (flat**2).sum(-1) + (E**2).sum(-1).max()
        tied = (two.values[..., 1] - two.values[..., 0]) <= 64 * eps * scale
        if not bool(tied.any()):
            return z_e
        nearest = E[two.indices[..., 0]]  # (B, h, w, D)
        moved = torch.where(tied[..., None], 0.5 * (flat + nearest), flat)
        z_e = moved.to(z_e.dtype).movedim(-1, 1).contiguous()
    return z_e


# ------------------------------------------------------------------- nearest-code quantization


def _quantize(z_e, codebook):
    q = _quantizer(codebook).quantize(z_e)
    return q.quantized, q.indices


def _codes(codebook, indices):
    return codebook[indices].movedim(-1, 1)  # (B, h, w) -> (B, D, h, w)


def _by_score(z_e, codebook, score):
    """Indices of the best code by ``score(z (N, D), codebook (K, D)) -> (N, K)``, lowest wins."""
    flat = z_e.detach().movedim(1, -1).reshape(-1, codebook.shape[1])
    return score(flat, codebook.detach()).argmin(1).view(z_e.shape[:1] + z_e.shape[2:])


def _quantize_variant(kind):
    def wrong(z_e, codebook):
        scores = {
            "farthest": lambda z, E: -torch.cdist(z, E),
            "l1": lambda z, E: torch.cdist(z, E, p=1),
            "dot": lambda z, E: -(z @ E.T),
        }
        indices = _by_score(z_e, codebook, scores.get(kind, lambda z, E: torch.cdist(z, E)))
        e = _codes(codebook, indices)
        if kind == "no_straight_through":
            return e, indices
        quantized = z_e + (e - z_e).detach()
        if kind == "channels_last":
            quantized = quantized.movedim(1, -1)
        return quantized, indices

    return wrong


register(
    Question(
        id="ex04_vq_quantize",
        kind="transcription",
        hints=(
            "Quantizing is a nearest-neighbour search; the straight-through trick only changes "
            "what the backward pass sees.",
            "With the code dimension last, the squared distance to every code comes from "
            "broadcasting (..., 1, D) against (K, D) and summing over D; argmin gives the "
            "indices.",
            "quantized has the value of the chosen codes and the gradient of z_e: z_e plus a "
            "detached difference; indices are int64 of shape (B, h, w).",
        ),
        reference=_quantize,
        inputs=_vq_inputs,
        fields=("quantized", "indices"),
        grad_args=("z_e",),
        mistakes=(
            Mistake(
                _quantize_variant("farthest"),
                "you picked the farthest code: the nearest code is the arg min of the distance",
            ),
            Mistake(
                _quantize_variant("dot"),
                "the largest dot product z_e . e_k is not the nearest code: "
                "||z_e - e_k||^2 = ||z_e||^2 - 2 z_e . e_k + ||e_k||^2 keeps the ||e_k||^2 term",
            ),
            Mistake(
                _quantize_variant("l1"),
                "the nearest code is the one at the smallest Euclidean (L2) distance, not the "
                "smallest L1 distance",
            ),
            Mistake(
                _quantize_variant("channels_last"),
                "quantized: return the codes in z_e's layout (B, D, h, w); move the code "
                "dimension back to dim 1 (.movedim(-1, 1))",
            ),
            Mistake(
                _quantize_variant("no_straight_through"),
                "quantized has the values of the codes but passes no gradient to z_e: the arg "
                "min has no gradient, so use the straight-through estimator, "
                "z_q = z_e + (e - z_e).detach() (the value of e, the gradient of z_e)",
            ),
        ),
    )
)


# ------------------------------------------------------------ codebook and commitment losses


def _vq_losses(z_e, codebook, beta):
    q = _quantizer(codebook, beta).quantize(z_e)
    return q.codebook_loss, q.commit_loss


def _losses_inputs(g, case, suite):
    inputs = _vq_inputs(g, case, suite)
    inputs["beta"] = round(number(g, 0.1, 0.9), 3)
    return inputs


def _losses_variant(kind):
    def wrong(z_e, codebook, beta):
        e = _codes(codebook, _by_score(z_e, codebook, torch.cdist))
        sg_z, sg_e = z_e.detach(), e.detach()
        if kind in ("no_sg_codebook", "no_sg"):
            sg_z = z_e
        if kind in ("no_sg_commit", "no_sg"):
            sg_e = e

        def reduce(t):  # (B, D, h, w) -> (): sum per sample, mean over the batch
            if kind == "mean_all":
                return t.mean()
            if kind == "sum_all":
                return t.sum()
            if kind == "norm":
                return t.sum(1).sqrt().sum((1, 2)).mean()
            return t.sum((1, 2, 3)).mean()

        if kind == "swapped_sg":
            return reduce((z_e - sg_e) ** 2), beta * reduce((sg_z - e) ** 2)
        codebook_loss = reduce((sg_z - e) ** 2)
        commit = reduce((z_e - sg_e) ** 2)
        if kind == "beta_on_codebook":
            return beta * codebook_loss, commit
        if kind == "no_beta":
            return codebook_loss, commit
        return codebook_loss, beta * commit

    return wrong


register(
    Question(
        id="ex04_vq_losses",
        kind="transcription",
        hints=(
            "The two losses have the same value up to beta; they differ only in which side is "
            "detached, so which parameters they move.",
            "The codebook loss detaches z_e (only the codes move); the commitment loss detaches "
            "the codes (only the encoder moves).",
            "Each is a squared difference summed over the code dimension and the grid of a "
            "sample, averaged over the batch: two 0-d tensors.",
        ),
        reference=_vq_losses,
        inputs=_losses_inputs,
        fields=("codebook_loss", "commit_loss"),
        grad_args=("z_e", "codebook"),
        mistakes=(
            Mistake(
                _losses_variant("mean_all"),
                "you averaged over every element (F.mse_loss does): sum the squared distances "
                "over each sample's code dimension and grid (dims 1, 2, 3), then average over "
                "the batch",
            ),
            Mistake(
                _losses_variant("sum_all"),
                "you summed over the batch too: average the per-sample sums over the batch",
            ),
            Mistake(
                _losses_variant("norm"),
                "the losses use squared distances ||z_e - e||^2, not distances",
            ),
            Mistake(
                _losses_variant("beta_on_codebook"),
                "beta weighs the commitment term, beta ||z_e - sg[e]||^2; the codebook term has "
                "no factor",
            ),
            Mistake(
                _losses_variant("no_beta"),
                "commit_loss: the commitment term is weighted by beta",
            ),
            Mistake(
                _losses_variant("swapped_sg"),
                "the stop-gradients are swapped: the codebook term ||sg[z_e] - e||^2 trains the "
                "codes (detach z_e), the commitment term beta ||z_e - sg[e]||^2 trains the "
                "encoder (detach e)",
            ),
            Mistake(
                _losses_variant("no_sg"),
                "the values are right, but neither term stops a gradient: the codebook term "
                "must not move the encoder (||sg[z_e] - e||^2, z_e.detach()) and the commitment "
                "term must not move the codes (beta ||z_e - sg[e]||^2, e.detach())",
            ),
            Mistake(
                _losses_variant("no_sg_codebook"),
                "the values are right, but the codebook term sends a gradient to the encoder: "
                "it is ||sg[z_e] - e||^2, with z_e.detach()",
            ),
            Mistake(
                _losses_variant("no_sg_commit"),
                "the values are right, but the commitment term sends a gradient to the codebook: "
                "it is beta ||z_e - sg[e]||^2, with e.detach()",
            ),
        ),
    )
)


# ------------------------------------------------------------------------------- perplexity


def _perplexity_inputs(g, case, suite):
    B, _, h, w, K = _GRIDS[suite][case % len(_GRIDS[suite])]
    K += 2 + case % 3  # a few more codes than the grid has room for: some stay unused
    logits = randn(g, K, scale=1.5)
    logits[: 1 + case % 2] = -math.inf  # codes no encoder output picks
    probs = torch.softmax(logits, 0)
    indices = torch.multinomial(probs, B * h * w, replacement=True, generator=g)
    return {"indices": indices.view(B, h, w), "num_codes": K}


def _frequencies(indices, num_codes):
    counts = torch.bincount(indices.reshape(-1), minlength=num_codes).double()
    return counts / counts.sum()


def _entropy(p):
    return -(p * torch.log(p.clamp(min=1e-30))).sum()


def _perplexity_variant(kind):
    def wrong(indices, num_codes):
        if kind == "per_sample":
            return torch.stack([perplexity(i, num_codes) for i in indices]).mean()
        if kind == "used":
            return (torch.bincount(indices.reshape(-1), minlength=num_codes) > 0).sum().float()
        p = _frequencies(indices, num_codes)
        if kind == "over_K":
            p = torch.bincount(indices.reshape(-1), minlength=num_codes).double() / num_codes
        if kind == "entropy":
            return _entropy(p).float()
        if kind == "bits":
            return torch.exp(_entropy(p) / math.log(2)).float()
        return _entropy(p).exp().float()

    return wrong


register(
    Question(
        id="ex04_perplexity",
        kind="transcription",
        hints=(
            "Perplexity is the exponential of the entropy of how often each code is used.",
            "Count the uses of every code (torch.bincount with minlength), divide by the number "
            "of indices, and let 0 log 0 count as 0.",
            "A 0-d float32 tensor between 1 and num_codes.",
        ),
        reference=perplexity,
        inputs=_perplexity_inputs,
        mistakes=(
            Mistake(
                _perplexity_variant("entropy"),
                "that is the entropy H = -sum_k p_k log p_k; the perplexity is exp(H)",
            ),
            Mistake(
                _perplexity_variant("used"),
                "that counts the codes used; the perplexity weighs them by how often they are "
                "used, exp(-sum_k p_k log p_k)",
            ),
            Mistake(
                _perplexity_variant("per_sample"),
                "the frequencies p_k are over all the indices of the batch (B * h * w of them), "
                "not per image",
            ),
            Mistake(
                _perplexity_variant("over_K"),
                "p_k = n_k / N with N the number of indices (B * h * w), not the number of codes",
            ),
            Mistake(
                _perplexity_variant("bits"),
                "the entropy and the exponential must use the same base: exp of an entropy in "
                "nats (natural log), or 2 ** of one in bits (log2)",
            ),
        ),
        nan_hint="An unused code has p_k = 0 and adds 0 log 0 = 0 to the entropy: leave it out "
        "(p[p > 0]) or use torch.special.xlogy(p, p).",
        rtol=1e-5,
    )
)


# ---------------------------------------------------------------- DC-IGN: clamp to the batch mean


def _clamp(z, free, pull):
    return tuple(clamp_to_batch_mean(z, free, pull))


def _clamp_inputs(g, case, suite):
    sizes = (
        ((5, 3), (4, 4), (6, 5))
        if suite == "visible"
        else ((3, 4), (8, 3), (5, 6), (2, 5), (7, 4), (6, 3))
    )
    B, Z = sizes[case % len(sizes)]
    free = torch.zeros(Z, dtype=torch.bool)
    free[torch.randperm(Z, generator=g)[: 1 + case % 2]] = True  # one or two free units
    return {
        "z": randn(g, B, Z, scale=1.5, dtype=dtype_for(case, suite)),
        "free": free,
        "pull": round(number(g, 0.5, 3.0), 3),
    }


def _clamp_variant(kind):
    def wrong(z, free, pull):
        clamped = ~free if kind != "inverted" else free
        z_bar = z.mean(-1 if kind == "unit_mean" else 0, keepdim=True)
        forward = torch.where(clamped, z_bar if kind == "no_sg" else z_bar.detach(), z)
        source = z.detach() if kind == "detached_pull" else z
        sq = (source - z_bar.detach()) ** 2
        if kind != "all_units":
            sq = sq * clamped
        scale = {"no_half": 1.0, "no_lambda": 0.5}.get(kind, 0.5 * pull)
        penalty = scale * (sq.mean(-1) if kind == "mean_units" else sq.sum(-1))
        return forward, penalty

    return wrong


register(
    Question(
        id="ex04_clamp",
        kind="transcription",
        hints=(
            "Clamped units must get their value from the batch mean but their gradient only from "
            "the penalty.",
            "The batch mean is detached; torch.where with the free mask picks z or the mean per "
            "unit; the penalty uses z itself, masked to the clamped units.",
            "z_tilde (B, Z) and one penalty per sample (B,): pull / 2 times a masked sum of "
            "squared deviations.",
        ),
        reference=_clamp,
        inputs=_clamp_inputs,
        fields=("z", "pull"),
        grad_args=("z",),
        mistakes=(
            Mistake(
                _clamp_variant("unit_mean"),
                "the batch mean of a unit is over the samples (dim 0 of z), not over the units",
            ),
            Mistake(
                _clamp_variant("inverted"),
                "free marks the units that keep their per-sample values; the others (~free) are "
                "the clamped ones",
            ),
            Mistake(
                _clamp_variant("all_units"),
                "pull: only the clamped units are pulled towards their batch mean; leave the "
                "free units out of the penalty",
            ),
            Mistake(
                _clamp_variant("no_half"),
                "pull: the penalty is lambda / 2 times the squared deviations (its gradient is "
                "then lambda (z - z_bar)); the factor 1/2 is missing",
            ),
            Mistake(
                _clamp_variant("no_lambda"),
                "pull: the penalty is weighted by `pull` (lambda)",
            ),
            Mistake(
                _clamp_variant("mean_units"),
                "pull: sum the squared deviations over the clamped units, do not average them",
            ),
            Mistake(
                _clamp_variant("no_sg"),
                "the values are right, but the clamped units receive a gradient through their "
                "forward value: replace them by the *detached* batch mean "
                "(z.mean(0, keepdim=True).detach()), so that only the pull reaches them",
            ),
            Mistake(
                _clamp_variant("detached_pull"),
                "the values are right, but the pull sends no gradient to the clamped units: "
                "compute the penalty from z itself, not from z.detach()",
            ),
        ),
    )
)


# ------------------------------------------------- the best decoder of a collapsed code, derived


def _blur_inputs(g, case, suite):
    K, D = ((3, 5), (2, 8), (4, 3))[case % 3] if suite == "visible" else (2 + case % 4, 4 + case)
    dtype = dtype_for(case, suite)
    weights = torch.rand(K, generator=g, dtype=torch.float64) + 0.2
    weights[case % K] += 1.0  # one image clearly the most probable
    return {
        "images": randn(g, K, D, dtype=dtype),
        "probs": (weights / weights.sum()).to(dtype),
    }


def _blur_variant(kind):
    def wrong(images, probs):
        mean = probs @ images
        if kind == "mode":
            mean = images[probs.argmax()]
        elif kind == "unweighted":
            mean = images.mean(0)
        squared = ((images - mean) ** 2).sum(-1)  # (K,)
        variance = (probs * squared).sum() / images.shape[-1]
        if kind == "per_image":
            variance = (probs * squared).sum()
        elif kind == "std":
            variance = variance.sqrt()
        elif kind == "unweighted_variance":
            variance = squared.mean() / images.shape[-1]
        return mean, variance

    return wrong


register(
    Question(
        id="ex04_blurry_decoder",
        kind="derivation",
        hints=(
            "The decoder cannot tell the images apart, so it must output one (mean, variance) "
            "that does best on average over them: minimise the expected negative "
            "log-likelihood, with the images' probabilities as the weights.",
            "Set the gradient with respect to the mean to zero first (the variance only scales "
            "it); then, at that mean, set the derivative with respect to sigma^2 to zero.",
            "The mean is a probability-weighted combination of the images; the variance is the "
            "expected squared distance to that mean, shared by the D pixels, so per pixel.",
        ),
        reference=lambda images, probs: tuple(gaussian_decoder_optimum(images, probs)),
        inputs=_blur_inputs,
        fields=("mean", "variance"),
        mistakes=(
            Mistake(
                _blur_variant("mode"),
                "mean: the most probable image minimises the 0-1 loss, not the expected squared "
                "error: the Gaussian likelihood is maximised by the weighted average of the "
                "images (and that average is the blur)",
            ),
            Mistake(
                _blur_variant("unweighted"),
                "mean: weight each image by its probability: the expected loss is "
                "sum_k pi_k ||x_k - mu||^2, not the plain average over the images",
            ),
            Mistake(
                _blur_variant("per_image"),
                "variance: sigma^2 is shared by the D pixels, so the expected squared error is "
                "divided by D (the derivative of D/2 log sigma^2 brings the D)",
            ),
            Mistake(
                _blur_variant("std"),
                "variance: return the variance sigma^2; you returned its square root",
            ),
            Mistake(
                _blur_variant("unweighted_variance"),
                "variance: the expected squared error weights each image by its probability",
            ),
        ),
    )
)


# ------------------------------------------------ a VQ-VAE loop with planted bugs (debug)


def vq_loop(*, straight_through_wrong: bool = False, codebook_loss_wrong: bool = False):
    """A small VQ autoencoder's training loop on six 2-D clusters, returning ``loop(seed,
    beta)`` -> [reconstruction error through the codes, perplexity] on fresh data after 150
    steps. The defaults are the correct loop; the arguments plant the bugs of exercise 04,
    question 6 (stop-gradients on the wrong side)."""

    def loop(seed, beta):
        with one_thread():  # a tiny model: threads only add overhead
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
                e = codebook[torch.cdist(z_e, codebook).argmin(1)]
                if straight_through_wrong:  # the value of z_e, the gradient to the codes
                    z_q = e + (z_e - e).detach()
                else:  # the value of the codes, the gradient to z_e
                    z_q = z_e + (e - z_e).detach()
                recon = ((decoder(z_q) - x) ** 2).sum(1).mean()
                if codebook_loss_wrong:
                    codebook_loss = ((z_e - e.detach()) ** 2).sum(1).mean()
                else:
                    codebook_loss = ((z_e.detach() - e) ** 2).sum(1).mean()
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

    return loop


def _vq_loop_inputs(g, case, suite):
    return {
        "seed": int(torch.randint(0, 2**31 - 1, (), generator=g)),
        "beta": round(number(g, 0.1, 0.5), 3),
    }


register(
    Question(
        id="ex04_vq_loop",
        kind="debug",
        hints=(
            "Measure the given loop: its reconstruction error through the codes and its "
            "perplexity. Then ask of every line with .detach(): which tensor's value passes, "
            "and which parameters does the gradient reach?",
            "The straight-through copy must have the value of the code and the gradient of "
            "z_e; the codebook loss must move the codes and leave the encoder alone. Compare "
            "each with question 1 and question 2.",
            "Two lines to change, each by moving a .detach() to the other side; keep every "
            "draw and the distance computation as given.",
        ),
        reference=vq_loop(),
        inputs=_vq_loop_inputs,
        # A repaired loop with the same draws returns the reference's numbers to rounding;
        # each bug moves the error or the perplexity by more than 0.15 on the seeds tried.
        rtol=0.0,
        atol=0.05,
        cases={"visible": 1, "hidden": 2},
        mistakes=(
            Mistake(
                vq_loop(straight_through_wrong=True, codebook_loss_wrong=True),
                "neither bug is fixed: the decoder is trained on z_e instead of the codes "
                "(the straight-through copy has the wrong side detached), and the codebook "
                "loss moves the encoder instead of the codes",
            ),
            Mistake(
                vq_loop(straight_through_wrong=True),
                "the straight-through copy has the wrong side detached: z_q = e + sg[z_e - e] "
                "has the value of z_e, so the decoder never sees the codes; z_q = z_e + "
                "sg[e - z_e] has the code's value and z_e's gradient",
            ),
            Mistake(
                vq_loop(codebook_loss_wrong=True),
                "the codebook loss has the wrong side detached: ||z_e - sg[e]||^2 moves the "
                "encoder (that is the commitment loss) and never the codes; it must be "
                "||sg[z_e] - e||^2",
            ),
        ),
    )
)


# ------------------------- an experiment: a VQ-VAE whose codebook stays in use (no dead codes)

_CODEBOOK_SHARE, _CODEBOOK_NLL = 0.375, 20.5  # perplexity >= share * K; test NLL <= nats


def _codebook_inputs(g, case, suite):
    return {"codebook_size": (32, 48)[int(torch.randint(0, 2, (), generator=g))]}


def _codebook_ok(run, k: int) -> bool:
    return run.perplexity >= _CODEBOOK_SHARE * k and run.nll <= _CODEBOOK_NLL


def _codebook_outcome(inputs, value, runs, needed) -> str | None:
    """Train the VQ-VAE with the settings on ``runs`` fresh seeds, here; None if ``needed`` of
    them keep the codebook in use and reconstruct well."""
    problem = settings_problem(value, CodebookSettings._fields)
    if problem:
        return problem
    k = inputs["codebook_size"]
    try:
        with grading_run():
            results, good = run_until_decided(
                fresh_seeds(inputs, runs),
                lambda seed: vqvae_codebook_run(seed, value, k),
                lambda run: _codebook_ok(run, k),
                needed,
            )
    except ValueError as err:
        return f"over the budget: {err}"
    if good >= needed:
        return None
    bad = [r for r in results if not _codebook_ok(r, k)]
    if all(r.perplexity < _CODEBOOK_SHARE * k for r in bad):
        why = "too much of the codebook is dead or rarely used"
    else:
        why = "the reconstructions are too poor"
    gave = "; ".join(f"perplexity {r.perplexity:.1f}, NLL {r.nll:.1f}" for r in results)
    return (
        f"{why}: {good} of the {len(results)} runs tried reached a perplexity of at least "
        f"{_CODEBOOK_SHARE * k:g} (of K = {k} codes) with a test NLL of at most "
        f"{_CODEBOOK_NLL:g} nats ({needed} of {runs} needed); the runs gave {gave}"
    )


register(
    Question(
        id="ex04_codebook_use",
        kind="experiment",
        hints=(
            "Train with the defaults and count the codes the test digits use: how many codes "
            "does the first batch's nearest-code search ever pick, if the codebook starts as "
            "tiny random vectors near the origin while the encoder's outputs are far away?",
            "A code that no encoder output picks gets no gradient from the codebook loss and "
            "never moves: it is dead from the first step. The lecture has two remedies: start "
            "the codes where the data is, and move codes that went unused for a while onto "
            "fresh encoder outputs. Try each alone and both: which one keeps codes alive "
            "while the encoder's outputs keep moving?",
            "Five numbers: the epoch budget, the learning rate and the commitment weight of "
            "the lecture, the start (0 or 1) and a restart interval of a few dozen steps; "
            "measure the perplexity on seeds of your own before you submit.",
        ),
        reference=lambda codebook_size: (4, 2e-3, 0.25, 0, 10),
        inputs=_codebook_inputs,
        outcome=_codebook_outcome,
        cases={"visible": 1, "hidden": 1},
        mistakes=(
            Mistake(
                lambda codebook_size: tuple(CodebookSettings()),
                "too much of the codebook is dead or rarely used",
            ),
            Mistake(lambda codebook_size: (20, 2e-3, 0.25, 1, 20), "over the budget"),
        ),
    )
)
