"""wild_bootstrap_did against the TWFE wild bootstrap, the point estimators and its null distribution.

- Two periods, one cohort: the Sun–Abraham and imputation regressions are the TWFE regression
  ``y ~ treat | unit + time`` itself, so every number (estimate, CR1 SE, p-value, interval) must equal
  :func:`wild_cluster_bootstrap`'s (itself checked against wildboottest) for the same weights and seed.
- The re-parametrised regressions reproduce the estimators: SA aggregates and their CR1 standard
  errors equal :func:`sun_abraham`'s, imputation aggregates equal :func:`did_imputation`'s (1e-10).
- Under the null the bootstrap p-values are uniform: in 300 simulated panels with many treated
  units the rejection rates at 5 % and 10 % lie within 3 binomial SE of the level, and a
  Kolmogorov–Smirnov test does not reject uniformity at 0.1 %.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sosek_impact.errors import UnbalancedPanelError
from sosek_impact.estimators import did_imputation, sun_abraham
from sosek_impact.inference import wild_cluster_bootstrap
from sosek_impact.inference.wild_did import reparametrise, wild_bootstrap_did
from sosek_impact.simulate import simulate_staggered_panel

COLS = dict(y="y", unit="unit", time="time", group="group")


def _two_period(n: int, n_treated: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"unit": np.repeat(np.arange(n), 2), "time": np.tile([2010, 2011], n)})
    d["group"] = np.where(d["unit"] < n_treated, 2011, 0)
    d["treat"] = ((d["group"] > 0) & (d["time"] >= d["group"])).astype(float)
    d["y"] = rng.normal(size=len(d)) + rng.normal(size=n)[d["unit"]] + 0.4 * d["treat"]
    return d


@pytest.mark.parametrize("estimator", ["sa", "imputation"])
@pytest.mark.parametrize("weights, n, B", [("rademacher", 9, 999), ("webb", 14, 999), ("rademacher", 14, 999)])
def test_two_periods_equal_twfe_wild_bootstrap(estimator, weights, n, B):
    d = _two_period(n, 4, seed=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = wild_bootstrap_did(d, **COLS, estimator=estimator, weight_type=weights, n_boot=B, seed=7)
        ref = wild_cluster_bootstrap(d, "y", "treat", "treat", "unit", fe=["unit", "time"], weights_type=weights,
                                     B=B, seed=7)
    assert ours.exact == ref.full_enumeration == (weights == "rademacher" and 2**n <= B)
    assert ours.estimate[0] == pytest.approx(ref.estimate, abs=1e-12)
    assert ours.std_error[0] == pytest.approx(ref.std_error, rel=1e-10)
    assert ours.p_value[0] == ref.pvalue
    np.testing.assert_allclose([ours.conf_low[0], ours.conf_high[0]], ref.interval, rtol=1e-9)
    np.testing.assert_allclose(np.sort(ours.distribution["ATT"]), np.sort(ref.t_boot), atol=1e-10)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_staggered_panel(n_units=40, n_periods=12, n_treated=16, seed=21)


def test_sa_estimates_and_se_equal_sun_abraham(panel):
    sa = sun_abraham(panel, **COLS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simple = wild_bootstrap_did(panel, **COLS, estimator="sa", n_boot=99)
        dyn = wild_bootstrap_did(panel, **COLS, estimator="sa", aggregate="dynamic", n_boot=99)
    assert simple.estimate[0] == pytest.approx(sa.estimate, abs=1e-10)
    assert simple.std_error[0] == pytest.approx(sa.std_error, rel=1e-9)
    assert list(dyn.terms) == [f"e={e}" for e in sa.table["rel_time"]]
    np.testing.assert_allclose(dyn.estimate, sa.table["att"], atol=1e-10)
    np.testing.assert_allclose(dyn.std_error, sa.table["se"], rtol=1e-9)
    assert dyn.tidy()["event_time"].tolist() == sa.table["rel_time"].tolist()


def test_imputation_estimates_equal_did_imputation(panel):
    r = did_imputation(panel, **COLS, horizons=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simple = wild_bootstrap_did(panel, **COLS, estimator="imputation", n_boot=99)
        dyn = wild_bootstrap_did(panel, **COLS, estimator="imputation", aggregate="dynamic", n_boot=99)
        grp = wild_bootstrap_did(panel, **COLS, estimator="imputation", aggregate="group", n_boot=99)
    assert simple.estimate[0] == pytest.approx(r.att, abs=1e-10)
    t = r.tidy()
    t = t[t["kind"] == "horizon"]
    assert list(dyn.terms) == [f"e={e}" for e in t["event_time"]]
    np.testing.assert_allclose(dyn.estimate, t["estimate"], atol=1e-10)
    eff = r.effects
    np.testing.assert_allclose(grp.estimate, [eff.loc[eff["group"] == g, "tau"].mean() for g in grp.terms], atol=1e-10)


def test_unequal_cohort_sizes_weight_the_aggregates_as_the_estimators_do():
    """Cohorts of 1, 3 and 6 units: the simple, dynamic and group aggregates weight cells by their
    treated observations (cohort sizes). Equal-sized cohorts (the fixture) cannot tell a weighting
    that ignores cohort sizes from the right one; these refits of sun_abraham and did_imputation can."""
    d = simulate_staggered_panel(n_units=30, n_periods=10, cohorts={2004: 1, 2006: 3, 2008: 6}, effect="heterogeneous",
                                 seed=31)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa = sun_abraham(d, **COLS)
        imp = did_imputation(d, **COLS, horizons=True)
        got = {(est, agg): wild_bootstrap_did(d, **COLS, estimator=est, aggregate=agg, n_boot=9)
               for est in ("sa", "imputation") for agg in ("simple", "dynamic", "group")}
    assert got["sa", "simple"].estimate[0] == pytest.approx(sa.estimate, abs=1e-10)
    np.testing.assert_allclose(got["sa", "dynamic"].estimate, sa.table["att"], atol=1e-10)
    assert got["imputation", "simple"].estimate[0] == pytest.approx(imp.att, abs=1e-10)
    t = imp.tidy()
    t = t[t["kind"] == "horizon"]
    np.testing.assert_allclose(got["imputation", "dynamic"].estimate, t["estimate"], atol=1e-10)
    eff = imp.effects
    grp = got["imputation", "group"]
    np.testing.assert_allclose(grp.estimate, [eff.loc[eff["group"] == g, "tau"].mean() for g in grp.terms], atol=1e-10)
    ct = sa.cohort_table
    post = ct[ct["rel_time"] >= 0]
    grp = got["sa", "group"]
    np.testing.assert_allclose(grp.estimate, [post.loc[post["cohort"] == g, "att"].mean() for g in grp.terms], atol=1e-10)
    # the weighting matters on this panel: the unweighted mean of the post cells is another number
    assert abs(post["att"].mean() - sa.estimate) > 0.05


def test_reparametrise_keeps_fit_and_targets_combination():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    y = rng.normal(size=50)
    a = np.array([0.2, -0.5, 0.3])
    Xn, j = reparametrise(X, a)
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    bn = np.linalg.lstsq(Xn, y, rcond=None)[0]
    assert bn[j] == pytest.approx(a @ b[:3], abs=1e-12)
    np.testing.assert_allclose(Xn @ bn, X @ b, atol=1e-12)


@pytest.mark.parametrize("estimator", ["sa", "imputation"])
def test_p_values_uniform_under_the_null(estimator):
    """300 panels (30 units x 6 periods, 3 cohorts of 5 treated units, no effect), Webb weights, 199
    draws. The p-value grid is 1/199; binomial SE of a 5 % rate from 300 draws is 1.26 %."""
    p = []
    for s in range(300):
        d = simulate_staggered_panel(n_units=30, n_periods=6, cohorts={2002: 5, 2003: 5, 2004: 5},
                                     effect="constant", effect_size=0.0, seed=900 + s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = wild_bootstrap_did(d, **COLS, estimator=estimator, n_boot=199, seed=s)
        p.append(r.p_value[0])
    p = np.array(p)
    for level in (0.05, 0.10):
        se = np.sqrt(level * (1 - level) / len(p))
        assert abs(np.mean(p <= level) - level) < 3 * se, (level, np.mean(p <= level))
    assert stats.kstest(p, "uniform").pvalue > 1e-3


def test_warns_with_few_treated_and_records_it():
    d = simulate_staggered_panel(n_treated=4, seed=1)
    with pytest.warns(UserWarning, match="fewer than 10 treated units"):
        r = wild_bootstrap_did(d, **COLS, estimator="imputation", n_boot=199)
    assert any("MacKinnon & Webb" in w for w in r.warnings)
    assert "Valid if" in r.summary()


def test_bad_input():
    d = simulate_staggered_panel(n_units=20, n_periods=6, n_treated=6, seed=2)
    with pytest.raises(ValueError, match="control must be 'not_yet'"):
        wild_bootstrap_did(d, **COLS, estimator="imputation", control="never")
    with pytest.raises(ValueError, match="estimator must be"):
        wild_bootstrap_did(d, **COLS, estimator="cs")
    with pytest.raises(UnbalancedPanelError):
        wild_bootstrap_did(d.iloc[1:], **COLS)


def test_monte_carlo_pairs_registered_and_fit():
    from sosek_impact.montecarlo import standard_methods

    methods = {m.name: m for m in standard_methods()}
    d = simulate_staggered_panel(seed=4, effect="constant")
    for name in ("SA + wild bootstrap", "Imputation + wild bootstrap", "Imputation + analytical"):
        m = methods[name]
        assert m.estimator and m.inference
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = m.fit(d, 1)
        assert e.ci_low < e.estimate < e.ci_high and np.isfinite(e.se)
        assert m.target(d) == pytest.approx(d.attrs["true_att"])
