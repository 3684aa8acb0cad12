"""Benchmark of ``placebo_study`` on the study panel (issue 14, item 3): 1,000 draws x 4 methods.

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_placebo_study.py              # 1,000 draws, 1 process
    .venv/bin/python benchmarks/bench_placebo_study.py --draws 200 --jobs 2

The study panel is the README quick start's: Kalimantan regencies to 2019, the border-post
regencies and the non-border controls, log GRDP per capita. Goal: 1,000 fake designs x 4 methods
(CS and imputation, randomisation inference and Conley--Taber, 999 draws each) in under a minute.

Timings are wall times in this process, with peers in the same process on the same fake designs:

* ``loop``: the same 4,000 ``few_treated_inference`` calls written as a plain loop over DataFrames
  (what a user would write without ``placebo_study``): the engine's overhead is ours / loop;
* ``diff-diff``: ``diff_diff.CallawaySantAnna`` point estimate + analytical SE per fake design (on
  ``--peer-draws`` of them), checked to give our CS estimate on every one first.

The script also reports where our time goes (cProfile shares of the input checks, the estimator
weights and each inference method) over 50 draws. It asserts nothing: it is a benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import warnings
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import machine  # noqa: E402

import sosek_impact as si  # noqa: E402
from sosek_impact.inference import few_treated_inference, placebo_study  # noqa: E402
from sosek_impact.registry import treatment_timing  # noqa: E402

TARGET_S = 60.0


def study_panel() -> pd.DataFrame:
    """The README quick start's panel (border-post regencies vs non-border Kalimantan regencies, to 2019)."""
    panel = si.load_panel()
    timing = treatment_timing("plbn", first_full_year=True)
    d = panel[panel["kalimantan"] & (panel["year"] <= 2019)].copy()
    d["first_treat"] = d["bps_code"].map(timing).fillna(0).astype(int)
    ever_border = d.groupby("bps_code")["border"].transform("any")
    d = d[(d["first_treat"] > 0) | ~ever_border]
    d["log_grdp_pc"] = np.log(d["grdp_pc_idn514"])
    return d[["bps_code", "year", "log_grdp_pc", "first_treat", "population"]].reset_index(drop=True)


def _fake_panels(d: pd.DataFrame, res) -> list[pd.DataFrame]:
    pool = d[~d["bps_code"].isin(res.settings["dropped_treated"])].sort_values(["bps_code", "year"])
    out = []
    for text in res.draws.drop_duplicates("draw")["fake_adopters"]:
        fake = {int(u): int(g) for u, g in (p.split(":") for p in text.split("; "))}
        out.append(pool.assign(g=pool["bps_code"].map(fake).fillna(0).astype(int)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--peer-draws", type=int, default=100, help="fake designs for the peers (default 100)")
    args = ap.parse_args(argv)
    d = study_panel()
    for key, value in machine().items():
        print(f"- {key}: {value}")
    args_ps = (d, "log_grdp_pc", "bps_code", "year", "first_treat")

    placebo_study(*args_ps, n_draws=5, seed=0)  # warm-up (imports, first calls)
    t0, c0 = time.perf_counter(), time.process_time()
    res = placebo_study(*args_ps, n_draws=args.draws, seed=1, n_jobs=args.jobs, progress=True)
    ours, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_fits = args.draws * len(res.methods)
    print(f"\nplacebo_study: {args.draws} draws x {len(res.methods)} methods = {n_fits} fits in {ours:.1f} s wall, "
          f"{cpu:.1f} s CPU of this process ({args.jobs} process(es)); target < {TARGET_S:.0f} s wall: "
          f"{'met' if ours < TARGET_S else 'NOT met'}")
    print(res.summary())
    per = res.draws.groupby("method", sort=False)["seconds"].mean() * 1e3
    print("\nmean ms per fit:", per.round(1).to_dict())

    # peers on the first --peer-draws fake designs
    k = min(args.peer_draws, args.draws)
    panels = _fake_panels(d, res)[:k]
    sub = res.draws[res.draws["draw"] < k]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r, p in enumerate(panels):
            for est in ("cs", "imputation"):
                for meth in ("randomization", "conley_taber"):
                    few_treated_inference(p, "log_grdp_pc", "bps_code", "year", "g", estimator=est, method=meth,
                                          n_draws=999, seed=r)
    loop = (time.perf_counter() - t0) / k
    ours_per = ours / args.draws
    print(f"\nper draw: ours {ours_per * 1e3:.1f} ms, plain loop of the same 4 calls {loop * 1e3:.1f} ms "
          f"(ours / loop = {ours_per / loop:.2f}; the engine's overhead)")
    try:
        from diff_diff import CallawaySantAnna
    except ImportError:
        print("diff-diff not installed: peer skipped")
    else:
        cs_ours = sub[sub["method"] == "CS + randomisation inference"].set_index("draw")["estimate"]
        est = []
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for p in panels:
                fit = CallawaySantAnna(control_group="never_treated", estimation_method="reg").fit(
                    p, outcome="log_grdp_pc", unit="bps_code", time="year", first_treat="g")
                est.append(float(fit.overall_att))
        dd = (time.perf_counter() - t0) / k
        diff = float(np.max(np.abs(np.asarray(est) - cs_ours.to_numpy()[: len(est)])))
        print(f"diff-diff CallawaySantAnna (point + analytical SE): {dd * 1e3:.1f} ms per fake design; our 4 "
              f"methods with intervals {ours_per * 1e3:.1f} ms (diff-diff / ours = {dd / ours_per:.2f}); "
              f"CS estimates max abs diff {diff:.1e} over {len(est)} designs")

    # where the time goes
    prof = cProfile.Profile()
    prof.enable()
    placebo_study(*args_ps, n_draws=50, seed=2)
    prof.disable()
    st = pstats.Stats(prof)
    total = max(v[3] for v in st.stats.values())
    parts = {"input checks (_panel/check_panel)": "_panel", "CS weights": "cs_linear_weights",
             "imputation weights": "imputation_linear_weights", "randomisation (draws, permuted stats, inversion)":
             "_randomization", "Conley-Taber (pairings, mixture quantiles)": "_conley_taber",
             "panel per draw (PlaceboPanels)": "__call__"}
    print("\nshare of placebo_study time (cProfile, 50 draws):")
    for label, fn in parts.items():
        cum = sum(v[3] for (f, _, name), v in st.stats.items() if name == fn and
                  ("placebo_study" in f if fn == "__call__" else True))
        print(f"  {label}: {cum / total:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
