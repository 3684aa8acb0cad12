"""``read_bps_table`` on small hand-made tables in the shapes BPS exports and users' copies take.

Each fixture is written in the test (CSV text, or XLSX built with openpyxl) so the expected
values are the numbers typed into the fixture: the reference is the fixture itself, compared
exactly (each is a short decimal text, parsed to the nearest double on both sides).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import AmbiguousNumberError
from sosek_impact.io import OUTPUT_COLUMNS, read_bps_table


def _write(tmp_path: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def _accounted(df: pd.DataFrame) -> None:
    lines = set(df.source_row) | set(df.attrs["skipped"].line)
    assert len(set(df.source_row)) + len(df.attrs["skipped"]) == df.attrs["rows_read"] == len(lines)


def test_title_two_row_merged_header_notes_and_decimal_comma(tmp_path: Path) -> None:
    text = (
        "Tabel 5.1 Rata-rata Pengeluaran per Kapita Sebulan Menurut Provinsi (rupiah)\n"
        ";;;;\n"
        "Provinsi;Makanan;;Bukan Makanan;\n"
        ";2017;2018;2017;2018\n"
        "KALIMANTAN BARAT;557.123,50;600.000,25;439.000,00;552.000,75\n"
        "KALIMANTAN UTARA;667.279,70;671.612,17;636.486,14;742.960,64\n"
        "INDONESIA;527.955,82;556.899,25;508.541,45;567.817,60\n"
        ";;;;\n"
        "Catatan: <i>angka sementara</i>;;;;\n"
        "Sumber: Badan Pusat Statistik;;;;\n"
    )
    df = read_bps_table(_write(tmp_path, "t.csv", text))
    assert list(df.columns) == list(OUTPUT_COLUMNS)
    kb = df[df.region == "KALIMANTAN BARAT"]
    assert kb[["variable", "year", "value"]].values.tolist() == [
        ["Makanan", 2017, 557123.50], ["Makanan", 2018, 600000.25],
        ["Bukan Makanan", 2017, 439000.00], ["Bukan Makanan", 2018, 552000.75],
    ]
    assert set(df.attrs["decimal"].values()) == {","}
    # '2017' heads two columns, so each is named by its header path.
    assert sorted(df.source_column.unique()) == [
        "Bukan Makanan - 2017", "Bukan Makanan - 2018", "Makanan - 2017", "Makanan - 2018"]
    assert df.attrs["title"].startswith("Tabel 5.1")
    reasons = dict(zip(df.attrs["skipped"].line, df.attrs["skipped"].reason))
    assert reasons == {1: "title", 2: "blank", 3: "header", 4: "header", 8: "blank", 9: "note", 10: "note"}
    assert df[df.region == "INDONESIA"].is_national.all()
    assert df[df.region == "KALIMANTAN UTARA"].is_province.all()
    _accounted(df)


def test_year_from_title_line_and_regency_blocks(tmp_path: Path) -> None:
    text = (
        "\"Persentase Penduduk Miskin Menurut Kabupaten/Kota, 2019\"\n"
        "Kabupaten/Kota,P0\n"
        "KALIMANTAN BARAT,7.49\n"
        "Sambas,7.84\n"
        "\n"
        "Kapuas Hulu,9.13\n"
        "KALIMANTAN UTARA,6.49\n"
        "Malinau,6.67\n"
        "Kota Tarakan,6.50\n"
    )
    df = read_bps_table(_write(tmp_path, "m.csv", text))
    assert (df.year == 2019).all() and (df.variable == "P0").all()
    blocks = dict(zip(df.region, df.province_block))
    assert blocks["Kapuas Hulu"] == "KALIMANTAN BARAT" and blocks["Kota Tarakan"] == "KALIMANTAN UTARA"
    assert df.is_province.tolist() == [True, False, False, True, False, False]
    assert df.attrs["skipped"].set_index("line").reason.to_dict() == {1: "title", 2: "header", 5: "blank"}
    assert df.source_row.tolist() == [3, 4, 6, 7, 8, 9]


def test_title_year_is_not_a_base_year(tmp_path: Path) -> None:
    text = "PDRB per Kapita Atas Dasar Harga Konstan 2010 (ribu rupiah)\nProvinsi,Nilai\nACEH,23367\nRIAU,70210\n"
    df = read_bps_table(_write(tmp_path, "b.csv", text))
    assert df.year.isna().all()
    df = read_bps_table(_write(tmp_path, "b.csv", text), year=2017)
    assert (df.year == 2017).all()


def test_year_columns_with_provisional_marks(tmp_path: Path) -> None:
    text = (
        "Province,2015,2016*,2017**\n"
        'ACEH,"22,524","22,837r","23,367"\n'
        'RIAU,"70,744","70,761","70,210*"\n'
    )
    df = read_bps_table(_write(tmp_path, "y.csv", text), decimal=".", variable="gdp_pc")
    aceh = df[df.region == "ACEH"].set_index("year")
    assert aceh.value.to_dict() == {2015: 22524.0, 2016: 22837.0, 2017: 23367.0}
    assert aceh.flag.to_dict() == {2015: "", 2016: "provisional;revised", 2017: "provisional"}
    assert df.is_province.all() and (df.variable == "gdp_pc").all()
    with pytest.raises(AmbiguousNumberError):
        read_bps_table(_write(tmp_path, "y.csv", text))


def test_long_layout(tmp_path: Path) -> None:
    text = (
        "Provinsi\tTahun\tIndikator\tNilai\r\n"
        "Kalimantan Barat\t2020\tP0\t7,17\r\n"
        "Kalimantan Barat\t2021\tP0\t7,15\r\n"
        "Kalimantan Barat\t2021\tIPM\t67,90\r\n"
        "Indonesia\t2021\tIPM\t72,29\r\n"
    )
    df = read_bps_table(_write(tmp_path, "l.tsv", text), variable={"P0": "poverty_rate"})
    assert df.attrs["separator"] == "\t"
    assert df[["region", "year", "variable", "value"]].values.tolist() == [
        ["Kalimantan Barat", 2020, "poverty_rate", 7.17], ["Kalimantan Barat", 2021, "poverty_rate", 7.15],
        ["Kalimantan Barat", 2021, "IPM", 67.90], ["Indonesia", 2021, "IPM", 72.29],
    ]
    assert df.is_national.tolist() == [False, False, False, True]


def test_year_column_with_variable_columns(tmp_path: Path) -> None:
    text = "Kabupaten,Tahun,P0,IPM\nSambas,2020,7.8,67.2\nSambas,2021,7.9,67.5\n"
    df = read_bps_table(_write(tmp_path, "v.csv", text))
    assert df[["year", "variable", "value"]].values.tolist() == [
        [2020, "P0", 7.8], [2020, "IPM", 67.2], [2021, "P0", 7.9], [2021, "IPM", 67.5]]


def test_cp1252_fallback(tmp_path: Path) -> None:
    text = "Kabupaten/Kota,IPM\nKota Pontianak \u2013 ibukota,78.92\nSambas,67.59\n"
    df = read_bps_table(_write(tmp_path, "c.csv", text, encoding="cp1252"))
    assert df.attrs["encoding"] == "cp1252"
    assert df.region.tolist() == ["Kota Pontianak \u2013 ibukota", "Sambas"]


def test_utf16_tab_crlf_excel_unicode_text(tmp_path: Path) -> None:
    text = "Kabupaten/Kota\tP0\r\nSambas\t7,69\r\nLandak\t11,3\r\n"
    df = read_bps_table(_write(tmp_path, "u.txt", text, encoding="utf-16"))
    assert df.attrs["encoding"] == "utf-16" and df.value.tolist() == [7.69, 11.3]


def test_province_column_and_extra_label_columns(tmp_path: Path) -> None:
    text = (
        "districtID,district,provinceID,province,grdp_pc_2016,grdp_pc_2017\n"
        '6101,Sambas,61,Kalimantan Barat," 24,000 "," 25,397 "\n'
        '6106,Kapuas Hulu,61,Kalimantan Barat," 20,100 "," 21,004 "\n'
        '6501,Malinau,65,Kalimantan Utara," 98,000 ",\n'
    )
    df = read_bps_table(_write(tmp_path, "g.csv", text), decimal=".")
    assert {"districtID", "provinceID"} <= set(df.columns)
    kh = df[df.region == "Kapuas Hulu"]
    assert kh.province_block.unique().tolist() == ["Kalimantan Barat"]
    assert kh.districtID.unique().tolist() == ["6106"]
    assert kh.set_index("variable").value.to_dict() == {"grdp_pc_2016": 20100.0, "grdp_pc_2017": 21004.0}
    malinau = df[(df.region == "Malinau") & (df.variable == "grdp_pc_2017")]
    assert malinau.value.isna().all() and (malinau.raw == "").all()  # missing stays missing


def test_decimal_per_column_mapping(tmp_path: Path) -> None:
    text = "Kabupaten;Penduduk;P0\nSambas;531.700;7,69\nLandak;397.800;11,30\n"
    df = read_bps_table(_write(tmp_path, "d.csv", text), decimal={"Penduduk": ","})
    assert df.pivot(index="region", columns="variable", values="value").to_dict() == {
        "P0": {"Landak": 11.30, "Sambas": 7.69}, "Penduduk": {"Landak": 397800.0, "Sambas": 531700.0}}


def test_region_column_by_index(tmp_path: Path) -> None:
    text = "Kode,Nama,Nilai\n6101,Sambas,1.5\n6102,Bengkayang,2.5\n"
    df = read_bps_table(_write(tmp_path, "r.csv", text), region_column=1)
    assert df.region.tolist() == ["Sambas", "Bengkayang"] and df.Kode.tolist() == ["6101", "6102"]


def test_xlsx_with_merged_header_numbers_and_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Intro"
    book.active["A1"] = "see next sheet"
    ws = book.create_sheet("Tabel 1")
    ws["A1"] = "Indeks Pembangunan Manusia menurut Kabupaten/Kota"
    ws.append([])
    ws.append(["Provinsi/Kabupaten/Kota", "IPM", None])
    ws.merge_cells("B3:C3")
    ws.append([None, 2022, "2023*"])
    ws.append(["KALIMANTAN BARAT", 68.63, 69.41])
    ws.append(["Kapuas Hulu", 66.7, "67,67"])
    ws.append(["Sintang", 67.86, "-"])
    ws.append(["INDONESIA", 72.91, 73.55])
    ws.append(["Sumber: BPS"])
    path = tmp_path / "ipm.xlsx"
    book.save(path)
    df = read_bps_table(path, sheet="Tabel 1")
    assert df.attrs["sheet"] == "Tabel 1"
    kh = df[df.region == "Kapuas Hulu"].set_index("year")
    assert kh.value.to_dict() == {2022: 66.7, 2023: 67.67}
    assert kh.flag.to_dict() == {2022: "", 2023: "provisional"}
    assert (df.variable == "IPM").all()
    assert kh.source_row.unique().tolist() == [6]
    sintang = df[(df.region == "Sintang") & (df.year == 2023)]
    assert sintang.value.isna().all() and sintang.raw.tolist() == ["-"]
    assert df.attrs["skipped"].set_index("line").reason.to_dict() == {
        1: "title", 2: "blank", 3: "header", 4: "header", 9: "note"}
    assert read_bps_table(path, sheet=1).equals(df)


def test_attrs_survive_concat_and_skipped_is_a_dataframe(tmp_path: Path) -> None:
    a = read_bps_table(_write(tmp_path, "a.csv", "Kabupaten,P0\nSambas,7.69\n"), year=2020)
    b = read_bps_table(_write(tmp_path, "b.csv", "Kabupaten,P0\nSambas,7.50\n"), year=2021)
    both = pd.concat([a, b], ignore_index=True)
    assert both.year.tolist() == [2020, 2021]
    assert isinstance(a.attrs["skipped"], pd.DataFrame)
    assert list(a.attrs["skipped"].columns) == ["line", "text", "reason"]


def test_output_dtypes(tmp_path: Path) -> None:
    df = read_bps_table(_write(tmp_path, "a.csv", "Kabupaten,P0\nSambas,7.69\nLandak,-\n"))
    assert str(df.year.dtype) == "Int64" and df.value.dtype == np.float64
    assert df.is_province.dtype == bool and df.source_row.dtype == np.int64
    assert np.isnan(df.value.iloc[1]) and df.raw.iloc[1] == "-"


def test_unquoted_source_note_with_a_year_is_a_note(tmp_path: Path) -> None:
    # A user's copy that lost the quotes: "Sumber: BPS, 2024" splits into a label and a number.
    text = "Kabupaten/Kota,P0\nSambas,7.69\nLandak,11.3\nSumber: BPS, 2024\n*angka sementara,\n"
    df = read_bps_table(_write(tmp_path, "n.csv", text), year=2024)
    assert df.region.tolist() == ["Sambas", "Landak"]
    assert df.attrs["skipped"].set_index("line").reason.to_dict() == {1: "header", 4: "note", 5: "note"}


def test_year_alone_on_a_title_line(tmp_path: Path) -> None:
    text = "Persentase Penduduk Miskin Menurut Kabupaten/Kota (Persen)\n2024\nKabupaten/Kota,P0\nSambas,6.53\n"
    df = read_bps_table(_write(tmp_path, "t.csv", text))
    assert df.year.tolist() == [2024] and df.value.tolist() == [6.53]
    assert df.attrs["skipped"].set_index("line").reason.to_dict() == {1: "title", 2: "title", 3: "header"}


def test_years_down_the_rows_regions_across(tmp_path: Path) -> None:
    text = (
        "Persentase Penduduk Miskin (Persen)\n"
        "Tahun,KALIMANTAN BARAT,Kapuas Hulu,Sintang,INDONESIA\n"
        "2023,6.71,8.16,8.18,9.36\n"
        "2024*,6.32,7.40,8.03,9.03\n"
        "Sumber: BPS\n"
    )
    df = read_bps_table(_write(tmp_path, "t.csv", text), variable="poverty_rate")
    kh = df[df.region == "Kapuas Hulu"]
    assert kh.set_index("year").value.to_dict() == {2023: 8.16, 2024: 7.40}
    assert kh.province_block.unique().tolist() == ["KALIMANTAN BARAT"] and not kh.is_province.any()
    assert df[df.region == "INDONESIA"].is_national.all()
    assert (df.variable == "poverty_rate").all()
    assert df[df.year == 2024].source_row.unique().tolist() == [4]
    assert set(df[df.year == 2024].flag) == {"provisional"} and set(df[df.year == 2023].flag) == {""}
    assert df.attrs["skipped"].set_index("line").reason.to_dict() == {1: "title", 2: "header", 5: "note"}


def test_four_digit_counts_are_data_not_a_year_header(tmp_path: Path) -> None:
    # Number of villages (desa) and of households in thousands: four-digit values, not years.
    text = "Jumlah desa dan rumah tangga\nSambas,1934,1901\nLandak,1986,2010\n"
    df = read_bps_table(_write(tmp_path, "d.csv", text))
    assert df.region.tolist() == ["Sambas", "Sambas", "Landak", "Landak"]
    assert df.value.tolist() == [1934.0, 1901.0, 1986.0, 2010.0] and df.year.isna().all()


def test_xlsx_errors_name_sheet_row_and_column(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from sosek_impact.errors import NumberFormatError

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Kabupaten/Kota", "P0"])
    ws.append(["Sambas", 6.53])
    ws.append(["Landak", "n.a"])  # 'n.a' (without the final dot) is not a missing mark
    ws.append(["Sintang", 8.03])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(NumberFormatError) as info:
        read_bps_table(path)
    assert (info.value.row, info.value.column, info.value.value) == (3, "P0", "n.a")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    from sosek_impact.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        read_bps_table(tmp_path / "absent.csv")
