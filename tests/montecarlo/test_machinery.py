"""Tests of the Monte Carlo machinery (:mod:`sosek_impact.montecarlo`) with oracle methods.

The reference is exact normal theory: in a design without time effects or treatment, the
first-period cross-section mean of ``y`` is ``N(0, (unit_fe_sd^2 + sigma^2) / n)``, so a
z-interval with the known standard error covers 0 with probability 0.95 exactly, and one
with half that standard error with probability ``2 Phi(0.98) - 1 = 0.6729``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sosek_impact.montecarlo import Estimate, Method, coverage_band, replication_seeds, run_monte_carlo, summarise

N_UNITS = 60
DESIGN = {"n_units": N_UNITS, "n_periods": 4, "cohorts": {}, "time_fe_sd": 0.0, "unit_fe_sd": 1.0, "sigma": 1.0}
SE = math.sqrt(2.0 / N_UNITS)  # unit effect and error both have variance 1


def _mean_first_period(data):
    first = data["time"] == data["time"].min()
    return float(data.loc[first, "y"].mean())


def _z(scale):
    def fit(data, seed):
        m = _mean_first_period(data)
        return Estimate(m, m - 1.96 * scale * SE, m + 1.96 * scale * SE, scale * SE)

    return fit


def _fails(data, seed):
    raise RuntimeError("always fails")


def _randomised(data, seed):
    # uses its seed: the draw must be the same whatever the number of workers
    return Estimate(float(np.random.default_rng(seed).normal()))


ZERO = lambda data: 0.0  # noqa: E731 - target of the oracle

METHODS = [
    Method("oracle", _z(1.0), target=ZERO),
    Method("half se", _z(0.5), target=ZERO),
    Method("broken", _fails, target=ZERO),
    Method("random", _randomised, target=ZERO),
]


@pytest.fixture(scope="module")
def draws():
    return run_monte_carlo(METHODS, 1000, design=DESIGN, seed=7)


def test_exact_interval_covers_at_nominal_rate(draws):
    s = summarise(draws).loc["oracle"]
    lo, hi = coverage_band(1000, low=0.95, high=0.95)  # se 0.0069 -> [0.929, 0.971]
    assert lo <= s["coverage"] <= hi
    assert abs(s["bias_sigma"]) < 3 * s["mcse_bias_sigma"] + 1e-12
    assert s["sd"] == pytest.approx(SE, rel=0.1)  # sd of a sample sd from 1000 draws ~ 2.2 %
    assert s["mean_se"] == pytest.approx(SE)


def test_too_narrow_interval_is_detected(draws):
    s = summarise(draws).loc["half se"]
    expected = 2 * stats.norm.cdf(0.98) - 1
    assert s["coverage"] == pytest.approx(expected, abs=3 * math.sqrt(expected * (1 - expected) / 1000))
    lo, _ = coverage_band(1000)
    assert s["coverage"] < lo


def test_failures_are_counted_not_hidden(draws):
    s = summarise(draws).loc["broken"]
    assert s["reps"] == 0 and s["failures"] == 1000
    assert draws.loc[draws["method"] == "broken", "error"].str.contains("always fails").all()


def test_results_do_not_depend_on_worker_count():
    a = run_monte_carlo(METHODS[::3], 12, design=DESIGN, seed=3, n_jobs=1)
    b = run_monte_carlo(METHODS[::3], 12, design=DESIGN, seed=3, n_jobs=2)
    cols = ["rep", "method", "estimate", "ci_low", "ci_high", "truth"]
    assert a[cols].equals(b[cols])
    c = run_monte_carlo(METHODS[::3], 12, design=DESIGN, seed=4)
    assert not np.allclose(a["estimate"], c["estimate"])


def test_seeds_are_distinct_and_reproducible():
    s = replication_seeds(1, 1000)
    assert len(set(s)) == 1000 and s == replication_seeds(1, 1000)


def test_coverage_band_widens_with_simulation_error():
    lo, hi = coverage_band(500)
    se = math.sqrt(0.95 * 0.05 / 500)
    assert lo == pytest.approx(0.93 - 3 * se) and hi == pytest.approx(0.97 + 3 * se)
    assert coverage_band(10**9) == pytest.approx((0.93, 0.97), abs=1e-4)
