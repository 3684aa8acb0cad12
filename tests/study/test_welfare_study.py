"""Analysis 6 (welfare, second wave), the 2019/2020 break adjustment and the table rules of analysis 1."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from _common import ROOT


def test_chain_link_removes_a_planted_level_break_and_nothing_else():
    from grdp_break import chain_link

    years = np.arange(2015, 2025)
    rows = []
    for code, growth, jump in ((1, 0.03, -0.2), (2, 0.05, 0.0)):
        y = 100 * np.exp(growth * (years - 2015) + np.where(years >= 2020, jump, 0.0))
        rows += [{"bps_code": code, "year": int(t), "v": float(v)} for t, v in zip(years, y, strict=True)]
    panel = pd.DataFrame(rows)
    adj = np.log(chain_link(panel, "v", 2020))
    w = panel.assign(a=adj).pivot(index="bps_code", columns="year", values="a")
    assert np.allclose(w.diff(axis=1).iloc[:, 1:].loc[1], 0.03, atol=1e-12)  # break gone, own growth kept
    assert np.allclose(w.loc[2], np.log(panel.loc[panel["bps_code"] == 2, "v"]).to_numpy(), atol=1e-12)  # no break: unchanged
    assert np.allclose(w.loc[1, :2019], np.log(panel.loc[(panel["bps_code"] == 1) & (panel["year"] <= 2019), "v"]).to_numpy())


def test_second_wave_sample_has_bengkayang_only(built_panel):
    import welfare
    from _common import load_spec
    from sosek_impact.registry import border_regencies

    spec = load_spec(welfare.SPEC)
    panel = pd.read_parquet(ROOT / spec["data"]["panel"])
    first = welfare.timing(spec, sorted(panel["bps_code"].astype(int).unique()))
    t = border_regencies()
    ever = set(t.loc[t["ever_border"].astype(bool), "bps_code"].astype(int))
    first_wave = {int(c) for c, g in first.items() if 0 < g <= spec["treatment"]["second_wave_from"]}
    assert first_wave == {6101, 6105, 6108}
    units = welfare.sample_units("treated_plus_nonborder_kalimantan", panel, first, ever, first_wave, 2024)
    assert 6102 in units and not units & {6101, 6105, 6108, 6501, 6504, 6107}
    d, dropped = welfare.frame(panel, "poverty_rate", units, (2020, 2024), first)
    assert dropped == []
    assert d.groupby("bps_code")["group"].first().loc[lambda g: g > 0].to_dict() == {6102: 2024}
    assert set(d["year"]) == set(range(2020, 2025))


def test_single_treated_rows_show_no_analytical_p_value():
    from border_posts import table_row

    r = {"estimator": "Callaway-Sant'Anna (simple)", "inference": "influence function, never controls", "estimate": -0.01,
         "conf_low": -0.02, "conf_high": 0.0, "p_value": 1e-9, "few_treated": None}
    one = table_row("log_grdp", "kalimantan", r, {"n_treated": 1, "n_units": 51, "years": [2000, 2017]})
    four = table_row("log_grdp_pc", "kalimantan", r, {"n_treated": 4, "n_units": 51, "years": [2000, 2024]})
    assert one["p"] == "not meaningful (1 treated)"
    assert four["p"] == "< 0.001"
    assert one["few-treated 95% CI"] == "not available (see Not run)"


def test_welfare_results_carry_few_treated_intervals_and_a_primary_row():
    path = ROOT / "reports/results/welfare.json"
    if not path.exists():
        pytest.skip("run the pipeline first")
    w = json.loads(path.read_text(encoding="utf-8"))
    est = [r for r in w["rows"] if r.get("estimate") is not None]
    assert est and all(r.get("few_treated") for r in est)
    assert all(r["analytical_valid"] is (r["n_treated"] >= 2) for r in est)
    prim = [r for r in est if r["robustness"] is None and r["sample"] == w["primary"]["sample"]
            and r["estimator_id"] == w["primary"]["estimator"]]
    assert {r["outcome"] for r in prim} == {"poverty_rate", "hdi"}
    for r in prim:
        ft = r["few_treated"]
        assert ft["conf_low"] <= r["estimate"] <= ft["conf_high"]
        assert r["mde"]["mde"] > r["mde"]["critical"] > 0
