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

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sosek_impact.errors import EstimationError
from sosek_impact.estimators._options import check_choice
from sosek_impact.estimators.did_bootstrap import if_se, if_vcov, multiplier_bootstrap
from sosek_impact.estimators.did_factored import FactoredInfluence
from sosek_impact.results_protocol import (
    ResultsProtocol,
    as_event_times,
    deprecated_alias,
    format_number,
    normal_tidy,
    plain,
)

__all__ = ["AggregatedEffects", "CellEstimates", "aggregate_cells"]

KINDS = ("simple", "group", "dynamic", "calendar")


_LABELS = {"group": ("group", "g"), "dynamic": ("event_time", "e"), "calendar": ("time", "t")}


@dataclass(frozen=True, repr=False, eq=False)
class AggregatedEffects(ResultsProtocol):
    """Aggregated effects of an ``att_gt`` fit (R ``did::aggte``), in the package's results protocol.

    ``summary()`` / ``print``, ``tidy()``, ``conf_int()`` and, for event times, ``plot()`` behave as
    for every other result. ``tidy()`` has the overall summary parameter first (term ``"ATT"``),
    then one row per group (``"g=2004"``), event time (``"e=-1"``) or period (``"t=2006"``) with the
    label as an integer column ``group`` / ``event_time`` / ``time``; with the multiplier bootstrap
    it adds the uniform band ``cband_low, cband_high`` (at the fit's ``alpha``).

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    table
        One row per label: ``group``/``event_time``/``time``, ``estimate``, ``std_error``,
        ``conf_low``, ``conf_high`` (normal, at the fit's ``alpha``) and, with the bootstrap,
        ``cband_low``, ``cband_high``. No rows for ``"simple"``.
    estimate, std_error
        The overall summary parameter and its standard error (for ``"simple"`` the only estimate).
    vcov
        Covariance of ``table.estimate`` (from the influence functions), e.g. for an event-study
        sensitivity analysis; ``None`` for ``"simple"``.
    influence, overall_influence
        (n units × rows) influence functions of the rows, and that of the overall parameter.
    crit_val
        Critical value of the uniform band (bootstrap) or the normal quantile (pointwise).
    alpha
        1 − coverage of the stored intervals and band.
    reference
        For ``"dynamic"`` with a universal base period, the base event time (estimate 0 by
        construction); otherwise ``None``.

    Notes
    -----
    Until release 0.2 this object was a pandas DataFrame with columns ``egt, att, se, ci_lower,
    ci_upper`` (``cband_lower, cband_upper``). :meth:`to_frame` returns that layout; DataFrame-style
    use of the object itself (``agg["egt"]``, ``agg.merge(...)``, ``len(agg)``) still works for one
    release with a ``FutureWarning``, as do ``overall_att`` and ``overall_se``.
    """

    kind: str
    table: pd.DataFrame
    estimate: float
    std_error: float
    vcov: np.ndarray | None
    influence: np.ndarray
    overall_influence: np.ndarray
    crit_val: float
    alpha: float
    bootstrap: bool = False
    reference: int | None = None

    overall_att = deprecated_alias("estimate", "overall_att")
    overall_se = deprecated_alias("std_error", "overall_se")

    # ------------------------------------------------------------------ protocol
    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        label = _LABELS.get(self.kind)
        labels = [] if label is None else list(self.table[label[0]])
        terms = ["ATT", *(f"{label[1]}={plain(v)}" for v in labels)] if label else ["ATT"]
        out = normal_tidy(terms, [self.estimate, *self.table["estimate"]], [self.std_error, *self.table["std_error"]],
                          alpha=alpha)
        if label is not None:
            out[label[0]] = as_event_times([np.nan, *labels])
        if self.kind == "dynamic":
            out["post"] = pd.array([None, *[int(e >= 0) for e in labels]], dtype="Int64")
        if self.bootstrap and math.isclose(alpha, self.alpha):
            out["cband_low"] = [np.nan, *self.table["cband_low"]]
            out["cband_high"] = [np.nan, *self.table["cband_high"]]
        return out

    def _summary_header(self) -> list[str]:
        what = {"simple": "simple weighted average of post-treatment ATT(g,t)",
                "group": "average by group (first treated period)",
                "dynamic": "average by event time (event study)",
                "calendar": "average by calendar period"}[self.kind]
        overall = {"simple": "ATT", "group": "ATT = weighted mean of the group effects",
                   "dynamic": "ATT = mean of ATT(e) over e >= 0", "calendar": "ATT = mean of the period effects"}
        inference = "multiplier bootstrap" if self.bootstrap else "analytical influence function"
        lines = [f"Aggregated ATT(g,t) (Callaway & Sant'Anna 2021): {what}; standard errors: {inference}"]
        if self.kind != "simple":
            lines.append(f"Row 'ATT': {overall[self.kind]}")
        return lines

    def _summary_footer(self) -> list[str]:
        if self.bootstrap and self.kind != "simple":
            return [f"Uniform band: critical value {format_number(self.crit_val)} (columns cband_low, cband_high of tidy())"]
        return []

    def plot(self, alpha: float | None = None, *, level: float | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Estimates by label with pointwise intervals and the uniform band (bootstrap); a Figure.

        Drawn by :func:`~sosek_impact.estimators.plotting.event_time_plot`; the reference period
        (universal base period) is marked.
        """
        from sosek_impact.estimators.plotting import event_time_plot

        if self.kind == "simple":
            raise TypeError("a simple aggregate is one number: nothing to plot by event time; use aggregate('dynamic')")
        a = self._resolve_alpha(alpha, level)
        t = self.tidy(a)
        col = _LABELS[self.kind][0]
        t = t.rename(columns={col: "event_time"}) if col != "event_time" else t
        if self.kind != "dynamic":
            kwargs.setdefault("xlabel", {"group": "Group (first treated period)", "calendar": "Period"}[self.kind])
            kwargs.setdefault("ylabel", "ATT")
        kwargs.setdefault("title", f"ATT by {col.replace('_', ' ')} (Callaway & Sant'Anna); overall "
                                   f"{format_number(self.estimate, 3)} (SE {format_number(self.std_error, 3)})")
        return event_time_plot(t, ref=self.reference if self.kind == "dynamic" else None, level=1 - a, ax=ax,
                               band_label="uniform band (multiplier bootstrap)", **kwargs)

    # ------------------------------------------------------------------ earlier DataFrame layout
    def overall(self) -> pd.Series:
        """The overall summary as a Series (``att, se, ci_lower, ci_upper``, normal at ``alpha``)."""
        z = stats.norm.ppf(1 - self.alpha / 2)
        return pd.Series(
            {"att": self.estimate, "se": self.std_error, "ci_lower": self.estimate - z * self.std_error,
             "ci_upper": self.estimate + z * self.std_error},
            name=self.kind,
        )

    def to_frame(self) -> pd.DataFrame:
        """The rows in the layout of releases before 0.2: ``egt, att, se, ci_lower, ci_upper`` (+ ``cband_*``).

        ``egt`` is the group, event time or period (an integer where the labels are whole); the
        overall parameter is in ``attrs["overall_att"]`` and ``attrs["overall_se"]``.
        """
        label = _LABELS.get(self.kind)
        t = self.table
        frame = pd.DataFrame(
            {
                "egt": as_event_times(t[label[0]]) if label else pd.Series([], dtype="int64"),
                "att": t["estimate"].to_numpy(dtype=float),
                "se": t["std_error"].to_numpy(dtype=float),
                "ci_lower": t["conf_low"].to_numpy(dtype=float),
                "ci_upper": t["conf_high"].to_numpy(dtype=float),
            }
        )
        if self.bootstrap:
            frame["cband_lower"] = t["cband_low"].to_numpy(dtype=float)
            frame["cband_upper"] = t["cband_high"].to_numpy(dtype=float)
        frame.attrs.update(kind=self.kind, overall_att=self.estimate, overall_se=self.std_error)
        return frame

    def _legacy_frame(self, what: str) -> pd.DataFrame:
        warnings.warn(
            f"AggregatedEffects is no longer a DataFrame ({what}); this use is deprecated and will be removed "
            "in 0.3: use .table or .tidy() (columns estimate, std_error, conf_low, conf_high), or .to_frame() "
            "for the earlier layout egt, att, se, ci_lower, ci_upper",
            FutureWarning, stacklevel=3,
        )
        return self.to_frame()

    def __getitem__(self, key: Any) -> Any:
        return self._legacy_frame(f"indexing with {key!r}")[key]

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: DataFrame methods and columns of the old layout
        if name.startswith("_") or not (hasattr(pd.DataFrame, name) or name in ("egt", "att", "se", "ci_lower",
                                                                             "ci_upper", "cband_lower", "cband_upper")):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self._legacy_frame(f".{name}"), name)

    def __len__(self) -> int:
        return len(self._legacy_frame("len()"))

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(self._legacy_frame("iteration"))

    def __contains__(self, key: Any) -> bool:
        return key in self._legacy_frame("'in'")


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
    label = _LABELS.get(kind)
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
