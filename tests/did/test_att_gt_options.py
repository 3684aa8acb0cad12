"""att_gt options that the R `did` reference files do not cover, each against an independent reference.

References and tolerances:
- Means computed directly with pandas (differences of mean outcome changes): without covariates every
  ATT(g,t) is such a difference, so base periods, anticipation and the not-yet-treated comparison set
  are checked cell by cell to 1e-10.
- statsmodels OLS of the outcome change on a treatment dummy with a cluster-robust (CR0, no
  small-sample correction) covariance: the same estimator as the influence-function SE clustered by
  summing within clusters, to 1e-8 relative.
- The multiplier bootstrap SE estimates the analytical SE with Monte Carlo error; the IQR-based
  scale from B = 999 draws has relative sd about 0.04, so 0.15 relative (~4 sd) is allowed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import (
    EstimationError,
    GroupColumnError,
    SchemaError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
)
from sosek_impact.estimators import att_gt
from sosek_impact.estimators._checks import MissingValueError

KW = dict(y="lemp", unit="countyreal", time="year", group="first.treat")


def did_means(df: pd.DataFrame, g: int, t: int, base: int, controls) -> float:
    """E[Y_t - Y_base | G=g] - E[Y_t - Y_base | G in controls], computed from the long data."""
    wide = df.pivot(index="countyreal", columns="year", values="lemp")
    grp = df.groupby("countyreal")["first.treat"].first()
    dy = wide[t] - wide[base]
    return dy[grp == g].mean() - dy[grp.isin(controls)].mean()


def cell(res, g, t):
    row = res.table[(res.table["group"] == g) & (res.table["time"] == t)]
    assert len(row) == 1
    return row.iloc[0]


def test_universal_base_period(mpdta):
    res = att_gt(mpdta, **KW, base_period="universal")
    assert len(res.table) == 3 * 5  # every period, the base cell included
    for r in res.table.itertuples():
        expected = did_means(mpdta, r.group, r.time, r.group - 1, [0])
        assert r.att == pytest.approx(expected, abs=1e-10)
    base = res.table[res.table["time"] == res.table["group"] - 1]
    assert (base["att"] == 0).all() and base["se"].isna().all()


def test_varying_base_period_pre_cells_are_short_differences(mpdta):
    res = att_gt(mpdta, **KW)
    r = cell(res, 2007, 2005)
    assert r["att"] == pytest.approx(did_means(mpdta, 2007, 2005, 2004, [0]), abs=1e-10)


def test_anticipation_shifts_the_base_period(mpdta):
    res = att_gt(mpdta[mpdta["first.treat"] != 2004], **KW, anticipation=1)
    # post cells of 2007 compare with 2005 = g - 1 - anticipation
    assert cell(res, 2007, 2007)["att"] == pytest.approx(did_means(mpdta, 2007, 2007, 2005, [0]), abs=1e-10)
    # 2006 is an anticipation period of the 2007 cohort: a pre cell compared with 2005 (varying base)
    assert cell(res, 2007, 2006)["att"] == pytest.approx(did_means(mpdta, 2007, 2006, 2005, [0]), abs=1e-10)


def test_not_yet_treated_comparison_set_with_anticipation(mpdta):
    d = mpdta[mpdta["first.treat"] != 2004]  # with anticipation 1 the 2004 cohort has no pre-period
    res = att_gt(d, **KW, control="not_yet", anticipation=1)
    # pre cell (2006, 2005), base 2004: comparison = never treated + first treated after 2005 + 1 (2007)
    r = cell(res, 2006, 2005)
    assert r["att"] == pytest.approx(did_means(d, 2006, 2005, 2004, [0, 2007]), abs=1e-10)
    # post cell (2006, 2006), base 2004: 2007 is affected from 2006 + 1 on, so never treated only
    r = cell(res, 2006, 2006)
    assert r["att"] == pytest.approx(did_means(d, 2006, 2006, 2004, [0]), abs=1e-10)


def test_not_yet_without_never_treated_uses_last_cohort(mpdta):
    d = mpdta[mpdta["first.treat"] > 0]
    res = att_gt(d, **KW, control="not_yet")
    assert set(res.table["group"]) == {2004, 2006} and res.table["time"].max() == 2006
    r = cell(res, 2004, 2005)
    assert r["att"] == pytest.approx(did_means(d, 2004, 2005, 2003, [2006, 2007]), abs=1e-10)


def test_integer_weights_equal_replicated_units(mpdta):
    rng = np.random.default_rng(7)
    w = pd.Series(rng.integers(1, 4, mpdta["countyreal"].nunique()), index=mpdta["countyreal"].unique())
    d = mpdta.assign(w=mpdta["countyreal"].map(w))
    rep = d.loc[d.index.repeat(d["w"])].copy()
    rep["countyreal"] = rep["countyreal"].astype(str) + "_" + rep.groupby(["countyreal", "year"]).cumcount().astype(str)
    for method, cov in [("dr", ["lpop"]), ("ipw", ["lpop"]), ("reg", ["lpop"])]:
        a = att_gt(d, **KW, method=method, covariates=cov, weights="w").table
        b = att_gt(rep, **KW, method=method, covariates=cov).table
        np.testing.assert_allclose(a["att"], b["att"], atol=1e-8)


def test_clustered_se_equals_cluster_robust_ols(mpdta):
    sm = pytest.importorskip("statsmodels.api")
    d = mpdta.assign(state=mpdta["countyreal"] // 1000)
    res = att_gt(d, **KW, cluster="state")
    wide = d.pivot(index="countyreal", columns="year", values="lemp")
    unit = d.groupby("countyreal")[["first.treat", "state"]].first()
    for g, t, base in [(2004, 2006, 2003), (2007, 2005, 2004)]:
        sel = unit["first.treat"].isin([g, 0])
        dy = (wide[t] - wide[base])[sel]
        x = sm.add_constant((unit.loc[sel, "first.treat"] == g).astype(float))
        fit = sm.OLS(dy, x).fit(cov_type="cluster", cov_kwds={"groups": unit.loc[sel, "state"], "use_correction": False})
        r = cell(res, g, t)
        assert r["att"] == pytest.approx(fit.params.iloc[1], abs=1e-10)
        # the IF SE scales by the whole sample n; OLS uses the selected units only, same sum of squares
        assert r["se"] == pytest.approx(fit.bse.iloc[1], rel=1e-8)
    # clustering by unit is the unclustered SE
    by_unit = att_gt(d, **KW, cluster="countyreal").table["se"]
    np.testing.assert_allclose(by_unit, att_gt(d, **KW).table["se"], rtol=1e-12)


def test_bootstrap_is_seeded_and_close_to_analytical(mpdta):
    ana = att_gt(mpdta, **KW)
    b1 = att_gt(mpdta, **KW, bootstrap=True, n_boot=999, seed=11)
    b2 = att_gt(mpdta, **KW, bootstrap=True, n_boot=999, seed=11)
    pd.testing.assert_frame_equal(b1.table, b2.table)
    np.testing.assert_allclose(b1.table["se"], ana.table["se"], rtol=0.15)
    crit = b1.settings["crit_val"]
    k = len(b1.table)
    # a sup-t critical value lies between the pointwise and the Bonferroni normal quantiles (+MC slack)
    from scipy import stats

    assert stats.norm.ppf(0.975) < crit < stats.norm.ppf(1 - 0.025 / k) + 0.1
    assert (b1.table["cband_lower"] < b1.table["ci_lower"]).all()
    dyn = b1.aggregate("dynamic").to_frame()
    np.testing.assert_allclose(dyn["se"], ana.aggregate("dynamic").to_frame()["se"], rtol=0.15)
    assert {"cband_lower", "cband_upper"} <= set(dyn.columns)


def test_clustered_bootstrap_close_to_clustered_analytical(mpdta):
    # 100 clusters of 5 counties: enough clusters for the bootstrap distribution to be near normal
    # (with mpdta's ~30 states the IQR-based bootstrap SE departs from the analytical one by design)
    rank = mpdta["countyreal"].rank(method="dense").astype(int) - 1
    d = mpdta.assign(state=rank // 5)
    ana = att_gt(d, **KW, cluster="state")
    boot = att_gt(d, **KW, cluster="state", bootstrap=True, n_boot=1999, seed=3)
    np.testing.assert_allclose(boot.table["se"], ana.table["se"], rtol=0.15)


def test_dynamic_window_and_balance(mpdta):
    res = att_gt(mpdta, **KW)
    full = res.aggregate("dynamic").to_frame()
    win = res.aggregate("dynamic", min_e=-1, max_e=1).to_frame()
    assert list(win["egt"]) == [-1, 0, 1]
    np.testing.assert_allclose(win["att"], full.set_index("egt").loc[[-1, 0, 1], "att"], atol=1e-12)
    # balance_e=1: only cohorts observed at e = 1 (2004, 2006); e = 0 then averages those two cohorts
    bal = res.aggregate("dynamic", balance_e=1).to_frame()
    t = res.table
    pg = mpdta.groupby("countyreal")["first.treat"].first().value_counts()
    e0 = t[(t["time"] == t["group"]) & t["group"].isin([2004, 2006])]
    expected = np.average(e0["att"], weights=pg.loc[e0["group"]].to_numpy())
    assert bal.set_index("egt").loc[0, "att"] == pytest.approx(expected, abs=1e-12)
    assert bal["egt"].max() == 1


def test_bad_inputs_raise_typed_errors(mpdta):
    with pytest.raises(UnbalancedPanelError):
        att_gt(mpdta.drop(index=10), **KW)
    with pytest.raises(MissingValueError):
        att_gt(mpdta.assign(lemp=mpdta["lemp"].where(mpdta.index != 4)), **KW)
    first = mpdta["countyreal"].iloc[0]
    with pytest.raises(TreatedInFirstPeriodError, match=str(first)):  # strict mode; the default drops them
        att_gt(mpdta.assign(**{"first.treat": np.where(mpdta["countyreal"] == first, 2003, mpdta["first.treat"])}), **KW,
               strict=True)
    with pytest.raises(GroupColumnError):
        att_gt(mpdta, **dict(KW, group="treat"))
    with pytest.raises(SmallGroupError):
        att_gt(mpdta[mpdta["first.treat"] > 0], **KW, control="never")
    with pytest.raises(SchemaError):
        att_gt(mpdta, **KW, covariates=["nope"])
    with pytest.raises(EstimationError, match="constant within a unit"):
        att_gt(mpdta.assign(w=np.arange(len(mpdta)) % 3 + 1.0), **KW, weights="w")
    for bad in [dict(control="later"), dict(method="ols"), dict(base_period="fixed"), dict(anticipation=-1)]:
        with pytest.raises(ValueError):
            att_gt(mpdta, **KW, **bad)


def test_group_after_last_period_counts_as_never_treated(mpdta):
    late = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, 2010)})
    with pytest.warns(UserWarning, match="after the last period"):
        res = att_gt(late, **KW)
    pd.testing.assert_frame_equal(res.table, att_gt(mpdta, **KW).table)
    with pytest.raises(GroupColumnError, match="anticipation"):
        att_gt(late[late["first.treat"] != 2004], **KW, anticipation=1)
    # a group that is inside the sample range but not a period is still an error
    with pytest.raises(GroupColumnError):
        att_gt(mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(2006, 2005.5)}), **KW)


def test_row_order_and_index_do_not_matter(mpdta):
    shuffled = mpdta.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled.index = shuffled.index * 7 + 100
    a, b = att_gt(mpdta, **KW, covariates=["lpop"]), att_gt(shuffled, **KW, covariates=["lpop"])
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-12)
    missing_group = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    pd.testing.assert_frame_equal(att_gt(missing_group, **KW).table, att_gt(mpdta, **KW).table)
