"""The conditional and hybrid moment-inequality tests of Andrews, Roth and Pakes (2023).

For a polyhedral restriction ``A delta <= 0`` on the trend differences and a target
``theta = l' tau_post``, the moments are ``Y = A (betahat - tau(theta))`` with nuisance directions
``X`` (the part of ``tau_post`` orthogonal to ``l``). The statistic is
``eta = min_{eta, gamma} eta  s.t.  Y - X gamma <= eta * sd(Y)``; its dual is solved exactly by
enumerating the vertices of the dual polytope (cheap for the few moments involved) with a
linear-programming fallback, and the conditional null distribution is the normal truncated to
``[v_lo, v_up]`` (ARP 2023, sec. 5). The least-favourable hybrid (``"LF"``, ``kappa = alpha /
10``, the ``HonestDiD`` default ``C-LF``) first rejects when ``eta`` exceeds a least-favourable
critical value simulated with a seed.

:func:`union_confidence_set` inverts the test on each polyhedron of a union (the restrictions
:math:`\\Delta^{RM}` and :math:`\\Delta^{SDRM}` are unions over the location and sign of the
largest pre-period change) and reports the smallest and largest accepted ``theta``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from sosek_impact.inference.honest_inputs import normal_sf as _sf

__all__ = ["union_confidence_set"]


def _dual_vertices(X: NDArray, sd: NDArray) -> NDArray | None:
    """Vertices of ``{lam >= 0, X' lam = 0, sd' lam = 1}`` by enumeration, or None if too many."""
    k, p = X.shape
    m = p + 1
    if comb(k, m) > 20_000:
        return None
    E = np.vstack([X.T, sd[None, :]])  # (m, k)
    rhs = np.zeros(m)
    rhs[-1] = 1.0
    out = []
    for B in combinations(range(k), m):
        sub = E[:, B]
        if abs(np.linalg.det(sub)) < 1e-12:
            continue
        lam_b = np.linalg.solve(sub, rhs)
        if np.all(lam_b >= -1e-12):
            lam = np.zeros(k)
            lam[list(B)] = np.maximum(lam_b, 0.0)
            out.append(lam)
    return np.array(out) if out else np.zeros((0, k))


def _eta_and_truncation(
    Y: NDArray, X: NDArray, Sig: NDArray, sd: NDArray, V: NDArray | None
) -> tuple[float, float, float, float]:
    """``eta``, its conditional sd, ``v_lo`` and ``v_up`` (ARP sec. 5)."""
    if V is not None:
        vals = V @ Y
        j = int(np.argmax(vals))
        lam = V[j]
        eta = float(vals[j])
    else:
        k = Y.size
        A_eq = np.vstack([X.T, sd[None, :]]) if X.size else sd[None, :]
        b_eq = np.concatenate([np.zeros(A_eq.shape[0] - 1), [1.0]])
        lp = optimize.linprog(-Y, A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * k, method="highs")
        lam = lp.x
        eta = float(Y @ lam)
    var = float(lam @ Sig @ lam)
    s_lam = np.sqrt(max(var, 0.0))
    if s_lam <= 0:
        return eta, 0.0, -np.inf, np.inf
    c = Sig @ lam / var
    S = Y - c * eta
    if V is not None:
        q = V @ c
        r = V @ S
        tol = 1e-9
        lo_mask = q < 1 - tol
        up_mask = q > 1 + tol
        v_lo = float(np.max(r[lo_mask] / (1 - q[lo_mask]))) if lo_mask.any() else -np.inf
        v_up = float(np.min(r[up_mask] / (1 - q[up_mask]))) if up_mask.any() else np.inf
    else:  # Charnes–Cooper linear programmes for the two linear-fractional bounds
        k = Y.size
        Xt = X.T if X.size else np.zeros((0, k))
        A_eq = np.vstack(
            [
                np.hstack([Xt, np.zeros((Xt.shape[0], 1))]),
                np.concatenate([sd, [-1.0]])[None, :],
                np.concatenate([-c, [1.0]])[None, :],
            ]
        )
        b_eq = np.concatenate([np.zeros(Xt.shape[0] + 1), [1.0]])
        lo = optimize.linprog(-np.concatenate([S, [0.0]]), A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (k + 1), method="highs")
        v_lo = float(-lo.fun) if lo.status == 0 else -np.inf
        A_eq[-1] = np.concatenate([c, [-1.0]])
        up = optimize.linprog(-np.concatenate([S, [0.0]]), A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (k + 1), method="highs")
        v_up = float(up.fun) if up.status == 0 else np.inf
    return eta, s_lam, min(v_lo, eta), max(v_up, eta)


def _truncnorm_pvalue(eta: float, s: float, v_lo: float, v_up: float) -> float:
    """P(Z >= eta | v_lo <= Z <= v_up) for Z ~ N(0, s^2)."""
    if s <= 0:
        return 0.0 if eta > 0 else 1.0
    a, b, x = v_lo / s, v_up / s, eta / s
    sf_b = _sf(b) if np.isfinite(b) else 0.0
    sf_a = _sf(a) if np.isfinite(a) else 1.0
    den = sf_a - sf_b
    if den <= 1e-300:
        return 0.0 if x > 0 else 1.0
    return float(min(max((_sf(x) - sf_b) / den, 0.0), 1.0))


@dataclass
class _Piece:
    A: NDArray
    X: NDArray
    Sig: NDArray
    sd: NDArray
    V: NDArray | None
    lf_cv: float


def _make_piece(A: NDArray, S: NDArray, num_pre: int, lv: NDArray, alpha: float, hybrid: str, rng: np.random.Generator) -> _Piece:
    num_post = lv.size
    A_post = A[:, num_pre:]
    # Nuisance directions: tau_post = theta * l/(l'l) + N gamma, N spanning l's orthogonal complement.
    if num_post > 1:
        _, _, vt = np.linalg.svd(lv[None, :])
        N = vt[1:].T
        X = A_post @ N
    else:
        X = np.zeros((A.shape[0], 0))
    Sig = A @ S @ A.T
    sd = np.sqrt(np.maximum(np.diag(Sig), 0.0))
    sd = np.where(sd > 0, sd, 1e-300)
    V = _dual_vertices(X, sd) if X.shape[1] > 0 else np.diag(1.0 / sd)
    lf_cv = np.inf
    if hybrid == "LF":
        kappa = alpha / 10
        L = np.linalg.cholesky(Sig + 1e-14 * np.eye(Sig.shape[0]) * max(1.0, np.trace(Sig)))
        xi = rng.standard_normal((10_000, Sig.shape[0])) @ L.T
        if V is not None and V.size:
            etas = (xi @ V.T).max(axis=1)
        else:
            etas = np.array([_eta_and_truncation(x, X, Sig, sd, None)[0] for x in xi[:1000]])
        lf_cv = float(np.quantile(etas, 1 - kappa))
    return _Piece(A, X, Sig, sd, V, lf_cv)


def _accepts(piece: _Piece, b: NDArray, num_pre: int, lv: NDArray, theta: float, alpha: float, hybrid: str) -> bool:
    tau = np.concatenate([np.zeros(num_pre), theta * lv / (lv @ lv)])
    Y = piece.A @ (b - tau)
    eta, s, v_lo, v_up = _eta_and_truncation(Y, piece.X, piece.Sig, piece.sd, piece.V)
    if hybrid == "LF":
        if eta > piece.lf_cv:
            return False
        kappa = alpha / 10
        return _truncnorm_pvalue(eta, s, v_lo, min(v_up, piece.lf_cv)) >= (alpha - kappa) / (1 - kappa)
    return _truncnorm_pvalue(eta, s, v_lo, v_up) >= alpha



def _bisect(ok: Callable[[float], bool], rejected: float, accepted: float, iters: int = 30) -> float:
    for _ in range(iters):
        mid = 0.5 * (rejected + accepted)
        if ok(mid):
            accepted = mid
        else:
            rejected = mid
    return accepted


def union_confidence_set(
    b: NDArray,
    S: NDArray,
    *,
    num_pre: int,
    lv: NDArray,
    pieces: Sequence[NDArray],
    center: float,
    half: float,
    alpha: float,
    hybrid: str,
    grid_points: int,
    seed: int,
) -> tuple[float, float]:
    """Smallest and largest ``theta`` accepted on any polyhedron ``A delta <= 0`` of ``pieces``.

    Each piece's accepted set is found on a grid of ``grid_points`` over ``center +- half``
    (widened up to six times while an end point is accepted, the end then reported as
    infinite) and its ends refined by bisection. One generator seeded with ``seed`` serves the
    least-favourable critical values of the pieces in their order. ``(nan, nan)`` if no value
    is accepted (the restriction is rejected by the pre-period coefficients).
    """
    rng = np.random.default_rng(seed)
    lbs, ubs = [], []
    for A in pieces:
        piece = _make_piece(A, S, num_pre, lv, alpha, hybrid, rng)

        def ok(th: float, piece: _Piece = piece) -> bool:
            return _accepts(piece, b, num_pre, lv, th, alpha, hybrid)

        lo_g, hi_g = center - half, center + half
        for _ in range(6):  # widen the grid while its end points are accepted
            grid = np.linspace(lo_g, hi_g, grid_points)
            acc = np.array([ok(t) for t in grid])
            if not acc.any() or (not acc[0] and not acc[-1]):
                break
            lo_g, hi_g = center - 2 * (center - lo_g), center + 2 * (hi_g - center)
        if not acc.any():
            continue
        idx = np.flatnonzero(acc)
        lb = grid[idx[0]] if idx[0] == 0 else _bisect(ok, grid[idx[0] - 1], grid[idx[0]])
        ub = grid[idx[-1]] if idx[-1] == len(grid) - 1 else _bisect(ok, grid[idx[-1] + 1], grid[idx[-1]])
        lbs.append(lb if idx[0] > 0 else -np.inf)
        ubs.append(ub if idx[-1] < len(grid) - 1 else np.inf)
    if not lbs:
        return float("nan"), float("nan")
    return float(min(lbs)), float(max(ubs))
