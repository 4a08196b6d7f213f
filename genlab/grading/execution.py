"""Run a notebook's cells one by one in a fresh, resource-limited kernel (nbclient).

:class:`Kernel` starts :mod:`genlab.grading.kernel` (memory, CPU-time and file-size limits),
in the sandbox of :mod:`genlab.grading.sandbox` where there is one, over unix sockets in the
kernel's own folder; it runs one cell at a time with a timeout, keeps at most
``max_output_bytes`` of output of any type (the answers a probe asked for aside), and tells
what happened to each cell (:class:`Outcome`): it finished, raised, timed out, ran out
of memory, or killed the kernel. Restarting is the caller's decision (see
:mod:`genlab.grading.grader`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from genlab.grading import protocol, sandbox

__all__ = ["ANSWER_BYTES", "GradeConfig", "Kernel", "Outcome"]

ANSWER_BYTES = 8_000_000  # the largest answer message a probe may send back


@dataclass(frozen=True)
class GradeConfig:
    """Limits for grading one submission."""

    cell_timeout: float = 60.0  # seconds for one cell (and for one question's checks)
    timeout: float = 300.0  # seconds for the whole submission
    max_output_bytes: int = 2_000_000  # output kept from the notebook's cells
    memory_mb: int = 2048  # memory the notebook may allocate beyond torch and genlab
    restarts: int = 3  # kernel restarts charged to one question (cells it needs hang or crash)
    device: str = "cpu"  # GENLAB_DEVICE inside the kernel


@dataclass
class Outcome:
    """What happened to one cell, and its outputs."""

    status: str  # ok | error | timeout | memory | died (in this cell) | dead (before it)
    ename: str = ""
    evalue: str = ""
    outputs: list = field(default_factory=list)

    def describe(self, timeout: float) -> str:
        return {
            "error": f"raised {self.ename}" + (f": {self.evalue}" if self.evalue else ""),
            "timeout": f"did not finish within {timeout:g} s",
            "died": "crashed the kernel (or exited it)",
            "dead": "crashed the kernel (or exited it)",
            "memory": "ran out of memory (MemoryError)",
        }.get(self.status, "ran")


def _kernel_manager(config: GradeConfig, box: Path, sandboxed: bool):
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    cpu_seconds = int(2 * config.timeout + 120)
    argv = [
        sys.executable,
        "-m",
        "genlab.grading.kernel",
        "--memory-mb",
        str(config.memory_mb),
        "--cpu-seconds",
        str(cpu_seconds),
        "--HistoryManager.enabled=False",
        "-f",
        "{connection_file}",
    ]
    spec = KernelSpec(
        argv=sandbox.wrap(argv, box) if sandboxed else argv,
        display_name="genlab grading",
        language="python",
        metadata={},
    )

    class _Specs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name, *args, **kwargs):
            return spec

    # the connection file and unix sockets live in the kernel's own folder: no open ports
    options = {"connection_file": str(box / "kernel.json")}
    if os.name == "posix":
        options.update(transport="ipc", ip=str(box / "ipc"))
    return AsyncKernelManager(kernel_name="genlab-grading", kernel_spec_manager=_Specs(), **options)


def _make_client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """nbclient that keeps at most ``cap`` bytes of output, whatever its MIME type. The
        answers the grader asked for (``answers`` of them, while a probe runs) are the only
        outputs kept outside the cap, each up to :data:`ANSWER_BYTES`."""

        cap = 2_000_000
        used = 0
        dropped = False
        answers = 0  # answer messages still expected from the running cell

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            data = content.get("data") if isinstance(content.get("data"), dict) else {}
            try:
                size = len(json.dumps(content, default=str))
            except (TypeError, ValueError):
                return None
            if protocol.ANSWER_MIME in data and self.answers > 0 and size <= ANSWER_BYTES:
                self.answers -= 1
                return super().output(outs, msg, display_id, cell_index)
            if self.used + size > self.cap:
                self.dropped = True
                return None
            self.used += size
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _matplotlib_dir(box: Path) -> str:
    """A matplotlib folder in the box, with the grader's font list copied in if there is one
    (building it again in every kernel would cost seconds)."""
    folder = box / ".matplotlib"
    folder.mkdir(exist_ok=True)
    home = Path.home()
    candidates = [home / ".cache" / "matplotlib", home / ".matplotlib"]
    if os.environ.get("XDG_CACHE_HOME"):
        candidates.insert(0, Path(os.environ["XDG_CACHE_HOME"]) / "matplotlib")
    if os.environ.get("MPLCONFIGDIR"):
        candidates.insert(0, Path(os.environ["MPLCONFIGDIR"]))
    for candidate in candidates:
        fonts = sorted(candidate.glob("fontlist-v*.json")) if candidate.is_dir() else []
        if fonts:
            shutil.copy(fonts[-1], folder / fonts[-1].name)
            break
    return str(folder)


class Kernel:
    """One kernel at a time, cell by cell, with timeouts; restartable."""

    def __init__(self, config: GradeConfig, workdir: Path, sandboxed: bool = False):
        """``workdir`` is the grader's; the kernel's own folder is ``workdir/box``, the only
        folder it can write to when ``sandboxed`` (see :mod:`genlab.grading.sandbox`)."""
        self.config, self.workdir, self.sandboxed = config, workdir, sandboxed
        self.box = workdir / "box"
        self.box.mkdir(mode=0o700, exist_ok=True)
        self.client = None
        self._timeout = config.cell_timeout
        self._reply: dict = {}
        self._client_class = _make_client_class()
        self.used_output = 0
        self.dropped_output = False

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            GENLAB_DEVICE=self.config.device,
            MPLBACKEND="Agg",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("GENLAB_GRADING_KEY_FILE", None)
        if self.sandboxed:  # nothing of the grader's home: every folder a kernel writes is its own
            box = str(self.box)
            env.update(
                HOME=box,
                TMPDIR=box,
                IPYTHONDIR=f"{box}/.ipython",
                MPLCONFIGDIR=_matplotlib_dir(self.box),
                JUPYTER_RUNTIME_DIR=f"{box}/.jupyter",
                JUPYTER_CONFIG_DIR=f"{box}/.jupyter",
                JUPYTER_DATA_DIR=f"{box}/.jupyter",
                XDG_CACHE_HOME=f"{box}/.cache",
                XDG_CONFIG_HOME=f"{box}/.config",
            )
        return env

    async def start(self) -> None:
        nb = nbformat.v4.new_notebook()
        client = self._client_class(
            nb,
            km=_kernel_manager(self.config, self.box, self.sandboxed),
            timeout_func=lambda cell: self._timeout,
            allow_errors=True,
            interrupt_on_timeout=False,
            raise_on_iopub_timeout=False,
            iopub_timeout=2,
            startup_timeout=120,
            shutdown_kernel="immediate",
            record_timing=False,
            on_cell_executed=self._on_executed,
        )
        client.cap = max(0, self.config.max_output_bytes - self.used_output)
        self.client = client
        # The kernel's own stdout and stderr (crash messages, C-level prints) go to a log file.
        with open(self.workdir / "kernel.log", "ab") as log:
            await client.async_start_new_kernel(
                cwd=str(self.box), env=self._env(), stdout=log, stderr=subprocess.STDOUT
            )
        await client.async_start_new_kernel_client()

    def _on_executed(self, cell, cell_index, execute_reply):
        self._reply = execute_reply.get("content", {}) if execute_reply else {}

    async def stop(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        self.used_output += client.used
        self.dropped_output = self.dropped_output or client.dropped
        km = client.km
        try:
            if km is not None:
                await km.shutdown_kernel(now=True)
        except Exception:  # already dead, or never started: nothing left to stop
            pass
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            if km is not None:
                await km.cleanup_resources()
        except Exception:
            pass

    async def run(self, source: str, timeout: float, answers: int = 0) -> Outcome:
        """Run one cell; ``answers``: how many answer messages it may send outside the cap."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        client = self.client
        client.answers = answers
        if not await client.km.is_alive():
            return Outcome("dead")  # it died after the previous cell finished
        cell = nbformat.v4.new_code_cell(source)
        client.nb.cells.append(cell)
        self._timeout, self._reply = max(timeout, 0.1), {}
        try:
            await client.async_execute_cell(cell, len(client.nb.cells) - 1, store_history=False)
        except CellTimeoutError:
            return Outcome("timeout", outputs=list(cell.outputs))
        except DeadKernelError:
            return Outcome("died", outputs=list(cell.outputs))
        finally:
            client.answers = 0
            client.nb.cells[-1] = nbformat.v4.new_code_cell("")  # keep no outputs around
        reply = self._reply
        if reply.get("status") == "error":
            ename, evalue = str(reply.get("ename", "")), str(reply.get("evalue", ""))
            status = "memory" if ename == "MemoryError" else "error"
            return Outcome(status, ename[:80], evalue.strip()[:300], list(cell.outputs))
        return Outcome("ok", outputs=list(cell.outputs))
