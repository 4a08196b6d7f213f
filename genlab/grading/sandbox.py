"""The sandbox a grading kernel runs in (Linux, with bubblewrap): it sees nothing but itself.

:func:`wrap` turns a kernel's command line into a ``bwrap`` command line. Inside, the kernel
sees the system (``/usr``, ``/lib``, ``/etc``, ...), the Python environment and genlab's own
package, all read-only, without ``genlab/grading/questions`` (the grader's references); a
private ``/tmp``; its own writable folder (the ``box``, holding a copy of its submission and
the sockets the grader talks to it through); its own ``/proc`` and ``/dev``. It has no
network, its own process namespace (whatever it starts dies with it, ``setsid`` or not), and
it dies with the grader that started it. Other submissions, the ``--out`` folder, the
solutions, the repository and the grader's home folder are not there at all.

:func:`unavailable` says why no sandbox can be used here (None if one can): not Linux, no
``bwrap`` on the PATH, or a kernel without unprivileged user namespaces. The grader then runs
kernels unsandboxed and says so once (``GENLAB_SANDBOX=off`` asks for that on purpose).
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

__all__ = ["QUESTIONS", "readable_paths", "unavailable", "wrap"]

ENV_VAR = "GENLAB_SANDBOX"
QUESTIONS = Path(__file__).resolve().parent / "questions"  # hidden inside the sandbox
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


@functools.lru_cache(maxsize=1)
def _probe() -> str | None:
    if not sys.platform.startswith("linux"):
        return f"sandboxing needs Linux (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    command = [bwrap, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        return f"bwrap does not run ({err})"
    if done.returncode != 0:
        why = " ".join(done.stderr.split())[:200] or f"exit code {done.returncode}"
        return f"bwrap cannot create namespaces here ({why})"
    return None


def unavailable() -> str | None:
    """Why kernels cannot be sandboxed on this machine, or None if they can."""
    if os.environ.get(ENV_VAR, "").lower() in ("0", "off", "no", "false"):
        return f"{ENV_VAR}=off"
    return _probe()


def _namespaces() -> list[str]:
    # user, pid, network, ipc, uts and cgroup namespaces; the kernel dies with the grader
    return ["--unshare-all", "--die-with-parent", "--new-session"]


def _outside(path: Path, roots: list[Path]) -> bool:
    return not any(path == r or r in path.parents for r in roots)


def readable_paths() -> list[Path]:
    """What a sandboxed kernel may read: the system, the Python environment, genlab."""
    import genlab

    roots = [Path(p) for p in _SYSTEM if Path(p).exists()]
    extra = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)]
    extra += [Path(p) for p in site.getsitepackages()]
    user_site = site.getusersitepackages()
    if isinstance(user_site, str) and Path(user_site).is_dir():
        extra.append(Path(user_site))
    extra.append(Path(genlab.__file__).resolve().parent)
    for path in extra:
        path = path.resolve()
        if path.is_dir() and _outside(path, roots):
            roots.append(path)
    return roots


def wrap(argv: list[str], box: Path) -> list[str]:
    """``argv`` run inside a sandbox whose only writable folder is ``box`` (also its cwd)."""
    box = box.resolve()
    command = [shutil.which("bwrap") or "bwrap", *_namespaces()]
    # bwrap mounts in argument order: the private /tmp first, so that a Python environment or
    # a course checkout that lives under /tmp is bound on top of it instead of hidden by it
    command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in readable_paths():
        command += ["--ro-bind", str(path), str(path)]
    if QUESTIONS.is_dir():
        command += ["--tmpfs", str(QUESTIONS), "--remount-ro", str(QUESTIONS)]
    command += ["--bind", str(box), str(box), "--chdir", str(box)]
    # ipykernel would take the sandbox's init (pid 1) for an orphaning and exit
    command += ["--unsetenv", "JPY_PARENT_PID", "--"]
    return command + argv
