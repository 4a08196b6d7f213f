"""Lecture 09's targets that need no training of a GAN: the time of one FID on 2,000 vs 2,000
digit feature vectors (128 features of the course's digits classifier), and the Dirac-GAN's
distance to its equilibrium after 500 steps of size 0.1 from (1, 1), for every method.

    python benchmarks/fid_dirac.py
"""

from __future__ import annotations

import statistics
import time

import torch

from genlab.data import digits
from genlab.metrics import fid
from genlab.theory import DiracGAN
from genlab.train import train_digit_classifier


def fid_seconds(repeats: int = 7) -> tuple[float, float]:
    clf = train_digit_classifier(seed=0, device="cpu").model
    images = digits("all").images  # (1797, 1, 8, 8)
    kernel = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]).div(16)
    blurred = torch.nn.functional.conv2d(images, kernel.view(1, 1, 3, 3), padding=1)
    feats = torch.cat([clf.features(images), clf.features(blurred)]).double()[:4000]
    a, b = feats[:2000], feats[2000:]
    fid(a, b)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        value = fid(a, b)
        times.append(time.perf_counter() - started)
    return statistics.median(times), float(value)


def dirac_table(steps: int = 500, lr: float = 0.1) -> list[str]:
    methods = {
        "simultaneous, no regulariser": (DiracGAN("gan"), "simultaneous"),
        "alternating, no regulariser": (DiracGAN("gan"), "alternating"),
        "simultaneous, R1 gamma = 1": (DiracGAN("gan", r1=1.0), "simultaneous"),
        "alternating, R1 gamma = 1": (DiracGAN("gan", r1=1.0), "alternating"),
        "simultaneous, instance noise sigma = 1": (DiracGAN("gan", noise_std=1.0), "simultaneous"),
        "alternating, instance noise sigma = 1": (DiracGAN("gan", noise_std=1.0), "alternating"),
        "alternating, WGAN, clipping c = 1": (DiracGAN("wgan", clip=1.0), "alternating"),
        "alternating, WGAN, no clipping": (DiracGAN("wgan"), "alternating"),
    }
    rows = [
        f"| method ({steps} steps of {lr} from (1, 1)) | distance to (0, 0) "
        "| max abs(theta), last 100 |",
        "|---|---:|---:|",
    ]
    for name, (game, update) in methods.items():
        t = game.simulate(1.0, 1.0, steps, lr, update)
        rows.append(
            f"| {name} | {float(t.distance[-1]):.3g} | {float(t.theta[-100:].abs().max()):.3g} |"
        )
    return rows


def main() -> None:
    torch.set_num_threads(1)
    seconds, value = fid_seconds()
    ms = 1000 * seconds
    print(f"FID, 2,000 vs 2,000 feature vectors of 128: median {ms:.1f} ms (FID {value:.2f})")
    print("\n".join(dirac_table()))


if __name__ == "__main__":
    main()
