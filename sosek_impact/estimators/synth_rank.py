"""The placebo-rank statistic of synthetic control and synthetic DiD, with a stated exact-fit rule.

The placebo-in-space test (Abadie, Diamond and Hainmueller 2010) ranks the treated unit's ratio of
post- to pre-treatment root mean squared gap (RMSPE) among the same ratios of placebo units. With
few pre-periods and many donors many fits are *exact*: the pre-RMSPE is rounding noise (~1e-13),
so the ratio is noise over noise and its rank changed between machines (numpy/scipy versions).
The rules here make the statistic a function of the data at a stated resolution:

1. **Resolution.** ``resolution = rtol * scale``, where ``scale`` is the standard deviation of the
   pre-period outcomes of all units in the fit (treated and donors) and ``rtol`` is
   :data:`EXACT_FIT_RTOL` (1e-6) unless given. One resolution serves every unit of one test.
2. **Exact fit.** A pre-RMSPE at or below the resolution is an *exact fit*: it is reported as
   exactly 0 (``exact_fit`` True) and its post/pre ratio as infinite (undefined: nothing to
   divide by). Gaps below the resolution are reported as exactly 0 as well.
3. **Rank statistic.** Units are ranked by ``post_rmspe / max(pre_rmspe, resolution)``. Every exact
   fit is thereby compared with every other exact fit by its post-RMSPE alone, and ranks above
   every unit whose pre-period fit is not exact and whose post-RMSPE is not larger.
4. **Ties.** Two statistics within a relative :data:`TIE_RTOL` (1e-6) of each other are a tie, and
   a tie counts against the treated unit (conservative): ``p = #{units with statistic >=
   treated statistic (within the tolerance)} / (number of units)``, the treated unit included.
5. **Missing.** A unit whose statistic is missing (no observed post-period gap) is left out of
   the count and of the denominator; callers say how many.

A quantity within the tolerances of a threshold can still flip; away from them, a relative
perturbation of the outcome of order 1e-10 leaves every p-value unchanged (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EXACT_FIT_RTOL",
    "TIE_RTOL",
    "WEIGHT_ZERO",
    "clean_weights",
    "fit_resolution",
    "placebo_rank_p_value",
    "rank_statistic",
    "rmspe_ratio",
    "snap_gap",
]

#: pre-RMSPE at or below ``EXACT_FIT_RTOL * sd(pre-period outcomes)`` is an exact fit
EXACT_FIT_RTOL = 1e-6
#: relative tolerance within which two rank statistics are a tie
TIE_RTOL = 1e-6
#: weights at or below this are set to exactly 0 (and the rest renormalised)
WEIGHT_ZERO = 1e-10


def fit_resolution(pre_outcomes: ArrayLike, rtol: float = EXACT_FIT_RTOL) -> float:
    """The exact-fit resolution ``rtol * sd`` of the pre-period outcomes (all units, missing ignored).

    A constant outcome (sd 0) falls back to ``rtol * max(|y|, 1)``.
    """
    y = np.asarray(pre_outcomes, dtype=float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return 0.0
    sd = float(np.std(y))
    scale = sd if sd > 0 else max(float(np.max(np.abs(y))), 1.0)
    return float(rtol) * scale


def _rmspe(x: NDArray) -> float:
    x = x[np.isfinite(x)]
    return float(np.sqrt(np.mean(x * x))) if x.size else float("nan")


def rmspe_ratio(
    gap: ArrayLike, pre_mask: ArrayLike, post_mask: ArrayLike, resolution: float = 0.0
) -> tuple[float, float, float]:
    """Pre- and post-treatment root mean squared gap and their ratio (post / pre).

    The statistic behind the placebo-in-space test of
    :func:`~sosek_impact.estimators.synthetic_control` and
    :func:`~sosek_impact.estimators.synthetic_did` (Abadie, Diamond and Hainmueller 2010): ``gap`` is
    the treated outcome minus its synthetic counterpart, period by period (missing gaps ignored).

    Parameters
    ----------
    gap, pre_mask, post_mask
        Gap by period and boolean masks of the pre- and post-treatment periods.
    resolution
        Exact-fit resolution (see :func:`fit_resolution`): a pre- or post-RMSPE at or below it is
        reported as exactly 0. The ratio is then infinite (pre 0, post > 0) or missing (both 0).

    Returns
    -------
    pre_rmspe, post_rmspe, ratio : float
    """
    g = np.asarray(gap, dtype=float)
    pre, post = _rmspe(g[np.asarray(pre_mask)]), _rmspe(g[np.asarray(post_mask)])
    if pre <= resolution:
        pre = 0.0
    if post <= resolution:
        post = 0.0
    if not np.isfinite(post) or not np.isfinite(pre):
        return pre, post, float("nan")
    if pre > 0:
        return pre, post, post / pre
    return pre, post, float("inf") if post > 0 else float("nan")


def rank_statistic(pre_rmspe: ArrayLike, post_rmspe: ArrayLike, resolution: float) -> NDArray[np.float64]:
    """``post / max(pre, resolution)``: the ranked statistic (rule 3 of the module docstring).

    With ``resolution == 0`` an exact fit (pre 0) gives ``inf`` and a unit with pre and post both
    0 a missing value.
    """
    pre = np.atleast_1d(np.asarray(pre_rmspe, dtype=float))
    post = np.atleast_1d(np.asarray(post_rmspe, dtype=float))
    den = np.maximum(pre, resolution)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, post / np.where(den > 0, den, 1.0), np.where(post > 0, np.inf, np.nan))
    return np.where(np.isfinite(pre) & np.isfinite(post), out, np.nan)


def placebo_rank_p_value(treated: float, placebos: Sequence[float] | ArrayLike, rtol: float = TIE_RTOL) -> float:
    """Rank p-value of the treated unit's statistic among placebo statistics (larger = more extreme).

    ``p = (1 + #{placebos with statistic >= treated * (1 - rtol)}) / (1 + #placebos)``: ties within
    the relative tolerance ``rtol`` count against the treated unit (conservative), as in Abadie et
    al. (2010). Missing placebo statistics are left out; infinite ones are kept (an infinite
    placebo ties with an infinite treated statistic). A missing treated statistic gives NaN.
    """
    t = float(treated)
    s = np.asarray(list(placebos) if not isinstance(placebos, np.ndarray) else placebos, dtype=float)
    s = s[~np.isnan(s)]
    if np.isnan(t):
        return float("nan")
    if np.isinf(t):
        at_least = s >= t
    else:
        at_least = s >= t - rtol * abs(t)
    return (1 + int(np.sum(at_least))) / (s.size + 1)


def snap_gap(gap: NDArray[np.float64], resolution: float) -> NDArray[np.float64]:
    """Gaps with ``|gap| <= resolution`` set to exactly 0 (missing stay missing)."""
    g = np.array(gap, dtype=float)
    g[np.abs(g) <= resolution] = 0.0
    return g


def clean_weights(w: ArrayLike, zero: float = WEIGHT_ZERO) -> NDArray[np.float64]:
    """Simplex weights with entries at or below ``zero`` set to exactly 0, the rest renormalised.

    Makes printed weights (and which donors have positive weight) the same on every machine: a
    solver returns 1e-17 on one and 0 on another.
    """
    x = np.array(w, dtype=float)
    x[x <= zero] = 0.0
    total = x.sum()
    return x / total if total > 0 else x
