"""Conley & Taber (2011) confidence intervals for DiD with few treated units.

Conley, T. G. & Taber, C. R. (2011), "Inference with 'Difference in Differences' with a small
number of policy changes", *Review of Economics and Statistics* 93(1), 113–125.

Model ``y_jt = α d_jt + x_jt'β + θ_j + γ_t + η_jt`` with ``N1`` treated and many (``N0``) control
units. As ``N0`` grows, ``β``, ``γ_t`` are estimated without error and the TWFE estimator obeys

``α̂ − α → Σ_{j≤N1} Σ_t (d_jt − d̄_j)(η_jt − η̄_j) / Σ_{j≤N1} Σ_t (d_jt − d̄_j)²``,

whose distribution is not normal with few treated units, but can be estimated from the control
units: if the ``η_j`` are i.i.d. across units (serial correlation within a unit allowed), then
``Σ_t (d_jt − d̄_j) η̂_ℓt`` for a control ``ℓ`` has the distribution of the treated unit's term.
The distribution ``Γ̂`` of ``α̂ − α`` is formed from all ``N0^{N1}`` ways of pairing each
treated path with a control's residuals (or a seeded random subset of them when too many),
and the interval is ``[α̂ − Γ̂^{-1}(1 − a/2), α̂ − Γ̂^{-1}(a/2)]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import EstimationError, SmallGroupError, ValueRangeError
from sosek_impact.estimators._checks import check_balanced, check_columns, check_missing, check_time_column
from sosek_impact.results_protocol import ResultsProtocol, format_number, legacy_conf_int

__all__ = ["conley_taber", "ConleyTaberResult"]


@dataclass(frozen=True, repr=False, eq=False)
class ConleyTaberResult(ResultsProtocol):
    """Conley–Taber interval for the treatment coefficient, in the package's results protocol.

    The interval and p-value exist at the level of the call only (``alpha``).

    Attributes
    ----------
    estimate
        TWFE estimate ``α̂``.
    interval
        ``(lower, upper)`` at level ``1 − alpha`` (the attribute ``conf_int`` until 0.2; ``conf_int``
        is now the protocol method, still unpackable as a tuple for one release with a ``FutureWarning``).
    pvalue
        Two-sided p-value of ``α = 0``: share of ``Γ̂`` at least as large in absolute value as ``α̂``.
    distribution
        Draws of ``Γ̂`` (the estimated distribution of ``α̂ − α``), read-only.
    """

    estimate: float
    interval: tuple[float, float]
    pvalue: float
    alpha: float
    n_treated: int
    n_controls: int
    exact: bool
    distribution: np.ndarray = field(repr=False)
    term: str = "treat"

    conf_int = legacy_conf_int("interval")
    _alpha_is_fixed = True

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        lo, hi = self.interval
        return pd.DataFrame({
            "term": [self.term], "estimate": [self.estimate], "std_error": [np.nan], "statistic": [np.nan],
            "p_value": [self.pvalue], "conf_low": [lo], "conf_high": [hi], "method": ["conley_taber"],
        })

    def _summary_header(self) -> list[str]:
        how = "all pairings" if self.exact else f"{format_number(self.distribution.size)} random pairings"
        return [f"Conley-Taber (2011) inference: {self.n_treated} treated, {self.n_controls} control units ({how})",
                "interval and p-value from the distribution of control-unit residual differences; no standard error"]


def conley_taber(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    treat: str,
    covariates: Sequence[str] | None = None,
    alpha: float = 0.05,
    *,
    max_pairings: int = 200_000,
    seed: int | None = None,
) -> ConleyTaberResult:
    """Conley–Taber confidence interval for a TWFE difference-in-differences coefficient.

    Parameters
    ----------
    data
        Balanced long panel.
    y, unit, time
        Outcome, unit and period columns.
    treat
        Treatment indicator (0/1); units with any 1 are the treated units.
    covariates
        Optional time-varying controls (their coefficients are estimated with the TWFE model).
    alpha
        One minus the coverage.
    max_pairings
        Enumerate all ``N0^{N1}`` pairings of treated paths with control residuals when at most
        this many, otherwise draw this many at random (seeded).
    seed
        Seed for the random pairings.

    Returns
    -------
    ConleyTaberResult

    Notes
    -----
    The interval is valid as the number of controls grows with the treated units fixed, under
    exchangeable errors across units. Quantiles of ``Γ̂`` use numpy's default (linear) rule.
    """
    from sosek_impact.estimators.twfe import factorize, fit_fe_ols, within_transform

    covariates = list(covariates or [])
    check_columns(data, [y, unit, time, treat, *covariates])
    check_time_column(data, time, unit)
    check_missing(data, [y, unit, time, treat, *covariates], unit, time)
    check_balanced(data, unit, time)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    d = data[treat]
    if not d.isin([0, 1]).all():
        bad = d[~d.isin([0, 1])]
        raise ValueRangeError("treatment indicator must be 0 or 1", row=bad.index[0], column=treat, value=bad.iloc[0])

    data = data.sort_values([unit, time])
    units = pd.unique(data[unit])
    periods = np.sort(pd.unique(data[time]))
    n, T = len(units), len(periods)
    if not (data[treat] == 1).any():
        raise SmallGroupError(f"no treated unit: column {treat!r} is 0 everywhere")
    regs = data[[treat, *covariates]].astype(float)
    fit = fit_fe_ols(data, y, unit, time, regs, backend="within")
    a_hat = float(fit.params[treat])

    # residuals η̂ of the full TWFE regression (treated units included, as in the paper)
    uc, tc = factorize(data[unit])[0], factorize(data[time])[0]
    Z = within_transform(np.column_stack([data[y].to_numpy(dtype=float), regs.to_numpy()]), [uc, tc])
    eta = (Z[:, 0] - Z[:, 1:] @ fit.params.to_numpy()).reshape(n, T)
    D = data[treat].to_numpy(dtype=float).reshape(n, T)
    treated = D.max(axis=1) > 0
    n1, n0 = int(treated.sum()), int((~treated).sum())
    if n1 == 0:
        raise SmallGroupError("no treated unit")
    if n0 < 2:
        raise SmallGroupError(f"{n0} control unit(s); Conley-Taber needs many controls")
    Dt = D[treated] - D[treated].mean(axis=1, keepdims=True)
    denom = float((Dt**2).sum())
    if denom == 0:
        raise EstimationError("treated units are treated in every period; no within-unit variation")
    # M[j, ℓ] = Σ_t d̃_jt η̂_ℓt: treated path j paired with control ℓ's residuals
    M = Dt @ eta[~treated].T

    # n0 ** n1 pairings; compared in logs, which cannot overflow with many treated units
    exact = n1 * np.log(max(n0, 1)) <= np.log(max_pairings)
    if exact:
        sums = np.zeros(1)
        for j in range(n1):
            sums = (sums[:, None] + M[j][None, :]).ravel()
    else:
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, n0, size=(max_pairings, n1))
        sums = M[np.arange(n1)[None, :], pick].sum(axis=1)
    gamma = sums / denom
    q_lo, q_hi = np.quantile(gamma, [alpha / 2, 1 - alpha / 2])
    pvalue = float(np.mean(np.abs(gamma) >= abs(a_hat) - 1e-12 * max(1.0, abs(a_hat))))
    gamma.flags.writeable = False
    return ConleyTaberResult(
        term=str(treat), estimate=a_hat, interval=(a_hat - float(q_hi), a_hat - float(q_lo)), pvalue=pvalue, alpha=float(alpha),
        n_treated=n1, n_controls=n0, exact=bool(exact), distribution=gamma,
    )


make_module_callable(__name__)  # `from sosek_impact.inference import conley_taber` is the function either way
