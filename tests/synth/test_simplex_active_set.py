"""The simplex active-set solver: KKT conditions, and never worse than a long projected-gradient run."""

from __future__ import annotations

import numpy as np
import pytest

from sosek_impact.estimators._simplex import _fista, _objective
from sosek_impact.estimators._simplex_active_set import simplex_active_set


@pytest.mark.parametrize("seed", range(5))
def test_kkt_holds_and_objective_is_minimal(seed):
    rng = np.random.default_rng(seed)
    for _ in range(30):
        K, J = int(rng.integers(3, 40)), int(rng.integers(2, 120))
        A = rng.normal(size=(K, J))
        b = rng.normal(size=K) * rng.uniform(0.2, 3)
        ridge = float(rng.choice([0.0, 0.1]))
        w = simplex_active_set(A, b, ridge)
        assert w is not None
        assert np.all(w >= 0) and w.sum() == pytest.approx(1.0, abs=1e-12)
        g = A.T @ (A @ w - b) + ridge * w
        on = w > 0
        mu = g[on].mean()
        assert np.allclose(g[on], mu, atol=1e-9)  # equal reduced gradient on the support
        assert np.all(g[~on] >= mu - 1e-9)  # no descent direction off it
        ref = _fista(A, b, np.full(J, 1.0 / J), ridge, 20000, 1e-16)
        assert _objective(A, b, w, ridge) <= _objective(A, b, ref, ridge) + 1e-10


def test_vertex_and_interior_solutions():
    A = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 0.0]])
    assert np.array_equal(simplex_active_set(A, np.array([-1.0, 0.0])), np.array([1.0, 0.0, 0.0]))
    w = simplex_active_set(A, np.array([1.0, 0.5]))  # exactly 0.5 of donor 1 and 0.25 of 0 and 2
    assert np.allclose(A @ w, [1.0, 0.5], atol=1e-12)
