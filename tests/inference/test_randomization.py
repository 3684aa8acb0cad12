"""Randomisation inference: an exact p-value computed by hand on a tiny panel, agreement of the
vectorised TWFE path with refitting, and size under the sharp null in a seeded simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError, TreatedInFirstPeriodError
from sosek_impact.inference import randomization_inference
from sosek_impact.inference.randomization import _twfe_statistic, distinct_permutations, n_assignments
from sosek_impact.simulate import simulate_staggered_panel


def _tiny() -> pd.DataFrame:
    # 4 units, 2 periods; changes Δy = [3, 1, 0, -1]; unit 2 treated in period 2
    dy = {0: 3.0, 1: 1.0, 2: 0.0, 3: -1.0}
    rows = []
    for u, ch in dy.items():
        rows += [(u, 1, 10.0 + u, 0), (u, 2, 10.0 + u + ch, 0)]
    d = pd.DataFrame(rows, columns=["unit", "time", "y", "group"])
    d.loc[d["unit"] == 2, "group"] = 2
    return d


def test_exact_pvalue_by_hand():
    """With one treated unit in a 2×2 design TWFE is Δy_i − mean(Δy of the others):
    unit 0: 3 − 0 = 3; unit 1: 1 − 2/3 = 1/3; unit 2: 0 − 1 = −1; unit 3: −1 − 4/3 = −7/3.
    Observed (unit 2) θ = −1; |θ_a| ≥ 1 for units 0, 2, 3 → exact two-sided p = 3/4;
    one-sided "less" (θ_a ≤ −1): units 2, 3 → 2/4; "greater" (θ_a ≥ −1): units 0, 1, 2 → 3/4."""
    d = _tiny()
    res = randomization_inference(d, "y", "unit", "time", "group", n_perm=999)
    assert res.exact and res.n_perm == 4 and res.n_assignments == 4
    assert res.statistic == pytest.approx(-1.0, abs=1e-12)
    np.testing.assert_allclose(np.sort(res.distribution), [-7 / 3, -1.0, 1 / 3, 3.0], atol=1e-12)
    assert res.pvalue == pytest.approx(0.75)
    assert randomization_inference(d, "y", "unit", "time", "group", alternative="less").pvalue == pytest.approx(0.5)
    assert randomization_inference(d, "y", "unit", "time", "group", alternative="greater").pvalue == pytest.approx(0.75)


def test_enumeration_counts():
    assert n_assignments([0, 0, 0, 2005, 2005, 2008]) == 60  # 6! / (3! 2! 1!)
    perms = list(distinct_permutations([0, 0, 1, 2]))
    assert len(perms) == len(set(perms)) == 12


def test_fast_path_equals_refitting():
    d = simulate_staggered_panel(n_units=20, n_periods=8, n_treated=5, seed=2)
    a = randomization_inference(d, "y", "unit", "time", "group", n_perm=99, seed=3)
    b = randomization_inference(d, "y", "unit", "time", "group", estimator=_twfe_statistic, n_perm=99, seed=3)
    np.testing.assert_allclose(a.distribution, b.distribution, atol=1e-10)
    assert a.statistic == pytest.approx(b.statistic, abs=1e-10) and a.pvalue == b.pvalue
    # random permutations keep the cohort sizes; p has the +1 correction
    assert not a.exact and a.pvalue == pytest.approx((1 + np.sum(np.abs(a.distribution) >= abs(a.statistic))) / 100)


def test_strata_keep_assignment_within_blocks():
    d = simulate_staggered_panel(n_units=8, n_periods=6, n_treated=4, cohorts={2002: 2, 2003: 2}, seed=4)
    d["block"] = (d["unit"] % 2).astype(int)
    res = randomization_inference(d, "y", "unit", "time", "group", strata="block", n_perm=10_000)
    per_block = [n_assignments(d[d["block"] == b].groupby("unit")["group"].first().tolist()) for b in (0, 1)]
    assert res.exact and res.n_perm == per_block[0] * per_block[1]


@pytest.mark.slow
def test_size_under_sharp_null():
    """No effect, 60 units, 8 treated in 4 cohorts, AR(1) errors: the permutation test is exact
    under the sharp null when timing is exchangeable, so over 150 seeded panels the 5 % rejection
    rate lies in [0.01, 0.11] (binomial SD 0.018)."""
    rej = 0
    for s in range(150):
        d = simulate_staggered_panel(n_units=60, n_periods=25, n_treated=8, effect_size=0.0, seed=1000 + s)
        rej += randomization_inference(d, "y", "unit", "time", "group", n_perm=199, seed=s).pvalue < 0.05
    assert 0.01 <= rej / 150 <= 0.11


def test_power_against_a_real_effect():
    d = simulate_staggered_panel(n_units=60, n_periods=25, n_treated=8, effect="constant", effect_size=2.0, seed=7)
    assert randomization_inference(d, "y", "unit", "time", "group", n_perm=199, seed=1).pvalue < 0.05


def test_att_gt_estimator_by_name():
    """The statistic is the Callaway-Sant'Anna simple ATT of the observed assignment."""
    from sosek_impact.estimators import att_gt

    d = simulate_staggered_panel(n_units=30, n_periods=8, n_treated=6, seed=2)
    res = randomization_inference(d, "y", "unit", "time", "group", estimator="att_gt", n_perm=9, seed=1)
    ref = att_gt(d, y="y", unit="unit", time="time", group="group").aggregate("simple").estimate
    assert res.statistic == pytest.approx(ref, abs=1e-12)
    assert res.distribution.size == 9 and np.isfinite(res.distribution).all()


def test_bad_input():
    d = _tiny()
    with pytest.raises(ValueError):
        randomization_inference(d, "y", "unit", "time", "group", scheme="bootstrap")
    with pytest.raises(TreatedInFirstPeriodError):
        randomization_inference(d.assign(group=np.where(d["unit"] == 2, 1, 0)), "y", "unit", "time", "group")
    with pytest.raises(EstimationError, match="one assignment"):
        randomization_inference(d.assign(group=2), "y", "unit", "time", "group")
