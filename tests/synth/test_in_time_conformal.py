"""In-time and in-space placebos and conformal inference of synthetic control.

References and tolerances:
- diff-diff 3.13 (``SyntheticControl(v_method="custom", custom_v=ones)``, i.e. equal V on
  standardised pre-period outcomes, our ``v="equal"`` default fit) on Proposition 99:
  ``in_time_placebo`` placebo effect, pre-fit RMSPE and RMSPE ratio to 1e-6 relative (both solve
  the same simplex least squares exactly); ``conformal_test`` p-values equal (the same CWZ proxy,
  same moving-block and seeded iid permutations; residuals to solver precision, p-values are counts);
  ``conformal_confidence_intervals`` ends within one step of diff-diff's 100-point grid (diff-diff
  reports the outermost accepted grid point, we refine the end by bisection, so ours lies between
  diff-diff's end and the next grid point outward).
- Simulation with a known effect: coverage of the 90% per-period conformal set and the size of
  the joint test under iid errors, within 3 Monte Carlo standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import InputError
from sosek_impact.estimators.synth_conformal import conformal_p_value, permutation_set
from sosek_impact.estimators.synthetic_control import synthetic_control

ARGS = ("PacksPerCapita", "State", "Year", "California", 1989)


@pytest.fixture(scope="module")
def ca_fit(prop99):
    return synthetic_control(prop99, *ARGS, v="equal", placebo=False, leave_one_out=False)


@pytest.fixture(scope="module")
def dd_fit(prop99):
    dd = pytest.importorskip("diff_diff")
    d = prop99.assign(tr=((prop99.State == "California") & (prop99.Year >= 1989)).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dd.SyntheticControl(v_method="custom", custom_v=np.ones(19)).fit(d, "PacksPerCapita", "tr", "State", "Year")


def test_fit_matches_diff_diff(ca_fit, dd_fit):
    assert ca_fit.att_avg == pytest.approx(dd_fit.att, rel=1e-8)


def test_in_time_placebo_matches_diff_diff(ca_fit, dd_fit):
    ours = ca_fit.in_time_placebo([1, 3, 5]).table.set_index("placebo_time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd_fit.in_time_placebo(placebo_periods=[1988, 1986, 1984]).set_index("placebo_period")
    ref = ref.loc[ours.index]
    np.testing.assert_allclose(ours["placebo_att"], ref["placebo_att"], rtol=1e-6)
    np.testing.assert_allclose(ours["pre_rmspe"], ref["pre_fit_rmspe"], rtol=1e-6)
    np.testing.assert_allclose(ours["ratio"], ref["rmspe_ratio"], rtol=1e-6)
    assert list(ours["n_held_out"]) == [1, 3, 5] and list(ours["n_pre"]) == [18, 16, 14]


def test_in_time_placebo_known_truth(make_convex_panel):
    # No effect before 2020 and a treated unit that is a convex combination of donors: every
    # placebo gap in the held-out window is 0 (to the fit's resolution). With an "anticipation"
    # shift of +3 from 2018 on, the k=2 placebo (pretended start 2018) shows a mean gap of 3.
    df, _, t0 = make_convex_panel(seed=11, effect=5.0)
    res = synthetic_control(df, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False)
    it = res.in_time_placebo([1, 2, 4])
    assert np.abs(it.table["placebo_att"]).max() < 1e-6
    assert it.gaps.loc[t0:, 2].mean() == pytest.approx(5.0, abs=1e-6)  # the true effect is still there
    early = df.copy()
    early.loc[(early.unit == "T") & (early.year >= t0 - 2), "y"] += 3.0
    it2 = synthetic_control(early, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False).in_time_placebo(2)
    assert it2.table.loc[2, "placebo_att"] == pytest.approx(3.0, abs=1e-6)
    assert "shift=2" in it2.summary()
    with pytest.raises(InputError, match="shift"):
        res.in_time_placebo(0)
    with pytest.raises(InputError, match="shift"):
        res.in_time_placebo(res.n_pre)
    fig = it.plot()
    assert len(fig.axes[0].lines) >= 3


def test_in_time_placebo_truncates_predictors(make_convex_panel):
    df, _, t0 = make_convex_panel(seed=12)
    preds = [("y", [2000, 2005]), ("y", [t0 - 1])]
    res = synthetic_control(df, "y", "unit", "year", "T", t0, predictors=preds, placebo=False, leave_one_out=False,
                            n_starts=1)
    it = res.in_time_placebo(2)
    assert any("held-out window" in n for n in it.notes)


def test_conformal_test_matches_diff_diff(ca_fit, dd_fit):
    for theta in (0.0, -10.0, -20.0, -30.0):
        ours = ca_fit.conformal(theta, intervals=False)
        assert ours.p_value == pytest.approx(float(dd_fit.conformal_test(theta)["p_value"]), abs=1e-12), theta
    ours = ca_fit.conformal(0.0, scheme="iid", n_perms=2000, seed=1, intervals=False)
    ref = dd_fit.conformal_test(0.0, scheme="iid", n_iid=2000, seed=1)
    assert ours.p_value == pytest.approx(float(ref["p_value"]), abs=1e-12)
    q2 = ca_fit.conformal(-15.0, q=2, intervals=False).p_value
    assert q2 == pytest.approx(float(dd_fit.conformal_test(-15.0, q=2)["p_value"]), abs=1e-12)


def test_conformal_intervals_match_diff_diff_to_a_grid_step(ca_fit, dd_fit):
    ours = ca_fit.conformal(0.0, alpha=0.1).intervals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd_fit.conformal_confidence_intervals(alpha=0.1, n_grid=100).set_index("period")
    ref = ref.loc[ours.index]
    np.testing.assert_allclose(ours["estimate"], ref["point_estimate"], rtol=1e-8)
    # diff-diff's grid: 100 points over centre +- max(8 sd(pre residuals), |centre| / 2).
    step = (ref["upper"] - ref["lower"]).abs() * 0 + np.nan
    for t in ours.index:
        est = ours.loc[t, "estimate"]
        wide = ca_fit.design.Y
        sel = np.r_[np.flatnonzero(ca_fit.path.index < 1989), list(ca_fit.path.index).index(t)]
        from sosek_impact.estimators._simplex import simplex_least_squares

        y1, Y0 = wide[sel, 0], wide[sel, 1:]
        w = simplex_least_squares(Y0[:-1], y1[:-1])
        half = max(8 * np.std(y1[:-1] - Y0[:-1] @ w), 0.5 * abs(est))
        step[t] = 2 * half / 99
    assert (ours["lower"] <= ref["lower"] + 1e-9).all() and (ours["lower"] >= ref["lower"] - step - 1e-9).all()
    assert (ours["upper"] >= ref["upper"] - 1e-9).all() and (ours["upper"] <= ref["upper"] + step + 1e-9).all()
    assert (ours["status"] == "ran").all()


def _sim_panel(rng, J=8, T0=19, T1=1, effect=2.0):
    T = T0 + T1
    f = rng.normal(size=(T, 2)).cumsum(axis=0) * 0.3
    Y0 = f @ rng.uniform(0, 1, size=(2, J)) + rng.normal(0, 0.5, size=(T, J)) + rng.uniform(0, 3, size=J)
    w = rng.dirichlet(np.ones(J))
    y1 = Y0 @ w + rng.normal(0, 0.5, size=T)  # iid errors: exchangeable residuals
    y1[T0:] += effect
    return y1, Y0


def test_conformal_coverage_and_size_by_simulation():
    # 300 panels; the 90% per-period set must cover the true effect 2.0 in 90% +- 3 MC sd of them
    # (exact under exchangeable errors, up to the proxy's estimation error); the joint test of the
    # true path (3 post-periods, moving blocks: 22 permutations) rejects at 10% in at most
    # 2/22 + 3 MC sd of them.
    from sosek_impact.estimators.synth_conformal import _interval_one_period

    rng = np.random.default_rng(2021)
    n, covered, rejected = 300, 0, 0
    for _ in range(n):
        y1, Y0 = _sim_panel(rng)
        perms = permutation_set(y1.size)
        iv = _interval_one_period(y1, Y0, perms, 0.1, 30, 0.0, 1.0)
        covered += iv["lower"] <= 2.0 <= iv["upper"]
        y3, Z0 = _sim_panel(rng, T0=19, T1=3)
        post = np.arange(22) >= 19
        rejected += conformal_p_value(y3, Z0, post, 2.0, permutation_set(22), 1.0)[0] <= 0.1
    cover = covered / n
    assert abs(cover - 0.9) <= 3 * np.sqrt(0.09 / n), cover
    size = rejected / n
    assert size <= 2 / 22 + 3 * np.sqrt(2 / 22 * (1 - 2 / 22) / n), size


def test_conformal_input_rules(ca_fit):
    with pytest.raises(InputError, match="theta0"):
        ca_fit.conformal([1.0, 2.0])
    with pytest.raises(InputError, match="scheme"):
        ca_fit.conformal(0.0, scheme="nope", intervals=False)
    res = ca_fit.conformal(np.full(12, -20.0), intervals=False)
    assert 0 < res.p_value <= 1 and res.n_perms == 31
    assert len(res.tidy()) == 1


def test_in_space_placebo_matches_diff_diff(prop99, dd_fit):
    # diff-diff's placebo refits may use the real treated unit as a donor; ours do not (its
    # post-period carries the effect). Where diff-diff's placebo gives California weight 0 the
    # two refits solve the same problem: ratios to 1e-6 relative. Where it does not, its pool is
    # a superset of ours, so its pre-RMSPE is no larger. No fit is exact here (19 pre-years), so
    # the rank rules coincide, and the p-values are equal.
    ours = synthetic_control(prop99, *ARGS, v="equal", leave_one_out=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd_fit.in_space_placebo().set_index("unit")
    assert not ours.placebo["exact_fit"].any()
    ca_w = pd.Series(dd_fit._placebo_treated_weights)
    same = [u for u in ours.placebo.index if u == "California" or ca_w.get(u, 1.0) <= 1e-10]
    other = [u for u in ours.placebo.index if u not in same]
    assert len(same) >= 30
    np.testing.assert_allclose(ours.placebo.loc[same, "ratio"], ref.loc[same, "rmspe_ratio"], rtol=1e-6)
    assert (np.sqrt(ref.loc[other, "pre_mspe"]) <= ours.placebo.loc[other, "pre_rmspe"] + 1e-9).all()
    assert ours.p_value == pytest.approx(float(dd_fit.placebo_p_value), abs=1e-12)
