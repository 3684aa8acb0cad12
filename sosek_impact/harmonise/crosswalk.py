"""The pemekaran (regency split) crosswalk: parent → child, effective year.

Read from ``data/raw/registry_regency_splits.csv`` (the registry's ``regency_splits.csv``),
which records splits in **West, East and North Kalimantan only (provinces 61, 64, 65),
1999–2013**, with today's BPS codes for parent and child. Splits elsewhere in Indonesia are
not recorded: functions that would need them raise instead of guessing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import InputError, SchemaError

COVERED_PROVINCES = frozenset({61, 64, 65})
"""Provinces whose regency splits the registry records."""

STABLE_FROM_YEAR = 2014
"""First year from which the BPS regency list is unchanged (514 kabupaten/kota; the 2022 Papua
reorganisation created provinces, not regencies). Boundaries of this year or later need no split."""


class VintageCoverageError(InputError):
    """A boundary mapping needs splits that the registry does not record (outside provinces 61, 64, 65)."""


def split_crosswalk(raw: str | Path | None = None) -> pd.DataFrame:
    """Parent → child pairs with the year the child first exists as a separate regency.

    Parameters
    ----------
    raw
        Folder holding ``registry_regency_splits.csv``; default ``data/raw``.

    Returns
    -------
    pandas.DataFrame
        ``parent_bps_code, child_bps_code, effective_year, law, confidence`` (one row per
        child), sorted by year and child. Covers provinces 61, 64, 65 only.
    """
    raw = Path(raw) if raw is not None else paths.raw_dir()
    path = raw / "registry_regency_splits.csv"
    return crosswalk_from_table(pd.read_csv(path, dtype={"law": str, "confidence": str}), file=path)


def crosswalk_from_table(df: pd.DataFrame, *, file: str | Path | None = None) -> pd.DataFrame:
    """The crosswalk of a registry ``regency_splits`` table already in memory (see :func:`split_crosswalk`)."""
    need = {"parent_bps_code", "child_bps_code", "effective_year"}
    if not need <= set(df.columns):
        raise SchemaError(f"missing columns {sorted(need - set(df.columns))}", file=file)
    out = df[["parent_bps_code", "child_bps_code", "effective_year", "law", "confidence"]].astype(
        {"parent_bps_code": "int64", "child_bps_code": "int64", "effective_year": "int64", "law": str, "confidence": str}
    )
    dup = out["child_bps_code"].duplicated()
    if dup.any():
        raise SchemaError("a child regency has two parents", file=file, column="child_bps_code", value=int(out[dup].iloc[0].child_bps_code))
    return out.sort_values(["effective_year", "child_bps_code"], kind="stable").reset_index(drop=True)


def creation_years(crosswalk: pd.DataFrame) -> dict[int, int]:
    """Child BPS code → first year it exists as a separate regency."""
    return dict(zip(crosswalk["child_bps_code"].astype(int), crosswalk["effective_year"].astype(int)))


def ancestor(code: int, vintage_year: int, crosswalk: pd.DataFrame) -> int:
    """The regency of ``vintage_year`` whose area contains today's regency ``code``.

    Walks up the parent chain while the regency did not yet exist in ``vintage_year``
    (e.g. Mahakam Ulu 6411 → Kutai Barat 6402 → Kutai 6403 for 1998).
    """
    parent = dict(zip(crosswalk["child_bps_code"].astype(int), crosswalk["parent_bps_code"].astype(int)))
    born = creation_years(crosswalk)
    seen = {int(code)}
    code = int(code)
    while code in born and born[code] > vintage_year:
        code = parent[code]
        if code in seen:
            raise SchemaError("the split crosswalk has a cycle", value=code)
        seen.add(code)
    return code


def descendants(code: int, vintage_year: int, crosswalk: pd.DataFrame, universe: list[int]) -> list[int]:
    """Today's regencies (among ``universe``) inside the ``vintage_year`` regency ``code``."""
    return sorted(u for u in universe if ancestor(u, vintage_year, crosswalk) == code)
