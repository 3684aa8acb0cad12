"""Wild cluster bootstrap against the ``wildboottest`` package (Python port of fwildclusterboot's
"fast and wild" algorithm) and against its own test-inversion and size properties.

Reference conventions: wildboottest works on an explicit design (fixed effects as dummies) and
counts every column in its small-sample factor, so its t statistics are ours times one constant
(``t_wbt / t_ours``); the bootstrap p-value is invariant to that factor. It counts only strictly
more extreme draws (``|t| < |t*|``) where we count ties as extreme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import EstimationError
from sosek_impact.estimators import twfe
from sosek_impact.inference import wild_cluster_bootstrap
from sosek_impact.inference.wild_bootstrap import bootstrap_weights, wild_cluster_bootstrap_from

wbt = pytest.importorskip("wildboottest.wildboottest")


def _panel(n_units: int, n_periods: int, seed: int, effect: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(n_periods), n_units)
    treated_units = rng.permutation(n_units)[: n_units // 3]
    start = rng.integers(n_periods // 3, n_periods - 1, n_units)
    treat = (np.isin(unit, treated_units) & (time >= start[unit])).astype(float)
    province = unit % max(2, n_units // 2)
    shock = rng.normal(size=n_units)[unit] + rng.normal(size=n_periods)[time]
    y = effect * treat + shock + rng.normal(size=len(unit)) * (1 + 0.5 * (province % 3))
    return pd.DataFrame({"unit": unit, "time": time, "province": province, "treat": treat,
                         "x": rng.normal(size=len(unit)), "y": y})


def _wbt(d: pd.DataFrame, cluster: str, impose_null: bool, weights: str, B: int, seed: int):
    X = pd.get_dummies(d[["unit", "time"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "const", 1.0)
    X.insert(0, "x", d["x"].to_numpy())
    X.insert(0, "treat", d["treat"].to_numpy())
    R = np.zeros(X.shape[1])
    R[0] = 1.0
    wb = wbt.WildboottestCL(X=X.to_numpy(), Y=d["y"].to_numpy(), cluster=d[cluster].to_numpy(), R=R, B=B, seed=seed)
    wb.get_scores(bootstrap_type="11", impose_null=impose_null)
    wb.get_weights(weights_type=weights)
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue(pval_type="two-tailed")
    return float(np.ravel(wb.t_stat)[0]), np.sort(np.ravel(wb.t_boot)), float(wb.pvalue)


@pytest.mark.parametrize("restricted", [True, False])
def test_full_enumeration_matches_wildboottest(restricted):
    """G = 8 provinces, unit FE nested in them (partialled out here, dummies in wildboottest), year FE
    as dummies in both: all 2^8 draws are deterministic, so the sets of t* must agree to round-off."""
    d = _panel(16, 8, seed=3)
    ours = wild_cluster_bootstrap(d, "y", ["treat", "x"], "treat", "province", fe=["unit", "time"],
                                  B=999, restricted=restricted, seed=0, ci=False)
    t_ref, tb_ref, p_ref = _wbt(d, "province", restricted, "rademacher", 999, seed=0)
    assert ours.full_enumeration and ours.B == 256 and tb_ref.size == 256
    scale = t_ref / ours.t_stat
    np.testing.assert_allclose(np.sort(ours.t_boot * scale), tb_ref, atol=1e-9)
    # the draws v = ±1 reproduce |t| exactly (a tie): we count them as extreme, wildboottest's strict
    # "<" counts them or not depending on the last bit of round-off, so its p lies between the two
    # (under WCU those draws give t* = 0, so there is no tie)
    strict = float(np.mean(np.abs(ours.t_stat) < np.abs(ours.t_boot) - 1e-10))
    assert ours.pvalue - strict == pytest.approx(2 / 256 if restricted else 0.0)
    assert strict <= p_ref <= ours.pvalue


def test_webb_monte_carlo_matches_wildboottest():
    """G = 20 clusters, Webb weights, B = 9999 random draws each (different generators): the two
    p-values differ only by simulation error, SD <= sqrt(2 · 0.25/9999) = 0.007; tolerance 0.03."""
    d = _panel(20, 10, seed=10, effect=0.0)
    ours = wild_cluster_bootstrap(d, "y", ["treat", "x"], "treat", "unit", fe=["unit", "time"],
                                  weights_type="webb", B=9999, seed=1, ci=False)
    _, _, p_ref = _wbt(d, "unit", True, "webb", 9999, seed=2)
    assert 0.02 < p_ref < 0.98  # an informative comparison, not both at a bound
    assert ours.pvalue == pytest.approx(p_ref, abs=0.03)


def test_confidence_interval_inverts_the_test():
    """The interval ends where the bootstrap p-value crosses alpha: just inside, the test does not
    reject; just outside, it does (same seed → same weights at every null value)."""
    d = _panel(30, 8, seed=5)
    kw = dict(fe=["unit", "time"], B=1999, seed=7, weights_type="rademacher")
    res = wild_cluster_bootstrap(d, "y", ["treat"], "treat", "unit", alpha=0.1, **kw)
    lo, hi = res.interval
    assert lo < res.estimate < hi
    delta = 1e-3 * res.std_error
    for end, inside, outside in ((lo, lo + delta, lo - delta), (hi, hi - delta, hi + delta)):
        assert wild_cluster_bootstrap(d, "y", ["treat"], "treat", "unit", null=inside, ci=False, **kw).pvalue >= 0.1
        assert wild_cluster_bootstrap(d, "y", ["treat"], "treat", "unit", null=outside, ci=False, **kw).pvalue < 0.1
    # with 30 clusters the bootstrap interval is close to the CRV1 t(G-1) interval (within 25 %)
    crv = twfe(d, "y", "unit", "time", "treat").conf_int(level=0.9).loc["treat"]
    assert (hi - lo) == pytest.approx(crv["conf_high"] - crv["conf_low"], rel=0.25)


@pytest.mark.slow
def test_size_under_null_with_few_clusters():
    """H0 true, 10 heteroskedastic clusters, WCR Rademacher, 300 seeded replications: rejection rate
    at 5 % within [0.02, 0.09] (binomial SD 0.013 around 0.05; WCR is known to be close to exact
    here, MacKinnon & Webb 2017)."""
    rng = np.random.default_rng(123)
    G, n_g, reps = 10, 30, 300
    cl = np.repeat(np.arange(G), n_g)
    rejections = 0
    for r in range(reps):
        x = rng.normal(size=G)[cl] + rng.normal(size=G * n_g)
        u = rng.normal(size=G)[cl] * (1 + np.arange(G))[cl] / 3 + rng.normal(size=G * n_g)
        d = pd.DataFrame({"y": 1.0 + 0.0 * x + u, "x": x, "g": cl})
        res = wild_cluster_bootstrap(d, "y", ["x"], "x", "g", B=999, seed=r, ci=False)
        rejections += res.pvalue < 0.05
    assert 0.02 <= rejections / reps <= 0.09


def test_webb_full_enumeration_and_weights():
    V, enum = bootstrap_weights("webb", 3, 999, np.random.default_rng(0))
    assert enum and V.shape == (216, 3)
    assert len({tuple(v) for v in V}) == 216
    # Webb weights have mean 0 and variance 1 (their defining moments)
    assert V.mean() == pytest.approx(0.0, abs=1e-12) and (V**2).mean() == pytest.approx(1.0)
    V, enum = bootstrap_weights("rademacher", 20, 999, np.random.default_rng(0))
    assert not enum and V.shape == (999, 20) and set(np.unique(V)) == {-1.0, 1.0}


def test_from_twfe_result_and_reproducible():
    d = _panel(24, 8, seed=9)
    res = twfe(d, "y", "unit", "time", "treat", covariates=["x"])
    a = wild_cluster_bootstrap_from(res, "treat", B=999, seed=4)
    b = wild_cluster_bootstrap(d, "y", ["treat", "x"], "treat", "unit", fe=["unit", "time"], B=999, seed=4)
    assert a.param == "treat"
    assert a.std_error == pytest.approx(res.std_errors["treat"], rel=1e-10)  # same CRV1 as twfe
    assert a.pvalue == b.pvalue and a.interval == pytest.approx(b.interval)
    f = wild_cluster_bootstrap(d, "y ~ treat + x | unit + time", param="treat", cluster="unit", B=999, seed=4)
    assert f.pvalue == b.pvalue and f.t_stat == b.t_stat
    assert "WCR" in a.summary()
    from sosek_impact.estimators import event_study

    dd = d.assign(group=d.groupby("unit")["treat"].transform(lambda s: d.loc[s.index, "time"][s > 0].min()).fillna(0))
    es = event_study(dd, "y", "unit", "time", "group", leads=2, lags=2)
    e0 = wild_cluster_bootstrap_from(es, "e=0", B=999, seed=4, ci=False)
    assert e0.param == "e=0" and e0.estimate == pytest.approx(es.params["e=0"], abs=1e-10)
    assert e0.std_error == pytest.approx(es.std_errors["e=0"], rel=1e-10)


def test_bad_input():
    d = _panel(12, 6, seed=1)
    with pytest.raises(EstimationError, match="not among"):
        wild_cluster_bootstrap(d, "y", ["x"], "treat", "unit")
    with pytest.raises(EstimationError, match="two clusters"):
        wild_cluster_bootstrap(d.assign(one=1), "y", ["x"], "x", "one")
    with pytest.raises(ValueError):
        wild_cluster_bootstrap(d, "y", ["x"], "x", "unit", weights_type="gauss")
    with pytest.raises(EstimationError, match="two-way"):
        wild_cluster_bootstrap_from(twfe(d, "y", "unit", "time", "treat", cluster="twoway"), "treat")


def test_three_clusters_give_an_infinite_interval_quickly():
    """With 3 clusters and Rademacher weights the smallest attainable p-value (2/2**3 = 0.25 with
    full enumeration) exceeds 0.05: test inversion gives an unbounded 95 % interval, reported as
    infinite ends with a warning (it used to search into round-off and never end)."""
    import warnings

    from sosek_impact.inference import wild_cluster_bootstrap
    from sosek_impact.simulate import simulate_staggered_panel

    d = simulate_staggered_panel(n_units=30, n_periods=10, n_treated=10, cohorts={2005: 10}, effect="constant", seed=3)
    d["c"] = d["unit"].to_numpy() % 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = wild_cluster_bootstrap(d, "y", ["treat"], "treat", "c", fe=["unit", "time"], weights_type="rademacher",
                                     B=999, seed=1)
    lo, hi = res.interval
    assert np.isinf(lo) and np.isinf(hi) and lo < 0 < hi
    assert any("infinite" in str(w.message) for w in caught)
