"""Province per-capita monthly expenditure, food / non-food / total (BPS Susenas), 2017–2025.

One file per year, read with :func:`sosek_impact.io.read_bps_table` (BOM, long headers,
note rows, ``...`` marks). The year is taken from the file name (the table states it only
there; values flagged ``year_inferred`` by the reader) and checked against the catalogue.
"Indonesia" gets province code 0. Food share is not stored here (it is derived in the
province panel as food_exp / total_exp).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SchemaError
from ..harmonise.registry import RegionRegistry
from ..io import read_bps_table
from .bps_tables import value_text
from .quarcs import PROVINCE_SERIES_COLUMNS
from .sources import EXPENDITURE_YEARS, source_path

_SUFFIX = {"Makanan": "food_exp", "Bukan Makanan": "nonfood_exp", "Jumlah": "total_exp"}
UNIT = "IDR per person per month, nominal"


def expenditure_year(shared: Path, year: int, registry: RegionRegistry) -> pd.DataFrame:
    """Long rows of one year's expenditure file."""
    source_id = f"bps_exp_{year}"
    path = source_path(shared, source_id)
    df = read_bps_table(path, year="filename", nonnegative=True)
    df.attrs = {}
    if set(df["year"].astype(int)) != {year}:
        raise SchemaError(f"expected year {year}", file=path)
    variables = []
    for label in df["variable"]:
        suffix = str(label).rsplit(" - ", 1)[-1].strip()
        if suffix not in _SUFFIX:
            raise SchemaError("unexpected expenditure column", file=path, value=label)
        variables.append(_SUFFIX[suffix])
    codes = registry.resolve_provinces(list(df["region"]), file=path, column="Provinsi", national=True)
    out = pd.DataFrame(
        {
            "province_code": codes.to_numpy(),
            "year": year,
            "variable": variables,
            "value": [value_text(v, r) for v, r in zip(df["value"], df["raw"])],
            "unit": UNIT,
            "flag": df["flag"].fillna("").to_numpy(),
            "source_id": source_id,
            "source_row": df["source_row"].astype(int).to_numpy(),
            "name_published": df["region"].to_numpy(),
        }
    )[PROVINCE_SERIES_COLUMNS]
    if out.duplicated(["province_code", "variable"]).any():
        raise SchemaError("a province occurs twice", file=path)
    return out


def expenditure_series(shared: Path, registry: RegionRegistry) -> pd.DataFrame:
    """All years, long."""
    return pd.concat([expenditure_year(shared, y, registry) for y in EXPENDITURE_YEARS], ignore_index=True)
