"""Conley–Taber-type inference for linear DiD estimators: the error distribution from control paths.

For an estimator ``theta_k = sum_{i,t} W[k,i,t] Y[i,t]`` whose weights sum to zero over periods
within each unit and over units within each period (every DiD cell does), unit and period
effects cancel and ``theta_k - theta_k^0 = sum_i w_{k,i}' eps_i`` with ``theta_k^0`` the
estimand (for Callaway–Sant'Anna and Sun–Abraham the cohort-size-weighted mean of the cells'
true effects, whatever their heterogeneity) and ``eps_i`` the unit's error path. Conley & Taber
(2011) estimate the law of the treated units' part, ``sum_{j treated} w_{k,j}' eps_j``, by
plugging in the residual paths ``eta_l`` of never-treated units ``l``: every pairing of treated
units with controls (``N0^N1`` of them) or a seeded random subset. The residuals are the
never-treated outcomes with unit and period means removed, scaled by ``sqrt(N0 / (N0 - 1))``
(the removed period mean would otherwise shrink their variance by ``(N0 - 1) / N0``).

The comparison units' own part, ``sum_{l never} w_{k,l}' eps_l``, vanishes only as ``N0`` grows
(Conley and Taber neglect it); with 50 controls it is several per cent of the variance. It is a
sum over many independent units, so it is added as an independent normal term with variance
``sum_l w_{k,l}' S w_{k,l}``, ``S`` the covariance of the residual paths. The distribution of the
error is thus the mixture ``Gamma_k = mean over pairings of N(s_pairing, v_k)``.

One test gives both the interval and the p-value: the equal-tailed test of ``theta^0 = tau``, which
accepts when ``theta - tau`` lies between the ``alpha/2`` and ``1 - alpha/2`` quantiles of
``Gamma``. Its inversion is the interval ``[theta - Gamma^{-1}(1 - alpha/2), theta -
Gamma^{-1}(alpha/2)]`` and its p-value at ``tau = 0`` is ``min(1, 2 min(P(Gamma <= theta),
P(Gamma >= theta)))``, so ``p <= alpha`` exactly when the interval excludes 0.

Unequal noise (Ferman & Pinto 2019): when treated unit ``j``'s noise has scale ``s_j`` and control
``l``'s ``s_l`` (:mod:`~sosek_impact.inference.few_treated_scale`), control ``l``'s path stands in
for ``j``'s after rescaling by ``s_j / s_l`` (``rescale`` of :func:`pairing_sums`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sosek_impact.errors import SmallGroupError

__all__ = ["control_residual_paths", "pairing_sums", "mixture_quantiles", "mixture_cdf",
           "mixture_equal_tailed_pvalue", "equal_tailed_interval"]


def control_residual_paths(Y: np.ndarray, never: np.ndarray) -> np.ndarray:
    """(N0, T) residual paths of the never-treated units: two-way demeaned, scaled by sqrt(N0/(N0-1))."""
    Yc = Y[never]
    n0 = Yc.shape[0]
    if n0 < 2:
        raise SmallGroupError(f"{n0} never-treated unit(s): Conley-Taber inference needs many comparison units")
    eta = Yc - Yc.mean(axis=1, keepdims=True) - Yc.mean(axis=0, keepdims=True) + Yc.mean()
    return eta * math.sqrt(n0 / (n0 - 1))


def pairing_sums(
    W: np.ndarray, treated: np.ndarray, eta: np.ndarray, n_draws: int, seed: int | None,
    rescale: np.ndarray | None = None,
) -> tuple[np.ndarray, bool, int]:
    """Treated part of the error under pairings of treated units with control residual paths.

    Parameters
    ----------
    W
        (K, n, T) outcome weights.
    treated
        (n,) mask of the units whose own errors are replaced (the ever-treated units).
    eta
        (N0, T) control residual paths.
    n_draws
        Enumerate all ``N0^N1`` pairings when at most this many, else draw this many.
    seed
        Seed of the random pairings.
    rescale
        (K, N1, N0) factor applied to control ``l``'s path when it stands in for treated unit
        ``j`` in term ``k`` (``s_j / s_l``); ``None`` for none.

    Returns
    -------
    sums : numpy.ndarray
        (K, B) draws of ``sum_j w_{k,j}' eta_{l(j)}``.
    exact : bool
        All pairings enumerated.
    n_pairings : int
        ``N0^N1`` (capped at ``10**18`` for display).
    """
    M = np.einsum("kjt,lt->kjl", W[:, treated, :], eta)  # (K, N1, N0)
    if rescale is not None:
        M = M * rescale
    K, n1, n0 = M.shape
    log_total = n1 * math.log(n0)
    total = int(min(n0**n1, 10**18))
    if log_total <= math.log(n_draws) + 1e-12:
        sums = np.zeros((K, 1))
        for j in range(n1):
            sums = (sums[:, :, None] + M[:, j, None, :]).reshape(K, -1)
        return sums, True, total
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, n0, size=(n_draws, n1))
    sums = M[:, np.arange(n1)[None, :], pick].sum(axis=2)
    return sums, False, total


def control_part_variance(W: np.ndarray, never: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """(K,) variance of the comparison units' own error part, ``sum_l w_l' S w_l``."""
    S = eta.T @ eta / eta.shape[0]
    Wc = W[:, never, :]
    return np.einsum("klt,ts,kls->k", Wc, S, Wc)


def _mixture_cdf(x: np.ndarray, centres: np.ndarray, sd: float) -> np.ndarray:
    if sd <= 0:
        return (centres[None, :] <= x[:, None]).mean(axis=1)
    return special.ndtr((x[:, None] - centres[None, :]) / sd).mean(axis=1)


def mixture_quantiles(centres: np.ndarray, sd: float, probs: np.ndarray) -> np.ndarray:
    """Quantiles of ``mean_b N(centres_b, sd^2)`` (the empirical quantile, linear rule, if ``sd == 0``)."""
    probs = np.asarray(probs, dtype=float)
    if sd <= 0:
        return np.quantile(centres, probs)
    lo = np.full(probs.shape, centres.min() - 10 * sd)
    hi = np.full(probs.shape, centres.max() + 10 * sd)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        below = _mixture_cdf(mid, centres, sd) < probs
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def mixture_cdf(x: float, centres: np.ndarray, sd: float, *, strict: bool = False) -> float:
    """``P(Gamma <= x)`` (``P(Gamma < x)`` if ``strict``) for ``Gamma ~ mean_b N(centres_b, sd^2)``."""
    if sd <= 0:
        return float(np.mean(centres < x)) if strict else float(np.mean(centres <= x))
    return float(_mixture_cdf(np.array([x]), centres, sd)[0])


def mixture_equal_tailed_pvalue(theta: float, centres: np.ndarray, sd: float) -> float:
    """``min(1, 2 min(P(Gamma <= theta), P(Gamma >= theta)))``: the equal-tailed test of no effect."""
    c = np.asarray(centres, dtype=float)
    if sd <= 0:  # counts, so that p sits exactly on the multiples of 1/B the interval's ends use
        left, right = int((c <= theta).sum()), int((c >= theta).sum())
        return float(min(1.0, 2.0 * min(left, right) / c.size))
    left = float(np.mean(special.ndtr((theta - c) / sd)))
    right = float(np.mean(special.ndtr((c - theta) / sd)))
    return float(min(1.0, 2.0 * min(left, right)))


def equal_tailed_interval(theta: float, centres: np.ndarray, sd: float, alpha: float) -> tuple[float, float]:
    """``{tau : p(tau) > alpha}`` of the equal-tailed test, ``p(tau)`` the p-value of ``theta - tau``.

    Continuous mixture (``sd > 0``): ``[theta - q(1 - alpha/2), theta - q(alpha/2)]``. Discrete
    (``sd == 0``, ``B`` draws sorted ``c_(1) <= ... <= c_(B)``): ``P(Gamma <= x) > alpha/2`` iff
    ``x >= c_(m)`` and ``P(Gamma >= x) > alpha/2`` iff ``x <= c_(B + 1 - m)``, with
    ``m = floor(alpha B / 2) + 1``, so the interval is ``[theta - c_(B+1-m), theta - c_(m)]``
    (NaN, NaN when empty).
    """
    if sd > 0:
        q_lo, q_hi = mixture_quantiles(centres, sd, np.array([alpha / 2, 1 - alpha / 2]))
        return float(theta - q_hi), float(theta - q_lo)
    c = np.sort(np.asarray(centres, dtype=float))
    B = c.size
    m = math.floor(alpha * B / 2 * (1 + 1e-12)) + 1
    if m > B + 1 - m:
        return math.nan, math.nan
    return float(theta - c[B - m]), float(theta - c[m - 1])
