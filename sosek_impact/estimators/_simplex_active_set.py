"""A primal active-set method for least squares on the probability simplex.

``min_w ||A w - b||^2 + rho ||w||^2`` subject to ``w >= 0`` and ``sum(w) = 1``: the inner problem
of synthetic control. The method keeps a support ``P``; on it the equality-constrained problem
is solved exactly from its KKT system, a coordinate whose solution turns negative is dropped
after a step to the boundary, and a coordinate outside ``P`` enters while its reduced gradient
``g_j - g_P`` is negative beyond rounding. It stops at a point that satisfies the KKT
conditions of the full problem.

It replaces SciPy's NNLS with a heavily weighted adding-up row, whose badly scaled system made
the support found depend on the SciPy version: SciPy 1.14's NNLS (absolute stopping tolerance)
stopped on a non-optimal support for a Kalimantan regency, SciPy 1.17's did not, and the printed
synthetic-control gap moved by 0.004. Every step here is a fixed sequence of NumPy operations,
so the result differs between environments only by rounding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["simplex_active_set"]


def _solve_on(A: NDArray, b: NDArray, P: list[int], ridge: float) -> NDArray:
    """Minimiser of the objective on the support ``P`` with ``sum(w_P) = 1`` (signs unconstrained)."""
    As = A[:, P]
    k = len(P)
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = As.T @ As + ridge * np.eye(k)
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.concatenate([As.T @ b, [1.0]])
    return np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]


def simplex_active_set(A: NDArray[np.float64], b: NDArray[np.float64], ridge: float = 0.0,
                       max_iter: int | None = None) -> NDArray[np.float64] | None:
    """Simplex-constrained (ridge) least squares by a primal active-set method.

    Parameters
    ----------
    A
        ``(K, J)`` characteristics of the donors (best scaled to unit root mean square).
    b
        ``(K,)`` characteristics of the treated unit.
    ridge
        Ridge penalty ``rho >= 0``.
    max_iter
        Limit on support changes (default ``10 J + 100``).

    Returns
    -------
    ndarray or None
        ``(J,)`` weights satisfying the KKT conditions to rounding (exactly 0 off the support),
        or ``None`` when the iteration limit is reached (the caller falls back).
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float).ravel()
    J = A.shape[1]
    limit = 10 * J + 100 if max_iter is None else int(max_iter)
    single = np.sum((A - b[:, None]) ** 2, axis=0) + ridge
    P = [int(np.argmin(single))]
    w = np.zeros(J)
    w[P[0]] = 1.0
    eps = np.finfo(float).eps
    scale = max(float(np.abs(A).max()) * (float(np.abs(A).max()) + float(np.abs(b).max())), 1e-300)
    gtol = 1e3 * eps * A.shape[0] * scale
    for _ in range(limit):
        grad = A.T @ (A @ w - b) + ridge * w
        mu = float(np.mean(grad[P]))
        reduced = grad - mu
        reduced[P] = np.inf
        j = int(np.argmin(reduced))
        if reduced[j] >= -gtol:
            return w
        P.append(j)
        for _ in range(limit):
            z = _solve_on(A, b, P, ridge)
            if np.all(z > 0):
                w = np.zeros(J)
                w[P] = z
                break
            wp = w[P]
            neg = np.flatnonzero(z <= 0)
            ratios = wp[neg] / (wp[neg] - z[neg])
            step = float(ratios.min())
            wp = wp + step * (z - wp)
            keep = wp > eps * 8
            keep[neg[np.argmin(ratios)]] = False  # the blocking coordinate leaves the support
            w = np.zeros(J)
            P = [p for p, k in zip(P, keep) if k]
            if not P:
                return None
            w[P] = wp[keep] / wp[keep].sum()
        else:
            return None
    return None
