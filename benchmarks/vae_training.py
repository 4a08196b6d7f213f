"""VAE training throughput: genlab's trainer against a pytorch/examples-style loop.

Both train the identical model (same initial weights, batch size, epochs, optimizer and loss,
``model.loss``); the baseline feeds it through ``DataLoader(TensorDataset(x), shuffle=True)``
and logs ``loss.item()`` every step, as pytorch/examples/vae does. Throughput is training
samples per second. The two loops alternate (ABBA order, so drift on a shared machine hits
both alike), each pair with its own seed; ``ratio`` is the median over pairs of the pair's
speed ratio, with the lowest and highest pair after it. The held-out ELBO of every trained model
is averaged over the pairs (with its standard error), and ``ELBO genlab - examples`` is the mean
paired difference: positive means the genlab-trained models are better.
"""

from __future__ import annotations

import copy
import math
import statistics
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from genlab import data
from genlab.device import resolve_device, synchronize
from genlab.models import build_vae
from genlab.train import TrainConfig, Trainer, evaluate_elbo

# data set -> (preset, epochs, batch size, learning rate, pairs per --repeats)
SETTINGS = {
    "digits": ("digits", 30, 128, 3e-3, 3),  # a run takes about a second: more pairs
    "sprites": ("sprites", 2, 128, 1e-3, 1),
}


def examples_loop(model, x, epochs, batch_size, lr, device, seed):
    """The pytorch/examples VAE loop: DataLoader over a TensorDataset, .item() per step."""
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(x), batch_size=batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        train_loss = 0.0
        for (batch,) in loader:
            batch = batch.to(device)
            optimizer.zero_grad()
            loss = model.loss((batch,))["loss"]
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
    model.eval()


def genlab_loop(model, x, epochs, batch_size, lr, device, seed):
    config = TrainConfig(
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=str(device), progress=False
    )
    Trainer(model, config).fit(x)


def _timed(fn, model, x, test, *args):
    device = args[-2]
    synchronize(device)
    start = time.perf_counter()
    fn(model, x, *args)
    synchronize(device)
    seconds = time.perf_counter() - start
    return seconds, evaluate_elbo(model, test.to(device))


def _mean_se(values: list[float]) -> str:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{mean:.2f} ± {se:.2f}"


def run(device: str = "auto", repeats: int = 3, quick: bool = False) -> list[dict]:
    """One row per data set: median samples/s of each loop, their ratio and held-out ELBOs."""
    device = resolve_device(device)
    loops = {"genlab": genlab_loop, "examples": examples_loop}
    rows = []
    for name, (preset, epochs, batch_size, lr, per_repeat) in SETTINGS.items():
        pairs = repeats * per_repeat
        if quick:
            epochs, pairs = max(1, epochs // 10), min(pairs, 2)
        kw = {"n": 4000} if (quick and name == "sprites") else {}
        train = data.load(name, "train", **kw).images
        test = data.load(name, "test", **({"n": 1000} if name == "sprites" else {})).images
        torch.manual_seed(0)
        init = build_vae(preset).to(device)
        samples = epochs * (len(train) // batch_size) * batch_size
        # warm-up: one short run of each (allocator, kernels, DataLoader's imports)
        for fn in loops.values():
            fn(copy.deepcopy(init), train[: 4 * batch_size], 1, batch_size, lr, device, 0)
        speed = {k: [] for k in loops}
        elbo = {k: [] for k in loops}
        for r in range(pairs):
            order = list(loops) if r % 2 == 0 else list(loops)[::-1]
            for label in order:
                model = copy.deepcopy(init)
                seconds, value = _timed(
                    loops[label], model, train, test, epochs, batch_size, lr, device, r
                )
                speed[label].append(samples / seconds)
                elbo[label].append(value)
        ratios = sorted(g / e for g, e in zip(speed["genlab"], speed["examples"], strict=True))
        diffs = [g - e for g, e in zip(elbo["genlab"], elbo["examples"], strict=True)]
        rows.append(
            {
                "data set": name,
                "device": str(device),
                "epochs x batch": f"{epochs} x {batch_size}",
                "pairs": pairs,
                "genlab samples/s": statistics.median(speed["genlab"]),
                "examples-loop samples/s": statistics.median(speed["examples"]),
                "ratio (min-max)": f"{statistics.median(ratios):.2f} "
                f"({ratios[0]:.2f}-{ratios[-1]:.2f})",
                "genlab held-out ELBO": _mean_se(elbo["genlab"]),
                "examples held-out ELBO": _mean_se(elbo["examples"]),
                "ELBO genlab - examples": _mean_se(diffs),
            }
        )
    return rows
