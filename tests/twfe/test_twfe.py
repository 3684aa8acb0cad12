"""TWFE DiD against pyfixest (fixest's CRV1 conventions) and statsmodels OLS with dummies.

References: pyfixest ``feols("y ~ d + x | unit + time", vcov={"CRV1": ...})`` computed on the same
data at test time; statsmodels ``OLS`` on explicit unit and time dummies. Tolerances: coefficients
1e-8 absolute (both solve the same normal equations; differences are round-off), standard errors
1e-6 relative (same sandwich and the same small-sample factor, round-off of the within transform).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError, SchemaError, UnbalancedPanelError, ValueRangeError
from sosek_impact.estimators import twfe

COEF_TOL = 1e-8
SE_RTOL = 1e-6


@pytest.mark.parametrize("backend", ["within", "panelols"])
@pytest.mark.parametrize(
    "cluster, pf_vcov",
    [(None, {"CRV1": "unit"}), ("twoway", {"CRV1": "unit+time"}), ("province", {"CRV1": "province"})],
)
def test_matches_pyfixest_simulated(sim_panel, pf, cluster, pf_vcov, backend):
    res = twfe(sim_panel, "y", "unit", "time", "treat", covariates=["x_tv"], cluster=cluster, backend=backend)
    ref = pf.feols("y ~ treat + x_tv | unit + time", data=sim_panel, vcov=pf_vcov)
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=COEF_TOL, rtol=0)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=SE_RTOL)
    # intervals: t(G-1) quantiles as fixest
    np.testing.assert_allclose(res.conf_int().to_numpy(), ref.confint().to_numpy(), rtol=SE_RTOL, atol=1e-8)
    np.testing.assert_allclose(res.pvalues.to_numpy(), ref.pvalue().to_numpy(), rtol=1e-5, atol=1e-12)


def test_matches_linearmodels_panelols(sim_panel):
    """The default (within) backend against linearmodels' PanelOLS called directly: coefficients to
    round-off. Both covariances are the same cluster sandwich times a different scalar: ours
    ``G/(G-1) (N-1)/(N-K)`` (fixest's CRV1), PanelOLS's ``N/(N - extra_df)`` with ``debiased=False``,
    ``extra_df`` = the absorbed effects ``N_units + N_periods - 1`` (linearmodels
    ``ClusteredCovariance``: "always adjusted for extra_df")."""
    from linearmodels.panel import PanelOLS

    res = twfe(sim_panel, "y", "unit", "time", "treat", covariates=["x_tv"])
    assert res.info["backend"] == "within"
    ind = sim_panel.set_index(["unit", "time"])
    ref = PanelOLS(ind["y"], ind[["treat", "x_tv"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=False
    )
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), atol=COEF_TOL, rtol=0)
    n, g, k = len(sim_panel), res.info["n_clusters"], res.info["k"]
    ours_factor = g / (g - 1) * (n - 1) / (n - k)
    lm_factor = n / (n - (res.info["n_units"] + res.info["n_periods"] - 1))
    np.testing.assert_allclose(res.std_errors.to_numpy() / np.sqrt(ours_factor),
                               ref.std_errors.to_numpy() / np.sqrt(lm_factor), rtol=SE_RTOL)


def test_weights_match_pyfixest(sim_panel, pf):
    res = twfe(sim_panel, "y", "unit", "time", "treat", covariates=["x_tv"], weights="w")
    ref = pf.feols("y ~ treat + x_tv | unit + time", data=sim_panel, vcov={"CRV1": "unit"}, weights="w")
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=COEF_TOL, rtol=0)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=SE_RTOL)


def test_mpdta_matches_pyfixest(mpdta, pf):
    res = twfe(mpdta, "lemp", "countyreal", "year", "treat_post")
    ref = pf.feols("lemp ~ treat_post | countyreal + year", data=mpdta, vcov={"CRV1": "countyreal"})
    assert res.params["treat_post"] == pytest.approx(ref.coef()["treat_post"], abs=COEF_TOL)
    assert res.std_errors["treat_post"] == pytest.approx(ref.se()["treat_post"], rel=SE_RTOL)
    assert res.info["n_clusters"] == 500


def test_unbalanced_panel_matches_pyfixest(sim_panel, pf):
    # drop 7 % of rows at random: the alternating projections must still converge to the exact FE fit
    d = sim_panel.sample(frac=0.93, random_state=4).sort_values(["unit", "time"])
    res = twfe(d, "y", "unit", "time", "treat", covariates=["x_tv"])
    ref = pf.feols("y ~ treat + x_tv | unit + time", data=d, vcov={"CRV1": "unit"}, fixef_rm="none")
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=COEF_TOL, rtol=0)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-5)


def test_matches_statsmodels_dummies(sim_panel):
    """Same point estimate as OLS on explicit dummies; same sandwich up to the documented dof factor."""
    import statsmodels.api as sm

    d = sim_panel
    X = pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "x_tv", d["x_tv"].to_numpy())
    X.insert(0, "treat", d["treat"].astype(float).to_numpy())
    X = sm.add_constant(X)
    ols = sm.OLS(d["y"].to_numpy(), X).fit(cov_type="cluster", cov_kwds={"groups": d["unit"].to_numpy()})
    res = twfe(d, "y", "unit", "time", "treat", covariates=["x_tv"])
    np.testing.assert_allclose(res.params.to_numpy(), ols.params[["treat", "x_tv"]].to_numpy(), atol=COEF_TOL)
    # statsmodels counts every dummy in (N-1)/(N-K); ours counts FE nested in the cluster as one parameter
    n, k_sm = X.shape
    k_ours = res.info["k"]
    ratio = np.sqrt((n - k_ours) / (n - k_sm))
    np.testing.assert_allclose(res.std_errors.to_numpy() * ratio, ols.bse[["treat", "x_tv"]].to_numpy(), rtol=SE_RTOL)


def test_within_backend_matches_pyfixest(sim_panel, pf):
    res = twfe(sim_panel, "y", "unit", "time", "treat", covariates=["x_tv"], weights="w", backend="within")
    ref = pf.feols("y ~ treat + x_tv | unit + time", data=sim_panel, vcov={"CRV1": "unit"}, weights="w")
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=COEF_TOL, rtol=0)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=SE_RTOL)
    with pytest.raises(EstimationError, match="absorbed"):
        twfe(sim_panel.assign(g=sim_panel["unit"] * 1.0), "y", "unit", "time", "treat", covariates=["g"], backend="within")


def test_results_interface(sim_panel):
    res = twfe(sim_panel, "y", "unit", "time", "treat")
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    ci90, ci95 = res.conf_int(level=0.90), res.conf_int(alpha=0.05)
    assert (ci90["conf_high"] - ci90["conf_low"]).iloc[0] < (ci95["conf_high"] - ci95["conf_low"]).iloc[0]
    assert "treat" in res.summary() and "CRV1" in res.summary()
    before = res.params["treat"]
    p = res.params
    p.iloc[0] = before + 1.0  # a copy: the result does not change
    assert res.params["treat"] == before
    with pytest.raises(AttributeError):
        res.nobs = 3  # immutable


def test_recovers_homogeneous_effect():
    """With one adoption date and a constant effect TWFE is unbiased: the simulated effect 1.0 lies
    within 4 standard errors (a 6e-5 two-sided chance of failing if the SE is right)."""
    from sosek_impact.simulate import simulate_staggered_panel

    d = simulate_staggered_panel(n_units=60, n_periods=25, n_treated=20, effect="constant",
                                 cohorts={2012: 20}, seed=5)
    res = twfe(d, "y", "unit", "time", "treat")
    assert abs(res.params["treat"] - 1.0) < 4 * res.std_errors["treat"]


def test_bad_input(sim_panel):
    d = sim_panel.copy()
    with pytest.raises(SchemaError):
        twfe(d, "nope", "unit", "time", "treat")
    bad = d.copy()
    bad.loc[bad.index[5], "treat"] = 2
    with pytest.raises(ValueRangeError) as err:
        twfe(bad, "y", "unit", "time", "treat")
    assert err.value.column == "treat" and err.value.value == 2
    miss = d.copy()
    miss.loc[miss.index[3], "y"] = np.nan
    with pytest.raises(UnbalancedPanelError, match="missing"):
        twfe(miss, "y", "unit", "time", "treat")
    dup = pd.concat([d, d.iloc[[0]]])
    with pytest.raises(EstimationError, match="repeated"):
        twfe(dup, "y", "unit", "time", "treat")
    with pytest.raises(EstimationError, match="absorbed"):
        twfe(d.assign(g=d["unit"] * 1.0), "y", "unit", "time", "treat", covariates=["g"])


def test_input_errors_say_what_is_wrong(sim_panel):
    """Issue 10: a text outcome was converted silently; an empty frame or an all-zero treatment
    said "a regressor is absorbed". Each now gets a typed error that names the problem."""
    from sosek_impact.errors import MissingValueError

    d = sim_panel.copy()
    text = d.astype({"y": object})
    text.loc[text.index[4], "y"] = "Sambas"
    u, t = d.loc[d.index[4], "unit"], d.loc[d.index[4], "time"]
    with pytest.raises(SchemaError, match=rf"column 'y' must be numeric.*'Sambas' at \(unit, time\) = \({u}, {t}\)"):
        twfe(text, "y", "unit", "time", "treat")
    with pytest.raises(SchemaError, match="stored as text"):
        twfe(d.assign(y=d["y"].astype(str)), "y", "unit", "time", "treat")
    with pytest.raises(EstimationError, match="empty panel") as err:
        twfe(d.iloc[:0], "y", "unit", "time", "treat")
    assert "absorbed" not in str(err.value)
    with pytest.raises(EstimationError, match="no treated observation") as err:
        twfe(d.assign(treat=0), "y", "unit", "time", "treat")
    assert "absorbed" not in str(err.value)
    miss = d.copy()
    miss.loc[miss.index[3], "y"] = np.nan
    with pytest.raises(MissingValueError, match=r"\(unit, time\) = \(" + str(d.loc[d.index[3], "unit"])) as err:
        twfe(miss, "y", "unit", "time", "treat")
    assert "np." not in str(err.value)
