"""The night-lights study functions on simulated panels with known truths, and the extract → panel chain."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

import night_lights as nl
from sosek_impact import paths
from sosek_impact.errors import SchemaError
from sosek_impact.panel.night_lights import night_lights_panel, read_night_lights

SPEC = nl.load_spec(nl.SPEC)


def small_spec(n_draws: int = 199) -> dict:
    spec = dict(SPEC)
    spec["inference"] = {"few_treated": {"n_draws": n_draws, "alpha": 0.05}, "conley_taber": {"n_draws": n_draws},
                         "mde": {"alpha": 0.05, "power": 0.8}}
    return spec


def staggered(effect: float, seed: int, n_units: int = 40, years=(1992, 2022), cohorts=((2017, 1), (2018, 2)),
              sd: float = 0.1) -> pd.DataFrame:
    """Unit + year effects + AR(1)-free noise; ``effect`` added to treated cells."""
    rng = np.random.default_rng(seed)
    yrs = np.arange(years[0], years[1] + 1)
    group = np.zeros(n_units, dtype=int)
    k = 0
    for g, n in cohorts:
        group[k:k + n] = g
        k += n
    a = rng.normal(5, 1, n_units)
    b = np.cumsum(rng.normal(0.03, 0.05, len(yrs)))
    rows = []
    for i in range(n_units):
        for j, t in enumerate(yrs):
            d = group[i] > 0 and t >= group[i]
            rows.append((1000 + i, int(t), a[i] + b[j] + effect * d + rng.normal(0, sd), int(group[i])))
    return pd.DataFrame(rows, columns=["bps_code", "year", "y", "group"])


# --------------------------------------------------------------------------------------------
# extract -> panel chain on the real source
# --------------------------------------------------------------------------------------------


def _source_value(path, line: int, column: str) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    return rows[line - 1][header.index(column)]


def test_extractor_and_panel_give_the_source_values(tmp_path):
    from sosek_impact.extracts.night_lights import night_lights
    from sosek_impact.harmonise.registry import default_registry

    shared = paths.shared_dir()
    if shared is None:
        pytest.skip("../shared/data not present")
    lights = night_lights(shared, default_registry())
    out = tmp_path / "night_lights.csv"
    lights.to_csv(out, index=False)
    lp = night_lights_panel(read_night_lights(out), pd.read_parquet(paths.processed_dir() / "panel.parquet"))
    assert lp.shape[0] == 56 * 31 and lp["bps_code"].nunique() == 56
    src = shared / "sources/quarcs-lab__indonesia514/ntl/global_nighttime_light_dataset_district_1992_2022.kalimantan_rows.csv"
    s = lp.set_index(["bps_code", "year"])
    sanggau = s.loc[(6105, 2015)]
    assert _source_value(src, int(sanggau["ntl_source_row"]), "district") == "Sanggau"
    assert sanggau["ntl_sum"] == float(_source_value(src, int(sanggau["ntl_source_row"]), "sum")) == 1639.25
    # IDN_0318 is Mempawah: its 2007 drop 2,210 -> 25 sits on 6104, flagged; Kota Pontianak untouched
    assert (s.loc[(6104, 2006), "ntl_sum"], s.loc[(6104, 2007), "ntl_sum"]) == (2210.0, 25.0)
    assert bool(s.loc[(6104, 2007), "sharp_drop"]) and bool(s.loc[(6104, 2007), "mempawah_fix"])
    assert s.loc[(6171, 2015), "pixel_count"] == 107 and not bool(s.loc[(6171, 2015), "mempawah_fix"])
    # Kota Bontang 2008 = 2009 = 2010: repeats flagged, values kept
    assert s.loc[(6474, 2008), "ntl_sum"] == s.loc[(6474, 2010), "ntl_sum"] and bool(s.loc[(6474, 2009), "repeated_previous_year"])
    # economic columns missing before 2000, present after (never filled)
    assert s.loc[(6105, 1999), ["grdp", "population", "grdp_pc"]].isna().all()
    assert s.loc[(6105, 2010), ["grdp", "population", "grdp_pc"]].notna().all()
    # the committed extract is the extractor's output
    committed = read_night_lights()
    pd.testing.assert_frame_equal(committed, read_night_lights(out))


def test_panel_keeps_a_missing_district_year_visible():
    lights = read_night_lights()
    panel = pd.read_parquet(paths.processed_dir() / "panel.parquet")
    gap = lights.loc[~((lights["bps_code"] == 6105) & (lights["year"] == 2015))]
    lp = night_lights_panel(gap, panel)
    row = lp.loc[(lp["bps_code"] == 6105) & (lp["year"] == 2015)]
    assert len(row) == 1 and row["ntl_sum"].isna().all() and row["sharp_drop"].isna().all()
    assert row["grdp"].notna().all()                  # the economic value of that year is still there
    # border status of the year from the registry: Bengkayang and Malinau border regencies from 1999
    b = lp.set_index(["bps_code", "year"])["border"]
    assert b[6105].all() and not b[6201].any()
    assert (b[(6102, 1998)], b[(6102, 1999)], b[(6501, 1998)], b[(6501, 2000)]) == (False, True, False, True)
    assert b[(6402, 2012)] and not b[(6402, 2013)] and b[(6411, 2013)]
    with pytest.raises(SchemaError):
        night_lights_panel(lights.assign(bps_code=lights["bps_code"].where(lights["bps_code"] != 6105, 9999)), panel)


# --------------------------------------------------------------------------------------------
# a. validation regression: the package's CRV1 fit against pyfixest; truth recovered
# --------------------------------------------------------------------------------------------


def test_fe_elasticity_matches_pyfixest_and_recovers_the_truth():
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(3)
    n, T, beta = 50, 18, 1.2
    i = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(2000, 2000 + T), n)
    x = rng.normal(0, 1, n)[i] + 0.05 * (t - 2000) + rng.normal(0, 0.3, n * T)
    y = beta * x + rng.normal(0, 1, n)[i] + rng.normal(0, 0.2, T)[t - 2000] + rng.normal(0, 0.3, n * T)
    d = pd.DataFrame({"bps_code": i, "year": t, "log_lights": y, "log_grdp": x})
    conf = {"cluster": "bps_code", "wild_bootstrap": {"reps": 399, "weights": "webb"}}
    r = nl.fe_elasticity(d, "log_lights", "log_grdp", conf, seed=1)
    ref = pf.feols("log_lights ~ log_grdp | bps_code + year", data=d, vcov={"CRV1": "bps_code"})
    assert r["estimate"] == pytest.approx(float(ref.coef()["log_grdp"]), abs=1e-9)
    assert r["se_crv1"] == pytest.approx(float(ref.se()["log_grdp"]), rel=1e-6)
    assert abs(r["estimate"] - beta) < 4 * r["se_crv1"]
    assert r["wild_conf_low"] < beta < r["wild_conf_high"] and r["conf_low"] < beta < r["conf_high"]
    assert r["wild_p"] < 0.01


# --------------------------------------------------------------------------------------------
# b, c. few-treated DiD rows on simulated panels
# --------------------------------------------------------------------------------------------


def test_did_rows_find_a_planted_effect_and_cover_it():
    d = staggered(0.8, seed=11)
    failures: list = []
    rows = nl.did_rows(d, small_spec(), "sim", failures)
    assert not failures and [r["estimator"] for r in rows] == list(nl.ESTIMATORS.values())
    for r in rows:
        ri, ct = r["randomization"], r["conley_taber"]
        assert abs(r["estimate"] - 0.8) < 0.15
        assert ri["conf_low"] < 0.8 < ri["conf_high"] and ri["conf_low"] > 0
        assert ri["p_value"] <= 0.05 and ct["conf_low"] < 0.8 < ct["conf_high"]
        assert 0 < ri["mde"]["mde"] < 0.8
        assert r["n_treated"] == 3 and r["n_units"] == 40


def test_did_rows_estimates_equal_the_library_estimators():
    from sosek_impact.estimators.did import att_gt
    from sosek_impact.estimators.imputation import did_imputation

    d = staggered(0.3, seed=5, n_units=25)
    rows = nl.did_rows(d, small_spec(99), "sim", [])
    cs = att_gt(d, "y", "bps_code", "year", "group", control="never", method="reg", base_period="varying",
                bootstrap=False).aggregate("simple", na_rm=True).estimate
    imp = did_imputation(d, "y", "bps_code", "year", "group", control="not_yet").estimate
    assert rows[0]["estimate"] == pytest.approx(float(cs), abs=1e-10)
    assert rows[1]["estimate"] == pytest.approx(float(imp), abs=1e-10)
    # independent reference: diff-diff's Callaway-Sant'Anna (outcome regression, never-treated, varying base)
    dd = pytest.importorskip("diff_diff")
    ref = dd.CallawaySantAnna(control_group="never_treated", estimation_method="reg", base_period="varying").fit(
        d, "y", "bps_code", "year", "group")
    assert rows[0]["estimate"] == pytest.approx(float(ref.overall_att), abs=1e-10)


def test_no_effect_is_rejected_at_about_the_level_and_dynamic_intervals_cover_zero():
    # 20 null panels: a 5 % test rejects 1 on average; 5 or more has probability 0.016 per estimator
    rejections = np.zeros(2, dtype=int)
    for s in range(20):
        rows = nl.did_rows(staggered(0.0, seed=100 + s), small_spec(99), "sim", [])
        rejections += [r["randomization"]["p_value"] <= 0.05 for r in rows]
    assert (rejections <= 4).all(), rejections
    d = staggered(0.0, seed=21)
    dyn = nl.dynamic(d, small_spec(), [], "sim")
    post = [e for e in dyn if e["event_time"] >= 0]
    assert len(post) == 6 and sum(e["conf_low"] <= 0 <= e["conf_high"] for e in dyn) >= 0.85 * len(dyn)


def _fake_lights(values: dict[int, float], years=range(1992, 1998)) -> pd.DataFrame:
    rows = []
    for c, v in values.items():
        for t in years:
            rows.append({"bps_code": c, "year": t, "ntl_sum": v * (1.5 if (c in (6402, 6501) and t >= 1995) else 1.0),
                         "pixel_count": 100.0, "province_code": c // 100})
    return pd.DataFrame(rows)


def test_forum_frame_sums_to_1995_boundaries_and_treats_the_border_parents():
    from sosek_impact.harmonise.crosswalk import split_crosswalk

    codes = {6101: 50, 6171: 900, 6201: 80, 6271: 300, 6301: 70, 6401: 60, 6402: 20, 6403: 400, 6404: 90,
             6405: 40, 6409: 30, 6411: 1, 6474: 200, 6501: 5, 6502: 60, 6503: 3, 6504: 25, 6571: 150}
    lp = _fake_lights(codes)
    conf = {"year": 1995, "vintage_year": 1995, "years": [1992, 1997], "exclude_provinces": [61]}
    d, info = nl.forum_frame(lp, conf, "ntl_sum", nl.ever_border(), split_crosswalk())
    assert info["treated"] == {"6403": [6402, 6403, 6404, 6411, 6474], "6502": [6501, 6502, 6503, 6504]}
    assert info["treated_codes_before_2012"] == {"6403": 6403, "6502": 6407}   # Bulungan 6407 until the Kaltara split
    kutai_1992 = d.loc[(d["bps_code"] == 6403) & (d["year"] == 1992), "y"].item()
    assert kutai_1992 == pytest.approx(np.log1p(20 + 400 + 90 + 1 + 200))
    assert set(d.loc[d["group"] == 1995, "bps_code"]) == {6403, 6502}
    assert not (d["bps_code"] // 100 == 61).any()                      # West Kalimantan left out
    assert {6401, 6405, 6201, 6301, 6571} <= set(d.loc[d["group"] == 0, "bps_code"])
    assert 6409 not in set(d["bps_code"])                               # Penajam Paser Utara inside Pasir (6401) in 1995
    today, info_t = nl.forum_frame(lp, conf | {"boundaries": "today"}, "ntl_sum", nl.ever_border(), split_crosswalk())
    assert set(info_t["treated"]) == {"6402", "6411", "6501", "6504"}


# --------------------------------------------------------------------------------------------
# d. seam
# --------------------------------------------------------------------------------------------


def test_seam_adjustment_recovers_a_planted_level_shift():
    d = staggered(0.0, seed=8, sd=0.05)
    level = d.loc[d["year"].between(2010, 2013)].groupby("bps_code")["y"].mean()
    shift = (d["year"] >= 2014) * 0.4 * (d["bps_code"].map(level) - level.mean())
    adj, info = nl.seam_adjusted(d.assign(y=d["y"] + shift), 2014, (2010, 2013))
    assert info["beta"] == pytest.approx(0.4, abs=0.05)
    # the within fit equals the package's fixed-effects regression on the controls
    conf = {"cluster": "bps_code", "wild_bootstrap": {"reps": 99, "weights": "webb"}}
    assert nl.fe_elasticity(info["controls_frame"], "y", "x", conf, seed=0)["estimate"] == pytest.approx(info["beta"], abs=1e-9)
    # the adjusted outcome no longer carries the shift
    _, again = nl.seam_adjusted(adj, 2014, (2010, 2013))
    assert abs(again["beta"]) < 0.05


def test_jump_flags_a_planted_break_and_not_a_smooth_series():
    years = np.arange(1992, 2023)
    rng = np.random.default_rng(2)
    smooth = pd.Series(0.02 * (years - 1992) + rng.normal(0, 0.01, len(years)), index=years)
    broken = smooth + 0.5 * (years >= 2014)
    assert abs(nl.jump(smooth, 2014)["z"]) < 3
    j = nl.jump(broken, 2014)
    assert j["z"] > 10 and j["rank_of_abs_change"] == 1


def test_plbn_frame_treats_the_first_posts_and_keeps_never_border_controls():
    from sosek_impact.registry import treatment_timing

    lp = night_lights_panel(read_night_lights(), pd.read_parquet(paths.processed_dir() / "panel.parquet"))
    timing = treatment_timing("plbn", units=sorted(lp["bps_code"].unique()), first_full_year=True)
    border = nl.ever_border()
    d = nl.plbn_frame(lp, SPEC, "ntl_sum", timing, border)
    groups = d.groupby("bps_code")["group"].first()
    assert groups[groups > 0].to_dict() == {6101: 2018, 6105: 2017, 6108: 2018}
    # Bengkayang (post in 2024), Sintang, Kutai Barat, Mahakam Ulu, Malinau, Nunukan: border, not controls
    assert not {6102, 6107, 6402, 6411, 6501, 6504} & set(d["bps_code"])
    assert d["bps_code"].nunique() == 56 - len(border) + 3 and (d.groupby("bps_code").size() == 31).all()
    sanggau = d.loc[(d["bps_code"] == 6105) & (d["year"] == 2015), "y"].item()
    assert sanggau == pytest.approx(np.log1p(1639.25))


def test_validation_frame_drops_dark_rows_visibly_and_makes_lights_per_person():
    lp = pd.DataFrame({"bps_code": [1, 1, 2, 2], "year": [2000, 2001, 2000, 2001], "ntl_sum": [0.0, 10.0, 20.0, 40.0],
                       "grdp": [5.0, 6.0, np.nan, 8.0], "population": [100.0, 100.0, 200.0, 400.0],
                       "repeated_previous_year": [False, False, False, True], "sharp_drop": [False] * 4,
                       "backcast": pd.array([pd.NA, True, False, False], dtype="boolean")})
    d, counts = nl.validation_frame(lp, {"variable": "grdp", "years": [2000, 2001]}, 2014)
    assert counts == {"no_grdp": 1, "dark_dropped": 1} and len(d) == 2
    assert d["log_lights"].tolist() == pytest.approx([np.log(10.0), np.log(40.0)])
    d, counts = nl.validation_frame(lp, {"variable": "grdp", "years": [2000, 2001], "drop_flagged": True,
                                         "lights_per_capita": True}, 2014)
    assert counts["flagged_dropped"] == 1 and d["log_lights"].tolist() == pytest.approx([np.log(10.0 / 100.0)])
    d, counts = nl.validation_frame(lp, {"variable": "grdp", "years": [2000, 2001], "drop_backcast": True}, 2014)
    assert counts["backcast_dropped"] == 1 and d["bps_code"].tolist() == [2]
