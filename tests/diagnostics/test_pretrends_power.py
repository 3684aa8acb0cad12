"""Roth (2022) pre-test power: the pretrends R package's published He and Wang (2017) numbers, limits, simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sosek_impact.diagnostics import EventTimeInputs, pretrends_power, slope_for_power
from sosek_impact.errors import InputError

HE_WANG = Path(__file__).parent / "data" / "he_wang_2017.csv"

# R uses the critical value 1.96 (we use qnorm(0.975) = 1.959964) and mvtnorm::pmvnorm's default
# absolute error 1e-3 for the box probabilities; the truncated means come from tmvtnorm (exact).
POWER_TOL = 1e-3
MEAN_TOL = 5e-5


@pytest.fixture(scope="module")
def he_wang() -> EventTimeInputs:
    d = pd.read_csv(HE_WANG)
    return EventTimeInputs.from_arrays(d["beta"], d[[f"sigma_{j}" for j in range(7)]].to_numpy(), d["t"], ref=-1)


def test_slope_for_power_matches_pretrends_readme(he_wang):
    assert slope_for_power(he_wang, 0.5) == pytest.approx(0.05205871, rel=1e-3)


def test_linear_trend_matches_pretrends_readme(he_wang):
    r = pretrends_power(he_wang, slope=0.05205871)
    assert r.power == pytest.approx(0.4999776, abs=POWER_TOL)
    assert r.bayes_factor == pytest.approx(0.56901, abs=POWER_TOL)
    assert r.likelihood_ratio == pytest.approx(0.1057627, abs=1e-6)
    published = [-0.09230764, -0.05555285, -0.02790950, 0.0, 0.06490184, 0.12084694, 0.16946498, 0.22453827]
    assert np.allclose(r.table["mean_after_pretest"], published, atol=MEAN_TOL)
    assert np.allclose(r.table["delta"], 0.05205871 * (r.table["event_time"] + 1))


def test_quadratic_trend_matches_pretrends_readme(he_wang):
    r = pretrends_power(he_wang, delta=0.024 * (he_wang.event_times + 1.0) ** 2)
    assert r.power == pytest.approx(0.6624282, abs=POWER_TOL)
    assert r.bayes_factor == pytest.approx(0.3841516, abs=POWER_TOL)
    assert r.likelihood_ratio == pytest.approx(0.4332635, abs=1e-6)


@pytest.mark.parametrize("test", ["individual", "joint"])
def test_zero_trend_power_is_size_and_power_rises_with_slope(he_wang, test):
    r0 = pretrends_power(he_wang, slope=0.0, test=test)
    assert r0.power == pytest.approx(r0.size, abs=1e-6) and r0.bayes_factor == pytest.approx(1.0, abs=1e-5)
    if test == "joint":
        assert r0.size == pytest.approx(0.05, abs=1e-12)  # the Wald test has exact size
    else:
        assert 0.05 < r0.size < 1 - 0.95**3  # three correlated t-tests: between one and a Bonferroni-free union
    powers = [pretrends_power(he_wang, slope=s, test=test).power for s in np.linspace(0, 0.12, 7)]
    assert np.all(np.diff(powers) > 0)
    # mean after pre-testing is exactly delta when delta = 0 (symmetric acceptance region)
    assert np.allclose(r0.table["mean_after_pretest"], 0, atol=3e-3 if test == "joint" else 1e-9)


def test_single_pre_period_size_is_alpha():
    x = EventTimeInputs.from_arrays([0.1, 0.3], [[0.04, 0.01], [0.01, 0.05]], [-2, 0], ref=-1)
    assert pretrends_power(x, slope=0.0).power == pytest.approx(0.05, abs=1e-12)
    s80 = slope_for_power(x, 0.8)  # one pre period: |N(s, 0.2)| > 1.96 * 0.2 with prob 0.8
    p = stats.norm.sf(1.959964 - s80 / 0.2) + stats.norm.cdf(-1.959964 - s80 / 0.2)
    assert p == pytest.approx(0.8, abs=1e-6)


def test_against_simulation(he_wang):
    """Power and conditional means of both tests against 400 000 simulated event studies under delta."""
    slope = 0.07
    d = slope * (he_wang.event_times + 1.0)
    rng = np.random.default_rng(99)
    draws = rng.multivariate_normal(d, he_wang.sigma, size=400_000)
    pre = he_wang.pre
    se = np.sqrt(np.diag(he_wang.sigma))
    passes = {
        "individual": np.all(np.abs(draws[:, pre]) <= stats.norm.ppf(0.975) * se[pre], axis=1),
        "joint": np.einsum("ij,ij->i", draws[:, pre], np.linalg.solve(he_wang.sigma[np.ix_(pre, pre)], draws[:, pre].T).T)
        <= stats.chi2.ppf(0.95, pre.sum()),
    }
    for test, ok in passes.items():
        r = pretrends_power(he_wang, slope=slope, test=test, seed=5)
        p_sim = 1 - ok.mean()
        assert abs(r.power - p_sim) < 4 * np.sqrt(p_sim * (1 - p_sim) / ok.size), test
        m_sim = draws[ok].mean(axis=0)
        mc = draws[ok].std(axis=0) / np.sqrt(ok.sum())
        ours = r.table.loc[r.table["event_time"] != -1, "mean_after_pretest"].to_numpy()
        extra = r.mc_se * 1.5 if test == "joint" else 0.0
        assert np.all(np.abs(ours - m_sim) < 4 * mc + 4 * extra), (test, ours - m_sim)


def test_adapter_reads_event_study_results():
    from sosek_impact.estimators import att_gt, did_imputation, event_study, sun_abraham
    from sosek_impact.simulate import simulate_staggered_panel

    p = simulate_staggered_panel(n_units=80, n_periods=7, cohorts={2003: 12, 2004: 12}, seed=8)
    kw = dict(y="y", unit="unit", time="time", group="group")
    es = event_study(p, **kw)
    r = pretrends_power(es, target_power=0.8, test="joint")
    terms = [f"e={e}" for e in sorted(es.event_times)]
    ref = EventTimeInputs.from_arrays(es.params[terms], es.cov.loc[terms, terms], sorted(es.event_times), es.ref)
    assert r.power == pytest.approx(0.8, abs=1e-8)
    assert r.slope == pytest.approx(slope_for_power(ref, 0.8, test="joint"), rel=1e-12)
    sa = sun_abraham(p, **kw)
    r_sa = pretrends_power(sa, slope=0.1)
    assert np.allclose(r_sa.table.loc[r_sa.table["event_time"] != -1, "betahat"], sa.table["att"])
    cs = att_gt(p, **kw, base_period="universal").aggregate("dynamic")
    r_cs = pretrends_power(cs, slope=0.1, test="joint")
    assert 0 < r_cs.power < 1
    with pytest.raises(InputError, match="base_period='universal'"):
        pretrends_power(att_gt(p, **kw).aggregate("dynamic"), slope=0.1)
    with pytest.raises(InputError, match="no covariance"):
        pretrends_power(did_imputation(p, **kw, horizons=True, pretrends=3), slope=0.1)


def test_protocol_plot_and_errors(he_wang, tmp_path):
    r = pretrends_power(he_wang, target_power=0.5)
    t = r.tidy()
    assert list(t["event_time"]) == [-4, -3, -2, 0, 1, 2, 3]
    assert "power 0.5" in r.summary()
    fig = r.plot()
    fig.savefig(tmp_path / "pretrends.png", dpi=70)
    with pytest.raises(InputError, match="exactly one"):
        pretrends_power(he_wang)
    with pytest.raises(InputError, match="delta must have 7"):
        pretrends_power(he_wang, delta=[0.1, 0.2])
    with pytest.raises(InputError, match="target_power"):
        slope_for_power(he_wang, 0.05)
    with pytest.raises(InputError, match="not finite"):
        EventTimeInputs.from_arrays([np.nan, 1.0], np.eye(2), [-2, 0])
