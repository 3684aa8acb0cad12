"""Typed errors of the shared panel input checks (sosek_impact.estimators._checks).

Reference: the mpdta panel (tests/did/reference/mpdta.csv) is balanced, has groups 2004/2006/2007
and 309 never-treated counties (counted from the file), so it passes; each test breaks one thing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import warnings

from sosek_impact.errors import (
    EstimationError,
    GroupColumnError,
    MissingValueError,
    SchemaError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
    ValueRangeError,
)
from sosek_impact.estimators._checks import check_panel, check_treatment_dummy

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv")


def run(df: pd.DataFrame, **kw) -> pd.DataFrame:
    args = dict(y="lemp", unit="countyreal", time="year", group="first.treat")
    args.update(kw)
    return check_panel(df, **args)


def test_clean_panel_passes(mpdta):
    """A clean panel passes without a warning and comes back unchanged (the same object)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run(mpdta, covariates=["lpop"], need_never_treated=True, allow_after_last=True, early_treated="drop")
    assert out is mpdta
    assert out["first.treat"].value_counts().to_dict() == {0: 1545, 2007: 655, 2006: 200, 2004: 100}


def test_missing_value_error_moved_to_errors_and_old_path_works():
    from sosek_impact.estimators import _checks

    assert _checks.MissingValueError is MissingValueError
    assert issubclass(MissingValueError, UnbalancedPanelError)


def test_missing_column(mpdta):
    with pytest.raises(SchemaError, match="nope"):
        run(mpdta, y="nope")


def test_missing_outcome_names_unit_and_period(mpdta):
    df = mpdta.copy().set_index(pd.Index(np.arange(len(mpdta)) + 1000))  # row labels unlike positions
    df.iloc[17, df.columns.get_loc("lemp")] = np.nan
    u, t = int(mpdta.loc[17, "countyreal"]), int(mpdta.loc[17, "year"])
    with pytest.raises(MissingValueError, match=rf"'lemp' has 1 missing.*\(countyreal, year\) = \({u}, {t}\)") as exc:
        run(df)
    assert (exc.value.column, exc.value.unit, exc.value.period) == ("lemp", u, t)
    assert "1017" not in str(exc.value) and "np." not in str(exc.value)
    with pytest.raises(UnbalancedPanelError):  # MissingValueError is an UnbalancedPanelError
        run(df)


def test_text_outcome_is_a_schema_error_naming_column_and_cell(mpdta):
    df = mpdta.astype({"lemp": object})
    df.loc[7, "lemp"] = "Sambas"
    u, t = int(mpdta.loc[7, "countyreal"]), int(mpdta.loc[7, "year"])
    with pytest.raises(SchemaError, match=rf"'lemp' must be numeric.*'Sambas' at \(countyreal, year\) = \({u}, {t}\)"):
        run(df)
    # numbers stored as text are refused too, not converted silently
    with pytest.raises(SchemaError, match="pd.to_numeric"):
        run(mpdta.assign(lemp=mpdta["lemp"].astype(str)))


def test_unbalanced(mpdta):
    df = mpdta.drop(index=3)
    unit = mpdta.loc[3, "countyreal"]
    with pytest.raises(UnbalancedPanelError, match=rf"{unit}.*{mpdta.loc[3, 'year']}"):
        run(df)


def test_duplicate_rows(mpdta):
    df = pd.concat([mpdta, mpdta.iloc[[5]]])
    with pytest.raises(UnbalancedPanelError, match="share"):
        run(df)


def test_group_not_a_period(mpdta):
    df = mpdta.copy()
    df.loc[df["first.treat"] == 2006, "first.treat"] = 2010
    with pytest.raises(GroupColumnError, match="2010"):
        run(df)


def test_group_is_a_dummy(mpdta):
    with pytest.raises(GroupColumnError, match="not periods"):
        run(mpdta, group="treat")


def test_group_varies_within_unit(mpdta):
    df = mpdta.copy()
    df.loc[0, "first.treat"] = 2006
    with pytest.raises(GroupColumnError, match="constant"):
        run(df)


def test_treated_in_first_period(mpdta):
    df = mpdta.copy()
    u = df["countyreal"].iloc[0]
    df.loc[df["countyreal"] == u, "first.treat"] = 2003
    with pytest.raises(TreatedInFirstPeriodError, match=str(u)):
        run(df)
    # anticipation of one period makes the 2004 cohort lose its pre-period too
    with pytest.raises(TreatedInFirstPeriodError, match="anticipation = 1"):
        run(mpdta, anticipation=1)


def test_early_treated_dropped_with_warning_naming_them(mpdta):
    df = mpdta.copy()
    units = [int(u) for u in df["countyreal"].unique()[:2]]
    df.loc[df["countyreal"].isin(units), "first.treat"] = 2003
    with pytest.warns(UserWarning, match=rf"Dropped 2 unit\(s\) that were already treated in the first period 2003: "
                                         rf"countyreal {units[0]}, {units[1]}"):
        out = run(df, early_treated="drop")
    assert len(out) == len(df) - 10 and not out["countyreal"].isin(units).any()
    pd.testing.assert_frame_equal(out, df[~df["countyreal"].isin(units)])
    # anticipation 1: the 2004 cohort (20 counties) is dropped too
    with pytest.warns(UserWarning, match=r"Dropped 20 unit\(s\).*accounting for anticipation = 1"):
        out = run(mpdta, anticipation=1, early_treated="drop")
    assert sorted(out["first.treat"].unique()) == [0, 2006, 2007]


def test_late_groups_count_as_never_treated(mpdta):
    late = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(2007, 2010)})
    with pytest.raises(GroupColumnError, match="2010"):
        run(late)
    with pytest.warns(UserWarning, match=r"131 unit\(s\) first treated after the last period 2007 \(first.treat 2010"):
        out = run(late, allow_after_last=True)
    assert (out["first.treat"] == 0).sum() == 1545 + 655
    with pytest.raises(GroupColumnError, match="anticipation 1"):
        run(late, allow_after_last=True, anticipation=1, early_treated="drop")


def test_treatment_dummy_checks(mpdta):
    kw = dict(unit="countyreal", time="year")
    check_treatment_dummy(mpdta.assign(d=(mpdta["year"] >= mpdta["first.treat"]) & (mpdta["first.treat"] > 0)).astype({"d": int}), "d", **kw)
    with pytest.raises(EstimationError, match="no treated observation.*'d' is 0 in all 2500 rows"):
        check_treatment_dummy(mpdta.assign(d=0), "d", **kw)
    with pytest.raises(EstimationError, match="no untreated observation"):
        check_treatment_dummy(mpdta.assign(d=1), "d", **kw)
    with pytest.raises(ValueRangeError, match=r"0 or 1.*2 at \(countyreal, year\) = \(8001, 2003\)"):
        check_treatment_dummy(mpdta.assign(d=np.where(mpdta.index == 0, 2, 0)), "d", **kw)


def test_small_groups(mpdta):
    with pytest.raises(SmallGroupError, match="2004"):
        run(mpdta, min_group_size=25)  # the 2004 cohort has 20 counties in mpdta
    df = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(SmallGroupError, match="never-treated"):
        run(df, need_never_treated=True)


def test_text_group_column_and_infinite_outcome_get_typed_errors():
    """A group column of numeric strings and an infinite outcome (log of zero) are named, not a
    traceback from inside pandas or NaN effects."""
    from sosek_impact.errors import GroupColumnError
    from sosek_impact.estimators._checks import MissingValueError
    from sosek_impact.estimators import att_gt
    from sosek_impact.simulate import simulate_staggered_panel

    d = simulate_staggered_panel(n_units=20, n_periods=8, n_treated=6, cohorts={2004: 6}, seed=2)
    with pytest.raises(GroupColumnError, match="convert it to numeric"):
        att_gt(d.assign(group=d["group"].astype(str)), y="y", unit="unit", time="time", group="group")
    bad = d.copy()
    bad.loc[bad.index[4], "y"] = -np.inf
    with pytest.raises(MissingValueError, match="infinite"):
        att_gt(bad, y="y", unit="unit", time="time", group="group")
