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
the multiplier bootstrap when the fit used ``bootstrap=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.did_bootstrap import if_se, if_vcov, multiplier_bootstrap

__all__ = ["AggregatedEffects", "CellEstimates", "aggregate_cells"]

KINDS = ("simple", "group", "dynamic", "calendar")


class AggregatedEffects(pd.DataFrame):
    """A DataFrame of aggregated effects (columns ``egt, att, se, ci_lower, ci_upper`` and, with the
    bootstrap, ``cband_lower, cband_upper``) that also carries the overall summary.

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    overall_att, overall_se
        The overall summary parameter and its standard error (for ``"simple"`` the only estimate;
        the table then has no rows).
    vcov
        Covariance matrix of ``att`` across rows (from the influence functions), e.g. for an
        event-study sensitivity analysis; ``None`` for ``"simple"``.
    influence
        (n units × rows) influence functions of the rows; ``overall_influence`` that of the overall.
    crit_val
        Critical value of the uniform band (bootstrap) or the normal quantile (pointwise).
    """

    _metadata = ["kind", "overall_att", "overall_se", "vcov", "influence", "overall_influence", "crit_val", "alpha"]

    @property
    def _constructor(self) -> type[AggregatedEffects]:
        return AggregatedEffects

    def overall(self) -> pd.Series:
        """The overall summary as a Series (``att, se, ci_lower, ci_upper``)."""
        z = stats.norm.ppf(1 - self.alpha / 2)
        return pd.Series(
            {
                "att": self.overall_att,
                "se": self.overall_se,
                "ci_lower": self.overall_att - z * self.overall_se,
                "ci_upper": self.overall_att + z * self.overall_se,
            },
            name=self.kind,
        )


@dataclass(frozen=True)
class CellEstimates:
    """What aggregation needs from an ``att_gt`` fit (arrays aligned on the cells / units)."""

    group: np.ndarray  # (K,) group of each cell, in time units
    time: np.ndarray  # (K,) period of each cell
    att: np.ndarray  # (K,)
    psi: np.ndarray  # (n, K) influence functions
    unit_group: np.ndarray  # (n,) group of each unit, 0 = never treated
    unit_weight: np.ndarray  # (n,)
    cluster_codes: np.ndarray | None
    alpha: float
    bootstrap: bool
    n_boot: int
    seed: int | None
    last_period: float
    first_period: float


def _wif(keepers: np.ndarray, pg: np.ndarray, cell_group: np.ndarray, est: CellEstimates) -> np.ndarray:
    """Influence function of the weights ``pg_k / sum(pg_keepers)`` (n × len(keepers))."""
    ind = est.unit_weight[:, None] * (est.unit_group[:, None] == cell_group[keepers][None, :]) - pg[keepers][None, :]
    total = pg[keepers].sum()
    return ind / total - ind.sum(axis=1, keepdims=True) * (pg[keepers] / total**2)[None, :]


def _combine(att: np.ndarray, psi: np.ndarray, idx: np.ndarray, weights: np.ndarray, wif: np.ndarray | None) -> tuple[float, np.ndarray]:
    value = float(att[idx] @ weights)
    inf = psi[:, idx] @ weights
    if wif is not None:
        inf = inf + wif @ att[idx]
    return value, inf


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
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    group, time, att, psi = est.group, est.time, est.att, est.psi
    bad = np.isnan(att)
    if bad.any():
        if not na_rm:
            raise EstimationError(
                f"{int(bad.sum())} ATT(g,t) are missing (e.g. group {group[bad][0]}, time {time[bad][0]}); "
                "pass na_rm=True to aggregate the others"
            )
        keep = ~bad
        group, time, att, psi = group[keep], time[keep], att[keep], psi[:, keep]
    psi = np.nan_to_num(psi)
    glist = np.unique(est.unit_group[est.unit_group != 0])
    pg_group = np.array([np.mean(est.unit_weight * (est.unit_group == g)) for g in glist])
    pg = pg_group[np.searchsorted(glist, group)]
    sub = CellEstimates(group, time, att, psi, est.unit_group, est.unit_weight, est.cluster_codes,
                        est.alpha, est.bootstrap, est.n_boot, est.seed, est.last_period, est.first_period)
    post = (group <= time) & (time <= group + max_e)

    labels: list[float] = []
    values: list[float] = []
    infs: list[np.ndarray] = []
    if kind == "simple":
        idx = np.flatnonzero(post)
        overall, overall_inf = _combine(att, psi, idx, pg[idx] / pg[idx].sum(), _wif(idx, pg, group, sub))
    elif kind == "group":
        for g in glist:
            idx = np.flatnonzero((group == g) & post)
            v, inf = _combine(att, psi, idx, np.full(len(idx), 1 / len(idx)), None)
            labels.append(g), values.append(v), infs.append(inf)
        all_idx = np.arange(len(glist))
        g_att, g_psi = np.array(values), np.column_stack(infs)
        wif = _wif(all_idx, pg_group, glist, sub)
        overall, overall_inf = _combine(g_att, g_psi, all_idx, pg_group / pg_group.sum(), wif)
    elif kind == "dynamic":
        e_all = time - group
        include = np.ones(len(att), dtype=bool)
        eseq = np.unique(e_all)
        if balance_e is not None:
            include = (est.last_period - group) >= balance_e
            eseq = np.unique(e_all[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - est.last_period + est.first_period)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for e in eseq:
            idx = np.flatnonzero((e_all == e) & include)
            v, inf = _combine(att, psi, idx, pg[idx] / pg[idx].sum(), _wif(idx, pg, group, sub))
            labels.append(e), values.append(v), infs.append(inf)
        epos = np.flatnonzero(np.asarray(labels) >= 0)
        if len(epos) == 0:
            raise EstimationError("no event time e >= 0 in the window: the overall dynamic effect is undefined")
        overall, overall_inf = _combine(np.array(values), np.column_stack(infs), epos, np.full(len(epos), 1 / len(epos)), None)
    else:  # calendar
        for t in np.unique(time[time >= group.min()]):
            idx = np.flatnonzero((time == t) & post)
            if len(idx) == 0:
                continue
            v, inf = _combine(att, psi, idx, pg[idx] / pg[idx].sum(), _wif(idx, pg, group, sub))
            labels.append(t), values.append(v), infs.append(inf)
        k = len(values)
        overall, overall_inf = _combine(np.array(values), np.column_stack(infs), np.arange(k), np.full(k, 1 / k), None)

    return _to_frame(kind, labels, values, infs, overall, overall_inf, est)


def _to_frame(
    kind: str,
    labels: Sequence[float],
    values: Sequence[float],
    infs: Sequence[np.ndarray],
    overall: float,
    overall_inf: np.ndarray,
    est: CellEstimates,
) -> AggregatedEffects:
    z = stats.norm.ppf(1 - est.alpha / 2)
    n = len(overall_inf)
    psi = np.column_stack(infs) if infs else np.zeros((n, 0))
    cl = est.cluster_codes
    att = np.asarray(values, dtype=float)
    if est.bootstrap:
        boot = multiplier_bootstrap(psi, n_boot=est.n_boot, alpha=est.alpha, seed=est.seed, cluster_codes=cl) if infs else None
        se = boot.se if boot is not None else np.zeros(0)
        crit = boot.crit_val if boot is not None else np.nan
        overall_se = float(multiplier_bootstrap(overall_inf, n_boot=est.n_boot, alpha=est.alpha, seed=est.seed, cluster_codes=cl).se[0])
    else:
        se = if_se(psi, cl) if infs else np.zeros(0)
        crit = z
        overall_se = float(if_se(overall_inf, cl)[0])
    frame = AggregatedEffects(
        {
            "egt": np.asarray(labels),
            "att": att,
            "se": se,
            "ci_lower": att - z * se,
            "ci_upper": att + z * se,
        }
    )
    if est.bootstrap:
        frame["cband_lower"] = att - crit * se
        frame["cband_upper"] = att + crit * se
    frame.kind = kind
    frame.overall_att = float(overall)
    frame.overall_se = overall_se
    frame.vcov = if_vcov(psi, cl) if infs else None
    frame.influence = psi
    frame.overall_influence = overall_inf
    frame.crit_val = float(crit)
    frame.alpha = est.alpha
    return frame
