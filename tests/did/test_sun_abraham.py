"""Sun-Abraham interaction-weighted event study.

References:
- Callaway-Sant'Anna ATT(g,t) with a universal base period (our att_gt, itself checked against R did in
  test_att_gt_reference.py): with never-treated controls and no covariates both are the same saturated
  comparison of cohort means, so they coincide to rounding (tolerance 1e-8).
- pyfixest `feols` with the same cohort x relative-period dummies and unit + time fixed effects,
  vcov CRV1 by unit: coefficients to 1e-8, cluster-robust standard errors to 1e-6 relative.
- Cohort means computed directly with pandas for control="last" (difference of mean changes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import (
    GroupColumnError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
)
from sosek_impact.estimators import att_gt, sun_abraham

KW = dict(y="lemp", unit="countyreal", time="year", group="first.treat")


@pytest.fixture(scope="module")
def sa(mpdta):
    return sun_abraham(mpdta, **KW)


@pytest.fixture(scope="module")
def cs_universal(mpdta):
    return att_gt(mpdta, **KW, control="never", method="reg", base_period="universal")


def test_cohort_effects_equal_cs_universal(sa, cs_universal):
    cs = cs_universal.table.assign(rel_time=lambda d: d["time"] - d["group"])
    cs = cs[cs["rel_time"] != -1]  # the reference period, normalised to 0 by CS and left out by SA
    m = sa.cohort_table.merge(cs, left_on=["cohort", "rel_time"], right_on=["group", "rel_time"], validate="1:1")
    assert len(m) == len(sa.cohort_table) == len(cs) == 12
    np.testing.assert_allclose(m["att_x"], m["att_y"], rtol=0, atol=1e-8)


def test_event_time_and_overall_equal_cs_aggregations(sa, cs_universal):
    # SA weights cohorts by their treated observations at e; on a balanced panel that is CS's P(G=g) weight
    dyn = cs_universal.aggregate("dynamic").to_frame()
    m = sa.table.merge(dyn, left_on="rel_time", right_on="egt")
    assert len(m) == len(sa.table) == 7
    np.testing.assert_allclose(m["att_x"], m["att_y"], rtol=0, atol=1e-8)
    assert sa.estimate == pytest.approx(cs_universal.aggregate("simple").estimate, abs=1e-8)


def _dummies(df: pd.DataFrame, cells: pd.DataFrame, g: str, t: str, lo=None, hi=None) -> tuple[pd.DataFrame, list[str]]:
    d = df.copy()
    rel = d[t] - d[g]
    if lo is not None:
        rel = rel.clip(lo, hi)
    names = []
    for k, row in enumerate(cells.itertuples()):
        name = f"D{k}"
        d[name] = ((d[g] == row.cohort) & (rel == row.rel_time)).astype(float)
        names.append(name)
    return d, names


@pytest.mark.parametrize("bin_", [None, (-2, 2)])
def test_coefficients_and_cr1_se_match_pyfixest(mpdta, bin_):
    pf = pytest.importorskip("pyfixest")
    res = sun_abraham(mpdta, **KW, bin=bin_)
    lo, hi = (None, None) if bin_ is None else bin_
    d, names = _dummies(mpdta, res.cohort_table, "first.treat", "year", lo, hi)
    fit = pf.feols(f"lemp ~ {' + '.join(names)} | countyreal + year", data=d, vcov={"CRV1": "countyreal"})
    np.testing.assert_allclose(fit.coef().to_numpy(), res.cohort_table["att"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.se().to_numpy(), res.cohort_table["se"], rtol=1e-6)
    # delta-method SE of each event-time average: sqrt(w' V w) with pyfixest's covariance
    v = fit._vcov
    for row in res.table.itertuples():
        idx = np.flatnonzero(res.cohort_table["rel_time"].to_numpy() == row.rel_time)
        w = np.zeros(len(names))
        cnt = res.cohort_table["n_obs"].to_numpy()[idx]
        w[idx] = cnt / cnt.sum()
        assert row.se == pytest.approx(float(np.sqrt(w @ v @ w)), rel=1e-6)


def test_last_treated_cohort_as_control(mpdta):
    res = sun_abraham(mpdta[mpdta["first.treat"] > 0], **KW, control="last")
    # independent: difference in mean changes, 2007 cohort as comparison, years before 2007 only
    d = mpdta[(mpdta["first.treat"] > 0) & (mpdta["year"] < 2007)]
    means = d.groupby(["first.treat", "year"])["lemp"].mean().unstack()
    for row in res.cohort_table.itertuples():
        g, t = row.cohort, row.cohort + row.rel_time
        expected = (means.loc[g, t] - means.loc[g, g - 1]) - (means.loc[2007, t] - means.loc[2007, g - 1])
        assert row.att == pytest.approx(expected, abs=1e-8)
    assert set(res.cohort_table["cohort"]) == {2004, 2006}


def test_time_invariant_covariate_is_absorbed(mpdta, sa):
    with pytest.warns(UserWarning, match="absorbed"):
        res = sun_abraham(mpdta, **KW, covariates=["lpop"])
    np.testing.assert_allclose(res.cohort_table["att"], sa.cohort_table["att"], atol=1e-10)


def test_bad_inputs_raise_typed_errors(mpdta):
    with pytest.raises(UnbalancedPanelError):
        sun_abraham(mpdta.iloc[1:], **KW)
    df = mpdta.copy()
    df.loc[df["countyreal"] == df["countyreal"].iloc[0], "first.treat"] = 2003
    with pytest.raises(TreatedInFirstPeriodError):
        sun_abraham(df, **KW)
    with pytest.raises(GroupColumnError):
        sun_abraham(mpdta, **dict(KW, group="treat"))
    with pytest.raises(SmallGroupError):
        sun_abraham(mpdta[mpdta["first.treat"] > 0], **KW, control="never")
    with pytest.raises(ValueError):
        sun_abraham(mpdta, **KW, control="sometimes")


def test_group_after_last_period_counts_as_never_treated(mpdta, sa):
    late = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, 2010)})
    with pytest.warns(UserWarning, match="after the last period"):
        res = sun_abraham(late, **KW)
    np.testing.assert_allclose(res.cohort_table["att"], sa.cohort_table["att"], atol=1e-12)


def test_state_clusters_and_time_varying_covariate_match_pyfixest(mpdta):
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(5)
    d0 = mpdta.assign(state=mpdta["countyreal"] // 1000, x=rng.normal(size=len(mpdta)))
    d0["lemp"] = d0["lemp"] + 0.3 * d0["x"]
    res = sun_abraham(d0, **KW, covariates=["x"], cluster="state")
    d, names = _dummies(d0, res.cohort_table, "first.treat", "year")
    fit = pf.feols(f"lemp ~ {' + '.join(names)} + x | countyreal + year", data=d, vcov={"CRV1": "state"})
    np.testing.assert_allclose(fit.coef().to_numpy()[:-1], res.cohort_table["att"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.se().to_numpy()[:-1], res.cohort_table["se"], rtol=1e-6)
    assert res.covariate_params["x"] == pytest.approx(fit.coef().to_numpy()[-1], abs=1e-8)
    assert res.n_clusters == d0["state"].nunique()


def test_reference_period_minus_two_equals_cs_with_anticipation(mpdta):
    # SA with reference e = -2 compares with g - 2, as CS's universal base with one period of anticipation
    d = mpdta[mpdta["first.treat"] != 2004]
    res = sun_abraham(d, **KW, ref_period=-2)
    cs = att_gt(d, **KW, method="reg", base_period="universal", anticipation=1).table
    cs = cs.assign(rel_time=cs["time"] - cs["group"]).query("rel_time != -2")
    m = res.cohort_table.merge(cs, left_on=["cohort", "rel_time"], right_on=["group", "rel_time"], validate="1:1")
    assert len(m) == len(res.cohort_table) == len(cs)
    np.testing.assert_allclose(m["att_x"], m["att_y"], atol=1e-8)


def test_public_name_is_callable_after_module_import(mpdta, sa):
    # the module shares the function's name; both spellings must estimate the same thing
    import sosek_impact.estimators as est
    import sosek_impact.estimators.sun_abraham as module  # binds the package attribute to the module

    assert callable(est.sun_abraham) and callable(module)
    res = est.sun_abraham(mpdta, **KW)
    np.testing.assert_allclose(res.cohort_table["att"], sa.cohort_table["att"], atol=0)
