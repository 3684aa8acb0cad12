"""``quarcs_unemployment`` and ``quarcs_schooling`` run on small hand-written source files.

``okun.dta`` fixture (written with pandas' Stata writer, float32 ``un`` as in the real file):
three districts × 2008–2020. Two of them share the name "Kabupaten Sanggau" in two provinces
(the fixture registry adds a made-up Sanggau in Kalimantan Tengah, code 6299): both must survive
with their own codes. Merauke carries its pre-2022 id 9401 and is resolved by name to 9501
(flag ``code_from_name``). 2016 is the mean of 2015 and 2017 for Sanggau (flag ``interpolated``),
not for the others.

``mys.csv`` fixture: two ids × 2010–2018 with Stata's ``.25`` and float noise ``8.2600002``;
Merauke's pre-2022 id 9401 is recoded to 9501 (flag ``recoded_papua_2022``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sosek_impact.errors import SchemaError
from sosek_impact.extracts import extract_registry
from sosek_impact.extracts.labour_schooling import quarcs_schooling, quarcs_unemployment
from sosek_impact.extracts.sources import source_path
from sosek_impact.harmonise.registry import default_registry
from sosek_impact.paths import raw_dir

YEARS = list(range(2008, 2021))


@pytest.fixture(scope="module")
def registry():
    """The project registry plus a made-up "Sanggau" in Kalimantan Tengah (62), code 6299."""
    regencies = pd.read_csv(raw_dir() / "regencies.csv")
    fake = pd.DataFrame({"bps_code": [6299], "name": ["Sanggau"], "kind": ["kabupaten"], "province_code": [62],
                         "source_id": ["test fixture"]})
    return extract_registry(pd.concat([regencies, fake], ignore_index=True), pd.read_csv(raw_dir() / "provinces.csv"))


def unemployment(year: int, district: str) -> float:
    if district == "sanggau_61":
        return {2015: 5.0, 2016: 5.5, 2017: 6.0}.get(year, 4.0 + 0.125 * (year - 2008))
    if district == "sanggau_62":
        return {2015: 3.0, 2016: 3.75, 2017: 4.0}.get(year, 2.5)
    return {2015: 1.0, 2016: 1.2, 2017: 2.0, 2014: 1.5}.get(year, 0.1)


DISTRICTS = [  # id, kabkot, provinsi, key
    (6105, "Kabupaten Sanggau", "Kalimantan Barat", "sanggau_61"),
    (6299, "Kabupaten Sanggau", "Kalimantan Tengah", "sanggau_62"),
    (9401, "Kabupaten Merauke", "Papua", "merauke"),
]


def write_okun(shared: Path, years: list[int] = YEARS, missing: tuple[int, int] | None = None) -> Path:
    rows = []
    for pub, name, prov, k in DISTRICTS:
        for y in years:
            un = np.nan if missing == (pub, y) else unemployment(y, k)
            rows.append({"id": pub, "kabkot": name, "provinsi": prov, "year": y, "un": un})
    df = pd.DataFrame(rows).astype({"id": "int16", "year": "int16", "un": "float32"})
    path = source_path(shared, "quarcs_okun")
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_stata(path, write_index=False)
    return shared


def test_unemployment_rows_codes_and_values(tmp_path, registry):
    out = quarcs_unemployment(write_okun(tmp_path), registry)
    assert len(out) == 3 * 13
    # the two Sanggaus keep their own codes; Merauke's pre-2022 id is resolved by name
    assert out.groupby("bps_code").size().to_dict() == {6105: 13, 6299: 13, 9501: 13}
    assert sorted(set(out.year)) == YEARS
    row = out[(out.bps_code == 6299) & (out.year == 2016)].iloc[0]
    assert (row.value, row.name_published, row.source_row) == ("3.75", "Kabupaten Sanggau", 13 + 9)
    # float32 written as the shortest round-tripping decimal: 4.0 + 0.125 * 2 = 4.25
    assert out[(out.bps_code == 6105) & (out.year == 2010)].value.item() == "4.25"
    assert out[(out.bps_code == 9501) & (out.year == 2008)].value.item() == "0.1"
    assert set(out.variable) == {"unemployment_rate"} and set(out.unit) == {"percent of labour force"}


def test_unemployment_flags(tmp_path, registry):
    out = quarcs_unemployment(write_okun(tmp_path), registry)
    flags = {(c, y): f for c, y, f in zip(out.bps_code, out.year, out.flag)}
    # only Sanggau 61's 2016 is the mean of its neighbours (5.5 = (5 + 6) / 2); Sanggau 62: 3.75 != 3.5
    assert [k for k, f in flags.items() if "interpolated" in f] == [(6105, 2016)]
    assert {k for k, f in flags.items() if "code_from_name" in f} == {(9501, y) for y in YEARS}
    assert flags[(9501, 2016)] == "code_from_name"
    assert flags[(6105, 2015)] == "" and flags[(6105, 2017)] == ""


def test_unemployment_missing_value_stays_missing(tmp_path, registry):
    out = quarcs_unemployment(write_okun(tmp_path, missing=(6105, 2012)), registry)
    assert out[(out.bps_code == 6105) & (out.year == 2012)].value.item() == ""
    assert len(out) == 3 * 13


def test_unemployment_year_range_is_checked(tmp_path, registry):
    with pytest.raises(SchemaError, match="2008-2020"):
        quarcs_unemployment(write_okun(tmp_path, years=YEARS[:-1]), registry)


MYS_HEADER = "id," + ",".join(f"mys{y}" for y in range(2010, 2019))


def write_mys(shared: Path, lines: list[str]) -> Path:
    path = source_path(shared, "quarcs_mys")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([MYS_HEADER, *lines]) + "\n", encoding="utf-8")
    return shared


MYS_LINES = [
    "6105,6.1,6.2,6.3,6.4,6.5,6.6,6.7,6.8,8.2600002",    # line 2
    "9401,.25,4.5,4.6,4.7,4.8,4.9,5.0,5.1,5.2",          # line 3, Merauke (pre-2022 id)
]


def test_schooling_values_recode_and_years(tmp_path):
    out = quarcs_schooling(write_mys(tmp_path, MYS_LINES), default_registry())
    assert len(out) == 2 * 9 and sorted(set(out.year)) == list(range(2010, 2019))
    val = {(c, y): v for c, y, v in zip(out.bps_code, out.year, out.value)}
    assert val[(6105, 2010)] == "6.1" and val[(6105, 2018)] == "8.2600002"  # as published
    assert val[(9501, 2010)] == "0.25" and val[(9501, 2018)] == "5.2"
    flag = out.groupby("bps_code").flag.agg(set).to_dict()
    assert flag == {6105: {""}, 9501: {"recoded_papua_2022"}}
    assert set(out.loc[out.bps_code == 9501, "source_row"]) == {3}
    assert set(out.loc[out.bps_code == 9501, "name_published"]) == {"9401"}


def test_schooling_missing_year_column_is_an_error(tmp_path):
    header_without_2018 = MYS_HEADER.rsplit(",", 1)[0]
    path = source_path(tmp_path, "quarcs_mys")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header_without_2018 + "\n6105,1,2,3,4,5,6,7,8\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="mys2018"):
        quarcs_schooling(tmp_path, default_registry())


def test_schooling_duplicate_after_recode_is_an_error(tmp_path):
    # 9401 (pre-2022) and 9501 (today) are one regency: two rows on one code
    lines = [*MYS_LINES, "9501,1,2,3,4,5,6,7,8,9"]
    with pytest.raises(SchemaError, match="two rows on one code"):
        quarcs_schooling(write_mys(tmp_path, lines), default_registry())
