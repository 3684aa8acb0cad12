"""Peer comparisons of the inference: the wild cluster bootstrap and randomisation inference.

Each ``bench_*`` function checks agreement with its peer on the same data, then times both and
returns one :data:`_compare.Row`. Run through ``benchmarks/run.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from _compare import Row, agree, quiet
from _harness import best_time

from sosek_impact.simulate import simulate_staggered_panel


def bench_wild_bootstrap(n_clusters: int, n_periods: int, draws: int, repeat: int) -> list[Row]:
    """Restricted wild cluster bootstrap (WCR, Rademacher) of the TWFE treatment coefficient."""
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    from sosek_impact.inference import wild_cluster_bootstrap

    k = n_clusters // 10
    d = simulate_staggered_panel(
        n_clusters, n_periods, cohorts={2003: k, 2005: k, 2007: k}, effect="constant", effect_size=0.08, seed=5
    )
    # wildboottest takes a statsmodels OLS; unit and time dummies (510 columns) make it very slow,
    # so it gets the two-way demeaned data (Frisch-Waugh-Lovell; exact in a balanced panel). The
    # restricted residuals and the scores are then those of the fixed-effects regression; only the
    # small-sample factor differs, which scales t and every bootstrap t alike (p-value unchanged).
    def two_way_demean(col: str) -> pd.Series:
        v = d[col].astype(float)
        return v - v.groupby(d["unit"]).transform("mean") - v.groupby(d["time"]).transform("mean") + v.mean()

    model = sm.OLS(two_way_demean("y").rename("y"), two_way_demean("treat").rename("treat").to_frame())

    def ours_result() -> Any:
        return wild_cluster_bootstrap(
            d, y="y", x="treat", param="treat", cluster="unit", fe=["unit", "time"], B=draws,
            weights_type="rademacher", restricted=True, seed=1, ci=False,
        )

    def ours() -> float:
        return float(ours_result().pvalue)

    def peer() -> float:
        r = wildboottest(model, B=draws, cluster=d["unit"], param="treat", weights_type="rademacher",
                         impose_null=True, seed=2, show=False, parallel=False)
        return float(r["p-value"].iloc[0])

    import pyfixest as pf

    mine = ours_result()
    t_ref = float(quiet(lambda: pf.feols("y ~ treat | unit + time", data=d, vcov={"CRV1": "unit"}).tstat()["treat"])())
    agree("wild bootstrap CRV1 t statistic vs pyfixest", mine.t_stat, t_ref, rel=1e-6)
    p_ours, p_peer = float(mine.pvalue), quiet(peer)()
    # two independent bootstraps: |p1 - p2| has sd sqrt(2 p (1 - p) / B); allow 4 sd (+ 1/B)
    tol = 4 * np.sqrt(2 * p_peer * (1 - p_peer) / draws) + 1.0 / draws
    agree("wild bootstrap p-value vs wildboottest", p_ours, p_peer, abs_=tol)
    t_ours = best_time(ours, repeat=repeat)
    t_peer = best_time(quiet(peer), repeat=1, warmup=0)  # ~20 s a call; its first call was above
    return [
        {
            "task": f"Wild cluster bootstrap WCR, {draws:,} draws, {n_clusters} clusters ({len(d):,} rows)",
            "peer": "wildboottest",
            "ours_s": t_ours,
            "peer_s": t_peer,
            "speedup": t_peer / t_ours,
            "target": "ours < 2 s",
            "met": t_ours < 2.0,
            "agreement": f"t {mine.t_stat:.6f} = pyfixest CRV1 t; p-value {p_ours:.4f} vs {p_peer:.4f} (tol {tol:.4f}, Monte Carlo error)",
        }
    ]


# --------------------------------------------------------------------------- scaling


def bench_permutation(n_perm: int, repeat: int) -> list[Row]:
    """Randomisation inference for the CS simple ATT: weights gathered per permutation vs refitting att_gt."""
    from sosek_impact.inference import few_treated_inference, randomization_inference
    from sosek_impact.inference.few_treated_weights import cs_linear_weights

    d = simulate_staggered_panel(60, 25, seed=1)
    cols = ("y", "unit", "time", "group")

    def ours() -> Any:
        return few_treated_inference(d, *cols, n_draws=n_perm, seed=1)

    def peer() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return randomization_inference(d, *cols, estimator="att_gt", n_perm=n_perm, seed=1)

    r, p = ours(), peer()
    # same permutations (same seed and drawing rule): the permuted estimates must agree one by one
    Y = d.pivot(index="unit", columns="time", values="y").to_numpy()
    periods = np.sort(d["time"].unique())
    ours_dist = np.array([float(np.einsum("kit,it->k", cs_linear_weights(a, periods)[1], Y)[0]) for a in r.assignments])
    diff = float(np.abs(ours_dist - p.distribution).max())
    agree("permuted CS estimates", diff, 0.0, abs_=1e-10)
    agree("CS estimate", float(r.estimate[0]), p.statistic, abs_=1e-10)
    agree("randomisation p-value", float(r.p_value[0]), p.pvalue, abs_=1e-12)
    t_ours = best_time(ours, repeat=repeat)
    t_peer = best_time(peer, repeat=1, warmup=0)
    return [
        {
            "task": f"Randomisation inference, CS simple ATT, {n_perm:,} permutations, 60 units x 25 years",
            "peer": "randomization_inference(estimator='att_gt') (refits)",
            "ours_s": t_ours,
            "peer_s": t_peer,
            "speedup": t_peer / t_ours,
            "target": "ours <= 2 s",
            "met": t_ours <= 2.0,
            "agreement": f"permuted estimates max abs diff {diff:.1e}; p-value {r.p_value[0]:.4f} both; "
            f"ours adds the exact interval [{r.conf_low[0]:.3f}, {r.conf_high[0]:.3f}]",
        }
    ]
