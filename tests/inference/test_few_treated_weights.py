"""The outcome weights of CS and Sun–Abraham reproduce the estimators (reference: ``att_gt`` + ``aggregate``
and ``sun_abraham`` fitted on the same panels).

Tolerance 1e-10: both sides are sums of a few thousand terms of order 1 in double precision
(observed differences are below 1e-12); a wrong base period, control set or cohort weight moves
an estimate by order 0.1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sosek_impact.errors import EstimationError
from sosek_impact.estimators import att_gt, sun_abraham
from sosek_impact.inference.few_treated_weights import (
    cohort_weights,
    cs_linear_weights,
    get_linear_weights,
    sa_linear_weights,
)
from sosek_impact.simulate import simulate_staggered_panel

TOL = 1e-10
COHORTS = {2008: 2, 2012: 1, 2016: 3, 2020: 2}  # unequal cohort sizes: weights by n_g matter


def _wide(d):
    Y = d.pivot(index="unit", columns="time", values="y").to_numpy()
    g = d.groupby("unit")["group"].first().to_numpy()
    return Y, g, np.sort(d["time"].unique())


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered_panel(seed=3, cohorts=COHORTS, effect="heterogeneous")


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("method", ["reg", "dr"])
@pytest.mark.parametrize("kind", ["simple", "dynamic", "group"])
@pytest.mark.parametrize("window", [(None, None), (-3, 4)])
def test_cs_weights_equal_att_gt(panel, control, method, kind, window):
    Y, g, periods = _wide(panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular pre-test covariance: irrelevant here
        fit = att_gt(panel, y="y", unit="unit", time="time", group="group", control=control, method=method)
    kw = {} if window[0] is None else {"min_e": window[0], "max_e": window[1]}
    agg = fit.aggregate(kind, **kw)
    terms, W = cs_linear_weights(g, periods, aggregate=kind, control=control, min_e=window[0], max_e=window[1])
    est = np.einsum("kit,it->k", W, Y)
    if kind == "simple":
        assert terms == ["ATT"]
        ref = np.array([agg.estimate])
    else:
        assert terms == [int(v) for v in agg.table[kind if kind == "group" else "event_time"]]
        assert all(isinstance(t, int) for t in terms)
        ref = agg.table["estimate"].to_numpy()
    np.testing.assert_allclose(est, ref, rtol=0, atol=TOL)


@pytest.mark.parametrize("kind", ["simple", "dynamic"])
def test_sa_weights_equal_sun_abraham(panel, kind):
    Y, g, periods = _wide(panel)
    fit = sun_abraham(panel, y="y", unit="unit", time="time", group="group")
    terms, W = sa_linear_weights(g, periods, aggregate=kind)
    est = np.einsum("kit,it->k", W, Y)
    if kind == "simple":
        np.testing.assert_allclose(est, [fit.estimate], rtol=0, atol=TOL)
    else:
        assert terms == fit.table["rel_time"].tolist()
        np.testing.assert_allclose(est, fit.table["att"].to_numpy(), rtol=0, atol=TOL)


def test_sa_group_is_mean_of_cohort_coefficients(panel):
    """SA 'group' terms: the mean of each cohort's post-treatment coefficients of ``sun_abraham``."""
    Y, g, periods = _wide(panel)
    ct = sun_abraham(panel, y="y", unit="unit", time="time", group="group").cohort_table
    terms, W = sa_linear_weights(g, periods, aggregate="group")
    ref = ct[ct["rel_time"] >= 0].groupby("cohort")["att"].mean()
    assert terms == [int(c) for c in ref.index]
    np.testing.assert_allclose(np.einsum("kit,it->k", W, Y), ref.to_numpy(), rtol=0, atol=TOL)


def test_weights_remove_unit_and_period_effects(panel):
    """Every DiD weight array sums to zero over periods per unit and over units per period."""
    _, g, periods = _wide(panel)
    for fn, control in [(cs_linear_weights, "not_yet"), (sa_linear_weights, "never")]:
        _, W = fn(g, periods, aggregate="dynamic", control=control)
        assert np.abs(W.sum(axis=2)).max() < 1e-12
        assert np.abs(W.sum(axis=1)).max() < 1e-12


def test_cohort_weights_compress_and_refuse_asymmetric_weights(panel):
    _, g, periods = _wide(panel)
    _, W = cs_linear_weights(g, periods, aggregate="group")
    cohorts, L = cohort_weights(W, g)
    assert cohorts.tolist() == [0, 2008, 2012, 2016, 2020]
    np.testing.assert_array_equal(L[:, np.searchsorted(cohorts, g), :], W)
    W2 = W.copy()
    W2[0, np.flatnonzero(g == 2016)[0], 10] += 0.1
    with pytest.raises(EstimationError, match="differ between units of one cohort"):
        cohort_weights(W2, g)


def test_bad_designs_are_refused():
    periods = np.arange(2000, 2006)
    with pytest.raises(EstimationError, match="not one of the periods"):
        cs_linear_weights(np.array([0, 0, 2003.5]), periods)
    with pytest.raises(EstimationError, match="treated in the first period 2000"):
        cs_linear_weights(np.array([0, 0, 2000]), periods)
    with pytest.raises(ValueError, match="control must be one of"):
        sa_linear_weights(np.array([0, 0, 2003]), periods, control="not_yet")
    with pytest.raises(ValueError, match="aggregate must be one of"):
        cs_linear_weights(np.array([0, 0, 2003]), periods, aggregate="calendar")
    with pytest.raises(ValueError, match="estimator must be one of"):
        get_linear_weights("twfe")
