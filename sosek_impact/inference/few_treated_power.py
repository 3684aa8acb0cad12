"""Minimum detectable effect (MDE) of a few-treated test, from the test's own noise draws.

Two tests, one question: which effect ``tau`` does the test detect with probability ``power``?
The estimate is ``tau + e`` with ``e`` a draw of the estimator's noise.

Rank (randomisation) test, :func:`rank_test_mde`. The test compares ``|estimate|`` with the
``n`` placebo statistics of its reference set (the other assignments of adoption timing, or
placebo units) and rejects when ``p = (1 + #{placebo >= |estimate|}) / (n + 1) <= alpha``. Holding
the critical value fixed at the one observed panel's would overstate the power: in a new panel
the reference set is new too, and the critical value, an order statistic of ``n`` draws, varies
with it (at 999 random draws a little, at 19 placebo units a lot). The MDE therefore treats the
reference set as ``n`` independent draws from the placebo distribution ``F``: an estimate ``x``
whose exceedance share is ``q(x) = P_F(|e| >= |x|)`` is rejected with probability
``P(Binomial(n, q(x)) <= m)``, ``m = floor(alpha (n + 1)) - 1``, and the power at ``tau`` is the
mean of that over the noise draws. With several treated units the placebo statistics of an
enumerated design share units, so they are less independent than ``n`` draws; the simulation in
``tests/inference/test_few_treated_mde_power.py`` measures how close the stated power comes
(docs/few_treated.md, "Minimum detectable effect").

Conley–Taber test, :func:`minimum_detectable_effect`. The critical values ``(low, high)`` are
quantiles of a simulated error distribution built from many comparison units; an effect is
detected with probability ``P(tau + e <= low) + P(tau + e >= high)``, ``e`` the simulated error
(possibly plus an independent normal part).

Both MDEs are the smallest ``tau >= 0`` at which ``+tau`` and ``-tau`` are each detected with
probability at least ``power``; infinite when the test cannot reject at ``alpha`` at all.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["exceedance_variance", "minimum_detectable_effect", "rank_test_mde", "rank_test_power"]


def _rejections_allowed(n: int, alpha: float) -> int:
    """Largest count of placebo statistics at least as extreme that still gives ``p <= alpha``."""
    return math.floor(alpha * (n + 1) * (1 + 1e-12)) - 1


def exceedance_variance(noise: np.ndarray, members: np.ndarray | None = None, exact: bool = True,
                        n_reference: int | None = None) -> np.ndarray:
    """Variance across panels of the reference set's exceedance share, at each of its levels.

    The share ``q_r = r / n`` of placebo statistics at least as extreme as the ``r``-th largest
    varies from panel to panel for two reasons: the Monte Carlo draw of the test's ``n_reference``
    assignments (random draws only: ``q (1 - q) / n_reference``) and the units' own noise. The
    second is estimated from the Hoeffding projection of the share on the units:
    ``v_r = sum_u w_u^2 (hbar_u(r) - q_r)^2``, with ``w_u`` the share of the ``n`` assignments in
    which unit ``u`` is treated and ``hbar_u(r)`` the share of those among the top ``r``. With
    random draws each ``hbar_u`` also carries Monte Carlo noise, which adds
    ``k q (1 - q) / n`` (``k = sum_u w_u`` treated units re-assigned per draw) and is taken off.
    The total is never below the binomial ``q (1 - q) / n_reference``.

    Parameters
    ----------
    noise
        (n,) placebo statistics (finite).
    members
        (n, N) whether unit ``u`` is treated under each assignment; ``None``: the ``n`` statistics
        are independent draws (the binomial variance ``q (1 - q) / n``).
    exact
        The assignments enumerate the design (no Monte Carlo part).
    n_reference
        Size of the test's own reference set (default ``n``); the statistics given may be a
        subset of it.

    Returns
    -------
    numpy.ndarray
        (n + 1,) variance at ``r = 0..n``.
    """
    e = np.asarray(noise, dtype=float)
    n = e.size
    n_ref = n if n_reference is None else int(n_reference)
    q = np.arange(n + 1) / n
    binom = q * (1 - q) / n_ref
    if members is None:
        return binom
    M = np.asarray(members, dtype=bool)
    w = M.mean(axis=0)
    moving = (w > 0) & (w < 1)  # units re-assigned; always- and never-treated units do not vary
    if not moving.any():
        return binom
    M, w = M[:, moving].astype(float), w[moving]
    order = np.argsort(-np.abs(e), kind="stable")
    top = np.vstack([np.zeros(M.shape[1]), np.cumsum(M[order], axis=0)])  # (n+1, U): treated among the top r
    hbar = top / (n * w)[None, :]
    v = ((w[None, :] ** 2) * (hbar - q[:, None]) ** 2).sum(axis=1)
    if not exact:
        v = v - w.sum() * q * (1 - q) / n + binom
    return np.maximum(v, binom)


def _rejection_probability(q: np.ndarray, n: int, m: int, var: np.ndarray) -> np.ndarray:
    """P(a new panel's test rejects) for an estimate whose exceedance share in this panel is ``q``.

    The test (``n`` placebos, rejects when at most ``m`` are at least as extreme) sees a share
    whose variance across panels is ``var``. The count is modelled as binomial with the effective
    size ``nu = q (1 - q) / var`` that matches it, the threshold scaled with it:
    ``P(count <= (m + 1) nu / n - 1)``, by the regularised incomplete beta function (exactly the
    binomial when ``var = q (1 - q) / n``).
    """
    out = np.ones(q.size)
    mid = (q > 0) & (q < 1)
    nu = np.minimum(q[mid] * (1 - q[mid]) / var[mid], n)
    kappa = (m + 1) * nu / n - 1
    out[mid] = special.betainc(nu - kappa, kappa + 1, 1 - q[mid])
    out[q >= 1] = 0.0
    return out


def rank_test_power(tau: np.ndarray | float, noise: np.ndarray, alpha: float, members: np.ndarray | None = None,
                    exact: bool = True, n_reference: int | None = None, gain: np.ndarray | None = None) -> np.ndarray:
    """Probability that the rank test at ``alpha`` rejects no effect when the true effect is ``tau``.

    Parameters
    ----------
    tau
        Effect size(s).
    noise
        (n,) placebo estimates: the noise draws and, in absolute value, the reference set.
    alpha
        Level of the test.
    members, exact, n_reference
        As :func:`exceedance_variance`; the test's threshold is that of ``n_reference`` placebos.
    gain
        (n,) how much of an effect ``tau`` reaches each draw's statistic (default 1). A studentised
        test divides the estimate by an estimated scale that varies from panel to panel; draw
        ``j`` then stands for an estimate ``tau * gain_j + e_j`` (:func:`~sosek_impact.inference.few_treated_core`).

    Returns
    -------
    numpy.ndarray
        Power at each ``tau``: the mean over noise draws ``e_j`` of the probability that a new
        panel's test rejects the estimate ``tau + e_j`` (module docstring).
    """
    e = np.asarray(noise, dtype=float)
    keep = np.isfinite(e)
    e = e[keep]
    tau = np.atleast_1d(np.asarray(tau, dtype=float))
    h = np.ones(e.size) if gain is None else np.asarray(gain, dtype=float)[keep]
    n = e.size
    if n == 0:
        return np.full(tau.shape, np.nan)
    n_ref = n if n_reference is None else int(n_reference)
    m = _rejections_allowed(n_ref, alpha)
    if m < 0:
        return np.zeros(tau.shape)
    var = exceedance_variance(e, None if members is None else np.asarray(members)[keep], exact, n_ref)
    reject = _rejection_probability(np.arange(n + 1) / n, n_ref, m, var)
    ref = np.sort(np.abs(e))
    x = np.abs(tau[:, None] * h[None, :] + e[None, :])
    r = n - np.searchsorted(ref, x.ravel(), side="left").reshape(x.shape)  # placebos at least as extreme
    return reject[r].mean(axis=1)


def rank_test_mde(noise: np.ndarray, alpha: float, power: float = 0.8, *, members: np.ndarray | None = None,
                  exact: bool = True, n_reference: int | None = None, gain: np.ndarray | None = None,
                  grid: int = 256) -> float:
    """Smallest ``tau >= 0`` whose ``+tau`` and ``-tau`` the rank test detects with probability ``power``.

    Parameters
    ----------
    noise
        (n,) placebo estimates (noise draws and reference set; non-finite values are ignored).
    alpha
        Level of the test.
    power
        Required detection probability.
    members, exact, n_reference, gain
        As :func:`rank_test_power` (``members=None``: independent placebo statistics).
    grid
        Points of the coarse scan that brackets the first crossing; the crossing is then found
        by bisection to machine precision (the power is a step function of ``tau``, so the MDE
        is one of its jump points).

    Returns
    -------
    float
        The MDE; ``inf`` when ``1 / (n_reference + 1) > alpha`` (the test cannot reject); NaN without
        noise draws.
    """
    e = np.asarray(noise, dtype=float)
    keep = np.isfinite(e)
    if not keep.any():
        return math.nan
    if members is not None:
        members = np.asarray(members)[keep]
    h = np.ones(int(keep.sum())) if gain is None else np.asarray(gain, dtype=float)[keep]
    e = e[keep]
    if _rejections_allowed(e.size if n_reference is None else int(n_reference), alpha) < 0:
        return math.inf

    def both(t: np.ndarray) -> np.ndarray:
        return np.minimum(rank_test_power(t, e, alpha, members, exact, n_reference, h),
                          rank_test_power(-t, e, alpha, members, exact, n_reference, h))

    # at tau = 2 max|e| / min(gain) (plus rounding room) every |tau gain_j + e_j| exceeds every placebo: power 1
    top = 2.0 * float(np.abs(e).max()) / float(h.min())
    top = top + 16 * np.finfo(float).eps * max(top, 1.0)
    taus = np.linspace(0.0, top, grid)
    ok = both(taus) >= power
    i = int(np.argmax(ok))
    if i == 0:
        return 0.0
    lo, hi = float(taus[i - 1]), float(taus[i])
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        lo, hi = (lo, mid) if both(np.array([mid]))[0] >= power else (mid, hi)
    return hi


def _detect_discrete(tau: np.ndarray, e_sorted: np.ndarray, low: float, high: float) -> np.ndarray:
    n = e_sorted.size
    below = np.searchsorted(e_sorted, low - tau, side="right")  # e <= low - tau
    above = n - np.searchsorted(e_sorted, high - tau, side="left")  # e >= high - tau
    return (below + above) / n


def _detect_smooth(tau: float, e: np.ndarray, low: float, high: float, sd: float) -> float:
    return float(np.mean(special.ndtr((low - tau - e) / sd) + special.ndtr((tau + e - high) / sd)))


def minimum_detectable_effect(noise: np.ndarray, critical: np.ndarray, power: float = 0.8, sd: float = 0.0) -> float:
    """Smallest ``tau >= 0`` detected (both signs) with probability ``power`` by a fixed-critical-value test.

    Used for Conley–Taber, whose critical values are quantiles of the simulated error.

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
    e = np.asarray(noise, dtype=float).ravel()
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
        hair = 8 * np.finfo(float).eps * np.maximum(np.maximum(np.abs(cand), max(abs(high), abs(low))), 1.0)
        at = cand + hair
        ok = (_detect_discrete(at, s, low, high) >= power) & (_detect_discrete(-at, s, low, high) >= power)
        return float(cand[np.argmax(ok)]) if ok.any() else math.inf

    def f(t: float) -> float:
        return min(_detect_smooth(t, e, low, high, sd), _detect_smooth(-t, e, low, high, sd)) - power

    if f(0.0) >= 0:
        return 0.0
    hi = float(np.abs(e).max() + abs(low) + abs(high) + 12 * sd) * (1 + 1e-12)
    if f(hi) < 0:
        return math.inf
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        lo, hi = (lo, mid) if f(mid) >= 0 else (mid, hi)
    return hi
