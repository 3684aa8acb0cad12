"""Imputation estimator of Borusyak, Jaravel & Spiess (2024), ``did_imputation``.

Step 1: fit ``Y_it = α_i + λ_t`` by (weighted) least squares on the untreated observations
(never-treated units and treated units before their first treated period). Step 2: impute
``Ŷ_it(0) = α̂_i + λ̂_t`` for every treated observation and take ``τ̂_it = Y_it − Ŷ_it(0)``.
Step 3: average — the overall ATT is the (weighted) mean of ``τ̂_it`` over treated observations;
event-time estimates average over treated observations ``h`` periods after first treatment.

The estimator is linear in the outcome, ``τ̂ = Σ v_it Y_it`` (:mod:`imputation_core`), and its
standard error is BJS's conservative one (Theorem 3, Section 4.3):
``Var = Σ_c (Σ_{it∈c} v_it ε̃_it)²`` over clusters ``c`` (default: units), with ``ε̃`` the step-1
residual on untreated observations and ``τ̂_it − τ̃_it`` on treated ones, ``τ̃`` the mean of ``τ̂``
in the observation's cohort × event-time cell — by default leaving out the observation's own
unit (``leave_out``). It is conservative under heterogeneous effects
(the cell means do not capture all heterogeneity) and, as BJS note, too small when a cell holds a
single unit: a cohort of one treated unit contributes no treated-side variance at all (a warning
says so; use the few-treated inference of :mod:`sosek_impact.inference.wild_did` or
randomisation inference there). No small-sample factor is applied (as BJS and Stata
``did_imputation``); intervals use the normal distribution.

Pre-trend test (BJS Section 4.4, "test 5.2"-style): on the untreated observations only, regress
``Y`` on the unit and period effects and ``k`` dummies for treated units 1..k periods before
treatment; the coefficients (``pre1..prek``, event times −1..−k, relative to the earlier untreated
periods) are tested jointly by a cluster-robust Wald test, reported as ``F = W/k`` against
``F(k, G−1)`` (and ``χ²(k)`` for ``W``). The imputation estimates themselves come from the model
without these dummies. The cluster-robust Wald test over-rejects with few treated units: in
simulated panels without pre-trends (AR(1) errors, 3 leads) it rejected at the 5 % level in 20 % of
200 panels with 8 treated units and in 10 % with 80 treated of 200 units.

Event times count positions in the sorted distinct periods (as :func:`att_gt`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sosek_impact.errors import EstimationError, TreatedInFirstPeriodError
from sosek_impact.estimators._checks import (
    _listing,
    _py,
    check_columns,
    check_group_column,
    check_missing,
    check_numeric,
    check_time_column,
    check_unique_pairs,
    never_treated_mask,
    recode_late_groups,
    single_unit_cohorts_message,
)
from sosek_impact.estimators.event_study import WaldTest
from sosek_impact.estimators.imputation_core import ImputationDesign
from sosek_impact.estimators.imputation_pretrends import pretrend_test
from sosek_impact.results_protocol import ResultsProtocol, format_number, format_pvalue, normal_tidy

__all__ = ["did_imputation", "ImputationResult", "imputation_linear_weights"]


@dataclass(repr=False)
class ImputationResult(ResultsProtocol):
    """Result of :func:`did_imputation`.

    Attributes
    ----------
    estimates
        One row per estimate: ``term`` (``"ATT"``, ``"tau0"``, ``"tau1"``, …, ``"pre1"``, …),
        ``kind`` (``"att"``, ``"horizon"``, ``"pretrend"``), ``event_time`` (nullable int),
        ``estimate``, ``std_error``, ``n_obs`` (treated observations averaged, or the pre-period
        observations of a pre-trend coefficient).
    pretrend
        :class:`~sosek_impact.estimators.event_study.WaldTest` of the pre-trend coefficients, or
        ``None`` when ``pretrends=0``.
    effects
        Per treated observation: ``unit, time, group, event_time, tau`` (``τ̂_it``).
    n_obs, n_treated_obs, n_units, n_clusters
        Sizes.
    settings
        The call's settings.
    """

    estimates: pd.DataFrame
    pretrend: WaldTest | None
    effects: pd.DataFrame
    n_obs: int
    n_treated_obs: int
    n_units: int
    n_clusters: int
    settings: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    ref: Any = None  # no reference period: event_study_plot marks none

    @property
    def estimate(self) -> float:
        """The overall ATT (the protocol's name, as the ``att_gt`` aggregates' ``estimate``)."""
        return self.att

    @property
    def std_error(self) -> float:
        """Conservative standard error of the overall ATT (the protocol's name)."""
        return self.se

    @property
    def att(self) -> float:
        """The overall ATT."""
        return float(self.estimates.loc[self.estimates["term"] == "ATT", "estimate"].iloc[0])

    @property
    def se(self) -> float:
        """Conservative standard error of the overall ATT."""
        return float(self.estimates.loc[self.estimates["term"] == "ATT", "std_error"].iloc[0])

    def _tidy(self, alpha: float) -> pd.DataFrame:
        e = self.estimates
        out = normal_tidy(e["term"], e["estimate"], e["std_error"], alpha=alpha)
        out["event_time"] = pd.array(e["event_time"], dtype="Int64")
        out["kind"] = e["kind"].to_numpy()
        out["n_obs"] = e["n_obs"].to_numpy()
        return out

    def estimates_by_event_time(self, level: float = 0.95) -> pd.DataFrame:
        """Rows with an event time (horizons and pre-trend coefficients), sorted: for plotting."""
        t = self.tidy(level=level)
        t = t[t["event_time"].notna()].copy()
        t["event_time"] = t["event_time"].astype(int)
        return t.sort_values("event_time").reset_index(drop=True)

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Event-time estimates (and pre-trend coefficients) with pointwise intervals; a Figure.

        Drawn by the package's one event-time figure,
        :func:`~sosek_impact.estimators.plotting.event_time_plot` (no reference period: the imputation
        estimator normalises none).
        """
        from sosek_impact.estimators.plotting import event_time_plot
        from sosek_impact.results_protocol import check_alpha

        if not (self.estimates["kind"] != "att").any():
            raise EstimationError("no event-time estimates to plot: call did_imputation with horizons=True")
        a = check_alpha(alpha, level)
        kwargs.setdefault("ylabel", "Effect (imputation estimator)")
        return event_time_plot(self.estimates_by_event_time(level=1 - a), ref=None, level=1 - a, ax=ax, **kwargs)

    def _summary_header(self) -> list[str]:
        s = self.settings
        return [
            f"Imputation estimator (Borusyak, Jaravel & Spiess 2024): control={s.get('control')}, "
            f"{format_number(self.n_obs)} obs, {format_number(self.n_treated_obs)} treated, "
            f"{format_number(self.n_units)} units, {format_number(self.n_clusters)} clusters ({s.get('cluster')})",
            f"Standard errors: BJS conservative (cohort x event-time averages{', leave-out' if s.get('leave_out') else ''}), "
            "normal intervals",
        ]

    def _summary_footer(self) -> list[str]:
        lines = []
        if self.pretrend is not None:
            p = self.pretrend
            lines.append(f"Pre-trend test ({p.df[0]} leads, untreated obs): F({p.df[0]}, {p.df[1]}) = "
                         f"{format_number(p.statistic)}, p = {format_pvalue(p.pvalue)} "
                         f"(chi2 = {format_number(p.chi2)}, p = {format_pvalue(p.chi2_pvalue)})")
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return lines


def _prepare(data: pd.DataFrame, y: str, unit: str, time: str, group: str, weights: str | None,
             cluster: str | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checks and integer codes: (data, unit codes, period positions, group positions, periods)."""
    check_columns(data, [y, unit, time, group, weights, cluster])
    check_time_column(data, time, unit)
    if len(data) == 0:
        raise EstimationError("data has no rows")
    check_missing(data, [y, unit, time, weights, cluster])
    if not pd.api.types.is_numeric_dtype(data[y]):
        raise EstimationError(f"outcome column {y!r} must be numeric, got dtype {data[y].dtype}")
    if weights is not None and (data[weights].to_numpy(dtype=float) < 0).any():
        raise EstimationError(f"weights column {weights!r} has negative values")
    check_group_column(data, unit, time, group, allow_after_last=True)
    data = recode_late_groups(data, unit, time, group)  # the one late-group rule of every estimator
    uc, units = pd.factorize(data[unit], sort=True)
    periods = np.sort(pd.unique(data[time]))
    tc = np.searchsorted(periods, data[time].to_numpy())
    key = uc.astype(np.int64) * len(periods) + tc
    if np.bincount(key, minlength=len(units) * len(periods)).max() > 1:
        check_unique_pairs(data, unit, time)
    g = data[group].to_numpy(dtype=float, na_value=np.nan)
    g = np.where(never_treated_mask(g), 0.0, g)
    g_unit = np.zeros(len(units))
    g_unit[uc] = g
    gpos_unit = np.where(g_unit > 0, np.searchsorted(periods, g_unit), -1)
    # treated units without an untreated observation (treated from their first observed period)
    first_t = np.full(len(units), np.iinfo(np.int64).max)
    np.minimum.at(first_t, uc, tc)
    early = (gpos_unit >= 0) & (first_t >= gpos_unit)
    if early.any():
        names = units[early]
        raise TreatedInFirstPeriodError(
            f"{int(early.sum())} unit(s) are treated from their first observed period and have no untreated "
            f"observation to impute Y(0) from: {unit} {_listing(names)} (group values "
            f"{_listing(sorted(set(periods[gpos_unit[early]].tolist())))}); drop them")
    return data, uc.astype(np.intp), tc.astype(np.intp), gpos_unit[uc], periods


def did_imputation(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    horizons: bool | Sequence[int] | None = None,
    pretrends: int = 0,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    control: str = "not_yet",
    leave_out: bool = True,
    covariates: Sequence[str] | None = None,
) -> ImputationResult:
    """Imputation DiD estimator of Borusyak, Jaravel & Spiess (2024) with conservative standard errors.

    Parameters
    ----------
    data
        Long panel, one row per (unit, period); may be unbalanced; no missing values in the used
        columns.
    y, unit, time
        Outcome, unit and (numeric) period columns.
    group
        First treated period (a value of ``time``); 0 or missing = never treated; a value after
        the last period counts as not yet treated (with a warning, as :func:`att_gt`).
    horizons
        ``True``: an estimate for every event time ``h ≥ 0`` with treated observations; a list of
        ints: those event times; ``None``: only the overall ATT.
    pretrends
        Number ``k`` of pre-trend coefficients (event times −1..−k) and their joint test.
    weights
        Sampling-weight column: the step-1 fit is weighted and every estimand is a weighted mean.
    cluster
        Cluster column of the standard errors (default: ``unit``).
    alpha
        1 − coverage of the intervals of :meth:`~ImputationResult.summary`.
    control
        ``"not_yet"`` (BJS: every untreated observation) or ``"never"`` (period effects from
        never-treated units only; see :mod:`sosek_impact.estimators.imputation_core`).
    leave_out
        Residualise treated observations by cohort x event-time means that leave out the
        observation's own unit (BJS Appendix A.6; Stata ``did_imputation, leaveout``). Default
        on: with two units per cohort the ordinary version's 95 % intervals covered the ATT in
        only 75 % of simulated study-shaped panels, the leave-out ones in 93.5 % (200 panels,
        8 treated units in 4 cohorts). ``False`` gives BJS's Theorem 3 estimator as printed.
    covariates
        Time-varying covariate columns: the step-1 model on the untreated observations becomes
        ``Y_it = α_i + λ_t + X_it'β`` (BJS eq. 5) and ``Ŷ(0)`` includes ``X_it'β̂``; the
        estimator stays linear in ``Y`` and the conservative standard errors use its weights,
        which now include the estimation of ``β`` (BJS Theorem 3 with covariates). Needs
        ``control="not_yet"`` and ``pretrends=0``.

    Returns
    -------
    ImputationResult

    Raises
    ------
    SchemaError, MissingValueError, GroupColumnError, DuplicateRowsError (duplicated pairs),
    TreatedInFirstPeriodError, EstimationError

    Examples
    --------
    >>> from sosek_impact.simulate import simulate_staggered_panel
    >>> d = simulate_staggered_panel(seed=1, effect="constant")
    >>> r = did_imputation(d, "y", "unit", "time", "group", horizons=True, pretrends=3)
    >>> round(r.att, 1)
    1.0
    """
    if int(pretrends) != pretrends or pretrends < 0:
        raise ValueError(f"pretrends must be a non-negative integer, got {pretrends!r}")
    covariates = list(covariates or [])
    if covariates and pretrends:
        raise ValueError("pretrends with covariates is not supported: the pre-trend regression has no covariates")
    if covariates:
        check_columns(data, covariates)
        check_numeric(data, covariates, unit, time)
        check_missing(data, covariates, unit, time)
    data, uc, tc, gpos, periods = _prepare(data, y, unit, time, group, weights, cluster)
    n_units, n_t = int(uc.max()) + 1, len(periods)
    w = None if weights is None else data[weights].to_numpy(dtype=float)
    x = data[covariates].to_numpy(dtype=float) if covariates else None
    design = ImputationDesign(uc, tc, gpos, w, control, n_units, n_t, covariates=x, covariate_names=covariates)
    yv = data[y].to_numpy(dtype=float)
    cl_col = unit if cluster is None else cluster
    cl, n_cl = (uc, n_units) if cluster is None else _codes(data[cluster])
    if n_cl < 2:
        raise EstimationError("standard errors need at least two clusters")

    terms, W = design.target_weights("simple")
    kinds, ets, labels = ["att"], [None], ["ATT"]
    if horizons is not None and horizons is not False:
        h_terms, W_h = design.target_weights("dynamic")
        if horizons is True:
            keep = [k for k, e in enumerate(h_terms) if e >= 0]
        else:
            wanted = [int(h) for h in horizons]
            bad = [h for h in wanted if h not in h_terms]
            if bad:
                raise EstimationError(f"horizons {bad} have no treated observation (event times present: "
                                      f"{h_terms[0]}..{h_terms[-1]})")
            keep = [h_terms.index(h) for h in wanted]
        W = sp.hstack([W, W_h[:, keep]]).tocsc()
        for k in keep:
            kinds.append("horizon")
            ets.append(h_terms[k])
            labels.append(f"tau{h_terms[k]}")
    coefs = design._coefficients(W)
    est = design.estimates(yv, W, coefs)
    var = design.conservative_variance(yv, W, cl, n_cl, leave_out=leave_out, coefs=coefs)
    n_used = np.diff(W.indptr).astype(int).tolist()

    pre_rows, pretest = pretrend_test(design, yv, int(pretrends), cl, n_cl, cluster is None)
    fitted = design.fitted(yv)
    tr = design.treated
    effects = pd.DataFrame({
        "unit": data[unit].to_numpy()[tr], "time": data[time].to_numpy()[tr],
        "group": periods[gpos[tr]], "event_time": design.event_time[tr].astype(int), "tau": (yv - fitted)[tr],
    })
    table = pd.DataFrame({"term": labels, "kind": kinds, "event_time": pd.array(ets, dtype="Int64"),
                          "estimate": est, "std_error": np.sqrt(var), "n_obs": n_used})
    if pre_rows is not None:
        table = pd.concat([table, pre_rows], ignore_index=True)
    single = single_unit_cohorts_message(data, unit, group, "did_imputation")  # the rule of every estimator
    notes = [] if single is None else [single]
    for msg in notes:
        warnings.warn(msg, stacklevel=2)
    return ImputationResult(
        estimates=table, pretrend=pretest, effects=effects, n_obs=len(yv), n_treated_obs=int(tr.sum()),
        n_units=n_units, n_clusters=int(n_cl), warnings=tuple(notes),
        settings=dict(y=y, unit=unit, time=time, group=group, horizons=horizons, pretrends=int(pretrends),
                      weights=weights, cluster=cl_col, alpha=alpha, control=control,
                      leave_out=leave_out, covariates=covariates),
    )


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniq = pd.factorize(values, sort=True)
    return codes.astype(np.intp), len(uniq)


def imputation_linear_weights(
    unit_group: np.ndarray,
    periods: np.ndarray,
    *,
    aggregate: str,
    control: str = "never",
    min_e: float | None = None,
    max_e: float | None = None,
) -> tuple[list, np.ndarray]:
    """Weights ``W`` with ``estimate_k = Σ_{i,t} W[k, i, t] Y[i, t]`` for a balanced panel.

    For permutation and Conley–Taber inference: for a fixed assignment the imputation estimate is
    linear in the outcome, so every re-assignment costs one tensor contraction.

    Parameters
    ----------
    unit_group
        First treated period of each of the ``n`` units (a value of ``periods``; 0 = never
        treated; a value after the last period counts as never treated).
    periods
        The ``T`` sorted periods (columns of ``Y``).
    aggregate
        ``"simple"`` (overall ATT), ``"dynamic"`` (terms: int event times ≥ ``min_e``) or
        ``"group"`` (terms: groups).
    control
        ``"never"``: period effects from never-treated units only; ``"not_yet"``: BJS's
        estimator (every untreated observation), as :func:`did_imputation`'s default.
    min_e, max_e
        Event-time window of the treated observations averaged.

    Returns
    -------
    terms, W
        Term labels and an array of shape ``(K, n, T)``.
    """
    g = np.asarray(unit_group, dtype=float)
    periods = np.asarray(periods)
    if np.any(np.diff(periods) <= 0):
        raise ValueError("periods must be sorted and distinct")
    n, T = len(g), len(periods)
    treated = (g > 0) & (g <= periods[-1])
    gpos = np.where(treated, np.searchsorted(periods, g), -1)
    if np.any(treated & ((gpos >= T) | (periods[np.minimum(gpos, T - 1)] != g))):
        raise ValueError("unit_group values must be periods (or 0 for never treated)")
    uc = np.repeat(np.arange(n), T)
    tc = np.tile(np.arange(T), n)
    design = ImputationDesign(uc, tc, np.repeat(gpos, T), None, control, n, T)
    terms, Wt = design.target_weights(aggregate, min_e=min_e, max_e=max_e)
    if aggregate == "group":
        terms = [_py(periods[t]) for t in terms]
    v = design.linear_weights(Wt)
    return terms, v.T.reshape(len(terms), n, T)
