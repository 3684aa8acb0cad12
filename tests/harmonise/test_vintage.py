"""Boundary vintages, the split crosswalk, the North Kalimantan recode and back-cast flags.

Reference numbers: QuaRCS ``GRDP_PerCapita_Indonesia_Districts_until_2017.csv`` (lines given
below), read by hand; splits from the registry ``regency_splits.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sosek_impact import paths
from sosek_impact.errors import DuplicateKeyError
from sosek_impact.harmonise import flag_backcast, recode_north_kalimantan, split_crosswalk, to_vintage
from sosek_impact.harmonise.crosswalk import VintageCoverageError


@pytest.fixture(scope="module")
def quarcs_panel() -> pd.DataFrame:
    s = pd.read_csv(paths.raw_dir() / "regency_series.csv")
    s = s[s.source_id == "quarcs_districts"]
    return s.pivot_table(index=["bps_code", "year"], columns="variable", values="value").reset_index()


def kalimantan(panel, provinces):
    return panel[(panel.bps_code // 100).isin(provinces)]


def test_kutai_barat_2012_includes_mahakam_ulu(quarcs_panel):
    # line 362 Kutai Barat 2012: RGDP 18045, POP 143101; line 376 Mahakam Ulu 2012: RGDP 1350, POP 25522
    out = to_vintage(kalimantan(quarcs_panel, [64, 65]), 2012)
    kb = out[(out.bps_code == 6402) & (out.year == 2012)].iloc[0]
    assert kb.grdp == pytest.approx(18045 + 1350, abs=1e-9)
    assert kb.population == pytest.approx(143101 + 25522, abs=1e-9)
    assert kb.grdp_pc == pytest.approx((18045 + 1350) / (143101 + 25522) * 1e6, rel=1e-12)
    # the merged per-capita value lies between the parts' published values (126099.7 and 52895.5)
    assert 52895.5 < kb.grdp_pc < 126099.7
    assert (kb.n_units, kb.components) == (2, "6402;6411")
    assert 6411 not in set(out.bps_code)
    # 2013 boundaries: Mahakam Ulu is its own regency again
    assert 6411 in set(to_vintage(kalimantan(quarcs_panel, [64, 65]), 2013).bps_code)


def test_bulungan_1998_includes_malinau_nunukan_tana_tidung(quarcs_panel):
    # 2005: Bulungan line 416 (RGDP 5608, POP 104296.3), Malinau 430 (2761, 54112.5),
    # Tana Tidung 431 (2027.7, 10986.8), Nunukan 438 (7717, 119513.4)
    out = to_vintage(kalimantan(quarcs_panel, [64, 65]), 1998)
    b = out[(out.bps_code == 6502) & (out.year == 2005)].iloc[0]
    grdp = 5608 + 2761 + 2027.7 + 7717
    pop = 104296.3 + 54112.5 + 10986.8 + 119513.4
    assert b.grdp == pytest.approx(grdp, rel=1e-12)
    assert b.population == pytest.approx(pop, rel=1e-12)
    assert b.grdp_pc == pytest.approx(grdp / pop * 1e6, rel=1e-12)
    assert (b.n_units, b.components) == (4, "6501;6502;6503;6504")
    # Kutai 1998 = Kutai Kartanegara + Kutai Barat + Mahakam Ulu + Kutai Timur + Kota Bontang
    k = out[(out.bps_code == 6403) & (out.year == 2005)].iloc[0]
    assert k.components == "6402;6403;6404;6411;6474"
    # totals are preserved
    src = kalimantan(quarcs_panel, [64, 65])
    assert out.groupby("year").grdp.sum().loc[2005] == pytest.approx(src[src.year == 2005].grdp.sum(), rel=1e-12)


def test_missing_component_makes_the_merged_cell_missing(quarcs_panel):
    panel = kalimantan(quarcs_panel, [64, 65]).copy()
    panel.loc[(panel.bps_code == 6503) & (panel.year == 2005), "grdp"] = np.nan
    panel = panel[~((panel.bps_code == 6504) & (panel.year == 2006))]
    out = to_vintage(panel, 1998).set_index(["bps_code", "year"])
    assert np.isnan(out.loc[(6502, 2005), "grdp"]) and np.isnan(out.loc[(6502, 2005), "grdp_pc"])
    assert out.loc[(6502, 2005), "population"] > 0  # the complete variable is still summed
    assert np.isnan(out.loc[(6502, 2006), "grdp"]) and np.isnan(out.loc[(6502, 2006), "population"])


def test_rates_are_weighted_by_their_denominator():
    panel = pd.DataFrame(
        {"bps_code": [6402, 6411], "year": [2010, 2010], "grdp": [10.0, 2.0], "population": [300.0, 100.0],
         "poverty_rate": [10.0, 30.0]}
    )
    out = to_vintage(panel, 2012).iloc[0]
    assert out.poverty_rate == pytest.approx((10 * 300 + 30 * 100) / 400)  # 15, not the plain mean 20


def test_contemporaneous_boundaries():
    # before 2013 a contemporaneous source has no Mahakam Ulu row; Kutai Barat covers it
    panel = pd.DataFrame(
        {"bps_code": [6402, 6402, 6411], "year": [2012, 2013, 2013], "grdp": [20.0, 18.0, 3.0],
         "population": [200.0, 170.0, 30.0]}
    )
    out = to_vintage(panel, 2012, boundaries="contemporaneous").set_index("year")
    assert out.loc[2012, "grdp"] == 20.0 and out.loc[2012, "n_units"] == 1
    assert out.loc[2013, "grdp"] == 21.0 and out.loc[2013, "n_units"] == 2
    fixed = to_vintage(panel, 2012).set_index("year")
    assert np.isnan(fixed.loc[2012, "grdp"])  # fixed boundaries need Mahakam Ulu's 2012 row


def test_unknown_splits_raise(quarcs_panel):
    with pytest.raises(VintageCoverageError):
        to_vintage(quarcs_panel[quarcs_panel.bps_code.isin([6402, 6411, 1101])], 2012)
    kept = to_vintage(quarcs_panel[quarcs_panel.bps_code.isin([6402, 6411, 1101])], 2012, outside="keep")
    assert set(kept.bps_code) == {6402, 1101}
    # Kota Singkawang from Bengkayang (2001) is 'unverified' in the registry: never used silently
    with pytest.raises(VintageCoverageError):
        to_vintage(kalimantan(quarcs_panel, [61]), 2000)
    out = to_vintage(kalimantan(quarcs_panel, [61]), 1998, allow_unverified=True)
    assert out[out.bps_code == 6101].components.iloc[0] == "6101;6102;6172"
    assert len(to_vintage(quarcs_panel, 2017)) == len(quarcs_panel)  # 2014+: no split needed


def test_crosswalk_covers_kalimantan_only():
    cw = split_crosswalk()
    assert set((cw.parent_bps_code // 100)) | set(cw.child_bps_code // 100) <= {61, 64, 65}
    row = cw[cw.child_bps_code == 6411].iloc[0]
    assert (row.parent_bps_code, row.effective_year) == (6402, 2013)


def test_recode_north_kalimantan_round_trip():
    old = pd.DataFrame({"bps_code": [6406, 6407, 6408, 6410, 6473, 6402], "year": 2010, "x": range(6)})
    new = recode_north_kalimantan(old)
    # registry code_changes.csv: 6406→6501, 6407→6502, 6408→6504, 6410→6503, 6473→6571
    assert new.bps_code.tolist() == [6501, 6502, 6504, 6503, 6571, 6402]
    back = recode_north_kalimantan(new, inverse=True)
    pd.testing.assert_frame_equal(back, old)
    mixed = pd.DataFrame({"bps_code": [6406, 6501], "year": [2010, 2010]})
    with pytest.raises(DuplicateKeyError):
        recode_north_kalimantan(mixed, time="year")


def test_flag_backcast():
    panel = pd.DataFrame({"bps_code": [6411, 6411, 6102, 6102, 1101, 1101], "year": [2012, 2013, 1998, 1999, 2010, 2015]})
    got = flag_backcast(panel)["backcast"]
    assert got.iloc[:4].tolist() == [True, False, True, False]
    assert pd.isna(got.iloc[4])  # Aceh: splits outside Kalimantan are unknown before 2014
    assert not bool(got.iloc[5])


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.lists(st.floats(min_value=0.1, max_value=1e6, allow_nan=False), min_size=10, max_size=10), st.sampled_from([1998, 2000, 2005, 2012]))
def test_totals_preserved(values, year):
    codes = [6401, 6402, 6403, 6404, 6409, 6411, 6474, 6501, 6502, 6504]
    panel = pd.DataFrame({"bps_code": codes, "year": 2010, "grdp": values, "population": [v * 10 for v in values]})
    out = to_vintage(panel, year)
    # Tana Tidung (6503) is absent: Bulungan's merged cell is missing for years before 2007, present otherwise
    present = out.dropna(subset=["grdp"])
    merged_codes = {int(c) for comps in present.components for c in comps.split(";")}
    expected = sum(v for c, v in zip(codes, values) if c in merged_codes)
    assert present.grdp.sum() == pytest.approx(expected, rel=1e-9)
    assert out.n_units.sum() == len(codes) + (1 if year < 2007 else 0)


def test_recode_papua_2022_matches_the_sources():
    from sosek_impact.harmonise import recode_papua_2022

    # QuaRCS (pre-2022 vintage) line 214: Merauke, KDJ 9401; idn514 gdp_pc.csv: 9501 Merauke
    old = pd.DataFrame({"bps_code": [9401, 9107, 9403, 9111], "year": 2015})
    assert recode_papua_2022(old).bps_code.tolist() == [9501, 9202, 9403, 9111]
    pd.testing.assert_frame_equal(recode_papua_2022(recode_papua_2022(old), inverse=True), old)
    # every new code is a regency of today's list, every old code is not
    from sosek_impact.harmonise.recode import papua_2022_codes

    today = set(pd.read_csv(paths.raw_dir() / "regencies.csv").bps_code)
    mapping = papua_2022_codes()
    assert len(mapping) == 26 and set(mapping.values()) <= today and not set(mapping) & today


def test_contemporaneous_bulungan_before_tana_tidung_exists():
    # contemporaneous source: in 2005 Tana Tidung (split 2007, UU 34/2007) is still inside Bulungan
    panel = pd.DataFrame(
        {"bps_code": [6501, 6502, 6504, 6501, 6502, 6503, 6504], "year": [2005, 2005, 2005, 2008, 2008, 2008, 2008],
         "grdp": [1.0, 2.0, 4.0, 1.0, 2.0, 8.0, 4.0], "population": [10.0, 20.0, 40.0, 10.0, 20.0, 80.0, 40.0]}
    )
    out = to_vintage(panel, 1998, boundaries="contemporaneous").set_index("year")
    assert (out.loc[2005, "grdp"], out.loc[2005, "components"]) == (7.0, "6501;6502;6504")
    assert (out.loc[2008, "grdp"], out.loc[2008, "components"]) == (15.0, "6501;6502;6503;6504")
