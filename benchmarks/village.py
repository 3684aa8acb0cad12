"""Village-scale benchmark (issue 10, item 6): 84,000 units x 25 years, 10 cohorts, 2.1 M rows.

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
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, machine  # noqa: E402

from sosek_impact.simulate import default_cohorts, simulate_staggered_panel  # noqa: E402

N_UNITS = 84_000
N_PERIODS = 25
N_COHORTS = 10
TREATED_SHARE = 0.3
SEED = 2026
MEMORY_LIMIT_GIB = 12  # address-space cap of a worker, so a peer cannot exhaust the shared machine
SECTION_START = "<!-- village-scale: begin (written by benchmarks/village.py) -->"
SECTION_END = "<!-- village-scale: end -->"


class DisagreementError(AssertionError):
    """Ours and a peer gave different numbers on the same panel."""


# --------------------------------------------------------------------------- the panel


def village_panel(scale: float = 1.0) -> pd.DataFrame:
    """The seeded village-size panel: ``scale * 84,000`` units x 25 years, 10 cohorts, 30 % treated."""
    n = int(round(N_UNITS * scale))
    periods = np.arange(2000, 2000 + N_PERIODS)
    cohorts = default_cohorts(int(TREATED_SHARE * n), periods, n_cohorts=N_COHORTS)
    return simulate_staggered_panel(n, N_PERIODS, cohorts=cohorts, effect="dynamic", effect_size=0.5, seed=SEED)


# --------------------------------------------------------------------------- programs


def _quiet(fn):
    def run(*a, **k):
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn(*a, **k)

    return run


def ours_cs(d: pd.DataFrame) -> dict[str, Any]:
    from sosek_impact.estimators import att_gt

    res = att_gt(d, y="y", unit="unit", time="time", group="group", control="never", method="dr")
    simple = res.aggregate("simple")
    t = res.table
    return {"cells": [t["group"].tolist(), t["time"].tolist(), t["att"].tolist(), t["se"].tolist()],
            "simple": [simple.overall_att, simple.overall_se], "_res": res}


def ours_cs_dynamic(res: Any) -> dict[str, Any]:
    dyn = res.aggregate("dynamic")
    return {"dynamic": [dyn["egt"].tolist(), dyn["att"].tolist(), dyn["se"].tolist()],
            "dynamic_overall": [dyn.overall_att, dyn.overall_se]}


def csdid_cs(d: pd.DataFrame) -> dict[str, Any]:
    from csdid.att_gt import ATTgt

    out = ATTgt(yname="y", gname="group", idname="unit", tname="time", xformla="y~1", data=d).fit(
        est_method="dr", bstrap=False)
    out.aggte(typec="simple", bstrap=False)
    r = out.results
    return {"cells": [list(map(float, r["group"])), list(map(float, r["year"])), list(map(float, r["att"])),
                      list(map(float, r["se"]))],
            "simple": [float(out.atte["overall_att"]), float(out.atte["overall_se"])], "_res": out}


def csdid_cs_dynamic(out: Any) -> dict[str, Any]:
    out.aggte(typec="dynamic", bstrap=False)
    a = out.atte
    return {"dynamic": [list(map(float, a["egt"])), list(map(float, a["att_egt"])),
                        list(map(float, np.ravel(a["se_egt"])))],
            "dynamic_overall": [float(a["overall_att"]), float(a["overall_se"])]}


def differences_cs(d: pd.DataFrame) -> dict[str, Any]:
    import differences

    d2 = d[["unit", "time", "y", "group"]].assign(group=d["group"].replace(0, np.nan)).set_index(["unit", "time"])
    att = differences.ATTgt(data=d2, cohort_column="group")
    att.fit(formula="y", control_group="never_treated", est_method="dr", progress_bar=False)
    agg = att.aggregate("simple")
    cells = att.results().reset_index()
    cells.columns = ["_".join(str(c) for c in col if c) if isinstance(col, tuple) else col for col in cells.columns]
    return {"cells": [cells["cohort"].astype(float).tolist(), cells["time"].astype(float).tolist(),
                      cells.filter(like="ATT").iloc[:, 0].tolist(), cells.filter(like="std_error").iloc[:, 0].tolist()],
            "simple": [float(agg.iloc[0, 0]), float(agg.iloc[0, 1])], "_res": att}


def differences_cs_dynamic(att: Any) -> dict[str, Any]:
    agg = att.aggregate("event", overall=False).reset_index()
    agg.columns = ["_".join(str(c) for c in col if c) if isinstance(col, tuple) else col for col in agg.columns]
    return {"dynamic": [agg.iloc[:, 0].astype(float).tolist(), agg.filter(like="ATT").iloc[:, 0].tolist(),
                        agg.filter(like="std_error").iloc[:, 0].tolist()]}


def ours_sa(d: pd.DataFrame) -> dict[str, Any]:
    from sosek_impact.estimators import sun_abraham

    r = sun_abraham(d, y="y", unit="unit", time="time", group="group")
    c = r.cohort_table
    return {"coef": [c["cohort"].astype(float).tolist(), c["rel_time"].astype(float).tolist(), c["att"].tolist(),
                     c["se"].tolist()], "overall": [r.overall_att, r.overall_se]}


def pyfixest_sa(d: pd.DataFrame) -> dict[str, Any]:
    import pyfixest as pf

    fit = pf.event_study(d[["unit", "time", "y", "group"]], yname="y", idname="unit", tname="time", gname="group",
                         estimator="saturated", cluster="unit")
    tidy = fit.tidy().reset_index()
    parts = tidy["Coefficient"].str.extract(r".+::(?P<rel>.+):.+::(?P<cohort>.+)")
    return {"coef": [parts["cohort"].astype(float).tolist(), parts["rel"].astype(float).tolist(),
                     tidy["Estimate"].astype(float).tolist(), tidy["Std. Error"].astype(float).tolist()]}


def ours_twfe(d: pd.DataFrame) -> dict[str, Any]:
    from sosek_impact.estimators import twfe

    r = twfe(d, y="y", unit="unit", time="time", treat="treat")
    return {"coef": [float(r.params["treat"]), float(r.std_errors["treat"])]}


def pyfixest_twfe(d: pd.DataFrame) -> dict[str, Any]:
    import pyfixest as pf

    m = pf.feols("y ~ treat | unit + time", data=d, vcov={"CRV1": "unit"})
    return {"coef": [float(m.coef()["treat"]), float(m.se()["treat"])]}


#: (task, program) -> (fit, follow-up on the fit's result or None)
PROGRAMS = {
    ("cs", "sosek_impact"): (ours_cs, ours_cs_dynamic),
    ("cs", "csdid"): (_quiet(csdid_cs), _quiet(csdid_cs_dynamic)),
    ("cs", "differences"): (_quiet(differences_cs), _quiet(differences_cs_dynamic)),
    ("sa", "sosek_impact"): (ours_sa, None),
    ("sa", "pyfixest"): (_quiet(pyfixest_sa), None),
    ("twfe", "sosek_impact"): (ours_twfe, None),
    ("twfe", "pyfixest"): (_quiet(pyfixest_twfe), None),
}


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


def _key_table(rows: list[list[float]]) -> pd.DataFrame:
    cols = ["k1", "k2", "est", "se"][: len(rows)]
    return pd.DataFrame(dict(zip(cols, rows))).set_index(["k1", "k2"]).sort_index()


def _compare_tables(name: str, ours: list, peer: list, atol: float, se_rtol: float) -> str:
    a, b = _key_table(ours), _key_table(peer)
    if len(a) != len(b) or not a.index.equals(b.index):
        raise DisagreementError(f"{name}: {len(a)} estimates vs {len(b)} (keys differ)")
    d_est = float(np.max(np.abs(a["est"] - b["est"])))
    d_se = float(np.max(np.abs(a["se"] - b["se"]) / b["se"]))
    if not (d_est <= atol and d_se <= se_rtol):
        raise DisagreementError(f"{name}: max |diff| estimate {d_est:.3g} (tol {atol}), SE rel {d_se:.3g} (tol {se_rtol})")
    return f"{len(a)} estimates: max abs diff {d_est:.1e}, SE max rel diff {d_se:.1e}"


def _compare_pair(name: str, ours: list, peer: list, atol: float, se_rtol: float) -> str:
    d_est, d_se = abs(ours[0] - peer[0]), abs(ours[1] - peer[1]) / abs(peer[1])
    if not (d_est <= atol and d_se <= se_rtol):
        raise DisagreementError(f"{name}: ours {ours} vs peer {peer}")
    return f"abs diff {d_est:.1e}, SE rel diff {d_se:.1e}"


def agreement(task: str, ours: dict, peer: dict) -> dict[str, str]:
    """Check the peer's numbers against ours; return a note per timed step."""
    o, p = ours["numbers"], peer["numbers"]
    if task == "cs":
        notes = {"fit": "ATT(g,t) " + _compare_tables("ATT(g,t)", o["cells"], p["cells"], 1e-8, 1e-6)
                 + "; simple " + _compare_pair("simple", o["simple"], p["simple"], 1e-8, 1e-6)}
        pd_ = p["dynamic"]
        dyn_o = [o["dynamic"][0], [0.0] * len(o["dynamic"][0]), o["dynamic"][1], o["dynamic"][2]]
        dyn_p = [pd_[0], [0.0] * len(pd_[0]), pd_[1], pd_[2]]
        note = "event times " + _compare_tables("dynamic", dyn_o, dyn_p, 1e-8, 1e-6)
        if "dynamic_overall" in p:
            note += "; overall " + _compare_pair("dynamic overall", o["dynamic_overall"], p["dynamic_overall"], 1e-8, 1e-6)
        notes["follow"] = note
        return notes
    if task == "sa":
        return {"fit": "CATT(g,e) " + _compare_tables("SA coefficients", o["coef"], p["coef"], 1e-8, 1e-6)}
    return {"fit": "coefficient, CRV1 SE " + _compare_pair("TWFE", o["coef"], p["coef"], 1e-8, 1e-6)}


TASK_LABEL = {
    "cs": ("CS att_gt (dr, never-treated) + simple aggregation", "CS dynamic aggregation (on the fit)"),
    "sa": ("Sun-Abraham saturated event study, CR1 SE", None),
    "twfe": ("TWFE y ~ treat \\| unit + time, CRV1 SE", None),
}
PEERS = {"cs": ["csdid", "differences"], "sa": ["pyfixest"], "twfe": ["pyfixest"]}
#: (task, fraction of the panel): pyfixest's saturated event study also at 1/4 and 1/2 of the panel,
#: where its dense dummy matrix fits in memory
RUNS = [("cs", 1.0), ("sa", 1.0), ("sa", 0.25), ("sa", 0.5), ("twfe", 1.0)]


def _last_error(rec: dict) -> str:
    """The exception line of a failed worker's stderr tail."""
    return rec.get("failed", "?").split(" / ")[-1].replace("numpy._core._exceptions.", "").strip()


def _fmt_s(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def peer_rows(records: dict[tuple[str, str, float], dict], scale: float) -> list[dict[str, str]]:
    rows = []
    for task, frac in RUNS:
        s = scale * frac
        ours = records[(task, "sosek_impact", s)]
        for peer in PEERS[task]:
            rec = records[(task, peer, s)]
            base = {"task": TASK_LABEL[task][0], "rows": f"{ours['rows']:,}", "peer": peer}
            if "numbers" not in rec:
                why = (f"stopped after {rec['stopped_after_s']:.0f} s (not finished)" if "stopped_after_s" in rec
                       else f"failed after {rec.get('after_s', 0):.0f} s: {_last_error(rec)}")
                rows.append({**base, "ours_s": _fmt_s(ours["seconds"]), "peer_s": "", "speedup": "",
                             "ours_cpu_s": _fmt_s(ours.get("cpu_seconds")), "peer_cpu_s": "",
                             "ours_peak_RSS_MiB": f"{ours['peak_rss_mib']:.0f}", "peer_peak_RSS_MiB": "",
                             "agreement": why})
                continue
            notes = agreement(task, ours, rec)
            for step, label in (("fit", TASK_LABEL[task][0]), ("follow", TASK_LABEL[task][1])):
                if label is None or step not in notes:
                    continue
                key = "seconds" if step == "fit" else "seconds_follow"
                ckey = "cpu_seconds" if step == "fit" else "cpu_seconds_follow"
                rows.append({
                    **base, "task": label, "ours_s": _fmt_s(ours[key]), "peer_s": _fmt_s(rec[key]),
                    "speedup": f"{rec[key] / ours[key]:.1f}",
                    "ours_cpu_s": _fmt_s(ours.get(ckey)), "peer_cpu_s": _fmt_s(rec.get(ckey)),
                    "ours_peak_RSS_MiB": f"{ours['peak_rss_mib']:.0f}" if step == "fit" else "",
                    "peer_peak_RSS_MiB": f"{rec['peak_rss_mib']:.0f}" if step == "fit" else "",
                    "agreement": notes[step],
                })
    return rows


def _md(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "(none)"
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)


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
    info = machine()
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


PROFILE_NOTES = """### Where the time and memory went, and what changed

Before the changes (commit fc3020f), the same worker on this panel (one run, load 7.9): `att_gt` +
simple 7.22 s wall / 3.48 s CPU, dynamic 0.76 s, peak RSS 1,071 MiB, tracemalloc 637 MiB (now
about 1.4 s / 0.5 s CPU, 0.2 s, 639 MiB and 206 MiB). A cProfile of that code (7.0 s in all) showed:

- The per-cell loop over 240 cells: boolean masks over 84,000 units and gathers (`y_wide[sel, t]`,
  `psi[sel] = ...`), 1.1 s own time, plus 0.9 s in `dr_did` (a logit and an OLS on an intercept).
- Copies of the 84,000 x 240 influence-function matrix (161 MB each): the list of columns, its
  `np.column_stack`, `np.nan_to_num` in `att_gt` and again in every `aggregate` call, `psi**2` in
  `if_se` -- 1.1 s in `nan_to_num`, 0.5 s in `column_stack`, and most of the memory.
- Aggregation: R `did`'s weight influence function as a dense (units x cells) matrix per output
  (`_wif`) and `psi[:, idx]` copies; input checks 0.44 s (the unit column factorised three times,
  a copy of the whole frame for the group-size check); the sort 0.13 s (a copy of the frame).

Changes (numbers unchanged: `tests/did` against R `did` stays green; `tests/did/test_fast_path.py`
checks the fast path against the general one to 1e-12 with covariates, weights, clusters, not-yet
controls, universal base period, anticipation and all three methods):

- `estimators/did_cells.py`: without covariates every estimator (dr, ipw, reg) reduces to the
  difference of weighted mean changes; ATT(g,t) and its influence function come from per-cohort
  sums (one `bincount` per cell), written into one preallocated column-major matrix. Cells with
  covariates, or where DRDID's propensity-score trimming would bind, run the general estimator.
- The influence matrix exists once: covariance by one symmetric rank-k product (`dsyrk`), standard
  errors by `einsum` (no squared copy), cluster sums by a sparse indicator product (no reordered
  copy), no `nan_to_num` copy when it is finite; sorted input is not copied.
- `did_aggregate`: all outputs of a kind by one product `psi @ W`; the weight-estimation term as a
  per-cohort lookup (closed form of `wif @ att`), no (units x cells) matrix.
- `estimators/saturated_fe.py`: Sun-Abraham's saturated regression from cohort-by-period sums;
  the 2.1 M x 240 dummy matrix (4 GB dense; pyfixest's 5.8 GiB allocation is what fails above)
  is never formed. Equal to the dense regression (`tests/did/test_fast_path_sun_abraham.py`, 1e-10)
  and to pyfixest (`tests/did/test_sun_abraham.py`).
- Not done: sparse storage of influence functions -- with never-treated controls each cell's
  function is non-zero on its cohort and all 58,800 never-treated units (74 % of rows), so it
  would not save memory on this design; float32 is not used anywhere.
"""


def goals(records: dict, scale: float) -> list[dict[str, str]]:
    """The goals of issue 10 item 6, each with the measurement and whether it is met."""
    out = []
    cs = records[("cs", "sosek_impact", scale)]
    out.append({"goal": "CS att_gt + simple <= 3 s", "measured": f"{cs['seconds']:.2f} s wall ({cs['cpu_seconds']:.2f} s CPU)",
                "met": "yes" if cs["seconds"] <= 3 else ("CPU time only" if cs["cpu_seconds"] <= 3 else "**no**")})
    out.append({"goal": "CS peak memory <= 1 GiB", "measured": f"peak RSS {cs['peak_rss_mib']:.0f} MiB "
                f"(panel in memory before the fit {cs['rss_before_fit_mib']:.0f} MiB); tracemalloc {cs.get('tracemalloc_mib', float('nan')):.0f} MiB",
                "met": "yes" if cs["peak_rss_mib"] <= 1024 else "**no**"})
    for frac in (0.25, 0.5, 1.0):
        ours, peer = records[("sa", "sosek_impact", scale * frac)], records[("sa", "pyfixest", scale * frac)]
        if "seconds" in peer:
            met = "yes" if ours["seconds"] <= peer["seconds"] else "**no**"
            meas = f"{ours['seconds']:.2f} s vs pyfixest {peer['seconds']:.2f} s"
        else:
            met = "pyfixest did not finish"
            meas = f"{ours['seconds']:.2f} s; pyfixest: " + (f"stopped after {peer['stopped_after_s']:.0f} s" if "stopped_after_s" in peer
                                                         else f"failed: {_last_error(peer)}")
        out.append({"goal": f"Sun-Abraham no slower than pyfixest ({ours['rows']:,} rows)", "measured": meas, "met": met})
    for task in ("cs", "sa", "twfe"):
        lo, hi = records.get((task, "sosek_impact", scale / 4)), records[(task, "sosek_impact", scale)]
        if lo is None:
            continue
        c_lo = lo["cpu_seconds"] + lo.get("cpu_seconds_follow", 0.0)
        c_hi = hi["cpu_seconds"] + hi.get("cpu_seconds_follow", 0.0)
        w_lo = lo["seconds"] + lo.get("seconds_follow", 0.0)
        w_hi = hi["seconds"] + hi.get("seconds_follow", 0.0)
        out.append({"goal": f"{task}: time at most linear in rows (4x rows)",
                    "measured": f"wall x{w_hi / w_lo:.2f}, CPU x{c_hi / c_lo:.2f}",
                    "met": "yes" if max(w_hi / w_lo, c_hi / c_lo) <= 4.4
                    else ("by CPU time yes; wall **no** (above 4.4 = 4 x 1.1 noise allowance)" if c_hi / c_lo <= 4.4
                          else "**no** (above 4.4 = 4 x 1.1 noise allowance)")})
    return out


def section(info: dict[str, str], rows: list[dict[str, str]], growth: list[dict[str, str]], scale: float,
            goal_rows: list[dict[str, str]], loads: str) -> str:
    n = int(round(N_UNITS * scale))
    parts = [SECTION_START, "## Village scale (issue 10)\n",
             f"A seeded simulated panel of {n:,} units x {N_PERIODS} years ({n * N_PERIODS:,} rows), {N_COHORTS} "
             f"cohorts, {TREATED_SHARE:.0%} of units treated, 240 group-time cells (`benchmarks/village.py`, seed "
             f"{SEED}). Each program runs in a fresh process on the same panel, after a warm-up on a small one. "
             "`*_s` is the minimum wall time of three calls (one call when a call takes over 10 s; for ours, "
             "also the least of three fresh processes), `*_cpu_s` the CPU time of that call; `peak_RSS` is the process's peak resident memory during the fits "
             "(the kernel's high-water mark reset after the panel is built; it includes the panel, "
             "`RSS_before_fit`), tracemalloc the peak of Python-tracked allocations during one more call. "
             "Workers run under a 12 GiB address-space cap so that a peer cannot exhaust the shared machine. "
             "The numbers of every peer are checked against ours before any timing is reported (a "
             "disagreement stops the run).\n",
             "**The machine was shared**: other jobs ran at the same time (load average at the start of the "
             f"workers: {loads}, on 2 cores), so wall times are inflated and noisy; CPU times are the steadier "
             "measure.\n",
             "### Goals\n", _md(goal_rows), "\n### Machine\n",
             "\n".join(f"- **{k}**: {v}" for k, v in info.items()), "\n### Against peers\n", _md(rows),
             "\npyfixest's saturated event study builds the dense cohort x relative-period dummy matrix "
             "(371 columns before dropping references): at 525,000 rows its peak RSS was 6.5 GiB, so at "
             "2.1 M rows it would need about four times that, more than this machine's 23.5 GiB; under the "
             "12 GiB cap it stopped with the allocation errors shown. `differences`' dynamic aggregation "
             "reuses what its fit stored, so it is faster than ours on that step alone.\n",
             "\n### Growth (ours; 1/4, 1/2, 1x the panel)\n", _md(growth),
             "\nMemory (tracemalloc) is exactly linear in rows for all three; time ratios above 4 at 4x "
             "rows on this shared machine come and go between runs.\n", "\n" + PROFILE_NOTES, SECTION_END]
    return "\n".join(parts) + "\n"


def write_section(text: str) -> None:
    from sosek_impact.atomic import write_text

    path = ROOT / "benchmarks" / "README.md"
    old = path.read_text()
    if SECTION_START in old:
        head, rest = old.split(SECTION_START, 1)
        tail = rest.split(SECTION_END, 1)[1] if SECTION_END in rest else ""
        new = head + text + tail.lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    write_text(path, new)


if __name__ == "__main__":
    raise SystemExit(main())
