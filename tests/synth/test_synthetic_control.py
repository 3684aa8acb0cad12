"""Synthetic control: exact recovery, a published estimate, a peer library, placebo ranks, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import InputError, SchemaError, SmallGroupError, TreatedInFirstPeriodError
from sosek_impact.estimators.synthetic_control import (
    placebo_rank_p_value,
    synthetic_control,
    synthetic_control_multi,
)

REF = Path(__file__).resolve().parent / "reference"


def test_recovers_weights_when_treated_is_a_convex_combination(make_convex_panel):
    df, w_true, t0 = make_convex_panel(effect=2.0)
    res = synthetic_control(df, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=True)
    np.testing.assert_allclose(res.weights.reindex(w_true.index).to_numpy(), w_true.to_numpy(), atol=1e-6)
    assert res.pre_rmspe < 1e-6
    np.testing.assert_allclose(res.att.to_numpy(), 2.0, atol=1e-6)
    assert res.att_avg == pytest.approx(2.0, abs=1e-6)
    # Leave-one-out: only the three positive-weight donors are dropped, and each drop worsens the fit.
    assert set(res.leave_one_out.columns) == {"d0", "d1", "d2"}
    pre = res.path.index < t0
    for d in res.leave_one_out.columns:
        gap = res.path.loc[pre, "treated"] - res.leave_one_out.loc[pre, d]
        assert np.sqrt(np.mean(gap**2)) > 1e-3


def test_recovery_with_optimised_v_and_predictors(make_convex_panel):
    # Predictors that the true weights also match exactly (the treated unit's predictor values
    # are the same convex combination); 13 predictors for 10 donors make the exact match unique,
    # so the nested V search must return the true weights.
    df, w_true, t0 = make_convex_panel(seed=5, effect=1.0)
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=len(w_true)), index=w_true.index)
    df["x"] = df["unit"].map(lambda u: float(x @ w_true) if u == "T" else float(x[u]))
    res = synthetic_control(
        df,
        "y",
        "unit",
        "year",
        "T",
        t0,
        predictors=["x", *[("y", [t]) for t in range(2000, 2012)]],
        n_starts=2,
        placebo=False,
        leave_one_out=False,
    )
    np.testing.assert_allclose(res.weights.reindex(w_true.index).to_numpy(), w_true.to_numpy(), atol=1e-5)
    assert res.v.sum() == pytest.approx(1.0)


def test_california_outcome_only_sc_matches_published_estimate(prop99):
    # Reference: Arkhangelsky et al. (2021, Table 1) report SC = -19.6 for California, the
    # synthdid package's sc_estimate (outcome-only synthetic control, no intercept, ridge 1e-6
    # sigma). synthdid stops its Frank-Wolfe early (objective decrease < (1e-5 sigma)^2), we
    # solve the same QP exactly, so the estimates differ slightly: tolerance 0.2 packs (1 %).
    res = synthetic_control(
        prop99, "PacksPerCapita", "State", "Year", "California", 1989, v="equal", placebo=True, leave_one_out=False
    )
    assert res.att_avg == pytest.approx(-19.6, abs=0.2)
    # Abadie et al. (2010) find the largest donor weights on Utah, Nevada, Montana, Colorado and
    # Connecticut (with covariates); the outcome-only fit puts its largest weights there too.
    top = set(res.weights.sort_values(ascending=False).index[:5])
    assert len(top & {"Utah", "Nevada", "Montana", "Colorado", "Connecticut"}) >= 4
    # Placebo p-value equals the rank computed by hand from the placebo table.
    ratios = res.placebo["ratio"]
    rank = int((ratios >= ratios["California"]).sum())
    assert res.p_value == pytest.approx(rank / len(ratios))
    assert len(ratios) == 39


def test_matches_pysyncon_on_simulated_panel():
    # Reference numbers and the script that made them: tests/synth/reference/ (pysyncon 1.7.0).
    df = pd.read_csv(REF / "sim_panel.csv")
    ref = json.loads((REF / "pysyncon_reference.json").read_text())
    preds = ["x1", "x2", ("y", [1995]), ("y", [2000]), ("y", [2004])]
    fixed = synthetic_control(
        df, "y", "unit", "year", "u00", 2005, predictors=preds, v=ref["fixed_v"], placebo=False, leave_one_out=False
    )
    w_ref = pd.Series(ref["weights_fixed_v"]).reindex(fixed.weights.index)
    # pysyncon solves the inner QP with SLSQP (default tolerance): weights agree to 5e-3, and our
    # exact solution has a V-weighted predictor loss no larger than pysyncon's.
    assert np.abs(fixed.weights - w_ref).max() < 5e-3
    X = fixed.predictor_balance
    units = ["u00", *fixed.weights.index]
    raw = pd.DataFrame(
        {
            u: [df.loc[(df.unit == u) & df.year.between(1990, 2004), c].mean() for c in ("x1", "x2")]
            + [df.loc[(df.unit == u) & (df.year == t), "y"].item() for t in (1995, 2000, 2004)]
            for u in units
        }
    )
    sd = raw.std(axis=1, ddof=1).to_numpy()
    np.testing.assert_allclose(X["treated"].to_numpy(), raw["u00"].to_numpy(), rtol=1e-12)
    v = np.asarray(ref["fixed_v"])

    def loss(w):
        r = (raw["u00"].to_numpy() - raw[fixed.weights.index].to_numpy() @ w) / sd
        return float(r @ (v * r))

    assert loss(fixed.weights.to_numpy()) <= loss(w_ref.to_numpy()) + 1e-12
    # With V optimised, our pre-period MSPE is no worse than pysyncon's Nelder-Mead solution.
    opt = synthetic_control(df, "y", "unit", "year", "u00", 2005, predictors=preds, placebo=False, leave_one_out=False)
    assert opt.pre_rmspe**2 <= ref["loss_v_optimized"] + 1e-9


def test_placebo_rank_p_value_by_hand():
    # Ties count against the treated unit: ratios >= 5 are {5 (treated), 5, 7} -> rank 3 of 5.
    assert placebo_rank_p_value(5.0, [3.0, 5.0, 7.0, 1.0]) == pytest.approx(3 / 5)
    assert placebo_rank_p_value(9.0, [3.0, 5.0, 7.0, 1.0]) == pytest.approx(1 / 5)


def test_placebo_rank_on_constructed_case(make_convex_panel):
    # A large effect on the treated unit and none on the donors: its post/pre RMSPE ratio is the
    # largest, so p = 1/(J+1). Then give one donor a larger post-period shock than the
    # treated effect: the treated unit falls to at least rank 2.
    df, _, t0 = make_convex_panel(seed=2, n_donors=9, effect=0.0)
    rng = np.random.default_rng(4)
    df.loc[df.unit == "T", "y"] += rng.normal(0, 0.3, size=(df.unit == "T").sum())  # imperfect pre-fit
    big = df.copy()
    big.loc[(big.unit == "T") & (big.year >= t0), "y"] += 25.0
    res = synthetic_control(big, "y", "unit", "year", "T", t0, leave_one_out=False)
    assert res.p_value == pytest.approx(1 / 10)
    shocked = big.copy()
    shocked.loc[(shocked.unit == "d8") & (shocked.year >= t0), "y"] += 1000.0
    res2 = synthetic_control(shocked, "y", "unit", "year", "T", t0, leave_one_out=False)
    assert res2.p_value >= 2 / 10
    assert res2.placebo.loc["d8", "ratio"] > res2.rmspe_ratio


def test_two_pre_periods_are_handled_and_flagged(make_convex_panel):
    # West Kalimantan-like design: 1983-84 before treatment in 1985.
    df, _, _ = make_convex_panel(seed=3, n_pre=2, n_post=10)
    res = synthetic_control(df, "y", "unit", "year", "T", 2002, v="optimize", leave_one_out=False)
    assert res.n_pre == 2
    assert any("only 2 pre-treatment period" in n for n in res.notes)
    assert res.weights.sum() == pytest.approx(1.0)
    assert 0 < res.p_value <= 1
    # Two pre-periods and ten donors: the fit is exact, the ratio unbounded, and the result says
    # to read the post-RMSPE rank, which equals the hand-computed rank from the placebo table.
    assert any("pre-period fit is exact" in n for n in res.notes)
    post = res.placebo["post_rmspe"]
    assert res.p_value_post == pytest.approx((post >= post[res.treated_unit]).sum() / len(post))


def test_treated_outside_the_donor_range_is_flagged(make_convex_panel):
    df, _, t0 = make_convex_panel()
    df.loc[df.unit == "T", "y"] += 1000.0
    res = synthetic_control(df, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False)
    assert any("outside the donors' range" in n for n in res.notes)


def test_many_donors_and_multi_treated_average():
    # 300 donors (a regency-sized pool) from a noise-free 4-factor model, and two treated units
    # that are convex combinations of donors with effects 1 and 3. With more donors than
    # pre-periods the weights are not unique, but any exact pre-period fit reproduces the
    # factor loadings, so each unit's effect (and their average, 2) is recovered exactly.
    rng = np.random.default_rng(9)
    years = np.arange(2000, 2020)
    f = np.cumsum(rng.normal(0.2, 1, size=(20, 4)), axis=0)
    Y = f @ rng.uniform(0, 1, size=(4, 300))
    rows = [(f"r{j:03d}", t, v) for j in range(300) for t, v in zip(years, Y[:, j])]
    y_a = Y[:, [3, 50, 200]] @ np.array([0.6, 0.3, 0.1]) + 1.0 * (years >= 2015)
    y_b = Y[:, [7, 99]] @ np.array([0.5, 0.5]) + 3.0 * (years >= 2012)
    rows += [("A", t, v) for t, v in zip(years, y_a)] + [("B", t, v) for t, v in zip(years, y_b)]
    df = pd.DataFrame(rows, columns=["unit", "year", "y"])
    multi = synthetic_control_multi(df, "y", "unit", "year", {"A": 2015, "B": 2012}, placebo=False, leave_one_out=False)
    assert multi.fits["A"].pre_rmspe < 1e-6 and multi.fits["B"].pre_rmspe < 1e-6
    assert multi.fits["A"].att_avg == pytest.approx(1.0, abs=1e-5)
    assert multi.att_avg == pytest.approx(2.0, abs=1e-5)
    assert "B" not in multi.fits["A"].weights.index
    assert multi.att_by_event_time.loc[0] == pytest.approx(2.0, abs=1e-5)


def test_bad_input_errors(make_convex_panel):
    df, _, t0 = make_convex_panel()
    with pytest.raises(SchemaError):
        synthetic_control(df, "nope", "unit", "year", "T", t0)
    with pytest.raises(TreatedInFirstPeriodError):
        synthetic_control(df, "y", "unit", "year", "T", df.year.min())
    with pytest.raises(SmallGroupError):
        synthetic_control(df, "y", "unit", "year", "T", t0, donors=["d0"])
    with pytest.raises(InputError, match="treated unit"):
        synthetic_control(df, "y", "unit", "year", "ZZ", t0)
    dup = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(InputError, match="duplicate"):
        synthetic_control(dup, "y", "unit", "year", "T", t0)
    with pytest.raises(InputError, match="v must"):
        synthetic_control(df, "y", "unit", "year", "T", t0, predictors=[("y", [2001])], v=[1.0, 2.0])


def test_missing_donor_outcome_drops_donor_and_says_so(make_convex_panel):
    df, _, t0 = make_convex_panel()
    df.loc[(df.unit == "d9") & (df.year == 2003), "y"] = np.nan
    res = synthetic_control(df, "y", "unit", "year", "T", t0, placebo=False, leave_one_out=False)
    assert "d9" not in res.weights.index
    assert any("dropped for missing outcomes" in n for n in res.notes)


def test_plots_return_figures(make_convex_panel):
    df, _, t0 = make_convex_panel()
    res = synthetic_control(df, "y", "unit", "year", "T", t0)
    for fig in (res.plot_path(), res.plot_placebos(), res.plot_leave_one_out()):
        assert len(fig.axes[0].lines) >= 2
    assert "Synthetic control" in res.summary()


def test_placebo_can_reuse_the_treated_v(make_convex_panel):
    # With V fixed ("equal") both placebo modes are the same computation: identical tables.
    # With V optimised, reusing the treated unit's V changes some placebo fits.
    df, _, t0 = make_convex_panel(seed=8)
    rng = np.random.default_rng(1)
    df["x"] = df["unit"].map(dict(zip(df["unit"].unique(), rng.normal(size=df["unit"].nunique()))))
    preds = ["x", ("y", [2003]), ("y", [2010])]
    kw = {"predictors": preds, "leave_one_out": False}
    eq_t = synthetic_control(df, "y", "unit", "year", "T", t0, v="equal", placebo_v="treated", **kw)
    eq_r = synthetic_control(df, "y", "unit", "year", "T", t0, v="equal", placebo_v="refit", **kw)
    pd.testing.assert_frame_equal(eq_t.placebo, eq_r.placebo)
    opt_t = synthetic_control(df, "y", "unit", "year", "T", t0, placebo_v="treated", **kw)
    opt_r = synthetic_control(df, "y", "unit", "year", "T", t0, placebo_v="refit", **kw)
    assert (opt_t.placebo["pre_rmspe"] - opt_r.placebo["pre_rmspe"]).abs().max() > 1e-6
    with pytest.raises(InputError, match="placebo_v"):
        synthetic_control(df, "y", "unit", "year", "T", t0, placebo_v="nope")
