"""The night-lights extractor on small fixture files (not on the committed extract)."""

from __future__ import annotations

import pandas as pd
import pytest

from sosek_impact.errors import DuplicateKeyError, NumberFormatError, SchemaError, UnknownRegionError, ValueRangeError
from sosek_impact.extracts.night_lights import COLUMNS, night_lights_from_file
from sosek_impact.harmonise.registry import default_registry

HEADER = "ID_ADMIN,districtID,district,provinceID,province,islandID,island,COORD_X,COORD_Y,year,product,count,mean,median,sum,min,max,std"


def row(id_admin, code, name, year, count, mean, median, total, lo, hi, std, province="Kalimantan Barat"):
    return (f"{id_admin},{code},{name},61,{province},6,Kalimantan,109.0,0.3,{year},LACC,{count},{mean},{median},"
            f"{total},{lo},{hi},{std}")


#: Sambas 2012-2015 with a repeated 2014 (=2013), a sharp drop in 2013, the seam in 2014;
#: IDN_0318 (published 6171) and IDN_0327 (Kota Pontianak) in 2012; Nunukan under its old 64xx code.
ROWS = [
    row("IDN_0315", 6101, "Sambas", 2012, 100, 5, 0, 500, 0, 30, 2.5),
    row("IDN_0315", 6101, "Sambas", 2013, 100, 2, 0, 200, 0, 30, 2.5),
    row("IDN_0315", 6101, "Sambas", 2014, 100, 2, 0, 200, 0, 30, 2.5),
    row("IDN_0315", 6101, "Sambas", 2015, 100, 2.25, 0, 225, 0, 30.5, 2.5),
    row("IDN_0318", 6171, "Kota Pontianak", 2012, 2000, 0.5, 0, 1000, 0, 17, 1.6),
    row("IDN_0327", 6171, "Kota Pontianak", 2012, 107, 30, 27, 3210, 0, 62, 18.7),
    row("IDN_0369", 6408, "Nunukan", 2012, 50, 0, 0, 0, 0, 0, 0, province="Kalimantan Timur"),
    row("IDN_0369", 6408, "Nunukan", 2013, 50, 0, 0, 0, 0, 0, 0, province="Kalimantan Timur"),
]


def write(tmp_path, rows, header=HEADER):
    path = tmp_path / "ntl.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def registry():
    return default_registry()


def test_tidy_rows_codes_and_flags(tmp_path, registry):
    out = night_lights_from_file(write(tmp_path, ROWS), registry)
    assert list(out.columns) == COLUMNS
    assert len(out) == len(ROWS)
    key = out.set_index(["bps_code", "year"])
    # IDN_0318 keyed on ID_ADMIN: Mempawah 6104, flagged; IDN_0327 stays Kota Pontianak 6171
    assert key.loc[(6104, 2012), "id_admin"] == "IDN_0318" and key.loc[(6104, 2012), "mempawah_fix"] == "true"
    assert key.loc[(6104, 2012), "code_published"] == 6171
    assert key.loc[(6171, 2012), "id_admin"] == "IDN_0327" and key.loc[(6171, 2012), "mempawah_fix"] == "false"
    # the pre-2012 North Kalimantan code is recoded with the harmoniser
    assert (6504, 2012) in key.index and 6408 not in set(out["bps_code"])
    # values kept as the source's text, with the line they come from
    assert key.loc[(6171, 2012), "ntl_sum"] == "3210" and key.loc[(6171, 2012), "source_row"] == 7
    assert key.loc[(6101, 2015), "ntl_max"] == "30.5"
    # flags
    assert key.loc[(6101, 2014), "repeated_previous_year"] == "true"
    assert key.loc[(6101, 2013), "repeated_previous_year"] == "false"
    assert key.loc[(6101, 2013), "sharp_drop"] == "true"          # 500 -> 200
    assert key.loc[(6101, 2015), "sharp_drop"] == "false"
    assert key.loc[(6504, 2013), "repeated_previous_year"] == "false"  # dark repeats are `dark`, not repeats
    assert key.loc[(6504, 2013), "dark"] == "true" and key.loc[(6101, 2013), "dark"] == "false"
    assert list(key.loc[6101, "seam_period"]) == ["pre_2014", "pre_2014", "from_2014", "from_2014"]
    assert out[["bps_code", "year"]].equals(out[["bps_code", "year"]].sort_values(["bps_code", "year"]))


def test_rows_in_any_order_give_the_same_extract(tmp_path, registry):
    a = night_lights_from_file(write(tmp_path, ROWS), registry)
    b = night_lights_from_file(write(tmp_path, ROWS[::-1]), registry)
    pd.testing.assert_frame_equal(a.drop(columns="source_row"), b.drop(columns="source_row"))


def test_two_districts_on_one_code_is_an_error(tmp_path, registry):
    # a second district published as Sambas in 2012 (no ID_ADMIN fix for it)
    rows = [*ROWS, row("IDN_0399", 6101, "Sambas", 2012, 10, 1, 1, 10, 0, 2, 0.5)]
    with pytest.raises(DuplicateKeyError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert err.value.row == 10 and err.value.column == "districtID"
    assert "IDN_0399" in str(err.value) and "IDN_0315" in str(err.value)


def test_one_district_twice_in_a_year_is_an_error(tmp_path, registry):
    rows = [*ROWS, ROWS[0]]
    with pytest.raises(DuplicateKeyError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert err.value.row == 10 and err.value.column == "ID_ADMIN"


def test_bad_number_names_file_row_column(tmp_path, registry):
    rows = list(ROWS)
    rows[2] = rows[2].replace(",200,0,30,", ",2O0,0,30,")
    path = write(tmp_path, rows)
    with pytest.raises(NumberFormatError) as err:
        night_lights_from_file(path, registry)
    assert (err.value.file, err.value.row, err.value.column, err.value.value) == (str(path), 4, "sum", "2O0")


def test_missing_cell_is_an_error_not_a_zero(tmp_path, registry):
    rows = list(ROWS)
    rows[1] = rows[1].replace(",200,0,30,", ",,0,30,")
    with pytest.raises(NumberFormatError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert (err.value.row, err.value.column) == (3, "sum")


def test_value_off_the_scale_and_inconsistent_sum(tmp_path, registry):
    rows = list(ROWS)
    rows[0] = row("IDN_0315", 6101, "Sambas", 2012, 100, 5, 0, 500, 0, 64, 2.5)
    with pytest.raises(ValueRangeError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert (err.value.row, err.value.column) == (2, "max")
    rows[0] = row("IDN_0315", 6101, "Sambas", 2012, 100, 5, 0, 501, 0, 30, 2.5)
    with pytest.raises(ValueRangeError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert (err.value.row, err.value.column) == (2, "sum")


def test_unknown_code_is_a_typed_error(tmp_path, registry):
    rows = [*ROWS, row("IDN_0400", 6199, "Nowhere", 2012, 10, 1, 1, 10, 0, 2, 0.5)]
    with pytest.raises(UnknownRegionError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert "6199" in " ".join(err.value.offenders) and err.value.column == "districtID"


def test_changed_pixel_count_and_missing_column(tmp_path, registry):
    rows = list(ROWS)
    rows[1] = row("IDN_0315", 6101, "Sambas", 2013, 101, 2, 0, 202, 0, 30, 2.5)
    with pytest.raises(SchemaError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert err.value.column == "count"
    with pytest.raises(SchemaError) as err:
        night_lights_from_file(write(tmp_path, ROWS, header=HEADER.replace(",median,", ",med,")), registry)
    assert err.value.column == "median" and err.value.row == 1


def test_fix_refuses_a_source_that_changed(tmp_path, registry):
    rows = list(ROWS)
    rows[4] = rows[4].replace("IDN_0318,6171,", "IDN_0318,6104,")
    with pytest.raises(SchemaError) as err:
        night_lights_from_file(write(tmp_path, rows), registry)
    assert err.value.row == 6 and err.value.column == "districtID"


def test_code_changes_table_passed_in_memory_gives_the_same_recode(tmp_path, registry):
    from sosek_impact import paths

    changes = pd.read_csv(paths.raw_dir() / "registry_code_changes.csv", dtype=str, keep_default_na=False)
    a = night_lights_from_file(write(tmp_path, ROWS), registry)
    b = night_lights_from_file(write(tmp_path, ROWS), registry, changes)
    pd.testing.assert_frame_equal(a, b)
    # without the 2012 rows the old code is unknown: the error names it
    with pytest.raises(UnknownRegionError) as err:
        night_lights_from_file(write(tmp_path, ROWS), registry, changes.iloc[0:0])
    assert "6408" in " ".join(err.value.offenders)
