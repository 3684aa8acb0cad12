"""The result of :func:`~sosek_impact.estimators.did.att_gt`: standard errors, pre-test and result object.

:func:`att_gt_result` turns the estimated cells (:class:`~sosek_impact.estimators.did_cells.CellFits`,
panel or repeated cross-sections alike) into an :class:`ATTgtResult`: analytical (clustered) or
multiplier-bootstrap standard errors, the uniform band, the Wald pre-test of the pre-treatment
cells, and the cell estimates that :meth:`ATTgtResult.aggregate` aggregates without a refit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.did_aggregate import AggregatedEffects, CellEstimates, aggregate_cells
from sosek_impact.estimators.did_bootstrap import _ZERO_SE, if_se, if_vcov, multiplier_bootstrap
from sosek_impact.estimators.did_cells import CellFits
from sosek_impact.estimators.did_factored import FactoredInfluence, factored_vcov_se
from sosek_impact.estimators.did_pretest import PreTest, wald_pretest
from sosek_impact.results_protocol import ResultsProtocol, as_event_times, format_number, normal_tidy, plain, pvalue_phrase

__all__ = ["ATTgtResult", "PreTest", "att_gt_result"]


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


def att_gt_result(
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


def _as_time_dtype(values: np.ndarray, like: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(like):
        return values.astype(like.dtype)
    return values
