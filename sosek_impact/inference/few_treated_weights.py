"""Outcome weights of the heterogeneity-robust DiD estimators: ``estimate_k = sum_{i,t} W[k,i,t] Y[i,t]``.

For a fixed design (which unit starts treatment when) the unconditional Callaway–Sant'Anna
aggregates and the Sun–Abraham interaction-weighted estimates are linear in the outcome. This
module computes the weight array ``W`` of shape ``(K, n_units, T)`` for each, so that few-treated
inference (:mod:`sosek_impact.inference.few_treated`) can re-evaluate an estimator under many
re-assignments, or plug other units' residual paths in, by matrix products instead of refits.

Every cell estimate is a difference in differences of means,

    ATT(g, t) = mean_{G=g}(Y_t - Y_b) - mean_{C}(Y_t - Y_b),

with base period ``b`` and comparison set ``C``:

- Callaway–Sant'Anna (``att_gt`` without covariates; outcome regression, IPW and doubly robust
  estimators coincide there): base ``g - 1`` for post-treatment cells and ``t - 1`` for
  pre-treatment cells (R's default ``base_period="varying"``); ``C`` the never-treated units or
  the units not yet treated by ``max(t, b)``.
- Sun–Abraham (``sun_abraham`` with never-treated controls): the saturated cohort x relative
  period regression with unit and period effects fits every treated unit's cells except the
  reference period exactly, so each coefficient is the DiD with base ``g - 1`` (universal) and
  the never-treated units as ``C``.

Aggregation weights follow the estimators: cohort size ``n_g`` among the cells of a term.
Because units of one cohort are exchangeable in the design, ``W[k, i, t]`` depends on unit ``i``
only through its cohort: :func:`cohort_weights` compresses ``W`` to ``L[k, c, t]``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import numpy as np

from sosek_impact.estimators._options import check_choice
from sosek_impact.errors import EstimationError

__all__ = [
    "AGGREGATES",
    "LinearWeights",
    "cohort_weights",
    "cs_linear_weights",
    "get_linear_weights",
    "sa_linear_weights",
]

AGGREGATES = ("simple", "dynamic", "group")

#: ``linear_weights(unit_group, periods, *, aggregate, control, min_e, max_e) -> (terms, W)``
LinearWeights = Callable[..., tuple[list, np.ndarray]]


def _label(v: float) -> int | float:
    v = float(v)
    return int(v) if v.is_integer() else v


def _positions(unit_group: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Position of each unit's first treated period in ``periods`` (``inf`` for never treated)."""
    g = np.asarray(unit_group, dtype=float)
    periods = np.asarray(periods, dtype=float)
    if periods.ndim != 1 or len(periods) < 2 or np.any(np.diff(periods) <= 0):
        raise ValueError("periods must be a sorted 1-d array of at least two distinct values")
    treated = g > 0
    pos = np.searchsorted(periods, g)
    bad = treated & ((pos >= len(periods)) | (periods[np.minimum(pos, len(periods) - 1)] != g))
    if bad.any():
        raise EstimationError(f"first treated period {_label(g[bad][0])} is not one of the periods "
                              f"{_label(periods[0])}..{_label(periods[-1])}")
    first = treated & (pos == 0)
    if first.any():
        raise EstimationError(f"{int(first.sum())} unit(s) are treated in the first period {_label(periods[0])}: "
                              "no pre-treatment period")
    return np.where(treated, pos, np.inf).astype(float)


def _check_window(aggregate: str, control: str, allowed: tuple[str, ...], min_e, max_e) -> tuple[float, float]:
    check_choice("aggregate", aggregate, AGGREGATES)
    check_choice("control", control, allowed)
    lo = -np.inf if min_e is None else float(min_e)
    hi = np.inf if max_e is None else float(max_e)
    return lo, hi


def _cell_matrix(n: int, T: int, is_g: np.ndarray, is_c: np.ndarray, tp: int, bp: int) -> np.ndarray:
    """(n, T) weights of one DiD cell: cohort mean change minus comparison mean change, ``bp -> tp``."""
    w = np.zeros((n, T))
    ng, nc = is_g.sum(), is_c.sum()
    w[is_g, tp] += 1.0 / ng
    w[is_g, bp] -= 1.0 / ng
    w[is_c, tp] -= 1.0 / nc
    w[is_c, bp] += 1.0 / nc
    return w


def _aggregate(cells: list[dict], aggregate: str, lo: float, hi: float, n: int, T: int) -> tuple[list, np.ndarray]:
    """Combine cells (dicts with ``g``, ``e``, ``n_g``, ``w``) into the terms of ``aggregate``."""
    post = [c for c in cells if 0 <= c["e"] <= hi]
    terms: list = []
    rows: list[np.ndarray] = []

    def combine(group: list[dict], weights: np.ndarray) -> np.ndarray:
        missing = [c for c in group if c["w"] is None]
        if missing:
            c = missing[0]
            raise EstimationError(f"no comparison units for group {_label(c['g'])} in period {_label(c['t'])}: "
                                  "the aggregate is undefined (use control='never' or a shorter window)")
        return np.tensordot(weights, np.stack([c["w"] for c in group]), axes=1)

    if aggregate == "simple":
        if not post:
            raise EstimationError("no post-treatment cell: the simple ATT is undefined")
        ng = np.array([c["n_g"] for c in post], dtype=float)
        terms, rows = ["ATT"], [combine(post, ng / ng.sum())]
    elif aggregate == "group":
        for g in sorted({c["g"] for c in post}):
            sel = [c for c in post if c["g"] == g]
            terms.append(_label(g))
            rows.append(combine(sel, np.full(len(sel), 1.0 / len(sel))))
    else:
        for e in sorted({c["e"] for c in cells if lo <= c["e"] <= hi}):
            sel = [c for c in cells if c["e"] == e]
            ng = np.array([c["n_g"] for c in sel], dtype=float)
            terms.append(_label(e))
            rows.append(combine(sel, ng / ng.sum()))
    if not rows:
        raise EstimationError(f"no cell falls in the event-time window [{lo:g}, {hi:g}]")
    return terms, np.stack(rows)


def cs_linear_weights(
    unit_group: np.ndarray,
    periods: np.ndarray,
    *,
    aggregate: str = "simple",
    control: str = "never",
    min_e: float | None = None,
    max_e: float | None = None,
) -> tuple[list, np.ndarray]:
    """Outcome weights of Callaway–Sant'Anna aggregates (unconditional, ``base_period="varying"``).

    Parameters
    ----------
    unit_group
        (n,) first treated period of each unit, 0 = never treated; values are periods.
    periods
        (T,) sorted periods of the balanced panel.
    aggregate
        ``"simple"`` (one term ``"ATT"``), ``"dynamic"`` (one term per event time ``e = t - g``
        in time units, pre-treatment ones included, as ``aggregate("dynamic")``) or ``"group"``
        (one term per cohort: the mean of its post-treatment cells).
    control
        ``"never"`` or ``"not_yet"`` (never treated plus units first treated after ``max(t, b)``).
    min_e, max_e
        Event-time window (``max_e`` also caps the post-treatment cells of ``simple`` and
        ``group``), as :meth:`ATTgtResult.aggregate`.

    Returns
    -------
    terms : list
        Term labels (``"ATT"``; event times or cohorts as ``int`` when integral).
    W : numpy.ndarray
        (K, n, T) with ``estimate_k = (W[k] * Y).sum()``, equal to
        ``att_gt(..., method="reg" or "dr").aggregate(aggregate)`` without covariates.
    """
    lo, hi = _check_window(aggregate, control, ("never", "not_yet"), min_e, max_e)
    periods = np.asarray(periods, dtype=float)
    g_unit = np.asarray(unit_group, dtype=float)
    g_pos = _positions(g_unit, periods)
    n, T = len(g_unit), len(periods)
    never = g_unit == 0
    cells = []
    for g in np.unique(g_unit[g_unit > 0]):
        is_g = g_unit == g
        gp = int(np.searchsorted(periods, g))
        for tp in range(1, T):
            bp = gp - 1 if tp >= gp else tp - 1
            is_c = never if control == "never" else (g_pos > max(tp, bp)) & ~is_g
            w = _cell_matrix(n, T, is_g, is_c, tp, bp) if is_c.any() else None
            cells.append({"g": g, "t": periods[tp], "e": periods[tp] - g, "n_g": int(is_g.sum()), "w": w})
    if not cells:
        raise EstimationError("no treated cohort: nothing to estimate")
    return _aggregate(cells, aggregate, lo, hi, n, T)


def sa_linear_weights(
    unit_group: np.ndarray,
    periods: np.ndarray,
    *,
    aggregate: str = "simple",
    control: str = "never",
    min_e: float | None = None,
    max_e: float | None = None,
) -> tuple[list, np.ndarray]:
    """Outcome weights of the Sun–Abraham interaction-weighted estimates (never-treated controls).

    Relative periods count positions in ``periods`` (as :func:`sun_abraham`); the reference
    period is ``-1``. ``"simple"`` is the overall ATT (post-treatment cells weighted by their
    treated observations), ``"dynamic"`` the interaction-weighted estimate per relative period
    (reference period left out), ``"group"`` the mean of each cohort's post-treatment
    coefficients (not reported by :func:`sun_abraham`; the cohort analogue of the overall ATT).
    Same parameters and returns as :func:`cs_linear_weights`; ``control`` must be ``"never"``.
    """
    lo, hi = _check_window(aggregate, control, ("never",), min_e, max_e)
    periods = np.asarray(periods, dtype=float)
    g_unit = np.asarray(unit_group, dtype=float)
    g_pos = _positions(g_unit, periods)
    n, T = len(g_unit), len(periods)
    never = g_unit == 0
    if not never.any():
        raise EstimationError("Sun-Abraham with control='never' needs never-treated units")
    cells = []
    for g in np.unique(g_unit[g_unit > 0]):
        is_g = g_unit == g
        gp = int(g_pos[is_g][0])
        for tp in range(T):
            if tp == gp - 1:
                continue
            cells.append({"g": g, "t": periods[tp], "e": float(tp - gp), "n_g": int(is_g.sum()),
                          "w": _cell_matrix(n, T, is_g, never, tp, gp - 1)})
    if not cells:
        raise EstimationError("no treated cohort: nothing to estimate")
    return _aggregate(cells, aggregate, lo, hi, n, T)


#: estimator name -> (module, function) of its ``linear_weights``; imported lazily
_REGISTRY: dict[str, tuple[str, str]] = {
    "cs": (__name__, "cs_linear_weights"),
    "sa": (__name__, "sa_linear_weights"),
    "imputation": ("sosek_impact.estimators.imputation", "imputation_linear_weights"),
}


def get_linear_weights(estimator: str) -> LinearWeights:
    """The ``linear_weights`` function of ``estimator`` (``"cs"``, ``"sa"`` or ``"imputation"``).

    Raises
    ------
    ValueError
        Unknown estimator.
    NotImplementedError
        The estimator's module is not installed in this checkout (the imputation estimator).
    """
    check_choice("estimator", estimator, tuple(_REGISTRY))
    module, name = _REGISTRY[estimator]
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise NotImplementedError(
            f"estimator {estimator!r} needs {module}.{name}, which this installation lacks ({exc})"
        ) from exc


def cohort_weights(W: np.ndarray, unit_group: np.ndarray, *, rtol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Compress unit weights ``W[k, i, t]`` to cohort weights ``L[k, c, t]``.

    Parameters
    ----------
    W
        (K, n, T) outcome weights of a design.
    unit_group
        (n,) first treated period per unit (0 never).

    Returns
    -------
    cohorts : numpy.ndarray
        (C,) sorted cohort labels (0 first when present).
    L : numpy.ndarray
        (K, C, T) with ``W[k, i] = L[k, cohort(i)]``.

    Raises
    ------
    EstimationError
        If two units of one cohort carry different weights (the estimator is not symmetric within
        cohorts, so re-assignment by cohort labels would be wrong).
    """
    g = np.asarray(unit_group, dtype=float)
    cohorts = np.unique(g)
    idx = np.searchsorted(cohorts, g)
    first = np.array([np.flatnonzero(idx == c)[0] for c in range(len(cohorts))])
    L = W[:, first, :]
    scale = max(float(np.abs(W).max()), 1e-300)
    if not np.allclose(W, L[:, idx, :], rtol=0.0, atol=rtol * scale):
        raise EstimationError("the estimator's weights differ between units of one cohort; "
                              "cohort re-assignment cannot be vectorised for it")
    return cohorts, L
