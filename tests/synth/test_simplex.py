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


def _slsqp_min_norm(A, b):
    J = A.shape[1]
    cons = [{"type": "eq", "fun": lambda w: A @ w - b, "jac": lambda w: A},
            {"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones((1, J))}]
    return minimize(lambda w: 0.5 * w @ w, np.full(J, 1 / J), jac=lambda w: w, bounds=[(0, None)] * J,
                    constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000}).x


@pytest.mark.parametrize("K,J", [(3, 40), (4, 120), (2, 15)])
def test_min_norm_exact_fit_matches_slsqp(K, J):
    # Reference: SciPy SLSQP on min ||w||^2 s.t. A w = b, w >= 0, sum w = 1 (tight tolerance);
    # the minimum-norm point is unique, so the two agree to 1e-7.
    from sosek_impact.estimators._simplex import min_norm_exact_fit

    rng = np.random.default_rng(K * 100 + J)
    A = rng.normal(size=(K, J))
    b = A @ rng.dirichlet(np.ones(J))
    w = min_norm_exact_fit(A, b)
    assert w is not None and w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(A @ w, b, atol=1e-10)
    np.testing.assert_allclose(w, _slsqp_min_norm(A, b), atol=1e-7)
    # an exact fit that is not reachable: None, never a made-up answer
    assert min_norm_exact_fit(A, b + 10 * np.abs(A).max()) is None


def test_exact_fit_weights_do_not_depend_on_the_solver():
    # The polytope of exact fits: NNLS and projected gradient from another start land on different
    # vertices / points, which is what moved the study's numbers between library versions. The
    # synthetic-control weights are the minimum-norm ones whichever solver found the first fit.
    from sosek_impact.estimators import _synth_fit
    from sosek_impact.estimators._simplex import _fista

    rng = np.random.default_rng(7)
    A = rng.normal(size=(3, 30))
    b = A @ rng.dirichlet(np.ones(30))
    w_nnls = simplex_least_squares(A, b)
    w_pg = _fista(A, b, project_to_simplex(rng.normal(size=30)), 0.0, 50_000, 1e-18)
    assert np.abs(w_nnls - w_pg).max() > 0.05  # the raw solutions differ
    v = np.full(3, 1 / 3)
    X1, X0 = b / np.sqrt(v), A / np.sqrt(v)[:, None]
    ours = _synth_fit.weights_given_v(X1, X0, v)
    orig = _synth_fit.simplex_least_squares
    try:
        _synth_fit.simplex_least_squares = lambda A_, b_: _fista(A_, b_, w_pg.copy(), 0.0, 50_000, 1e-18)
        other = _synth_fit.weights_given_v(X1, X0, v)
    finally:
        _synth_fit.simplex_least_squares = orig
    np.testing.assert_allclose(other, ours, atol=1e-8)
