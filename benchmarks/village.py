"""Village-scale benchmark (issue 10, item 6): 84,000 units x 25 years, 10 cohorts, 2.1 M rows.

Programs and panel: ``village_programs.py``; agreement checks and the README section: ``village_report.py``.
Run from the project root with the bench extra installed::

    .venv-bench/bin/python benchmarks/village.py             # peers + growth, rewrites the README section
    .venv-bench/bin/python benchmarks/village.py --quick     # 1/20 of the size, prints only
    .venv-bench/bin/python benchmarks/village.py --reuse     # reuse peer runs already in --out

Every (program, task) runs in a **fresh subprocess** (``--worker``) that simulates the same seeded
panel, so its peak resident memory (``ru_maxrss``) belongs to that program alone; the subprocess
also reports the tracemalloc peak of a second call when the first took under two minutes. A
peer that has not finished after ``--timeout`` seconds (default 600) is stopped and reported as
such. The parent checks the numbers of each peer against ours before it reports any timing
(a disagreement stops the run):

- CS (``att_gt``, doubly robust, never-treated controls, analytical SE) + simple and dynamic
  aggregation vs ``csdid`` and ``differences``;
- Sun--Abraham cohort x relative-period coefficients and CR1 SE vs pyfixest's saturated event
  study (``pf.event_study(..., estimator="saturated")``, i.e. ``feols`` with
  ``i(rel_time, first_treated_period, ref=-1, ref2=0) | unit + time``);
- TWFE coefficient and CRV1 SE vs pyfixest ``feols("y ~ treat | unit + time")``.

Peers are warmed up on a small panel first (pyfixest's numba compilation is not timed); time is
the minimum of three calls when a call takes under 10 s, else one call.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, machine  # noqa: E402
from village_programs import PROGRAMS, village_panel  # noqa: E402
from village_report import PEERS, RUNS, goals, peer_rows, section, write_section  # noqa: E402

MEMORY_LIMIT_GIB = 12  # address-space cap of a worker, so a peer cannot exhaust the shared machine


# --------------------------------------------------------------------------- worker (fresh process)


def _rss_mib() -> float:
    """Peak resident memory of this process so far (MiB): ``VmHWM``, else ``ru_maxrss``."""
    status = _proc_status()
    if "VmHWM" in status:
        return status["VmHWM"]
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float | None:
    return _proc_status().get("VmRSS")


def _proc_status() -> dict[str, float]:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        if line.startswith(("VmHWM", "VmRSS")):
            key, val = line.split(":", 1)
            out[key] = float(val.split()[0]) / 1024
    return out


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident-memory high-water mark (Linux ``clear_refs``), so the peak is the fit's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _timed(fn, arg, repeat_if_under: float = 10.0) -> tuple[Any, float, float]:
    """Result, minimum wall seconds and CPU seconds (of that call) over 3 calls (1 if slow)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(arg)
    best, cpu = time.perf_counter() - t0, time.process_time() - c0
    if best < repeat_if_under:
        for _ in range(2):
            c0, t0 = time.process_time(), time.perf_counter()
            out = fn(arg)
            wall = time.perf_counter() - t0
            if wall < best:
                best, cpu = wall, time.process_time() - c0
    return out, best, cpu


def _traced_peak(fn, arg) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn(arg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / 2**20


def worker(task: str, program: str, scale: float, out: Path) -> None:
    """Fit one program on the panel in this (fresh) process; write numbers, time and memory to ``out``."""
    lim = MEMORY_LIMIT_GIB * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    fit, follow = PROGRAMS[(task, program)]
    fit(village_panel(0.005))  # warm-up: imports, numba compilation
    if follow is not None:
        follow(fit(village_panel(0.005))["_res"])
    d = village_panel(scale)
    import gc

    gc.collect()
    rss_data = _current_rss_mib() or _rss_mib()
    reset = _reset_peak_rss()
    load = os.getloadavg()[0]
    t_start = time.perf_counter()
    numbers, secs, cpu = _timed(fit, d)
    rec: dict[str, Any] = {"task": task, "program": program, "rows": len(d), "seconds": secs, "cpu_seconds": cpu,
                           "load_at_start": load}
    if follow is not None:
        more, secs2, cpu2 = _timed(follow, numbers["_res"])
        numbers.update(more)
        rec["seconds_follow"], rec["cpu_seconds_follow"] = secs2, cpu2
    rec["peak_rss_mib"] = _rss_mib()
    rec["peak_rss_is_fit_only"] = reset
    rec["rss_before_fit_mib"] = rss_data
    if time.perf_counter() - t_start < 120:
        numbers.pop("_res", None)
        rec["tracemalloc_mib"] = _traced_peak(fit, d)
    numbers.pop("_res", None)
    rec["numbers"] = numbers
    out.write_text(json.dumps(rec))


# --------------------------------------------------------------------------- parent


def run_worker(task: str, program: str, scale: float, outdir: Path, timeout: float, reuse: bool | str) -> dict[str, Any]:
    """Run one worker in a fresh process; ``reuse=True`` reuses a peer's record, ``"all"`` any record."""
    path = outdir / f"{task}_{program}_{scale:g}.json"
    if path.exists() and (reuse == "all" or (reuse and program != "sosek_impact")):
        return json.loads(path.read_text())
    path.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", task, program, "--scale", str(scale),
           "--out", str(outdir)]
    print(f"  {task} / {program} at scale {scale:g} ...", flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        rec = {"task": task, "program": program, "stopped_after_s": timeout}
        path.write_text(json.dumps(rec))
        return rec
    if proc.returncode != 0 or not path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        rec = {"task": task, "program": program, "failed": " / ".join(tail), "after_s": time.perf_counter() - t0}
        path.write_text(json.dumps(rec))
        return rec
    return json.loads(path.read_text())



def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", nargs=2, metavar=("TASK", "PROGRAM"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/sosek_village_bench"))
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--quick", action="store_true", help="1/20 of the size; print only")
    ap.add_argument("--reuse", action="store_true", help="reuse peer results already in --out")
    ap.add_argument("--only-peers", action="store_true", help="run only the peers (to fill --out)")
    ap.add_argument("--repeats", type=int, default=3, help="fresh-process runs of ours per size (minimum kept)")
    ap.add_argument("--report-only", action="store_true",
                    help="rebuild the README section from the records already in --out (runs nothing)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.scale, args.out / f"{args.worker[0]}_{args.worker[1]}_{args.scale:g}.json")
        return 0
    scale = 0.05 if args.quick else args.scale
    machine_file = args.out / "machine.json"  # the machine as it was when the workers ran
    if args.report_only and machine_file.exists():
        info = json.loads(machine_file.read_text())
    else:
        info = machine()
        machine_file.write_text(json.dumps(info))
    print("\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    records: dict[tuple[str, str, float], dict] = {}
    for task, frac in RUNS:
        progs = PEERS[task] if args.only_peers else ["sosek_impact", *PEERS[task]]
        for prog in progs:
            key = (task, prog, scale * frac)
            reuse = "all" if args.report_only else args.reuse
            records[key] = run_worker(task, prog, scale * frac, args.out, args.timeout, reuse)
            r = records[key]
            print(f"    -> {r.get('seconds', r.get('stopped_after_s', r.get('failed')))}", flush=True)
    if args.only_peers:
        return 0
    growth = growth_rows([scale / 4, scale / 2, scale], args.out, args.timeout, records, args.report_only,
                         args.repeats)
    rows = peer_rows(records, scale)
    loads = sorted(r["load_at_start"] for r in records.values() if "load_at_start" in r)
    load_text = f"{loads[0]:.1f} to {loads[-1]:.1f}" if loads else "unknown"
    text = section(info, rows, growth, scale, goals(records, scale), load_text)
    print(text)
    if not args.quick and args.scale == 1.0:
        write_section(text)
        print("wrote the village-scale section of benchmarks/README.md")
    return 0


def growth_rows(scales: list[float], outdir: Path, timeout: float, records: dict, report_only: bool = False,
                repeats: int = 3) -> list[dict[str, str]]:
    """Time and memory of ours at each scale: the least disturbed of ``repeats`` fresh processes."""
    rows = []
    for task in ("cs", "sa", "twfe"):
        base = None
        for s in scales:
            runs = [records[(task, "sosek_impact", s)]] if (task, "sosek_impact", s) in records else []
            n_runs = 1 if report_only else repeats
            while len(runs) < n_runs:  # fresh processes; keep the least disturbed (shared machine)
                runs.append(run_worker(task, "sosek_impact", s, outdir, timeout, reuse="all" if report_only else False))
            rec = min(runs, key=lambda r: r["seconds"] + r.get("seconds_follow", 0.0))
            records[(task, "sosek_impact", s)] = rec
            (outdir / f"{task}_sosek_impact_{s:g}.json").write_text(json.dumps(rec))  # what --report-only reads
            secs = rec["seconds"] + rec.get("seconds_follow", 0.0)
            cpu = rec["cpu_seconds"] + rec.get("cpu_seconds_follow", 0.0)
            base = base or (secs, rec["rows"], cpu)
            rows.append({
                "task": {"cs": "att_gt + simple + dynamic", "sa": "sun_abraham", "twfe": "twfe"}[task],
                "rows": f"{rec['rows']:,}", "rows_ratio": f"{rec['rows'] / base[1]:.2f}",
                "seconds": f"{secs:.2f}", "time_ratio": f"{secs / base[0]:.2f}",
                "cpu_s": f"{cpu:.2f}", "cpu_ratio": f"{cpu / base[2]:.2f}", "peak_RSS_MiB": f"{rec['peak_rss_mib']:.0f}",
                "RSS_before_fit_MiB": f"{rec['rss_before_fit_mib']:.0f}",
                "tracemalloc_MiB": f"{rec['tracemalloc_mib']:.0f}" if "tracemalloc_mib" in rec else "",
            })
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
