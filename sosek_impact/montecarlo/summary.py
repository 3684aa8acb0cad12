"""Summaries of Monte Carlo draws: bias, RMSE and coverage with their Monte Carlo standard errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["coverage_band", "summarise"]


def coverage_band(
    n_reps: int,
    *,
    low: float = 0.93,
    high: float = 0.97,
    nominal: float = 0.95,
    k: float = 3.0,
) -> tuple[float, float]:
    """Acceptance band for an estimated coverage rate, widened by simulation error.

    An estimated coverage from ``n_reps`` independent replications has standard error
    ``sqrt(p (1 - p) / n_reps)`` with ``p`` the true coverage; at ``p = nominal`` this is
    the Monte Carlo noise of a correct interval. The band ``[low - k se, high + k se]``
    accepts a correct interval except with probability of order ``2 Phi(-k)`` (0.3 % at
    ``k = 3``), while an interval whose true coverage lies outside ``[low, high]`` by more
    than ``2 k se`` is rejected with high probability.
    """
    se = math.sqrt(nominal * (1.0 - nominal) / n_reps)
    return max(0.0, low - k * se), min(1.0, high + k * se)


def summarise(draws: pd.DataFrame, *, sigma: float | None = None) -> pd.DataFrame:
    """Bias, RMSE and coverage per method, with Monte Carlo standard errors.

    Parameters
    ----------
    draws
        Output of :func:`run_monte_carlo`.
    sigma
        Scale for ``bias_sigma`` and ``rmse_sigma``; default ``draws.attrs["design"]["sigma"]``
        or 1.

    Returns
    -------
    pandas.DataFrame
        Indexed by method (in order of appearance): ``reps`` (successful), ``failures``,
        ``bias`` (mean of estimate - truth), ``mcse_bias`` (its standard error,
        sd / sqrt(reps)), ``bias_sigma`` and ``mcse_bias_sigma`` (divided by ``sigma``),
        ``sd`` (of the estimate), ``rmse_sigma``, ``mean_se`` (mean reported standard error),
        ``coverage`` (share of intervals holding the truth, NaN if the method gives no
        interval; an unbounded interval covers), ``mcse_coverage`` (``sqrt(c (1 - c) / reps)``),
        ``ci_width`` (mean over bounded intervals), ``infinite_ci`` (number of unbounded intervals),
        ``seconds`` (mean per fit).
    """
    if sigma is None:
        sigma = float(draws.attrs.get("design", {}).get("sigma", 1.0))
    out = []
    for name, d in draws.groupby("method", sort=False):
        ok = d[np.isfinite(d["estimate"])]
        err = ok["estimate"] - ok["truth"]
        n = len(ok)
        # an infinite (unbounded) interval is an interval and covers; NaN means no interval
        has_ci = ok["ci_low"].notna() & ok["ci_high"].notna()
        finite_ci = has_ci & np.isfinite(ok["ci_low"]) & np.isfinite(ok["ci_high"])
        cov = float(((ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"]))[has_ci].mean()) if has_ci.any() else math.nan
        n_ci = int(has_ci.sum())
        bias = float(err.mean()) if n else math.nan
        sd = float(ok["estimate"].std(ddof=1)) if n > 1 else math.nan
        mcse = float(err.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        out.append(
            {
                "method": name,
                "reps": n,
                "failures": int(len(d) - n),
                "bias": bias,
                "mcse_bias": mcse,
                "bias_sigma": bias / sigma,
                "mcse_bias_sigma": mcse / sigma,
                "sd": sd,
                "rmse_sigma": float(np.sqrt((err**2).mean())) / sigma if n else math.nan,
                "mean_se": float(ok["se"].mean()) if ok["se"].notna().any() else math.nan,
                "coverage": cov,
                "mcse_coverage": math.sqrt(cov * (1 - cov) / n_ci) if n_ci else math.nan,
                "ci_width": float((ok["ci_high"] - ok["ci_low"])[finite_ci].mean()) if finite_ci.any() else math.nan,
                "infinite_ci": int((has_ci & ~finite_ci).sum()),
                "seconds": float(d["seconds"].mean()),
            }
        )
    return pd.DataFrame(out).set_index("method")
