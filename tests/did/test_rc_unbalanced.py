"""``att_gt`` on repeated cross-sections (``panel=False``) and unbalanced panels (``allow_unbalanced_panel``).

References, each independent of our code:

- diff-diff 3.13's ``CallawaySantAnna(panel=False)`` / ``(allow_unbalanced_panel=True)`` on mpdta
  sampled as a repeated cross-section and with rows dropped at random: ATT(g,t) and the event-study
  aggregate to 1e-10 for every method, with and without a covariate, never and not-yet controls.
  Standard errors to 1e-10 where both follow R ``DRDID``: no covariates (all methods) and IPW with
  a covariate. On unbalanced panels diff-diff multiplies the unit-clustered SE by its documented
  CR1 factor ``sqrt(G / (G - 1))``; R ``did`` does not, nor do we, so we compare after that
  factor. (With covariates, diff-diff's ``reg`` and ``dr`` repeated cross-section SEs leave out
  the estimation effect of the outcome regressions — ours with that term divided by n reproduce
  diff-diff's to 1e-15 — so those SEs are checked against the derivative below instead.)
- the empirical influence function as a numerical derivative: for an estimator invariant to the
  scale of the weights, ``n d ATT / d w_i`` at ``w = 1`` is observation ``i``'s influence value.
  ``reg`` and ``ipw`` match it to 1e-5; for ``dr`` R's ``drdid_rc`` adds the estimation effect of
  the base-period comparison regression through ``M1.pre`` and ``M3.pre`` with the opposite sign
  of the exact derivative (a term that vanishes asymptotically, as the IPW-weighted comparison
  rows balance the treated covariate means); we follow R, and the test pins that difference.
- a cell of the ``reg`` estimator written out by hand with statsmodels OLS.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from sosek_impact.errors import UnbalancedPanelError
from sosek_impact.estimators import att_gt
from sosek_impact.estimators.did_drdid import logit
from sosek_impact.estimators.did_drdid_rc import ESTIMATORS_RC, _wls

dd = pytest.importorskip("diff_diff")

COLS = dict(y="lemp", unit="countyreal", time="year", group="first.treat")


@pytest.fixture(scope="module")
def rcs(mpdta) -> pd.DataFrame:
    """mpdta as a repeated cross-section: 60 % of the rows, every row its own county id."""
    d = mpdta.sample(frac=0.6, random_state=1).reset_index(drop=True)
    d["countyreal"] = np.arange(len(d))
    return d


@pytest.fixture(scope="module")
def unbalanced(mpdta) -> pd.DataFrame:
    """mpdta with 300 of its 2,500 rows dropped at random."""
    rng = np.random.default_rng(0)
    return mpdta.drop(index=rng.choice(len(mpdta), 300, replace=False)).reset_index(drop=True)


def _diff_diff(d, method, covariates, control, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = dd.CallawaySantAnna(control_group={"never": "never_treated", "not_yet": "not_yet_treated"}[control],
                                  estimation_method=method, **kw)
        fit = est.fit(d, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat",
                      covariates=covariates)
        return fit, fit.aggregate("event_study")


CASES = [(m, c, k) for m in ("reg", "ipw", "dr") for c in (None, ["lpop"]) for k in ("never", "not_yet")]


@pytest.mark.parametrize("layout", ["rcs", "unbalanced"])
@pytest.mark.parametrize("method,covariates,control", CASES)
def test_matches_diff_diff(request, layout, method, covariates, control):
    d = request.getfixturevalue(layout)
    kw = dict(panel=False) if layout == "rcs" else dict(allow_unbalanced_panel=True)
    ours = att_gt(d, **COLS, method=method, covariates=covariates, control=control, **kw)
    fit, es = _diff_diff(d, method, covariates, control, **kw)
    tab = ours.table.set_index(["group", "time"])
    assert len(tab) == len(fit.group_time_effects) == 12
    n_units = d["countyreal"].nunique()
    cr1 = np.sqrt(n_units / (n_units - 1)) if layout == "unbalanced" else 1.0
    se_comparable = covariates is None or method == "ipw"
    for (g, t), cell in fit.group_time_effects.items():
        row = tab.loc[(int(g), int(t))]
        assert row["att"] == pytest.approx(cell["effect"], abs=1e-10)
        if se_comparable:
            assert row["se"] * cr1 == pytest.approx(cell["se"], rel=1e-10)
    dyn = ours.aggregate("dynamic").table.set_index("event_time")
    ref = pd.Series(np.asarray(es.att, dtype=float), index=np.asarray(es.event_time, dtype=int)).dropna()
    ref_se = pd.Series(np.asarray(es.se, dtype=float), index=np.asarray(es.event_time, dtype=int)).dropna()
    assert sorted(ref.index) == sorted(dyn.index)
    np.testing.assert_allclose(dyn.loc[ref.index, "estimate"], ref, rtol=0, atol=1e-10)
    if se_comparable:
        np.testing.assert_allclose(dyn.loc[ref.index, "std_error"] * cr1, ref_se.loc[ref.index], rtol=1e-10)


def test_influence_by_observation_unit(rcs, unbalanced):
    res = att_gt(rcs, **COLS, panel=False)
    assert res.influence.shape == (len(rcs), 12) and res.n_units == len(rcs)
    res = att_gt(unbalanced, **COLS, allow_unbalanced_panel=True)
    assert res.influence.shape == (unbalanced["countyreal"].nunique(), 12)
    # every influence column sums to zero and gives the standard error
    np.testing.assert_allclose(res.influence.sum(axis=0), 0, atol=1e-8)
    np.testing.assert_allclose(np.sqrt((res.influence**2).sum(axis=0)) / res.n_units, res.table["se"], rtol=1e-12)


def test_default_unchanged(mpdta, unbalanced):
    with pytest.raises(UnbalancedPanelError):
        att_gt(unbalanced, **COLS)
    base = att_gt(mpdta, **COLS)
    inert = att_gt(mpdta, **COLS, allow_unbalanced_panel=True)  # a balanced panel keeps the panel estimator
    pd.testing.assert_frame_equal(base.table, inert.table)
    dup = pd.concat([unbalanced, unbalanced.iloc[[0]]], ignore_index=True)
    with pytest.raises(UnbalancedPanelError, match="share a"):
        att_gt(dup, **COLS, allow_unbalanced_panel=True)
    with pytest.raises(ValueError, match="True or False"):
        att_gt(mpdta, **COLS, panel="no")


def _rc_data(seed: int = 3, n: int = 400):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])
    d = (rng.random(n) < 1 / (1 + np.exp(-(0.3 * x[:, 1] - 0.2)))).astype(float)
    post = (rng.random(n) < 0.5).astype(float)
    y = 1 + x[:, 1] + 0.5 * x[:, 2] * post + 0.7 * d * post + 0.3 * d + rng.normal(size=n)
    return y, post, d, x


def _numerical_if(f, y, post, d, x, rows, h=1e-6):
    n, w = len(y), np.ones(len(y))
    out = []
    for i in rows:
        wp, wm = w.copy(), w.copy()
        wp[i] += h
        wm[i] -= h
        out.append((f(y, post, d, x, wp)[0] - f(y, post, d, x, wm)[0]) / (2 * h) * n)
    return np.array(out)


@pytest.mark.parametrize("method", ["reg", "ipw"])
def test_influence_is_numerical_derivative(method):
    y, post, d, x = _rc_data()
    f = ESTIMATORS_RC[method]
    _, inf = f(y, post, d, x, np.ones(len(y)))
    rows = np.arange(40)
    np.testing.assert_allclose(_numerical_if(f, y, post, d, x, rows), inf[rows], rtol=0, atol=1e-5)


def test_dr_influence_is_r_convention():
    y, post, d, x = _rc_data()
    w = np.ones(len(y))
    _, inf = ESTIMATORS_RC["dr"](y, post, d, x, w)
    rows = np.arange(40)
    num = _numerical_if(ESTIMATORS_RC["dr"], y, post, d, x, rows)
    # R's sign of the base-period comparison-regression terms vs the exact derivative
    p, _ = logit(d, x, w)
    _, alr_pre = _wls(y, x, (1 - d) * (1 - post), "controls")
    w_t_pre, w_c_pre = d * (1 - post), p / (1 - p) * (1 - d) * (1 - post)
    a = -(w_t_pre[:, None] * x).mean(axis=0) / w_t_pre.mean()
    b = -(w_c_pre[:, None] * x).mean(axis=0) / w_c_pre.mean()
    np.testing.assert_allclose(num, inf[rows] + 2 * alr_pre[rows] @ (b - a), rtol=0, atol=1e-5)
    # the difference is real (not a vanishing check) but small next to the influence values
    assert np.max(np.abs(2 * alr_pre[rows] @ (b - a))) > 1e-2


def test_reg_cell_by_hand_ols(rcs):
    res = att_gt(rcs, **COLS, method="reg", covariates=["lpop"], panel=False)
    g, t, base = 2006, 2007, 2005  # post-treatment cell: base period g - 1
    cell = rcs[rcs["year"].isin([t, base]) & rcs["first.treat"].isin([g, 0])]
    treated, ctrl = cell[cell["first.treat"] == g], cell[cell["first.treat"] == 0]
    fit = {p: sm.OLS(ctrl.loc[ctrl.year == p, "lemp"], sm.add_constant(ctrl.loc[ctrl.year == p, "lpop"])).fit()
           for p in (t, base)}
    xt = sm.add_constant(treated["lpop"])
    predicted_change = (fit[t].predict(xt) - fit[base].predict(xt)).mean()
    by_hand = (treated.loc[treated.year == t, "lemp"].mean() - treated.loc[treated.year == base, "lemp"].mean()
               - predicted_change)
    row = res.table.set_index(["group", "time"]).loc[(g, t)]
    assert row["att"] == pytest.approx(by_hand, abs=1e-10)


def test_recovers_known_effect():
    """Repeated cross-sections with a known ATT of 2 in every post cell: estimates within 4 SE."""
    rng = np.random.default_rng(11)
    n = 6000
    g = rng.choice([0, 3, 4], size=n, p=[0.5, 0.25, 0.25])
    t = rng.integers(1, 6, size=n)
    x = rng.normal(size=n)
    y = 0.5 * g + 0.3 * t + x + 2.0 * ((g > 0) & (t >= g)) + rng.normal(size=n)
    d = pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "y": y, "x": x})
    res = att_gt(d, y="y", unit="id", time="t", group="g", covariates=["x"], panel=False)
    tab = res.table
    truth = np.where(tab["time"] >= tab["group"], 2.0, 0.0)
    z = (tab["att"] - truth) / tab["se"]
    assert np.all(np.abs(z) < 4), z.to_numpy()
    simple = res.aggregate("simple")
    assert abs(simple.estimate - 2.0) < 4 * simple.std_error


def test_bootstrap_cluster_and_summary(unbalanced):
    res = att_gt(unbalanced, **COLS, allow_unbalanced_panel=True)
    boot = att_gt(unbalanced, **COLS, allow_unbalanced_panel=True, bootstrap=True, n_boot=2000, seed=1)
    # the multiplier bootstrap of the same (unit-level) influence functions: SEs within Monte Carlo error
    np.testing.assert_allclose(boot.table["se"], res.table["se"], rtol=0.1)
    d = unbalanced.assign(state=unbalanced["countyreal"] // 1000)
    cl = att_gt(d, **COLS, allow_unbalanced_panel=True, cluster="state")
    assert not np.allclose(cl.table["se"], res.table["se"])  # coarser clusters than units change the SEs
    text = str(res.summary())
    assert "unbalanced panel" in text and "by unit" in text


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_balanced_panel_as_cross_sections_same_att(mpdta, method):
    """Without covariates a cell is a difference of mean changes, which on a balanced panel equals the
    difference of the period means: treating the panel as repeated cross-sections keeps every ATT(g,t)
    (not the SEs, which ignore the within-unit correlation)."""
    panel = att_gt(mpdta, **COLS, method=method)
    rcs = att_gt(mpdta, **COLS, method=method, panel=False)
    np.testing.assert_allclose(rcs.table["att"], panel.table["att"], rtol=0, atol=1e-12)
    assert not np.allclose(rcs.table["se"], panel.table["se"], rtol=1e-3)
