"""Header rows as users meet them in BPS exports: a variable and a year in one cell, second header
rows (bilingual, numbered) that must keep working, and malformed first data rows that must not be
taken for a second header row (the rule: a row whose region cell names a regency or province of
the registry is a data row; see ``sosek_impact.io.layout._refuse_data_row_in_head``).
The failing side is also in the malformed corpus (tests/io/malformed: first_row_*.csv).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sosek_impact.errors import HeaderError, NumberFormatError
from sosek_impact.io import read_bps_table


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.csv"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("header, variable, year, flag", [
    ("Pengeluaran 2019", "Pengeluaran", 2019, ""),
    ("Persentase Penduduk Miskin 2020", "Persentase Penduduk Miskin", 2020, ""),
    ("P0 2021*", "P0", 2021, "provisional"),
    ("Tahun 2022", None, 2022, ""),  # a year alone stays a year header
])
def test_a_header_joining_variable_and_year_is_split(tmp_path, header, variable, year, flag):
    out = read_bps_table(_write(tmp_path, f"Kabupaten/Kota,{header}\nSambas,7.5\nBengkayang,6.1\n"))
    assert list(out.year) == [year, year]
    if variable is not None:
        assert set(out.variable) == {variable}
    assert set(out.flag.fillna("")) == {flag}
    assert list(out.value) == [7.5, 6.1] and list(out.source_row) == [2, 3]


def test_joined_headers_over_several_years(tmp_path):
    out = read_bps_table(_write(tmp_path, "Provinsi,Pengeluaran 2019,Pengeluaran 2020\nAceh,100,110\nRiau,120,130\n"))
    assert out.groupby("year").value.sum().to_dict() == {2019: 220.0, 2020: 240.0}
    assert set(out.variable) == {"Pengeluaran"}
    assert set(out.source_column) == {"Pengeluaran 2019", "Pengeluaran 2020"}


def test_a_mapping_may_name_the_label_as_written(tmp_path):
    out = read_bps_table(_write(tmp_path, "Kabupaten/Kota,Miskin 2020\nSambas,7.5\n"), variable={"Miskin 2020": "p0"})
    assert list(out.variable) == ["p0"] and list(out.year) == [2020]


@pytest.mark.parametrize("second", [
    "Regency/City,Percentage of Poor People",  # bilingual
    "(Regency/Municipality),(Percent)",  # bilingual in brackets
    "(1),(2)",  # numbered
    "1,2",  # numbered without brackets
])
def test_second_header_rows_keep_working(tmp_path, second):
    out = read_bps_table(_write(tmp_path, f"Kabupaten/Kota,Persentase Penduduk Miskin 2020\n{second}\n"
                                          "Sambas,7.5\nBengkayang,6.1\n"))
    assert list(out.region) == ["Sambas", "Bengkayang"] and list(out.value) == [7.5, 6.1]
    assert list(out.year) == [2020, 2020] and list(out.source_row) == [3, 4]
    assert out.attrs["skipped"].reason.tolist() == ["header", "header"]
    if second in ("(1),(2)", "1,2"):
        assert set(out.variable) == {"Persentase Penduduk Miskin"}  # numbering is not part of the label


@pytest.mark.parametrize("first, column, value", [
    ("Sambas,x7.5", "Persentase Penduduk Miskin 2020", "x7.5"),
    ("KALIMANTAN BARAT,abc", "Persentase Penduduk Miskin 2020", "abc"),
    ("Kota Pontianak,7.5 %x", "Persentase Penduduk Miskin 2020", "7.5 %x"),
])
def test_a_malformed_first_data_row_is_a_typed_error(tmp_path, first, column, value):
    text = f"Kabupaten/Kota,Persentase Penduduk Miskin 2020\n{first}\nBengkayang,6.1\nSanggau,4.5\n"
    with pytest.raises(NumberFormatError) as err:
        read_bps_table(_write(tmp_path, text))
    assert (err.value.row, err.value.column, err.value.value) == (2, column, value)


def test_a_malformed_first_row_under_a_bilingual_header(tmp_path):
    text = "Kabupaten/Kota,P0\nRegency/City,P0 (percent)\nSambas,x7.5\nBengkayang,6.1\n"
    with pytest.raises(NumberFormatError) as err:
        read_bps_table(_write(tmp_path, text))
    assert err.value.row == 3


def test_a_province_name_over_a_row_of_years_is_still_a_header(tmp_path):
    out = read_bps_table(_write(tmp_path, "Wilayah,Persentase\nKalimantan Barat,Tahun 2020\nSambas,7.5\nBengkayang,6.1\n"))
    assert list(out.year) == [2020, 2020] and list(out.region) == ["Sambas", "Bengkayang"]


def test_two_years_for_one_column_are_refused(tmp_path):
    with pytest.raises(HeaderError):
        read_bps_table(_write(tmp_path, "Kabupaten/Kota,Pengeluaran 2019\n,2020\nSambas,100\n"))
