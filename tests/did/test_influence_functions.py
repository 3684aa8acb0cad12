"""Influence functions checked by numerical differentiation with respect to unit weights.

For estimators defined by weighted moment conditions (logit propensity score, weighted OLS, the ATT
itself, the cohort shares P(G=g) of the aggregations), the derivative of the estimate with respect
to unit i's sampling weight, at weights 1, is the empirical influence function psi_i / n. So
(estimate(w + h e_i) - estimate(w - h e_i)) / (2h) * n must equal psi_i, including the
estimation-effect terms of the propensity score and the outcome regression and the weight-influence
term of the aggregations. Central differences with h = 1e-5 have error O(h^2); we allow 1e-6
absolute on psi (whose entries are O(0.1-10) here). This is independent of R and of the formulas
in the code: only the point estimates are differentiated.
"""

from __future__ import annotations

import numpy as np
import pytest

from sosek_impact.estimators import att_gt

KW = dict(y="lemp", unit="countyreal", time="year", group="first.treat", covariates=["lpop"], weights="w")
H = 1e-5


def _fit(df, unit, delta, **kw):
    w = np.where(df["countyreal"] == unit, 1.0 + delta, 1.0)
    return att_gt(df.assign(w=w), **KW, **kw)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_cell_and_aggregate_influence_functions(mpdta, method, control):
    d = mpdta.assign(w=1.0)
    base = att_gt(d, **KW, method=method, control=control)
    n = base.n_units
    simple = base.aggregate("simple")
    aggs = {k: base.aggregate(k) for k in ("group", "dynamic", "calendar")}
    firsts = d.groupby("countyreal")["first.treat"].first()
    picks = [firsts[firsts == g].index[1] for g in (2004, 2006, 2007, 0)]
    for u in picks:
        i = int(np.flatnonzero(base.units == u)[0])
        up, down = _fit(d, u, H, method=method, control=control), _fit(d, u, -H, method=method, control=control)
        num = (up.table["att"].to_numpy() - down.table["att"].to_numpy()) / (2 * H) * n
        np.testing.assert_allclose(base.influence[i], num, atol=1e-6, rtol=0)
        num_simple = (up.aggregate("simple").estimate - down.aggregate("simple").estimate) / (2 * H) * n
        assert simple.overall_influence[i] == pytest.approx(num_simple, abs=1e-6)
        for kind, agg in aggs.items():
            a_up, a_down = up.aggregate(kind), down.aggregate(kind)
            num_rows = (a_up.table["estimate"].to_numpy() - a_down.table["estimate"].to_numpy()) / (2 * H) * n
            np.testing.assert_allclose(agg.influence[i], num_rows, atol=1e-6, rtol=0)
            num_overall = (a_up.estimate - a_down.estimate) / (2 * H) * n
            assert agg.overall_influence[i] == pytest.approx(num_overall, abs=1e-6)
