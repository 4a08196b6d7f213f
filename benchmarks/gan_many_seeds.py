"""Many-seed GAN runs: N independent default 1-D GANs (``mixture1d``, each with its own seed)
trained at once by ``genlab.gan.ManySeedGANs`` (grouped parameters, one update for all N)
against the same N runs trained one after another with ``GANTrainer``. Every run takes the
same number of generator steps with JSD logging on; the runs take turns in each repeat.
``batched vs sequential`` is the speed-up; ``batched vs one run`` is the target's measure
(64 batched runs at most 3x the wall time of one run on a 2-core CPU).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

from genlab.gan import GANTrainer, ManySeedGANs, default_setup, init_gan


def _batched(n: int, model_config, config, steps: int) -> float:
    runs = ManySeedGANs(n, model_config, "mixture1d", config)
    runs.train(20)  # warm-up: buffers, allocator
    start = time.perf_counter()
    runs.train(steps)
    return time.perf_counter() - start


def _sequential(n: int, model_config, config, steps: int) -> float:
    total = 0.0
    for seed in range(n):
        run_config = replace(config, seed=config.seed + seed)
        trainer = GANTrainer(init_gan(model_config, run_config.seed), "mixture1d", run_config)
        trainer.train(20)
        start = time.perf_counter()
        trainer.train(steps)
        total += time.perf_counter() - start
    return total


def run(device: str = "cpu", repeats: int = 3, quick: bool = False) -> list[dict]:
    model_config, config = default_setup("mixture1d")
    config = replace(config, device=device)
    steps = 50 if quick else 500
    sizes = (1, 8) if quick else (1, 8, 64)
    seconds = {(kind, n): [] for n in sizes for kind in ("batched", "sequential")}
    for _ in range(repeats):
        for n in sizes:
            seconds["batched", n].append(_batched(n, model_config, config, steps))
            seconds["sequential", n].append(_sequential(n, model_config, config, steps))
    one = statistics.median(seconds["sequential", 1])
    rows = []
    for n in sizes:
        batched = statistics.median(seconds["batched", n])
        sequential = statistics.median(seconds["sequential", n])
        rows.append(
            {
                "runs": n,
                "device": device,
                "steps": steps,
                "batched s": batched,
                "sequential s": sequential,
                "batched vs sequential": sequential / batched,
                "batched vs one run": batched / one,
                "target": "<= 3x one run" if n == 64 else "",
            }
        )
    return rows
