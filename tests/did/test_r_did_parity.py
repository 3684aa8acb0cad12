"""R `did` parity on degenerate panels, and the shared input rules of the staggered estimators.

References:
- R ``did``'s pre-processing (``pre_process_did``) drops units treated in or before the first period
  (``gname <= first.period + anticipation``) with the warning "Dropped N units that were already
  treated in the first period", and estimates every remaining cell exactly as on the panel without
  them. The independent reference is therefore ``att_gt`` on the same panel with those units removed
  by hand: the same cells, ATT and SE must agree to 1e-12 (the arithmetic is identical, so only
  round-off differs).
- Groups after the last period: a unit first treated after the sample ends is untreated in every
  period, so every estimator must give exactly what it gives with that unit coded never treated
  (0) by hand, to 1e-12.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import GroupColumnError, SchemaError, TreatedInFirstPeriodError
from sosek_impact.estimators import att_gt, event_study
from sosek_impact.estimators.sun_abraham import sun_abraham
from sosek_impact.simulate import simulate_staggered_panel

KW = dict(y="lemp", unit="countyreal", time="year", group="first.treat")


def _with_early(mpdta: pd.DataFrame, n: int, value: int) -> tuple[pd.DataFrame, list[int]]:
    """mpdta with the first ``n`` never-treated counties recoded as first treated in ``value``."""
    never = mpdta.loc[mpdta["first.treat"] == 0, "countyreal"].unique()[:n]
    df = mpdta.copy()
    df.loc[df["countyreal"].isin(never), "first.treat"] = value
    return df, [int(u) for u in never]


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("method", ["dr", "reg"])
def test_early_treated_units_dropped_as_r_did(mpdta, control, method):
    df, early = _with_early(mpdta, 3, 2003)
    with pytest.warns(UserWarning, match=rf"Dropped 3 unit\(s\) that were already treated in the first period 2003: "
                                         rf"countyreal {early[0]}, {early[1]}, {early[2]}") as rec:
        res = att_gt(df, **KW, control=control, method=method, covariates=["lpop"])
    assert sum("Dropped" in str(w.message) for w in rec) == 1
    by_hand = att_gt(df[~df["countyreal"].isin(early)], **KW, control=control, method=method, covariates=["lpop"])
    pd.testing.assert_frame_equal(res.table, by_hand.table, rtol=0, atol=1e-12)
    assert res.n_units == by_hand.n_units == 500 - 3
    np.testing.assert_allclose(res.aggregate("dynamic").table["std_error"], by_hand.aggregate("dynamic").table["std_error"], rtol=0, atol=1e-12)
    with pytest.raises(TreatedInFirstPeriodError, match=rf"3 unit\(s\).*{early[0]}"):
        att_gt(df, **KW, control=control, method=method, strict=True)


def test_early_treated_with_anticipation_drops_the_first_cohort(mpdta):
    """With anticipation = 1 the 2004 cohort's base period would be 2002, outside the panel:
    R did drops it (gname <= first.period + anticipation); so does att_gt, naming all 20."""
    with pytest.warns(UserWarning, match=r"Dropped 20 unit\(s\).*\(accounting for anticipation = 1\)"):
        res = att_gt(mpdta, **KW, anticipation=1)
    by_hand = att_gt(mpdta[mpdta["first.treat"] != 2004], **KW, anticipation=1)
    pd.testing.assert_frame_equal(res.table, by_hand.table, rtol=0, atol=1e-12)
    assert 2004 not in set(res.table["group"])


def test_single_unit_cohort_warns_and_points_to_few_treated_inference():
    d = simulate_staggered_panel(n_units=30, n_periods=8, cohorts={2003: 1, 2005: 3}, seed=4)
    one = int(d.loc[d["group"] == 2003, "unit"].iloc[0])
    with pytest.warns(UserWarning, match=rf"1 cohort\(s\) have a single treated unit \(group 2003; unit {one}\).*"
                                         r"only the comparison units' variation.*few_treated_inference"):
        att_gt(d, y="y", unit="unit", time="time", group="group")
    with warnings.catch_warnings():  # no warning when every cohort has two or more units
        warnings.simplefilter("error")
        att_gt(d[d["group"] != 2003], y="y", unit="unit", time="time", group="group")


def test_singular_pretest_says_why_and_what_instead():
    """Five units and six pre-treatment cells: the covariance of the pre-cells has rank at most
    4 (influence functions of 5 units, centred), so the Wald pre-test cannot be formed."""
    d = simulate_staggered_panel(n_units=5, n_periods=8, cohorts={2007: 2}, seed=1)
    with pytest.warns(UserWarning, match=r"singular \(rank \d < 6\) because there are 6 pre-treatment ATT\(g,t\) but "
                                         r"only 5 units/clusters.*aggregate\('dynamic'\).*randomisation inference"):
        res = att_gt(d, y="y", unit="unit", time="time", group="group")
    assert res.pretest.W is None and res.pretest.df == 6 and "rank" in res.pretest.note


def test_singular_pretest_from_collinear_single_unit_cohorts():
    """Two single-unit cohorts (2005, 2006) against the same never-treated units: a lone treated
    unit's influence function is zero (its outcome change minus its own mean), so the pre-cells of
    the two cohorts in the same period have identical influence functions and equal SEs."""
    d = simulate_staggered_panel(n_units=30, n_periods=8, cohorts={2002: 2, 2003: 2, 2005: 1, 2006: 1}, seed=2)
    with pytest.warns(UserWarning, match=r"singular \(rank \d+ < 12\) because \d+ of the 12 pre-treatment ATT\(g,t\) "
                                         r"are exact linear combinations.*cohorts of a single unit"):
        res = att_gt(d, y="y", unit="unit", time="time", group="group")
    t = res.table.set_index(["group", "time"])
    assert t.loc[(2005, 2001), "se"] == pytest.approx(t.loc[(2006, 2001), "se"], rel=1e-12)
    assert res.pretest.W is None and res.pretest.pvalue is None


def test_text_outcome_in_att_gt_is_a_schema_error_naming_column_and_cell():
    d = simulate_staggered_panel(n_units=12, n_periods=6, cohorts={2003: 4}, seed=2)
    d["y"] = d["y"].astype(object)
    d.loc[d.index[9], "y"] = "Sambas"
    u, t = int(d.loc[d.index[9], "unit"]), int(d.loc[d.index[9], "time"])
    with pytest.raises(SchemaError, match=rf"column 'y' must be numeric.*'Sambas' at \(unit, time\) = \({u}, {t}\)"):
        att_gt(d, y="y", unit="unit", time="time", group="group")


# --- one rule for groups after the last period, the same panel through every estimator ----------

@pytest.fixture(scope="module")
def late_panel():
    """Cohorts 2004 and 2006 inside the sample, 3 units with group 2012 after the last period 2009."""
    by_hand = simulate_staggered_panel(n_units=24, n_periods=10, cohorts={2004: 4, 2006: 4}, seed=7)
    assert by_hand["time"].max() == 2009
    late_units = by_hand.loc[by_hand["group"] == 0, "unit"].unique()[:3]  # untreated outcomes throughout
    d = by_hand.assign(group=by_hand["group"].where(~by_hand["unit"].isin(late_units), 2012))
    return d, by_hand


LATE = r"3 unit\(s\) first treated after the last period 2009 \(group 2012; unit .*\) are untreated in the sample"
ARGS = dict(y="y", unit="unit", time="time", group="group")


def test_late_groups_att_gt(late_panel):
    d, by_hand = late_panel
    with pytest.warns(UserWarning, match=LATE):
        res = att_gt(d, **ARGS, control="not_yet")
    pd.testing.assert_frame_equal(res.table, att_gt(by_hand, **ARGS, control="not_yet").table, rtol=0, atol=1e-12)
    with pytest.raises(GroupColumnError, match="anticipation 1"):
        att_gt(d, **ARGS, anticipation=1)


def test_late_groups_sun_abraham(late_panel):
    d, by_hand = late_panel
    with pytest.warns(UserWarning, match=LATE):
        res = sun_abraham(d, **ARGS)
    ref = sun_abraham(by_hand, **ARGS)
    pd.testing.assert_frame_equal(res.cohort_table, ref.cohort_table, rtol=0, atol=1e-12)


def test_late_groups_event_study(late_panel):
    """event_study used to refuse a group after the last period (GroupColumnError); now the same rule."""
    d, by_hand = late_panel
    with pytest.warns(UserWarning, match=LATE):
        res = event_study(d, **ARGS)
    ref = event_study(by_hand, **ARGS)
    pd.testing.assert_series_equal(res.params, ref.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.cov.to_numpy(), ref.cov.to_numpy(), rtol=0, atol=1e-12)
