"""Influence-function standard errors and the multiplier bootstrap used by :mod:`.did`.

Influence functions ``psi`` are (n units × k estimates) with ``estimate - truth ≈ mean(psi)``.

- Analytical: ``V = psi' psi / n**2``; clustered, ``V = S' S / n**2`` where ``S`` sums ``psi``
  within clusters (CS 2021, Remark 10; R ``did``'s cluster-sum form).
- Multiplier bootstrap drawn per unit or per cluster, as R ``did``/``BMisc::multiplier_bootstrap``,
  with weights of mean 0 and variance 1 (:func:`multiplier_weights`): **Mammen** (1993) two-point
  weights (the default, as R ``did``) — ``(1 - √5)/2`` with probability ``(√5 + 1)/(2√5)``, else
  ``(1 + √5)/2`` (third moment 1); **Rademacher** — ``±1`` with probability 1/2 (third moment 0,
  fourth 1); **Webb** (2023) six-point — ``±√(3/2), ±1, ±√(1/2)`` with probability 1/6 each
  (third moment 0, fourth 7/6), for few clusters, where the two-point laws allow few distinct
  draws. The bootstrap standard error is the
  interquartile range of the draws divided by ``qnorm(.75) - qnorm(.25)``; the uniform band's
  critical value is the ``1 - alpha`` quantile of ``max_j |draw_j / se_j|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats
from scipy.linalg import blas

__all__ = [
    "BOOTSTRAP_WEIGHTS",
    "BootstrapResult",
    "cluster_sums",
    "if_se",
    "if_vcov",
    "mammen_weights",
    "multiplier_bootstrap",
    "multiplier_weights",
]

#: the multiplier distributions of :func:`multiplier_weights`
BOOTSTRAP_WEIGHTS = ("mammen", "rademacher", "webb")

_ZERO_SE = np.sqrt(np.finfo(float).eps) * 10


def cluster_sums(psi: np.ndarray, cluster_codes: np.ndarray | None) -> np.ndarray:
    """Sum the rows of ``psi`` within clusters (rows unchanged when ``cluster_codes`` is None).

    One sparse (clusters x rows) indicator product: no reordered copy of ``psi``.
    """
    psi = np.asarray(psi, dtype=float)
    if cluster_codes is None:
        return psi
    codes = np.asarray(cluster_codes)
    n_clusters = int(codes.max()) + 1
    n = len(codes)
    indicator = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_clusters, n))
    flat = psi.reshape(n, -1)
    return np.asarray(indicator @ flat).reshape((n_clusters,) + psi.shape[1:])


def _gram(s: np.ndarray) -> np.ndarray:
    """``s.T @ s`` (symmetric rank-k update for large ``s``, exactly symmetric)."""
    if s.ndim == 2 and s.shape[1] > 8 and s.shape[0] > 1000 and s.dtype == np.float64:
        # BLAS wants column-major input: a C-ordered s is the column-major s.T (no copy either way)
        upper = blas.dsyrk(1.0, s.T, trans=0) if s.flags.c_contiguous else blas.dsyrk(1.0, np.asfortranarray(s), trans=1)
        return np.triu(upper) + np.triu(upper, 1).T
    return s.T @ s


def if_vcov(psi: np.ndarray, cluster_codes: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrix of the estimates whose influence functions are the columns of ``psi``."""
    psi = np.atleast_2d(np.asarray(psi, dtype=float).T).T
    n = psi.shape[0]
    s = cluster_sums(psi, cluster_codes)
    return _gram(s) / n**2


def if_se(psi: np.ndarray, cluster_codes: np.ndarray | None = None) -> np.ndarray:
    """Standard errors from influence functions; numerically zero ones become NaN (as R ``did``)."""
    psi = np.atleast_2d(np.asarray(psi, dtype=float).T).T
    n = psi.shape[0]
    s = cluster_sums(psi, cluster_codes)
    se = np.sqrt(np.einsum("ij,ij->j", s, s)) / n  # column sums of squares without an (n x k) temporary
    se[se <= _ZERO_SE] = np.nan
    return se


def mammen_weights(rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Mammen two-point multiplier weights (mean 0, variance 1)."""
    s5 = np.sqrt(5.0)
    lo, hi = (1 - s5) / 2, (1 + s5) / 2
    p_lo = (s5 + 1) / (2 * s5)
    return np.where(rng.random(size) < p_lo, lo, hi)


_WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def multiplier_weights(kind: str, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Multiplier weights of mean 0 and variance 1: ``"mammen"``, ``"rademacher"`` or ``"webb"``.

    Raises
    ------
    ValueError
        For another ``kind``.
    """
    if kind == "mammen":
        return mammen_weights(rng, size)
    if kind == "rademacher":
        return np.where(rng.random(size) < 0.5, -1.0, 1.0)
    if kind == "webb":
        return _WEBB_POINTS[rng.integers(0, 6, size=size)]
    raise ValueError(f"bootstrap weights must be one of {BOOTSTRAP_WEIGHTS}, got {kind!r}")


@dataclass(frozen=True)
class BootstrapResult:
    """Multiplier-bootstrap output.

    Attributes
    ----------
    draws
        (n_boot, k) bootstrap draws of ``estimate* - estimate`` = ``sum_c v_c S_c / n``.
    se
        Bootstrap standard errors (IQR based), NaN for degenerate columns.
    crit_val
        Critical value of the ``1 - alpha`` uniform (sup-t) band over the k estimates.
    """

    draws: np.ndarray
    se: np.ndarray
    crit_val: float


def multiplier_bootstrap(
    psi: np.ndarray,
    *,
    n_boot: int = 999,
    alpha: float = 0.05,
    seed: int | np.random.Generator | None = None,
    cluster_codes: np.ndarray | None = None,
    weights: str = "mammen",
) -> BootstrapResult:
    """Multiplier bootstrap of influence functions.

    Parameters
    ----------
    psi
        Influence functions, (n units, k estimates); NaN columns are treated as degenerate.
    n_boot
        Number of bootstrap draws.
    alpha
        Level of the uniform confidence band.
    seed
        Seed or generator; the same seed gives the same draws.
    cluster_codes
        Integer cluster code per unit (0..C-1) to draw one weight per cluster.
    weights
        Multiplier distribution: ``"mammen"`` (default), ``"rademacher"`` or ``"webb"``
        (:func:`multiplier_weights`).
    """
    if weights not in BOOTSTRAP_WEIGHTS:
        raise ValueError(f"bootstrap weights must be one of {BOOTSTRAP_WEIGHTS}, got {weights!r}")
    psi = np.atleast_2d(np.asarray(psi, dtype=float).T).T
    n, k = psi.shape
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    s = cluster_sums(psi, cluster_codes)
    n_cl = s.shape[0]
    s_clean = np.nan_to_num(s)
    v = multiplier_weights(weights, rng, (n_boot, n_cl))
    draws = (v @ s_clean) / n
    ok = ~np.isnan(s).any(axis=0) & (np.sqrt(np.sum(s_clean**2, axis=0)) / n > _ZERO_SE)
    se = np.full(k, np.nan)
    q = np.quantile(draws[:, ok], [0.25, 0.75], axis=0, method="inverted_cdf")
    sigma = (q[1] - q[0]) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    sigma[sigma <= _ZERO_SE] = np.nan
    se[ok] = sigma
    if ok.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            t_max = np.nanmax(np.abs(draws[:, ok] / sigma), axis=1)
        t_max = t_max[np.isfinite(t_max)]
        crit = float(np.quantile(t_max, 1 - alpha, method="inverted_cdf")) if len(t_max) else np.nan
    else:
        crit = np.nan
    return BootstrapResult(draws=draws, se=se, crit_val=crit)
