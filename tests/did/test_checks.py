"""Typed errors of the shared panel input checks (sosek_impact.estimators._checks).

Reference: the mpdta panel (tests/did/reference/mpdta.csv) is balanced, has groups 2004/2006/2007
and 309 never-treated counties (counted from the file), so it passes; each test breaks one thing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import (
    GroupColumnError,
    SchemaError,
    SmallGroupError,
    TreatedInFirstPeriodError,
    UnbalancedPanelError,
)
from sosek_impact.estimators._checks import MissingValueError, check_panel

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv")


def run(df: pd.DataFrame, **kw) -> None:
    args = dict(y="lemp", unit="countyreal", time="year", group="first.treat")
    args.update(kw)
    check_panel(df, **args)


def test_clean_panel_passes(mpdta):
    run(mpdta, covariates=["lpop"], need_never_treated=True)


def test_missing_column(mpdta):
    with pytest.raises(SchemaError, match="nope"):
        run(mpdta, y="nope")


def test_missing_outcome_names_row(mpdta):
    df = mpdta.copy()
    df.loc[17, "lemp"] = np.nan
    with pytest.raises(MissingValueError, match=r"'lemp'.*17"):
        run(df)
    with pytest.raises(UnbalancedPanelError):  # MissingValueError is an UnbalancedPanelError
        run(df)


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
    with pytest.raises(TreatedInFirstPeriodError, match="anticipation"):
        run(mpdta, anticipation=1)


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
