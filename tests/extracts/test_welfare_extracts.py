"""The 2002–2020 welfare extracts: World Bank INDO-DAPOER district poverty, QuaRCS unemployment
and mean years of schooling.

Reference numbers are read by hand from the source files (file and line named at each test);
the committed extract (``data/raw/regency_series.csv``) must give them exactly (the extract copies
published numbers: exact equality after parsing; float32 unemployment values compared at 1e-6).
Tests that read the source files or re-run an extractor skip where ``../shared`` is absent.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from sosek_impact import paths
from sosek_impact.errors import SchemaError, UnknownRegionError
from sosek_impact.extracts import _crosswalk, extract_registry
from sosek_impact.extracts.dapoer_panel import wb_dapoer_series
from sosek_impact.extracts.labour_schooling import quarcs_schooling

RAW = paths.raw_dir()
SHARED = paths.shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared/data not present")
WB_FILE = "sources/msaidf__statek/content/indo-dapoer_data.csv"


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    s = pd.read_csv(RAW / "regency_series.csv", keep_default_na=False, dtype={"value": str, "flag": str})
    return s[s.source_id.isin(["wb_dapoer_2002_2014", "quarcs_okun", "quarcs_mys", "kemiskinan_2021",
                               "quarcs_districts"])]


def one(df: pd.DataFrame, **where) -> pd.Series:
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (where, len(sel))
    return sel.iloc[0]


# indo-dapoer_data.csv, "Poverty Rate (in % of population)" rows, column "2010 [YR2010]":
# line 9388 "Sambas, Kab." 10.08; line 9454 "Sanggau, Kab." 5.02; line 4042 "Kapuas Hulu, Kab." 11.39.
@pytest.mark.parametrize("code, line, p0_2010, p0_2002, p0_2014", [
    (6101, 9388, "10.08", "13.66", "9.46"),
    (6105, 9454, "5.02", "12.77", "4.47"),
    (6108, 4042, "11.39", "17.32", "10.03"),
])
def test_wb_poverty_rate_spot_values(series, code, line, p0_2010, p0_2002, p0_2014):
    for year, expected in ((2010, p0_2010), (2002, p0_2002), (2014, p0_2014)):
        row = one(series, bps_code=code, year=year, variable="poverty_rate_wb", source_id="wb_dapoer_2002_2014")
        assert row.value == expected and row.source_row == line
        assert row.unit == "percent of population (P0)"
    basis = lambda y: one(series, bps_code=code, year=y, variable="poverty_rate_wb").flag  # noqa: E731
    assert "basis_susenas_to_2010" in basis(2010) and "basis_susenas_from_2011" in basis(2011)


def test_wb_gap_line_and_old_hdi(series):
    # Sanggau: poverty gap line 9455, 2005 = 1.7; poverty line line 9453, 2005 = 111688, 2014 = 235298;
    # IDX.HDI line 9440, 2013 = 70.3 (old method), none for 2010.
    s = series[(series.bps_code == 6105) & (series.source_id == "wb_dapoer_2002_2014")]
    assert one(s, year=2005, variable="poverty_gap_wb").value == "1.7"
    assert one(s, year=2005, variable="poverty_line_wb").value == "111688"
    assert one(s, year=2014, variable="poverty_line_wb").source_row == 9453
    assert one(s, year=2013, variable="hdi_old_method_wb").value == "70.3"
    assert one(s, year=2010, variable="hdi_old_method_wb").value == ""
    # the old-method HDI never enters the new-method variable
    assert not ((series.source_id == "wb_dapoer_2002_2014") & (series.variable == "hdi")).any()


def test_wb_old_boundary_flags_follow_the_splits(series):
    wb = series[(series.source_id == "wb_dapoer_2002_2014") & (series.variable == "poverty_rate_wb")
                & (series.value != "")]
    flagged = lambda code: sorted(wb[(wb.bps_code == code) & wb.flag.str.contains("old_boundary")].year)  # noqa: E731
    # Sekadau (6109, split from Sanggau 2003) has its own P0 from 2005: Sanggau 2002-2004 is the old area
    assert flagged(6105) == [2002, 2003, 2004]
    assert sorted(wb[wb.bps_code == 6109].year)[0] == 2005
    # Mahakam Ulu (6411) has no value at all: every Kutai Barat (6402) value covers it
    assert flagged(6402) == list(range(2002, 2015)) and wb[wb.bps_code == 6411].empty
    # Kubu Raya (6112, from Kab. Pontianak = Mempawah 6104 in 2007) first reported 2008
    assert flagged(6104) == list(range(2002, 2008))
    # regencies without a recorded split are not flagged
    assert flagged(6108) == [] and flagged(6101) == []


def test_wb_coverage_matches_provenance(series):
    # PROVENANCE.md: P0 non-missing districts 347 (2002) ... 497 (2010-2014)
    wb = series[(series.source_id == "wb_dapoer_2002_2014") & (series.variable == "poverty_rate_wb")
                & (series.value != "")]
    n = wb.groupby("year").size()
    assert (n[2002], n[2005], n[2009], n[2014]) == (347, 428, 469, 497)
    assert not wb.duplicated(["bps_code", "year"]).any()


@needs_shared
def test_wb_names_resolve_to_the_right_regency():
    """Name resolution checked on population: DataBank SP.POP.TOTL 2010 vs QuaRCS (by BPS code) 2010.

    A name resolved to the wrong regency would show as a large relative gap; both are BPS
    population figures for 2010 (census year). QuaRCS is on 2017 boundaries, the DataBank on the
    boundaries of the year, so the parents of the 2012–2013 splits outside Kalimantan differ (listed
    here with their children); Sumba Tengah / Sumba Barat Daya carry each other's 2010 population in
    the DataBank (284,903 vs 63,983 in 2011). This check found QuaRCS' Bima swap (line 217 "Bima,
    Regency, 5206" has 142,579 = Kota Bima's 2010 census count), now moved by value_corrections.csv:
    after it the Bima rows agree to the person.
    """
    import csv

    rows = list(csv.reader(open(SHARED / WB_FILE, encoding="utf-8-sig", newline="")))
    col = rows[0].index("2010 [YR2010]")
    pop_wb = {r[0]: float(r[col]) for r in rows[1:] if len(r) > col and r[3] == "SP.POP.TOTL" and r[col] != ".."}
    wb = pd.read_csv(RAW / "regency_series.csv", dtype=str, keep_default_na=False)
    names = wb[wb.source_id == "wb_dapoer_2002_2014"].drop_duplicates("name_published")
    code_of = dict(zip(names.name_published, names.bps_code.astype(int)))
    q = wb[(wb.source_id == "quarcs_districts") & (wb.variable == "population") & (wb.year == "2010")]
    pop_q = dict(zip(q.bps_code.astype(int), q.value.astype(float)))
    gaps = pd.Series({n: pop_wb[n] / pop_q[c] - 1 for n, c in code_of.items() if n in pop_wb and c in pop_q})
    assert len(gaps) > 480
    explained = {
        "Konawe, Kab.", "Kutai Barat, Kab.", "Muara Enim, Kab.", "Ciamis, Kab.", "Manokwari, Kab.", "Muna, Kab.",
        "Mamuju, Kab.", "Musi Rawas, Kab.", "Kolaka, Kab.", "Lampung Barat, Kab.", "Kepulauan Sula, Kab.",
        "Banggai Kepulauan, Kab.", "Belu, Kab.", "Morowali, Kab.", "Buton, Kab.", "Tambrauw, Kab",  # boundaries
        "Sumba Tengah, Kab.", "Sumba Barat Daya, Kab.",  # swapped in the DataBank 2010
    }
    assert set(gaps.index[gaps.abs() > 0.05]) <= explained, gaps[gaps.abs() > 0.05].sort_values()
    assert (gaps.abs() < 0.05).mean() > 0.95
    assert abs(pop_wb["Bima, Kab."] - pop_q[5206]) < 1 and abs(pop_wb["Bima, Kota"] - pop_q[5272]) < 1


# okun.dta (Stata): Sanggau 6105 un 2008 2.81, 2010 3.62, 2019 3.00 (PROVENANCE.md, file read with pandas);
# Nunukan 6504 2008 13.17, 2020 4.14.
@pytest.mark.parametrize("code, year, expected", [(6105, 2008, 2.81), (6105, 2010, 3.62), (6105, 2019, 3.00),
                                                  (6504, 2008, 13.17), (6504, 2020, 4.14)])
def test_unemployment_spot_values(series, code, year, expected):
    row = one(series, bps_code=code, year=year, variable="unemployment_rate", source_id="quarcs_okun")
    assert abs(float(row.value) - expected) < 0.006  # PROVENANCE prints 2 decimals of the float32 value


def test_unemployment_2016_is_flagged_interpolated(series):
    un = series[(series.source_id == "quarcs_okun")].pivot(index="bps_code", columns="year", values="value").astype(float)
    flags = series[(series.source_id == "quarcs_okun") & (series.year == 2016)].set_index("bps_code").flag
    mid = (un[2015] + un[2017]) / 2
    # Sambas: (4.849154 + 4.241006) / 2 = 4.545080 (PROVENANCE.md)
    assert abs(un.loc[6101, 2016] - 4.54508) < 1e-5
    is_mid = (un[2016] - mid).abs() < 1e-5
    assert is_mid.all()
    assert flags.str.contains("interpolated").all()
    assert not series[(series.source_id == "quarcs_okun") & (series.year != 2016)].flag.str.contains("interpolated").any()


def test_unemployment_papua_codes_from_names(series):
    # okun.dta id 9401 = Kabupaten Merauke, today 9501 (Papua Selatan, 2022)
    row = one(series, bps_code=9501, year=2010, variable="unemployment_rate", source_id="quarcs_okun")
    assert "code_from_name" in row.flag and row.name_published == "Kabupaten Merauke"
    assert series[(series.source_id == "quarcs_okun")].bps_code.nunique() == 514


# mys.csv line 320 "6105,6.1599998,...,6.9400001"; line 370 Nunukan 6504; line 507 Nduga (9429 -> 9701) ".25"
def test_schooling_spot_values(series):
    s = series[series.source_id == "quarcs_mys"]
    assert one(s, bps_code=6105, year=2010).value == "6.1599998" and one(s, bps_code=6105, year=2010).source_row == 320
    assert one(s, bps_code=6504, year=2018).value == "7.73"
    nduga = one(s, bps_code=9701, year=2010)
    assert nduga.value == "0.25" and nduga.source_row == 507 and "recoded_papua_2022" in nduga.flag
    assert one(s, bps_code=6105, year=2010).unit == "years (population 25+)"


def test_schooling_ids_agree_with_the_2021_cross_section(series):
    """mys.csv has ids only: check them against the named 2021 cross-section (15+, three years later).

    QuaRCS' other file swaps Karanganyar/Karangasem and Tulang Bawang/Tulang Bawang Barat; here a
    swap would show as a large gap for those four ids. Expected: 15+ schooling (2021) slightly above
    25+ (2018) everywhere, correlation near 1.
    """
    m = series[(series.source_id == "quarcs_mys") & (series.year == 2018)].set_index("bps_code").value.astype(float)
    k = series[(series.source_id == "kemiskinan_2021") & (series.variable == "mean_years_schooling")]
    k = k.set_index("bps_code").value.replace("", np.nan).astype(float)
    both = pd.concat([m, k], axis=1, keys=["mys", "k"]).dropna()
    assert both.corr().iloc[0, 1] > 0.98
    gap = both.k - both.mys
    assert gap.between(-0.5, 1.5).all(), gap.sort_values()
    assert gap.loc[[3313, 5107, 1808, 1812]].abs().max() < 0.6


def _tiny_shared(tmp_path, lines: list[str]):
    target = tmp_path / WB_FILE
    target.parent.mkdir(parents=True)
    head = "Region Name,Region Code,Series Name,Series Code," + ",".join(f"{y} [YR{y}]" for y in range(2000, 2015))
    target.write_text("\n".join([head, *lines, "", "Data from database: INDO-DAPOER (x)", "Last Updated: 05/28/2015"]))
    return tmp_path


def _row(name: str, code="SI.POV.NAPR.ZS", label="Poverty Rate (in % of population)", value="12.5") -> str:
    return f'"{name}",X,{label},{code},' + ",".join([".."] * 2 + [value] * 13)


def _registry():
    regencies = pd.read_csv(RAW / "regencies.csv")
    provinces = pd.read_csv(RAW / "provinces.csv")
    return extract_registry(regencies, provinces), _crosswalk(pd.read_csv(RAW / "registry_regency_splits.csv", dtype={"law": str}))


def test_wb_reader_on_a_small_file(tmp_path):
    reg, cw = _registry()
    shared = _tiny_shared(tmp_path, [_row("Sanggau, Kab."), _row("Sekadau, Kab.", value=".."),
                                     _row("Kalimantan Barat, Prop.")])
    out = wb_dapoer_series(shared, reg, cw)
    assert set(out.bps_code) == {6105, 6109}
    sanggau = out[(out.bps_code == 6105)]
    assert (sanggau.value == "12.5").all() and sanggau.flag.str.contains("old_boundary").all()
    assert (sanggau.source_row == 2).all()


def test_wb_unknown_district_is_a_typed_error_listing_every_name(tmp_path):
    reg, cw = _registry()
    shared = _tiny_shared(tmp_path, [_row("Sanggauu, Kab."), _row("Nowhere, Kota"), _row("Sambas, Kab.")])
    with pytest.raises(UnknownRegionError) as err:
        wb_dapoer_series(shared, reg, cw)
    assert {"Sanggauu, Kab.", "Nowhere, Kota"} <= set(err.value.offenders)
    assert any("Sanggau" in s for s in err.value.offenders["Sanggauu, Kab."])


def test_wb_series_name_mismatch_and_stray_rows(tmp_path):
    reg, cw = _registry()
    shared = _tiny_shared(tmp_path, [_row("Sanggau, Kab.", label="Poverty Gap (index)")])
    with pytest.raises(SchemaError, match="SI.POV.NAPR.ZS"):
        wb_dapoer_series(shared, reg, cw)
    shutil.rmtree(tmp_path / "sources")
    shared = _tiny_shared(tmp_path, [_row("Sanggau, Kab."), ",,,,", _row("Sambas, Kab.")])
    with pytest.raises(SchemaError) as err:
        wb_dapoer_series(shared, reg, cw)
    assert err.value.row == 3


def test_mys_unknown_id_is_a_typed_error(tmp_path):
    reg, _ = _registry()
    target = tmp_path / "sources/quarcs-lab__data-quarcs/indonesia514/mys.csv"
    target.parent.mkdir(parents=True)
    target.write_text("id," + ",".join(f"mys{y}" for y in range(2010, 2019)) + "\n6105" + ",7" * 9 + "\n6199" + ",7" * 9 + "\n")
    with pytest.raises(UnknownRegionError) as err:
        quarcs_schooling(tmp_path, reg)
    assert "6199" in err.value.offenders and err.value.row == 3


def test_bima_population_moved_and_per_capita_flagged(series):
    """value_corrections.csv: QuaRCS Bima population moved between 5206 and 5272; GRDP stays."""
    q = series[series.source_id == "quarcs_districts"]
    pop = one(q, bps_code=5206, year=2010, variable="population")
    assert pop.value == "439228" and pop.source_row == 223 and "relabelled" in pop.flag
    assert one(q, bps_code=5272, year=2010, variable="population").value == "142579"
    grdp = one(q, bps_code=5206, year=2010, variable="grdp")
    assert grdp.value == "5117" and grdp.source_row == 217 and grdp.flag == ""
    assert "suspect" in one(q, bps_code=5206, year=2010, variable="grdp_pc").flag
    assert not q[(q.variable == "population") & q.bps_code.isin([5206, 5272])].flag.str.contains("suspect").any()
    raw = pd.read_csv(RAW / "regency_series.csv", keep_default_na=False, dtype={"value": str, "flag": str})
    idn = raw[(raw.source_id == "idn514_gdp_pc") & raw.bps_code.isin([5206, 5272])]
    assert idn[idn.year <= 2015].flag.str.contains("suspect").all()
    assert not idn[idn.year > 2015].flag.str.contains("suspect").any()


def test_a_correction_that_matches_nothing_is_an_error():
    from sosek_impact.extracts.value_corrections import apply_value_corrections

    long = pd.DataFrame({"bps_code": [6101], "year": [2010], "variable": ["population"], "value": ["1"],
                         "flag": [""]})
    table = pd.DataFrame({"source_id": ["x"], "variable": ["population"], "bps_code": [6102],
                          "to_bps_code": pd.array([6101], dtype="Int64"), "first_year": [2000], "last_year": [2017],
                          "action": ["move"], "evidence": ["test"]})
    with pytest.raises(SchemaError):
        apply_value_corrections(long, "x", table)
    table.loc[0, "bps_code"] = 6101
    table.loc[0, "to_bps_code"] = 6102
    assert list(apply_value_corrections(long, "x", table).bps_code) == [6102]


def test_boundary_suspected_from_the_population_check(series):
    """flag_boundary_suspected: DataBank vs QuaRCS population gap > 10 % in two consecutive years.

    Ciamis (3207) lost Pangandaran in 2012: DataBank 2010 population 1.35x QuaRCS' (2017 boundary)
    -> every P0 2002-2013 flagged; Sumba Tengah (5316): one-year gap in 2010 (a wrong DataBank
    number, 284,903 vs 63,983 in 2011) -> not flagged; 2014 has no DataBank population -> never flagged;
    Sambas (6101): no split after 2001 -> not flagged.
    """
    wb = series[(series.source_id == "wb_dapoer_2002_2014") & (series.variable == "poverty_rate_wb")
                & (series.value != "")]
    years = lambda c: sorted(wb[(wb.bps_code == c) & wb.flag.str.contains("boundary_suspected")].year)  # noqa: E731
    assert years(3207) == list(range(2002, 2014))
    assert years(5316) == [] and years(6101) == [] and years(6108) == []
    assert not wb[wb.year == 2014].flag.str.contains("boundary_suspected").any()
    raw = pd.read_csv(RAW / "regency_series.csv", keep_default_na=False, dtype={"value": str, "flag": str})
    pop = one(raw, bps_code=6105, year=2004, variable="population_wb", source_id="wb_dapoer_2002_2014")
    assert pop.value == "368547"  # PROVENANCE.md: Sanggau 534,892 -> 368,547 in 2004 after Sekadau


def test_impossible_poverty_rate_is_kept_and_flagged(series):
    # indo-dapoer_data.csv line 4680, "Kepulauan Yapen, Kab." P0 2002 = 111.39 (a share above 100 %)
    row = one(series, bps_code=9408, year=2002, variable="poverty_rate_wb")
    assert row.value == "111.39" and row.source_row == 4680 and "suspect" in row.flag.split(";")
    wb = series[(series.variable == "poverty_rate_wb") & (series.value != "")]
    assert set(wb[wb.flag.str.contains(r"(?:^|;)suspect(?:;|$)")].bps_code) == {9408}
