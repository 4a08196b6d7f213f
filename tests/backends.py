"""Run the test suite under other numeric back ends and list the tests whose verdict changes.

A test's verdict must not depend on the machine, but float32 results do: MKL picks its kernels
by CPU (AVX2, AVX-512, AMX), ATen vectorises its own kernels by CPU capability, and the number of
threads changes how reductions are split. This script runs pytest once per back end, in a fresh
process each, and compares the outcomes test by test::

    python tests/backends.py                       # the unit tests, every back end
    python tests/backends.py --notebooks           # also execute lectures/ and solutions/
    python tests/backends.py --only cbwr,aten-default -- tests/test_losses.py  # a subset

The back ends (environment variables read at process start):

========================  =====================================================================
``default``               as the machine chooses (CI runs this one)
``mkl-avx2``              ``MKL_ENABLE_INSTRUCTIONS=AVX2``: MKL limited to AVX2 kernels
``mkl-avx512``            ``MKL_ENABLE_INSTRUCTIONS=AVX512``: AVX-512 kernels where the CPU has them
``cbwr``                  ``MKL_CBWR=COMPATIBLE``: MKL's conditional numerical reproducibility,
                          the SSE2-era kernels, so other roundings than AVX2/AVX-512
``aten-default``          ``ATEN_CPU_CAPABILITY=default``: ATen's scalar (non-vectorised) kernels
``aten-avx2``             ``ATEN_CPU_CAPABILITY=avx2``
``threads-1``             one thread (``OMP_NUM_THREADS=MKL_NUM_THREADS=1``)
``threads-2``             two threads
========================  =====================================================================

On a CPU without AVX-512, ``mkl-avx512`` runs MKL's AVX2 kernels (MKL never uses instructions the
CPU lacks); ``cbwr`` and ``aten-default`` still change the rounding, which is what a fragile
tolerance trips over. Each run writes a JUnit XML file to ``tests/artifacts/backends/``, and the
script prints the CPU capability each back end reports, then every test whose outcome differs
between back ends (with the first line of its failure), and exits 1 if any test failed anywhere.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "artifacts" / "backends"

BACKENDS: dict[str, dict[str, str]] = {
    "default": {},
    "mkl-avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "mkl-avx512": {"MKL_ENABLE_INSTRUCTIONS": "AVX512"},
    "cbwr": {"MKL_CBWR": "COMPATIBLE"},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "threads-1": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "threads-2": {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"},
}
# what every run unsets first, so that the caller's shell does not leak into a back end
KNOBS = ("MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "ATEN_CPU_CAPABILITY")

PROBE = (
    "import torch; print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(), "
    "torch.backends.mkl.is_available())"
)


def backend_env(name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env.update(BACKENDS[name])
    # Each back end compiles into its own Inductor cache: the cache's key does not include
    # ATEN_CPU_CAPABILITY, so a header compiled for AVX2 would be reused by the scalar back end.
    env["TORCHINDUCTOR_CACHE_DIR"] = str(OUT / "inductor-cache" / name)
    return env


def outcomes(xml_path: Path) -> dict[str, tuple[str, str]]:
    """``{test id: (outcome, first line of the message)}`` from a JUnit XML file."""
    result: dict[str, tuple[str, str]] = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (node.get("message") or "").strip().splitlines()[:1]
                message = message[0][:160] if message else ""
                break
        result[name] = (outcome, message)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated back ends (default: all)")
    parser.add_argument("--notebooks", action="store_true", help="also run lectures/, solutions/")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(BACKENDS)
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        parser.error(f"--only: unknown back end(s) {unknown}; choose from {list(BACKENDS)}")
    paths = ["tests", "lectures", "solutions"] if args.notebooks else ["tests"]
    if any((ROOT / a.split("::")[0]).exists() for a in args.pytest_args if not a.startswith("-")):
        paths = []  # the caller named what to run
    OUT.mkdir(parents=True, exist_ok=True)

    runs: dict[str, dict[str, tuple[str, str]]] = {}
    for name in names:
        env = backend_env(name)
        probe = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=ROOT
        )
        xml = OUT / f"{name}.xml"
        cmd = [sys.executable, "-m", "pytest", *paths, "--no-browser", "-q"]
        cmd += [f"--junitxml={xml}", *args.pytest_args]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - start
        tail = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
        report = f"{name:13s} capability/threads/mkl: {probe.stdout.strip():24s}"
        print(f"{report} {took:6.0f} s  {tail[0]}", flush=True)
        runs[name] = outcomes(xml) if xml.exists() else {}

    tests = sorted(set().union(*(r.keys() for r in runs.values())))
    differing = [t for t in tests if len({runs[n].get(t, ("absent", ""))[0] for n in names}) > 1]
    failed_anywhere = [
        t for t in tests if any(runs[n].get(t, ("", ""))[0] in ("failed", "error") for n in names)
    ]
    print(
        f"\n{len(tests)} tests; {len(differing)} differ between back ends; "
        f"{len(failed_anywhere)} failed somewhere"
    )
    for t in sorted(set(differing) | set(failed_anywhere)):
        print(f"\n{t}")
        for n in names:
            outcome, message = runs[n].get(t, ("absent", ""))
            print(f"  {n:13s} {outcome:8s} {message}")
    return 1 if failed_anywhere else 0


if __name__ == "__main__":
    sys.exit(main())
