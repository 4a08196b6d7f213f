"""Lecture notebooks executed headless (nbclient, a fresh kernel each run), top to bottom.

The figure is the wall time from the first cell to the last, kernel start-up excluded; the
budget is 60 s per lecture on a 2-core CPU. ``kernel CPU s`` is the CPU time the kernel process
used (user + system, all its threads, from ``/proc``); on a busy machine it grows too, as
torch's idle threads spin while they wait for a core. ``silent > 5 s`` lists
the code cells (index: seconds) that ran longer than 5 s without showing progress: no tqdm
bar (a widget, or a terminal bar's carriage returns) and no other widget such as a live loss
curve. ``kernel peak MiB`` is the kernel's peak resident memory (``getrusage``), read from the
kernel after the last cell. On a GPU machine the same notebooks pick the GPU themselves
(``genlab.resolve_device("auto")``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


PEAK_CELL = "import resource as _r; print(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"  # KiB on Linux


SLOW_CELL_S = 5.0
WIDGET = "application/vnd.jupyter.widget-view+json"


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` and its finished children (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError, IndexError):
        return float("nan")
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _shows_progress(cell) -> bool:
    """A tqdm bar or another widget, or text streamed while the cell ran (a bar in a terminal)."""
    for output in cell.get("outputs", []):
        if WIDGET in output.get("data", {}):
            return True
        if output.get("output_type") == "stream" and "\r" in output.get("text", ""):
            return True
    return False


def time_notebook(path: Path, device: str) -> tuple[float, float, float, list[str]]:
    """Seconds from the first cell to the last, the kernel's peak memory in MiB, its CPU
    seconds, and the cells over 5 s that show no progress (``"index: seconds"``)."""
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, GENLAB_DEVICE=device)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    client.start_new_kernel_client()
    provisioner = getattr(client.km, "provisioner", None)
    pid = getattr(getattr(provisioner, "process", None), "pid", None)
    silent = []
    try:
        cpu0 = _cpu_seconds(pid)
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            begin = time.perf_counter()
            client.execute_cell(cell, index)
            took = time.perf_counter() - begin
            if cell.cell_type == "code" and took > SLOW_CELL_S and not _shows_progress(cell):
                silent.append(f"{index}: {took:.0f}")
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds(pid) - cpu0
        probe = nbformat.v4.new_code_cell(PEAK_CELL)
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        peak_kib = float(probe.outputs[0]["text"].split()[-1])
        return seconds, peak_kib / 1024, cpu, silent
    finally:
        client._cleanup_kernel()


def run(device: str = "cpu", repeats: int = 3, quick: bool = False) -> list[dict]:
    rows = []
    names = sorted((ROOT / "lectures").glob("[0-9][0-9]*_*.ipynb"))
    for path in names[:2] if quick else names:
        results = [time_notebook(path, device) for _ in range(1 if quick else repeats)]
        times = sorted(r[0] for r in results)
        cpus = sorted(r[2] for r in results)
        rows.append(
            {
                "notebook": path.stem,
                "device": device,
                "median s": times[len(times) // 2],
                "min s": times[0],
                "runs": len(times),
                "kernel CPU s": cpus[len(cpus) // 2],
                "kernel peak MiB": max(r[1] for r in results),
                "within 60 s": "yes" if times[len(times) // 2] <= 60 else "NO",
                "silent > 5 s": " ".join(results[0][3]) or "none",
            }
        )
    return rows
