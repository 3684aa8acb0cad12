"""Event study against pyfixest's ``i()`` regression and a hand-built statsmodels dummy regression;
the pre-trend Wald test against a simulated pre-trend and a clean design.

Tolerances as in test_twfe: 1e-8 absolute on coefficients, 1e-6 relative on CRV1 errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sosek_impact.errors import EstimationError, GroupColumnError
from sosek_impact.estimators import event_study
from sosek_impact.simulate import simulate_staggered_panel


def _binned_rel(d: pd.DataFrame, lo: int, hi: int) -> pd.Series:
    # never treated → the reference category -1, which gives them no event dummy
    rel = (d["time"] - d["group"]).clip(lo, hi)
    return rel.where(d["group"] > 0, -1).astype(int)


def test_binned_matches_pyfixest(sim_panel, pf):
    res = event_study(sim_panel, "y", "unit", "time", "group", leads=4, lags=5, covariates=["x_tv"])
    d = sim_panel.assign(rel=_binned_rel(sim_panel, -4, 5))
    ref = pf.feols("y ~ i(rel, ref=-1) + x_tv | unit + time", data=d, vcov={"CRV1": "unit"})
    assert res.event_times == (-4, -3, -2, 0, 1, 2, 3, 4, 5)
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=1e-8, rtol=0)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    # the Wald statistic from pyfixest's own coefficients and covariance
    lead = [n for n in ref.coef().index if any(f"::{e}]" in n or f"::{e}" == n[-len(f"::{e}"):] for e in (-4, -3, -2))]
    assert len(lead) == 3
    b = ref.coef()[lead].to_numpy()
    V = pd.DataFrame(ref._vcov, index=ref.coef().index, columns=ref.coef().index).loc[lead, lead].to_numpy()
    W = float(b @ np.linalg.solve(V, b))
    assert res.pretrend.chi2 == pytest.approx(W, rel=1e-6)
    assert res.pretrend.df == (3, 59)
    assert res.pretrend.pvalue == pytest.approx(stats.f.sf(W / 3, 3, 59), rel=1e-6)


def test_trimmed_matches_statsmodels_dummies(sim_panel):
    """Without binning, treated rows outside [-3, 3] are dropped; compare with OLS on dummies."""
    import statsmodels.api as sm

    res = event_study(sim_panel, "y", "unit", "time", "group", leads=3, lags=3, bin_endpoints=False)
    d = sim_panel
    rel = d["time"] - d["group"]
    treated = d["group"] > 0
    keep = ~treated | rel.between(-3, 3)
    d = d[keep]
    rel = rel[keep]
    X = pd.DataFrame({f"e={e}": ((rel == e) & (d["group"] > 0)).astype(float) for e in (-3, -2, 0, 1, 2, 3)})
    X = pd.concat([X, pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=True, dtype=float)], axis=1)
    ols = sm.OLS(d["y"].to_numpy(), sm.add_constant(X)).fit()
    names = [f"e={e}" for e in (-3, -2, 0, 1, 2, 3)]
    np.testing.assert_allclose(res.params[names].to_numpy(), ols.params[names].to_numpy(), atol=1e-8)
    assert res.info["n_dropped_outside_window"] == int((~keep).sum()) > 0


def test_estimates_table_and_plot(sim_panel):
    res = event_study(sim_panel, "y", "unit", "time", "group", leads=3, lags=3)
    est = res.estimates()
    assert est["event_time"].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    assert est.loc[est["event_time"] == -1, "estimate"].item() == 0.0
    fig = res.plot()
    ax = fig.axes[0]
    # 6 estimated points with error bars + the hollow reference marker
    xs = np.concatenate([line.get_xdata() for line in ax.lines if line.get_marker() == "o"])
    assert sorted(xs.tolist()) == [-3, -2, -1, 0, 1, 2, 3]
    assert "F(2," in ax.get_title()


def _pretrend_panel(seed: int, slope: float) -> pd.DataFrame:
    d = simulate_staggered_panel(n_units=60, n_periods=25, n_treated=20, effect="constant", seed=seed)
    treated = d["group"] > 0
    # a differential linear trend of treated units that starts 8 periods before their treatment
    pre = (d["time"] - d["group"]).clip(-8, 0) + 8
    d["y"] = d["y"] + slope * np.where(treated, pre, 0.0)
    return d


def test_wald_rejects_simulated_pretrend():
    """Slope 0.25 σ per period over 8 pre-periods: leads −5..−2 differ from −1 by 0.25–1.0 σ, far beyond
    their SE (~0.2 with 20 treated units), so the test must reject at 1 %."""
    res = event_study(_pretrend_panel(1, 0.25), "y", "unit", "time", "group", leads=5, lags=5)
    assert res.pretrend.pvalue < 0.01


@pytest.mark.slow
def test_wald_size_on_clean_design():
    """Clean DGP (parallel trends, constant effect): over 60 seeded panels the rejection rate at 5 %
    should be near 0.05; with 100 draws its binomial SD is 0.022, so [0, 0.13] allows > 3.5 SD
    of simulation error (and F(q, G-1) with 60 clusters is close to exact). The within backend is
    used for speed; test_backends_agree shows it gives PanelOLS's numbers."""
    rejections = [
        event_study(_pretrend_panel(100 + s, 0.0), "y", "unit", "time", "group", leads=5, lags=5,
                    backend="within").pretrend.pvalue < 0.05
        for s in range(100)
    ]
    assert np.mean(rejections) <= 0.13


def test_backends_agree(sim_panel):
    a = event_study(sim_panel, "y", "unit", "time", "group", leads=4, lags=4, covariates=["x_tv"])
    b = event_study(sim_panel, "y", "unit", "time", "group", leads=4, lags=4, covariates=["x_tv"], backend="within")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-8)


def test_bad_input(sim_panel):
    with pytest.raises(GroupColumnError):
        event_study(sim_panel.assign(group=sim_panel["group"] + 0.5), "y", "unit", "time", "group")
    all_treated = simulate_staggered_panel(n_units=20, n_periods=10, n_treated=20, cohorts={2003: 10, 2006: 10}, seed=1)
    with pytest.raises(EstimationError, match="No never-treated unit"):
        event_study(all_treated, "y", "unit", "time", "group")
    with pytest.raises(EstimationError, match="reference"):
        event_study(sim_panel, "y", "unit", "time", "group", leads=3, lags=3, ref=-5)
