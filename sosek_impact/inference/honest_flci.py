"""Optimal fixed-length confidence intervals under smoothness, :math:`\\Delta^{SD}(M)`.

The robust interval of Armstrong and Kolesár, as ``HonestDiD::findOptimalFLCI``: an affine
estimator ``v' betahat`` with ``v_post = l`` whose pre-period weights remove any linear trend,
chosen to minimise ``sigma_v * cv_alpha(bias_v / sigma_v)``, where ``bias_v`` is the worst-case
bias over :math:`\\Delta^{SD}(M)` (the slope of ``delta`` changes by at most ``M`` between
consecutive periods) and ``cv_alpha(t)`` the ``1 - alpha`` quantile of ``|N(t, 1)|``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from sosek_impact.errors import InputError
from sosek_impact.inference.honest_inputs import check_inputs, normal_sf

__all__ = ["flci", "flci_weights"]


def _folded_normal_cv(t: float, alpha: float) -> float:
    """``1 - alpha`` quantile of ``|N(t, 1)|``."""
    t = abs(t)
    if t > 40:
        return t + stats.norm.ppf(1 - alpha)

    def f(c: float) -> float:
        return normal_sf(-c - t) - normal_sf(c - t) - (1 - alpha)

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
    _, S, lv = check_inputs(np.zeros(n), sigma, num_pre, num_post, l_vec)
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
    b, S, lv = check_inputs(betas, sigma, num_pre, num_post, l_vec)
    v, half = flci_weights(S, num_pre=num_pre, num_post=num_post, M=M, l_vec=lv, alpha=alpha)
    centre = float(v @ b)
    return centre - half, centre + half

