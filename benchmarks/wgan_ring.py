"""WGAN-GP against the non-saturating GAN on the ring of eight Gaussians, over many seeds.

    python benchmarks/wgan_ring.py --runs 32 --steps 1500 --wgan 5e-4:5e-4 5e-4:2e-3 5e-4:5e-3

Prints, per objective, the runs that cover all 8 modes (genlab.gan.mode_coverage, min_share
0.25) with the Wilson 95% interval of their share (genlab.metrics.wilson_interval), the mean
coverage, the median of the critic's last estimate of W1 (WGAN-GP) and the seconds taken.
Each ``--wgan LR_G:LR_D`` is one WGAN-GP row (lambda 10, ``--k`` critic steps per generator
step, Adam betas (0.5, 0.9)); the non-saturating row is genlab's ring default (lr 5e-4, lr_d
2e-3, R1 0.1, k 1). Seeds are 0 .. runs-1 for every row (same initial networks).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from genlab.gan import DEFAULTS, GANTrainConfig, ManySeedGANs
from genlab.metrics import wilson_interval
from genlab.wgan import ManySeedWGANGP


def rates(text: str) -> tuple[float, float]:
    lr_g, _, lr_d = text.partition(":")
    return float(lr_g), float(lr_d or lr_g)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument(
        "--wgan", type=rates, nargs="+", default=[(5e-4, 5e-4), (5e-4, 2e-3)],
        help="WGAN-GP learning rates LR_G:LR_D, one row each",
    )  # fmt: skip
    parser.add_argument("--k", type=int, default=5, help="critic steps per generator step")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = list(range(args.runs))
    common = dict(steps=args.steps, log_every=args.steps, eval_samples=2048, device="cpu")
    runs = {}
    for lr_g, lr_d in args.wgan:
        wgan = GANTrainConfig(lr=lr_g, lr_d=lr_d, betas=(0.5, 0.9), r1=0.0, k=args.k, **common)
        name = f"WGAN-GP (lambda 10, k {args.k}, lr G {lr_g:g}, lr critic {lr_d:g})"
        runs[name] = lambda c=wgan: ManySeedWGANGP(args.runs, "ring", config=c, seeds=seeds)
    ns = replace(DEFAULTS["ring"][1], **common)
    runs["non-saturating (genlab ring default)"] = lambda: ManySeedGANs(
        args.runs, target="ring", config=ns, seeds=seeds
    )
    print(f"ring of 8 Gaussians, seeds 0-{args.runs - 1}, {args.steps} generator steps, 1 thread")
    print(
        "| objective | all 8 modes | share [Wilson 95%] | mean coverage "
        "| critic's W1, median | seconds |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, make in runs.items():
        start = time.perf_counter()
        many = make().train()
        result = many.result()
        seconds = time.perf_counter() - start
        share = wilson_interval(int((result.coverage >= 1.0).sum()), args.runs)
        critic = (
            f"{float(many.critic_estimate().median()):.3f}"
            if isinstance(many, ManySeedWGANGP)
            else ""
        )
        print(
            f"| {name} | {share.successes}/{args.runs} | {share.share:.2f} "
            f"[{share.low:.2f}, {share.high:.2f}] | {result.coverage.mean():.2f} | {critic} "
            f"| {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
