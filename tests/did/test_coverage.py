"""Coverage of att_gt's intervals in repeated seeded simulations (a small Monte Carlo).

DGP: tests/did/conftest.py::simulate with 200 units and 6 periods (cohorts 3 and 5), known effects.
With R = 100 replications the Monte Carlo standard error of a 95 % coverage rate is
sqrt(0.95 * 0.05 / 100) = 0.022; we accept [0.95 - 3 * 0.022, 1] = [0.885, 1] for
(a) the pointwise analytical 95 % CI of the overall (simple) ATT and (b) the bootstrap uniform
band covering all event-time effects at once. A pointwise interval used for the same joint
statement must cover less often than the uniform band (checked as a contrast).
"""

from __future__ import annotations

import numpy as np
import pytest

from sosek_impact.estimators import att_gt

R = 100
SIM = dict(y="y", unit="unit", time="time", group="group")


@pytest.mark.slow
def test_pointwise_and_uniform_coverage(simulator, effect):
    cover_simple = cover_band = cover_pointwise_joint = 0
    for r in range(R):
        df = simulator(seed=1000 + r, n_units=200, n_periods=6, cohorts=(3, 5), shares=(0.3, 0.3))
        res = att_gt(df, **SIM, bootstrap=True, n_boot=499, seed=r)
        n_g = df.groupby("unit")["group"].first().value_counts()
        post = df[(df["group"] > 0) & (df["time"] >= df["group"])]
        true_simple = np.mean([effect(g, t - g) for g, t in zip(post["group"], post["time"])])
        s = res.aggregate("simple")
        cover_simple += abs(s.estimate - true_simple) <= 1.959964 * s.std_error
        dyn = res.aggregate("dynamic").to_frame()
        truth = np.array([
            np.average([effect(g, e) for g in (3, 5) if 1 <= g + e <= 6],
                       weights=[n_g[g] for g in (3, 5) if 1 <= g + e <= 6])
            for e in dyn["egt"]
        ])
        cover_band += bool(np.all((dyn["cband_lower"] <= truth) & (truth <= dyn["cband_upper"])))
        cover_pointwise_joint += bool(np.all((dyn["ci_lower"] <= truth) & (truth <= dyn["ci_upper"])))
    lo = 0.95 - 3 * np.sqrt(0.95 * 0.05 / R)
    assert cover_simple / R >= lo, cover_simple / R
    assert cover_band / R >= lo, cover_band / R
    print(f"coverage simple {cover_simple / R:.3f}, uniform band {cover_band / R:.3f}, pointwise joint {cover_pointwise_joint / R:.3f}")
    assert cover_pointwise_joint <= cover_band
