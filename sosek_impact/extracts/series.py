"""The long series tables ``regency_series.csv`` and ``province_series.csv``.

Each value row: code, year, variable, value (plain number as published, thousands separators
removed; empty when missing), unit, flag, source_id, source_row (1-based line in the source
file) and name_published (the region name as the source writes it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..harmonise.crosswalk import creation_years
from ..harmonise.registry import RegionRegistry
from .quarcs import PROVINCE_SERIES_COLUMNS, SERIES_COLUMNS, idn514_gdp_pc, quarcs_districts, quarcs_provinces


def add_flag(flags: pd.Series, mask: pd.Series, marker: str) -> pd.Series:
    """Append ``marker`` to the ``;``-joined flags where ``mask`` holds."""
    out = flags.copy()
    sel = mask.to_numpy()
    out[sel] = [f"{f};{marker}" if f else marker for f in flags[sel]]
    return out


def mark_backcast(series: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Flag ``backcast`` the values a source gives for years before the regency existed.

    Only splits recorded in the registry (provinces 61, 64, 65) are known.
    """
    born = creation_years(crosswalk)
    first = series["bps_code"].map(born)
    mask = first.notna() & (series["year"] < first.fillna(0))
    out = series.copy()
    out["flag"] = add_flag(out["flag"], mask, "backcast")
    return out


PAPUA_2022_CHILDREN = {91: (92,), 94: (95, 96, 97)}
"""Provinces split in 2022: Papua Barat (91) → Papua Barat Daya (92); Papua (94) → 95, 96, 97."""


def mark_pre_2022_papua(series: pd.DataFrame) -> pd.DataFrame:
    """Flag ``boundary_pre_2022`` Papua / Papua Barat values that still include the 2022 provinces.

    A value of 91 or 94 is on the old boundaries when, in the same source and year, none of the
    provinces carved out of it has a value of its own (absent, or ``-``/``...``: BPS notes that
    they "still follow" the parent's figures).
    """
    out = series.copy()
    has_value = out[out["value"] != ""].groupby(["source_id", "year", "variable"])["province_code"].agg(set)
    mask = pd.Series(False, index=out.index)
    for parent, children in PAPUA_2022_CHILDREN.items():
        rows = out["province_code"] == parent
        own = [
            not (set(children) & has_value.get((sid, y, v), set()))
            for sid, y, v in zip(out.loc[rows, "source_id"], out.loc[rows, "year"], out.loc[rows, "variable"])
        ]
        mask.loc[rows] = own
    out["flag"] = add_flag(out["flag"], mask, "boundary_pre_2022")
    return out


def sort_series(df: pd.DataFrame, code: str) -> pd.DataFrame:
    """Deterministic order: code, variable, source, year."""
    return df.sort_values([code, "variable", "source_id", "year"], kind="stable").reset_index(drop=True)


def regency_series(shared: Path, registry: RegionRegistry, crosswalk: pd.DataFrame, extra: list[pd.DataFrame] | None = None) -> pd.DataFrame:
    """All regency value rows of all sources, long."""
    parts = [quarcs_districts(shared, registry), idn514_gdp_pc(shared), *(extra or [])]
    df = pd.concat(parts, ignore_index=True)[SERIES_COLUMNS]
    df = mark_backcast(df, crosswalk)
    return sort_series(df, "bps_code")


def province_series(shared: Path, registry: RegionRegistry, extra: list[pd.DataFrame] | None = None) -> pd.DataFrame:
    """All province value rows, long (``province_code`` 0 = Indonesia)."""
    df = pd.concat([quarcs_provinces(shared, registry), *(extra or [])], ignore_index=True)[PROVINCE_SERIES_COLUMNS]
    df = mark_pre_2022_papua(df.reset_index(drop=True))
    return sort_series(df, "province_code")
