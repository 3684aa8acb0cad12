"""Minimum detectable effect of a few-treated test, given its critical values and its noise draws.

A test of no effect rejects when the estimate falls at or beyond its critical values ``(low, high)``.
If the estimate is ``tau + e`` with ``e`` a draw of the estimator's noise (randomisation: the placebo
estimates under the other assignments; Conley–Taber: the simulated error, possibly plus an
independent normal part), an effect ``tau`` is detected with probability
``P(tau + e <= low) + P(tau + e >= high)``. The minimum detectable effect (MDE) at power ``p`` is
the smallest ``tau >= 0`` for which both ``+tau`` and ``-tau`` are detected with probability at
least ``p``. It is infinite when the test cannot reject at all (a critical value is infinite).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["minimum_detectable_effect"]


def _detect_discrete(tau: np.ndarray, e_sorted: np.ndarray, low: float, high: float) -> np.ndarray:
    n = e_sorted.size
    below = np.searchsorted(e_sorted, low - tau, side="right")  # e <= low - tau
    above = n - np.searchsorted(e_sorted, high - tau, side="left")  # e >= high - tau
    return (below + above) / n


def _detect_smooth(tau: float, e: np.ndarray, low: float, high: float, sd: float) -> float:
    return float(np.mean(special.ndtr((low - tau - e) / sd) + special.ndtr((tau + e - high) / sd)))


def minimum_detectable_effect(noise: np.ndarray, critical: np.ndarray, power: float = 0.8, sd: float = 0.0) -> float:
    """Smallest ``tau >= 0`` detected (both signs) with probability ``power``.

    Parameters
    ----------
    noise
        (B,) draws of the estimate's noise.
    critical
        ``(low, high)``: the test rejects when the estimate is ``<= low`` or ``>= high``.
    power
        Required detection probability.
    sd
        SD of an independent normal noise part added to each draw (0: none; the detection share is
        then a step function and the MDE is found exactly among its jump points).

    Returns
    -------
    float
        The MDE; ``inf`` when a critical value is infinite (the test cannot reject) or no finite
        effect reaches ``power``; NaN when there is no noise draw.
    """
    e = np.asarray(noise, dtype=float)
    e = e[np.isfinite(e)]
    low, high = float(critical[0]), float(critical[1])
    if e.size == 0 or math.isnan(low) or math.isnan(high):
        return math.nan
    if not (math.isfinite(low) and math.isfinite(high)):
        return math.inf
    if sd <= 0:
        s = np.sort(e)
        # detection of +tau switches on at tau = high - e_j, of -tau at tau = e_j - low (closed there)
        cand = np.concatenate([[0.0], high - s, s - low])
        cand = np.unique(cand[cand >= 0])
        # evaluate a hair above each candidate: the switch-on point itself is subject to rounding
        at = cand + 8 * np.finfo(float).eps * np.maximum.reduce([np.abs(cand), np.full(cand.shape, abs(high)),
                                                                   np.full(cand.shape, abs(low)), np.ones(cand.shape)])
        ok = (_detect_discrete(at, s, low, high) >= power) & (_detect_discrete(-at, s, low, high) >= power)
        return float(cand[np.argmax(ok)]) if ok.any() else math.inf

    def f(t: float) -> float:
        return min(_detect_smooth(t, e, low, high, sd), _detect_smooth(-t, e, low, high, sd)) - power

    if f(0.0) >= 0:
        return 0.0
    hi = float(np.abs(e).max() + abs(low) + abs(high) + 12 * sd)
    if f(hi) < 0:
        return math.inf
    lo = 0.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if f(mid) >= 0 else (mid, hi)
    return hi
