"""Least squares on the probability simplex, the inner problem of synthetic control.

Solves

.. math::

    \\min_{w} \\; \\lVert A w - b \\rVert_2^2 + \\rho \\lVert w \\rVert_2^2
    \\quad \\text{s.t.} \\quad w_j \\ge 0, \\; \\textstyle\\sum_j w_j = 1,

for a tall or wide ``A`` (rows: matched characteristics, columns: donors). With hundreds of
donors, SciPy's SLSQP is slow and inexact; the problem is solved by the package's own primal
active-set method (:func:`sosek_impact.estimators._simplex_active_set.simplex_active_set`: exact
KKT solves on the support, a fixed sequence of NumPy operations, so that the support found does
not depend on the SciPy version). Only if it hits its iteration limit does the older route run:
SciPy's Lawson–Hanson NNLS with the adding-up constraint appended as a heavily weighted extra
row. The support found is then polished exactly (the equality-constrained least-squares problem
solved from its KKT system) and the KKT conditions of the full problem are checked. If they fail
(a rare degenerate case), an accelerated projected-gradient method (FISTA with Euclidean
projection onto the simplex, Duchi et al. 2008) finishes the job from the best point so far.

The solution is deterministic: no random starts are involved.

When the treated unit can be matched exactly (few matched characteristics, many donors) the
least-squares weights are not unique: every point of a polytope fits, and which vertex an
active-set solver returns depends on its version and on rounding. :func:`min_norm_exact_fit`
then picks the unique minimum-norm (most dispersed) exact-fit weights,

.. math::

    \\min_w \\tfrac12 \\lVert w \\rVert_2^2 \\quad \\text{s.t.} \\quad A w = b, \\; w \\ge 0, \\; \\textstyle\\sum_j w_j = 1,

by a semismooth Newton method on its dual (``w = max(0, M' lambda)`` with ``M = [A; 1']``),
finished by an exact solve on the identified support.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

from sosek_impact.estimators._simplex_active_set import simplex_active_set

__all__ = ["min_norm_exact_fit", "project_to_simplex", "simplex_least_squares"]


def project_to_simplex(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Euclidean projection of ``v`` onto the probability simplex (Duchi et al. 2008).

    Parameters
    ----------
    v
        Vector of length ``J``.

    Returns
    -------
    ndarray
        The point of ``{w : w >= 0, sum(w) = 1}`` closest to ``v``.
    """
    v = np.asarray(v, dtype=float)
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    idx = np.arange(1, v.size + 1)
    cond = u - css / idx > 0
    rho = idx[cond][-1]
    theta = css[cond][-1] / rho
    return np.maximum(v - theta, 0.0)


def _objective(A: NDArray, b: NDArray, w: NDArray, ridge: float) -> float:
    r = A @ w - b
    return float(r @ r + ridge * (w @ w))


def _kkt_polish(A: NDArray, b: NDArray, support: NDArray, ridge: float) -> NDArray | None:
    """Exact solution on ``support`` of the equality-constrained problem, or None if infeasible."""
    As = A[:, support]
    k = As.shape[1]
    H = 2.0 * (As.T @ As + ridge * np.eye(k))
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = H
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.concatenate([2.0 * As.T @ b, [1.0]])
    try:
        sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
    except np.linalg.LinAlgError:  # pragma: no cover - lstsq rarely fails
        return None
    ws = sol[:k]
    if np.any(ws < -1e-12):
        return None
    w = np.zeros(A.shape[1])
    w[support] = np.maximum(ws, 0.0)
    total = w.sum()
    return None if total <= 0 else w / total


def _fista(A: NDArray, b: NDArray, w0: NDArray, ridge: float, max_iter: int, tol: float) -> NDArray:
    """Accelerated projected gradient on the simplex, started at ``w0``."""
    lipschitz = 2.0 * (np.linalg.norm(A, 2) ** 2 + ridge)
    if lipschitz <= 0:
        return w0
    step = 1.0 / lipschitz
    w = w0.copy()
    z = w0.copy()
    t = 1.0
    f_old = _objective(A, b, w, ridge)
    for _ in range(max_iter):
        grad = 2.0 * (A.T @ (A @ z - b) + ridge * z)
        w_new = project_to_simplex(z - step * grad)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        z = w_new + ((t - 1.0) / t_new) * (w_new - w)
        w, t = w_new, t_new
        f_new = _objective(A, b, w, ridge)
        if abs(f_old - f_new) <= tol * max(1.0, abs(f_old)):
            break
        f_old = f_new
    return w


def simplex_least_squares(
    A: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    ridge: float = 0.0,
    max_iter: int = 20_000,
    tol: float = 1e-14,
) -> NDArray[np.float64]:
    """Minimise ``||A w - b||^2 + ridge * ||w||^2`` over the probability simplex.

    Parameters
    ----------
    A
        ``(K, J)`` matrix: ``K`` characteristics (pre-period outcomes, scaled predictors) of
        ``J`` donors.
    b
        ``(K,)`` characteristics of the treated unit.
    ridge
        Non-negative ridge penalty ``rho`` on the weights (0: plain synthetic control).
    max_iter, tol
        Iteration cap and relative objective tolerance of the projected-gradient fallback.

    Returns
    -------
    ndarray
        ``(J,)`` weights, non-negative and summing to one.
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float).ravel()
    if A.ndim != 2 or A.shape[0] != b.size:
        raise ValueError(f"A must be (K, J) and b (K,); got {A.shape} and {b.shape}")
    if ridge < 0:
        raise ValueError(f"ridge must be non-negative, got {ridge}")
    n_rows, n_cols = A.shape
    if n_cols == 1:
        return np.ones(1)
    # Scale so that the penalty row dominates without ruining the conditioning.
    scale = max(np.sqrt(np.mean(A * A)), np.sqrt(np.mean(b * b)), 1e-300)
    As, bs = A / scale, b / scale
    rows = [As]
    rhs = [bs]
    if ridge > 0:
        rows.append(np.sqrt(ridge) / scale * np.eye(n_cols))
        rhs.append(np.zeros(n_cols))
    big = 1e4 * max(1.0, np.sqrt(n_rows))
    rows.append(big * np.ones((1, n_cols)))
    rhs.append(np.array([big]))
    w_as = simplex_active_set(As, bs, ridge / scale**2)
    if w_as is not None:
        w_nnls = w_as
    else:  # the active-set method hit its limit (not seen in practice): the NNLS route
        try:
            w_nnls, _ = nnls(np.vstack(rows), np.concatenate(rhs), maxiter=50 * n_cols)
        except RuntimeError:
            w_nnls = np.full(n_cols, 1.0 / n_cols)
    w_best = project_to_simplex(w_nnls)
    ridge_s = ridge / scale**2
    support = np.flatnonzero(w_nnls > 1e-12)
    if support.size:
        w_kkt = _kkt_polish(As, bs, support, ridge_s)
        if w_kkt is not None and _objective(As, bs, w_kkt, ridge_s) <= _objective(As, bs, w_best, ridge_s):
            w_best = w_kkt
    # KKT check of the full problem: gradient_j + mu >= 0 off the support, = 0 on it.
    grad = 2.0 * (As.T @ (As @ w_best - bs) + ridge_s * w_best)
    on = w_best > 1e-12
    mu = -float(np.mean(grad[on]))
    slack = grad + mu
    gtol = 1e-7 * max(1.0, float(np.max(np.abs(grad))))
    if np.all(slack[~on] >= -gtol) and np.all(np.abs(slack[on]) <= gtol):
        return w_best
    w_fista = _fista(As, bs, w_best, ridge_s, max_iter, tol)
    if _objective(As, bs, w_fista, ridge_s) < _objective(As, bs, w_best, ridge_s):
        return w_fista
    return w_best


def min_norm_exact_fit(
    A: NDArray[np.float64], b: NDArray[np.float64], *, tol: float = 1e-11, max_iter: int = 200
) -> NDArray[np.float64] | None:
    """The minimum-norm simplex weights with ``A w = b`` exactly, or ``None`` if there are none.

    Parameters
    ----------
    A, b
        ``(K, J)`` characteristics of the donors and ``(K,)`` of the treated unit.
    tol
        Feasibility tolerance of the equality constraints, relative (rows are normalised).
    max_iter
        Newton iterations before giving up.

    Returns
    -------
    ndarray or None
        ``(J,)`` weights (non-negative, summing to one, ``A w = b`` to ``tol``), unique; ``None``
        when ``b`` cannot be matched exactly (to ``tol``) or the method does not converge.
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float).ravel()
    M = np.vstack([A, np.ones((1, A.shape[1]))])
    c = np.concatenate([b, [1.0]])
    norms = np.linalg.norm(M, axis=1)
    keep = norms > 0
    if np.any(~keep & (np.abs(c) > 0)):
        return None
    M, c = M[keep] / norms[keep, None], c[keep] / norms[keep]
    m = M.shape[0]
    # start: the minimum-norm solution of M w = c without the sign constraint
    lam = np.linalg.lstsq(M @ M.T, c, rcond=None)[0]
    mu = 1e-12 * max(1.0, float(np.trace(M @ M.T)) / m)

    def phi(lv: NDArray) -> float:
        w = np.maximum(M.T @ lv, 0.0)
        return 0.5 * float(w @ w) - float(c @ lv)

    scale_c = max(1.0, float(np.max(np.abs(c))))
    for _ in range(max_iter):
        z = M.T @ lam
        w = np.maximum(z, 0.0)
        g = M @ w - c
        if float(np.max(np.abs(g))) <= tol * scale_c:
            break
        S = z > 0
        H = M[:, S] @ M[:, S].T + mu * np.eye(m)
        d = np.linalg.solve(H, -g)
        f0, slope, t = phi(lam), float(g @ d), 1.0
        while phi(lam + t * d) > f0 + 1e-4 * t * slope and t > 1e-12:
            t *= 0.5
        lam = lam + t * d
    else:
        return None
    # exact solve on the identified support
    S = (M.T @ lam) > 0
    if not S.any():
        return None
    MS = M[:, S]
    lam_s = np.linalg.lstsq(MS @ MS.T, c, rcond=None)[0]
    ws = MS.T @ lam_s
    if np.any(ws < -1e-12) or float(np.max(np.abs(MS @ ws - c))) > tol * scale_c:
        ws = w[S]  # the Newton iterate is already feasible to tol
    out = np.zeros(A.shape[1])
    out[S] = np.maximum(ws, 0.0)
    total = out.sum()
    if total <= 0 or float(np.max(np.abs(M @ (out / total) - c))) > 10 * tol * scale_c:
        return None
    return out / total
