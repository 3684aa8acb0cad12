"""The one error surface in the entry points edited at merge: few_treated*, synthetic_*, honest_did.

Same checks as ``test_error_surface.py`` (one option error, one duplicate-rows error, text periods
refused), and the late-group warning of ``few_treated_inference`` issued once.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import DuplicateRowsError, InvalidOptionError, PeriodTypeError
from sosek_impact.estimators import synthetic_control, synthetic_did
from sosek_impact.inference import few_treated_inference, honest_did
from sosek_impact.simulate import simulate_staggered_panel

ARGS = dict(y="y", unit="unit", time="time")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = simulate_staggered_panel(n_units=24, n_periods=8, n_treated=12, cohorts={2004: 6, 2006: 6}, seed=3)
    d["treat"] = ((d["group"] > 0) & (d["time"] >= d["group"])).astype(int)
    return d


def _with_duplicate(d: pd.DataFrame) -> pd.DataFrame:
    row = d[(d.unit == d.unit.iloc[0]) & (d.time == 2003)]
    return pd.concat([d, row], ignore_index=True)

MERGED_OPTIONS = [
    (lambda d: few_treated_inference(d, **ARGS, group="group", estimator="csdid"), "estimator", "cs"),
    (lambda d: few_treated_inference(d, **ARGS, group="group", method="ri"), "method", None),
    (lambda d: synthetic_control(d, **ARGS, treated_unit=1, treatment_time=2005, placebo_v="refitt"), "placebo_v", "refit"),
    (lambda d: synthetic_did(d, **ARGS, treat="treat", se="jacknife"), "se", "jackknife"),
    (lambda d: honest_did([0.1, 0.2], np.eye(2), num_pre=1, num_post=1, method="smoothnes"), "method", "smoothness"),
]


@pytest.mark.parametrize("call, argument, suggestion", MERGED_OPTIONS)
def test_merged_entry_points_options(panel, call, argument, suggestion):
    with pytest.raises(InvalidOptionError) as e:
        call(panel)
    assert (e.value.argument, e.value.suggestion) == (argument, suggestion)


@pytest.mark.parametrize("call", [
    lambda d: synthetic_control(d, **ARGS, treated_unit=1, treatment_time=2005),
    lambda d: synthetic_did(d, **ARGS, treat="treat"),
    lambda d: few_treated_inference(d, **ARGS, group="group"),
])
def test_merged_entry_points_duplicates_and_text_periods(panel, call):
    with pytest.raises(DuplicateRowsError, match="unit=1, time=2003"):
        call(_with_duplicate(panel))
    with pytest.raises(PeriodTypeError, match="time column 'time'"):
        call(panel.assign(time=panel["time"].astype(str)))


def test_few_treated_late_group_warning_is_issued_once(panel):
    d = panel.assign(group=panel["group"].where(panel["group"] != 2006, 2030))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        few_treated_inference(d, **ARGS, group="group", n_draws=49)
    late = [w for w in caught if "after the last period" in str(w.message)]
    assert len(late) == 1, [str(w.message) for w in late]
