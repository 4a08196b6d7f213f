"""``genlab train gan``: train a GAN from the command line.

    genlab train gan --dataset mixture1d|mixture2d|ring|digits|sprites \\
        --objective non_saturating --out DIR

writes ``DIR/gan.pt`` (a :mod:`genlab.checkpoint` of the :class:`~genlab.models.gan.GAN` and
its history) and ``DIR/samples.png`` (toy data: the target density, the generator's density and
D(x); images: a grid of samples), and prints the final JSD (toy data) or sample statistics
(images). :func:`add_gan_parser` adds the ``gan`` command to ``genlab train``'s subparsers.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["DATASETS", "add_gan_parser", "run_gan", "save_gan_figure"]

# genlab.gan.TARGETS, spelled out so that building the parser does not import torch
DATASETS = ("mixture1d", "mixture2d", "ring", "digits", "sprites")


def add_gan_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``gan`` to ``genlab train``'s subparsers; its runner is :func:`run_gan`."""
    gan = subparsers.add_parser("gan", help="train a GAN on toy data or an image data set")
    gan.add_argument("--dataset", choices=DATASETS, default="mixture1d")
    gan.add_argument(
        "--objective",
        default="non_saturating",
        metavar="NAME",
        help="minimax, non_saturating (default) or an f-divergence of "
        "genlab.divergences.F_DIVERGENCES (kl, reverse_kl, jensen_shannon, pearson, ...)",
    )
    gan.add_argument(
        "--steps", type=int, default=None, help="generator steps (default: per data set)"
    )
    gan.add_argument("--k", type=int, default=None, help="discriminator steps per generator step")
    gan.add_argument("--batch-size", type=int, default=None)
    gan.add_argument("--lr", type=float, default=None, help="generator learning rate")
    gan.add_argument("--lr-d", type=float, default=None, help="discriminator learning rate")
    gan.add_argument("--r1", type=float, default=None, help="R1 penalty weight (0: none)")
    gan.add_argument(
        "--optimal-d", action="store_true", help="replace D by D* (toy data with a known density)"
    )
    gan.add_argument("--seed", type=int, default=0)
    gan.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N, mps")
    gan.add_argument("--out", required=True, help="folder for gan.pt and samples.png")
    gan.add_argument("--quiet", action="store_true", help="no progress bar")
    gan.set_defaults(run=run_gan)
    return gan


def _config(args: argparse.Namespace):
    from dataclasses import replace

    from genlab.gan import default_setup

    model_config, config = default_setup(args.dataset)
    overrides = {
        "objective": args.objective,
        "seed": args.seed,
        "device": args.device,
        "optimal_d": args.optimal_d,
    }
    for name in ("steps", "k", "batch_size", "lr", "lr_d", "r1"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    return model_config, replace(config, **overrides)  # GANTrainConfig checks every value


def run_gan(args: argparse.Namespace) -> int:
    """Train, save the checkpoint and the figure, print the result; 0 on success."""
    from genlab import checkpoint
    from genlab.gan import GANTrainer, init_gan

    model_config, config = _config(args)
    trainer = GANTrainer(init_gan(model_config, config.seed), args.dataset, config)
    print(
        f"training a {model_config.arch} GAN on {args.dataset} with the {config.objective} "
        f"objective on {trainer.device} for {config.steps} generator steps (k = {config.k})"
    )
    bar = None
    if not args.quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.steps, unit="step", leave=False)
        trainer.add_callback("on_step_end", lambda t: bar.update(t.step_count - bar.n))
    try:
        history = trainer.train()
    finally:
        if bar is not None:
            bar.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = checkpoint.save(trainer.model, out / "gan.pt", history=history)
    figure = save_gan_figure(trainer, out / "samples.png")
    print(f"{trainer.step_count} generator steps in {trainer.seconds:.1f} s")
    if trainer.target.is_toy:
        from genlab.gan import classify_runs

        jsd = trainer.jsd()
        floor = trainer.target.jsd_floor(config.eval_samples)
        x = trainer.samples()[None]
        import torch

        outcome = classify_runs(trainer.target, x, torch.tensor([jsd]))[0]
        print(f"final JSD(p_data || p_g): {jsd:.4f} nats (estimator floor {floor:.4f}); {outcome}")
    else:
        x = trainer.samples()
        real = trainer.target.images
        print(
            f"samples: mean {float(x.mean()):.3f}, std {float(x.std()):.3f} "
            f"(data: mean {float(real.mean()):.3f}, std {float(real.std()):.3f})"
        )
    print(f"wrote {ckpt} and {figure}")
    return 0


def save_gan_figure(trainer, path: str | os.PathLike) -> Path:
    """A PNG of the trainer's current state: 1-D: p_data, the KDE of p_g and D(x); 2-D: p_data
    and generator samples; images: a grid of 64 samples."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import torch

    path = Path(path)
    target = trainer.target
    fig, ax = plt.subplots(figsize=(6, 4) if target.is_toy and target.dim == 1 else (5, 5))
    if not target.is_toy:
        from genlab.plots import image_grid

        grid = image_grid(trainer.samples(64).cpu())
        ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
        ax.axis("off")
        ax.set_title(f"{target.name}: GAN samples after {trainer.step_count} steps")
    elif target.dim == 1:
        dens = trainer.densities()
        x = dens.axis.float()
        d = trainer.discriminator_on(x[:, None].to(trainer.device)).cpu()
        ax.plot(x, dens.p_data, label="$p_{data}$", color="k")
        ax.plot(x, dens.p_g, label="$p_g$ (KDE)", color="C1")
        ax.plot(x, d, label="$D(x)$", color="C0", linestyle="--")
        ax.set_xlabel("x")
        ax.legend()
        ax.set_title(f"JSD = {trainer.jsd():.4f} nats after {trainer.step_count} steps")
    else:
        dens = trainer.densities()
        axis = dens.axis.float()
        ax.contour(axis, axis, dens.p_data, levels=6, colors="k", linewidths=0.8)
        x = trainer.samples(1000).cpu()
        x = x[torch.isfinite(x).all(1)]
        ax.scatter(x[:, 0], x[:, 1], s=3, alpha=0.5, color="C1")
        ax.set_aspect("equal")
        ax.set_title(f"JSD = {trainer.jsd():.4f} nats after {trainer.step_count} steps")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
