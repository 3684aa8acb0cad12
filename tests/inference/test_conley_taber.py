"""Conley–Taber intervals: the closed form of a two-period design, and coverage in simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import SmallGroupError, UnbalancedPanelError
from sosek_impact.inference import conley_taber
from sosek_impact.simulate import simulate_staggered_panel


def _two_period(n0: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n0 + 1
    y1 = rng.normal(size=n)
    y2 = y1 + rng.normal(size=n) + np.r_[1.5, np.zeros(n0)]
    return pd.DataFrame({
        "unit": np.repeat(np.arange(n), 2), "time": np.tile([1, 2], n),
        "y": np.column_stack([y1, y2]).ravel(), "d": np.column_stack([np.zeros(n), np.r_[1, np.zeros(n0)]]).ravel(),
    })


def test_two_period_closed_form():
    """One treated unit (0), two periods: α̂ = Δy_0 − mean(Δy_c) and the pseudo-effects are
    Δy_ℓ − mean(Δy_c) for the controls ℓ (d̃ = ±1/2, Σd̃² = 1/2, control residual differences),
    so the interval is [Δy_0 − Q(1 − a/2), Δy_0 − Q(a/2)] with Q the quantiles of the controls' Δy."""
    d = _two_period(40, seed=1)
    dy = d.groupby("unit")["y"].agg(lambda s: s.iloc[1] - s.iloc[0]).to_numpy()
    res = conley_taber(d, "y", "unit", "time", "d", alpha=0.1)
    assert res.estimate == pytest.approx(dy[0] - dy[1:].mean(), abs=1e-10)
    np.testing.assert_allclose(np.sort(res.distribution), np.sort(dy[1:] - dy[1:].mean()), atol=1e-10)
    q_lo, q_hi = np.quantile(dy[1:], [0.05, 0.95])
    assert res.interval == pytest.approx((dy[0] - q_hi, dy[0] - q_lo), abs=1e-10)
    assert res.exact and res.n_treated == 1 and res.n_controls == 40


def test_several_treated_enumerates_pairings():
    d = simulate_staggered_panel(n_units=20, n_periods=10, n_treated=2, effect="constant", seed=3)
    res = conley_taber(d, "y", "unit", "time", "treat")
    assert res.exact and res.distribution.size == 18**2
    sampled = conley_taber(d, "y", "unit", "time", "treat", max_pairings=100, seed=1)
    assert not sampled.exact and sampled.distribution.size == 100


@pytest.mark.slow
def test_coverage_with_three_treated_units():
    """Constant effect 1, 40 units of which 3 treated (staggered), AR(1) errors: over 200 seeded
    panels the 90 % interval covers 1 in [0.85, 0.95] of them (binomial SD 0.021; CT is valid as
    the number of controls grows, 37 here)."""
    cover = 0
    for s in range(200):
        d = simulate_staggered_panel(n_units=40, n_periods=25, n_treated=3, effect="constant", seed=500 + s)
        lo, hi = conley_taber(d, "y", "unit", "time", "treat", alpha=0.1).interval
        cover += lo <= 1.0 <= hi
    assert 0.85 <= cover / 200 <= 0.95


def test_bad_input():
    d = simulate_staggered_panel(n_units=10, n_periods=6, n_treated=2, seed=1)
    with pytest.raises(UnbalancedPanelError):
        conley_taber(d.iloc[1:], "y", "unit", "time", "treat")
    with pytest.raises(SmallGroupError):
        conley_taber(d.assign(treat=0), "y", "unit", "time", "treat")
