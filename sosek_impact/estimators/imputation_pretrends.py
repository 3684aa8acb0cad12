"""BJS (2024) pre-trend test of the imputation estimator, on the untreated observations only.

Regress ``Y`` on the unit and period effects and ``k`` dummies for treated units 1..k periods
before treatment, on the untreated observations (the sample of the imputation's step 1); test the
``k`` coefficients jointly with a cluster-robust (CR1) Wald test, ``F = W/k`` against ``F(k, G−1)``.
The small-sample factor is fixest's ``G/(G−1)·(N−1)/(N−K)`` (``K`` = leads + periods when the unit
effects are nested in the clusters), so the coefficients and SEs equal pyfixest ``feols`` on that
sample (tested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.event_study import WaldTest
from sosek_impact.estimators.imputation_core import ImputationDesign

__all__ = ["pretrend_test"]


def pretrend_test(design: ImputationDesign, y: np.ndarray, k: int, cl: np.ndarray, n_cl: int,
               unit_cluster: bool) -> tuple[pd.DataFrame | None, WaldTest | None]:
    """Pre-trend coefficients on the untreated sample and their joint cluster-robust Wald test."""
    if k == 0:
        return None, None
    u0 = design.untreated
    et = design.event_time[u0]
    P = np.column_stack([(design.ever[u0] & (et == -h)).astype(float) for h in range(1, k + 1)])
    counts = P.sum(axis=0)
    if (counts == 0).any():
        missing = [-h for h in range(1, k + 1) if counts[h - 1] == 0]
        raise EstimationError(f"pretrends={k}: no untreated observation of a treated unit at event time(s) {missing}")
    w = design.w[u0]
    Z = design.fe0.residuals(np.column_stack([y[u0], P]))
    yt, Pt = Z[:, 0], Z[:, 1:]
    PtWP = Pt.T @ (w[:, None] * Pt)
    if np.linalg.matrix_rank(PtWP) < k:
        raise EstimationError(f"pretrends={k}: the pre-period dummies are collinear with the fixed effects "
                              "(too few untreated periods before treatment)")
    inv = np.linalg.inv(PtWP)
    b = inv @ (Pt.T @ (w * yt))
    e = yt - Pt @ b
    scores = np.stack([np.bincount(cl[u0], weights=w * Pt[:, j] * e, minlength=n_cl) for j in range(k)], 1)
    n0 = int(u0.sum())
    G = int(len(np.unique(cl[u0])))
    n_fe = design.n_periods + (0 if unit_cluster else design.n_units - 1)
    adj = G / (G - 1) * (n0 - 1) / max(n0 - k - n_fe, 1)
    V = adj * inv @ (scores.T @ scores) @ inv
    Wstat = float(b @ np.linalg.solve(V, b))
    F = Wstat / k
    test = WaldTest(F, (k, G - 1), float(stats.f.sf(F, k, G - 1)), Wstat, float(stats.chi2.sf(Wstat, k)),
                    tuple(f"pre{h}" for h in range(1, k + 1)))
    rows = pd.DataFrame({
        "term": [f"pre{h}" for h in range(1, k + 1)], "kind": "pretrend",
        "event_time": pd.array([-h for h in range(1, k + 1)], dtype="Int64"), "estimate": b,
        "std_error": np.sqrt(np.diag(V)), "n_obs": counts.astype(int),
    })
    return rows, test
