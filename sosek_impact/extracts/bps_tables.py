"""BPS web-table exports by regency, names only: poverty rate P0 (``Miskin YYYY.csv``) and HDI
(``IPM YYYY.csv``), 2020–2024, read with :func:`sosek_impact.io.read_bps_table`.

Regency rows are resolved to codes with the harmoniser using their province block (the
CAPITALS row above them). Regencies of the 2022 Papua provinces appear twice in the HDI
files (under PAPUA / PAPUA BARAT and again under the new province): both rows resolve to
the same code; their published values must agree (else an error), and the value is taken
from the row under today's province when it has one, else from the other row. Province
rows (and the ``INDONESIA`` row, code 0) go to the province series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..harmonise.registry import RegionRegistry
from ..io import read_bps_table
from .quarcs import PROVINCE_SERIES_COLUMNS, SERIES_COLUMNS
from .sources import IPM_YEARS, P0_YEARS, source_path

TABLES = {
    "bps_p0": ("poverty_rate", "percent of population (P0)", P0_YEARS),
    "bps_ipm": ("hdi", "index 0-100 (new method)", IPM_YEARS),
}


def value_text(value: float, raw: str) -> str:
    """Plain-number text of a parsed value (``""`` when missing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return ""
    return format(float(value), ".15g")


def read_regency_table(shared: Path, source_id: str, variable: str, unit: str, year: int, registry: RegionRegistry) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Regency rows and province rows of one BPS regency table, long."""
    path = source_path(shared, source_id)
    df = read_bps_table(path, variable=variable)
    df.attrs = {}  # the reader's skipped-rows table would be deep-copied by every operation
    if set(df["year"].dropna().astype(int)) != {year}:
        raise SchemaError(f"expected year {year}", file=path, value=sorted(set(df["year"].dropna())))
    reg = df[~df["is_province"] & ~df["is_national"]].reset_index(drop=True)
    codes = registry.resolve_regencies(
        list(reg["region"]), list(reg["province_block"]), file=path, column="region", rows=list(reg["source_row"])
    )
    block_codes = registry.resolve_provinces(list(reg["province_block"]), file=path)
    today = np.array([registry.regency(c).province_code for c in codes])
    reg = reg.assign(bps_code=codes.to_numpy(), _home=(block_codes.to_numpy() == today), _has=reg["value"].notna())
    with_value = reg[reg["_has"]]
    spread = with_value.groupby("bps_code")["value"].nunique()
    if (spread > 1).any():
        code = int(spread[spread > 1].index[0])
        bad = with_value[with_value["bps_code"] == code]
        raise SchemaError(
            "one regency listed twice with different values", file=path,
            row=int(bad["source_row"].iloc[-1]), value=[float(v) for v in bad["value"]],
        )
    times = reg["bps_code"].map(reg["bps_code"].value_counts())
    reg = reg.assign(_twice=times > 1)
    pick = reg.sort_values(["bps_code", "_has", "_home"], ascending=[True, False, False], kind="stable")
    pick = pick.drop_duplicates("bps_code", keep="first")
    flags = [
        ";".join(x for x in ((f if isinstance(f, str) else ""), "listed_twice" if t else "") if x)
        for f, t in zip(pick["flag"], pick["_twice"])
    ]
    rows = {
        "bps_code": pick["bps_code"].astype(int).to_numpy(), "year": year, "variable": variable,
        "value": [value_text(v, r) for v, r in zip(pick["value"], pick["raw"])], "unit": unit, "flag": flags,
        "source_id": source_id, "source_row": pick["source_row"].astype(int).to_numpy(),
        "name_published": pick["region"].to_numpy(),
    }
    regency = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    prov = df[df["is_province"] | df["is_national"]].reset_index(drop=True)
    pcodes = registry.resolve_provinces(list(prov["region"]), file=path, column="region", national=True)
    province = pd.DataFrame(
        {
            "province_code": pcodes.to_numpy(), "year": year, "variable": variable,
            "value": [value_text(v, r) for v, r in zip(prov["value"], prov["raw"])], "unit": unit,
            "flag": prov["flag"].fillna("").to_numpy(), "source_id": source_id,
            "source_row": prov["source_row"].astype(int).to_numpy(), "name_published": prov["region"].to_numpy(),
        }
    )[PROVINCE_SERIES_COLUMNS]
    if province.duplicated(["province_code"]).any():
        raise SchemaError("a province row occurs twice", file=path)
    return regency, province


def bps_tables(shared: Path, registry: RegionRegistry) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Regency and province series of every P0 and HDI file."""
    regency, province = [], []
    for prefix, (variable, unit, years) in TABLES.items():
        for year in years:
            r, p = read_regency_table(shared, f"{prefix}_{year}", variable, unit, year, registry)
            regency.append(r)
            province.append(p)
    return regency, province
