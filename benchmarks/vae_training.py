"""VAE training throughput: genlab's trainer against a pytorch/examples-style loop.

Both train the identical model (same initial weights, batch size, epochs, optimizer and loss,
``model.loss``); the baseline feeds it through ``DataLoader(TensorDataset(x), shuffle=True)``
and logs ``loss.item()`` every step, as pytorch/examples/vae does. Throughput is training
samples per second; the held-out ELBO of each trained model is reported next to it.
"""

from __future__ import annotations

import copy
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from genlab import data
from genlab.device import resolve_device, synchronize
from genlab.models import build_vae
from genlab.train import TrainConfig, Trainer, evaluate_elbo

# data set -> (preset, epochs, batch size, learning rate, sprites train size)
SETTINGS = {
    "digits": ("digits", 30, 128, 3e-3),
    "sprites": ("sprites", 2, 128, 1e-3),
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


def run(device: str = "auto", repeats: int = 3, quick: bool = False) -> list[dict]:
    """One row per data set: median samples/s of each loop, their ratio and held-out ELBOs."""
    device = resolve_device(device)
    rows = []
    for name, (preset, epochs, batch_size, lr) in SETTINGS.items():
        if quick:
            epochs = max(1, epochs // 10)
        kw = {"n": 4000} if (quick and name == "sprites") else {}
        train = data.load(name, "train", **kw).images
        test = data.load(name, "test", **({"n": 1000} if name == "sprites" else {})).images
        torch.manual_seed(0)
        init = build_vae(preset).to(device)
        results = {"genlab": [], "examples": []}
        # warm-up: one short run of each (allocator, kernels, DataLoader workers' imports)
        for fn in (genlab_loop, examples_loop):
            fn(copy.deepcopy(init), train[: 4 * batch_size], 1, batch_size, lr, device, 0)
        for r in range(repeats):
            for label, fn in (("genlab", genlab_loop), ("examples", examples_loop)):
                model = copy.deepcopy(init)
                seconds, elbo = _timed(fn, model, train, test, epochs, batch_size, lr, device, r)
                samples = epochs * (len(train) // batch_size) * batch_size
                results[label].append((samples / seconds, elbo))
        med = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
        rows.append(
            {
                "data set": name,
                "device": str(device),
                "epochs x batch": f"{epochs} x {batch_size}",
                "genlab samples/s": med["genlab"][0],
                "examples-loop samples/s": med["examples"][0],
                "ratio": med["genlab"][0] / med["examples"][0],
                "genlab held-out ELBO": sum(e for _, e in results["genlab"]) / repeats,
                "examples held-out ELBO": sum(e for _, e in results["examples"]) / repeats,
            }
        )
    return rows
