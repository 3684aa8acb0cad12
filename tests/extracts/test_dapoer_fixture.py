"""``wb_dapoer_series`` and ``flag_boundary_suspected`` run on a small hand-written DataBank export.

The fixture is written into a temporary shared folder at the path the catalogue names, so the
extractor reads it exactly as it reads the real file. Every expected value below is read off the
fixture text by hand: which rows are kept, which years (2002–2014 only, although the export has
2000 and 2001 columns), the survey-basis flag (2011 is the first year of the new basis), the
``old_boundary`` flag of a parent before its child has values of its own, ``suspect`` on a P0
above 100, and ``boundary_suspected`` on two consecutive years of a population gap above 10 %.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from sosek_impact.errors import SchemaError, UnknownRegionError
from sosek_impact.extracts.dapoer_panel import flag_boundary_suspected, wb_dapoer_series
from sosek_impact.extracts.sources import source_path
from sosek_impact.harmonise.registry import default_registry

YEARS_IN_FILE = list(range(2000, 2015))
HEADER = ["Region Name", "Region Code", "Series Name", "Series Code", *[f"{y} [YR{y}]" for y in YEARS_IN_FILE]]
P0 = ("Poverty Rate (in % of population)", "SI.POV.NAPR.ZS")
LINE = ("Poverty Line (in IDR)", "SI.POV.NAPL")
HDI = ("Human Development Index", "IDX.HDI")
POP = ("Total Population (in number of people)", "SP.POP.TOTL")
ROAD = ("Villages with road: Gravel (in % of total villages)", "ROD.VILG.GRAVL.ZS")

# Sanggau P0: a distinct value per year; 2000 and 2001 must not be extracted.
SANGGAU_P0 = {y: f"{y - 1990}.5" for y in YEARS_IN_FILE}  # 2000 -> "10.5", 2002 -> "12.5", 2014 -> "24.5"
# Sekadau (child of Sanggau, 2003) has its own P0 from 2005 only.
SEKADAU_P0 = {y: (f"{y - 2000}.25" if y >= 2005 else "..") for y in YEARS_IN_FILE}
# Kapuas Hulu: P0 of 111.39 in 2002 (impossible, kept and flagged), missing in 2009.
KAPUAS_P0 = {y: ("111.39" if y == 2002 else ".." if y == 2009 else "9.75") for y in YEARS_IN_FILE}


def _row(name: str, series: tuple[str, str], values: dict[int, str]) -> list[str]:
    return [name, f"IDN_{name.replace(' ', '_')}", series[0], series[1], *[values.get(y, "..") for y in YEARS_IN_FILE]]


def dapoer_text(extra: list[list[str]] | None = None) -> str:
    rows = [
        HEADER,
        _row("Sanggau, Kab.", P0, SANGGAU_P0),                                # line 2
        _row("Sanggau, Kab.", LINE, {y: "150000" for y in YEARS_IN_FILE}),   # line 3
        _row("Sanggau, Kab.", ROAD, {y: "3" for y in YEARS_IN_FILE}),        # line 4, not a WB series
        _row("Sekadau, Kab.", P0, SEKADAU_P0),                                # line 5
        _row("Kalimantan Barat, Prop.", P0, {y: "8" for y in YEARS_IN_FILE}),  # line 6, a province
        _row("Kapuas Hulu, Kab.", P0, KAPUAS_P0),                             # line 7
        _row("Kapuas Hulu, Kab.", HDI, {2013: "65.9"}),                       # line 8
        _row("Pasir, Kab.", P0, {}),                                          # line 9, the empty duplicate
        *(extra or []),
        [""] * len(HEADER),
        [""] * len(HEADER),
        ["Data from database: INDO-DAPOER"] + [""] * (len(HEADER) - 1),
        ["Last Updated: 05/28/2015"] + [""] * (len(HEADER) - 1),
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


CROSSWALK = pd.DataFrame({"parent_bps_code": [6105], "child_bps_code": [6109], "effective_year": [2003]})


def shared_with(tmp_path: Path, text: str) -> Path:
    path = source_path(tmp_path, "wb_dapoer_2002_2014")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "registry").mkdir(exist_ok=True)
    return tmp_path


@pytest.fixture(scope="module")
def registry():
    return default_registry()


@pytest.fixture
def out(tmp_path, registry) -> pd.DataFrame:
    return wb_dapoer_series(shared_with(tmp_path, dapoer_text()), registry, CROSSWALK)


def cell(df: pd.DataFrame, code: int, year: int, variable: str) -> pd.Series:
    sel = df[(df.bps_code == code) & (df.year == year) & (df.variable == variable)]
    assert len(sel) == 1, (code, year, variable, len(sel))
    return sel.iloc[0]


def test_rows_kept_and_years(out):
    # 5 (district, WB series) rows: Sanggau P0 and line, Sekadau P0, Kapuas Hulu P0 and HDI; 13 years each
    assert len(out) == 5 * 13
    assert sorted(set(out.year)) == list(range(2002, 2015))
    assert set(out.bps_code) == {6105, 6109, 6108}
    assert set(out.variable) == {"poverty_rate_wb", "poverty_line_wb", "hdi_old_method_wb"}
    assert not out.name_published.isin(["Kalimantan Barat, Prop.", "Pasir, Kab."]).any()
    assert set(out.source_id) == {"wb_dapoer_2002_2014"}


def test_values_and_source_rows_as_published(out):
    for year in (2002, 2010, 2014):
        row = cell(out, 6105, year, "poverty_rate_wb")
        assert (row.value, row.source_row, row.name_published) == (SANGGAU_P0[year], 2, "Sanggau, Kab.")
    assert cell(out, 6105, 2002, "poverty_rate_wb").value == "12.5"
    assert cell(out, 6105, 2014, "poverty_rate_wb").value == "24.5"
    assert cell(out, 6109, 2004, "poverty_rate_wb").value == ""  # ".." stays missing
    assert cell(out, 6109, 2005, "poverty_rate_wb").value == "5.25"
    assert cell(out, 6108, 2013, "hdi_old_method_wb").value == "65.9"
    assert cell(out, 6108, 2013, "hdi_old_method_wb").source_row == 8
    assert cell(out, 6105, 2008, "poverty_line_wb").unit == "IDR per person per month, nominal"


def test_survey_basis_flag_changes_in_2011(out):
    p0 = out[(out.bps_code == 6108) & (out.variable == "poverty_rate_wb")].set_index("year").flag
    to_2010 = [y for y in p0.index if "basis_susenas_to_2010" in p0[y].split(";")]
    from_2011 = [y for y in p0.index if "basis_susenas_from_2011" in p0[y].split(";")]
    assert to_2010 == [2002, 2003, 2004, 2005, 2006, 2007, 2008, 2010]  # 2009 missing: no flag
    assert from_2011 == [2011, 2012, 2013, 2014]
    assert p0[2009] == ""
    # the poverty line is a poverty series too; the old-method HDI is not
    assert cell(out, 6105, 2011, "poverty_line_wb").flag.split(";")[0] == "basis_susenas_from_2011"
    assert cell(out, 6108, 2013, "hdi_old_method_wb").flag == ""


def test_old_boundary_on_the_parent_before_the_child_reports(out):
    def flagged(code, variable):
        s = out[(out.bps_code == code) & (out.variable == variable)]
        return sorted(s[s.flag.str.contains("old_boundary")].year)

    # Sekadau's own P0 begins in 2005: Sanggau 2002-2004 covers Sekadau's area
    assert flagged(6105, "poverty_rate_wb") == [2002, 2003, 2004]
    # Sekadau has no poverty line at all: every Sanggau poverty line covers it
    assert flagged(6105, "poverty_line_wb") == list(range(2002, 2015))
    assert flagged(6109, "poverty_rate_wb") == [] and flagged(6108, "poverty_rate_wb") == []
    assert cell(out, 6105, 2003, "poverty_rate_wb").flag == "basis_susenas_to_2010;old_boundary"


def test_old_boundary_before_the_effective_year_even_if_the_child_reports():
    # a child value in a year before its creation does not make the parent's value new-boundary
    long = pd.DataFrame({"bps_code": [1, 1, 2, 2], "year": [2004, 2005, 2004, 2005],
                         "variable": "v", "value": ["1", "2", "3", "4"]})
    from sosek_impact.extracts.dapoer_panel import _old_boundary

    cw = pd.DataFrame({"parent_bps_code": [1], "child_bps_code": [2], "effective_year": [2005]})
    assert _old_boundary(long, cw).tolist() == [True, False, False, False]


def test_impossible_p0_is_kept_and_flagged_suspect(out):
    row = cell(out, 6108, 2002, "poverty_rate_wb")
    assert row.value == "111.39" and row.flag == "basis_susenas_to_2010;suspect"
    assert not out.loc[~((out.bps_code == 6108) & (out.year == 2002)), "flag"].str.contains("suspect").any()


def test_empty_duplicate_with_values_is_an_error(tmp_path, registry):
    text = dapoer_text([_row("Pasir, Kab.", LINE, {2005: "99000"})])
    with pytest.raises(SchemaError, match="empty duplicate"):
        wb_dapoer_series(shared_with(tmp_path, text), registry, CROSSWALK)


def test_unknown_district_name_is_an_error(tmp_path, registry):
    text = dapoer_text([_row("Atlantis, Kab.", P0, {2005: "9"})])
    with pytest.raises(UnknownRegionError, match="Atlantis"):
        wb_dapoer_series(shared_with(tmp_path, text), registry, CROSSWALK)


def test_a_series_name_that_does_not_match_its_code_is_an_error(tmp_path, registry):
    text = dapoer_text([_row("Sintang, Kab.", ("Poverty Gap", "SI.POV.NAPR.ZS"), {2005: "9"})])
    with pytest.raises(SchemaError, match="SI.POV.NAPR.ZS"):
        wb_dapoer_series(shared_with(tmp_path, text), registry, CROSSWALK)


def _series(rows: list[tuple[int, int, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"bps_code": c, "year": y, "variable": v, "value": val, "unit": "", "flag": "",
                          "source_id": s, "source_row": 1, "name_published": ""} for c, y, v, val, s in rows])


def test_boundary_suspected_needs_two_consecutive_years_beyond_ten_percent():
    wb, q = "wb_dapoer_2002_2014", "quarcs_districts"
    # regency 6105: WB / QuaRCS population - 1 = +15 % (2008), +15 % (2009), +5 % (2010), +20 % (2012)
    ref = {2008: 100000, 2009: 100000, 2010: 100000, 2011: 100000, 2012: 100000}
    pop_wb = {2008: "115000", 2009: "115000", 2010: "105000", 2011: "", 2012: "120000"}
    rows = [(6105, y, "population", str(v), q) for y, v in ref.items()]
    rows += [(6105, y, "population_wb", v, wb) for y, v in pop_wb.items()]
    rows += [(6105, y, "poverty_rate_wb", "10", wb) for y in ref]
    rows += [(6105, 2011, "poverty_rate_wb", "", wb)]
    out = flag_boundary_suspected(_series(rows))
    flagged = out[out.flag == "boundary_suspected"]
    # 2008 and 2009 (a two-year gap) on every WB variable with a value; 2012 is a one-year gap
    assert sorted(zip(flagged.year, flagged.variable)) == [
        (2008, "population_wb"), (2008, "poverty_rate_wb"), (2009, "population_wb"), (2009, "poverty_rate_wb")]
    assert (out.loc[out.source_id == q, "flag"] == "").all()


def test_boundary_gap_of_nine_percent_is_not_flagged():
    wb, q = "wb_dapoer_2002_2014", "quarcs_districts"
    rows = [(6105, y, "population", "100000", q) for y in (2008, 2009)]
    rows += [(6105, y, "population_wb", "91000", wb) for y in (2008, 2009)]
    assert (flag_boundary_suspected(_series(rows)).flag == "").all()
    rows = [(6105, y, "population", "100000", q) for y in (2008, 2009)]
    rows += [(6105, y, "population_wb", "88000", wb) for y in (2008, 2009)]  # -12 %: flagged
    out = flag_boundary_suspected(_series(rows))
    assert (out.loc[out.source_id == wb, "flag"] == "boundary_suspected").all()
