"""``sun_abraham``'s structured regression (:mod:`sosek_impact.estimators.saturated_fe`) equals the
dense one: cohort x relative-period dummies built explicitly, two-way demeaned, least squares and
the CR1 sandwich with fixest's small-sample factor, all written out here with NumPy.

Tolerance 1e-10 relative to the largest value: both solve the same normal equations, summed in a
different order (the design here has condition number ~1e3, so round-off stays near 1e-13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.estimators import sun_abraham
from sosek_impact.simulate import simulate_staggered_panel

TOL = 1e-10


def _panel(seed: int = 4) -> pd.DataFrame:
    d = simulate_staggered_panel(300, 10, cohorts={2003: 40, 2005: 40, 2006: 30, 2008: 30}, effect="heterogeneous",
                                 seed=seed)
    rng = np.random.default_rng(seed)
    d["z"] = rng.normal(size=len(d)) + 0.1 * d["y"]  # time-varying covariate
    d["cl"] = (d["unit"] - 1) // 6
    d["cl_t"] = d["cl"] * 100 + (d["time"] >= 2005)  # clusters not nesting units
    return d


def _dense(d, res, *, cluster, covariates, bin_, control):
    d = d.sort_values(["unit", "time"])
    times = np.sort(d["time"].unique())
    g = d["group"].to_numpy(dtype=float)
    if control == "last":
        last = g.max()
        d = d[d["time"] < last]
        times = times[times < last]
        g = d["group"].to_numpy(dtype=float)
    n_u, n_t = d["unit"].nunique(), len(times)
    tpos = np.searchsorted(times, d["time"].to_numpy())
    gpos = np.searchsorted(times, g)
    rel = tpos - gpos
    if bin_ is not None:
        rel = np.clip(rel, *bin_)
    cells = res.cohort_table
    dummies = np.column_stack([(g == c) & (rel == e) for c, e in zip(cells["cohort"], cells["rel_time"])]).astype(float)
    x = np.column_stack([dummies, d[covariates].to_numpy(dtype=float)]) if covariates else dummies

    def demean(m):
        a = m.reshape(n_u, n_t, -1)
        return (a - a.mean(1, keepdims=True) - a.mean(0, keepdims=True) + a.mean((0, 1), keepdims=True)).reshape(n_u * n_t, -1)

    xd, yd = demean(x), demean(d["y"].to_numpy())[:, 0]
    beta, *_ = np.linalg.lstsq(xd, yd, rcond=None)
    e = yd - xd @ beta
    codes = pd.factorize(d[cluster])[0]
    scores = np.zeros((codes.max() + 1, xd.shape[1]))
    np.add.at(scores, codes, xd * e[:, None])
    bread = np.linalg.inv(xd.T @ xd)
    nested = (d.groupby("unit")[cluster].nunique() == 1).all()
    n = n_u * n_t
    k = xd.shape[1] + n_t + (0 if nested else n_u - 1)
    G = codes.max() + 1
    cov = G / (G - 1) * (n - 1) / (n - k) * bread @ scores.T @ scores @ bread
    return beta[: len(cells)], np.sqrt(np.diag(cov))[: len(cells)]


@pytest.mark.parametrize(
    "cluster, covariates, bin_, control",
    [
        ("unit", [], None, "never"),
        ("cl", ["z"], None, "never"),
        ("cl_t", ["z"], (-3, 3), "never"),
        ("cl", ["z"], None, "last"),
    ],
    ids=["plain", "clusters+covariate", "non-nested-clusters+bin", "last-cohort-control"],
)
def test_structured_regression_equals_dense_design(cluster, covariates, bin_, control):
    d = _panel()
    if control == "last":
        d = d[d["group"] > 0]
    res = sun_abraham(d, y="y", unit="unit", time="time", group="group", cluster=cluster, covariates=covariates,
                      bin=bin_, control=control)
    beta, se = _dense(d, res, cluster=cluster, covariates=covariates, bin_=bin_, control=control)
    att = res.cohort_table["att"].to_numpy()
    assert np.max(np.abs(att - beta)) <= TOL * max(1.0, np.max(np.abs(beta)))
    assert np.max(np.abs(res.cohort_table["se"].to_numpy() - se) / se) <= TOL
