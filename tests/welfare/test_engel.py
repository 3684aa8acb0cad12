"""Engel curve and income-equivalent welfare effect.

References: statsmodels OLS (independent implementation of the same regression and of the CR1
clustered covariance); Monte Carlo simulations with a known Engel slope beta and a known effect
delta on the food share, so the true income equivalent delta/beta (= -delta/abs(beta)) is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from sosek_impact.errors import EstimationError, InputError
from sosek_impact.welfare import engel_bootstrap, engel_curve, welfare_equivalent

BETA = -0.12  # food share falls 0.12 per log point of expenditure (plausible Working-Leser slope)
DELTA = -0.015  # a policy lowers the food share by 1.5 percentage points


def _province_panel(rng: np.random.Generator, n_prov: int = 34, years: range = range(2017, 2026)) -> pd.DataFrame:
    rows = []
    prov_level = rng.normal(0, 0.25, n_prov)
    prov_taste = rng.normal(0, 0.02, n_prov)
    for t, year in enumerate(years):
        for p in range(n_prov):
            ln_x = 13.8 + 0.05 * t + prov_level[p] + rng.normal(0, 0.05)
            share = 0.55 + BETA * (ln_x - 13.8) + prov_taste[p] - 0.004 * t + rng.normal(0, 0.01)
            rows.append({"province_code": p + 11, "year": year, "total_exp": np.exp(ln_x), "food_share": share})
    return pd.DataFrame(rows)


def test_engel_slope_matches_statsmodels_with_cluster_se():
    df = _province_panel(np.random.default_rng(1))
    ours = engel_curve(df, effects=("province_code", "year"), cluster="province_code")
    ref = smf.ols("food_share ~ np.log(total_exp) + C(province_code) + C(year)", data=df).fit(
        cov_type="cluster", cov_kwds={"groups": df["province_code"]}
    )
    # same estimator and same CR1 small-sample factor: agreement to rounding error
    assert ours.beta == pytest.approx(ref.params["np.log(total_exp)"], abs=1e-10)
    assert ours.se == pytest.approx(ref.bse["np.log(total_exp)"], rel=1e-8)
    assert ours.n_clusters == 34 and ours.nobs == len(df)


def test_engel_hc1_matches_statsmodels_and_recovers_beta():
    df = _province_panel(np.random.default_rng(2))
    ours = engel_curve(df, effects=("year",))
    ref = smf.ols("food_share ~ np.log(total_exp) + C(year)", data=df).fit(cov_type="HC1")
    assert ours.se == pytest.approx(ref.bse["np.log(total_exp)"], rel=1e-8)
    # the data are generated with beta = -0.12; with 306 rows the slope is within 4 SE of it
    assert abs(ours.beta - BETA) < 4 * ours.se


def test_missing_rows_are_dropped_not_filled():
    df = _province_panel(np.random.default_rng(3))
    df.loc[[0, 5], "food_share"] = np.nan
    assert engel_curve(df).nobs == len(df) - 2


def test_bad_input_is_refused():
    df = _province_panel(np.random.default_rng(4))
    df.loc[3, "food_share"] = 55.0  # a percent where a fraction is expected
    with pytest.raises(InputError) as err:
        engel_curve(df)
    assert err.value.column == "food_share"
    with pytest.raises(EstimationError):
        welfare_equivalent(-0.01, 0.0, se_delta=0.01, se_beta=0.01)


def test_delta_method_gradient_matches_numerical_derivative():
    d, b, sd, sb, cdb = -0.02, -0.1, 0.005, 0.02, 0.00003
    we = welfare_equivalent(d, b, se_delta=sd, se_beta=sb, cov_delta_beta=cdb)
    h = 1e-7
    g = np.array([((d + h) / b - d / b) / h, (d / (b + h) - d / b) / h])
    sigma = np.array([[sd**2, cdb], [cdb, sb**2]])
    assert we.se == pytest.approx(float(np.sqrt(g @ sigma @ g)), rel=1e-5)
    # a food share 2 pp higher with slope -0.1 is worth 0.2 log points LESS real income
    assert we.estimate == pytest.approx(0.2)
    assert welfare_equivalent(0.02, -0.1, se_delta=sd, se_beta=sb).estimate == pytest.approx(-0.2)


@pytest.mark.slow
def test_delta_method_coverage_in_simulation():
    """Independent samples for beta (Engel curve) and delta (treated vs control food shares).

    True income equivalent = DELTA/BETA = +0.125 (a lower food share is a gain). With 300 replications the Monte Carlo
    standard error of a 95 % coverage rate is sqrt(.95*.05/300) = 0.0126; we accept
    [0.92, 0.98] (about 2.4 MC standard errors; the delta method is only first-order exact).
    """
    rng = np.random.default_rng(20240601)
    truth = DELTA / BETA
    hits, estimates, ses = 0, [], []
    for _ in range(300):
        engel = engel_curve(_province_panel(rng), effects=("year",), cluster="province_code")
        treated = rng.normal(0.5 + DELTA, 0.03, 60)
        control = rng.normal(0.5, 0.03, 60)
        delta_hat = treated.mean() - control.mean()
        se_delta = np.sqrt(treated.var(ddof=1) / 60 + control.var(ddof=1) / 60)
        we = welfare_equivalent(delta_hat, engel.beta, se_delta=se_delta, se_beta=engel.se)
        hits += we.conf_low <= truth <= we.conf_high
        estimates.append(we.estimate)
        ses.append(we.se)
    coverage = hits / 300
    assert 0.92 <= coverage <= 0.98, coverage
    # the delta-method SE tracks the sampling spread of delta/beta (within 20 %)
    assert np.mean(ses) == pytest.approx(np.std(estimates, ddof=1), rel=0.2)
    assert np.mean(estimates) == pytest.approx(truth, abs=0.01)


def test_cluster_bootstrap_spread_matches_cr1_and_is_seeded():
    df = _province_panel(np.random.default_rng(5))
    engel = engel_curve(df, effects=("year",), cluster="province_code")
    draws = engel_bootstrap(df, effects=("year",), cluster="province_code", reps=400, seed=7)
    assert len(draws) >= 390
    # the cluster bootstrap SD of beta and the CR1 SE estimate the same spread (within 30 % at 34 clusters)
    assert np.std(draws, ddof=1) == pytest.approx(engel.se, rel=0.3)
    assert np.array_equal(draws, engel_bootstrap(df, effects=("year",), cluster="province_code", reps=400, seed=7))


def test_bootstrap_interval_agrees_with_delta_method_when_ratio_is_well_determined():
    """With beta known to 3 % (relative SE) the ratio is close to normal, so the percentile
    interval of delta*/beta* and the delta-method interval must nearly coincide (0.15 SE)."""
    rng = np.random.default_rng(11)
    beta_draws = rng.normal(BETA, 0.03 * abs(BETA), 20000)
    dm = welfare_equivalent(DELTA, BETA, se_delta=0.002, se_beta=0.03 * abs(BETA))
    bs = welfare_equivalent(DELTA, BETA, se_delta=0.002, beta_draws=beta_draws, method="bootstrap", seed=1)
    assert bs.estimate == dm.estimate == pytest.approx(0.125)
    assert bs.se == pytest.approx(dm.se, rel=0.05)
    assert bs.conf_low == pytest.approx(dm.conf_low, abs=0.15 * dm.se)
    assert bs.conf_high == pytest.approx(dm.conf_high, abs=0.15 * dm.se)
    again = welfare_equivalent(DELTA, BETA, se_delta=0.002, beta_draws=beta_draws, method="bootstrap", seed=1)
    assert again == bs
