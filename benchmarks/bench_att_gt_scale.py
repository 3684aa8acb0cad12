"""att_gt + dynamic aggregation at 1 M rows against diff-diff's CallawaySantAnna (issue 17 #2).

A seeded staggered panel (40,000 units x 25 periods, four cohorts and never-treated units, an
effect growing with event time) is fitted by both programs with the doubly robust estimator,
never-treated controls, varying base period and analytical standard errors. Before any timing
the two must agree cell by cell (ATT(g,t), SE) and on the event-study aggregate (estimate, SE by
event time); a disagreement stops the run. Timing is the minimum of several calls after a
warm-up with one BLAS thread; CPU time (``time.process_time``) is reported beside wall time
because the machine is shared and wall times inflate with its load. Peak memory is the
tracemalloc peak of one more call.

Run: ``python benchmarks/bench_att_gt_scale.py [--units 40000] [--periods 25] [--repeat 5]``.
Prints a Markdown table row per program pair. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import peak_memory_mb, wall_and_cpu_time  # noqa: E402

#: agreement tolerances (both programs compute the same closed-form estimator and influence function)
ATT_ABS_TOL = 1e-9
SE_REL_TOL = 1e-6


def simulate(n_units: int = 40_000, n_periods: int = 25, seed: int = 17) -> pd.DataFrame:
    """Balanced panel: unit effect + common trend + effect ``1 + 0.1 e`` from the first treated period."""
    rng = np.random.default_rng(seed)
    cohorts = np.array([0, 8, 12, 16, 20])
    g = cohorts[rng.integers(0, len(cohorts), n_units)]
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    gg = g[u]
    eff = np.where((gg > 0) & (t >= gg), 1.0 + 0.1 * (t - gg), 0.0)
    y = rng.normal(size=n_units)[u] + 0.1 * t + eff + rng.normal(size=u.size)
    return pd.DataFrame({"unit": u, "time": t, "group": gg, "y": y})


def ours(df: pd.DataFrame):
    from sosek_impact.estimators import att_gt

    res = att_gt(df, y="y", unit="unit", time="time", group="group", control="never", method="dr")
    return res, res.aggregate("dynamic")


def peer(df: pd.DataFrame):
    from diff_diff import CallawaySantAnna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CallawaySantAnna(control_group="never_treated", estimation_method="dr").fit(
            df, outcome="y", unit="unit", time="time", first_treat="group")
        return fit, fit.aggregate("event_study")


def agreement(df: pd.DataFrame) -> str:
    """Compare every ATT(g,t), its SE and the event-study rows; raise on a disagreement."""
    res, dyn = ours(df)
    fit, es = peer(df)
    tab = res.table.set_index(["group", "time"])
    att_diff, se_diff = 0.0, 0.0
    if len(fit.group_time_effects) != len(tab):
        raise AssertionError(f"{len(tab)} cells (ours) vs {len(fit.group_time_effects)} (diff-diff)")
    for (g, t), cell in fit.group_time_effects.items():
        row = tab.loc[(int(g), int(t))]
        att_diff = max(att_diff, abs(row["att"] - cell["effect"]))
        se_diff = max(se_diff, abs(row["se"] / cell["se"] - 1))
    ev = pd.DataFrame({"e": np.asarray(es.event_time, dtype=float), "att": np.asarray(es.att, dtype=float),
                       "se": np.asarray(es.se, dtype=float)}).dropna().set_index("e")
    mine = dyn.table.set_index(dyn.table["event_time"].astype(float))
    common = mine.index.intersection(ev.index)
    if len(common) != len(mine):
        raise AssertionError(f"event times differ: ours {list(mine.index)}, diff-diff {list(ev.index)}")
    e_att = float(np.max(np.abs(mine.loc[common, "estimate"] - ev.loc[common, "att"])))
    e_se = float(np.max(np.abs(mine.loc[common, "std_error"] / ev.loc[common, "se"] - 1)))
    worst_att, worst_se = max(att_diff, e_att), max(se_diff, e_se)
    if worst_att > ATT_ABS_TOL or worst_se > SE_REL_TOL:
        raise AssertionError(f"disagreement: ATT max abs diff {worst_att:.2e} (tol {ATT_ABS_TOL:.0e}), "
                             f"SE max rel diff {worst_se:.2e} (tol {SE_REL_TOL:.0e})")
    return (f"{len(tab)} ATT(g,t) and {len(common)} event times: ATT max abs diff {worst_att:.1e}, "
            f"SE max rel diff {worst_se:.1e}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=40_000)
    ap.add_argument("--periods", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    df = simulate(args.units, args.periods)
    with threadpool_limits(1):
        agree = agreement(df)
        load0 = os.getloadavg()
        w_ours, c_ours = wall_and_cpu_time(lambda: ours(df), args.repeat)
        w_peer, c_peer = wall_and_cpu_time(lambda: peer(df), args.repeat)
        load1 = os.getloadavg()
        m_ours, m_peer = peak_memory_mb(lambda: ours(df)), peak_memory_mb(lambda: peer(df))
    print(f"rows {len(df):,}; load average (1 min) {load0[0]:.1f} before, {load1[0]:.1f} after timing; "
          f"{os.cpu_count()} logical cores")
    print(f"agreement: {agree}")
    print("| task | ours wall s | diff-diff wall s | wall ratio | ours CPU s | diff-diff CPU s | CPU ratio "
          "| ours peak MiB | diff-diff peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| att_gt (dr, never) + dynamic, {len(df):,} rows | {w_ours:.3f} | {w_peer:.3f} | {w_peer / w_ours:.2f} "
          f"| {c_ours:.3f} | {c_peer:.3f} | {c_peer / c_ours:.2f} | {m_ours:.0f} | {m_peer:.0f} |")


if __name__ == "__main__":
    main()
