"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan and Roth 2023).

The event-study coefficients are ``betahat = (beta_pre, beta_post)`` (the reference period,
normalised to zero, left out) with covariance ``sigma``. They estimate ``tau + delta``, where
``tau_pre = 0`` and ``delta`` is the difference in trends. The target is ``theta = l' tau_post``.
Two families of restrictions on ``delta`` are offered:

``"smoothness"`` (:math:`\\Delta^{SD}(M)`)
    the slope of ``delta`` changes by at most ``M`` between consecutive periods (``M = 0``:
    linear trends). The robust confidence interval is the optimal fixed-length CI (FLCI) of
    Armstrong and Kolesár, as in ``HonestDiD::findOptimalFLCI``: an affine estimator
    ``v' betahat`` with ``v_post = l`` whose pre-period weights remove any linear trend,
    chosen to minimise ``sigma_v * cv_alpha(bias_v / sigma_v)``, where ``bias_v`` is the
    worst-case bias over :math:`\\Delta^{SD}(M)` and ``cv_alpha(t)`` the ``1 - alpha`` quantile
    of ``|N(t, 1)|``.
``"relative_magnitude"`` (:math:`\\Delta^{RM}(\\bar M)`)
    every post-period change of ``delta`` is at most ``Mbar`` times the largest pre-period
    change. This set is a union of polyhedra (one per location and sign of the largest
    pre-period change); the confidence set inverts, on each polyhedron, the conditional
    moment-inequality test of Andrews, Roth and Pakes (2023) with nuisance parameters, by
    default in its least-favourable hybrid form (``"C-LF"``, ``kappa = alpha / 10``, the
    ``HonestDiD`` default), using the moments that involve post periods. The union of the
    pieces' intervals is reported.

The ARP statistic is ``eta = min_{eta, gamma} eta  s.t.  Y - X gamma <= eta * sd(Y)``; its
dual is solved exactly by enumerating the vertices of the dual polytope (cheap for the few
moments involved) with a linear-programming fallback, and the conditional null distribution
is the normal truncated to ``[v_lo, v_up]`` (Andrews, Roth and Pakes 2023, sec. 5).

The Python package ``honestdid`` (0.1.1 on PyPI) was tried first: it pulls in PyTorch and its
relative-magnitude routine fails on the HonestDiD README example, so this module is our own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb, erfc, sqrt
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, stats

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import InputError
from sosek_impact.results_protocol import ResultsProtocol, format_number, normal_tidy

__all__ = [
    "HonestDiDResult",
    "flci",
    "flci_weights",
    "honest_did",
    "honest_did_event_study",
    "original_ci",
    "rm_confidence_set",
]


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _check(betas: Sequence[float], sigma: NDArray, num_pre: int, num_post: int, l_vec: Sequence[float] | None):
    b = np.asarray(betas, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if num_pre < 1 or num_post < 1:
        raise InputError("num_pre and num_post must both be at least 1", column="num_pre/num_post", value=(num_pre, num_post))
    if b.size != num_pre + num_post:
        raise InputError(
            f"betas has {b.size} entries but num_pre + num_post = {num_pre + num_post}", column="betas", value=b.size
        )
    if S.shape != (b.size, b.size):
        raise InputError(f"sigma must be {b.size} x {b.size}", column="sigma", value=S.shape)
    if not np.all(np.isfinite(b)) or not np.all(np.isfinite(S)):
        raise InputError("betas and sigma must be finite (no missing values)", column="betas/sigma")
    if not np.allclose(S, S.T, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise InputError("sigma must be symmetric", column="sigma")
    if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise InputError("sigma must be positive semi-definite", column="sigma")
    lv = np.zeros(num_post) if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec is None:
        lv[0] = 1.0
    if lv.size != num_post:
        raise InputError(f"l_vec must have num_post = {num_post} entries", column="l_vec", value=lv.size)
    if not np.any(lv):
        raise InputError("l_vec must not be all zeros", column="l_vec", value=list(lv))
    return b, 0.5 * (S + S.T), lv


def original_ci(
    betas: Sequence[float],
    sigma: NDArray,
    *,
    num_pre: int,
    num_post: int,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Confidence interval for ``l' beta_post`` under exact parallel trends (``delta_post = 0``)."""
    b, S, lv = _check(betas, sigma, num_pre, num_post, l_vec)
    est = float(lv @ b[num_pre:])
    se = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * se, est + z * se


# ---------------------------------------------------------------------------------------------
# Smoothness: optimal FLCI
# ---------------------------------------------------------------------------------------------


def _sf(x: float) -> float:
    """Standard normal survival function (scalar, fast)."""
    return 0.5 * erfc(x / sqrt(2.0))


def _folded_normal_cv(t: float, alpha: float) -> float:
    """``1 - alpha`` quantile of ``|N(t, 1)|``."""
    t = abs(t)
    if t > 40:
        return t + stats.norm.ppf(1 - alpha)

    def f(c: float) -> float:
        return _sf(-c - t) - _sf(c - t) - (1 - alpha)

    return float(optimize.brentq(f, 0.0, t + 10.0, xtol=1e-12))


def _second_difference_matrix(num_pre: int, num_post: int) -> NDArray:
    """``D`` with ``(D delta)_j`` the second differences around each interior period (delta_0 = 0)."""
    periods = list(range(-num_pre, num_post + 1))  # includes the reference 0
    n = len(periods)
    rows = []
    for j in range(1, n - 1):
        r = np.zeros(n)
        r[j - 1], r[j], r[j + 1] = 1.0, -2.0, 1.0
        rows.append(r)
    full = np.array(rows)
    ref = periods.index(0)
    return np.delete(full, ref, axis=1)


@dataclass
class _FLCIParts:
    v: NDArray
    sd: float
    bias: float
    half_length: float


def _flci_parts(S: NDArray, num_pre: int, num_post: int, lv: NDArray, M: float, alpha: float) -> _FLCIParts:
    T = num_pre + num_post
    trend = np.array([t for t in range(-num_pre, num_post + 1) if t != 0], dtype=float)
    D = _second_difference_matrix(num_pre, num_post)
    G = np.linalg.solve(D @ D.T, D) if D.size else np.zeros((0, T))  # bias(v) = M * |G v|_1 for v ⊥ trend
    a, b0 = trend[:num_pre], float(trend[num_pre:] @ lv)
    Spp, Spq = S[:num_pre, :num_pre], S[:num_pre, num_pre:]

    def full(vp: NDArray) -> NDArray:
        return np.concatenate([vp, lv])

    def sd(vp: NDArray) -> float:
        v = full(vp)
        return float(np.sqrt(max(v @ S @ v, 0.0)))

    def bias(vp: NDArray) -> float:
        return float(M * np.abs(G @ full(vp)).sum())

    # Smallest-variance estimator that is unbiased under linear trends.
    Spp_inv = np.linalg.pinv(Spp)
    mu = (b0 - a @ Spp_inv @ Spq @ lv) / (a @ Spp_inv @ a)
    vp_min_var = -Spp_inv @ (Spq @ lv + mu * a)
    h_min = sd(vp_min_var)
    z = stats.norm.ppf(1 - alpha / 2)
    if M == 0:
        return _FLCIParts(full(vp_min_var), h_min, 0.0, z * h_min)

    # Smallest-bias estimator: LP  min 1'u  s.t. -u <= G v <= u, a' v_pre = -b0.
    k = G.shape[0]
    Gp, gq = G[:, :num_pre], G[:, num_pre:] @ lv
    c = np.concatenate([np.zeros(num_pre), np.ones(k)])
    A_ub = np.block([[Gp, -np.eye(k)], [-Gp, -np.eye(k)]])
    b_ub = np.concatenate([-gq, gq])
    A_eq = np.concatenate([a, np.zeros(k)])[None, :]
    lp = optimize.linprog(
        c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[-b0], bounds=[(None, None)] * num_pre + [(0, None)] * k, method="highs"
    )
    vp_min_bias = lp.x[:num_pre] if lp.success else vp_min_var
    h_max = max(sd(vp_min_bias), h_min * (1 + 1e-9))

    def min_bias_given_h(h: float, start: NDArray) -> NDArray:
        cons = [
            {
                "type": "eq",
                "fun": lambda x: np.array([a @ x[:num_pre] + b0]),
                "jac": lambda x: np.concatenate([a, np.zeros(k)])[None, :],
            },
            {
                "type": "ineq",
                "fun": lambda x: np.concatenate([x[num_pre:] - (Gp @ x[:num_pre] + gq), x[num_pre:] + (Gp @ x[:num_pre] + gq)]),
                "jac": lambda x: np.block([[-Gp, np.eye(k)], [Gp, np.eye(k)]]),
            },
            {
                "type": "ineq",
                "fun": lambda x: np.array([h * h - full(x[:num_pre]) @ S @ full(x[:num_pre])]),
                "jac": lambda x: np.concatenate([-2.0 * (S @ full(x[:num_pre]))[:num_pre], np.zeros(k)])[None, :],
            },
        ]
        x0 = np.concatenate([start, np.abs(Gp @ start + gq)])
        res = optimize.minimize(
            lambda x: x[num_pre:].sum(),
            x0,
            jac=lambda x: np.concatenate([np.zeros(num_pre), np.ones(k)]),
            constraints=cons,
            method="SLSQP",
            options={"ftol": 1e-13, "maxiter": 500},
        )
        vp = res.x[:num_pre]
        # Guard against small constraint violations of SLSQP: fall back to a feasible mix.
        if sd(vp) > h * (1 + 1e-6) or abs(a @ vp + b0) > 1e-8 * max(1.0, abs(b0)):
            lo, hi = 0.0, 1.0
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                if sd((1 - mid) * vp_min_var + mid * vp_min_bias) <= h:
                    lo = mid
                else:
                    hi = mid
            vp = (1 - lo) * vp_min_var + lo * vp_min_bias
        return vp

    def half_length(h: float) -> tuple[float, NDArray]:
        t = (h - h_min) / (h_max - h_min) if h_max > h_min else 1.0
        start = (1 - t) * vp_min_var + t * vp_min_bias
        vp = min_bias_given_h(h, start)
        s = sd(vp)
        return s * _folded_normal_cv(bias(vp) / s, alpha), vp

    hs = np.linspace(h_min, h_max, 12)
    vals = [half_length(h)[0] for h in hs]
    i = int(np.argmin(vals))
    lo_h, hi_h = hs[max(i - 1, 0)], hs[min(i + 1, len(hs) - 1)]
    res = optimize.minimize_scalar(
        lambda h: half_length(h)[0], bounds=(lo_h, hi_h), method="bounded", options={"xatol": 1e-10 * h_max}
    )
    best_h = res.x if res.fun <= vals[i] else hs[i]
    hl, vp = half_length(best_h)
    return _FLCIParts(full(vp), sd(vp), bias(vp), hl)


def flci_weights(
    sigma: NDArray, *, num_pre: int, num_post: int, M: float, l_vec: Sequence[float] | None = None, alpha: float = 0.05
) -> tuple[NDArray[np.float64], float]:
    """Weights ``v`` and half-length ``chi`` of the optimal FLCI ``v' betahat +- chi``.

    They depend on ``sigma`` (and ``M``, ``l_vec``, ``alpha``) only, not on ``betahat``.
    """
    n = num_pre + num_post
    _, S, lv = _check(np.zeros(n), sigma, num_pre, num_post, l_vec)
    if M < 0:
        raise InputError("M must be non-negative", column="M", value=M)
    parts = _flci_parts(S, num_pre, num_post, lv, float(M), alpha)
    return parts.v, parts.half_length


def flci(
    betas: Sequence[float],
    sigma: NDArray,
    *,
    num_pre: int,
    num_post: int,
    M: float,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Optimal fixed-length confidence interval for ``l' tau_post`` under :math:`\\Delta^{SD}(M)`."""
    b, S, lv = _check(betas, sigma, num_pre, num_post, l_vec)
    v, half = flci_weights(S, num_pre=num_pre, num_post=num_post, M=M, l_vec=lv, alpha=alpha)
    centre = float(v @ b)
    return centre - half, centre + half


# ---------------------------------------------------------------------------------------------
# Relative magnitudes: ARP conditional / hybrid test inversion
# ---------------------------------------------------------------------------------------------


def _rm_constraints(num_pre: int, num_post: int, Mbar: float, s: int, sign: float) -> NDArray:
    """Rows ``A`` of ``A delta <= 0`` for the piece where pre-period change ``s`` (<= 0) is the
    largest, with sign ``sign``: ``|post change_t| <= Mbar * sign * pre change_s``.

    Only the moments involving post periods are kept (``postPeriodMomentsOnly`` in HonestDiD).
    """
    periods = list(range(-num_pre, num_post + 1))
    n = len(periods)

    def diff_row(t: int) -> NDArray:  # delta_t - delta_{t-1}
        r = np.zeros(n)
        r[periods.index(t)] += 1.0
        r[periods.index(t - 1)] -= 1.0
        return r

    pre = sign * Mbar * diff_row(s)
    rows = []
    for t in range(1, num_post + 1):
        d = diff_row(t)
        rows.append(d - pre)
        rows.append(-d - pre)
    return np.delete(np.array(rows), periods.index(0), axis=1)


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


def rm_confidence_set(
    betas: Sequence[float],
    sigma: NDArray,
    *,
    num_pre: int,
    num_post: int,
    Mbar: float,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    hybrid: Literal["LF", "none"] = "LF",
    grid_points: int = 61,
    seed: int = 0,
) -> tuple[float, float]:
    """Robust confidence set for ``l' tau_post`` under :math:`\\Delta^{RM}(\\bar M)`.

    Returns ``(lb, ub)``: the smallest and largest accepted ``theta`` over all pieces (a
    piece's accepted set is found on a grid and its ends refined by bisection). ``(nan, nan)``
    if no value is accepted (the restrictions are rejected by the pre-trends).
    """
    b, S, lv = _check(betas, sigma, num_pre, num_post, l_vec)
    if Mbar < 0:
        raise InputError("Mbar must be non-negative", column="Mbar", value=Mbar)
    rng = np.random.default_rng(seed)
    theta_hat = float(lv @ b[num_pre:])
    sd_theta = float(np.sqrt(lv @ S[num_pre:, num_pre:] @ lv))
    pre_path = np.concatenate([b[:num_pre], [0.0]])
    max_pre = float(np.max(np.abs(np.diff(pre_path)))) if num_pre >= 1 else 0.0
    drift = float(np.sum(np.abs(lv) * np.arange(1, num_post + 1)))
    half = 8.0 * sd_theta + Mbar * (max_pre + 4.0 * np.sqrt(np.max(np.diag(S)))) * drift
    lbs, ubs = [], []
    for s in range(-num_pre + 1, 1):
        for sign in (1.0, -1.0):
            A = _rm_constraints(num_pre, num_post, Mbar, s, sign)
            piece = _make_piece(A, S, num_pre, lv, alpha, hybrid, rng)

            def ok(th: float, piece: _Piece = piece) -> bool:
                return _accepts(piece, b, num_pre, lv, th, alpha, hybrid)

            lo_g, hi_g = theta_hat - half, theta_hat + half
            for _ in range(6):  # widen the grid while its end points are accepted
                grid = np.linspace(lo_g, hi_g, grid_points)
                acc = np.array([ok(t) for t in grid])
                if not acc.any() or (not acc[0] and not acc[-1]):
                    break
                lo_g, hi_g = theta_hat - 2 * (theta_hat - lo_g), theta_hat + 2 * (hi_g - theta_hat)
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


def _bisect(ok, rejected: float, accepted: float, iters: int = 30) -> float:
    for _ in range(iters):
        mid = 0.5 * (rejected + accepted)
        if ok(mid):
            accepted = mid
        else:
            rejected = mid
    return accepted


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------


@dataclass(repr=False, eq=False)
class HonestDiDResult(ResultsProtocol):
    """Sensitivity of a confidence interval to violations of parallel trends.

    In the package's results protocol: ``tidy()`` has the interval under exact parallel trends
    (term ``"original"``, a normal interval with its standard error and p-value) then one row per
    value of the restriction parameter (``"Mbar=0.5"`` or ``"M=0.02"``, extra column ``M``) whose
    ``conf_low, conf_high`` are the robust bounds (no standard error or p-value: a robust set is
    not centred on an estimate). ``estimate`` is ``l' beta_post`` in every row. The intervals
    exist at the call's ``alpha`` only.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``M, lb, ub, method, restriction``: the robust CI at each value of the
        restriction parameter (``Mbar`` for relative magnitudes, ``M`` for smoothness).
    original : tuple of float
        CI under exact parallel trends.
    breakdown : float
        Largest value of the parameter at which the robust CI still excludes zero (refined by
        bisection between grid points); 0 if it already includes zero at the smallest value,
        ``inf`` if it never does on the grid; NaN if the original CI includes zero.
    alpha : float
        1 − coverage of every interval.
    """

    table: pd.DataFrame
    original: tuple[float, float]
    breakdown: float
    method: str
    restriction: str
    alpha: float = 0.05

    _alpha_is_fixed = True

    def _stored_alpha(self) -> float | None:
        return self.alpha

    def _tidy(self, alpha: float) -> pd.DataFrame:
        lo, hi = self.original
        z = stats.norm.ppf(1 - self.alpha / 2)
        est, se = (lo + hi) / 2, (hi - lo) / (2 * z)  # original_ci is est ± z·se
        name = "Mbar" if self.restriction == "relative_magnitude" else "M"
        orig = normal_tidy(["original"], [est], [se], alpha=alpha)
        robust = pd.DataFrame({
            "term": [f"{name}={format_number(m)}" for m in self.table["M"]], "estimate": est, "std_error": np.nan,
            "statistic": np.nan, "p_value": np.nan, "conf_low": self.table["lb"].to_numpy(dtype=float),
            "conf_high": self.table["ub"].to_numpy(dtype=float),
        })
        out = pd.concat([orig, robust], ignore_index=True)
        out["M"] = [np.nan, *self.table["M"].to_numpy(dtype=float)]
        out["method"] = ["normal (parallel trends)", *self.table["method"]]
        return out

    def _summary_header(self) -> list[str]:
        what = "relative magnitudes (Mbar)" if self.restriction == "relative_magnitude" else "smoothness (M)"
        return [f"HonestDiD (Rambachan & Roth 2023): robust {1 - self.alpha:.0%} intervals under {what}, {self.method}"]

    def _summary_footer(self) -> list[str]:
        return [f"Breakdown value: {format_number(self.breakdown)} (largest restriction at which the interval excludes 0)"]

    def plot(self, ax=None):
        """Robust CIs against the parameter, the original CI at the left; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
        t = self.table
        step = float(np.min(np.diff(t["M"]))) if len(t) > 1 else 1.0
        x0 = float(t["M"].min()) - step
        ax.errorbar(
            [x0],
            [np.mean(self.original)],
            yerr=[[np.mean(self.original) - self.original[0]], [self.original[1] - np.mean(self.original)]],
            fmt="o",
            color="black",
            capsize=3,
            label="original",
        )
        mid = (t["lb"] + t["ub"]) / 2
        ax.errorbar(t["M"], mid, yerr=[mid - t["lb"], t["ub"] - mid], fmt="none", color="tab:blue", capsize=3, label=self.method)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_xlabel("Mbar" if self.restriction == "relative_magnitude" else "M")
        ax.legend(frameon=False)
        return fig


def honest_did(
    betas: Sequence[float],
    sigma: NDArray,
    *,
    num_pre: int,
    num_post: int,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    Mbar: Sequence[float] | None = None,
    M: Sequence[float] | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    hybrid: Literal["LF", "none"] = "LF",
    seed: int = 0,
    refine_breakdown: bool = True,
) -> HonestDiDResult:
    """Rambachan–Roth robust confidence intervals over a grid of restrictions, and the breakdown value.

    Parameters
    ----------
    betas
        Event-study coefficients, pre-periods first (earliest first), then post-periods; the
        reference period (normalised to zero, usually ``-1``) left out.
    sigma
        Their covariance matrix.
    num_pre, num_post
        Number of pre- and post-period coefficients.
    method
        ``"relative_magnitude"`` (:math:`\\Delta^{RM}(\\bar M)`) or ``"smoothness"``
        (:math:`\\Delta^{SD}(M)`).
    Mbar
        Grid for relative magnitudes (default ``0, 0.5, 1, 1.5, 2``).
    M
        Grid for smoothness (default 0 to ``2 * sd(first post beta)`` in 6 steps).
    l_vec
        Weights defining ``theta = l' tau_post`` (default: the first post period).
    alpha
        One minus the confidence level.
    hybrid
        Relative magnitudes only: ``"LF"`` (conditional-least-favourable hybrid, HonestDiD's
        default ``C-LF``) or ``"none"`` (plain conditional test).
    seed
        Seed of the least-favourable critical value simulation.
    refine_breakdown
        Refine the breakdown value by bisection between grid points.

    Returns
    -------
    HonestDiDResult
    """
    b, S, lv = _check(betas, sigma, num_pre, num_post, l_vec)
    orig = original_ci(b, S, num_pre=num_pre, num_post=num_post, l_vec=lv, alpha=alpha)
    if method == "relative_magnitude":
        grid = np.asarray(Mbar if Mbar is not None else [0.0, 0.5, 1.0, 1.5, 2.0], dtype=float)
        label = "C-LF" if hybrid == "LF" else "Conditional"

        def ci(m: float) -> tuple[float, float]:
            return rm_confidence_set(
                b, S, num_pre=num_pre, num_post=num_post, Mbar=m, l_vec=lv, alpha=alpha, hybrid=hybrid, seed=seed
            )
    elif method == "smoothness":
        sd1 = float(np.sqrt(S[num_pre, num_pre]))
        grid = np.asarray(M if M is not None else np.linspace(0, 2 * sd1, 6), dtype=float)
        label = "FLCI"

        def ci(m: float) -> tuple[float, float]:
            return flci(b, S, num_pre=num_pre, num_post=num_post, M=m, l_vec=lv, alpha=alpha)
    else:
        raise InputError("method must be 'relative_magnitude' or 'smoothness'", column="method", value=method)
    if np.any(grid < 0):
        raise InputError("restriction parameters must be non-negative", column="Mbar/M", value=list(grid))
    grid = np.sort(grid)
    rows = [(m, *ci(float(m))) for m in grid]
    table = pd.DataFrame(rows, columns=["M", "lb", "ub"])
    table["method"] = label
    table["restriction"] = method

    def excludes_zero(lb: float, ub: float) -> bool:
        return bool(np.isfinite(lb) and (lb > 0 or ub < 0))

    if not excludes_zero(*orig):
        breakdown = float("nan")
    else:
        excl = [excludes_zero(lb, ub) for lb, ub in zip(table["lb"], table["ub"])]
        if all(excl):
            breakdown = float("inf")
        elif not excl[0]:
            breakdown = 0.0
        else:
            j = excl.index(False)
            lo, hi = float(grid[j - 1]), float(grid[j])
            if refine_breakdown:
                for _ in range(12):
                    mid = 0.5 * (lo + hi)
                    if excludes_zero(*ci(mid)):
                        lo = mid
                    else:
                        hi = mid
            breakdown = lo
    return HonestDiDResult(table=table, original=orig, breakdown=breakdown, method=label, restriction=method,
                           alpha=float(alpha))


def honest_did_event_study(result: Any, *, post_periods: Sequence[int] | None = None, **kwargs: Any) -> HonestDiDResult:
    """:func:`honest_did` on an event-study result (``sosek_impact.estimators.event_study``).

    Parameters
    ----------
    result
        Any object with ``params`` and ``cov`` (pandas, labelled ``"e=<event time>"``),
        ``event_times`` and ``ref``; the reference event time must be ``-1`` and the event
        times consecutive, as the restrictions speak of changes between adjacent periods.
        With binned end points the outermost coefficients pool several periods: read the
        smoothness restriction at those end points with care.
    post_periods
        Event times ``>= 0`` to keep (default: all); they must start at 0 and be consecutive.
    **kwargs
        Passed on to :func:`honest_did` (``method``, ``Mbar``, ``M``, ``l_vec``, ``alpha`` ...).

    Returns
    -------
    HonestDiDResult
    """
    ref = int(getattr(result, "ref", -1))
    if ref != -1:
        raise InputError("HonestDiD needs the event study normalised at event time -1", column="ref", value=ref)
    times = sorted(int(e) for e in result.event_times)
    pre = [e for e in times if e < -1]
    post = [e for e in times if e >= 0]
    if post_periods is not None:
        post = [e for e in post if e in {int(p) for p in post_periods}]
    if not pre or not post:
        raise InputError("the event study needs at least one lead (< -1) and one lag (>= 0)", column="event_times", value=times)
    if pre != list(range(pre[0], -1)) or post != list(range(post[-1] + 1)):
        raise InputError("event times must be consecutive around the reference -1", column="event_times", value=times)
    names = [f"e={e}" for e in pre + post]
    params = result.params
    cov = result.cov
    missing = [n for n in names if n not in params.index]
    if missing:
        raise InputError("event-time coefficient not found in the result", column="params", value=missing[0])
    betas = params.loc[names].to_numpy(dtype=float)
    sigma = cov.loc[names, names].to_numpy(dtype=float)
    return honest_did(betas, sigma, num_pre=len(pre), num_post=len(post), **kwargs)


make_module_callable(__name__)  # `from sosek_impact.inference import honest_did` is the function either way
