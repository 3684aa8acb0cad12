"""The study's one few-treated interval (analysis/_common.few_treated_interval) and the MDE.

Checked against (i) the randomisation test it inverts, recomputed independently by refitting
``att_gt`` on every assignment of ``y - tau D`` just inside and outside the interval ends,
(ii) a simulation with a known effect (coverage of an exact permutation test under exchangeable
noise is 1 - alpha by construction), (iii) the normal-theory MDE (critical value + 0.84 SD for
80 % power) on a large normal placebo sample.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from _common import few_treated_interval, minimum_detectable_effect
from sosek_impact.estimators.did import att_gt
from sosek_impact.inference.randomization import randomization_inference


def _panel(n_units: int, n_years: int, tau: float, rng, g: int | None = None) -> pd.DataFrame:
    g = n_years - 1 if g is None else g
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(n_years), n_units)
    group = np.where(unit == 0, g, 0)
    y = rng.normal(size=n_units)[unit] + 0.3 * year + rng.normal(size=unit.size) + tau * ((group > 0) & (year >= group))
    return pd.DataFrame({"u": unit, "t": year, "g": group, "y": y})


def _cs(data: pd.DataFrame, y: str, unit: str, time: str, group: str) -> float:
    """The CS simple ATT refitted by the library estimator itself (the reference)."""
    return float(att_gt(data, y, unit, time, group, control="never", method="reg").aggregate("simple", na_rm=True).estimate)


def test_interval_ends_are_where_the_refitted_permutation_test_starts_rejecting():
    """The equal-variance test (``scale="none"``) against refits of att_gt on every assignment.

    The scaled default divides each assignment's estimate by its own noise scale, which a refit of the
    estimate alone cannot reproduce; its exact enumeration is checked by hand in
    tests/inference/test_few_treated_noise.py.
    """
    d = _panel(12, 5, 0.5, np.random.default_rng(6))
    out = few_treated_interval(d, "y", "u", "t", "g", estimator="cs", alpha=0.1, seed=0, scale="none")
    assert out["exact"] and out["n_draws"] == 12  # one treated unit among 12: all 12 assignments
    assert math.isclose(out["estimate"], _cs(d, "y", "u", "t", "g"), rel_tol=1e-9)
    whole = randomization_inference(d, "y", "u", "t", "g", estimator=_cs, n_perm=999)
    assert whole.exact and out["p_value"] == pytest.approx(whole.pvalue, abs=1e-12)
    D = ((d["g"] > 0) & (d["t"] >= d["g"])).astype(float)
    for end, step in ((out["conf_low"], -1e-6), (out["conf_high"], 1e-6)):
        inside = randomization_inference(d.assign(y0=d["y"] - (end - step) * D), "y0", "u", "t", "g", estimator=_cs, n_perm=999)
        outside = randomization_inference(d.assign(y0=d["y"] - (end + step) * D), "y0", "u", "t", "g", estimator=_cs, n_perm=999)
        assert inside.pvalue > 0.1 >= outside.pvalue
    assert out["conf_low"] < out["estimate"] < out["conf_high"]
    # the placebo distribution: the 11 other assignments, each the estimate there minus the
    # estimated effect times the statistic of D there (what a unit with no effect would show)
    assert out["distribution_placebo"].size == 11


def test_coverage_with_one_treated_unit_is_the_nominal_level():
    rng = np.random.default_rng(5)
    tau, reps, hits = 1.5, 200, 0
    for _ in range(reps):
        d = _panel(20, 5, tau, rng)
        out = few_treated_interval(d, "y", "u", "t", "g", estimator="cs", alpha=0.05, seed=0)
        hits += out["conf_low"] <= tau <= out["conf_high"]
    # exact test over 20 assignments: coverage 0.95 exactly; 200 reps give SE 0.015
    assert 0.90 <= hits / reps <= 0.995


def test_mde_matches_normal_theory():
    e = np.random.default_rng(7).normal(size=20000)
    m = minimum_detectable_effect(e, alpha=0.05, power=0.8)
    assert m["critical"] == pytest.approx(1.96, abs=0.05)
    assert m["mde"] == pytest.approx(1.96 + 0.8416, abs=0.06)


def test_mde_of_too_few_placebos_is_missing():
    m = minimum_detectable_effect([0.3])
    assert math.isnan(m["mde"]) and m["n_placebos"] == 1


def test_mde_is_infinite_when_the_rank_test_cannot_reject():
    """8 assignments (7 placebos): the smallest rank p is 1/8 > 0.05, so no effect is detectable at 5 %."""
    rng = np.random.default_rng(3)
    m = minimum_detectable_effect(rng.normal(size=7), alpha=0.05)
    assert math.isinf(m["mde"]) and math.isinf(m["critical"])
    # 19 placebos (20 assignments): p = 1/20 = 0.05 is attainable, the MDE is finite
    assert math.isfinite(minimum_detectable_effect(rng.normal(size=19), alpha=0.05)["mde"])
    # at 10 % the 8 assignments still cannot reject (1/8 > 0.10)
    assert math.isinf(minimum_detectable_effect(rng.normal(size=7), alpha=0.10)["mde"])
