"""``placebo_study``: fake adoption timings on a panel's untreated units, rejection rates of a true null.

References: simulations with a known truth. With equal noise and fake adopters drawn at random,
randomisation inference is exact, so its rejection rate must lie within the binomial band around
alpha; when the fake adopters are the small, noisy units, the equal-variance method must
over-reject (and a rescaled method, once ``few_treated_inference`` has ``scale``, must not).
"""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import GroupColumnError, MissingValueError, SchemaError
from sosek_impact.estimators import att_gt
from sosek_impact.inference import few_treated_inference, placebo_study
from sosek_impact.montecarlo import few_treated_method
from sosek_impact.results_protocol import TIDY_COLUMNS
from sosek_impact.simulate import simulate_staggered_panel

COHORTS = {2005: 1, 2006: 2}
ALPHA = 0.05
HAS_SCALE = "scale" in inspect.signature(few_treated_inference).parameters


def _specs(*pairs):
    """Few-treated specs with 199 draws per fit (test size: the test's level does not depend on it)."""
    return [few_treated_method(*p, n_draws=199) for p in pairs]


def _band(n: int, p: float = ALPHA, k: float = 3.0) -> tuple[float, float]:
    se = math.sqrt(p * (1 - p) / n)
    return p - k * se, p + k * se


@pytest.fixture(scope="module")
def equal_panel() -> pd.DataFrame:
    # 3 truly treated units with a large effect (they must be dropped), 42 untreated, equal noise
    return simulate_staggered_panel(45, 8, cohorts=COHORTS, effect="constant", effect_size=5.0, seed=3)


@pytest.fixture(scope="module")
def equal_study(equal_panel):
    return placebo_study(equal_panel, "y", "unit", "time", "group", n_draws=300, seed=11,
                         specs=_specs(("cs", "randomization"), ("cs", "conley_taber")))


def test_equal_noise_rejects_at_about_alpha(equal_study):
    """RI with fake adopters drawn like its own re-assignments is exact on *any* fixed panel: binomial band.

    Conley-Taber is asymptotic (42 controls) and, on one fixed panel, its placebo rate is a rate
    conditional on that panel's errors (0.06-0.09 over seeds at 300 draws): it must stay below 2 alpha.
    """
    t = equal_study.tidy().set_index("term")
    lo, hi = _band(300)
    assert lo <= t.loc["CS + randomisation inference", "estimate"] <= hi, t.loc["CS + randomisation inference"].to_dict()
    assert 0 < t.loc["CS + Conley-Taber", "estimate"] < 2 * ALPHA, t.loc["CS + Conley-Taber"].to_dict()
    for name in ["CS + randomisation inference", "CS + Conley-Taber"]:
        assert t.loc[name, "n"] == 300 and t.loc[name, "failures"] == 0
        assert t.loc[name, "share_infinite"] == 0 and 0 < t.loc[name, "mean_length"] < math.inf


def test_truly_treated_units_are_dropped_and_cohorts_kept(equal_panel, equal_study):
    treated = set(equal_panel.loc[equal_panel["group"] > 0, "unit"])
    assert equal_study.settings["dropped_treated"] == sorted(treated)
    assert equal_study.cohorts == COHORTS and equal_study.settings["n_pool"] == 42
    for text in equal_study.draws["fake_adopters"].unique():
        pairs = [p.split(":") for p in text.split("; ")]
        assert not {int(u) for u, _ in pairs} & treated
        assert sorted(int(g) for _, g in pairs) == [2005, 2006, 2006]


def test_rejection_agrees_with_p_value_and_estimate_with_att_gt(equal_panel, equal_study):
    d = equal_study.draws
    ri = d[d["method"] == "CS + randomisation inference"]
    # the RI interval inverts the test exactly: 0 is outside it iff p <= alpha
    assert (ri["reject"] == ri["reject_p"]).all()
    # one fake design refitted by att_gt (an independent code path) gives the same estimate
    row = ri.iloc[7]
    fake = {int(u): int(g) for u, g in (p.split(":") for p in row["fake_adopters"].split("; "))}
    pool = equal_panel[equal_panel["group"] == 0].copy()
    pool["g"] = pool["unit"].map(fake).fillna(0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-unit cohort notes of the analytical errors, not used here
        att = att_gt(pool, y="y", unit="unit", time="time", group="g", control="never").aggregate("simple").overall()
    assert row["estimate"] == pytest.approx(float(att["att"]), abs=1e-10)


def test_results_protocol(equal_study):
    t = equal_study.tidy()
    assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    d = equal_study.draws
    for _, r in t.iterrows():
        m = d[d["method"] == r["term"]]
        assert r["estimate"] == pytest.approx(m["reject"].mean())
        assert r["conf_low"] <= r["estimate"] <= r["conf_high"]
        assert r["std_error"] == pytest.approx(math.sqrt(r["estimate"] * (1 - r["estimate"]) / 300))
    text = equal_study.summary()
    assert "rejection rate" in text and "300 fake designs (" in text and "CS + Conley-Taber" in text
    # 3 of 42 units in cohorts 1 + 2: 34,440 designs, so a few of 300 random draws repeat
    assert 290 <= equal_study.settings["n_distinct_designs"] <= 300
    assert not any("distinct" in n for n in equal_study.notes)
    assert equal_study.conf_int(level=0.9).shape == (2, 2)


def test_deterministic_and_executor_independent(equal_panel):
    kw = dict(n_draws=12, seed=5, specs=[("cs", "randomization")])
    a = placebo_study(equal_panel, "y", "unit", "time", "group", **kw)
    calls: list[int] = []
    with cf.ThreadPoolExecutor(2) as ex:
        b = placebo_study(equal_panel, "y", "unit", "time", "group", executor=ex, chunksize=5,
                          progress=lambda done, total: calls.append(done), **kw)
    cols = [c for c in a.draws.columns if c != "seconds"]
    pd.testing.assert_frame_equal(a.draws[cols], b.draws[cols])
    assert calls[-1] == 12 and calls == sorted(calls)
    c = placebo_study(equal_panel, "y", "unit", "time", "group", **{**kw, "seed": 6})
    assert not c.draws["fake_adopters"].equals(a.draws["fake_adopters"])


@pytest.fixture(scope="module")
def size_panel() -> pd.DataFrame:
    # noise SD ~ 1/sqrt(population) over a 100-fold range of sizes; the 3 smallest are truly treated
    pop = np.geomspace(1.0, 100.0, 48)
    return simulate_staggered_panel(48, 8, cohorts=COHORTS, effect="constant", population=pop, treated="smallest",
                                    seed=8)


def _smallest_third(p: pd.DataFrame) -> pd.Series:
    size = p.groupby("unit")["population"].first()
    return size <= size.quantile(1 / 3)


def test_among_a_callable_and_a_column(size_panel):
    r = placebo_study(size_panel, "y", "unit", "time", "group", n_draws=20, seed=1, among=_smallest_third,
                      specs=[("cs", "randomization")])
    small = set(_smallest_third(size_panel[size_panel["group"] == 0]).loc[lambda s: s].index)
    used = {int(p.split(":")[0]) for t in r.draws["fake_adopters"] for p in t.split("; ")}
    assert used <= small and r.settings["n_eligible"] == len(small)
    col = size_panel.assign(small=size_panel["unit"].isin(small))
    r2 = placebo_study(col, "y", "unit", "time", "group", n_draws=20, seed=1, among="small",
                       specs=[("cs", "randomization")])
    pd.testing.assert_series_equal(r.draws["fake_adopters"], r2.draws["fake_adopters"])


def test_noisy_small_fake_adopters_make_the_equal_variance_method_over_reject(size_panel):
    scale = "none" if HAS_SCALE else None
    r = placebo_study(size_panel, "y", "unit", "time", "group", n_draws=200, seed=2, among=_smallest_third,
                      specs=_specs(("cs", "randomization", scale), ("cs", "conley_taber", scale)))
    t = r.tidy().set_index("term")
    _, hi = _band(200)
    assert (t["estimate"] > hi).all(), t[["estimate", "std_error"]]
    assert (t["p_value"] < 0.001).all()
    # the same panel with fake adopters drawn from every untreated unit: RI is exact again
    r_all = placebo_study(size_panel, "y", "unit", "time", "group", n_draws=200, seed=2,
                          specs=_specs(("cs", "randomization", scale)))
    lo, hi = _band(200)
    assert lo <= r_all.tidy()["estimate"].iloc[0] <= hi


@pytest.mark.skipif(not HAS_SCALE, reason="few_treated_inference has no scale parameter yet")
def test_rescaled_method_holds_its_level_with_noisy_small_adopters(size_panel):
    r = placebo_study(size_panel, "y", "unit", "time", "group", n_draws=200, seed=2, among=_smallest_third,
                      specs=_specs(("cs", "randomization", "pre_period"), ("cs", "randomization", "none")))
    t = r.tidy().set_index("term")
    lo, hi = _band(200)
    assert lo <= t.loc["CS + randomisation inference [scale=pre_period]", "estimate"] <= hi
    assert t.loc["CS + randomisation inference [scale=none]", "estimate"] > hi


def test_matched_draw_takes_the_nearest_untreated_units(size_panel):
    r = placebo_study(size_panel, "y", "unit", "time", "group", n_draws=12, seed=3, draw="matched", size="population",
                      n_nearest=1, specs=[("cs", "randomization")])
    size = size_panel.groupby("unit")["population"].first()
    treated = size_panel.loc[size_panel["group"] > 0].groupby("unit")["group"].first()
    pool = size.drop(treated.index)
    # treated are the 3 smallest: with n_nearest=1 they take the 3 smallest untreated units, whatever the order
    expected = set(pool.nsmallest(3).index)
    for text in r.draws["fake_adopters"]:
        pairs = {int(u): int(g) for u, g in (p.split(":") for p in text.split("; "))}
        assert set(pairs) == expected and sorted(pairs.values()) == sorted(treated.tolist())
    r3 = placebo_study(size_panel, "y", "unit", "time", "group", n_draws=30, seed=3, draw="matched", size="population",
                       n_nearest=3, specs=[("cs", "randomization")])
    # the same 3 units each time; only which of them gets the 2005 cohort can change (3 designs at most)
    assert r.settings["n_distinct_designs"] <= 3 and any("distinct fake designs" in n for n in r.notes)
    used = {int(p.split(":")[0]) for t in r3.draws["fake_adopters"] for p in t.split("; ")}
    assert used <= set(pool.nsmallest(5).index) and len(used) > 3  # random among the near ones, never far


def test_bad_input_gets_clear_errors(equal_panel, size_panel):
    call = lambda d, **kw: placebo_study(d, "y", "unit", "time", "group", n_draws=2, specs=[("cs", "randomization")], **kw)  # noqa: E731
    with pytest.raises(SchemaError, match="outcome|not in the data"):
        placebo_study(equal_panel, "nope", "unit", "time", "group", n_draws=2)
    with pytest.raises(ValueError, match="needs size"):
        call(equal_panel, draw="matched")
    holes = size_panel.assign(population=size_panel["population"].where(size_panel["unit"] != 20))
    with pytest.raises(MissingValueError, match="unit=20"):
        call(holes, draw="matched", size="population")
    with pytest.raises(ValueError, match="cannot hold the 3 fake"):
        call(equal_panel, among=[1, 2] if 1 not in set(equal_panel.loc[equal_panel.group > 0, "unit"]) else [4, 5])
    with pytest.raises(GroupColumnError, match="not in the panel"):
        call(equal_panel, among=[9999])
    hole = equal_panel.copy()
    hole.loc[(hole["unit"] == 30) & (hole["time"] == 2003), "y"] = np.nan
    with pytest.raises(MissingValueError, match="30"):
        call(hole)  # checked once, before any draw: no silent drop, no per-draw failures
    with pytest.raises(GroupColumnError, match="must start after the first period"):
        call(equal_panel[equal_panel["group"] == 0], cohorts={2000: 1})
    treated = sorted(set(equal_panel.loc[equal_panel["group"] > 0, "unit"]))
    untreated = sorted(set(equal_panel["unit"]) - set(treated))
    r = call(equal_panel, among=[treated[0], *untreated[:5]])
    assert any("truly treated" in n for n in r.notes) and r.settings["n_eligible"] == 5
    with pytest.raises(GroupColumnError, match="no unit is treated"):
        call(equal_panel[equal_panel["group"] == 0])
    r = call(equal_panel[equal_panel["group"] == 0], cohorts={2006: 2})
    assert r.cohorts == {2006: 2}
