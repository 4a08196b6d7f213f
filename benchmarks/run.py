"""Run the course's benchmarks and write BENCHMARKS.md.

    python benchmarks/run.py              # everything, on the CPU and (if present) the GPU
    python benchmarks/run.py --only vae   # one section (vae, gan, widgets, notebooks, similarity)
    python benchmarks/run.py --quick      # a fast smoke run (figures not for reporting)

Every figure is a median over repeated runs after a warm-up; every comparison is a ratio of
two figures measured side by side in the same run (shared machines drift; ratios hold).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Each section's module is imported only when it runs: `--only vae` needs torch and genlab
# alone, so it runs on a GPU machine that has no Jupyter installed.
SECTIONS = {
    "vae": ("VAE training: genlab trainer vs a pytorch/examples-style loop", "vae_training"),
    "gan": ("Many-seed GAN runs: batched vs one after another", "gan_many_seeds"),
    "widgets": ("Widget latency", "widget_latency"),
    "notebooks": ("Lecture notebooks, executed headless", "notebook_times"),
    "similarity": ("Similar answers: 500 synthetic submissions per assignment", "similarity"),
}


def _devices(only: str | None = None) -> list[str]:
    found = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if only is None:
        return found
    if only not in found:
        raise SystemExit(f"--device must be one of {found} on this machine; got {only!r}")
    return [only]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)\n"
    head = list(dict.fromkeys(k for r in rows for k in r))  # every column, in first-seen order
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_fmt(r.get(k, "")) for k in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def machine() -> str:
    import numpy

    import genlab

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (
        f"- date: {datetime.date.today().isoformat()}\n"
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; GPU: {gpu}\n"
        f"- torch threads: {torch.get_num_threads()}\n"
        f"- versions: python {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {numpy.__version__}, genlab {genlab.__version__}\n"
    )


CHILD_MARK = "\n@@genlab-benchmark-result@@\n"


def _child(key: str, repeats: int, quick: bool, only_device: str | None) -> int:
    """Run one section on every device; print its rows and peak memory as JSON."""
    module = importlib.import_module(SECTIONS[key][1])
    rows = []
    for device in _devices(only_device):
        print(f"[{key}] on {device} ...", file=sys.stderr, flush=True)
        rows += module.run(device=device, repeats=repeats, quick=quick)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"rows": rows, "peak_mib": peak, "children_peak_mib": children}
    print(CHILD_MARK + json.dumps(result))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--quick", action="store_true", help="smoke run; do not report figures")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--notebook-repeats", type=int, help="repeats of the notebooks section (default: --repeats)"
    )
    parser.add_argument(
        "--device", choices=["cpu", "cuda"], help="one device only (default: the CPU and any GPU)"
    )
    parser.add_argument("--out", default=str(HERE.parent / "BENCHMARKS.md"))
    parser.add_argument("--child", choices=sorted(SECTIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.repeats, args.quick, args.device)
    _devices(args.device)  # fails early on a device this machine lacks
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    parts = ["# Benchmarks\n", f"Command: `{command.strip()}`\n", machine()]
    if not torch.cuda.is_available():
        parts.append(
            "\nNo GPU was present in this run, so there are no GPU figures here: none have "
            "been measured yet.\n"
        )
    started = time.perf_counter()
    for key in args.only or list(SECTIONS):
        title, module_name = SECTIONS[key]
        module = importlib.import_module(module_name)
        # each section in its own process, so that its peak memory is its own
        child = [sys.executable, str(Path(__file__).resolve()), "--child", key]
        repeats = (
            args.notebook_repeats if key == "notebooks" and args.notebook_repeats else args.repeats
        )
        child += ["--repeats", str(repeats)] + (["--quick"] if args.quick else [])
        child += ["--device", args.device] if args.device else []
        # an empty Inductor cache per section: a compile costs what it costs on a new machine
        with tempfile.TemporaryDirectory(prefix="genlab-inductor-") as cache:
            env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache}
            out = subprocess.run(
                child, check=True, stdout=subprocess.PIPE, text=True, env=env
            ).stdout
        result = json.loads(out.rsplit(CHILD_MARK, 1)[1])
        rows = result["rows"]
        memory = (
            f"Peak resident memory: {result['peak_mib']:,.0f} MiB for the section's process"
            + (
                f", {result['children_peak_mib']:,.0f} MiB for the largest process it started"
                if result["children_peak_mib"]
                else ""
            )
            + "."
        )
        parts.append(
            f"\n## {title}\n\n{(module.__doc__ or '').strip()}\n\n{_table(rows)}\n{memory}\n"
        )
        print(_table(rows) + memory, flush=True)
    parts.append(f"\nTotal time: {time.perf_counter() - started:,.0f} s.\n")
    Path(args.out).write_text("".join(parts))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
