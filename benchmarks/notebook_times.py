"""Lecture notebooks executed headless (nbclient, a fresh kernel each run), top to bottom.

The figure is the wall time from the first cell to the last, kernel start-up excluded; the
budget is 60 s per lecture on a 2-core CPU. ``kernel peak MiB`` is the kernel's peak resident
memory (``getrusage``), read from the kernel after the last cell. On a GPU machine the same
notebooks pick the GPU themselves (``genlab.resolve_device("auto")``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


PEAK_CELL = "import resource as _r; print(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"  # KiB on Linux


def time_notebook(path: Path, device: str) -> tuple[float, float]:
    """Seconds from the first cell to the last, and the kernel's peak memory in MiB."""
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
        seconds = time.perf_counter() - start
        probe = nbformat.v4.new_code_cell(PEAK_CELL)
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        peak_kib = float(probe.outputs[0]["text"].split()[-1])
        return seconds, peak_kib / 1024
    finally:
        client._cleanup_kernel()


def run(device: str = "cpu", repeats: int = 3, quick: bool = False) -> list[dict]:
    rows = []
    names = sorted((ROOT / "lectures").glob("[0-9][0-9]*_*.ipynb"))
    for path in names[:2] if quick else names:
        results = [time_notebook(path, device) for _ in range(1 if quick else repeats)]
        times = sorted(seconds for seconds, _ in results)
        rows.append(
            {
                "notebook": path.stem,
                "device": device,
                "median s": times[len(times) // 2],
                "min s": times[0],
                "runs": len(times),
                "kernel peak MiB": max(peak for _, peak in results),
                "within 60 s": "yes" if times[len(times) // 2] <= 60 else "NO",
            }
        )
    return rows
