"""Dynamic (event-study) TWFE regression around the first treated period.

``y_it = α_i + λ_t + Σ_{e ≠ ref} β_e · 1{t - G_i = e} + γ'x_it + e_it`` on the treated units'
event times ``e``, with never-treated units (group 0 or missing) carrying no event dummy. The
end points ``-leads`` and ``lags`` are *binned* by default: ``e ≤ -leads`` share the coefficient
of ``-leads`` and ``e ≥ lags`` that of ``lags`` (Schmidheiny & Siegloch 2023). Without binning,
observations of treated units outside the window are dropped (trimmed), never pooled with the
reference period. The period ``ref`` (−1 by default) is omitted, so every ``β_e`` is relative to
the last period before treatment.

With staggered adoption and heterogeneous effects these coefficients mix cohorts with possibly
negative weights (Sun & Abraham 2021); use them as a diagnostic next to the heterogeneity-robust
estimators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import EstimationError
from sosek_impact.estimators._checks import check_panel, never_treated_mask
from sosek_impact.estimators.twfe import TWFEResults, fit_fe_ols
from sosek_impact.results_protocol import format_number, pvalue_phrase

__all__ = ["event_study", "EventStudyResults", "WaldTest", "wald_test"]


class WaldTest(NamedTuple):
    """A joint Wald test of ``q`` linear restrictions ``β = 0``.

    ``statistic`` is the F form ``W/q`` with ``df = (q, G-1)`` and ``pvalue`` from F(q, G-1),
    the small-cluster reference used by Stata after clustered regressions; ``chi2`` and
    ``chi2_pvalue`` give the asymptotic χ²(q) version of the same statistic ``W``.
    """

    statistic: float
    df: tuple[int, int | None]
    pvalue: float
    chi2: float
    chi2_pvalue: float
    terms: tuple[str, ...]


def wald_test(params: pd.Series, cov: pd.DataFrame, terms: Sequence[str], df_denom: int | None) -> WaldTest:
    """Joint Wald test that the coefficients ``terms`` are all zero.

    Parameters
    ----------
    params, cov
        Estimates and their covariance.
    terms
        Names of the tested coefficients.
    df_denom
        Denominator degrees of freedom of the F reference (``G - 1``); ``None`` → χ² only.
    """
    terms = list(terms)
    if not terms:
        raise EstimationError("no coefficient to test (no lead in the event window)")
    b = params.loc[terms].to_numpy()
    V = cov.loc[terms, terms].to_numpy()
    q = int(np.linalg.matrix_rank(V))
    W = float(b @ np.linalg.pinv(V) @ b)
    chi2_p = float(stats.chi2.sf(W, q))
    F = W / q
    p = float(stats.f.sf(F, q, df_denom)) if df_denom else chi2_p
    return WaldTest(F, (q, df_denom), p, W, chi2_p, tuple(terms))


class EventStudyResults(TWFEResults):
    """Event-study coefficients; ``params`` are indexed ``"e=-3"``, ..., ``"e=0"``, ..., then covariates.

    Attributes
    ----------
    event_times
        The estimated event times (reference omitted), in order.
    ref
        The omitted reference event time.
    pretrend
        Joint Wald test that all lead coefficients (event times < 0) are zero.
    """

    def __init__(
        self,
        *args: Any,
        event_times: Sequence[int] = (),
        ref: int = -1,
        pretrend: WaldTest | None = None,
        binned: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._set(event_times=tuple(int(e) for e in event_times), ref=int(ref), pretrend=pretrend, binned=bool(binned))

    def _tidy(self, alpha: float) -> pd.DataFrame:
        out = super()._tidy(alpha)
        by_name = {f"e={e}": e for e in self.event_times}
        out["event_time"] = pd.array([by_name.get(t) for t in out["term"]], dtype="Int64")
        out["post"] = pd.array([None if e is None else int(e >= 0) for e in map(by_name.get, out["term"])],
                               dtype="Int64")
        return out

    def _summary_footer(self) -> list[str]:
        lines = [f"Reference event time {self.ref} omitted; end points {'binned' if self.binned else 'trimmed'}."]
        pre = self.pretrend
        if pre is not None:
            lines.append(f"Joint test of leads: F({pre.df[0]}, {pre.df[1]}) = {format_number(pre.statistic)}, "
                         f"{pvalue_phrase(pre.pvalue)}")
        return lines

    def estimates(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficients by event time, with the reference period as a row of zeros.

        Returns
        -------
        DataFrame
            Columns ``event_time, estimate, std_error, conf_low, conf_high``, sorted by event time.
        """
        t = self.tidy(level=level)
        t = t.loc[t["event_time"].notna(), ["event_time", "estimate", "std_error", "conf_low", "conf_high"]]
        t["event_time"] = t["event_time"].astype("int64")
        ref = pd.DataFrame({"event_time": [self.ref], "estimate": [0.0], "std_error": [0.0],
                            "conf_low": [0.0], "conf_high": [0.0]})
        return pd.concat([t, ref], ignore_index=True).sort_values("event_time", ignore_index=True)

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Coefficients by event time with pointwise intervals (:func:`~sosek_impact.estimators.plotting.event_time_plot`).

        Returns the matplotlib Figure; the title reports the joint test of the leads.
        """
        from sosek_impact.estimators.plotting import event_time_plot

        a = self._resolve_alpha(*self._legacy(alpha, level))
        pre = self.pretrend
        if "title" not in kwargs and pre is not None:
            kwargs["title"] = (f"Event study; joint test of leads F({pre.df[0]}, {pre.df[1]}) = "
                               f"{format_number(pre.statistic, 3)}, {pvalue_phrase(pre.pvalue)}")
        return event_time_plot(self.tidy(a), ref=self.ref, level=1 - a, ax=ax, **kwargs)


def event_times_of(data: pd.DataFrame, time: str, group: str) -> np.ndarray:
    """Event time ``t - G`` of every row; NaN for never-treated units (group 0 or missing)."""
    g = data[group].to_numpy(dtype=float, na_value=np.nan)
    rel = data[time].to_numpy(dtype=float) - g
    rel[never_treated_mask(data[group])] = np.nan
    return rel


def event_study(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    leads: int | None = None,
    lags: int | None = None,
    bin_endpoints: bool = True,
    ref: int = -1,
    covariates: Sequence[str] | None = None,
    cluster: str | Sequence[str] | None = None,
    weights: str | None = None,
    backend: str = "within",
) -> EventStudyResults:
    """Event-study regression with unit and time effects and a joint pre-trend test.

    Parameters
    ----------
    data
        Long panel, one row per (unit, time).
    y, unit, time
        Outcome, unit and period columns.
    group
        First treated period of each unit (constant within unit); 0 or missing = never treated;
        a value after the last period counts as never treated (with a warning), as in
        :func:`~sosek_impact.estimators.att_gt`.
    leads
        Earliest event time shown is ``-leads``; ``None`` → the earliest observed.
    lags
        Latest event time shown is ``lags``; ``None`` → the latest observed.
    bin_endpoints
        Pool event times beyond the window into the end points (default); otherwise drop those
        observations of treated units.
    ref
        Omitted reference event time (default −1).
    covariates, cluster, weights, backend
        As in :func:`~sosek_impact.estimators.twfe`; clustered by ``unit`` by default.

    Returns
    -------
    EventStudyResults
        With ``estimates()``, ``pretrend`` (joint Wald test of the leads) and ``plot()``.

    Raises
    ------
    GroupColumnError, TreatedInFirstPeriodError, SmallGroupError, MissingValueError
        From the shared panel checks.
    """
    covariates = list(covariates or [])
    data = check_panel(data, y=y, unit=unit, time=time, group=group, covariates=covariates,
                       weights=weights, balanced=False, allow_after_last=True)
    rel = event_times_of(data, time, group)
    treated = ~np.isnan(rel)
    lo = int(np.nanmin(rel)) if leads is None else -int(leads)
    hi = int(np.nanmax(rel)) if lags is None else int(lags)
    if not lo <= ref <= hi:
        raise EstimationError(f"reference event time {ref} lies outside the window [{lo}, {hi}]")
    keep = np.ones(len(data), dtype=bool)
    if bin_endpoints:
        rel = np.where(treated, np.clip(rel, lo, hi), np.nan)
    else:
        keep = ~treated | ((rel >= lo) & (rel <= hi))
    sub = data.loc[keep]
    rel = rel[keep]
    times = [e for e in range(lo, hi + 1) if e != ref and np.any(rel == e)]
    dummies = pd.DataFrame({f"e={e}": (rel == e).astype(float) for e in times}, index=sub.index)
    regressors = pd.concat([dummies, sub[covariates].astype(float)], axis=1)
    try:
        fit = fit_fe_ols(sub, y, unit, time, regressors, cluster=cluster, weights=weights,
                         method="Event study (unit and time effects)", backend=backend)
    except EstimationError as exc:
        if never_treated_mask(sub[group]).any():
            raise
        raise EstimationError(
            f"{exc}\nNo never-treated unit: event-time dummies and unit and time effects are collinear "
            "unless the end points are binned (leads/lags inside the observed range) or another "
            "event time is excluded."
        ) from exc
    lead_terms = [f"e={e}" for e in times if e < 0]
    pretrend = wald_test(fit.params, fit.cov, lead_terms, fit.df_inference) if lead_terms else None
    info = dict(fit.info, window=f"[{lo}, {hi}]", n_dropped_outside_window=int((~keep).sum()))
    return EventStudyResults(
        params=fit.params, cov=fit.cov, nobs=fit.nobs, cov_type=fit.cov_type,
        df_inference=fit.df_inference, method=fit.method, info=info,
        event_times=tuple(times), ref=ref, pretrend=pretrend, binned=bin_endpoints, spec=fit.spec,
    )


make_module_callable(__name__)  # `from sosek_impact.estimators import event_study` is the function either way
