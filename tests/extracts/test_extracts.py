"""The committed extracts (data/raw) against the shared source files.

Reference numbers are read by hand from the source files under ``../shared/data/sources``;
each test names the file and line. Tests that re-run the extraction skip when ``../shared``
is absent; the others read only the committed extracts.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from sosek_impact import paths
from sosek_impact.extracts import make_extracts

RAW = paths.raw_dir()
SHARED = paths.shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared/data not present")


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return pd.read_csv(RAW / "regency_series.csv", keep_default_na=False, dtype={"value": str, "flag": str})


@pytest.fixture(scope="module")
def province_series() -> pd.DataFrame:
    return pd.read_csv(RAW / "province_series.csv", keep_default_na=False, dtype={"value": str, "flag": str})


def one(df: pd.DataFrame, **where) -> pd.Series:
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (where, len(sel))
    return sel.iloc[0]


def test_bengkayang_grdp_pc_2019_idn514(series):
    # quarcs-lab__indonesia514/gdp/gdp_pc.csv line 317 (6102 Bengkayang), column grdp_pc_2019: " 22,444 "
    row = one(series, bps_code=6102, year=2019, variable="grdp_pc", source_id="idn514_gdp_pc")
    assert float(row.value) == 22444.0
    assert row.source_row == 317


def test_nunukan_population_2017_quarcs(series):
    # GRDP_PerCapita_Indonesia_Districts_until_2017.csv line 438 (Nunukan, KDJ 6504), column POP2017: 193390
    row = one(series, bps_code=6504, year=2017, variable="population", source_id="quarcs_districts")
    assert float(row.value) == 193390.0
    assert row.source_row == 438
    assert "provisional" in row.flag.split(";")  # last two years provisional (PROVENANCE.md)


def test_kapuas_hulu_p0_2020(series):
    # tauradavin__uas-visdat-2026/Data/Miskin 2020.csv line 345: "Kapuas Hulu,8.99"
    row = one(series, bps_code=6108, year=2020, variable="poverty_rate", source_id="bps_p0_2020")
    assert float(row.value) == 8.99
    assert row.source_row == 345


def test_kota_baru_is_the_regency_kotabaru(series):
    # Miskin 2020.csv line 369: "Kota Baru,4.22" in the KALIMANTAN SELATAN block = Kabupaten Kotabaru 6302
    row = one(series, bps_code=6302, year=2020, variable="poverty_rate", source_id="bps_p0_2020")
    assert (float(row.value), row.source_row, row.name_published) == (4.22, 369, "Kota Baru")


def test_kemiskinan_agrees_with_bps_2021(series):
    # Independent sources for the same number: the Kaggle cross-section (year inferred 2021) and
    # BPS Miskin 2021.csv; PROVENANCE.md: Kapuas Hulu 8.93, Nunukan 6.79, Malinau 7.30, Kota Samarinda 4.99.
    for code, expected in {6108: 8.93, 6504: 6.79, 6501: 7.30, 6472: 4.99}.items():
        k = one(series, bps_code=code, variable="poverty_rate", source_id="kemiskinan_2021")
        b = one(series, bps_code=code, variable="poverty_rate", source_id="bps_p0_2021")
        assert float(k.value) == pytest.approx(expected, abs=1e-9)
        assert float(b.value) == pytest.approx(expected, abs=1e-9)
        assert "year_inferred" in k.flag


def test_all_p0_and_hdi_regencies_resolved(series):
    # every yearly BPS table lists all 514 regencies (PROVENANCE: 38-province layout)
    for sid in [f"bps_p0_{y}" for y in range(2020, 2025)] + [f"bps_ipm_{y}" for y in range(2020, 2025)]:
        sub = series[series.source_id == sid]
        assert sub.bps_code.nunique() == 514 == len(sub), sid


def test_dapoer_values_and_flags(series):
    # PROVENANCE.md checks: Kapuas Hulu P0 9.62, IPM 65.65, expenditure 1,026,135 Rp/month; Nunukan P0 6.11
    assert float(one(series, bps_code=6108, variable="poverty_rate", source_id="dapoer_2019").value) == 9.62
    assert float(one(series, bps_code=6108, variable="hdi", source_id="dapoer_2019").value) == 65.65
    exp = float(one(series, bps_code=6108, variable="expenditure_pc_month", source_id="dapoer_2019").value)
    assert round(exp) == 1026135
    assert float(one(series, bps_code=6504, variable="poverty_rate", source_id="dapoer_2019").value) == 6.11
    # Malinau grdp_total 52170 is an upstream error: kept, flagged
    mal = one(series, bps_code=6501, variable="grdp_incl_oil_gas", source_id="dapoer_2019")
    assert float(mal.value) == 52170 and "suspect" in mal.flag
    # population "NA" for Buton Selatan, Buton Tengah, Muna Barat stays missing
    pop = series[(series.source_id == "dapoer_2019") & (series.variable == "population")]
    assert set(pop[pop.value == ""].name_published) == {"Buton Selatan", "Buton Tengah", "Muna Barat"}


def test_idn514_relabelled_rows_agree_with_quarcs(series):
    # idn514 says 2000-2015 come from the QuaRCS dataset: after the curated relabelling every
    # regency's GRDP per capita 2000-2015 equals QuaRCS' to the published unit (idn514 rounds to 1).
    def wide(source):
        s = series[(series.source_id == source) & (series.variable == "grdp_pc") & series.year.between(2000, 2015)]
        return s.pivot(index="bps_code", columns="year", values="value").astype(float)

    q, i = wide("quarcs_districts"), wide("idn514_gdp_pc")
    assert q.shape == i.shape == (514, 16)
    diff = (q.round() - i.loc[q.index]).abs()
    assert diff.max().max() <= 1.0


def test_backcast_flags(series):
    # Mahakam Ulu 6411 split from Kutai Barat in 2013 (registry regency_splits.csv, UU 2/2013)
    mu = series[(series.bps_code == 6411) & (series.source_id == "quarcs_districts") & (series.variable == "grdp")]
    assert all("backcast" in f for f in mu[mu.year < 2013].flag)
    assert not any("backcast" in f for f in mu[mu.year >= 2013].flag)


def test_province_series(province_series):
    ps = province_series
    # quarcs provinces: 34 provinces 1983-2017; WEST KALIMANTAN 1983 = 6380 (Provinces_until_2017.csv line 21)
    gdp = ps[ps.variable == "gdp_pc"]
    assert gdp.province_code.nunique() == 34 and set(gdp.year) == set(range(1983, 2018))
    wk = one(gdp, province_code=61, year=1983)
    assert (float(wk.value), wk.source_row) == (6380.0, 21)
    # food share = food / total; PROVENANCE.md: Kalimantan Barat 55.91 % (2017), Indonesia 49.42 % (2025)
    def share(code, year):
        f = float(one(ps, province_code=code, year=year, variable="food_exp").value)
        t = float(one(ps, province_code=code, year=year, variable="total_exp").value)
        return 100 * f / t

    assert share(61, 2017) == pytest.approx(55.91, abs=0.005)
    assert share(0, 2025) == pytest.approx(49.42, abs=0.005)
    # 2023: "..." for the four new Papua provinces stays missing
    p23 = ps[(ps.year == 2023) & ps.province_code.isin([92, 95, 96, 97]) & (ps.source_id == "bps_exp_2023")]
    assert len(p23) == 12 and (p23.value == "").all()
    # expenditure covers 2017-2025, national row code 0
    exp = ps[ps.variable == "total_exp"]
    assert set(exp.year) == set(range(2017, 2026)) and 0 in set(exp.province_code)


def test_region_tables():
    reg = pd.read_csv(RAW / "regencies.csv")
    prov = pd.read_csv(RAW / "provinces.csv")
    assert len(reg) == 514 and reg.bps_code.is_unique
    assert set(reg.province_code) <= set(prov.province_code) and len(prov) == 38
    assert (reg.bps_code // 100 == reg.province_code).all()
    assert one(reg, bps_code=6302).kind == "kabupaten" and one(reg, bps_code=6171).kind == "kota"
    assert one(prov, province_code=65).established_year == 2012


def test_map_features():
    data = json.loads((RAW / "district_map.geojson").read_text())
    codes = [f["properties"]["bps_code"] for f in data["features"]]
    reg = pd.read_csv(RAW / "regencies.csv")
    assert sorted(codes) == codes and set(codes) == set(reg.bps_code)
    merauke = next(f for f in data["features"] if f["properties"]["bps_code"] == 9501)
    assert merauke["properties"]["code_published"] == 9401  # pre-2022 code in the source map


@needs_shared
def test_no_extract_is_a_verbatim_copy():
    source_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (SHARED).rglob("*") if p.is_file()}
    for p in RAW.iterdir():
        assert hashlib.sha256(p.read_bytes()).hexdigest() not in source_hashes, p.name


@pytest.mark.slow
@needs_shared
def test_rerun_equals_committed(tmp_path):
    make_extracts(SHARED, out=tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in RAW.iterdir() if not p.name.startswith("."))
    assert made == committed
    for name in made:
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name


def test_papua_values_on_pre_2022_boundaries_are_flagged(province_series):
    # bps_exp_2023 footnote: the new Papua provinces "still follow" Papua / Papua Barat figures ("...")
    # -> Papua's 2023 value covers the old province; in 2024 the new provinces have their own values.
    # IPM 2022 gives the new provinces values (PROVENANCE.md: PAPUA 71.76 is the post-split province).
    ps = province_series

    def flag(source, code):
        return set(ps[(ps.source_id == source) & (ps.province_code == code)].flag.str.cat(sep=";").split(";"))

    assert "boundary_pre_2022" in flag("bps_exp_2023", 94) and "boundary_pre_2022" in flag("bps_exp_2023", 91)
    assert "boundary_pre_2022" not in flag("bps_exp_2024", 94)
    assert "boundary_pre_2022" not in flag("bps_ipm_2022", 94) and "boundary_pre_2022" in flag("bps_ipm_2021", 94)
    assert "boundary_pre_2022" in flag("quarcs_provinces", 94) and "boundary_pre_2022" not in flag("quarcs_provinces", 61)
