"""Synthetic DiD with time-varying covariates.

References and tolerances:
- diff-diff 3.13 ``SyntheticDiD(...).fit(covariates=...)`` (OLS of the outcome on the covariates
  and unit and period dummies over all observations, residual plus grand mean): estimate, unit
  and time weights and placebo SE (same seed, hence the same placebo draws) to 1e-8 relative /
  absolute -- both then run the same Frank-Wolfe iterations on the same matrix, so only rounding
  differs.
- Simulation with a known effect where the covariate jumps with treatment: the ``"untreated"``
  fit (Kranz's xsynthdid: coefficients from untreated observations) recovers the direct effect 2.0
  (mean error within 3 MC sd + 0.02 over 20 seeded panels), the ``"all"`` fit absorbs part of it
  into the coefficient (paired difference below 0 by more than 3 MC sd).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError, MissingValueError, SchemaError
from sosek_impact.estimators.synthetic_did import synthetic_did


def _panel(seed: int, jump: float = 0.0, n0: int = 30, n1: int = 3, T0: int = 12, T1: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    N, T = n0 + n1, T0 + T1
    treated = np.arange(N) >= n0
    D = treated[:, None] & (np.arange(T) >= T0)[None, :]
    x = rng.normal(size=(N, T)) + np.linspace(0, 1, T)[None] + 0.8 * treated[:, None] * np.arange(T)[None] / T + jump * D
    x2 = rng.uniform(size=(N, T))
    y = (1.5 * x - 0.7 * x2 + rng.normal(0, 2, size=(N, 1)) + rng.normal(0, 0.5, size=(N, T))
         + np.cumsum(rng.normal(size=T))[None] + 2.0 * D)
    return pd.DataFrame([(f"u{i:02d}", 2000 + t, y[i, t], x[i, t], x2[i, t], int(D[i, t])) for i in range(N) for t in range(T)],
                        columns=["unit", "year", "y", "x", "x2", "d"])


def test_covariates_match_diff_diff():
    dd = pytest.importorskip("diff_diff")
    df = _panel(5)
    ours = synthetic_did(df, "y", "unit", "year", "d", se="placebo", n_reps=50, seed=0, covariates=["x", "x2"],
                         leave_one_out=False)
    post = sorted(df.loc[df.d == 1, "year"].unique().tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.SyntheticDiD(variance_method="placebo", n_bootstrap=50, seed=0).fit(
            df.assign(ever=df.groupby("unit")["d"].transform("max")), outcome="y", treatment="ever", unit="unit",
            time="year", post_periods=post, covariates=["x", "x2"])
    assert ours.estimate == pytest.approx(ref.att, rel=1e-8)
    assert ours.std_error == pytest.approx(ref.se, rel=1e-8)
    om = pd.Series(ref.unit_weights).reindex(ours.unit_weights.index)
    lam = pd.Series(ref.time_weights).reindex(ours.time_weights.index)
    np.testing.assert_allclose(ours.unit_weights, om, atol=1e-8)
    np.testing.assert_allclose(ours.time_weights, lam, atol=1e-8)
    # and the covariates matter here: without them the estimate differs by more than 0.05
    plain = synthetic_did(df, "y", "unit", "year", "d", se="none", leave_one_out=False)
    assert abs(plain.estimate - ours.estimate) > 0.05
    assert ours.covariate_coefficients["x"] == pytest.approx(1.5, abs=0.05)


def test_untreated_fit_is_unbiased_when_the_covariate_moves_with_treatment():
    err = {"all": [], "untreated": []}
    for s in range(20):
        df = _panel(100 + s, jump=1.0)
        for fit in err:
            r = synthetic_did(df, "y", "unit", "year", "d", se="none", covariates=["x", "x2"], covariate_fit=fit,
                              leave_one_out=False)
            err[fit].append(r.estimate - 2.0)
    bias_u, bias_a = np.mean(err["untreated"]), np.mean(err["all"])
    sd_u = np.std(err["untreated"], ddof=1) / np.sqrt(20)
    assert abs(bias_u) < 3 * sd_u + 0.02, (bias_u, sd_u)
    # "all" lets the unexplained effect in the treated post cells pull the coefficient of x (which
    # jumps there) upward, so y - beta x removes too much: biased downward, beyond 3 paired MC sd.
    diff = np.asarray(err["all"]) - np.asarray(err["untreated"])
    assert bias_a < 0 and diff.mean() < -3 * diff.std(ddof=1) / np.sqrt(diff.size), (bias_a, bias_u)


def test_covariate_input_errors():
    df = _panel(1)
    miss = df.copy()
    miss.loc[3, "x"] = np.nan
    with pytest.raises(MissingValueError, match=r"'x' is missing at \(unit, year\) = \('u00', 2003\)"):
        synthetic_did(miss, "y", "unit", "year", "d", se="none", covariates=["x"], leave_one_out=False)
    with pytest.raises(SchemaError):
        synthetic_did(df, "y", "unit", "year", "d", se="none", covariates=["nope"], leave_one_out=False)
    const = df.assign(z=df["unit"].str[1:].astype(float))  # constant within unit: collinear with unit effects
    with pytest.raises(EstimationError, match="collinear"):
        synthetic_did(const, "y", "unit", "year", "d", se="none", covariates=["z"], leave_one_out=False)


def test_staggered_with_covariates_equals_sdid_on_the_adjusted_outcome():
    # Independent residualisation (pandas dummies + numpy lstsq on the untreated rows), then SDID
    # without covariates: the same estimate and cohort table to 1e-10.
    df = _panel(9)
    df.loc[(df["unit"] == "u31") & (df["year"] >= 2014), "d"] = 1  # a second cohort
    df.loc[(df["unit"] == "u31") & (df["year"] < 2014), "d"] = 0
    X = pd.concat([df[["x", "x2"]], pd.get_dummies(df["unit"], drop_first=True, dtype=float),
                   pd.get_dummies(df["year"], drop_first=True, dtype=float)], axis=1)
    X.insert(0, "const", 1.0)
    ok = df["d"].to_numpy() == 0
    beta = np.linalg.lstsq(X.to_numpy()[ok], df["y"].to_numpy()[ok], rcond=None)[0]
    adj = df.assign(y=df["y"] - df[["x", "x2"]].to_numpy() @ beta[1:3])
    want = synthetic_did(adj, "y", "unit", "year", "d", se="none", leave_one_out=False)
    got = synthetic_did(df, "y", "unit", "year", "d", se="none", covariates=["x", "x2"], covariate_fit="untreated",
                        leave_one_out=False)
    assert got.cohorts is not None and len(got.cohorts) == 2
    assert got.estimate == pytest.approx(want.estimate, abs=1e-10)
    np.testing.assert_allclose(got.cohorts["estimate"], want.cohorts["estimate"], atol=1e-10)
    np.testing.assert_allclose(got.covariate_coefficients.to_numpy(), beta[1:3], rtol=1e-10)
