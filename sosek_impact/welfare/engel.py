"""Engel curves and income-equivalent welfare effects (Hamilton 2001; Costa 2001).

Engel's law: the budget share of food falls as real income rises. With a Working–Leser
Engel curve

    w_it = a_i + g_t + beta * ln(x_it) + e_it,

where ``w`` is the food share (a fraction 0–1), ``x`` per-capita expenditure and ``beta < 0``,
a policy that shifts the food share by ``delta`` at a given expenditure is worth the same as a
change of ``delta / beta = -delta / |beta|`` in log real income: a fall in the food share
(``delta < 0``) is a gain. This is the Hamilton/Costa "-delta/beta" with beta written as the
size of the Engel slope (the fall of the food share per log point of income); here ``beta``
keeps its regression sign, so the code computes ``delta / beta``. Equivalently ``-delta/beta``
(regression sign) is the change in the true cost of living that the shift reveals. Prices: nominal expenditure is used and the
year effects ``g_t`` absorb the national price level of each year (``ln x - ln P_t`` only
moves the intercept); province effects ``a_i`` absorb time-invariant regional price levels
and tastes. Deflating by a regional price index instead is possible by passing already
deflated expenditure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import EstimationError, InputError

__all__ = ["EngelCurve", "engel_curve", "engel_bootstrap", "WelfareEffect", "welfare_equivalent"]


@dataclass(frozen=True)
class EngelCurve:
    """A fitted Engel curve.

    Attributes
    ----------
    beta : float
        d(food share) / d ln(expenditure); negative under Engel's law.
    se : float
        Its standard error (cluster-robust CR1 if ``cluster`` was given, else HC1).
    params : pandas.Series
        All coefficients (intercept, ``ln_x``, fixed-effect dummies, other controls).
    cov : pandas.DataFrame
        Their covariance.
    nobs, n_clusters : int
    effects : tuple of str
        The fixed effects included.
    residuals : pandas.Series
        Residuals, indexed like the estimation sample.
    """

    beta: float
    se: float
    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_clusters: int | None
    effects: tuple[str, ...]
    residuals: pd.Series

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Normal confidence interval for ``beta``."""
        z = stats.norm.ppf(0.5 + level / 2)
        return self.beta - z * self.se, self.beta + z * self.se

    def tidy(self) -> pd.DataFrame:
        """One-row table: term, estimate, std_error, conf_low, conf_high, nobs, effects."""
        lo, hi = self.conf_int()
        return pd.DataFrame(
            {
                "term": ["ln_expenditure"],
                "estimate": [self.beta],
                "std_error": [self.se],
                "conf_low": [lo],
                "conf_high": [hi],
                "nobs": [self.nobs],
                "clusters": [self.n_clusters],
                "effects": [" + ".join(self.effects) or "none"],
            }
        )


def _design(
    data: pd.DataFrame, share: str, expenditure: str, effects: Sequence[str], controls: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[str], pd.Index]:
    for col in (share, expenditure, *effects, *controls):
        if col not in data.columns:
            raise InputError(f"column {col!r} not in the data", column=col)
    df = data[[share, expenditure, *effects, *controls]].dropna()
    if (df[expenditure] <= 0).any():
        bad = df.loc[df[expenditure] <= 0, expenditure].iloc[0]
        raise InputError("expenditure must be positive to take its log", column=expenditure, value=bad)
    if ((df[share] < 0) | (df[share] > 1)).any():
        bad = df.loc[(df[share] < 0) | (df[share] > 1), share].iloc[0]
        raise InputError("the budget share must be a fraction in [0, 1]", column=share, value=bad)
    cols = {"const": np.ones(len(df)), "ln_x": np.log(df[expenditure].to_numpy(float))}
    for c in controls:
        cols[c] = df[c].to_numpy(float)
    X = pd.DataFrame(cols, index=df.index)
    for eff in effects:
        dummies = pd.get_dummies(df[eff].astype("category"), prefix=eff, drop_first=True, dtype=float)
        X = pd.concat([X, dummies], axis=1)
    return X.to_numpy(float), df[share].to_numpy(float), list(X.columns), df.index


def _ols(X: np.ndarray, y: np.ndarray, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, k = X.shape
    if np.linalg.matrix_rank(X) < k:
        raise EstimationError("Engel-curve design is rank deficient (ln expenditure collinear with the effects?)")
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    u = y - X @ b
    if groups is None:  # HC1
        meat = (X * u[:, None] ** 2).T @ X
        cov = xtx_inv @ meat @ xtx_inv * n / (n - k)
    else:  # CR1, as Stata and linearmodels' clustered covariance with small-sample correction
        codes, uniq = pd.factorize(groups)
        g = len(uniq)
        scores = np.zeros((g, k))
        np.add.at(scores, codes, X * u[:, None])
        meat = scores.T @ scores
        cov = xtx_inv @ meat @ xtx_inv * (g / (g - 1)) * ((n - 1) / (n - k))
    return b, cov, u


def engel_curve(
    data: pd.DataFrame,
    share: str = "food_share",
    expenditure: str = "total_exp",
    effects: Sequence[str] = ("year",),
    controls: Sequence[str] = (),
    cluster: str | None = None,
) -> EngelCurve:
    """Fit a Working–Leser Engel curve by OLS with dummy fixed effects.

    Parameters
    ----------
    data : DataFrame
        One row per unit and period. Rows with a missing value in a used column are dropped
        (never filled).
    share : str
        Budget share of food, a fraction in [0, 1].
    expenditure : str
        Per-capita expenditure (any positive unit: its scale moves only the intercept).
    effects : sequence of str
        Columns entered as fixed effects (e.g. ``("year",)`` or ``("province_code", "year")``).
    controls : sequence of str
        Other numeric controls (e.g. log household size where available).
    cluster : str, optional
        Column to cluster standard errors by; heteroskedasticity-robust (HC1) if ``None``.

    Returns
    -------
    EngelCurve
    """
    X, y, names, index = _design(data, share, expenditure, effects, controls)
    if len(y) <= X.shape[1]:
        raise EstimationError(f"{len(y)} observations for {X.shape[1]} parameters")
    groups = data.loc[index, cluster].to_numpy() if cluster else None
    b, cov, u = _ols(X, y, groups)
    j = names.index("ln_x")
    return EngelCurve(
        beta=float(b[j]),
        se=float(np.sqrt(cov[j, j])),
        params=pd.Series(b, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=len(y),
        n_clusters=None if groups is None else int(pd.Series(groups).nunique()),
        effects=tuple(effects),
        residuals=pd.Series(u, index=index),
    )


def engel_bootstrap(
    data: pd.DataFrame,
    share: str = "food_share",
    expenditure: str = "total_exp",
    effects: Sequence[str] = ("year",),
    controls: Sequence[str] = (),
    cluster: str | None = None,
    reps: int = 999,
    seed: int = 0,
) -> np.ndarray:
    """Bootstrap draws of the Engel slope ``beta`` (pairs bootstrap; by cluster if given).

    Draws whose design is rank deficient are skipped; the returned array may be shorter than
    ``reps`` (its length says how many succeeded).
    """
    X, y, names, index = _design(data, share, expenditure, effects, controls)
    j = names.index("ln_x")
    rng = np.random.default_rng(seed)
    if cluster:
        codes, uniq = pd.factorize(data.loc[index, cluster].to_numpy())
        members = [np.flatnonzero(codes == g) for g in range(len(uniq))]
    else:
        members = [np.array([i]) for i in range(len(y))]
    draws = []
    for _ in range(reps):
        pick = rng.integers(0, len(members), len(members))
        rows = np.concatenate([members[g] for g in pick])
        Xb, yb = X[rows], y[rows]
        keep = np.abs(Xb).sum(axis=0) > 0  # a dummy column may vanish in a resample
        keep[0] = keep[j] = True
        Xb = Xb[:, keep]
        if np.linalg.matrix_rank(Xb) < Xb.shape[1]:
            continue
        coef, *_ = np.linalg.lstsq(Xb, yb, rcond=None)
        draws.append(coef[int(np.flatnonzero(keep).tolist().index(j))])
    return np.asarray(draws)


@dataclass(frozen=True)
class WelfareEffect:
    """Income-equivalent welfare effect ``delta / beta`` (log points of real income; > 0 = gain).

    ``percent`` is ``100 * (exp(estimate) - 1)``; ``method`` is ``"delta"`` or ``"bootstrap"``.
    """

    estimate: float
    se: float
    conf_low: float
    conf_high: float
    method: str
    delta: float
    beta: float

    @property
    def percent(self) -> float:
        """The effect as a percentage change of real income."""
        return 100.0 * float(np.expm1(self.estimate))

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (for tables and JSON)."""
        return {
            "delta": self.delta,
            "beta": self.beta,
            "estimate": self.estimate,
            "se": self.se,
            "conf_low": self.conf_low,
            "conf_high": self.conf_high,
            "percent": self.percent,
            "method": self.method,
        }


def welfare_equivalent(
    delta: float,
    beta: float,
    *,
    se_delta: float | None = None,
    se_beta: float | None = None,
    cov_delta_beta: float = 0.0,
    delta_draws: np.ndarray | None = None,
    beta_draws: np.ndarray | None = None,
    level: float = 0.95,
    method: str = "delta",
    seed: int = 0,
) -> WelfareEffect:
    """Turn an effect ``delta`` on the food share into an income equivalent ``delta / beta``.

    With ``beta < 0`` (Engel's law) this is ``-delta / |beta|``: a policy that lowers the
    food share by one percentage point is worth ``0.01 / |beta|`` log points of real income.

    Parameters
    ----------
    delta : float
        Treatment effect on the food share (fraction points, e.g. -0.01 = one percentage point).
    beta : float
        Engel slope d(food share)/d ln(expenditure).
    se_delta, se_beta : float
        Standard errors (needed for ``method="delta"``).
    cov_delta_beta : float
        Covariance of the two estimates; 0 when they come from independent samples (the
        covariance matrix is then block-diagonal).
    delta_draws, beta_draws : array, optional
        Bootstrap draws for ``method="bootstrap"``; a missing one is drawn from a normal with
        the given standard error (seeded), so that e.g. a cluster bootstrap of ``beta`` can be
        combined with an analytical ``delta``. Arrays of different length are paired by
        resampling the shorter one.
    level : float
        Confidence level.
    method : {"delta", "bootstrap"}

    Returns
    -------
    WelfareEffect
        For ``"delta"``: normal interval from the gradient ``(1/beta, -delta/beta**2)``.
        For ``"bootstrap"``: percentile interval of ``delta*/beta*``; ``se`` the draws' sd.
    """
    if not np.isfinite(beta) or beta == 0:
        raise EstimationError(f"the Engel slope must be finite and non-zero, got {beta!r}")
    estimate = delta / beta
    if method == "delta":
        if se_delta is None or se_beta is None:
            raise EstimationError("the delta method needs se_delta and se_beta")
        grad = np.array([1.0 / beta, -delta / beta**2])
        sigma = np.array([[se_delta**2, cov_delta_beta], [cov_delta_beta, se_beta**2]])
        se = float(np.sqrt(grad @ sigma @ grad))
        z = stats.norm.ppf(0.5 + level / 2)
        return WelfareEffect(estimate, se, estimate - z * se, estimate + z * se, "delta", delta, beta)
    if method != "bootstrap":
        raise ValueError(f"method must be 'delta' or 'bootstrap', not {method!r}")
    rng = np.random.default_rng(seed)
    n = max(len(d) for d in (delta_draws, beta_draws) if d is not None) if (
        delta_draws is not None or beta_draws is not None
    ) else 9999
    d = _draws(delta_draws, delta, se_delta, n, rng, "delta")
    b = _draws(beta_draws, beta, se_beta, n, rng, "beta")
    ratio = d / b
    ratio = ratio[np.isfinite(ratio)]
    lo, hi = np.quantile(ratio, [(1 - level) / 2, (1 + level) / 2])
    return WelfareEffect(estimate, float(np.std(ratio, ddof=1)), float(lo), float(hi), "bootstrap", delta, beta)


def _draws(draws, point, se, n, rng, name):
    if draws is None:
        if se is None:
            raise EstimationError(f"bootstrap needs {name}_draws or se_{name}")
        return rng.normal(point, se, n)
    draws = np.asarray(draws, float)
    if len(draws) == n:
        return draws
    return rng.choice(draws, n, replace=True)
