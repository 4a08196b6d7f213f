"""Exercise 04's VQ-VAE experiment: train the digits VQ-VAE under a student's codebook
settings and measure how much of the codebook it uses.

Training code, so it lives outside :mod:`genlab.models` (models do not depend on the trainer).
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import torch

from genlab import data
from genlab._checks import positive_int
from genlab.device import one_thread
from genlab.models.vqvae import VQVAE, VQVAE_PRESETS, codebook_usage
from genlab.train import fit


class CodebookSettings(NamedTuple):
    """The settings exercise 04 lets a student choose for :func:`vqvae_codebook_run`; the
    defaults are the paper's codebook, started uniform in :math:`[-1/K, 1/K]` and never
    restarted."""

    epochs: int = 4
    lr: float = 2e-3
    beta: float = 0.25
    data_init: int = 0  # 1: start the codebook on encoder outputs of the first batch
    restart_every: int = 0  # steps between restarts of unused codes (0: never)


CODEBOOK_BUDGET = CodebookSettings(epochs=4, lr=0.01, beta=2.0, data_init=1, restart_every=100)


class CodebookRun(NamedTuple):
    """What :func:`vqvae_codebook_run` measured on the test digits."""

    perplexity: float  # of the code frequencies, in [1, K]
    usage: float  # share of the K codes chosen at least once
    nll: float  # mean -log p(x | z_q) per image, nats


def vqvae_codebook_run(seed: int, settings=None, codebook_size: int = 32) -> CodebookRun:
    r"""Train the ``digits`` VQ-VAE (``codebook_size`` codes, a 4x4 grid of codes per digit) on
    the training digits
    with ``settings`` (a :class:`CodebookSettings` or a tuple in its order: epochs, Adam's
    learning rate, the commitment weight :math:`\beta`, whether the codebook starts on
    encoder outputs, and how often unused codes are restarted), batches of 64, on the CPU with
    ``seed``; return the codebook's use and the reconstruction NLL on the test digits.
    Settings outside :data:`CODEBOOK_BUDGET` are refused (ValueError): a run stays within
    about two seconds on a laptop."""
    settings = CodebookSettings() if settings is None else CodebookSettings(*settings)
    for name, value, cap in zip(settings._fields, settings, CODEBOOK_BUDGET, strict=True):
        low_ok = value >= 0 if name in ("data_init", "restart_every") else value > 0
        if not (low_ok and value <= cap) or (
            name in ("epochs", "data_init", "restart_every") and value != int(value)
        ):
            raise ValueError(f"settings.{name} must be in [0, {cap}] (whole); got {value!r}")
    config = replace(
        VQVAE_PRESETS["digits"],
        codebook_size=positive_int("codebook_size", codebook_size, minimum=2),
        beta=float(settings.beta),
        data_init=bool(settings.data_init),
        restart_every=int(settings.restart_every),
    )
    train, test = data.digits("train"), data.digits("test")
    with one_thread(), torch.random.fork_rng(devices=[]):  # a small model: threads only cost
        torch.manual_seed(seed)
        model = VQVAE(config)
        fit(
            model,
            train.images,
            epochs=int(settings.epochs),
            batch_size=64,
            lr=float(settings.lr),
            seed=seed,
            device="cpu",
            progress=False,
        )
        model.eval()
        with torch.no_grad():
            usage = codebook_usage(model, test.images)
            nll = float(model.nll(test.images, model(test.images).decoded).mean())
    return CodebookRun(usage.perplexity, usage.usage, nll)
