"""The design-based power behind the few-treated MDE, against direct simulation (issue 14 #5).

``rank_test_power`` lets every placebo draw play the treated once and tests it against the others
by the test's own rule. Claims checked here by simulating the test itself: with independent
placebos (one treated unit) the estimate is unbiased for the power of a test with ``n``
placebos; the effect each draw takes up (``cross_effects``) is the estimator's own response to
an effect planted on another draw's units; the MDE sits where the power crosses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sosek_impact.inference.few_treated_core import _exposures, linear_design
from sosek_impact.inference.few_treated_power import cross_effects, rank_test_mde, rank_test_power
from sosek_impact.inference.few_treated_ri import draw_assignments, permuted_statistics
from sosek_impact.inference.few_treated_weights import cohort_weights


def _true_power(tau: float, n: int, alpha: float, rng: np.random.Generator, reps: int = 200000) -> float:
    """The rank test itself on fresh draws: p = (1 + #{|ref| >= |x|}) / (n + 1) <= alpha."""
    x = tau + rng.standard_t(5, size=reps)
    ref = rng.standard_t(5, size=(reps, n))
    hits = (np.abs(ref) >= np.abs(x)[:, None]).sum(axis=1)
    return float(np.mean((1 + hits) / (1 + n) <= alpha))


@pytest.mark.parametrize("n", [19, 49])
def test_power_from_one_panel_is_unbiased_with_independent_placebos(n):
    rng = np.random.default_rng(n)
    for tau in (0.0, 3.0, 5.0):
        est = [rank_test_power(tau, rng.standard_t(5, size=n), 0.05)[0] for _ in range(3000)]
        truth = _true_power(tau, n, 0.05, rng)
        assert np.mean(est) == pytest.approx(truth, abs=0.015), (tau, np.mean(est), truth)


def test_cross_effects_are_the_estimators_response_to_a_planted_effect():
    periods = np.arange(2000, 2010.0)
    g = np.zeros(14)
    g[:3] = [2004, 2006, 2006]
    for estimator, control in (("cs", "never"), ("imputation", "not_yet"), ("cs", "not_yet")):
        terms, W, X = linear_design(g, periods, estimator, "simple", control)
        cohorts, L = cohort_weights(W, g)
        groups = draw_assignments(g, [np.arange(14)], 60, seed=1).groups
        cidx = np.searchsorted(cohorts, groups)
        _, Xc = cohort_weights(X, g)
        P = np.einsum("ct,dt->cd", L[0], Xc[0])
        truths = np.array([0, 5, 17, 42])
        G = cross_effects(P, cidx, truths, never=0)
        for col, j in enumerate(truths):
            Xj = _exposures(list(terms), "simple", estimator, groups[j], periods)  # the effect of draw j's timing
            direct = permuted_statistics(L, cohorts, groups, Xj)[0]  # every draw's estimate of that effect
            assert np.allclose(G[:, col], direct, atol=1e-12), estimator
            assert G[j, col] == pytest.approx(1.0)  # each draw recovers its own effect


def test_mde_is_where_the_power_crosses():
    rng = np.random.default_rng(2)
    e = rng.normal(size=199)
    m = rank_test_mde(e, 0.05, 0.8)
    assert math.isfinite(m)
    for t in (m, -m):
        assert rank_test_power(t, e, 0.05)[0] >= 0.8
    assert min(rank_test_power(m * 0.98, e, 0.05)[0], rank_test_power(-m * 0.98, e, 0.05)[0]) < 0.8
    # normal theory at many placebos: about 1.96 + 0.84 SD
    big = np.random.default_rng(3).normal(size=3000)
    assert rank_test_mde(big, 0.05, 0.8) == pytest.approx(1.96 + 0.8416, abs=0.08)


def test_a_larger_share_of_the_effect_lowers_the_mde():
    e = np.random.default_rng(5).normal(size=99)
    twice = np.zeros((99, 99))
    twice[np.arange(99), np.arange(99)] = 2.0
    assert rank_test_mde(e, 0.05, cross=twice) == pytest.approx(rank_test_mde(e, 0.05) / 2, rel=1e-9)


def test_mde_is_infinite_when_the_test_cannot_reject():
    assert math.isinf(rank_test_mde(np.random.default_rng(0).normal(size=7), 0.05))
    assert math.isfinite(rank_test_mde(np.random.default_rng(0).normal(size=19), 0.05))
    assert math.isnan(rank_test_mde(np.array([np.nan, 1.0]), 0.05))


def test_a_test_with_more_placebos_than_draws_is_filled_in():
    """49 draws standing in for a test with 199 placebos: the missing ones count as binomial."""
    rng = np.random.default_rng(9)
    est = [rank_test_power(3.0, rng.standard_t(5, size=49), 0.05, n_reference=199)[0] for _ in range(3000)]
    assert np.mean(est) == pytest.approx(_true_power(3.0, 199, 0.05, rng), abs=0.02)
