"""Sun & Abraham (2021) interaction-weighted event study, ``sun_abraham``.

Step 1 — a two-way fixed-effects regression saturated in cohort × relative period:

    y_it = a_i + l_t + sum_{g} sum_{e != ref} d_ge 1{G_i = g} 1{t - g = e} + x_it' b + u_it,

run on treated cohorts and a clean comparison cohort (never-treated units, or with
``control="last"`` the last-treated cohort, whose treated periods are dropped). Each ``d_ge`` is the
cohort-specific effect CATT(g, e) relative to period ``ref`` before treatment. On a balanced panel
without covariates it equals the DiD of cohort-``g`` and comparison means between ``g + e`` and
``g + ref``: Callaway & Sant'Anna's ATT(g, g+e) with a universal base period.

Step 2 — interaction weighting: per relative period ``e``, ``sum_g w_ge d_ge`` with ``w_ge`` the
share of cohort ``g`` among the treated observations at ``e``; the overall ATT averages all
post-treatment cells (``e >= 0``) weighted by their number of treated observations. Standard errors
by the delta method with the weights held fixed (as ``fixest::aggregate``), from a cluster-robust
CR1 covariance (default cluster: unit) with fixest's small-sample factor
``G/(G-1) * (N-1)/(N-K)``, ``K = p + T`` when the unit effects are nested in the clusters
(``K = p + N_units + T - 1`` otherwise).

Relative periods count positions in the sorted distinct values of ``time``. The fixed effects are
swept out by double demeaning, exact on the balanced panel this estimator requires.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import EstimationError, SmallGroupError
from sosek_impact.estimators._checks import check_choice, check_panel, is_sorted_panel, never_treated_mask
from sosek_impact.results_protocol import ResultsProtocol, deprecated_alias, format_number, normal_tidy
from sosek_impact.estimators.saturated_fe import fit_saturated

__all__ = ["sun_abraham", "SunAbrahamResult"]


@dataclass(repr=False, eq=False)
class SunAbrahamResult(ResultsProtocol):
    """Result of :func:`sun_abraham`.

    In the package's results protocol: ``print(result)`` / ``summary()``, ``tidy()`` (the overall
    ATT first as term ``"ATT"``, then one row per relative period ``"e=k"`` with the extras
    ``event_time`` (int), ``post`` and ``n_obs``), ``conf_int()`` and ``plot()``.

    Attributes
    ----------
    table
        Per relative period: ``rel_time, att, se, ci_lower, ci_upper, n_obs`` (the reference period
        is left out).
    cohort_table
        Per cohort and relative period (the regression coefficients): ``cohort, rel_time, att, se, n_obs``.
    estimate, std_error
        Average post-treatment effect (cells ``e >= 0`` weighted by treated observations) and its
        standard error (``overall_att`` and ``overall_se`` are deprecated aliases).
    vcov
        Covariance of ``table.att``; ``cohort_vcov`` of ``cohort_table.att``.
    covariate_params
        Coefficients of the covariates (Series).
    """

    table: pd.DataFrame
    cohort_table: pd.DataFrame
    estimate: float
    std_error: float
    vcov: np.ndarray
    cohort_vcov: np.ndarray
    covariate_params: pd.Series
    n_obs: int
    n_units: int
    n_clusters: int
    settings: dict = field(default_factory=dict)

    overall_att = deprecated_alias("estimate", "overall_att")
    overall_se = deprecated_alias("std_error", "overall_se")

    def _stored_alpha(self) -> float | None:
        return float(self.settings.get("alpha", 0.05))

    def _tidy(self, alpha: float) -> pd.DataFrame:
        t = self.table
        e = [int(v) for v in t["rel_time"]]
        return normal_tidy(
            ["ATT", *(f"e={v}" for v in e)], [self.estimate, *t["att"]], [self.std_error, *t["se"]], alpha=alpha,
            event_time=pd.array([None, *e], dtype="Int64"), post=pd.array([None, *(int(v >= 0) for v in e)], dtype="Int64"),
            n_obs=pd.array([None, *(int(n) for n in t["n_obs"])], dtype="Int64"),
        )

    def _summary_header(self) -> list[str]:
        s = self.settings
        binned = f"    bins: {tuple(s['bin'])}" if s.get("bin") is not None else ""
        return [
            "Sun & Abraham (2021) interaction-weighted event study",
            f"reference period: e = {s.get('ref_period')}    control: {s.get('control')}{binned}    "
            f"observations: {format_number(self.n_obs)}    clusters: {format_number(self.n_clusters)} ({s.get('cluster')})",
            "Row 'ATT': post-treatment cells (e >= 0) weighted by treated observations",
        ]

    def _summary_footer(self) -> list[str]:
        sparse = self.table.loc[self.table["n_obs"] < self.settings.get("min_obs", 5), "rel_time"].tolist()
        if sparse:
            return [f"Note: relative periods {_ranges(sparse)} have fewer than {self.settings.get('min_obs', 5)} "
                    "treated observations; bin='sparse' pools the sparse tails"]
        return []

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Event-time figure (:func:`~sosek_impact.estimators.plotting.event_time_plot`); a Figure."""
        from sosek_impact.estimators.plotting import event_time_plot

        a = self._resolve_alpha(alpha, level)
        bins = self.settings.get("bin")
        ends = "" if bins is None else f"; end bins e <= {bins[0]}, e >= {bins[1]}"
        kwargs.setdefault("title", f"Sun & Abraham event study; post average {format_number(self.estimate, 3)} "
                                   f"(SE {format_number(self.std_error, 3)}){ends}")
        return event_time_plot(self.tidy(a), ref=int(self.settings.get("ref_period", -1)), level=1 - a, ax=ax, **kwargs)


def _sparse_bins(counts: dict[int, int], ref: int, min_obs: int) -> tuple[int, int]:
    """The widest window ``(lo, hi)`` around ``ref`` whose relative periods have ``>= min_obs`` observations.

    Walks outward from ``ref - 1`` and ``ref + 1`` while the next period is well populated; the
    end bins pool everything beyond, so each holds at least ``min_obs`` observations. The window
    keeps at least one period on each side of ``ref`` that the data have.
    """
    lo = ref
    while counts.get(lo - 1, 0) >= min_obs:
        lo -= 1
    if lo == ref and any(e < ref for e in counts):
        lo = ref - 1  # pool all earlier periods into one, never into the reference
    hi = ref
    while counts.get(hi + 1, 0) >= min_obs:
        hi += 1
    if hi == ref and any(e > ref for e in counts):
        hi = ref + 1
    return lo, hi


def _ranges(values: Sequence[int]) -> str:
    """``[-24, -23, -22, 7]`` → ``"-24..-22, 7"``."""
    values = sorted(int(v) for v in values)
    parts: list[str] = []
    start = prev = values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(str(start) if start == prev else f"{start}..{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)


def comparison_units(g_unit: np.ndarray, periods: np.ndarray, control: str) -> tuple[np.ndarray, np.ndarray]:
    """Sun–Abraham's clean comparison units and the periods kept.

    ``control="never"``: never-treated units (``g_unit == 0``), every period. ``"last"``: also the
    last-treated cohort, and only the periods before it is treated.

    Returns
    -------
    is_control : numpy.ndarray
        (n,) boolean, per unit.
    keep_t : numpy.ndarray
        (T,) boolean, per period of ``periods``.
    """
    is_control = g_unit == 0
    keep_t = np.ones(len(periods), dtype=bool)
    if control == "last":
        g_last = g_unit.max()
        is_control = is_control | (g_unit == g_last)
        keep_t = np.asarray(periods) < g_last
        if (~is_control).sum() == 0:
            raise SmallGroupError("control='last' needs at least two treated cohorts")
    else:
        check_choice("control", control, ("never", "last"))
    return is_control, keep_t


def sun_abraham(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    control: str = "never",
    covariates: Sequence[str] | None = None,
    cluster: str | None = None,
    ref_period: int = -1,
    bin: tuple[int, int] | str | None = None,
    alpha: float = 0.05,
    min_obs: int = 5,
) -> SunAbrahamResult:
    """Interaction-weighted event study of Sun & Abraham (2021) on a balanced panel.

    Parameters
    ----------
    data
        Long panel, one row per (unit, time), balanced, no missing values.
    y, unit, time
        Outcome, unit and (numeric) period columns.
    group
        First treated period (a value of ``time``); 0 or missing = never treated; a value after the
        last period counts as never treated (with a warning).
    control
        ``"never"``: never-treated units are the comparison cohort. ``"last"``: the last-treated
        cohort (with any never-treated units) is, and periods from its treatment on are dropped.
    covariates
        Time-varying covariates (time-invariant ones are absorbed by the unit effects and dropped).
    cluster
        Cluster column (default: ``unit``).
    ref_period
        Relative period left out as reference (default -1, the period before treatment).
    bin
        ``(lo, hi)``: relative periods below ``lo`` / above ``hi`` are pooled into ``lo`` / ``hi``.
        ``"sparse"``: pool the sparse tails, i.e. choose ``(lo, hi)`` as the widest window around
        the reference period in which every relative period has at least ``min_obs`` treated
        observations (each end bin then holds at least ``min_obs``). ``None`` (default) keeps every
        relative period, as R ``fixest::sunab`` and pyfixest do, and warns about sparse ones.
    alpha
        1 - confidence level of the pointwise intervals.
    min_obs
        A relative period with fewer treated observations (unit-periods of treated cohorts) is
        *sparse*: its effect rests on a handful of observations. With ``bin=None`` sparse periods
        are named in a warning; ``bin="sparse"`` pools the sparse tails. Default 5.

    Returns
    -------
    SunAbrahamResult
    """
    check_choice("control", control, ("never", "last"))
    covariates = list(covariates or [])
    data = check_panel(data, y=y, unit=unit, time=time, group=group, covariates=covariates, cluster=cluster,
                       need_never_treated=(control == "never"), allow_after_last=True)
    if isinstance(bin, str) and bin != "sparse":
        raise ValueError(f"bin must be (lo, hi), 'sparse' or None, got {bin!r}")
    if bin is not None and not isinstance(bin, str):
        lo, hi = bin
        if not lo <= ref_period <= hi:
            raise ValueError(f"ref_period {ref_period} must lie inside bin {bin}")
    if int(min_obs) < 1:
        raise ValueError(f"min_obs must be a positive integer, got {min_obs!r}")

    df = data if is_sorted_panel(data, unit, time) else data.sort_values([unit, time], kind="mergesort")
    tlist = np.sort(pd.unique(df[time]))
    n_t = len(tlist)
    units = pd.unique(df[unit])
    n_u = len(units)
    yv = df[y].to_numpy(dtype=float).reshape(n_u, n_t)
    g_unit = df[group].to_numpy(dtype=float, na_value=np.nan)[:: n_t]
    g_unit = np.where(never_treated_mask(g_unit), 0.0, g_unit)  # late groups recoded by check_panel
    xv = df[covariates].to_numpy(dtype=float).reshape(n_u, n_t, len(covariates))
    cl_col = unit if cluster is None else cluster
    cl_codes = pd.factorize(df[cl_col].to_numpy(), sort=True)[0].reshape(n_u, n_t)

    is_control, keep_t = comparison_units(g_unit, tlist, control)
    tlist, yv, xv, cl_codes = tlist[keep_t], yv[:, keep_t], xv[:, keep_t], cl_codes[:, keep_t]
    n_t = len(tlist)
    g_pos = np.where(g_unit == 0, -10**9, np.searchsorted(tlist, g_unit))  # position, may equal n_t
    rel = np.arange(n_t)[None, :] - g_pos[:, None]  # (units, periods)
    bin_request = bin
    # treated observations per relative period, before any binning
    rel_values, rel_counts = np.unique(rel[~is_control], return_counts=True)
    counts_by_rel = dict(zip(rel_values.tolist(), rel_counts.tolist()))
    if bin == "sparse":
        bin = _sparse_bins(counts_by_rel, ref_period, int(min_obs))
    if bin is not None:
        rel = np.clip(rel, bin[0], bin[1])
    else:
        sparse = [e for e, c in counts_by_rel.items() if c < min_obs and e != ref_period]
        if sparse:
            warnings.warn(
                f"relative periods {_ranges(sparse)} have fewer than {int(min_obs)} treated observations (as few as "
                f"{min(counts_by_rel[e] for e in sparse)}); their estimates rest on a handful of units. Pass "
                f"bin='sparse' to pool the sparse tails into end bins, or bin=(lo, hi)",
                UserWarning, stacklevel=2,
            )

    treated_cohorts = np.unique(g_unit[~is_control])
    cols: list[tuple[float, int]] = []
    for g in treated_cohorts:
        rels = np.unique(rel[g_unit == g])
        if ref_period not in rels:
            raise EstimationError(f"cohort {g} has no relative period {ref_period} in the data (reference period)")
        cols.extend((g, int(e)) for e in rels if e != ref_period)
    n_obs = n_u * n_t
    fit = fit_saturated(yv, xv, cl_codes, g_unit, rel, cols, covariates)
    n_int, n_cl, counts, kept_cov = len(cols), fit.n_clusters, fit.counts, fit.kept_covariates
    beta = fit.beta
    b_int, v_int = beta[:n_int], fit.cov[:n_int, :n_int]
    cohort_table = pd.DataFrame(
        {
            "cohort": np.array([g for g, _ in cols]),
            "rel_time": np.array([e for _, e in cols], dtype=int),
            "att": b_int,
            "se": np.sqrt(np.diag(v_int)),
            "n_obs": counts.astype(int),
        }
    )
    if pd.api.types.is_integer_dtype(df[time]):
        cohort_table["cohort"] = cohort_table["cohort"].astype(df[time].dtype)

    rel_times = np.unique(cohort_table["rel_time"])
    wmat = np.zeros((len(rel_times), n_int))
    for i, e in enumerate(rel_times):
        idx = np.flatnonzero(cohort_table["rel_time"].to_numpy() == e)
        wmat[i, idx] = counts[idx] / counts[idx].sum()
    att_e = wmat @ b_int
    vcov_e = wmat @ v_int @ wmat.T
    se_e = np.sqrt(np.diag(vcov_e))
    z = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame(
        {
            "rel_time": rel_times,
            "att": att_e,
            "se": se_e,
            "ci_lower": att_e - z * se_e,
            "ci_upper": att_e + z * se_e,
            "n_obs": [int(counts[cohort_table["rel_time"].to_numpy() == e].sum()) for e in rel_times],
        }
    )
    post = cohort_table["rel_time"].to_numpy() >= 0
    if not post.any():
        raise EstimationError("no post-treatment period: the overall ATT is undefined")
    w_all = np.where(post, counts, 0.0)
    w_all /= w_all.sum()
    overall = float(w_all @ b_int)
    overall_se = float(np.sqrt(w_all @ v_int @ w_all))
    return SunAbrahamResult(
        table=table,
        cohort_table=cohort_table,
        estimate=overall,
        std_error=overall_se,
        vcov=vcov_e,
        cohort_vcov=v_int,
        covariate_params=pd.Series(beta[n_int:], index=kept_cov, dtype=float),
        n_obs=n_obs,
        n_units=n_u,
        n_clusters=n_cl,
        settings=dict(y=y, unit=unit, time=time, group=group, control=control, covariates=covariates,
                      cluster=cl_col, ref_period=ref_period, bin=None if bin is None else tuple(int(b) for b in bin),
                      bin_request=bin_request, min_obs=int(min_obs), alpha=alpha),
    )


make_module_callable(__name__)  # `from sosek_impact.estimators import sun_abraham` is the function either way
