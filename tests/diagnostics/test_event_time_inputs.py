"""The one adapter from event-time results to (betas, sigma, event times, reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sosek_impact.diagnostics import EventTimeInputs, bacon_decomposition, event_time_inputs, pretrends_power, twfe_weights
from sosek_impact.errors import InputError
from sosek_impact.results_protocol import TIDY_COLUMNS

from .conftest import staggered_panel


@pytest.fixture(scope="module")
def fits():
    from sosek_impact.estimators import att_gt, event_study, sun_abraham
    from sosek_impact.simulate import simulate_staggered_panel

    p = simulate_staggered_panel(n_units=70, n_periods=8, cohorts={2003: 10, 2005: 10}, seed=31)
    kw = dict(y="y", unit="unit", time="time", group="group")
    return {"es": event_study(p, **kw), "sa": sun_abraham(p, **kw),
            "cs": att_gt(p, **kw, base_period="universal").aggregate("dynamic")}


def test_event_study_terms_and_covariance(fits):
    es = fits["es"]
    x = event_time_inputs(es)
    assert x.source == "EventStudyResults" and x.ref == es.ref == -1
    terms = [f"e={e}" for e in x.event_times]
    assert list(x.event_times) == sorted(es.event_times)
    assert np.array_equal(x.betas, es.params[terms].to_numpy())
    raw = es.cov.loc[terms, terms].to_numpy()
    assert np.array_equal(x.sigma, x.sigma.T)  # symmetrised exactly
    # equal to the estimator's covariance up to its own asymmetry (rounding of the sandwich product)
    assert np.allclose(x.sigma, (raw + raw.T) / 2, rtol=1e-14, atol=0)
    assert np.allclose(x.sigma, raw, rtol=1e-10, atol=0)


def test_sun_abraham_and_cs_rows_align_with_their_tables(fits):
    sa, cs = fits["sa"], fits["cs"]
    x = event_time_inputs(sa)
    assert np.array_equal(x.betas, sa.table["att"].to_numpy())
    assert np.allclose(np.sqrt(np.diag(x.sigma)), sa.table["se"].to_numpy(), rtol=1e-12)
    y = event_time_inputs(cs)
    keep = cs.table["event_time"].to_numpy() != cs.reference  # the reference row (estimate 0) is left out
    assert -1 not in y.event_times and len(y.betas) == keep.sum()
    assert np.array_equal(y.betas, cs.table.loc[keep, "estimate"].to_numpy())
    assert np.allclose(np.sqrt(np.diag(y.sigma)), cs.table.loc[keep, "std_error"].to_numpy(), rtol=1e-12)


def test_from_arrays_sorts_and_refuses_bad_input():
    x = EventTimeInputs.from_arrays([3.0, 1.0, 2.0], np.diag([3.0, 1.0, 2.0]), [2, -3, 0])
    assert list(x.event_times) == [-3, 0, 2] and list(x.betas) == [1.0, 2.0, 3.0]
    assert list(np.diag(x.sigma)) == [1.0, 2.0, 3.0] and list(x.pre) == [True, False, False]
    with pytest.raises(InputError, match="reference"):
        EventTimeInputs.from_arrays([1.0, 2.0], np.eye(2), [-1, 0])
    with pytest.raises(InputError, match="symmetric"):
        EventTimeInputs.from_arrays([1.0, 2.0], [[1.0, 0.5], [0.0, 1.0]], [-2, 0])
    with pytest.raises(InputError, match="whole"):
        EventTimeInputs.from_arrays([1.0, 2.0], np.eye(2), [-2.5, 0])
    with pytest.raises(InputError, match="covariance missing"):
        EventTimeInputs.from_arrays([1.0, 2.0], [[1.0, np.nan], [np.nan, 1.0]], [-2, 0])
    with pytest.raises(InputError, match="results protocol"):
        event_time_inputs(object())


def test_new_results_follow_the_protocol(fits):
    d = staggered_panel(41, n_units=24, n_periods=7, cohorts=(0, 3, 5))
    results = [bacon_decomposition(d, "y", "unit", "year", "first_treat"),
               twfe_weights(d, "y", "unit", "year", "first_treat"),
               pretrends_power(fits["es"], slope=0.05)]
    for r in results:
        t = r.tidy()
        assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
        ci = r.conf_int()
        assert list(ci.index) == list(t["term"]) and list(ci.columns) == ["conf_low", "conf_high"]
        assert str(r) == r.summary() and len(r.summary().splitlines()) >= 3
        assert isinstance(r._repr_html_(), str)
    assert isinstance(results[2].tidy(alpha=0.1), pd.DataFrame)
