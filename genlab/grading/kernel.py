"""Start an IPython kernel under resource limits: the kernel the grader runs submissions in.

``python -m genlab.grading.kernel --memory-mb 2048 --cpu-seconds 600 -f CONNECTION_FILE``
imports torch and genlab first (every notebook of the course does), then limits, for itself
and every process it starts: its address space to what it uses now plus ``--memory-mb``
(``RLIMIT_AS``, so a runaway allocation fails with MemoryError instead of exhausting the
machine), its CPU time (``RLIMIT_CPU``, a backstop behind the grader's timeouts), the size of
any file it writes (``RLIMIT_FSIZE``) and core dumps. Limits are POSIX; the address-space limit
needs Linux's ``/proc`` and is skipped elsewhere. The kernel also exits when the grader that
started it dies (ipykernel watches its parent process; in the sandbox, bubblewrap's
``--die-with-parent`` does).
"""

from __future__ import annotations

import argparse
import os
import sys


def _address_space_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def apply_limits(memory_mb: int, cpu_seconds: int, file_mb: int = 256) -> None:
    """Limit this process (and its children) as described in the module docstring."""
    import resource

    def limit(kind: int, value: int) -> None:
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))

    limit(resource.RLIMIT_CORE, 0)
    if file_mb > 0:
        limit(resource.RLIMIT_FSIZE, file_mb * 2**20)
    if cpu_seconds > 0:
        limit(resource.RLIMIT_CPU, cpu_seconds)
    current = _address_space_bytes()
    if memory_mb > 0 and current is not None:
        limit(resource.RLIMIT_AS, current + memory_mb * 2**20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--cpu-seconds", type=int, default=0)
    parser.add_argument("--file-mb", type=int, default=256)
    args, kernel_args = parser.parse_known_args(argv)

    import torch  # noqa: F401 - loaded before the limits, like every course notebook does
    from ipykernel import kernelapp, zmqshell

    import genlab.grading  # noqa: F401
    import genlab.grading.probe  # noqa: F401

    # exit() and quit() do nothing here, so a kernel that dies was killed by the cell it ran
    zmqshell.ZMQExitAutocall.__call__ = lambda self, keep_kernel=False: None
    zmqshell.ZMQInteractiveShell.ask_exit = lambda self: None
    if os.name == "posix":
        apply_limits(args.memory_mb, args.cpu_seconds, args.file_mb)
    sys.argv = [sys.argv[0], *kernel_args]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
