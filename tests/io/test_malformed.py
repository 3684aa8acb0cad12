"""The malformed-input corpus: each file must raise its typed error naming file, row and column.

Reference: ``tests/io/malformed/manifest.csv`` (written with the files by ``make_corpus.py``),
where each expected line number was counted by hand in the file's text.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from sosek_impact import errors
from sosek_impact.io import read_bps_table

CORPUS = Path(__file__).resolve().parent / "malformed"


def _cases() -> list[dict[str, str]]:
    with open(CORPUS / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CASES = _cases()


def test_corpus_is_large_enough_and_complete() -> None:
    assert len(CASES) >= 40
    listed = {c["file"] for c in CASES}
    on_disk = {p.name for p in CORPUS.iterdir() if p.name not in {"manifest.csv", "make_corpus.py"}}
    assert listed == on_disk


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_malformed_file_raises_located_error(case: dict[str, str]) -> None:
    expected = getattr(errors, case["expected_error"])
    options = json.loads(case["options"]) if case["options"] else {}
    for key in ("value_range", "year_range"):
        if key in options:
            options[key] = tuple(options[key])
    path = CORPUS / case["file"]
    with pytest.raises(errors.InputError) as info:
        read_bps_table(path, **options)
    exc = info.value
    assert type(exc) is expected, f"{case['what']}: got {type(exc).__name__}: {exc}"
    message = str(exc)
    assert exc.file is not None and Path(exc.file).name == case["file"]
    assert case["file"] in message
    if case["expected_row"]:
        assert exc.row == int(case["expected_row"]), message
        assert f"row {case['expected_row']}" in message
    if case["expected_column"]:
        assert exc.column == case["expected_column"], message
        assert repr(case["expected_column"]) in message


# --- Rows at the end of the body, star-prefixed regions, digits (audit of the tail rule) -------------


def _read(tmp_path: Path, text: str, **options):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    df = read_bps_table(path, **options)
    skipped = df.attrs["skipped"]
    # Rows in = rows out + rows reported.
    assert sorted(set(df["source_row"]) | set(skipped["line"])) == list(range(1, df.attrs["rows_read"] + 1))
    assert not set(df["source_row"]) & set(skipped["line"])
    return df, skipped.set_index("line").reason.to_dict()


@pytest.mark.parametrize("cell", ["x", "abc", "4,0x", "(1,5)", "1)", "6,5\u00b9", "*", "\uff17,\uff15"])
@pytest.mark.parametrize("where", ["middle", "last"])
def test_malformed_value_raises_in_the_last_row_as_in_the_middle(tmp_path: Path, cell: str, where: str) -> None:
    rows = ['Sambas,"7,5"', 'Mempawah,"5,1"', f'Bengkayang,"{cell}"']
    if where == "middle":
        rows.insert(1, rows.pop())
    path = tmp_path / "t.csv"
    path.write_text("Kabupaten/Kota,P0\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(errors.NumberFormatError) as info:
        read_bps_table(path)
    assert (info.value.row, info.value.column, info.value.value) == (3 if where == "middle" else 4, "P0", cell)


def test_missing_mark_after_the_last_number_is_kept(tmp_path: Path) -> None:
    df, reasons = _read(tmp_path, 'Kabupaten/Kota,P0\nSambas,"7,5"\nMempawah,"5,1"\nKapuas Hulu,-\n')
    assert df.region.tolist() == ["Sambas", "Mempawah", "Kapuas Hulu"]
    assert math.isnan(df.value.iloc[-1]) and df.raw.iloc[-1] == "-"
    assert reasons == {1: "header"}


@pytest.mark.parametrize("text", ['Kabupaten/Kota,P0\nSambas,"7,5"\nBengkayang,"6,1"\nLandak,\n',
                                  'Kabupaten/Kota,P0\nSambas,"7,5"\nBengkayang,"6,1"\nLandak,\n\n'])
def test_empty_value_in_the_last_row_is_a_missing_value(tmp_path: Path, text: str) -> None:
    df, reasons = _read(tmp_path, text)
    assert df.region.tolist() == ["Sambas", "Bengkayang", "Landak"]
    assert math.isnan(df.value.iloc[-1]) and int(df.source_row.iloc[-1]) == 4
    assert {k: v for k, v in reasons.items() if v != "blank"} == {1: "header"}


def test_empty_values_in_the_last_row_of_several_columns(tmp_path: Path) -> None:
    df, _ = _read(tmp_path, 'Kabupaten/Kota,P0,IPM\nSambas,"7,5","67,1"\nLandak,,\n')
    assert df[df.region == "Landak"].value.isna().tolist() == [True, True]


def test_note_lines_after_the_body_stay_notes(tmp_path: Path) -> None:
    text = ('Kabupaten/Kota,P0\nSambas,"7,5"\nBengkayang,"6,1"\n\nCatatan,\n*angka sementara,\n'
            '1) data diolah,\nDiolah dari: Susenas Maret,\n<i>Note</i>,\nSumber: BPS, 2024\nLandak,\n')
    df, reasons = _read(tmp_path, text)
    assert df.region.tolist() == ["Sambas", "Bengkayang"]
    # "Landak," after the notes (not straight after the body) is taken for a note, and reported.
    assert reasons == {1: "header", 4: "blank", **{i: "note" for i in range(5, 12)}}


@pytest.mark.parametrize("first", [True, False])
def test_region_name_starting_with_a_star_is_a_region(tmp_path: Path, first: bool) -> None:
    rows = ['Sambas,"7,5"', '*Pangandaran,"6,1"', 'Landak,"5,0"']
    if first:
        rows.insert(0, rows.pop(1))
    df, reasons = _read(tmp_path, "Judul tabel\nKabupaten/Kota,P0\n" + "\n".join(rows) + "\n")
    assert sorted(df.region) == ["*Pangandaran", "Landak", "Sambas"]
    assert df.loc[df.region == "*Pangandaran", "value"].tolist() == [6.1]
    assert (df.variable == "P0").all()
    assert reasons == {1: "title", 2: "header"}


def test_headerless_value_columns_are_not_duplicates(tmp_path: Path) -> None:
    # Two value columns without any header text are two (unnamed) variables, told apart by position.
    df, _ = _read(tmp_path, 'Sambas,"7,5","8,1"\nLandak,"6,5","9,1"\n')
    assert df.source_column.tolist() == ["column 2", "column 3"] * 2


def test_duplicate_year_columns_error_names_both_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('Kabupaten/Kota,2020,2020\nSambas,"7,5","7,6"\n', encoding="utf-8")
    with pytest.raises(errors.DuplicateKeyError) as info:
        read_bps_table(path)
    assert "'2020 (column 2)'" in str(info.value) and "'2020 (column 3)'" in str(info.value)
    assert len(read_bps_table(path, allow_duplicates=True)) == 2
