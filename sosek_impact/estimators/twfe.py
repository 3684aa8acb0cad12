"""Two-way fixed-effects (TWFE) difference-in-differences, checked against linearmodels' ``PanelOLS``.

Two backends solve the same normal equations. ``backend="within"`` (default) sweeps out the unit
and time effects by alternating projections (Gaure 2013; the method of ``fixest`` and
``reghdfe``) and solves least squares on the within-transformed data; ``backend="panelols"``
takes the coefficients from :class:`linearmodels.panel.PanelOLS` with entity and time effects.
They agree to round-off (``tests/twfe``); the default is the within backend because PanelOLS
costs about ten times as much on large panels and the covariance below needs the within
transform anyway. The cluster-robust covariance is computed here in both cases (CRV1, the
convention of Stata's ``reghdfe``, R's ``fixest`` and pyfixest) from the within-transformed data,
so that standard errors agree with those programs: ``V = c · (X'X)^{-1} (Σ_g s_g s_g') (X'X)^{-1}``
with cluster scores ``s_g = Σ_{i∈g} ẍ_i w_i e_i`` and small-sample factor
``c = G/(G-1) · (N-1)/(N-K)`` where ``K`` counts the regressors plus the fixed-effect parameters
that are not nested in the cluster (a fixed effect nested in the cluster counts as one
parameter, like an intercept).

The helpers :func:`within_transform` and :func:`cluster_scores_cov` are reused by the event study
and the wild cluster bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import EstimationError, ValueRangeError
from sosek_impact.estimators._checks import (check_choice, check_columns, check_missing, check_numeric, check_panel,
                                             check_time_column, check_treatment_dummy, check_unique_pairs)
from sosek_impact.estimators.results import EstimationResults

__all__ = ["twfe", "within_transform", "cluster_scores_cov", "TWFEResults", "factorize"]


def factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes ``0..L-1`` of the levels of ``values`` and the number of levels ``L``."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values)), sort=True)
    return codes.astype(np.intp), len(uniques)


def within_transform(
    arrays: np.ndarray,
    fe_codes: Sequence[np.ndarray],
    weights: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Partial out one or several sets of fixed effects by alternating projections.

    Each pass subtracts the (weighted) group mean of every fixed effect in turn, the method of
    alternating projections (Gaure 2013) behind ``fixest`` and ``reghdfe``; one set of fixed
    effects, or two on a balanced panel, converge in a single pass.

    Parameters
    ----------
    arrays
        ``(N,)`` or ``(N, k)`` array of variables to transform.
    fe_codes
        Integer codes (``0..L-1``) of each fixed effect, each of length ``N``.
    weights
        Optional non-negative observation weights (weighted means are subtracted).
    tol
        Stop when the largest change of a pass is below ``tol`` times the scale of the data.
    max_iter
        Give up with :class:`~sosek_impact.errors.EstimationError` after this many passes.

    Returns
    -------
    ndarray
        The residuals of the projection on the fixed-effect dummies, same shape as ``arrays``.
    """
    out = np.array(arrays, dtype=float, copy=True)
    squeeze = out.ndim == 1
    if squeeze:
        out = out[:, None]
    if not fe_codes:
        return out[:, 0] if squeeze else out
    w = np.ones(out.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    sizes = [np.bincount(c, weights=w) for c in fe_codes]
    sizes = [np.where(s > 0, s, 1.0) for s in sizes]
    scale = max(float(np.abs(out).max(initial=0.0)), 1.0)
    for _ in range(max_iter):
        change = 0.0
        for codes, size in zip(fe_codes, sizes):
            for j in range(out.shape[1]):
                means = np.bincount(codes, weights=w * out[:, j], minlength=len(size)) / size
                step = means[codes]
                out[:, j] -= step
                change = max(change, float(np.abs(step).max(initial=0.0)))
        if len(fe_codes) == 1 or change < tol * scale:
            break
    else:
        raise EstimationError(f"fixed effects did not converge after {max_iter} alternating projections")
    return out[:, 0] if squeeze else out


def _nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """Whether every level of ``inner`` lies within a single level of ``outer``."""
    pairs = pd.DataFrame({"i": inner, "o": outer}).drop_duplicates()
    return not pairs["i"].duplicated().any()


def cluster_scores_cov(
    X: np.ndarray,
    resid: np.ndarray,
    clusters: Sequence[np.ndarray],
    *,
    weights: np.ndarray | None = None,
    k: int | None = None,
) -> tuple[np.ndarray, int]:
    """CRV1 covariance of OLS/WLS coefficients, one- or multi-way clustered.

    Multi-way clustering follows Cameron, Gelbach & Miller (2011): the sum over non-empty subsets
    of the clustering dimensions, with alternating signs, each using the intersection clusters.
    As in ``fixest`` (``G_df = "min"``) every term uses the factor ``G_min/(G_min - 1)``.

    Parameters
    ----------
    X
        ``(N, k)`` regressors (already within-transformed).
    resid
        ``(N,)`` residuals.
    clusters
        Integer codes of each clustering dimension.
    weights
        Optional observation weights (WLS).
    k
        Number of parameters for the factor ``(N-1)/(N-k)``; ``X.shape[1]`` by default.

    Returns
    -------
    cov, G_min
        The ``(k, k)`` covariance and the smallest number of clusters.
    """
    n, p = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    XwX = X.T @ (X * w[:, None])
    bread = np.linalg.pinv(XwX)
    scores = X * (w * resid)[:, None]
    g_min = min(int(c.max()) + 1 for c in clusters)
    meat = np.zeros((p, p))
    dims = len(clusters)
    for mask in range(1, 2**dims):
        chosen = [clusters[d] for d in range(dims) if mask >> d & 1]
        if len(chosen) == 1:
            codes = chosen[0]
        else:
            codes = pd.MultiIndex.from_arrays(chosen).factorize()[0]
        ng = int(codes.max()) + 1
        S = np.zeros((ng, p))
        np.add.at(S, codes, scores)
        sign = 1.0 if bin(mask).count("1") % 2 == 1 else -1.0
        meat += sign * S.T @ S
    k = p if k is None else k
    c = g_min / (g_min - 1) * (n - 1) / (n - k)
    cov = c * bread @ meat @ bread
    if dims > 1:  # CGM's sum can lose positive definiteness; clip as fixest does
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        cov = (vecs * np.clip(vals, 0, None)) @ vecs.T
    return cov, g_min


class TWFEResults(EstimationResults):
    """Results of :func:`twfe`; see :class:`~sosek_impact.estimators.results.EstimationResults`.

    ``spec`` keeps what is needed to refit (the data, column names, regressors, clustering), so
    that inference such as :func:`~sosek_impact.inference.wild_bootstrap.wild_cluster_bootstrap_from`
    can start from a result.
    """

    def __init__(self, *args: Any, spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set(spec=None if spec is None else dict(spec))

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None,
             title: str | None = None) -> Any:
        """Coefficients with their confidence intervals, one row per term (a matplotlib Figure).

        Parameters
        ----------
        alpha, level
            1 - coverage of the intervals, or the coverage (as in :meth:`conf_int`).
        ax
            Axes to draw on; a new Figure is made when ``None``.
        title
            Title; default names the method and the covariance.

        Returns
        -------
        matplotlib.figure.Figure
            Not shown, not saved. Intervals are those of :meth:`tidy` (t with ``df_inference``
            degrees of freedom); a missing interval is drawn as a point without bar.
        """
        from matplotlib.figure import Figure

        a = self._resolve_alpha(*self._legacy(alpha, level))
        t = self.tidy(a)
        if ax is None:
            fig = Figure(figsize=(6.5, 1.2 + 0.45 * len(t)), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        pos = np.arange(len(t))[::-1]
        b = t["estimate"].to_numpy(dtype=float)
        err = np.vstack([b - t["conf_low"].to_numpy(dtype=float), t["conf_high"].to_numpy(dtype=float) - b])
        ax.errorbar(b, pos, xerr=np.nan_to_num(err, nan=0.0), fmt="o", color="C1", ecolor="C1", elinewidth=1.2,
                    capsize=3, markersize=5, label=f"estimate, {1 - a:.0%} interval")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(pos, [str(term) for term in t["term"]])
        ax.set_ylim(-0.7, len(t) - 0.3)
        ax.set_xlabel("Coefficient")
        ax.grid(axis="x", color="0.9", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(title if title is not None else f"{self.method}; {self.cov_type}", fontsize=10)
        ax.legend(frameon=False, fontsize=8)
        return fig


def _cluster_columns(unit: str, time: str, cluster: str | Sequence[str] | None) -> list[str]:
    if cluster is None:
        return [unit]
    if isinstance(cluster, str) and cluster == "twoway":
        return [unit, time]
    return [cluster] if isinstance(cluster, str) else list(cluster)


def _cluster_codes(data: pd.DataFrame, unit: str, time: str, cluster: str | Sequence[str] | None) -> tuple[list[np.ndarray], str]:
    cols = _cluster_columns(unit, time, cluster)
    check_columns(data, cols)
    check_missing(data, cols)
    label = "two-way " if len(cols) == 2 else ""
    return [factorize(data[c])[0] for c in cols], f"clustered {label}({', '.join(cols)})"


def fit_fe_ols(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    regressors: pd.DataFrame,
    *,
    cluster: str | Sequence[str] | None = None,
    weights: str | None = None,
    method: str = "TWFE",
    backend: str = "within",
) -> TWFEResults:
    """Fit ``y`` on ``regressors`` with unit and time effects and CRV1 covariance.

    ``regressors`` is a DataFrame aligned with ``data`` (same index). Used by :func:`twfe` and
    :func:`~sosek_impact.estimators.event_study.event_study`. ``backend="panelols"`` takes the
    coefficients from linearmodels' ``PanelOLS``; ``backend="within"`` (default) solves the same
    normal equations on this module's within transform (identical to round-off, about ten times
    faster on large panels).
    """
    check_columns(data, [y, unit, time, weights])
    check_choice("backend", backend, ("within", "panelols"))
    check_time_column(data, time, unit)
    if len(data) == 0:
        raise EstimationError("empty panel: data has no rows")
    check_numeric(data, [y, weights], unit, time)
    check_missing(data, [y, unit, time, weights], unit, time)
    if regressors.isna().any().any():
        col = regressors.columns[regressors.isna().any()][0]
        check_missing(regressors, [col])
    check_unique_pairs(data, unit, time)
    if weights is not None and (data[weights].to_numpy(dtype=float) < 0).any():
        raise ValueRangeError("weights must be non-negative", column=weights)
    clusters, cov_type = _cluster_codes(data, unit, time, cluster)

    unit_codes, n_units = factorize(data[unit])
    time_codes, n_times = factorize(data[time])
    wts = None if weights is None else data[weights].to_numpy(dtype=float)
    Z = within_transform(
        np.column_stack([data[y].to_numpy(dtype=float), regressors.to_numpy(dtype=float)]),
        [unit_codes, time_codes],
        wts,
    )
    names = list(regressors.columns)
    if backend == "panelols":
        params, r2 = _panelols_params(data, y, unit, time, regressors, weights)
    elif backend == "within":
        params, r2 = _within_params(Z, names, wts)
    else:
        raise ValueError(f"backend must be 'panelols' or 'within', got {backend!r}")
    resid = Z[:, 0] - Z[:, 1:] @ params.to_numpy()
    # fixed-effect parameters: all levels minus one per extra dimension; nested in a cluster → 1
    fe_k = 0
    for codes, levels in ((unit_codes, n_units), (time_codes, n_times)):
        nested = any(_nested(codes, c) for c in clusters)
        fe_k += 1 if nested else levels
    fe_k -= 1
    k = regressors.shape[1] + fe_k
    cov, g_min = cluster_scores_cov(Z[:, 1:], resid, clusters, weights=wts, k=k)
    return TWFEResults(
        params=params,
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=len(data),
        cov_type=cov_type + ", CRV1",
        df_inference=g_min - 1,
        method=method,
        info={"n_clusters": g_min, "n_units": n_units, "n_periods": n_times, "k": k,
              "rsquared_within": r2, "backend": backend},
        spec={"data": data, "y": y, "unit": unit, "time": time, "regressors": regressors,
              "weights": weights, "cluster_columns": _cluster_columns(unit, time, cluster)},
    )


def _panelols_params(
    data: pd.DataFrame, y: str, unit: str, time: str, regressors: pd.DataFrame, weights: str | None
) -> tuple[pd.Series, float]:
    from linearmodels.panel import PanelOLS
    from linearmodels.panel.utility import AbsorbingEffectError

    idx = pd.MultiIndex.from_arrays([data[unit].to_numpy(), data[time].to_numpy()], names=[unit, time])
    dep = pd.Series(data[y].to_numpy(dtype=float), index=idx, name=y)
    exog = pd.DataFrame(regressors.to_numpy(dtype=float), index=idx, columns=list(regressors.columns))
    w = None if weights is None else pd.Series(data[weights].to_numpy(dtype=float), index=idx)
    try:
        fit = PanelOLS(dep, exog, entity_effects=True, time_effects=True, weights=w).fit(cov_type="unadjusted")
    except AbsorbingEffectError as exc:
        raise EstimationError(f"a regressor is absorbed by the unit or time effects: {exc}") from exc
    return fit.params.reindex(regressors.columns), float(fit.rsquared_within)


def _within_params(Z: np.ndarray, names: list[str], weights: np.ndarray | None) -> tuple[pd.Series, float]:
    X, yv = Z[:, 1:], Z[:, 0]
    sw = np.ones(len(yv)) if weights is None else np.sqrt(weights)
    Xw, yw = X * sw[:, None], yv * sw
    scale = np.sqrt((Xw**2).sum(axis=0))
    absorbed = scale <= 1e-8 * max(1.0, float(np.abs(Xw).max(initial=0.0))) * np.sqrt(len(yv))
    if absorbed.any():
        raise EstimationError(
            f"a regressor is absorbed by the unit or time effects: {[n for n, a in zip(names, absorbed) if a]}"
        )
    Xs = Xw / scale
    XtX = Xs.T @ Xs  # normal equations on unit-scaled columns: small k, well conditioned unless collinear
    eig = np.linalg.eigvalsh(XtX)
    if eig[0] <= 1e-10 * eig[-1]:
        raise EstimationError("regressors are collinear after removing unit and time effects")
    beta = np.linalg.solve(XtX, Xs.T @ yw)
    beta = beta / scale
    e = yw - Xw @ beta
    r2 = 1.0 - float(e @ e) / float(yw @ yw) if float(yw @ yw) > 0 else float("nan")
    return pd.Series(beta, index=names), r2


def twfe(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    treat: str,
    covariates: Sequence[str] | None = None,
    cluster: str | Sequence[str] | None = None,
    weights: str | None = None,
    backend: str = "within",
) -> TWFEResults:
    """Two-way fixed-effects difference-in-differences.

    Fits ``y_it = α_i + λ_t + β·treat_it + γ'x_it + e_it`` with unit and time effects.

    Parameters
    ----------
    data
        Long panel, one row per (unit, time); may be unbalanced. Missing values in any used column
        raise an error (nothing is dropped silently).
    y, unit, time
        Column names of the outcome, the unit identifier and the period.
    treat
        Column of the treatment indicator (0/1, 1 once a unit is treated).
    covariates
        Optional time-varying control columns.
    cluster
        ``None`` (cluster by ``unit``, the default), ``"twoway"`` (unit and time, Cameron–Gelbach–
        Miller), or one or several column names.
    weights
        Optional column of non-negative observation weights (WLS).
    backend
        ``"within"`` (default: this module's within transform and least squares) or
        ``"panelols"`` (coefficients from linearmodels' ``PanelOLS``); the same numbers to
        round-off.

    Returns
    -------
    TWFEResults
        ``params``, ``std_errors``, ``cov``, ``conf_int()``, ``summary()``, ``tidy()``; tests and
        intervals use the t distribution with ``G - 1`` degrees of freedom.

    Notes
    -----
    With staggered adoption and heterogeneous effects the TWFE coefficient is a weighted average
    of group-time effects with possibly negative weights (Goodman-Bacon 2021); prefer
    :func:`~sosek_impact.estimators.att_gt` for the study's main estimates.
    """
    covariates = list(covariates or [])
    check_columns(data, [y, unit, time, treat, *covariates])
    check_panel(data, y=y, unit=unit, time=time, covariates=covariates, weights=weights, balanced=False)
    check_treatment_dummy(data, treat, unit, time)
    regressors = data[[treat, *covariates]].astype(float)
    return fit_fe_ols(data, y, unit, time, regressors, cluster=cluster, weights=weights,
                      method="TWFE DiD (unit and time effects)", backend=backend)


make_module_callable(__name__)  # `from sosek_impact.estimators import twfe` is the function either way
