"""Tests that catch one-line bugs the rest of the suite let through (issue 9, item 7).

Each is checked against a value computed independently of the package:

- Conley–Taber: the TWFE fit (numpy least squares on unit and time dummies), the residuals and every
  one of the N0^N1 pairings of treated paths with control residuals enumerated with itertools on a
  tiny panel; the p-value is the share of pseudo-effects at least as large in absolute value as the
  estimate. Exact arithmetic on 4^2 = 16 pairings, so 1e-12. (Bug guarded: p turned into 1 - p.)
- Randomisation inference with strata on the random-permutation path: every drawn assignment must
  keep each stratum's treated units inside it, so every statistic of the distribution must be one of
  the 16 within-strata assignments' TWFE coefficients, computed by hand (numpy least squares). If the
  strata are ignored, 40 of the 56 assignments of the two cohorts over 8 units cross strata and
  most draws fall outside that set. (Bug guarded: strata ignored when permuting at random.)
- Doubly robust DiD trimming (R DRDID ``drdid_panel`` / ``std_ipw_did_panel``, ``trim.level =
  0.995``): comparison units whose propensity score is at least 0.995 get weight zero. On a panel
  whose comparison units include scores in [0.95, 0.995), the ATT is recomputed from the DRDID
  formula with a logit fitted by statsmodels and OLS by numpy; 1e-6 (logit convergence). A trim
  level of 0.95 removes those units and moves the ATT by far more. (Bug guarded: TRIM_LEVEL 0.95.)
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from sosek_impact.estimators import att_gt
from sosek_impact.inference import conley_taber, randomization_inference


def _twfe_by_hand(y: np.ndarray, D: np.ndarray) -> tuple[float, np.ndarray]:
    """TWFE coefficient and residuals of y_it = a d_it + unit_i + time_t on an (n, T) balanced panel."""
    n, T = y.shape
    rows = []
    for i in range(n):
        for t in range(T):
            r = np.zeros(1 + n + T - 1)
            r[0] = D[i, t]
            r[1 + i] = 1.0
            if t > 0:
                r[n + t] = 1.0
            rows.append(r)
    X = np.array(rows)
    beta, *_ = np.linalg.lstsq(X, y.ravel(), rcond=None)
    resid = (y.ravel() - X @ beta).reshape(n, T)
    return float(beta[0]), resid


def test_conley_taber_pvalue_by_hand_enumeration():
    rng = np.random.default_rng(11)
    n0, n1, T = 4, 2, 4
    n = n0 + n1
    D = np.zeros((n, T))
    D[0, 2:] = 1  # treated unit 0 from period 2
    D[1, 3:] = 1  # treated unit 1 from period 3
    y = rng.normal(size=(n, T)) + rng.normal(size=(n, 1)) + np.arange(T) * 0.3 + 0.8 * D
    df = pd.DataFrame([(i, t, y[i, t], D[i, t]) for i in range(n) for t in range(T)], columns=["unit", "time", "y", "d"])
    res = conley_taber(df, "y", "unit", "time", "d", alpha=0.2)

    a_hat, eta = _twfe_by_hand(y, D)
    dt = D[:n1] - D[:n1].mean(axis=1, keepdims=True)
    gammas = []
    for pair in itertools.product(range(n1, n), repeat=n1):  # control paired with each treated unit
        gammas.append(sum(dt[j] @ eta[pair[j]] for j in range(n1)) / float((dt**2).sum()))
    gammas = np.array(gammas)
    p_hand = float(np.mean(np.abs(gammas) >= abs(a_hat)))
    assert res.exact and res.distribution.size == n0**n1 == 16
    assert res.estimate == pytest.approx(a_hat, abs=1e-12)
    np.testing.assert_allclose(np.sort(res.distribution), np.sort(gammas), atol=1e-12)
    assert res.pvalue == pytest.approx(p_hand, abs=1e-12)
    assert abs(p_hand - 0.5) > 0.1  # so that 1 - p could not pass by accident
    lo, hi = np.quantile(gammas, [0.1, 0.9])
    assert res.interval == pytest.approx((a_hat - hi, a_hat - lo), abs=1e-12)


def test_randomisation_strata_respected_on_random_path():
    rng = np.random.default_rng(3)
    n, T = 8, 4
    strata = np.array(["A"] * 4 + ["B"] * 4)
    g_obs = np.array([3, 0, 0, 0, 4, 0, 0, 0])  # one unit of cohort 3 in A, one of cohort 4 in B
    y = rng.normal(size=(n, T)) + rng.normal(size=(n, 1)) * 2 + np.arange(T)
    periods = np.arange(1, T + 1)
    df = pd.DataFrame([(i, periods[t], y[i, t], g_obs[i], strata[i]) for i in range(n) for t in range(T)],
                      columns=["unit", "time", "y", "group", "prov"])
    allowed = set()
    for a in range(4):
        for b in range(4, 8):
            g = np.zeros(n)
            g[a], g[b] = 3, 4
            D = ((g[:, None] > 0) & (periods[None, :] >= g[:, None])).astype(float)
            allowed.add(round(_twfe_by_hand(y, D)[0], 9))
    assert len(allowed) == 16
    res = randomization_inference(df, "y", "unit", "time", "group", n_perm=300, seed=5, strata="prov", exact=False)
    assert not res.exact and res.n_assignments == 16
    drawn = {round(float(v), 9) for v in res.distribution}
    assert drawn <= allowed, f"{len(drawn - allowed)} drawn statistics come from assignments that cross strata"
    assert len(drawn) >= 12  # 300 draws over 16 equally likely assignments reach nearly all of them


def _logit_statsmodels(d: np.ndarray, x: np.ndarray) -> np.ndarray:
    sm = pytest.importorskip("statsmodels.api")
    fit = sm.Logit(d, x).fit(disp=0, method="newton", tol=1e-14, maxiter=200)
    return fit.predict(x)


def _drdid_att(dy: np.ndarray, d: np.ndarray, x: np.ndarray, trim: float, method: str) -> float:
    """ATT of DRDID::drdid_panel (``dr``) or std_ipw_did_panel (``ipw``) with unit weights 1."""
    ps = np.minimum(_logit_statsmodels(d, x), 1 - 1e-6)
    keep = np.where(d == 1, ps < 1.01, ps < trim)
    w_t = keep * d
    w_c = keep * ps * (1 - d) / (1 - ps)
    if method == "dr":
        beta, *_ = np.linalg.lstsq(x[d == 0], dy[d == 0], rcond=None)  # OLS on all comparison units
        resid = dy - x @ beta
    else:
        resid = dy
    return float(np.sum(w_t * resid) / np.sum(w_t) - np.sum(w_c * resid) / np.sum(w_c))


@pytest.mark.parametrize("method", ["dr", "ipw"])
def test_dr_trimming_of_extreme_propensity_scores(method):
    rng = np.random.default_rng(8)
    n = 1000
    x1 = rng.uniform(-2, 4, size=n)
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.0 + 1.2 * x1)))).astype(float)
    # comparison units with large x1 (high propensity) have large outcome changes: trimming them matters
    dy = 0.5 * x1 + rng.normal(scale=0.5, size=n) + 1.0 * d + (1 - d) * np.where(x1 > 3.0, 3.0, 0.0)
    x = np.column_stack([np.ones(n), x1])
    ps = _logit_statsmodels(d, x)
    band = (d == 0) & (ps >= 0.95) & (ps < 0.995)
    assert band.sum() >= 2, "the panel must have comparison units with scores in [0.95, 0.995)"
    expected = _drdid_att(dy, d, x, 0.995, method)
    wrong = _drdid_att(dy, d, x, 0.95, method)
    assert abs(expected - wrong) > 0.05  # the trim level matters on this panel

    df = pd.DataFrame({
        "unit": np.repeat(np.arange(n), 2), "time": np.tile([1, 2], n),
        "y": np.column_stack([np.zeros(n), dy]).ravel(), "g": np.repeat(np.where(d == 1, 2, 0), 2),
        "x1": np.repeat(x1, 2),
    })
    res = att_gt(df, y="y", unit="unit", time="time", group="g", covariates=["x1"], method=method)
    assert res.table["att"].iloc[0] == pytest.approx(expected, abs=1e-6)
