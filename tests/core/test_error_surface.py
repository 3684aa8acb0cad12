"""One error surface across the estimators: bad options, duplicated (unit, period) rows, text periods.

Each entry point is called on the same small simulated panel with one thing wrong; the error must
be the one typed class, with the one message format (argument and choices named, the first
repeated pair named, the time column named). Also: ``MissingAdoptionWarning`` of
``map_treatment_timing`` and ``TWFEResults.plot()``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import (
    DuplicateKeyError,
    DuplicateRowsError,
    EstimationError,
    InputError,
    InvalidOptionError,
    MissingAdoptionWarning,
    PeriodTypeError,
    UnbalancedPanelError,
)
from sosek_impact.estimators import att_gt, did_imputation, event_study, sun_abraham, twfe
from sosek_impact.estimators._checks import check_choice, check_panel
from sosek_impact.inference.conley_taber import conley_taber
from sosek_impact.inference.randomization import randomization_inference
from sosek_impact.inference.wild_bootstrap import wild_cluster_bootstrap
from sosek_impact.inference.wild_did import wild_bootstrap_did
from sosek_impact.registry.adoption import map_treatment_timing
from sosek_impact.simulate import simulate_staggered_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d = simulate_staggered_panel(n_units=24, n_periods=8, n_treated=12, cohorts={2004: 6, 2006: 6}, seed=3)
    d["treat"] = ((d["group"] > 0) & (d["time"] >= d["group"])).astype(int)
    return d


ARGS = dict(y="y", unit="unit", time="time")


def test_check_choice_message_lists_choices_and_suggests():
    with pytest.raises(InvalidOptionError) as e:
        check_choice("control", "notyet", ("never", "not_yet"))
    assert str(e.value) == "control must be one of 'never', 'not_yet'; got 'notyet' (did you mean 'not_yet'?)"
    assert (e.value.argument, e.value.value, e.value.suggestion) == ("control", "notyet", "not_yet")
    assert isinstance(e.value, ValueError) and isinstance(e.value, EstimationError) and isinstance(e.value, InputError)
    assert e.value.column == "control" and e.value.choices == ("never", "not_yet")
    with pytest.raises(InvalidOptionError) as e:
        check_choice("method", "xyz", ("dr", "ipw", "reg"))
    assert e.value.suggestion is None and "did you mean" not in str(e.value)
    check_choice("method", "dr", ("dr", "ipw", "reg"))  # a valid value passes
    with pytest.raises(InvalidOptionError, match=r"did you mean 'cs'\?"):
        check_choice("estimator", "csdid", ("cs", "sa", "imputation"))  # a choice that begins the value
    with pytest.raises(InvalidOptionError):
        check_choice("flag", True, (1, 0))  # True is not the option 1


BAD_OPTIONS = [
    ("att_gt control", lambda d: att_gt(d, **ARGS, group="group", control="notyet"), "control", "not_yet"),
    ("att_gt method", lambda d: att_gt(d, **ARGS, group="group", method="DR"), "method", "dr"),
    ("att_gt base_period", lambda d: att_gt(d, **ARGS, group="group", base_period="vary"), "base_period", "varying"),
    ("aggregate kind", lambda d: att_gt(d, **ARGS, group="group").aggregate("dynamics"), "kind", "dynamic"),
    ("sun_abraham control", lambda d: sun_abraham(d, **ARGS, group="group", control="nevr"), "control", "never"),
    ("did_imputation control", lambda d: did_imputation(d, **ARGS, group="group", control="notyet"), "control", "not_yet"),
    ("twfe backend", lambda d: twfe(d, **ARGS, treat="treat", backend="panelol"), "backend", "panelols"),
    ("event_study backend", lambda d: event_study(d, **ARGS, group="group", backend="whithin"), "backend", "within"),
    ("randomization alternative", lambda d: randomization_inference(d, **ARGS, group="group", alternative="two_sided"),
     "alternative", "two-sided"),
    ("randomization estimator", lambda d: randomization_inference(d, **ARGS, group="group", estimator="twfee"),
     "estimator", "twfe"),
    ("wild_did estimator", lambda d: wild_bootstrap_did(d, **ARGS, group="group", estimator="sun_abraham"),
     "estimator", None),
    ("wild_cluster_bootstrap weights", lambda d: wild_cluster_bootstrap(
        d, y="y", x=["treat"], fe=["unit", "time"], param="treat", cluster="unit", weights_type="web"),
     "weights_type", "webb"),
    ("check_panel early_treated", lambda d: check_panel(d, **ARGS, group="group", early_treated="dorp"),
     "early_treated", "drop"),
]


@pytest.mark.parametrize("case, call, argument, suggestion", BAD_OPTIONS, ids=[c[0] for c in BAD_OPTIONS])
def test_bad_option_values_raise_invalid_option_error(panel, case, call, argument, suggestion):
    with pytest.raises(InvalidOptionError) as e:
        call(panel)
    assert e.value.argument == argument and e.value.suggestion == suggestion
    assert str(e.value).startswith(f"{argument} must be one of ")


def _with_duplicate(d: pd.DataFrame) -> pd.DataFrame:
    row = d[(d.unit == d.unit.iloc[0]) & (d.time == 2003)]
    return pd.concat([d, row], ignore_index=True)


DUPLICATE_CALLS = [
    ("att_gt", lambda d: att_gt(d, **ARGS, group="group")),
    ("sun_abraham", lambda d: sun_abraham(d, **ARGS, group="group")),
    ("did_imputation", lambda d: did_imputation(d, **ARGS, group="group")),
    ("event_study", lambda d: event_study(d, **ARGS, group="group")),
    ("twfe", lambda d: twfe(d, **ARGS, treat="treat")),
    ("conley_taber", lambda d: conley_taber(d, **ARGS, treat="treat")),
]


@pytest.mark.parametrize("name, call", DUPLICATE_CALLS, ids=[c[0] for c in DUPLICATE_CALLS])
def test_duplicated_pairs_raise_one_error_with_one_message(panel, name, call):
    d = _with_duplicate(panel)
    u = int(d.unit.iloc[0])
    with pytest.raises(DuplicateRowsError) as e:
        call(d)
    assert str(e.value) == ("duplicated (unit, period) rows: 2 rows share a ('unit', 'time') pair; the first "
                            f"repeated is unit={u!r}, time=2003; keep one row per unit and period")
    assert (e.value.column, e.value.value) == ("unit", (u, 2003))
    assert (e.value.unit, e.value.period, e.value.n_rows) == (u, 2003, 2)
    # one class that is each of the three the estimators raised before
    assert isinstance(e.value, UnbalancedPanelError) and isinstance(e.value, DuplicateKeyError)
    assert isinstance(e.value, InputError) and isinstance(e.value, EstimationError)


TEXT_PERIOD_CALLS = DUPLICATE_CALLS + [
    ("randomization_inference", lambda d: randomization_inference(d, **ARGS, group="group")),
    ("wild_bootstrap_did", lambda d: wild_bootstrap_did(d, **ARGS, group="group")),
]


@pytest.mark.parametrize("name, call", TEXT_PERIOD_CALLS, ids=[c[0] for c in TEXT_PERIOD_CALLS])
def test_text_periods_are_refused(panel, name, call):
    d = panel.assign(time=panel["time"].astype(str))
    with pytest.raises(PeriodTypeError, match=r"time column 'time' must hold numeric periods .*'2000'.*pd.to_numeric"):
        call(d)


def test_map_treatment_timing_warns_once_naming_the_units():
    panel = pd.DataFrame({"bps_code": [6105, 6105, 6107, 6107, 6171, 6171, 9999, 9999],
                          "year": [2017, 2018] * 4})
    timing = pd.Series({6105: 2017, 6107: 0, 6171: 0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = map_treatment_timing(panel, timing, marked=[6105, 6107])
    mine = [w for w in caught if issubclass(w.category, MissingAdoptionWarning)]
    assert len(mine) == 1 and len(caught) == 1
    msg = str(mine[0].message)
    assert "bps_code 6107)" in msg and "not in the timing at all (bps_code 9999)" in msg and "6171" not in msg
    assert out.iloc[[2, 3, 6, 7]].isna().all() and out.iloc[[0, 1, 4, 5]].tolist() == [2017.0, 2017.0, 0.0, 0.0]


def test_map_treatment_timing_is_silent_when_every_marked_unit_has_a_year():
    panel = pd.DataFrame({"bps_code": [6105, 6171], "year": [2017, 2017], "border": [True, False]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = map_treatment_timing(panel, pd.Series({6105: 2017, 6171: 0}), marked="border")
    assert out.tolist() == [2017.0, 0.0]


def test_map_treatment_timing_default_marks_the_registry_border_regencies():
    # registry_border_regencies.csv lists Sintang (6107), which has no open post (timing 0)
    panel = pd.DataFrame({"bps_code": [6107, 6171], "year": [2017, 2017]})
    with pytest.warns(MissingAdoptionWarning, match="6107"):
        out = map_treatment_timing(panel, pd.Series({6107: 0, 6171: 0}))
    assert np.isnan(out.iloc[0]) and out.iloc[1] == 0.0


def test_twfe_plot_draws_each_coefficient_with_its_interval(panel):
    d = panel.assign(x=np.random.default_rng(0).normal(size=len(panel)))
    res = twfe(d, **ARGS, treat="treat", covariates=["x"])
    fig = res.plot(alpha=0.1)
    ax = fig.axes[0]
    # first term on top: tick labels run bottom-up as ["x", "treat"] at positions 0, 1... read off the positions
    labels = {t.get_text(): float(p) for t, p in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert labels == {"treat": 1.0, "x": 0.0}
    tidy = res.tidy(0.1)
    # the error bar segments run from conf_low to conf_high of each term
    segments = [c for c in ax.collections if hasattr(c, "get_segments")][0].get_segments()
    ends = sorted((round(float(s[0][0]), 10), round(float(s[1][0]), 10)) for s in segments)
    assert ends == sorted(zip(tidy.conf_low.round(10), tidy.conf_high.round(10)))
    assert "90% interval" in ax.get_legend().get_texts()[0].get_text()


def test_check_panel_refuses_text_periods_before_anything_else(panel):
    # without a group column (the TWFE path) and before the missing-value check: the time column is named
    d = panel.assign(time=panel["time"].astype(str))
    d.loc[3, "y"] = np.nan
    with pytest.raises(PeriodTypeError, match="time column 'time'"):
        check_panel(d, **ARGS)

