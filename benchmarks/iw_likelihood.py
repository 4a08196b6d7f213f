"""The importance-weighted log-likelihood L_5000 of the 360 held-out digits (lecture 04b).

Target: <= 10 s on a 2-core CPU. The time does not depend on how well the VAE is trained, so
the model is the lecture's architecture (MLP 64-256-128-(8+8), Bernoulli decoder) after a short
training run. Prints the median over ``--repeats`` runs and the estimate itself.

    python benchmarks/iw_likelihood.py [--repeats 3] [--k 5000] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import genlab
from genlab import data
from genlab.metrics import bits_per_dim, log_likelihood
from genlab.models import VAEConfig, build_vae
from genlab.train import TrainConfig
from genlab.vae_objectives import fit_beta_vae


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, default=5000)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = genlab.resolve_device(args.device)
    x_train = (data.digits("train").images > 0.5).float().to(device)
    x_test = (data.digits("test").images > 0.5).float().to(device)
    genlab.seed_everything(0)
    vae = build_vae(VAEConfig(latent_dim=8))
    config = TrainConfig(epochs=10, lr=3e-3, progress=False, device=str(device))
    fit_beta_vae(vae, x_train, config)
    seconds = []
    for repeat in range(args.repeats):
        generator = torch.Generator(device).manual_seed(repeat)
        start = time.perf_counter()
        est = log_likelihood(vae, x_test, k=args.k, generator=generator)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    mean = est.estimate.mean().item()
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    print(f"L_{args.k} of {len(x_test)} test digits on {device}: median {median:.2f} s")
    print(f"  over {args.repeats} runs ({runs})")
    print(f"  {mean:.3f} nats = {bits_per_dim(mean, 64):.4f} bits/dim after 10 epochs")


if __name__ == "__main__":
    main()
