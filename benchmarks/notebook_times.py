"""Lecture notebooks executed headless (nbclient, a fresh kernel each run), top to bottom.

The figure is the wall time from the first cell to the last, kernel start-up excluded; the
budget is 60 s per lecture on a 2-core CPU. On a GPU machine the same notebooks pick the GPU
themselves (``genlab.resolve_device("auto")``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def time_notebook(path: Path, device: str) -> float:
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, GENLAB_DEVICE=device)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    client.start_new_kernel_client()
    try:
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        return time.perf_counter() - start
    finally:
        client._cleanup_kernel()


def run(device: str = "cpu", repeats: int = 3, quick: bool = False) -> list[dict]:
    rows = []
    names = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
    for path in names[:2] if quick else names:
        times = sorted(time_notebook(path, device) for _ in range(1 if quick else repeats))
        rows.append(
            {
                "notebook": path.stem,
                "device": device,
                "median s": times[len(times) // 2],
                "min s": times[0],
                "runs": len(times),
                "within 60 s": "yes" if times[len(times) // 2] <= 60 else "NO",
            }
        )
    return rows
