"""Monte Carlo fits of TWFE, Callaway--Sant'Anna and Sun--Abraham with their usual inference.

Each ``fit_*`` has the ``fit(data, seed) -> Estimate`` signature of
:class:`~sosek_impact.montecarlo.method.Method` and uses the simulator's column names
(``y, unit, time, group, treat``). Estimator imports are local so that the Monte Carlo machinery
imports without them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact.montecarlo.method import Estimate

__all__ = [
    "fit_cs_analytical",
    "fit_cs_bootstrap",
    "fit_cs_not_yet",
    "fit_sun_abraham",
    "fit_twfe_cluster",
    "fit_twfe_conley_taber",
    "fit_twfe_randomization",
    "fit_twfe_wild",
    "randomization_interval",
]

_COLS = {"y": "y", "unit": "unit", "time": "time"}


def fit_twfe_cluster(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD with unit-clustered (CRV1) errors; interval from ``t(G - 1)``."""
    from sosek_impact.estimators import twfe

    res = twfe(data, treat="treat", **_COLS)
    ci = res.conf_int().loc["treat"]
    return Estimate(float(res.params["treat"]), float(ci.iloc[0]), float(ci.iloc[1]), float(res.std_errors["treat"]))


def fit_twfe_wild(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD, restricted wild cluster bootstrap (Rademacher, 999 draws), interval by test inversion."""
    from sosek_impact.inference import wild_cluster_bootstrap

    r = wild_cluster_bootstrap(
        data, y="y", x="treat", param="treat", cluster="unit", fe=["unit", "time"], B=999,
        weights_type="rademacher", restricted=True, seed=seed, ci=True,
    )
    lo, hi = r.interval if r.interval is not None else (math.nan, math.nan)
    return Estimate(float(r.estimate), float(lo), float(hi), float(r.std_error))


def fit_twfe_conley_taber(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD with the Conley--Taber (2011) interval (20,000 random pairings)."""
    from sosek_impact.inference import conley_taber

    r = conley_taber(data, treat="treat", max_pairings=20_000, seed=seed, **_COLS)
    return Estimate(float(r.estimate), float(r.interval[0]), float(r.interval[1]))


def randomization_interval(
    statistic: float, perm_y: np.ndarray, perm_d: np.ndarray, alpha: float = 0.05
) -> tuple[float, float]:
    """Confidence interval by inverting a permutation test of a constant additive effect.

    Under ``H0: tau = tau0`` the outcome without treatment is ``y - tau0 D``. A linear statistic
    (the TWFE coefficient) of that outcome is ``statistic - tau0`` at the observed assignment
    and ``a_b - tau0 c_b`` at permuted assignment ``b``, where ``a_b`` and ``c_b`` are the
    statistic of ``y`` and of the observed ``D`` under that permutation. The two-sided p-value is
    ``(1 + #{|a_b - tau0 c_b| >= |statistic - tau0|}) / (1 + B)``; the interval is the hull of
    the ``tau0`` whose p-value exceeds ``alpha`` (not rejected), found on a grid and refined by
    bisection.

    Parameters
    ----------
    statistic
        Observed statistic.
    perm_y, perm_d
        Statistic of ``y`` and of ``D`` under the same ``B`` permutations.
    alpha
        One minus the confidence level.
    """
    a = np.asarray(perm_y, dtype=float)
    c = np.asarray(perm_d, dtype=float)
    B = a.size
    limit = alpha * (1 + B) - 1  # p-value > alpha  <=>  count of extreme draws > limit

    def accepted(tau: np.ndarray) -> np.ndarray:
        tau = np.atleast_1d(tau)
        extreme = np.abs(a[None, :] - tau[:, None] * c[None, :]) >= np.abs(statistic - tau)[:, None]
        return extreme.sum(axis=1) > limit

    width = 10.0 * max(float(np.std(a)), 1e-12)
    grid = np.linspace(statistic - width, statistic + width, 2001)
    ok = accepted(grid)
    if not ok.any():
        return (math.nan, math.nan)
    i_lo, i_hi = int(np.argmax(ok)), int(len(ok) - 1 - np.argmax(ok[::-1]))
    if i_lo == 0 or i_hi == len(grid) - 1:
        return (-math.inf if i_lo == 0 else math.nan, math.inf if i_hi == len(grid) - 1 else math.nan)

    def refine(inside: float, outside: float) -> float:
        for _ in range(40):
            mid = 0.5 * (inside + outside)
            if accepted(mid)[0]:
                inside = mid
            else:
                outside = mid
        return inside

    return refine(grid[i_lo], grid[i_lo - 1]), refine(grid[i_hi], grid[i_hi + 1])


def fit_twfe_randomization(data: pd.DataFrame, seed: int) -> Estimate:
    """TWFE DiD with a randomisation-inference interval (999 permutations of adoption timing).

    The same permutations (same seed) are applied to ``y`` and to the treatment indicator, and
    the test of a constant effect is inverted by :func:`randomization_interval`.
    """
    from sosek_impact.inference import randomization_inference

    kw = dict(unit="unit", time="time", group="group", estimator="twfe", n_perm=999, seed=seed)
    ry = randomization_inference(data, y="y", **kw)
    rd = randomization_inference(data, y="treat", **kw)
    p0 = (1 + np.sum(np.abs(ry.distribution) >= abs(ry.statistic))) / (1 + ry.distribution.size)
    if ry.exact or not math.isclose(p0, ry.pvalue, rel_tol=1e-9):
        raise RuntimeError(f"unexpected randomisation p-value convention ({p0} vs {ry.pvalue})")
    lo, hi = randomization_interval(ry.statistic, ry.distribution, rd.distribution)
    return Estimate(float(ry.statistic), lo, hi)


def fit_sun_abraham(data: pd.DataFrame, seed: int) -> Estimate:
    """Sun--Abraham interaction-weighted overall ATT, unit-clustered errors, normal interval."""
    from sosek_impact.estimators import sun_abraham

    r = sun_abraham(data, group="group", **_COLS)
    z = 1.959963984540054
    return Estimate(float(r.estimate), r.estimate - z * r.std_error, r.estimate + z * r.std_error, float(r.std_error))


def _fit_cs(data: pd.DataFrame, rep_seed: int, **kwargs: Any) -> Estimate:
    from sosek_impact.estimators import att_gt

    agg = att_gt(data, group="group", **_COLS, **kwargs).aggregate("simple")
    o = agg.overall()
    return Estimate(float(o["att"]), float(o["ci_lower"]), float(o["ci_upper"]), float(o["se"]))


def fit_cs_analytical(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway--Sant'Anna simple ATT (never-treated controls, DR), influence-function errors, normal interval."""
    return _fit_cs(data, seed)


def fit_cs_not_yet(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway--Sant'Anna simple ATT with not-yet-treated controls, analytical errors."""
    return _fit_cs(data, seed, control="not_yet")


def fit_cs_bootstrap(data: pd.DataFrame, seed: int) -> Estimate:
    """Callaway--Sant'Anna simple ATT, multiplier-bootstrap (Mammen, 999 draws) errors."""
    return _fit_cs(data, seed, bootstrap=True, n_boot=999, seed=seed)
