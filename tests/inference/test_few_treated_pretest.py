"""The few-treated joint lead test (placebo in time).

Independent references: the CS universal-base leads equal Sun–Abraham's pre-period coefficients
refitted by :func:`sun_abraham` (never-treated controls, 1e-10); the imputation leads equal an OLS
fitted here with numpy on dummies built by pandas from the untreated rows (1e-10). Behaviour with a
known truth (:mod:`mc_unequal_noise`): the test holds its level without a pre-trend and rejects a
planted linear one, under randomisation and Conley–Taber, with treated noise 3x the controls'.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.estimators import sun_abraham
from sosek_impact.inference.few_treated_pretest import few_treated_pretest
from sosek_impact.simulate import simulate_staggered_panel

COLS = ("y", "unit", "time", "group")


def _harness():
    spec = importlib.util.spec_from_file_location("mc_unequal_noise", Path(__file__).with_name("mc_unequal_noise.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


mc = _harness()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_staggered_panel(n_units=30, n_periods=10, cohorts={2005: 2, 2007: 3}, effect="constant", seed=12)


def test_cs_leads_equal_sun_abraham_pre_period_coefficients(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = few_treated_pretest(panel, *COLS, estimator="cs", leads=3)
        sa = sun_abraham(panel, y="y", unit="unit", time="time", group="group")
    assert list(r.terms) == ["e=-4", "e=-3", "e=-2"]
    ref = sa.table.set_index("rel_time").loc[[-4, -3, -2], "att"].to_numpy()
    np.testing.assert_allclose(r.estimate, ref, atol=1e-10)
    assert r.tidy()["event_time"].tolist() == [-4, -3, -2]
    assert "Joint test of 3 lead(s)" in r.summary()


def test_imputation_leads_equal_ols_on_untreated_rows(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = few_treated_pretest(panel, *COLS, estimator="imputation", leads=3)
    d = panel[(panel["group"] == 0) | (panel["time"] < panel["group"])].copy()
    e = np.where(d["group"] > 0, d["time"] - d["group"], 99)
    X = pd.concat([pd.get_dummies(d["unit"], prefix="u", dtype=float),
                   pd.get_dummies(d["time"], prefix="t", drop_first=True, dtype=float)], axis=1)
    for k in (3, 2, 1):
        X[f"lead{k}"] = (e == -k).astype(float)
    beta = np.linalg.lstsq(X.to_numpy(), d["y"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(r.estimate, beta[-3:], atol=1e-10)
    assert list(r.terms) == ["e=-3", "e=-2", "e=-1"]


def test_bad_leads_and_estimator_are_refused(panel):
    with pytest.raises(ValueError, match=r"leads must lie in 1\.\.4"):
        few_treated_pretest(panel, *COLS, leads=5)
    with pytest.raises(ValueError, match="estimator must be one of"):
        few_treated_pretest(panel, *COLS, estimator="sa")
    with pytest.raises(ValueError, match="scale must be one of"):
        few_treated_pretest(panel, *COLS, scale="bogus")


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["cs", "imputation"])
@pytest.mark.parametrize("method", ["randomization", "conley_taber"])
def test_level_without_pretrend_and_power_against_a_linear_one(estimator, method):
    """All 16 leads of the study shape. 150 panels with treated SD 3x the controls' and no trend: binomial SE of a 5 % rate
    is 1.8 %, so the rejection rate must lie below 0.10 (and scale='none' over-rejects there). 60
    panels with equal noise and a treated trend of 0.5 noise SD a year: rejected in at least 80 %."""
    level = mc.pretest_rejection("sd3", estimator, method, "pre_period", reps=150, n_draws=199)
    power = mc.pretest_rejection("equal", estimator, method, "pre_period", reps=60, trend=0.5, n_draws=199)
    plain = mc.pretest_rejection("sd3", estimator, method, "none", reps=60, n_draws=199)
    assert level < 0.10, level
    assert power >= 0.8, power
    assert plain > 0.2, plain
