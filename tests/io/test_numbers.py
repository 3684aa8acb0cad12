"""Parsing of BPS number formats.

References: the cell texts quoted in ``/work/shared/data/sources/PROVENANCE.md`` and the
BPS convention (dot groups thousands and comma marks decimals in Indonesian tables; the
reverse in English exports). Property tests format random numbers with
:func:`format_number` in either convention and check the parser reads back the same value
(tolerance: 0.5 unit of the last printed digit) or refuses, never a different number.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sosek_impact.errors import AmbiguousNumberError, NumberFormatError
from sosek_impact.io import detect_decimal, format_number, parse_number, parse_numeric_column
from sosek_impact.io.numbers import MIXED, split_flags


@pytest.mark.parametrize(
    ("text", "decimal", "value", "flag"),
    [
        ("1.186.868", None, 1186868.0, ""),          # Indonesian thousands
        ("51,50", None, 51.5, ""),                     # decimal comma (yuldan14 style)
        (" 12,047 ", ".", 12047.0, ""),                # idn514 gdp_pc cell, comma = thousands
        (" 12,047 ", ",", 12.047, ""),
        ("1,186,868.5", None, 1186868.5, ""),          # English grouping + decimal point
        ("1.186.868,5", None, 1186868.5, ""),
        ("7.4", None, 7.4, ""),                        # Miskin 2024 Kapuas Hulu
        ("0,123", None, 0.123, ""),                    # a leading 0 is never a thousands group
        ("1234,567", None, 1234.567, ""),              # 4 digits before the mark: not grouping
        ("12.345*", ",", 12345.0, "provisional"),
        ("12,5**", None, 12.5, "provisional"),
        ("3.2r", None, 3.2, "revised"),
        ("3.2 (r)", None, 3.2, "revised"),
        ("1.234*r", ",", 1234.0, "provisional;revised"),
        ("-1.234,5", None, -1234.5, ""),
        ("\u22121,5", None, -1.5, ""),                  # Unicode minus sign
        ("1 186 868", None, 1186868.0, ""),            # space grouping
        ("1\u00a0186\u00a0868,25", None, 1186868.25, ""),
        ("529161.55", None, 529161.55, ""),            # addaan1 2017 Aceh food expenditure
        ("702547", None, 702547.0, ""),                # addaan1 2023 Aceh
    ],
)
def test_parse_number_examples(text: str, decimal: str | None, value: float, flag: str) -> None:
    got = parse_number(text, decimal)
    assert got.value == pytest.approx(value, rel=0, abs=1e-9)
    assert got.flag == flag


@pytest.mark.parametrize(
    "text", ["", "   ", "-", "\u2013", "\u2014", "\u2026", "...", "..", "NA", "n/a", "N.A.", "NaN"]
)
def test_missing_markers_are_nan(text: str) -> None:
    value, flag = parse_number(text)
    assert math.isnan(value) and flag == ""


@pytest.mark.parametrize("text", ["12,047", "1.234", "999,999", "12.345*"])
def test_single_ambiguous_cell_is_refused(text: str) -> None:
    with pytest.raises(AmbiguousNumberError) as info:
        parse_number(text, file="t.csv", row=7, column="x")
    assert "decimal=" in str(info.value) and info.value.row == 7 and info.value.column == "x"


@pytest.mark.parametrize("text", ["abc", "12,5%", "1,234,5", "1.23.456", "12*3", "*", "1e5", "Rp 1.000"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_number(text, ",", file="t.csv", row=3, column="P0")
    assert info.value.value == text and info.value.row == 3


@pytest.mark.parametrize("text", ["\uff17,\uff15", "\uff11\uff12\uff13", "\u0667,\u0665", "\u06f7.\u06f5", "1\u0662,5"])
def test_only_ascii_digits_are_digits(text: str) -> None:
    # float() reads full-width and Arabic-Indic digits; a BPS cell written with them is refused.
    for decimal in (None, ",", "."):
        with pytest.raises(NumberFormatError):
            parse_number(text, decimal, file="t.csv", row=3, column="P0")
    with pytest.raises(NumberFormatError):
        detect_decimal(["7,5", text], column="P0")


def test_numbers_pass_through() -> None:
    assert parse_number(7.4).value == 7.4
    assert parse_number(12).value == 12.0
    assert math.isnan(parse_number(None).value)
    with pytest.raises(NumberFormatError):
        parse_number(True)


def test_split_flags() -> None:
    assert split_flags(" 12.345** ") == ("12.345", "provisional")
    assert split_flags("Sumber") == ("Sumber", "")


def test_column_detection_uses_all_cells() -> None:
    # '1.234' alone is ambiguous; '5,5' in the same column settles decimal comma.
    col = parse_numeric_column(["1.234", "5,5", "-", "2.000.000"], file="f.csv", column="c", first_row=4)
    np.testing.assert_allclose(col.values, [1234.0, 5.5, np.nan, 2e6])
    assert list(col.flags) == ["", "", "", ""]
    assert detect_decimal(["7.4", "12.047"]) == "."
    assert detect_decimal(["1234", "-", "", None]) is None


def test_ambiguous_column_names_first_cell() -> None:
    with pytest.raises(AmbiguousNumberError) as info:
        parse_numeric_column([" 8,200 ", " 10,002 ", "-"], file="gdp_pc.csv", column="grdp_pc_2000", first_row=2)
    exc = info.value
    assert (exc.file, exc.row, exc.column, exc.value) == ("gdp_pc.csv", 2, "grdp_pc_2000", " 8,200 ")
    # The caller settles it.
    col = parse_numeric_column([" 8,200 ", " 10,002 ", "-"], decimal=".")
    np.testing.assert_allclose(col.values, [8200.0, 10002.0, np.nan])


def test_mixed_column_reads_each_unique_cell_its_own_way() -> None:
    # The yuldan14 copy has '18,98' and '8.97' in its P0 column (rows 2 and 77).
    cells = ["18,98", "8.97", "6,18", "10.81"]
    assert detect_decimal(cells) == MIXED
    np.testing.assert_allclose(parse_numeric_column(cells).values, [18.98, 8.97, 6.18, 10.81])
    with pytest.raises(AmbiguousNumberError) as info:
        parse_numeric_column(["18,98", "8.97", "1.234"], first_row=10)
    assert info.value.row == 12


def test_rows_override_first_row() -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_numeric_column(["1,5", "x"], rows=[4, 9], column="c")
    assert info.value.row == 9


# -- properties -------------------------------------------------------------------------

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
marks = st.sampled_from([".", ","])
decimals = st.integers(min_value=0, max_value=4)


@given(value=finite, decimal=marks, ndec=decimals, grouping=st.booleans())
def test_round_trip_with_known_convention(value: float, decimal: str, ndec: int, grouping: bool) -> None:
    text = format_number(value, decimal, decimals=ndec, grouping=grouping)
    parsed = parse_number(text, decimal)
    assert parsed.value == pytest.approx(round(value, ndec), abs=0.5 * 10**-ndec + 1e-6)


@given(value=finite, decimal=marks, ndec=decimals, grouping=st.booleans(), pad=st.sampled_from(["", " ", "  "]),
       mark=st.sampled_from(["", "*", "**", "r"]))
def test_single_cell_never_misread(value: float, decimal: str, ndec: int, grouping: bool, pad: str, mark: str) -> None:
    text = f"{pad}{format_number(value, decimal, decimals=ndec, grouping=grouping)}{mark}{pad}"
    expected = float(format_number(value, ".", decimals=ndec, grouping=False))
    try:
        parsed = parse_number(text)
    except AmbiguousNumberError:
        return  # refusing is allowed; misreading is not
    assert parsed.value == expected
    assert ("provisional" in parsed.flag) == ("*" in mark)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(finite, min_size=1, max_size=25), decimal=marks, ndec=decimals, grouping=st.booleans(),
       missing=st.lists(st.sampled_from(["-", "", "..."]), max_size=3))
def test_column_detector_never_misreads(values, decimal, ndec, grouping, missing) -> None:
    cells = [format_number(v, decimal, decimals=ndec, grouping=grouping) for v in values] + missing
    expected = [float(format_number(v, ".", decimals=ndec, grouping=False)) for v in values]
    try:
        found = detect_decimal(cells)
    except AmbiguousNumberError:
        # Only when no cell settles it: every cell must then read two ways or the same.
        assert all(("," in c or "." in c) or not c.strip("-.") for c in cells)
        return
    assert found in (decimal, None)
    col = parse_numeric_column(cells)
    np.testing.assert_array_equal(col.values[: len(values)], expected)
    assert np.isnan(col.values[len(values):]).all()


@given(value=finite, decimal=marks, ndec=decimals)
def test_parse_format_parse_is_idempotent(value: float, decimal: str, ndec: int) -> None:
    first = parse_number(format_number(value, decimal, decimals=ndec), decimal).value
    again = parse_number(format_number(first, decimal, decimals=ndec), decimal).value
    assert again == first


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))
def test_parser_only_raises_typed_errors(text: str) -> None:
    try:
        value, flag = parse_number(text)
    except NumberFormatError:
        return
    assert isinstance(value, float) and isinstance(flag, str)
    assume(not math.isnan(value))
    assert any(ch.isdigit() for ch in text)
