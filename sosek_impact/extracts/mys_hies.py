"""``mys_hies_districts.csv``: HIES household income and poverty of the Sarawak and Sabah districts (DOSM).

Source: OpenDOSM ``hh_income_district`` and ``hh_poverty_district`` (Household Income and Expenditure
Survey 2019, 2022, 2024), copies in ``thomasvanpul/malaysia_map``. One row per district, year and
variable (long, like ``regency_series.csv``):

- ``income_mean``, ``income_median``: gross household income, RM per household per month, current prices;
- ``poverty_absolute``, ``poverty_relative``: % of households below Malaysia's absolute / relative line.

District names are matched to one spelling through ``mys_district_names.csv`` (``source == "dosm"``:
"Lubok antu" of 2024 is "Lubok Antu"); a name not in it raises
:class:`~sosek_impact.errors.UnknownRegionError`. Every district gets a row for each survey year: a
year without a source row stays missing, visibly (``value`` empty, ``flag = "no_source_row"``, e.g.
Kalabakan 2019, and the districts created for HIES 2024). ``source_row`` is the 1-based row of the parquet table. Numbers are copied as published; nothing is
converted, deflated or filled in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..errors import DuplicateKeyError, SchemaError, UnknownRegionError
from .sources import source_path

__all__ = ["HIES_YEARS", "HIES_VARIABLES", "STATES", "hies_table", "mys_hies_districts"]

HIES_YEARS = (2019, 2022, 2024)
STATES = ("Sabah", "Sarawak")
#: variable -> (source id, unit)
HIES_VARIABLES = {
    "income_mean": ("mys_hies_income", "RM per household per month (current prices)"),
    "income_median": ("mys_hies_income", "RM per household per month (current prices)"),
    "poverty_absolute": ("mys_hies_poverty", "% of households"),
    "poverty_relative": ("mys_hies_poverty", "% of households"),
}
COLUMNS = ["state", "district", "year", "variable", "value", "unit", "flag", "source_id", "source_row", "name_published"]


def _year(value, *, file: str, row: int) -> int:
    if isinstance(value, dt.date | pd.Timestamp):
        year, month, day = value.year, value.month, value.day
    else:
        try:
            stamp = pd.Timestamp(str(value))
        except ValueError as exc:
            raise SchemaError("date is not a date", file=file, row=row, column="date", value=value) from exc
        year, month, day = stamp.year, stamp.month, stamp.day
    if (month, day) != (1, 1) or year not in HIES_YEARS:
        raise SchemaError(f"date is not 1 January of a HIES year {HIES_YEARS}", file=file, row=row, column="date",
                          value=str(value))
    return int(year)


def hies_table(frames: dict[str, tuple[pd.DataFrame, str]], crosswalk: pd.DataFrame) -> pd.DataFrame:
    """The tidy table from the source frames (``source_id -> (DataFrame, file name)``) and the crosswalk."""
    names = crosswalk[crosswalk["source"] == "dosm"].set_index(["state", "name_source"])["district"]
    rows, seen = [], {}
    for source_id, (df, file) in frames.items():
        needed = ["state", "district", "date", *[v for v, (s, _) in HIES_VARIABLES.items() if s == source_id]]
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise SchemaError(f"HIES table lacks column(s) {missing}", file=file, column=missing[0])
        unknown = {}
        for i, rec in enumerate(df.itertuples(index=False), start=1):
            if rec.state not in STATES:
                continue
            key = (rec.state, rec.district)
            if key not in names.index:
                unknown[f"{rec.state}/{rec.district}"] = [n for s, n in names.index if s == rec.state
                                                          and n[:3].lower() == str(rec.district)[:3].lower()][:3]
                continue
            year = _year(rec.date, file=file, row=i)
            district = names.loc[key]
            for var in needed[3:]:
                ident = (rec.state, district, year, var)
                if ident in seen:
                    raise DuplicateKeyError(f"two rows for {rec.state} {district} {year} ({var}); the other is row {seen[ident]}",
                                            file=file, row=i, column="district", value=rec.district)
                seen[ident] = i
                value = getattr(rec, var)
                rows.append({"state": rec.state, "district": district, "year": year, "variable": var,
                             "value": "" if pd.isna(value) else f"{float(value):.10g}", "unit": HIES_VARIABLES[var][1],
                             "flag": "missing_in_source" if pd.isna(value) else "", "source_id": source_id,
                             "source_row": i, "name_published": rec.district})
        if unknown:
            raise UnknownRegionError("Malaysian district names not in the crosswalk", offenders=unknown, file=file,
                                     column="district")
    out = pd.DataFrame(rows, columns=COLUMNS)
    # every district x year x variable: a year with no source row stays missing, visibly
    districts = out[["state", "district"]].drop_duplicates()
    grid = districts.merge(pd.DataFrame({"year": HIES_YEARS}), how="cross").merge(
        pd.DataFrame({"variable": list(HIES_VARIABLES)}), how="cross")
    out = grid.merge(out, on=["state", "district", "year", "variable"], how="left")
    absent = out["source_id"].isna()
    out.loc[absent, "value"] = ""
    out.loc[absent, "unit"] = out.loc[absent, "variable"].map({k: u for k, (_, u) in HIES_VARIABLES.items()})
    out.loc[absent, "flag"] = "no_source_row"
    out.loc[absent, "source_id"] = out.loc[absent, "variable"].map({k: s for k, (s, _) in HIES_VARIABLES.items()})
    out.loc[absent, "name_published"] = ""
    out["source_row"] = out["source_row"].astype("Int64")
    return out.sort_values(["state", "district", "variable", "year"], kind="stable").reset_index(drop=True)[COLUMNS]


def mys_hies_districts(shared: Path, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """``data/raw/mys_hies_districts.csv`` from the shared DOSM parquet files."""
    frames = {}
    for sid in ("mys_hies_income", "mys_hies_poverty"):
        path = source_path(shared, sid)
        frames[sid] = (pd.read_parquet(path), str(path))
    return hies_table(frames, crosswalk)
