"""Multiplier weights of the CS bootstrap: Mammen (default), Rademacher, Webb."""

from __future__ import annotations

import numpy as np
import pytest

from sosek_impact.estimators.did_bootstrap import (
    BOOTSTRAP_WEIGHTS,
    if_se,
    mammen_weights,
    multiplier_bootstrap,
    multiplier_weights,
)

N_DRAWS = 400_000
# (support, third moment, fourth moment) of each law
LAWS = {
    "mammen": (np.array([(1 - np.sqrt(5)) / 2, (1 + np.sqrt(5)) / 2]), 1.0, 2.0),
    "rademacher": (np.array([-1.0, 1.0]), 0.0, 1.0),
    "webb": (np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)]), 0.0, 7 / 6),
}


@pytest.mark.parametrize("kind", BOOTSTRAP_WEIGHTS)
def test_moments_and_support(kind):
    v = multiplier_weights(kind, np.random.default_rng(7), (N_DRAWS,))
    support, m3, m4 = LAWS[kind]
    values, counts = np.unique(v, return_counts=True)
    assert np.allclose(values, support, atol=1e-15)
    # sampling tolerances: 5 standard errors of each sample moment (its sd is sqrt(Var(v^k) / n))
    se = lambda k: np.sqrt(np.var(v**k) / N_DRAWS) + 1e-12  # noqa: E731  (v**2 is constant for Rademacher)
    assert abs(v.mean()) < 5 * se(1)
    assert abs(np.mean(v**2) - 1) < 5 * se(2)
    assert abs(np.mean(v**3) - m3) < 5 * se(3)
    assert abs(np.mean(v**4) - m4) < 5 * se(4)
    if kind == "webb":  # six equally likely points
        p = counts / N_DRAWS
        assert np.all(np.abs(p - 1 / 6) < 5 * np.sqrt(1 / 6 * 5 / 6 / N_DRAWS))


def test_default_is_mammen_with_the_same_draws():
    psi = np.random.default_rng(1).normal(size=(300, 3))
    a = multiplier_bootstrap(psi, n_boot=200, seed=5)
    v = mammen_weights(np.random.default_rng(5), (200, 300))
    assert np.array_equal(a.draws, v @ psi / 300)
    assert np.array_equal(multiplier_bootstrap(psi, n_boot=200, seed=5, weights="mammen").draws, a.draws)
    assert not np.allclose(multiplier_bootstrap(psi, n_boot=200, seed=5, weights="webb").draws, a.draws)


def test_unknown_weights_are_refused():
    with pytest.raises(ValueError, match="rademacher"):
        multiplier_bootstrap(np.ones((5, 1)), weights="normal")


@pytest.fixture(scope="module")
def large_panel():
    from sosek_impact.simulate import simulate_staggered_panel

    return simulate_staggered_panel(n_units=1500, n_periods=6, cohorts={2002: 300, 2004: 300}, seed=3)


@pytest.mark.parametrize("kind", BOOTSTRAP_WEIGHTS)
def test_bootstrap_se_agrees_with_analytical_se(large_panel, kind):
    """Every law has variance 1, so the bootstrap SE estimates the influence-function SE.

    The bootstrap SE is the IQR of 3999 draws / 1.349: its Monte Carlo relative sd is about
    1.17 / sqrt(3999) = 1.9 % for normal draws; the tolerance is 4 of those (7.5 %), on every cell
    and on the dynamic aggregate.
    """
    from sosek_impact.estimators import att_gt

    kw = dict(y="y", unit="unit", time="time", group="group")
    an = att_gt(large_panel, **kw)
    bs = att_gt(large_panel, **kw, bootstrap=True, n_boot=3999, seed=11, bootstrap_weights=kind)
    assert bs.settings["bootstrap_weights"] == kind and kind in bs.summary()
    ratio = bs.table["se"].to_numpy() / an.table["se"].to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.075), ratio
    dyn_an, dyn_bs = an.aggregate("dynamic"), bs.aggregate("dynamic")
    r2 = dyn_bs.table["std_error"].to_numpy() / dyn_an.table["std_error"].to_numpy()
    assert np.all(np.abs(r2 - 1) < 0.075), r2
    assert abs(dyn_bs.std_error / dyn_an.std_error - 1) < 0.075


def test_att_gt_refuses_unknown_weights(large_panel):
    from sosek_impact.estimators import att_gt

    with pytest.raises(ValueError, match="bootstrap_weights"):
        att_gt(large_panel, y="y", unit="unit", time="time", group="group", bootstrap=True, bootstrap_weights="gauss")


def test_if_se_is_the_bootstrap_variance_limit():
    """With many draws the bootstrap variance (not the IQR) equals the analytical variance for each law."""
    psi = np.random.default_rng(2).normal(size=(200, 2)) * [1.0, 3.0]
    for kind in BOOTSTRAP_WEIGHTS:
        d = multiplier_bootstrap(psi, n_boot=20_000, seed=3, weights=kind).draws
        assert np.allclose(d.std(axis=0) / if_se(psi), 1, atol=0.03)  # MC sd of an sd: 1/sqrt(2B) = 0.5 %
