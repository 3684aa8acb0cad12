"""Per-unit noise scales for few-treated inference when treated units are noisier than controls.

Few-treated methods compare the observed estimate with estimates in which other units stand in
for the treated ones: re-assigned units (randomisation inference) or control residual paths
(Conley–Taber). Both assume the units' noise is exchangeable. When the treated regencies are
noisier (small populations, a differently measured series), the observed estimate varies more
than the stand-ins and the intervals are too short (Ferman & Pinto 2019, REStat). This module
gives each unit a scale that re-assignment cannot change:

- **the scale window** is the periods before the first cohort. They are untreated for every unit
  under every re-assignment (re-assignment keeps the cohorts, hence the first one), so a scale
  computed there is a function of untreated outcomes only. For a pre-treatment dynamic term the
  periods its null shifts (the cells at its event time) are left out too, so its scales do not
  depend on the effect tested either;
- **the scale** ``s_i^2`` of unit ``i`` is the mean square of its two-way demeaned outcomes in the
  window (unit and period means removed over all units), ``d = T_w - 1`` degrees of freedom;
- **the correlation** of a unit's noise over time, ``R``, is the mean outer product of the
  never-treated units' two-way demeaned paths over all periods (means over those units only),
  each divided by its own root mean square; it reads no treated cell.

With these, the variance of a linear estimate ``sum_i w_i' eps_i`` is ``V = sum_i s_i^2 w_i' R w_i``;
:mod:`~sosek_impact.inference.few_treated` studentises randomisation statistics by it and rescales
Conley–Taber's control paths by ``s_j / s_l``. ``scale="none"`` sets every ``s_i = 1`` (equal noise,
the method before scaling existed): ``V`` is then the same under every re-assignment and the
studentised test is exactly the unstudentised one.

The scales are the units' own, not shrunk toward a pooled value: shrinkage buys shorter intervals
at equal noise at the price of under-correcting exactly the noisy treated units the scaling is
for (measured in ``docs/few_treated.md``). With few pre-periods the scales are noisy; the
randomisation test stays valid under exchangeability of the *scaled* paths (the noise of a scale
is a property of the unit, re-assigned with it), and so does Conley–Taber's rescaling: a control
path divided by its own estimated scale carries the same estimation noise as the treated estimate
divided by the treated unit's (with 4 pre-periods both covered 0.95–0.97 in the Monte Carlo of
``docs/few_treated.md``). With fewer than two pre-periods no scale exists: equal noise is assumed,
with a :class:`~sosek_impact.inference.few_treated_result.FewPrePeriodsWarning`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sosek_impact.errors import EstimationError
from sosek_impact.inference.few_treated_result import UnknownScaleError

__all__ = ["SCALES", "NoiseScales", "noise_scales", "variance_ratio", "variance_weights",
           "scale_window"]

#: Valid values of ``scale``.
SCALES = ("pre_period", "none")

#: Treated/control variance ratio outside ``[1/FAR, FAR]`` with a permutation p-value below
#: ``FAR_PVALUE`` is reported as a warning.
FAR = 1.5
FAR_PVALUE = 0.05


@dataclass(frozen=True)
class NoiseScales:
    """Noise scales of one design.

    Attributes
    ----------
    s2
        (K, n) squared scale of each unit for each term (ones for ``scale="none"``).
    R
        (T, T) noise correlation over periods (identity when it cannot be estimated).
    n_pre
        Periods in the base scale window (before the first cohort).
    ratio, ratio_pvalue
        Mean window variance of the ever-treated units over that of the never-treated units and
        the permutation p-value of equal scales (:func:`variance_ratio`); NaN if either group is
        empty or the window has fewer than two periods.
    notes
        ``(message, kind)`` pairs for the caller to warn about; ``kind`` is ``"ratio"``,
        ``"controls"`` or ``"fallback"``.
    effective
        The scaling applied: ``"none"`` when asked for, or after the fallback.
    """

    s2: np.ndarray
    R: np.ndarray
    n_pre: int
    ratio: float
    ratio_pvalue: float
    notes: tuple[tuple[str, str], ...] = ()
    effective: str = "pre_period"


def scale_window(g: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """(T,) periods before the first cohort (untreated for every unit under every re-assignment)."""
    treated = g > 0
    if not treated.any():
        return np.ones(len(periods), dtype=bool)
    return periods < g[treated].min()


def _window_variances(Y: np.ndarray, window: np.ndarray, detrend: bool = False) -> np.ndarray:
    Z = Y[:, window]
    Tw = Z.shape[1]
    if Tw < 2 + detrend:
        return np.full(Y.shape[0], np.nan)
    E = Z - Z.mean(axis=1, keepdims=True) - Z.mean(axis=0, keepdims=True) + Z.mean()
    if detrend:  # remove each unit's own linear trend too (one more degree of freedom)
        x = np.arange(Tw) - (Tw - 1) / 2
        E = E - np.outer(E @ x / (x @ x), x)
    return (E**2).sum(axis=1) / (Tw - 1 - detrend)


def _correlation(Y: np.ndarray, never: np.ndarray) -> np.ndarray | None:
    """Noise correlation over periods from the never-treated units' outcomes alone.

    Each unit's two-way demeaned path (means over never-treated units only) is divided by its own
    root mean square, so ``R`` has mean diagonal 1 and reads no treated cell: a null that shifts
    treated cells (test inversion) cannot change it.
    """
    n0 = int(never.sum())
    if n0 < 2:
        return None
    Yc = Y[never]
    eta = Yc - Yc.mean(axis=1, keepdims=True) - Yc.mean(axis=0, keepdims=True) + Yc.mean()
    rms = np.sqrt((eta**2).mean(axis=1))
    if not (rms > 0).all():
        return None
    z = eta / rms[:, None]
    return z.T @ z / n0


def variance_ratio(raw: np.ndarray, treated: np.ndarray, never: np.ndarray, n_perm: int = 999) -> tuple[float, float]:
    """Treated / never-treated mean window variance and its permutation p-value of equal scales.

    The p-value is the share of ``n_perm`` random splits of the same units (seeded, so reruns
    agree) into groups of the same sizes whose log ratio is at least as far from 0, the observed
    split counted once: exact under exchangeable scales and free of any degrees-of-freedom
    assumption (serially correlated noise makes an F-test over-reject).
    """
    pool = np.flatnonzero(treated | never)
    v = raw[pool]
    n1 = int(treated.sum())
    v1, v0 = float(raw[treated].mean()), float(raw[never].mean())
    if not (v0 > 0 and v1 > 0):
        return math.nan, math.nan
    obs = abs(math.log(v1 / v0))
    rng = np.random.default_rng(0)
    idx = np.argsort(rng.random((n_perm, v.size)), axis=1)
    m1 = v[idx[:, :n1]].mean(axis=1)
    m0 = v[idx[:, n1:]].mean(axis=1)
    hits = int((np.abs(np.log(m1 / m0)) >= obs - 1e-12).sum())
    return v1 / v0, (1 + hits) / (1 + n_perm)


def variance_weights(L: np.ndarray, R: np.ndarray) -> np.ndarray:
    """(K, C) ``q[k, c] = L[k, c]' R L[k, c]``: a unit's variance contribution per unit of ``s^2``."""
    return np.einsum("kct,ts,kcs->kc", L, R, L)


def noise_scales(
    Y: np.ndarray,
    g: np.ndarray,
    periods: np.ndarray,
    X: np.ndarray,
    scale: str,
    units: np.ndarray | None = None,
    *,
    detrend: bool = False,
) -> NoiseScales:
    """Per-unit, per-term noise scales of a design.

    Parameters
    ----------
    Y
        (n, T) outcomes.
    g
        (n,) first-treated periods (0 never).
    periods
        (T,) sorted periods.
    X
        (K, n, T) exposure of each term's null (the cells its effect shifts); periods where it is
        non-zero for some unit are left out of that term's scale window.
    scale
        ``"pre_period"`` or ``"none"``.
    units
        (n,) unit labels, for messages.
    detrend
        Also remove each unit's linear trend in the window before taking the mean square (the
        lead test's scales, so that a pre-trend does not inflate the scale it is judged by).

    Raises
    ------
    UnknownScaleError
        Unknown ``scale`` (the message lists the valid ones).
    EstimationError
        A unit whose outcomes in the window are exactly two-way additive (zero scale): the
        studentised statistic would divide by zero for it.
    """
    if scale not in SCALES:
        raise UnknownScaleError(f"scale must be one of {SCALES}, got {scale!r}")
    K, n, T = X.shape
    never = g == 0
    treated = g > 0
    base = scale_window(g, periods)
    n_pre = int(base.sum())
    raw = _window_variances(Y, base, detrend)
    ratio = ratio_p = math.nan
    notes: list[tuple[str, str]] = []
    if n_pre >= 2 and treated.any() and never.any():
        ratio, ratio_p = variance_ratio(raw, treated, never)
    ones = np.ones((K, n))
    if scale == "none":
        if np.isfinite(ratio) and (ratio > FAR or ratio < 1 / FAR) and ratio_p < FAR_PVALUE:
            way = ("too short (the test over-rejects)" if ratio > 1 else "too long (the test is conservative)")
            notes.append((f"treated units' pre-period residual variance is {ratio:.3g} times the never-treated units' "
                          f"(permutation p = {ratio_p:.2g}): with scale='none' (equal noise) the intervals are likely {way}; "
                          "the default scale='pre_period' studentises for it", "ratio"))
        return NoiseScales(ones, np.eye(T), n_pre, ratio, ratio_p, tuple(notes), "none")
    if np.isfinite(ratio) and (ratio > FAR or ratio < 1 / FAR) and ratio_p < FAR_PVALUE:
        way = "too short (over-reject)" if ratio > 1 else "too long (conservative)"
        notes.append((f"treated units' pre-period residual variance is {ratio:.3g} times the never-treated units' "
                      f"(permutation p = {ratio_p:.2g}); these intervals use per-unit scales for it, unscaled "
                      f"(scale='none') ones would be {way}", "ratio"))
    if n_pre < 2 + detrend:
        notes.append((f"{n_pre} period(s) before the first cohort: no unit's noise scale can be estimated, so equal "
                      "noise is assumed (as scale='none'); intervals are too short if the treated units are noisier",
                      "fallback"))
        return NoiseScales(ones, np.eye(T), n_pre, ratio, ratio_p, tuple(notes), "none")
    s2 = np.empty((K, n))
    cache: dict[bytes, np.ndarray] = {}
    for k in range(K):
        w = base & ~(np.abs(X[k]) > 0).any(axis=0)
        if w.sum() < 2 + detrend:  # a placebo term whose shifted cells cover the window: keep the base window
            w = base
        key = w.tobytes()
        if key not in cache:
            cache[key] = _window_variances(Y, w, detrend)
        s2[k] = cache[key]
    pooled = float(np.mean(raw))
    zero = np.flatnonzero(~(raw > 1e-14 * max(pooled, 1e-300)))
    if zero.size:
        who = zero[0] if units is None else units[zero[0]]
        raise EstimationError(f"unit {who!r} has no residual variation in the {n_pre} period(s) before the first "
                              "cohort (outcome exactly unit + period effects there): its noise scale is zero; "
                              "use scale='none'")
    s2 = np.maximum(s2, 1e-14 * pooled)
    R = _correlation(Y, never)
    if R is None:
        R = np.eye(T)
        notes.append(("fewer than two never-treated units with residual variation: the noise correlation over time "
                      "cannot be estimated, so the studentisation assumes none", "controls"))
    return NoiseScales(s2, R, n_pre, ratio, ratio_p, tuple(notes))
