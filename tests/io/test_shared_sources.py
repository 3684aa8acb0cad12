"""``read_bps_table`` on every BPS-export file of the shared sources.

References: the spot values listed in ``/work/shared/data/sources/PROVENANCE.md`` (published
BPS numbers checked by the curator), and an independent parse of the same files with
``pandas.read_csv`` / the csv module. Tolerance: exact for values (both are decimal text
parsed to the nearest double), 0.005 percentage points for computed food shares (PROVENANCE
rounds to 2 decimals). Skipped when ``../shared/data`` is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact import paths
from sosek_impact.io import read_bps_table

SHARED = paths.shared_dir()
pytestmark = pytest.mark.skipif(SHARED is None, reason="../shared/data is absent")
SOURCES = (SHARED / "sources") if SHARED else Path("/nonexistent")
TAURADAVIN = SOURCES / "tauradavin__uas-visdat-2026" / "Data"
EXPENDITURE = SOURCES / "addaan1__Project-Machine-Learning" / "datasets"
YULDAN = SOURCES / "yuldan14__klasifikasi_kemiskinan" / "Klasifikasi Tingkat Kemiskinan di Indonesia.csv"

# PROVENANCE.md "Checks" lines.
P0 = {
    2020: {"Kapuas Hulu": 8.99, "Nunukan": 6.36, "Sintang": 9.27, "Malinau": 6.63},
    2021: {"Kapuas Hulu": 8.93, "Nunukan": 6.79, "Malinau": 7.30, "Kota Samarinda": 4.99},
    2022: {"Kapuas Hulu": 8.59, "Sintang": 8.57, "Nunukan": 6.13, "Malinau": 6.64, "KALIMANTAN BARAT": 6.73},
    2023: {"Kapuas Hulu": 8.16, "Sintang": 8.18, "Nunukan": 5.53, "Malinau": 6.54, "KALIMANTAN BARAT": 6.71},
    2024: {"Kapuas Hulu": 7.40, "Nunukan": 5.73, "Malinau": 6.94, "Sintang": 8.03},
}
IPM = {
    2020: {"KALIMANTAN BARAT": 67.66, "Kapuas Hulu": 65.69, "Sintang": 66.88, "Nunukan": 65.79, "Malinau": 71.94,
           "INDONESIA": 71.94},
    2021: {"KALIMANTAN BARAT": 67.90, "Kapuas Hulu": 65.75, "Sintang": 66.93, "Nunukan": 66.46, "INDONESIA": 72.29},
    2022: {"KALIMANTAN BARAT": 68.63, "Kapuas Hulu": 66.70, "Sintang": 67.86, "Nunukan": 67.16, "INDONESIA": 72.91,
           "PAPUA BARAT DAYA": 67.59, "PAPUA SELATAN": 65.74, "PAPUA TENGAH": 58.25, "PAPUA PEGUNUNGAN": 51.70,
           "PAPUA": 71.76, "PAPUA BARAT": 65.16},
    2023: {"KALIMANTAN BARAT": 69.41, "Kapuas Hulu": 67.67, "Sintang": 68.67, "Nunukan": 67.70, "INDONESIA": 73.55},
    2024: {"KALIMANTAN BARAT": 70.13, "Kapuas Hulu": 68.58, "Sintang": 69.42, "Nunukan": 68.52, "INDONESIA": 74.20},
}
FOOD_SHARE = {  # percent, Makanan / Jumlah x 100
    "Kalimantan Barat": [55.91, 52.06, 51.94, 51.93, 51.87, 54.04, 51.65, 53.01, 53.04],
    "Indonesia": [50.94, 49.51, 49.14, 49.22, 49.25, 50.14, 48.99, 50.10, 49.42],
}
EXP_YEARS = [2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025]


def _accounted(df: pd.DataFrame) -> None:
    """Rows in = rows out + rows reported, and no line is both."""
    out_lines = set(df["source_row"])
    skipped = set(df.attrs["skipped"]["line"])
    assert not out_lines & skipped
    assert len(out_lines) + len(skipped) == df.attrs["rows_read"]
    assert sorted(out_lines | skipped) == list(range(1, df.attrs["rows_read"] + 1))


def _one(df: pd.DataFrame, region: str, block: str | None = None) -> float:
    rows = df[(df.region == region) & ((df.province_block == block) if block else True)]
    assert len(rows) == 1, rows
    return float(rows.value.iloc[0])


@pytest.mark.parametrize("year", sorted(P0))
def test_miskin_spot_values_and_structure(year: int) -> None:
    df = read_bps_table(TAURADAVIN / f"Miskin {year}.csv", variable="poverty_rate")
    assert (df.year == year).all() and (df.variable == "poverty_rate").all()
    for region, value in P0[year].items():
        block = None if region.isupper() else "KALIMANTAN BARAT" if region in {"Kapuas Hulu", "Sintang"} else None
        assert _one(df, region, block) == value
    assert df.is_province.sum() == 38 and not df.is_national.any()
    kalbar = df[(df.province_block == "KALIMANTAN BARAT") & ~df.is_province]
    assert len(kalbar) == 14  # 12 kabupaten + Kota Pontianak + Kota Singkawang
    assert df.loc[df.region == "Kota Baru", "province_block"].tolist() == ["KALIMANTAN SELATAN"]
    assert list(df.attrs["skipped"]["reason"]) == ["header"] * 3
    _accounted(df)


@pytest.mark.parametrize("year", sorted(IPM))
def test_ipm_spot_values_national_row_and_papua_duplicates(year: int) -> None:
    df = read_bps_table(TAURADAVIN / f"IPM {year}.csv")
    assert (df.year == year).all()
    for region, value in IPM[year].items():
        block = "KALIMANTAN BARAT" if region in {"Kapuas Hulu", "Sintang"} else None
        assert _one(df, region, block) == value
    national = df[df.is_national]
    assert national.region.tolist() == ["INDONESIA"] and national.province_block.isna().all()
    # Regencies of the new Papua provinces appear under two province blocks (PROVENANCE quirk).
    yahukimo = df[df.region == "Yahukimo"]
    assert sorted(yahukimo.province_block) == ["PAPUA", "PAPUA PEGUNUNGAN"]
    _accounted(df)


def test_ipm_2020_new_papua_provinces_are_missing_not_zero() -> None:
    df = read_bps_table(TAURADAVIN / "IPM 2020.csv")
    for name in ["PAPUA BARAT DAYA", "PAPUA SELATAN", "PAPUA TENGAH", "PAPUA PEGUNUNGAN"]:
        row = df[df.region == name]
        assert row.is_province.all() and row.value.isna().all() and (row.raw == "-").all()


@pytest.mark.parametrize("name", ["Miskin 2022.csv", "IPM 2024.csv"])
def test_values_equal_an_independent_csv_parse(name: str) -> None:
    df = read_bps_table(TAURADAVIN / name)
    with open(TAURADAVIN / name, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))[3:]
    ref = pd.to_numeric(pd.Series([r[1] for r in lines]).replace("-", np.nan))
    assert df.region.tolist() == [r[0] for r in lines]
    np.testing.assert_array_equal(df.value.to_numpy(), ref.to_numpy())
    assert df.source_row.tolist() == list(range(4, 4 + len(lines)))


def _expenditure_files() -> dict[int, Path]:
    files = {}
    for path in sorted(EXPENDITURE.glob("Rata-rata Pengeluaran*/*.csv")):
        files[int(path.stem[-4:])] = path
    return files


def test_expenditure_files_food_share_and_years() -> None:
    files = _expenditure_files()
    assert sorted(files) == EXP_YEARS  # includes the 2019 file with a no-break space in its name
    for k, year in enumerate(EXP_YEARS):
        df = read_bps_table(files[year], year="filename")
        assert (df.year == year).all() and (df.flag == "year_inferred").all()
        assert df.is_province[~df.is_national].all()
        wide = df.pivot_table(index="region", columns="variable", values="value", dropna=False)
        food = wide[[c for c in wide.columns if c.endswith("- Makanan")][0]]
        total = wide[[c for c in wide.columns if c.endswith("- Jumlah")][0]]
        share = 100 * food / total
        for region, shares in FOOD_SHARE.items():
            assert share[region] == pytest.approx(shares[k], abs=0.005), (year, region)
        assert df[df.region == "Indonesia"].is_national.all()
        _accounted(df)


def test_expenditure_2023_ellipsis_and_notes() -> None:
    df = read_bps_table(_expenditure_files()[2023], year=2023)
    papua_bd = df[df.region == "Papua Barat Daya"]
    assert len(papua_bd) == 3 and papua_bd.value.isna().all() and (papua_bd.raw == "...").all()
    skipped = df.attrs["skipped"]
    notes = skipped[skipped.reason == "note"]
    assert notes.text.str.startswith("Catatan").any()
    assert notes.text.str.contains("<i>").any()  # the HTML footnotes are reported, not read
    assert df.attrs["encoding"] == "utf-8-sig"  # the files start with a BOM
    _accounted(df)


def test_expenditure_2017_values_equal_pandas() -> None:
    path = _expenditure_files()[2017]
    df = read_bps_table(path, year=2017)
    ref = pd.read_csv(path, encoding="utf-8-sig")
    got = df.pivot(index="region", columns="source_column", values="value").loc[ref.Provinsi, ref.columns[1:]]
    np.testing.assert_array_equal(got.to_numpy(), ref.iloc[:, 1:].to_numpy())


def test_yuldan14_semicolons_decimal_comma_padding_and_trailing_rows() -> None:
    df = read_bps_table(YULDAN)
    assert df.attrs["separator"] == ";"
    p0 = df[df.variable.str.startswith("Persentase Penduduk Miskin")]
    assert p0.region.nunique() <= 514 and len(p0) == 514
    for region, value in {"Kapuas Hulu": 8.93, "Nunukan": 6.79, "Malinau": 7.30, "Kota Samarinda": 4.99}.items():
        assert _one(p0, region) == value  # equal to Miskin 2021 (PROVENANCE)
    assert p0.loc[p0.region == "Kapuas Hulu", "province_block"].item() == "KALIMANTAN BARAT"
    # Row 77 is written '8.97' in a decimal-comma column: read as 8.97, not 897.
    assert p0.loc[p0.source_row == 77, "value"].item() == 8.97
    assert df.attrs["decimal"][p0.source_column.iloc[0]] == "mixed"
    tpak = df[df.variable == "Tingkat Partisipasi Angkatan Kerja"]
    assert tpak.loc[tpak.region == "Simeulue", "value"].item() == 71.15  # padded ' 71,15 '
    skipped = df.attrs["skipped"]
    assert (skipped.reason == "blank").sum() == 485
    _accounted(df)


def test_yuldan14_ipm_column_equals_pandas_decimal_comma() -> None:
    df = read_bps_table(YULDAN)
    ref = pd.read_csv(YULDAN, sep=";", decimal=",").dropna(how="all")
    got = df[df.variable == "Indeks Pembangunan Manusia"]
    np.testing.assert_array_equal(got.value.to_numpy(), ref["Indeks Pembangunan Manusia"].to_numpy())
    assert got.region.tolist() == ref["Kab/Kota"].tolist()


def test_miskin_tables_concatenate() -> None:
    frames = [read_bps_table(TAURADAVIN / f"Miskin {y}.csv", variable="poverty_rate") for y in (2023, 2024)]
    both = pd.concat(frames, ignore_index=True)
    kh = both[both.region == "Kapuas Hulu"].set_index("year").value
    assert kh.to_dict() == {2023: 8.16, 2024: 7.40}


QUARCS = SOURCES / "quarcs-lab__data-indonesia-regional-zenodo" / "economic-data-until-2017"
IDN514 = SOURCES / "quarcs-lab__indonesia514" / "gdp" / "gdp_pc.csv"


def test_quarcs_provinces_wide_by_year_equals_pandas() -> None:
    path = QUARCS / "GRDP_PerCapita_Indonesia_Provinces_until_2017.csv"
    df = read_bps_table(path, variable="gdp_pc")
    ref = pd.read_csv(path, encoding="utf-8-sig").set_index("Province")
    ref.index = ref.index.str.strip()  # 'RIAU ' etc. are padded in the source; labels are stripped
    got = df.pivot(index="region", columns="year", values="value").loc[ref.index]
    np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy(dtype=float))
    assert df.is_province.all() and sorted(df.year.unique()) == list(range(1983, 2018))


def test_idn514_padded_thousands_need_decimal_and_equal_pandas() -> None:
    from sosek_impact.errors import AmbiguousNumberError

    with pytest.raises(AmbiguousNumberError) as info:
        read_bps_table(IDN514)
    assert info.value.row == 2 and info.value.column == "grdp_pc_2000"
    df = read_bps_table(IDN514, decimal=".", split_year_suffix=True)
    ref = pd.read_csv(IDN514, encoding="utf-8-sig", thousands=",", skipinitialspace=True)
    sambas = df[(df.districtID == "6101")].set_index("year").value
    ref_sambas = ref.loc[ref.districtID == 6101].iloc[0]
    assert sambas[2019] == 25397 and sambas[2020] == 21288  # the level break noted in PROVENANCE
    for year in (2000, 2016, 2024):
        assert sambas[year] == float(str(ref_sambas[f"grdp_pc_{year}"]).replace(",", "").strip())


@pytest.mark.slow
def test_quarcs_districts_blitar_twice_is_not_a_duplicate_and_values_equal_pandas() -> None:
    path = QUARCS / "GRDP_PerCapita_Indonesia_Districts_until_2017.csv"
    df = read_bps_table(path, split_year_suffix=True)
    blitar = df[(df.region == "Blitar") & (df.variable == "POP") & (df.year == 2017)]
    assert sorted(blitar.Regency_City) == ["City", "Regency"]
    ref = pd.read_csv(path)
    kh = ref[ref.KDJ == 6108].iloc[0]
    got = df[(df.KDJ == "6108")].set_index(["variable", "year"]).value
    for var in ("POP", "RGDP", "RGDPPC"):
        for year in range(2000, 2018):
            assert got[(var, year)] == kh[f"{var}{year}"]
