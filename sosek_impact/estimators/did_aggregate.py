"""Aggregation of group-time effects ATT(g,t) into summary parameters (Callaway & Sant'Anna 2021, §3).

``kind``:

- ``"simple"``: average of all post-treatment ATT(g,t) (``g <= t``) weighted by group size ``P(G=g)``.
- ``"group"``: per group, the mean of its post-treatment ATT(g,t); overall, their ``P(G=g)``-weighted mean.
- ``"dynamic"``: per event time ``e = t - g``, the ``P(G=g)``-weighted mean over groups observed at
  ``e``; overall, the mean over ``e >= 0``.
- ``"calendar"``: per period ``t``, the ``P(G=g)``-weighted mean over groups treated by ``t``;
  overall, the mean over periods.

Weights estimated from the sample (``P(G=g)``) add a term to the influence function (``wif``), as in
R ``did``'s ``aggte``. Standard errors come from the aggregated influence function (analytical, or
the multiplier bootstrap when the fit used ``bootstrap=True``). The result object,
:class:`~sosek_impact.estimators.did_aggregate_result.AggregatedEffects`, lives in
:mod:`.did_aggregate_result` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._options import check_choice
from sosek_impact.estimators.did_aggregate_result import LABELS, AggregatedEffects
from sosek_impact.estimators.did_bootstrap import if_se, if_vcov, multiplier_bootstrap
from sosek_impact.estimators.did_factored import FactoredInfluence
from sosek_impact.results_protocol import as_event_times

__all__ = ["AggregatedEffects", "CellEstimates", "aggregate_cells"]

KINDS = ("simple", "group", "dynamic", "calendar")


@dataclass(frozen=True)
class CellEstimates:
    """What aggregation needs from an ``att_gt`` fit (arrays aligned on the cells / units).

    ``influence`` is the (n, K) influence matrix or its factored form
    (:class:`~sosek_impact.estimators.did_factored.FactoredInfluence`, which supports ``@``);
    :attr:`psi` is always the dense matrix, built once on first use.
    """

    group: np.ndarray  # (K,) group of each cell, in time units
    time: np.ndarray  # (K,) period of each cell
    att: np.ndarray  # (K,)
    influence: np.ndarray | FactoredInfluence  # (n, K) influence functions, dense or factored
    unit_group: np.ndarray  # (n,) group of each unit, 0 = never treated
    unit_weight: np.ndarray  # (n,)
    cluster_codes: np.ndarray | None
    alpha: float
    bootstrap: bool
    n_boot: int
    seed: int | None
    last_period: float
    first_period: float
    psi_finite: bool | None = None  # known to be all finite (skips a scan of psi)
    bootstrap_weights: str = "mammen"  # multiplier distribution of the bootstrap

    @property
    def psi(self) -> np.ndarray:
        """The dense (n, K) influence matrix (built from the factored form once, then kept)."""
        if isinstance(self.influence, FactoredInfluence):
            object.__setattr__(self, "influence", self.influence.dense())
        return self.influence


def _weight_matrix(index_sets: Sequence[np.ndarray], n_cells: int, pg: np.ndarray | None) -> np.ndarray:
    """(cells x outputs) weights: output ``j`` averages the cells ``index_sets[j]``, by ``pg`` or equally."""
    wm = np.zeros((n_cells, len(index_sets)))
    for j, idx in enumerate(index_sets):
        wm[idx, j] = pg[idx] / pg[idx].sum() if pg is not None else 1.0 / len(idx)
    return wm


def _wif_times_att(
    index_sets: Sequence[np.ndarray], att: np.ndarray, cell_group: np.ndarray, pg: np.ndarray,
    glist: np.ndarray, unit_group: np.ndarray, unit_weight: np.ndarray,
) -> np.ndarray:
    """``wif @ att`` for every output: the estimation effect of the weights ``pg_k / sum(pg)``.

    For the cells ``k`` of one output, with ``ind_ik = w_i 1{G_i = g_k} - pg_k`` (R ``did``'s
    ``wif``), ``P = sum pg_k`` and ``Q = sum pg_k att_k``, the product
    ``sum_k att_k (ind_ik / P - sum_l ind_il pg_k / P^2)`` is ``w_i (A(G_i) - N(G_i) Q / P) / P``
    where ``A(g)`` sums and ``N(g)`` counts the output's cells of group ``g``: a lookup per unit,
    no (units x cells) matrix.
    """
    n_out = len(index_sets)
    a = np.zeros((len(glist) + 1, n_out))  # last row: never treated (no cell), stays 0
    cnt = np.zeros((len(glist) + 1, n_out))
    pos = np.searchsorted(glist, cell_group)
    for j, idx in enumerate(index_sets):
        p_tot, q_tot = pg[idx].sum(), pg[idx] @ att[idx]
        np.add.at(a[:, j], pos[idx], att[idx])
        np.add.at(cnt[:, j], pos[idx], 1.0)
        a[:, j] = (a[:, j] - cnt[:, j] * q_tot / p_tot) / p_tot
    treated = unit_group != 0
    code = np.full(len(unit_group), len(glist))
    code[treated] = np.searchsorted(glist, unit_group[treated])
    return unit_weight[:, None] * a[code]


def _combine_all(
    att: np.ndarray, psi: np.ndarray | FactoredInfluence, index_sets: Sequence[np.ndarray], pg: np.ndarray | None,
    wif_args: tuple | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Values and (units x outputs) influence functions of weighted averages of cells, one matrix product."""
    wm = _weight_matrix(index_sets, len(att), pg)
    values = att @ wm
    inf = psi @ wm
    if wif_args is not None:
        inf += _wif_times_att(index_sets, att, *wif_args)
    return values, inf


def aggregate_cells(
    est: CellEstimates,
    kind: str = "simple",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    na_rm: bool = False,
) -> AggregatedEffects:
    """Aggregate group-time effects; see the module docstring for the kinds.

    Parameters
    ----------
    est
        Cell estimates from an ``att_gt`` fit.
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    min_e, max_e
        Event-time window for ``"dynamic"``; ``max_e`` also caps the post-treatment cells used by
        the other kinds (as R ``did``).
    balance_e
        For ``"dynamic"``: keep only groups observed for at least ``balance_e`` periods after
        treatment, so the composition of groups does not change with ``e`` in ``[.., balance_e]``.
    na_rm
        Drop cells whose ATT is missing instead of raising.
    """
    check_choice("kind", kind, KINDS)
    group, time, att = est.group, est.time, est.att
    bad = np.isnan(att)
    psi = est.psi if bad.any() else est.influence  # factored stays factored: only psi @ weights is needed
    if bad.any():
        if not na_rm:
            raise EstimationError(
                f"{int(bad.sum())} ATT(g,t) are missing (e.g. group {group[bad][0]}, time {time[bad][0]}); "
                "pass na_rm=True to aggregate the others"
            )
        keep = ~bad
        group, time, att, psi = group[keep], time[keep], att[keep], psi[:, keep]
    if not (est.psi_finite and not bad.any()):  # no scan or copy of the (units x cells) matrix when it is clean
        psi = est.psi if psi is est.influence else psi
        if not np.isfinite(psi).all():
            psi = np.nan_to_num(psi)
    glist = np.unique(est.unit_group[est.unit_group != 0])
    pg_group = np.array([np.mean(est.unit_weight * (est.unit_group == g)) for g in glist])
    pg = pg_group[np.searchsorted(glist, group)]
    wif_cells = (group, pg, glist, est.unit_group, est.unit_weight)
    post = (group <= time) & (time <= group + max_e)

    labels: list[float] = []
    if kind == "simple":
        _, inf = _combine_all(att, psi, [np.flatnonzero(post)], pg, wif_cells)
        overall, overall_inf = float(att[post] @ (pg[post] / pg[post].sum())), inf[:, 0]
        values, infs = np.zeros(0), None
    elif kind == "group":
        sets = [np.flatnonzero((group == g) & post) for g in glist]
        labels = list(glist)
        values, infs = _combine_all(att, psi, sets, None, None)
        all_idx = [np.arange(len(glist))]
        (overall,), g_inf = _combine_all(values, infs, all_idx, pg_group,
                                        (glist, pg_group, glist, est.unit_group, est.unit_weight))
        overall_inf = g_inf[:, 0]
    elif kind == "dynamic":
        e_all = time - group
        include = np.ones(len(att), dtype=bool)
        eseq = np.unique(e_all)
        if balance_e is not None:
            include = (est.last_period - group) >= balance_e
            eseq = np.unique(e_all[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - est.last_period + est.first_period)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        labels = list(eseq)
        values, infs = _combine_all(att, psi, [np.flatnonzero((e_all == e) & include) for e in eseq], pg, wif_cells)
        epos = np.flatnonzero(np.asarray(labels) >= 0)
        if len(epos) == 0:
            raise EstimationError("no event time e >= 0 in the window: the overall dynamic effect is undefined")
        (overall,), o_inf = _combine_all(values, infs, [epos], None, None)
        overall_inf = o_inf[:, 0]
    else:  # calendar
        periods = [t for t in np.unique(time[time >= group.min()]) if ((time == t) & post).any()]
        labels = periods
        values, infs = _combine_all(att, psi, [np.flatnonzero((time == t) & post) for t in periods], pg, wif_cells)
        k = len(values)
        (overall,), o_inf = _combine_all(values, infs, [np.arange(k)], None, None)
        overall_inf = o_inf[:, 0]

    return _to_frame(kind, labels, values, infs, float(overall), overall_inf, est)


def _to_frame(
    kind: str,
    labels: Sequence[float],
    values: np.ndarray,
    infs: np.ndarray | None,
    overall: float,
    overall_inf: np.ndarray,
    est: CellEstimates,
) -> AggregatedEffects:
    z = stats.norm.ppf(1 - est.alpha / 2)
    n = len(overall_inf)
    psi = infs if infs is not None and infs.shape[1] else np.zeros((n, 0))
    infs = psi.shape[1] > 0
    cl = est.cluster_codes
    att = np.asarray(values, dtype=float)
    if est.bootstrap:
        boot = multiplier_bootstrap(psi, n_boot=est.n_boot, alpha=est.alpha, seed=est.seed, cluster_codes=cl,
                                    weights=est.bootstrap_weights) if infs else None
        se = boot.se if boot is not None else np.zeros(0)
        crit = boot.crit_val if boot is not None else np.nan
        overall_se = float(multiplier_bootstrap(overall_inf, n_boot=est.n_boot, alpha=est.alpha, seed=est.seed, cluster_codes=cl,
                                                  weights=est.bootstrap_weights).se[0])
    else:
        se = if_se(psi, cl) if infs else np.zeros(0)
        crit = z
        overall_se = float(if_se(overall_inf, cl)[0])
    labels_arr = np.asarray(labels, dtype=float)
    label = LABELS.get(kind)
    table = pd.DataFrame({label[0]: as_event_times(labels_arr)} if label else {})
    table["estimate"], table["std_error"] = att, se
    table["conf_low"], table["conf_high"] = att - z * se, att + z * se
    if est.bootstrap:
        table["cband_low"], table["cband_high"] = att - crit * se, att + crit * se
    return AggregatedEffects(
        kind=kind, table=table, estimate=float(overall), std_error=overall_se,
        vcov=if_vcov(psi, cl) if infs else None, influence=psi, overall_influence=overall_inf,
        crit_val=float(crit), alpha=est.alpha, bootstrap=bool(est.bootstrap),
    )
