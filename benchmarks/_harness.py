"""Timing, memory and machine description for the benchmarks (not part of the package).

Wall time is the minimum over repeats (``timeit``'s advice: the minimum is the run least
disturbed by other processes); peak memory is the peak of Python-tracked allocations
(:mod:`tracemalloc`, which sees NumPy's buffers) during one separate call, so that tracing
does not slow the timed runs.
"""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def best_time(fn: Callable[[], Any], *, repeat: int = 3, warmup: int = 1) -> float:
    """Minimum wall-clock seconds of ``repeat`` calls of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def wall_and_cpu_time(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Minimum wall and minimum CPU seconds of ``repeat`` calls of ``fn`` after one warm-up call.

    CPU time (:func:`time.process_time`) is reported beside wall time because on a shared machine
    wall times inflate with its load.
    """
    fn()
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return wall, cpu


def peak_memory_mb(fn: Callable[[], Any]) -> float:
    """Peak traced allocation (MiB) during one call of ``fn``, above what was live before."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / 2**20


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, str]:
    """Description of the machine and software the benchmark ran on."""
    ram = _ram_gb()
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    libs = ["numpy", "pandas", "scipy", "linearmodels", "pyfixest", "csdid", "differences", "wildboottest", "statsmodels"]
    return {
        "CPU": _cpu_model(),
        "cores (logical)": str(os.cpu_count()),
        "RAM": f"{ram:.1f} GiB" if ram else "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "libraries": ", ".join(f"{lib} {_version(lib)}" for lib in libs),
        "sosek_impact commit": _git_commit(),
        "load average at start (1, 5, 15 min)": load,
    }
