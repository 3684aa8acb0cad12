"""Unequal-noise designs of the simulator and the named designs of :mod:`sosek_impact.montecarlo.designs`.

References: the documented DGP (error SD ``ratio * sigma`` for treated units, ``propto 1/sqrt(pop)``
with mean variance ``sigma^2``), checked by sample moments with tolerances of about five standard
errors, and a regression pin of the pre-change simulator (values printed by the simulator of commit
5f9ab54, before the noise options existed) so that old designs keep their draws seed for seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import MissingValueError
from sosek_impact.montecarlo import DESIGNS, kalimantan_populations, standard_designs
from sosek_impact.montecarlo import designs as designs_mod
from sosek_impact.simulate import simulate_staggered_panel

NOISE_ONLY = {"unit_fe_sd": 0.0, "time_fe_sd": 0.0, "effect": "constant", "effect_size": 0.0, "rho": 0.0}


def test_old_designs_keep_their_draws_seed_for_seed():
    d = simulate_staggered_panel(seed=0)
    assert float(d["y"].sum()) == pytest.approx(221.93360099054902, rel=1e-12)
    assert d["y"].iloc[[0, 100, 777, 1499]].tolist() == pytest.approx(
        [1.1078607399191973, 0.8157842845651657, -0.7188081537940252, -0.37246006123415765], rel=1e-12)
    d = simulate_staggered_panel(n_units=30, n_periods=10, effect="dynamic", covariates=1, covariate_trend=0.5,
                                 effect_sd=0.2, seed=9)
    assert float(d["y"].sum()) == pytest.approx(-18.74298698211663, rel=1e-12)
    assert float(d["y"].iloc[123]) == pytest.approx(0.4292681812819702, rel=1e-12)
    assert "population" not in d.columns and "noise_sd" not in d.attrs


def test_treated_noise_ratio_rescales_only_the_treated_errors():
    kw = {"n_units": 40, "n_periods": 12, "n_treated": 8, "seed": 4}
    y1, y2, y3 = (simulate_staggered_panel(**kw, treated_noise_ratio=r) for r in (1.0, 2.0, 3.0))
    ctrl = y1["group"] == 0
    pd.testing.assert_frame_equal(y1[ctrl], y2[ctrl])
    # same draws, errors scaled: the treated rows move linearly in the ratio
    np.testing.assert_allclose((y3["y"] - y1["y"])[~ctrl], 2 * (y2["y"] - y1["y"])[~ctrl], rtol=1e-12)
    assert not np.allclose(y1["y"][~ctrl], y2["y"][~ctrl])
    assert y2.attrs["noise_sd"][int(y2.loc[~ctrl, "unit"].iloc[0]) - 1] == 2.0


@pytest.mark.parametrize("ratio", [2.0, 3.0])
def test_treated_error_sd_is_ratio_times_sigma(ratio):
    d = simulate_staggered_panel(400, 30, n_treated=200, sigma=1.5, treated_noise_ratio=ratio, seed=1, **NOISE_ONLY)
    sd_t = d.loc[d["group"] > 0, "y"].std()
    sd_c = d.loc[d["group"] == 0, "y"].std()
    # 6,000 draws each: sd of a sample sd ~ 1 %
    assert sd_c == pytest.approx(1.5, rel=0.05)
    assert sd_t / sd_c == pytest.approx(ratio, rel=0.05)


def test_population_noise_and_smallest_treated():
    pop = np.geomspace(1e4, 1e6, 60)[np.random.default_rng(0).permutation(60)]
    d = simulate_staggered_panel(60, 400, cohorts={2100: 3, 2200: 2}, population=pop, treated="smallest", seed=2,
                                 **NOISE_ONLY)
    units = d.groupby("unit").agg(pop=("population", "first"), g=("group", "first"), sd=("y", "std"))
    np.testing.assert_array_equal(units["pop"].to_numpy(), pop)
    assert set(units.index[units["g"] > 0]) == set(units["pop"].nsmallest(5).index)
    assert sorted(units.loc[units["g"] > 0, "g"]) == [2100, 2100, 2100, 2200, 2200]
    slope = np.polyfit(np.log(units["pop"]), np.log(units["sd"]), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.03)  # 400 periods: each log sd has se ~ 0.035, 60 units
    assert float((units["sd"] ** 2).mean()) == pytest.approx(1.0, rel=0.05)  # mean variance sigma^2
    # a random draw of treated units is the default, with the same population column
    r = simulate_staggered_panel(60, 10, cohorts={2005: 5}, population=pop, seed=2)
    assert set(r.loc[r["group"] > 0, "unit"]) != set(units["pop"].nsmallest(5).index)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"population": [1.0, 2.0]}, "population has 2 values"),
        ({"population": [1.0] * 9 + [0.0]}, "unit 10"),
        ({"treated": "smallest"}, "needs a population"),
        ({"treated": "largest", "population": [1.0] * 10}, "treated must be"),
        ({"treated_noise_ratio": 0.0}, "treated_noise_ratio"),
    ],
)
def test_bad_noise_designs_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_staggered_panel(10, 5, n_treated=2, **kwargs)


def test_named_designs_have_the_study_shapes():
    ds = standard_designs(["study_cohorts", "welfare", "treated_noise_3x"])
    s = simulate_staggered_panel(**ds["study_cohorts"].kwargs, seed=0)
    g = s.groupby("unit")["group"].first()
    assert s["time"].min() == 2000 and s["time"].max() == 2024
    assert (g == 0).sum() == 48 and g[g > 0].value_counts().to_dict() == {2018: 2, 2017: 1, 2024: 1}
    w = simulate_staggered_panel(**ds["welfare"].kwargs, seed=0)
    assert w["time"].nunique() == 5 and w["unit"].nunique() == 49
    assert int(w["treat"].sum()) == 1  # one treated unit, one post-year
    assert ds["treated_noise_3x"].kwargs["treated_noise_ratio"] == 3.0
    assert set(standard_designs()) == set(DESIGNS)
    with pytest.raises(ValueError, match="unknown design"):
        standard_designs(["nope"])


def test_kalimantan_populations_come_from_the_panel():
    pop = kalimantan_populations(2017)
    assert pop.size == 56 and (pop > 0).all() and 1e4 < pop.min() < pop.max() < 1e7
    d = standard_designs(["population_smallest"])["population_smallest"]
    panel = simulate_staggered_panel(**d.kwargs, seed=0)
    treated = panel.loc[panel["group"] > 0].groupby("unit")["population"].first()
    assert sorted(treated) == sorted(np.sort(pop)[:4].tolist())


def test_a_missing_population_is_an_error_not_filled(monkeypatch):
    fake = pd.DataFrame({"bps_code": [6101, 6102], "year": [2017, 2017], "kalimantan": [True, True],
                         "population": [1000.0, np.nan]})
    monkeypatch.setattr("sosek_impact.panel.load_panel", lambda: fake)
    with pytest.raises(MissingValueError, match="6102"):
        designs_mod.kalimantan_populations(2017)
