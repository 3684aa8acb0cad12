"""The synthetic-control weight fit on matrices: donor weights given ``V``, and the nested ``V`` search.

The inner problem is solved by :func:`sosek_impact.estimators._simplex.simplex_least_squares`
(a primal active-set method with exact KKT solves); weights at or below
:data:`~sosek_impact.estimators.synth_rank.WEIGHT_ZERO` are then set to exactly 0
(:func:`~sosek_impact.estimators.synth_rank.clean_weights`), so that which donors carry weight,
and the printed weights, do not depend on the machine's rounding. When the treated unit can be
matched exactly the weights are not unique; the minimum-norm exact-fit weights are then used (see
:func:`weights_given_v`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from sosek_impact.estimators._simplex import min_norm_exact_fit, simplex_least_squares
from sosek_impact.estimators.synth_rank import clean_weights

__all__ = ["Fit", "fit_matrices", "weights_given_v"]


@dataclass
class Fit:
    """Donor weights ``w``, predictor importances ``v`` (summing to one) and the pre-period MSPE."""

    w: NDArray[np.float64]
    v: NDArray[np.float64]
    pre_mspe: float


#: a least-squares fit whose largest residual is at most this (relative) is exact in solver terms
EXACT_SOLVE_RTOL = 1e-9


def weights_given_v(X1: NDArray, X0: NDArray, v: NDArray) -> NDArray:
    """Simplex weights minimising ``(X1 - X0 w)' diag(v) (X1 - X0 w)``, tiny weights set to 0.

    When the characteristics can be matched exactly (largest residual at most
    :data:`EXACT_SOLVE_RTOL` of the largest characteristic) the minimisers form a polytope and the
    active-set solver's choice among them depends on its version and on rounding; the unique
    minimum-norm exact-fit weights (:func:`~sosek_impact.estimators._simplex.min_norm_exact_fit`)
    are returned instead.
    """
    sv = np.sqrt(v)
    A, b = X0 * sv[:, None], X1 * sv
    w = simplex_least_squares(A, b)
    size = max(1.0, float(np.max(np.abs(b))), float(np.max(np.abs(A))))
    if float(np.max(np.abs(A @ w - b))) <= EXACT_SOLVE_RTOL * size:
        w_mn = min_norm_exact_fit(A, b, tol=1e-10)
        if w_mn is not None:
            w = w_mn
    return clean_weights(w)


def fit_matrices(
    X1: NDArray,
    X0: NDArray,
    Z1: NDArray,
    Z0: NDArray,
    v_spec: str | NDArray,
    n_starts: int,
    seed: int,
) -> Fit:
    """Weights (and V) for one treated unit: X are scaled predictors, Z pre-period outcomes."""
    k = X1.size

    def pre_mspe(w: NDArray) -> float:
        r = Z1 - Z0 @ w
        return float(r @ r / r.size)

    if isinstance(v_spec, str) and v_spec == "equal" or k == 1:
        v = np.full(k, 1.0 / k)
        w = weights_given_v(X1, X0, v)
        return Fit(w, v, pre_mspe(w))
    if not isinstance(v_spec, str):
        v = np.asarray(v_spec, dtype=float)
        v = v / v.sum()
        w = weights_given_v(X1, X0, v)
        return Fit(w, v, pre_mspe(w))

    # Nested optimisation: V = softmax(theta); outer objective is the pre-period outcome MSPE.
    def v_of(theta: NDArray) -> NDArray:
        e = np.exp(theta - theta.max())
        return e / e.sum()

    cache: dict[bytes, float] = {}

    def outer(theta: NDArray) -> float:
        key = np.round(theta, 12).tobytes()
        if key not in cache:
            cache[key] = pre_mspe(weights_given_v(X1, X0, v_of(theta)))
        return cache[key]

    rng = np.random.default_rng(seed)
    starts = [np.zeros(k)]
    # A regression-based start, as Synth does: importance proportional to how well each
    # predictor, alone, lines up the pre-period outcomes across units.
    X = np.column_stack([X1, X0])
    Z = np.column_stack([Z1, Z0]).mean(axis=0)
    corr = np.array([abs(np.corrcoef(X[i], Z)[0, 1]) if np.std(X[i]) > 0 else 0.0 for i in range(k)])
    starts.append(np.log(np.nan_to_num(corr, nan=0.0) + 1e-3))
    for _ in range(max(0, n_starts - 2)):
        starts.append(np.log(rng.dirichlet(np.ones(k))))
    best: Fit | None = None
    for theta0 in starts[: max(1, n_starts)]:
        res = minimize(outer, theta0, method="Nelder-Mead", options={"maxiter": 200 * k, "xatol": 1e-4, "fatol": 1e-10})
        v = v_of(res.x)
        w = weights_given_v(X1, X0, v)
        fit = Fit(w, v, pre_mspe(w))
        if best is None or fit.pre_mspe < best.pre_mspe - 1e-15:
            best = fit
    assert best is not None
    return best
