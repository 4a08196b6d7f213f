"""Device choice, seeding and the environment check every notebook starts with.

Nothing here runs at import time: no device is probed, nothing is seeded or allocated
until a function is called.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import sys
import time
from typing import NamedTuple

import numpy as np
import torch

ENV_VAR = "GENLAB_DEVICE"
_KINDS = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """The device kinds usable on this machine, best first (always ends with ``"cpu"``)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    found.append("cpu")
    return found


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto"`` (or ``None``) into a concrete device: CUDA, then Apple MPS, then CPU.

    The environment variable ``GENLAB_DEVICE`` (for example ``cpu`` or ``cuda:1``) overrides
    ``"auto"``. An explicit device that this machine lacks is a ``ValueError`` that lists
    what is available, never a silent fall-back to the CPU.
    """
    if isinstance(device, torch.device):
        requested = str(device)
    elif device is None or isinstance(device, str):
        requested = "auto" if device is None else device.strip().lower()
    else:
        raise ValueError(
            f"device must be a string such as 'auto', 'cpu', 'cuda', 'cuda:0' or 'mps', "
            f"or a torch.device; got {type(device).__name__} {device!r}"
        )
    source = "device"
    if requested == "auto":
        override = os.environ.get(ENV_VAR, "").strip().lower()
        if override and override != "auto":
            requested, source = override, f"the environment variable {ENV_VAR}"
        else:
            return torch.device(available_devices()[0])

    kind, _, index = requested.partition(":")
    if kind not in _KINDS or (index and not index.isdigit()):
        raise ValueError(
            f"{source} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got {requested!r}"
        )
    available = available_devices()
    if kind not in available:
        raise ValueError(
            f"{source} asks for {requested!r}, but this machine has no {kind.upper()} device; "
            f"available: {', '.join(available)}"
        )
    if kind == "cuda" and index and int(index) >= torch.cuda.device_count():
        raise ValueError(
            f"{source} asks for {requested!r}, but only {torch.cuda.device_count()} CUDA "
            f"device(s) exist (cuda:0 .. cuda:{torch.cuda.device_count() - 1})"
        )
    return torch.device(requested)


def device_name(device: torch.device) -> str:
    """A human-readable name for a device (the GPU model, or the CPU's architecture)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple silicon GPU (MPS)"
    return f"CPU ({platform.machine() or 'unknown'}, {torch.get_num_threads()} threads)"


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's ``random``, NumPy and torch (all devices) in one call.

    Returns a ``torch.Generator`` seeded with the same value, for code that takes
    ``generator=`` explicitly.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer; got {type(seed).__name__} {seed!r}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must lie in [0, 2**32); got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeding the legacy global generator is the point
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def _parse_version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def require_version(minimum: str) -> str:
    """Fail loudly when the installed genlab is older than what a notebook needs.

    A stale install would otherwise surface later as a puzzling ``AttributeError``.
    Returns the installed version.
    """
    from genlab import __version__

    if _parse_version(__version__) < _parse_version(minimum):
        raise RuntimeError(
            f"this notebook needs genlab >= {minimum}, but genlab {__version__} is installed "
            f"(from {os.path.dirname(os.path.abspath(__file__))}). Reinstall it from the "
            f'course folder: pip install -e ".[dev]", then restart the kernel.'
        )
    return __version__


class Environment(NamedTuple):
    genlab: str
    torch: str
    python: str
    device: torch.device
    device_name: str


def check_environment(minimum: str = "0.0", device: str | torch.device | None = "auto"):
    """Check the installed genlab against ``minimum`` and report versions and the device."""
    version = require_version(minimum)
    dev = resolve_device(device)
    return Environment(
        genlab=version,
        torch=torch.__version__,
        python=sys.version.split()[0],
        device=dev,
        device_name=device_name(dev),
    )


def synchronize(device: torch.device) -> None:
    """Wait for queued work on ``device`` (a no-op on the CPU), for honest timings."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_matmul(device: torch.device, n: int = 512, repeats: int = 10) -> float:
    """Median seconds of one ``n x n`` float32 matrix product on ``device`` (after a warm-up)."""
    if n < 1 or repeats < 1:
        raise ValueError(f"n and repeats must be positive; got n={n}, repeats={repeats}")
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b  # warm-up: kernels load, caches fill
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        synchronize(device)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@contextlib.contextmanager
def one_thread():
    """Run torch's CPU ops on one thread inside the block, then restore the count.

    For tiny models (a few hundred parameters, the exercises' runs) threads only add
    synchronisation; on a loaded machine their spin-waiting costs tens of times the CPU.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
