"""The rank test's power model behind the few-treated MDE, against direct simulation (issue 14 #5).

``rank_test_power`` claims: an estimate whose exceedance share in the placebo distribution is
``q`` is rejected by a new panel's test with probability ``P(Binomial(n, q) <= m)`` when the ``n``
placebos are independent draws, and with a variance from the units' Hoeffding projection when
assignments share units. Each claim is checked by simulating the test itself.
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pytest

from sosek_impact.inference.few_treated_power import exceedance_variance, rank_test_mde, rank_test_power


def _test_rejects(x: np.ndarray, ref: np.ndarray, alpha: float) -> np.ndarray:
    """The rank test itself: p = (1 + #{|ref| >= |x|}) / (n + 1) <= alpha, row by row."""
    hits = (np.abs(ref) >= np.abs(x)[:, None]).sum(axis=1)
    return (1 + hits) / (1 + ref.shape[1]) <= alpha


@pytest.mark.parametrize("n_ref", [19, 39, 199])
def test_power_with_independent_placebos_matches_simulated_tests(n_ref):
    rng = np.random.default_rng(n_ref)
    F = rng.standard_t(5, size=4000)  # the placebo distribution, known through a large sample
    reps = 40000
    for tau in (0.0, 1.5, 3.0):
        x = tau + rng.choice(F, size=reps)
        ref = rng.choice(F, size=(reps, n_ref))
        simulated = _test_rejects(x, ref, 0.05).mean()
        model = rank_test_power(tau, F, 0.05, n_reference=n_ref)[0]
        assert model == pytest.approx(simulated, abs=4 * math.sqrt(0.25 / reps) + 0.004), (tau, model, simulated)


def test_one_treated_unit_enumerated_is_binomial():
    e = np.random.default_rng(1).normal(size=49)
    members = np.eye(49, dtype=bool)  # each placebo assignment treats one unit
    assert np.allclose(exceedance_variance(e, members, exact=True), exceedance_variance(e, None))


def test_unit_variance_of_shared_assignments_matches_simulation():
    """Two treated units (two cohorts) among 12, every ordered pair enumerated: the exceedance share
    at a fixed threshold varies across panels by about the projection variance."""
    rng = np.random.default_rng(4)
    N = 12
    pairs = np.array(list(permutations(range(N), 2)))
    members = np.zeros((len(pairs), N), dtype=bool)
    members[np.arange(len(pairs)), pairs[:, 0]] = True
    members[np.arange(len(pairs)), pairs[:, 1]] = True
    shares, predicted = [], []
    for _ in range(600):
        u = rng.normal(size=N)
        stat = u[pairs[:, 0]] + 0.5 * u[pairs[:, 1]]
        r = int(np.sum(np.abs(stat) >= 1.8))
        shares.append(r / len(pairs))
        predicted.append(exceedance_variance(stat, members, exact=True)[r])
    empirical = float(np.var(shares))
    binomial = float(np.mean(shares) * (1 - np.mean(shares)) / len(pairs))
    assert empirical > 5 * binomial  # shared units: far more variable than independent draws
    assert np.mean(predicted) == pytest.approx(empirical, rel=0.35)


def test_mde_is_where_the_power_crosses():
    rng = np.random.default_rng(2)
    e = rng.normal(size=299)
    gain = rng.uniform(0.7, 1.3, size=299)
    m = rank_test_mde(e, 0.05, 0.8, gain=gain, n_reference=299)
    assert math.isfinite(m)
    for t in (m * (1 + 1e-9), -m * (1 + 1e-9)):
        assert rank_test_power(t, e, 0.05, n_reference=299, gain=gain)[0] >= 0.8
    assert min(rank_test_power(m * 0.98, e, 0.05, gain=gain)[0], rank_test_power(-m * 0.98, e, 0.05, gain=gain)[0]) < 0.8
    # normal theory at many placebos: about 1.96 + 0.84 SD
    big = np.random.default_rng(3).normal(size=20000)
    assert rank_test_mde(big, 0.05, 0.8) == pytest.approx(1.96 + 0.8416, abs=0.06)


def test_mde_is_infinite_when_the_test_cannot_reject():
    assert math.isinf(rank_test_mde(np.random.default_rng(0).normal(size=7), 0.05))
    assert math.isfinite(rank_test_mde(np.random.default_rng(0).normal(size=19), 0.05))
    assert math.isnan(rank_test_mde(np.array([np.nan]), 0.05))


def test_gain_scales_the_effect_each_draw_sees():
    e = np.random.default_rng(5).normal(size=199)
    half = np.where(np.arange(199) % 2 == 0, 2.0, 1.0)
    assert rank_test_power(0.7, e, 0.05, gain=np.full(199, 2.0))[0] == rank_test_power(1.4, e, 0.05)[0]
    mixed = rank_test_power(1.2, e, 0.05, gain=half)[0]
    assert rank_test_power(1.2, e, 0.05)[0] < mixed < rank_test_power(2.4, e, 0.05)[0]
