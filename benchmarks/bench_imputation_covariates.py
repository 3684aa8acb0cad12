"""Imputation estimator with a time-varying covariate against pyfixest's two-stage DiD (issue 17).

A seeded staggered panel (default 10,000 units x 20 periods, three cohorts and never-treated
units, a covariate that trends with treatment and moves the outcome) is fitted by
``did_imputation(..., covariates=["x"])`` (estimates *and* BJS conservative standard errors) and
by pyfixest's did2s estimation stage (``_did2s_estimate``: first stage ``~ x | unit + time`` on the
untreated rows, second stage on the treatment dummy; points only — its GMM covariance needs the
explicit unit-dummy matrix, see benchmarks/README.md). The two ATTs must agree to 1e-4 relative
(pyfixest's lsqr tolerance for the fixed effects is 1e-6) before any timing. Timing is the minimum
of several calls after a warm-up with one BLAS thread, wall and CPU; peak memory by tracemalloc.

Run: ``python benchmarks/bench_imputation_covariates.py [--units 10000] [--periods 20] [--repeat 3]``.
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

REL_TOL = 1e-4


def simulate(n_units: int, n_periods: int, seed: int = 17) -> pd.DataFrame:
    """Staggered panel; the covariate trends in treated units and enters the outcome with slope 1.5."""
    rng = np.random.default_rng(seed)
    cohorts = np.array([0, n_periods // 3, n_periods // 2, 2 * n_periods // 3])
    g = cohorts[rng.integers(0, len(cohorts), n_units)]
    u, t = np.repeat(np.arange(n_units), n_periods), np.tile(np.arange(1, n_periods + 1), n_units)
    gg = g[u]
    x = rng.normal(size=u.size) + 0.1 * t * (gg > 0)
    treat = (gg > 0) & (t >= gg)
    y = rng.normal(size=n_units)[u] + 0.2 * t + 1.5 * x + np.where(treat, 1 + 0.1 * (t - gg), 0) + rng.normal(size=u.size)
    return pd.DataFrame({"unit": u, "time": t, "group": gg, "y": y, "x": x, "treat": treat})


def ours(d: pd.DataFrame) -> tuple[float, float]:
    from sosek_impact.estimators import did_imputation

    r = did_imputation(d, "y", "unit", "time", "group", covariates=["x"])
    return r.att, float(r.estimates["std_error"].iloc[0])


def peer(d: pd.DataFrame) -> float:
    from pyfixest.did.did2s import _did2s_estimate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit, _, _ = _did2s_estimate(d, yname="y", _first_stage="~ x | unit + time", _second_stage="~ treat",
                                    treatment="treat")
    return float(fit.coef().iloc[0])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--periods", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    d = simulate(args.units, args.periods)
    with threadpool_limits(1):
        (att, se), patt = ours(d), peer(d)
        rel = abs(att - patt) / abs(patt)
        if not rel <= REL_TOL:
            raise AssertionError(f"ATT {att} vs did2s {patt}: rel diff {rel:.2e} > {REL_TOL:.0e}")
        load0 = os.getloadavg()[0]
        w_o, c_o = wall_and_cpu_time(lambda: ours(d), args.repeat)
        w_p, c_p = wall_and_cpu_time(lambda: peer(d), args.repeat)
        m_o, m_p = peak_memory_mb(lambda: ours(d)), peak_memory_mb(lambda: peer(d))
    print(f"rows {len(d):,}; load average (1 min) {load0:.1f}; ATT {att:.6f} (SE {se:.6f}) vs did2s {patt:.6f}, "
          f"rel diff {rel:.1e}")
    print("| task | ours wall s | did2s wall s | wall ratio | ours CPU s | did2s CPU s | CPU ratio | ours MiB | did2s MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| imputation ATT + SE with a covariate vs did2s points, {len(d):,} rows | {w_o:.3f} | {w_p:.3f} | "
          f"{w_p / w_o:.2f} | {c_o:.3f} | {c_p:.3f} | {c_p / c_o:.2f} | {m_o:.0f} | {m_p:.0f} |")


if __name__ == "__main__":
    main()
