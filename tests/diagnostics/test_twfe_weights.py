"""dCDH (2020) TWFE weights: exact identities, the twowayfeweights package's published wagepan numbers, diff-diff."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.diagnostics import twfe_weights
from sosek_impact.errors import ValueRangeError

from .conftest import staggered_panel

WAGEPAN = Path(__file__).parent / "data" / "wagepan_union.csv"


def test_wagepan_matches_the_twowayfeweights_package():
    """Published values: chaisemartinPackages/twowayfeweights, R/inst/tinytest/test_wagepan.R (feTR), tol 1e-4 there."""
    d = pd.read_csv(WAGEPAN)
    r = twfe_weights(d, "lwage", "nr", "year", treatment="union")
    assert r.n_positive == 820 and r.n_negative == 147 and len(r.cells) == 1016
    assert r.sum_positive == pytest.approx(1.010529, abs=1e-6)
    assert r.sum_negative == pytest.approx(-0.01052899, abs=1e-8)
    assert r.beta_fe == pytest.approx(0.10662746641838491, abs=1e-8)  # fixest's own tolerance ~1e-9
    assert r.sigma_fe == pytest.approx(0.0968691, abs=1e-7)
    assert r.sigma_fe_all_opposite == pytest.approx(3.175859, abs=1e-6)
    assert r.cells["weight"].sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed,cohorts", [(21, (0, 3, 5, 8)), (22, (1, 4, 6)), (23, (0, 2, 3, 7, 10))])
def test_weights_reproduce_twfe_from_known_cell_effects(seed, cohorts):
    """Y = unit + period effects + tau_it with tau known per treated observation: beta_fe = sum w tau exactly."""
    d = staggered_panel(seed, n_units=45, n_periods=10, cohorts=cohorts)
    rng = np.random.default_rng(seed)
    treated = (d["first_treat"] > 0) & (d["year"] >= d["first_treat"])
    cohort_tau = {g: rng.normal(1, 2) for g in d["first_treat"].unique()}
    tau = np.where(treated, d["first_treat"].map(cohort_tau) + 0.4 * (d["year"] - d["first_treat"]), 0.0)
    a = d["unit"].map({u: rng.normal() for u in d["unit"].unique()})
    lam = d["year"].map({t: rng.normal() for t in d["year"].unique()})
    d["y"] = a + lam + tau
    r = twfe_weights(d, "y", "unit", "year", "first_treat")
    cell_tau = d.assign(tau=tau)[treated].groupby(["first_treat", "year"])["tau"].mean()
    c = r.cells.set_index(["group", "time"])
    assert c["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert float((c["weight"] * cell_tau.reindex(c.index)).sum()) == pytest.approx(r.beta_fe, abs=1e-10)
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("y ~ D | unit + year", d.assign(D=treated.astype(float))).coef()["D"]
    assert r.beta_fe == pytest.approx(float(ref), abs=1e-10)


def test_against_diff_diff_twowayfeweights():
    dd = pytest.importorskip("diff_diff")
    d = staggered_panel(24, n_units=40, n_periods=9, cohorts=(0, 3, 5, 8))
    d["D"] = ((d["first_treat"] > 0) & (d["year"] >= d["first_treat"])).astype(int)
    r = twfe_weights(d, "y", "unit", "year", treatment="D")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.twowayfeweights(d, outcome="y", unit="unit", time="year", treatment="D")
    m = r.n_positive + r.n_negative
    assert r.beta_fe == pytest.approx(ref.beta_fe, abs=1e-10)
    assert r.n_negative / m == pytest.approx(ref.fraction_negative, abs=1e-12)
    # diff-diff's sd(w) has no degrees-of-freedom factor sqrt(M / (M - 1)); the R package's has
    assert r.sigma_fe * np.sqrt(m / (m - 1)) == pytest.approx(ref.sigma_fe, rel=1e-8)
    theirs = ref.weights.merge(r.cells, left_on=["unit", "year"], right_on=["unit", "time"])
    assert len(theirs) == m
    wcol = [c for c in ref.weights.columns if "weight" in c][0]
    wcol = wcol if wcol != "weight" else "weight_x"
    assert np.allclose(theirs[wcol], theirs["weight_y"], atol=1e-12)


def test_no_negative_weights_without_staggering():
    """One treated cohort and never-treated units: every weight positive, second measure missing (not invented)."""
    d = staggered_panel(25, n_units=30, n_periods=8, cohorts=(0, 5))
    r = twfe_weights(d, "y", "unit", "year", "first_treat")
    assert r.n_negative == 0 and np.isnan(r.sigma_fe_all_opposite)
    assert np.allclose(r.cells["weight"], 1 / len(r.cells))


def test_protocol_plot_and_errors(tmp_path):
    d = staggered_panel(26, n_units=30, n_periods=9, cohorts=(0, 2, 6))
    r = twfe_weights(d, "y", "unit", "year", "first_treat")
    t = r.tidy()
    assert len(t) == len(r.cells) and t["std_error"].isna().all() and t["term"].iloc[0].startswith("g=")
    assert "negative" in r.summary()
    fig = r.plot()
    assert len(fig.axes[0].lines) >= 3  # one line per cohort (2 cohorts) plus the zero line
    assert len(fig.axes[0].collections[-1].get_offsets()) == int((r.cells["weight"] < 0).sum())
    fig.savefig(tmp_path / "w.png", dpi=70)
    with pytest.raises(ValueRangeError, match="0 or 1"):
        twfe_weights(d.assign(D=2.0), "y", "unit", "year", treatment="D")
    with pytest.raises(ValueError, match="exactly one"):
        twfe_weights(d, "y", "unit", "year")
