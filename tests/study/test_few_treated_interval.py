"""The study's one few-treated interval (analysis/_common.few_treated_interval) and the MDE.

Checked against (i) the randomisation test it inverts, rerun directly on ``y - tau D`` at the
interval ends, (ii) a simulation with a known effect (coverage of an exact permutation test
under exchangeable noise is 1 - alpha by construction), (iii) the normal-theory MDE
(critical value + 0.84 SD for 80 % power) on a large normal placebo sample.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from _common import few_treated_interval, minimum_detectable_effect
from sosek_impact.inference.randomization import randomization_inference


def _panel(n_units: int, n_years: int, tau: float, rng, g: int | None = None) -> pd.DataFrame:
    g = n_years - 1 if g is None else g
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(n_years), n_units)
    group = np.where(unit == 0, g, 0)
    y = rng.normal(size=n_units)[unit] + 0.3 * year + rng.normal(size=unit.size) + tau * ((group > 0) & (year >= group))
    return pd.DataFrame({"u": unit, "t": year, "g": group, "y": y})


def _did(d: pd.DataFrame, y: str, unit: str, time: str, group: str) -> float:
    """Post-minus-pre mean change of the treated units minus that of the never-treated (one cohort)."""
    n_t = d[time].nunique()  # the frames here are sorted by unit, then time, and balanced
    Y = d[y].to_numpy(float).reshape(-1, n_t)
    G = d[group].to_numpy(float).reshape(-1, n_t)[:, 0]
    post = d[time].to_numpy()[:n_t] >= G.max()
    change = Y[:, post].mean(axis=1) - Y[:, ~post].mean(axis=1)
    return float(change[G > 0].mean() - change[G == 0].mean())


def test_interval_ends_are_where_the_permutation_test_starts_rejecting():
    d = _panel(25, 6, 0.8, np.random.default_rng(1))
    out = few_treated_interval(d, "y", "u", "t", "g", statistic=_did, n_draws=999, alpha=0.1, seed=3)
    assert out["exact"] and out["n_draws"] == 25
    D = ((d["g"] > 0) & (d["t"] >= d["g"])).astype(float)
    for end, step in ((out["conf_low"], -1e-6), (out["conf_high"], 1e-6)):
        inside = randomization_inference(d.assign(y0=d["y"] - (end - step) * D), "y0", "u", "t", "g", estimator=_did, n_perm=999)
        outside = randomization_inference(d.assign(y0=d["y"] - (end + step) * D), "y0", "u", "t", "g", estimator=_did, n_perm=999)
        assert inside.pvalue > 0.1 >= outside.pvalue
    assert out["conf_low"] < out["estimate"] < out["conf_high"]
    assert math.isclose(out["estimate"], _did(d, "y", "u", "t", "g"), rel_tol=1e-12)
    assert out["distribution_placebo"].size == 24  # the observed assignment left out


def test_random_draws_use_the_plus_one_convention():
    d = _panel(150, 5, 0.0, np.random.default_rng(2))
    out = few_treated_interval(d, "y", "u", "t", "g", statistic=_did, n_draws=99, alpha=0.05, seed=4)
    assert not out["exact"] and out["n_draws"] == 99
    D = ((d["g"] > 0) & (d["t"] >= d["g"])).astype(float)
    hi = out["conf_high"]
    r = randomization_inference(d.assign(y0=d["y"] - (hi - 1e-6) * D), "y0", "u", "t", "g", estimator=_did, n_perm=99, seed=4)
    assert r.pvalue > 0.05


def test_coverage_with_one_treated_unit_is_the_nominal_level():
    rng = np.random.default_rng(5)
    tau, reps, hits = 1.5, 200, 0
    for _ in range(reps):
        d = _panel(20, 5, tau, rng)
        out = few_treated_interval(d, "y", "u", "t", "g", statistic=_did, alpha=0.05, seed=0)
        hits += out["conf_low"] <= tau <= out["conf_high"]
    # exact test over 20 assignments: coverage 0.95 exactly; 200 reps give SE 0.015
    assert 0.90 <= hits / reps <= 0.995


def test_named_estimator_path_agrees_with_refitting_the_library_estimator():
    """The named path (few_treated_inference when the library has it) equals re-estimating att_gt per assignment."""
    from sosek_impact.estimators.did import att_gt

    d = _panel(12, 5, 0.5, np.random.default_rng(6))

    def cs(data, y, unit, time, group):
        return att_gt(data, y, unit, time, group, control="never", method="reg").aggregate("simple", na_rm=True).estimate

    named = few_treated_interval(d, "y", "u", "t", "g", estimator="cs", alpha=0.05, seed=0)
    refit = few_treated_interval(d, "y", "u", "t", "g", statistic=cs, alpha=0.05, seed=0)
    assert math.isclose(refit["estimate"], _did(d.loc[d["t"] >= 3], "y", "u", "t", "g"), rel_tol=1e-9)  # varying base
    assert refit["exact"] and refit["distribution_placebo"].size == 11
    for key in ("estimate", "conf_low", "conf_high", "p_value"):
        assert named[key] == pytest.approx(refit[key], rel=1e-6, abs=1e-9), key
    assert np.sort(named["distribution_placebo"]) == pytest.approx(np.sort(refit["distribution_placebo"]), abs=1e-9)


def test_mde_matches_normal_theory():
    e = np.random.default_rng(7).normal(size=20000)
    m = minimum_detectable_effect(e, alpha=0.05, power=0.8)
    assert m["critical"] == pytest.approx(1.96, abs=0.05)
    assert m["mde"] == pytest.approx(1.96 + 0.8416, abs=0.06)


def test_mde_of_too_few_placebos_is_missing():
    m = minimum_detectable_effect([0.3])
    assert math.isnan(m["mde"]) and m["n_placebos"] == 1
