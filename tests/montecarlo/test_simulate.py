"""Tests of the staggered-panel simulator (:mod:`sosek_impact.simulate`).

References are hand computations from the documented DGP formulas (stated next to each
number) and linearmodels' ``PanelOLS`` for the two-way fixed-effects estimand. Moment checks
use tolerances of about five standard errors of the sample moment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.panel import PanelOLS

from sosek_impact.simulate import (
    default_cohorts,
    simulate_staggered_panel,
    true_aggregate,
    true_att_gt,
    true_simple_att,
    twfe_estimand,
)

COHORTS = {2010: 3, 2015: 5}


def test_same_seed_same_panel_and_different_seed_differs():
    a = simulate_staggered_panel(seed=11)
    b = simulate_staggered_panel(seed=11)
    c = simulate_staggered_panel(seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["y"], c["y"])


def test_layout_and_treatment_are_consistent():
    d = simulate_staggered_panel(n_units=60, n_periods=25, cohorts=COHORTS, covariates=2, seed=3)
    assert list(d.columns) == ["unit", "time", "y", "group", "treat", "true_effect", "x1", "x2"]
    assert len(d) == 60 * 25
    assert d.groupby("unit").size().eq(25).all()
    assert d["time"].min() == 2000 and d["time"].max() == 2024
    sizes = d.groupby("unit")["group"].first().value_counts().to_dict()
    assert sizes == {0: 52, 2010: 3, 2015: 5}
    expected_treat = ((d["group"] > 0) & (d["time"] >= d["group"])).astype(int)
    assert (d["treat"] == expected_treat).all()
    assert (d.loc[d["treat"] == 0, "true_effect"] == 0).all()
    # covariates are time-invariant within a unit
    assert d.groupby("unit")[["x1", "x2"]].nunique().eq(1).all().all()


def test_default_cohorts_spread_eight_units_over_four_waves():
    c = default_cohorts(8, np.arange(2000, 2025))
    assert sum(c.values()) == 8 and len(c) == 4
    assert min(c) > 2000 and max(c) < 2024


def test_without_noise_or_fixed_effects_outcome_is_the_effect():
    d = simulate_staggered_panel(cohorts=COHORTS, sigma=0.0, unit_fe_sd=0.0, time_fe_sd=0.0, seed=5)
    np.testing.assert_allclose(d["y"], d["true_effect"], atol=1e-12)


def test_heterogeneous_effects_match_the_documented_formula():
    # tau(g, t) = w_g (1 + 0.1 (t - g)), w = 1.5 for the first cohort, 0.5 for the last (two cohorts)
    d = simulate_staggered_panel(cohorts=COHORTS, seed=5)
    cells = true_att_gt(d).set_index(["group", "time"])["att"]
    assert cells[(2010, 2012)] == pytest.approx(1.5 * 1.2, abs=1e-12)
    assert cells[(2015, 2015)] == pytest.approx(0.5, abs=1e-12)
    assert cells[(2015, 2014)] == 0.0
    # simple ATT by hand: cohort 2010, e = 0..14, mean 1.5 * 1.7 = 2.55 on 45 cells;
    # cohort 2015, e = 0..9, mean 0.5 * 1.45 = 0.725 on 50 cells -> 151 / 95
    assert true_simple_att(d) == pytest.approx(151 / 95, abs=1e-12)
    assert d.attrs["true_att"] == pytest.approx(151 / 95, abs=1e-12)


def test_true_aggregates_by_hand():
    d = simulate_staggered_panel(cohorts=COHORTS, seed=5)
    grp = true_aggregate(d, "group").set_index("egt")["att"]
    assert grp[2010] == pytest.approx(2.55) and grp[2015] == pytest.approx(0.725)
    dyn = true_aggregate(d, "dynamic").set_index("egt")["att"]
    assert dyn[0] == pytest.approx((3 * 1.5 + 5 * 0.5) / 8)  # both cohorts at e = 0
    assert dyn[10] == pytest.approx(1.5 * 2.0)  # only the 2010 cohort is observed at e = 10
    assert dyn[-3] == 0.0
    # overall: mean over e = 0..14 only; e = 0..9 both cohorts, 0.875 (1 + 0.1 e); e = 10..14 the 2010 one
    by_hand = (0.875 * sum(1 + 0.1 * e for e in range(10)) + 1.5 * sum(1 + 0.1 * e for e in range(10, 15))) / 15
    assert true_aggregate(d, "dynamic").attrs["overall_att"] == pytest.approx(by_hand)
    cal = true_aggregate(d, "calendar").set_index("egt")["att"]
    assert cal[2016] == pytest.approx((3 * 1.5 * 1.6 + 5 * 0.5 * 1.1) / 8)
    assert true_aggregate(d, "group").attrs["overall_att"] == pytest.approx((3 * 2.55 + 5 * 0.725) / 8)


@pytest.mark.parametrize("effect", ["constant", "heterogeneous"])
def test_twfe_estimand_equals_panelols_on_the_effect(effect):
    d = simulate_staggered_panel(effect=effect, seed=2)
    # TWFE of tau*D on D with unit and time effects: the expectation of the TWFE coefficient
    p = d.assign(td=d["true_effect"] * d["treat"]).set_index(["unit", "time"])
    ref = PanelOLS(p["td"], p[["treat"]], entity_effects=True, time_effects=True).fit().params["treat"]
    assert twfe_estimand(d) == pytest.approx(ref, abs=1e-10)
    if effect == "constant":
        assert twfe_estimand(d) == pytest.approx(1.0, abs=1e-10)
    else:
        # TWFE is biased under heterogeneous, growing effects: its estimand is below the simple ATT
        assert true_simple_att(d) - twfe_estimand(d) > 0.2


def test_error_is_stationary_ar1_with_marginal_sd_sigma():
    n, T, rho, sigma = 4000, 25, 0.5, 2.0
    d = simulate_staggered_panel(
        n_units=n, n_periods=T, cohorts={}, rho=rho, sigma=sigma, unit_fe_sd=0.0, time_fe_sd=0.0, seed=9
    )
    e = d["y"].to_numpy().reshape(n, T)
    # 100k correlated draws: sd of the sample sd ~ 0.01; tolerance 0.05 (5 se)
    assert e.std() == pytest.approx(sigma, abs=0.05)
    # first and last period have the same marginal sd (stationary start); se ~ 2 / sqrt(8000) = 0.022
    assert e[:, 0].std() == pytest.approx(sigma, abs=0.11)
    assert e[:, -1].std() == pytest.approx(sigma, abs=0.11)
    lag = np.corrcoef(e[:, 1:].ravel(), e[:, :-1].ravel())[0, 1]
    assert lag == pytest.approx(rho, abs=0.015)  # se ~ sqrt((1 - rho^2) / 96000) = 0.003


def test_fixed_effects_have_their_standard_deviations():
    d = simulate_staggered_panel(
        n_units=3000, n_periods=400, cohorts={}, sigma=0.0, unit_fe_sd=2.0, time_fe_sd=0.5, seed=4
    )
    y = d["y"].to_numpy().reshape(3000, 400)
    # without noise, unit means minus grand mean are the unit effects (+ mean of time effects)
    assert y.mean(axis=1).std() == pytest.approx(2.0, abs=0.15)  # se ~ 2 / sqrt(6000)
    assert y.mean(axis=0).std() == pytest.approx(0.5, abs=0.1)  # se ~ 0.5 / sqrt(800)


def test_covariate_moves_trend_and_selection_shifts_treated():
    d = simulate_staggered_panel(
        n_units=2000, cohorts={2010: 1000}, covariates=1, covariate_trend=1.0, covariate_shift=1.0,
        effect="constant", sigma=0.0, unit_fe_sd=0.0, time_fe_sd=0.0, seed=8,
    )
    first = d[d["time"] == 2000].set_index("unit")
    last = d[d["time"] == 2024].set_index("unit")
    change = last["y"] - first["y"] - last["true_effect"]
    np.testing.assert_allclose(change, first["x1"], atol=1e-12)  # s runs from 0 to 1
    gap = first.groupby(first["group"] > 0)["x1"].mean()
    assert gap[True] - gap[False] == pytest.approx(1.0, abs=0.15)  # se ~ sqrt(2 / 1000) = 0.045


@pytest.mark.parametrize(
    "kwargs",
    [{"rho": 1.0}, {"cohorts": {2000: 2}}, {"cohorts": {2030: 2}}, {"cohorts": {2010: 61}}, {"sigma": -1.0},
     {"effect": "quadratic"}],
)
def test_bad_designs_are_rejected(kwargs):
    with pytest.raises(ValueError):
        simulate_staggered_panel(**kwargs)
