"""The group-time cells of :func:`sosek_impact.estimators.did.att_gt`: ATT(g,t) and influence functions.

For every cell the comparison is a two-group, two-period DiD (:mod:`.did_drdid`) on the units of
cohort ``g`` and its comparison group. Two ways to compute it, with the same numbers:

- **general**: gather the cell's units and run the estimator (outcome regression, IPW or doubly
  robust, with covariates);
- **unconditional** (no covariates, the default fast path): with an intercept only, all three
  estimators reduce to the difference of weighted mean changes, ``ATT = mu_g - mu_C``, and the
  influence function of unit ``i`` (scaled to the full sample of ``n`` units) is
  ``n w_i (dY_i - mu_g) / W_g`` in cohort ``g``, ``-n w_i (dY_i - mu_C) / W_C`` in the comparison
  group and 0 elsewhere (``W`` = sum of weights). The propensity score is the constant
  ``W_g / (W_g + W_C)``, so the estimation terms of the propensity score and of the outcome
  regression vanish. The means come from one table of cohort-by-period means, and the influence
  functions are kept in the factored form of :mod:`.did_factored` (per cohort a linear map of
  the units' outcomes), so no cell touches the units. Cells where that reduction does not hold
  exactly (a propensity score trimmed by ``DRDID``'s rule, a zero weight sum) take the general
  path, and the influence matrix is then stored densely.

The general path writes into one preallocated (n units x cells) column-major array.
``tests/did/test_fast_path.py`` checks that both paths give the same numbers to 1e-12.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sosek_impact.errors import EstimationError
from sosek_impact.estimators.did_drdid import ESTIMATORS, TRIM_LEVEL
from sosek_impact.estimators.did_factored import FactoredInfluence, cohort_blocks

__all__ = ["CellFits", "estimate_cells"]


@dataclass(frozen=True)
class CellFits:
    """ATT(g,t) of every cell with its influence function (column of ``psi``)."""

    group: np.ndarray  # (K,) group of each cell, in time units
    time: np.ndarray  # (K,) period of each cell
    att: np.ndarray  # (K,) NaN where not estimable
    post: np.ndarray  # (K,) 1 if time >= group
    psi: np.ndarray | FactoredInfluence  # (n, K), Fortran order, or factored; NaN columns for cells not estimable
    finite: bool  # every column of an estimable cell is finite (no copy needed to clean psi)


def _cell_plan(
    glist: np.ndarray, tlist: np.ndarray, base_period: str, anticipation: int
) -> list[tuple[float, int, int, int]]:
    """``(g, gp, tp, bp)`` of every cell: group, its period position, period and base positions."""
    plan = []
    t_start = 0 if base_period == "universal" else 1
    for g in glist:
        gp = int(np.searchsorted(tlist, g))
        base_post = gp - 1 - anticipation
        if base_post < 0:  # guarded by the checks, kept for not_yet trimming
            raise EstimationError(f"group {g} has no pre-treatment period")
        for tp in range(t_start, len(tlist)):
            bp = base_post if (base_period == "universal" or tp >= gp) else tp - 1
            plan.append((float(g), gp, tp, bp))
    return plan


def estimate_cells(
    y_wide: np.ndarray,
    x_wide: np.ndarray,
    g_unit: np.ndarray,
    w_unit: np.ndarray,
    tlist: np.ndarray,
    *,
    control: str,
    method: str,
    base_period: str,
    anticipation: int,
    fast: bool = True,
) -> CellFits:
    """Estimate every ATT(g,t) and its influence function.

    Parameters
    ----------
    y_wide
        (n units, T periods) outcomes.
    x_wide
        (T, n, k) covariates with the intercept first; taken at the earlier period of each cell.
    g_unit
        (n,) group of each unit (a period of ``tlist``; 0 = never treated).
    w_unit
        (n,) unit weights.
    tlist
        Sorted periods.
    control, method, base_period, anticipation
        As in :func:`~sosek_impact.estimators.did.att_gt`.
    fast
        Use the unconditional reduction when there are no covariates (``False`` forces the general
        path everywhere; same numbers, for tests).
    """
    n, n_t = y_wide.shape
    estimator = ESTIMATORS[method]
    g_pos = np.where(g_unit == 0, np.inf, np.searchsorted(tlist, g_unit)).astype(float)
    glist = np.unique(g_unit[g_unit > 0])
    plan = _cell_plan(glist, tlist, base_period, anticipation)
    k_cells = len(plan)
    att = np.full(k_cells, np.nan)
    unconditional = fast and x_wide.shape[2] == 1 and bool(np.isfinite(y_wide).all())
    finite = True
    psi: np.ndarray | None = None
    if unconditional:
        # cohort code of each unit: 0..G-1 for glist, G for never treated
        n_codes = len(glist) + 1
        codes = np.where(g_unit > 0, np.searchsorted(glist, g_unit), len(glist))
        cohort_pos = np.r_[np.searchsorted(tlist, glist).astype(float), np.inf]
        zy, zw, bounds, order, means, w_cohort = cohort_blocks(y_wide, w_unit, codes, n_codes)
        n_cohort = np.diff(bounds)
        load = np.zeros((n_codes, n_t + 1, k_cells))
    else:
        psi = np.zeros((n, k_cells), order="F")
    for k, (g, gp, tp, bp) in enumerate(plan):
        if bp == tp:  # universal base cell: normalised to zero
            att[k] = 0.0
            continue
        if unconditional:
            cg = int(np.searchsorted(glist, g))
            if control == "never":
                ctrl = np.zeros(n_codes, dtype=bool)
                ctrl[-1] = True
            else:
                ctrl = cohort_pos > max(tp, bp) + anticipation
                ctrl[cg] = False
            ctrl &= n_cohort > 0
            if ctrl.any() and _reduction_holds(method, w_cohort[cg], w_cohort[ctrl].sum()):
                att[k] = _unconditional_cell(means, w_cohort, cg, ctrl, tp, bp, n, load[:, :, k])
                continue
        if psi is None:
            psi = np.zeros((n, k_cells), order="F")
        is_g = g_unit == g
        is_c = (g_unit == 0) if control == "never" else (g_pos > max(tp, bp) + anticipation) & ~is_g
        if not is_c.any():
            warnings.warn(f"no comparison units for group {g} in period {tlist[tp]}; ATT set to missing", stacklevel=3)
            psi[:, k] = np.nan
            continue
        sel = is_g | is_c
        n1 = int(sel.sum())
        dy = y_wide[sel, tp] - y_wide[sel, bp]
        x = x_wide[min(tp, bp), sel]
        d = is_g[sel].astype(float)
        try:
            att[k], inf = estimator(dy, d, x, w_unit[sel])
        except (EstimationError, np.linalg.LinAlgError) as exc:
            warnings.warn(f"ATT(g={g}, t={tlist[tp]}) not estimable: {exc}", stacklevel=3)
            psi[:, k] = np.nan
            continue
        psi[sel, k] = inf * (n / n1)
        finite &= bool(np.isfinite(inf).all())
    influence: np.ndarray | FactoredInfluence
    if unconditional:
        factored = FactoredInfluence(zy=zy, zw=zw, bounds=bounds, order=order, load=load)
        # cells of the general path (trimmed propensity score, no comparison units) have zero loadings
        influence = factored if psi is None else psi + factored.dense()
    else:
        influence = psi
    group = np.array([c[0] for c in plan], dtype=float)
    time = tlist[[c[2] for c in plan]].astype(float) if k_cells else np.zeros(0)
    post = np.array([int(c[2] >= c[1]) for c in plan], dtype=int)
    return CellFits(group=group, time=time, att=att, post=post, psi=influence, finite=finite)


def _reduction_holds(method: str, w_treated: float, w_control: float) -> bool:
    """Whether the intercept-only estimators reduce exactly to the difference of means."""
    if not (w_treated > 0 and w_control > 0):
        return False
    if method == "reg":
        return True
    p = min(w_treated / (w_treated + w_control), 1 - 1e-6)
    return p < TRIM_LEVEL  # otherwise DRDID's trimming drops the comparison units


def _unconditional_cell(
    means: np.ndarray,
    w_cohort: np.ndarray,
    cg: int,
    ctrl: np.ndarray,
    tp: int,
    bp: int,
    n: int,
    load: np.ndarray,
) -> float:
    """Difference of weighted mean changes; writes the cell's loadings (cohorts x T+1) into ``load``.

    ``means``: (cohorts, T) weighted cohort means of the unit-centred outcome (:func:`cohort_blocks`);
    ``cg``: the treated cohort; ``ctrl``: mask of the comparison cohorts. A unit of cohort ``c``
    has influence ``a(c) w_i (dY_i - mu(c))`` with ``a = n / W_g``, ``mu = mu_g`` in the treated
    cohort and ``a = -n / W_C``, ``mu = mu_C`` in the comparison cohorts.
    """
    change = means[:, tp] - means[:, bp]
    w_t, w_c = w_cohort[cg], w_cohort[ctrl].sum()
    mu_t = change[cg]
    mu_c = (w_cohort[ctrl] @ change[ctrl]) / w_c
    a = np.zeros(len(w_cohort))
    centre = np.zeros(len(w_cohort))
    a[cg], centre[cg] = n / w_t, mu_t
    a[ctrl], centre[ctrl] = -n / w_c, mu_c
    load[:, tp] += a
    load[:, bp] -= a
    load[:, -1] = a * np.where(a != 0, change - centre, 0.0)
    return float(mu_t - mu_c)
