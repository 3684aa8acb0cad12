"""did_imputation against independent references.

- pyfixest's ``did2s`` (Gardner's two-stage DiD): its second stage regresses the first-stage
  residuals on treated-observation dummies, which is the imputation estimator (BJS 2024, Section
  3): static and event-time point estimates must coincide. pyfixest recovers the first-stage fixed
  effects with ``lsqr(atol=btol=1e-6)``, so at its defaults the two agree to ~1e-5 only; with that
  tolerance tightened (same pyfixest code) they agree to 1e-8. Its standard errors are Gardner's
  GMM ones (second-stage residuals around the horizon means, a first-stage correction), not BJS's
  conservative ones (residuals around cohort x event-time means): they differ by construction and
  coincide only asymptotically with large cohorts and a constant effect (checked to 5 %).
- pyfixest ``feols`` on the untreated sample with lead dummies: the pre-trend coefficients and
  their CRV1 standard errors (same small-sample factor), to 1e-8.
- dense weighted least squares (numpy lstsq on explicit dummies) on an unbalanced, weighted panel.
- Callaway–Sant'Anna (R-validated ``att_gt``): one cohort first treated in the second period (a
  single pre-period) with never-treated controls: each post ATT(g, t) is the imputation event-time
  estimate exactly (the only untreated period of a treated unit is the base period), to 1e-10.
- a simulation with a known effect: bias over 200 panels within 3 Monte Carlo SE.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import GroupColumnError, TreatedInFirstPeriodError, UnbalancedPanelError
from sosek_impact.estimators import att_gt, did_imputation, imputation_linear_weights
from sosek_impact.estimators._checks import MissingValueError
from sosek_impact.results_protocol import TIDY_COLUMNS
from sosek_impact.simulate import simulate_staggered_panel

COLS = dict(y="y", unit="unit", time="time", group="group")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_staggered_panel(seed=3, effect="heterogeneous")


def _horizon_dummies(d: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    d = d.copy()
    et = np.where(d["treat"] == 1, d["time"] - d["group"], -1)
    names = []
    for h in sorted(np.unique(et[et >= 0])):
        d[f"h{h}"] = (et == h).astype(float)
        names.append(f"h{h}")
    return d, names


@pytest.fixture
def tight_pyfixest(monkeypatch):
    pf = pytest.importorskip("pyfixest")
    from pyfixest.estimation.models.feols_ import Feols

    original = Feols.fixef
    monkeypatch.setattr(Feols, "fixef", lambda self, atol=1e-14, btol=1e-14: original(self, atol=atol, btol=btol))
    return pf


def test_equals_did2s_static_and_event_time(panel, tight_pyfixest):
    pf = tight_pyfixest
    r = did_imputation(panel, **COLS, horizons=True)
    static = pf.did2s(panel.copy(), yname="y", first_stage="~ 0 | unit + time", second_stage="~ treat",
                      treatment="treat", cluster="unit")
    assert r.att == pytest.approx(float(static.coef()["treat"]), abs=1e-8)
    d, names = _horizon_dummies(panel)
    dyn = pf.did2s(d, yname="y", first_stage="~ 0 | unit + time", second_stage="~ 0 + " + " + ".join(names),
                   treatment="treat", cluster="unit")
    t = r.tidy()
    ours = t[t["kind"] == "horizon"].set_index("event_time")["estimate"]
    theirs = pd.Series(dyn.coef().to_numpy(), index=[int(n[1:]) for n in dyn.coef().index])
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=1e-8, rtol=0)


def test_did2s_default_tolerance_and_standard_errors():
    """At pyfixest's default lsqr tolerance the estimates agree to 1e-4; SEs agree to 5 % with 200
    treated units in 4 cohorts of 50, a constant effect and iid errors (both consistent there)."""
    pf = pytest.importorskip("pyfixest")
    d = simulate_staggered_panel(n_units=400, n_treated=200, seed=4, effect="constant", rho=0.0)
    r = did_imputation(d, **COLS)
    fit = pf.did2s(d.copy(), yname="y", first_stage="~ 0 | unit + time", second_stage="~ treat",
                   treatment="treat", cluster="unit")
    assert r.att == pytest.approx(float(fit.coef()["treat"]), abs=1e-4)
    assert r.se / float(fit.se()["treat"]) == pytest.approx(1.0, abs=0.05)


def test_pretrend_coefficients_equal_feols_on_untreated_sample():
    pf = pytest.importorskip("pyfixest")
    d = simulate_staggered_panel(n_units=100, n_treated=40, seed=5)
    r = did_imputation(d, **COLS, pretrends=3)
    u = d[d["treat"] == 0].copy()
    for h in (1, 2, 3):
        u[f"pre{h}"] = ((u["group"] > 0) & (u["time"] - u["group"] == -h)).astype(float)
    f = pf.feols("y ~ pre1 + pre2 + pre3 | unit + time", data=u, vcov={"CRV1": "unit"}, fixef_tol=1e-13)
    t = r.tidy().set_index("term")
    np.testing.assert_allclose(t.loc[["pre1", "pre2", "pre3"], "estimate"], f.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(t.loc[["pre1", "pre2", "pre3"], "std_error"], f.se().to_numpy(), rtol=1e-8)
    assert list(t.loc[["pre1", "pre2", "pre3"], "event_time"]) == [-1, -2, -3]
    # the joint F test reported is W/3 against F(3, G-1)
    b = t.loc[["pre1", "pre2", "pre3"], "estimate"].to_numpy()
    V = np.asarray(f._vcov)
    assert r.pretrend.chi2 == pytest.approx(float(b @ np.linalg.solve(V, b)), rel=1e-6)
    assert r.pretrend.statistic == pytest.approx(r.pretrend.chi2 / 3)
    assert r.pretrend.df == (3, 99)


def test_pretrend_detects_anticipation():
    d = simulate_staggered_panel(n_units=100, n_treated=40, seed=6, effect="constant")
    lead = (d["group"] > 0) & (d["time"] == d["group"] - 1)
    d.loc[lead, "y"] += 1.5  # an anticipation effect of 1.5 one period before treatment
    r = did_imputation(d, **COLS, pretrends=2)
    assert r.pretrend.pvalue < 1e-6
    pre1 = r.tidy().set_index("term").loc["pre1"]
    assert abs(pre1["estimate"] - 1.5) < 4 * pre1["std_error"]


def _dense_imputation(d: pd.DataFrame, w: np.ndarray) -> np.ndarray:
    """τ̂ on the treated rows by explicit weighted least squares with dummy columns."""
    Z = pd.get_dummies(d[["unit", "time"]].astype(str), dtype=float).to_numpy()
    u0 = d["treat"].to_numpy() == 0
    sw = np.sqrt(w[u0])
    beta = np.linalg.lstsq(Z[u0] * sw[:, None], d["y"].to_numpy()[u0] * sw, rcond=None)[0]
    return (d["y"].to_numpy() - Z @ beta)[~u0]


def test_unbalanced_weighted_panel_matches_dense_wls():
    d = simulate_staggered_panel(n_units=50, n_periods=10, n_treated=20, seed=7)
    rng = np.random.default_rng(0)
    d = d[rng.random(len(d)) > 0.15].reset_index(drop=True)  # drop 15 % of rows at random
    first = d.groupby("unit")["time"].transform("min")
    d = d[~((d["group"] > 0) & (first >= d["group"]))].reset_index(drop=True)  # keep imputable units
    d["w"] = np.repeat(rng.uniform(0.5, 2.0, d["unit"].max() + 1), 1)[d["unit"]]
    r = did_imputation(d, **COLS, weights="w")
    tau = _dense_imputation(d, d["w"].to_numpy())
    tr = d["treat"].to_numpy() == 1
    np.testing.assert_allclose(np.sort(r.effects["tau"].to_numpy()), np.sort(tau), atol=1e-10)
    wt = d["w"].to_numpy()[tr]
    assert r.att == pytest.approx(float(np.sum(wt * tau) / wt.sum()), abs=1e-10)


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("aggregate", ["simple", "dynamic", "group"])
def test_linear_weights_reproduce_estimates(panel, control, aggregate):
    g = panel.groupby("unit")["group"].first().to_numpy()
    periods = np.sort(panel["time"].unique())
    terms, W = imputation_linear_weights(g, periods, aggregate=aggregate, control=control)
    Y = panel.sort_values(["unit", "time"])["y"].to_numpy().reshape(len(g), len(periods))
    est = np.einsum("kit,it->k", W, Y)
    r = did_imputation(panel, **COLS, horizons=True, control=control)
    eff = r.effects
    if aggregate == "simple":
        ref = [r.att]
    elif aggregate == "dynamic":
        t = r.tidy().set_index("event_time")
        ref = [float(t.loc[e, "estimate"]) for e in terms]
        assert all(isinstance(e, int) for e in terms)
    else:
        ref = [float(eff.loc[eff["group"] == gg, "tau"].mean()) for gg in terms]
    np.testing.assert_allclose(est, ref, atol=1e-10, rtol=0)
    # the weights annihilate unit and period effects and sum to 1 on treated cells
    assert np.abs(W.sum(axis=2)).max() < 1e-10 and np.abs(W.sum(axis=1)).max() < 1e-10


def test_linear_weights_window():
    g = np.array([0, 0, 0, 3, 3, 5])
    terms, W = imputation_linear_weights(g, np.arange(1, 8), aggregate="dynamic", min_e=0, max_e=2)
    assert terms == [0, 1, 2] and W.shape == (3, 6, 7)


def test_single_cohort_one_pre_period_equals_cs():
    """Cohort first treated at period 2 (its only untreated period is the base period g-1) with
    never-treated controls: τ̂_it = ΔY_it − mean_controls ΔY_t, the CS ATT(2, t)."""
    d = simulate_staggered_panel(n_units=30, n_periods=6, cohorts={2001: 10}, seed=8)
    r = did_imputation(d, **COLS, horizons=True)
    for control in ("never", "not_yet"):
        cs = att_gt(d, **COLS, control=control, method="reg")
        post = cs.table[cs.table["time"] >= cs.table["group"]]
        t = r.tidy()
        ours = t[t["kind"] == "horizon"]["estimate"].to_numpy()
        np.testing.assert_allclose(ours, post["att"].to_numpy(), atol=1e-10)
        assert r.att == pytest.approx(float(cs.aggregate("simple").overall()["att"]), abs=1e-10)
    rn = did_imputation(d, **COLS, horizons=True, control="never")
    assert rn.att == pytest.approx(r.att, abs=1e-10)


def test_recovers_known_effect_in_simulation():
    """Heterogeneous dynamic effect, 8 treated: mean of (estimate - truth) over 200 panels is within
    3 Monte Carlo SE of 0, for the ATT and the event-time-3 estimate."""
    errs = []
    for s in range(200):
        d = simulate_staggered_panel(seed=1000 + s, effect="heterogeneous")
        r = did_imputation(d, **COLS, horizons=[3])
        tr = d[d["treat"] == 1]
        truth3 = tr.loc[tr["time"] - tr["group"] == 3, "true_effect"].mean()
        t = r.tidy().set_index("term")
        errs.append((r.att - d.attrs["true_att"], t.loc["tau3", "estimate"] - truth3))
    e = np.array(errs)
    mcse = e.std(axis=0, ddof=1) / np.sqrt(len(e))
    assert np.all(np.abs(e.mean(axis=0)) < 3 * mcse)
    assert e[:, 0].std() > 0.05  # not a degenerate estimator


def test_late_group_warns_like_att_gt_and_counts_as_not_yet(panel):
    d = panel.copy()
    late_unit = d.loc[d["group"] == 0, "unit"].iloc[0]
    d.loc[d["unit"] == late_unit, "group"] = 2030
    with pytest.warns(UserWarning, match=r"1 unit\(s\) first treated after the last period 2024 \(group 2030; unit "):
        r = did_imputation(d, **COLS)
    with pytest.warns(UserWarning, match=r"1 unit\(s\) first treated after the last period 2024"):
        att_gt(d, **COLS)
    assert r.att == pytest.approx(did_imputation(panel, **COLS).att, abs=1e-12)


def test_bad_input_errors_name_column_and_unit(panel):
    d = panel.copy()
    d.loc[5, "y"] = np.nan
    with pytest.raises(MissingValueError, match="'y'"):
        did_imputation(d, **COLS)
    dup = pd.concat([panel, panel.iloc[[7]]], ignore_index=True)
    with pytest.raises(UnbalancedPanelError, match=r"unit=1, time=2007"):
        did_imputation(dup, **COLS)
    early = panel.copy()
    early["group"] = early["group"].astype(int)
    early.loc[early["unit"] == 2, "group"] = 2000
    with pytest.raises(TreatedInFirstPeriodError, match=r"unit 2 \(group values 2000\)") as exc:
        did_imputation(early, **COLS)
    assert "np." not in str(exc.value)
    text = panel.assign(group=panel["group"].astype(str).where(panel["unit"] != 3, "soon"))
    with pytest.raises(GroupColumnError, match="'group'"):
        did_imputation(text, **COLS)
    with pytest.raises(ValueError, match="pretrends"):
        did_imputation(panel, **COLS, pretrends=-1)


def test_single_unit_cohort_warns():
    d = simulate_staggered_panel(n_treated=4, seed=2)
    with pytest.warns(UserWarning, match="single treated unit"):
        r = did_imputation(d, **COLS)
    assert r.warnings and "single treated unit" in r.summary()


def test_results_protocol(panel, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = did_imputation(panel, **COLS, horizons=True, pretrends=2)
    t = r.tidy()
    assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert str(t["event_time"].dtype) == "Int64"
    assert t["event_time"].dropna().tolist() == list(range(0, 17)) + [-1, -2]
    ci = r.conf_int(alpha=0.1).loc["ATT"]
    assert ci["conf_low"] == pytest.approx(r.att - 1.6448536269514722 * r.se)
    text = str(r)
    assert "Pre-trend test" in text and "[" not in text.split("\n")[0] and "array" not in text
    fig = r.plot()
    fig.savefig(tmp_path / "imputation.png")
    assert len(fig.axes[0].lines) + len(fig.axes[0].collections) > 0
    with pytest.raises(Exception, match="horizons=True"):
        did_imputation(panel, **COLS).plot()


@pytest.mark.parametrize("leave_out", [False, True])
def test_conservative_variance_by_hand(leave_out):
    """BJS Theorem 3 on a small panel, computed independently: the weights v by differentiating the
    dense least-squares estimate with respect to each outcome, ε̃ from explicit cell means."""
    d = simulate_staggered_panel(n_units=16, n_periods=6, cohorts={2002: 3, 2004: 3}, seed=9)
    w = np.ones(len(d))

    def att(yv: np.ndarray) -> float:
        return float(_dense_imputation(d.assign(y=yv), w).mean())

    y0 = d["y"].to_numpy()
    v = np.array([att(y0 + np.eye(len(d))[k]) - att(y0) for k in range(len(d))])
    tau = _dense_imputation(d, w)
    tr = d["treat"].to_numpy() == 1
    Z = pd.get_dummies(d[["unit", "time"]].astype(str), dtype=float).to_numpy()
    beta = np.linalg.lstsq(Z[~tr], y0[~tr], rcond=None)[0]
    eps = y0 - Z @ beta
    cells = d.loc[tr, ["group", "time"]].assign(e=lambda x: x["time"] - x["group"])
    for k, (i, row) in enumerate(cells.iterrows()):
        same = (cells["group"] == row["group"]).to_numpy() & (cells["e"] == row["e"]).to_numpy()
        if leave_out:
            same[k] = False
        eps[i] = tau[k] - tau[same].mean()
    by_unit = pd.Series(v * eps).groupby(d["unit"].to_numpy()).sum()
    r = did_imputation(d, **COLS, leave_out=leave_out)
    assert r.att == pytest.approx(att(y0), abs=1e-10)
    assert r.se == pytest.approx(float(np.sqrt((by_unit**2).sum())), rel=1e-8)


def test_leave_out_is_larger_with_small_cohorts():
    d = simulate_staggered_panel(seed=11)
    assert did_imputation(d, **COLS, leave_out=True).se > did_imputation(d, **COLS, leave_out=False).se
