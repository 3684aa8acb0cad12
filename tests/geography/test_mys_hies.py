"""The Malaysian HIES extract on small fixture tables, and the committed extract's spot values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sosek_impact.errors import DuplicateKeyError, SchemaError, UnknownRegionError
from sosek_impact.extracts.geo_tables import mys_crosswalk
from sosek_impact.extracts.mys_hies import HIES_YEARS, hies_table
from sosek_impact.geography import load_mys_hies


def _d(year):
    return dt.date(year, 1, 1)


def _frames(income_rows, poverty_rows):
    inc = pd.DataFrame(income_rows, columns=["state", "district", "date", "income_mean", "income_median"])
    pov = pd.DataFrame(poverty_rows, columns=["state", "district", "date", "poverty_absolute", "poverty_relative"])
    return {"mys_hies_income": (inc, "inc.parquet"), "mys_hies_poverty": (pov, "pov.parquet")}


INCOME = [("Johor", "Batu Pahat", _d(2019), 7392, 6504),          # not Borneo: left out
          ("Sarawak", "Lubok Antu", _d(2019), 3905, 2853),
          ("Sarawak", "Lubok antu", _d(2024), 4820, 4169),         # the 2024 spelling
          ("Sabah", "Kalabakan", _d(2022), 4938, 3931)]            # no 2019 row
POVERTY = [("Sarawak", "Lubok Antu", _d(2019), 7.9, 32.1), ("Sabah", "Kalabakan", _d(2022), 33.3, 21.8)]


def test_names_years_and_missing_years_stay_missing():
    t = hies_table(_frames(INCOME, POVERTY), mys_crosswalk())
    assert set(t.state) == {"Sarawak", "Sabah"}
    assert set(t.district) == {"Lubok Antu", "Kalabakan"}  # "Lubok antu" matched to one name
    # every district x year x variable is there; absent ones are empty and flagged
    assert len(t) == 2 * len(HIES_YEARS) * 4
    row = t[(t.district == "Lubok Antu") & (t.year == 2024) & (t.variable == "income_mean")].iloc[0]
    assert row.value == "4820" and row.name_published == "Lubok antu" and row.source_row == 3
    kal19 = t[(t.district == "Kalabakan") & (t.year == 2019)]
    assert (kal19.value == "").all() and (kal19.flag == "no_source_row").all() and len(kal19) == 4
    pov24 = t[(t.district == "Lubok Antu") & (t.year == 2024) & (t.variable == "poverty_absolute")].iloc[0]
    assert pov24.value == "" and pov24.flag == "no_source_row"  # the fixture has no poverty row for 2024
    assert t[(t.district == "Kalabakan") & (t.year == 2022) & (t.variable == "poverty_relative")].value.item() == "21.8"


def test_unmatched_name_is_a_typed_error():
    with pytest.raises(UnknownRegionError, match="Lubuk Antu"):
        hies_table(_frames([("Sarawak", "Lubuk Antu", _d(2019), 1, 1)], []), mys_crosswalk())


def test_bad_date_and_duplicate_are_typed_errors():
    with pytest.raises(SchemaError, match="HIES year") as err:
        hies_table(_frames([("Sarawak", "Bau", _d(2020), 1, 1)], []), mys_crosswalk())
    assert err.value.row == 1
    dup = [("Sarawak", "Lubok Antu", _d(2019), 1, 1), ("Sarawak", "Lubok antu", _d(2019), 2, 2)]
    with pytest.raises(DuplicateKeyError):
        hies_table(_frames(dup, []), mys_crosswalk())
    with pytest.raises(SchemaError, match="lacks"):
        hies_table({"mys_hies_income": (pd.DataFrame({"state": [], "district": []}), "x")}, mys_crosswalk())


def test_committed_extract_equals_the_dosm_files():
    from sosek_impact import paths

    shared = paths.shared_dir()
    if shared is None:
        pytest.skip("../shared/data not present")
    folder = shared / "sources" / "thomasvanpul__malaysia_map"
    src = pd.read_parquet(folder / "hh_income_district.parquet").merge(
        pd.read_parquet(folder / "hh_poverty_district.parquet"), on=["state", "district", "date"], how="outer")
    src = src[src.state.isin(["Sarawak", "Sabah"])].assign(year=lambda d: pd.to_datetime(d.date).dt.year)
    src["district"] = src.district.replace({"Lubok antu": "Lubok Antu"})
    w = load_mys_hies(wide=True)
    merged = w.merge(src, on=["state", "district", "year"], how="left", suffixes=("", "_src"), indicator=True)
    present = merged["_merge"] == "both"
    for var in ("income_mean", "income_median", "poverty_absolute", "poverty_relative"):
        assert (merged.loc[present, var] == merged.loc[present, f"{var}_src"]).all(), var
    # rows without a source row are exactly the missing ones (Kalabakan 2019 among them), nothing filled in
    assert merged.loc[~present, ["income_mean", "poverty_absolute"]].isna().all().all()
    assert ("Sabah", "Kalabakan", 2019) in set(zip(merged.state[~present], merged.district[~present], merged.year[~present]))
    assert present.sum() == len(src)
