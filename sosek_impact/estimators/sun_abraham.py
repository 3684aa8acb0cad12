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

import sys
import types
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError, SmallGroupError
from sosek_impact.estimators._checks import check_panel, is_sorted_panel, never_treated_mask
from sosek_impact.estimators.saturated_fe import fit_saturated

__all__ = ["sun_abraham", "SunAbrahamResult"]


@dataclass
class SunAbrahamResult:
    """Result of :func:`sun_abraham`.

    Attributes
    ----------
    table
        Per relative period: ``rel_time, att, se, ci_lower, ci_upper, n_obs`` (the reference period
        is left out).
    cohort_table
        Per cohort and relative period (the regression coefficients): ``cohort, rel_time, att, se, n_obs``.
    overall_att, overall_se
        Average post-treatment effect (cells ``e >= 0`` weighted by treated observations).
    vcov
        Covariance of ``table.att``; ``cohort_vcov`` of ``cohort_table.att``.
    covariate_params
        Coefficients of the covariates (Series).
    """

    table: pd.DataFrame
    cohort_table: pd.DataFrame
    overall_att: float
    overall_se: float
    vcov: np.ndarray
    cohort_vcov: np.ndarray
    covariate_params: pd.Series
    n_obs: int
    n_units: int
    n_clusters: int
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        """Plain-text event-study table with the overall ATT."""
        return "\n".join(
            [
                f"Sun-Abraham interaction-weighted event study (ref_period={self.settings.get('ref_period')}, "
                f"control={self.settings.get('control')}), n_obs={self.n_obs}, clusters={self.n_clusters}",
                self.table.to_string(index=False, float_format=lambda v: f"{v: .5f}"),
                f"Overall ATT = {self.overall_att:.5f} (se {self.overall_se:.5f})",
            ]
        )


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
    bin: tuple[int, int] | None = None,
    alpha: float = 0.05,
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
    alpha
        1 - confidence level of the pointwise intervals.

    Returns
    -------
    SunAbrahamResult
    """
    if control not in ("never", "last"):
        raise ValueError(f"control must be 'never' or 'last', got {control!r}")
    covariates = list(covariates or [])
    check_panel(data, y=y, unit=unit, time=time, group=group, covariates=covariates, cluster=cluster,
                need_never_treated=(control == "never"), allow_after_last=True)
    if bin is not None:
        lo, hi = bin
        if not lo <= ref_period <= hi:
            raise ValueError(f"ref_period {ref_period} must lie inside bin {bin}")

    df = data if is_sorted_panel(data, unit, time) else data.sort_values([unit, time], kind="mergesort")
    tlist = np.sort(pd.unique(df[time]))
    n_t = len(tlist)
    units = pd.unique(df[unit])
    n_u = len(units)
    yv = df[y].to_numpy(dtype=float).reshape(n_u, n_t)
    g_unit = df[group].to_numpy(dtype=float, na_value=np.nan)[:: n_t]
    g_unit = np.where(never_treated_mask(g_unit), 0.0, g_unit)
    late = g_unit > tlist[-1]
    if late.any():
        warnings.warn(f"{int(late.sum())} unit(s) first treated after the last period {tlist[-1]} count as never treated",
                      stacklevel=2)
        g_unit = np.where(late, 0.0, g_unit)
    xv = df[covariates].to_numpy(dtype=float).reshape(n_u, n_t, len(covariates))
    cl_col = unit if cluster is None else cluster
    cl_codes = pd.factorize(df[cl_col].to_numpy(), sort=True)[0].reshape(n_u, n_t)

    keep_t = np.ones(n_t, dtype=bool)
    is_control = g_unit == 0
    if control == "last":
        g_last = g_unit.max()
        is_control = is_control | (g_unit == g_last)
        keep_t = tlist < g_last
        if (~is_control).sum() == 0:
            raise SmallGroupError("control='last' needs at least two treated cohorts")
    tlist, yv, xv, cl_codes = tlist[keep_t], yv[:, keep_t], xv[:, keep_t], cl_codes[:, keep_t]
    n_t = len(tlist)
    g_pos = np.where(g_unit == 0, -10**9, np.searchsorted(tlist, g_unit))  # position, may equal n_t
    rel = np.arange(n_t)[None, :] - g_pos[:, None]  # (units, periods)
    if bin is not None:
        rel = np.clip(rel, bin[0], bin[1])

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
        overall_att=overall,
        overall_se=overall_se,
        vcov=vcov_e,
        cohort_vcov=v_int,
        covariate_params=pd.Series(beta[n_int:], index=kept_cov, dtype=float),
        n_obs=n_obs,
        n_units=n_u,
        n_clusters=n_cl,
        settings=dict(y=y, unit=unit, time=time, group=group, control=control, covariates=covariates,
                      cluster=cl_col, ref_period=ref_period, bin=bin, alpha=alpha),
    )


class _CallableModule(types.ModuleType):
    """Make ``sosek_impact.estimators.sun_abraham`` callable even once it is bound to this module.

    The module shares its name with the function; after ``import sosek_impact.estimators.sun_abraham``
    the package attribute is the module, so ``from sosek_impact.estimators import sun_abraham`` would
    return the module. Calling the module calls the function.
    """

    def __call__(self, *args, **kwargs):  # noqa: D102
        return sun_abraham(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
