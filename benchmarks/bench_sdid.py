"""Synthetic DiD with the placebo standard error (200 placebo draws) on California Proposition 99.

Ours (``sosek_impact.estimators.synthetic_did``) against diff-diff's ``SyntheticDiD``
(``variance_method="placebo"``) on the same panel (39 states, 1970-2000, California treated from
1989), in one process with one BLAS thread:

1. **Agreement first.** The estimate, the unit and time weights and the placebo standard error must
   agree (estimate and SE to 1e-8 relative, weights to 1e-8 absolute); both draw the placebo
   assignments from ``numpy.random.default_rng(seed).permutation``, so with the same seed the
   placebo replicates are the same draws and the SEs agree to rounding. A disagreement stops the run.
2. **Time.** The minimum wall time of ``--repeat`` calls of each after one warm-up call (numba
   compilation excluded), the two programs' calls interleaved so that a load spike on the shared
   machine hits both.
3. **Memory.** The tracemalloc peak of one separate call of each.

Prints a Markdown table row (``task | peer | ours_s | peer_s | speedup | target | met | agreement |
ours_peak_MiB | peer_peak_MiB``). Target (issue 17 #2): at least 1.5x faster than diff-diff.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_sdid.py [--repeat 5] [--reps 200]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _harness import peak_memory_mb  # noqa: E402

from sosek_impact.estimators.synthetic_did import synthetic_did  # noqa: E402

DATA = HERE.parent / "tests" / "synth" / "data" / "california_prop99.csv"
TARGET = 1.5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from diff_diff import SyntheticDiD

    df = pd.read_csv(DATA, sep=";")
    dd_df = df.assign(tr=(df["State"] == "California").astype(int))
    post = sorted(df.loc[df["treated"] == 1, "Year"].unique().tolist())

    def ours():
        return synthetic_did(df, "PacksPerCapita", "State", "Year", "treated", se="placebo", n_reps=args.reps,
                             seed=args.seed, leave_one_out=False)

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return SyntheticDiD(variance_method="placebo", n_bootstrap=args.reps, seed=args.seed).fit(
                dd_df, outcome="PacksPerCapita", treatment="tr", unit="State", time="Year", post_periods=post)

    # 1. agreement
    a, b = ours(), peer()
    omega_b = pd.Series(b.unit_weights).reindex(a.unit_weights.index)
    lam_b = pd.Series(b.time_weights).reindex(a.time_weights.index)
    checks = {
        "estimate rel diff": abs(a.estimate - b.att) / abs(b.att),
        "omega max abs diff": float(np.max(np.abs(a.unit_weights.to_numpy() - omega_b.to_numpy()))),
        "lambda max abs diff": float(np.max(np.abs(a.time_weights.to_numpy() - lam_b.to_numpy()))),
        "placebo SE rel diff": abs(a.std_error - b.se) / b.se,
    }
    tol = {"estimate rel diff": 1e-8, "omega max abs diff": 1e-8, "lambda max abs diff": 1e-8, "placebo SE rel diff": 1e-8}
    bad = {k: v for k, v in checks.items() if not v <= tol[k]}
    if bad:
        print(f"DISAGREEMENT, not timing: {bad} (estimate {a.estimate} vs {b.att}, SE {a.std_error} vs {b.se})")
        return 1

    # 2. time: interleaved calls, minimum of each
    t_ours, t_peer = [], []
    for _ in range(args.repeat):
        for fn, store in ((ours, t_ours), (peer, t_peer)):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            store.append(time.perf_counter() - t0)
    ours_s, peer_s = min(t_ours), min(t_peer)

    # 3. memory
    mem_ours, mem_peer = peak_memory_mb(ours), peak_memory_mb(peer)

    speed = peer_s / ours_s
    agree = "; ".join(f"{k} {v:.1e}" for k, v in checks.items())
    print("| task | peer | ours_s | peer_s | speedup | target | met | agreement | ours_peak_MiB | peer_peak_MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| SDID + placebo SE ({args.reps} draws), Prop 99 (39 states x 31 years) | diff-diff "
          f"{_version('diff-diff')} | {ours_s:.4f} | {peer_s:.4f} | {speed:.2f} | >= {TARGET}x | "
          f"{'yes' if speed >= TARGET else 'no'} | {agree} | {mem_ours:.1f} | {mem_peer:.1f} |")
    print(f"\nall calls (s): ours {', '.join(f'{t:.3f}' for t in t_ours)}; peer {', '.join(f'{t:.3f}' for t in t_peer)}; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    raise SystemExit(main())
