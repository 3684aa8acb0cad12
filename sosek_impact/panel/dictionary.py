"""``DATA_DICTIONARY.md``: one line per column of each built panel, with computed coverage."""

from __future__ import annotations

import pandas as pd

from .markdown import table

#: Meaning and unit of the columns the build knows by name; other variables take the unit of the extract.
MEANINGS: dict[str, tuple[str, str]] = {
    "bps_code": ("BPS regency/city code, today's vintage (North Kalimantan 65xx)", "code"),
    "province_code": ("BPS province code (0 = Indonesia, national aggregate)", "code"),
    "year": ("calendar year", "year"),
    "regency": ("BPS name without 'Kabupaten'; cities as 'Kota X'", "text"),
    "province": ("official Indonesian province name", "text"),
    "kind": ("'kabupaten' (regency) or 'kota' (city)", "text"),
    "kalimantan": ("province_code in 61–65 (the Kalimantan provinces)", "bool"),
    "border": ("land-border regency with Malaysia in that year (registry; administrative definition)", "bool"),
    "backcast": ("year before the regency existed (registry splits) or a value the extract flags back-cast; "
                 "missing where unknown (splits outside provinces 61, 64, 65 before 2014 are not in the registry)",
                 "bool (nullable)"),
    "grdp": ("gross regional domestic product, constant 2010 prices", "billion IDR"),
    "population": ("population: BPS projections via QuaRCS 2000–2017, DAPOER (World Bank/BPS) 2019", "persons"),
    "grdp_pc": ("GRDP per capita, constant 2010 prices; quarcs_districts 2000–2017, idn514_gdp_pc after",
                "thousand IDR per person"),
    "grdp_pc_idn514": ("GRDP per capita, constant 2010 prices, idn514 source for all its years",
                       "thousand IDR per person"),
    "poverty_rate": ("share of population below the poverty line (BPS P0, March)", "percent"),
    "hdi": ("human development index (BPS IPM, new method)", "index 0–100"),
    "poverty_rate_wb": ("share of population below the poverty line (P0), World Bank INDO-DAPOER district "
                        "series 2002–2014 (BPS Susenas); kept apart from `poverty_rate` (BPS tables 2019–2024): "
                        "no value for 2015–2018; survey basis in `poverty_survey_basis`; parents of later splits "
                        "flagged `old_boundary` (registry) or `boundary_suspected` (population check)", "percent"),
    "population_wb": ("population as reported with the World Bank INDO-DAPOER district series, on the "
                      "boundaries of the year (used to check the area of the World Bank values; not `population`)",
                      "persons"),
    "poverty_gap_wb": ("poverty gap index P1 (mean shortfall below the line, share of the line × 100), "
                       "INDO-DAPOER 2002–2014", "index 0–100"),
    "poverty_line_wb": ("district poverty line, INDO-DAPOER 2005–2014, nominal", "IDR per person per month"),
    "hdi_old_method_wb": ("human development index, OLD BPS method (INDO-DAPOER 2004–2013, gaps); never "
                          "spliced onto the new-method `hdi` (levels about 5 points higher)", "index 0–100"),
    "poverty_survey_basis": ("survey basis of the `poverty_rate_wb` / `poverty_gap_wb` / `poverty_line_wb` "
                             "value of the row: 'susenas_to_2010' (July core / February panel Susenas) or "
                             "'susenas_from_2011' (March Susenas, quarterly from 2011); missing without a value",
                             "text"),
    "unemployment_rate": ("open unemployment rate (BPS TPT, August Sakernas): quarcs_okun 2008–2020 (2016 "
                          "interpolated by the publisher, flag `interpolated`), kemiskinan_2021 for 2021",
                          "percent of labour force"),
    "mean_years_schooling": ("mean years of schooling of the population 25+ (BPS RLS, HDI component), "
                             "quarcs_mys 2010–2018", "years"),
    "mean_years_schooling_kemiskinan_2021": ("mean years of schooling of the population 15+ (~2021 Kaggle "
                                             "copy of BPS); not the 25+ `mean_years_schooling`", "years"),
    "pixel_count": ("night lights: LACC pixels inside the district polygon (constant over years)", "pixels"),
    "ntl_sum": ("night lights: sum of the pixels' digital numbers (LACC, Tang et al. 2025, DMSP-like 0–63 "
                "scale; whole numbers to 2013, fractional from 2014)", "digital number (DN) units"),
    "ntl_mean": ("night lights: mean digital number of the district's pixels (= ntl_sum / pixel_count)", "DN 0–63"),
    "ntl_median": ("night lights: median digital number of the district's pixels", "DN 0–63"),
    "ntl_min": ("night lights: smallest pixel digital number", "DN 0–63"),
    "ntl_max": ("night lights: largest pixel digital number", "DN 0–63"),
    "ntl_std": ("night lights: standard deviation of the pixel digital numbers", "DN"),
    "seam_period": ("'pre_2014' (DMSP-calibrated part of the LACC series) or 'from_2014' (VIIRS-based): the "
                    "2013–14 sensor seam, a possible break", "text"),
    "repeated_previous_year": ("all seven light statistics equal the previous year's exactly, with a positive sum "
                               "(a likely carried-over year; flagged, not smoothed)", "bool"),
    "sharp_drop": ("ntl_sum below half of the previous year's, from a previous-year sum of at least 100 DN", "bool"),
    "dark": ("ntl_sum = 0 (no lit pixel)", "bool"),
    "mempawah_fix": ("the source publishes the row as 6171 Kota Pontianak; by ID_ADMIN (IDN_0318), centroid and "
                     "size it is Mempawah (6104)", "bool"),
    "ntl_source_row": ("line of the night-lights row in its source file (source idn514_ntl)", "line"),
    "gdp_pc": ("province GDP per capita (QuaRCS, 1983–2017)", "thousand IDR per person"),
    "food_exp": ("average monthly per-capita food expenditure (Susenas), nominal", "IDR per person per month"),
    "nonfood_exp": ("average monthly per-capita non-food expenditure (Susenas), nominal",
                    "IDR per person per month"),
    "total_exp": ("average monthly per-capita expenditure (Susenas), nominal", "IDR per person per month"),
    "food_share": ("food_exp / total_exp (Engel's food share), computed", "fraction 0–1"),
}


def _years(panel: pd.DataFrame, column: str) -> str:
    years = panel.loc[panel[column].notna(), "year"]
    return f"{int(years.min())}–{int(years.max())}" if len(years) else ""


def _describe(column: str, units: dict[str, str]) -> tuple[str, str]:
    for suffix, text, unit in (("_source_row", "line of the value in the source file (sources.csv)", "line"),
                               ("_source", "source_id of the value (key of data/raw/sources.csv)", "id"),
                               ("_flag", "';'-joined source markers (provisional, revised, backcast, …)", "text")):
        if column.endswith(suffix):
            return f"{text}; for `{column[: -len(suffix)]}`", unit
    if column in MEANINGS:
        return MEANINGS[column]
    return column.replace("_", " "), units.get(column, "")


def dictionary_section(title: str, panel: pd.DataFrame, units: dict[str, str]) -> str:
    """Markdown table of a panel's columns: meaning, unit, sources, years with data, share missing."""
    rows = []
    for column in panel.columns:
        meaning, unit = _describe(column, units)
        src_col = f"{column}_source"
        sources = ", ".join(sorted(panel[src_col].dropna().unique())) if src_col in panel else ""
        rows.append({"column": column, "meaning": meaning, "unit": unit, "source": sources,
                     "years": _years(panel, column), "missing": f"{panel[column].isna().mean():.1%}"})
    return f"## {title}\n\n{len(panel)} rows, {panel.shape[1]} columns.\n\n" + table(pd.DataFrame(rows))


def data_dictionary(regency: pd.DataFrame, regency_units: dict[str, str], province: pd.DataFrame,
                    province_units: dict[str, str], night_lights: pd.DataFrame | None = None) -> str:
    """The full ``DATA_DICTIONARY.md`` text (with the night-lights panel's section when given)."""
    head = ("# Data dictionary of the built panels\n\n"
            "Written by `sosek_impact.panel.build_panel`. 'years' = first–last year with a value; "
            "'missing' = share of rows without a value (missing values are never filled). Sources are the "
            "`source_id`s of `data/raw/sources.csv`.\n\n")
    from ..geography import geography_dictionary_section

    return (head + dictionary_section("panel.parquet / panel.csv (regency × year)", regency, regency_units)
            + "\n" + dictionary_section("province_panel.parquet / province_panel.csv (province × year)",
                                        province, province_units)
            + "\n" + geography_dictionary_section()
            + ("" if night_lights is None else "\n" + dictionary_section(NIGHT_LIGHTS_TITLE, night_lights, regency_units)
               + NIGHT_LIGHTS_NOTE))


#: Section title of the night-lights panel in ``DATA_DICTIONARY.md``.
NIGHT_LIGHTS_TITLE = "night lights: sosek_impact.panel.load_night_lights() (Kalimantan regency × year, 1992–2022)"
NIGHT_LIGHTS_NOTE = (
    "\nNot a file: built on load from `data/raw/night_lights.csv` (source `idn514_ntl`) and the regency panel. "
    "The regency panel keeps its 2000–2024 grid; the lights' years 1992–1999 live only here, where every "
    "economic column (`grdp`, `grdp_pc`, `grdp_pc_idn514`, `population`, `area_km2`, `backcast`, from the regency "
    "panel) is missing, never filled. `border` is the registry's land-border status of the year. Lights measure "
    "economic activity and settlement, not household welfare.\n")
