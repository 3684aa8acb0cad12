"""Placebo adopters on the bundled panel: how often few-treated tests call a fake effect significant.

Not a test module. ``python tests/inference/placebo_bundled_panel.py --reps 300`` draws fake
adopters (cohorts 2017: 1, 2018: 2, 2019: 1) from the smallest-population third of the non-border
regencies of :func:`sosek_impact.load_panel`, outcome log GRDP per capita 2000–2019, and reports
the share of draws with p <= 0.05 for each estimator, method and scale. No effect exists, so a
valid 5 % test rejects about 5 % of the time.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np


def main(argv: list[str] | None = None) -> int:
    import sosek_impact as si
    from sosek_impact.inference.few_treated_core import infer_linear, linear_design

    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--n-draws", type=int, default=499)
    a = ap.parse_args(argv)
    p = si.load_panel()
    p = p[(p["year"] <= 2019) & ~p["border"].astype(bool)]
    wide = p.pivot(index="bps_code", columns="year", values="grdp_pc")
    pop_s = p[p["year"] == 2010].set_index("bps_code")["population"].reindex(wide.index)
    keep = wide.notna().all(axis=1) & pop_s.notna() & (wide > 0).all(axis=1)
    dropped = wide.index[~keep].tolist()  # regencies without a complete series are left out, and listed
    Y = np.log(wide[keep].to_numpy(dtype=float))
    pop = pop_s[keep].to_numpy(dtype=float)
    periods = np.arange(2000, 2020, dtype=float)
    small = np.flatnonzero(pop <= np.quantile(pop, 1 / 3))
    cohorts = np.array([2017, 2018, 2018, 2019], dtype=float)
    rng = np.random.default_rng(14)
    combos = [(e, m, s) for e in ("cs", "imputation") for m in ("randomization", "conley_taber")
              for s in ("pre_period", "none")]
    rej = {c: 0 for c in combos}
    for r in range(a.reps):
        g = np.zeros(Y.shape[0])
        g[rng.choice(small, size=4, replace=False)] = cohorts
        for est in ("cs", "imputation"):
            terms, W, X = linear_design(g, periods, est, "simple", "not_yet" if est == "imputation" else "never")
            for m in ("randomization", "conley_taber"):
                for s in ("pre_period", "none"):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        out = infer_linear(Y, g, periods, terms, W, X, method=m, scale=s, n_draws=a.n_draws, seed=r)
                    rej[est, m, s] += out["p_value"][0] <= 0.05
    print(f"units={Y.shape[0]} (left out for an incomplete series: {dropped}), small third={small.size}, reps={a.reps}")
    print("estimator,method,scale,rejection_5pct")
    for c in combos:
        print(f"{c[0]},{c[1]},{c[2]},{rej[c] / a.reps:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
