"""``apply_value_corrections`` on a small long table with a hand-written corrections table.

Fixture: regencies 1 and 2 swap their ``population`` in 2001–2003 (``move`` both ways, an inclusive
year range: 2000 and 2004 are outside it); regency 1's ``grdp_pc`` 2002–2003 is ``suspect``;
another source's rows are never touched. Expected codes and flags are read off the table by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sosek_impact.errors import SchemaError
from sosek_impact.extracts.quarcs import SERIES_COLUMNS
from sosek_impact.extracts.value_corrections import apply_value_corrections, value_corrections

COLS = ["source_id", "variable", "bps_code", "to_bps_code", "first_year", "last_year", "action", "evidence"]


def long_table() -> pd.DataFrame:
    rows = []
    for sid in ("src", "other"):
        for code in (1, 2):
            for var in ("population", "grdp_pc"):
                for y in range(2000, 2005):
                    rows.append({"bps_code": code, "year": y, "variable": var, "value": f"{code}{y}",
                                 "unit": "", "flag": "provisional" if y == 2004 else "", "source_id": sid,
                                 "source_row": 10 * code + y - 2000, "name_published": f"R{code}"})
    return pd.DataFrame(rows)[SERIES_COLUMNS]


def table(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLS)
    df["to_bps_code"] = df["to_bps_code"].astype("Int64")
    return df


SWAP = [("src", "population", 1, 2, 2001, 2003, "move", "swap"),
        ("src", "population", 2, 1, 2001, 2003, "move", "swap"),
        ("src", "grdp_pc", 1, None, 2002, 2003, "suspect", "bad denominator")]


def test_moves_and_suspects():
    long = long_table()
    src = long[long.source_id == "src"]
    out = apply_value_corrections(src, "src", table(SWAP))
    key = lambda d: {(v, val): (c, f) for v, val, c, f in zip(d.variable, d.value, d.bps_code, d.flag)}  # noqa: E731
    got = key(out)
    for y in range(2000, 2005):
        inside = 2001 <= y <= 2003
        # the value printed in regency 1's row belongs to regency 2 in 2001-2003 (and back)
        assert got[("population", f"1{y}")] == ((2, "relabelled") if inside else (1, "provisional" if y == 2004 else ""))
        assert got[("population", f"2{y}")] == ((1, "relabelled") if inside else (2, "provisional" if y == 2004 else ""))
        assert got[("grdp_pc", f"1{y}")] == (1, "suspect" if y in (2002, 2003) else "provisional" if y == 2004 else "")
        assert got[("grdp_pc", f"2{y}")] == (2, "provisional" if y == 2004 else "")
    # source rows still point at the printed line; values unchanged; the input is not modified
    assert out.source_row.tolist() == src.source_row.tolist() and out.value.tolist() == src.value.tolist()
    assert src.bps_code.tolist() == long_table().query("source_id == 'src'").bps_code.tolist()


def test_a_flag_is_appended_to_existing_flags():
    rows = [("src", "population", 1, 2, 2003, 2004, "move", ""), ("src", "population", 2, 1, 2003, 2004, "move", "")]
    out = apply_value_corrections(long_table().query("source_id == 'src'"), "src", table(rows))
    row = out[(out.value == "12004") & (out.variable == "population")].iloc[0]
    assert (row.bps_code, row.flag) == (2, "provisional;relabelled")


def test_other_sources_are_untouched():
    # the table's corrections are for "src": the rows of "other" (same codes, years, variables) stay as they are
    other = long_table().query("source_id == 'other'")
    pd.testing.assert_frame_equal(apply_value_corrections(other, "other", table(SWAP)), other)


def test_a_correction_matching_no_row_is_an_error():
    rows = [("src", "population", 3, 1, 2001, 2003, "move", "")]
    with pytest.raises(SchemaError, match="matches no row") as e:
        apply_value_corrections(long_table(), "src", table(rows))
    assert e.value.row == 2  # line 2 of the corrections table


def test_a_one_way_move_that_leaves_two_rows_is_an_error():
    rows = [("src", "population", 1, 2, 2001, 2001, "move", "")]
    with pytest.raises(SchemaError, match="two rows"):
        apply_value_corrections(long_table().query("source_id == 'src'"), "src", table(rows))


def test_an_unknown_action_is_an_error():
    with pytest.raises(SchemaError, match="unknown action"):
        apply_value_corrections(long_table(), "src", table([("src", "population", 1, None, 2001, 2001, "drop", "")]))


def test_the_curated_table_is_well_formed():
    t = value_corrections()
    assert list(t.columns) == COLS
    assert set(t.action) <= {"move", "suspect"}
    assert t.loc[t.action == "move", "to_bps_code"].notna().all()
    assert (t.first_year <= t.last_year).all()
