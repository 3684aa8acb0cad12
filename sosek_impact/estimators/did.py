"""Callaway & Sant'Anna (2021) group-time average treatment effects, ``att_gt``.

For every treatment cohort ``g`` (first treated period) and period ``t`` the estimator compares the
outcome change of cohort ``g`` between a base period and ``t`` with that of a comparison group
(never-treated units, or units not yet treated by ``max(t, base) + anticipation``), by outcome
regression, inverse probability weighting or the doubly robust estimator of Sant'Anna & Zhao
(2020). Each ATT(g,t) carries its influence function, so aggregations
(:meth:`ATTgtResult.aggregate`) and pre-tests need no refit. The numbers agree with R ``did``
(``att_gt`` + ``aggte``, panel data) — see ``tests/did``. Repeated cross-sections (``panel=False``)
and unbalanced panels (``allow_unbalanced_panel=True``) use the repeated cross-section estimators
of :mod:`.did_drdid_rc` cell by cell (:mod:`.did_cells_rc`), as R ``did`` does.

Base period:

- ``"varying"`` (R default): post-treatment cells use ``g - 1 - anticipation``; pre-treatment
  cells compare ``t`` with ``t - 1`` (short differences, a placebo for each period).
- ``"universal"``: every cell uses ``g - 1 - anticipation``; the base cell itself is reported with
  ATT 0 and a missing standard error. Pre-treatment cells are ``E[Y_t - Y_base | G=g] - E[Y_t -
  Y_base | C]``, the long difference an event study with reference period -1 estimates.

Periods are counted by position in the sorted distinct values of ``time`` (so ``anticipation=1``
means one period, whatever the spacing). The result object and its standard errors are built in
:mod:`.did_result` (:class:`ATTgtResult` is re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError, SmallGroupError
from sosek_impact.estimators._checks import (check_choice, check_panel, is_sorted_panel, never_treated_mask,
                                             warn_single_unit_cohorts)
from sosek_impact.estimators._panel_common import unit_codes
from sosek_impact.estimators.did_bootstrap import BOOTSTRAP_WEIGHTS
from sosek_impact.estimators.did_cells import estimate_cells
from sosek_impact.estimators.did_cells_rc import estimate_cells_rc, is_balanced_panel, rc_sample
from sosek_impact.estimators.did_drdid import ESTIMATORS
from sosek_impact.estimators.did_result import ATTgtResult, PreTest, att_gt_result
from sosek_impact.results_protocol import plain

__all__ = ["att_gt", "ATTgtResult", "PreTest"]

#: use the unconditional reduction of :mod:`.did_cells` when there are no covariates (tests switch it off)
_FAST_PATH = True


def _unit_constant(data: pd.DataFrame, unit: str, col: str, what: str) -> None:
    varying = data.groupby(unit, sort=False)[col].nunique(dropna=False)
    if (varying > 1).any():
        u = varying.index[varying > 1][0]
        raise EstimationError(f"{what} column {col!r} must be constant within a unit; {unit}={plain(u)!r} has several values")


def att_gt(
    data: pd.DataFrame,
    y: str,
    unit: str,
    time: str,
    group: str,
    covariates: Sequence[str] | None = None,
    control: str = "never",
    method: str = "dr",
    base_period: str = "varying",
    anticipation: int = 0,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: bool = False,
    n_boot: int = 999,
    seed: int | None = None,
    strict: bool = False,
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    bootstrap_weights: str = "mammen",
) -> ATTgtResult:
    """Group-time average treatment effects ATT(g,t) on a panel or repeated cross-sections.

    Parameters
    ----------
    data
        Long panel, one row per (unit, time); balanced, no missing values in the used columns.
    y
        Outcome column.
    unit, time
        Unit identifier and (numeric) period columns.
    group
        First treated period of the unit (a value of ``time``); 0 or missing = never treated.
        Values after the last period are accepted: such units are untreated in the sample and
        count as never treated (with a warning; an error if ``anticipation > 0``). Units treated
        in or before the first period (after anticipation) have no pre-treatment period and are
        dropped with a warning naming them, as R ``did`` does (``strict=True`` raises).
    covariates
        Column names of covariates; taken at the earlier of the two periods of each comparison
        (as R ``did``), an intercept is added.
    control
        ``"never"`` (never-treated units) or ``"not_yet"`` (never treated plus units first treated
        after ``max(t, base) + anticipation``). With ``"not_yet"`` and no never-treated unit, the
        last cohort becomes the comparison group and periods from its treatment on are dropped
        (as R ``did``).
    method
        ``"dr"`` (doubly robust, default), ``"ipw"`` or ``"reg"``.
    base_period
        ``"varying"`` or ``"universal"`` (module docstring).
    anticipation
        Number of periods before ``g`` in which units may already react.
    weights
        Column of sampling weights, constant within unit.
    cluster
        Column of clusters (constant within unit, coarser than ``unit``); influence functions are
        summed within clusters for standard errors and the bootstrap draws one weight per cluster.
    alpha
        1 - confidence level.
    bootstrap
        Use the multiplier bootstrap for standard errors and a uniform band.
    n_boot, seed
        Bootstrap draws and seed (same seed, same draws).
    strict
        Raise :class:`~sosek_impact.errors.TreatedInFirstPeriodError` for units treated in or
        before the first period instead of dropping them with a warning.
    panel
        ``True`` (default): ``data`` is a panel. ``False``: repeated cross-sections, as R ``did``'s
        ``panel = FALSE``: every row is its own observation, each cell runs the repeated
        cross-section estimator (``DRDID::reg_did_rc`` / ``std_ipw_did_rc`` / ``drdid_rc``) on
        the rows of its two periods with each row's own covariates, and influence functions (and
        ``influence``, ``units``) are by row; ``unit`` then only serves the checks (``group``
        constant within it) and may be a coarser level such as the region.
    allow_unbalanced_panel
        With ``panel=True``: an unbalanced panel is estimated as repeated cross-sections with the
        influence function summed by unit (clustered by unit), as R ``did``'s
        ``allow_unbalanced_panel = TRUE``; a balanced panel keeps the panel estimator. ``False``
        (default): an unbalanced panel raises :class:`~sosek_impact.errors.UnbalancedPanelError`.
    bootstrap_weights
        Multiplier distribution of the bootstrap: ``"mammen"`` (default, as R ``did``),
        ``"rademacher"`` or ``"webb"`` (six-point, for few clusters); see
        :func:`~sosek_impact.estimators.did_bootstrap.multiplier_weights`.

    Warns
    -----
    UserWarning
        Units dropped (treated in the first period), late groups counted as never treated,
        cohorts of a single unit (their analytical standard errors reflect only the comparison
        units' variation), a singular pre-test covariance.

    Returns
    -------
    ATTgtResult

    Raises
    ------
    SchemaError, MissingValueError, UnbalancedPanelError, GroupColumnError,
    TreatedInFirstPeriodError, SmallGroupError, EstimationError
    """
    check_choice("control", control, ("never", "not_yet"))
    check_choice("bootstrap_weights", bootstrap_weights, tuple(BOOTSTRAP_WEIGHTS))
    check_choice("method", method, tuple(ESTIMATORS))
    check_choice("base_period", base_period, ("varying", "universal"))
    if int(anticipation) != anticipation or anticipation < 0:
        raise ValueError(f"anticipation must be a non-negative integer, got {anticipation!r}")
    if not isinstance(panel, (bool, np.bool_)) or not isinstance(allow_unbalanced_panel, (bool, np.bool_)):
        raise ValueError(f"panel and allow_unbalanced_panel must be True or False, got {panel!r}, {allow_unbalanced_panel!r}")
    covariates = list(covariates or [])
    data = check_panel(
        data, y=y, unit=unit, time=time, group=group, covariates=covariates, weights=weights,
        cluster=cluster, anticipation=anticipation, need_never_treated=(control == "never"),
        allow_after_last=True, early_treated="raise" if strict else "drop",
        balanced=panel and not allow_unbalanced_panel,
    )
    rc = not panel or (allow_unbalanced_panel and not is_balanced_panel(data, unit, time))
    warn_single_unit_cohorts(data, unit, group, "att_gt")
    if weights is not None and panel:
        _unit_constant(data, unit, weights, "weights")
    if cluster is not None and panel:
        _unit_constant(data, unit, cluster, "cluster")
    if rc:
        return _att_gt_rc(data, y=y, unit=unit, time=time, group=group, covariates=covariates, control=control,
                          method=method, base_period=base_period, anticipation=anticipation, weights=weights,
                          cluster=cluster, alpha=alpha, bootstrap=bootstrap, n_boot=n_boot, seed=seed, panel=panel,
                          bootstrap_weights=bootstrap_weights)

    df = data if is_sorted_panel(data, unit, time) else data.sort_values([unit, time], kind="mergesort")
    _, first_rows = unit_codes(df[unit])  # sorted by unit: a linear scan for integer ids
    n = len(first_rows)
    n_t = len(df) // n  # balanced (checked): every unit has every period, sorted
    tlist = np.sort(pd.unique(df[time].iloc[:n_t]))  # the first unit's periods are all periods
    u_col = df[unit]
    units = u_col.to_numpy()[first_rows] if isinstance(u_col.dtype, np.dtype) and u_col.dtype.kind in "iu" else pd.unique(u_col)
    y_wide = df[y].to_numpy(dtype=float).reshape(n, n_t)
    first_rows = np.arange(n) * n_t
    g_unit = df[group].to_numpy(dtype=float, na_value=np.nan)[first_rows]
    g_unit = np.where(never_treated_mask(g_unit), 0.0, g_unit)
    w_unit = np.ones(n) if weights is None else df[weights].to_numpy(dtype=float)[first_rows]
    x_wide = np.ones((n_t, n, 1 + len(covariates)))
    if covariates:
        x_wide[:, :, 1:] = df[covariates].to_numpy(dtype=float).reshape(n, n_t, len(covariates)).transpose(1, 0, 2)
    cluster_codes = None
    if cluster is not None:
        cluster_codes = pd.factorize(df[cluster].to_numpy()[first_rows], sort=True)[0]

    # not-yet-treated without never-treated units: the last cohort serves as comparison
    if control == "not_yet" and not (g_unit == 0).any():
        g_last = g_unit.max()
        last_idx = int(np.searchsorted(tlist, g_last))
        keep_t = np.arange(n_t) < last_idx - anticipation
        tlist, y_wide, x_wide = tlist[keep_t], y_wide[:, keep_t], x_wide[keep_t]
        n_t = len(tlist)
        g_unit = np.where(g_unit == g_last, 0.0, g_unit)
        if not (g_unit > 0).any() or n_t < 2:
            raise SmallGroupError("with control='not_yet' and no never-treated unit, nothing is left to compare")

    fits = estimate_cells(y_wide, x_wide, g_unit, w_unit, tlist, control=control, method=method,
                          base_period=base_period, anticipation=anticipation, fast=_FAST_PATH)
    settings = dict(y=y, unit=unit, time=time, group=group, covariates=covariates, control=control, method=method,
                    base_period=base_period, anticipation=anticipation, weights=weights, cluster=cluster,
                    alpha=alpha, bootstrap=bootstrap, n_boot=n_boot, seed=seed, bootstrap_weights=bootstrap_weights)
    return att_gt_result(fits, g_unit, w_unit, cluster_codes, units, df[time], settings)


def _att_gt_rc(data: pd.DataFrame, *, y: str, unit: str, time: str, group: str, covariates: list[str], control: str,
               method: str, base_period: str, anticipation: int, weights: str | None, cluster: str | None,
               alpha: float, bootstrap: bool, n_boot: int, seed: int | None, panel: bool,
               bootstrap_weights: str = "mammen") -> ATTgtResult:
    """``att_gt`` on repeated cross-sections or an unbalanced panel (:mod:`.did_cells_rc`)."""
    sample = rc_sample(data, y=y, unit=unit, time=time, group=group, covariates=covariates, weights=weights,
                       cluster=cluster, panel=panel, control=control, anticipation=anticipation)
    fits = estimate_cells_rc(sample, control=control, method=method, base_period=base_period, anticipation=anticipation)
    settings = dict(y=y, unit=unit, time=time, group=group, covariates=covariates, control=control, method=method,
                    base_period=base_period, anticipation=anticipation, weights=weights, cluster=cluster,
                    alpha=alpha, bootstrap=bootstrap, n_boot=n_boot, seed=seed, bootstrap_weights=bootstrap_weights,
                    data_type="unbalanced panel" if panel else "repeated cross-sections")
    return att_gt_result(fits, sample.g_unit, sample.w_unit, sample.cluster_codes, sample.units, data[time], settings)


