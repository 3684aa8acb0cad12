"""``did_imputation`` with time-varying covariates (BJS 2024: step 1 ``Y = α_i + λ_t + X'β`` on Ω₀).

References:

- a dense least-squares fit written out here: unit and period dummies plus the covariates on the
  untreated rows (``numpy.linalg.lstsq``), imputed ``Ŷ(0)`` for the treated, averaged — ATT and
  horizons to 1e-9; the same dense projection gives the estimator's weights ``v`` (``τ̂ = v·Y``),
  and with them and BJS's ``ε̃`` (step-1 residuals; treated: ``τ̂_it`` minus its cohort x event-time
  mean, computed with pandas) the Theorem 3 conservative variance ``Σ_c (Σ_{it∈c} v_it ε̃_it)²``
  to 1e-9;
- pyfixest's ``did2s`` (Gardner's two-stage DiD, first stage ``~ x | unit + time`` on untreated
  rows; with one treatment dummy, or one dummy per horizon, its coefficients are the imputation
  estimates): to 5e-5 relative, because pyfixest recovers the first-stage fixed effects by lsqr
  with tolerance 1e-6 (observed differences 1e-6 to 1e-5).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError, MissingValueError
from sosek_impact.estimators import did_imputation

pf = pytest.importorskip("pyfixest")


def _panel(seed: int = 5, n: int = 300, T: int = 8) -> pd.DataFrame:
    """Staggered panel whose covariate trends differently in treated units and moves the outcome."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 6], size=n, p=[0.4, 0.3, 0.3])
    u, t = np.repeat(np.arange(n), T), np.tile(np.arange(1, T + 1), n)
    gg = g[u]
    x = rng.normal(size=n * T) + 0.2 * t * (gg > 0)
    y = (rng.normal(size=n)[u] + 0.3 * t + 1.5 * x + np.where((gg > 0) & (t >= gg), 1 + 0.3 * (t - gg), 0)
         + rng.normal(size=n * T))
    d = pd.DataFrame({"unit": u, "time": t, "group": gg, "y": y, "x": x})
    d["treat"] = (d.group > 0) & (d.time >= d.group)
    return d


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="module")
def mpdta_x(mpdta) -> pd.DataFrame:
    """mpdta with a time-varying covariate, without the 2004 cohort: its counties have one untreated
    year, a singleton of the first stage that pyfixest drops (and with it their treated rows)."""
    d = mpdta[mpdta["first.treat"] != 2004].reset_index(drop=True)
    d["x"] = d["lpop"] * (d["year"] - 2003)  # county-size-specific trend: time-varying
    d["treat"] = (d["first.treat"] > 0) & (d["year"] >= d["first.treat"])
    return d


def _dense(d, y, unit, time, group, xcols):
    """Imputation by a dense dummy regression; returns (treated mask, tau_it, v for the ATT, resid)."""
    tr = d["treat"].to_numpy()
    D = np.column_stack([pd.get_dummies(d[unit]).to_numpy(float), pd.get_dummies(d[time]).to_numpy(float)[:, 1:],
                         d[xcols].to_numpy(float)])
    Y = d[y].to_numpy(float)
    pinv = np.linalg.pinv(D[~tr])
    beta = pinv @ Y[~tr]
    tau = Y - D @ beta
    v = np.zeros(len(d))
    v[tr] = 1 / tr.sum()
    v[~tr] = -(v[tr] @ D[tr]) @ pinv
    return tr, tau, v


def _did2s(d, y, unit, time, xcols, second="~ treat"):
    """Point estimates of pyfixest's did2s (its estimation stage, ``_did2s_estimate``, as benchmarks/run.py:
    the complete ``did2s`` fails on mpdta in its GMM covariance with a shape error)."""
    from pyfixest.did.did2s import _did2s_estimate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit, _, _ = _did2s_estimate(d, yname=y, _first_stage=f"~ {' + '.join(xcols)} | {unit} + {time}",
                                    _second_stage=second, treatment="treat")
    return fit.coef()


def test_att_matches_dense_and_did2s(panel, mpdta_x):
    for d, cols in [(panel, ("y", "unit", "time", "group")), (mpdta_x, ("lemp", "countyreal", "year", "first.treat"))]:
        r = did_imputation(d, *cols, covariates=["x"])
        tr, tau, v = _dense(d, *cols, ["x"])
        assert r.att == pytest.approx(tau[tr].mean(), abs=1e-9)
        assert r.att == pytest.approx(v @ d[cols[0]].to_numpy(), abs=1e-9)
        assert r.att == pytest.approx(float(_did2s(d, cols[0], cols[1], cols[2], ["x"]).iloc[0]), rel=5e-5)
        # the covariate matters: without it the estimate moves by far more than the tolerance
        assert abs(did_imputation(d, *cols).att - r.att) > 1e-3


def test_horizons_match_did2s(panel):
    d = panel.copy()
    et = np.where(d["treat"], d["time"] - d["group"], -1)
    names = []
    for h in np.unique(et[et >= 0]):
        d[f"h{h}"] = (et == h).astype(float)
        names.append(f"h{h}")
    r = did_imputation(d, "y", "unit", "time", "group", horizons=True, covariates=["x"])
    ours = r.estimates.set_index("term")["estimate"]
    ref = _did2s(d, "y", "unit", "time", ["x"], second="~ 0 + " + " + ".join(names))
    tr, tau, _ = _dense(d, "y", "unit", "time", "group", ["x"])
    for h, name in zip(np.unique(et[et >= 0]), names):
        assert ours[f"tau{h}"] == pytest.approx(tau[et == h].mean(), abs=1e-9)
        assert ours[f"tau{h}"] == pytest.approx(ref[name], rel=5e-5)


def test_conservative_se_from_dense_weights(panel):
    d = panel
    r = did_imputation(d, "y", "unit", "time", "group", covariates=["x"], leave_out=False)
    tr, tau, v = _dense(d, "y", "unit", "time", "group", ["x"])
    cell_mean = pd.Series(tau[tr]).groupby([d["group"].to_numpy()[tr], (d["time"] - d["group"]).to_numpy()[tr]]
                                           ).transform("mean").to_numpy()
    eps = tau.copy()  # untreated: step-1 residuals
    eps[tr] = tau[tr] - cell_mean
    scores = pd.Series(v * eps).groupby(d["unit"].to_numpy()).sum().to_numpy()
    assert r.estimates["std_error"].iloc[0] == pytest.approx(np.sqrt(np.sum(scores**2)), rel=1e-9)


def test_recovers_effect_confounded_by_covariate():
    """The covariate trends with treatment: with it the ATT is recovered, without it biased."""
    d = _panel(seed=9, n=2000)
    truth = np.where(d["treat"], 1 + 0.3 * (d["time"] - d["group"]), 0)[d["treat"].to_numpy()].mean()
    r = did_imputation(d, "y", "unit", "time", "group", covariates=["x"])
    se = r.estimates["std_error"].iloc[0]
    assert abs(r.att - truth) < 4 * se
    assert abs(did_imputation(d, "y", "unit", "time", "group").att - truth) > 10 * se


def test_covariate_errors(panel):
    args = (panel, "y", "unit", "time", "group")
    with pytest.raises(ValueError, match="not_yet"):
        did_imputation(*args, covariates=["x"], control="never")
    with pytest.raises(ValueError, match="pretrends"):
        did_imputation(*args, covariates=["x"], pretrends=2)
    const = panel.assign(z=panel["unit"] * 0.5)  # constant within unit: absorbed by the unit effects
    with pytest.raises(EstimationError, match="collinear.*'z' absorbed"):
        did_imputation(const, "y", "unit", "time", "group", covariates=["z"])
    miss = panel.assign(x=panel["x"].where(panel.index != 7))
    with pytest.raises(MissingValueError):
        did_imputation(miss, "y", "unit", "time", "group", covariates=["x"])
