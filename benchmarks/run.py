"""Benchmarks of sosek_impact's estimators against peer packages, on the same data.

Run from the project root::

    .venv/bin/python benchmarks/run.py            # full run, rewrites benchmarks/README.md
    .venv/bin/python benchmarks/run.py --quick    # smaller sizes, prints only

Each comparison first checks that the programs give the same numbers (within a stated
tolerance) and only then times them; a disagreement stops the run. Peers are the packages of
the ``bench`` extra (``pip install -e .[bench]``): csdid, differences, pyfixest, wildboottest,
plus linearmodels. Targets (issue 4): CS at least 5x faster than both Python peers, TWFE no
slower than linearmodels, the wild cluster bootstrap (9,999 draws, 500 clusters) under 2 s.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

# One BLAS thread for every program, so that all are timed alike on a shared machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _compare import DisagreementError, Row, twfe_panel  # noqa: E402
from _harness import machine  # noqa: E402
from peers_estimators import bench_cs, bench_imputation, bench_twfe  # noqa: E402
from peers_inference import bench_permutation, bench_wild_bootstrap  # noqa: E402
from run_report import README_HEAD, bench_scaling, interpretation, write_readme  # noqa: E402

__all__ = [
    "DisagreementError", "README_HEAD", "Row", "bench_cs", "bench_imputation", "bench_permutation",
    "bench_scaling", "bench_twfe", "bench_wild_bootstrap", "interpretation", "main", "twfe_panel",
    "write_readme",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes; do not rewrite README.md")
    ap.add_argument("--only", nargs="*", default=None, help="subset of: cs twfe wild permutation imputation scaling")
    args = ap.parse_args(argv)
    quick = args.quick
    wanted = set(args.only or ["cs", "twfe", "wild", "permutation", "imputation", "scaling"])
    info = machine()
    print("\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)

    comp: list[Row] = []
    notes: list[str] = []
    jobs: list[tuple[str, Callable[[], list[Row]]]] = [
        ("cs", lambda: bench_cs(repeat=5)),
        ("twfe", lambda: bench_twfe(4_000 if quick else 40_000, repeat=1 if quick else 3)),
        ("wild", lambda: bench_wild_bootstrap(500, 10, 999 if quick else 9_999, repeat=1 if quick else 3)),
        ("permutation", lambda: bench_permutation(99 if quick else 999, repeat=1 if quick else 3)),
        ("imputation", lambda: bench_imputation(4_000 if quick else 40_000, 200 if quick else 800,
                                                repeat=1 if quick else 3)),
    ]
    for key, job in jobs:
        if key not in wanted:
            continue
        print(f"[{key}] ...", flush=True)
        try:
            comp.extend(job())
        except DisagreementError:
            raise
        except Exception as exc:  # a missing peer or estimator is reported, not hidden
            notes.append(f"`{key}` not run: {type(exc).__name__}: {exc}")
            print(f"[{key}] not run: {type(exc).__name__}: {exc}", flush=True)
    scale_rows: list[Row] = []
    if "scaling" in wanted:
        print("[scaling] ...", flush=True)
        base = {"twfe": 250 if quick else 2_500, "att_gt": 100 if quick else 1_000}
        try:
            scale_rows = bench_scaling(base, (1, 4, 16), repeat=1 if quick else 3)
        except Exception as exc:
            notes.append(f"`scaling` not run: {type(exc).__name__}: {exc}")
    comp_df = pd.DataFrame(comp)
    scale_df = pd.DataFrame(scale_rows)
    notes.extend(interpretation(comp_df, scale_df))
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(comp_df.to_string(index=False) if len(comp_df) else "(no peer comparison ran)")
        print(scale_df.to_string(index=False) if len(scale_df) else "(no scaling run)")
    for n in notes:
        print("note:", n)
    if not quick and args.only is None:
        write_readme(info, comp_df, scale_df, notes)
        print("wrote benchmarks/README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
