"""Weights of the treated cells in the TWFE coefficient (de Chaisemartin & D'Haultfœuille 2020).

With ``eps_it`` the residual of the regression of the treatment ``D_it`` on unit and period
effects (on a balanced panel: the two-way demeaned ``D``), the TWFE coefficient is

``beta_fe = sum_{D_it = 1} w_it * Y_it-effect``,  ``w_it = eps_it / sum_{D_js = 1} eps_js``

under parallel trends (dCDH 2020, Theorem 1): a weighted sum of the treatment effects of the
treated (unit, period) cells whose weights sum to one and can be negative. Reported, as by the
authors' ``twowayfeweights`` package (R 2.0.4, ``type = "feTR"``, ``G`` = the unit):

- the weights; the number of positive and negative ones and their sums (weights within
  ``1e-10`` of zero count as zero);
- ``sigma_fe = |beta_fe| / sd(w)``: the smallest standard deviation of the cells' treatment
  effects compatible with ``beta_fe`` and an average treatment effect on the treated (ATT) of
  zero (Corollary 1), hence the smallest under which the ATT could have the opposite sign to
  ``beta_fe``. ``sd(w)`` is the standard deviation of the normalised weights ``W = w / s``
  (``s`` = 1 / number of treated cells) with the package's degrees-of-freedom factor
  ``sqrt(M / (M - 1))``, ``M`` the number of treated cells;
- ``sigma_fe_all_opposite``: the smallest such standard deviation compatible with *every*
  cell's effect having the opposite sign to ``beta_fe`` (Corollary 1 (ii)); only when some
  weight is negative, NaN otherwise.

Balanced panels, no covariates and no sampling weights; the treatment is a staggered adoption
(``group``) or any 0/1 column (``treatment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact._callable_module import make_module_callable
from sosek_impact.diagnostics._timing_panel import double_demean, timing_panel, twfe_coefficient
from sosek_impact.results_protocol import ResultsProtocol, format_number

__all__ = ["TWFEWeightsResult", "twfe_weights"]

_ZERO = 1e-10


@dataclass(repr=False, eq=False)
class TWFEWeightsResult(ResultsProtocol):
    """Result of :func:`twfe_weights`.

    In the package's results protocol ``tidy()`` has one row per treated cell (term
    ``"g=<cohort>, t=<period>"`` with ``group``, or ``"<unit>, t=<period>"``): ``estimate`` is
    the cell's weight; no standard errors (the weights are arithmetic on the design). Extras:
    ``group``/``unit``, ``time``, ``n_units``.

    Attributes
    ----------
    cells
        Treated cells: ``group`` (or ``unit``), ``time``, ``weight`` (summing to 1), ``n_units``.
        With ``group`` a cell pools the units of a cohort, which share one weight each.
    beta_fe
        The TWFE coefficient.
    n_positive, n_negative
        Treated (unit, period) observations with a positive / negative weight.
    sum_positive, sum_negative
        Their sums of weights.
    sigma_fe, sigma_fe_all_opposite
        The two sensitivity measures of the module docstring.
    """

    cells: pd.DataFrame
    beta_fe: float
    n_positive: int
    n_negative: int
    sum_positive: float
    sum_negative: float
    sigma_fe: float
    sigma_fe_all_opposite: float

    def _tidy(self, alpha: float) -> pd.DataFrame:
        c = self.cells
        key = "group" if "group" in c.columns else "unit"
        terms = [f"{'g=' if key == 'group' else ''}{a}, t={b}" for a, b in zip(c[key], c["time"])]
        nan = np.full(len(c), np.nan)
        return pd.DataFrame({"term": terms, "estimate": c["weight"].to_numpy(), "std_error": nan, "statistic": nan,
                             "p_value": nan, "conf_low": nan, "conf_high": nan, key: c[key].to_numpy(),
                             "time": c["time"].to_numpy(), "n_units": c["n_units"].to_numpy()})

    _summary_columns = ("estimate", "n_units")

    def _summary_header(self) -> list[str]:
        n = self.n_positive + self.n_negative
        return [
            "TWFE weights of the treated cells (de Chaisemartin & D'Haultfoeuille 2020)",
            f"beta_fe = {format_number(self.beta_fe)} is a weighted sum of {n} treated-observation effects: "
            f"{self.n_positive} weights positive (sum {format_number(self.sum_positive)}), "
            f"{self.n_negative} negative (sum {format_number(self.sum_negative)})",
            "Column 'estimate' = weight of the cell (per cell, summed over its units)",
        ]

    def _summary_footer(self) -> list[str]:
        lines = [f"sigma_fe = {format_number(self.sigma_fe)}: smallest sd of the effects compatible with beta_fe "
                 "and an ATT of zero (or of the opposite sign)"]
        if np.isfinite(self.sigma_fe_all_opposite):
            lines.append(f"sigma_fe (all effects of opposite sign) = {format_number(self.sigma_fe_all_opposite)}")
        return lines

    def plot(self, ax: Any = None) -> Any:
        """Weights of the treated cells against the period (one line per cohort with ``group``),
        negative weights marked by red crosses; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 4))
        c = self.cells
        if "group" in c.columns:
            for g, part in c.groupby("group", sort=True):
                ax.plot(part["time"], part["weight"], "o-", markersize=4, linewidth=1, label=f"cohort {g}")
        else:
            ax.scatter(c["time"], c["weight"], s=12, color="C0", label="treated cell")
        neg = c[c["weight"] < 0]
        ax.scatter(neg["time"], neg["weight"], s=60, marker="x", color="C3", zorder=3, label="negative weight")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("period")
        ax.set_ylabel("weight in the TWFE coefficient")
        ax.set_title(f"TWFE weights: {self.n_negative} of {self.n_positive + self.n_negative} treated observations "
                     f"negative (sum {format_number(self.sum_negative, 3)})", fontsize=10)
        ax.legend(frameon=False, fontsize=8)
        return fig


def twfe_weights(
    data: pd.DataFrame, y: str, unit: str, time: str, group: str | None = None, *, treatment: str | None = None
) -> TWFEWeightsResult:
    """Weights of the treated cells in the TWFE coefficient and the sensitivity measures.

    Parameters
    ----------
    data
        Balanced long panel, one row per (unit, period).
    y
        Outcome column (only ``beta_fe`` uses it; the weights depend on the design alone).
    unit, time
        Unit and (numeric) period columns.
    group
        First treated period (0 or missing = never treated); cells are then (cohort, period).
    treatment
        Instead of ``group``: a 0/1 treatment column (may switch on and off); cells are then
        (unit, period).

    Returns
    -------
    TWFEWeightsResult

    Raises
    ------
    SchemaError, MissingValueError, UnbalancedPanelError, GroupColumnError, ValueRangeError,
    EstimationError
        Bad columns, an unbalanced panel, a treatment that is not 0/1 or never changes.
    """
    p = timing_panel(data, y, unit, time, group, treatment=treatment)
    eps = double_demean(p.d)
    treated = p.d == 1
    w = np.where(treated, eps, 0.0) / eps[treated].sum()  # (n, T) observation weights, sum 1
    w = np.where(np.abs(w) < _ZERO, 0.0, w)
    wt = w[treated]
    beta = twfe_coefficient(p.y, p.d)
    sig, sig2 = _sensitivity(beta, wt)
    ui, ti = np.nonzero(treated)
    obs = pd.DataFrame({"unit": p.units[ui], "time": _periods(p.periods[ti]), "weight": w[ui, ti]})
    if group is not None:
        obs["group"] = _periods(p.unit_group[ui])
        cells = obs.groupby(["group", "time"], sort=True).agg(weight=("weight", "sum"), n_units=("unit", "size"))
        cells = cells.reset_index()
    else:
        cells = obs.assign(n_units=1)[["unit", "time", "weight", "n_units"]]
    return TWFEWeightsResult(
        cells=cells, beta_fe=beta, n_positive=int((wt > 0).sum()), n_negative=int((wt < 0).sum()),
        sum_positive=float(wt[wt > 0].sum()), sum_negative=float(wt[wt < 0].sum()), sigma_fe=sig,
        sigma_fe_all_opposite=sig2,
    )


def _sensitivity(beta: float, w: np.ndarray) -> tuple[float, float]:
    """``sigma_fe`` and the all-opposite-sign measure from the weights of the M treated observations."""
    m = w.size
    s = np.full(m, 1.0 / m)  # share of each treated observation
    big_w = w / s  # normalised weights, s-weighted mean 1
    sd = np.sqrt(np.sum(s * (big_w - 1.0) ** 2) * m / (m - 1)) if m > 1 else np.nan
    sigma_fe = abs(beta) / sd if sd > 0 else np.nan
    nonzero = w != 0
    if not (w < 0).any():
        return float(sigma_fe), float("nan")
    big_w, s, w = big_w[nonzero], s[nonzero], w[nonzero]
    order = np.argsort(big_w, kind="mergesort")  # ascending; cumulate from the most negative weight
    bw, ss, ww = big_w[order], s[order], w[order]
    p_k, s_k, t_k = np.cumsum(ss), np.cumsum(ww), np.cumsum(ss * bw**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        measure = abs(beta) / np.sqrt(t_k + s_k**2 / (1.0 - p_k))
        crosses = bw < -s_k / (1.0 - p_k)
    # Corollary 1 (ii): the measure at the last position (from the most negative weight on)
    # where the normalised weight is still below -S_k / (1 - P_k).
    desc = crosses[::-1].astype(int)  # largest weight first, as the paper orders them
    desc[0] = 0
    lagged = np.concatenate([[-1], desc[:-1]])
    k = int(np.maximum(desc, lagged).sum())
    return float(sigma_fe), float(measure[k - 1]) if k >= 1 else float("nan")


def _periods(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v.astype(np.int64) if np.all(np.isfinite(v)) and np.all(v == np.round(v)) else v


make_module_callable(__name__)  # `from sosek_impact.diagnostics import twfe_weights` is the function either way
