"""The simplex-constrained least-squares solver against SciPy's SLSQP and exact solutions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from sosek_impact.estimators._simplex import project_to_simplex, simplex_least_squares


def _slsqp(A, b, ridge=0.0):
    J = A.shape[1]
    res = minimize(
        lambda w: np.sum((A @ w - b) ** 2) + ridge * w @ w,
        np.full(J, 1 / J),
        jac=lambda w: 2 * A.T @ (A @ w - b) + 2 * ridge * w,
        method="SLSQP",
        bounds=[(0, 1)] * J,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones((1, J))}],
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    return res.x


@pytest.mark.parametrize("K,J,ridge", [(20, 10, 0.0), (8, 60, 0.0), (30, 40, 0.5), (5, 80, 0.0)])
def test_objective_no_worse_than_slsqp(K, J, ridge):
    # Reference: SciPy SLSQP with tight tolerance on the same problem; ours may be better, never
    # worse by more than 1e-9 relative.
    rng = np.random.default_rng(K * J)
    A = rng.normal(size=(K, J))
    b = rng.normal(size=K) + A[:, :3].mean(axis=1)
    w = simplex_least_squares(A, b, ridge=ridge)
    ref = _slsqp(A, b, ridge)

    def f(x):
        return np.sum((A @ x - b) ** 2) + ridge * x @ x

    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert f(w) <= f(ref) * (1 + 1e-9) + 1e-12


def test_exact_recovery_of_an_interior_point():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(25, 12))
    w_true = np.zeros(12)
    w_true[[1, 4, 7]] = [0.2, 0.5, 0.3]
    w = simplex_least_squares(A, A @ w_true)
    np.testing.assert_allclose(w, w_true, atol=1e-9)


def test_projection_onto_simplex_matches_definition():
    # Duchi et al. (2008): projecting a point already on the simplex is the identity, and the
    # projection of (2, 0, 0) is the vertex e1; of (0.5, 0.5, 0.5) the barycentre.
    np.testing.assert_allclose(project_to_simplex(np.array([0.2, 0.3, 0.5])), [0.2, 0.3, 0.5], atol=1e-15)
    np.testing.assert_allclose(project_to_simplex(np.array([2.0, 0.0, 0.0])), [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(project_to_simplex(np.array([0.5, 0.5, 0.5])), [1 / 3] * 3, atol=1e-15)
