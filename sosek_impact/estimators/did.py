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
means one period, whatever the spacing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError, SmallGroupError
from sosek_impact.estimators._checks import (check_choice, check_panel, is_sorted_panel, never_treated_mask,
                                             warn_single_unit_cohorts)
from sosek_impact.estimators._panel_common import unit_codes
from sosek_impact.estimators.did_aggregate import AggregatedEffects, CellEstimates, aggregate_cells
from sosek_impact.estimators.did_bootstrap import _ZERO_SE, BOOTSTRAP_WEIGHTS, if_se, if_vcov, multiplier_bootstrap
from sosek_impact.estimators.did_cells import CellFits, estimate_cells
from sosek_impact.estimators.did_cells_rc import estimate_cells_rc, is_balanced_panel, rc_sample
from sosek_impact.estimators.did_drdid import ESTIMATORS
from sosek_impact.estimators.did_factored import FactoredInfluence, factored_vcov_se
from sosek_impact.estimators.did_pretest import PreTest, wald_pretest
from sosek_impact.results_protocol import ResultsProtocol, as_event_times, format_number, normal_tidy, plain, pvalue_phrase

__all__ = ["att_gt", "ATTgtResult", "PreTest"]

#: use the unconditional reduction of :mod:`.did_cells` when there are no covariates (tests switch it off)
_FAST_PATH = True


@dataclass(repr=False, eq=False)
class ATTgtResult(ResultsProtocol):
    """Result of :func:`att_gt`.

    In the package's results protocol: ``print(result)`` / ``summary()`` show a compact table,
    ``tidy()`` has one row per (group, time) with term ``"ATT(g,t)"`` and the extras ``group``,
    ``time``, ``event_time`` (integers where the periods are), ``post`` and, with the bootstrap,
    the uniform band ``cband_low, cband_high``; ``conf_int()`` gives the pointwise intervals;
    ``plot()`` draws the dynamic aggregate (``aggregate("dynamic").plot()``).

    Attributes
    ----------
    table
        One row per (group, time): ``group, time, att, se, ci_lower, ci_upper`` and, with
        ``bootstrap=True``, ``cband_lower, cband_upper`` (uniform band over all cells), plus
        ``post`` (1 if ``time >= group``).
    influence
        (n units × cells) influence functions, rows in the order of ``units``.
    vcov
        Covariance matrix of the ATT(g,t) (analytical, clustered if asked).
    pretest
        :class:`PreTest` of parallel trends in the pre-treatment cells.
    units
        Unit identifiers in row order of ``influence``.
    n_units
        Number of units.
    """

    table: pd.DataFrame
    vcov: np.ndarray
    pretest: PreTest
    units: np.ndarray
    n_units: int
    settings: dict = field(default_factory=dict)
    _cells: CellEstimates | None = field(default=None, repr=False)

    @property
    def influence(self) -> np.ndarray:
        """(n units x cells) influence functions, rows in the order of ``units`` (built on first use)."""
        if self._cells is None:
            raise EstimationError("this result carries no cell estimates")
        return self._cells.psi

    def aggregate(
        self,
        kind: str = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        na_rm: bool = False,
    ) -> AggregatedEffects:
        """Aggregate ATT(g,t) as R ``did::aggte``.

        Parameters
        ----------
        kind
            ``"simple"``, ``"group"``, ``"dynamic"`` (event study) or ``"calendar"``.
        min_e, max_e, balance_e
            Event-time window and balancing for ``"dynamic"`` (``max_e`` also caps the
            post-treatment cells of the other kinds).
        na_rm
            Skip cells whose ATT could not be estimated.

        Returns
        -------
        AggregatedEffects
            A results object (``summary``, ``tidy``, ``conf_int``, ``plot``): ``estimate`` and
            ``std_error`` of the overall parameter, ``table`` with one row per group, event time or
            period (``estimate, std_error, conf_low, conf_high``; no rows for ``"simple"``),
            ``vcov``, ``influence`` and ``crit_val``.
        """
        if self._cells is None:
            raise EstimationError("this result carries no cell estimates to aggregate")
        agg = aggregate_cells(self._cells, kind, min_e=min_e, max_e=max_e, balance_e=balance_e, na_rm=na_rm)
        if kind == "dynamic" and self.settings.get("base_period") == "universal":
            agg = replace(agg, reference=-1 - int(self.settings.get("anticipation") or 0))
        return agg

    # ------------------------------------------------------------------ results protocol
    def _stored_alpha(self) -> float | None:
        return float(self.settings.get("alpha", 0.05))

    def _tidy(self, alpha: float) -> pd.DataFrame:
        t = self.table
        g, tt = as_event_times(t["group"]), as_event_times(t["time"])
        e = t["time"].to_numpy(dtype=float) - t["group"].to_numpy(dtype=float)  # as aggregate("dynamic")
        out = normal_tidy([f"ATT({plain(a)},{plain(b)})" for a, b in zip(g, tt)], t["att"], t["se"], alpha=alpha,
                          group=g, time=tt, event_time=as_event_times(e), post=t["post"].astype("int64"))
        if "cband_lower" in t and np.isclose(alpha, self._stored_alpha()):
            out["cband_low"], out["cband_high"] = t["cband_lower"].to_numpy(), t["cband_upper"].to_numpy()
        return out

    def _summary_header(self) -> list[str]:
        s = self.settings
        inference = (f"multiplier bootstrap ({s.get('n_boot')} draws, {s.get('bootstrap_weights', 'mammen')} weights)"
                     if s.get("bootstrap") else "analytical influence function")
        return [
            "Group-time ATT(g,t) (Callaway & Sant'Anna 2021)",
            f"method: {s.get('method')}    control: {s.get('control')}    base period: {s.get('base_period')}    "
            f"anticipation: {s.get('anticipation')}    units: {format_number(self.n_units)}    cells: {len(self.table)}",
            f"standard errors: {inference}" + (f", clustered by {s.get('cluster')}" if s.get("cluster") else "")
            + (", by unit (unbalanced panel)" if s.get("data_type") == "unbalanced panel" else ""),
        ] + ([f"data: {s['data_type']} (repeated cross-section estimators, observations by "
              f"{'unit' if s['data_type'] == 'unbalanced panel' else 'row'})"] if s.get("data_type") else [])

    def _summary_footer(self) -> list[str]:
        lines = []
        if self.pretest.W is not None:
            lines.append(f"Pre-test of parallel trends: W = {format_number(self.pretest.W)}, df = {self.pretest.df}, "
                         f"{pvalue_phrase(self.pretest.pvalue)}")
        if self._cells is not None:
            try:
                simple = self.aggregate("simple", na_rm=True)
                lines.append(f"Simple ATT (aggregate('simple')): {format_number(simple.estimate)} "
                             f"(SE {format_number(simple.std_error)})")
            except EstimationError:
                pass
        return lines

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """The event-time figure of the dynamic aggregate, ``aggregate("dynamic", na_rm=True).plot()``."""
        return self.aggregate("dynamic", na_rm=True).plot(alpha, level=level, ax=ax, **kwargs)


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
    return _result(fits, g_unit, w_unit, cluster_codes, units, df[time], settings)


def _result(
    fits: CellFits, g_unit: np.ndarray, w_unit: np.ndarray, cluster_codes: np.ndarray | None, units: np.ndarray,
    time_col: pd.Series, settings: dict,
) -> ATTgtResult:
    """Standard errors, pre-test and result object of the cells (panel and repeated cross-sections alike)."""
    alpha, bootstrap, n_boot, seed = settings["alpha"], settings["bootstrap"], settings["n_boot"], settings["seed"]
    att_arr, post = fits.att, fits.post
    g_arr, t_arr = fits.group, fits.time
    cells = CellEstimates(
        group=g_arr, time=t_arr, att=att_arr, influence=fits.psi, unit_group=g_unit, unit_weight=w_unit,
        cluster_codes=cluster_codes, alpha=alpha, bootstrap=bootstrap, n_boot=n_boot, seed=seed,
        last_period=float(t_arr.max()), first_period=float(t_arr.min()), psi_finite=fits.finite,
        bootstrap_weights=settings.get("bootstrap_weights", "mammen"),
    )
    z = stats.norm.ppf(1 - alpha / 2)
    if isinstance(fits.psi, FactoredInfluence) and cluster_codes is None and not bootstrap:
        vcov, se = factored_vcov_se(fits.psi, _ZERO_SE)  # no (units x cells) matrix
        crit = z
    else:
        psi_mat = cells.psi
        psi_clean = psi_mat if fits.finite and not np.isnan(att_arr).any() else np.nan_to_num(psi_mat)
        vcov = if_vcov(psi_clean, cluster_codes)
        if bootstrap:
            psi_boot = np.where(np.isnan(att_arr)[None, :], np.nan, psi_mat) if np.isnan(att_arr).any() else psi_mat
            boot = multiplier_bootstrap(psi_boot, n_boot=n_boot, alpha=alpha, seed=seed, cluster_codes=cluster_codes,
                                        weights=settings.get("bootstrap_weights", "mammen"))
            se, crit = boot.se, boot.crit_val
        else:
            se = if_se(psi_clean, cluster_codes)
            crit = z
        del psi_clean
    vcov[np.isnan(att_arr), :] = np.nan
    vcov[:, np.isnan(att_arr)] = np.nan
    if not bootstrap:
        se[np.isnan(att_arr)] = np.nan
    table = pd.DataFrame(
        {
            "group": _as_time_dtype(g_arr, time_col),
            "time": _as_time_dtype(t_arr, time_col),
            "att": att_arr,
            "se": se,
            "ci_lower": att_arr - z * se,
            "ci_upper": att_arr + z * se,
        }
    )
    if bootstrap:
        table["cband_lower"] = att_arr - crit * se
        table["cband_upper"] = att_arr + crit * se
    table["post"] = np.asarray(post, dtype=int)

    n = len(units)
    n_clusters = n if cluster_codes is None else int(cluster_codes.max()) + 1
    pretest = wald_pretest(att_arr, vcov, se, g_arr, t_arr, n_clusters)
    settings = {**settings, "crit_val": float(crit)}
    return ATTgtResult(table=table, vcov=vcov, pretest=pretest, units=units, n_units=n,
                       settings=settings, _cells=cells)


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
    return _result(fits, sample.g_unit, sample.w_unit, sample.cluster_codes, sample.units, data[time], settings)


def _as_time_dtype(values: np.ndarray, like: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(like):
        return values.astype(like.dtype)
    return values
