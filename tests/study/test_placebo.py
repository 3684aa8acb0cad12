"""The study's placebo study (analysis/placebo.py) on a small simulated panel, and its recommendation logic."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

import placebo as P
from _common import clean, load_spec
from placebo_summary import MODES, payload, recommendation, round_sig, summarise, table_frame

from sosek_impact.errors import MissingValueError
from sosek_impact.inference.few_treated_result import FewAssignmentsWarning
from sosek_impact.simulate import simulate_staggered_panel

DRAWS = {"random": 40, "smallest_third": 24, "matched": 8, "restricted": 24}


def _conf() -> dict:
    conf = load_spec("analysis/specs/placebo.toml")
    conf["specs"]["n_draws_per_fit"] = 199
    return conf


def _design(cohorts: dict[int, int], seed: int = 2, draws: dict[str, int] = DRAWS) -> P.Design:
    """30 regencies x 8 years, no effect, noise SD proportional to 1/sqrt(population)."""
    pop = np.exp(np.random.default_rng(3).normal(12.0, 1.0, 30))
    sim = simulate_staggered_panel(30, 8, cohorts=cohorts, effect="constant", effect_size=0.0, population=pop,
                                   seed=seed)
    frame = sim.rename(columns={"unit": "bps_code", "time": "year"})[["bps_code", "year", "y", "group"]]
    size = sim.groupby("unit")["population"].first().astype(float)
    size.index.name = "bps_code"
    return P.Design("sim", "simulated 30 x 8", frame, size, dict(draws), None, [])


@pytest.fixture(scope="module")
def two_adopters():
    d = _design({2005: 1, 2006: 1})
    return d, P.run_design(d, _conf(), 11)


def test_structure_and_rates_are_counts(two_adopters):
    design, out = two_adopters
    assert out["n_units"] == 30 and out["n_pool"] == 28 and out["treated"] == {str(u): g for u, g in design.treated.items()}
    assert set(out["runs"]) == set(MODES)
    assert len(out["smallest_third"]) == 28 // 3
    for mode, run in out["runs"].items():
        assert run["draws"] == DRAWS[mode] and not run["enumerated"]
        assert 1 <= run["distinct_designs"] <= run["draws"]
        assert run["cohorts"] == {"2005": 1, "2006": 1}
        n_specs = 4 if mode == "restricted" else 8
        assert len(run["specs"]) == n_specs
        assert {r["scale"] for r in run["specs"]} == {"pre_period", "none"}
        for r in run["specs"]:
            assert r["draws"] == run["draws"] and r["n"] + r["failures"] == r["draws"]
            assert r["rate"] == round_sig(r["rejections"] / r["n"])
            assert r["mc_se"] == pytest.approx((r["rate"] * (1 - r["rate"]) / r["n"]) ** 0.5, rel=1e-5)
            assert r["cp_low"] <= r["rate"] <= r["cp_high"]
            assert 0.0 <= r["share_infinite"] <= 1.0
            assert (r["restricted"] is not None) == (mode == "restricted")
            if mode == "restricted":
                assert r["method"] == "randomization"
    # the restricted specs re-assign among the smallest third: a fit receives that subset
    spec_names = [r["spec"] for r in out["runs"]["restricted"]["specs"]]
    assert all("eligible=smallest third" in s for s in spec_names)


def test_payload_is_json_and_deterministic(two_adopters):
    design, out = two_adopters
    conf = _conf()
    rec = recommendation({"sim": out}, default_scale="pre_period", limit=0.075)
    text = json.dumps(clean(payload(conf, {"sim": out}, rec, {}, {"spec": "x"}), 6), sort_keys=True)
    back = json.loads(text)
    assert set(back) >= {"designs", "recommendation", "settings", "provenance", "names", "tables"}
    assert back["designs"]["sim"]["runs"]["random"]["specs"][0]["rate"] == out["runs"]["random"]["specs"][0]["rate"]
    # rerun one mode with the same seed: identical summary (fake designs and every fit seeded)
    small = P.smallest(design.size, design.pool, 1 / 3)
    specs, info = P.study_specs(["cs"], ["randomization", "conley_taber"], ["pre_period"], n_draws=199, alpha=0.05)
    d = P.Design("sim", "s", design.frame, design.size, {"random": 8}, None, [])
    a = summarise(P.run_mode(d, "random", specs, 0.05, 5, small, 3)[0], info, enumerated=False, planned=8)
    b = summarise(P.run_mode(d, "random", specs, 0.05, 5, small, 3)[0], info, enumerated=False, planned=8)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_table_has_one_row_per_design_mode_spec(two_adopters, tmp_path):
    from sosek_impact.report.tables import write_table

    _, out = two_adopters
    t = table_frame({"sim": out})
    assert len(t) == 8 * 3 + 4
    assert t["rejected"].str.fullmatch(r"\d+/\d+").all()
    paths = write_table(t, tmp_path / "placebo", caption="placebo")
    md = (tmp_path / "placebo.md").read_text()
    assert len(paths) == 3 and md.count("\n| sim ") == len(t)


def test_one_adopter_is_enumerated_and_matches_the_library_matched_draw():
    from sosek_impact.inference.placebo_study import placebo_study

    d = _design({2007: 1}, seed=4, draws={"random": 40, "smallest_third": 40, "matched": 40, "restricted": 40})
    (t_unit,) = d.treated
    specs, info = P.study_specs(["cs"], ["randomization"], ["pre_period"], n_draws=199, alpha=0.05)
    res, enumerated = P.run_mode(d, "random", specs, 0.05, 1, [], 3)
    assert enumerated and res.n_draws == 29
    adopters = sorted(int(s.split(":")[0]) for s in res.draws["fake_adopters"])
    assert adopters == d.pool  # every untreated unit once
    near = P.nearest(d.size, d.pool, float(d.size[t_unit]), 3)
    res_m, enumerated = P.run_mode(d, "matched", specs, 0.05, 1, [], 3)
    assert enumerated and sorted(int(s.split(":")[0]) for s in res_m.draws["fake_adopters"]) == near
    # the library's matched draw picks among the same three candidates
    lib = placebo_study(d.frame.assign(size=d.frame["bps_code"].map(d.size)), "y", "bps_code", "year", "group",
                        specs=specs, n_draws=30, draw="matched", size="size", n_nearest=3, seed=3)
    assert sorted({int(s.split(":")[0]) for s in lib.draws["fake_adopters"]}) == near
    # more candidates than the draws allow: drawn, not enumerated
    d2 = P.Design("sim", "s", d.frame, d.size, {"random": 10}, None, [])
    res2, enumerated = P.run_mode(d2, "random", specs, 0.05, 1, [], 3)
    assert not enumerated and res2.n_draws == 10


def test_sizes_and_smallest_third():
    panel = pd.DataFrame({"bps_code": [1, 1, 2, 2, 3, 3], "year": [2000, 2001] * 3,
                          "population": [10.0, 30.0, 5.0, np.nan, np.nan, np.nan]})
    with pytest.raises(MissingValueError, match="bps_code=3"):
        P.unit_size(panel, "population", (2000, 2001), [1, 2, 3])
    s = P.unit_size(panel, "population", (2000, 2001), [1, 2])
    assert s.to_dict() == {1: 20.0, 2: 5.0}  # the mean of the observed years; the gap is not filled
    size = pd.Series(np.arange(1.0, 10.0), index=range(1, 10))
    assert P.smallest(size, list(range(1, 10)), 1 / 3) == [1, 2, 3]
    assert P.smallest(size, [4, 5, 6, 7, 8, 9], 1 / 3) == [4, 5]
    assert P.nearest(size, [1, 2, 3, 7, 8], 6.2, 2) == [7, 8]
    assert P.nearest(size, [3, 7], 5.0, 1) == [3]  # a tie goes to the first unit, as in placebo_study


def _rows(rates: dict[tuple[str, str, str], float], restricted: dict[tuple[str, str], tuple[float, float]] | None = None,
          n: int = 500):
    """Constructed draw-mode summaries: the same rates in every draw mode, ``n`` designs each."""
    from scipy import stats

    def row(rate, **kw):
        ci = stats.binomtest(round(rate * n), n, 0.05).proportion_ci(method="exact")
        return {"rate": rate, "n": n, "cp_low": ci.low, "cp_high": ci.high, **kw}

    specs = [row(r, spec=f"{e} {m} {s}", estimator=e, method=m, scale=s, restricted=None, share_infinite=0.0,
                 rejections=round(r * n)) for (e, m, s), r in rates.items()]
    runs = {mode: {"specs": copy.deepcopy(specs), "distinct_designs": n} for mode in ("random", "smallest_third", "matched")}
    runs["restricted"] = {"specs": [row(r, spec=f"{e} r {s}", estimator=e, method="randomization", scale=s,
                                        restricted="eligible=smallest third", share_infinite=inf)
                                    for (e, s), (r, inf) in (restricted or {}).items()]}
    return {"d": {"runs": runs}}


def test_recommendation_flips_with_the_rates():
    ok = {("cs", "randomization", "pre_period"): 0.05, ("cs", "conley_taber", "pre_period"): 0.074,
          ("cs", "randomization", "none"): 0.30}
    rec = recommendation(_rows(ok, {("cs", "pre_period"): (0.05, 0.0)}), default_scale="pre_period", limit=0.075)["d"]
    assert rec["default_holds_level_smallest_third"] and not rec["restriction_needed"]
    assert set(rec["specs"]) == {"cs randomization pre_period", "cs conley_taber pre_period"}  # scale=none is not judged
    assert all(v["restriction"].startswith("not needed") for v in rec["specs"].values())

    boundary = recommendation(_rows(ok | {("cs", "conley_taber", "pre_period"): 0.075}), default_scale="pre_period",
                              limit=0.075)["d"]
    assert boundary["specs"]["cs conley_taber pre_period"]["holds_level"]  # 0.075 holds; above it does not
    bad_ri = ok | {("cs", "randomization", "pre_period"): 0.076}
    rec = recommendation(_rows(bad_ri, {("cs", "pre_period"): (0.05, 0.0)}), default_scale="pre_period", limit=0.075)["d"]
    assert not rec["default_holds_level_smallest_third"] and rec["restriction_needed"]
    assert rec["specs"]["cs randomization pre_period"]["restriction"].startswith("needed")
    assert rec["default_holds_level_by_draw"] == {"random": False, "smallest_third": False, "matched": False}
    assert "Under the matched by population (nearest 3) draw (500 distinct designs)" in rec["verdict"]

    rec = recommendation(_rows(bad_ri, {("cs", "pre_period"): (0.2, 0.0)}), default_scale="pre_period", limit=0.075)["d"]
    assert not rec["restriction_needed"] and "does not fix" in rec["specs"]["cs randomization pre_period"]["restriction"]
    rec = recommendation(_rows(bad_ri, {("cs", "pre_period"): (0.0, 1.0)}), default_scale="pre_period", limit=0.075)["d"]
    assert rec["specs"]["cs randomization pre_period"]["restriction"].startswith("not possible")

    bad_ct = ok | {("cs", "conley_taber", "pre_period"): 0.12}
    rec = recommendation(_rows(bad_ct, {("cs", "pre_period"): (0.05, 0.0)}), default_scale="pre_period", limit=0.075)["d"]
    assert not rec["default_holds_level_smallest_third"] and not rec["restriction_needed"]
    assert rec["specs"]["cs conley_taber pre_period"]["restriction"].startswith("not available")
    assert "cs conley_taber pre_period" in rec["verdict"]
    assert rec["specs"]["cs conley_taber pre_period"]["conclusive"]  # 60/500: the interval lies above 0.05
    assert "Inconclusive" not in rec["verdict"]


def test_recommendation_says_when_few_designs_cannot_decide():
    few = {("cs", "randomization", "pre_period"): 2 / 15, ("cs", "conley_taber", "pre_period"): 1 / 15}
    rec = recommendation(_rows(few, n=15), default_scale="pre_period", limit=0.075)["d"]
    spec = rec["specs"]["cs randomization pre_period"]
    assert not spec["holds_level"] and not spec["conclusive"]
    assert not rec["specs"]["cs conley_taber pre_period"]["conclusive"]
    assert "Inconclusive with 15 designs" in rec["verdict"] and "  " not in rec["verdict"]


def test_randomisation_inference_is_exact_on_a_census():
    """One fake adopter, every untreated unit once: unstudentised RI rejects in floor(alpha * n) designs."""
    d = _design({2007: 1}, seed=4, draws={"random": 40})
    specs, info = P.study_specs(["cs", "imputation"], ["randomization"], ["none"], n_draws=199, alpha=0.05)
    res, enumerated = P.run_mode(d, "random", specs, 0.05, 1, [], 3)
    out = summarise(res, info, enumerated=enumerated, planned=40)
    assert enumerated and out["draws"] == 29
    for r in out["specs"]:
        assert r["rejections"] == int(0.05 * 29) and r["rate_p_value"] == r["rate"]


@pytest.mark.filterwarnings("ignore:only 30 distinct")
def test_fits_pass_eligible_and_control():
    from sosek_impact.inference.few_treated import few_treated_inference

    d = _design({2007: 1}, seed=4)
    (t,) = d.treated
    frame = d.frame.rename(columns={"bps_code": "unit", "year": "time"})
    full, _ = P.study_specs(["cs"], ["randomization"], ["pre_period"], n_draws=199, alpha=0.05)
    free = full[0].fit(frame, 1)
    assert np.isfinite(free.ci_low) and np.isfinite(free.ci_high)
    # re-assignment among 5 units: 5 assignments cannot reach 5 %, so the interval is the whole line
    five, info = P.restricted_specs(["cs"], ["pre_period"], [t] + d.pool[:4], "five units", n_draws=199, alpha=0.05)
    with pytest.warns(FewAssignmentsWarning, match="only 5 distinct"):
        tied = five[0].fit(frame, 1)
    assert tied.ci_low == -np.inf and tied.ci_high == np.inf and tied.estimate == pytest.approx(free.estimate)
    assert info[five[0].name].restricted == "eligible=five units"
    # control= reaches the estimator: imputation with never-treated controls, as the primary specification
    d2 = _design({2005: 1, 2006: 1})
    f2 = d2.frame.rename(columns={"bps_code": "unit", "year": "time"})
    never, _ = P.study_specs(["imputation"], ["randomization"], ["pre_period"], n_draws=199, alpha=0.05, control="never")
    ref = few_treated_inference(f2, "y", "unit", "time", "group", estimator="imputation", control="never", n_draws=199,
                                seed=1)
    default = few_treated_inference(f2, "y", "unit", "time", "group", estimator="imputation", n_draws=199, seed=1)
    got = never[0].fit(f2, 1)
    assert got.estimate == pytest.approx(float(ref.estimate[0]), abs=1e-12)
    assert abs(float(default.estimate[0]) - float(ref.estimate[0])) > 1e-6  # the option matters on this panel
