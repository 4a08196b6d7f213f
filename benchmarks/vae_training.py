"""VAE training throughput: genlab's trainer against a pytorch/examples-style loop.

Both train the identical model (same initial weights, batch size, epochs, optimizer and loss,
``model.loss``); the baseline feeds it through ``DataLoader(TensorDataset(x), shuffle=True)``
and logs ``loss.item()`` every step, as pytorch/examples/vae does. Throughput is training
samples per second. The loops alternate (ABBA order, so drift on a shared machine hits
both alike), each pair with its own seed; ``ratio`` is the median over pairs of the pair's
speed ratio, with the lowest and highest pair after it. The held-out ELBO of every trained model
is averaged over the pairs (with its standard error), and ``ELBO genlab - examples`` is the mean
paired difference: positive means the genlab-trained models are better.

On digits a third run takes part in every pair: the trainer with ``compile=True``
(``torch.compile`` of the loss; CUDA graphs on CUDA). Compiling and two warm-up steps happen
before its timed run. ``compile s`` is that cost for the section's first compile, made with an
empty Inductor cache (what a machine pays once), and, in brackets, the median for the later
runs (a new trainer in the same process). ``compiled ratio`` is the compiled run's median
speed ratio to the examples loop.
"""

from __future__ import annotations

import copy
import math
import shutil
import statistics
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from genlab import data
from genlab.device import resolve_device, synchronize
from genlab.models import build_vae
from genlab.train import TrainConfig, Trainer, evaluate_elbo

# data set -> (preset, epochs, batch size, learning rate, pairs per --repeats, compiled too)
SETTINGS = {
    "digits": ("digits", 30, 128, 3e-3, 10, True),  # a run takes about a second: more pairs
    "sprites": ("sprites", 2, 128, 1e-3, 1, False),
}


# Each loop prepares (untimed) and returns the training run to time.


def examples_loop(model, x, epochs, batch_size, lr, device, seed):
    """The pytorch/examples VAE loop: DataLoader over a TensorDataset, .item() per step."""

    def train():
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

    return train


def _trainer(model, epochs, batch_size, lr, device, seed, **extra):
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=str(device),
        progress=False,
        **extra,
    )
    return Trainer(model, config)


def genlab_loop(model, x, epochs, batch_size, lr, device, seed):
    trainer = _trainer(model, epochs, batch_size, lr, device, seed)
    return lambda: trainer.fit(x)


def genlab_compiled_loop(model, x, epochs, batch_size, lr, device, seed):
    """``compile=True``; compiling and two warm-up steps happen before the timed run."""
    trainer = _trainer(model, epochs, batch_size, lr, device, seed, compile=True)
    trainer.fit(x[: 2 * batch_size], epochs=1)
    return lambda: trainer.fit(x)


def _timed(prepare, model, x, test, *args):
    device = args[-2]
    start = time.perf_counter()
    train = prepare(model, x, *args)
    synchronize(device)
    prepared = time.perf_counter()
    train()
    synchronize(device)
    seconds = time.perf_counter() - prepared
    return seconds, evaluate_elbo(model, test.to(device)), prepared - start


def _have_compiler() -> bool:
    """torch.compile on the CPU builds C++ kernels: it needs a compiler."""
    return any(shutil.which(c) for c in ("g++", "c++", "clang++"))


def _mean_se(values: list[float]) -> str:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{mean:.2f} ± {se:.2f}"


def run(device: str = "auto", repeats: int = 3, quick: bool = False) -> list[dict]:
    """One row per data set: median samples/s of each loop, their ratio and held-out ELBOs."""
    device = resolve_device(device)
    rows = []
    for name, (preset, epochs, batch_size, lr, per_repeat, compiled) in SETTINGS.items():
        loops = {"genlab": genlab_loop, "examples": examples_loop}
        if compiled and device.type == "cpu" and not _have_compiler():
            compiled = False
        if compiled:
            loops["genlab compiled"] = genlab_compiled_loop
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
        setup = []  # seconds to prepare each compiled run; the first is the warm-up's
        for label, fn in loops.items():
            start = time.perf_counter()
            fn(copy.deepcopy(init), train[: 4 * batch_size], 1, batch_size, lr, device, 0)()
            if label == "genlab compiled":
                setup.append(time.perf_counter() - start)
        speed = {k: [] for k in loops}
        elbo = {k: [] for k in loops}
        for r in range(pairs):
            order = list(loops) if r % 2 == 0 else list(loops)[::-1]
            for label in order:
                model = copy.deepcopy(init)
                seconds, value, prepared = _timed(
                    loops[label], model, train, test, epochs, batch_size, lr, device, r
                )
                speed[label].append(samples / seconds)
                elbo[label].append(value)
                if label == "genlab compiled":
                    setup.append(prepared)
        ratios = sorted(g / e for g, e in zip(speed["genlab"], speed["examples"], strict=True))
        diffs = [g - e for g, e in zip(elbo["genlab"], elbo["examples"], strict=True)]
        if compiled:
            fast = sorted(
                c / e for c, e in zip(speed["genlab compiled"], speed["examples"], strict=True)
            )
            extra = {
                "compiled samples/s": statistics.median(speed["genlab compiled"]),
                "compiled ratio": f"{statistics.median(fast):.2f}",
                "compile s, first (later)": f"{setup[0]:.1f} ({statistics.median(setup[1:]):.1f})",
                "compiled ELBO": _mean_se(elbo["genlab compiled"]),
            }
        else:
            extra = {}
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
                **extra,
            }
        )
    return rows
