"""One results protocol: the same few lines work on every estimator's and inference method's result.

For each result type: fit, ``print`` (short, no array dump), ``tidy()`` (standard columns first, with
their dtypes), ``conf_int()`` (a method, equal to tidy's bounds) and, for event-time results,
``plot()`` (a matplotlib Figure). The tidy numbers are the result's own attributes (to 1e-12, no
recomputation drift), and the tidy columns mean what they mean in pyfixest (TWFE, CRV1, t(G-1):
tolerance 1e-6 relative, the agreement of the two programs' standard errors in tests/twfe) and
linearmodels' PanelOLS (standard error rescaled to the same small-sample factor; p-value and
interval at the same t(G-1) reference), and the aggregate's columns those of R ``did::aggte``
(reference numbers in tests/did/reference, tolerances as tests/did/test_att_gt_reference.py).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sosek_impact.estimators import att_gt, event_study, sun_abraham, twfe
from sosek_impact.estimators.synthetic_control import synthetic_control, synthetic_control_multi
from sosek_impact.estimators.synthetic_did import synthetic_did
from sosek_impact.inference import conley_taber, randomization_inference, wild_cluster_bootstrap
from sosek_impact.inference.honest_did import honest_did_event_study
from sosek_impact.results_protocol import TIDY_COLUMNS, ResultsProtocol, format_number, format_pvalue
from sosek_impact.simulate import simulate_staggered_panel

REF = Path(__file__).parents[1] / "did" / "reference"
KW = dict(y="y", unit="unit", time="time")


@lru_cache(maxsize=1)
def panel() -> pd.DataFrame:
    """40 units × 10 years, 4 cohorts of 3 treated units, 28 never treated (known truth, seeded)."""
    return simulate_staggered_panel(n_units=40, n_periods=10, n_treated=12, seed=3)


def _one_cohort() -> pd.DataFrame:
    d = panel()
    return d[d["group"].isin([0, 2005])]


BUILDERS = {
    "twfe": lambda: twfe(panel(), **KW, treat="treat"),
    "event_study": lambda: event_study(panel(), **KW, group="group"),
    "att_gt": lambda: att_gt(panel(), **KW, group="group"),
    "att_gt_bootstrap": lambda: att_gt(panel(), **KW, group="group", bootstrap=True, n_boot=199, seed=1),
    "aggregate_simple": lambda: att_gt(panel(), **KW, group="group").aggregate("simple"),
    "aggregate_dynamic": lambda: att_gt(panel(), **KW, group="group", bootstrap=True, n_boot=199,
                                        seed=1).aggregate("dynamic"),
    "aggregate_group": lambda: att_gt(panel(), **KW, group="group").aggregate("group"),
    "aggregate_calendar": lambda: att_gt(panel(), **KW, group="group").aggregate("calendar"),
    "sun_abraham": lambda: sun_abraham(panel(), **KW, group="group", min_obs=1),
    "synthetic_control": lambda: synthetic_control(
        _one_cohort(), **KW, treated_unit=int(_one_cohort().query("group == 2005")["unit"].iloc[0]),
        treatment_time=2005, leave_one_out=False, n_starts=1),
    "synthetic_control_multi": lambda: synthetic_control_multi(
        _one_cohort(), **KW, treated={int(u): 2005 for u in _one_cohort().query("group == 2005")["unit"].unique()},
        leave_one_out=False, n_starts=1, n_draws=500),
    "synthetic_did": lambda: synthetic_did(_one_cohort(), **KW, treat="treat", se="placebo", n_reps=20,
                                           leave_one_out=False),
    "wild_bootstrap": lambda: wild_cluster_bootstrap(panel(), "y", "treat", "treat", "unit", fe=["unit", "time"],
                                                     B=199, seed=1),
    "randomization": lambda: randomization_inference(panel(), **KW, group="group", n_perm=99, seed=1),
    "conley_taber": lambda: conley_taber(panel(), **KW, treat="treat", max_pairings=2000, seed=1),
    "honest_did": lambda: honest_did_event_study(event_study(panel(), **KW, group="group", leads=3, lags=3),
                                                 method="smoothness"),
}
EVENT_TIME = {"event_study", "att_gt", "att_gt_bootstrap", "aggregate_dynamic", "sun_abraham"}


@lru_cache(maxsize=None)
def result(name: str) -> ResultsProtocol:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # design notes (singular pre-test, few pre-periods)
        return BUILDERS[name]()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_same_lines_work_on_every_result(name):
    res = result(name)
    assert isinstance(res, ResultsProtocol)
    text = str(res)
    assert text == res.summary() == repr(res)
    assert 0 < len(text) < 3000 and len(text.splitlines()) <= 40, (len(text), len(text.splitlines()))
    assert "array(" not in text and "[[" not in text
    assert res._repr_html_().startswith("<pre>")

    tidy = res.tidy()
    assert tuple(tidy.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert len(tidy) >= 1 and tidy["term"].map(type).eq(str).all() and tidy["term"].is_unique
    for col in TIDY_COLUMNS[1:]:
        assert tidy[col].dtype == np.float64, (col, tidy[col].dtype)
    for col in ("event_time", "group", "time", "post", "n_obs"):
        if col in tidy:
            assert pd.api.types.is_integer_dtype(tidy[col]), (col, tidy[col].dtype)

    ci = res.conf_int()
    assert list(ci.columns) == ["conf_low", "conf_high"] and list(ci.index) == list(tidy["term"])
    np.testing.assert_array_equal(ci.to_numpy(), tidy[["conf_low", "conf_high"]].to_numpy())
    ok = tidy["conf_low"].notna()
    assert (tidy.loc[ok, "conf_low"] <= tidy.loc[ok, "estimate"]).all()
    assert (tidy.loc[ok, "estimate"] <= tidy.loc[ok, "conf_high"]).all()

    if name in EVENT_TIME:
        from matplotlib.figure import Figure

        fig = res.plot()
        assert isinstance(fig, Figure) and len(fig.axes) == 1
        assert len(fig.axes[0].collections) + len(fig.axes[0].lines) > 0


def _tidy_row(res, term):
    return res.tidy().set_index("term").loc[term]


def test_tidy_numbers_are_the_results_own_numbers():
    """tidy() re-labels, it does not re-estimate: equal to the attributes to 1e-12."""
    tol = dict(rtol=0, atol=1e-12)
    r = result("twfe")
    t = r.tidy().set_index("term")
    np.testing.assert_allclose(t["estimate"], r.params, **tol)
    np.testing.assert_allclose(t["std_error"], r.std_errors, **tol)
    np.testing.assert_allclose(t["p_value"], r.pvalues, **tol)

    cs = result("att_gt_bootstrap")
    t = cs.tidy()
    np.testing.assert_allclose(t["estimate"], cs.table["att"], **tol)
    np.testing.assert_allclose(t["std_error"], cs.table["se"], **tol)
    np.testing.assert_allclose(t["conf_low"], cs.table["ci_lower"], **tol)
    np.testing.assert_allclose(t["cband_high"], cs.table["cband_upper"], **tol)
    assert (t["event_time"] == cs.table["time"] - cs.table["group"]).all()

    dyn = result("aggregate_dynamic")
    t, old = dyn.tidy(), dyn.to_frame()
    assert t["estimate"].iloc[0] == dyn.estimate and t["std_error"].iloc[0] == dyn.std_error
    np.testing.assert_allclose(t["estimate"].iloc[1:], old["att"], **tol)
    np.testing.assert_allclose(t["conf_high"].iloc[1:], old["ci_upper"], **tol)
    np.testing.assert_allclose(t["cband_low"].iloc[1:], old["cband_lower"], **tol)
    assert list(t["event_time"].iloc[1:]) == list(old["egt"]) and old["egt"].dtype == np.int64
    z = stats.norm.ppf(0.975)
    assert dyn.overall()["ci_lower"] == pytest.approx(dyn.estimate - z * dyn.std_error, abs=1e-12)

    sa = result("sun_abraham")
    t = sa.tidy()
    assert t["estimate"].iloc[0] == sa.estimate
    np.testing.assert_allclose(t["estimate"].iloc[1:], sa.table["att"], **tol)
    np.testing.assert_allclose(t["conf_low"].iloc[1:], sa.table["ci_lower"], **tol)

    sd = result("synthetic_did")
    assert tuple(_tidy_row(sd, "ATT")[["conf_low", "conf_high"]]) == pytest.approx(sd.interval, abs=1e-12)
    wb = result("wild_bootstrap")
    row = _tidy_row(wb, "treat")
    assert (row["estimate"], row["p_value"]) == (wb.estimate, wb.pvalue)
    assert (row["conf_low"], row["conf_high"]) == wb.interval
    ct = result("conley_taber")
    assert tuple(_tidy_row(ct, "treat")[["conf_low", "conf_high"]]) == ct.interval
    hd = result("honest_did")
    t = hd.tidy()
    assert tuple(t.iloc[0][["conf_low", "conf_high"]]) == pytest.approx(hd.original, abs=1e-12)
    np.testing.assert_allclose(t["conf_low"].iloc[1:], hd.table["lb"], **tol)


def test_twfe_tidy_matches_pyfixest_and_linearmodels():
    """Column meaning: pyfixest's tidy() (CRV1 by unit, t(G-1)) and PanelOLS at the same df."""
    pf = pytest.importorskip("pyfixest")
    from linearmodels.panel import PanelOLS

    d = panel()
    ours = twfe(d, **KW, treat="treat").tidy().set_index("term").loc["treat"]
    ref = pf.feols("y ~ treat | unit + time", data=d, vcov={"CRV1": "unit"}).tidy().loc["treat"]
    pairs = {"estimate": "Estimate", "std_error": "Std. Error", "statistic": "t value", "p_value": "Pr(>|t|)",
             "conf_low": "2.5%", "conf_high": "97.5%"}
    for mine, theirs in pairs.items():
        assert ours[mine] == pytest.approx(ref[theirs], rel=1e-6, abs=1e-10), mine

    idx = d.set_index(["unit", "time"])
    fit = PanelOLS(idx["y"], idx[["treat"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=False)
    # the same cluster sandwich times another scalar (see tests/twfe/test_twfe.py): ours is fixest's CRV1
    # G/(G-1) (N-1)/(N-K), PanelOLS's N/(N - absorbed effects) with debiased=False
    n, g, k = len(d), d["unit"].nunique(), twfe(d, **KW, treat="treat").info["k"]
    absorbed = d["unit"].nunique() + d["time"].nunique() - 1
    factor = (g / (g - 1) * (n - 1) / (n - k)) / (n / (n - absorbed))
    se = float(fit.std_errors["treat"]) * np.sqrt(factor)
    q = stats.t.ppf(0.975, g - 1)
    assert ours["estimate"] == pytest.approx(float(fit.params["treat"]), rel=1e-10)
    assert ours["std_error"] == pytest.approx(se, rel=1e-6)
    assert ours["p_value"] == pytest.approx(2 * stats.t.sf(abs(fit.params["treat"] / se), g - 1), rel=1e-5)
    assert ours["conf_low"] == pytest.approx(float(fit.params["treat"]) - q * se, rel=1e-6)


def test_aggregate_tidy_matches_r_did():
    """The dynamic aggregate's tidy columns are R did::aggte's att.egt, se.egt and overall (mpdta, DR, never)."""
    ref = pd.read_csv(REF / "ref_aggte.csv").query("scenario == 'mpdta_nev_dr' and type == 'dynamic'")
    mpdta = pd.read_csv(REF / "mpdta.csv")
    agg = att_gt(mpdta, y="lemp", unit="countyreal", time="year", group="first.treat", control="never",
                 method="dr").aggregate("dynamic")
    t = agg.tidy()
    rows = t.iloc[1:].merge(ref, left_on="event_time", right_on="egt", validate="1:1")
    assert len(rows) == len(ref) == len(t) - 1
    np.testing.assert_allclose(rows["estimate"], rows["att_egt"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(rows["std_error"], rows["se_egt"], rtol=1e-4)
    assert t["estimate"].iloc[0] == pytest.approx(ref["overall_att"].iloc[0], abs=1e-6)
    assert t["std_error"].iloc[0] == pytest.approx(ref["overall_se"].iloc[0], rel=1e-4)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(t["conf_low"], t["estimate"] - z * t["std_error"], rtol=0, atol=1e-12)


def test_alpha_and_level():
    r = result("twfe")
    a, b = r.tidy(alpha=0.1), r.tidy(level=0.9)
    pd.testing.assert_frame_equal(a, b)
    assert (a["conf_high"] - a["conf_low"]).iloc[0] < (r.tidy()["conf_high"] - r.tidy()["conf_low"]).iloc[0]
    with pytest.raises(ValueError, match="either alpha or level"):
        r.tidy(alpha=0.1, level=0.9)
    with pytest.warns(FutureWarning, match="coverage level"):  # earlier releases: conf_int(0.9) meant level
        pd.testing.assert_frame_equal(r.conf_int(0.9), r.conf_int(level=0.9))
    wb = result("wild_bootstrap")  # inverted at the call's alpha only
    assert wb.tidy().equals(wb.tidy(alpha=0.05))
    with pytest.raises(ValueError, match="alpha=0.05 only"):
        wb.tidy(alpha=0.1)
    dyn = result("aggregate_dynamic")  # the uniform band exists at the fit's alpha only
    assert "cband_low" in dyn.tidy() and "cband_low" not in dyn.tidy(alpha=0.1)


def test_deprecated_names_still_work_with_a_future_warning():
    dyn, sa, sd, wb = result("aggregate_dynamic"), result("sun_abraham"), result("synthetic_did"), result("wild_bootstrap")
    with pytest.warns(FutureWarning, match="overall_att is deprecated"):
        assert dyn.overall_att == dyn.estimate
    with pytest.warns(FutureWarning, match="overall_se is deprecated"):
        assert sa.overall_se == sa.std_error
    with pytest.warns(FutureWarning, match="se is deprecated"):
        assert sd.se == sd.std_error
    with pytest.warns(FutureWarning, match="no longer a DataFrame"):
        np.testing.assert_array_equal(dyn["egt"], dyn.table["event_time"])
    with pytest.warns(FutureWarning, match="no longer a DataFrame"):
        assert len(dyn) == len(dyn.table)
    with pytest.warns(FutureWarning, match="no longer a DataFrame"):
        assert dyn.set_index("egt").loc[0, "att"] == dyn.table.set_index("event_time").loc[0, "estimate"]
    with pytest.warns(FutureWarning, match="as a .low, high. tuple is deprecated"):
        lo, hi = wb.conf_int
    assert (lo, hi) == wb.interval
    assert wb.conf_int().iloc[0].tolist() == list(wb.interval)
    with pytest.raises(AttributeError):
        dyn.no_such_attribute  # noqa: B018


def test_event_time_plot_draws_band_reference_and_both_periods():
    dyn = result("aggregate_dynamic")
    fig = dyn.plot()
    ax = fig.axes[0]
    assert len(ax.patches) == len(dyn.table)  # one uniform-band box per event time
    labels = ax.get_legend_handles_labels()[1]
    assert any("uniform band" in s for s in labels)
    assert any(s.startswith("before treatment") for s in labels) and any(s.startswith("after") for s in labels)
    es = result("event_study")
    labels = es.plot().axes[0].get_legend_handles_labels()[1]
    assert "reference period (e = -1)" in labels
    # att_gt's plot is its dynamic aggregate's
    cs = result("att_gt_bootstrap")
    assert len(cs.plot().axes[0].patches) == len(cs.aggregate("dynamic", na_rm=True).table)
    with pytest.raises(TypeError, match="one number"):
        result("aggregate_simple").plot()


def test_formatting():
    assert format_number(2.316471090502148e-07) == "2.316e-07"
    assert format_number(0.0600412) == "0.06004" and format_number(1500) == "1500"
    assert format_pvalue(2e-9) == "< 0.001" and format_pvalue(0.04321) == "0.043"
    r = result("twfe")
    shown = str(r).split("rsquared_within: ")[1].split()[0]
    assert shown == format_number(r.info["rsquared_within"]) and len(shown) <= 9
    assert "< 0.001" in str(result("aggregate_dynamic"))


def test_sun_abraham_sparse_relative_periods():
    """Relative periods with fewer than min_obs treated observations: warned by default, pooled on request."""
    d = panel()  # cohorts of 3 units: the outermost relative periods have 3 treated observations
    with pytest.warns(UserWarning, match=r"fewer than 5 treated observations"):
        plain = sun_abraham(d, **KW, group="group")
    counts = plain.table.set_index("rel_time")["n_obs"]
    assert (counts < 5).any()
    assert "bin='sparse'" in plain.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pooled = sun_abraham(d, **KW, group="group", bin="sparse")
    lo, hi = pooled.settings["bin"]
    assert lo < -1 < hi and (pooled.table["n_obs"] >= 5).all()
    # the end bins hold everything beyond them; the interior periods are those of the unbinned fit
    assert pooled.table["n_obs"].sum() == counts.sum()
    assert list(pooled.table["rel_time"]) == [e for e in counts.index if lo <= e <= hi]
    inside = counts.loc[lo:hi].drop(-1, errors="ignore")
    assert inside.ge(5).all()  # the window is well populated ...
    assert all(counts.get(e, 0) < 5 for e in (lo - 1, hi + 1) if e in counts.index)  # ... and no wider
    same = sun_abraham(d, **KW, group="group", bin=(lo, hi))
    pd.testing.assert_frame_equal(pooled.table, same.table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sun_abraham(d, **KW, group="group", min_obs=1)  # threshold is a parameter
    with pytest.raises(ValueError, match="bin must be"):
        sun_abraham(d, **KW, group="group", bin="tails")
