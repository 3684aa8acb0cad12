"""ATT(g,t) cells on repeated cross-sections and unbalanced panels (R ``did``'s ``panel = FALSE``).

Each cell ``(g, t)`` uses the rows observed in period ``t`` or in its base period that belong to
cohort ``g`` or to its comparison group, and runs the repeated cross-section estimator of
:mod:`.did_drdid_rc` on them: ``post`` marks the rows of period ``t``, ``d`` those of cohort ``g``,
and covariates are each row's own. The influence function (one value per row) is scaled by
``n / n1`` (``n`` observation units, ``n1`` rows in the cell) and summed by observation unit:

- **repeated cross-sections** (``panel=False``): every row is its own observation unit;
- **unbalanced panel** (``allow_unbalanced_panel=True``): the observation unit is the panel unit,
  so a unit seen in both periods of a cell adds its two rows' terms — the influence function,
  and hence every standard error, is clustered by unit (R ``did``'s ``.rowid = idname``).

The cells of a balanced panel do not come here (R ``did`` too keeps the panel estimator then).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sosek_impact.errors import EstimationError, SmallGroupError, UnbalancedPanelError
from sosek_impact.estimators._panel_common import never_treated_mask
from sosek_impact.estimators.did_cells import CellFits, _cell_plan
from sosek_impact.estimators.did_drdid_rc import ESTIMATORS_RC
from sosek_impact.results_protocol import plain

__all__ = ["RCSample", "rc_sample", "estimate_cells_rc", "is_balanced_panel"]


def is_balanced_panel(data: pd.DataFrame, unit: str, time: str) -> bool:
    """Whether every unit has every period; :class:`UnbalancedPanelError` for a repeated (unit, period)."""
    keys = data[[unit, time]]
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        first = keys[dup].iloc[0]
        raise UnbalancedPanelError(
            f"{int(dup.sum())} rows share a ({unit!r}, {time!r}) pair, e.g. ({unit}, {time}) = "
            f"({plain(first[unit])!r}, {plain(first[time])!r}); a panel has one row per unit and period "
            "(pass panel=False for repeated cross-sections)"
        )
    return len(data) == data[unit].nunique() * data[time].nunique()


@dataclass(frozen=True)
class RCSample:
    """Rows of a repeated cross-section or unbalanced panel, ready for :func:`estimate_cells_rc`."""

    y: np.ndarray  # (N,) outcome of each row
    tpos: np.ndarray  # (N,) position of the row's period in tlist
    g_row: np.ndarray  # (N,) group of the row (0 = never treated / comparison throughout)
    w_row: np.ndarray  # (N,) weight of the row
    x_row: np.ndarray  # (N, k) intercept and covariates of the row (its own period)
    ids: np.ndarray  # (N,) observation-unit code of each row, 0..n-1
    units: np.ndarray  # (n,) label of each observation unit (unit value, or row label)
    tlist: np.ndarray  # (T,) sorted periods kept
    g_unit: np.ndarray  # (n,) group of each observation unit
    w_unit: np.ndarray  # (n,) weight of each observation unit (mean of its rows' weights)
    cluster_codes: np.ndarray | None  # (n,) cluster of each observation unit


def rc_sample(
    data: pd.DataFrame, *, y: str, unit: str, time: str, group: str, covariates: Sequence[str],
    weights: str | None, cluster: str | None, panel: bool, control: str, anticipation: int,
) -> RCSample:
    """Arrays of the checked long data; observation units are rows (``panel=False``) or units."""
    tvals = data[time].to_numpy(dtype=float)
    tlist = np.unique(tvals)
    g_row = data[group].to_numpy(dtype=float, na_value=np.nan)
    g_row = np.where(never_treated_mask(g_row), 0.0, g_row)
    keep = np.ones(len(data), dtype=bool)
    if control == "not_yet" and not (g_row == 0).any():
        # as the panel path: the last cohort is the comparison group, periods from its treatment on go
        g_last = g_row.max()
        last_idx = int(np.searchsorted(tlist, g_last))
        kept_t = tlist[: max(last_idx - anticipation, 0)]
        keep = np.isin(tvals, kept_t)
        g_row = np.where(g_row == g_last, 0.0, g_row)
        tlist = kept_t
        if not (g_row[keep] > 0).any() or len(tlist) < 2:
            raise SmallGroupError("with control='not_yet' and no never-treated unit, nothing is left to compare")
    rows = np.flatnonzero(keep)
    if panel:
        ids, units = pd.factorize(data[unit].to_numpy()[rows], sort=True)
        units = np.asarray(units)
    else:
        ids, units = np.arange(len(rows)), np.asarray(data.index[rows])
    n = len(units)
    w_row = np.ones(len(rows)) if weights is None else data[weights].to_numpy(dtype=float)[rows]
    counts = np.bincount(ids, minlength=n)
    w_unit = np.bincount(ids, weights=w_row, minlength=n) / counts
    g_unit = np.zeros(n)
    g_unit[ids] = g_row[rows]
    x_row = np.ones((len(rows), 1 + len(covariates)))
    if covariates:
        x_row[:, 1:] = data[list(covariates)].to_numpy(dtype=float)[rows]
    cluster_codes = None
    if cluster is not None:
        cl = np.empty(n, dtype=object)
        cl[ids] = data[cluster].to_numpy()[rows]
        cluster_codes = pd.factorize(cl, sort=True)[0]
    return RCSample(y=data[y].to_numpy(dtype=float)[rows], tpos=np.searchsorted(tlist, tvals[rows]),
                    g_row=g_row[rows], w_row=w_row, x_row=x_row, ids=ids, units=units, tlist=tlist,
                    g_unit=g_unit, w_unit=w_unit, cluster_codes=cluster_codes)


def estimate_cells_rc(
    s: RCSample, *, control: str, method: str, base_period: str, anticipation: int
) -> CellFits:
    """Every ATT(g,t) and its (observation units x cells) influence function from the rows of ``s``."""
    estimator = ESTIMATORS_RC[method]
    n = len(s.units)
    glist = np.unique(s.g_row[s.g_row > 0])
    plan = _cell_plan(glist, s.tlist, base_period, anticipation)
    g_pos = np.where(s.g_row == 0, np.inf, np.searchsorted(s.tlist, s.g_row)).astype(float)
    psi = np.zeros((n, len(plan)), order="F")
    att = np.full(len(plan), np.nan)
    finite = True
    for k, (g, _gp, tp, bp) in enumerate(plan):
        if bp == tp:  # universal base cell: normalised to zero
            att[k] = 0.0
            continue
        is_g = s.g_row == g
        is_c = (s.g_row == 0) if control == "never" else (g_pos > max(tp, bp) + anticipation) & ~is_g
        rows = np.flatnonzero(((s.tpos == tp) | (s.tpos == bp)) & (is_g | is_c))
        post = (s.tpos[rows] == tp).astype(float)
        d = is_g[rows].astype(float)
        try:
            att[k], inf = estimator(s.y[rows], post, d, s.x_row[rows], s.w_row[rows])
        except (EstimationError, np.linalg.LinAlgError) as exc:
            warnings.warn(f"ATT(g={plain(g)}, t={plain(s.tlist[tp])}) not estimable: {exc}; ATT set to missing",
                          stacklevel=3)
            psi[:, k] = np.nan
            continue
        psi[:, k] = np.bincount(s.ids[rows], weights=inf * (n / len(rows)), minlength=n)
        finite &= bool(np.isfinite(inf).all())
    group = np.array([c[0] for c in plan], dtype=float)
    time = s.tlist[[c[2] for c in plan]].astype(float) if plan else np.zeros(0)
    post_cell = np.array([int(c[2] >= c[1]) for c in plan], dtype=int)
    return CellFits(group=group, time=time, att=att, post=post_cell, psi=psi, finite=finite)
