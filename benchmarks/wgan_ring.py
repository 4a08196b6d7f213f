"""WGAN-GP against the non-saturating GAN on the ring of eight Gaussians, over many seeds.

    python benchmarks/wgan_ring.py --runs 16 --steps 1500

Prints, per objective, the share of runs that cover all 8 modes (genlab.gan.mode_coverage,
min_share 0.25) with its binomial standard error, the mean coverage and the seconds taken.
Seeds are 0 .. runs-1 for both objectives (same initial networks).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import torch

from genlab.gan import DEFAULTS, GANTrainConfig, ManySeedGANs
from genlab.wgan import ManySeedWGANGP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--lr", type=float, default=5e-4, help="WGAN-GP's learning rate (both)")
    parser.add_argument("--k", type=int, default=5, help="critic steps per generator step")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = list(range(args.runs))
    common = dict(steps=args.steps, log_every=args.steps, eval_samples=2048, device="cpu")
    wgan = GANTrainConfig(lr=args.lr, lr_d=args.lr, betas=(0.5, 0.9), r1=0.0, k=args.k, **common)
    runs = {
        f"WGAN-GP (lambda 10, k {args.k}, lr {args.lr:g})": ManySeedWGANGP(
            args.runs, "ring", config=wgan, seeds=seeds
        ),
        "non-saturating (genlab ring default)": ManySeedGANs(
            args.runs, target="ring", config=replace(DEFAULTS["ring"][1], **common), seeds=seeds
        ),
    }
    print(f"ring of 8 Gaussians, seeds 0-{args.runs - 1}, {args.steps} generator steps")
    print("| objective | all 8 modes | share +- s.e. | mean coverage | seconds |")
    print("|---|---:|---:|---:|---:|")
    for name, many in runs.items():
        start = time.perf_counter()
        result = many.train().result()
        seconds = time.perf_counter() - start
        full = int((result.coverage >= 1.0).sum())
        share = full / args.runs
        se = math.sqrt(share * (1 - share) / args.runs)
        print(
            f"| {name} | {full}/{args.runs} | {share:.2f} +- {se:.2f} | "
            f"{result.coverage.mean():.2f} | {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
