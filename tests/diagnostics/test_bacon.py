"""Goodman-Bacon decomposition: exact identity with TWFE, agreement with diff-diff 3.13."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.diagnostics import bacon_decomposition
from sosek_impact.errors import EstimationError, GroupColumnError, UnbalancedPanelError

from .conftest import staggered_panel

# (seed, units, periods, cohorts): unequal cohort sizes, with/without never- and always-treated units
PANELS = [
    (101, 40, 9, (0, 3, 5, 6, 8)),
    (202, 25, 7, (2, 4, 7)),  # no never-treated unit: timing comparisons only
    (303, 60, 12, (0, 1, 2, 5, 9, 12)),  # always treated (offset 1) and a cohort in the last period
    (404, 18, 6, (0, 4)),  # one timing group
    (505, 33, 10, (1, 3, 6, 10)),  # always treated, no never treated
]


@pytest.fixture(params=PANELS, ids=lambda p: f"seed{p[0]}")
def panel(request):
    seed, n, t, cohorts = request.param
    return staggered_panel(seed, n_units=n, n_periods=t, cohorts=cohorts)


def _pyfixest_twfe(d: pd.DataFrame) -> float:
    pf = pytest.importorskip("pyfixest")
    d = d.assign(D=((d["first_treat"] > 0) & (d["year"] >= d["first_treat"])).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pf.feols("y ~ D | unit + year", d).coef()["D"])


def test_weighted_sum_is_the_twfe_coefficient(panel):
    r = bacon_decomposition(panel, "y", "unit", "year", "first_treat")
    t = r.table
    assert np.isclose(t["weight"].sum(), 1.0, atol=1e-12, rtol=0)
    assert (t["weight"] > 0).all()
    assert abs(float((t["weight"] * t["estimate"]).sum()) - r.twfe_estimate) < 1e-10
    # the TWFE coefficient itself against pyfixest's within estimator
    assert abs(r.twfe_estimate - _pyfixest_twfe(panel)) < 1e-10


def test_comparisons_match_diff_diff(panel):
    dd = pytest.importorskip("diff_diff")
    r = bacon_decomposition(panel, "y", "unit", "year", "first_treat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.BaconDecomposition().fit(panel, outcome="y", unit="unit", time="year", first_treat="first_treat")
    theirs = {(c.comparison_type, int(c.treated_group), "U" if c.control_group == "never_treated" else int(c.control_group)):
              (c.estimate, c.weight) for c in ref.comparisons if c.weight > 0}
    ours = {(c, a, b): (e, w) for c, a, b, e, w in
            r.table[["comparison_type", "treated", "control", "estimate", "weight"]].itertuples(index=False)}
    assert set(ours) == set(theirs)
    for key, (e, w) in ours.items():  # tolerance: both are exact arithmetic on the same panel
        assert e == pytest.approx(theirs[key][0], abs=1e-9), key
        assert w == pytest.approx(theirs[key][1], abs=1e-9), key
    assert r.twfe_estimate == pytest.approx(ref.twfe_estimate, abs=1e-10)


def test_closed_form_weights_goodman_bacon_eq10():
    """Weights of Goodman-Bacon (2021) eq. (10e-g) from group shares and treated-time shares."""
    d = staggered_panel(606, n_units=50, n_periods=10, cohorts=(0, 3, 7))
    r = bacon_decomposition(d, "y", "unit", "year", "first_treat")
    units = d.drop_duplicates("unit")
    T = d["year"].nunique()
    share = units["first_treat"].value_counts(normalize=True)
    n_u, n_k, n_l = share[0], share[2003], share[2007]
    dbar_k, dbar_l = (2010 - 2003 + 1) / T, (2010 - 2007 + 1) / T
    dd_ = d.assign(D=((d["first_treat"] > 0) & (d["year"] >= d["first_treat"])).astype(float))
    piv = dd_.pivot(index="unit", columns="year", values="D").to_numpy()
    dt = piv - piv.mean(1, keepdims=True) - piv.mean(0, keepdims=True) + piv.mean()
    v = (dt**2).mean()
    nkl = n_k / (n_k + n_l)
    s_ku = (n_k + n_u) ** 2 * (n_k / (n_k + n_u)) * (n_u / (n_k + n_u)) * dbar_k * (1 - dbar_k) / v
    s_kl_k = ((n_k + n_l) * (1 - dbar_l)) ** 2 * nkl * (1 - nkl) * (dbar_k - dbar_l) / (1 - dbar_l) * (1 - dbar_k) / (1 - dbar_l) / v
    s_kl_l = ((n_k + n_l) * dbar_k) ** 2 * nkl * (1 - nkl) * dbar_l / dbar_k * (dbar_k - dbar_l) / dbar_k / v
    w = r.table.set_index(["comparison_type", "treated", "control"])["weight"]
    assert w[("treated_vs_never", 2003, "U")] == pytest.approx(s_ku, rel=1e-12)
    assert w[("earlier_vs_later", 2003, 2007)] == pytest.approx(s_kl_k, rel=1e-12)
    assert w[("later_vs_earlier", 2007, 2003)] == pytest.approx(s_kl_l, rel=1e-12)


def test_homogeneous_effects_every_comparison_recovers_it():
    """With a constant effect and no noise every 2x2 estimate equals it (no forbidden-comparison bias)."""
    d = staggered_panel(707, n_units=30, n_periods=8, cohorts=(0, 3, 6), dynamic=0.0)
    rng = np.random.default_rng(0)
    a = {u: rng.normal() for u in d["unit"].unique()}
    d["y"] = d["unit"].map(a) + 0.2 * d["year"] + 1.5 * ((d["first_treat"] > 0) & (d["year"] >= d["first_treat"]))
    r = bacon_decomposition(d, "y", "unit", "year", "first_treat")
    assert np.allclose(r.table["estimate"], 1.5, atol=1e-10)
    assert r.twfe_estimate == pytest.approx(1.5, abs=1e-10)


def test_dynamic_effects_make_forbidden_comparisons_smaller():
    d = staggered_panel(808, n_units=60, n_periods=10, cohorts=(0, 3, 7), dynamic=1.0)
    d["y"] = d["y"] * 0 + d["unit"].str[1:].astype(int) * 0.01 + (
        ((d["first_treat"] > 0) & (d["year"] >= d["first_treat"])) * (1 + (d["year"] - d["first_treat"])))
    bt = bacon_decomposition(d, "y", "unit", "year", "first_treat").by_type().set_index("comparison_type")
    assert bt.loc["later_vs_earlier", "average_estimate"] < bt.loc["earlier_vs_later", "average_estimate"]


def test_results_protocol_and_plot(tmp_path):
    d = staggered_panel(909, n_units=30, n_periods=8, cohorts=(0, 1, 3, 6))
    r = bacon_decomposition(d, "y", "unit", "year", "first_treat")
    tidy = r.tidy()
    assert tidy["term"].iloc[0] == "TWFE" and len(tidy) == len(r.table) + 1
    assert tidy["std_error"].isna().all()  # no standard errors invented
    text = r.summary()
    assert "later vs earlier treated (forbidden)" in text and "always treated" in text
    assert r.n_always_treated == int((d.drop_duplicates("unit")["first_treat"] == 2001).sum())
    fig = r.plot()
    ax = fig.axes[0]
    assert len(ax.collections) == 3  # one scatter per comparison type
    assert any(np.allclose(line.get_ydata(), r.twfe_estimate) for line in ax.lines)
    fig.savefig(tmp_path / "bacon.png", dpi=80)
    assert (tmp_path / "bacon.png").stat().st_size > 1000


def test_bad_input_is_a_typed_error():
    d = staggered_panel(111, n_units=12, n_periods=6, cohorts=(0, 3))
    with pytest.raises(UnbalancedPanelError, match="not balanced"):
        bacon_decomposition(d.iloc[1:], "y", "unit", "year", "first_treat")
    with pytest.raises(GroupColumnError, match="not periods"):
        bacon_decomposition(d.assign(first_treat=np.where(d["first_treat"] > 0, 1, 0)), "y", "unit", "year", "first_treat")
    with pytest.raises(EstimationError, match="no unit changes treatment"):
        bacon_decomposition(d.assign(first_treat=0), "y", "unit", "year", "first_treat")
