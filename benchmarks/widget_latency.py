"""Widget latency: the time from a slider change to the new image (decode + PNG + state), in
the kernel, for the trained digits VAE, without the browser round trip. 500 changes after 50
warm-up changes; median and 95th percentile. GAN playground: the time of one Play tick, that
is ``steps/frame`` training steps (10, the default) plus the redraw of every panel, for the
1-D and the ring playground; 200 ticks after 20 warm-up ticks. The playground needs at least
10 frames per second (<= 100 ms a tick).
"""

from __future__ import annotations

import torch

from genlab import data
from genlab.device import seed_everything
from genlab.models import build_vae
from genlab.train import fit
from genlab.widgets import gan_playground, latent_explorer, manifold_grid, measure_latency


def run(device: str = "cpu", repeats: int = 3, quick: bool = False) -> list[dict]:
    seed_everything(0)
    vae = build_vae("digits")
    fit(
        vae,
        data.digits("train").images,
        epochs=5 if quick else 100,
        lr=3e-3,
        progress=False,
        device=device,
    )
    rows = []
    explorer = latent_explorer(vae)
    values = torch.linspace(-2.5, 2.5, 550).tolist()
    measure_latency(explorer.sliders[0], values[:50])  # warm-up
    stats = measure_latency(explorer.sliders[0], values[50:])
    rows.append(
        {
            "widget": "latent explorer, one slider step",
            "device": device,
            "median ms": stats["median"] * 1e3,
            "p95 ms": stats["p95"] * 1e3,
            "changes": int(stats["n"]),
            "target median ms": 30,
        }
    )
    grid = manifold_grid(vae, n=15)
    spans = [1.5 + 0.01 * i for i in range(120)]
    measure_latency(grid.span, spans[:20])
    stats = measure_latency(grid.span, spans[20:])
    rows.append(
        {
            "widget": "manifold grid 15x15, span change",
            "device": device,
            "median ms": stats["median"] * 1e3,
            "p95 ms": stats["p95"] * 1e3,
            "changes": int(stats["n"]),
            "target median ms": 30,
        }
    )
    rows += playground_rows(device, quick)
    return rows


def playground_rows(device: str = "cpu", quick: bool = False) -> list[dict]:
    """One Play tick of the 1-D and the ring playground (``steps/frame`` steps plus a redraw).

    Run alone (``python benchmarks/widget_latency.py --playground``) to compare two checkouts
    side by side: it prints one line per playground.
    """
    rows = []
    for dim, objective, name in (
        (1, None, "GAN playground 1-D, one Play tick"),
        (1, "wgan_gp", "GAN playground 1-D WGAN-GP (exact W1 each frame), one Play tick"),
        (2, None, "GAN playground ring, one Play tick"),
    ):
        box = gan_playground(dim, device=device, objective=objective)
        ticks = range(1, 41 if quick else 221)
        measure_latency(box.play, ticks[:20])  # warm-up
        stats = measure_latency(box.play, ticks[20:])
        rows.append(
            {
                "widget": f"{name} ({1 / stats['median']:.0f} frames/s)",
                "device": device,
                "median ms": stats["median"] * 1e3,
                "p95 ms": stats["p95"] * 1e3,
                "changes": int(stats["n"]),
                "target median ms": 100,
            }
        )
    return rows


if __name__ == "__main__":
    import sys

    if "--playground" in sys.argv:
        for r in playground_rows(quick="--quick" in sys.argv):
            print(f"{r['widget']}: median {r['median ms']:.1f} ms, p95 {r['p95 ms']:.1f} ms")
