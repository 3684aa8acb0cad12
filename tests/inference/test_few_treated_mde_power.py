"""The few-treated MDE's stated power holds in simulation (issue 14 #5).

A design with two treated units (cohorts of one) and 28 controls, equal noise: the MDE reported on
panels with no effect (its median over 60 panels) is then planted as the true effect in 150 new panels,
and the test must reject in about 80 % of them.

Measured (docs/few_treated.md, "Minimum detectable effect"): it does not quite. At the median MDE the
test rejects in 0.66-0.71 of the panels (300 panels: 0.68 scaled, 0.71 unscaled), because the MDE holds
the critical value fixed at the observed panel's while, across panels, the critical value varies too.
The MDE is therefore optimistic by about 15 % at this shape. The test pins that: power between 0.55 and
0.9 (a broken MDE, e.g. one computed from the wrong noise, lands far outside), and clearly above the
power at half the MDE.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.inference import few_treated_inference

N, T = 30, 10
PERIODS = np.arange(2000, 2000 + T)
GROUP = np.zeros(N)
GROUP[0], GROUP[1] = 2005, 2007


def _panel(rng: np.random.Generator, effect: float) -> pd.DataFrame:
    unit = np.repeat(np.arange(N), T)
    year = np.tile(PERIODS, N)
    g = GROUP[unit]
    y = rng.normal(size=N)[unit] + 0.1 * (year - 2000) + rng.normal(size=unit.size) + effect * ((g > 0) & (year >= g))
    return pd.DataFrame({"u": unit, "t": year, "g": g, "y": y})


def _fit(d: pd.DataFrame, seed: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-unit cohorts
        return few_treated_inference(d, "y", "u", "t", "g", estimator="cs", n_draws=199, seed=seed)


@pytest.mark.slow
def test_mde_is_detected_with_its_stated_power():
    rng = np.random.default_rng(20261204)
    mdes = [float(_fit(_panel(rng, 0.0), s).mde(0.8)[0]) for s in range(60)]
    assert all(np.isfinite(mdes))
    m = float(np.median(mdes))
    rejected = [float(_fit(_panel(rng, m), 100 + s).p_value[0]) <= 0.05 for s in range(150)]
    rate = float(np.mean(rejected))
    assert 0.55 <= rate <= 0.9, (m, rate)
    # and half the MDE is detected clearly less often (the power curve is not flat)
    half = [float(_fit(_panel(rng, m / 2), 400 + s).p_value[0]) <= 0.05 for s in range(100)]
    assert np.mean(half) < rate - 0.2, (np.mean(half), rate)
