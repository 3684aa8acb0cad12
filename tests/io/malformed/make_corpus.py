"""Write the malformed-input corpus of ``sosek_impact.io.read_bps_table`` and its manifest.

Each case is a small file shaped like a BPS web-table export (or a user's copy of one) with
one defect, the error class the reader must raise, the 1-based line and the column the
message must name, and the read options to use. The files are committed; this script is how
they were made (run it from anywhere: ``python tests/io/malformed/make_corpus.py``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

MISKIN_HEAD = "Provinsi/Kabupaten/Kota,\n,Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)\n,2024\n"
EXP_HEAD = "Provinsi,Makanan,Bukan Makanan,Jumlah\n"

# name, content (str → UTF-8 text, bytes → as is), error, row, column, options, what
CASES: list[tuple[str, str | bytes, str, int | str, str, dict, str]] = [
    ("empty.csv", b"", "EmptyFileError", "", "", {}, "zero-byte file"),
    ("whitespace_only.csv", "\n  \n\t\n", "EmptyFileError", "", "", {}, "only blank lines"),
    ("bom_only.csv", b"\xef\xbb\xbf", "EmptyFileError", "", "", {}, "a UTF-8 BOM and nothing else"),
    ("blank_separators_only.csv", ";;;;\n;;;;\n;;;;\n", "EmptyFileError", "", "", {},
     "only empty ;;;; rows"),
    ("header_only.csv", EXP_HEAD, "EmptyFileError", 1, "", {}, "header row, no data rows"),
    ("bps_head_only.csv", MISKIN_HEAD, "EmptyFileError", 3, "", {},
     "the three BPS head lines (label, title, year) without data"),
    ("notes_only.csv", "Catatan,,\nSumber: Badan Pusat Statistik,,\n", "EmptyFileError", 2, "", {},
     "only note rows"),
    ("truncated_row.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\nSumatera Utara,522766.38,387051.28\n"
     "Riau,600000.10,500000.20,1100000.30\n", "SchemaError", 3, "Jumlah", {}, "a data row with one field missing"),
    ("truncated_last_row.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\n"
     "Sumatera Utara,522766.38,387051.28,909817.66\nRiau,600000.1", "SchemaError", 4, "Bukan Makanan", {},
     "file cut in the middle of its last row"),
    ("extra_field.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\n"
     "Sumatera Utara,522766.38,387051.28,909817.66,12.5\nRiau,600000.10,500000.20,1100000.30\n"
     "Jambi,1.5,2.5,4.0\n", "SchemaError", 3, "column 5", {}, "a data row with one field too many"),
    ("wrong_separator_forced.csv", "Provinsi;P0\nAceh;14.23\nSumatera Utara;8.15\nRiau;6.84\n", "HeaderError", 1,
     "", {"sep": ","}, "semicolon file read with sep=','"),
    ("single_column.csv", "Provinsi P0\nAceh 14.23\nSumatera Utara 8.15\n", "HeaderError", 1, "", {},
     "no separator at all (space-separated)"),
    ("header_separator_differs.csv", "Provinsi;P0\nAceh,14.23\nSumatera Utara,8.15\nRiau,6.84\n", "HeaderError",
     1, "column 2", {}, "header written with ';', data with ','"),
    ("shifted_header.csv", "Provinsi,,Makanan,Jumlah\nAceh,529161.55,902994.59,\n"
     "Sumatera Utara,522766.38,909817.66,\nRiau,600000.10,1100000.30,\n", "HeaderError", 1, "column 2", {},
     "header labels shifted one column right of the data"),
    ("header_longer_than_data.csv", EXP_HEAD + "Aceh,529161.55,373833.04\nSumatera Utara,522766.38,387051.28\n"
     "Riau,600000.10,500000.20\n", "HeaderError", 1, "Jumlah", {}, "header has 4 fields, every data row 3"),
    ("two_row_header_mismatch.csv", "Provinsi,Pengeluaran,,\n,Makanan,Bukan Makanan\n"
     "Aceh,529161.55,373833.04,902994.59\nSumatera Utara,522766.38,387051.28,909817.66\n", "HeaderError", 2, "column 4",
     {},
     "two-row header whose second row is one field short"),
    ("duplicate_regency.csv", MISKIN_HEAD + "KALIMANTAN BARAT,6.32\nSambas,7.69\nKapuas Hulu,7.40\nSintang,8.03\n"
     "Kapuas Hulu,7.45\n", "DuplicateKeyError", 8, "Provinsi/Kabupaten/Kota", {},
     "same regency twice in one province block, same year"),
    ("duplicate_province_row.csv", MISKIN_HEAD + "ACEH,14.23\nSimeulue,17.69\nACEH,14.23\nAceh Singkil,19.06\n",
     "DuplicateKeyError", 6, "Provinsi/Kabupaten/Kota", {}, "a province row repeated"),
    ("duplicate_long.csv", "Provinsi,Tahun,Nilai\nAceh,2020,14.99\nAceh,2021,15.33\nRiau,2020,6.82\nAceh,2020,14.99\n",
     "DuplicateKeyError", 5, "Provinsi", {}, "long table with the same province and year twice"),
    ("duplicate_two_label_columns.csv", "Provinsi;Kab/Kota;P0\nACEH;Simeulue;18,98\nACEH;Aceh Singkil;20,36\n"
     "ACEH;Simeulue;18,99\n", "DuplicateKeyError", 4, "Kab/Kota", {},
     "Provinsi and Kab/Kota columns, one regency twice in the same province"),
    ("ambiguous_comma.csv", "Kabupaten,PDRB per kapita\nSambas,\" 25,397 \"\nBengkayang,\" 32,110 \"\n"
     "Landak,\" 21,004 \"\n", "AmbiguousNumberError", 2, "PDRB per kapita", {},
     "every value like 25,397: thousands or decimal comma?"),
    ("ambiguous_dot.csv", "Kabupaten;Penduduk (ribu)\nSambas;1.234\nBengkayang;2.500\nLandak;3.125\n",
     "AmbiguousNumberError", 2, "Penduduk (ribu)", {}, "every value like 1.234"),
    ("ambiguous_mixed.csv", "Kabupaten,Nilai Tambah\nSambas,\"5,5\"\nBengkayang,1.234\nLandak,6.25\n",
     "AmbiguousNumberError", 3, "Nilai Tambah", {}, "column mixes marks and holds an ambiguous cell"),
    ("ambiguous_provisional.csv", "Kabupaten,PDRB\nSambas,12.345*\nBengkayang,23.456**\nLandak,34.567*\n",
     "AmbiguousNumberError", 2, "PDRB", {}, "ambiguous values with provisional marks"),
    ("text_in_number_column.csv", MISKIN_HEAD + "ACEH,14.23\nSimeulue,17.69\nAceh Singkil,tidak ada\n"
     "Aceh Selatan,12.02\n", "NumberFormatError", 6, "2024", {}, "a word where P0 should be"),
    ("text_in_number_semicolon.csv", "Provinsi;Kab/Kota;P0;IPM\nACEH;Simeulue;18,98;66,41\n"
     "ACEH;Aceh Singkil;20,36;sekitar 69\nACEH;Aceh Selatan;13,18;67,44\n", "NumberFormatError", 3, "IPM", {},
     "text in a decimal-comma column"),
    ("percent_sign.csv", "Kabupaten,P0\nSambas,\"7,69%\"\nBengkayang,\"6,5%\"\nLandak,\"11,3%\"\n",
     "NumberFormatError", 2, "P0", {}, "percent signs in the cells"),
    ("two_decimal_marks.csv", "Kabupaten,Nilai\nSambas,\"1,234,5\"\nBengkayang,12.5\nLandak,13.5\n",
     "NumberFormatError", 2, "Nilai", {}, "1,234,5 is no number in either convention"),
    ("misgrouped_thousands.csv", "Kabupaten;Penduduk\nSambas;1.23.456\nBengkayang;250.000\nLandak;12,5\n",
     "NumberFormatError", 2, "Penduduk", {}, "thousand groups of the wrong size"),
    ("footnote_inside_number.csv", "Kabupaten,Nilai\nSambas,12*3\nBengkayang,12.5\nLandak,13.5\n",
     "NumberFormatError", 2, "Nilai", {}, "a footnote mark inside the number"),
    ("decimal_forced_wrong.csv", "Kabupaten;P0\nSambas;7,69\nBengkayang;6,5\nLandak;11,3\n", "NumberFormatError",
     2, "P0", {"decimal": "."}, "decimal='.' passed for a decimal-comma file"),
    ("negative_nonnegative.csv", "Kabupaten,Penduduk\nSambas,531700\nBengkayang,-261500\nLandak,397800\n",
     "ValueRangeError", 3, "Penduduk", {"nonnegative": True}, "negative population with nonnegative=True"),
    ("share_over_100.csv", MISKIN_HEAD + "KALIMANTAN BARAT,6.32\nSambas,7.69\nKapuas Hulu,107.4\n",
     "ValueRangeError", 6, "2024", {"value_range": [0, 100]}, "a percentage above 100"),
    ("year_1899_header.csv", "Provinsi,1899,1900\nACEH,25845,30118\nRIAU,40000,41000\n", "ValueRangeError", 1,
     "1899", {}, "a year column 1899 (default year_range 1900-2100)"),
    ("year_1899_long.csv", "Provinsi,Tahun,Nilai\nAceh,2020,14.99\nAceh,1899,15.33\n", "ValueRangeError", 3,
     "Tahun", {}, "year 1899 in a long table"),
    ("year_1899_bps_head.csv", "Provinsi/Kabupaten/Kota,\n,Persentase Penduduk Miskin (P0)\n,1899\nACEH,14.23\n"
     "Simeulue,17.69\n", "ValueRangeError", 3, "1899", {}, "year line of the BPS head says 1899"),
    ("year_outside_declared_range.csv", "Provinsi,1983,1984\nACEH,25845,30118\nRIAU,40000,41000\n",
     "ValueRangeError", 1, "1983", {"year_range": [1990, 2035]}, "years before the declared year_range"),
    ("year_conflict.csv", MISKIN_HEAD + "ACEH,14.23\nSimeulue,17.69\n", "HeaderError", 3, "2024", {"year": 2023},
     "year=2023 passed for a table whose head says 2024"),
    ("long_not_a_year.csv", "Provinsi,Tahun,Nilai\nAceh,2020,14.99\nAceh,dua ribu,15.33\n", "SchemaError", 3,
     "Tahun", {}, "text in the year column of a long table"),
    ("long_without_value_column.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\n", "HeaderError", 1, "",
     {"layout": "long"}, "layout='long' on a wide table"),
    ("values_without_region.csv", MISKIN_HEAD + "ACEH,14.23\n,17.69\nAceh Singkil,19.06\n", "SchemaError", 5,
     "Provinsi/Kabupaten/Kota", {}, "a value row whose region cell is empty"),
    ("unknown_region_column.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\n", "SchemaError", "",
     "Kabupaten", {"region_column": "Kabupaten"}, "region_column= names no column"),
    ("variable_name_for_many.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\n"
     "Riau,600000.10,500000.20,1100000.30\n", "SchemaError", 1, "", {"variable": "food_exp"},
     "one variable name for a table of three variables"),
    ("unbalanced_quote.csv", EXP_HEAD + "Aceh,529161.55,373833.04,902994.59\n\"Sumatera Utara,522766.38,387051.28,"
     "909817.66\nRiau,600000.10,500000.20,1100000.30\n", "SchemaError", 3, "", {},
     "an opening double quote never closed"),
    ("quote_then_text.csv", EXP_HEAD + "Aceh,\"529161.55\"x,373833.04,902994.59\n", "SchemaError", 2, "", {},
     "text after a closing quote"),
    ("non_utf8_undecodable.csv", b"Kabupaten,P0\nSambas,7.69\nBeng\x81kay\x8dang,6.5\n", "EncodingError", 3, "", {},
     "bytes 0x81/0x8D: not UTF-8, undefined in cp1252, control codes in Latin-1"),
    ("forced_utf8_on_latin1.csv", "Kabupaten,P0\nSambas,7.69\nBengkayang (Kalbar, ré),6.5\n".encode("latin-1"),
     "EncodingError", 3, "", {"encoding": "utf-8"}, "encoding='utf-8' forced on a Latin-1 file"),
    ("binary_garbage.csv", bytes(range(256)) * 4, "EncodingError", 1, "", {}, "all 256 byte values"),
    ("png_renamed.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "EncodingError", 3, "", {},
     "a PNG image saved as .csv"),
    ("nul_in_row.csv", b"Kabupaten,P0\nSambas,7.69\nBengkayang,6\x005\n", "EncodingError", 3, "", {},
     "a NUL byte inside a data row"),
    ("control_characters.csv", "Kabupaten,P0\nSambas,7.69\nBengkayang\x07,6.5\n", "EncodingError", 3, "", {},
     "a BEL control character (binary data in text)"),
    ("legacy_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "EncodingError", 1, "", {},
     "an old binary .xls workbook"),
    ("total_row_twice.csv", "Kabupaten/Kota,P0\nSambas,7.69\nLandak,11.3\nJumlah,8.1\nJumlah,8.2\n",
     "DuplicateKeyError", 5, "Kabupaten/Kota", {}, "a total row repeated"),
    ("not_really.xlsx", "Provinsi,P0\nAceh,14.23\n", "EncodingError", "", "", {}, "a CSV saved with .xlsx suffix"),
    ("truncated_zip.xlsx", b"PK\x03\x04\x14\x00\x00\x00\x08\x00garbage", "EncodingError", "", "", {},
     "a workbook cut after its zip header"),
    # A malformed value in the LAST data row(s) must raise like one in mid-table (it used to end
    # the body above it, and the row was skipped as a note).
    ("text_in_last_row.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nMempawah,\"5,1\"\nBengkayang,x\n",
     "NumberFormatError", 4, "P0", {}, "a word in the value cell of the last data row"),
    ("parenthesised_last_row.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nBengkayang,\"(1,5)\"\n",
     "NumberFormatError", 3, "P0", {}, "an accounting-style negative (1,5) in the last row"),
    ("superscript_last_row.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nMempawah,\"5,1\"\nLandak,\"6,5\u00b9\"\n",
     "NumberFormatError", 4, "P0", {}, "a superscript footnote digit after the last value"),
    ("text_before_missing_last_row.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nMempawah,abc\nKapuas Hulu,-\n",
     "NumberFormatError", 3, "P0", {}, "a word in the next-to-last row, a missing mark in the last"),
    ("text_in_last_row_second_column.csv", "Kabupaten/Kota,P0,IPM\nSambas,\"7,5\",\"67,1\"\n"
     "Landak,\"5,0\",xx\n", "NumberFormatError", 3, "IPM", {}, "a word in the second value column of the last row"),
    ("text_after_note.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nBengkayang,\"6,1\"\nCatatan,\nLandak,abc\n",
     "NumberFormatError", 5, "P0", {}, "a data row with a word for its value after a Catatan line"),
    ("star_in_last_row.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nBengkayang,\"6,1\"\nLandak,*\n",
     "NumberFormatError", 4, "P0", {}, "a footnote star without a number in the last row"),
    ("years_down_text_last_row.csv", "Tahun,Kalimantan Barat,Kalimantan Utara\n2015,8.44,6.23\n2016,8.00,6.99\n"
     "2017,abc,7.10\n", "NumberFormatError", 4, "Kalimantan Barat", {},
     "years down the rows, a word in the last year's row"),
    ("values_without_region_last_row.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nBengkayang,\"6,1\"\n,\"5,0\"\n",
     "SchemaError", 4, "Kabupaten/Kota", {}, "the last row has a value but no region name"),
    ("number_in_head.csv", "Kabupaten/Kota,P0\n,\"7,5\"\nBengkayang,\"6,1\"\nLandak,\"5,0\"\n", "HeaderError", 2,
     "P0", {}, "a first data row without a region label, which would be read as a header row"),
    ("duplicate_year_columns.csv", "Kabupaten/Kota,2020,2020\nSambas,\"7,5\",\"7,6\"\nLandak,\"5,0\",\"5,1\"\n",
     "DuplicateKeyError", 2, "2020 (column 3)", {}, "two columns headed with the same year"),
    ("duplicate_mapped_variable.csv", "Kabupaten/Kota,P0 2020,Miskin 2020\nSambas,\"7,5\",\"7,6\"\n",
     "DuplicateKeyError", 2, "Miskin 2020", {"variable": {"Miskin 2020": "p0", "P0 2020": "p0"}},
     "two column labels mapped to one variable name"),
    ("fullwidth_digits.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nBengkayang,\"\uff16,\uff11\"\nLandak,\"5,0\"\n",
     "NumberFormatError", 3, "P0", {}, "full-width digits (\uff16,\uff11) in a cell"),
    ("arabic_indic_digits.csv", "Kabupaten/Kota,P0\nSambas,\"7,5\"\nBengkayang,\"\u0666,\u0661\"\n",
     "NumberFormatError", 3, "P0", {}, "Arabic-Indic digits in the last row"),
    # a malformed first data row under the header is a data row (its region name resolves), not a
    # second header row: the error names it
    ("first_row_malformed_under_header.csv",
     "Kabupaten/Kota,Persentase Penduduk Miskin 2020\nSambas,x7.5\nBengkayang,6.1\nSanggau,4.5\n",
     "NumberFormatError", 2, "Persentase Penduduk Miskin 2020", {},
     "first data row 'Sambas,x7.5' under a header joining variable and year"),
    ("first_row_two_dots_under_bilingual_header.csv",
     "Kabupaten/Kota,Pengeluaran 2019\nRegency/City,Expenditure\nSanggau,7.5.1\nSambas,6.1\n",
     "NumberFormatError", 3, "Expenditure", {},
     "first data row '7.5.1' under a bilingual second header row"),
    ("first_row_malformed_under_numbering.csv",
     MISKIN_HEAD + "(1),(2)\nKapuas Hulu,7.4x\nSintang,8.03\n",
     "NumberFormatError", 5, "2024", {}, "first data row '7.4x' under a numbering row (1),(2)"),
    ("joined_header_two_years.csv", "Kabupaten/Kota,Pengeluaran 2019\n,2020\nSambas,100\nBengkayang,120\n",
     "HeaderError", "", "2020", {}, "a header naming a year ('Pengeluaran 2019') over another year row"),
]


def main() -> None:
    rows = []
    for name, content, error, row, column, options, what in CASES:
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
        rows.append([name, error, row, column, json.dumps(options, sort_keys=True) if options else "", what])
    with open(HERE / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "expected_error", "expected_row", "expected_column", "options", "what"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
